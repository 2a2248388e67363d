//! Whole exchanges between a client and a server machine, in memory.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::{Pair, body, get, req, requests, resp};
use http::{HeaderMap, Method};
use stator_h2::{Config, ErrorCode, Event, FlowControl, LocalError, StreamId};
use stator_http::ext::Protocol;

#[test]
fn connects_and_exchanges_settings() {
    let mut pair = Pair::new();
    pair.drive();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, Event::Settings(_)))
    );
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, Event::Settings(_)))
    );
    assert_eq!(
        pair.client.peer_settings().unwrap().max_concurrent_streams,
        Some(100)
    );
    assert_eq!(pair.client.extended_connect(), Some(false));
    assert!(
        pair.client.poll_timeout().is_none(),
        "SETTINGS acknowledged"
    );
    assert!(pair.server.poll_timeout().is_none());
}

#[test]
fn get_round_trip() {
    let mut pair = Pair::connect();
    let id = pair.client.send_request(&get("/hello"), true).unwrap();
    assert_eq!(id, StreamId::new(1).unwrap());
    pair.drive();
    let ev = pair.take_server_events();
    let Some(Event::Request {
        stream,
        head,
        end_stream,
    }) = ev.first()
    else {
        panic!("{ev:?}")
    };
    assert_eq!((*stream, *end_stream), (id, true));
    assert_eq!(head.uri.path(), "/hello");
    assert_eq!(head.method, Method::GET);
    pair.server.send_response(id, &resp(200), false).unwrap();
    assert_eq!(pair.server.send_data(id, b"hi there", true).unwrap(), 8);
    pair.drive();
    let ev = pair.take_client_events();
    assert!(
        matches!(&ev[0], Event::Response { head, end_stream: false, .. } if head.status == 200)
    );
    assert_eq!(body(&ev, id), (b"hi there".to_vec(), true));
    assert_eq!(pair.client.active_streams(), 0);
    assert_eq!(pair.server.active_streams(), 0);
}

#[test]
fn post_with_trailers_and_informational() {
    let mut pair = Pair::connect();
    let mut head = req(Method::POST, "/upload");
    head.headers.insert("content-length", "5".parse().unwrap());
    let id = pair.client.send_request(&head, false).unwrap();
    pair.client.send_data(id, b"hello", false).unwrap();
    let mut trailers = HeaderMap::new();
    trailers.insert("x-checksum", "abc".parse().unwrap());
    pair.client.send_trailers(id, &trailers).unwrap();
    pair.drive();
    let ev = pair.take_server_events();
    assert_eq!(requests(&ev), vec![id]);
    assert_eq!(body(&ev, id), (b"hello".to_vec(), true));
    assert!(
        ev.iter().any(
            |e| matches!(e, Event::Trailers { trailers, .. } if trailers["x-checksum"] == "abc")
        )
    );
    pair.server.send_response(id, &resp(103), false).unwrap();
    pair.server.send_response(id, &resp(204), true).unwrap();
    pair.drive();
    let ev = pair.take_client_events();
    assert!(matches!(&ev[0], Event::Informational { head, .. } if head.status == 103));
    assert!(matches!(&ev[1], Event::Response { head, end_stream: true, .. } if head.status == 204));
}

#[test]
fn content_length_mismatch_resets_the_stream() {
    let mut pair = Pair::connect();
    let mut head = req(Method::POST, "/");
    head.headers.insert("content-length", "3".parse().unwrap());
    let id = pair.client.send_request(&head, false).unwrap();
    // Our own machine refuses to send it (LocalError, nothing sent)…
    assert!(matches!(
        pair.client.send_data(id, b"toolong", true),
        Err(LocalError::ContentLength { .. })
    ));
    pair.drive();
    // …so the peer's side is played with a raw DATA frame.
    let mut wire = Vec::new();
    let _ = stator_h2::frame::write_data(&mut wire, id, b"toolong", true, None);
    pair.server.recv(pair.now, &wire).unwrap();
    pair.drive();
    let ev = pair.take_client_events();
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::Reset {
                code: ErrorCode::PROTOCOL_ERROR,
                remote: true,
                ..
            }
        )),
        "{ev:?}"
    );
    assert!(!pair.server.is_closed());
}

