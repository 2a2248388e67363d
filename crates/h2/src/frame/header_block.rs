//! Field block assembly: HEADERS or `PUSH_PROMISE` followed by CONTINUATION frames until
//! `END_HEADERS` (RFC 9113 §4.3, §6.10), with the CONTINUATION flood defence.

use bytes::{Bytes, BytesMut};

use crate::{ErrorCode, StreamId};

use super::{Frame, FrameError, FrameLimits, FrameType, Priority, Reason};

/// What opened a field block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A HEADERS frame (RFC 9113 §6.2).
    Headers {
        /// `END_STREAM` flag of the HEADERS frame.
        end_stream: bool,
        /// Its priority fields, if any.
        priority: Option<Priority>,
    },
    /// A `PUSH_PROMISE` frame (RFC 9113 §6.6).
    PushPromise {
        /// The stream the server reserves.
        promised_id: StreamId,
    },
}

/// A complete field block, ready for HPACK decoding (RFC 9113 §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlock {
    /// The stream of the HEADERS or `PUSH_PROMISE` frame.
    pub stream_id: StreamId,
    /// What opened the block.
    pub kind: BlockKind,
    /// The concatenated fragments: a slice of the received frame, not a copy, when the
    /// block came in one frame.
    pub block: Bytes,
    /// A stream error found in the opening frame that must not stop HPACK decoding: a
    /// HEADERS frame whose priority depends on its own stream (RFC 9113 §5.3.1, stream
    /// `PROTOCOL_ERROR`). Decode `block` to keep the HPACK context in sync (§4.3), then
    /// reset the stream with this error.
    pub stream_error: Option<FrameError>,
}

/// A frame after assembly: field blocks are joined, every other frame passes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Any frame but HEADERS, `PUSH_PROMISE` and CONTINUATION.
    Frame(Frame),
    /// A complete field block.
    HeaderBlock(HeaderBlock),
}

#[derive(Debug)]
struct Open {
    stream_id: StreamId,
    kind: BlockKind,
    /// The first fragment, not copied until a CONTINUATION arrives.
    first: Bytes,
    len: usize,
    continuations: u32,
    stream_error: Option<FrameError>,
}

/// Joins HEADERS/`PUSH_PROMISE` and CONTINUATION frames into [`HeaderBlock`]s (RFC 9113
/// §4.3, §6.10). Feed it every frame the [`FrameReader`](super::FrameReader) yields, in
/// order.
///
/// Connection errors, all sticky:
/// - a CONTINUATION with no block open, or any other frame (including unknown types and
///   a CONTINUATION for another stream) while one is open: `PROTOCOL_ERROR` (§6.10);
/// - more than `max_continuation_frames` CONTINUATIONs in one block, or fragments adding
///   up to more than `max_header_block_size`: `ENHANCE_YOUR_CALM`, checked as each
///   fragment arrives, before it is buffered. We close the connection rather than answer
///   431 and reset the stream: a 431 would mean buffering or stream-decoding the rest of
///   a block that is already abusive, and the field does the same (GOAWAY
///   `ENHANCE_YOUR_CALM` for a CONTINUATION flood, CVE-2024-27316).
#[derive(Debug, Default)]
pub struct HeaderBlockAssembler {
    limits: FrameLimits,
    open: Option<Open>,
    buf: BytesMut,
    error: Option<FrameError>,
}

impl HeaderBlockAssembler {
    /// An assembler enforcing `limits` (only the header block limits are used here).
    pub fn new(limits: FrameLimits) -> HeaderBlockAssembler {
        HeaderBlockAssembler {
            limits,
            ..HeaderBlockAssembler::default()
        }
    }

    /// Replaces the limits; a block already open is checked against the new ones from its
    /// next fragment.
    pub fn set_limits(&mut self, limits: FrameLimits) {
        self.limits = limits;
    }

    /// The stream whose field block is open, if any: until it ends, only CONTINUATION
    /// frames for that stream are allowed (RFC 9113 §6.10).
    pub fn open_stream(&self) -> Option<StreamId> {
        self.open.as_ref().map(|o| o.stream_id)
    }

