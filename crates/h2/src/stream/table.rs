//! The stream table: per-stream state and data, concurrency accounting in both directions
//! (RFC 9113 §5.1.2) and a bounded memory of closed streams (§5.1 "closed"). Local
//! streams waiting for the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` queue in the
//! connection, which promises their identifiers in order.

use std::collections::{BTreeMap, VecDeque};

use super::{
    Action, CloseCause, Frame, Reason, Role, SendError, StreamIds, StreamState, Violation,
};
use crate::{ErrorCode, Limits, StreamId};

/// Why a local stream could not be opened now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum OpenError {
    /// The peer's `SETTINGS_MAX_CONCURRENT_STREAMS` is reached: queue the stream.
    #[error("the peer's concurrent stream limit is reached")]
    AtLimit,
    /// Every identifier has been used: open a new connection (RFC 9113 §5.1.1).
    #[error("stream identifiers are exhausted")]
    IdsExhausted,
    /// The peer sent `GOAWAY`: no new streams on this connection (RFC 9113 §6.8).
    #[error("the peer is closing the connection")]
    GoingAway,
}

/// A stream in the table: its state and the connection's data for it.
#[derive(Debug)]
struct Slot<T> {
    state: StreamState,
    data: T,
}

/// The last `capacity` streams removed from the table, with how each closed.
#[derive(Debug)]
struct ClosedMemory {
    order: VecDeque<StreamId>,
    causes: BTreeMap<StreamId, CloseCause>,
    capacity: usize,
}

impl ClosedMemory {
    fn get(&self, id: StreamId) -> Option<CloseCause> {
        self.causes.get(&id).copied()
    }

    fn remember(&mut self, id: StreamId, cause: CloseCause) {
        if self.capacity == 0 {
            return;
        }
        if self.causes.insert(id, cause).is_some() {
            return; // already queued for eviction; only the cause changed
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.causes.remove(&old);
            }
        }
    }
}

/// All streams of one connection (RFC 9113 §5.1, §5.1.1, §5.1.2), each with the
/// connection's per-stream data `T` (flow windows, buffers, …).
///
/// Iteration is in identifier order, so everything built on it is deterministic.
///
/// Lifecycle: a stream enters with [`recv`](Self::recv) (the peer's `HEADERS`) or
/// [`open_local`](Self::open_local) (our `HEADERS`); it stops counting towards the
/// concurrency limits as soon as it is closed; the connection calls
/// [`remove`](Self::remove) once it no longer needs `T` (the application has read what was
/// buffered), and the identifier then moves to a bounded memory of closed streams.
#[derive(Debug)]
pub(crate) struct StreamTable<T> {
    ids: StreamIds,
    streams: BTreeMap<StreamId, Slot<T>>,
    closed: ClosedMemory,
    /// Open or half-closed streams we initiated, limited by the peer's setting.
    active_local: u32,
    /// Open or half-closed streams the peer initiated, limited by ours.
    active_peer: u32,
    /// The peer's `SETTINGS_MAX_CONCURRENT_STREAMS` (unlimited until it says, §6.5.2).
    max_local: u32,
    /// Our `SETTINGS_MAX_CONCURRENT_STREAMS`.
    max_peer: u32,
    /// Our `GOAWAY`'s last-stream-id: newer peer streams are ignored (§6.8).
    goaway_sent: Option<StreamId>,
    /// The peer sent `GOAWAY`: we open nothing new (§6.8).
    goaway_received: bool,
}

impl<T> StreamTable<T> {
    /// An empty table for `role`, with our concurrency limit, the closed-stream memory and
    /// the local queue bound from `limits`.
    pub(crate) fn new(role: Role, limits: &Limits) -> Self {
        StreamTable {
            ids: StreamIds::new(role),
            streams: BTreeMap::new(),
            closed: ClosedMemory {
                order: VecDeque::new(),
                causes: BTreeMap::new(),
                capacity: limits.closed_stream_memory,
            },
            active_local: 0,
            active_peer: 0,
            max_local: u32::MAX,
            max_peer: limits.max_concurrent_streams,
            goaway_sent: None,
            goaway_received: false,
        }
    }

    /// Identifier bookkeeping (next local id, highest peer id for `GOAWAY`).
    pub(crate) fn ids(&self) -> &StreamIds {
        &self.ids
    }

