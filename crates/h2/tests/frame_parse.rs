//! Every frame type parsed from and written to exact bytes (RFC 9113 §4.1, §6; RFC 9218
//! §7.1), and every frame-local rule of §6 with its error code and scope (§5.4).

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use bytes::Bytes;
use stator_h2::frame::{
    self, DEFAULT_MAX_FRAME_SIZE, Frame, FrameError, FrameReader, FrameType, Priority, Reason,
    Scope, Setting, SettingId, SettingsFrame,
};
use stator_h2::{ErrorCode, StreamId};

fn sid(n: u32) -> StreamId {
    StreamId::new(n).unwrap()
}

/// A frame header followed by `payload`.
fn raw(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, ty, flags];
    v.extend_from_slice(&stream.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Reads exactly one frame from `bytes`, which must be consumed whole.
fn read(bytes: &[u8]) -> Result<Frame, FrameError> {
    let mut reader = FrameReader::new(DEFAULT_MAX_FRAME_SIZE);
    reader.recv(bytes);
    let frame = reader.next_frame()?.expect("a whole frame");
    assert!(reader.buffered().is_empty());
    Ok(frame)
}

/// `frame` encodes to exactly `bytes`, and `bytes` parse to exactly `frame`.
fn both_ways(frame: &Frame, bytes: &[u8]) {
    let mut out = Vec::new();
    frame.encode(&mut out).unwrap();
    assert_eq!(out, bytes, "encoding of {frame:?}");
    assert_eq!(&read(bytes).unwrap(), frame);
}

fn conn_err(code: ErrorCode, ty: FrameType, reason: Reason) -> FrameError {
    FrameError::connection(code, ty, reason)
}

fn stream_err(stream: u32, code: ErrorCode, ty: FrameType, reason: Reason) -> FrameError {
    FrameError::stream(sid(stream), code, ty, reason)
}

// ---- exact bytes, each type -------------------------------------------------------------

#[test]
fn frame_header_bytes() {
    let h = frame::FrameHeader::parse([0x00, 0x40, 0x00, 0x01, 0x25, 0x80, 0x00, 0x00, 0x03]);
    assert_eq!(h.length, 0x4000);
    assert_eq!(h.ty, FrameType::HEADERS);
    assert_eq!(h.flags, 0x25);
    assert_eq!(h.stream_id, sid(3), "reserved bit ignored");
    assert_eq!(
        h.to_bytes(),
        [0x00, 0x40, 0x00, 0x01, 0x25, 0x00, 0x00, 0x00, 0x03]
    );
}

#[test]
fn data() {
    let f = Frame::Data {
        stream_id: sid(1),
        data: Bytes::from_static(b"hi"),
        end_stream: true,
        pad_len: None,
    };
    both_ways(&f, &raw(0x0, 0x1, 1, b"hi"));
    assert_eq!(f.flow_controlled_len(), 2);
    let mut out = Vec::new();
    frame::write_data(&mut out, sid(1), b"hi", true, None).unwrap();
    assert_eq!(out, raw(0x0, 0x1, 1, b"hi"));
}

#[test]
fn data_padded() {
    let f = Frame::Data {
        stream_id: sid(3),
        data: Bytes::from_static(b"abc"),
        end_stream: false,
        pad_len: Some(2),
    };
    both_ways(&f, &raw(0x0, 0x8, 3, &[2, b'a', b'b', b'c', 0, 0]));
    assert_eq!(
        f.flow_controlled_len(),
        6,
        "pad length field and padding count"
    );
    // Padding may take all the room: an empty DATA frame.
    let empty = read(&raw(0x0, 0x8, 3, &[3, 0, 0, 0])).unwrap();
    assert_eq!(
        empty,
        Frame::Data {
            stream_id: sid(3),
            data: Bytes::new(),
            end_stream: false,
            pad_len: Some(3)
        }
    );
}

#[test]
fn unknown_flags_are_ignored() {
    // 0xf6: every flag bit DATA does not define, plus none it does.
    let f = read(&raw(0x0, 0xf6, 1, b"x")).unwrap();
    assert_eq!(
        f,
        Frame::Data {
            stream_id: sid(1),
            data: Bytes::from_static(b"x"),
            end_stream: false,
            pad_len: None
        }
    );
    let p = read(&raw(0x6, 0xfe, 0, b"12345678")).unwrap();
    assert_eq!(
        p,
        Frame::Ping {
            ack: false,
            data: *b"12345678"
        }
    );
}

#[test]
fn headers_plain_and_with_priority_and_padding() {
    both_ways(
        &Frame::Headers {
            stream_id: sid(1),
            fragment: Bytes::from_static(&[0x82, 0x86]),
            end_stream: true,
            end_headers: true,
            priority: None,
            pad_len: None,
        },
        &raw(0x1, 0x5, 1, &[0x82, 0x86]),
    );
    both_ways(
        &Frame::Headers {
            stream_id: sid(5),
            fragment: Bytes::from_static(&[0x82]),
            end_stream: false,
            end_headers: false,
            priority: Some(Priority {
                exclusive: true,
                dependency: sid(3),
                weight: 15,
            }),
            pad_len: Some(1),
        },
        &raw(0x1, 0x28, 5, &[1, 0x80, 0, 0, 3, 15, 0x82, 0]),
    );
}

#[test]
fn write_headers_splits_into_continuations() {
    let block: Vec<u8> = (0u8..10).collect();
    let mut out = Vec::new();
    let prio = Priority {
        exclusive: false,
        dependency: sid(0),
        weight: 255,
    };
    frame::write_headers(&mut out, sid(1), &block, true, Some(prio), 8).unwrap();
    // 10 - 3 = 7 octets left: one CONTINUATION of 7 with END_HEADERS.
    let mut want = raw(0x1, 0x21, 1, &[0, 0, 0, 0, 255, 0, 1, 2]);
    want.extend(raw(0x9, 0x4, 1, &[3, 4, 5, 6, 7, 8, 9]));
    assert_eq!(out, want);

    out.clear();
    frame::write_headers(&mut out, sid(1), &block, false, None, 4).unwrap();
    let mut want = raw(0x1, 0x0, 1, &[0, 1, 2, 3]);
    want.extend(raw(0x9, 0x0, 1, &[4, 5, 6, 7]));
    want.extend(raw(0x9, 0x4, 1, &[8, 9]));
    assert_eq!(out, want);

    out.clear();
    frame::write_headers(&mut out, sid(7), &[], true, None, 16_384).unwrap();
    assert_eq!(out, raw(0x1, 0x5, 7, &[]));
    assert!(frame::write_headers(&mut out, sid(1), b"x", false, Some(prio), 4).is_err());
}

#[test]
fn priority() {
    let f = Frame::Priority {
        stream_id: sid(3),
        priority: Priority {
            exclusive: false,
            dependency: sid(1),
            weight: 7,
        },
    };
    both_ways(&f, &raw(0x2, 0, 3, &[0, 0, 0, 1, 7]));
}

#[test]
fn rst_stream() {
    let f = Frame::RstStream {
        stream_id: sid(1),
        code: ErrorCode::CANCEL,
    };
    both_ways(&f, &raw(0x3, 0, 1, &[0, 0, 0, 8]));
    let mut out = Vec::new();
    frame::write_rst_stream(&mut out, sid(1), ErrorCode::CANCEL);
    assert_eq!(out, raw(0x3, 0, 1, &[0, 0, 0, 8]));
}

#[test]
fn settings_and_ack() {
    let entries = [
        Setting {
            id: SettingId::INITIAL_WINDOW_SIZE,
            value: 1 << 20,
        },
        Setting {
            id: SettingId(0xabcd),
            value: 9,
        },
    ];
    let f = Frame::Settings(SettingsFrame::new(&entries));
    both_ways(
        &f,
        &raw(0x4, 0, 0, &[0, 4, 0, 0x10, 0, 0, 0xab, 0xcd, 0, 0, 0, 9]),
    );
    let Frame::Settings(s) = read(&raw(0x4, 0, 0, &[0, 4, 0, 0x10, 0, 0])).unwrap() else {
        panic!()
    };
    assert_eq!(s.iter().collect::<Vec<_>>(), entries[..1]);
    assert!(!s.is_ack());
    both_ways(&Frame::Settings(SettingsFrame::ACK), &raw(0x4, 0x1, 0, &[]));
    let mut out = Vec::new();
    frame::write_settings_ack(&mut out);
    assert_eq!(out, raw(0x4, 0x1, 0, &[]));
}

#[test]
fn push_promise() {
    let f = Frame::PushPromise {
        stream_id: sid(1),
        promised_id: sid(2),
        fragment: Bytes::from_static(&[0x82]),
        end_headers: true,
        pad_len: None,
    };
    both_ways(&f, &raw(0x5, 0x4, 1, &[0, 0, 0, 2, 0x82]));
    let padded = Frame::PushPromise {
        stream_id: sid(1),
        promised_id: sid(2),
        fragment: Bytes::from_static(&[0x82]),
        end_headers: false,
        pad_len: Some(2),
    };
    both_ways(&padded, &raw(0x5, 0x8, 1, &[2, 0, 0, 0, 2, 0x82, 0, 0]));
    let mut out = Vec::new();
    frame::write_push_promise(&mut out, sid(1), sid(2), &[0x82], 16_384).unwrap();
    assert_eq!(out, raw(0x5, 0x4, 1, &[0, 0, 0, 2, 0x82]));
}

#[test]
fn ping_and_ack() {
    both_ways(
        &Frame::Ping {
            ack: false,
            data: *b"abcdefgh",
        },
        &raw(0x6, 0, 0, b"abcdefgh"),
    );
    both_ways(
        &Frame::Ping {
            ack: true,
            data: [0; 8],
        },
        &raw(0x6, 0x1, 0, &[0; 8]),
    );
}

#[test]
fn goaway_with_debug_data() {
    let f = Frame::GoAway {
        last_stream_id: sid(7),
        code: ErrorCode::ENHANCE_YOUR_CALM,
        debug_data: Bytes::from_static(b"slow down"),
    };
    let mut payload = vec![0, 0, 0, 7, 0, 0, 0, 0xb];
    payload.extend_from_slice(b"slow down");
    both_ways(&f, &raw(0x7, 0, 0, &payload));
    // Reserved bit of Last-Stream-ID ignored.
    let f = read(&raw(0x7, 0, 0, &[0x80, 0, 0, 1, 0, 0, 0, 0])).unwrap();
    assert_eq!(
        f,
        Frame::GoAway {
            last_stream_id: sid(1),
            code: ErrorCode::NO_ERROR,
            debug_data: Bytes::new()
        }
    );
}

#[test]
fn window_update() {
    both_ways(
        &Frame::WindowUpdate {
            stream_id: sid(0),
            increment: 0x7fff_ffff,
        },
        &raw(0x8, 0, 0, &[0x7f, 0xff, 0xff, 0xff]),
    );
    // Reserved bit ignored on receipt.
    assert_eq!(
        read(&raw(0x8, 0, 5, &[0x80, 0, 0, 10])).unwrap(),
        Frame::WindowUpdate {
            stream_id: sid(5),
            increment: 10
        }
    );
}

#[test]
fn continuation() {
    both_ways(
        &Frame::Continuation {
            stream_id: sid(9),
            fragment: Bytes::from_static(b"abc"),
            end_headers: true,
        },
        &raw(0x9, 0x4, 9, b"abc"),
    );
}

#[test]
fn priority_update() {
    let f = Frame::PriorityUpdate {
        prioritized_id: sid(5),
        field_value: Bytes::from_static(b"u=2, i"),
    };
    let mut payload = vec![0, 0, 0, 5];
    payload.extend_from_slice(b"u=2, i");
    both_ways(&f, &raw(0x10, 0, 0, &payload));
}

#[test]
fn unknown_type_is_surfaced_with_its_flags() {
    let f = Frame::Unknown {
        ty: FrameType(0xfa),
        flags: 0x33,
        stream_id: sid(4),
        payload: Bytes::from_static(b"?"),
    };
    both_ways(&f, &raw(0xfa, 0x33, 4, b"?"));
    // Unknown types are never checked: stream 0, any length, fine.
    assert!(read(&raw(0x42, 0, 0, &[0; 100])).is_ok());
}

#[test]
fn payload_is_a_slice_of_the_receive_buffer() {
    let mut reader = FrameReader::new(DEFAULT_MAX_FRAME_SIZE);
    let bytes = raw(0x0, 0, 1, &[7; 100]);
    reader.recv(&bytes);
    let Some(Frame::Data { data, .. }) = reader.next_frame().unwrap() else {
        panic!()
    };
    // Backed by the reader's buffer: split off it, not copied into a fresh allocation.
    assert_eq!(data.len(), 100);
    reader.recv(&raw(0x0, 0, 1, &[8; 3]));
    let Some(Frame::Data { data: next, .. }) = reader.next_frame().unwrap() else {
        panic!()
    };
    assert_eq!(&next[..], &[8; 3]);
}

// ---- §6 rules: code and scope -------------------------------------------------------------

#[test]
fn stream_frames_on_stream_zero_are_connection_protocol_errors() {
    for (ty, payload) in [
        (FrameType::DATA, &b"x"[..]),
        (FrameType::HEADERS, &[0x82][..]),
        (FrameType::PRIORITY, &[0, 0, 0, 1, 0][..]),
        (FrameType::RST_STREAM, &[0, 0, 0, 0][..]),
        (FrameType::PUSH_PROMISE, &[0, 0, 0, 2][..]),
        (FrameType::CONTINUATION, &[][..]),
    ] {
        assert_eq!(
            read(&raw(ty.0, 0x4, 0, payload)),
            Err(conn_err(
                ErrorCode::PROTOCOL_ERROR,
                ty,
                Reason::StreamIdZero
            )),
            "{ty:?}"
        );
    }
}

#[test]
fn connection_frames_on_a_stream_are_connection_protocol_errors() {
    for (ty, payload) in [
        (FrameType::SETTINGS, &[][..]),
        (FrameType::PING, &[0; 8][..]),
        (FrameType::GOAWAY, &[0; 8][..]),
        (FrameType::PRIORITY_UPDATE, &[0, 0, 0, 1][..]),
    ] {
        assert_eq!(
            read(&raw(ty.0, 0, 1, payload)),
            Err(conn_err(
                ErrorCode::PROTOCOL_ERROR,
                ty,
                Reason::StreamIdNonZero
            )),
            "{ty:?}"
        );
    }
}

#[test]
fn priority_of_wrong_length_is_a_stream_frame_size_error() {
    for len in [0usize, 4, 6] {
        assert_eq!(
            read(&raw(0x2, 0, 3, &vec![0; len])),
            Err(stream_err(
                3,
                ErrorCode::FRAME_SIZE_ERROR,
                FrameType::PRIORITY,
                Reason::BadLength { len: len as u32 }
            ))
        );
    }
}

#[test]
fn priority_on_itself_is_a_stream_protocol_error() {
    assert_eq!(
        read(&raw(0x2, 0, 3, &[0x80, 0, 0, 3, 0])),
        Err(stream_err(
            3,
            ErrorCode::PROTOCOL_ERROR,
            FrameType::PRIORITY,
            Reason::SelfDependency
        ))
    );
}

#[test]
fn rst_stream_of_wrong_length_is_a_connection_frame_size_error() {
    assert_eq!(
        read(&raw(0x3, 0, 1, &[0, 0, 0])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::RST_STREAM,
            Reason::BadLength { len: 3 }
        ))
    );
    assert_eq!(
        read(&raw(0x3, 0, 1, &[0; 5])).unwrap_err().code,
        ErrorCode::FRAME_SIZE_ERROR
    );
}

