//! The HTTP/2 frame layer (RFC 9113 §4 and §6, RFC 9218 §7.1, RFC 8441 §3).
//!
//! Pure byte work, no I/O and no clock:
//! - [`FrameReader`] splits a received byte stream into [`Frame`]s whose payloads are
//!   `Bytes` slices of the receive buffer, and checks every frame-local rule of §4 and §6;
//!   it also checks the client connection preface ([`PREFACE`], [`check_preface`]).
//! - [`HeaderBlockAssembler`] joins HEADERS/`PUSH_PROMISE` and their CONTINUATION frames
//!   into one [`HeaderBlock`] under [`FrameLimits`] (CONTINUATION flood defence).
//! - The `write_*` functions and [`Frame::encode`] append frames to a caller buffer.
//! - [`Settings`] holds the eight SETTINGS parameters we know and applies a received
//!   [`SettingsFrame`].
//!
//! Errors are [`FrameError`]s carrying the wire code and whether they are connection or
//! stream errors ([`Scope`]). Rules that need stream or connection state (a frame on an
//! idle stream, `PUSH_PROMISE` to a server, ...) belong to the connection, not here.
//!
//! Unknown frame types are surfaced as [`Frame::Unknown`] rather than dropped: the
//! connection must ignore them (§4.1, §5.5) but must still reject one that interrupts a
//! header block (§6.10), and may count them against an abuse budget. Unknown flags are
//! ignored and dropped; they are not kept, so they do not round-trip.
//!
//! ```
//! use bytes::Bytes;
//! use stator_h2::StreamId;
//! use stator_h2::frame::{self, Frame, FrameReader};
//!
//! let mut wire = Vec::new();
//! frame::write_ping(&mut wire, *b"12345678", false);
//! let mut reader = FrameReader::new(frame::DEFAULT_MAX_FRAME_SIZE);
//! reader.recv(&wire);
//! assert_eq!(reader.next_frame(), Ok(Some(Frame::Ping { ack: false, data: *b"12345678" })));
//! assert_eq!(reader.next_frame(), Ok(None));
//! ```

mod error;
mod header_block;
mod parse;
mod preface;
mod reader;
mod settings;
mod write;

use std::fmt;

use bytes::Bytes;

use crate::{ErrorCode, StreamId};

pub use error::{EncodeError, FrameError, Reason, Scope};
pub use header_block::{BlockKind, HeaderBlock, HeaderBlockAssembler, Incoming};
pub use parse::parse_payload;
pub use preface::{PREFACE, PrefaceStatus, check_preface};
pub use reader::FrameReader;
pub use settings::{Peer, Setting, SettingId, Settings, SettingsFrame, SettingsIter};
pub use write::{
    write_continuation, write_data, write_frame_header, write_goaway, write_headers, write_ping,
    write_priority, write_priority_update, write_push_promise, write_raw, write_rst_stream,
    write_settings, write_settings_ack, write_settings_entries, write_window_update,
};

/// Length of the frame header (RFC 9113 §4.1).
pub const HEADER_LEN: usize = 9;
/// The initial and smallest `SETTINGS_MAX_FRAME_SIZE`, 2^14 (RFC 9113 §6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 1 << 14;
/// The largest `SETTINGS_MAX_FRAME_SIZE`, 2^24 - 1 (RFC 9113 §6.5.2).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;
/// The largest flow-control window and window increment, 2^31 - 1 (RFC 9113 §6.9).
pub const MAX_WINDOW_SIZE: u32 = 0x7fff_ffff;

/// A frame type (RFC 9113 §6, §11.2; RFC 9218 §7.1).
///
/// A newtype over the wire octet: unknown types are legal and ignored (RFC 9113 §4.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameType(pub u8);

impl FrameType {
    /// DATA (RFC 9113 §6.1).
    pub const DATA: FrameType = FrameType(0x0);
    /// HEADERS (RFC 9113 §6.2).
    pub const HEADERS: FrameType = FrameType(0x1);
    /// PRIORITY (RFC 9113 §6.3).
    pub const PRIORITY: FrameType = FrameType(0x2);
    /// `RST_STREAM` (RFC 9113 §6.4).
    pub const RST_STREAM: FrameType = FrameType(0x3);
    /// SETTINGS (RFC 9113 §6.5).
    pub const SETTINGS: FrameType = FrameType(0x4);
    /// `PUSH_PROMISE` (RFC 9113 §6.6).
    pub const PUSH_PROMISE: FrameType = FrameType(0x5);
    /// PING (RFC 9113 §6.7).
    pub const PING: FrameType = FrameType(0x6);
    /// GOAWAY (RFC 9113 §6.8).
    pub const GOAWAY: FrameType = FrameType(0x7);
    /// `WINDOW_UPDATE` (RFC 9113 §6.9).
    pub const WINDOW_UPDATE: FrameType = FrameType(0x8);
    /// CONTINUATION (RFC 9113 §6.10).
    pub const CONTINUATION: FrameType = FrameType(0x9);
    /// `PRIORITY_UPDATE` (RFC 9218 §7.1).
    pub const PRIORITY_UPDATE: FrameType = FrameType(0x10);

