//! The plumbing between a connection task and the sessions it carries.
//!
//! # Design
//!
//! A connection task owns the socket and the protocol machine (`stator_h1::Connection`
//! or `stator_h2::Connection`). Each session is a future of its own (the application's
//! handler), polled by the connection task ([`super::sessions`]) or, if the server asks,
//! on a tokio task of its own; either way a panicking handler is contained, and the
//! session reaches the connection only through messages. Between the two there are
//! exactly two kinds of channel:
//!
//! - **One command channel per connection, session → connection** (an unbounded
//!   [`super::queue`] of [`Command`]s). Every session of the connection holds a
//!   [`Link`]: a clone of the sender and its [`SessionId`]. The HTTP/1.1 driver numbers its exchanges; the
//!   HTTP/2 driver uses the stream ID. A connection task multiplexing many sessions
//!   therefore reads *one* channel and routes each command by `id` to its stream. The
//!   channel is unbounded but cannot grow without bound: a session has at most one
//!   acknowledged operation in flight ([`Op::Start`], [`Op::Body`], [`Op::Send`], ...
//!   carry an [`Ack`] the session awaits), plus [`Op::Consumed`] notes, at most one per
//!   item the connection delivered, and those are bounded by the flow control below.
//! - **One inbound channel per session, connection → session**: [`HttpInbound`] for
//!   an HTTP session (request content, trailers, disconnect), [`WsInbound`] for a
//!   WebSocket session (assembled messages, disconnect). These are unbounded too; what
//!   bounds them is *credit*: the connection counts the bytes it delivered and the
//!   session reports each item's size with [`Op::Consumed`] when the application takes
//!   it. The HTTP/1.1 driver stops reading the socket while a session holds more than
//!   `Settings::max_unconsumed` bytes; the HTTP/2 driver must instead call
//!   `release_capacity(stream, n)` only on `Consumed(n)` (with `FlowControl::Manual`),
//!   so a stream's window is the bound and a slow reader stalls only its own stream.
//!   For a WebSocket the credit is in wire bytes, not message bytes (framing and
//!   compression differ): the HTTP/2 driver releases what [`crate::ws::Bridge::take_credit`]
//!   returns after each `recv` and each command it passes to the bridge.
//!
//! Acknowledgements say when the *driver* took the data: the machine accepted it and
//! either the output waiting to be written is short (under [`crate::ws::WRITE_AHEAD`]
//! bytes) or it was written to the transport. That bounds what a session can have in
//! flight to one chunk beyond the write-ahead, and lets a response made at once leave in
//! one write. An HTTP/2 driver whose `send_data` accepts only part of a chunk keeps
//! the rest and the [`Ack`] with the stream, and answers the ack when a `Writable` event
//! lets the rest go.
//!
//! A session always ends with [`Op::Dropped`] (sent by its `Drop`), with `panicked` set
//! when it was dropped while its handler unwound: the driver answers a session that never
//! responded with 500 (or, for a WebSocket, refuses it with 403, or 500 after a panic),
//! ends an open WebSocket with 1000 (1011 after a panic), and aborts a response that had
//! started (closing an HTTP/1.1 connection; an HTTP/2 driver resets the stream).
//!
//! The WebSocket side of a connection, once accepted, is carrier-independent:
//! [`crate::ws::Bridge`] turns bytes into [`WsInbound`] items and [`Op`]s into frames, and
//! is driven with a socket by the HTTP/1.1 driver, and with one Extended CONNECT stream's
//! DATA per bridge by the HTTP/2 driver.

use crate::app::queue;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, response};
use stator_ws::handshake::Negotiated;
use stator_ws::{CloseCode, Message};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use tokio::sync::oneshot;

use super::SessionError;

/// Names a session within its connection: an exchange number over HTTP/1.1, a stream ID
/// over HTTP/2.
pub(crate) type SessionId = u64;

/// Answers an operation once the driver took it.
///
/// A session has at most one acknowledged operation in flight, so the answer goes to a
/// slot of its [`Link`], reused call after call (a `oneshot` channel would allocate per
/// call). Each call is numbered; the answer of a call the session stopped waiting for
/// (its future was dropped) is ignored. An ack dropped unanswered answers
/// [`SessionError::Disconnected`].
#[derive(Debug)]
pub(crate) struct Ack {
    slot: Arc<AckSlot>,
    call: u64,
    answered: bool,
}

