//! Congestion controllers behind one trait (RFC 9002 §7), so BBR can be added later.
//!
//! Bytes in flight stay with the caller: the connection's sent-packet map knows them
//! exactly (including packets dropped when keys are discarded, RFC 9002 §6.4), and it alone
//! decides whether a packet may be sent (`bytes_in_flight + size <= window()`). The
//! controller only sees sent, acknowledged and lost packets and answers with a window.
//! The caller should not report acknowledgements of packets sent while it was
//! application-limited (RFC 9002 §7.8), so that the window does not grow without use.

use std::fmt::Debug;
use std::time::Instant;

use super::rtt::RttEstimator;

pub mod cubic;
pub mod new_reno;

pub use cubic::Cubic;
pub use new_reno::NewReno;

/// The largest window a controller reports, a clamp against runaway growth: 1 TiB.
pub const MAX_WINDOW: u64 = 1 << 40;

/// The initial window (RFC 9002 §7.2): min(10 × `max_datagram_size`, max(14720, 2 ×
/// `max_datagram_size`)).
pub fn initial_window(max_datagram_size: u64) -> u64 {
    max_datagram_size
        .saturating_mul(10)
        .min(max_datagram_size.saturating_mul(2).max(14720))
}

/// The minimum window (RFC 9002 §7.2, kMinimumWindow): 2 × `max_datagram_size`.
pub fn minimum_window(max_datagram_size: u64) -> u64 {
    max_datagram_size.saturating_mul(2)
}

/// A congestion controller. Object safe and `Send`, to be held as `Box<dyn Controller>`.
pub trait Controller: Send + Debug {
    /// An in-flight packet of `bytes` was sent at `now`.
    fn on_packet_sent(&mut self, now: Instant, bytes: u64);

    /// An in-flight packet of `bytes`, sent at `time_sent`, was acknowledged at `now`.
    fn on_ack(&mut self, bytes: u64, time_sent: Instant, now: Instant, rtt: &RttEstimator);

    /// Packets were declared lost (or ECN-CE was reported); `time_sent` is when the newest
    /// lost packet was sent (RFC 9002 §7.3.2: one reduction per recovery period).
    fn on_congestion_event(&mut self, time_sent: Instant, now: Instant);

    /// Persistent congestion was established (RFC 9002 §7.6.2): collapse to the minimum
    /// window.
    fn on_persistent_congestion(&mut self);

    /// The congestion window in bytes.
    fn window(&self) -> u64;

    /// The slow-start threshold in bytes (`u64::MAX` before the first reduction).
    fn ssthresh(&self) -> u64;

    /// The path's maximum datagram size changed (after PMTU discovery).
    fn set_max_datagram_size(&mut self, size: u64);
}
