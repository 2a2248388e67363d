//! The HTTP/2 client machine never panics on arbitrary bytes after a valid server
//! SETTINGS, in arbitrary chunks, with requests (plain and Extended CONNECT) in flight.
//! Control bit 0x40 also turns on window auto-tuning and a graceful shutdown of ours with
//! its timers.
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
    if control & 0x80 != 0 {
        config.flow_control = FlowControl::Manual;
    }
    let timers = control & 0x40 != 0;
    config.window_auto_tuning = timers;
    let mut client = Connection::client(config);
    let (get, ()) = http::Request::get("https://example.org/")
        .body(())
        .unwrap_or_default()
        .into_parts();
    let (mut ws, ()) = http::Request::connect("https://example.org/chat")
        .body(())
        .unwrap_or_default()
        .into_parts();
    ws.extensions.insert(Protocol::WEBSOCKET);
    for _ in 0..3 {
        let _ = client.send_request(&get, control & 0x40 != 0);
    }
    let _ = client.send_request(&ws, false);
    let mut wire = Vec::new();
    let mut settings = Settings::DEFAULT;
    settings.enable_connect_protocol = control & 0x40 != 0;
    settings.max_concurrent_streams = Some(2);
    frame::write_settings(&mut wire, &settings);
    let mut now = Instant::now();
    let _ = client.recv(now, &wire);
    let chunk = usize::from(control & 0x3f) + 1;
    let mut out = Vec::new();
    let half = data.len() / chunk / 2;
    for (i, piece) in data.chunks(chunk).enumerate() {
        now += Duration::from_millis(if timers { 250 } else { 1 });
        if timers {
            if i == half {
                client.goaway(stator_h2::ErrorCode::NO_ERROR, b"");
            }
            if client.poll_timeout().is_some_and(|t| t <= now) {
                client.handle_timeout(now);
            }
        }
        let _ = client.recv(now, piece);
        while let Some(event) = client.poll_event() {
            match event {
                Event::Data { stream, data, .. } => {
                    let _ = client.release_capacity(stream, data.len());
                }
                Event::Response { stream, .. } => {
                    let _ = client.send_data(stream, b"body", true);
                }
                Event::Writable { stream } => {
                    let _ = client.send_data(stream, &[0; 64], false);
                }
                _ => {}
            }
        }
        out.clear();
        let _ = client.poll_output(&mut out);
    }
    client.handle_timeout(now + Duration::from_secs(60));
    client.recv_eof();
    while client.poll_event().is_some() {}
});
