//! One HTTP/2 stream and the session it carries: request content and flow-control credit
//! in, the session's commands out as frames.
//!
//! A [`Stream`] never owns the connection: every call gets a [`Cx`] with the machine and
//! the acks the driver answers once the machine's output is on the wire. That keeps the
//! per-stream rules here and the socket, the timers and the event loop in `h2::mod`.

use crate::app::queue;
use bytes::Bytes;
use http::header::{ALT_SVC, CONTENT_LENGTH};
use http::{HeaderMap, HeaderValue, Method, StatusCode, response};
use stator_h2::{Connection, ErrorCode, StreamId};
use stator_ws::handshake::{Negotiated, Offer, connect as handshake};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::app::SessionError;
use crate::app::link::{Ack, HttpInbound, Op, WsInbound};
use crate::server::Settings;
use crate::ws::{Bridge, KeepAlive};

/// An acknowledgement to answer once the output it waits for is written.
pub(super) enum Answer {
    /// An HTTP or WebSocket-handshake operation.
    Done(Ack),
    /// A WebSocket accept, with what was negotiated.
    Accepted(
        oneshot::Sender<Result<Negotiated, SessionError>>,
        Negotiated,
    ),
}

impl Answer {
    /// Answers with success, or with `Disconnected` if the write failed.
    pub(super) fn answer(self, ok: bool) {
        match (self, ok) {
            (Answer::Done(ack), true) => drop(ack.send(Ok(()))),
            (Answer::Done(ack), false) => drop(ack.send(Err(SessionError::Disconnected))),
            (Answer::Accepted(ack, negotiated), true) => drop(ack.send(Ok(negotiated))),
            (Answer::Accepted(ack, _), false) => {
                drop(ack.send(Err(SessionError::Disconnected)));
            }
        }
    }
}

/// What a stream works with: the machine, the answers waiting for the next write, the
/// server's settings.
pub(super) struct Cx<'a> {
    pub(super) conn: &'a mut Connection,
    pub(super) answers: &'a mut Vec<Answer>,
    pub(super) settings: &'a Settings,
    pub(super) draining: bool,
}

/// Where a response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resp {
    Idle,
    Started,
    Done,
}

/// Content `send_data` did not take yet, and the ack that waits for all of it.
struct Pending {
    data: Bytes,
    end: bool,
    ack: Ack,
    /// Since when the stream has made no progress: a peer that never gives credit
    /// would hold the session forever.
    since: Instant,
}

/// An HTTP exchange.
pub(super) struct Http {
    body: Option<queue::Sender<HttpInbound>>,
    /// Delivered to the session and not yet reported consumed: flow-control credit
    /// that goes back to the peer only as the application takes the data.
    unconsumed: usize,
    response: Resp,
    method: Method,
    no_content: bool,
    expect_continue: bool,
    pending: Option<Pending>,
}

/// An accepted WebSocket carried in the stream's DATA.
pub(super) struct Ws {
    pub(super) bridge: Bridge,
    /// Bridge output `send_data` did not take yet.
    leftover: Option<Bytes>,
    /// Since when that output has made no progress.
    stalled_since: Option<Instant>,
    /// `END_STREAM` is sent.
    ended: bool,
}

impl Ws {
    /// Whether bridge output waits for flow-control credit.
    pub(super) fn has_leftover(&self) -> bool {
        self.leftover.is_some()
    }
}

/// What the stream carries.
enum Kind {
    Http(Http),
    /// An Extended CONNECT waiting for the application's accept or reject.
    Handshake {
        offer: Offer,
        tx: queue::Sender<WsInbound>,
    },
    Ws(Box<Ws>),
    /// The handshake was refused: the response is complete.
    Refused,
}

/// One stream of the connection.
pub(super) struct Stream {
    id: StreamId,
    kind: Kind,
    /// The peer ended its side (`END_STREAM`, trailers).
    peer_done: bool,
    /// The session sent `Dropped`.
    session_gone: bool,
}

