//! Tests of the connection's timers, send-side checks and flow-control bookkeeping that
//! need to look inside the machine (its windows, flags and budgets), over an in-memory
//! pair on simulated time.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::time::{Duration, Instant};

use http::{HeaderMap, Request, Response, request, response};
use stator_http::body::BodyError;

use super::{Config, Connection, Event, FlowControl, LocalError};
use crate::frame::{self, Frame, FrameReader, Setting, SettingId};
use crate::{ErrorCode, StreamId};

/// Both ends and the clock.
struct Pair {
    client: Connection,
    server: Connection,
    now: Instant,
}

impl Pair {
    fn new(client: Config, server: Config) -> Pair {
        let mut pair = Pair {
            client: Connection::client(client),
            server: Connection::server(server),
            now: Instant::now(),
        };
        let _ = pair.drive();
        pair
    }

    /// Moves bytes both ways until both sides are quiet; returns the events of each.
    fn drive(&mut self) -> (Vec<Event>, Vec<Event>) {
        let (mut client_events, mut server_events) = (Vec::new(), Vec::new());
        loop {
            let mut moved = false;
            let mut wire = Vec::new();
            if self.client.poll_output(&mut wire) > 0 {
                moved = true;
                let _ = self.server.recv(self.now, &wire);
            }
            wire.clear();
            if self.server.poll_output(&mut wire) > 0 {
                moved = true;
                let _ = self.client.recv(self.now, &wire);
            }
            while let Some(e) = self.client.poll_event() {
                moved = true;
                client_events.push(e);
            }
            while let Some(e) = self.server.poll_event() {
                moved = true;
                server_events.push(e);
            }
            if !moved {
                return (client_events, server_events);
            }
        }
    }
}

/// The frames in a machine's output (after the preface and SETTINGS exchange).
fn frames_of(conn: &mut Connection) -> Vec<Frame> {
    let mut wire = Vec::new();
    let _ = conn.poll_output(&mut wire);
    let mut reader = FrameReader::new(frame::MAX_MAX_FRAME_SIZE);
    reader.recv(&wire);
    std::iter::from_fn(|| reader.next_frame().unwrap()).collect()
}

