//! The client against real servers on loopback: the stator server (HTTP/1.1 and
//! WebSocket Upgrade), hyper (HTTP/1.1, h2c prior knowledge, HTTP/2 over TLS) and the
//! `h2` crate (Extended CONNECT WebSocket, and a server without it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use stator_tokio::client::{ClientError, Trailers, WebSocketOptions};
use stator_tokio::tls::{ClientTls, Identity, ServerTls};
use stator_tokio::{Client, CloseCode, Message, WebSocketEvent};
use tokio::net::{TcpListener, TcpStream};

use common::{pattern, run, start_default};

// ---- HTTP/1.1 against the stator server ------------------------------------------------

#[test]
fn h1_get_and_keep_alive_reuse_one_connection() {
    run(async {
        let server = start_default().await;
        let client = Client::new();
        let url = format!("http://{}/hello", server.addr);
        let mut ports = Vec::new();
        for _ in 0..3 {
            let response = client.get(&url).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.body(), "hello");
            assert_eq!(response.version(), Version::HTTP_11);
            ports.push(response.headers()["x-client-port"].clone());
        }
        assert_eq!(ports[0], ports[1]);
        assert_eq!(ports[1], ports[2]);
        // A clone shares the pool.
        let again = client.clone().get(&url).await.unwrap();
        assert_eq!(again.headers()["x-client-port"], ports[0]);
    });
}

#[test]
fn h1_post_large_body_both_framings() {
    run(async {
        let server = start_default().await;
        let client = Client::new();
        let body = Bytes::from(pattern(3 << 20));
        for path in ["/echo-len", "/echo"] {
            let request = Request::post(format!("http://{}{path}", server.addr))
                .body(body.clone())
                .unwrap();
            let response = client.request(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.body().len(), body.len(), "{path}");
            assert!(response.body() == &body, "{path}");
        }
    });
}

#[test]
fn h1_response_over_the_limit_is_refused() {
    run(async {
        let server = start_default().await;
        let client = Client::builder().max_response_body(3).build();
        let error = client
            .get(&format!("http://{}/hello", server.addr))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ClientError::BodyTooLarge { limit: 3 }),
            "{error:?}"
        );
        let error = client.get("ftp://example.org/").await.unwrap_err();
        assert!(matches!(error, ClientError::BadUrl(_)), "{error:?}");
        let error = client.get("https://localhost:1/").await.unwrap_err();
        assert!(matches!(error, ClientError::NoTls), "{error:?}");
    });
}

#[test]
fn request_timeout_fires() {
    run(async {
        let server = start_default().await;
        let client = Client::builder()
            .request_timeout(std::time::Duration::from_millis(100))
            .build();
        let error = client
            .get(&format!("http://{}/hang", server.addr))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ClientError::Timeout {
                    what: "request",
                    ..
                }
            ),
            "{error:?}"
        );
    });
}

// ---- hyper as the server ----------------------------------------------------------------

async fn hyper_service(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let version = format!("{:?}", req.version());
    let path = req.uri().path().to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes);
    let body = body.unwrap_or_default();
    let mut response = if path == "/echo" {
        Response::new(Full::new(body))
    } else {
        Response::new(Full::new(Bytes::from_static(b"hello from hyper")))
    };
    response
        .headers_mut()
        .insert("x-version", version.parse().unwrap());
    Ok(response)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    H1,
    H2c,
    Tls,
}

/// A hyper server; counts the TCP connections it accepted.
async fn hyper_server(mode: Mode) -> (SocketAddr, Arc<AtomicUsize>, Option<ClientTls>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (acceptor, client_tls) = if mode == Mode::Tls {
        let identity = Identity::self_signed(["localhost"]).unwrap();
        let client = ClientTls::from_root_pem(identity.certificate().pem().as_bytes()).unwrap();
        (
            Some(ServerTls::new(&identity).unwrap().acceptor()),
            Some(client),
        )
    } else {
        (None, None)
    };
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(hyper_service);
                match (mode, acceptor) {
                    (Mode::Tls, Some(acceptor)) => {
                        let tls = acceptor.accept(tcp).await.unwrap();
                        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                        let io = TokioIo::new(tls);
                        if h2 {
                            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, svc)
                                .await;
                        } else {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, svc)
                                .await;
                        }
                    }
                    (Mode::H2c, _) => {
                        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(tcp), svc)
                            .await;
                    }
                    _ => {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(tcp), svc)
                            .await;
                    }
                }
            });
        }
    });
    (addr, accepted, client_tls)
}

