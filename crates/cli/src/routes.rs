//! The application `stator serve` runs: the page, `/info`, `/echo`, `/ws` and static
//! files.
//!
//! Every route works the same over HTTP/1.1 and HTTP/2 (and `/ws` over an Upgrade or an
//! Extended CONNECT): the handler only reads the [`Scope`], which says which protocol
//! carried the session. That is what the page and `/info` report, so an interop test can
//! assert from the server's own data how a client reached it.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, Response, StatusCode, Version};
use serde_json::{Value, json};
use stator_tokio::{
    Accept, App, HttpSession, Message, RequestEvent, Scope, ScopeKind, Session, WebSocketEvent,
    WebSocketSession,
};
use tokio::io::AsyncReadExt;
use tracing::{debug, info};

use crate::files::{self, Lookup};

const PAGE: &str = include_str!("page.html");

/// Read size for static files.
const CHUNK: usize = 64 * 1024;

/// The routes of `stator serve`, an [`App`]; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    /// The canonical `--root` directory, if any.
    root: Option<Arc<PathBuf>>,
}

impl Routes {
    /// The routes, serving static files under `root` (already canonical) if given.
    pub fn new(root: Option<PathBuf>) -> Routes {
        Routes {
            root: root.map(Arc::new),
        }
    }

    /// Serves one session.
    pub async fn serve(self, session: Session) {
        match session {
            Session::Http(http) => self.http(http).await,
            Session::WebSocket(ws) => websocket(ws).await,
            // WebTransport joins here when stator-tokio serves HTTP/3.
            _ => {}
        }
    }

    async fn http(self, mut http: HttpSession) {
        let scope = http.scope();
        info!(
            method = %scope.method,
            path = %scope.path,
            version = version_name(scope.http_version),
            client = %scope.client,
            "request"
        );
        let method = scope.method.clone();
        let path = scope.path.clone();
        let get_or_head = method == Method::GET || method == Method::HEAD;
        let response = match path.as_str() {
            "/" if get_or_head => page(http.scope()),
            "/" => not_allowed("GET, HEAD"),
            "/info" => {
                // Any method: the content is counted, so a test can check it arrived.
                let received = count_body(&mut http).await;
                let mut json = scope_json(http.scope());
                if let Some(object) = json.as_object_mut() {
                    object.insert("content_received".into(), received.into());
                }
                let mut response = text(json.to_string());
                set(&mut response, CONTENT_TYPE, "application/json");
                response
            }
            "/echo" if method == Method::POST => return echo(http).await,
            "/echo" => not_allowed("POST"),
            "/ws" => {
                let mut response = text("/ws is a WebSocket echo: connect with ws:// or wss://\n");
                *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
                set(&mut response, http::header::UPGRADE, "websocket");
                response
            }
            _ => match self.root.as_deref() {
                Some(root) if get_or_head => return static_file(http, root).await,
                Some(_) => not_allowed("GET, HEAD"),
                None => not_found(),
            },
        };
        let _ = http.respond(response).await;
    }
}

impl App for Routes {
    type Future = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn call(&self, session: Session) -> Self::Future {
        Box::pin(self.clone().serve(session))
    }
}

/// The protocol's name as browsers and curl print it.
pub fn version_name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
}

/// The scope as JSON, the ASGI names for the keys; header fields as `[name, value]`
/// pairs in order (a value that is not UTF-8 is shown lossily); IPv4-mapped IPv6
/// addresses as IPv4.
pub fn scope_json(scope: &Scope) -> Value {
    let headers: Vec<Value> = scope
        .headers
        .iter()
        .map(|(name, value)| json!([name.as_str(), String::from_utf8_lossy(value.as_bytes())]))
        .collect();
    let kind = match scope.kind {
        ScopeKind::WebSocket => "websocket",
        _ => "http",
    };
    json!({
        "type": kind,
        "http_version": version_name(scope.http_version),
        "scheme": scope.scheme,
        "method": scope.method.as_str(),
        "path": scope.path,
        "query": scope.query,
        "client": canonical(scope.client).to_string(),
        "server": canonical(scope.server).to_string(),
        "headers": headers,
        "subprotocols": scope.subprotocols,
    })
}

