//! Application writes (requests, responses, `DATA`, trailers, resets, PINGs), the local
//! request queue, and the output buffer with its bound (backpressure).

use http::{HeaderMap, Method, request, response};
use stator_http::body::{BodyError, BodyLength, BodyTracker};
use stator_http::ext::Protocol;
use stator_http::fields::{self, EncodedFields, Field};

use crate::flow;
use crate::frame;
use crate::stream::{OpenError, SendError};
use crate::{ErrorCode, StreamId};

use super::{Connection, Event, FlowControl, LocalError, Queued, Role};

/// How many octets of frames may wait for `poll_output` before `send_data` accepts no
/// more: the output side of backpressure.
pub(super) const OUTPUT_BOUND: usize = 256 * 1024;

/// PINGs of ours awaiting acknowledgment.
const MAX_PINGS_IN_FLIGHT: u32 = 16;

/// The content tracker for a message that declares `length`; a head that ends the
/// message at once must not declare content (RFC 9113 §8.1.1).
fn declared_body(length: BodyLength, end_stream: bool) -> Result<BodyTracker, BodyError> {
    let tracker = BodyTracker::new(length);
    if end_stream {
        tracker.on_end()?;
    }
    Ok(tracker)
}

fn not_writable(id: StreamId, e: SendError) -> LocalError {
    let _ = e;
    LocalError::StreamNotWritable(id)
}

/// A copy of a request head for the queue (`request::Parts` is not `Clone`).
fn copy_head(head: &request::Parts) -> request::Parts {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = head.method.clone();
    parts.uri = head.uri.clone();
    parts.version = head.version;
    parts.headers = head.headers.clone();
    if let Some(p) = head.extensions.get::<Protocol>() {
        parts.extensions.insert(p.clone());
    }
    parts
}

impl Connection {
    pub(super) fn flush_output(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.out.len();
        buf.extend_from_slice(&self.out);
        self.out.clear();
        self.budgets.pending_acks.reset();
        if n > 0 {
            self.wake_blocked();
        }
        n
    }

    /// Room left under [`OUTPUT_BOUND`].
    fn output_room(&self) -> usize {
        OUTPUT_BOUND.saturating_sub(self.out.len())
    }

    /// Emits [`Event::Writable`] for refused streams that can send again.
    pub(super) fn wake_blocked(&mut self) {
        if self.blocked.is_empty() {
            return;
        }
        let mut blocked = std::mem::take(&mut self.blocked);
        blocked.retain(|id| {
            if self.capacity(*id) > 0 {
                self.events.push_back(Event::Writable { stream: *id });
                false
            } else {
                true
            }
        });
        self.blocked = blocked;
    }

