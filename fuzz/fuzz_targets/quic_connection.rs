//! An established connection fed arbitrary frame sequences as if they came from its
//! peer in 1-RTT packets (`Connection::inject_packet` bypasses packet protection; the
//! packet numbers are reserved in the real peer, so the pair stays consistent), with the
//! real peer on the other end of an in-memory wire.
//!
//! Input: one flag byte, then packets: a little-endian u16 length, that many payload
//! bytes (fewer if the input ends), and one byte `step`: its low 5 bits × 5 ms of time
//! pass after the packet, its high 3 bits pick something the target's application does
//! (open and write a stream, finish, reset, stop sending, send a datagram, rotate
//! connection IDs, update keys). Flags: bit 0 injects into the server (else the client);
//! bit 1 has the peer send 3000 bytes on a stream and a datagram; bit 2 has the target
//! do the same.
//!
//! Checked: nothing panics; a connection that closes because of an error is closing and
//! sends a `CONNECTION_CLOSE` whose code RFC 9000 (or RFC 9368, or a TLS alert, RFC
//! 9001 §4.8) defines, and that code is the one the peer receives; the peer only ever
//! closes with a code from the target's close; streams and datagrams stay within what
//! the configuration allows and never deliver more bytes than were sent.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::conn::fuzzing::{CLIENT_ADDR, SERVER_ADDR, split_transmit};
use stator_quic::conn::{CloseReason, Connection, Event};
use stator_quic::stream::{Dir, Read, StreamEvent, StreamId};
use stator_quic::{Code, Ecn, Level, TransportConfig};

/// Codes RFC 9000 §20.1 (and RFC 9368's 0x11) define, and the crypto range.
fn defined(code: Code) -> bool {
    code.0 <= 0x11 || (0x0100..=0x01ff).contains(&code.0)
}

/// Drives the application side: events, stream reads, datagrams. Returns the stream
/// bytes read; the streams the peer opened go to `opened`.
fn drain(conn: &mut Connection, opened: &mut Vec<StreamId>) -> u64 {
    let mut read = 0u64;
    let mut ids = Vec::new();
    for _ in 0..10_000 {
        let Some(event) = conn.poll_event() else {
            break;
        };
        match event {
            Event::Stream(StreamEvent::Opened { id }) => {
                ids.push(id);
                if opened.len() < 16 {
                    opened.push(id);
                }
            }
            Event::Stream(StreamEvent::Readable { id }) => ids.push(id),
            Event::Closed(_) => {}
            _ => {}
        }
    }
    for id in ids {
        for _ in 0..1000 {
            match conn.stream_read(id, usize::MAX) {
                Ok(Read::Data(d)) => read += d.len() as u64,
                _ => break,
            }
        }
    }
    let queue = stator_quic::DatagramConfig::default().recv_queue;
    let mut datagrams = 0;
    while conn.recv_datagram().is_some() {
        datagrams += 1;
    }
    assert!(datagrams <= queue);
    read
}

/// Sends `conn`'s datagrams to `peer`; returns how many.
fn deliver(
    conn: &mut Connection,
    peer: &mut Connection,
    peer_sees: std::net::SocketAddr,
    now: Instant,
    buf: &mut Vec<u8>,
) -> usize {
    let mut n = 0;
    for _ in 0..200 {
        let Some(t) = conn.poll_transmit(now, buf) else {
            break;
        };
        for d in split_transmit(buf, &t) {
            peer.handle_datagram(now, peer_sees, Ecn::NotEct, d);
            n += 1;
        }
    }
    n
}

