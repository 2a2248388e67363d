//! The records of one packet number space (RFC 9002 Appendix A.1, A.3): sent packets in
//! packet number order, ACK ranges matched by binary search, and loss detection (A.10).

use std::collections::VecDeque;
use std::mem;
use std::time::{Duration, Instant};

use super::SentPacket;
use crate::frame::Ack;
use crate::recovery::loss::{Loss, is_lost};
use crate::recovery::persistent::{LostPacket, is_persistent_congestion};
use crate::recovery::rtt::RttEstimator;

/// One record in a space: a packet, or a hole left by one that was acknowledged, lost or
/// forgotten (removed lazily so removals in the middle stay O(1)).
#[derive(Debug)]
pub(super) struct Slot<F> {
    pub(super) pn: u64,
    pub(super) packet: Option<SentPacket<F>>,
}

/// The state of one packet number space (RFC 9002 Appendix A.3).
#[derive(Debug)]
pub(super) struct SpaceState<F> {
    /// Records in increasing packet number order.
    pub(super) sent: VecDeque<Slot<F>>,
    /// Holes in `sent`.
    pub(super) holes: usize,
    pub(super) largest_sent: Option<u64>,
    pub(super) largest_acked: Option<u64>,
    /// When the earliest pending packet becomes lost by the time threshold (§6.1.2).
    pub(super) loss_time: Option<Instant>,
    pub(super) time_of_last_ack_eliciting: Option<Instant>,
    /// Ack-eliciting packets tracked.
    pub(super) ack_eliciting: usize,
    /// Packets tracked that are neither ack-eliciting nor in flight.
    pub(super) untracked: usize,
    /// The largest ECN-CE count the peer reported (§7.1, A.4).
    pub(super) ecn_ce: u64,
    pub(super) discarded: bool,
}

impl<F> SpaceState<F> {
    pub(super) fn new() -> Self {
        Self {
            sent: VecDeque::new(),
            holes: 0,
            largest_sent: None,
            largest_acked: None,
            loss_time: None,
            time_of_last_ack_eliciting: None,
            ack_eliciting: 0,
            untracked: 0,
            ecn_ce: 0,
            discarded: false,
        }
    }

    /// Takes the packet at `i` out, leaving a hole.
    fn take(&mut self, i: usize) -> Option<SentPacket<F>> {
        let p = self.sent.get_mut(i)?.packet.take()?;
        self.holes = self.holes.saturating_add(1);
        if p.ack_eliciting {
            self.ack_eliciting = self.ack_eliciting.saturating_sub(1);
        } else if !p.in_flight {
            self.untracked = self.untracked.saturating_sub(1);
        }
        Some(p)
    }

    /// Drops holes at both ends, and all of them once they are a quarter of the records
    /// (so the cost stays amortised O(1) per packet).
    pub(super) fn compact(&mut self) {
        while self.sent.front().is_some_and(|s| s.packet.is_none()) {
            self.sent.pop_front();
            self.holes = self.holes.saturating_sub(1);
        }
        while self.sent.back().is_some_and(|s| s.packet.is_none()) {
            self.sent.pop_back();
            self.holes = self.holes.saturating_sub(1);
        }
        if self.holes > 16 && self.holes.saturating_mul(4) > self.sent.len() {
            self.sent.retain(|s| s.packet.is_some());
            self.holes = 0;
        }
    }

    /// Forgets the oldest record of a packet that is neither ack-eliciting nor in flight.
    pub(super) fn forget_oldest_untracked(&mut self) {
        let i = self.sent.iter().position(|s| {
            s.packet
                .as_ref()
                .is_some_and(|p| !p.ack_eliciting && !p.in_flight)
        });
        if let Some(i) = i {
            drop(self.take(i));
        }
    }

    /// Moves the packets acknowledged by `ack` into `out`, highest first. Each range is
    /// found by binary search and the walk stops at the first range below every record, so
    /// the work is O(ranges × log(records) + records taken).
    pub(super) fn take_acked(&mut self, ack: &Ack, out: &mut Vec<SentPacket<F>>) {
        for range in ack.ranges() {
            let (lo, hi) = (*range.start(), *range.end());
            match self.sent.front() {
                Some(front) if hi >= front.pn => {}
                // Ranges come highest first: none of the rest can match either.
                _ => break,
            }
            let mut i = self.sent.partition_point(|s| s.pn <= hi);
            while let Some(j) = i.checked_sub(1) {
                match self.sent.get(j) {
                    Some(slot) if slot.pn >= lo => {}
                    _ => break,
                }
                if let Some(p) = self.take(j) {
                    out.push(p);
                }
                i = j;
            }
        }
    }

    /// RFC 9002 A.10 `DetectAndRemoveLostPackets`: moves the lost packets into `lost` in
    /// packet number order, sets `loss_time`, and tells whether the losses establish
    /// persistent congestion (§7.6).
    ///
    /// Persistent congestion needs no acknowledged packet between two lost ones; any
    /// packet number missing from the records between them (acknowledged, lost earlier,
    /// forgotten or skipped) is taken as possibly acknowledged and splits the losses into
    /// runs, each judged on its own. That errs towards not collapsing the window and keeps
    /// the work linear.
    pub(super) fn detect_lost(
        &mut self,
        now: Instant,
        rtt: &RttEstimator,
        pc_duration: Duration,
        first_sample: Option<Instant>,
        lost: &mut Vec<SentPacket<F>>,
        run: &mut Vec<LostPacket>,
    ) -> bool {
        self.loss_time = None;
        let Some(largest_acked) = self.largest_acked else {
            return false;
        };
        let mut persistent = false;
        run.clear();
        let mut prev_pn: Option<u64> = None;
        let mut gap = false;
        for i in 0..self.sent.len() {
            let Some(slot) = self.sent.get(i) else { break };
            if slot.pn >= largest_acked {
                break;
            }
            let Some(p) = &slot.packet else {
                gap = true;
                continue;
            };
            if prev_pn.is_some_and(|prev| prev.checked_add(1) != Some(p.pn)) {
                gap = true;
            }
            prev_pn = Some(p.pn);
            match is_lost(p.pn, p.time_sent, largest_acked, now, rtt) {
                Loss::Lost => {
                    if gap {
                        persistent |= is_persistent_congestion(run, &[], pc_duration, first_sample);
                        run.clear();
                        gap = false;
                    }
                    run.push(LostPacket {
                        pn: p.pn,
                        time_sent: p.time_sent,
                        ack_eliciting: p.ack_eliciting,
                    });
                    if let Some(p) = self.take(i) {
                        lost.push(p);
                    }
                }
                Loss::At(t) => {
                    self.loss_time = Some(self.loss_time.map_or(t, |l| l.min(t)));
                }
                Loss::NotCandidate => {}
            }
        }
        persistent |= is_persistent_congestion(run, &[], pc_duration, first_sample);
        run.clear();
        self.compact();
        persistent
    }

    /// Empties the space, handing its packets to `f`; returns the bytes they had in
    /// flight. Keeps the largest packet number sent and acknowledged and the ECN count.
    pub(super) fn clear(&mut self, mut f: impl FnMut(SentPacket<F>)) -> u64 {
        let sent = mem::take(&mut self.sent);
        self.holes = 0;
        self.loss_time = None;
        self.time_of_last_ack_eliciting = None;
        self.ack_eliciting = 0;
        self.untracked = 0;
        let mut bytes = 0u64;
        for p in sent.into_iter().filter_map(|s| s.packet) {
            if p.in_flight {
                bytes = bytes.saturating_add(p.size);
            }
            f(p);
        }
        bytes
    }
}
