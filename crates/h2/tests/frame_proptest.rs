//! Property tests: every frame type round-trips through `Frame::encode` and the reader;
//! any split of the byte stream into chunks yields the same frames (DESIGN.md §5); split
//! header blocks reassemble; arbitrary input never panics.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use bytes::Bytes;
use proptest::prelude::*;
use stator_h2::frame::{
    self, Frame, FrameLimits, FrameReader, FrameType, HeaderBlockAssembler, Incoming, Priority,
    Setting, SettingId, SettingsFrame,
};
use stator_h2::{ErrorCode, StreamId};

fn stream() -> impl Strategy<Value = StreamId> {
    (1u32..=0x7fff_ffff).prop_map(|n| StreamId::new(n).unwrap())
}

fn any_stream() -> impl Strategy<Value = StreamId> {
    (0u32..=0x7fff_ffff).prop_map(|n| StreamId::new(n).unwrap())
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn priority() -> impl Strategy<Value = Priority> {
    (any::<bool>(), any_stream(), any::<u8>()).prop_map(|(exclusive, dependency, weight)| {
        Priority {
            exclusive,
            dependency,
            weight,
        }
    })
}

fn setting() -> impl Strategy<Value = Setting> {
    prop_oneof![
        any::<u32>().prop_map(|v| (SettingId::HEADER_TABLE_SIZE, v)),
        (0u32..=1).prop_map(|v| (SettingId::ENABLE_PUSH, v)),
        any::<u32>().prop_map(|v| (SettingId::MAX_CONCURRENT_STREAMS, v)),
        (0u32..=0x7fff_ffff).prop_map(|v| (SettingId::INITIAL_WINDOW_SIZE, v)),
        ((1u32 << 14)..(1 << 24)).prop_map(|v| (SettingId::MAX_FRAME_SIZE, v)),
        any::<u32>().prop_map(|v| (SettingId::MAX_HEADER_LIST_SIZE, v)),
        (0u32..=1).prop_map(|v| (SettingId::ENABLE_CONNECT_PROTOCOL, v)),
        (0u32..=1).prop_map(|v| (SettingId::NO_RFC7540_PRIORITIES, v)),
        (10u16.., any::<u32>()).prop_map(|(id, v)| (SettingId(id), v)),
    ]
    .prop_map(|(id, value)| Setting { id, value })
}

fn unknown_type() -> impl Strategy<Value = FrameType> {
    any::<u8>()
        .prop_filter("unknown", |t| *t > 0x9 && *t != 0x10)
        .prop_map(FrameType)
}

/// Any frame the reader accepts, described so that it reads back equal.
fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (
            stream(),
            bytes(300),
            any::<bool>(),
            proptest::option::of(any::<u8>())
        )
            .prop_map(|(stream_id, data, end_stream, pad_len)| Frame::Data {
                stream_id,
                data,
                end_stream,
                pad_len
            }),
        (
            stream(),
            bytes(300),
            any::<[bool; 2]>(),
            proptest::option::of(priority()),
            proptest::option::of(any::<u8>())
        )
            .prop_map(
                |(stream_id, fragment, [end_stream, end_headers], priority, pad_len)| {
                    Frame::Headers {
                        stream_id,
                        fragment,
                        end_stream,
                        end_headers,
                        priority,
                        pad_len,
                    }
                }
            ),
        (stream(), priority())
            .prop_filter("not self-dependent", |(s, p)| p.dependency != *s)
            .prop_map(|(stream_id, priority)| Frame::Priority {
                stream_id,
                priority
            }),
        (stream(), any::<u32>()).prop_map(|(stream_id, c)| Frame::RstStream {
            stream_id,
            code: ErrorCode(c)
        }),
        proptest::collection::vec(setting(), 0..10)
            .prop_map(|s| Frame::Settings(SettingsFrame::new(&s))),
        Just(Frame::Settings(SettingsFrame::ACK)),
        (
            stream(),
            any_stream(),
            bytes(300),
            any::<bool>(),
            proptest::option::of(any::<u8>())
        )
            .prop_map(|(stream_id, promised_id, fragment, end_headers, pad_len)| {
                Frame::PushPromise {
                    stream_id,
                    promised_id,
                    fragment,
                    end_headers,
                    pad_len,
                }
            }),
        (any::<bool>(), any::<[u8; 8]>()).prop_map(|(ack, data)| Frame::Ping { ack, data }),
        (any_stream(), any::<u32>(), bytes(100)).prop_map(|(last_stream_id, c, debug_data)| {
            Frame::GoAway {
                last_stream_id,
                code: ErrorCode(c),
                debug_data,
            }
        }),
        (any_stream(), 1u32..=0x7fff_ffff).prop_map(|(stream_id, increment)| Frame::WindowUpdate {
            stream_id,
            increment
        }),
        (stream(), bytes(300), any::<bool>()).prop_map(|(stream_id, fragment, end_headers)| {
            Frame::Continuation {
                stream_id,
                fragment,
                end_headers,
            }
        }),
        (stream(), bytes(50)).prop_map(|(prioritized_id, field_value)| Frame::PriorityUpdate {
            prioritized_id,
            field_value
        }),
        (unknown_type(), any::<u8>(), any_stream(), bytes(100)).prop_map(
            |(ty, flags, stream_id, payload)| Frame::Unknown {
                ty,
                flags,
                stream_id,
                payload
            }
        ),
    ]
}

