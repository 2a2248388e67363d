//! A small, bounded DER walker that reads the three things [`CertificateInfo`] needs
//! from an X.509 certificate: the validity dates and the `SubjectPublicKeyInfo`.
//!
//! It is not an X.509 parser. It follows the fixed order of RFC 5280 §4.1
//! (`Certificate` → `TBSCertificate` → version, serial, signature, issuer, validity,
//! subject, subjectPublicKeyInfo), checks every tag and length against the bytes that
//! are there, and never panics: a malformed certificate is a [`DerError`]. Signatures,
//! extensions and names are left to rustls/webpki, which verify the certificate for real.
//!
//! [`CertificateInfo`]: super::CertificateInfo

use std::fmt;
use std::time::{Duration, SystemTime};

/// Why a certificate's DER could not be walked (RFC 5280 §4.1, ITU-T X.690 §8 and §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DerError {
    /// The input ended inside a tag, a length or a value.
    #[error("DER truncated")]
    Truncated,
    /// A tag other than the one RFC 5280 puts at this position.
    #[error("DER tag {found:#04x} where {expected:#04x} was expected")]
    UnexpectedTag {
        /// The tag RFC 5280 requires here.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// A multi-byte tag (X.690 §8.1.2.4), which no field read here uses.
    #[error("DER high-tag-number form is not used by X.509")]
    HighTagNumber,
    /// An indefinite length (BER only), or a length form longer than 4 bytes.
    #[error("DER length form not allowed")]
    BadLength,
    /// Bytes after the outer `Certificate` SEQUENCE.
    #[error("trailing bytes after the certificate")]
    TrailingData,
    /// A `Time` (`UTCTime` or `GeneralizedTime`, RFC 5280 §4.1.2.5) that is not
    /// `YYMMDDHHMMSSZ` / `YYYYMMDDHHMMSSZ` or names an impossible date.
    #[error("malformed validity time")]
    BadTime,
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const CONTEXT_0: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One TLV: its tag, its value, and the whole encoding (tag, length and value).
struct Tlv<'a> {
    tag: u8,
    value: &'a [u8],
    whole: &'a [u8],
}

/// Reads one TLV from the front of `input`, returning it and what follows.
fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or(DerError::Truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(DerError::HighTagNumber);
    }
    let (&first, mut rest) = rest.split_first().ok_or(DerError::Truncated)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        // 0x80 is BER's indefinite length; more than 4 length bytes would describe more
        // than 4 GiB, far beyond any certificate.
        if count == 0 || count > 4 {
            return Err(DerError::BadLength);
        }
        let (bytes, after) = rest.split_at_checked(count).ok_or(DerError::Truncated)?;
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let (value, after) = rest.split_at_checked(len).ok_or(DerError::Truncated)?;
    let header = input.len().saturating_sub(rest.len());
    let whole = input
        .get(..header.saturating_add(len))
        .ok_or(DerError::Truncated)?;
    Ok((Tlv { tag, value, whole }, after))
}

/// Reads one TLV that must carry `expected` as its tag.
fn expect(input: &[u8], expected: u8) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (tlv, rest) = read_tlv(input)?;
    if tlv.tag == expected {
        Ok((tlv, rest))
    } else {
        Err(DerError::UnexpectedTag {
            expected,
            found: tlv.tag,
        })
    }
}

/// The fields of a certificate that [`walk`] extracts.
pub(crate) struct CertificateFields<'a> {
    /// `validity.notBefore`.
    pub(crate) not_before: UtcDateTime,
    /// `validity.notAfter`.
    pub(crate) not_after: UtcDateTime,
    /// The whole `subjectPublicKeyInfo` SEQUENCE, tag and length included: the bytes
    /// that SPKI pins hash (RFC 7469 §2.4).
    pub(crate) spki: &'a [u8],
}

