//! Loss detection across the three packet number spaces (RFC 9002 §6 and Appendix A):
//! the sent-packet records, ACK processing, the loss detection timer (time threshold or
//! PTO) and the glue to the RTT estimator, the congestion controller and the pacer.
//!
//! [`Recovery`] is generic over `F`, what the connection recorded about a packet's frames:
//! it is handed back when the packet is acknowledged, declared lost or dropped, so the
//! connection can retransmit or forget those frames. Time is passed in; nothing here reads
//! a clock.
//!
//! Records are kept per space in packet number order. An ACK's ranges are walked lazily,
//! highest first, each one located by binary search, so the work is bounded by the
//! ranges plus the packets actually tracked, whatever the peer puts in its ACK frame.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use stator_quic::Space;
//! use stator_quic::frame::Ack;
//! use stator_quic::recovery::{NewReno, Recovery, SentPacket};
//!
//! let mut rec: Recovery<&str> =
//!     Recovery::new(Duration::from_millis(100), 1200, Box::new(NewReno::new(1200)));
//! rec.set_peer_address_validated(); // a server, or a validated client
//! let t0 = Instant::now();
//! let packet = |pn, frames| SentPacket {
//!     pn,
//!     time_sent: t0,
//!     size: 1200,
//!     ack_eliciting: true,
//!     in_flight: true,
//!     frames,
//! };
//! rec.on_packet_sent(Space::Initial, packet(0, "crypto 0..1000"), t0);
//! rec.on_packet_sent(Space::Initial, packet(1, "crypto 1000..2000"), t0);
//! assert_eq!(rec.bytes_in_flight(), 2400);
//! // The first PTO: 100 ms + 4 × 50 ms.
//! assert_eq!(rec.timeout(), Some(t0 + Duration::from_millis(300)));
//!
//! let ack = Ack::new([1..=1], 0, None).unwrap();
//! let (mut acked, mut lost) = (Vec::new(), Vec::new());
//! let now = t0 + Duration::from_millis(80);
//! let outcome = rec.on_ack_received(
//!     Space::Initial,
//!     &ack,
//!     Duration::ZERO,
//!     now,
//!     |p| acked.push(p.frames),
//!     |p| lost.push(p.frames),
//! )?;
//! assert!(outcome.rtt_updated);
//! assert_eq!(acked, ["crypto 1000..2000"]);
//! assert!(lost.is_empty()); // packet 0 is one below the largest: lost at 9/8 × RTT
//! assert_eq!(rec.timeout(), Some(t0 + Duration::from_millis(90)));
//! # Ok::<(), stator_quic::TransportError>(())
//! ```

use std::mem;
use std::time::{Duration, Instant};

use super::congestion::Controller;
use super::pacer::{DEFAULT_BURST, Pacer};
use super::persistent::LostPacket;
use super::rtt::RttEstimator;
use crate::frame::{Ack, FrameType};
use crate::{Space, TransportError};

#[cfg(test)]
mod proptests;
mod space;
#[cfg(test)]
mod tests;

use space::{Slot, SpaceState};

/// The most records of packets that are neither ack-eliciting nor in flight (ACK-only
/// packets) kept per space. The peer acknowledges those only when it happens to send an
/// ACK, so without a limit they would pile up on a receive-only connection; beyond it the
/// oldest are forgotten (an ACK for a forgotten number is not an error).
pub const MAX_UNTRACKED: usize = 1024;

/// What was sent in one packet, as loss detection needs it (RFC 9002 Appendix A.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPacket<F> {
    /// The packet number.
    pub pn: u64,
    /// When the packet was sent.
    pub time_sent: Instant,
    /// Bytes of the datagram this packet occupies (what counts toward bytes in flight).
    pub size: u64,
    /// Whether the packet carries an ack-eliciting frame (RFC 9002 §2).
    pub ack_eliciting: bool,
    /// Whether the packet counts toward bytes in flight: ack-eliciting or padded (RFC 9002
    /// §2).
    pub in_flight: bool,
    /// What the connection recorded about the packet's frames, handed back on ack, loss
    /// or drop.
    pub frames: F,
}

/// A probe timeout fired (RFC 9002 §6.2.4): send `count` ack-eliciting packets in
/// `space`, bypassing the congestion window (but not the anti-amplification limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The packet number space to probe.
    pub space: Space,
    /// How many probe packets: 2 when ack-eliciting packets are in flight (§6.2.4 allows up
    /// to two, which makes a single lost probe less costly), 1 for the anti-deadlock probe
    /// of a client with nothing in flight (§6.2.2.1).
    pub count: u8,
}

