//! Real peers nobody here wrote: hyper 1's HTTP/1 client against a stator-h1 server, and a
//! stator-h1 client against hyper's HTTP/1 server, over loopback TCP. Each test runs on
//! its own current-thread runtime under a timeout, so a hang fails instead of blocking.
//!
//! The stator side is driven by a few lines of tokio glue (`drive`): read from the socket
//! into `recv`, handle events, write `poll_output`, close on `wants_close`.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use common::{get, req, res};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, channel::Channel};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use stator_h1::{BodySize, Connection, Event, Switch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Runs `test` on a fresh current-thread runtime, failing after 10 seconds.
fn run<F: Future<Output = ()>>(test: F) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), test)
            .await
            .expect("the exchange hung");
    });
}

async fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// What a stator server received in one exchange.
#[derive(Debug, Default)]
struct Received {
    head: Option<http::request::Parts>,
    body: Vec<u8>,
    trailers: HeaderMap,
}

/// A stator-h1 server on one accepted connection: every complete request is answered by
/// `respond` (which sends a response through the machine); a request with
/// `Expect: 100-continue` gets a 100 first. Returns the requests, and the stream and
/// bytes of a switched connection.
async fn stator_server(
    listener: TcpListener,
    mut respond: impl FnMut(&mut Connection, &Received),
) -> (Vec<Received>, Option<(TcpStream, Bytes)>) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut conn = Connection::server();
    let mut done = Vec::new();
    let mut current = Received::default();
    let mut buf = vec![0; 16 * 1024];
    let mut eof = false;
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(head) => {
                    if head.headers.get("expect").is_some() {
                        conn.send_continue().unwrap();
                    }
                    current.head = Some(head);
                }
                Event::Data(d) => current.body.extend_from_slice(&d),
                Event::End(t) => {
                    current.trailers = t;
                    respond(&mut conn, &current);
                    done.push(std::mem::take(&mut current));
                }
                Event::Upgrade(up) => {
                    let mut out = Vec::new();
                    let _ = conn.poll_output(&mut out);
                    stream.write_all(&out).await.unwrap();
                    return (done, Some((stream, up.rest)));
                }
                Event::Closed | Event::Writable => {}
                Event::Error(e) => panic!("server: {e}"),
                other => panic!("server: {other:?}"),
            }
        }
        let mut out = Vec::new();
        if conn.poll_output(&mut out) > 0 {
            stream.write_all(&out).await.unwrap();
        }
        if conn.wants_close() || eof {
            stream.shutdown().await.unwrap();
            return (done, None);
        }
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            conn.recv_eof();
            eof = true;
        } else {
            conn.recv(&buf[..n]);
        }
    }
}

/// Answers with the request's content echoed back, length known.
fn echo(conn: &mut Connection, r: &Received) {
    let head = res(200, &[("x-path", r.head.as_ref().unwrap().uri.path())]);
    conn.send_response(&head, BodySize::Known(r.body.len() as u64))
        .unwrap();
    conn.send_data(&r.body).unwrap();
    conn.send_end(None).unwrap();
}

async fn hyper_client(
    addr: std::net::SocketAddr,
) -> hyper::client::conn::http1::SendRequest<http_body_util::combinators::BoxBody<Bytes, Infallible>>
{
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    sender
}

fn full(data: &'static [u8]) -> http_body_util::combinators::BoxBody<Bytes, Infallible> {
    Full::new(Bytes::from_static(data)).boxed()
}

// ---- hyper client → stator server ---------------------------------------------------------

#[test]
fn hyper_client_keep_alive_against_stator_server() {
    run(async {
        let (l, addr) = listener().await;
        let server = tokio::spawn(stator_server(l, echo));
        let mut client = hyper_client(addr).await;
        for i in 0..5 {
            let body: &'static [u8] = if i % 2 == 0 { b"" } else { b"some content" };
            let method = if body.is_empty() {
                Method::GET
            } else {
                Method::POST
            };
            let req = Request::builder()
                .method(method)
                .uri(format!("/r{i}"))
                .header("host", "localhost")
                .body(full(body))
                .unwrap();
            client.ready().await.unwrap();
            let resp = client.send_request(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.headers()["x-path"], format!("/r{i}").as_str());
            let got = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&got[..], body);
        }
        drop(client);
        let (done, _) = server.await.unwrap();
        assert_eq!(done.len(), 5, "all on one connection");
    });
}