/// Reads everything, feeding the reader `chunks` sizes in turn (cycled).
fn read_all(wire: &[u8], chunks: &[usize]) -> Vec<Frame> {
    let mut reader = FrameReader::new(frame::DEFAULT_MAX_FRAME_SIZE);
    let mut out = Vec::new();
    let mut rest = wire;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        reader.recv(chunk);
        while let Some(f) = reader.next_frame().unwrap() {
            out.push(f);
        }
    }
    assert!(reader.buffered().is_empty());
    out
}

proptest! {
    #[test]
    fn every_frame_round_trips(f in frame()) {
        let mut wire = Vec::new();
        f.encode(&mut wire).unwrap();
        prop_assert_eq!(read_all(&wire, &[wire.len()]), vec![f]);
    }

    #[test]
    fn chunk_split_invariance(
        frames in proptest::collection::vec(frame(), 0..20),
        chunks in proptest::collection::vec(1usize..64, 1..20),
    ) {
        let mut wire = Vec::new();
        for f in &frames {
            f.encode(&mut wire).unwrap();
        }
        prop_assert_eq!(&read_all(&wire, &chunks), &frames);
        prop_assert_eq!(&read_all(&wire, &[1]), &frames);
    }

    #[test]
    fn split_header_blocks_reassemble(
        block in proptest::collection::vec(any::<u8>(), 0..2000),
        max_frame_size in 6u32..600,
        prio in proptest::option::of(priority()),
        s in stream(),
    ) {
        let mut wire = Vec::new();
        frame::write_headers(&mut wire, s, &block, true, prio, max_frame_size).unwrap();
        let frames = read_all(&wire, &[wire.len()]);
        prop_assert!(frames.iter().all(|f| f.stream_id() == s));
        let limits = FrameLimits {
            max_continuation_frames: u32::MAX,
            ..FrameLimits::default()
        };
        let mut asm = HeaderBlockAssembler::new(limits);
        let mut out = Vec::new();
        for f in frames {
            if let Some(Incoming::HeaderBlock(b)) = asm.push(f).unwrap() {
                out.push(b);
            }
        }
        prop_assert_eq!(out.len(), 1);
        prop_assert_eq!(&out[0].block[..], &block[..]);
    }

    #[test]
    fn arbitrary_input_never_panics(
        data in proptest::collection::vec(any::<u8>(), 0..600),
        chunk in 1usize..50,
    ) {
        let mut reader = FrameReader::server(frame::DEFAULT_MAX_FRAME_SIZE);
        let mut asm = HeaderBlockAssembler::new(FrameLimits::default());
        let mut wire = frame::PREFACE.to_vec();
        wire.extend_from_slice(&data);
        for c in wire.chunks(chunk) {
            reader.recv(c);
            while let Ok(Some(f)) = reader.next_frame() {
                let _ = asm.push(f);
            }
        }
    }
}
