//! Closing: `GOAWAY` sent (graceful two-phase or immediate) and received (RFC 9113 §6.8),
//! connection errors (§5.4.1), stream resets for stream errors (§5.4.2), end of input.

use std::time::Instant;

use bytes::Bytes;

use crate::frame;
use crate::stream::{self, Scope, Violation};
use crate::{ErrorCode, StreamId};

use super::{Connection, Error, Event, LocalError};

/// The PING payload of the graceful shutdown's round trip.
const SHUTDOWN_PING: [u8; 8] = *b"h2 drain";

/// Where the connection is in closing. A deadline is `None` only until the machine first
/// learns the time (a `goaway` before any `recv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shutdown {
    /// Not closing.
    Open,
    /// We sent the first `GOAWAY` (2^31 - 1) and a PING; its ACK, or the deadline
    /// ([`Limits::shutdown_ping_timeout`](crate::Limits::shutdown_ping_timeout)) for a
    /// peer that never answers, triggers the second.
    Draining {
        /// When we stop waiting for the PING's ACK.
        deadline: Option<Instant>,
    },
    /// We sent the final `GOAWAY`: streams above it are ignored; close when all finish,
    /// or reset what is left at the deadline
    /// ([`Limits::shutdown_drain_timeout`](crate::Limits::shutdown_drain_timeout)).
    Drained {
        /// When the streams still active are reset and the connection closes.
        deadline: Option<Instant>,
    },
}

impl Shutdown {
    /// The deadline of the current phase, if any.
    pub(super) fn deadline(self) -> Option<Instant> {
        match self {
            Shutdown::Open => None,
            Shutdown::Draining { deadline } | Shutdown::Drained { deadline } => deadline,
        }
    }
}

/// The rule behind a stream-table violation, for logs.
pub(super) fn reason_str(r: stream::Reason) -> &'static str {
    use stream::Reason as R;
    match r {
        R::IdleStream => "frame on an idle stream (RFC 9113 §5.1)",
        R::ReservedStream => "frame on a reserved stream (RFC 9113 §5.1)",
        R::HalfClosedRemote => "frame after END_STREAM (RFC 9113 §5.1)",
        R::ClosedAfterEndStream | R::ClosedStream => "frame on a closed stream (RFC 9113 §5.1)",
        R::ClosedAfterReset => "frame after RST_STREAM (RFC 9113 §5.1)",
        R::InformationalEndStream => "1xx response with END_STREAM (RFC 9113 §8.1)",
        R::TrailersWithoutEndStream => "trailers without END_STREAM (RFC 9113 §8.1)",
        R::DataBeforeHeaders => "DATA before HEADERS (RFC 9113 §8.1)",
        R::StreamIdNotIncreasing => "stream id not increasing (RFC 9113 §5.1.1)",
        R::WrongInitiator => "stream opened by the wrong endpoint (RFC 9113 §5.1.1)",
        R::PushDisabled => "PUSH_PROMISE while push is disabled (RFC 9113 §6.6)",
        R::Refused => "stream refused (RFC 9113 §5.1.2)",
        R::WindowOverflow => "flow-control window overflow (RFC 9113 §6.9.1)",
        R::ZeroWindowIncrement => "WINDOW_UPDATE of 0 (RFC 9113 §6.9)",
        R::FlowControlExceeded => "data beyond the flow-control window (RFC 9113 §6.9.1)",
    }
}

impl Connection {
    /// Ends the connection with an error: `GOAWAY` with its code (RFC 9113 §5.4.1), once.
    pub(super) fn connection_error(&mut self, error: Error) {
        if self.closed {
            return;
        }
        let last = self.streams.ids().highest_peer();
        let debug = error.to_string();
        let debug = debug.as_bytes();
        let debug = debug.get(..debug.len().min(256)).unwrap_or_default();
        let _ = frame::write_goaway(&mut self.out, last, error.code(), debug);
        self.error = Some(error.clone());
        self.close(Some(error));
    }

    /// [`Event::Closed`], once; queued requests are refused first.
    pub(super) fn close(&mut self, error: Option<Error>) {
        if self.closed {
            return;
        }
        self.refuse_queue(&LocalError::GoingAway);
        self.closed = true;
        self.blocked.clear();
        self.events.push_back(Event::Closed { error });
    }

    /// A violation found by the stream table (or flow control) on stream `id`.
    pub(super) fn violation(&mut self, id: StreamId, v: Violation) -> Result<(), Error> {
        match v.scope {
            Scope::Connection => Err(Error::Protocol {
                code: v.code,
                reason: reason_str(v.reason),
            }),
            Scope::Stream => self.stream_error(id, v.code),
        }
    }

