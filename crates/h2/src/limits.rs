//! Every anti-DoS limit and resource bound of an HTTP/2 connection, in one place.
//!
//! Each field documents its default and the attack or resource exhaustion it stops. The
//! defaults follow what the field converged on after the 2019 (Netflix, CVE-2019-9511 to
//! 9518) and 2023 (Rapid Reset, CVE-2023-44487; CONTINUATION flood, 2024) HTTP/2 advisories,
//! with the starting points of nghttp2 and the Rust `h2` crate.

use std::time::Duration;

/// The default initial stream window we advertise, 2 MiB (see [`Limits::initial_stream_window`]).
pub const DEFAULT_STREAM_WINDOW: u32 = 2 * 1024 * 1024;

/// The default connection window we open, 8 MiB (see [`Limits::connection_window`]).
pub const DEFAULT_CONNECTION_WINDOW: u32 = 8 * 1024 * 1024;

/// Resource bounds of one HTTP/2 connection (client or server).
///
/// Start from [`Limits::default`] and change single fields:
///
/// ```
/// let mut limits = stator_h2::Limits::default();
/// limits.max_concurrent_streams = 250;
/// assert_eq!(limits.max_header_list_size, 16 * 1024);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Streams the peer may have open at once towards us; the
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` value we advertise (RFC 9113 §5.1.2). Default 100.
    ///
    /// Stops a peer from making us hold unbounded per-stream state; a `HEADERS` beyond it is
    /// answered with `RST_STREAM` `REFUSED_STREAM`, which the peer may safely retry.
    pub max_concurrent_streams: u32,

    /// Largest decoded header list we accept, the `SETTINGS_MAX_HEADER_LIST_SIZE` we
    /// advertise (RFC 9113 §6.5.2), counted as in RFC 9113 (name + value + 32 per field).
    /// Passed on to `stator-hpack` and `stator-http`. Default 16 KiB.
    ///
    /// Stops header floods and HPACK bombs (a small block referencing a large
    /// dynamic-table entry many times decodes to a huge list).
    pub max_header_list_size: u32,

    /// Largest compressed header block (`HEADERS` or `PUSH_PROMISE` plus all its
    /// `CONTINUATION` frames) we buffer while assembling it. Default 32 KiB.
    ///
    /// Stops the CONTINUATION flood (2024): a block that never ends would otherwise grow a
    /// buffer without bound before any field is decoded.
    pub max_header_block_size: u32,

    /// `CONTINUATION` frames allowed after one `HEADERS` or `PUSH_PROMISE`. Default 8.
    ///
    /// Stops the CONTINUATION flood variant of many tiny (even empty) frames, which costs
    /// CPU per frame without growing the block.
    pub max_continuation_frames: u32,

    /// Size of the HPACK dynamic table our decoder allows, the `SETTINGS_HEADER_TABLE_SIZE`
    /// we advertise (RFC 7541 §4.2). Default 4,096 (the protocol's initial value).
    ///
    /// Bounds the memory a peer's encoder can make our decoder hold.
    pub header_table_size: u32,

    /// Largest frame payload we accept, the `SETTINGS_MAX_FRAME_SIZE` we advertise
    /// (RFC 9113 §4.2, §6.5.2). Default 16,384 (the protocol minimum).
    ///
    /// Bounds the frame reassembly buffer and the work done before a frame can be checked.
    pub max_frame_size: u32,

    /// The stream receive window, our `SETTINGS_INITIAL_WINDOW_SIZE` (RFC 9113 §6.9.2).
    /// Default 2 MiB ([`DEFAULT_STREAM_WINDOW`]).
    ///
    /// Bounds what one stream can make us buffer before the application reads it. Large on
    /// purpose: a window caps a stream's throughput at window / RTT, so the protocol's
    /// 64 KiB gives ~5 Mbit/s at 100 ms RTT (hyper issue #1960); 2 MiB gives ~168 Mbit/s.
    pub initial_stream_window: u32,

    /// The connection receive window we open with `WINDOW_UPDATE` on stream 0 (RFC 9113
    /// §6.9). Default 8 MiB ([`DEFAULT_CONNECTION_WINDOW`]).
    ///
    /// Bounds what the whole connection can make us buffer: window is only released as the
    /// application consumes data, so this, not streams × stream window, is the memory
    /// ceiling per connection (~670 Mbit/s at 100 ms RTT).
    pub connection_window: u32,

    /// The largest a stream receive window may grow to when auto-tuning is on
    /// ([`Config::window_auto_tuning`](crate::Config::window_auto_tuning); the window
    /// is grown while the peer fills it within one round trip). Default 8 MiB; equal to
    /// [`initial_stream_window`](Self::initial_stream_window) disables growth.
    ///
    /// Bounds what one stream of a fast peer can make us buffer.
    pub max_stream_window: u32,

    /// The largest the connection receive window may grow to when auto-tuning is on
    /// ([`Config::window_auto_tuning`](crate::Config::window_auto_tuning)).
    /// Default 16 MiB.
    ///
    /// Bounds the memory of one connection of a fast peer.
    pub max_connection_window: u32,

    /// Peer-initiated stream resets allowed in a burst (token bucket size). Default 1,000.
    ///
    /// With [`reset_refill_per_sec`](Self::reset_refill_per_sec), stops Rapid Reset
    /// (CVE-2023-44487): opening and immediately resetting streams costs the server work
    /// while never counting against `SETTINGS_MAX_CONCURRENT_STREAMS`. Exhaustion ⇒
    /// `GOAWAY` `ENHANCE_YOUR_CALM`.
    pub reset_burst: u32,

    /// Tokens per second refilling the reset budget. Default 33.
    pub reset_refill_per_sec: u32,

    /// Odd-but-legal frames allowed in a burst: frames on closed streams, `PRIORITY`
    /// frames, `WINDOW_UPDATE`s that change nothing, and the like. Default 10,000.
    ///
    /// With [`glitch_refill_per_sec`](Self::glitch_refill_per_sec), stops the floods of
    /// cheap-to-send frames that each cost us a lookup or an answer (CVE-2019-9511 to
    /// 9518). Exhaustion ⇒ `GOAWAY` `ENHANCE_YOUR_CALM`.
    pub glitch_burst: u32,

    /// Tokens per second refilling the glitch budget. Default 330.
    pub glitch_refill_per_sec: u32,

    /// `SETTINGS` and `PING` acknowledgements we queue but have not written. Default 1,000.
    ///
    /// Stops the ping flood and settings flood (CVE-2019-9512, 9515): a peer that sends
    /// faster than it reads would otherwise grow our output queue without bound.
    pub max_pending_acks: u32,

    /// Empty `DATA` frames without `END_STREAM` allowed on the connection. Default 100.
    ///
    /// Stops the zero-length data flood (CVE-2019-9518): frames that cost work but carry
    /// nothing and use no flow-control window.
    pub max_empty_data_frames: u32,

    /// Streams we may reset because the peer broke the protocol on them. Default 1,024.
    ///
    /// Stops a peer from provoking an unbounded stream of `RST_STREAM` frames from us
    /// (the reset flood, CVE-2019-9514) while staying clear of connection errors.
    pub max_local_error_resets: u32,

    /// Streams the peer opened and reset before our application accepted them, pending at
    /// once. Default 20.
    ///
    /// Stops Rapid Reset against the accept queue: such streams cost us state and an event
    /// the application has not yet consumed.
    pub max_pending_accept_resets: u32,

    /// Entries allowed in one `SETTINGS` frame. Default 32.
    ///
    /// Stops a settings flood within a single frame (CVE-2019-9515); there are fewer than
    /// ten defined settings.
    pub max_settings_entries: u32,

    /// Recently closed stream identifiers remembered, with how each stream closed, so late
    /// frames are classified as RFC 9113 §5.1 requires (ignored after our `RST_STREAM`,
    /// `STREAM_CLOSED` after the peer's `END_STREAM`). Default 1,024.
    ///
    /// Bounds that memory: a peer cycling through streams cannot grow it.
    pub closed_stream_memory: usize,

    /// How long we wait for the peer to acknowledge our `SETTINGS` before a connection
    /// error `SETTINGS_TIMEOUT` (RFC 9113 §6.5.3). Default 10 s.
    ///
    /// Stops a peer from keeping us in a state where our settings (smaller limits, larger
    /// windows) are not yet in force.
    pub settings_ack_timeout: Duration,

    /// Local streams queued while the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` is reached.
    /// Default 1,024.
    ///
    /// Bounds our own queue when the peer advertises a small limit (even 0); beyond it,
    /// opening a stream fails with a limit error the application sees.
    pub max_queued_local_streams: usize,

    /// How long a graceful shutdown waits for the ACK of the PING it sends with its first
    /// `GOAWAY` (RFC 9113 §6.8) before sending the final `GOAWAY` anyway. Default 1 s:
    /// several round trips of any usable path.
    ///
    /// Stops a peer that never answers from holding the shutdown in its first phase,
    /// where it could still open streams, forever.
    pub shutdown_ping_timeout: Duration,

    /// How long streams may keep running after the final `GOAWAY` of a graceful shutdown;
    /// then those still active are reset with `CANCEL` and the connection closes.
    /// Default 30 s.
    ///
    /// Stops a slow or stalled peer (a response never read, a request never finished)
    /// from keeping a draining connection, and its memory, alive without end.
    pub shutdown_drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent_streams: 100,
            max_header_list_size: 16 * 1024,
            max_header_block_size: 32 * 1024,
            max_continuation_frames: 8,
            header_table_size: 4096,
            max_frame_size: 16_384,
            initial_stream_window: DEFAULT_STREAM_WINDOW,
            connection_window: DEFAULT_CONNECTION_WINDOW,
            max_stream_window: 8 * 1024 * 1024,
            max_connection_window: 16 * 1024 * 1024,
            reset_burst: 1_000,
            reset_refill_per_sec: 33,
            glitch_burst: 10_000,
            glitch_refill_per_sec: 330,
            max_pending_acks: 1_000,
            max_empty_data_frames: 100,
            max_local_error_resets: 1_024,
            max_pending_accept_resets: 20,
            max_settings_entries: 32,
            closed_stream_memory: 1_024,
            settings_ack_timeout: Duration::from_secs(10),
            max_queued_local_streams: 1_024,
            shutdown_ping_timeout: Duration::from_secs(1),
            shutdown_drain_timeout: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_legal_settings_values() {
        let l = Limits::default();
        // RFC 9113 §6.5.2: SETTINGS_MAX_FRAME_SIZE within 2^14 ..= 2^24 - 1.
        assert!((16_384..=16_777_215).contains(&l.max_frame_size));
        // RFC 9113 §6.9.1: windows at most 2^31 - 1; the connection window covers a stream's.
        assert!(l.initial_stream_window <= 0x7fff_ffff);
        assert!(l.connection_window <= 0x7fff_ffff);
        assert!(l.connection_window >= l.initial_stream_window);
        assert!(l.max_stream_window >= l.initial_stream_window);
        assert!(l.max_connection_window >= l.connection_window);
        assert!(l.max_connection_window <= 0x7fff_ffff);
        // A header block that fits the list limit must be assemblable.
        assert!(l.max_header_block_size >= l.max_header_list_size);
        assert_eq!(l.settings_ack_timeout, Duration::from_secs(10));
        assert_eq!(l.shutdown_ping_timeout, Duration::from_secs(1));
        assert_eq!(l.shutdown_drain_timeout, Duration::from_secs(30));
        assert_eq!((l.reset_burst, l.reset_refill_per_sec), (1_000, 33));
        assert_eq!((l.glitch_burst, l.glitch_refill_per_sec), (10_000, 330));
    }
}
