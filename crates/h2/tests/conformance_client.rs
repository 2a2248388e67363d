//! RFC 9113 / RFC 7541 / RFC 8441 conformance of the client role: what a malicious or
//! broken server can do, and the exact answer the client machine must give.
//!
//! Every case is listed with its id and result in docs/CONFORMANCE.md ("HTTP/2").
//! Each doc comment reads `ID §section: what the server sends ⇒ what must happen`.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::doc_markdown,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod scripted;

use stator_h2::frame::Frame;
use stator_h2::{Config, ErrorCode, Event, LocalError, StreamId};
use stator_http::ext::Protocol;

use scripted::frames::{data, headers, ping, push_promise, rst, settings, window_update};
use scripted::{Peer, hpack, setting, sid, ty};

const PROTOCOL_ERROR: ErrorCode = ErrorCode::PROTOCOL_ERROR;
const STREAM_CLOSED: ErrorCode = ErrorCode::STREAM_CLOSED;
const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode::FLOW_CONTROL_ERROR;

/// A client after the handshake.
fn hs() -> Peer {
    Peer::client_handshake(Config::default())
}

/// Sends a request (`end_stream`: no body) and checks its HEADERS reached the wire.
fn request(p: &mut Peer, method: &str, end_stream: bool) -> u32 {
    let head = Peer::request_head(method, "https://example.com/");
    let id = p.conn.send_request(&head, end_stream).unwrap().get();
    p.pump();
    let h = p.expect_head(id);
    assert_eq!(h.get(":method"), Some(method));
    assert_eq!(h.end_stream, end_stream);
    id
}

/// A client with a GET on stream 1 sent (END_STREAM), waiting for the response.
fn get1() -> Peer {
    let mut p = hs();
    assert_eq!(request(&mut p, "GET", true), 1);
    p
}

/// The events for `stream` of the kinds tests look at.
fn response_event(p: &mut Peer, stream: u32) -> Option<(http::response::Parts, bool)> {
    let i = p
        .events
        .iter()
        .position(|e| matches!(e, Event::Response { stream: s, .. } if s.get() == stream))?;
    match p.events.remove(i).unwrap() {
        Event::Response {
            head, end_stream, ..
        } => Some((head, end_stream)),
        _ => unreachable!(),
    }
}

/// A malformed response on stream 1 ⇒ stream error PROTOCOL_ERROR, no response event.
fn malformed_response(fields: &[(&str, &str)]) {
    let mut p = get1();
    p.send(headers(1).fields(fields).eos());
    p.expect_rst(1, PROTOCOL_ERROR);
    assert!(
        response_event(&mut p, 1).is_none(),
        "a malformed response surfaced"
    );
}

/// C-3.4-1 §3.4, §6.5.2: the client starts with the preface and SETTINGS carrying ENABLE_PUSH = 0
#[test]
fn c3_4_1_preface_and_enable_push_0() {
    // Peer::client checks the preface.
    let mut p = Peer::client(Config::default());
    match p.frames.pop_front() {
        Some(Frame::Settings(s)) => {
            assert!(!s.is_ack());
            let push = s
                .iter()
                .find(|e| e.id.0 == setting::ENABLE_PUSH)
                .map(|e| e.value);
            assert_eq!(push, Some(0), "a client that refuses push says so");
        }
        other => panic!("expected SETTINGS, got {other:?}"),
    }
}

