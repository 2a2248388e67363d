//! Every decoder limit is hit, every peer error maps to its RFC 9204 §6 code and reason,
//! errors are sticky, and the encoder respects the peer's blocked-stream and eviction
//! rules.

use bytes::Bytes;
use stator_qpack::{Decoded, Decoder, Encoder, Error, ErrorCode, Field, Limits, Reason};

fn err(code: ErrorCode, reason: Reason) -> Error {
    Error { code, reason }
}

fn dec_err(reason: Reason) -> Error {
    err(ErrorCode::DecompressionFailed, reason)
}

fn enc_err(reason: Reason) -> Error {
    err(ErrorCode::EncoderStreamError, reason)
}

/// Insert with Literal Name `name: value`, no Huffman (RFC 9204 §4.3.3).
fn insert_literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    assert!(name.len() < 31 && value.len() < 127);
    let mut v = vec![0x40 | name.len() as u8];
    v.extend_from_slice(name);
    v.push(value.len() as u8);
    v.extend_from_slice(value);
    v
}

#[test]
fn max_table_capacity() {
    let mut d = Decoder::new(Limits {
        max_table_capacity: 100,
        ..Limits::default()
    });
    d.on_encoder_stream(&[0x3f, 0x45]).unwrap(); // capacity 100
    assert_eq!(d.table_size(), (100, 0));
    assert_eq!(
        d.on_encoder_stream(&[0x3f, 0x46]),
        Err(enc_err(Reason::CapacityExceeded))
    );
    // Sticky: the next input returns the same error and does nothing.
    assert_eq!(
        d.on_encoder_stream(&[0x20]),
        Err(enc_err(Reason::CapacityExceeded))
    );
    assert_eq!(
        d.decode(0, Bytes::from_static(&[0, 0])),
        Err(enc_err(Reason::CapacityExceeded))
    );
}

#[test]
fn entry_larger_than_capacity() {
    let mut d = Decoder::new(Limits {
        max_table_capacity: 40,
        ..Limits::default()
    });
    d.on_encoder_stream(&[0x3f, 0x09]).unwrap(); // capacity 40
    assert_eq!(
        d.on_encoder_stream(&insert_literal(b"name", b"value")),
        Err(enc_err(Reason::EntryTooLarge))
    );
}

#[test]
fn max_blocked_streams() {
    let mut d = Decoder::new(Limits {
        max_blocked_streams: 1,
        ..Limits::default()
    });
    // RIC 1 with MaxEntries 128: encoded as 2; indexed dynamic relative 0.
    assert_eq!(
        d.decode(4, Bytes::from_static(&[0x02, 0x00, 0x80]))
            .unwrap(),
        Decoded::Blocked
    );
    assert_eq!(
        d.decode(8, Bytes::from_static(&[0x02, 0x00, 0x80])),
        Err(dec_err(Reason::TooManyBlockedStreams))
    );
}

#[test]
fn blocked_streams_zero_rejects_any_blocking_section() {
    let mut d = Decoder::new(Limits {
        max_blocked_streams: 0,
        ..Limits::default()
    });
    assert_eq!(
        d.decode(4, Bytes::from_static(&[0x02, 0x00, 0x80])),
        Err(dec_err(Reason::TooManyBlockedStreams))
    );
}

#[test]
fn unblocking_reports_the_section() {
    let mut d = Decoder::new(Limits::default());
    assert_eq!(
        d.decode(4, Bytes::from_static(&[0x02, 0x00, 0x80]))
            .unwrap(),
        Decoded::Blocked
    );
    d.on_encoder_stream(&[0x3f, 0xe1, 0x1f]).unwrap(); // capacity 4096
    assert_eq!(d.poll_unblocked(), None);
    let ins = insert_literal(b"a", b"b");
    // Split mid-instruction: nothing is applied until it completes.
    d.on_encoder_stream(&ins[..2]).unwrap();
    assert_eq!(d.insert_count(), 0);
    d.on_encoder_stream(&ins[2..]).unwrap();
    assert_eq!(d.poll_unblocked(), Some((4, vec![Field::new("a", "b")])));
    let mut ds = Vec::new();
    let _ = d.poll_decoder_stream(&mut ds);
    assert_eq!(ds, [0x84]);
}

#[test]
fn max_field_section_size() {
    let limits = Limits {
        max_field_section_size: 100,
        ..Limits::default()
    };
    let mut d = Decoder::new(limits);
    // `:path /` is 5 + 1 + 32 = 38 bytes: two fit, three do not.
    assert!(d.decode(0, Bytes::from_static(&[0, 0, 0xc1, 0xc1])).is_ok());
    assert_eq!(
        d.decode(4, Bytes::from_static(&[0, 0, 0xc1, 0xc1, 0xc1])),
        Err(dec_err(Reason::FieldSectionTooLarge))
    );
}

