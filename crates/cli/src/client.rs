//! `stator get` and `stator ws`: small clients on `stator_tokio::Client`.
//!
//! The client of stator-tokio has not landed in this build, so both commands report
//! [`ClientError::NotAvailable`] (exit status 2) after their arguments were checked.
//! They will send the request (`get`: ALPN `h2` or `http/1.1` over TLS, HTTP/1.1 or h2
//! prior knowledge in cleartext, `-d` as a POST body, `-v` printing the response head to
//! stderr) and the lines of standard input (`ws`) through it.

use crate::args::{GetOptions, WsOptions};

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// This build has no `stator_tokio::Client` yet.
    #[error("`stator {0}` is not available in this build yet: it needs stator_tokio::Client")]
    NotAvailable(&'static str),
}

/// `stator get`.
#[allow(clippy::unused_async)] // async once the client exists
pub async fn get(options: &GetOptions) -> Result<(), ClientError> {
    let _ = options;
    Err(ClientError::NotAvailable("get"))
}

/// `stator ws`.
#[allow(clippy::unused_async)] // async once the client exists
pub async fn ws(options: &WsOptions) -> Result<(), ClientError> {
    let _ = options;
    Err(ClientError::NotAvailable("ws"))
}
