//! The QPACK encoder's decoder-stream parser (RFC 9204 §4.4) never panics on any bytes,
//! never lets the Known Received Count pass the Insert Count, and its errors are sticky.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_qpack::{Encoder, Field};

fuzz_target!(|data: &[u8]| {
    let mut enc = Encoder::new(4096, 8);
    let mut stream = Vec::new();
    let lists = [
        vec![Field::new("x-a", "1"), Field::new(":path", "/a")],
        vec![Field::new("x-a", "1"), Field::new(":path", "/a")],
        vec![Field::new("x-b", "2")],
        vec![Field::new("x-b", "2")],
    ];
    for (i, l) in lists.iter().enumerate() {
        let _ = enc.encode(i as u64, l, &mut stream);
    }
    let mut failed = None;
    for chunk in data.chunks(3) {
        let res = enc.on_decoder_stream(chunk);
        assert!(enc.known_received_count() <= enc.insert_count());
        match (failed, res) {
            (Some(e), r) => assert_eq!(r, Err(e)),
            (None, Err(e)) => failed = Some(e),
            (None, Ok(())) => {}
        }
        // Encoding keeps working while the decoder stream is healthy.
        if failed.is_none() {
            let _ = enc.encode(100, &lists[0], &mut stream);
        }
    }
});
