//! How a [`Connection`](super::Connection) is set up.

use core::fmt;

use stator_wire::rand::{Random, SystemRandom};

use crate::{DeflateConfig, Limits, Role};

/// How received data messages reach the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReceiveMode {
    /// Whole messages ([`Event::Message`](crate::Event::Message)), reassembled from their
    /// fragments and inflated, bounded by [`Limits::max_message_size`]. A message that
    /// arrives in one uncompressed frame is a slice of the receive buffer, not a copy.
    #[default]
    Message,
    /// Pieces as they arrive ([`Event::Chunk`](crate::Event::Chunk)), even before a frame
    /// is complete, so that large messages need not be held in memory.
    Stream,
}

/// The configuration of a [`Connection`](super::Connection).
pub struct Config {
    /// Client or server: decides who masks (RFC 6455 §5.1).
    pub role: Role,
    /// Anti-DoS limits.
    pub limits: Limits,
    /// The negotiated permessage-deflate parameters, `None` if it was not negotiated.
    ///
    /// Read by [`Connection::new`](super::Connection::new), whose handshake was done
    /// elsewhere. [`client_h1`](super::Connection::client_h1) and
    /// [`server_h1`](super::Connection::server_h1) ignore it: their handshake negotiates the
    /// parameters, from [`ClientOptions::deflate`](crate::handshake::ClientOptions) and
    /// [`AcceptOptions::deflate`](crate::handshake::AcceptOptions).
    pub deflate: Option<DeflateConfig>,
    /// Answer every ping with a pong automatically (RFC 6455 §5.5.2). Default `true`.
    /// Pings are reported as [`Event::Ping`](crate::Event::Ping) either way.
    pub auto_pong: bool,
    /// Whole messages or streamed chunks. Default [`ReceiveMode::Message`].
    pub receive_mode: ReceiveMode,
    /// Where masking keys come from. A client draws a fresh key for every frame
    /// (RFC 6455 §5.3: keys must not be predictable); a server never uses it.
    pub random: Box<dyn Random + Send>,
}

impl Config {
    /// A client configuration with default limits, no compression and automatic pongs.
    /// `random` supplies the masking keys: pass a
    /// [`SystemRandom`] in production and a
    /// [`SeededRandom`](stator_wire::rand::SeededRandom) in tests.
    pub fn client(random: impl Random + Send + 'static) -> Config {
        Config::new(Role::Client, Box::new(random))
    }

    /// A server configuration with default limits, no compression and automatic pongs.
    pub fn server() -> Config {
        // A server never masks, so it never draws from the generator; the OS generator
        // costs nothing until it is used.
        Config::new(Role::Server, Box::new(SystemRandom::new()))
    }

    /// A configuration for `role` with every other field at its default.
    pub fn new(role: Role, random: Box<dyn Random + Send>) -> Config {
        Config {
            role,
            limits: Limits::default(),
            deflate: None,
            auto_pong: true,
            receive_mode: ReceiveMode::default(),
            random,
        }
    }

    /// Replaces the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }

    /// Enables permessage-deflate with the negotiated parameters.
    #[must_use]
    pub fn with_deflate(mut self, deflate: Option<DeflateConfig>) -> Config {
        self.deflate = deflate;
        self
    }

    /// Turns automatic pongs on or off.
    #[must_use]
    pub fn with_auto_pong(mut self, auto_pong: bool) -> Config {
        self.auto_pong = auto_pong;
        self
    }

    /// Chooses how messages are delivered.
    #[must_use]
    pub fn with_receive_mode(mut self, mode: ReceiveMode) -> Config {
        self.receive_mode = mode;
        self
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("role", &self.role)
            .field("limits", &self.limits)
            .field("deflate", &self.deflate)
            .field("auto_pong", &self.auto_pong)
            .field("receive_mode", &self.receive_mode)
            .finish_non_exhaustive()
    }
}
