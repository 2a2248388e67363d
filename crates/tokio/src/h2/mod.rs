//! The HTTP/2 connection driver: turns a `stator_h2::Connection` over a socket (prior
//! knowledge in cleartext, or ALPN `h2`).
//!
//! One task multiplexes every stream of the connection; each request becomes a session,
//! polled by that task ([`app::sessions`](crate::app::sessions)) and wired with
//! [`app::link`](crate::app::link)'s channels, tagged with its stream ID:
//!
//! - socket reads go to the machine, its events to the sessions; the sessions' commands
//!   (one channel for the whole connection) become frames; the machine's output is
//!   written once the sessions have nothing more to say (or after a bounded number of
//!   turns), so everything that happened meanwhile shares a write;
//! - request content flows with [`FlowControl::Manual`]: a stream's credit goes back to
//!   the peer only when its session reports it consumed, so a slow application stops its
//!   own stream's sender and nothing else;
//! - a response whose content `send_data` takes only in part keeps the rest and the ack
//!   until `Writable`;
//! - an Extended CONNECT with `:protocol websocket` (RFC 8441, the only protocol
//!   advertised) becomes a WebSocket session; accepting it answers `:status 200`
//!   (`stator_ws::handshake::connect`) and the stream's DATA then carries one
//!   [`Bridge`](crate::ws::Bridge);
//! - graceful shutdown is the machine's two-phase `GOAWAY` `NO_ERROR`, WebSocket streams close
//!   with 1001, and the machine's drain timer is held to the server's shutdown deadline;
//! - a connection without streams closes (gracefully) after the keep-alive timeout, or
//!   after the header-read timeout if no request ever came; writes that stall for the
//!   idle timeout drop the connection, and a response or WebSocket whose output waits
//!   that long for the peer's flow-control credit has its stream reset (`CANCEL`), so a
//!   reader that never releases window cannot hold a session forever.

use crate::app::queue;
use std::collections::HashMap;

use bytes::Bytes;
use http::header::EXPECT;
use http::{Method, request};
use stator_h2::{Config, Connection, ErrorCode, Event, FlowControl, StreamId};
use stator_http::ext::Protocol;
use stator_ws::handshake::connect as handshake;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tracing::debug;

use crate::app::link::{self, Command, Link, SessionId};
use crate::app::sessions::Sessions;
use crate::app::{HttpSession, Scope, ScopeKind, Session, WebSocketSession};
use crate::server::conn::Ctx;
use crate::timer::Timer;
use crate::ws::later;

mod stream;

use stream::{Answer, Cx, Stream};

/// The connection task's state.
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts about the connection, not a state"
)]
struct Driver {
    ctx: Ctx,
    conn: Connection,
    commands_tx: queue::Sender<Command>,
    commands: queue::Receiver<Command>,
    sessions: Sessions,
    streams: HashMap<StreamId, Stream>,
    answers: Vec<Answer>,
    out: Vec<u8>,
    /// The commands taken in one turn (reused).
    batch: std::collections::VecDeque<Command>,
    timer: Timer,
    /// Since when the connection has had no stream (`None`: it has some).
    idle_since: Option<Instant>,
    /// Whether a request ever came (the first waits under the header-read timeout).
    served: bool,
    draining: bool,
    closed: bool,
    eof: bool,
}

/// Serves HTTP/2 on `io`, whose first bytes `first` were already read (the preface, when
/// sniffed).
pub(crate) async fn serve<S>(mut io: S, first: Bytes, ctx: Ctx)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut limits = ctx.settings.h2_limits.clone();
    limits.shutdown_drain_timeout = limits
        .shutdown_drain_timeout
        .min(ctx.settings.shutdown_deadline);
    let mut config = Config::default();
    config.limits = limits;
    config.connect_protocols = vec![Protocol::WEBSOCKET];
    config.flow_control = FlowControl::Manual;
    let (commands_tx, commands) = queue::unbounded();
    let mode = ctx.settings.sessions;
    let started = ctx.started;
    let mut driver = Driver {
        conn: Connection::server(config),
        ctx,
        commands_tx,
        commands,
        sessions: Sessions::new(mode),
        streams: HashMap::new(),
        answers: Vec::new(),
        out: Vec::new(),
        batch: std::collections::VecDeque::new(),
        timer: Timer::new(),
        idle_since: Some(started),
        served: false,
        draining: false,
        closed: false,
        eof: false,
    };
    if !first.is_empty() {
        driver.recv(&first);
    }
    driver.run(&mut io).await;
    driver.finish().await;
}

