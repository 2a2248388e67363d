//! Property tests: encode → decode round trips over random header lists, table sizes and
//! table size changes between blocks; random and mutated bytes never panic the decoder.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::ops::ControlFlow;

use bytes::Bytes;
use proptest::prelude::*;
use stator_hpack::{Decoder, Encoder, IndexPolicy, Limits};

type Headers = Vec<(Vec<u8>, Vec<u8>)>;

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            ":method",
            ":path",
            ":status",
            ":authority",
            "cookie",
            "set-cookie",
            "authorization",
            "user-agent",
            "accept",
            "x-custom",
            "content-length",
            "date",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(
            prop::sample::select(b"abcdefghijklmnopqrstuvwxyz-".to_vec()),
            1..20
        ),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec!["GET", "/", "200", "", "gzip, deflate", "a=b"])
            .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(Just(b'z'), 0..3000),
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    prop::collection::vec((name(), value()), 0..12)
}

/// A block to send, possibly after a new `SETTINGS_HEADER_TABLE_SIZE`.
fn steps() -> impl Strategy<Value = Vec<(Option<usize>, Headers)>> {
    prop::collection::vec(
        (prop::option::weighted(0.2, 0usize..8192), headers()),
        1..12,
    )
}

fn decode(dec: &mut Decoder, block: Vec<u8>) -> Headers {
    let mut out = Vec::new();
    let res = dec.decode(&Bytes::from(block), |f| {
        out.push((f.name.to_vec(), f.value.to_vec()));
        ControlFlow::<()>::Continue(())
    });
    assert!(res.unwrap().is_continue());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip(
        cap in prop_oneof![Just(4096usize), 0usize..10_000],
        huffman in any::<bool>(),
        index_all in any::<bool>(),
        steps in steps(),
    ) {
        let policy = if index_all { IndexPolicy::index_all() } else { IndexPolicy::default() };
        let mut enc = Encoder::new(cap).with_huffman(huffman).with_policy(policy);
        let limits = Limits { max_header_list_size: usize::MAX, ..Limits::default() };
        let mut dec = Decoder::new(limits);
        for (settings, headers) in steps {
            if let Some(size) = settings {
                // Our SETTINGS reach the peer's encoder and are acknowledged together.
                dec.set_max_table_size(size);
                enc.set_max_table_size(size);
            }
            let mut block = Vec::new();
            enc.encode(headers.iter().map(|(n, v)| (n, v)), &mut block);
            prop_assert_eq!(decode(&mut dec, block), headers);
            // Both sides hold the same table.
            prop_assert!(enc.table_entries().eq(dec.table_entries()));
            prop_assert_eq!(enc.table_size(), dec.table_size());
        }
    }

    #[test]
    fn random_bytes_never_panic(blocks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..256), 1..4)) {
        let mut dec = Decoder::default();
        for b in blocks {
            let _ = dec.decode(&Bytes::from(b), |_| ControlFlow::<()>::Continue(()));
        }
    }

    #[test]
    fn mutated_blocks_never_panic(headers in headers(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut block = Vec::new();
        Encoder::default().encode(headers.iter().map(|(n, v)| (n, v)), &mut block);
        if !block.is_empty() {
            for (pos, byte) in flips {
                let i = pos % block.len();
                block[i] ^= byte;
            }
        }
        let mut dec = Decoder::default();
        let _ = dec.decode(&Bytes::from(block), |_| ControlFlow::<()>::Continue(()));
    }
}
