//! What the stream table sends: control frames, `STREAM` frames chosen by the scheduler,
//! and the bookkeeping of their acknowledgement or loss (RFC 9000 §13.3).

use std::time::{Duration, Instant};

use super::{Sent, StreamEvent, Streams};
use crate::frame::{self, Frame, ResetStream};
use crate::stream::id::Dir;
use crate::stream::recv::RecvState;
use crate::stream::send::{SendBuffer, SendState};

/// Frames written into a caller's buffer within a byte budget.
struct Out<'a> {
    buf: &'a mut Vec<u8>,
    left: usize,
    written: usize,
}

impl Out<'_> {
    /// Writes `frame` if it fits the budget; returns whether it did.
    fn put(&mut self, frame: &Frame) -> bool {
        let len = frame.encoded_len();
        if len > self.left || frame.write(self.buf).is_err() {
            return false;
        }
        self.left = self.left.saturating_sub(len);
        self.written = self.written.saturating_add(len);
        true
    }
}

/// The encoded length of varint `v`.
fn vlen(v: u64) -> usize {
    stator_wire::varint::encoded_len(v).unwrap_or(8)
}

/// The most data bytes a `STREAM` frame's Length field and data can hold in `avail`
/// bytes: the shortest Length field that still holds what fits after it.
fn data_fit(avail: usize) -> Option<usize> {
    [1usize, 2, 4, 8].into_iter().find_map(|field| {
        let n = avail.checked_sub(field)?;
        (vlen(n as u64) <= field).then_some(n)
    })
}

fn frame_dir(dir: Dir) -> frame::Dir {
    match dir {
        Dir::Bidi => frame::Dir::Bidi,
        Dir::Uni => frame::Dir::Uni,
    }
}

impl Streams {
    /// Whether anything is waiting to be sent: control frames, or stream data (which is
    /// always within credit: credit is taken when the application writes).
    pub fn has_pending(&self) -> bool {
        self.has_pending_control() || !self.sched.is_empty()
    }

    /// Whether control frames are waiting to be sent. A frame queued earlier may have
    /// become unnecessary meanwhile (a `DATA_BLOCKED` after new credit); then
    /// [`Streams::write_control`] drops it and writes nothing for it.
    pub fn has_pending_control(&self) -> bool {
        self.max_data_pending
            || self.data_blocked_pending
            || self.remote.bidi.pending
            || self.remote.uni.pending
            || self.local.bidi.blocked_pending
            || self.local.uni.blocked_pending
            || !self.pending.is_empty()
    }

    /// Writes the pending control frames that fit `room` into `buf` and pushes a
    /// [`Sent`] for each onto `sent`; returns the bytes written. In order: `MAX_DATA`
    /// and `MAX_STREAM_DATA` (window updates, auto-tuned with `now` and the smoothed
    /// `rtt`, RFC 9000 §4.2), `MAX_STREAMS`, `RESET_STREAM`, `STOP_SENDING`, then the
    /// BLOCKED frames (RFC 9000 §4.1, §4.6), each only while still needed.
    pub fn write_control(
        &mut self,
        buf: &mut Vec<u8>,
        room: usize,
        now: Instant,
        rtt: Duration,
        sent: &mut Vec<Sent>,
    ) -> usize {
        let mut out = Out {
            buf,
            left: room,
            written: 0,
        };
        self.write_window_updates(&mut out, now, rtt, sent);
        self.write_stream_controls(&mut out, sent);
        self.write_blocked(&mut out, sent);
        out.written
    }

    /// `MAX_DATA`, `MAX_STREAM_DATA`, `MAX_STREAMS`.
    fn write_window_updates(
        &mut self,
        out: &mut Out<'_>,
        now: Instant,
        rtt: Duration,
        sent: &mut Vec<Sent>,
    ) {
        if self.max_data_pending {
            let _ = self.conn_recv.poll_update(now, rtt);
            if out.put(&Frame::MaxData(self.conn_recv.limit())) {
                self.max_data_pending = false;
                sent.push(Sent::MaxData);
            }
        }
        while let Some(&id) = self.pending.max_stream_data.first() {
            let recv = self
                .map
                .get_mut(&id)
                .and_then(|s| s.recv.as_mut())
                .filter(|r| r.buf.state() == RecvState::Recv);
            if let Some(recv) = recv {
                let _ = recv.window.poll_update(now, rtt);
                let max = recv.window.limit();
                recv.buf.set_limit(max);
                let frame = Frame::MaxStreamData {
                    stream_id: id.get(),
                    max,
                };
                if !out.put(&frame) {
                    break;
                }
                sent.push(Sent::MaxStreamData { id });
            }
            self.pending.max_stream_data.remove(&id);
        }
        for dir in [Dir::Bidi, Dir::Uni] {
            let remote = self.remote.get_mut(dir);
            if remote.pending {
                let frame = Frame::MaxStreams {
                    dir: frame_dir(dir),
                    max: remote.max,
                };
                if out.put(&frame) {
                    remote.pending = false;
                    sent.push(Sent::MaxStreams { dir });
                }
            }
        }
    }

