//! Loss recovery (RFC 9002 §6, Appendix A) driven by arbitrary sends, arbitrary ACK frames
//! (parsed from the input as a 1-RTT payload), timeouts, discarded spaces and Retry
//! restarts never panics, and keeps its books: bytes in flight always equal the in-flight
//! packets sent and not yet reported, and every packet is reported acknowledged, lost or
//! dropped at most once.
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::frame::{self, Frame};
use stator_quic::recovery::{Cubic, NewReno, Recovery, SentPacket};
use stator_quic::{Code, Level, Space};

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let controller: Box<dyn stator_quic::recovery::Controller> = if first & 1 == 0 {
        Box::new(NewReno::new(1200))
    } else {
        Box::new(Cubic::new(1200))
    };
    let mut rec: Recovery<(usize, u64)> = Recovery::new(
        Duration::from_millis(u64::from(first >> 1)),
        1200,
        controller,
    );
    let t0 = Instant::now();
    let mut now = t0;
    let mut next_pn = [0u64; 3];
    // Packets sent and not yet reported: (space, pn) → bytes in flight (0 if not in flight).
    let mut outstanding: HashMap<(usize, u64), u64> = HashMap::new();

    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let space_i = usize::from(op >> 4) % 3;
        let space = Space::ALL[space_i];
        let mut reported: Vec<(usize, u64)> = Vec::new();
        match op & 0x0f {
            0..=4 => {
                let Some((&arg, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let pn = next_pn[space_i] + u64::from(arg >> 6);
                next_pn[space_i] = pn + 1;
                let (ack_eliciting, in_flight) = match op & 0x0f {
                    0..=2 => (true, true),
                    3 => (false, true),
                    _ => (false, false),
                };
                let size = u64::from(arg & 0x3f) * 25 + 1;
                rec.on_packet_sent(
                    space,
                    SentPacket {
                        pn,
                        time_sent: now,
                        size,
                        ack_eliciting,
                        in_flight,
                        frames: (space_i, pn),
                    },
                    now,
                );
                if rec.largest_sent(space) == Some(pn) {
                    outstanding.insert((space_i, pn), if in_flight { size } else { 0 });
                }
            }
            5 | 6 => {
                // An ACK payload: a length byte, then that many bytes of frames.
                let Some((&len, tail)) = rest.split_first() else {
                    break;
                };
                let len = usize::from(len).min(tail.len());
                let (payload, tail) = tail.split_at(len);
                rest = tail;
                for item in frame::parse(Bytes::copy_from_slice(payload), Level::OneRtt) {
                    let Ok(Frame::Ack(ack)) = item else {
                        if item.is_err() {
                            break;
                        }
                        continue;
                    };
                    let delay = Duration::from_micros(ack.delay.min(1 << 30) << 3);
                    let (mut acked, mut lost) = (Vec::new(), Vec::new());
                    let res = rec.on_ack_received(
                        space,
                        &ack,
                        delay,
                        now,
                        |p| acked.push(p.frames),
                        |p| lost.push(p.frames),
                    );
                    match res {
                        Ok(out) => {
                            assert_eq!(out.newly_acked, acked.len());
                            assert_eq!(out.lost, lost.len());
                        }
                        Err(e) => {
                            assert_eq!(e.code, Code::PROTOCOL_VIOLATION);
                            assert!(acked.is_empty() && lost.is_empty());
                        }
                    }
                    reported.append(&mut acked);
                    reported.append(&mut lost);
                }
            }
            7 | 8 => {
                let Some((&arg, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                now += Duration::from_millis(u64::from(arg) * 8);
            }
            9 | 10 => {
                if let Some(t) = rec.timeout() {
                    now = now.max(t);
                }
                if let Some(probe) = rec.on_timeout(now, |_, p| reported.push(p.frames)) {
                    assert!(probe.count == 1 || probe.count == 2);
                }
            }
            11 => rec.discard_space(space, |p| reported.push(p.frames)),
            12 => rec.set_handshake_confirmed(),
            13 => rec.set_peer_address_validated(),
            14 => rec.set_has_handshake_keys(),
            _ => rec.reset_for_retry(|_, p| reported.push(p.frames)),
        }
        for key in reported {
            assert!(
                outstanding.remove(&key).is_some(),
                "reported twice or never sent: {key:?}"
            );
        }
        let in_flight: u64 = outstanding.values().sum();
        // Forgotten records are never in flight, so the sums must agree exactly.
        assert_eq!(rec.bytes_in_flight(), in_flight);
        let _ = rec.pto();
        let _ = rec.congestion_available();
        let _ = rec.send_time(now, 1200);
    }
});
