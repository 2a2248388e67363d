//! The HTTP/1.1 opening handshake on heads (RFC 6455 §4): every validation rule on both
//! sides, with the exact error each failure gives, and RFC 6455's own example.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode, Version, request, response};
use stator_wire::rand::SeededRandom;
use stator_ws::extension::{ClientMaxWindowBits, DeflateError, DeflateOffer, DeflateOptions};
use stator_ws::handshake::codec::{self, HeadLimits, RequestReader, ResponseReader};
use stator_ws::handshake::{
    AcceptOptions, BuildError, ClientOffer, ClientOptions, Negotiated, RequestError, ResponseError,
    h1, key,
};
use stator_ws::{DeflateConfig, extension::ExtensionError};

const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

const RFC_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\r\n";

fn parse_request(bytes: &[u8]) -> request::Parts {
    RequestReader::new(HeadLimits::default())
        .recv(bytes)
        .unwrap()
        .unwrap()
        .0
}

fn parse_response(bytes: &[u8]) -> response::Parts {
    ResponseReader::new(HeadLimits::default())
        .recv(bytes)
        .unwrap()
        .unwrap()
        .0
}

#[test]
fn rfc6455_example_handshake() {
    // RFC 6455 §1.2 / §1.3, server side.
    let request = parse_request(RFC_REQUEST);
    let valid = h1::check_request(&request).unwrap();
    assert_eq!(valid.offer.subprotocols, ["chat", "superchat"]);
    let options = AcceptOptions {
        subprotocols: vec!["chat".into()],
        ..AcceptOptions::default()
    };
    let (response, negotiated) = h1::accept(&valid, &options).unwrap();
    let mut wire = Vec::new();
    codec::write_response(&response, &mut wire);
    // The RFC's response, with header names in the lower case `http` writes.
    let rfc = parse_response(RFC_RESPONSE);
    assert_eq!(
        wire,
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nsec-websocket-protocol: chat\r\n\r\n"
    );
    assert_eq!(
        (response.status, &response.headers),
        (rfc.status, &rfc.headers)
    );
    assert_eq!(
        negotiated,
        Negotiated {
            subprotocol: Some("chat".into()),
            deflate: None
        }
    );

    // Client side, with the RFC's key.
    let expected = h1::Expected {
        key: HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        accept: key::accept(b"dGhlIHNhbXBsZSBub25jZQ=="),
        offer: ClientOffer {
            subprotocols: vec!["chat".into(), "superchat".into()],
            deflate: None,
        },
    };
    assert_eq!(
        h1::check_response(&parse_response(RFC_RESPONSE), &expected),
        Ok(negotiated)
    );
}

fn client_options() -> ClientOptions {
    ClientOptions::new("ws://example.com:8080/chat?room=1".parse().unwrap())
        .with_subprotocols(["v2.chat", "chat"])
        .with_deflate(DeflateOffer::default())
}

#[test]
fn client_request_has_every_required_field() {
    let (req, expected) = h1::client_request(&client_options(), &mut SeededRandom::new(3)).unwrap();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.version, Version::HTTP_11);
    let h = &req.headers;
    assert_eq!(h["host"], "example.com:8080");
    assert_eq!(h["upgrade"], "websocket");
    assert_eq!(h["connection"], "Upgrade");
    assert_eq!(h["sec-websocket-version"], "13");
    assert_eq!(h["sec-websocket-protocol"], "v2.chat, chat");
    assert_eq!(
        h["sec-websocket-extensions"],
        "permessage-deflate; client_max_window_bits"
    );
    assert_eq!(h["sec-websocket-key"], expected.key);
    assert_eq!(
        key::decode(expected.key.as_bytes()).map(|k| k.len()),
        Some(16)
    );
    assert_eq!(expected.accept, key::accept(expected.key.as_bytes()));
    let mut wire = Vec::new();
    codec::write_request(&req, &mut wire);
    assert!(wire.starts_with(b"GET /chat?room=1 HTTP/1.1\r\n"));
    // Deterministic for a seed, different across seeds.
    let (again, _) = h1::client_request(&client_options(), &mut SeededRandom::new(3)).unwrap();
    assert_eq!(again.headers["sec-websocket-key"], h["sec-websocket-key"]);
    let (other, _) = h1::client_request(&client_options(), &mut SeededRandom::new(4)).unwrap();
    assert_ne!(other.headers["sec-websocket-key"], h["sec-websocket-key"]);
}

