//! The RTT estimator (RFC 9002 §5), the probe timeout (§6.2.1) and the time threshold of
//! loss detection (§6.1.2).

use std::time::Duration;

/// The RTT assumed before any sample (RFC 9002 §6.2.2, kInitialRtt).
pub const INITIAL_RTT: Duration = Duration::from_millis(333);

/// The timer granularity (RFC 9002 §6.1.2, kGranularity).
pub const GRANULARITY: Duration = Duration::from_millis(1);

/// Packets this far below the largest acknowledged one are lost (RFC 9002 §6.1.1,
/// kPacketThreshold).
pub const PACKET_THRESHOLD: u64 = 3;

/// The time threshold as a fraction (numerator, denominator): 9/8 (RFC 9002 §6.1.2,
/// kTimeThreshold).
pub const TIME_THRESHOLD: (u32, u32) = (9, 8);

/// The persistent congestion threshold (RFC 9002 §7.6.1, kPersistentCongestionThreshold).
pub const PERSISTENT_CONGESTION_THRESHOLD: u32 = 3;

/// `d × num / den`, saturating, never panicking (a zero denominator gives zero).
fn scale(d: Duration, num: u32, den: u32) -> Duration {
    d.saturating_mul(num).checked_div(den).unwrap_or_default()
}

/// RTT state of a connection (RFC 9002 §5): the latest sample, the minimum, the smoothed
/// RTT and its variation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RttEstimator {
    latest: Duration,
    min: Duration,
    smoothed: Duration,
    var: Duration,
    has_sample: bool,
}

impl Default for RttEstimator {
    fn default() -> Self {
        Self::new(INITIAL_RTT)
    }
}

impl RttEstimator {
    /// An estimator before any sample (RFC 9002 §5.3): smoothed = `initial_rtt`, rttvar =
    /// `initial_rtt` / 2. `initial_rtt` is kInitialRtt unless a previous connection's RTT is
    /// known (§6.2.2).
    pub fn new(initial_rtt: Duration) -> Self {
        Self {
            latest: Duration::ZERO,
            min: Duration::ZERO,
            smoothed: initial_rtt,
            var: scale(initial_rtt, 1, 2),
            has_sample: false,
        }
    }

    /// Takes a sample (RFC 9002 §5.3). `latest_rtt` is the time from sending the largest
    /// newly acknowledged packet (if ack-eliciting) to receiving its ACK; `ack_delay` is
    /// the ACK frame's decoded delay (pass zero for Initial packets, §5.3). Once the
    /// handshake is confirmed the delay is limited to the peer's `max_ack_delay`. The
    /// minimum RTT is never adjusted by the delay (§5.2), and the delay is subtracted only
    /// if that does not take the sample below the minimum.
    pub fn update(
        &mut self,
        latest_rtt: Duration,
        ack_delay: Duration,
        max_ack_delay: Duration,
        handshake_confirmed: bool,
    ) {
        self.latest = latest_rtt;
        if !self.has_sample {
            // RFC 9002 §5.3: the first sample initialises everything.
            self.has_sample = true;
            self.min = latest_rtt;
            self.smoothed = latest_rtt;
            self.var = scale(latest_rtt, 1, 2);
            return;
        }
        // RFC 9002 §5.2
        self.min = self.min.min(latest_rtt);
        let ack_delay = if handshake_confirmed {
            ack_delay.min(max_ack_delay)
        } else {
            ack_delay
        };
        // RFC 9002 §5.3: adjust only if latest_rtt >= min_rtt + ack_delay.
        let adjusted = if latest_rtt >= self.min.saturating_add(ack_delay) {
            latest_rtt.saturating_sub(ack_delay)
        } else {
            latest_rtt
        };
        let var_sample = self.smoothed.abs_diff(adjusted);
        self.var = scale(self.var, 3, 4).saturating_add(scale(var_sample, 1, 4));
        self.smoothed = scale(self.smoothed, 7, 8).saturating_add(scale(adjusted, 1, 8));
    }

    /// Whether a sample has been taken.
    pub fn has_sample(&self) -> bool {
        self.has_sample
    }

    /// The latest sample (zero before the first).
    pub fn latest(&self) -> Duration {
        self.latest
    }

    /// The minimum RTT seen (zero before the first sample).
    pub fn min(&self) -> Duration {
        self.min
    }

    /// The smoothed RTT.
    pub fn smoothed(&self) -> Duration {
        self.smoothed
    }

    /// The RTT variation (rttvar).
    pub fn var(&self) -> Duration {
        self.var
    }

    /// `smoothed_rtt + max(4 × rttvar, kGranularity)` + `max_ack_delay`, the base of both the
    /// PTO (§6.2.1) and the persistent congestion duration (§7.6.1). Pass a zero
    /// `max_ack_delay` for the Initial and Handshake spaces.
    pub fn pto_base(&self, max_ack_delay: Duration) -> Duration {
        self.smoothed
            .saturating_add(self.var.saturating_mul(4).max(GRANULARITY))
            .saturating_add(max_ack_delay)
    }

