//! Shared helpers: a test server running a routing app, and raw-socket helpers.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use stator_tokio::{
    Accept, CloseCode, HttpSession, Message, RequestEvent, Server, ServerBuilder, Session,
    ShutdownHandle, WebSocketEvent, WebSocketSession,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Every test finishes within this.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: ShutdownHandle,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Starts `builder` serving the test app.
pub async fn start(builder: ServerBuilder) -> Running {
    let server = builder.build().await.expect("bind");
    let addr = server.local_addr().expect("addr");
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.serve(app));
    Running {
        addr,
        shutdown,
        task,
    }
}

/// Starts the test app with the defaults.
pub async fn start_default() -> Running {
    start(Server::builder()).await
}

/// The test app: routes by path.
pub async fn app(session: Session) {
    match session {
        Session::Http(http) => serve_http(http).await,
        Session::WebSocket(ws) => serve_ws(ws).await,
        _ => {}
    }
}

fn ok(body: impl Into<Bytes>) -> Response<Bytes> {
    Response::new(body.into())
}

#[allow(clippy::panic)]
async fn serve_http(mut http: HttpSession) {
    let path = http.scope().path.clone();
    match path.as_str() {
        "/hello" => {
            let port = http.scope().client.port();
            let mut response = ok("hello");
            response
                .headers_mut()
                .insert("x-client-port", HeaderValue::from(port));
            response
                .headers_mut()
                .insert("x-scheme", HeaderValue::from_static(http.scope().scheme));
            let _ = http.respond(response).await;
        }
        // Streams the content back as it arrives: chunked.
        "/echo" => {
            let head = Response::new(()).into_parts().0;
            if http.send_response(head).await.is_err() {
                return;
            }
            loop {
                match http.receive().await {
                    RequestEvent::Body { data, more_body } => {
                        if http.send_body(data, more_body).await.is_err() || !more_body {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        }
        // A handler written for HTTP/1.1: sets fields HTTP/2 does not have.
        "/hop-by-hop" => {
            let mut response = ok("hop");
            let headers = response.headers_mut();
            headers.insert("connection", HeaderValue::from_static("keep-alive, x-hop"));
            headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
            headers.insert("x-hop", HeaderValue::from_static("1"));
            headers.insert("x-kept", HeaderValue::from_static("1"));
            let _ = http.respond(response).await;
        }
        // Reads it all, answers with a Content-Length.
        "/echo-len" => {
            let body = http.read_body(16 << 20).await.unwrap_or_default();
            let _ = http.respond(ok(body)).await;
        }
        // Echoes the content chunked, with the request's trailers and a length trailer.
        "/trailers" => {
            let mut body = Vec::new();
            let mut trailers = HeaderMap::new();
            loop {
                match http.receive().await {
                    RequestEvent::Body { data, .. } => body.extend_from_slice(&data),
                    RequestEvent::Trailers(t) => {
                        trailers = t;
                        break;
                    }
                    _ => break,
                }
            }
            trailers.insert("x-length", HeaderValue::from(body.len()));
            let head = Response::new(()).into_parts().0;
            let _ = http.send_response(head).await;
            let _ = http.send_body(Bytes::from(body), true).await;
            let _ = http.send_trailers(trailers).await;
        }
        "/length-trailer" => length_trailer(http).await,
        "/panic" => panic!("the handler panics on purpose"),
        "/drop" => drop(http),
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let _ = http.respond(ok("slow")).await;
        }
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            let _ = http.respond(ok("late")).await;
        }
        // Reads nothing for a while, then counts the content.
        "/stall" => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut total = 0usize;
            while let RequestEvent::Body { data, more_body } = http.receive().await {
                total = total.saturating_add(data.len());
                if !more_body {
                    break;
                }
            }
            let _ = http.respond(ok(total.to_string())).await;
        }
        // Answers without reading the content.
        "/refuse" => {
            let mut response = ok("no");
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            let _ = http.respond(response).await;
        }
        _ => {
            let mut response = ok("not found");
            *response.status_mut() = StatusCode::NOT_FOUND;
            let _ = http.respond(response).await;
        }
    }
}

/// Echoes the content with an `x-length` trailer: response trailers for a request
/// without any (`/trailers` waits for request trailers after the last piece, and a
/// request without them only ends with the exchange: `receive` then waits for the
/// disconnect, as in ASGI).
async fn length_trailer(mut http: HttpSession) {
    let body = http.read_body(16 << 20).await.unwrap_or_default();
    let mut trailers = HeaderMap::new();
    trailers.insert("x-length", HeaderValue::from(body.len()));
    let head = Response::new(()).into_parts().0;
    let _ = http.send_response(head).await;
    let _ = http.send_body(body, true).await;
    let _ = http.send_trailers(trailers).await;
}

#[allow(clippy::panic)]
async fn serve_ws(mut ws: WebSocketSession) {
    let path = ws.scope().path.clone();
    if path == "/forbidden" {
        let _ = ws.reject(StatusCode::FORBIDDEN).await;
        return;
    }
    if path == "/ws-panic" {
        ws.accept(Accept::new()).await.expect("accept");
        let _ = ws.receive().await;
        panic!("the WebSocket handler panics on purpose");
    }
    let mut accept = Accept::new();
    if ws.scope().subprotocols.iter().any(|p| p == "chat") {
        accept = accept.with_subprotocol("chat");
    }
    if ws.accept(accept).await.is_err() {
        return;
    }
    let hello = format!(
        "version={:?} deflate={} subprotocol={}",
        ws.http_version(),
        ws.deflate(),
        ws.subprotocol().unwrap_or("-")
    );
    if path == "/hello" && ws.send(Message::text(hello)).await.is_err() {
        return;
    }
    loop {
        match ws.receive().await {
            WebSocketEvent::Message(message) => {
                if message.as_bytes() == b"close-me" {
                    let _ = ws.close(CloseCode::new(4000), "as asked").await;
                    continue;
                }
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// Writes `request` on a new connection and reads until the server closes it.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads from `stream` until `needle` has arrived; returns everything read.
pub async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&out).contains(needle) {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(
            n > 0,
            "closed before {needle:?}: {}",
            String::from_utf8_lossy(&out)
        );
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `f` on a two-worker multi-thread runtime within [`LIMIT`].
#[allow(clippy::panic)]
pub fn run<F: Future<Output = ()>>(f: F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(LIMIT, f)
            .await
            .expect("the test's time limit");
    });
}

/// `n` bytes of a pattern that does not repeat within 251 bytes.
#[allow(clippy::cast_possible_truncation)]
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}
