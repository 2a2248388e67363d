//! The static Huffman code of HPACK and QPACK (RFC 7541 §5.2 and Appendix B; RFC 9204
//! §4.1.2 reuses it).
//!
//! [`encode`] writes into any [`bytes::BufMut`] and [`encoded_len`] sizes the output
//! without encoding, so a caller can choose the shorter of the plain and the Huffman form
//! before writing. [`decode`] is table-driven: one lookup on the next 12 bits yields one or
//! two symbols for codes up to 12 bits long, and longer codes, being canonical, are found
//! by comparing against one limit per code length.
//!
//! ```
//! use stator_wire::huffman;
//!
//! let mut coded = Vec::new();
//! huffman::encode(b"www.example.com", &mut coded)?;
//! assert_eq!(coded.len(), huffman::encoded_len(b"www.example.com"));
//! let mut plain = Vec::new();
//! huffman::decode(&coded, &mut plain)?;
//! assert_eq!(plain, b"www.example.com");
//! # Ok::<(), stator_wire::Error>(())
//! ```

mod codes;
mod decode;
mod encode;

pub use decode::{decode, max_decoded_len};
pub use encode::{encode, encoded_len};

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests;
