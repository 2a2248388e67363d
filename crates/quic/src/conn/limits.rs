//! Every limit a peer can run into, hit on an established pair with frames injected
//! past packet protection ([`Connection::inject_packet`]), each checked by the error
//! code of the `CONNECTION_CLOSE` that reaches the other side. The connection cap is hit
//! with two endpoints in memory.
//!
//! Reassembly fragments: a stream's receive buffer holds at most
//! `StreamsConfig::max_segments` separate pieces; a frame that would need more is
//! `FLOW_CONTROL_ERROR` ("too many stream fragments", src/stream/recv.rs: the peer
//! exhausted our buffer). The CRYPTO streams use the same buffer with 64 pieces, and the
//! connection reports that as `CRYPTO_BUFFER_EXCEEDED` (RFC 9000 §7.5).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use stator_wire::rand::SeededRandom;

use super::fuzzing::{self, CLIENT_ADDR, SERVER_ADDR, split_transmit};
use super::*;
use crate::datagram::DatagramConfig;
use crate::endpoint::{Endpoint, EndpointConfig, ServerSetup};
use crate::frame::{Ack, Crypto, Frame, NewConnectionId, Stream};
use crate::stream::StreamsConfig;
use crate::{TokenKey, TokenLifetimes};

struct Pair {
    client: Connection,
    server: Connection,
    now: Instant,
    buf: Vec<u8>,
}

fn pair(transport: TransportConfig) -> Pair {
    let (client, server, now) = Connection::fuzz_pair_with(1, transport).unwrap();
    assert!(client.is_handshake_confirmed() && server.is_handshake_confirmed());
    let mut p = Pair {
        client,
        server,
        now,
        buf: Vec::new(),
    };
    p.settle();
    p
}

fn encode(frames: &[Frame]) -> Bytes {
    let mut buf = Vec::new();
    for f in frames {
        f.write(&mut buf).unwrap();
    }
    buf.into()
}

fn stream(id: u64, offset: u64, data: &[u8], fin: bool) -> Frame {
    Frame::Stream(Stream {
        stream_id: id,
        offset,
        data: Bytes::copy_from_slice(data),
        fin,
    })
}

impl Pair {
    /// The frames as a 1-RTT packet from the client to the server, numbered in the client's space.
    fn client_sends(&mut self, frames: &[Frame]) {
        let pn = self.client.fuzz_reserve_packet_number(self.now);
        self.server
            .inject_packet(self.now, Level::OneRtt, pn, encode(frames));
    }

    /// Moves datagrams both ways until both sides are quiet, 1 ms per round.
    fn settle(&mut self) {
        for _ in 0..50 {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit(self.now, &mut self.buf) {
                for d in split_transmit(&self.buf, &t) {
                    self.server
                        .handle_datagram(self.now, CLIENT_ADDR, Ecn::NotEct, d);
                    moved = true;
                }
            }
            while let Some(t) = self.server.poll_transmit(self.now, &mut self.buf) {
                for d in split_transmit(&self.buf, &t) {
                    self.client
                        .handle_datagram(self.now, SERVER_ADDR, Ecn::NotEct, d);
                    moved = true;
                }
            }
            self.now += Duration::from_millis(1);
            if !moved {
                return;
            }
        }
    }

    /// The server closed with `code`, and the client got that code in the server's
    /// `CONNECTION_CLOSE`.
    fn assert_server_closed_with(&mut self, code: Code) {
        match self.server.close_reason() {
            Some(CloseReason::Transport(e)) => assert_eq!(e.code, code, "{e:?}"),
            other => panic!("server not closed by a transport error: {other:?}"),
        }
        assert!(self.server.is_closing());
        self.settle();
        match self.client.close_reason() {
            Some(CloseReason::PeerTransport { code: got, .. }) => assert_eq!(*got, code),
            other => panic!("the client did not get the close: {other:?}"),
        }
    }

    fn assert_open(&self) {
        assert!(
            self.server.close_reason().is_none(),
            "{:?}",
            self.server.close_reason()
        );
        assert!(
            self.client.close_reason().is_none(),
            "{:?}",
            self.client.close_reason()
        );
    }
}

