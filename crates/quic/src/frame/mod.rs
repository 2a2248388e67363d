//! QUIC frames (RFC 9000 §12.4, §19; RFC 9221 §4; draft-ietf-quic-reliable-stream-reset):
//! the [`Frame`] enum, the frame-type numbers and the per-type rules.
//!
//! - [`parse`](parse()) walks a packet payload frame by frame, enforcing the frame types a
//!   packet of each [`Level`] may carry (RFC 9000 §12.4, Table 3);
//!   data-carrying frames are zero-copy [`Bytes`] slices of the payload.
//! - [`Frame::write`] and [`Frame::encoded_len`] write any frame;
//!   [`write_stream`] and [`write_crypto`] take as much data as fits a given room,
//!   [`write_datagram`] writes a datagram whole if it fits, and [`Ack::within`] keeps the
//!   newest ACK ranges that fit.
//! - [`FrameType`] answers the per-type questions of Table 3: permitted at a level,
//!   ack-eliciting, probing, congestion-controlled.
//! - [`Ack`] keeps its ranges encoded and hands them out lazily, so a huge ACK frame
//!   costs no allocation.
//!
//! ```
//! use bytes::Bytes;
//! use stator_quic::Level;
//! use stator_quic::frame::{self, Frame, Stream};
//!
//! let frame = Frame::Stream(Stream {
//!     stream_id: 4,
//!     offset: 0,
//!     data: Bytes::from_static(b"hello"),
//!     fin: true,
//! });
//! let mut payload = Vec::new();
//! frame.write(&mut payload)?;
//! assert_eq!(payload.len(), frame.encoded_len());
//!
//! let parsed: Vec<Frame> =
//!     frame::parse(Bytes::from(payload), Level::OneRtt).collect::<Result<_, _>>()?;
//! assert_eq!(parsed, [frame]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The frame names (RESET_STREAM, ...) are the specification's words, not code items.
#![allow(clippy::doc_markdown)]

mod ack;
mod parse;
mod permit;
mod stream;
mod write;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use bytes::Bytes;

pub use ack::{Ack, AckRanges, EcnCounts};
pub use parse::{Frames, parse};
pub use stream::{StreamWritten, write_crypto, write_datagram, write_stream};

use crate::{Code, Level, TransportError};

/// A frame type number as carried on the wire (RFC 9000 §12.4, §19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameType(pub u64);