    /// `RESET_STREAM`, `STOP_SENDING`.
    fn write_stream_controls(&mut self, out: &mut Out<'_>, sent: &mut Vec<Sent>) {
        while let Some(&id) = self.pending.reset.first() {
            let reset = self
                .map
                .get(&id)
                .and_then(|s| s.send.as_ref())
                .and_then(SendBuffer::reset_frame);
            if let Some((final_size, error_code)) = reset {
                let frame = Frame::ResetStream(ResetStream {
                    stream_id: id.get(),
                    error_code,
                    final_size,
                });
                if !out.put(&frame) {
                    break;
                }
                sent.push(Sent::ResetStream { id });
            }
            self.pending.reset.remove(&id);
        }
        while let Some(&id) = self.pending.stop.first() {
            let stop = self
                .map
                .get(&id)
                .and_then(|s| s.recv.as_ref())
                .filter(|r| !r.reset_recvd)
                .and_then(|r| r.stop);
            if let Some(error_code) = stop {
                let frame = Frame::StopSending {
                    stream_id: id.get(),
                    error_code,
                };
                if !out.put(&frame) {
                    break;
                }
                sent.push(Sent::StopSending { id });
            }
            self.pending.stop.remove(&id);
        }
    }

    /// `DATA_BLOCKED`, `STREAM_DATA_BLOCKED`, `STREAMS_BLOCKED`.
    fn write_blocked(&mut self, out: &mut Out<'_>, sent: &mut Vec<Sent>) {
        if self.data_blocked_pending {
            if self.conn_send.available() > 0 {
                self.data_blocked_pending = false;
            } else if out.put(&Frame::DataBlocked(self.conn_send.limit())) {
                self.data_blocked_pending = false;
                sent.push(Sent::DataBlocked);
            }
        }
        while let Some(&id) = self.pending.stream_data_blocked.first() {
            let limit = self
                .map
                .get(&id)
                .and_then(|s| s.send.as_ref())
                .filter(|s| {
                    s.credit_available() == 0
                        && matches!(s.state(), SendState::Ready | SendState::Send)
                })
                .map(SendBuffer::peer_limit);
            if let Some(limit) = limit {
                let frame = Frame::StreamDataBlocked {
                    stream_id: id.get(),
                    limit,
                };
                if !out.put(&frame) {
                    break;
                }
                sent.push(Sent::StreamDataBlocked { id });
            }
            self.pending.stream_data_blocked.remove(&id);
        }
        for dir in [Dir::Bidi, Dir::Uni] {
            let local = self.local.get_mut(dir);
            if local.blocked_pending {
                if local.opened < local.peer_max {
                    local.blocked_pending = false;
                    continue;
                }
                let frame = Frame::StreamsBlocked {
                    dir: frame_dir(dir),
                    limit: local.peer_max,
                };
                if out.put(&frame) {
                    local.blocked_pending = false;
                    sent.push(Sent::StreamsBlocked { dir });
                }
            }
        }
    }

    /// Writes `STREAM` frames that fit `room` into `buf`, the streams chosen by the
    /// scheduler (see [`Priority`](crate::stream::Priority)), each frame with a Length
    /// field; a stream's lost ranges go before its new data. Pushes a [`Sent::Stream`]
    /// per frame; returns the bytes written. Keeps filling while more data waits and a
    /// frame with at least one byte of data still fits.
    pub fn write_stream_frames(
        &mut self,
        buf: &mut Vec<u8>,
        room: usize,
        sent: &mut Vec<Sent>,
    ) -> usize {
        let mut left = room;
        while let Some((id, key)) = self.sched.peek() {
            let Some(stream) = self.map.get_mut(&id) else {
                self.sched.remove(id, key);
                continue;
            };
            let Some(send) = stream.send.as_mut() else {
                self.sched.remove(id, key);
                stream.sched = None;
                continue;
            };
            let Some(offset) = send.peek_offset() else {
                self.sched.remove(id, key);
                stream.sched = None;
                continue;
            };
            let off_len = if offset == 0 { 0 } else { vlen(offset) };
            let header = 1usize
                .saturating_add(vlen(id.get()))
                .saturating_add(off_len);
            let Some(max_data) = left.checked_sub(header).and_then(data_fit) else {
                break;
            };
            let Some(chunk) = send.poll_chunk(max_data) else {
                if max_data == 0 || send.has_pending() {
                    break;
                }
                self.sched.remove(id, key);
                stream.sched = None;
                continue;
            };
            let len = chunk.data.len() as u64;
            let written = frame::write_stream(
                buf,
                left,
                id.get(),
                chunk.offset,
                &chunk.data,
                chunk.fin,
                true,
            );
            let Some(w) = written else {
                // Nothing fitted after all (a lost range whose offset differed from the
                // one peeked): put it back.
                send.on_lost(chunk.offset, len, chunk.fin);
                break;
            };
            left = left.saturating_sub(w.written);
            let taken = w.taken as u64;
            if taken < len {
                send.on_lost(
                    chunk.offset.saturating_add(taken),
                    len.saturating_sub(taken),
                    chunk.fin,
                );
            }
            sent.push(Sent::Stream {
                id,
                offset: chunk.offset,
                len: taken,
                fin: w.fin,
            });
            if send.has_pending() {
                stream.sched = Some(self.sched.rotate(id, key));
            } else {
                self.sched.remove(id, key);
                stream.sched = None;
            }
        }
        room.saturating_sub(left)
    }

