//! `NewReno` (RFC 9002 §7.3 and Appendix B).

use std::time::Instant;

use super::{Controller, MAX_WINDOW, initial_window, minimum_window};
use crate::recovery::rtt::RttEstimator;

/// The `NewReno` congestion controller of RFC 9002 §7: slow start, a recovery period with one
/// halving (kLossReductionFactor 0.5) per round trip, and congestion avoidance growing by
/// one datagram per window acknowledged.
#[derive(Clone, Debug)]
pub struct NewReno {
    max_datagram_size: u64,
    window: u64,
    ssthresh: u64,
    recovery_start: Option<Instant>,
    /// Bytes acknowledged in congestion avoidance not yet turned into growth.
    acked_in_ca: u64,
}

impl NewReno {
    /// A controller for paths of `max_datagram_size` (RFC 9002 §7.2 initial window).
    pub fn new(max_datagram_size: u64) -> Self {
        Self {
            max_datagram_size,
            window: initial_window(max_datagram_size),
            ssthresh: u64::MAX,
            recovery_start: None,
            acked_in_ca: 0,
        }
    }

    /// Whether a packet sent at `time_sent` belongs to the current recovery period (RFC 9002
    /// §7.3.2).
    fn in_recovery(&self, time_sent: Instant) -> bool {
        self.recovery_start.is_some_and(|start| time_sent <= start)
    }
}

impl Controller for NewReno {
    fn on_packet_sent(&mut self, _now: Instant, _bytes: u64) {}

    fn on_ack(&mut self, bytes: u64, time_sent: Instant, _now: Instant, _rtt: &RttEstimator) {
        // RFC 9002 §7.3.2: no growth during recovery.
        if self.in_recovery(time_sent) {
            return;
        }
        if self.window < self.ssthresh {
            // RFC 9002 §7.3.1: slow start.
            self.window = self.window.saturating_add(bytes).min(MAX_WINDOW);
            return;
        }
        // RFC 9002 §7.3.3: one max_datagram_size per window of acknowledged bytes.
        // At most one increase per ACK, and the credit is capped at one window, so a
        // huge acknowledgement cannot bank growth (or loop).
        self.acked_in_ca = self.acked_in_ca.saturating_add(bytes).min(self.window);
        if self.acked_in_ca >= self.window {
            self.acked_in_ca = 0;
            self.window = self
                .window
                .saturating_add(self.max_datagram_size)
                .min(MAX_WINDOW);
        }
    }

    fn on_congestion_event(&mut self, time_sent: Instant, now: Instant) {
        // RFC 9002 §7.3.2: once per recovery period.
        if self.in_recovery(time_sent) {
            return;
        }
        self.recovery_start = Some(now);
        // kLossReductionFactor = 0.5
        self.ssthresh = (self.window / 2).max(minimum_window(self.max_datagram_size));
        self.window = self.ssthresh;
        self.acked_in_ca = 0;
    }

    fn on_persistent_congestion(&mut self) {
        // RFC 9002 §7.6.2 and Appendix B.8.
        self.window = minimum_window(self.max_datagram_size);
        self.recovery_start = None;
        self.acked_in_ca = 0;
    }

    fn window(&self) -> u64 {
        self.window
    }

    fn ssthresh(&self) -> u64 {
        self.ssthresh
    }

    fn set_max_datagram_size(&mut self, size: u64) {
        self.max_datagram_size = size;
        self.window = self.window.max(minimum_window(size));
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MDS: u64 = 1200;

    #[test]
    fn initial_and_minimum_windows() {
        assert_eq!(initial_window(1200), 12000);
        assert_eq!(initial_window(1472), 14720);
        assert_eq!(initial_window(9000), 18000);
        assert_eq!(minimum_window(1200), 2400);
        assert_eq!(NewReno::new(MDS).window(), 12000);
    }

    /// Sends a full window at `t` and acknowledges it one RTT later; returns the new time.
    fn round(cc: &mut NewReno, t: Instant, rtt: Duration) -> Instant {
        let w = cc.window();
        let n = w / MDS;
        for _ in 0..n {
            cc.on_packet_sent(t, MDS);
        }
        let est = RttEstimator::default();
        for _ in 0..n {
            cc.on_ack(MDS, t, t + rtt, &est);
        }
        t + rtt
    }

    #[test]
    fn slow_start_doubles_per_rtt() {
        let mut cc = NewReno::new(MDS);
        let mut t = Instant::now();
        let rtt = Duration::from_millis(50);
        for i in 0..5 {
            assert_eq!(cc.window(), 12000 << i);
            t = round(&mut cc, t, rtt);
        }
    }

    #[test]
    fn halves_once_per_recovery_period() {
        let mut cc = NewReno::new(MDS);
        let t0 = Instant::now();
        let est = RttEstimator::default();
        cc.on_ack(12000, t0, t0 + Duration::from_millis(50), &est);
        assert_eq!(cc.window(), 24000);
        let t1 = t0 + Duration::from_millis(60);
        let loss_at = t1 + Duration::from_millis(50);
        cc.on_congestion_event(t1, loss_at);
        assert_eq!(cc.window(), 12000);
        assert_eq!(cc.ssthresh(), 12000);
        // Another loss of a packet sent before the recovery started: no reduction.
        cc.on_congestion_event(
            t1 + Duration::from_millis(10),
            loss_at + Duration::from_millis(5),
        );
        assert_eq!(cc.window(), 12000);
        // Acks of packets sent before the recovery started do not grow the window.
        cc.on_ack(MDS, t1, loss_at + Duration::from_millis(1), &est);
        assert_eq!(cc.window(), 12000);
        // A loss of a packet sent after the recovery started reduces again.
        let t2 = loss_at + Duration::from_millis(1);
        cc.on_congestion_event(t2, t2 + Duration::from_millis(50));
        assert_eq!(cc.window(), 6000);
    }

    #[test]
    fn congestion_avoidance_adds_one_datagram_per_window() {
        let mut cc = NewReno::new(MDS);
        let t0 = Instant::now();
        let est = RttEstimator::default();
        cc.on_congestion_event(t0, t0);
        assert_eq!(cc.window(), 6000);
        let t1 = t0 + Duration::from_millis(1);
        for _ in 0..5 {
            cc.on_ack(MDS, t1, t1, &est);
        }
        assert_eq!(cc.window(), 6000 + MDS);
        cc.on_ack(MDS, t1, t1, &est);
        assert_eq!(cc.window(), 7200);
    }

    #[test]
    fn floor_and_persistent_congestion() {
        let mut cc = NewReno::new(MDS);
        let mut t = Instant::now();
        for _ in 0..10 {
            t += Duration::from_millis(1);
            cc.on_congestion_event(t, t);
        }
        assert_eq!(cc.window(), 2 * MDS);
        let mut cc = NewReno::new(MDS);
        cc.on_persistent_congestion();
        assert_eq!(cc.window(), 2 * MDS);
        let boxed: Box<dyn Controller> = Box::new(cc);
        assert_eq!(boxed.window(), 2400);
    }
}
