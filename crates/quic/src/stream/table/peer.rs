//! The stream table's reactions to the peer's stream frames (RFC 9000 §3, §4, §19.4–§19.14).

use super::{RecvHalf, Stream, StreamEvent, Streams};
use crate::frame::{self, FrameType};
use crate::stream::id::{Access, Dir, MAX_STREAM_COUNT, StreamId};
use crate::stream::recv::RecvState;
use crate::stream::send::SendBuffer;
use crate::{Code, TransportError};

/// The stream direction a `MAX_STREAMS` / `STREAMS_BLOCKED` frame counts.
fn dir_of(dir: frame::Dir) -> Dir {
    match dir {
        frame::Dir::Bidi => Dir::Bidi,
        frame::Dir::Uni => Dir::Uni,
    }
}

/// The STREAM frame type as the peer most likely sent it (with Length; the flags do not
/// change the error's meaning).
fn stream_type(frame: &frame::Stream) -> u64 {
    let mut ty = FrameType::STREAM.0 | FrameType::STREAM_LEN;
    if frame.offset != 0 {
        ty |= FrameType::STREAM_OFF;
    }
    if frame.fin {
        ty |= FrameType::STREAM_FIN;
    }
    ty
}

impl Streams {
    /// Checks a stream ID from a peer's frame of type `ty` and opens peer-initiated
    /// streams up to it (all lower-numbered ones of its type too, RFC 9000 §3.2).
    /// `None` for a stream already closed and removed: the frame is to be ignored.
    fn peer_stream(
        &mut self,
        raw: u64,
        access: Access,
        ty: u64,
    ) -> Result<Option<StreamId>, TransportError> {
        let id = StreamId::from_u64(raw).ok_or_else(|| {
            TransportError::frame_encoding("stream ID beyond 2^62-1").in_frame(ty)
        })?;
        let dir = id.dir();
        id.check_peer_frame(
            self.side,
            access,
            self.local.get(dir).opened,
            self.remote.get(dir).max,
        )
        .map_err(|e| e.in_frame(ty))?;
        if id.initiator() != self.side {
            while self.remote.get(dir).next <= id.index() {
                let index = self.remote.get(dir).next;
                let Some(new) = StreamId::new(id.initiator(), dir, index) else {
                    break;
                };
                let remote = self.remote.get_mut(dir);
                remote.next = remote.next.saturating_add(1);
                let send = (dir == Dir::Bidi)
                    .then(|| SendBuffer::new(self.config.send_buffer, self.peer_data.remote_bidi));
                let recv = self.new_recv();
                self.map.insert(new, Stream::new(send, Some(recv)));
                self.events.push_back(StreamEvent::Opened { id: new });
            }
        }
        Ok(self.map.contains_key(&id).then_some(id))
    }

    /// A `STREAM` frame (RFC 9000 §19.8). Errors: `STREAM_STATE_ERROR` for our send-only
    /// streams and our streams not yet opened, `STREAM_LIMIT_ERROR` beyond our limit,
    /// `FLOW_CONTROL_ERROR` beyond the stream's or the connection's limit (or too
    /// fragmented), `FINAL_SIZE_ERROR` for data past or a FIN changing the final size.
    pub fn on_stream(&mut self, frame: frame::Stream) -> Result<(), TransportError> {
        let ty = stream_type(&frame);
        let Some(id) = self.peer_stream(frame.stream_id, Access::Recv, ty)? else {
            return Ok(());
        };
        let Some(recv) = self.map.get_mut(&id).and_then(|s| s.recv.as_mut()) else {
            return Ok(());
        };
        let grown = recv
            .buf
            .insert(frame.offset, frame.data, frame.fin)
            .map_err(|e| e.in_frame(ty))?;
        self.account(id, grown, ty)
    }

    /// Counts `grown` bytes of new credit used on stream `id` against its window and the
    /// connection's (RFC 9000 §4.1), and tells the application what changed.
    fn account(&mut self, id: StreamId, grown: u64, ty: u64) -> Result<(), TransportError> {
        let Some(recv) = self.map.get_mut(&id).and_then(|s| s.recv.as_mut()) else {
            return Ok(());
        };
        recv.window.on_received(grown).map_err(|e| e.in_frame(ty))?;
        self.conn_recv.on_received(grown).map_err(|_| {
            TransportError::new(Code::FLOW_CONTROL_ERROR, "data beyond MAX_DATA").in_frame(ty)
        })?;
        Self::release_dropped(&mut self.conn_recv, &mut self.max_data_pending, recv);
        if recv.buf.final_size().is_some() {
            // No more MAX_STREAM_DATA once the final size is known (RFC 9000 §19.10).
            self.pending.max_stream_data.remove(&id);
        }
        Self::notify_readable(&mut self.events, id, recv);
        self.try_remove(id);
        Ok(())
    }

    /// Sends `Readable` once per readable spell.
    fn notify_readable(
        events: &mut std::collections::VecDeque<StreamEvent>,
        id: StreamId,
        recv: &mut RecvHalf,
    ) {
        if !recv.notified && recv.buf.state() != RecvState::ResetRecvd && recv.buf.is_readable() {
            recv.notified = true;
            events.push_back(StreamEvent::Readable { id });
        }
    }

