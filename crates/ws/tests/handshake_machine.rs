//! The standalone HTTP/1.1 handshake machines and head codec on byte streams: round trips,
//! leftover bytes, refusals, misuse, and property tests over arbitrary input splits and
//! arbitrary bytes.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use bytes::Bytes;
use http::{HeaderValue, StatusCode, request, response};
use proptest::prelude::*;
use stator_wire::rand::SeededRandom;
use stator_ws::extension::{DeflateOffer, DeflateOptions};
use stator_ws::handshake::codec::{HeadLimits, RequestReader, ResponseReader};
use stator_ws::handshake::{
    AcceptOptions, BuildError, ClientEvent, ClientHandshake, ClientOptions, Established,
    HandshakeError, HeadError, RequestError, ResponseError, ServerEvent, ServerHandshake,
};

const FRAME: &[u8] = b"\x81\x05hello";

fn client() -> ClientHandshake {
    let options = ClientOptions::new("ws://example.com/chat".parse().unwrap())
        .with_subprotocols(["chat"])
        .with_deflate(DeflateOffer::default());
    ClientHandshake::new(&options, &mut SeededRandom::new(42), HeadLimits::default()).unwrap()
}

fn accept_options() -> AcceptOptions {
    AcceptOptions {
        subprotocols: vec!["chat".into()],
        deflate: Some(DeflateOptions::default()),
        ..AcceptOptions::default()
    }
}

fn pending_server(request: &[u8]) -> ServerHandshake {
    let mut server = ServerHandshake::new(HeadLimits::default());
    server.recv(request).unwrap();
    assert!(matches!(server.poll_event(), Some(ServerEvent::Request(_))));
    server
}

fn established(client: &mut ClientHandshake) -> Established {
    match client.poll_event() {
        Some(ClientEvent::Established(e)) => e,
        other => panic!("not established: {other:?}"),
    }
}

#[test]
fn round_trip_keeps_the_first_frames_on_both_sides() {
    let mut client = client();
    let request = client.poll_transmit().unwrap();
    assert!(client.poll_transmit().is_none());

    // The client pipelines a frame right behind its request; the server keeps it.
    let mut server = ServerHandshake::new(HeadLimits::default());
    server.recv(&[&request[..], FRAME].concat()).unwrap();
    let Some(ServerEvent::Request(incoming)) = server.poll_event() else {
        panic!("no request")
    };
    assert_eq!(incoming.parts.uri, "/chat");
    assert_eq!(incoming.offer.subprotocols, ["chat"]);
    assert!(server.poll_event().is_none());
    server.recv(b"more").unwrap();
    let server_side = server.accept(&accept_options()).unwrap();
    assert_eq!(server_side.leftover, Bytes::from([FRAME, b"more"].concat()));

    // The server's first frame arrives in the same read as its 101.
    let response = server.poll_transmit().unwrap();
    assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    client.recv(&[&response[..], FRAME].concat()).unwrap();
    let client_side = established(&mut client);
    assert_eq!(client_side.leftover, Bytes::from_static(FRAME));
    assert_eq!(client_side.negotiated, server_side.negotiated);
    assert_eq!(client_side.negotiated.subprotocol.as_deref(), Some("chat"));
    assert!(client_side.negotiated.deflate.is_some());
    assert_eq!(
        client.response().unwrap().status,
        StatusCode::SWITCHING_PROTOCOLS
    );

    // Both machines are done.
    assert_eq!(
        client.recv(b"x"),
        Err(HandshakeError::InvalidState(
            "recv after the handshake completed"
        ))
    );
    assert_eq!(
        server.recv(b"x"),
        Err(HandshakeError::InvalidState(
            "recv after the handshake completed"
        ))
    );
    assert!(matches!(
        server.accept(&accept_options()),
        Err(HandshakeError::InvalidState(_))
    ));
}

