#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::many_single_char_names,
    clippy::items_after_statements,
    clippy::too_many_lines
)]

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::frame::{self, Frame};
use crate::{Code, Level, TransportError};

pub(super) const RTT: Duration = Duration::from_millis(50);

/// Hands a parsed frame to the table's `on_*` method.
pub(super) fn dispatch(t: &mut Streams, f: Frame) -> Result<(), TransportError> {
    match f {
        Frame::Stream(s) => t.on_stream(s),
        Frame::ResetStream(r) => t.on_reset_stream(r),
        Frame::StopSending {
            stream_id,
            error_code,
        } => t.on_stop_sending(stream_id, error_code),
        Frame::MaxData(m) => {
            t.on_max_data(m);
            Ok(())
        }
        Frame::MaxStreamData { stream_id, max } => t.on_max_stream_data(stream_id, max),
        Frame::MaxStreams { dir, max } => t.on_max_streams(dir, max),
        Frame::DataBlocked(l) => {
            t.on_data_blocked(l);
            Ok(())
        }
        Frame::StreamDataBlocked { stream_id, limit } => t.on_stream_data_blocked(stream_id, limit),
        Frame::StreamsBlocked { dir, limit } => t.on_streams_blocked(dir, limit),
        other => panic!("unexpected frame {other:?}"),
    }
}

/// One packet's worth of frames from `t`, or `None` when it has nothing to send.
pub(super) fn packet(t: &mut Streams, now: Instant, room: usize) -> Option<(Bytes, Vec<Sent>)> {
    let mut buf = Vec::new();
    let mut sent = Vec::new();
    let n = t.write_control(&mut buf, room, now, RTT, &mut sent);
    let m = t.write_stream_frames(&mut buf, room - n, &mut sent);
    assert_eq!(n + m, buf.len());
    assert!(buf.len() <= room);
    (!buf.is_empty()).then(|| (Bytes::from(buf), sent))
}

/// Parses a packet at 1-RTT and hands its frames to `to`.
pub(super) fn deliver(to: &mut Streams, payload: Bytes) -> Result<(), TransportError> {
    for f in frame::parse(payload, Level::OneRtt) {
        dispatch(to, f.unwrap())?;
    }
    Ok(())
}

/// Sends everything `from` has to `to` without loss, acknowledging each packet.
fn flush(from: &mut Streams, to: &mut Streams, now: Instant) {
    for _ in 0..10_000 {
        let Some((p, sent)) = packet(from, now, 1200) else {
            return;
        };
        deliver(to, p).unwrap();
        for s in &sent {
            from.on_acked(s);
        }
    }
    panic!("never ran out of frames");
}

fn flush_both(a: &mut Streams, b: &mut Streams, now: Instant) {
    for _ in 0..100 {
        flush(a, b, now);
        flush(b, a, now);
        if !a.has_pending() && !b.has_pending() {
            return;
        }
    }
    panic!("never settled");
}

fn params_of(t: &Streams) -> TransportParameters {
    let mut p = TransportParameters::default();
    t.fill_transport_params(&mut p);
    p
}

pub(super) fn pair_with(client: StreamsConfig, server: StreamsConfig) -> (Streams, Streams) {
    let mut c = Streams::new(Side::Client, client);
    let mut s = Streams::new(Side::Server, server);
    let (pc, ps) = (params_of(&c), params_of(&s));
    c.set_peer_params(&ps);
    s.set_peer_params(&pc);
    (c, s)
}

fn pair() -> (Streams, Streams) {
    pair_with(StreamsConfig::default(), StreamsConfig::default())
}

fn events(t: &mut Streams) -> Vec<StreamEvent> {
    std::iter::from_fn(|| t.poll_event()).collect()
}

fn sid(side: Side, dir: Dir, index: u64) -> StreamId {
    StreamId::new(side, dir, index).unwrap()
}

fn stream_frame(id: StreamId, offset: u64, data: &'static [u8], fin: bool) -> frame::Stream {
    frame::Stream {
        stream_id: id.get(),
        offset,
        data: Bytes::from_static(data),
        fin,
    }
}

fn read_all(t: &mut Streams, id: StreamId) -> (Vec<u8>, Read) {
    let mut out = Vec::new();
    loop {
        match t.read(id, usize::MAX).unwrap() {
            Read::Data(d) => out.extend_from_slice(&d),
            other => return (out, other),
        }
    }
}

fn err_code(r: Result<(), TransportError>) -> (Code, Option<u64>) {
    let e = r.unwrap_err();
    (e.code, e.frame_type)
}