#[test]
fn large_body_flows_across_many_window_updates() {
    let mut limits = stator_h2::Limits::default();
    limits.initial_stream_window = 65_535;
    limits.connection_window = 65_535;
    let mut server = Config::default();
    server.limits = limits;
    let mut pair = Pair::with_configs(Config::default(), server);
    pair.drive();
    let id = pair
        .client
        .send_request(&req(Method::POST, "/big"), false)
        .unwrap();
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    let mut rounds = 0;
    while sent < payload.len() {
        let n = pair.client.send_data(id, &payload[sent..], true).unwrap();
        sent += n;
        pair.drive();
        rounds += 1;
        assert!(rounds < 1_000);
        if n == 0 {
            assert!(
                pair.client_events
                    .iter()
                    .any(|e| matches!(e, Event::Writable { .. }))
                    || sent == payload.len()
            );
        }
    }
    pair.drive();
    let (got, end) = body(&pair.server_events, id);
    assert!(end);
    assert_eq!(got.len(), payload.len());
    assert!(got == payload);
    assert!(rounds > 10, "needed many window updates, took {rounds}");
}

#[test]
fn concurrency_limit_queues_requests_in_order() {
    let mut limits = stator_h2::Limits::default();
    limits.max_concurrent_streams = 2;
    let mut server = Config::default();
    server.limits = limits;
    let mut pair = Pair::with_configs(Config::default(), server);
    pair.drive();
    let ids: Vec<StreamId> = (0..5)
        .map(|_| pair.client.send_request(&get("/"), true).unwrap())
        .collect();
    assert_eq!(
        ids.iter().map(|i| i.get()).collect::<Vec<_>>(),
        vec![1, 3, 5, 7, 9]
    );
    assert_eq!(pair.client.queued_requests(), 3);
    pair.drive();
    let mut served = Vec::new();
    for _ in 0..5 {
        let got = requests(&pair.take_server_events());
        assert!(got.len() <= 2);
        for id in got {
            pair.server.send_response(id, &resp(200), true).unwrap();
            served.push(id);
        }
        pair.drive();
    }
    assert_eq!(served, ids);
    assert_eq!(pair.client.queued_requests(), 0);
}

#[test]
fn a_queued_request_says_when_its_content_can_follow() {
    let mut limits = stator_h2::Limits::default();
    limits.max_concurrent_streams = 1;
    let mut server = Config::default();
    server.limits = limits;
    let mut pair = Pair::with_configs(Config::default(), server);
    pair.drive();
    let first = pair.client.send_request(&get("/"), true).unwrap();
    let post = pair
        .client
        .send_request(&req(Method::POST, "/upload"), false)
        .unwrap();
    assert_eq!(pair.client.queued_requests(), 1);
    // Its head has not gone out: no content yet.
    assert!(matches!(
        pair.client.send_data(post, b"early", true),
        Err(LocalError::StreamNotWritable(id)) if id == post
    ));
    pair.drive();
    assert_eq!(requests(&pair.take_server_events()), vec![first]);
    pair.server.send_response(first, &resp(204), true).unwrap();
    pair.drive();
    let events = pair.take_client_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Writable { stream } if *stream == post)),
        "{events:?}"
    );
    assert_eq!(pair.client.send_data(post, b"late", true).unwrap(), 4);
    pair.drive();
    let events = pair.take_server_events();
    assert_eq!(requests(&events), vec![post]);
    assert_eq!(body(&events, post), (b"late".to_vec(), true));
}

#[test]
fn many_concurrent_streams() {
    let mut pair = Pair::connect();
    let ids: Vec<StreamId> = (0..50)
        .map(|i| {
            pair.client
                .send_request(&get(&format!("/{i}")), true)
                .unwrap()
        })
        .collect();
    pair.drive();
    assert_eq!(requests(&pair.take_server_events()), ids);
    for id in &ids {
        pair.server.send_response(*id, &resp(200), false).unwrap();
        pair.server
            .send_data(*id, id.get().to_string().as_bytes(), true)
            .unwrap();
    }
    pair.drive();
    let ev = pair.take_client_events();
    for id in ids {
        assert_eq!(body(&ev, id).0, id.get().to_string().into_bytes());
    }
}

