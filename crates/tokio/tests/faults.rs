//! Faults: slowloris clients (HTTP/1.1 heads trickled a byte at a time, HTTP/2
//! connections that never complete a frame) are cut off by the header-read timeout;
//! clients that stop reading stall only themselves and are dropped by the write timeout;
//! abrupt disconnects mid-body and mid-WebSocket-message reach the app as disconnects and
//! leave no session or task behind. Meanwhile a normal client is served promptly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::future::join_all;
use http::{Method, Request, StatusCode};
use stator_tokio::{CloseCode, Server};
use support::{
    BIG_CHUNK, BIG_CHUNKS, H2Ws, Seen, Tally, alive_tasks, frame_header, h2_client, wait_until,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

const LIMIT: Duration = Duration::from_secs(30);
/// A normal request must be answered within this while the faulty clients run (it
/// takes milliseconds; the margin absorbs a loaded machine).
const PROMPT: Duration = Duration::from_secs(1);

/// One `GET /hello` on a new connection; how long it took.
async fn hello(addr: SocketAddr) -> Duration {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(out.ends_with(b"hello"), "{}", String::from_utf8_lossy(&out));
    start.elapsed()
}

/// A normal client: a request every 50 ms until `stop`; the slowest answer.
fn prober(addr: SocketAddr, stop: Arc<AtomicBool>) -> JoinHandle<(usize, Duration)> {
    tokio::spawn(async move {
        let mut slowest = Duration::ZERO;
        let mut served = 0;
        while !stop.load(Ordering::SeqCst) {
            let took = timeout(PROMPT, hello(addr))
                .await
                .expect("a normal client is served promptly");
            slowest = slowest.max(took);
            served += 1;
            sleep(Duration::from_millis(50)).await;
        }
        (served, slowest)
    })
}

/// Writes `bytes` one per 100 ms; returns how long until the server cut the connection
/// off (read EOF or reset, or a failed write).
async fn trickle(addr: SocketAddr, bytes: Vec<u8>) -> Duration {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 4096];
    for b in bytes {
        if s.write_all(&[b]).await.is_err() {
            return start.elapsed();
        }
        let deadline = Instant::now() + Duration::from_millis(100);
        // Whatever the server says (its SETTINGS, a 408, a GOAWAY), until it closes.
        while let Ok(read) = tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            if matches!(read, Ok(0) | Err(_)) {
                return start.elapsed();
            }
        }
    }
    panic!("a slow client was never cut off");
}