#[test]
fn streams_beyond_max_streams_are_stream_limit_error() {
    let mut p = pair(TransportConfig::default());
    // The client may open bidirectional streams 0, 4, ..., 4 × 99.
    p.client_sends(&[stream(4 * 99, 0, b"last allowed", false)]);
    p.assert_open();
    p.client_sends(&[stream(4 * 100, 0, b"one too many", false)]);
    p.assert_server_closed_with(Code::STREAM_LIMIT_ERROR);

    // Unidirectional streams (2, 6, ...) have their own limit.
    let mut p = pair(TransportConfig::default());
    p.client_sends(&[stream(4 * 100 + 2, 0, b"x", false)]);
    p.assert_server_closed_with(Code::STREAM_LIMIT_ERROR);
}

fn small_windows() -> TransportConfig {
    TransportConfig {
        streams: StreamsConfig {
            stream_window: 1000,
            max_stream_window: 1000,
            conn_window: 1500,
            max_conn_window: 1500,
            max_segments: 4,
            ..StreamsConfig::default()
        },
        ..TransportConfig::default()
    }
}

#[test]
fn data_beyond_max_stream_data_is_flow_control_error() {
    let mut p = pair(small_windows());
    p.client_sends(&[stream(0, 0, &[1; 1000], false)]);
    p.assert_open();
    p.client_sends(&[stream(0, 1000, &[1], false)]);
    p.assert_server_closed_with(Code::FLOW_CONTROL_ERROR);
}

#[test]
fn data_beyond_max_data_is_flow_control_error() {
    let mut p = pair(small_windows());
    p.client_sends(&[stream(0, 0, &[1; 800], false)]);
    p.client_sends(&[stream(4, 0, &[1; 700], false)]);
    p.assert_open();
    // 1501 bytes across the connection, each stream within its own window.
    p.client_sends(&[stream(8, 0, &[1], false)]);
    p.assert_server_closed_with(Code::FLOW_CONTROL_ERROR);
}

#[test]
fn changed_final_size_is_final_size_error() {
    let mut p = pair(TransportConfig::default());
    p.client_sends(&[stream(0, 0, b"abc", true)]);
    p.assert_open();
    p.client_sends(&[stream(0, 0, b"abcdef", true)]);
    p.assert_server_closed_with(Code::FINAL_SIZE_ERROR);

    // A RESET_STREAM below what arrived is one too.
    let mut p = pair(TransportConfig::default());
    p.client_sends(&[stream(4, 0, b"abcdef", false)]);
    p.client_sends(&[Frame::ResetStream(crate::frame::ResetStream {
        stream_id: 4,
        error_code: 0,
        final_size: 3,
    })]);
    p.assert_server_closed_with(Code::FINAL_SIZE_ERROR);
}

#[test]
fn too_many_stream_fragments_is_flow_control_error() {
    // max_segments 4: four separate pieces fit, the fifth does not. Duplicates add no
    // piece; adjacent pieces are not merged (each is a slice of its frame), so they do
    // count.
    let mut p = pair(small_windows());
    for offset in [1, 3, 5, 7] {
        p.client_sends(&[stream(0, offset, &[1], false)]);
    }
    p.client_sends(&[stream(0, 1, &[1], false)]);
    p.assert_open();
    p.client_sends(&[stream(0, 9, &[1], false)]);
    p.assert_server_closed_with(Code::FLOW_CONTROL_ERROR);
}

fn new_cid(sequence: u64) -> Frame {
    let cid = Bytes::from(vec![sequence as u8 ^ 0xa5; 8]);
    Frame::NewConnectionId(NewConnectionId::new(sequence, 0, cid, [sequence as u8; 16]).unwrap())
}

#[test]
fn connection_ids_beyond_the_limit_are_connection_id_limit_error() {
    let mut p = pair(TransportConfig::default());
    // active_connection_id_limit is 4: the client's first ID and the ones it issued
    // are stored; five more cannot all fit.
    let frames: Vec<Frame> = (10..15).map(new_cid).collect();
    p.client_sends(&frames);
    p.assert_server_closed_with(Code::CONNECTION_ID_LIMIT_ERROR);
}

