//! The WebSocket connection machine (RFC 6455 §4–§7).
//!
//! Every state transition lives in this file: the end of the opening handshake, receiving
//! a close frame, sending one, failing the connection, the end of the transport and a
//! stream reset. `opening.rs` drives the HTTP/1.1 handshake machines, `recv.rs` decodes
//! frames and `send.rs` encodes them; none of them changes the state.
//!
//! ```text
//!  client_h1 ──► CONNECTING ── valid 101 (Event::Open) ─────────────────────► OPEN
//!               (AwaitingResponse) ─ invalid response ───────────────────────► CLOSED (failed)
//!
//!  server_h1 ──► CONNECTING ── valid request (Event::Request) ─► CONNECTING
//!               (AwaitingRequest)                            (AwaitingDecision)
//!                    └─ invalid request: 400 / 426 / 431 ─► CLOSED (failed)  │
//!                    CLOSED (rejected) ◄── reject(status) ───────────────────┤
//!                    OPEN ◄── accept() (Event::Open) ────────────────────────┘
//!
//!  new ──────────────────────────────────────────────────────────────────────► OPEN
//!
//!            close() ──────────► CLOSING ── peer's close ──► CLOSED (clean)
//!   OPEN ──┤                        │
//!            peer's close (reply) ──┼──────────────────────► CLOSED (clean)
//!            protocol error / limit ┴──── close frame ─────► CLOSED (failed)
//!
//!   any state ── recv_eof / reset ─────────────────────────► CLOSED (1006)
//! ```
//!
//! permessage-deflate is switched on in one place, the transition to OPEN, with what was
//! negotiated: by the handshake for `client_h1` and `server_h1`, from
//! [`Config::deflate`] for `new`.

mod config;
mod event;
mod opening;
mod recv;
mod send;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use bytes::Bytes;
use http::{StatusCode, response};

pub use config::{Config, ReceiveMode};
pub use event::{CloseCause, Closed, Closing, Connecting, Event, State};

use crate::close::{CloseCode, CloseFrame};
use crate::deflate::{Deflater, Inflater};
use crate::error::{Error, UsageError};
use crate::frame::OpCode;
use crate::handshake::codec::HeadLimits;
use crate::handshake::{AcceptOptions, BuildError, ClientOptions, Established, HandshakeError, h1};
use crate::message::{Message, MessageKind, Utf8Bytes};
use crate::{DeflateConfig, Role};
use opening::{Opening, Progress};
use recv::{Input, Receiver, RecvConfig};
use send::Sender;

/// A WebSocket connection: a sans-IO machine that runs the HTTP/1.1 opening handshake if
/// asked to, then frames, masks, compresses and checks messages, and runs the close
/// handshake.
///
/// Feed it the bytes of the transport with [`recv`](Self::recv), take what it has to say
/// with [`poll_event`](Self::poll_event), and write what [`poll_output`](Self::poll_output)
/// gives to the transport. Over a TCP (or TLS) stream, [`client_h1`](Self::client_h1) and
/// [`server_h1`](Self::server_h1) start in CONNECTING and do the HTTP/1.1 Upgrade
/// themselves; over the DATA of an HTTP/2 or HTTP/3 Extended CONNECT stream (RFC 8441,
/// RFC 9220), or after an HTTP/1.1 layer did the Upgrade, [`new`](Self::new) starts OPEN.
/// The framing is the same.
pub struct Connection {
    role: Role,
    auto_pong: bool,
    state: State,
    events: VecDeque<Event>,
    rx: Receiver,
    tx: Sender,
    /// The transport ended; report it once the buffered input has been processed.
    eof: bool,
    /// The HTTP/1.1 handshake machine, while the state is CONNECTING.
    opening: Option<Opening>,
    /// Client: the server's response head, kept once read.
    response: Option<Box<response::Parts>>,
}

impl Connection {
    /// A connection in the OPEN state (RFC 6455 §4.1: the handshake was done elsewhere),
    /// with the permessage-deflate parameters of [`Config::deflate`].
    ///
    /// This is the constructor for WebSocket over HTTP/2 and HTTP/3 (the handshake is the
    /// Extended CONNECT of [`handshake::connect`](crate::handshake::connect)) and over an
    /// HTTP/1.1 layer that did the Upgrade itself.
    pub fn new(config: Config) -> Connection {
        let deflate = config.deflate;
        let mut conn = Connection::framing(config, State::Open);
        conn.open(deflate);
        conn
    }

