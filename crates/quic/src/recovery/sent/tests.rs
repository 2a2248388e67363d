#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::unchecked_time_subtraction,
    clippy::cast_possible_truncation
)]

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use super::*;
use crate::Code;
use crate::frame::EcnCounts;
use crate::recovery::NewReno;
use crate::recovery::congestion::minimum_window;

const MDS: u64 = 1200;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// Initial RTT 100 ms: PTO = 100 + 4 × 50 = 300 ms before any sample.
fn client() -> Recovery<u32> {
    Recovery::new(ms(100), MDS, Box::new(NewReno::new(MDS)))
}

fn server() -> Recovery<u32> {
    let mut r = client();
    r.set_peer_address_validated();
    r
}

fn pkt(pn: u64, t: Instant) -> SentPacket<u32> {
    SentPacket {
        pn,
        time_sent: t,
        size: MDS,
        ack_eliciting: true,
        in_flight: true,
        frames: pn as u32,
    }
}

fn ack_only(pn: u64, t: Instant) -> SentPacket<u32> {
    SentPacket {
        ack_eliciting: false,
        in_flight: false,
        size: 50,
        ..pkt(pn, t)
    }
}

fn send(r: &mut Recovery<u32>, space: Space, pns: RangeInclusive<u64>, t: Instant) {
    for pn in pns {
        r.on_packet_sent(space, pkt(pn, t), t);
    }
}

fn ack_of(ranges: &[RangeInclusive<u64>]) -> Ack {
    Ack::new(ranges.iter().cloned(), 0, None).unwrap()
}

/// What one ACK did: the outcome, the frames acknowledged and lost.
struct Reply {
    out: AckOutcome,
    acked: Vec<u32>,
    lost: Vec<u32>,
}

fn recv_ack(
    r: &mut Recovery<u32>,
    space: Space,
    ack: &Ack,
    delay: Duration,
    now: Instant,
) -> Reply {
    let (mut acked, mut lost) = (Vec::new(), Vec::new());
    let out = r
        .on_ack_received(
            space,
            ack,
            delay,
            now,
            |p| acked.push(p.frames),
            |p| {
                lost.push(p.frames);
            },
        )
        .unwrap();
    Reply { out, acked, lost }
}

fn timeout(r: &mut Recovery<u32>, now: Instant) -> (Option<Probe>, Vec<(Space, u32)>) {
    let mut lost = Vec::new();
    let probe = r.on_timeout(now, |s, p| lost.push((s, p.frames)));
    (probe, lost)
}

#[test]
fn rtt_sample_only_when_the_largest_is_newly_acked() {
    let mut r = server();
    let t0 = Instant::now();
    send(&mut r, Space::Initial, 0..=2, t0);
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[2..=2]),
        ms(5),
        t0 + ms(100),
    );
    assert!(a.out.rtt_updated);
    assert_eq!(a.out.largest_newly_acked, Some(2));
    assert_eq!(r.rtt().latest(), ms(100));
    // The largest (2) was acknowledged before: no sample from this ACK.
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[0..=2]),
        ms(0),
        t0 + ms(150),
    );
    assert!(!a.out.rtt_updated);
    assert_eq!(a.out.newly_acked, 2);
    assert_eq!(a.out.largest_newly_acked, Some(1));
    assert_eq!(a.acked, [0, 1]);
    assert_eq!(r.rtt().latest(), ms(100));
    // A duplicate ACK does nothing at all.
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[0..=2]),
        ms(0),
        t0 + ms(160),
    );
    assert_eq!(a.out, AckOutcome::default());
    // Only non-ack-eliciting packets newly acknowledged: no sample (§5.1).
    r.on_packet_sent(Space::Initial, ack_only(3, t0 + ms(170)), t0 + ms(170));
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[3..=3]),
        ms(0),
        t0 + ms(400),
    );
    assert_eq!(a.out.newly_acked, 1);
    assert!(!a.out.rtt_updated);
    assert_eq!(r.rtt().latest(), ms(100));
    assert_eq!(r.bytes_in_flight(), 0);
}

