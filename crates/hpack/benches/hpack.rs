//! HPACK encode and decode of realistic header lists, side by side with loona-hpack 0.4 in
//! the same run. Run: `cargo bench -p stator-hpack --bench hpack`.
//!
//! Header lists: a browser-like GET (Chrome's request headers: client hints, fetch
//! metadata, a long user-agent and cookie) and an API response (JSON, caching, CORS, a
//! request id). Each is measured
//! - `cold`: a fresh encoder or decoder and the first block (every string a literal;
//!   mostly Huffman-coded, since our encoder codes strings that shrink);
//! - `warm`: the same list again after one block primed the tables (mostly one-byte
//!   indices; volatile fields such as `:path` stay literals), the steady state of a
//!   connection.
//!
//! Both decoders read the same bytes (our encoder's output). Each encoder uses its own
//! strategy: loona-hpack never Huffman-codes, so its blocks are larger; the sizes are
//! printed before timing. Our decoder hands fields to a sink that drops them; loona's
//! `decode_with_cb` gives `Cow`s to a callback that drops them, its cheapest path.
//! Allocations per decoded block are counted with `stats_alloc` and printed.
//!
//! h2 0.4 keeps its HPACK private (see `support/h2_peer.rs`), so it is compared one layer
//! up: `h2` reads the block as a HEADERS frame with its `Codec` (ending in an `http`
//! `HeaderMap`), and `stator_http` is our decoder feeding `stator-http`'s request or
//! response builder (ending in `http` parts). h2's encoded sizes are printed as well.

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

use std::alloc::System;
use std::hint::black_box;
use std::ops::ControlFlow;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use stator_hpack::{Decoder, Encoder};
use stator_http::fields::{Limits as FieldLimits, RequestBuilder, ResponseBuilder};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[path = "support/h2_peer.rs"]
mod h2_peer;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

type List = Vec<(&'static [u8], &'static [u8])>;

fn request() -> List {
    vec![
        (b":method", b"GET"),
        (b":authority", b"www.example.com"),
        (b":scheme", b"https"),
        (b":path", b"/assets/js/app.4f9c2b1e.js?v=20261122"),
        (b"sec-ch-ua", b"\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\", \"Google Chrome\";v=\"131\""),
        (b"sec-ch-ua-mobile", b"?0"),
        (b"sec-ch-ua-platform", b"\"Linux\""),
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        (b"accept", b"*/*"),
        (b"sec-fetch-site", b"same-origin"),
        (b"sec-fetch-mode", b"no-cors"),
        (b"sec-fetch-dest", b"script"),
        (b"referer", b"https://www.example.com/products/widgets?page=2&sort=price"),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
        (b"accept-language", b"en-US,en;q=0.9,fr;q=0.8"),
        (b"cookie", b"session_id=8f14e45fceea167a5a36dedd4bea2543; _ga=GA1.2.1234567890.1700000000; theme=dark"),
        (b"priority", b"u=1"),
    ]
}

fn response() -> List {
    vec![
        (b":status", b"200"),
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", b"1432"),
        (b"date", b"Sun, 22 Nov 2026 04:32:10 GMT"),
        (b"server", b"envoy"),
        (b"cache-control", b"private, max-age=0, must-revalidate"),
        (b"vary", b"Accept-Encoding, Origin"),
        (
            b"strict-transport-security",
            b"max-age=63072000; includeSubDomains; preload",
        ),
        (b"access-control-allow-origin", b"https://app.example.com"),
        (b"access-control-allow-credentials", b"true"),
        (b"x-request-id", b"3b1f6a2e-9c4d-4e8b-a7f0-1d2c3b4a5e6f"),
        (b"x-content-type-options", b"nosniff"),
        (b"etag", b"W/\"5a0-1fb4c2d9e\""),
    ]
}

/// Our encoder's first and second block for `list`.
fn blocks(list: &List) -> (Bytes, Bytes) {
    let mut enc = Encoder::default();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    enc.encode(list.iter().copied(), &mut a);
    enc.encode(list.iter().copied(), &mut b);
    (Bytes::from(a), Bytes::from(b))
}

fn stator_decode(dec: &mut Decoder, block: &Bytes) -> usize {
    let mut n = 0;
    let flow = dec
        .decode(block, |f| {
            n += f.value.len();
            black_box(f);
            ControlFlow::<()>::Continue(())
        })
        .expect("our block decodes");
    assert!(flow.is_continue());
    n
}

/// Decodes into a builder sized by `hint`, the previous section's field count, as a
/// connection does (0 for a cold block).
fn stator_http_decode(dec: &mut Decoder, block: &Bytes, response: bool, hint: usize) -> usize {
    let limits = FieldLimits::default();
    if response {
        let mut b = ResponseBuilder::new(http::Version::HTTP_2, &limits).with_capacity(hint);
        dec.decode_into(block, &mut b).unwrap().unwrap();
        b.finish().unwrap().headers.len()
    } else {
        let mut b = RequestBuilder::new(http::Version::HTTP_2, &limits).with_capacity(hint);
        dec.decode_into(block, &mut b).unwrap().unwrap();
        b.finish().unwrap().headers.len()
    }
}

