//! `cargo xtask fuzz`: build and run every cargo-fuzz target.
//!
//! libFuzzer needs a sanitizer-capable build. On this kind of machine `cargo +nightly fuzz`
//! works with the address sanitizer; on stable, cargo-fuzz only runs with `-s none`
//! (coverage guided, no sanitizer). So: nightly with the address sanitizer when a nightly
//! toolchain is installed, stable without one otherwise. cargo-fuzz itself is installed on
//! first use.

use std::path::Path;

use crate::{Result, cmd, root};

/// The cargo-fuzz release we install when none is present.
const CARGO_FUZZ_VERSION: &str = "0.13.1";

pub(crate) fn main(args: &[String]) -> Result {
    let mut seconds = 20u64;
    let mut names = Vec::new();
    let mut list = false;
    let mut nightly = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let n = it.next().ok_or("--seconds needs a value")?;
                seconds = n
                    .parse()
                    .map_err(|_| format!("--seconds: not a number: {n}"))?;
            }
            "--list" => list = true,
            "--toolchain" => match it.next().map(String::as_str) {
                Some("nightly") => nightly = Some(true),
                Some("stable") => nightly = Some(false),
                other => return Err(format!("--toolchain: nightly or stable, not {other:?}")),
            },
            s if s.starts_with('-') => return Err(format!("fuzz: unknown option {s}")),
            s => names.push(s.to_owned()),
        }
    }
    let dir = root().join("fuzz");
    let all = targets(&dir)?;
    if list {
        for t in &all {
            println!("{t}");
        }
        return Ok(());
    }
    for n in &names {
        if !all.contains(n) {
            return Err(format!(
                "no fuzz target named {n}; have: {}",
                all.join(", ")
            ));
        }
    }
    let selected = if names.is_empty() { all } else { names };

    ensure_cargo_fuzz()?;
    let nightly = nightly.unwrap_or_else(has_nightly);
    let toolchain: &[&str] = if nightly { &["+nightly"] } else { &[] };
    let sanitizer: &[&str] = if nightly { &[] } else { &["-s", "none"] };
    println!(
        "fuzzing {} target(s), {seconds} s each, {}",
        selected.len(),
        if nightly {
            "nightly + AddressSanitizer"
        } else {
            "stable, no sanitizer"
        }
    );

    // One build for all targets, then one run per target.
    let mut build = cmd::new("cargo", toolchain);
    build
        .args(["fuzz", "build", "--release"])
        .args(sanitizer)
        .current_dir(&dir);
    cmd::run(&mut build)?;

    let mut failed = Vec::new();
    for t in &selected {
        let corpus = dir.join("corpus").join(t);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let mut run = cmd::new("cargo", toolchain);
        run.args(["fuzz", "run", "--release"])
            .args(sanitizer)
            .arg(t)
            .arg(&corpus);
        let seeds = dir.join("seeds").join(t);
        if seeds.is_dir() {
            run.arg(&seeds);
        }
        run.arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .current_dir(&dir);
        if let Err(e) = cmd::run(&mut run) {
            eprintln!("fuzz target {t} failed: {e}\n  artifacts are in fuzz/artifacts/{t}/");
            failed.push(t.clone());
        }
    }
    if failed.is_empty() {
        println!(
            "fuzz: {} target(s) ran {seconds} s each without a crash",
            selected.len()
        );
        Ok(())
    } else {
        Err(format!("fuzz targets failed: {}", failed.join(", ")))
    }
}

/// The `[[bin]]` names in fuzz/Cargo.toml, in file order.
fn targets(dir: &Path) -> Result<Vec<String>> {
    let manifest = cmd::read(&dir.join("Cargo.toml"))?;
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin
            && let Some(v) = line.strip_prefix("name").map(str::trim_start)
            && let Some(v) = v.strip_prefix('=')
        {
            names.push(v.trim().trim_matches('"').to_owned());
        }
    }
    if names.is_empty() {
        return Err("fuzz/Cargo.toml declares no [[bin]] targets".to_owned());
    }
    Ok(names)
}

fn has_nightly() -> bool {
    cmd::probe(&mut cmd::new("rustup", &["toolchain", "list"]))
        .is_some_and(|s| s.lines().any(|l| l.starts_with("nightly")))
}

fn ensure_cargo_fuzz() -> Result {
    if cmd::probe(&mut cmd::new("cargo", &["fuzz", "--version"])).is_some() {
        return Ok(());
    }
    cmd::run(&mut cmd::new(
        "cargo",
        &[
            "install",
            "--locked",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ],
    ))
}