impl Stream {
    /// A request whose session reads `body`.
    pub(super) fn http(
        id: StreamId,
        body: queue::Sender<HttpInbound>,
        method: Method,
        expect_continue: bool,
        end_stream: bool,
    ) -> Stream {
        if end_stream {
            let _ = body.send(HttpInbound::End(HeaderMap::new()));
        }
        Stream {
            id,
            kind: Kind::Http(Http {
                body: Some(body),
                unconsumed: 0,
                response: Resp::Idle,
                method,
                no_content: false,
                expect_continue: expect_continue && !end_stream,
                pending: None,
            }),
            peer_done: end_stream,
            session_gone: false,
        }
    }

    /// An Extended CONNECT whose session decides.
    pub(super) fn handshake(
        id: StreamId,
        offer: Offer,
        tx: queue::Sender<WsInbound>,
        end_stream: bool,
    ) -> Stream {
        Stream {
            id,
            kind: Kind::Handshake { offer, tx },
            peer_done: end_stream,
            session_gone: false,
        }
    }

    /// The accepted WebSocket, if it is one.
    pub(super) fn ws(&mut self) -> Option<&mut Ws> {
        match &mut self.kind {
            Kind::Ws(ws) => Some(ws),
            _ => None,
        }
    }

    /// Whether the driver can forget the stream: its session is gone and nothing is
    /// left to send, or everything is over both ways.
    pub(super) fn is_finished(&self) -> bool {
        match &self.kind {
            Kind::Http(h) => h.response == Resp::Done && (self.session_gone || self.peer_done),
            Kind::Handshake { .. } => false,
            Kind::Refused => self.session_gone,
            Kind::Ws(ws) => ws.ended && self.peer_done,
        }
    }

    /// Request content (or tunnel bytes) arrived.
    pub(super) fn data(&mut self, data: Bytes, end_stream: bool, cx: &mut Cx<'_>) {
        let n = data.len();
        self.peer_done |= end_stream;
        match &mut self.kind {
            Kind::Http(h) => {
                let delivered = match &h.body {
                    Some(tx) if !data.is_empty() => tx.send(HttpInbound::Data(data)).is_ok(),
                    _ => false,
                };
                if delivered {
                    h.unconsumed = h.unconsumed.saturating_add(n);
                } else {
                    release(cx.conn, self.id, n);
                }
                if end_stream && let Some(tx) = &h.body {
                    let _ = tx.send(HttpInbound::End(HeaderMap::new()));
                }
            }
            Kind::Ws(ws) => {
                if !data.is_empty() {
                    ws.bridge.recv(data);
                }
                if end_stream {
                    ws.bridge.recv_eof();
                }
                release(cx.conn, self.id, ws.bridge.take_credit());
            }
            // Before the answer (or after a refusal) there is no tunnel yet.
            Kind::Handshake { .. } | Kind::Refused => release(cx.conn, self.id, n),
        }
    }

    /// The request's trailers: its end.
    pub(super) fn trailers(&mut self, trailers: HeaderMap) {
        self.peer_done = true;
        match &mut self.kind {
            Kind::Http(h) => {
                if let Some(tx) = &h.body {
                    let _ = tx.send(HttpInbound::End(trailers));
                }
            }
            Kind::Ws(ws) => ws.bridge.recv_eof(),
            Kind::Handshake { .. } | Kind::Refused => {}
        }
    }

    /// The stream was reset (by the peer or the machine): tell the session.
    pub(super) fn reset(self) {
        match self.kind {
            Kind::Http(h) => {
                if let Some(tx) = h.body
                    && !self.peer_done
                {
                    let _ = tx.send(HttpInbound::Disconnect);
                }
                if let Some(p) = h.pending {
                    let _ = p.ack.send(Err(SessionError::Disconnected));
                }
            }
            Kind::Handshake { tx, .. } => {
                let _ = tx.send(WsInbound::Disconnect {
                    code: stator_ws::CloseCode::ABNORMAL,
                    reason: String::new(),
                });
            }
            Kind::Ws(mut ws) => ws.bridge.reset(),
            Kind::Refused => {}
        }
    }

    /// The connection is over: tell the session, like a reset.
    pub(super) fn disconnect(self) {
        self.reset();
    }

    /// Since when the response has waited for the peer's flow-control credit.
    pub(super) fn stalled_since(&self) -> Option<Instant> {
        match &self.kind {
            Kind::Http(h) => h.pending.as_ref().map(|p| p.since),
            Kind::Ws(ws) => ws.stalled_since,
            Kind::Handshake { .. } | Kind::Refused => None,
        }
    }

