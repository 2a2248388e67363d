//! The negotiated parameters of permessage-deflate (RFC 7692 §7.1).

/// The parameters both ends agreed on for permessage-deflate (RFC 7692 §7.1).
///
/// Produced by the extension negotiation in [`crate::extension`] and consumed by the
/// connection, which compresses with the parameters of its own role and decompresses with
/// those of the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateConfig {
    /// The server resets its compression context after each message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// Base-2 log of the LZ77 window the server compresses with, 8..=15 (§7.1.2.1).
    pub server_max_window_bits: u8,
    /// Base-2 log of the LZ77 window the client compresses with, 8..=15 (§7.1.2.2).
    pub client_max_window_bits: u8,
}

impl Default for DeflateConfig {
    /// Context takeover both ways and 32 KiB windows: what an offer without parameters
    /// agrees to.
    fn default() -> DeflateConfig {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}
