//! The Autobahn "client under test" loop on a stator-ws client over `std::net`
//! (`cargo xtask interop autobahn` runs it against kosoku's fuzzingserver).
//!
//! `cargo run --release -p stator-ws --example autobahn_client -- ws://127.0.0.1:9002 stator`
//! asks `/getCaseCount`, runs `/runCase?case=N&agent=AGENT` for every case echoing every
//! message, then asks `/updateReports?agent=AGENT`.
//!
//! It offers permessage-deflate with `client_no_context_takeover` and a bare
//! `client_max_window_bits`: Autobahn's fuzzing server only imposes a client window or
//! no-context-takeover on a client that declared it can honour them (sections 13.2-13.6),
//! and with this offer it can pick every case's parameters. Offering
//! `client_no_context_takeover` binds the client (RFC 7692 §7.1.1.2), so these runs
//! compress without context takeover on the client side.

#![allow(missing_docs, clippy::arithmetic_side_effects)]

#[path = "support/blocking.rs"]
mod blocking;

use std::io;

use stator_ws::extension::DeflateOffer;
use stator_ws::handshake::ClientOptions;

fn session(base: &str, path: &str, echo: bool) -> io::Result<Option<String>> {
    let uri = format!("{base}{path}")
        .parse()
        .map_err(|e| io::Error::other(format!("{base}{path}: {e}")))?;
    let offer = DeflateOffer {
        client_no_context_takeover: true,
        ..DeflateOffer::default()
    };
    let options = ClientOptions::new(uri).with_deflate(offer);
    let (mut stream, conn) = blocking::connect(&options)?;
    blocking::run(&mut stream, conn, None, echo)
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    let agent = args.next().unwrap_or_else(|| "stator".to_owned());
    let count: u32 = session(&base, "/getCaseCount", false)?
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| io::Error::other("getCaseCount: no count"))?;
    println!("{count} cases");
    for case in 1..=count {
        if let Err(e) = session(&base, &format!("/runCase?case={case}&agent={agent}"), true) {
            eprintln!("case {case}: {e}");
        }
    }
    session(&base, &format!("/updateReports?agent={agent}"), false)?;
    println!("reports updated");
    Ok(())
}
