//! The per-connection stream table (RFC 9000 §2–§4): every stream of a connection, both
//! directions and both initiators, stream limits (`MAX_STREAMS` / `STREAMS_BLOCKED`),
//! connection-level flow control (`MAX_DATA` / `DATA_BLOCKED`), per-stream flow control
//! (`MAX_STREAM_DATA` / `STREAM_DATA_BLOCKED`) with auto-tuned receive windows, and the
//! priority scheduler that picks which stream's data goes into the next packet.
//!
//! [`Streams`] is sans-IO: the application calls [`Streams::open`], [`Streams::write`],
//! [`Streams::read`] and friends and pulls [`StreamEvent`]s; the connection feeds it the
//! peer's frames (`on_*`), asks it for frames to send ([`Streams::write_control`],
//! [`Streams::write_stream_frames`]), keeps the returned [`Sent`] records with each
//! packet and hands them back with [`Streams::on_acked`] or [`Streams::on_lost`].
//!
//! Design choices:
//! - Connection credit is taken when the application writes, as stream credit is (by
//!   [`SendBuffer::write`]): a write returns only what both credits and the send buffer
//!   allow, so buffered data is always sendable and the scheduler never has to skip a
//!   stream for lack of credit. Credit taken for bytes a reset abandons is given back.
//! - A stream is removed once both halves are terminal (sending: all data and FIN
//!   acknowledged, or our reset acknowledged; receiving: all data or the reset read by
//!   the application, or stopped with the final size known). A frame for a removed
//!   stream (an ID below the next expected one) is ignored. Peer-initiated streams are
//!   re-credited with `MAX_STREAMS` once half of the configured limit has closed
//!   (RFC 9000 §4.6).
//! - Memory is bounded by the configuration: at most `max_remote_bidi + max_remote_uni`
//!   peer streams at once, each with at most `stream_window` (growing to
//!   `max_stream_window`) bytes received and `send_buffer` bytes to send.
//!
//! ```
//! use bytes::Bytes;
//! use stator_quic::{Side, TransportParameters};
//! use stator_quic::stream::{Dir, Streams, StreamsConfig};
//!
//! let mut client = Streams::new(Side::Client, StreamsConfig::default());
//! let mut peer = TransportParameters::default();
//! Streams::new(Side::Server, StreamsConfig::default()).fill_transport_params(&mut peer);
//! client.set_peer_params(&peer);
//! let id = client.open(Dir::Bidi).expect("the server allows 100 streams");
//! assert_eq!(client.write(id, &Bytes::from_static(b"hello"))?, 5);
//! client.finish(id)?;
//! let (mut buf, mut sent) = (Vec::new(), Vec::new());
//! client.write_stream_frames(&mut buf, 1200, &mut sent);
//! assert_eq!(buf.len(), 8); // type, stream ID, length, 5 bytes
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The frame names (MAX_STREAMS, ...) are the specification's words, not code items.
#![allow(clippy::doc_markdown)]

mod output;
mod peer;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;

use super::flow::{RecvWindow, SendCredit};
use super::id::{Dir, MAX_STREAM_COUNT, StreamId};
use super::priority::{Priority, SchedKey, Scheduler};
use super::recv::{Read, RecvBuffer, RecvState};
use super::send::{SendBuffer, SendState};
use crate::{Side, TransportParameters};

/// Limits and windows of a stream table. Every field bounds memory or work a peer can
/// cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamsConfig {
    /// Bidirectional streams the peer may have open at once: our
    /// `initial_max_streams_bidi`, re-credited with `MAX_STREAMS` as they close. One
    /// frame for the highest allowed ID opens all of them at once (RFC 9000 §3.2), so
    /// this bounds the memory a peer can claim: keep it modest. Default 100.
    pub max_remote_bidi: u64,
    /// Unidirectional streams the peer may have open at once. Default 100.
    pub max_remote_uni: u64,
    /// The receive window of each stream: our `initial_max_stream_data_bidi_local`,
    /// `_bidi_remote` and `_uni`. Default 1 MiB.
    pub stream_window: u64,
    /// How far auto-tuning may grow a stream's window. Default 16 MiB.
    pub max_stream_window: u64,
    /// The connection's receive window: our `initial_max_data`. Default 4 MiB.
    pub conn_window: u64,
    /// How far auto-tuning may grow the connection's window. Default 64 MiB.
    pub max_conn_window: u64,
    /// Bytes a stream buffers unacknowledged; [`Streams::write`] accepts up to this.
    /// Default 1 MiB.
    pub send_buffer: u64,
    /// Separate out-of-order pieces a stream's reassembly holds; a peer that fragments
    /// more gets `FLOW_CONTROL_ERROR`. Default 256.
    pub max_segments: usize,
}

