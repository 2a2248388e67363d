use super::{decode, encode, encoded_len, max_decoded_len};
use crate::Error;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn dec(src: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    decode(src, &mut out).map(|n| {
        assert_eq!(n, out.len());
        out
    })
}

/// Every Huffman-coded string of RFC 7541 Appendix C.4 and C.6.
const RFC7541_EXAMPLES: [(&str, &str); 12] = [
    ("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"),
    ("no-cache", "a8eb 1064 9cbf"),
    ("custom-key", "25a8 49e9 5ba9 7d7f"),
    ("custom-value", "25a8 49e9 5bb8 e8b4 bf"),
    ("302", "6402"),
    ("private", "aec3 771a 4b"),
    (
        "Mon, 21 Oct 2013 20:13:21 GMT",
        "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff",
    ),
    (
        "https://www.example.com",
        "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3",
    ),
    ("307", "640e ff"),
    (
        "Mon, 21 Oct 2013 20:13:22 GMT",
        "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff",
    ),
    ("gzip", "9bd9 ab"),
    (
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 \
         3160 65c0 03ed 4ee5 b106 3d50 07",
    ),
];

#[test]
fn rfc7541_appendix_c_examples() {
    for (plain, coded) in RFC7541_EXAMPLES {
        let coded = hex(coded);
        let mut out = Vec::new();
        assert_eq!(
            encode(plain.as_bytes(), &mut out),
            Ok(coded.len()),
            "{plain}"
        );
        assert_eq!(out, coded, "{plain}");
        assert_eq!(encoded_len(plain.as_bytes()), coded.len());
        assert_eq!(dec(&coded).unwrap(), plain.as_bytes());
    }
}

#[test]
fn every_symbol_alone_and_in_every_pair() {
    // Each pair exercises the two-symbol fast entries, the long-code ranges and the
    // single-symbol tail; preceded by filler, it also crosses the bulk/tail boundary.
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            for input in [
                &[a, b][..],
                &[b'x', b'y', b'z', b'0', b'1', b'2', b'3', a, b, a],
            ] {
                let mut coded = Vec::new();
                encode(input, &mut coded).unwrap();
                assert_eq!(dec(&coded).unwrap(), input, "{input:?}");
            }
        }
    }
}

#[test]
fn empty_string() {
    assert_eq!(encoded_len(b""), 0);
    let mut out = Vec::new();
    assert_eq!(encode(b"", &mut out), Ok(0));
    assert_eq!(dec(&[]), Ok(Vec::new()));
}

#[test]
fn eos_in_the_string_is_an_error() {
    // EOS (30 ones) then two bits of padding.
    assert_eq!(dec(&[0xff, 0xff, 0xff, 0xff]), Err(Error::HuffmanEos));
    // 'a' (00011) then EOS then padding, spread over the bulk path.
    let mut bits = vec![0b0001_1111, 0xff, 0xff, 0xff, 0b1111_1110];
    assert_eq!(dec(&bits), Err(Error::HuffmanEos));
    bits.extend(b"\x00\x00\x00\x00\x00\x00\x00\x00");
    assert_eq!(dec(&bits), Err(Error::HuffmanEos));
}

#[test]
fn padding_rules() {
    // 'a' (00011) + three ones of padding: fine.
    assert_eq!(dec(&[0b0001_1111]), Ok(b"a".to_vec()));
    // 'a' + padding with a zero bit.
    assert_eq!(dec(&[0b0001_1110]), Err(Error::HuffmanPaddingNotOnes));
    assert_eq!(dec(&[0b0001_1000]), Err(Error::HuffmanPaddingNotOnes));
    // 'a' + eleven bits of ones: longer than 7.
    assert_eq!(dec(&[0b0001_1111, 0xff]), Err(Error::HuffmanPaddingTooLong));
    // A whole byte of ones alone is padding of 8 bits.
    assert_eq!(dec(&[0xff]), Err(Error::HuffmanPaddingTooLong));
    // Sixteen ones: the start of a long code (and of EOS), more than 7 bits of leftover.
    assert_eq!(dec(&[0xff, 0xff]), Err(Error::HuffmanPaddingTooLong));
    // '!' (11111110 00) followed by six zero bits.
    assert_eq!(dec(&[0xfe, 0x00]), Err(Error::HuffmanPaddingNotOnes));
}

#[test]
fn an_error_leaves_the_output_as_it_was() {
    let mut out = b"keep".to_vec();
    assert_eq!(
        decode(&[0xf1, 0xe3, 0xc2, 0xe5, 0xff, 0xff, 0xff, 0xff], &mut out),
        Err(Error::HuffmanEos)
    );
    assert_eq!(out, b"keep");
}

#[test]
fn fixed_buffers_get_all_or_nothing() {
    let mut storage = [0u8; 5];
    let mut buf = &mut storage[..];
    assert_eq!(
        encode(b"www.example.com", &mut buf),
        Err(Error::BufferTooShort {
            needed: 12,
            available: 5
        })
    );
    assert_eq!(storage, [0; 5]);
    let mut storage = [0u8; 6];
    let mut buf = &mut storage[..];
    assert_eq!(encode(b"no-cache", &mut buf), Ok(6));
    assert_eq!(storage.to_vec(), hex("a8eb 1064 9cbf"));
}

proptest! {
    #[test]
    fn round_trip(input in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut coded = Vec::new();
        let n = encode(&input, &mut coded).unwrap();
        prop_assert_eq!(n, encoded_len(&input));
        prop_assert!(input.len() <= max_decoded_len(&coded));
        prop_assert_eq!(dec(&coded).unwrap(), input);
    }

    #[test]
    fn round_trip_header_like(input in "[ -~]{0,200}") {
        let mut coded = Vec::new();
        encode(input.as_bytes(), &mut coded).unwrap();
        prop_assert_eq!(dec(&coded).unwrap(), input.as_bytes());
    }

    /// The code is prefix-free with fixed padding, so a valid string has exactly one
    /// encoding: whatever decodes must re-encode to the same bytes.
    #[test]
    fn decode_never_panics_and_is_canonical(input in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(plain) = dec(&input) {
            prop_assert!(plain.len() <= max_decoded_len(&input));
            let mut again = Vec::new();
            encode(&plain, &mut again).unwrap();
            prop_assert_eq!(again, input);
        }
    }
}
