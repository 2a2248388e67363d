//! `stator serve`: options, the server's construction ([`build`]), what it prints at
//! start ([`Built::banner`]) and the run until Ctrl-C ([`run`]).

use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use stator_tokio::Server;
use stator_tokio::tls::{CertificateInfo, Identity, ServerTls, TlsError};
use tracing::info;

use crate::routes::Routes;

/// The default TLS port.
pub const DEFAULT_TLS_PORT: u16 = 8443;
/// The default cleartext port.
pub const DEFAULT_PLAIN_PORT: u16 = 8080;

/// `stator serve`'s options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeOptions {
    /// `--addr`; `None`: `[::]` (dual stack, or `0.0.0.0` without IPv6) on 8443, or 8080
    /// with `--plain`.
    pub addr: Option<SocketAddr>,
    /// `--cert`: a PEM certificate chain instead of the generated certificate.
    pub cert: Option<PathBuf>,
    /// `--key`: its PEM private key.
    pub key: Option<PathBuf>,
    /// `--plain`: cleartext (HTTP/1.1 and HTTP/2 prior knowledge on one port).
    pub plain: bool,
    /// `--root`: serve static files under this directory.
    pub root: Option<PathBuf>,
}

impl ServeOptions {
    /// Options for a cleartext server on `addr`.
    pub fn plain(addr: SocketAddr) -> ServeOptions {
        ServeOptions {
            addr: Some(addr),
            plain: true,
            ..ServeOptions::default()
        }
    }

    /// Options for a TLS server on `addr` with a generated certificate.
    pub fn tls(addr: SocketAddr) -> ServeOptions {
        ServeOptions {
            addr: Some(addr),
            ..ServeOptions::default()
        }
    }

    /// The same options, serving static files under `root`.
    #[must_use]
    pub fn with_root(mut self, root: impl Into<PathBuf>) -> ServeOptions {
        self.root = Some(root.into());
        self
    }
}

/// Why `stator serve` could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The certificate could not be generated or loaded.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// `--root` is not a readable directory.
    #[error("--root {path}: {why}")]
    Root {
        /// The path given.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// Another I/O failure (the runtime, the certificate file).
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Where the server's certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertSource {
    /// Generated at start (self-signed, for `localhost`, `127.0.0.1`, `::1`).
    SelfSigned,
    /// `--cert` / `--key`.
    Files,
}

/// A bound server with its application, ready to run.
#[derive(Debug)]
#[non_exhaustive]
pub struct Built {
    /// The bound server.
    pub server: Server,
    /// The application to serve with it.
    pub app: Routes,
    /// The leaf certificate and where it came from; `None` in cleartext.
    pub certificate: Option<(CertificateInfo, CertSource)>,
    /// The address bound (with the port chosen for port 0).
    pub local_addr: SocketAddr,
}

/// Builds the server `options` describe: the TLS identity (generated or loaded), the
/// routes, the listener. Port 0 binds a free port (see [`Built::local_addr`]).
pub async fn build(options: &ServeOptions) -> Result<Built, ServeError> {
    let root = match &options.root {
        Some(path) => Some(canonical_root(path).await?),
        None => None,
    };
    let identity = if options.plain {
        None
    } else {
        Some(match (&options.cert, &options.key) {
            (Some(cert), Some(key)) => (Identity::from_pem_files(cert, key)?, CertSource::Files),
            _ => (
                Identity::self_signed(Vec::<String>::new())?,
                CertSource::SelfSigned,
            ),
        })
    };
    let tls = match &identity {
        Some((identity, _)) => Some(ServerTls::new(identity)?),
        None => None,
    };
    let certificate = identity.map(|(identity, source)| (identity.certificate().clone(), source));

    let builder = |addr: SocketAddr| {
        let builder = Server::builder().bind(addr);
        match &tls {
            Some(tls) => builder.tls(tls.acceptor()),
            None => builder,
        }
    };
    let server = if let Some(addr) = options.addr {
        builder(addr)
            .build()
            .await
            .map_err(|source| ServeError::Bind { addr, source })?
    } else {
        {
            let port = if options.plain {
                DEFAULT_PLAIN_PORT
            } else {
                DEFAULT_TLS_PORT
            };
            // `[::]` accepts IPv4 too where the system allows dual stack (Linux by
            // default): Chromium tries `localhost` as ::1 first.
            let v6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
            match builder(v6).build().await {
                Ok(server) => server,
                Err(source) if source.kind() == io::ErrorKind::AddrInUse => {
                    return Err(ServeError::Bind { addr: v6, source });
                }
                Err(_) => {
                    let v4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
                    builder(v4)
                        .build()
                        .await
                        .map_err(|source| ServeError::Bind { addr: v4, source })?
                }
            }
        }
    };
    let local_addr = server.local_addr()?;
    Ok(Built {
        server,
        app: Routes::new(root),
        certificate,
        local_addr,
    })
}

