//! Alt-Svc parsing (RFC 7838 §3) never panics, and what parses formats to a value that
//! parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_http::alt_svc::AltSvc;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = AltSvc::parse(data) {
        let text = parsed.to_string();
        assert_eq!(AltSvc::parse(text.as_bytes()).as_ref(), Ok(&parsed), "{text}");
    }
});
