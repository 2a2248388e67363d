//! A server-role WebSocket connection fed arbitrary bytes in arbitrary pieces: no panic,
//! bounded output, and once closed it stays closed.
#![no_main]

#[path = "../src/ws_drive.rs"]
mod ws_drive;

use libfuzzer_sys::fuzz_target;
use stator_ws::Role;

fuzz_target!(|data: &[u8]| ws_drive::drive(Role::Server, data));
