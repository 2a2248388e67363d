//! The HTTP/2 connection machine (RFC 9113), client and server.
//!
//! One [`Connection`] type serves both roles. It reads bytes with [`Connection::recv`],
//! queues frames for [`Connection::poll_output`] and reports what happened through
//! [`Connection::poll_event`]; it never touches a socket or a clock. The work is split by
//! concern: `recv` (frame dispatch, `DATA`, `RST_STREAM`, `WINDOW_UPDATE`, `PING`),
//! `headers` (HPACK decoding into the `stator-http` builders and the message rules of
//! RFC 9113 §8.1), `send` (application writes and the output buffer), `settings` (the
//! SETTINGS exchange and its timer) and `shutdown` (`GOAWAY` and closing).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, request, response};
use stator_http::body::{BodyLength, BodyTracker};
use stator_http::ext::Protocol;

use crate::budget::Budgets;
use crate::flow::{RecvWindow, ReleasePolicy, SendWindow, WindowTuner};
use crate::frame::{FrameLimits, FrameReader, HeaderBlockAssembler, Settings};
use crate::stream::StreamTable;
use crate::{ErrorCode, Limits, StreamId};

mod error;
mod headers;
mod recv;
mod send;
mod settings;
mod shutdown;
#[cfg(test)]
mod tests;
mod tuning;

pub use error::{Error, LocalError};

/// Which end of the connection this machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Opens odd-numbered streams and sends requests.
    Client,
    /// Receives requests (and checks the connection preface).
    Server,
}

/// When received DATA gives flow-control credit back to the peer (RFC 9113 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    /// The credit of a [`Event::Data`] is released when the event is polled: simple, but
    /// an application that buffers what it reads has no backpressure.
    #[default]
    Auto,
    /// Credit is released only by [`Connection::release_capacity`], as the application
    /// consumes the data: a slow reader stops its own stream's sender, and only it.
    Manual,
}

/// How a connection is set up.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// Resource bounds and anti-DoS budgets.
    pub limits: Limits,
    /// Server: the `:protocol` values accepted in Extended CONNECT requests (RFC 8441 §4).
    /// Non-empty ⇒ `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` is advertised (RFC 8441 §3); a
    /// request with an unlisted protocol is answered `501` by the machine. Empty (the
    /// default) ⇒ the setting is not sent and `:protocol` is malformed. Ignored by clients.
    pub connect_protocols: Vec<Protocol>,
    /// When received data releases flow-control credit.
    pub flow_control: FlowControl,
    /// Grow receive windows while the peer fills them within one round trip, up to
    /// [`Limits::max_stream_window`] and [`Limits::max_connection_window`]; the round trip
    /// is measured with `PING`s the machine sends itself (never reported as
    /// [`Event::PingAck`]). Default off: windows stay at
    /// [`Limits::initial_stream_window`] and [`Limits::connection_window`].
    pub window_auto_tuning: bool,
}

