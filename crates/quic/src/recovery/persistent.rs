//! Persistent congestion detection (RFC 9002 §7.6) as a pure function.

use std::time::{Duration, Instant};

/// A packet declared lost, as persistent congestion detection sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostPacket {
    /// Packet number.
    pub pn: u64,
    /// When it was sent.
    pub time_sent: Instant,
    /// Whether it was ack-eliciting.
    pub ack_eliciting: bool,
}

/// Whether the lost packets establish persistent congestion (RFC 9002 §7.6.2): two
/// ack-eliciting lost packets sent more than `duration` apart (see
/// [`RttEstimator::persistent_congestion_duration`](super::RttEstimator::persistent_congestion_duration))
/// with no packet acknowledged in between (by packet number), considered only once an RTT
/// sample exists and only for packets sent after it (`first_sample_time`, §7.6.2).
///
/// `lost` must be sorted by packet number and `acked` holds the packet numbers
/// acknowledged in the same space (any order). Packets between two lost ones that are
/// neither lost nor acknowledged are in flight and do not break the period.
pub fn is_persistent_congestion(
    lost: &[LostPacket],
    acked: &[u64],
    duration: Duration,
    first_sample_time: Option<Instant>,
) -> bool {
    let Some(first_sample) = first_sample_time else {
        return false;
    };
    // §7.6.2: only packets sent after the first RTT sample count; and only ack-eliciting
    // ones may start or end the period (§7.6.1).
    let mut start: Option<&LostPacket> = None;
    let mut prev_pn: Option<u64> = None;
    for p in lost.iter().filter(|p| p.time_sent > first_sample) {
        // An acknowledged packet between the previous lost one and this one ends the run.
        if let Some(prev) = prev_pn
            && acked.iter().any(|&a| a > prev && a < p.pn)
        {
            start = None;
        }
        prev_pn = Some(p.pn);
        if !p.ack_eliciting {
            continue;
        }
        match start {
            None => start = Some(p),
            Some(s) => {
                if p.time_sent.saturating_duration_since(s.time_sent) > duration {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn lost(t0: Instant, pn: u64, ms: u64, ae: bool) -> LostPacket {
        LostPacket {
            pn,
            time_sent: t0 + Duration::from_millis(ms),
            ack_eliciting: ae,
        }
    }

    #[test]
    fn detects_a_long_enough_run() {
        let t0 = Instant::now();
        let d = Duration::from_millis(300);
        let s = Some(t0);
        let run = [
            lost(t0, 1, 1, true),
            lost(t0, 2, 150, true),
            lost(t0, 3, 302, true),
        ];
        assert!(is_persistent_congestion(&run, &[], d, s));
        // Exactly the duration is not "longer than".
        let run2 = [lost(t0, 1, 1, true), lost(t0, 3, 301, true)];
        assert!(!is_persistent_congestion(&run2, &[], d, s));
        // No RTT sample yet.
        assert!(!is_persistent_congestion(&run, &[], d, None));
        // An acknowledged packet in between breaks it.
        assert!(!is_persistent_congestion(
            &[lost(t0, 1, 1, true), lost(t0, 3, 302, true)],
            &[2],
            d,
            s
        ));
        // Acknowledged packets outside the run do not.
        assert!(is_persistent_congestion(&run, &[0, 9], d, s));
        // Packets sent before the first sample do not count.
        assert!(!is_persistent_congestion(
            &run,
            &[],
            d,
            Some(t0 + Duration::from_millis(2))
        ));
    }

    #[test]
    fn endpoints_must_be_ack_eliciting() {
        let t0 = Instant::now();
        let d = Duration::from_millis(300);
        let run = [
            lost(t0, 1, 1, false),
            lost(t0, 2, 100, true),
            lost(t0, 3, 399, true),
            lost(t0, 4, 500, false),
        ];
        assert!(!is_persistent_congestion(&run, &[], d, Some(t0)));
        let run = [
            lost(t0, 1, 1, true),
            lost(t0, 2, 100, false),
            lost(t0, 3, 400, true),
        ];
        assert!(is_persistent_congestion(&run, &[], d, Some(t0)));
    }
}
