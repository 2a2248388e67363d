//! The server: a TCP listener, cleartext or TLS, that serves an [`App`] over HTTP/1.1
//! and HTTP/2, with limits, timeouts and graceful shutdown.
//!
//! Every accepted connection runs in its own task (`server::conn`): a TLS handshake if
//! configured, then the protocol chosen by ALPN (`h2` ⇒ HTTP/2, `http/1.1` or none ⇒
//! HTTP/1.1), or in cleartext by sniffing the first bytes (the HTTP/2 connection preface
//! ⇒ HTTP/2 with prior knowledge, anything else ⇒ HTTP/1.1). A connection that fails is
//! logged and dropped; it never takes the server down.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::app::{App, AppHandle};

pub(crate) mod conn;
pub(crate) mod shutdown;

pub use shutdown::ShutdownHandle;

/// What every connection task of a server reads.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) h1_limits: stator_h1::Limits,
    pub(crate) h2_limits: stator_h2::Limits,
    pub(crate) ws_limits: stator_ws::Limits,
    pub(crate) header_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) ws_ping_interval: Option<Duration>,
    pub(crate) ws_idle_timeout: Option<Duration>,
    pub(crate) max_connections: usize,
    pub(crate) alt_svc: Option<HeaderValue>,
    pub(crate) shutdown_deadline: Duration,
    /// Bytes delivered to a session and not yet taken before the connection stops
    /// reading.
    pub(crate) max_unconsumed: usize,
    pub(crate) read_buffer: usize,
    /// Where sessions run: polled by their connection's task, or each on its own task.
    pub(crate) sessions: crate::app::sessions::Mode,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            h1_limits: stator_h1::Limits::default(),
            h2_limits: stator_h2::Limits::default(),
            ws_limits: stator_ws::Limits::default(),
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            ws_ping_interval: Some(Duration::from_secs(30)),
            ws_idle_timeout: Some(Duration::from_secs(120)),
            max_connections: 10_000,
            alt_svc: None,
            shutdown_deadline: Duration::from_secs(10),
            max_unconsumed: 256 * 1024,
            read_buffer: 16 * 1024,
            sessions: crate::app::sessions::Mode::Inline,
        }
    }
}

/// Configures a [`Server`]; made by [`Server::builder`].
pub struct ServerBuilder {
    addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    settings: Settings,
    alt_svc: Option<String>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("addr", &self.addr)
            .field("tls", &self.tls.is_some())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// The address to listen on (default `127.0.0.1:0`: loopback, a free port).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> ServerBuilder {
        self.addr = addr;
        self
    }

    /// Serves TLS with `acceptor`; its ALPN list chooses the protocol (`h2`, `http/1.1`).
    /// Without it the server speaks cleartext.
    #[must_use]
    pub fn tls(mut self, acceptor: TlsAcceptor) -> ServerBuilder {
        self.tls = Some(acceptor);
        self
    }

    /// Serves TLS with `config` (see [`tls`](Self::tls)).
    #[must_use]
    pub fn tls_config(self, config: Arc<rustls::ServerConfig>) -> ServerBuilder {
        self.tls(TlsAcceptor::from(config))
    }

    /// HTTP/1.1 limits (header sizes, content length, buffers).
    #[must_use]
    pub fn h1_limits(mut self, limits: stator_h1::Limits) -> ServerBuilder {
        self.settings.h1_limits = limits;
        self
    }

    /// HTTP/2 limits (concurrent streams, windows, anti-abuse budgets); the drain timer
    /// of a graceful shutdown is held to [`shutdown_deadline`](Self::shutdown_deadline).
    #[must_use]
    pub fn h2_limits(mut self, limits: stator_h2::Limits) -> ServerBuilder {
        self.settings.h2_limits = limits;
        self
    }

    /// WebSocket limits (frame and message sizes, pending output).
    #[must_use]
    pub fn ws_limits(mut self, limits: stator_ws::Limits) -> ServerBuilder {
        self.settings.ws_limits = limits;
        self
    }

    /// How long a client has to send a complete request head, from its first byte (or
    /// from the connection's start, including the TLS handshake, for the first request).
    /// Stops slowloris clients. Default 10 s.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> ServerBuilder {
        self.settings.header_read_timeout = timeout;
        self
    }

    /// How long an idle keep-alive connection waits for the next request. Default 60 s.
    #[must_use]
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> ServerBuilder {
        self.settings.keep_alive_timeout = timeout;
        self
    }

    /// How long a read of request content or a write may stall before the connection
    /// is dropped; over HTTP/2, also how long a response or a WebSocket's output may
    /// wait for the client's flow-control credit before its stream is reset.
    /// Default 60 s.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> ServerBuilder {
        self.settings.idle_timeout = timeout;
        self
    }

    /// Runs every session on a tokio task of its own (`true`) instead of on its
    /// connection's task (`false`, the default).
    ///
    /// By default a connection's task polls its sessions' futures itself, as hyper does
    /// for HTTP/1.1: a request answered at once is read, served and written in one turn,
    /// with one write and no task switch. The price is that the sessions of one HTTP/2
    /// connection share a task, so a handler that computes for long between awaits holds
    /// up the others of its connection. Handlers that do heavy work should move it off
    /// (`tokio::task::spawn_blocking`), or the server can spawn every session instead, at
    /// the cost of a task and a cross-task wake-up per request and per acknowledged
    /// write. A panicking handler is contained either way.
    #[must_use]
    pub fn spawn_sessions(mut self, spawn: bool) -> ServerBuilder {
        self.settings.sessions = if spawn {
            crate::app::sessions::Mode::Spawned
        } else {
            crate::app::sessions::Mode::Inline
        };
        self
    }

    /// WebSocket keep-alive: ping after this long without input (`None`: never).
    /// Default 30 s. Silence is checked on a timer, not per message, so the ping may
    /// come up to twice this long after the last input.
    #[must_use]
    pub fn ws_ping_interval(mut self, interval: Option<Duration>) -> ServerBuilder {
        self.settings.ws_ping_interval = interval;
        self
    }

    /// WebSocket idle policy: close with 1001 after this long without input (`None`:
    /// never; checked like [`ws_ping_interval`](Self::ws_ping_interval), so up to twice
    /// this long). Default 120 s.
    #[must_use]
    pub fn ws_idle_timeout(mut self, timeout: Option<Duration>) -> ServerBuilder {
        self.settings.ws_idle_timeout = timeout;
        self
    }

    /// Connections served at once; further clients wait in the listen backlog.
    /// Default 10,000.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> ServerBuilder {
        self.settings.max_connections = max.max(1);
        self
    }

    /// An `Alt-Svc` field value added to every HTTP response that has none (e.g.
    /// `h3=":443"; ma=86400`). Off by default.
    #[must_use]
    pub fn alt_svc(mut self, value: Option<String>) -> ServerBuilder {
        self.alt_svc = value;
        self
    }

    /// How long a graceful shutdown waits for connections to finish before it aborts
    /// them. Default 10 s.
    #[must_use]
    pub fn shutdown_deadline(mut self, deadline: Duration) -> ServerBuilder {
        self.settings.shutdown_deadline = deadline;
        self
    }

    /// Binds the listener.
    pub async fn build(self) -> io::Result<Server> {
        let mut settings = self.settings;
        settings.alt_svc = match self.alt_svc {
            Some(value) => Some(HeaderValue::try_from(value).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "alt_svc is not a field value")
            })?),
            None => None,
        };
        let listener = TcpListener::bind(self.addr).await?;
        Ok(Server {
            listener,
            tls: self.tls,
            settings: Arc::new(settings),
            shutdown: ShutdownHandle::new(),
        })
    }

    /// Binds and serves `app` until a shutdown (see [`Server::serve`]).
    pub async fn serve<A: App>(self, app: A) -> io::Result<()> {
        self.build().await?.serve(app).await
    }
}

