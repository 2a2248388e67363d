//! HTTP/2 attacks played against a server machine (DESIGN.md §6), each checking the
//! defence named in `stator_h2::Limits`: Rapid Reset (CVE-2023-44487), the CONTINUATION
//! flood (2024), the HPACK bomb, the 2019 floods (SETTINGS, PING, empty DATA, PRIORITY and
//! WINDOW_UPDATE "glitches", reset floods; CVE-2019-9511 to 9518), flow-control overflow,
//! stream-id exhaustion and slowloris-style partial frames.
//!
//! Each attack is also played within its budget, where nothing may happen, so a limit
//! that fires too early fails as well as one that never fires.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::doc_markdown,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod scripted;

use std::time::Duration;

use stator_h2::frame::Frame;
use stator_h2::{Config, ErrorCode, Event, Limits};

use scripted::frames::{
    continuation, data, headers, ping, priority, raw, rst, settings, window_update,
};
use scripted::{Peer, fl, hpack, response_head, setting, sid, ty};

const CALM: ErrorCode = ErrorCode::ENHANCE_YOUR_CALM;

fn with_limits(f: impl FnOnce(&mut Limits)) -> Peer {
    let mut config = Config::default();
    f(&mut config.limits);
    Peer::server_handshake(config)
}

/// Opens stream `id` and resets it at once: one Rapid Reset round.
fn open_and_reset(p: &mut Peer, id: u32) {
    let mut wire = headers(id).request("GET", "/").wire_vec();
    wire.extend(rst(id, ErrorCode::CANCEL));
    p.send(wire);
}

trait WireVec {
    fn wire_vec(&self) -> Vec<u8>;
}

impl<T: scripted::Wire> WireVec for T {
    fn wire_vec(&self) -> Vec<u8> {
        self.wire()
    }
}

// ---------------------------------------------------------------------------------------
// Rapid Reset (CVE-2023-44487): Limits::reset_burst, reset_refill_per_sec

/// SEC-RR-1: streams opened and reset beyond `reset_burst` ⇒ GOAWAY ENHANCE_YOUR_CALM
#[test]
fn rapid_reset_beyond_budget() {
    let mut p = with_limits(|l| {
        l.reset_burst = 10;
        l.reset_refill_per_sec = 1;
    });
    for i in 0..10 {
        open_and_reset(&mut p, 2 * i + 1);
    }
    p.expect_alive();
    open_and_reset(&mut p, 21);
    p.expect_goaway(CALM);
}

/// SEC-RR-2: within the budget, with simulated time refilling it ⇒ nothing happens
#[test]
fn rapid_reset_within_budget_with_refill() {
    let mut p = with_limits(|l| {
        l.reset_burst = 10;
        l.reset_refill_per_sec = 10;
    });
    let mut id = 1;
    for _ in 0..5 {
        for _ in 0..10 {
            open_and_reset(&mut p, id);
            id += 2;
        }
        p.expect_alive();
        p.advance(Duration::from_secs(1));
    }
    // The bucket is full again (10); emptying it and one more is too many.
    for _ in 0..11 {
        open_and_reset(&mut p, id);
        id += 2;
    }
    p.expect_goaway(CALM);
}

/// SEC-RR-3: default limits tolerate 500 open-and-reset streams (a busy browser's cancellations)
#[test]
fn rapid_reset_default_budget_tolerates_normal_cancellation() {
    let mut p = Peer::server_handshake(Config::default());
    for i in 0..500 {
        open_and_reset(&mut p, 2 * i + 1);
    }
    p.expect_alive();
}

/// SEC-RR-4: streams reset before the application accepted them beyond `max_pending_accept_resets` ⇒ ENHANCE_YOUR_CALM
#[test]
fn rapid_reset_pending_accept_queue() {
    let mut config = Config::default();
    config.limits.max_pending_accept_resets = 5;
    let mut p = Peer::server_handshake(config);
    // The application reads nothing: every reset stream stays pending.
    let mut ok = true;
    for i in 0..50 {
        let mut wire = headers(2 * i + 1).request("GET", "/").wire_vec();
        wire.extend(rst(2 * i + 1, ErrorCode::CANCEL));
        ok &= p.feed(wire);
    }
    assert!(
        !ok,
        "50 pending reset streams with a limit of 5 were accepted"
    );
    p.pump();
    p.expect_goaway(CALM);
}