/// Runs `clients` trickling `bytes` against a server with a 1 s header-read timeout,
/// with a prober alongside; checks when each was cut off.
async fn slowloris(bytes: Vec<u8>, clients: usize, what: &str) {
    const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
    let server = support::start(Server::builder().header_read_timeout(HEADER_TIMEOUT)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let probe = prober(server.addr, Arc::clone(&stop));
    let cut = join_all((0..clients).map(|_| tokio::spawn(trickle(server.addr, bytes.clone()))))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect::<Vec<_>>();
    stop.store(true, Ordering::SeqCst);
    let (served, slowest) = probe.await.unwrap();
    let first = cut.iter().min().unwrap();
    let last = cut.iter().max().unwrap();
    println!(
        "{what}: {clients} slow clients cut off after {first:?}..{last:?} \
         (header-read timeout {HEADER_TIMEOUT:?}); meanwhile {served} normal requests, \
         slowest {slowest:?}"
    );
    assert!(
        *first >= HEADER_TIMEOUT.mul_f32(0.9),
        "cut off early: {first:?}"
    );
    assert!(*last < HEADER_TIMEOUT * 4, "cut off late: {last:?}");
    assert!(served >= 5, "only {served} normal requests");
    server.shutdown.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_over_http1_is_cut_off_while_others_are_served() {
    timeout(LIMIT, async {
        let mut head = b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: ".to_vec();
        head.resize(300, b'a');
        slowloris(head, 100, "HTTP/1.1 head").await;
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_over_http2_is_cut_off_while_others_are_served() {
    timeout(LIMIT, async {
        // The preface itself, a byte at a time (2.4 s in all).
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        slowloris(preface.clone(), 50, "HTTP/2 preface").await;
        // The preface, then a SETTINGS frame that never completes.
        let mut frame = preface;
        frame.extend_from_slice(&[0, 0x02, 0x58, 0x04, 0, 0, 0, 0, 0]); // 600 bytes
        frame.resize(frame.len() + 600, 0);
        slowloris(frame, 50, "HTTP/2 first frame").await;
    })
    .await
    .expect("in time");
}

/// Waits for the report of `/big`.
async fn big_report(tally: &mut Tally, within: Duration) -> (usize, bool) {
    loop {
        match timeout(within, tally.seen.recv()).await {
            Ok(Some(Seen::Big { sent, failed })) => return (sent, failed),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("no report from /big"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_client_that_stops_reading_stalls_only_itself() {
    const IDLE: Duration = Duration::from_secs(2);
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder().idle_timeout(IDLE)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let probe = prober(server.addr, Arc::clone(&stop));
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stalled = socket.connect(server.addr).await.unwrap();
        let asked = Instant::now();
        stalled
            .write_all(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        // Never read: the response fills the socket buffers, the server's write
        // stalls, and the write timeout drops the connection.
        let (sent, failed) = big_report(&mut server.tally, LIMIT).await;
        let dropped = asked.elapsed();
        stop.store(true, Ordering::SeqCst);
        let (served, slowest) = probe.await.unwrap();
        println!(
            "HTTP/1.1 non-reader: dropped after {dropped:?} (idle timeout {IDLE:?}) with \
             {} KiB of {} KiB handed over; meanwhile {served} normal requests, slowest \
             {slowest:?}",
            sent / 1024,
            BIG_CHUNK * BIG_CHUNKS / 1024
        );
        assert!(failed && sent < BIG_CHUNK * BIG_CHUNKS);
        assert!(dropped >= IDLE);
        assert!(served >= 5);
        assert!(
            wait_until(Duration::from_secs(5), || server
                .tally
                .live
                .load(Ordering::SeqCst)
                == 0)
            .await
        );
        drop(stalled);
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}

/// `GET path` on `client`; the status and the whole body.
async fn h2_get(client: &h2::client::SendRequest<Bytes>, path: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(format!("http://t{path}"))
        .body(())
        .unwrap();
    let mut client = client.clone().ready().await.unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    let response = response.await.unwrap();
    let status = response.status();
    let mut body = response.into_body();
    let mut all = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        body.flow_control().release_capacity(chunk.len()).unwrap();
        all.extend_from_slice(&chunk);
    }
    (status, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_stream_that_never_releases_window_stalls_only_itself() {
    const IDLE: Duration = Duration::from_secs(2);
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder().idle_timeout(IDLE)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let probe = prober(server.addr, Arc::clone(&stop));
        let (client, conn) = h2_client(server.addr).await;
        let request = Request::get("http://t/big").body(()).unwrap();
        let mut ready = client.clone().ready().await.unwrap();
        let (response, _) = ready.send_request(request, true).unwrap();
        let asked = Instant::now();
        // Take the head, never the content: the stream's window (64 KiB) runs out.
        let stalled = response.await.unwrap();
        assert_eq!(stalled.status(), StatusCode::OK);
        // Other streams on the same connection keep being served.
        let mut same_connection = 0;
        while asked.elapsed() < IDLE / 2 {
            let (status, body) = timeout(PROMPT, h2_get(&client, "/hello")).await.unwrap();
            assert_eq!(
                (status, body.as_slice()),
                (StatusCode::OK, b"hello".as_slice())
            );
            same_connection += 1;
            sleep(Duration::from_millis(20)).await;
        }
        let (sent, failed) = big_report(&mut server.tally, LIMIT).await;
        let dropped = asked.elapsed();
        // And after the stalled stream is gone, too.
        let (status, _) = timeout(PROMPT, h2_get(&client, "/hello")).await.unwrap();
        assert_eq!(status, StatusCode::OK);
        stop.store(true, Ordering::SeqCst);
        let (served, slowest) = probe.await.unwrap();
        println!(
            "HTTP/2 stream without window: dropped after {dropped:?} (idle timeout {IDLE:?}) \
             with {} KiB of {} KiB handed over; meanwhile {same_connection} requests on the \
             same connection and {served} on others, slowest {slowest:?}",
            sent / 1024,
            BIG_CHUNK * BIG_CHUNKS / 1024
        );
        assert!(failed && sent < BIG_CHUNK * BIG_CHUNKS);
        assert!(dropped >= IDLE);
        assert!(same_connection >= 5 && served >= 5);
        drop(stalled);
        conn.abort();
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}

/// One HTTP/2 frame (RFC 9113 §4.1).
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A scripted HTTP/2 client that opens every window wide, asks for `/big` and then
/// never reads the socket: the server's writes stall and the idle timeout drops the
/// connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_that_stops_reading_is_dropped() {
    const IDLE: Duration = Duration::from_secs(2);
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder().idle_timeout(IDLE)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let probe = prober(server.addr, Arc::clone(&stop));
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stalled = socket.connect(server.addr).await.unwrap();
        let mut script = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        // SETTINGS_INITIAL_WINDOW_SIZE = 2^31 - 1, and the connection window likewise.
        script.extend(h2_frame(0x4, 0, 0, &[0, 0x4, 0x7f, 0xff, 0xff, 0xff]));
        script.extend(h2_frame(
            0x8,
            0,
            0,
            &(0x7fff_ffff_u32 - 65_535).to_be_bytes(),
        ));
        // HEADERS, END_STREAM | END_HEADERS: GET http://t/big (HPACK: indexed :method
        // GET and :scheme http, literal :authority and :path).
        let block = [
            0x82, 0x86, 0x41, 0x01, b't', 0x44, 0x04, b'/', b'b', b'i', b'g',
        ];
        script.extend(h2_frame(0x1, 0x5, 1, &block));
        stalled.write_all(&script).await.unwrap();
        let asked = Instant::now();
        let (sent, failed) = big_report(&mut server.tally, LIMIT).await;
        let dropped = asked.elapsed();
        stop.store(true, Ordering::SeqCst);
        let (served, slowest) = probe.await.unwrap();
        println!(
            "HTTP/2 connection that stops reading: dropped after {dropped:?} (idle timeout \
             {IDLE:?}) with {} KiB of {} KiB handed over; meanwhile {served} normal \
             requests, slowest {slowest:?}",
            sent / 1024,
            BIG_CHUNK * BIG_CHUNKS / 1024
        );
        assert!(failed && sent < BIG_CHUNK * BIG_CHUNKS);
        assert!(dropped >= IDLE);
        assert!(served >= 5);
        drop(stalled);
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}

/// Waits for the end of a WebSocket session; its disconnect code.
async fn ws_end(tally: &mut Tally, within: Duration) -> CloseCode {
    loop {
        match timeout(within, tally.seen.recv()).await {
            Ok(Some(Seen::WsEnd(code))) => return code,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("the WebSocket session did not end"),
        }
    }
}

/// A WebSocket peer that keeps sending and never reads: the echo stalls on the socket
/// (HTTP/1.1) or on the stream's window (HTTP/2) and the idle timeout ends the session
/// with 1006, while others are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_peer_that_stops_reading_is_dropped() {
    const IDLE: Duration = Duration::from_secs(2);
    const MESSAGES: usize = 400;
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder().idle_timeout(IDLE)).await;
        let addr = server.addr;
        let stop = Arc::new(AtomicBool::new(false));
        let probe = prober(addr, Arc::clone(&stop));
        let message = vec![5u8; 64 * 1024];

        // HTTP/1.1: a small receive buffer, and no reads after the handshake.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(addr).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
            .await
            .unwrap();
        let mut sink = ws;
        let m = message.clone();
        let writer = tokio::spawn(async move {
            for _ in 0..MESSAGES {
                let send = sink.send(tokio_tungstenite::tungstenite::Message::binary(m.clone()));
                if !matches!(timeout(Duration::from_secs(1), send).await, Ok(Ok(()))) {
                    break;
                }
            }
            sink
        });
        let started = Instant::now();
        let code = ws_end(&mut server.tally, LIMIT).await;
        let h1_took = started.elapsed();
        assert_eq!(code, CloseCode::ABNORMAL);
        drop(writer.await.unwrap());

        // HTTP/2: the stream's window is never released.
        let (client, conn) = h2_client(addr).await;
        let mut ws = H2Ws::open(&client, 1).await;
        let writer = tokio::spawn(async move {
            for _ in 0..MESSAGES {
                let m = stator_tokio::Message::binary(message.clone());
                if timeout(Duration::from_secs(1), ws.send(&m)).await.is_err() {
                    break;
                }
            }
            ws
        });
        let started = Instant::now();
        let code = ws_end(&mut server.tally, LIMIT).await;
        let h2_took = started.elapsed();
        assert_eq!(code, CloseCode::ABNORMAL);
        // The connection still serves other streams.
        let (status, _) = timeout(PROMPT, h2_get(&client, "/hello")).await.unwrap();
        assert_eq!(status, StatusCode::OK);
        stop.store(true, Ordering::SeqCst);
        let (served, slowest) = probe.await.unwrap();
        println!(
            "WebSocket non-readers ended with 1006 after {h1_took:?} (HTTP/1.1) and \
             {h2_took:?} (HTTP/2), idle timeout {IDLE:?}; meanwhile {served} normal \
             requests, slowest {slowest:?}"
        );
        assert!(h1_took >= IDLE && h2_took >= IDLE);
        assert!(served >= 5);
        drop(writer.await.unwrap());
        conn.abort();
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}

/// Sets `SO_LINGER` 0 so that dropping `s` sends a reset instead of a FIN.
#[allow(deprecated, reason = "a zero linger does not block: it resets at once")]
fn reset_on_drop(s: &TcpStream) {
    s.set_linger(Some(Duration::ZERO)).unwrap();
}

/// Waits for the next report, which must be `expected`.
async fn expect_seen(tally: &mut Tally, expected: &Seen) {
    let seen = timeout(Duration::from_secs(5), tally.seen.recv())
        .await
        .expect("a report")
        .unwrap();
    assert_eq!(&seen, expected);
}

/// The first fragment of a binary message, then a continuation that stops short.
fn partial_message() -> Vec<u8> {
    let mut out = frame_header(false, 0x2, 100);
    out.resize(out.len() + 100, 7);
    out.extend_from_slice(&frame_header(true, 0x0, 1000));
    out.resize(out.len() + 10, 7);
    out
}

const UPLOAD_HEAD: &[u8] = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abrupt_disconnects_reach_the_app_and_leak_nothing() {
    const ROUNDS: usize = 20;
    timeout(LIMIT, async {
        let mut server = support::start(Server::builder()).await;
        let addr = server.addr;
        let tasks0 = alive_tasks();
        let started = Instant::now();
        let abnormal = Seen::WsEnd(CloseCode::ABNORMAL);
        // One HTTP/2 connection whose streams are reset one after another.
        let (shared, shared_conn) = h2_client(addr).await;
        for round in 0..ROUNDS {
            let reset = round % 2 == 1;
            // HTTP/1.1, mid-body: FIN or reset.
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(UPLOAD_HEAD).await.unwrap();
            s.write_all(&[1; 1000]).await.unwrap();
            expect_seen(&mut server.tally, &Seen::Body).await;
            if reset {
                reset_on_drop(&s);
            }
            drop(s);
            expect_seen(&mut server.tally, &Seen::HttpDisconnect).await;

            // HTTP/1.1 WebSocket, mid-message: FIN or reset.
            let tcp = TcpStream::connect(addr).await.unwrap();
            let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), tcp)
                .await
                .unwrap();
            ws.get_mut().write_all(&partial_message()).await.unwrap();
            if reset {
                reset_on_drop(ws.get_ref());
            }
            drop(ws);
            expect_seen(&mut server.tally, &abnormal).await;

            // HTTP/2, mid-body: the stream reset on a shared connection, or the whole
            // connection dropped.
            let (client, conn) = if reset {
                (shared.clone(), None)
            } else {
                let (c, t) = h2_client(addr).await;
                (c, Some(t))
            };
            let request = Request::post("http://t/upload").body(()).unwrap();
            let mut ready = client.clone().ready().await.unwrap();
            let (_response, mut body) = ready.send_request(request, false).unwrap();
            body.send_data(Bytes::from(vec![1; 1000]), false).unwrap();
            expect_seen(&mut server.tally, &Seen::Body).await;
            match conn {
                Some(conn) => conn.abort(),
                None => body.send_reset(h2::Reason::CANCEL),
            }
            expect_seen(&mut server.tally, &Seen::HttpDisconnect).await;

            // HTTP/2 WebSocket, mid-message: likewise.
            let (client, conn) = if reset {
                (shared.clone(), None)
            } else {
                let (c, t) = h2_client(addr).await;
                (c, Some(t))
            };
            let mut ws = H2Ws::open(&client, round as u64).await;
            ws.send_raw(Bytes::from(partial_message())).await;
            match conn {
                Some(conn) => conn.abort(),
                None => ws.send.send_reset(h2::Reason::CANCEL),
            }
            expect_seen(&mut server.tally, &abnormal).await;
        }
        let took = started.elapsed();
        // The shared connection still serves.
        let (status, _) = h2_get(&shared, "/hello").await;
        assert_eq!(status, StatusCode::OK);
        drop(shared);
        shared_conn.abort();
        let live = &server.tally.live;
        assert!(
            wait_until(Duration::from_secs(5), || live.load(Ordering::SeqCst) == 0).await,
            "{} sessions still live",
            live.load(Ordering::SeqCst)
        );
        assert!(
            wait_until(Duration::from_secs(5), || alive_tasks() <= tasks0).await,
            "{} tasks alive, {tasks0} before",
            alive_tasks()
        );
        println!(
            "{} abrupt disconnects ({} each of 8 kinds) in {took:?}: every one reported, \
             0 sessions left, {} tasks alive (baseline {tasks0})",
            ROUNDS * 4,
            ROUNDS / 2,
            alive_tasks()
        );
        server.shutdown.shutdown();
    })
    .await
    .expect("in time");
}
