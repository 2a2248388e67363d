//! Content-Length parsing (RFC 9110 §8.6, RFC 9112 §6.3) never panics, and what parses is
//! the value of every element of the list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_http::body::parse_content_length;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = parse_content_length(data) {
        for element in data.split(|&b| b == b',') {
            let digits = std::str::from_utf8(element.trim_ascii()).expect("digits are ASCII");
            assert_eq!(digits.parse::<u64>().ok(), Some(n));
        }
    }
});
