//! Packet header tests: the RFC vectors, every discard rule, builder/parser round trips,
//! and "any bytes parse without panicking or reading past the input".
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use proptest::prelude::*;
use stator_wire::rand::SeededRandom;

use super::*;
use crate::{Code, LongType, Version};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn long(h: Header<'_>) -> LongHeader<'_> {
    match h {
        Header::Long(h) => h,
        other => panic!("not a long header: {other:?}"),
    }
}

// RFC 9001 Appendix A.2 (v1) and RFC 9369 Appendix A.2 (v2): the client Initial's
// unprotected header, padded out to the 1182 bytes its Length announces.
#[test]
fn rfc9001_a2_and_rfc9369_client_initial_headers() {
    for (header, version) in [
        ("c300000001088394c8f03e5157080000449e00000002", Version::V1),
        ("d36b3343cf088394c8f03e5157080000449e00000002", Version::V2),
    ] {
        let mut packet = hex(header);
        packet.resize(18 + 1182, 0);
        let h = long(Header::parse(&packet, 8).unwrap());
        assert_eq!(h.version, version);
        assert_eq!(h.ty, LongType::Initial);
        assert_eq!(h.dcid, hex("8394c8f03e515708"));
        assert_eq!(h.scid, b"");
        assert_eq!(h.token, b"");
        assert_eq!(h.length, 1182);
        assert_eq!(h.pn_offset, 18);
        assert_eq!(h.len, 1200);
        let first = FirstByte::parse(packet[0]);
        assert_eq!(first.pn_len, PnLen::FOUR);
        assert_eq!(first.check_reserved(), Ok(()));
        let mut r = stator_wire::Reader::new(&packet[h.pn_offset..]);
        assert_eq!(number::read(&mut r, first.pn_len), Ok(2));

        // The builder writes the same header bytes.
        let mut built = Vec::new();
        let fields = LongHeaderFields {
            version,
            ty: LongType::Initial,
            dcid: h.dcid,
            scid: &[],
            token: &[],
        };
        let w = HeaderWriter::long(&mut built, &fields, 2, PnLen::FOUR).unwrap();
        w.finish(&mut built, 1178).unwrap();
        assert_eq!(built, hex(header));
    }
}

// RFC 9001 Appendix A.5: the smallest possible packet, 21 bytes, short header, no DCID.
#[test]
fn rfc9001_a5_short_header() {
    let packet = hex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
    let Header::Short(h) = Header::parse(&packet, 0).unwrap() else {
        panic!("short header expected")
    };
    assert_eq!((h.dcid, h.pn_offset, h.len), (&[][..], 1, 21));
    // One byte less and the sample no longer fits (RFC 9001 §5.4.2).
    assert_eq!(
        Header::parse(&packet[..20], 0),
        Err(Discard::TooShortForSample)
    );
    // After header protection: 0x42, a 3-byte packet number 0x00bff4.
    let first = FirstByte::parse(0x42);
    assert_eq!(first.pn_len, PnLen::THREE);
    assert!(!first.key_phase);
    assert_eq!(first.check_reserved(), Ok(()));
    assert_eq!(
        number::decode(0x00bff4, PnLen::THREE, Some(654_360_563)),
        654_360_564
    );
    let mut built = Vec::new();
    let w = HeaderWriter::short(&mut built, &[], false, false, 654_360_564, PnLen::THREE).unwrap();
    assert_eq!(built, hex("4200bff4"));
    assert_eq!(w.min_payload_len(), 17);
    assert_eq!(w.finish(&mut built, 17), Ok(()));
    assert_eq!(
        w.finish(&mut built, 16),
        Err(BuildError::PayloadTooShort(16))
    );
}

// RFC 9001 Appendix A.4 and RFC 9369 Appendix A.4: Retry.
#[test]
fn rfc9001_a4_and_rfc9369_retry() {
    for (packet, version, tag) in [
        (
            "ff000000010008f067a5502a4262b574 6f6b656e04a265ba2eff4d829058fb3f 0f2496ba",
            Version::V1,
            "04a265ba2eff4d829058fb3f0f2496ba",
        ),
        (
            "cf6b3343cf0008f067a5502a4262b574 6f6b656ec8646ce8bfe33952d9555436 65dcc7b6",
            Version::V2,
            "c8646ce8bfe33952d955543665dcc7b6",
        ),
    ] {
        let packet = hex(packet);
        let Header::Retry(h) = Header::parse(&packet, 8).unwrap() else {
            panic!("retry expected")
        };
        assert_eq!(h.version, version);
        assert_eq!(h.dcid, b"");
        assert_eq!(h.scid, hex("f067a5502a4262b5"));
        assert_eq!(h.token, b"token");
        assert_eq!(h.tag[..], hex(tag)[..]);
        assert_eq!(h.without_tag, &packet[..packet.len() - 16]);

        let mut built = Vec::new();
        let range = write_retry(&mut built, version, &[], h.scid, b"token", 0x0f).unwrap();
        assert_eq!(range, 0..packet.len() - 16);
        append_retry_tag(&mut built, h.tag);
        assert_eq!(built, packet);

        let mut pseudo = Vec::new();
        retry_pseudo_packet(&mut pseudo, &hex("8394c8f03e515708"), h.without_tag).unwrap();
        assert_eq!(pseudo[0], 8);
        assert_eq!(&pseudo[9..], h.without_tag);
    }
}

fn handshake(dcid: &[u8], payload: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let fields = LongHeaderFields {
        version: Version::V1,
        ty: LongType::Handshake,
        dcid,
        scid: &[9; 4],
        token: &[],
    };
    let w = HeaderWriter::long(&mut buf, &fields, 1, PnLen::ONE).unwrap();
    buf.resize(buf.len() + payload, 0xaa);
    w.finish(&mut buf, payload).unwrap();
    buf
}

#[test]
fn discard_rules() {
    let good = handshake(&[1; 8], 19);
    assert!(Header::parse(&good, 8).is_ok());
    assert_eq!(Header::parse(&[], 8), Err(Discard::Empty));
    for cut in 1..good.len() {
        let e = Header::parse(&good[..cut], 8).unwrap_err();
        assert!(
            matches!(e, Discard::Truncated | Discard::LengthPastDatagram),
            "{cut}: {e:?}"
        );
    }
    // Fixed bit 0, long and short (RFC 9000 §17.2, §17.3.1).
    let mut bad = good.clone();
    bad[0] &= !0x40;
    assert_eq!(Header::parse(&bad, 8), Err(Discard::FixedBitZero));
    assert_eq!(Header::parse(&[0x00; 40], 8), Err(Discard::FixedBitZero));
    // A 19-byte payload after a 1-byte packet number is one short of the sample.
    let mut short = good.clone();
    assert_eq!(short[19..21], [0x40, 20]); // the Length field: 1 + 19
    short[20] = 19;
    short.pop();
    assert_eq!(Header::parse(&short, 8), Err(Discard::TooShortForSample));
    // Connection IDs of 21 bytes drop a v1 packet ...
    let mut long_cid = vec![0xe0, 0, 0, 0, 1, 21];
    long_cid.extend([7; 21]);
    long_cid.extend([0; 40]);
    assert_eq!(Header::parse(&long_cid, 8), Err(Discard::CidTooLong));
    // ... but an unknown version is read as far as the invariants go (up to 255).
    long_cid[1..5].copy_from_slice(&0x1a2a_3a4a_u32.to_be_bytes());
    let Header::Unsupported(h) = Header::parse(&long_cid, 8).unwrap() else {
        panic!("unsupported expected")
    };
    assert_eq!(
        (h.version, h.dcid.len(), h.len),
        (Version(0x1a2a_3a4a), 21, long_cid.len())
    );
    // The fixed bit does not matter to an unknown version (RFC 8999 §5.1).
    long_cid[0] = 0x80;
    assert!(matches!(
        Header::parse(&long_cid, 8),
        Ok(Header::Unsupported(_))
    ));
    // Retry: an empty token, or no room for the tag.
    let mut retry = Vec::new();
    write_retry(&mut retry, Version::V1, &[1], &[2], b"t", 0).unwrap();
    let mut no_token = retry[..retry.len() - 1].to_vec();
    no_token.extend([0; 16]);
    assert_eq!(Header::parse(&no_token, 8), Err(Discard::EmptyRetryToken));
    retry.extend([0; 15]);
    // 15 bytes after the IDs: the token would be empty and the tag 15 bytes.
    assert_eq!(Header::parse(&retry, 8), Err(Discard::EmptyRetryToken));
    retry.truncate(retry.len() - 2);
    assert_eq!(Header::parse(&retry, 8), Err(Discard::Truncated));
    // Version Negotiation: a list cut mid-version.
    let mut vn = Vec::new();
    write_version_negotiation(
        &mut vn,
        &mut SeededRandom::new(1),
        &[1],
        &[2],
        &[Version::V1],
    )
    .unwrap();
    vn.pop();
    assert_eq!(Header::parse(&vn, 8), Err(Discard::VersionListLength));
}

#[test]
fn reserved_bits_are_a_protocol_violation() {
    for byte in [0xc4, 0xc8, 0x48, 0x50] {
        let e = FirstByte::parse(byte).check_reserved().unwrap_err();
        assert_eq!(e.code, Code::PROTOCOL_VIOLATION);
    }
    // The key phase bit of a short header is not reserved; in a long header 0x04 is.
    let short = FirstByte::parse(0x47);
    assert!(short.key_phase);
    assert_eq!(short.pn_len, PnLen::FOUR);
    assert_eq!(short.check_reserved(), Ok(()));
    assert!(!FirstByte::parse(0xc0).key_phase);
    assert_eq!(FirstByte::protected_bits(0xc0), 0x0f);
    assert_eq!(FirstByte::protected_bits(0x40), 0x1f);
}

#[test]
fn builder_misuse() {
    let mut buf = Vec::new();
    let mut fields = LongHeaderFields {
        version: Version::V2,
        ty: LongType::Retry,
        dcid: &[],
        scid: &[],
        token: &[],
    };
    let r = HeaderWriter::long(&mut buf, &fields, 0, PnLen::ONE);
    assert_eq!(r, Err(BuildError::RetryType));
    fields.ty = LongType::Handshake;
    fields.token = b"x";
    let r = HeaderWriter::long(&mut buf, &fields, 0, PnLen::ONE);
    assert_eq!(r, Err(BuildError::UnexpectedToken));
    fields.token = &[];
    fields.dcid = &[0; 21];
    let r = HeaderWriter::long(&mut buf, &fields, 0, PnLen::ONE);
    assert_eq!(r, Err(BuildError::CidTooLong(21)));
    fields.dcid = &[];
    let w = HeaderWriter::long(&mut buf, &fields, 0, PnLen::ONE).unwrap();
    assert_eq!(
        w.finish(&mut buf, 0x3fff),
        Err(BuildError::LengthTooLarge(0x4000))
    );
    assert_eq!(w.finish(&mut [], 100), Err(BuildError::BufferMismatch));
    assert_eq!(
        write_retry(&mut buf, Version::V1, &[], &[], b"", 0),
        Err(BuildError::EmptyToken)
    );
    assert_eq!(
        HeaderWriter::short(&mut buf, &[0; 21], false, false, 0, PnLen::ONE),
        Err(BuildError::CidTooLong(21))
    );
    let mut rng = SeededRandom::new(0);
    assert_eq!(
        write_version_negotiation(&mut buf, &mut rng, &[0; 256], &[], &[]),
        Err(BuildError::CidTooLong(256))
    );
}

#[test]
fn version_negotiation_mirrors_ids() {
    let mut buf = Vec::new();
    let mut rng = SeededRandom::new(7);
    let client_dcid = [0xdd; 30]; // longer than 20: it came with an unknown version
    let client_scid = [0x55; 3];
    let offered = [Version(0x4a4a_4a4a), Version::V2, Version::V1];
    write_version_negotiation(&mut buf, &mut rng, &client_dcid, &client_scid, &offered).unwrap();
    assert_eq!(buf[0] & 0xc0, 0xc0);
    let Header::VersionNegotiation(vn) = Header::parse(&buf, 8).unwrap() else {
        panic!("version negotiation expected")
    };
    assert_eq!(vn.dcid, client_scid);
    assert_eq!(vn.scid, client_dcid);
    assert_eq!(vn.versions().collect::<Vec<_>>(), offered);
    // The low bits vary with the generator.
    let firsts: std::collections::HashSet<u8> = (0..64)
        .map(|seed| {
            let mut b = Vec::new();
            write_version_negotiation(&mut b, &mut SeededRandom::new(seed), &[], &[], &[]).unwrap();
            b[0]
        })
        .collect();
    assert!(firsts.len() > 8);
}

#[test]
fn coalesced_packets_split_in_order() {
    let dcid = [3; 8];
    let mut datagram = Vec::new();
    let mut fields = LongHeaderFields {
        version: Version::V2,
        ty: LongType::Initial,
        dcid: &dcid,
        scid: &[4; 5],
        token: b"tok",
    };
    let mut first_len = 0;
    for ty in [LongType::Initial, LongType::Handshake] {
        fields.ty = ty;
        if ty != LongType::Initial {
            fields.token = &[];
        }
        let w = HeaderWriter::long(&mut datagram, &fields, 0, PnLen::TWO).unwrap();
        datagram.resize(datagram.len() + 30, 0);
        w.finish(&mut datagram, 30).unwrap();
        if first_len == 0 {
            first_len = datagram.len();
        }
    }
    HeaderWriter::short(&mut datagram, &dcid, true, true, 5, PnLen::ONE).unwrap();
    datagram.resize(datagram.len() + 25, 0);

    let packets: Vec<_> = split(&datagram, 8).collect::<Result<_, _>>().unwrap();
    assert_eq!(packets.len(), 3);
    assert_eq!(long(packets[0].header.clone()).token, b"tok");
    assert_eq!(long(packets[1].header.clone()).ty, LongType::Handshake);
    assert_eq!(packets[1].offset, first_len);
    assert_eq!(packets[1].header.long_type(), Some(LongType::Handshake));
    assert_eq!(packets[2].header.long_type(), None);
    assert_eq!(&datagram[packets[1].range()], packets[1].bytes);
    let Header::Short(short) = &packets[2].header else {
        panic!("short expected")
    };
    assert!(short.spin);
    assert_eq!(packets[2].bytes.len() + packets[2].offset, datagram.len());
    let total: usize = packets.iter().map(|p| p.bytes.len()).sum();
    assert_eq!(total, datagram.len());

    // A broken second packet ends the iteration; the first one stands.
    let mut broken = datagram.clone();
    broken[first_len] &= !0x40;
    let mut it = split(&broken, 8);
    assert!(it.next().unwrap().is_ok());
    assert_eq!(it.next(), Some(Err(Discard::FixedBitZero)));
    assert_eq!(it.next(), None);

    // A different DCID in a later packet is ignored (RFC 9000 §12.2).
    let mut other = datagram[..first_len].to_vec();
    other.extend(handshake(&[7; 8], 30));
    let mut it = split(&other, 8);
    assert!(it.next().unwrap().is_ok());
    assert_eq!(it.next(), Some(Err(Discard::DcidMismatch)));
    assert_eq!(it.next(), None);
}

/// Whether `inner` lies within `outer`, by address.
fn within(inner: &[u8], outer: &[u8]) -> bool {
    if inner.is_empty() {
        return true;
    }
    let (o, i) = (outer.as_ptr_range(), inner.as_ptr_range());
    o.start <= i.start && i.end <= o.end
}

/// Every slice and offset a parsed header gives stays inside `bytes`.
fn check_bounds(h: &Header<'_>, bytes: &[u8]) {
    assert!(h.len() <= bytes.len());
    assert!(!h.is_empty());
    assert!(within(h.dcid(), bytes));
    if let Some(scid) = h.scid() {
        assert!(within(scid, bytes));
    }
    if let Some(pn) = h.pn_offset() {
        assert!(pn + MIN_PROTECTED_LEN <= h.len());
    }
    match h {
        Header::Long(l) => {
            assert!(within(l.token, bytes));
            assert_eq!(l.pn_offset as u64 + l.length, l.len as u64);
            assert!(l.dcid.len() <= MAX_CID_LEN && l.scid.len() <= MAX_CID_LEN);
        }
        Header::Retry(r) => {
            assert!(within(r.token, bytes) && within(r.tag, bytes) && within(r.without_tag, bytes));
            assert!(!r.token.is_empty());
        }
        Header::VersionNegotiation(v) => {
            assert!(within(v.versions, bytes));
            assert_eq!(v.versions().count() * 4, v.versions.len());
        }
        Header::Short(_) | Header::Unsupported(_) => {}
    }
}

fn cid() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=MAX_CID_LEN)
}