impl FrameType {
    /// PADDING (RFC 9000 §19.1).
    pub const PADDING: FrameType = FrameType(0x00);
    /// PING (RFC 9000 §19.2).
    pub const PING: FrameType = FrameType(0x01);
    /// ACK without ECN counts (RFC 9000 §19.3).
    pub const ACK: FrameType = FrameType(0x02);
    /// ACK with ECN counts (RFC 9000 §19.3).
    pub const ACK_ECN: FrameType = FrameType(0x03);
    /// RESET_STREAM (RFC 9000 §19.4).
    pub const RESET_STREAM: FrameType = FrameType(0x04);
    /// STOP_SENDING (RFC 9000 §19.5).
    pub const STOP_SENDING: FrameType = FrameType(0x05);
    /// CRYPTO (RFC 9000 §19.6).
    pub const CRYPTO: FrameType = FrameType(0x06);
    /// NEW_TOKEN (RFC 9000 §19.7).
    pub const NEW_TOKEN: FrameType = FrameType(0x07);
    /// The first STREAM type, 0x08; the low three bits are [`STREAM_OFF`](Self::STREAM_OFF),
    /// [`STREAM_LEN`](Self::STREAM_LEN) and [`STREAM_FIN`](Self::STREAM_FIN) (RFC 9000 §19.8).
    pub const STREAM: FrameType = FrameType(0x08);
    /// The last STREAM type, 0x0f (all three flag bits set).
    pub const STREAM_MAX: FrameType = FrameType(0x0f);
    /// STREAM flag: an Offset field is present.
    pub const STREAM_OFF: u64 = 0x04;
    /// STREAM flag: a Length field is present.
    pub const STREAM_LEN: u64 = 0x02;
    /// STREAM flag: the frame ends the stream.
    pub const STREAM_FIN: u64 = 0x01;
    /// MAX_DATA (RFC 9000 §19.9).
    pub const MAX_DATA: FrameType = FrameType(0x10);
    /// MAX_STREAM_DATA (RFC 9000 §19.10).
    pub const MAX_STREAM_DATA: FrameType = FrameType(0x11);
    /// MAX_STREAMS for bidirectional streams (RFC 9000 §19.11).
    pub const MAX_STREAMS_BIDI: FrameType = FrameType(0x12);
    /// MAX_STREAMS for unidirectional streams (RFC 9000 §19.11).
    pub const MAX_STREAMS_UNI: FrameType = FrameType(0x13);
    /// DATA_BLOCKED (RFC 9000 §19.12).
    pub const DATA_BLOCKED: FrameType = FrameType(0x14);
    /// STREAM_DATA_BLOCKED (RFC 9000 §19.13).
    pub const STREAM_DATA_BLOCKED: FrameType = FrameType(0x15);
    /// STREAMS_BLOCKED for bidirectional streams (RFC 9000 §19.14).
    pub const STREAMS_BLOCKED_BIDI: FrameType = FrameType(0x16);
    /// STREAMS_BLOCKED for unidirectional streams (RFC 9000 §19.14).
    pub const STREAMS_BLOCKED_UNI: FrameType = FrameType(0x17);
    /// NEW_CONNECTION_ID (RFC 9000 §19.15).
    pub const NEW_CONNECTION_ID: FrameType = FrameType(0x18);
    /// RETIRE_CONNECTION_ID (RFC 9000 §19.16).
    pub const RETIRE_CONNECTION_ID: FrameType = FrameType(0x19);
    /// PATH_CHALLENGE (RFC 9000 §19.17).
    pub const PATH_CHALLENGE: FrameType = FrameType(0x1a);
    /// PATH_RESPONSE (RFC 9000 §19.18).
    pub const PATH_RESPONSE: FrameType = FrameType(0x1b);
    /// CONNECTION_CLOSE for a QUIC-layer error (RFC 9000 §19.19).
    pub const CONNECTION_CLOSE: FrameType = FrameType(0x1c);
    /// CONNECTION_CLOSE for an application error (RFC 9000 §19.19).
    pub const CONNECTION_CLOSE_APP: FrameType = FrameType(0x1d);
    /// HANDSHAKE_DONE (RFC 9000 §19.20).
    pub const HANDSHAKE_DONE: FrameType = FrameType(0x1e);
    /// RESET_STREAM_AT (draft-ietf-quic-reliable-stream-reset §4).
    pub const RESET_STREAM_AT: FrameType = FrameType(0x24);
    /// DATAGRAM without a Length field: the data runs to the end of the packet
    /// (RFC 9221 §4).
    pub const DATAGRAM: FrameType = FrameType(0x30);
    /// DATAGRAM with a Length field (RFC 9221 §4).
    pub const DATAGRAM_LEN: FrameType = FrameType(0x31);

    /// Whether this crate knows the type; any other type is a `FRAME_ENCODING_ERROR`
    /// (RFC 9000 §12.4).
    pub fn is_known(self) -> bool {
        matches!(self.0, 0x00..=0x1e | 0x24 | 0x30 | 0x31)
    }

    /// Whether the type is one of the eight STREAM types.
    pub fn is_stream(self) -> bool {
        (Self::STREAM.0..=Self::STREAM_MAX.0).contains(&self.0)
    }
}

/// The direction of the streams a MAX_STREAMS or STREAMS_BLOCKED frame counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Bidirectional streams (types 0x12, 0x16).
    Bidi,
    /// Unidirectional streams (types 0x13, 0x17).
    Uni,
}

/// The largest stream count MAX_STREAMS and STREAMS_BLOCKED may carry, 2^60
/// (RFC 9000 §19.11, §19.14).
pub const MAX_STREAM_COUNT: u64 = 1 << 60;

pub use crate::cid::MAX_CID_LEN;

