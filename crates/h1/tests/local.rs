//! The application's mistakes: each is a typed [`LocalError`] that writes nothing and
//! changes nothing, so the machine never emits a malformed message.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::*;
use http::{HeaderMap, Method, Version};
use stator_h1::{BodySize, Connection, Error, LocalError, Phase};

fn local(result: Result<(), Error>) -> LocalError {
    match result {
        Err(Error::Local(e)) => e,
        other => panic!("expected a local error, got {other:?}"),
    }
}

/// A server that has read a GET and holds nothing to send.
fn server_with_request(request: &[u8]) -> Connection {
    let (mut server, ev) = serve(request);
    assert_eq!(kinds(&ev), ["Request", "End"]);
    assert!(output(&mut server).is_empty());
    server
}

fn get_server() -> Connection {
    server_with_request(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
}

#[test]
fn content_on_a_204_head_and_304() {
    let mut s = get_server();
    s.send_response(&res(204, &[]), BodySize::Unknown).unwrap();
    assert_eq!(local(s.send_data(b"x")), LocalError::ContentNotAllowed);
    s.send_data(b"").unwrap();
    s.send_end(None).unwrap();
    assert_eq!(output(&mut s), b"HTTP/1.1 204 No Content\r\n\r\n");

    let mut s = server_with_request(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    s.send_response(&res(200, &[]), BodySize::Known(5)).unwrap();
    assert_eq!(local(s.send_data(b"hello")), LocalError::ContentNotAllowed);

    let mut s = get_server();
    s.send_response(&res(304, &[]), BodySize::Unknown).unwrap();
    assert_eq!(local(s.send_data(b"x")), LocalError::ContentNotAllowed);
}

#[test]
fn more_or_less_than_the_declared_length() {
    let mut s = get_server();
    s.send_response(&res(200, &[]), BodySize::Known(3)).unwrap();
    let head = output(&mut s);
    assert_eq!(
        local(s.send_data(b"four")),
        LocalError::TooMuchContent { declared: 3 }
    );
    s.send_data(b"ab").unwrap();
    assert_eq!(
        local(s.send_data(b"cd")),
        LocalError::TooMuchContent { declared: 3 }
    );
    assert_eq!(
        local(s.send_end(None)),
        LocalError::TooLittleContent {
            declared: 3,
            sent: 2
        }
    );
    s.send_data(b"c").unwrap();
    s.send_end(None).unwrap();
    assert!(head.ends_with(b"content-length: 3\r\n\r\n"));
    assert_eq!(output(&mut s), b"abc");
}

#[test]
fn empty_messages_take_no_content() {
    let mut s = get_server();
    s.send_response(&res(200, &[]), BodySize::Empty).unwrap();
    assert_eq!(local(s.send_data(b"x")), LocalError::NoBodyInProgress);
    assert_eq!(local(s.send_end(None)), LocalError::NoBodyInProgress);
}

#[test]
fn trailers_only_when_chunked() {
    let t = trailers(&[("x-t", "1")]);
    let mut s = get_server();
    s.send_response(&res(200, &[]), BodySize::Known(0)).unwrap();
    assert_eq!(local(s.send_end(Some(&t))), LocalError::TrailersNotAllowed);
    s.send_end(Some(&HeaderMap::new())).unwrap();

    let mut s = get_server();
    s.send_response(&res(200, &[]), BodySize::Unknown).unwrap();
    let bad = trailers(&[("content-length", "5")]);
    assert_eq!(
        local(s.send_end(Some(&bad))),
        LocalError::ForbiddenTrailer(http::header::CONTENT_LENGTH)
    );
    let _ = output(&mut s);
    s.send_end(Some(&t)).unwrap();
    assert_eq!(output(&mut s), b"0\r\nx-t: 1\r\n\r\n");
}

#[test]
fn framing_fields_that_contradict_the_size() {
    let mut s = get_server();
    let cl = res(200, &[("content-length", "3")]);
    assert_eq!(
        local(s.send_response(&cl, BodySize::Known(4))),
        LocalError::ConflictingFraming
    );
    assert_eq!(
        local(s.send_response(&cl, BodySize::Unknown)),
        LocalError::ConflictingFraming
    );
    let te = res(200, &[("transfer-encoding", "chunked")]);
    assert_eq!(
        local(s.send_response(&te, BodySize::Known(1))),
        LocalError::ConflictingFraming
    );
    assert!(output(&mut s).is_empty());
    // Agreeing fields are written once.
    s.send_response(&cl, BodySize::Known(3)).unwrap();
    let out = String::from_utf8(output(&mut s)).unwrap();
    assert_eq!(out.matches("content-length").count(), 1, "{out}");
}

#[test]
fn content_length_on_1xx_and_204() {
    let mut s = get_server();
    let cl = res(204, &[("content-length", "0")]);
    assert_eq!(
        local(s.send_response(&cl, BodySize::Empty)),
        LocalError::ContentLengthNotAllowed
    );
    let early = res(103, &[("content-length", "0")]);
    assert_eq!(
        local(s.send_informational(&early)),
        LocalError::ContentLengthNotAllowed
    );
}

#[test]
fn heads_out_of_turn_and_roles() {
    let mut s = Connection::server();
    assert_eq!(
        local(s.send_response(&res(200, &[]), BodySize::Empty)),
        LocalError::HeadOutOfTurn
    );
    assert_eq!(
        local(s.send_request(&get("http://a/"), BodySize::Empty)),
        LocalError::WrongRole
    );
    assert_eq!(local(s.send_data(b"x")), LocalError::NoBodyInProgress);

    let mut s = get_server();
    s.send_response(&res(200, &[]), BodySize::Empty).unwrap();
    assert_eq!(
        local(s.send_response(&res(200, &[]), BodySize::Empty)),
        LocalError::HeadOutOfTurn
    );

    let mut c = Connection::client();
    assert_eq!(
        local(c.send_response(&res(200, &[]), BodySize::Empty)),
        LocalError::WrongRole
    );
    c.send_request(&get("http://a/"), BodySize::Empty).unwrap();
    assert_eq!(
        local(c.send_request(&get("http://a/"), BodySize::Empty)),
        LocalError::HeadOutOfTurn
    );
}

#[test]
fn switching_without_an_upgrade_request() {
    let mut s = get_server();
    assert_eq!(
        local(s.send_response(&res(101, &[("upgrade", "websocket")]), BodySize::Empty)),
        LocalError::UnexpectedSwitch
    );
    assert_eq!(
        local(s.send_response(&res(100, &[]), BodySize::Empty)),
        LocalError::InformationalNotAllowed
    );
    assert_eq!(
        local(s.send_informational(&res(200, &[]))),
        LocalError::InformationalNotAllowed
    );
    assert_eq!(s.our_phase(), Phase::SendResponse);
}

#[test]
fn no_1xx_to_an_http10_client() {
    let mut s = server_with_request(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(
        local(s.send_continue()),
        LocalError::InformationalNotAllowed
    );
}

#[test]
fn requests_need_a_host_and_a_target() {
    let mut c = Connection::client();
    assert_eq!(
        local(c.send_request(&get("/relative"), BodySize::Empty)),
        LocalError::InvalidHost
    );
    let two = req(Method::GET, "/", &[("host", "a"), ("host", "b")]);
    assert_eq!(
        local(c.send_request(&two, BodySize::Empty)),
        LocalError::InvalidHost
    );
    let connect = req(Method::CONNECT, "/", &[("host", "a")]);
    assert_eq!(
        local(c.send_request(&connect, BodySize::Empty)),
        LocalError::InvalidTarget
    );
    let mut old = get("/");
    old.version = Version::HTTP_10;
    assert_eq!(
        local(c.send_request(&old, BodySize::Unknown)),
        LocalError::UnknownLengthRequest
    );
    assert!(output(&mut c).is_empty());
    // HTTP/1.0 may go without Host.
    c.send_request(&old, BodySize::Empty).unwrap();
    assert_eq!(output(&mut c), b"GET / HTTP/1.0\r\n\r\n");
}

#[test]
fn nothing_after_close_or_switch() {
    let mut s = server_with_request(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    s.send_response(&res(200, &[]), BodySize::Empty).unwrap();
    assert_eq!(
        local(s.send_response(&res(200, &[]), BodySize::Empty)),
        LocalError::Closed
    );

    let mut c = Connection::client();
    c.send_request(&req(Method::CONNECT, "a.example:443", &[]), BodySize::Empty)
        .unwrap();
    c.recv(b"HTTP/1.1 200 OK\r\n\r\n");
    let _ = events(&mut c);
    assert_eq!(local(c.send_data(b"x")), LocalError::Switched);
}
