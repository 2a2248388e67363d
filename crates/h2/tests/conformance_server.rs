//! RFC 9113 / RFC 7541 / RFC 8441 conformance of the server role, one case per rule, in
//! the spirit of h2spec's server suite: a scripted client sends each violation byte by
//! byte and the case asserts the exact answer (GOAWAY with which code, RST_STREAM on which
//! stream with which code, or the request the application sees).
//!
//! Every case is listed with its id and result in docs/CONFORMANCE.md ("HTTP/2").
//! Each doc comment reads `ID §section: what is sent ⇒ what must happen`.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::doc_markdown,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod scripted;

use stator_h2::frame::PREFACE;
use stator_h2::{Config, ErrorCode, Event, FlowControl, Limits};
use stator_http::ext::Protocol;

use scripted::frames::{
    continuation, data, goaway, headers, ping, ping_ack, priority, raw, rst, settings,
    settings_ack, unknown, window_update,
};
use scripted::{Peer, Wire, fl, hpack, response_head, setting, sid, ty};

const PROTOCOL_ERROR: ErrorCode = ErrorCode::PROTOCOL_ERROR;
const FRAME_SIZE_ERROR: ErrorCode = ErrorCode::FRAME_SIZE_ERROR;
const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode::FLOW_CONTROL_ERROR;
const STREAM_CLOSED: ErrorCode = ErrorCode::STREAM_CLOSED;
const COMPRESSION_ERROR: ErrorCode = ErrorCode::COMPRESSION_ERROR;

/// A server after the handshake, default configuration.
fn hs() -> Peer {
    Peer::server_handshake(Config::default())
}

fn config_with(f: impl FnOnce(&mut Limits)) -> Config {
    let mut config = Config::default();
    f(&mut config.limits);
    config
}

/// The configuration with manual flow-control release.
fn manual(mut config: Config) -> Config {
    config.flow_control = FlowControl::Manual;
    config
}

/// A server with stream 1 open (request head without END_STREAM).
fn open1() -> Peer {
    let mut p = hs();
    p.send(headers(1).request("POST", "/"));
    p.expect_request(1);
    p
}

/// A server with stream 1 half-closed (remote): a GET with END_STREAM, not answered.
fn half_closed1() -> Peer {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    p
}

/// A server with stream 1 closed normally: request and response both ended.
fn closed1() -> Peer {
    let mut p = half_closed1();
    p.conn
        .send_response(sid(1), &response_head(204), true)
        .unwrap();
    p.pump();
    let head = p.expect_head(1);
    assert_eq!(head.status(), 204);
    assert!(head.end_stream);
    p
}

/// A malformed request (stream error PROTOCOL_ERROR, RFC 9113 §8.1.1) on stream 1.
fn malformed(fields: &[(&str, &str)]) {
    let mut p = hs();
    p.send(headers(1).fields(fields).eos());
    p.expect_rst(1, PROTOCOL_ERROR);
    p.expect_no_request(1);
}

/// A valid request with these extra fields must surface.
fn accepted(fields: &[(&str, &str)]) -> http::request::Parts {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").fields(fields).eos());
    let (head, _) = p.expect_request(1);
    p.expect_no_error();
    head
}

const GET: [(&str, &str); 4] = [
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/"),
    (":authority", "example.com"),
];

fn get_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut f = GET.to_vec();
    f.extend_from_slice(extra);
    f
}

// ---------------------------------------------------------------------------------------
// §3.4 Connection preface

/// S-3.4-1 §3.4: an invalid connection preface ⇒ connection PROTOCOL_ERROR (GOAWAY optional)
#[test]
fn s3_4_1_invalid_preface() {
    let mut p = Peer::server(Config::default());
    p.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".to_vec());
    assert_eq!(
        p.error.as_ref().map(stator_h2::Error::code),
        Some(PROTOCOL_ERROR)
    );
    if p.has_frame(ty::GOAWAY) {
        p.expect_goaway(PROTOCOL_ERROR);
    }
}