#[test]
fn hyper_client_chunked_both_ways_with_trailers() {
    run(async {
        let (l, addr) = listener().await;
        let server = tokio::spawn(stator_server(l, |conn, r| {
            conn.send_response(
                &res(200, &[("trailer", "x-echoed-trailer")]),
                BodySize::Unknown,
            )
            .unwrap();
            for piece in r.body.chunks(3) {
                conn.send_data(piece).unwrap();
            }
            let mut t = HeaderMap::new();
            t.insert("x-echoed-trailer", r.trailers["x-checksum"].clone());
            conn.send_end(Some(&t)).unwrap();
        }));
        let mut client = hyper_client(addr).await;
        let (mut tx, body) = Channel::<Bytes, Infallible>::new(4);
        let req = Request::post("/upload")
            .header("host", "localhost")
            .header("te", "trailers")
            // hyper sends only the trailer fields its Trailer field declares.
            .header("trailer", "x-checksum")
            .body(body.boxed())
            .unwrap();
        let sending = tokio::spawn(async move {
            tx.send_data(Bytes::from_static(b"streamed "))
                .await
                .unwrap();
            tx.send_data(Bytes::from_static(b"in pieces"))
                .await
                .unwrap();
            let mut t = HeaderMap::new();
            t.insert("x-checksum", "42".parse().unwrap());
            tx.send_trailers(t).await.unwrap();
        });
        let resp = client.send_request(req).await.unwrap();
        assert_eq!(resp.headers()["transfer-encoding"], "chunked");
        let collected = resp.into_body().collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-echoed-trailer"], "42");
        assert_eq!(&collected.to_bytes()[..], b"streamed in pieces");
        sending.await.unwrap();
        drop(client);
        let (done, _) = server.await.unwrap();
        assert_eq!(
            done[0].head.as_ref().unwrap().headers["transfer-encoding"],
            "chunked"
        );
        assert_eq!(done[0].trailers["x-checksum"], "42");
    });
}

#[test]
fn hyper_client_expect_continue() {
    run(async {
        let (l, addr) = listener().await;
        let server = tokio::spawn(stator_server(l, echo));
        let mut client = hyper_client(addr).await;
        let req = Request::put("/f")
            .header("host", "localhost")
            .header("expect", "100-continue")
            .body(full(b"after the 100"))
            .unwrap();
        let resp = client.send_request(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let got = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], b"after the 100");
        drop(client);
        server.await.unwrap();
    });
}

#[test]
fn hyper_client_upgrade_against_stator_server() {
    run(async {
        let (l, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (_, switched) = stator_server(l, |conn, _| {
                let head = res(101, &[("connection", "upgrade"), ("upgrade", "echo")]);
                conn.send_response(&head, BodySize::Empty).unwrap();
            })
            .await;
            // The new protocol: echo raw bytes.
            let (mut stream, rest) = switched.expect("switched");
            stream.write_all(&rest).await.unwrap();
            let mut buf = [0; 64];
            let n = stream.read(&mut buf).await.unwrap();
            stream.write_all(&buf[..n]).await.unwrap();
        });
        let mut client = hyper_client(addr).await;
        let req = Request::get("/")
            .header("host", "localhost")
            .header("connection", "upgrade")
            .header("upgrade", "echo")
            .body(full(b""))
            .unwrap();
        let resp = client.send_request(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        let upgraded = hyper::upgrade::on(resp).await.unwrap();
        let mut io = TokioIo::new(upgraded);
        io.write_all(b"ping over the new protocol").await.unwrap();
        let mut buf = [0; 26];
        io.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping over the new protocol");
        server.await.unwrap();
    });
}

#[test]
fn raw_pipelined_requests_against_stator_server() {
    run(async {
        let (l, addr) = listener().await;
        let server = tokio::spawn(stator_server(l, echo));
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\
                  POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\
                  POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nxy\r\n0\r\n\r\n",
            )
            .await
            .unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).await.unwrap();
        let text = String::from_utf8(all).unwrap();
        let paths: Vec<&str> = text
            .match_indices("x-path: ")
            .map(|(i, _)| &text[i + 8..i + 10])
            .collect();
        assert_eq!(paths, ["/1", "/2", "/3"], "{text}");
        assert!(text.ends_with("connection: close\r\n\r\nxy"), "{text}");
        let (done, _) = server.await.unwrap();
        assert_eq!(done.len(), 3);
    });
}

