//! Sec-WebSocket-Extensions parsing (RFC 6455 §9.1) never panics, what parses formats back
//! to a value that parses the same, and permessage-deflate negotiation on it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_ws::extension::{self, DeflateOffer, DeflateOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(extensions) = extension::parse(data) else { return };
    if let Some(value) = extension::to_header_value(&extensions) {
        assert_eq!(extension::parse(value.as_bytes()).as_ref(), Ok(&extensions));
    }
    if let Some((answer, config)) = DeflateOptions::default().negotiate(&extensions) {
        // The server's answer must be acceptable to the offer it answered.
        let offer = extensions
            .iter()
            .filter_map(|e| DeflateOffer::from_extension(e).ok())
            .find(|o| DeflateOptions::default().accept(o).is_some())
            .expect("negotiate answered some offer");
        assert_eq!(offer.accept_response(&answer), Ok(config));
    }
});
