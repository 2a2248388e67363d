//! Parsing of frame payloads with every frame-local rule of RFC 9113 §6 (and RFC 9218
//! §7.1): each failure names its error code and scope (§5.4).
//!
//! Scope choices where the RFC leaves room: a size error in a frame that carries a field
//! block, or on stream 0, must be a connection error (§4.2). DATA frame size and padding
//! errors are connection errors too: the payload still has to be counted against the
//! connection flow-control window, and closing the connection keeps both ends' windows
//! from silently diverging. Non-zero padding octets are accepted (§6.1 makes rejecting
//! them optional).

use bytes::Bytes;

use crate::{ErrorCode, StreamId};

use super::{Frame, FrameError, FrameHeader, FrameType, Priority, Reason, SettingsFrame, flags};

/// Parses the payload of a frame whose header is `header` (RFC 9113 §6).
///
/// `payload` must be exactly `header.length` octets (the [`FrameReader`](super::FrameReader)
/// guarantees it; a mismatch is reported as a `FRAME_SIZE_ERROR`). The maximum frame size
/// is the reader's concern. Returns [`Frame::Unknown`](super::Frame::Unknown) for unknown
/// types. HEADERS that depend on themselves parse fine here: the block must still reach
/// HPACK, so [`HeaderBlockAssembler`](super::HeaderBlockAssembler) reports that stream
/// error with the assembled block.
pub fn parse_payload(header: &FrameHeader, payload: Bytes) -> Result<Frame, FrameError> {
    let ty = header.ty;
    if usize::try_from(header.length).ok() != Some(payload.len()) {
        return Err(conn(
            ErrorCode::FRAME_SIZE_ERROR,
            ty,
            bad_len(payload.len()),
        ));
    }
    match ty {
        FrameType::DATA => data(header, payload),
        FrameType::HEADERS => headers(header, payload),
        FrameType::PRIORITY => priority(header, &payload),
        FrameType::RST_STREAM => rst_stream(header, &payload),
        FrameType::SETTINGS => {
            need_zero(header)?;
            SettingsFrame::parse(header.has(flags::ACK), payload).map(Frame::Settings)
        }
        FrameType::PUSH_PROMISE => push_promise(header, payload),
        FrameType::PING => ping(header, &payload),
        FrameType::GOAWAY => goaway(header, payload),
        FrameType::WINDOW_UPDATE => window_update(header, &payload),
        FrameType::CONTINUATION => {
            need_stream(header)?;
            Ok(Frame::Continuation {
                stream_id: header.stream_id,
                fragment: payload,
                end_headers: header.has(flags::END_HEADERS),
            })
        }
        FrameType::PRIORITY_UPDATE => priority_update(header, payload),
        _ => Ok(Frame::Unknown {
            ty,
            flags: header.flags,
            stream_id: header.stream_id,
            payload,
        }),
    }
}

/// DATA (RFC 9113 §6.1).
fn data(header: &FrameHeader, payload: Bytes) -> Result<Frame, FrameError> {
    need_stream(header)?;
    let (data, pad_len) = strip_padding(header, payload, 0)?;
    Ok(Frame::Data {
        stream_id: header.stream_id,
        data,
        end_stream: header.has(flags::END_STREAM),
        pad_len,
    })
}

/// HEADERS (RFC 9113 §6.2): padding, then optional priority fields, then the fragment.
fn headers(header: &FrameHeader, payload: Bytes) -> Result<Frame, FrameError> {
    need_stream(header)?;
    let has_priority = header.has(flags::PRIORITY);
    let fixed = if has_priority { 5 } else { 0 };
    let (mut rest, pad_len) = strip_padding(header, payload, fixed)?;
    let priority = if has_priority {
        let fields = rest.split_to(5);
        Some(parse_priority(&fields).ok_or_else(|| {
            conn(
                ErrorCode::FRAME_SIZE_ERROR,
                header.ty,
                bad_len(header.length),
            )
        })?)
    } else {
        None
    };
    Ok(Frame::Headers {
        stream_id: header.stream_id,
        fragment: rest,
        end_stream: header.has(flags::END_STREAM),
        end_headers: header.has(flags::END_HEADERS),
        priority,
        pad_len,
    })
}

