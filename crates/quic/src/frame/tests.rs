#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use bytes::Bytes;
use stator_wire::varint;

use super::*;
use crate::Code;

pub(super) const LEVELS: [Level; 4] = [
    Level::Initial,
    Level::ZeroRtt,
    Level::Handshake,
    Level::OneRtt,
];

pub(super) fn parse_all(bytes: &[u8], level: Level) -> Result<Vec<Frame>, TransportError> {
    parse(Bytes::copy_from_slice(bytes), level).collect()
}

pub(super) fn one(bytes: &[u8]) -> Result<Frame, TransportError> {
    let mut frames = parse_all(bytes, Level::OneRtt)?;
    assert_eq!(frames.len(), 1, "{frames:?}");
    Ok(frames.remove(0))
}

pub(super) fn encoded(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    let n = frame.write(&mut out).unwrap();
    assert_eq!(n, out.len());
    assert_eq!(frame.encoded_len(), out.len(), "{frame:?}");
    out
}

#[track_caller]
fn assert_err(bytes: &[u8], level: Level, code: Code, frame_type: Option<u64>) {
    let err = parse_all(bytes, level).unwrap_err();
    assert_eq!((err.code, err.frame_type), (code, frame_type), "{err:?}");
}

#[track_caller]
fn assert_encoding(bytes: &[u8], ty: u64) {
    assert_err(bytes, Level::OneRtt, Code::FRAME_ENCODING_ERROR, Some(ty));
}

// --- Parsing, one frame type at a time ---

/// The start of the client Initial's CRYPTO frame (RFC 9001 Appendix A.2: `060040f1`,
/// offset 0, 241 bytes of ClientHello), followed by PADDING.
#[test]
fn rfc9001_client_initial_crypto_then_padding() {
    let mut payload = vec![0x06, 0x00, 0x40, 0xf1, 0x01, 0x00, 0x00, 0xed];
    payload.resize(4 + 241, 0xaa);
    payload.resize(1162, 0);
    let payload = Bytes::from(payload);
    let frames: Vec<Frame> = parse(payload.clone(), Level::Initial)
        .collect::<Result<_, _>>()
        .unwrap();
    let [Frame::Crypto(c), Frame::Padding { len }] = &frames[..] else {
        panic!("{frames:?}")
    };
    assert_eq!((c.offset, c.data.len(), *len), (0, 241, 1162 - 245));
    assert_eq!(&c.data[..4], [0x01, 0x00, 0x00, 0xed]);
    // Zero-copy: the data points into the payload.
    assert_eq!(c.data.as_ptr(), payload[4..].as_ptr());
}

#[test]
fn stream_frames_with_and_without_offset_length_fin() {
    // 0x08: no OFF, no LEN, no FIN: the data runs to the end.
    assert_eq!(
        one(&[0x08, 0x04, b'a', b'b']).unwrap(),
        Frame::Stream(Stream {
            stream_id: 4,
            offset: 0,
            data: Bytes::from_static(b"ab"),
            fin: false
        })
    );
    // 0x0f: OFF, LEN and FIN, followed by a PING.
    let frames = parse_all(&[0x0f, 0x01, 0x40, 0x80, 0x01, b'z', 0x01], Level::OneRtt).unwrap();
    assert_eq!(
        frames,
        [
            Frame::Stream(Stream {
                stream_id: 1,
                offset: 0x80,
                data: Bytes::from_static(b"z"),
                fin: true
            }),
            Frame::Ping
        ]
    );
    // 0x0c: OFF, no LEN, with an explicit zero offset and empty data.
    assert_eq!(
        one(&[0x0d, 0x00, 0x00]).unwrap(),
        Frame::Stream(Stream {
            stream_id: 0,
            offset: 0,
            data: Bytes::new(),
            fin: true
        })
    );
}

