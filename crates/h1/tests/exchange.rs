//! Exchanges between a client and a server machine: RFC 9112's examples, framing in both
//! directions, persistent connections, pipelining, half-close, 100-continue, Upgrade and
//! CONNECT.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::*;
use http::{Method, StatusCode, Version};
use stator_h1::{BodySize, Connection, Event, Phase, Switch, Violation};

// ---- RFC 9112 examples -------------------------------------------------------------------

#[test]
fn rfc9112_3_2_1_origin_form() {
    let (_, ev) = serve(b"GET /where?q=now HTTP/1.1\r\nHost: www.example.org\r\n\r\n");
    assert_eq!(kinds(&ev), ["Request", "End"]);
    let Event::Request(head) = &ev[0] else {
        panic!()
    };
    assert_eq!(head.method, Method::GET);
    assert_eq!(head.uri.path(), "/where");
    assert_eq!(head.uri.query(), Some("q=now"));
    assert_eq!(head.headers["host"], "www.example.org");
}

#[test]
fn rfc9112_3_2_2_absolute_form() {
    let (_, ev) = serve(
        b"GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n",
    );
    let Event::Request(head) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(head.uri.host(), Some("www.example.org"));
    assert_eq!(head.uri.path(), "/pub/WWW/TheProject.html");
}

