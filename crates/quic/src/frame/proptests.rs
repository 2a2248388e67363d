//! Property tests: round trips of every frame type, arbitrary payloads.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use bytes::Bytes;
use proptest::prelude::*;
use stator_wire::varint;

use super::tests::{LEVELS, encoded, one, parse_all};
use super::*;

fn arb_bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn arb_varint() -> impl Strategy<Value = u64> {
    prop_oneof![0..64u64, 0..16384u64, 0..=varint::MAX]
}

fn arb_ack() -> impl Strategy<Value = Ack> {
    (
        arb_varint(),
        proptest::collection::vec((0..1000u64, 0..1000u64), 0..40),
        0..100u64,
        arb_varint(),
        proptest::option::of((arb_varint(), arb_varint(), arb_varint())),
    )
        .prop_map(|(largest, steps, first, delay, ecn)| {
            let mut ranges = Vec::new();
            let mut hi = largest;
            let mut lo = hi.saturating_sub(first);
            ranges.push(lo..=hi);
            for (gap, len) in steps {
                let Some(next_hi) = lo.checked_sub(gap + 2) else {
                    break;
                };
                hi = next_hi;
                lo = hi.saturating_sub(len);
                ranges.push(lo..=hi);
            }
            let ecn = ecn.map(|(ect0, ect1, ce)| EcnCounts { ect0, ect1, ce });
            Ack::new(ranges, delay, ecn).unwrap()
        })
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    let dir = prop_oneof![Just(Dir::Bidi), Just(Dir::Uni)];
    prop_oneof![
        (1..2000usize).prop_map(|len| Frame::Padding { len }),
        Just(Frame::Ping),
        arb_ack().prop_map(Frame::Ack),
        (arb_varint(), arb_varint(), arb_varint()).prop_map(|(a, b, c)| Frame::ResetStream(
            ResetStream {
                stream_id: a,
                error_code: b,
                final_size: c
            }
        )),
        (arb_varint(), arb_varint()).prop_map(|(a, b)| Frame::StopSending {
            stream_id: a,
            error_code: b
        }),
        (0..varint::MAX - 300, arb_bytes(300))
            .prop_map(|(offset, data)| Frame::Crypto(Crypto { offset, data })),
        arb_bytes(100)
            .prop_filter("non-empty", |t| !t.is_empty())
            .prop_map(Frame::NewToken),
        (
            arb_varint(),
            0..varint::MAX - 300,
            arb_bytes(300),
            any::<bool>()
        )
            .prop_map(|(stream_id, offset, data, fin)| Frame::Stream(Stream {
                stream_id,
                offset,
                data,
                fin
            })),
        arb_varint().prop_map(Frame::MaxData),
        (arb_varint(), arb_varint())
            .prop_map(|(stream_id, max)| Frame::MaxStreamData { stream_id, max }),
        (dir.clone(), 0..=MAX_STREAM_COUNT).prop_map(|(dir, max)| Frame::MaxStreams { dir, max }),
        arb_varint().prop_map(Frame::DataBlocked),
        (arb_varint(), arb_varint())
            .prop_map(|(stream_id, limit)| Frame::StreamDataBlocked { stream_id, limit }),
        (dir, 0..=MAX_STREAM_COUNT).prop_map(|(dir, limit)| Frame::StreamsBlocked { dir, limit }),
        (arb_varint(), arb_varint(), arb_bytes(21), any::<[u8; 16]>()).prop_filter_map(
            "valid NEW_CONNECTION_ID",
            |(a, b, cid, token)| {
                let (seq, retire) = (a.max(b), a.min(b));
                NewConnectionId::new(seq, retire, cid, token).map(Frame::NewConnectionId)
            }
        ),
        arb_varint().prop_map(Frame::RetireConnectionId),
        any::<[u8; 8]>().prop_map(Frame::PathChallenge),
        any::<[u8; 8]>().prop_map(Frame::PathResponse),
        (
            arb_varint(),
            proptest::option::of(arb_varint()),
            arb_bytes(50)
        )
            .prop_map(|(error_code, frame_type, reason)| Frame::ConnectionClose(
                ConnectionClose {
                    error_code,
                    frame_type,
                    reason
                }
            )),
        Just(Frame::HandshakeDone),
        arb_bytes(300).prop_map(Frame::Datagram),
        (arb_varint(), arb_varint(), arb_varint(), arb_varint()).prop_map(|(a, b, c, d)| {
            Frame::ResetStreamAt(ResetStreamAt {
                stream_id: a,
                error_code: b,
                final_size: c.max(d),
                reliable_size: c.min(d),
            })
        }),
    ]
}

/// Consecutive PADDING frames come back as one.
fn merge_padding(frames: Vec<Frame>) -> Vec<Frame> {
    let mut out: Vec<Frame> = Vec::new();
    for f in frames {
        if let (Some(Frame::Padding { len: a }), Frame::Padding { len: b }) = (out.last_mut(), &f) {
            *a += b;
            continue;
        }
        out.push(f);
    }
    out
}

proptest! {
    #[test]
    fn every_frame_round_trips(frame in arb_frame()) {
        let wire = encoded(&frame);
        prop_assert_eq!(one(&wire).unwrap(), frame);
    }

    #[test]
    fn frame_sequences_round_trip(frames in proptest::collection::vec(arb_frame(), 1..8)) {
        let mut wire = Vec::new();
        for f in &frames {
            f.write(&mut wire).unwrap();
        }
        let expected = merge_padding(frames);
        prop_assert_eq!(parse_all(&wire, Level::OneRtt).unwrap(), expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let payload = Bytes::from(bytes);
        for level in LEVELS {
            let mut frames = parse(payload.clone(), level);
            let mut last = 0;
            while let Some(item) = frames.next() {
                prop_assert!(frames.position() <= payload.len());
                prop_assert!(frames.position() > last || item.is_err());
                last = frames.position();
                if let Ok(frame) = item {
                    // What parsed writes back and parses to the same frame.
                    prop_assert!(frame.ty().permitted(level));
                    let mut wire = Vec::new();
                    frame.write(&mut wire).unwrap();
                    let again: Vec<Frame> = parse(Bytes::from(wire), level)
                        .collect::<Result<_, _>>()
                        .unwrap();
                    prop_assert_eq!(again, vec![frame]);
                }
            }
        }
    }

    #[test]
    fn write_stream_never_exceeds_room(
        room in 0..1500usize,
        offset in prop_oneof![Just(0u64), 0..=varint::MAX],
        len in 0..1500usize,
        fin: bool,
        with_len: bool,
    ) {
        let data = vec![5u8; len];
        let mut out = Vec::new();
        if let Some(w) = write_stream(&mut out, room, 3, offset, &data, fin, with_len) {
            prop_assert!(w.written <= room);
            prop_assert_eq!(w.written, out.len());
            let Frame::Stream(s) = one(&out).unwrap() else { panic!() };
            prop_assert_eq!((s.offset, s.data.len(), s.fin), (offset, w.taken, w.fin));
            // With a length, one more byte would not have fit.
            if with_len && w.taken < len && offset.saturating_add(w.taken as u64) < varint::MAX {
                let mut more = Vec::new();
                let bigger = write_stream(&mut more, room, 3, offset, &data[..=w.taken], fin, true);
                prop_assert!(bigger.is_none_or(|b| b.taken <= w.taken));
            }
        } else {
            prop_assert!(out.is_empty());
        }
    }
}
