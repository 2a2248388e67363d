//! The QPACK decoder's encoder-stream parser (RFC 9204 §4.3) never panics, gives the same
//! result however the bytes are chunked, and keeps the table within its capacity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_qpack::{Decoder, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_table_capacity: 2048,
        max_string_len: 1024,
        max_encoder_stream_buffer: 2048,
        ..Limits::default()
    };
    let mut whole = Decoder::new(limits.clone());
    let whole_res = whole.on_encoder_stream(rest);
    let mut chunked = Decoder::new(limits.clone());
    let mut chunked_res = Ok(());
    for chunk in rest.chunks(usize::from(split).max(1)) {
        chunked_res = chunked.on_encoder_stream(chunk);
        if chunked_res.is_err() {
            break;
        }
    }
    // A chunked feed may fail earlier on the buffer limit, never differently otherwise.
    if whole_res.is_ok() && chunked_res.is_ok() {
        assert_eq!(whole.insert_count(), chunked.insert_count());
        assert_eq!(whole.table_size(), chunked.table_size());
    }
    let (capacity, used) = whole.table_size();
    assert!(used <= capacity && capacity <= limits.max_table_capacity);
});
