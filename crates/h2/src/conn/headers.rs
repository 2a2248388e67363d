//! Header blocks: HPACK decoding (always, to keep the decoder's table in step with the
//! peer's encoder, RFC 9113 §4.3) into the `stator-http` builders, then the message rules
//! of RFC 9113 §8.1 (informational responses, trailers, Content-Length) and Extended
//! CONNECT (RFC 8441 §4).

use http::{HeaderMap, StatusCode, Version, request, response};
use stator_http::body::{BodyLength, BodyTracker};
use stator_http::ext::Protocol;
use stator_http::fields::{
    FieldError, FieldSink, RequestBuilder, ResponseBuilder, TrailersBuilder,
};

use crate::ErrorCode;
use crate::frame::{BlockKind, HeaderBlock};
use crate::stream::{self, Action, Phase, StreamState};

use super::{Connection, Error, Event, Role};

/// A sink for header blocks nobody will read (a frame on a closed stream): decoding still
/// updates the HPACK table.
struct Discard;

impl FieldSink for Discard {
    fn push(&mut self, _name: &[u8], _value: &[u8]) -> Result<(), FieldError> {
        Ok(())
    }
}

/// What a decoded block is, by role and the stream's receive phase.
enum Decoded {
    Request(Result<request::Parts, FieldError>),
    Response(Result<response::Parts, FieldError>),
    Trailers(Result<HeaderMap, FieldError>),
    Discarded,
}

impl Connection {
    pub(super) fn on_header_block(&mut self, block: &HeaderBlock) -> Result<(), Error> {
        let BlockKind::Headers { end_stream, .. } = block.kind else {
            // RFC 9113 §8.4: we sent ENABLE_PUSH = 0 (and clients never push).
            return Err(Error::Protocol {
                code: ErrorCode::PROTOCOL_ERROR,
                reason: "PUSH_PROMISE while push is disabled (RFC 9113 §8.4)",
            });
        };
        let id = block.stream_id;
        let decoded = self.decode(block)?;
        let informational =
            matches!(&decoded, Decoded::Response(Ok(h)) if h.status.is_informational());
        let frame = stream::Frame::Headers {
            end_stream,
            informational,
        };
        let action = match self.streams.recv(id, frame) {
            Ok(Action::Ignore) => {
                let now = self.now;
                if let Some(now) = now {
                    self.glitch(now)?;
                }
                return Ok(());
            }
            Ok(action) => action,
            Err(v) => return self.violation(id, v),
        };
        if action == Action::Opened {
            let data = self.new_stream_data(None);
            if let Some(slot) = self.streams.get_mut(id) {
                *slot = data;
            }
        }
        if let Some(e) = block.stream_error {
            return self.stream_error(id, e.code);
        }
        match decoded {
            Decoded::Request(head) => self.on_request(id, head, end_stream),
            Decoded::Response(head) => self.on_response(id, head, end_stream),
            Decoded::Trailers(trailers) => self.on_trailers(id, trailers),
            Decoded::Discarded => self.stream_error(id, ErrorCode::PROTOCOL_ERROR),
        }?;
        self.forget_if_closed(id);
        Ok(())
    }

    /// Decodes the block into the builder the stream's state calls for.
    fn decode(&mut self, block: &HeaderBlock) -> Result<Decoded, Error> {
        let id = block.stream_id;
        let phase = match self.streams.state(id) {
            Some(StreamState::Idle) if self.role == Role::Server => None,
            Some(StreamState::Open { recv, .. } | StreamState::HalfClosedLocal { recv }) => {
                Some(recv)
            }
            _ => {
                let _ = self.hpack(block, &mut Discard)?;
                return Ok(Decoded::Discarded);
            }
        };
        let limits = self.http_limits;
        Ok(match (self.role, phase) {
            (_, Some(Phase::Body)) => {
                let mut b = TrailersBuilder::new(&limits);
                let r = self.hpack(block, &mut b)?;
                Decoded::Trailers(r.and_then(|()| b.finish()))
            }
            (Role::Server, _) => {
                let mut b = RequestBuilder::new(Version::HTTP_2, &limits)
                    .with_extended_connect(self.local.enable_connect_protocol)
                    .with_capacity(self.head_hint);
                let r = self.hpack(block, &mut b)?;
                self.head_hint = b.field_count();
                Decoded::Request(r.and_then(|()| b.finish()))
            }
            (Role::Client, _) => {
                let mut b =
                    ResponseBuilder::new(Version::HTTP_2, &limits).with_capacity(self.head_hint);
                let r = self.hpack(block, &mut b)?;
                self.head_hint = b.field_count();
                Decoded::Response(r.and_then(|()| b.finish()))
            }
        })
    }