    /// The identifier bookkeeping, mutably (tests of exhaustion).
    #[cfg(test)]
    pub(crate) fn ids_mut(&mut self) -> &mut StreamIds {
        &mut self.ids
    }

    /// The state of `id`: from the table, the closed-stream memory, or derived (idle, or
    /// closed for an unknown reason — reported as `None`).
    pub(crate) fn state(&self, id: StreamId) -> Option<StreamState> {
        if let Some(slot) = self.streams.get(&id) {
            Some(slot.state)
        } else if self.ids.is_idle(id) {
            Some(StreamState::Idle)
        } else {
            self.closed.get(id).map(StreamState::Closed)
        }
    }

    /// The connection's data for a stream still in the table.
    pub(crate) fn get(&self, id: StreamId) -> Option<&T> {
        self.streams.get(&id).map(|slot| &slot.data)
    }

    /// The connection's data for a stream still in the table, mutably.
    pub(crate) fn get_mut(&mut self, id: StreamId) -> Option<&mut T> {
        self.streams.get_mut(&id).map(|slot| &mut slot.data)
    }

    /// Every stream in the table in identifier order, e.g. to apply a
    /// `SETTINGS_INITIAL_WINDOW_SIZE` change to each send window (RFC 9113 §6.9.2).
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (StreamId, StreamState, &mut T)> {
        self.streams
            .iter_mut()
            .map(|(id, slot)| (*id, slot.state, &mut slot.data))
    }

    #[cfg(test)]
    /// Streams in the table (including closed ones not yet removed).
    pub(crate) fn len(&self) -> usize {
        self.streams.len()
    }

    #[cfg(test)]
    /// Closed stream identifiers remembered (at most [`Limits::closed_stream_memory`]).
    pub(crate) fn remembered_closed(&self) -> usize {
        debug_assert_eq!(self.closed.order.len(), self.closed.causes.len());
        self.closed.causes.len()
    }

    /// Open or half-closed streams we initiated.
    pub(crate) fn active_local(&self) -> u32 {
        self.active_local
    }

    /// Open or half-closed streams the peer initiated.
    pub(crate) fn active_peer(&self) -> u32 {
        self.active_peer
    }

    /// The peer's `SETTINGS_MAX_CONCURRENT_STREAMS` arrived. Lowering it below the current
    /// count closes nothing; we just open no more until enough close (RFC 9113 §5.1.2).
    pub(crate) fn set_peer_max_concurrent(&mut self, max: u32) {
        self.max_local = max;
    }

    #[cfg(test)]
    /// Our own `SETTINGS_MAX_CONCURRENT_STREAMS` changes. Apply it when sending the
    /// `SETTINGS`: a peer that has not seen it yet gets `REFUSED_STREAM`, which it can
    /// safely retry.
    pub(crate) fn set_our_max_concurrent(&mut self, max: u32) {
        self.max_peer = max;
    }

    /// We sent `GOAWAY` with `last`: new peer streams above it are ignored (RFC 9113 §6.8).
    pub(crate) fn goaway_sent(&mut self, last: StreamId) {
        self.goaway_sent = Some(last);
    }

    /// The peer sent `GOAWAY`: no new local streams (RFC 9113 §6.8). Streams we opened
    /// above its last-stream-id were not processed; find them with
    /// [`iter_mut`](Self::iter_mut).
    pub(crate) fn goaway_received(&mut self) {
        self.goaway_received = true;
    }

    /// Whether a local stream may be opened now (limit, identifiers, `GOAWAY`).
    pub(crate) fn can_open_local(&self) -> bool {
        self.open_check().is_ok()
    }

    fn open_check(&self) -> Result<(), OpenError> {
        if self.goaway_received {
            Err(OpenError::GoingAway)
        } else if self.ids.next_local().is_none() {
            Err(OpenError::IdsExhausted)
        } else if self.active_local >= self.max_local {
            Err(OpenError::AtLimit)
        } else {
            Ok(())
        }
    }

