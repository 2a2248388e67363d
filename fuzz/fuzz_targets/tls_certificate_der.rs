//! The certificate reader of stator-tokio's TLS module (a bounded DER walker that finds the
//! validity and the SubjectPublicKeyInfo) never panics on any bytes, and what it accepts
//! gives hashes of exactly those bytes and dates in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rustls_pki_types::CertificateDer;
use stator_tokio::tls::CertificateInfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = CertificateInfo::from_der(&CertificateDer::from(data)) {
        assert_eq!(info.sha256_hex().len(), 32 * 3 - 1);
        let (a, b) = (info.not_before(), info.not_after());
        assert!((1..=12).contains(&a.month) && (1..=12).contains(&b.month));
        assert!(info.pem().starts_with("-----BEGIN CERTIFICATE-----"));
    }
});
