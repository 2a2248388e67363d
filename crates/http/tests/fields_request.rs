//! Request header sections (RFC 9113 §8.2–§8.3, §8.5; RFC 9114 §4.2–§4.4; RFC 8441 §4):
//! every rule, with the exact reason it is refused.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use bytes::Bytes;
use http::{Method, Version, request};
use stator_http::ext::Protocol;
use stator_http::fields::{
    ConnectionHeader, FieldError, FieldSink, Limits, Malformed, PseudoHeader, RequestBuilder,
    field_size,
};

const GET: [(&str, &str); 4] = [
    (":method", "GET"),
    (":scheme", "https"),
    (":authority", "example.org"),
    (":path", "/"),
];

fn decode(fields: &[(&str, &str)]) -> Result<request::Parts, FieldError> {
    let mut b =
        RequestBuilder::new(Version::HTTP_2, &Limits::default()).with_extended_connect(true);
    for (name, value) in fields {
        // Errors are sticky: finish reports the first one.
        let _ = b.push(name.as_bytes(), value.as_bytes());
    }
    b.finish()
}

fn reason(fields: &[(&str, &str)]) -> Malformed {
    match decode(fields) {
        Err(FieldError::Malformed(m)) => m,
        other => panic!("expected a malformation, got {other:?}"),
    }
}

/// GET plus `extra` regular fields.
fn get_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    GET.iter().chain(extra).copied().collect()
}

/// `fields` with the pseudo-header `name` removed.
fn without(
    fields: &[(&'static str, &'static str)],
    name: &str,
) -> Vec<(&'static str, &'static str)> {
    fields.iter().filter(|(n, _)| *n != name).copied().collect()
}

/// `fields` with `name` set to `value`.
fn with(
    fields: &[(&'static str, &'static str)],
    name: &str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    fields
        .iter()
        .map(|&(n, v)| if n == name { (n, value) } else { (n, v) })
        .collect()
}

#[test]
fn simple_get() {
    let head = decode(&get_with(&[
        ("accept", "*/*"),
        ("cookie", "a=b"),
        ("cookie", "c=d"),
    ]))
    .unwrap();
    assert_eq!(head.method, Method::GET);
    assert_eq!(head.uri, "https://example.org/");
    assert_eq!(head.version, Version::HTTP_2);
    assert_eq!(head.headers["accept"], "*/*");
    // Cookie crumbs are joined (RFC 9113 §8.2.3).
    let cookies: Vec<_> = head.headers.get_all("cookie").iter().collect();
    assert_eq!(cookies, ["a=b; c=d"]);
    assert!(head.extensions.get::<Protocol>().is_none());
}

#[test]
fn pseudo_headers_in_any_order() {
    let head = decode(&[
        (":path", "/a?b=c"),
        (":authority", "example.org:8443"),
        (":scheme", "http"),
        (":method", "POST"),
    ])
    .unwrap();
    assert_eq!(head.uri, "http://example.org:8443/a?b=c");
    assert_eq!(head.method, Method::POST);
}