#[test]
fn settings_size_rules() {
    assert_eq!(
        read(&raw(0x4, 0, 0, &[0, 1, 0, 0, 0])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::SETTINGS,
            Reason::BadLength { len: 5 }
        ))
    );
    assert_eq!(
        read(&raw(0x4, 0x1, 0, &[0, 1, 0, 0, 0, 0])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::SETTINGS,
            Reason::SettingsAckWithPayload
        ))
    );
}

#[test]
fn settings_value_rules() {
    let cases: [(u16, u32, ErrorCode); 7] = [
        (0x2, 2, ErrorCode::PROTOCOL_ERROR),
        (0x4, 0x8000_0000, ErrorCode::FLOW_CONTROL_ERROR),
        (0x5, 16_383, ErrorCode::PROTOCOL_ERROR),
        (0x5, 1 << 24, ErrorCode::PROTOCOL_ERROR),
        (0x8, 2, ErrorCode::PROTOCOL_ERROR),
        (0x9, 2, ErrorCode::PROTOCOL_ERROR),
        (0x2, u32::MAX, ErrorCode::PROTOCOL_ERROR),
    ];
    for (id, value, code) in cases {
        let mut payload = id.to_be_bytes().to_vec();
        payload.extend_from_slice(&value.to_be_bytes());
        assert_eq!(
            read(&raw(0x4, 0, 0, &payload)),
            Err(conn_err(
                code,
                FrameType::SETTINGS,
                Reason::InvalidSettingValue { id, value }
            )),
            "{id:#x}={value}"
        );
    }
    // Edges that are valid, and unknown settings with any value.
    for (id, value) in [
        (0x2u16, 1u32),
        (0x4, 0x7fff_ffff),
        (0x5, 16_384),
        (0x5, (1 << 24) - 1),
        (0x8, 1),
        (0x9, 0),
        (0xff, u32::MAX),
    ] {
        let mut payload = id.to_be_bytes().to_vec();
        payload.extend_from_slice(&value.to_be_bytes());
        assert!(read(&raw(0x4, 0, 0, &payload)).is_ok(), "{id:#x}={value}");
    }
}

