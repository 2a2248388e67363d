//! The HPACK decoder (RFC 7541) never panics on any sequence of header blocks, stays
//! within its header list budget, and once it fails keeps failing with the same error.
#![no_main]

use std::ops::ControlFlow;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_hpack::{Decoder, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_table_size: 8_192,
        max_header_list_size: 8_192,
        max_string_len: 4_096,
    };
    let mut dec = Decoder::new(limits);
    // The first byte picks our SETTINGS_HEADER_TABLE_SIZE; 0xff splits blocks.
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    dec.set_max_table_size(usize::from(first) * 32);
    let mut failed = None;
    for block in rest.split(|&b| b == 0xff) {
        let mut size = 0usize;
        let res = dec.decode(&Bytes::copy_from_slice(block), |f| {
            size += f.name.len() + f.value.len() + 32;
            ControlFlow::<()>::Continue(())
        });
        assert!(size <= limits.max_header_list_size);
        assert!(dec.table_size() <= dec.table_max_size());
        match (failed, res) {
            (Some(e), r) => assert_eq!(r, Err(e)),
            (None, Err(e)) => failed = Some(e),
            (None, Ok(_)) => {}
        }
    }
});