#[test]
fn client_request_host_and_extras() {
    let mut options = ClientOptions::new("wss://user:pw@[::1]/".parse().unwrap());
    options
        .headers
        .insert("origin", HeaderValue::from_static("https://example.com"));
    let (req, _) = h1::client_request(&options, &mut SeededRandom::new(1)).unwrap();
    assert_eq!(req.headers["host"], "[::1]");
    assert_eq!(req.headers["origin"], "https://example.com");
    assert!(!req.headers.contains_key("sec-websocket-protocol"));
    assert!(!req.headers.contains_key("sec-websocket-extensions"));
    options.host = Some(HeaderValue::from_static("front.example"));
    let (req, _) = h1::client_request(&options, &mut SeededRandom::new(1)).unwrap();
    assert_eq!(req.headers["host"], "front.example");
}

#[test]
fn client_misuse_has_exact_errors() {
    let rng = &mut SeededRandom::new(1);
    let build = |o: &ClientOptions, rng: &mut SeededRandom| h1::client_request(o, rng).map(|_| ());
    let ftp = ClientOptions::new("ftp://example.com/".parse().unwrap());
    assert_eq!(
        build(&ftp, rng),
        Err(BuildError::UnsupportedScheme("ftp".into()))
    );
    let relative = ClientOptions::new("/chat".parse().unwrap());
    assert_eq!(
        build(&relative, rng),
        Err(BuildError::UnsupportedScheme(String::new()))
    );
    let base = ClientOptions::new("ws://example.com/".parse().unwrap());
    let bad = base.clone().with_subprotocols(["a b"]);
    assert_eq!(
        build(&bad, rng),
        Err(BuildError::InvalidSubprotocol("a b".into()))
    );
    let dup = base.clone().with_subprotocols(["a", "b", "a"]);
    assert_eq!(
        build(&dup, rng),
        Err(BuildError::DuplicateSubprotocol("a".into()))
    );
    for name in [
        "sec-websocket-key",
        "upgrade",
        "connection",
        "host",
        "sec-websocket-protocol",
    ] {
        let mut o = base.clone();
        o.headers
            .insert(HeaderName::from_static(name), HeaderValue::from_static("x"));
        assert_eq!(
            build(&o, rng),
            Err(BuildError::ReservedHeader(HeaderName::from_static(name)))
        );
    }
}

fn valid_request() -> request::Parts {
    parse_request(RFC_REQUEST)
}

fn with(mut req: request::Parts, f: impl FnOnce(&mut request::Parts)) -> request::Parts {
    f(&mut req);
    req
}

fn set(name: &'static str, value: &'static str) -> impl FnOnce(&mut request::Parts) {
    move |r| {
        r.headers.insert(name, HeaderValue::from_static(value));
    }
}

fn remove(name: &'static str) -> impl FnOnce(&mut request::Parts) {
    move |r| {
        r.headers.remove(name);
    }
}

fn add(name: &'static str, value: &'static str) -> impl FnOnce(&mut request::Parts) {
    move |r| {
        r.headers.append(name, HeaderValue::from_static(value));
    }
}

#[test]
fn server_accepts_lenient_spellings() {
    let ok = |r: request::Parts| h1::check_request(&r).map(|_| ());
    assert_eq!(
        ok(with(valid_request(), set("upgrade", "WebSocket"))),
        Ok(())
    );
    assert_eq!(
        ok(with(valid_request(), set("upgrade", "h2c, websocket"))),
        Ok(())
    );
    assert_eq!(
        ok(with(
            valid_request(),
            set("connection", "keep-alive, UPGRADE")
        )),
        Ok(())
    );
    assert_eq!(
        ok(with(
            with(valid_request(), set("connection", "keep-alive")),
            add("connection", "upgrade")
        )),
        Ok(())
    );
    assert_eq!(
        ok(with(valid_request(), set("content-length", "0"))),
        Ok(())
    );
    let mut v2 = valid_request();
    v2.version = Version::HTTP_2;
    assert_eq!(ok(v2), Ok(()));
    // Protocol lists spread over lines combine.
    let split = with(
        with(valid_request(), set("sec-websocket-protocol", "a")),
        add("sec-websocket-protocol", "b, c"),
    );
    assert_eq!(
        h1::check_request(&split).unwrap().offer.subprotocols,
        ["a", "b", "c"]
    );
}