#[derive(Debug, Default)]
struct AckSlot {
    state: Mutex<AckState>,
}

#[derive(Debug, Default)]
struct AckState {
    /// The call the session waits for.
    call: u64,
    answer: Option<Result<(), SessionError>>,
    waker: Option<Waker>,
}

impl AckSlot {
    fn lock(&self) -> MutexGuard<'_, AckState> {
        // Nothing panics while holding the lock; a poisoned one still holds valid data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Ack {
    /// Answers the call; gives the answer back if the session no longer waits for it.
    pub(crate) fn send(
        mut self,
        answer: Result<(), SessionError>,
    ) -> Result<(), Result<(), SessionError>> {
        self.answered = true;
        self.deliver(answer)
    }

    fn deliver(&self, answer: Result<(), SessionError>) -> Result<(), Result<(), SessionError>> {
        let waker = {
            let mut state = self.slot.lock();
            if state.call != self.call || state.answer.is_some() {
                return Err(answer);
            }
            state.answer = Some(answer);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        if !self.answered {
            let _ = self.deliver(Err(SessionError::Disconnected));
        }
    }
}

/// What a connection delivers to an HTTP session.
#[derive(Debug)]
pub(crate) enum HttpInbound {
    /// Request content, in order.
    Data(Bytes),
    /// The request is complete, with its trailers (empty if none).
    End(HeaderMap),
    /// The peer went away, or reset the stream, before the request was complete.
    Disconnect,
}

/// What a connection delivers to a WebSocket session.
#[derive(Debug)]
pub(crate) enum WsInbound {
    /// A complete data message.
    Message(Message),
    /// The WebSocket is over, with the close code and reason.
    Disconnect { code: CloseCode, reason: String },
}

/// What a session asks of its connection.
#[derive(Debug)]
pub(crate) enum Op {
    /// HTTP: the application asked for the request content for the first time (send
    /// `100 Continue` if the request expects it and no response has started).
    WantBody,
    /// HTTP and WebSocket: the application took this many bytes of what was delivered.
    Consumed(usize),
    /// HTTP: `http.response.start`.
    Start(Box<response::Parts>, Ack),
    /// HTTP: a whole response at once, `http.response.start` and the last
    /// `http.response.body` in one operation (one ack instead of two).
    Respond {
        head: Box<response::Parts>,
        body: Bytes,
        ack: Ack,
    },
    /// HTTP: `http.response.body`; `more == false` ends the response.
    Body { data: Bytes, more: bool, ack: Ack },
    /// HTTP: ends the response with trailers.
    Trailers(HeaderMap, Ack),
    /// WebSocket: `websocket.accept`.
    Accept(Box<AcceptOp>),
    /// WebSocket: refuse the handshake with this status.
    Reject(StatusCode, Ack),
    /// WebSocket: `websocket.send`.
    Send(Message, Ack),
    /// WebSocket: `websocket.close`.
    Close(CloseCode, String, Ack),
    /// The session is gone; no more commands will come from it.
    Dropped {
        /// Whether the handler was unwinding from a panic.
        panicked: bool,
    },
}

impl Op {
    /// Answers this op with `error` without carrying it out: for a session whose stream or
    /// connection can no longer take it. Ops without an answer are dropped.
    pub(crate) fn refuse(self, error: SessionError) {
        match self {
            Op::Start(_, ack)
            | Op::Respond { ack, .. }
            | Op::Body { ack, .. }
            | Op::Trailers(_, ack)
            | Op::Reject(_, ack)
            | Op::Send(_, ack)
            | Op::Close(_, _, ack) => {
                let _ = ack.send(Err(error));
            }
            Op::Accept(accept) => {
                let _ = accept.ack.send(Err(error));
            }
            Op::WantBody | Op::Consumed(_) | Op::Dropped { .. } => {}
        }
    }
}

/// A WebSocket accept: the options and where to answer with what was negotiated.
#[derive(Debug)]
pub(crate) struct AcceptOp {
    /// The server's answer to the offer.
    pub(crate) options: stator_ws::handshake::AcceptOptions,
    /// Answered once the handshake's response is on the wire.
    pub(crate) ack: oneshot::Sender<Result<Negotiated, SessionError>>,
}

/// An [`Op`] and the session it comes from.
#[derive(Debug)]
pub(crate) struct Command {
    /// Which session.
    pub(crate) id: SessionId,
    /// What it asks.
    pub(crate) op: Op,
}

/// A session's end of the command channel, and where its acks are answered.
#[derive(Debug)]
pub(crate) struct Link {
    id: SessionId,
    tx: queue::Sender<Command>,
    acks: Arc<AckSlot>,
}

impl Link {
    /// A link for session `id` over `tx`.
    pub(crate) fn new(id: SessionId, tx: queue::Sender<Command>) -> Link {
        Link {
            id,
            tx,
            acks: Arc::default(),
        }
    }

