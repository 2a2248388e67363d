//! Huffman encode and decode throughput on real header strings, side by side with
//! loona-hpack's decoder and httlib-huffman (encoder and its fastest, 5-bit decoder).
//!
//! The corpus is every header name and value of the `raw-data` stories in
//! `../shared/testdata/hpack-test-case`: headers captured from real sites. Throughput counts
//! plain (decoded) bytes. Run: `cargo bench -p stator-wire --bench huffman`.

// Benchmark code reads trusted fixtures: the panic-free lints guard peer input, not this.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stator_wire::huffman;

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/hpack-test-case/raw-data");
    let mut strings = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let story: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("story")).expect("json");
        for case in story["cases"].as_array().expect("cases") {
            for header in case["headers"].as_array().expect("headers") {
                for (name, value) in header.as_object().expect("header") {
                    strings.push(name.as_bytes().to_vec());
                    strings.push(value.as_str().expect("value").as_bytes().to_vec());
                }
            }
        }
    }
    strings
}

fn bench(c: &mut Criterion) {
    let plain = corpus();
    let total: usize = plain.iter().map(Vec::len).sum();
    let coded: Vec<Vec<u8>> = plain
        .iter()
        .map(|s| {
            let mut out = Vec::new();
            huffman::encode(s, &mut out).expect("encode");
            out
        })
        .collect();

    // Every decoder must agree before we time it.
    for (p, c) in plain.iter().zip(&coded) {
        let mut ours = Vec::new();
        huffman::decode(c, &mut ours).expect("stator");
        assert_eq!(&ours, p);
        assert_eq!(
            &loona_hpack::huffman::HuffmanDecoder::new()
                .decode(c)
                .expect("loona"),
            p
        );
        let mut theirs = Vec::new();
        httlib_huffman::decode(c, &mut theirs, httlib_huffman::DecoderSpeed::FiveBits)
            .expect("httlib");
        assert_eq!(&theirs, p);
    }

    let mut g = c.benchmark_group("huffman_decode");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("stator", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            for s in &coded {
                out.clear();
                huffman::decode(black_box(s), &mut out).expect("decode");
                black_box(&out);
            }
        });
    });
    g.bench_function("loona-hpack", |b| {
        let mut dec = loona_hpack::huffman::HuffmanDecoder::new();
        b.iter(|| {
            for s in &coded {
                black_box(dec.decode(black_box(s)).expect("decode"));
            }
        });
    });
    g.bench_function("httlib-huffman", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            for s in &coded {
                out.clear();
                httlib_huffman::decode(
                    black_box(s),
                    &mut out,
                    httlib_huffman::DecoderSpeed::FiveBits,
                )
                .expect("decode");
                black_box(&out);
            }
        });
    });
    g.finish();

    let mut g = c.benchmark_group("huffman_encode");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("stator", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            for s in &plain {
                out.clear();
                huffman::encode(black_box(s), &mut out).expect("encode");
                black_box(&out);
            }
        });
    });
    g.bench_function("httlib-huffman", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            for s in &plain {
                out.clear();
                httlib_huffman::encode(black_box(s), &mut out).expect("encode");
                black_box(&out);
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