    /// A client that runs the HTTP/1.1 opening handshake (RFC 6455 §4.1) for `options` on
    /// a byte stream, starting in CONNECTING.
    ///
    /// The request, with a Sec-WebSocket-Key drawn from `config.random`, is in
    /// [`poll_output`](Self::poll_output) at once; [`recv`](Self::recv) reads the
    /// response. A valid 101 reports [`Event::Open`] and moves to OPEN with the
    /// negotiated permessage-deflate ([`Config::deflate`] is not used: the handshake
    /// decides); bytes that followed the 101 are decoded as frames. An invalid response
    /// reports [`Event::Closed`] with [`CloseCause::Failed`]`(`[`Error::Handshake`]`)`
    /// (RFC 6455 §4.1: the client fails the connection), and [`response`](Self::response)
    /// shows what the server said. Response heads are bounded by the default
    /// [`HeadLimits`]. The connection plays the client whatever `config.role` says.
    pub fn client_h1(options: &ClientOptions, config: Config) -> Result<Connection, BuildError> {
        let mut config = config;
        config.role = Role::Client;
        let opening = Opening::client(options, config.random.as_mut(), HeadLimits::default())?;
        let mut conn = Connection::framing(config, State::Connecting(Connecting::AwaitingResponse));
        conn.opening = Some(opening);
        conn.queue_opening_output();
        Ok(conn)
    }

    /// A server that runs the HTTP/1.1 opening handshake (RFC 6455 §4.2) on a byte
    /// stream, starting in CONNECTING, the request head bounded by `limits`.
    ///
    /// [`recv`](Self::recv) reads the request. A valid one is reported as
    /// [`Event::Request`]; answer it with [`accept`](Self::accept) or
    /// [`reject`](Self::reject). An invalid one queues the 400, 426 or 431 the handshake
    /// machine chose (RFC 6455 §4.2.1, §4.4) and reports [`Event::Closed`] with
    /// [`CloseCause::Failed`]`(`[`Error::Handshake`]`)`; send the output, then close the
    /// transport ([`wants_close_transport`](Self::wants_close_transport)). Frames that a
    /// client sends before the 101 are kept, up to [`HeadLimits::max_early_data`], and
    /// decoded after `accept`. [`Config::deflate`] is not used: `accept`'s options decide.
    /// The connection plays the server whatever `config.role` says.
    pub fn server_h1(config: Config, limits: HeadLimits) -> Connection {
        let mut config = config;
        config.role = Role::Server;
        let mut conn = Connection::framing(config, State::Connecting(Connecting::AwaitingRequest));
        conn.opening = Some(Opening::server(limits));
        conn
    }

    /// The machine for `config` in `state`, without compression (see [`open`](Self::open)).
    fn framing(config: Config, state: State) -> Connection {
        let Config {
            role,
            limits,
            deflate: _,
            auto_pong,
            receive_mode,
            random,
        } = config;
        Connection {
            role,
            auto_pong,
            state,
            events: VecDeque::with_capacity(4),
            rx: Receiver::new(RecvConfig {
                role,
                limits,
                mode: receive_mode,
            }),
            tx: Sender::new(role, limits, random),
            eof: false,
            opening: None,
            response: None,
        }
    }

