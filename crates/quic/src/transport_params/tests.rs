#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::*;
use crate::error::Code;
use proptest::prelude::*;

fn cid(bytes: &[u8]) -> ConnectionId {
    ConnectionId::new(bytes).unwrap()
}

fn reason(bytes: &[u8], sender: Side) -> &'static str {
    let err = TransportParameters::decode(bytes, sender).unwrap_err();
    assert_eq!(err.code, Code::TRANSPORT_PARAMETER_ERROR);
    err.reason
}

fn server_params() -> TransportParameters {
    TransportParameters {
        original_destination_connection_id: Some(cid(&[0x83, 0x94, 0xc8, 0xf0])),
        max_idle_timeout: 30_000,
        stateless_reset_token: Some(ResetToken([0x11; 16])),
        max_udp_payload_size: 1472,
        initial_max_data: 1 << 20,
        initial_max_stream_data_bidi_local: 1 << 18,
        initial_max_stream_data_bidi_remote: 1 << 18,
        initial_max_stream_data_uni: 1 << 16,
        initial_max_streams_bidi: 100,
        initial_max_streams_uni: 3,
        ack_delay_exponent: 8,
        max_ack_delay: 20,
        disable_active_migration: true,
        preferred_address: Some(PreferredAddress {
            address_v4: "192.0.2.1:443".parse().unwrap(),
            address_v6: "[2001:db8::1]:8443".parse().unwrap(),
            connection_id: cid(&[1, 2, 3, 4, 5, 6, 7, 8]),
            stateless_reset_token: ResetToken([0x22; 16]),
        }),
        active_connection_id_limit: 8,
        initial_source_connection_id: Some(cid(&[9; 8])),
        retry_source_connection_id: Some(cid(&[7; 5])),
        max_datagram_frame_size: Some(65535),
        reset_stream_at: true,
    }
}

#[test]
fn defaults_encode_to_nothing_and_decode_from_nothing() {
    let d = TransportParameters::default();
    assert_eq!(d.to_bytes().unwrap(), Vec::<u8>::new());
    assert_eq!(TransportParameters::decode(&[], Side::Client).unwrap(), d);
    assert_eq!(d.max_udp_payload_size, 65527);
    assert_eq!(d.ack_delay_exponent, 3);
    assert_eq!(d.max_ack_delay, 25);
    assert_eq!(d.active_connection_id_limit, 2);
}

#[test]
fn every_parameter_round_trips() {
    let p = server_params();
    let bytes = p.to_bytes().unwrap();
    assert_eq!(
        TransportParameters::decode(&bytes, Side::Server).unwrap(),
        p
    );
    // Those server-only parameters from a client are refused.
    assert_eq!(
        reason(&bytes, Side::Client),
        "server-only transport parameter from a client"
    );
}

#[test]
fn hand_written_encoding() {
    // max_idle_timeout = 30000 (4-byte varint), initial_max_data = 63 (1 byte),
    // disable_active_migration, initial_source_connection_id = 0xaabb.
    let bytes = [
        0x01, 0x04, 0x80, 0x00, 0x75, 0x30, // max_idle_timeout
        0x04, 0x01, 0x3f, // initial_max_data
        0x0c, 0x00, // disable_active_migration
        0x0f, 0x02, 0xaa, 0xbb, // initial_source_connection_id
    ];
    let p = TransportParameters::decode(&bytes, Side::Client).unwrap();
    assert_eq!(p.max_idle_timeout, 30_000);
    assert_eq!(p.initial_max_data, 63);
    assert!(p.disable_active_migration);
    assert_eq!(p.initial_source_connection_id, Some(cid(&[0xaa, 0xbb])));
    // Re-encoded with shortest varints.
    assert_eq!(
        p.to_bytes().unwrap(),
        [
            0x01, 0x04, 0x80, 0x00, 0x75, 0x30, 0x04, 0x01, 0x3f, 0x0c, 0x00, 0x0f, 0x02, 0xaa,
            0xbb
        ]
    );
}

