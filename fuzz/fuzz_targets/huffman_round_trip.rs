//! decode(encode(x)) == x for any byte string, and the encoder's length prediction holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_wire::huffman;

fuzz_target!(|data: &[u8]| {
    let mut coded = Vec::new();
    let n = huffman::encode(data, &mut coded).expect("a Vec always has room");
    assert_eq!(n, coded.len());
    assert_eq!(n, huffman::encoded_len(data));
    let mut plain = Vec::new();
    huffman::decode(&coded, &mut plain).expect("our own output decodes");
    assert_eq!(plain, data);
});