#[test]
fn version_is_the_builders() {
    let mut b = RequestBuilder::new(Version::HTTP_3, &Limits::default());
    for (n, v) in GET {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    assert_eq!(b.finish().unwrap().version, Version::HTTP_3);
}

#[test]
fn shared_values() {
    let mut b = RequestBuilder::new(Version::HTTP_2, &Limits::default());
    for (n, v) in GET {
        b.push_shared(n.as_bytes(), Bytes::from_static(v.as_bytes()))
            .unwrap();
    }
    b.push_shared(b"x-a", Bytes::from_static(b"1")).unwrap();
    assert_eq!(
        b.push_shared(b"x-b", Bytes::from_static(b"1\r\n")),
        Err(Malformed::ForbiddenValueOctet.into())
    );
    assert_eq!(
        b.finish().unwrap_err(),
        Malformed::ForbiddenValueOctet.into()
    );
}

#[test]
fn field_names() {
    assert_eq!(reason(&get_with(&[("", "x")])), Malformed::EmptyName);
    assert_eq!(
        reason(&get_with(&[("Accept", "x")])),
        Malformed::UppercaseName
    );
    assert_eq!(
        reason(&get_with(&[("x-Foo", "x")])),
        Malformed::UppercaseName
    );
    for bad in ["a b", "a\u{0}", "a\r", "a:b", "a\u{7f}", "é", "a/b", "{a}"] {
        assert_eq!(
            reason(&get_with(&[(bad, "x")])),
            Malformed::InvalidName,
            "{bad:?}"
        );
    }
}

#[test]
fn field_values() {
    for bad in ["a\rb", "a\nb", "a\u{0}b", "\r\n"] {
        assert_eq!(
            reason(&get_with(&[("x", bad)])),
            Malformed::ForbiddenValueOctet
        );
    }
    for bad in ["a\u{1}", "\u{b}", "\u{1f}", "\u{7f}"] {
        assert_eq!(
            reason(&get_with(&[("x", bad)])),
            Malformed::InvalidValueOctet
        );
    }
    for bad in [" a", "a ", "\ta", "a\t", " "] {
        assert_eq!(
            reason(&get_with(&[("x", bad)])),
            Malformed::ValueSurroundingWhitespace
        );
    }
    // Inner whitespace, obs-text and empty values are fine.
    let mut b = RequestBuilder::new(Version::HTTP_2, &Limits::default());
    for (n, v) in GET {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    b.push(b"x-a", b"a \t b").unwrap();
    b.push(b"x-b", b"caf\xc3\xa9").unwrap();
    b.push(b"x-c", b"").unwrap();
    let head = b.finish().unwrap();
    assert_eq!(head.headers["x-b"].as_bytes(), b"caf\xc3\xa9");
    assert_eq!(head.headers["x-c"], "");
}

#[test]
fn pseudo_values_follow_the_value_rules() {
    assert_eq!(
        reason(&with(&GET, ":path", "/ ")),
        Malformed::ValueSurroundingWhitespace
    );
    assert_eq!(
        reason(&with(&GET, ":path", "/\r\n")),
        Malformed::ForbiddenValueOctet
    );
    assert_eq!(
        reason(&with(&GET, ":method", "GET\u{0}")),
        Malformed::ForbiddenValueOctet
    );
}

#[test]
fn undefined_pseudo_headers() {
    for bad in [":foo", ":", ":Method", ":path ", "::path"] {
        assert_eq!(reason(&[(bad, "x")]), Malformed::UnknownPseudo, "{bad:?}");
    }
    assert_eq!(
        reason(&get_with(&[(":status", "200")])),
        Malformed::ResponsePseudoInRequest
    );
    let status_first: Vec<_> = [(":status", "200")].into_iter().chain(GET).collect();
    assert_eq!(reason(&status_first), Malformed::ResponsePseudoInRequest);
}

#[test]
fn pseudo_after_regular() {
    let mut fields = without(&GET, ":path");
    fields.push(("accept", "*/*"));
    fields.push((":path", "/"));
    assert_eq!(reason(&fields), Malformed::PseudoAfterRegular);
}

#[test]
fn repeated_pseudo_headers() {
    let connect = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", "example.org"),
        (":path", "/chat"),
    ];
    for (i, pseudo) in [
        PseudoHeader::Method,
        PseudoHeader::Protocol,
        PseudoHeader::Scheme,
        PseudoHeader::Authority,
        PseudoHeader::Path,
    ]
    .into_iter()
    .enumerate()
    {
        let mut fields = connect.to_vec();
        fields.insert(i + 1, connect[i]);
        assert_eq!(reason(&fields), Malformed::DuplicatePseudo(pseudo));
    }
}

#[test]
fn extended_connect_needs_the_setting() {
    let mut b = RequestBuilder::new(Version::HTTP_2, &Limits::default());
    b.push(b":method", b"CONNECT").unwrap();
    assert_eq!(
        b.push(b":protocol", b"websocket"),
        Err(Malformed::ExtendedConnectNotEnabled.into())
    );
}

#[test]
fn connection_specific_fields() {
    use ConnectionHeader as C;
    for (name, which) in [
        ("connection", C::Connection),
        ("keep-alive", C::KeepAlive),
        ("proxy-connection", C::ProxyConnection),
        ("transfer-encoding", C::TransferEncoding),
        ("upgrade", C::Upgrade),
    ] {
        assert_eq!(
            reason(&get_with(&[(name, "x")])),
            Malformed::ConnectionSpecific(which)
        );
    }
    assert!(decode(&get_with(&[("te", "trailers")])).is_ok());
    assert_eq!(
        reason(&get_with(&[("te", "gzip")])),
        Malformed::TeNotTrailers
    );
    assert_eq!(
        reason(&get_with(&[("te", "trailers, deflate")])),
        Malformed::TeNotTrailers
    );
}

#[test]
fn required_pseudo_headers() {
    assert_eq!(reason(&without(&GET, ":method")), Malformed::MissingMethod);
    assert_eq!(reason(&without(&GET, ":scheme")), Malformed::MissingScheme);
    assert_eq!(reason(&without(&GET, ":path")), Malformed::MissingPath);
    assert_eq!(
        reason(&without(&GET, ":authority")),
        Malformed::MissingAuthority
    );
    assert_eq!(reason(&[]), Malformed::MissingMethod);
}

#[test]
fn authority_from_host() {
    // RFC 9114 §4.3.1: :authority or Host.
    let mut fields = without(&GET, ":authority");
    fields.push(("host", "Example.ORG:8080"));
    let head = decode(&fields).unwrap();
    assert_eq!(head.uri, "https://Example.ORG:8080/");
    assert_eq!(head.headers["host"], "Example.ORG:8080");
}

#[test]
fn method_scheme_authority_path_values() {
    for bad in ["", "GE T", "GET(", "G\u{e9}T"] {
        assert_eq!(
            reason(&with(&GET, ":method", bad)),
            Malformed::InvalidMethod,
            "{bad:?}"
        );
    }
    // Methods are case-sensitive tokens; an unusual one is fine.
    assert_eq!(
        decode(&with(&GET, ":method", "get"))
            .unwrap()
            .method
            .as_str(),
        "get"
    );
    for bad in ["", "1http", "ht tp", "http:", "+x"] {
        assert_eq!(
            reason(&with(&GET, ":scheme", bad)),
            Malformed::InvalidScheme,
            "{bad:?}"
        );
    }
    for bad in ["exa mple.org", "a:1:2", "example.org/x", "[::1", "a%zz"] {
        assert_eq!(
            reason(&with(&GET, ":authority", bad)),
            Malformed::InvalidAuthority,
            "{bad:?}"
        );
    }
    assert_eq!(
        reason(&with(&GET, ":authority", ":443")),
        Malformed::InvalidAuthority
    );
    assert_eq!(
        reason(&with(&GET, ":authority", "")),
        Malformed::EmptyAuthority
    );
    assert_eq!(
        reason(&with(&GET, ":authority", "user@example.org")),
        Malformed::UserinfoInAuthority
    );
    assert_eq!(reason(&with(&GET, ":path", "")), Malformed::EmptyPath);
    for bad in [
        "index.html",
        "/a#frag",
        "?q",
        "**",
        "*x",
        "/a b",
        "//\u{7f}",
    ] {
        let m = reason(&with(&GET, ":path", bad));
        assert!(
            m == Malformed::InvalidPath || m == Malformed::InvalidValueOctet,
            "{bad:?}: {m:?}"
        );
    }
    assert_eq!(
        reason(&with(&GET, ":path", "/a#frag")),
        Malformed::InvalidPath
    );
}

#[test]
fn other_schemes_keep_their_authority_rules() {
    // RFC 9113 §8.3.1: userinfo is forbidden for http and https only.
    let head = decode(&with(&with(&GET, ":scheme", "ftp"), ":authority", "u@host")).unwrap();
    assert_eq!(head.uri, "ftp://u@host/");
}

#[test]
fn asterisk_only_for_options() {
    assert_eq!(
        reason(&with(&GET, ":path", "*")),
        Malformed::AsteriskPathNotOptions
    );
    let head = decode(&with(&with(&GET, ":path", "*"), ":method", "OPTIONS")).unwrap();
    assert_eq!(head.method, Method::OPTIONS);
    assert_eq!(head.uri.path(), "*");
}

#[test]
fn plain_connect() {
    let connect = [(":method", "CONNECT"), (":authority", "example.org:443")];
    let head = decode(&connect).unwrap();
    assert_eq!(head.method, Method::CONNECT);
    assert_eq!(head.uri, "example.org:443");
    assert!(head.uri.scheme().is_none() && head.uri.path_and_query().is_none());

    let mut with_scheme = connect.to_vec();
    with_scheme.push((":scheme", "https"));
    assert_eq!(reason(&with_scheme), Malformed::ConnectWithScheme);
    let mut with_path = connect.to_vec();
    with_path.push((":path", "/"));
    assert_eq!(reason(&with_path), Malformed::ConnectWithPath);
    assert_eq!(
        reason(&[(":method", "CONNECT")]),
        Malformed::MissingAuthority
    );
    assert_eq!(
        reason(&[(":method", "CONNECT"), (":authority", "example.org")]),
        Malformed::ConnectWithoutPort
    );
    assert_eq!(
        reason(&[(":method", "CONNECT"), (":authority", "u@example.org:443")]),
        Malformed::UserinfoInAuthority
    );
    // A Host field does not stand in for CONNECT's :authority.
    assert_eq!(
        reason(&[(":method", "CONNECT"), ("host", "example.org:443")]),
        Malformed::MissingAuthority
    );
}

#[test]
fn extended_connect() {
    let ws = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat?room=1"),
        (":authority", "server.example.com"),
    ];
    let head = decode(&ws).unwrap();
    assert_eq!(head.method, Method::CONNECT);
    assert_eq!(head.uri, "https://server.example.com/chat?room=1");
    assert_eq!(
        head.extensions.get::<Protocol>(),
        Some(&Protocol::WEBSOCKET)
    );

    assert_eq!(reason(&without(&ws, ":scheme")), Malformed::MissingScheme);
    assert_eq!(reason(&without(&ws, ":path")), Malformed::MissingPath);
    assert_eq!(
        reason(&without(&ws, ":authority")),
        Malformed::MissingAuthority
    );
    assert_eq!(
        reason(&with(&ws, ":path", "*")),
        Malformed::AsteriskPathNotOptions
    );
    assert_eq!(
        reason(&with(&ws, ":method", "GET")),
        Malformed::ProtocolWithoutConnect
    );
    for bad in ["", "web socket", "a/b/c", "ws,x"] {
        assert_eq!(
            reason(&with(&ws, ":protocol", bad)),
            Malformed::InvalidProtocol,
            "{bad:?}"
        );
    }
    // A port is not required: :authority is read as for any request (RFC 8441 §4).
    assert_eq!(
        decode(&with(&ws, ":protocol", "connect-udp"))
            .unwrap()
            .extensions
            .get::<Protocol>(),
        Some(&Protocol::from("connect-udp"))
    );
}