#[test]
#[allow(clippy::too_many_lines)] // one table of cases
fn server_rejections_have_exact_errors_and_statuses() {
    use RequestError::*;
    let bad_request = StatusCode::BAD_REQUEST;
    let upgrade_required = StatusCode::UPGRADE_REQUIRED;
    let mut post = valid_request();
    post.method = Method::POST;
    let mut old = valid_request();
    old.version = Version::HTTP_10;
    let cases: Vec<(request::Parts, RequestError, StatusCode)> = vec![
        (post, MethodNotGet(Method::POST), bad_request),
        (old, HttpVersionTooOld(Version::HTTP_10), bad_request),
        (
            with(valid_request(), remove("host")),
            MissingHost,
            bad_request,
        ),
        (
            with(valid_request(), add("host", "b")),
            DuplicateHeader(http::header::HOST),
            bad_request,
        ),
        (
            with(valid_request(), remove("upgrade")),
            UpgradeNotWebSocket,
            upgrade_required,
        ),
        (
            with(valid_request(), set("upgrade", "websocket2")),
            UpgradeNotWebSocket,
            upgrade_required,
        ),
        (
            with(valid_request(), remove("connection")),
            ConnectionNotUpgrade,
            upgrade_required,
        ),
        (
            with(valid_request(), set("connection", "upgraded")),
            ConnectionNotUpgrade,
            upgrade_required,
        ),
        (
            with(valid_request(), remove("sec-websocket-version")),
            MissingVersion,
            upgrade_required,
        ),
        (
            with(valid_request(), set("sec-websocket-version", "8")),
            UnsupportedVersion("8".into()),
            upgrade_required,
        ),
        (
            with(valid_request(), set("sec-websocket-version", "013")),
            UnsupportedVersion("013".into()),
            upgrade_required,
        ),
        (
            with(valid_request(), add("sec-websocket-version", "13")),
            DuplicateHeader(http::header::SEC_WEBSOCKET_VERSION),
            bad_request,
        ),
        (
            with(valid_request(), remove("sec-websocket-key")),
            MissingKey,
            bad_request,
        ),
        (
            with(
                valid_request(),
                set("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ"),
            ),
            InvalidKey,
            bad_request,
        ),
        (
            with(
                valid_request(),
                set("sec-websocket-key", "dGhlIHNhbXBsZSBub25j"),
            ),
            InvalidKey,
            bad_request,
        ),
        (
            with(
                valid_request(),
                set("sec-websocket-key", "!!!!!!!!!!!!!!!!!!!!!!=="),
            ),
            InvalidKey,
            bad_request,
        ),
        (
            with(
                valid_request(),
                add("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ),
            DuplicateHeader(http::header::SEC_WEBSOCKET_KEY),
            bad_request,
        ),
        (
            with(valid_request(), set("content-length", "5")),
            UnexpectedBody,
            bad_request,
        ),
        (
            with(valid_request(), set("transfer-encoding", "chunked")),
            UnexpectedBody,
            bad_request,
        ),
        (
            with(valid_request(), set("sec-websocket-protocol", "a b")),
            InvalidSubprotocols,
            bad_request,
        ),
        (
            with(valid_request(), set("sec-websocket-protocol", " , ")),
            InvalidSubprotocols,
            bad_request,
        ),
        (
            with(valid_request(), set("sec-websocket-protocol", "a, b, a")),
            DuplicateSubprotocol("a".into()),
            bad_request,
        ),
        (
            with(valid_request(), set("sec-websocket-extensions", "a;")),
            InvalidExtensions(ExtensionError::ExpectedToken { offset: 2 }),
            bad_request,
        ),
    ];
    for (req, want, status) in cases {
        let got = h1::check_request(&req).unwrap_err();
        assert_eq!(got, want);
        assert_eq!(got.status(), status, "{want}");
    }
}

#[test]
fn rejection_responses() {
    let r = h1::reject(&RequestError::UnsupportedVersion("8".into()));
    assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(r.headers["sec-websocket-version"], "13");
    assert_eq!(r.headers["upgrade"], "websocket");
    assert_eq!(r.headers["content-length"], "0");
    let r = h1::reject(&RequestError::UpgradeNotWebSocket);
    assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED);
    assert!(!r.headers.contains_key("sec-websocket-version"));
    let r = h1::reject(&RequestError::InvalidKey);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!r.headers.contains_key("upgrade"));
    assert_eq!(
        h1::reject_with_status(StatusCode::FORBIDDEN).status,
        StatusCode::FORBIDDEN
    );
}

