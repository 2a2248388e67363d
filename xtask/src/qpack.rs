//! QPACK against ls-qpack (through `pylsqpack`), both directions, over every QIF file of
//! the offline-interop corpus at table sizes 0, 256, 512 and 4,096 and 0 or 100 blocked
//! streams.
//!
//! stator → ls-qpack: `examples/qif_encode` (stator-qpack) encodes, ls-qpack's decoder
//! reads it back. ls-qpack → stator: ls-qpack's encoder writes the offline-interop format
//! and `examples/qif_decode` reads it. Both results must equal the QIF's header lists,
//! compared line order-insensitively per list as the corpus' `sort-qif.pl` does. The
//! driver script is `interop/qpack/lsqpack_tool.py`.

use std::path::Path;

use crate::interop::Toolbox;
use crate::{Result, cmd, root};

/// A QIF file's header lists, each with its lines sorted.
fn canonical(text: &str) -> Vec<Vec<String>> {
    let mut lists = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if line.is_empty() {
            if !current.is_empty() {
                current.sort();
                lists.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_owned());
        }
    }
    if !current.is_empty() {
        current.sort();
        lists.push(current);
    }
    lists
}

fn same(qif: &Path, decoded: &Path) -> Result<bool> {
    Ok(canonical(&cmd::read(qif)?) == canonical(&cmd::read(decoded)?))
}

pub(crate) fn run(tb: &Toolbox) -> Result {
    let mut build = cmd::new(
        "cargo",
        &["build", "--release", "--locked", "-p", "stator-qpack"],
    );
    build.args(["--example", "qif_encode", "--example", "qif_decode"]);
    cmd::run(&mut build)?;
    let examples = cmd::target_dir().join("release/examples");
    let encode = examples.join("qif_encode").to_string_lossy().into_owned();
    let decode = examples.join("qif_decode").to_string_lossy().into_owned();
    let python = tb.venv_bin("python").to_string_lossy().into_owned();
    let tool = root()
        .join("interop/qpack/lsqpack_tool.py")
        .to_string_lossy()
        .into_owned();
    let qifs = root().join("../shared/testdata/qifs/qifs");
    let out = root().join("target/interop/qpack");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    let mut names: Vec<_> = std::fs::read_dir(&qifs)
        .map_err(|e| format!("{}: {e}", qifs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "qif"))
        .collect();
    names.sort();
    let (mut passed, mut failed) = (0usize, Vec::new());
    for qif in &names {
        let stem = qif
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let qif_s = qif.to_string_lossy().into_owned();
        for table in ["0", "256", "512", "4096"] {
            for blocked in ["0", "100"] {
                let tag = format!("{stem}.{table}.{blocked}");
                let path = |s: &str| {
                    out.join(format!("{tag}.{s}"))
                        .to_string_lossy()
                        .into_owned()
                };
                // stator encodes (no acknowledgments), ls-qpack decodes.
                let (ours, ours_back) = (path("stator.out"), path("stator.lsqpack.qif"));
                cmd::run(&mut cmd::new(
                    &encode,
                    &[&qif_s, &ours, table, blocked, "0"],
                ))?;
                let ok = cmd::run(&mut cmd::new(
                    &python,
                    &[&tool, "decode", &ours, &ours_back, table, blocked],
                ))
                .is_ok()
                    && same(qif, Path::new(&ours_back))?;
                if ok {
                    passed += 1;
                } else {
                    failed.push(format!("stator→ls-qpack {tag}"));
                }
                // ls-qpack encodes, stator decodes.
                let (theirs, theirs_back) = (path("lsqpack.out"), path("lsqpack.stator.qif"));
                cmd::run(&mut cmd::new(
                    &python,
                    &[&tool, "encode", &qif_s, &theirs, table, blocked],
                ))?;
                let ok = cmd::run(&mut cmd::new(
                    &decode,
                    &[&theirs, &theirs_back, table, blocked],
                ))
                .is_ok()
                    && same(qif, Path::new(&theirs_back))?;
                if ok {
                    passed += 1;
                } else {
                    failed.push(format!("ls-qpack→stator {tag}"));
                }
            }
        }
    }
    println!(
        "qpack: {passed} of {} encode/decode pairs with ls-qpack matched",
        passed + failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("qpack mismatches: {}", failed.join(", ")))
    }
}