/// PRIORITY (RFC 9113 §6.3): a length other than 5 is a *stream* error, and so is a
/// dependency on itself (§5.3.1).
fn priority(header: &FrameHeader, payload: &[u8]) -> Result<Frame, FrameError> {
    need_stream(header)?;
    let sid = header.stream_id;
    let priority = match parse_priority(payload) {
        Some(p) if payload.len() == 5 => p,
        _ => {
            let reason = bad_len(payload.len());
            return Err(FrameError::stream(
                sid,
                ErrorCode::FRAME_SIZE_ERROR,
                header.ty,
                reason,
            ));
        }
    };
    if priority.dependency == sid {
        let reason = Reason::SelfDependency;
        return Err(FrameError::stream(
            sid,
            ErrorCode::PROTOCOL_ERROR,
            header.ty,
            reason,
        ));
    }
    Ok(Frame::Priority {
        stream_id: sid,
        priority,
    })
}

/// `RST_STREAM` (RFC 9113 §6.4): a length other than 4 is a connection error.
fn rst_stream(header: &FrameHeader, payload: &[u8]) -> Result<Frame, FrameError> {
    need_stream(header)?;
    let code = exact_u32(payload).ok_or_else(|| {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(payload.len()),
        )
    })?;
    Ok(Frame::RstStream {
        stream_id: header.stream_id,
        code: ErrorCode(code),
    })
}

/// `PUSH_PROMISE` (RFC 9113 §6.6): padding, the promised stream, the fragment.
fn push_promise(header: &FrameHeader, payload: Bytes) -> Result<Frame, FrameError> {
    need_stream(header)?;
    let (mut rest, pad_len) = strip_padding(header, payload, 4)?;
    let promised = rest.split_to(4);
    let promised_id = be_u32(&promised).map(StreamId::from_wire).ok_or_else(|| {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(header.length),
        )
    })?;
    Ok(Frame::PushPromise {
        stream_id: header.stream_id,
        promised_id,
        fragment: rest,
        end_headers: header.has(flags::END_HEADERS),
        pad_len,
    })
}

/// PING (RFC 9113 §6.7): exactly 8 octets.
fn ping(header: &FrameHeader, payload: &[u8]) -> Result<Frame, FrameError> {
    need_zero(header)?;
    let data: [u8; 8] = payload.try_into().map_err(|_| {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(payload.len()),
        )
    })?;
    Ok(Frame::Ping {
        ack: header.has(flags::ACK),
        data,
    })
}

/// GOAWAY (RFC 9113 §6.8): at least 8 octets, then debug data.
fn goaway(header: &FrameHeader, mut payload: Bytes) -> Result<Frame, FrameError> {
    need_zero(header)?;
    let too_short = || {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(header.length),
        )
    };
    let (last, rest) = payload.split_first_chunk::<4>().ok_or_else(too_short)?;
    let code = rest.first_chunk::<4>().ok_or_else(too_short)?;
    let last_stream_id = StreamId::from_wire(u32::from_be_bytes(*last));
    let code = ErrorCode(u32::from_be_bytes(*code));
    let _ = payload.split_to(8);
    Ok(Frame::GoAway {
        last_stream_id,
        code,
        debug_data: payload,
    })
}

/// `WINDOW_UPDATE` (RFC 9113 §6.9): a length other than 4 is a connection error whatever
/// the stream; an increment of 0 is a stream error, or a connection error on stream 0.
fn window_update(header: &FrameHeader, payload: &[u8]) -> Result<Frame, FrameError> {
    let sid = header.stream_id;
    let increment = exact_u32(payload).ok_or_else(|| {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(payload.len()),
        )
    })? & super::MAX_WINDOW_SIZE;
    if increment == 0 {
        let reason = Reason::ZeroWindowIncrement;
        return Err(if sid.is_zero() {
            conn(ErrorCode::PROTOCOL_ERROR, header.ty, reason)
        } else {
            FrameError::stream(sid, ErrorCode::PROTOCOL_ERROR, header.ty, reason)
        });
    }
    Ok(Frame::WindowUpdate {
        stream_id: sid,
        increment,
    })
}

