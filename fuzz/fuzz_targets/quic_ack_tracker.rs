//! Arbitrary operations on the received-packets tracker of one packet number space
//! (RFC 9000 §13.2, §19.3) never panic and keep its invariants: the ranges stay within
//! `max_ranges`, every ACK frame fits the size asked for and parses back (at the 1-RTT
//! level) to the same frame, its ranges are descending and disjoint, above the floor
//! (unless only the largest is left), and no packet reported as received is a
//! non-duplicate.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::frame::{self, Frame};
use stator_quic::recovery::ReceivedPackets;
use stator_quic::{Ecn, Level};

fuzz_target!(|data: &[u8]| {
    let Some((&[max_ranges, threshold, delay], ops)) = data.split_first_chunk::<3>() else {
        return;
    };
    let max_ranges = usize::from(max_ranges % 64);
    let t0 = Instant::now();
    let mut now = t0;
    let mut rx = ReceivedPackets::new(
        max_ranges,
        u64::from(threshold % 8),
        Duration::from_millis(u64::from(delay)),
    );
    let mut base: u64 = 0;
    for op in ops.chunks(6) {
        let &[kind, a, b, c, d, e] = op else { break };
        let small = u64::from(u16::from_be_bytes([a, b]));
        match kind % 8 {
            // Packets near a moving base, so ranges form and merge.
            0..=3 => {
                let pn = base.saturating_add(small % 512);
                let was_dup = rx.is_duplicate(pn);
                rx.on_packet(pn, c & 1 != 0, Ecn::from_bits(c >> 1), now);
                if !was_dup {
                    assert!(rx.is_duplicate(pn));
                }
                assert!(rx.largest().is_some());
            }
            // Far packet numbers, up to and past 2^62 - 1.
            4 => {
                let pn = u64::from_be_bytes([a, b, c, d, e, a, b, c]) >> (e % 3);
                rx.on_packet(pn, d & 1 != 0, Ecn::from_bits(d), now);
            }
            5 => {
                let max_len = usize::from(u16::from_be_bytes([a, b]) % 1500);
                let exponent = c % 24;
                if let Some(ack) = rx.ack_frame(now, exponent, max_len) {
                    check(&rx, &ack, max_len);
                }
                if d & 1 != 0 {
                    rx.on_ack_sent();
                    assert!(!rx.ack_needed(now));
                }
            }
            6 => {
                let acked = rx.largest().map_or(small, |l| l.saturating_sub(small % 64));
                rx.on_ack_acked(acked);
            }
            _ => {
                now += Duration::from_micros(small.saturating_mul(u64::from(c) + 1));
                base = base.saturating_add(u64::from(d));
                if e & 1 != 0 {
                    rx.set_max_ack_delay(Duration::from_millis(u64::from(e)));
                }
            }
        }
        assert!(rx.range_count() <= max_ranges.max(1));
        if let Some(at) = rx.ack_deadline() {
            assert!(!rx.ack_needed(now) || at <= now);
        }
    }
});

fn check(rx: &ReceivedPackets, ack: &frame::Ack, max_len: usize) {
    let mut buf = Vec::new();
    Frame::Ack(ack.clone())
        .write(&mut buf)
        .expect("ACK frame writes");
    assert!(buf.len() <= max_len);
    let parsed: Vec<Frame> = frame::parse(Bytes::from(buf), Level::OneRtt)
        .collect::<Result<_, _>>()
        .expect("ACK frame parses back");
    assert_eq!(parsed, [Frame::Ack(ack.clone())]);
    assert_eq!(Some(ack.largest), rx.largest());
    let mut prev_start: Option<u64> = None;
    for r in ack.ranges() {
        assert!(r.start() <= r.end());
        if let Some(p) = prev_start {
            // Descending, separated by at least one missing packet number.
            assert!(r.end().saturating_add(1) < p);
        }
        prev_start = Some(*r.start());
        if rx.range_count() > 0 {
            assert!(rx.floor().is_none_or(|f| *r.start() > f));
        }
        for pn in [*r.start(), *r.end()] {
            assert!(rx.is_duplicate(pn));
        }
    }
}