/// C-3.4-2 §3.4: the server's first frame is not SETTINGS ⇒ connection PROTOCOL_ERROR
#[test]
fn c3_4_2_server_preface_not_settings() {
    let mut p = Peer::client(Config::default());
    p.send(ping(*b"notfirst"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-4.3-1 §4.3: an undecodable response header block ⇒ connection COMPRESSION_ERROR
#[test]
fn c4_3_1_bad_hpack() {
    let mut p = get1();
    p.send(headers(1).block(&[0x80]).eos());
    p.expect_goaway(ErrorCode::COMPRESSION_ERROR);
}

/// C-5.1-1 §5.1.1: HEADERS on a client stream never opened ⇒ connection PROTOCOL_ERROR
#[test]
fn c5_1_1_response_on_unopened_stream() {
    let mut p = get1();
    p.send(headers(3).response(200).eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-5.1-2 §5.1, §8.4: HEADERS on a server-initiated (even) stream without PUSH_PROMISE ⇒ connection PROTOCOL_ERROR
#[test]
fn c5_1_2_headers_on_even_stream() {
    let mut p = get1();
    p.send(headers(2).response(200).eos());
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-5.1-3 §5.1: DATA on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn c5_1_3_data_on_idle_stream() {
    let mut p = get1();
    p.send(data(3, b"x"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-5.1-4 §5.1: DATA after the response's END_STREAM (request still open) ⇒ stream STREAM_CLOSED
#[test]
fn c5_1_4_data_after_end_stream_half_closed() {
    let mut p = hs();
    request(&mut p, "POST", false);
    p.send(headers(1).response(200).eos());
    assert!(response_event(&mut p, 1).is_some());
    p.send(data(1, b"late"));
    p.expect_rst(1, STREAM_CLOSED);
}

/// C-5.1-5 §5.1, §6.1: DATA on a stream closed both ways ⇒ STREAM_CLOSED
#[test]
fn c5_1_5_data_after_end_stream_closed() {
    let mut p = get1();
    p.send(headers(1).response(200).eos());
    assert!(response_event(&mut p, 1).is_some());
    p.send(data(1, b"late"));
    p.expect_error(1, STREAM_CLOSED);
}

/// C-5.1-6 §5.1: a response arriving after we reset the stream ⇒ discarded, no error
#[test]
fn c5_1_6_response_after_our_reset() {
    let mut p = get1();
    p.conn.send_reset(sid(1), ErrorCode::CANCEL).unwrap();
    p.pump();
    p.frames.clear();
    p.send(headers(1).response(200));
    p.send(data(1, b"in flight").eos());
    assert!(response_event(&mut p, 1).is_none());
    p.expect_no_error();
}

/// C-5.4-1 §6.4: RST_STREAM from the server ⇒ Event::Reset (remote)
#[test]
fn c5_4_1_server_reset() {
    let mut p = get1();
    p.send(rst(1, ErrorCode::REFUSED_STREAM));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::Reset { stream, code: ErrorCode::REFUSED_STREAM, remote: true } if stream.get() == 1
    )));
    p.expect_no_error();
}

/// C-5.1.2-1 §5.1.2: the server's MAX_CONCURRENT_STREAMS = 1 ⇒ a second request waits until the first closes
#[test]
fn c5_1_2_1_concurrency_limit_respected() {
    let mut p =
        Peer::client_handshake_with(Config::default(), &[(setting::MAX_CONCURRENT_STREAMS, 1)]);
    request(&mut p, "GET", true);
    let second = p
        .conn
        .send_request(&Peer::request_head("GET", "https://example.com/2"), true)
        .unwrap();
    assert_eq!(second.get(), 3);
    p.pump();
    assert!(
        p.heads.iter().all(|h| h.stream != 3),
        "stream 3 opened beyond the limit"
    );
    p.send(headers(1).response(200).eos());
    let h = p.expect_head(3);
    assert_eq!(h.get(":path"), Some("/2"));
}

/// C-6.5.2-1 §6.5.2: SETTINGS_ENABLE_PUSH = 1 from a server ⇒ connection PROTOCOL_ERROR
#[test]
fn c6_5_2_1_enable_push_from_server() {
    let mut p = Peer::client(Config::default());
    p.send(settings(&[(setting::ENABLE_PUSH, 1)]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-6.5.2-2 RFC 8441 §3: ENABLE_CONNECT_PROTOCOL withdrawn (1 then 0) ⇒ connection PROTOCOL_ERROR
#[test]
fn c6_5_2_2_enable_connect_protocol_withdrawn() {
    let mut p =
        Peer::client_handshake_with(Config::default(), &[(setting::ENABLE_CONNECT_PROTOCOL, 1)]);
    p.send(settings(&[(setting::ENABLE_CONNECT_PROTOCOL, 0)]));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-6.6-1 §6.6, §8.4: PUSH_PROMISE after we sent ENABLE_PUSH = 0 ⇒ connection PROTOCOL_ERROR
#[test]
fn c6_6_1_push_promise_refused() {
    let mut p = get1();
    p.send(push_promise(1, 2, &hpack::request("GET", "/pushed")));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-6.7-1 §6.7: PING from the server ⇒ PING ACK with the same payload
#[test]
fn c6_7_1_ping_answered() {
    let mut p = hs();
    p.send(ping(*b"srv-ping"));
    p.expect_ping_ack(*b"srv-ping");
}

/// C-6.8-1 §6.8: GOAWAY from the server ⇒ Event::GoAway, and no new request can be sent
#[test]
fn c6_8_1_server_goaway() {
    let mut p = get1();
    p.send(scripted::frames::goaway(1, ErrorCode::NO_ERROR));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::GoAway { last_stream_id, code: ErrorCode::NO_ERROR, .. } if last_stream_id.get() == 1
    )));
    let again = p
        .conn
        .send_request(&Peer::request_head("GET", "https://example.com/"), true);
    assert_eq!(again, Err(LocalError::GoingAway));
    // Stream 1 is still answered.
    p.send(headers(1).response(200).eos());
    assert!(response_event(&mut p, 1).is_some());
}

/// C-6.9-1 §6.9.1: connection window beyond 2^31-1 ⇒ connection FLOW_CONTROL_ERROR
#[test]
fn c6_9_1_connection_window_overflow() {
    let mut p = hs();
    p.send(window_update(0, 0x7fff_ffff));
    p.expect_goaway(FLOW_CONTROL_ERROR);
}

/// C-6.9-2 §6.9.1: stream window beyond 2^31-1 ⇒ stream FLOW_CONTROL_ERROR
#[test]
fn c6_9_2_stream_window_overflow() {
    let mut p = hs();
    request(&mut p, "POST", false);
    p.send(window_update(1, 0x7fff_ffff));
    p.expect_rst(1, FLOW_CONTROL_ERROR);
}

/// C-6.9-3 §6.9.1: the client respects the server's INITIAL_WINDOW_SIZE (1 byte)
#[test]
fn c6_9_3_client_respects_window() {
    let mut p =
        Peer::client_handshake_with(Config::default(), &[(setting::INITIAL_WINDOW_SIZE, 1)]);
    request(&mut p, "POST", false);
    assert_eq!(p.conn.send_data(sid(1), b"hello", true).unwrap(), 1);
    p.pump();
    assert_eq!(p.expect_data(1), (bytes::Bytes::from_static(b"h"), false));
}

/// C-8.1-1 §8.1: a 100 then a 200 ⇒ Event::Informational then Event::Response
#[test]
fn c8_1_1_informational_then_final() {
    let mut p = get1();
    p.send(headers(1).response(100));
    p.send(headers(1).response(200).eos());
    let kinds: Vec<_> = p
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Informational { head, .. } => Some(("info", head.status.as_u16())),
            Event::Response { head, .. } => Some(("final", head.status.as_u16())),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, [("info", 100), ("final", 200)]);
}

/// C-8.1-2 §8.1: an informational response with END_STREAM ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_1_2_informational_with_end_stream() {
    let mut p = get1();
    p.send(headers(1).response(103).eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// C-8.1-3 §8.1: trailers without END_STREAM ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_1_3_trailers_without_end_stream() {
    let mut p = get1();
    p.send(headers(1).response(200));
    p.send(data(1, b"body"));
    p.send(headers(1).field("x-trailer", "1"));
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// C-8.1-4 §8.1, §8.3: a pseudo-header in trailers ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_1_4_pseudo_header_in_trailers() {
    let mut p = get1();
    p.send(headers(1).response(200));
    p.send(data(1, b"body"));
    p.send(headers(1).response(200).eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// C-8.1-5 §8.1.1: content-length larger than the content ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_1_5_content_length_mismatch() {
    let mut p = get1();
    p.send(headers(1).response(200).field("content-length", "100"));
    p.send(data(1, b"short").eos());
    p.expect_rst(1, PROTOCOL_ERROR);
}

/// C-8.1-6 §8.1.1: content-length matching the content ⇒ Response and Data events
#[test]
fn c8_1_6_content_length_ok() {
    let mut p = get1();
    p.send(headers(1).response(200).field("content-length", "5"));
    p.send(data(1, b"hello").eos());
    let (head, end) = response_event(&mut p, 1).unwrap();
    assert_eq!(head.status, 200);
    assert!(!end);
    p.expect_no_error();
}

/// C-8.1-7 §8.1.1, RFC 9110 §9.3.2: a HEAD response with content-length and no content ⇒ valid
#[test]
fn c8_1_7_head_response_content_length() {
    let mut p = hs();
    request(&mut p, "HEAD", true);
    p.send(
        headers(1)
            .response(200)
            .field("content-length", "1234")
            .eos(),
    );
    assert!(response_event(&mut p, 1).is_some());
    p.expect_no_error();
}

/// C-8.1-8 §8.1: trailers ending a response ⇒ Event::Trailers
#[test]
fn c8_1_8_trailers() {
    let mut p = get1();
    p.send(headers(1).response(200));
    p.send(data(1, b"body"));
    p.send(headers(1).field("grpc-status", "0").eos());
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::Trailers { trailers, .. } if trailers["grpc-status"] == "0"
    )));
    p.expect_no_error();
}

/// C-8.2-1 §8.2.2: a connection-specific field in a response ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_2_1_connection_specific_field() {
    malformed_response(&[(":status", "200"), ("connection", "close")]);
}

/// C-8.2-2 §8.2: an uppercase field name in a response ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_2_2_uppercase_field() {
    malformed_response(&[(":status", "200"), ("Server", "evil")]);
}

/// C-8.3-1 §8.3: a request pseudo-header (:method) in a response ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_3_1_request_pseudo_in_response() {
    malformed_response(&[(":status", "200"), (":method", "GET")]);
}

/// C-8.3-2 §8.3: :status after a regular field ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_3_2_status_after_regular_field() {
    malformed_response(&[("server", "x"), (":status", "200")]);
}

/// C-8.3.2-1 §8.3.2: no :status ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_3_2_1_missing_status() {
    malformed_response(&[("server", "x")]);
}

