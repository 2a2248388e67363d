//! The client: HTTP/1.1 and HTTP/2 requests with connection reuse, and `WebSocket`s over
//! either (RFC 6455 Upgrade, RFC 8441 Extended CONNECT).
//!
//! A [`Client`] is a handle to a small pool, keyed by (scheme, host, port). Each
//! connection is one tokio task owning the socket and the protocol machine; requests
//! talk to it over channels with oneshot replies:
//!
//! - an HTTP/2 connection (`https` with ALPN `h2`, or `http` with
//!   [`ClientBuilder::http2_prior_knowledge`]) is shared by every concurrent request to
//!   its origin; the machine queues requests beyond the server's
//!   `SETTINGS_MAX_CONCURRENT_STREAMS`;
//! - an HTTP/1.1 connection carries one request at a time and goes back to the pool
//!   after a response that keeps it alive (at most
//!   [`ClientBuilder::max_idle_per_host`] idle ones per origin).
//!
//! [`Client::request`] returns the whole response (with a size limit);
//! [`Client::send`] returns a [`ResponseStream`] as soon as the head arrived, its
//! content read piece by piece with backpressure (HTTP/2 flow-control credit goes back
//! only as the application takes the content).
//!
//! [`Client::websocket`] uses an HTTP/2 connection when there is one (or when a new
//! `https` connection negotiates `h2`) and its server's SETTINGS enabled Extended
//! CONNECT; otherwise it opens an HTTP/1.1 connection and upgrades it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), stator_tokio::client::ClientError> {
//! use stator_tokio::client::Client;
//! use stator_tokio::{Message, WebSocketEvent};
//!
//! let client = Client::new();
//! let response = client.get("http://127.0.0.1:8080/hello").await?;
//! println!("{} {:?}", response.status(), response.body());
//!
//! let mut ws = client.websocket("ws://127.0.0.1:8080/ws").await?;
//! ws.send(Message::text("hi")).await?;
//! if let WebSocketEvent::Message(reply) = ws.receive().await {
//!     println!("{reply:?} over {:?}", ws.http_version());
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, Uri, request};
use stator_ws::extension::DeflateOffer;
use stator_ws::handshake::{ClientOptions, connect as ws_connect};
use tracing::debug;

mod body;
mod connect;
mod error;
mod h1;
mod h2;
mod websocket;

pub use body::ResponseStream;
pub use error::ClientError;
pub use websocket::WebSocket;

use connect::{Proto, Target};

use crate::tls::ClientTls;

/// The trailer fields of a response, when it had any: in the response's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailers(pub HeaderMap);

/// Which HTTP versions a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Versions {
    /// ALPN `h2` then `http/1.1` over TLS; HTTP/1.1 in cleartext unless prior knowledge.
    Auto,
    /// HTTP/1.1 only.
    Http1Only,
    /// HTTP/2 only (prior knowledge in cleartext).
    Http2Only,
}

/// A client's configuration, shared by its connection tasks.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) tls: Option<ClientTls>,
    pub(crate) versions: Versions,
    pub(crate) h2_prior_knowledge: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) idle_timeout: Duration,
    pub(crate) close_linger: Duration,
    pub(crate) max_response_body: usize,
    pub(crate) max_idle_per_host: usize,
    pub(crate) max_unconsumed: usize,
    pub(crate) deflate: bool,
    pub(crate) h1_limits: stator_h1::Limits,
    pub(crate) h2_limits: stator_h2::Limits,
    pub(crate) ws_limits: stator_ws::Limits,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            tls: None,
            versions: Versions::Auto,
            h2_prior_knowledge: false,
            connect_timeout: Duration::from_secs(10),
            request_timeout: None,
            idle_timeout: Duration::from_secs(90),
            close_linger: Duration::from_secs(2),
            max_response_body: 64 << 20,
            max_idle_per_host: 8,
            max_unconsumed: 1 << 20,
            deflate: true,
            h1_limits: stator_h1::Limits::default(),
            h2_limits: stator_h2::Limits::default(),
            ws_limits: stator_ws::Limits::default(),
        }
    }
}

/// Builds a [`Client`]: TLS trust, HTTP versions, timeouts and limits.
#[derive(Debug, Default)]
pub struct ClientBuilder {
    settings: Settings,
}

impl ClientBuilder {
    /// The TLS configuration for `https`/`wss` (trusted roots or a pinned certificate);
    /// its ALPN list is replaced by the client's version choice.
    #[must_use]
    pub fn tls(mut self, tls: ClientTls) -> Self {
        self.settings.tls = Some(tls);
        self
    }