    /// HPACK-encodes `fields` and writes them as `HEADERS` + `CONTINUATION`s.
    fn write_fields<'a>(
        &mut self,
        id: StreamId,
        fields: impl Iterator<Item = Field<'a>>,
        end_stream: bool,
    ) {
        self.scratch.clear();
        self.encoder
            .encode(fields.map(|f| (f.name(), f.value())), &mut self.scratch);
        let max = self.peer_max_frame_size();
        let _ = frame::write_headers(&mut self.out, id, &self.scratch, end_stream, None, max);
    }

    fn check_open(&self) -> Result<(), LocalError> {
        if self.closed || self.shutdown != super::shutdown::Shutdown::Open {
            Err(LocalError::GoingAway)
        } else {
            Ok(())
        }
    }

    pub(super) fn request(
        &mut self,
        head: &request::Parts,
        end_stream: bool,
    ) -> Result<StreamId, LocalError> {
        if self.role != Role::Client {
            return Err(LocalError::WrongRole);
        }
        self.check_open()?;
        if self.goaway_received.is_some() {
            return Err(LocalError::GoingAway);
        }
        // Checked now so the caller hears at once; a queued request is checked again
        // when it goes, under the peer's SETTINGS in force then.
        self.check_request(head, end_stream)?;
        let extended = head.extensions.get::<Protocol>().is_some();
        let must_wait = extended && self.peer.is_none();
        if self.queue.is_empty() && !must_wait && self.streams.can_open_local() {
            if extended && !self.extended_connect().unwrap_or(false) {
                return Err(LocalError::ExtendedConnectUnsupported);
            }
            return self.open_request(head, end_stream);
        }
        // Queued: its id is the next one after those queued before it (ids stay in order).
        let queued = u32::try_from(self.queue.len()).map_err(|_| LocalError::QueueFull)?;
        let next = self
            .streams
            .ids()
            .next_local()
            .ok_or(LocalError::StreamIdsExhausted)?;
        let id = queued
            .checked_mul(2)
            .and_then(|skip| next.get().checked_add(skip))
            .and_then(StreamId::new)
            .ok_or(LocalError::StreamIdsExhausted)?;
        if self.queue.len() >= self.config.limits.max_queued_local_streams {
            return Err(LocalError::QueueFull);
        }
        self.queue.push_back(Queued {
            id,
            head: copy_head(head),
            end_stream,
            cancelled: false,
        });
        Ok(id)
    }

    /// Whether the peer would take this field section: its size against the peer's
    /// `SETTINGS_MAX_HEADER_LIST_SIZE` (RFC 9113 §6.5.2: unlimited until it says).
    fn check_list_size(&self, fields: &EncodedFields<'_>) -> Result<(), LocalError> {
        let size = fields.header_list_size();
        match self.peer.as_ref().and_then(|s| s.max_header_list_size) {
            Some(limit) if size > limit as usize => {
                Err(LocalError::HeaderListTooLarge { size, limit })
            }
            _ => Ok(()),
        }
    }

    /// Validates a request head and returns the tracker of the content it declares.
    fn check_request(
        &self,
        head: &request::Parts,
        end_stream: bool,
    ) -> Result<BodyTracker, LocalError> {
        let fields = fields::encode_request(head).map_err(LocalError::InvalidHead)?;
        self.check_list_size(&fields)?;
        let length = BodyLength::for_request(&head.method, &head.headers)
            .map_err(LocalError::InvalidContentLength)?;
        // No stream yet: the error names stream 0.
        declared_body(length, end_stream).map_err(|error| LocalError::ContentLength {
            stream: StreamId::ZERO,
            error,
        })
    }

    /// Opens the next stream with this request head; nothing is opened if the head
    /// fails its checks.
    fn open_request(
        &mut self,
        head: &request::Parts,
        end_stream: bool,
    ) -> Result<StreamId, LocalError> {
        let send_body = self.check_request(head, end_stream)?;
        let mut data = self.new_stream_data(Some(head.method.clone()));
        data.send_body = send_body;
        let id = match self.streams.open_local(end_stream, data) {
            Ok(id) => id,
            Err((OpenError::IdsExhausted, _)) => return Err(LocalError::StreamIdsExhausted),
            Err(_) => return Err(LocalError::GoingAway),
        };
        let fields = fields::encode_request(head).map_err(LocalError::InvalidHead)?;
        self.write_fields(id, fields, end_stream);
        Ok(id)
    }

    /// Sends queued requests while the peer's limit allows (RFC 9113 §5.1.2). An Extended
    /// CONNECT at the head waits for the server's SETTINGS, then goes or is refused.
    pub(super) fn pump_queue(&mut self) {
        while let Some(front) = self.queue.front() {
            if front.cancelled {
                let _ = self.queue.pop_front();
                let _ = self.streams.skip_local();
                continue;
            }
            if front.is_extended_connect() {
                match self.extended_connect() {
                    None => return,
                    Some(false) => {
                        if let Some(q) = self.queue.pop_front() {
                            // Burn its id so the ones promised after it stay right.
                            let _ = self.streams.skip_local();
                            self.events.push_back(Event::Refused {
                                stream: q.id,
                                reason: LocalError::ExtendedConnectUnsupported,
                            });
                        }
                        continue;
                    }
                    Some(true) => {}
                }
            }
            if !self.streams.can_open_local() {
                return;
            }
            let Some(q) = self.queue.pop_front() else {
                return;
            };
            match self.open_request(&q.head, q.end_stream) {
                Ok(id) => {
                    debug_assert_eq!(id, q.id);
                    // Its content could not be sent while it waited: say it can now.
                    if !q.end_stream {
                        self.events.push_back(Event::Writable { stream: id });
                    }
                }
                Err(reason) => {
                    // Not opened: burn its id so the ones promised after it stay right.
                    let _ = self.streams.skip_local();
                    self.events.push_back(Event::Refused {
                        stream: q.id,
                        reason,
                    });
                }
            }
        }
    }

    pub(super) fn response(
        &mut self,
        id: StreamId,
        head: &response::Parts,
        end_stream: bool,
    ) -> Result<(), LocalError> {
        if self.closed {
            return Err(LocalError::GoingAway);
        }
        let fields = fields::encode_response(head).map_err(LocalError::InvalidHead)?;
        let Some(method) = self.streams.get(id).map(|d| d.method.clone()) else {
            return Err(LocalError::UnknownStream(id));
        };
        self.check_list_size(&fields)?;
        let informational = head.status.is_informational();
        let send_body = if informational {
            None
        } else {
            let method = method.unwrap_or(Method::GET);
            let length = BodyLength::for_response(&method, head.status, &head.headers)
                .map_err(LocalError::InvalidContentLength)?;
            Some(
                declared_body(length, end_stream)
                    .map_err(|error| LocalError::ContentLength { stream: id, error })?,
            )
        };
        self.streams
            .send_headers(id, end_stream, informational)
            .map_err(|e| not_writable(id, e))?;
        if let (Some(tracker), Some(data)) = (send_body, self.streams.get_mut(id)) {
            data.send_body = tracker;
        }
        self.write_fields(id, fields, end_stream);
        self.forget_if_closed(id);
        Ok(())
    }

    pub(super) fn trailers(
        &mut self,
        id: StreamId,
        trailers: &HeaderMap,
    ) -> Result<(), LocalError> {
        if self.closed {
            return Err(LocalError::GoingAway);
        }
        let fields = fields::encode_trailers(trailers).map_err(LocalError::InvalidHead)?;
        let Some(send_body) = self.streams.get(id).map(|d| d.send_body) else {
            return Err(LocalError::UnknownStream(id));
        };
        self.check_list_size(&fields)?;
        // Checks the state first, so a stream that cannot send is not reset for this.
        self.streams
            .send_data(id, false)
            .map_err(|e| not_writable(id, e))?;
        if let Err(error) = send_body.on_end() {
            return Err(self.abort_short_content(id, error));
        }
        self.streams
            .send_headers(id, true, false)
            .map_err(|e| not_writable(id, e))?;
        self.write_fields(id, fields, true);
        self.forget_if_closed(id);
        Ok(())
    }

    pub(super) fn capacity(&self, id: StreamId) -> usize {
        if self.closed {
            return 0;
        }
        match (self.streams.get(id), self.streams.state(id)) {
            (Some(data), Some(state)) if state.can_send() => {
                let window = flow::sendable(self.conn_send, data.send, usize::MAX) as usize;
                window.min(self.output_room())
            }
            _ => 0,
        }
    }

    pub(super) fn data(
        &mut self,
        id: StreamId,
        data: &[u8],
        end_stream: bool,
    ) -> Result<usize, LocalError> {
        if self.closed {
            return Err(LocalError::GoingAway);
        }
        if self.streams.get(id).is_none() {
            return Err(if self.queue.iter().any(|q| q.id == id) {
                LocalError::StreamNotWritable(id)
            } else {
                LocalError::UnknownStream(id)
            });
        }
        // Checks the state (RFC 9113 §8.1: DATA only after the final head) without moving.
        self.streams
            .send_data(id, false)
            .map_err(|e| not_writable(id, e))?;
        // Our own Content-Length holds us too (RFC 9113 §8.1.1): refuse content beyond it,
        // and an end short of it.
        if let Some(stream) = self.streams.get(id) {
            let mut after = stream.send_body;
            if let Err(error) = after.on_data(data.len()) {
                return Err(LocalError::ContentLength { stream: id, error });
            }
            if end_stream && let Err(error) = after.on_end() {
                return Err(self.abort_short_content(id, error));
            }
        }
        let n = data.len().min(self.capacity(id));
        let fin = end_stream && n == data.len();
        if n == 0 && !fin {
            if !data.is_empty() && !self.blocked.contains(&id) {
                self.blocked.push(id);
            }
            return Ok(0);
        }
        let Some(accepted) = data.get(..n) else {
            return Ok(0);
        };
        let max = self.peer_max_frame_size() as usize;
        let mut chunks = accepted.chunks(max.max(1)).peekable();
        if chunks.peek().is_none() {
            let _ = frame::write_data(&mut self.out, id, &[], fin, None);
        }
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let _ = frame::write_data(&mut self.out, id, chunk, fin && last, None);
        }
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        if let Some(stream) = self.streams.get_mut(id) {
            let _ = flow::consume(&mut self.conn_send, &mut stream.send, n32);
            let _ = stream.send_body.on_data(n);
        }
        if n < data.len() && !self.blocked.contains(&id) {
            self.blocked.push(id);
        }
        if fin {
            let _ = self.streams.send_data(id, true);
            self.forget_if_closed(id);
        }
        Ok(n)
    }

    /// The application ended a message short of its Content-Length: nothing more is
    /// sent for it but `RST_STREAM` `INTERNAL_ERROR` (RFC 9113 §8.1.1: the peer must not
    /// see a malformed message complete), and [`Event::Reset`] tells the application.
    fn abort_short_content(&mut self, id: StreamId, error: BodyError) -> LocalError {
        if self.streams.send_reset(id).is_ok() {
            frame::write_rst_stream(&mut self.out, id, ErrorCode::INTERNAL_ERROR);
            self.events.push_back(Event::Reset {
                stream: id,
                code: ErrorCode::INTERNAL_ERROR,
                remote: false,
            });
        }
        self.forget(id);
        LocalError::ContentLength { stream: id, error }
    }

    pub(super) fn reset_by_app(&mut self, id: StreamId, code: ErrorCode) -> Result<(), LocalError> {
        if let Some(q) = self.queue.iter_mut().find(|q| q.id == id && !q.cancelled) {
            // Never sent: dropped when its turn comes, its id burnt so that the ids
            // promised after it stay right.
            q.cancelled = true;
            return Ok(());
        }
        if self.closed {
            return Err(LocalError::GoingAway);
        }
        if self.streams.get(id).is_none() {
            return Err(LocalError::UnknownStream(id));
        }
        self.streams
            .send_reset(id)
            .map_err(|e| not_writable(id, e))?;
        frame::write_rst_stream(&mut self.out, id, code);
        self.forget(id);
        Ok(())
    }

    /// Gives back `n` bytes of a stream's credit, and the same of the connection's. A
    /// forgotten stream already gave its connection credit back when it was dropped
    /// (`remove_stream`), so nothing is released twice.
    pub(super) fn release(&mut self, id: StreamId, n: u32) {
        let Some(stream) = self.streams.get_mut(id) else {
            return;
        };
        let n = stream.recv.release(n);
        if let Some(inc) = stream.recv.poll_window_update()
            && self
                .streams
                .state(id)
                .is_some_and(crate::stream::StreamState::can_recv)
        {
            frame::write_window_update(&mut self.out, id, inc);
        }
        self.conn_recv.release(n);
        self.announce_connection_window();
    }

    /// Auto flow control releases a `DATA` event's credit as it is taken; a `Request`
    /// taken settles the pending-accept reset budget.
    pub(super) fn on_event_taken(&mut self, event: &Event) {
        match event {
            Event::Data { stream, data, .. } if self.config.flow_control == FlowControl::Auto => {
                let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
                if n > 0 {
                    self.release(*stream, n);
                }
            }
            Event::Request { stream, .. } => {
                if let Some(data) = self.streams.get_mut(*stream) {
                    data.request_pending = false;
                }
                if let Some(pos) = self.unaccepted_resets.iter().position(|s| s == stream) {
                    self.unaccepted_resets.swap_remove(pos);
                    self.budgets.pending_accept_resets.decrement();
                }
            }
            _ => {}
        }
    }

    pub(super) fn send_ping(&mut self, payload: [u8; 8]) -> Result<(), LocalError> {
        if self.closed {
            return Err(LocalError::GoingAway);
        }
        if self.pings_in_flight >= MAX_PINGS_IN_FLIGHT {
            return Err(LocalError::TooManyPings);
        }
        self.pings_in_flight = self.pings_in_flight.saturating_add(1);
        frame::write_ping(&mut self.out, payload, false);
        Ok(())
    }

    /// The request method of a client stream (for the response's content rules).
    pub(super) fn request_method(&self, id: StreamId) -> Method {
        self.streams
            .get(id)
            .and_then(|d| d.method.clone())
            .unwrap_or(Method::GET)
    }
}
