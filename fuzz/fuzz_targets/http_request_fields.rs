//! An HTTP/2 or HTTP/3 request field section (RFC 9113 §8.2–8.3, RFC 9114 §4.2–4.3) built
//! from arbitrary fields never panics, and a request it accepts encodes back to fields that
//! decode to the same request.
#![no_main]

#[path = "../src/fields.rs"]
mod fields;

use http::Version;
use libfuzzer_sys::fuzz_target;
use stator_http::fields::{FieldSink, Limits, RequestBuilder, encode_request};

fn build(version: Version, connect: bool, list: &[(Vec<u8>, Vec<u8>)]) -> Option<http::request::Parts> {
    let mut b = RequestBuilder::new(version, &Limits::default()).with_extended_connect(connect);
    for (n, v) in list {
        if b.push(n, v).is_err() {
            return None;
        }
    }
    b.finish().ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    let version = if control & 1 == 0 { Version::HTTP_2 } else { Version::HTTP_3 };
    let connect = control & 2 != 0;
    let list: Vec<(Vec<u8>, Vec<u8>)> =
        fields::fields(rest).map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
    let Some(head) = build(version, connect, &list) else { return };
    let Ok(encoded) = encode_request(&head) else { return };
    let again: Vec<(Vec<u8>, Vec<u8>)> =
        encoded.map(|f| (f.name().to_vec(), f.value().to_vec())).collect();
    let back = build(version, connect, &again).expect("our own encoding decodes");
    assert_eq!(back.method, head.method);
    assert_eq!(back.uri, head.uri);
    assert_eq!(back.headers, head.headers);
});