impl Driver {
    /// Serves streams until the connection is over.
    async fn run<S>(&mut self, io: &mut S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut reader = crate::io::ReadBuffer::new(self.ctx.settings.read_buffer);
        if self.ctx.shutdown.is_set() {
            self.start_draining();
        }
        loop {
            // Events and output feed each other (room in the output makes streams
            // writable), and sessions answer what they are given: turn until the
            // machine has nothing more to write. Sessions get a bounded number of turns
            // before the socket is served again.
            let mut turns = 0_u32;
            loop {
                self.pump_events();
                self.pump_streams();
                if turns < crate::ws::TURNS && self.turn().await {
                    turns = turns.saturating_add(1);
                    continue;
                }
                match self.flush(io).await {
                    Some(0) => break,
                    Some(_) => {}
                    None => return,
                }
            }
            if self.closed || self.conn.is_closed() {
                let _ = tokio::time::timeout(self.ctx.settings.idle_timeout, io.shutdown()).await;
                return;
            }
            let deadline = self.deadline();
            tokio::select! {
                read = reader.read(io), if !self.eof => {
                    if let Ok(Some(data)) = self.busy(read) {
                        self.recv(&data);
                    } else {
                        self.eof = true;
                        self.conn.recv_eof();
                    }
                }
                Some(command) = self.commands.recv() => {
                    self.busy(());
                    self.command(command);
                    // Take whatever else is queued, so one write carries it all.
                    while let Ok(command) = self.commands.try_recv() {
                        self.command(command);
                    }
                }
                () = self.timer.until(deadline), if deadline.is_some() => self.on_timer(),
                () = self.ctx.shutdown.wait(), if !self.draining => self.start_draining(),
                () = self.sessions.woken() => {}
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

    fn recv(&mut self, data: &[u8]) {
        let now = Instant::now().into_std();
        if let Err(error) = self.conn.recv(now, data) {
            debug!(%error, "HTTP/2 connection error");
        }
    }

    fn cx(&mut self) -> (Cx<'_>, &mut HashMap<StreamId, Stream>) {
        (
            Cx {
                conn: &mut self.conn,
                answers: &mut self.answers,
                settings: &self.ctx.settings,
                draining: self.draining,
            },
            &mut self.streams,
        )
    }

    /// Takes the machine's events.
    fn pump_events(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Request {
                    stream,
                    head,
                    end_stream,
                } => self.request(stream, head, end_stream),
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    let (mut cx, streams) = self.cx();
                    match streams.get_mut(&stream) {
                        Some(s) => s.data(data, end_stream, &mut cx),
                        // A stream we forgot: its credit still counts for the connection.
                        None => drop(cx.conn.release_capacity(stream, data.len())),
                    }
                    self.settle(stream);
                }
                Event::Trailers { stream, trailers } => {
                    if let Some(s) = self.streams.get_mut(&stream) {
                        s.trailers(trailers);
                    }
                    self.settle(stream);
                }
                Event::Reset {
                    stream,
                    code,
                    remote,
                } => {
                    debug!(%stream, %code, remote, "stream reset");
                    if let Some(s) = self.streams.remove(&stream) {
                        s.reset();
                    }
                    self.note_idle();
                }
                Event::Writable { stream } => {
                    let (mut cx, streams) = self.cx();
                    if let Some(s) = streams.get_mut(&stream) {
                        s.writable(&mut cx);
                    }
                    self.settle(stream);
                }
                Event::GoAway { code, .. } => {
                    debug!(%code, "the client is going away");
                }
                Event::Closed { error } => {
                    if let Some(error) = error {
                        debug!(%error, "HTTP/2 connection closed with an error");
                    } else {
                        debug!("HTTP/2 connection closed");
                    }
                    self.closed = true;
                }
                _ => {}
            }
        }
    }