#[test]
fn peer_streams_open_on_demand_with_lower_ids() {
    let (_, mut s) = pair();
    let id = sid(Side::Client, Dir::Bidi, 3);
    s.on_stream(stream_frame(id, 0, b"hi", false)).unwrap();
    let ev = events(&mut s);
    let opened: Vec<u64> = ev
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Opened { id } => Some(id.get()),
            _ => None,
        })
        .collect();
    assert_eq!(opened, [0, 4, 8, 12]);
    assert!(ev.contains(&StreamEvent::Readable { id }));
    assert_eq!(s.count(), 4);
    // Other frames open peer streams too (RFC 9000 §3.2).
    s.on_stream_data_blocked(sid(Side::Client, Dir::Uni, 1).get(), 0)
        .unwrap();
    s.on_max_stream_data(sid(Side::Client, Dir::Bidi, 4).get(), 10)
        .unwrap();
    s.on_stop_sending(sid(Side::Client, Dir::Bidi, 5).get(), 1)
        .unwrap();
    assert_eq!(s.count(), 4 + 2 + 2);
    let (data, _) = read_all(&mut s, id);
    assert_eq!(data, b"hi");
}

#[test]
fn stream_id_errors_carry_code_and_frame_type() {
    let (mut c, mut s) = pair();
    // Beyond our limit of 100 bidirectional streams.
    let over = sid(Side::Client, Dir::Bidi, 100);
    assert_eq!(
        err_code(s.on_stream(stream_frame(over, 0, b"x", false))),
        (Code::STREAM_LIMIT_ERROR, Some(0x0a))
    );
    assert_eq!(
        err_code(s.on_reset_stream(frame::ResetStream {
            stream_id: over.get(),
            error_code: 0,
            final_size: 0
        })),
        (Code::STREAM_LIMIT_ERROR, Some(0x04))
    );
    // Data on our own send-only stream.
    let ours_uni = sid(Side::Server, Dir::Uni, 0);
    assert_eq!(
        err_code(s.on_stream(stream_frame(ours_uni, 0, b"x", true))),
        (Code::STREAM_STATE_ERROR, Some(0x0b))
    );
    // A locally initiated stream not yet opened.
    let not_yet = sid(Side::Server, Dir::Bidi, 0);
    assert_eq!(
        err_code(s.on_stream(stream_frame(not_yet, 5, b"x", false))),
        (Code::STREAM_STATE_ERROR, Some(0x0e))
    );
    assert_eq!(
        err_code(s.on_stop_sending(not_yet.get(), 0)),
        (Code::STREAM_STATE_ERROR, Some(0x05))
    );
    assert_eq!(
        err_code(s.on_max_stream_data(not_yet.get(), 10)),
        (Code::STREAM_STATE_ERROR, Some(0x11))
    );
    // STOP_SENDING / MAX_STREAM_DATA for a stream we only receive on.
    let peer_uni = sid(Side::Client, Dir::Uni, 0);
    assert_eq!(
        err_code(s.on_stop_sending(peer_uni.get(), 0)),
        (Code::STREAM_STATE_ERROR, Some(0x05))
    );
    assert_eq!(
        err_code(s.on_max_stream_data(peer_uni.get(), 10)),
        (Code::STREAM_STATE_ERROR, Some(0x11))
    );
    // STREAM_DATA_BLOCKED / RESET_STREAM for our send-only stream.
    let c_uni = c.open(Dir::Uni).unwrap();
    assert_eq!(
        err_code(c.on_stream_data_blocked(c_uni.get(), 0)),
        (Code::STREAM_STATE_ERROR, Some(0x15))
    );
    assert_eq!(
        err_code(c.on_reset_stream(frame::ResetStream {
            stream_id: c_uni.get(),
            error_code: 0,
            final_size: 0
        })),
        (Code::STREAM_STATE_ERROR, Some(0x04))
    );
    // Counts above 2^60.
    assert_eq!(
        err_code(c.on_max_streams(frame::Dir::Uni, (1 << 60) + 1)),
        (Code::FRAME_ENCODING_ERROR, Some(0x13))
    );
    assert_eq!(
        err_code(c.on_streams_blocked(frame::Dir::Bidi, (1 << 60) + 1)),
        (Code::FRAME_ENCODING_ERROR, Some(0x16))
    );
    // API misuse is a StreamError, not a TransportError.
    s.on_stream_data_blocked(peer_uni.get(), 0).unwrap();
    assert_eq!(
        s.write(peer_uni, &Bytes::from_static(b"x")),
        Err(StreamError::WrongDirection(peer_uni))
    );
    assert_eq!(c.read(c_uni, 10), Err(StreamError::WrongDirection(c_uni)));
    let unknown = sid(Side::Client, Dir::Bidi, 50);
    assert_eq!(c.finish(unknown), Err(StreamError::Unknown(unknown)));
}