/// Something that happened on the connection, in the order it happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Server: a request head arrived on a new stream. An Extended CONNECT request carries
    /// its [`Protocol`] in `head.extensions`. `end_stream`: no content follows.
    Request {
        /// The stream the request opened.
        stream: StreamId,
        /// The request head (`version` is HTTP/2).
        head: request::Parts,
        /// The request has no content and no trailers.
        end_stream: bool,
    },
    /// Client: an interim (1xx) response head (RFC 9113 §8.1).
    Informational {
        /// The request's stream.
        stream: StreamId,
        /// The interim head.
        head: response::Parts,
    },
    /// Client: the final response head.
    Response {
        /// The request's stream.
        stream: StreamId,
        /// The response head.
        head: response::Parts,
        /// The response has no content and no trailers.
        end_stream: bool,
    },
    /// Content of a request or response (or the bytes of an Extended CONNECT tunnel), a
    /// slice of the received buffer. Its flow-control credit is released per
    /// [`Config::flow_control`].
    Data {
        /// The stream.
        stream: StreamId,
        /// The bytes (padding removed).
        data: Bytes,
        /// This is the last of the stream's content, and no trailers follow.
        end_stream: bool,
    },
    /// The trailer section, which ends the stream's received side.
    Trailers {
        /// The stream.
        stream: StreamId,
        /// The trailer fields.
        trailers: HeaderMap,
    },
    /// The stream ended abnormally: the peer sent `RST_STREAM`, or we did because it broke
    /// a stream-level rule (a malformed message, a stream flow-control error, …).
    Reset {
        /// The stream.
        stream: StreamId,
        /// The error code on the `RST_STREAM`.
        code: ErrorCode,
        /// `true` if the peer reset the stream, `false` if this machine did.
        remote: bool,
    },
    /// Client: a request could not be sent and was dropped locally; nothing reached the
    /// peer (for instance Extended CONNECT to a server that did not advertise it, so the
    /// caller can fall back to HTTP/1.1).
    Refused {
        /// The stream id the request had been given.
        stream: StreamId,
        /// Why.
        reason: LocalError,
    },
    /// More data can be sent on this stream ([`Connection::send_capacity`] grew after a
    /// [`Connection::send_data`] accepted less than offered).
    Writable {
        /// The stream.
        stream: StreamId,
    },
    /// The peer's SETTINGS were received and applied (the first time: the connection is
    /// established; a client now knows whether Extended CONNECT is available).
    Settings(Settings),
    /// A `PRIORITY_UPDATE` frame (RFC 9218 §7.1): the Priority Field Value for a stream.
    PriorityUpdate {
        /// The prioritized stream.
        stream: StreamId,
        /// The Priority Field Value (RFC 9218 §4), unparsed.
        value: Bytes,
    },
    /// A `PING` we sent was acknowledged (measure round-trip time with it).
    PingAck {
        /// The opaque data of the ping.
        payload: [u8; 8],
    },
    /// The peer sent `GOAWAY`: streams above `last_stream_id` were not processed and may
    /// be retried on a new connection; no new streams may be opened here.
    GoAway {
        /// The last stream the peer may have processed.
        last_stream_id: StreamId,
        /// Why the peer is closing.
        code: ErrorCode,
        /// Debug data, opaque.
        debug_data: Bytes,
    },
    /// The connection is over: flush [`Connection::poll_output`] and close the transport.
    /// `error` is what ended it, if it did not end gracefully.
    Closed {
        /// The connection error, sent or received, if any.
        error: Option<Error>,
    },
}

/// A sans-IO HTTP/2 connection, client or server.
///
/// Drive it with four verbs: feed received bytes to [`recv`](Self::recv), write what
/// [`poll_output`](Self::poll_output) returns, handle what [`poll_event`](Self::poll_event)
/// returns, and call [`handle_timeout`](Self::handle_timeout) at
/// [`poll_timeout`](Self::poll_timeout). After any call that takes input (`recv`,
/// `handle_timeout`, `recv_eof`) or sends (`send_*`, `ping`, `goaway`), poll both output
/// and events again.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: Config,
    reader: FrameReader,
    assembler: HeaderBlockAssembler,
    decoder: stator_hpack::Decoder,
    encoder: stator_hpack::Encoder,
    http_limits: stator_http::fields::Limits,
    streams: StreamTable<StreamData>,
    budgets: Budgets,
    /// The SETTINGS we sent, in force once acknowledged.
    local: Settings,
    /// Our SETTINGS as the peer has acknowledged them (RFC 9113 §6.5.3).
    local_acked: Settings,
    /// Our SETTINGS await their ACK; the deadline starts with the first `now` we see.
    settings_ack_pending: bool,
    settings_deadline: Option<Instant>,
    /// The peer's SETTINGS, once its first frame arrived.
    peer: Option<Settings>,
    conn_send: SendWindow,
    conn_recv: RecvWindow,
    /// Frames waiting for `poll_output`: one buffer, reused.
    out: Vec<u8>,
    /// HPACK encoding scratch space, reused.
    scratch: Vec<u8>,
    events: VecDeque<Event>,
    /// Client requests not yet sent: over the peer's concurrency limit, or Extended
    /// CONNECT waiting for the server's SETTINGS. FIFO, ids assigned in order.
    queue: VecDeque<Queued>,
    /// Streams whose `send_data` accepted less than offered: they get `Writable`.
    blocked: Vec<StreamId>,
    /// Peer-reset streams whose `Request` event is still queued.
    unaccepted_resets: Vec<StreamId>,
    /// Our PINGs not yet acknowledged.
    pings_in_flight: u32,
    /// Receive-window auto-tuning, if on.
    tuning: Option<tuning::Tuning>,
    shutdown: shutdown::Shutdown,
    /// The last-stream-id of the peer's latest `GOAWAY`.
    goaway_received: Option<StreamId>,
    /// Field counts of the last section received, to pre-size the next builder.
    head_hint: usize,
    trailer_hint: usize,
    now: Option<Instant>,
    error: Option<Error>,
    closed: bool,
}