#[test]
fn max_string_len() {
    let limits = Limits {
        max_string_len: 4,
        ..Limits::default()
    };
    let mut d = Decoder::new(limits.clone());
    // Literal with static name ref `:path`, value of 5 bytes.
    let section = Bytes::from_static(&[0, 0, 0x51, 0x05, b'/', b'a', b'b', b'c', b'd']);
    assert_eq!(d.decode(0, section), Err(dec_err(Reason::StringTooLong)));
    // On the encoder stream the declared length fails before the bytes arrive.
    let mut d = Decoder::new(limits);
    d.on_encoder_stream(&[0x3f, 0xe1, 0x1f]).unwrap();
    assert_eq!(
        d.on_encoder_stream(&[0x45]),
        Err(enc_err(Reason::StringTooLong))
    );
}

#[test]
fn max_encoder_stream_buffer() {
    let mut d = Decoder::new(Limits {
        max_encoder_stream_buffer: 8,
        ..Limits::default()
    });
    d.on_encoder_stream(&[0x3f, 0xe1, 0x1f]).unwrap();
    let ins = insert_literal(b"name", b"a-long-value");
    d.on_encoder_stream(&ins[..8]).unwrap();
    assert_eq!(
        d.on_encoder_stream(&ins[8..12]),
        Err(enc_err(Reason::EncoderStreamBufferFull))
    );
}

#[test]
fn invalid_references() {
    let mut d = Decoder::new(Limits::default());
    // Static index 99 does not exist.
    assert_eq!(
        d.decode(0, Bytes::from_static(&[0, 0, 0xff, 0x24])),
        Err(dec_err(Reason::InvalidStaticIndex))
    );
    let mut d = Decoder::new(Limits::default());
    // Encoded RIC 2 × MaxEntries + 1 is out of range.
    assert_eq!(
        d.decode(0, Bytes::from_static(&[0xff, 0x02, 0x00])),
        Err(dec_err(Reason::InvalidRequiredInsertCount))
    );
    let mut d = Decoder::new(Limits::default());
    d.on_encoder_stream(&[0x3f, 0xe1, 0x1f]).unwrap();
    d.on_encoder_stream(&insert_literal(b"a", b"b")).unwrap();
    d.on_encoder_stream(&insert_literal(b"c", b"d")).unwrap();
    // RIC 1, Base 1, post-base index 0 = absolute 1: not below the RIC.
    assert_eq!(
        d.decode(0, Bytes::from_static(&[0x02, 0x00, 0x10])),
        Err(dec_err(Reason::InvalidDynamicIndex))
    );
    let mut d = Decoder::new(Limits::default());
    // Duplicate of an entry that does not exist.
    assert_eq!(
        d.on_encoder_stream(&[0x00]),
        Err(enc_err(Reason::InvalidDynamicIndex))
    );
}

#[test]
fn decoder_stream_errors() {
    let de = |r| err(ErrorCode::DecoderStreamError, r);
    let mut e = Encoder::new(4096, 100);
    assert_eq!(
        e.on_decoder_stream(&[0x84]),
        Err(de(Reason::UnexpectedSectionAck))
    );
    let mut e = Encoder::new(4096, 100);
    assert_eq!(
        e.on_decoder_stream(&[0x00]),
        Err(de(Reason::InvalidInsertCountIncrement))
    );
    let mut e = Encoder::new(4096, 100);
    assert_eq!(
        e.on_decoder_stream(&[0x01]),
        Err(de(Reason::InvalidInsertCountIncrement))
    );
    // Sticky.
    assert_eq!(
        e.on_decoder_stream(&[0x48]),
        Err(de(Reason::InvalidInsertCountIncrement))
    );
}

fn list(n: usize) -> Vec<Field> {
    vec![Field::new(format!("x-field-{n}"), "value")]
}

