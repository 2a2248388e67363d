//! The open WebSocket between a `stator_ws::Connection` and its session, whatever carries
//! its bytes.
//!
//! A [`Bridge`] is the WebSocket's half of the plumbing described in
//! [`app::link`](crate::app::link): it decodes what the transport delivered into
//! [`WsInbound`] items for the session, turns the session's [`Op`]s into frames, answers
//! the session's acks once the frames left, counts the bytes the session has not taken
//! yet (the driver stops feeding it past a limit), and runs the keep-alive policy.
//!
//! It owns no transport. The HTTP/1.1 driver ([`run_h1`]) feeds it the socket after the
//! `101`; the HTTP/2 driver feeds one bridge per Extended CONNECT stream with that
//! stream's DATA (`recv`), send what [`Bridge::poll_transmit`] returns as DATA, end the
//! stream when [`Bridge::is_done`], and call [`Bridge::reset`] on `RST_STREAM`.

use crate::app::queue;
use std::time::Duration;

use bytes::Bytes;
use stator_ws::{CloseCode, Connection, Event, Message};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tracing::debug;

use crate::app::SessionError;
use crate::app::link::{Ack, Command, Op, SessionId, WsInbound};
use crate::app::sessions::Sessions;
use crate::server::Settings;
use crate::server::shutdown::Watch;

/// Output a server driver lets wait unwritten while it keeps acknowledging what its
/// sessions hand it: past this many bytes, acks wait for the write.
pub(crate) const WRITE_AHEAD: usize = 64 * 1024;

/// How many turns a driver gives its sessions in a row before it serves the socket.
pub(crate) const TURNS: u32 = 32;

/// The keep-alive policy of an open WebSocket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepAlive {
    /// Send a ping after this long without input (at most twice this long: see
    /// `Bridge::last_input`).
    pub(crate) ping_after: Option<Duration>,
    /// Give up after this long without input (likewise).
    pub(crate) idle_timeout: Option<Duration>,
}

/// One open WebSocket and its session's channels.
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts about the WebSocket, not a state"
)]
pub(crate) struct Bridge {
    conn: Connection,
    tx: queue::Sender<WsInbound>,
    unconsumed: usize,
    max_unconsumed: usize,
    blocked: Option<(Message, Ack)>,
    acks: Vec<Ack>,
    closed: bool,
    session_gone: bool,
    keep_alive: KeepAlive,
    /// When input was last seen, as of the last timer check: reading the clock for every
    /// message showed in profiles, so `recv` only sets `fresh_input`, and a timer that
    /// fires with it set moves `last_input` to then and waits again. Silence is thus
    /// measured from at most one period after the last input.
    last_input: Instant,
    fresh_input: bool,
    pinged: bool,
    /// Transport bytes fed in and not yet given back as credit.
    held: usize,
    /// Output taken from `conn` early, before [`poll_transmit`](Self::poll_transmit) was
    /// asked: the pong of each ping decoded (the machine keeps only the latest automatic
    /// pong, so ten pings read at once would otherwise get one pong).
    early: std::collections::VecDeque<Bytes>,
}

impl Bridge {
    /// A bridge for an OPEN `conn` feeding `tx`.
    pub(crate) fn new(
        conn: Connection,
        tx: queue::Sender<WsInbound>,
        max_unconsumed: usize,
        keep_alive: KeepAlive,
    ) -> Bridge {
        Bridge {
            conn,
            tx,
            unconsumed: 0,
            max_unconsumed,
            blocked: None,
            acks: Vec::new(),
            closed: false,
            session_gone: false,
            keep_alive,
            last_input: Instant::now(),
            fresh_input: false,
            pinged: false,
            held: 0,
            early: std::collections::VecDeque::new(),
        }
    }

    /// Bytes from the transport.
    pub(crate) fn recv(&mut self, data: Bytes) {
        self.fresh_input = true;
        self.pinged = false;
        self.held = self.held.saturating_add(data.len());
        self.conn.recv_bytes(data);
        self.pump();
    }

    /// The transport ended.
    pub(crate) fn recv_eof(&mut self) {
        self.conn.recv_eof();
        self.pump();
    }

    /// The carrying stream was reset (HTTP/2) or the transport failed: abort.
    pub(crate) fn reset(&mut self) {
        self.conn.reset();
        self.pump();
        for ack in self.acks.drain(..) {
            let _ = ack.send(Err(SessionError::Disconnected));
        }
    }