/// C-8.3.2-2 §8.3.2: a non-numeric :status ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_3_2_2_invalid_status() {
    malformed_response(&[(":status", "abc")]);
}

/// C-8.3.2-3 §8.3.2: a two-digit :status ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_3_2_3_short_status() {
    malformed_response(&[(":status", "20")]);
}

/// C-8.3.2-4 §8.3: :status twice ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_3_2_4_duplicate_status() {
    malformed_response(&[(":status", "200"), (":status", "204")]);
}

/// C-8.6-1 §8.6: a 101 (Switching Protocols) response ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_6_1_switching_protocols() {
    let mut p = get1();
    p.send(headers(1).response(101).field("upgrade", "websocket"));
    p.expect_rst(1, PROTOCOL_ERROR);
    assert!(
        !p.events
            .iter()
            .any(|e| matches!(e, Event::Informational { .. }))
    );
}

/// C-8441-1 RFC 8441 §3: Extended CONNECT to a server without the setting ⇒ Event::Refused, nothing sent
#[test]
fn c8441_1_extended_connect_unsupported() {
    let mut p = hs();
    assert_eq!(p.conn.extended_connect(), Some(false));
    let mut head = Peer::request_head("CONNECT", "https://example.com/chat");
    head.extensions.insert(Protocol::from("websocket"));
    let result = p.conn.send_request(&head, false);
    p.pump();
    let refused = match result {
        Err(e) => Some(e),
        Ok(id) => p.take_events().into_iter().find_map(|e| match e {
            Event::Refused { stream, reason } if stream == id => Some(reason),
            _ => None,
        }),
    };
    assert_eq!(refused, Some(LocalError::ExtendedConnectUnsupported));
    assert!(p.heads.is_empty(), "nothing may reach the server");
}

