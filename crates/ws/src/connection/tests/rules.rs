//! Every rule a peer can break, with the exact cause and close code asserted.

use bytes::Bytes;

use super::*;
use crate::error::{LimitError, UsageError, Violation};
use crate::{Event, Message, MessageKind};

#[test]
fn server_rejects_unmasked_frames() {
    // RFC 6455 §5.1.
    assert_fails(
        &mut server(),
        &from_server(0x81, b"Hello"),
        Violation::UnmaskedFrame,
    );
}

#[test]
fn client_rejects_masked_frames() {
    assert_fails(
        &mut client(),
        &from_client(0x81, b"Hello"),
        Violation::MaskedFrame,
    );
}

#[test]
fn reserved_opcodes_are_1002() {
    for op in (0x3..=0x7).chain(0xb..=0xf) {
        assert_fails(
            &mut server(),
            &from_client(0x80 | op, b""),
            Violation::ReservedOpcode(op),
        );
        assert_fails(
            &mut client(),
            &from_server(0x80 | op, b"x"),
            Violation::ReservedOpcode(op),
        );
    }
}

#[test]
fn reserved_bits_are_1002() {
    assert_fails(
        &mut server(),
        &from_client(0xa1, b"x"),
        Violation::ReservedBitSet,
    );
    assert_fails(
        &mut server(),
        &from_client(0x91, b"x"),
        Violation::ReservedBitSet,
    );
    assert_fails(
        &mut client(),
        &from_server(0xc1, b"x"),
        Violation::Rsv1WithoutExtension,
    );
}

#[test]
fn rsv1_rules_under_deflate() {
    let mk = || Connection::new(Config::server().with_deflate(Some(deflate(15, false))));
    // RFC 7692 §6.1: not on control frames, not on continuations.
    assert_fails(
        &mut mk(),
        &from_client(0xc9, b""),
        Violation::Rsv1OnControlFrame,
    );
    let mut input = from_client(0x41, &[0xf2, 0x48]);
    input.extend(from_client(0xc0, &[0xcd]));
    assert_fails(&mut mk(), &input, Violation::Rsv1OnContinuation);
}

#[test]
fn control_frame_rules() {
    // RFC 6455 §5.5: control frames are not fragmented and carry at most 125 bytes.
    assert_fails(
        &mut server(),
        &from_client(0x09, b""),
        Violation::FragmentedControlFrame,
    );
    assert_fails(
        &mut server(),
        &from_client(0x89, &[0; 126]),
        Violation::ControlFrameTooLong(126),
    );
    assert_fails(
        &mut client(),
        &from_server(0x8a, &[0; 200]),
        Violation::ControlFrameTooLong(200),
    );
}

#[test]
fn length_with_msb_set_is_1002() {
    let bytes = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1];
    assert_fails(&mut client(), &bytes, Violation::LengthTooLarge);
}

#[test]
fn fragmentation_rules() {
    // RFC 6455 §5.4.
    assert_fails(
        &mut server(),
        &from_client(0x80, b"lo"),
        Violation::UnexpectedContinuation,
    );
    let mut input = from_client(0x01, b"Hel");
    input.extend(from_client(0x81, b"lo"));
    assert_fails(&mut server(), &input, Violation::ExpectedContinuation);
    let mut input = from_client(0x02, b"Hel");
    input.extend(from_client(0x82, b"lo"));
    assert_fails(&mut server(), &input, Violation::ExpectedContinuation);
}

#[test]
fn control_frames_between_fragments() {
    let mut s = server();
    let mut input = from_client(0x01, b"Hel");
    input.extend(from_client(0x89, b"ping"));
    input.extend(from_client(0x80, b"lo"));
    s.recv(&input);
    assert_eq!(
        events(&mut s),
        [
            Event::Ping(Bytes::from_static(b"ping")),
            Event::Message(Message::text("Hello"))
        ]
    );
}

