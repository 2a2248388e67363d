//! stator-tokio: the one driver that turns Stator's sans-IO machines into servers on
//! tokio, with an event-based application interface in the spirit of Python's ASGI.
//!
//! An [`App`] is an async function called once per [`Session`]: an HTTP exchange
//! ([`HttpSession`]: the request content as a stream with backpressure, the response as a
//! head, streamed content and trailers) or a WebSocket ([`WebSocketSession`]: accept or
//! reject, then messages both ways). The [`Server`] accepts TCP connections, cleartext or
//! TLS, and runs each with the protocol's driver: HTTP/1.1 with keep-alive, pipelining,
//! `Expect: 100-continue` and the WebSocket Upgrade; HTTP/2 (ALPN `h2` or prior
//! knowledge) with per-stream flow control and WebSocket over Extended CONNECT, through
//! the same session types. Timeouts, limits and a graceful
//! shutdown are in [`ServerBuilder`]; certificates (PEM files, in-memory PEM, or a
//! self-signed development certificate with its SHA-256 and SPKI hashes) and rustls
//! configurations with ALPN are in [`tls`]. The machines do the protocols; this crate
//! moves bytes, keeps time and runs tasks.
//!
//! A server that echoes POST bodies, greets GET requests and echoes WebSocket messages:
//!
//! ```
//! use bytes::Bytes;
//! use http::Response;
//! use stator_tokio::{Accept, RequestEvent, Server, Session, WebSocketEvent};
//!
//! async fn app(session: Session) {
//!     match session {
//!         Session::Http(mut http) => {
//!             // Stream the request content back as it arrives (chunked).
//!             let head = Response::new(()).into_parts().0;
//!             if http.send_response(head).await.is_err() {
//!                 return;
//!             }
//!             loop {
//!                 match http.receive().await {
//!                     RequestEvent::Body { data, more_body } => {
//!                         if http.send_body(data, more_body).await.is_err() || !more_body {
//!                             return;
//!                         }
//!                     }
//!                     _ => return,
//!                 }
//!             }
//!         }
//!         Session::WebSocket(mut ws) => {
//!             if ws.accept(Accept::new()).await.is_err() {
//!                 return;
//!             }
//!             while let WebSocketEvent::Message(message) = ws.receive().await {
//!                 if ws.send(message).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!         _ => {}
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = Server::builder()
//!     .bind("127.0.0.1:0".parse().expect("an address"))
//!     .build()
//!     .await?;
//! println!("listening on http://{}", server.local_addr()?);
//! let shutdown = server.shutdown_handle();
//! let serving = tokio::spawn(server.serve(app));
//! // ... later:
//! shutdown.shutdown();
//! serving.await.expect("the server task")?;
//! # let _ = Bytes::new();
//! # Ok(())
//! # }
//! ```
//!
//! How sessions and connection tasks talk (and how the HTTP/2 driver plugs in) is in
//! the documentation of the `app::link` module (crate-internal) and in docs/APP.md.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod app;
pub mod client;
mod h1;
mod h2;
mod io;
pub mod server;
mod timer;
pub mod tls;
mod ws;

pub use app::{
    Accept, App, HttpSession, RequestEvent, Scope, ScopeKind, Session, SessionError,
    WebSocketEvent, WebSocketSession,
};
pub use client::{Client, ClientBuilder, ClientError, ResponseStream, WebSocket};
pub use server::{Server, ServerBuilder, ShutdownHandle};
pub use stator_ws::{CloseCode, Message};
