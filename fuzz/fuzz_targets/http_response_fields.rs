//! Response and trailer field sections from arbitrary fields never panic, and an accepted
//! response encodes back to fields that decode to the same response.
#![no_main]

#[path = "../src/fields.rs"]
mod fields;

use http::Version;
use libfuzzer_sys::fuzz_target;
use stator_http::fields::{FieldSink, Limits, ResponseBuilder, TrailersBuilder, encode_response};

fuzz_target!(|data: &[u8]| {
    let mut trailers = TrailersBuilder::new(&Limits::default());
    let mut b = ResponseBuilder::new(Version::HTTP_2, &Limits::default());
    let mut ok = true;
    for (n, v) in fields::fields(data) {
        let _ = trailers.push(n, v);
        ok &= b.push(n, v).is_ok();
    }
    let _ = trailers.finish();
    let Ok(head) = b.finish() else { return };
    assert!(ok, "finish succeeded after a refused field");
    let Ok(encoded) = encode_response(&head) else { return };
    let mut again = ResponseBuilder::new(Version::HTTP_2, &Limits::default());
    for f in encoded {
        again.push(f.name(), f.value()).expect("our own field");
    }
    let back = again.finish().expect("our own encoding decodes");
    assert_eq!(back.status, head.status);
    assert_eq!(back.headers, head.headers);
});
