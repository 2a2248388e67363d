//! Loss detection thresholds (RFC 9002 §6.1) as pure helpers over one sent packet; the
//! sent-packet map itself belongs to the connection.

use std::time::{Duration, Instant};

use super::rtt::{PACKET_THRESHOLD, RttEstimator};

/// The verdict on one unacknowledged packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Declared lost (§6.1.1 packet threshold or §6.1.2 time threshold).
    Lost,
    /// Sent before the largest acknowledged packet but not yet lost: it will be at this
    /// time unless acknowledged first (the loss detection timer, §6.2).
    At(Instant),
    /// Sent after the largest acknowledged packet: not a candidate (§6.1).
    NotCandidate,
}

/// The time threshold of RFC 9002 §6.1.2 (see [`RttEstimator::loss_delay`]).
pub fn loss_time_threshold(rtt: &RttEstimator) -> Duration {
    rtt.loss_delay()
}

/// Whether packet `pn`, sent at `time_sent` and still unacknowledged, is lost once
/// `largest_acked` is acknowledged (RFC 9002 §6.1): it must be older than `largest_acked`,
/// and either kPacketThreshold (3) packets older (§6.1.1) or sent at least the time
/// threshold before `now` (§6.1.2).
pub fn is_lost(
    pn: u64,
    time_sent: Instant,
    largest_acked: u64,
    now: Instant,
    rtt: &RttEstimator,
) -> Loss {
    if pn >= largest_acked {
        return Loss::NotCandidate;
    }
    if largest_acked.saturating_sub(pn) >= PACKET_THRESHOLD {
        return Loss::Lost;
    }
    match time_sent.checked_add(loss_time_threshold(rtt)) {
        Some(at) if at > now => Loss::At(at),
        // §6.1.2: time_sent <= now − loss_delay. An unrepresentable deadline would
        // leave the packet waiting forever; declaring it lost is the safe side.
        _ => Loss::Lost,
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        let mut rtt = RttEstimator::default();
        rtt.update(
            Duration::from_millis(80),
            Duration::ZERO,
            Duration::ZERO,
            true,
        );
        let t0 = Instant::now();
        let now = t0 + Duration::from_millis(100);
        // 9/8 × 80 ms = 90 ms.
        assert_eq!(loss_time_threshold(&rtt), Duration::from_millis(90));
        assert_eq!(is_lost(10, t0, 10, now, &rtt), Loss::NotCandidate);
        assert_eq!(is_lost(11, t0, 10, now, &rtt), Loss::NotCandidate);
        // Packet threshold: 3 below the largest acked.
        assert_eq!(is_lost(7, now, 10, now, &rtt), Loss::Lost);
        assert_eq!(
            is_lost(8, now, 10, now, &rtt),
            Loss::At(now + Duration::from_millis(90))
        );
        // Time threshold: sent 100 ms ago ≥ 90 ms.
        assert_eq!(is_lost(9, t0, 10, now, &rtt), Loss::Lost);
        assert_eq!(
            is_lost(9, t0 + Duration::from_millis(10), 10, now, &rtt),
            Loss::Lost
        );
        assert_eq!(
            is_lost(9, t0 + Duration::from_millis(11), 10, now, &rtt),
            Loss::At(now + Duration::from_millis(1))
        );
    }
}