    /// A request head arrived on a new stream: start its session.
    fn request(&mut self, id: StreamId, head: request::Parts, end_stream: bool) {
        self.served = true;
        self.idle_since = None;
        let link = Link::new(SessionId::from(id.get()), self.commands_tx.clone());
        let info = self.ctx.info;
        if head.method == Method::CONNECT && head.extensions.get::<Protocol>().is_some() {
            match handshake::check_request(&head) {
                Ok(offer) => {
                    let (tx, rx) = link::inbound();
                    let scope = Scope::new(
                        ScopeKind::WebSocket,
                        &head,
                        info,
                        offer.subprotocols.clone(),
                    );
                    let limit = self.ctx.settings.max_unconsumed;
                    let session = WebSocketSession::new(scope, head, link, rx, limit);
                    self.streams
                        .insert(id, Stream::handshake(id, offer, tx, end_stream));
                    self.spawn(Session::WebSocket(session));
                }
                Err(error) => {
                    debug!(%error, "invalid Extended CONNECT");
                    let response = handshake::reject(&error);
                    if self.conn.send_response(id, &response, true).is_err() || !end_stream {
                        let _ = self.conn.send_reset(id, ErrorCode::NO_ERROR);
                    }
                    self.note_idle();
                }
            }
            return;
        }
        let expect_continue = head
            .headers
            .get(EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let method = head.method.clone();
        let (tx, rx) = link::inbound();
        let session = HttpSession::new(info, head, link, rx);
        self.streams.insert(
            id,
            Stream::http(id, tx, method, expect_continue, end_stream),
        );
        self.spawn(Session::Http(session));
    }

    fn spawn(&mut self, session: Session) {
        let future = self.ctx.app.call(session);
        self.sessions.start(future);
    }

    /// Runs the sessions that were woken and carries out what they asked; answers what
    /// the machine took while the output is short. True if anything ran.
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
        if self.out.len() < crate::ws::WRITE_AHEAD {
            for answer in self.answers.drain(..) {
                answer.answer(true);
            }
        }
        ran || asked
    }

    /// What a session asked.
    fn command(&mut self, Command { id, op }: Command) {
        let stream = u32::try_from(id).ok().and_then(StreamId::new);
        let (mut cx, streams) = self.cx();
        match stream.and_then(|s| streams.get_mut(&s)) {
            Some(s) => s.command(op, &mut cx),
            None => op.refuse(crate::app::SessionError::Disconnected),
        }
        if let Some(stream) = stream {
            self.settle(stream);
        }
    }

    /// Forgets a stream that is over.
    fn settle(&mut self, id: StreamId) {
        if self.streams.get(&id).is_some_and(Stream::is_finished) {
            self.streams.remove(&id);
            self.note_idle();
        }
    }

    fn note_idle(&mut self) {
        if self.streams.is_empty() && self.idle_since.is_none() {
            self.idle_since = Some(Instant::now());
        }
    }

    /// Moves every WebSocket's output into the machine.
    fn pump_streams(&mut self) {
        let (mut cx, streams) = self.cx();
        let mut finished = Vec::new();
        for (id, s) in streams.iter_mut() {
            if s.ws().is_some() {
                s.pump_ws(&mut cx);
                if s.is_finished() {
                    finished.push(*id);
                }
            }
        }
        for id in finished {
            self.settle(id);
        }
    }