impl Default for StreamsConfig {
    fn default() -> StreamsConfig {
        StreamsConfig {
            max_remote_bidi: 100,
            max_remote_uni: 100,
            stream_window: 1 << 20,
            max_stream_window: 16 << 20,
            conn_window: 4 << 20,
            max_conn_window: 64 << 20,
            send_buffer: 1 << 20,
            max_segments: 256,
        }
    }
}

/// Something the application should know about its streams, from
/// [`Streams::poll_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEvent {
    /// The peer opened this stream.
    Opened {
        /// The stream.
        id: StreamId,
    },
    /// The stream has data (or its end, or a reset) to read.
    Readable {
        /// The stream.
        id: StreamId,
    },
    /// A write that was cut short may now accept more.
    Writable {
        /// The stream.
        id: StreamId,
    },
    /// Everything we sent on the stream, FIN included, was acknowledged.
    Finished {
        /// The stream.
        id: StreamId,
    },
    /// The peer reset its sending part (`RESET_STREAM`).
    Reset {
        /// The stream.
        id: StreamId,
        /// The application error code.
        code: u64,
    },
    /// The peer asked us to stop sending (`STOP_SENDING`); the stream was reset with the
    /// same code (RFC 9000 §3.5).
    Stopped {
        /// The stream.
        id: StreamId,
        /// The application error code.
        code: u64,
    },
    /// The peer raised its stream limit: [`Streams::open`] may succeed again.
    Available {
        /// The direction.
        dir: Dir,
    },
}

/// A misuse of the stream API (the peer's violations are [`crate::TransportError`]s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// No such stream: never opened, or closed and removed.
    #[error("unknown stream {0}")]
    Unknown(StreamId),
    /// The stream has no such direction for us (writing a stream we only receive on,
    /// reading one we only send on).
    #[error("stream {0} does not go that way")]
    WrongDirection(StreamId),
    /// The stream was already finished.
    #[error("stream already finished")]
    Finished,
    /// The peer sent `STOP_SENDING` with this code; the stream was reset.
    #[error("peer stopped the stream with code {0}")]
    Stopped(u64),
    /// We reset the stream with this code.
    #[error("stream reset with code {0}")]
    Reset(u64),
}

/// Hashes stream IDs with a multiplication and a shift. The table's keys cannot be chosen
/// to collide: a peer opens streams in order up to our limit (RFC 9000 §3.2, §4.6), so
/// they are a run of small integers; SipHash's flooding resistance buys nothing here
/// and cost ~5% of a bulk transfer (several lookups per packet).
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by stream ID.
type IdMap<V> = HashMap<StreamId, V, BuildHasherDefault<IdHasher>>;

/// What the table put in a packet; the connection keeps it with the packet and hands it
/// back with [`Streams::on_acked`] or [`Streams::on_lost`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// A `STREAM` frame.
    Stream {
        /// The stream.
        id: StreamId,
        /// The data's offset.
        offset: u64,
        /// The data's length.
        len: u64,
        /// Whether it carried FIN.
        fin: bool,
    },
    /// A `RESET_STREAM`.
    ResetStream {
        /// The stream.
        id: StreamId,
    },
    /// A `STOP_SENDING`.
    StopSending {
        /// The stream.
        id: StreamId,
    },
    /// A `MAX_DATA`.
    MaxData,
    /// A `MAX_STREAM_DATA`.
    MaxStreamData {
        /// The stream.
        id: StreamId,
    },
    /// A `MAX_STREAMS`.
    MaxStreams {
        /// The direction.
        dir: Dir,
    },
    /// A `DATA_BLOCKED`.
    DataBlocked,
    /// A `STREAM_DATA_BLOCKED`.
    StreamDataBlocked {
        /// The stream.
        id: StreamId,
    },
    /// A `STREAMS_BLOCKED`.
    StreamsBlocked {
        /// The direction.
        dir: Dir,
    },
}

