//! The Extended CONNECT handshake (RFC 8441 §4-§5, RFC 9220 §3): request and response
//! heads on both sides, every validation rule with its exact error.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode, request, response};
use stator_http::ext::Protocol;
use stator_ws::DeflateConfig;
use stator_ws::extension::{DeflateOffer, DeflateOptions};
use stator_ws::handshake::{
    AcceptOptions, BuildError, ClientOffer, ClientOptions, Negotiated, Offer, RequestError,
    ResponseError, connect,
};

fn options() -> ClientOptions {
    ClientOptions::new("wss://server.example.com/chat?x=1".parse().unwrap())
        .with_subprotocols(["chat", "superchat"])
        .with_deflate(DeflateOffer::default())
}

fn request() -> request::Parts {
    connect::client_request(&options()).unwrap().0
}

#[test]
fn client_request_matches_rfc8441_example() {
    let (req, offer) = connect::client_request(&options()).unwrap();
    assert_eq!(req.method, Method::CONNECT);
    assert_eq!(req.extensions.get::<Protocol>(), Some(&Protocol::WEBSOCKET));
    assert_eq!(req.uri.scheme_str(), Some("https"));
    assert_eq!(req.uri.authority().unwrap(), "server.example.com");
    assert_eq!(req.uri.path_and_query().unwrap(), "/chat?x=1");
    let h = &req.headers;
    assert_eq!(h["sec-websocket-version"], "13");
    assert_eq!(h["sec-websocket-protocol"], "chat, superchat");
    assert_eq!(
        h["sec-websocket-extensions"],
        "permessage-deflate; client_max_window_bits"
    );
    for absent in ["sec-websocket-key", "upgrade", "connection", "host"] {
        assert!(!h.contains_key(absent), "{absent}");
    }
    assert_eq!(
        offer,
        ClientOffer {
            subprotocols: vec!["chat".into(), "superchat".into()],
            deflate: Some(DeflateOffer::default())
        }
    );
    // ws maps to http; a URI without a path asks for "/".
    let (plain, _) =
        connect::client_request(&ClientOptions::new("ws://h:81".parse().unwrap())).unwrap();
    assert_eq!(plain.uri, "http://h:81/");
}

#[test]
fn client_misuse() {
    let ftp = ClientOptions::new("ftp://h/".parse().unwrap());
    assert_eq!(
        connect::client_request(&ftp).unwrap_err(),
        BuildError::UnsupportedScheme("ftp".into())
    );
    for name in [
        "connection",
        "upgrade",
        "te",
        "transfer-encoding",
        "keep-alive",
        "host",
        "sec-websocket-key",
    ] {
        let mut o = options();
        o.headers
            .insert(HeaderName::from_static(name), HeaderValue::from_static("x"));
        assert_eq!(
            connect::client_request(&o).unwrap_err(),
            BuildError::ReservedHeader(HeaderName::from_static(name))
        );
    }
    let mut o = options();
    o.headers
        .insert("origin", HeaderValue::from_static("http://www.example.com"));
    assert_eq!(
        connect::client_request(&o).unwrap().0.headers["origin"],
        "http://www.example.com"
    );
}

#[test]
fn server_accepts_and_negotiates() {
    let offer = connect::check_request(&request()).unwrap();
    assert_eq!(offer.subprotocols, ["chat", "superchat"]);
    let accept = AcceptOptions {
        subprotocols: vec!["chat".into()],
        deflate: Some(DeflateOptions::default()),
        ..AcceptOptions::default()
    };
    let (res, negotiated) = connect::accept(&offer, &accept).unwrap();
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers["sec-websocket-protocol"], "chat");
    assert_eq!(
        res.headers["sec-websocket-extensions"],
        "permessage-deflate"
    );
    assert!(!res.headers.contains_key("sec-websocket-accept"));
    assert_eq!(
        negotiated,
        Negotiated {
            subprotocol: Some("chat".into()),
            deflate: Some(DeflateConfig::default())
        }
    );
    let (_, client_offer) = connect::client_request(&options()).unwrap();
    assert_eq!(connect::check_response(&res, &client_offer), Ok(negotiated));
    // A key, if a client sends one anyway, is not needed and not checked (RFC 8441 §5).
    let mut with_key = request();
    with_key
        .headers
        .insert("sec-websocket-key", HeaderValue::from_static("nonsense"));
    assert!(connect::check_request(&with_key).is_ok());
    // Extra response headers; connection-specific ones are refused.
    let mut extra = AcceptOptions::default();
    extra
        .headers
        .insert("set-cookie", HeaderValue::from_static("a=b"));
    assert_eq!(
        connect::accept(&offer, &extra).unwrap().0.headers["set-cookie"],
        "a=b"
    );
    extra
        .headers
        .insert("connection", HeaderValue::from_static("close"));
    assert_eq!(
        connect::accept(&offer, &extra).unwrap_err(),
        BuildError::ReservedHeader(http::header::CONNECTION)
    );
}