#[test]
fn resets_both_ways() {
    let mut pair = Pair::connect();
    let a = pair.client.send_request(&get("/a"), false).unwrap();
    let b = pair.client.send_request(&get("/b"), false).unwrap();
    pair.drive();
    pair.client.send_reset(a, ErrorCode::CANCEL).unwrap();
    pair.server
        .send_reset(b, ErrorCode::INTERNAL_ERROR)
        .unwrap();
    pair.drive();
    assert!(pair.server_events.iter().any(|e| matches!(e, Event::Reset { stream, code: ErrorCode::CANCEL, remote: true } if *stream == a)));
    assert!(pair.client_events.iter().any(|e| matches!(e, Event::Reset { stream, code: ErrorCode::INTERNAL_ERROR, remote: true } if *stream == b)));
    assert_eq!(pair.client.active_streams(), 0);
    assert_eq!(pair.server.active_streams(), 0);
}

#[test]
fn graceful_goaway_lets_in_flight_streams_finish() {
    let mut pair = Pair::connect();
    let id = pair.client.send_request(&get("/slow"), true).unwrap();
    pair.drive();
    pair.server.goaway(ErrorCode::NO_ERROR, b"bye");
    pair.drive();
    assert!(pair.client_events.iter().any(|e| matches!(
        e,
        Event::GoAway {
            code: ErrorCode::NO_ERROR,
            ..
        }
    )));
    assert!(!pair.server.is_closed());
    assert_eq!(
        pair.client.send_request(&get("/late"), true),
        Err(LocalError::GoingAway)
    );
    pair.server.send_response(id, &resp(200), true).unwrap();
    pair.drive();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, Event::Response { .. }))
    );
    assert!(pair.server.is_closed());
    assert!(
        pair.server_events
            .iter()
            .any(|e| matches!(e, Event::Closed { error: None }))
    );
    assert!(pair.client.is_closed());
}

#[test]
fn immediate_goaway_with_error() {
    let mut pair = Pair::connect();
    pair.client.goaway(ErrorCode::INTERNAL_ERROR, b"");
    pair.drive();
    assert!(pair.client.is_closed());
    assert!(pair.server.is_closed());
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        Event::GoAway {
            code: ErrorCode::INTERNAL_ERROR,
            ..
        }
    )));
}

fn ws_connect() -> http::request::Parts {
    let mut head = req(Method::CONNECT, "/chat");
    head.extensions.insert(Protocol::WEBSOCKET);
    head
}

#[test]
fn extended_connect_accepted_as_a_tunnel() {
    let mut server = Config::default();
    server.connect_protocols = vec![Protocol::WEBSOCKET];
    let mut pair = Pair::with_configs(Config::default(), server);
    // Sent before the server's SETTINGS arrive: waits for them.
    let id = pair.client.send_request(&ws_connect(), false).unwrap();
    assert_eq!(pair.client.queued_requests(), 1);
    pair.drive();
    assert_eq!(pair.client.extended_connect(), Some(true));
    let ev = pair.take_server_events();
    let Some(Event::Request { head, .. }) = ev.iter().find(|e| matches!(e, Event::Request { .. }))
    else {
        panic!("{ev:?}")
    };
    assert_eq!(
        head.extensions.get::<Protocol>(),
        Some(&Protocol::WEBSOCKET)
    );
    pair.server.send_response(id, &resp(200), false).unwrap();
    pair.server.send_data(id, b"tunnel bytes", false).unwrap();
    pair.client.send_data(id, b"up", false).unwrap();
    pair.drive();
    assert_eq!(body(&pair.client_events, id).0, b"tunnel bytes");
    assert_eq!(body(&pair.server_events, id).0, b"up");
}