/// S-3.4-2 §3.4: an HTTP/1.1 request instead of the preface ⇒ connection PROTOCOL_ERROR
#[test]
fn s3_4_2_http1_request_instead_of_preface() {
    let mut p = Peer::server(Config::default());
    p.send(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".to_vec());
    assert_eq!(
        p.error.as_ref().map(stator_h2::Error::code),
        Some(PROTOCOL_ERROR)
    );
    p.expect_no_request(1);
}

/// S-3.4-3 §3.4: the preface followed by a frame other than SETTINGS ⇒ connection PROTOCOL_ERROR
#[test]
fn s3_4_3_preface_not_followed_by_settings() {
    let mut p = Peer::server(Config::default());
    let mut hello = PREFACE.to_vec();
    hello.extend(ping(*b"12345678"));
    p.send(hello);
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-3.4-4 §3.4: the preface and SETTINGS delivered one byte at a time ⇒ handshake completes
#[test]
fn s3_4_4_preface_byte_by_byte() {
    let mut p = Peer::server(Config::default());
    let mut hello = PREFACE.to_vec();
    hello.extend(settings(&[]));
    for b in hello {
        p.send(vec![b]);
    }
    p.expect_settings_ack();
    p.expect_alive();
}

/// S-3.4-5 §3.4: the server's first frame is SETTINGS, sent before the client's preface arrives
#[test]
fn s3_4_5_server_sends_settings_first() {
    let mut p = Peer::server(Config::default());
    match p.frames.pop_front() {
        Some(stator_h2::frame::Frame::Settings(s)) => assert!(!s.is_ack()),
        other => panic!("expected SETTINGS, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// §4.1 Frame format

/// S-4.1-1 §4.1: a frame of an unknown type ⇒ ignored
#[test]
fn s4_1_1_unknown_frame_type_ignored() {
    let mut p = hs();
    p.send(unknown(0, b"whatever"));
    p.expect_no_error();
}

/// S-4.1-2 §4.1: undefined flags on PING ⇒ ignored, PING answered
#[test]
fn s4_1_2_unknown_flags_ignored() {
    let mut p = hs();
    p.send(raw(ty::PING, 0x16 | 0xe0, 0, b"flagged!"));
    p.expect_ping_ack(*b"flagged!");
    p.expect_no_error();
}

/// S-4.1-3 §4.1: the reserved bit set in the stream identifier ⇒ ignored
#[test]
fn s4_1_3_reserved_bit_ignored() {
    let mut p = hs();
    let mut h = headers(1).request("GET", "/").eos().wire();
    h[5] |= 0x80;
    p.send(h);
    p.expect_request(1);
    p.expect_no_error();
}

/// S-4.1-4 §4.1: undefined flags on DATA and HEADERS ⇒ ignored
#[test]
fn s4_1_4_unknown_flags_on_headers_and_data() {
    let mut p = hs();
    p.send(raw(
        ty::HEADERS,
        fl::END_HEADERS | 0x02 | 0x10 | 0x40,
        1,
        &hpack::request("POST", "/"),
    ));
    p.expect_request(1);
    p.send(raw(
        ty::DATA,
        fl::END_STREAM | 0x02 | 0x04 | 0x20,
        1,
        b"body",
    ));
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §4.2 Frame size

/// S-4.2-1 §4.2: DATA larger than SETTINGS_MAX_FRAME_SIZE ⇒ FRAME_SIZE_ERROR
#[test]
fn s4_2_1_data_over_max_frame_size() {
    let mut p = open1();
    p.send(data(1, &vec![0; 16_385]));
    p.expect_error(1, FRAME_SIZE_ERROR);
}

/// S-4.2-2 §4.2: HEADERS larger than SETTINGS_MAX_FRAME_SIZE ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s4_2_2_headers_over_max_frame_size() {
    let mut p = hs();
    let big = "a".repeat(16_400);
    p.send(headers(1).request("GET", "/").field("x-big", &big).eos());
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-4.2-3 §4.2: DATA of exactly SETTINGS_MAX_FRAME_SIZE ⇒ accepted
#[test]
fn s4_2_3_data_at_max_frame_size() {
    let mut p = open1();
    p.send(data(1, &[7; 16_384]).eos());
    let got: usize = p
        .take_events()
        .iter()
        .map(|e| match e {
            Event::Data { data, .. } => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(got, 16_384);
    p.expect_no_error();
}

/// S-4.2-4 §4.2: a SETTINGS frame larger than SETTINGS_MAX_FRAME_SIZE ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s4_2_4_settings_over_max_frame_size() {
    let mut p = hs();
    p.send(raw(ty::SETTINGS, 0, 0, &vec![0; 16_386]));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

// ---------------------------------------------------------------------------------------
// §4.3 Field section compression

/// S-4.3-1 §4.3: a header block that cannot be decoded ⇒ connection COMPRESSION_ERROR
#[test]
fn s4_3_1_invalid_header_block() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").block(&[0x80]).eos());
    p.expect_goaway(COMPRESSION_ERROR);
}

/// S-4.3-2 §4.3: a header block interrupted by PING ⇒ connection PROTOCOL_ERROR
#[test]
fn s4_3_2_block_interrupted_by_ping() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(ping(*b"interrup"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-4.3-3 §4.3: a header block interrupted by HEADERS on another stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s4_3_3_block_interrupted_by_headers() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(headers(3).request("GET", "/").eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-4.3-4 §4.3: a header block interrupted by DATA on the same stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s4_3_4_block_interrupted_by_data() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/").no_end_headers());
    p.send(data(1, b"x"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-4.3-5 §4.3: a header block split over HEADERS and CONTINUATIONs (one empty) ⇒ one request
#[test]
fn s4_3_5_block_split_over_continuations() {
    let mut p = hs();
    let block = hpack::request("GET", "/split");
    let (a, b) = block.split_at(10);
    p.send(raw(ty::HEADERS, fl::END_STREAM, 1, &[]));
    p.send(continuation(1, a, false));
    p.send(continuation(1, b, true));
    let (head, end) = p.expect_request(1);
    assert_eq!(head.uri.path(), "/split");
    assert!(end);
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §5.1 Stream states

/// S-5.1-1 §5.1: DATA on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_1_idle_data() {
    let mut p = hs();
    p.send(data(1, b"x"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1-2 §5.1: RST_STREAM on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_2_idle_rst_stream() {
    let mut p = hs();
    p.send(rst(1, ErrorCode::CANCEL));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1-3 §5.1: WINDOW_UPDATE on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_3_idle_window_update() {
    let mut p = hs();
    p.send(window_update(1, 100));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1-4 §5.1: CONTINUATION on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_4_idle_continuation() {
    let mut p = hs();
    p.send(continuation(1, &hpack::request("GET", "/"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1-5 §5.1: PRIORITY on an idle stream ⇒ allowed
#[test]
fn s5_1_5_idle_priority_allowed() {
    let mut p = hs();
    p.send(priority(3, 0, false, 15));
    p.expect_no_error();
    p.send(headers(3).request("GET", "/").eos());
    p.expect_request(3);
}

/// S-5.1-6 §5.1: DATA on a half-closed (remote) stream ⇒ stream STREAM_CLOSED
#[test]
fn s5_1_6_half_closed_remote_data() {
    let mut p = half_closed1();
    p.send(data(1, b"late"));
    p.expect_rst(1, STREAM_CLOSED);
}

/// S-5.1-7 §5.1: HEADERS on a half-closed (remote) stream ⇒ stream STREAM_CLOSED
#[test]
fn s5_1_7_half_closed_remote_headers() {
    let mut p = half_closed1();
    p.send(headers(1).field("x-trailer", "1").eos());
    p.expect_rst(1, STREAM_CLOSED);
}

/// S-5.1-8 §5.1, §6.10: CONTINUATION on a half-closed (remote) stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_8_half_closed_remote_continuation() {
    let mut p = half_closed1();
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1-9 §5.1: WINDOW_UPDATE, PRIORITY and RST_STREAM on a half-closed (remote) stream ⇒ allowed
#[test]
fn s5_1_9_half_closed_remote_allowed_frames() {
    let mut p = half_closed1();
    p.send(window_update(1, 1000));
    p.send(priority(1, 0, false, 200));
    p.expect_no_error();
    p.send(rst(1, ErrorCode::CANCEL));
    p.expect_no_error();
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::Reset { stream, code: ErrorCode::CANCEL, remote: true } if stream.get() == 1
    )));
}

/// S-5.1-10 §5.1, §6.1: DATA on a stream the peer reset ⇒ STREAM_CLOSED
#[test]
fn s5_1_10_closed_by_peer_reset_data() {
    let mut p = open1();
    p.send(rst(1, ErrorCode::CANCEL));
    p.send(data(1, b"x"));
    p.expect_error(1, STREAM_CLOSED);
}

/// S-5.1-11 §5.1: HEADERS on a stream the peer reset ⇒ STREAM_CLOSED
#[test]
fn s5_1_11_closed_by_peer_reset_headers() {
    let mut p = open1();
    p.send(rst(1, ErrorCode::CANCEL));
    p.send(headers(1).field("x-trailer", "1").eos());
    p.expect_error(1, STREAM_CLOSED);
}

/// S-5.1-12 §5.1, §6.1: DATA on a stream closed by END_STREAM both ways ⇒ STREAM_CLOSED
#[test]
fn s5_1_12_closed_data() {
    let mut p = closed1();
    p.send(data(1, b"x"));
    p.expect_error(1, STREAM_CLOSED);
}

/// S-5.1-13 §5.1: HEADERS on a stream closed by END_STREAM both ways ⇒ STREAM_CLOSED
#[test]
fn s5_1_13_closed_headers() {
    let mut p = closed1();
    p.send(headers(1).field("x-trailer", "1").eos());
    p.expect_error(1, STREAM_CLOSED);
}

/// S-5.1-14 §5.1, §6.10: CONTINUATION on a closed stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_14_closed_continuation() {
    let mut p = closed1();
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1-15 §5.1: PRIORITY, WINDOW_UPDATE and RST_STREAM just after the stream closed ⇒ ignored
#[test]
fn s5_1_15_closed_allowed_frames() {
    let mut p = closed1();
    p.send(priority(1, 0, false, 3));
    p.send(window_update(1, 10));
    p.send(rst(1, ErrorCode::CANCEL));
    p.expect_no_error();
}

/// S-5.1-16 §5.1: frames on a stream we reset ⇒ discarded, no error
#[test]
fn s5_1_16_frames_after_our_reset_ignored() {
    let mut p = open1();
    p.conn.send_reset(sid(1), ErrorCode::CANCEL).unwrap();
    p.pump();
    p.send(data(1, b"in flight"));
    p.send(headers(1).field("x-trailer", "1").eos());
    p.send(window_update(1, 5));
    // Only our own CANCEL is on the wire.
    let resets: Vec<_> = p
        .frames
        .iter()
        .filter_map(|f| match f {
            stator_h2::frame::Frame::RstStream { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    assert_eq!(resets, [ErrorCode::CANCEL]);
    p.frames.clear();
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §5.1.1 Stream identifiers

/// S-5.1.1-1 §5.1.1: a client opens an even-numbered stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_1_1_even_stream_id() {
    let mut p = hs();
    p.send(headers(2).request("GET", "/").eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1.1-2 §5.1.1: a stream id lower than one already opened ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_1_2_decreasing_stream_id() {
    let mut p = hs();
    p.send(headers(5).request("GET", "/").eos());
    p.expect_request(5);
    p.send(headers(3).request("GET", "/").eos());
    assert_eq!(p.expect_goaway(PROTOCOL_ERROR), 5);
}

/// S-5.1.1-3 §5.1.1: skipping stream ids is allowed; the skipped ids are closed
#[test]
fn s5_1_1_3_skipped_ids() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos());
    p.send(headers(7).request("GET", "/").eos());
    p.expect_request(1);
    p.expect_request(7);
    p.expect_no_error();
    p.send(headers(5).request("GET", "/").eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.1.1-4 §5.1.1: the largest stream id, 2^31-1, is usable
#[test]
fn s5_1_1_4_largest_stream_id() {
    let mut p = hs();
    p.send(headers(0x7fff_ffff).request("GET", "/").eos());
    p.expect_request(0x7fff_ffff);
    p.conn
        .send_response(sid(0x7fff_ffff), &response_head(200), true)
        .unwrap();
    p.pump();
    assert_eq!(p.expect_head(0x7fff_ffff).status(), 200);
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §5.1.2 Stream concurrency

/// S-5.1.2-1 §5.1.2: a stream beyond SETTINGS_MAX_CONCURRENT_STREAMS ⇒ stream REFUSED_STREAM (or PROTOCOL_ERROR)
#[test]
fn s5_1_2_1_beyond_max_concurrent_streams() {
    let mut p = Peer::server_handshake(config_with(|l| l.max_concurrent_streams = 2));
    p.send(headers(1).request("POST", "/"));
    p.send(headers(3).request("POST", "/"));
    p.send(headers(5).request("POST", "/"));
    p.expect_request(1);
    p.expect_request(3);
    p.expect_no_request(5);
    let code = p
        .frames
        .iter()
        .find_map(|f| match f {
            stator_h2::frame::Frame::RstStream { stream_id, code } if stream_id.get() == 5 => {
                Some(*code)
            }
            _ => None,
        })
        .expect("RST_STREAM on stream 5");
    assert!(
        code == ErrorCode::REFUSED_STREAM || code == PROTOCOL_ERROR,
        "{code:?}"
    );
    p.frames.clear();
    p.expect_alive();
}

/// S-5.1.2-2 §5.1.2: a closed stream frees a slot for a new one
#[test]
fn s5_1_2_2_closed_stream_frees_a_slot() {
    let mut p = Peer::server_handshake(config_with(|l| l.max_concurrent_streams = 1));
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    p.conn
        .send_response(sid(1), &response_head(200), true)
        .unwrap();
    p.pump();
    p.send(headers(3).request("GET", "/").eos());
    p.expect_request(3);
    p.expect_no_error();
}

/// S-5.1.2-3 §6.5.2: the advertised SETTINGS_MAX_CONCURRENT_STREAMS is the configured limit
#[test]
fn s5_1_2_3_max_concurrent_streams_advertised() {
    let mut p = Peer::server(config_with(|l| l.max_concurrent_streams = 7));
    match p.frames.pop_front() {
        Some(stator_h2::frame::Frame::Settings(s)) => {
            let v = s
                .iter()
                .find(|e| e.id.0 == setting::MAX_CONCURRENT_STREAMS)
                .map(|e| e.value);
            assert_eq!(v, Some(7));
        }
        other => panic!("expected SETTINGS, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// §5.3 Priority

/// S-5.3.1-1 §5.3.1: HEADERS depending on its own stream ⇒ stream PROTOCOL_ERROR
#[test]
fn s5_3_1_1_headers_self_dependency() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").priority(1, false, 16).eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-5.3.1-2 §5.3.1: PRIORITY depending on its own stream ⇒ stream PROTOCOL_ERROR
#[test]
fn s5_3_1_2_priority_self_dependency() {
    let mut p = open1();
    p.send(priority(1, 1, false, 16));
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-5.3-3 §5.3.2: a dependency on a stream that does not exist ⇒ no error
#[test]
fn s5_3_3_dependency_on_unknown_stream() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").priority(99, true, 255).eos());
    p.expect_request(1);
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §5.4 Error handling

/// S-5.4.1-1 §5.4.1: a connection error ⇒ GOAWAY with the last processed stream, then nothing more
#[test]
fn s5_4_1_1_goaway_then_close() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    p.send(headers(2).request("GET", "/").eos());
    assert_eq!(p.expect_goaway(PROTOCOL_ERROR), 1);
    // Later input is ignored: no PING answer, the same error again.
    p.frames.clear();
    let again = p.conn.recv(p.now, &ping(*b"ignored!"));
    assert_eq!(again.map_err(|e| e.code()), Err(PROTOCOL_ERROR));
    p.pump();
    assert!(
        !p.has_frame(ty::PING),
        "a closed connection answered a PING"
    );
}

/// S-5.4.1-2 §5.4.1: a connection error is reported as Event::Closed carrying the error
#[test]
fn s5_4_1_2_closed_event() {
    let mut p = hs();
    p.send(data(0, b"x"));
    p.expect_goaway(PROTOCOL_ERROR);
    let closed = p.take_events().into_iter().find_map(|e| match e {
        Event::Closed { error } => Some(error),
        _ => None,
    });
    assert_eq!(
        closed.flatten().map(|e| e.code()),
        Some(PROTOCOL_ERROR),
        "Event::Closed with the error"
    );
    assert!(p.conn.is_closed());
}

/// S-5.4.2-1 §5.4.2: a stream error leaves other streams and the connection working
#[test]
fn s5_4_2_1_stream_error_is_local() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/"));
    p.send(headers(3).request("GET", "/").field("Bad", "x").eos());
    p.expect_rst(3, PROTOCOL_ERROR);
    p.send(data(1, b"ok").eos());
    p.conn
        .send_response(sid(1), &response_head(200), true)
        .unwrap();
    p.pump();
    assert_eq!(p.expect_head(1).status(), 200);
}

// ---------------------------------------------------------------------------------------
// §5.5 Extending HTTP/2

/// S-5.5-1 §5.5: an unknown frame type on an open stream ⇒ ignored
#[test]
fn s5_5_1_unknown_frame_on_stream() {
    let mut p = open1();
    p.send(unknown(1, b"extension"));
    p.expect_no_error();
}

/// S-5.5-2 §5.5, §6.10: an unknown frame inside a header block ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_5_2_unknown_frame_inside_header_block() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(unknown(1, b"in between"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-5.5-3 §5.5: an unknown frame on an idle stream ⇒ ignored
#[test]
fn s5_5_3_unknown_frame_on_idle_stream() {
    let mut p = hs();
    p.send(unknown(11, b""));
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §6.1 DATA

/// S-6.1-1 §6.1: DATA on stream 0 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_1_1_data_stream_zero() {
    let mut p = hs();
    p.send(data(0, b"x"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.1-2 §6.1: padded DATA on a half-closed (remote) stream ⇒ stream STREAM_CLOSED
#[test]
fn s6_1_2_data_half_closed_remote() {
    let mut p = half_closed1();
    p.send(data(1, b"x").padded(4));
    p.expect_rst(1, STREAM_CLOSED);
}

/// S-6.1-3 §6.1: padding as long as the payload ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_1_3_data_padding_too_long() {
    let mut p = open1();
    // Payload of 6 octets, Pad Length 6: the padding would not fit.
    p.send(raw(
        ty::DATA,
        fl::PADDED,
        1,
        &[6, b'a', b'b', b'c', b'd', b'e'],
    ));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.1-4 §6.1: padded DATA ⇒ the data without padding
#[test]
fn s6_1_4_padded_data() {
    let mut p = open1();
    p.send(data(1, b"payload").padded(10).eos());
    let got: Vec<_> = p
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Data {
                data, end_stream, ..
            } => Some((data, end_stream)),
            _ => None,
        })
        .collect();
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].0[..], b"payload");
    assert!(got[0].1);
    p.expect_no_error();
}

/// S-6.1-5 §6.1: a DATA frame too short to hold its Pad Length ⇒ FRAME_SIZE_ERROR
#[test]
fn s6_1_5_data_padded_empty() {
    let mut p = open1();
    p.send(raw(ty::DATA, fl::PADDED, 1, &[]));
    p.expect_error(1, FRAME_SIZE_ERROR);
}

// ---------------------------------------------------------------------------------------
// §6.2 HEADERS

/// S-6.2-1 §6.2: HEADERS on stream 0 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_2_1_headers_stream_zero() {
    let mut p = hs();
    p.send(headers(0).request("GET", "/").eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.2-2 §6.2: HEADERS padding longer than the payload ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_2_2_headers_padding_too_long() {
    let mut p = hs();
    let block = hpack::request("GET", "/");
    let mut payload = vec![(block.len() + 1) as u8];
    payload.extend(&block);
    p.send(raw(
        ty::HEADERS,
        fl::PADDED | fl::END_HEADERS | fl::END_STREAM,
        1,
        &payload,
    ));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.2-3 §6.2: HEADERS then CONTINUATION on another stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_2_3_continuation_on_other_stream() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(continuation(3, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.2-4 §6.2: END_STREAM on HEADERS without END_HEADERS ⇒ stream ends after the CONTINUATION
#[test]
fn s6_2_4_end_stream_with_continuation() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    let (head, end) = p.expect_request(1);
    assert!(end);
    assert_eq!(head.headers["x-a"], "1");
    p.expect_no_error();
}

/// S-6.2-5 §6.2, §8.1: trailers with END_STREAM after DATA ⇒ Event::Trailers
#[test]
fn s6_2_5_trailers() {
    let mut p = open1();
    p.send(data(1, b"body"));
    p.send(headers(1).field("x-checksum", "abc").eos());
    let trailers = p.take_events().into_iter().find_map(|e| match e {
        Event::Trailers { trailers, .. } => Some(trailers),
        _ => None,
    });
    assert_eq!(trailers.unwrap()["x-checksum"], "abc");
    p.expect_no_error();
}

/// S-6.2-6 §6.2: padded HEADERS with priority fields ⇒ the request
#[test]
fn s6_2_6_padded_headers_with_priority() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/p")
            .padded(16)
            .priority(0, false, 7)
            .eos(),
    );
    let (head, _) = p.expect_request(1);
    assert_eq!(head.uri.path(), "/p");
    p.expect_no_error();
}

/// S-6.2-7 §6.2: HEADERS with PRIORITY flag too short for the priority fields ⇒ FRAME_SIZE_ERROR
#[test]
fn s6_2_7_headers_priority_too_short() {
    let mut p = hs();
    p.send(raw(
        ty::HEADERS,
        fl::PRIORITY | fl::END_HEADERS,
        1,
        &[0, 0, 0],
    ));
    p.expect_error(1, FRAME_SIZE_ERROR);
}

// ---------------------------------------------------------------------------------------
// §6.3 PRIORITY

/// S-6.3-1 §6.3: PRIORITY on stream 0 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_3_1_priority_stream_zero() {
    let mut p = hs();
    p.send(priority(0, 1, false, 16));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.3-2 §6.3: PRIORITY of length 4 ⇒ stream FRAME_SIZE_ERROR
#[test]
fn s6_3_2_priority_wrong_length() {
    let mut p = open1();
    p.send(raw(ty::PRIORITY, 0, 1, &[0, 0, 0, 3]));
    p.expect_rst(1, FRAME_SIZE_ERROR);
}

/// S-6.3-3 §6.3: PRIORITY of length 6 on a half-closed (remote) stream ⇒ stream FRAME_SIZE_ERROR
#[test]
fn s6_3_3_priority_too_long() {
    let mut p = half_closed1();
    p.send(raw(ty::PRIORITY, 0, 1, &[0, 0, 0, 3, 16, 0]));
    p.expect_rst(1, FRAME_SIZE_ERROR);
}

// ---------------------------------------------------------------------------------------
// §6.4 RST_STREAM

/// S-6.4-1 §6.4: RST_STREAM on stream 0 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_4_1_rst_stream_zero() {
    let mut p = hs();
    p.send(rst(0, ErrorCode::CANCEL));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.4-2 §6.4: RST_STREAM on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_4_2_rst_idle() {
    let mut p = open1();
    p.send(rst(3, ErrorCode::CANCEL));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.4-3 §6.4: RST_STREAM of length 3 ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s6_4_3_rst_wrong_length() {
    let mut p = open1();
    p.send(raw(ty::RST_STREAM, 0, 1, &[0, 0, 8]));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-6.4-4 §6.4: RST_STREAM on an open stream ⇒ Event::Reset (remote), no answer
#[test]
fn s6_4_4_rst_open_stream() {
    let mut p = open1();
    p.send(rst(1, ErrorCode(0x1234)));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::Reset { stream, code: ErrorCode(0x1234), remote: true } if stream.get() == 1
    )));
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §6.5 SETTINGS

/// S-6.5-1 §6.5: SETTINGS ACK with a payload ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s6_5_1_settings_ack_with_payload() {
    let mut p = hs();
    p.send(raw(ty::SETTINGS, fl::ACK, 0, &[0, 4, 0, 0, 0, 1]));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-6.5-2 §6.5: SETTINGS on a non-zero stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_5_2_settings_non_zero_stream() {
    let mut p = hs();
    p.send(raw(ty::SETTINGS, 0, 1, &[0, 4, 0, 0, 0, 1]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.5-3 §6.5: SETTINGS length not a multiple of 6 ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s6_5_3_settings_bad_length() {
    let mut p = hs();
    p.send(raw(ty::SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 100, 0, 0, 0]));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-6.5-4 §6.5.3: every SETTINGS frame is acknowledged
#[test]
fn s6_5_4_settings_acknowledged() {
    let mut p = hs();
    p.send(settings(&[(setting::MAX_CONCURRENT_STREAMS, 10)]));
    p.expect_settings_ack();
    p.send(settings(&[]));
    p.expect_settings_ack();
    p.expect_no_error();
}

/// S-6.5.2-1 §6.5.2: SETTINGS_ENABLE_PUSH = 2 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_5_2_1_enable_push_invalid() {
    let mut p = hs();
    p.send(settings(&[(setting::ENABLE_PUSH, 2)]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.5.2-2 §6.5.2: SETTINGS_INITIAL_WINDOW_SIZE = 2^31 ⇒ connection FLOW_CONTROL_ERROR
#[test]
fn s6_5_2_2_initial_window_too_large() {
    let mut p = hs();
    p.send(settings(&[(setting::INITIAL_WINDOW_SIZE, 1 << 31)]));
    p.expect_goaway(FLOW_CONTROL_ERROR);
}

/// S-6.5.2-3 §6.5.2: SETTINGS_MAX_FRAME_SIZE = 2^14-1 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_5_2_3_max_frame_size_too_small() {
    let mut p = hs();
    p.send(settings(&[(setting::MAX_FRAME_SIZE, 16_383)]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.5.2-4 §6.5.2: SETTINGS_MAX_FRAME_SIZE = 2^24 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_5_2_4_max_frame_size_too_large() {
    let mut p = hs();
    p.send(settings(&[(setting::MAX_FRAME_SIZE, 1 << 24)]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.5.2-5 §6.5.2: an unknown setting ⇒ ignored and acknowledged
#[test]
fn s6_5_2_5_unknown_setting_ignored() {
    let mut p = hs();
    p.send(settings(&[(0xff, 1), (0x1234, 0xffff_ffff)]));
    p.expect_settings_ack();
    p.expect_no_error();
}

/// S-6.5.2-6 RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 2 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_5_2_6_enable_connect_protocol_invalid() {
    let mut p = hs();
    p.send(settings(&[(setting::ENABLE_CONNECT_PROTOCOL, 2)]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.5.2-7 §6.5.2: the extreme legal values (MAX_FRAME_SIZE 2^24-1, INITIAL_WINDOW_SIZE 2^31-1, ENABLE_PUSH 1) ⇒ accepted
#[test]
fn s6_5_2_7_extreme_legal_values() {
    let mut p = hs();
    p.send(settings(&[
        (setting::MAX_FRAME_SIZE, (1 << 24) - 1),
        (setting::INITIAL_WINDOW_SIZE, 0x7fff_ffff),
        (setting::ENABLE_PUSH, 1),
        (setting::HEADER_TABLE_SIZE, 0),
        (setting::MAX_CONCURRENT_STREAMS, 0),
    ]));
    p.expect_settings_ack();
    p.expect_no_error();
}

/// S-6.5.3-1 §6.5.3: our SETTINGS not acknowledged within the timeout ⇒ connection SETTINGS_TIMEOUT
#[test]
fn s6_5_3_1_settings_timeout() {
    let mut p = Peer::server(Config::default());
    let mut hello = PREFACE.to_vec();
    hello.extend(settings(&[]));
    p.send(hello);
    p.advance(std::time::Duration::from_secs(11));
    p.expect_goaway(ErrorCode::SETTINGS_TIMEOUT);
}

/// S-6.5.3-2 §6.5.3: a SETTINGS ACK that acknowledges nothing ⇒ never answered; ignored or connection PROTOCOL_ERROR (RFC silent)
#[test]
fn s6_5_3_2_unsolicited_settings_ack() {
    let mut p = hs();
    p.send(settings_ack());
    assert!(
        !p.has_frame(ty::SETTINGS),
        "a SETTINGS ACK must not be answered"
    );
    if p.error.is_some() {
        p.expect_goaway(PROTOCOL_ERROR);
    } else {
        p.expect_no_error();
    }
}

// ---------------------------------------------------------------------------------------
// §6.9.2 Initial window size and flow control of sending

/// Sends a 200 head on stream 1 and offers `n` bytes; returns how many were accepted.
fn respond_with_body(p: &mut Peer, n: usize) -> usize {
    respond(p, n, true)
}

/// Sends a 200 head on stream 1 and offers `n` bytes, ending the stream if `eos`.
fn respond(p: &mut Peer, n: usize, eos: bool) -> usize {
    p.conn
        .send_response(sid(1), &response_head(200), false)
        .unwrap();
    let sent = p.conn.send_data(sid(1), &vec![b'z'; n], eos).unwrap();
    p.pump();
    sent
}

/// Total DATA bytes on `stream` among the unconsumed frames.
fn data_bytes(p: &mut Peer, stream: u32) -> usize {
    let n = p
        .frames
        .iter()
        .map(|f| match f {
            stator_h2::frame::Frame::Data {
                stream_id, data, ..
            } if stream_id.get() == stream => data.len(),
            _ => 0,
        })
        .sum();
    p.frames.clear();
    n
}

/// S-6.9.1-1 §6.9.1: INITIAL_WINDOW_SIZE 1 ⇒ the server sends one byte of DATA and waits
#[test]
fn s6_9_1_1_window_of_one_byte() {
    let mut p =
        Peer::server_handshake_with(Config::default(), &[(setting::INITIAL_WINDOW_SIZE, 1)]);
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    let accepted = respond_with_body(&mut p, 100);
    assert_eq!(accepted, 1);
    assert_eq!(data_bytes(&mut p, 1), 1);
    p.send(window_update(1, 99));
    let more = p.conn.send_data(sid(1), &[b'z'; 99], true).unwrap();
    assert_eq!(more, 99);
    p.pump();
    assert_eq!(data_bytes(&mut p, 1), 99);
}

/// S-6.9.2-1 §6.9.2: an INITIAL_WINDOW_SIZE increase applies to open streams
#[test]
fn s6_9_2_1_initial_window_change_applies_to_open_streams() {
    let mut p =
        Peer::server_handshake_with(Config::default(), &[(setting::INITIAL_WINDOW_SIZE, 10)]);
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    assert_eq!(respond_with_body(&mut p, 100), 10);
    assert_eq!(data_bytes(&mut p, 1), 10);
    p.send(settings(&[(setting::INITIAL_WINDOW_SIZE, 30)]));
    assert!(
        p.take_events()
            .iter()
            .any(|e| matches!(e, Event::Writable { stream } if stream.get() == 1))
    );
    assert_eq!(p.conn.send_capacity(sid(1)), 20);
}

/// S-6.9.2-2 §6.9.2: an INITIAL_WINDOW_SIZE decrease can make a window negative; sending resumes only above 0
#[test]
fn s6_9_2_2_negative_window() {
    let mut p =
        Peer::server_handshake_with(Config::default(), &[(setting::INITIAL_WINDOW_SIZE, 10)]);
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    assert_eq!(respond(&mut p, 10, false), 10);
    p.send(settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]));
    // The window is now 0 - 10 = -10.
    p.send(window_update(1, 10));
    assert_eq!(p.conn.send_capacity(sid(1)), 0);
    p.send(window_update(1, 5));
    assert_eq!(p.conn.send_capacity(sid(1)), 5);
    p.expect_no_error();
}

/// S-6.9.2-3 §6.9.2: an INITIAL_WINDOW_SIZE change pushing a stream window above 2^31-1 ⇒ connection FLOW_CONTROL_ERROR
#[test]
fn s6_9_2_3_initial_window_change_overflow() {
    let mut p = open1();
    p.send(window_update(1, 0x7fff_ffff - 65_535));
    p.expect_no_error();
    p.send(settings(&[(setting::INITIAL_WINDOW_SIZE, 65_536)]));
    p.expect_goaway(FLOW_CONTROL_ERROR);
}

/// S-6.9.2-4 §6.5.3: several values of one setting in a frame ⇒ processed in order, the last wins
#[test]
fn s6_9_2_4_repeated_setting_last_wins() {
    let mut p = Peer::server_handshake_with(
        Config::default(),
        &[
            (setting::INITIAL_WINDOW_SIZE, 100),
            (setting::INITIAL_WINDOW_SIZE, 3),
        ],
    );
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    assert_eq!(respond_with_body(&mut p, 50), 3);
}

// ---------------------------------------------------------------------------------------
// §6.7 PING

/// S-6.7-1 §6.7: PING ⇒ PING ACK with the same payload
#[test]
fn s6_7_1_ping_answered() {
    let mut p = hs();
    p.send(ping(*b"\x00\x01\x02\x03\xfc\xfd\xfe\xff"));
    p.expect_ping_ack(*b"\x00\x01\x02\x03\xfc\xfd\xfe\xff");
}

/// S-6.7-2 §6.7: a PING with ACK set ⇒ not answered
#[test]
fn s6_7_2_ping_ack_not_answered() {
    let mut p = hs();
    p.send(ping_ack(*b"unasked!"));
    // expect_alive checks that the first PING ACK carries its own probe.
    p.expect_alive();
}

/// S-6.7-3 §6.7: PING on a non-zero stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_7_3_ping_non_zero_stream() {
    let mut p = hs();
    p.send(raw(ty::PING, 0, 1, b"12345678"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.7-4 §6.7: PING of length 6 ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s6_7_4_ping_wrong_length() {
    let mut p = hs();
    p.send(raw(ty::PING, 0, 0, b"123456"));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-6.7-5 §6.7: our PING's ACK ⇒ Event::PingAck
#[test]
fn s6_7_5_our_ping_acknowledged() {
    let mut p = hs();
    p.conn.ping(*b"rtt-ping").unwrap();
    p.pump();
    let payload = p
        .frames
        .iter()
        .find_map(|f| match f {
            stator_h2::frame::Frame::Ping { ack: false, data } => Some(*data),
            _ => None,
        })
        .expect("a PING");
    assert_eq!(&payload, b"rtt-ping");
    p.send(ping_ack(payload));
    assert!(
        p.take_events()
            .iter()
            .any(|e| matches!(e, Event::PingAck { payload } if payload == b"rtt-ping"))
    );
}

// ---------------------------------------------------------------------------------------
// §6.8 GOAWAY

/// S-6.8-1 §6.8: GOAWAY on a non-zero stream ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_8_1_goaway_non_zero_stream() {
    let mut p = hs();
    p.send(raw(ty::GOAWAY, 0, 1, &[0, 0, 0, 0, 0, 0, 0, 0]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.8-2 §6.8: GOAWAY shorter than 8 octets ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s6_8_2_goaway_too_short() {
    let mut p = hs();
    p.send(raw(ty::GOAWAY, 0, 0, &[0, 0, 0, 0]));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-6.8-3 §6.8: the peer's GOAWAY ⇒ Event::GoAway with its fields
#[test]
fn s6_8_3_peer_goaway_reported() {
    let mut p = hs();
    p.send(goaway(0, ErrorCode::NO_ERROR));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::GoAway {
            code: ErrorCode::NO_ERROR,
            ..
        }
    )));
}

/// S-6.8-4 §6.8: graceful shutdown ⇒ first GOAWAY NO_ERROR with last stream 2^31-1; open streams finish
#[test]
fn s6_8_4_graceful_shutdown() {
    let mut p = half_closed1();
    p.conn.goaway(ErrorCode::NO_ERROR, b"bye");
    p.pump();
    assert_eq!(p.expect_goaway_frame(), (0x7fff_ffff, ErrorCode::NO_ERROR));
    p.conn
        .send_response(sid(1), &response_head(200), true)
        .unwrap();
    p.pump();
    assert_eq!(p.expect_head(1).status(), 200);
}

// ---------------------------------------------------------------------------------------
// §6.9 WINDOW_UPDATE

/// S-6.9-1 §6.9: WINDOW_UPDATE of 0 on the connection ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_9_1_zero_increment_connection() {
    let mut p = hs();
    p.send(window_update(0, 0));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.9-2 §6.9: WINDOW_UPDATE of 0 on a stream ⇒ stream PROTOCOL_ERROR
#[test]
fn s6_9_2_zero_increment_stream() {
    let mut p = open1();
    p.send(window_update(1, 0));
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-6.9-3 §6.9: WINDOW_UPDATE of length 3 ⇒ connection FRAME_SIZE_ERROR
#[test]
fn s6_9_3_window_update_wrong_length() {
    let mut p = hs();
    p.send(raw(ty::WINDOW_UPDATE, 0, 0, &[0, 0, 1]));
    p.expect_goaway(FRAME_SIZE_ERROR);
}

/// S-6.9-4 §6.9.1: connection window beyond 2^31-1 ⇒ connection FLOW_CONTROL_ERROR
#[test]
fn s6_9_4_connection_window_overflow() {
    let mut p = hs();
    p.send(window_update(0, 0x7fff_ffff));
    p.expect_goaway(FLOW_CONTROL_ERROR);
}

/// S-6.9-5 §6.9.1: stream window beyond 2^31-1 ⇒ stream FLOW_CONTROL_ERROR
#[test]
fn s6_9_5_stream_window_overflow() {
    let mut p = open1();
    p.send(window_update(1, 0x7fff_ffff));
    p.expect_rst(1, FLOW_CONTROL_ERROR);
}

/// S-6.9-6 §6.9.1: DATA beyond the stream window we advertised ⇒ FLOW_CONTROL_ERROR
#[test]
fn s6_9_6_data_beyond_stream_window() {
    let mut p = Peer::server_handshake(manual(config_with(|l| {
        l.initial_stream_window = 100;
        l.max_stream_window = 100;
    })));
    p.send(headers(1).request("POST", "/"));
    p.send(data(1, &[1; 100]));
    p.expect_no_error();
    p.send(data(1, &[1; 1]));
    p.expect_error(1, FLOW_CONTROL_ERROR);
}

/// S-6.9-7 §6.9.1: DATA beyond the connection window ⇒ connection FLOW_CONTROL_ERROR
#[test]
fn s6_9_7_data_beyond_connection_window() {
    let mut p = Peer::server_handshake(manual(config_with(|l| {
        l.initial_stream_window = 65_535;
        l.max_stream_window = 65_535;
        l.connection_window = 65_535;
        l.max_connection_window = 65_535;
    })));
    p.send(headers(1).request("POST", "/"));
    p.send(headers(3).request("POST", "/"));
    for _ in 0..2 {
        p.send(data(1, &[1; 16_384]));
    }
    p.send(data(3, &[1; 16_384]));
    p.send(data(3, &[1; 16_383]));
    p.expect_no_error();
    p.send(data(3, &[1; 1]));
    p.expect_goaway(FLOW_CONTROL_ERROR);
}

/// S-6.9-8 §6.9: padding counts against flow control
#[test]
fn s6_9_8_padding_is_flow_controlled() {
    let mut p = Peer::server_handshake(manual(config_with(|l| {
        l.initial_stream_window = 100;
        l.max_stream_window = 100;
    })));
    p.send(headers(1).request("POST", "/"));
    // 1 (Pad Length) + 50 + 49 = 100: exactly the window. The padding's credit may be
    // given back at once, the data's is not (manual release).
    p.send(data(1, &[1; 50]).padded(49));
    p.expect_no_error();
    let returned = p.credit(1);
    assert!(
        returned <= 50,
        "more credit returned than the padding: {returned}"
    );
    p.send(data(1, &vec![1; returned as usize + 1]));
    p.expect_error(1, FLOW_CONTROL_ERROR);
}

// ---------------------------------------------------------------------------------------
// §6.10 CONTINUATION

/// S-6.10-1 §6.10: CONTINUATION without a preceding HEADERS ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_10_1_continuation_without_headers() {
    let mut p = open1();
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.10-2 §6.10: CONTINUATION after a HEADERS with END_HEADERS ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_10_2_continuation_after_end_headers() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/"));
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.10-3 §6.10: CONTINUATION on stream 0 ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_10_3_continuation_stream_zero() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(continuation(0, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.10-4 §6.10: CONTINUATION after a CONTINUATION with END_HEADERS ⇒ connection PROTOCOL_ERROR
#[test]
fn s6_10_4_continuation_after_last_continuation() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    p.send(continuation(1, &hpack::literal(b"x-b", b"2"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.10-5 §6.10: several CONTINUATION frames ⇒ one request with every field
#[test]
fn s6_10_5_multiple_continuations() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), false));
    p.send(continuation(1, &hpack::literal(b"x-b", b"2"), false));
    p.send(continuation(1, &hpack::literal(b"x-c", b"3"), true));
    let (head, _) = p.expect_request(1);
    assert_eq!(head.headers.len(), 3);
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §8.1 HTTP message framing

/// S-8.1-1 §8.1: a request-response exchange ⇒ request event, response head and body on the wire
#[test]
fn s8_1_1_exchange() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/index.html").eos());
    let (head, end) = p.expect_request(1);
    assert_eq!(head.method, http::Method::GET);
    assert_eq!(head.uri.path(), "/index.html");
    assert_eq!(
        head.uri.authority().map(http::uri::Authority::as_str),
        Some("example.com")
    );
    assert_eq!(head.version, http::Version::HTTP_2);
    assert!(end);
    assert_eq!(respond_with_body(&mut p, 5), 5);
    let h = p.expect_head(1);
    assert_eq!(h.status(), 200);
    assert!(!h.end_stream);
    assert_eq!(
        p.expect_data(1),
        (bytes::Bytes::from_static(b"zzzzz"), true)
    );
}

/// S-8.1-2 §8.1: trailers without END_STREAM ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_1_2_trailers_without_end_stream() {
    let mut p = open1();
    p.send(data(1, b"body"));
    p.send(headers(1).field("x-trailer", "1"));
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-8.1-3 §8.1, §5.1: DATA before HEADERS ⇒ connection PROTOCOL_ERROR
#[test]
fn s8_1_3_data_before_headers() {
    let mut p = hs();
    p.send(data(1, b"body").eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-8.1-4 §8.1.1: content-length larger than the DATA received ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_1_4_content_length_too_large() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("POST", "/")
            .field("content-length", "10"),
    );
    p.send(data(1, b"12345").eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-8.1-5 §8.1.1: content-length smaller than the DATA received ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_1_5_content_length_too_small() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/").field("content-length", "3"));
    p.send(data(1, b"12345").eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-8.1-6 §8.1.1: non-zero content-length on a HEADERS with END_STREAM ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_1_6_content_length_without_data() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("POST", "/")
            .field("content-length", "4")
            .eos(),
    );
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-8.1-7 §8.1.1: content-length matched over several DATA frames ⇒ accepted
#[test]
fn s8_1_7_content_length_matches() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/").field("content-length", "6"));
    p.send(data(1, b"abc"));
    p.send(data(1, b"def").eos());
    p.expect_request(1);
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §8.2 HTTP fields

/// S-8.2-1 §8.2: an uppercase field name ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_1_uppercase_name() {
    malformed(&get_with(&[("X-Upper", "1")]));
}

/// S-8.2-2 §8.2.2: connection ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_2_connection_field() {
    malformed(&get_with(&[("connection", "keep-alive")]));
}

/// S-8.2-3 §8.2.2: keep-alive ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_3_keep_alive_field() {
    malformed(&get_with(&[("keep-alive", "timeout=5")]));
}

/// S-8.2-4 §8.2.2: proxy-connection ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_4_proxy_connection_field() {
    malformed(&get_with(&[("proxy-connection", "keep-alive")]));
}

/// S-8.2-5 §8.2.2: transfer-encoding ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_5_transfer_encoding_field() {
    malformed(&get_with(&[("transfer-encoding", "chunked")]));
}

/// S-8.2-6 §8.2.2: upgrade ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_6_upgrade_field() {
    malformed(&get_with(&[("upgrade", "websocket")]));
}

/// S-8.2-7 §8.2.2: TE other than "trailers" ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_7_te_not_trailers() {
    malformed(&get_with(&[("te", "gzip")]));
}

/// S-8.2-8 §8.2.2: TE: trailers ⇒ accepted
#[test]
fn s8_2_8_te_trailers_accepted() {
    let head = accepted(&[("te", "trailers")]);
    assert_eq!(head.headers["te"], "trailers");
}

/// S-8.2-9 §8.2.1: a field value with CR/LF ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_9_value_with_crlf() {
    malformed(&get_with(&[("x-smuggle", "a\r\nx-evil: 1")]));
}

/// S-8.2-10 §8.2.1: a field value with NUL ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_10_value_with_nul() {
    malformed(&get_with(&[("x-nul", "a\0b")]));
}

/// S-8.2-11 §8.2.1: a field value with leading whitespace ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_11_value_leading_whitespace() {
    malformed(&get_with(&[("x-space", " a")]));
}

/// S-8.2-12 §8.2.1: a field name with a colon (not a pseudo-header) ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_12_name_with_colon() {
    malformed(&get_with(&[("x:colon", "a")]));
}

/// S-8.2-13 §8.2.1: a field name with a space ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_13_name_with_space() {
    malformed(&get_with(&[("x space", "a")]));
}

/// S-8.2-14 §8.2.1: an empty field name ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_14_empty_name() {
    malformed(&get_with(&[("", "a")]));
}

/// S-8.2-15 §8.2.3: several cookie fields ⇒ accepted
#[test]
fn s8_2_15_split_cookies() {
    let head = accepted(&[("cookie", "a=1"), ("cookie", "b=2")]);
    let cookies: Vec<_> = head.headers.get_all("cookie").iter().collect();
    assert!(!cookies.is_empty());
}

// ---------------------------------------------------------------------------------------
// §8.3 Pseudo-header fields

/// S-8.3-1 §8.3: an unknown pseudo-header ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_unknown_pseudo_header() {
    malformed(&get_with(&[(":foo", "bar")]));
}

/// S-8.3-2 §8.3: a response pseudo-header (:status) in a request ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_2_response_pseudo_in_request() {
    malformed(&get_with(&[(":status", "200")]));
}

/// S-8.3-3 §8.3: a pseudo-header after a regular field ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_3_pseudo_after_regular() {
    malformed(&[
        (":method", "GET"),
        (":scheme", "https"),
        ("x-a", "1"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3-4 §8.3: a pseudo-header in trailers ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_4_pseudo_in_trailers() {
    let mut p = open1();
    p.send(data(1, b"body"));
    p.send(headers(1).field(":method", "GET").eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// S-8.3.1-1 §8.3.1: no :method ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_1_missing_method() {
    malformed(&[
        (":scheme", "https"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-2 §8.3.1: no :scheme ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_2_missing_scheme() {
    malformed(&[
        (":method", "GET"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-3 §8.3.1: no :path ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_3_missing_path() {
    malformed(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-4 §8.3: :method twice ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_4_duplicate_method() {
    malformed(&[
        (":method", "GET"),
        (":method", "POST"),
        (":scheme", "https"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-5 §8.3: :scheme twice ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_5_duplicate_scheme() {
    malformed(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-6 §8.3: :path twice ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_6_duplicate_path() {
    malformed(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/"),
        (":path", "/other"),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-7 §8.3.1: an empty :path ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_3_1_7_empty_path() {
    malformed(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", ""),
        (":authority", "example.com"),
    ]);
}

/// S-8.3.1-8 §8.3.1: :path "*" with OPTIONS ⇒ accepted
#[test]
fn s8_3_1_8_asterisk_options() {
    let mut p = hs();
    p.send(headers(1).request("OPTIONS", "*").eos());
    let (head, _) = p.expect_request(1);
    assert_eq!(head.method, http::Method::OPTIONS);
    p.expect_no_error();
}

// ---------------------------------------------------------------------------------------
// §8.5 CONNECT

/// S-8.5-1 §8.5: CONNECT with only :method and :authority ⇒ request
#[test]
fn s8_5_1_connect() {
    let mut p = hs();
    p.send(headers(1).fields(&[(":method", "CONNECT"), (":authority", "proxy.example:443")]));
    let (head, end) = p.expect_request(1);
    assert_eq!(head.method, http::Method::CONNECT);
    assert!(!end);
    p.expect_no_error();
}

/// S-8.5-2 §8.5: CONNECT with :scheme ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_5_2_connect_with_scheme() {
    malformed(&[
        (":method", "CONNECT"),
        (":scheme", "https"),
        (":authority", "proxy.example:443"),
    ]);
}

/// S-8.5-3 §8.5: CONNECT with :path ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_5_3_connect_with_path() {
    malformed(&[
        (":method", "CONNECT"),
        (":path", "/"),
        (":authority", "proxy.example:443"),
    ]);
}

/// S-8.5-4 §8.5: CONNECT without :authority ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_5_4_connect_without_authority() {
    malformed(&[(":method", "CONNECT")]);
}

// ---------------------------------------------------------------------------------------
// RFC 8441 Extended CONNECT

fn websocket_config() -> Config {
    let mut config = Config::default();
    config.connect_protocols = vec![Protocol::from("websocket")];
    config
}

const EXT_CONNECT: [(&str, &str); 5] = [
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":path", "/chat"),
    (":authority", "example.com"),
];

/// X-8441-1 RFC 8441 §3: :protocol when we did not send SETTINGS_ENABLE_CONNECT_PROTOCOL ⇒ stream PROTOCOL_ERROR
#[test]
fn x8441_1_protocol_without_setting() {
    malformed(&EXT_CONNECT);
}

/// X-8441-2 RFC 8441 §3: an allow-list ⇒ SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 advertised; none ⇒ not sent
#[test]
fn x8441_2_setting_advertised() {
    let value = |config| {
        let mut p = Peer::server(config);
        match p.frames.pop_front() {
            Some(stator_h2::frame::Frame::Settings(s)) => s
                .iter()
                .find(|e| e.id.0 == setting::ENABLE_CONNECT_PROTOCOL)
                .map(|e| e.value),
            other => panic!("expected SETTINGS, got {other:?}"),
        }
    };
    assert_eq!(value(websocket_config()), Some(1));
    assert_eq!(value(Config::default()), None);
}

/// X-8441-3 RFC 8441 §4: an allowed :protocol ⇒ the request surfaces with its Protocol
#[test]
fn x8441_3_allowed_protocol() {
    let mut p = Peer::server_handshake(websocket_config());
    p.send(headers(1).fields(&EXT_CONNECT));
    let (head, end) = p.expect_request(1);
    assert_eq!(head.method, http::Method::CONNECT);
    assert_eq!(
        head.extensions.get::<Protocol>().map(Protocol::as_str),
        Some("websocket")
    );
    assert_eq!(head.uri.path(), "/chat");
    assert!(!end);
    p.expect_no_error();
}

/// X-8441-4 RFC 8441 §4: a :protocol not in the allow-list ⇒ 501 from the machine, no request event
#[test]
fn x8441_4_unlisted_protocol() {
    let mut p = Peer::server_handshake(websocket_config());
    p.send(headers(1).fields(&[
        (":method", "CONNECT"),
        (":protocol", "webtransport"),
        (":scheme", "https"),
        (":path", "/wt"),
        (":authority", "example.com"),
    ]));
    p.expect_no_request(1);
    assert_eq!(p.expect_head(1).status(), 501);
    p.expect_alive();
}

/// X-8441-5 RFC 8441 §4, RFC 9113 §8.3: :protocol on a non-CONNECT request ⇒ stream PROTOCOL_ERROR
#[test]
fn x8441_5_protocol_on_get() {
    let mut p = Peer::server_handshake(websocket_config());
    p.send(
        headers(1)
            .request("GET", "/")
            .field(":protocol", "websocket")
            .eos(),
    );
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// X-8441-6 RFC 8441 §4: Extended CONNECT without :path ⇒ stream PROTOCOL_ERROR
#[test]
fn x8441_6_extended_connect_without_path() {
    let mut p = Peer::server_handshake(websocket_config());
    p.send(headers(1).fields(&[
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", "example.com"),
    ]));
    p.expect_rst(1, PROTOCOL_ERROR);
    p.expect_no_request(1);
}

// ---------------------------------------------------------------------------------------
// RFC 7541 HPACK

/// H-1 RFC 7541 §2.3.3: an index beyond the static and dynamic tables ⇒ connection COMPRESSION_ERROR
#[test]
fn h_1_index_out_of_range() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&hpack::indexed(70))
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-2 RFC 7541 §6.1: index 0 ⇒ connection COMPRESSION_ERROR
#[test]
fn h_2_index_zero() {
    let mut p = hs();
    p.send(headers(1).block(&[0x80]).request("GET", "/").eos());
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-3 RFC 7541 §6.3: a table size update above SETTINGS_HEADER_TABLE_SIZE ⇒ connection COMPRESSION_ERROR
#[test]
fn h_3_size_update_above_limit() {
    let mut p = hs();
    p.send(
        headers(1)
            .block(&hpack::size_update(4097))
            .request("GET", "/")
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-4 RFC 7541 §4.2: a table size update after a field ⇒ connection COMPRESSION_ERROR
#[test]
fn h_4_size_update_after_field() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&hpack::size_update(0))
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-5 RFC 7541 §2.3.2: a dynamic-table entry is reusable by a later block
#[test]
fn h_5_dynamic_table_across_blocks() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&hpack::literal_indexed(b"x-shared", b"v1"))
            .eos(),
    );
    p.send(
        headers(3)
            .request("GET", "/")
            .block(&hpack::indexed(62))
            .eos(),
    );
    assert_eq!(p.expect_request(1).0.headers["x-shared"], "v1");
    assert_eq!(p.expect_request(3).0.headers["x-shared"], "v1");
    p.expect_no_error();
}

/// H-6 RFC 7541 §5.2: a string longer than the block ⇒ connection COMPRESSION_ERROR
#[test]
fn h_6_truncated_string() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&[0x00, 0x05, b'x', b'-'])
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-7 RFC 7541 §5.2: a Huffman string containing EOS ⇒ connection COMPRESSION_ERROR
#[test]
fn h_7_huffman_eos() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&[0x00, 0x84, 0xff, 0xff, 0xff, 0xff, 0x01, b'v'])
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-8 RFC 7541 §5.1: an integer that overflows ⇒ connection COMPRESSION_ERROR
#[test]
fn h_8_integer_overflow() {
    let mut p = hs();
    let mut block = vec![0xff];
    block.extend([0xff; 10]);
    block.push(0x01);
    p.send(headers(1).request("GET", "/").block(&block).eos());
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-9 RFC 7541 §4.2: a size update to 0 at the start of a block, then fields ⇒ accepted
#[test]
fn h_9_size_update_at_start() {
    let mut p = hs();
    p.send(
        headers(1)
            .block(&hpack::size_update(0))
            .request("GET", "/")
            .eos(),
    );
    p.expect_request(1);
    p.expect_no_error();
}

/// H-10 RFC 7541 §4.1, RFC 9113 §5.1: a bad block on a stream we reset is still decoded ⇒ connection COMPRESSION_ERROR
#[test]
fn h_10_compression_error_on_reset_stream() {
    let mut p = open1();
    p.conn.send_reset(sid(1), ErrorCode::CANCEL).unwrap();
    p.pump();
    p.send(headers(1).block(&[0x80]).eos());
    p.expect_goaway(COMPRESSION_ERROR);
}

// ---------------------------------------------------------------------------------------
// More rules from h2spec's list

/// S-4.3-6 §4.3: a header block interrupted by PRIORITY ⇒ connection PROTOCOL_ERROR
#[test]
fn s4_3_6_block_interrupted_by_priority() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos().no_end_headers());
    p.send(priority(1, 0, false, 16));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-4.2-5 §4.2: the server never sends a frame larger than the client's SETTINGS_MAX_FRAME_SIZE
#[test]
fn s4_2_5_server_respects_max_frame_size() {
    let mut p = hs();
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    assert_eq!(respond_with_body(&mut p, 40_000), 40_000);
    let sizes: Vec<usize> = p
        .frames
        .iter()
        .filter_map(|f| match f {
            stator_h2::frame::Frame::Data { data, .. } => Some(data.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 40_000);
    assert!(sizes.iter().all(|&n| n <= 16_384), "{sizes:?}");
}

/// S-5.1-17 §5.1, §6.10: CONTINUATION on a stream the peer reset ⇒ connection PROTOCOL_ERROR
#[test]
fn s5_1_17_continuation_after_peer_reset() {
    let mut p = open1();
    p.send(rst(1, ErrorCode::CANCEL));
    p.send(continuation(1, &hpack::literal(b"x-a", b"1"), true));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-6.9-9 §6.9.1: the server respects the connection window (65,535) even with large stream windows
#[test]
fn s6_9_9_server_respects_connection_window() {
    let mut p = Peer::server_handshake_with(
        Config::default(),
        &[(setting::INITIAL_WINDOW_SIZE, 1 << 20)],
    );
    p.send(headers(1).request("GET", "/").eos());
    p.expect_request(1);
    assert_eq!(respond(&mut p, 100_000, true), 65_535);
    assert_eq!(data_bytes(&mut p, 1), 65_535);
    p.send(window_update(0, 10_000));
    let more = p.conn.send_data(sid(1), &vec![b'z'; 34_465], true).unwrap();
    assert_eq!(more, 10_000);
}

/// S-7-1 §7: an unknown error code in GOAWAY ⇒ no special behaviour, reported as is
#[test]
fn s7_1_unknown_error_code_in_goaway() {
    let mut p = hs();
    p.send(goaway(0, ErrorCode(0xdead)));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::GoAway {
            code: ErrorCode(0xdead),
            ..
        }
    )));
    assert!(p.error.is_none() || p.conn_error_code() == Some(ErrorCode(0xdead)));
}

/// S-8.4-1 §8.4: PUSH_PROMISE from a client ⇒ connection PROTOCOL_ERROR
#[test]
fn s8_4_1_push_promise_from_client() {
    let mut p = open1();
    p.send(scripted::frames::push_promise(
        1,
        2,
        &hpack::request("GET", "/"),
    ));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// S-8.2-16 §8.2.1: a field value with trailing whitespace ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_16_value_trailing_whitespace() {
    malformed(&get_with(&[("x-space", "a\t")]));
}

/// S-8.2-17 §8.2.1: a field value with inner spaces and tabs ⇒ accepted
#[test]
fn s8_2_17_value_inner_whitespace() {
    let head = accepted(&[("x-space", "a b\tc")]);
    assert_eq!(head.headers["x-space"], "a b\tc");
}

/// S-8.1-8 §8.1: a request with content and trailers ⇒ Request, Data, Trailers in order
#[test]
fn s8_1_8_request_with_body_and_trailers() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/upload"));
    p.send(data(1, b"part one,"));
    p.send(data(1, b" part two"));
    p.send(headers(1).field("x-sum", "42").eos());
    let kinds: Vec<&str> = p
        .take_events()
        .iter()
        .filter_map(|e| match e {
            Event::Request {
                end_stream: false, ..
            } => Some("request"),
            Event::Data {
                end_stream: false, ..
            } => Some("data"),
            Event::Trailers { .. } => Some("trailers"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["request", "data", "data", "trailers"]);
    p.expect_no_error();
}

/// H-11 RFC 7541 §6.2: a literal whose indexed name is beyond the tables ⇒ connection COMPRESSION_ERROR
#[test]
fn h_11_literal_name_index_out_of_range() {
    let mut p = hs();
    // Literal without indexing, name index 63 (15 + 48), value "v".
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&[0x0f, 0x30, 0x01, b'v'])
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-12 RFC 7541 §5.2: Huffman padding longer than 7 bits ⇒ connection COMPRESSION_ERROR
#[test]
fn h_12_huffman_padding_too_long() {
    let mut p = hs();
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&[0x00, 0x81, 0xff, 0x01, b'v'])
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-13 RFC 7541 §5.2: Huffman padding that is not the EOS prefix (zeros) ⇒ connection COMPRESSION_ERROR
#[test]
fn h_13_huffman_padding_not_eos() {
    let mut p = hs();
    // 'a' is 00011; the three padding bits are 000 instead of 111.
    p.send(
        headers(1)
            .request("GET", "/")
            .block(&[0x00, 0x81, 0x18, 0x01, b'v'])
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// H-14 RFC 7541 §5.2, C.4.1: a valid Huffman-coded value with static-table indices ⇒ accepted
#[test]
fn h_14_huffman_and_static_indices() {
    let mut p = hs();
    let mut block = vec![0x82, 0x87, 0x84, 0x01, 0x8c];
    block.extend([
        0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
    ]);
    p.send(headers(1).block(&block).eos());
    let (head, _) = p.expect_request(1);
    assert_eq!(head.method, http::Method::GET);
    assert_eq!(
        head.uri.authority().map(http::uri::Authority::as_str),
        Some("www.example.com")
    );
    p.expect_no_error();
}

/// H-15 RFC 7541 §6.2.3: a never-indexed literal ⇒ accepted
#[test]
fn h_15_never_indexed_literal() {
    let mut p = hs();
    let mut block = vec![0x10];
    hpack::string(&mut block, b"authorization");
    hpack::string(&mut block, b"secret");
    p.send(headers(1).request("GET", "/").block(&block).eos());
    assert_eq!(p.expect_request(1).0.headers["authorization"], "secret");
    p.expect_no_error();
}

/// H-16 RFC 7541 §4.2: two size updates at the start of a block (0 then 4,096) ⇒ accepted
#[test]
fn h_16_two_size_updates() {
    let mut p = hs();
    let mut block = hpack::size_update(0);
    block.extend(hpack::size_update(4096));
    p.send(headers(1).block(&block).request("GET", "/").eos());
    p.expect_request(1);
    p.expect_no_error();
}

/// H-17 RFC 7541 §4.4: an entry evicted by a larger insertion is gone ⇒ referencing it is a COMPRESSION_ERROR
#[test]
fn h_17_evicted_entry() {
    let mut p = hs();
    let mut block = hpack::literal_indexed(b"x-one", &[b'1'; 3000]);
    block.extend(hpack::literal_indexed(b"x-two", &[b'2'; 3000]));
    p.send(headers(1).request("GET", "/").block(&block).eos());
    p.expect_request(1);
    // Only x-two (index 62) remains; 63 is out of range.
    p.send(
        headers(3)
            .request("GET", "/")
            .block(&hpack::indexed(63))
            .eos(),
    );
    p.expect_goaway(COMPRESSION_ERROR);
}

/// S-G-1 §6: valid frames of every type on and around an open stream ⇒ no error
#[test]
fn s_g_1_every_frame_type() {
    let mut p = hs();
    p.send(headers(1).request("POST", "/").priority(0, false, 10));
    p.send(priority(1, 0, true, 100));
    p.send(window_update(1, 1000));
    p.send(window_update(0, 1000));
    p.send(settings(&[(setting::MAX_HEADER_LIST_SIZE, 8192)]));
    p.send(ping(*b"any-ping"));
    p.send(unknown(1, b"ext"));
    p.send(data(1, b"abc").padded(3));
    p.send(headers(1).field("x-t", "1").eos().no_end_headers());
    p.send(continuation(1, &hpack::literal(b"x-u", b"2"), true));
    p.expect_ping_ack(*b"any-ping");
    p.expect_no_error();
}

/// S-5.1-18 §5.1, §6.9: DATA discarded on a stream we reset still counts toward the connection window
#[test]
fn s5_1_18_discarded_data_counts_for_connection_window() {
    let mut p = Peer::server_handshake(manual(config_with(|l| {
        l.initial_stream_window = 65_535;
        l.max_stream_window = 65_535;
        l.connection_window = 65_535;
        l.max_connection_window = 65_535;
    })));
    p.send(headers(1).request("POST", "/"));
    p.conn.send_reset(sid(1), ErrorCode::CANCEL).unwrap();
    p.pump();
    p.frames.clear();
    // 20,000 octets in flight on the reset stream: discarded, but counted.
    for _ in 0..2 {
        p.send(data(1, &[0; 10_000]));
    }
    p.send(headers(3).request("POST", "/"));
    p.send(headers(5).request("POST", "/"));
    let allowed = 65_535 - 20_000 + p.credit(0) as usize;
    p.send(data(3, &[0; 16_000]));
    p.send(data(3, &[0; 14_000]));
    let mut rest = allowed - 30_000;
    while rest > 0 {
        let n = rest.min(16_000);
        p.send(data(5, &vec![0; n]));
        rest -= n;
    }
    p.expect_no_error();
    p.send(data(5, &[0; 1]));
    p.expect_goaway(FLOW_CONTROL_ERROR);
}

/// S-6.8-5 §6.8: after graceful shutdown's final GOAWAY, streams above its last stream id are not processed
#[test]
fn s6_8_5_streams_after_final_goaway_ignored() {
    let mut p = half_closed1();
    p.conn.goaway(ErrorCode::NO_ERROR, b"");
    p.pump();
    assert_eq!(p.expect_goaway_frame(), (0x7fff_ffff, ErrorCode::NO_ERROR));
    // Complete the round trip the second GOAWAY waits for: answer its PING, let time pass.
    let pings: Vec<[u8; 8]> = p
        .frames
        .iter()
        .filter_map(|f| match f {
            stator_h2::frame::Frame::Ping { ack: false, data } => Some(*data),
            _ => None,
        })
        .collect();
    for payload in pings {
        p.send(ping_ack(payload));
    }
    p.advance(std::time::Duration::from_secs(5));
    let (last, code) = p.expect_goaway_frame();
    assert_eq!((last, code), (1, ErrorCode::NO_ERROR));
    p.send(headers(3).request("GET", "/").eos());
    p.expect_no_request(3);
    p.conn
        .send_response(sid(1), &response_head(200), true)
        .unwrap();
    p.pump();
    assert_eq!(p.expect_head(1).status(), 200);
}

/// X-8441-7 RFC 8441 §5: an accepted Extended CONNECT ⇒ 200 and DATA both ways on the stream
#[test]
fn x8441_7_tunnel_data_both_ways() {
    let mut p = Peer::server_handshake(websocket_config());
    p.send(headers(1).fields(&EXT_CONNECT));
    p.expect_request(1);
    p.conn
        .send_response(sid(1), &response_head(200), false)
        .unwrap();
    assert_eq!(p.conn.send_data(sid(1), b"\x81\x02hi", false).unwrap(), 4);
    p.pump();
    let head = p.expect_head(1);
    assert_eq!(head.status(), 200);
    assert!(!head.end_stream);
    assert_eq!(&p.expect_data(1).0[..], b"\x81\x02hi");
    p.send(data(1, b"\x81\x82abcdef"));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::Data { data, end_stream: false, .. } if &data[..] == b"\x81\x82abcdef"
    )));
    p.expect_no_error();
}

/// Sends `total` octets on stream 1 as fast as the windows the machine grants allow:
/// panics if the windows stall (the machine never gives credit back).
fn stream_upload(p: &mut Peer, total: usize, release: bool) {
    p.send(headers(1).request("POST", "/upload"));
    let mut sent = 0usize;
    let mut received = 0usize;
    while sent < total {
        let stream_window = stator_h2::DEFAULT_STREAM_WINDOW as usize + p.credit(1) as usize;
        let conn_window = 65_535 + p.credit(0) as usize;
        let avail = stream_window.min(conn_window).saturating_sub(sent);
        assert!(avail > 0, "flow control stalled after {sent} octets");
        let n = avail.min(16_384).min(total - sent);
        p.send(data(1, &vec![0; n]).wire());
        sent += n;
        for e in p.take_events() {
            if let Event::Data { data, .. } = e {
                received += data.len();
                if release {
                    p.conn.release_capacity(sid(1), data.len()).unwrap();
                }
            }
        }
        p.pump();
        p.frames
            .retain(|f| !matches!(f, stator_h2::frame::Frame::WindowUpdate { .. }));
    }
    assert_eq!(received, total);
    p.expect_no_error();
}

/// S-6.9-10 §6.9, §5.2: automatic release ⇒ a 20 MiB upload never stalls and never overruns
#[test]
fn s6_9_10_auto_release_keeps_data_flowing() {
    let mut p = hs();
    stream_upload(&mut p, 20 << 20, false);
}

/// S-6.9-11 §6.9, §5.2: manual release by the application ⇒ a 20 MiB upload never stalls
#[test]
fn s6_9_11_manual_release_keeps_data_flowing() {
    let mut p = Peer::server_handshake(manual(Config::default()));
    stream_upload(&mut p, 20 << 20, true);
}

/// S-6.5.2-8 §6.5.2, §6.9.2: the server advertises the configured limits and opens the connection window
#[test]
fn s6_5_2_8_advertised_settings() {
    let mut p = Peer::server(Config::default());
    let limits = Limits::default();
    match p.frames.pop_front() {
        Some(stator_h2::frame::Frame::Settings(s)) => {
            let get = |id: u16| s.iter().find(|e| e.id.0 == id).map(|e| e.value);
            assert_eq!(
                get(setting::MAX_HEADER_LIST_SIZE),
                Some(limits.max_header_list_size)
            );
            assert_eq!(
                get(setting::INITIAL_WINDOW_SIZE),
                Some(limits.initial_stream_window)
            );
            assert_eq!(
                get(setting::ENABLE_PUSH).unwrap_or(0),
                0,
                "a server never pushes here"
            );
        }
        other => panic!("expected SETTINGS, got {other:?}"),
    }
    assert_eq!(p.credit(0), u64::from(limits.connection_window) - 65_535);
}

/// S-8.2-18 §8.2.2: a connection-specific field in trailers ⇒ stream PROTOCOL_ERROR
#[test]
fn s8_2_18_connection_field_in_trailers() {
    let mut p = open1();
    p.send(data(1, b"body"));
    p.send(headers(1).field("transfer-encoding", "chunked").eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}