/// 20 concurrent GETs and a large POST on `client`; returns nothing, asserts all.
async fn concurrent_and_large(client: &Client, base: &str, version: &str) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let client = client.clone();
        let url = format!("{base}/n{i}");
        tasks.push(tokio::spawn(async move { client.get(&url).await }));
    }
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body(), "hello from hyper");
        assert_eq!(response.headers()["x-version"], version);
    }
    let body = Bytes::from(pattern(2 << 20));
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{base}/echo"))
        .body(body.clone())
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert!(response.body() == &body);
}

#[test]
fn hyper_h1_keep_alive() {
    run(async {
        let (addr, accepted, _) = hyper_server(Mode::H1).await;
        let client = Client::new();
        for _ in 0..3 {
            let response = client.get(&format!("http://{addr}/")).await.unwrap();
            assert_eq!(response.headers()["x-version"], "HTTP/1.1");
        }
        let body = Bytes::from(pattern(1 << 20));
        let request = Request::post(format!("http://{addr}/echo"))
            .body(body.clone())
            .unwrap();
        assert!(client.request(request).await.unwrap().body() == &body);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn hyper_h2c_prior_knowledge_shares_one_connection() {
    run(async {
        let (addr, accepted, _) = hyper_server(Mode::H2c).await;
        let client = Client::builder().http2_prior_knowledge(true).build();
        concurrent_and_large(&client, &format!("http://{addr}"), "HTTP/2.0").await;
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn hyper_h2_over_tls_alpn_shares_one_connection() {
    run(async {
        let (addr, accepted, tls) = hyper_server(Mode::Tls).await;
        let client = Client::builder().tls(tls.unwrap()).build();
        let base = format!("https://localhost:{}", addr.port());
        concurrent_and_large(&client, &base, "HTTP/2.0").await;
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn hyper_tls_http1_only_uses_alpn_http11() {
    run(async {
        let (addr, _, tls) = hyper_server(Mode::Tls).await;
        let client = Client::builder().tls(tls.unwrap()).http1_only().build();
        let url = format!("https://localhost:{}/", addr.port());
        let response = client.get(&url).await.unwrap();
        assert_eq!(response.headers()["x-version"], "HTTP/1.1");
    });
}

#[test]
fn untrusted_certificate_fails_the_handshake() {
    run(async {
        let (addr, _, _) = hyper_server(Mode::Tls).await;
        let other = Identity::self_signed(["localhost"]).unwrap();
        let tls = ClientTls::from_root_pem(other.certificate().pem().as_bytes()).unwrap();
        let client = Client::builder().tls(tls).build();
        let url = format!("https://localhost:{}/", addr.port());
        let error = client.get(&url).await.unwrap_err();
        assert!(matches!(error, ClientError::Tls(_)), "{error:?}");
    });
}

// ---- WebSocket over HTTP/1.1 against the stator server -----------------------------------

#[test]
fn websocket_h1_echo_deflate_subprotocol_and_close_code() {
    run(async {
        let server = start_default().await;
        let client = Client::new();
        let options = WebSocketOptions {
            subprotocols: vec!["chat".to_owned()],
            ..WebSocketOptions::default()
        };
        let url = format!("ws://{}/hello", server.addr);
        let mut ws = client.websocket_with(&url, options).await.unwrap();
        assert_eq!(ws.http_version(), Version::HTTP_11);
        assert!(ws.deflate());
        assert_eq!(ws.subprotocol(), Some("chat"));
        let WebSocketEvent::Message(hello) = ws.receive().await else {
            panic!("a greeting")
        };
        assert_eq!(
            hello.as_bytes(),
            b"version=HTTP/1.1 deflate=true subprotocol=chat"
        );
        let big = Message::binary(pattern(200_000));
        for message in [Message::text("one"), big.clone(), Message::text("three")] {
            ws.send(message.clone()).await.unwrap();
            let WebSocketEvent::Message(echo) = ws.receive().await else {
                panic!("an echo")
            };
            assert_eq!(echo, message);
        }
        ws.send(Message::text("close-me")).await.unwrap();
        let WebSocketEvent::Disconnect { code, reason } = ws.receive().await else {
            panic!("the disconnect")
        };
        assert_eq!((code, reason.as_str()), (CloseCode::new(4000), "as asked"));
        assert!(matches!(
            ws.send(Message::text("late")).await,
            Err(ClientError::WsClosed)
        ));
    });
}

#[test]
fn websocket_h1_client_close_and_no_deflate() {
    run(async {
        let server = start_default().await;
        let client = Client::builder().websocket_deflate(false).build();
        let mut ws = client
            .websocket(&format!("ws://{}/ws", server.addr))
            .await
            .unwrap();
        assert!(!ws.deflate());
        ws.send(Message::text("x")).await.unwrap();
        assert!(matches!(ws.receive().await, WebSocketEvent::Message(_)));
        ws.close(CloseCode::NORMAL, "bye").await.unwrap();
        let WebSocketEvent::Disconnect { code, .. } = ws.receive().await else {
            panic!("the disconnect")
        };
        assert_eq!(code, CloseCode::NORMAL);
    });
}

#[test]
fn websocket_h1_rejected_handshake_is_an_error() {
    run(async {
        let server = start_default().await;
        let error = Client::new()
            .websocket(&format!("ws://{}/forbidden", server.addr))
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::WsHandshake(_)), "{error:?}");
    });
}

// ---- WebSocket over HTTP/2 (the h2 crate's server) ---------------------------------------

/// An h2 server (prior knowledge) echoing WebSocket messages on Extended CONNECT streams
/// with stator-ws framing; `connect_protocol` says whether SETTINGS enable it.
async fn serve_h2(tcp: TcpStream, connect_protocol: bool) {
    let mut builder = h2::server::Builder::new();
    if connect_protocol {
        builder.enable_connect_protocol();
    }
    let Ok(mut conn) = builder.handshake::<_, Bytes>(tcp).await else {
        return;
    };
    while let Some(Ok((req, mut respond))) = conn.accept().await {
        tokio::spawn(async move {
            let websocket = req.method() == Method::CONNECT
                && req
                    .extensions()
                    .get::<h2::ext::Protocol>()
                    .is_some_and(|p| p.as_str() == "websocket");
            if !websocket {
                let mut send = respond.send_response(Response::new(()), false).unwrap();
                let _ = send.send_data(Bytes::from_static(b"h2 hello"), false);
                let mut trailers = http::HeaderMap::new();
                trailers.insert("x-trailer", http::HeaderValue::from_static("yes"));
                let _ = send.send_trailers(trailers);
                return;
            }
            let mut recv = req.into_body();
            let mut send = respond.send_response(Response::new(()), false).unwrap();
            let mut ws = stator_ws::Connection::new(stator_ws::Config::server());
            while let Some(Ok(chunk)) = recv.data().await {
                let _ = recv.flow_control().release_capacity(chunk.len());
                ws.recv_bytes(chunk);
                while let Some(event) = ws.poll_event() {
                    if let stator_ws::Event::Message(m) = event {
                        let _ = ws.send(&m);
                    }
                }
                let mut out = Vec::new();
                while let Some(b) = ws.poll_transmit() {
                    out.extend_from_slice(&b);
                }
                let fin = ws.wants_close_transport();
                send.reserve_capacity(out.len());
                if send.send_data(Bytes::from(out), fin).is_err() || fin {
                    return;
                }
            }
        });
    }
}

#[test]
fn websocket_h2_extended_connect_echo() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve_h2(tcp, true));
            }
        });
        let client = Client::builder().http2_prior_knowledge(true).build();
        // A request first: the WebSocket then shares its connection.
        let response = client.get(&format!("http://{addr}/")).await.unwrap();
        assert_eq!(response.body(), "h2 hello");
        assert_eq!(response.version(), Version::HTTP_2);
        let trailers = response.extensions().get::<Trailers>().expect("trailers");
        assert_eq!(trailers.0["x-trailer"], "yes");
        let mut ws = client.websocket(&format!("ws://{addr}/ws")).await.unwrap();
        assert_eq!(ws.http_version(), Version::HTTP_2);
        assert!(!ws.deflate(), "this server declines permessage-deflate");
        for message in [Message::text("over h2"), Message::binary(pattern(50_000))] {
            ws.send(message.clone()).await.unwrap();
            let WebSocketEvent::Message(echo) = ws.receive().await else {
                panic!("an echo")
            };
            assert_eq!(echo, message);
        }
        ws.close(CloseCode::new(4001), "done").await.unwrap();
        let WebSocketEvent::Disconnect { code, .. } = ws.receive().await else {
            panic!("the disconnect")
        };
        assert_eq!(code, CloseCode::new(4001));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn websocket_falls_back_to_h1_upgrade_without_extended_connect() {
    run(async {
        let stator = start_default().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        // HTTP/2 (prior knowledge) goes to an h2 server without Extended CONNECT;
        // HTTP/1.1 is relayed to the stator server.
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut head = [0u8; 3];
                    let n = tcp.peek(&mut head).await.unwrap_or(0);
                    if n == 3 && &head == b"PRI" {
                        serve_h2(tcp, false).await;
                    } else {
                        let mut tcp = tcp;
                        let mut upstream = TcpStream::connect(stator.addr).await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
                    }
                });
            }
        });
        let client = Client::builder().http2_prior_knowledge(true).build();
        let mut ws = client
            .websocket(&format!("ws://{addr}/hello"))
            .await
            .unwrap();
        assert_eq!(ws.http_version(), Version::HTTP_11);
        let WebSocketEvent::Message(hello) = ws.receive().await else {
            panic!("a greeting")
        };
        assert!(
            String::from_utf8_lossy(hello.as_bytes()).starts_with("version=HTTP/1.1"),
            "{hello:?}"
        );
        ws.send(Message::text("echo")).await.unwrap();
        assert!(
            matches!(ws.receive().await, WebSocketEvent::Message(m) if m.as_bytes() == b"echo")
        );
        // One HTTP/2 connection (SETTINGS without Extended CONNECT), one HTTP/1.1.
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    });
}

