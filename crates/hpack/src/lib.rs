//! HPACK, the header compression of HTTP/2 (RFC 7541).
//!
//! A [`Decoder`] turns the header blocks one peer sends into [`Field`]s for a caller's
//! sink; an [`Encoder`] turns header lists into blocks. Each keeps the dynamic table of one
//! direction of one connection. Like every crate below Stator's driver, this one is sans-IO:
//! it does no I/O, reads no clock, starts no thread and uses no randomness; the same calls
//! give the same bytes.
//!
//! The decoder is built for hostile input: every limit in [`Limits`] is checked while
//! decoding (an HPACK bomb stops at the header list budget), errors are typed and sticky,
//! and fields are handed out as [`bytes::Bytes`] slices of the block or of shared table
//! entries, without an allocation per field.
//!
//! ```
//! use std::ops::ControlFlow;
//! use bytes::Bytes;
//! use stator_hpack::{Decoder, Encoder, Limits};
//!
//! let mut encoder = Encoder::default();
//! let mut block = Vec::new();
//! let request: [(&[u8], &[u8]); 4] = [
//!     (b":method", b"GET"),
//!     (b":scheme", b"https"),
//!     (b":path", b"/"),
//!     (b"authorization", b"Bearer secret"),
//! ];
//! encoder.encode(request, &mut block);
//!
//! let mut decoder = Decoder::new(Limits::default());
//! let mut fields = Vec::new();
//! decoder.decode(&Bytes::from(block), |field| {
//!     fields.push(field);
//!     ControlFlow::<()>::Continue(())
//! })?;
//! assert_eq!(fields.len(), 4);
//! assert_eq!(fields[3].value, "Bearer secret");
//! assert!(fields[3].never_indexed); // credentials never enter a table (RFC 7541 §7.1.3)
//! # Ok::<(), stator_hpack::Error>(())
//! ```

#![forbid(unsafe_code)]

mod decoder;
mod encoder;
mod error;
mod field;
mod limits;
mod static_table;
mod table;

pub use decoder::{DEFAULT_TABLE_SIZE, Decoder};
pub use encoder::{Encoder, IndexPolicy};
pub use error::{COMPRESSION_ERROR, Error};
pub use field::Field;
pub use limits::Limits;
