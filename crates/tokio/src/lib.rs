//! stator-tokio: the one driver that turns Stator's sans-IO machines into servers and
//! clients on tokio.
//!
//! Work in progress: TLS configuration, the application interface, the server and the
//! client land in the following commits.

#![forbid(unsafe_code)]

pub mod tls;
