//! Our encoder over every QIF file at the corpus' settings: the encodings decode back
//! with our decoder (sections first, then encoder-stream bytes, to exercise blocking),
//! and their size compares with ls-qpack's.
#![allow(clippy::arithmetic_side_effects, clippy::cast_precision_loss)]

mod common;

use std::fs;

use common::{canonical, decode_file, encode_lists, parse_blocks, qif_files, qifs_dir};

fn payload(blocks: &[(u64, Vec<u8>)]) -> usize {
    blocks.iter().map(|(_, b)| b.len()).sum()
}

#[test]
fn our_encodings_decode_back() {
    for (name, lists) in qif_files() {
        for table in [0u64, 256, 512, 4096] {
            for blocked in [0u64, 100] {
                for ack in [false, true] {
                    let blocks = encode_lists(&lists, table, blocked, ack);
                    let decoded = decode_file(&blocks, table as usize, blocked as usize)
                        .unwrap_or_else(|e| panic!("{name} {table} {blocked} {ack}: {e}"));
                    let decoded: Vec<_> = decoded.into_iter().map(|(_, l)| l).collect();
                    assert_eq!(decoded.len(), lists.len());
                    assert!(
                        canonical(&decoded) == canonical(&lists),
                        "{name} {table} {blocked} {ack}"
                    );
                }
            }
        }
    }
}

#[test]
fn size_against_ls_qpack() {
    let dir = qifs_dir().join("encoded/qpack-05/ls-qpack");
    let (mut ours_total, mut theirs_total) = (0usize, 0usize);
    println!(
        "{:<28} {:>9} {:>9} {:>8}",
        "file", "stator", "ls-qpack", "ratio"
    );
    for (name, lists) in qif_files() {
        for table in [0u64, 256, 512, 4096] {
            for blocked in [0u64, 100] {
                for ack in [0u8, 1] {
                    let file = format!("{name}.out.{table}.{blocked}.{ack}");
                    let Ok(data) = fs::read(dir.join(&file)) else {
                        continue;
                    };
                    let theirs = payload(&parse_blocks(&data).unwrap());
                    let ours = payload(&encode_lists(&lists, table, blocked, ack == 1));
                    ours_total += ours;
                    theirs_total += theirs;
                    println!(
                        "{file:<28} {ours:>9} {theirs:>9} {:>8.3}",
                        ours as f64 / theirs as f64
                    );
                }
            }
        }
    }
    println!(
        "total: stator {ours_total}, ls-qpack {theirs_total}, ratio {:.3}",
        ours_total as f64 / theirs_total as f64
    );
    assert!(ours_total > 0 && theirs_total > 0);
}
