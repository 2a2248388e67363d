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

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::unchecked_time_subtraction)]
mod proptests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Event {
        Sent(u64),
        Ack { bytes: u64, sent_ago_ms: u64 },
        Loss { sent_ago_ms: u64 },
        Persistent,
        Advance(u64),
        Rtt(u64),
        Mds(u64),
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            any::<u64>().prop_map(Event::Sent),
            (any::<u64>(), 0u64..10_000)
                .prop_map(|(bytes, sent_ago_ms)| Event::Ack { bytes, sent_ago_ms }),
            (0u64..10_000).prop_map(|sent_ago_ms| Event::Loss { sent_ago_ms }),
            Just(Event::Persistent),
            (0u64..100_000).prop_map(Event::Advance),
            (0u64..100_000).prop_map(Event::Rtt),
            (0u64..70_000).prop_map(Event::Mds),
        ]
    }

    proptest! {
        /// Whatever happens, the window of either controller stays within
        /// [minimum window, MAX_WINDOW] and nothing panics.
        #[test]
        fn window_stays_bounded(events in proptest::collection::vec(event(), 0..200)) {
            let t0 = Instant::now();
            let mut now = t0 + Duration::from_secs(20);
            let mut rtt = RttEstimator::default();
            let mut mds = 1200;
            let mut ccs: [Box<dyn Controller>; 2] =
                [Box::new(NewReno::new(mds)), Box::new(Cubic::new(mds))];
            for e in events {
                for cc in &mut ccs {
                    match e {
                        Event::Sent(b) => cc.on_packet_sent(now, b),
                        Event::Ack { bytes, sent_ago_ms } => cc.on_ack(
                            bytes,
                            now - Duration::from_millis(sent_ago_ms),
                            now,
                            &rtt,
                        ),
                        Event::Loss { sent_ago_ms } => {
                            cc.on_congestion_event(now - Duration::from_millis(sent_ago_ms), now);
                        }
                        Event::Persistent => cc.on_persistent_congestion(),
                        Event::Mds(m) => cc.set_max_datagram_size(m),
                        Event::Advance(_) | Event::Rtt(_) => {}
                    }
                    prop_assert!(cc.window() >= minimum_window(mds).min(MAX_WINDOW));
                    prop_assert!(cc.window() <= MAX_WINDOW.max(minimum_window(mds)));
                }
                match e {
                    Event::Advance(ms) => now += Duration::from_millis(ms),
                    Event::Rtt(us) => rtt.update(
                        Duration::from_micros(us),
                        Duration::from_micros(us / 3),
                        Duration::from_millis(25),
                        true,
                    ),
                    Event::Mds(m) => mds = m,
                    _ => {}
                }
            }
        }

        /// min_rtt is the minimum sample and smoothed_rtt stays within the samples' range.
        #[test]
        fn rtt_invariants(samples in proptest::collection::vec((1u64..10_000_000, 0u64..100_000), 1..100)) {
            let mut rtt = RttEstimator::default();
            let mut lo = u64::MAX;
            let mut hi = 0;
            for (s, delay) in samples {
                rtt.update(
                    Duration::from_micros(s),
                    Duration::from_micros(delay),
                    Duration::from_millis(25),
                    true,
                );
                lo = lo.min(s);
                hi = hi.max(s);
                prop_assert_eq!(rtt.min(), Duration::from_micros(lo));
                // Adjusted samples never drop below min_rtt, and rounding can lose a few ns.
                prop_assert!(rtt.smoothed() <= Duration::from_micros(hi));
                prop_assert!(rtt.smoothed() + Duration::from_micros(1) >= Duration::from_micros(lo));
                prop_assert!(rtt.pto(Duration::from_millis(25), 0) > rtt.smoothed());
            }
        }
    }
}