#[test]
fn server_negotiates_subprotocol_and_deflate() {
    let req = with(
        with(
            valid_request(),
            set("sec-websocket-protocol", "superchat, chat"),
        ),
        set(
            "sec-websocket-extensions",
            "foo, permessage-deflate; client_max_window_bits",
        ),
    );
    let valid = h1::check_request(&req).unwrap();
    // The server's preference order decides.
    let options = AcceptOptions {
        subprotocols: vec!["mqtt".into(), "chat".into(), "superchat".into()],
        deflate: Some(DeflateOptions {
            client_max_window_bits: 12,
            ..DeflateOptions::default()
        }),
        ..AcceptOptions::default()
    };
    let (res, negotiated) = h1::accept(&valid, &options).unwrap();
    assert_eq!(res.headers["sec-websocket-protocol"], "chat");
    assert_eq!(
        res.headers["sec-websocket-extensions"],
        "permessage-deflate; client_max_window_bits=12"
    );
    assert_eq!(
        negotiated.deflate,
        Some(DeflateConfig {
            client_max_window_bits: 12,
            ..DeflateConfig::default()
        })
    );
    // Nothing in common: no header at all.
    let (res, negotiated) = h1::accept(&valid, &AcceptOptions::default()).unwrap();
    assert!(!res.headers.contains_key("sec-websocket-protocol"));
    assert!(!res.headers.contains_key("sec-websocket-extensions"));
    assert_eq!(negotiated, Negotiated::default());
    // Extra headers go through, handshake headers are refused.
    let mut extra = AcceptOptions::default();
    extra
        .headers
        .insert("set-cookie", HeaderValue::from_static("a=b"));
    assert_eq!(
        h1::accept(&valid, &extra).unwrap().0.headers["set-cookie"],
        "a=b"
    );
    extra
        .headers
        .insert("sec-websocket-accept", HeaderValue::from_static("x"));
    assert_eq!(
        h1::accept(&valid, &extra).unwrap_err(),
        BuildError::ReservedHeader(http::header::SEC_WEBSOCKET_ACCEPT)
    );
}

/// A client's request and the server's valid answer to it, for the client-side checks.
fn exchange(options: &ClientOptions, accept: &AcceptOptions) -> (response::Parts, h1::Expected) {
    let (req, expected) = h1::client_request(options, &mut SeededRandom::new(9)).unwrap();
    let valid = h1::check_request(&req).unwrap();
    (h1::accept(&valid, accept).unwrap().0, expected)
}

#[test]
fn client_round_trip_with_deflate() {
    let options = client_options().with_deflate(DeflateOffer {
        server_max_window_bits: Some(10),
        client_max_window_bits: ClientMaxWindowBits::Supported,
        ..DeflateOffer::default()
    });
    let accept = AcceptOptions {
        subprotocols: vec!["chat".into()],
        deflate: Some(DeflateOptions::default()),
        ..AcceptOptions::default()
    };
    let (res, expected) = exchange(&options, &accept);
    let negotiated = h1::check_response(&res, &expected).unwrap();
    assert_eq!(negotiated.subprotocol.as_deref(), Some("chat"));
    assert_eq!(
        negotiated.deflate,
        Some(DeflateConfig {
            server_max_window_bits: 10,
            ..DeflateConfig::default()
        })
    );
}