fn events_of(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn post(content_length: Option<&str>) -> request::Parts {
    let mut b = Request::post("https://example.org/upload");
    if let Some(cl) = content_length {
        b = b.header("content-length", cl);
    }
    b.body(()).unwrap().into_parts().0
}

fn ok(content_length: Option<&str>) -> response::Parts {
    let mut b = Response::builder().status(200);
    if let Some(cl) = content_length {
        b = b.header("content-length", cl);
    }
    b.body(()).unwrap().into_parts().0
}

/// The stream of the first `Request` event.
fn request_stream(events: &[Event]) -> StreamId {
    events
        .iter()
        .find_map(|e| match e {
            Event::Request { stream, .. } => Some(*stream),
            _ => None,
        })
        .unwrap()
}

// --- Graceful shutdown deadlines (RFC 9113 §6.8) ---

#[test]
fn a_peer_that_never_answers_the_drain_ping_gets_the_final_goaway_after_the_timeout() {
    let mut p = Pair::new(Config::default(), Config::default());
    let id = p.client.send_request(&post(None), false).unwrap();
    let (_, server_events) = p.drive();
    assert_eq!(request_stream(&server_events), id);

    p.server.goaway(ErrorCode::NO_ERROR, b"");
    // The client never sees these frames: its PING ACK never comes.
    let first = frames_of(&mut p.server);
    assert!(matches!(
        first[0],
        Frame::GoAway {
            last_stream_id: StreamId::MAX,
            ..
        }
    ));
    assert!(matches!(first[1], Frame::Ping { ack: false, .. }));
    let ping_deadline = p.now + Duration::from_secs(1);
    assert_eq!(p.server.poll_timeout(), Some(ping_deadline));

    // Not yet: nothing happens just before the deadline.
    p.server
        .handle_timeout(ping_deadline.checked_sub(Duration::from_millis(1)).unwrap());
    assert!(frames_of(&mut p.server).is_empty());

    p.server.handle_timeout(ping_deadline);
    let second = frames_of(&mut p.server);
    assert!(
        matches!(second[..], [Frame::GoAway { last_stream_id, code: ErrorCode::NO_ERROR, .. }] if last_stream_id == id),
        "{second:?}"
    );
    let drain_deadline = ping_deadline + Duration::from_secs(30);
    assert_eq!(p.server.poll_timeout(), Some(drain_deadline));
    assert!(
        !p.server.is_closed(),
        "the stream in flight may still finish"
    );

    // The stream never finishes: at the drain deadline it is reset and the connection
    // closes.
    p.server.handle_timeout(drain_deadline);
    let last = frames_of(&mut p.server);
    assert!(
        matches!(last[..], [Frame::RstStream { stream_id, code: ErrorCode::CANCEL }] if stream_id == id),
        "{last:?}"
    );
    let events = events_of(&mut p.server);
    assert!(matches!(
        events[..],
        [
            Event::Reset { stream, code: ErrorCode::CANCEL, remote: false },
            Event::Closed { error: None }
        ] if stream == id
    ));
    assert!(p.server.is_closed());
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn the_drain_ping_ack_after_its_deadline_is_not_the_applications() {
    let mut p = Pair::new(Config::default(), Config::default());
    let _ = p.client.send_request(&post(None), false).unwrap();
    let _ = p.drive();
    p.server.goaway(ErrorCode::NO_ERROR, b"");
    let mut held = Vec::new();
    let _ = p.server.poll_output(&mut held);
    p.now += Duration::from_secs(2);
    p.server.handle_timeout(p.now);
    // The client answers late.
    p.client.recv(p.now, &held).unwrap();
    let (_, server_events) = p.drive();
    assert!(
        !server_events
            .iter()
            .any(|e| matches!(e, Event::PingAck { .. })),
        "{server_events:?}"
    );
    assert!(p.server.ping(*b"app ping").is_ok());
}

#[test]
fn streams_that_finish_in_time_close_the_connection_without_resets() {
    let mut p = Pair::new(Config::default(), Config::default());
    let id = p.client.send_request(&post(None), true).unwrap();
    let _ = p.drive();
    p.server.goaway(ErrorCode::NO_ERROR, b"");
    let _ = p.drive();
    assert_eq!(
        p.server.poll_timeout(),
        Some(p.now + Duration::from_secs(30)),
        "the ACK came back: the drain deadline runs"
    );
    p.server.send_response(id, &ok(None), true).unwrap();
    let (_, server_events) = p.drive();
    assert!(matches!(
        server_events.last(),
        Some(Event::Closed { error: None })
    ));
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn a_goaway_before_the_clock_is_known_starts_its_deadline_at_the_first_time_given() {
    let mut server = Connection::server(Config::default());
    server.goaway(ErrorCode::NO_ERROR, b"");
    assert_eq!(server.poll_timeout(), None, "no time seen yet");
    let now = Instant::now();
    server.handle_timeout(now);
    // The SETTINGS timer (10 s) started too; the PING's is the earlier.
    assert_eq!(server.poll_timeout(), Some(now + Duration::from_secs(1)));
}

// --- The peer's SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 §6.5.2) ---

/// A pair whose server advertises a tiny `SETTINGS_MAX_HEADER_LIST_SIZE`, and the reverse.
fn small_list_pair() -> Pair {
    let mut config = Config::default();
    config.limits.max_header_list_size = 200;
    Pair::new(config.clone(), config)
}

#[test]
fn a_request_head_over_the_peers_header_list_size_is_not_sent() {
    let mut p = small_list_pair();
    let mut head = post(None);
    head.headers
        .insert("x-big", "a".repeat(300).parse().unwrap());
    let err = p.client.send_request(&head, true).unwrap_err();
    assert!(
        matches!(err, LocalError::HeaderListTooLarge { size, limit: 200 } if size > 300),
        "{err:?}"
    );
    assert!(frames_of(&mut p.client).is_empty(), "nothing sent");
    // No id was used: the next request gets stream 1.
    assert_eq!(p.client.send_request(&post(None), true).unwrap().get(), 1);
}

#[test]
fn a_response_or_trailers_over_the_peers_header_list_size_are_not_sent() {
    let mut p = small_list_pair();
    let id = p.client.send_request(&post(None), false).unwrap();
    let _ = p.drive();
    let mut big = ok(None);
    big.headers
        .insert("x-big", "a".repeat(300).parse().unwrap());
    assert!(matches!(
        p.server.send_response(id, &big, true),
        Err(LocalError::HeaderListTooLarge { limit: 200, .. })
    ));
    assert!(frames_of(&mut p.server).is_empty());
    let mut trailers = HeaderMap::new();
    trailers.insert("x-big", "a".repeat(300).parse().unwrap());
    assert!(matches!(
        p.client.send_trailers(id, &trailers),
        Err(LocalError::HeaderListTooLarge { .. })
    ));
    // The stream is untouched: a head that fits still goes.
    p.server.send_response(id, &ok(None), false).unwrap();
    assert!(!frames_of(&mut p.server).is_empty());
}

#[test]
fn a_queued_request_over_the_limit_learnt_meanwhile_is_refused_and_its_id_burnt() {
    let mut client = Connection::client(Config::default());
    let mut big = post(None);
    big.headers
        .insert("x-big", "a".repeat(500).parse().unwrap());
    // Extended CONNECT waits for the SETTINGS; the big request queues behind it.
    let mut ws = Request::connect("https://example.org/chat")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    ws.extensions
        .insert(stator_http::ext::Protocol::from_static("websocket"));
    let first = client.send_request(&ws, false).unwrap();
    let second = client.send_request(&big, true).unwrap();
    let third = client.send_request(&post(None), true).unwrap();
    let _ = frames_of(&mut client);
    let mut wire = Vec::new();
    frame::write_settings_entries(
        &mut wire,
        &[
            Setting {
                id: SettingId::MAX_HEADER_LIST_SIZE,
                value: 400,
            },
            Setting {
                id: SettingId::ENABLE_CONNECT_PROTOCOL,
                value: 1,
            },
        ],
    )
    .unwrap();
    client.recv(Instant::now(), &wire).unwrap();
    let events = events_of(&mut client);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Refused { stream, reason: LocalError::HeaderListTooLarge { .. } } if *stream == second
    )));
    let opened: Vec<StreamId> = frames_of(&mut client)
        .iter()
        .filter_map(|f| match f {
            Frame::Headers { stream_id, .. } => Some(*stream_id),
            _ => None,
        })
        .collect();
    assert_eq!(opened, [first, third], "ids stay as promised");
}

