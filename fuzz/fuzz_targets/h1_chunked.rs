//! Chunked content decoding (RFC 9112 §7.1) on arbitrary bytes behind a valid chunked
//! request head: no panic, and the content delivered never exceeds the bytes given.
#![no_main]

#[path = "../src/h1_drive.rs"]
mod h1_drive;

use libfuzzer_sys::fuzz_target;
use stator_h1::{Connection, Role};

fuzz_target!(|data: &[u8]| {
    let Some((&piece, rest)) = data.split_first() else { return };
    let mut input =
        b"POST /upload HTTP/1.1\r\nhost: example.com\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    input.extend_from_slice(rest);
    let mut conn = Connection::new(Role::Server, h1_drive::limits());
    let seen = h1_drive::drive(&mut conn, &input, usize::from(piece));
    assert_eq!(seen.requests.len().min(1), 1, "the valid head is always surfaced");
});
