//! The server over HTTP/2 with the `h2` crate as client: prior knowledge in cleartext and
//! ALPN `h2` over TLS, flow control across many windows, concurrent streams, trailers,
//! a slow reader that stalls only its own stream, a panicking handler, graceful
//! shutdown and the idle timeout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::future::poll_fn;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{LIMIT, start, start_default};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use stator_tokio::Server;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// An h2 client on `io`; the connection runs on its own task, whose handle is returned.
async fn client_on<T>(io: T) -> (h2::client::SendRequest<Bytes>, tokio::task::JoinHandle<()>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (client, conn) = h2::client::Builder::new()
        .initial_window_size(1 << 20)
        .initial_connection_window_size(4 << 20)
        .handshake::<_, Bytes>(io)
        .await
        .unwrap();
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    (client, task)
}

async fn client(addr: std::net::SocketAddr) -> h2::client::SendRequest<Bytes> {
    client_on(TcpStream::connect(addr).await.unwrap()).await.0
}

/// Sends `data` as flow control allows.
async fn send_all(stream: &mut h2::SendStream<Bytes>, mut data: Bytes, end: bool) {
    while !data.is_empty() {
        stream.reserve_capacity(data.len());
        let cap = poll_fn(|cx| stream.poll_capacity(cx))
            .await
            .unwrap()
            .unwrap();
        if cap == 0 {
            continue;
        }
        let chunk = data.split_to(cap.min(data.len()));
        stream.send_data(chunk, false).unwrap();
    }
    if end {
        stream.send_data(Bytes::new(), true).unwrap();
    }
}

/// Reads a whole body, releasing capacity as it goes, and its trailers.
async fn read_all(body: &mut h2::RecvStream) -> (Vec<u8>, Option<HeaderMap>) {
    let mut all = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        body.flow_control().release_capacity(chunk.len()).unwrap();
        all.extend_from_slice(&chunk);
    }
    (all, body.trailers().await.unwrap())
}

struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    trailers: Option<HeaderMap>,
}

async fn fetch(
    client: &h2::client::SendRequest<Bytes>,
    method: Method,
    path: &str,
    body: Option<Bytes>,
    trailers: Option<HeaderMap>,
) -> Fetched {
    let req = Request::builder()
        .method(method)
        .uri(format!("http://localhost{path}"))
        .body(())
        .unwrap();
    let mut client = client.clone().ready().await.unwrap();
    let has_body = body.is_some() || trailers.is_some();
    let (resp, mut send) = client.send_request(req, !has_body).unwrap();
    // Send while reading: an echo answers before the request is complete.
    let sending = tokio::spawn(async move {
        if let Some(b) = body {
            send_all(&mut send, b, trailers.is_none()).await;
        }
        if let Some(t) = trailers {
            send.send_trailers(t).unwrap();
        }
    });
    let resp = resp.await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let (body, trailers) = read_all(&mut resp.into_body()).await;
    sending.await.unwrap();
    Fetched {
        status,
        headers,
        body,
        trailers,
    }
}

fn pattern(n: usize) -> Bytes {
    (0..n).map(|i| (i % 251) as u8).collect::<Vec<_>>().into()
}