    /// The stream may send again: retry what `send_data` left.
    pub(super) fn writable(&mut self, cx: &mut Cx<'_>) {
        if let Kind::Http(h) = &mut self.kind
            && let Some(p) = h.pending.take()
        {
            send_data(cx, self.id, h, &p.data, p.end, p.ack, Some(p.since));
        }
        // A WebSocket's leftover goes in the driver's next `pump`.
    }

    /// What the session asked.
    pub(super) fn command(&mut self, op: Op, cx: &mut Cx<'_>) {
        let id = self.id;
        if let Op::Dropped { panicked } = op {
            self.dropped(panicked, cx);
            return;
        }
        match &mut self.kind {
            Kind::Http(h) => http_command(cx, id, h, self.peer_done, op),
            Kind::Ws(ws) => {
                ws.bridge.command(op);
                release(cx.conn, id, ws.bridge.take_credit());
            }
            Kind::Handshake { .. } => match op {
                Op::Accept(accept) => self.accept(*accept, cx),
                Op::Reject(status, ack) => {
                    let head = empty_head(status, cx.settings);
                    match cx.conn.send_response(id, &head, true) {
                        Ok(()) => cx.answers.push(Answer::Done(ack)),
                        Err(e) => drop(ack.send(Err(SessionError::Refused(e.to_string())))),
                    }
                    self.kind = Kind::Refused;
                }
                op => op.refuse(SessionError::OutOfTurn("the WebSocket is not open")),
            },
            Kind::Refused => op.refuse(SessionError::OutOfTurn("the handshake was answered")),
        }
    }

    /// `websocket.accept`: `:status 200` (RFC 8441 §5), then the tunnel.
    fn accept(&mut self, accept: crate::app::link::AcceptOp, cx: &mut Cx<'_>) {
        let Kind::Handshake { offer, tx } = std::mem::replace(&mut self.kind, Kind::Refused) else {
            return;
        };
        let built = handshake::accept(&offer, &accept.options)
            .map_err(|e| SessionError::Refused(e.to_string()))
            .and_then(|(mut head, negotiated)| {
                decorate(&mut head, cx.settings);
                cx.conn
                    .send_response(self.id, &head, false)
                    .map(|()| negotiated)
                    .map_err(|e| SessionError::Refused(e.to_string()))
            });
        let negotiated = match built {
            Ok(negotiated) => negotiated,
            Err(error) => {
                let _ = accept.ack.send(Err(error));
                self.kind = Kind::Handshake { offer, tx };
                return;
            }
        };
        let settings = cx.settings;
        let config = stator_ws::Config::server()
            .with_limits(settings.ws_limits)
            .with_deflate(negotiated.deflate);
        let keep_alive = KeepAlive {
            ping_after: settings.ws_ping_interval,
            idle_timeout: settings.ws_idle_timeout,
        };
        let mut bridge = Bridge::new(
            stator_ws::Connection::new(config),
            tx,
            settings.max_unconsumed,
            keep_alive,
        );
        if self.peer_done {
            bridge.recv_eof();
        }
        if cx.draining {
            bridge.going_away();
        }
        cx.answers.push(Answer::Accepted(accept.ack, negotiated));
        self.kind = Kind::Ws(Box::new(Ws {
            bridge,
            leftover: None,
            stalled_since: None,
            ended: false,
        }));
    }

