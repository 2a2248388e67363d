//! The RFC's examples byte for byte, and whole conversations between a client and a server.

use bytes::Bytes;

use super::*;
use crate::error::UsageError;
use crate::frame::OpCode;
use crate::{Chunk, Event, Message, MessageKind, State};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const MASKED_HELLO: [u8; 5] = [0x7f, 0x9f, 0x4d, 0x51, 0x58];

fn keyed_client() -> Connection {
    Connection::new(Config::client(FixedKey(KEY)))
}

// RFC 6455 §5.7, every example.

#[test]
fn rfc_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let mut s = server();
    s.send_text("Hello").unwrap();
    assert_eq!(output(&mut s), wire);
    let mut c = client();
    c.recv(&wire);
    assert_eq!(events(&mut c), [Event::Message(Message::text("Hello"))]);
}

#[test]
fn rfc_masked_text() {
    let mut wire = vec![0x81, 0x85];
    wire.extend(KEY);
    wire.extend(MASKED_HELLO);
    let mut c = keyed_client();
    c.send_text("Hello").unwrap();
    assert_eq!(output(&mut c), wire);
    let mut s = server();
    s.recv(&wire);
    assert_eq!(events(&mut s), [Event::Message(Message::text("Hello"))]);
}

#[test]
fn rfc_fragmented_text() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    let mut s = server();
    assert_eq!(s.send_fragment(MessageKind::Text, b"Hel", false), Ok(3));
    assert_eq!(s.send_fragment(MessageKind::Text, b"lo", true), Ok(2));
    assert_eq!(output(&mut s), wire);
    let mut c = client();
    c.recv(&wire);
    assert_eq!(events(&mut c), [Event::Message(Message::text("Hello"))]);
}

#[test]
fn rfc_ping_and_masked_pong() {
    // The server pings "Hello"; the client's automatic pong is the RFC's masked pong.
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let mut s = server();
    s.ping(b"Hello").unwrap();
    assert_eq!(output(&mut s), ping);
    let mut c = keyed_client();
    c.recv(&ping);
    assert_eq!(events(&mut c), [Event::Ping(Bytes::from_static(b"Hello"))]);
    let mut pong = vec![0x8a, 0x85];
    pong.extend(KEY);
    pong.extend(MASKED_HELLO);
    assert_eq!(output(&mut c), pong);
    s.recv(&pong);
    assert_eq!(events(&mut s), [Event::Pong(Bytes::from_static(b"Hello"))]);
}

