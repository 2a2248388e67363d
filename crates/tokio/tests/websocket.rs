//! WebSocket over HTTP/1.1 through the server: tokio-tungstenite as the peer, and
//! stator-ws's own client for permessage-deflate (tungstenite has none).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{LIMIT, start_default};
use futures_util::{SinkExt, StreamExt};
use stator_wire::rand::SeededRandom;
use stator_ws::extension::DeflateOffer;
use stator_ws::handshake::ClientOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

type Ws = WebSocketStream<TcpStream>;

async fn connect(addr: std::net::SocketAddr, path: &str, protocol: Option<&str>) -> Ws {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
    }
    let stream = TcpStream::connect(addr).await.unwrap();
    let (ws, response) = client_async(request, stream).await.expect("handshake");
    assert_eq!(response.status(), 101);
    ws
}

async fn next_data(ws: &mut Ws) -> Message {
    loop {
        match ws.next().await.expect("a message").expect("no error") {
            Message::Ping(_) | Message::Pong(_) => {}
            other => return other,
        }
    }
}

#[tokio::test]
async fn echoes_text_and_binary_with_a_subprotocol() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = connect(server.addr, "/hello", Some("superchat, chat")).await;
        let Message::Text(hello) = next_data(&mut ws).await else {
            panic!("a greeting")
        };
        assert_eq!(
            hello.as_str(),
            "version=HTTP/1.1 deflate=false subprotocol=chat"
        );
        ws.send(Message::text("héllo")).await.unwrap();
        assert_eq!(next_data(&mut ws).await, Message::text("héllo"));
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        ws.send(Message::binary(big.clone())).await.unwrap();
        assert_eq!(next_data(&mut ws).await, Message::binary(big));
        ws.close(None).await.unwrap();
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn close_codes_travel_both_ways() {
    timeout(LIMIT, async {
        let server = start_default().await;
        // The client closes with 4001: the close handshake echoes it.
        let mut ws = connect(server.addr, "/echo", None).await;
        ws.close(Some(CloseFrame {
            code: CloseCode::from(4001),
            reason: "done".into(),
        }))
        .await
        .unwrap();
        match next_data(&mut ws).await {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 4001),
            other => panic!("{other:?}"),
        }

        // The application closes with 4000 and a reason.
        let mut ws = connect(server.addr, "/echo", None).await;
        ws.send(Message::text("close-me")).await.unwrap();
        match next_data(&mut ws).await {
            Message::Close(Some(frame)) => {
                assert_eq!(u16::from(frame.code), 4000);
                assert_eq!(frame.reason.as_str(), "as asked");
            }
            other => panic!("{other:?}"),
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_rejected_handshake_gets_403() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let url = format!("ws://{}/forbidden", server.addr);
        match client_async(url, stream).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
            other => panic!("{:?}", other.map(|(_, r)| r)),
        }
        // The connection that refused stays HTTP/1.1; another client is served.
        let mut ws = connect(server.addr, "/echo", None).await;
        ws.send(Message::text("still here")).await.unwrap();
        assert_eq!(next_data(&mut ws).await, Message::text("still here"));
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_panicking_websocket_handler_closes_with_1011() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = connect(server.addr, "/ws-panic", None).await;
        ws.send(Message::text("boom")).await.unwrap();
        match next_data(&mut ws).await {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1011),
            other => panic!("{other:?}"),
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn permessage_deflate_with_the_stator_ws_client() {
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let options = ClientOptions::new(format!("ws://{}/hello", server.addr).parse().unwrap())
            .with_deflate(DeflateOffer::default());
        let config = stator_ws::Config::client(SeededRandom::new(7));
        let mut client = stator_ws::Connection::client_h1(&options, config).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65536];
        let mut received = Vec::new();
        let mut opened = false;
        let text = "compress me ".repeat(2000);
        while received.len() < 2 {
            out.clear();
            if client.poll_output(&mut out) > 0 {
                stream.write_all(&out).await.unwrap();
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early");
            client.recv(&buf[..n]);
            while let Some(event) = client.poll_event() {
                match event {
                    stator_ws::Event::Open(negotiated) => {
                        assert!(negotiated.deflate.is_some(), "deflate negotiated");
                        opened = true;
                        client.send_text(&text).unwrap();
                    }
                    stator_ws::Event::Message(message) => received.push(message),
                    _ => {}
                }
            }
        }
        assert!(opened);
        assert_eq!(
            received[0].as_bytes(),
            b"version=HTTP/1.1 deflate=true subprotocol=-"
        );
        assert_eq!(received[1].as_bytes(), text.as_bytes());
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn the_server_pings_a_quiet_peer() {
    timeout(LIMIT, async {
        let server = common::start(
            stator_tokio::Server::builder()
                .ws_ping_interval(Some(std::time::Duration::from_millis(100))),
        )
        .await;
        let mut ws = connect(server.addr, "/echo", None).await;
        match ws.next().await.expect("a frame").expect("no error") {
            Message::Ping(payload) => assert_eq!(&payload[..], b"stator"),
            other => panic!("{other:?}"),
        }
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn ten_pings_in_one_write_get_ten_pongs() {
    // Autobahn 2.10: the machine keeps only the latest automatic pong, so the bridge must
    // take each one as its ping is decoded, not after the whole read.
    timeout(LIMIT, async {
        let server = start_default().await;
        let mut ws = connect(server.addr, "/echo", None).await;
        for i in 0..10 {
            ws.feed(Message::Ping(format!("payload-{i}").into()))
                .await
                .unwrap();
        }
        ws.flush().await.unwrap();
        for i in 0..10 {
            match ws.next().await.expect("a frame").expect("no error") {
                Message::Pong(payload) => {
                    assert_eq!(&payload[..], format!("payload-{i}").as_bytes());
                }
                other => panic!("{other:?}"),
            }
        }
        ws.close(None).await.unwrap();
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_silent_peer_is_closed_with_1001_after_the_idle_timeout() {
    timeout(LIMIT, async {
        let server = common::start(
            stator_tokio::Server::builder()
                .ws_ping_interval(None)
                .ws_idle_timeout(Some(std::time::Duration::from_millis(200))),
        )
        .await;
        let mut ws = connect(server.addr, "/echo", None).await;
        match next_data(&mut ws).await {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
            other => panic!("{other:?}"),
        }
    })
    .await
    .expect("in time");
}
