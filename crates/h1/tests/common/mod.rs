//! Test helpers: a client machine and a server machine joined in memory (h11's
//! `ConnectionPair`), message builders, and event summaries.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    dead_code,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    unreachable_pub
)]

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, request, response};
use stator_h1::{BodySize, Connection, Event, Limits, Role};

/// A request head.
pub fn get(uri: &str) -> request::Parts {
    Request::get(uri).body(()).unwrap().into_parts().0
}

/// A request head with a method and fields.
pub fn req(method: Method, uri: &str, fields: &[(&str, &str)]) -> request::Parts {
    let mut b = Request::builder().method(method).uri(uri);
    for (n, v) in fields {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap().into_parts().0
}

/// A response head with a status and fields.
pub fn res(status: u16, fields: &[(&str, &str)]) -> response::Parts {
    let mut b = Response::builder().status(status);
    for (n, v) in fields {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap().into_parts().0
}

/// Trailer fields.
pub fn trailers(fields: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in fields {
        map.append(*n, v.parse().unwrap());
    }
    map
}

/// Every event until `None`.
pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// The kinds of `events`, for compact assertions.
pub fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::kind).collect()
}

/// The content carried by `events`, concatenated.
pub fn content(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        if let Event::Data(d) = e {
            out.extend_from_slice(d);
        }
    }
    out
}

/// All output of `conn`.
pub fn output(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = conn.poll_output(&mut out);
    out
}

/// A server fed `input` at once: its events and its output.
pub fn serve(input: &[u8]) -> (Connection, Vec<Event>) {
    serve_with(Limits::default(), input)
}

/// Like [`serve`], with limits.
pub fn serve_with(limits: Limits, input: &[u8]) -> (Connection, Vec<Event>) {
    let mut server = Connection::new(Role::Server, limits);
    server.recv(input);
    let events = events(&mut server);
    (server, events)
}

/// The status line a server wrote, e.g. "HTTP/1.1 400 Bad Request".
pub fn status_line(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    text.split("\r\n").next().unwrap_or_default().to_owned()
}

/// What one side sends: a head, content in pieces, trailers.
#[derive(Debug, Clone)]
pub struct Message<H> {
    pub head: H,
    pub size: BodySize,
    pub chunks: Vec<Vec<u8>>,
    pub trailers: Option<HeaderMap>,
}

impl<H> Message<H> {
    pub fn new(head: H, size: BodySize) -> Message<H> {
        Message {
            head,
            size,
            chunks: Vec::new(),
            trailers: None,
        }
    }

    pub fn with_chunks(mut self, chunks: &[&[u8]]) -> Message<H> {
        self.chunks = chunks.iter().map(|c| c.to_vec()).collect();
        self
    }

    pub fn with_trailers(mut self, t: HeaderMap) -> Message<H> {
        self.trailers = Some(t);
        self
    }

    fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// A client and a server joined in memory. Every send is checked against what the other
/// side receives: the same head fields, the same content, the same trailers.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
}

impl Default for Pair {
    fn default() -> Pair {
        Pair::new()
    }
}

impl Pair {
    pub fn new() -> Pair {
        Pair {
            client: Connection::client(),
            server: Connection::server(),
        }
    }

    /// Moves the client's output to the server; the server's events.
    pub fn flush_to_server(&mut self) -> Vec<Event> {
        let bytes = self.client.poll_transmit().unwrap_or_default();
        self.server.recv_bytes(bytes);
        events(&mut self.server)
    }

    /// Moves the server's output to the client; the client's events.
    pub fn flush_to_client(&mut self) -> Vec<Event> {
        let bytes: Bytes = self.server.poll_transmit().unwrap_or_default();
        self.client.recv(&bytes);
        events(&mut self.client)
    }

    /// The client sends `msg`; asserts the server receives exactly it. Returns the
    /// server's events.
    pub fn request(&mut self, msg: &Message<request::Parts>) -> Vec<Event> {
        self.client.send_request(&msg.head, msg.size).unwrap();
        send_content(&mut self.client, msg);
        let events = self.flush_to_server();
        match events.first() {
            Some(Event::Request(head)) => {
                assert_eq!(head.method, msg.head.method);
                assert_eq!(
                    head.uri
                        .path_and_query()
                        .map(http::uri::PathAndQuery::as_str),
                    msg.head
                        .uri
                        .path_and_query()
                        .map(http::uri::PathAndQuery::as_str)
                        .or(Some("/"))
                );
                assert_fields_carried(&msg.head.headers, &head.headers);
            }
            other => panic!("expected a request, got {other:?}"),
        }
        check_content(&events, msg);
        events
    }

    /// The server sends `msg`; asserts the client receives exactly it. Returns the
    /// client's events.
    pub fn respond(&mut self, msg: &Message<response::Parts>) -> Vec<Event> {
        self.server.send_response(&msg.head, msg.size).unwrap();
        send_content(&mut self.server, msg);
        let events = self.flush_to_client();
        match events.first() {
            Some(Event::Response(head)) => {
                assert_eq!(head.status, msg.head.status);
                assert_fields_carried(&msg.head.headers, &head.headers);
            }
            other => panic!("expected a response, got {other:?}"),
        }
        check_content(&events, msg);
        events
    }
}

fn send_content<H>(conn: &mut Connection, msg: &Message<H>) {
    if msg.size == BodySize::Empty {
        return;
    }
    for chunk in &msg.chunks {
        conn.send_data(chunk).unwrap();
    }
    conn.send_end(msg.trailers.as_ref()).unwrap();
}

fn check_content<H>(events: &[Event], msg: &Message<H>) {
    assert_eq!(content(events), msg.body(), "{:?}", kinds(events));
    match events.last() {
        Some(Event::End(t)) => {
            assert_eq!(t, msg.trailers.as_ref().unwrap_or(&HeaderMap::new()));
        }
        other => panic!("expected the end of the message, got {other:?}"),
    }
}

/// Every field the sender gave arrives, in order per name (framing fields may be
/// rewritten by the machine).
fn assert_fields_carried(sent: &HeaderMap, received: &HeaderMap) {
    for name in sent.keys() {
        if name == http::header::CONTENT_LENGTH || name == http::header::TRANSFER_ENCODING {
            continue;
        }
        let a: Vec<_> = sent.get_all(name).iter().collect();
        let b: Vec<_> = received.get_all(name).iter().collect();
        assert_eq!(a, b, "field {name}");
    }
}
