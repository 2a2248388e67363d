//! The HTTP/1.1 connection driver: turns a `stator_h1::Connection` over a socket.
//!
//! One exchange at a time (the machine holds pipelined requests until the response to
//! the current one is complete, so they are served in order). Each request becomes a
//! session, polled by the connection's task ([`app::sessions`](crate::app::sessions));
//! the plumbing is [`app::link`](crate::app::link)'s:
//!
//! - request content goes to the session as it arrives; the driver stops reading the
//!   socket while the session holds more than `max_unconsumed` bytes it has not taken
//!   (backpressure all the way to the client's TCP window);
//! - `100 Continue` goes out when the application first asks for the content
//!   ([`Op::WantBody`]) of a request that expects it, unless a response has started;
//! - the response streams with its Content-Length when the application gives one,
//!   chunked otherwise, with trailers; each piece is acknowledged once the machine took
//!   it while less than [`ws::WRITE_AHEAD`] bytes wait to be written, otherwise once
//!   written, so a response made at once leaves in one write with its head;
//! - `Upgrade: websocket` requests become WebSocket sessions: an accept sends the `101`
//!   (`stator_ws::handshake::h1`), and the connection continues as
//!   [`ws::run_h1`](crate::ws::run_h1) with the bytes that followed the head.
//!
//! Timeouts: the header-read timeout runs from the first byte of a request head (from the
//! connection's start for the first one); the keep-alive timeout between requests; the
//! idle timeout while request content is awaited and on every write.

use crate::app::queue;
use bytes::Bytes;
use http::header::{ALT_SVC, CONNECTION, CONTENT_LENGTH, EXPECT, UPGRADE};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Version, request, response};
use stator_h1::{BodySize, Connection, Event};
use stator_ws::handshake::{Negotiated, h1 as handshake};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::app::link::{self, Ack, Command, HttpInbound, Link, Op, SessionId, WsInbound};
use crate::app::sessions::Sessions;
use crate::app::{HttpSession, Scope, ScopeKind, Session, SessionError, WebSocketSession};
use crate::server::conn::Ctx;
use crate::timer::Timer;
use crate::ws::{self, Bridge, KeepAlive, later};

/// Where the current response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resp {
    Idle,
    Started,
    Done,
}

/// A WebSocket handshake waiting for the application's answer.
struct PendingWs {
    valid: handshake::ValidRequest,
    tx: queue::Sender<WsInbound>,
}

/// The request being served and its response.
struct Exchange {
    id: SessionId,
    body: Option<queue::Sender<HttpInbound>>,
    unconsumed: usize,
    request_done: bool,
    response: Resp,
    expect_continue: bool,
    ws: Option<PendingWs>,
    /// The request's method: a response to HEAD has no content (RFC 9110 §9.3.2).
    method: Method,
    /// The response can have no content (HEAD, 204, 304): the machine takes none.
    no_content: bool,
}

/// A `101` that went out, waiting for the machine's `Upgrade` event.
struct Accepting {
    id: SessionId,
    ack: oneshot::Sender<Result<Negotiated, SessionError>>,
    negotiated: Negotiated,
    tx: queue::Sender<WsInbound>,
}

/// The connection task's state.
struct Driver {
    ctx: Ctx,
    conn: Connection,
    commands_tx: queue::Sender<Command>,
    commands: queue::Receiver<Command>,
    sessions: Sessions,
    next_id: SessionId,
    exchange: Option<Exchange>,
    accepting: Option<Accepting>,
    acks: Vec<Ack>,
    out: Vec<u8>,
    /// The commands taken in one turn (reused).
    batch: std::collections::VecDeque<Command>,
    timer: Timer,
    wait_start: Instant,
    head_start: Option<Instant>,
    last_read: Instant,
    eof: bool,
    abort: bool,
    draining: bool,
}

/// Serves HTTP/1.1 on `io`, whose first bytes `first` were already read.
pub(crate) async fn serve<S>(mut io: S, first: Bytes, ctx: Ctx)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (commands_tx, commands) = queue::unbounded();
    let mode = ctx.settings.sessions;
    let now = Instant::now();
    let started = ctx.started;
    let mut driver = Driver {
        conn: Connection::new(stator_h1::Role::Server, ctx.settings.h1_limits),
        ctx,
        commands_tx,
        commands,
        sessions: Sessions::new(mode),
        next_id: 0,
        exchange: None,
        accepting: None,
        acks: Vec::new(),
        out: Vec::new(),
        batch: std::collections::VecDeque::new(),
        timer: Timer::new(),
        wait_start: now,
        head_start: Some(started),
        last_read: now,
        eof: false,
        abort: false,
        draining: false,
    };
    if !first.is_empty() {
        driver.conn.recv_bytes(first);
    }
    if let Some((bridge, id)) = driver.run(&mut io).await {
        let settings = std::sync::Arc::clone(&driver.ctx.settings);
        let carrier = ws::Carrier {
            commands: &mut driver.commands,
            sessions: &mut driver.sessions,
            shutdown: &mut driver.ctx.shutdown,
        };
        ws::run_h1(&mut io, bridge, id, carrier, &settings).await;
    }
    driver.finish().await;
}