#[test]
fn rfc9112_3_2_3_authority_form_connect_becomes_a_tunnel() {
    let (mut server, ev) =
        serve(b"CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com\r\n\r\ntunnel bytes");
    assert_eq!(kinds(&ev), ["Request", "End"]);
    let Event::Request(head) = &ev[0] else {
        panic!()
    };
    assert_eq!(head.uri.authority().unwrap().as_str(), "www.example.com:80");
    server
        .send_response(&res(200, &[]), BodySize::Empty)
        .unwrap();
    let Some(Event::Upgrade(up)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(up.switch, Switch::Connect);
    assert_eq!(&up.rest[..], b"tunnel bytes");
    assert_eq!(output(&mut server), b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(server.our_phase(), Phase::Switched);
    assert!(!server.wants_close());
}

#[test]
fn rfc9112_3_2_4_asterisk_form() {
    let (_, ev) = serve(b"OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n");
    let Event::Request(head) = &ev[0] else {
        panic!()
    };
    assert_eq!(head.method, Method::OPTIONS);
    assert_eq!(head.uri, "*");
    // And the client writes it back the same way.
    let mut client = Connection::client();
    let mut head = req(Method::OPTIONS, "*", &[("host", "www.example.org:8001")]);
    head.version = Version::HTTP_11;
    client.send_request(&head, BodySize::Empty).unwrap();
    assert_eq!(
        output(&mut client),
        b"OPTIONS * HTTP/1.1\r\nhost: www.example.org:8001\r\n\r\n"
    );
}

#[test]
fn rfc9112_6_1_gzip_chunked_is_not_implemented() {
    let (mut server, ev) =
        serve(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    assert!(matches!(&ev[..], [Event::Error(e)] if e.status == 501));
    assert_eq!(
        status_line(&output(&mut server)),
        "HTTP/1.1 501 Not Implemented"
    );
}

#[test]
fn rfc9112_7_1_chunked_with_extensions_and_trailers() {
    let (_, ev) = serve(
        b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
          4;name=value\r\nWiki\r\n5\r\npedia\r\nE; a=\"quoted \\\" str\"\r\n in\r\n\r\nchunks.\r\n\
          0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
    );
    assert_eq!(content(&ev), b"Wikipedia in\r\n\r\nchunks.");
    let Some(Event::End(t)) = ev.last() else {
        panic!()
    };
    assert_eq!(t["expires"], "never");
    assert_eq!(t["x-sum"], "1");
}

#[test]
fn rfc9112_9_6_connection_close() {
    let (mut server, ev) = serve(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n",
    );
    assert_eq!(kinds(&ev), ["Request", "End"]);
    server
        .send_response(&res(200, &[]), BodySize::Known(2))
        .unwrap();
    server.send_data(b"ok").unwrap();
    server.send_end(None).unwrap();
    // The request after `close` is never read (RFC 9112 §9.6).
    assert!(events(&mut server).is_empty());
    let out = output(&mut server);
    assert!(String::from_utf8_lossy(&out).contains("connection: close\r\n"));
    assert!(server.wants_close());
}

// ---- framing through the pair ------------------------------------------------------------

#[test]
fn pair_round_trips_every_framing() {
    let mut pair = Pair::new();
    let post = Message::new(
        req(Method::POST, "http://a/x", &[("x-a", "1")]),
        BodySize::Known(11),
    )
    .with_chunks(&[b"hello", b" ", b"world"]);
    pair.request(&post);
    let chunked = Message::new(res(200, &[("x-b", "2"), ("x-b", "3")]), BodySize::Unknown)
        .with_chunks(&[b"one", b"", b"two"])
        .with_trailers(trailers(&[("x-checksum", "abc")]));
    pair.respond(&chunked);

    let put = Message::new(req(Method::PUT, "http://a/y", &[]), BodySize::Unknown)
        .with_chunks(&[b"streamed", b"content"])
        .with_trailers(trailers(&[("x-t", "1")]));
    pair.request(&put);
    pair.respond(&Message::new(res(204, &[]), BodySize::Empty));

    pair.request(&Message::new(get("http://a/"), BodySize::Empty));
    pair.respond(&Message::new(
        res(304, &[("etag", "\"x\"")]),
        BodySize::Empty,
    ));

    pair.request(&Message::new(
        req(Method::HEAD, "http://a/", &[]),
        BodySize::Empty,
    ));
    let ev = pair.respond(&Message::new(res(200, &[]), BodySize::Known(1000)));
    let Event::Response(head) = &ev[0] else {
        panic!()
    };
    assert_eq!(head.headers["content-length"], "1000");
    assert_eq!(kinds(&ev), ["Response", "End"]);
    assert!(!pair.client.wants_close() && !pair.server.wants_close());
}

#[test]
fn keep_alive_several_exchanges() {
    let mut pair = Pair::new();
    for i in 0..10_u8 {
        let body = vec![b'a' + i; usize::from(i) * 100];
        pair.request(&Message::new(
            get(&format!("http://a/{i}")),
            BodySize::Empty,
        ));
        pair.respond(
            &Message::new(res(200, &[]), BodySize::Known(body.len() as u64)).with_chunks(&[&body]),
        );
        assert_eq!(pair.client.our_phase(), Phase::Idle);
        assert_eq!(pair.server.our_phase(), Phase::Idle);
    }
}

#[test]
fn http10_keep_alive_and_close() {
    let (mut server, ev) = serve(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(kinds(&ev), ["Request", "End"]);
    server
        .send_response(&res(200, &[]), BodySize::Empty)
        .unwrap();
    let out = String::from_utf8(output(&mut server)).unwrap();
    assert!(out.contains("connection: keep-alive\r\n"), "{out}");
    assert!(!server.wants_close());

    // Without keep-alive an HTTP/1.0 exchange ends the connection; content of unknown
    // length is close-delimited (no chunked for HTTP/1.0).
    let (mut server, _) = serve(b"GET / HTTP/1.0\r\n\r\n");
    server
        .send_response(&res(200, &[]), BodySize::Unknown)
        .unwrap();
    server.send_data(b"until close").unwrap();
    server.send_end(None).unwrap();
    let out = String::from_utf8(output(&mut server)).unwrap();
    assert_eq!(
        out,
        "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil close"
    );
    assert!(server.wants_close());
}

#[test]
fn close_delimited_response_ends_at_eof() {
    let mut client = Connection::client();
    client
        .send_request(&get("http://a/"), BodySize::Empty)
        .unwrap();
    let _ = output(&mut client);
    client.recv(b"HTTP/1.0 200 OK\r\n\r\nsome ");
    let ev = events(&mut client);
    assert_eq!(kinds(&ev), ["Response", "Data"]);
    client.recv(b"content");
    client.recv_eof();
    let ev = events(&mut client);
    assert_eq!(kinds(&ev), ["Data", "End", "Closed"]);
    assert!(client.wants_close());
}

#[test]
fn pipelined_requests_wait_for_the_previous_response() {
    let (mut server, ev) = serve(
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    // Only the first request: the others wait in the machine.
    assert_eq!(kinds(&ev), ["Request", "End"]);
    assert_eq!(server.their_phase(), Phase::Done);
    let mut wire = Vec::new();
    for (i, path) in ["/1", "/2", "/3"].iter().enumerate() {
        if i > 0 {
            let ev = events(&mut server);
            let Event::Request(head) = &ev[0] else {
                panic!("{ev:?}")
            };
            assert_eq!(head.uri.path(), *path);
        }
        server
            .send_response(&res(200, &[]), BodySize::Known(2))
            .unwrap();
        server
            .send_data(format!("{}", i + 1).repeat(2).as_bytes())
            .unwrap();
        server.send_end(None).unwrap();
        let _ = server.poll_output(&mut wire);
    }
    let text = String::from_utf8(wire).unwrap();
    let bodies: Vec<&str> = text.split("\r\n\r\n").skip(1).map(|s| &s[..2]).collect();
    assert_eq!(bodies, ["11", "22", "33"]);
}

#[test]
fn half_close_after_a_complete_request() {
    let mut server = Connection::server();
    server.recv(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    server.recv_eof();
    assert_eq!(kinds(&events(&mut server)), ["Request", "End", "Closed"]);
    assert!(!server.wants_close(), "the response still goes out");
    server
        .send_response(&res(200, &[]), BodySize::Known(2))
        .unwrap();
    server.send_data(b"ok").unwrap();
    server.send_end(None).unwrap();
    let out = String::from_utf8(output(&mut server)).unwrap();
    assert!(out.contains("connection: close"), "{out}");
    assert!(out.ends_with("ok"));
    assert!(server.wants_close());
}

#[test]
fn eof_in_the_middle_of_a_request_is_an_error() {
    let mut server = Connection::server();
    server.recv(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    server.recv_eof();
    let ev = events(&mut server);
    assert_eq!(kinds(&ev), ["Request", "Data", "Error"]);
    let Event::Error(e) = &ev[2] else { panic!() };
    assert_eq!(e.violation, Violation::IncompleteMessage);

    let mut idle = Connection::server();
    idle.recv_eof();
    assert_eq!(kinds(&events(&mut idle)), ["Closed"]);
    assert!(idle.wants_close());
}

// ---- 100-continue ------------------------------------------------------------------------

#[test]
fn expect_continue_server_sends_100_when_the_app_wants_the_content() {
    let mut server = Connection::server();
    server.recv(b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    assert_eq!(kinds(&events(&mut server)), ["Request"]);
    assert!(output(&mut server).is_empty(), "never sent by itself");
    server.send_continue().unwrap();
    assert_eq!(output(&mut server), b"HTTP/1.1 100 Continue\r\n\r\n");
    server.recv(b"data");
    assert_eq!(kinds(&events(&mut server)), ["Data", "End"]);
    server
        .send_response(&res(201, &[]), BodySize::Empty)
        .unwrap();
    assert!(
        !String::from_utf8(output(&mut server))
            .unwrap()
            .contains("close")
    );
}

#[test]
fn expect_continue_server_refuses_with_a_final_status_and_closes() {
    let mut server = Connection::server();
    server.recv(b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    let _ = events(&mut server);
    server
        .send_response(&res(413, &[]), BodySize::Empty)
        .unwrap();
    let out = String::from_utf8(output(&mut server)).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{out}"
    );
    assert!(out.contains("connection: close"));
    assert!(server.wants_close());
}

#[test]
fn expect_continue_client_waits_for_100_or_its_own_timer() {
    let mut pair = Pair::new();
    let head = req(Method::PUT, "http://a/f", &[("expect", "100-continue")]);
    pair.client.send_request(&head, BodySize::Known(4)).unwrap();
    assert_eq!(
        pair.client.send_data(b"data").unwrap_err().local(),
        Some(&stator_h1::LocalError::AwaitingContinue)
    );
    assert_eq!(kinds(&pair.flush_to_server()), ["Request"]);
    pair.server.send_continue().unwrap();
    let ev = pair.flush_to_client();
    assert!(matches!(&ev[..], [Event::Informational(h)] if h.status == StatusCode::CONTINUE));
    pair.client.send_data(b"data").unwrap();
    pair.client.send_end(None).unwrap();
    assert_eq!(kinds(&pair.flush_to_server()), ["Data", "End"]);

    // The timer path: no 100 ever comes.
    let mut client = Connection::client();
    client.send_request(&head, BodySize::Known(4)).unwrap();
    client.continue_without_100();
    client.send_data(b"data").unwrap();
    client.send_end(None).unwrap();
}

// ---- Upgrade and CONNECT ------------------------------------------------------------------

fn websocket_request() -> http::request::Parts {
    req(
        Method::GET,
        "http://server.example.com/chat",
        &[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("sec-websocket-version", "13"),
        ],
    )
}

#[test]
fn upgrade_websocket_hands_over_every_byte_after_the_heads() {
    let mut pair = Pair::new();
    pair.client
        .send_request(&websocket_request(), BodySize::Empty)
        .unwrap();
    // The client's first frame travels with the request (a hurried client).
    let mut wire = output(&mut pair.client);
    wire.extend_from_slice(b"\x81\x85early");
    pair.server.recv(&wire);
    let ev = events(&mut pair.server);
    assert_eq!(kinds(&ev), ["Request", "End"]);
    assert_eq!(pair.server.their_phase(), Phase::MightSwitch);
    let accept = res(
        101,
        &[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ],
    );
    pair.server.send_response(&accept, BodySize::Empty).unwrap();
    let Some(Event::Upgrade(up)) = pair.server.poll_event() else {
        panic!()
    };
    assert_eq!(up.switch, Switch::Upgrade);
    assert_eq!(&up.rest[..], b"\x81\x85early");
    assert_eq!(up.response.status, 101);

    // The server's first frame follows its 101 in the same write.
    let mut wire = output(&mut pair.server);
    wire.extend_from_slice(b"\x81\x02hi");
    pair.client.recv(&wire);
    let ev = events(&mut pair.client);
    let [Event::Upgrade(up)] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        up.response.headers["sec-websocket-accept"],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(&up.rest[..], b"\x81\x02hi");
    // HTTP/1.1 is over: later input is not ours.
    pair.client.recv(b"more frames");
    assert!(pair.client.poll_event().is_none());
    assert!(
        pair.client
            .send_request(&get("http://a/"), BodySize::Empty)
            .is_err()
    );
}

#[test]
fn upgrade_h2c_carries_the_connection_preface() {
    let (mut server, ev) = serve(
        b"GET / HTTP/1.1\r\nHost: server.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\n\
          Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    );
    assert_eq!(kinds(&ev), ["Request", "End"]);
    server
        .send_response(
            &res(101, &[("connection", "Upgrade"), ("upgrade", "h2c")]),
            BodySize::Empty,
        )
        .unwrap();
    let Some(Event::Upgrade(up)) = server.poll_event() else {
        panic!()
    };
    assert_eq!(&up.rest[..], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assert_eq!(
        output(&mut server),
        b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n"
    );
}

#[test]
fn upgrade_declined_keeps_http11() {
    let mut pair = Pair::new();
    pair.request(&Message::new(websocket_request(), BodySize::Empty));
    pair.respond(&Message::new(res(200, &[]), BodySize::Known(2)).with_chunks(&[b"no"]));
    pair.request(&Message::new(get("http://a/next"), BodySize::Empty));
}

#[test]
fn connect_tunnel_on_the_client() {
    let mut client = Connection::client();
    let connect = req(Method::CONNECT, "proxy.example:443", &[]);
    client.send_request(&connect, BodySize::Empty).unwrap();
    assert_eq!(
        output(&mut client),
        b"CONNECT proxy.example:443 HTTP/1.1\r\nhost: proxy.example:443\r\n\r\n"
    );
    client.recv(b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01");
    let ev = events(&mut client);
    let [Event::Upgrade(up)] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(up.switch, Switch::Connect);
    assert_eq!(&up.rest[..], b"\x16\x03\x01");
}

#[test]
fn refused_connect_closes() {
    let (mut server, ev) =
        serve(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n\x16\x03\x01");
    assert_eq!(kinds(&ev), ["Request", "End"]);
    server
        .send_response(&res(403, &[]), BodySize::Empty)
        .unwrap();
    let out = String::from_utf8(output(&mut server)).unwrap();
    assert!(out.contains("connection: close\r\n"), "{out}");
    assert!(server.wants_close());
    // The optimistic tunnel bytes are never read as a request.
    assert!(events(&mut server).is_empty());
}

#[test]
fn unexpected_101_is_a_remote_error() {
    let mut client = Connection::client();
    client
        .send_request(&get("http://a/"), BodySize::Empty)
        .unwrap();
    client.recv(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
    let ev = events(&mut client);
    assert!(matches!(&ev[..], [Event::Error(e)] if e.violation == Violation::UnexpectedSwitch));
    assert!(client.wants_close());
}

#[test]
fn informational_responses_before_the_final_one() {
    let mut client = Connection::client();
    client
        .send_request(&get("http://a/"), BodySize::Empty)
        .unwrap();
    client.recv(
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(
        kinds(&events(&mut client)),
        ["Informational", "Response", "End"]
    );
}
