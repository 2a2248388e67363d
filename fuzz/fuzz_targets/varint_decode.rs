//! QUIC varint decoding never panics, and what decodes re-encodes to the same bytes at the
//! same length; an integer taken from the input round-trips through the shortest form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_wire::{Reader, varint};

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    while let Ok(v) = varint::decode(&mut r) {
        assert!(v <= varint::MAX);
    }
    if let Ok((v, len)) = varint::decode_slice(data) {
        let mut again = Vec::new();
        varint::encode_with_len(v, len, &mut again).expect("a decoded value fits its length");
        assert_eq!(again, data[..len]);
    }
    if let Some(word) = data.first_chunk::<8>() {
        let v = u64::from_le_bytes(*word) & varint::MAX;
        let mut out = Vec::new();
        let len = varint::encode(v, &mut out).expect("in range");
        assert_eq!(varint::decode_slice(&out), Ok((v, len)));
    }
});
