//! The server side of the HTTP/1.1 opening handshake (RFC 6455 §4.2) on arbitrary bytes in
//! arbitrary pieces: no panic; a request that parses is validated and accepted or rejected
//! with the machine's own answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_ws::extension::DeflateOptions;
use stator_ws::handshake::codec::HeadLimits;
use stator_ws::handshake::{AcceptOptions, ServerEvent, ServerHandshake, h1};

fuzz_target!(|data: &[u8]| {
    let [piece, rest @ ..] = data else { return };
    let mut hs = ServerHandshake::new(HeadLimits::default());
    let mut out = Vec::new();
    for chunk in rest.chunks(usize::from(*piece).max(1)) {
        if hs.recv(chunk).is_err() {
            let _ = hs.poll_output(&mut out);
            return;
        }
        if let Some(ServerEvent::Request(request)) = hs.poll_event() {
            // The validator the machine used must agree that the request is valid.
            assert!(h1::check_request(&request.parts).is_ok());
            let options = AcceptOptions { deflate: Some(DeflateOptions::default()), ..AcceptOptions::default() };
            let established = hs.accept(&options).expect("a valid request can be accepted");
            let _ = hs.poll_output(&mut out);
            assert!(out.starts_with(b"HTTP/1.1 101 "));
            let _ = established;
            return;
        }
    }
});
