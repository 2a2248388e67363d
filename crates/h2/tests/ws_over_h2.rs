//! WebSocket over HTTP/2 (RFC 8441) end to end: a stator-h2 client and server joined in
//! memory, with stator-ws on both ends of each Extended CONNECT stream.
//!
//! The harness (`World`) moves bytes between the two HTTP/2 machines until both are
//! quiet, routes each stream's DATA into the WebSocket connection that owns it, sends
//! what the WebSocket connections produce back as DATA (ending the stream once
//! `wants_close_transport` says so), answers Extended CONNECTs with stator-ws'
//! handshake helpers and echoes every WebSocket message on the server side. Plain
//! requests are answered too (`/echo` sends the request content back), so WebSocket and
//! ordinary streams can share one connection.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use stator_h2::{Config, Connection, ErrorCode, Event, FlowControl, StreamId};
use stator_http::ext::Protocol;
use stator_wire::rand::SeededRandom;
use stator_ws::extension::{DeflateOffer, DeflateOptions};
use stator_ws::handshake::{AcceptOptions, ClientOffer, ClientOptions, Negotiated, connect};
use stator_ws::{CloseCause, CloseCode, Message, MessageKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Client,
    Server,
}

/// Bytes waiting for flow-control credit on one stream, and whether the stream ends
/// after them.
#[derive(Default)]
struct Outgoing {
    data: VecDeque<u8>,
    end: bool,
    ended: bool,
}

/// One end of a WebSocket session on an Extended CONNECT stream.
struct WsEnd {
    stream: StreamId,
    ws: stator_ws::Connection,
    negotiated: Negotiated,
    /// Server ends echo every message.
    echo: bool,
    /// A slow reader: DATA is held (and, with manual flow control, its credit with it).
    paused: bool,
    held: Vec<Bytes>,
    /// WebSocket events seen, echoed messages included.
    events: Vec<stator_ws::Event>,
    /// DATA payload bytes received on the stream.
    received: usize,
    /// The peer ended the stream (`END_STREAM`).
    got_end: bool,
}

/// A plain request on the server, collected until its end.
struct PlainRequest {
    path: String,
    body: Vec<u8>,
}

/// A plain response on the client.
#[derive(Default)]
struct PlainResponse {
    status: Option<StatusCode>,
    body: Vec<u8>,
    done: bool,
}

struct World {
    client: Connection,
    server: Connection,
    now: Instant,
    wire: Vec<u8>,
    /// Everything the WebSocket layer did not consume, per side.
    client_events: Vec<Event>,
    server_events: Vec<Event>,
    ws: Vec<(Side, WsEnd)>,
    out: HashMap<(Side, u32), Outgoing>,
    /// Client: Extended CONNECTs awaiting their response.
    pending_ws: HashMap<u32, ClientOffer>,
    /// Client: the response of every rejected Extended CONNECT.
    refused_ws: HashMap<u32, StatusCode>,
    accept: AcceptOptions,
    plain_requests: HashMap<u32, PlainRequest>,
    plain_responses: HashMap<u32, PlainResponse>,
    seed: u64,
}

fn server_config() -> Config {
    let mut config = Config::default();
    config.connect_protocols = vec![Protocol::WEBSOCKET];
    config
}

fn side_conn(w: &mut World, side: Side) -> &mut Connection {
    match side {
        Side::Client => &mut w.client,
        Side::Server => &mut w.server,
    }
}

impl World {
    /// Joins a client and a server and runs until the client has the server's SETTINGS.
    fn new(client: Config, server: Config) -> World {
        let mut w = World {
            client: Connection::client(client),
            server: Connection::server(server),
            now: Instant::now(),
            wire: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            ws: Vec::new(),
            out: HashMap::new(),
            pending_ws: HashMap::new(),
            refused_ws: HashMap::new(),
            accept: AcceptOptions::default(),
            plain_requests: HashMap::new(),
            plain_responses: HashMap::new(),
            seed: 1,
        };
        w.run();
        w
    }

