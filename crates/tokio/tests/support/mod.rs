//! Helpers of the load and fault tests: an app that counts its live sessions and reports
//! how they ended, process figures (RSS, live tasks, the descriptor limit), bounded
//! waits, and an HTTP/2 Extended CONNECT WebSocket client framed by stator-ws.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use stator_tokio::{
    Accept, CloseCode, HttpSession, Message, RequestEvent, Server, ServerBuilder, Session,
    ShutdownHandle, WebSocketEvent, WebSocketSession,
};
use stator_wire::rand::SeededRandom;
use stator_ws::extension::DeflateOffer;
use stator_ws::handshake::{ClientOptions, connect};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};

/// What the counting app saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The first chunk of a request body on `/upload`.
    Body,
    /// `/upload` got `RequestEvent::Disconnect`.
    HttpDisconnect,
    /// `/upload` got its whole body.
    Uploaded(usize),
    /// `/big` stopped: how much it had handed over, and whether a send failed.
    Big { sent: usize, failed: bool },
    /// A WebSocket ended with this disconnect code.
    WsEnd(CloseCode),
}

/// Live sessions, the most at once, and the app's reports.
pub struct Tally {
    pub live: Arc<AtomicUsize>,
    pub peak: Arc<AtomicUsize>,
    pub seen: mpsc::UnboundedReceiver<Seen>,
}

/// Decrements the live count when the handler ends, however it ends.
struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running server with the counting app.
pub struct Counted {
    pub addr: SocketAddr,
    pub shutdown: ShutdownHandle,
    pub tally: Tally,
}

/// Size of one `/big` chunk; `/big` sends `BIG_CHUNKS` of them.
pub const BIG_CHUNK: usize = 64 * 1024;
pub const BIG_CHUNKS: usize = 1024;

/// Starts `builder` serving the counting app.
pub async fn start(builder: ServerBuilder) -> Counted {
    let live = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (tx, seen) = mpsc::unbounded_channel();
    let (l, p) = (Arc::clone(&live), Arc::clone(&peak));
    let app = move |session: Session| {
        let now = l.fetch_add(1, Ordering::SeqCst) + 1;
        p.fetch_max(now, Ordering::SeqCst);
        let guard = LiveGuard(Arc::clone(&l));
        let tx = tx.clone();
        async move {
            let _guard = guard;
            match session {
                Session::Http(http) => serve_http(http, &tx).await,
                Session::WebSocket(ws) => serve_ws(ws, &tx).await,
                _ => {}
            }
        }
    };
    let server: Server = builder.build().await.expect("bind");
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    tokio::spawn(server.serve(app));
    Counted {
        addr,
        shutdown,
        tally: Tally { live, peak, seen },
    }
}

async fn serve_http(mut http: HttpSession, tx: &mpsc::UnboundedSender<Seen>) {
    match http.scope().path.as_str() {
        "/upload" => {
            let mut total = 0usize;
            loop {
                match http.receive().await {
                    RequestEvent::Body { data, more_body } => {
                        if total == 0 && !data.is_empty() {
                            let _ = tx.send(Seen::Body);
                        }
                        total += data.len();
                        if !more_body {
                            let _ = tx.send(Seen::Uploaded(total));
                            let _ = http.respond(Response::new(Bytes::from("ok"))).await;
                            return;
                        }
                    }
                    RequestEvent::Disconnect => {
                        let _ = tx.send(Seen::HttpDisconnect);
                        return;
                    }
                    _ => {}
                }
            }
        }
        "/big" => {
            let chunk = Bytes::from(vec![b'x'; BIG_CHUNK]);
            let head = Response::new(()).into_parts().0;
            let mut sent = 0usize;
            let mut failed = http.send_response(head).await.is_err();
            for i in 0..BIG_CHUNKS {
                if failed {
                    break;
                }
                failed = http
                    .send_body(chunk.clone(), i + 1 < BIG_CHUNKS)
                    .await
                    .is_err();
                if !failed {
                    sent += chunk.len();
                }
            }
            let _ = tx.send(Seen::Big { sent, failed });
        }
        _ => {
            let _ = http.respond(Response::new(Bytes::from("hello"))).await;
        }
    }
}

async fn serve_ws(mut ws: WebSocketSession, tx: &mpsc::UnboundedSender<Seen>) {
    if ws.accept(Accept::new()).await.is_err() {
        return;
    }
    loop {
        match ws.receive().await {
            WebSocketEvent::Message(message) => {
                if ws.send(message).await.is_err() {
                    // The disconnect follows as an event.
                }
            }
            WebSocketEvent::Disconnect { code, .. } => {
                let _ = tx.send(Seen::WsEnd(code));
                return;
            }
            _ => return,
        }
    }
}

/// The process's resident set size, from `/proc/self/status`.
pub fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

/// The soft limit on open descriptors, from `/proc/self/limits`.
pub fn fd_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace()
        .nth(3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// The tokio tasks alive on the current runtime.
pub fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Polls `cond` every 10 ms until it holds or `limit` passes; whether it held.
pub async fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        sleep(Duration::from_millis(10)).await;
    }
}