#[test]
fn ack_ranges_and_ecn() {
    // Largest 100, delay 5, two more ranges; first range 2 → 98..=100;
    // gap 1, len 3 → 96 - 2 = ... largest of next = 98 - 1 - 2 = 95, 92..=95;
    // gap 0, len 0 → 90..=90. ECN 1, 2, 3.
    let wire = [0x03, 0x40, 100, 5, 2, 2, 1, 3, 0, 0, 1, 2, 3];
    let Frame::Ack(ack) = one(&wire).unwrap() else {
        panic!()
    };
    assert_eq!((ack.largest, ack.delay, ack.range_count()), (100, 5, 3));
    assert_eq!(
        ack.ranges().collect::<Vec<_>>(),
        [98..=100, 92..=95, 90..=90]
    );
    assert_eq!(ack.smallest(), 90);
    assert_eq!(
        ack.ecn,
        Some(EcnCounts {
            ect0: 1,
            ect1: 2,
            ce: 3
        })
    );
    let built = Ack::new([98..=100, 92..=95, 90..=90], 5, ack.ecn).unwrap();
    assert_eq!(
        built.ranges().collect::<Vec<_>>(),
        ack.ranges().collect::<Vec<_>>()
    );
    assert_eq!(encoded(&Frame::Ack(built.clone())), wire);
    assert_eq!(
        one(&encoded(&Frame::Ack(built.clone()))).unwrap(),
        Frame::Ack(built)
    );
}

#[test]
fn ack_new_rejects_bad_ranges() {
    assert!(Ack::new([], 0, None).is_none());
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = [5..=4];
    assert!(Ack::new(reversed, 0, None).is_none());
    // Touching ranges have no gap between them.
    assert!(Ack::new([5..=6, 3..=4], 0, None).is_none());
    assert!(Ack::new([5..=6, 2..=3], 0, None).is_some());
    assert!(Ack::new([5..=6, 7..=8], 0, None).is_none());
    assert!(Ack::new([0..=varint::MAX + 1], 0, None).is_none());
}

#[test]
fn every_frame_type_has_an_example() {
    let cid = Bytes::from_static(&[1, 2, 3, 4]);
    let frames = examples(&cid);
    let mut types: Vec<u64> = frames.iter().map(|f| f.ty().0).collect();
    types.sort_unstable();
    types.dedup();
    // STREAM types are covered by the round trips, DATAGRAM 0x30 by its own test.
    let written = |t: u64| FrameType(t).is_known() && !FrameType(t).is_stream() && t != 0x30;
    for ty in (0..=0x40).filter(|t| written(*t)) {
        assert!(types.contains(&ty), "no example of {ty:#x}");
    }
    for frame in &frames {
        assert_eq!(&one(&encoded(frame)).unwrap(), frame);
    }
}

fn examples(cid: &Bytes) -> Vec<Frame> {
    vec![
        Frame::Padding { len: 3 },
        Frame::Ping,
        Frame::Ack(Ack::new([10..=12], 3, None).unwrap()),
        Frame::Ack(Ack::new([10..=12, 0..=1], 3, Some(EcnCounts::default())).unwrap()),
        Frame::ResetStream(ResetStream {
            stream_id: 4,
            error_code: 7,
            final_size: 1000,
        }),
        Frame::StopSending {
            stream_id: 8,
            error_code: 9,
        },
        Frame::Crypto(Crypto {
            offset: 77,
            data: Bytes::from_static(b"hello"),
        }),
        Frame::NewToken(Bytes::from_static(b"token")),
        Frame::Stream(Stream {
            stream_id: 4,
            offset: 5,
            data: Bytes::from_static(b"x"),
            fin: true,
        }),
        Frame::MaxData(1 << 40),
        Frame::MaxStreamData {
            stream_id: 3,
            max: 99,
        },
        Frame::MaxStreams {
            dir: Dir::Bidi,
            max: 100,
        },
        Frame::MaxStreams {
            dir: Dir::Uni,
            max: MAX_STREAM_COUNT,
        },
        Frame::DataBlocked(5),
        Frame::StreamDataBlocked {
            stream_id: 2,
            limit: 6,
        },
        Frame::StreamsBlocked {
            dir: Dir::Bidi,
            limit: 7,
        },
        Frame::StreamsBlocked {
            dir: Dir::Uni,
            limit: 8,
        },
        Frame::NewConnectionId(NewConnectionId::new(3, 1, cid.clone(), [9; 16]).unwrap()),
        Frame::RetireConnectionId(2),
        Frame::PathChallenge(*b"abcdefgh"),
        Frame::PathResponse(*b"hgfedcba"),
        Frame::ConnectionClose(ConnectionClose {
            error_code: 0x0a,
            frame_type: Some(0x08),
            reason: Bytes::from_static(b"bad"),
        }),
        Frame::ConnectionClose(ConnectionClose {
            error_code: 0x100,
            frame_type: None,
            reason: Bytes::new(),
        }),
        Frame::HandshakeDone,
        Frame::Datagram(Bytes::from_static(b"dgram")),
        Frame::ResetStreamAt(ResetStreamAt {
            stream_id: 4,
            error_code: 1,
            final_size: 10,
            reliable_size: 10,
        }),
    ]
}

