//! An HTTP request and its response, as the application sees them (ASGI `type: "http"`).

use crate::app::queue;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Response, Version, request, response};

use super::link::{HttpInbound, Link, Op};
use super::{ConnInfo, Scope, ScopeKind, SessionError};

/// What [`HttpSession::receive`] yields: ASGI's `http.request` and `http.disconnect`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestEvent {
    /// Request content (`http.request`). `more_body == false` marks the last piece
    /// (possibly empty); trailers, if the request had any, come next.
    Body {
        /// The content, in order.
        data: Bytes,
        /// Whether more content follows.
        more_body: bool,
    },
    /// The request's trailer fields, after the last [`Body`](RequestEvent::Body).
    Trailers(HeaderMap),
    /// The client went away (`http.disconnect`), or, once the request is complete, the
    /// exchange is over. Every later call yields it again.
    Disconnect,
}

/// Where the response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Started,
    Done,
}

/// An HTTP request to answer (ASGI `type: "http"`).
///
/// Read the content with [`receive`](Self::receive) (an application that does not read
/// stops the connection from reading: HTTP/1.1 stops reading the socket, HTTP/2 holds the
/// stream's flow-control window), answer with [`send_response`](Self::send_response),
/// [`send_body`](Self::send_body) and [`send_trailers`](Self::send_trailers), or all at
/// once with [`respond`](Self::respond).
///
/// Dropping the session before the response is complete answers for it: `500` if nothing
/// was sent, otherwise the response is aborted (the HTTP/1.1 connection closes, an HTTP/2
/// stream is reset).
#[derive(Debug)]
pub struct HttpSession {
    /// Made on first use from the request and `conn`: most handlers never ask, and it
    /// copies the head.
    scope: OnceLock<Box<Scope>>,
    conn: ConnInfo,
    request: request::Parts,
    link: Link,
    rx: queue::Receiver<HttpInbound>,
    stash: Option<HttpInbound>,
    trailers: Option<HeaderMap>,
    asked_body: bool,
    body_done: bool,
    phase: Phase,
}

impl HttpSession {
    /// A session for `request`, fed by `rx`, answering through `link`.
    pub(crate) fn new(
        conn: ConnInfo,
        request: request::Parts,
        link: Link,
        rx: queue::Receiver<HttpInbound>,
    ) -> HttpSession {
        HttpSession {
            scope: OnceLock::new(),
            conn,
            request,
            link,
            rx,
            stash: None,
            trailers: None,
            asked_body: false,
            body_done: false,
            phase: Phase::Idle,
        }
    }

    /// The session's scope.
    pub fn scope(&self) -> &Scope {
        self.scope.get_or_init(|| {
            Box::new(Scope::new(
                ScopeKind::Http,
                &self.request,
                self.conn,
                Vec::new(),
            ))
        })
    }

    /// The request head, as received.
    pub fn request(&self) -> &request::Parts {
        &self.request
    }

    /// The HTTP version that carries the request.
    pub fn http_version(&self) -> Version {
        self.request.version
    }

    /// The next piece of the request: content, then trailers if any, then
    /// [`RequestEvent::Disconnect`] for good.
    ///
    /// The first call invites the content of a request that sent `Expect: 100-continue`
    /// (the server sends `100 Continue`, unless a response has started).
    pub async fn receive(&mut self) -> RequestEvent {
        if !self.asked_body {
            self.asked_body = true;
            self.link.post(Op::WantBody);
        }
        if let Some(trailers) = self.trailers.take() {
            return RequestEvent::Trailers(trailers);
        }
        if self.body_done {
            // ASGI: after the request, receive waits for the disconnect.
            let _ = self.rx.recv().await;
            return RequestEvent::Disconnect;
        }
        let next = match self.stash.take() {
            Some(item) => Some(item),
            None => self.rx.recv().await,
        };
        let Some(item) = next else {
            self.body_done = true;
            return RequestEvent::Disconnect;
        };
        match item {
            HttpInbound::Data(data) => {
                self.link.post(Op::Consumed(data.len()));
                // Mark the last piece as such when the end is already here.
                let more_body = match self.rx.try_recv() {
                    Ok(HttpInbound::End(trailers)) => {
                        self.finish(trailers);
                        false
                    }
                    Ok(next @ HttpInbound::Data(_)) => {
                        self.stash = Some(next);
                        true
                    }
                    Ok(HttpInbound::Disconnect) => {
                        self.body_done = true;
                        true
                    }
                    Err(_) => true,
                };
                RequestEvent::Body { data, more_body }
            }
            HttpInbound::End(trailers) => {
                self.finish(trailers);
                RequestEvent::Body {
                    data: Bytes::new(),
                    more_body: false,
                }
            }
            HttpInbound::Disconnect => {
                self.body_done = true;
                RequestEvent::Disconnect
            }
        }
    }

