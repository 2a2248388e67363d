//! CUBIC (RFC 9438) on top of the QUIC recovery rules of RFC 9002 §7.

use std::time::{Duration, Instant};

use super::{Controller, MAX_WINDOW, initial_window, minimum_window};
use crate::recovery::rtt::RttEstimator;

/// RFC 9438 §5.1: C = 0.4 (segments / second³).
pub const C: f64 = 0.4;

/// RFC 9438 §5.1: `β_cubic` = 0.7, the multiplicative decrease factor.
pub const BETA: f64 = 0.7;

/// The CUBIC congestion controller (RFC 9438): after a reduction to β × cwnd the window
/// follows `W_cubic(t) = C × (t − K)³ + W_max` (§4.2), never below the Reno-friendly estimate
/// `W_est` (§4.3), with fast convergence (§4.7). Slow start and the recovery period are those
/// of RFC 9002 §7. Arithmetic is in `f64` segments as in the RFC; the window is clamped to
/// [minimum window, [`MAX_WINDOW`]] and NaN or infinities never reach it.
#[derive(Clone, Debug)]
pub struct Cubic {
    max_datagram_size: u64,
    /// Congestion window in bytes (kept fractional for per-ACK growth).
    cwnd: f64,
    ssthresh: u64,
    recovery_start: Option<Instant>,
    /// `W_max` in segments (0 before the first congestion event).
    w_max: f64,
    /// `cwnd_prior` in segments: the window before the last reduction.
    cwnd_prior: f64,
    /// K in seconds.
    k: f64,
    epoch_start: Option<Instant>,
    /// `W_est` in segments.
    w_est: f64,
}

impl Cubic {
    /// A controller for paths of `max_datagram_size` (RFC 9002 §7.2 initial window).
    pub fn new(max_datagram_size: u64) -> Self {
        Self {
            max_datagram_size,
            cwnd: to_f64(initial_window(max_datagram_size)),
            ssthresh: u64::MAX,
            recovery_start: None,
            w_max: 0.0,
            cwnd_prior: 0.0,
            k: 0.0,
            epoch_start: None,
            w_est: 0.0,
        }
    }

    fn mds(&self) -> f64 {
        to_f64(self.max_datagram_size.max(1))
    }

    fn in_recovery(&self, time_sent: Instant) -> bool {
        self.recovery_start.is_some_and(|start| time_sent <= start)
    }

    /// The window in segments.
    fn segments(&self) -> f64 {
        self.cwnd / self.mds()
    }

    /// Stores a window given in bytes, clamped (never NaN or infinite).
    fn set_cwnd(&mut self, bytes: f64) {
        let min = to_f64(minimum_window(self.max_datagram_size));
        self.cwnd = if bytes.is_finite() {
            bytes.clamp(min, to_f64(MAX_WINDOW))
        } else {
            min
        };
    }

    /// `W_max` in segments (RFC 9438 §4.2), zero before the first congestion event.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// K in seconds (RFC 9438 §4.2, Figure 2), as of the current congestion avoidance
    /// epoch.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// `W_cubic(t)` in segments (RFC 9438 §4.2, Figure 1), `t` since the epoch start.
    pub fn w_cubic(&self, t: Duration) -> f64 {
        let d = t.as_secs_f64() - self.k;
        C * d * d * d + self.w_max
    }

    /// The Reno-friendly estimate `W_est` in segments (RFC 9438 §4.3).
    pub fn w_est(&self) -> f64 {
        self.w_est
    }
}

/// u64 → f64 (exact below 2^53, which the clamp keeps us under).
#[allow(clippy::cast_precision_loss)]
fn to_f64(x: u64) -> f64 {
    x as f64
}

impl Controller for Cubic {
    fn on_packet_sent(&mut self, _now: Instant, _bytes: u64) {}