#[test]
fn ack_delay_rules() {
    let t0 = Instant::now();
    for (space, expect_adjusted) in [(Space::Initial, ms(200)), (Space::Data, ms(175))] {
        let mut r = server();
        r.set_handshake_confirmed();
        r.set_max_ack_delay(ms(25));
        send(&mut r, space, 0..=1, t0);
        recv_ack(&mut r, space, &ack_of(&[0..=0]), ms(80), t0 + ms(100));
        assert_eq!(r.rtt().smoothed(), ms(100)); // the first sample ignores the delay
        // Data: 80 ms capped at max_ack_delay (25); Initial: not used at all (§5.3).
        recv_ack(&mut r, space, &ack_of(&[0..=1]), ms(80), t0 + ms(200));
        assert_eq!(r.rtt().smoothed(), ms(100) * 7 / 8 + expect_adjusted / 8);
    }
}

#[test]
fn packet_threshold_loss() {
    let mut r = server();
    let t0 = Instant::now();
    send(&mut r, Space::Handshake, 0..=4, t0);
    let a = recv_ack(
        &mut r,
        Space::Handshake,
        &ack_of(&[3..=3]),
        ms(0),
        t0 + ms(10),
    );
    // kPacketThreshold = 3: 0 is lost, 1 and 2 wait for the time threshold (11.25 ms).
    assert_eq!(a.lost, [0]);
    assert_eq!(a.out.lost, 1);
    assert_eq!(r.timeout(), Some(t0 + us(11_250)));
    let a = recv_ack(
        &mut r,
        Space::Handshake,
        &ack_of(&[3..=4]),
        ms(0),
        t0 + ms(11),
    );
    assert_eq!(a.lost, [1]);
    assert_eq!(a.acked, [4]);
    assert_eq!(r.bytes_in_flight(), MDS); // only 2 is left
    assert_eq!(r.tracked_packets(Space::Handshake), 1);
    // The first loss halved the window (12000 → 6000) before packet 3, sent before the
    // recovery period, could grow it (A.7 orders losses first); the second loss is in the
    // same recovery period and does not reduce it again (§7.3.2).
    assert_eq!(r.window(), 6000);
}

#[test]
fn time_threshold_and_the_loss_timer() {
    let mut r = server();
    let t0 = Instant::now();
    r.on_packet_sent(Space::Initial, pkt(0, t0), t0);
    r.on_packet_sent(Space::Initial, pkt(1, t0 + ms(10)), t0 + ms(10));
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[1..=1]),
        ms(0),
        t0 + ms(100),
    );
    assert!(a.lost.is_empty());
    // latest = smoothed = 90 ms; 9/8 × 90 = 101.25 ms after packet 0 was sent.
    let deadline = t0 + us(101_250);
    assert_eq!(r.timeout(), Some(deadline));
    assert_eq!(timeout(&mut r, deadline - us(1)), (None, vec![]));
    assert_eq!(r.bytes_in_flight(), MDS);
    assert_eq!(timeout(&mut r, deadline), (None, vec![(Space::Initial, 0)]));
    assert_eq!(r.bytes_in_flight(), 0);
    assert_eq!(r.pto_count(), 0);
    // Nothing left, and a server arms no anti-deadlock timer.
    assert_eq!(r.timeout(), None);
}

#[test]
fn pto_arming_and_backoff() {
    let mut r = server();
    let t0 = Instant::now();
    send(&mut r, Space::Initial, 0..=0, t0);
    assert_eq!(r.timeout(), Some(t0 + ms(300)));
    assert_eq!(r.pto(), ms(300));
    assert_eq!(timeout(&mut r, t0 + ms(299)), (None, vec![]));
    assert_eq!(r.pto_count(), 0);
    let probe = Probe {
        space: Space::Initial,
        count: 2,
    };
    assert_eq!(timeout(&mut r, t0 + ms(300)), (Some(probe), vec![]));
    assert_eq!(r.pto_count(), 1);
    assert_eq!(r.timeout(), Some(t0 + ms(600)));
    assert_eq!(timeout(&mut r, t0 + ms(600)), (Some(probe), vec![]));
    assert_eq!(r.pto_count(), 2);
    assert_eq!(r.pto(), ms(1200));
    assert_eq!(r.timeout(), Some(t0 + ms(1200)));
    // The probe restarts the timer from its send time.
    send(&mut r, Space::Initial, 1..=2, t0 + ms(600));
    assert_eq!(r.timeout(), Some(t0 + ms(1800)));
    // PTO does not declare anything lost, and does not bypass the window by itself.
    assert_eq!(r.bytes_in_flight(), 3 * MDS);
    // An ACK resets the backoff (§6.2.1).
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[2..=2]),
        ms(0),
        t0 + ms(700),
    );
    assert_eq!(a.lost, [0]);
    assert_eq!(r.pto_count(), 0);
}

