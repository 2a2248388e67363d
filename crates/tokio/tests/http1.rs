//! HTTP/1.1 through the server: hyper's client and raw sockets as peers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{LIMIT, raw, read_until, start, start_default};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use stator_tokio::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn client(addr: std::net::SocketAddr) -> Sender {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender
}

async fn send(
    sender: &mut Sender,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (http::response::Parts, Bytes, Option<HeaderMap>) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "test")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let (head, body) = response.into_parts();
    let collected = body.collect().await.expect("body");
    let trailers = collected.trailers().cloned();
    (head, collected.to_bytes(), trailers)
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn get_and_post_echo_with_large_bodies() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut sender = client(server.addr).await;
        let (head, body, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(&body[..], b"hello");
        assert_eq!(head.headers["content-length"], "5");

        // 3 MB: many socket reads, more than the unconsumed limit, streamed back chunked.
        let big = pattern(3 << 20);
        let (head, body, _) = send(&mut sender, "POST", "/echo", big.clone()).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.headers["transfer-encoding"], "chunked");
        assert_eq!(body.len(), big.len());
        assert!(body[..] == big[..]);

        // The same, read whole and answered with a Content-Length.
        let (head, body, _) = send(&mut sender, "POST", "/echo-len", big.clone()).await;
        assert_eq!(
            head.headers["content-length"],
            big.len().to_string().as_str()
        );
        assert!(body[..] == big[..]);
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn keep_alive_reuses_the_connection() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut sender = client(server.addr).await;
        let mut ports = Vec::new();
        for _ in 0..5 {
            let (head, _, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
            ports.push(head.headers["x-client-port"].clone());
        }
        assert!(ports.windows(2).all(|w| w[0] == w[1]), "{ports:?}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn chunked_request_and_trailers_both_ways() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let request = b"POST /trailers HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
            Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: abc\r\n\r\n";
        let response = raw(server.addr, request).await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(
            response.contains("transfer-encoding: chunked"),
            "{response}"
        );
        assert!(response.contains("hello world"), "{response}");
        assert!(response.contains("x-checksum: abc\r\n"), "{response}");
        assert!(response.contains("x-length: 11\r\n"), "{response}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let request = b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n\
            POST /echo-len HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nsecond\
            GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        let response = raw(server.addr, request).await;
        let slow = response.find("slow").expect("first");
        let second = response.find("second").expect("second");
        let hello = response.find("hello").expect("third");
        assert!(slow < second && second < hello, "{response}");
        assert_eq!(response.matches("HTTP/1.1 200 OK").count(), 3, "{response}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn expect_100_continue_when_the_app_reads() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(
                b"POST /echo-len HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\
                  Expect: 100-continue\r\n\r\n",
            )
            .await
            .unwrap();
        let interim = read_until(&mut stream, "\r\n\r\n").await;
        assert!(
            interim.starts_with("HTTP/1.1 100 Continue\r\n"),
            "{interim}"
        );
        stream.write_all(b"ping").await.unwrap();
        let response = read_until(&mut stream, "ping").await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");

        // An app that answers without reading sends no 100.
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(
                b"POST /refuse HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\
                  Expect: 100-continue\r\n\r\n",
            )
            .await
            .unwrap();
        let response = read_until(&mut stream, "no").await;
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_the_server_keeps_serving() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let response = raw(
            server.addr,
            b"GET /panic HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 500"), "{response}");
        let mut sender = client(server.addr).await;
        let (head, body, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(&body[..], b"hello");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_session_dropped_unanswered_gets_500_and_keeps_the_connection() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut sender = client(server.addr).await;
        let (head, _, _) = send(&mut sender, "GET", "/drop", Vec::new()).await;
        assert_eq!(head.status, StatusCode::INTERNAL_SERVER_ERROR);
        let (head, _, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
        assert_eq!(head.status, StatusCode::OK);
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn slowloris_is_cut_off_while_others_are_served() {
    timeout(LIMIT, async {
        let server = start(Server::builder().header_read_timeout(Duration::from_millis(300))).await;
        let started = Instant::now();
        let mut slow = TcpStream::connect(server.addr).await.unwrap();
        slow.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\n")
            .await
            .unwrap();

        let mut sender = client(server.addr).await;
        let (head, _, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
        assert_eq!(head.status, StatusCode::OK);

        let mut buf = [0u8; 64];
        let n = slow.read(&mut buf).await.unwrap_or(0);
        assert_eq!(n, 0, "the half head got an answer");
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn alt_svc_is_added_when_configured() {
    timeout(LIMIT, async {
        let server = start(Server::builder().alt_svc(Some("h3=\":443\"; ma=60".into()))).await;
        let mut sender = client(server.addr).await;
        let (head, _, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
        assert_eq!(head.headers["alt-svc"], "h3=\":443\"; ma=60");
        let plain = start_default().await;
        let mut sender = client(plain.addr).await;
        let (head, _, _) = send(&mut sender, "GET", "/hello", Vec::new()).await;
        assert!(!head.headers.contains_key("alt-svc"));
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn an_app_that_does_not_read_stops_the_socket_reads() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    timeout(LIMIT, async {
        let server = start_default().await;
        let total: usize = 64 << 20;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let written = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&written);
        let writer = tokio::spawn(async move {
            let head = format!(
                "POST /stall HTTP/1.1\r\nHost: t\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            let chunk = vec![7u8; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                stream.write_all(&chunk).await.unwrap();
                sent += chunk.len();
                counter.store(sent, Ordering::SeqCst);
            }
            let mut out = Vec::new();
            stream.read_to_end(&mut out).await.unwrap();
            String::from_utf8_lossy(&out).into_owned()
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The app has read nothing: only the socket buffers and the unconsumed limit hold
        // content, far from all 64 MiB.
        let stalled = written.load(Ordering::SeqCst);
        assert!(stalled < total / 2, "{stalled} bytes went in while the app slept");
        let response = writer.await.unwrap();
        assert!(response.ends_with(&total.to_string()), "{response}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn head_responses_carry_no_content() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let response = raw(
            server.addr,
            b"HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        // The HEAD answer has the length the content would have, and no content: the
        // next response follows its head directly.
        let (first, second) = response.split_once("\r\n\r\n").expect("a head");
        assert!(first.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(first.contains("content-length: 5"), "{response}");
        assert!(second.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(second.ends_with("\r\n\r\nhello"), "{response}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    timeout(LIMIT, async {
        let server = start(Server::builder().keep_alive_timeout(Duration::from_millis(200))).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let _ = read_until(&mut stream, "hello").await;
        let started = Instant::now();
        let mut buf = [0u8; 16];
        assert_eq!(stream.read(&mut buf).await.unwrap_or(0), 0);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn max_connections_holds_further_clients_back() {
    timeout(LIMIT, async {
        let server = start(Server::builder().max_connections(1)).await;
        let mut first = TcpStream::connect(server.addr).await.unwrap();
        first
            .write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let _ = read_until(&mut first, "hello").await;
        // The second connection waits in the backlog while the first is open.
        let mut second = TcpStream::connect(server.addr).await.unwrap();
        second
            .write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 16];
        let early = timeout(Duration::from_millis(300), second.read(&mut buf)).await;
        assert!(early.is_err(), "served past the limit");
        drop(first);
        let response = read_until(&mut second, "hello").await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    })
    .await
    .expect("in time");
}