async fn canonical_root(path: &PathBuf) -> Result<PathBuf, ServeError> {
    let error = |why: String| ServeError::Root {
        path: path.clone(),
        why,
    };
    let canonical = tokio::fs::canonicalize(path)
        .await
        .map_err(|e| error(e.to_string()))?;
    let metadata = tokio::fs::metadata(&canonical)
        .await
        .map_err(|e| error(e.to_string()))?;
    if !metadata.is_dir() {
        return Err(error("not a directory".into()));
    }
    Ok(canonical)
}

impl Built {
    /// The origin to open in a browser: `localhost` for a wildcard or loopback address.
    pub fn origin(&self) -> String {
        let scheme = if self.certificate.is_some() {
            "https"
        } else {
            "http"
        };
        let ip = self.local_addr.ip();
        let host = if ip.is_unspecified() || ip.is_loopback() {
            "localhost".to_owned()
        } else if let IpAddr::V6(v6) = ip {
            format!("[{v6}]")
        } else {
            ip.to_string()
        };
        format!("{scheme}://{host}:{}", self.local_addr.port())
    }

    /// What `stator serve` prints at start; `pem_path` is where the certificate's PEM
    /// was written, if it was.
    pub fn banner(&self, pem_path: Option<&std::path::Path>) -> String {
        let origin = self.origin();
        let (ws, mode) = match self.certificate {
            Some(_) => ("wss", "TLS; HTTP/2 or HTTP/1.1 by ALPN"),
            None => ("ws", "cleartext; HTTP/1.1, and HTTP/2 with prior knowledge"),
        };
        let host_port = origin.split_once("://").map_or("", |(_, rest)| rest);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "stator serve: listening on {} ({mode})",
            self.local_addr
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "  open      {origin}/");
        let _ = writeln!(
            out,
            "  info      {origin}/info   (the request's scope as JSON)"
        );
        let _ = writeln!(out, "  echo      {origin}/echo   (POST: the content back)");
        let _ = writeln!(out, "  websocket {ws}://{host_port}/ws   (echo)");
        match &self.certificate {
            Some((cert, source)) => {
                let what = match source {
                    CertSource::SelfSigned => {
                        "self-signed, for localhost, 127.0.0.1 and ::1, generated now"
                    }
                    CertSource::Files => "from --cert",
                };
                let spki = cert.spki_sha256_base64();
                let _ = writeln!(out);
                let _ = writeln!(
                    out,
                    "certificate ({what}; valid until {})",
                    cert.not_after()
                );
                let _ = writeln!(out, "  SHA-256       {}", cert.sha256_hex());
                let _ = writeln!(out, "  SPKI SHA-256  {spki}");
                if let Some(path) = pem_path {
                    let _ = writeln!(out, "  PEM           {}", path.display());
                    let _ = writeln!(
                        out,
                        "  curl          curl --cacert {} {origin}/info",
                        path.display()
                    );
                }
                let _ = writeln!(
                    out,
                    "  Chromium      chromium --ignore-certificate-errors-spki-list={spki} {origin}/"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "\n  curl          curl --http2-prior-knowledge {origin}/info"
                );
            }
        }
        let _ = writeln!(out, "\nCtrl-C stops the server.");
        out
    }
}

/// Writes a generated certificate's PEM to the temporary directory, named after the
/// port; returns its path (for `curl --cacert`).
pub fn write_certificate_pem(cert: &CertificateInfo, port: u16) -> io::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("stator-dev-cert-{port}.pem"));
    std::fs::write(&path, cert.pem())?;
    Ok(path)
}

/// Runs `stator serve` until Ctrl-C (or SIGTERM): prints the banner, serves, shuts down
/// gracefully. A second Ctrl-C exits at once.
pub async fn run(options: &ServeOptions) -> Result<(), ServeError> {
    let built = build(options).await?;
    let pem_path = match &built.certificate {
        Some((cert, CertSource::SelfSigned)) => {
            Some(write_certificate_pem(cert, built.local_addr.port())?)
        }
        _ => None,
    };
    print!("{}", built.banner(pem_path.as_deref()));
    let Built { server, app, .. } = built;
    server
        .serve_with_shutdown(app, async {
            stop_signal().await;
            println!("stator serve: shutting down (open connections get up to 10 s; Ctrl-C again to quit now)");
            tokio::spawn(async {
                stop_signal().await;
                println!("stator serve: stopped");
                std::process::exit(130);
            });
        })
        .await?;
    info!("stopped");
    println!("stator serve: stopped");
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                () = ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// Ctrl-C; never, if its handler cannot be installed (rather than stopping at once).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
