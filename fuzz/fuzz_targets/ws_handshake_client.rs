//! The client side of the HTTP/1.1 opening handshake (RFC 6455 §4.1) on arbitrary response
//! bytes: no panic, and a response is only accepted if it carries the right
//! Sec-WebSocket-Accept for the key we sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_wire::rand::SeededRandom;
use stator_ws::extension::DeflateOffer;
use stator_ws::handshake::codec::HeadLimits;
use stator_ws::handshake::{ClientEvent, ClientHandshake, ClientOptions, key};

fuzz_target!(|data: &[u8]| {
    let [seed, piece, rest @ ..] = data else { return };
    let options = ClientOptions::new("ws://example.com/chat".parse().expect("uri"))
        .with_deflate(DeflateOffer::default());
    let mut rng = SeededRandom::new(u64::from(*seed));
    let mut hs = ClientHandshake::new(&options, &mut rng, HeadLimits::default()).expect("build");
    let mut out = Vec::new();
    let _ = hs.poll_output(&mut out);
    for chunk in rest.chunks(usize::from(*piece).max(1)) {
        if hs.recv(chunk).is_err() {
            return;
        }
        if let Some(ClientEvent::Established(_)) = hs.poll_event() {
            // Accepting needs the accept value of the key in our own request.
            let request = String::from_utf8_lossy(&out);
            let sent_key = request
                .lines()
                .find_map(|l| l.strip_prefix("sec-websocket-key: "))
                .expect("the request carries a key");
            let accept = key::accept(sent_key.trim().as_bytes());
            assert!(String::from_utf8_lossy(rest).contains(&accept));
            return;
        }
    }
});