// ---------------------------------------------------------------------------------------
// CONTINUATION flood: Limits::max_continuation_frames, max_header_block_size

/// SEC-CF-1: more CONTINUATION frames than `max_continuation_frames` ⇒ ENHANCE_YOUR_CALM before the block ends
#[test]
fn continuation_flood_many_frames() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    for _ in 0..=Limits::default().max_continuation_frames {
        p.send(continuation(1, &[], false));
    }
    p.expect_goaway(CALM);
    p.expect_no_request(1);
}

/// SEC-CF-2: exactly `max_continuation_frames` CONTINUATIONs ⇒ the request is accepted
#[test]
fn continuation_within_budget() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    let n = Limits::default().max_continuation_frames;
    for i in 0..n {
        let field = hpack::literal(format!("x-{i}").as_bytes(), b"v");
        p.send(continuation(1, &field, i + 1 == n));
    }
    p.expect_request(1);
    p.expect_no_error();
}

/// SEC-CF-3: a block growing beyond `max_header_block_size` ⇒ ENHANCE_YOUR_CALM before the block ends
#[test]
fn continuation_flood_unbounded_block() {
    let mut p = with_limits(|l| l.max_continuation_frames = 10_000);
    let limit = Limits::default().max_header_block_size as usize;
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    let chunk = vec![b'a'; 16_000];
    let mut sent = 0;
    while p.error.is_none() && sent < 4 * limit {
        p.send(continuation(1, &chunk, false));
        sent += chunk.len();
    }
    assert!(
        sent <= limit + chunk.len(),
        "{sent} bytes buffered before the limit hit"
    );
    p.expect_goaway(CALM);
    p.expect_no_request(1);
}

// ---------------------------------------------------------------------------------------
// HPACK bomb: Limits::max_header_list_size

/// SEC-HB-1: a block referencing a 4 KB table entry 5,000 times (20 MB decoded) ⇒ refused, no request
#[test]
fn hpack_bomb() {
    let mut p = Peer::server_handshake(Config::default());
    let mut block = hpack::literal_indexed(b"x-bomb", &[b'b'; 4000]);
    for _ in 0..5000 {
        block.extend(hpack::indexed(62));
    }
    // 4 KB + 5,000 octets: one HEADERS frame.
    p.send(headers(1).request("GET", "/").block(&block).eos());
    p.expect_no_request(1);
    refused_or_closed(&mut p, 1);
    assert!(p.bytes_out < 1024, "the answer to a bomb is small");
}

/// The stream was refused (RST_STREAM, or a 431 response) or the connection closed with
/// an error: the documented reactions to a header list over the limit (RFC 9113 §10.5.1).
fn refused_or_closed(p: &mut Peer, stream: u32) {
    let rst = p
        .frames
        .iter()
        .any(|f| matches!(f, Frame::RstStream { stream_id, .. } if stream_id.get() == stream));
    let status = p
        .heads
        .iter()
        .find(|h| h.stream == stream)
        .map(scripted::HeaderList::status);
    let goaway = p.frames.iter().find_map(|f| match f {
        Frame::GoAway { code, .. } => Some(*code),
        _ => None,
    });
    match (rst, status, goaway) {
        (_, Some(s), None) => assert_eq!(s, 431),
        (true, None, None) => p.expect_alive(),
        (false, None, Some(code)) => assert!(
            [
                CALM,
                ErrorCode::COMPRESSION_ERROR,
                ErrorCode::PROTOCOL_ERROR
            ]
            .contains(&code),
            "{code:?}"
        ),
        other => panic!(
            "expected a refusal of stream {stream}, got {other:?}; frames {:?}",
            p.frames
        ),
    }
}

