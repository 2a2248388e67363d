//! What the application sees: the scope, the order of request events, and the
//! disconnect of a client that leaves mid-request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{LIMIT, read_until};
use http::{Response, Version};
use stator_tokio::{RequestEvent, Scope, ScopeKind, Server, Session};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// What the test app saw of one session.
#[derive(Debug)]
struct Seen {
    scope: Scope,
    events: Vec<RequestEvent>,
}

/// Serves an app that records each HTTP session's scope and request events (until the
/// request is over), answers `ok`, then records what `receive` says afterwards.
async fn recording() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Server::builder().build().await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.serve(move |session: Session| {
        let tx = tx.clone();
        async move {
            let Session::Http(mut http) = session else {
                return;
            };
            let scope = http.scope().clone();
            let mut events = Vec::new();
            loop {
                let event = http.receive().await;
                let last = matches!(
                    event,
                    RequestEvent::Body {
                        more_body: false,
                        ..
                    } | RequestEvent::Disconnect
                );
                let disconnect = matches!(event, RequestEvent::Disconnect);
                events.push(event);
                if last {
                    if !disconnect {
                        let _ = http.respond(Response::new(Bytes::from("ok"))).await;
                        // After the response, the exchange is over: http.disconnect.
                        events.push(http.receive().await);
                    }
                    break;
                }
            }
            let _ = tx.send(Seen { scope, events });
        }
    }));
    (addr, rx)
}

#[tokio::test]
async fn the_scope_and_the_event_order_of_a_simple_request() {
    timeout(LIMIT, async {
        let (addr, mut seen) = recording().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"POST /a/b%20c?x=1&y=2 HTTP/1.1\r\nHost: t\r\nX-Custom: yes\r\n\
                  Content-Length: 5\r\n\r\nhello",
            )
            .await
            .unwrap();
        let _ = read_until(&mut stream, "ok").await;
        let seen = seen.recv().await.unwrap();
        let scope = &seen.scope;
        assert_eq!(scope.kind, ScopeKind::Http);
        assert_eq!(scope.http_version, Version::HTTP_11);
        assert_eq!(scope.scheme, "http");
        assert_eq!(scope.method, http::Method::POST);
        assert_eq!(scope.path, "/a/b%20c");
        assert_eq!(scope.query, "x=1&y=2");
        assert_eq!(scope.headers["x-custom"], "yes");
        assert_eq!(scope.client, stream.local_addr().unwrap());
        assert_eq!(scope.server, addr);
        assert!(scope.subprotocols.is_empty());
        assert_eq!(
            seen.events,
            vec![
                RequestEvent::Body {
                    data: Bytes::from("hello"),
                    more_body: false
                },
                RequestEvent::Disconnect,
            ]
        );
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_get_has_one_empty_last_body() {
    timeout(LIMIT, async {
        let (addr, mut seen) = recording().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let _ = read_until(&mut stream, "ok").await;
        let seen = seen.recv().await.unwrap();
        assert_eq!(
            seen.events[0],
            RequestEvent::Body {
                data: Bytes::new(),
                more_body: false
            }
        );
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn a_client_that_leaves_mid_request_is_a_disconnect() {
    timeout(LIMIT, async {
        let (addr, mut seen) = recording().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(stream);
        let seen = seen.recv().await.unwrap();
        assert_eq!(
            seen.events,
            vec![
                RequestEvent::Body {
                    data: Bytes::from("abc"),
                    more_body: true
                },
                RequestEvent::Disconnect,
            ]
        );
    })
    .await
    .expect("in time");
}
