//! The WebSocket frame header parser (RFC 6455 §5.2) never panics, never claims more bytes
//! than it was given, and what it parses writes back to a header that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_ws::frame::FrameHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((header, len))) = FrameHeader::parse(data) {
        assert!(len <= data.len());
        let mut out = Vec::new();
        header.write(&mut out);
        assert_eq!(out.len(), header.encoded_len());
        let again = FrameHeader::parse(&out).expect("our own header parses");
        assert_eq!(again, Some((header, out.len())));
    }
});
