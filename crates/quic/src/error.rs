//! Transport error codes (RFC 9000 §20.1) and the error of a peer that broke QUIC.

use std::fmt;

/// A transport error code, as carried by `CONNECTION_CLOSE` (type 0x1c).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(pub u64);

impl Code {
    /// No error: the connection closes without one.
    pub const NO_ERROR: Code = Code(0x00);
    /// The endpoint failed internally.
    pub const INTERNAL_ERROR: Code = Code(0x01);
    /// The server refused the connection.
    pub const CONNECTION_REFUSED: Code = Code(0x02);
    /// More data than flow control allowed.
    pub const FLOW_CONTROL_ERROR: Code = Code(0x03);
    /// More streams than allowed.
    pub const STREAM_LIMIT_ERROR: Code = Code(0x04);
    /// A frame for a stream in a state that does not allow it.
    pub const STREAM_STATE_ERROR: Code = Code(0x05);
    /// A final size that changed or was exceeded.
    pub const FINAL_SIZE_ERROR: Code = Code(0x06);
    /// A frame that could not be decoded.
    pub const FRAME_ENCODING_ERROR: Code = Code(0x07);
    /// Invalid transport parameters.
    pub const TRANSPORT_PARAMETER_ERROR: Code = Code(0x08);
    /// More connection IDs than `active_connection_id_limit`.
    pub const CONNECTION_ID_LIMIT_ERROR: Code = Code(0x09);
    /// A protocol rule broken that has no more specific code.
    pub const PROTOCOL_VIOLATION: Code = Code(0x0a);
    /// An invalid address-validation token.
    pub const INVALID_TOKEN: Code = Code(0x0b);
    /// The application or application protocol caused the close.
    pub const APPLICATION_ERROR: Code = Code(0x0c);
    /// More CRYPTO data than the endpoint buffers.
    pub const CRYPTO_BUFFER_EXCEEDED: Code = Code(0x0d);
    /// A key update error.
    pub const KEY_UPDATE_ERROR: Code = Code(0x0e);
    /// The AEAD confidentiality or integrity limit was reached.
    pub const AEAD_LIMIT_REACHED: Code = Code(0x0f);
    /// No viable network path.
    pub const NO_VIABLE_PATH: Code = Code(0x10);
    /// Version negotiation failed (RFC 9368 §4).
    pub const VERSION_NEGOTIATION_ERROR: Code = Code(0x11);

    /// The code of a TLS alert: `0x0100 + alert` (RFC 9001 §4.8).
    pub fn crypto(alert: u8) -> Code {
        Code(0x0100 | u64::from(alert))
    }

    /// The TLS alert of a `CRYPTO_ERROR` code.
    pub fn alert(self) -> Option<u8> {
        (0x0100..=0x01ff)
            .contains(&self.0)
            .then_some((self.0 & 0xff) as u8)
    }

    fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "NO_ERROR",
            0x01 => "INTERNAL_ERROR",
            0x02 => "CONNECTION_REFUSED",
            0x03 => "FLOW_CONTROL_ERROR",
            0x04 => "STREAM_LIMIT_ERROR",
            0x05 => "STREAM_STATE_ERROR",
            0x06 => "FINAL_SIZE_ERROR",
            0x07 => "FRAME_ENCODING_ERROR",
            0x08 => "TRANSPORT_PARAMETER_ERROR",
            0x09 => "CONNECTION_ID_LIMIT_ERROR",
            0x0a => "PROTOCOL_VIOLATION",
            0x0b => "INVALID_TOKEN",
            0x0c => "APPLICATION_ERROR",
            0x0d => "CRYPTO_BUFFER_EXCEEDED",
            0x0e => "KEY_UPDATE_ERROR",
            0x0f => "AEAD_LIMIT_REACHED",
            0x10 => "NO_VIABLE_PATH",
            0x11 => "VERSION_NEGOTIATION_ERROR",
            _ => return None,
        })
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.alert()) {
            (Some(name), _) => f.write_str(name),
            (None, Some(alert)) => write!(f, "CRYPTO_ERROR({alert:#04x})"),
            (None, None) => write!(f, "{:#x}", self.0),
        }
    }
}

/// The peer broke QUIC: the connection must close with `code` (RFC 9000 §10.2), naming
/// the frame type that carried the fault when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct TransportError {
    /// The code for `CONNECTION_CLOSE`.
    pub code: Code,
    /// The type of the frame that broke the rule, if a frame did (`CONNECTION_CLOSE`'s
    /// Frame Type field; 0 when unknown).
    pub frame_type: Option<u64>,
    /// What was wrong, for logs and the `CONNECTION_CLOSE` reason phrase.
    pub reason: &'static str,
}

impl TransportError {
    /// An error with `code` and `reason`, not tied to a frame.
    pub fn new(code: Code, reason: &'static str) -> TransportError {
        TransportError {
            code,
            frame_type: None,
            reason,
        }
    }

    /// The same error, tied to the frame type `frame_type`.
    #[must_use]
    pub fn in_frame(mut self, frame_type: u64) -> TransportError {
        self.frame_type = Some(frame_type);
        self
    }

    /// `FRAME_ENCODING_ERROR` (a frame that could not be decoded).
    pub fn frame_encoding(reason: &'static str) -> TransportError {
        TransportError::new(Code::FRAME_ENCODING_ERROR, reason)
    }

    /// `PROTOCOL_VIOLATION`.
    pub fn protocol(reason: &'static str) -> TransportError {
        TransportError::new(Code::PROTOCOL_VIOLATION, reason)
    }

    /// `TRANSPORT_PARAMETER_ERROR`.
    pub fn transport_parameter(reason: &'static str) -> TransportError {
        TransportError::new(Code::TRANSPORT_PARAMETER_ERROR, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_codes_carry_the_alert() {
        assert_eq!(Code::crypto(0x28), Code(0x0128));
        assert_eq!(Code::crypto(0x28).alert(), Some(0x28));
        assert_eq!(Code::PROTOCOL_VIOLATION.alert(), None);
        assert_eq!(Code::crypto(0x78).to_string(), "CRYPTO_ERROR(0x78)");
        assert_eq!(
            Code::FRAME_ENCODING_ERROR.to_string(),
            "FRAME_ENCODING_ERROR"
        );
    }
}
