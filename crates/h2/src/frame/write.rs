//! Frame writers: each appends one frame (or a HEADERS/CONTINUATION train) to a caller
//! buffer (RFC 9113 §4.1, §6). They write what they are asked, valid or not, so a test
//! peer can send violations; only a payload that cannot be encoded at all is refused.

use crate::{ErrorCode, StreamId};

use super::{
    EncodeError, Frame, FrameHeader, FrameType, HEADER_LEN, MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE,
    Priority, Setting, Settings, SettingsFrame, flags,
};

/// Appends a 9-octet frame header (RFC 9113 §4.1).
pub fn write_frame_header(buf: &mut Vec<u8>, header: &FrameHeader) {
    buf.extend_from_slice(&header.to_bytes());
}

fn header(
    buf: &mut Vec<u8>,
    len: usize,
    ty: FrameType,
    flags: u8,
    stream_id: StreamId,
) -> Result<(), EncodeError> {
    let length = u32::try_from(len)
        .ok()
        .filter(|&l| l <= MAX_MAX_FRAME_SIZE)
        .ok_or(EncodeError::PayloadTooLarge {
            len,
            max: MAX_MAX_FRAME_SIZE,
        })?;
    buf.reserve(HEADER_LEN.saturating_add(len));
    write_frame_header(
        buf,
        &FrameHeader {
            length,
            ty,
            flags,
            stream_id,
        },
    );
    Ok(())
}

/// Appends a frame of any type with this payload, as is (RFC 9113 §4.1): for unknown
/// types and for test peers that need malformed frames.
pub fn write_raw(
    buf: &mut Vec<u8>,
    ty: FrameType,
    flags: u8,
    stream_id: StreamId,
    payload: &[u8],
) -> Result<(), EncodeError> {
    header(buf, payload.len(), ty, flags, stream_id)?;
    buf.extend_from_slice(payload);
    Ok(())
}

/// Appends a DATA frame (RFC 9113 §6.1), padded with `pad_len` zero octets (plus the Pad
/// Length field) when `pad_len` is `Some`. Staying within the peer's
/// `SETTINGS_MAX_FRAME_SIZE` and flow-control windows is the caller's job.
pub fn write_data(
    buf: &mut Vec<u8>,
    stream_id: StreamId,
    data: &[u8],
    end_stream: bool,
    pad_len: Option<u8>,
) -> Result<(), EncodeError> {
    let flags = if end_stream { flags::END_STREAM } else { 0 };
    padded(buf, FrameType::DATA, flags, stream_id, &[], data, pad_len)
}

/// Writes `[Pad Length] fixed fragment [Padding]` with PADDED set when `pad_len` is given.
fn padded(
    buf: &mut Vec<u8>,
    ty: FrameType,
    mut flag_bits: u8,
    stream_id: StreamId,
    fixed: &[u8],
    body: &[u8],
    pad_len: Option<u8>,
) -> Result<(), EncodeError> {
    let pad_total = pad_len.map_or(0, |p| usize::from(p).saturating_add(1));
    let len = fixed
        .len()
        .saturating_add(body.len())
        .saturating_add(pad_total);
    if pad_len.is_some() {
        flag_bits |= flags::PADDED;
    }
    header(buf, len, ty, flag_bits, stream_id)?;
    if let Some(p) = pad_len {
        buf.push(p);
    }
    buf.extend_from_slice(fixed);
    buf.extend_from_slice(body);
    let new_len = buf.len().saturating_add(pad_total.saturating_sub(1));
    buf.resize(new_len, 0);
    Ok(())
}

fn priority_bytes(p: Priority) -> [u8; 5] {
    let dep = p.dependency.get() | if p.exclusive { 0x8000_0000 } else { 0 };
    let [d0, d1, d2, d3] = dep.to_be_bytes();
    [d0, d1, d2, d3, p.weight]
}

/// Appends a field block as a HEADERS frame followed by as many CONTINUATION frames as
/// `max_frame_size` (the peer's `SETTINGS_MAX_FRAME_SIZE`) requires (RFC 9113 §4.3, §6.2,
/// §6.10); `END_HEADERS` is set on the last one. Without padding.
pub fn write_headers(
    buf: &mut Vec<u8>,
    stream_id: StreamId,
    block: &[u8],
    end_stream: bool,
    priority: Option<Priority>,
    max_frame_size: u32,
) -> Result<(), EncodeError> {
    let mut flag_bits = if end_stream { flags::END_STREAM } else { 0 };
    let fixed = match priority {
        Some(p) => {
            flag_bits |= flags::PRIORITY;
            priority_bytes(p).to_vec()
        }
        None => Vec::new(),
    };
    split_block(
        buf,
        FrameType::HEADERS,
        flag_bits,
        stream_id,
        &fixed,
        block,
        max_frame_size,
    )
}