    /// Takes the next frame; returns what is complete (`None` while a block waits for
    /// CONTINUATIONs).
    pub fn push(&mut self, frame: Frame) -> Result<Option<Incoming>, FrameError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let result = self.accept(frame);
        if let Err(error) = result {
            self.error = Some(error);
            self.open = None;
        }
        result
    }

    fn accept(&mut self, frame: Frame) -> Result<Option<Incoming>, FrameError> {
        if let Some(open) = &self.open {
            return match frame {
                Frame::Continuation {
                    stream_id,
                    fragment,
                    end_headers,
                } if stream_id == open.stream_id => self.continuation(&fragment, end_headers),
                other => Err(FrameError::connection(
                    ErrorCode::PROTOCOL_ERROR,
                    other.frame_type(),
                    Reason::HeaderBlockInterrupted {
                        open: open.stream_id,
                    },
                )),
            };
        }
        let (stream_id, kind, fragment, end_headers, stream_error) = match frame {
            Frame::Headers {
                stream_id,
                fragment,
                end_stream,
                end_headers,
                priority,
                ..
            } => {
                let stream_error = priority.filter(|p| p.dependency == stream_id).map(|_| {
                    FrameError::stream(
                        stream_id,
                        ErrorCode::PROTOCOL_ERROR,
                        FrameType::HEADERS,
                        Reason::SelfDependency,
                    )
                });
                let kind = BlockKind::Headers {
                    end_stream,
                    priority,
                };
                (stream_id, kind, fragment, end_headers, stream_error)
            }
            Frame::PushPromise {
                stream_id,
                promised_id,
                fragment,
                end_headers,
                ..
            } => {
                let kind = BlockKind::PushPromise { promised_id };
                (stream_id, kind, fragment, end_headers, None)
            }
            Frame::Continuation { .. } => {
                return Err(FrameError::connection(
                    ErrorCode::PROTOCOL_ERROR,
                    FrameType::CONTINUATION,
                    Reason::UnexpectedContinuation,
                ));
            }
            other => return Ok(Some(Incoming::Frame(other))),
        };
        let ty = match kind {
            BlockKind::Headers { .. } => FrameType::HEADERS,
            BlockKind::PushPromise { .. } => FrameType::PUSH_PROMISE,
        };
        self.check_size(fragment.len(), ty)?;
        if end_headers {
            return Ok(Some(Incoming::HeaderBlock(HeaderBlock {
                stream_id,
                kind,
                block: fragment,
                stream_error,
            })));
        }
        self.open = Some(Open {
            stream_id,
            kind,
            len: fragment.len(),
            first: fragment,
            continuations: 0,
            stream_error,
        });
        Ok(None)
    }

    fn continuation(
        &mut self,
        fragment: &[u8],
        end_headers: bool,
    ) -> Result<Option<Incoming>, FrameError> {
        let max_continuations = self.limits.max_continuation_frames;
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        open.continuations = open.continuations.saturating_add(1);
        if open.continuations > max_continuations {
            return Err(FrameError::connection(
                ErrorCode::ENHANCE_YOUR_CALM,
                FrameType::CONTINUATION,
                Reason::TooManyContinuations {
                    max: max_continuations,
                },
            ));
        }
        let len = open.len.saturating_add(fragment.len());
        self.check_size(len, FrameType::CONTINUATION)?;
        let Some(open) = self.open.as_mut() else {
            return Ok(None);
        };
        open.len = len;
        if !open.first.is_empty() {
            self.buf.reserve(len);
            self.buf.extend_from_slice(&open.first);
            open.first = Bytes::new();
        }
        self.buf.extend_from_slice(fragment);
        if !end_headers {
            return Ok(None);
        }
        let Some(open) = self.open.take() else {
            return Ok(None);
        };
        Ok(Some(Incoming::HeaderBlock(HeaderBlock {
            stream_id: open.stream_id,
            kind: open.kind,
            block: self.buf.split().freeze(),
            stream_error: open.stream_error,
        })))
    }

    fn check_size(&self, len: usize, ty: FrameType) -> Result<(), FrameError> {
        let max = self.limits.max_header_block_size;
        if len > max {
            return Err(FrameError::connection(
                ErrorCode::ENHANCE_YOUR_CALM,
                ty,
                Reason::HeaderBlockTooLarge { max },
            ));
        }
        Ok(())
    }
}
