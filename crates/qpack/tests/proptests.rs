//! Property tests: round trips under random table capacities, blocking budgets, delivery
//! orders of encoder-stream bytes against field sections and acknowledgment timing; and
//! random bytes on every decoder input never panic.
#![allow(clippy::arithmetic_side_effects)]

use bytes::Bytes;
use proptest::prelude::*;
use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits};

/// Fields from a small alphabet, so that repeats (and so inserts) are common.
fn field() -> impl Strategy<Value = Field> {
    let names = prop::sample::select(vec![
        ":path",
        ":method",
        "x-a",
        "x-b",
        "cookie",
        "user-agent",
        "x-long",
    ]);
    let values = prop::sample::select(vec![
        "",
        "/",
        "GET",
        "v1",
        "v2",
        "a-much-longer-value-for-eviction-0123456789",
    ]);
    (names, values, prop::bool::weighted(0.1)).prop_map(|(n, v, never)| Field {
        never_index: never,
        ..Field::new(n, v)
    })
}

/// One step of delivery: hand the decoder the next section, or up to `n` bytes of the
/// encoder stream, or forward the decoder stream to the encoder.
#[derive(Debug, Clone)]
enum Step {
    Section,
    EncoderBytes(usize),
    Acks,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Section),
        (1usize..64).prop_map(Step::EncoderBytes),
        Just(Step::Acks)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip_under_any_delivery_order(
        capacity in 0usize..1500,
        blocked in 0usize..4,
        lists in prop::collection::vec(prop::collection::vec(field(), 0..8), 1..12),
        steps in prop::collection::vec(step(), 0..64),
    ) {
        let mut encoder = Encoder::new(capacity as u64, blocked as u64);
        let mut decoder = Decoder::new(Limits {
            max_table_capacity: capacity,
            max_blocked_streams: blocked,
            ..Limits::default()
        });
        let mut enc_stream: Vec<u8> = Vec::new();
        let mut enc_sent = 0usize;
        let mut dec_stream = Vec::new();
        let mut next = 0usize;
        let mut decoded: Vec<Option<Vec<Field>>> = vec![None; lists.len()];
        let id = |i: usize| 4 * i as u64;
        let deliver_section = |next: &mut usize, encoder: &mut Encoder, decoder: &mut Decoder,
                                   enc_stream: &mut Vec<u8>, decoded: &mut Vec<Option<Vec<Field>>>| {
            let i = *next;
            *next += 1;
            let section = encoder.encode(id(i), &lists[i], enc_stream);
            match decoder.decode(id(i), section).unwrap() {
                Decoded::Fields(f) => decoded[i] = Some(f),
                Decoded::Blocked => {}
            }
        };
        let collect = |decoder: &mut Decoder, decoded: &mut Vec<Option<Vec<Field>>>| {
            while let Some((sid, f)) = decoder.poll_unblocked() {
                decoded[(sid / 4) as usize] = Some(f);
            }
        };
        for s in steps.into_iter().chain(std::iter::repeat_n(Step::Section, lists.len())) {
            match s {
                Step::Section if next < lists.len() => {
                    deliver_section(&mut next, &mut encoder, &mut decoder, &mut enc_stream, &mut decoded);
                }
                Step::Section => {}
                Step::EncoderBytes(n) => {
                    let end = (enc_sent + n).min(enc_stream.len());
                    decoder.on_encoder_stream(&enc_stream[enc_sent..end]).unwrap();
                    enc_sent = end;
                    collect(&mut decoder, &mut decoded);
                }
                Step::Acks => {
                    let _ = decoder.poll_decoder_stream(&mut dec_stream);
                    // Any chunking of the decoder stream.
                    let half = dec_stream.len() / 2;
                    encoder.on_decoder_stream(&dec_stream[..half]).unwrap();
                    encoder.on_decoder_stream(&dec_stream[half..]).unwrap();
                    dec_stream.clear();
                }
            }
        }
        decoder.on_encoder_stream(&enc_stream[enc_sent..]).unwrap();
        collect(&mut decoder, &mut decoded);
        prop_assert_eq!(decoder.blocked_streams(), 0);
        for (got, want) in decoded.iter().zip(&lists) {
            prop_assert_eq!(got.as_ref(), Some(want));
        }
    }

    #[test]
    fn random_encoder_stream_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let mut d = Decoder::new(Limits::default());
        for c in chunks {
            let _ = d.on_encoder_stream(&c);
            let _ = d.poll_decoder_stream(&mut Vec::new());
        }
    }

    #[test]
    fn random_sections_never_panic(prefix in prop::collection::vec(any::<u8>(), 0..64), sections in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let mut d = Decoder::new(Limits::default());
        let _ = d.on_encoder_stream(&prefix);
        for (i, s) in sections.into_iter().enumerate() {
            let _ = d.decode(i as u64, Bytes::from(s));
            let _ = d.on_encoder_stream(&[0x40, 0x00]);
            while d.poll_unblocked().is_some() {}
        }
    }

    #[test]
    fn random_decoder_stream_never_panics(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..32), 0..8)) {
        let mut e = Encoder::new(4096, 100);
        let mut enc = Vec::new();
        let list = [Field::new("x-a", "1"), Field::new("x-b", "2")];
        for i in 0..4 {
            let _ = e.encode(i, &list, &mut enc);
        }
        for c in chunks {
            let _ = e.on_decoder_stream(&c);
        }
    }
}