#[tokio::test]
async fn get_over_prior_knowledge() {
    timeout(LIMIT, async {
        let server = start(Server::builder().alt_svc(Some("h3=\":443\"".into()))).await;
        let client = client(server.addr).await;
        let got = fetch(&client, Method::GET, "/hello", None, None).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body, b"hello");
        assert_eq!(got.headers["x-scheme"], "http");
        assert_eq!(got.headers["alt-svc"], "h3=\":443\"");
        let missing = fetch(&client, Method::GET, "/nowhere", None, None).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn connection_specific_fields_of_a_response_are_dropped_not_refused() {
    timeout(LIMIT, async {
        let server = start(Server::builder()).await;
        let client = client(server.addr).await;
        let got = fetch(&client, Method::GET, "/hop-by-hop", None, None).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body, b"hop");
        // RFC 9113 §8.2.2: the fields named by `connection` go with it.
        for name in ["connection", "keep-alive", "x-hop"] {
            assert!(!got.headers.contains_key(name), "{name} sent over HTTP/2");
        }
        assert_eq!(got.headers["x-kept"], "1");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_large_post_is_echoed_across_many_windows() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let client = client(server.addr).await;
        // 6 MiB: three times the server's stream window, six times the client's.
        let body = pattern(6 << 20);
        let got = fetch(&client, Method::POST, "/echo", Some(body.clone()), None).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body.len(), body.len());
        assert!(got.body == body.as_ref());
        let got = fetch(&client, Method::POST, "/echo-len", Some(body.clone()), None).await;
        assert_eq!(
            got.headers["content-length"],
            body.len().to_string().as_str()
        );
        assert!(got.body == body.as_ref());
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn many_concurrent_streams() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let client = client(server.addr).await;
        // The first exchange brings the server's SETTINGS (100 concurrent streams): the
        // client queues the rest instead of having them refused.
        let _ = fetch(&client, Method::GET, "/hello", None, None).await;
        let mut tasks = Vec::new();
        for i in 0..300usize {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let body = Bytes::from(format!("stream {i} ").repeat(i % 50 + 1));
                let got = fetch(&client, Method::POST, "/echo-len", Some(body.clone()), None).await;
                assert_eq!(got.status, StatusCode::OK);
                assert_eq!(got.body, body.as_ref());
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn trailers_both_ways() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let client = client(server.addr).await;
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", HeaderValue::from_static("abc"));
        let got = fetch(
            &client,
            Method::POST,
            "/trailers",
            Some(pattern(100_000)),
            Some(trailers),
        )
        .await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.body.len(), 100_000);
        let trailers = got.trailers.expect("response trailers");
        assert_eq!(trailers["x-checksum"], "abc");
        assert_eq!(trailers["x-length"], "100000");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_slow_reader_does_not_stall_another_stream() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let client = client(server.addr).await;
        // /stall reads nothing for 500 ms: its 4 MiB fill its stream window and wait.
        let slow_client = client.clone();
        let slow = tokio::spawn(async move {
            let got = fetch(
                &slow_client,
                Method::POST,
                "/stall",
                Some(pattern(4 << 20)),
                None,
            )
            .await;
            (got.status, got.body)
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let got = fetch(&client, Method::POST, "/echo", Some(pattern(1 << 20)), None).await;
        assert_eq!(got.body.len(), 1 << 20);
        assert!(
            started.elapsed() < Duration::from_millis(350),
            "the other stream waited {:?}",
            started.elapsed()
        );
        let (status, body) = slow.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, (4usize << 20).to_string().as_bytes());
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_panicking_handler_gets_500_and_the_other_streams_go_on() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let client = client(server.addr).await;
        let slow_client = client.clone();
        let slow = tokio::spawn(async move {
            fetch(&slow_client, Method::GET, "/slow", None, None)
                .await
                .body
        });
        let got = fetch(&client, Method::GET, "/panic", None, None).await;
        assert_eq!(got.status, StatusCode::INTERNAL_SERVER_ERROR);
        let dropped = fetch(&client, Method::GET, "/drop", None, None).await;
        assert_eq!(dropped.status, StatusCode::INTERNAL_SERVER_ERROR);
        let got = fetch(&client, Method::GET, "/hello", None, None).await;
        assert_eq!(got.body, b"hello");
        assert_eq!(slow.await.unwrap(), b"slow");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_stream_finish() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let (client, conn) = client_on(TcpStream::connect(server.addr).await.unwrap()).await;
        let _ = fetch(&client, Method::GET, "/hello", None, None).await;
        let slow_client = client.clone();
        let slow = tokio::spawn(async move {
            let got = fetch(&slow_client, Method::GET, "/slow", None, None).await;
            (got.status, got.body)
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.shutdown.shutdown();
        let (status, body) = slow.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"slow");
        // The server finishes once the connection drained, and the client sees it close.
        server.task.await.unwrap().unwrap();
        conn.await.unwrap();
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn an_idle_connection_is_closed_with_goaway() {
    timeout(LIMIT, async {
        let server = start(Server::builder().keep_alive_timeout(Duration::from_millis(200))).await;
        let (client, conn) = client_on(TcpStream::connect(server.addr).await.unwrap()).await;
        let got = fetch(&client, Method::GET, "/hello", None, None).await;
        assert_eq!(got.body, b"hello");
        let started = Instant::now();
        conn.await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150));
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_stream_reset_mid_request_leaves_the_connection_serving() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let client = client(server.addr).await;
        let request = Request::post("http://localhost/echo").body(()).unwrap();
        let (response, mut send) = client
            .clone()
            .ready()
            .await
            .unwrap()
            .send_request(request, false)
            .unwrap();
        send.send_data(pattern(10_000), false).unwrap();
        let response = response.await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        send.send_reset(h2::Reason::CANCEL);
        let got = fetch(&client, Method::GET, "/hello", None, None).await;
        assert_eq!(got.body, b"hello");
        // The server's window was not lost with the reset stream.
        let got = fetch(&client, Method::POST, "/echo", Some(pattern(5 << 20)), None).await;
        assert_eq!(got.body.len(), 5 << 20);
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_connection_without_a_request_closes_after_the_header_read_timeout() {
    timeout(LIMIT, async {
        let server = start(Server::builder().header_read_timeout(Duration::from_millis(200))).await;
        let started = Instant::now();
        let (_client, conn) = client_on(TcpStream::connect(server.addr).await.unwrap()).await;
        conn.await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(150));
    })
    .await
    .expect("in time");
}