/// SEC-HB-2: one field just over `max_header_list_size` ⇒ refused; just under ⇒ accepted
#[test]
fn header_list_size_boundary() {
    let limit = Limits::default().max_header_list_size as usize;
    // Request pseudo-headers: 4 fields of 32 octets overhead plus names and values.
    let base: usize = [
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/"),
        (":authority", "example.com"),
    ]
    .iter()
    .map(|(n, v)| n.len() + v.len() + 32)
    .sum();
    let fits = limit - base - 32 - "x-big".len();
    let mut p = Peer::server_handshake(Config::default());
    let block = headers(1)
        .request("GET", "/")
        .field("x-big", &"v".repeat(fits))
        .eos()
        .block_bytes();
    p.send(raw(ty::HEADERS, fl::END_STREAM, 1, &block[..8000]));
    p.send(continuation(1, &block[8000..], true));
    p.expect_request(1);
    p.expect_no_error();
    let block = headers(3)
        .request("GET", "/")
        .field("x-big", &"v".repeat(fits + 1))
        .eos()
        .block_bytes();
    p.send(raw(ty::HEADERS, fl::END_STREAM, 3, &block[..8000]));
    p.send(continuation(3, &block[8000..], true));
    p.expect_no_request(3);
    refused_or_closed(&mut p, 3);
}

// ---------------------------------------------------------------------------------------
// SETTINGS and PING floods (CVE-2019-9512, 9515): Limits::max_pending_acks,
// max_settings_entries

/// SEC-SF-1: SETTINGS frames from a peer that never reads our ACKs ⇒ ENHANCE_YOUR_CALM past `max_pending_acks`
#[test]
fn settings_flood_unread_acks() {
    let mut p = with_limits(|l| l.max_pending_acks = 50);
    let mut accepted = 0;
    for _ in 0..1000 {
        if !p.feed(settings(&[(setting::MAX_CONCURRENT_STREAMS, 10)])) {
            break;
        }
        accepted += 1;
    }
    assert!(accepted <= 50, "{accepted} unread ACKs queued");
    p.pump();
    assert!(p.count_frames(ty::SETTINGS) <= 50);
    p.expect_goaway(CALM);
}

/// SEC-SF-2: a SETTINGS frame with more than `max_settings_entries` entries ⇒ ENHANCE_YOUR_CALM
#[test]
fn settings_flood_in_one_frame() {
    let mut p = Peer::server_handshake(Config::default());
    let entries = vec![(setting::MAX_CONCURRENT_STREAMS, 100); 33];
    p.send(settings(&entries));
    p.expect_goaway(CALM);
}

/// SEC-SF-3: 32 entries in one SETTINGS frame ⇒ accepted
#[test]
fn settings_entries_within_budget() {
    let mut p = Peer::server_handshake(Config::default());
    let entries = vec![(setting::MAX_CONCURRENT_STREAMS, 100); 32];
    p.send(settings(&entries));
    p.expect_settings_ack();
    p.expect_no_error();
}

/// SEC-PF-1: PINGs from a peer that never reads our ACKs ⇒ ENHANCE_YOUR_CALM past `max_pending_acks`
#[test]
fn ping_flood_unread_acks() {
    let mut p = with_limits(|l| l.max_pending_acks = 50);
    let mut accepted = 0;
    for i in 0u64..1000 {
        if !p.feed(ping(i.to_be_bytes())) {
            break;
        }
        accepted += 1;
    }
    assert!(accepted <= 50, "{accepted} unread ACKs queued");
    p.pump();
    assert!(p.count_frames(ty::PING) <= 50);
    p.expect_goaway(CALM);
}

