//! `Alt-Svc` (RFC 7838 §3): the RFC's examples, every refusal with its reason, and
//! format → parse round trips.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use proptest::prelude::*;
use stator_http::alt_svc::{AltService, AltSvc, AltSvcError, DEFAULT_MAX_AGE};

fn parse(s: &str) -> Result<AltSvc, AltSvcError> {
    AltSvc::parse(s.as_bytes())
}

fn one(s: &str) -> AltService {
    let v = parse(s).unwrap();
    assert_eq!(v.services().len(), 1, "{s}");
    v.services()[0].clone()
}

#[test]
fn rfc7838_section3_examples() {
    let v = parse(r#"h2="alt.example.com:8000", h2=":443""#).unwrap();
    let s = v.services();
    assert_eq!(s.len(), 2);
    assert_eq!(
        (s[0].protocol(), s[0].host(), s[0].port()),
        (&b"h2"[..], Some("alt.example.com"), 8000)
    );
    assert_eq!(
        (s[1].protocol(), s[1].host(), s[1].port()),
        (&b"h2"[..], None, 443)
    );

    let s = one(r#"h2=":8000""#);
    assert_eq!((s.host(), s.port()), (None, 8000));
    let s = one(r#"h2="new.example.org:80""#);
    assert_eq!((s.host(), s.port()), (Some("new.example.org"), 80));
}

#[test]
fn rfc7838_protocol_id_encoding() {
    // The table of RFC 7838 §3: ALPN protocol name and its protocol-id.
    for (name, id) in [
        (&b"h2"[..], "h2"),
        (b"w=x:y#z", "w%3Dx%3Ay#z"),
        (b"x%y", "x%25y"),
        (b"http/1.1", "http%2F1.1"),
    ] {
        let service = AltService::new(name, 443).unwrap();
        assert_eq!(service.to_string(), format!("{id}=\":443\""));
        assert_eq!(one(&format!("{id}=\":443\"")).protocol(), name);
    }
    // Lowercase hex and needless encoding are decoded too.
    assert_eq!(one(r#"h%33=":443""#).protocol(), b"h3");
    assert_eq!(one(r#"x%2fy=":1""#).protocol(), b"x/y");
}

#[test]
fn rfc7838_section3_1_parameters() {
    let s = one(r#"h2=":443"; ma=3600"#);
    assert_eq!(
        (s.max_age(), s.explicit_max_age(), s.persist()),
        (3600, Some(3600), false)
    );
    let s = one(r#"h2=":443"; ma=2592000; persist=1"#);
    assert_eq!((s.max_age(), s.persist()), (2592000, true));
    let s = one(r#"h2=":443""#);
    assert_eq!((s.max_age(), s.explicit_max_age()), (DEFAULT_MAX_AGE, None));
    // Quoted parameter values, case-insensitive names, no whitespace, unknown ones.
    let s = one(r#"h3=":443";MA="60";Persist="1"; foo=bar; x="y;z""#);
    assert_eq!((s.max_age(), s.persist()), (60, true));
    // persist other than 1 is ignored (RFC 7838 §3.1).
    assert!(!one(r#"h3=":443"; persist=2"#).persist());
    // ma beyond u64 saturates (RFC 9111 §1.2.2).
    assert_eq!(
        one(r#"h3=":443"; ma=99999999999999999999999"#).max_age(),
        u64::MAX
    );
}

#[test]
fn clear() {
    assert!(parse("clear").unwrap().is_clear());
    assert!(parse("  clear\t").unwrap().is_clear());
    assert!(parse(", clear ,").unwrap().is_clear());
    assert_eq!(AltSvc::clear().to_string(), "clear");
    assert_eq!(AltSvc::new([]).to_string(), "clear");
    assert_eq!(
        parse(r#"clear, h3=":443""#),
        Err(AltSvcError::ClearNotAlone)
    );
    assert_eq!(
        parse(r#"h3=":443", clear"#),
        Err(AltSvcError::ClearNotAlone)
    );
    // "clear" is case-sensitive; as a protocol-id with "=" it is just a protocol.
    assert_eq!(parse("Clear"), Err(AltSvcError::MissingEquals));
    assert_eq!(one(r#"clear=":1""#).protocol(), b"clear");
}

#[test]
fn hosts_and_ports() {
    let s = one(r#"h3="[2001:db8::1]:443""#);
    assert_eq!((s.host(), s.port()), (Some("[2001:db8::1]"), 443));
    assert_eq!(one(r#"h3="192.0.2.1:1""#).host(), Some("192.0.2.1"));
    assert_eq!(one(r#"h3="a\.b:1""#).host(), Some("a.b"), "quoted-pair");
    assert_eq!(one(r#"h3=":0""#).port(), 0);
    assert_eq!(one(r#"h3=":65535""#).port(), 65535);
    for (value, e) in [
        (r#"h3="alt.example.com""#, AltSvcError::MissingPort),
        (r#"h3="""#, AltSvcError::MissingPort),
        (r#"h3="[::1]""#, AltSvcError::MissingPort),
        (r#"h3=":""#, AltSvcError::InvalidPort),
        (r#"h3=":65536""#, AltSvcError::InvalidPort),
        (r#"h3=":-1""#, AltSvcError::InvalidPort),
        (r#"h3=": 443""#, AltSvcError::InvalidPort),
        (r#"h3="a b:1""#, AltSvcError::InvalidHost),
        (r#"h3="a/b:1""#, AltSvcError::InvalidHost),
        (r#"h3="[::1:1""#, AltSvcError::InvalidHost),
        (r#"h3="[nope]:1""#, AltSvcError::InvalidHost),
        (r#"h3="u@h:1""#, AltSvcError::InvalidHost),
        (r#"h3="::1:443""#, AltSvcError::InvalidHost),
    ] {
        assert_eq!(parse(value), Err(e), "{value}");
    }
}

#[test]
fn syntax_errors() {
    for (value, e) in [
        ("", AltSvcError::Empty),
        (" , ,\t", AltSvcError::Empty),
        ("h3", AltSvcError::MissingEquals),
        (r#"h3 =":443""#, AltSvcError::MissingEquals),
        (r#"="':443""#, AltSvcError::InvalidProtocolId),
        (r#"h/3=":443""#, AltSvcError::MissingEquals),
        (r#"h%3=":443""#, AltSvcError::InvalidPercentEncoding),
        (r#"h%zz=":443""#, AltSvcError::InvalidPercentEncoding),
        ("h3=:443", AltSvcError::UnquotedAuthority),
        ("h3=", AltSvcError::UnquotedAuthority),
        (r#"h3= ":443""#, AltSvcError::UnquotedAuthority),
        (r#"h3=":443"#, AltSvcError::UnterminatedQuotedString),
        ("h3=\":443\\", AltSvcError::UnterminatedQuotedString),
        ("h3=\":44\u{1}3\"", AltSvcError::InvalidQuotedString),
        (
            "h3=\":443\"; x=\"\u{7f}\"",
            AltSvcError::InvalidQuotedString,
        ),
        (r#"h3=":443";"#, AltSvcError::InvalidParameter),
        (r#"h3=":443"; ma=2592000;"#, AltSvcError::InvalidParameter),
        (r#"h3=":443"; ma"#, AltSvcError::InvalidParameter),
        (r#"h3=":443"; ma="#, AltSvcError::InvalidParameter),
        (r#"h3=":443"; =1"#, AltSvcError::InvalidParameter),
        (r#"h3=":443"; ma =1"#, AltSvcError::InvalidParameter),
        (r#"h3=":443"; ma=-1"#, AltSvcError::InvalidMaxAge),
        (r#"h3=":443"; ma=1.5"#, AltSvcError::InvalidMaxAge),
        (r#"h3=":443"; ma="""#, AltSvcError::InvalidMaxAge),
        (r#"h3=":443"; ma=x"#, AltSvcError::InvalidMaxAge),
        (r#"h3=":443"; ma=1; ma=1"#, AltSvcError::DuplicateParameter),
        (
            r#"h3=":443"; persist=1; PERSIST=1"#,
            AltSvcError::DuplicateParameter,
        ),
        (r#"h3=":443" x"#, AltSvcError::UnexpectedCharacter),
        (r#"h3=":443"x"#, AltSvcError::UnexpectedCharacter),
        (r#"h3=":443"; ma=1 x"#, AltSvcError::UnexpectedCharacter),
    ] {
        assert_eq!(parse(value), Err(e), "{value:?}");
    }
    // Empty list elements and OWS are fine (RFC 9110 §5.6.1).
    assert_eq!(
        parse(r#" , h3=":443" ,, h2=":443" , "#)
            .unwrap()
            .services()
            .len(),
        2
    );
    assert_eq!(
        parse(r#"h3=":443" ; ma=1"#).unwrap().services()[0].max_age(),
        1
    );
}

#[test]
fn builder() {
    let value = AltSvc::new([
        AltService::h3(443).with_max_age(86400),
        AltService::new("h2", 8443)
            .unwrap()
            .with_host("alt.example.com")
            .unwrap()
            .with_persist(true),
        AltService::h3(4433).with_host("[::1]").unwrap(),
    ]);
    assert_eq!(
        value.to_string(),
        r#"h3=":443"; ma=86400, h2="alt.example.com:8443"; persist=1, h3="[::1]:4433""#
    );
    assert_eq!(value.to_header_value().unwrap(), value.to_string().as_str());
    assert_eq!(parse(&value.to_string()).unwrap(), value);
    assert_eq!(value.to_string().parse::<AltSvc>().unwrap(), value);
    assert_eq!(
        AltSvc::try_from(&value.to_header_value().unwrap()).unwrap(),
        value
    );

    assert_eq!(AltService::new("", 1), Err(AltSvcError::InvalidProtocolId));
    for bad in ["::1", "a b", "a\"b", "a\\b", "[::1", "a:1"] {
        assert_eq!(
            AltService::h3(1).with_host(bad),
            Err(AltSvcError::InvalidHost),
            "{bad}"
        );
    }
    assert_eq!(AltService::h3(1).with_host("").unwrap().host(), None);
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9-]{1,10}(\\.[a-z0-9-]{1,10}){0,3}",
        "[A-Za-z0-9._~!$&'()*+,;=-]{1,20}",
        "(%[0-9A-F]{2}){1,3}",
        any::<[u16; 8]>().prop_map(|s| format!("[{}]", std::net::Ipv6Addr::from(s))),
        any::<[u8; 4]>().prop_map(|s| std::net::Ipv4Addr::from(s).to_string()),
    ]
}

fn service() -> impl Strategy<Value = AltService> {
    (
        proptest::collection::vec(any::<u8>(), 1..12),
        host(),
        any::<u16>(),
        proptest::option::of(any::<u64>()),
        any::<bool>(),
    )
        .prop_map(|(protocol, host, port, ma, persist)| {
            let s = AltService::new(protocol, port)
                .unwrap()
                .with_host(&host)
                .unwrap()
                .with_persist(persist);
            match ma {
                Some(ma) => s.with_max_age(ma),
                None => s,
            }
        })
}

proptest! {
    #[test]
    fn format_then_parse(services in proptest::collection::vec(service(), 0..5)) {
        let value = AltSvc::new(services);
        let text = value.to_string();
        prop_assert!(value.to_header_value().is_ok());
        prop_assert_eq!(AltSvc::parse(text.as_bytes()), Ok(value));
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = AltSvc::parse(&bytes);
    }

    #[test]
    fn near_misses_never_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("h3"), Just("="), Just("\""), Just(":"), Just("443"), Just(";"),
                Just(","), Just(" "), Just("ma"), Just("persist"), Just("1"), Just("["),
                Just("]"), Just("%"), Just("\\"), Just("clear"), Just("::1"), Just("%2"),
            ],
            0..24,
        )
    ) {
        let text: String = parts.concat();
        if let Ok(value) = AltSvc::parse(text.as_bytes()) {
            // Whatever parses formats to something that parses to the same.
            prop_assert_eq!(AltSvc::parse(value.to_string().as_bytes()), Ok(value));
        }
    }
}
