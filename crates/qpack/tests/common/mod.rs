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