#[test]
fn encoder_never_blocks_more_streams_than_allowed() {
    let mut e = Encoder::new(4096, 1);
    let mut d = Decoder::new(Limits {
        max_blocked_streams: 1,
        ..Limits::default()
    });
    let mut enc = Vec::new();
    let mut results = Vec::new();
    for stream in [4u64, 8, 12, 16] {
        // Twice per stream, so the second section is worth inserting for.
        let a = e.encode(stream, &list(0), &mut enc);
        let b = e.encode(stream, &list(0), &mut enc);
        // Sections arrive before any encoder-stream byte: only one stream may block.
        results.push(d.decode(stream, a).unwrap());
        results.push(d.decode(stream + 1000, b).unwrap());
    }
    assert!(e.blocked_streams() <= 1);
    assert_eq!(
        results.iter().filter(|r| **r == Decoded::Blocked).count(),
        1
    );
    d.on_encoder_stream(&enc).unwrap();
    assert!(d.poll_unblocked().is_some());
}

#[test]
fn encoder_never_evicts_referenced_entries() {
    // Room for two 45-byte entries; no acknowledgments arrive.
    let mut e = Encoder::new(100, 100);
    let mut d = Decoder::new(Limits {
        max_table_capacity: 100,
        ..Limits::default()
    });
    let mut enc = Vec::new();
    let mut sections = Vec::new();
    for i in 0..6u64 {
        let fields = list(i as usize);
        let _ = e.encode(4 * i, &fields, &mut enc);
        sections.push((
            4 * i + 1000,
            fields.clone(),
            e.encode(4 * i + 1000, &fields, &mut enc),
        ));
    }
    // All encoder-stream bytes first: an evicted-but-referenced entry would fail here.
    d.on_encoder_stream(&enc).unwrap();
    for (id, fields, s) in sections {
        assert_eq!(d.decode(id, s).unwrap(), Decoded::Fields(fields));
    }
}

#[test]
fn stream_cancellation_releases_the_encoder() {
    let mut e = Encoder::new(4096, 1);
    let mut enc = Vec::new();
    let _ = e.encode(4, &list(1), &mut enc);
    let _ = e.encode(4, &list(1), &mut enc);
    assert_eq!(e.blocked_streams(), 1);
    // RFC 9204 §4.4.2: Stream Cancellation for stream 4.
    e.on_decoder_stream(&[0x44]).unwrap();
    assert_eq!(e.blocked_streams(), 0);
    // The decoder side emits the instruction.
    let mut d = Decoder::new(Limits::default());
    d.cancel_stream(4);
    let mut ds = Vec::new();
    let _ = d.poll_decoder_stream(&mut ds);
    assert_eq!(ds, [0x44]);
}

#[test]
fn encoder_duplicates_entries_close_to_eviction() {
    // Four 40-byte entries fit; the oldest quarter is the entry about to go.
    let mut e = Encoder::new(160, 100);
    let mut d = Decoder::new(Limits {
        max_table_capacity: 160,
        ..Limits::default()
    });
    let field = |i: u8| vec![Field::new(format!("k{i}xx"), "vvvv")];
    let mut all = Vec::new();
    for i in 0..3 {
        for n in 0..2 {
            let mut enc = Vec::new();
            let s = e.encode(u64::from(i) * 8 + n, &field(i), &mut enc);
            all.push((u64::from(i) * 8 + n, field(i), s, enc));
        }
    }
    assert_eq!(e.insert_count(), 3);
    let mut enc = Vec::new();
    let s = e.encode(100, &field(0), &mut enc);
    // RFC 9204 §4.3.4: Duplicate, relative index 2 (absolute 0).
    assert_eq!(enc, [0x02]);
    assert_eq!(e.insert_count(), 4);
    all.push((100, field(0), s, enc));
    for (id, fields, section, enc) in all {
        d.on_encoder_stream(&enc).unwrap();
        assert_eq!(d.decode(id, section).unwrap(), Decoded::Fields(fields));
    }
}

#[test]
fn never_indexed_fields_stay_literal_and_keep_the_n_bit() {
    let mut e = Encoder::new(4096, 100);
    let mut d = Decoder::new(Limits::default());
    let fields = vec![
        Field::never_indexed("authorization", "Bearer secret"),
        Field::never_indexed("x-secret", "abc"),
        Field::never_indexed(":method", "GET"),
    ];
    for id in [0u64, 4, 8] {
        let mut enc = Vec::new();
        let section = e.encode(id, &fields, &mut enc);
        // RFC 9204 §7.1.3: no insertion, however often the field recurs.
        assert!(enc.is_empty() || enc == [0x3f, 0xe1, 0x1f], "{enc:x?}");
        d.on_encoder_stream(&enc).unwrap();
        // Literal with static name reference, N set: 0111 1111, then 84 − 15.
        assert_eq!(&section[2..4], [0x7f, 0x45]);
        assert_eq!(
            d.decode(id, section).unwrap(),
            Decoded::Fields(fields.clone())
        );
    }
    assert_eq!(e.insert_count(), 0);
}
