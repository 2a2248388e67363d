//! Writing frames (RFC 9000 §19): [`Frame::encoded_len`] and [`Frame::write`].

use bytes::BufMut;
use stator_wire::{Error as WireError, WriteExt, varint};

use super::{Frame, total, vlen};

impl Frame {
    /// The number of bytes [`Frame::write`] writes, so that a packet builder can plan
    /// before writing.
    pub fn encoded_len(&self) -> usize {
        let ty = vlen(self.ty().0);
        let body = match self {
            Frame::Padding { len } => return *len,
            Frame::Ack(ack) => return ack.encoded_len(),
            Frame::Ping | Frame::HandshakeDone => 0,
            Frame::ResetStream(f) => {
                total(&[vlen(f.stream_id), vlen(f.error_code), vlen(f.final_size)])
            }
            Frame::StopSending {
                stream_id,
                error_code,
            } => total(&[vlen(*stream_id), vlen(*error_code)]),
            Frame::Crypto(c) => total(&[vlen(c.offset), vlen(c.data.len() as u64), c.data.len()]),
            Frame::NewToken(t) | Frame::Datagram(t) => total(&[vlen(t.len() as u64), t.len()]),
            Frame::Stream(s) => {
                let off = if s.offset == 0 { 0 } else { vlen(s.offset) };
                total(&[
                    vlen(s.stream_id),
                    off,
                    vlen(s.data.len() as u64),
                    s.data.len(),
                ])
            }
            Frame::MaxData(v)
            | Frame::DataBlocked(v)
            | Frame::RetireConnectionId(v)
            | Frame::MaxStreams { max: v, .. }
            | Frame::StreamsBlocked { limit: v, .. } => vlen(*v),
            Frame::MaxStreamData { stream_id, max: v }
            | Frame::StreamDataBlocked {
                stream_id,
                limit: v,
            } => total(&[vlen(*stream_id), vlen(*v)]),
            Frame::NewConnectionId(f) => total(&[
                vlen(f.sequence),
                vlen(f.retire_prior_to),
                1,
                f.cid.len(),
                f.reset_token.len(),
            ]),
            Frame::PathChallenge(d) | Frame::PathResponse(d) => d.len(),
            Frame::ConnectionClose(c) => total(&[
                vlen(c.error_code),
                c.frame_type.map_or(0, vlen),
                vlen(c.reason.len() as u64),
                c.reason.len(),
            ]),
            Frame::ResetStreamAt(f) => total(&[
                vlen(f.stream_id),
                vlen(f.error_code),
                vlen(f.final_size),
                vlen(f.reliable_size),
            ]),
        };
        total(&[ty, body])
    }

    /// Writes the frame and returns its length ([`Frame::encoded_len`]). STREAM frames
    /// get a Length field (use [`write_stream`](super::write_stream) to write one without)
    /// and DATAGRAM frames are written as type 0x31.
    ///
    /// Fails with nothing written when the buffer has no room for the whole frame;
    /// a value above 2^62 − 1 fails with [`WireError::VarIntRange`] and may leave part of
    /// the frame written. Values the parser would reject but that fit their fields (an
    /// empty NEW_TOKEN, a stream count above 2^60, a reliable size above the final size)
    /// are the caller's to avoid: they are written as given.
    pub fn write<B: BufMut + ?Sized>(&self, buf: &mut B) -> Result<usize, WireError> {
        let len = self.encoded_len();
        buf.ensure_room(len)?;
        if let Frame::Stream(s) = self {
            // RFC 9000 §19.8: the data must end by 2^62 − 1.
            let end = (s.data.len() as u64).checked_add(s.offset);
            if end.is_none_or(|end| end > varint::MAX) {
                return Err(WireError::VarIntRange(s.offset));
            }
        }
        if let Frame::Ack(ack) = self {
            ack.write(buf)?;
            return Ok(len);
        }
        if let Frame::Padding { len } = self {
            buf.put_bytes(0, *len);
            return Ok(*len);
        }
        buf.put_varint(self.ty().0)?;
        match self {
            Frame::Padding { .. } | Frame::Ack(_) | Frame::Ping | Frame::HandshakeDone => {}
            Frame::ResetStream(f) => {
                buf.put_varint(f.stream_id)?;
                buf.put_varint(f.error_code)?;
                buf.put_varint(f.final_size)?;
            }
            Frame::StopSending {
                stream_id: a,
                error_code: b,
            }
            | Frame::MaxStreamData {
                stream_id: a,
                max: b,
            }
            | Frame::StreamDataBlocked {
                stream_id: a,
                limit: b,
            } => {
                buf.put_varint(*a)?;
                buf.put_varint(*b)?;
            }
            Frame::Crypto(c) => {
                buf.put_varint(c.offset)?;
                put_data(buf, &c.data)?;
            }
            Frame::NewToken(data) | Frame::Datagram(data) => put_data(buf, data)?,
            Frame::Stream(s) => {
                buf.put_varint(s.stream_id)?;
                if s.offset != 0 {
                    buf.put_varint(s.offset)?;
                }
                put_data(buf, &s.data)?;
            }
            Frame::MaxData(v)
            | Frame::DataBlocked(v)
            | Frame::RetireConnectionId(v)
            | Frame::MaxStreams { max: v, .. }
            | Frame::StreamsBlocked { limit: v, .. } => {
                buf.put_varint(*v)?;
            }
            Frame::NewConnectionId(f) => {
                buf.put_varint(f.sequence)?;
                buf.put_varint(f.retire_prior_to)?;
                // 1..=20 by construction.
                buf.put_u8(f.cid.len() as u8);
                buf.put_slice(&f.cid);
                buf.put_slice(&f.reset_token);
            }
            Frame::PathChallenge(d) | Frame::PathResponse(d) => buf.put_slice(d),
            Frame::ConnectionClose(c) => {
                buf.put_varint(c.error_code)?;
                if let Some(ft) = c.frame_type {
                    buf.put_varint(ft)?;
                }
                put_data(buf, &c.reason)?;
            }
            Frame::ResetStreamAt(f) => {
                buf.put_varint(f.stream_id)?;
                buf.put_varint(f.error_code)?;
                buf.put_varint(f.final_size)?;
                buf.put_varint(f.reliable_size)?;
            }
        }
        Ok(len)
    }
}

/// A Length field and the data.
fn put_data<B: BufMut + ?Sized>(buf: &mut B, data: &[u8]) -> Result<(), WireError> {
    buf.put_varint(data.len() as u64)?;
    buf.try_put_slice(data)
}