impl Sent {
    /// The stream the record is about, if any.
    pub fn stream_id(&self) -> Option<StreamId> {
        match *self {
            Sent::Stream { id, .. }
            | Sent::ResetStream { id }
            | Sent::StopSending { id }
            | Sent::MaxStreamData { id }
            | Sent::StreamDataBlocked { id } => Some(id),
            _ => None,
        }
    }
}

/// A value per stream direction.
#[derive(Debug, Clone, Default)]
struct PerDir<T> {
    bidi: T,
    uni: T,
}

impl<T> PerDir<T> {
    fn get(&self, dir: Dir) -> &T {
        match dir {
            Dir::Bidi => &self.bidi,
            Dir::Uni => &self.uni,
        }
    }

    fn get_mut(&mut self, dir: Dir) -> &mut T {
        match dir {
            Dir::Bidi => &mut self.bidi,
            Dir::Uni => &mut self.uni,
        }
    }
}

/// Streams we open, of one direction.
#[derive(Debug, Clone, Default)]
struct Local {
    /// How many we opened (the next index).
    opened: u64,
    /// The peer's limit (`initial_max_streams_*`, `MAX_STREAMS`).
    peer_max: u64,
    /// The limit a `STREAMS_BLOCKED` was queued for (once per limit).
    blocked_at: Option<u64>,
    /// A `STREAMS_BLOCKED` is to be sent.
    blocked_pending: bool,
    /// [`Streams::open`] failed: tell the application when the limit rises.
    want_available: bool,
}

/// Streams the peer opens, of one direction.
#[derive(Debug, Clone, Default)]
struct Remote {
    /// How many the peer opened (the next index expected); lower IDs not in the table
    /// are closed.
    next: u64,
    /// The limit we advertised.
    max: u64,
    /// Closed since the last `MAX_STREAMS`.
    closed: u64,
    /// A `MAX_STREAMS` is to be sent.
    pending: bool,
}

/// The receiving part of a stream.
#[derive(Debug)]
struct RecvHalf {
    buf: RecvBuffer,
    window: RecvWindow,
    /// Bytes given back to the connection window (read, or dropped after a reset).
    released: u64,
    /// A `Readable` event is out and the application has not drained the stream yet.
    notified: bool,
    /// We sent `STOP_SENDING` with this code.
    stop: Option<u64>,
    /// The peer reset the stream.
    reset_recvd: bool,
}

/// One stream.
#[derive(Debug)]
struct Stream {
    send: Option<SendBuffer>,
    recv: Option<RecvHalf>,
    priority: Priority,
    /// Where the stream is queued in the scheduler, while it has data to send.
    sched: Option<SchedKey>,
    /// The peer's `STOP_SENDING` code.
    stopped: Option<u64>,
    /// Our reset code.
    reset: Option<u64>,
    /// The application finished the stream.
    finished: bool,
    /// A write was cut short: send `Writable` when more may be accepted.
    want_writable: bool,
}

impl Stream {
    fn new(send: Option<SendBuffer>, recv: Option<RecvHalf>) -> Stream {
        Stream {
            send,
            recv,
            priority: Priority::default(),
            sched: None,
            stopped: None,
            reset: None,
            finished: false,
            want_writable: false,
        }
    }

    /// Both halves are terminal and nothing more will be read (see the module doc).
    fn is_done(&self) -> bool {
        let send_done = self
            .send
            .as_ref()
            .is_none_or(|s| matches!(s.state(), SendState::DataRecvd | SendState::ResetRecvd));
        let recv_done = self.recv.as_ref().is_none_or(|r| match r.buf.state() {
            RecvState::DataRead => true,
            RecvState::ResetRead => r.buf.final_size().is_some(),
            _ => false,
        });
        send_done && recv_done
    }
}