/// What one ACK frame did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckOutcome {
    /// Packets acknowledged for the first time.
    pub newly_acked: usize,
    /// Packets declared lost because of this ACK.
    pub lost: usize,
    /// Whether an RTT sample was taken (RFC 9002 §5.1).
    pub rtt_updated: bool,
    /// The largest packet number newly acknowledged.
    pub largest_newly_acked: Option<u64>,
    /// Whether the losses established persistent congestion (RFC 9002 §7.6).
    pub persistent_congestion: bool,
    /// Whether an increased ECN-CE count caused a congestion event (RFC 9002 §7.1).
    pub ecn_congestion: bool,
}

/// Loss detection and congestion control state of a connection over its three packet
/// number spaces (RFC 9002 §6, Appendix A and B).
///
/// A server should call [`set_peer_address_validated`](Self::set_peer_address_validated)
/// right away: RFC 9002 A.8 treats a server's peer as having validated its address, and
/// without it the client-only anti-deadlock rules (§6.2.2.1) apply until a Handshake ACK
/// arrives or the handshake is confirmed. The connection also must not send when the
/// anti-amplification limit forbids it, whatever the timer says (§6.2.2.1).
#[derive(Debug)]
pub struct Recovery<F> {
    spaces: [SpaceState<F>; 3],
    rtt: RttEstimator,
    controller: Box<dyn Controller>,
    pacer: Pacer,
    bytes_in_flight: u64,
    max_ack_delay: Duration,
    pto_count: u32,
    handshake_confirmed: bool,
    peer_address_validated: bool,
    has_handshake_keys: bool,
    /// When the first RTT sample was taken (§7.6.2).
    first_rtt_sample: Option<Instant>,
    /// When the loss detection timer was last (re)set: the base of the anti-deadlock PTO,
    /// which A.8 arms from "now" with nothing in flight.
    timer_base: Option<Instant>,
    /// Scratch lists reused from call to call, so steady-state ACK processing does not
    /// allocate.
    acked: Vec<SentPacket<F>>,
    lost: Vec<SentPacket<F>>,
    run: Vec<LostPacket>,
}

fn state<F>(spaces: &[SpaceState<F>; 3], space: Space) -> &SpaceState<F> {
    let [i, h, d] = spaces;
    match space {
        Space::Initial => i,
        Space::Handshake => h,
        Space::Data => d,
    }
}

fn state_mut<F>(spaces: &mut [SpaceState<F>; 3], space: Space) -> &mut SpaceState<F> {
    let [i, h, d] = spaces;
    match space {
        Space::Initial => i,
        Space::Handshake => h,
        Space::Data => d,
    }
}

impl<F> Recovery<F> {
    /// Recovery state before anything is sent: the RTT estimator starts from
    /// `initial_rtt` (kInitialRtt, RFC 9002 §6.2.2, unless a previous connection's RTT is
    /// known), the pacer allows bursts of ten `max_datagram_size` datagrams.
    pub fn new(
        initial_rtt: Duration,
        max_datagram_size: u64,
        controller: Box<dyn Controller>,
    ) -> Self {
        Self {
            spaces: [SpaceState::new(), SpaceState::new(), SpaceState::new()],
            rtt: RttEstimator::new(initial_rtt),
            controller,
            pacer: Pacer::new(max_datagram_size, DEFAULT_BURST),
            bytes_in_flight: 0,
            max_ack_delay: Duration::ZERO,
            pto_count: 0,
            handshake_confirmed: false,
            peer_address_validated: false,
            has_handshake_keys: false,
            first_rtt_sample: None,
            timer_base: None,
            acked: Vec::new(),
            lost: Vec::new(),
            run: Vec::new(),
        }
    }

    /// The RTT estimator.
    pub fn rtt(&self) -> &RttEstimator {
        &self.rtt
    }

    /// The congestion controller.
    pub fn controller(&self) -> &dyn Controller {
        self.controller.as_ref()
    }

    /// Bytes of in-flight packets sent and neither acknowledged, lost nor dropped.
    pub fn bytes_in_flight(&self) -> u64 {
        self.bytes_in_flight
    }

    /// The congestion window.
    pub fn window(&self) -> u64 {
        self.controller.window()
    }

