//! Packet protection and the TLS 1.3 handshake (RFC 9001, RFC 9369), all through rustls'
//! `quic` module and ring: this module derives no key by hand and runs no TLS of its own.
//!
//! - [`keys`]: Initial keys from the client's first destination connection ID, the key
//!   types handed out per level, and the 1-RTT key update (RFC 9001 §5.2, §6);
//! - [`protect`]: header protection and payload sealing/opening on a packet in a mutable
//!   buffer (RFC 9001 §5.3, §5.4);
//! - [`retry`]: the Retry integrity tag of v1 and v2 (RFC 9001 §5.8, RFC 9369 §3.3.3);
//! - [`tls`]: the TLS session that turns CRYPTO bytes into keys (RFC 9001 §4).

/// rustls, whose configurations [`TlsSession`] takes and whose cipher suites
/// [`DirectionalKeys::from_raw`] uses, re-exported so that callers name the same version.
pub use rustls;

pub mod keys;
pub mod protect;
pub mod retry;
pub mod tls;

pub use keys::{
    DirectionalKeys, HeaderKey, KeyUpdater, Keys, OneRttKeys, PacketKey, PacketKeys, initial_keys,
};
pub use protect::{
    Unprotected, apply_header_protection, key_phase, open_packet, protect_packet,
    remove_header_protection, seal_packet, set_key_phase,
};
pub use retry::{RETRY_TAG_LEN, retry_integrity_tag, verify_retry_integrity};
pub use tls::{LevelKeys, TlsEvent, TlsSession};

pub use crate::level::Side;

impl Side {
    pub(crate) fn rustls(self) -> rustls::Side {
        match self {
            Side::Client => rustls::Side::Client,
            Side::Server => rustls::Side::Server,
        }
    }
}

/// Why a packet could not be protected or unprotected. A packet that fails to unprotect
/// is dropped by the caller (RFC 9001 §5.5, §9.5): none of these closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The buffer ends before the header protection sample (RFC 9001 §5.4.2) or the
    /// authentication tag.
    #[error("packet too short to carry the header protection sample or the AEAD tag")]
    ShortPacket,
    /// The packet number offset is 0, or the header form bit disagrees with the header
    /// kind the caller announced.
    #[error("packet number offset or header form inconsistent with the buffer")]
    BadHeader,
    /// The AEAD rejected the packet: wrong key, wrong packet number or tampered bytes.
    #[error("packet failed to decrypt")]
    Decrypt,
    /// The AEAD refused to seal (payload too long for the algorithm).
    #[error("packet failed to encrypt")]
    Encrypt,
    /// Raw key material of the wrong length for the algorithm.
    #[error("key material of the wrong length for the algorithm")]
    KeyLength,
    /// A QUIC version rustls does not speak.
    #[error("unsupported QUIC version")]
    UnsupportedVersion,
    /// The cipher suite has no QUIC algorithm in the crypto provider.
    #[error("cipher suite not usable with QUIC")]
    UnsupportedSuite,
}

/// The rustls name of a QUIC version this crate speaks.
pub(crate) fn rustls_version(
    version: crate::Version,
) -> Result<rustls::quic::Version, CryptoError> {
    match version {
        crate::Version::V1 => Ok(rustls::quic::Version::V1),
        crate::Version::V2 => Ok(rustls::quic::Version::V2),
        _ => Err(CryptoError::UnsupportedVersion),
    }
}
