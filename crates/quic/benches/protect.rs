//! Packet protection against raw ring AEAD on the same buffer. Run:
//! `cargo bench -p stator-quic --bench protect`.
//!
//! Each group is one AEAD and one packet size (1200 and 1452 bytes on the wire: a
//! 13-byte short header with an 8-byte connection ID and a 4-byte packet number, the
//! payload, the 16-byte tag). Throughput counts packet bytes.
//!
//! - `seal/stator`: `protect_packet`: rustls' packet key seals the payload in place (the
//!   header as associated data, the nonce from the packet number), the tag goes into its
//!   slot, then header protection masks the first byte and packet number.
//! - `seal/ring`: the physical reference: ring's `LessSafeKey::seal_in_place_separate_tag`
//!   on the same payload with the same header as associated data and a nonce built from
//!   the IV and packet number, with no header protection.
//! - `open/stator`: copy the protected packet into the buffer, `remove_header_protection`,
//!   then `open_packet`.
//! - `open/ring`: copy the sealed packet into the buffer, then ring's `open_in_place`.
//! - `seal/ring+hp`, `open/ring+hp`: the same with ring's own QUIC header protection
//!   (`ring::aead::quic`: the mask from a 16-byte sample, applied to the first byte and
//!   the packet number): the physical floor of *packet* protection, which the plain
//!   AEAD rows leave out.
//!
//! The goal (issue 8): the stator rows within 10% of the ring rows.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ring::aead::quic::HeaderProtectionKey;
use ring::aead::{AES_128_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use stator_quic::Version;
use stator_quic::crypto::{
    DirectionalKeys, Side, initial_keys, open_packet, protect_packet, remove_header_protection,
};
use std::hint::black_box;

const HEADER_LEN: usize = 13;
const PN_OFFSET: usize = 9;
const TAG_LEN: usize = 16;
const PN: u64 = 0x0102_0304;

fn packet(size: usize) -> Vec<u8> {
    let mut p = vec![0x43];
    p.extend_from_slice(&[0x5a; 8]);
    p.extend_from_slice(&(PN as u32).to_be_bytes());
    p.resize(size, 0x42);
    p
}

fn nonce(iv: &[u8; 12]) -> Nonce {
    let mut n = *iv;
    for (b, p) in n[4..].iter_mut().zip(PN.to_be_bytes()) {
        *b ^= p;
    }
    Nonce::assume_unique_for_key(n)
}

fn bench_suite(
    c: &mut Criterion,
    name: &str,
    keys: &DirectionalKeys,
    ring_key: &LessSafeKey,
    ring_hp: &HeaderProtectionKey,
    iv: &[u8; 12],
) {
    for size in [1200usize, 1452] {
        let mut group = c.benchmark_group(format!("{name}/{size}"));
        group.throughput(Throughput::Bytes(size as u64));
        let template = packet(size);

        let mut buf = template.clone();
        group.bench_function(BenchmarkId::new("seal", "stator"), |b| {
            b.iter(|| {
                protect_packet(&keys.header, &keys.packet, PN, &mut buf, PN_OFFSET, false).unwrap();
                black_box(&buf);
            });
        });
        let mut buf = template.clone();
        group.bench_function(BenchmarkId::new("seal", "ring"), |b| {
            b.iter(|| {
                let (header, rest) = buf.split_at_mut(HEADER_LEN);
                let (payload, tag_slot) = rest.split_at_mut(size - HEADER_LEN - TAG_LEN);
                let tag = ring_key
                    .seal_in_place_separate_tag(nonce(iv), Aad::from(&*header), payload)
                    .unwrap();
                tag_slot.copy_from_slice(tag.as_ref());
                black_box(&buf);
            });
        });

        let mut buf = template.clone();
        group.bench_function(BenchmarkId::new("seal", "ring+hp"), |b| {
            b.iter(|| {
                let (header, rest) = buf.split_at_mut(HEADER_LEN);
                let (payload, tag_slot) = rest.split_at_mut(size - HEADER_LEN - TAG_LEN);
                let tag = ring_key
                    .seal_in_place_separate_tag(nonce(iv), Aad::from(&*header), payload)
                    .unwrap();
                tag_slot.copy_from_slice(tag.as_ref());
                mask(ring_hp, &mut buf);
                black_box(&buf);
            });
        });

        let mut protected = template.clone();
        protect_packet(
            &keys.header,
            &keys.packet,
            PN,
            &mut protected,
            PN_OFFSET,
            false,
        )
        .unwrap();
        let mut buf = protected.clone();
        group.bench_function(BenchmarkId::new("open", "stator"), |b| {
            b.iter(|| {
                buf.copy_from_slice(&protected);
                let u = remove_header_protection(&keys.header, &mut buf, PN_OFFSET, false).unwrap();
                let n = open_packet(&keys.packet, PN, &mut buf, PN_OFFSET + u.pn_len).unwrap();
                black_box(n);
            });
        });
        let mut sealed = template.clone();
        {
            let (header, rest) = sealed.split_at_mut(HEADER_LEN);
            let (payload, tag_slot) = rest.split_at_mut(size - HEADER_LEN - TAG_LEN);
            let tag = ring_key
                .seal_in_place_separate_tag(nonce(iv), Aad::from(&*header), payload)
                .unwrap();
            tag_slot.copy_from_slice(tag.as_ref());
        }
        let mut buf = sealed.clone();
        group.bench_function(BenchmarkId::new("open", "ring"), |b| {
            b.iter(|| {
                buf.copy_from_slice(&sealed);
                let (header, rest) = buf.split_at_mut(HEADER_LEN);
                let n = ring_key
                    .open_in_place(nonce(iv), Aad::from(&*header), rest)
                    .unwrap()
                    .len();
                black_box(n);
            });
        });
        let mut masked = sealed.clone();
        mask(ring_hp, &mut masked);
        let mut buf = masked.clone();
        group.bench_function(BenchmarkId::new("open", "ring+hp"), |b| {
            b.iter(|| {
                buf.copy_from_slice(&masked);
                mask(ring_hp, &mut buf);
                let (header, rest) = buf.split_at_mut(HEADER_LEN);
                let n = ring_key
                    .open_in_place(nonce(iv), Aad::from(&*header), rest)
                    .unwrap()
                    .len();
                black_box(n);
            });
        });
        group.finish();
    }
}

/// ring's header protection of a short header: the mask from the sample 4 bytes past
/// the packet number's start, over 5 bits of the first byte and the 4 packet-number
/// bytes (an involution: the same call removes it).
fn mask(hp: &HeaderProtectionKey, packet: &mut [u8]) {
    let sample: [u8; 16] = packet[PN_OFFSET + 4..PN_OFFSET + 20].try_into().unwrap();
    let m = hp.new_mask(&sample).unwrap();
    packet[0] ^= m[0] & 0x1f;
    for (b, k) in packet[PN_OFFSET..PN_OFFSET + 4].iter_mut().zip(&m[1..]) {
        *b ^= k;
    }
}

fn protect(c: &mut Criterion) {
    // AES-128-GCM: the Initial keys (the same AEAD as TLS_AES_128_GCM_SHA256's 1-RTT).
    let aes = initial_keys(
        Version::V1,
        b"\x83\x94\xc8\xf0\x3e\x51\x57\x08",
        Side::Client,
    )
    .unwrap();
    let ring_aes = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[0x11; 16]).unwrap());
    let hp_aes = HeaderProtectionKey::new(&ring::aead::quic::AES_128, &[0x33; 16]).unwrap();
    bench_suite(c, "aes128gcm", &aes.local, &ring_aes, &hp_aes, &[0x22; 12]);

    let alg = rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256
        .tls13()
        .unwrap()
        .quic
        .unwrap();
    let chacha = DirectionalKeys::from_raw(alg, &[0x11; 32], &[0x22; 12], &[0x33; 32]).unwrap();
    let ring_chacha = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &[0x11; 32]).unwrap());
    let hp_chacha = HeaderProtectionKey::new(&ring::aead::quic::CHACHA20, &[0x33; 32]).unwrap();
    bench_suite(
        c,
        "chacha20poly1305",
        &chacha,
        &ring_chacha,
        &hp_chacha,
        &[0x22; 12],
    );
}

criterion_group!(benches, protect);
criterion_main!(benches);