fn pn_len() -> impl Strategy<Value = PnLen> {
    (1usize..=4).prop_map(|n| PnLen::new(n).unwrap())
}

proptest! {
    #[test]
    fn long_headers_round_trip(
        v2 in any::<bool>(),
        ty in prop_oneof![Just(LongType::Initial), Just(LongType::ZeroRtt), Just(LongType::Handshake)],
        dcid in cid(),
        scid in cid(),
        token in proptest::collection::vec(any::<u8>(), 0..100),
        pn in 0..number::MAX,
        len in pn_len(),
        payload in 19usize..1200,
        trailing in 0usize..40,
    ) {
        let version = if v2 { Version::V2 } else { Version::V1 };
        let token = if ty == LongType::Initial { &token[..] } else { &[] };
        let fields = LongHeaderFields { version, ty, dcid: &dcid, scid: &scid, token };
        let mut buf = vec![0xee; 3]; // the writer appends after what is there
        let w = HeaderWriter::long(&mut buf, &fields, pn, len).unwrap();
        buf.resize(buf.len() + payload, 0x11);
        w.finish(&mut buf, payload).unwrap();
        let end = buf.len();
        buf.resize(end + trailing, 0x22); // a following coalesced packet's bytes
        let packet = &buf[w.start()..];
        let h = long(Header::parse(packet, 8).unwrap());
        prop_assert_eq!(h.version, version);
        prop_assert_eq!(h.ty, ty);
        prop_assert_eq!(h.dcid, &dcid[..]);
        prop_assert_eq!(h.scid, &scid[..]);
        prop_assert_eq!(h.token, token);
        prop_assert_eq!(h.pn_offset + w.start(), w.pn_offset());
        prop_assert_eq!(h.len + w.start(), end);
        prop_assert_eq!(h.length, (payload + len.get()) as u64);
        let first = FirstByte::parse(h.first);
        prop_assert_eq!(first.pn_len, len);
        prop_assert_eq!(first.check_reserved(), Ok(()));
        let mut r = stator_wire::Reader::new(&packet[h.pn_offset..]);
        prop_assert_eq!(number::read(&mut r, len).unwrap(), number::truncate(pn, len));
    }

    #[test]
    fn short_headers_round_trip(
        dcid in cid(),
        spin in any::<bool>(),
        key_phase in any::<bool>(),
        pn in 0..number::MAX,
        len in pn_len(),
        payload in 16usize..1200,
    ) {
        let mut buf = Vec::new();
        let w = HeaderWriter::short(&mut buf, &dcid, spin, key_phase, pn, len).unwrap();
        prop_assume!(payload >= w.min_payload_len());
        buf.resize(buf.len() + payload, 0);
        let Header::Short(h) = Header::parse(&buf, dcid.len()).unwrap() else {
            panic!("short expected")
        };
        prop_assert_eq!(h.dcid, &dcid[..]);
        prop_assert_eq!(h.spin, spin);
        prop_assert_eq!(h.pn_offset, w.pn_offset());
        prop_assert_eq!(h.len, buf.len());
        let first = FirstByte::parse(h.first);
        prop_assert_eq!((first.pn_len, first.key_phase), (len, key_phase));
        prop_assert_eq!(first.check_reserved(), Ok(()));
    }

    #[test]
    fn version_negotiation_and_retry_round_trip(
        dcid in proptest::collection::vec(any::<u8>(), 0..=255),
        scid in proptest::collection::vec(any::<u8>(), 0..=255),
        versions in proptest::collection::vec(any::<u32>(), 0..10),
        seed in any::<u64>(),
        v2 in any::<bool>(),
        token in proptest::collection::vec(any::<u8>(), 1..100),
        tag in any::<[u8; 16]>(),
    ) {
        let versions: Vec<Version> = versions.into_iter().map(Version).collect();
        let mut buf = Vec::new();
        write_version_negotiation(&mut buf, &mut SeededRandom::new(seed), &dcid, &scid, &versions)
            .unwrap();
        let Header::VersionNegotiation(vn) = Header::parse(&buf, 8).unwrap() else {
            panic!("version negotiation expected")
        };
        prop_assert_eq!(vn.dcid, &scid[..]);
        prop_assert_eq!(vn.scid, &dcid[..]);
        prop_assert_eq!(vn.versions().collect::<Vec<_>>(), versions);

        let version = if v2 { Version::V2 } else { Version::V1 };
        let (dcid, scid) = (&dcid[..dcid.len().min(20)], &scid[..scid.len().min(20)]);
        let mut buf = Vec::new();
        write_retry(&mut buf, version, dcid, scid, &token, seed as u8).unwrap();
        append_retry_tag(&mut buf, &tag);
        let Header::Retry(r) = Header::parse(&buf, 8).unwrap() else {
            panic!("retry expected")
        };
        prop_assert_eq!((r.version, r.dcid, r.scid), (version, dcid, scid));
        prop_assert_eq!(r.token, &token[..]);
        prop_assert_eq!(r.tag, &tag);
    }

    #[test]
    fn any_bytes_parse_within_bounds(
        bytes in proptest::collection::vec(any::<u8>(), 0..120),
        dcid_len in 0usize..=20,
    ) {
        if let Ok(h) = Header::parse(&bytes, dcid_len) {
            check_bounds(&h, &bytes);
        }
        let _ = FirstByte::parse(bytes.first().copied().unwrap_or(0)).check_reserved();
        let mut end = 0;
        for p in split(&bytes, dcid_len) {
            let Ok(p) = p else { break };
            prop_assert_eq!(p.offset, end);
            check_bounds(&p.header, p.bytes);
            end += p.bytes.len();
        }
        prop_assert!(end <= bytes.len());
    }

    #[test]
    fn mutated_packets_parse_within_bounds(
        payload in 19usize..60,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        // Start from a valid coalesced datagram so the mutations reach deep fields.
        let mut datagram = handshake(&[1; 8], payload);
        let mut retry = Vec::new();
        write_retry(&mut retry, Version::V2, &[1; 8], &[2; 3], b"token", 0).unwrap();
        append_retry_tag(&mut retry, &[0; 16]);
        datagram.extend(handshake(&[1; 8], payload));
        datagram.extend(retry);
        for (at, byte) in flips {
            let i = at.index(datagram.len());
            datagram[i] ^= byte;
        }
        datagram.truncate(cut.index(datagram.len() + 1));
        for dcid_len in [0, 8, 20] {
            for p in split(&datagram, dcid_len) {
                let Ok(p) = p else { break };
                check_bounds(&p.header, p.bytes);
                prop_assert!(within(p.bytes, &datagram));
            }
        }
    }
}
