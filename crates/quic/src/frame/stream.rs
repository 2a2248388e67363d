//! Writing STREAM and CRYPTO frames that take as much data as fits the room left in a
//! packet (RFC 9000 §19.6, §19.8).

use bytes::BufMut;
use stator_wire::{WriteExt, varint};

use super::{FrameType, total, vlen};

/// What [`write_stream`] or [`write_crypto`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamWritten {
    /// Bytes of data taken from the front of the caller's data.
    pub taken: usize,
    /// Bytes written to the buffer: the frame's whole length.
    pub written: usize,
    /// Whether the frame carries FIN (only when FIN was asked and all data was taken).
    pub fin: bool,
}

/// The STREAM type with its flag bits: OFF when `offset` is not 0 (RFC 9000 §19.8).
pub(super) fn stream_type(offset: u64, len: bool, fin: bool) -> FrameType {
    let mut ty = FrameType::STREAM.0;
    if offset != 0 {
        ty |= FrameType::STREAM_OFF;
    }
    if len {
        ty |= FrameType::STREAM_LEN;
    }
    if fin {
        ty |= FrameType::STREAM_FIN;
    }
    FrameType(ty)
}

/// How many of `want` bytes fit `avail` bytes with a Length field (`with_len`) or
/// without, and the length of that field.
fn fit(avail: usize, want: usize, with_len: bool) -> Option<(usize, usize)> {
    if !with_len {
        return Some((want.min(avail), 0));
    }
    // The Length field grows with the data: take the shortest field whose length still
    // holds what fits after it; it gives the most data.
    [1, 2, 4, 8].into_iter().find_map(|field| {
        let n = want.min(avail.checked_sub(field)?);
        (vlen(n as u64) <= field).then_some((n, vlen(n as u64)))
    })
}

/// The largest data length at `offset` that ends by 2^62 − 1 (RFC 9000 §19.8).
fn max_len_at(offset: u64) -> usize {
    usize::try_from(varint::MAX.saturating_sub(offset)).unwrap_or(usize::MAX)
}

/// Writes a STREAM frame of `stream_id` at `offset` holding as much of `data` as fits
/// `room` bytes (and the buffer), with a Length field if `with_len`. Without one the
/// frame runs to the end of the packet, so it must be the packet's last frame
/// (RFC 9000 §19.8). FIN is set when `fin` is asked and all of `data` fits.
///
/// `None`, with nothing written, when no data fits (an empty frame is written only to
/// carry FIN for empty `data`) or a value is out of range.
pub fn write_stream<B: BufMut + ?Sized>(
    buf: &mut B,
    room: usize,
    stream_id: u64,
    offset: u64,
    data: &[u8],
    fin: bool,
    with_len: bool,
) -> Option<StreamWritten> {
    if stream_id > varint::MAX || offset > varint::MAX {
        return None;
    }
    let room = room.min(buf.remaining_mut());
    let off_len = if offset == 0 { 0 } else { vlen(offset) };
    let header = total(&[1, vlen(stream_id), off_len]);
    let want = data.len().min(max_len_at(offset));
    let (n, len_len) = fit(room.checked_sub(header)?, want, with_len)?;
    if n == 0 && !(fin && data.is_empty()) {
        return None;
    }
    let fin = fin && n == data.len();
    let chunk = data.get(..n)?;
    let ty = stream_type(offset, with_len, fin);
    let written = total(&[header, len_len, n]);
    buf.put_varint(ty.0).ok()?;
    buf.put_varint(stream_id).ok()?;
    if offset != 0 {
        buf.put_varint(offset).ok()?;
    }
    if with_len {
        buf.put_varint(n as u64).ok()?;
    }
    buf.try_put_slice(chunk).ok()?;
    Some(StreamWritten {
        taken: n,
        written,
        fin,
    })
}

/// Writes a CRYPTO frame at `offset` holding as much of `data` as fits `room` bytes (and
/// the buffer) (RFC 9000 §19.6). `None`, with nothing written, when no data fits or the
/// offset is out of range.
pub fn write_crypto<B: BufMut + ?Sized>(
    buf: &mut B,
    room: usize,
    offset: u64,
    data: &[u8],
) -> Option<StreamWritten> {
    if offset > varint::MAX {
        return None;
    }
    let room = room.min(buf.remaining_mut());
    let header = total(&[1, vlen(offset)]);
    let want = data.len().min(max_len_at(offset));
    let (n, len_len) = fit(room.checked_sub(header)?, want, true)?;
    if n == 0 {
        return None;
    }
    let chunk = data.get(..n)?;
    buf.put_varint(FrameType::CRYPTO.0).ok()?;
    buf.put_varint(offset).ok()?;
    buf.put_varint(n as u64).ok()?;
    buf.try_put_slice(chunk).ok()?;
    Some(StreamWritten {
        taken: n,
        written: total(&[header, len_len, n]),
        fin: false,
    })
}

/// Writes a DATAGRAM frame carrying `data` whole if it fits `room` bytes (and the
/// buffer), with a Length field (type 0x31) if `with_len`; without one (type 0x30) the
/// frame runs to the end of the packet, so it must be the packet's last frame
/// (RFC 9221 §4). DATAGRAM frames are never split: `None`, with nothing written, when it
/// does not fit. Returns the bytes written.
pub fn write_datagram<B: BufMut + ?Sized>(
    buf: &mut B,
    room: usize,
    data: &[u8],
    with_len: bool,
) -> Option<usize> {
    let room = room.min(buf.remaining_mut());
    let (ty, len_len) = if with_len {
        (FrameType::DATAGRAM_LEN, vlen(data.len() as u64))
    } else {
        (FrameType::DATAGRAM, 0)
    };
    let written = total(&[1, len_len, data.len()]);
    if written > room {
        return None;
    }
    buf.put_varint(ty.0).ok()?;
    if with_len {
        buf.put_varint(data.len() as u64).ok()?;
    }
    buf.try_put_slice(data).ok()?;
    Some(written)
}
