//! Errors of the frame layer: what the peer got wrong, which error code goes on the wire,
//! and whether it ends the stream or the whole connection (RFC 9113 §5.4).

use crate::{ErrorCode, StreamId};

use super::FrameType;

/// Where an error applies (RFC 9113 §5.4).
///
/// A connection error is answered with `GOAWAY` and the connection closes (§5.4.1); a
/// stream error is answered with `RST_STREAM` on that stream and the connection goes on
/// (§5.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A connection error (RFC 9113 §5.4.1).
    Connection,
    /// A stream error on this stream (RFC 9113 §5.4.2).
    Stream(StreamId),
}

/// The peer sent a frame that breaks RFC 9113 §4 or §6 (or RFC 9218 §7.1, RFC 8441 §3).
///
/// Carries what goes on the wire (`code`, and the scope that decides between `GOAWAY` and
/// `RST_STREAM`), the type of the offending frame, and the exact [`Reason`] for tests and
/// logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({scope:?}) in frame {frame_type:?}: {reason}")]
pub struct FrameError {
    /// The error code to send (RFC 9113 §7).
    pub code: ErrorCode,
    /// Connection or stream error (RFC 9113 §5.4).
    pub scope: Scope,
    /// The type of the frame that caused it.
    pub frame_type: FrameType,
    /// Why.
    pub reason: Reason,
}

impl FrameError {
    /// A connection error (RFC 9113 §5.4.1).
    pub const fn connection(code: ErrorCode, frame_type: FrameType, reason: Reason) -> Self {
        FrameError {
            code,
            scope: Scope::Connection,
            frame_type,
            reason,
        }
    }

    /// A stream error on `stream_id` (RFC 9113 §5.4.2).
    pub const fn stream(
        stream_id: StreamId,
        code: ErrorCode,
        frame_type: FrameType,
        reason: Reason,
    ) -> Self {
        FrameError {
            code,
            scope: Scope::Stream(stream_id),
            frame_type,
            reason,
        }
    }

    /// Whether this closes the whole connection (RFC 9113 §5.4.1).
    pub const fn is_connection_error(&self) -> bool {
        matches!(self.scope, Scope::Connection)
    }
}

/// The exact rule a frame broke; lets a test assert the cause, not just the code.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// The client connection preface did not match (RFC 9113 §3.4).
    #[error("invalid connection preface")]
    InvalidPreface,
    /// The frame is longer than our `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §4.2).
    #[error("frame of {len} octets exceeds the maximum of {max}")]
    FrameTooLarge {
        /// The Length field.
        len: u32,
        /// Our advertised maximum.
        max: u32,
    },
    /// A frame that belongs to a stream arrived on stream 0 (RFC 9113 §6.1-§6.4, §6.6,
    /// §6.10).
    #[error("frame needs a stream but came on stream 0")]
    StreamIdZero,
    /// A frame about the connection arrived on a non-zero stream (RFC 9113 §6.5, §6.7,
    /// §6.8; RFC 9218 §7.1).
    #[error("connection frame on a non-zero stream")]
    StreamIdNonZero,
    /// The payload length is wrong for the frame type (RFC 9113 §4.2 and each §6 frame).
    #[error("invalid frame length {len}")]
    BadLength {
        /// The Length field.
        len: u32,
    },
    /// The Pad Length is not smaller than what follows it (RFC 9113 §6.1, §6.2, §6.6).
    #[error("padding of {pad_len} octets leaves no room in the payload")]
    PaddingTooLong {
        /// The Pad Length field.
        pad_len: u8,
    },
    /// A SETTINGS frame with ACK carries a payload (RFC 9113 §6.5).
    #[error("SETTINGS ACK with a payload")]
    SettingsAckWithPayload,
    /// A setting has a value outside its range (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218
    /// §2.1).
    #[error("setting {id:#x} has invalid value {value}")]
    InvalidSettingValue {
        /// The setting identifier.
        id: u16,
        /// The received value.
        value: u32,
    },
    /// A setting changed in a way its RFC forbids (RFC 8441 §3: `ENABLE_CONNECT_PROTOCOL`
    /// from 1 back to 0; RFC 9218 §2.1: `NO_RFC7540_PRIORITIES` after the first SETTINGS).
    #[error("setting {id:#x} changed from {old} to {new}")]
    SettingChanged {
        /// The setting identifier.
        id: u16,
        /// The value in force.
        old: u32,
        /// The received value.
        new: u32,
    },
    /// A `WINDOW_UPDATE` with an increment of 0 (RFC 9113 §6.9).
    #[error("window increment of 0")]
    ZeroWindowIncrement,
    /// A stream depends on itself (RFC 9113 §5.3.1).
    #[error("stream depends on itself")]
    SelfDependency,
    /// A `PRIORITY_UPDATE` names stream 0 (RFC 9218 §7.1).
    #[error("PRIORITY_UPDATE for stream 0")]
    PrioritizedStreamZero,
    /// A CONTINUATION arrived with no header block open (RFC 9113 §6.10).
    #[error("CONTINUATION without a preceding HEADERS or PUSH_PROMISE")]
    UnexpectedContinuation,
    /// A header block was interrupted by another frame or a CONTINUATION for another
    /// stream (RFC 9113 §4.3, §6.10).
    #[error("header block on stream {open} interrupted")]
    HeaderBlockInterrupted {
        /// The stream whose header block is open.
        open: StreamId,
    },
    /// A header block grew past `FrameLimits::max_header_block_size`.
    #[error("header block larger than {max} octets")]
    HeaderBlockTooLarge {
        /// The configured limit.
        max: usize,
    },
    /// A header block used more than `FrameLimits::max_continuation_frames` CONTINUATION
    /// frames (CONTINUATION flood, CVE-2024-27316).
    #[error("more than {max} CONTINUATION frames in one header block")]
    TooManyContinuations {
        /// The configured limit.
        max: u32,
    },
}

/// Local misuse of a frame writer: the frame asked for cannot be encoded.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The payload does not fit the 24-bit Length field (RFC 9113 §4.1) or the given
    /// maximum frame size.
    #[error("payload of {len} octets exceeds the maximum frame size {max}")]
    PayloadTooLarge {
        /// The payload length the frame would have.
        len: usize,
        /// The applicable maximum.
        max: u32,
    },
}
