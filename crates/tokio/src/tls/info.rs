//! [`CertificateInfo`]: the hashes and dates a person or a browser needs to trust a
//! (usually self-signed) server certificate.

use std::fmt::Write as _;

use rustls::pki_types::CertificateDer;

use super::TlsError;
use super::der::{self, UtcDateTime};

/// What a client needs to know to trust the server's leaf certificate.
///
/// Print it at start so that a developer can pin the certificate:
///
/// - [`sha256`](Self::sha256) / [`sha256_hex`](Self::sha256_hex): SHA-256 of the
///   certificate's DER, as `openssl x509 -fingerprint -sha256` and browsers show it.
/// - [`sha256_base64`](Self::sha256_base64): the same bytes in base64 (RFC 4648 §4), for
///   WebTransport's `serverCertificateHashes` (W3C WebTransport §4.3: `{ algorithm:
///   "sha-256", value }`; the browser accepts it only if the certificate is valid for at
///   most 14 days and uses ECDSA P-256 or similar).
/// - [`spki_sha256_base64`](Self::spki_sha256_base64): SHA-256 of the
///   `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) in base64, the pin format of RFC 7469 §2.4
///   and of Chromium's `--ignore-certificate-errors-spki-list`.
/// - [`not_before`](Self::not_before) / [`not_after`](Self::not_after): the validity
///   (RFC 5280 §4.1.2.5).
/// - [`pem`](Self::pem): the certificate in PEM (RFC 7468 §5), to write out for
///   `curl --cacert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    sha256: [u8; 32],
    spki_sha256: [u8; 32],
    not_before: UtcDateTime,
    not_after: UtcDateTime,
    pem: String,
}

impl CertificateInfo {
    /// Reads the information from a DER certificate (RFC 5280 §4.1).
    ///
    /// Only the fields named above are read, with a bounded walker; this does **not**
    /// verify the certificate.
    pub fn from_der(cert: &CertificateDer<'_>) -> Result<Self, TlsError> {
        let der = cert.as_ref();
        let fields = der::walk(der)?;
        Ok(Self {
            sha256: sha256(der),
            spki_sha256: sha256(fields.spki),
            not_before: fields.not_before,
            not_after: fields.not_after,
            pem: pem_encode("CERTIFICATE", der),
        })
    }

    /// SHA-256 of the certificate's DER encoding.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// SHA-256 of the certificate as colon-separated upper-case hex
    /// (`AB:CD:…`, 95 characters), as browsers and `openssl x509 -fingerprint` show it.
    pub fn sha256_hex(&self) -> String {
        let mut out = String::with_capacity(95);
        for (i, b) in self.sha256.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            let _ = write!(out, "{b:02X}");
        }
        out
    }

    /// SHA-256 of the certificate in base64 with padding (RFC 4648 §4): the `value` of a
    /// WebTransport `serverCertificateHashes` entry (decode it to bytes in JavaScript).
    pub fn sha256_base64(&self) -> String {
        stator_wire::base64::encode(&self.sha256)
    }

    /// SHA-256 of the certificate's `SubjectPublicKeyInfo` DER.
    pub fn spki_sha256(&self) -> [u8; 32] {
        self.spki_sha256
    }

    /// SHA-256 of the `SubjectPublicKeyInfo` in base64 (RFC 7469 §2.4), the format of
    /// Chromium's `--ignore-certificate-errors-spki-list`.
    pub fn spki_sha256_base64(&self) -> String {
        stator_wire::base64::encode(&self.spki_sha256)
    }

    /// Start of the validity period (`notBefore`).
    pub fn not_before(&self) -> UtcDateTime {
        self.not_before
    }

    /// End of the validity period (`notAfter`).
    pub fn not_after(&self) -> UtcDateTime {
        self.not_after
    }

    /// The certificate in PEM (`-----BEGIN CERTIFICATE-----`, RFC 7468 §5).
    pub fn pem(&self) -> &str {
        &self.pem
    }
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// PEM encoding (RFC 7468 §2): base64 in 64-character lines between the labels.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = stator_wire::base64::encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    // The base64 alphabet is ASCII, so every 64-byte chunk is valid UTF-8.
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}