/// Walks an X.509 certificate (RFC 5280 §4.1) to its validity and `SubjectPublicKeyInfo`.
pub(crate) fn walk(der: &[u8]) -> Result<CertificateFields<'_>, DerError> {
    let (certificate, trailing) = expect(der, SEQUENCE)?;
    if !trailing.is_empty() {
        return Err(DerError::TrailingData);
    }
    let (tbs, _signature_algorithm_and_value) = expect(certificate.value, SEQUENCE)?;
    let mut fields = tbs.value;
    // version [0] EXPLICIT Version DEFAULT v1: present only for v2/v3 certificates.
    let (first, rest) = read_tlv(fields)?;
    if first.tag == CONTEXT_0 {
        fields = rest;
    }
    let (_serial, rest) = expect(fields, INTEGER)?;
    let (_signature, rest) = expect(rest, SEQUENCE)?;
    let (_issuer, rest) = expect(rest, SEQUENCE)?;
    let (validity, rest) = expect(rest, SEQUENCE)?;
    let (_subject, rest) = expect(rest, SEQUENCE)?;
    let (spki, _extensions) = expect(rest, SEQUENCE)?;

    let (not_before, after) = read_tlv(validity.value)?;
    let (not_after, after) = read_tlv(after)?;
    if !after.is_empty() {
        return Err(DerError::TrailingData);
    }
    Ok(CertificateFields {
        not_before: UtcDateTime::from_tlv(&not_before)?,
        not_after: UtcDateTime::from_tlv(&not_after)?,
        spki: spki.whole,
    })
}

/// A UTC date and time to the second, as X.509 validity carries it (RFC 5280 §4.1.2.5).
///
/// [`Display`](fmt::Display) writes RFC 3339 (`2026-12-06T07:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDateTime {
    /// Year, 1950–9999.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59 (X.509 has no leap seconds).
    pub second: u8,
}

