//! The WebSocket opening handshake over its three carriers, without I/O.
//!
//! One WebSocket codec serves every HTTP version; only the handshake differs:
//!
//! | carrier | request | success | the frames travel in | close / abort |
//! |---|---|---|---|---|
//! | HTTP/1.1 (RFC 6455 §4) | `GET` + `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Key` | `101 Switching Protocols` with `Sec-WebSocket-Accept` | the TCP stream after the 101 | after the Close frames the server closes TCP (RFC 6455 §7.1.1) |
//! | HTTP/2 (RFC 8441) | Extended `CONNECT` with `:protocol = websocket` | `:status 200` (any 2xx) | the DATA frames of that stream | Close frame ⇒ `END_STREAM`; abort ⇒ `RST_STREAM(CANCEL)` |
//! | HTTP/3 (RFC 9220) | the same Extended `CONNECT` | `:status 200` (any 2xx) | the DATA frames of that stream | Close frame ⇒ FIN; abort ⇒ `H3_REQUEST_CANCELLED` |
//!
//! Over HTTP/2 and HTTP/3 there is no key and no accept: `:protocol` supersedes them
//! (RFC 8441 §5), and Upgrade and Connection are forbidden. Sec-WebSocket-Version,
//! Sec-WebSocket-Protocol and Sec-WebSocket-Extensions mean the same on every carrier, so
//! subprotocol and extension negotiation is one piece of code for all of them.
//!
//! - [`h1`] checks and builds HTTP/1.1 heads as `http` crate `Parts`, for use with
//!   `stator-h1` or any other HTTP/1.1 layer; [`codec`] reads and writes those heads as
//!   bytes; [`ClientHandshake`] and [`ServerHandshake`] run the whole HTTP/1.1 handshake
//!   on a byte stream and hand over a [`Negotiated`] and the bytes that followed the head
//!   (the first WebSocket frames, which must not be lost).
//!   [`Connection::client_h1`](crate::Connection::client_h1) and
//!   [`Connection::server_h1`](crate::Connection::server_h1) run these two machines inside
//!   the connection's CONNECTING state, which does that hand-over itself.
//! - [`connect`] checks and builds Extended CONNECT heads for the HTTP/2 and HTTP/3
//!   machines, which carry `:protocol` as a [`stator_http::ext::Protocol`] extension.
//! - [`key`] computes Sec-WebSocket-Key and Sec-WebSocket-Accept.
//!
//! ```
//! use stator_ws::handshake::{
//!     AcceptOptions, ClientEvent, ClientHandshake, ClientOptions, ServerEvent, ServerHandshake,
//! };
//! use stator_ws::handshake::codec::HeadLimits;
//! use stator_wire::rand::SeededRandom;
//!
//! let options = ClientOptions::new("ws://example.com/chat".parse()?).with_subprotocols(["chat"]);
//! let mut rng = SeededRandom::new(1);
//! let mut client = ClientHandshake::new(&options, &mut rng, HeadLimits::default())?;
//! let mut server = ServerHandshake::new(HeadLimits::default());
//!
//! server.recv(&client.poll_transmit().expect("request"))?;
//! let Some(ServerEvent::Request(request)) = server.poll_event() else { unreachable!() };
//! assert_eq!(request.offer.subprotocols, ["chat"]);
//! let accept = AcceptOptions { subprotocols: vec!["chat".into()], ..AcceptOptions::default() };
//! let server_side = server.accept(&accept)?;
//!
//! let mut wire = Vec::new();
//! let _ = server.poll_output(&mut wire);
//! client.recv(&wire)?;
//! let Some(ClientEvent::Established(client_side)) = client.poll_event() else { unreachable!() };
//! assert_eq!(client_side.negotiated, server_side.negotiated);
//! assert_eq!(client_side.negotiated.subprotocol.as_deref(), Some("chat"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod codec;
pub mod connect;
mod error;
pub mod h1;
pub mod key;
mod machine;
mod negotiate;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Uri};

pub use error::{BuildError, HandshakeError, HeadError, RequestError, ResponseError};
pub use machine::{ClientEvent, ClientHandshake, IncomingRequest, ServerEvent, ServerHandshake};

