//! Shared by the connection fuzz targets: the first byte picks the configuration, the
//! second the size of the pieces the rest is fed in.

use stator_wire::rand::SeededRandom;
use stator_ws::{Config, Connection, DeflateConfig, Event, Limits, ReceiveMode, Role, State};

pub fn config(role: Role, control: u8) -> Config {
    let mut config = Config::new(role, Box::new(SeededRandom::new(u64::from(control))))
        .with_auto_pong(control & 0x01 == 0)
        .with_receive_mode(if control & 0x02 == 0 { ReceiveMode::Message } else { ReceiveMode::Stream })
        // Small limits so the fuzzer reaches them.
        .with_limits(Limits { max_frame_size: 1 << 12, max_message_size: 1 << 14, ..Limits::default() });
    if control & 0x04 != 0 {
        let bits = 8 + (control >> 4) % 8;
        config = config.with_deflate(Some(DeflateConfig {
            server_no_context_takeover: control & 0x08 != 0,
            client_no_context_takeover: control & 0x08 == 0,
            server_max_window_bits: bits,
            client_max_window_bits: bits,
        }));
    }
    config
}

/// Feeds `data` and drains everything after each piece.
pub fn drive(role: Role, data: &[u8]) {
    let [control, piece, rest @ ..] = data else { return };
    let mut conn = Connection::new(config(role, *control));
    let piece = usize::from(*piece).max(1);
    let mut out = Vec::new();
    let mut closed = false;
    for chunk in rest.chunks(piece) {
        conn.recv(chunk);
        while let Some(event) = conn.poll_event() {
            assert!(!closed || matches!(event, Event::Writable), "event after Closed: {event:?}");
            if let Event::Closed(_) = event {
                closed = true;
            }
            if let Event::Message(m) = &event {
                assert!(m.as_bytes().len() <= 1 << 14, "message over the limit");
            }
        }
        out.clear();
        let _ = conn.poll_output(&mut out);
        if closed {
            assert!(matches!(conn.state(), State::Closed(_)));
        }
    }
    conn.recv_eof();
    while conn.poll_event().is_some() {}
    assert!(matches!(conn.state(), State::Closed(_)), "EOF always ends the connection");
}