fn loona_decode(dec: &mut loona_hpack::Decoder<'_>, block: &[u8]) -> usize {
    let mut n = 0;
    dec.decode_with_cb(block, |name, value| {
        n += value.len();
        black_box((name, value));
    })
    .expect("loona decodes our block");
    n
}

fn report(name: &str, list: &List, cold: &Bytes, warm: &Bytes) {
    let mut loona = loona_hpack::Encoder::new();
    let l_cold = loona.encode(list.iter().copied()).len();
    let l_warm = loona.encode(list.iter().copied()).len();
    let mut h2 = h2_peer::Peer::default();
    let (p, m) = h2_peer::to_h2(list);
    let h2_cold = h2.encode(p, m);
    let (p, m) = h2_peer::to_h2(list);
    let h2_warm = h2.encode(p, m);
    println!("{name}: h2 blocks {h2_cold} B cold, {h2_warm} B warm");
    // Same fields from both decoders.
    let mut ours = Decoder::default();
    let mut theirs = loona_hpack::Decoder::new();
    for block in [cold, warm] {
        let mut a = Vec::new();
        let _ = ours.decode(block, |f| {
            a.push((f.name.to_vec(), f.value.to_vec()));
            ControlFlow::<()>::Continue(())
        });
        assert_eq!(a, theirs.decode(block).expect("loona decodes"));
    }
    // Allocations of one warm decode, after one warm-up.
    let mut dec = Decoder::default();
    stator_decode(&mut dec, cold);
    stator_decode(&mut dec, warm);
    let region = Region::new(GLOBAL);
    stator_decode(&mut dec, warm);
    let warm_allocs = region.change().allocations;
    let region = Region::new(GLOBAL);
    stator_decode(&mut Decoder::default(), cold);
    let cold_allocs = region.change().allocations;
    println!(
        "{name}: {} fields; stator blocks {} B cold, {} B warm; loona-hpack {l_cold} B cold, {l_warm} B warm; \
         stator decode allocations: {cold_allocs} cold (incl. the decoder), {warm_allocs} warm",
        list.len(),
        cold.len(),
        warm.len(),
    );
}

fn bench(c: &mut Criterion) {
    for (name, list) in [("request", request()), ("response", response())] {
        let (cold, warm) = blocks(&list);
        report(name, &list, &cold, &warm);

        let mut g = c.benchmark_group(format!("decode/{name}"));
        g.bench_function("cold/stator", |b| {
            b.iter(|| stator_decode(&mut Decoder::default(), black_box(&cold)));
        });
        g.bench_function("cold/loona-hpack", |b| {
            b.iter(|| loona_decode(&mut loona_hpack::Decoder::new(), black_box(&cold)));
        });
        let response = name == "response";
        let (cold_frame, warm_frame) =
            (h2_peer::headers_frame(&cold), h2_peer::headers_frame(&warm));
        g.bench_function("cold/stator_http", |b| {
            b.iter(|| stator_http_decode(&mut Decoder::default(), black_box(&cold), response, 0));
        });
        g.bench_function("cold/h2", |b| {
            b.iter(|| h2_peer::Peer::default().decode(black_box(&cold_frame)));
        });
        let mut dec = Decoder::default();
        let hint = stator_http_decode(&mut dec, &cold, response, 0);
        g.bench_function("warm/stator_http", |b| {
            b.iter(|| stator_http_decode(&mut dec, black_box(&warm), response, hint));
        });
        let mut peer = h2_peer::Peer::default();
        peer.decode(&cold_frame);
        g.bench_function("warm/h2", |b| {
            b.iter(|| peer.decode(black_box(&warm_frame)));
        });
        let mut dec = Decoder::default();
        stator_decode(&mut dec, &cold);
        g.bench_function("warm/stator", |b| {
            b.iter(|| stator_decode(&mut dec, black_box(&warm)));
        });
        let mut dec = loona_hpack::Decoder::new();
        loona_decode(&mut dec, &cold);
        g.bench_function("warm/loona-hpack", |b| {
            b.iter(|| loona_decode(&mut dec, black_box(&warm)));
        });
        g.finish();

        let mut g = c.benchmark_group(format!("encode/{name}"));
        let mut out = Vec::with_capacity(4096);
        g.bench_function("cold/stator", |b| {
            b.iter(|| {
                out.clear();
                Encoder::default().encode(black_box(&list).iter().copied(), &mut out);
                out.len()
            });
        });
        g.bench_function("cold/loona-hpack", |b| {
            b.iter(|| {
                loona_hpack::Encoder::new()
                    .encode(black_box(&list).iter().copied())
                    .len()
            });
        });
        let mut enc = Encoder::default();
        enc.encode(list.iter().copied(), &mut Vec::new());
        g.bench_function("warm/stator", |b| {
            b.iter(|| {
                out.clear();
                enc.encode(black_box(&list).iter().copied(), &mut out);
                out.len()
            });
        });
        let mut enc = loona_hpack::Encoder::new();
        enc.encode(list.iter().copied());
        g.bench_function("warm/loona-hpack", |b| {
            b.iter(|| enc.encode(black_box(&list).iter().copied()).len());
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