    /// The session is gone: answer for it if it did not, give back the credit it held.
    fn dropped(&mut self, panicked: bool, cx: &mut Cx<'_>) {
        self.session_gone = true;
        let id = self.id;
        match &mut self.kind {
            Kind::Http(h) => {
                h.body = None;
                release(cx.conn, id, std::mem::take(&mut h.unconsumed));
                match h.response {
                    Resp::Idle => {
                        if panicked {
                            warn!(stream = %id, "the handler panicked: 500");
                        } else {
                            debug!(stream = %id, "the handler did not respond: 500");
                        }
                        let head = empty_head(StatusCode::INTERNAL_SERVER_ERROR, cx.settings);
                        if cx.conn.send_response(id, &head, true).is_err() {
                            let _ = cx.conn.send_reset(id, ErrorCode::INTERNAL_ERROR);
                        }
                        h.response = Resp::Done;
                    }
                    Resp::Started => {
                        debug!(stream = %id, panicked, "response abandoned: RST_STREAM");
                        let _ = cx.conn.send_reset(id, ErrorCode::INTERNAL_ERROR);
                        h.response = Resp::Done;
                        h.pending = None;
                        self.peer_done = true;
                        return;
                    }
                    Resp::Done => {}
                }
                // The response is complete; the rest of the request is not wanted
                // (RFC 9113 §8.1).
                if !self.peer_done {
                    let _ = cx.conn.send_reset(id, ErrorCode::NO_ERROR);
                    self.peer_done = true;
                }
            }
            Kind::Handshake { .. } => {
                let status = if panicked {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::FORBIDDEN
                };
                debug!(stream = %id, %status, "WebSocket handshake not accepted");
                let head = empty_head(status, cx.settings);
                let _ = cx.conn.send_response(id, &head, true);
                self.kind = Kind::Refused;
                if !self.peer_done {
                    let _ = cx.conn.send_reset(id, ErrorCode::NO_ERROR);
                    self.peer_done = true;
                }
            }
            Kind::Refused => {
                if !self.peer_done {
                    let _ = cx.conn.send_reset(id, ErrorCode::NO_ERROR);
                    self.peer_done = true;
                }
            }
            Kind::Ws(ws) => {
                ws.bridge.command(Op::Dropped { panicked });
                release(cx.conn, id, ws.bridge.take_credit());
            }
        }
    }

    /// Moves the bridge's output into the machine, ends the stream once the WebSocket is
    /// over, and gives back the credit of what the session took. True if all of the
    /// bridge's output was taken (its acks may be answered after the next write).
    pub(super) fn pump_ws(&mut self, cx: &mut Cx<'_>) -> bool {
        let id = self.id;
        let Kind::Ws(ws) = &mut self.kind else {
            return true;
        };
        if ws.ended {
            return true;
        }
        loop {
            let chunk = match ws.leftover.take() {
                Some(chunk) => chunk,
                None => match ws.bridge.poll_transmit() {
                    Some(chunk) => chunk,
                    None => break,
                },
            };
            match cx.conn.send_data(id, &chunk, false) {
                Ok(n) if n >= chunk.len() => ws.stalled_since = None,
                Ok(n) => {
                    ws.stalled_since = match ws.stalled_since {
                        Some(since) if n == 0 => Some(since),
                        _ => Some(Instant::now()),
                    };
                    ws.leftover = Some(chunk.slice(n..));
                    return false;
                }
                Err(error) => {
                    debug!(stream = %id, %error, "WebSocket output refused");
                    ws.bridge.reset();
                    ws.ended = true;
                    self.peer_done = true;
                    return true;
                }
            }
        }
        if ws.bridge.is_done() {
            // The close handshake is over: END_STREAM (RFC 8441 §4).
            let _ = cx.conn.send_data(id, &[], true);
            ws.ended = true;
        }
        release(cx.conn, id, ws.bridge.take_credit());
        true
    }
}

/// HTTP: what the session asked.
fn http_command(cx: &mut Cx<'_>, id: StreamId, h: &mut Http, peer_done: bool, op: Op) {
    match op {
        Op::WantBody => {
            if h.expect_continue && h.response == Resp::Idle && !peer_done {
                h.expect_continue = false;
                let head = empty_head(StatusCode::CONTINUE, cx.settings);
                if let Err(error) = cx.conn.send_response(id, &head, false) {
                    debug!(%error, "100 Continue refused");
                }
            }
        }
        Op::Consumed(n) => {
            let n = n.min(h.unconsumed);
            h.unconsumed = h.unconsumed.saturating_sub(n);
            release(cx.conn, id, n);
        }
        Op::Start(head, ack) => match start(cx, id, h, head) {
            Ok(()) => cx.answers.push(Answer::Done(ack)),
            Err(error) => drop(ack.send(Err(error))),
        },
        Op::Respond { head, body, ack } => match start(cx, id, h, head) {
            Ok(()) => {
                let body = if h.no_content { Bytes::new() } else { body };
                send_data(cx, id, h, &body, true, ack, None);
            }
            Err(error) => drop(ack.send(Err(error))),
        },
        Op::Body { data, more, ack } => {
            if h.response != Resp::Started || h.pending.is_some() {
                let _ = ack.send(Err(SessionError::OutOfTurn("no response in progress")));
                return;
            }
            let data = if h.no_content { Bytes::new() } else { data };
            send_data(cx, id, h, &data, !more, ack, None);
        }
        Op::Trailers(trailers, ack) => {
            if h.response != Resp::Started || h.pending.is_some() {
                let _ = ack.send(Err(SessionError::OutOfTurn("no response in progress")));
                return;
            }
            match cx.conn.send_trailers(id, &trailers) {
                Ok(()) => {
                    h.response = Resp::Done;
                    cx.answers.push(Answer::Done(ack));
                }
                Err(error) => drop(ack.send(Err(SessionError::Refused(error.to_string())))),
            }
        }
        op => op.refuse(SessionError::OutOfTurn("not a WebSocket")),
    }
}

