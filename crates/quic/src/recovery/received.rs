//! The receive side of one packet number space: which packets arrived, when an ACK is
//! due, and the ACK frame that reports them (RFC 9000 §13.2, §19.3; RFC 9002 §3).
//!
//! Received packet numbers are kept as a short, sorted run of disjoint ranges (a
//! [`VecDeque`], bounded by `max_ranges`), so an in-order flow of packets costs one range
//! and no allocation per packet. Ranges the peer knows we acknowledged are pruned once
//! an ACK of ours is itself acknowledged (RFC 9000 §13.2.4); what was pruned or dropped
//! for the bound lies at or below a *floor*, and a packet there is treated as a
//! duplicate.

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use stator_wire::varint;

use crate::ecn::Ecn;
use crate::frame::{Ack, EcnCounts};

/// The received packets of one packet number space and the ACK state derived from them.
///
/// Sans-IO: every time is passed in. Call [`on_packet`](Self::on_packet) for each packet
/// processed successfully, check [`ack_needed`](Self::ack_needed) /
/// [`ack_deadline`](Self::ack_deadline) to schedule, build with
/// [`ack_frame`](Self::ack_frame), and report with [`on_ack_sent`](Self::on_ack_sent) and
/// [`on_ack_acked`](Self::on_ack_acked).
///
/// ```
/// use std::time::{Duration, Instant};
/// use stator_quic::Ecn;
/// use stator_quic::recovery::ReceivedPackets;
///
/// let t0 = Instant::now();
/// let mut rx = ReceivedPackets::new(32, 2, Duration::from_millis(25));
/// rx.on_packet(0, true, Ecn::NotEct, t0);
/// // One ack-eliciting packet: the ACK may wait up to max_ack_delay.
/// assert!(!rx.ack_needed(t0));
/// assert_eq!(rx.ack_deadline(), Some(t0 + Duration::from_millis(25)));
/// // The second one reaches the threshold (RFC 9000 §13.2.2): ACK now.
/// rx.on_packet(1, true, Ecn::NotEct, t0);
/// assert!(rx.ack_needed(t0));
/// let ack = rx.ack_frame(t0 + Duration::from_micros(80), 3, 1200).unwrap();
/// assert_eq!(ack.ranges().collect::<Vec<_>>(), [0..=1]);
/// assert_eq!(ack.delay, 10); // 80 µs >> 3
/// rx.on_ack_sent();
/// assert!(!rx.ack_needed(t0));
/// ```
#[derive(Debug, Clone)]
pub struct ReceivedPackets {
    /// Received packet numbers above the floor as disjoint, non-adjacent `(low, high)`
    /// ranges, lowest first; at most `max_ranges` of them.
    ranges: VecDeque<(u64, u64)>,
    max_ranges: usize,
    /// Packet numbers at or below this are no longer tracked (acknowledged ACKs, or
    /// ranges dropped for the bound).
    floor: Option<u64>,
    /// The largest packet number ever received and when it arrived.
    largest: Option<(u64, Instant)>,
    ack_eliciting_threshold: u64,
    max_ack_delay: Duration,
    /// Ack-eliciting packets received since the last ACK was sent.
    ack_eliciting_since_ack: u64,
    /// When the first ack-eliciting packet not yet acknowledged arrived.
    first_unacked: Option<Instant>,
    /// An ACK is wanted without delay.
    immediate: bool,
    /// Some packet arrived since the last ACK was sent.
    has_new: bool,
    ecn: EcnCounts,
    ecn_seen: bool,
}

impl ReceivedPackets {
    /// A tracker remembering at most `max_ranges` ranges (the oldest are dropped first;
    /// at least 1), sending an ACK at once after `ack_eliciting_threshold` ack-eliciting
    /// packets (RFC 9000 §13.2.2 recommends 2), and otherwise delaying it by at most
    /// `max_ack_delay` (`Duration::ZERO` in the Initial and Handshake spaces, which
    /// acknowledge at once, RFC 9000 §13.2.1).
    pub fn new(max_ranges: usize, ack_eliciting_threshold: u64, max_ack_delay: Duration) -> Self {
        let max_ranges = max_ranges.max(1);
        Self {
            ranges: VecDeque::with_capacity(max_ranges.min(8)),
            max_ranges,
            floor: None,
            largest: None,
            ack_eliciting_threshold,
            max_ack_delay,
            ack_eliciting_since_ack: 0,
            first_unacked: None,
            immediate: false,
            has_new: false,
            ecn: EcnCounts::default(),
            ecn_seen: false,
        }
    }

