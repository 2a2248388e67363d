//! The WebSocket connection machine (RFC 6455 §5–§7).
//!
//! Every state transition lives in this file: receiving a close frame, sending one, failing
//! the connection, the end of the transport and a stream reset. `recv.rs` decodes frames
//! and `send.rs` encodes them; neither changes the state.
//!
//! ```text
//!            close() ──────────► CLOSING ── peer's close ──► CLOSED (clean)
//!   OPEN ──┤                        │
//!            peer's close (reply) ──┼──────────────────────► CLOSED (clean)
//!            protocol error / limit ┴──── close frame ─────► CLOSED (failed)
//!            recv_eof / reset ─────────────────────────────► CLOSED (1006)
//! ```

mod config;
mod event;
mod recv;
mod send;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use bytes::Bytes;

pub use config::{Config, ReceiveMode};
pub use event::{CloseCause, Closed, Closing, Event, State};

use crate::Role;
use crate::close::{CloseCode, CloseFrame};
use crate::deflate::{Deflater, Inflater};
use crate::error::{Error, UsageError};
use crate::frame::OpCode;
use crate::message::{Message, MessageKind, Utf8Bytes};
use recv::{Input, Receiver, RecvConfig};
use send::Sender;

/// A WebSocket connection after the opening handshake: a sans-IO machine that frames,
/// masks, compresses and checks messages, and runs the close handshake.
///
/// Feed it the bytes of the transport with [`recv`](Self::recv), take what it has to say
/// with [`poll_event`](Self::poll_event), and write what [`poll_output`](Self::poll_output)
/// gives to the transport. The transport is the TCP (or TLS) stream after an HTTP/1.1
/// `101 Switching Protocols`, or the DATA of an HTTP/2 or HTTP/3 Extended CONNECT stream
/// after `:status 200` (RFC 8441, RFC 9220): the framing is the same.
pub struct Connection {
    role: Role,
    auto_pong: bool,
    state: State,
    events: VecDeque<Event>,
    rx: Receiver,
    tx: Sender,
    /// The transport ended; report it once the buffered input has been processed.
    eof: bool,
}

