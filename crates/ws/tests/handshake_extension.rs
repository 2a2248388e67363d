//! Sec-WebSocket-Extensions grammar (RFC 6455 §9.1) and permessage-deflate negotiation
//! (RFC 7692 §5, §7.1), including the offers Autobahn's sections 12 and 13 send.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use stator_ws::DeflateConfig;
use stator_ws::extension::{
    self, ClientMaxWindowBits, DeflateError, DeflateOffer, DeflateOptions, Extension,
    ExtensionError,
};

fn ext(s: &str) -> Extension {
    let mut v = extension::parse(s.as_bytes()).unwrap();
    assert_eq!(v.len(), 1, "{s}");
    v.remove(0)
}

fn config(snct: bool, cnct: bool, smwb: u8, cmwb: u8) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: smwb,
        client_max_window_bits: cmwb,
    }
}

// ---- grammar -----------------------------------------------------------------------

#[test]
fn parses_rfc6455_examples() {
    // RFC 6455 §9.1's non-normative examples.
    let v = extension::parse(b"mux; max-channels=4; flow-control, deflate-stream").unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].name(), "mux");
    assert_eq!(v[0].params()[0].name(), "max-channels");
    assert_eq!(v[0].params()[0].value(), Some("4"));
    assert_eq!(v[0].params()[1].name(), "flow-control");
    assert_eq!(v[0].params()[1].value(), None);
    assert_eq!(v[1].name(), "deflate-stream");
    assert!(v[1].params().is_empty());
    assert_eq!(
        extension::parse(b"private-extension").unwrap()[0].name(),
        "private-extension"
    );
}

#[test]
fn whitespace_quotes_and_empty_elements() {
    let v = extension::parse(b" ,a ;  b = \"1\\0\" ;c,, d\t").unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].to_string(), "a; b=10; c");
    assert_eq!(v[1].to_string(), "d");
}

#[test]
fn multiple_lines_combine() {
    // RFC 6455 §9.1: "foo" + "bar; baz=2" is exactly "foo, bar; baz=2".
    let mut h = HeaderMap::new();
    h.append("sec-websocket-extensions", HeaderValue::from_static("foo"));
    h.append(
        "sec-websocket-extensions",
        HeaderValue::from_static("bar; baz=2"),
    );
    let split = extension::parse_headers(&h).unwrap();
    assert_eq!(split, extension::parse(b"foo, bar; baz=2").unwrap());
    assert!(
        extension::parse_headers(&HeaderMap::new())
            .unwrap()
            .is_empty()
    );
    let mut empty = HeaderMap::new();
    empty.append("sec-websocket-extensions", HeaderValue::from_static(" , "));
    assert_eq!(extension::parse_headers(&empty), Err(ExtensionError::Empty));
}

#[test]
fn malformed_values_have_exact_errors() {
    use ExtensionError::*;
    let cases: [(&[u8], ExtensionError); 12] = [
        (b"", Empty),
        (b" , ,", Empty),
        (b"a;", ExpectedToken { offset: 2 }),
        (b"a; =1", ExpectedToken { offset: 3 }),
        (b"a; b=", ExpectedToken { offset: 5 }),
        (
            b"a b",
            UnexpectedByte {
                offset: 2,
                byte: b'b',
            },
        ),
        (
            b"a; b=1 2",
            UnexpectedByte {
                offset: 7,
                byte: b'2',
            },
        ),
        (b"(a)", ExpectedToken { offset: 0 }),
        (b"a; b=\"1", UnterminatedQuotedString),
        (b"a; b=\"\"", QuotedValueNotToken),
        (b"a; b=\"x y\"", QuotedValueNotToken),
        (b"a; b=\"\x01\"", UnexpectedByte { offset: 6, byte: 1 }),
    ];
    for (input, want) in cases {
        assert_eq!(
            extension::parse(input),
            Err(want),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(
        extension::parse("a; b=\u{e9}".as_bytes()),
        Err(ExpectedToken { offset: 5 })
    );
}

#[test]
fn builder_rejects_non_tokens() {
    assert_eq!(
        Extension::new("a b"),
        Err(ExtensionError::InvalidToken("a b".into()))
    );
    let e = Extension::new("x").unwrap();
    assert!(e.clone().with_param("", None).is_err());
    assert!(e.clone().with_param("p", Some("a,b")).is_err());
    let e = e
        .with_param("p", Some("1"))
        .unwrap()
        .with_param("q", None)
        .unwrap();
    assert_eq!(e.to_string(), "x; p=1; q");
    assert_eq!(extension::to_header_value(&[]), None);
}

fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}"
}

