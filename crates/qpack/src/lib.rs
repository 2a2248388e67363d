//! QPACK, field compression for HTTP/3 (RFC 9204), as two sans-IO machines.
//!
//! [`Encoder`] turns field lists into encoded field sections and writes the instructions
//! of its encoder stream into a buffer the caller supplies; [`Decoder`] consumes those
//! encoder-stream bytes and field sections and produces decoder-stream bytes. Neither
//! performs I/O, reads a clock or spawns a thread: the HTTP/3 layer moves bytes between
//! them and the QUIC streams (unidirectional stream types 0x02 and 0x03).
//!
//! A decoder may receive a field section before the encoder-stream bytes it depends on
//! (RFC 9204 §2.1.2): [`Decoder::decode`] then returns [`Decoded::Blocked`] and the
//! section comes out of [`Decoder::poll_unblocked`] once the inserts arrive.
//! [`Decoder::decode_with`] (a closure per field) and [`Decoder::decode_into`] (an
//! HTTP/3 request or response builder) decode without collecting the fields and without
//! an allocation per field; they report [`Progress::Blocked`] and hold the section until
//! [`Decoder::poll_unblocked_stream`] names it.
//!
//! ```
//! use bytes::Bytes;
//! use stator_qpack::{Decoded, Decoder, Encoder, Field, Limits};
//!
//! let limits = Limits::default();
//! // The encoder learns the peer decoder's SETTINGS (RFC 9204 §5).
//! let mut encoder = Encoder::new(limits.max_table_capacity as u64, limits.max_blocked_streams as u64);
//! let mut decoder = Decoder::new(limits);
//!
//! let fields = [Field::new(":method", "GET"), Field::new("x-trace", "abc123")];
//! let mut encoder_stream = Vec::new();
//! // A field seen once goes as a literal; seen again, it is worth a table entry.
//! let first = encoder.encode(0, &fields, &mut encoder_stream);
//! assert_eq!(decoder.decode(0, first)?, Decoded::Fields(fields.to_vec()));
//! let second = encoder.encode(4, &fields, &mut encoder_stream);
//!
//! // The section may overtake the encoder stream: it then waits, blocked.
//! assert_eq!(decoder.decode(4, second)?, Decoded::Blocked);
//! decoder.on_encoder_stream(&encoder_stream)?;
//! let (stream_id, decoded) = decoder.poll_unblocked().expect("unblocked");
//! assert_eq!((stream_id, &decoded[..]), (4, &fields[..]));
//!
//! // The acknowledgments travel back on the decoder stream.
//! let mut decoder_stream = Vec::new();
//! let _ = decoder.poll_decoder_stream(&mut decoder_stream);
//! encoder.on_decoder_stream(&decoder_stream)?;
//! # Ok::<(), stator_qpack::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod decoder;
mod encoder;
mod error;
mod instructions;
mod primitives;
mod section;
mod sink;
mod static_table;
mod table;

use bytes::Bytes;

pub use decoder::{Decoded, Decoder, Progress};
pub use encoder::Encoder;
pub use error::{Error, ErrorCode, Reason};

/// One field line: a name and a value, shared rather than copied.
///
/// Decoded names and values are slices of the received section, of the dynamic table or
/// of the decoder's arena for Huffman-decoded text, so they can go to
/// `stator_http::fields::FieldSink::push_shared` without a copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field name (lowercase in HTTP/3; QPACK itself does not check).
    pub name: Bytes,
    /// The field value.
    pub value: Bytes,
    /// Never put this field in a dynamic table, here or at any intermediary: the N bit of
    /// literal representations (RFC 9204 §4.5.4, §7.1.3). Set it for values an attacker
    /// could probe for through compression (credentials, short cookies); the encoder then
    /// always writes a literal, and the decoder reports the bit as received.
    pub never_index: bool,
}

impl Field {
    /// A field from anything that converts into `Bytes` (`&'static str`, `Vec<u8>`, …).
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            never_index: false,
        }
    }

    /// A field that must never be indexed (RFC 9204 §7.1.3), e.g. `authorization`.
    pub fn never_indexed(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Field {
        Field {
            never_index: true,
            ..Field::new(name, value)
        }
    }
}

/// The decoder's anti-DoS limits. The first two are advertised to the peer in SETTINGS
/// (RFC 9204 §5); the others bound memory spent on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `SETTINGS_QPACK_MAX_TABLE_CAPACITY`: the largest dynamic table the peer's encoder
    /// may use (RFC 9204 §3.2.3). Bounds table memory. Default 4,096.
    pub max_table_capacity: usize,
    /// `SETTINGS_QPACK_BLOCKED_STREAMS`: how many streams may wait for inserts at once
    /// (RFC 9204 §2.1.2). Bounds memory held by blocked sections. Default 100.
    pub max_blocked_streams: usize,
    /// The largest decoded field section (name + value + 32 per line, RFC 9114 §4.2.2,
    /// `SETTINGS_MAX_FIELD_SECTION_SIZE`). Stops decompression bombs built from repeated
    /// references to one large entry. Default 64 KiB.
    pub max_field_section_size: usize,
    /// The longest name or value, before or after Huffman decoding (RFC 9204 §7.4).
    /// Default 16 KiB.
    pub max_string_len: usize,
    /// The most encoder-stream bytes held for one unfinished instruction; a peer cannot
    /// make the decoder buffer more than this. Default 32 KiB.
    pub max_encoder_stream_buffer: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_table_capacity: 4096,
            max_blocked_streams: 100,
            max_field_section_size: 64 * 1024,
            max_string_len: 16 * 1024,
            max_encoder_stream_buffer: 32 * 1024,
        }
    }
}