    /// Writes what the machine has; answers the acks once written. The bytes written, or
    /// `None` if the socket failed.
    async fn flush<S: AsyncWrite + Unpin>(&mut self, io: &mut S) -> Option<usize> {
        let _ = self.conn.poll_output(&mut self.out);
        let n = self.out.len();
        if n > 0 {
            let limit = self.ctx.settings.idle_timeout;
            if !crate::io::write_all(io, &self.out, limit).await {
                debug!("write failed or stalled");
                for answer in self.answers.drain(..) {
                    answer.answer(false);
                }
                return None;
            }
            self.out.clear();
            if self.out.capacity() > 4 * crate::ws::WRITE_AHEAD {
                self.out.shrink_to(crate::ws::WRITE_AHEAD);
            }
        }
        for answer in self.answers.drain(..) {
            answer.answer(true);
        }
        for s in self.streams.values_mut() {
            if let Some(ws) = s.ws()
                && !ws.has_leftover()
            {
                ws.bridge.flushed();
            }
        }
        Some(n)
    }

    /// The earliest of the machine's timer, the WebSocket keep-alive timers and
    /// the
    /// connection's idle deadline.
    fn deadline(&mut self) -> Option<Instant> {
        let settings = &self.ctx.settings;
        let mut at = self.conn.poll_timeout().map(Instant::from_std);
        let mut earliest = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        if let Some(since) = self.idle_since.filter(|_| !self.draining) {
            let timeout = if self.served {
                settings.keep_alive_timeout
            } else {
                settings.header_read_timeout
            };
            earliest(Some(later(since, timeout)));
        }
        for s in self.streams.values_mut() {
            earliest(s.stalled_since().map(|t| later(t, settings.idle_timeout)));
            if let Some(ws) = s.ws() {
                earliest(ws.bridge.next_timer());
            }
        }
        at
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if self
            .conn
            .poll_timeout()
            .is_some_and(|t| Instant::from_std(t) <= now)
        {
            self.conn.handle_timeout(now.into_std());
        }
        if let Some(since) = self.idle_since
            && !self.draining
        {
            let timeout = if self.served {
                self.ctx.settings.keep_alive_timeout
            } else {
                self.ctx.settings.header_read_timeout
            };
            if now >= later(since, timeout) {
                debug!("idle HTTP/2 connection: GOAWAY");
                self.start_draining();
            }
        }
        for s in self.streams.values_mut() {
            if let Some(ws) = s.ws()
                && ws.bridge.next_timer().is_some_and(|t| t <= now)
            {
                ws.bridge.on_timer(now);
            }
        }
        let idle = self.ctx.settings.idle_timeout;
        let stalled: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, s)| s.stalled_since().is_some_and(|t| later(t, idle) <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in stalled {
            debug!(stream = %id, "no flow-control credit for the idle timeout: RST_STREAM");
            let _ = self.conn.send_reset(id, ErrorCode::CANCEL);
            if let Some(s) = self.streams.remove(&id) {
                s.reset();
            }
            self.note_idle();
        }
    }

    /// Graceful shutdown: the two-phase `GOAWAY` `NO_ERROR` (RFC 9113 §6.8), and close
    /// 1001 on every WebSocket.
    fn start_draining(&mut self) {
        if self.draining {
            return;
        }
        self.draining = true;
        self.conn.goaway(ErrorCode::NO_ERROR, b"");
        for s in self.streams.values_mut() {
            if let Some(ws) = s.ws() {
                ws.bridge.going_away();
            }
        }
    }

    /// The connection is over: tell the sessions, let them finish (for a while).
    async fn finish(mut self) {
        for (_, s) in self.streams.drain() {
            s.disconnect();
        }
        for answer in self.answers.drain(..) {
            answer.answer(false);
        }
        // Commands still queued or yet to come are dropped with their acks: the sessions
        // see `Disconnected` at once.
        self.commands.close();
        while self.commands.try_recv().is_ok() {}
        drop(self.commands_tx);
        self.sessions.drain(self.ctx.settings.idle_timeout).await;
    }
}