#[test]
fn pto_space_choice() {
    let t0 = Instant::now();
    let mut r = server();
    send(&mut r, Space::Initial, 0..=0, t0);
    send(&mut r, Space::Handshake, 0..=0, t0 + ms(50));
    // The earlier of Initial and Handshake (§6.2.1).
    assert_eq!(r.timeout(), Some(t0 + ms(300)));
    let (probe, _) = timeout(&mut r, t0 + ms(300));
    assert_eq!(probe.unwrap().space, Space::Initial);
    // Backed off: Initial at 600, Handshake at 650.
    assert_eq!(r.timeout(), Some(t0 + ms(600)));
    // Discarding Initial resets the backoff and leaves the Handshake deadline.
    r.discard_space(Space::Initial, |_| {});
    assert_eq!(r.pto_count(), 0);
    assert_eq!(r.timeout(), Some(t0 + ms(350)));
    let (probe, _) = timeout(&mut r, t0 + ms(350));
    assert_eq!(probe.unwrap().space, Space::Handshake);

    // Application data: no PTO before the handshake is confirmed.
    let mut r = server();
    r.set_max_ack_delay(ms(25));
    send(&mut r, Space::Data, 0..=0, t0);
    assert_eq!(r.timeout(), None);
    assert_eq!(timeout(&mut r, t0 + ms(10_000)), (None, vec![]));
    send(&mut r, Space::Handshake, 0..=0, t0 + ms(10));
    assert_eq!(r.timeout(), Some(t0 + ms(310)));
    r.set_handshake_confirmed();
    // Now the Data space counts, with max_ack_delay: 300 + 25 ms.
    assert_eq!(r.timeout(), Some(t0 + ms(310)));
    r.discard_space(Space::Handshake, |_| {});
    assert_eq!(r.timeout(), Some(t0 + ms(325)));
    let (probe, _) = timeout(&mut r, t0 + ms(325));
    assert_eq!(
        probe,
        Some(Probe {
            space: Space::Data,
            count: 2
        })
    );
    // The backoff doubles max_ack_delay too (A.8).
    assert_eq!(r.timeout(), Some(t0 + ms(650)));
}

#[test]
fn client_anti_deadlock_pto() {
    let t0 = Instant::now();
    let mut r = client();
    send(&mut r, Space::Initial, 0..=0, t0);
    let a = recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[0..=0]),
        ms(0),
        t0 + ms(100),
    );
    assert!(a.out.rtt_updated);
    assert_eq!(r.bytes_in_flight(), 0);
    // Nothing in flight, but the server may be blocked by anti-amplification (§6.2.2.1):
    // armed from the ACK, PTO = 100 + 4 × 50 ms.
    assert_eq!(r.timeout(), Some(t0 + ms(400)));
    let (probe, _) = timeout(&mut r, t0 + ms(400));
    assert_eq!(
        probe,
        Some(Probe {
            space: Space::Initial,
            count: 1
        })
    );
    assert_eq!(r.pto_count(), 1);
    assert_eq!(r.timeout(), Some(t0 + ms(1000)));
    // With Handshake keys the probe is a Handshake packet.
    r.set_has_handshake_keys();
    let (probe, _) = timeout(&mut r, t0 + ms(1000));
    assert_eq!(probe.unwrap().space, Space::Handshake);
    assert_eq!(r.pto_count(), 2);
    // An Initial ACK does not reset the backoff of an unvalidated client (§6.2.1).
    send(&mut r, Space::Initial, 1..=1, t0 + ms(1000));
    recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[1..=1]),
        ms(0),
        t0 + ms(1100),
    );
    assert_eq!(r.pto_count(), 2);
    // A Handshake ACK proves the address validated: backoff reset and no more timer.
    send(&mut r, Space::Handshake, 0..=0, t0 + ms(1100));
    recv_ack(
        &mut r,
        Space::Handshake,
        &ack_of(&[0..=0]),
        ms(0),
        t0 + ms(1200),
    );
    assert_eq!(r.pto_count(), 0);
    assert_eq!(r.timeout(), None);

    // The same client told explicitly: no timer with nothing in flight.
    let mut r = client();
    send(&mut r, Space::Initial, 0..=0, t0);
    recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[0..=0]),
        ms(0),
        t0 + ms(100),
    );
    assert_eq!(r.timeout(), Some(t0 + ms(400)));
    // A duplicate ACK acknowledges nothing new and does not push the probe back (A.7).
    recv_ack(
        &mut r,
        Space::Initial,
        &ack_of(&[0..=0]),
        ms(0),
        t0 + ms(350),
    );
    assert_eq!(r.timeout(), Some(t0 + ms(400)));
    r.set_peer_address_validated();
    assert_eq!(r.timeout(), None);
    // Before anything is sent there is no timer either.
    assert_eq!(client().timeout(), None);
}

