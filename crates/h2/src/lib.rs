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

mod error_code;
mod stream_id;

pub mod frame;

pub use error_code::ErrorCode;
pub use stream_id::StreamId;
