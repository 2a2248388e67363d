//! The QPACK offline-interop corpus: every encoding in `encoded/qpack-05/*/` decodes to
//! the header lists of its QIF file, and the files in `encoded/errors/` are rejected.
#![allow(clippy::arithmetic_side_effects)]

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::{canonical, decode_file, parse_blocks, parse_qif, qifs_dir};

/// `fb-req.out.4096.100.1` → (`fb-req`, 4096, 100).
fn settings(file: &str) -> Option<(&str, usize, usize)> {
    let (qif, rest) = file.split_once(".out")?;
    let parts: Vec<&str> = rest.trim_start_matches('.').split('.').collect();
    match parts.as_slice() {
        [table, blocked, _ack] => Some((qif, table.parse().ok()?, blocked.parse().ok()?)),
        // The draft's own example file carries no settings: it uses the example's 220.
        [""] => Some((qif, 220, 100)),
        _ => None,
    }
}

/// The field sections of RFC 9204 Appendix B.1, B.2 and B.4.
const APPENDIX_B: &str = ":path\t/index.html\n\n:authority\twww.example.com\n:path\t/sample/path\n\n\
    :authority\twww.example.com\n:path\t/\ncustom-key\tcustom-value\n";

#[test]
fn every_encoding_decodes_to_its_qif() {
    let root = qifs_dir();
    let mut report: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut files = Vec::new();
    for dir in fs::read_dir(root.join("encoded/qpack-05")).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in fs::read_dir(&dir).unwrap() {
                files.push(f.unwrap().path());
            }
        } else {
            files.push(dir);
        }
    }
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let implementation = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let (qif, table, blocked) = settings(&name).unwrap();
        // `examples/` holds RFC 9204 Appendix B's exchange, whose lists no QIF file has.
        let expected = if qif == "examples" {
            parse_qif(APPENDIX_B)
        } else {
            parse_qif(&fs::read_to_string(root.join("qifs").join(format!("{qif}.qif"))).unwrap())
        };
        let blocks = parse_blocks(&fs::read(&path).unwrap()).unwrap();
        let entry = report.entry(implementation.clone()).or_default();
        entry.1 += 1;
        match decode_file(&blocks, table, blocked) {
            Ok(lists) => {
                let lists: Vec<_> = lists.into_iter().map(|(_, l)| l).collect();
                if canonical(&lists) == canonical(&expected) {
                    entry.0 += 1;
                } else {
                    failures.push(format!("{implementation}/{name}: header lists differ"));
                }
            }
            Err(e) => failures.push(format!("{implementation}/{name}: {e}")),
        }
    }
    for (implementation, (ok, total)) in &report {
        println!("qifs {implementation}: {ok}/{total} decoded and matched");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn error_files_are_rejected() {
    use stator_qpack::{ErrorCode, Reason};
    let dir = qifs_dir().join("encoded/errors");
    let dec = ErrorCode::DecompressionFailed;
    let enc = ErrorCode::EncoderStreamError;
    let expected = [
        ("err1", Some((dec, Reason::Truncated))),
        ("err2", Some((dec, Reason::Truncated))),
        ("err3", Some((dec, Reason::Truncated))),
        ("err4", Some((dec, Reason::InvalidBase))),
        ("err5", Some((dec, Reason::InvalidDynamicIndex))),
        ("err6", Some((dec, Reason::Truncated))),
        ("err7", Some((dec, Reason::Truncated))),
        ("err8", Some((dec, Reason::Truncated))),
        // `c0` and `fe`: static indices 0 and 62 were out of range in the 61-entry table of
        // draft-05 that these files target; RFC 9204's table has 99 entries, so they are
        // valid (`:authority` empty and `x-xss-protection: 1; mode=block`).
        ("err9", None),
        ("err10", None),
        ("err11", Some((enc, Reason::InvalidDynamicIndex))),
        ("err12", Some((enc, Reason::InvalidStaticIndex))),
    ];
    for (name, want) in expected {
        let blocks = parse_blocks(&fs::read(dir.join(name)).unwrap()).unwrap();
        let got = decode_file(&blocks, 4096, 100)
            .err()
            .map(|e| (e.code, e.reason));
        println!("errors/{name}: {got:?}");
        assert_eq!(got, want, "{name}");
    }
}
