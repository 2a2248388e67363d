//! The client against stator-tokio's own server over HTTP/2 — h2c prior knowledge and
//! TLS with ALPN `h2` — and the same WebSocket handler over HTTP/2 Extended CONNECT
//! (RFC 8441) and HTTP/1.1 Upgrade (RFC 6455). The server runs the shared test app
//! (`common::app`): `/hello` answers with the client's port (one port ⇒ one connection),
//! `/length-trailer` with the request's content and an `x-length` trailer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;

use std::collections::HashSet;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use stator_tokio::client::{ClientError, Trailers, WebSocketOptions};
use stator_tokio::tls::{ClientTls, Identity, ServerTls};
use stator_tokio::{Client, CloseCode, Message, Server, WebSocketEvent};

use common::{Running, pattern, run, start, start_default};

/// A TLS server (ALPN `h2`, `http/1.1`) on a fresh self-signed certificate, and a client
/// configuration that trusts it.
async fn start_tls() -> (Running, ClientTls) {
    let identity = Identity::self_signed(["localhost"]).unwrap();
    let server_tls = ServerTls::new(&identity).unwrap();
    let server = start(Server::builder().tls(server_tls.acceptor())).await;
    let client_tls = ClientTls::from_root_pem(identity.certificate().pem().as_bytes()).unwrap();
    (server, client_tls)
}

fn tls_base(server: &Running) -> String {
    format!("localhost:{}", server.addr.port())
}

/// GET, 50 concurrent GETs, a 5 MiB POST echoed streamed and whole, and trailers — all
/// over one HTTP/2 connection.
async fn exercise_h2(client: &Client, base: &str, scheme: &str) {
    let first = client.get(&format!("{base}/hello")).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.version(), Version::HTTP_2);
    assert_eq!(first.body(), "hello");
    assert_eq!(first.headers()["x-scheme"], scheme);
    let port = first.headers()["x-client-port"].clone();

    eprintln!("{base}: first GET");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = client.clone();
        let url = format!("{base}/hello");
        tasks.push(tokio::spawn(async move { client.get(&url).await }));
    }
    let mut ports = HashSet::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.body(), "hello");
        ports.insert(response.headers()["x-client-port"].clone());
    }
    assert_eq!(ports.len(), 1, "the 50 requests shared one connection");
    assert!(ports.contains(&port));

    let body = Bytes::from(pattern(5 << 20));
    eprintln!("{base}: 50 GETs");
    for path in ["/echo", "/echo-len"] {
        let request = Request::post(format!("{base}{path}"))
            .body(body.clone())
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.body().len(), body.len(), "{path}");
        assert!(response.body() == &body, "{path}: the same bytes back");
        eprintln!("{base}: {path}");
    }

    let request = Request::post(format!("{base}/length-trailer"))
        .body(Bytes::from_static(b"twelve bytes"))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.body(), "twelve bytes");
    let trailers = response.extensions().get::<Trailers>().expect("trailers");
    assert_eq!(trailers.0["x-length"], "12");

    // Still the first connection.
    let last = client.get(&format!("{base}/hello")).await.unwrap();
    assert_eq!(last.headers()["x-client-port"], port);
}

/// The test app's WebSocket echo at `url`: greeting, echoes (text, 300 KB binary, many
/// small), the server's close code, then a client-initiated close.
async fn exercise_ws(client: &Client, url: &str, version: Version) {
    let options = WebSocketOptions {
        subprotocols: vec!["chat".to_owned()],
        ..WebSocketOptions::default()
    };
    let mut ws = client.websocket_with(url, options).await.unwrap();
    assert_eq!(ws.http_version(), version);
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert!(ws.deflate());
    let WebSocketEvent::Message(hello) = ws.receive().await else {
        panic!("a greeting")
    };
    let expected = format!("version={version:?} deflate=true subprotocol=chat");
    assert_eq!(hello.as_bytes(), expected.as_bytes());
    let big = Message::binary(pattern(300_000));
    eprintln!("{url}: greeted");
    for message in [Message::text("one"), big, Message::text("")] {
        ws.send(message.clone()).await.unwrap();
        let WebSocketEvent::Message(echo) = ws.receive().await else {
            panic!("an echo")
        };
        assert_eq!(echo, message);
    }
    for i in 0..100 {
        ws.send(Message::text(format!("m{i}"))).await.unwrap();
    }
    eprintln!("{url}: 100 sent");
    for i in 0..100 {
        let WebSocketEvent::Message(echo) = ws.receive().await else {
            panic!("an echo")
        };
        assert_eq!(echo.as_bytes(), format!("m{i}").as_bytes(), "in order");
    }
    eprintln!("{url}: close-me");
    ws.send(Message::text("close-me")).await.unwrap();
    let WebSocketEvent::Disconnect { code, reason } = ws.receive().await else {
        panic!("the disconnect")
    };
    assert_eq!((code, reason.as_str()), (CloseCode::new(4000), "as asked"));
    assert!(matches!(
        ws.send(Message::text("late")).await,
        Err(ClientError::WsClosed)
    ));

    eprintln!("{url}: second");
    // The client closes: the server's close echoes the code.
    let mut ws = client.websocket(url).await.unwrap();
    assert_eq!(ws.http_version(), version);
    let WebSocketEvent::Message(_) = ws.receive().await else {
        panic!("a greeting")
    };
    eprintln!("{url}: closing");
    ws.close(CloseCode::new(4001), "done").await.unwrap();
    let WebSocketEvent::Disconnect { code, .. } = ws.receive().await else {
        panic!("the disconnect")
    };
    assert_eq!(code, CloseCode::new(4001));
}

