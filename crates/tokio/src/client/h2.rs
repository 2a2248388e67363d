//! An HTTP/2 client connection: one task owning the socket and a `stator_h2::Connection`,
//! multiplexing every request and Extended CONNECT WebSocket (RFC 8441) sent to it.
//!
//! Requests arrive over a bounded channel; the machine queues those beyond the server's
//! `SETTINGS_MAX_CONCURRENT_STREAMS` itself (RFC 9113 §5.1.2). Request content goes out
//! as the flow-control windows allow (`send_data` takes what fits; the rest waits for
//! `Writable`). A WebSocket stream is driven by the same carrier-independent
//! [`Bridge`](crate::ws::Bridge) as the server's: its frames travel as the stream's DATA,
//! its close ends the stream, a reset aborts it.

use crate::app::queue;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, request, response};
use stator_h2::{Connection, ErrorCode, Event, FlowControl, LocalError, StreamId};
use stator_ws::handshake::{ClientOffer, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::debug;

use super::body::{Item, Note, ResponseStream, Source};
use super::connect::BoxIo;
use super::websocket::WebSocket;
use super::{ClientError, Settings};
use crate::app::link::{Command, Link};
use crate::ws::{Bridge, KeepAlive, sleep_until};

/// Requests waiting for the connection task.
const QUEUE: usize = 256;

type ResponseReply = oneshot::Sender<Result<ResponseStream, ClientError>>;
type WsReply = oneshot::Sender<Result<WebSocket, ClientError>>;

/// What the pool asks of the connection task.
enum Cmd {
    Request {
        head: request::Parts,
        body: Bytes,
        reply: ResponseReply,
    },
    WebSocket {
        head: request::Parts,
        offer: ClientOffer,
        reply: WsReply,
    },
}

/// The pool's end of an HTTP/2 connection task; clones share the connection.
#[derive(Debug, Clone)]
pub(crate) struct Handle {
    tx: mpsc::Sender<Cmd>,
    extended_connect: watch::Receiver<Option<bool>>,
    open: Arc<AtomicBool>,
}

impl Handle {
    /// Whether new requests may go on this connection (the task runs, no GOAWAY).
    pub(crate) fn is_usable(&self) -> bool {
        !self.tx.is_closed() && self.open.load(Ordering::Acquire)
    }

    /// Sends a request with its whole content and waits for the response head.
    pub(crate) async fn request(
        &self,
        head: request::Parts,
        body: Bytes,
    ) -> Result<ResponseStream, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Cmd::Request { head, body, reply })
            .await
            .map_err(|_| ClientError::Closed)?;
        answer.await.unwrap_or(Err(ClientError::Closed))
    }

    /// Whether the server's SETTINGS enabled Extended CONNECT (RFC 8441 §3), waiting up
    /// to `wait` for them; `false` if they did not come.
    pub(crate) async fn extended_connect(&self, wait: Duration) -> bool {
        let mut rx = self.extended_connect.clone();
        let known = tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await;
        matches!(known, Ok(Ok(value)) if *value == Some(true))
    }

    /// Opens a WebSocket with the Extended CONNECT `head`.
    pub(crate) async fn websocket(
        &self,
        head: request::Parts,
        offer: ClientOffer,
    ) -> Result<WebSocket, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Cmd::WebSocket { head, offer, reply })
            .await
            .map_err(|_| ClientError::Closed)?;
        answer.await.unwrap_or(Err(ClientError::Closed))
    }
}

/// Starts the task for `io`, whose peer speaks HTTP/2.
pub(crate) fn spawn(io: BoxIo, settings: Arc<Settings>) -> Handle {
    let (tx, rx) = mpsc::channel(QUEUE);
    let (ext_tx, ext_rx) = watch::channel(None);
    let open = Arc::new(AtomicBool::new(true));
    let (ws_tx, ws_rx) = queue::unbounded();
    let (notes_tx, notes_rx) = queue::unbounded();
    let mut config = stator_h2::Config::default();
    config.limits = settings.h2_limits.clone();
    // Credit goes back as the application takes the content: backpressure per stream.
    config.flow_control = FlowControl::Manual;
    let driver = Driver {
        conn: Connection::client(config),
        streams: HashMap::new(),
        ws_tx,
        ws_rx,
        notes_tx,
        notes_rx,
        extended_connect: ext_tx,
        open: Arc::clone(&open),
        settings,
        out: Vec::new(),
        clients_gone: false,
    };
    tokio::spawn(driver.run(io, rx));
    Handle {
        tx,
        extended_connect: ext_rx,
        open,
    }
}

