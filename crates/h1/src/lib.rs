//! stator-h1: a sans-IO HTTP/1.1 (RFC 9112) machine for clients and servers.
//!
//! A [`Connection`] does no I/O, reads no clock and starts no thread. The caller moves
//! bytes: whatever the transport delivers goes into [`Connection::recv`] (and
//! [`Connection::recv_eof`] when it ends), [`Connection::poll_event`] says what arrived,
//! the `send_*` methods take the application's heads and content, and whatever
//! [`Connection::poll_output`] returns goes to the transport.
//!
//! What it covers: message syntax and strict parsing (RFC 9112 §2–§5, `httparse`
//! underneath, bare CR/LF, obs-fold and the other smuggling vectors refused), framing by
//! Content-Length and chunked with extensions and trailers, close-delimited responses and
//! the messages that have no content (§6, §7), persistent connections, HTTP/1.0
//! keep-alive, pipelining and half-close (§9), `Expect: 100-continue`, Upgrade (WebSocket,
//! h2c, any token) and CONNECT tunnels handed over with the bytes that followed. Every
//! bound is in [`Limits`]; the peer's violations are [`RemoteError`]s with the status a
//! server answers, the application's mistakes [`LocalError`]s that send nothing.
//! Content-Length and which messages have content come from `stator-http`.
//!
//! A client and a server exchanging a request and a response in memory:
//!
//! ```
//! use http::{Request, Response};
//! use stator_h1::{BodySize, Connection, Event};
//!
//! let mut client = Connection::client();
//! let mut server = Connection::server();
//! let mut wire = Vec::new();
//!
//! // The client sends a POST with 5 octets of content.
//! let (request, ()) = Request::post("http://example.com/echo").body(())?.into_parts();
//! client.send_request(&request, BodySize::Known(5))?;
//! client.send_data(b"hello")?;
//! client.send_end(None)?;
//! let _ = client.poll_output(&mut wire);
//! assert!(wire.starts_with(b"POST /echo HTTP/1.1\r\nhost: example.com\r\n"));
//!
//! // The server reads it: head, content, end.
//! server.recv(&wire);
//! wire.clear();
//! let Some(Event::Request(head)) = server.poll_event() else { unreachable!() };
//! assert_eq!(head.uri.path(), "/echo");
//! let Some(Event::Data(data)) = server.poll_event() else { unreachable!() };
//! assert_eq!(&data[..], b"hello");
//! assert!(matches!(server.poll_event(), Some(Event::End(trailers)) if trailers.is_empty()));
//!
//! // It answers with content of unknown length: chunked, with a trailer.
//! let (response, ()) = Response::builder().status(200).body(())?.into_parts();
//! server.send_response(&response, BodySize::Unknown)?;
//! server.send_data(&data)?;
//! let mut trailers = http::HeaderMap::new();
//! trailers.insert("checksum", "5d41402a".parse()?);
//! server.send_end(Some(&trailers))?;
//! let _ = server.poll_output(&mut wire);
//! assert!(wire.ends_with(b"5\r\nhello\r\n0\r\nchecksum: 5d41402a\r\n\r\n"));
//!
//! // The client reads the response; the connection persists for the next exchange.
//! client.recv(&wire);
//! let Some(Event::Response(head)) = client.poll_event() else { unreachable!() };
//! assert_eq!(head.status, 200);
//! assert!(matches!(client.poll_event(), Some(Event::Data(d)) if &d[..] == b"hello"));
//! assert!(matches!(client.poll_event(), Some(Event::End(t)) if t["checksum"] == "5d41402a"));
//! assert!(client.poll_event().is_none());
//! assert!(!client.wants_close() && !server.wants_close());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod chunked;
mod conn;
pub mod error;
pub mod event;
mod framing;
pub mod limits;
mod parse;
mod serialize;
mod state;

pub use conn::{Connection, Role};
pub use error::{Error, LocalError, RemoteError, Violation};
pub use event::{Event, Upgrade};
pub use framing::Switch;
pub use limits::Limits;
pub use serialize::BodySize;
pub use state::Phase;
