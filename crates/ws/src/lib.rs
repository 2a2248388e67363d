//! stator-ws: one sans-IO WebSocket codec (RFC 6455, RFC 7692) for HTTP/1.1, HTTP/2 and HTTP/3.
//!
//! (Overview and example are written as the crate lands.)

#![forbid(unsafe_code)]

pub mod deflate_config;
pub mod extension;
pub mod handshake;

pub use deflate_config::DeflateConfig;

/// Which end of the connection this machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that sent the opening handshake; it masks every frame it sends.
    Client,
    /// The end that accepted the handshake; it never masks.
    Server,
}
