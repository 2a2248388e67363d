//! Encoder → decoder differential: any header lists, table sizes and table size changes
//! decode to what was encoded, and both sides keep identical dynamic tables.
#![no_main]

use std::ops::ControlFlow;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_hpack::{Decoder, Encoder, IndexPolicy, Limits};

/// Turns fuzz bytes into blocks of header lists. Per field: a length byte for the name
/// (0 ends the block; `0xe0..` changes the table size instead), the name, a length byte,
/// the value.
fn blocks(mut data: &[u8]) -> Vec<(Option<usize>, Vec<(Vec<u8>, Vec<u8>)>)> {
    let mut out = vec![(None, Vec::new())];
    while let Some((&n, rest)) = data.split_first() {
        data = rest;
        if n == 0 {
            out.push((None, Vec::new()));
            continue;
        }
        if n >= 0xe0 {
            out.push((Some(usize::from(n - 0xe0) * 256), Vec::new()));
            continue;
        }
        let n = usize::from(n % 24).min(data.len());
        let (name, rest) = data.split_at(n);
        let name = name.to_ascii_lowercase();
        data = rest;
        let Some((&m, rest)) = data.split_first() else {
            break;
        };
        let m = usize::from(m).min(rest.len());
        let (value, rest) = rest.split_at(m);
        data = rest;
        if let Some(last) = out.last_mut() {
            last.1.push((name, value.to_vec()));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let policy = if mode & 1 == 0 {
        IndexPolicy::default()
    } else {
        IndexPolicy::index_all()
    };
    let mut enc = Encoder::new(usize::from(mode >> 2) * 128)
        .with_huffman(mode & 2 == 0)
        .with_policy(policy);
    let mut dec = Decoder::new(Limits {
        max_header_list_size: usize::MAX,
        ..Limits::default()
    });
    for (settings, headers) in blocks(data) {
        if let Some(size) = settings {
            dec.set_max_table_size(size);
            enc.set_max_table_size(size);
        }
        let mut block = Vec::new();
        enc.encode(headers.iter().map(|(n, v)| (n, v)), &mut block);
        let mut got = Vec::new();
        let flow = dec
            .decode(&Bytes::from(block), |f| {
                got.push((f.name.to_vec(), f.value.to_vec()));
                ControlFlow::<()>::Continue(())
            })
            .expect("our own blocks decode");
        assert!(flow.is_continue());
        assert_eq!(got, headers);
        assert!(enc.table_entries().eq(dec.table_entries()));
    }
});
