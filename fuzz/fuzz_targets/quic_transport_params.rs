//! QUIC transport parameters decode without panicking, as sent by a client and by a
//! server; whatever decodes re-encodes and decodes to the same value. The same bytes,
//! opened as an address-validation token under a fixed key, fail without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_quic::token::{TokenKey, TokenLifetimes};
use stator_quic::transport_params::{Side, TransportParameters};

fuzz_target!(|data: &[u8]| {
    for sender in [Side::Client, Side::Server] {
        if let Ok(params) = TransportParameters::decode(data, sender) {
            let again = params.to_bytes().expect("decoded values fit varints");
            let decoded = TransportParameters::decode(&again, sender).expect("re-encoding decodes");
            assert_eq!(decoded, params);
        }
    }
    let key = TokenKey::new(&[0x42; 32]);
    // A forged token would need the key; anything the fuzzer builds must fail.
    assert!(key.open(data).is_err());
    let peer = "192.0.2.1:443".parse().expect("literal address");
    assert!(key.validate(data, peer, 0, &TokenLifetimes::default()).is_err());
});