    fn finish(&mut self, trailers: HeaderMap) {
        self.body_done = true;
        if !trailers.is_empty() {
            self.trailers = Some(trailers);
        }
    }

    /// Reads the whole request content, up to `limit` bytes (ignoring trailers).
    pub async fn read_body(&mut self, limit: usize) -> Result<Bytes, SessionError> {
        let mut body = Vec::new();
        loop {
            match self.receive().await {
                RequestEvent::Body { data, more_body } => {
                    if body.len().saturating_add(data.len()) > limit {
                        return Err(SessionError::Refused(format!(
                            "request content over {limit} bytes"
                        )));
                    }
                    body.extend_from_slice(&data);
                    if !more_body {
                        return Ok(Bytes::from(body));
                    }
                }
                RequestEvent::Trailers(_) => return Ok(Bytes::from(body)),
                RequestEvent::Disconnect => return Err(SessionError::Disconnected),
            }
        }
    }

    /// Sends the response head (`http.response.start`). A `Content-Length` field sends
    /// the content with that length; without one, the length is open (chunked over
    /// HTTP/1.1). Returns once the server took the head.
    pub async fn send_response(&mut self, head: response::Parts) -> Result<(), SessionError> {
        if self.phase != Phase::Idle {
            return Err(SessionError::OutOfTurn("the response has started"));
        }
        let result = self.link.call(|ack| Op::Start(Box::new(head), ack)).await;
        if result.is_ok() {
            self.phase = Phase::Started;
        }
        result
    }

    /// Sends response content (`http.response.body`); `more_body == false` ends the
    /// response. Returns once the server took it: at most one piece is in flight.
    pub async fn send_body(&mut self, data: Bytes, more_body: bool) -> Result<(), SessionError> {
        if self.phase != Phase::Started {
            return Err(SessionError::OutOfTurn("no response in progress"));
        }
        let result = self
            .link
            .call(|ack| Op::Body {
                data,
                more: more_body,
                ack,
            })
            .await;
        if !more_body && result.is_ok() {
            self.phase = Phase::Done;
        }
        result
    }

    /// Ends the response with trailer fields (`http.response.trailers`). Over HTTP/1.1
    /// this needs a response without Content-Length (chunked).
    pub async fn send_trailers(&mut self, trailers: HeaderMap) -> Result<(), SessionError> {
        if self.phase != Phase::Started {
            return Err(SessionError::OutOfTurn("no response in progress"));
        }
        let result = self.link.call(|ack| Op::Trailers(trailers, ack)).await;
        if result.is_ok() {
            self.phase = Phase::Done;
        }
        result
    }

    /// Sends a whole response: its head with a `Content-Length` (unless it has framing
    /// fields already), then its content.
    pub async fn respond(&mut self, response: Response<Bytes>) -> Result<(), SessionError> {
        let (mut head, body) = response.into_parts();
        if !head.headers.contains_key(CONTENT_LENGTH)
            && !head.headers.contains_key(TRANSFER_ENCODING)
        {
            head.headers
                .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        if self.phase != Phase::Idle {
            return Err(SessionError::OutOfTurn("the response has started"));
        }
        let result = self
            .link
            .call(|ack| Op::Respond {
                head: Box::new(head),
                body,
                ack,
            })
            .await;
        if result.is_ok() {
            self.phase = Phase::Done;
        }
        result
    }

    /// Whether the response is complete.
    pub fn is_complete(&self) -> bool {
        self.phase == Phase::Done
    }
}

impl Drop for HttpSession {
    fn drop(&mut self) {
        self.link.post(Op::Dropped {
            panicked: std::thread::panicking(),
        });
    }
}