#[test]
fn crypto_beyond_the_buffer_is_crypto_buffer_exceeded() {
    let mut p = pair(TransportConfig::default());
    let limit = TransportConfig::default().max_crypto_buffer;
    // Within the buffer (not yet readable: nothing at offset 0 in 1-RTT).
    p.client_sends(&[Frame::Crypto(Crypto {
        offset: limit - 1,
        data: Bytes::from_static(b"x"),
    })]);
    p.assert_open();
    p.client_sends(&[Frame::Crypto(Crypto {
        offset: limit,
        data: Bytes::from_static(b"x"),
    })]);
    p.assert_server_closed_with(Code::CRYPTO_BUFFER_EXCEEDED);
}

#[test]
fn too_many_crypto_fragments_is_crypto_buffer_exceeded() {
    // The CRYPTO reassembly holds 64 pieces (space.rs).
    let mut p = pair(TransportConfig::default());
    for i in 0..64u64 {
        p.client_sends(&[Frame::Crypto(Crypto {
            offset: 1 + 2 * i,
            data: Bytes::from_static(b"x"),
        })]);
    }
    p.assert_open();
    p.client_sends(&[Frame::Crypto(Crypto {
        offset: 1 + 2 * 64,
        data: Bytes::from_static(b"x"),
    })]);
    p.assert_server_closed_with(Code::CRYPTO_BUFFER_EXCEEDED);
}

#[test]
fn datagram_queue_overflow_drops_the_oldest_without_error() {
    let mut p = pair(TransportConfig::default());
    let queue = DatagramConfig::default().recv_queue;
    for i in 0..queue + 6 {
        p.client_sends(&[Frame::Datagram(Bytes::from(vec![i as u8; 10]))]);
    }
    p.assert_open();
    assert_eq!(p.server.datagrams.stats().dropped_recv, 6);
    assert_eq!(p.server.datagrams.stats().received, (queue + 6) as u64);
    let got: Vec<Bytes> = std::iter::from_fn(|| p.server.recv_datagram()).collect();
    assert_eq!(got.len(), queue);
    assert_eq!(got[0][0], 6, "the six oldest were dropped");
}

#[test]
fn oversized_datagram_is_protocol_violation() {
    let transport = TransportConfig {
        datagrams: DatagramConfig {
            max_frame_size: Some(100),
            ..DatagramConfig::default()
        },
        ..TransportConfig::default()
    };
    let mut p = pair(transport);
    // Type, a 2-byte length and 97 bytes: exactly 100.
    p.client_sends(&[Frame::Datagram(Bytes::from(vec![0; 97]))]);
    p.assert_open();
    p.client_sends(&[Frame::Datagram(Bytes::from(vec![0; 98]))]);
    p.assert_server_closed_with(Code::PROTOCOL_VIOLATION);
}

#[test]
fn ack_of_a_packet_never_sent_is_protocol_violation() {
    let mut p = pair(TransportConfig::default());
    let next = p.server.spaces[Space::Data].next_pn;
    let ack = Ack::new([next + 100..=next + 100], 0, None).unwrap();
    p.client_sends(&[Frame::Ack(ack)]);
    p.assert_server_closed_with(Code::PROTOCOL_VIOLATION);
}

#[test]
fn ack_with_many_ranges_is_processed() {
    // The server sends 400 PINGs the client never sees; the client's (injected) ACK
    // acknowledges every other one: 200 ranges, far more than the 64 we keep ourselves.
    let mut p = pair(TransportConfig::default());
    let first = p.server.spaces[Space::Data].next_pn;
    for _ in 0..400 {
        p.server.ping();
        let _ = p.server.poll_transmit(p.now, &mut p.buf).unwrap();
    }
    let last = p.server.spaces[Space::Data].next_pn - 1;
    let ranges: Vec<_> = (0..200)
        .map(|i| last - 2 * i)
        .filter(|&pn| pn >= first)
        .map(|pn| pn..=pn)
        .collect();
    let ack = Ack::new(ranges, 0, None).unwrap();
    assert!(ack.range_count() >= 199);
    let in_flight = p.server.bytes_in_flight();
    p.client_sends(&[Frame::Ack(ack)]);
    p.assert_open();
    assert!(p.server.bytes_in_flight() < in_flight);
}