/// Per-stream control frames waiting to be sent.
#[derive(Debug, Default)]
struct PendingFrames {
    max_stream_data: BTreeSet<StreamId>,
    stream_data_blocked: BTreeSet<StreamId>,
    reset: BTreeSet<StreamId>,
    stop: BTreeSet<StreamId>,
}

impl PendingFrames {
    fn is_empty(&self) -> bool {
        self.max_stream_data.is_empty()
            && self.stream_data_blocked.is_empty()
            && self.reset.is_empty()
            && self.stop.is_empty()
    }

    fn forget(&mut self, id: StreamId) {
        self.max_stream_data.remove(&id);
        self.stream_data_blocked.remove(&id);
        self.reset.remove(&id);
        self.stop.remove(&id);
    }
}

/// The peer's initial stream credit, by who opens the stream.
#[derive(Debug, Clone, Default)]
struct PeerStreamData {
    /// Bidirectional streams the peer opens (its `initial_max_stream_data_bidi_local`).
    remote_bidi: u64,
    /// Bidirectional streams we open (its `initial_max_stream_data_bidi_remote`).
    local_bidi: u64,
    /// Unidirectional streams we open (its `initial_max_stream_data_uni`).
    local_uni: u64,
}

/// The stream table of one connection (see the module documentation).
#[derive(Debug)]
pub struct Streams {
    side: Side,
    config: StreamsConfig,
    map: IdMap<Stream>,
    sched: Scheduler,
    events: VecDeque<StreamEvent>,
    local: PerDir<Local>,
    remote: PerDir<Remote>,
    conn_recv: RecvWindow,
    conn_send: SendCredit,
    /// A `MAX_DATA` is to be sent.
    max_data_pending: bool,
    /// A `DATA_BLOCKED` is to be sent.
    data_blocked_pending: bool,
    /// Streams whose writes were cut short by connection credit.
    conn_waiters: BTreeSet<StreamId>,
    peer_data: PeerStreamData,
    pending: PendingFrames,
}

impl Streams {
    /// An empty table for the endpoint on `side`. Until [`Streams::set_peer_params`] the
    /// peer's limits are all 0: nothing may be opened or sent.
    pub fn new(side: Side, config: StreamsConfig) -> Streams {
        let remote = PerDir {
            bidi: Remote {
                max: config.max_remote_bidi.min(MAX_STREAM_COUNT),
                ..Remote::default()
            },
            uni: Remote {
                max: config.max_remote_uni.min(MAX_STREAM_COUNT),
                ..Remote::default()
            },
        };
        Streams {
            side,
            conn_recv: RecvWindow::new(config.conn_window, config.max_conn_window),
            conn_send: SendCredit::new(0),
            config,
            map: IdMap::default(),
            sched: Scheduler::default(),
            events: VecDeque::new(),
            local: PerDir::default(),
            remote,
            max_data_pending: false,
            data_blocked_pending: false,
            conn_waiters: BTreeSet::new(),
            peer_data: PeerStreamData::default(),
            pending: PendingFrames::default(),
        }
    }

    /// Writes our stream limits into the transport parameters we send (RFC 9000 §18.2):
    /// `initial_max_data`, the three `initial_max_stream_data_*` (all `stream_window`)
    /// and `initial_max_streams_bidi` / `_uni`.
    pub fn fill_transport_params(&self, params: &mut TransportParameters) {
        params.initial_max_data = self.config.conn_window;
        params.initial_max_stream_data_bidi_local = self.config.stream_window;
        params.initial_max_stream_data_bidi_remote = self.config.stream_window;
        params.initial_max_stream_data_uni = self.config.stream_window;
        params.initial_max_streams_bidi = self.remote.bidi.max;
        params.initial_max_streams_uni = self.remote.uni.max;
    }