    /// Opens the next local stream by sending `HEADERS` (a request), with `data`.
    ///
    /// On error `data` is handed back; on [`OpenError::AtLimit`] the caller queues the
    /// request until a stream closes.
    pub(crate) fn open_local(
        &mut self,
        end_stream: bool,
        data: T,
    ) -> Result<StreamId, (OpenError, T)> {
        if let Err(e) = self.open_check() {
            return Err((e, data));
        }
        let Some(id) = self.ids.allocate_local() else {
            return Err((OpenError::IdsExhausted, data));
        };
        let mut state = StreamState::Idle;
        if let Err(e) = state.send_headers(end_stream, false) {
            // Unreachable for a non-informational block on an idle stream; stay safe anyway.
            debug_assert!(false, "opening HEADERS rejected: {e}");
            return Err((OpenError::IdsExhausted, data));
        }
        self.active_local = self.active_local.saturating_add(1);
        self.streams.insert(id, Slot { state, data });
        Ok(id)
    }

    /// Uses up the next local identifier without opening a stream, so that identifiers
    /// promised to requests queued behind a dropped one stay right (RFC 9113 §5.1.1: an
    /// identifier skipped is implicitly closed).
    pub(crate) fn skip_local(&mut self) -> Option<StreamId> {
        self.ids.allocate_local()
    }

    /// Runs a transition on a stream in the table, keeping the active counts right.
    fn transition<R>(&mut self, id: StreamId, f: impl FnOnce(&mut StreamState) -> R) -> Option<R> {
        let local = self.ids.is_local(id);
        let slot = self.streams.get_mut(&id)?;
        let before = slot.state.is_active();
        let result = f(&mut slot.state);
        let after = slot.state.is_active();
        let count = if local {
            &mut self.active_local
        } else {
            &mut self.active_peer
        };
        match (before, after) {
            (true, false) => *count = count.saturating_sub(1),
            (false, true) => *count = count.saturating_add(1),
            _ => {}
        }
        Some(result)
    }

    /// We send a header block on `id` (response, informational response, trailers).
    pub(crate) fn send_headers(
        &mut self,
        id: StreamId,
        end_stream: bool,
        informational: bool,
    ) -> Result<(), SendError> {
        self.transition(id, |s| s.send_headers(end_stream, informational))
            .unwrap_or_else(|| Err(self.missing(id)))
    }

    /// We send `DATA` on `id`.
    pub(crate) fn send_data(&mut self, id: StreamId, end_stream: bool) -> Result<(), SendError> {
        self.transition(id, |s| s.send_data(end_stream))
            .unwrap_or_else(|| Err(self.missing(id)))
    }

    /// We send `RST_STREAM` on `id` (cancel, or a stream error the caller detected, such as
    /// a malformed message, RFC 9113 §8.1.1). Late frames from the peer are then ignored.
    pub(crate) fn send_reset(&mut self, id: StreamId) -> Result<(), SendError> {
        self.transition(id, StreamState::send_reset)
            .unwrap_or_else(|| Err(self.missing(id)))
    }

    fn missing(&self, id: StreamId) -> SendError {
        if self.ids.is_idle(id) {
            SendError::InvalidState
        } else {
            SendError::Closed
        }
    }

    /// Removes a stream once the connection no longer needs its data, remembering how it
    /// closed. A stream removed before it closed is remembered as reset by us: the caller
    /// must have sent (or be sending) `RST_STREAM`.
    pub(crate) fn remove(&mut self, id: StreamId) -> Option<T> {
        self.transition(id, |s| {
            if !s.is_closed() {
                *s = StreamState::Closed(CloseCause::ResetSent);
            }
        })?;
        let slot = self.streams.remove(&id)?;
        if let StreamState::Closed(cause) = slot.state {
            self.closed.remember(id, cause);
        }
        Some(slot.data)
    }
}

