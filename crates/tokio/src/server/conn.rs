//! One accepted connection: TLS and ALPN, or the cleartext sniff, then the protocol's
//! driver.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, debug, debug_span};

use super::Settings;
use super::shutdown::Watch;
use crate::app::{AppHandle, ConnInfo};

/// The HTTP/2 connection preface a prior-knowledge client opens with (RFC 9113 §3.4).
pub(crate) const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a connection task needs from its server.
pub(crate) struct Task {
    pub(crate) app: AppHandle,
    pub(crate) settings: Arc<Settings>,
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) shutdown: Watch,
}

/// The context a protocol driver runs in.
pub(crate) struct Ctx {
    pub(crate) app: AppHandle,
    pub(crate) settings: Arc<Settings>,
    pub(crate) shutdown: Watch,
    pub(crate) info: ConnInfo,
    /// When the connection was accepted: the first request's header-read timeout runs
    /// from here, through the sniff or the TLS handshake.
    pub(crate) started: tokio::time::Instant,
}

impl Task {
    /// Serves the connection `stream` from `peer` until it is over.
    pub(crate) async fn run(self, stream: TcpStream, peer: SocketAddr) {
        let span = debug_span!("conn", %peer);
        let started = tokio::time::Instant::now();
        async move {
            let Ok(local) = stream.local_addr() else {
                return;
            };
            let _ = stream.set_nodelay(true);
            let secure = self.tls.is_some();
            let ctx = Ctx {
                app: self.app,
                settings: self.settings,
                shutdown: self.shutdown,
                info: ConnInfo {
                    client: peer,
                    server: local,
                    secure,
                },
                started,
            };
            match self.tls {
                Some(acceptor) => serve_tls(acceptor, stream, ctx).await,
                None => serve_cleartext(stream, ctx).await,
            }
            debug!("connection closed");
        }
        .instrument(span)
        .await;
    }
}

async fn serve_tls(acceptor: TlsAcceptor, stream: TcpStream, ctx: Ctx) {
    let handshake =
        tokio::time::timeout(ctx.settings.header_read_timeout, acceptor.accept(stream)).await;
    let tls = match handshake {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            debug!(error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            debug!("TLS handshake timed out");
            return;
        }
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    if h2 {
        serve_h2(tls, Bytes::new(), ctx).await;
    } else {
        crate::h1::serve(tls, Bytes::new(), ctx).await;
    }
}

async fn serve_cleartext(mut stream: TcpStream, mut ctx: Ctx) {
    let sniffing = tokio::time::timeout(ctx.settings.header_read_timeout, sniff(&mut stream));
    // Shutting down before a request arrived: nothing to finish.
    let sniffed = tokio::select! {
        sniffed = sniffing => sniffed,
        () = ctx.shutdown.wait() => return,
    };
    match sniffed {
        Ok(Some((true, first))) => serve_h2(stream, first, ctx).await,
        Ok(Some((false, first))) => crate::h1::serve(stream, first, ctx).await,
        Ok(None) => debug!("closed before a request"),
        Err(_) => debug!("no request before the header-read timeout"),
    }
}

/// Reads until the first bytes either are the HTTP/2 preface (`true`) or cannot be
/// (`false`); returns them. `None` if the peer closed first.
async fn sniff<S: AsyncRead + Unpin>(stream: &mut S) -> Option<(bool, Bytes)> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let n = buf.len().min(H2_PREFACE.len());
        if buf.get(..n) != H2_PREFACE.get(..n) {
            return Some((false, buf.freeze()));
        }
        if n == H2_PREFACE.len() {
            return Some((true, buf.freeze()));
        }
    }
}

/// HTTP/2 (prior knowledge, or ALPN `h2`): the HTTP/2 driver.
async fn serve_h2<S>(io: S, first: Bytes, ctx: Ctx)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    crate::h2::serve(io, first, ctx).await;
}
