//! Any field lists survive QPACK encoding and decoding (RFC 9204), whatever the table
//! capacity and blocking budget, with sections delivered before their encoder-stream
//! bytes and acknowledgments fed back.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits};

fuzz_target!(|data: &[u8]| {
    let [cap, blocked, rest @ ..] = data else {
        return;
    };
    let capacity = usize::from(*cap) * 16;
    let blocked = usize::from(*blocked % 4);
    let mut enc = Encoder::new(capacity as u64, blocked as u64);
    let mut dec = Decoder::new(Limits {
        max_table_capacity: capacity,
        max_blocked_streams: blocked,
        ..Limits::default()
    });
    // 0xff separates lists, 0xfe fields, the first 0xfd in a field its name and value.
    for (i, list) in rest.split(|&b| b == 0xff).enumerate() {
        let fields: Vec<Field> = list
            .split(|&b| b == 0xfe)
            .map(|f| {
                let mut parts = f.splitn(2, |&b| b == 0xfd);
                let name = parts.next().unwrap_or_default().to_vec();
                let value = parts.next().unwrap_or_default().to_vec();
                Field::new(name, value)
            })
            .collect();
        let id = 4 * i as u64;
        let mut stream = Vec::new();
        let section = enc.encode(id, &fields, &mut stream);
        let got = match dec.decode(id, Bytes::clone(&section)).unwrap() {
            Decoded::Fields(f) => {
                dec.on_encoder_stream(&stream).unwrap();
                f
            }
            Decoded::Blocked => {
                dec.on_encoder_stream(&stream).unwrap();
                let (sid, f) = dec.poll_unblocked().unwrap();
                assert_eq!(sid, id);
                f
            }
        };
        assert_eq!(got, fields);
        if i % 2 == 0 {
            let mut acks = Vec::new();
            let _ = dec.poll_decoder_stream(&mut acks);
            enc.on_decoder_stream(&acks).unwrap();
        }
    }
});
