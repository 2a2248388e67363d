//! The frame reader (RFC 9113 §4.1, §4.2), the client preface (§3.4) and SETTINGS
//! application (§6.5.3, RFC 8441 §3).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use bytes::Bytes;
use stator_h2::frame::{
    self, Frame, FrameError, FrameReader, FrameType, PREFACE, Peer, PrefaceStatus, Reason, Scope,
    Setting, SettingId, Settings, SettingsFrame, check_preface,
};
use stator_h2::{ErrorCode, StreamId};

fn sid(n: u32) -> StreamId {
    StreamId::new(n).unwrap()
}

#[test]
fn frames_split_across_chunks_byte_by_byte() {
    let mut wire = Vec::new();
    frame::write_data(&mut wire, sid(1), b"hello", false, Some(3)).unwrap();
    frame::write_ping(&mut wire, [9; 8], true);
    let mut reader = FrameReader::new(frame::DEFAULT_MAX_FRAME_SIZE);
    let mut got = Vec::new();
    for b in &wire {
        reader.recv(std::slice::from_ref(b));
        while let Some(f) = reader.next_frame().unwrap() {
            got.push(f);
        }
    }
    assert_eq!(
        got,
        [
            Frame::Data {
                stream_id: sid(1),
                data: Bytes::from_static(b"hello"),
                end_stream: false,
                pad_len: Some(3)
            },
            Frame::Ping {
                ack: true,
                data: [9; 8]
            },
        ]
    );
}

#[test]
fn oversized_frame_is_rejected_from_its_header() {
    let mut reader = FrameReader::new(16_384);
    // Only the 9-octet header of a 16,385-octet DATA frame: rejected before the payload.
    reader.recv(&[0x00, 0x40, 0x01, 0x00, 0x00, 0, 0, 0, 1]);
    let want = FrameError::connection(
        ErrorCode::FRAME_SIZE_ERROR,
        FrameType::DATA,
        Reason::FrameTooLarge {
            len: 16_385,
            max: 16_384,
        },
    );
    assert_eq!(reader.next_frame(), Err(want));
    assert_eq!(want.scope, Scope::Connection);
    reader.recv(&[0; 100]);
    assert_eq!(
        reader.next_frame(),
        Err(want),
        "connection errors are sticky"
    );
}

#[test]
fn max_frame_size_follows_our_acknowledged_settings() {
    let mut wire = Vec::new();
    frame::write_data(&mut wire, sid(1), &vec![0; 20_000], false, None).unwrap();
    let mut reader = FrameReader::new(16_384);
    reader.set_max_frame_size(20_000);
    assert_eq!(reader.max_frame_size(), 20_000);
    reader.recv(&wire);
    assert!(
        matches!(reader.next_frame(), Ok(Some(Frame::Data { data, .. })) if data.len() == 20_000)
    );
    // A frame of exactly the maximum passes; one more octet does not.
    let mut reader = FrameReader::new(16_384);
    wire.clear();
    frame::write_data(&mut wire, sid(1), &vec![0; 16_384], false, None).unwrap();
    reader.recv(&wire);
    assert!(reader.next_frame().unwrap().is_some());
}

#[test]
fn stream_errors_are_not_sticky() {
    let mut wire = Vec::new();
    frame::write_raw(&mut wire, FrameType::PRIORITY, 0, sid(1), &[0; 4]).unwrap();
    frame::write_ping(&mut wire, [1; 8], false);
    let mut reader = FrameReader::new(16_384);
    reader.recv(&wire);
    let e = reader.next_frame().unwrap_err();
    assert_eq!(e.scope, Scope::Stream(sid(1)));
    assert_eq!(
        reader.next_frame(),
        Ok(Some(Frame::Ping {
            ack: false,
            data: [1; 8]
        }))
    );
}

#[test]
fn server_reader_consumes_the_preface() {
    let mut reader = FrameReader::server(16_384);
    assert!(reader.expects_preface());
    let mut wire = PREFACE.to_vec();
    frame::write_settings(&mut wire, &Settings::DEFAULT);
    for chunk in wire.chunks(5) {
        reader.recv(chunk);
        if let Some(f) = reader.next_frame().unwrap() {
            assert_eq!(f, Frame::Settings(SettingsFrame::new(&[])));
            assert!(!reader.expects_preface());
            return;
        }
    }
    panic!("no SETTINGS");
}