/// What the connection keeps per stream.
#[derive(Debug)]
struct StreamData {
    send: SendWindow,
    recv: RecvWindow,
    /// The received message's content, held to its Content-Length (RFC 9113 §8.1.1).
    body: BodyTracker,
    /// The request's method: ours (client) or the peer's (server); it decides the
    /// response's content rules (RFC 9110 §6.4.1).
    method: Option<Method>,
    /// The content we send, held to our own Content-Length (RFC 9113 §8.1.1).
    send_body: BodyTracker,
    /// Server: the stream's [`Event::Request`] is queued and not yet polled (the
    /// application has not accepted the stream).
    request_pending: bool,
    /// Grows the receive window, with [`Config::window_auto_tuning`].
    tuner: Option<WindowTuner>,
}

impl Default for StreamData {
    fn default() -> Self {
        StreamData {
            send: SendWindow::new(0),
            recv: RecvWindow::new(0, 0, ReleasePolicy::Manual),
            body: BodyTracker::new(BodyLength::UntilEnd),
            method: None,
            send_body: BodyTracker::new(BodyLength::UntilEnd),
            request_pending: false,
            tuner: None,
        }
    }
}

/// A client request waiting to be sent, with the id it was promised.
#[derive(Debug)]
struct Queued {
    id: StreamId,
    head: request::Parts,
    end_stream: bool,
    /// The application reset it before it was sent.
    cancelled: bool,
}

impl Queued {
    fn is_extended_connect(&self) -> bool {
        self.head.extensions.get::<Protocol>().is_some()
    }
}

impl Connection {
    /// A client connection: the connection preface and our SETTINGS are queued for
    /// output at once (RFC 9113 §3.4).
    pub fn client(config: Config) -> Connection {
        Connection::new(Role::Client, config)
    }

    /// A server connection: it expects the client's preface first, and queues its own
    /// SETTINGS (RFC 9113 §3.4).
    pub fn server(config: Config) -> Connection {
        Connection::new(Role::Server, config)
    }

    fn new(role: Role, config: Config) -> Connection {
        let limits = &config.limits;
        let local = settings::local_settings(role, &config);
        let frame_limits = FrameLimits {
            max_frame_size: crate::frame::DEFAULT_MAX_FRAME_SIZE,
            max_header_block_size: limits.max_header_block_size as usize,
            max_continuation_frames: limits.max_continuation_frames,
        };
        let reader = match role {
            Role::Client => FrameReader::new(frame_limits.max_frame_size),
            Role::Server => FrameReader::server(frame_limits.max_frame_size),
        };
        let list = limits.max_header_list_size as usize;
        let hpack_limits = stator_hpack::Limits {
            // The peer may use the protocol's 4,096 until it has seen our setting.
            max_table_size: (limits.header_table_size as usize)
                .max(stator_hpack::DEFAULT_TABLE_SIZE),
            // Twice the list limit: lists between the two are malformed messages (a stream
            // error), beyond it an HPACK bomb that is not worth decoding (connection error).
            max_header_list_size: list.saturating_mul(2),
            ..stator_hpack::Limits::default()
        };
        let stream_role = match role {
            Role::Client => crate::stream::Role::Client,
            Role::Server => crate::stream::Role::Server,
        };
        let mut conn = Connection {
            role,
            reader,
            assembler: HeaderBlockAssembler::new(frame_limits),
            decoder: stator_hpack::Decoder::new(hpack_limits),
            encoder: stator_hpack::Encoder::default(),
            http_limits: stator_http::fields::Limits::default().with_max_header_list_size(list),
            streams: StreamTable::new(stream_role, limits),
            budgets: Budgets::new(limits),
            local,
            local_acked: Settings::DEFAULT,
            settings_ack_pending: true,
            settings_deadline: None,
            peer: None,
            conn_send: SendWindow::new(crate::flow::PROTOCOL_INITIAL_WINDOW),
            conn_recv: RecvWindow::new(
                limits.connection_window,
                limits.connection_window,
                ReleasePolicy::Manual,
            ),
            out: Vec::with_capacity(send::OUTPUT_BOUND),
            scratch: Vec::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            blocked: Vec::new(),
            unaccepted_resets: Vec::new(),
            pings_in_flight: 0,
            tuning: config
                .window_auto_tuning
                .then(|| tuning::Tuning::new(limits.max_connection_window)),
            shutdown: shutdown::Shutdown::Open,
            goaway_received: None,
            head_hint: 0,
            trailer_hint: 0,
            now: None,
            error: None,
            closed: false,
            config,
        };
        conn.queue_preface();
        conn
    }

