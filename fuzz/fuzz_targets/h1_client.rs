//! The HTTP/1.1 client machine, after sending a request, fed arbitrary response bytes in
//! arbitrary pieces: no panic, content never exceeds input.
#![no_main]

#[path = "../src/h1_drive.rs"]
mod h1_drive;

use libfuzzer_sys::fuzz_target;
use stator_h1::{BodySize, Connection, Role};

fuzz_target!(|data: &[u8]| {
    let [piece, method, rest @ ..] = data else { return };
    let mut conn = Connection::new(Role::Client, h1_drive::limits());
    // HEAD and CONNECT change how the response is framed (RFC 9112 §6.3).
    let builder = match method % 3 {
        0 => http::Request::get("http://example.com/"),
        1 => http::Request::head("http://example.com/"),
        _ => http::Request::connect("http://example.com:443"),
    };
    let (request, ()) = builder.body(()).expect("static").into_parts();
    // `BodySize::Empty` sends the whole request: no content, no end call.
    conn.send_request(&request, BodySize::Empty).expect("a valid request");
    let mut out = Vec::new();
    let _ = conn.poll_output(&mut out);
    h1_drive::drive(&mut conn, rest, usize::from(*piece));
});
