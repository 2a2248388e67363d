#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use std::collections::BTreeSet;

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::Level;
use crate::frame::{self, Frame};

const MS: Duration = Duration::from_millis(1);
const DELAY: Duration = Duration::from_millis(25);

fn ranges(ack: &Ack) -> Vec<RangeInclusive<u64>> {
    ack.ranges().collect()
}

fn rx() -> ReceivedPackets {
    ReceivedPackets::new(32, 2, DELAY)
}

fn frame_of(rx: &ReceivedPackets, now: Instant) -> Ack {
    rx.ack_frame(now, 0, usize::MAX).unwrap()
}

#[test]
fn nothing_received_no_frame() {
    let rx = rx();
    let now = Instant::now();
    assert!(rx.ack_frame(now, 3, 1200).is_none());
    assert!(!rx.ack_needed(now));
    assert_eq!(rx.ack_deadline(), None);
    assert!(!rx.has_new());
    assert_eq!(rx.largest(), None);
}

#[test]
fn threshold_of_two_ack_eliciting() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(0, true, Ecn::NotEct, t0);
    assert!(!rx.ack_needed(t0));
    assert_eq!(rx.ack_deadline(), Some(t0 + DELAY));
    assert!(!rx.ack_needed(t0 + Duration::from_millis(24)));
    assert!(rx.ack_needed(t0 + DELAY));
    rx.on_packet(1, true, Ecn::NotEct, t0 + MS);
    assert!(rx.ack_needed(t0 + MS));
    assert_eq!(rx.ack_deadline(), None);
    rx.on_ack_sent();
    assert!(!rx.ack_needed(t0 + Duration::from_secs(10)));
    assert!(!rx.has_new());
    // The count restarts after an ACK.
    rx.on_packet(2, true, Ecn::NotEct, t0 + 2 * MS);
    assert!(!rx.ack_needed(t0 + 2 * MS));
    assert_eq!(rx.ack_deadline(), Some(t0 + 2 * MS + DELAY));
    rx.on_packet(3, true, Ecn::NotEct, t0 + 3 * MS);
    assert!(rx.ack_needed(t0 + 3 * MS));
}

#[test]
fn larger_threshold_and_deadline_from_first() {
    let t0 = Instant::now();
    let mut rx = ReceivedPackets::new(32, 10, DELAY);
    for pn in 0..9 {
        rx.on_packet(pn, true, Ecn::NotEct, t0 + pn as u32 * MS);
        assert!(!rx.ack_needed(t0 + pn as u32 * MS), "pn {pn}");
        // The deadline counts from the first unacknowledged ack-eliciting packet.
        assert_eq!(rx.ack_deadline(), Some(t0 + DELAY));
    }
    rx.on_packet(9, true, Ecn::NotEct, t0 + 9 * MS);
    assert!(rx.ack_needed(t0 + 9 * MS));
}

#[test]
fn non_ack_eliciting_never_asks_for_an_ack() {
    let t0 = Instant::now();
    let mut rx = rx();
    for pn in [0, 1, 5, 3, 9] {
        rx.on_packet(pn, false, Ecn::Ce, t0);
    }
    assert!(!rx.ack_needed(t0 + Duration::from_secs(100)));
    assert_eq!(rx.ack_deadline(), None);
    assert!(rx.has_new());
    // ... but they are reported in the next ACK.
    rx.on_packet(10, true, Ecn::NotEct, t0);
    assert!(!rx.ack_needed(t0)); // 10 follows 9: in order, below the threshold
    assert_eq!(rx.ack_deadline(), Some(t0 + DELAY));
    let ack = frame_of(&rx, t0);
    assert_eq!(ranges(&ack), [9..=10, 5..=5, 3..=3, 0..=1]);
}

#[test]
fn in_order_after_non_eliciting_is_not_immediate() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(0, false, Ecn::NotEct, t0);
    rx.on_packet(1, true, Ecn::NotEct, t0);
    assert!(!rx.ack_needed(t0));
    assert_eq!(rx.ack_deadline(), Some(t0 + DELAY));
}

