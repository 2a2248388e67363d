//! Decoding errors. Every one is a connection error of type `COMPRESSION_ERROR` in HTTP/2
//! (RFC 9113 §4.3): after it the dynamic table is in an unknown state, so the decoder
//! refuses further work (errors are sticky).

/// HTTP/2 error code `COMPRESSION_ERROR` (RFC 9113 §7).
pub const COMPRESSION_ERROR: u32 = 0x9;

/// Why a header block could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The block ended inside a representation (RFC 7541 §5.1, §5.2).
    #[error("header block truncated inside a field representation")]
    Truncated,
    /// A prefix integer exceeds what this decoder accepts (RFC 7541 §5.1).
    #[error("integer too large")]
    IntegerOverflow,
    /// Index 0 is not a valid index (RFC 7541 §6.1).
    #[error("index 0 used")]
    IndexZero,
    /// The index is past the end of the static and dynamic tables (RFC 7541 §2.3.3).
    #[error("index {index} is out of range")]
    IndexOutOfRange {
        /// The index received.
        index: u64,
    },
    /// A Huffman-coded string is malformed (RFC 7541 §5.2).
    #[error("invalid Huffman string: {0}")]
    Huffman(stator_wire::Error),
    /// A dynamic table size update came after a field in the block (RFC 7541 §4.2).
    #[error("dynamic table size update after a field")]
    SizeUpdateAfterField,
    /// A dynamic table size update exceeds the limit we announced (RFC 7541 §6.3).
    #[error("dynamic table size update to {size} exceeds the limit {limit}")]
    SizeUpdateAboveLimit {
        /// The size the peer asked for.
        size: u64,
        /// Our `SETTINGS_HEADER_TABLE_SIZE` (or the configured maximum, if lower).
        limit: usize,
    },
    /// We lowered our limit below the table's size and the peer's next block did not start
    /// with a size update (RFC 7541 §4.2: "MUST signal").
    #[error("header block after a lowered table size limit lacks a size update")]
    MissingSizeUpdate,
    /// A string is longer than [`Limits::max_string_len`](crate::Limits::max_string_len).
    #[error("string of {len} bytes exceeds the limit {limit}")]
    StringTooLong {
        /// The length received (encoded or decoded).
        len: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The decoded header list exceeds
    /// [`Limits::max_header_list_size`](crate::Limits::max_header_list_size), counted as
    /// RFC 9113 §6.5.2 does (name + value + 32 per field). Decoding stops at the field that
    /// crossed the budget, so an HPACK bomb costs no more than the budget.
    #[error("header list exceeds {limit} bytes")]
    HeaderListTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The sink stopped the decoding in the middle of a block; the rest of the block was
    /// not applied to the dynamic table.
    #[error("decoding stopped by the sink")]
    Aborted,
}

impl Error {
    /// The HTTP/2 error code to send in GOAWAY: always `COMPRESSION_ERROR`, because the
    /// decoder's table no longer matches the peer's (RFC 9113 §4.3).
    pub fn h2_code(&self) -> u32 {
        COMPRESSION_ERROR
    }

    /// Whether a configured limit (rather than a malformed block) caused the error.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::StringTooLong { .. }
                | Self::HeaderListTooLarge { .. }
                | Self::SizeUpdateAboveLimit { .. }
        )
    }
}