    /// → OPEN (RFC 6455 §4.1 "_The WebSocket Connection is Established_"), with the
    /// permessage-deflate parameters that were negotiated (RFC 7692 §7.1). The only place
    /// compression is switched on.
    fn open(&mut self, deflate: Option<DeflateConfig>) {
        self.rx
            .set_inflater(deflate.map(|d| Inflater::new(d, self.role)));
        self.tx
            .set_deflater(deflate.map(|d| Deflater::new(d, self.role)));
        self.state = State::Open;
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
    /// In CONNECTING they go to the opening handshake, which reads the peer's head at once
    /// (and may queue output: poll it too). Ignored once the peer's close frame has
    /// arrived or the connection is closed.
    pub fn recv(&mut self, data: &[u8]) {
        match self.state {
            State::Connecting(_) => self.recv_opening(data),
            State::Open | State::Closing(_) => self.rx.extend(data),
            State::Closed(_) => {}
        }
    }

    /// Like [`recv`](Self::recv), but takes the buffer over without copying when the
    /// receive buffer is empty and nobody else holds `data`.
    pub fn recv_bytes(&mut self, data: Bytes) {
        match self.state {
            State::Connecting(_) => self.recv_opening(&data),
            State::Open | State::Closing(_) => self.rx.extend_bytes(data),
            State::Closed(_) => {}
        }
    }

    /// The transport ended (TCP FIN, or the end of the HTTP/2 or HTTP/3 stream). Once the
    /// buffered input is processed, a connection that is not closed yet reports
    /// [`Event::Closed`] with code 1006 (RFC 6455 §7.1.5); nothing is sent.
    pub fn recv_eof(&mut self) {
        self.eof = true;
    }

    /// The HTTP/2 or HTTP/3 stream carrying the connection was reset, or the application
    /// gives up on the transport (in CONNECTING too): abort. Pending input and output are
    /// dropped and [`Event::Closed`] reports code 1006 with [`CloseCause::Reset`].
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
    /// [`recv_eof`](Self::recv_eof), [`reset`](Self::reset), [`accept`](Self::accept) and
    /// [`reject`](Self::reject), and after
    /// [`poll_output`](Self::poll_output) / [`poll_transmit`](Self::poll_transmit) (which
    /// may report [`Event::Writable`]). Decoding happens here, so poll until `None` before
    /// polling output: automatic pongs and close replies are queued as events are decoded.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            match self.state {
                State::Open | State::Closing(_) => {}
                // RFC 6455 §4.1: a transport that ends before the handshake fails it.
                State::Connecting(_) if self.eof => {
                    self.close_state(
                        CloseCode::ABNORMAL,
                        Utf8Bytes::default(),
                        false,
                        CloseCause::Eof,
                    );
                    continue;
                }
                State::Connecting(_) | State::Closed(_) => return None,
            }
            match self.rx.next() {
                Ok(Some(input)) => {
                    if let Some(event) = self.on_input(input) {
                        // The queue is empty here: hand the event over without queueing it.
                        return Some(event);
                    }
                }
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

    fn on_input(&mut self, input: Input) -> Option<Event> {
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
            Input::Close(frame) => {
                self.on_close_received(frame);
                return None;
            }
        };
        Some(event)
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
        self.end_opening();
        let closed = Closed {
            code,
            reason,
            clean,
            cause,
        };
        self.events.push_back(Event::Closed(closed.clone()));
        self.state = State::Closed(closed);
    }

    // ---- the opening handshake (CONNECTING) ---------------------------------------------

    fn recv_opening(&mut self, data: &[u8]) {
        let Some(opening) = self.opening.as_mut() else {
            return;
        };
        let progress = opening.recv(data);
        self.queue_opening_output();
        match progress {
            Progress::Pending => {}
            Progress::Request(request) => {
                self.state = State::Connecting(Connecting::AwaitingDecision);
                self.events.push_back(Event::Request(request));
            }
            Progress::Established(established) => self.established(established),
            Progress::Failed(error) => self.handshake_failed(error),
        }
    }

    /// Moves what the handshake machine has to send (request, 101, refusal) to the output,
    /// ahead of every frame.
    fn queue_opening_output(&mut self) {
        if let Some(head) = self.opening.as_mut().and_then(Opening::take_output) {
            self.tx.head(&head);
        }
    }

    /// CONNECTING → OPEN after a successful HTTP/1.1 handshake: compression as
    /// negotiated, [`Event::Open`], then the bytes that followed the peer's head, decoded
    /// as frames.
    fn established(&mut self, established: Established) {
        let Established {
            negotiated,
            leftover,
        } = established;
        self.end_opening();
        self.open(negotiated.deflate);
        self.events.push_back(Event::Open(negotiated));
        if !leftover.is_empty() {
            self.rx.extend_bytes(leftover);
        }
    }

    /// CONNECTING → CLOSED: the handshake failed (RFC 6455 §4.1 "_Fail the WebSocket
    /// Connection_"; §4.2.1 for a server). No close frame: there is no connection yet;
    /// a server's refusal is already in the output.
    fn handshake_failed(&mut self, error: HandshakeError) {
        self.close_state(
            CloseCode::ABNORMAL,
            Utf8Bytes::default(),
            false,
            CloseCause::Failed(Error::Handshake(error)),
        );
    }

    /// Drops the handshake machine, keeping a client's view of the response.
    fn end_opening(&mut self) {
        if let Some(opening) = self.opening.take() {
            self.response = opening.into_response().map(Box::new);
        }
    }

    /// Whether a request waits for `accept` or `reject`; the sticky error otherwise.
    fn check_decision(&self) -> Result<(), Error> {
        match &self.state {
            State::Connecting(Connecting::AwaitingDecision) => Ok(()),
            State::Closed(closed) => Err(sticky(closed)),
            _ => Err(UsageError::NoPendingRequest.into()),
        }
    }

