//! Response and trailer sections (RFC 9113 §8.1, §8.3.2; RFC 9114 §4.1, §4.3.2), and the
//! checks made before sending any head: every rule, with its exact reason.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, StatusCode, Uri, Version, request, response};
use stator_http::ext::Protocol;
use stator_http::fields::{
    ConnectionHeader, EncodeError, FieldError, FieldSink, Limits, Malformed, PseudoHeader,
    ResponseBuilder, TrailersBuilder, encode_request, encode_response, encode_trailers, field_size,
};

fn decode_response(fields: &[(&str, &str)]) -> Result<response::Parts, FieldError> {
    let mut b = ResponseBuilder::new(Version::HTTP_3, &Limits::default());
    for (name, value) in fields {
        let _ = b.push(name.as_bytes(), value.as_bytes());
    }
    b.finish()
}

fn response_reason(fields: &[(&str, &str)]) -> Malformed {
    match decode_response(fields) {
        Err(FieldError::Malformed(m)) => m,
        other => panic!("expected a malformation, got {other:?}"),
    }
}

fn decode_trailers(fields: &[(&str, &str)]) -> Result<HeaderMap, FieldError> {
    let mut b = TrailersBuilder::new(&Limits::default());
    for (name, value) in fields {
        let _ = b.push(name.as_bytes(), value.as_bytes());
    }
    b.finish()
}

fn request(uri: &str) -> request::Parts {
    http::Request::get(uri).body(()).unwrap().into_parts().0
}

fn encode_reason(head: &request::Parts) -> Malformed {
    match encode_request(head) {
        Err(e) => e.malformed(),
        Ok(fields) => panic!("expected a refusal, got {:?}", fields.collect::<Vec<_>>()),
    }
}

fn pairs<'a>(
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

#[test]
fn response_status() {
    let head = decode_response(&[(":status", "200"), ("content-type", "text/plain")]).unwrap();
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.version, Version::HTTP_3);
    assert_eq!(head.headers["content-type"], "text/plain");
    for ok in ["100", "103", "204", "599"] {
        assert_eq!(
            decode_response(&[(":status", ok)]).unwrap().status.as_str(),
            ok
        );
    }
    for bad in [
        "", "20", "2000", "099", "600", "999", "abc", "+20", "2 0", "0200",
    ] {
        assert_eq!(
            response_reason(&[(":status", bad)]),
            Malformed::InvalidStatus,
            "{bad:?}"
        );
    }
    assert_eq!(
        response_reason(&[(":status", " 200")]),
        Malformed::ValueSurroundingWhitespace
    );
    assert_eq!(
        response_reason(&[(":status", "101")]),
        Malformed::SwitchingProtocols
    );
    assert_eq!(response_reason(&[]), Malformed::MissingStatus);
    assert_eq!(
        response_reason(&[("server", "x")]),
        Malformed::MissingStatus
    );
}

#[test]
fn response_pseudo_headers() {
    assert_eq!(
        response_reason(&[(":status", "200"), (":status", "200")]),
        Malformed::DuplicatePseudo(PseudoHeader::Status)
    );
    for name in [":method", ":scheme", ":authority", ":path", ":protocol"] {
        assert_eq!(
            response_reason(&[(name, "x"), (":status", "200")]),
            Malformed::RequestPseudoInResponse
        );
    }
    assert_eq!(response_reason(&[(":foo", "x")]), Malformed::UnknownPseudo);
    assert_eq!(
        response_reason(&[("server", "x"), (":status", "200")]),
        Malformed::PseudoAfterRegular
    );
}

#[test]
fn response_fields() {
    assert_eq!(
        response_reason(&[(":status", "200"), ("te", "trailers")]),
        Malformed::ConnectionSpecific(ConnectionHeader::Te)
    );
    assert_eq!(
        response_reason(&[(":status", "200"), ("transfer-encoding", "chunked")]),
        Malformed::ConnectionSpecific(ConnectionHeader::TransferEncoding)
    );
    assert_eq!(
        response_reason(&[(":status", "200"), ("X", "1")]),
        Malformed::UppercaseName
    );
    assert_eq!(
        response_reason(&[(":status", "200"), ("x", "1\n")]),
        Malformed::ForbiddenValueOctet
    );
    // Host is just a field in a response.
    assert!(decode_response(&[(":status", "200"), ("host", "a"), ("host", "b")]).is_ok());
}

