//! Every `Limits` field hit, every decoding error by its exact cause, and stickiness.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code over fixed inputs"
)]

use std::ops::ControlFlow;

use bytes::Bytes;
use stator_hpack::{COMPRESSION_ERROR, Decoder, Error, Limits};

/// Decodes `block`, returning the fields seen and the result.
type Fields = Vec<(Vec<u8>, Vec<u8>, bool)>;

fn run(dec: &mut Decoder, block: &[u8]) -> (Fields, Result<(), Error>) {
    let mut fields = Vec::new();
    let res = dec.decode(&Bytes::copy_from_slice(block), |f| {
        fields.push((f.name.to_vec(), f.value.to_vec(), f.never_indexed));
        ControlFlow::<()>::Continue(())
    });
    (fields, res.map(|_| ()))
}

fn literal_with_indexing(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut b = vec![0x40];
    push_str(&mut b, name);
    push_str(&mut b, value);
    b
}

fn push_str(b: &mut Vec<u8>, s: &[u8]) {
    let mut r = Vec::new();
    stator_wire::prefix_int::encode(s.len() as u64, 7, 0, &mut r).unwrap();
    b.extend_from_slice(&r);
    b.extend_from_slice(s);
}

#[test]
fn hpack_bomb_stops_at_the_budget() {
    let limits = Limits {
        max_header_list_size: 16_384,
        ..Limits::default()
    };
    let mut dec = Decoder::new(limits);
    // One 4,000-byte entry, then thousands of one-byte references to it.
    let mut block = literal_with_indexing(b"x", &[b'a'; 4000]);
    block.extend(std::iter::repeat_n(0xbe, 10_000));
    let (fields, res) = run(&mut dec, &block);
    assert_eq!(res, Err(Error::HeaderListTooLarge { limit: 16_384 }));
    // 16,384 / (4,001 + 32) = 4 fields fit; the fifth is refused before it is emitted.
    assert_eq!(fields.len(), 4);
}

#[test]
fn header_list_size_counts_32_per_field() {
    let limits = Limits {
        max_header_list_size: 2 * (7 + 3 + 32),
        ..Limits::default()
    };
    let mut dec = Decoder::new(limits);
    // :method GET (static 2) twice fits exactly; a third does not.
    assert!(run(&mut dec, &[0x82, 0x82]).1.is_ok());
    assert_eq!(
        run(&mut dec, &[0x82, 0x82, 0x82]).1,
        Err(Error::HeaderListTooLarge { limit: 84 })
    );
}

#[test]
fn max_string_len_plain_and_huffman() {
    let limits = Limits {
        max_string_len: 10,
        ..Limits::default()
    };
    let mut block = vec![0x00];
    push_str(&mut block, b"name");
    push_str(&mut block, b"0123456789a");
    let mut dec = Decoder::new(limits);
    assert_eq!(
        run(&mut dec, &block).1,
        Err(Error::StringTooLong { len: 11, limit: 10 })
    );
    // A Huffman string of 8 octets that decodes to 12 digits-ish: '0' is 5 bits.
    let mut coded = Vec::new();
    stator_wire::huffman::encode(b"000000000000", &mut coded).unwrap();
    assert!(coded.len() <= 10);
    let mut block = vec![0x00];
    push_str(&mut block, b"name");
    block.push(0x80 | coded.len() as u8);
    block.extend_from_slice(&coded);
    let mut dec = Decoder::new(limits);
    assert_eq!(
        run(&mut dec, &block).1,
        Err(Error::StringTooLong { len: 12, limit: 10 })
    );
}

#[test]
fn max_table_size_caps_the_settings_value() {
    let limits = Limits {
        max_table_size: 1_000,
        ..Limits::default()
    };
    let mut dec = Decoder::new(limits);
    assert_eq!(dec.table_max_size(), 1_000);
    dec.set_max_table_size(1 << 20);
    // 1,001 on a 5-bit prefix: 0x3f then 1001 - 31 = 970 = 0xca 0x07.
    assert_eq!(
        run(&mut dec, &[0x3f, 0xca, 0x07]).1,
        Err(Error::SizeUpdateAboveLimit {
            size: 1_001,
            limit: 1_000
        })
    );
    let mut dec = Decoder::new(limits);
    assert!(run(&mut dec, &[0x3f, 0xc9, 0x07, 0x82]).1.is_ok());
    assert_eq!(dec.table_max_size(), 1_000);
}