#[test]
fn datagram_without_length_runs_to_the_end() {
    assert_eq!(
        one(&[0x30, 1, 2, 3]).unwrap(),
        Frame::Datagram(Bytes::from_static(&[1, 2, 3]))
    );
    assert_eq!(one(&[0x30]).unwrap(), Frame::Datagram(Bytes::new()));
}

// --- The error rules ---

#[test]
fn empty_payload_is_a_protocol_violation() {
    assert_err(&[], Level::OneRtt, Code::PROTOCOL_VIOLATION, None);
}

#[test]
fn unknown_frame_types_are_frame_encoding_errors() {
    assert_encoding(&[0x1f], 0x1f);
    assert_encoding(&[0x21], 0x21);
    assert_encoding(&[0x40, 0x40], 0x40);
    // RFC 9000 §12.4: the shortest encoding is required; 0x4001 is PING in two bytes.
    assert_err(
        &[0x40, 0x01],
        Level::OneRtt,
        Code::PROTOCOL_VIOLATION,
        Some(1),
    );
    assert_err(
        &[0x80, 0, 0, 0x30],
        Level::OneRtt,
        Code::PROTOCOL_VIOLATION,
        Some(0x30),
    );
    // A truncated type.
    assert_err(&[0x40], Level::OneRtt, Code::FRAME_ENCODING_ERROR, None);
}

#[test]
fn truncated_frames_are_frame_encoding_errors() {
    for frame in examples(&Bytes::from_static(&[1; 20])) {
        let wire = encoded(&frame);
        let ty = frame.ty().0;
        for cut in 1..wire.len() {
            let got = parse_all(&wire[..cut], Level::OneRtt);
            // Frames whose data runs to the end, or padding, can be cut and still parse.
            if matches!(frame, Frame::Padding { .. }) {
                continue;
            }
            let err = got.unwrap_err();
            assert_eq!(
                (err.code, err.frame_type),
                (Code::FRAME_ENCODING_ERROR, Some(ty)),
                "{frame:?} cut at {cut}"
            );
        }
    }
}

#[test]
fn stream_data_beyond_2_pow_62_is_a_frame_encoding_error() {
    // Offset 2^62 - 1 and one byte of data.
    let mut wire = vec![0x0e, 0x00];
    varint::encode(varint::MAX, &mut wire).unwrap();
    wire.extend_from_slice(&[0x01, b'x']);
    assert_encoding(&wire, 0x0e);
    // Offset 2^62 - 1 with no data is fine.
    let mut ok = vec![0x0e, 0x00];
    varint::encode(varint::MAX, &mut ok).unwrap();
    ok.push(0x00);
    assert!(one(&ok).is_ok());
    // CRYPTO too.
    let mut crypto = vec![0x06];
    varint::encode(varint::MAX, &mut crypto).unwrap();
    crypto.extend_from_slice(&[0x01, b'x']);
    assert_encoding(&crypto, 0x06);
}

