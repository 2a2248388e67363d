//! The field lists of RFC 9113 §8.8 (HTTP/1.1 messages and their HTTP/2 equivalents),
//! RFC 8441 §5.1 and RFC 9113 §8.2.3, decoded into heads and encoded back.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use http::{HeaderMap, Method, StatusCode, Version, request, response};
use stator_http::body::{BodyError, BodyLength, BodyTracker};
use stator_http::ext::Protocol;
use stator_http::fields::{
    FieldSink, Limits, RequestBuilder, ResponseBuilder, TrailersBuilder, encode_request,
    encode_response, encode_trailers, join_cookie_crumbs,
};

fn request(fields: &[(&str, &str)]) -> request::Parts {
    let mut b =
        RequestBuilder::new(Version::HTTP_2, &Limits::default()).with_extended_connect(true);
    for (n, v) in fields {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    b.finish().unwrap()
}

fn response(fields: &[(&str, &str)]) -> response::Parts {
    let mut b = ResponseBuilder::new(Version::HTTP_2, &Limits::default());
    for (n, v) in fields {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    b.finish().unwrap()
}

fn trailers(fields: &[(&str, &str)]) -> HeaderMap {
    let mut b = TrailersBuilder::new(&Limits::default());
    for (n, v) in fields {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    b.finish().unwrap()
}

fn owned<'a>(
    fields: impl Iterator<Item = stator_http::fields::Field<'a>>,
) -> Vec<(String, String)> {
    fields
        .map(|f| {
            (
                String::from_utf8(f.name().to_vec()).unwrap(),
                String::from_utf8(f.value().to_vec()).unwrap(),
            )
        })
        .collect()
}

fn expected(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// RFC 9113 §8.8.1.
#[test]
fn simple_request() {
    let fields = [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.org"),
        (":path", "/resource"),
        ("host", "example.org"),
        ("accept", "image/jpeg"),
    ];
    let head = request(&fields);
    assert_eq!(head.method, Method::GET);
    assert_eq!(head.uri, "https://example.org/resource");
    assert_eq!(head.headers["host"], "example.org");
    assert_eq!(head.headers["accept"], "image/jpeg");
    assert_eq!(owned(encode_request(&head).unwrap()), expected(&fields));
    // GET with neither Content-Length nor DATA: END_STREAM on HEADERS, no content.
    let body = BodyTracker::new(BodyLength::for_request(&head.method, &head.headers).unwrap());
    assert_eq!(body.on_end(), Ok(()));
}

/// RFC 9113 §8.8.2.
#[test]
fn simple_response() {
    let fields = [
        (":status", "304"),
        ("etag", "\"xyzzy\""),
        ("expires", "Thu, 23 Jan ..."),
    ];
    let head = response(&fields);
    assert_eq!(head.status, StatusCode::NOT_MODIFIED);
    assert_eq!(head.headers["etag"], "\"xyzzy\"");
    assert_eq!(owned(encode_response(&head).unwrap()), expected(&fields));
    assert_eq!(
        BodyLength::for_response(&Method::GET, head.status, &head.headers),
        Ok(BodyLength::NoContent)
    );
}

/// RFC 9113 §8.8.3: pseudo-header fields in another order, the rest in a CONTINUATION.
#[test]
fn complex_request() {
    let head = request(&[
        (":method", "POST"),
        (":authority", "example.org"),
        (":path", "/resource"),
        (":scheme", "https"),
        ("content-type", "image/jpeg"),
        ("host", "example.org"),
        ("content-length", "123"),
    ]);
    assert_eq!(head.method, Method::POST);
    assert_eq!(head.uri, "https://example.org/resource");
    assert_eq!(
        owned(encode_request(&head).unwrap()),
        expected(&[
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", "example.org"),
            (":path", "/resource"),
            ("content-type", "image/jpeg"),
            ("host", "example.org"),
            ("content-length", "123"),
        ])
    );
    let length = BodyLength::for_request(&head.method, &head.headers).unwrap();
    assert_eq!(length, BodyLength::Exact(123));
    let mut body = BodyTracker::new(length);
    body.on_data(100).unwrap();
    assert_eq!(
        body.on_end(),
        Err(BodyError::TooLittleContent {
            declared: 123,
            received: 100
        })
    );
    body.on_data(23).unwrap();
    assert_eq!(body.on_end(), Ok(()));
}

/// RFC 9113 §8.8.4.
#[test]
fn response_with_body() {
    let fields = [
        (":status", "200"),
        ("content-type", "image/jpeg"),
        ("content-length", "123"),
    ];
    let head = response(&fields);
    assert_eq!(owned(encode_response(&head).unwrap()), expected(&fields));
    let mut body = BodyTracker::new(
        BodyLength::for_response(&Method::GET, head.status, &head.headers).unwrap(),
    );
    assert_eq!(
        body.on_data(124),
        Err(BodyError::TooMuchContent { declared: 123 })
    );
}

/// RFC 9113 §8.8.5: a 100 (Continue), then a 200 with a trailer section.
#[test]
fn informational_response_and_trailers() {
    let interim = response(&[(":status", "100"), ("extension-field", "bar")]);
    assert_eq!(interim.status, StatusCode::CONTINUE);
    assert_eq!(
        BodyLength::for_response(&Method::POST, interim.status, &interim.headers),
        Ok(BodyLength::NoContent)
    );
    let fields = [
        (":status", "200"),
        ("content-type", "image/jpeg"),
        ("trailer", "Foo"),
    ];
    let head = response(&fields);
    assert_eq!(owned(encode_response(&head).unwrap()), expected(&fields));
    assert_eq!(
        BodyLength::for_response(&Method::POST, head.status, &head.headers),
        Ok(BodyLength::UntilEnd)
    );
    let t = trailers(&[("foo", "bar")]);
    assert_eq!(t["foo"], "bar");
    assert_eq!(
        owned(encode_trailers(&t).unwrap()),
        expected(&[("foo", "bar")])
    );
}

/// RFC 8441 §5.1: WebSocket over HTTP/2.
#[test]
fn websocket_extended_connect() {
    let fields = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat"),
        (":authority", "server.example.com"),
        ("sec-websocket-protocol", "chat, superchat"),
        ("sec-websocket-extensions", "permessage-deflate"),
        ("sec-websocket-version", "13"),
        ("origin", "http://www.example.com"),
    ];
    let head = request(&fields);
    assert_eq!(head.method, Method::CONNECT);
    assert_eq!(head.uri, "https://server.example.com/chat");
    assert_eq!(
        head.extensions.get::<Protocol>(),
        Some(&Protocol::WEBSOCKET)
    );
    let encoded = owned(encode_request(&head).unwrap());
    assert_eq!(encoded[..2], expected(&fields[..2])[..]);
    assert_eq!(
        encoded[2..5],
        expected(&[
            (":scheme", "https"),
            (":authority", "server.example.com"),
            (":path", "/chat"),
        ])[..]
    );
    assert_eq!(encoded[5..], expected(&fields[5..])[..]);

    let answer = response(&[(":status", "200"), ("sec-websocket-protocol", "chat")]);
    assert_eq!(
        BodyLength::for_response(&Method::CONNECT, answer.status, &answer.headers),
        Ok(BodyLength::Tunnel)
    );
}

/// RFC 9113 §8.2.3: split cookies are one cookie.
#[test]
fn cookie_crumbs() {
    let head = request(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.org"),
        (":path", "/"),
        ("cookie", "a=b"),
        ("cookie", "c=d"),
        ("cookie", "e=f"),
    ]);
    assert_eq!(head.headers.get_all("cookie").iter().count(), 1);
    assert_eq!(head.headers["cookie"], "a=b; c=d; e=f");
    // The same for a head that did not come through a builder.
    let mut headers = HeaderMap::new();
    for crumb in ["a=b", "c=d", "e=f"] {
        headers.append("cookie", crumb.parse().unwrap());
    }
    join_cookie_crumbs(&mut headers);
    assert_eq!(headers, head.headers);
}
