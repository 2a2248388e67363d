//! permessage-deflate's inflate path (RFC 7692 §7.2.2) on arbitrary compressed payloads:
//! the input becomes the payload of well-formed, masked, RSV1 frames sent to a server with
//! deflate on, so every byte reaches the decompressor. No panic, and no message ever
//! exceeds max_message_size however well the payload compresses (decompression bombs).
#![no_main]

#[path = "../src/ws_drive.rs"]
mod ws_drive;

use libfuzzer_sys::fuzz_target;
use stator_ws::frame::{FrameHeader, OpCode};
use stator_ws::{Connection, Event, Role};

fuzz_target!(|data: &[u8]| {
    let [control, split, payload @ ..] = data else { return };
    let mut conn = Connection::new(ws_drive::config(Role::Server, *control | 0x04));
    // One message, or two fragments split where the fuzzer says.
    let cut = usize::from(*split).min(payload.len());
    let (first, second) = payload.split_at(cut);
    let frames: &[(&[u8], OpCode, bool)] = if *split == 0xff {
        &[(payload, OpCode::Binary, true)]
    } else {
        &[(first, OpCode::Text, false), (second, OpCode::Continuation, true)]
    };
    let mut wire = Vec::new();
    for (i, (chunk, opcode, fin)) in frames.iter().enumerate() {
        let key = [0x11, 0x22, 0x33, (*control).wrapping_add(i as u8)];
        let header = FrameHeader {
            fin: *fin,
            rsv1: i == 0,
            rsv2: false,
            rsv3: false,
            opcode: *opcode,
            mask: Some(key),
            payload_len: chunk.len() as u64,
        };
        header.write(&mut wire);
        let start = wire.len();
        wire.extend_from_slice(chunk);
        stator_ws::mask::apply_mask(&mut wire[start..], key, 0);
    }
    conn.recv(&wire);
    while let Some(event) = conn.poll_event() {
        if let Event::Message(m) = event {
            assert!(m.as_bytes().len() <= 1 << 14);
        }
    }
});
