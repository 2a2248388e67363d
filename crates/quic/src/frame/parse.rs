//! Parsing a packet payload into frames (RFC 9000 §12.4, §19).

use bytes::Bytes;
use stator_wire::{Error as WireError, Reader, varint};

use super::{
    Ack, ConnectionClose, Crypto, Dir, Frame, FrameType, MAX_CID_LEN, MAX_STREAM_COUNT,
    NewConnectionId, ResetStream, ResetStreamAt, Stream,
};
use crate::{Level, TransportError};

/// The frames of a packet payload protected at `level`, in order. Each item is a frame
/// or the [`TransportError`] that must close the connection; the iterator ends after an
/// error. Data-carrying frames are slices of `payload`.
///
/// Errors (each with `frame_type` set when the type was read):
/// - a payload without frames: `PROTOCOL_VIOLATION` (RFC 9000 §12.4);
/// - a frame type not in its shortest encoding: `PROTOCOL_VIOLATION` (RFC 9000 §12.4);
/// - an unknown frame type, a truncated or malformed frame: `FRAME_ENCODING_ERROR`
///   (RFC 9000 §12.4, §19);
/// - a frame type that `level` may not carry: `PROTOCOL_VIOLATION` (RFC 9000 §12.4).
pub fn parse(payload: Bytes, level: Level) -> Frames {
    Frames {
        payload,
        pos: 0,
        level,
        state: State::Start,
    }
}

/// The iterator of [`parse`].
#[derive(Debug, Clone)]
pub struct Frames {
    payload: Bytes,
    pos: usize,
    level: Level,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Going,
    Done,
}

impl Frames {
    /// How many payload bytes have been parsed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl Iterator for Frames {
    type Item = Result<Frame, TransportError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut r = Reader::new(&self.payload);
        if self.state == State::Done || r.skip(self.pos).is_err() {
            return None;
        }
        if r.is_empty() {
            let first = self.state == State::Start;
            self.state = State::Done;
            // RFC 9000 §12.4: a packet that contains no frames is a PROTOCOL_VIOLATION.
            return first.then(|| Err(TransportError::protocol("packet without frames")));
        }
        self.state = State::Going;
        let item = parse_frame(&mut r, &self.payload, self.level);
        self.pos = r.position();
        if item.is_err() {
            self.state = State::Done;
        }
        Some(item)
    }
}

/// Parses one frame at the reader's position.
fn parse_frame(r: &mut Reader<'_>, payload: &Bytes, level: Level) -> Result<Frame, TransportError> {
    let start = r.position();
    let ty = r
        .read_varint()
        .map_err(|_| TransportError::frame_encoding("truncated frame type"))?;
    let ty_len = r.position().saturating_sub(start);
    if varint::encoded_len(ty) != Ok(ty_len) {
        // RFC 9000 §12.4: the frame type must use the shortest possible encoding.
        return Err(TransportError::protocol("frame type not minimally encoded").in_frame(ty));
    }
    let ty = FrameType(ty);
    if !ty.is_known() {
        return Err(TransportError::frame_encoding("unknown frame type").in_frame(ty.0));
    }
    if !ty.permitted(level) {
        return Err(
            TransportError::protocol("frame type not permitted in this packet type").in_frame(ty.0),
        );
    }
    Body { r, payload, ty }.parse()
}

/// The body of one frame of type `ty`.
struct Body<'r, 'a> {
    r: &'r mut Reader<'a>,
    payload: &'r Bytes,
    ty: FrameType,
}

impl Body<'_, '_> {
    fn err(&self, reason: &'static str) -> TransportError {
        TransportError::frame_encoding(reason).in_frame(self.ty.0)
    }

    fn truncated(&self, _: WireError) -> TransportError {
        self.err("truncated frame")
    }