    /// Speak HTTP/2 to `http://` URLs without negotiation (RFC 9113 §3.3, "h2c" prior
    /// knowledge). Default off.
    #[must_use]
    pub fn http2_prior_knowledge(mut self, on: bool) -> Self {
        self.settings.h2_prior_knowledge = on;
        self
    }

    /// Use HTTP/1.1 only (ALPN offers `http/1.1` alone).
    #[must_use]
    pub fn http1_only(mut self) -> Self {
        self.settings.versions = Versions::Http1Only;
        self
    }

    /// Use HTTP/2 only (ALPN offers `h2` alone; prior knowledge for `http://`).
    #[must_use]
    pub fn http2_only(mut self) -> Self {
        self.settings.versions = Versions::Http2Only;
        self
    }

    /// Bound on TCP connect plus TLS handshake. Default 10 s.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Bound on a whole request, connection included. Default none.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = Some(timeout);
        self
    }

    /// How long a connection may sit idle in the pool, and the longest wait for any one
    /// read or write of an exchange. Default 90 s.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.idle_timeout = timeout;
        self
    }

    /// The most response content [`Client::request`] collects
    /// ([`ClientError::BodyTooLarge`] beyond). Default 64 MiB: a server cannot make the
    /// client buffer without bound.
    #[must_use]
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.settings.max_response_body = bytes;
        self
    }

    /// Idle HTTP/1.1 connections kept per origin. Default 8.
    #[must_use]
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.settings.max_idle_per_host = n;
        self
    }

    /// Offer permessage-deflate (RFC 7692) on each `WebSocket`. Default on.
    #[must_use]
    pub fn websocket_deflate(mut self, on: bool) -> Self {
        self.settings.deflate = on;
        self
    }

    /// HTTP/1.1 machine limits (head sizes, ...).
    #[must_use]
    pub fn h1_limits(mut self, limits: stator_h1::Limits) -> Self {
        self.settings.h1_limits = limits;
        self
    }

    /// HTTP/2 machine limits and anti-abuse budgets.
    #[must_use]
    pub fn h2_limits(mut self, limits: stator_h2::Limits) -> Self {
        self.settings.h2_limits = limits;
        self
    }

    /// WebSocket limits (message and frame sizes, ...).
    #[must_use]
    pub fn ws_limits(mut self, limits: stator_ws::Limits) -> Self {
        self.settings.ws_limits = limits;
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                settings: Arc::new(self.settings),
                pool: Mutex::new(HashMap::new()),
            }),
        }
    }
}

/// What a WebSocket asks for besides its URL.
#[derive(Debug, Clone, Default)]
pub struct WebSocketOptions {
    /// Subprotocols in order of preference (Sec-WebSocket-Protocol, RFC 6455 §4.1).
    pub subprotocols: Vec<String>,
    /// More request headers (Origin, Authorization, ...).
    pub headers: HeaderMap,
}

/// An HTTP/1.1 and HTTP/2 client with a connection pool; clones share the pool.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Arc<Settings>,
    pool: Mutex<HashMap<Target, Entry>>,
}

/// An origin's connections.
#[derive(Debug, Default)]
struct Entry {
    h2: Option<h2::Handle>,
    idle: Vec<h1::Handle>,
    /// Held while a connection that may turn out HTTP/2 is being made, so that
    /// concurrent first requests share it instead of each opening one.
    connecting: Arc<tokio::sync::Mutex<()>>,
}

/// A connection taken for one request.
enum Conn {
    H1(h1::Handle),
    H2(h2::Handle),
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// A client with the defaults (no TLS trust: `https` needs [`ClientBuilder::tls`]).
    pub fn new() -> Client {
        Client::builder().build()
    }

