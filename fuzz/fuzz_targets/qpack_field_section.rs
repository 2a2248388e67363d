//! The QPACK decoder (RFC 9204) never panics on field sections, blocked or not, keeps
//! each decoded section within its size budget, and once it fails keeps failing. A second
//! decoder fed the same input through `decode_into` (a recording sink that takes table
//! entries as `CheckedField`s) and `decode_unblocked_into` agrees with `decode` and
//! `poll_unblocked` field for field, error for error and byte for byte on the decoder
//! stream.
#![no_main]

use std::collections::BTreeMap;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_http::fields::{CheckedField, FieldError, FieldSink};
use stator_qpack::{Decoded, Decoder, ErrorCode, Field, Limits, Progress};

/// Records every field, however the decoder passes it.
#[derive(Default)]
struct Recorder(Vec<(Vec<u8>, Vec<u8>)>);

impl FieldSink for Recorder {
    fn push(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError> {
        self.0.push((name.to_vec(), value.to_vec()));
        Ok(())
    }

    fn push_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.push(field.name(), field.value())
    }
}

fn pairs(fields: &[Field]) -> Vec<(Vec<u8>, Vec<u8>)> {
    fields.iter().map(|f| (f.name.to_vec(), f.value.to_vec())).collect()
}

fn size(fields: &[Field]) -> usize {
    fields.iter().map(|f| f.name.len() + f.value.len() + 32).sum()
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_table_capacity: 1024,
        max_blocked_streams: 4,
        max_field_section_size: 8_192,
        max_string_len: 4_096,
        max_encoder_stream_buffer: 4_096,
    };
    let mut dec = Decoder::new(limits.clone());
    let mut into = Decoder::new(limits.clone());
    // A few entries so that dynamic references can succeed: capacity 1024, then
    // `a: b`, `c: d`, `:path /x` inserted.
    let setup = [0x3f, 0xe1, 0x07, 0x41, b'a', 0x01, b'b', 0x41, b'c', 0x01, b'd', 0xc1, 0x02, b'/', b'x'];
    dec.on_encoder_stream(&setup).unwrap();
    into.on_encoder_stream(&setup).unwrap();
    let mut held: BTreeMap<u64, Recorder> = BTreeMap::new();
    // 0xff separates sections; odd-numbered chunks go to the encoder stream instead.
    let mut failed = None;
    for (i, chunk) in data.split(|&b| b == 0xff).enumerate() {
        let id = i as u64;
        let res = if i % 2 == 0 {
            let section = Bytes::copy_from_slice(chunk);
            let mut rec = Recorder::default();
            let other = into.decode_into(id, section.clone(), &mut rec);
            let res = dec.decode(id, section);
            match (&res, other) {
                (Ok(Decoded::Fields(f)), Ok(Progress::Done(Ok(())))) => {
                    assert!(size(f) <= limits.max_field_section_size);
                    assert_eq!(pairs(f), rec.0);
                }
                (Ok(Decoded::Blocked), Ok(Progress::Blocked)) => {
                    held.insert(id, rec);
                }
                (Err(a), Err(b)) => assert_eq!(*a, b),
                (a, b) => panic!("decode {a:?} but decode_into {b:?}"),
            }
            res.map(|_| ())
        } else {
            let res = dec.on_encoder_stream(chunk);
            match (&res, into.on_encoder_stream(chunk)) {
                (Ok(()), Ok(())) => {}
                (Err(a), Err(b)) => assert_eq!(*a, b),
                // `decode` decodes the sections it unblocks at once; `decode_into`'s wait
                // to be taken, and the same failure shows then (below).
                (Err(a), Ok(())) => assert_eq!(a.code, ErrorCode::DecompressionFailed),
                (Ok(()), Err(b)) => panic!("only decode_into's decoder failed: {b:?}"),
            }
            res
        };
        while let Some((id, f)) = dec.poll_unblocked() {
            assert!(size(&f) <= limits.max_field_section_size);
            assert_eq!(into.poll_unblocked_stream(), Some(id));
            let mut rec = held.remove(&id).expect("held by decode_into");
            let (got, ok) = into.decode_unblocked_into(&mut rec).unwrap().unwrap();
            assert_eq!((got, ok), (id, Ok(())));
            assert_eq!(pairs(&f), rec.0);
        }
        if let Some(e) = dec.error() {
            if into.error().is_none() {
                // The section `decode`'s decoder failed on is next in line.
                let id = into.poll_unblocked_stream().expect("the failing section");
                let mut rec = held.remove(&id).expect("held by decode_into");
                assert_eq!(into.decode_unblocked_into(&mut rec), Err(e));
            }
        }
        assert_eq!(dec.error(), into.error());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let _ = dec.poll_decoder_stream(&mut a);
        let _ = into.poll_decoder_stream(&mut b);
        assert_eq!(a, b, "decoder streams");
        assert!(dec.blocked_streams() <= limits.max_blocked_streams);
        let (capacity, used) = dec.table_size();
        assert!(used <= capacity && capacity <= limits.max_table_capacity);
        match (failed, res) {
            (Some(e), r) => assert_eq!(r, Err(e)),
            (None, Err(e)) => failed = Some(e),
            (None, Ok(())) => {}
        }
    }
});
