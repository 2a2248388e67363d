//! Huffman decoding never panics, never exceeds its length bound, and what decodes
//! re-encodes to exactly the input (the code and its padding admit one encoding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_wire::huffman;

fuzz_target!(|data: &[u8]| {
    let mut plain = Vec::new();
    if huffman::decode(data, &mut plain).is_ok() {
        assert!(plain.len() <= huffman::max_decoded_len(data));
        let mut again = Vec::new();
        huffman::encode(&plain, &mut again).expect("encode");
        assert_eq!(again, data);
    } else {
        assert!(plain.is_empty(), "a failed decode leaves the output untouched");
    }
});
