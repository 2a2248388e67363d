//! A server endpoint fed arbitrary datagrams from a few remote addresses, interleaved
//! with timers and polling, never panics, never sends an address more than three times
//! what it received from it (nothing here can validate an address: that takes a
//! Handshake packet or a token sealed with the server's key), and never holds more than
//! its connection limit.
//!
//! Input: a sequence of operations, each one byte `op` and its arguments:
//! - `op % 4` 0 or 1: a datagram from remote `(op >> 2) % 4` with ECN `(op >> 4) % 4`:
//!   a little-endian u16 length, then that many bytes (fewer if the input ends);
//! - 2: time moves by the next byte × 10 ms, then timers fire;
//! - 3: time moves to the endpoint's next timer, which fires.
//!
//! After each operation everything the endpoint sends is taken and its events drained.
//! Seeds (fuzz/seeds/quic_endpoint/) are real client Initials in this format.
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use stator_quic::conn::{ServerConfig, TransportConfig, fuzzing};
use stator_quic::endpoint::{Endpoint, EndpointConfig, ServerSetup};
use stator_quic::{Ecn, ResetKey, TokenKey, TokenLifetimes};
use stator_wire::rand::SeededRandom;

const MAX_CONNECTIONS: usize = 3;

static SERVER: LazyLock<ServerConfig> = LazyLock::new(|| {
    fuzzing::server_config(Arc::new(TransportConfig::default()))
        .expect("the embedded certificate loads")
});

fn remote(i: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, 1 + (i % 4)], 5000 + u16::from(i % 4)))
}

fn ecn(bits: u8) -> Ecn {
    match bits % 4 {
        0 => Ecn::NotEct,
        1 => Ecn::Ect1,
        2 => Ecn::Ect0,
        _ => Ecn::Ce,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut config = EndpointConfig::new(ResetKey::new(b"fuzz endpoint reset key")).seeded();
    config.max_connections = MAX_CONNECTIONS;
    config.server = Some(ServerSetup {
        config: SERVER.clone(),
        retry: false,
        token_key: Arc::new(TokenKey::new(&[7; 32])),
        token_lifetimes: TokenLifetimes::default(),
    });
    let mut endpoint = Endpoint::new(config, Box::new(SeededRandom::new(1)));
    let local = SocketAddr::from(([10, 0, 0, 100], 443));
    let mut now = Instant::now();
    let mut received: HashMap<SocketAddr, u64> = HashMap::new();
    let mut sent: HashMap<SocketAddr, u64> = HashMap::new();
    let mut buf = Vec::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 4 {
            0 | 1 => {
                let Some((len, tail)) = rest.split_first_chunk::<2>() else {
                    break;
                };
                let len = usize::from(u16::from_le_bytes(*len)).min(tail.len());
                let (datagram, tail) = tail.split_at(len);
                rest = tail;
                let from = remote(op >> 2);
                *received.entry(from).or_default() += datagram.len() as u64;
                endpoint.handle_datagram(now, from, local, ecn(op >> 4), BytesMut::from(datagram));
            }
            2 => {
                let Some((&step, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                now += Duration::from_millis(u64::from(step) * 10);
                endpoint.handle_timeout(now);
            }
            _ => {
                if let Some(t) = endpoint.poll_timeout() {
                    now = now.max(t);
                }
                endpoint.handle_timeout(now);
            }
        }
        for _ in 0..1000 {
            let Some(t) = endpoint.poll_transmit(now, &mut buf) else {
                break;
            };
            assert!(t.size <= buf.len() && t.size > 0);
            *sent.entry(t.destination).or_default() += t.size as u64;
        }
        let handles: Vec<_> = endpoint.handles().collect();
        for h in handles {
            if let Some(conn) = endpoint.connection_mut(h) {
                while conn.poll_event().is_some() {}
            }
        }
        endpoint.sync_all();
        while endpoint.poll_event().is_some() {}
        for (to, &n) in &sent {
            let got = received.get(to).copied().unwrap_or(0);
            assert!(n <= 3 * got, "sent {n} bytes to {to}, which sent {got}");
        }
        assert!(endpoint.connection_count() <= MAX_CONNECTIONS);
    }
});