#[test]
fn acks_we_send_keep_at_most_max_ack_ranges() {
    let max = TransportConfig::default().max_ack_ranges;
    let mut p = pair(TransportConfig::default());
    // Every other packet number of the client's arrives: one range each.
    for _ in 0..3 * max {
        let _skipped = p.client.fuzz_reserve_packet_number(p.now);
        p.client_sends(&[Frame::Ping]);
    }
    let received = &p.server.spaces[Space::Data].received;
    assert_eq!(received.range_count(), max);
    let ack = received.ack_frame(p.now, 3, usize::MAX).unwrap();
    assert!(ack.range_count() as usize <= max, "{}", ack.range_count());
    // The ACK goes out and the client accepts it.
    p.settle();
    p.assert_open();
}

#[test]
fn initials_beyond_max_connections_are_dropped() {
    let transport = Arc::new(TransportConfig::default());
    let mut config = EndpointConfig::new(ResetKey::new(b"server reset key")).seeded();
    config.max_connections = 2;
    config.server = Some(ServerSetup {
        config: fuzzing::server_config(transport.clone()).unwrap(),
        retry: false,
        token_key: Arc::new(TokenKey::new(&[5; 32])),
        token_lifetimes: TokenLifetimes::default(),
    });
    let mut server = Endpoint::new(config, Box::new(SeededRandom::new(1)));
    let mut client = Endpoint::new(
        EndpointConfig::new(ResetKey::new(b"client reset key")).seeded(),
        Box::new(SeededRandom::new(2)),
    );
    let client_config = fuzzing::client_config(transport).unwrap();
    let mut now = Instant::now();
    let start = now;
    for _ in 0..4 {
        client.connect(now, &client_config, SERVER_ADDR).unwrap();
    }
    let mut buf = Vec::new();
    let mut flight = Vec::new();
    while let Some(t) = client.poll_transmit(now, &mut buf) {
        flight.extend(split_transmit(&buf, &t));
    }
    assert_eq!(flight.len(), 4, "one Initial per connection");
    for d in flight {
        server.handle_datagram(now, CLIENT_ADDR, SERVER_ADDR, Ecn::NotEct, d);
    }
    assert_eq!(server.connection_count(), 2);
    assert_eq!(server.stats().accepted, 2);
    assert_eq!(server.stats().dropped, 2);
    // The two accepted connections complete; the others' retransmissions stay dropped.
    for _ in 0..200 {
        let mut moved = false;
        while let Some(t) = client.poll_transmit(now, &mut buf) {
            for d in split_transmit(&buf, &t) {
                server.handle_datagram(now, CLIENT_ADDR, SERVER_ADDR, Ecn::NotEct, d);
                moved = true;
            }
        }
        while let Some(t) = server.poll_transmit(now, &mut buf) {
            for d in split_transmit(&buf, &t) {
                client.handle_datagram(now, SERVER_ADDR, CLIENT_ADDR, Ecn::NotEct, d);
                moved = true;
            }
        }
        if !moved {
            let Some(next) = [client.poll_timeout(), server.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
            else {
                break;
            };
            now = now.max(next);
            client.handle_timeout(now);
            server.handle_timeout(now);
        }
        now += Duration::from_millis(1);
        if now > start + Duration::from_secs(5) {
            break;
        }
        assert!(server.connection_count() <= 2);
    }
    let connected = client
        .handles()
        .filter(|&h| {
            client
                .connection(h)
                .is_some_and(Connection::is_handshake_confirmed)
        })
        .count();
    assert_eq!(connected, 2);
    assert!(
        server.stats().dropped > 2,
        "retransmitted Initials dropped too"
    );
}
