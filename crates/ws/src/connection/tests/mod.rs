//! Connection tests: a client/server `Pair` in memory, a scripted peer that writes raw
//! frames, and a decoder for what a connection sends.

#![allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

mod flows;
mod opening;
mod props;
mod rules;

use stator_wire::rand::{Random, SeededRandom};

use super::{CloseCause, Closed, Config, Connection, Event};
use crate::frame::{FrameHeader, OpCode};
use crate::mask::apply_mask;
use crate::{CloseCode, DeflateConfig, Error, Limits, ReceiveMode};

/// A "generator" that always yields the same masking key, for the RFC's examples.
pub(super) struct FixedKey(pub(super) [u8; 4]);

impl Random for FixedKey {
    fn fill(&mut self, dst: &mut [u8]) {
        for (d, k) in dst.iter_mut().zip(self.0.iter().cycle()) {
            *d = *k;
        }
    }
}

pub(super) fn client_config() -> Config {
    Config::client(SeededRandom::new(7))
}

pub(super) fn client() -> Connection {
    Connection::new(client_config())
}

pub(super) fn server() -> Connection {
    Connection::new(Config::server())
}

pub(super) fn deflate(bits: u8, no_takeover: bool) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: no_takeover,
        client_no_context_takeover: no_takeover,
        server_max_window_bits: bits,
        client_max_window_bits: bits,
    }
}

/// A raw frame: `b0` is the first header byte (FIN, RSV, opcode).
pub(super) fn raw(b0: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let m = if mask.is_some() { 0x80 } else { 0 };
    let mut v = vec![b0];
    match payload.len() {
        n @ 0..=125 => v.push(m | n as u8),
        n @ 126..=0xffff => {
            v.push(m | 0x7e);
            v.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            v.push(m | 0x7f);
            v.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let start = v.len();
    v.extend_from_slice(payload);
    if let Some(key) = mask {
        v.splice(start..start, key);
        apply_mask(&mut v[start + 4..], key, 0);
    }
    v
}

/// A frame as a client sends it (masked), for a server under test.
pub(super) fn from_client(b0: u8, payload: &[u8]) -> Vec<u8> {
    raw(b0, Some([0x11, 0x22, 0x33, 0x44]), payload)
}

/// A frame as a server sends it (unmasked), for a client under test.
pub(super) fn from_server(b0: u8, payload: &[u8]) -> Vec<u8> {
    raw(b0, None, payload)
}

/// Every event until `None`.
pub(super) fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Everything the connection has to send.
pub(super) fn output(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = conn.poll_output(&mut out);
    out
}

/// Splits sent bytes into frames, unmasking payloads.
pub(super) fn frames(mut bytes: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut v = Vec::new();
    while !bytes.is_empty() {
        let (h, n) = FrameHeader::parse(bytes).unwrap().expect("a whole header");
        let len = h.payload_len as usize;
        let mut payload = bytes[n..n + len].to_vec();
        if let Some(key) = h.mask {
            apply_mask(&mut payload, key, 0);
        }
        v.push((h, payload));
        bytes = &bytes[n + len..];
    }
    v
}

/// The code of the single close frame in `bytes`.
pub(super) fn close_code_sent(bytes: &[u8]) -> Option<u16> {
    let closes: Vec<_> = frames(bytes)
        .into_iter()
        .filter(|(h, _)| h.opcode == OpCode::Close)
        .collect();
    assert!(closes.len() <= 1, "more than one close frame: {closes:?}");
    closes
        .first()
        .map(|(_, p)| u16::from_be_bytes([p[0], p[1]]))
}

/// Feeds `input` and checks that the connection fails with exactly `expect`, reports it,
/// and sends one close frame with its code.
pub(super) fn assert_fails(conn: &mut Connection, input: &[u8], expect: impl Into<Error>) {
    let expect = expect.into();
    conn.recv(input);
    let evs = events(conn);
    let closed = evs
        .iter()
        .find_map(|e| match e {
            Event::Closed(c) => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Closed event in {evs:?}"));
    assert_eq!(closed.cause, CloseCause::Failed(expect.clone()));
    assert_eq!(Some(closed.code), expect.close_code());
    assert!(!closed.clean);
    assert_eq!(conn.error(), Some(&expect));
    assert_eq!(
        close_code_sent(&output(conn)),
        expect.close_code().map(CloseCode::as_u16)
    );
    assert!(conn.wants_close_transport());
}

/// A client and a server connected in memory (the `Pair` of STYLE.md).
pub(super) struct Pair {
    pub(super) client: Connection,
    pub(super) server: Connection,
}

impl Pair {
    pub(super) fn new(client: Config, server: Config) -> Pair {
        Pair {
            client: Connection::new(client),
            server: Connection::new(server),
        }
    }

    pub(super) fn default_pair() -> Pair {
        Pair::new(client_config(), Config::server())
    }

    pub(super) fn with_deflate(
        config: Option<DeflateConfig>,
        mode: ReceiveMode,
        limits: Limits,
    ) -> Pair {
        Pair::new(
            client_config()
                .with_deflate(config)
                .with_receive_mode(mode)
                .with_limits(limits),
            Config::server()
                .with_deflate(config)
                .with_receive_mode(mode)
                .with_limits(limits),
        )
    }

    /// Moves the client's output to the server and returns the server's events.
    pub(super) fn deliver_to_server(&mut self) -> Vec<Event> {
        let bytes = output(&mut self.client);
        self.server.recv(&bytes);
        events(&mut self.server)
    }

    /// Moves the server's output to the client and returns the client's events.
    pub(super) fn deliver_to_client(&mut self) -> Vec<Event> {
        let bytes = output(&mut self.server);
        self.client.recv(&bytes);
        events(&mut self.client)
    }
}

pub(super) fn closed_event(evs: &[Event]) -> Option<&Closed> {
    evs.iter().find_map(|e| match e {
        Event::Closed(c) => Some(c),
        _ => None,
    })
}