impl Connection {
    /// A connection in the OPEN state (RFC 6455 §4.1: the handshake was done elsewhere).
    pub fn new(config: Config) -> Connection {
        let Config {
            role,
            limits,
            deflate,
            auto_pong,
            receive_mode,
            random,
        } = config;
        let inflater = deflate.map(|d| Inflater::new(d, role));
        let deflater = deflate.map(|d| Deflater::new(d, role));
        Connection {
            role,
            auto_pong,
            state: State::Open,
            events: VecDeque::with_capacity(4),
            rx: Receiver::new(
                RecvConfig {
                    role,
                    limits,
                    mode: receive_mode,
                },
                inflater,
            ),
            tx: Sender::new(role, limits, random, deflater),
            eof: false,
        }
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The error that failed the connection, if one did.
    pub fn error(&self) -> Option<&Error> {
        match &self.state {
            State::Closed(closed) => closed.cause.error(),
            _ => None,
        }
    }

    // ---- input -------------------------------------------------------------------------

    /// Hands the machine bytes read from the transport. They are copied into the receive
    /// buffer and decoded by [`poll_event`](Self::poll_event), which must be called next.
    /// Ignored once the peer's close frame has arrived or the connection is closed.
    pub fn recv(&mut self, data: &[u8]) {
        if self.is_receiving() {
            self.rx.extend(data);
        }
    }

    /// Like [`recv`](Self::recv), but takes the buffer over without copying when the
    /// receive buffer is empty and nobody else holds `data`.
    pub fn recv_bytes(&mut self, data: Bytes) {
        if self.is_receiving() {
            self.rx.extend_bytes(data);
        }
    }

    /// The transport ended (TCP FIN, or the end of the HTTP/2 or HTTP/3 stream). Once the
    /// buffered input is processed, a connection that is not closed yet reports
    /// [`Event::Closed`] with code 1006 (RFC 6455 §7.1.5); nothing is sent.
    pub fn recv_eof(&mut self) {
        self.eof = true;
    }

    /// The HTTP/2 or HTTP/3 stream carrying the connection was reset: abort. Pending input
    /// and output are dropped and [`Event::Closed`] reports code 1006 with
    /// [`CloseCause::Reset`].
    pub fn reset(&mut self) {
        self.rx.discard();
        self.tx.discard();
        if !matches!(self.state, State::Closed(_)) {
            self.close_state(
                CloseCode::ABNORMAL,
                Utf8Bytes::default(),
                false,
                CloseCause::Reset,
            );
        }
    }

    // ---- events ------------------------------------------------------------------------

    /// The next event, or `None` when there is nothing to report until more input arrives.
    ///
    /// Poll again after [`recv`](Self::recv), [`recv_bytes`](Self::recv_bytes),
    /// [`recv_eof`](Self::recv_eof) and [`reset`](Self::reset), and after
    /// [`poll_output`](Self::poll_output) / [`poll_transmit`](Self::poll_transmit) (which
    /// may report [`Event::Writable`]). Decoding happens here, so poll until `None` before
    /// polling output: automatic pongs and close replies are queued as events are decoded.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if !self.is_receiving() {
                return None;
            }
            match self.rx.next() {
                Ok(Some(input)) => self.on_input(input),
                Ok(None) if self.eof => {
                    self.close_state(
                        CloseCode::ABNORMAL,
                        Utf8Bytes::default(),
                        false,
                        CloseCause::Eof,
                    );
                }
                Ok(None) => return None,
                Err(error) => self.fail(error),
            }
        }
    }

    fn is_receiving(&self) -> bool {
        matches!(self.state, State::Open | State::Closing(_))
    }

    fn on_input(&mut self, input: Input) {
        let event = match input {
            Input::Message(message) => Event::Message(message),
            Input::Chunk(chunk) => Event::Chunk(chunk),
            Input::Ping(payload) => {
                // RFC 6455 §5.5.2: answer with a pong carrying the same data, unless we
                // already sent our close frame.
                if self.auto_pong && matches!(self.state, State::Open) {
                    self.tx.set_pending_pong(payload.clone());
                }
                Event::Ping(payload)
            }
            Input::Pong(payload) => Event::Pong(payload),
            Input::Close(frame) => return self.on_close_received(frame),
        };
        self.events.push_back(event);
    }

    /// RFC 6455 §5.5.1: reply to a close frame with one of our own, unless we sent ours
    /// already; either way the close handshake is complete.
    fn on_close_received(&mut self, frame: CloseFrame) {
        if matches!(self.state, State::Open) {
            // Echo the code (RFC 6455 §5.5.1 "typically echos"); an empty close gets an
            // empty reply.
            self.tx.drop_pending_pong();
            self.tx.close(frame.code, &[]);
        }
        self.rx.discard();
        self.events.push_back(Event::CloseReceived(frame.clone()));
        self.close_state(frame.code, frame.reason, true, CloseCause::Handshake);
    }

    /// RFC 6455 §7.1.7 "_Fail the WebSocket Connection_": send a close frame with the
    /// error's code (unless one was sent already), stop reading, report the error.
    fn fail(&mut self, error: Error) {
        let code = error.close_code().unwrap_or(CloseCode::PROTOCOL_ERROR);
        if matches!(self.state, State::Open) {
            self.tx.drop_pending_pong();
            self.tx.close(code, &[]);
        }
        self.rx.discard();
        self.close_state(code, Utf8Bytes::default(), false, CloseCause::Failed(error));
    }

    fn close_state(&mut self, code: CloseCode, reason: Utf8Bytes, clean: bool, cause: CloseCause) {
        let closed = Closed {
            code,
            reason,
            clean,
            cause,
        };
        self.events.push_back(Event::Closed(closed.clone()));
        self.state = State::Closed(closed);
    }

    // ---- output ------------------------------------------------------------------------

    /// Appends everything there is to send to `buf` and returns how many bytes it appended.
    ///
    /// Poll again after any send method, after [`poll_event`](Self::poll_event) (automatic
    /// pongs and close replies), and after [`reset`](Self::reset) never (it drops output).
    /// If a send had been refused with [`Error::WouldBlock`], taking the output queues
    /// [`Event::Writable`].
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_output(&mut self, buf: &mut Vec<u8>) -> usize {
        let (n, writable) = self.tx.drain_into(buf);
        if writable {
            self.events.push_back(Event::Writable);
        }
        n
    }

    /// Like [`poll_output`](Self::poll_output), but returns the pending bytes as one
    /// `Bytes` (a split of the internal buffer, not a copy), or `None` if there are none.
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        let (bytes, writable) = self.tx.transmit();
        if writable {
            self.events.push_back(Event::Writable);
        }
        bytes
    }

    /// Whether the transport should now be finished: the connection is closed and all its
    /// output has been taken.
    ///
    /// Over HTTP/2 and HTTP/3, end the stream (a sent and received close frame ends the
    /// WebSocket, RFC 8441 §5, RFC 9220 §3). Over TCP, RFC 6455 §7.1.1 has the server close
    /// the TCP connection first; a client should give the server a moment (a timer of the
    /// driver's) and wait for [`recv_eof`](Self::recv_eof) before closing itself. Check
    /// after [`Event::Closed`] and after each output poll.
    pub fn wants_close_transport(&self) -> bool {
        matches!(self.state, State::Closed(_)) && self.tx.is_empty()
    }

    // ---- sending -----------------------------------------------------------------------

    /// Whether data may be sent now; the sticky error if the connection failed.
    fn check_open(&self) -> Result<(), Error> {
        match &self.state {
            State::Open => Ok(()),
            State::Closing(_) => Err(UsageError::Closed.into()),
            State::Closed(closed) => Err(closed
                .cause
                .error()
                .cloned()
                .unwrap_or(UsageError::Closed.into())),
        }
    }

    /// Sends a text message in one frame (compressed if permessage-deflate is on).
    ///
    /// Fails with [`Error::WouldBlock`] if the pending output is over
    /// [`Limits::max_pending_output`](crate::Limits); wait for [`Event::Writable`].
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.check_open()?;
        self.tx.message(MessageKind::Text, text.as_bytes())
    }

    /// Sends a binary message in one frame. See [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.tx.message(MessageKind::Binary, data)
    }

    /// Sends a message in one frame. See [`send_text`](Self::send_text).
    pub fn send(&mut self, message: &Message) -> Result<(), Error> {
        self.check_open()?;
        self.tx.message(message.kind(), message.as_bytes())
    }

    /// Sends the next fragment of a message (RFC 6455 §5.4): the first call starts a
    /// message of `kind`, later ones continue it, and `fin` ends it. Control frames
    /// (ping, pong, close) may be sent between fragments.
    ///
    /// Returns how many bytes of `data` were accepted: all of them, or as many as fit under
    /// [`Limits::max_pending_output`](crate::Limits), in which case the fragment is sent
    /// without FIN whatever `fin` says and the caller sends the rest later. Nothing fits:
    /// [`Error::WouldBlock`]. Text fragments may cut characters; their concatenation must
    /// be UTF-8 ([`UsageError::InvalidUtf8`] otherwise, nothing sent).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<usize, Error> {
        self.check_open()?;
        self.tx.fragment(kind, data, fin)
    }

    /// Sends a ping (RFC 6455 §5.5.2) with at most 125 bytes of payload.
    ///
    /// Control frames are not held back by data backpressure; they have their own budget,
    /// [`Limits::max_pending_control_frames`](crate::Limits).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.tx.control(OpCode::Ping, payload)
    }

    /// Sends an unsolicited pong, or answers a ping when `auto_pong` is off
    /// (RFC 6455 §5.5.3). At most 125 bytes.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.tx.control(OpCode::Pong, payload)
    }

    /// Starts the close handshake (RFC 6455 §7.1.2): sends a close frame and moves to
    /// CLOSING, where messages are still received but no data can be sent. The connection
    /// is closed when the peer's close frame arrives ([`Event::Closed`]).
    ///
    /// `code` must be valid on the wire, or [`CloseCode::NO_STATUS`] for a close frame
    /// without a body (then `reason` must be empty); `reason` is at most 123 bytes.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        match &self.state {
            State::Open => {}
            State::Closing(_) => return Err(UsageError::AlreadyClosing.into()),
            State::Closed(_) => return self.check_open(),
        }
        CloseFrame::check_outgoing(code, reason)?;
        self.tx.close(code, reason.as_bytes());
        let sent = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        };
        self.state = State::Closing(Closing { sent });
        Ok(())
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
