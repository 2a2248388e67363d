//! QPACK encode and decode of the offline-interop corpus's QIF files. Run:
//! `cargo bench -p stator-qpack --bench qpack`.
//!
//! Every header list of every `qifs/*.qif` file of `../shared/testdata/qifs` (each file one
//! connection: a fresh encoder and decoder per file) at two settings:
//! - `static`: table capacity 0, the static table only;
//! - `dyn4096`: table capacity 4,096, 100 blocked streams, immediate acknowledgments (the
//!   decoder's decoder-stream bytes go back to the encoder after each section, so the
//!   encoder can reference its inserts without blocking).
//!
//! Before timing, each file is encoded once with a decoder beside the encoder, every
//! section is checked to decode to exactly the input list (order and all), and the
//! encoder-stream bytes, sections and decoder-stream bytes are recorded. Then
//! - `encode` times a fresh encoder over the file's lists, fed the recorded
//!   decoder-stream bytes after each section (the acks the decoder would send, so the
//!   encoder alone is timed; its output is checked to be the recorded one first);
//! - `decode` times a fresh decoder over the recorded encoder-stream bytes and sections,
//!   polling its decoder stream into a reused buffer after each section and dropping the
//!   decoded fields.
//! - `decode_with` does the same through `decode_with`, a closure dropping each field.
//!
//! Throughput is in bytes of plain header data: the sum of name and value lengths of every
//! field. Sections and fields per second follow from the time and the counts printed
//! before timing.

// Benchmark code works on trusted fixtures it loads itself: the panic-free lints guard
// peer input, not this.
#![allow(
    missing_docs,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits, Progress};

/// Parses a QIF file: header lists separated by blank lines, `name\tvalue` lines, `#`
/// comments (as `tests/common/mod.rs`).
// The QIF reader the integration tests use: one copy for tests, bench and tool.
#[path = "../tests/common/mod.rs"]
mod common;
use common::parse_qif;