#[test]
fn rfc_256_and_65536_byte_binary() {
    for (len, header) in [
        (256usize, &[0x82, 0x7e, 0x01, 0x00][..]),
        (65536, &[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut s = server();
        s.send_binary(&data).unwrap();
        let wire = output(&mut s);
        assert_eq!(&wire[..header.len()], header);
        assert_eq!(&wire[header.len()..], &data[..]);
        let mut c = client();
        c.recv(&wire);
        assert_eq!(events(&mut c), [Event::Message(Message::binary(data))]);
    }
}

#[test]
fn client_uses_a_fresh_key_per_frame() {
    let mut c = client();
    c.send_text("a").unwrap();
    c.send_text("a").unwrap();
    c.ping(b"").unwrap();
    let keys: Vec<_> = frames(&output(&mut c))
        .iter()
        .map(|(h, _)| h.mask.unwrap())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys[0] != keys[1] && keys[1] != keys[2], "{keys:?}");
    let mut s = server();
    s.send_text("a").unwrap();
    assert!(
        frames(&output(&mut s))
            .iter()
            .all(|(h, _)| h.mask.is_none())
    );
}

#[test]
fn close_handshake_initiated_by_client() {
    let mut p = Pair::default_pair();
    p.client.close(CloseCode::NORMAL, "done").unwrap();
    assert!(matches!(p.client.state(), State::Closing(c) if c.sent.code == CloseCode::NORMAL));
    // Still receiving in CLOSING (RFC 6455 §5.5.1): the server's last message arrives.
    p.server.send_text("last").unwrap();
    let evs = p.deliver_to_server();
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert!(
        matches!(&evs[0], Event::CloseReceived(f) if f.code == CloseCode::NORMAL && f.reason == "done")
    );
    let closed = closed_event(&evs).unwrap();
    assert!(closed.clean);
    assert_eq!(closed.cause, CloseCause::Handshake);
    assert_eq!(p.server.send_text("x"), Err(UsageError::Closed.into()));
    assert!(
        !p.server.wants_close_transport(),
        "the reply is not flushed yet"
    );
    let evs = p.deliver_to_client();
    assert!(p.server.wants_close_transport());
    assert_eq!(evs[0], Event::Message(Message::text("last")));
    assert!(matches!(&evs[1], Event::CloseReceived(f) if f.code == CloseCode::NORMAL));
    let closed = closed_event(&evs).unwrap();
    assert!(closed.clean);
    assert_eq!(closed.code, CloseCode::NORMAL);
    assert!(p.client.wants_close_transport());
    // The client got one close frame; nothing more goes out.
    assert!(output(&mut p.client).is_empty());
    assert!(output(&mut p.server).is_empty());
}

#[test]
fn close_without_status() {
    let mut p = Pair::default_pair();
    p.server.close(CloseCode::NO_STATUS, "").unwrap();
    let wire = output(&mut p.server);
    assert_eq!(wire, [0x88, 0x00]);
    p.client.recv(&wire);
    let evs = events(&mut p.client);
    assert_eq!(closed_event(&evs).unwrap().code, CloseCode::NO_STATUS);
    // The reply is an empty close frame too.
    let reply = frames(&output(&mut p.client));
    assert_eq!(reply.len(), 1);
    assert_eq!((reply[0].0.opcode, reply[0].1.len()), (OpCode::Close, 0));
}

#[test]
fn eof_without_close_is_1006() {
    let mut c = client();
    c.recv(&from_server(0x81, b"hi"));
    c.recv_eof();
    let evs = events(&mut c);
    assert_eq!(evs[0], Event::Message(Message::text("hi")));
    let closed = closed_event(&evs).unwrap();
    assert_eq!(
        (closed.code, closed.clean, &closed.cause),
        (CloseCode::ABNORMAL, false, &CloseCause::Eof)
    );
    assert!(output(&mut c).is_empty(), "1006 is never sent");
}

#[test]
fn close_frame_and_eof_in_one_read_is_clean() {
    let mut c = client();
    c.close(CloseCode::NORMAL, "").unwrap();
    let _ = output(&mut c);
    c.recv(&from_server(0x88, &1000u16.to_be_bytes()));
    c.recv_eof();
    let evs = events(&mut c);
    assert!(closed_event(&evs).unwrap().clean);
}

#[test]
fn eof_mid_frame_is_1006() {
    let mut s = server();
    s.recv(&from_client(0x82, &[1, 2, 3])[..5]);
    s.recv_eof();
    let evs = events(&mut s);
    assert_eq!(closed_event(&evs).unwrap().code, CloseCode::ABNORMAL);
}

#[test]
fn stream_reset_aborts() {
    let mut s = server();
    s.send_text("unsent").unwrap();
    s.recv(&from_client(0x81, b"unread"));
    s.reset();
    let evs = events(&mut s);
    assert_eq!(evs.len(), 1);
    assert_eq!(closed_event(&evs).unwrap().cause, CloseCause::Reset);
    assert!(output(&mut s).is_empty());
    assert!(s.wants_close_transport());
}

#[test]
fn only_the_latest_pong_is_sent() {
    let mut c = client();
    for i in 0..100u8 {
        c.recv(&from_server(0x89, &[i]));
    }
    assert_eq!(events(&mut c).len(), 100);
    let sent = frames(&output(&mut c));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].0.opcode, sent[0].1.as_slice()),
        (OpCode::Pong, &[99u8][..])
    );
}

#[test]
fn auto_pong_can_be_turned_off() {
    let mut c = Connection::new(client_config().with_auto_pong(false));
    c.recv(&from_server(0x89, b"x"));
    assert_eq!(events(&mut c), [Event::Ping(Bytes::from_static(b"x"))]);
    assert!(output(&mut c).is_empty());
    c.pong(b"x").unwrap();
    assert_eq!(frames(&output(&mut c))[0].1, b"x");
}