    /// Sends `op` without waiting; false if the connection is gone.
    pub(crate) fn post(&self, op: Op) -> bool {
        self.tx.send(Command { id: self.id, op }).is_ok()
    }

    /// Sends the op `make` builds around an [`Ack`], and waits for the answer.
    pub(crate) async fn call(&self, make: impl FnOnce(Ack) -> Op) -> Result<(), SessionError> {
        let call = {
            let mut state = self.acks.lock();
            state.call = state.call.wrapping_add(1);
            state.answer = None;
            state.call
        };
        let ack = Ack {
            slot: Arc::clone(&self.acks),
            call,
            answered: false,
        };
        if !self.post(make(ack)) {
            return Err(SessionError::Disconnected);
        }
        std::future::poll_fn(|cx| {
            let mut state = self.acks.lock();
            if let Some(answer) = state.answer.take() {
                return Poll::Ready(answer);
            }
            match &mut state.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }
}

/// The connection's ends of the channels it creates for a new session.
pub(crate) fn inbound<T>() -> (queue::Sender<T>, queue::Receiver<T>) {
    queue::unbounded()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn ack_of(command: Command) -> Ack {
        match command.op {
            Op::Send(_, ack) => ack,
            other => panic!("{other:?}"),
        }
    }

    fn send_op(ack: Ack) -> Op {
        Op::Send(Message::Text("x".into()), ack)
    }

    #[tokio::test]
    async fn a_call_gets_its_answer_and_a_dropped_ack_disconnects() {
        let (tx, mut rx) = queue::unbounded();
        let link = Link::new(7, tx);
        let answering = tokio::spawn(async move {
            let first = rx.recv().await.unwrap();
            assert_eq!(first.id, 7);
            ack_of(first).send(Ok(())).unwrap();
            // Dropped unanswered: the session sees a disconnect.
            drop(ack_of(rx.recv().await.unwrap()));
            rx
        });
        assert_eq!(link.call(send_op).await, Ok(()));
        assert_eq!(link.call(send_op).await, Err(SessionError::Disconnected));
        drop(answering.await.unwrap());
        // The connection is gone: the call fails at once.
        assert_eq!(link.call(send_op).await, Err(SessionError::Disconnected));
    }

    #[tokio::test]
    async fn the_answer_to_an_abandoned_call_is_not_taken_for_the_next() {
        let (tx, mut rx) = queue::unbounded();
        let link = Link::new(1, tx);
        // The session stops waiting for its first call (a timeout in its handler).
        let abandoned =
            tokio::time::timeout(std::time::Duration::from_millis(10), link.call(send_op)).await;
        assert!(abandoned.is_err());
        let stale = ack_of(rx.try_recv().unwrap());
        let next = tokio::spawn(async move {
            let fresh = ack_of(rx.recv().await.unwrap());
            // The stale ack's answer arrives first, and is refused.
            assert_eq!(
                stale.send(Err(SessionError::Disconnected)),
                Err(Err(SessionError::Disconnected))
            );
            fresh.send(Ok(())).unwrap();
        });
        assert_eq!(link.call(send_op).await, Ok(()));
        next.await.unwrap();
    }
}