fn extension_strategy() -> impl Strategy<Value = Extension> {
    (
        token(),
        prop::collection::vec((token(), prop::option::of(token())), 0..4),
    )
        .prop_map(|(name, params)| {
            params
                .iter()
                .fold(Extension::new(&name).unwrap(), |e, (n, v)| {
                    e.with_param(n, v.as_deref()).unwrap()
                })
        })
}

proptest! {
    #[test]
    fn format_parse_round_trip(list in prop::collection::vec(extension_strategy(), 1..5)) {
        let value = extension::to_header_value(&list).unwrap();
        prop_assert_eq!(extension::parse(value.as_bytes()).unwrap(), list);
    }

    #[test]
    fn parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = extension::parse(&bytes);
    }
}

// ---- offers, as the server reads them ---------------------------------------------

#[test]
fn reads_valid_offers() {
    let o = DeflateOffer::from_extension(&ext("permessage-deflate")).unwrap();
    assert_eq!(
        o,
        DeflateOffer {
            client_max_window_bits: ClientMaxWindowBits::NotOffered,
            ..DeflateOffer::default()
        }
    );
    let o = DeflateOffer::from_extension(&ext(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=\"9\"",
    ))
    .unwrap();
    assert_eq!(
        o,
        DeflateOffer {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: Some(10),
            client_max_window_bits: ClientMaxWindowBits::Max(9),
        }
    );
}

#[test]
fn invalid_offers_have_exact_errors() {
    use DeflateError::*;
    let bits = |param: &'static str, value: &str| InvalidWindowBits {
        param,
        value: value.into(),
    };
    let cases = [
        ("x-deflate", NotPermessageDeflate("x-deflate".into())),
        ("permessage-deflate; foo", UnknownParam("foo".into())),
        (
            "permessage-deflate; Server_No_Context_Takeover",
            UnknownParam("Server_No_Context_Takeover".into()),
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            DuplicateParam("server_no_context_takeover"),
        ),
        (
            "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
            DuplicateParam("client_max_window_bits"),
        ),
        (
            "permessage-deflate; server_max_window_bits=9; server_max_window_bits=9",
            DuplicateParam("server_max_window_bits"),
        ),
        (
            "permessage-deflate; client_no_context_takeover=1",
            UnexpectedValue("client_no_context_takeover"),
        ),
        (
            "permessage-deflate; server_no_context_takeover=true",
            UnexpectedValue("server_no_context_takeover"),
        ),
        (
            "permessage-deflate; server_max_window_bits",
            MissingValue("server_max_window_bits"),
        ),
        (
            "permessage-deflate; server_max_window_bits=7",
            bits("server_max_window_bits", "7"),
        ),
        (
            "permessage-deflate; server_max_window_bits=16",
            bits("server_max_window_bits", "16"),
        ),
        (
            "permessage-deflate; server_max_window_bits=010",
            bits("server_max_window_bits", "010"),
        ),
        (
            "permessage-deflate; client_max_window_bits=08",
            bits("client_max_window_bits", "08"),
        ),
        (
            "permessage-deflate; client_max_window_bits=+9",
            bits("client_max_window_bits", "+9"),
        ),
        (
            "permessage-deflate; client_max_window_bits=0x9",
            bits("client_max_window_bits", "0x9"),
        ),
        (
            "permessage-deflate; client_max_window_bits=255",
            bits("client_max_window_bits", "255"),
        ),
    ];
    for (offer, want) in cases {
        assert_eq!(
            DeflateOffer::from_extension(&ext(offer)),
            Err(want),
            "{offer}"
        );
    }
}

