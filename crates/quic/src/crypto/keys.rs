//! The keys of each encryption level and the 1-RTT key update (RFC 9001 §5, §6).
//!
//! rustls derives every key: [`initial_keys`] through `rustls::quic::Keys::initial`, the
//! Handshake and 1-RTT keys through the TLS session ([`super::tls`]), and each key update
//! through `rustls::quic::Secrets::next_packet_keys`. These types only wrap rustls' boxed
//! keys so that the rest of the crate names one set of types.

use std::fmt;

use rustls::crypto::cipher::{AeadKey, Iv};
use rustls::quic::Algorithm;

use super::{CryptoError, Side, rustls_version};
use crate::Version;

/// The length of an AEAD key that rustls can take as raw bytes (`AeadKey` is built from
/// exactly 32 bytes): ChaCha20-Poly1305 and AES-256-GCM.
const RAW_KEY_LEN: usize = 32;

/// A header protection key (RFC 9001 §5.4): masks the first byte and the packet number.
/// Key updates keep it (RFC 9001 §6).
pub struct HeaderKey(pub(crate) Box<dyn rustls::quic::HeaderProtectionKey>);

impl HeaderKey {
    /// How many bytes of ciphertext the mask is computed from (16 for every QUIC AEAD).
    pub fn sample_len(&self) -> usize {
        self.0.sample_len()
    }
}

impl fmt::Debug for HeaderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderKey").finish_non_exhaustive()
    }
}

/// A packet protection key and IV (RFC 9001 §5.3): seals or opens payloads.
pub struct PacketKey(pub(crate) Box<dyn rustls::quic::PacketKey>);

impl PacketKey {
    /// The length of the authentication tag appended to each payload (16).
    pub fn tag_len(&self) -> usize {
        self.0.tag_len()
    }

    /// How many packets this key may seal before a key update is due (RFC 9001 §6.6).
    pub fn confidentiality_limit(&self) -> u64 {
        self.0.confidentiality_limit()
    }

    /// How many packets may fail to open under this key before the connection must close
    /// with `AEAD_LIMIT_REACHED` (RFC 9001 §6.6).
    pub fn integrity_limit(&self) -> u64 {
        self.0.integrity_limit()
    }
}

impl fmt::Debug for PacketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketKey").finish_non_exhaustive()
    }
}

/// The keys of one direction at one level: header protection and packet protection.
#[derive(Debug)]
pub struct DirectionalKeys {
    /// Masks and unmasks headers.
    pub header: HeaderKey,
    /// Seals and opens payloads.
    pub packet: PacketKey,
}

impl DirectionalKeys {
    /// Keys from raw key material for an algorithm with 32-byte keys (ChaCha20-Poly1305,
    /// AES-256-GCM): the packet `key`, the 12-byte `iv` and the header protection key `hp`.
    /// Tests and fuzzing use it; connections get their keys from the TLS session.
    pub fn from_raw(
        algorithm: &'static dyn Algorithm,
        key: &[u8],
        iv: &[u8],
        hp: &[u8],
    ) -> Result<DirectionalKeys, CryptoError> {
        // rustls only builds an `AeadKey` from exactly 32 bytes; a shorter AES-128 key
        // would be rejected inside rustls, so refuse it here instead.
        if algorithm.aead_key_len() != RAW_KEY_LEN {
            return Err(CryptoError::KeyLength);
        }
        let key: [u8; RAW_KEY_LEN] = key.try_into().map_err(|_| CryptoError::KeyLength)?;
        let hp: [u8; RAW_KEY_LEN] = hp.try_into().map_err(|_| CryptoError::KeyLength)?;
        let iv: [u8; 12] = iv.try_into().map_err(|_| CryptoError::KeyLength)?;
        Ok(DirectionalKeys {
            header: HeaderKey(algorithm.header_protection_key(AeadKey::from(hp))),
            packet: PacketKey(algorithm.packet_key(AeadKey::from(key), Iv::new(iv))),
        })
    }
}

impl From<rustls::quic::DirectionalKeys> for DirectionalKeys {
    fn from(keys: rustls::quic::DirectionalKeys) -> DirectionalKeys {
        DirectionalKeys {
            header: HeaderKey(keys.header),
            packet: PacketKey(keys.packet),
        }
    }
}

/// The keys of both directions at one level.
#[derive(Debug)]
pub struct Keys {
    /// Seals what this endpoint sends.
    pub local: DirectionalKeys,
    /// Opens what the peer sends.
    pub remote: DirectionalKeys,
}

impl From<rustls::quic::Keys> for Keys {
    fn from(keys: rustls::quic::Keys) -> Keys {
        Keys {
            local: keys.local.into(),
            remote: keys.remote.into(),
        }
    }
}

/// The Initial keys of `side` for a connection whose client chose `client_dcid` as the
/// destination connection ID of its first Initial packet (RFC 9001 §5.2; the v2 salt and
/// labels of RFC 9369 §3.3). Initial packets always use AES-128-GCM.
pub fn initial_keys(version: Version, client_dcid: &[u8], side: Side) -> Result<Keys, CryptoError> {
    let version = rustls_version(version)?;
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
        .tls13()
        .ok_or(CryptoError::UnsupportedSuite)?;
    let quic = suite.quic.ok_or(CryptoError::UnsupportedSuite)?;
    Ok(rustls::quic::Keys::initial(version, suite, quic, client_dcid, side.rustls()).into())
}