    /// Bytes the congestion window allows now (window − in flight, saturating).
    pub fn congestion_available(&self) -> u64 {
        self.window().saturating_sub(self.bytes_in_flight)
    }

    /// When a packet of `bytes` may leave per the pacer (RFC 9002 §7.7): `now` if at once.
    /// [`on_packet_sent`](Self::on_packet_sent) tells the pacer what left.
    pub fn send_time(&mut self, now: Instant, bytes: u64) -> Instant {
        let window = self.controller.window();
        self.pacer
            .next_send_time(now, bytes, window, self.rtt.smoothed())
    }

    /// The path's maximum datagram size changed (after PMTU discovery): tells the
    /// controller and restarts the pacer with the new size.
    pub fn set_max_datagram_size(&mut self, size: u64) {
        self.controller.set_max_datagram_size(size);
        self.pacer = Pacer::new(size, DEFAULT_BURST);
    }

    /// The peer's `max_ack_delay`, once known (zero until then, and always zero for the
    /// Initial and Handshake spaces, RFC 9002 §6.2.1).
    pub fn set_max_ack_delay(&mut self, d: Duration) {
        self.max_ack_delay = d;
    }

    /// The handshake is confirmed (RFC 9001 §4.1.2): the application space gets a PTO
    /// (RFC 9002 §6.2.1) and its ACK delays are capped at `max_ack_delay` (§5.3). It also
    /// means the peer validated our address (§6.2.2.1).
    pub fn set_handshake_confirmed(&mut self) {
        self.handshake_confirmed = true;
    }

    /// The peer validated our address (RFC 9002 §6.2.2.1; a server calls this at once).
    /// Until then a client arms the PTO even with nothing in flight, and keeps its PTO
    /// backoff across ACKs (§6.2.1). Receiving an ACK in the Handshake space or
    /// confirming the handshake has the same effect.
    pub fn set_peer_address_validated(&mut self) {
        self.peer_address_validated = true;
    }

    /// The client has Handshake keys: an anti-deadlock PTO now probes the Handshake space
    /// instead of the Initial one (RFC 9002 §6.2.2.1, A.9).
    pub fn set_has_handshake_keys(&mut self) {
        self.has_handshake_keys = true;
    }

    /// The largest packet number acknowledged in `space`, for packet number encoding
    /// (RFC 9000 §17.1).
    pub fn largest_acked(&self, space: Space) -> Option<u64> {
        state(&self.spaces, space).largest_acked
    }

    /// The largest packet number sent in `space`.
    pub fn largest_sent(&self, space: Space) -> Option<u64> {
        state(&self.spaces, space).largest_sent
    }

    /// Packets tracked in `space` (awaiting acknowledgement or loss).
    pub fn tracked_packets(&self, space: Space) -> usize {
        let s = state(&self.spaces, space);
        s.sent.len().saturating_sub(s.holes)
    }

    /// Whether ack-eliciting packets are awaiting acknowledgement in `space`.
    pub fn has_ack_eliciting_in_flight(&self, space: Space) -> bool {
        state(&self.spaces, space).ack_eliciting > 0
    }

    /// The oldest ack-eliciting packet of `space` not yet acknowledged or declared lost:
    /// the one whose data a PTO probe should carry again (RFC 9002 §6.2.4).
    pub fn oldest_unacked(&self, space: Space) -> Option<&SentPacket<F>> {
        state(&self.spaces, space)
            .sent
            .iter()
            .filter_map(|slot| slot.packet.as_ref())
            .find(|packet| packet.ack_eliciting)
    }

    /// The number of probe timeouts in a row without an acknowledgement (RFC 9002 §6.2.1).
    pub fn pto_count(&self) -> u32 {
        self.pto_count
    }

    /// The current PTO period with backoff (RFC 9002 §6.2.1), including the peer's
    /// `max_ack_delay` as for the application space: the basis of the closing and draining
    /// periods (3 × PTO, RFC 9000 §10.2) and the idle timeout floor (§10.1).
    pub fn pto(&self) -> Duration {
        self.rtt.pto(self.max_ack_delay, self.pto_count)
    }

    fn peer_completed_address_validation(&self) -> bool {
        self.peer_address_validated || self.handshake_confirmed
    }

    fn any_ack_eliciting_in_flight(&self) -> bool {
        self.spaces.iter().any(|s| s.ack_eliciting > 0)
    }

