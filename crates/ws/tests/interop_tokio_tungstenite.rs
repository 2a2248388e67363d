//! stator-ws against a peer nobody here wrote, over real loopback TCP: tokio-tungstenite
//! (tungstenite 0.30) as the client of a `Connection::server_h1`, and as the server of a
//! `Connection::client_h1`. Each side drives the other through the whole life of a
//! connection: opening handshake, text, binary (large, so that both length encodings and
//! many TCP reads occur), fragmented messages both ways with a control frame between the
//! fragments, pings with automatic pongs both ways, unsolicited pongs, and the close
//! handshake with a code and a reason, started by each side in each role.
//!
//! permessage-deflate: tungstenite 0.30 and tokio-tungstenite 0.30 implement no WebSocket
//! extension (neither has a `deflate` feature: their features are TLS backends, `handshake`,
//! `connect`, `stream` and `url`), so compression cannot be exercised against them. What
//! is tested instead is that our side falls back cleanly: a stator server willing to
//! compress meets a client that offers nothing, and a stator client that offers
//! permessage-deflate meets a server that ignores the offer; both connections open without
//! compression and every frame goes out with RSV1 clear (tungstenite would fail the
//! connection on a set RSV1). Compression interop is covered by Autobahn's section 12-13
//! cases (`cargo xtask interop autobahn`), which the harness driver tested last here runs.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
// tungstenite's accept callback returns its (large) ErrorResponse.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::result_large_err
)]

#[path = "../examples/support/blocking.rs"]
mod blocking;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use stator_wire::rand::SeededRandom;
use stator_ws::extension::{DeflateOffer, DeflateOptions};
use stator_ws::handshake::codec::HeadLimits;
use stator_ws::handshake::{AcceptOptions, ClientOptions, Negotiated, ResponseError};
use stator_ws::{CloseCause, CloseCode, Config, Connection, Event, Message, MessageKind, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TgCloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{
    CloseCode as TgCloseCode, Data, OpCode,
};
use tokio_tungstenite::tungstenite::{Error as TgError, Message as TgMessage, Utf8Bytes as TgUtf8};

type Tg = WebSocketStream<TcpStream>;

/// A stator-ws connection on a tokio TCP stream: the whole driver.
struct Peer {
    stream: TcpStream,
    conn: Connection,
    buf: Vec<u8>,
    out: Vec<u8>,
    eof: bool,
    shut: bool,
}

impl Peer {
    fn new(stream: TcpStream, conn: Connection) -> Peer {
        Peer {
            stream,
            conn,
            buf: vec![0; 64 * 1024],
            out: Vec::new(),
            eof: false,
            shut: false,
        }
    }

    /// Writes whatever the connection has to send. A server that is done closes the TCP
    /// connection first (RFC 6455 §7.1.1); a client waits for the server's FIN.
    async fn flush(&mut self) {
        self.out.clear();
        if self.conn.poll_output(&mut self.out) > 0 {
            self.stream.write_all(&self.out).await.unwrap();
        }
        if self.conn.wants_close_transport() && self.conn.role() == Role::Server && !self.shut {
            self.stream.shutdown().await.unwrap();
            self.shut = true;
        }
    }

    /// The next event, reading the socket while there is none; output is written before
    /// every read and after every event (automatic pongs, close replies). `None` once
    /// everything was reported and the transport is over: the peer closed TCP, or we are
    /// a server that closed it.
    async fn event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.conn.poll_event() {
                self.flush().await;
                return Some(event);
            }
            self.flush().await;
            if self.eof || self.shut {
                return None;
            }
            match self.stream.read(&mut self.buf).await {
                Ok(0) | Err(_) => {
                    self.conn.recv_eof();
                    self.eof = true;
                }
                Ok(n) => self.conn.recv(&self.buf[..n]),
            }
        }
    }

    async fn expect(&mut self) -> Event {
        self.event()
            .await
            .expect("an event before the end of the stream")
    }

    /// Every event until the transport is over.
    async fn drain(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(event) = self.event().await {
            events.push(event);
        }
        events
    }
}

fn text(s: &str) -> Event {
    Event::Message(Message::text(s.to_owned()))
}

/// A megabyte that compresses well and is not uniform.
fn big() -> Vec<u8> {
    (0..1 << 20).map(|i: u32| (i % 251) as u8).collect()
}

fn tg_close(code: u16, reason: &str) -> TgMessage {
    TgMessage::Close(Some(TgCloseFrame {
        code: TgCloseCode::from(code),
        reason: TgUtf8::from(reason),
    }))
}

/// tokio-tungstenite sends a message while we read it.
async fn theirs_to_ours(ws: &mut Tg, peer: &mut Peer, message: TgMessage) -> Event {
    let (sent, event) = tokio::join!(ws.send(message), peer.expect());
    sent.unwrap();
    event
}