    /// The probe timeout with exponential backoff (RFC 9002 §6.2.1): `pto_base` ×
    /// 2^`pto_count`, saturating. `max_ack_delay` is zero for Initial and Handshake.
    pub fn pto(&self, max_ack_delay: Duration, pto_count: u32) -> Duration {
        let factor = 1u32.checked_shl(pto_count).unwrap_or(u32::MAX);
        self.pto_base(max_ack_delay).saturating_mul(factor)
    }

    /// The persistent congestion duration (RFC 9002 §7.6.1): `pto_base(max_ack_delay)` ×
    /// kPersistentCongestionThreshold.
    pub fn persistent_congestion_duration(&self, max_ack_delay: Duration) -> Duration {
        self.pto_base(max_ack_delay)
            .saturating_mul(PERSISTENT_CONGESTION_THRESHOLD)
    }

    /// The time threshold of loss detection (RFC 9002 §6.1.2): `max(9/8 × max(smoothed_rtt,
    /// latest_rtt), kGranularity)`.
    pub fn loss_delay(&self) -> Duration {
        let (num, den) = TIME_THRESHOLD;
        scale(self.smoothed.max(self.latest), num, den).max(GRANULARITY)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn initial_state() {
        let r = RttEstimator::default();
        assert_eq!(r.smoothed(), ms(333));
        assert_eq!(r.var(), Duration::from_micros(166_500));
        assert!(!r.has_sample());
        // §6.2.1: the first PTO is 333 + 4 × 166.5 = 999 ms (+ max_ack_delay).
        assert_eq!(r.pto(Duration::ZERO, 0), ms(999));
        assert_eq!(r.pto(ms(25), 0), ms(1024));
        assert_eq!(r.pto(ms(25), 2), ms(4096));
    }

    #[test]
    fn first_sample() {
        let mut r = RttEstimator::default();
        r.update(ms(100), ms(50), ms(25), true);
        // §5.3: the ack delay is ignored for the first sample.
        assert_eq!(r.smoothed(), ms(100));
        assert_eq!(r.var(), ms(50));
        assert_eq!(r.min(), ms(100));
        assert_eq!(r.latest(), ms(100));
    }

    #[test]
    fn worked_sequence() {
        let mut r = RttEstimator::default();
        r.update(ms(100), Duration::ZERO, ms(25), true);
        // Second sample 140 ms with a 20 ms delay: adjusted 120.
        r.update(ms(140), ms(20), ms(25), true);
        // rttvar = 3/4·50 + 1/4·|100−120| = 37.5 + 5 = 42.5
        assert_eq!(r.var(), Duration::from_micros(42_500));
        // smoothed = 7/8·100 + 1/8·120 = 87.5 + 15 = 102.5
        assert_eq!(r.smoothed(), Duration::from_micros(102_500));
        assert_eq!(r.min(), ms(100));
        // Third sample 80 ms: new minimum, a 10 ms delay would take it below min: not
        // subtracted.
        r.update(ms(80), ms(10), ms(25), true);
        assert_eq!(r.min(), ms(80));
        let var = Duration::from_micros(42_500) * 3 / 4 + Duration::from_micros(22_500) / 4;
        assert_eq!(r.var(), var);
        let smoothed = Duration::from_micros(102_500) * 7 / 8 + ms(80) / 8;
        assert_eq!(r.smoothed(), smoothed);
        // PTO = smoothed + 4·rttvar + max_ack_delay.
        assert_eq!(r.pto(ms(25), 0), smoothed + var * 4 + ms(25));
        assert_eq!(r.pto(ms(25), 3), (smoothed + var * 4 + ms(25)) * 8);
    }

    #[test]
    fn ack_delay_limited_after_confirmation() {
        let mut a = RttEstimator::default();
        let mut b = RttEstimator::default();
        a.update(ms(100), Duration::ZERO, ms(25), true);
        b.update(ms(100), Duration::ZERO, ms(25), false);
        a.update(ms(200), ms(80), ms(25), true); // limited to 25: adjusted 175
        b.update(ms(200), ms(80), ms(25), false); // not limited: adjusted 120
        assert_eq!(a.smoothed(), ms(100) * 7 / 8 + ms(175) / 8);
        assert_eq!(b.smoothed(), ms(100) * 7 / 8 + ms(120) / 8);
        // min_rtt is never adjusted by ack delay.
        assert_eq!(a.min(), ms(100));
        assert_eq!(b.min(), ms(100));
    }

    #[test]
    fn granularity_floor_and_loss_delay() {
        let mut r = RttEstimator::default();
        for _ in 0..200 {
            r.update(
                Duration::from_micros(100),
                Duration::ZERO,
                Duration::ZERO,
                true,
            );
        }
        assert_eq!(r.var(), Duration::ZERO);
        assert_eq!(
            r.pto(Duration::ZERO, 0),
            Duration::from_micros(100) + GRANULARITY
        );
        assert_eq!(r.loss_delay(), GRANULARITY);
        r.update(ms(16), Duration::ZERO, Duration::ZERO, true);
        // max(smoothed, latest) = latest = 16 ms → 18 ms.
        assert_eq!(r.loss_delay(), ms(18));
    }

    #[test]
    fn backoff_saturates() {
        let r = RttEstimator::default();
        assert_eq!(r.pto(ms(25), 200), ms(1024).saturating_mul(u32::MAX));
        assert_eq!(r.persistent_congestion_duration(ms(25)), ms(1024) * 3);
    }
}