#[test]
fn invalid_utf8_is_1007() {
    assert_fails(
        &mut server(),
        &from_client(0x81, b"ab\xffcd"),
        Violation::InvalidUtf8,
    );
    // Split across fragments, fine, then bad.
    let mut input = from_client(0x01, "κ".as_bytes().get(..1).unwrap());
    input.extend(from_client(0x80, &[0xce, 0xba]));
    assert_fails(&mut server(), &input, Violation::InvalidUtf8);
    // Incomplete at the end of the message.
    assert_fails(
        &mut server(),
        &from_client(0x81, &[b'a', 0xe2, 0x82]),
        Violation::InvalidUtf8,
    );
    // Surrogates and code points above U+10FFFF.
    assert_fails(
        &mut client(),
        &from_server(0x81, &[0xed, 0xa0, 0x80]),
        Violation::InvalidUtf8,
    );
    assert_fails(
        &mut client(),
        &from_server(0x81, &[0xf4, 0x90, 0x80, 0x80]),
        Violation::InvalidUtf8,
    );
}

#[test]
fn invalid_utf8_fails_before_the_frame_is_complete() {
    // Autobahn 6.4.x: the frame announces 20 bytes; the first 6 arrive with a bad
    // sequence; the connection must fail now, not when the other 14 arrive.
    let frame = from_server(
        0x81,
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited!",
    );
    let mut c = client();
    c.recv(&frame[..2 + 13]);
    assert_eq!(c.error(), None);
    assert_fails(&mut c, &[], Violation::InvalidUtf8);

    // An impossible prefix alone at the end of what arrived: F4 90.
    let mut c = client();
    assert_fails(
        &mut c,
        &from_server(0x81, &[b'a', 0xf4, 0x90, 0x80, 0x80])[..5],
        Violation::InvalidUtf8,
    );
}

#[test]
fn close_frame_payload_rules() {
    assert_fails(
        &mut server(),
        &from_client(0x88, &[0x03]),
        Violation::CloseFrameTooShort,
    );
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
    ] {
        assert_fails(
            &mut server(),
            &from_client(0x88, &code.to_be_bytes()),
            Violation::InvalidCloseCode(code),
        );
    }
    assert_fails(
        &mut server(),
        &from_client(0x88, b"\x03\xe8\xc3\x28"),
        Violation::InvalidCloseReason,
    );
}

#[test]
fn valid_close_codes_are_accepted() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let mut s = server();
        s.recv(&from_client(0x88, &code.to_be_bytes()));
        let evs = events(&mut s);
        let closed = closed_event(&evs).unwrap();
        assert!(closed.clean, "{code}");
        assert_eq!(closed.code, CloseCode::new(code));
        // The reply echoes the code.
        assert_eq!(close_code_sent(&output(&mut s)), Some(code));
    }
}

#[test]
fn frame_size_limit_is_1009_on_the_header() {
    let limits = Limits {
        max_frame_size: 1000,
        ..Limits::default()
    };
    let mut s = Connection::new(Config::server().with_limits(limits));
    // Only the header arrives: the limit is enforced before any payload.
    let header = &from_client(0x82, &[0; 1001])[..8];
    assert_fails(
        &mut s,
        header,
        LimitError::FrameTooLarge {
            size: 1001,
            max: 1000,
        },
    );
}

#[test]
fn message_size_limit_counts_fragments() {
    let limits = Limits {
        max_message_size: 10,
        ..Limits::default()
    };
    let mut s = Connection::new(Config::server().with_limits(limits));
    let mut input = from_client(0x02, &[0; 6]);
    input.extend(from_client(0x80, &[0; 5]));
    assert_fails(&mut s, &input, LimitError::MessageTooLarge { max: 10 });
    // Exactly at the limit is fine.
    let mut s = Connection::new(Config::server().with_limits(limits));
    let mut input = from_client(0x02, &[0; 6]);
    input.extend(from_client(0x80, &[0; 4]));
    s.recv(&input);
    assert_eq!(
        events(&mut s),
        [Event::Message(Message::binary(vec![0; 10]))]
    );
}

#[test]
fn decompression_bomb_is_1009_and_bounded() {
    // 16 MiB of zeros compress to ~16 KiB; the server allows 1 MiB messages.
    let limits = Limits {
        max_message_size: 1 << 20,
        ..Limits::default()
    };
    let mut pair = Pair::with_deflate(
        Some(deflate(15, false)),
        ReceiveMode::Message,
        Limits::default(),
    );
    pair.server = Connection::new(
        Config::server()
            .with_deflate(Some(deflate(15, false)))
            .with_limits(limits),
    );
    pair.client.send_binary(&vec![0u8; 16 << 20]).unwrap();
    let wire = output(&mut pair.client);
    assert!(wire.len() < 100_000, "{}", wire.len());
    assert_fails(
        &mut pair.server,
        &wire,
        LimitError::MessageTooLarge { max: 1 << 20 },
    );
}