    fn varint(&mut self) -> Result<u64, TransportError> {
        self.r.read_varint().map_err(|e| self.truncated(e))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TransportError> {
        self.r.read_array().map_err(|e| self.truncated(e))
    }

    /// A zero-copy slice of the next `len` bytes.
    fn bytes(&mut self, len: u64) -> Result<Bytes, TransportError> {
        let len = usize::try_from(len).map_err(|_| self.err("truncated frame"))?;
        let start = self.r.position();
        self.r.skip(len).map_err(|e| self.truncated(e))?;
        Ok(self.payload.slice(start..self.r.position()))
    }

    /// A zero-copy slice of the rest of the payload.
    fn rest(&mut self) -> Bytes {
        let start = self.r.position();
        self.r.read_rest();
        self.payload.slice(start..self.r.position())
    }

    /// A stream count of MAX_STREAMS or STREAMS_BLOCKED.
    fn stream_count(&mut self) -> Result<u64, TransportError> {
        let count = self.varint()?;
        if count > MAX_STREAM_COUNT {
            // RFC 9000 §19.11, §19.14.
            return Err(self.err("stream count above 2^60"));
        }
        Ok(count)
    }

    /// Checks that data at `offset` of `len` bytes ends by 2^62 − 1 (RFC 9000 §19.6,
    /// §19.8).
    fn check_end(&self, offset: u64, len: usize) -> Result<(), TransportError> {
        let end = u64::try_from(len)
            .ok()
            .and_then(|len| offset.checked_add(len));
        match end {
            Some(end) if end <= varint::MAX => Ok(()),
            _ => Err(self.err("data ends beyond 2^62 - 1")),
        }
    }

    fn parse(mut self) -> Result<Frame, TransportError> {
        let ty = self.ty;
        Ok(match ty {
            FrameType::PADDING => {
                // Fold the run of padding into one frame.
                let run = self.r.rest().iter().take_while(|b| **b == 0).count();
                self.r.skip(run).map_err(|e| self.truncated(e))?;
                Frame::Padding {
                    len: run.saturating_add(1),
                }
            }
            FrameType::PING => Frame::Ping,
            FrameType::ACK | FrameType::ACK_ECN => {
                Frame::Ack(Ack::parse(self.r, self.payload, ty)?)
            }
            FrameType::RESET_STREAM => Frame::ResetStream(ResetStream {
                stream_id: self.varint()?,
                error_code: self.varint()?,
                final_size: self.varint()?,
            }),
            FrameType::STOP_SENDING => Frame::StopSending {
                stream_id: self.varint()?,
                error_code: self.varint()?,
            },
            FrameType::CRYPTO => self.crypto()?,
            FrameType::NEW_TOKEN => {
                let len = self.varint()?;
                if len == 0 {
                    // RFC 9000 §19.7.
                    return Err(self.err("empty NEW_TOKEN"));
                }
                Frame::NewToken(self.bytes(len)?)
            }
            FrameType::MAX_DATA => Frame::MaxData(self.varint()?),
            FrameType::MAX_STREAM_DATA => Frame::MaxStreamData {
                stream_id: self.varint()?,
                max: self.varint()?,
            },
            FrameType::MAX_STREAMS_BIDI => Frame::MaxStreams {
                dir: Dir::Bidi,
                max: self.stream_count()?,
            },
            FrameType::MAX_STREAMS_UNI => Frame::MaxStreams {
                dir: Dir::Uni,
                max: self.stream_count()?,
            },
            FrameType::DATA_BLOCKED => Frame::DataBlocked(self.varint()?),
            FrameType::STREAM_DATA_BLOCKED => Frame::StreamDataBlocked {
                stream_id: self.varint()?,
                limit: self.varint()?,
            },
            FrameType::STREAMS_BLOCKED_BIDI => Frame::StreamsBlocked {
                dir: Dir::Bidi,
                limit: self.stream_count()?,
            },
            FrameType::STREAMS_BLOCKED_UNI => Frame::StreamsBlocked {
                dir: Dir::Uni,
                limit: self.stream_count()?,
            },
            FrameType::NEW_CONNECTION_ID => self.new_connection_id()?,
            FrameType::RETIRE_CONNECTION_ID => Frame::RetireConnectionId(self.varint()?),
            FrameType::PATH_CHALLENGE => Frame::PathChallenge(self.array()?),
            FrameType::PATH_RESPONSE => Frame::PathResponse(self.array()?),
            FrameType::CONNECTION_CLOSE | FrameType::CONNECTION_CLOSE_APP => {
                self.connection_close()?
            }
            FrameType::HANDSHAKE_DONE => Frame::HandshakeDone,
            FrameType::DATAGRAM => Frame::Datagram(self.rest()),
            FrameType::DATAGRAM_LEN => {
                let len = self.varint()?;
                Frame::Datagram(self.bytes(len)?)
            }
            FrameType::RESET_STREAM_AT => self.reset_stream_at()?,
            _ if ty.is_stream() => self.stream()?,
            _ => return Err(self.err("unknown frame type")),
        })
    }

    /// CRYPTO (RFC 9000 §19.6).
    fn crypto(&mut self) -> Result<Frame, TransportError> {
        let offset = self.varint()?;
        let len = self.varint()?;
        let data = self.bytes(len)?;
        self.check_end(offset, data.len())?;
        Ok(Frame::Crypto(Crypto { offset, data }))
    }

    /// CONNECTION_CLOSE (RFC 9000 §19.19).
    fn connection_close(&mut self) -> Result<Frame, TransportError> {
        let error_code = self.varint()?;
        let frame_type = if self.ty == FrameType::CONNECTION_CLOSE {
            Some(self.varint()?)
        } else {
            None
        };
        let len = self.varint()?;
        Ok(Frame::ConnectionClose(ConnectionClose {
            error_code,
            frame_type,
            reason: self.bytes(len)?,
        }))
    }

    /// RESET_STREAM_AT (draft-ietf-quic-reliable-stream-reset §4).
    fn reset_stream_at(&mut self) -> Result<Frame, TransportError> {
        let frame = ResetStreamAt {
            stream_id: self.varint()?,
            error_code: self.varint()?,
            final_size: self.varint()?,
            reliable_size: self.varint()?,
        };
        if frame.reliable_size > frame.final_size {
            return Err(self.err("RESET_STREAM_AT reliable size above final size"));
        }
        Ok(Frame::ResetStreamAt(frame))
    }

    /// STREAM (RFC 9000 §19.8).
    fn stream(&mut self) -> Result<Frame, TransportError> {
        let flags = self.ty.0;
        let stream_id = self.varint()?;
        let offset = if flags & FrameType::STREAM_OFF != 0 {
            self.varint()?
        } else {
            0
        };
        let data = if flags & FrameType::STREAM_LEN != 0 {
            let len = self.varint()?;
            self.bytes(len)?
        } else {
            // No Length field: the data runs to the end of the packet.
            self.rest()
        };
        self.check_end(offset, data.len())?;
        Ok(Frame::Stream(Stream {
            stream_id,
            offset,
            data,
            fin: flags & FrameType::STREAM_FIN != 0,
        }))
    }

    /// NEW_CONNECTION_ID (RFC 9000 §19.15).
    fn new_connection_id(&mut self) -> Result<Frame, TransportError> {
        let sequence = self.varint()?;
        let retire_prior_to = self.varint()?;
        let len = self.r.read_u8().map_err(|e| self.truncated(e))?;
        if len == 0 || usize::from(len) > MAX_CID_LEN {
            return Err(self.err("NEW_CONNECTION_ID length outside 1..=20"));
        }
        let cid = self.bytes(u64::from(len))?;
        let reset_token = self.array()?;
        if retire_prior_to > sequence {
            return Err(self.err("NEW_CONNECTION_ID retires beyond its own sequence"));
        }
        Ok(Frame::NewConnectionId(NewConnectionId {
            sequence,
            retire_prior_to,
            cid,
            reset_token,
        }))
    }
}