impl UtcDateTime {
    fn from_tlv(tlv: &Tlv<'_>) -> Result<Self, DerError> {
        let digits = |s: &[u8]| -> Result<u16, DerError> {
            s.iter().try_fold(0u16, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc
                        .saturating_mul(10)
                        .saturating_add(u16::from(c).saturating_sub(u16::from(b'0'))))
                } else {
                    Err(DerError::BadTime)
                }
            })
        };
        let (year, rest) = match tlv.tag {
            // RFC 5280 §4.1.2.5.1: YY ≥ 50 is 19YY, otherwise 20YY.
            UTC_TIME if tlv.value.len() == 13 => {
                let (yy, rest) = tlv.value.split_at_checked(2).ok_or(DerError::BadTime)?;
                let yy = digits(yy)?;
                (
                    if yy >= 50 { 1900u16 } else { 2000 }.saturating_add(yy),
                    rest,
                )
            }
            GENERALIZED_TIME if tlv.value.len() == 15 => {
                let (yyyy, rest) = tlv.value.split_at_checked(4).ok_or(DerError::BadTime)?;
                (digits(yyyy)?, rest)
            }
            UTC_TIME | GENERALIZED_TIME => return Err(DerError::BadTime),
            found => {
                return Err(DerError::UnexpectedTag {
                    expected: UTC_TIME,
                    found,
                });
            }
        };
        // rest is MMDDHHMMSSZ (11 bytes, checked by the lengths above).
        let two = |i: usize| -> Result<u8, DerError> {
            let end = i.checked_add(2).ok_or(DerError::BadTime)?;
            let v = digits(rest.get(i..end).ok_or(DerError::BadTime)?)?;
            u8::try_from(v).map_err(|_| DerError::BadTime)
        };
        if rest.get(10) != Some(&b'Z') {
            return Err(DerError::BadTime);
        }
        let t = Self {
            year,
            month: two(0)?,
            day: two(2)?,
            hour: two(4)?,
            minute: two(6)?,
            second: two(8)?,
        };
        let valid = (1..=12).contains(&t.month)
            && t.day >= 1
            && t.day <= days_in_month(t.year, t.month)
            && t.hour < 24
            && t.minute < 60
            && t.second < 60;
        if valid { Ok(t) } else { Err(DerError::BadTime) }
    }

    /// Seconds since the Unix epoch (negative before 1970).
    // Every field is range-checked when parsed (year ≤ 9999), so this cannot overflow.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        let secs = self.unix_seconds();
        let magnitude = Duration::from_secs(secs.unsigned_abs());
        let time = if secs >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(magnitude)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        };
        // Years 1950–9999 fit in every platform's SystemTime.
        time.unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). Inputs are bounded (year ≤ 9999), so the arithmetic cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn time(tag: u8, s: &str) -> Result<UtcDateTime, DerError> {
        let mut whole = vec![tag, s.len() as u8];
        whole.extend_from_slice(s.as_bytes());
        UtcDateTime::from_tlv(&Tlv {
            tag,
            value: s.as_bytes(),
            whole: &whole,
        })
    }

    #[test]
    fn times_follow_rfc5280() {
        let t = time(UTC_TIME, "261206070000Z").unwrap();
        assert_eq!(t.to_string(), "2026-12-06T07:00:00Z");
        assert_eq!(time(UTC_TIME, "500101000000Z").unwrap().year, 1950);
        assert_eq!(time(UTC_TIME, "491231235959Z").unwrap().year, 2049);
        let g = time(GENERALIZED_TIME, "20600229120000Z").unwrap();
        assert_eq!(g.to_string(), "2060-02-29T12:00:00Z");
        assert_eq!(time(UTC_TIME, "700101000000Z").unwrap().unix_seconds(), 0);
        assert_eq!(
            time(UTC_TIME, "000301000000Z").unwrap().unix_seconds(),
            951_868_800
        );
        assert_eq!(
            time(UTC_TIME, "690101000000Z").unwrap().unix_seconds(),
            -31_536_000
        );
    }

    #[test]
    fn bad_times_are_errors() {
        for s in [
            "261306070000Z",
            "260230070000Z",
            "261206240000Z",
            "26120607000Z",
            "2612060700001",
            "26120607000aZ",
        ] {
            assert_eq!(time(UTC_TIME, s), Err(DerError::BadTime), "{s}");
        }
        assert_eq!(
            time(GENERALIZED_TIME, "20610229120000Z"),
            Err(DerError::BadTime)
        );
        assert_eq!(
            time(0x04, "261206070000Z"),
            Err(DerError::UnexpectedTag {
                expected: UTC_TIME,
                found: 0x04
            })
        );
    }

    #[test]
    fn tlv_lengths_are_checked() {
        assert!(matches!(read_tlv(&[]), Err(DerError::Truncated)));
        assert!(matches!(read_tlv(&[0x30]), Err(DerError::Truncated)));
        assert!(matches!(
            read_tlv(&[0x30, 0x03, 1, 2]),
            Err(DerError::Truncated)
        ));
        assert!(matches!(read_tlv(&[0x30, 0x80]), Err(DerError::BadLength)));
        assert!(matches!(
            read_tlv(&[0x30, 0x85, 0, 0, 0, 0, 1]),
            Err(DerError::BadLength)
        ));
        assert!(matches!(
            read_tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Err(DerError::Truncated)
        ));
        assert!(matches!(
            read_tlv(&[0x1f, 0x01, 0]),
            Err(DerError::HighTagNumber)
        ));
        let (tlv, rest) = read_tlv(&[0x30, 0x81, 0x02, 7, 8, 9]).unwrap();
        assert_eq!(
            (tlv.tag, tlv.value, tlv.whole, rest),
            (
                0x30,
                &[7u8, 8][..],
                &[0x30u8, 0x81, 2, 7, 8][..],
                &[9u8][..]
            )
        );
    }

    #[test]
    fn truncations_of_a_certificate_never_panic() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().as_ref();
        assert!(walk(der).is_ok());
        for len in 0..der.len() {
            assert!(walk(&der[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut longer = der.to_vec();
        longer.push(0);
        assert!(matches!(walk(&longer), Err(DerError::TrailingData)));
        // Flipping each byte must give an error or a (different) parse, never a panic.
        for i in 0..der.len() {
            let mut bent = der.to_vec();
            bent[i] ^= 0xff;
            let _ = walk(&bent);
        }
    }
}
