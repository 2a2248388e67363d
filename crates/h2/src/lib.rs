//! stator-h2: a sans-IO HTTP/2 (RFC 9113) machine for clients and servers, with Extended
//! CONNECT (RFC 8441) and `PRIORITY_UPDATE` (RFC 9218).
//!
//! A [`Connection`] does no I/O, reads no clock and starts no thread. The caller moves
//! bytes: what the transport delivers goes into [`Connection::recv`] (with the time,
//! which drives the SETTINGS timeout and the abuse budgets), [`Connection::poll_event`]
//! says what arrived, the `send_*` methods take the application's heads and content, and
//! what [`Connection::poll_output`] returns goes to the transport.
//!
//! What it covers: the connection preface and the SETTINGS exchange with its timeout
//! (RFC 9113 §3.4, §6.5), stream states and identifiers (§5.1), concurrency limits both
//! ways with a FIFO queue of local requests (§5.1.2), flow control with automatic or
//! application-driven release and optional receive-window auto-tuning (§5.2, §6.9), HPACK
//! (RFC 7541, `stator-hpack`) into checked `http` heads (`stator-http`), informational
//! responses, trailers and Content-Length, held both ways (§8.1), the peer's
//! `SETTINGS_MAX_HEADER_LIST_SIZE` on what we send (§6.5.2), `PING`, graceful two-phase
//! `GOAWAY` bounded by timers (§6.8), and Extended CONNECT gated on an allow-list of
//! `:protocol`s. The defences against the HTTP/2 attacks of 2019–2024
//! (Rapid Reset, CONTINUATION and SETTINGS/PING/empty-DATA floods, HPACK bombs) are
//! budgets in [`Limits`]. The frame layer is public in [`frame`] for test peers.
//!
//! A client and a server exchanging a request and a response in memory:
//!
//! ```
//! use std::time::Instant;
//! use http::{Request, Response};
//! use stator_h2::{Config, Connection, Event};
//!
//! let now = Instant::now();
//! let mut client = Connection::client(Config::default());
//! let mut server = Connection::server(Config::default());
//! let mut wire = Vec::new();
//!
//! // The client sends a GET; its preface and SETTINGS go first.
//! let (request, ()) = Request::get("https://example.org/hello").body(())?.into_parts();
//! let stream = client.send_request(&request, true)?;
//!
//! // Bytes move both ways until both sides are idle.
//! let mut exchange = |client: &mut Connection, server: &mut Connection| loop {
//!     wire.clear();
//!     let to_server = client.poll_output(&mut wire);
//!     server.recv(now, &wire).unwrap();
//!     wire.clear();
//!     let to_client = server.poll_output(&mut wire);
//!     client.recv(now, &wire).unwrap();
//!     if to_server + to_client == 0 {
//!         break;
//!     }
//! };
//! exchange(&mut client, &mut server);
//!
//! // The server sees the request (after the client's SETTINGS) and answers it.
//! let request = std::iter::from_fn(|| server.poll_event())
//!     .find_map(|e| match e {
//!         Event::Request { stream, head, end_stream } => Some((stream, head, end_stream)),
//!         _ => None,
//!     });
//! let (id, head, end_stream) = request.expect("a request");
//! assert_eq!((id, head.uri.path(), end_stream), (stream, "/hello", true));
//! let (response, ()) = Response::builder().status(200).body(())?.into_parts();
//! server.send_response(id, &response, false)?;
//! assert_eq!(server.send_data(id, b"hi", true)?, 2);
//! exchange(&mut client, &mut server);
//!
//! // The client reads the response head and its content.
//! let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
//! assert!(events.iter().any(|e| matches!(e, Event::Response { head, .. } if head.status == 200)));
//! assert!(events.iter().any(|e| matches!(e, Event::Data { data, end_stream: true, .. } if data == "hi")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod budget;
mod conn;
mod error_code;
mod flow;
mod limits;
mod stream;
mod stream_id;

pub mod frame;

pub use conn::{Config, Connection, Error, Event, FlowControl, LocalError, Role};
pub use error_code::ErrorCode;
pub use limits::{DEFAULT_CONNECTION_WINDOW, DEFAULT_STREAM_WINDOW, Limits};
pub use stream_id::StreamId;
