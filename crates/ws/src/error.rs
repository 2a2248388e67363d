//! Errors: the peer broke the protocol, a limit was hit, or the application misused the API.
//!
//! Errors caused by the peer are fatal and sticky: the connection sends one close frame with
//! the code the error carries, reports [`Event::Closed`](crate::Event::Closed), and from then
//! on every send returns the same error (STYLE.md "Errors are sticky").

use crate::close::CloseCode;
use crate::handshake::HandshakeError;

/// Everything that can go wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer violated RFC 6455 or RFC 7692; the connection was failed with
    /// [`ProtocolError::code`].
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The peer exceeded a configured [`Limits`](crate::Limits) value; the connection was
    /// failed with 1009.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The application called the API in a way the protocol or the state forbids. Nothing
    /// was sent and the connection is unaffected.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The output holds more than [`Limits::max_pending_output`](crate::Limits) bytes (or
    /// too many control frames); nothing was accepted. Try again after
    /// [`Event::Writable`](crate::Event::Writable).
    #[error("the output buffer is full; wait for Event::Writable")]
    WouldBlock,
    /// The compressor failed. Never expected; the connection was failed with 1011.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The HTTP/1.1 opening handshake of a connection made with
    /// [`Connection::client_h1`](crate::Connection::client_h1) or
    /// [`Connection::server_h1`](crate::Connection::server_h1) failed (RFC 6455 §4.1, §4.2.1):
    /// the connection closed without a close frame, after a server's 400, 426 or 431 if it
    /// had one to send. A [`HandshakeError::Build`] from `accept` only refuses that call.
    #[error("opening handshake failed: {0}")]
    Handshake(HandshakeError),
}

impl Error {
    /// The close code this error puts on the wire, if it fails the connection.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::Protocol(e) => Some(e.code),
            Error::Limit(e) => Some(e.close_code()),
            Error::Internal(_) => Some(CloseCode::INTERNAL_ERROR),
            Error::Usage(_) | Error::WouldBlock | Error::Handshake(_) => None,
        }
    }

    /// Whether the error ended the connection (as opposed to refusing one call).
    pub fn is_fatal(&self) -> bool {
        match self {
            // The application's own handshake options: only that call was refused.
            Error::Handshake(HandshakeError::Build(_) | HandshakeError::InvalidState(_)) => false,
            Error::Handshake(_) => true,
            _ => self.close_code().is_some(),
        }
    }
}

impl From<Violation> for Error {
    fn from(v: Violation) -> Error {
        Error::Protocol(v.into())
    }
}

/// The peer violated the protocol. Carries the close code sent to it and the exact cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the peer violated the protocol ({code}): {violation}")]
pub struct ProtocolError {
    /// The code of the close frame sent to the peer: 1002 or 1007.
    pub code: CloseCode,
    /// What exactly the peer did.
    pub violation: Violation,
}

impl From<Violation> for ProtocolError {
    fn from(violation: Violation) -> ProtocolError {
        ProtocolError {
            code: violation.close_code(),
            violation,
        }
    }
}

/// What exactly the peer did wrong, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// An opcode from the reserved ranges 0x3–0x7 or 0xB–0xF (RFC 6455 §5.2).
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// RSV2 or RSV3 set; no negotiated extension defines them (RFC 6455 §5.2).
    #[error("reserved bit RSV2 or RSV3 set")]
    ReservedBitSet,
    /// RSV1 set although permessage-deflate was not negotiated (RFC 6455 §5.2).
    #[error("RSV1 set without a negotiated extension")]
    Rsv1WithoutExtension,
    /// RSV1 set on a control frame (RFC 7692 §6.1).
    #[error("RSV1 set on a control frame")]
    Rsv1OnControlFrame,
    /// RSV1 set on a continuation frame; it belongs on the first frame only (RFC 7692 §6.1).
    #[error("RSV1 set on a continuation frame")]
    Rsv1OnContinuation,
    /// A control frame without FIN (RFC 6455 §5.5).
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    /// A control frame longer than 125 bytes (RFC 6455 §5.5).
    #[error("control frame payload of {0} bytes (at most 125)")]
    ControlFrameTooLong(u64),
    /// A 64-bit payload length with the most significant bit set (RFC 6455 §5.2).
    #[error("64-bit payload length with the most significant bit set")]
    LengthTooLarge,
    /// A client sent an unmasked frame (RFC 6455 §5.1).
    #[error("unmasked frame from a client")]
    UnmaskedFrame,
    /// A server sent a masked frame (RFC 6455 §5.1).
    #[error("masked frame from a server")]
    MaskedFrame,
    /// A continuation frame with no message in progress (RFC 6455 §5.4).
    #[error("continuation frame without a message in progress")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message was in progress (RFC 6455 §5.4).
    #[error("new data frame while a fragmented message is in progress")]
    ExpectedContinuation,
    /// A close frame with a one-byte body (RFC 6455 §5.5.1).
    #[error("close frame body of one byte")]
    CloseFrameTooShort,
    /// A close code that may not appear on the wire (RFC 6455 §7.4).
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// A close reason that is not UTF-8 (RFC 6455 §5.5.1). Closes with 1007.
    #[error("close reason is not UTF-8")]
    InvalidCloseReason,
    /// A text message that is not UTF-8 (RFC 6455 §8.1). Closes with 1007.
    #[error("text message is not UTF-8")]
    InvalidUtf8,
    /// A compressed message that does not inflate (RFC 7692 §7.2.2). Closes with 1007.
    #[error("compressed message is not valid DEFLATE data")]
    InvalidDeflateData,
}