    /// HPACK errors are connection errors (RFC 9113 §4.3): `COMPRESSION_ERROR`, or
    /// `ENHANCE_YOUR_CALM` for a decoder limit (the HPACK bomb). A dynamic table size
    /// update above our `SETTINGS_HEADER_TABLE_SIZE` is a decoding error, not a resource
    /// limit (RFC 7541 §4.2: "MUST treat ... as a decoding error"; §6.3), so it is
    /// `COMPRESSION_ERROR` too.
    fn hpack<S: FieldSink>(
        &mut self,
        block: &HeaderBlock,
        sink: &mut S,
    ) -> Result<Result<(), FieldError>, Error> {
        self.decoder.decode_into(&block.block, sink).map_err(|e| {
            let decoding = matches!(e, stator_hpack::Error::SizeUpdateAboveLimit { .. });
            if e.is_limit() && !decoding {
                Error::Limit {
                    limit: "decoded header list (HPACK)",
                }
            } else {
                Error::Protocol {
                    code: ErrorCode::COMPRESSION_ERROR,
                    reason: "HPACK decoding failed (RFC 7541)",
                }
            }
        })
    }

    fn on_request(
        &mut self,
        id: crate::StreamId,
        head: Result<request::Parts, FieldError>,
        end_stream: bool,
    ) -> Result<(), Error> {
        let head = match head {
            Ok(head) => head,
            Err(FieldError::HeaderListTooLarge { .. }) => {
                self.auto_respond(id, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, end_stream);
                return Ok(());
            }
            // RFC 9113 §8.1.1: malformed ⇒ stream error PROTOCOL_ERROR.
            Err(_) => return self.stream_error(id, ErrorCode::PROTOCOL_ERROR),
        };
        if let Some(protocol) = head.extensions.get::<Protocol>()
            && !self.config.connect_protocols.contains(protocol)
        {
            // RFC 8441 §4, RFC 9220 §3: a protocol we do not serve.
            self.auto_respond(id, StatusCode::NOT_IMPLEMENTED, end_stream);
            return Ok(());
        }
        let Ok(length) = BodyLength::for_request(&head.method, &head.headers) else {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        };
        if !self.track_body(id, length, end_stream) {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        }
        if let Some(data) = self.streams.get_mut(id) {
            data.request_pending = true;
            // The response's content rules depend on it (RFC 9110 §6.4.1: HEAD).
            data.method = Some(head.method.clone());
        }
        self.events.push_back(Event::Request {
            stream: id,
            head,
            end_stream,
        });
        Ok(())
    }

    /// Starts counting the content; `false` if the head already contradicts it.
    fn track_body(&mut self, id: crate::StreamId, length: BodyLength, end_stream: bool) -> bool {
        let tracker = BodyTracker::new(length);
        if end_stream && tracker.on_end().is_err() {
            return false;
        }
        if let Some(data) = self.streams.get_mut(id) {
            data.body = tracker;
        }
        true
    }

    /// The machine answers a request itself (501 for an unserved `:protocol`, 431 for an
    /// oversized header list) with `END_STREAM`, and stops the request side with
    /// `RST_STREAM` `NO_ERROR` if it is still open (RFC 9113 §8.1). No event.
    fn auto_respond(&mut self, id: crate::StreamId, status: StatusCode, end_stream: bool) {
        let (mut head, ()) = http::Response::new(()).into_parts();
        head.status = status;
        let _ = self.response(id, &head, true);
        if !end_stream && self.streams.get(id).is_some() {
            crate::frame::write_rst_stream(&mut self.out, id, ErrorCode::NO_ERROR);
            let _ = self.streams.send_reset(id);
            self.forget(id);
        }
    }

    fn on_response(
        &mut self,
        id: crate::StreamId,
        head: Result<response::Parts, FieldError>,
        end_stream: bool,
    ) -> Result<(), Error> {
        let Ok(head) = head else {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        };
        if head.status.is_informational() {
            self.events
                .push_back(Event::Informational { stream: id, head });
            return Ok(());
        }
        let method = self.request_method(id);
        let Ok(length) = BodyLength::for_response(&method, head.status, &head.headers) else {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        };
        if !self.track_body(id, length, end_stream) {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        }
        self.events.push_back(Event::Response {
            stream: id,
            head,
            end_stream,
        });
        Ok(())
    }

    fn on_trailers(
        &mut self,
        id: crate::StreamId,
        trailers: Result<HeaderMap, FieldError>,
    ) -> Result<(), Error> {
        let Ok(trailers) = trailers else {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        };
        // Trailers end the stream (the state machine checked END_STREAM): the content
        // must be complete (RFC 9113 §8.1.1).
        if self
            .streams
            .get(id)
            .is_some_and(|d| d.body.on_end().is_err())
        {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        }
        self.trailer_hint = trailers.len();
        self.events.push_back(Event::Trailers {
            stream: id,
            trailers,
        });
        Ok(())
    }
}
