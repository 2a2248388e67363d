//! The encoder's choices: size update signalling, sensitive and volatile fields, indexing
//! of what repeats, Huffman only when shorter.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code"
)]

use std::ops::ControlFlow;

use bytes::Bytes;
use stator_hpack::{Decoder, Encoder, IndexPolicy};

fn decode(dec: &mut Decoder, block: Vec<u8>) -> Vec<(Vec<u8>, Vec<u8>, bool)> {
    let mut out = Vec::new();
    let flow = dec
        .decode(&Bytes::from(block), |f| {
            out.push((f.name.to_vec(), f.value.to_vec(), f.never_indexed));
            ControlFlow::<()>::Continue(())
        })
        .unwrap();
    assert!(flow.is_continue());
    out
}

#[test]
fn size_updates_signal_the_minimum_then_the_final_size() {
    // RFC 7541 §4.2: two SETTINGS changes between blocks: 4,096 → 100 → 2,000.
    let mut enc = Encoder::new(65_536);
    enc.set_max_table_size(100);
    enc.set_max_table_size(2_000);
    let mut block = Vec::new();
    enc.encode([(b":method", b"GET")], &mut block);
    // 100 = 31 + 69 (0x45); 2,000 = 31 + 1,969 = 0xb1 0x0f.
    assert_eq!(block, [0x3f, 0x45, 0x3f, 0xb1, 0x0f, 0x82]);
    // Nothing more is owed.
    let mut block = Vec::new();
    enc.encode([(b":method", b"GET")], &mut block);
    assert_eq!(block, [0x82]);
    // The peer's limit above our cap: we stay at the cap (here 4,096 → 65,536 allowed,
    // capped at 8,192).
    let mut enc = Encoder::new(8_192);
    enc.set_max_table_size(65_536);
    let mut block = Vec::new();
    enc.encode([(b":method", b"GET")], &mut block);
    let mut dec = Decoder::default();
    dec.set_max_table_size(65_536);
    decode(&mut dec, block);
    assert_eq!(dec.table_max_size(), 8_192);
}

#[test]
fn an_encoder_smaller_than_the_default_says_so_first() {
    let mut enc = Encoder::new(0);
    let mut block = Vec::new();
    enc.encode([(b"x-a", b"b")], &mut block);
    assert_eq!(block[0], 0x20);
    assert_eq!(enc.table_size(), 0);
}

#[test]
fn sensitive_fields_are_never_indexed() {
    let mut enc = Encoder::default();
    let mut dec = Decoder::default();
    let fields: [(&[u8], &[u8]); 4] = [
        (b"authorization", b"Bearer abc"),
        (b"set-cookie", b"id=1; Secure"),
        (b"cookie", b"short=1"),
        (b"cookie", b"long-enough-cookie-value=0123456789"),
    ];
    for _ in 0..2 {
        let mut block = Vec::new();
        enc.encode(fields, &mut block);
        let got = decode(&mut dec, block);
        let flags: Vec<bool> = got.iter().map(|f| f.2).collect();
        assert_eq!(flags, [true, true, true, false]);
    }
    // Only the long cookie entered the table.
    assert_eq!(enc.table_entries().count(), 1);
    assert!(dec.table_entries().eq(enc.table_entries()));
    // The caller can mark more, and an empty policy marks none.
    let mut enc = Encoder::default().with_policy(IndexPolicy::index_all());
    let mut block = Vec::new();
    enc.encode_with_sensitivity(
        [
            (&b"x-secret"[..], &b"1"[..], true),
            (b"authorization", b"x", false),
        ],
        &mut block,
    );
    let got = decode(&mut Decoder::default(), block);
    assert_eq!((got[0].2, got[1].2), (true, false));
}

#[test]
fn what_repeats_becomes_one_octet_and_volatile_fields_stay_out() {
    let mut enc = Encoder::default();
    let fields: [(&[u8], &[u8]); 3] = [
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64)"),
        (b":path", b"/a/b/c"),
        (b"x-trace", b"abc"),
    ];
    let mut first = Vec::new();
    enc.encode(fields, &mut first);
    let mut second = Vec::new();
    enc.encode(fields, &mut second);
    // user-agent and x-trace are indexed (63 and 62 after x-trace's insertion); :path is a
    // literal without indexing with static name index 4 (0x04).
    assert_eq!(second[0], 0x80 + 63);
    assert_eq!(second[1], 0x04);
    assert_eq!(*second.last().unwrap(), 0x80 + 62);
    assert_eq!(enc.table_entries().count(), 2);
    // A value with a dynamic name reuses the name's index.
    let mut third = Vec::new();
    enc.encode([(b"x-trace", b"def")], &mut third);
    assert_eq!(third[0], 0x40 + 62);
}

#[test]
fn huffman_only_when_shorter() {
    let mut enc = Encoder::default();
    let mut block = Vec::new();
    // '&' has a 8-bit code, "&&&" is 3 octets both ways: sent plain.
    enc.encode([(b"x-a", b"&&&")], &mut block);
    assert_eq!(&block[block.len() - 4..], [0x03, b'&', b'&', b'&']);
    let mut block = Vec::new();
    enc.encode([(b"x-b", b"aaaaaaaa")], &mut block);
    // 'a' is 5 bits: 8 of them fit 5 octets, Huffman flag set.
    assert_eq!(block[block.len() - 6], 0x85);
}