#[test]
fn invalid_deflate_data_is_1007() {
    let mut s = Connection::new(Config::server().with_deflate(Some(deflate(15, false))));
    assert_fails(
        &mut s,
        &from_client(0xc2, &[0xff, 0xff, 0xff, 0xff]),
        Violation::InvalidDeflateData,
    );
}

#[test]
fn errors_are_sticky() {
    let mut s = server();
    assert_fails(&mut s, &from_server(0x81, b"x"), Violation::UnmaskedFrame);
    let err = Error::from(Violation::UnmaskedFrame);
    assert_eq!(s.send_text("more"), Err(err.clone()));
    assert_eq!(s.ping(b""), Err(err.clone()));
    assert_eq!(s.close(CloseCode::NORMAL, ""), Err(err.clone()));
    s.recv(&from_client(0x81, b"ignored"));
    assert_eq!(s.poll_event(), None);
    assert!(output(&mut s).is_empty(), "the close frame is sent once");
    s.recv_eof();
    assert_eq!(s.poll_event(), None);
    assert_eq!(s.error(), Some(&err));
}

#[test]
fn protocol_error_while_closing_sends_no_second_close() {
    let mut s = server();
    s.close(CloseCode::GOING_AWAY, "").unwrap();
    assert_eq!(close_code_sent(&output(&mut s)), Some(1001));
    s.recv(&from_client(0x83, b""));
    let evs = events(&mut s);
    let closed = closed_event(&evs).unwrap();
    assert_eq!(
        closed.cause,
        CloseCause::Failed(Violation::ReservedOpcode(3).into())
    );
    assert!(output(&mut s).is_empty());
}

#[test]
fn usage_errors() {
    let mut c = client();
    assert_eq!(
        c.ping(&[0; 126]),
        Err(UsageError::ControlPayloadTooLong(126).into())
    );
    assert_eq!(
        c.pong(&[0; 200]),
        Err(UsageError::ControlPayloadTooLong(200).into())
    );
    assert_eq!(
        c.close(CloseCode::ABNORMAL, ""),
        Err(UsageError::InvalidCloseCode(1006).into())
    );
    assert_eq!(
        c.close(CloseCode::NORMAL, &"x".repeat(124)),
        Err(UsageError::CloseReasonTooLong(124).into())
    );
    assert_eq!(
        c.send_fragment(MessageKind::Text, b"\xff", false),
        Err(UsageError::InvalidUtf8.into())
    );
    assert_eq!(
        c.send_fragment(MessageKind::Text, b"\xe2\x82", true),
        Err(UsageError::InvalidUtf8.into())
    );
    assert_eq!(
        c.send_fragment(MessageKind::Text, b"\xe2\x82", false),
        Ok(2)
    );
    assert_eq!(
        c.send_fragment(MessageKind::Binary, b"x", true),
        Err(UsageError::KindMismatch.into())
    );
    assert_eq!(
        c.send_text("whole"),
        Err(UsageError::MessageInProgress.into())
    );
    assert_eq!(c.send_fragment(MessageKind::Text, b"\xac", true), Ok(1));
    assert!(
        !output(&mut c).is_empty(),
        "nothing refused was sent, the rest was"
    );
    c.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(
        c.close(CloseCode::NORMAL, ""),
        Err(UsageError::AlreadyClosing.into())
    );
    assert_eq!(c.send_binary(b"x"), Err(UsageError::Closed.into()));
    assert_eq!(c.ping(b"x"), Err(UsageError::Closed.into()));
}

#[test]
fn data_after_the_close_frame_is_ignored() {
    let mut c = client();
    let mut input = from_server(0x88, &1000u16.to_be_bytes());
    input.extend(from_server(0x81, b"late"));
    input.extend(from_server(0x83, b"garbage"));
    c.recv(&input);
    let evs = events(&mut c);
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert!(matches!(&evs[0], Event::CloseReceived(f) if f.code == CloseCode::NORMAL));
    assert!(closed_event(&evs).unwrap().clean);
    c.recv(&from_server(0x81, b"later"));
    assert_eq!(c.poll_event(), None);
}
