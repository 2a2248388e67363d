//! stator-cli: the `stator` command, a development server and small clients on
//! [`stator_tokio`].
//!
//! `stator serve` with no arguments listens on `[::]:8443` with TLS and a self-signed
//! certificate generated at start (HTTP/2 or HTTP/1.1 chosen by ALPN) and prints the URLs
//! to open, the certificate's SHA-256 and SPKI hashes, the Chromium flag that trusts it and
//! a PEM file for `curl --cacert`. `--plain` serves cleartext (HTTP/1.1 and HTTP/2 prior
//! knowledge on one port, 8080). Its routes ([`routes`]):
//!
//! - `/`: a self-contained page that shows which HTTP version carried it and runs a
//!   WebSocket echo from the browser, showing which HTTP version carried the WebSocket;
//! - `/ws`: a WebSocket echo (text and binary, the first subprotocol offered,
//!   permessage-deflate); `/ws?info` first sends the session's scope as JSON;
//! - `/echo`: a POST's content streamed back with its content-type;
//! - `/info`: the request's scope as JSON (HTTP version, scheme, path, query, addresses,
//!   header fields), for interop tests to check how a client arrived;
//! - with `--root DIR`, the static files under `DIR` ([`files`]), otherwise 404.
//!
//! `stator get` and `stator ws` ([`client`]) are a small curl and a WebSocket line client
//! on [`stator_tokio::Client`], trusting the PEM file given with `--cacert`. Arguments
//! are parsed by [`args::parse`]; the binary (`src/main.rs`) adds logging to stderr
//! ([`init_logging`]), the runtime and Ctrl-C.
//!
//! The server is built by [`serve::build`], so it runs in-process as well (tests bind
//! port 0):
//!
//! ```
//! use stator_cli::serve::{self, ServeOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let built = serve::build(&ServeOptions::plain("127.0.0.1:0".parse()?)).await?;
//! println!("{}", built.banner(None)); // http://localhost:PORT/ ...
//! let shutdown = built.server.shutdown_handle();
//! let serving = tokio::spawn(built.server.serve(built.app));
//! // ... requests to built.local_addr ...
//! shutdown.shutdown();
//! serving.await??;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod args;
pub mod client;
pub mod files;
pub mod routes;
pub mod serve;

/// Logs to stderr: `tracing` events at the level `RUST_LOG` sets (default `info`).
pub fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
