//! Composition across crates (DESIGN.md §3): stator-h1 carries the RFC 6455 opening
//! handshake as an ordinary Upgrade and hands every byte after the heads to stator-ws
//! connections created in the OPEN state, which continue exactly where HTTP/1.1 stopped.

#![allow(clippy::unwrap_used, clippy::panic)]

use stator::h1::{self, BodySize, Event};
use stator::wire::rand::SeededRandom;
use stator_ws::handshake::{AcceptOptions, ClientOptions, h1 as ws_h1};
use stator_ws::{Config, Message};

fn output(conn: &mut h1::Connection) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = conn.poll_output(&mut out);
    out
}

#[test]
fn websocket_after_an_h1_upgrade_in_both_roles() {
    let options = ClientOptions::new("ws://example.com/chat".parse().unwrap());
    let (request, expected) = ws_h1::client_request(&options, &mut SeededRandom::new(7)).unwrap();
    let mut client = h1::Connection::client();
    let mut server = h1::Connection::server();

    client.send_request(&request, BodySize::Empty).unwrap();
    server.recv(&output(&mut client));
    let Some(Event::Request(head)) = server.poll_event() else {
        panic!()
    };
    assert!(matches!(server.poll_event(), Some(Event::End(_))));

    // The server application checks the request and builds the 101 with stator-ws.
    let valid = ws_h1::check_request(&head).unwrap();
    let (response, negotiated) = ws_h1::accept(&valid, &AcceptOptions::default()).unwrap();
    server.send_response(&response, BodySize::Empty).unwrap();
    let Some(Event::Upgrade(up)) = server.poll_event() else {
        panic!()
    };
    let mut ws_server =
        stator_ws::Connection::new(Config::server().with_deflate(negotiated.deflate));
    ws_server.recv_bytes(up.rest);

    // The 101 and the first frame leave in one write; the client gets both in one read.
    ws_server.send_text("welcome").unwrap();
    let mut wire = output(&mut server);
    let _ = ws_server.poll_output(&mut wire);
    client.recv(&wire);
    let Some(Event::Upgrade(up)) = client.poll_event() else {
        panic!()
    };
    let negotiated = ws_h1::check_response(&up.response, &expected).unwrap();
    let config = Config::client(SeededRandom::new(1)).with_deflate(negotiated.deflate);
    let mut ws_client = stator_ws::Connection::new(config);
    ws_client.recv_bytes(up.rest);
    assert_eq!(
        ws_client.poll_event(),
        Some(stator_ws::Event::Message(Message::text("welcome")))
    );

    // And back, masked, over the same stream.
    ws_client.send_text("thanks").unwrap();
    let mut wire = Vec::new();
    let _ = ws_client.poll_output(&mut wire);
    ws_server.recv(&wire);
    assert_eq!(
        ws_server.poll_event(),
        Some(stator_ws::Event::Message(Message::text("thanks")))
    );
}