impl<T: Default> StreamTable<T> {
    /// A frame from the peer on stream `id` (not 0), after HPACK decoding for header
    /// blocks. Says what to do with it (RFC 9113 §5.1, §5.1.1, §5.1.2, §6, §8.1).
    ///
    /// - `Ok(Action::Opened)`: a new peer stream is in the table with `T::default()`;
    ///   set up its data with [`get_mut`](Self::get_mut).
    /// - `Ok(Action::Accept)`: process the frame.
    /// - `Ok(Action::Ignore)`: drop it (a `DATA` frame still consumes and releases
    ///   connection window).
    /// - `Err(v)` with `v.scope == Scope::Stream`: send `RST_STREAM` `v.code`; the stream
    ///   is already recorded as reset by us. With `Scope::Connection`: send `GOAWAY`
    ///   `v.code`.
    ///
    /// The connection spends the glitch budget on `Ignore`d frames and the reset budget on
    /// the peer's `RST_STREAM`s and on `REFUSED_STREAM`s.
    pub(crate) fn recv(&mut self, id: StreamId, frame: Frame) -> Result<Action, Violation> {
        if frame == Frame::PushPromise {
            return self.recv_push_promise(id);
        }
        if self.streams.contains_key(&id) {
            let result = self.transition(id, |s| s.recv(frame));
            return result.unwrap_or(Ok(Action::Ignore));
        }
        if id.is_zero() {
            // The frame layer routes stream-0 frames elsewhere; treat a slip as idle misuse.
            return Err(Violation::connection(
                ErrorCode::PROTOCOL_ERROR,
                Reason::IdleStream,
            ));
        }
        if self.ids.is_idle(id) {
            return match frame {
                Frame::Headers { .. } => self.open_peer(id, frame),
                // PRIORITY on an idle stream is fine; anything else is a connection error.
                _ => StreamState::Idle.recv(frame),
            };
        }
        self.recv_on_forgotten_or_closed(id, frame)
    }

    /// RFC 9113 §6.6, §8.4: we never enable push and clients cannot push, so every
    /// `PUSH_PROMISE` is a connection `PROTOCOL_ERROR` (one on an idle stream for the idle
    /// reason, §5.1).
    fn recv_push_promise(&self, id: StreamId) -> Result<Action, Violation> {
        let reason = if id.is_zero() || self.ids.is_idle(id) {
            Reason::IdleStream
        } else {
            Reason::PushDisabled
        };
        Err(Violation::connection(ErrorCode::PROTOCOL_ERROR, reason))
    }

    fn open_peer(&mut self, id: StreamId, frame: Frame) -> Result<Action, Violation> {
        self.ids.open_peer(id)?;
        if self.goaway_sent.is_some_and(|last| id > last) {
            // RFC 9113 §6.8: streams above our GOAWAY's last-stream-id are not processed.
            self.closed.remember(id, CloseCause::ResetSent);
            return Ok(Action::Ignore);
        }
        if self.active_peer >= self.max_peer {
            // RFC 9113 §5.1.2: REFUSED_STREAM tells the peer it may retry elsewhere.
            self.closed.remember(id, CloseCause::ResetSent);
            return Err(Violation::stream(
                ErrorCode::REFUSED_STREAM,
                Reason::Refused,
            ));
        }
        let mut state = StreamState::Idle;
        match state.recv(frame) {
            Ok(action) => {
                if state.is_active() {
                    self.active_peer = self.active_peer.saturating_add(1);
                }
                self.streams.insert(
                    id,
                    Slot {
                        state,
                        data: T::default(),
                    },
                );
                Ok(action)
            }
            Err(violation) => {
                self.closed.remember(id, CloseCause::ResetSent);
                Err(violation)
            }
        }
    }

    /// A used identifier no longer in the table: classify by the closed-stream memory.
    fn recv_on_forgotten_or_closed(
        &mut self,
        id: StreamId,
        frame: Frame,
    ) -> Result<Action, Violation> {
        let result = match self.closed.get(id) {
            Some(cause) => StreamState::Closed(cause).recv(frame),
            None => match frame {
                // RFC 9113 §5.1.1: a peer's HEADERS on an identifier at or below one it
                // already used (never opened, or long closed) is a connection error.
                Frame::Headers { .. } if !self.ids.is_local(id) => Err(Violation::connection(
                    ErrorCode::PROTOCOL_ERROR,
                    Reason::StreamIdNotIncreasing,
                )),
                // RFC 9113 §5.1 "closed": MAY be a connection error STREAM_CLOSED.
                Frame::Headers { .. } => Err(Violation::connection(
                    ErrorCode::STREAM_CLOSED,
                    Reason::ClosedStream,
                )),
                // RFC 9113 §6.1: DATA on a closed stream ⇒ stream error STREAM_CLOSED.
                Frame::Data { .. } => Err(Violation::stream(
                    ErrorCode::STREAM_CLOSED,
                    Reason::ClosedStream,
                )),
                _ => Ok(Action::Ignore),
            },
        };
        if let Err(Violation {
            scope: super::Scope::Stream,
            ..
        }) = result
        {
            // We answer with RST_STREAM once; what the peer sent before seeing it is ignored.
            self.closed.remember(id, CloseCause::ResetSent);
        }
        result
    }
}