    /// A packet was sent in `space` at `now` (RFC 9002 A.5). Packet numbers must increase
    /// within a space: a packet whose number does not is ignored (its frames are dropped),
    /// as is a packet in a discarded space. An in-flight packet counts toward bytes in
    /// flight and is reported to the congestion controller and the pacer.
    pub fn on_packet_sent(&mut self, space: Space, packet: SentPacket<F>, now: Instant) {
        let s = state_mut(&mut self.spaces, space);
        if s.discarded {
            return;
        }
        if s.largest_sent.is_some_and(|l| packet.pn <= l) {
            debug_assert!(false, "packet numbers must increase within a space");
            return;
        }
        s.largest_sent = Some(packet.pn);
        if packet.ack_eliciting {
            s.ack_eliciting = s.ack_eliciting.saturating_add(1);
            s.time_of_last_ack_eliciting = Some(packet.time_sent);
        } else if !packet.in_flight {
            s.untracked = s.untracked.saturating_add(1);
            if s.untracked > MAX_UNTRACKED {
                s.forget_oldest_untracked();
            }
        }
        let in_flight = packet.in_flight;
        if in_flight {
            self.bytes_in_flight = self.bytes_in_flight.saturating_add(packet.size);
            self.controller.on_packet_sent(now, packet.size);
            let window = self.controller.window();
            self.pacer
                .on_sent(now, packet.size, window, self.rtt.smoothed());
        }
        s.sent.push_back(Slot {
            pn: packet.pn,
            packet: Some(packet),
        });
        s.compact();
        // A.5: only in-flight packets (re)set the loss detection timer.
        if in_flight {
            self.timer_base = Some(now);
        }
    }

    /// An ACK frame received in `space` at `now`, its `ack_delay` decoded with the peer's
    /// exponent (RFC 9002 A.7).
    ///
    /// Acknowledging a packet number above the largest sent is a `PROTOCOL_VIOLATION`
    /// (RFC 9000 §13.1); numbers below it that are no longer tracked (already
    /// acknowledged, lost or forgotten) are ignored. `on_acked` receives each newly
    /// acknowledged packet (in packet number order) and `on_lost` each packet this ACK
    /// makes lost (§6.1), in packet number order, ACK-only packets included (they count
    /// in [`AckOutcome::lost`] too but not toward the congestion controller). The RTT is
    /// sampled only when the largest acknowledged packet is newly acknowledged and an
    /// ack-eliciting packet was newly acknowledged (§5.1); the
    /// ACK delay is ignored in the Initial and Handshake spaces and capped at
    /// `max_ack_delay` once the handshake is confirmed (§5.3). An increased ECN-CE count
    /// is a congestion event (§7.1). Unless this client's address is not yet validated,
    /// the PTO backoff is reset (§6.2.1).
    pub fn on_ack_received(
        &mut self,
        space: Space,
        ack: &Ack,
        ack_delay: Duration,
        now: Instant,
        mut on_acked: impl FnMut(SentPacket<F>),
        mut on_lost: impl FnMut(SentPacket<F>),
    ) -> Result<AckOutcome, TransportError> {
        let frame_type = if ack.ecn.is_some() {
            FrameType::ACK_ECN
        } else {
            FrameType::ACK
        };
        let s = state_mut(&mut self.spaces, space);
        if s.discarded {
            return Ok(AckOutcome::default());
        }
        // RFC 9000 §13.1: an ACK for a packet never sent.
        if s.largest_sent.is_none_or(|l| ack.largest > l) {
            return Err(
                TransportError::protocol("ACK of a packet number never sent")
                    .in_frame(frame_type.0),
            );
        }
        s.largest_acked = Some(s.largest_acked.map_or(ack.largest, |l| l.max(ack.largest)));

        let mut acked = mem::take(&mut self.acked);
        acked.clear();
        s.take_acked(ack, &mut acked);
        // Highest first: the largest newly acknowledged packet leads.
        let Some(largest) = acked.first() else {
            self.acked = acked;
            return Ok(AckOutcome::default());
        };
        // A.7: only an ACK that acknowledges something new resets the timer.
        self.timer_base = Some(now);
        let largest_pn = largest.pn;
        let largest_sent_at = largest.time_sent;
        let mut outcome = AckOutcome {
            newly_acked: acked.len(),
            largest_newly_acked: Some(largest_pn),
            ..AckOutcome::default()
        };

        // RFC 9002 §5.1: a sample only when the largest acknowledged is newly
        // acknowledged and something ack-eliciting was.
        if largest_pn == ack.largest && acked.iter().any(|p| p.ack_eliciting) {
            let latest = now.saturating_duration_since(largest_sent_at);
            // §5.3: the ACK delay of Initial and Handshake ACKs is not used.
            let delay = if space == Space::Data {
                ack_delay
            } else {
                Duration::ZERO
            };
            self.rtt
                .update(latest, delay, self.max_ack_delay, self.handshake_confirmed);
            self.first_rtt_sample.get_or_insert(now);
            outcome.rtt_updated = true;
        }

        // RFC 9002 §7.1, A.7 ProcessECN: a larger CE count is a congestion event.
        if let Some(ecn) = ack.ecn
            && ecn.ce > s.ecn_ce
        {
            s.ecn_ce = ecn.ce;
            self.controller.on_congestion_event(largest_sent_at, now);
            outcome.ecn_congestion = true;
        }

        for p in acked.iter().filter(|p| p.in_flight) {
            self.bytes_in_flight = self.bytes_in_flight.saturating_sub(p.size);
        }

        // A.7: losses first, then acknowledgements, so that packets acknowledged by the
        // ACK that starts a recovery period do not grow the window.
        outcome.persistent_congestion = self.detect_and_handle_lost(space, now);
        outcome.lost = self.lost.len();
        for p in acked.iter().filter(|p| p.in_flight) {
            self.controller.on_ack(p.size, p.time_sent, now, &self.rtt);
        }

        // §6.2.2.1: a Handshake ACK shows the server validated the client's address.
        if space == Space::Handshake {
            self.peer_address_validated = true;
        }
        // §6.2.1 and A.7: the backoff is reset, except for a client whose address the
        // server may not have validated yet.
        if self.peer_completed_address_validation() {
            self.pto_count = 0;
        }
        state_mut(&mut self.spaces, space).compact();

        for p in acked.drain(..).rev() {
            on_acked(p);
        }
        self.acked = acked;
        for p in self.lost.drain(..) {
            on_lost(p);
        }
        Ok(outcome)
    }