    /// The packet carrying `sent` was acknowledged.
    pub fn on_acked(&mut self, sent: &Sent) {
        match *sent {
            Sent::Stream {
                id,
                offset,
                len,
                fin,
            } => {
                let Some(stream) = self.map.get_mut(&id) else {
                    return;
                };
                let Some(send) = stream.send.as_mut() else {
                    return;
                };
                let before = (send.state(), send.writable());
                send.on_ack(offset, len, fin);
                if send.state() == SendState::DataRecvd && before.0 != SendState::DataRecvd {
                    self.events.push_back(StreamEvent::Finished { id });
                }
                if stream.want_writable && send.writable() > before.1 {
                    stream.want_writable = false;
                    self.events.push_back(StreamEvent::Writable { id });
                }
                self.try_remove(id);
            }
            Sent::ResetStream { id } => {
                if let Some(send) = self.map.get_mut(&id).and_then(|s| s.send.as_mut()) {
                    send.on_reset_acked();
                }
                self.try_remove(id);
            }
            _ => {}
        }
    }

    /// The packet carrying `sent` was declared lost: data ranges are queued again, and
    /// control frames are queued again if still needed, to be sent with their current
    /// values (RFC 9000 §13.3).
    pub fn on_lost(&mut self, sent: &Sent) {
        match *sent {
            Sent::Stream {
                id,
                offset,
                len,
                fin,
            } => {
                let Some(stream) = self.map.get_mut(&id) else {
                    return;
                };
                let Some(send) = stream.send.as_mut() else {
                    return;
                };
                send.on_lost(offset, len, fin);
                if send.has_pending() && stream.sched.is_none() {
                    stream.sched = Some(self.sched.push(id, stream.priority));
                }
            }
            Sent::ResetStream { id } => {
                let needed = self
                    .map
                    .get(&id)
                    .and_then(|s| s.send.as_ref())
                    .is_some_and(|s| s.reset_frame().is_some());
                if needed {
                    self.pending.reset.insert(id);
                }
            }
            Sent::StopSending { id } => {
                let needed = self
                    .map
                    .get(&id)
                    .and_then(|s| s.recv.as_ref())
                    .is_some_and(|r| r.stop.is_some() && !r.reset_recvd);
                if needed {
                    self.pending.stop.insert(id);
                }
            }
            Sent::MaxData => self.max_data_pending = true,
            Sent::MaxStreamData { id } => {
                let needed = self
                    .map
                    .get(&id)
                    .and_then(|s| s.recv.as_ref())
                    .is_some_and(|r| r.buf.state() == RecvState::Recv);
                if needed {
                    self.pending.max_stream_data.insert(id);
                }
            }
            Sent::MaxStreams { dir } => self.remote.get_mut(dir).pending = true,
            Sent::DataBlocked => {
                if self.conn_send.available() == 0 {
                    self.data_blocked_pending = true;
                }
            }
            Sent::StreamDataBlocked { id } => {
                let needed = self
                    .map
                    .get(&id)
                    .and_then(|s| s.send.as_ref())
                    .is_some_and(|s| {
                        s.credit_available() == 0
                            && matches!(s.state(), SendState::Ready | SendState::Send)
                    });
                if needed {
                    self.pending.stream_data_blocked.insert(id);
                }
            }
            Sent::StreamsBlocked { dir } => {
                let local = self.local.get_mut(dir);
                if local.opened >= local.peer_max {
                    local.blocked_pending = true;
                }
            }
        }
    }
}
