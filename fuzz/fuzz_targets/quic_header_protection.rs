//! Header protection removal and packet opening with keys from the input never panic,
//! whatever the packet bytes, the packet number offset or the header form; and sealing
//! with arbitrary layouts either works or is an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stator_quic::Version;
use stator_quic::crypto::{
    DirectionalKeys, Side, initial_keys, open_packet, protect_packet, remove_header_protection,
    rustls,
};

fn keys(data: &[u8]) -> Option<(DirectionalKeys, &[u8])> {
    let (&mode, rest) = data.split_first()?;
    if mode & 1 == 0 {
        // AES-128-GCM Initial keys from a destination connection ID in the input.
        let (&len, rest) = rest.split_first()?;
        let len = usize::from(len % 21).min(rest.len());
        let (dcid, rest) = rest.split_at(len);
        let version = if mode & 2 == 0 { Version::V1 } else { Version::V2 };
        let side = if mode & 4 == 0 { Side::Client } else { Side::Server };
        let keys = initial_keys(version, dcid, side).ok()?;
        Some((keys.remote, rest))
    } else {
        // ChaCha20-Poly1305 with raw key, IV and header key from the input.
        if rest.len() < 76 {
            return None;
        }
        let (key, rest) = rest.split_at(32);
        let (iv, rest) = rest.split_at(12);
        let (hp, rest) = rest.split_at(32);
        let alg = rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256
            .tls13()?
            .quic?;
        let keys = DirectionalKeys::from_raw(alg, key, iv, hp).ok()?;
        Some((keys, rest))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((keys, rest)) = keys(data) else {
        return;
    };
    let Some((&offset, packet)) = rest.split_first() else {
        return;
    };
    let pn_offset = usize::from(offset % 64);
    let long = packet.first().is_some_and(|b| b & 0x80 != 0);

    let mut buf = packet.to_vec();
    if let Ok(u) = remove_header_protection(&keys.header, &mut buf, pn_offset, long) {
        assert!((1..=4).contains(&u.pn_len));
        let header_len = pn_offset + u.pn_len;
        if let Ok(n) = open_packet(&keys.packet, u64::from(u.truncated_pn), &mut buf, header_len) {
            assert!(header_len + n <= buf.len());
        }
    } else {
        // A failure leaves the buffer untouched.
        assert_eq!(buf, packet);
    }
    // The wrong header form is refused, never trusted.
    let mut buf = packet.to_vec();
    let _ = remove_header_protection(&keys.header, &mut buf, pn_offset, !long);

    // Sealing the same bytes with the same layout either works or is an error.
    let mut buf = packet.to_vec();
    let _ = protect_packet(&keys.header, &keys.packet, u64::from(offset), &mut buf, pn_offset, long);
});