    /// Runs loss detection in `space` (A.10) and tells the controller (B.8, §7.6): the lost
    /// packets are left in `self.lost`. Returns whether persistent congestion was found.
    fn detect_and_handle_lost(&mut self, space: Space, now: Instant) -> bool {
        let mut lost = mem::take(&mut self.lost);
        let mut run = mem::take(&mut self.run);
        lost.clear();
        let pc_duration = self.rtt.persistent_congestion_duration(self.max_ack_delay);
        let persistent = state_mut(&mut self.spaces, space).detect_lost(
            now,
            &self.rtt,
            pc_duration,
            self.first_rtt_sample,
            &mut lost,
            &mut run,
        );
        let mut newest: Option<Instant> = None;
        for p in lost.iter().filter(|p| p.in_flight) {
            self.bytes_in_flight = self.bytes_in_flight.saturating_sub(p.size);
            newest = Some(newest.map_or(p.time_sent, |t| t.max(p.time_sent)));
        }
        // §7.3.2: the controller starts at most one recovery period for these.
        if let Some(t) = newest {
            self.controller.on_congestion_event(t, now);
        }
        if persistent {
            self.controller.on_persistent_congestion();
        }
        self.lost = lost;
        self.run = run;
        persistent
    }

    /// The earliest time-threshold loss deadline and its space (A.8 `GetLossTimeAndSpace`).
    fn loss_time_and_space(&self) -> Option<(Instant, Space)> {
        let mut best: Option<(Instant, Space)> = None;
        for space in Space::ALL {
            if let Some(t) = state(&self.spaces, space).loss_time
                && best.is_none_or(|(b, _)| t < b)
            {
                best = Some((t, space));
            }
        }
        best
    }