/// One generation of 1-RTT packet keys for both directions (header keys stay those of the
/// first generation, RFC 9001 §6).
#[derive(Debug)]
pub struct PacketKeys {
    /// Seals what this endpoint sends.
    pub local: PacketKey,
    /// Opens what the peer sends.
    pub remote: PacketKey,
}

impl From<rustls::quic::PacketKeySet> for PacketKeys {
    fn from(set: rustls::quic::PacketKeySet) -> PacketKeys {
        PacketKeys {
            local: PacketKey(set.local),
            remote: PacketKey(set.remote),
        }
    }
}

/// The 1-RTT secrets from which each next generation of packet keys is derived
/// (RFC 9001 §6.1: `HKDF-Expand-Label(secret, "quic ku", "", Hash.length)`, with the
/// label "quicv2 ku" in v2, RFC 9369 §3.3.2).
pub struct KeyUpdater(pub(crate) rustls::quic::Secrets);

impl KeyUpdater {
    /// The keys of the next generation; each call moves one generation on.
    pub fn next_keys(&mut self) -> PacketKeys {
        self.0.next_packet_keys().into()
    }
}

impl fmt::Debug for KeyUpdater {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyUpdater").finish_non_exhaustive()
    }
}

impl From<rustls::quic::Secrets> for KeyUpdater {
    fn from(secrets: rustls::quic::Secrets) -> KeyUpdater {
        KeyUpdater(secrets)
    }
}

/// The 1-RTT keys of a connection across key updates (RFC 9001 §6): the header keys, the
/// current generation with its key phase, the next generation computed ahead (so that a
/// peer-initiated update can be tried without a timing side channel, RFC 9001 §6.3), and
/// the previous generation's opening key until the caller discards it.
#[derive(Debug)]
pub struct OneRttKeys {
    local_header: HeaderKey,
    remote_header: HeaderKey,
    current: PacketKeys,
    next: PacketKeys,
    previous_remote: Option<PacketKey>,
    phase: bool,
    updater: KeyUpdater,
}

impl OneRttKeys {
    /// The keys of the first generation (key phase 0) and the secrets of the next, as the
    /// TLS session hands them out.
    pub fn new(keys: Keys, updater: KeyUpdater) -> OneRttKeys {
        let mut updater = updater;
        let next = updater.next_keys();
        OneRttKeys {
            local_header: keys.local.header,
            remote_header: keys.remote.header,
            current: PacketKeys {
                local: keys.local.packet,
                remote: keys.remote.packet,
            },
            next,
            previous_remote: None,
            phase: false,
            updater,
        }
    }

    /// The key phase of the current generation (the Key Phase bit, RFC 9001 §6.1).
    pub fn phase(&self) -> bool {
        self.phase
    }

    /// The header protection key for packets this endpoint sends.
    pub fn local_header(&self) -> &HeaderKey {
        &self.local_header
    }

    /// The header protection key for packets the peer sends.
    pub fn remote_header(&self) -> &HeaderKey {
        &self.remote_header
    }

    /// The key that seals packets sent now (with the Key Phase bit [`Self::phase`]).
    pub fn seal_key(&self) -> &PacketKey {
        &self.current.local
    }

    /// The current generation's opening key.
    pub fn current_remote(&self) -> &PacketKey {
        &self.current.remote
    }

    /// The next generation's opening key: for a packet whose Key Phase differs from
    /// [`Self::phase`] and whose packet number is above every packet of the current
    /// phase (RFC 9001 §6.3); if it opens, the caller calls [`Self::update`].
    pub fn next_remote(&self) -> &PacketKey {
        &self.next.remote
    }

    /// The previous generation's opening key, kept after an update for packets that were
    /// delayed (a differing Key Phase and a packet number below the current phase's
    /// first, RFC 9001 §6.5), until [`Self::discard_previous`].
    pub fn previous_remote(&self) -> Option<&PacketKey> {
        self.previous_remote.as_ref()
    }

    /// The opening key for a packet with Key Phase bit `phase`: the current one if it
    /// matches, otherwise the next generation (see [`Self::next_remote`] and
    /// [`Self::previous_remote`] for the case that needs the packet number).
    pub fn open_key(&self, phase: bool) -> &PacketKey {
        if phase == self.phase {
            &self.current.remote
        } else {
            &self.next.remote
        }
    }

    /// Moves to the next generation and flips the key phase (RFC 9001 §6.1 when this
    /// endpoint initiates, §6.2 when a packet opened with [`Self::next_remote`]). The
    /// current opening key becomes the previous one; the generation after is derived now.
    /// When to call it is the connection's rule to keep: not before the handshake is
    /// confirmed, and not again until a packet of the current phase was acknowledged
    /// (RFC 9001 §6.1); a peer that flips the phase too early is a `KEY_UPDATE_ERROR`.
    pub fn update(&mut self) {
        let after = self.updater.next_keys();
        let current = std::mem::replace(&mut self.next, after);
        let old = std::mem::replace(&mut self.current, current);
        self.previous_remote = Some(old.remote);
        self.phase = !self.phase;
    }

    /// Drops the previous generation's opening key (RFC 9001 §6.5: some time, three
    /// PTOs, after the update).
    pub fn discard_previous(&mut self) {
        self.previous_remote = None;
    }
}
