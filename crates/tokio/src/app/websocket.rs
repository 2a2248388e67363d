//! A WebSocket, as the application sees it (ASGI `type: "websocket"`), whichever HTTP
//! version carried its opening handshake.

use crate::app::queue;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Version, request};
use stator_ws::extension::DeflateOptions;
use stator_ws::handshake::AcceptOptions;
use stator_ws::{CloseCode, Message};
use tokio::sync::oneshot;

use super::link::{AcceptOp, Link, Op, WsInbound};
use super::{Scope, SessionError};

/// How to accept a WebSocket (ASGI `websocket.accept`).
///
/// The default chooses no subprotocol, adds no header and accepts permessage-deflate
/// (RFC 7692) when the client offers it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Accept {
    /// The subprotocol chosen among [`Scope::subprotocols`] (ASGI `subprotocol`); one the
    /// client did not offer is not sent.
    pub subprotocol: Option<String>,
    /// More response headers (ASGI `headers`), e.g. `set-cookie`.
    pub headers: HeaderMap,
    /// Whether to accept permessage-deflate when offered.
    pub deflate: bool,
}

impl Default for Accept {
    fn default() -> Accept {
        Accept {
            subprotocol: None,
            headers: HeaderMap::new(),
            deflate: true,
        }
    }
}

impl Accept {
    /// The default: no subprotocol, no header, permessage-deflate if offered.
    pub fn new() -> Accept {
        Accept::default()
    }

    /// Chooses `subprotocol`.
    #[must_use]
    pub fn with_subprotocol(mut self, subprotocol: impl Into<String>) -> Accept {
        self.subprotocol = Some(subprotocol.into());
        self
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Accept {
        self.headers.append(name, value);
        self
    }

    /// Accepts (`true`) or declines (`false`) permessage-deflate.
    #[must_use]
    pub fn with_deflate(mut self, deflate: bool) -> Accept {
        self.deflate = deflate;
        self
    }
}

/// What [`WebSocketSession::receive`] yields: ASGI's `websocket.receive` and
/// `websocket.disconnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebSocketEvent {
    /// A complete text or binary message.
    Message(Message),
    /// The WebSocket is over: the peer's close code (1005 if its close frame had none),
    /// the code we closed with, or 1006 if the connection ended without a close
    /// handshake. Every later call yields it again.
    Disconnect {
        /// The close code.
        code: CloseCode,
        /// The close reason, empty if none.
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Open,
    Refused,
}

/// A WebSocket opening handshake to accept or reject, then the open WebSocket (ASGI
/// `type: "websocket"`).
///
/// The same handler serves a WebSocket opened by an HTTP/1.1 Upgrade (answered `101`) and
/// one opened by an HTTP/2 Extended CONNECT (answered `200`); only
/// [`http_version`](Self::http_version) tells them apart. Pings are answered and sent by
/// the server (its keep-alive policy), not by the application.
///
/// Dropping the session refuses a pending handshake with `403` (`500` after a panic)
/// and closes an open WebSocket with 1000 (1011 after a panic).
#[derive(Debug)]
pub struct WebSocketSession {
    scope: Scope,
    request: request::Parts,
    link: Link,
    rx: queue::Receiver<WsInbound>,
    state: State,
    subprotocol: Option<String>,
    deflate: bool,
    ended: Option<(CloseCode, String)>,
    /// Bytes taken by the application and not yet reported with `Op::Consumed`.
    unreported: usize,
    /// Report once `unreported` reaches this: a quarter of what the connection lets a
    /// session hold, at most 16 KiB. The connection then sees at most this much more
    /// held than there is, so it stops reading no earlier than three quarters of its
    /// limit, and never for bytes the application took (once it has taken all,
    /// less than this is unreported, under the limit).
    report_every: usize,
}

/// The largest batch of consumed bytes a WebSocket session reports at once.
const REPORT_EVERY: usize = 16 * 1024;

impl WebSocketSession {
    /// A session for the handshake `request`, fed by `rx`, answering through `link`.
    pub(crate) fn new(
        scope: Scope,
        request: request::Parts,
        link: Link,
        rx: queue::Receiver<WsInbound>,
        max_unconsumed: usize,
    ) -> WebSocketSession {
        WebSocketSession {
            scope,
            request,
            link,
            rx,
            state: State::Pending,
            subprotocol: None,
            deflate: false,
            ended: None,
            unreported: 0,
            report_every: (max_unconsumed / 4).min(REPORT_EVERY),
        }
    }