/// SEC-PF-2: many PINGs from a peer that reads every ACK ⇒ all answered
#[test]
fn ping_flood_read_acks_is_fine() {
    let mut p = with_limits(|l| l.max_pending_acks = 50);
    for i in 0u64..2000 {
        p.send(ping(i.to_be_bytes()));
        p.expect_ping_ack(i.to_be_bytes());
    }
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// Empty DATA flood (CVE-2019-9518): Limits::max_empty_data_frames

/// SEC-ED-1: empty DATA frames beyond `max_empty_data_frames` ⇒ ENHANCE_YOUR_CALM; up to it ⇒ nothing
#[test]
fn empty_data_flood() {
    let mut p = with_limits(|l| l.max_empty_data_frames = 10);
    p.send(headers(1).request("POST", "/"));
    for _ in 0..10 {
        p.send(data(1, b""));
    }
    p.expect_alive();
    p.send(data(1, b""));
    p.expect_goaway(CALM);
}

/// SEC-ED-2: an empty DATA frame carrying END_STREAM is not counted
#[test]
fn empty_data_with_end_stream_not_counted() {
    let mut p = with_limits(|l| l.max_empty_data_frames = 3);
    for i in 0..20 {
        let id = 2 * i + 1;
        p.send(headers(id).request("POST", "/"));
        p.send(data(id, b"").eos());
    }
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// Glitches (CVE-2019-9511 to 9518): Limits::glitch_burst, glitch_refill_per_sec

/// SEC-GL-1: PRIORITY frames beyond `glitch_burst` ⇒ ENHANCE_YOUR_CALM; refilled by time
#[test]
fn priority_flood() {
    let mut p = with_limits(|l| {
        l.glitch_burst = 100;
        l.glitch_refill_per_sec = 10;
    });
    for i in 0..100 {
        p.send(priority(2 * i + 1, 0, false, 1));
    }
    p.expect_alive();
    p.advance(Duration::from_secs(10));
    for i in 0..100 {
        p.send(priority(2 * i + 1, 0, false, 1));
    }
    p.expect_alive();
    for i in 0..2 {
        p.send(priority(2 * i + 1, 0, false, 1));
    }
    p.expect_goaway(CALM);
}

/// A server with stream 1 finished both ways.
fn closed_stream(p: &mut Peer) {
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    p.conn
        .send_response(sid(1), &response_head(204), true)
        .unwrap();
    p.pump();
    p.frames.clear();
}

/// SEC-GL-2: tiny WINDOW_UPDATEs on a closed stream beyond `glitch_burst` ⇒ ENHANCE_YOUR_CALM
#[test]
fn window_update_flood_on_closed_stream() {
    let mut p = with_limits(|l| {
        l.glitch_burst = 100;
        l.glitch_refill_per_sec = 1;
    });
    closed_stream(&mut p);
    for _ in 0..1000 {
        p.send(window_update(1, 1));
        if p.error.is_some() {
            break;
        }
    }
    p.expect_goaway(CALM);
}

/// SEC-GL-3: zero-increment WINDOW_UPDATEs on a stream: the first is a stream error, the flood ⇒ ENHANCE_YOUR_CALM
#[test]
fn zero_window_update_flood() {
    let mut p = with_limits(|l| {
        l.glitch_burst = 100;
        l.glitch_refill_per_sec = 1;
        l.max_local_error_resets = 100;
    });
    p.send(headers(1).request("POST", "/"));
    p.send(window_update(1, 0));
    assert!(p.frames.iter().any(|f| matches!(
        f,
        Frame::RstStream {
            code: ErrorCode::PROTOCOL_ERROR,
            ..
        }
    )));
    for _ in 0..1000 {
        p.send(window_update(1, 0));
        if p.error.is_some() {
            break;
        }
    }
    p.expect_goaway(CALM);
}

/// SEC-GL-4: one-octet WINDOW_UPDATEs on the connection cost no output at all
#[test]
fn tiny_window_update_flood_no_amplification() {
    let mut p = Peer::server_handshake(Config::default());
    let before = p.bytes_out;
    let mut wire = Vec::new();
    for _ in 0..10_000 {
        wire.extend(window_update(0, 1));
    }
    p.send(wire);
    if p.error.is_some() {
        // A glitch budget may count them; then the answer is ENHANCE_YOUR_CALM.
        p.expect_goaway(CALM);
    } else {
        assert_eq!(p.bytes_out, before, "WINDOW_UPDATEs were answered");
    }
}

// ---------------------------------------------------------------------------------------
// Flow-control overflow

/// SEC-FC-1: WINDOW_UPDATEs summing beyond 2^31-1 on the connection ⇒ FLOW_CONTROL_ERROR
#[test]
fn window_update_overflow_connection() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(window_update(0, 0x4000_0000));
    p.expect_alive();
    p.send(window_update(0, 0x4000_0000));
    p.expect_goaway(ErrorCode::FLOW_CONTROL_ERROR);
}

/// SEC-FC-2: WINDOW_UPDATEs summing beyond 2^31-1 on a stream ⇒ RST_STREAM FLOW_CONTROL_ERROR
#[test]
fn window_update_overflow_stream() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(headers(1).request("POST", "/"));
    p.send(window_update(1, 0x4000_0000));
    p.send(window_update(1, 0x4000_0000));
    p.expect_rst(1, ErrorCode::FLOW_CONTROL_ERROR);
}

