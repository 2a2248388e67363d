//! stator-h1 side by side with hyper 1's HTTP/1 server in the same run. Run:
//! `cargo bench -p stator-h1 --bench h1` (add `-- pipelined` or `-- chunked` for one part).
//!
//! Both rows of a group do the same server work on the same bytes and produce the same
//! responses; every implementation is checked once, before timing, to do so.
//!
//! # `pipelined/<impl>`: 32 pipelined small GETs, parsed and answered
//!
//! Input: 32 copies of a 78-byte browser-like GET (`Host`, `User-Agent`, `Accept`) in one
//! read. Each is answered `200 OK` with `content-type`, `date` and a 13-byte body
//! (`Hello, World!`), all 32 responses written out in one buffer. Throughput counts
//! requests.
//!
//! - `stator`: one warmed-up server `Connection` (keep-alive) for the whole run;
//!   `recv(&batch)` (copies into its receive buffer), `poll_event()` until `None`; on each
//!   `End`, `send_response` with a head built once (as an application would keep it),
//!   `send_data`, `send_end`; then `poll_output` into a reused `Vec` (one copy out).
//! - `hyper`: hyper 1's `server::conn::http1` on one end of a `tokio::io::duplex` pipe
//!   (1 MiB buffer), on a current-thread runtime, with `pipeline_flush(true)` so that
//!   pipelined responses leave in one write as ours do; the service returns a
//!   `Response<Full<Bytes>>` (hyper adds `date` itself from its per-second cache; ours is
//!   a fixed field of the same length). The other end of the pipe plays the socket: each
//!   iteration writes the batch in and reads the 32 responses back out (`block_on`).
//!   hyper cannot be driven without I/O traits, so its row also pays the pipe's copies and
//!   the runtime's task wake-ups; that is the overhead an application of hyper pays too,
//!   but it is not parsing work.
//!
//! # `chunked/<impl>`: a 1 MiB chunked request body, decoded
//!
//! One POST with `Transfer-Encoding: chunked` carrying 1 MiB in 64 chunks of 16 KiB, fed
//! in 64 KiB reads; the server counts the content and answers `200` with no content.
//! Throughput counts content bytes.
//!
//! - `stator`: `recv` per read, each `Event::Data` is a slice of the receive buffer
//!   (no copy beyond `recv`'s).
//! - `hyper`: the same bytes written into the pipe in 64 KiB writes; the service reads
//!   the body frame by frame (`Body::frame`), counting, then answers.
//!
//! Allocations per request are counted once, before timing, with a counting global
//! allocator (`stats_alloc`), for both implementations over 1,000 pipelined requests
//! (hyper's count includes its runtime's); they are printed at the start of the run.

// Benchmark code works on trusted fixtures it builds itself: the panic-free lints guard
// peer input, not this.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss
)]

use std::alloc::System;
use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use stator_h1::{BodySize, Connection, Event};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::runtime::Runtime;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PIPELINE: usize = 32;
const REQUEST: &[u8] =
    b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n";
const DATE: &str = "Sun, 22 Nov 2026 04:09:26 GMT";
const BODY_SIZE: usize = 1 << 20;
const CHUNK: usize = 16 * 1024;
const READ: usize = 64 * 1024;

// ---- stator ---------------------------------------------------------------------------

struct StatorServer {
    conn: Connection,
    head: http::response::Parts,
    out: Vec<u8>,
}

impl StatorServer {
    fn new() -> StatorServer {
        let head = Response::builder()
            .header("content-type", "text/plain")
            .header("date", DATE)
            .body(())
            .unwrap()
            .into_parts()
            .0;
        StatorServer {
            conn: Connection::server(),
            head,
            out: Vec::with_capacity(64 * 1024),
        }
    }

    /// Parses and answers a pipelined batch; returns the output.
    fn pipelined(&mut self, batch: &[u8]) -> &[u8] {
        self.conn.recv(batch);
        while let Some(event) = self.conn.poll_event() {
            if let Event::End(_) = event {
                self.conn
                    .send_response(&self.head, BodySize::Known(13))
                    .unwrap();
                self.conn.send_data(b"Hello, World!").unwrap();
                self.conn.send_end(None).unwrap();
            }
        }
        self.out.clear();
        let _ = self.conn.poll_output(&mut self.out);
        &self.out
    }

    /// Decodes one chunked request fed in `reads`; returns the content length seen.
    fn chunked(&mut self, reads: &[Vec<u8>]) -> usize {
        let mut seen = 0;
        for read in reads {
            self.conn.recv(read);
            while let Some(event) = self.conn.poll_event() {
                match event {
                    Event::Data(d) => seen += d.len(),
                    Event::End(_) => {
                        self.conn
                            .send_response(&self.head, BodySize::Empty)
                            .unwrap();
                    }
                    _ => {}
                }
            }
        }
        self.out.clear();
        let _ = self.conn.poll_output(&mut self.out);
        seen
    }
}

// ---- hyper ----------------------------------------------------------------------------

/// hyper's server on one end of an in-memory pipe; the bench holds the other end.
struct HyperServer {
    rt: Runtime,
    io: DuplexStream,
    buf: Vec<u8>,
}