/// One QUIC frame. Data-carrying variants hold [`Bytes`] slices of the payload they were
/// parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A run of `len` PADDING bytes (RFC 9000 §19.1); the parser folds consecutive
    /// padding into one frame.
    Padding {
        /// Number of 0x00 bytes, at least 1.
        len: usize,
    },
    /// PING (RFC 9000 §19.2).
    Ping,
    /// ACK, with or without ECN counts (RFC 9000 §19.3).
    Ack(Ack),
    /// RESET_STREAM (RFC 9000 §19.4).
    ResetStream(ResetStream),
    /// STOP_SENDING (RFC 9000 §19.5).
    StopSending {
        /// The stream whose receiving part is closed.
        stream_id: u64,
        /// The application's reason.
        error_code: u64,
    },
    /// CRYPTO (RFC 9000 §19.6).
    Crypto(Crypto),
    /// NEW_TOKEN (RFC 9000 §19.7): an address-validation token, never empty.
    NewToken(Bytes),
    /// STREAM (RFC 9000 §19.8).
    Stream(Stream),
    /// MAX_DATA (RFC 9000 §19.9): the connection's flow-control limit.
    MaxData(u64),
    /// MAX_STREAM_DATA (RFC 9000 §19.10).
    MaxStreamData {
        /// The stream.
        stream_id: u64,
        /// Its new flow-control limit in bytes.
        max: u64,
    },
    /// MAX_STREAMS (RFC 9000 §19.11).
    MaxStreams {
        /// Which streams.
        dir: Dir,
        /// The cumulative count allowed, at most [`MAX_STREAM_COUNT`].
        max: u64,
    },
    /// DATA_BLOCKED (RFC 9000 §19.12).
    DataBlocked(u64),
    /// STREAM_DATA_BLOCKED (RFC 9000 §19.13).
    StreamDataBlocked {
        /// The stream.
        stream_id: u64,
        /// The limit it is blocked at.
        limit: u64,
    },
    /// STREAMS_BLOCKED (RFC 9000 §19.14).
    StreamsBlocked {
        /// Which streams.
        dir: Dir,
        /// The count limit it is blocked at, at most [`MAX_STREAM_COUNT`].
        limit: u64,
    },
    /// NEW_CONNECTION_ID (RFC 9000 §19.15).
    NewConnectionId(NewConnectionId),
    /// RETIRE_CONNECTION_ID (RFC 9000 §19.16): the sequence number to retire.
    RetireConnectionId(u64),
    /// PATH_CHALLENGE (RFC 9000 §19.17).
    PathChallenge([u8; 8]),
    /// PATH_RESPONSE (RFC 9000 §19.18).
    PathResponse([u8; 8]),
    /// CONNECTION_CLOSE (RFC 9000 §19.19).
    ConnectionClose(ConnectionClose),
    /// HANDSHAKE_DONE (RFC 9000 §19.20).
    HandshakeDone,
    /// DATAGRAM (RFC 9221 §4).
    Datagram(Bytes),
    /// RESET_STREAM_AT (draft-ietf-quic-reliable-stream-reset §4).
    ResetStreamAt(ResetStreamAt),
}

/// RESET_STREAM (RFC 9000 §19.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetStream {
    /// The stream whose sending part is reset.
    pub stream_id: u64,
    /// The application's reason.
    pub error_code: u64,
    /// The stream's final size in bytes.
    pub final_size: u64,
}

/// RESET_STREAM_AT (draft-ietf-quic-reliable-stream-reset §4): a reset that still
/// delivers the first `reliable_size` bytes. The parser guarantees
/// `reliable_size <= final_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetStreamAt {
    /// The stream whose sending part is reset.
    pub stream_id: u64,
    /// The application's reason.
    pub error_code: u64,
    /// The stream's final size in bytes.
    pub final_size: u64,
    /// How many bytes from the start are still delivered reliably.
    pub reliable_size: u64,
}

/// CRYPTO (RFC 9000 §19.6): handshake bytes at an offset of the level's crypto stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    /// Where `data` starts in the crypto stream.
    pub offset: u64,
    /// The bytes; `offset + data.len()` is at most 2^62 − 1.
    pub data: Bytes,
}

/// STREAM (RFC 9000 §19.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The stream.
    pub stream_id: u64,
    /// Where `data` starts in the stream (0 when the frame has no Offset field).
    pub offset: u64,
    /// The bytes; `offset + data.len()` is at most 2^62 − 1.
    pub data: Bytes,
    /// Whether this frame ends the stream.
    pub fin: bool,
}

/// NEW_CONNECTION_ID (RFC 9000 §19.15). Built with [`NewConnectionId::new`] or by the
/// parser, so the connection ID is 1 to 20 bytes and `retire_prior_to <= sequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnectionId {
    sequence: u64,
    retire_prior_to: u64,
    cid: Bytes,
    reset_token: [u8; 16],
}

impl NewConnectionId {
    /// The frame, or `None` unless `cid` is 1 to 20 bytes and
    /// `retire_prior_to <= sequence` (RFC 9000 §19.15).
    pub fn new(
        sequence: u64,
        retire_prior_to: u64,
        cid: Bytes,
        reset_token: [u8; 16],
    ) -> Option<NewConnectionId> {
        let ok = (1..=MAX_CID_LEN).contains(&cid.len()) && retire_prior_to <= sequence;
        ok.then_some(NewConnectionId {
            sequence,
            retire_prior_to,
            cid,
            reset_token,
        })
    }

    /// The sequence number of the new connection ID.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Connection IDs with lower sequence numbers are to be retired.
    pub fn retire_prior_to(&self) -> u64 {
        self.retire_prior_to
    }

    /// The connection ID, 1 to 20 bytes.
    pub fn cid(&self) -> &Bytes {
        &self.cid
    }

    /// The stateless reset token of the connection ID (RFC 9000 §10.3).
    pub fn reset_token(&self) -> &[u8; 16] {
        &self.reset_token
    }
}

