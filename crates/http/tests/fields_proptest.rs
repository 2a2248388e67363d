//! Property tests: heads → fields → heads round trips for requests (plain, CONNECT,
//! Extended CONNECT), responses and trailers; random field lists never panic, and
//! whatever the builders accept encodes and decodes back to itself.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Uri, Version, request, response};
use proptest::prelude::*;
use stator_http::body::{BodyLength, content_length, parse_content_length};
use stator_http::ext::Protocol;
use stator_http::fields::{
    CheckedField, FieldError, FieldSink, Limits, RequestBuilder, ResponseBuilder, TrailersBuilder,
    encode_request, encode_response, encode_trailers, join_cookie_crumbs,
};

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::HTTP_2), Just(Version::HTTP_3)]
}

/// Lowercase field names that are neither connection-specific nor `host`.
fn name() -> impl Strategy<Value = HeaderName> {
    prop_oneof![
        Just("accept".to_owned()),
        Just("cookie".to_owned()),
        Just("content-type".to_owned()),
        "[a-z0-9!#$%&'*+.^_`|~-]{1,16}",
    ]
    .prop_filter("connection-specific or host", |n| {
        !matches!(
            n.as_str(),
            "connection"
                | "keep-alive"
                | "proxy-connection"
                | "transfer-encoding"
                | "upgrade"
                | "te"
                | "host"
        )
    })
    .prop_map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap())
}

/// Valid field values: visible ASCII, inner spaces and tabs, obs-text.
fn value() -> impl Strategy<Value = HeaderValue> {
    proptest::collection::vec(
        prop_oneof![0x21_u8..=0x7e, Just(b' '), Just(b'\t'), 0x80_u8..=0xff],
        0..24,
    )
    .prop_map(|v| HeaderValue::from_bytes(v.trim_ascii()).unwrap())
}

fn headers() -> impl Strategy<Value = HeaderMap> {
    proptest::collection::vec((name(), value()), 0..8).prop_map(|fields| {
        let mut map = HeaderMap::new();
        for (n, v) in fields {
            map.append(n, v);
        }
        map
    })
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,2}",
        any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        any::<[u16; 8]>().prop_map(|a| format!("[{}]", std::net::Ipv6Addr::from(a))),
    ]
}

fn authority(port: bool) -> impl Strategy<Value = String> {
    (host(), proptest::option::of(any::<u16>())).prop_map(move |(h, p)| match (p, port) {
        (Some(p), _) => format!("{h}:{p}"),
        (None, true) => format!("{h}:443"),
        (None, false) => h,
    })
}

fn path() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec("[a-zA-Z0-9._~!$&'()*+,;=:@-]{0,8}", 0..4),
        proptest::option::of("[a-zA-Z0-9=&/?._-]{0,12}"),
    )
        .prop_map(|(segments, query)| {
            let mut p = format!("/{}", segments.join("/"));
            if let Some(q) = query {
                p.push('?');
                p.push_str(&q);
            }
            p
        })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::HEAD),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::OPTIONS),
        Just(Method::PATCH),
        "[A-Z]{1,12}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
    .prop_filter("CONNECT has its own strategy", |m| m != Method::CONNECT)
}

fn scheme() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https".to_owned()),
        Just("http".to_owned()),
        "[a-z][a-z0-9+.-]{0,8}",
    ]
}

/// Request heads of every shape the builders accept.
fn request_head() -> impl Strategy<Value = request::Parts> {
    let regular = (method(), scheme(), authority(false), path(), any::<bool>()).prop_map(
        |(method, scheme, authority, path, asterisk)| {
            let (method, path) = if asterisk {
                (Method::OPTIONS, "*".to_owned())
            } else {
                (method, path)
            };
            let uri = Uri::builder()
                .scheme(scheme.as_str())
                .authority(authority)
                .path_and_query(path)
                .build()
                .unwrap();
            (method, uri, None)
        },
    );
    let connect = authority(true).prop_map(|a| (Method::CONNECT, Uri::try_from(a).unwrap(), None));
    let extended = (
        "[a-z0-9-]{1,12}(/[a-z0-9.]{1,4})?",
        scheme(),
        authority(false),
        path(),
    )
        .prop_map(|(protocol, scheme, authority, path)| {
            let uri = Uri::builder()
                .scheme(scheme.as_str())
                .authority(authority)
                .path_and_query(path)
                .build()
                .unwrap();
            (
                Method::CONNECT,
                uri,
                Some(Protocol::from(protocol.as_str())),
            )
        });
    (
        prop_oneof![4 => regular, 1 => connect, 1 => extended],
        version(),
        headers(),
    )
        .prop_map(|((method, uri, protocol), version, headers)| {
            let (mut head, ()) = http::Request::new(()).into_parts();
            head.method = method;
            head.uri = uri;
            head.version = version;
            head.headers = headers;
            if let Some(p) = protocol {
                head.extensions.insert(p);
            }
            head
        })
}