    /// A stream error (RFC 9113 §5.4.2): `RST_STREAM`, the stream forgotten, and an
    /// [`Event::Reset`] if the application knows the stream. Spends the local-error reset
    /// budget (or, for `REFUSED_STREAM`, the reset rate budget).
    pub(super) fn stream_error(&mut self, id: StreamId, code: ErrorCode) -> Result<(), Error> {
        if code == ErrorCode::REFUSED_STREAM {
            if let Some(now) = self.now
                && self.budgets.peer_resets.take(now).is_err()
            {
                return Err(Error::Limit {
                    limit: "stream resets (rapid reset)",
                });
            }
        } else if self.budgets.local_error_resets.increment().is_err() {
            return Err(Error::Limit {
                limit: "streams reset for peer errors",
            });
        }
        frame::write_rst_stream(&mut self.out, id, code);
        let known = self.streams.get(id).is_some();
        let _ = self.streams.send_reset(id);
        self.forget(id);
        if known {
            self.events.push_back(Event::Reset {
                stream: id,
                code,
                remote: false,
            });
        }
        Ok(())
    }

    /// Removes a stream from the table, frees its slot for a queued request, and checks
    /// whether a closing connection is done.
    pub(super) fn forget(&mut self, id: StreamId) {
        if self.remove_stream(id) {
            self.pump_queue();
        }
        self.check_done();
    }

    /// Drops a stream's state. Data the application received on it but never released
    /// ([`FlowControl::Manual`](super::FlowControl::Manual), or `Data` events not yet
    /// polled) gives its connection credit back now: the stream's own window no longer
    /// matters, and the connection window must not shrink for good because a stream
    /// ended early (RFC 9113 §6.9; a reset stream would otherwise leak it). Later
    /// releases on the stream are then no-ops.
    fn remove_stream(&mut self, id: StreamId) -> bool {
        let Some(data) = self.streams.remove(id) else {
            return false;
        };
        self.blocked.retain(|b| *b != id);
        let held = data.recv.buffered();
        if held > 0 {
            self.conn_recv.release(held);
            self.announce_connection_window();
        }
        true
    }

    /// Forgets the stream if both directions are over.
    pub(super) fn forget_if_closed(&mut self, id: StreamId) {
        if self
            .streams
            .state(id)
            .is_some_and(stream::StreamState::is_closed)
        {
            self.forget(id);
        }
    }

    /// Closes gracefully once `GOAWAY` has settled and no stream is left.
    pub(super) fn check_done(&mut self) {
        let settled = matches!(self.shutdown, Shutdown::Drained { .. })
            || self.streams_goaway_received().is_some();
        if !self.closed
            && settled
            && self.active_streams() == 0
            && self.queue.iter().all(|q| q.cancelled)
        {
            self.close(None);
        }
    }

    fn streams_goaway_received(&self) -> Option<StreamId> {
        self.goaway_received
    }

    pub(super) fn start_goaway(&mut self, code: ErrorCode, debug_data: &[u8]) {
        if self.closed {
            return;
        }
        if code != ErrorCode::NO_ERROR {
            let last = self.streams.ids().highest_peer();
            let _ = frame::write_goaway(&mut self.out, last, code, debug_data);
            let error = Error::Local { code };
            self.error = Some(error.clone());
            self.close(Some(error));
            return;
        }
        if self.shutdown != Shutdown::Open {
            return;
        }
        // RFC 9113 §6.8: a first GOAWAY with 2^31 - 1 tells the peer to stop opening
        // streams; after a round trip we know which it opened meanwhile.
        let _ = frame::write_goaway(&mut self.out, StreamId::MAX, code, debug_data);
        frame::write_ping(&mut self.out, SHUTDOWN_PING, false);
        let timeout = self.config.limits.shutdown_ping_timeout;
        self.shutdown = Shutdown::Draining {
            deadline: self.now.and_then(|now| now.checked_add(timeout)),
        };
        self.refuse_queue(&LocalError::GoingAway);
    }

    /// A PING ACK arrived; `true` if it was the graceful shutdown's (also when it comes
    /// after its deadline: it is ours, not the application's).
    pub(super) fn on_shutdown_ping(&mut self, payload: [u8; 8]) -> bool {
        if payload != SHUTDOWN_PING || self.shutdown == Shutdown::Open {
            return false;
        }
        if matches!(self.shutdown, Shutdown::Draining { .. }) {
            self.send_final_goaway();
        }
        true
    }