#[test]
fn h2c_prior_knowledge_requests() {
    run(async {
        let server = start_default().await;
        let client = Client::builder().http2_prior_knowledge(true).build();
        exercise_h2(&client, &format!("http://{}", server.addr), "http").await;
    });
}

#[test]
fn h2_over_tls_alpn_requests() {
    run(async {
        let (server, tls) = start_tls().await;
        let client = Client::builder().tls(tls).build();
        exercise_h2(&client, &format!("https://{}", tls_base(&server)), "https").await;
    });
}

#[test]
fn http2_only_over_tls_requests() {
    run(async {
        let (server, tls) = start_tls().await;
        let client = Client::builder().tls(tls).http2_only().build();
        exercise_h2(&client, &format!("https://{}", tls_base(&server)), "https").await;
    });
}

#[test]
fn websocket_h2c_extended_connect() {
    run(async {
        let server = start_default().await;
        let client = Client::builder().http2_prior_knowledge(true).build();
        let url = format!("ws://{}/hello", server.addr);
        exercise_ws(&client, &url, Version::HTTP_2).await;
    });
}

#[test]
fn websocket_tls_h2_extended_connect_shares_the_connection() {
    run(async {
        let (server, tls) = start_tls().await;
        let client = Client::builder().tls(tls).build();
        let base = tls_base(&server);
        let response = client.get(&format!("https://{base}/hello")).await.unwrap();
        let port = response.headers()["x-client-port"].clone();
        exercise_ws(&client, &format!("wss://{base}/hello"), Version::HTTP_2).await;
        // The WebSockets were streams of the request's connection.
        let response = client.get(&format!("https://{base}/hello")).await.unwrap();
        assert_eq!(response.headers()["x-client-port"], port);
    });
}

#[test]
fn websocket_tls_first_connection_negotiates_h2() {
    run(async {
        let (server, tls) = start_tls().await;
        let client = Client::builder().tls(tls).build();
        let url = format!("wss://{}/hello", tls_base(&server));
        exercise_ws(&client, &url, Version::HTTP_2).await;
    });
}

#[test]
fn websocket_same_handler_over_http11() {
    run(async {
        let server = start_default().await;
        let client = Client::new();
        exercise_ws(
            &client,
            &format!("ws://{}/hello", server.addr),
            Version::HTTP_11,
        )
        .await;

        let (server, tls) = start_tls().await;
        let client = Client::builder().tls(tls).http1_only().build();
        let url = format!("wss://{}/hello", tls_base(&server));
        exercise_ws(&client, &url, Version::HTTP_11).await;
    });
}

#[test]
fn many_websockets_share_one_h2_connection() {
    run(async {
        let server = start_default().await;
        let client = Client::builder().http2_prior_knowledge(true).build();
        let url = format!("ws://{}/ws", server.addr);
        let mut tasks = Vec::new();
        for i in 0..20 {
            let client = client.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let mut ws = client.websocket(&url).await.unwrap();
                assert_eq!(ws.http_version(), Version::HTTP_2);
                for j in 0..10 {
                    let message = Message::text(format!("{i}/{j}"));
                    ws.send(message.clone()).await.unwrap();
                    let WebSocketEvent::Message(echo) = ws.receive().await else {
                        panic!("an echo")
                    };
                    assert_eq!(echo, message);
                }
                ws.close(CloseCode::NORMAL, "").await.unwrap();
                let WebSocketEvent::Disconnect { code, .. } = ws.receive().await else {
                    panic!("the disconnect")
                };
                assert_eq!(code, CloseCode::NORMAL);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let response = client
            .get(&format!("http://{}/hello", server.addr))
            .await
            .unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
    });
}