#[test]
fn pending_pong_goes_before_our_close() {
    let mut c = client();
    c.recv(&from_server(0x89, b"p"));
    let _ = events(&mut c);
    c.close(CloseCode::NORMAL, "").unwrap();
    let ops: Vec<_> = frames(&output(&mut c))
        .iter()
        .map(|(h, _)| h.opcode)
        .collect();
    assert_eq!(ops, [OpCode::Pong, OpCode::Close]);
}

#[test]
fn data_backpressure_and_writable() {
    let limits = Limits {
        max_pending_output: 100,
        ..Limits::default()
    };
    let mut s = Connection::new(Config::server().with_limits(limits));
    s.send_binary(&[0; 60]).unwrap();
    s.send_binary(&[0; 60]).unwrap(); // accepted: 62 < 100 before it
    assert_eq!(s.send_binary(&[0; 1]), Err(Error::WouldBlock));
    assert_eq!(
        s.send_fragment(MessageKind::Binary, &[0; 1], true),
        Err(Error::WouldBlock)
    );
    // Control frames have their own budget.
    s.ping(b"").unwrap();
    assert_eq!(s.poll_event(), None);
    let out = output(&mut s);
    assert_eq!(frames(&out).len(), 3);
    assert_eq!(events(&mut s), [Event::Writable]);
    // Fragments accept what fits, and then the caller sends the rest.
    assert_eq!(
        s.send_fragment(MessageKind::Binary, &[7; 150], true),
        Ok(100)
    );
    assert_eq!(
        s.send_fragment(MessageKind::Binary, &[7; 50], true),
        Err(Error::WouldBlock)
    );
    let first = frames(&output(&mut s));
    assert!(!first[0].0.fin, "a partly accepted fragment is not final");
    assert_eq!(s.send_fragment(MessageKind::Binary, &[7; 50], true), Ok(50));
    let second = frames(&output(&mut s));
    assert!(second[0].0.fin && second[0].0.opcode == OpCode::Continuation);
}

#[test]
fn control_frame_budget() {
    let mut c = client();
    for _ in 0..Limits::DEFAULT_MAX_PENDING_CONTROL_FRAMES {
        c.ping(b"").unwrap();
    }
    assert_eq!(c.pong(b""), Err(Error::WouldBlock));
    let _ = output(&mut c);
    assert_eq!(events(&mut c), [Event::Writable]);
    c.ping(b"").unwrap();
}

#[test]
fn poll_transmit_gives_the_same_bytes() {
    let mut a = Connection::new(Config::client(FixedKey(KEY)));
    let mut b = Connection::new(Config::client(FixedKey(KEY)));
    for c in [&mut a, &mut b] {
        c.send_text("one").unwrap();
        c.ping(b"two").unwrap();
    }
    assert_eq!(a.poll_transmit().unwrap(), output(&mut b));
    assert_eq!(a.poll_transmit(), None);
}

#[test]
fn recv_bytes_takes_the_buffer_over() {
    let mut s = server();
    s.recv_bytes(Bytes::from(from_client(0x82, b"abc")));
    assert_eq!(
        events(&mut s),
        [Event::Message(Message::binary(&b"abc"[..]))]
    );
    // Shared input is copied.
    let shared = Bytes::from(from_client(0x82, b"def"));
    s.recv_bytes(shared.clone());
    assert_eq!(
        events(&mut s),
        [Event::Message(Message::binary(&b"def"[..]))]
    );
}

fn chunks_of(evs: &[Event]) -> Vec<Chunk> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Chunk(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn stream_mode_delivers_partial_frames() {
    let mut c = Connection::new(client_config().with_receive_mode(ReceiveMode::Stream));
    let wire = from_server(0x02, &[1, 2, 3, 4, 5, 6]);
    c.recv(&wire[..5]);
    let first = chunks_of(&events(&mut c));
    assert_eq!(
        first,
        [Chunk {
            kind: MessageKind::Binary,
            data: Bytes::from_static(&[1, 2, 3]),
            first: true,
            last: false
        }]
    );
    c.recv(&wire[5..]);
    c.recv(&from_server(0x80, b""));
    let rest = chunks_of(&events(&mut c));
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].data, Bytes::from_static(&[4, 5, 6]));
    assert!(!rest[0].first && !rest[0].last);
    assert!(rest[1].data.is_empty() && rest[1].last);
}