use crate::DeflateConfig;
use crate::extension::{DeflateOffer, DeflateOptions, Extension};

/// The only WebSocket version there is: 13 (RFC 6455 §4.1 item 9, §11.6).
pub const VERSION: &str = "13";

/// What both ends agreed on: the outcome of a successful handshake, whichever carrier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Negotiated {
    /// The subprotocol the server chose among the client's (RFC 6455 §1.9, §4.2.2).
    pub subprotocol: Option<String>,
    /// permessage-deflate's parameters, when the server accepted it (RFC 7692 §7).
    pub deflate: Option<DeflateConfig>,
}

/// A completed handshake, ready to hand to the WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Established {
    /// What was agreed.
    pub negotiated: Negotiated,
    /// The bytes received after the peer's head: the start of the WebSocket stream.
    pub leftover: Bytes,
}

/// What a client asks for, on any carrier.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The target: `ws://` or `wss://` (RFC 6455 §3), or `http://` or `https://`.
    ///
    /// Over HTTP/1.1 its path and query become the request-target and its authority the
    /// Host; over HTTP/2 and HTTP/3 they become `:path` and `:authority`, and `:scheme`
    /// is `https` for `wss` and `http` for `ws` (RFC 8441 §5).
    pub uri: Uri,
    /// HTTP/1.1 only: a Host value to send instead of the URI's authority.
    pub host: Option<HeaderValue>,
    /// Subprotocols in order of preference, each a token, no repeats (RFC 6455 §4.1
    /// item 10); empty sends no Sec-WebSocket-Protocol.
    pub subprotocols: Vec<String>,
    /// The permessage-deflate offer, if any (RFC 7692 §5).
    pub deflate: Option<DeflateOffer>,
    /// More request headers (Origin, Cookie, Authorization, ...). Headers the handshake
    /// sets itself are refused with [`BuildError::ReservedHeader`].
    pub headers: HeaderMap,
}

impl ClientOptions {
    /// Options for `uri` with no subprotocol, no extension and no extra header.
    pub fn new(uri: Uri) -> ClientOptions {
        ClientOptions {
            uri,
            host: None,
            subprotocols: Vec::new(),
            deflate: None,
            headers: HeaderMap::new(),
        }
    }

    /// Sets the subprotocols to offer, in order of preference.
    #[must_use]
    pub fn with_subprotocols<I, S>(mut self, subprotocols: I) -> ClientOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = subprotocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the permessage-deflate offer.
    #[must_use]
    pub fn with_deflate(mut self, offer: DeflateOffer) -> ClientOptions {
        self.deflate = Some(offer);
        self
    }

    /// What the client will check the server's answer against.
    fn offer(&self) -> ClientOffer {
        ClientOffer {
            subprotocols: self.subprotocols.clone(),
            deflate: self.deflate,
        }
    }
}

/// What a client offered, kept to check the server's answer (RFC 6455 §4.1 items 5-6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientOffer {
    /// The subprotocols offered.
    pub subprotocols: Vec<String>,
    /// The permessage-deflate offer sent, if any.
    pub deflate: Option<DeflateOffer>,
}

/// What a client's valid opening handshake asks for, on any carrier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Offer {
    /// The subprotocols offered, in the client's order of preference (RFC 6455 §4.2.1
    /// item 8).
    pub subprotocols: Vec<String>,
    /// The extensions offered, in the client's order of preference (RFC 6455 §9.1).
    pub extensions: Vec<Extension>,
}

/// How a server answers a valid opening handshake, on any carrier.
///
/// The default accepts with no subprotocol and no extension.
#[derive(Debug, Clone, Default)]
pub struct AcceptOptions {
    /// The subprotocols the server speaks, in its order of preference: the first one the
    /// client also offered is chosen (RFC 6455 §4.2.2 item 5.5). None in common: no
    /// Sec-WebSocket-Protocol in the answer, and the client decides whether to go on.
    pub subprotocols: Vec<String>,
    /// The permessage-deflate policy; `None` declines every offer (RFC 7692 §5).
    pub deflate: Option<DeflateOptions>,
    /// More response headers (Set-Cookie, ...). Headers the handshake sets itself are
    /// refused with [`BuildError::ReservedHeader`].
    pub headers: HeaderMap,
}
