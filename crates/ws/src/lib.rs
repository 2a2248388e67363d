//! stator-ws: one sans-IO WebSocket codec (RFC 6455, RFC 7692) for HTTP/1.1, HTTP/2 and HTTP/3.
//!
//! A [`Connection`] is a pure state machine: it does no I/O, reads no clock, starts no
//! thread and draws randomness (client masking keys) only from the generator in its
//! [`Config`]. The caller moves bytes: whatever the transport delivers goes into
//! [`Connection::recv`], whatever [`Connection::poll_output`] returns goes to the transport,
//! and [`Connection::poll_event`] says what happened. The same codec serves every HTTP
//! version: over HTTP/1.1 the transport is the TCP (or TLS) stream after
//! `101 Switching Protocols`; over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220) it is the DATA
//! of the Extended CONNECT stream after `:status 200`, where a close frame means "end the
//! stream" and a stream reset means "abort" ([`Connection::reset`]).
//!
//! What it covers: framing and masking (RFC 6455 §5), UTF-8 checking of text that fails
//! on the first bad byte, the close handshake and close codes (§7), fragmentation in both
//! directions, automatic pongs, permessage-deflate (RFC 7692) with every window size and
//! context-takeover setting, bounded memory everywhere ([`Limits`]), and backpressure on
//! sends. The opening handshakes are in [`handshake`] and the extension negotiation in
//! [`extension`].
//!
//! # Example
//!
//! A client and a server exchanging a message in memory:
//!
//! ```
//! use stator_wire::rand::SeededRandom;
//! use stator_ws::{CloseCode, Config, Connection, Event, Message};
//!
//! let mut client = Connection::new(Config::client(SeededRandom::new(1)));
//! let mut server = Connection::new(Config::server());
//!
//! // The client sends; its output is the server's input.
//! client.send_text("Hello").unwrap();
//! let mut wire = Vec::new();
//! let _ = client.poll_output(&mut wire);
//! server.recv(&wire);
//! let Some(Event::Message(Message::Text(text))) = server.poll_event() else { panic!() };
//! assert_eq!(text, "Hello");
//!
//! // The server closes; the client replies and both end up closed.
//! server.close(CloseCode::NORMAL, "bye").unwrap();
//! wire.clear();
//! let _ = server.poll_output(&mut wire);
//! client.recv(&wire);
//! assert!(matches!(client.poll_event(), Some(Event::CloseReceived(f)) if f.code == CloseCode::NORMAL));
//! assert!(matches!(client.poll_event(), Some(Event::Closed(c)) if c.clean));
//! wire.clear();
//! let _ = client.poll_output(&mut wire);
//! server.recv(&wire);
//! while let Some(event) = server.poll_event() {
//!     if let Event::Closed(closed) = event {
//!         assert!(closed.clean);
//!     }
//! }
//! // RFC 6455 §7.1.1: the server closes the TCP connection first.
//! assert!(server.wants_close_transport());
//! ```

#![forbid(unsafe_code)]

pub mod close;
pub mod connection;
mod deflate;
pub mod deflate_config;
pub mod error;
pub mod extension;
pub mod frame;
pub mod handshake;
pub mod limits;
pub mod mask;
pub mod message;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use connection::{
    CloseCause, Closed, Closing, Config, Connecting, Connection, Event, ReceiveMode, State,
};
pub use deflate_config::DeflateConfig;
pub use error::{Error, LimitError, ProtocolError, UsageError, Violation};
pub use limits::Limits;
pub use message::{Chunk, Message, MessageKind, Utf8Bytes};

/// Which end of the connection this machine plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that sent the opening handshake; it masks every frame it sends.
    Client,
    /// The end that accepted the handshake; it never masks.
    Server,
}