#[test]
fn every_window_size_is_accepted() {
    for bits in 8..=15u8 {
        let offer = ext(&format!(
            "permessage-deflate; server_max_window_bits={bits}; client_max_window_bits={bits}"
        ));
        let o = DeflateOffer::from_extension(&offer).unwrap();
        assert_eq!(o.server_max_window_bits, Some(bits));
        assert_eq!(o.client_max_window_bits, ClientMaxWindowBits::Max(bits));
    }
}

// ---- the server's choice ------------------------------------------------------------

fn answer(policy: DeflateOptions, offers: &str) -> Option<(String, DeflateConfig)> {
    let offers = extension::parse(offers.as_bytes()).unwrap();
    policy.negotiate(&offers).map(|(e, c)| (e.to_string(), c))
}

#[test]
fn autobahn_offers_against_the_default_policy() {
    let d = DeflateOptions::default();
    let pmd = |s: &str, c| Some((s.to_owned(), c));
    // 12.1 / 13.1: a plain offer, and the browsers' bare client_max_window_bits.
    assert_eq!(
        answer(d, "permessage-deflate"),
        pmd("permessage-deflate", config(false, false, 15, 15))
    );
    assert_eq!(
        answer(d, "permessage-deflate; client_max_window_bits"),
        pmd("permessage-deflate", config(false, false, 15, 15))
    );
    // 13.2: the client says it drops its context.
    assert_eq!(
        answer(
            d,
            "permessage-deflate; client_no_context_takeover; client_max_window_bits"
        ),
        pmd(
            "permessage-deflate; client_no_context_takeover",
            config(false, true, 15, 15)
        )
    );
    // 13.3-13.6: the client asks for server windows 8..15, with and without context takeover.
    for bits in 8..=15u8 {
        assert_eq!(
            answer(
                d,
                &format!(
                    "permessage-deflate; client_max_window_bits; server_max_window_bits={bits}"
                )
            ),
            pmd(
                &format!("permessage-deflate; server_max_window_bits={bits}"),
                config(false, false, bits, 15)
            )
        );
        assert_eq!(
            answer(
                d,
                &format!(
                    "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
                     server_no_context_takeover; server_max_window_bits={bits}"
                )
            ),
            pmd(
                &format!(
                    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                     server_max_window_bits={bits}"
                ),
                config(true, true, bits, 15)
            )
        );
    }
    // 13.7: several offers, most preferred first: the first valid one wins.
    assert_eq!(
        answer(
            d,
            "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover; server_max_window_bits=8, \
             permessage-deflate; client_no_context_takeover; client_max_window_bits, \
             permessage-deflate; client_max_window_bits"
        ),
        pmd(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8",
            config(true, true, 8, 15)
        )
    );
}

#[test]
fn invalid_and_foreign_offers_are_declined_in_favour_of_the_next() {
    let d = DeflateOptions::default();
    assert_eq!(
        answer(
            d,
            "x-webkit-deflate-frame, permessage-deflate; foo, permessage-deflate; server_max_window_bits=9"
        ),
        Some((
            "permessage-deflate; server_max_window_bits=9".into(),
            config(false, false, 9, 15)
        ))
    );
    assert_eq!(
        answer(d, "permessage-deflate; server_max_window_bits=7"),
        None
    );
    assert_eq!(
        answer(d, "permessage-deflate; server_max_window_bits"),
        None
    );
    assert_eq!(answer(d, "x-webkit-deflate-frame"), None);
}