#[test]
fn extended_connect_unlisted_protocol_gets_501() {
    let mut server = Config::default();
    server.connect_protocols = vec![Protocol::from_static("webtransport")];
    let mut pair = Pair::with_configs(Config::default(), server);
    pair.drive();
    let id = pair.client.send_request(&ws_connect(), false).unwrap();
    pair.drive();
    assert!(requests(&pair.server_events).is_empty());
    assert!(pair.client_events.iter().any(|e| matches!(e, Event::Response { stream, head, end_stream: true } if *stream == id && head.status == 501)));
    assert_eq!(pair.server.active_streams(), 0);
}

#[test]
fn extended_connect_refused_by_client_without_the_setting() {
    let mut pair = Pair::new();
    let id = pair.client.send_request(&ws_connect(), false).unwrap();
    let plain = pair.client.send_request(&get("/"), true).unwrap();
    assert_eq!(plain.get(), 3);
    pair.drive();
    assert!(pair.client_events.iter().any(|e| matches!(e, Event::Refused { stream, reason: LocalError::ExtendedConnectUnsupported } if *stream == id)));
    assert_eq!(requests(&pair.server_events), vec![plain]);
    assert_eq!(
        pair.client.send_request(&ws_connect(), false),
        Err(LocalError::ExtendedConnectUnsupported)
    );
}

#[test]
fn manual_flow_control_stalls_only_the_slow_stream() {
    let mut limits = stator_h2::Limits::default();
    limits.initial_stream_window = 65_535;
    let mut server = Config::default();
    server.limits = limits;
    server.flow_control = FlowControl::Manual;
    let mut pair = Pair::with_configs(Config::default(), server);
    pair.drive();
    let slow = pair
        .client
        .send_request(&req(Method::POST, "/slow"), false)
        .unwrap();
    let fast = pair
        .client
        .send_request(&req(Method::POST, "/fast"), false)
        .unwrap();
    let chunk = vec![7u8; 200_000];
    let mut fast_sent = 0;
    for _ in 0..50 {
        pair.client.send_data(slow, &chunk, false).unwrap();
        fast_sent += pair.client.send_data(fast, &chunk, false).unwrap();
        pair.drive();
        // The application consumes only the fast stream.
        let n = body(&pair.take_server_events(), fast).0.len();
        pair.server.release_capacity(fast, n).unwrap();
        pair.drive();
    }
    assert_eq!(
        pair.client.send_capacity(slow),
        0,
        "slow stream stalled at its window"
    );
    assert!(
        fast_sent > 1_000_000,
        "fast stream kept flowing: {fast_sent}"
    );
}

#[test]
fn ping_round_trip() {
    let mut pair = Pair::connect();
    pair.client.ping(*b"12345678").unwrap();
    pair.drive();
    assert!(
        pair.client_events
            .iter()
            .any(|e| matches!(e, Event::PingAck { payload } if payload == b"12345678"))
    );
}

#[test]
fn eof_closes() {
    let mut pair = Pair::connect();
    pair.client.send_request(&get("/"), true).unwrap();
    pair.drive();
    pair.server.recv_eof();
    assert!(matches!(
        pair.server.poll_event(),
        Some(Event::Closed {
            error: Some(stator_h2::Error::TransportClosed)
        })
    ));
}

/// A server fed raw frames after a valid preface and SETTINGS.
fn raw_server(config: Config) -> (stator_h2::Connection, std::time::Instant) {
    let mut server = stator_h2::Connection::server(config);
    let mut wire = stator_h2::frame::PREFACE.to_vec();
    stator_h2::frame::write_settings(&mut wire, &stator_h2::frame::Settings::DEFAULT);
    let now = std::time::Instant::now();
    server.recv(now, &wire).unwrap();
    (server, now)
}

#[test]
fn settings_ack_timeout_closes_with_settings_timeout() {
    let (mut server, now) = raw_server(Config::default());
    let deadline = server.poll_timeout().unwrap();
    assert_eq!(deadline, now + std::time::Duration::from_secs(10));
    server.handle_timeout(deadline);
    assert!(server.is_closed());
    let mut closed = None;
    while let Some(e) = server.poll_event() {
        if let Event::Closed { error } = e {
            closed = error;
        }
    }
    assert_eq!(closed, Some(stator_h2::Error::SettingsTimeout));
}