// ---- stator client → hyper server ---------------------------------------------------------

/// hyper's HTTP/1 server on one connection with `service`.
async fn hyper_server<S, F>(listener: TcpListener, service: S)
where
    S: Fn(Request<Incoming>) -> F + 'static,
    F: Future<
            Output = Result<
                Response<http_body_util::combinators::BoxBody<Bytes, Infallible>>,
                Infallible,
            >,
        > + 'static,
{
    let (stream, _) = listener.accept().await.unwrap();
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service_fn(service))
        .with_upgrades()
        .await;
}

/// Echoes the request: content, and trailers back as trailers (chunked response).
async fn hyper_echo(
    req: Request<Incoming>,
) -> Result<Response<http_body_util::combinators::BoxBody<Bytes, Infallible>>, Infallible> {
    let path = req.uri().path().to_owned();
    let collected = req.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned();
    let trailers_names: Vec<String> = trailers
        .iter()
        .flat_map(|t| t.keys().map(ToString::to_string))
        .collect();
    let data = collected.to_bytes();
    let (mut tx, body) = Channel::<Bytes, Infallible>::new(4);
    tokio::task::spawn_local(async move {
        if !data.is_empty() {
            tx.send_data(data).await.unwrap();
        }
        if let Some(t) = trailers {
            tx.send_trailers(t).await.unwrap();
        }
    });
    let mut response = Response::builder().header("x-path", path);
    // hyper sends only the trailer fields its Trailer field declares.
    for name in trailers_names {
        response = response.header("trailer", name);
    }
    Ok(response.body(body.boxed()).unwrap())
}

/// A stator client on `stream`: sends `request` with `content`, returns the events of the
/// response (through its end) and what followed a switch.
async fn exchange(
    conn: &mut Connection,
    stream: &mut TcpStream,
    head: &http::request::Parts,
    size: BodySize,
    content: &[&[u8]],
    trailers: Option<&HeaderMap>,
) -> Vec<Event> {
    conn.send_request(head, size).unwrap();
    let expect = head.headers.contains_key("expect");
    let mut content_sent = size == BodySize::Empty;
    let send_content = |conn: &mut Connection| {
        for piece in content {
            conn.send_data(piece).unwrap();
        }
        conn.send_end(trailers).unwrap();
    };
    if !content_sent && !expect {
        send_content(conn);
        content_sent = true;
    }
    let mut events = Vec::new();
    let mut buf = vec![0; 16 * 1024];
    loop {
        let mut out = Vec::new();
        if conn.poll_output(&mut out) > 0 {
            stream.write_all(&out).await.unwrap();
        }
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            conn.recv_eof();
        } else {
            conn.recv(&buf[..n]);
        }
        while let Some(e) = conn.poll_event() {
            let finished = matches!(e, Event::End(_) | Event::Upgrade(_) | Event::Error(_));
            if matches!(&e, Event::Informational(h) if h.status == StatusCode::CONTINUE)
                && !content_sent
            {
                send_content(conn);
                content_sent = true;
            }
            events.push(e);
            if finished {
                let mut out = Vec::new();
                if conn.poll_output(&mut out) > 0 {
                    stream.write_all(&out).await.unwrap();
                }
                return events;
            }
        }
        assert!(n > 0, "EOF before the response ended: {events:?}");
    }
}

fn body_of(events: &[Event]) -> Vec<u8> {
    common::content(events)
}