/// `PRIORITY_UPDATE` (RFC 9218 §7.1): on stream 0, at least 4 octets, not about stream 0.
fn priority_update(header: &FrameHeader, mut payload: Bytes) -> Result<Frame, FrameError> {
    need_zero(header)?;
    let id = be_u32(&payload).ok_or_else(|| {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(header.length),
        )
    })?;
    let prioritized_id = StreamId::from_wire(id);
    if prioritized_id.is_zero() {
        return Err(conn(
            ErrorCode::PROTOCOL_ERROR,
            header.ty,
            Reason::PrioritizedStreamZero,
        ));
    }
    let _ = payload.split_to(4);
    Ok(Frame::PriorityUpdate {
        prioritized_id,
        field_value: payload,
    })
}

fn conn(code: ErrorCode, ty: FrameType, reason: Reason) -> FrameError {
    FrameError::connection(code, ty, reason)
}

fn bad_len(len: impl TryInto<u32>) -> Reason {
    Reason::BadLength {
        len: len.try_into().unwrap_or(u32::MAX),
    }
}

/// DATA, HEADERS, PRIORITY, `RST_STREAM`, `PUSH_PROMISE`, CONTINUATION on stream 0 are a
/// connection `PROTOCOL_ERROR` (RFC 9113 §6.1-§6.4, §6.6, §6.10).
fn need_stream(header: &FrameHeader) -> Result<(), FrameError> {
    if header.stream_id.is_zero() {
        return Err(conn(
            ErrorCode::PROTOCOL_ERROR,
            header.ty,
            Reason::StreamIdZero,
        ));
    }
    Ok(())
}

/// SETTINGS, PING, GOAWAY (RFC 9113 §6.5, §6.7, §6.8) and `PRIORITY_UPDATE` (RFC 9218
/// §7.1) on another stream are a connection `PROTOCOL_ERROR`.
fn need_zero(header: &FrameHeader) -> Result<(), FrameError> {
    if !header.stream_id.is_zero() {
        return Err(conn(
            ErrorCode::PROTOCOL_ERROR,
            header.ty,
            Reason::StreamIdNonZero,
        ));
    }
    Ok(())
}

/// Removes the Pad Length field and the padding when PADDED is set (RFC 9113 §6.1, §6.2,
/// §6.6). `fixed` octets of mandatory fields follow the Pad Length and may not be eaten
/// by padding. Too short for the mandatory fields: `FRAME_SIZE_ERROR`; padding longer
/// than what remains: `PROTOCOL_ERROR`; both connection errors.
fn strip_padding(
    header: &FrameHeader,
    mut payload: Bytes,
    fixed: usize,
) -> Result<(Bytes, Option<u8>), FrameError> {
    let too_short = || {
        conn(
            ErrorCode::FRAME_SIZE_ERROR,
            header.ty,
            bad_len(header.length),
        )
    };
    if !header.has(flags::PADDED) {
        if payload.len() < fixed {
            return Err(too_short());
        }
        return Ok((payload, None));
    }
    let pad_len = *payload.first().ok_or_else(too_short)?;
    let _ = payload.split_to(1);
    if payload.len() < fixed {
        return Err(too_short());
    }
    let room = payload.len().saturating_sub(fixed);
    if usize::from(pad_len) > room {
        return Err(conn(
            ErrorCode::PROTOCOL_ERROR,
            header.ty,
            Reason::PaddingTooLong { pad_len },
        ));
    }
    payload.truncate(payload.len().saturating_sub(usize::from(pad_len)));
    Ok((payload, Some(pad_len)))
}

/// The 5 octets of stream dependency and weight (RFC 9113 §6.2, §6.3).
fn parse_priority(bytes: &[u8]) -> Option<Priority> {
    let (dep, rest) = bytes.split_first_chunk::<4>()?;
    let weight = *rest.first()?;
    let dep = u32::from_be_bytes(*dep);
    Some(Priority {
        exclusive: dep & 0x8000_0000 != 0,
        dependency: StreamId::from_wire(dep),
        weight,
    })
}

fn be_u32(bytes: &[u8]) -> Option<u32> {
    bytes.first_chunk::<4>().map(|b| u32::from_be_bytes(*b))
}

fn exact_u32(bytes: &[u8]) -> Option<u32> {
    if bytes.len() == 4 {
        be_u32(bytes)
    } else {
        None
    }
}
