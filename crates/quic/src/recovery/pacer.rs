//! Pacing (RFC 9002 §7.7): a token bucket that spreads a congestion window over a round
//! trip, so `poll_transmit` can give each datagram a send time.

use std::time::{Duration, Instant};

/// The pacing gain N of RFC 9002 §7.7, as (numerator, denominator): 5/4, so that the
/// pacer is not what limits the window.
pub const PACING_GAIN: (u32, u32) = (5, 4);

/// The default burst allowance in datagrams.
pub const DEFAULT_BURST: u64 = 10;

/// A token-bucket pacer (RFC 9002 §7.7). Tokens (bytes) accrue at N × window /
/// `smoothed_rtt` up to a burst capacity of `burst` datagrams (never more than the window),
/// so a burst may leave after idle and the long-run rate is N × window / RTT.
///
/// The window and RTT are passed on every call: the pacer follows the controller without
/// holding a reference to it.
#[derive(Clone, Debug)]
pub struct Pacer {
    max_datagram_size: u64,
    burst: u64,
    /// Available bytes; negative after sends ahead of schedule (bounded by the capacity).
    tokens: f64,
    last: Option<Instant>,
}

#[allow(clippy::cast_precision_loss)]
fn to_f64(x: u64) -> f64 {
    x as f64
}

impl Pacer {
    /// A pacer for datagrams of up to `max_datagram_size` bytes allowing bursts of `burst`
    /// datagrams (see [`DEFAULT_BURST`]).
    pub fn new(max_datagram_size: u64, burst: u64) -> Self {
        Self {
            max_datagram_size,
            burst: burst.max(1),
            tokens: to_f64(max_datagram_size.saturating_mul(burst.max(1))),
            last: None,
        }
    }

    /// The bucket's capacity in bytes for `window`: `burst` datagrams, at most the window,
    /// at least one datagram.
    fn capacity(&self, window: u64) -> f64 {
        to_f64(
            self.max_datagram_size
                .saturating_mul(self.burst)
                .min(window)
                .max(self.max_datagram_size),
        )
    }

    /// Pacing rate in bytes per second, or `None` when there is nothing to pace by (no RTT or
    /// no window).
    fn rate(window: u64, smoothed_rtt: Duration) -> Option<f64> {
        let secs = smoothed_rtt.as_secs_f64();
        let (num, den) = PACING_GAIN;
        let rate = to_f64(window) * f64::from(num) / f64::from(den) / secs;
        (window > 0 && secs > 0.0 && rate.is_finite()).then_some(rate)
    }

    fn refill(&mut self, now: Instant, window: u64, smoothed_rtt: Duration) {
        let cap = self.capacity(window);
        if let (Some(last), Some(rate)) = (self.last, Self::rate(window, smoothed_rtt)) {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens += elapsed * rate;
        }
        if !self.tokens.is_finite() {
            self.tokens = cap;
        }
        self.tokens = self.tokens.clamp(-cap, cap);
        if self.last.is_none_or(|last| now > last) {
            self.last = Some(now);
        }
    }

    /// When a datagram of `bytes` may leave, given the current `window` and
    /// `smoothed_rtt`: `now` if the bucket holds enough, otherwise the time it will.
    pub fn next_send_time(
        &mut self,
        now: Instant,
        bytes: u64,
        window: u64,
        smoothed_rtt: Duration,
    ) -> Instant {
        self.refill(now, window, smoothed_rtt);
        let needed = to_f64(bytes).min(self.capacity(window)) - self.tokens;
        if needed <= 0.0 {
            return now;
        }
        let Some(rate) = Self::rate(window, smoothed_rtt) else {
            return now;
        };
        // Round up to the next nanosecond so the bucket is full enough at that time.
        let wait = Duration::try_from_secs_f64(needed / rate)
            .map_or(smoothed_rtt, |d| d.saturating_add(Duration::from_nanos(1)));
        now.checked_add(wait).unwrap_or(now)
    }

    /// A datagram of `bytes` was sent at `now`.
    pub fn on_sent(&mut self, now: Instant, bytes: u64, window: u64, smoothed_rtt: Duration) {
        self.refill(now, window, smoothed_rtt);
        let cap = self.capacity(window);
        self.tokens = (self.tokens - to_f64(bytes)).max(-cap);
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::unchecked_time_subtraction
)]
mod tests {
    use super::*;

    const MDS: u64 = 1200;

    #[test]
    fn long_run_rate_is_n_window_per_rtt() {
        let mut p = Pacer::new(MDS, DEFAULT_BURST);
        let window = 120_000;
        let rtt = Duration::from_millis(100);
        let t0 = Instant::now();
        let mut t = t0;
        let n = 10_000u64;
        for _ in 0..n {
            t = p.next_send_time(t, MDS, window, rtt);
            p.on_sent(t, MDS, window, rtt);
        }
        // The first burst leaves at once; the rest at 1.25 × 120000 / 0.1 s = 1.5 MB/s.
        let expected = (n - DEFAULT_BURST) as f64 * MDS as f64 / 1_500_000.0;
        let elapsed = (t - t0).as_secs_f64();
        assert!(
            (elapsed - expected).abs() / expected < 1e-3,
            "elapsed {elapsed} expected {expected}"
        );
    }

    #[test]
    fn burst_after_idle() {
        let mut p = Pacer::new(MDS, DEFAULT_BURST);
        let window = 120_000;
        let rtt = Duration::from_millis(100);
        let t0 = Instant::now();
        // Drain the bucket, then stay idle for a second.
        for _ in 0..DEFAULT_BURST {
            p.on_sent(t0, MDS, window, rtt);
        }
        assert!(p.next_send_time(t0, MDS, window, rtt) > t0);
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..DEFAULT_BURST {
            assert_eq!(p.next_send_time(t1, MDS, window, rtt), t1);
            p.on_sent(t1, MDS, window, rtt);
        }
        // The eleventh waits one datagram's time: 1200 / 1.5 MB/s = 800 µs.
        let next = p.next_send_time(t1, MDS, window, rtt);
        let wait = next - t1;
        assert!(wait >= Duration::from_micros(800) && wait <= Duration::from_micros(801));
    }

    #[test]
    fn no_rtt_or_window_means_no_pacing() {
        let mut p = Pacer::new(MDS, 1);
        let t = Instant::now();
        for _ in 0..5 {
            assert_eq!(p.next_send_time(t, MDS, 12000, Duration::ZERO), t);
            p.on_sent(t, MDS, 12000, Duration::ZERO);
        }
        // Huge sizes and windows do not overflow.
        let _ = p.next_send_time(t, u64::MAX, u64::MAX, Duration::from_nanos(1));
        let _ = p.next_send_time(t, u64::MAX, 1, Duration::MAX);
    }
}
