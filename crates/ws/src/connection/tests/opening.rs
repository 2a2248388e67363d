//! The CONNECTING state: `client_h1` and `server_h1` talking to each other in memory, the
//! bytes around the heads (leftover, early frames), refusals, failed handshakes and misuse.

use http::StatusCode;
use stator_wire::rand::SeededRandom;

use super::*;
use crate::error::UsageError;
use crate::extension::{DeflateOffer, DeflateOptions};
use crate::frame::OpCode;
use crate::handshake::codec::HeadLimits;
use crate::handshake::{
    AcceptOptions, BuildError, ClientOptions, HandshakeError, HeadError, Negotiated, RequestError,
    ResponseError,
};
use crate::{Connecting, Message, Role, State, Utf8Bytes};

pub(super) fn options(deflate: bool) -> ClientOptions {
    let options = ClientOptions::new("ws://example.com/chat?room=1".parse().unwrap());
    if deflate {
        // What the Autobahn client offers (examples/autobahn_client.rs).
        options.with_deflate(DeflateOffer {
            client_no_context_takeover: true,
            ..DeflateOffer::default()
        })
    } else {
        options
    }
}

pub(super) fn accept_options(deflate: bool) -> AcceptOptions {
    AcceptOptions {
        deflate: deflate.then(DeflateOptions::default),
        ..AcceptOptions::default()
    }
}

pub(super) fn h1_client(options: &ClientOptions) -> Connection {
    Connection::client_h1(options, Config::client(SeededRandom::new(9))).unwrap()
}

pub(super) fn h1_server() -> Connection {
    Connection::server_h1(Config::server(), HeadLimits::default())
}

/// A client and a server that both start in CONNECTING.
struct H1Pair {
    client: Connection,
    server: Connection,
}

impl H1Pair {
    fn new(options: &ClientOptions) -> H1Pair {
        H1Pair {
            client: h1_client(options),
            server: h1_server(),
        }
    }

    /// Runs the handshake with `accept`; returns what each side's Open reported.
    fn open(options: &ClientOptions, accept: &AcceptOptions) -> (H1Pair, Negotiated) {
        let mut p = H1Pair::new(options);
        let request = output(&mut p.client);
        p.server.recv(&request);
        let Some(Event::Request(request)) = p.server.poll_event() else {
            panic!("no request")
        };
        assert_eq!(request.parts.uri, "/chat?room=1");
        p.server.accept(accept).unwrap();
        let Some(Event::Open(negotiated)) = p.server.poll_event() else {
            panic!("server not open")
        };
        let response = output(&mut p.server);
        p.client.recv(&response);
        assert_eq!(
            events(&mut p.client),
            [Event::Open(negotiated.clone())],
            "both ends agree"
        );
        assert_eq!(p.client.state(), &State::Open);
        assert_eq!(p.server.state(), &State::Open);
        (p, negotiated)
    }

    fn deliver_to_server(&mut self) -> Vec<Event> {
        let bytes = output(&mut self.client);
        self.server.recv(&bytes);
        events(&mut self.server)
    }

    fn deliver_to_client(&mut self) -> Vec<Event> {
        let bytes = output(&mut self.server);
        self.client.recv(&bytes);
        events(&mut self.client)
    }
}

/// Messages both ways, a ping, then a close started by the client: the whole life of a
/// connection after the handshake.
fn converse(p: &mut H1Pair) {
    let big = "compressible ".repeat(2_000);
    p.client.send_text(&big).unwrap();
    p.client.send_binary(&[1, 2, 3]).unwrap();
    assert_eq!(
        p.deliver_to_server(),
        [
            Event::Message(Message::text(big.clone())),
            Event::Message(Message::binary(vec![1, 2, 3]))
        ]
    );
    p.server.send_text(&big).unwrap();
    p.server.ping(b"p").unwrap();
    assert_eq!(
        p.deliver_to_client(),
        [
            Event::Message(Message::text(big)),
            Event::Ping(bytes::Bytes::from_static(b"p"))
        ]
    );
    assert_eq!(
        p.deliver_to_server(),
        [Event::Pong(bytes::Bytes::from_static(b"p"))]
    );
    p.client.close(CloseCode::NORMAL, "done").unwrap();
    let evs = p.deliver_to_server();
    assert!(closed_event(&evs).is_some_and(|c| c.clean));
    let evs = p.deliver_to_client();
    assert!(closed_event(&evs).is_some_and(|c| c.clean && c.code == CloseCode::NORMAL));
    // RFC 6455 §7.1.1: the server closes the transport first.
    assert!(p.server.wants_close_transport());
}