fn decode_request(
    version: Version,
    fields: &[(Vec<u8>, Vec<u8>)],
) -> Result<request::Parts, FieldError> {
    let mut b = RequestBuilder::new(version, &Limits::default()).with_extended_connect(true);
    for (n, v) in fields {
        b.push(n, v)?;
    }
    b.finish()
}

fn request_fields(head: &request::Parts) -> Vec<(Vec<u8>, Vec<u8>)> {
    encode_request(head)
        .unwrap()
        .map(|f| (f.name().to_vec(), f.value().to_vec()))
        .collect()
}

fn assert_same_request(a: &request::Parts, b: &request::Parts) {
    assert_eq!(a.method, b.method);
    assert_eq!(a.uri, b.uri);
    assert_eq!(a.version, b.version);
    assert_eq!(a.headers, b.headers);
    assert_eq!(
        a.extensions.get::<Protocol>(),
        b.extensions.get::<Protocol>()
    );
}

/// Field names a random list draws from: the pseudo-headers, the fields with rules of
/// their own, and noise.
fn any_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop_oneof![
            Just(":method"), Just(":scheme"), Just(":authority"), Just(":path"),
            Just(":protocol"), Just(":status"), Just(":foo"), Just("host"), Just("te"),
            Just("connection"), Just("content-length"), Just("cookie"), Just("Accept"),
            Just(""),
        ]
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..10),
    ]
}

fn any_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop_oneof![
            Just("GET"), Just("CONNECT"), Just("OPTIONS"), Just("https"), Just("http"),
            Just("example.org"), Just("example.org:443"), Just("/"), Just("*"),
            Just("websocket"), Just("200"), Just("101"), Just("trailers"), Just("12"),
            Just(""), Just(" x"), Just("u@h"),
        ]
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..16),
    ]
}

static ACCEPTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