    /// A `RESET_STREAM` (RFC 9000 §19.4): the peer abandoned its sending part. Same
    /// stream ID errors as [`Streams::on_stream`], and `FINAL_SIZE_ERROR` /
    /// `FLOW_CONTROL_ERROR` for a final size that contradicts what arrived or exceeds
    /// the limits. The application gets [`StreamEvent::Reset`].
    pub fn on_reset_stream(&mut self, frame: frame::ResetStream) -> Result<(), TransportError> {
        let ty = FrameType::RESET_STREAM.0;
        let Some(id) = self.peer_stream(frame.stream_id, Access::Recv, ty)? else {
            return Ok(());
        };
        let Some(recv) = self.map.get_mut(&id).and_then(|s| s.recv.as_mut()) else {
            return Ok(());
        };
        let before = recv.buf.state();
        let grown = recv
            .buf
            .reset(frame.final_size, frame.error_code)
            .map_err(|e| e.in_frame(ty))?;
        recv.reset_recvd = true;
        self.pending.stop.remove(&id);
        self.pending.max_stream_data.remove(&id);
        if recv.buf.state() == RecvState::ResetRecvd && before != RecvState::ResetRecvd {
            self.events.push_back(StreamEvent::Reset {
                id,
                code: frame.error_code,
            });
        }
        self.account(id, grown, ty)
    }

    /// A `STOP_SENDING` (RFC 9000 §19.5): `STREAM_STATE_ERROR` for a stream we only
    /// receive on or have not opened, `STREAM_LIMIT_ERROR` beyond our limit. Otherwise
    /// the stream is reset with the peer's code and a `RESET_STREAM` is queued
    /// (RFC 9000 §3.5); the application gets [`StreamEvent::Stopped`].
    pub fn on_stop_sending(&mut self, stream_id: u64, code: u64) -> Result<(), TransportError> {
        let ty = FrameType::STOP_SENDING.0;
        let Some(id) = self.peer_stream(stream_id, Access::Send, ty)? else {
            return Ok(());
        };
        let Some(stream) = self.map.get_mut(&id) else {
            return Ok(());
        };
        let Some(send) = stream.send.as_mut() else {
            return Ok(());
        };
        let written = send.written();
        if let Some(final_size) = send.on_stop_sending(code) {
            stream.stopped = Some(code);
            stream.want_writable = false;
            if let Some(key) = stream.sched.take() {
                self.sched.remove(id, key);
            }
            self.pending.reset.insert(id);
            self.pending.stream_data_blocked.remove(&id);
            self.events.push_back(StreamEvent::Stopped { id, code });
            self.release_send_credit(written.saturating_sub(final_size));
        }
        Ok(())
    }

    /// A `MAX_DATA` (RFC 9000 §19.9): a higher connection limit; lower ones are ignored.
    pub fn on_max_data(&mut self, max: u64) {
        self.raise_conn_credit(max);
    }

    /// A `MAX_STREAM_DATA` (RFC 9000 §19.10): `STREAM_STATE_ERROR` for a stream we only
    /// receive on or have not opened, `STREAM_LIMIT_ERROR` beyond our limit.
    pub fn on_max_stream_data(&mut self, stream_id: u64, max: u64) -> Result<(), TransportError> {
        let ty = FrameType::MAX_STREAM_DATA.0;
        let Some(id) = self.peer_stream(stream_id, Access::Send, ty)? else {
            return Ok(());
        };
        let Some(stream) = self.map.get_mut(&id) else {
            return Ok(());
        };
        let Some(send) = stream.send.as_mut() else {
            return Ok(());
        };
        if send.set_peer_limit(max) && stream.want_writable && send.writable() > 0 {
            stream.want_writable = false;
            self.events.push_back(StreamEvent::Writable { id });
        }
        Ok(())
    }

    /// A `MAX_STREAMS` (RFC 9000 §19.11): a count above 2^60 is `FRAME_ENCODING_ERROR`;
    /// a higher count lets us open more streams ([`StreamEvent::Available`]).
    pub fn on_max_streams(&mut self, dir: frame::Dir, max: u64) -> Result<(), TransportError> {
        if max > MAX_STREAM_COUNT {
            let ty = match dir {
                frame::Dir::Bidi => FrameType::MAX_STREAMS_BIDI,
                frame::Dir::Uni => FrameType::MAX_STREAMS_UNI,
            };
            return Err(TransportError::frame_encoding("MAX_STREAMS above 2^60").in_frame(ty.0));
        }
        self.raise_local_limit(dir_of(dir), max);
        Ok(())
    }

    /// A `DATA_BLOCKED` (RFC 9000 §19.12): informational. Our `MAX_DATA` updates follow
    /// the application's reading, not the peer's wishes.
    pub fn on_data_blocked(&mut self, limit: u64) {
        let _ = limit;
    }

    /// A `STREAM_DATA_BLOCKED` (RFC 9000 §19.13): informational, but its stream ID is
    /// checked as a `STREAM` frame's is, and it opens a peer's stream.
    pub fn on_stream_data_blocked(
        &mut self,
        stream_id: u64,
        limit: u64,
    ) -> Result<(), TransportError> {
        let _ = limit;
        self.peer_stream(stream_id, Access::Recv, FrameType::STREAM_DATA_BLOCKED.0)?;
        Ok(())
    }

    /// A `STREAMS_BLOCKED` (RFC 9000 §19.14): a count above 2^60 is
    /// `FRAME_ENCODING_ERROR`; otherwise informational (we re-credit streams as they
    /// close).
    pub fn on_streams_blocked(
        &mut self,
        dir: frame::Dir,
        limit: u64,
    ) -> Result<(), TransportError> {
        if limit > MAX_STREAM_COUNT {
            let ty = match dir {
                frame::Dir::Bidi => FrameType::STREAMS_BLOCKED_BIDI,
                frame::Dir::Uni => FrameType::STREAMS_BLOCKED_UNI,
            };
            return Err(TransportError::frame_encoding("STREAMS_BLOCKED above 2^60").in_frame(ty.0));
        }
        Ok(())
    }
}
