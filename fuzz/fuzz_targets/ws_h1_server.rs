//! A `Connection::server_h1` (CONNECTING → OPEN through the HTTP/1.1 handshake, RFC 6455
//! §4.2) fed arbitrary bytes in arbitrary pieces, accepting any request it surfaces with
//! permessage-deflate on: no panic, and EOF always ends it.
#![no_main]

#[path = "../src/ws_drive.rs"]
mod ws_drive;

use libfuzzer_sys::fuzz_target;
use stator_ws::extension::DeflateOptions;
use stator_ws::handshake::AcceptOptions;
use stator_ws::handshake::codec::HeadLimits;
use stator_ws::{Connection, Event, Role, State};

fuzz_target!(|data: &[u8]| {
    let [control, piece, rest @ ..] = data else { return };
    let mut conn = Connection::server_h1(ws_drive::config(Role::Server, *control), HeadLimits::default());
    let options = AcceptOptions { deflate: Some(DeflateOptions::default()), ..AcceptOptions::default() };
    let mut out = Vec::new();
    for chunk in rest.chunks(usize::from(*piece).max(1)) {
        conn.recv(chunk);
        while let Some(event) = conn.poll_event() {
            if let Event::Request(_) = event {
                conn.accept(&options).expect("a surfaced request can be accepted");
            }
        }
        out.clear();
        let _ = conn.poll_output(&mut out);
    }
    conn.recv_eof();
    while conn.poll_event().is_some() {}
    assert!(matches!(conn.state(), State::Closed(_)), "EOF always ends the connection");
});