/// We write our output while tokio-tungstenite reads its next message.
async fn ours_to_theirs(peer: &mut Peer, ws: &mut Tg) -> TgMessage {
    let ((), got) = tokio::join!(peer.flush(), ws.next());
    got.expect("a message").unwrap()
}

/// tokio-tungstenite's client against our `server_h1`, accepting with `accept`.
async fn their_client(accept: AcceptOptions) -> (Tg, Peer, Negotiated) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let conn = Connection::server_h1(Config::server(), HeadLimits::default());
        let mut peer = Peer::new(stream, conn);
        let Event::Request(request) = peer.expect().await else {
            panic!("no request")
        };
        assert_eq!(request.parts.uri, "/chat?x=1");
        assert!(
            request.offer.extensions.is_empty(),
            "tungstenite offers none"
        );
        peer.conn.accept(&accept).unwrap();
        let Event::Open(negotiated) = peer.expect().await else {
            panic!("not open")
        };
        (peer, negotiated)
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let url = format!("ws://{addr}/chat?x=1");
        let (ws, response) = tokio_tungstenite::client_async(url, stream).await.unwrap();
        assert_eq!(response.status(), 101);
        ws
    };
    let ((peer, negotiated), ws) = tokio::join!(server, client);
    (ws, peer, negotiated)
}

/// Our `client_h1` against tokio-tungstenite's server; returns the server's view of our
/// Sec-WebSocket-Extensions too.
async fn their_server(options: &ClientOptions) -> (Tg, Peer, Negotiated, Option<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let mut offered = None;
        let callback = |request: &Request, response: Response| {
            assert_eq!(request.uri(), "/chat");
            offered = request
                .headers()
                .get("sec-websocket-extensions")
                .map(|v| v.to_str().unwrap().to_owned());
            Ok(response)
        };
        let ws = tokio_tungstenite::accept_hdr_async(stream, callback)
            .await
            .unwrap();
        (ws, offered)
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut options = options.clone();
        options.uri = format!("ws://{addr}/chat").parse().unwrap();
        let conn = Connection::client_h1(&options, Config::client(SeededRandom::new(3))).unwrap();
        let mut peer = Peer::new(stream, conn);
        let Event::Open(negotiated) = peer.expect().await else {
            panic!("not open: {:?}", peer.conn.error())
        };
        (peer, negotiated)
    };
    let ((ws, offered), (peer, negotiated)) = tokio::join!(server, client);
    (ws, peer, negotiated, offered)
}

/// Messages of every kind both ways, pings and pongs both ways, on an open pair.
async fn exchange(ws: &mut Tg, peer: &mut Peer) {
    // Theirs → ours: text, a megabyte of binary.
    let event = theirs_to_ours(ws, peer, TgMessage::text("héllo")).await;
    assert_eq!(event, text("héllo"));
    let event = theirs_to_ours(ws, peer, TgMessage::binary(big())).await;
    assert_eq!(event, Event::Message(Message::binary(big())));

    // Theirs → ours, fragmented through tungstenite's frame API, with a ping between the
    // fragments (RFC 6455 §5.4: control frames may be injected) and a character cut in two.
    let pieces: [(&[u8], OpCode, bool); 3] = [
        (b"fragm\xc3", OpCode::Data(Data::Text), false),
        (b"\xa9nted ", OpCode::Data(Data::Continue), false),
        (b"text", OpCode::Data(Data::Continue), true),
    ];
    for (i, (data, opcode, fin)) in pieces.into_iter().enumerate() {
        let frame = Frame::message(Bytes::copy_from_slice(data), opcode, fin);
        ws.feed(TgMessage::Frame(frame)).await.unwrap();
        if i == 0 {
            ws.feed(TgMessage::Ping(Bytes::from_static(b"mid")))
                .await
                .unwrap();
        }
    }
    let (flushed, first) = tokio::join!(ws.flush(), peer.expect());
    flushed.unwrap();
    assert_eq!(first, Event::Ping(Bytes::from_static(b"mid")));
    assert_eq!(peer.expect().await, text("fragménted text"));
    // Our automatic pong to the ping between the fragments.
    assert_eq!(
        ours_to_theirs(peer, ws).await,
        TgMessage::Pong(Bytes::from_static(b"mid"))
    );

    // Ours → theirs: text, a megabyte, and a fragmented binary message with a ping inside.
    peer.conn.send_text("wörld").unwrap();
    assert_eq!(ours_to_theirs(peer, ws).await, TgMessage::text("wörld"));
    peer.conn.send_binary(&big()).unwrap();
    assert_eq!(ours_to_theirs(peer, ws).await, TgMessage::binary(big()));
    let data = big();
    let (a, rest) = data.split_at(1000);
    let (b, c) = rest.split_at(70_000);
    assert_eq!(
        peer.conn.send_fragment(MessageKind::Binary, a, false),
        Ok(a.len())
    );
    peer.conn.ping(b"inside").unwrap();
    assert_eq!(
        peer.conn.send_fragment(MessageKind::Binary, b, false),
        Ok(b.len())
    );
    peer.flush().await;
    assert_eq!(
        peer.conn.send_fragment(MessageKind::Binary, c, true),
        Ok(c.len())
    );
    assert_eq!(
        ours_to_theirs(peer, ws).await,
        TgMessage::Ping(Bytes::from_static(b"inside"))
    );
    assert_eq!(ours_to_theirs(peer, ws).await, TgMessage::binary(big()));
    // tungstenite answered the ping on its own; the pong arrives once it flushes.
    let (flushed, pong) = tokio::join!(ws.flush(), peer.expect());
    flushed.unwrap();
    assert_eq!(pong, Event::Pong(Bytes::from_static(b"inside")));

    // Their ping, our automatic pong; their unsolicited pong; ours.
    let event = theirs_to_ours(ws, peer, TgMessage::Ping(Bytes::from_static(b"p1"))).await;
    assert_eq!(event, Event::Ping(Bytes::from_static(b"p1")));
    let got = ours_to_theirs(peer, ws).await;
    assert_eq!(got, TgMessage::Pong(Bytes::from_static(b"p1")));
    let event = theirs_to_ours(ws, peer, TgMessage::Pong(Bytes::from_static(b"u1"))).await;
    assert_eq!(event, Event::Pong(Bytes::from_static(b"u1")));
    peer.conn.pong(b"u2").unwrap();
    let got = ours_to_theirs(peer, ws).await;
    assert_eq!(got, TgMessage::Pong(Bytes::from_static(b"u2")));
}

