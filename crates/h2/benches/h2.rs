//! stator-h2 side by side with the `h2` crate (0.4), both as a client and server pair in
//! memory, in the same run. Run: `cargo bench -p stator-h2 --bench h2` (add `-- small`
//! or `-- bulk` for one part).
//!
//! # `small/<impl>`: 100 concurrent small GETs on one warmed-up connection
//!
//! The client sends 100 GETs (`:authority`, `:path`, `user-agent`, `accept`) on 100
//! streams at once (the server's `MAX_CONCURRENT_STREAMS` is 100); the server answers
//! each with `200`, `content-type` and a 13-byte body (`Hello, World!`) with
//! `END_STREAM` on the DATA; the client reads every response to its end. Throughput
//! counts requests. Both ends' work is measured: HPACK both ways, frames, stream state,
//! flow control, the `http` heads.
//!
//! - `stator`: a client and a server `Connection`, bytes moved between them with
//!   `poll_output` → `recv` through one reused `Vec`; heads built once (as an application
//!   would keep them) and passed by reference.
//! - `h2`: `h2::client` and `h2::server` over a `tokio::io::duplex` pipe (1 MiB buffer) on
//!   a current-thread runtime. The server task answers in its accept loop (no task per
//!   request); the client sends the 100 requests (each a `Request<()>`, which h2 takes by
//!   value) and then awaits the responses and their bodies. h2 cannot be driven without
//!   I/O traits, so its row also pays the pipe and task wake-ups: that is what an
//!   application of h2 pays too.
//!
//! # `bulk/<impl>`: one 16 MiB response body
//!
//! One GET answered with 16 MiB of content; both ends use a 2 MiB stream window and an
//! 8 MiB connection window and 16 KiB frames; the client releases credit as it reads.
//! Throughput counts content bytes.
//!
//! Allocations per request of the small exchange are counted once, before timing, with a
//! counting global allocator (`stats_alloc`), for both implementations over 1,000
//! requests on a warmed-up connection.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss
)]

use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Method, Request, Response, request, response};
use stator_h2::{Config, Connection, Event};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokio::runtime::Runtime;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const BATCH: usize = 100;
const BODY: &[u8] = b"Hello, World!";
const BULK: usize = 16 << 20;
const STREAM_WINDOW: u32 = 2 << 20;
const CONNECTION_WINDOW: u32 = 8 << 20;

