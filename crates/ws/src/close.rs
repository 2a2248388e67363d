//! Close frames and status codes (RFC 6455 §5.5.1, §7.4).

use core::fmt;

use bytes::{BufMut, Bytes};

use crate::error::{UsageError, Violation};
use crate::message::Utf8Bytes;

/// A close status code (RFC 6455 §7.4), with the registered values as constants.
///
/// Any `u16` can be held; [`is_valid_on_wire`](Self::is_valid_on_wire) says whether it may
/// appear in a close frame.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer violated the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept (e.g. binary to a text-only endpoint).
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no status code was present. Never sent on the wire.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection closed without a close frame. Never sent on the wire.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: message data inconsistent with its type (e.g. invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message is too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway received an invalid response (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: the TLS handshake failed. Never sent on the wire.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Any code, valid or not.
    pub const fn new(code: u16) -> CloseCode {
        CloseCode(code)
    }

    /// The numeric value.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether the code may be sent in a close frame (RFC 6455 §7.4.1, §7.4.2, and the IANA
    /// "WebSocket Close Code Number Registry"): 1000–1003, 1007–1014, and 3000–4999 (the
    /// ranges for libraries, frameworks and applications). 1005, 1006 and 1015 are
    /// reserved for reporting and never appear on the wire; 0–999, 1004 and 1016–2999 are
    /// not assigned.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> CloseCode {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.0
    }
}

/// The longest close reason: a control payload is at most 125 bytes (RFC 6455 §5.5) and
/// the code takes two.
pub const MAX_REASON_LEN: usize = 123;

/// The content of a close frame.
///
/// A close frame without a body is reported with [`CloseCode::NO_STATUS`] and an empty
/// reason (RFC 6455 §7.1.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, UTF-8, at most [`MAX_REASON_LEN`] bytes.
    pub reason: Utf8Bytes,
}

impl CloseFrame {
    /// Parses the payload of a received close frame (RFC 6455 §5.5.1).
    pub(crate) fn parse(payload: &Bytes) -> Result<CloseFrame, Violation> {
        let Some((code_bytes, reason)) = payload.split_first_chunk::<2>() else {
            return if payload.is_empty() {
                Ok(CloseFrame {
                    code: CloseCode::NO_STATUS,
                    reason: Utf8Bytes::default(),
                })
            } else {
                // A body must start with a two-byte code.
                Err(Violation::CloseFrameTooShort)
            };
        };
        let code = CloseCode(u16::from_be_bytes(*code_bytes));
        if !code.is_valid_on_wire() {
            return Err(Violation::InvalidCloseCode(code.0));
        }
        let reason_start = payload.len().saturating_sub(reason.len());
        let reason = Utf8Bytes::try_from_bytes(payload.slice(reason_start..))
            .map_err(|_| Violation::InvalidCloseReason)?;
        Ok(CloseFrame { code, reason })
    }

    /// Checks what the application wants to send: a code that may appear on the wire (or
    /// `NO_STATUS` with no reason, for an empty close frame) and a short enough reason.
    pub(crate) fn check_outgoing(code: CloseCode, reason: &str) -> Result<(), UsageError> {
        if code == CloseCode::NO_STATUS {
            if !reason.is_empty() {
                return Err(UsageError::ReasonWithoutCode);
            }
        } else if !code.is_valid_on_wire() {
            return Err(UsageError::InvalidCloseCode(code.0));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(UsageError::CloseReasonTooLong(reason.len()));
        }
        Ok(())
    }

    /// The payload of an outgoing close frame; `NO_STATUS` gives an empty payload.
    pub(crate) fn write_payload(code: CloseCode, reason: &[u8], out: &mut impl BufMut) {
        if code != CloseCode::NO_STATUS {
            out.put_u16(code.0);
            out.put_slice(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(b: &'static [u8]) -> Result<CloseFrame, Violation> {
        CloseFrame::parse(&Bytes::from_static(b))
    }

    #[test]
    fn wire_validity_matches_rfc_and_iana() {
        for code in 0..=u16::MAX {
            let expect = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode::new(code).is_valid_on_wire(), expect, "{code}");
        }
        for reserved in [1004, 1005, 1006, 1015, 0, 999, 1016, 2999, 5000] {
            assert!(!CloseCode::new(reserved).is_valid_on_wire());
        }
    }

    #[test]
    fn parses_code_and_reason() {
        let f = parse(b"\x03\xe8bye").unwrap();
        assert_eq!(f.code, CloseCode::NORMAL);
        assert_eq!(f.reason, "bye");
        let f = parse(b"\x0f\xa0").unwrap();
        assert_eq!(f.code, CloseCode::new(4000));
        assert!(f.reason.is_empty());
    }

    #[test]
    fn empty_body_is_no_status() {
        let f = parse(b"").unwrap();
        assert_eq!(f.code, CloseCode::NO_STATUS);
    }

    #[test]
    fn one_byte_body_is_a_protocol_error() {
        assert_eq!(parse(b"\x03"), Err(Violation::CloseFrameTooShort));
        assert_eq!(
            Violation::CloseFrameTooShort.close_code(),
            CloseCode::PROTOCOL_ERROR
        );
    }

    #[test]
    fn invalid_codes_are_protocol_errors() {
        for (bytes, code) in [
            (&b"\x03\xec"[..], 1004u16),
            (b"\x03\xed", 1005),
            (b"\x03\xee", 1006),
            (b"\x03\xf7", 1015),
            (b"\x03\xf8", 1016),
            (b"\x00\x00", 0),
            (b"\x03\xe7", 999),
            (b"\x0b\xb7", 2999),
            (b"\x13\x88", 5000),
        ] {
            assert_eq!(
                CloseFrame::parse(&Bytes::from_static(bytes)),
                Err(Violation::InvalidCloseCode(code))
            );
        }
        assert_eq!(
            Violation::InvalidCloseCode(1004).close_code(),
            CloseCode::PROTOCOL_ERROR
        );
    }

    #[test]
    fn invalid_utf8_reason_is_1007() {
        assert_eq!(parse(b"\x03\xe8\xff"), Err(Violation::InvalidCloseReason));
        assert_eq!(
            Violation::InvalidCloseReason.close_code(),
            CloseCode::INVALID_PAYLOAD
        );
    }

    #[test]
    fn outgoing_checks() {
        assert_eq!(CloseFrame::check_outgoing(CloseCode::NORMAL, "ok"), Ok(()));
        assert_eq!(CloseFrame::check_outgoing(CloseCode::NO_STATUS, ""), Ok(()));
        assert_eq!(
            CloseFrame::check_outgoing(CloseCode::NO_STATUS, "x"),
            Err(UsageError::ReasonWithoutCode)
        );
        assert_eq!(
            CloseFrame::check_outgoing(CloseCode::ABNORMAL, ""),
            Err(UsageError::InvalidCloseCode(1006))
        );
        let long = "x".repeat(124);
        assert_eq!(
            CloseFrame::check_outgoing(CloseCode::NORMAL, &long),
            Err(UsageError::CloseReasonTooLong(124))
        );
        assert_eq!(
            CloseFrame::check_outgoing(CloseCode::NORMAL, &long[..123]),
            Ok(())
        );
    }
}
