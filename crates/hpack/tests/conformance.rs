//! Conformance: RFC 7541 Appendix C (decode, encode byte for byte, table state after each
//! block) and every story of hpack-test-case (decode each implementation's encoding; encode
//! the raw stories, decode them back and compare our size with nghttp2's).

#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::format_collect,
    reason = "test helpers over trusted fixtures"
)]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::Value;
use stator_hpack::{Decoder, Encoder, IndexPolicy, Limits};
use stator_http::fields::{
    CheckedField, FieldError, FieldSink, Limits as FieldLimits, RequestBuilder, ResponseBuilder,
};

/// Records what `decode_into` pushes, and how much of it came as checked table entries.
#[derive(Default)]
struct Recorder {
    fields: Vec<(Vec<u8>, Vec<u8>)>,
    checked: usize,
}

impl FieldSink for Recorder {
    fn push(&mut self, name: &[u8], value: &[u8]) -> Result<(), FieldError> {
        self.fields.push((name.to_vec(), value.to_vec()));
        Ok(())
    }

    fn push_checked(&mut self, field: &CheckedField) -> Result<(), FieldError> {
        self.checked += 1;
        self.push(field.name(), field.value())
    }
}

/// The head (or error) a builder makes of `fields`, fed one by one, printed: the
/// reference `decode_into` must match.
fn build(fields: &[(Vec<u8>, Vec<u8>)], via: impl FnOnce(&mut dyn FieldSink)) -> [String; 2] {
    let limits = FieldLimits::default();
    let response = fields.first().is_some_and(|(n, _)| n == b":status");
    let (mut reference, mut decoded) = if response {
        let mut a = ResponseBuilder::new(http::Version::HTTP_2, &limits);
        let mut b = ResponseBuilder::new(http::Version::HTTP_2, &limits);
        for (n, v) in fields {
            let _ = a.push(n, v);
        }
        via(&mut b);
        return [format!("{:?}", a.finish()), format!("{:?}", b.finish())];
    } else {
        let new =
            || RequestBuilder::new(http::Version::HTTP_2, &limits).with_extended_connect(true);
        (new(), new())
    };
    for (n, v) in fields {
        let _ = reference.push(n, v);
    }
    via(&mut decoded);
    [
        format!("{:?}", reference.finish()),
        format!("{:?}", decoded.finish()),
    ]
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode_all(dec: &mut Decoder, block: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let _ = dec
        .decode(&Bytes::copy_from_slice(block), |f| {
            out.push((f.name.to_vec(), f.value.to_vec()));
            ControlFlow::<()>::Continue(())
        })
        .unwrap();
    out
}

fn pairs(v: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let p = p.as_array().unwrap();
            (
                p[0].as_str().unwrap().as_bytes().to_vec(),
                p[1].as_str().unwrap().as_bytes().to_vec(),
            )
        })
        .collect()
}