    /// The PTO deadline and the space to probe (A.8 `GetPtoTimeAndSpace`), or `None` when
    /// no PTO is armed.
    fn pto_time_and_space(&self) -> Option<(Instant, Space)> {
        if !self.any_ack_eliciting_in_flight() {
            // §6.2.2.1: a client whose address is not yet validated arms the PTO with
            // nothing in flight, so that the server, limited by anti-amplification, can
            // send again.
            if self.peer_completed_address_validation() {
                return None;
            }
            let space = if self.has_handshake_keys {
                Space::Handshake
            } else {
                Space::Initial
            };
            if state(&self.spaces, space).discarded {
                return None;
            }
            let at = self
                .timer_base?
                .checked_add(self.rtt.pto(Duration::ZERO, self.pto_count))?;
            return Some((at, space));
        }
        let mut best: Option<(Instant, Space)> = None;
        for space in Space::ALL {
            let s = state(&self.spaces, space);
            if s.ack_eliciting == 0 {
                continue;
            }
            let max_ack_delay = if space == Space::Data {
                // §6.2.1: no PTO for application data before the handshake is confirmed.
                if !self.handshake_confirmed {
                    continue;
                }
                self.max_ack_delay
            } else {
                Duration::ZERO
            };
            let Some(at) = s
                .time_of_last_ack_eliciting
                .and_then(|t| t.checked_add(self.rtt.pto(max_ack_delay, self.pto_count)))
            else {
                continue;
            };
            if best.is_none_or(|(b, _)| at < b) {
                best = Some((at, space));
            }
        }
        best
    }

    /// The loss detection timer (RFC 9002 §6.2, A.8): the earliest time-threshold loss
    /// deadline, else the PTO deadline of the right space, or `None` when there is no
    /// timer to arm.
    pub fn timeout(&self) -> Option<Instant> {
        match self.loss_time_and_space() {
            Some((t, _)) => Some(t),
            None => self.pto_time_and_space().map(|(t, _)| t),
        }
    }

    /// The loss detection timer fired (RFC 9002 A.9); a call before [`timeout`](Self::timeout)
    /// does nothing. Either declares the time-threshold losses of one space (each goes to
    /// `on_lost` with its space, and `None` is returned), or, on a PTO, increments the PTO
    /// count and returns which space to probe and with how many packets (§6.2.4).
    pub fn on_timeout(
        &mut self,
        now: Instant,
        mut on_lost: impl FnMut(Space, SentPacket<F>),
    ) -> Option<Probe> {
        let deadline = self.timeout()?;
        if now < deadline {
            return None;
        }
        if let Some((_, space)) = self.loss_time_and_space() {
            self.detect_and_handle_lost(space, now);
            for p in self.lost.drain(..) {
                on_lost(space, p);
            }
            self.timer_base = Some(now);
            return None;
        }
        let probe = if self.any_ack_eliciting_in_flight() {
            let (_, space) = self.pto_time_and_space()?;
            Probe { space, count: 2 }
        } else {
            // §6.2.2.1, A.9: one padded Initial, or a Handshake packet once there are keys.
            let (_, space) = self.pto_time_and_space()?;
            Probe { space, count: 1 }
        };
        self.pto_count = self.pto_count.saturating_add(1);
        self.timer_base = Some(now);
        Some(probe)
    }

    /// Drops the state of `space` when its keys are discarded (RFC 9002 §6.4, A.11): its
    /// packets leave bytes in flight without being declared lost, and the PTO backoff is
    /// reset. `on_dropped` receives them. Later packets sent or ACKs received in the space
    /// are ignored.
    pub fn discard_space(&mut self, space: Space, on_dropped: impl FnMut(SentPacket<F>)) {
        let s = state_mut(&mut self.spaces, space);
        s.discarded = true;
        let bytes = s.clear(on_dropped);
        self.bytes_in_flight = self.bytes_in_flight.saturating_sub(bytes);
        self.pto_count = 0;
    }

    /// Forgets everything sent, handing each packet to `on_dropped` with its space so its
    /// frames can be sent again: a Retry or a Version Negotiation packet restarts the first
    /// flight (RFC 9002 §6.3, RFC 9000 §17.2.5.2). Bytes in flight, the loss and PTO timers,
    /// the PTO backoff, and the largest packet numbers sent and acknowledged are reset (the
    /// caller may continue its numbering or start again; RFC 9000 §17.2.5.3 wants it to
    /// continue after a Retry). The RTT estimator is kept: no sample can exist before the
    /// server's first Initial, so it still holds the initial RTT unless the caller seeded
    /// it from an earlier connection, which stays valid. The congestion controller is kept
    /// too: nothing was acknowledged or lost, so its window is still the initial one.
    pub fn reset_for_retry(&mut self, mut on_dropped: impl FnMut(Space, SentPacket<F>)) {
        for space in Space::ALL {
            let s = state_mut(&mut self.spaces, space);
            let bytes = s.clear(|p| on_dropped(space, p));
            s.largest_sent = None;
            s.largest_acked = None;
            self.bytes_in_flight = self.bytes_in_flight.saturating_sub(bytes);
        }
        self.pto_count = 0;
        self.timer_base = None;
    }
}
