//! stator-ws: one sans-IO WebSocket codec (RFC 6455, RFC 7692) for HTTP/1.1, HTTP/2 and HTTP/3.
//!
//! A [`Connection`] is a pure state machine: it does no I/O, reads no clock, starts no
//! thread and draws randomness (the handshake key, client masking keys) only from the
//! generator in its [`Config`]. The caller moves bytes: whatever the transport delivers goes
//! into [`Connection::recv`], whatever [`Connection::poll_output`] returns goes to the
//! transport, and [`Connection::poll_event`] says what happened.
//!
//! It follows RFC 6455's states, CONNECTING, OPEN, CLOSING and CLOSED ([`State`]), and the
//! same type serves every carrier; only where it starts differs:
//!
//! - **HTTP/1.1** (RFC 6455 §4): the transport is a TCP (or TLS) stream. The connection
//!   starts in CONNECTING and runs the opening handshake itself:
//!   [`Connection::client_h1`] sends the Upgrade request and reads the `101`,
//!   [`Connection::server_h1`] reads the request, reports it as [`Event::Request`] and
//!   answers with [`accept`](Connection::accept) or [`reject`](Connection::reject). Both
//!   report [`Event::Open`] with what was [negotiated](handshake::Negotiated), and decode
//!   the frames that arrived behind the head.
//! - **HTTP/2** (RFC 8441) and **HTTP/3** (RFC 9220): the transport is the DATA of an
//!   Extended CONNECT stream, whose heads the HTTP/2 or HTTP/3 machine exchanges with the
//!   helpers of [`handshake::connect`]. [`Connection::new`] starts OPEN with the negotiated
//!   permessage-deflate. A close frame is followed by the end of the stream
//!   ([`Connection::wants_close_transport`]); a stream reset is an abort
//!   ([`Connection::reset`]). `new` also serves an HTTP/1.1 layer (`stator-h1`) that did
//!   the Upgrade itself.
//!
//! What it covers: framing and masking (RFC 6455 §5), UTF-8 checking of text that fails
//! on the first bad byte, the close handshake and close codes (§7), fragmentation in both
//! directions, automatic pongs, permessage-deflate (RFC 7692) with every window size and
//! context-takeover setting, bounded memory everywhere ([`Limits`],
//! [`HeadLimits`](handshake::codec::HeadLimits)), and backpressure on sends. The opening
//! handshakes are in [`handshake`] and the extension negotiation in [`extension`].
//!
//! # Over a byte stream: HTTP/1.1
//!
//! Two `Vec<u8>` stand in for the two directions of a TCP connection:
//!
//! ```
//! use stator_wire::rand::SeededRandom;
//! use stator_ws::extension::{DeflateOffer, DeflateOptions};
//! use stator_ws::handshake::{codec::HeadLimits, AcceptOptions, ClientOptions};
//! use stator_ws::{CloseCode, Config, Connection, Event, Message, State};
//!
//! let mut to_server: Vec<u8> = Vec::new(); // what the client wrote to its socket
//! let mut to_client: Vec<u8> = Vec::new(); // what the server wrote to its socket
//!
//! let options = ClientOptions::new("ws://example.com/chat".parse()?)
//!     .with_deflate(DeflateOffer::default());
//! let mut client = Connection::client_h1(&options, Config::client(SeededRandom::new(1)))?;
//! let mut server = Connection::server_h1(Config::server(), HeadLimits::default());
//! assert!(matches!(client.state(), State::Connecting(_)));
//!
//! // The client's request is ready at once; data would be refused until the 101.
//! let _ = client.poll_output(&mut to_server);
//! assert!(client.send_text("too early").is_err());
//!
//! // The server reads the request; the application accepts it.
//! server.recv(&to_server);
//! to_server.clear();
//! while let Some(event) = server.poll_event() {
//!     match event {
//!         Event::Request(request) => {
//!             assert_eq!(request.parts.uri.path(), "/chat");
//!             let accept = AcceptOptions {
//!                 deflate: Some(DeflateOptions::default()),
//!                 ..AcceptOptions::default()
//!             };
//!             server.accept(&accept)?; // the 101 goes to the output
//!         }
//!         Event::Open(negotiated) => assert!(negotiated.deflate.is_some()),
//!         other => unreachable!("{other:?}"),
//!     }
//! }
//!
//! // The 101 and a first message leave in one write; the client decodes both.
//! server.send_text("welcome")?;
//! let _ = server.poll_output(&mut to_client);
//! client.recv(&to_client);
//! to_client.clear();
//! assert!(matches!(client.poll_event(), Some(Event::Open(n)) if n.deflate.is_some()));
//! assert_eq!(client.poll_event(), Some(Event::Message(Message::text("welcome"))));
//!
//! // The client closes; the server replies and then closes the TCP connection first
//! // (RFC 6455 §7.1.1); the client reads the end of the stream.
//! client.close(CloseCode::NORMAL, "bye")?;
//! let _ = client.poll_output(&mut to_server);
//! server.recv(&to_server);
//! while let Some(event) = server.poll_event() {
//!     if let Event::Closed(closed) = event {
//!         assert!(closed.clean);
//!     }
//! }
//! let _ = server.poll_output(&mut to_client);
//! assert!(server.wants_close_transport()); // shut the socket down now
//! client.recv(&to_client);
//! client.recv_eof();
//! while let Some(event) = client.poll_event() {
//!     if let Event::Closed(closed) = event {
//!         assert_eq!(closed.code, CloseCode::NORMAL);
//!     }
//! }
//! assert!(client.wants_close_transport());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Over an HTTP/2 or HTTP/3 stream: Extended CONNECT
//!
//! The HTTP/2 or HTTP/3 machine carries the CONNECT and its `:status 200`; the payloads of
//! the stream's DATA frames are the WebSocket's bytes:
//!
//! ```
//! use stator_wire::rand::SeededRandom;
//! use stator_ws::handshake::{connect, AcceptOptions, ClientOptions};
//! use stator_ws::{CloseCause, CloseCode, Config, Connection, Event, Message};
//!
//! // The heads (here handed across directly instead of through HEADERS frames).
//! let options = ClientOptions::new("wss://example.com/chat".parse()?);
//! let (request, offer) = connect::client_request(&options)?; // CONNECT, :protocol websocket
//! let valid = connect::check_request(&request)?;
//! let (response, server_side) = connect::accept(&valid, &AcceptOptions::default())?;
//! assert_eq!(response.status, 200);
//! let client_side = connect::check_response(&response, &offer)?;
//!
//! // Both ends start OPEN: the Extended CONNECT was the opening handshake.
//! let client_config = Config::client(SeededRandom::new(1)).with_deflate(client_side.deflate);
//! let mut client = Connection::new(client_config);
//! let mut server = Connection::new(Config::server().with_deflate(server_side.deflate));
//!
//! // poll_transmit → the payload of a DATA frame; a DATA frame's payload → recv_bytes.
//! client.send_text("hi")?;
//! let data = client.poll_transmit().expect("one DATA frame");
//! server.recv_bytes(data);
//! assert_eq!(server.poll_event(), Some(Event::Message(Message::text("hi"))));
//!
//! // Closing: the close frames travel as DATA, then each side ends its half of the
//! // stream (END_STREAM over HTTP/2, FIN over HTTP/3) once wants_close_transport says so.
//! server.close(CloseCode::NORMAL, "")?;
//! client.recv_bytes(server.poll_transmit().expect("the close frame"));
//! while client.poll_event().is_some() {}
//! let reply = client.poll_transmit().expect("the close reply");
//! assert!(client.wants_close_transport()); // send `reply` with END_STREAM
//! server.recv_bytes(reply);
//! while let Some(event) = server.poll_event() {
//!     if let Event::Closed(closed) = event {
//!         assert!(closed.clean);
//!     }
//! }
//! assert!(server.wants_close_transport()); // END_STREAM on the server's side too
//! server.recv_eof(); // the client's END_STREAM: nothing more to report
//! assert_eq!(server.poll_event(), None);
//!
//! // A stream reset (RST_STREAM, H3_REQUEST_CANCELLED) aborts a connection.
//! let mut aborted = Connection::new(Config::server());
//! aborted.reset();
//! assert!(matches!(
//!     aborted.poll_event(),
//!     Some(Event::Closed(c)) if c.cause == CloseCause::Reset && c.code == CloseCode::ABNORMAL
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
