//! The one error type of the wire primitives.

/// What went wrong while encoding or decoding a wire primitive.
///
/// [`Error::UnexpectedEnd`] is the only variant a streaming parser should treat as "wait for
/// more bytes"; every other decoding variant means the input is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before the value did.
    #[error("input ended: {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// How many more bytes the value needs at least.
        needed: usize,
    },
    /// The output buffer has no room for the value.
    #[error("output buffer too short: {needed} byte(s) needed, {available} available")]
    BufferTooShort {
        /// Bytes the value needs.
        needed: usize,
        /// Bytes the buffer had left.
        available: usize,
    },
    /// A QUIC variable-length integer must be below 2^62 (RFC 9000 §16).
    #[error("{0} does not fit a QUIC variable-length integer")]
    VarIntRange(u64),
    /// A forced varint length is not 1, 2, 4 or 8, or is too short for the value.
    #[error("varint of value {value} cannot be written in {len} byte(s)")]
    VarIntLength {
        /// The value to encode.
        value: u64,
        /// The requested length.
        len: usize,
    },
    /// A prefix size outside 1..=8 (RFC 7541 §5.1); this is API misuse.
    #[error("prefix size {0} is outside 1..=8")]
    PrefixSize(u8),
    /// A prefix integer exceeds the caller's maximum or 2^64 − 1 (RFC 7541 §5.1:
    /// "encodings that exceed implementation limits MUST be treated as decoding errors").
    #[error("prefix integer exceeds the limit of {max}")]
    PrefixIntOverflow {
        /// The caller's maximum.
        max: u64,
    },
    /// A Huffman-coded string contains the EOS symbol (RFC 7541 §5.2).
    #[error("Huffman string contains EOS")]
    HuffmanEos,
    /// Huffman padding longer than 7 bits (RFC 7541 §5.2).
    #[error("Huffman padding longer than 7 bits")]
    HuffmanPaddingTooLong,
    /// Huffman padding that is not the most significant bits of EOS, i.e. not all ones
    /// (RFC 7541 §5.2).
    #[error("Huffman padding is not all ones")]
    HuffmanPaddingNotOnes,
}