#[test]
fn ping_of_wrong_length_is_a_connection_frame_size_error() {
    for len in [0usize, 7, 9] {
        assert_eq!(
            read(&raw(0x6, 0, 0, &vec![0; len])),
            Err(conn_err(
                ErrorCode::FRAME_SIZE_ERROR,
                FrameType::PING,
                Reason::BadLength { len: len as u32 }
            ))
        );
    }
}

#[test]
fn goaway_shorter_than_eight_is_a_connection_frame_size_error() {
    assert_eq!(
        read(&raw(0x7, 0, 0, &[0; 7])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::GOAWAY,
            Reason::BadLength { len: 7 }
        ))
    );
}

#[test]
fn window_update_rules() {
    for stream in [0, 1] {
        assert_eq!(
            read(&raw(0x8, 0, stream, &[0, 0, 1])),
            Err(conn_err(
                ErrorCode::FRAME_SIZE_ERROR,
                FrameType::WINDOW_UPDATE,
                Reason::BadLength { len: 3 }
            )),
            "length error is a connection error on stream {stream}"
        );
    }
    assert_eq!(
        read(&raw(0x8, 0, 0, &[0, 0, 0, 0])),
        Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::WINDOW_UPDATE,
            Reason::ZeroWindowIncrement
        ))
    );
    assert_eq!(
        read(&raw(0x8, 0, 7, &[0x80, 0, 0, 0])),
        Err(stream_err(
            7,
            ErrorCode::PROTOCOL_ERROR,
            FrameType::WINDOW_UPDATE,
            Reason::ZeroWindowIncrement
        )),
        "only the reserved bit set is an increment of 0"
    );
}

