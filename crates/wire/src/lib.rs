//! Wire primitives shared by Stator's codecs.
//!
//! QUIC, HTTP/3 and QPACK count in [variable-length integers](varint) (RFC 9000 §16);
//! HPACK and QPACK count in [prefix integers](prefix_int) (RFC 7541 §5.1) and compress
//! strings with the [Huffman code](huffman) of RFC 7541 Appendix B. Every codec reads peer
//! input through the bounds-checked [`Reader`] and writes through [`WriteExt`], so a short
//! or malformed input is a typed [`Error`], never a panic. Callers supply [randomness](rand);
//! WebSocket handshakes and certificate hashes use [`base64`] (RFC 4648).
//!
//! Like every crate below the driver, this one does no I/O, reads no clock and starts no
//! thread.
//!
//! ```
//! use stator_wire::{Reader, WriteExt, huffman};
//!
//! let mut out = Vec::new();
//! out.put_varint(15_293)?; // RFC 9000 Appendix A.1
//! out.put_prefix_int(1337, 5, 0)?; // RFC 7541 Appendix C.1.2
//! huffman::encode(b"no-cache", &mut out)?;
//!
//! let mut r = Reader::new(&out);
//! assert_eq!(r.read_varint()?, 15_293);
//! assert_eq!(r.read_prefix_int(5, u64::MAX)?, (0, 1337));
//! let mut plain = Vec::new();
//! huffman::decode(r.read_rest(), &mut plain)?;
//! assert_eq!(plain, b"no-cache");
//! # Ok::<(), stator_wire::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod base64;
mod cursor;
mod error;
pub mod huffman;
pub mod prefix_int;
pub mod rand;
pub mod varint;
mod write;

pub use cursor::Reader;
pub use error::Error;
pub use write::WriteExt;