#[test]
fn host_and_authority() {
    assert!(decode(&get_with(&[("host", "example.org")])).is_ok());
    // Scheme-based normalization (RFC 9110 §4.2.3): case and the default port.
    assert!(decode(&get_with(&[("host", "EXAMPLE.org:443")])).is_ok());
    assert!(decode(&get_with(&[("host", "example.org:")])).is_ok());
    assert_eq!(
        reason(&get_with(&[("host", "example.com")])),
        Malformed::HostAuthorityMismatch
    );
    assert_eq!(
        reason(&get_with(&[("host", "example.org:80")])),
        Malformed::HostAuthorityMismatch
    );
    assert_eq!(
        reason(&get_with(&[
            ("host", "example.org"),
            ("host", "example.org")
        ])),
        Malformed::DuplicateHost
    );
    for bad in ["", "u@example.org", "example.org/x", "a b"] {
        assert_eq!(
            reason(&get_with(&[("host", bad)])),
            Malformed::InvalidHost,
            "{bad:?}"
        );
    }
    let connect = [
        (":method", "CONNECT"),
        (":authority", "example.org:443"),
        ("host", "example.org:8443"),
    ];
    assert_eq!(reason(&connect), Malformed::HostAuthorityMismatch);
}

#[test]
fn header_list_size_limit() {
    // Exactly at the limit is accepted, one octet more is not (RFC 9113 §6.5.2).
    let size: usize = GET
        .iter()
        .map(|(n, v)| field_size(n.as_bytes(), v.as_bytes()))
        .sum();
    let limits = Limits::default().with_max_header_list_size(size + 32 + 3);
    let mut b = RequestBuilder::new(Version::HTTP_2, &limits);
    for (n, v) in GET {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    b.push(b"a", b"bc").unwrap();
    assert!(b.finish().is_ok());

    let limits = Limits::default().with_max_header_list_size(size + 32 + 2);
    let mut b = RequestBuilder::new(Version::HTTP_2, &limits);
    for (n, v) in GET {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    let too_large = FieldError::HeaderListTooLarge { limit: size + 34 };
    assert_eq!(b.push(b"a", b"bc"), Err(too_large));
    // Sticky: even a fine field is refused now, and finish says the same.
    assert_eq!(b.push(b"b", b""), Err(too_large));
    assert_eq!(b.finish().unwrap_err(), too_large);
    assert_eq!(too_large.malformed(), None);
}

#[test]
fn size_is_checked_before_the_field_is_looked_at() {
    // A huge malformed field is refused for its size: nothing of it was stored or parsed.
    let limits = Limits::default().with_max_header_list_size(100);
    let mut b = RequestBuilder::new(Version::HTTP_2, &limits);
    let big = vec![b'A'; 1000];
    assert_eq!(
        b.push(&big, b"x"),
        Err(FieldError::HeaderListTooLarge { limit: 100 })
    );
}

#[test]
fn many_small_fields() {
    // 2,000 fields fit the default limit (each counts at least 32 octets).
    let mut b = RequestBuilder::new(Version::HTTP_2, &Limits::default());
    for (n, v) in GET {
        b.push(n.as_bytes(), v.as_bytes()).unwrap();
    }
    for i in 0..1000 {
        b.push(format!("x-{i}").as_bytes(), b"").unwrap();
    }
    assert_eq!(b.finish().unwrap().headers.len(), 1000);
}

#[test]
fn malformed_errors_are_sticky() {
    let mut b = RequestBuilder::new(Version::HTTP_2, &Limits::default());
    assert_eq!(b.push(b"Bad", b"x"), Err(Malformed::UppercaseName.into()));
    assert_eq!(
        b.push(b":method", b"GET"),
        Err(Malformed::UppercaseName.into())
    );
    assert_eq!(b.finish().unwrap_err(), Malformed::UppercaseName.into());
}

#[test]
fn error_messages() {
    let e = FieldError::from(Malformed::DuplicatePseudo(PseudoHeader::Path));
    assert_eq!(
        e.to_string(),
        "malformed message: repeated pseudo-header field :path (RFC 9113 §8.3)"
    );
    assert_eq!(
        e.malformed(),
        Some(Malformed::DuplicatePseudo(PseudoHeader::Path))
    );
    assert_eq!(
        Malformed::ConnectionSpecific(ConnectionHeader::KeepAlive).to_string(),
        "connection-specific field keep-alive (RFC 9113 §8.2.2)"
    );
}