#[test]
fn padding_rules() {
    // DATA: Pad Length equal to the payload length (or more) is a PROTOCOL_ERROR.
    assert_eq!(
        read(&raw(0x0, 0x8, 1, &[3, 0, 0])),
        Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::DATA,
            Reason::PaddingTooLong { pad_len: 3 }
        ))
    );
    assert_eq!(
        read(&raw(0x0, 0x8, 1, &[])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::DATA,
            Reason::BadLength { len: 0 }
        ))
    );
    // HEADERS: padding may not eat the priority fields.
    assert_eq!(
        read(&raw(0x1, 0x2c, 1, &[1, 0, 0, 0, 0, 16])),
        Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::HEADERS,
            Reason::PaddingTooLong { pad_len: 1 }
        ))
    );
    assert_eq!(
        read(&raw(0x1, 0x0c, 1, &[2, 0x82])),
        Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::HEADERS,
            Reason::PaddingTooLong { pad_len: 2 }
        ))
    );
    // PUSH_PROMISE: nor the promised stream ID.
    assert_eq!(
        read(&raw(0x5, 0x0c, 1, &[1, 0, 0, 0, 2])),
        Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::PUSH_PROMISE,
            Reason::PaddingTooLong { pad_len: 1 }
        ))
    );
}

#[test]
fn field_block_frames_too_short_are_connection_frame_size_errors() {
    assert_eq!(
        read(&raw(0x1, 0x24, 1, &[0, 0, 0])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::HEADERS,
            Reason::BadLength { len: 3 }
        ))
    );
    assert_eq!(
        read(&raw(0x5, 0x4, 1, &[0, 0])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::PUSH_PROMISE,
            Reason::BadLength { len: 2 }
        ))
    );
    assert_eq!(
        read(&raw(0x10, 0, 0, &[0, 0, 1])),
        Err(conn_err(
            ErrorCode::FRAME_SIZE_ERROR,
            FrameType::PRIORITY_UPDATE,
            Reason::BadLength { len: 3 }
        ))
    );
}

#[test]
fn priority_update_for_stream_zero_is_a_connection_protocol_error() {
    assert_eq!(
        read(&raw(0x10, 0, 0, &[0x80, 0, 0, 0, b'u'])),
        Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::PRIORITY_UPDATE,
            Reason::PrioritizedStreamZero
        ))
    );
}

#[test]
fn headers_depending_on_itself_parses_for_the_assembler() {
    // The stream error is reported with the assembled block (see frame_header_block.rs).
    let f = read(&raw(0x1, 0x24, 3, &[0, 0, 0, 3, 0, 0x82])).unwrap();
    assert!(matches!(f, Frame::Headers { priority: Some(p), .. } if p.dependency == sid(3)));
}

#[test]
fn scope_helpers() {
    let e = stream_err(
        3,
        ErrorCode::PROTOCOL_ERROR,
        FrameType::PRIORITY,
        Reason::SelfDependency,
    );
    assert_eq!(e.scope, Scope::Stream(sid(3)));
    assert!(!e.is_connection_error());
    assert_eq!(
        e.to_string(),
        "PROTOCOL_ERROR (Stream(StreamId(3))) in frame PRIORITY: stream depends on itself"
    );
}