// --- Our own Content-Length (RFC 9113 §8.1.1) ---

#[test]
fn content_beyond_our_content_length_is_refused_and_nothing_sent() {
    let mut p = Pair::new(Config::default(), Config::default());
    let id = p.client.send_request(&post(Some("5")), false).unwrap();
    let _ = p.drive();
    let err = p.client.send_data(id, b"too long", true).unwrap_err();
    assert_eq!(
        err,
        LocalError::ContentLength {
            stream: id,
            error: BodyError::TooMuchContent { declared: 5 }
        }
    );
    assert!(frames_of(&mut p.client).is_empty());
    // The stream is intact: the right content still goes.
    assert_eq!(p.client.send_data(id, b"12", false).unwrap(), 2);
    assert!(p.client.send_data(id, b"3456", false).is_err());
    assert_eq!(p.client.send_data(id, b"345", true).unwrap(), 3);
    let (_, server_events) = p.drive();
    assert!(server_events.iter().any(|e| matches!(
        e,
        Event::Data {
            end_stream: true,
            ..
        }
    )));
    assert!(
        !server_events
            .iter()
            .any(|e| matches!(e, Event::Reset { .. }))
    );
}

#[test]
fn ending_short_of_our_content_length_resets_the_stream() {
    let mut p = Pair::new(Config::default(), Config::default());
    let id = p.client.send_request(&post(Some("10")), false).unwrap();
    let _ = p.drive();
    p.server.send_response(id, &ok(Some("4")), false).unwrap();
    assert_eq!(p.server.send_data(id, b"ab", false).unwrap(), 2);
    let _ = frames_of(&mut p.server);
    let err = p.server.send_data(id, b"c", true).unwrap_err();
    assert!(matches!(
        err,
        LocalError::ContentLength {
            error: BodyError::TooLittleContent {
                declared: 4,
                received: 3
            },
            ..
        }
    ));
    // Nothing of the call, only the reset: the peer never sees a short message complete.
    let out = frames_of(&mut p.server);
    assert!(
        matches!(out[..], [Frame::RstStream { stream_id, code: ErrorCode::INTERNAL_ERROR }] if stream_id == id),
        "{out:?}"
    );
    assert!(matches!(
        events_of(&mut p.server)[..],
        [Event::Reset {
            code: ErrorCode::INTERNAL_ERROR,
            remote: false,
            ..
        }]
    ));
    assert!(matches!(
        p.server.send_data(id, b"d", true),
        Err(LocalError::UnknownStream(_))
    ));

    // Trailers end a message too.
    let id = p.client.send_request(&post(Some("3")), false).unwrap();
    assert_eq!(p.client.send_data(id, b"ab", false).unwrap(), 2);
    assert!(matches!(
        p.client.send_trailers(id, &HeaderMap::new()),
        Err(LocalError::ContentLength { .. })
    ));
    // A head that ends the message while declaring content is refused before it goes.
    assert!(matches!(
        p.client.send_request(&post(Some("3")), true),
        Err(LocalError::ContentLength {
            stream: StreamId::ZERO,
            ..
        })
    ));
}

