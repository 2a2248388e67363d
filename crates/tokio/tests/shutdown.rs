//! Graceful shutdown: in-flight requests finish with `Connection: close`, WebSocket sessions get
//! 1001, what outlives the deadline is aborted, and serve completes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{LIMIT, app, start};
use futures_util::{SinkExt, StreamExt};
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use stator_tokio::Server;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn in_flight_requests_finish_and_websockets_get_1001() {
    timeout(LIMIT, async {
        let server = start(Server::builder().shutdown_deadline(Duration::from_secs(5))).await;
        let addr = server.addr;

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let slow = tokio::spawn(async move {
            let request = Request::get("/slow")
                .header("host", "t")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            let (head, body) = response.into_parts();
            (head, body.collect().await.unwrap().to_bytes())
        });

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/echo"), stream)
            .await
            .unwrap();
        ws.send(Message::text("before")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("before"));

        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        server.shutdown.shutdown();

        let (head, body) = slow.await.unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(&body[..], b"slow");
        assert_eq!(head.headers["connection"], "close");

        match ws.next().await.unwrap().unwrap() {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1001),
            other => panic!("{other:?}"),
        }
        // Answer the close (tungstenite replies while it reads on).
        while let Some(Ok(_)) = ws.next().await {}

        server.task.await.unwrap().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
    })
    .await
    .expect("in time");
}

#[tokio::test]
async fn the_drain_deadline_aborts_what_is_left_and_a_signal_starts_it() {
    timeout(LIMIT, async {
        let server = Server::builder()
            .shutdown_deadline(Duration::from_millis(300))
            .build()
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let (fire, signal) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve_with_shutdown(app, async {
            let _ = signal.await;
        }));
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        let hanging = tokio::spawn(async move {
            let request = Request::get("/hang")
                .header("host", "t")
                .body(Full::new(Bytes::new()))
                .unwrap();
            sender.send_request(request).await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        fire.send(()).unwrap();
        task.await.unwrap().unwrap();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(250), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");
        assert!(
            hanging.await.unwrap().is_err(),
            "the hanging request was cut"
        );
    })
    .await
    .expect("in time");
}