    fn flow(&self, side: Side) -> FlowControl {
        match side {
            Side::Client => self.client.config().flow_control,
            Side::Server => self.server.config().flow_control,
        }
    }

    /// Moves bytes and events until nothing changes.
    fn run(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            busy |= self.flush_all();
            self.wire.clear();
            if self.client.poll_output(&mut self.wire) > 0 {
                self.server.recv(self.now, &self.wire).unwrap();
                busy = true;
            }
            self.wire.clear();
            if self.server.poll_output(&mut self.wire) > 0 {
                self.client.recv(self.now, &self.wire).unwrap();
                busy = true;
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                self.on_event(Side::Client, e);
            }
            while let Some(e) = self.server.poll_event() {
                busy = true;
                self.on_event(Side::Server, e);
            }
            busy |= self.pump_ws();
            if !busy {
                return;
            }
        }
        panic!("the pair never went quiet");
    }

    fn ws_index(&self, side: Side, stream: StreamId) -> Option<usize> {
        self.ws
            .iter()
            .position(|(s, end)| *s == side && end.stream == stream)
    }

    fn on_event(&mut self, side: Side, event: Event) {
        match event {
            Event::Data {
                stream,
                data,
                end_stream,
            } => {
                if let Some(i) = self.ws_index(side, stream) {
                    let manual = self.flow(side) == FlowControl::Manual;
                    let (_, end) = &mut self.ws[i];
                    end.received += data.len();
                    if end.paused {
                        end.held.push(data);
                    } else {
                        let n = data.len();
                        end.ws.recv_bytes(data);
                        if manual && n > 0 && !end_stream {
                            side_conn(self, side).release_capacity(stream, n).unwrap();
                        }
                    }
                    let (_, end) = &mut self.ws[i];
                    if end_stream {
                        end.got_end = true;
                        end.ws.recv_eof();
                    }
                    return;
                }
                self.plain_data(side, stream, &data, end_stream);
            }
            Event::Reset {
                stream,
                code,
                remote,
            } => {
                if let Some(i) = self.ws_index(side, stream) {
                    self.ws[i].1.ws.reset();
                }
                self.push(
                    side,
                    Event::Reset {
                        stream,
                        code,
                        remote,
                    },
                );
            }
            Event::Request {
                stream,
                head,
                end_stream,
            } if side == Side::Server => {
                if head.method == Method::CONNECT && head.extensions.get::<Protocol>().is_some() {
                    self.accept_ws(stream, &head);
                } else {
                    self.plain_requests.insert(
                        stream.get(),
                        PlainRequest {
                            path: head.uri.path().to_owned(),
                            body: Vec::new(),
                        },
                    );
                    if end_stream {
                        self.answer_plain(stream);
                    }
                }
            }
            Event::Response {
                stream,
                head,
                end_stream,
            } if side == Side::Client => {
                if let Some(offer) = self.pending_ws.remove(&stream.get()) {
                    match connect::check_response(&head, &offer) {
                        Ok(negotiated) => {
                            self.seed += 1;
                            let config = stator_ws::Config::client(SeededRandom::new(self.seed))
                                .with_deflate(negotiated.deflate);
                            self.ws.push((
                                Side::Client,
                                WsEnd::new(stream, stator_ws::Connection::new(config), negotiated),
                            ));
                        }
                        Err(_) => {
                            self.refused_ws.insert(stream.get(), head.status);
                        }
                    }
                    return;
                }
                let r = self.plain_responses.entry(stream.get()).or_default();
                r.status = Some(head.status);
                r.done = end_stream;
            }
            // Retried on every pass anyway.
            Event::Writable { .. } => {}
            other => self.push(side, other),
        }
    }

    fn push(&mut self, side: Side, event: Event) {
        match side {
            Side::Client => self.client_events.push(event),
            Side::Server => self.server_events.push(event),
        }
    }

    fn plain_data(&mut self, side: Side, stream: StreamId, data: &[u8], end_stream: bool) {
        if self.flow(side) == FlowControl::Manual && !data.is_empty() && !end_stream {
            side_conn(self, side)
                .release_capacity(stream, data.len())
                .unwrap();
        }
        match side {
            Side::Server => {
                let r = self
                    .plain_requests
                    .get_mut(&stream.get())
                    .unwrap_or_else(|| panic!("DATA on unknown stream {stream}"));
                r.body.extend_from_slice(data);
                if end_stream {
                    self.answer_plain(stream);
                }
            }
            Side::Client => {
                let r = self.plain_responses.entry(stream.get()).or_default();
                r.body.extend_from_slice(data);
                r.done |= end_stream;
            }
        }
    }

    /// `/echo` returns the request content; anything else a short text naming the path.
    fn answer_plain(&mut self, stream: StreamId) {
        let r = self.plain_requests.remove(&stream.get()).unwrap();
        let body = if r.path == "/echo" {
            r.body
        } else {
            format!("plain {}", r.path).into_bytes()
        };
        let (head, ()) = Response::builder()
            .status(StatusCode::OK)
            .body(())
            .unwrap()
            .into_parts();
        self.server.send_response(stream, &head, false).unwrap();
        self.queue(Side::Server, stream, &body, true);
    }

    fn accept_ws(&mut self, stream: StreamId, head: &http::request::Parts) {
        let offer = match connect::check_request(head) {
            Ok(offer) => offer,
            Err(e) => {
                let response = connect::reject(&e);
                self.server.send_response(stream, &response, true).unwrap();
                return;
            }
        };
        let (response, negotiated) = connect::accept(&offer, &self.accept).unwrap();
        self.server.send_response(stream, &response, false).unwrap();
        let config = stator_ws::Config::server().with_deflate(negotiated.deflate);
        let mut end = WsEnd::new(stream, stator_ws::Connection::new(config), negotiated);
        end.echo = true;
        self.ws.push((Side::Server, end));
    }

    /// Queues content for a stream; it leaves as flow control allows.
    fn queue(&mut self, side: Side, stream: StreamId, data: &[u8], end: bool) {
        let out = self.out.entry((side, stream.get())).or_default();
        assert!(!out.end, "stream {stream} already ended");
        out.data.extend(data);
        out.end |= end;
    }

    /// Offers every queued byte to its machine; true if anything was accepted.
    fn flush_all(&mut self) -> bool {
        let mut moved = false;
        let keys: Vec<(Side, u32)> = self.out.keys().copied().collect();
        for key in keys {
            let (side, id) = key;
            let stream = StreamId::new(id).unwrap();
            let mut out = self.out.remove(&key).unwrap();
            if out.ended || (out.data.is_empty() && !out.end) {
                self.out.insert(key, out);
                continue;
            }
            let conn = side_conn(self, side);
            let chunk: Vec<u8> = out.data.iter().copied().collect();
            match conn.send_data(stream, &chunk, out.end) {
                Ok(n) => {
                    out.data.drain(..n);
                    if out.end && out.data.is_empty() {
                        out.ended = true;
                        moved = true;
                    }
                    moved |= n > 0;
                }
                // The stream was reset: what was queued is dropped.
                Err(_) => out.ended = true,
            }
            self.out.insert(key, out);
        }
        moved
    }

    /// Runs every WebSocket end: echo what arrived, move output to the streams.
    fn pump_ws(&mut self) -> bool {
        let mut busy = false;
        let mut sends = Vec::new();
        for (side, end) in &mut self.ws {
            while let Some(e) = end.ws.poll_event() {
                busy = true;
                if let (true, stator_ws::Event::Message(m)) = (end.echo, &e) {
                    end.ws.send(m).unwrap();
                }
                end.events.push(e);
            }
            let mut bytes = Vec::new();
            while let Some(b) = end.ws.poll_transmit() {
                bytes.extend_from_slice(&b);
            }
            let fin = end.ws.wants_close_transport();
            if !bytes.is_empty() || fin {
                sends.push((*side, end.stream, bytes, fin));
            }
        }
        for (side, stream, bytes, fin) in sends {
            let out = self.out.entry((side, stream.get())).or_default();
            if out.end {
                continue;
            }
            busy = true;
            out.data.extend(&bytes);
            out.end = fin;
        }
        busy
    }

    /// Client: sends an Extended CONNECT for `uri`; the session exists once `run` has
    /// seen the 200.
    fn open_ws(&mut self, options: &ClientOptions) -> StreamId {
        let (request, offer) = connect::client_request(options).unwrap();
        let stream = self.client.send_request(&request, false).unwrap();
        self.pending_ws.insert(stream.get(), offer);
        stream
    }

    /// Client: a plain request with optional content.
    fn request(&mut self, method: Method, path: &str, body: Option<&[u8]>) -> StreamId {
        let (head, ()) = Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"))
            .body(())
            .unwrap()
            .into_parts();
        let stream = self.client.send_request(&head, body.is_none()).unwrap();
        self.plain_responses
            .insert(stream.get(), PlainResponse::default());
        if let Some(body) = body {
            self.queue(Side::Client, stream, body, true);
        }
        stream
    }

    fn end(&mut self, side: Side, stream: StreamId) -> &mut WsEnd {
        let i = self
            .ws_index(side, stream)
            .unwrap_or_else(|| panic!("no WebSocket on {side:?} stream {stream}"));
        &mut self.ws[i].1
    }

    /// The server's end of the session the client opened on `stream` (the same id).
    fn server_end(&mut self, stream: StreamId) -> &mut WsEnd {
        self.end(Side::Server, stream)
    }

    fn client_end(&mut self, stream: StreamId) -> &mut WsEnd {
        self.end(Side::Client, stream)
    }
}