/// An h2 client connection with Extended CONNECT enabled by the server's SETTINGS; the
/// connection runs on its own task.
pub async fn h2_client(
    addr: SocketAddr,
) -> (h2::client::SendRequest<Bytes>, tokio::task::JoinHandle<()>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::Builder::new()
        .initial_connection_window_size(4 << 20)
        .handshake::<_, Bytes>(tcp)
        .await
        .unwrap();
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    for _ in 0..200 {
        if client.is_extended_connect_protocol_enabled() {
            break;
        }
        sleep(Duration::from_millis(5)).await;
        client = client.ready().await.unwrap();
    }
    assert!(client.is_extended_connect_protocol_enabled());
    (client, task)
}

/// A WebSocket over one Extended CONNECT stream, framed by stator-ws.
pub struct H2Ws {
    pub send: h2::SendStream<Bytes>,
    pub recv: h2::RecvStream,
    pub ws: stator_ws::Connection,
    eof: bool,
}

impl H2Ws {
    /// Opens a WebSocket to `/ws` on `client`.
    pub async fn open(client: &h2::client::SendRequest<Bytes>, seed: u64) -> H2Ws {
        H2Ws::open_with(client, "/ws", &[], false, seed)
            .await
            .expect("the WebSocket is accepted")
    }

    /// Opens a WebSocket to `path` on `client`, offering `subprotocols` and, if
    /// `deflate`, permessage-deflate; the response status if the server refuses it.
    pub async fn open_with(
        client: &h2::client::SendRequest<Bytes>,
        path: &str,
        subprotocols: &[&str],
        deflate: bool,
        seed: u64,
    ) -> Result<H2Ws, StatusCode> {
        let mut options = ClientOptions::new(format!("ws://localhost{path}").parse().unwrap())
            .with_subprotocols(subprotocols.iter().copied());
        if deflate {
            options = options.with_deflate(DeflateOffer::default());
        }
        let (head, offer) = connect::client_request(&options).unwrap();
        let mut request = Request::from_parts(head, ());
        request.extensions_mut().clear();
        request
            .extensions_mut()
            .insert(h2::ext::Protocol::from_static("websocket"));
        let mut client = client.clone().ready().await.unwrap();
        let (response, send) = client.send_request(request, false).unwrap();
        let response = response.await.unwrap();
        if response.status() != StatusCode::OK {
            return Err(response.status());
        }
        let (parts, recv) = response.into_parts();
        let negotiated = connect::check_response(&parts, &offer).unwrap();
        let config =
            stator_ws::Config::client(SeededRandom::new(seed)).with_deflate(negotiated.deflate);
        Ok(H2Ws {
            send,
            recv,
            ws: stator_ws::Connection::new(config),
            eof: false,
        })
    }

    /// Writes what the WebSocket has to send.
    pub async fn flush(&mut self) {
        let mut out = Vec::new();
        while let Some(b) = self.ws.poll_transmit() {
            out.extend_from_slice(&b);
        }
        self.send_raw(Bytes::from(out)).await;
    }

    /// Writes `data` on the stream as flow control allows.
    pub async fn send_raw(&mut self, mut data: Bytes) {
        while !data.is_empty() {
            self.send.reserve_capacity(data.len());
            let cap = poll_fn(|cx| self.send.poll_capacity(cx))
                .await
                .unwrap()
                .unwrap();
            let chunk = data.split_to(cap.min(data.len()));
            self.send.send_data(chunk, false).unwrap();
        }
    }

    pub async fn send(&mut self, message: &Message) {
        self.ws.send(message).unwrap();
        self.flush().await;
    }

    /// The next message or close; `None` once the stream ended.
    pub async fn next(&mut self) -> Option<stator_ws::Event> {
        loop {
            while let Some(event) = self.ws.poll_event() {
                if matches!(
                    event,
                    stator_ws::Event::Message(_) | stator_ws::Event::Closed(_)
                ) {
                    self.flush().await;
                    return Some(event);
                }
            }
            self.flush().await;
            if self.eof {
                return None;
            }
            if let Some(Ok(chunk)) = self.recv.data().await {
                self.recv
                    .flow_control()
                    .release_capacity(chunk.len())
                    .unwrap();
                self.ws.recv_bytes(chunk);
            } else {
                self.eof = true;
                self.ws.recv_eof();
            }
        }
    }

    pub async fn next_message(&mut self) -> Message {
        match self.next().await {
            Some(stator_ws::Event::Message(m)) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Closes with `code`, waits for the echo of the close; returns its code.
    pub async fn close(&mut self, code: CloseCode) -> CloseCode {
        self.ws.close(code, "done").unwrap();
        self.flush().await;
        self.closed().await
    }

    /// Waits for the close; returns its code. Ends our half of the stream.
    pub async fn closed(&mut self) -> CloseCode {
        loop {
            match self.next().await {
                Some(stator_ws::Event::Closed(c)) => {
                    let _ = self.send.send_data(Bytes::new(), true);
                    return c.code;
                }
                Some(_) => {}
                None => panic!("the stream ended before the close"),
            }
        }
    }
}

/// One masked WebSocket frame header (client to server) with a zero mask: `fin`,
/// `opcode`, and a payload length of `len` (the payload is sent as is).
pub fn frame_header(fin: bool, opcode: u8, len: usize) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 | opcode } else { opcode }];
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0x80 | 0x7e);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 0x7f);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}
