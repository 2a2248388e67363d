//! `stator-bench`: the servers and the WebSocket load client behind `cargo xtask bench`.
//!
//! ```text
//! stator-bench http-stator ADDR     HTTP/1.1 + h2c (prior knowledge), GET / -> 13 bytes
//! stator-bench http-hyper ADDR      the same with hyper 1.x (hyper-util's auto builder)
//! stator-bench ws-stator ADDR       WebSocket echo, stator-tokio
//! stator-bench ws-tungstenite ADDR  WebSocket echo, tokio-tungstenite
//! stator-bench ws-fastwebsockets ADDR  WebSocket echo, fastwebsockets (hyper upgrade)
//! stator-bench ws-client ADDR CONNECTIONS SIZE SECONDS
//!                                   echo load: every connection sends a binary message
//!                                   of SIZE bytes, awaits its echo, repeats until SECONDS
//!                                   pass; prints `echoes/s: N`
//! ```
//!
//! Every server runs on tokio's multi-threaded runtime with its default worker count (one
//! per core) and sets `TCP_NODELAY`, so only the protocol code differs between them. The
//! client is the same for every WebSocket server: a hand-written masked-frame writer and
//! frame reader with almost no cost of its own, so it does not favour any server.

// Benchmark code over trusted local input (our own servers and the xtask's arguments):
// unwrap on setup failures and plain arithmetic are what a benchmark should do, like the
// crates' criterion benchmarks; the panic-free rules guard peer input in the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::cast_precision_loss,
    missing_docs
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The hello-world body: 13 bytes.
const BODY: &[u8] = b"Hello, world!";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: stator-bench (http-stator|http-hyper|ws-stator|ws-tungstenite|ws-fastwebsockets) ADDR\n       stator-bench ws-client ADDR CONNECTIONS SIZE SECONDS";
    let (Some(mode), Some(addr)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let addr: SocketAddr = addr.parse().expect("ADDR: an ip:port");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match mode.as_str() {
        "http-stator" => rt.block_on(http_stator(addr)),
        "http-hyper" => rt.block_on(http_hyper(addr)),
        "ws-stator" => rt.block_on(ws_stator(addr)),
        "ws-tungstenite" => rt.block_on(ws_tungstenite(addr)),
        "ws-fastwebsockets" => rt.block_on(ws_fastwebsockets(addr)),
        "ws-client" => {
            let num = |i: usize, what: &str| -> u64 {
                args.get(i)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("{what}: a number\n{usage}"))
            };
            let (conns, size, secs) = (num(2, "CONNECTIONS"), num(3, "SIZE"), num(4, "SECONDS"));
            rt.block_on(ws_client(addr, conns, size as usize, secs));
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------- HTTP servers

async fn http_stator(addr: SocketAddr) {
    use stator_tokio::{Server, Session};
    let server = Server::builder().bind(addr).build().await.expect("bind");
    println!("listening on {}", server.local_addr().expect("local_addr"));
    server
        .serve(|session: Session| async move {
            if let Session::Http(mut http) = session {
                let _ = http
                    .respond(http::Response::new(Bytes::from_static(BODY)))
                    .await;
            }
        })
        .await
        .expect("serve");
}

async fn http_hyper(addr: SocketAddr) {
    use http_body_util::Full;
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;

    let listener = TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on {}",
        listener.local_addr().expect("local_addr")
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(BODY))))
            });
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

// ----------------------------------------------------------- WebSocket servers

async fn ws_stator(addr: SocketAddr) {
    use stator_tokio::{Accept, Server, Session, WebSocketEvent};
    let server = Server::builder()
        .bind(addr)
        // No keep-alive pings: the peers send none either.
        .ws_ping_interval(None)
        .build()
        .await
        .expect("bind");
    println!("listening on {}", server.local_addr().expect("local_addr"));
    server
        .serve(|session: Session| async move {
            if let Session::WebSocket(mut ws) = session {
                if ws.accept(Accept::new()).await.is_err() {
                    return;
                }
                while let WebSocketEvent::Message(message) = ws.receive().await {
                    if ws.send(message).await.is_err() {
                        break;
                    }
                }
            }
        })
        .await
        .expect("serve");
}

async fn ws_tungstenite(addr: SocketAddr) {
    use futures_util::{SinkExt, StreamExt};
    let listener = TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on {}",
        listener.local_addr().expect("local_addr")
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(message)) = ws.next().await {
                if (message.is_binary() || message.is_text()) && ws.send(message).await.is_err() {
                    break;
                }
            }
        });
    }
}