impl HyperServer {
    fn new() -> HyperServer {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (io, server_io) = tokio::io::duplex(1 << 20);
        rt.spawn(async move {
            let service = service_fn(|req: Request<Incoming>| async move {
                let mut body = req.into_body();
                let mut seen = 0;
                while let Some(frame) = body.frame().await {
                    if let Ok(data) = frame.unwrap().into_data() {
                        seen += data.len();
                    }
                }
                let response = if seen == 0 {
                    Response::builder()
                        .header("content-type", "text/plain")
                        .body(Full::new(Bytes::from_static(b"Hello, World!")).boxed())
                } else {
                    Response::builder()
                        .header("content-type", "text/plain")
                        .header("x-seen", seen)
                        .body(Empty::<Bytes>::new().boxed())
                };
                Ok::<_, Infallible>(response.unwrap())
            });
            hyper::server::conn::http1::Builder::new()
                .pipeline_flush(true)
                .serve_connection(TokioIo::new(server_io), service)
                .await
                .unwrap();
        });
        HyperServer {
            rt,
            io,
            buf: vec![0; 64 * 1024],
        }
    }

    /// Writes `reads` into the pipe and reads back `expect` bytes of responses.
    fn exchange(&mut self, reads: &[&[u8]], expect: usize) -> usize {
        let HyperServer { rt, io, buf } = self;
        rt.block_on(async {
            for read in reads {
                io.write_all(read).await.unwrap();
            }
            let mut got = 0;
            while got < expect {
                let n = io.read(buf).await.unwrap();
                assert!(n > 0);
                got += n;
            }
            got
        })
    }

    /// The bytes of the responses to `reads`, for the correctness check.
    fn responses(&mut self, reads: &[&[u8]], count: usize) -> Vec<u8> {
        let HyperServer { rt, io, buf } = self;
        rt.block_on(async {
            for read in reads {
                io.write_all(read).await.unwrap();
            }
            let mut all = Vec::new();
            while !ends_response(&all, count) {
                let n = io.read(buf).await.unwrap();
                all.extend_from_slice(&buf[..n]);
            }
            all
        })
    }
}

fn ends_response(all: &[u8], count: usize) -> bool {
    String::from_utf8_lossy(all)
        .matches("HTTP/1.1 200 OK")
        .count()
        == count
        && (all.ends_with(b"Hello, World!") || all.ends_with(b"\r\n\r\n"))
}

// ---- fixtures -------------------------------------------------------------------------

fn chunked_request() -> Vec<Vec<u8>> {
    let mut wire =
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let chunk = vec![b'x'; CHUNK];
    for _ in 0..BODY_SIZE / CHUNK {
        wire.extend_from_slice(format!("{CHUNK:x}\r\n").as_bytes());
        wire.extend_from_slice(&chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire.chunks(READ).map(<[u8]>::to_vec).collect()
}

/// Checks both servers answer alike and counts allocations per request.
fn check_and_count(batch: &[u8], reads: &[Vec<u8>]) -> usize {
    let mut stator = StatorServer::new();
    let ours = stator.pipelined(batch).to_vec();
    let mut hyper = HyperServer::new();
    let theirs = hyper.responses(&[batch], PIPELINE);
    // The same responses: same fields (hyper orders them differently and writes today's
    // date, of the same length), same content.
    for out in [&ours, &theirs] {
        let text = String::from_utf8_lossy(out);
        assert_eq!(
            text.matches("HTTP/1.1 200 OK\r\n").count(),
            PIPELINE,
            "{text}"
        );
        assert_eq!(
            text.matches("\r\n\r\nHello, World!").count(),
            PIPELINE,
            "{text}"
        );
        assert_eq!(
            text.matches("content-length: 13\r\n").count(),
            PIPELINE,
            "{text}"
        );
    }
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(stator.chunked(reads), BODY_SIZE);
    let refs: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
    let answer = hyper.responses(&refs, 1);
    assert!(String::from_utf8_lossy(&answer).contains(&format!("x-seen: {BODY_SIZE}")));

    let rounds = 1000 / PIPELINE;
    let count = |f: &mut dyn FnMut()| {
        let region = Region::new(GLOBAL);
        f();
        let s = region.change();
        (s.allocations + s.reallocations) as f64 / (rounds * PIPELINE) as f64
    };
    let ours = count(&mut || {
        for _ in 0..rounds {
            black_box(stator.pipelined(batch));
        }
    });
    let len = theirs.len();
    let theirs = count(&mut || {
        for _ in 0..rounds {
            black_box(hyper.exchange(&[batch], len));
        }
    });
    println!("allocations per request: stator {ours:.2}, hyper {theirs:.2}");
    len
}

fn benches(c: &mut Criterion) {
    let batch = REQUEST.repeat(PIPELINE);
    let reads = chunked_request();
    let response_len = check_and_count(&batch, &reads);

    let mut group = c.benchmark_group("pipelined");
    group.throughput(Throughput::Elements(PIPELINE as u64));
    let mut stator = StatorServer::new();
    group.bench_function("stator", |b| {
        b.iter(|| black_box(stator.pipelined(&batch).len()));
    });
    let mut hyper = HyperServer::new();
    group.bench_function("hyper", |b| {
        b.iter(|| black_box(hyper.exchange(&[&batch], response_len)));
    });
    group.finish();

    let mut group = c.benchmark_group("chunked");
    group.throughput(Throughput::Bytes(BODY_SIZE as u64));
    let mut stator = StatorServer::new();
    group.bench_function("stator", |b| b.iter(|| black_box(stator.chunked(&reads))));
    let mut hyper = HyperServer::new();
    let refs: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
    let answer_len = hyper.responses(&refs, 1).len();
    group.bench_function("hyper", |b| {
        b.iter(|| black_box(hyper.exchange(&refs, answer_len)));
    });
    group.finish();
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