    /// The type's name, if it is one of the above.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "DATA",
            0x1 => "HEADERS",
            0x2 => "PRIORITY",
            0x3 => "RST_STREAM",
            0x4 => "SETTINGS",
            0x5 => "PUSH_PROMISE",
            0x6 => "PING",
            0x7 => "GOAWAY",
            0x8 => "WINDOW_UPDATE",
            0x9 => "CONTINUATION",
            0x10 => "PRIORITY_UPDATE",
            _ => return None,
        })
    }
}

impl fmt::Debug for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "FrameType({:#x})", self.0),
        }
    }
}

/// Frame flags (RFC 9113 §6). The same bit means different things in different types.
pub mod flags {
    /// DATA, HEADERS: last frame of the stream (RFC 9113 §6.1, §6.2).
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: acknowledgement (RFC 9113 §6.5, §6.7).
    pub const ACK: u8 = 0x1;
    /// HEADERS, `PUSH_PROMISE`, CONTINUATION: the field block ends here (RFC 9113 §6.2).
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, `PUSH_PROMISE`: a Pad Length field is present (RFC 9113 §6.1).
    pub const PADDED: u8 = 0x8;
    /// HEADERS: the priority fields are present (RFC 9113 §6.2).
    pub const PRIORITY: u8 = 0x20;
}

/// The 9-octet frame header (RFC 9113 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length, 24 bits.
    pub length: u32,
    /// Frame type.
    pub ty: FrameType,
    /// Flags, all eight bits as received.
    pub flags: u8,
    /// Stream identifier; the reserved bit is dropped (RFC 9113 §4.1).
    pub stream_id: StreamId,
}

impl FrameHeader {
    /// Parses a frame header (RFC 9113 §4.1). Every 9-octet string is a header.
    pub fn parse(bytes: [u8; HEADER_LEN]) -> FrameHeader {
        let [l0, l1, l2, ty, flags, s0, s1, s2, s3] = bytes;
        FrameHeader {
            length: u32::from_be_bytes([0, l0, l1, l2]),
            ty: FrameType(ty),
            flags,
            stream_id: StreamId::from_wire(u32::from_be_bytes([s0, s1, s2, s3])),
        }
    }

    /// The header's wire form (RFC 9113 §4.1); the Length keeps its low 24 bits and the
    /// reserved bit is sent as 0.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let [_, l0, l1, l2] = self.length.to_be_bytes();
        let [s0, s1, s2, s3] = self.stream_id.get().to_be_bytes();
        [l0, l1, l2, self.ty.0, self.flags, s0, s1, s2, s3]
    }

    /// Whether `flag` is set.
    pub const fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Stream priority fields of HEADERS and PRIORITY frames (RFC 9113 §5.3.2, §6.3),
/// deprecated but still parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    /// Whether the dependency is exclusive.
    pub exclusive: bool,
    /// The stream this one depends on.
    pub dependency: StreamId,
    /// The weight on the wire (actual weight minus one).
    pub weight: u8,
}

/// One HTTP/2 frame (RFC 9113 §6, RFC 9218 §7.1), with payloads as `Bytes` slices of what
/// was received. Unknown flags are not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// DATA (RFC 9113 §6.1).
    Data {
        /// The stream, never 0.
        stream_id: StreamId,
        /// The data, padding removed.
        data: Bytes,
        /// `END_STREAM` flag.
        end_stream: bool,
        /// The Pad Length when PADDED was set. Padding counts against flow control; see
        /// [`Frame::flow_controlled_len`].
        pad_len: Option<u8>,
    },
    /// HEADERS (RFC 9113 §6.2).
    Headers {
        /// The stream, never 0.
        stream_id: StreamId,
        /// The field block fragment, padding removed.
        fragment: Bytes,
        /// `END_STREAM` flag.
        end_stream: bool,
        /// `END_HEADERS` flag.
        end_headers: bool,
        /// Priority fields when the PRIORITY flag was set.
        priority: Option<Priority>,
        /// The Pad Length when PADDED was set.
        pad_len: Option<u8>,
    },
    /// PRIORITY (RFC 9113 §6.3).
    Priority {
        /// The stream, never 0.
        stream_id: StreamId,
        /// The priority fields.
        priority: Priority,
    },
    /// `RST_STREAM` (RFC 9113 §6.4).
    RstStream {
        /// The stream, never 0.
        stream_id: StreamId,
        /// Why the stream ends.
        code: ErrorCode,
    },
    /// SETTINGS (RFC 9113 §6.5); when read, its values are already range-checked.
    Settings(SettingsFrame),
    /// `PUSH_PROMISE` (RFC 9113 §6.6), parsed so that a client can reject it.
    PushPromise {
        /// The associated stream, never 0.
        stream_id: StreamId,
        /// The reserved stream.
        promised_id: StreamId,
        /// The field block fragment, padding removed.
        fragment: Bytes,
        /// `END_HEADERS` flag.
        end_headers: bool,
        /// The Pad Length when PADDED was set.
        pad_len: Option<u8>,
    },
    /// PING (RFC 9113 §6.7).
    Ping {
        /// ACK flag.
        ack: bool,
        /// The opaque data.
        data: [u8; 8],
    },
    /// GOAWAY (RFC 9113 §6.8).
    GoAway {
        /// The last stream the sender may have processed.
        last_stream_id: StreamId,
        /// Why the connection closes.
        code: ErrorCode,
        /// Additional debug data.
        debug_data: Bytes,
    },
    /// `WINDOW_UPDATE` (RFC 9113 §6.9).
    WindowUpdate {
        /// The stream, or 0 for the connection window.
        stream_id: StreamId,
        /// The increment, 1..=2^31-1 (reserved bit dropped).
        increment: u32,
    },
    /// CONTINUATION (RFC 9113 §6.10).
    Continuation {
        /// The stream, never 0.
        stream_id: StreamId,
        /// The field block fragment.
        fragment: Bytes,
        /// `END_HEADERS` flag.
        end_headers: bool,
    },
    /// `PRIORITY_UPDATE` (RFC 9218 §7.1).
    PriorityUpdate {
        /// The stream being reprioritised, never 0.
        prioritized_id: StreamId,
        /// The Priority Field Value (RFC 9218 §4), not parsed here.
        field_value: Bytes,
    },
    /// A frame of a type we do not know, to be ignored (RFC 9113 §4.1, §5.5).
    Unknown {
        /// The frame type.
        ty: FrameType,
        /// The flags as received.
        flags: u8,
        /// The stream identifier.
        stream_id: StreamId,
        /// The payload.
        payload: Bytes,
    },
}

