//! Allocations per decoded field section over the QIF corpus (DESIGN.md §2
//! "Allocation-aware"), at table capacity 0 and at 4,096 with 100 blocked streams and
//! immediate acknowledgments, the settings of `benches/qpack.rs`.
//!
//! A counting global allocator (`stats_alloc`: writing one by hand needs `unsafe`, which the
//! workspace forbids). The counter is global, so this file runs without the libtest harness
//! (`harness = false` in Cargo.toml), as `crates/ws/tests/alloc.rs` does.
//!
//! Counted separately per section: the decode call, by each API in turn (`decode`,
//! including dropping the returned fields; `decode_with`, whose closure drops each field;
//! `decode_into` a `RequestBuilder` or `ResponseBuilder`, made and finished outside the
//! count); `on_encoder_stream` for the inserts sent before it, and `poll_decoder_stream` into a
//! reused buffer; plus creating each file's decoder. Every section's `Bytes` is made shared
//! before counting, as one split from a receive buffer would be.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_precision_loss
)]

mod common;

use std::alloc::System;

use std::ops::ControlFlow;

use bytes::Bytes;
use common::qif_files;
use stator_http::fields::{Limits as FieldLimits, RequestBuilder, ResponseBuilder};
use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits, Progress};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The documented bounds (docs/PERFORMANCE.md), averaged over the corpus: allocations per
/// section in the decode call, by API and setting. Measured 2026-11-22 (before the arenas,
/// `decode` made 32.6 and 10.7):
/// - `decode`: 1.18 static-only, 1.06 at 4,096: the returned `Vec<Field>` (one allocation,
///   a second for the few sections of more than 32 lines), plus the Huffman arena's 4 KiB
///   chunks, which the dropped fields let it reuse.
/// - `decode_with`: 0.05 (1,531 of 1,571 sections allocate nothing; the rest are the first
///   sections of each file growing the scratch buffer, arena and instruction queue).
/// - `decode_into`: 5.2 and 4.7: its decode loop is `decode_with`'s, so these are the
///   builder's own (its `HeaderMap`, URI parts) plus a `CheckedField` made once per dynamic
///   entry.
const DECODE_PER_SECTION_STATIC: f64 = 1.25;
const DECODE_PER_SECTION_DYN4096: f64 = 1.1;
const DECODE_WITH_PER_SECTION_STATIC: f64 = 0.06;
const DECODE_WITH_PER_SECTION_DYN4096: f64 = 0.06;
const DECODE_INTO_PER_SECTION_STATIC: f64 = 5.5;
const DECODE_INTO_PER_SECTION_DYN4096: f64 = 5.0;
/// `on_encoder_stream`, per section, for the inserts sent before it: 0.045 at 4,096 (the
/// table arena's 4 KiB chunks and the entry queue's growth; was 0.65, a copy per string).
const ENCODER_STREAM_PER_SECTION: f64 = 0.05;

/// Allocations (including reallocations) made by `f`, and its result.
fn count<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let region = Region::new(GLOBAL);
    let out = f();
    let stats = region.change();
    (stats.allocations + stats.reallocations, out)
}

fn limits(table: u64, blocked: u64) -> Limits {
    Limits {
        max_table_capacity: table as usize,
        max_blocked_streams: blocked as usize,
        ..Limits::default()
    }
}

/// `(stream id, encoder-stream bytes, section)` for each list, encoded with immediate acks.
fn record(lists: &[Vec<Field>], table: u64, blocked: u64) -> Vec<(u64, Vec<u8>, Bytes)> {
    let mut encoder = Encoder::new(table, blocked);
    let mut decoder = Decoder::new(limits(table, blocked));
    let mut out = Vec::new();
    for (i, fields) in (0u64..).zip(lists) {
        let mut enc = Vec::new();
        let section = encoder.encode(4 * i, fields, &mut enc);
        decoder.on_encoder_stream(&enc).unwrap();
        match decoder.decode(4 * i, section.clone()).unwrap() {
            Decoded::Fields(got) => assert!(got == *fields),
            Decoded::Blocked => panic!("blocked"),
        }
        let mut ds = Vec::new();
        let _ = decoder.poll_decoder_stream(&mut ds);
        encoder.on_decoder_stream(&ds).unwrap();
        out.push((4 * i, enc, section));
    }
    out
}

/// The decoder API under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// `decode`, the returned `Vec<Field>` dropped.
    Vec,
    /// `decode_with`, each field dropped by the closure.
    With,
    /// `decode_into` a `RequestBuilder` or `ResponseBuilder` (made and finished outside
    /// the count; its own allocations while taking fields are counted).
    Into,
}

