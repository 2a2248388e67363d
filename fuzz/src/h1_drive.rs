//! Shared by the HTTP/1.1 fuzz targets: drive a stator-h1 machine over arbitrary input in
//! pieces, answering every request the way an application would, and check the invariants
//! that hold whatever the peer sends.

use stator_h1::{BodySize, Connection, Event, Limits, Role};

/// Small limits, so the fuzzer reaches them.
pub fn limits() -> Limits {
    Limits {
        max_head_size: 2048,
        max_headers: 16,
        max_uri_len: 512,
        ..Limits::default()
    }
}

/// What one run saw.
#[derive(Default)]
pub struct Seen {
    pub requests: Vec<http::request::Parts>,
    pub data: usize,
    pub error: bool,
}

/// Feeds `input` in pieces of `piece` bytes to `conn`, answering each request with an empty
/// 200 so pipelined requests keep flowing. Returns what was seen.
pub fn drive(conn: &mut Connection, input: &[u8], piece: usize) -> Seen {
    let mut seen = Seen::default();
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        conn.recv(chunk);
        pump(conn, &mut seen, &mut out);
    }
    conn.recv_eof();
    pump(conn, &mut seen, &mut out);
    assert!(seen.data <= input.len(), "more content out than bytes in");
    seen
}

fn pump(conn: &mut Connection, seen: &mut Seen, out: &mut Vec<u8>) {
    // Each event is bounded by the input, so this loop ends; cap it anyway.
    for _ in 0..10_000 {
        let Some(event) = conn.poll_event() else { break };
        match event {
            Event::Request(head) => seen.requests.push(head),
            Event::End(_) if conn.role() == Role::Server => {
                let (response, ()) =
                    http::Response::builder().status(200).body(()).expect("static").into_parts();
                // A whole empty response; the machine may refuse (e.g. after an error).
                let _ = conn.send_response(&response, BodySize::Empty);
            }
            Event::Data(d) => seen.data += d.len(),
            Event::Error(_) => {
                seen.error = true;
                assert!(conn.error().is_some(), "an error event leaves the error sticky");
            }
            _ => {}
        }
        out.clear();
        let _ = conn.poll_output(out);
    }
}
