//! RFC 9204 Appendix B, replayed through the decoder: the field sections decode, the
//! decoder stream carries exactly the RFC's bytes, and the table has the RFC's size.

#![allow(clippy::arithmetic_side_effects)]

use bytes::Bytes;
use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits};

#[allow(clippy::unwrap_used, reason = "fixtures written in this file")]
fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn fields(pairs: &[(&'static str, &'static str)]) -> Vec<Field> {
    pairs.iter().map(|(n, v)| Field::new(*n, *v)).collect()
}

fn drain(d: &mut Decoder) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = d.poll_decoder_stream(&mut out);
    out
}

#[test]
fn appendix_b_decoder() {
    let mut d = Decoder::new(Limits {
        max_table_capacity: 220,
        ..Limits::default()
    });

    // B.1: Literal Field Line with Name Reference.
    let b1 = d
        .decode(0, Bytes::from(hex("0000 510b 2f69 6e64 6578 2e68 746d 6c")))
        .unwrap();
    assert_eq!(b1, Decoded::Fields(fields(&[(":path", "/index.html")])));
    assert!(drain(&mut d).is_empty(), "RIC 0: nothing to acknowledge");

    // B.2: Dynamic Table.
    d.on_encoder_stream(&hex(
        "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468",
    ))
    .unwrap();
    assert_eq!(d.table_size(), (220, 106));
    let b2 = d.decode(4, Bytes::from(hex("0381 10 11"))).unwrap();
    assert_eq!(
        b2,
        Decoded::Fields(fields(&[
            (":authority", "www.example.com"),
            (":path", "/sample/path")
        ]))
    );
    assert_eq!(drain(&mut d), [0x84], "Section Acknowledgment (stream=4)");

    // B.3: Speculative Insert.
    d.on_encoder_stream(&hex(
        "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565",
    ))
    .unwrap();
    assert_eq!(d.table_size(), (220, 160));
    assert_eq!(drain(&mut d), [0x01], "Insert Count Increment (1)");

    // B.4: the section of stream 8 overtakes the Duplicate, then the stream is cancelled.
    assert_eq!(
        d.decode(8, Bytes::from(hex("0500 80 c1 81"))).unwrap(),
        Decoded::Blocked
    );
    assert_eq!(d.blocked_streams(), 1);
    d.cancel_stream(8);
    assert_eq!(drain(&mut d), [0x48], "Stream Cancellation (Stream=8)");
    d.on_encoder_stream(&hex("02")).unwrap();
    assert_eq!(d.poll_unblocked(), None);
    assert_eq!(d.table_size(), (220, 217));
    assert_eq!(d.insert_count(), 4);

    // Had it not been cancelled, stream 8 would decode to the RFC's three lines.
    let again = d.decode(12, Bytes::from(hex("0500 80 c1 81"))).unwrap();
    let want = fields(&[
        (":authority", "www.example.com"),
        (":path", "/"),
        ("custom-key", "custom-value"),
    ]);
    assert_eq!(again, Decoded::Fields(want));
    assert_eq!(drain(&mut d), [0x8c], "Section Acknowledgment (stream=12)");

    // B.5: Dynamic Table Insert, Eviction.
    d.on_encoder_stream(&hex("810d 6375 7374 6f6d 2d76 616c 7565 32"))
        .unwrap();
    assert_eq!(d.table_size(), (220, 215));
    assert_eq!(d.insert_count(), 5);
    assert_eq!(drain(&mut d), [0x01], "Insert Count Increment (1)");
}

#[test]
fn appendix_b_decoder_stream_drives_the_encoder() {
    // The encoder side of B.2: a section referencing new entries is outstanding until the
    // decoder's Section Acknowledgment arrives.
    let mut e = Encoder::new(220, 100);
    let list = fields(&[(":authority", "www.example.com"), (":path", "/sample/path")]);
    let mut enc = Vec::new();
    let _ = e.encode(4, &list, &mut enc);
    let _ = e.encode(4, &list, &mut enc);
    assert_eq!(e.insert_count(), 2);
    assert_eq!(e.known_received_count(), 0);
    assert_eq!(e.blocked_streams(), 1);
    // The first section used no dynamic entry: one acknowledgment covers the second.
    e.on_decoder_stream(&[0x84]).unwrap();
    assert_eq!(e.known_received_count(), 2);
    assert_eq!(e.blocked_streams(), 0);
}
