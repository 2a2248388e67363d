//! The Retry integrity tag (RFC 9001 §5.8, RFC 9369 §3.3.3): AES-128-GCM, from ring, with
//! a fixed key and nonce per version, over the Retry pseudo-packet (the original
//! destination connection ID, length-prefixed, followed by the Retry packet without its
//! tag). rustls has no Retry API, so this is ring's AEAD directly.

use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use super::CryptoError;
use crate::Version;

/// The length of the Retry integrity tag (RFC 9000 §17.2.5).
pub const RETRY_TAG_LEN: usize = 16;

/// The longest connection ID (RFC 9000 §17.2).
const MAX_CID_LEN: usize = 20;

/// The fixed key and nonce of a version.
fn key_and_nonce(version: Version) -> Result<([u8; 16], [u8; 12]), CryptoError> {
    match version {
        // RFC 9001 §5.8.
        Version::V1 => Ok((
            [
                0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68,
                0xc8, 0x4e,
            ],
            [
                0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb,
            ],
        )),
        // RFC 9369 §3.3.3.
        Version::V2 => Ok((
            [
                0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c,
                0xcc, 0x92,
            ],
            [
                0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a,
            ],
        )),
        _ => Err(CryptoError::UnsupportedVersion),
    }
}

/// The Retry integrity tag of `retry_without_tag` (the whole Retry packet up to the tag)
/// sent in answer to a client whose first Initial had destination connection ID
/// `original_dcid` (RFC 9001 §5.8).
pub fn retry_integrity_tag(
    version: Version,
    original_dcid: &[u8],
    retry_without_tag: &[u8],
) -> Result<[u8; RETRY_TAG_LEN], CryptoError> {
    let (key, nonce) = key_and_nonce(version)?;
    if original_dcid.len() > MAX_CID_LEN {
        return Err(CryptoError::BadHeader);
    }
    // The pseudo-packet: ODCID Length (1 byte), ODCID, then the Retry packet.
    let mut pseudo = Vec::with_capacity(
        1usize
            .saturating_add(original_dcid.len())
            .saturating_add(retry_without_tag.len()),
    );
    pseudo.push(original_dcid.len() as u8);
    pseudo.extend_from_slice(original_dcid);
    pseudo.extend_from_slice(retry_without_tag);

    let key = UnboundKey::new(&AES_128_GCM, &key).map_err(|_| CryptoError::KeyLength)?;
    let key = LessSafeKey::new(key);
    // The plaintext is empty; the pseudo-packet is all associated data.
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(pseudo.as_slice()),
            &mut [],
        )
        .map_err(|_| CryptoError::Encrypt)?;
    let mut out = [0u8; RETRY_TAG_LEN];
    let tag = tag.as_ref();
    if tag.len() != RETRY_TAG_LEN {
        return Err(CryptoError::Encrypt);
    }
    out.copy_from_slice(tag);
    Ok(out)
}

/// Whether the Retry packet `retry` (tag included) carries a valid integrity tag for
/// `original_dcid` (RFC 9001 §5.8: a client discards a Retry packet that fails this).
pub fn verify_retry_integrity(version: Version, original_dcid: &[u8], retry: &[u8]) -> bool {
    let Some(split) = retry.len().checked_sub(RETRY_TAG_LEN) else {
        return false;
    };
    let (packet, tag) = retry.split_at(split);
    match retry_integrity_tag(version, original_dcid, packet) {
        // The tag is public and the check is a yes/no on a packet the client drops, but
        // compare in constant time anyway, as ring does.
        Ok(expected) => {
            expected
                .iter()
                .zip(tag)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tags_differ_by_version_and_verify() {
        let packet = [0xf0, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4, b't', b'o', b'k'];
        let mut v1 = packet.to_vec();
        v1.extend_from_slice(&retry_integrity_tag(Version::V1, b"odcid", &packet).unwrap());
        assert!(verify_retry_integrity(Version::V1, b"odcid", &v1));
        assert!(!verify_retry_integrity(Version::V2, b"odcid", &v1));
        assert!(!verify_retry_integrity(Version::V1, b"other", &v1));
        assert!(!verify_retry_integrity(Version::V1, b"odcid", &v1[..10]));
        assert!(!verify_retry_integrity(Version::V1, &[0; 21], &v1));
        assert!(!verify_retry_integrity(Version(7), b"odcid", &v1));
    }
}
