//! HTTP semantics shared by Stator's HTTP/1.1, HTTP/2 and HTTP/3 machines.
//!
//! This crate does no I/O and reads no clock: it turns bytes and `http` crate types into
//! each other and says what is allowed.
//!
//! - [`fields`]: HTTP/2 and HTTP/3 field sections ⇄ [`http::request::Parts`],
//!   [`http::response::Parts`] and trailer [`http::HeaderMap`]s, with pseudo-header fields
//!   and every rule of RFC 9113 §8.2–§8.3 and RFC 9114 §4.2–§4.4, one typed
//!   [`fields::Malformed`] reason per rule, and the field-section size limit of
//!   RFC 9113 §6.5.2.
//! - [`body`]: strict Content-Length parsing (RFC 9110 §8.6, RFC 9112 §6.3), which
//!   messages have content (RFC 9110 §6.4.1), and a tracker that checks the received
//!   content against the declared length.
//! - [`alt_svc`]: the `Alt-Svc` field value of RFC 7838 §3, built and parsed.
//! - [`ext`]: the `:protocol` pseudo-header of Extended CONNECT (RFC 8441 §4,
//!   RFC 9220 §3) as an extension on `http::Request`, the way the `http`-based ecosystem
//!   (h2's `ext::Protocol`) carries it.
//!
//! A request decoded field by field, as a HPACK or QPACK decoder would feed it, and
//! encoded back:
//!
//! ```
//! use http::{Method, Version};
//! use stator_http::body::{BodyLength, BodyTracker};
//! use stator_http::ext::Protocol;
//! use stator_http::fields::{encode_request, FieldSink, Limits, RequestBuilder};
//!
//! // RFC 8441 §5.1: WebSocket over HTTP/2.
//! let mut builder =
//!     RequestBuilder::new(Version::HTTP_2, &Limits::default()).with_extended_connect(true);
//! for (name, value) in [
//!     (&b":method"[..], &b"CONNECT"[..]),
//!     (b":protocol", b"websocket"),
//!     (b":scheme", b"https"),
//!     (b":path", b"/chat"),
//!     (b":authority", b"server.example.com"),
//!     (b"sec-websocket-version", b"13"),
//! ] {
//!     builder.push(name, value)?;
//! }
//! let head = builder.finish()?;
//! assert_eq!(head.method, Method::CONNECT);
//! assert_eq!(head.uri, "https://server.example.com/chat");
//! assert_eq!(head.extensions.get::<Protocol>(), Some(&Protocol::WEBSOCKET));
//!
//! // Its DATA is tunnel bytes, not content.
//! let mut body = BodyTracker::new(BodyLength::for_request(&head.method, &head.headers)?);
//! body.on_data(1 << 20)?;
//!
//! // Pseudo-header fields first, in a fixed order.
//! let names: Vec<&[u8]> = encode_request(&head)?.map(|f| f.name()).collect();
//! assert_eq!(names[..2], [&b":method"[..], b":protocol"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod alt_svc;
pub mod body;
pub mod ext;
pub mod fields;
pub mod token;