#[test]
fn reordering_and_gaps_are_immediate() {
    let t0 = Instant::now();
    // A gap: 0 then 2.
    let mut rx = rx();
    rx.on_packet(0, true, Ecn::NotEct, t0);
    rx.on_ack_sent();
    rx.on_packet(2, true, Ecn::NotEct, t0);
    assert!(rx.ack_needed(t0));
    assert_eq!(ranges(&frame_of(&rx, t0)), [2..=2, 0..=0]);
    rx.on_ack_sent();
    // The missing one arrives late: below the largest, immediate.
    rx.on_packet(1, true, Ecn::NotEct, t0);
    assert!(rx.ack_needed(t0));
    assert_eq!(ranges(&frame_of(&rx, t0)), [0..=2]);
    assert_eq!(rx.range_count(), 1);
    // A late non-ack-eliciting one does not.
    let mut rx = ReceivedPackets::new(32, 2, DELAY);
    rx.on_packet(5, true, Ecn::NotEct, t0);
    rx.on_ack_sent();
    rx.on_packet(3, false, Ecn::NotEct, t0);
    assert!(!rx.ack_needed(t0));
    // The first packet of a space does not count as a gap, whatever its number.
    let mut rx = rx_fresh();
    rx.on_packet(7, true, Ecn::NotEct, t0);
    assert!(!rx.ack_needed(t0));
}

fn rx_fresh() -> ReceivedPackets {
    rx()
}

#[test]
fn ce_is_immediate_for_ack_eliciting() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(0, true, Ecn::Ce, t0);
    assert!(rx.ack_needed(t0));
    let ack = frame_of(&rx, t0);
    assert_eq!(
        ack.ecn,
        Some(EcnCounts {
            ect0: 0,
            ect1: 0,
            ce: 1
        })
    );
}

#[test]
fn zero_max_ack_delay_acks_at_once() {
    let t0 = Instant::now();
    let mut rx = ReceivedPackets::new(32, 2, Duration::ZERO);
    rx.on_packet(0, true, Ecn::NotEct, t0);
    assert!(rx.ack_needed(t0));
    assert_eq!(rx.ack_deadline(), None);

    // Changing the delay moves a pending deadline; zero makes it immediate.
    let mut rx = ReceivedPackets::new(32, 2, DELAY);
    rx.on_packet(0, true, Ecn::NotEct, t0);
    rx.set_max_ack_delay(5 * MS);
    assert_eq!(rx.ack_deadline(), Some(t0 + 5 * MS));
    rx.set_max_ack_delay(Duration::ZERO);
    assert!(rx.ack_needed(t0));
}

#[test]
fn delay_encoding_with_exponents() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(0, true, Ecn::NotEct, t0);
    rx.on_packet(1, true, Ecn::NotEct, t0 + 3 * MS);
    let now = t0 + 3 * MS + Duration::from_micros(12_345);
    assert_eq!(rx.ack_frame(now, 0, 1200).unwrap().delay, 12_345);
    assert_eq!(rx.ack_frame(now, 3, 1200).unwrap().delay, 12_345 >> 3);
    assert_eq!(rx.ack_frame(now, 20, 1200).unwrap().delay, 0);
    let later = t0 + 3 * MS + Duration::from_secs(5);
    assert_eq!(
        rx.ack_frame(later, 20, 1200).unwrap().delay,
        5_000_000 >> 20
    );
    // An out-of-order packet does not move the reference time: the delay is for the
    // largest.
    rx.on_packet(0, true, Ecn::NotEct, now);
    rx.on_packet(
        u64::from(u8::MAX),
        false,
        Ecn::NotEct,
        t0 + Duration::from_secs(1),
    );
    rx.on_packet(100, true, Ecn::NotEct, t0 + Duration::from_secs(2));
    let ack = rx.ack_frame(t0 + Duration::from_secs(3), 0, 1200).unwrap();
    assert_eq!(ack.largest, 255);
    assert_eq!(ack.delay, 2_000_000);
    // A clock that does not advance gives zero, never an underflow; absurd exponents
    // give zero.
    assert_eq!(rx.ack_frame(t0, 0, 1200).unwrap().delay, 0);
    assert_eq!(rx.ack_frame(later, 255, 1200).unwrap().delay, 0);
}

#[test]
fn ecn_counts() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(0, false, Ecn::NotEct, t0);
    assert_eq!(frame_of(&rx, t0).ecn, None);
    rx.on_packet(1, false, Ecn::Ect0, t0);
    rx.on_packet(2, false, Ecn::Ect0, t0);
    rx.on_packet(3, false, Ecn::Ect1, t0);
    rx.on_packet(4, false, Ecn::Ce, t0);
    rx.on_packet(5, false, Ecn::NotEct, t0);
    // Duplicates are not counted (RFC 9000 §13.4.1).
    rx.on_packet(2, false, Ecn::Ect0, t0);
    let ack = frame_of(&rx, t0);
    assert_eq!(
        ack.ecn,
        Some(EcnCounts {
            ect0: 2,
            ect1: 1,
            ce: 1
        })
    );
    // Written as type 0x03 and parsed back the same.
    let mut buf = Vec::new();
    Frame::Ack(ack.clone()).write(&mut buf).unwrap();
    assert_eq!(buf[0], 0x03);
    let parsed: Vec<Frame> = frame::parse(Bytes::from(buf), Level::OneRtt)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(parsed, [Frame::Ack(ack)]);
}