#[test]
fn response_size_limit() {
    let limits = Limits::default().with_max_header_list_size(field_size(b":status", b"200"));
    let mut b = ResponseBuilder::new(Version::HTTP_2, &limits);
    b.push(b":status", b"200").unwrap();
    assert_eq!(
        b.push(b"a", b""),
        Err(FieldError::HeaderListTooLarge { limit: 42 })
    );
    assert_eq!(
        b.finish().unwrap_err(),
        FieldError::HeaderListTooLarge { limit: 42 }
    );
}

#[test]
fn trailers() {
    let t = decode_trailers(&[("foo", "bar"), ("grpc-status", "0")]).unwrap();
    assert_eq!(t["foo"], "bar");
    assert_eq!(t["grpc-status"], "0");
    assert!(decode_trailers(&[]).unwrap().is_empty());
    for pseudo in [":status", ":path", ":foo"] {
        assert_eq!(
            decode_trailers(&[("a", "b"), (pseudo, "1")]),
            Err(Malformed::PseudoInTrailers.into())
        );
    }
    assert_eq!(
        decode_trailers(&[("te", "trailers")]),
        Err(Malformed::ConnectionSpecific(ConnectionHeader::Te).into())
    );
    assert_eq!(
        decode_trailers(&[("connection", "close")]),
        Err(Malformed::ConnectionSpecific(ConnectionHeader::Connection).into())
    );
    assert_eq!(
        decode_trailers(&[("Foo", "bar")]),
        Err(Malformed::UppercaseName.into())
    );
    let mut b = TrailersBuilder::new(&Limits::default().with_max_header_list_size(35));
    assert_eq!(b.push(b"a", b"bc"), Ok(()));
    assert_eq!(
        b.push(b"a", b""),
        Err(FieldError::HeaderListTooLarge { limit: 35 })
    );
}