    /// The configuration this connection was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Feeds bytes received from the transport, in any chunking. `now` drives the
    /// rate budgets and timers. A connection error queues `GOAWAY` and is returned (and
    /// reported by [`Event::Closed`]); later input is ignored.
    ///
    /// Poll [`poll_output`](Self::poll_output) and [`poll_event`](Self::poll_event)
    /// afterwards.
    pub fn recv(&mut self, now: Instant, data: &[u8]) -> Result<(), Error> {
        self.recv_bytes(now, data)
    }

    /// The transport's read side ended: [`Event::Closed`] follows, with
    /// [`Error::TransportClosed`] if streams were still active.
    pub fn recv_eof(&mut self) {
        self.on_eof();
    }

    /// Appends everything queued for the transport to `buf`; returns how many bytes.
    /// Room in the output bound may make streams [`Event::Writable`]: poll events after.
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_output(&mut self, buf: &mut Vec<u8>) -> usize {
        self.flush_output(buf)
    }

    /// The next event, if any. With [`FlowControl::Auto`], taking an [`Event::Data`]
    /// releases its flow-control credit (queue output may follow: poll it).
    #[must_use = "events must be handled"]
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        self.on_event_taken(&event);
        Some(event)
    }

    /// When [`Connection::handle_timeout`] must be called next, if ever: the SETTINGS
    /// acknowledgment timeout (RFC 9113 §6.5.3) and the graceful shutdown's deadlines
    /// (§6.8). Timers start at the first `now` the connection is given. Poll it again
    /// after every call that takes input or sends.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let settings = self.settings_deadline.filter(|_| self.settings_ack_pending);
        match (settings, self.shutdown.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the timers due at `now`: our SETTINGS unacknowledged past
    /// [`Limits::settings_ack_timeout`] ⇒ `GOAWAY` `SETTINGS_TIMEOUT`; during a graceful
    /// shutdown, the drain PING unanswered past [`Limits::shutdown_ping_timeout`] ⇒ the
    /// final `GOAWAY` anyway, and streams still active past
    /// [`Limits::shutdown_drain_timeout`] ⇒ each reset with `CANCEL`, then
    /// [`Event::Closed`].
    pub fn handle_timeout(&mut self, now: Instant) {
        self.on_timeout(now);
    }

    /// Client: sends a request head on a new stream and returns the stream's id. If the
    /// peer's `MAX_CONCURRENT_STREAMS` is reached, the request is queued and sent when a
    /// stream closes (ids stay in order). An Extended CONNECT request (a CONNECT with a
    /// [`Protocol`] extension) waits for the server's SETTINGS and is
    /// [`Event::Refused`] if they do not enable it (RFC 8441 §3).
    ///
    /// While a request waits in the queue, [`send_data`](Self::send_data) on its stream
    /// fails with [`LocalError::StreamNotWritable`]; an [`Event::Writable`] for the stream
    /// says when its head went out and content can follow. A stream the server refuses
    /// (`RST_STREAM` `REFUSED_STREAM`, for instance when requests were sent before its
    /// SETTINGS lowered the limit) is reported as [`Event::Reset`] and not retried: the
    /// request was not processed (RFC 9113 §8.7), so the application may send it again.
    pub fn send_request(
        &mut self,
        head: &request::Parts,
        end_stream: bool,
    ) -> Result<StreamId, LocalError> {
        self.request(head, end_stream)
    }

    /// Server: sends a response head, interim (1xx, `end_stream` false) or final.
    pub fn send_response(
        &mut self,
        stream: StreamId,
        head: &response::Parts,
        end_stream: bool,
    ) -> Result<(), LocalError> {
        if self.role != Role::Server {
            return Err(LocalError::WrongRole);
        }
        self.response(stream, head, end_stream)
    }

    /// Sends content on a stream: as much of `data` as the flow-control windows and the
    /// output bound allow now. Returns how many bytes were accepted; `end_stream` takes
    /// effect only if all of `data` was. When fewer were accepted, [`Event::Writable`]
    /// says when to try again. `DATA` frames are cut at the peer's
    /// `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §4.2, §6.9).
    pub fn send_data(
        &mut self,
        stream: StreamId,
        data: &[u8],
        end_stream: bool,
    ) -> Result<usize, LocalError> {
        self.data(stream, data, end_stream)
    }

    /// Sends a trailer section, which ends the stream's sending side.
    pub fn send_trailers(
        &mut self,
        stream: StreamId,
        trailers: &HeaderMap,
    ) -> Result<(), LocalError> {
        self.trailers(stream, trailers)
    }

    /// Resets a stream with `code` (`CANCEL` for a request no longer wanted). A request
    /// still queued is dropped without reaching the peer.
    pub fn send_reset(&mut self, stream: StreamId, code: ErrorCode) -> Result<(), LocalError> {
        self.reset_by_app(stream, code)
    }

    /// How many bytes [`Connection::send_data`] would accept on `stream` now.
    pub fn send_capacity(&self, stream: StreamId) -> usize {
        self.capacity(stream)
    }

    /// [`FlowControl::Manual`]: gives back `n` bytes of flow-control credit on `stream`
    /// (and the connection), as the application consumes data. When a stream closes or
    /// is reset, whatever it still held goes back to the connection window at once, so
    /// releasing on a stream that is gone does nothing (RFC 9113 §6.9).
    pub fn release_capacity(&mut self, stream: StreamId, n: usize) -> Result<(), LocalError> {
        self.release(stream, u32::try_from(n).unwrap_or(u32::MAX));
        Ok(())
    }

    /// Sends a `PING`; its acknowledgment comes back as [`Event::PingAck`].
    pub fn ping(&mut self, payload: [u8; 8]) -> Result<(), LocalError> {
        self.send_ping(payload)
    }

    /// Starts closing. With `NO_ERROR` the shutdown is graceful and two-phase (RFC 9113
    /// §6.8): a `GOAWAY` with the maximum stream id, then, after a round trip, one with
    /// the last stream actually accepted; streams in flight finish, new ones are refused,
    /// and [`Event::Closed`] follows when all are done. Two timers bound it (see
    /// [`handle_timeout`](Self::handle_timeout)): a peer that never answers the PING, or
    /// streams that never finish, cannot hold the connection open. Any other code closes
    /// at once.
    pub fn goaway(&mut self, code: ErrorCode, debug_data: &[u8]) {
        self.start_goaway(code, debug_data);
    }

    /// The peer's settings, once its first SETTINGS frame arrived.
    pub fn peer_settings(&self) -> Option<&Settings> {
        self.peer.as_ref()
    }

    /// Client: whether the server enabled Extended CONNECT (RFC 8441 §3); `None` until
    /// its SETTINGS arrived.
    pub fn extended_connect(&self) -> Option<bool> {
        self.peer.as_ref().map(|s| s.enable_connect_protocol)
    }

    /// Whether the connection is over (after [`Event::Closed`]).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Streams currently open or half-closed, ours and the peer's.
    pub fn active_streams(&self) -> usize {
        let n = self
            .streams
            .active_local()
            .saturating_add(self.streams.active_peer());
        n as usize
    }

    /// Client requests queued behind the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` (or
    /// waiting for its SETTINGS).
    pub fn queued_requests(&self) -> usize {
        self.queue.len()
    }

    /// The peer's `SETTINGS_MAX_FRAME_SIZE` in force for our frames.
    fn peer_max_frame_size(&self) -> u32 {
        self.peer
            .as_ref()
            .map_or(crate::frame::DEFAULT_MAX_FRAME_SIZE, |s| s.max_frame_size)
    }

    /// The peer's `SETTINGS_INITIAL_WINDOW_SIZE` for new streams' send windows.
    fn peer_initial_window(&self) -> u32 {
        self.peer
            .as_ref()
            .map_or(crate::flow::PROTOCOL_INITIAL_WINDOW, |s| {
                s.initial_window_size
            })
    }

    /// Per-stream data for a new stream, with the windows in force now.
    fn new_stream_data(&self, method: Option<Method>) -> StreamData {
        let recv = self.local_acked.initial_window_size;
        StreamData {
            send: SendWindow::new(self.peer_initial_window()),
            recv: RecvWindow::new(recv, recv, ReleasePolicy::Manual),
            body: BodyTracker::new(BodyLength::UntilEnd),
            method,
            send_body: BodyTracker::new(BodyLength::UntilEnd),
            request_pending: false,
            tuner: self
                .tuning
                .as_ref()
                .map(|t| t.stream_tuner(self.config.limits.max_stream_window)),
        }
    }
}