#[test]
fn max_ranges_bounds_memory_and_raises_the_floor() {
    let t0 = Instant::now();
    let mut rx = ReceivedPackets::new(4, 2, DELAY);
    // Every other packet: each one is a new range.
    for i in 0..10u64 {
        rx.on_packet(i * 2, true, Ecn::NotEct, t0);
        assert!(rx.range_count() <= 4);
    }
    assert_eq!(rx.range_count(), 4);
    assert!(rx.ranges.capacity() <= 8);
    assert_eq!(rx.floor(), Some(10));
    let ack = frame_of(&rx, t0);
    assert_eq!(ranges(&ack), [18..=18, 16..=16, 14..=14, 12..=12]);
    // Dropped packets count as duplicates; a late packet there is refused.
    assert!(rx.is_duplicate(4));
    assert!(rx.is_duplicate(9));
    assert!(!rx.is_duplicate(11));
    rx.on_packet(9, true, Ecn::NotEct, t0);
    assert_eq!(ranges(&frame_of(&rx, t0)), ranges(&ack));
    // Filling a gap merges ranges.
    rx.on_packet(13, true, Ecn::NotEct, t0);
    assert_eq!(rx.range_count(), 3);
    assert_eq!(ranges(&frame_of(&rx, t0)), [18..=18, 16..=16, 12..=14]);
}

#[test]
fn max_len_keeps_the_newest_ranges() {
    let t0 = Instant::now();
    let mut rx = ReceivedPackets::new(1000, 2, DELAY);
    for i in 0..500u64 {
        rx.on_packet(i * 3, true, Ecn::NotEct, t0);
    }
    assert_eq!(rx.range_count(), 500);
    let ack = rx.ack_frame(t0, 3, 100).unwrap();
    let mut buf = Vec::new();
    Frame::Ack(ack.clone()).write(&mut buf).unwrap();
    assert!(buf.len() <= 100);
    let got = ranges(&ack);
    assert!(got.len() > 10);
    // The newest first, consecutive from the top.
    for (k, r) in got.iter().enumerate() {
        let pn = (499 - k as u64) * 3;
        assert_eq!(*r, pn..=pn);
    }
    // Not even the first range fits in 3 bytes.
    assert!(rx.ack_frame(t0, 3, 3).is_none());
}

#[test]
fn on_ack_acked_prunes() {
    let t0 = Instant::now();
    let mut rx = rx();
    for pn in [0, 1, 2, 4, 5, 7, 9, 10] {
        rx.on_packet(pn, true, Ecn::NotEct, t0);
    }
    assert_eq!(rx.range_count(), 4);
    rx.on_ack_acked(4);
    assert_eq!(rx.floor(), Some(4));
    assert_eq!(ranges(&frame_of(&rx, t0)), [9..=10, 7..=7, 5..=5]);
    assert!(rx.is_duplicate(3)); // never received, but below the floor
    assert!(rx.is_duplicate(5));
    assert!(!rx.is_duplicate(6));
    assert!(!rx.is_duplicate(8));
    assert!(!rx.is_duplicate(11));
    // An older ACK being acknowledged later lowers nothing.
    rx.on_ack_acked(1);
    assert_eq!(rx.floor(), Some(4));
    assert_eq!(rx.range_count(), 3);
    // Pruning everything leaves the largest to acknowledge alone.
    rx.on_ack_acked(10);
    assert_eq!(rx.range_count(), 0);
    assert_eq!(rx.largest(), Some(10));
    assert_eq!(ranges(&frame_of(&rx, t0)), [10..=10]);
    // A claim beyond what we received is clamped.
    rx.on_ack_acked(1000);
    assert_eq!(rx.floor(), Some(10));
    rx.on_packet(11, false, Ecn::NotEct, t0);
    assert_eq!(ranges(&frame_of(&rx, t0)), [11..=11]);
    // Before anything was received, nothing happens.
    let mut empty = ReceivedPackets::new(4, 2, DELAY);
    empty.on_ack_acked(5);
    assert_eq!(empty.floor(), None);
    assert!(!empty.is_duplicate(0));
}