#[test]
fn values_out_of_range() {
    // max_udp_payload_size 1199 (0x44af) and 1200 (0x44b0).
    assert_eq!(
        reason(&[0x03, 0x02, 0x44, 0xaf], Side::Client),
        "max_udp_payload_size below 1200"
    );
    assert!(TransportParameters::decode(&[0x03, 0x02, 0x44, 0xb0], Side::Client).is_ok());
    assert_eq!(
        reason(&[0x0a, 0x01, 21], Side::Client),
        "ack_delay_exponent above 20"
    );
    assert_eq!(
        TransportParameters::decode(&[0x0a, 0x01, 20], Side::Client)
            .unwrap()
            .ack_delay_exponent,
        20
    );
    // max_ack_delay 2^14 = 0x4000 needs four bytes; 2^14 - 1 is fine.
    assert_eq!(
        reason(&[0x0b, 0x04, 0x80, 0x00, 0x40, 0x00], Side::Client),
        "max_ack_delay of 2^14 or more"
    );
    assert!(TransportParameters::decode(&[0x0b, 0x02, 0x7f, 0xff], Side::Client).is_ok());
    for limit in [0u8, 1] {
        assert_eq!(
            reason(&[0x0e, 0x01, limit], Side::Client),
            "active_connection_id_limit below 2"
        );
    }
    // 2^60 is allowed, 2^60 + 1 is not.
    let mut ok = vec![0x08, 0x08];
    ok.extend_from_slice(&((1u64 << 60) | (0xc0 << 56)).to_be_bytes());
    assert_eq!(
        TransportParameters::decode(&ok, Side::Client)
            .unwrap()
            .initial_max_streams_bidi,
        1 << 60
    );
    let mut over = vec![0x09, 0x08];
    over.extend_from_slice(&(((1u64 << 60) + 1) | (0xc0 << 56)).to_be_bytes());
    assert_eq!(
        reason(&over, Side::Client),
        "initial_max_streams above 2^60"
    );
}

#[test]
fn values_must_fill_their_length() {
    // A one-byte varint declared as two bytes.
    assert_eq!(
        reason(&[0x04, 0x02, 0x05, 0x00], Side::Client),
        "integer parameter does not fill its length"
    );
    // A two-byte varint declared as one.
    assert_eq!(
        reason(&[0x04, 0x01, 0x40, 0x05], Side::Client),
        "integer parameter does not fill its length"
    );
    assert_eq!(
        reason(&[0x04, 0x00], Side::Client),
        "integer parameter does not fill its length"
    );
    assert_eq!(
        reason(&[0x0c, 0x01, 0x00], Side::Client),
        "zero-length parameter with a value"
    );
    assert_eq!(
        reason(&[0x1d, 0x01, 0x00], Side::Client),
        "zero-length parameter with a value"
    );
    let mut token = vec![0x02, 15];
    token.extend_from_slice(&[0; 15]);
    assert_eq!(
        reason(&token, Side::Server),
        "stateless_reset_token not 16 bytes"
    );
    let mut long_cid = vec![0x0f, 21];
    long_cid.extend_from_slice(&[0; 21]);
    assert_eq!(
        reason(&long_cid, Side::Client),
        "connection ID over 20 bytes"
    );
    // Declared longer than the input.
    assert_eq!(
        reason(&[0x04, 0x04, 0x80], Side::Client),
        "truncated transport parameter"
    );
    assert_eq!(
        reason(&[0x04], Side::Client),
        "truncated transport parameter"
    );
    assert_eq!(
        reason(&[0x40], Side::Client),
        "truncated transport parameter"
    );
}

#[test]
fn duplicates_are_refused() {
    assert_eq!(
        reason(&[0x04, 0x01, 0x01, 0x04, 0x01, 0x01], Side::Client),
        "duplicate transport parameter"
    );
    assert_eq!(
        reason(&[0x0c, 0x00, 0x0c, 0x00], Side::Client),
        "duplicate transport parameter"
    );
    // The two reset_stream_at codepoints together are how it is sent, not a duplicate.
    let both = TransportParameters {
        reset_stream_at: true,
        ..TransportParameters::default()
    }
    .to_bytes()
    .unwrap();
    assert!(
        TransportParameters::decode(&both, Side::Client)
            .unwrap()
            .reset_stream_at
    );
}

#[test]
fn reset_stream_at_under_either_codepoint() {
    for bytes in [
        vec![0x1d, 0x00],
        vec![0xc0, 0x17, 0xf7, 0x58, 0x6d, 0x2c, 0xb5, 0x71, 0x00],
    ] {
        let p = TransportParameters::decode(&bytes, Side::Server).unwrap();
        assert!(p.reset_stream_at);
    }
}