#[test]
fn flow_control_errors_per_stream_and_connection() {
    let small = StreamsConfig {
        stream_window: 100,
        max_stream_window: 100,
        conn_window: 150,
        max_conn_window: 150,
        ..StreamsConfig::default()
    };
    let (_, mut s) = pair_with(StreamsConfig::default(), small);
    let a = sid(Side::Client, Dir::Bidi, 0);
    let b = sid(Side::Client, Dir::Uni, 0);
    static HUNDRED: [u8; 100] = [7; 100];
    assert_eq!(
        err_code(s.on_stream(stream_frame(a, 1, &HUNDRED, false))),
        (Code::FLOW_CONTROL_ERROR, Some(0x0e))
    );
    let (_, mut s) = pair_with(StreamsConfig::default(), s.config.clone());
    s.on_stream(stream_frame(a, 0, &HUNDRED, false)).unwrap();
    s.on_stream(stream_frame(b, 0, &HUNDRED[..50], false))
        .unwrap();
    // The connection's 150 bytes are used up; one more byte is too many.
    assert_eq!(
        err_code(s.on_stream(stream_frame(b, 50, b"x", false))),
        (Code::FLOW_CONTROL_ERROR, Some(0x0e))
    );
    // A reset's final size counts too.
    let (_, mut s) = pair_with(StreamsConfig::default(), s.config.clone());
    s.on_stream(stream_frame(a, 0, &HUNDRED, false)).unwrap();
    assert_eq!(
        err_code(s.on_reset_stream(frame::ResetStream {
            stream_id: b.get(),
            error_code: 0,
            final_size: 51
        })),
        (Code::FLOW_CONTROL_ERROR, Some(0x04))
    );
}

#[test]
fn final_size_errors() {
    let (_, mut s) = pair();
    let id = sid(Side::Client, Dir::Uni, 0);
    s.on_stream(stream_frame(id, 0, b"0123456789", true))
        .unwrap();
    assert_eq!(
        err_code(s.on_stream(stream_frame(id, 9, b"ab", false))),
        (Code::FINAL_SIZE_ERROR, Some(0x0e))
    );
    assert_eq!(
        err_code(s.on_stream(stream_frame(id, 0, b"01234", true))),
        (Code::FINAL_SIZE_ERROR, Some(0x0b))
    );
    assert_eq!(
        err_code(s.on_reset_stream(frame::ResetStream {
            stream_id: id.get(),
            error_code: 0,
            final_size: 11
        })),
        (Code::FINAL_SIZE_ERROR, Some(0x04))
    );
    let id = sid(Side::Client, Dir::Uni, 1);
    s.on_stream(stream_frame(id, 20, b"x", false)).unwrap();
    assert_eq!(
        err_code(s.on_reset_stream(frame::ResetStream {
            stream_id: id.get(),
            error_code: 0,
            final_size: 5
        })),
        (Code::FINAL_SIZE_ERROR, Some(0x04))
    );
}

#[test]
fn transfer_both_ways_and_streams_are_removed() {
    let now = Instant::now();
    let (mut c, mut s) = pair();
    let id = c.open(Dir::Bidi).unwrap();
    assert_eq!(c.write(id, &Bytes::from_static(b"ping")), Ok(4));
    c.finish(id).unwrap();
    assert_eq!(c.finish(id), Err(StreamError::Finished));
    assert_eq!(
        c.write(id, &Bytes::from_static(b"x")),
        Err(StreamError::Finished)
    );
    flush(&mut c, &mut s, now);
    assert_eq!(events(&mut c), [StreamEvent::Finished { id }]);
    assert_eq!(
        events(&mut s),
        [StreamEvent::Opened { id }, StreamEvent::Readable { id }]
    );
    assert_eq!(read_all(&mut s, id), (b"ping".to_vec(), Read::Finished));
    assert_eq!(s.count(), 1, "the server has not finished its side");
    s.write(id, &Bytes::from_static(b"pong")).unwrap();
    s.finish(id).unwrap();
    flush_both(&mut c, &mut s, now);
    assert_eq!(s.count(), 0);
    assert_eq!(read_all(&mut c, id), (b"pong".to_vec(), Read::Finished));
    assert_eq!(c.count(), 0);
    let _ = events(&mut s);
    // The closed ID is ignored, not re-opened.
    s.on_stream(stream_frame(id, 0, b"ping", true)).unwrap();
    s.on_stop_sending(id.get(), 3).unwrap();
    assert_eq!(s.count(), 0);
    assert_eq!(events(&mut s), []);
    assert_eq!(s.read(id, 1), Err(StreamError::Unknown(id)));
}