/// CONNECTION_CLOSE (RFC 9000 §19.19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionClose {
    /// The error code: a transport [`Code`] for type 0x1c, the application's for 0x1d.
    pub error_code: u64,
    /// `Some(type)` for a QUIC-layer close (type 0x1c), naming the frame type that caused
    /// it (0 when none did); `None` for an application close (type 0x1d).
    pub frame_type: Option<u64>,
    /// The reason phrase, meant to be UTF-8 but not checked.
    pub reason: Bytes,
}

impl ConnectionClose {
    /// The QUIC-layer close for a [`TransportError`].
    pub fn from_error(err: &TransportError) -> ConnectionClose {
        ConnectionClose {
            error_code: err.code.0,
            frame_type: Some(err.frame_type.unwrap_or(0)),
            reason: Bytes::from_static(err.reason.as_bytes()),
        }
    }

    /// The frame to send at `level`: an application close becomes a QUIC-layer
    /// `APPLICATION_ERROR` without reason in Initial and Handshake packets, which may
    /// only carry type 0x1c (RFC 9000 §10.2.3, §12.4).
    #[must_use]
    pub fn for_level(self, level: Level) -> ConnectionClose {
        match (self.frame_type, level) {
            (None, Level::Initial | Level::Handshake) => ConnectionClose {
                error_code: Code::APPLICATION_ERROR.0,
                frame_type: Some(0),
                reason: Bytes::new(),
            },
            _ => self,
        }
    }
}

impl Frame {
    /// The frame type [`Frame::write`] writes for this frame: STREAM with LEN always and
    /// OFF when the offset is not 0, DATAGRAM with LEN.
    pub fn ty(&self) -> FrameType {
        match self {
            Frame::Padding { .. } => FrameType::PADDING,
            Frame::Ping => FrameType::PING,
            Frame::Ack(ack) => {
                if ack.ecn.is_some() {
                    FrameType::ACK_ECN
                } else {
                    FrameType::ACK
                }
            }
            Frame::ResetStream(_) => FrameType::RESET_STREAM,
            Frame::StopSending { .. } => FrameType::STOP_SENDING,
            Frame::Crypto(_) => FrameType::CRYPTO,
            Frame::NewToken(_) => FrameType::NEW_TOKEN,
            Frame::Stream(s) => stream::stream_type(s.offset, true, s.fin),
            Frame::MaxData(_) => FrameType::MAX_DATA,
            Frame::MaxStreamData { .. } => FrameType::MAX_STREAM_DATA,
            Frame::MaxStreams { dir: Dir::Bidi, .. } => FrameType::MAX_STREAMS_BIDI,
            Frame::MaxStreams { dir: Dir::Uni, .. } => FrameType::MAX_STREAMS_UNI,
            Frame::DataBlocked(_) => FrameType::DATA_BLOCKED,
            Frame::StreamDataBlocked { .. } => FrameType::STREAM_DATA_BLOCKED,
            Frame::StreamsBlocked { dir: Dir::Bidi, .. } => FrameType::STREAMS_BLOCKED_BIDI,
            Frame::StreamsBlocked { dir: Dir::Uni, .. } => FrameType::STREAMS_BLOCKED_UNI,
            Frame::NewConnectionId(_) => FrameType::NEW_CONNECTION_ID,
            Frame::RetireConnectionId(_) => FrameType::RETIRE_CONNECTION_ID,
            Frame::PathChallenge(_) => FrameType::PATH_CHALLENGE,
            Frame::PathResponse(_) => FrameType::PATH_RESPONSE,
            Frame::ConnectionClose(c) => {
                if c.frame_type.is_some() {
                    FrameType::CONNECTION_CLOSE
                } else {
                    FrameType::CONNECTION_CLOSE_APP
                }
            }
            Frame::HandshakeDone => FrameType::HANDSHAKE_DONE,
            Frame::Datagram(_) => FrameType::DATAGRAM_LEN,
            Frame::ResetStreamAt(_) => FrameType::RESET_STREAM_AT,
        }
    }

    /// Whether the frame makes its packet ack-eliciting (RFC 9000 §13.2; RFC 9002 §2).
    pub fn is_ack_eliciting(&self) -> bool {
        self.ty().is_ack_eliciting()
    }
}

/// The sum of `parts`, saturating (lengths of in-memory frames never come near it).
fn total(parts: &[usize]) -> usize {
    parts.iter().fold(0, |a, b| a.saturating_add(*b))
}

/// The encoded length of varint `v`; 8 for values out of range, which writing rejects.
fn vlen(v: u64) -> usize {
    stator_wire::varint::encoded_len(v).unwrap_or(8)
}