    fn on_ack(&mut self, bytes: u64, time_sent: Instant, now: Instant, rtt: &RttEstimator) {
        if self.in_recovery(time_sent) {
            return;
        }
        if self.cwnd < to_f64(self.ssthresh) {
            // RFC 9438 §4.10 / RFC 9002 §7.3.1: slow start.
            self.set_cwnd(self.cwnd + to_f64(bytes));
            return;
        }
        let cwnd = self.segments();
        let epoch = if let Some(e) = self.epoch_start {
            e
        } else {
            // RFC 9438 §4.2: a new congestion avoidance epoch.
            self.epoch_start = Some(now);
            if self.w_max <= cwnd {
                // Entered without a reduction below W_max: start on the plateau.
                self.w_max = cwnd;
                self.k = 0.0;
            } else {
                self.k = ((self.w_max - cwnd) / C).max(0.0).cbrt();
            }
            self.w_est = cwnd;
            now
        };
        let segs = to_f64(bytes) / self.mds();
        // RFC 9438 §4.3: W_est grows by α_cubic per window acknowledged; α is 1 once
        // W_est reaches cwnd_prior.
        let alpha = if self.w_est >= self.cwnd_prior {
            1.0
        } else {
            3.0 * (1.0 - BETA) / (1.0 + BETA)
        };
        if cwnd > 0.0 {
            self.w_est += alpha * segs / cwnd;
        }
        let t = now.saturating_duration_since(epoch);
        let w_t = self.w_cubic(t);
        let mds = self.mds();
        if w_t < self.w_est {
            // RFC 9438 §4.3: Reno-friendly region.
            self.set_cwnd(self.w_est * mds);
        } else {
            // RFC 9438 §4.4/§4.5: concave and convex regions; target bounded to
            // [cwnd, 1.5 cwnd].
            let target = self
                .w_cubic(t.saturating_add(rtt.smoothed()))
                .clamp(cwnd, 1.5 * cwnd);
            if cwnd > 0.0 {
                self.set_cwnd(self.cwnd + (target - cwnd) / cwnd * segs * mds);
            }
        }
    }

    fn on_congestion_event(&mut self, time_sent: Instant, now: Instant) {
        if self.in_recovery(time_sent) {
            return;
        }
        // RFC 9002 §7.3.2: one reduction per recovery period.
        self.recovery_start = Some(now);
        self.epoch_start = None;
        let cwnd = self.segments();
        self.cwnd_prior = cwnd;
        // RFC 9438 §4.7: fast convergence.
        self.w_max = if cwnd < self.w_max {
            cwnd * (1.0 + BETA) / 2.0
        } else {
            cwnd
        };
        // RFC 9438 §4.6: ssthresh = cwnd × β_cubic, never below the minimum window.
        self.set_cwnd(self.cwnd * BETA);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ssthresh = self.cwnd as u64; // finite and clamped by set_cwnd
        self.ssthresh = ssthresh;
        self.k = ((self.w_max - self.segments()) / C).max(0.0).cbrt();
    }

    fn on_persistent_congestion(&mut self) {
        // RFC 9002 §7.6.2: collapse to the minimum window; a new epoch will start.
        self.cwnd = to_f64(minimum_window(self.max_datagram_size));
        self.recovery_start = None;
        self.epoch_start = None;
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn window(&self) -> u64 {
        // set_cwnd keeps cwnd finite and within [minimum window, MAX_WINDOW].
        self.cwnd as u64
    }

    fn ssthresh(&self) -> u64 {
        self.ssthresh
    }

    fn set_max_datagram_size(&mut self, size: u64) {
        // Keep the window in segments meaningful: W_max, W_est are in segments already.
        self.max_datagram_size = size;
        self.set_cwnd(self.cwnd);
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::unchecked_time_subtraction
)]
mod tests {
    use super::*;

    const MDS: u64 = 1200;

    fn est(rtt_ms: u64) -> RttEstimator {
        let mut r = RttEstimator::default();
        r.update(
            Duration::from_millis(rtt_ms),
            Duration::ZERO,
            Duration::ZERO,
            true,
        );
        r
    }