impl Driver {
    /// Serves requests until the connection closes, or until a WebSocket takes it over.
    async fn run<S>(&mut self, io: &mut S) -> Option<(Bridge, SessionId)>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut reader = crate::io::ReadBuffer::new(self.ctx.settings.read_buffer);
        let mut turns = 0_u32;
        loop {
            let upgrade = self.pump_events();
            if upgrade.is_none() && self.complete_exchange() {
                continue;
            }
            // Serve what is at hand before writing, so that a response made at once
            // leaves in one write with its head; a session that keeps itself busy gets
            // a bounded number of turns before the socket is served again.
            if upgrade.is_none() && turns < ws::TURNS && self.turn().await {
                turns = turns.saturating_add(1);
                continue;
            }
            if !self.flush(io).await {
                return None;
            }
            // The acks just answered may have woken the session: serve it before
            // waiting (within the same bound of turns).
            if upgrade.is_none() && turns < ws::TURNS && self.sessions.is_woken() {
                turns = turns.saturating_add(1);
                continue;
            }
            turns = 0;
            if let Some(rest) = upgrade {
                return self.upgraded(rest);
            }
            if self.conn.wants_close() || self.abort || (self.draining && self.exchange.is_none()) {
                let _ = tokio::time::timeout(self.ctx.settings.idle_timeout, io.shutdown()).await;
                return None;
            }
            let max = self.ctx.settings.max_unconsumed;
            let reading = !self.eof
                && self.conn.wants_input()
                && self.exchange.as_ref().is_none_or(|e| e.unconsumed < max);
            let deadline = self.deadline(reading);
            tokio::select! {
                read = reader.read(io), if reading => {
                    if let Ok(Some(data)) = self.busy(read) {
                        let now = Instant::now();
                        self.last_read = now;
                        if self.exchange.is_none() && self.head_start.is_none() {
                            self.head_start = Some(now);
                        }
                        self.conn.recv_bytes(data);
                    } else {
                        self.eof = true;
                        self.conn.recv_eof();
                    }
                }
                Some(command) = self.commands.recv() => {
                    self.busy(());
                    self.command(command);
                }
                () = self.sessions.woken() => {}
                () = self.timer.until(deadline), if deadline.is_some() => {
                    debug!(in_exchange = self.exchange.is_some(), "timed out");
                    self.disconnect_session();
                    return None;
                }
                () = self.ctx.shutdown.wait(), if !self.draining => self.draining = true,
            }
        }
    }

    /// The task woke to work: what it hands its sessions and what they send back must
    /// not wake it again (`Sessions::busy`, `queue::Receiver::disarm`). Passes `x`
    /// through.
    fn busy<T>(&mut self, x: T) -> T {
        self.sessions.busy();
        self.commands.disarm();
        x
    }

    /// When to give up waiting.
    fn deadline(&self, reading: bool) -> Option<Instant> {
        let settings = &self.ctx.settings;
        match &self.exchange {
            None => Some(match self.head_start {
                Some(start) => later(start, settings.header_read_timeout),
                None => later(self.wait_start, settings.keep_alive_timeout),
            }),
            Some(e) if reading && !e.request_done => {
                Some(later(self.last_read, settings.idle_timeout))
            }
            Some(_) => None,
        }
    }

    /// Takes the machine's events; returns the bytes after a `101` once it switched.
    fn pump_events(&mut self) -> Option<Bytes> {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Request(head) => self.request(head),
                Event::Data(data) => {
                    if let Some(e) = &mut self.exchange
                        && e.response != Resp::Done
                        && let Some(tx) = &e.body
                    {
                        e.unconsumed = e.unconsumed.saturating_add(data.len());
                        if tx.send(HttpInbound::Data(data)).is_err() {
                            e.body = None;
                            e.unconsumed = 0;
                        }
                    }
                }
                Event::End(trailers) => {
                    if let Some(e) = &mut self.exchange {
                        e.request_done = true;
                        if let Some(tx) = &e.body {
                            let _ = tx.send(HttpInbound::End(trailers));
                        }
                    }
                }
                Event::Upgrade(upgrade) => return Some(upgrade.rest),
                Event::Error(error) => {
                    debug!(%error, "the client broke HTTP/1.1");
                    self.disconnect_session();
                }
                Event::Closed if self.exchange.as_ref().is_some_and(|e| !e.request_done) => {
                    self.disconnect_session();
                }
                _ => {}
            }
        }
        None
    }

    /// A request head arrived: start its session.
    fn request(&mut self, head: request::Parts) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.head_start = None;
        let link = Link::new(id, self.commands_tx.clone());
        let info = self.ctx.info;
        if has_token(&head.headers, &UPGRADE, "websocket") {
            match handshake::check_request(&head) {
                Ok(valid) => {
                    let (tx, rx) = link::inbound();
                    let scope = Scope::new(
                        ScopeKind::WebSocket,
                        &head,
                        info,
                        valid.offer.subprotocols.clone(),
                    );
                    let limit = self.ctx.settings.max_unconsumed;
                    let session = WebSocketSession::new(scope, head, link, rx, limit);
                    self.start(id, None, Some(PendingWs { valid, tx }), false, Method::GET);
                    self.spawn(Session::WebSocket(session));
                }
                Err(error) => {
                    debug!(%error, "invalid WebSocket handshake");
                    let response = handshake::reject(&error);
                    self.start(id, None, None, false, Method::GET);
                    self.respond_empty(&response);
                }
            }
            return;
        }
        let expect_continue = head.version == Version::HTTP_11
            && head
                .headers
                .get(EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let method = head.method.clone();
        let (tx, rx) = link::inbound();
        let session = HttpSession::new(info, head, link, rx);
        self.start(id, Some(tx), None, expect_continue, method);
        self.spawn(Session::Http(session));
    }

    fn start(
        &mut self,
        id: SessionId,
        body: Option<queue::Sender<HttpInbound>>,
        ws: Option<PendingWs>,
        expect_continue: bool,
        method: Method,
    ) {
        self.exchange = Some(Exchange {
            id,
            body,
            unconsumed: 0,
            request_done: false,
            response: Resp::Idle,
            expect_continue,
            ws,
            method,
            no_content: false,
        });
    }

    fn spawn(&mut self, session: Session) {
        let future = self.ctx.app.call(session);
        self.sessions.start(future);
    }

    /// Runs the sessions that were woken and carries out what they asked; answers the
    /// acks of what the machine took while the output is short. True if anything ran.
    async fn turn(&mut self) -> bool {
        let ran = std::future::poll_fn(|cx| self.sessions.run(cx)).await;
        let mut batch = std::mem::take(&mut self.batch);
        self.commands.take_all(&mut batch);
        let asked = !batch.is_empty();
        while let Some(command) = batch.pop_front() {
            self.command(command);
        }
        self.batch = batch;
        let _ = self.conn.poll_output(&mut self.out);
        if self.out.len() < ws::WRITE_AHEAD {
            for ack in self.acks.drain(..) {
                let _ = ack.send(Ok(()));
            }
        }
        ran || asked
    }

    /// Ends the exchange once both halves are complete; true if it did (the next
    /// pipelined request may be waiting in the machine).
    fn complete_exchange(&mut self) -> bool {
        let done = self
            .exchange
            .as_ref()
            .is_some_and(|e| e.request_done && e.response == Resp::Done && e.ws.is_none());
        if done {
            self.exchange = None;
            self.wait_start = Instant::now();
            self.head_start = None;
        }
        done
    }

    /// Tells the current session that the client is gone.
    fn disconnect_session(&mut self) {
        if let Some(e) = &mut self.exchange {
            if let Some(tx) = e.body.take() {
                let _ = tx.send(HttpInbound::Disconnect);
            }
            if let Some(ws) = e.ws.take() {
                let _ = ws.tx.send(WsInbound::Disconnect {
                    code: stator_ws::CloseCode::ABNORMAL,
                    reason: String::new(),
                });
            }
        }
    }

    /// Writes what the machine has; answers the acks once written. False if the socket
    /// failed.
    async fn flush<S: AsyncWrite + Unpin>(&mut self, io: &mut S) -> bool {
        let _ = self.conn.poll_output(&mut self.out);
        if !self.out.is_empty() {
            let limit = self.ctx.settings.idle_timeout;
            if !crate::io::write_all(io, &self.out, limit).await {
                debug!("write failed or stalled");
                for ack in self.acks.drain(..) {
                    let _ = ack.send(Err(SessionError::Disconnected));
                }
                self.disconnect_session();
                return false;
            }
            self.out.clear();
            // A big response chunk does not stay allocated for a connection's lifetime.
            if self.out.capacity() > 4 * ws::WRITE_AHEAD {
                self.out.shrink_to(ws::WRITE_AHEAD);
            }
        }
        for ack in self.acks.drain(..) {
            let _ = ack.send(Ok(()));
        }
        true
    }

    /// The `101` is written: hand the connection to the WebSocket.
    fn upgraded(&mut self, rest: Bytes) -> Option<(Bridge, SessionId)> {
        let accepting = self.accepting.take()?;
        let settings = &self.ctx.settings;
        let config = stator_ws::Config::server()
            .with_limits(settings.ws_limits)
            .with_deflate(accepting.negotiated.deflate);
        let keep_alive = KeepAlive {
            ping_after: settings.ws_ping_interval,
            idle_timeout: settings.ws_idle_timeout,
        };
        let mut bridge = Bridge::new(
            stator_ws::Connection::new(config),
            accepting.tx,
            settings.max_unconsumed,
            keep_alive,
        );
        if !rest.is_empty() {
            bridge.recv(rest);
        }
        let _ = accepting.ack.send(Ok(accepting.negotiated));
        self.exchange = None;
        Some((bridge, accepting.id))
    }

    /// What a session asked.
    fn command(&mut self, Command { id, op }: Command) {
        let Some(e) = self.exchange.as_mut().filter(|e| e.id == id) else {
            op.refuse(SessionError::Disconnected);
            return;
        };
        match op {
            Op::WantBody => {
                if e.expect_continue && e.response == Resp::Idle && !e.request_done {
                    e.expect_continue = false;
                    if let Err(error) = self.conn.send_continue() {
                        debug!(%error, "100 Continue refused");
                    }
                }
            }
            Op::Consumed(n) => e.unconsumed = e.unconsumed.saturating_sub(n),
            Op::Start(head, ack) => match self.start_response(*head) {
                Ok(()) => self.acks.push(ack),
                Err(error) => drop(ack.send(Err(error))),
            },
            Op::Respond { head, body, ack } => match self.start_response(*head) {
                Ok(()) => self.send_body(body, false, ack),
                Err(error) => drop(ack.send(Err(error))),
            },
            Op::Body { data, more, ack } => self.send_body(data, more, ack),
            Op::Trailers(trailers, ack) => {
                if e.response != Resp::Started {
                    let _ = ack.send(Err(SessionError::OutOfTurn("no response in progress")));
                    return;
                }
                let sent = self.conn.send_end(Some(&trailers));
                self.after_send(sent, true, ack);
            }
            Op::Accept(accept) => {
                let Some(pending) = e.ws.take() else {
                    let _ = accept
                        .ack
                        .send(Err(SessionError::OutOfTurn("the handshake was answered")));
                    return;
                };
                let built = handshake::accept(&pending.valid, &accept.options)
                    .map_err(|e| SessionError::Refused(e.to_string()))
                    .and_then(|(head, negotiated)| {
                        self.conn
                            .send_response(&head, BodySize::Empty)
                            .map(|()| negotiated)
                            .map_err(|e| SessionError::Refused(e.to_string()))
                    });
                match built {
                    Ok(negotiated) => {
                        e.response = Resp::Done;
                        self.accepting = Some(Accepting {
                            id,
                            ack: accept.ack,
                            negotiated,
                            tx: pending.tx,
                        });
                    }
                    Err(error) => {
                        e.ws = Some(pending);
                        let _ = accept.ack.send(Err(error));
                    }
                }
            }
            Op::Reject(status, ack) => {
                if e.ws.take().is_none() {
                    let _ = ack.send(Err(SessionError::OutOfTurn("the handshake was answered")));
                    return;
                }
                let response = handshake::reject_with_status(status);
                self.respond_empty(&response);
                self.acks.push(ack);
            }
            Op::Send(_, ack) | Op::Close(_, _, ack) => {
                let _ = ack.send(Err(SessionError::OutOfTurn("the WebSocket is not open")));
            }
            Op::Dropped { panicked } => self.dropped(panicked),
        }
    }

    /// `http.response.start`.
    fn start_response(&mut self, mut head: response::Parts) -> Result<(), SessionError> {
        self.decorate(&mut head);
        let e = self.exchange.as_mut().ok_or(SessionError::Disconnected)?;
        if e.ws.is_some() {
            return Err(SessionError::OutOfTurn("a WebSocket handshake"));
        }
        if e.response != Resp::Idle {
            return Err(SessionError::OutOfTurn("the response has started"));
        }
        let size = match head.headers.get(CONTENT_LENGTH) {
            None => BodySize::Unknown,
            Some(value) => BodySize::Known(
                value
                    .to_str()
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .ok_or_else(|| SessionError::Refused("invalid content-length".into()))?,
            ),
        };
        self.conn
            .send_response(&head, size)
            .map_err(|error| SessionError::Refused(error.to_string()))?;
        e.response = Resp::Started;
        e.no_content = e.method == Method::HEAD
            || head.status == StatusCode::NO_CONTENT
            || head.status == StatusCode::NOT_MODIFIED;
        Ok(())
    }

    /// `http.response.body`.
    fn send_body(&mut self, data: Bytes, more: bool, ack: Ack) {
        let Some(e) = self.exchange.as_mut() else {
            let _ = ack.send(Err(SessionError::Disconnected));
            return;
        };
        if e.response != Resp::Started {
            let _ = ack.send(Err(SessionError::OutOfTurn("no response in progress")));
            return;
        }
        let data = if e.no_content { Bytes::new() } else { data };
        let sent = self.conn.send_data(&data).and_then(|()| {
            if more {
                Ok(())
            } else {
                self.conn.send_end(None)
            }
        });
        self.after_send(sent, !more, ack);
    }

    /// Adds the server's fields: Alt-Svc, and `Connection: close` while draining.
    fn decorate(&self, head: &mut response::Parts) {
        if let Some(alt_svc) = &self.ctx.settings.alt_svc
            && !head.headers.contains_key(ALT_SVC)
        {
            head.headers.insert(ALT_SVC, alt_svc.clone());
        }
        if self.draining {
            head.headers
                .append(CONNECTION, HeaderValue::from_static("close"));
        }
    }

    fn after_send(&mut self, sent: Result<(), stator_h1::Error>, ends: bool, ack: Ack) {
        let Some(e) = self.exchange.as_mut() else {
            return;
        };
        match sent {
            Ok(()) => {
                if ends {
                    e.response = Resp::Done;
                }
                self.acks.push(ack);
            }
            Err(error) => {
                let _ = ack.send(Err(SessionError::Refused(error.to_string())));
            }
        }
    }

    /// A complete response without content, from the server itself.
    fn respond_empty(&mut self, response: &response::Parts) {
        let mut head = clone_head(response);
        self.decorate(&mut head);
        let length = head.headers.contains_key(CONTENT_LENGTH);
        let sent = if length {
            self.conn.send_response(&head, BodySize::Empty)
        } else {
            self.conn
                .send_response(&head, BodySize::Known(0))
                .and_then(|()| self.conn.send_end(None))
        };
        if let Err(error) = sent {
            warn!(%error, "could not answer");
            self.abort = true;
        }
        if let Some(e) = &mut self.exchange {
            e.response = Resp::Done;
        }
    }

    /// The session is gone: answer for it if it did not.
    fn dropped(&mut self, panicked: bool) {
        let Some(e) = self.exchange.as_mut() else {
            return;
        };
        e.body = None;
        e.unconsumed = 0;
        match e.response {
            Resp::Done => {}
            Resp::Started => {
                debug!("response abandoned: closing");
                self.abort = true;
            }
            Resp::Idle => {
                let status = if e.ws.take().is_some() && !panicked {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                if panicked {
                    warn!("the handler panicked: {status}");
                } else {
                    debug!("the handler did not respond: {status}");
                }
                self.respond_empty(&handshake::reject_with_status(status));
            }
        }
    }

    /// The connection is over: let the sessions finish (for a while).
    async fn finish(mut self) {
        self.disconnect_session();
        self.exchange = None;
        // Commands queued or yet to come are refused at once: a session blocked on an
        // ack (a WebSocket send after a stalled write) sees `Disconnected`, then its
        // disconnect event, instead of waiting out the grace period to be aborted.
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            command.op.refuse(SessionError::Disconnected);
        }
        drop(self.commands_tx);
        self.sessions.drain(self.ctx.settings.idle_timeout).await;
    }
}

fn clone_head(head: &response::Parts) -> response::Parts {
    let (mut parts, ()) = http::Response::new(()).into_parts();
    parts.status = head.status;
    parts.version = head.version;
    parts.headers = head.headers.clone();
    parts
}

/// Whether a comma-separated field lists `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: &http::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}