#[test]
fn encode_simple_request() {
    let mut head = request("https://example.org/resource?x=1");
    head.headers
        .insert("accept", HeaderValue::from_static("image/jpeg"));
    head.headers
        .insert("host", HeaderValue::from_static("example.org"));
    let fields = encode_request(&head).unwrap();
    let size = fields.header_list_size();
    let pairs = pairs(fields);
    assert_eq!(
        pairs,
        [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "example.org"),
            (":path", "/resource?x=1"),
            ("accept", "image/jpeg"),
            ("host", "example.org"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    let expected: usize = pairs.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
    assert_eq!(size, expected);
}

#[test]
fn encode_empty_path_is_slash() {
    let fields = pairs(encode_request(&request("https://example.org")).unwrap());
    assert_eq!(fields[3], (":path".to_owned(), "/".to_owned()));
}

#[test]
fn encode_connect() {
    let mut head = request("https://example.org:443/ignored");
    head.method = Method::CONNECT;
    assert_eq!(
        pairs(encode_request(&head).unwrap()),
        [(":method", "CONNECT"), (":authority", "example.org:443")]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    head.uri = Uri::from_static("example.org");
    assert_eq!(encode_reason(&head), Malformed::ConnectWithoutPort);
    head.uri = Uri::from_static("/just/a/path");
    assert_eq!(encode_reason(&head), Malformed::MissingAuthority);
    head.uri = Uri::from_static("user@example.org:443");
    assert_eq!(encode_reason(&head), Malformed::UserinfoInAuthority);
}

#[test]
fn encode_extended_connect() {
    let mut head = request("https://server.example.com/chat");
    head.method = Method::CONNECT;
    head.extensions.insert(Protocol::WEBSOCKET);
    assert_eq!(
        pairs(encode_request(&head).unwrap()),
        [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "https"),
            (":authority", "server.example.com"),
            (":path", "/chat"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    head.extensions.insert(Protocol::from("web socket"));
    assert_eq!(encode_reason(&head), Malformed::InvalidProtocol);
    head.extensions.insert(Protocol::WEBSOCKET);
    head.method = Method::GET;
    assert_eq!(encode_reason(&head), Malformed::ProtocolWithoutConnect);
    head.method = Method::CONNECT;
    head.uri = Uri::from_static("server.example.com:443");
    assert_eq!(encode_reason(&head), Malformed::MissingScheme);
}

#[test]
fn encode_request_refusals() {
    assert_eq!(
        encode_reason(&request("/relative")),
        Malformed::MissingScheme
    );
    assert_eq!(
        encode_reason(&request("https://u@example.org/")),
        Malformed::UserinfoInAuthority
    );

    let mut star = request("https://example.org/");
    star.uri = Uri::from_parts({
        let mut p = http::uri::Parts::default();
        p.scheme = Some(Scheme::HTTPS);
        p.authority = Some(Authority::from_static("example.org"));
        p.path_and_query = Some(PathAndQuery::from_static("*"));
        p
    })
    .unwrap();
    assert_eq!(encode_reason(&star), Malformed::AsteriskPathNotOptions);
    star.method = Method::OPTIONS;
    assert_eq!(pairs(encode_request(&star).unwrap())[3].1, "*");

    for (name, value, reason) in [
        (
            "connection",
            "close",
            Malformed::ConnectionSpecific(ConnectionHeader::Connection),
        ),
        (
            "keep-alive",
            "5",
            Malformed::ConnectionSpecific(ConnectionHeader::KeepAlive),
        ),
        (
            "proxy-connection",
            "x",
            Malformed::ConnectionSpecific(ConnectionHeader::ProxyConnection),
        ),
        (
            "transfer-encoding",
            "chunked",
            Malformed::ConnectionSpecific(ConnectionHeader::TransferEncoding),
        ),
        (
            "upgrade",
            "websocket",
            Malformed::ConnectionSpecific(ConnectionHeader::Upgrade),
        ),
        ("te", "gzip", Malformed::TeNotTrailers),
        ("x", " padded", Malformed::ValueSurroundingWhitespace),
        ("host", "example.com", Malformed::HostAuthorityMismatch),
        ("host", "", Malformed::InvalidHost),
    ] {
        let mut head = request("https://example.org/");
        head.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
        assert_eq!(encode_reason(&head), reason, "{name}: {value}");
    }
    let mut head = request("https://example.org/");
    head.headers
        .insert("te", HeaderValue::from_static("trailers"));
    assert!(encode_request(&head).is_ok());
    head.headers
        .append("host", HeaderValue::from_static("example.org"));
    head.headers
        .append("host", HeaderValue::from_static("example.org"));
    assert_eq!(encode_reason(&head), Malformed::DuplicateHost);
    // Octets 0x80-0xFF (obs-text) pass.
    let mut head = request("https://example.org/");
    head.headers
        .insert("x", HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap());
    assert!(encode_request(&head).is_ok());
}

#[test]
fn encode_response_and_trailers() {
    let (mut head, ()) = http::Response::builder()
        .status(204)
        .header("server", "stator")
        .body(())
        .unwrap()
        .into_parts();
    assert_eq!(
        pairs(encode_response(&head).unwrap()),
        [(":status", "204"), ("server", "stator")].map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    head.status = StatusCode::SWITCHING_PROTOCOLS;
    assert_eq!(
        encode_response(&head).unwrap_err(),
        EncodeError::Malformed(Malformed::SwitchingProtocols)
    );
    head.status = StatusCode::from_u16(600).unwrap();
    assert_eq!(
        encode_response(&head).unwrap_err().malformed(),
        Malformed::InvalidStatus
    );
    head.status = StatusCode::OK;
    head.headers
        .insert("te", HeaderValue::from_static("trailers"));
    assert_eq!(
        encode_response(&head).unwrap_err().malformed(),
        Malformed::ConnectionSpecific(ConnectionHeader::Te)
    );

    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let fields = encode_trailers(&trailers).unwrap();
    assert_eq!(fields.header_list_size(), 11 + 1 + 32);
    assert_eq!(pairs(fields), [("grpc-status".to_owned(), "0".to_owned())]);
    trailers.insert("connection", HeaderValue::from_static("close"));
    assert_eq!(
        encode_trailers(&trailers).unwrap_err().malformed(),
        Malformed::ConnectionSpecific(ConnectionHeader::Connection)
    );
}

#[test]
fn pseudo_header_names() {
    for p in [
        PseudoHeader::Method,
        PseudoHeader::Scheme,
        PseudoHeader::Authority,
        PseudoHeader::Path,
        PseudoHeader::Protocol,
        PseudoHeader::Status,
    ] {
        assert_eq!(PseudoHeader::from_name(p.as_str().as_bytes()), Some(p));
        assert_eq!(p.to_string(), p.as_str());
    }
    assert_eq!(PseudoHeader::from_name(b":STATUS"), None);
}