#[test]
fn new_connection_id_rules() {
    let frame = |seq: u8, retire: u8, len: u8| {
        let mut w = vec![0x18, seq, retire, len];
        w.extend(std::iter::repeat_n(7, usize::from(len)));
        w.extend([0u8; 16]);
        w
    };
    assert!(one(&frame(1, 1, 20)).is_ok());
    assert!(one(&frame(1, 0, 1)).is_ok());
    assert_encoding(&frame(1, 0, 0), 0x18);
    assert_encoding(&frame(1, 0, 21), 0x18);
    assert_encoding(&frame(1, 2, 8), 0x18);
    assert!(NewConnectionId::new(1, 2, Bytes::from_static(&[1]), [0; 16]).is_none());
    assert!(NewConnectionId::new(1, 1, Bytes::new(), [0; 16]).is_none());
    assert!(NewConnectionId::new(1, 1, Bytes::from_static(&[0; 21]), [0; 16]).is_none());
}

#[test]
fn stream_counts_above_2_pow_60_are_frame_encoding_errors() {
    for ty in [0x12u8, 0x13, 0x16, 0x17] {
        let mut ok = vec![ty];
        varint::encode(MAX_STREAM_COUNT, &mut ok).unwrap();
        assert!(one(&ok).is_ok());
        let mut bad = vec![ty];
        varint::encode(MAX_STREAM_COUNT + 1, &mut bad).unwrap();
        assert_encoding(&bad, u64::from(ty));
    }
}

#[test]
fn ack_ranges_below_zero_are_frame_encoding_errors() {
    // First range larger than largest.
    assert_encoding(&[0x02, 5, 0, 0, 6], 0x02);
    // First range down to 0 is fine.
    assert!(one(&[0x02, 5, 0, 0, 5]).is_ok());
    // 3..=5, then gap 0 → next largest 1, length 1 → 0..=1: fine; length 2: below 0.
    assert!(one(&[0x02, 5, 0, 1, 2, 0, 1]).is_ok());
    assert_encoding(&[0x02, 5, 0, 1, 2, 0, 2], 0x02);
    // A gap that goes below 0.
    assert_encoding(&[0x02, 5, 0, 1, 2, 2, 0], 0x02);
    // A range count far beyond the payload is a truncation, not an allocation.
    assert_encoding(&[0x02, 5, 0, 0xbf, 0xff, 0xff, 0xff, 0], 0x02);
}

#[test]
fn empty_new_token_is_a_frame_encoding_error() {
    assert_encoding(&[0x07, 0x00], 0x07);
}

#[test]
fn reset_stream_at_reliable_size_above_final_size() {
    assert_encoding(&[0x24, 0, 0, 5, 6], 0x24);
    assert!(one(&[0x24, 0, 0, 5, 5]).is_ok());
}

// --- Permissions and properties (RFC 9000 §12.4 Table 3) ---

