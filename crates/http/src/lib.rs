//! HTTP semantics shared by Stator's HTTP/1.1, HTTP/2 and HTTP/3 machines.
//!
//! Today this crate holds only what WebSocket needs from it: the `:protocol` pseudo-header
//! of Extended CONNECT (RFC 8441 §4, RFC 9220 §3), carried as an extension on
//! `http::Request` the way the `http`-based ecosystem (h2's `ext::Protocol`) carries it.
//! Like every crate below the driver, it does no I/O.
//!
//! ```
//! use stator_http::ext::Protocol;
//!
//! let mut req = http::Request::connect("https://example.com/chat").body(()).unwrap();
//! req.extensions_mut().insert(Protocol::WEBSOCKET);
//! assert_eq!(req.extensions().get::<Protocol>().map(Protocol::as_str), Some("websocket"));
//! ```

#![forbid(unsafe_code)]

pub mod ext;