    /// Starts a configuration.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `GET url`, the whole response.
    pub async fn get(&self, url: &str) -> Result<Response<Bytes>, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|_| ClientError::BadUrl("not a valid URI"))?;
        let request = Request::get(uri)
            .body(Bytes::new())
            .map_err(|_| ClientError::BadUrl("not a valid URI"))?;
        self.request(request).await
    }

    /// Sends `request` (absolute URI) with its content and returns the whole response,
    /// at most [`ClientBuilder::max_response_body`] bytes, trailers in its extensions as
    /// [`Trailers`]. The request timeout covers the whole exchange.
    pub async fn request(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ClientError> {
        let limit = self.inner.settings.max_response_body;
        let exchange = async {
            let (head, body) = request.into_parts();
            let target = Target::of(&head.uri)?;
            self.exchange(target, head, body)
                .await?
                .collect(limit)
                .await
        };
        match self.inner.settings.request_timeout {
            Some(after) => {
                tokio::time::timeout(after, exchange)
                    .await
                    .map_err(|_| ClientError::Timeout {
                        what: "request",
                        after,
                    })?
            }
            None => exchange.await,
        }
    }

    /// Sends `request` and returns once the response head arrived; the content follows
    /// through [`ResponseStream::chunk`], with backpressure. The request timeout covers
    /// the head.
    pub async fn send(&self, request: Request<Bytes>) -> Result<ResponseStream, ClientError> {
        let (head, body) = request.into_parts();
        let target = Target::of(&head.uri)?;
        let exchange = self.exchange(target, head, body);
        match self.inner.settings.request_timeout {
            Some(after) => {
                tokio::time::timeout(after, exchange)
                    .await
                    .map_err(|_| ClientError::Timeout {
                        what: "request",
                        after,
                    })?
            }
            None => exchange.await,
        }
    }

    async fn exchange(
        &self,
        target: Target,
        head: request::Parts,
        body: Bytes,
    ) -> Result<ResponseStream, ClientError> {
        let versions = self.inner.settings.versions;
        let pooled = self.pooled(&target, versions);
        let from_pool = pooled.is_some();
        let conn = match pooled {
            Some(conn) => conn,
            None => self.connect_new(&target, versions).await?,
        };
        let retry = from_pool && head.method.is_idempotent();
        let result = self.on(conn, &target, head.clone(), body.clone()).await;
        match result {
            // The server closed an idle kept-alive connection as we reused it (RFC 9112
            // §9.3.1): nothing of a response came, and the method may be retried.
            Err(error) if retry && stale(&error) => {
                debug!("a pooled HTTP/1.1 connection was closed: retrying on a new one");
                let conn = self.connect_new(&target, versions).await?;
                self.on(conn, &target, head, body).await
            }
            other => other,
        }
    }

    /// Sends a request on `conn`.
    async fn on(
        &self,
        conn: Conn,
        target: &Target,
        head: request::Parts,
        body: Bytes,
    ) -> Result<ResponseStream, ClientError> {
        match conn {
            Conn::H2(handle) => handle.request(head, body).await,
            Conn::H1(handle) => {
                let client = self.clone();
                let back = handle.clone();
                let target = target.clone();
                let check_in = Box::new(move || client.check_in(target, back));
                handle.send(head, body, check_in).await
            }
        }
    }

    /// A new connection (or an HTTP/2 one another request just made).
    async fn connect_new(&self, target: &Target, versions: Versions) -> Result<Conn, ClientError> {
        let guard = self.lock_if_h2(target, versions).await;
        if guard.is_some()
            && let Some(Conn::H2(handle)) = self.pooled(target, Versions::Http2Only)
        {
            return Ok(Conn::H2(handle));
        }
        let (io, proto) = connect::open(&self.inner.settings, target, versions).await?;
        let conn = self.adopt(target, io, &proto);
        drop(guard);
        Ok(conn)
    }

    /// Opens a WebSocket to `url` (`ws`/`wss`, or `http`/`https`), offering
    /// permessage-deflate unless disabled.
    pub async fn websocket(&self, url: &str) -> Result<WebSocket, ClientError> {
        self.websocket_with(url, WebSocketOptions::default()).await
    }

    /// Opens a WebSocket with subprotocols and extra headers.
    ///
    /// Over HTTP/2 when an HTTP/2 connection to the origin exists or a new one is
    /// negotiated, and its server enabled Extended CONNECT (RFC 8441 §3); otherwise over
    /// a new HTTP/1.1 connection with Upgrade (RFC 6455 §4.1).
    ///
    /// The request timeout, if set, covers the handshake; otherwise the idle timeout does.
    pub async fn websocket_with(
        &self,
        url: &str,
        options: WebSocketOptions,
    ) -> Result<WebSocket, ClientError> {
        let settings = &self.inner.settings;
        let (what, after) = match settings.request_timeout {
            Some(after) => ("request", after),
            None => ("idle", settings.idle_timeout),
        };
        tokio::time::timeout(after, self.open_websocket(url, options))
            .await
            .map_err(|_| ClientError::Timeout { what, after })?
    }

    async fn open_websocket(
        &self,
        url: &str,
        options: WebSocketOptions,
    ) -> Result<WebSocket, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|_| ClientError::BadUrl("not a valid URI"))?;
        let target = Target::of(&uri)?;
        let settings = Arc::clone(&self.inner.settings);
        let mut ws_options = ClientOptions::new(uri).with_subprotocols(options.subprotocols);
        ws_options.headers = options.headers;
        if settings.deflate {
            ws_options = ws_options.with_deflate(DeflateOffer::default());
        }
        let versions = settings.versions;
        if versions != Versions::Http1Only {
            let mut h2 = match self.pooled(&target, Versions::Http2Only) {
                Some(Conn::H2(handle)) => Some(handle),
                _ => None,
            };
            if h2.is_none() && may_be_h2(&settings, &target, versions) {
                let guard = self.lock_if_h2(&target, versions).await;
                if let Some(Conn::H2(handle)) = self.pooled(&target, Versions::Http2Only) {
                    h2 = Some(handle);
                } else {
                    let (io, proto) = connect::open(&settings, &target, versions).await?;
                    if let Proto::H1 = proto {
                        drop(guard);
                        return websocket::upgrade(io, &ws_options, settings).await;
                    }
                    if let Conn::H2(handle) = self.adopt(&target, io, &proto) {
                        h2 = Some(handle);
                    }
                }
            }
            if let Some(handle) = h2 {
                if handle.extended_connect(settings.connect_timeout).await {
                    let (head, offer) = ws_connect::client_request(&ws_options)?;
                    match handle.websocket(head, offer).await {
                        Err(ClientError::H2Local(
                            stator_h2::LocalError::ExtendedConnectUnsupported,
                        )) => {}
                        other => return other,
                    }
                }
                tracing::debug!("no Extended CONNECT: WebSocket over HTTP/1.1");
            }
        }
        let (io, _) = connect::open(&settings, &target, Versions::Http1Only).await?;
        websocket::upgrade(io, &ws_options, settings).await
    }

    /// A pooled connection that can take a request now.
    fn pooled(&self, target: &Target, versions: Versions) -> Option<Conn> {
        let mut pool = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = pool.get_mut(target)?;
        if versions != Versions::Http1Only {
            match &entry.h2 {
                Some(handle) if handle.is_usable() => return Some(Conn::H2(handle.clone())),
                Some(_) => entry.h2 = None,
                None => {}
            }
        }
        if versions != Versions::Http2Only {
            while let Some(handle) = entry.idle.pop() {
                if !handle.is_closed() {
                    return Some(Conn::H1(handle));
                }
            }
        }
        None
    }

    /// Serializes the making of connections to `target` when they may be HTTP/2.
    async fn lock_if_h2(
        &self,
        target: &Target,
        versions: Versions,
    ) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        if !may_be_h2(&self.inner.settings, target, versions) {
            return None;
        }
        let lock = {
            let mut pool = self
                .inner
                .pool
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Arc::clone(&pool.entry(target.clone()).or_default().connecting)
        };
        Some(lock.lock_owned().await)
    }

    /// Starts the task of a new connection; an HTTP/2 one joins the pool at once.
    fn adopt(&self, target: &Target, io: connect::BoxIo, proto: &Proto) -> Conn {
        let settings = Arc::clone(&self.inner.settings);
        match proto {
            Proto::H1 => Conn::H1(h1::spawn(io, settings)),
            Proto::H2 => {
                let handle = h2::spawn(io, settings);
                let mut pool = self
                    .inner
                    .pool
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                pool.entry(target.clone()).or_default().h2 = Some(handle.clone());
                Conn::H2(handle)
            }
        }
    }

    /// Returns a kept-alive HTTP/1.1 connection to the pool.
    fn check_in(&self, target: Target, handle: h1::Handle) {
        let max = self.inner.settings.max_idle_per_host;
        let mut pool = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = pool.entry(target).or_default();
        entry.idle.retain(|h| !h.is_closed());
        if entry.idle.len() < max {
            entry.idle.push(handle);
        }
    }
}

/// Whether an error on a reused HTTP/1.1 connection, before any response, says the
/// server had closed it: EOF, a reset, or EOF seen as a truncated response.
fn stale(error: &ClientError) -> bool {
    match error {
        ClientError::Closed | ClientError::Io(_) => true,
        ClientError::H1(e) => e.violation == stator_h1::Violation::IncompleteMessage,
        _ => false,
    }
}

/// Whether a new connection to `target` may speak HTTP/2.
fn may_be_h2(settings: &Settings, target: &Target, versions: Versions) -> bool {
    match versions {
        Versions::Http1Only => false,
        Versions::Http2Only => true,
        Versions::Auto => target.secure || settings.h2_prior_knowledge,
    }
}