impl Frame {
    /// The frame's type.
    pub fn frame_type(&self) -> FrameType {
        match self {
            Frame::Data { .. } => FrameType::DATA,
            Frame::Headers { .. } => FrameType::HEADERS,
            Frame::Priority { .. } => FrameType::PRIORITY,
            Frame::RstStream { .. } => FrameType::RST_STREAM,
            Frame::Settings(_) => FrameType::SETTINGS,
            Frame::PushPromise { .. } => FrameType::PUSH_PROMISE,
            Frame::Ping { .. } => FrameType::PING,
            Frame::GoAway { .. } => FrameType::GOAWAY,
            Frame::WindowUpdate { .. } => FrameType::WINDOW_UPDATE,
            Frame::Continuation { .. } => FrameType::CONTINUATION,
            Frame::PriorityUpdate { .. } => FrameType::PRIORITY_UPDATE,
            Frame::Unknown { ty, .. } => *ty,
        }
    }

    /// The stream identifier of the frame header (RFC 9113 §4.1); 0 for connection frames.
    pub fn stream_id(&self) -> StreamId {
        match self {
            Frame::Data { stream_id, .. }
            | Frame::Headers { stream_id, .. }
            | Frame::Priority { stream_id, .. }
            | Frame::RstStream { stream_id, .. }
            | Frame::PushPromise { stream_id, .. }
            | Frame::WindowUpdate { stream_id, .. }
            | Frame::Continuation { stream_id, .. }
            | Frame::Unknown { stream_id, .. } => *stream_id,
            Frame::Settings(_)
            | Frame::Ping { .. }
            | Frame::GoAway { .. }
            | Frame::PriorityUpdate { .. } => StreamId::ZERO,
        }
    }

    /// The octets a DATA frame counts against flow control: its whole payload, padding and
    /// Pad Length field included (RFC 9113 §6.1, §6.9.1). 0 for other frames.
    pub fn flow_controlled_len(&self) -> u32 {
        match self {
            Frame::Data { data, pad_len, .. } => {
                let pad = pad_len.map_or(0, |p| u32::from(p).saturating_add(1));
                u32::try_from(data.len())
                    .unwrap_or(u32::MAX)
                    .saturating_add(pad)
            }
            _ => 0,
        }
    }
}

/// Limits the frame layer enforces on received frames. The connection fills them from
/// its own limits and our SETTINGS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Our advertised `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §4.2, §6.5.2); larger frames are
    /// a connection `FRAME_SIZE_ERROR`. Default 2^14.
    pub max_frame_size: u32,
    /// The largest field block (sum of the fragments, still HPACK-compressed) a
    /// HEADERS/`PUSH_PROMISE` plus CONTINUATIONs may carry. Larger is a connection
    /// `ENHANCE_YOUR_CALM`: the block must be buffered whole before HPACK decoding, so it
    /// cannot be skipped, and a stream reset would desynchronise HPACK. Stops memory
    /// exhaustion by endless header blocks. Default 128 KiB.
    pub max_header_block_size: usize,
    /// The most CONTINUATION frames one header block may use. More is a connection
    /// `ENHANCE_YOUR_CALM` (CONTINUATION flood, CVE-2024-27316: many tiny CONTINUATIONs
    /// cost CPU per frame while the block stays small). Default 8, as in the field; with
    /// the default frame size that admits blocks of 144 KiB.
    pub max_continuation_frames: u32,
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_header_block_size: 128 * 1024,
            max_continuation_frames: 8,
        }
    }
}