#[test]
fn server_only_parameters_from_a_client() {
    let mut token = vec![0x02, 16];
    token.extend_from_slice(&[0; 16]);
    let preferred = TransportParameters {
        preferred_address: server_params().preferred_address,
        ..TransportParameters::default()
    }
    .to_bytes()
    .unwrap();
    for bytes in [
        vec![0x00, 0x01, 0xaa],
        vec![0x10, 0x01, 0xaa],
        token,
        preferred,
    ] {
        assert_eq!(
            reason(&bytes, Side::Client),
            "server-only transport parameter from a client"
        );
        assert!(TransportParameters::decode(&bytes, Side::Server).is_ok());
    }
}

#[test]
fn preferred_address_layout() {
    let p = server_params().preferred_address.unwrap();
    let mut value = Vec::new();
    p.encode(&mut value);
    assert_eq!(value.len(), 4 + 2 + 16 + 2 + 1 + 8 + 16);
    assert_eq!(&value[..6], &[192, 0, 2, 1, 0x01, 0xbb]);
    assert_eq!(value[24], 8);
    assert_eq!(PreferredAddress::decode(&value).unwrap(), p);
    assert_eq!(p.ipv4(), Some("192.0.2.1:443".parse().unwrap()));

    // Zero-length CID, a 21-byte CID, a short token and a trailing byte.
    let mut zero = value[..24].to_vec();
    zero.push(0);
    zero.extend_from_slice(&[0; 16]);
    assert_eq!(
        PreferredAddress::decode(&zero).unwrap_err().reason,
        "preferred_address with a zero-length connection ID"
    );
    let mut long = value[..24].to_vec();
    long.push(21);
    long.extend_from_slice(&[0; 21 + 16]);
    assert_eq!(
        PreferredAddress::decode(&long).unwrap_err().reason,
        "preferred_address connection ID over 20 bytes"
    );
    assert!(PreferredAddress::decode(&value[..value.len() - 1]).is_err());
    let mut trailing = value.clone();
    trailing.push(0);
    assert!(PreferredAddress::decode(&trailing).is_err());

    // One family only: the other is all zero.
    let v6_only = PreferredAddress {
        address_v4: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
        ..p
    };
    assert_eq!(v6_only.ipv4(), None);
    assert!(v6_only.ipv6().is_some());

    // Not from a server that uses zero-length connection IDs.
    let bad = TransportParameters {
        initial_source_connection_id: Some(ConnectionId::EMPTY),
        ..server_params()
    };
    assert_eq!(
        reason(&bad.to_bytes().unwrap(), Side::Server),
        "preferred_address from a server with a zero-length connection ID"
    );
}

#[test]
fn unknown_and_grease_parameters_are_ignored() {
    assert!(id::is_grease(27) && id::is_grease(31 * 1000 + 27));
    assert!(!id::is_grease(id::RESET_STREAM_AT) && !id::is_grease(id::RESET_STREAM_AT_DRAFT07));
    let bytes = [
        27, 0x03, 1, 2, 3, // GREASE 27
        0x40, 58, 0x00, // GREASE 58, empty, two-byte id
        0x04, 0x01, 0x07, // initial_max_data = 7
        0x3e, 0x02, 0xff, 0xff, // an unknown parameter with a malformed value
        27, 0x00, // GREASE again: not a duplicate error
    ];
    let p = TransportParameters::decode(&bytes, Side::Client).unwrap();
    assert_eq!(
        p,
        TransportParameters {
            initial_max_data: 7,
            ..TransportParameters::default()
        }
    );
}

#[test]
fn connection_ids_are_authenticated() {
    // RFC 9000 §7.3, figure 8: Initial DCID=S1 SCID=C1; Retry SCID=S2; server SCID=S3.
    let (s1, s2, s3, c1) = (cid(b"S1"), cid(b"S2"), cid(b"S3"), cid(b"C1"));
    let client = TransportParameters {
        initial_source_connection_id: Some(c1),
        ..TransportParameters::default()
    };
    let seen_by_server = HandshakeCids {
        initial_source: c1,
        original_destination: s1,
        retry_source: None,
    };
    assert!(client.check_cids(Side::Client, &seen_by_server).is_ok());
    assert!(
        TransportParameters::default()
            .check_cids(Side::Client, &seen_by_server)
            .is_err()
    );

    let server = TransportParameters {
        original_destination_connection_id: Some(s1),
        initial_source_connection_id: Some(s3),
        retry_source_connection_id: Some(s2),
        ..TransportParameters::default()
    };
    let with_retry = HandshakeCids {
        initial_source: s3,
        original_destination: s1,
        retry_source: Some(s2),
    };
    assert!(server.check_cids(Side::Server, &with_retry).is_ok());
    let no_retry = HandshakeCids {
        retry_source: None,
        ..with_retry
    };
    assert_eq!(
        server
            .check_cids(Side::Server, &no_retry)
            .unwrap_err()
            .reason,
        "retry_source_connection_id does not match the Retry"
    );
    let other_odcid = HandshakeCids {
        original_destination: s2,
        ..with_retry
    };
    assert!(server.check_cids(Side::Server, &other_odcid).is_err());
    let missing = TransportParameters {
        original_destination_connection_id: None,
        ..server
    };
    assert_eq!(
        missing
            .check_cids(Side::Server, &with_retry)
            .unwrap_err()
            .reason,
        "original_destination_connection_id missing"
    );
}

