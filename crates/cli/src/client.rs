//! `stator get` and `stator ws`: small clients on [`stator_tokio::Client`].
//!
//! `get` sends one request (ALPN `h2` or `http/1.1` over TLS, HTTP/1.1 or — with
//! `--http2` — h2 prior knowledge in cleartext; `-d` makes it a POST) and streams the
//! response content to stdout; `-v` prints the response head to stderr. `ws` opens a
//! WebSocket (HTTP/2 Extended CONNECT when the server enables it, HTTP/1.1 Upgrade
//! otherwise), sends each line of stdin as a text message, prints what comes back, and
//! closes with 1000 at the end of the input.
//!
//! There are no system roots: `https`/`wss` trust exactly the PEM file given with
//! `--cacert` (for `stator serve`, the file its banner names), so a development
//! certificate works without touching the system's trust store.
//!
//! Exit statuses ([`ClientError::exit_status`]): 0 for any response (and for a
//! WebSocket that ended with a closing handshake), 1 when the exchange failed, 2 when
//! an input named on the command line (`--cacert`, `-d @FILE`) cannot be used.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, header};
use stator_tokio::client::{ClientBuilder, ResponseStream};
use stator_tokio::tls::{ClientTls, TlsError};
use stator_tokio::{Client, CloseCode, Message, WebSocketEvent};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::{Duration, Instant};

use crate::args::{GetOptions, HttpChoice, WsOptions};
use crate::routes::version_name;

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// `-d @FILE`: the file cannot be read.
    #[error("-d @{path}: {source}")]
    Data {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `--cacert FILE`: the file cannot be read or holds no usable certificate.
    #[error("--cacert {path}: {source}")]
    CaCert {
        /// The file.
        path: PathBuf,
        /// Why.
        source: TlsError,
    },
    /// An `https`/`wss` URL without `--cacert`.
    #[error(
        "https and wss need the server's certificate: pass --cacert FILE (a PEM file, e.g. the one `stator serve` prints); there are no system roots"
    )]
    NoRoots,
    /// The TLS handshake failed: most often, the certificate is not the one trusted.
    #[error("{0} (does --cacert hold the server's certificate?)")]
    Handshake(stator_tokio::ClientError),
    /// The request or the WebSocket failed.
    #[error(transparent)]
    Client(stator_tokio::ClientError),
    /// Writing the output or reading the input failed.
    #[error("{what}: {source}")]
    Io {
        /// "stdout" or "stdin".
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The WebSocket ended without a closing handshake.
    #[error("the WebSocket ended without a closing handshake (close code {0})")]
    Abnormal(u16),
}

impl ClientError {
    /// The process's exit status for this error: 2 for an unusable input named on the
    /// command line, 1 for everything else.
    pub fn exit_status(&self) -> u8 {
        match self {
            ClientError::Data { .. } | ClientError::CaCert { .. } => 2,
            _ => 1,
        }
    }

    fn from_client(error: stator_tokio::ClientError) -> ClientError {
        match error {
            stator_tokio::ClientError::NoTls => ClientError::NoRoots,
            e @ stator_tokio::ClientError::Tls(_) => ClientError::Handshake(e),
            e => ClientError::Client(e),
        }
    }
}

/// A client for `version`, trusting the certificates of `cacert`.
fn client(cacert: Option<&Path>, version: HttpChoice) -> Result<Client, ClientError> {
    let mut builder: ClientBuilder = Client::builder();
    if let Some(path) = cacert {
        let tls = ClientTls::builder()
            .add_root_pem_file(path)
            .and_then(stator_tokio::tls::ClientTlsBuilder::build)
            .map_err(|source| ClientError::CaCert {
                path: path.to_owned(),
                source,
            })?;
        builder = builder.tls(tls);
    }
    builder = match version {
        HttpChoice::Http11 => builder.http1_only(),
        HttpChoice::Http2 => builder.http2_only(),
        _ => builder,
    };
    Ok(builder.build())
}

/// The content of `-d`: the text itself, or the file after `@`.
async fn data(data: &str) -> Result<Bytes, ClientError> {
    match data.strip_prefix('@') {
        Some(path) => tokio::fs::read(path)
            .await
            .map(Bytes::from)
            .map_err(|source| ClientError::Data {
                path: PathBuf::from(path),
                source,
            }),
        None => Ok(Bytes::copy_from_slice(data.as_bytes())),
    }
}