    /// The peer's limits from its transport parameters (RFC 9000 §18.2): its
    /// `initial_max_stream_data_bidi_local` applies to the bidirectional streams *it*
    /// opens, `_bidi_remote` to those *we* open, `_uni` to the unidirectional streams we
    /// open. Streams opened before (0-RTT) get the new credit too. Limits only grow.
    pub fn set_peer_params(&mut self, params: &TransportParameters) {
        self.peer_data = PeerStreamData {
            remote_bidi: params.initial_max_stream_data_bidi_local,
            local_bidi: params.initial_max_stream_data_bidi_remote,
            local_uni: params.initial_max_stream_data_uni,
        };
        for (&id, stream) in &mut self.map {
            if let Some(send) = stream.send.as_mut() {
                send.set_peer_limit(self.peer_data.credit_for(id, self.side));
            }
        }
        self.raise_conn_credit(params.initial_max_data);
        self.raise_local_limit(Dir::Bidi, params.initial_max_streams_bidi);
        self.raise_local_limit(Dir::Uni, params.initial_max_streams_uni);
    }

    /// Opens a stream of `dir`, or `None` at the peer's limit; then a `STREAMS_BLOCKED`
    /// is queued (once per limit, RFC 9000 §4.6, §19.14) and
    /// [`StreamEvent::Available`] follows when the peer raises the limit.
    pub fn open(&mut self, dir: Dir) -> Option<StreamId> {
        let local = self.local.get_mut(dir);
        if local.opened >= local.peer_max {
            local.want_available = true;
            if local.blocked_at != Some(local.peer_max) {
                local.blocked_at = Some(local.peer_max);
                local.blocked_pending = true;
            }
            return None;
        }
        let id = StreamId::new(self.side, dir, local.opened)?;
        local.opened = local.opened.saturating_add(1);
        let send = SendBuffer::new(
            self.config.send_buffer,
            self.peer_data.credit_for(id, self.side),
        );
        let recv = (dir == Dir::Bidi).then(|| self.new_recv());
        self.map.insert(id, Stream::new(Some(send), recv));
        Some(id)
    }

    /// Appends as much of `data` as the send buffer, the stream's credit and the
    /// connection's credit allow; returns how many bytes were taken. When not all was
    /// taken, [`StreamEvent::Writable`] follows once more may be, and a
    /// `STREAM_DATA_BLOCKED` / `DATA_BLOCKED` is queued if credit was the limit
    /// (RFC 9000 §4.1).
    pub fn write(&mut self, id: StreamId, data: &Bytes) -> Result<usize, StreamError> {
        let stream = self.map.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        let send = Self::sendable(id, stream)?;
        let conn = usize::try_from(self.conn_send.available()).unwrap_or(usize::MAX);
        let n = if data.len() <= conn {
            send.write(data)
        } else {
            send.write(&data.slice(..conn))
        };
        self.conn_send.consume(n as u64);
        if n < data.len() {
            if send.credit_available() == 0 && send.poll_blocked().is_some() {
                self.pending.stream_data_blocked.insert(id);
            }
            stream.want_writable = true;
            if self.conn_send.available() == 0 {
                self.conn_waiters.insert(id);
                if self.conn_send.poll_blocked().is_some() {
                    self.data_blocked_pending = true;
                }
            }
        }
        if n > 0 && stream.sched.is_none() {
            stream.sched = Some(self.sched.push(id, stream.priority));
        }
        Ok(n)
    }

    /// The send half of a stream the application may still write to.
    fn sendable(id: StreamId, stream: &mut Stream) -> Result<&mut SendBuffer, StreamError> {
        if let Some(code) = stream.stopped {
            return Err(StreamError::Stopped(code));
        }
        if let Some(code) = stream.reset {
            return Err(StreamError::Reset(code));
        }
        if stream.finished {
            return Err(StreamError::Finished);
        }
        stream.send.as_mut().ok_or(StreamError::WrongDirection(id))
    }

    /// Ends the stream after the data written so far (FIN). [`StreamEvent::Finished`]
    /// follows once the peer acknowledged everything.
    pub fn finish(&mut self, id: StreamId) -> Result<(), StreamError> {
        let stream = self.map.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        let send = Self::sendable(id, stream)?;
        send.finish();
        let pending = send.has_pending();
        stream.finished = true;
        if pending && stream.sched.is_none() {
            stream.sched = Some(self.sched.push(id, stream.priority));
        }
        Ok(())
    }

