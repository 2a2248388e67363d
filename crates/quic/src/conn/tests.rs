//! Connection tests over an in-memory wire: two connections handing each other datagrams
//! directly, with the clock moved by hand.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use stator_wire::rand::{Random, SeededRandom};

use super::*;
use crate::packet::Header;
use crate::{RandomConnectionIds, ResetKey};

const CLIENT: &str = "10.0.0.1:5000";
const SERVER: &str = "10.0.0.2:4433";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A client and a server connection and the clock, joined by a lossless wire.
struct Pair {
    now: Instant,
    client: Connection,
    server: Connection,
    /// Datagrams each way, counted.
    to_server: usize,
    to_client: usize,
    /// Drop the next `n` datagrams the client sends.
    drop_from_client: usize,
    drop_from_server: usize,
    latency: Duration,
    /// Random loss of datagrams both ways: a seeded generator and the loss in percent.
    loss: Option<(SeededRandom, u32)>,
    moved: usize,
}

/// The fixed test certificate's configurations (made once, see `fuzzing`).
fn configs(transport: TransportConfig) -> (ClientConfig, ServerConfig) {
    let transport = Arc::new(transport);
    (
        fuzzing::client_config(transport.clone()).unwrap(),
        fuzzing::server_config(transport).unwrap(),
    )
}

impl Pair {
    fn new(transport: TransportConfig) -> Pair {
        Pair::with_validation(transport, false)
    }

    fn with_validation(transport: TransportConfig, validated: bool) -> Pair {
        let (client_config, server_config) = configs(transport);
        let now = Instant::now();
        let mut client = Connection::client(
            now,
            &client_config,
            addr(SERVER),
            Box::new(SeededRandom::new(1)),
            Box::new(RandomConnectionIds::default()),
        )
        .unwrap();
        let mut buf = Vec::new();
        let first = client.poll_transmit(now, &mut buf).unwrap();
        assert_eq!(
            first.size, 1200,
            "a client's Initial datagram is padded to 1200"
        );
        let Header::Long(h) = Header::parse(&buf, 0).unwrap() else {
            panic!("not a long header");
        };
        let dcid = ConnectionId::new(h.dcid).unwrap();
        let handshake = ServerHandshake {
            version: Version::V1,
            remote: addr(CLIENT),
            original_dcid: dcid,
            initial_dcid: dcid,
            client_scid: ConnectionId::new(h.scid).unwrap(),
            local_cid: ConnectionId::new(&[7; 8]).unwrap(),
            retry_scid: None,
            address_validated: validated,
            new_token: None,
        };
        let mut server = Connection::server(
            now,
            &server_config,
            handshake,
            Box::new(SeededRandom::new(2)),
            Box::new(RandomConnectionIds::default()),
            ResetKey::new(b"reset key"),
        )
        .unwrap();
        server.handle_datagram(now, addr(CLIENT), Ecn::NotEct, BytesMut::from(&buf[..]));
        Pair {
            now,
            client,
            server,
            to_server: 1,
            to_client: 0,
            drop_from_client: 0,
            drop_from_server: 0,
            latency: Duration::from_millis(10),
            loss: None,
            moved: 0,
        }
    }

    /// Moves every datagram both ways once (after `latency`), then fires due timers.
    fn step(&mut self) -> bool {
        let mut buf = Vec::new();
        let mut moved = false;
        let mut out = Vec::new();
        while let Some(t) = self.client.poll_transmit(self.now, &mut buf) {
            for d in split(&buf, t) {
                out.push((true, d));
            }
        }
        while let Some(t) = self.server.poll_transmit(self.now, &mut buf) {
            for d in split(&buf, t) {
                out.push((false, d));
            }
        }
        if !out.is_empty() {
            self.now += self.latency;
        }
        for (from_client, d) in out {
            moved = true;
            self.moved += 1;
            if let Some((rng, percent)) = &mut self.loss
                && rng.next_u32() % 100 < *percent
            {
                continue;
            }
            if from_client {
                self.to_server += 1;
                if self.drop_from_client > 0 {
                    self.drop_from_client -= 1;
                    continue;
                }
                self.server
                    .handle_datagram(self.now, addr(CLIENT), Ecn::NotEct, d);
            } else {
                self.to_client += 1;
                if self.drop_from_server > 0 {
                    self.drop_from_server -= 1;
                    continue;
                }
                self.client
                    .handle_datagram(self.now, addr(SERVER), Ecn::NotEct, d);
            }
        }
        if !moved {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { return false };
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
        }
        true
    }

    fn run_until(&mut self, mut done: impl FnMut(&mut Pair) -> bool, max_steps: usize) {
        for _ in 0..max_steps {
            if done(self) {
                return;
            }
            if !self.step() {
                break;
            }
        }
        assert!(done(self), "condition not reached");
    }