#[test]
fn stator_client_keep_alive_and_chunked_against_hyper_server() {
    run(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let (l, addr) = listener().await;
                let server = tokio::task::spawn_local(hyper_server(l, hyper_echo));
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let mut conn = Connection::client();
                let uri = format!("http://{addr}/");
                for i in 0..4 {
                    let ev = exchange(
                        &mut conn,
                        &mut stream,
                        &get(&format!("{uri}g{i}")),
                        BodySize::Empty,
                        &[],
                        None,
                    )
                    .await;
                    let Event::Response(h) = &ev[0] else {
                        panic!("{ev:?}")
                    };
                    assert_eq!(h.headers["x-path"], format!("/g{i}").as_str());
                }
                let post = req(Method::POST, &uri, &[]);
                let ev = exchange(
                    &mut conn,
                    &mut stream,
                    &post,
                    BodySize::Known(5),
                    &[b"he", b"llo"],
                    None,
                )
                .await;
                assert_eq!(body_of(&ev), b"hello");

                // Chunked request with trailers; hyper echoes the trailers (TE: trailers).
                let chunked = req(Method::POST, &uri, &[("te", "trailers")]);
                let mut t = HeaderMap::new();
                t.insert("x-checksum", "7".parse().unwrap());
                let ev = exchange(
                    &mut conn,
                    &mut stream,
                    &chunked,
                    BodySize::Unknown,
                    &[b"chunk one ", b"chunk two"],
                    Some(&t),
                )
                .await;
                let Event::Response(h) = &ev[0] else {
                    panic!("{ev:?}")
                };
                assert_eq!(h.headers["transfer-encoding"], "chunked");
                assert_eq!(body_of(&ev), b"chunk one chunk two");
                assert!(
                    matches!(ev.last(), Some(Event::End(t)) if t["x-checksum"] == "7"),
                    "{ev:?}"
                );
                drop(stream);
                server.await.unwrap();
            })
            .await;
    });
}

#[test]
fn stator_client_expect_continue_against_hyper_server() {
    run(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let (l, addr) = listener().await;
                let server = tokio::task::spawn_local(hyper_server(l, hyper_echo));
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let mut conn = Connection::client();
                let put = req(
                    Method::PUT,
                    &format!("http://{addr}/f"),
                    &[("expect", "100-continue")],
                );
                let ev = exchange(
                    &mut conn,
                    &mut stream,
                    &put,
                    BodySize::Known(4),
                    &[b"data"],
                    None,
                )
                .await;
                // hyper sends 100 Continue once the service reads the body; only then did
                // the content go.
                assert_eq!(common::kinds(&ev)[..2], ["Informational", "Response"]);
                assert_eq!(body_of(&ev), b"data");
                drop(stream);
                server.await.unwrap();
            })
            .await;
    });
}

#[test]
fn stator_client_upgrade_against_hyper_server() {
    run(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let (l, addr) = listener().await;
                let server = tokio::task::spawn_local(hyper_server(
                    l,
                    |mut req: Request<Incoming>| async move {
                        let on_upgrade = hyper::upgrade::on(&mut req);
                        tokio::task::spawn_local(async move {
                            let mut io = TokioIo::new(on_upgrade.await.unwrap());
                            io.write_all(b"hello from the new protocol").await.unwrap();
                            let mut buf = [0; 4];
                            io.read_exact(&mut buf).await.unwrap();
                            io.write_all(&buf).await.unwrap();
                        });
                        Ok(Response::builder()
                            .status(101)
                            .header("connection", "upgrade")
                            .header("upgrade", "echo")
                            .body(Full::new(Bytes::new()).boxed())
                            .unwrap())
                    },
                ));
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let mut conn = Connection::client();
                let up = req(
                    Method::GET,
                    &format!("http://{addr}/"),
                    &[("connection", "upgrade"), ("upgrade", "echo")],
                );
                let ev = exchange(&mut conn, &mut stream, &up, BodySize::Empty, &[], None).await;
                let Some(Event::Upgrade(u)) = ev.into_iter().last() else {
                    panic!()
                };
                assert_eq!(u.switch, Switch::Upgrade);
                assert_eq!(u.response.status, 101);
                // Whatever hyper's side wrote right after the 101 may be in `rest`.
                let mut got = u.rest.to_vec();
                while got.len() < 27 {
                    let mut buf = [0; 64];
                    let n = stream.read(&mut buf).await.unwrap();
                    assert!(n > 0);
                    got.extend_from_slice(&buf[..n]);
                }
                assert_eq!(&got[..], b"hello from the new protocol");
                stream.write_all(b"ping").await.unwrap();
                let mut buf = [0; 4];
                stream.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"ping");
                server.await.unwrap();
            })
            .await;
    });
}