#[test]
#[allow(clippy::too_many_lines)] // one table of cases
fn client_failures_have_exact_errors() {
    use ResponseError::*;
    let (good, expected) = exchange(&client_options(), &AcceptOptions::default());
    let edit = |f: &dyn Fn(&mut response::Parts)| {
        let mut r = good.clone();
        f(&mut r);
        h1::check_response(&r, &expected)
    };
    let set = |name: &'static str, value: &'static str| {
        move |r: &mut response::Parts| {
            r.headers.insert(name, HeaderValue::from_static(value));
        }
    };
    assert_eq!(edit(&|_| ()), Ok(Negotiated::default()));
    assert_eq!(
        edit(&|r| r.status = StatusCode::OK),
        Err(UnexpectedStatus(StatusCode::OK))
    );
    assert_eq!(
        edit(&|r| r.status = StatusCode::FORBIDDEN),
        Err(UnexpectedStatus(StatusCode::FORBIDDEN))
    );
    assert_eq!(
        edit(&|r| drop(r.headers.remove("upgrade"))),
        Err(UpgradeNotWebSocket)
    );
    assert_eq!(edit(&set("upgrade", "h2c")), Err(UpgradeNotWebSocket));
    assert_eq!(
        edit(&set("upgrade", "WEBSOCKET")),
        Ok(Negotiated::default())
    );
    assert_eq!(
        edit(&|r| drop(r.headers.remove("connection"))),
        Err(ConnectionNotUpgrade)
    );
    assert_eq!(edit(&set("connection", "close")), Err(ConnectionNotUpgrade));
    assert_eq!(
        edit(&|r| drop(r.headers.remove("sec-websocket-accept"))),
        Err(MissingAccept)
    );
    assert_eq!(
        edit(&set("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")),
        Err(AcceptMismatch)
    );
    let dup_accept = |r: &mut response::Parts| {
        let v = r.headers["sec-websocket-accept"].clone();
        r.headers.append("sec-websocket-accept", v);
    };
    assert_eq!(
        edit(&dup_accept),
        Err(DuplicateHeader(http::header::SEC_WEBSOCKET_ACCEPT))
    );
    assert_eq!(
        edit(&set("sec-websocket-protocol", "chat")),
        Ok(Negotiated {
            subprotocol: Some("chat".into()),
            deflate: None
        })
    );
    assert_eq!(
        edit(&set("sec-websocket-protocol", "superchat")),
        Err(SubprotocolNotOffered("superchat".into()))
    );
    assert_eq!(
        edit(&set("sec-websocket-protocol", "chat, v2.chat")),
        Err(InvalidSubprotocol)
    );
    let dup_protocol = |r: &mut response::Parts| {
        r.headers
            .append("sec-websocket-protocol", HeaderValue::from_static("chat"));
        r.headers
            .append("sec-websocket-protocol", HeaderValue::from_static("chat"));
    };
    assert_eq!(
        edit(&dup_protocol),
        Err(DuplicateHeader(http::header::SEC_WEBSOCKET_PROTOCOL))
    );
    assert_eq!(
        edit(&set("sec-websocket-extensions", "x-foo")),
        Err(ExtensionNotOffered("x-foo".into()))
    );
    assert_eq!(
        edit(&set(
            "sec-websocket-extensions",
            "permessage-deflate; server_max_window_bits"
        )),
        Err(Deflate(DeflateError::MissingValue(
            "server_max_window_bits"
        )))
    );
    assert_eq!(
        edit(&set(
            "sec-websocket-extensions",
            "permessage-deflate, permessage-deflate"
        )),
        Err(DuplicateExtension("permessage-deflate".into()))
    );
    assert_eq!(
        edit(&set("sec-websocket-extensions", "permessage-deflate;")),
        Err(InvalidExtensions(ExtensionError::ExpectedToken {
            offset: 19
        }))
    );
    let dup_ext = |r: &mut response::Parts| {
        r.headers.append(
            "sec-websocket-extensions",
            HeaderValue::from_static("permessage-deflate"),
        );
        r.headers.append(
            "sec-websocket-extensions",
            HeaderValue::from_static("permessage-deflate"),
        );
    };
    assert_eq!(
        edit(&dup_ext),
        Err(DuplicateHeader(http::header::SEC_WEBSOCKET_EXTENSIONS))
    );

    // A client that offered nothing accepts nothing.
    let bare = ClientOptions::new("ws://example.com/".parse().unwrap());
    let (good, expected) = exchange(&bare, &AcceptOptions::default());
    let mut r = good.clone();
    r.headers
        .insert("sec-websocket-protocol", HeaderValue::from_static("chat"));
    assert_eq!(
        h1::check_response(&r, &expected),
        Err(SubprotocolNotOffered("chat".into()))
    );
    let mut r = good;
    r.headers.insert(
        "sec-websocket-extensions",
        HeaderValue::from_static("permessage-deflate"),
    );
    assert_eq!(
        h1::check_response(&r, &expected),
        Err(ExtensionNotOffered("permessage-deflate".into()))
    );
}
