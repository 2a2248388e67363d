//! The HPACK decoder (RFC 7541) never panics on any sequence of header blocks, stays
//! within its header list budget, and once it fails keeps failing with the same error.
//! A second decoder takes the same blocks through `decode_into`, which passes table
//! entries as checked fields: it must see the same fields and the same errors.
#![no_main]

use std::ops::ControlFlow;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_hpack::{Decoder, Limits};
use stator_http::fields::{CheckedField, FieldError, FieldSink};

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

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_table_size: 8_192,
        max_header_list_size: 8_192,
        max_string_len: 4_096,
    };
    let mut dec = Decoder::new(limits);
    let mut into = Decoder::new(limits);
    // The first byte picks our SETTINGS_HEADER_TABLE_SIZE; 0xff splits blocks.
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    dec.set_max_table_size(usize::from(first) * 32);
    into.set_max_table_size(usize::from(first) * 32);
    let mut failed = None;
    for block in rest.split(|&b| b == 0xff) {
        let mut size = 0usize;
        let mut fields = Vec::new();
        let block = Bytes::copy_from_slice(block);
        let res = dec.decode(&block, |f| {
            size += f.name.len() + f.value.len() + 32;
            fields.push((f.name.to_vec(), f.value.to_vec()));
            ControlFlow::<()>::Continue(())
        });
        let mut recorder = Recorder::default();
        let res_into = into.decode_into(&block, &mut recorder);
        assert_eq!(res.is_ok(), res_into.is_ok());
        if res.is_ok() {
            assert_eq!(fields, recorder.0);
        }
        assert!(size <= limits.max_header_list_size);
        assert!(dec.table_size() <= dec.table_max_size());
        match (failed, res) {
            (Some(e), r) => assert_eq!(r, Err(e)),
            (None, Err(e)) => failed = Some(e),
            (None, Ok(_)) => {}
        }
    }
});