// ---- streaming responses ----------------------------------------------------------------

/// Reads a streamed response piece by piece; returns the content.
async fn drain(stream: &mut stator_tokio::ResponseStream) -> Vec<u8> {
    let mut content = Vec::new();
    while let Some(piece) = stream.chunk().await.unwrap() {
        content.extend_from_slice(&piece);
    }
    content
}

#[test]
fn send_streams_h1_content_and_reuses_the_connection_after() {
    run(async {
        let server = start_default().await;
        let client = Client::new();
        let body = Bytes::from(pattern(2 << 20));
        let request = Request::post(format!("http://{}/echo", server.addr))
            .body(body.clone())
            .unwrap();
        let mut stream = client.send(request).await.unwrap();
        assert_eq!(stream.status(), StatusCode::OK);
        assert_eq!(stream.headers()["transfer-encoding"], "chunked");
        assert!(drain(&mut stream).await == body);
        assert_eq!(stream.trailers(), Some(&http::HeaderMap::new()));
        assert_eq!(stream.chunk().await.unwrap(), None);
        let first = client
            .get(&format!("http://{}/hello", server.addr))
            .await
            .unwrap();
        let second = client
            .get(&format!("http://{}/hello", server.addr))
            .await
            .unwrap();
        assert_eq!(
            first.headers()["x-client-port"],
            second.headers()["x-client-port"]
        );
        // A response dropped half-read closes its connection; the next request works.
        let request = Request::post(format!("http://{}/echo", server.addr))
            .body(body.clone())
            .unwrap();
        let mut stream = client.send(request).await.unwrap();
        assert!(stream.chunk().await.unwrap().is_some());
        drop(stream);
        let again = client
            .get(&format!("http://{}/hello", server.addr))
            .await
            .unwrap();
        assert_eq!(again.body(), "hello");
    });
}