// ---------------------------------------------------------------------------------------
// Reset flood provoked by the peer (CVE-2019-9514): Limits::max_local_error_resets

/// SEC-LR-1: more malformed requests than `max_local_error_resets` ⇒ RST_STREAM each, then GOAWAY ENHANCE_YOUR_CALM
#[test]
fn local_error_reset_flood() {
    let mut p = with_limits(|l| l.max_local_error_resets = 10);
    for i in 0..10 {
        let id = 2 * i + 1;
        p.send(headers(id).request("GET", "/").field("Upper", "x").eos());
        p.expect_rst(id, ErrorCode::PROTOCOL_ERROR);
    }
    p.send(headers(21).request("GET", "/").field("Upper", "x").eos());
    p.expect_goaway(CALM);
}

/// SEC-LR-2: streams beyond `max_concurrent_streams` are refused (REFUSED_STREAM), never surfaced
#[test]
fn concurrent_stream_flood_refused() {
    let mut p = with_limits(|l| l.max_concurrent_streams = 5);
    for i in 0..20 {
        p.send(headers(2 * i + 1).request("POST", "/"));
    }
    let requests = p
        .events
        .iter()
        .filter(|e| matches!(e, Event::Request { .. }))
        .count();
    assert_eq!(requests, 5);
    let refused = p
        .frames
        .iter()
        .filter(|f| {
            matches!(
                f,
                Frame::RstStream {
                    code: ErrorCode::REFUSED_STREAM,
                    ..
                }
            )
        })
        .count();
    let closed = p.frames.iter().any(|f| matches!(f, Frame::GoAway { .. }));
    assert!(
        refused == 15 || closed,
        "refused {refused}, frames {:?}",
        p.frames
    );
}

// ---------------------------------------------------------------------------------------
// Stream-id exhaustion

/// SEC-ID-1: after the largest stream id no new stream can be opened ⇒ lower ids are PROTOCOL_ERROR
#[test]
fn stream_id_exhaustion_server() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(headers(0x7fff_ffff).request("GET", "/").eos());
    p.expect_request(0x7fff_ffff);
    p.send(headers(1).request("GET", "/").eos());
    p.expect_goaway(ErrorCode::PROTOCOL_ERROR);
}

// ---------------------------------------------------------------------------------------
// Slowloris-style partial frames

/// SEC-SL-1: a frame header announcing more than `max_frame_size` ⇒ FRAME_SIZE_ERROR at once, without waiting for the payload
#[test]
fn oversized_frame_header_rejected_before_payload() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(headers(1).request("POST", "/"));
    // Length 2^24-1, DATA, stream 1: only the 9-octet header is sent.
    p.send(vec![0xff, 0xff, 0xff, ty::DATA, 0, 0, 0, 0, 1]);
    p.expect_error(1, ErrorCode::FRAME_SIZE_ERROR);
}