impl Violation {
    /// The close code for this violation: 1007 for payload data inconsistent with its type,
    /// 1002 for everything else (RFC 6455 §7.4.1).
    pub fn close_code(self) -> CloseCode {
        match self {
            Violation::InvalidCloseReason
            | Violation::InvalidUtf8
            | Violation::InvalidDeflateData => CloseCode::INVALID_PAYLOAD,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// The peer exceeded a [`Limits`](crate::Limits) value. Closes with 1009.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// A frame announced a payload larger than `max_frame_size`.
    #[error("frame of {size} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// The announced payload length.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A message grew past `max_message_size` (after decompression).
    #[error("message exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The limit.
        max: u64,
    },
}

impl LimitError {
    /// Always 1009, "message too big" (RFC 6455 §7.4.1).
    pub fn close_code(self) -> CloseCode {
        CloseCode::MESSAGE_TOO_BIG
    }
}

/// The application misused the API. Nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// A data frame after our close frame (RFC 6455 §5.5.1), or anything after the
    /// connection closed.
    #[error("the connection is closing or closed")]
    Closed,
    /// A second call to `close`.
    #[error("a close frame was already sent")]
    AlreadyClosing,
    /// A ping or pong payload over 125 bytes (RFC 6455 §5.5).
    #[error("control frame payload of {0} bytes (at most 125)")]
    ControlPayloadTooLong(usize),
    /// A close reason over 123 bytes (RFC 6455 §5.5).
    #[error("close reason of {0} bytes (at most 123)")]
    CloseReasonTooLong(usize),
    /// A close code that may not be sent (RFC 6455 §7.4).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// A reason given with `CloseCode::NO_STATUS` (an empty close frame has no room for it).
    #[error("a close reason needs a close code")]
    ReasonWithoutCode,
    /// A whole message, or a new fragmented one, while a fragmented message is unfinished
    /// (RFC 6455 §5.4: fragments of different messages cannot interleave).
    #[error("a fragmented message is in progress")]
    MessageInProgress,
    /// A fragment of a different kind than the message it continues.
    #[error("fragment kind differs from the message in progress")]
    KindMismatch,
    /// Text fragments that are not UTF-8.
    #[error("text is not UTF-8")]
    InvalidUtf8,
    /// Data, a control frame or a close frame before the opening handshake completed
    /// (RFC 6455 §4.1: frames flow only once the connection is established).
    #[error("the opening handshake has not completed")]
    Connecting,
    /// `accept` or `reject` without a request waiting for the application's decision
    /// (only a [`Connection::server_h1`](crate::Connection::server_h1) after
    /// [`Event::Request`](crate::Event::Request) has one).
    #[error("no opening handshake request is waiting for a decision")]
    NoPendingRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(
            Error::from(Violation::ReservedOpcode(3)).close_code(),
            Some(CloseCode::PROTOCOL_ERROR)
        );
        assert_eq!(
            Error::from(Violation::InvalidUtf8).close_code(),
            Some(CloseCode::INVALID_PAYLOAD)
        );
        assert_eq!(
            Error::from(LimitError::MessageTooLarge { max: 1 }).close_code(),
            Some(CloseCode::MESSAGE_TOO_BIG)
        );
        assert_eq!(Error::from(UsageError::Closed).close_code(), None);
        assert!(!Error::WouldBlock.is_fatal());
        assert!(Error::Internal("x").is_fatal());
        let refused = Error::Handshake(HandshakeError::TooMuchEarlyData { limit: 1 });
        assert!(refused.is_fatal());
        assert_eq!(refused.close_code(), None);
        let misuse = Error::Handshake(HandshakeError::Build(
            crate::handshake::BuildError::MissingAuthority,
        ));
        assert!(!misuse.is_fatal());
    }
}