    /// Changes how long an ack-eliciting packet may wait for its ACK (our
    /// `max_ack_delay` transport parameter, RFC 9000 §18.2). A pending deadline moves
    /// with it; zero asks for an ACK at once.
    pub fn set_max_ack_delay(&mut self, d: Duration) {
        self.max_ack_delay = d;
        if d.is_zero() && self.first_unacked.is_some() {
            self.immediate = true;
        }
    }

    /// The largest packet number received, for decoding packet numbers
    /// (RFC 9000 §17.1, Appendix A.3).
    pub fn largest(&self) -> Option<u64> {
        self.largest.map(|(pn, _)| pn)
    }

    /// Packet numbers at or below this one are no longer tracked and count as
    /// duplicates: raised by [`on_ack_acked`](Self::on_ack_acked) and when the oldest
    /// range is dropped for the `max_ranges` bound.
    pub fn floor(&self) -> Option<u64> {
        self.floor
    }

    /// Whether packet `pn` must be dropped as a duplicate: it was received already, or
    /// it lies at or below the floor (RFC 9000 §12.3, §13.2.4). Also true for numbers
    /// above 2^62 − 1, which no packet carries.
    pub fn is_duplicate(&self, pn: u64) -> bool {
        pn > varint::MAX || self.floor.is_some_and(|f| pn <= f) || self.contains(pn)
    }

    fn contains(&self, pn: u64) -> bool {
        let idx = self.ranges.partition_point(|&(lo, _)| lo <= pn);
        idx.checked_sub(1)
            .and_then(|i| self.ranges.get(i))
            .is_some_and(|&(_, hi)| pn <= hi)
    }

    /// Records packet `pn`, processed successfully (after its frames were handled),
    /// received at `now` with ECN codepoint `ecn`. A duplicate (see
    /// [`is_duplicate`](Self::is_duplicate)) changes nothing.
    ///
    /// An ack-eliciting packet asks for an immediate ACK when it is out of order (below
    /// the largest received, or above it with a gap: RFC 9000 §13.2.1), when it is
    /// marked CE (RFC 9000 §13.2.1), or when it is the `ack_eliciting_threshold`-th since
    /// the last ACK (RFC 9000 §13.2.2); otherwise it arms the `max_ack_delay` deadline.
    /// A packet that is not ack-eliciting never calls for an ACK by itself
    /// (RFC 9000 §13.2.1: no non-ack-eliciting packet in response to one), but is
    /// reported in the next.
    pub fn on_packet(&mut self, pn: u64, ack_eliciting: bool, ecn: Ecn, now: Instant) {
        if self.is_duplicate(pn) {
            return;
        }
        let out_of_order = self
            .largest()
            .is_some_and(|l| pn < l || pn > l.saturating_add(1));
        self.insert(pn);
        if self.largest().is_none_or(|l| pn > l) {
            self.largest = Some((pn, now));
        }
        // RFC 9000 §13.4.1: each packet counted once, duplicates not at all.
        match ecn {
            Ecn::NotEct => {}
            Ecn::Ect0 => self.ecn.ect0 = self.ecn.ect0.saturating_add(1),
            Ecn::Ect1 => self.ecn.ect1 = self.ecn.ect1.saturating_add(1),
            Ecn::Ce => self.ecn.ce = self.ecn.ce.saturating_add(1),
        }
        self.ecn_seen |= ecn.is_ect();
        self.has_new = true;
        if ack_eliciting {
            self.ack_eliciting_since_ack = self.ack_eliciting_since_ack.saturating_add(1);
            self.first_unacked.get_or_insert(now);
            if out_of_order
                || ecn == Ecn::Ce
                || self.ack_eliciting_since_ack >= self.ack_eliciting_threshold
                || self.max_ack_delay.is_zero()
            {
                self.immediate = true;
            }
        }
    }

