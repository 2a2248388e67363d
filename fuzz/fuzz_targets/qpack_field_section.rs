//! The QPACK decoder (RFC 9204) never panics on field sections, blocked or not, keeps
//! each decoded section within its size budget, and once it fails keeps failing.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_qpack::{Decoded, Decoder, Field, Limits};

fn size(fields: &[Field]) -> usize {
    fields.iter().map(|f| f.name.len() + f.value.len() + 32).sum()
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_table_capacity: 1024,
        max_blocked_streams: 4,
        max_field_section_size: 8_192,
        max_string_len: 4_096,
        max_encoder_stream_buffer: 4_096,
    };
    let mut dec = Decoder::new(limits.clone());
    // A few entries so that dynamic references can succeed: capacity 1024, then
    // `a: b`, `c: d`, `:path /x` inserted.
    let setup = [0x3f, 0xe1, 0x07, 0x41, b'a', 0x01, b'b', 0x41, b'c', 0x01, b'd', 0xc1, 0x02, b'/', b'x'];
    dec.on_encoder_stream(&setup).unwrap();
    // 0xff separates sections; odd-numbered chunks go to the encoder stream instead.
    let mut failed = None;
    for (i, chunk) in data.split(|&b| b == 0xff).enumerate() {
        let res = if i % 2 == 0 {
            dec.decode(i as u64, Bytes::copy_from_slice(chunk)).map(|d| match d {
                Decoded::Fields(f) => assert!(size(&f) <= limits.max_field_section_size),
                Decoded::Blocked => {}
            })
        } else {
            dec.on_encoder_stream(chunk)
        };
        while let Some((_, f)) = dec.poll_unblocked() {
            assert!(size(&f) <= limits.max_field_section_size);
        }
        assert!(dec.blocked_streams() <= limits.max_blocked_streams);
        let (capacity, used) = dec.table_size();
        assert!(used <= capacity && capacity <= limits.max_table_capacity);
        let _ = dec.poll_decoder_stream(&mut Vec::new());
        match (failed, res) {
            (Some(e), r) => assert_eq!(r, Err(e)),
            (None, Err(e)) => failed = Some(e),
            (None, Ok(())) => {}
        }
    }
});
