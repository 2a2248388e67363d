//! The client's WebSocket: messages both ways over HTTP/1.1 (Upgrade, RFC 6455 §4) or
//! over an HTTP/2 stream (Extended CONNECT, RFC 8441).
//!
//! Whatever carries it, the open WebSocket is a [`Bridge`] in a connection task and a
//! [`WebSocket`] in the application, joined by the same channels as a server session
//! ([`app::link`](crate::app::link)): a [`Link`] for commands with acknowledgements, and
//! an inbound channel of messages whose bytes are reported back as consumed (the task
//! stops reading past `max_unconsumed`).

use crate::app::queue;
use std::sync::Arc;

use bytes::BytesMut;
use http::Version;
use stator_ws::handshake::codec::HeadLimits;
use stator_ws::handshake::{ClientEvent, ClientHandshake, ClientOptions, Negotiated};
use stator_ws::{CloseCode, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::debug;

use super::connect::BoxIo;
use super::{ClientError, Settings};
use crate::WebSocketEvent;
use crate::app::link::{Command, Link, Op, WsInbound};
use crate::ws::{Bridge, KeepAlive};

/// An open client WebSocket.
///
/// [`receive`](Self::receive) yields messages, then one [`WebSocketEvent::Disconnect`]
/// with the close code (1006 if the connection ended without a close handshake), again
/// on every later call. Pings are answered by the connection task. Dropping it closes
/// the WebSocket with 1000.
#[derive(Debug)]
pub struct WebSocket {
    link: Link,
    rx: queue::Receiver<WsInbound>,
    version: Version,
    negotiated: Negotiated,
    ended: Option<(CloseCode, String)>,
}

impl WebSocket {
    pub(crate) fn new(
        link: Link,
        rx: queue::Receiver<WsInbound>,
        version: Version,
        negotiated: Negotiated,
    ) -> WebSocket {
        WebSocket {
            link,
            rx,
            version,
            negotiated,
            ended: None,
        }
    }

    /// The HTTP version that carried the handshake: `HTTP_11` (Upgrade, 101) or `HTTP_2`
    /// (Extended CONNECT, 200).
    pub fn http_version(&self) -> Version {
        self.version
    }

    /// The subprotocol the server chose, if any (RFC 6455 §4.2.2).
    pub fn subprotocol(&self) -> Option<&str> {
        self.negotiated.subprotocol.as_deref()
    }

    /// Whether permessage-deflate (RFC 7692) is in use.
    pub fn deflate(&self) -> bool {
        self.negotiated.deflate.is_some()
    }

    /// Sends a message; returns once the connection task wrote it.
    pub async fn send(&mut self, message: Message) -> Result<(), ClientError> {
        if self.ended.is_some() {
            return Err(ClientError::WsClosed);
        }
        Ok(self.link.call(|ack| Op::Send(message, ack)).await?)
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2) with `code` and `reason`; the
    /// disconnect, with the server's code, follows through [`receive`](Self::receive).
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), ClientError> {
        if self.ended.is_some() {
            return Err(ClientError::WsClosed);
        }
        Ok(self
            .link
            .call(|ack| Op::Close(code, reason.to_owned(), ack))
            .await?)
    }

    /// The next message, or the disconnect.
    pub async fn receive(&mut self) -> WebSocketEvent {
        if let Some((code, reason)) = &self.ended {
            return WebSocketEvent::Disconnect {
                code: *code,
                reason: reason.clone(),
            };
        }
        let (code, reason) = match self.rx.recv().await {
            Some(WsInbound::Message(message)) => {
                self.link.post(Op::Consumed(message.as_bytes().len()));
                return WebSocketEvent::Message(message);
            }
            Some(WsInbound::Disconnect { code, reason }) => (code, reason),
            None => (CloseCode::ABNORMAL, String::new()),
        };
        self.ended = Some((code, reason.clone()));
        WebSocketEvent::Disconnect { code, reason }
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        self.link.post(Op::Dropped { panicked: false });
    }
}

/// Runs the HTTP/1.1 opening handshake on `io`, then starts the task that carries the
/// WebSocket.
pub(crate) async fn upgrade(
    mut io: BoxIo,
    options: &ClientOptions,
    settings: Arc<Settings>,
) -> Result<WebSocket, ClientError> {
    let mut rng = stator_wire::rand::SystemRandom::new();
    let mut handshake = ClientHandshake::new(options, &mut rng, HeadLimits::default())?;
    while let Some(out) = handshake.poll_transmit() {
        io.write_all(&out).await?;
    }
    let mut buf = BytesMut::with_capacity(4096);
    let established = loop {
        if let Some(ClientEvent::Established(established)) = handshake.poll_event() {
            break established;
        }
        buf.clear();
        if io.read_buf(&mut buf).await? == 0 {
            return Err(ClientError::Closed);
        }
        handshake.recv(&buf)?;
    };
    let config = stator_ws::Config::client(stator_wire::rand::SystemRandom::new())
        .with_limits(settings.ws_limits)
        .with_deflate(established.negotiated.deflate);
    let (tx, rx) = queue::unbounded();
    let keep_alive = KeepAlive {
        ping_after: None,
        idle_timeout: None,
    };
    let mut bridge = Bridge::new(
        stator_ws::Connection::new(config),
        tx,
        settings.max_unconsumed,
        keep_alive,
    );
    if !established.leftover.is_empty() {
        bridge.recv(established.leftover);
    }
    let (commands_tx, commands) = queue::unbounded();
    tokio::spawn(run_h1(io, bridge, commands, settings));
    Ok(WebSocket::new(
        Link::new(0, commands_tx),
        rx,
        Version::HTTP_11,
        established.negotiated,
    ))
}

/// Carries an open WebSocket over the socket that was upgraded.
async fn run_h1(
    mut io: BoxIo,
    mut bridge: Bridge,
    mut commands: queue::Receiver<Command>,
    settings: Arc<Settings>,
) {
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut eof = false;
    let mut gone = false;
    loop {
        while let Some(out) = bridge.poll_transmit() {
            let write = tokio::time::timeout(settings.idle_timeout, io.write_all(&out));
            if !matches!(write.await, Ok(Ok(()))) {
                debug!("WebSocket write failed");
                bridge.reset();
                return;
            }
        }
        bridge.flushed();
        if bridge.is_done() {
            // The server closes TCP first after the close handshake (RFC 6455 §7.1.1);
            // wait a little for it, then close our side.
            if !eof {
                let _ = tokio::time::timeout(settings.close_linger, io.read_buf(&mut buf)).await;
            }
            let _ = io.shutdown().await;
            return;
        }
        if buf.capacity() < 4096 {
            buf.reserve(16 * 1024);
        }
        let read = !eof && bridge.wants_input();
        tokio::select! {
            n = io.read_buf(&mut buf), if read => match n {
                Ok(0) | Err(_) => {
                    eof = true;
                    bridge.recv_eof();
                }
                Ok(_) => bridge.recv(buf.split().freeze()),
            },
            command = commands.recv(), if !gone => match command {
                Some(Command { op, .. }) => bridge.command(op),
                // The application is gone (its drop started the close): wait a little
                // for the close handshake.
                None => gone = true,
            },
            () = tokio::time::sleep(settings.close_linger), if gone => bridge.reset(),
        }
    }
}
