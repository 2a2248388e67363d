//! Received bytes → frames → actions: the dispatch of every frame type but header blocks
//! (RFC 9113 §6), with flow control (§6.9) and the abuse budgets.

use std::time::Instant;

use bytes::Bytes;

use crate::frame::{self, Frame, FrameError, Incoming, Scope};
use crate::stream::{self, Action};
use crate::{ErrorCode, StreamId};

use super::{Connection, Error, Event, Role};

impl Connection {
    pub(super) fn recv_bytes(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.closed {
            return Ok(());
        }
        self.tick(now);
        self.reader.recv(data);
        loop {
            let result = match self.reader.next_frame() {
                Ok(None) => break,
                Ok(Some(frame)) => self.on_frame(now, frame),
                Err(e) => self.on_frame_error(e),
            };
            if let Err(e) = result {
                self.connection_error(e.clone());
                return Err(e);
            }
            if self.closed {
                break;
            }
        }
        Ok(())
    }

    fn on_frame_error(&mut self, e: FrameError) -> Result<(), Error> {
        match e.scope {
            // RFC 9113 §6.10: nothing may interrupt a header block, not even a bad frame.
            Scope::Stream(id) if self.assembler.open_stream().is_none() && self.peer.is_some() => {
                if self.streams.state(id) == Some(stream::StreamState::Idle) {
                    // An idle stream cannot be reset (§5.1); the frame is just dropped.
                    return Ok(());
                }
                self.stream_error(id, e.code)
            }
            _ => Err(Error::Frame(e)),
        }
    }

    fn on_frame(&mut self, now: Instant, frame: Frame) -> Result<(), Error> {
        if self.peer.is_none() && !matches!(&frame, Frame::Settings(s) if !s.is_ack()) {
            // RFC 9113 §3.4: the preface's SETTINGS must be the first frame.
            return Err(Error::Protocol {
                code: ErrorCode::PROTOCOL_ERROR,
                reason: "first frame is not SETTINGS (RFC 9113 §3.4)",
            });
        }
        match self.assembler.push(frame).map_err(Error::Frame)? {
            None => Ok(()),
            Some(Incoming::HeaderBlock(block)) => self.on_header_block(&block),
            Some(Incoming::Frame(frame)) => self.dispatch(now, frame),
        }
    }

    fn dispatch(&mut self, now: Instant, frame: Frame) -> Result<(), Error> {
        match frame {
            Frame::Data { .. } => self.on_data(now, frame),
            Frame::Priority { stream_id, .. } => {
                self.glitch(now)?;
                self.on_stream_frame(stream_id, stream::Frame::Priority)
                    .map(drop)
            }
            Frame::RstStream { stream_id, code } => self.on_rst_stream(now, stream_id, code),
            Frame::Settings(f) => self.on_settings(now, &f),
            Frame::Ping { ack, data } => self.on_ping(now, ack, data),
            Frame::GoAway {
                last_stream_id,
                code,
                debug_data,
            } => self.on_goaway(last_stream_id, code, debug_data),
            Frame::WindowUpdate {
                stream_id,
                increment,
            } => self.on_window_update(now, stream_id, increment),
            Frame::PriorityUpdate {
                prioritized_id,
                field_value,
            } => self.on_priority_update(prioritized_id, field_value),
            Frame::Unknown { .. } => self.glitch(now),
            // The assembler turns these into header blocks.
            Frame::Headers { .. } | Frame::PushPromise { .. } | Frame::Continuation { .. } => {
                Ok(())
            }
        }
    }

    /// An odd-but-legal frame (RFC 9113 §10.5): too many ⇒ `ENHANCE_YOUR_CALM`.
    pub(super) fn glitch(&mut self, now: Instant) -> Result<(), Error> {
        self.budgets.glitches.take(now).map_err(|_| Error::Limit {
            limit: "odd frames (glitches)",
        })
    }

    /// Runs the stream state machine; a violation is answered here. `Ok(None)` when the
    /// frame must not be processed further.
    fn on_stream_frame(
        &mut self,
        id: StreamId,
        frame: stream::Frame,
    ) -> Result<Option<Action>, Error> {
        match self.streams.recv(id, frame) {
            Ok(Action::Ignore) => Ok(None),
            Ok(action) => Ok(Some(action)),
            Err(v) => self.violation(id, v).map(|()| None),
        }
    }

