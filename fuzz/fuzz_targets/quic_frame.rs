//! A QUIC packet payload parsed at each encryption level (RFC 9000 §12.4, §19) never
//! panics and never yields a frame its level may not carry; every frame parsed is written
//! back and parses to the same frame, at the length `encoded_len` promised.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::Level;
use stator_quic::frame::{self, Frame};

fuzz_target!(|data: &[u8]| {
    let payload = Bytes::copy_from_slice(data);
    for level in [Level::Initial, Level::ZeroRtt, Level::Handshake, Level::OneRtt] {
        let mut frames = frame::parse(payload.clone(), level);
        while let Some(item) = frames.next() {
            assert!(frames.position() <= payload.len());
            let Ok(frame) = item else { break };
            assert!(frame.ty().permitted(level));
            let mut wire = Vec::new();
            let len = frame.write(&mut wire).expect("a parsed frame writes");
            assert_eq!(len, wire.len());
            assert_eq!(frame.encoded_len(), wire.len());
            let again: Vec<Frame> = frame::parse(Bytes::from(wire), level)
                .collect::<Result<_, _>>()
                .expect("a written frame parses");
            assert_eq!(again, [frame]);
        }
    }
});