/// `http.response.start`.
fn start(
    cx: &mut Cx<'_>,
    id: StreamId,
    h: &mut Http,
    mut head: Box<response::Parts>,
) -> Result<(), SessionError> {
    if h.response != Resp::Idle {
        return Err(SessionError::OutOfTurn("the response has started"));
    }
    decorate(&mut head, cx.settings);
    // HTTP/2 has no 101 (RFC 9113 §8.6): the machine refuses it.
    cx.conn
        .send_response(id, &head, false)
        .map_err(|error| SessionError::Refused(error.to_string()))?;
    h.response = Resp::Started;
    h.no_content = h.method == Method::HEAD
        || head.status == StatusCode::NO_CONTENT
        || head.status == StatusCode::NOT_MODIFIED;
    Ok(())
}

/// Offers `data` to the machine; keeps what it did not take, with the ack, for
/// [`Stream::writable`]. `stalled` is when the retried content first stalled.
fn send_data(
    cx: &mut Cx<'_>,
    id: StreamId,
    h: &mut Http,
    data: &Bytes,
    end: bool,
    ack: Ack,
    stalled: Option<Instant>,
) {
    if data.is_empty() && !end {
        cx.answers.push(Answer::Done(ack));
        return;
    }
    match cx.conn.send_data(id, data, end) {
        Ok(n) if n >= data.len() => {
            if end {
                h.response = Resp::Done;
            }
            cx.answers.push(Answer::Done(ack));
        }
        Ok(n) => {
            let since = match stalled {
                Some(since) if n == 0 => since,
                _ => Instant::now(),
            };
            h.pending = Some(Pending {
                data: data.slice(n..),
                end,
                ack,
                since,
            });
        }
        Err(error) => drop(ack.send(Err(SessionError::Refused(error.to_string())))),
    }
}

/// Gives `n` bytes of credit back to the peer (RFC 9113 §6.9).
fn release(conn: &mut Connection, id: StreamId, n: usize) {
    if n > 0 {
        let _ = conn.release_capacity(id, n);
    }
}

/// A response head without content, from the server itself.
fn empty_head(status: StatusCode, settings: &Settings) -> response::Parts {
    let (mut head, ()) = http::Response::new(()).into_parts();
    head.status = status;
    head.version = http::Version::HTTP_2;
    if !status.is_informational() {
        head.headers
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        decorate(&mut head, settings);
    }
    head
}

/// Adds the server's fields: Alt-Svc, if configured and the response has none.
fn decorate(head: &mut response::Parts, settings: &Settings) {
    // A handler written for HTTP/1.1 may set `Connection`, `Keep-Alive`,
    // `Transfer-Encoding` or `Upgrade`; HTTP/2 has no such fields (RFC 9113 §8.2.2), so
    // they are dropped here, as an HTTP/1.1-to-HTTP/2 intermediary would, rather than the
    // response being refused.
    if stator_http::fields::encode_response(head).is_err() {
        stator_http::fields::remove_connection_specific(&mut head.headers);
    }
    if let Some(alt_svc) = &settings.alt_svc
        && !head.headers.contains_key(ALT_SVC)
    {
        head.headers.insert(ALT_SVC, alt_svc.clone());
    }
}
