//! Prefix-integer decoding never panics, honours the caller's maximum, and what decodes
//! round-trips through the encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_wire::{Reader, prefix_int};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    let prefix_bits = control % 8 + 1;
    // Half the runs use a small maximum so the limit path is exercised too.
    let max = if control & 0x80 == 0 { u64::MAX } else { 1 << 20 };
    let mut r = Reader::new(rest);
    if let Ok((flags, v)) = prefix_int::decode(&mut r, prefix_bits, max) {
        assert!(v <= max);
        let mut again = Vec::new();
        let len = prefix_int::encode(v, prefix_bits, flags, &mut again).expect("encode");
        let mut back = Reader::new(&again);
        assert_eq!(prefix_int::decode(&mut back, prefix_bits, max), Ok((flags, v)));
        assert_eq!(back.position(), len);
        // Redundant zero groups make the input longer than the canonical form, never shorter.
        assert!(len <= r.position());
    }
});