    /// Abandons the sending part with application error `code` (RFC 9000 §3.1, §19.4):
    /// unsent data is dropped and a `RESET_STREAM` carrying the final size is queued.
    /// Resetting a stream already reset or fully acknowledged does nothing.
    pub fn reset(&mut self, id: StreamId, code: u64) -> Result<(), StreamError> {
        let stream = self.map.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        let send = stream
            .send
            .as_mut()
            .ok_or(StreamError::WrongDirection(id))?;
        let written = send.written();
        if let Some(final_size) = send.reset(code) {
            stream.reset = Some(code);
            self.pending.reset.insert(id);
            self.pending.stream_data_blocked.remove(&id);
            if let Some(key) = stream.sched.take() {
                self.sched.remove(id, key);
            }
            self.release_send_credit(written.saturating_sub(final_size));
        }
        Ok(())
    }

    /// Tells the peer we will not read the stream any more (RFC 9000 §3.5, §19.5):
    /// buffered data is dropped and a `STOP_SENDING` with `code` is queued unless all
    /// data or a reset has already arrived.
    pub fn stop_sending(&mut self, id: StreamId, code: u64) -> Result<(), StreamError> {
        let stream = self.map.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        let recv = stream
            .recv
            .as_mut()
            .ok_or(StreamError::WrongDirection(id))?;
        if recv.stop.is_some() {
            return Ok(());
        }
        let state = recv.buf.state();
        recv.buf.stop();
        if matches!(state, RecvState::Recv | RecvState::SizeKnown) {
            recv.stop = Some(code);
            self.pending.stop.insert(id);
        }
        self.pending.max_stream_data.remove(&id);
        Self::release_dropped(&mut self.conn_recv, &mut self.max_data_pending, recv);
        self.try_remove(id);
        Ok(())
    }

    /// Reads up to `max` bytes of the stream in order (zero-copy), its end, or the peer's
    /// reset. Reading releases flow-control credit: `MAX_STREAM_DATA` / `MAX_DATA`
    /// updates are queued as windows empty (RFC 9000 §4.2).
    pub fn read(&mut self, id: StreamId, max: usize) -> Result<Read, StreamError> {
        let stream = self.map.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        let recv = stream
            .recv
            .as_mut()
            .ok_or(StreamError::WrongDirection(id))?;
        let out = recv.buf.read(max);
        match &out {
            Read::Data(data) => {
                let n = data.len() as u64;
                recv.released = recv.released.saturating_add(n);
                recv.window.on_consumed(n);
                if recv.buf.final_size().is_none() && recv.window.update_due() {
                    self.pending.max_stream_data.insert(id);
                }
                self.conn_recv.on_consumed(n);
                if self.conn_recv.update_due() {
                    self.max_data_pending = true;
                }
                recv.notified = recv.buf.is_readable();
            }
            Read::Blocked => recv.notified = false,
            Read::Finished | Read::Reset(_) => {
                recv.notified = false;
                self.try_remove(id);
            }
        }
        Ok(out)
    }

    /// Sets the stream's send priority (RFC 9218 §4); it applies from the next frame.
    pub fn set_priority(&mut self, id: StreamId, priority: Priority) -> Result<(), StreamError> {
        let stream = self.map.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        stream.priority = priority;
        if let Some(key) = stream.sched.take() {
            self.sched.remove(id, key);
            stream.sched = Some(self.sched.push(id, priority));
        }
        Ok(())
    }