/// SEC-SL-2: a frame of `max_frame_size` trickled one octet at a time over simulated hours ⇒ nothing until complete, then one DATA event
#[test]
fn trickled_frame() {
    let mut p = Peer::server_handshake(Config::default());
    p.send(headers(1).request("POST", "/"));
    p.take_events();
    let wire = data(1, &[b'x'; 16_384]).eos().wire_vec();
    let (head, last) = wire.split_at(wire.len() - 1);
    for (i, b) in head.iter().enumerate() {
        p.send(vec![*b]);
        if i % 1024 == 0 {
            p.advance(Duration::from_secs(60));
        }
    }
    assert!(
        p.events.is_empty(),
        "events before the frame completed: {:?}",
        p.events
    );
    assert!(
        p.frames
            .iter()
            .all(|f| matches!(f, Frame::WindowUpdate { .. } | Frame::Ping { .. }))
    );
    p.send(last.to_vec());
    let got: usize = p
        .take_events()
        .iter()
        .map(|e| match e {
            Event::Data { data, .. } => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(got, 16_384);
}

// ---------------------------------------------------------------------------------------
// More floods on closed streams and the HPACK table bound

/// SEC-GL-5: RST_STREAM frames on a closed stream beyond `glitch_burst` ⇒ ENHANCE_YOUR_CALM
#[test]
fn rst_stream_flood_on_closed_stream() {
    let mut p = with_limits(|l| {
        l.glitch_burst = 100;
        l.glitch_refill_per_sec = 1;
    });
    closed_stream(&mut p);
    for _ in 0..1000 {
        p.send(rst(1, ErrorCode::CANCEL));
        if p.error.is_some() {
            break;
        }
    }
    p.expect_goaway(CALM);
}

/// SEC-GL-6: DATA on a stream we reset (ignored, RFC 9113 §5.1) beyond `glitch_burst` ⇒ ENHANCE_YOUR_CALM
#[test]
fn data_flood_after_our_reset() {
    let mut p = with_limits(|l| {
        l.glitch_burst = 100;
        l.glitch_refill_per_sec = 1;
    });
    p.send(headers(1).request("POST", "/"));
    p.conn.send_reset(sid(1), ErrorCode::CANCEL).unwrap();
    p.pump();
    for _ in 0..1000 {
        p.send(data(1, b"x"));
        if p.error.is_some() {
            break;
        }
    }
    p.expect_goaway(CALM);
}

/// SEC-HT-1: a dynamic table size update above our `header_table_size` ⇒ COMPRESSION_ERROR (table memory bounded)
#[test]
fn hpack_table_bounded_by_setting() {
    let mut p = with_limits(|l| l.header_table_size = 256);
    p.send(
        headers(1)
            .block(&hpack::size_update(257))
            .request("GET", "/")
            .eos(),
    );
    p.expect_goaway(ErrorCode::COMPRESSION_ERROR);
}

/// SEC-HT-2: entries beyond our `header_table_size` are evicted, not kept
#[test]
fn hpack_table_evicts_within_setting() {
    let mut p = with_limits(|l| l.header_table_size = 256);
    // The encoder lowers its table to our setting first (RFC 7541 §4.2).
    let mut block = hpack::literal_indexed(b"x-a", &[b'a'; 200]);
    block.extend(hpack::literal_indexed(b"x-b", &[b'b'; 200]));
    p.send(
        headers(1)
            .block(&hpack::size_update(256))
            .request("GET", "/")
            .block(&block)
            .eos(),
    );
    p.expect_request(1);
    // x-a was evicted to make room for x-b: index 63 does not exist.
    p.send(
        headers(3)
            .request("GET", "/")
            .block(&hpack::indexed(63))
            .eos(),
    );
    p.expect_goaway(ErrorCode::COMPRESSION_ERROR);
}

/// SEC-LR-3: "MadeYouReset" (CVE-2025-8671): valid requests followed by a frame that makes us reset them (DATA on a half-closed stream, WINDOW_UPDATE 0) beyond `max_local_error_resets` ⇒ ENHANCE_YOUR_CALM
#[test]
fn made_you_reset() {
    let mut p = with_limits(|l| {
        l.max_local_error_resets = 20;
        l.reset_burst = 10_000;
    });
    let mut id = 1;
    for i in 0..20 {
        p.send(headers(id).request("GET", "/").eos());
        p.expect_request(id);
        if i % 2 == 0 {
            p.send(data(id, b"x"));
            p.expect_rst(id, ErrorCode::STREAM_CLOSED);
        } else {
            p.send(window_update(id, 0));
            p.expect_rst(id, ErrorCode::PROTOCOL_ERROR);
        }
        id += 2;
    }
    p.send(headers(id).request("GET", "/").eos());
    p.send(data(id, b"x"));
    p.expect_goaway(CALM);
}
