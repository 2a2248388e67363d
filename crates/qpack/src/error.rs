//! The errors of the QPACK machines (RFC 9204 §6).
//!
//! Every error the peer can cause is a connection error: it carries the HTTP/3 error
//! code to close the connection with and a fine-grained [`Reason`] so that tests (and
//! logs) can tell the exact cause apart.

/// The three QPACK error codes (RFC 9204 §6), to be sent in a `CONNECTION_CLOSE` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `QPACK_DECOMPRESSION_FAILED` (0x200): a field section could not be decoded.
    DecompressionFailed,
    /// `QPACK_ENCODER_STREAM_ERROR` (0x201): an encoder-stream instruction was invalid.
    EncoderStreamError,
    /// `QPACK_DECODER_STREAM_ERROR` (0x202): a decoder-stream instruction was invalid.
    DecoderStreamError,
}

impl ErrorCode {
    /// The code's value on the wire (RFC 9204 §6).
    pub const fn to_u64(self) -> u64 {
        match self {
            ErrorCode::DecompressionFailed => 0x200,
            ErrorCode::EncoderStreamError => 0x201,
            ErrorCode::DecoderStreamError => 0x202,
        }
    }
}

/// Why a QPACK input was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// A field section ended inside a representation or its prefix (RFC 9204 §4.5).
    Truncated,
    /// A prefix integer exceeded what this implementation decodes (RFC 9204 §4.1.1).
    IntegerOverflow,
    /// A Huffman-coded string was malformed (RFC 7541 §5.2).
    Huffman,
    /// A static-table index outside 0..=98 (RFC 9204 §3.1).
    InvalidStaticIndex,
    /// A dynamic-table reference to an entry that does not exist, was evicted, or is at
    /// or above the Required Insert Count (RFC 9204 §2.2.3, §3.2.5).
    InvalidDynamicIndex,
    /// An encoded Required Insert Count that no encoder could have produced
    /// (RFC 9204 §4.5.1.1).
    InvalidRequiredInsertCount,
    /// A Base below zero: Delta Base not smaller than the Required Insert Count
    /// (RFC 9204 §4.5.1.2).
    InvalidBase,
    /// Set Dynamic Table Capacity above the decoder's advertised maximum
    /// (RFC 9204 §4.3.1).
    CapacityExceeded,
    /// An inserted entry larger than the dynamic table capacity (RFC 9204 §3.2.2).
    EntryTooLarge,
    /// A field section would block more streams than `SETTINGS_QPACK_BLOCKED_STREAMS`
    /// allows (RFC 9204 §2.1.2).
    TooManyBlockedStreams,
    /// A decoded field section exceeds [`crate::Limits::max_field_section_size`]
    /// (RFC 9114 §4.2.2).
    FieldSectionTooLarge,
    /// A string is longer than [`crate::Limits::max_string_len`] (RFC 9204 §7.4).
    StringTooLong,
    /// An unfinished encoder-stream instruction is longer than
    /// [`crate::Limits::max_encoder_stream_buffer`].
    EncoderStreamBufferFull,
    /// A Section Acknowledgment for a stream with no unacknowledged section
    /// (RFC 9204 §4.4.1).
    UnexpectedSectionAck,
    /// An Insert Count Increment of zero, or one that acknowledges entries never sent
    /// (RFC 9204 §4.4.3).
    InvalidInsertCountIncrement,
    /// A second field section for a stream that already has one blocked; a stream is
    /// decoded in order, so the caller must wait for the first.
    StreamAlreadyBlocked,
}

/// A QPACK connection error: the code to close the connection with and its cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{code:?} (0x{:x}): {reason:?}", code.to_u64())]
pub struct Error {
    /// The error code for `CONNECTION_CLOSE` (RFC 9204 §6).
    pub code: ErrorCode,
    /// The precise cause.
    pub reason: Reason,
}

impl Error {
    /// A `QPACK_DECOMPRESSION_FAILED` error.
    pub(crate) const fn decompression(reason: Reason) -> Error {
        Error {
            code: ErrorCode::DecompressionFailed,
            reason,
        }
    }

    /// A `QPACK_ENCODER_STREAM_ERROR` error.
    pub(crate) const fn encoder_stream(reason: Reason) -> Error {
        Error {
            code: ErrorCode::EncoderStreamError,
            reason,
        }
    }

    /// A `QPACK_DECODER_STREAM_ERROR` error.
    pub(crate) const fn decoder_stream(reason: Reason) -> Error {
        Error {
            code: ErrorCode::DecoderStreamError,
            reason,
        }
    }
}

/// Maps a wire-primitive failure onto the reason it means inside QPACK.
pub(crate) fn wire_reason(e: stator_wire::Error) -> Reason {
    match e {
        stator_wire::Error::UnexpectedEnd { .. } => Reason::Truncated,
        stator_wire::Error::HuffmanEos
        | stator_wire::Error::HuffmanPaddingTooLong
        | stator_wire::Error::HuffmanPaddingNotOnes => Reason::Huffman,
        _ => Reason::IntegerOverflow,
    }
}