#[test]
fn duplicates() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(3, true, Ecn::NotEct, t0);
    rx.on_ack_sent();
    assert!(rx.is_duplicate(3));
    assert!(!rx.is_duplicate(2));
    assert!(!rx.is_duplicate(4));
    // A duplicate changes nothing: no new data, no ACK wanted.
    rx.on_packet(3, true, Ecn::Ce, t0);
    assert!(!rx.has_new());
    assert!(!rx.ack_needed(t0 + Duration::from_secs(1)));
    assert_eq!(frame_of(&rx, t0).ecn, None);
    // Packet numbers above 2^62 - 1 do not exist.
    assert!(rx.is_duplicate(varint::MAX + 1));
    assert!(rx.is_duplicate(u64::MAX));
    rx.on_packet(u64::MAX, true, Ecn::NotEct, t0);
    assert_eq!(rx.largest(), Some(3));
}

#[test]
fn the_largest_packet_numbers() {
    let t0 = Instant::now();
    let mut rx = rx();
    rx.on_packet(varint::MAX, true, Ecn::NotEct, t0);
    rx.on_packet(varint::MAX - 2, true, Ecn::NotEct, t0);
    rx.on_packet(varint::MAX - 1, true, Ecn::NotEct, t0);
    assert_eq!(rx.range_count(), 1);
    assert_eq!(ranges(&frame_of(&rx, t0)), [varint::MAX - 2..=varint::MAX]);
    rx.on_ack_acked(varint::MAX);
    assert!(rx.is_duplicate(varint::MAX));
    assert_eq!(rx.range_count(), 0);
}

/// Received packet numbers above the floor, as the ACK frame must report them.
fn expected(received: &BTreeSet<u64>, floor: Option<u64>) -> Vec<RangeInclusive<u64>> {
    let mut out: Vec<RangeInclusive<u64>> = Vec::new();
    for &pn in received.iter().filter(|&&pn| floor.is_none_or(|f| pn > f)) {
        match out.last_mut() {
            Some(r) if *r.end() + 1 == pn => *r = *r.start()..=pn,
            _ => out.push(pn..=pn),
        }
    }
    out.reverse();
    out
}

#[derive(Debug, Clone)]
enum Op {
    Packet(u64, bool),
    Acked(u64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            8 => (0..400u64, any::<bool>()).prop_map(|(pn, e)| Op::Packet(pn, e)),
            1 => (0..400u64).prop_map(Op::Acked),
        ],
        0..300,
    )
}

fn check(max_ranges: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let t0 = Instant::now();
    let mut rx = ReceivedPackets::new(max_ranges, 2, DELAY);
    let mut received = BTreeSet::new();
    for (i, op) in ops.iter().enumerate() {
        let now = t0 + i as u32 * MS;
        match *op {
            Op::Packet(pn, eliciting) => {
                let dup = rx.is_duplicate(pn);
                prop_assert_eq!(
                    dup,
                    received.contains(&pn) || rx.floor().is_some_and(|f| pn <= f)
                );
                rx.on_packet(pn, eliciting, Ecn::NotEct, now);
                received.insert(pn);
            }
            Op::Acked(pn) => rx.on_ack_acked(pn),
        }
        prop_assert!(rx.range_count() <= max_ranges.max(1));
        let Some(ack) = rx.ack_frame(now, 3, usize::MAX) else {
            prop_assert!(received.is_empty());
            continue;
        };
        let want = expected(&received, rx.floor());
        if want.is_empty() {
            let largest = *received.last().unwrap();
            prop_assert_eq!(ranges(&ack), vec![largest..=largest]);
        } else {
            prop_assert_eq!(ranges(&ack), want);
        }
        prop_assert_eq!(rx.largest(), received.last().copied());
    }
    Ok(())
}

proptest! {
    #[test]
    fn frame_ranges_are_the_received_set_above_the_floor(ops in ops()) {
        check(10_000, &ops)?;
    }

    #[test]
    fn bounded_ranges_keep_the_newest(ops in ops(), max_ranges in 0..8usize) {
        check(max_ranges, &ops)?;
    }

    #[test]
    fn any_order_of_packets_without_pruning(
        pns in prop::collection::btree_set(0..1000u64, 0..200),
        seed in any::<u64>(),
    ) {
        let mut order: Vec<u64> = pns.iter().copied().collect();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let t0 = Instant::now();
        let mut rx = ReceivedPackets::new(1000, 2, DELAY);
        for &pn in &order {
            rx.on_packet(pn, true, Ecn::Ect0, t0);
        }
        prop_assert_eq!(rx.floor(), None);
        match rx.ack_frame(t0, 0, usize::MAX) {
            None => prop_assert!(pns.is_empty()),
            Some(ack) => {
                prop_assert_eq!(ranges(&ack), expected(&pns, None));
                prop_assert_eq!(ack.ecn.unwrap().ect0, pns.len() as u64);
                prop_assert_eq!(rx.range_count(), ranges(&ack).len());
            }
        }
    }
}
