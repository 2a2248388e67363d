//! A blocking driver for stator-ws over `std::net::TcpStream`, for the examples and the
//! Autobahn harness: run the HTTP/1.1 handshake machine, then hand its leftover bytes to a
//! [`Connection`] and echo every message back.
//!
//! One thread per connection and blocking reads keep it short; the real driver is
//! stator-tokio. The crate itself does no I/O: this file is where the bytes meet a socket.

#![allow(
    dead_code,
    reason = "each example uses the half of the driver for its role"
)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use stator_wire::rand::SystemRandom;
use stator_ws::handshake::{
    AcceptOptions, ClientEvent, ClientHandshake, ClientOptions, Established, ServerEvent,
    ServerHandshake, codec::HeadLimits,
};
use stator_ws::{Config, Connection, Event, Limits, Role};

const READ_SIZE: usize = 256 * 1024;

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Limits generous enough for the Autobahn performance cases (16 MiB messages).
pub(crate) fn limits() -> Limits {
    Limits {
        max_frame_size: 64 << 20,
        max_message_size: 64 << 20,
        ..Limits::default()
    }
}

/// Server side of the opening handshake on `stream`: reads the request, accepts it with
/// `options` (a rejection is written and reported as an error).
pub(crate) fn accept(stream: &mut TcpStream, options: &AcceptOptions) -> io::Result<Established> {
    let mut hs = ServerHandshake::new(HeadLimits::default());
    let mut buf = vec![0u8; READ_SIZE];
    let mut out = Vec::new();
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let received = hs.recv(buf.get(..n).unwrap_or_default());
        if let Some(ServerEvent::Request(_request)) = hs.poll_event() {
            let established = hs.accept(options).map_err(other)?;
            out.clear();
            let _ = hs.poll_output(&mut out);
            stream.write_all(&out)?;
            return Ok(established);
        }
        if let Err(e) = received {
            // The machine queued its 400/426/431 answer.
            out.clear();
            let _ = hs.poll_output(&mut out);
            stream.write_all(&out)?;
            return Err(other(e));
        }
    }
}

/// Client side of the opening handshake: connects, sends the request of `options` and
/// waits for the server's 101.
pub(crate) fn connect(options: &ClientOptions) -> io::Result<(TcpStream, Established)> {
    let authority = options
        .uri
        .authority()
        .ok_or_else(|| other("no authority"))?;
    let port = authority.port_u16().unwrap_or(80);
    let mut stream = TcpStream::connect((authority.host(), port))?;
    stream.set_nodelay(true)?;
    let mut hs = ClientHandshake::new(options, &mut SystemRandom::new(), HeadLimits::default())
        .map_err(other)?;
    let mut out = Vec::new();
    let _ = hs.poll_output(&mut out);
    stream.write_all(&out)?;
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        hs.recv(buf.get(..n).unwrap_or_default()).map_err(other)?;
        if let Some(ClientEvent::Established(established)) = hs.poll_event() {
            return Ok((stream, established));
        }
    }
}

/// Runs `conn` on `stream` until the WebSocket is closed, echoing every message back if
/// `echo` is set, and returns the first text message received (for getCaseCount).
pub(crate) fn run(
    stream: &mut TcpStream,
    mut conn: Connection,
    leftover: bytes::Bytes,
    echo: bool,
) -> io::Result<Option<String>> {
    conn.recv_bytes(leftover);
    let mut buf = vec![0u8; READ_SIZE];
    let mut out = Vec::new();
    let mut first_text = None;
    loop {
        while let Some(event) = conn.poll_event() {
            if let Event::Message(message) = event {
                if first_text.is_none()
                    && let stator_ws::Message::Text(text) = &message
                {
                    first_text = Some(text.as_str().to_owned());
                }
                if echo {
                    // A send fails only once the connection is closing: nothing to echo then.
                    let _ = conn.send(&message);
                }
            }
            // Write as we go so the pending output never grows past one message.
            out.clear();
            if conn.poll_output(&mut out) > 0 {
                stream.write_all(&out)?;
            }
        }
        out.clear();
        if conn.poll_output(&mut out) > 0 {
            stream.write_all(&out)?;
        }
        if conn.wants_close_transport() {
            if conn.role() == Role::Client {
                // RFC 6455 §7.1.1: the server closes TCP first; give it a moment.
                stream.set_read_timeout(Some(Duration::from_secs(1)))?;
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            }
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(first_text);
        }
        match stream.read(&mut buf) {
            Ok(0) => conn.recv_eof(),
            Ok(n) => conn.recv(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => conn.recv_eof(),
        }
    }
}

/// The connection configuration both examples use for `role` after `established`.
pub(crate) fn config(role: Role, established: &Established) -> Config {
    let config = match role {
        Role::Client => Config::client(SystemRandom::new()),
        Role::Server => Config::server(),
    };
    config
        .with_limits(limits())
        .with_deflate(established.negotiated.deflate)
}