fn request_head(path: &str) -> request::Parts {
    Request::builder()
        .method(Method::GET)
        .uri(format!("http://localhost{path}"))
        .header("user-agent", "bench")
        .header("accept", "*/*")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn response_head() -> response::Parts {
    Response::builder()
        .header("content-type", "text/plain")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

// ---- stator ----------------------------------------------------------------------------

struct StatorPair {
    client: Connection,
    server: Connection,
    wire: Vec<u8>,
    now: Instant,
    small: request::Parts,
    big: request::Parts,
    head: response::Parts,
    bulk: Vec<u8>,
}

impl StatorPair {
    fn new() -> StatorPair {
        let mut config = Config::default();
        config.limits.max_concurrent_streams = 100;
        config.limits.initial_stream_window = STREAM_WINDOW;
        config.limits.max_stream_window = STREAM_WINDOW;
        config.limits.connection_window = CONNECTION_WINDOW;
        config.limits.max_connection_window = CONNECTION_WINDOW;
        let mut p = StatorPair {
            client: Connection::client(config.clone()),
            server: Connection::server(config),
            wire: Vec::with_capacity(1 << 20),
            now: Instant::now(),
            small: request_head("/"),
            big: request_head("/big"),
            head: response_head(),
            bulk: vec![0x42; BULK],
        };
        // Exchange the prefaces and SETTINGS (and their acknowledgments).
        for _ in 0..4 {
            p.flush_client();
            p.flush_server();
            while p.client.poll_event().is_some() {}
            while p.server.poll_event().is_some() {}
        }
        p
    }

    fn flush_client(&mut self) {
        self.wire.clear();
        if self.client.poll_output(&mut self.wire) > 0 {
            self.server.recv(self.now, &self.wire).unwrap();
        }
    }

    fn flush_server(&mut self) {
        self.wire.clear();
        if self.server.poll_output(&mut self.wire) > 0 {
            self.client.recv(self.now, &self.wire).unwrap();
        }
    }

    /// `n` concurrent GETs answered; returns the responses completed.
    fn small(&mut self, n: usize) -> usize {
        for _ in 0..n {
            self.client.send_request(&self.small, true).unwrap();
        }
        let mut done = 0;
        while done < n {
            self.flush_client();
            while let Some(e) = self.server.poll_event() {
                if let Event::Request { stream, .. } = e {
                    self.server
                        .send_response(stream, &self.head, false)
                        .unwrap();
                    let sent = self.server.send_data(stream, BODY, true).unwrap();
                    debug_assert_eq!(sent, BODY.len());
                }
            }
            self.flush_server();
            while let Some(e) = self.client.poll_event() {
                match e {
                    Event::Data {
                        end_stream: true,
                        data,
                        ..
                    } => {
                        black_box(data);
                        done += 1;
                    }
                    Event::Response {
                        end_stream: true, ..
                    } => done += 1,
                    _ => {}
                }
            }
        }
        done
    }

    /// One GET answered with the bulk body; returns the content bytes received.
    fn bulk(&mut self) -> usize {
        self.client.send_request(&self.big, true).unwrap();
        self.flush_client();
        let mut stream = None;
        while let Some(e) = self.server.poll_event() {
            if let Event::Request { stream: s, .. } = e {
                self.server.send_response(s, &self.head, false).unwrap();
                stream = Some(s);
            }
        }
        let stream = stream.unwrap();
        let mut sent = 0;
        let mut got = 0;
        let mut ended = false;
        while !ended {
            if sent < BULK {
                sent += self
                    .server
                    .send_data(stream, &self.bulk[sent..], true)
                    .unwrap();
            }
            self.flush_server();
            while let Some(e) = self.client.poll_event() {
                if let Event::Data {
                    data, end_stream, ..
                } = e
                {
                    got += data.len();
                    ended |= end_stream;
                }
            }
            self.flush_client();
            while self.server.poll_event().is_some() {}
        }
        got
    }
}

// ---- h2 --------------------------------------------------------------------------------

struct H2Pair {
    rt: Runtime,
    client: h2::client::SendRequest<Bytes>,
}

impl H2Pair {
    fn new() -> H2Pair {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (client_io, server_io) = tokio::io::duplex(1 << 20);
        let bulk = Bytes::from(vec![0x42u8; BULK]);
        rt.spawn(async move {
            let mut conn = h2::server::Builder::new()
                .max_concurrent_streams(100)
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .handshake::<_, Bytes>(server_io)
                .await
                .unwrap();
            while let Some(r) = conn.accept().await {
                let (req, mut respond) = r.unwrap();
                let response = Response::builder()
                    .header("content-type", "text/plain")
                    .body(())
                    .unwrap();
                let mut send = respond.send_response(response, false).unwrap();
                if req.uri().path() == "/big" {
                    send.send_data(bulk.clone(), true).unwrap();
                } else {
                    send.send_data(Bytes::from_static(BODY), true).unwrap();
                }
            }
        });
        let client = rt.block_on(async {
            let (client, conn) = h2::client::Builder::new()
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .handshake::<_, Bytes>(client_io)
                .await
                .unwrap();
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client.ready().await.unwrap()
        });
        H2Pair { rt, client }
    }

    fn request(path: &str) -> Request<()> {
        Request::builder()
            .method(Method::GET)
            .uri(format!("http://localhost{path}"))
            .header("user-agent", "bench")
            .header("accept", "*/*")
            .body(())
            .unwrap()
    }

    /// Sends `path` `n` times concurrently; returns the content bytes received.
    fn fetch(&mut self, path: &str, n: usize) -> usize {
        let H2Pair { rt, client } = self;
        rt.block_on(async {
            let mut pending = Vec::with_capacity(n);
            for _ in 0..n {
                let mut c = client.clone().ready().await.unwrap();
                let (resp, _) = c.send_request(Self::request(path), true).unwrap();
                pending.push(resp);
            }
            let mut got = 0;
            for resp in pending {
                let mut body = resp.await.unwrap().into_body();
                while let Some(data) = body.data().await {
                    let data = data.unwrap();
                    got += data.len();
                    body.flow_control().release_capacity(data.len()).unwrap();
                }
            }
            got
        })
    }
}

// ---- benchmarks ------------------------------------------------------------------------

fn allocations_per_request() {
    const N: usize = 1_000;
    let mut stator = StatorPair::new();
    stator.small(BATCH);
    let region = Region::new(GLOBAL);
    for _ in 0..N / BATCH {
        stator.small(BATCH);
    }
    let s = region.change();
    let mut h2 = H2Pair::new();
    h2.fetch("/", BATCH);
    let region = Region::new(GLOBAL);
    for _ in 0..N / BATCH {
        h2.fetch("/", BATCH);
    }
    let h = region.change();
    println!(
        "allocations per request (client + server, {N} requests): stator {:.1} ({:.0} B), h2 {:.1} ({:.0} B)",
        s.allocations as f64 / N as f64,
        s.bytes_allocated as f64 / N as f64,
        h.allocations as f64 / N as f64,
        h.bytes_allocated as f64 / N as f64,
    );
}

fn small(c: &mut Criterion) {
    allocations_per_request();
    let mut g = c.benchmark_group("small");
    g.throughput(Throughput::Elements(BATCH as u64));
    let mut stator = StatorPair::new();
    assert_eq!(stator.small(BATCH), BATCH);
    g.bench_function("stator", |b| b.iter(|| stator.small(BATCH)));
    let mut h2 = H2Pair::new();
    assert_eq!(h2.fetch("/", BATCH), BATCH * BODY.len());
    g.bench_function("h2", |b| b.iter(|| h2.fetch("/", BATCH)));
    g.finish();
}

fn bulk(c: &mut Criterion) {
    let mut g = c.benchmark_group("bulk");
    g.throughput(Throughput::Bytes(BULK as u64));
    g.sample_size(20);
    let mut stator = StatorPair::new();
    assert_eq!(stator.bulk(), BULK);
    g.bench_function("stator", |b| b.iter(|| stator.bulk()));
    let mut h2 = H2Pair::new();
    assert_eq!(h2.fetch("/big", 1), BULK);
    g.bench_function("h2", |b| b.iter(|| h2.fetch("/big", 1)));
    g.finish();
}

criterion_group!(benches, small, bulk);
criterion_main!(benches);
