//! Decodes a QPACK offline-interop file back into a QIF file.
//!
//! ```text
//! cargo run -p stator-qpack --example qif_decode -- IN OUT TABLE_SIZE MAX_BLOCKED [draft]
//! ```
//!
//! Blocks of stream 0 feed the encoder stream; every other block is the field section of
//! its stream, decoded at once or, when blocked, as soon as its inserts arrive. The
//! header lists are written in stream-id order, a blank line after each. `draft` starts
//! the dynamic table at `TABLE_SIZE`, as the pre-RFC encoders of the corpus assume; RFC
//! 9204 encoders (ls-qpack today) send Set Dynamic Table Capacity and need no flag.

use std::collections::BTreeMap;
use std::process::ExitCode;

use bytes::Bytes;
use stator_qpack::{Decoded, Decoder, Field, Limits};

fn run(args: &[String]) -> Result<(), String> {
    let (input, output, table, blocked, draft) = match args {
        [_, input, output, table, blocked] => (input, output, table, blocked, false),
        [_, input, output, table, blocked, flag] if flag == "draft" => {
            (input, output, table, blocked, true)
        }
        _ => return Err("usage: qif_decode IN OUT TABLE_SIZE MAX_BLOCKED [draft]".to_owned()),
    };
    let table: usize = table.parse().map_err(|e| format!("table size: {e}"))?;
    let blocked: usize = blocked.parse().map_err(|e| format!("max blocked: {e}"))?;
    let data = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
    let mut decoder = Decoder::new(Limits {
        max_table_capacity: table,
        max_blocked_streams: blocked,
        ..Limits::default()
    });
    if draft {
        decoder.set_initial_capacity(table);
    }
    let mut lists: BTreeMap<u64, Vec<Field>> = BTreeMap::new();
    let mut rest = &data[..];
    while !rest.is_empty() {
        let (head, tail) = rest.split_at_checked(12).ok_or("truncated block header")?;
        let (id, len) = head.split_at(8);
        let id = u64::from_be_bytes(id.try_into().map_err(|_| "bad id")?);
        let len = u32::from_be_bytes(len.try_into().map_err(|_| "bad length")?) as usize;
        let (body, tail) = tail.split_at_checked(len).ok_or("truncated block")?;
        rest = tail;
        if id == 0 {
            decoder.on_encoder_stream(body).map_err(|e| e.to_string())?;
            while let Some((sid, fields)) = decoder.poll_unblocked() {
                lists.insert(sid, fields);
            }
        } else if let Decoded::Fields(fields) = decoder
            .decode(id, Bytes::copy_from_slice(body))
            .map_err(|e| e.to_string())?
        {
            lists.insert(id, fields);
        }
        let _ = decoder.poll_decoder_stream(&mut Vec::new());
    }
    if decoder.blocked_streams() > 0 {
        return Err(format!(
            "{} section(s) still blocked at the end",
            decoder.blocked_streams()
        ));
    }
    let mut out = Vec::new();
    for fields in lists.values() {
        for f in fields {
            out.extend_from_slice(&f.name);
            out.push(b'\t');
            out.extend_from_slice(&f.value);
            out.push(b'\n');
        }
        out.push(b'\n');
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