/// RFC 7541 Appendix C.2–C.6.
#[test]
fn rfc7541_appendix_c() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc7541_appendix_c.json");
    let groups: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checked = 0;
    for group in groups.as_array().unwrap() {
        let name = group["name"].as_str().unwrap();
        let size = group["table_size"].as_u64().unwrap() as usize;
        let independent = group["independent"].as_bool().unwrap();
        let new_pair = || {
            let mut dec = Decoder::default();
            dec.set_max_table_size(size);
            let enc = Encoder::new(size)
                .with_policy(IndexPolicy::index_all())
                .with_huffman(group["huffman"].as_bool().unwrap());
            (dec, enc)
        };
        let (mut dec, mut enc) = new_pair();
        for (i, block) in group["blocks"].as_array().unwrap().iter().enumerate() {
            if independent {
                (dec, enc) = new_pair();
            }
            let mut wire = unhex(block["wire"].as_str().unwrap());
            // C.5/C.6 assume a table the peer's SETTINGS sized at 256 (RFC 7541 §4.2): the
            // block after that change starts with the size update, 256 on a 5-bit prefix.
            if size != 4096 && i == 0 {
                wire.splice(0..0, [0x3f, 0xe1, 0x01]);
            }
            let headers = pairs(&block["headers"]);
            let table = pairs(&block["table"]);
            let table_size = block["table_size"].as_u64().unwrap() as usize;

            assert_eq!(
                decode_all(&mut dec, &wire),
                headers,
                "{name} block {i}: decode"
            );
            let got: Vec<_> = dec
                .table_entries()
                .map(|(n, v)| (n.to_vec(), v.to_vec()))
                .collect();
            assert_eq!(got, table, "{name} block {i}: decoder table");
            assert_eq!(
                dec.table_size(),
                table_size,
                "{name} block {i}: decoder size"
            );

            // C.2.3 is a never-indexed field and C.2.2 a literal without indexing: our
            // encoder chooses those only for sensitive / volatile fields, so those are
            // checked for decoding only.
            if name == "C.2" && i != 0 && i != 3 {
                continue;
            }
            let mut out = Vec::new();
            enc.encode(headers.iter().map(|(n, v)| (n, v)), &mut out);
            if name == "C.6" && i == 1 {
                // "307" is 3 octets plain and 3 Huffman-coded: the RFC picks Huffman, we
                // pick Huffman only when strictly shorter. Same size, same table.
                assert_eq!(out.len(), wire.len(), "{name} block {i}: encoded size");
            } else {
                assert_eq!(hex(&out), hex(&wire), "{name} block {i}: encode");
            }
            let got: Vec<_> = enc
                .table_entries()
                .map(|(n, v)| (n.to_vec(), v.to_vec()))
                .collect();
            assert_eq!(got, table, "{name} block {i}: encoder table");
            assert_eq!(
                enc.table_size(),
                table_size,
                "{name} block {i}: encoder size"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 14);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/hpack-test-case")
}

fn stories(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn case_headers(case: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    case["headers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| {
            h.as_object()
                .unwrap()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_bytes().to_vec(),
                        v.as_str().unwrap().as_bytes().to_vec(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn read_story(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every story of every implementation decodes to exactly its listed headers.
#[test]
fn hpack_test_case_stories_decode() {
    let mut dirs: Vec<_> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("raw-data"))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 9, "hpack-test-case is missing: {dirs:?}");
    let (mut total_stories, mut total_blocks, mut total_checked) = (0, 0, 0);
    for dir in dirs {
        let (mut n_stories, mut n_blocks) = (0, 0);
        for path in stories(&dir) {
            let story = read_story(&path);
            let mut dec = Decoder::new(Limits::default());
            // The same blocks through `decode_into`, which passes table entries checked.
            let (mut into, mut into_builder) = (Decoder::default(), Decoder::default());
            for case in story["cases"].as_array().unwrap() {
                // swift-nio writes `null` for "unchanged".
                if let Some(size) = case.get("header_table_size").and_then(Value::as_u64) {
                    dec.set_max_table_size(size as usize);
                    into.set_max_table_size(size as usize);
                    into_builder.set_max_table_size(size as usize);
                }
                let wire = unhex(case["wire"].as_str().unwrap());
                let block = Bytes::from(wire.clone());
                let mut recorder = Recorder::default();
                into.decode_into(&block, &mut recorder).unwrap().unwrap();
                assert_eq!(recorder.fields, case_headers(case), "{}", path.display());
                total_checked += recorder.checked;
                let [reference, decoded] = build(&recorder.fields, |sink| {
                    let _ = into_builder.decode_into(&block, sink).unwrap();
                });
                assert_eq!(reference, decoded, "{}", path.display());
                let mut got = Vec::new();
                let res = dec.decode(&Bytes::from(wire), |f| {
                    got.push((f.name.to_vec(), f.value.to_vec()));
                    ControlFlow::<()>::Continue(())
                });
                assert!(
                    res.is_ok(),
                    "{} seqno {}: {res:?}",
                    path.display(),
                    case["seqno"]
                );
                assert_eq!(
                    got,
                    case_headers(case),
                    "{} seqno {}",
                    path.display(),
                    case["seqno"]
                );
                n_blocks += 1;
            }
            n_stories += 1;
        }
        println!(
            "{}: {n_stories} stories, {n_blocks} blocks decoded",
            dir.file_name().unwrap().to_string_lossy()
        );
        total_stories += n_stories;
        total_blocks += n_blocks;
    }
    println!("total: {total_stories} stories, {total_blocks} blocks decoded");
    println!("decode_into passed {total_checked} fields as checked table entries");
    assert!(
        total_checked > total_blocks,
        "the checked path was exercised"
    );
}

/// Our encoding of every raw story decodes back to the same headers; its size is compared
/// with nghttp2's encoding of the same stories.
#[test]
fn hpack_test_case_raw_data_round_trip_and_size() {
    let (mut ours, mut nghttp2, mut raw) = (0usize, 0usize, 0usize);
    let mut n = 0;
    for path in stories(&testdata().join("raw-data")) {
        let story = read_story(&path);
        let theirs = read_story(&testdata().join("nghttp2").join(path.file_name().unwrap()));
        let mut enc = Encoder::default();
        let mut dec = Decoder::default();
        for (case, their) in story["cases"]
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs["cases"].as_array().unwrap())
        {
            let headers = case_headers(case);
            let mut block = Vec::new();
            enc.encode(headers.iter().map(|(n, v)| (n, v)), &mut block);
            assert_eq!(decode_all(&mut dec, &block), headers, "{}", path.display());
            ours += block.len();
            nghttp2 += their["wire"].as_str().unwrap().len() / 2;
            raw += headers
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>();
            n += 1;
        }
    }
    println!(
        "raw-data: {n} blocks, {raw} bytes of names and values; stator-hpack {ours} bytes, nghttp2 {nghttp2} bytes ({:.4}x)",
        ours as f64 / nghttp2 as f64
    );
    assert!(n > 0);
}