async fn ws_fastwebsockets(addr: SocketAddr) {
    use fastwebsockets::{FragmentCollector, OpCode, upgrade};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let listener = TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on {}",
        listener.local_addr().expect("local_addr")
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            // fastwebsockets' own echo example: hyper answers the Upgrade, the frames
            // then go through a FragmentCollector (whole messages, like the others).
            let service = service_fn(
                |mut req: hyper::Request<hyper::body::Incoming>| async move {
                    let (response, fut) = upgrade::upgrade(&mut req)?;
                    tokio::spawn(async move {
                        let Ok(ws) = fut.await else { return };
                        let mut ws = FragmentCollector::new(ws);
                        while let Ok(frame) = ws.read_frame().await {
                            match frame.opcode {
                                OpCode::Close => break,
                                OpCode::Text | OpCode::Binary => {}
                                _ => continue,
                            }
                            if ws.write_frame(frame).await.is_err() {
                                break;
                            }
                        }
                    });
                    Ok::<_, fastwebsockets::WebSocketError>(response)
                },
            );
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

// ------------------------------------------------------------ WebSocket client

/// A masked binary client frame of `size` payload bytes (RFC 6455 §5.2), built once and
/// sent as is for every message: the client's per-message cost is one write.
fn client_frame(size: usize) -> Vec<u8> {
    let key = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut f = vec![0x82];
    if size < 126 {
        f.push(0x80 | size as u8);
    } else if size <= 0xffff {
        f.push(0x80 | 0x7e);
        f.extend_from_slice(&(size as u16).to_be_bytes());
    } else {
        f.push(0x80 | 0x7f);
        f.extend_from_slice(&(size as u64).to_be_bytes());
    }
    f.extend_from_slice(&key);
    f.extend((0..size).map(|i| (i as u8) ^ key[i % 4]));
    f
}

async fn ws_client(addr: SocketAddr, connections: u64, size: usize, seconds: u64) {
    let frame: Arc<[u8]> = client_frame(size).into();
    let echoes = Arc::new(AtomicU64::new(0));
    // Connect and upgrade every connection first, then start the clock for all.
    let mut streams = Vec::new();
    for _ in 0..connections {
        streams.push(handshake(addr).await);
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|(reader, mut writer)| {
            let frame = frame.clone();
            let echoes = echoes.clone();
            tokio::spawn(async move {
                let mut reader = reader;
                let mut payload = vec![0u8; size];
                let mut n = 0u64;
                while Instant::now() < deadline {
                    writer.write_all(&frame).await.expect("send");
                    read_echo(&mut reader, &mut payload, size).await;
                    n += 1;
                }
                echoes.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a client task");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let total = echoes.load(Ordering::Relaxed);
    println!("connections: {connections}, size: {size} B, echoes: {total}, seconds: {elapsed:.2}");
    println!("echoes/s: {:.0}", total as f64 / elapsed);
}

type Reader = BufReader<tokio::net::tcp::OwnedReadHalf>;

/// Connects and performs the client handshake (RFC 6455 §4.1) with the RFC's sample key.
async fn handshake(addr: SocketAddr) -> (Reader, tokio::net::tcp::OwnedWriteHalf) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (r, mut w) = stream.into_split();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    w.write_all(request.as_bytes())
        .await
        .expect("send handshake");
    let mut r = BufReader::with_capacity(128 * 1024, r);
    let mut line = String::new();
    r.read_line(&mut line).await.expect("read status");
    assert!(line.starts_with("HTTP/1.1 101"), "no upgrade: {line}");
    loop {
        line.clear();
        r.read_line(&mut line).await.expect("read header");
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    (r, w)
}

/// Reads frames until a data frame arrives; checks it carries `size` bytes and our data.
async fn read_echo(r: &mut Reader, payload: &mut [u8], size: usize) {
    loop {
        let mut head = [0u8; 2];
        r.read_exact(&mut head).await.expect("read frame header");
        assert!(head[1] & 0x80 == 0, "a server frame must not be masked");
        let len = match head[1] & 0x7f {
            126 => usize::from(r.read_u16().await.expect("length")),
            127 => r.read_u64().await.expect("length") as usize,
            n => usize::from(n),
        };
        let opcode = head[0] & 0x0f;
        if opcode == 0x2 && head[0] & 0x80 != 0 {
            assert_eq!(len, size, "echo of another size");
            r.read_exact(payload).await.expect("read payload");
            assert!(
                payload.last().is_none_or(|&b| b == ((size - 1) as u8)),
                "echo with other content"
            );
            return;
        }
        assert!(
            opcode >= 0x8,
            "unexpected frame opcode {opcode} (fragmented echo?)"
        );
        // A control frame (ping): skip it.
        let mut skip = vec![0u8; len];
        r.read_exact(&mut skip).await.expect("read control frame");
    }
}