proptest! {
    #[test]
    fn request_round_trip(head in request_head()) {
        let fields = request_fields(&head);
        // Pseudo-header fields first.
        let first_regular = fields.iter().position(|(n, _)| n.first() != Some(&b':'));
        if let Some(i) = first_regular {
            prop_assert!(fields[i..].iter().all(|(n, _)| n.first() != Some(&b':')));
        }
        let decoded = decode_request(head.version, &fields).unwrap();
        // Cookie crumbs come back joined (RFC 9113 §8.2.3).
        let mut expected = head;
        join_cookie_crumbs(&mut expected.headers);
        assert_same_request(&expected, &decoded);
    }

    #[test]
    fn response_round_trip(
        status in (100_u16..600).prop_filter("101", |s| *s != 101),
        version in version(),
        headers in headers(),
    ) {
        let (mut head, ()) = http::Response::new(()).into_parts();
        head.status = StatusCode::from_u16(status).unwrap();
        head.version = version;
        head.headers = headers;
        let mut b = ResponseBuilder::new(version, &Limits::default());
        for f in encode_response(&head).unwrap() {
            b.push(f.name(), f.value()).unwrap();
        }
        let decoded: response::Parts = b.finish().unwrap();
        prop_assert_eq!(decoded.status, head.status);
        prop_assert_eq!(decoded.version, head.version);
        prop_assert_eq!(decoded.headers, head.headers);
    }

    #[test]
    fn trailers_round_trip(trailers in headers()) {
        let mut b = TrailersBuilder::new(&Limits::default());
        for f in encode_trailers(&trailers).unwrap() {
            b.push(f.name(), f.value()).unwrap();
        }
        prop_assert_eq!(b.finish().unwrap(), trailers);
    }

    #[test]
    fn random_field_lists(
        valid_start in any::<bool>(),
        random in proptest::collection::vec((any_name(), any_value()), 0..12),
        limit in 0_usize..600,
    ) {
        // Half the lists start as a valid request, so that acceptance is exercised too.
        let start: &[(&str, &str)] = if valid_start {
            &[(":method", "GET"), (":scheme", "https"), (":authority", "a.example"), (":path", "/")]
        } else {
            &[]
        };
        let fields: Vec<(Vec<u8>, Vec<u8>)> = start
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .chain(random)
            .collect();
        let limits = Limits::default().with_max_header_list_size(limit);
        let mut request = RequestBuilder::new(Version::HTTP_2, &limits).with_extended_connect(true);
        let mut response = ResponseBuilder::new(Version::HTTP_2, &limits);
        let mut trailers = TrailersBuilder::new(&limits);
        for (n, v) in &fields {
            let _ = request.push(n, v);
            let _ = response.push(n, v);
            let _ = trailers.push(n, v);
        }
        let _ = response.finish();
        let _ = trailers.finish();
        if let Ok(head) = request.finish() {
            ACCEPTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Accepted once, accepted again: it encodes, and decodes to itself.
            let again = decode_request(Version::HTTP_2, &request_fields(&head)).unwrap();
            assert_same_request(&head, &again);
            let _ = BodyLength::for_request(&head.method, &head.headers);
            let _ = content_length(&head.headers);
        }
    }

    #[test]
    fn checked_fields_change_nothing(
        valid_start in any::<bool>(),
        random in proptest::collection::vec((any_name(), any_value()), 0..12),
        limit in 0_usize..600,
    ) {
        // What a decoder passes as a `CheckedField` (a table entry seen before) must have
        // exactly the outcome of passing the same name and value.
        let start: &[(&str, &str)] = if valid_start {
            &[(":method", "GET"), (":scheme", "https"), (":authority", "a.example"), (":path", "/")]
        } else {
            &[]
        };
        let fields: Vec<(Vec<u8>, Vec<u8>)> = start
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .chain(random)
            .collect();
        let limits = Limits::default().with_max_header_list_size(limit);
        let request = || RequestBuilder::new(Version::HTTP_2, &limits).with_extended_connect(true);
        let (mut plain, mut checked) = (request(), request());
        let (mut plain_resp, mut checked_resp) = (
            ResponseBuilder::new(Version::HTTP_2, &limits),
            ResponseBuilder::new(Version::HTTP_2, &limits),
        );
        let (mut plain_tr, mut checked_tr) =
            (TrailersBuilder::new(&limits), TrailersBuilder::new(&limits));
        for (n, v) in &fields {
            if let Some(f) = CheckedField::new(n, bytes::Bytes::copy_from_slice(v)) {
                prop_assert_eq!(checked.push_checked(&f), plain.push(n, v));
                prop_assert_eq!(checked_resp.push_checked(&f), plain_resp.push(n, v));
                prop_assert_eq!(checked_tr.push_checked(&f), plain_tr.push(n, v));
            } else {
                prop_assert_eq!(checked.push(n, v), plain.push(n, v));
                prop_assert_eq!(checked_resp.push(n, v), plain_resp.push(n, v));
                prop_assert_eq!(checked_tr.push(n, v), plain_tr.push(n, v));
            }
        }
        match (plain.finish(), checked.finish()) {
            (Ok(a), Ok(b)) => assert_same_request(&a, &b),
            (a, b) => prop_assert_eq!(a.err(), b.err()),
        }
        match (plain_resp.finish(), checked_resp.finish()) {
            (Ok(a), Ok(b)) => prop_assert_eq!((a.status, a.headers), (b.status, b.headers)),
            (a, b) => prop_assert_eq!(a.err(), b.err()),
        }
        prop_assert_eq!(plain_tr.finish(), checked_tr.finish());
    }

    #[test]
    fn content_length_never_panics(value in proptest::collection::vec(any::<u8>(), 0..32)) {
        if let Ok(n) = parse_content_length(&value) {
            prop_assert!(value.iter().any(u8::is_ascii_digit));
            prop_assert_eq!(parse_content_length(n.to_string().as_bytes()), Ok(n));
        }
    }

    #[test]
    fn content_length_of_any_number(n in any::<u64>(), copies in 1_usize..4) {
        let list = vec![n.to_string(); copies].join(", ");
        prop_assert_eq!(parse_content_length(list.as_bytes()), Ok(n));
    }
}

#[test]
fn random_field_lists_are_sometimes_accepted() {
    // Not vacuous: run the property once more in this test and count acceptances. The
    // cases are random (about 10–25 of 256 are accepted), so the bar is "some": a fixed
    // count above that made this test fail now and then (seen in a full workspace run).
    random_field_lists();
    assert!(ACCEPTED.load(std::sync::atomic::Ordering::Relaxed) > 0);
}