    fn pump(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Message(message) if !self.session_gone => {
                    self.unconsumed = self.unconsumed.saturating_add(message.as_bytes().len());
                    let _ = self.tx.send(WsInbound::Message(message));
                }
                Event::Closed(closed) => {
                    self.closed = true;
                    debug!(
                        code = closed.code.as_u16(),
                        clean = closed.clean,
                        "websocket closed"
                    );
                    let _ = self.tx.send(WsInbound::Disconnect {
                        code: closed.code,
                        reason: closed.reason.as_str().to_owned(),
                    });
                    if let Some((_, ack)) = self.blocked.take() {
                        let _ = ack.send(Err(SessionError::Disconnected));
                    }
                }
                Event::Writable => {
                    if let Some((message, ack)) = self.blocked.take() {
                        self.send(message, ack);
                    }
                }
                // Take this ping's pong (and what was queued before it) now, before the
                // next ping's replaces it: a pong per ping, as peers expect (RFC 6455
                // §5.5.3 allows only the latest; Autobahn 2.10/2.11 want them all).
                // Bounded by the input read: the driver reads no more until this is sent.
                Event::Ping(_) => {
                    while let Some(out) = self.conn.poll_transmit() {
                        self.early.push_back(out);
                    }
                }
                _ => {}
            }
        }
    }

    fn send(&mut self, message: Message, ack: Ack) {
        match self.conn.send(&message) {
            Ok(()) => self.acks.push(ack),
            Err(stator_ws::Error::WouldBlock) => self.blocked = Some((message, ack)),
            Err(_) if self.closed => {
                let _ = ack.send(Err(SessionError::Disconnected));
            }
            Err(e) => {
                let _ = ack.send(Err(SessionError::Refused(e.to_string())));
            }
        }
    }

    /// What the session asked.
    pub(crate) fn command(&mut self, op: Op) {
        match op {
            Op::Send(message, ack) => self.send(message, ack),
            Op::Close(code, reason, ack) => match self.conn.close(code, &reason) {
                Ok(()) => self.acks.push(ack),
                Err(_) if self.closed => {
                    let _ = ack.send(Err(SessionError::Disconnected));
                }
                Err(e) => {
                    let _ = ack.send(Err(SessionError::Refused(e.to_string())));
                }
            },
            Op::Consumed(n) => self.unconsumed = self.unconsumed.saturating_sub(n),
            Op::Dropped { panicked } => {
                self.session_gone = true;
                self.unconsumed = 0;
                let code = if panicked {
                    CloseCode::INTERNAL_ERROR
                } else {
                    CloseCode::NORMAL
                };
                if !self.closed {
                    let _ = self.conn.close(code, "");
                }
            }
            Op::Start(_, ack)
            | Op::Respond { ack, .. }
            | Op::Body { ack, .. }
            | Op::Trailers(_, ack)
            | Op::Reject(_, ack) => {
                let _ = ack.send(Err(SessionError::OutOfTurn("not an HTTP exchange")));
            }
            Op::Accept(accept) => {
                let _ = accept
                    .ack
                    .send(Err(SessionError::OutOfTurn("the WebSocket is open")));
            }
            Op::WantBody => {}
        }
        self.pump();
    }

    /// The server is shutting down: close with 1001.
    pub(crate) fn going_away(&mut self) {
        if !self.closed {
            let _ = self
                .conn
                .close(CloseCode::GOING_AWAY, "server shutting down");
        }
        self.pump();
    }

    /// What to send now.
    pub(crate) fn poll_transmit(&mut self) -> Option<Bytes> {
        if let Some(out) = self.early.pop_front() {
            return Some(out);
        }
        let out = self.conn.poll_transmit();
        self.pump();
        out
    }

    /// Everything taken by [`poll_transmit`](Self::poll_transmit) is on the wire: answer
    /// the acks.
    pub(crate) fn flushed(&mut self) {
        for ack in self.acks.drain(..) {
            let _ = ack.send(Ok(()));
        }
    }

    /// The transport bytes that may be acknowledged to the peer now: everything fed in,
    /// once the session holds less than the limit of messages it has not taken. The
    /// HTTP/2 driver releases this much of the stream's flow-control window
    /// (`release_capacity`) after each `recv` and each command; message sizes differ from
    /// wire sizes (framing, compression), so the window follows the wire bytes.
    pub(crate) fn take_credit(&mut self) -> usize {
        if self.wants_input() {
            std::mem::take(&mut self.held)
        } else {
            0
        }
    }

    /// Whether the driver should feed more input.
    pub(crate) fn wants_input(&self) -> bool {
        !self.closed && self.unconsumed < self.max_unconsumed
    }

    /// Whether the WebSocket is over and its output taken: finish the transport.
    pub(crate) fn is_done(&self) -> bool {
        self.early.is_empty() && self.conn.wants_close_transport()
    }

    /// When [`on_timer`](Self::on_timer) wants to run.
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let ping = self
            .keep_alive
            .ping_after
            .filter(|_| !self.pinged)
            .map(|d| later(self.last_input, d));
        let idle = self
            .keep_alive
            .idle_timeout
            .map(|d| later(self.last_input, d));
        match (ping, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the keep-alive policy: a ping after `ping_after` of silence, and after
    /// `idle_timeout` a close with 1001 (and an abort if the peer stays silent). Input
    /// since the last check restarts the silence now.
    pub(crate) fn on_timer(&mut self, now: Instant) {
        if std::mem::take(&mut self.fresh_input) {
            self.last_input = now;
        } else if let Some(idle) = self.keep_alive.idle_timeout
            && now >= later(self.last_input, idle)
        {
            debug!("websocket idle: closing");
            if matches!(self.conn.state(), stator_ws::State::Open) {
                let _ = self.conn.close(CloseCode::GOING_AWAY, "idle timeout");
                self.last_input = now;
            } else {
                self.reset();
            }
        } else if let Some(ping) = self.keep_alive.ping_after
            && !self.pinged
            && now >= later(self.last_input, ping)
        {
            self.pinged = true;
            let _ = self.conn.ping(b"stator");
        }
        self.pump();
    }
}