impl WsEnd {
    fn new(stream: StreamId, ws: stator_ws::Connection, negotiated: Negotiated) -> WsEnd {
        WsEnd {
            stream,
            ws,
            negotiated,
            echo: false,
            paused: false,
            held: Vec::new(),
            events: Vec::new(),
            received: 0,
            got_end: false,
        }
    }

    fn messages(&self) -> Vec<Message> {
        self.events
            .iter()
            .filter_map(|e| match e {
                stator_ws::Event::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }
}

fn ws_options() -> ClientOptions {
    ClientOptions::new("ws://localhost/chat".parse().unwrap())
}

/// A pair whose server accepts WebSocket over HTTP/2, with one session open on it.
fn open_session(options: &ClientOptions) -> (World, StreamId) {
    let mut w = World::new(Config::default(), server_config());
    let stream = w.open_ws(options);
    w.run();
    assert!(
        w.ws_index(Side::Client, stream).is_some(),
        "the client has no session on {stream}: refused {:?}, client events {:?}",
        w.refused_ws,
        w.client_events
    );
    (w, stream)
}

#[test]
fn server_settings_enable_extended_connect() {
    let w = World::new(Config::default(), server_config());
    let settings = w
        .client_events
        .iter()
        .find_map(|e| match e {
            Event::Settings(s) => Some(*s),
            _ => None,
        })
        .expect("the client saw the server's SETTINGS");
    assert!(settings.enable_connect_protocol);
    assert_eq!(w.client.extended_connect(), Some(true));
    // And a server without connect protocols does not advertise it (RFC 8441 §3).
    let w = World::new(Config::default(), Config::default());
    assert_eq!(w.client.extended_connect(), Some(false));
}

#[test]
fn extended_connect_is_answered_200_and_reaches_the_server_as_connect() {
    let mut w = World::new(Config::default(), server_config());
    let options = ws_options();
    let (request, offer) = connect::client_request(&options).unwrap();
    let s = w.client.send_request(&request, false).unwrap();
    w.pending_ws.insert(s.get(), offer);
    // Look at the request as the server machine reports it, before the harness does.
    w.wire.clear();
    assert!(w.client.poll_output(&mut w.wire) > 0);
    w.server.recv(w.now, &w.wire).unwrap();
    let event = w.server.poll_event().expect("a request event");
    let Event::Request {
        stream: got,
        head,
        end_stream,
    } = event
    else {
        panic!("expected a request, got {event:?}");
    };
    assert_eq!(got, s);
    assert!(!end_stream);
    assert_eq!(head.method, Method::CONNECT);
    assert_eq!(
        head.extensions.get::<Protocol>().map(Protocol::as_str),
        Some("websocket")
    );
    assert_eq!(head.uri.scheme_str(), Some("http"));
    assert_eq!(head.uri.path(), "/chat");
    assert_eq!(
        head.uri.authority().map(http::uri::Authority::as_str),
        Some("localhost")
    );
    // Hand it to the harness: 200, and both ends open.
    w.on_event(
        Side::Server,
        Event::Request {
            stream: got,
            head,
            end_stream,
        },
    );
    w.run();
    assert!(w.ws_index(Side::Client, s).is_some(), "{:?}", w.refused_ws);
    assert!(w.ws_index(Side::Server, s).is_some());
}

#[test]
fn text_binary_and_fragmented_messages_echo() {
    let (mut w, s) = open_session(&ws_options());
    w.client_end(s).ws.send_text("hello over h2").unwrap();
    w.client_end(s)
        .ws
        .send_binary(&[0, 1, 2, 254, 255])
        .unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    w.client_end(s).ws.send_binary(&big).unwrap();
    // A fragmented text message with a ping between its fragments (RFC 6455 §5.4).
    let ws = &mut w.client_end(s).ws;
    assert_eq!(
        ws.send_fragment(MessageKind::Text, b"frag", false).unwrap(),
        4
    );
    ws.ping(b"between").unwrap();
    assert_eq!(
        ws.send_fragment(MessageKind::Text, b"men", false).unwrap(),
        3
    );
    assert_eq!(
        ws.send_fragment(MessageKind::Text, b"ted", true).unwrap(),
        3
    );
    w.run();

    let expected = vec![
        Message::text("hello over h2"),
        Message::binary(vec![0u8, 1, 2, 254, 255]),
        Message::binary(big),
        Message::text("fragmented"),
    ];
    assert_eq!(w.server_end(s).messages(), expected);
    assert_eq!(w.client_end(s).messages(), expected);
    assert!(
        w.server_end(s)
            .events
            .iter()
            .any(|e| matches!(e, stator_ws::Event::Ping(p) if p.as_ref() == b"between"))
    );
    // The auto-pong came back to the client.
    assert!(
        w.client_end(s)
            .events
            .iter()
            .any(|e| matches!(e, stator_ws::Event::Pong(p) if p.as_ref() == b"between"))
    );
}

#[test]
fn websocket_close_ends_the_stream_both_ways() {
    let (mut w, s) = open_session(&ws_options());
    w.client_end(s).ws.send_text("last words").unwrap();
    w.client_end(s).ws.close(CloseCode::NORMAL, "bye").unwrap();
    w.run();

    for side in [Side::Client, Side::Server] {
        let end = w.end(side, s);
        assert!(end.got_end, "{side:?} saw no END_STREAM");
        let closed = end
            .events
            .iter()
            .find_map(|e| match e {
                stator_ws::Event::Closed(c) => Some(c.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{side:?} WebSocket not closed"));
        assert!(closed.clean, "{side:?}: {closed:?}");
        assert_eq!(closed.code, CloseCode::NORMAL);
        assert_eq!(closed.cause, CloseCause::Handshake);
        assert!(end.ws.wants_close_transport());
    }
    assert_eq!(
        w.server_end(s).messages(),
        vec![Message::text("last words")]
    );
    // Both halves are closed: the stream takes no more data, and nothing was reset.
    assert!(w.client.send_data(s, b"x", false).is_err());
    assert!(w.server.send_data(s, b"x", false).is_err());
    for events in [&w.client_events, &w.server_events] {
        assert!(
            !events.iter().any(|e| matches!(e, Event::Reset { .. })),
            "{events:?}"
        );
    }
}

#[test]
fn rst_stream_aborts_the_websocket_on_the_other_side() {
    let (mut w, s) = open_session(&ws_options());
    w.client_end(s).ws.send_text("before the abort").unwrap();
    w.run();
    w.client.send_reset(s, ErrorCode::CANCEL).unwrap();
    w.client_end(s).ws.reset();
    w.run();

    assert!(
        w.server_events.iter().any(|e| matches!(
            e,
            Event::Reset { stream, code, remote: true }
                if *stream == s && *code == ErrorCode::CANCEL
        )),
        "{:?}",
        w.server_events
    );
    let closed = w
        .server_end(s)
        .events
        .iter()
        .find_map(|e| match e {
            stator_ws::Event::Closed(c) => Some(c.clone()),
            _ => None,
        })
        .expect("the server's WebSocket saw the abort");
    assert_eq!(closed.cause, CloseCause::Reset);
    assert!(!closed.clean);

    // The server resets a second session; the client sees it.
    let s2 = w.open_ws(&ws_options());
    w.run();
    w.server.send_reset(s2, ErrorCode::CANCEL).unwrap();
    w.run();
    assert!(w.client_events.iter().any(|e| matches!(
        e,
        Event::Reset { stream, code, remote: true } if *stream == s2 && *code == ErrorCode::CANCEL
    )));
    assert!(
        w.client_end(s2)
            .events
            .iter()
            .any(|e| matches!(e, stator_ws::Event::Closed(c) if c.cause == CloseCause::Reset))
    );
    // The connection itself is fine: a plain request still works.
    let p = w.request(Method::GET, "/after", None);
    w.run();
    let r = &w.plain_responses[&p.get()];
    assert_eq!(r.status, Some(StatusCode::OK));
    assert_eq!(r.body, b"plain /after");
}

#[test]
fn websockets_and_plain_requests_multiplexed_on_one_connection() {
    let mut w = World::new(Config::default(), server_config());
    let sessions: Vec<StreamId> = (0..4).map(|_| w.open_ws(&ws_options())).collect();
    let plains: Vec<StreamId> = (0..6)
        .map(|i| w.request(Method::GET, &format!("/p{i}"), None))
        .collect();
    let upload: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    let echo = w.request(Method::POST, "/echo", Some(&upload));
    w.run();
    for (i, s) in sessions.iter().enumerate() {
        for j in 0..5 {
            w.client_end(*s)
                .ws
                .send_text(&format!("session {i} message {j}"))
                .unwrap();
        }
    }
    w.run();
    for (i, s) in sessions.iter().enumerate() {
        let want: Vec<Message> = (0..5)
            .map(|j| Message::text(format!("session {i} message {j}")))
            .collect();
        assert_eq!(w.client_end(*s).messages(), want, "session {i}");
    }
    for (i, p) in plains.iter().enumerate() {
        let r = &w.plain_responses[&p.get()];
        assert!(r.done);
        assert_eq!(r.body, format!("plain /p{i}").into_bytes());
    }
    let r = &w.plain_responses[&echo.get()];
    assert!(r.done);
    assert_eq!(r.body, upload);
}

#[test]
fn a_slow_websocket_reader_backpressures_only_its_own_stream() {
    const WINDOW: u32 = 65_535;
    let mut server = server_config();
    server.flow_control = FlowControl::Manual;
    server.limits.initial_stream_window = WINDOW;
    server.limits.max_stream_window = WINDOW;
    let mut w = World::new(Config::default(), server);
    let slow = w.open_ws(&ws_options());
    let fast = w.open_ws(&ws_options());
    w.run();
    w.server_end(slow).paused = true;

    // 400 KiB of messages on the slow session: only one window's worth can leave.
    let chunk = vec![0x5au8; 16 * 1024];
    for _ in 0..25 {
        w.client_end(slow).ws.send_binary(&chunk).unwrap();
    }
    w.run();
    let held = w.server_end(slow).received;
    assert_eq!(held, WINDOW as usize, "the slow stream's window is full");
    assert_eq!(w.client.send_capacity(slow), 0);
    assert!(!w.out[&(Side::Client, slow.get())].data.is_empty());

    // Meanwhile a second WebSocket and a 1 MiB upload on the same connection flow.
    for i in 0..20 {
        w.client_end(fast)
            .ws
            .send_text(&format!("still flowing {i}"))
            .unwrap();
    }
    let upload: Vec<u8> = (0..1_048_576u32).map(|i| (i >> 3) as u8).collect();
    let post = w.request(Method::POST, "/echo", Some(&upload));
    w.run();
    assert_eq!(w.client_end(fast).messages().len(), 20);
    let r = &w.plain_responses[&post.get()];
    assert!(r.done);
    assert_eq!(r.body.len(), upload.len());
    assert_eq!(r.body, upload);
    assert_eq!(
        w.server_end(slow).received,
        held,
        "the slow stream stayed put"
    );

    // The reader catches up: everything arrives and echoes.
    let end = w.server_end(slow);
    end.paused = false;
    let held: Vec<Bytes> = std::mem::take(&mut end.held);
    for data in held {
        let n = data.len();
        w.server_end(slow).ws.recv_bytes(data);
        w.server.release_capacity(slow, n).unwrap();
    }
    w.run();
    assert_eq!(w.server_end(slow).messages().len(), 25);
    assert_eq!(w.client_end(slow).messages().len(), 25);
    assert!(
        w.client_end(slow)
            .messages()
            .iter()
            .all(|m| m.as_bytes() == chunk.as_slice())
    );
}

#[test]
fn permessage_deflate_negotiated_over_h2() {
    let options = ws_options().with_deflate(DeflateOffer::default());
    let mut w = World::new(Config::default(), server_config());
    w.accept = AcceptOptions {
        deflate: Some(DeflateOptions::default()),
        ..AcceptOptions::default()
    };
    let s = w.open_ws(&options);
    w.run();
    assert!(w.client_end(s).negotiated.deflate.is_some());
    assert!(w.server_end(s).negotiated.deflate.is_some());

    let text = "compress me, compress me, compress me; ".repeat(500);
    for _ in 0..3 {
        w.client_end(s).ws.send_text(&text).unwrap();
    }
    w.run();
    assert_eq!(
        w.server_end(s).messages(),
        vec![Message::text(text.clone()); 3]
    );
    assert_eq!(
        w.client_end(s).messages(),
        vec![Message::text(text.clone()); 3]
    );
    // Three ~19 KB messages crossed as far fewer bytes of DATA each way.
    assert!(
        w.server_end(s).received < text.len() / 4,
        "{} DATA bytes for {} bytes of text",
        w.server_end(s).received,
        3 * text.len()
    );
    assert!(w.client_end(s).received < text.len() / 4);

    // And a session without the offer on the same connection stays uncompressed.
    let plain = w.open_ws(&ws_options());
    w.run();
    assert!(w.client_end(plain).negotiated.deflate.is_none());
}

#[test]
fn extended_connect_to_a_server_without_it_is_refused_locally() {
    let mut w = World::new(Config::default(), Config::default());
    let (request, _) = connect::client_request(&ws_options()).unwrap();
    // Either refused at once, or reported as Event::Refused: nothing reaches the server.
    if let Ok(stream) = w.client.send_request(&request, false) {
        w.run();
        assert!(
            w.client_events
                .iter()
                .any(|e| matches!(e, Event::Refused { stream: s, .. } if *s == stream)),
            "{:?}",
            w.client_events
        );
    }
    assert!(
        !w.server_events
            .iter()
            .any(|e| matches!(e, Event::Request { .. }))
    );
}