/// Every QIF file of the corpus, by stem, sorted.
fn qif_files() -> Vec<(String, Vec<Vec<Field>>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/qifs/qifs");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("qif") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        out.push((stem, parse_qif(&std::fs::read_to_string(&path).unwrap())));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One section as exchanged: encoder-stream bytes sent before it, the section, and the
/// decoder-stream bytes the decoder answered with.
struct Step {
    stream_id: u64,
    encoder_stream: Vec<u8>,
    section: Bytes,
    decoder_stream: Vec<u8>,
}

/// One QIF file at one setting: its lists and their recorded exchange.
struct Connection {
    lists: Vec<Vec<Field>>,
    steps: Vec<Step>,
}

fn decoder(table: u64, blocked: u64) -> Decoder {
    Decoder::new(Limits {
        max_table_capacity: table as usize,
        max_blocked_streams: blocked as usize,
        ..Limits::default()
    })
}

/// Encodes `lists` with acks from a decoder beside the encoder, checking every section
/// decodes to its list exactly.
fn record(lists: &[Vec<Field>], table: u64, blocked: u64) -> Vec<Step> {
    let mut encoder = Encoder::new(table, blocked);
    let mut decoder = decoder(table, blocked);
    let mut steps = Vec::new();
    for (i, fields) in lists.iter().enumerate() {
        let stream_id = 4 * i as u64;
        let mut encoder_stream = Vec::new();
        let section = encoder.encode(stream_id, fields, &mut encoder_stream);
        decoder.on_encoder_stream(&encoder_stream).unwrap();
        match decoder.decode(stream_id, section.clone()).unwrap() {
            Decoded::Fields(got) => assert!(got == *fields, "section {i} decodes differently"),
            Decoded::Blocked => panic!("section {i} blocked after its inserts"),
        }
        let mut decoder_stream = Vec::new();
        let _ = decoder.poll_decoder_stream(&mut decoder_stream);
        encoder.on_decoder_stream(&decoder_stream).unwrap();
        steps.push(Step {
            stream_id,
            encoder_stream,
            // Received data is normally a shared `Bytes` (split from a receive buffer);
            // cloning once makes this one shared too, so slicing it costs no allocation.
            section: section.clone(),
            decoder_stream,
        });
    }
    assert_eq!(decoder.blocked_streams(), 0);
    steps
}

fn encode_all(
    conns: &[Connection],
    table: u64,
    blocked: u64,
    mut check: impl FnMut(&Step, &Bytes, &[u8]),
) {
    let mut encoder_stream = Vec::with_capacity(4096);
    for conn in conns {
        let mut encoder = Encoder::new(table, blocked);
        for (fields, step) in conn.lists.iter().zip(&conn.steps) {
            encoder_stream.clear();
            let section = encoder.encode(step.stream_id, fields, &mut encoder_stream);
            check(step, &section, &encoder_stream);
            black_box(section);
            encoder.on_decoder_stream(&step.decoder_stream).unwrap();
        }
    }
}

fn decode_all(conns: &[Connection], table: u64, blocked: u64) {
    let mut decoder_stream = Vec::with_capacity(4096);
    for conn in conns {
        let mut decoder = decoder(table, blocked);
        for step in &conn.steps {
            decoder.on_encoder_stream(&step.encoder_stream).unwrap();
            match decoder
                .decode(step.stream_id, step.section.clone())
                .unwrap()
            {
                Decoded::Fields(fields) => {
                    black_box(fields);
                }
                Decoded::Blocked => panic!("blocked"),
            }
            decoder_stream.clear();
            black_box(decoder.poll_decoder_stream(&mut decoder_stream));
        }
    }
}

/// [`decode_all`] through `decode_with`, each field dropped by the closure.
fn decode_with_all(conns: &[Connection], table: u64, blocked: u64) {
    let mut decoder_stream = Vec::with_capacity(4096);
    for conn in conns {
        let mut decoder = decoder(table, blocked);
        for step in &conn.steps {
            decoder.on_encoder_stream(&step.encoder_stream).unwrap();
            let progress = decoder
                .decode_with(step.stream_id, step.section.clone(), |field| {
                    black_box(field);
                    ControlFlow::<()>::Continue(())
                })
                .unwrap();
            assert!(matches!(
                progress,
                Progress::Done(ControlFlow::Continue(()))
            ));
            decoder_stream.clear();
            black_box(decoder.poll_decoder_stream(&mut decoder_stream));
        }
    }
}

fn bench(c: &mut Criterion) {
    let files = qif_files();
    let lists: usize = files.iter().map(|(_, l)| l.len()).sum();
    let fields: usize = files.iter().flat_map(|(_, l)| l).map(Vec::len).sum();
    let plain: usize = files
        .iter()
        .flat_map(|(_, l)| l)
        .flatten()
        .map(|f| f.name.len() + f.value.len())
        .sum();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    println!(
        "corpus: {} files ({}), {lists} sections, {fields} fields, {plain} bytes of names and values",
        files.len(),
        names.join(", ")
    );

    for (label, table, blocked) in [("static", 0u64, 0u64), ("dyn4096", 4096, 100)] {
        let conns: Vec<Connection> = files
            .iter()
            .map(|(_, lists)| Connection {
                steps: record(lists, table, blocked),
                lists: lists.clone(),
            })
            .collect();
        let wire: usize = conns
            .iter()
            .flat_map(|c| &c.steps)
            .map(|s| s.section.len() + s.encoder_stream.len())
            .sum();
        let acks: usize = conns
            .iter()
            .flat_map(|c| &c.steps)
            .map(|s| s.decoder_stream.len())
            .sum();
        println!(
            "{label}: {wire} bytes of sections and encoder stream ({:.3} of plain), {acks} bytes of decoder stream",
            wire as f64 / plain as f64
        );
        // The timed encoder must produce exactly what was verified.
        encode_all(&conns, table, blocked, |step, section, encoder_stream| {
            assert_eq!(*section, step.section);
            assert_eq!(encoder_stream, step.encoder_stream.as_slice());
        });

        let mut group = c.benchmark_group(format!("qpack/{label}"));
        group.throughput(Throughput::Bytes(plain as u64));
        // One iteration is the whole corpus (milliseconds): few samples suffice.
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        group.bench_function("encode", |b| {
            b.iter(|| encode_all(&conns, table, blocked, |_, _, _| {}));
        });
        group.bench_function("decode", |b| b.iter(|| decode_all(&conns, table, blocked)));
        group.bench_function("decode_with", |b| {
            b.iter(|| decode_with_all(&conns, table, blocked));
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