/// They close with 1001 "going"; we reply, the close handshake completes on both sides.
async fn they_close(mut ws: Tg, mut peer: Peer) {
    let (closed, events) = tokio::join!(
        // `move`: dropping their end closes TCP, which a client of ours waits for.
        async move {
            ws.close(Some(TgCloseFrame {
                code: TgCloseCode::Away,
                reason: TgUtf8::from("going"),
            }))
            .await
            .unwrap();
            // Our reply (RFC 6455 §5.5.1: echoing the code), then the end of the stream.
            let reply = ws.next().await.unwrap().unwrap();
            let after = ws.next().await;
            (reply, after.is_none())
        },
        peer.drain()
    );
    let (reply, ended) = closed;
    assert_eq!(reply, tg_close(1001, ""));
    assert!(ended, "nothing after the close reply");
    let Event::CloseReceived(frame) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (frame.code, frame.reason.as_str()),
        (CloseCode::GOING_AWAY, "going")
    );
    let Event::Closed(closed) = &events[1] else {
        panic!("{events:?}")
    };
    assert!(closed.clean);
    assert_eq!(closed.cause, CloseCause::Handshake);
    assert_eq!(events.len(), 2, "{events:?}");
}

/// We close with 4000 "done"; they reply (tungstenite echoes code and reason).
async fn we_close(mut ws: Tg, mut peer: Peer) {
    peer.conn.close(CloseCode::new(4000), "done").unwrap();
    let (theirs, events) = tokio::join!(
        async move {
            let close = ws.next().await.unwrap().unwrap();
            // Reading on sends tungstenite's reply, then sees the end of the stream.
            let after = ws.next().await;
            (close, after.is_none())
        },
        peer.drain()
    );
    let (close, ended) = theirs;
    assert_eq!(close, tg_close(4000, "done"));
    assert!(ended);
    let Event::CloseReceived(frame) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!((frame.code.as_u16(), frame.reason.as_str()), (4000, "done"));
    let Event::Closed(closed) = &events[1] else {
        panic!("{events:?}")
    };
    assert!(closed.clean);
    assert_eq!(closed.code.as_u16(), 4000);
}

#[tokio::test]
async fn their_client_our_server_they_close() {
    let (mut ws, mut peer, negotiated) = their_client(AcceptOptions::default()).await;
    assert_eq!(negotiated, Negotiated::default());
    exchange(&mut ws, &mut peer).await;
    they_close(ws, peer).await;
}

#[tokio::test]
async fn their_client_our_server_we_close() {
    let (mut ws, mut peer, _) = their_client(AcceptOptions::default()).await;
    exchange(&mut ws, &mut peer).await;
    we_close(ws, peer).await;
}

