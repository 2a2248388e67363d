#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use proptest::prelude::*;

use super::*;
use crate::frame::{self, Frame};
use crate::{Code, Level};

fn dg(n: usize, fill: u8) -> Bytes {
    Bytes::from(vec![fill; n])
}

fn enabled(config: DatagramConfig) -> Datagrams {
    let mut d = Datagrams::new(config);
    d.set_peer_max_frame_size(Some(65535));
    d
}

fn drain(d: &mut Datagrams) -> Vec<Bytes> {
    let mut buf = Vec::new();
    d.write(&mut buf, usize::MAX, 1200);
    if buf.is_empty() {
        return Vec::new();
    }
    frame::parse(Bytes::from(buf), Level::OneRtt)
        .map(|f| match f.unwrap() {
            Frame::Datagram(b) => b,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn default_config() {
    let c = DatagramConfig::default();
    assert_eq!(c.max_frame_size, Some(65535));
    assert_eq!((c.recv_queue, c.recv_bytes), (64, 256 * 1024));
    assert_eq!((c.send_queue, c.send_bytes), (64, 256 * 1024));
    assert_eq!(c.send_policy, DropPolicy::DropOldest);
}

#[test]
fn disabled_until_the_peer_advertises() {
    let mut d = Datagrams::new(DatagramConfig::default());
    assert_eq!(d.max_send_size(1200), None);
    assert_eq!(d.send(dg(1, 0), 1200), Err(DatagramError::Disabled));
    // 0 means no support too (RFC 9221 §3).
    d.set_peer_max_frame_size(Some(0));
    assert_eq!(d.send(dg(1, 0), 1200), Err(DatagramError::Disabled));
    d.set_peer_max_frame_size(Some(100));
    assert!(d.send(dg(1, 0), 1200).is_ok());
    assert!(d.has_pending());
}

#[test]
fn max_send_size_counts_type_and_length() {
    let mut d = Datagrams::new(DatagramConfig::default());
    // The peer's limit includes the type byte and the Length varint (RFC 9221 §3).
    d.set_peer_max_frame_size(Some(66));
    assert_eq!(d.max_send_size(1200), Some(63)); // 1 + 1 + 63 = 65; 64 needs 1 + 2 + 64
    d.set_peer_max_frame_size(Some(65));
    assert_eq!(d.max_send_size(1200), Some(63));
    d.set_peer_max_frame_size(Some(1200));
    assert_eq!(d.max_send_size(1200), Some(1197));
    // The packet's room limits too.
    assert_eq!(d.max_send_size(500), Some(497));
    assert_eq!(d.max_send_size(2), Some(0));
    assert_eq!(d.max_send_size(1), None);
    assert_eq!(d.max_send_size(0), None);
    d.set_peer_max_frame_size(Some(u64::MAX));
    assert_eq!(d.max_send_size(20_000), Some(20_000 - 5));
    // Whatever the limit, the frame of the largest payload fits exactly or by one.
    for limit in 2..20_000usize {
        let p = max_payload(limit).unwrap();
        let mut buf = Vec::new();
        let n = write_datagram(&mut buf, limit, &vec![0; p], true).unwrap();
        assert!(n <= limit);
        assert!(write_datagram(&mut Vec::new(), limit, &vec![0; p + 1], true).is_none());
    }
}

#[test]
fn too_large_is_refused() {
    let mut d = Datagrams::new(DatagramConfig::default());
    d.set_peer_max_frame_size(Some(100));
    // 1 + 2 + 97 = 100.
    assert_eq!(d.send(dg(97, 0), 1200), Ok(()));
    assert_eq!(
        d.send(dg(98, 0), 1200),
        Err(DatagramError::TooLarge { max: 97 })
    );
    assert_eq!(
        d.send(dg(50, 0), 40),
        Err(DatagramError::TooLarge { max: 38 })
    );
    assert_eq!(d.send(dg(0, 0), 1), Err(DatagramError::TooLarge { max: 0 }));
}

#[test]
fn drop_oldest_by_count_and_bytes() {
    let mut d = enabled(DatagramConfig {
        send_queue: 3,
        send_bytes: 1000,
        ..DatagramConfig::default()
    });
    for i in 0..5u8 {
        d.send(dg(10, i), 1200).unwrap();
    }
    assert_eq!(d.stats().dropped_send, 2);
    let got: Vec<u8> = drain(&mut d).iter().map(|b| b[0]).collect();
    assert_eq!(got, [2, 3, 4]);
    // Bytes: 400 + 400 then 400 drops the first.
    d.send(dg(400, 1), 1200).unwrap();
    d.send(dg(400, 2), 1200).unwrap();
    d.send(dg(400, 3), 1200).unwrap();
    assert_eq!(d.stats().dropped_send, 3);
    let got: Vec<u8> = drain(&mut d).iter().map(|b| b[0]).collect();
    assert_eq!(got, [2, 3]);
    // A datagram larger than the whole byte limit is refused outright.
    let mut d = enabled(DatagramConfig {
        send_bytes: 100,
        ..DatagramConfig::default()
    });
    d.send(dg(50, 0), 1200).unwrap();
    assert_eq!(d.send(dg(101, 0), 1200), Err(DatagramError::QueueFull));
    assert!(d.has_pending());
}

#[test]
fn refuse_policy() {
    let mut d = enabled(DatagramConfig {
        send_queue: 2,
        send_bytes: 100,
        send_policy: DropPolicy::Refuse,
        ..DatagramConfig::default()
    });
    d.send(dg(10, 0), 1200).unwrap();
    d.send(dg(10, 1), 1200).unwrap();
    assert_eq!(d.send(dg(10, 2), 1200), Err(DatagramError::QueueFull));
    let got: Vec<u8> = drain(&mut d).iter().map(|b| b[0]).collect();
    assert_eq!(got, [0, 1]);
    d.send(dg(60, 3), 1200).unwrap();
    assert_eq!(d.send(dg(41, 4), 1200), Err(DatagramError::QueueFull));
    d.send(dg(40, 5), 1200).unwrap();
    assert_eq!(d.stats().dropped_send, 0);
    // A zero-sized queue takes nothing.
    let mut d = enabled(DatagramConfig {
        send_queue: 0,
        ..DatagramConfig::default()
    });
    assert_eq!(d.send(dg(1, 0), 1200), Err(DatagramError::QueueFull));
}

#[test]
fn write_fits_room_in_order_and_drops_what_no_longer_fits() {
    let mut d = enabled(DatagramConfig::default());
    d.send(dg(60, 0), 1200).unwrap();
    d.send(dg(1000, 1), 1200).unwrap();
    d.send(dg(60, 2), 1200).unwrap();
    // Room for the first only (1 + 1 + 60 bytes), the second waits: order is kept.
    let mut buf = Vec::new();
    assert_eq!(d.write(&mut buf, 500, 1200), (62, 1));
    assert_eq!(buf.len(), 62);
    assert_eq!(buf[0], 0x31);
    // Nothing fits: nothing written.
    assert_eq!(d.write(&mut buf, 10, 1200), (0, 0));
    assert_eq!(buf.len(), 62);
    // The path shrank: the 1000-byte datagram can never be sent and is dropped.
    let mut buf = Vec::new();
    assert_eq!(d.write(&mut buf, 600, 600), (62, 1));
    assert_eq!(d.stats().dropped_too_large, 1);
    assert_eq!(d.stats().sent, 2);
    assert!(!d.has_pending());
    // Several frames in one call, each parseable.
    for i in 0..5 {
        d.send(dg(10, i), 1200).unwrap();
    }
    let mut buf = Vec::new();
    assert_eq!(d.write(&mut buf, 1200, 1200), (60, 5));
    let frames: Vec<Frame> = frame::parse(Bytes::from(buf), Level::OneRtt)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[4], Frame::Datagram(dg(10, 4)));
}

#[test]
fn receive_limits_and_errors() {
    let mut d = Datagrams::new(DatagramConfig {
        max_frame_size: Some(100),
        recv_queue: 2,
        recv_bytes: 140,
        ..DatagramConfig::default()
    });
    // With a Length field: 1 + 1 + 50.
    d.on_frame(dg(50, 0), 52).unwrap();
    d.on_frame(dg(50, 1), 52).unwrap();
    d.on_frame(dg(50, 2), 52).unwrap(); // count limit: drops 0
    assert_eq!(d.stats().dropped_recv, 1);
    d.on_frame(dg(97, 3), 98).unwrap(); // type 0x30, 98 bytes; bytes limit drops 1 and 2
    assert_eq!(d.stats().dropped_recv, 3);
    assert_eq!(d.recv().unwrap()[0], 3);
    assert_eq!(d.recv(), None);
    assert_eq!(d.stats().received, 4);
    // Larger than advertised: PROTOCOL_VIOLATION naming the frame type.
    let e = d.on_frame(dg(99, 0), 100 + 1).unwrap_err();
    assert_eq!(e.code, Code::PROTOCOL_VIOLATION);
    assert_eq!(e.frame_type, Some(0x31));
    let e = d.on_frame(dg(100, 0), 101).unwrap_err();
    assert_eq!(e.code, Code::PROTOCOL_VIOLATION);
    assert_eq!(e.frame_type, Some(0x30));
    // Exactly the advertised size is fine.
    d.on_frame(dg(99, 0), 100).unwrap();
    // A datagram larger than the whole receive byte limit is dropped, not an error.
    let mut d = Datagrams::new(DatagramConfig {
        recv_bytes: 10,
        ..DatagramConfig::default()
    });
    d.on_frame(dg(11, 0), 13).unwrap();
    assert_eq!(d.recv(), None);
    assert_eq!(d.stats().dropped_recv, 1);
}

#[test]
fn receive_when_not_advertised() {
    for max in [None, Some(0)] {
        let mut d = Datagrams::new(DatagramConfig {
            max_frame_size: max,
            ..DatagramConfig::default()
        });
        let e = d.on_frame(dg(5, 0), 7).unwrap_err();
        assert_eq!(e.code, Code::PROTOCOL_VIOLATION);
        assert_eq!(e.frame_type, Some(0x31));
        let e = d.on_frame(dg(5, 0), 6).unwrap_err();
        assert_eq!(e.frame_type, Some(0x30));
        assert_eq!(d.stats().received, 0);
    }
}

proptest! {
    #[test]
    fn queues_stay_bounded_and_ordered(
        ops in prop::collection::vec((any::<bool>(), 0..300usize), 0..200),
        refuse in any::<bool>(),
    ) {
        let config = DatagramConfig {
            max_frame_size: Some(400),
            recv_queue: 5,
            recv_bytes: 700,
            send_queue: 4,
            send_bytes: 600,
            send_policy: if refuse { DropPolicy::Refuse } else { DropPolicy::DropOldest },
        };
        let mut d = enabled(config);
        let mut last_sent = None;
        let mut last_recv = None;
        for (i, (send, len)) in ops.into_iter().enumerate() {
            let next = i as u32;
            let mut data = vec![0u8; len.max(4)];
            data[..4].copy_from_slice(&next.to_be_bytes());
            if send {
                let _ = d.send(Bytes::from(data), 1200);
            } else {
                d.on_frame(Bytes::from(data.clone()), data.len() + 3).unwrap();
            }
            prop_assert!(d.send.items.len() <= 4 && d.send.bytes <= 600);
            prop_assert!(d.recv.items.len() <= 5 && d.recv.bytes <= 700);
            if i % 7 == 0 {
                let mut buf = Vec::new();
                d.write(&mut buf, 500, 1200);
                let frames = if buf.is_empty() {
                    Vec::new()
                } else {
                    frame::parse(Bytes::from(buf), Level::OneRtt).collect()
                };
                for f in frames {
                    let Frame::Datagram(b) = f.unwrap() else { panic!() };
                    let n = u32::from_be_bytes(b[..4].try_into().unwrap());
                    prop_assert!(last_sent.is_none_or(|l| n > l));
                    last_sent = Some(n);
                }
                while let Some(b) = d.recv() {
                    let n = u32::from_be_bytes(b[..4].try_into().unwrap());
                    prop_assert!(last_recv.is_none_or(|l| n > l));
                    last_recv = Some(n);
                }
            }
        }
    }
}