#[test]
fn stream_mode_cuts_text_on_character_boundaries() {
    let mut c = Connection::new(client_config().with_receive_mode(ReceiveMode::Stream));
    let text = "aκb€";
    let wire = from_server(0x81, text.as_bytes());
    let mut got = Vec::new();
    for b in &wire {
        c.recv(std::slice::from_ref(b));
        for chunk in chunks_of(&events(&mut c)) {
            assert!(std::str::from_utf8(&chunk.data).is_ok(), "{:?}", chunk.data);
            got.extend_from_slice(&chunk.data);
        }
    }
    assert_eq!(got, text.as_bytes());
}

#[test]
fn deflate_pair_round_trip_and_rsv1_on_first_frame_only() {
    for bits in 8..=15 {
        for no_takeover in [false, true] {
            let mut p = Pair::with_deflate(
                Some(deflate(bits, no_takeover)),
                ReceiveMode::Message,
                Limits::default(),
            );
            let text = "Hello, compressed world! ".repeat(20);
            for _ in 0..3 {
                p.client.send_text(&text).unwrap();
                assert_eq!(
                    p.deliver_to_server(),
                    [Event::Message(Message::text(text.as_str()))]
                );
                p.server.send_binary(text.as_bytes()).unwrap();
                assert_eq!(
                    p.deliver_to_client(),
                    [Event::Message(Message::binary(text.clone().into_bytes()))]
                );
            }
            p.client
                .send_fragment(MessageKind::Text, b"Hello, ", false)
                .unwrap();
            p.client
                .send_fragment(MessageKind::Text, b"world", true)
                .unwrap();
            let wire = output(&mut p.client);
            let rsv1: Vec<bool> = frames(&wire).iter().map(|(h, _)| h.rsv1).collect();
            assert_eq!(rsv1, [true, false]);
            p.server.recv(&wire);
            assert_eq!(
                events(&mut p.server),
                [Event::Message(Message::text("Hello, world"))]
            );
        }
    }
}

#[test]
fn rfc_7692_hello_on_the_wire() {
    // RFC 7692 §7.2.3.1: "Hello" compressed, sent unmasked by a server.
    let wire = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let mut s = Connection::new(Config::server().with_deflate(Some(deflate(15, false))));
    s.send_text("Hello").unwrap();
    assert_eq!(output(&mut s), wire);
    let mut c = Connection::new(client_config().with_deflate(Some(deflate(15, false))));
    c.recv(&wire);
    assert_eq!(events(&mut c), [Event::Message(Message::text("Hello"))]);
    // §7.2.3.1 also shows it split into two fragments; only the first has RSV1.
    c.recv(&[
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ]);
    assert_eq!(events(&mut c), [Event::Message(Message::text("Hello"))]);
    // An empty compressed payload (RFC 7692 wants 0x00, but be lenient) leaves the
    // inflater usable.
    c.recv(&[0xc1, 0x00]);
    c.recv(&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    assert_eq!(
        events(&mut c),
        [
            Event::Message(Message::text("")),
            Event::Message(Message::text("Hello"))
        ]
    );
    // §7.2.3.3: a message in a stored (uncompressed) block.
    c.recv(&[
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ]);
    assert_eq!(events(&mut c), [Event::Message(Message::text("Hello"))]);
}

#[test]
fn compressed_stream_mode() {
    let mut p = Pair::with_deflate(
        Some(deflate(15, false)),
        ReceiveMode::Stream,
        Limits::default(),
    );
    let text = "ünïcödé ".repeat(20_000);
    p.server.send_text(&text).unwrap();
    let chunks = chunks_of(&p.deliver_to_client());
    assert!(chunks.len() > 2, "inflated in bounded steps");
    assert!(chunks[0].first && chunks.last().unwrap().last);
    let mut all = Vec::new();
    for c in &chunks {
        assert!(std::str::from_utf8(&c.data).is_ok());
        all.extend_from_slice(&c.data);
    }
    assert_eq!(all, text.as_bytes());
}