#[test]
fn discard_space_removes_bytes_in_flight() {
    let t0 = Instant::now();
    let mut r = server();
    send(&mut r, Space::Initial, 0..=1, t0);
    send(&mut r, Space::Handshake, 0..=0, t0);
    assert_eq!(r.bytes_in_flight(), 3 * MDS);
    let _ = timeout(&mut r, t0 + ms(300));
    assert_eq!(r.pto_count(), 1);
    let window = r.window();
    let mut dropped = Vec::new();
    r.discard_space(Space::Initial, |p| dropped.push(p.frames));
    assert_eq!(dropped, [0, 1]);
    assert_eq!(r.bytes_in_flight(), MDS);
    assert_eq!(r.pto_count(), 0);
    // Not a loss: the window is untouched.
    assert_eq!(r.window(), window);
    // Later packets and ACKs in the space are ignored, not errors.
    r.on_packet_sent(Space::Initial, pkt(2, t0), t0);
    assert_eq!(r.bytes_in_flight(), MDS);
    let a = recv_ack(&mut r, Space::Initial, &ack_of(&[9..=9]), ms(0), t0 + ms(1));
    assert_eq!(a.out, AckOutcome::default());
    assert_eq!(r.timeout(), Some(t0 + ms(300)));
}

/// Sends 0 and takes a 100 ms sample (the first at t0 + 100), then 1 at 200, 2 at 700,
/// 3 at 1200 and 4..=6 at 1300, and acknowledges `ranges` at 1400.
fn persistent_scenario(ranges: &[RangeInclusive<u64>]) -> (Recovery<u32>, Reply) {
    let t0 = Instant::now();
    let mut r = server();
    send(&mut r, Space::Data, 0..=0, t0);
    recv_ack(&mut r, Space::Data, &ack_of(&[0..=0]), ms(0), t0 + ms(100));
    assert_eq!(r.window(), 13200);
    send(&mut r, Space::Data, 1..=1, t0 + ms(200));
    send(&mut r, Space::Data, 2..=2, t0 + ms(700));
    send(&mut r, Space::Data, 3..=3, t0 + ms(1200));
    send(&mut r, Space::Data, 4..=6, t0 + ms(1300));
    let a = recv_ack(&mut r, Space::Data, &ack_of(ranges), ms(0), t0 + ms(1400));
    (r, a)
}

#[test]
fn persistent_congestion_collapses_the_window() {
    // After the second sample: smoothed 100, rttvar 37.5: duration (100 + 150) × 3 =
    // 750 ms < 1000 ms between the sends of 1 and 3, all lost, nothing acknowledged
    // between them.
    let (r, a) = persistent_scenario(&[6..=6]);
    assert_eq!(a.lost, [1, 2, 3]);
    assert!(a.out.persistent_congestion);
    // Collapsed to the minimum window, then packet 6 grows it in slow start (B.8 before
    // B.5, as A.7 orders them).
    assert_eq!(r.window(), minimum_window(MDS) + MDS);

    // Packet 2 acknowledged between the lost 1 and 3: no persistent congestion, one
    // ordinary reduction.
    let (r, a) = persistent_scenario(&[6..=6, 2..=2]);
    assert_eq!(a.lost, [1, 3]);
    assert!(!a.out.persistent_congestion);
    assert_eq!(r.window(), 6600);
}