#[test]
fn server_policy_limits() {
    let p = DeflateOptions {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 10,
        client_max_window_bits: 9,
    };
    // The server announces its own limits; it may lower but never raise the client's.
    assert_eq!(
        answer(p, "permessage-deflate; client_max_window_bits"),
        Some((
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9"
                .into(),
            config(true, true, 10, 9)
        ))
    );
    assert_eq!(
        answer(
            p,
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=8"
        )
        .map(|a| a.1),
        Some(config(true, true, 10, 8))
    );
    // A client that cannot take a window limit is declined when the server needs one.
    assert_eq!(answer(p, "permessage-deflate"), None);
    assert_eq!(
        answer(
            p,
            "permessage-deflate, permessage-deflate; client_max_window_bits=15"
        )
        .map(|a| a.1),
        Some(config(true, true, 10, 9))
    );
    // Out-of-range policy values are clamped.
    let wild = DeflateOptions {
        server_max_window_bits: 3,
        client_max_window_bits: 200,
        ..DeflateOptions::default()
    };
    assert_eq!(
        answer(wild, "permessage-deflate; client_max_window_bits").map(|a| a.1),
        Some(config(false, false, 8, 15))
    );
}

// ---- the client's check of the answer -----------------------------------------------

fn check(offer: DeflateOffer, response: &str) -> Result<DeflateConfig, DeflateError> {
    offer.accept_response(&ext(response))
}

/// RFC 7692 §7.1.1.2: a client that offered `client_no_context_takeover` keeps its word
/// even when the server's response leaves the parameter out.
#[test]
fn client_no_context_takeover_offer_binds_the_client() {
    let offer = DeflateOffer {
        client_no_context_takeover: true,
        ..DeflateOffer::default()
    };
    assert_eq!(
        check(offer, "permessage-deflate; client_max_window_bits=9"),
        Ok(config(false, true, 15, 9))
    );
    assert_eq!(
        check(DeflateOffer::default(), "permessage-deflate"),
        Ok(config(false, false, 15, 15))
    );
}