#[test]
fn content_rules_of_the_request_method_bind_our_response() {
    let mut p = Pair::new(Config::default(), Config::default());
    let head = Request::head("https://example.org/")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let id = p.client.send_request(&head, true).unwrap();
    let _ = p.drive();
    // RFC 9110 §9.3.2: a HEAD response's Content-Length describes the GET's content; none
    // may be sent.
    p.server.send_response(id, &ok(Some("100")), false).unwrap();
    assert!(matches!(
        p.server.send_data(id, b"x", false),
        Err(LocalError::ContentLength {
            error: BodyError::ContentNotAllowed,
            ..
        })
    ));
    assert_eq!(p.server.send_data(id, b"", true).unwrap(), 0);
}

// --- Flow control: a stream that ends gives its connection credit back (RFC 9113 §6.9) ---

#[test]
fn reset_streams_cannot_leak_the_connection_window_under_manual_flow_control() {
    let mut server = Config {
        flow_control: FlowControl::Manual,
        ..Config::default()
    };
    server.limits.initial_stream_window = 64 * 1024;
    server.limits.connection_window = 128 * 1024;
    let mut p = Pair::new(Config::default(), server);
    let chunk = vec![7_u8; 64 * 1024];
    // Ten streams of a full stream window each: five times the connection window. The
    // server's application never releases anything; the client resets each stream.
    for round in 0..10 {
        let id = p.client.send_request(&post(None), false).unwrap();
        assert_eq!(
            p.client.send_data(id, &chunk, false).unwrap(),
            chunk.len(),
            "round {round}: the connection window was given back"
        );
        let _ = p.drive();
        p.client.send_reset(id, ErrorCode::CANCEL).unwrap();
        let _ = p.drive();
        assert_eq!(p.server.conn_recv.buffered(), 0, "round {round}");
    }
    // The same when the server resets (or the stream ends normally).
    let id = p.client.send_request(&post(None), false).unwrap();
    assert_eq!(p.client.send_data(id, &chunk, false).unwrap(), chunk.len());
    let _ = p.drive();
    assert_eq!(p.server.conn_recv.buffered(), 64 * 1024);
    p.server.send_reset(id, ErrorCode::CANCEL).unwrap();
    let _ = p.drive();
    assert_eq!(p.server.conn_recv.buffered(), 0);
    // Releasing on the gone stream gives nothing twice.
    p.server.release_capacity(id, 64 * 1024).unwrap();
    assert_eq!(p.server.conn_recv.buffered(), 0);
    assert_eq!(
        p.client.conn_send.available(),
        128 * 1024,
        "the whole connection window is open again"
    );
}

// --- The accept flag behind the pending-accept reset budget ---

