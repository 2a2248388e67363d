//! WebSocket over HTTP/2 (RFC 8441): the `h2` crate's Extended CONNECT client carries
//! stator-ws framing to the same test handler that serves WebSocket over HTTP/1.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod support;

use common::{LIMIT, start_default};
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use stator_tokio::{CloseCode, Message};
use support::{H2Ws, h2_client};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Opens an Extended CONNECT WebSocket to `path` on a new connection; the response
/// status on refusal.
async fn open(
    addr: std::net::SocketAddr,
    path: &str,
    subprotocols: &[&str],
    deflate: bool,
) -> Result<H2Ws, StatusCode> {
    let (client, _connection) = h2_client(addr).await;
    H2Ws::open_with(&client, path, subprotocols, deflate, 7).await
}

#[tokio::test]
async fn echoes_text_and_binary_with_a_subprotocol() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = open(server.addr, "/hello", &["other", "chat"], false)
            .await
            .unwrap();
        let hello = ws.next_message().await;
        assert_eq!(
            hello.as_bytes(),
            b"version=HTTP/2.0 deflate=false subprotocol=chat"
        );
        let messages = [
            Message::text("hello over HTTP/2"),
            Message::binary(vec![7u8; 3000]),
            Message::text("x".repeat(300_000)),
        ];
        for m in &messages {
            ws.send(m).await;
        }
        for m in &messages {
            assert_eq!(&ws.next_message().await, m);
        }
        ws.ws.close(CloseCode::NORMAL, "bye").unwrap();
        ws.flush().await;
        assert_eq!(ws.closed().await, CloseCode::NORMAL);
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn close_codes_travel_both_ways() {
    timeout(LIMIT, async {
        let server = start_default().await;
        // The server closes with 4000 when asked.
        let mut ws = open(server.addr, "/ws", &[], false).await.unwrap();
        ws.send(&Message::text("close-me")).await;
        assert_eq!(ws.closed().await, CloseCode::new(4000));
        // The client closes with 4001: the server echoes the code.
        let mut ws = open(server.addr, "/ws", &[], false).await.unwrap();
        ws.ws.close(CloseCode::new(4001), "client").unwrap();
        ws.flush().await;
        assert_eq!(ws.closed().await, CloseCode::new(4001));
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn permessage_deflate() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = open(server.addr, "/hello", &[], true).await.unwrap();
        let hello = ws.next_message().await;
        assert_eq!(
            hello.as_bytes(),
            b"version=HTTP/2.0 deflate=true subprotocol=-"
        );
        let text = "compress me ".repeat(20_000);
        ws.send(&Message::text(text.clone())).await;
        assert_eq!(ws.next_message().await.as_bytes(), text.as_bytes());
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_rejected_handshake_gets_403() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let refused = open(server.addr, "/forbidden", &[], false).await;
        assert_eq!(refused.err(), Some(StatusCode::FORBIDDEN));
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_panicking_handler_closes_with_1011() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = open(server.addr, "/ws-panic", &[], false).await.unwrap();
        ws.send(&Message::text("boom")).await;
        assert_eq!(ws.closed().await, CloseCode::INTERNAL_ERROR);
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn graceful_shutdown_closes_with_1001() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = open(server.addr, "/ws", &[], false).await.unwrap();
        ws.send(&Message::text("ping")).await;
        assert_eq!(ws.next_message().await.as_bytes(), b"ping");
        server.shutdown.shutdown();
        assert_eq!(ws.closed().await, CloseCode::GOING_AWAY);
        server.task.await.unwrap().unwrap();
    })
    .await
    .expect("in time");
}

/// The same handler (tests/common's `serve_ws`) serves both carriers; only
/// `http_version()` tells them apart.
#[tokio::test]
async fn the_same_handler_serves_http1_and_http2() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let url = format!("ws://{}/hello", server.addr);
        let (mut h1, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
        let hello = h1.next().await.unwrap().unwrap();
        assert_eq!(
            hello.into_text().unwrap().as_str(),
            "version=HTTP/1.1 deflate=false subprotocol=-"
        );
        h1.send(tokio_tungstenite::tungstenite::Message::text("one"))
            .await
            .unwrap();
        let echoed = h1.next().await.unwrap().unwrap();
        assert_eq!(echoed.into_text().unwrap().as_str(), "one");

        let mut h2 = open(server.addr, "/hello", &[], false).await.unwrap();
        assert_eq!(
            h2.next_message().await.as_bytes(),
            b"version=HTTP/2.0 deflate=false subprotocol=-"
        );
        h2.send(&Message::text("one")).await;
        assert_eq!(h2.next_message().await.as_bytes(), b"one");
    })
    .await
    .expect("in time");
}

/// A client's `RST_STREAM` ends the WebSocket abnormally: the handler sees 1006.
#[tokio::test]
async fn a_reset_stream_is_a_disconnect_with_1006() {
    timeout(LIMIT, async {
        let (codes_tx, mut codes) = tokio::sync::mpsc::unbounded_channel();
        let app = move |session: stator_tokio::Session| {
            let codes_tx = codes_tx.clone();
            async move {
                if let stator_tokio::Session::WebSocket(mut ws) = session {
                    ws.accept(stator_tokio::Accept::new()).await.unwrap();
                    loop {
                        match ws.receive().await {
                            stator_tokio::WebSocketEvent::Message(m) => {
                                let _ = ws.send(m).await;
                            }
                            stator_tokio::WebSocketEvent::Disconnect { code, .. } => {
                                let _ = codes_tx.send(code);
                                return;
                            }
                            _ => return,
                        }
                    }
                }
            }
        };
        let server = stator_tokio::Server::builder().build().await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.serve(app));
        let mut ws = open(addr, "/ws", &[], false).await.unwrap();
        ws.send(&Message::text("before")).await;
        assert_eq!(ws.next_message().await.as_bytes(), b"before");
        ws.send.send_reset(h2::Reason::CANCEL);
        assert_eq!(codes.recv().await, Some(CloseCode::ABNORMAL));
    })
    .await
    .expect("in time");
}
