//! Structured frame sequences (well-formed frames of every type with arbitrary fields,
//! HEADERS carrying real HPACK blocks) written with `frame::write_*` and fed to a client
//! or server machine, interleaved with the application's resets, releases and graceful
//! shutdown: reaches deeper states than raw bytes. The machine never panics.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use stator_h2::frame::{self, Priority, Settings};
use stator_h2::{Config, Connection, ErrorCode, Event, FlowControl, StreamId};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = run(&mut u);
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let server_role: bool = u.arbitrary()?;
    let mut config = Config::default();
    config.window_auto_tuning = u.arbitrary()?;
    if u.arbitrary()? {
        config.flow_control = FlowControl::Manual;
    }
    let mut conn = if server_role {
        Connection::server(config)
    } else {
        Connection::client(config)
    };
    let mut wire = Vec::new();
    if server_role {
        wire.extend_from_slice(frame::PREFACE);
    } else {
        let (head, ()) = http::Request::get("https://example.org/")
            .body(())
            .unwrap_or_default()
            .into_parts();
        let _ = conn.send_request(&head, false);
        let _ = conn.send_request(&head, true);
    }
    frame::write_settings(&mut wire, &Settings::DEFAULT);
    let mut encoder = stator_hpack::Encoder::default();
    let mut now = Instant::now();
    let mut out = Vec::new();
    let _ = conn.recv(now, &wire);
    while !u.is_empty() {
        wire.clear();
        let id = StreamId::new(u.int_in_range(0..=12)?).unwrap_or(StreamId::ZERO);
        match u.int_in_range(0..=12u8)? {
            0 => {
                let len = u.int_in_range(0..=20_000usize)?;
                let pad = if u.arbitrary()? { Some(u.arbitrary()?) } else { None };
                let _ = frame::write_data(&mut wire, id, &vec![0; len], u.arbitrary()?, pad);
            }
            1 => {
                let fields: &[(&str, &str)] = match u.int_in_range(0..=3u8)? {
                    0 => &[(":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/")],
                    1 => &[(":status", "200"), ("content-length", "3")],
                    2 => &[(":status", "100")],
                    _ => &[("x-trailer", "1")],
                };
                let mut block = Vec::new();
                encoder.encode(fields.iter().copied(), &mut block);
                let max = u.int_in_range(1..=16_384u32)?;
                let _ = frame::write_headers(&mut wire, id, &block, u.arbitrary()?, None, max);
            }
            2 => {
                let p = Priority {
                    exclusive: u.arbitrary()?,
                    dependency: StreamId::new(u.int_in_range(0..=12)?).unwrap_or(StreamId::ZERO),
                    weight: u.arbitrary()?,
                };
                frame::write_priority(&mut wire, id, p);
            }
            3 => frame::write_rst_stream(&mut wire, id, ErrorCode(u.int_in_range(0..=14)?)),
            4 => {
                let mut s = Settings::DEFAULT;
                s.initial_window_size = u.int_in_range(0..=0x7fff_ffff)?;
                s.max_frame_size = u.int_in_range(16_384..=16_777_215)?;
                s.header_table_size = u.int_in_range(0..=8192)?;
                s.max_concurrent_streams = Some(u.int_in_range(0..=10)?);
                s.enable_push = false;
                if u.arbitrary()? {
                    frame::write_settings_ack(&mut wire);
                } else {
                    frame::write_settings(&mut wire, &s);
                }
            }
            5 => frame::write_ping(&mut wire, u.arbitrary()?, u.arbitrary()?),
            6 => {
                let code = ErrorCode(u.int_in_range(0..=14)?);
                let _ = frame::write_goaway(&mut wire, id, code, b"fuzz");
            }
            7 => frame::write_window_update(&mut wire, id, u.int_in_range(0..=0x7fff_ffff)?),
            8 => {
                let frag: Vec<u8> = u.arbitrary()?;
                let _ = frame::write_continuation(&mut wire, id, &frag, u.arbitrary()?);
            }
            9 => {
                let _ = frame::write_priority_update(&mut wire, id, b"u=1");
            }
            10 => {
                let payload: Vec<u8> = u.arbitrary()?;
                let _ = frame::write_raw(&mut wire, frame::FrameType(0xfa), 0, id, &payload);
            }
            11 => {
                now += Duration::from_millis(u.int_in_range(0..=20_000)?);
                conn.handle_timeout(now);
            }
            // The application's side: a graceful shutdown (its timers run in 11), resets
            // and releases of credit it does not hold.
            _ => match u.int_in_range(0..=2u8)? {
                0 => conn.goaway(ErrorCode::NO_ERROR, b""),
                1 => {
                    let _ = conn.send_reset(id, ErrorCode::CANCEL);
                }
                _ => {
                    let _ = conn.release_capacity(id, u.int_in_range(0..=100_000usize)?);
                }
            },
        }
        let _ = conn.recv(now, &wire);
        while let Some(event) = conn.poll_event() {
            if let Event::Request { stream, .. } = event {
                let (head, ()) = http::Response::new(()).into_parts();
                let _ = conn.send_response(stream, &head, false);
                let _ = conn.send_data(stream, &[1; 1000], true);
            }
        }
        out.clear();
        let _ = conn.poll_output(&mut out);
    }
    Ok(())
}
