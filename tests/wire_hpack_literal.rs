//! The wire primitives compose into an HPACK literal the way RFC 7541 Appendix C.4.1 shows:
//! a literal header field with an indexed name (6-bit prefix), then a Huffman-coded value
//! whose length is a 7-bit prefix integer with the H flag.

use stator::wire::{Reader, WriteExt, huffman};

#[test]
fn rfc7541_c41_authority_literal() {
    // C.4.1: "41 8c f1e3 c2e5 f23a 6ba0 ab90 f4ff" is `:authority: www.example.com`,
    // literal with incremental indexing (01 pattern), name index 1, Huffman value.
    let mut out = Vec::new();
    out.put_prefix_int(1, 6, 0x40).unwrap();
    let value = b"www.example.com";
    out.put_prefix_int(huffman::encoded_len(value) as u64, 7, 0x80)
        .unwrap();
    huffman::encode(value, &mut out).unwrap();
    assert_eq!(
        out,
        [
            0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff
        ]
    );

    let mut r = Reader::new(&out);
    assert_eq!(r.read_prefix_int(6, 61).unwrap(), (0x40, 1));
    let (flags, len) = r.read_prefix_int(7, 1 << 16).unwrap();
    assert_eq!(flags, 0x80, "H bit set");
    let coded = r.read_bytes(usize::try_from(len).unwrap()).unwrap();
    let mut plain = Vec::new();
    huffman::decode(coded, &mut plain).unwrap();
    assert_eq!(plain, value);
    assert!(r.is_empty());
}