#[test]
fn permissions_follow_table_3() {
    // (type, I, 0, H, 1)
    let table: [(u64, [bool; 4]); 29] = [
        (0x00, [true, true, true, true]),
        (0x01, [true, true, true, true]),
        (0x02, [true, false, true, true]),
        (0x03, [true, false, true, true]),
        (0x04, [false, true, false, true]),
        (0x05, [false, true, false, true]),
        (0x06, [true, false, true, true]),
        (0x07, [false, false, false, true]),
        (0x08, [false, true, false, true]),
        (0x0f, [false, true, false, true]),
        (0x10, [false, true, false, true]),
        (0x11, [false, true, false, true]),
        (0x12, [false, true, false, true]),
        (0x13, [false, true, false, true]),
        (0x14, [false, true, false, true]),
        (0x15, [false, true, false, true]),
        (0x16, [false, true, false, true]),
        (0x17, [false, true, false, true]),
        (0x18, [false, true, false, true]),
        (0x19, [false, true, false, true]),
        (0x1a, [false, true, false, true]),
        (0x1b, [false, false, false, true]),
        (0x1c, [true, true, true, true]),
        (0x1d, [false, true, false, true]),
        (0x1e, [false, false, false, true]),
        (0x24, [false, true, false, true]),
        (0x30, [false, true, false, true]),
        (0x31, [false, true, false, true]),
        (0x1f, [false, false, false, false]),
    ];
    for (ty, allowed) in table {
        for (level, ok) in LEVELS.into_iter().zip(allowed) {
            assert_eq!(FrameType(ty).permitted(level), ok, "{ty:#x} at {level:?}");
        }
    }
    // The parser enforces them.
    assert_err(
        &[0x1e],
        Level::Handshake,
        Code::PROTOCOL_VIOLATION,
        Some(0x1e),
    );
    assert_err(
        &[0x02, 0, 0, 0, 0],
        Level::ZeroRtt,
        Code::PROTOCOL_VIOLATION,
        Some(0x02),
    );
    assert_err(
        &[0x1d, 0, 0],
        Level::Initial,
        Code::PROTOCOL_VIOLATION,
        Some(0x1d),
    );
    assert_err(
        &[0x31, 0],
        Level::Handshake,
        Code::PROTOCOL_VIOLATION,
        Some(0x31),
    );
    assert_err(
        &[0x08, 0],
        Level::Initial,
        Code::PROTOCOL_VIOLATION,
        Some(0x08),
    );
    // A permitted frame before the forbidden one is still returned first.
    let mut frames = parse(Bytes::from_static(&[0x01, 0x1e]), Level::Initial);
    assert_eq!(frames.next(), Some(Ok(Frame::Ping)));
    assert!(frames.next().unwrap().is_err());
    assert_eq!(frames.next(), None);
    assert!(parse_all(&[0x1c, 0, 0, 0], Level::Initial).is_ok());
}

#[test]
fn ack_eliciting_probing_and_congestion_properties() {
    let eliciting = |t: u64| FrameType(t).is_ack_eliciting();
    assert!(!eliciting(0x00) && !eliciting(0x02) && !eliciting(0x03));
    assert!(!eliciting(0x1c) && !eliciting(0x1d));
    assert!(eliciting(0x01) && eliciting(0x08) && eliciting(0x30) && eliciting(0x24));
    let probing: Vec<u64> = (0..0x40).filter(|t| FrameType(*t).is_probing()).collect();
    assert_eq!(probing, [0x00, 0x18, 0x1a, 0x1b]);
    let not_cc: Vec<u64> = (0..0x40)
        .filter(|t| !FrameType(*t).is_congestion_controlled())
        .collect();
    assert_eq!(not_cc, [0x02, 0x03]);
    assert!(FrameType(0x0b).is_flow_controlled() && !FrameType(0x06).is_flow_controlled());
    assert!(Frame::Ping.is_ack_eliciting());
}

#[test]
fn application_close_becomes_transport_close_in_handshake_packets() {
    let app = ConnectionClose {
        error_code: 42,
        frame_type: None,
        reason: Bytes::from_static(b"secret"),
    };
    let hs = app.clone().for_level(Level::Handshake);
    assert_eq!(
        (hs.error_code, hs.frame_type, hs.reason.len()),
        (Code::APPLICATION_ERROR.0, Some(0), 0)
    );
    assert_eq!(app.clone().for_level(Level::OneRtt), app);
    let err = TransportError::frame_encoding("x").in_frame(0x18);
    let close = ConnectionClose::from_error(&err);
    assert_eq!((close.error_code, close.frame_type), (7, Some(0x18)));
}

// --- Writing to size ---

