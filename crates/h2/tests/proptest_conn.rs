//! Properties of whole connections: any chunking of the input gives the same events and
//! output, and flow control never lets a sender exceed a window.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::Instant;

use common::{body, req, resp};
use http::{HeaderMap, Method};
use proptest::prelude::*;
use stator_h2::{Config, Connection, Event, FlowControl, Limits, StreamId};

/// The client's whole output for a few requests with bodies and trailers.
fn client_bytes(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut client = Connection::client(Config::default());
    for b in bodies {
        let mut head = req(Method::POST, "/p");
        head.headers
            .insert("x-len", b.len().to_string().parse().unwrap());
        let id = client.send_request(&head, false).unwrap();
        assert_eq!(client.send_data(id, b, false).unwrap(), b.len());
        let mut t = HeaderMap::new();
        t.insert("x-t", "1".parse().unwrap());
        client.send_trailers(id, &t).unwrap();
    }
    let mut out = Vec::new();
    let _ = client.poll_output(&mut out);
    out
}

/// Feeds `bytes` to a fresh server in the given chunks; returns its events (as text) and
/// its output.
fn run_server(bytes: &[u8], cuts: &[usize]) -> (Vec<String>, Vec<u8>) {
    let mut server = Connection::server(Config::default());
    let now = Instant::now();
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(bytes.len());
    for cut in cuts {
        if cut < at {
            continue;
        }
        server.recv(now, &bytes[at..cut]).unwrap();
        at = cut;
        while let Some(e) = server.poll_event() {
            if let Event::Request { stream, .. } = &e {
                server.send_response(*stream, &resp(200), true).unwrap();
            }
            events.push(format!("{e:?}"));
        }
    }
    // Data events are merged: how DATA frames were cut is not visible in the output.
    let _ = server.poll_output(&mut out);
    (events, out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chunking_does_not_change_events_or_output(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 1..5),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let bytes = client_bytes(&bodies);
        let whole = run_server(&bytes, &[]);
        let split = run_server(&bytes, &cuts);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn flow_control_never_exceeds_a_window(
        ops in proptest::collection::vec((0u8..4, 1usize..200_000), 1..60),
    ) {
        let window = 70_000u32;
        let mut limits = Limits::default();
        limits.initial_stream_window = window;
        limits.connection_window = 100_000;
        let mut server_config = Config::default();
        server_config.limits = limits;
        server_config.flow_control = FlowControl::Manual;
        let mut pair = common::Pair::with_configs(Config::default(), server_config);
        pair.drive();
        let a = pair.client.send_request(&req(Method::POST, "/a"), false).unwrap();
        let b = pair.client.send_request(&req(Method::POST, "/b"), false).unwrap();
        let data = vec![1u8; 200_000];
        let (mut held_a, mut held_b) = (0usize, 0usize);
        let (mut seen_a, mut seen_b) = (0usize, 0usize);
        for (op, n) in ops {
            match op {
                0 => { pair.client.send_data(a, &data[..n], false).unwrap(); }
                1 => { pair.client.send_data(b, &data[..n], false).unwrap(); }
                2 => { let r = n.min(held_a); pair.server.release_capacity(a, r).unwrap(); held_a -= r; }
                _ => { let r = n.min(held_b); pair.server.release_capacity(b, r).unwrap(); held_b -= r; }
            }
            for s in [a, b] {
                prop_assert!(pair.client.send_capacity(s) <= 0x7fff_ffff);
            }
            pair.drive();
            let got_a = body(&pair.server_events, a).0.len();
            let got_b = body(&pair.server_events, b).0.len();
            held_a += got_a - seen_a;
            held_b += got_b - seen_b;
            seen_a = got_a;
            seen_b = got_b;
            // What the application holds never exceeds what it advertised.
            prop_assert!(held_a <= window as usize);
            prop_assert!(held_b <= window as usize);
            prop_assert!(held_a + held_b <= 100_000);
            prop_assert!(!pair.server.is_closed());
            prop_assert!(!pair.client.is_closed());
        }
        let _ = StreamId::ZERO;
    }

    /// RFC 9113 §6.9: whatever mix of streams is reset (by either side) or ended while the
    /// application holds their data unreleased, the connection window comes back whole
    /// once they are gone: a reset stream cannot leak it.
    #[test]
    fn resets_never_leak_the_connection_window(
        ops in proptest::collection::vec((0u8..5, 1usize..80_000, any::<prop::sample::Index>()), 1..40),
    ) {
        let mut server_config = Config::default();
        server_config.limits.initial_stream_window = 70_000;
        server_config.limits.connection_window = 100_000;
        server_config.flow_control = FlowControl::Manual;
        let mut pair = common::Pair::with_configs(Config::default(), server_config);
        pair.drive();
        let data = vec![1u8; 80_000];
        let mut live: Vec<StreamId> = Vec::new();
        for (op, n, pick) in ops {
            match op {
                0 => live.push(pair.client.send_request(&req(Method::POST, "/"), false).unwrap()),
                1 if !live.is_empty() => {
                    let _ = pair.client.send_data(live[pick.index(live.len())], &data[..n], false);
                }
                2 if !live.is_empty() => {
                    let s = live.swap_remove(pick.index(live.len()));
                    pair.client.send_reset(s, stator_h2::ErrorCode::CANCEL).unwrap();
                }
                3 if !live.is_empty() => {
                    let s = live.swap_remove(pick.index(live.len()));
                    let _ = pair.server.send_reset(s, stator_h2::ErrorCode::CANCEL);
                }
                4 if !live.is_empty() => {
                    // The request ends and is answered: closed, its data still unreleased.
                    let s = live.swap_remove(pick.index(live.len()));
                    let _ = pair.client.send_data(s, &[], true);
                    pair.drive();
                    let _ = pair.server.send_response(s, &resp(204), true);
                }
                _ => {}
            }
            pair.drive();
            prop_assert!(!pair.server.is_closed());
        }
        for s in live.drain(..) {
            let _ = pair.client.send_reset(s, stator_h2::ErrorCode::CANCEL);
        }
        pair.drive();
        // Credit given back may wait below the update threshold (half the window), so the
        // proof is a round trip: fill a fresh stream, let the application release all of
        // it in one call (which crosses the threshold and announces every unannounced
        // byte), and the client must see the whole connection window again.
        let x = pair.client.send_request(&req(Method::POST, "/x"), false).unwrap();
        pair.drive();
        let _ = pair.client.send_data(x, &data[..70_000], false).unwrap();
        pair.drive();
        let got = body(&pair.server_events, x).0.len();
        pair.server.release_capacity(x, got).unwrap();
        pair.drive();
        let z = pair.client.send_request(&req(Method::POST, "/z"), false).unwrap();
        let w = pair.client.send_request(&req(Method::POST, "/w"), false).unwrap();
        pair.drive();
        let sent = pair.client.send_data(z, &data[..70_000], false).unwrap()
            + pair.client.send_data(w, &data[..70_000], false).unwrap();
        prop_assert_eq!(sent, 100_000);
    }
}