    /// Server: accepts the request of [`Event::Request`] (RFC 6455 §4.2.2): the
    /// `101 Switching Protocols` goes to the output, the connection is OPEN with the
    /// negotiated subprotocol and permessage-deflate ([`Event::Open`] reports them), and
    /// frames the client sent early are decoded next.
    ///
    /// [`UsageError::NoPendingRequest`] without a request waiting; an
    /// [`Error::Handshake`] with a [`BuildError`] (a reserved extra header) leaves the
    /// request pending.
    pub fn accept(&mut self, options: &AcceptOptions) -> Result<(), Error> {
        self.check_decision()?;
        let result = match self.opening.as_mut() {
            Some(opening) => opening.accept(options),
            None => return Err(UsageError::NoPendingRequest.into()),
        };
        match result {
            Ok(established) => {
                self.queue_opening_output();
                self.established(established);
                Ok(())
            }
            Err(error @ HandshakeError::Build(_)) => Err(Error::Handshake(error)),
            Err(error) => {
                self.handshake_failed(error.clone());
                Err(Error::Handshake(error))
            }
        }
    }

    /// Server: refuses the request of [`Event::Request`] with `status` and no body
    /// (RFC 6455 §4.2.2 item 2; `Connection: close`). The response goes to the output and
    /// the connection is CLOSED with [`CloseCause::Rejected`]; close the transport once the
    /// output is sent ([`wants_close_transport`](Self::wants_close_transport)).
    pub fn reject(&mut self, status: StatusCode) -> Result<(), Error> {
        self.reject_with(h1::reject_with_status(status))
    }

    /// Like [`reject`](Self::reject) with a response of the application's making (a 401
    /// with WWW-Authenticate and `Content-Length: 0`, a redirect). Only the head is
    /// written; a declared body is the caller's to send.
    pub fn reject_with(&mut self, response: response::Parts) -> Result<(), Error> {
        self.check_decision()?;
        let status = response.status;
        let result = match self.opening.as_mut() {
            Some(opening) => opening.reject(response),
            None => return Err(UsageError::NoPendingRequest.into()),
        };
        if let Err(error) = result {
            self.handshake_failed(error.clone());
            return Err(Error::Handshake(error));
        }
        self.queue_opening_output();
        self.close_state(
            CloseCode::ABNORMAL,
            Utf8Bytes::default(),
            false,
            CloseCause::Rejected(status),
        );
        Ok(())
    }

    /// Client made with [`client_h1`](Self::client_h1): the server's response head once
    /// read, valid or not: the 101's headers (Set-Cookie, ...), or the status and
    /// headers of a refusal (a redirect's Location, a 401's challenge).
    pub fn response(&self) -> Option<&response::Parts> {
        self.response.as_deref()
    }

    // ---- output ------------------------------------------------------------------------

    /// Appends everything there is to send to `buf` and returns how many bytes it appended.
    ///
    /// Poll again after any send method, after [`poll_event`](Self::poll_event) (automatic
    /// pongs and close replies), after [`recv`](Self::recv) in CONNECTING (a server's
    /// refusal of an invalid request), after [`accept`](Self::accept) and
    /// [`reject`](Self::reject), and after [`reset`](Self::reset) never (it drops output).
    /// A [`client_h1`](Self::client_h1) connection has its request here from the start.
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
            State::Connecting(_) => Err(UsageError::Connecting.into()),
            State::Closing(_) => Err(UsageError::Closed.into()),
            State::Closed(closed) => Err(sticky(closed)),
        }
    }

    /// Sends a text message in one frame (compressed if permessage-deflate is on).
    ///
    /// Fails with [`Error::WouldBlock`] if the pending output is over
    /// [`Limits::max_pending_output`](crate::Limits); wait for [`Event::Writable`]. Every
    /// send fails with [`UsageError::Connecting`] before the opening handshake completed.
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
    /// without a body (then `reason` must be empty); `reason` is at most 123 bytes. In
    /// CONNECTING there is no WebSocket to close yet ([`UsageError::Connecting`]): a
    /// server rejects, a client that gives up calls [`reset`](Self::reset) and drops the
    /// transport (RFC 6455 §7.1.7).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        match &self.state {
            State::Open => {}
            State::Closing(_) => return Err(UsageError::AlreadyClosing.into()),
            State::Connecting(_) | State::Closed(_) => return self.check_open(),
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

/// The error every call returns once the connection closed: the one that failed it, if any.
fn sticky(closed: &Closed) -> Error {
    closed
        .cause
        .error()
        .cloned()
        .unwrap_or(UsageError::Closed.into())
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