#[test]
fn byte_at_a_time() {
    let mut client = client();
    let request = client.poll_transmit().unwrap();
    let mut server = ServerHandshake::new(HeadLimits::default());
    for b in &request {
        assert!(server.poll_event().is_none());
        server.recv(&[*b]).unwrap();
    }
    assert!(matches!(server.poll_event(), Some(ServerEvent::Request(_))));
    let s = server.accept(&AcceptOptions::default()).unwrap();
    assert!(s.leftover.is_empty());
    let mut wire = Vec::new();
    assert_eq!(server.poll_output(&mut wire), wire.len());
    assert!(wire.starts_with(b"HTTP/1.1 101"));
    assert_eq!(server.poll_output(&mut wire), 0);
    for b in &wire {
        assert!(client.poll_event().is_none());
        client.recv(&[*b]).unwrap();
    }
    assert_eq!(established(&mut client).negotiated, s.negotiated);
}

#[test]
fn invalid_request_is_answered_and_sticky() {
    let mut server = ServerHandshake::new(HeadLimits::default());
    let request = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    let want = HandshakeError::Request(RequestError::UnsupportedVersion("8".into()));
    assert_eq!(server.recv(request), Err(want.clone()));
    assert_eq!(server.recv(b"again"), Err(want));
    assert!(server.poll_event().is_none());
    assert!(server.is_rejected());
    let out = server.poll_transmit().unwrap();
    let (res, _) = ResponseReader::new(HeadLimits::default())
        .recv(&out)
        .unwrap()
        .unwrap();
    assert_eq!(res.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(res.headers["sec-websocket-version"], "13");
    assert_eq!(res.headers["connection"], "Upgrade, close");
    assert_eq!(res.headers["content-length"], "0");
    assert!(server.poll_transmit().is_none());
}

#[test]
fn unreadable_heads_get_400_or_431() {
    let limits = HeadLimits {
        max_head_size: 128,
        ..HeadLimits::default()
    };
    let cases: [(&[u8], HeadError, u16); 3] = [
        (&[b'A'; 200], HeadError::TooLarge { limit: 128 }, 431),
        (b"GET / HTTP/1.1\nHost: a\n\n", HeadError::BareLf, 400),
        (
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            HeadError::InvalidHeaderName,
            400,
        ),
    ];
    for (input, want, status) in cases {
        let mut server = ServerHandshake::new(limits);
        assert_eq!(server.recv(input), Err(HandshakeError::Head(want)));
        let (res, _) = ResponseReader::new(limits)
            .recv(&server.poll_transmit().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(res.status, status);
        assert_eq!(res.headers["connection"], "close");
    }
}

#[test]
fn application_rejection() {
    let mut c = client();
    let mut server = pending_server(&c.poll_transmit().unwrap());
    server.reject(StatusCode::FORBIDDEN).unwrap();
    assert!(server.is_rejected());
    let out = server.poll_transmit().unwrap();
    assert!(out.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    assert_eq!(server.recv(b"ignored"), Ok(()));
    assert!(matches!(
        server.accept(&AcceptOptions::default()),
        Err(HandshakeError::InvalidState(_))
    ));
    assert!(matches!(
        server.reject(StatusCode::FORBIDDEN),
        Err(HandshakeError::InvalidState(_))
    ));

    // The client keeps the refusal's head for the application to read.
    assert_eq!(
        c.recv(&out),
        Err(HandshakeError::Response(ResponseError::UnexpectedStatus(
            StatusCode::FORBIDDEN
        )))
    );
    assert_eq!(c.response().unwrap().status, StatusCode::FORBIDDEN);
    assert!(c.poll_event().is_none());
    assert_eq!(
        c.recv(b""),
        Err(HandshakeError::Response(ResponseError::UnexpectedStatus(
            StatusCode::FORBIDDEN
        )))
    );
}

#[test]
fn custom_rejection_and_misuse() {
    let mut server = ServerHandshake::new(HeadLimits::default());
    assert!(matches!(
        server.accept(&AcceptOptions::default()),
        Err(HandshakeError::InvalidState(_))
    ));
    assert!(matches!(
        server.reject(StatusCode::FORBIDDEN),
        Err(HandshakeError::InvalidState(_))
    ));

    let mut server = pending_server(&client().poll_transmit().unwrap());
    // A reserved header is the caller's mistake: the request stays pending.
    let mut bad = AcceptOptions::default();
    bad.headers
        .insert("upgrade", HeaderValue::from_static("h2c"));
    assert_eq!(
        server.accept(&bad),
        Err(HandshakeError::Build(BuildError::ReservedHeader(
            http::header::UPGRADE
        )))
    );
    assert!(server.poll_transmit().is_none());
    let (mut res, ()) = http::Response::new(()).into_parts();
    res.status = StatusCode::UNAUTHORIZED;
    res.headers
        .insert("www-authenticate", HeaderValue::from_static("Basic"));
    res.headers
        .insert("content-length", HeaderValue::from_static("0"));
    server.reject_with(res).unwrap();
    let out = server.poll_transmit().unwrap();
    let (res, _) = ResponseReader::new(HeadLimits::default())
        .recv(&out)
        .unwrap()
        .unwrap();
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers["www-authenticate"], "Basic");
    assert_eq!(res.headers["connection"], "close");
}

#[test]
fn early_data_is_bounded() {
    let limits = HeadLimits {
        max_early_data: 8,
        ..HeadLimits::default()
    };
    let mut request = client().poll_transmit().unwrap().to_vec();
    let mut server = ServerHandshake::new(limits);
    server.recv(&request).unwrap();
    server.recv(&[0; 8]).unwrap();
    assert_eq!(
        server.recv(&[0]),
        Err(HandshakeError::TooMuchEarlyData { limit: 8 })
    );
    assert!(server.poll_event().is_none());
    assert!(matches!(
        server.accept(&AcceptOptions::default()),
        Err(HandshakeError::TooMuchEarlyData { .. })
    ));
    // Too much in the very read that completes the head.
    request.extend_from_slice(&[0; 9]);
    let mut server = ServerHandshake::new(limits);
    assert_eq!(
        server.recv(&request),
        Err(HandshakeError::TooMuchEarlyData { limit: 8 })
    );
    assert!(server.poll_event().is_none());
}

#[test]
fn bad_accept_fails_the_client() {
    let mut c = client();
    let _ = c.poll_transmit();
    let res = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_eq!(
        c.recv(res),
        Err(HandshakeError::Response(ResponseError::AcceptMismatch))
    );
    assert!(c.poll_event().is_none());
    let mut c = client();
    assert_eq!(
        c.recv(b"HTTP/1.1 101\nX: y\n\n"),
        Err(HandshakeError::Head(HeadError::BareLf))
    );
}

fn request_key(p: &request::Parts) -> impl PartialEq + std::fmt::Debug {
    (
        p.method.clone(),
        p.uri.clone(),
        p.version,
        p.headers.clone(),
    )
}

fn response_key(p: &response::Parts) -> impl PartialEq + std::fmt::Debug {
    (p.status, p.version, p.headers.clone())
}

/// Cuts `input` at the given points (taken modulo its length, sorted).
fn split(input: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([input.len()]) {
        chunks.push(input[start..p].to_vec());
        start = p;
    }
    chunks
}

/// Feeds chunks to a reader until it returns a head; returns it with every byte after it.
fn feed<T>(
    chunks: &[Vec<u8>],
    mut recv: impl FnMut(&[u8]) -> Result<Option<(T, Bytes)>, HeadError>,
) -> (T, Vec<u8>) {
    let mut it = chunks.iter();
    for chunk in it.by_ref() {
        if let Some((head, leftover)) = recv(chunk).unwrap() {
            let mut rest = leftover.to_vec();
            it.for_each(|c| rest.extend_from_slice(c));
            return (head, rest);
        }
    }
    panic!("head never completed");
}

proptest! {
    #[test]
    fn any_split_of_a_request_gives_the_same_head_and_leftover(
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        tail in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut input = client().poll_transmit().unwrap().to_vec();
        input.extend_from_slice(&tail);
        let mut whole = RequestReader::new(HeadLimits::default());
        let (want, want_left) = whole.recv(&input).unwrap().unwrap();
        prop_assert_eq!(&want_left[..], &tail[..]);
        let mut reader = RequestReader::new(HeadLimits::default());
        let (got, got_left) = feed(&split(&input, &cuts), |c| reader.recv(c));
        prop_assert_eq!(request_key(&got), request_key(&want));
        prop_assert_eq!(got_left, tail.clone());

        // The server machine hands over the same bytes.
        let mut server = ServerHandshake::new(HeadLimits::default());
        for chunk in split(&input, &cuts) {
            server.recv(&chunk).unwrap();
        }
        prop_assert_eq!(server.accept(&accept_options()).unwrap().leftover.to_vec(), tail);
    }

    #[test]
    fn any_split_of_a_response_gives_the_same_head_and_leftover(
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        tail in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut c = client();
        let mut server = pending_server(&c.poll_transmit().unwrap());
        let server_side = server.accept(&accept_options()).unwrap();
        let mut input = server.poll_transmit().unwrap().to_vec();
        input.extend_from_slice(&tail);
        let (want, _) = ResponseReader::new(HeadLimits::default()).recv(&input).unwrap().unwrap();
        let mut reader = ResponseReader::new(HeadLimits::default());
        let (got, got_left) = feed(&split(&input, &cuts), |c| reader.recv(c));
        prop_assert_eq!(response_key(&got), response_key(&want));
        prop_assert_eq!(&got_left, &tail);

        // The client machine hands over the same bytes; what follows the chunk that
        // completed the head is the connection's to read.
        let chunks = split(&input, &cuts);
        let mut rest = chunks.iter();
        let mut done = None;
        for chunk in rest.by_ref() {
            c.recv(chunk).unwrap();
            if let Some(ClientEvent::Established(e)) = c.poll_event() {
                done = Some(e);
                break;
            }
        }
        let e = done.unwrap();
        prop_assert_eq!(&e.negotiated, &server_side.negotiated);
        let mut after = e.leftover.to_vec();
        rest.for_each(|c| after.extend_from_slice(c));
        prop_assert_eq!(after, tail);
    }

    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let limits = HeadLimits { max_head_size: 256, max_headers: 8, max_early_data: 64 };
        let mut req = RequestReader::new(limits);
        let mut res = ResponseReader::new(limits);
        let mut server = ServerHandshake::new(limits);
        let mut c = ClientHandshake::new(
            &ClientOptions::new("ws://h/".parse().unwrap()),
            &mut SeededRandom::new(1),
            limits,
        )
        .unwrap();
        for chunk in split(&bytes, &cuts) {
            let _ = req.recv(&chunk);
            let _ = res.recv(&chunk);
            let _ = server.recv(&chunk);
            let _ = c.recv(&chunk);
        }
        let _ = server.poll_transmit();
        let _ = server.poll_event();
        let _ = c.poll_event();
    }

    #[test]
    fn random_bytes_after_a_valid_start_line_never_panic(
        bytes in prop::collection::vec(prop::sample::select(&b"\r\n :;,=\"aZ09-\t\x00\x7f\xff"[..]), 0..200),
    ) {
        let mut input = b"GET / HTTP/1.1\r\n".to_vec();
        input.extend_from_slice(&bytes);
        input.extend_from_slice(b"\r\n\r\n");
        let _ = ServerHandshake::new(HeadLimits::default()).recv(&input);
        let mut input = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
        input.extend_from_slice(&bytes);
        input.extend_from_slice(b"\r\n\r\n");
        let _ = client().recv(&input);
    }
}
