//! A small cleartext HTTP/2 server (h2c, prior knowledge) on stator-h2 over `std::net`,
//! one thread per connection, used by `cargo xtask interop h2`.
//!
//! `cargo run -p stator-h2 --example h2_server -- 127.0.0.1:8080` (port 0 picks one; the
//! address is printed as `listening on ADDR`) serves:
//! - `GET /` → `hello from stator-h2\n`;
//! - `POST /echo` → the request content back, with an `x-echo-length` trailer;
//! - Extended CONNECT (RFC 8441) `:protocol websocket` on `/ws` → a WebSocket echo
//!   (stator-ws on the stream's DATA), permessage-deflate accepted when offered;
//! - anything else → 404.
//!
//! The machines do the protocols; this file only moves bytes between them and a socket.

#![allow(missing_docs)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use bytes::{Buf, BytesMut};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, request};
use stator_h2::{Config, Connection, Event, StreamId};
use stator_http::ext::Protocol;
use stator_ws::extension::DeflateOptions;
use stator_ws::handshake::{AcceptOptions, connect};

/// Request content kept per stream before `/echo` answers it: larger is refused.
const MAX_ECHO: usize = 64 * 1024 * 1024;

/// What a stream is doing.
enum Stream {
    /// A plain request whose content is still arriving.
    Plain { path: String, body: Vec<u8> },
    /// A WebSocket session on an Extended CONNECT stream.
    Ws(Box<stator_ws::Connection>),
}

/// Content waiting for flow-control credit, then trailers.
#[derive(Default)]
struct Out {
    data: BytesMut,
    end: bool,
    trailers: Option<HeaderMap>,
}

struct Server {
    conn: Connection,
    streams: HashMap<u32, Stream>,
    out: HashMap<u32, Out>,
}

fn head(status: StatusCode) -> http::response::Parts {
    let (mut parts, ()) = Response::new(()).into_parts();
    parts.status = status;
    parts
        .headers
        .insert("server", HeaderValue::from_static("stator-h2-example"));
    parts
}

impl Server {
    fn queue(&mut self, stream: StreamId, data: &[u8], end: bool, trailers: Option<HeaderMap>) {
        let out = self.out.entry(stream.get()).or_default();
        out.data.extend_from_slice(data);
        out.end |= end || trailers.is_some();
        if trailers.is_some() {
            out.trailers = trailers;
        }
    }

    /// Offers queued content to the machine; drops what a reset stream cannot take.
    fn flush(&mut self) {
        let conn = &mut self.conn;
        self.out.retain(|id, out| {
            let Some(stream) = StreamId::new(*id) else {
                return false;
            };
            let fin = out.end && out.trailers.is_none();
            if !out.data.is_empty() || fin {
                match conn.send_data(stream, &out.data, fin) {
                    Ok(n) => out.data.advance(n),
                    Err(_) => return false,
                }
            }
            if !out.data.is_empty() || !out.end {
                return true;
            }
            if let Some(t) = out.trailers.take() {
                let _ = conn.send_trailers(stream, &t);
            }
            false
        });
    }

    fn respond(&mut self, stream: StreamId, status: StatusCode, body: &[u8], t: Option<HeaderMap>) {
        if self
            .conn
            .send_response(stream, &head(status), false)
            .is_ok()
        {
            self.queue(stream, body, true, t);
        }
    }

    fn on_request(&mut self, stream: StreamId, req: &request::Parts, end_stream: bool) {
        let path = req.uri.path().to_owned();
        if req.method == Method::CONNECT && req.extensions.get::<Protocol>().is_some() {
            self.on_connect(stream, req, &path);
            return;
        }
        self.streams.insert(
            stream.get(),
            Stream::Plain {
                path,
                body: Vec::new(),
            },
        );
        if end_stream {
            self.finish_plain(stream);
        }
    }

    fn on_connect(&mut self, stream: StreamId, req: &request::Parts, path: &str) {
        if path != "/ws" {
            let _ = self
                .conn
                .send_response(stream, &head(StatusCode::NOT_FOUND), true);
            return;
        }
        match connect::check_request(req) {
            Ok(offer) => {
                let options = AcceptOptions {
                    deflate: Some(DeflateOptions::default()),
                    ..AcceptOptions::default()
                };
                let Ok((response, negotiated)) = connect::accept(&offer, &options) else {
                    let _ = self
                        .conn
                        .send_response(stream, &head(StatusCode::BAD_REQUEST), true);
                    return;
                };
                if self.conn.send_response(stream, &response, false).is_ok() {
                    let config = stator_ws::Config::server().with_deflate(negotiated.deflate);
                    let ws = stator_ws::Connection::new(config);
                    self.streams.insert(stream.get(), Stream::Ws(Box::new(ws)));
                }
            }
            Err(e) => {
                let _ = self.conn.send_response(stream, &connect::reject(&e), true);
            }
        }
    }