/// Appends a `PUSH_PROMISE` frame and its CONTINUATIONs, split like [`write_headers`]
/// (RFC 9113 §6.6).
pub fn write_push_promise(
    buf: &mut Vec<u8>,
    stream_id: StreamId,
    promised_id: StreamId,
    block: &[u8],
    max_frame_size: u32,
) -> Result<(), EncodeError> {
    let fixed = promised_id.get().to_be_bytes();
    split_block(
        buf,
        FrameType::PUSH_PROMISE,
        0,
        stream_id,
        &fixed,
        block,
        max_frame_size,
    )
}

fn split_block(
    buf: &mut Vec<u8>,
    ty: FrameType,
    flag_bits: u8,
    stream_id: StreamId,
    fixed: &[u8],
    block: &[u8],
    max_frame_size: u32,
) -> Result<(), EncodeError> {
    let max = usize::try_from(max_frame_size.min(MAX_MAX_FRAME_SIZE)).unwrap_or(usize::MAX);
    let first_room = max.saturating_sub(fixed.len());
    // A frame must hold the fixed fields, and CONTINUATIONs must make progress.
    if max == 0 || fixed.len() > max {
        return Err(EncodeError::PayloadTooLarge {
            len: fixed.len(),
            max: max_frame_size,
        });
    }
    let (first, mut rest) = block.split_at(first_room.min(block.len()));
    let end = if rest.is_empty() {
        flags::END_HEADERS
    } else {
        0
    };
    header(
        buf,
        fixed.len().saturating_add(first.len()),
        ty,
        flag_bits | end,
        stream_id,
    )?;
    buf.extend_from_slice(fixed);
    buf.extend_from_slice(first);
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(max.min(rest.len()));
        rest = tail;
        write_continuation(buf, stream_id, chunk, rest.is_empty())?;
    }
    Ok(())
}

/// Appends one CONTINUATION frame (RFC 9113 §6.10).
pub fn write_continuation(
    buf: &mut Vec<u8>,
    stream_id: StreamId,
    fragment: &[u8],
    end_headers: bool,
) -> Result<(), EncodeError> {
    let flag_bits = if end_headers { flags::END_HEADERS } else { 0 };
    write_raw(buf, FrameType::CONTINUATION, flag_bits, stream_id, fragment)
}

/// Appends a PRIORITY frame (RFC 9113 §6.3).
pub fn write_priority(buf: &mut Vec<u8>, stream_id: StreamId, priority: Priority) {
    fixed(
        buf,
        FrameType::PRIORITY,
        0,
        stream_id,
        &priority_bytes(priority),
    );
}

/// Appends an `RST_STREAM` frame (RFC 9113 §6.4).
pub fn write_rst_stream(buf: &mut Vec<u8>, stream_id: StreamId, code: ErrorCode) {
    fixed(
        buf,
        FrameType::RST_STREAM,
        0,
        stream_id,
        &code.0.to_be_bytes(),
    );
}

/// Appends a SETTINGS frame with the values of `settings` that differ from the RFC
/// defaults ([`Settings::non_default_entries`]; RFC 9113 §6.5).
pub fn write_settings(buf: &mut Vec<u8>, settings: &Settings) {
    let start = buf.len();
    fixed(buf, FrameType::SETTINGS, 0, StreamId::ZERO, &[]);
    let mut count: u32 = 0;
    for s in settings.non_default_entries() {
        buf.extend_from_slice(&s.id.0.to_be_bytes());
        buf.extend_from_slice(&s.value.to_be_bytes());
        count = count.saturating_add(1);
    }
    // At most eight entries: the 24-bit Length cannot overflow.
    let [_, l0, l1, l2] = count.saturating_mul(6).to_be_bytes();
    if let Some(len) = buf.get_mut(start..start.saturating_add(3)) {
        len.copy_from_slice(&[l0, l1, l2]);
    }
}

/// Appends a SETTINGS frame with exactly these entries, unchecked (RFC 9113 §6.5).
pub fn write_settings_entries(buf: &mut Vec<u8>, entries: &[Setting]) -> Result<(), EncodeError> {
    let frame = SettingsFrame::new(entries);
    write_raw(buf, FrameType::SETTINGS, 0, StreamId::ZERO, frame.payload())
}

/// Appends a SETTINGS acknowledgement (RFC 9113 §6.5.3).
pub fn write_settings_ack(buf: &mut Vec<u8>) {
    fixed(buf, FrameType::SETTINGS, flags::ACK, StreamId::ZERO, &[]);
}

/// Appends a PING frame, or its acknowledgement when `ack` (RFC 9113 §6.7).
pub fn write_ping(buf: &mut Vec<u8>, data: [u8; 8], ack: bool) {
    let flag_bits = if ack { flags::ACK } else { 0 };
    fixed(buf, FrameType::PING, flag_bits, StreamId::ZERO, &data);
}

