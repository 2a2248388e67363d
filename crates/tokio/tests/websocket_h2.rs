//! WebSocket over HTTP/2 (RFC 8441): the `h2` crate's Extended CONNECT client carries
//! stator-ws framing to the same test handler that serves WebSocket over HTTP/1.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use common::{LIMIT, start_default};
use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use stator_tokio::{CloseCode, Message};
use stator_wire::rand::SeededRandom;
use stator_ws::extension::DeflateOffer;
use stator_ws::handshake::{ClientOptions, connect};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// A WebSocket over one Extended CONNECT stream, framed by stator-ws.
struct H2Ws {
    send: h2::SendStream<Bytes>,
    recv: h2::RecvStream,
    ws: stator_ws::Connection,
    eof: bool,
}

impl H2Ws {
    /// Writes what the WebSocket has to send.
    async fn flush(&mut self) {
        let mut out = Vec::new();
        while let Some(b) = self.ws.poll_transmit() {
            out.extend_from_slice(&b);
        }
        let mut data = Bytes::from(out);
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

    async fn send(&mut self, message: &Message) {
        self.ws.send(message).unwrap();
        self.flush().await;
    }

    /// The next message or close; `None` once the stream ended.
    async fn next(&mut self) -> Option<stator_ws::Event> {
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

    async fn next_message(&mut self) -> Message {
        match self.next().await {
            Some(stator_ws::Event::Message(m)) => m,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Waits for the close; returns its code. Ends our half of the stream.
    async fn closed(&mut self) -> CloseCode {
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

/// Opens an Extended CONNECT WebSocket to `path`; the response status on refusal.
async fn open(
    addr: std::net::SocketAddr,
    path: &str,
    subprotocols: &[&str],
    deflate: bool,
) -> Result<H2Ws, StatusCode> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    // Extended CONNECT waits for the server's SETTINGS (RFC 8441 §3).
    for _ in 0..200 {
        if client.is_extended_connect_protocol_enabled() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        client = client.ready().await.unwrap();
    }
    assert!(client.is_extended_connect_protocol_enabled());
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
    let (response, send) = client.send_request(request, false).unwrap();
    let response = response.await.unwrap();
    if response.status() != StatusCode::OK {
        return Err(response.status());
    }
    let (parts, recv) = response.into_parts();
    let negotiated = connect::check_response(&parts, &offer).unwrap();
    let config = stator_ws::Config::client(SeededRandom::new(7)).with_deflate(negotiated.deflate);
    Ok(H2Ws {
        send,
        recv,
        ws: stator_ws::Connection::new(config),
        eof: false,
    })
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