fn arb_cid() -> impl Strategy<Value = ConnectionId> {
    proptest::collection::vec(any::<u8>(), 0..=20).prop_map(|b| cid(&b))
}

fn arb_preferred() -> impl Strategy<Value = PreferredAddress> {
    (
        any::<[u8; 4]>(),
        any::<u16>(),
        any::<[u8; 16]>(),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 1..=20),
        any::<[u8; 16]>(),
    )
        .prop_map(|(v4, p4, v6, p6, c, t)| PreferredAddress {
            address_v4: SocketAddrV4::new(v4.into(), p4),
            address_v6: SocketAddrV6::new(v6.into(), p6, 0, 0),
            connection_id: cid(&c),
            stateless_reset_token: ResetToken(t),
        })
}

prop_compose! {
    fn arb_params(sender: Side)(
        odcid in proptest::option::of(arb_cid()),
        idle in 0..=varint::MAX,
        token in proptest::option::of(any::<[u8; 16]>()),
        udp in MIN_UDP_PAYLOAD_SIZE..=varint::MAX,
        flow in proptest::array::uniform4(0..=varint::MAX),
        streams in proptest::array::uniform2(0..=MAX_STREAMS_LIMIT),
        ack_exp in 0..=MAX_ACK_DELAY_EXPONENT,
        ack_delay in 0..MAX_ACK_DELAY_LIMIT,
        migration: bool,
        preferred in proptest::option::of(arb_preferred()),
        limit in 2..=varint::MAX,
        iscid in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=20)),
        rscid in proptest::option::of(arb_cid()),
        datagram in proptest::option::of(0..=varint::MAX),
        rsa: bool,
    ) -> TransportParameters {
        let server = sender == Side::Server;
        TransportParameters {
            original_destination_connection_id: odcid.filter(|_| server),
            max_idle_timeout: idle,
            stateless_reset_token: token.filter(|_| server).map(ResetToken),
            max_udp_payload_size: udp,
            initial_max_data: flow[0],
            initial_max_stream_data_bidi_local: flow[1],
            initial_max_stream_data_bidi_remote: flow[2],
            initial_max_stream_data_uni: flow[3],
            initial_max_streams_bidi: streams[0],
            initial_max_streams_uni: streams[1],
            ack_delay_exponent: ack_exp,
            max_ack_delay: ack_delay,
            disable_active_migration: migration,
            preferred_address: preferred.filter(|_| server),
            active_connection_id_limit: limit,
            initial_source_connection_id: iscid.map(|b| cid(&b)),
            retry_source_connection_id: rscid.filter(|_| server),
            max_datagram_frame_size: datagram,
            reset_stream_at: rsa,
        }
    }
}

proptest! {
    #[test]
    fn client_params_round_trip(p in arb_params(Side::Client)) {
        prop_assert!(p.validate(Side::Client).is_ok());
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(TransportParameters::decode(&bytes, Side::Client).unwrap(), p.clone());
        prop_assert_eq!(TransportParameters::decode(&bytes, Side::Server).unwrap(), p);
    }

    #[test]
    fn server_params_round_trip(p in arb_params(Side::Server)) {
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(TransportParameters::decode(&bytes, Side::Server).unwrap(), p);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        for sender in [Side::Client, Side::Server] {
            if let Ok(p) = TransportParameters::decode(&data, sender) {
                let again = p.to_bytes().unwrap();
                prop_assert_eq!(TransportParameters::decode(&again, sender).unwrap(), p);
            }
        }
    }

    /// Parameters cut anywhere fail cleanly or decode a prefix: never a read past the end.
    #[test]
    fn truncations_never_panic(p in arb_params(Side::Server), cut in any::<prop::sample::Index>()) {
        let bytes = p.to_bytes().unwrap();
        let cut = cut.index(bytes.len() + 1);
        let _ = TransportParameters::decode(&bytes[..cut], Side::Server);
    }
}