#[test]
fn first_frame_must_be_settings() {
    let mut server = stator_h2::Connection::server(Config::default());
    let mut wire = stator_h2::frame::PREFACE.to_vec();
    stator_h2::frame::write_ping(&mut wire, [0; 8], false);
    let err = server.recv(std::time::Instant::now(), &wire).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
}

#[test]
fn rapid_reset_is_answered_with_enhance_your_calm() {
    let (mut server, now) = raw_server(Config::default());
    // Forge HEADERS + RST_STREAM pairs with a real HPACK encoder.
    let mut enc = stator_hpack::Encoder::default();
    let mut result = Ok(());
    for i in 0..2_000u32 {
        let id = StreamId::new(2 * i + 1).unwrap();
        let mut block = Vec::new();
        enc.encode(
            [
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "a"),
                (":path", "/"),
            ],
            &mut block,
        );
        let mut wire = Vec::new();
        stator_h2::frame::write_headers(&mut wire, id, &block, false, None, 16_384).unwrap();
        stator_h2::frame::write_rst_stream(&mut wire, id, ErrorCode::CANCEL);
        result = server.recv(now, &wire);
        while server.poll_event().is_some() {}
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result.unwrap_err().code(), ErrorCode::ENHANCE_YOUR_CALM);
}

#[test]
fn push_promise_is_a_connection_error() {
    let mut client = stator_h2::Connection::client(Config::default());
    let now = std::time::Instant::now();
    let id = client.send_request(&get("/"), true).unwrap();
    let mut wire = Vec::new();
    stator_h2::frame::write_settings(&mut wire, &stator_h2::frame::Settings::DEFAULT);
    stator_h2::frame::write_push_promise(&mut wire, id, StreamId::new(2).unwrap(), &[0x82], 16_384)
        .unwrap();
    let err = client.recv(now, &wire).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    assert!(client.is_closed());
}

#[test]
fn initial_window_decrease_makes_a_send_window_negative() {
    use stator_h2::frame;
    let now = std::time::Instant::now();
    let mut client = stator_h2::Connection::client(Config::default());
    let mut wire = Vec::new();
    frame::write_settings(&mut wire, &frame::Settings::DEFAULT);
    frame::write_settings_ack(&mut wire);
    client.recv(now, &wire).unwrap();
    let id = client.send_request(&req(Method::POST, "/"), false).unwrap();
    assert_eq!(
        client.send_data(id, &vec![0; 60_000], false).unwrap(),
        60_000
    );
    let mut out = Vec::new();
    let _ = client.poll_output(&mut out);
    // RFC 9113 §6.9.2: 1,000 - 60,000 leaves the stream window at -59,000.
    let mut settings = frame::Settings::DEFAULT;
    settings.initial_window_size = 1_000;
    wire.clear();
    frame::write_settings(&mut wire, &settings);
    client.recv(now, &wire).unwrap();
    assert_eq!(client.send_capacity(id), 0);
    assert_eq!(client.send_data(id, b"x", false).unwrap(), 0);
    wire.clear();
    frame::write_window_update(&mut wire, id, 59_500);
    client.recv(now, &wire).unwrap();
    assert_eq!(client.send_capacity(id), 500);
    let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Writable { stream } if *stream == id))
    );
}

#[test]
fn graceful_goaway_ignores_streams_opened_after_it() {
    let mut pair = Pair::connect();
    let first = pair.client.send_request(&get("/1"), true).unwrap();
    pair.drive();
    pair.server.goaway(ErrorCode::NO_ERROR, b"");
    // Before the client sees the GOAWAY it opens another stream: it crosses the GOAWAY.
    let crossing = pair.client.send_request(&get("/2"), true).unwrap();
    pair.drive();
    let got = requests(&pair.take_server_events());
    assert_eq!(
        got,
        vec![first, crossing],
        "opened before the final GOAWAY: processed"
    );
    for id in got {
        pair.server.send_response(id, &resp(200), true).unwrap();
    }
    pair.drive();
    assert!(pair.server.is_closed());
    assert!(pair.client.is_closed());
}