    /// The next event for the application. Poll after every call that takes frames from
    /// the peer or acknowledgements.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<StreamEvent> {
        self.events.pop_front()
    }

    /// How many streams the table holds.
    pub fn count(&self) -> usize {
        self.map.len()
    }

    /// Whether the table holds stream `id`.
    pub fn contains(&self, id: StreamId) -> bool {
        self.map.contains_key(&id)
    }

    /// The connection's receive window now (it grows with auto-tuning).
    pub fn conn_window(&self) -> u64 {
        self.conn_recv.window()
    }

    /// Stream `id`'s receive window now, if it has a receiving part.
    pub fn stream_window(&self, id: StreamId) -> Option<u64> {
        Some(self.map.get(&id)?.recv.as_ref()?.window.window())
    }

    /// A fresh receiving part.
    fn new_recv(&self) -> RecvHalf {
        RecvHalf {
            buf: RecvBuffer::new(self.config.stream_window, self.config.max_segments),
            window: RecvWindow::new(self.config.stream_window, self.config.max_stream_window),
            released: 0,
            notified: false,
            stop: None,
            reset_recvd: false,
        }
    }

    /// Gives the connection window back the bytes of a reset or stopped stream that will
    /// never be read (RFC 9000 §4.5: they still counted against the connection).
    fn release_dropped(conn: &mut RecvWindow, pending: &mut bool, recv: &mut RecvHalf) {
        if !matches!(
            recv.buf.state(),
            RecvState::ResetRecvd | RecvState::ResetRead
        ) {
            return;
        }
        let to = recv.buf.max_received();
        let n = to.saturating_sub(recv.released);
        recv.released = recv.released.max(to);
        if n > 0 {
            conn.on_consumed(n);
            if conn.update_due() {
                *pending = true;
            }
        }
    }

    /// Gives back connection credit taken for bytes a reset abandoned.
    fn release_send_credit(&mut self, n: u64) {
        if n > 0 {
            self.conn_send.release(n);
            self.wake_conn_waiters();
        }
    }

    /// Tells streams cut short by connection credit that there is more.
    fn wake_conn_waiters(&mut self) {
        while let Some(id) = self.conn_waiters.pop_first() {
            if let Some(stream) = self.map.get_mut(&id)
                && stream.want_writable
            {
                stream.want_writable = false;
                self.events.push_back(StreamEvent::Writable { id });
            }
        }
    }

    /// Takes a higher connection limit from the peer.
    fn raise_conn_credit(&mut self, limit: u64) {
        if self.conn_send.update_limit(limit) {
            self.wake_conn_waiters();
        }
    }

    /// Takes a higher stream-count limit from the peer.
    fn raise_local_limit(&mut self, dir: Dir, max: u64) {
        let local = self.local.get_mut(dir);
        if max > local.peer_max {
            local.peer_max = max.min(MAX_STREAM_COUNT);
            if local.want_available && local.opened < local.peer_max {
                local.want_available = false;
                self.events.push_back(StreamEvent::Available { dir });
            }
        }
    }

    /// Removes stream `id` if it is done, re-crediting the peer's stream count.
    fn try_remove(&mut self, id: StreamId) {
        if !self.map.get(&id).is_some_and(Stream::is_done) {
            return;
        }
        if let Some(stream) = self.map.remove(&id)
            && let Some(key) = stream.sched
        {
            self.sched.remove(id, key);
        }
        self.pending.forget(id);
        self.conn_waiters.remove(&id);
        if id.initiator() == self.side {
            return;
        }
        // RFC 9000 §4.6: credit closed streams back in batches (half the limit) rather
        // than with a MAX_STREAMS per stream.
        let limit = match id.dir() {
            Dir::Bidi => self.config.max_remote_bidi,
            Dir::Uni => self.config.max_remote_uni,
        };
        let remote = self.remote.get_mut(id.dir());
        remote.closed = remote.closed.saturating_add(1);
        if remote.closed >= (limit / 2).max(1) {
            remote.max = remote
                .max
                .saturating_add(remote.closed)
                .min(MAX_STREAM_COUNT);
            remote.closed = 0;
            remote.pending = true;
        }
    }
}

impl PeerStreamData {
    /// The peer's initial credit for stream `id` at the endpoint on `side`.
    fn credit_for(&self, id: StreamId, side: Side) -> u64 {
        match (id.initiator() == side, id.dir()) {
            (true, Dir::Bidi) => self.local_bidi,
            (true, Dir::Uni) => self.local_uni,
            (false, _) => self.remote_bidi,
        }
    }
}