/// One stream's state.
enum Stream {
    /// A request: content still to send; the reply until the head came, then the
    /// channel of its content.
    Request {
        reply: Option<ResponseReply>,
        tx: Option<queue::Sender<Item>>,
        pending: Bytes,
    },
    /// An Extended CONNECT waiting for its response.
    Connecting { offer: ClientOffer, reply: WsReply },
    /// An open WebSocket.
    Ws(Box<WsStream>),
}

/// A WebSocket carried by a stream.
struct WsStream {
    bridge: Bridge,
    out: BytesMut,
    fin_sent: bool,
    peer_ended: bool,
}

struct Driver {
    conn: Connection,
    streams: HashMap<u32, Stream>,
    ws_tx: queue::Sender<Command>,
    ws_rx: queue::Receiver<Command>,
    notes_tx: queue::Sender<Note>,
    notes_rx: queue::Receiver<Note>,
    extended_connect: watch::Sender<Option<bool>>,
    open: Arc<AtomicBool>,
    settings: Arc<Settings>,
    out: Vec<u8>,
    clients_gone: bool,
}

impl Driver {
    async fn run(mut self, io: BoxIo, mut cmds: mpsc::Receiver<Cmd>) {
        let (mut rd, mut io) = tokio::io::split(io);
        let mut buf = BytesMut::with_capacity(32 * 1024);
        let mut idle_since = Instant::now();
        loop {
            self.pump();
            self.service_ws();
            self.out.clear();
            if self.conn.poll_output(&mut self.out) > 0 {
                if !self.write_out(&mut rd, &mut io, &mut buf).await {
                    debug!("HTTP/2 write failed");
                    self.fail_all(&|| ClientError::Closed);
                    return;
                }
                self.flushed();
                continue;
            }
            if self.conn.is_closed() {
                self.fail_all(&|| ClientError::Closed);
                break;
            }
            if !self.streams.is_empty() {
                idle_since = Instant::now();
            } else if self.clients_gone {
                self.conn.goaway(ErrorCode::NO_ERROR, b"");
                self.open.store(false, Ordering::Release);
                break;
            }
            let timer = self.conn.poll_timeout();
            let idle = self
                .streams
                .is_empty()
                .then(|| crate::ws::later(idle_since, self.settings.idle_timeout));
            if buf.capacity() < 4096 {
                buf.reserve(32 * 1024);
            }
            tokio::select! {
                n = rd.read_buf(&mut buf) => match n {
                    Ok(0) | Err(_) => self.conn.recv_eof(),
                    Ok(_) => {
                        let data = buf.split();
                        // An error is reported again as `Event::Closed`.
                        let _ = self.conn.recv(Instant::now().into_std(), &data);
                    }
                },
                cmd = cmds.recv(), if !self.clients_gone => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => self.clients_gone = true,
                },
                Some(command) = self.ws_rx.recv() => self.ws_command(command),
                Some(note) = self.notes_rx.recv() => self.note(note),
                () = sleep_until(timer.map(Instant::from_std)), if timer.is_some() => {
                    self.conn.handle_timeout(Instant::now().into_std());
                }
                () = sleep_until(idle), if idle.is_some() => {
                    debug!("HTTP/2 connection idle: closing");
                    self.open.store(false, Ordering::Release);
                    self.conn.goaway(ErrorCode::NO_ERROR, b"");
                    self.clients_gone = true;
                }
            }
        }
        self.out.clear();
        if self.conn.poll_output(&mut self.out) > 0 {
            let _ = tokio::time::timeout(self.settings.idle_timeout, io.write_all(&self.out)).await;
        }
        let _ = tokio::time::timeout(self.settings.idle_timeout, io.shutdown()).await;
    }

    /// Writes `self.out`, reading meanwhile. A server that also writes before it reads
    /// (echoing a large upload as it arrives) would otherwise block on us while we block
    /// on it, once the two flow-control windows outgrow the socket buffers. What is read
    /// goes to the machine, bounded by the windows we advertise. False if the socket
    /// failed or a write stalled for the idle timeout.
    async fn write_out(
        &mut self,
        rd: &mut ReadHalf<BoxIo>,
        wr: &mut WriteHalf<BoxIo>,
        buf: &mut BytesMut,
    ) -> bool {
        let after = self.settings.idle_timeout;
        let mut written = 0;
        let mut eof = false;
        while written < self.out.len() {
            if buf.capacity() < 4096 {
                buf.reserve(32 * 1024);
            }
            let pending = self.out.get(written..).unwrap_or_default();
            tokio::select! {
                n = tokio::time::timeout(after, wr.write(pending)) => match n {
                    Ok(Ok(0) | Err(_)) | Err(_) => return false,
                    Ok(Ok(n)) => written = written.saturating_add(n),
                },
                n = rd.read_buf(buf), if !eof => match n {
                    Ok(0) | Err(_) => {
                        eof = true;
                        self.conn.recv_eof();
                    }
                    Ok(_) => {
                        let data = buf.split();
                        // An error is reported again as `Event::Closed`.
                        let _ = self.conn.recv(Instant::now().into_std(), &data);
                    }
                },
            }
        }
        true
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Request { head, body, reply } => {
                match self.conn.send_request(&head, body.is_empty()) {
                    Ok(id) => {
                        let stream = Stream::Request {
                            reply: Some(reply),
                            tx: None,
                            pending: body,
                        };
                        self.streams.insert(id.get(), stream);
                        self.push(id);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Cmd::WebSocket { head, offer, reply } => match self.conn.send_request(&head, false) {
                Ok(id) => {
                    self.streams
                        .insert(id.get(), Stream::Connecting { offer, reply });
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
        }
    }

    fn ws_command(&mut self, Command { id, op }: Command) {
        let key = u32::try_from(id).unwrap_or(0);
        if let Some(Stream::Ws(ws)) = self.streams.get_mut(&key) {
            ws.bridge.command(op);
        }
    }

    fn note(&mut self, note: Note) {
        match note {
            Note::Consumed(key, n) => {
                if let Some(id) = StreamId::new(key) {
                    let _ = self.conn.release_capacity(id, n);
                }
            }
            Note::Cancel(key) => {
                if let (Some(id), Some(_)) = (StreamId::new(key), self.streams.remove(&key)) {
                    let _ = self.conn.send_reset(id, ErrorCode::CANCEL);
                }
            }
        }
    }

    /// Sends what a request's content has left, as far as the windows allow.
    fn push(&mut self, id: StreamId) {
        let Some(Stream::Request { pending, .. }) = self.streams.get_mut(&id.get()) else {
            return;
        };
        if pending.is_empty() {
            return;
        }
        match self.conn.send_data(id, pending, true) {
            Ok(n) => pending.advance(n.min(pending.len())),
            // Still queued behind the concurrency limit: `Writable` follows.
            Err(LocalError::StreamNotWritable(_)) => {}
            Err(e) => {
                let _ = self.conn.send_reset(id, ErrorCode::CANCEL);
                self.finish(id.get(), Err(e.into()));
            }
        }
    }

    /// Ends a stream: a request's with its trailers or an error (a WebSocket's is
    /// aborted).
    fn finish(&mut self, key: u32, result: Result<HeaderMap, ClientError>) {
        match self.streams.remove(&key) {
            Some(Stream::Request { reply, tx, .. }) => {
                if let Some(reply) = reply {
                    let _ = reply.send(Err(result.err().unwrap_or(ClientError::Closed)));
                } else if let Some(tx) = tx {
                    let _ = tx.send(match result {
                        Ok(trailers) => Item::End(trailers),
                        Err(error) => Item::Error(error),
                    });
                }
            }
            Some(Stream::Connecting { reply, .. }) => {
                let _ = reply.send(Err(result.err().unwrap_or(ClientError::Closed)));
            }
            Some(Stream::Ws(mut ws)) => ws.bridge.reset(),
            None => {}
        }
    }

    fn pump(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Response {
                    stream,
                    head,
                    end_stream,
                } => self.response(stream, head, end_stream),
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => self.data(stream, data, end_stream),
                Event::Trailers { stream, trailers } => self.finish(stream.get(), Ok(trailers)),
                Event::Reset { stream, code, .. } => {
                    let error = if code == ErrorCode::REFUSED_STREAM {
                        ClientError::Refused
                    } else {
                        ClientError::Reset(code)
                    };
                    self.finish(stream.get(), Err(error));
                }
                Event::Refused { stream, reason } => self.finish(stream.get(), Err(reason.into())),
                Event::Writable { stream } => self.push(stream),
                Event::Settings(_) => {
                    let _ = self
                        .extended_connect
                        .send_replace(self.conn.extended_connect());
                }
                Event::GoAway { .. } => self.open.store(false, Ordering::Release),
                Event::Closed { error } => {
                    self.open.store(false, Ordering::Release);
                    if let Some(error) = error {
                        debug!(%error, "HTTP/2 connection failed");
                        let error = Arc::new(error);
                        self.fail_all(&|| ClientError::H2((*error).clone()));
                    }
                }
                _ => {}
            }
        }
    }

    fn response(&mut self, stream: StreamId, head: response::Parts, end_stream: bool) {
        let key = stream.get();
        match self.streams.get_mut(&key) {
            Some(Stream::Request { reply, tx, .. }) => {
                let (sender, receiver) = queue::unbounded();
                let source = Source::H2 {
                    rx: receiver,
                    notes: self.notes_tx.clone(),
                    stream: key,
                };
                let delivered = reply
                    .take()
                    .is_some_and(|r| r.send(Ok(ResponseStream::new(head, source))).is_ok());
                if !delivered {
                    self.streams.remove(&key);
                    let _ = self.conn.send_reset(stream, ErrorCode::CANCEL);
                    return;
                }
                *tx = Some(sender);
                if end_stream {
                    self.finish(key, Ok(HeaderMap::new()));
                }
            }
            Some(Stream::Connecting { .. }) => {
                let Some(Stream::Connecting { offer, reply }) = self.streams.remove(&key) else {
                    return;
                };
                match connect::check_response(&head, &offer) {
                    Ok(negotiated) if !end_stream => {
                        let (tx, rx) = queue::unbounded();
                        let config =
                            stator_ws::Config::client(stator_wire::rand::SystemRandom::new())
                                .with_limits(self.settings.ws_limits)
                                .with_deflate(negotiated.deflate);
                        let keep_alive = KeepAlive {
                            ping_after: None,
                            idle_timeout: None,
                        };
                        let bridge = Bridge::new(
                            stator_ws::Connection::new(config),
                            tx,
                            self.settings.max_unconsumed,
                            keep_alive,
                        );
                        self.streams.insert(
                            key,
                            Stream::Ws(Box::new(WsStream {
                                bridge,
                                out: BytesMut::new(),
                                fin_sent: false,
                                peer_ended: false,
                            })),
                        );
                        let link = Link::new(u64::from(key), self.ws_tx.clone());
                        let ws = WebSocket::new(link, rx, http::Version::HTTP_2, negotiated);
                        let _ = reply.send(Ok(ws));
                    }
                    Ok(_) => {
                        let _ = reply.send(Err(ClientError::Closed));
                    }
                    Err(e) => {
                        let _ = self.conn.send_reset(stream, ErrorCode::CANCEL);
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            _ => {}
        }
    }

    fn data(&mut self, stream: StreamId, data: Bytes, end_stream: bool) {
        let key = stream.get();
        match self.streams.get_mut(&key) {
            Some(Stream::Request { tx, .. }) => {
                let taken = tx
                    .as_ref()
                    .is_some_and(|tx| tx.send(Item::Data(data)).is_ok());
                if !taken {
                    self.streams.remove(&key);
                    let _ = self.conn.send_reset(stream, ErrorCode::CANCEL);
                    return;
                }
                if end_stream {
                    self.finish(key, Ok(HeaderMap::new()));
                }
            }
            Some(Stream::Ws(ws)) => {
                if !data.is_empty() {
                    ws.bridge.recv(data);
                }
                if end_stream {
                    ws.peer_ended = true;
                    ws.bridge.recv_eof();
                }
            }
            _ => {}
        }
    }

    /// Moves each WebSocket's frames into its stream, and ends the stream when the
    /// WebSocket is over.
    fn service_ws(&mut self) {
        let mut gone = Vec::new();
        for (&key, stream) in &mut self.streams {
            let Stream::Ws(ws) = stream else { continue };
            let Some(id) = StreamId::new(key) else {
                continue;
            };
            let credit = ws.bridge.take_credit();
            if credit > 0 {
                let _ = self.conn.release_capacity(id, credit);
            }
            while let Some(frames) = ws.bridge.poll_transmit() {
                ws.out.extend_from_slice(&frames);
            }
            if !ws.out.is_empty() {
                if let Ok(n) = self.conn.send_data(id, &ws.out, false) {
                    ws.out.advance(n.min(ws.out.len()));
                } else {
                    ws.bridge.reset();
                    gone.push(key);
                    continue;
                }
            }
            if ws.out.is_empty() && ws.bridge.is_done() && !ws.fin_sent {
                ws.fin_sent = self.conn.send_data(id, &[], true).is_ok();
                if !ws.fin_sent {
                    let _ = self.conn.send_reset(id, ErrorCode::CANCEL);
                    gone.push(key);
                }
            }
            if ws.fin_sent && ws.peer_ended {
                gone.push(key);
            }
        }
        for key in gone {
            self.streams.remove(&key);
        }
    }

    /// The output was written: each `WebSocket` whose frames all left have their sends
    /// acknowledged.
    fn flushed(&mut self) {
        for stream in self.streams.values_mut() {
            if let Stream::Ws(ws) = stream
                && ws.out.is_empty()
            {
                ws.bridge.flushed();
            }
        }
    }

    fn fail_all(&mut self, error: &dyn Fn() -> ClientError) {
        let keys: Vec<u32> = self.streams.keys().copied().collect();
        for key in keys {
            self.finish(key, Err(error()));
        }
    }
}