    /// Adds `pn` (not yet present, above the floor) to the ranges, merging neighbours,
    /// and drops the oldest range when over the bound.
    fn insert(&mut self, pn: u64) {
        // The common case: the next packet in order extends the newest range.
        if let Some(back) = self.ranges.back_mut()
            && back.1.checked_add(1) == Some(pn)
        {
            back.1 = pn;
            return;
        }
        let idx = self.ranges.partition_point(|&(lo, _)| lo <= pn);
        let prev = idx.checked_sub(1);
        let joins_prev = prev
            .and_then(|i| self.ranges.get(i))
            .is_some_and(|&(_, hi)| hi.checked_add(1) == Some(pn));
        let joins_next = self
            .ranges
            .get(idx)
            .is_some_and(|&(lo, _)| pn.checked_add(1) == Some(lo));
        match (joins_prev, joins_next) {
            (true, true) => {
                let next_hi = self.ranges.remove(idx).map_or(pn, |(_, hi)| hi);
                if let Some(r) = prev.and_then(|i| self.ranges.get_mut(i)) {
                    r.1 = next_hi;
                }
            }
            (true, false) => {
                if let Some(r) = prev.and_then(|i| self.ranges.get_mut(i)) {
                    r.1 = pn;
                }
            }
            (false, true) => {
                if let Some(r) = self.ranges.get_mut(idx) {
                    r.0 = pn;
                }
            }
            (false, false) => {
                self.ranges.insert(idx, (pn, pn));
                // RFC 9000 §13.2.4: a receiver limits the ranges it remembers, dropping
                // the oldest; those packets then count as duplicates.
                while self.ranges.len() > self.max_ranges {
                    if let Some((_, hi)) = self.ranges.pop_front() {
                        self.raise_floor(hi);
                    }
                }
            }
        }
    }

    fn raise_floor(&mut self, to: u64) {
        self.floor = Some(self.floor.map_or(to, |f| f.max(to)));
    }

    /// When a delayed ACK falls due: the arrival of the first unacknowledged
    /// ack-eliciting packet plus `max_ack_delay` (RFC 9000 §13.2.1). `None` when no
    /// ack-eliciting packet waits, or when an immediate ACK is wanted (then
    /// [`ack_needed`](Self::ack_needed) is already true).
    pub fn ack_deadline(&self) -> Option<Instant> {
        if self.immediate {
            return None;
        }
        self.first_unacked?.checked_add(self.max_ack_delay)
    }

    /// Whether an ACK must be sent now: an immediate one is wanted, or the delayed one
    /// is due at or before `now`.
    pub fn ack_needed(&self, now: Instant) -> bool {
        self.immediate || self.ack_deadline().is_some_and(|d| d <= now)
    }

    /// Whether packets arrived since the last ACK was sent: an ACK is worth adding to a
    /// packet that goes out anyway.
    pub fn has_new(&self) -> bool {
        self.has_new
    }

    /// The ACK frame to send at `now`: the ranges above the floor, newest first, as many
    /// as fit `max_len` bytes ([`Ack::within`]); the ACK Delay is the time since the
    /// largest packet arrived, in microseconds shifted right by `ack_delay_exponent`
    /// (RFC 9000 §19.3, §18.2); ECN counts (type 0x03) once any ECT or CE packet was
    /// seen (RFC 9000 §13.4.1). If every range was pruned, it acknowledges the largest
    /// packet alone (already acknowledged, so harmless).
    ///
    /// `None` if nothing was ever received, or not even one range fits `max_len`.
    pub fn ack_frame(&self, now: Instant, ack_delay_exponent: u8, max_len: usize) -> Option<Ack> {
        let (largest, at) = self.largest?;
        let micros =
            u64::try_from(now.saturating_duration_since(at).as_micros()).unwrap_or(u64::MAX);
        let delay = micros
            .checked_shr(u32::from(ack_delay_exponent))
            .unwrap_or(0)
            .min(varint::MAX);
        let ecn = self.ecn_seen.then_some(self.ecn);
        if self.ranges.is_empty() {
            return Ack::within([largest..=largest], delay, ecn, max_len);
        }
        let ranges = self
            .ranges
            .iter()
            .rev()
            .map(|&(lo, hi)| -> RangeInclusive<u64> { lo..=hi });
        Ack::within(ranges, delay, ecn, max_len)
    }

    /// An ACK frame went out: nothing is pending until new packets arrive.
    pub fn on_ack_sent(&mut self) {
        self.immediate = false;
        self.has_new = false;
        self.first_unacked = None;
        self.ack_eliciting_since_ack = 0;
    }

    /// A packet of ours carrying an ACK frame whose Largest Acknowledged was `largest`
    /// was acknowledged: the peer knows those packets arrived, so packets up to
    /// `largest` are no longer reported (RFC 9000 §13.2.4) and become duplicates.
    pub fn on_ack_acked(&mut self, largest: u64) {
        let Some(ours) = self.largest() else {
            return;
        };
        // An ACK never acknowledged more than we received.
        let largest = largest.min(ours);
        self.raise_floor(largest);
        while self.ranges.front().is_some_and(|&(_, hi)| hi <= largest) {
            self.ranges.pop_front();
        }
        if let Some(front) = self.ranges.front_mut()
            && front.0 <= largest
        {
            front.0 = largest.saturating_add(1);
        }
    }

    /// The number of ranges remembered, at most `max_ranges`.
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }
}

#[cfg(test)]
mod tests;