    /// A Cubic grown to 100 segments, then a loss at `t0`.
    fn after_loss(t0: Instant) -> Cubic {
        let mut cc = Cubic::new(MDS);
        cc.on_ack(90 * MDS, t0, t0, &est(100));
        assert_eq!(cc.window(), 100 * MDS);
        cc.on_congestion_event(t0, t0);
        cc
    }

    #[test]
    fn reduction_is_beta() {
        let t0 = Instant::now();
        let mut cc = after_loss(t0);
        assert_eq!(cc.window(), 84000); // 0.7 × 120000
        assert_eq!(cc.ssthresh(), 84000);
        assert_eq!(cc.w_max(), 100.0);
        assert!((cc.k() - 75f64.cbrt()).abs() < 1e-9);
        // Fast convergence: a second loss below W_max sets W_max = cwnd × (1 + β) / 2.
        let t1 = t0 + Duration::from_millis(10);
        cc.on_congestion_event(t1, t1);
        assert!((cc.w_max() - 70.0 * 0.85).abs() < 1e-9);
        assert!((cc.window() as f64 - 84000.0 * 0.7).abs() < 1.0);
    }

    #[test]
    fn follows_the_cubic_curve() {
        let t0 = Instant::now();
        let mut cc = after_loss(t0);
        let rtt = est(100);
        let step = Duration::from_millis(100);
        let mut now = t0;
        let mut epoch = None;
        for round in 1..=60 {
            now += step;
            // Acknowledge a window's worth of packets sent after the recovery start.
            let n = cc.window() / MDS;
            for _ in 0..n {
                cc.on_ack(MDS, now - Duration::from_millis(50), now, &rtt);
            }
            let e = *epoch.get_or_insert(now);
            if [10, 20, 42, 60].contains(&round) {
                let w = cc.window() as f64 / MDS as f64;
                // After a round at time t the window has grown to about W_cubic(t + RTT).
                let expected = cc.w_cubic(now - e + step).max(cc.w_est());
                assert!(
                    (w - expected).abs() < 2.0,
                    "round {round}: window {w} expected {expected}"
                );
            }
        }
        // Check the curve itself against the formula at a few points.
        assert!((cc.w_cubic(Duration::ZERO) - 70.0).abs() < 1e-9);
        let k = cc.k();
        assert!((cc.w_cubic(Duration::from_secs_f64(k)) - 100.0).abs() < 1e-9);
        let t = Duration::from_secs(6);
        let d = 6.0 - k;
        assert!((cc.w_cubic(t) - (0.4 * d * d * d + 100.0)).abs() < 1e-9);
    }

    #[test]
    fn reno_friendly_region() {
        let t0 = Instant::now();
        let mut cc = after_loss(t0);
        // A 1 ms RTT: Reno grows faster than the cubic curve here.
        let rtt = est(1);
        let mut now = t0;
        for _ in 0..40 {
            now += Duration::from_millis(1);
            let n = cc.window() / MDS;
            for _ in 0..n {
                cc.on_ack(MDS, now, now, &rtt);
            }
        }
        let alpha = 3.0 * 0.3 / 1.7;
        let w = cc.window() as f64 / MDS as f64;
        assert!((w - (70.0 + 40.0 * alpha)).abs() < 1.5, "window {w}");
        assert!((w - cc.w_est()).abs() < 1e-3);
        assert!(cc.w_cubic(Duration::from_millis(40)) < cc.w_est());
    }

    #[test]
    fn persistent_congestion_and_clamps() {
        let t0 = Instant::now();
        let mut cc = after_loss(t0);
        cc.on_persistent_congestion();
        assert_eq!(cc.window(), 2 * MDS);
        let mut cc = Cubic::new(MDS);
        cc.on_ack(u64::MAX, t0, t0, &est(1));
        assert_eq!(cc.window(), MAX_WINDOW);
        let mut cc = Cubic::new(0);
        cc.on_ack(5, t0, t0, &est(1));
        cc.on_congestion_event(t0, t0);
        cc.on_ack(
            5,
            t0 + Duration::from_secs(1),
            t0 + Duration::from_secs(2),
            &est(1),
        );
        assert!(cc.window() <= MAX_WINDOW);
    }
}