#[test]
fn ecn_ce_is_a_congestion_event() {
    let t0 = Instant::now();
    let mut r = server();
    send(&mut r, Space::Data, 0..=3, t0);
    let ecn = |ce| {
        Some(EcnCounts {
            ect0: 4,
            ect1: 0,
            ce,
        })
    };
    let a = recv_ack(
        &mut r,
        Space::Data,
        &Ack::new([0..=0], 0, ecn(0)).unwrap(),
        ms(0),
        t0 + ms(100),
    );
    assert!(!a.out.ecn_congestion);
    assert_eq!(r.window(), 13200);
    let a = recv_ack(
        &mut r,
        Space::Data,
        &Ack::new([0..=1], 0, ecn(1)).unwrap(),
        ms(0),
        t0 + ms(101),
    );
    assert!(a.out.ecn_congestion);
    assert_eq!(a.out.lost, 0);
    assert_eq!(r.window(), 6600);
    // The same count again is not a new event; a larger one for a packet sent before
    // the recovery period started does not reduce again (§7.3.2).
    let a = recv_ack(
        &mut r,
        Space::Data,
        &Ack::new([0..=2], 0, ecn(1)).unwrap(),
        ms(0),
        t0 + ms(102),
    );
    assert!(!a.out.ecn_congestion);
    let a = recv_ack(
        &mut r,
        Space::Data,
        &Ack::new([0..=3], 0, ecn(2)).unwrap(),
        ms(0),
        t0 + ms(103),
    );
    assert!(a.out.ecn_congestion);
    assert_eq!(r.window(), 6600);
}

#[test]
fn ack_of_a_never_sent_packet_is_a_protocol_violation() {
    let t0 = Instant::now();
    let mut r = server();
    let err = r
        .on_ack_received(Space::Data, &ack_of(&[0..=0]), ms(0), t0, |_| {}, |_| {})
        .unwrap_err();
    assert_eq!(err.code, Code::PROTOCOL_VIOLATION);
    assert_eq!(err.frame_type, Some(0x02));
    send(&mut r, Space::Data, 0..=3, t0);
    let ecn = Some(EcnCounts::default());
    let err = r
        .on_ack_received(
            Space::Data,
            &Ack::new([4..=5], 0, ecn).unwrap(),
            ms(0),
            t0,
            |_| {},
            |_| {},
        )
        .unwrap_err();
    assert_eq!(err.code, Code::PROTOCOL_VIOLATION);
    assert_eq!(err.frame_type, Some(0x03));
    // Nothing changed; the largest sent may be acknowledged.
    assert_eq!(r.bytes_in_flight(), 4 * MDS);
    assert_eq!(r.largest_acked(Space::Data), None);
    let a = recv_ack(&mut r, Space::Data, &ack_of(&[3..=3]), ms(0), t0 + ms(1));
    assert_eq!(a.acked, [3]);
    assert_eq!(r.largest_acked(Space::Data), Some(3));
    // Other spaces have their own numbers.
    assert!(
        r.on_ack_received(
            Space::Handshake,
            &ack_of(&[0..=0]),
            ms(0),
            t0,
            |_| {},
            |_| {}
        )
        .is_err()
    );
}