    fn on_data(&mut self, stream: StreamId, data: bytes::Bytes, end_stream: bool) {
        match self.streams.get_mut(&stream.get()) {
            Some(Stream::Plain { body, .. }) => {
                if body.len().saturating_add(data.len()) > MAX_ECHO {
                    self.streams.remove(&stream.get());
                    let _ = self.conn.send_reset(stream, stator_h2::ErrorCode::CANCEL);
                    return;
                }
                body.extend_from_slice(&data);
                if end_stream {
                    self.finish_plain(stream);
                }
            }
            Some(Stream::Ws(ws)) => {
                ws.recv_bytes(data);
                if end_stream {
                    ws.recv_eof();
                }
                self.pump_ws(stream);
            }
            None => {}
        }
    }

    /// Echoes what a WebSocket received and sends its output as DATA, ending the stream
    /// once the close handshake says so.
    fn pump_ws(&mut self, stream: StreamId) {
        let Some(Stream::Ws(ws)) = self.streams.get_mut(&stream.get()) else {
            return;
        };
        while let Some(event) = ws.poll_event() {
            if let stator_ws::Event::Message(m) = event {
                let _ = ws.send(&m);
            }
        }
        let mut bytes = Vec::new();
        while let Some(b) = ws.poll_transmit() {
            bytes.extend_from_slice(&b);
        }
        let fin = ws.wants_close_transport();
        if fin {
            self.streams.remove(&stream.get());
        }
        if !bytes.is_empty() || fin {
            self.queue(stream, &bytes, fin, None);
        }
    }

    fn finish_plain(&mut self, stream: StreamId) {
        let Some(Stream::Plain { path, body }) = self.streams.remove(&stream.get()) else {
            return;
        };
        match path.as_str() {
            "/" => self.respond(stream, StatusCode::OK, b"hello from stator-h2\n", None),
            "/echo" => {
                let mut t = HeaderMap::new();
                t.insert("x-echo-length", HeaderValue::from(body.len()));
                self.respond(stream, StatusCode::OK, &body, Some(t));
            }
            _ => self.respond(stream, StatusCode::NOT_FOUND, b"not found\n", None),
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Request {
                stream,
                head,
                end_stream,
            } => self.on_request(stream, &head, end_stream),
            Event::Data {
                stream,
                data,
                end_stream,
            } => self.on_data(stream, data, end_stream),
            Event::Trailers { stream, .. } => self.finish_plain(stream),
            Event::Reset { stream, .. } => {
                if let Some(Stream::Ws(mut ws)) = self.streams.remove(&stream.get()) {
                    ws.reset();
                }
                self.out.remove(&stream.get());
            }
            _ => {}
        }
    }
}

fn serve(mut sock: TcpStream) -> io::Result<()> {
    sock.set_nodelay(true)?;
    let mut config = Config::default();
    config.connect_protocols = vec![Protocol::WEBSOCKET];
    let mut s = Server {
        conn: Connection::server(config),
        streams: HashMap::new(),
        out: HashMap::new(),
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut wire = Vec::new();
    let mut eof = false;
    loop {
        s.flush();
        let mut busy = false;
        while let Some(event) = s.conn.poll_event() {
            busy = true;
            s.on_event(event);
        }
        wire.clear();
        if s.conn.poll_output(&mut wire) > 0 {
            sock.write_all(&wire)?;
            busy = true;
        }
        if s.conn.is_closed() {
            return Ok(());
        }
        if busy {
            continue;
        }
        if eof {
            return Ok(());
        }
        let now = Instant::now();
        let timeout = s.conn.poll_timeout().map(|at| {
            at.saturating_duration_since(now)
                .max(std::time::Duration::from_millis(1))
        });
        sock.set_read_timeout(timeout)?;
        match sock.read(&mut buf) {
            Ok(0) => {
                eof = true;
                s.conn.recv_eof();
            }
            Ok(n) => {
                // A connection error queues GOAWAY and is reported as Event::Closed.
                let _ = s
                    .conn
                    .recv(Instant::now(), buf.get(..n).unwrap_or_default());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                s.conn.handle_timeout(Instant::now());
            }
            Err(e) => {
                s.conn.recv_eof();
                return Err(e);
            }
        }
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    for sock in listener.incoming() {
        let sock = sock?;
        std::thread::spawn(move || {
            if let Err(e) = serve(sock) {
                eprintln!("connection: {e}");
            }
        });
    }
    Ok(())
}