fn set(name: &'static str, value: &'static str) -> impl FnOnce(&mut request::Parts) {
    move |r| {
        r.headers.insert(name, HeaderValue::from_static(value));
    }
}

fn edit(f: impl FnOnce(&mut request::Parts)) -> Result<Offer, RequestError> {
    let mut r = request();
    f(&mut r);
    connect::check_request(&r)
}

#[test]
fn server_rejections_have_exact_errors() {
    use RequestError::*;
    let cases: Vec<(Result<Offer, RequestError>, RequestError, StatusCode)> = vec![
        (
            edit(|r| r.method = Method::GET),
            MethodNotConnect(Method::GET),
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(|r| drop(r.extensions.remove::<Protocol>())),
            MissingProtocol,
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(|r| drop(r.extensions.insert(Protocol::from("webtransport")))),
            UnsupportedProtocol("webtransport".into()),
            StatusCode::NOT_IMPLEMENTED,
        ),
        (
            edit(|r| r.uri = "/chat".parse().unwrap()),
            MissingScheme,
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(|r| r.uri = "server.example.com:443".parse().unwrap()),
            MissingScheme,
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(set("upgrade", "websocket")),
            ConnectionSpecificHeader(http::header::UPGRADE),
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(set("connection", "upgrade")),
            ConnectionSpecificHeader(http::header::CONNECTION),
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(|r| drop(r.headers.remove("sec-websocket-version"))),
            MissingVersion,
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(set("sec-websocket-version", "14")),
            UnsupportedVersion("14".into()),
            StatusCode::BAD_REQUEST,
        ),
        (
            edit(set("sec-websocket-protocol", "chat, chat")),
            DuplicateSubprotocol("chat".into()),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (got, want, status) in cases {
        assert_eq!(got.as_ref().unwrap_err(), &want);
        let res = connect::reject(&want);
        assert_eq!(res.status, status, "{want}");
        assert!(!res.headers.contains_key("upgrade"));
        assert_eq!(
            res.headers.contains_key("sec-websocket-version"),
            want.advertises_version()
        );
    }
    assert_eq!(
        connect::reject(&UnsupportedVersion("14".into())).headers["sec-websocket-version"],
        "13"
    );
}

#[test]
fn client_accepts_any_2xx_and_checks_negotiation() {
    let (_, offer) = connect::client_request(&options()).unwrap();
    let mut res: response::Parts = http::Response::new(()).into_parts().0;
    for status in [200u16, 204, 299] {
        res.status = StatusCode::from_u16(status).unwrap();
        assert_eq!(
            connect::check_response(&res, &offer),
            Ok(Negotiated::default())
        );
    }
    for status in [101u16, 301, 400, 501] {
        res.status = StatusCode::from_u16(status).unwrap();
        assert_eq!(
            connect::check_response(&res, &offer),
            Err(ResponseError::UnexpectedStatus(
                StatusCode::from_u16(status).unwrap()
            ))
        );
    }
    res.status = StatusCode::OK;
    res.headers
        .insert("sec-websocket-protocol", HeaderValue::from_static("mqtt"));
    assert_eq!(
        connect::check_response(&res, &offer),
        Err(ResponseError::SubprotocolNotOffered("mqtt".into()))
    );
    res.headers.remove("sec-websocket-protocol");
    res.headers.insert(
        "sec-websocket-extensions",
        HeaderValue::from_static("permessage-deflate; server_max_window_bits=7"),
    );
    assert!(matches!(
        connect::check_response(&res, &offer),
        Err(ResponseError::Deflate(_))
    ));
}
