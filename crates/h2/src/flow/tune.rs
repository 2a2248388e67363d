//! Receive-window auto-tuning: grow a window's target when the peer fills it within about
//! one round trip, because then the window, not the path, limits throughput
//! (throughput ≤ window / RTT).
//!
//! The RTT comes from the caller (`PING` round trips it timed with its own clock); no RTT,
//! no tuning. Growth doubles the target up to a maximum from [`Limits`](crate::Limits),
//! so memory stays bounded; the window never shrinks on its own.

use std::time::{Duration, Instant};

use super::RecvWindow;

/// Watches one receive window (a stream's or the connection's) and grows its target.
#[derive(Clone, Debug)]
pub(crate) struct WindowTuner {
    max: u32,
    rtt: Option<Duration>,
    /// Start of the current measurement period, at most one RTT long.
    period_start: Option<Instant>,
    /// Flow-controlled bytes received in the period.
    received: u64,
}

impl WindowTuner {
    /// A tuner that never grows a target beyond `max`.
    pub(crate) fn new(max: u32) -> Self {
        WindowTuner {
            max,
            rtt: None,
            period_start: None,
            received: 0,
        }
    }

    /// The latest round-trip estimate (e.g. from `PING` timing).
    pub(crate) fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = Some(rtt);
    }

    /// `len` flow-controlled bytes were just accepted by `window` at `now`. If three
    /// quarters of the target arrived within one RTT, the target doubles (up to the
    /// maximum) and the new target is returned; poll the window for its update next.
    pub(crate) fn on_data(
        &mut self,
        now: Instant,
        len: u32,
        window: &mut RecvWindow,
    ) -> Option<u32> {
        let rtt = self.rtt?;
        let start = *self.period_start.get_or_insert(now);
        // A period longer than an RTT (or time going backwards) starts a new one.
        if now
            .checked_duration_since(start)
            .is_none_or(|elapsed| elapsed > rtt)
        {
            self.period_start = Some(now);
            self.received = 0;
        }
        self.received = self.received.saturating_add(u64::from(len));
        let target = window.target();
        if target >= self.max
            || self.received.saturating_mul(4) < u64::from(target).saturating_mul(3)
        {
            return None;
        }
        let grown = target.saturating_mul(2).min(self.max);
        window.set_target(grown);
        self.period_start = Some(now);
        self.received = 0;
        Some(grown)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::flow::ReleasePolicy;

    const KIB: u32 = 1024;

    #[test]
    fn grows_when_the_window_fills_within_one_rtt() {
        let t0 = Instant::now();
        let mut w = RecvWindow::new(64 * KIB, 64 * KIB, ReleasePolicy::Auto);
        let mut tuner = WindowTuner::new(256 * KIB);
        // No RTT yet: nothing happens.
        w.recv_data(48 * KIB).unwrap();
        assert_eq!(tuner.on_data(t0, 48 * KIB, &mut w), None);
        let _ = w.poll_window_update();
        tuner.set_rtt(Duration::from_millis(100));
        // 48 KiB = 3/4 of 64 KiB within 50 ms: the window limits us.
        w.recv_data(16 * KIB).unwrap();
        assert_eq!(tuner.on_data(t0, 16 * KIB, &mut w), None);
        w.recv_data(32 * KIB).unwrap();
        let t = t0 + Duration::from_millis(50);
        assert_eq!(tuner.on_data(t, 32 * KIB, &mut w), Some(128 * KIB));
        assert_eq!(w.target(), 128 * KIB);
        // The next update announces the growth too.
        let announced = w.poll_window_update().unwrap();
        assert_eq!(w.window().available(), 128 * KIB);
        assert!(announced > 64 * KIB);
        // Filling again doubles up to the maximum, then stops.
        w.recv_data(96 * KIB).unwrap();
        assert_eq!(tuner.on_data(t, 96 * KIB, &mut w), Some(256 * KIB));
        let _ = w.poll_window_update();
        w.recv_data(255 * KIB).unwrap();
        assert_eq!(tuner.on_data(t, 255 * KIB, &mut w), None);
        assert_eq!(w.target(), 256 * KIB);
    }

    #[test]
    fn slow_peers_do_not_grow_the_window() {
        let t0 = Instant::now();
        let mut w = RecvWindow::new(64 * KIB, 64 * KIB, ReleasePolicy::Auto);
        let mut tuner = WindowTuner::new(1024 * KIB);
        tuner.set_rtt(Duration::from_millis(10));
        // 16 KiB every 20 ms: never 3/4 of the window within one RTT.
        for i in 0..100 {
            w.recv_data(16 * KIB).unwrap();
            let now = t0 + Duration::from_millis(20 * i);
            assert_eq!(tuner.on_data(now, 16 * KIB, &mut w), None);
            let _ = w.poll_window_update();
        }
        assert_eq!(w.target(), 64 * KIB);
    }

    #[test]
    fn time_going_backwards_restarts_the_period() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut w = RecvWindow::new(64 * KIB, 64 * KIB, ReleasePolicy::Auto);
        let mut tuner = WindowTuner::new(1024 * KIB);
        tuner.set_rtt(Duration::from_millis(100));
        w.recv_data(40 * KIB).unwrap();
        assert_eq!(tuner.on_data(t0, 40 * KIB, &mut w), None);
        let earlier = t0.checked_sub(Duration::from_secs(5)).unwrap();
        w.recv_data(20 * KIB).unwrap();
        assert_eq!(
            tuner.on_data(earlier, 20 * KIB, &mut w),
            None,
            "period restarted"
        );
        assert_eq!(w.target(), 64 * KIB);
    }
}
