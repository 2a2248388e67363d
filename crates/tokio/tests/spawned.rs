//! The server with `spawn_sessions(true)`: every session on a tokio task of its own.
//! The same handlers, carriers and failure answers as when the connection task polls
//! its sessions itself (the default, which the other test files run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{LIMIT, raw, start};
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, StatusCode};
use stator_tokio::Server;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn http1_requests_panics_and_drops() {
    timeout(LIMIT, async {
        let server = start(Server::builder().spawn_sessions(true)).await;
        let two = raw(
            server.addr,
            b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /drop HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(two.starts_with("HTTP/1.1 200"), "{two}");
        assert!(two.contains("hello"), "{two}");
        assert!(two.contains("HTTP/1.1 500"), "{two}");
        let panicked = raw(
            server.addr,
            b"GET /panic HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(panicked.starts_with("HTTP/1.1 500"), "{panicked}");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn websocket_over_http1_echoes_and_a_panic_closes_with_1011() {
    timeout(LIMIT, async {
        let server = start(Server::builder().spawn_sessions(true)).await;
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let url = format!("ws://{}/echo", server.addr);
        let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
        for i in 0..100 {
            ws.send(Message::text(format!("m{i}"))).await.unwrap();
            assert_eq!(
                ws.next().await.unwrap().unwrap(),
                Message::text(format!("m{i}"))
            );
        }
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let url = format!("ws://{}/ws-panic", server.addr);
        let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
        ws.send(Message::text("boom")).await.unwrap();
        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1011),
            other => panic!("{other:?}"),
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn http2_streams_run_side_by_side_and_a_panic_gets_500() {
    timeout(LIMIT, async {
        let server = start(Server::builder().spawn_sessions(true)).await;
        let io = TcpStream::connect(server.addr).await.unwrap();
        let (client, conn) = h2::client::handshake(io).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let get = |path: &'static str| {
            let client = client.clone();
            async move {
                let request = Request::builder()
                    .method(Method::GET)
                    .uri(format!("http://localhost{path}"))
                    .body(())
                    .unwrap();
                let mut client = client.ready().await.unwrap();
                let (response, _) = client.send_request(request, true).unwrap();
                let response = response.await.unwrap();
                let status = response.status();
                let mut body = response.into_body();
                let mut all = Vec::new();
                while let Some(chunk) = body.data().await {
                    let chunk = chunk.unwrap();
                    let _ = body.flow_control().release_capacity(chunk.len());
                    all.extend_from_slice(&chunk);
                }
                (status, Bytes::from(all))
            }
        };
        let slow = tokio::spawn(get("/slow"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(get("/panic").await.0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(get("/hello").await, (StatusCode::OK, Bytes::from("hello")));
        assert!(!slow.is_finished(), "/slow answers after 400 ms");
        assert_eq!(slow.await.unwrap(), (StatusCode::OK, Bytes::from("slow")));
    })
    .await
    .expect("in time");
}
