//! An echo server on stator-ws over `std::net`, for the Autobahn test cases
//! (`cargo xtask interop autobahn` runs kosoku's fuzzingclient against it).
//!
//! `cargo run --release -p stator-ws --example autobahn_server -- 127.0.0.1:9001`
//! accepts permessage-deflate with any parameters a client asks for and echoes every
//! text and binary message.

#![allow(missing_docs, clippy::arithmetic_side_effects)]

#[path = "support/blocking.rs"]
mod blocking;

use std::net::TcpListener;

use stator_ws::extension::DeflateOptions;
use stator_ws::handshake::AcceptOptions;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!("stator-ws echo server on ws://{addr}/");
    let options = AcceptOptions {
        deflate: Some(DeflateOptions::default()),
        ..AcceptOptions::default()
    };
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let options = options.clone();
        std::thread::spawn(move || {
            let _ = stream.set_nodelay(true);
            match blocking::serve(&mut stream, &options) {
                // A refused handshake is worth a line; socket errors of the cases that drop
                // the connection are expected.
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => eprintln!("{e}"),
                _ => {}
            }
        });
    }
    Ok(())
}