#[test]
fn size_update_rules() {
    // RFC 7541 §4.2: after a field, an update is an error.
    let mut dec = Decoder::default();
    assert_eq!(
        run(&mut dec, &[0x82, 0x20]).1,
        Err(Error::SizeUpdateAfterField)
    );
    // Above the 4,096 default.
    let mut dec = Decoder::default();
    assert_eq!(
        run(&mut dec, &[0x3f, 0xe2, 0x1f]).1,
        Err(Error::SizeUpdateAboveLimit {
            size: 4_097,
            limit: 4_096
        })
    );
    // Two updates at the start are fine, and the table shrinks.
    let mut dec = Decoder::default();
    run(&mut dec, &literal_with_indexing(b"a", b"b")).1.unwrap();
    assert_eq!(dec.table_size(), 34);
    run(&mut dec, &[0x20, 0x3f, 0xe1, 0x1f, 0x82]).1.unwrap();
    assert_eq!((dec.table_size(), dec.table_max_size()), (0, 4_096));
    // A lowered SETTINGS value requires an update in the next block.
    let mut dec = Decoder::default();
    dec.set_max_table_size(100);
    assert_eq!(run(&mut dec, &[0x82]).1, Err(Error::MissingSizeUpdate));
    let mut dec = Decoder::default();
    dec.set_max_table_size(100);
    run(&mut dec, &[0x3f, 0x45, 0x82]).1.unwrap();
    assert_eq!(dec.table_max_size(), 100);
}

#[test]
fn malformed_blocks_have_exact_causes() {
    let cases: &[(&[u8], Error)] = &[
        (&[0x80], Error::IndexZero),
        (&[0xbe], Error::IndexOutOfRange { index: 62 }),
        (&[0x7f, 0x80], Error::Truncated),
        (&[0x40, 0x05, b'a'], Error::Truncated),
        (&[0x0f], Error::Truncated),
        (
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
            Error::IntegerOverflow,
        ),
        (
            &[0x00, 0x01, b'a', 0x81, 0x00],
            Error::Huffman(stator_wire::Error::HuffmanPaddingNotOnes),
        ),
        (&[0x44], Error::Truncated),
        (&[0x7e], Error::IndexOutOfRange { index: 62 }),
        (&[0x7d], Error::Truncated),
    ];
    for (block, want) in cases {
        let mut dec = Decoder::default();
        let (_, res) = run(&mut dec, block);
        assert_eq!(res, Err(*want), "{block:02x?}");
        assert_eq!(want.h2_code(), COMPRESSION_ERROR);
    }
    // A literal name index past the table.
    let mut dec = Decoder::default();
    assert_eq!(
        run(&mut dec, &[0x7f, 0x00, 0x00]).1,
        Err(Error::IndexOutOfRange { index: 63 })
    );
}

#[test]
fn errors_are_sticky() {
    let mut dec = Decoder::default();
    assert_eq!(run(&mut dec, &[0x80]).1, Err(Error::IndexZero));
    assert_eq!(run(&mut dec, &[0x82]).1, Err(Error::IndexZero));
    assert_eq!(dec.error(), Some(Error::IndexZero));
    // A sink that breaks leaves the table unknown: the decoder is done.
    let mut dec = Decoder::default();
    let res = dec.decode(&Bytes::from_static(&[0x82, 0x84]), |_| {
        ControlFlow::Break(7)
    });
    assert_eq!(res, Ok(ControlFlow::Break(7)));
    assert_eq!(run(&mut dec, &[0x82]).1, Err(Error::Aborted));
}

#[test]
fn representations_and_never_indexed_flag() {
    // RFC 7541 C.2.3: never indexed.
    let mut dec = Decoder::default();
    let (fields, res) = run(
        &mut dec,
        &[
            0x10, 0x08, b'p', b'a', b's', b's', b'w', b'o', b'r', b'd', 0x06, b's', b'e', b'c',
            b'r', b'e', b't',
        ],
    );
    res.unwrap();
    assert_eq!(fields, [(b"password".to_vec(), b"secret".to_vec(), true)]);
    assert_eq!(dec.table_size(), 0);
}

#[test]
fn plain_literals_are_slices_of_the_block() {
    let mut block = vec![0x00];
    push_str(&mut block, b"x-name");
    push_str(&mut block, b"value");
    let block = Bytes::from(block);
    let range = block.as_ptr_range();
    let mut dec = Decoder::default();
    let _ = dec.decode(&block, |f| {
        assert!(range.contains(&f.name.as_ptr()));
        assert!(range.contains(&f.value.as_ptr()));
        ControlFlow::<()>::Continue(())
    });
}
