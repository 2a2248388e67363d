//! Allocations per exchange on a warmed-up connection (DESIGN.md §2 "Allocation-aware").
//!
//! A counting global allocator (`stats_alloc`: writing one by hand needs `unsafe`, which
//! the workspace forbids) measures many exchanges. The counter is global, so this file
//! runs without the libtest harness (`harness = false` in Cargo.toml), whose own threads
//! allocate.
//!
//! What remains per request is what the `http` types need: the received head's
//! `HeaderMap` (its index table and its entries). The receive and send buffers, the event
//! queue and the head parser's scratch are reused; the request-target and field values
//! share the receive buffer; a response head the application built once is written
//! without allocating.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_precision_loss
)]

use std::alloc::System;

use http::{Request, Response};
use stator_h1::{BodySize, Connection, Event};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PIPELINE: usize = 32;
const ROUNDS: usize = 100;
const REQUEST: &[u8] =
    b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n";

/// Allocations (including reallocations) made by `f`.
fn count(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let stats = region.change();
    stats.allocations + stats.reallocations
}

/// The server side of `PIPELINE` pipelined GETs: parse, answer, take the output.
fn server_round(
    server: &mut Connection,
    batch: &[u8],
    head: &http::response::Parts,
    out: &mut Vec<u8>,
) {
    server.recv(batch);
    let mut answered = 0;
    while let Some(event) = server.poll_event() {
        if let Event::End(_) = event {
            server.send_response(head, BodySize::Known(13)).unwrap();
            server.send_data(b"Hello, World!").unwrap();
            server.send_end(None).unwrap();
            answered += 1;
        }
    }
    assert_eq!(answered, PIPELINE);
    out.clear();
    let _ = server.poll_output(out);
}

/// One request and response between a client and a server machine.
fn exchange(
    client: &mut Connection,
    server: &mut Connection,
    request: &http::request::Parts,
    response: &http::response::Parts,
    wire: &mut Vec<u8>,
) {
    client.send_request(request, BodySize::Empty).unwrap();
    wire.clear();
    let _ = client.poll_output(wire);
    server.recv(wire);
    while let Some(event) = server.poll_event() {
        if let Event::End(_) = event {
            server.send_response(response, BodySize::Known(2)).unwrap();
            server.send_data(b"ok").unwrap();
            server.send_end(None).unwrap();
        }
    }
    wire.clear();
    let _ = server.poll_output(wire);
    client.recv(wire);
    let mut ended = false;
    while let Some(event) = client.poll_event() {
        ended |= matches!(event, Event::End(_));
    }
    assert!(ended);
}

fn main() {
    let batch = REQUEST.repeat(PIPELINE);
    let head = Response::builder()
        .header("content-type", "text/plain")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let mut server = Connection::server();
    let mut out = Vec::with_capacity(64 * 1024);
    for _ in 0..10 {
        server_round(&mut server, &batch, &head, &mut out);
    }
    let pipelined = count(|| {
        for _ in 0..ROUNDS {
            server_round(&mut server, &batch, &head, &mut out);
        }
    });
    let per_request = pipelined as f64 / (ROUNDS * PIPELINE) as f64;

    let request = Request::get("http://localhost/")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let (mut client, mut server) = (Connection::client(), Connection::server());
    let mut wire = Vec::with_capacity(4096);
    for _ in 0..10 {
        exchange(&mut client, &mut server, &request, &head, &mut wire);
    }
    let exchanges = count(|| {
        for _ in 0..ROUNDS {
            exchange(&mut client, &mut server, &request, &head, &mut wire);
        }
    });
    let per_exchange = exchanges as f64 / ROUNDS as f64;
    println!(
        "server, pipelined GETs: {per_request:.2} allocations per request\n\
         client + server exchange: {per_exchange:.2} allocations per exchange \
         (both heads parsed)"
    );
    // The received head's HeaderMap (index table + entries); nothing per byte, nothing
    // for the response.
    assert!(per_request <= 2.0, "{per_request}");
    assert!(per_exchange <= 4.0, "{per_exchange}");
    println!("2 passed, 0 failed");
}