#[test]
fn write_stream_takes_what_fits() {
    let data = [7u8; 1000];
    // Header: type 1 + id 1 + offset 2 (1000) + length 2 (≥ 64 bytes).
    let mut out = Vec::new();
    let w = write_stream(&mut out, 100, 4, 1000, &data, true, true).unwrap();
    assert_eq!((w.taken, w.written, w.fin), (94, 100, false));
    assert_eq!(out.len(), 100);
    let Frame::Stream(s) = one(&out).unwrap() else {
        panic!()
    };
    assert_eq!((s.offset, s.data.len(), s.fin), (1000, 94, false));

    // Room for 64 bytes with a 2-byte length is 66 + 2 header; with 67 bytes of room we
    // take 63 with a 1-byte length.
    let mut out = Vec::new();
    let w = write_stream(&mut out, 67, 0, 0, &data, false, true).unwrap();
    assert_eq!((w.taken, w.written), (63, 66));

    // Without a length field the data fills the room exactly.
    let mut out = Vec::new();
    let w = write_stream(&mut out, 1200, 0, 0, &data, true, false).unwrap();
    assert_eq!((w.taken, w.written, w.fin), (1000, 1002, true));
    let Frame::Stream(s) = one(&out).unwrap() else {
        panic!()
    };
    assert_eq!((s.data.len(), s.fin), (1000, true));

    // An empty FIN frame, and no frame when nothing fits.
    let mut out = Vec::new();
    let w = write_stream(&mut out, 10, 4, 9, &[], true, true).unwrap();
    assert_eq!((w.taken, w.written, w.fin), (0, 4, true));
    assert!(write_stream(&mut Vec::new(), 3, 4, 9, &data, true, true).is_none());
    assert!(write_stream(&mut Vec::new(), 10, 4, 9, &[], false, true).is_none());

    // A fixed buffer bounds the room too.
    let mut storage = [0u8; 20];
    let mut buf = &mut storage[..];
    let w = write_stream(&mut buf, 1000, 0, 0, &data, false, true).unwrap();
    assert_eq!(w.written, 20);
}

#[test]
fn write_crypto_takes_what_fits() {
    let data = [1u8; 500];
    let mut out = Vec::new();
    let w = write_crypto(&mut out, 300, 0, &data).unwrap();
    assert_eq!((w.taken, w.written), (296, 300));
    assert_eq!(
        parse_all(&out, Level::Initial).unwrap(),
        [Frame::Crypto(Crypto {
            offset: 0,
            data: Bytes::copy_from_slice(&data[..296])
        })]
    );
    assert!(write_crypto(&mut Vec::new(), 3, 0, &data).is_none());
}

#[test]
fn write_into_a_short_buffer_fails_cleanly() {
    let frame = Frame::NewToken(Bytes::from_static(b"token"));
    let mut storage = [0u8; 4];
    let mut buf = &mut storage[..];
    assert!(frame.write(&mut buf).is_err());
    assert_eq!(storage, [0; 4]);
}

#[test]
fn write_datagram_whole_or_nothing() {
    let mut out = Vec::new();
    assert_eq!(write_datagram(&mut out, 7, b"hello", true), Some(7));
    assert_eq!(write_datagram(&mut out, 5, b"hello", true), None);
    assert_eq!(write_datagram(&mut out, 6, b"bye", false), Some(4));
    assert_eq!(
        parse_all(&out, Level::ZeroRtt).unwrap(),
        [
            Frame::Datagram(Bytes::from_static(b"hello")),
            Frame::Datagram(Bytes::from_static(b"bye"))
        ]
    );
}

#[test]
fn ack_within_keeps_the_newest_ranges_that_fit() {
    let ranges: Vec<_> = (0..100u64)
        .map(|i| 1000 - i * 5 - 1..=1000 - i * 5)
        .collect();
    let full = Ack::new(ranges.clone(), 0, None).unwrap();
    for max in [0, 5, 6, 7, 8, 9, 50, 150, 1000] {
        let Some(ack) = Ack::within(ranges.clone(), 0, None, max) else {
            // Type, largest (2), delay, count, first range: 6 bytes.
            assert!(max < 6, "{max}");
            continue;
        };
        let len = Frame::Ack(ack.clone()).encoded_len();
        assert!(len <= max, "{len} > {max}");
        let kept: Vec<_> = ack.ranges().collect();
        assert_eq!(kept[..], ranges[..kept.len()]);
        if kept.len() < ranges.len() {
            // One more range would not have fit.
            let more = Ack::new(ranges[..=kept.len()].to_vec(), 0, None).unwrap();
            assert!(Frame::Ack(more).encoded_len() > max);
        } else {
            assert_eq!(ack, full);
        }
    }
}
