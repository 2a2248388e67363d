//! The decoder's anti-DoS limits, each with its default and the attack it stops.

/// Bounds on what a peer can make the [`Decoder`](crate::Decoder) hold or produce.
///
/// Every limit is checked *while* decoding, before the memory or work it bounds is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest dynamic table size the decoder ever accepts, whatever SETTINGS the caller
    /// later announces (RFC 7541 §4.2). Default 65,536. Stops a peer from making us hold a
    /// large table; the effective limit is the lower of this and
    /// [`Decoder::set_max_table_size`](crate::Decoder::set_max_table_size).
    pub max_table_size: usize,
    /// Largest decoded header list per block, counted as RFC 9113 §6.5.2 does (name +
    /// value + 32 per field). Default 65,536 (h2 and nghttp2 use 16–64 KiB). Stops the
    /// HPACK bomb: one large dynamic entry referenced by one-byte indices thousands of
    /// times.
    pub max_header_list_size: usize,
    /// Longest single name or value, encoded or decoded. Default 16,384. Stops one string
    /// from expanding (Huffman gives up to 8/5) into a large buffer.
    pub max_string_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_table_size: 65_536,
            max_header_list_size: 65_536,
            max_string_len: 16_384,
        }
    }
}
