//! A stream table (RFC 9000 §2–§4) driven by arbitrary peer frames, application calls,
//! packet writing and acknowledgement or loss never panics, never writes past the room
//! it is given, and never holds more peer streams than it allows.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::frame::{self, ResetStream};
use stator_quic::stream::{Dir, Priority, StreamId, Streams, StreamsConfig};
use stator_quic::{Side, TransportParameters};

fuzz_target!(|data: &[u8]| {
    let config = StreamsConfig {
        max_remote_bidi: 4,
        max_remote_uni: 4,
        stream_window: 2000,
        max_stream_window: 8000,
        conn_window: 5000,
        max_conn_window: 20000,
        send_buffer: 3000,
        max_segments: 16,
    };
    let side = if data.first().is_some_and(|b| b & 1 == 1) {
        Side::Server
    } else {
        Side::Client
    };
    let mut t = Streams::new(side, config);
    let peer = TransportParameters {
        initial_max_data: 4000,
        initial_max_stream_data_bidi_local: 1000,
        initial_max_stream_data_bidi_remote: 1000,
        initial_max_stream_data_uni: 1000,
        initial_max_streams_bidi: 3,
        initial_max_streams_uni: 3,
        ..TransportParameters::default()
    };
    t.set_peer_params(&peer);
    let src = Bytes::from(vec![0x5au8; 4096]);
    let t0 = Instant::now();
    let mut sent = Vec::new();
    let mut buf = Vec::new();
    for (step, op) in data.chunks(5).enumerate() {
        let &[kind, a, b, c, d] = op else { break };
        let id = u64::from(a % 64);
        let sid = StreamId::from_u64(id).unwrap_or_else(|| unreachable!());
        let small = u64::from(u16::from_be_bytes([b, c]));
        let len = usize::from(d) * 8;
        let now = t0 + Duration::from_millis(step as u64);
        let _ = match kind % 20 {
            0..=2 => t
                .on_stream(frame::Stream {
                    stream_id: id,
                    offset: small,
                    data: src.slice(..len),
                    fin: kind & 0x80 != 0,
                })
                .map(drop),
            3 => t.on_reset_stream(ResetStream {
                stream_id: id,
                error_code: 1,
                final_size: small,
            }),
            4 => t.on_stop_sending(id, u64::from(b)),
            5 => t.on_max_stream_data(id, small),
            6 => {
                t.on_max_data(small);
                Ok(())
            }
            7 => t.on_max_streams(
                if b & 1 == 0 {
                    frame::Dir::Bidi
                } else {
                    frame::Dir::Uni
                },
                u64::from(c),
            ),
            8 => t.on_stream_data_blocked(id, small),
            9 => {
                let _ = t.open(if b & 1 == 0 { Dir::Bidi } else { Dir::Uni });
                Ok(())
            }
            10 | 11 => {
                let _ = t.write(sid, &src.slice(..len));
                Ok(())
            }
            12 => {
                let _ = t.finish(sid);
                let _ = t.reset(sid, u64::from(b));
                Ok(())
            }
            13 => {
                let _ = t.stop_sending(sid, u64::from(b));
                let _ = t.set_priority(
                    sid,
                    Priority {
                        urgency: c,
                        incremental: d & 1 == 0,
                    },
                );
                Ok(())
            }
            14 | 15 => {
                let _ = t.read(sid, len);
                Ok(())
            }
            16 => {
                buf.clear();
                let room = usize::from(b) * 4;
                let n = t.write_control(&mut buf, room, now, Duration::from_millis(20), &mut sent);
                let m = t.write_stream_frames(&mut buf, room.saturating_sub(n), &mut sent);
                assert!(n + m <= room && buf.len() == n + m);
                // What we write parses.
                for f in frame::parse(Bytes::from(buf.clone()), stator_quic::Level::OneRtt) {
                    assert!(f.is_ok() || buf.is_empty());
                }
                Ok(())
            }
            17 | 18 => {
                if !sent.is_empty() {
                    let s = sent.swap_remove(usize::from(b) % sent.len());
                    if kind % 20 == 17 {
                        t.on_acked(&s)
                    } else {
                        t.on_lost(&s)
                    }
                }
                Ok(())
            }
            _ => {
                while t.poll_event().is_some() {}
                Ok(())
            }
        };
        // Peer streams are bounded by the limits (re-credited as they close) plus ours.
        assert!(t.count() <= 4 * 64 + 6);
    }
});