/// What an HTTP/1.1 connection hands over to its WebSocket: the channel its sessions
/// command it through, the sessions it polls, and the server's shutdown signal.
pub(crate) struct Carrier<'a> {
    pub(crate) commands: &'a mut queue::Receiver<Command>,
    pub(crate) sessions: &'a mut Sessions,
    pub(crate) shutdown: &'a mut Watch,
}

/// Runs an accepted WebSocket over an HTTP/1.1 connection's transport until it is over.
pub(crate) async fn run_h1<S>(
    io: &mut S,
    mut bridge: Bridge,
    id: SessionId,
    carrier: Carrier<'_>,
    settings: &Settings,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Carrier {
        commands,
        sessions,
        shutdown,
    } = carrier;
    let mut reader = crate::io::ReadBuffer::new(settings.read_buffer);
    let mut out = Output::default();
    let mut batch = std::collections::VecDeque::new();
    let mut ticker = crate::timer::Timer::new();
    let mut eof = false;
    let mut skipped = 0_u32;
    if shutdown.is_set() {
        bridge.going_away();
    }
    loop {
        // Let the session answer what it was given before writing, so an echo leaves in
        // the same turn as the read that brought its message. What it sends is
        // acknowledged at once while the output stays under the write-ahead.
        for _ in 0..TURNS {
            let ran = std::future::poll_fn(|cx| sessions.run(cx)).await;
            commands.take_all(&mut batch);
            let asked = !batch.is_empty();
            while let Some(Command { id: from, op }) = batch.pop_front() {
                if from == id {
                    bridge.command(op);
                }
            }
            out.take(&mut bridge);
            if out.len < WRITE_AHEAD {
                bridge.flushed();
            }
            if !ran && !asked {
                break;
            }
        }
        if !out.write(io, settings).await {
            bridge.reset();
            return;
        }
        bridge.flushed();
        if bridge.is_done() {
            let _ = io.shutdown().await;
            return;
        }
        // The acks just answered may have woken the session: serve it before waiting
        // (a bounded number of times in a row, so the socket is never starved).
        if skipped < TURNS && sessions.is_woken() {
            skipped = skipped.saturating_add(1);
            continue;
        }
        skipped = 0;
        let read = !eof && bridge.wants_input();
        let timer = bridge.next_timer();
        tokio::select! {
            read = reader.read(io), if read => {
                sessions.busy();
                commands.disarm();
                if let Ok(Some(data)) = read {
                    bridge.recv(data);
                } else {
                    eof = true;
                    bridge.recv_eof();
                }
            },
            command = commands.recv() => match command {
                Some(Command { id: from, op }) if from == id => bridge.command(op),
                Some(_) => {}
                None => bridge.reset(),
            },
            () = sessions.woken() => {}
            () = ticker.until(timer), if timer.is_some() => bridge.on_timer(Instant::now()),
            () = shutdown.wait(), if !shutdown.is_set() => bridge.going_away(),
        }
    }
}

/// What a bridge gave to write, not yet written.
#[derive(Default)]
struct Output {
    pieces: Vec<Bytes>,
    len: usize,
    /// Where several pieces are gathered to share a write (reused).
    gather: Vec<u8>,
}

impl Output {
    /// Takes everything the bridge has to send.
    fn take(&mut self, bridge: &mut Bridge) {
        while let Some(piece) = bridge.poll_transmit() {
            self.len = self.len.saturating_add(piece.len());
            self.pieces.push(piece);
        }
    }

    /// Takes and writes everything: one piece as it is, several gathered so they share
    /// a write. False if the write failed or stalled for the idle timeout.
    async fn write<S: AsyncWrite + Unpin>(&mut self, io: &mut S, settings: &Settings) -> bool {
        let written = match self.pieces.as_slice() {
            [] => return true,
            [one] => crate::io::write_all(io, one, settings.idle_timeout).await,
            many => {
                self.gather.clear();
                for piece in many {
                    self.gather.extend_from_slice(piece);
                }
                let written = crate::io::write_all(io, &self.gather, settings.idle_timeout).await;
                self.gather.clear();
                if self.gather.capacity() > 4 * WRITE_AHEAD {
                    self.gather.shrink_to(WRITE_AHEAD);
                }
                written
            }
        };
        self.pieces.clear();
        self.len = 0;
        written
    }
}

/// Sleeps until `at` (forever without one; the select guards that).
pub(crate) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `at + by`, saturating far in the future instead of overflowing.
pub(crate) fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by)
        .or_else(|| at.checked_add(Duration::from_secs(86_400 * 365)))
        .unwrap_or(at)
}
