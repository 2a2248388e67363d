//! Helpers shared by the integration tests: the QIF format and the QPACK offline-interop
//! file format.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers over trusted corpus files"
)]

use std::path::{Path, PathBuf};

use stator_qpack::Field;

/// `../../../shared/testdata/qifs` relative to this crate.
pub fn qifs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/qifs")
}

/// Parses a QIF file: header lists separated by blank lines, `name\tvalue` lines,
/// `#` comments.
pub fn parse_qif(text: &str) -> Vec<Vec<Field>> {
    let mut lists = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !current.is_empty() {
                lists.push(std::mem::take(&mut current));
            }
            continue;
        }
        let (name, value) = line.split_once('\t').unwrap_or((line, ""));
        current.push(Field::new(
            name.as_bytes().to_vec(),
            value.as_bytes().to_vec(),
        ));
    }
    if !current.is_empty() {
        lists.push(current);
    }
    lists
}

/// Splits an offline-interop file into `(stream id, bytes)` blocks.
pub fn parse_blocks(data: &[u8]) -> Option<Vec<(u64, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < 12 {
            return None;
        }
        let id = u64::from_be_bytes(rest[..8].try_into().unwrap());
        let len = u32::from_be_bytes(rest[8..12].try_into().unwrap()) as usize;
        let body = rest.get(12..12 + len)?;
        out.push((id, body.to_vec()));
        rest = &rest[12 + len..];
    }
    Some(out)
}

/// Writes one offline-interop block.
pub fn write_block(out: &mut Vec<u8>, id: u64, body: &[u8]) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}

/// Header lists in the order-insensitive form the corpus' sort tool compares: each list's
/// lines sorted, then the lists sorted.
pub fn canonical(lists: &[Vec<Field>]) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out: Vec<Vec<(Vec<u8>, Vec<u8>)>> = lists
        .iter()
        .map(|l| {
            let mut l: Vec<_> = l
                .iter()
                .map(|f| (f.name.to_vec(), f.value.to_vec()))
                .collect();
            l.sort();
            l
        })
        .collect();
    out.sort();
    out
}

/// Decodes an offline-interop file with a decoder configured for `table` and `blocked`,
/// returning the header lists by stream id.
pub fn decode_file(
    blocks: &[(u64, Vec<u8>)],
    table: usize,
    blocked: usize,
) -> Result<Vec<(u64, Vec<Field>)>, stator_qpack::Error> {
    use stator_qpack::{Decoded, Decoder, Limits};
    let mut d = Decoder::new(Limits {
        max_table_capacity: table,
        max_blocked_streams: blocked,
        ..Limits::default()
    });
    d.set_initial_capacity(table);
    let mut out = Vec::new();
    let mut ds = Vec::new();
    for (id, body) in blocks {
        if *id == 0 {
            d.on_encoder_stream(body)?;
            while let Some(u) = d.poll_unblocked() {
                out.push(u);
            }
        } else if let Decoded::Fields(f) = d.decode(*id, bytes::Bytes::from(body.clone()))? {
            out.push((*id, f));
        }
        let _ = d.poll_decoder_stream(&mut ds);
    }
    assert_eq!(d.blocked_streams(), 0, "sections still blocked at the end");
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

/// Encodes header lists the way `examples/qif_encode.rs` does, into offline-interop
/// blocks.
pub fn encode_lists(
    lists: &[Vec<Field>],
    table: u64,
    blocked: u64,
    ack: bool,
) -> Vec<(u64, Vec<u8>)> {
    use stator_qpack::{Decoder, Encoder, Limits};
    let mut encoder = Encoder::new(table, blocked);
    let mut decoder = Decoder::new(Limits {
        max_table_capacity: table as usize,
        max_blocked_streams: blocked as usize,
        ..Limits::default()
    });
    let mut out = Vec::new();
    for (id, fields) in (1u64..).zip(lists) {
        let mut enc = Vec::new();
        let section = encoder.encode(id, fields, &mut enc);
        if !enc.is_empty() {
            out.push((0, enc.clone()));
        }
        out.push((id, section.to_vec()));
        if ack {
            decoder.on_encoder_stream(&enc).unwrap();
            decoder.decode(id, section).unwrap();
            let mut ds = Vec::new();
            let _ = decoder.poll_decoder_stream(&mut ds);
            encoder.on_decoder_stream(&ds).unwrap();
        }
    }
    out
}

/// Every QIF file of the corpus, by stem, sorted.
pub fn qif_files() -> Vec<(String, Vec<Vec<Field>>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(qifs_dir().join("qifs")).unwrap() {
        let path = e.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        out.push((stem, parse_qif(&std::fs::read_to_string(&path).unwrap())));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