    /// The second phase of a graceful shutdown (RFC 9113 §6.8): `GOAWAY` with the last
    /// stream the peer opened, which we will still serve.
    fn send_final_goaway(&mut self) {
        let last = self.streams.ids().highest_peer();
        let _ = frame::write_goaway(&mut self.out, last, ErrorCode::NO_ERROR, &[]);
        self.streams.goaway_sent(last);
        let timeout = self.config.limits.shutdown_drain_timeout;
        self.shutdown = Shutdown::Drained {
            deadline: self.now.and_then(|now| now.checked_add(timeout)),
        };
        self.check_done();
    }

    /// Starts a shutdown deadline that was set before the machine knew the time.
    pub(super) fn start_shutdown_clock(&mut self, now: Instant) {
        let limits = &self.config.limits;
        match &mut self.shutdown {
            Shutdown::Draining { deadline } if deadline.is_none() => {
                *deadline = now.checked_add(limits.shutdown_ping_timeout);
            }
            Shutdown::Drained { deadline } if deadline.is_none() => {
                *deadline = now.checked_add(limits.shutdown_drain_timeout);
            }
            _ => {}
        }
    }

    /// The graceful shutdown's deadlines at `now`. A peer that never acknowledges the
    /// PING gets the final `GOAWAY` anyway; streams still active when the drain deadline
    /// passes are reset with `CANCEL` (RFC 9113 §8.7: no longer needed), each reported by
    /// [`Event::Reset`], and the connection closes without error.
    pub(super) fn on_shutdown_timeout(&mut self, now: Instant) {
        if self.shutdown.deadline().is_none_or(|d| d > now) {
            return;
        }
        match self.shutdown {
            Shutdown::Draining { .. } => self.send_final_goaway(),
            Shutdown::Drained { .. } => {
                let active: Vec<StreamId> = self.streams.iter_mut().map(|(id, _, _)| id).collect();
                for id in active {
                    if self.streams.send_reset(id).is_ok() {
                        frame::write_rst_stream(&mut self.out, id, ErrorCode::CANCEL);
                        self.events.push_back(Event::Reset {
                            stream: id,
                            code: ErrorCode::CANCEL,
                            remote: false,
                        });
                    }
                    self.remove_stream(id);
                }
                self.close(None);
            }
            Shutdown::Open => {}
        }
    }

    /// The peer's `GOAWAY` (RFC 9113 §6.8).
    pub(super) fn on_goaway(
        &mut self,
        last_stream_id: StreamId,
        code: ErrorCode,
        debug_data: Bytes,
    ) -> Result<(), Error> {
        if let Some(previous) = self.goaway_received
            && last_stream_id > previous
        {
            // §6.8: "Endpoints MUST NOT increase the value they send".
            return Err(Error::Protocol {
                code: ErrorCode::PROTOCOL_ERROR,
                reason: "GOAWAY last-stream-id increased",
            });
        }
        self.goaway_received = Some(last_stream_id);
        self.streams.goaway_received();
        self.events.push_back(Event::GoAway {
            last_stream_id,
            code,
            debug_data,
        });
        self.refuse_queue(&LocalError::GoingAway);
        // Our streams above the last id were not processed: the peer will not answer.
        let client = self.role == super::Role::Client;
        let unprocessed: Vec<StreamId> = self
            .streams
            .iter_mut()
            .map(|(id, _, _)| id)
            .filter(|id| id.is_client_initiated() == client && *id > last_stream_id)
            .collect();
        for id in unprocessed {
            let _ = self.streams.send_reset(id);
            self.remove_stream(id);
            self.events.push_back(Event::Reset {
                stream: id,
                code: ErrorCode::REFUSED_STREAM,
                remote: true,
            });
        }
        if code == ErrorCode::NO_ERROR {
            self.check_done();
        } else {
            self.close(Some(Error::Remote { code }));
        }
        Ok(())
    }

    /// Refuses every queued request with `reason`.
    pub(super) fn refuse_queue(&mut self, reason: &LocalError) {
        while let Some(q) = self.queue.pop_front() {
            if q.cancelled {
                continue;
            }
            self.events.push_back(Event::Refused {
                stream: q.id,
                reason: reason.clone(),
            });
        }
    }

    pub(super) fn on_eof(&mut self) {
        if self.closed {
            return;
        }
        if self.active_streams() == 0 {
            self.close(None);
        } else {
            self.error = Some(Error::TransportClosed);
            self.close(Some(Error::TransportClosed));
        }
    }
}