#[test]
fn max_streams_both_ways() {
    let now = Instant::now();
    let server = StreamsConfig {
        max_remote_bidi: 2,
        max_remote_uni: 0,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(StreamsConfig::default(), server);
    assert_eq!(c.open(Dir::Uni), None);
    let a = c.open(Dir::Bidi).unwrap();
    let b = c.open(Dir::Bidi).unwrap();
    assert_eq!(c.open(Dir::Bidi), None);
    assert_eq!(c.open(Dir::Bidi), None);
    // One STREAMS_BLOCKED per direction and limit.
    let (p, sent) = packet(&mut c, now, 1200).unwrap();
    assert_eq!(
        sent,
        [
            Sent::StreamsBlocked { dir: Dir::Bidi },
            Sent::StreamsBlocked { dir: Dir::Uni }
        ]
    );
    let frames: Vec<Frame> = frame::parse(p, Level::OneRtt).map(Result::unwrap).collect();
    assert_eq!(
        frames,
        [
            Frame::StreamsBlocked {
                dir: frame::Dir::Bidi,
                limit: 2
            },
            Frame::StreamsBlocked {
                dir: frame::Dir::Uni,
                limit: 0
            }
        ]
    );
    assert!(packet(&mut c, now, 1200).is_none());
    assert_eq!(c.open(Dir::Bidi), None);
    assert!(!c.has_pending());
    // Closing one of the two peer streams re-credits it (half of 2).
    for id in [a, b] {
        c.write(id, &Bytes::from_static(b"x")).unwrap();
        c.finish(id).unwrap();
    }
    flush(&mut c, &mut s, now);
    let _ = events(&mut s);
    read_all(&mut s, a);
    s.finish(a).unwrap();
    flush_both(&mut c, &mut s, now);
    assert_eq!(s.count(), 1);
    read_all(&mut c, a);
    assert!(events(&mut c).contains(&StreamEvent::Available { dir: Dir::Bidi }));
    let third = c.open(Dir::Bidi).unwrap();
    assert_eq!(third.index(), 2);
    assert_eq!(c.open(Dir::Bidi), None);
    // Beyond the new limit of 3 is still an error at the server.
    assert_eq!(
        err_code(s.on_stream(stream_frame(sid(Side::Client, Dir::Bidi, 3), 0, b"", true))),
        (Code::STREAM_LIMIT_ERROR, Some(0x0b))
    );
    s.on_stream(stream_frame(third, 0, b"", true)).unwrap();
}

#[test]
fn stream_flow_control_blocks_and_unblocks() {
    let now = Instant::now();
    let server = StreamsConfig {
        stream_window: 1000,
        max_stream_window: 1000,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(StreamsConfig::default(), server);
    let id = c.open(Dir::Uni).unwrap();
    let data = Bytes::from(vec![1u8; 3000]);
    assert_eq!(c.write(id, &data), Ok(1000));
    assert_eq!(c.write(id, &data.slice(1000..)), Ok(0));
    let mut sent = Vec::new();
    let mut buf = Vec::new();
    c.write_control(&mut buf, 1200, now, RTT, &mut sent);
    assert_eq!(sent, [Sent::StreamDataBlocked { id }]);
    let frames: Vec<Frame> = frame::parse(Bytes::from(buf), Level::OneRtt)
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        frames,
        [Frame::StreamDataBlocked {
            stream_id: id.get(),
            limit: 1000
        }]
    );
    // Once per limit.
    assert_eq!(c.write(id, &data.slice(1000..)), Ok(0));
    assert!(!c.has_pending_control());
    flush(&mut c, &mut s, now);
    let (got, _) = read_all(&mut s, id);
    assert_eq!(got.len(), 1000);
    flush(&mut s, &mut c, now);
    assert_eq!(events(&mut c), [StreamEvent::Writable { id }]);
    assert_eq!(c.write(id, &data.slice(1000..)), Ok(1000));
}

#[test]
fn connection_flow_control_blocks_and_unblocks() {
    let now = Instant::now();
    let server = StreamsConfig {
        conn_window: 1000,
        max_conn_window: 1000,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(StreamsConfig::default(), server);
    let a = c.open(Dir::Uni).unwrap();
    let b = c.open(Dir::Uni).unwrap();
    let data = Bytes::from(vec![2u8; 700]);
    assert_eq!(c.write(a, &data), Ok(700));
    assert_eq!(c.write(b, &data), Ok(300));
    assert_eq!(c.write(a, &data), Ok(0));
    let (p, sent) = packet(&mut c, now, 1200).unwrap();
    assert_eq!(sent[0], Sent::DataBlocked);
    assert_eq!(
        frame::parse(p.clone(), Level::OneRtt)
            .next()
            .unwrap()
            .unwrap(),
        Frame::DataBlocked(1000)
    );
    deliver(&mut s, p).unwrap();
    for s2 in &sent {
        c.on_acked(s2);
    }
    flush(&mut c, &mut s, now);
    assert!(!c.has_pending());
    let _ = events(&mut s);
    read_all(&mut s, a);
    flush(&mut s, &mut c, now);
    let ev = events(&mut c);
    assert!(ev.contains(&StreamEvent::Writable { id: a }));
    assert!(ev.contains(&StreamEvent::Writable { id: b }));
    assert_eq!(c.write(b, &data.slice(300..)), Ok(400));
}

#[test]
fn windows_auto_tune_when_read_fast() {
    let t0 = Instant::now();
    let server = StreamsConfig {
        stream_window: 1000,
        max_stream_window: 8000,
        conn_window: 2000,
        max_conn_window: 16000,
        send_buffer: 100_000,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(StreamsConfig::default(), server);
    let id = c.open(Dir::Uni).unwrap();
    let data = Bytes::from(vec![3u8; 100_000]);
    let mut at = 0;
    let mut got = 0;
    for step in 0..1000u64 {
        // Each round trip well within two RTTs: the windows double.
        let now = t0 + Duration::from_millis(step);
        at += c.write(id, &data.slice(at..)).unwrap();
        flush(&mut c, &mut s, now);
        got += read_all(&mut s, id).0.len();
        flush(&mut s, &mut c, now);
        if at == data.len() {
            break;
        }
    }
    assert_eq!(at, data.len());
    assert_eq!(s.stream_window(id), Some(8000));
    assert_eq!(s.conn_window(), 16000);
    flush(&mut c, &mut s, t0);
    got += read_all(&mut s, id).0.len();
    assert_eq!(got, data.len());
}

#[test]
fn stop_sending_is_answered_with_reset_stream() {
    let now = Instant::now();
    let (mut c, mut s) = pair();
    let id = c.open(Dir::Bidi).unwrap();
    c.write(id, &Bytes::from(vec![0u8; 5000])).unwrap();
    flush(&mut c, &mut s, now);
    c.write(id, &Bytes::from(vec![0u8; 5000])).unwrap();
    let _ = events(&mut s);
    s.stop_sending(id, 42).unwrap();
    let (p, sent) = packet(&mut s, now, 1200).unwrap();
    assert_eq!(sent, [Sent::StopSending { id }]);
    deliver(&mut c, p).unwrap();
    assert_eq!(events(&mut c), [StreamEvent::Stopped { id, code: 42 }]);
    assert_eq!(
        c.write(id, &Bytes::from_static(b"x")),
        Err(StreamError::Stopped(42))
    );
    // The answer: RESET_STREAM with the peer's code and the final size sent (5000).
    let (p, sent) = packet(&mut c, now, 1200).unwrap();
    assert_eq!(sent, [Sent::ResetStream { id }]);
    assert_eq!(
        frame::parse(p.clone(), Level::OneRtt)
            .next()
            .unwrap()
            .unwrap(),
        Frame::ResetStream(frame::ResetStream {
            stream_id: id.get(),
            error_code: 42,
            final_size: 5000
        })
    );
    deliver(&mut s, p).unwrap();
    c.on_acked(&sent[0]);
    // The unsent 5000 bytes gave their connection credit back.
    assert_eq!(c.conn_send.used(), 5000);
    // The server stopped reading: no Reset event; its send half is still open.
    assert_eq!(events(&mut s), []);
    s.finish(id).unwrap();
    flush_both(&mut c, &mut s, now);
    assert_eq!(s.count(), 0);
    assert_eq!(read_all(&mut c, id), (Vec::new(), Read::Finished));
    assert_eq!(c.count(), 0);
}

#[test]
fn peer_reset_reaches_the_reader() {
    let now = Instant::now();
    let (mut c, mut s) = pair();
    let id = c.open(Dir::Uni).unwrap();
    c.write(id, &Bytes::from_static(b"abc")).unwrap();
    flush(&mut c, &mut s, now);
    c.reset(id, 7).unwrap();
    c.reset(id, 8).unwrap();
    assert_eq!(
        c.write(id, &Bytes::from_static(b"x")),
        Err(StreamError::Reset(7))
    );
    flush(&mut c, &mut s, now);
    assert_eq!(c.count(), 0);
    let ev = events(&mut s);
    assert!(ev.contains(&StreamEvent::Reset { id, code: 7 }));
    assert_eq!(s.read(id, 10), Ok(Read::Reset(7)));
    assert_eq!(s.count(), 0);
    // The three bytes never read went back to the connection window.
    assert_eq!(s.conn_recv.consumed(), 3);
}

#[test]
fn scheduler_orders_by_urgency_then_incremental_round_robin() {
    let now = Instant::now();
    let (mut c, _) = pair();
    let ids: Vec<StreamId> = (0..5).map(|_| c.open(Dir::Uni).unwrap()).collect();
    let data = Bytes::from(vec![9u8; 300]);
    for &id in &ids {
        c.write(id, &data).unwrap();
    }
    let seq = Priority {
        urgency: 3,
        incremental: false,
    };
    c.set_priority(ids[4], seq).unwrap();
    c.set_priority(ids[3], seq).unwrap();
    c.set_priority(
        ids[2],
        Priority {
            urgency: 1,
            incremental: true,
        },
    )
    .unwrap();
    c.set_priority(
        ids[1],
        Priority {
            urgency: 7,
            incremental: true,
        },
    )
    .unwrap();
    // 100-byte packets: each frame carries 97 bytes or less.
    let mut order = Vec::new();
    while let Some((_, sent)) = packet(&mut c, now, 100) {
        for s in sent {
            if let Sent::Stream { id, .. } = s {
                order.push(id.index());
            }
        }
    }
    // Each stream's data goes out whole before the next one's (frames of ~96 bytes;
    // packets are filled, so a stream's last bytes may share a packet with the next).
    order.dedup();
    // Urgency 1; urgency 3 sequential by ID, then incremental; urgency 7.
    assert_eq!(order, [2, 3, 4, 0, 1]);
    // Round-robin between incremental streams of one urgency, across packets.
    let (mut c, _) = pair();
    let ids: Vec<StreamId> = (0..3).map(|_| c.open(Dir::Uni).unwrap()).collect();
    for &id in &ids {
        c.write(id, &data).unwrap();
    }
    let mut order = Vec::new();
    while let Some((_, sent)) = packet(&mut c, now, 150) {
        for s in sent {
            if let Sent::Stream { id, .. } = s {
                order.push(id.index());
            }
        }
    }
    assert_eq!(&order[..6], [0, 1, 2, 0, 1, 2]);
}

#[test]
fn packets_are_filled() {
    let now = Instant::now();
    let (mut c, _) = pair();
    let ids: Vec<StreamId> = (0..10).map(|_| c.open(Dir::Uni).unwrap()).collect();
    for &id in &ids {
        c.write(id, &Bytes::from(vec![1u8; 50])).unwrap();
        c.finish(id).unwrap();
    }
    let (p, sent) = packet(&mut c, now, 200).unwrap();
    assert!(p.len() >= 196, "{}", p.len());
    assert!(sent.len() >= 4);
    let mut total = p.len();
    while let Some((p, _)) = packet(&mut c, now, 200) {
        total += p.len();
    }
    // 10 frames of 50 bytes with small headers.
    assert!(total < 10 * 55);
}

#[test]
fn lost_control_frames_are_resent_with_current_values() {
    let now = Instant::now();
    let small = StreamsConfig {
        stream_window: 100,
        max_stream_window: 100,
        conn_window: 200,
        max_conn_window: 200,
        max_remote_bidi: 1,
        max_remote_uni: 1,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(small.clone(), small);
    let payload = |t: &mut Streams| -> (Vec<Frame>, Vec<Sent>) {
        let (p, sent) = packet(t, now, 1200).unwrap();
        let frames = frame::parse(p, Level::OneRtt).map(Result::unwrap).collect();
        (frames, sent)
    };
    // MAX_DATA and MAX_STREAM_DATA: lost, then resent with the limit as it is then.
    let id = c.open(Dir::Uni).unwrap();
    c.write(id, &Bytes::from(vec![0u8; 100])).unwrap();
    flush(&mut c, &mut s, now);
    read_all(&mut s, id);
    let (frames, sent) = payload(&mut s);
    assert_eq!(
        frames,
        [
            Frame::MaxData(300),
            Frame::MaxStreamData {
                stream_id: id.get(),
                max: 200
            }
        ]
    );
    for x in &sent {
        s.on_lost(x);
    }
    let (frames, sent) = payload(&mut s);
    assert_eq!(sent, [Sent::MaxData, Sent::MaxStreamData { id }]);
    assert_eq!(frames[0], Frame::MaxData(300));
    for x in &sent {
        s.on_acked(x);
    }
    // A lost MAX_STREAM_DATA is not resent once the final size is known.
    c.write(id, &Bytes::from(vec![0u8; 50])).unwrap();
    c.set_peer_params(&params_of(&s));
    c.on_max_stream_data(id.get(), 200).unwrap();
    c.on_max_data(300);
    c.write(id, &Bytes::from(vec![0u8; 50])).unwrap();
    c.finish(id).unwrap();
    flush(&mut c, &mut s, now);
    read_all(&mut s, id);
    s.on_lost(&Sent::MaxStreamData { id });
    assert!(!s.pending.max_stream_data.contains(&id));

    // MAX_STREAMS: lost and resent.
    let (mut c, mut s) = pair_with(s.config.clone(), s.config.clone());
    let id = c.open(Dir::Uni).unwrap();
    c.finish(id).unwrap();
    flush(&mut c, &mut s, now);
    assert_eq!(read_all(&mut s, id).1, Read::Finished);
    let (frames, sent) = payload(&mut s);
    assert_eq!(
        frames,
        [Frame::MaxStreams {
            dir: frame::Dir::Uni,
            max: 2
        }]
    );
    s.on_lost(&sent[0]);
    assert_eq!(payload(&mut s).1, sent);

    // STREAMS_BLOCKED, DATA_BLOCKED, STREAM_DATA_BLOCKED: resent while still blocked.
    let (mut c, _) = pair_with(s.config.clone(), s.config.clone());
    let a = c.open(Dir::Uni).unwrap();
    assert_eq!(c.open(Dir::Uni), None);
    c.write(a, &Bytes::from(vec![0u8; 150])).unwrap();
    let (_, sent) = packet(&mut c, now, 1200).unwrap();
    let control: Vec<Sent> = sent
        .into_iter()
        .filter(|x| !matches!(x, Sent::Stream { .. }))
        .collect();
    assert_eq!(
        control,
        [
            Sent::StreamDataBlocked { id: a },
            Sent::StreamsBlocked { dir: Dir::Uni }
        ]
    );
    for x in &control {
        c.on_lost(x);
    }
    let (_, again) = packet(&mut c, now, 1200).unwrap();
    assert_eq!(again, control);
    c.on_max_stream_data(a.get(), 1000).unwrap();
    c.write(a, &Bytes::from(vec![0u8; 150])).unwrap();
    let (frames, sent) = payload(&mut c);
    assert_eq!(frames[0], Frame::DataBlocked(200));
    assert_eq!(sent[0], Sent::DataBlocked);
    c.on_lost(&sent[0]);
    assert_eq!(payload(&mut c).1, [Sent::DataBlocked]);
    // No longer blocked: a loss queues nothing.
    c.on_max_data(1000);
    c.on_max_streams(frame::Dir::Uni, 5).unwrap();
    c.on_lost(&Sent::DataBlocked);
    c.on_lost(&Sent::StreamsBlocked { dir: Dir::Uni });
    c.write(a, &Bytes::from(vec![0u8; 10])).unwrap();
    assert!(!c.has_pending_control());

    // RESET_STREAM and STOP_SENDING: lost and resent.
    let (mut c, mut s) = pair();
    let id = c.open(Dir::Bidi).unwrap();
    c.write(id, &Bytes::from_static(b"abc")).unwrap();
    flush(&mut c, &mut s, now);
    c.reset(id, 5).unwrap();
    s.stop_sending(id, 6).unwrap();
    let (frames, sent) = payload(&mut c);
    assert_eq!(
        frames,
        [Frame::ResetStream(frame::ResetStream {
            stream_id: id.get(),
            error_code: 5,
            final_size: 3
        })]
    );
    c.on_lost(&sent[0]);
    assert_eq!(payload(&mut c).1, sent);
    let (frames, sent) = payload(&mut s);
    assert_eq!(
        frames,
        [Frame::StopSending {
            stream_id: id.get(),
            error_code: 6
        }]
    );
    s.on_lost(&sent[0]);
    assert_eq!(payload(&mut s).1, sent);
    // Once the peer's reset arrived, a lost STOP_SENDING is not resent.
    s.on_reset_stream(frame::ResetStream {
        stream_id: id.get(),
        error_code: 5,
        final_size: 3,
    })
    .unwrap();
    s.on_lost(&sent[0]);
    assert!(!s.has_pending_control());
}

#[test]
fn lost_stream_data_is_resent_first() {
    let now = Instant::now();
    let (mut c, mut s) = pair();
    let id = c.open(Dir::Uni).unwrap();
    let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    c.write(id, &Bytes::from(data.clone())).unwrap();
    c.finish(id).unwrap();
    let (_, first) = packet(&mut c, now, 1200).unwrap();
    let (p2, second) = packet(&mut c, now, 1200).unwrap();
    deliver(&mut s, p2).unwrap();
    for x in &second {
        c.on_acked(x);
    }
    for x in &first {
        c.on_lost(x);
    }
    let (_, again) = packet(&mut c, now, 1200).unwrap();
    assert_eq!(again[0], first[0]);
    for x in &again {
        c.on_lost(x);
    }
    flush(&mut c, &mut s, now);
    assert_eq!(read_all(&mut s, id), (data, Read::Finished));
    assert_eq!(c.count(), 0);
    assert_eq!(s.count(), 0);
    assert!(events(&mut c).contains(&StreamEvent::Finished { id }));
}

#[test]
fn a_thousand_streams() {
    let now = Instant::now();
    let config = StreamsConfig {
        max_remote_bidi: 1000,
        max_remote_uni: 1000,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(config.clone(), config);
    let mut ids = Vec::new();
    for i in 0..1000u32 {
        let dir = if i % 2 == 0 { Dir::Bidi } else { Dir::Uni };
        let id = c.open(dir).unwrap();
        c.write(id, &Bytes::from(i.to_be_bytes().repeat(25)))
            .unwrap();
        c.finish(id).unwrap();
        ids.push((id, i));
    }
    assert_eq!(c.count(), 1000);
    flush(&mut c, &mut s, now);
    assert_eq!(s.count(), 1000);
    for &(id, i) in &ids {
        assert_eq!(
            read_all(&mut s, id),
            (i.to_be_bytes().repeat(25), Read::Finished)
        );
        if id.dir() == Dir::Bidi {
            s.finish(id).unwrap();
        }
    }
    flush_both(&mut c, &mut s, now);
    for &(id, _) in &ids {
        if id.dir() == Dir::Bidi {
            assert_eq!(read_all(&mut c, id).1, Read::Finished);
        }
    }
    assert_eq!(c.count(), 0);
    assert_eq!(s.count(), 0);
    // Every closed stream was credited back.
    assert_eq!(s.remote.bidi.max + s.remote.uni.max, 3000);
}

#[test]
fn peer_params_apply_to_the_right_streams() {
    // RFC 9000 §18.2: the sender's bidi_local is for streams the sender opens.
    let mut c = Streams::new(Side::Client, StreamsConfig::default());
    let server = TransportParameters {
        initial_max_data: 1000,
        initial_max_stream_data_bidi_local: 10,
        initial_max_stream_data_bidi_remote: 20,
        initial_max_stream_data_uni: 30,
        initial_max_streams_bidi: 5,
        initial_max_streams_uni: 5,
        ..TransportParameters::default()
    };
    assert_eq!(c.open(Dir::Bidi), None);
    c.set_peer_params(&server);
    assert_eq!(events(&mut c), [StreamEvent::Available { dir: Dir::Bidi }]);
    let data = Bytes::from(vec![0u8; 100]);
    let bidi = c.open(Dir::Bidi).unwrap();
    let uni = c.open(Dir::Uni).unwrap();
    assert_eq!(c.write(bidi, &data), Ok(20));
    assert_eq!(c.write(uni, &data), Ok(30));
    let theirs = sid(Side::Server, Dir::Bidi, 0);
    c.on_stream(stream_frame(theirs, 0, b"x", false)).unwrap();
    assert_eq!(c.write(theirs, &data), Ok(10));
    // Our parameters: the configured windows and limits.
    let mut ours = TransportParameters::default();
    c.fill_transport_params(&mut ours);
    assert_eq!(ours.initial_max_data, 4 << 20);
    assert_eq!(ours.initial_max_stream_data_uni, 1 << 20);
    assert_eq!(ours.initial_max_streams_bidi, 100);
}

#[test]
fn fragment_limit_is_a_flow_control_error() {
    let config = StreamsConfig {
        max_segments: 2,
        ..StreamsConfig::default()
    };
    let (_, mut s) = pair_with(StreamsConfig::default(), config);
    let id = sid(Side::Client, Dir::Uni, 0);
    s.on_stream(stream_frame(id, 10, b"a", false)).unwrap();
    s.on_stream(stream_frame(id, 20, b"b", false)).unwrap();
    assert_eq!(
        err_code(s.on_stream(stream_frame(id, 30, b"c", false))),
        (Code::FLOW_CONTROL_ERROR, Some(0x0e))
    );
}

#[test]
fn send_buffer_room_frees_on_ack() {
    let now = Instant::now();
    let config = StreamsConfig {
        send_buffer: 100,
        ..StreamsConfig::default()
    };
    let (mut c, mut s) = pair_with(config, StreamsConfig::default());
    let id = c.open(Dir::Uni).unwrap();
    let data = Bytes::from(vec![1u8; 150]);
    assert_eq!(c.write(id, &data), Ok(100));
    assert_eq!(c.write(id, &data), Ok(0));
    assert!(
        !c.has_pending_control(),
        "no BLOCKED frame for a full buffer"
    );
    let (p, sent) = packet(&mut c, now, 1200).unwrap();
    assert_eq!(events(&mut c), []);
    deliver(&mut s, p).unwrap();
    for x in &sent {
        c.on_acked(x);
    }
    assert_eq!(events(&mut c), [StreamEvent::Writable { id }]);
    assert_eq!(c.write(id, &data.slice(100..)), Ok(50));
    assert_eq!(Priority::default().urgency, 3);
    assert!(Priority::default().incremental);
}

#[test]
fn frames_for_closed_local_streams_are_ignored() {
    let now = Instant::now();
    let (mut c, mut s) = pair();
    let id = c.open(Dir::Uni).unwrap();
    c.write(id, &Bytes::from_static(b"bye")).unwrap();
    c.finish(id).unwrap();
    flush(&mut c, &mut s, now);
    assert_eq!(c.count(), 0);
    c.on_max_stream_data(id.get(), 1 << 30).unwrap();
    c.on_stop_sending(id.get(), 1).unwrap();
    assert_eq!(c.count(), 0);
    assert!(!c.has_pending());
    assert_eq!(events(&mut c), [StreamEvent::Finished { id }]);
    // The next one is still "not yet opened".
    let next = sid(Side::Client, Dir::Uni, 1);
    assert_eq!(
        err_code(c.on_max_stream_data(next.get(), 10)),
        (Code::STREAM_STATE_ERROR, Some(0x11))
    );
}