    fn handshake(&mut self) {
        self.run_until(
            |p| p.client.is_handshake_confirmed() && p.server.is_handshake_confirmed(),
            200,
        );
    }
}

/// The datagrams of a transmit (several with GSO).
fn split(buf: &[u8], t: Transmit) -> Vec<BytesMut> {
    let seg = t.segment_size.unwrap_or(t.size);
    buf[..t.size].chunks(seg).map(BytesMut::from).collect()
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

#[test]
fn handshake_completes_and_confirms() {
    let mut p = Pair::new(TransportConfig::default());
    p.handshake();
    assert_eq!(p.client.alpn(), Some(fuzzing::ALPN));
    assert_eq!(p.server.alpn(), Some(fuzzing::ALPN));
    let ce = events(&mut p.client);
    assert!(ce.contains(&Event::Connected));
    assert!(ce.contains(&Event::HandshakeConfirmed));
    let se = events(&mut p.server);
    assert!(se.contains(&Event::Connected));
    // The client switched to the server's chosen connection ID.
    assert_eq!(p.client.remote_cid().as_bytes(), &[7; 8]);
    assert!(p.client.rtt().has_sample());
}

#[test]
fn stream_echo_both_ways() {
    let mut p = Pair::new(TransportConfig::default());
    p.handshake();
    let id = p.client.open_stream(Dir::Bidi).unwrap();
    let msg = Bytes::from_static(b"hello over quic");
    assert_eq!(p.client.stream_write(id, &msg).unwrap(), msg.len());
    p.client.stream_finish(id).unwrap();
    let mut got = Vec::new();
    p.run_until(
        |p| {
            while let Ok(Read::Data(d)) = p.server.stream_read(id, usize::MAX) {
                got.extend_from_slice(&d);
            }
            got.len() == msg.len()
        },
        100,
    );
    assert_eq!(got, msg);
    // Echo back.
    p.server.stream_write(id, &msg).unwrap();
    p.server.stream_finish(id).unwrap();
    let mut back = Vec::new();
    let mut finished = false;
    p.run_until(
        |p| {
            loop {
                match p.client.stream_read(id, usize::MAX) {
                    Ok(Read::Data(d)) => back.extend_from_slice(&d),
                    Ok(Read::Finished) => {
                        finished = true;
                        break;
                    }
                    _ => break,
                }
            }
            finished
        },
        100,
    );
    assert_eq!(back, msg);
}

#[test]
fn bulk_transfer_with_losses() {
    let mut p = Pair::new(TransportConfig::default());
    p.handshake();
    let id = p.client.open_stream(Dir::Uni).unwrap();
    let data: Bytes = (0..2_000_000u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    let mut written = 0;
    let mut got = Vec::new();
    let mut step = 0u64;
    p.run_until(
        |p| {
            step += 1;
            if written < data.len() {
                written += p.client.stream_write(id, &data.slice(written..)).unwrap();
                if written == data.len() {
                    p.client.stream_finish(id).unwrap();
                }
            }
            if step.is_multiple_of(7) {
                p.drop_from_client = 1;
            }
            while let Ok(Read::Data(d)) = p.server.stream_read(id, usize::MAX) {
                got.extend_from_slice(&d);
            }
            got.len() == data.len()
        },
        20_000,
    );
    assert!(got == data[..], "data intact");
}

#[test]
fn amplification_limit_holds_to_the_byte() {
    // The client's later datagrams are lost: the server may only send 3× the 1200 bytes
    // it received until the address is validated.
    let mut p = Pair::new(TransportConfig::default());
    p.drop_from_server = usize::MAX;
    p.drop_from_client = usize::MAX;
    for _ in 0..50 {
        if !p.step() {
            break;
        }
    }
    let (received, sent) = p.server.bytes_counted();
    assert_eq!(received, 1200);
    assert!(sent <= 3 * received, "sent {sent} > 3 × {received}");
    assert!(sent > 2 * received, "the server used its budget: {sent}");
}

#[test]
fn application_close_reaches_the_peer() {
    let mut p = Pair::new(TransportConfig::default());
    p.handshake();
    p.client.close(p.now, 42, b"bye");
    p.run_until(|p| p.server.close_reason().is_some(), 20);
    assert_eq!(
        p.server.close_reason(),
        Some(&CloseReason::PeerApplication {
            code: 42,
            reason: Bytes::from_static(b"bye")
        })
    );
    // Both sides end after their closing / draining periods.
    p.run_until(|p| p.client.is_closed() && p.server.is_closed(), 50);
}

#[test]
fn idle_timeout_closes_silently() {
    let transport = TransportConfig {
        idle_timeout: Some(Duration::from_secs(5)),
        ..TransportConfig::default()
    };
    let mut p = Pair::new(transport);
    p.handshake();
    let start = p.now;
    p.run_until(|p| p.client.is_closed() && p.server.is_closed(), 200);
    assert_eq!(p.client.close_reason(), Some(&CloseReason::IdleTimeout));
    assert!(p.now - start >= Duration::from_secs(5));
}

#[test]
fn key_update_during_transfer() {
    let mut p = Pair::new(TransportConfig::default());
    p.handshake();
    let id = p.client.open_stream(Dir::Uni).unwrap();
    let data = Bytes::from(vec![9u8; 300_000]);
    let mut written = 0;
    let mut got = 0usize;
    let mut updated = false;
    p.run_until(
        |p| {
            if written < data.len() {
                written += p.client.stream_write(id, &data.slice(written..)).unwrap();
            }
            if written > 100_000 && !updated {
                updated = p.client.force_key_update();
            }
            while let Ok(Read::Data(d)) = p.server.stream_read(id, usize::MAX) {
                got += d.len();
            }
            got == data.len()
        },
        5_000,
    );
    assert!(updated);
    assert_eq!(p.client.key_updates(), 1);
    assert_eq!(p.server.key_updates(), 1);
}

#[test]
fn datagrams_both_ways() {
    let mut p = Pair::new(TransportConfig::default());
    p.handshake();
    p.client.send_datagram(Bytes::from_static(b"ping")).unwrap();
    p.server.send_datagram(Bytes::from_static(b"pong")).unwrap();
    let mut a = None;
    let mut b = None;
    p.run_until(
        |p| {
            a = a.take().or_else(|| p.server.recv_datagram());
            b = b.take().or_else(|| p.client.recv_datagram());
            a.is_some() && b.is_some()
        },
        20,
    );
    assert_eq!(a.unwrap(), "ping");
    assert_eq!(b.unwrap(), "pong");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever datagrams are lost (randomly, up to a third of them), streams written
    /// both ways arrive intact and in order.
    #[test]
    fn streams_survive_random_loss(
        seed: u64,
        percent in 0u32..34,
        sizes in proptest::collection::vec(1usize..60_000, 1..6),
    ) {
        let mut p = Pair::new(TransportConfig::default());
        p.loss = Some((SeededRandom::new(seed), percent));
        p.handshake();
        let mut streams = Vec::new();
        for (i, &size) in sizes.iter().enumerate() {
            let data: Bytes = (0..size).map(|b| (b * 7 + i) as u8).collect::<Vec<_>>().into();
            let id = if i % 2 == 0 {
                p.client.open_stream(Dir::Uni).unwrap()
            } else {
                p.server.open_stream(Dir::Uni).unwrap()
            };
            streams.push((i % 2 == 0, id, data, 0usize, Vec::new(), false));
        }
        p.run_until(|p| {
            for (from_client, id, data, written, got, done) in &mut streams {
                let (tx, rx) = if *from_client {
                    (&mut p.client, &mut p.server)
                } else {
                    (&mut p.server, &mut p.client)
                };
                if *written < data.len() {
                    *written += tx.stream_write(*id, &data.slice(*written..)).unwrap();
                    if *written == data.len() {
                        tx.stream_finish(*id).unwrap();
                    }
                }
                loop {
                    match rx.stream_read(*id, usize::MAX) {
                        Ok(Read::Data(d)) => got.extend_from_slice(&d),
                        Ok(Read::Finished) => {
                            *done = true;
                            break;
                        }
                        _ => break,
                    }
                }
            }
            streams.iter().all(|s| s.5)
        }, 50_000);
        for (_, _, data, _, got, _) in &streams {
            proptest::prop_assert_eq!(&got[..], &data[..]);
        }
    }
}

#[test]
fn keep_alive_outlives_the_idle_timeout() {
    let transport = TransportConfig {
        idle_timeout: Some(Duration::from_secs(5)),
        keep_alive: Some(Duration::from_secs(2)),
        ..TransportConfig::default()
    };
    let mut p = Pair::new(transport);
    p.handshake();
    let start = p.now;
    p.run_until(|p| p.now - start > Duration::from_secs(30), 10_000);
    assert!(!p.client.is_closing() && !p.server.is_closing());
}

#[test]
fn paced_datagrams_carry_their_send_time() {
    let transport = TransportConfig {
        pacing_lookahead: Duration::from_millis(50),
        ..TransportConfig::default()
    };
    let mut p = Pair::new(transport);
    p.handshake();
    let id = p.client.open_stream(Dir::Uni).unwrap();
    p.client
        .stream_write(id, &Bytes::from(vec![1u8; 200_000]))
        .unwrap();
    let mut buf = Vec::new();
    let mut times = Vec::new();
    while let Some(t) = p.client.poll_transmit(p.now, &mut buf) {
        assert!(t.send_time >= p.now && t.send_time <= p.now + Duration::from_millis(50));
        times.push(t.send_time);
    }
    // Past the burst allowance, the pacer spreads the window over the RTT.
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        times.last().unwrap() > &p.now,
        "some datagrams are paced later"
    );
}
