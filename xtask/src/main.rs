//! Project automation for Stator: `cargo xtask <command>`.
//!
//! - `fuzz [--seconds N] [--toolchain nightly|stable] [TARGET…]`: build every cargo-fuzz target (or the named ones) and
//!   run each for N seconds (default 20); fail on the first crash.
//! - `interop [NAME…]`: install the third-party peers the interop suites need, print their
//!   versions, and run the named suites (all by default).
//! - `bench [--quick] [--only http1|http2|ws]`: the driver's server benchmarks against
//!   hyper, fastwebsockets and tokio-tungstenite; writes docs/PERFORMANCE.md's issue-7 rows.
//!
//! Everything it needs it installs itself, so it runs on a fresh machine.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "automation over trusted inputs; the panic-free rules guard peer input"
)]

mod autobahn;
mod bench;
mod cmd;
mod curl;
mod fuzz;
mod h2;
mod interop;
mod qpack;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

/// The error type of every command: a message for the person at the terminal.
type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  fuzz [--seconds N] [--toolchain nightly|stable] [TARGET...]
                                   run every fuzz target (or the named ones) N seconds each;
                                   nightly (with ASan) by default when installed
  fuzz --list                      list the fuzz targets
  interop [NAME...]                install peers, print their versions, run interop suites
  interop --list                   list the interop suites
  bench [--quick] [--only http1|http2|ws]
                                   stator-tokio's servers against hyper, fastwebsockets and
                                   tokio-tungstenite (wrk, h2load, a WebSocket echo client);
                                   updates docs/PERFORMANCE.md";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((cmd, rest)) if cmd == "fuzz" => fuzz::main(rest),
        Some((cmd, rest)) if cmd == "interop" => interop::main(rest),
        Some((cmd, rest)) if cmd == "bench" => bench::main(rest),
        Some((cmd, _)) if cmd == "-h" || cmd == "--help" || cmd == "help" => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}