#[tokio::test]
async fn our_client_their_server_we_close() {
    let (mut ws, mut peer, negotiated, offered) =
        their_server(&ClientOptions::new("ws://placeholder/".parse().unwrap())).await;
    assert_eq!(negotiated, Negotiated::default());
    assert_eq!(offered, None);
    exchange(&mut ws, &mut peer).await;
    we_close(ws, peer).await;
}

#[tokio::test]
async fn our_client_their_server_they_close() {
    let (mut ws, mut peer, _, _) =
        their_server(&ClientOptions::new("ws://placeholder/".parse().unwrap())).await;
    exchange(&mut ws, &mut peer).await;
    they_close(ws, peer).await;
}

/// Our server would compress, their client offers nothing: no compression, RSV1 clear.
#[tokio::test]
async fn our_server_deflate_unused_without_an_offer() {
    let accept = AcceptOptions {
        deflate: Some(DeflateOptions::default()),
        ..AcceptOptions::default()
    };
    let (mut ws, mut peer, negotiated) = their_client(accept).await;
    assert_eq!(negotiated.deflate, None);
    exchange(&mut ws, &mut peer).await;
    we_close(ws, peer).await;
}

/// Our client offers permessage-deflate, their server ignores the offer: no compression.
#[tokio::test]
async fn our_client_deflate_offer_ignored() {
    let options =
        ClientOptions::new("ws://placeholder/".parse().unwrap()).with_deflate(DeflateOffer {
            client_no_context_takeover: true,
            ..DeflateOffer::default()
        });
    let (mut ws, mut peer, negotiated, offered) = their_server(&options).await;
    assert_eq!(negotiated.deflate, None);
    let offered = offered.expect("the offer reached tungstenite");
    assert!(offered.starts_with("permessage-deflate"), "{offered}");
    assert!(offered.contains("client_no_context_takeover"), "{offered}");
    exchange(&mut ws, &mut peer).await;
    they_close(ws, peer).await;
}

/// Our server refuses their client with 403: tokio-tungstenite reports the status.
#[tokio::test]
async fn our_server_rejects_their_client() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let conn = Connection::server_h1(Config::server(), HeadLimits::default());
        let mut peer = Peer::new(stream, conn);
        assert!(matches!(peer.expect().await, Event::Request(_)));
        peer.conn.reject(http::StatusCode::FORBIDDEN).unwrap();
        let events = peer.drain().await;
        assert!(matches!(
            &events[..],
            [Event::Closed(c)] if c.cause == CloseCause::Rejected(http::StatusCode::FORBIDDEN)
        ));
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let url = format!("ws://{addr}/");
        match tokio_tungstenite::client_async(url, stream).await {
            Err(TgError::Http(response)) => {
                assert_eq!(response.status(), 403);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    tokio::join!(server, client);
}

/// Their server refuses our client with 401: the connection closes with the handshake
/// error, and the response head is there to read.
#[tokio::test]
async fn their_server_rejects_our_client() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        let refuse = |_: &Request, _: Response| {
            let mut response = http::Response::new(None);
            *response.status_mut() = http::StatusCode::UNAUTHORIZED;
            response
                .headers_mut()
                .insert("www-authenticate", http::HeaderValue::from_static("Basic"));
            Err(response)
        };
        assert!(
            tokio_tungstenite::accept_hdr_async(stream, refuse)
                .await
                .is_err()
        );
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let options = ClientOptions::new(format!("ws://{addr}/").parse().unwrap());
        let conn = Connection::client_h1(&options, Config::client(SeededRandom::new(4))).unwrap();
        let mut peer = Peer::new(stream, conn);
        let events = peer.drain().await;
        let expect = stator_ws::Error::Handshake(
            ResponseError::UnexpectedStatus(http::StatusCode::UNAUTHORIZED).into(),
        );
        assert!(
            matches!(&events[..], [Event::Closed(c)] if c.cause == CloseCause::Failed(expect.clone())),
            "{events:?}"
        );
        let response = peer.conn.response().unwrap();
        assert_eq!(response.headers["www-authenticate"], "Basic");
    };
    tokio::join!(server, client);
}

/// The Autobahn harness's blocking driver (examples/support/blocking.rs), which runs
/// `server_h1` on a `std::net` socket, echoes what their client sends.
#[tokio::test]
async fn autobahn_driver_echoes_their_client() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let accept = AcceptOptions {
            deflate: Some(DeflateOptions::default()),
            ..AcceptOptions::default()
        };
        blocking::serve(&mut stream, &accept)
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/"), stream)
        .await
        .unwrap();
    // The server runs on its own thread: plain sequential sends and reads cannot block.
    for message in [TgMessage::text("echo"), TgMessage::binary(big())] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), message);
    }
    ws.close(None).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), TgMessage::Close(None));
    assert!(ws.next().await.is_none());
    server.join().unwrap().unwrap();
}