/// C-8441-2 RFC 8441 §4: Extended CONNECT to a server that enabled it ⇒ HEADERS with :protocol, :scheme, :path
#[test]
fn c8441_2_extended_connect_sent() {
    let mut p =
        Peer::client_handshake_with(Config::default(), &[(setting::ENABLE_CONNECT_PROTOCOL, 1)]);
    assert_eq!(p.conn.extended_connect(), Some(true));
    let mut head = Peer::request_head("CONNECT", "https://example.com/chat");
    head.extensions.insert(Protocol::from("websocket"));
    let id: StreamId = p.conn.send_request(&head, false).unwrap();
    p.pump();
    let h = p.expect_head(id.get());
    assert_eq!(h.get(":method"), Some("CONNECT"));
    assert_eq!(h.get(":protocol"), Some("websocket"));
    assert_eq!(h.get(":scheme"), Some("https"));
    assert_eq!(h.get(":path"), Some("/chat"));
    assert_eq!(h.get(":authority"), Some("example.com"));
    assert!(!h.end_stream);
}

/// C-8.5-1 §8.5: a CONNECT request carries only :method and :authority
#[test]
fn c8_5_1_connect_request_form() {
    let mut p = hs();
    let head = Peer::request_head("CONNECT", "proxy.example:443");
    let id = p.conn.send_request(&head, false).unwrap();
    p.pump();
    let h = p.expect_head(id.get());
    assert_eq!(h.get(":method"), Some("CONNECT"));
    assert_eq!(h.get(":authority"), Some("proxy.example:443"));
    assert_eq!(h.get(":scheme"), None);
    assert_eq!(h.get(":path"), None);
    let _ = ty::HEADERS;
}

