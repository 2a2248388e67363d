//! A client and a server connected in memory, over simulated time (quinn-proto's `Pair`).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::arithmetic_side_effects
)]

use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode, request, response};
use stator_h2::{Config, Connection, Event, StreamId};

/// Both ends and the clock.
pub(crate) struct Pair {
    pub(crate) client: Connection,
    pub(crate) server: Connection,
    pub(crate) now: Instant,
    /// Events polled so far, per side, in order.
    pub(crate) client_events: Vec<Event>,
    pub(crate) server_events: Vec<Event>,
    /// Bytes moved each way.
    pub(crate) to_server: usize,
    pub(crate) to_client: usize,
}

impl Pair {
    pub(crate) fn new() -> Pair {
        Pair::with_configs(Config::default(), Config::default())
    }

    pub(crate) fn with_configs(client: Config, server: Config) -> Pair {
        Pair {
            client: Connection::client(client),
            server: Connection::server(server),
            now: Instant::now(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            to_server: 0,
            to_client: 0,
        }
    }

    /// Moves bytes once each way and collects events; `true` if anything moved.
    pub(crate) fn step(&mut self) -> bool {
        let mut buf = Vec::new();
        let mut moved = false;
        if self.client.poll_output(&mut buf) > 0 {
            moved = true;
            self.to_server += buf.len();
            let _ = self.server.recv(self.now, &buf);
        }
        buf.clear();
        if self.server.poll_output(&mut buf) > 0 {
            moved = true;
            self.to_client += buf.len();
            let _ = self.client.recv(self.now, &buf);
        }
        while let Some(e) = self.client.poll_event() {
            moved = true;
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            moved = true;
            self.server_events.push(e);
        }
        moved
    }

    /// Steps until neither side has anything to say.
    pub(crate) fn drive(&mut self) {
        self.drive_bounded(10_000);
    }

    pub(crate) fn drive_bounded(&mut self, max: usize) {
        for _ in 0..max {
            if !self.step() {
                return;
            }
        }
        panic!("pair did not go idle in {max} steps");
    }

    /// Advances the clock to the next timer of either side and runs it.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
    }

    /// Connects: exchanges prefaces and SETTINGS.
    pub(crate) fn connect() -> Pair {
        let mut pair = Pair::new();
        pair.drive();
        pair.client_events.clear();
        pair.server_events.clear();
        pair
    }

    pub(crate) fn take_client_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.client_events)
    }

    pub(crate) fn take_server_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.server_events)
    }
}

pub(crate) fn get(path: &str) -> request::Parts {
    req(Method::GET, path)
}

pub(crate) fn req(method: Method, path: &str) -> request::Parts {
    Request::builder()
        .method(method)
        .uri(format!("https://example.org{path}"))
        .body(())
        .unwrap()
        .into_parts()
        .0
}

pub(crate) fn resp(status: u16) -> response::Parts {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .body(())
        .unwrap()
        .into_parts()
        .0
}

/// The stream ids of the `Request` events.
pub(crate) fn requests(events: &[Event]) -> Vec<StreamId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Request { stream, .. } => Some(*stream),
            _ => None,
        })
        .collect()
}

/// All the data received on `stream`, and whether it ended.
pub(crate) fn body(events: &[Event], stream: StreamId) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut end = false;
    for e in events {
        match e {
            Event::Data {
                stream: s,
                data,
                end_stream,
            } if *s == stream => {
                out.extend_from_slice(data);
                end |= *end_stream;
            }
            Event::Trailers { stream: s, .. } if *s == stream => end = true,
            _ => {}
        }
    }
    (out, end)
}