/// Runs one section through `api`, returning the number of fields.
fn decode(decoder: &mut Decoder, api: Api, id: u64, section: Bytes) -> usize {
    match api {
        Api::Vec => match decoder.decode(id, section).unwrap() {
            Decoded::Fields(f) => f.len(),
            Decoded::Blocked => panic!("blocked"),
        },
        Api::With => {
            let mut n = 0;
            let progress = decoder
                .decode_with(id, section, |_| {
                    n += 1;
                    ControlFlow::<()>::Continue(())
                })
                .unwrap();
            assert!(matches!(
                progress,
                Progress::Done(ControlFlow::Continue(()))
            ));
            n
        }
        Api::Into => panic!("decode_into is measured in main, with its builder"),
    }
}

#[derive(Default)]
struct Counts {
    sections: usize,
    fields: usize,
    decode: usize,
    encoder_stream: usize,
    decoder_stream: usize,
    create: usize,
    max_decode: usize,
    /// Sections that allocated nothing in the decode call.
    zero: usize,
}

fn main() {
    let files = qif_files();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let field_limits = FieldLimits::default();
    for (api, label, table, blocked, bound) in [
        (Api::Vec, "static", 0u64, 0u64, DECODE_PER_SECTION_STATIC),
        (Api::Vec, "dyn4096", 4096, 100, DECODE_PER_SECTION_DYN4096),
        (Api::With, "static", 0, 0, DECODE_WITH_PER_SECTION_STATIC),
        (
            Api::With,
            "dyn4096",
            4096,
            100,
            DECODE_WITH_PER_SECTION_DYN4096,
        ),
        (Api::Into, "static", 0, 0, DECODE_INTO_PER_SECTION_STATIC),
        (
            Api::Into,
            "dyn4096",
            4096,
            100,
            DECODE_INTO_PER_SECTION_DYN4096,
        ),
    ] {
        let mut c = Counts::default();
        for (_, lists) in &files {
            let steps = record(lists, table, blocked);
            let mut ds = Vec::with_capacity(64 * 1024);
            let (n, mut decoder) = count(|| Decoder::new(limits(table, blocked)));
            c.create += n;
            for ((id, enc, section), list) in steps.into_iter().zip(lists) {
                let (n, r) = count(|| decoder.on_encoder_stream(&enc));
                r.unwrap();
                c.encoder_stream += n;
                let response = list.first().is_some_and(|f| f.name == ":status");
                let (n, fields) = if api == Api::Into {
                    let version = http::Version::HTTP_3;
                    let (n, progress) = if response {
                        let mut b = ResponseBuilder::new(version, &field_limits);
                        let r = count(|| decoder.decode_into(id, section, &mut b).unwrap());
                        drop(b.finish());
                        r
                    } else {
                        let mut b = RequestBuilder::new(version, &field_limits);
                        let r = count(|| decoder.decode_into(id, section, &mut b).unwrap());
                        drop(b.finish());
                        r
                    };
                    assert!(matches!(progress, Progress::Done(_)), "blocked");
                    (n, list.len())
                } else {
                    count(|| decode(&mut decoder, api, id, section))
                };
                c.fields += fields;
                c.decode += n;
                c.max_decode = c.max_decode.max(n);
                c.zero += usize::from(n == 0);
                c.sections += 1;
                let (n, _) = count(|| decoder.poll_decoder_stream(&mut ds));
                c.decoder_stream += n;
            }
        }
        let per = |n: usize| n as f64 / c.sections as f64;
        report.push(format!(
            "{api:?} {label}: {} sections, {} fields; allocations: decode {} ({:.3}/section, \
             max {} in one, {} sections with none), on_encoder_stream {} ({:.3}/section), \
             poll_decoder_stream {}, decoder creation {} ({} files)",
            c.sections,
            c.fields,
            c.decode,
            per(c.decode),
            c.max_decode,
            c.zero,
            c.encoder_stream,
            per(c.encoder_stream),
            c.decoder_stream,
            c.create,
            files.len(),
        ));
        if c.decode as f64 > c.sections as f64 * bound {
            failures.push(format!(
                "{api:?} {label}: decode allocated {} times for {} sections",
                c.decode, c.sections
            ));
        }
        if c.encoder_stream as f64 > c.sections as f64 * ENCODER_STREAM_PER_SECTION {
            failures.push(format!(
                "{api:?} {label}: on_encoder_stream allocated {} times for {} sections",
                c.encoder_stream, c.sections
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{failures:#?}");
}
