//! Opening a transport: the target of a URL, TCP, TLS with ALPN, and which HTTP version
//! the connection will speak.

use std::sync::Arc;

use http::Uri;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::{ClientError, Settings, Versions};
use crate::tls::{ALPN_H2, ALPN_HTTP11};

/// A byte stream: TCP or TLS over TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed transport.
pub(crate) type BoxIo = Box<dyn Io>;

/// Where a URL points: the pool's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    /// `https`/`wss` ⇒ TLS.
    pub(crate) secure: bool,
    /// The host, without IPv6 brackets.
    pub(crate) host: String,
    /// The port (80/443 by default).
    pub(crate) port: u16,
}

impl Target {
    /// The target of `uri`: http/ws (port 80) or https/wss (port 443).
    pub(crate) fn of(uri: &Uri) -> Result<Target, ClientError> {
        let secure = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => true,
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => false,
            _ => {
                return Err(ClientError::BadUrl(
                    "the scheme must be http, https, ws or wss",
                ));
            }
        };
        let authority = uri
            .authority()
            .ok_or(ClientError::BadUrl("no host in the URL"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(ClientError::BadUrl("no host in the URL"));
        }
        Ok(Target {
            secure,
            host: host.to_owned(),
            port: authority
                .port_u16()
                .unwrap_or(if secure { 443 } else { 80 }),
        })
    }
}

/// What a new connection speaks.
pub(crate) enum Proto {
    /// HTTP/1.1 (ALPN `http/1.1`, no ALPN, or cleartext).
    H1,
    /// HTTP/2 (ALPN `h2`, or prior knowledge).
    H2,
}

/// Opens a connection to `target`; `versions` says which HTTP versions may be offered
/// (a WebSocket fallback asks for HTTP/1.1 only).
pub(crate) async fn open(
    settings: &Settings,
    target: &Target,
    versions: Versions,
) -> Result<(BoxIo, Proto), ClientError> {
    let after = settings.connect_timeout;
    let opening = open_inner(settings, target, versions);
    tokio::time::timeout(after, opening)
        .await
        .map_err(|_| ClientError::Timeout {
            what: "connect",
            after,
        })?
}

async fn open_inner(
    settings: &Settings,
    target: &Target,
    versions: Versions,
) -> Result<(BoxIo, Proto), ClientError> {
    if target.secure && settings.tls.is_none() {
        return Err(ClientError::NoTls);
    }
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|source| ClientError::Connect {
            host: target.host.clone(),
            port: target.port,
            source,
        })?;
    let _ = tcp.set_nodelay(true);
    if !target.secure {
        let proto = match versions {
            Versions::Http2Only => Proto::H2,
            Versions::Auto if settings.h2_prior_knowledge => Proto::H2,
            _ => Proto::H1,
        };
        return Ok((Box::new(tcp), proto));
    }
    let tls = settings.tls.as_ref().ok_or(ClientError::NoTls)?;
    let mut config = (*tls.config()).clone();
    config.alpn_protocols = match versions {
        Versions::Auto => vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()],
        Versions::Http1Only => vec![ALPN_HTTP11.to_vec()],
        Versions::Http2Only => vec![ALPN_H2.to_vec()],
    };
    let name = ServerName::try_from(target.host.clone())
        .map_err(|_| ClientError::ServerName(target.host.clone()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(ClientError::Tls)?;
    let h2 = stream.get_ref().1.alpn_protocol() == Some(ALPN_H2);
    tracing::debug!(host = %target.host, port = target.port, h2, "TLS connected");
    Ok((Box::new(stream), if h2 { Proto::H2 } else { Proto::H1 }))
}
