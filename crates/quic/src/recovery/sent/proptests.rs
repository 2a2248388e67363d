//! Property tests of [`Recovery`]: random sends, ACKs, timeouts, discards and Retry
//! restarts keep bytes in flight equal to the tracked in-flight packets and report each
//! packet at most once.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::unchecked_time_subtraction,
    clippy::cast_possible_truncation
)]

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::Code;
use crate::frame::EcnCounts;
use crate::recovery::NewReno;

const MDS: u64 = 1200;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn client() -> Recovery<u32> {
    Recovery::new(ms(100), MDS, Box::new(NewReno::new(MDS)))
}

fn server() -> Recovery<u32> {
    let mut r = client();
    r.set_peer_address_validated();
    r
}

#[derive(Clone, Debug)]
enum Op {
    Send {
        space: usize,
        skip: u64,
        kind: u8,
        size: u16,
    },
    Ack {
        space: usize,
        picks: Vec<u16>,
        ce: Option<u8>,
    },
    Advance(u16),
    Timeout,
    Discard(usize),
    Confirm,
    Validate,
    Retry,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0usize..3, 0u64..3, 0u8..3, 1u16..1500)
            .prop_map(|(space, skip, kind, size)| Op::Send { space, skip, kind, size }),
        5 => (0usize..3, proptest::collection::vec(any::<u16>(), 0..12), proptest::option::of(0u8..4))
            .prop_map(|(space, picks, ce)| Op::Ack { space, picks, ce }),
        4 => (0u16..400).prop_map(Op::Advance),
        3 => Just(Op::Timeout),
        1 => (0usize..2).prop_map(Op::Discard),
        1 => Just(Op::Confirm),
        1 => Just(Op::Validate),
        1 => Just(Op::Retry),
    ]
}

/// Bytes in flight recomputed from the records.
fn tracked_in_flight(r: &Recovery<u32>) -> u64 {
    r.spaces
        .iter()
        .flat_map(|s| s.sent.iter())
        .filter_map(|s| s.packet.as_ref())
        .filter(|p| p.in_flight)
        .map(|p| p.size)
        .sum()
}

/// Ranges (highest first) of the distinct packet numbers in `pns`.
fn ranges_of(mut pns: Vec<u64>) -> Vec<RangeInclusive<u64>> {
    pns.sort_unstable_by(|a, b| b.cmp(a));
    pns.dedup();
    let mut out: Vec<RangeInclusive<u64>> = Vec::new();
    for pn in pns {
        match out.last_mut() {
            Some(r) if *r.start() == pn + 1 => *r = pn..=*r.end(),
            _ => out.push(pn..=pn),
        }
    }
    out
}

proptest! {
    /// Whatever is sent, acknowledged, lost, timed out or dropped: bytes in flight equal
    /// the in-flight packets tracked, and each packet is reported (acked, lost or
    /// dropped) at most once, and only if it was sent.
    #[test]
    fn bytes_in_flight_and_single_reports(
        ops in proptest::collection::vec(op(), 1..120),
        client_side in any::<bool>(),
    ) {
        let t0 = Instant::now();
        let mut now = t0;
        let mut r = if client_side { client() } else { server() };
        let mut next_pn = [0u64; 3];
        let mut sent: HashSet<(usize, u64)> = HashSet::new();
        let mut reported: HashSet<(usize, u64)> = HashSet::new();
        let mut ce = [0u64; 3];
        let idx = |s: Space| Space::ALL.iter().position(|&x| x == s).unwrap();
        for op in ops {
            let mut events: Vec<(usize, u64)> = Vec::new();
            let mut lost_events: Vec<(usize, u64)> = Vec::new();
            match op {
                Op::Send { space, skip, kind, size } => {
                    let pn = next_pn[space] + skip;
                    next_pn[space] = pn + 1;
                    let (ack_eliciting, in_flight) = match kind {
                        0 => (true, true),
                        1 => (false, true),
                        _ => (false, false),
                    };
                    let p = SentPacket {
                        pn,
                        time_sent: now,
                        size: u64::from(size),
                        ack_eliciting,
                        in_flight,
                        frames: pn as u32,
                    };
                    r.on_packet_sent(Space::ALL[space], p, now);
                    sent.insert((space, pn));
                }
                Op::Ack { space, picks, ce: bump } => {
                    let sp = Space::ALL[space];
                    let bound = next_pn[space] + 1;
                    let ranges = ranges_of(picks.iter().map(|&p| u64::from(p) % bound).collect());
                    let ecn = bump.map(|b| {
                        ce[space] += u64::from(b);
                        EcnCounts { ect0: 0, ect1: 0, ce: ce[space] }
                    });
                    if let Some(ack) = Ack::new(ranges, 0, ecn) {
                        let never_sent = r.largest_sent(sp).is_none_or(|l| ack.largest > l);
                        let res = r.on_ack_received(
                            sp,
                            &ack,
                            ms(1),
                            now,
                            |p| events.push((space, p.pn)),
                            |p| lost_events.push((space, p.pn)),
                        );
                        events.append(&mut lost_events);
                        match res {
                            Err(e) => {
                                prop_assert!(never_sent);
                                prop_assert_eq!(e.code, Code::PROTOCOL_VIOLATION);
                            }
                            Ok(out) => {
                                prop_assert_eq!(out.newly_acked + out.lost, events.len());
                            }
                        }
                    }
                }
                Op::Advance(d) => now += ms(u64::from(d)),
                Op::Timeout => {
                    if let Some(t) = r.timeout() {
                        prop_assert!(t >= t0);
                        now = now.max(t);
                        let probe = r.on_timeout(now, |s, p| events.push((idx(s), p.pn)));
                        if let Some(p) = probe {
                            prop_assert!(p.count == 1 || p.count == 2);
                        }
                    }
                }
                Op::Discard(space) => {
                    r.discard_space(Space::ALL[space], |p| events.push((space, p.pn)));
                }
                Op::Confirm => r.set_handshake_confirmed(),
                Op::Validate => r.set_peer_address_validated(),
                Op::Retry => r.reset_for_retry(|s, p| events.push((idx(s), p.pn))),
            }
            for e in events {
                prop_assert!(sent.contains(&e), "reported a packet never sent: {:?}", e);
                prop_assert!(reported.insert(e), "reported twice: {:?}", e);
            }
            prop_assert_eq!(r.bytes_in_flight(), tracked_in_flight(&r));
            let tracked: usize = Space::ALL.iter().map(|&s| r.tracked_packets(s)).sum();
            prop_assert!(tracked <= sent.len() - reported.len());
            for s in &r.spaces {
                let live = s.sent.iter().filter(|x| x.packet.is_some()).count();
                prop_assert_eq!(live + s.holes, s.sent.len());
                prop_assert!(s.sent.iter().zip(s.sent.iter().skip(1)).all(|(a, b)| a.pn < b.pn));
            }
        }
    }
}