/// C-4.2-1 §4.2: response DATA larger than our SETTINGS_MAX_FRAME_SIZE ⇒ FRAME_SIZE_ERROR
#[test]
fn c4_2_1_data_over_max_frame_size() {
    let mut p = get1();
    p.send(headers(1).response(200));
    p.send(data(1, &vec![0; 16_385]));
    p.expect_error(1, ErrorCode::FRAME_SIZE_ERROR);
}

/// C-4.3-2 §4.3: a response header block interrupted by another frame ⇒ connection PROTOCOL_ERROR
#[test]
fn c4_3_2_block_interrupted() {
    let mut p = get1();
    p.send(headers(1).response(200).no_end_headers());
    p.send(ping(*b"interrup"));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-5.1.1-1 §5.1.1: the client numbers its streams 1, 3, 5, …
#[test]
fn c5_1_1_1_client_stream_ids_increase() {
    let mut p = hs();
    let ids: Vec<u32> = (0..3).map(|_| request(&mut p, "GET", true)).collect();
    assert_eq!(ids, [1, 3, 5]);
}

/// C-6.5-1 §6.5: SETTINGS ACK with a payload from the server ⇒ connection FRAME_SIZE_ERROR
#[test]
fn c6_5_1_settings_ack_with_payload() {
    let mut p = hs();
    p.send(scripted::frames::raw(
        ty::SETTINGS,
        0x1,
        0,
        &[0, 3, 0, 0, 0, 1],
    ));
    p.expect_goaway(ErrorCode::FRAME_SIZE_ERROR);
}

/// C-7-1 §7: an unknown error code in RST_STREAM ⇒ reported as is, no special behaviour
#[test]
fn c7_1_unknown_error_code_in_rst_stream() {
    let mut p = get1();
    p.send(rst(1, ErrorCode(0xbeef)));
    assert!(p.take_events().iter().any(|e| matches!(
        e,
        Event::Reset {
            code: ErrorCode(0xbeef),
            remote: true,
            ..
        }
    )));
    p.expect_no_error();
}

/// C-8.1-9 §8.1: DATA before the response HEADERS ⇒ stream PROTOCOL_ERROR
#[test]
fn c8_1_9_data_before_response_headers() {
    let mut p = get1();
    p.send(data(1, b"body first"));
    p.expect_error(1, PROTOCOL_ERROR);
    assert!(response_event(&mut p, 1).is_none());
}

/// C-6.9.2-1 §6.9.2: the server's INITIAL_WINDOW_SIZE increase applies to the client's open stream
#[test]
fn c6_9_2_1_initial_window_change() {
    let mut p =
        Peer::client_handshake_with(Config::default(), &[(setting::INITIAL_WINDOW_SIZE, 4)]);
    request(&mut p, "POST", false);
    assert_eq!(p.conn.send_capacity(sid(1)), 4);
    p.send(settings(&[(setting::INITIAL_WINDOW_SIZE, 10)]));
    assert_eq!(p.conn.send_capacity(sid(1)), 10);
}

/// C-8.1-10 §8.1: RST_STREAM NO_ERROR after a complete response (stop sending) ⇒ the response stands, no error
#[test]
fn c8_1_10_rst_no_error_after_response() {
    let mut p = hs();
    request(&mut p, "POST", false);
    p.send(headers(1).response(200).eos());
    p.send(rst(1, ErrorCode::NO_ERROR));
    assert!(response_event(&mut p, 1).is_some());
    p.expect_no_error();
}

/// C-5.1-7 §5.1: WINDOW_UPDATE on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn c5_1_7_window_update_idle() {
    let mut p = get1();
    p.send(window_update(3, 10));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-5.1-8 §6.4: RST_STREAM on an idle stream ⇒ connection PROTOCOL_ERROR
#[test]
fn c5_1_8_rst_idle() {
    let mut p = get1();
    p.send(rst(5, ErrorCode::CANCEL));
    p.expect_goaway(PROTOCOL_ERROR);
}

/// C-6.9-4 §6.9.1: response DATA beyond the stream window the client advertised ⇒ FLOW_CONTROL_ERROR
#[test]
fn c6_9_4_data_beyond_client_window() {
    let mut config = Config::default();
    config.flow_control = stator_h2::FlowControl::Manual;
    config.limits.initial_stream_window = 100;
    config.limits.max_stream_window = 100;
    let mut p = Peer::client_handshake(config);
    request(&mut p, "GET", true);
    p.send(headers(1).response(200));
    p.send(data(1, &[0; 100]));
    p.expect_no_error();
    p.send(data(1, &[0; 1]));
    p.expect_error(1, FLOW_CONTROL_ERROR);
}
