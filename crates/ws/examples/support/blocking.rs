//! A blocking driver for stator-ws over `std::net::TcpStream`, for the examples and the
//! Autobahn harness: a [`Connection`] made with `client_h1` or `server_h1` runs the HTTP/1.1
//! opening handshake and then the WebSocket on the same socket, echoing every message back.
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
use stator_ws::handshake::{AcceptOptions, ClientOptions, codec::HeadLimits};
use stator_ws::{Config, Connection, Error, Event, Limits, Role};

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

/// The connection configuration both examples use for `role`. No deflate here: the
/// opening handshake negotiates it and the connection applies it when it opens.
pub(crate) fn config(role: Role) -> Config {
    let config = match role {
        Role::Client => Config::client(SystemRandom::new()),
        Role::Server => Config::server(),
    };
    config.with_limits(limits())
}

/// Server side: runs a `server_h1` connection on `stream`, accepting every valid request
/// with `options` and echoing every message. A refused request (the machine's 400, 426 or
/// 431) is written and reported as an [`io::ErrorKind::InvalidData`] error.
pub(crate) fn serve(stream: &mut TcpStream, options: &AcceptOptions) -> io::Result<()> {
    let conn = Connection::server_h1(config(Role::Server), HeadLimits::default());
    run(stream, conn, Some(options), true).map(drop)
}

/// Client side: connects to the URI's authority and returns a `client_h1` connection whose
/// request is ready to be sent by [`run`].
pub(crate) fn connect(options: &ClientOptions) -> io::Result<(TcpStream, Connection)> {
    let authority = options
        .uri
        .authority()
        .ok_or_else(|| other("no authority"))?;
    let port = authority.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((authority.host(), port))?;
    stream.set_nodelay(true)?;
    let conn = Connection::client_h1(options, config(Role::Client)).map_err(other)?;
    Ok((stream, conn))
}

/// Runs `conn` on `stream` from the opening handshake until the WebSocket is closed,
/// accepting a server's request with `accept`, echoing every message back if `echo` is
/// set, and returns the first text message received (for getCaseCount). A failed opening
/// handshake is an [`io::ErrorKind::InvalidData`] error, once whatever the connection had
/// to send (a server's 400, 426 or 431) is written.
pub(crate) fn run(
    stream: &mut TcpStream,
    mut conn: Connection,
    accept: Option<&AcceptOptions>,
    echo: bool,
) -> io::Result<Option<String>> {
    let mut buf = vec![0u8; READ_SIZE];
    let mut out = Vec::new();
    let mut first_text = None;
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(_) => {
                    let result = match accept {
                        Some(options) => conn.accept(options),
                        None => conn.reject(http::StatusCode::FORBIDDEN),
                    };
                    result.map_err(other)?;
                }
                Event::Message(message) => {
                    if first_text.is_none()
                        && let stator_ws::Message::Text(text) = &message
                    {
                        first_text = Some(text.as_str().to_owned());
                    }
                    if echo {
                        // A send fails only once the connection is closing: nothing to echo
                        // then.
                        let _ = conn.send(&message);
                    }
                }
                _ => {}
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
            if let Some(Error::Handshake(e)) = conn.error() {
                let _ = stream.shutdown(Shutdown::Both);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("handshake failed: {e}"),
                ));
            }
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