#[test]
fn server_reader_rejects_a_wrong_preface_at_the_first_wrong_byte() {
    let mut reader = FrameReader::server(16_384);
    reader.recv(b"PRI * HTTP/2.0\r\n");
    assert_eq!(reader.next_frame(), Ok(None));
    reader.recv(b"\r\nX");
    let want = FrameError::connection(
        ErrorCode::PROTOCOL_ERROR,
        FrameType::SETTINGS,
        Reason::InvalidPreface,
    );
    assert_eq!(reader.next_frame(), Err(want));
    assert_eq!(
        reader.buffered(),
        b"PRI * HTTP/2.0\r\n\r\nX",
        "kept for a fallback"
    );
}

#[test]
fn preface_check_classifies_http1() {
    assert_eq!(check_preface(b""), PrefaceStatus::Partial);
    assert_eq!(check_preface(b"PRI * HTTP/2"), PrefaceStatus::Partial);
    assert_eq!(check_preface(PREFACE), PrefaceStatus::Complete);
    let mut more = PREFACE.to_vec();
    more.extend_from_slice(b"\x00\x00");
    assert_eq!(check_preface(&more), PrefaceStatus::Complete);
    assert_eq!(
        check_preface(b"G"),
        PrefaceStatus::MaybeHttp1,
        "wrong at byte 0"
    );
    assert!(check_preface(b"G").is_mismatch());
    assert_eq!(check_preface(b"GET"), PrefaceStatus::MaybeHttp1);
    assert_eq!(check_preface(b"GET / HTTP/1.1\r\n"), PrefaceStatus::Http1);
    assert_eq!(check_preface(b"PRI / HTTP/1.1\r\n"), PrefaceStatus::Http1);
    assert_eq!(check_preface(b"OPTIONS * HTTP/1.1"), PrefaceStatus::Http1);
    assert_eq!(
        check_preface(b"\x16\x03\x01\x02"),
        PrefaceStatus::Invalid,
        "a TLS ClientHello"
    );
    assert_eq!(
        check_preface(b"PRI * HTTP/2.0\r\n\r\nXX"),
        PrefaceStatus::Invalid
    );
    assert_eq!(check_preface(b" GET"), PrefaceStatus::Invalid);
    assert_eq!(
        check_preface(&[b'A'; 21]),
        PrefaceStatus::Invalid,
        "too long a method"
    );
}

#[test]
fn settings_defaults_and_writer() {
    let mut out = Vec::new();
    frame::write_settings(&mut out, &Settings::default());
    assert_eq!(
        out,
        [0, 0, 0, 4, 0, 0, 0, 0, 0],
        "all defaults: an empty SETTINGS"
    );
    let ours = Settings {
        enable_push: false,
        max_concurrent_streams: Some(100),
        initial_window_size: 1 << 20,
        enable_connect_protocol: true,
        ..Settings::DEFAULT
    };
    out.clear();
    frame::write_settings(&mut out, &ours);
    assert_eq!(
        out,
        [
            0, 0, 24, 4, 0, 0, 0, 0, 0, //
            0, 2, 0, 0, 0, 0, //
            0, 3, 0, 0, 0, 100, //
            0, 4, 0, 0x10, 0, 0, //
            0, 8, 0, 0, 0, 1,
        ]
    );
    // The peer applying it ends up with our values.
    let mut reader = FrameReader::new(16_384);
    reader.recv(&out);
    let Some(Frame::Settings(f)) = reader.next_frame().unwrap() else {
        panic!()
    };
    let mut theirs = Settings::DEFAULT;
    theirs.apply(&f, Peer::Client).unwrap();
    assert_eq!(theirs, ours);
}

