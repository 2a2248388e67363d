//! Encodes a QIF file into the QPACK offline-interop format.
//!
//! ```text
//! cargo run -p stator-qpack --example qif_encode -- IN.qif OUT TABLE_SIZE MAX_BLOCKED ACK
//! ```
//!
//! Header list `n` (from 1) becomes the field section of stream `n`; the encoder-stream
//! bytes it needs are written first, as a block of stream 0. Each block is the stream id
//! (u64, big-endian), the length (u32, big-endian) and the bytes. With `ACK` = 1 the
//! encoder behaves as if the decoder acknowledged every section and insert at once (a
//! decoder runs in lockstep and its decoder stream is fed back); with 0 no
//! acknowledgment ever arrives.

use std::process::ExitCode;

use stator_qpack::{Decoder, Encoder, Limits};

// The QIF reader the integration tests use: one copy for tests, bench and tool.
#[path = "../tests/common/mod.rs"]
mod common;
use common::parse_qif;

fn block(out: &mut Vec<u8>, id: u64, body: &[u8]) -> Result<(), String> {
    let len = u32::try_from(body.len()).map_err(|_| "block too long".to_owned())?;
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(())
}

fn run(args: &[String]) -> Result<(), String> {
    let [_, input, output, table, blocked, ack] = args else {
        return Err("usage: qif_encode IN.qif OUT TABLE_SIZE MAX_BLOCKED ACK".to_owned());
    };
    let table: u64 = table.parse().map_err(|e| format!("table size: {e}"))?;
    let blocked: u64 = blocked.parse().map_err(|e| format!("max blocked: {e}"))?;
    let ack = ack == "1";
    let text = std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))?;
    let mut encoder = Encoder::new(table, blocked);
    let mut decoder = Decoder::new(Limits {
        max_table_capacity: usize::try_from(table).map_err(|e| e.to_string())?,
        max_blocked_streams: usize::try_from(blocked).map_err(|e| e.to_string())?,
        ..Limits::default()
    });
    let mut out = Vec::new();
    for (id, fields) in (1u64..).zip(parse_qif(&text)) {
        let mut enc = Vec::new();
        let section = encoder.encode(id, &fields, &mut enc);
        if !enc.is_empty() {
            block(&mut out, 0, &enc)?;
        }
        block(&mut out, id, &section)?;
        if ack {
            decoder.on_encoder_stream(&enc).map_err(|e| e.to_string())?;
            decoder.decode(id, section).map_err(|e| e.to_string())?;
            let mut ds = Vec::new();
            let _ = decoder.poll_decoder_stream(&mut ds);
            encoder.on_decoder_stream(&ds).map_err(|e| e.to_string())?;
        }
    }
    std::fs::write(output, out).map_err(|e| format!("{output}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