/// `stator get`: the response content to stdout (raw bytes, as it arrives), the head to
/// stderr with `-v`.
pub async fn get(options: &GetOptions) -> Result<(), ClientError> {
    let client = client(options.cacert.as_deref(), options.version)?;
    let (method, body) = match &options.data {
        Some(d) => (Method::POST, data(d).await?),
        None => (Method::GET, Bytes::new()),
    };
    let mut request = Request::new(body);
    *request.method_mut() = method.clone();
    *request.uri_mut() = options.url.clone();
    if method == Method::POST {
        // What curl sends with -d.
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    let mut response = client
        .send(request)
        .await
        .map_err(ClientError::from_client)?;
    if options.verbose {
        print_head(&response);
    }
    let mut stdout = std::io::stdout().lock();
    let out = |source| ClientError::Io {
        what: "stdout",
        source,
    };
    while let Some(chunk) = response.chunk().await.map_err(ClientError::from_client)? {
        stdout.write_all(&chunk).map_err(out)?;
    }
    stdout.flush().map_err(out)?;
    if options.verbose
        && let Some(trailers) = response.trailers()
        && !trailers.is_empty()
    {
        let mut text = String::new();
        for (name, value) in trailers {
            let _ = writeln!(
                text,
                "{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            );
        }
        eprint!("{text}");
    }
    Ok(())
}

/// `HTTP/2 200 OK`, the header fields, an empty line: to stderr, in one write.
fn print_head(response: &ResponseStream) {
    let status = response.status();
    let mut text = format!(
        "{} {} {}\n",
        version_name(response.version()),
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in response.headers() {
        let _ = writeln!(
            text,
            "{name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        );
    }
    text.push('\n');
    eprint!("{text}");
}

/// How long `stator ws` waits for more replies after the end of its input, from the
/// last one, before it closes.
const REPLY_QUIET: Duration = Duration::from_millis(500);

/// [`REPLY_QUIET`] from now.
fn quiet_deadline() -> Instant {
    let now = Instant::now();
    now.checked_add(REPLY_QUIET).unwrap_or(now)
}

/// `stator ws`: stdin lines out as text messages, messages in to stdout; at the end of
/// the input, once no reply came for half a second, closes with 1000 and waits for the
/// server's close.
pub async fn ws(options: &WsOptions) -> Result<(), ClientError> {
    let client = client(options.cacert.as_deref(), HttpChoice::Auto)?;
    let mut socket = client
        .websocket(&options.url.to_string())
        .await
        .map_err(ClientError::from_client)?;
    eprintln!(
        "connected over {} (subprotocol {}, permessage-deflate {})",
        version_name(socket.http_version()),
        socket.subprotocol().unwrap_or("none"),
        if socket.deflate() { "on" } else { "off" }
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    // After the end of the input, when to close: replies may still be on their way, and
    // a server that receives our close answers at once, dropping what it had not sent
    // yet (RFC 6455 §5.5.1). So wait until nothing arrived for REPLY_QUIET.
    let mut close_at: Option<Instant> = None;
    let mut input_open = true;
    let out = |source| ClientError::Io {
        what: "stdout",
        source,
    };
    let failed = ClientError::from_client;
    loop {
        let quiet = close_at.unwrap_or_else(Instant::now);
        tokio::select! {
            // Both are cancel safe: an mpsc receive and `Lines::next_line`.
            event = socket.receive() => match event {
                WebSocketEvent::Message(message) => {
                    if close_at.is_some() {
                        close_at = Some(quiet_deadline());
                    }
                    let mut stdout = std::io::stdout().lock();
                    match message {
                        Message::Text(text) => {
                            stdout.write_all(text.as_bytes()).map_err(out)?;
                            stdout.write_all(b"\n").map_err(out)?;
                        }
                        Message::Binary(data) => {
                            writeln!(stdout, "<{} bytes>", data.len()).map_err(out)?;
                        }
                    }
                    stdout.flush().map_err(out)?;
                }
                WebSocketEvent::Disconnect { code, reason } => {
                    if reason.is_empty() {
                        eprintln!("closed with {}", code.as_u16());
                    } else {
                        eprintln!("closed with {} ({reason})", code.as_u16());
                    }
                    if code == CloseCode::ABNORMAL {
                        return Err(ClientError::Abnormal(code.as_u16()));
                    }
                    return Ok(());
                }
                _ => {}
            },
            line = lines.next_line(), if input_open => match line {
                Ok(Some(line)) => socket.send(Message::text(line)).await.map_err(failed)?,
                Ok(None) => {
                    input_open = false;
                    close_at = Some(quiet_deadline());
                }
                Err(source) => {
                    return Err(ClientError::Io { what: "stdin", source });
                }
            },
            () = tokio::time::sleep_until(quiet), if close_at.is_some() => {
                close_at = None;
                socket.close(CloseCode::NORMAL, "").await.map_err(failed)?;
            }
        }
    }
}