    fn on_data(&mut self, now: Instant, frame: Frame) -> Result<(), Error> {
        let flow_len = frame.flow_controlled_len();
        let Frame::Data {
            stream_id: id,
            data,
            end_stream,
            ..
        } = frame
        else {
            return Ok(());
        };
        // RFC 9113 §6.9.1: every DATA counts against the connection window, whatever
        // becomes of it.
        self.conn_recv
            .recv_data(flow_len)
            .map_err(|e| violation_error(e.on(StreamId::ZERO)))?;
        self.tune_connection(now, flow_len);
        let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let padding = flow_len.saturating_sub(data_len);
        let action = self.on_stream_frame(id, stream::Frame::Data { end_stream })?;
        if action.is_none() {
            if self.streams.get(id).is_none() {
                self.glitch(now)?;
            }
            self.conn_recv.release(flow_len);
            self.announce_connection_window();
            return Ok(());
        }
        if data.is_empty() && !end_stream && self.budgets.empty_data.increment().is_err() {
            return Err(Error::Limit {
                limit: "empty DATA frames",
            });
        }
        let Some(stream) = self.streams.get_mut(id) else {
            return Ok(());
        };
        if let Err(e) = stream.recv.recv_data(flow_len) {
            self.conn_recv.release(flow_len);
            self.announce_connection_window();
            return self.violation(id, e.on(id));
        }
        if !end_stream {
            // A window that will take no more data is not worth growing.
            self.tune_stream(now, id, flow_len);
        }
        let Some(stream) = self.streams.get_mut(id) else {
            return Ok(());
        };
        let content = stream.body.on_data(data.len()).and_then(|()| {
            if end_stream {
                stream.body.on_end()
            } else {
                Ok(())
            }
        });
        if content.is_err() {
            // RFC 9113 §8.1.1: content not matching Content-Length is malformed. The
            // frame's connection credit comes back as the stream is dropped.
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        }
        // Padding is never the application's: give it back at once.
        if padding > 0 {
            self.release(id, padding);
        }
        if data.is_empty() {
            // Nothing for the application to consume, but still an event for END_STREAM.
            if !end_stream {
                self.forget_if_closed(id);
                return Ok(());
            }
        }
        self.events.push_back(Event::Data {
            stream: id,
            data,
            end_stream,
        });
        self.forget_if_closed(id);
        Ok(())
    }

    pub(super) fn announce_connection_window(&mut self) {
        if let Some(inc) = self.conn_recv.poll_window_update() {
            frame::write_window_update(&mut self.out, StreamId::ZERO, inc);
        }
    }

    fn on_rst_stream(&mut self, now: Instant, id: StreamId, code: ErrorCode) -> Result<(), Error> {
        let known = self.streams.get(id).is_some();
        // The stream's flag, not a scan of the event queue: O(1) whatever the backlog.
        let unaccepted = self.streams.get(id).is_some_and(|d| d.request_pending);
        let Some(_) = self.on_stream_frame(id, stream::Frame::RstStream)? else {
            return self.glitch(now);
        };
        // Rapid Reset (CVE-2023-44487): the rate of peer resets is bounded.
        self.budgets
            .peer_resets
            .take(now)
            .map_err(|_| Error::Limit {
                limit: "stream resets (rapid reset)",
            })?;
        if unaccepted {
            self.budgets
                .pending_accept_resets
                .increment()
                .map_err(|_| Error::Limit {
                    limit: "streams reset before being accepted",
                })?;
            self.unaccepted_resets.push(id);
        }
        if known {
            self.events.push_back(Event::Reset {
                stream: id,
                code,
                remote: true,
            });
        }
        self.forget(id);
        Ok(())
    }

    fn on_window_update(
        &mut self,
        now: Instant,
        id: StreamId,
        increment: u32,
    ) -> Result<(), Error> {
        if id.is_zero() {
            self.conn_send
                .recv_window_update(increment)
                .map_err(|e| violation_error(e.on(StreamId::ZERO)))?;
            self.wake_blocked();
            return Ok(());
        }
        let Some(_) = self.on_stream_frame(id, stream::Frame::WindowUpdate)? else {
            return self.glitch(now);
        };
        let Some(stream) = self.streams.get_mut(id) else {
            return Ok(());
        };
        if let Err(e) = stream.send.recv_window_update(increment) {
            return self.violation(id, e.on(id));
        }
        self.wake_blocked();
        Ok(())
    }

    fn on_ping(&mut self, now: Instant, ack: bool, data: [u8; 8]) -> Result<(), Error> {
        if ack {
            if !self.on_rtt_ping(now, data) && !self.on_shutdown_ping(data) {
                self.pings_in_flight = self.pings_in_flight.saturating_sub(1);
                self.events.push_back(Event::PingAck { payload: data });
            }
            return Ok(());
        }
        // RFC 9113 §6.7: answer with the same payload; a peer that does not read its
        // acknowledgments cannot grow our output without bound.
        self.budgets
            .pending_acks
            .increment()
            .map_err(|_| Error::Limit {
                limit: "pending SETTINGS/PING acknowledgements",
            })?;
        frame::write_ping(&mut self.out, data, true);
        Ok(())
    }

    /// RFC 9218 §7.1: only clients send `PRIORITY_UPDATE`, about request streams.
    fn on_priority_update(&mut self, id: StreamId, value: Bytes) -> Result<(), Error> {
        if self.role == Role::Client || !id.is_client_initiated() {
            return Err(Error::Protocol {
                code: ErrorCode::PROTOCOL_ERROR,
                reason: "PRIORITY_UPDATE not about a request stream (RFC 9218 §7.1)",
            });
        }
        self.events
            .push_back(Event::PriorityUpdate { stream: id, value });
        Ok(())
    }
}

/// A connection-scope violation as the connection's error.
pub(super) fn violation_error(v: stream::Violation) -> Error {
    Error::Protocol {
        code: v.code,
        reason: super::shutdown::reason_str(v.reason),
    }
}