#[test]
fn send_streams_h2_content_and_cancel_keeps_the_connection() {
    run(async {
        let (addr, accepted, _) = hyper_server(Mode::H2c).await;
        let client = Client::builder().http2_prior_knowledge(true).build();
        let body = Bytes::from(pattern(6 << 20));
        let request = Request::post(format!("http://{addr}/echo"))
            .body(body.clone())
            .unwrap();
        let mut stream = client.send(request).await.unwrap();
        assert_eq!(stream.version(), Version::HTTP_2);
        // More than the 2 MiB stream window: only flows because chunk() gives credit back.
        assert!(drain(&mut stream).await == body);
        // Cancelled half-read: the stream is reset, the connection stays.
        let request = Request::post(format!("http://{addr}/echo"))
            .body(body.clone())
            .unwrap();
        let mut stream = client.send(request).await.unwrap();
        assert!(stream.chunk().await.unwrap().is_some());
        drop(stream);
        let response = client.get(&format!("http://{addr}/")).await.unwrap();
        assert_eq!(response.body(), "hello from hyper");
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_pooled_connection_closed_by_the_server_is_retried_for_get() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // The first connection answers one request, then reads the next one and
            // closes without an answer (a keep-alive timeout racing the reuse).
            let (mut first, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = first.read(&mut buf).await.unwrap();
            first
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\none")
                .await
                .unwrap();
            let _ = first.read(&mut buf).await.unwrap();
            drop(first);
            let (mut second, _) = listener.accept().await.unwrap();
            let _ = second.read(&mut buf).await.unwrap();
            second
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\ntwo")
                .await
                .unwrap();
            let _ = second.read(&mut buf).await;
        });
        let client = Client::new();
        let url = format!("http://{addr}/");
        assert_eq!(client.get(&url).await.unwrap().body(), "one");
        assert_eq!(client.get(&url).await.unwrap().body(), "two");
    });
}