#[test]
fn request_is_ready_at_once() {
    let mut c = h1_client(&options(false));
    assert_eq!(c.state(), &State::Connecting(Connecting::AwaitingResponse));
    assert_eq!(c.role(), Role::Client);
    let request = String::from_utf8(output(&mut c)).unwrap();
    assert!(
        request.starts_with("GET /chat?room=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains("sec-websocket-key: "));
    assert!(request.ends_with("\r\n\r\n"));
    assert!(c.poll_event().is_none());
    assert!(output(&mut c).is_empty(), "sent once");
}

#[test]
fn handshake_then_messages_and_close() {
    let (mut p, negotiated) = H1Pair::open(&options(false), &accept_options(false));
    assert_eq!(negotiated, Negotiated::default());
    assert_eq!(
        p.client.response().map(|r| r.status),
        Some(StatusCode::SWITCHING_PROTOCOLS)
    );
    converse(&mut p);
}

#[test]
fn handshake_with_deflate_compresses() {
    let (mut p, negotiated) = H1Pair::open(&options(true), &accept_options(true));
    let config = negotiated.deflate.expect("permessage-deflate agreed");
    assert!(config.client_no_context_takeover);
    p.client.send_text(&"a".repeat(1000)).unwrap();
    let wire = output(&mut p.client);
    let sent = frames(&wire);
    assert!(sent[0].0.rsv1, "RFC 7692 §6: compressed, RSV1 set");
    assert!(wire.len() < 100);
    p.server.recv(&wire);
    assert_eq!(
        events(&mut p.server),
        [Event::Message(Message::text("a".repeat(1000)))]
    );
    converse(&mut p);
}

#[test]
fn declined_deflate_sends_plain() {
    let (mut p, negotiated) = H1Pair::open(&options(true), &accept_options(false));
    assert_eq!(negotiated.deflate, None);
    p.server.send_text("plain").unwrap();
    let wire = output(&mut p.server);
    assert_eq!(wire, b"\x81\x05plain");
    // And the client refuses compressed frames it did not agree to.
    p.client.recv(&wire);
    let _ = events(&mut p.client);
    assert_fails(
        &mut p.client,
        &from_server(0xc1, b"\x00"),
        crate::Violation::Rsv1WithoutExtension,
    );
}

#[test]
fn config_deflate_is_ignored_by_the_handshake() {
    // Compression comes from the negotiation, never from Config::deflate.
    let config = client_config().with_deflate(Some(deflate(15, false)));
    let mut client = Connection::client_h1(&options(false), config).unwrap();
    let mut server = Connection::server_h1(
        Config::server().with_deflate(Some(deflate(15, false))),
        HeadLimits::default(),
    );
    server.recv(&output(&mut client));
    let _ = events(&mut server);
    server.accept(&accept_options(true)).unwrap();
    assert_eq!(events(&mut server), [Event::Open(Negotiated::default())]);
    client.recv(&output(&mut server));
    assert_eq!(events(&mut client), [Event::Open(Negotiated::default())]);
    client.send_text("x").unwrap();
    assert!(!frames(&output(&mut client))[0].0.rsv1);
}

#[test]
fn subprotocol_is_reported_in_open() {
    let options = options(false).with_subprotocols(["v2.chat", "chat"]);
    let accept = AcceptOptions {
        subprotocols: vec!["chat".into()],
        ..AcceptOptions::default()
    };
    let (_, negotiated) = H1Pair::open(&options, &accept);
    assert_eq!(negotiated.subprotocol.as_deref(), Some("chat"));
}

#[test]
fn frames_behind_the_101_are_decoded() {
    let mut p = H1Pair::new(&options(true));
    p.server.recv(&output(&mut p.client));
    let _ = events(&mut p.server);
    p.server.accept(&accept_options(true)).unwrap();
    // The server speaks right away: its first frames share a segment with the 101.
    p.server.send_text("first").unwrap();
    p.server.ping(b"").unwrap();
    let evs = p.deliver_to_client();
    assert!(matches!(&evs[0], Event::Open(n) if n.deflate.is_some()));
    assert_eq!(
        evs[1..],
        [
            Event::Message(Message::text("first")),
            Event::Ping(bytes::Bytes::new())
        ]
    );
    // The automatic pong follows the handshake: the client is OPEN.
    assert_eq!(frames(&output(&mut p.client))[0].0.opcode, OpCode::Pong);
}

#[test]
fn early_frames_from_the_client_are_kept_until_accept() {
    let mut client = h1_client(&options(false));
    let mut input = output(&mut client);
    // A client that does not wait for the 101 (RFC 6455 §4.1 says it should).
    input.extend(from_client(0x81, b"early"));
    let mut server = h1_server();
    server.recv(&input[..input.len() - 3]);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    assert_eq!(
        server.state(),
        &State::Connecting(Connecting::AwaitingDecision)
    );
    server.recv(&input[input.len() - 3..]);
    assert_eq!(server.poll_event(), None, "nothing decoded before accept");
    server.accept(&AcceptOptions::default()).unwrap();
    assert_eq!(
        events(&mut server),
        [
            Event::Open(Negotiated::default()),
            Event::Message(Message::text("early"))
        ]
    );
}

#[test]
fn too_much_early_data_fails() {
    let mut client = h1_client(&options(false));
    let limits = HeadLimits {
        max_early_data: 8,
        ..HeadLimits::default()
    };
    let mut server = Connection::server_h1(Config::server(), limits);
    server.recv(&output(&mut client));
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.recv(&from_client(0x82, &[0; 20]));
    let error = Error::Handshake(HandshakeError::TooMuchEarlyData { limit: 8 });
    let evs = events(&mut server);
    assert_eq!(
        closed_event(&evs).map(|c| &c.cause),
        Some(&CloseCause::Failed(error.clone()))
    );
    assert_eq!(server.accept(&AcceptOptions::default()), Err(error));
}

#[test]
fn rejection_reaches_the_client() {
    let mut p = H1Pair::new(&options(false));
    p.server.recv(&output(&mut p.client));
    let _ = events(&mut p.server);
    p.server.reject(StatusCode::FORBIDDEN).unwrap();
    let evs = events(&mut p.server);
    let closed = closed_event(&evs).unwrap();
    assert_eq!(closed.cause, CloseCause::Rejected(StatusCode::FORBIDDEN));
    assert_eq!(closed.code, CloseCode::ABNORMAL);
    assert!(
        !p.server.wants_close_transport(),
        "the 403 is still to be sent"
    );
    let response = output(&mut p.server);
    let text = String::from_utf8(response.clone()).unwrap();
    assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{text}");
    assert!(text.contains("connection: close\r\n"));
    assert!(p.server.wants_close_transport());
    assert_eq!(
        p.server.send_text("x"),
        Err(Error::Usage(UsageError::Closed))
    );

    p.client.recv(&response);
    let error = Error::Handshake(HandshakeError::Response(ResponseError::UnexpectedStatus(
        StatusCode::FORBIDDEN,
    )));
    let evs = events(&mut p.client);
    assert_eq!(
        closed_event(&evs).map(|c| &c.cause),
        Some(&CloseCause::Failed(error.clone()))
    );
    assert_eq!(p.client.error(), Some(&error));
    assert_eq!(
        p.client.response().map(|r| r.status),
        Some(StatusCode::FORBIDDEN)
    );
    assert_eq!(p.client.send_text("x"), Err(error), "sticky");
    assert!(
        output(&mut p.client).is_empty(),
        "no close frame before OPEN"
    );
    assert!(p.client.wants_close_transport());
}

/// Feeds `request` to a fresh server and checks that it refuses it with `status` and
/// closes with `error`.
fn assert_refused(request: &[u8], status: u16, error: HandshakeError) {
    let mut server = h1_server();
    server.recv(request);
    let evs = events(&mut server);
    assert_eq!(
        evs,
        [Event::Closed(Closed {
            code: CloseCode::ABNORMAL,
            reason: Utf8Bytes::default(),
            clean: false,
            cause: CloseCause::Failed(Error::Handshake(error)),
        })]
    );
    let answer = String::from_utf8(output(&mut server)).unwrap();
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {status} ")),
        "{answer}"
    );
    assert!(server.wants_close_transport());
    server.recv(b"more");
    assert_eq!(server.poll_event(), None);
}

#[test]
fn invalid_requests_are_refused_by_the_machine() {
    let mut client = h1_client(&options(false));
    let request = String::from_utf8(output(&mut client)).unwrap();
    assert_refused(
        request.replace("version: 13", "version: 8").as_bytes(),
        426,
        RequestError::UnsupportedVersion("8".into()).into(),
    );
    assert_refused(
        request.replace("GET", "POST").as_bytes(),
        400,
        RequestError::MethodNotGet(http::Method::POST).into(),
    );
    let mut huge = b"GET / HTTP/1.1\r\n".to_vec();
    huge.extend(b"x-filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(400));
    assert_refused(&huge, 431, HeadError::TooLarge { limit: 16 * 1024 }.into());
}

#[test]
fn invalid_responses_fail_the_client() {
    let mut p = H1Pair::new(&options(false));
    p.server.recv(&output(&mut p.client));
    let _ = events(&mut p.server);
    p.server.accept(&AcceptOptions::default()).unwrap();
    let good = String::from_utf8(output(&mut p.server)).unwrap();
    let cases: [(String, ResponseError); 3] = [
        (
            good.replace("upgrade: websocket", "upgrade: h2c"),
            ResponseError::UpgradeNotWebSocket,
        ),
        (
            good.replace(
                "\r\n\r\n",
                "\r\nsec-websocket-extensions: permessage-deflate\r\n\r\n",
            ),
            ResponseError::ExtensionNotOffered("permessage-deflate".into()),
        ),
        (
            {
                let at = good.find("sec-websocket-accept: ").unwrap() + 22;
                let mut bad = good.clone();
                bad.replace_range(at..at + 4, "AAAA");
                bad
            },
            ResponseError::AcceptMismatch,
        ),
    ];
    for (response, error) in cases {
        let mut client = h1_client(&options(false));
        let _ = output(&mut client);
        // Frames behind a bad 101 are never decoded.
        let mut input = response.into_bytes();
        input.extend(from_server(0x81, b"no"));
        client.recv(&input);
        let evs = events(&mut client);
        assert_eq!(evs.len(), 1, "{evs:?}");
        let expect = CloseCause::Failed(Error::Handshake(error.into()));
        assert_eq!(closed_event(&evs).map(|c| &c.cause), Some(&expect));
        assert!(output(&mut client).is_empty());
    }
}

#[test]
fn transport_ending_or_reset_during_the_handshake() {
    let mut client = h1_client(&options(false));
    client.recv(b"HTTP/1.1 101 Switching");
    client.recv_eof();
    let evs = events(&mut client);
    assert!(
        matches!(closed_event(&evs), Some(c) if c.cause == CloseCause::Eof && c.code == CloseCode::ABNORMAL)
    );

    let mut server = h1_server();
    server.recv(&output(&mut h1_client(&options(false))));
    let _ = events(&mut server);
    server.reset();
    let evs = events(&mut server);
    assert_eq!(
        closed_event(&evs).map(|c| &c.cause),
        Some(&CloseCause::Reset)
    );
    assert_eq!(
        server.accept(&AcceptOptions::default()),
        Err(Error::Usage(UsageError::Closed))
    );
}

#[test]
fn misuse_while_connecting() {
    let connecting = Err(Error::Usage(UsageError::Connecting));
    let mut client = h1_client(&options(false));
    assert_eq!(client.send_text("x"), connecting);
    assert_eq!(client.send_binary(b"x"), connecting);
    assert_eq!(
        client.send_fragment(crate::MessageKind::Text, b"x", true),
        Err(Error::Usage(UsageError::Connecting))
    );
    assert_eq!(client.ping(b""), connecting);
    assert_eq!(client.pong(b""), connecting);
    assert_eq!(client.close(CloseCode::NORMAL, ""), connecting);
    let no_request = Err(Error::Usage(UsageError::NoPendingRequest));
    assert_eq!(client.accept(&AcceptOptions::default()), no_request);
    assert_eq!(client.reject(StatusCode::FORBIDDEN), no_request);

    let mut server = h1_server();
    assert_eq!(
        server.accept(&AcceptOptions::default()),
        no_request,
        "no request yet"
    );
    server.recv(&output(&mut client));
    let _ = events(&mut server);
    assert_eq!(server.send_text("x"), connecting, "no data before the 101");
    let mut reserved = AcceptOptions::default();
    reserved
        .headers
        .insert(http::header::UPGRADE, http::HeaderValue::from_static("x"));
    assert_eq!(
        server.accept(&reserved),
        Err(Error::Handshake(
            BuildError::ReservedHeader(http::header::UPGRADE).into()
        ))
    );
    assert_eq!(
        server.state(),
        &State::Connecting(Connecting::AwaitingDecision),
        "still pending"
    );
    assert!(output(&mut server).is_empty());
    server.accept(&AcceptOptions::default()).unwrap();
    assert_eq!(
        server.accept(&AcceptOptions::default()),
        no_request,
        "already open"
    );
    assert_eq!(
        Connection::new(Config::server()).reject(StatusCode::FORBIDDEN),
        no_request
    );
}

#[test]
fn the_constructor_decides_the_role() {
    let c = Connection::client_h1(&options(false), Config::server()).unwrap();
    assert_eq!(c.role(), Role::Client);
    let s = Connection::server_h1(client_config(), HeadLimits::default());
    assert_eq!(s.role(), Role::Server);
    assert_eq!(s.state(), &State::Connecting(Connecting::AwaitingRequest));
    let bad = ClientOptions::new("ftp://example.com/".parse().unwrap());
    assert_eq!(
        Connection::client_h1(&bad, client_config()).err(),
        Some(BuildError::UnsupportedScheme("ftp".into()))
    );
}
