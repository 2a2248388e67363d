//! The HTTP/2 server machine never panics on arbitrary bytes after a valid preface and
//! SETTINGS, in arbitrary chunks, while the application answers every request (with a
//! Content-Length it keeps to, or not), and it stays closed once closed. Control bit 0x40
//! turns on window auto-tuning and a graceful shutdown halfway, with its timers run as
//! simulated time passes.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use stator_h2::frame::{self, Settings};
use stator_h2::{Config, Connection, Event, FlowControl};
use stator_http::ext::Protocol;

fuzz_target!(|data: &[u8]| {
    let Some((&control, data)) = data.split_first() else {
        return;
    };
    let mut config = Config::default();
    config.connect_protocols = vec![Protocol::WEBSOCKET];
    if control & 0x80 != 0 {
        config.flow_control = FlowControl::Manual;
    }
    let timers = control & 0x40 != 0;
    config.window_auto_tuning = timers;
    let mut server = Connection::server(config);
    let mut wire = frame::PREFACE.to_vec();
    frame::write_settings(&mut wire, &Settings::DEFAULT);
    let mut now = Instant::now();
    let _ = server.recv(now, &wire);
    let chunk = usize::from(control & 0x3f) + 1;
    let mut out = Vec::new();
    let half = data.len() / chunk / 2;
    for (i, piece) in data.chunks(chunk).enumerate() {
        now += Duration::from_millis(if timers { 250 } else { 1 });
        if timers {
            if i == half {
                server.goaway(stator_h2::ErrorCode::NO_ERROR, b"drain");
            }
            if server.poll_timeout().is_some_and(|t| t <= now) {
                server.handle_timeout(now);
            }
            // What the shutdown and its timers produced, before the closed-stays-closed
            // check of the input that follows.
            drain(&mut server);
        }
        let was_closed = server.is_closed();
        let result = server.recv(now, piece);
        if was_closed {
            assert!(server.poll_event().is_none() || result.is_err());
        }
        drain(&mut server);
        out.clear();
        let _ = server.poll_output(&mut out);
    }
    server.handle_timeout(now + Duration::from_secs(60));
    server.recv_eof();
    drain(&mut server);
    let _ = server.poll_output(&mut out);
});

fn drain(server: &mut Connection) {
    while let Some(event) = server.poll_event() {
        match event {
            Event::Request { stream, .. } => {
                let (mut head, ()) = http::Response::new(()).into_parts();
                let length = stream.get() % 7;
                head.headers
                    .insert(http::header::CONTENT_LENGTH, length.into());
                let _ = server.send_response(stream, &head, false);
                let _ = server.send_data(stream, b"hello", true);
            }
            Event::Data { stream, data, .. } => {
                let _ = server.release_capacity(stream, data.len());
            }
            Event::Writable { stream } => {
                let _ = server.send_data(stream, &[0; 100], false);
            }
            _ => {}
        }
    }
}
