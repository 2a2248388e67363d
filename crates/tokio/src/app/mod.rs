//! The application interface: an [`App`] is called once per [`Session`].
//!
//! It follows Python's ASGI (docs/APP.md maps the two side by side): a session carries a
//! [`Scope`] (ASGI's `scope`) and exchanges typed events with the server, in both
//! directions, through async methods instead of `receive()` / `send()` dictionaries:
//!
//! - [`Session::Http`]: [`HttpSession::receive`] yields the request content
//!   (`http.request` with `more_body`, then trailers, or `http.disconnect`);
//!   [`HttpSession::send_response`], [`send_body`](HttpSession::send_body) and
//!   [`send_trailers`](HttpSession::send_trailers) are `http.response.start`, `.body` and
//!   `.trailers`.
//! - [`Session::WebSocket`]: the scope is `websocket.connect`;
//!   [`accept`](WebSocketSession::accept), [`receive`](WebSocketSession::receive),
//!   [`send`](WebSocketSession::send) and [`close`](WebSocketSession::close) are
//!   `websocket.accept`, `.receive` / `.disconnect`, `.send` and `.close`.
//!
//! A session does not know which connection carries it: the same handler serves HTTP/1.1
//! and HTTP/2 (and WebSocket over a 101 Upgrade or an Extended CONNECT); only
//! [`Scope::http_version`] tells. See the `app::link` module documentation (crate-internal) for how sessions
//! talk to connection tasks.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderMap, Method, Version, request};

mod http_session;
pub(crate) mod link;
pub(crate) mod queue;
pub(crate) mod sessions;
mod websocket;

pub use http_session::{HttpSession, RequestEvent};
pub use websocket::{Accept, WebSocketEvent, WebSocketSession};

/// An application: called once per session, on its own task.
///
/// Implemented for every `Fn(Session) -> impl Future<Output = ()>` that is `Send + Sync +
/// 'static` and whose future is `Send + 'static`:
///
/// ```
/// use stator_tokio::{App, Session};
///
/// fn is_app(_: impl App) {}
/// is_app(|session: Session| async move {
///     if let Session::Http(mut http) = session {
///         let _ = http.respond(http::Response::new("hi".into())).await;
///     }
/// });
/// ```
pub trait App: Send + Sync + 'static {
    /// The future that serves one session.
    type Future: Future<Output = ()> + Send + 'static;

    /// Serves `session` until the future completes. The session is answered for if the
    /// future drops it unanswered or panics (500, or WebSocket close 1011).
    fn call(&self, session: Session) -> Self::Future;
}

impl<F, Fut> App for F
where
    F: Fn(Session) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    type Future = Fut;

    fn call(&self, session: Session) -> Fut {
        self(session)
    }
}

/// The application with its type erased, as the connection tasks hold it.
pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A shared, type-erased [`App`].
#[derive(Clone)]
pub(crate) struct AppHandle(Arc<dyn Fn(Session) -> BoxFuture + Send + Sync>);

impl AppHandle {
    /// Erases `app`'s type.
    pub(crate) fn new<A: App>(app: A) -> AppHandle {
        AppHandle(Arc::new(move |session| Box::pin(app.call(session))))
    }

    /// The future that serves `session`.
    pub(crate) fn call(&self, session: Session) -> BoxFuture {
        (self.0)(session)
    }
}

/// One unit of work for the application: ASGI's connection scope with its events.
#[derive(Debug)]
#[non_exhaustive]
pub enum Session {
    /// An HTTP request and its response (ASGI `type: "http"`).
    Http(HttpSession),
    /// A WebSocket, over an HTTP/1.1 Upgrade or an Extended CONNECT (ASGI
    /// `type: "websocket"`).
    WebSocket(WebSocketSession),
}

impl Session {
    /// The session's scope.
    pub fn scope(&self) -> &Scope {
        match self {
            Session::Http(s) => s.scope(),
            Session::WebSocket(s) => s.scope(),
        }
    }
}

/// What kind of session a [`Scope`] describes (ASGI's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeKind {
    /// `"http"`.
    Http,
    /// `"websocket"`.
    WebSocket,
}

/// What is known about a session when it starts (ASGI's `scope`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Scope {
    /// HTTP or WebSocket (ASGI `type`).
    pub kind: ScopeKind,
    /// The HTTP version that carries the session (ASGI `http_version`).
    pub http_version: Version,
    /// `http` or `https` for HTTP, `ws` or `wss` for WebSocket (ASGI `scheme`).
    pub scheme: &'static str,
    /// The request method (ASGI `method`): CONNECT for a WebSocket over HTTP/2, GET over
    /// HTTP/1.1.
    pub method: Method,
    /// The request path, still percent-encoded (ASGI `raw_path`).
    pub path: String,
    /// The query string without the `?`, empty if none (ASGI `query_string`).
    pub query: String,
    /// The request's header fields (ASGI `headers`).
    pub headers: HeaderMap,
    /// The peer's address (ASGI `client`).
    pub client: SocketAddr,
    /// Our address on the connection (ASGI `server`).
    pub server: SocketAddr,
    /// WebSocket: the subprotocols the client offered, in its order of preference (ASGI
    /// `subprotocols`); empty for HTTP.
    pub subprotocols: Vec<String>,
}

/// Where a connection is: the addresses and whether it is secured, known to the driver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnInfo {
    /// The peer.
    pub(crate) client: SocketAddr,
    /// Us.
    pub(crate) server: SocketAddr,
    /// Whether TLS protects it.
    pub(crate) secure: bool,
}

impl Scope {
    /// The scope of a session for `request` on the connection `info`.
    pub(crate) fn new(
        kind: ScopeKind,
        request: &request::Parts,
        info: ConnInfo,
        subprotocols: Vec<String>,
    ) -> Scope {
        let scheme = match (kind, info.secure) {
            (ScopeKind::Http, false) => "http",
            (ScopeKind::Http, true) => "https",
            (ScopeKind::WebSocket, false) => "ws",
            (ScopeKind::WebSocket, true) => "wss",
        };
        Scope {
            kind,
            http_version: request.version,
            scheme,
            method: request.method.clone(),
            path: request.uri.path().to_owned(),
            query: request.uri.query().unwrap_or_default().to_owned(),
            headers: request.headers.clone(),
            client: info.client,
            server: info.server,
            subprotocols,
        }
    }
}

/// Why a session operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The peer went away, the stream was reset or the server closed the connection.
    #[error("the peer disconnected")]
    Disconnected,
    /// The operation is not allowed now (a body before the response head, a second
    /// head, a message before the WebSocket was accepted, ...).
    #[error("not allowed now: {0}")]
    OutOfTurn(&'static str),
    /// The protocol machine refused what the application gave it (conflicting framing
    /// fields, more content than the Content-Length, trailers on a response with a
    /// Content-Length, a header the handshake sets itself, ...).
    #[error("refused: {0}")]
    Refused(String),
}