#[test]
fn settings_apply_rules() {
    let s = |id, value| SettingsFrame::new(&[Setting { id, value }]);
    let mut peer = Settings::DEFAULT;
    peer.apply(&s(SettingId::MAX_FRAME_SIZE, 1 << 20), Peer::Server)
        .unwrap();
    assert_eq!(peer.max_frame_size, 1 << 20);
    peer.apply(&s(SettingId(0x77), 5), Peer::Server).unwrap();
    peer.apply(&SettingsFrame::ACK, Peer::Server).unwrap();
    assert_eq!(
        peer.max_frame_size,
        1 << 20,
        "unknown settings and ACK change nothing"
    );

    // Invalid values are rejected all or nothing.
    let bad = SettingsFrame::new(&[
        Setting {
            id: SettingId::HEADER_TABLE_SIZE,
            value: 0,
        },
        Setting {
            id: SettingId::INITIAL_WINDOW_SIZE,
            value: 1 << 31,
        },
    ]);
    let before = peer;
    assert_eq!(
        peer.apply(&bad, Peer::Client).unwrap_err().code,
        ErrorCode::FLOW_CONTROL_ERROR
    );
    assert_eq!(peer, before);

    // A server may not enable push (RFC 9113 §6.5.2); a client may.
    assert_eq!(
        Settings::default().apply(&s(SettingId::ENABLE_PUSH, 1), Peer::Server),
        Err(FrameError::connection(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::SETTINGS,
            Reason::InvalidSettingValue { id: 2, value: 1 }
        ))
    );
    assert!(
        Settings::default()
            .apply(&s(SettingId::ENABLE_PUSH, 1), Peer::Client)
            .is_ok()
    );

    // ENABLE_CONNECT_PROTOCOL may not go back from 1 to 0 (RFC 8441 §3).
    let mut server = Settings::DEFAULT;
    server
        .apply(&s(SettingId::ENABLE_CONNECT_PROTOCOL, 1), Peer::Server)
        .unwrap();
    assert!(server.enable_connect_protocol);
    server
        .apply(&s(SettingId::ENABLE_CONNECT_PROTOCOL, 1), Peer::Server)
        .unwrap();
    assert_eq!(
        server.apply(&s(SettingId::ENABLE_CONNECT_PROTOCOL, 0), Peer::Server),
        Err(FrameError::connection(
            ErrorCode::PROTOCOL_ERROR,
            FrameType::SETTINGS,
            Reason::SettingChanged {
                id: 8,
                old: 1,
                new: 0
            }
        ))
    );
    let mut client = Settings::DEFAULT;
    client
        .apply(&s(SettingId::NO_RFC7540_PRIORITIES, 1), Peer::Client)
        .unwrap();
    assert!(client.no_rfc7540_priorities);
    client
        .apply(&s(SettingId::MAX_HEADER_LIST_SIZE, 8192), Peer::Client)
        .unwrap();
    assert_eq!(client.max_header_list_size, Some(8192));
}

#[test]
fn settings_frame_entries_later_override_earlier() {
    let f = SettingsFrame::new(&[
        Setting {
            id: SettingId::HEADER_TABLE_SIZE,
            value: 1,
        },
        Setting {
            id: SettingId::HEADER_TABLE_SIZE,
            value: 2,
        },
    ]);
    assert_eq!(f.len(), 2);
    let mut s = Settings::DEFAULT;
    s.apply(&f, Peer::Client).unwrap();
    assert_eq!(s.header_table_size, 2);
}

#[test]
fn write_settings_entries_sends_invalid_values_for_test_peers() {
    let mut out = Vec::new();
    frame::write_settings_entries(
        &mut out,
        &[Setting {
            id: SettingId::ENABLE_PUSH,
            value: 7,
        }],
    )
    .unwrap();
    assert_eq!(out, [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 7]);
}

#[test]
fn goaway_and_window_update_and_priority_update_writers() {
    let mut out = Vec::new();
    frame::write_goaway(&mut out, sid(3), ErrorCode::PROTOCOL_ERROR, b"x").unwrap();
    assert_eq!(
        out,
        [0, 0, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, b'x']
    );
    out.clear();
    frame::write_window_update(&mut out, sid(1), 0x8000_0001);
    assert_eq!(out, [0, 0, 4, 8, 0, 0, 0, 0, 1, 0, 0, 0, 1], "low 31 bits");
    out.clear();
    frame::write_priority_update(&mut out, sid(1), b"u=0").unwrap();
    assert_eq!(
        out,
        [0, 0, 7, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'u', b'=', b'0']
    );
    out.clear();
    frame::write_ping(&mut out, *b"01234567", true);
    assert_eq!(
        out,
        [
            0, 0, 8, 6, 1, 0, 0, 0, 0, b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7'
        ]
    );
}