/// A bound server, ready to [`serve`](Self::serve).
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    settings: Arc<Settings>,
    shutdown: ShutdownHandle,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.listener.local_addr().ok())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A builder with the defaults: `127.0.0.1:0`, cleartext, the limits' defaults.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            settings: Settings::default(),
            alt_svc: None,
        }
    }

    /// The address the server listens on (with the port the system chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that starts the graceful shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves `app` until [`ShutdownHandle::shutdown`], then shuts down gracefully;
    /// completes when every connection is closed.
    pub async fn serve<A: App>(self, app: A) -> io::Result<()> {
        self.serve_with_shutdown(app, std::future::pending()).await
    }

    /// Like [`serve`](Self::serve), and also shuts down when `signal` completes, e.g.
    /// `async { let _ = tokio::signal::ctrl_c().await; }`.
    pub async fn serve_with_shutdown<A, F>(self, app: A, signal: F) -> io::Result<()>
    where
        A: App,
        F: Future<Output = ()> + Send,
    {
        let Server {
            listener,
            tls,
            settings,
            shutdown,
        } = self;
        let app = AppHandle::new(app);
        let slots = Arc::new(Semaphore::new(settings.max_connections));
        let mut connections = JoinSet::new();
        let mut watch = shutdown.watch();
        let mut signal = std::pin::pin!(signal);
        info!(addr = ?listener.local_addr().ok(), tls = tls.is_some(), "serving");
        loop {
            let accepted = tokio::select! {
                () = watch.wait() => break,
                () = &mut signal => break,
                Some(done) = connections.join_next(), if !connections.is_empty() => {
                    log_join(done);
                    continue;
                }
                slot = Arc::clone(&slots).acquire_owned() => {
                    let Ok(slot) = slot else { break };
                    tokio::select! {
                        () = watch.wait() => break,
                        () = &mut signal => break,
                        accepted = listener.accept() => accepted.map(|a| (a, slot)),
                    }
                }
            };
            match accepted {
                Ok(((stream, peer), slot)) => {
                    let task = conn::Task {
                        app: app.clone(),
                        settings: Arc::clone(&settings),
                        tls: tls.clone(),
                        shutdown: shutdown.watch(),
                    };
                    connections.spawn(async move {
                        task.run(stream, peer).await;
                        drop(slot);
                    });
                }
                Err(e) => {
                    // Out of descriptors and the like: back off, keep serving.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        drop(listener);
        shutdown.shutdown();
        info!(open = connections.len(), "shutting down");
        let drained = tokio::time::timeout(settings.shutdown_deadline, async {
            while let Some(done) = connections.join_next().await {
                log_join(done);
            }
        })
        .await;
        if drained.is_err() {
            warn!(open = connections.len(), "drain deadline passed: aborting");
            connections.abort_all();
            while connections.join_next().await.is_some() {}
        }
        debug!("server stopped");
        Ok(())
    }
}

fn log_join(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        warn!("a connection task panicked");
    }
}
