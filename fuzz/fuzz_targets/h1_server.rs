//! The HTTP/1.1 server machine fed arbitrary bytes in arbitrary pieces (RFC 9112): no
//! panic, content never exceeds input, errors are sticky.
#![no_main]

#[path = "../src/h1_drive.rs"]
mod h1_drive;

use libfuzzer_sys::fuzz_target;
use stator_h1::{Connection, Role};

fuzz_target!(|data: &[u8]| {
    let Some((&piece, rest)) = data.split_first() else { return };
    let mut conn = Connection::new(Role::Server, h1_drive::limits());
    h1_drive::drive(&mut conn, rest, usize::from(piece));
});