    /// The session's scope (ASGI `websocket.connect` carries it).
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The opening handshake's request head: a GET with `Upgrade: websocket` over
    /// HTTP/1.1, a CONNECT with `:protocol websocket` over HTTP/2.
    pub fn request(&self) -> &request::Parts {
        &self.request
    }

    /// The HTTP version that carried the opening handshake.
    pub fn http_version(&self) -> Version {
        self.scope.http_version
    }

    /// The subprotocol agreed on, once accepted.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// Whether permessage-deflate is in use, once accepted.
    pub fn deflate(&self) -> bool {
        self.deflate
    }

    /// Accepts the WebSocket (`websocket.accept`): the server answers `101` or `200`.
    /// Returns once the answer is on the wire.
    pub async fn accept(&mut self, accept: Accept) -> Result<(), SessionError> {
        if self.state != State::Pending {
            return Err(SessionError::OutOfTurn("the handshake was answered"));
        }
        let options = AcceptOptions {
            subprotocols: accept.subprotocol.into_iter().collect(),
            deflate: accept.deflate.then(DeflateOptions::default),
            headers: accept.headers,
        };
        let (ack, answer) = oneshot::channel();
        if !self
            .link
            .post(Op::Accept(Box::new(AcceptOp { options, ack })))
        {
            return Err(SessionError::Disconnected);
        }
        let negotiated = answer.await.unwrap_or(Err(SessionError::Disconnected))?;
        self.state = State::Open;
        self.subprotocol = negotiated.subprotocol;
        self.deflate = negotiated.deflate.is_some();
        Ok(())
    }

    /// Refuses the WebSocket with `status` and no body (ASGI `websocket.close` before
    /// accepting; `websocket.http.response` with a status).
    pub async fn reject(&mut self, status: StatusCode) -> Result<(), SessionError> {
        if self.state != State::Pending {
            return Err(SessionError::OutOfTurn("the handshake was answered"));
        }
        self.state = State::Refused;
        self.link.call(|ack| Op::Reject(status, ack)).await
    }

    /// The next message, or the disconnect. Before [`accept`](Self::accept) it yields a
    /// disconnect with 1006.
    pub async fn receive(&mut self) -> WebSocketEvent {
        if let Some((code, reason)) = &self.ended {
            return WebSocketEvent::Disconnect {
                code: *code,
                reason: reason.clone(),
            };
        }
        if self.state != State::Open {
            return WebSocketEvent::Disconnect {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
            };
        }
        match self.rx.recv().await {
            Some(WsInbound::Message(message)) => {
                self.unreported = self.unreported.saturating_add(message.as_bytes().len());
                if self.unreported >= self.report_every {
                    self.link
                        .post(Op::Consumed(std::mem::take(&mut self.unreported)));
                }
                WebSocketEvent::Message(message)
            }
            Some(WsInbound::Disconnect { code, reason }) => {
                self.ended = Some((code, reason.clone()));
                WebSocketEvent::Disconnect { code, reason }
            }
            None => {
                self.ended = Some((CloseCode::ABNORMAL, String::new()));
                WebSocketEvent::Disconnect {
                    code: CloseCode::ABNORMAL,
                    reason: String::new(),
                }
            }
        }
    }

    /// Sends a message (`websocket.send`); returns once the server took it.
    pub async fn send(&mut self, message: Message) -> Result<(), SessionError> {
        if self.state != State::Open {
            return Err(SessionError::OutOfTurn("the WebSocket is not open"));
        }
        self.link.call(|ack| Op::Send(message, ack)).await
    }

    /// Starts the closing handshake with `code` and `reason` (`websocket.close`); the
    /// disconnect follows through [`receive`](Self::receive).
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SessionError> {
        match self.state {
            State::Open => {
                self.link
                    .call(|ack| Op::Close(code, reason.to_owned(), ack))
                    .await
            }
            State::Pending => self.reject(StatusCode::FORBIDDEN).await,
            State::Refused => Err(SessionError::OutOfTurn("the handshake was refused")),
        }
    }
}

impl Drop for WebSocketSession {
    fn drop(&mut self) {
        self.link.post(Op::Dropped {
            panicked: std::thread::panicking(),
        });
    }
}