fn transport_close(conn: &Connection) -> Option<Code> {
    match conn.close_reason() {
        Some(CloseReason::Transport(e)) => Some(e.code),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let Some((client, server, mut now)) = Connection::fuzz_pair(u64::from(flags)) else {
        panic!("the in-memory handshake failed");
    };
    let to_server = flags & 1 == 1;
    let (mut target, mut peer, peer_addr, target_addr) = if to_server {
        (server, client, CLIENT_ADDR, SERVER_ADDR)
    } else {
        (client, server, SERVER_ADDR, CLIENT_ADDR)
    };
    let limits = TransportConfig::default().streams;
    let mut sent_to_target = 0u64;
    let mut target_opened = 0;
    for (bit, conn, sent) in [(2, &mut peer, true), (4, &mut target, false)] {
        if flags & bit != 0 {
            if let Some(id) = conn.open_stream(Dir::Bidi) {
                let n = conn
                    .stream_write(id, &Bytes::from(vec![0x5a; 3000]))
                    .unwrap_or(0);
                let _ = conn.stream_finish(id);
                if sent {
                    sent_to_target += n as u64;
                } else {
                    target_opened += 1;
                }
            }
            let _ = conn.send_datagram(Bytes::from_static(b"datagram"));
        }
    }
    let mut buf = Vec::new();
    let mut read = 0u64;
    let mut opened = Vec::new();
    let mut peer_streams = Vec::new();
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len)).min(tail.len());
        let (payload, tail) = tail.split_at(len);
        let (step, tail) = tail.split_first().map_or((0, &[][..]), |(&s, t)| (s, t));
        rest = tail;
        sent_to_target += payload.len() as u64;

        let was_closing = target.is_closing();
        let pn = peer.fuzz_reserve_packet_number(now);
        target.inject_packet(now, Level::OneRtt, pn, Bytes::copy_from_slice(payload));
        if !was_closing && let Some(code) = transport_close(&target) {
            assert!(target.is_closing());
            assert!(defined(code), "undefined close code {code:?}");
            // The CONNECTION_CLOSE goes out at once.
            let n = deliver(&mut target, &mut peer, target_addr, now, &mut buf);
            assert!(n > 0, "no CONNECTION_CLOSE sent");
        }
        for _ in 0..20 {
            let a = deliver(&mut target, &mut peer, target_addr, now, &mut buf);
            let b = deliver(&mut peer, &mut target, peer_addr, now, &mut buf);
            read += drain(&mut target, &mut peer_streams);
            let _ = drain(&mut peer, &mut Vec::new());
            if a + b == 0 {
                break;
            }
            now += Duration::from_millis(1);
        }
        match step >> 5 {
            1 | 2 => {
                let dir = if step >> 5 == 1 { Dir::Bidi } else { Dir::Uni };
                if let Some(id) = target.open_stream(dir) {
                    target_opened += 1;
                    let _ = target.stream_write(id, &Bytes::from(vec![0xa5; 1500]));
                    opened.push(id);
                }
            }
            3 => {
                if let Some(&id) = opened.last() {
                    let _ = target.stream_finish(id);
                }
            }
            4 => {
                if let Some(&id) = opened.first() {
                    let _ = target.stream_reset(id, u64::from(step));
                }
            }
            5 => {
                let _ = target.send_datagram(Bytes::from_static(b"from the target"));
                for id in peer_streams.drain(..) {
                    let _ = target.stream_stop(id, 7);
                }
            }
            6 => {
                let _ = target.rotate_connection_ids();
            }
            7 => {
                let _ = target.force_key_update();
            }
            _ => {}
        }
        now += Duration::from_millis(u64::from(step & 0x1f) * 5);
        target.handle_timeout(now);
        peer.handle_timeout(now);

        for conn in [&target, &peer] {
            if let Some(code) = transport_close(conn) {
                assert!(conn.is_closing());
                assert!(defined(code), "undefined close code {code:?}");
            }
        }
        // The peer hears only the target's own close, with its code.
        match peer.close_reason() {
            Some(CloseReason::PeerTransport { code, .. }) => {
                assert_eq!(transport_close(&target), Some(*code));
            }
            Some(CloseReason::PeerApplication { .. }) => panic!("no application closed"),
            _ => {}
        }
        assert!(
            read <= sent_to_target,
            "read {read} > sent {sent_to_target}"
        );
        assert!(
            target.stream_count() as u64
                <= limits.max_remote_bidi + limits.max_remote_uni + target_opened,
            "{} streams",
            target.stream_count()
        );
    }
});