#[test]
fn ten_thousand_ranges_are_quick() {
    let t0 = Instant::now();
    let mut r = server();
    send(&mut r, Space::Data, 0..=19_999, t0);
    // Every even packet number: 10,000 ranges.
    let ack = Ack::new((0..10_000u64).rev().map(|k| 2 * k..=2 * k), 0, None).unwrap();
    assert_eq!(ack.range_count(), 10_000);
    let start = Instant::now();
    let a = recv_ack(&mut r, Space::Data, &ack, ms(0), t0 + ms(100));
    assert_eq!(a.out.newly_acked, 10_000);
    // Odd packets up to 19,995 are three or more below 19,998.
    assert_eq!(a.out.lost, 9_998);
    assert_eq!(r.tracked_packets(Space::Data), 2);
    assert_eq!(r.bytes_in_flight(), 2 * MDS);
    // Repeated, the same ACK costs no more than its ranges.
    for i in 0..100 {
        let a = recv_ack(&mut r, Space::Data, &ack, ms(0), t0 + ms(101 + i));
        assert_eq!(a.out.newly_acked, 0);
    }
    // Few packets tracked, many ranges: the ranges below every record are not walked.
    let mut r2 = server();
    r2.on_packet_sent(Space::Data, pkt(0, t0), t0);
    r2.on_packet_sent(Space::Data, pkt(1_000_000, t0), t0);
    let sparse = Ack::new((0..10_000u64).rev().map(|k| 100 * k..=100 * k + 1), 0, None).unwrap();
    for _ in 0..100 {
        recv_ack(&mut r2, Space::Data, &sparse, ms(0), t0 + ms(100));
    }
    // Generous for a loaded debug build; quadratic work would take minutes.
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn ack_only_records_are_bounded() {
    let t0 = Instant::now();
    let mut r = server();
    for pn in 0..3000 {
        r.on_packet_sent(Space::Data, ack_only(pn, t0), t0);
    }
    assert_eq!(r.tracked_packets(Space::Data), MAX_UNTRACKED);
    assert_eq!(r.timeout(), None);
    // An ACK for forgotten numbers is fine.
    let a = recv_ack(&mut r, Space::Data, &ack_of(&[0..=10]), ms(0), t0 + ms(1));
    assert_eq!(a.out.newly_acked, 0);
    let a = recv_ack(
        &mut r,
        Space::Data,
        &ack_of(&[2999..=2999]),
        ms(0),
        t0 + ms(1),
    );
    assert_eq!(a.acked, [2999]);
    // Ack-eliciting packets are never forgotten, and the rest are declared lost.
    r.on_packet_sent(Space::Data, pkt(3000, t0), t0);
    for pn in 3001..5000 {
        r.on_packet_sent(Space::Data, ack_only(pn, t0), t0);
    }
    assert_eq!(r.tracked_packets(Space::Data), MAX_UNTRACKED + 1);
    let a = recv_ack(
        &mut r,
        Space::Data,
        &ack_of(&[4999..=4999]),
        ms(0),
        t0 + ms(2),
    );
    assert!(a.lost.contains(&3000));
    assert_eq!(r.tracked_packets(Space::Data), 2);
}

#[test]
fn reset_for_retry_hands_everything_back() {
    let t0 = Instant::now();
    let mut r = client();
    send(&mut r, Space::Initial, 0..=1, t0);
    send(&mut r, Space::Data, 0..=0, t0); // 0-RTT
    let _ = timeout(&mut r, t0 + ms(300));
    let mut dropped = Vec::new();
    r.reset_for_retry(|s, p| dropped.push((s, p.frames)));
    assert_eq!(
        dropped,
        [(Space::Initial, 0), (Space::Initial, 1), (Space::Data, 0)]
    );
    assert_eq!(r.bytes_in_flight(), 0);
    assert_eq!(r.pto_count(), 0);
    assert_eq!(r.timeout(), None);
    assert_eq!(r.window(), 12000);
    // Numbering may continue (RFC 9000 §17.2.5.3) or restart.
    send(&mut r, Space::Initial, 2..=2, t0 + ms(400));
    assert_eq!(r.timeout(), Some(t0 + ms(700)));
}

#[test]
fn congestion_available_and_pacing() {
    let t0 = Instant::now();
    let mut r = server();
    assert_eq!(r.congestion_available(), 12000);
    assert_eq!(r.send_time(t0, MDS), t0);
    send(&mut r, Space::Data, 0..=9, t0);
    assert_eq!(r.congestion_available(), 0);
    // The burst allowance is spent: the next datagram waits.
    assert!(r.send_time(t0, MDS) > t0);
}
