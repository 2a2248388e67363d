//! stator-h2: a sans-IO HTTP/2 (RFC 9113) machine for clients and servers, with Extended
//! CONNECT (RFC 8441).
//!
//! Work in progress: the frame layer, the stream state machine and flow control land
//! first; the connection machine follows.
//!
//! ```
//! use stator_h2::ErrorCode;
//! assert_eq!(ErrorCode::from(0xb), ErrorCode::ENHANCE_YOUR_CALM);
//! ```

#![forbid(unsafe_code)]

// Some building blocks are not composed by the connection yet (window auto-tuning,
// the table's ticketed queue, a few accessors used by unit tests only).
#[allow(dead_code)]
mod budget;
mod conn;
mod error_code;
#[allow(dead_code)]
mod flow;
mod limits;
#[allow(dead_code)]
mod stream;
mod stream_id;

pub mod frame;

pub use conn::{Config, Connection, Error, Event, FlowControl, LocalError, Role};
pub use error_code::ErrorCode;
pub use limits::{DEFAULT_CONNECTION_WINDOW, DEFAULT_STREAM_WINDOW, Limits};
pub use stream_id::StreamId;