/// Appends a GOAWAY frame (RFC 9113 §6.8).
pub fn write_goaway(
    buf: &mut Vec<u8>,
    last_stream_id: StreamId,
    code: ErrorCode,
    debug_data: &[u8],
) -> Result<(), EncodeError> {
    let len = debug_data.len().saturating_add(8);
    header(buf, len, FrameType::GOAWAY, 0, StreamId::ZERO)?;
    buf.extend_from_slice(&last_stream_id.get().to_be_bytes());
    buf.extend_from_slice(&code.0.to_be_bytes());
    buf.extend_from_slice(debug_data);
    Ok(())
}

/// Appends a `WINDOW_UPDATE` frame (RFC 9113 §6.9). The increment keeps its low 31 bits;
/// 0 is written as is (a violation, for test peers).
pub fn write_window_update(buf: &mut Vec<u8>, stream_id: StreamId, increment: u32) {
    let bytes = (increment & MAX_WINDOW_SIZE).to_be_bytes();
    fixed(buf, FrameType::WINDOW_UPDATE, 0, stream_id, &bytes);
}

/// Appends a `PRIORITY_UPDATE` frame on stream 0 (RFC 9218 §7.1).
pub fn write_priority_update(
    buf: &mut Vec<u8>,
    prioritized_id: StreamId,
    field_value: &[u8],
) -> Result<(), EncodeError> {
    let len = field_value.len().saturating_add(4);
    header(buf, len, FrameType::PRIORITY_UPDATE, 0, StreamId::ZERO)?;
    buf.extend_from_slice(&prioritized_id.get().to_be_bytes());
    buf.extend_from_slice(field_value);
    Ok(())
}

/// A frame whose payload is short and fixed.
fn fixed(buf: &mut Vec<u8>, ty: FrameType, flag_bits: u8, stream_id: StreamId, payload: &[u8]) {
    let [_, l0, l1, l2] = (payload.len() as u32).to_be_bytes();
    let [s0, s1, s2, s3] = stream_id.get().to_be_bytes();
    buf.extend_from_slice(&[l0, l1, l2, ty.0, flag_bits, s0, s1, s2, s3]);
    buf.extend_from_slice(payload);
}

impl Frame {
    /// Appends this frame as one frame, exactly as described (RFC 9113 §4.1, §6): flags
    /// from the fields, padding as zero octets, HEADERS/`PUSH_PROMISE` not split. Parsing
    /// the output gives back an equal frame.
    #[allow(clippy::too_many_lines, reason = "one short arm per frame type")]
    pub fn encode(&self, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        match self {
            Frame::Data {
                stream_id,
                data,
                end_stream,
                pad_len,
            } => write_data(buf, *stream_id, data, *end_stream, *pad_len),
            Frame::Headers {
                stream_id,
                fragment,
                end_stream,
                end_headers,
                priority,
                pad_len,
            } => {
                let bits = flag(*end_stream, flags::END_STREAM)
                    | flag(*end_headers, flags::END_HEADERS)
                    | flag(priority.is_some(), flags::PRIORITY);
                let fixed = priority.map(priority_bytes);
                let fixed = fixed.as_ref().map_or(&[][..], |f| &f[..]);
                padded(
                    buf,
                    FrameType::HEADERS,
                    bits,
                    *stream_id,
                    fixed,
                    fragment,
                    *pad_len,
                )
            }
            Frame::Priority {
                stream_id,
                priority,
            } => {
                write_priority(buf, *stream_id, *priority);
                Ok(())
            }
            Frame::RstStream { stream_id, code } => {
                write_rst_stream(buf, *stream_id, *code);
                Ok(())
            }
            Frame::Settings(settings) => {
                let bits = flag(settings.is_ack(), flags::ACK);
                write_raw(
                    buf,
                    FrameType::SETTINGS,
                    bits,
                    StreamId::ZERO,
                    settings.payload(),
                )
            }
            Frame::PushPromise {
                stream_id,
                promised_id,
                fragment,
                end_headers,
                pad_len,
            } => {
                let bits = flag(*end_headers, flags::END_HEADERS);
                let fixed = promised_id.get().to_be_bytes();
                padded(
                    buf,
                    FrameType::PUSH_PROMISE,
                    bits,
                    *stream_id,
                    &fixed,
                    fragment,
                    *pad_len,
                )
            }
            Frame::Ping { ack, data } => {
                write_ping(buf, *data, *ack);
                Ok(())
            }
            Frame::GoAway {
                last_stream_id,
                code,
                debug_data,
            } => write_goaway(buf, *last_stream_id, *code, debug_data),
            Frame::WindowUpdate {
                stream_id,
                increment,
            } => {
                write_window_update(buf, *stream_id, *increment);
                Ok(())
            }
            Frame::Continuation {
                stream_id,
                fragment,
                end_headers,
            } => write_continuation(buf, *stream_id, fragment, *end_headers),
            Frame::PriorityUpdate {
                prioritized_id,
                field_value,
            } => write_priority_update(buf, *prioritized_id, field_value),
            Frame::Unknown {
                ty,
                flags,
                stream_id,
                payload,
            } => write_raw(buf, *ty, *flags, *stream_id, payload),
        }
    }
}
