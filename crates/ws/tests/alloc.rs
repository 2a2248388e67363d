//! Steady-state allocation counts: receiving and sending small messages must not allocate
//! per message (DESIGN.md §2 "Allocation-aware").
//!
//! A counting global allocator (`stats_alloc`: writing one by hand needs `unsafe`, which the
//! workspace forbids) measures a warmed-up connection over many messages. The counter is
//! global, so this file runs without the libtest harness (`harness = false` in Cargo.toml):
//! the harness's own threads allocate, and a counter shared with them made the test flaky.

// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]

use std::alloc::System;

use stator_wire::rand::SeededRandom;
use stator_ws::{Config, Connection, DeflateConfig, Event, Message};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const WARM_UP: usize = 200;
const MEASURED: usize = 2000;
const PAYLOAD: &str = "0123456789abcdef"; // 16 bytes

fn pair(deflate: Option<DeflateConfig>) -> (Connection, Connection) {
    (
        Connection::new(Config::client(SeededRandom::new(1)).with_deflate(deflate)),
        Connection::new(Config::server().with_deflate(deflate)),
    )
}

/// Allocations (including reallocations) made by `f`.
fn count(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let stats = region.change();
    stats.allocations + stats.reallocations
}

/// One message client -> server through `poll_output` into a reused buffer; the server
/// gets it as an event, which is then dropped (as an application that processed it).
fn one_message(client: &mut Connection, server: &mut Connection, wire: &mut Vec<u8>) {
    client.send_text(PAYLOAD).unwrap();
    wire.clear();
    let _ = client.poll_output(wire);
    server.recv(wire);
    match server.poll_event() {
        Some(Event::Message(Message::Text(t))) => assert_eq!(t.len(), 16),
        other => panic!("{other:?}"),
    }
    assert!(server.poll_event().is_none());
    wire.clear();
    let _ = server.poll_output(wire);
}

/// The same, server -> client, through `poll_transmit` and `recv_bytes`.
fn one_message_transmit(client: &mut Connection, server: &mut Connection) {
    server.send_text(PAYLOAD).unwrap();
    let bytes = server.poll_transmit().unwrap();
    client.recv(&bytes);
    drop(bytes);
    match client.poll_event() {
        Some(Event::Message(Message::Text(t))) => assert_eq!(t.len(), 16),
        other => panic!("{other:?}"),
    }
    assert!(client.poll_event().is_none());
}

fn main() {
    let mut report = Vec::new();

    for (name, deflate) in [("plain", None), ("deflate", Some(DeflateConfig::default()))] {
        let (mut client, mut server) = pair(deflate);
        let mut wire = Vec::with_capacity(1024);
        for _ in 0..WARM_UP {
            one_message(&mut client, &mut server, &mut wire);
            one_message_transmit(&mut client, &mut server);
        }
        let poll_output = count(|| {
            for _ in 0..MEASURED {
                one_message(&mut client, &mut server, &mut wire);
            }
        });
        let poll_transmit = count(|| {
            for _ in 0..MEASURED {
                one_message_transmit(&mut client, &mut server);
            }
        });
        report.push(format!(
            "{name}: {poll_output} allocations for {MEASURED} messages via poll_output, \
             {poll_transmit} via poll_transmit"
        ));
        // Warmed up, the buffers are all reused: not one allocation.
        assert_eq!(poll_output, 0, "{}", report.join("\n"));
        assert_eq!(poll_transmit, 0, "{}", report.join("\n"));
    }

    // Pings and automatic pongs.
    let (mut client, mut server) = pair(None);
    let mut wire = Vec::with_capacity(1024);
    let mut ping_round = |client: &mut Connection, server: &mut Connection| {
        server.ping(b"are you there").unwrap();
        wire.clear();
        let _ = server.poll_output(&mut wire);
        client.recv(&wire);
        assert!(matches!(client.poll_event(), Some(Event::Ping(_))));
        wire.clear();
        let _ = client.poll_output(&mut wire);
        server.recv(&wire);
        assert!(matches!(server.poll_event(), Some(Event::Pong(_))));
    };
    for _ in 0..WARM_UP {
        ping_round(&mut client, &mut server);
    }
    let pings = count(|| {
        for _ in 0..MEASURED {
            ping_round(&mut client, &mut server);
        }
    });
    report.push(format!(
        "ping/pong: {pings} allocations for {MEASURED} rounds"
    ));
    assert_eq!(pings, 0, "{}", report.join("\n"));
    println!("{}", report.join("\n"));
}