/// An IPv4 peer of a dual-stack `[::]` listener shows as `::ffff:a.b.c.d`; report it as
/// the IPv4 address it is, so tests can compare it with what they connected from.
fn canonical(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    std::net::SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

fn text(body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    set(&mut response, CONTENT_TYPE, "text/plain; charset=utf-8");
    response
}

fn set(response: &mut Response<Bytes>, name: http::HeaderName, value: &'static str) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
}

fn not_found() -> Response<Bytes> {
    let mut response = text("not found\n");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

fn not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut response = text("method not allowed\n");
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    set(&mut response, ALLOW, allow);
    response
}

fn page(scope: &Scope) -> Response<Bytes> {
    // Both values come from fixed sets of ASCII words: nothing to escape.
    let html = PAGE
        .replace("{{HTTP_VERSION}}", version_name(scope.http_version))
        .replace("{{SCHEME}}", scope.scheme);
    let mut response = Response::new(Bytes::from(html));
    set(&mut response, CONTENT_TYPE, "text/html; charset=utf-8");
    set(&mut response, CACHE_CONTROL, "no-store");
    response
}

/// Reads and drops the request content; its length in bytes.
async fn count_body(http: &mut HttpSession) -> u64 {
    let mut total = 0u64;
    while let RequestEvent::Body { data, more_body } = http.receive().await {
        total = total.saturating_add(data.len() as u64);
        if !more_body {
            break;
        }
    }
    total
}

/// `/echo`: the request content back as it arrives, with the request's content-type.
///
/// The first piece of content is awaited before the response head goes out: that asks
/// for it, which answers `Expect: 100-continue` (a response started first would leave
/// curl waiting a second for a `100 Continue` that never comes).
async fn echo(mut http: HttpSession) {
    let first = http.receive().await;
    let mut head = Response::new(()).into_parts().0;
    let content_type = http
        .request()
        .headers
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    head.headers.insert(CONTENT_TYPE, content_type);
    if http.send_response(head).await.is_err() {
        return;
    }
    let mut event = first;
    loop {
        match event {
            RequestEvent::Body { data, more_body } => {
                if http.send_body(data, more_body).await.is_err() || !more_body {
                    return;
                }
            }
            // Trailers end the content: end the response too.
            RequestEvent::Trailers(_) => {
                let _ = http.send_body(Bytes::new(), false).await;
                return;
            }
            _ => return,
        }
        event = http.receive().await;
    }
}

/// A file under `root`, streamed with its length and type.
async fn static_file(mut http: HttpSession, root: &std::path::Path) {
    let path = http.scope().path.clone();
    let file = match files::lookup(root, &path).await {
        Lookup::File(file) => file,
        Lookup::NotFound => {
            let _ = http.respond(not_found()).await;
            return;
        }
        Lookup::Refused(why) => {
            debug!(path, ?why, "refused a static path");
            let mut response = text("bad path\n");
            *response.status_mut() = StatusCode::BAD_REQUEST;
            let _ = http.respond(response).await;
            return;
        }
    };
    let Ok(opened) = tokio::fs::File::open(&file).await else {
        let _ = http.respond(not_found()).await;
        return;
    };
    let Ok(length) = opened.metadata().await.map(|m| m.len()) else {
        let _ = http.respond(not_found()).await;
        return;
    };
    let mut head = Response::new(()).into_parts().0;
    head.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(files::content_type(&file)),
    );
    head.headers
        .insert(CONTENT_LENGTH, HeaderValue::from(length));
    if http.send_response(head).await.is_err() {
        return;
    }
    if http.scope().method == Method::HEAD || length == 0 {
        let _ = http.send_body(Bytes::new(), false).await;
        return;
    }
    // Never more than the length announced, even if the file grows meanwhile.
    let mut reader = opened.take(length);
    let mut sent = 0u64;
    loop {
        let mut buffer = Vec::with_capacity(CHUNK);
        match (&mut reader)
            .take(CHUNK as u64)
            .read_to_end(&mut buffer)
            .await
        {
            Ok(0) | Err(_) => return, // shrank or failed: the response is cut short
            Ok(n) => {
                sent = sent.saturating_add(n as u64);
                let more = sent < length;
                if http.send_body(Bytes::from(buffer), more).await.is_err() || !more {
                    return;
                }
            }
        }
    }
}

/// `/ws`: echoes text and binary messages; accepts the first subprotocol offered and
/// permessage-deflate. With `?info` in the query it first sends the session's scope as
/// JSON, so a browser learns which HTTP version carried its WebSocket.
async fn websocket(mut ws: WebSocketSession) {
    let scope = ws.scope();
    info!(
        path = %scope.path,
        version = version_name(scope.http_version),
        client = %scope.client,
        subprotocols = ?scope.subprotocols,
        "websocket"
    );
    if scope.path != "/ws" {
        let _ = ws.reject(StatusCode::NOT_FOUND).await;
        return;
    }
    let wants_info = scope
        .query
        .split('&')
        .any(|pair| pair == "info" || pair.starts_with("info="));
    let mut accept = Accept::new().with_deflate(true);
    if let Some(first) = scope.subprotocols.first() {
        accept = accept.with_subprotocol(first.clone());
    }
    let info_json = wants_info.then(|| scope_json(ws.scope()).to_string());
    if ws.accept(accept).await.is_err() {
        return;
    }
    if let Some(info_json) = info_json
        && ws.send(Message::text(info_json)).await.is_err()
    {
        return;
    }
    loop {
        match ws.receive().await {
            WebSocketEvent::Message(message) => {
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            WebSocketEvent::Disconnect { code, .. } => {
                debug!(?code, "websocket closed");
                return;
            }
            _ => return,
        }
    }
}