#[test]
fn client_offer_is_formatted() {
    assert_eq!(
        DeflateOffer::default().to_extension().to_string(),
        "permessage-deflate; client_max_window_bits"
    );
    let all = DeflateOffer {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: Some(4),
        client_max_window_bits: ClientMaxWindowBits::Max(20),
    };
    assert_eq!(
        all.to_extension().to_string(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=8; client_max_window_bits=15"
    );
    assert_eq!(
        DeflateOffer::from_extension(&all.to_extension())
            .unwrap()
            .server_max_window_bits,
        Some(8)
    );
}

#[test]
fn client_accepts_valid_responses() {
    let plain = DeflateOffer::default();
    assert_eq!(
        check(plain, "permessage-deflate"),
        Ok(config(false, false, 15, 15))
    );
    assert_eq!(
        check(
            plain,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        ),
        Ok(config(true, true, 15, 15))
    );
    // A server may announce a smaller window of its own (RFC 7692 §7.1.2.1).
    assert_eq!(
        check(plain, "permessage-deflate; server_max_window_bits=11"),
        Ok(config(false, false, 11, 15))
    );
    assert_eq!(
        check(plain, "permessage-deflate; client_max_window_bits=8"),
        Ok(config(false, false, 15, 8))
    );
    let limited = DeflateOffer {
        server_max_window_bits: Some(10),
        client_max_window_bits: ClientMaxWindowBits::Max(12),
        ..DeflateOffer::default()
    };
    assert_eq!(
        check(limited, "permessage-deflate; server_max_window_bits=10"),
        Ok(config(false, false, 10, 12))
    );
    assert_eq!(
        check(
            limited,
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=14"
        ),
        Ok(config(false, false, 9, 12))
    );
}

#[test]
fn client_rejects_invalid_responses() {
    use DeflateError::*;
    let none = DeflateOffer {
        client_max_window_bits: ClientMaxWindowBits::NotOffered,
        ..DeflateOffer::default()
    };
    let asks = DeflateOffer {
        server_no_context_takeover: true,
        server_max_window_bits: Some(10),
        ..DeflateOffer::default()
    };
    let cases = [
        (
            none,
            "permessage-deflate; client_max_window_bits=10",
            ClientWindowBitsNotOffered,
        ),
        (
            none,
            "permessage-deflate; client_max_window_bits",
            ClientWindowBitsNotOffered,
        ),
        (
            DeflateOffer::default(),
            "permessage-deflate; client_max_window_bits",
            MissingValue("client_max_window_bits"),
        ),
        (
            DeflateOffer::default(),
            "permessage-deflate; server_max_window_bits",
            MissingValue("server_max_window_bits"),
        ),
        (
            asks,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
            ServerWindowBitsAboveOffer {
                offered: 10,
                got: 11,
            },
        ),
        (
            asks,
            "permessage-deflate; server_no_context_takeover",
            ServerWindowBitsMissing { offered: 10 },
        ),
        (
            asks,
            "permessage-deflate; server_max_window_bits=10",
            ServerNoContextTakeoverMissing,
        ),
        (none, "permessage-deflate; x=1", UnknownParam("x".into())),
        (
            none,
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            DuplicateParam("client_no_context_takeover"),
        ),
        (
            none,
            "permessage-deflate; server_max_window_bits=16",
            InvalidWindowBits {
                param: "server_max_window_bits",
                value: "16".into(),
            },
        ),
    ];
    for (offer, response, want) in cases {
        assert_eq!(check(offer, response), Err(want), "{response}");
    }
}

fn offer_strategy() -> impl Strategy<Value = DeflateOffer> {
    let cmwb = prop_oneof![
        Just(ClientMaxWindowBits::NotOffered),
        Just(ClientMaxWindowBits::Supported),
        (8..=15u8).prop_map(ClientMaxWindowBits::Max),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        prop::option::of(8..=15u8),
        cmwb,
    )
        .prop_map(|(s, c, b, cm)| DeflateOffer {
            server_no_context_takeover: s,
            client_no_context_takeover: c,
            server_max_window_bits: b,
            client_max_window_bits: cm,
        })
}

fn policy_strategy() -> impl Strategy<Value = DeflateOptions> {
    (any::<bool>(), any::<bool>(), 8..=15u8, 8..=15u8).prop_map(|(s, c, sb, cb)| DeflateOptions {
        server_no_context_takeover: s,
        client_no_context_takeover: c,
        server_max_window_bits: sb,
        client_max_window_bits: cb,
    })
}

proptest! {
    /// Whatever a valid client offers and whatever the server's policy, an accepted offer
    /// gives both ends the same parameters, within both sides' limits.
    #[test]
    fn both_ends_agree(offer in offer_strategy(), policy in policy_strategy()) {
        let sent = offer.to_extension();
        prop_assert_eq!(DeflateOffer::from_extension(&sent).unwrap(), offer);
        if let Some((answer, server)) = policy.negotiate(&[sent]) {
            let wire = extension::parse(answer.to_string().as_bytes()).unwrap();
            prop_assert_eq!(offer.accept_response(&wire[0]), Ok(server));
            prop_assert!(server.server_max_window_bits <= policy.server_max_window_bits);
            prop_assert!(server.server_max_window_bits <= offer.server_max_window_bits.unwrap_or(15));
            prop_assert!(server.client_max_window_bits <= policy.client_max_window_bits);
            prop_assert!(server.server_no_context_takeover >= offer.server_no_context_takeover);
        } else {
            prop_assert!(policy.client_max_window_bits < 15);
            prop_assert_eq!(offer.client_max_window_bits, ClientMaxWindowBits::NotOffered);
        }
    }
}
