//! QUIC frame encode and decode. Run: `cargo bench -p stator-quic --bench frames`.
//!
//! - `ack/decode/<n>`: parse a 1-RTT payload holding one ACK frame with `n` ranges (each
//!   range 4 packets, gaps of 2) and walk every range: the parser checks each range once
//!   when parsing and the walk decodes them again, with no allocation.
//! - `ack/encode/<n>`: build the same ACK from its ranges ([`Ack::new`], which encodes
//!   the ranges into one buffer) and write it into a reused `Vec`.
//! - `ack/write/<n>`: write an already built ACK (a copy of its encoded ranges).
//! - `stream/decode/one`: a 1200-byte payload filled by one STREAM frame (no Length).
//! - `stream/decode/small`: a payload of 12 STREAM frames of 90 bytes each, with Length.
//! - `stream/encode/one` and `stream/encode/small`: the same written with
//!   [`write_stream`] into a reused `Vec` with a room of 1200 bytes.
//!
//! Throughput counts payload bytes for STREAM and ranges for ACK.

// Benchmark code works on trusted fixtures it builds itself: the panic-free lints guard
// peer input, not this.
#![allow(
    missing_docs,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::doc_markdown
)]

use std::hint::black_box;
use std::ops::RangeInclusive;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stator_quic::Level;
use stator_quic::frame::{self, Ack, EcnCounts, Frame, write_stream};

fn ranges(n: u64) -> Vec<RangeInclusive<u64>> {
    let top = 1_000_000u64;
    (0..n)
        .map(|i| {
            let hi = top - i * 6;
            hi - 3..=hi
        })
        .collect()
}

fn ack_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("ack");
    for n in [32u64, 256] {
        let rs = ranges(n);
        let ecn = Some(EcnCounts {
            ect0: 1000,
            ect1: 0,
            ce: 3,
        });
        let ack = Ack::new(rs.iter().cloned(), 25, ecn).unwrap();
        let mut wire = Vec::new();
        Frame::Ack(ack.clone()).write(&mut wire).unwrap();
        let payload = Bytes::from(wire);
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("decode/{n}"), |b| {
            b.iter(|| {
                let mut sum = 0u64;
                for f in frame::parse(black_box(payload.clone()), Level::OneRtt) {
                    if let Ok(Frame::Ack(ack)) = f {
                        for r in ack.ranges() {
                            sum += r.end() - r.start();
                        }
                    }
                }
                sum
            });
        });
        let mut out = Vec::with_capacity(4096);
        g.bench_function(format!("encode/{n}"), |b| {
            b.iter(|| {
                out.clear();
                let ack = Ack::new(black_box(&rs).iter().cloned(), 25, ecn).unwrap();
                Frame::Ack(ack).write(&mut out).unwrap()
            });
        });
        let prebuilt = Frame::Ack(ack);
        g.bench_function(format!("write/{n}"), |b| {
            b.iter(|| {
                out.clear();
                black_box(&prebuilt).write(&mut out).unwrap()
            });
        });
    }
    g.finish();
}

fn stream_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");
    let data = vec![0x5au8; 2000];

    // One STREAM frame filling a 1200-byte payload.
    let mut one = Vec::new();
    let w = write_stream(&mut one, 1200, 4, 1 << 20, &data, false, false).unwrap();
    assert_eq!(w.written, 1200);
    let one = Bytes::from(one);
    // Twelve small STREAM frames on different streams.
    let mut small = Vec::new();
    for i in 0..12u64 {
        write_stream(&mut small, 100, i * 4, 0, &data[..90], true, true).unwrap();
    }
    let small = Bytes::from(small);

    for (name, payload) in [("one", &one), ("small", &small)] {
        g.throughput(Throughput::Bytes(payload.len() as u64));
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for f in frame::parse(black_box(payload.clone()), Level::OneRtt) {
                    if let Ok(Frame::Stream(s)) = f {
                        n += s.data.len();
                    }
                }
                n
            });
        });
    }

    let mut out = Vec::with_capacity(1500);
    g.throughput(Throughput::Bytes(1200));
    g.bench_function("encode/one", |b| {
        b.iter(|| {
            out.clear();
            write_stream(&mut out, 1200, 4, 1 << 20, black_box(&data), false, false).unwrap()
        });
    });
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("encode/small", |b| {
        b.iter(|| {
            out.clear();
            for i in 0..12u64 {
                let room = 1200 - out.len();
                write_stream(&mut out, room, i * 4, 0, black_box(&data[..90]), true, true).unwrap();
            }
            out.len()
        });
    });
    g.finish();
}

criterion_group!(benches, ack_benches, stream_benches);
criterion_main!(benches);