#[test]
fn only_streams_reset_before_their_request_is_polled_count_as_unaccepted() {
    let mut client = Connection::client(Config::default());
    let mut server = Connection::server(Config::default());
    let now = Instant::now();
    let a = client.send_request(&post(None), false).unwrap();
    let b = client.send_request(&post(None), false).unwrap();
    let mut wire = Vec::new();
    let _ = client.poll_output(&mut wire);
    server.recv(now, &wire).unwrap();
    assert!(server.streams.get(a).unwrap().request_pending);
    // The application takes the first request only.
    let taken = loop {
        if let Event::Request { stream, .. } = server.poll_event().unwrap() {
            break stream;
        }
    };
    assert_eq!(taken, a);
    assert!(!server.streams.get(a).unwrap().request_pending);
    assert!(server.streams.get(b).unwrap().request_pending);
    client.send_reset(a, ErrorCode::CANCEL).unwrap();
    client.send_reset(b, ErrorCode::CANCEL).unwrap();
    wire.clear();
    let _ = client.poll_output(&mut wire);
    server.recv(now, &wire).unwrap();
    assert_eq!(server.budgets.pending_accept_resets.get(), 1);
    assert_eq!(server.unaccepted_resets, [b]);
    let _ = events_of(&mut server);
    assert_eq!(server.budgets.pending_accept_resets.get(), 0);
}

// --- Receive-window auto-tuning (Config::window_auto_tuning) ---

/// The client uploads `len` bytes on one stream to a server with this configuration;
/// returns the pair and the stream.
fn upload(server: Config, len: usize) -> (Pair, StreamId, Vec<Event>) {
    let mut p = Pair::new(Config::default(), server);
    let id = p.client.send_request(&post(None), false).unwrap();
    let chunk = vec![1_u8; 16 * 1024];
    let (mut sent, mut server_events) = (0, Vec::new());
    for _ in 0..10_000 {
        if sent >= len {
            break;
        }
        let want = chunk.len().min(len - sent);
        sent += p.client.send_data(id, &chunk[..want], false).unwrap();
        server_events.extend(p.drive().1);
    }
    assert_eq!(sent, len);
    (p, id, server_events)
}

fn tuning_config(on: bool) -> Config {
    let mut config = Config {
        window_auto_tuning: on,
        ..Config::default()
    };
    config.limits.initial_stream_window = 64 * 1024;
    config.limits.connection_window = 128 * 1024;
    config.limits.max_stream_window = 1024 * 1024;
    config.limits.max_connection_window = 2 * 1024 * 1024;
    config
}

#[test]
fn auto_tuning_grows_windows_a_fast_peer_fills_up_to_their_maximum() {
    let (p, id, events) = upload(tuning_config(true), 8 * 1024 * 1024);
    let stream = p.server.streams.get(id).unwrap();
    assert_eq!(stream.recv.target(), 1024 * 1024, "grown to the maximum");
    assert_eq!(p.server.conn_recv.target(), 2 * 1024 * 1024);
    // The RTT PINGs are the machine's own business.
    assert!(
        !events.iter().any(|e| matches!(e, Event::PingAck { .. })),
        "{:?}",
        events.iter().find(|e| matches!(e, Event::PingAck { .. }))
    );
    assert!(p.server.tuning.as_ref().unwrap().rtt().is_some());
    // The client sees the larger window.
    assert!(p.client.send_capacity(id) > 64 * 1024);
}

#[test]
fn without_auto_tuning_windows_stay_and_no_ping_is_sent() {
    let mut p = Pair::new(Config::default(), tuning_config(false));
    let id = p.client.send_request(&post(None), false).unwrap();
    assert_eq!(p.client.send_data(id, &[0; 1000], false).unwrap(), 1000);
    let mut wire = Vec::new();
    let _ = p.client.poll_output(&mut wire);
    p.server.recv(p.now, &wire).unwrap();
    assert!(
        !frames_of(&mut p.server)
            .iter()
            .any(|f| matches!(f, Frame::Ping { .. }))
    );
    let (p, id, _) = upload(tuning_config(false), 1024 * 1024);
    assert_eq!(p.server.streams.get(id).unwrap().recv.target(), 64 * 1024);
    assert_eq!(p.server.conn_recv.target(), 128 * 1024);
}
