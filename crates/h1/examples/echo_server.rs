//! A small HTTP/1.1 server on stator-h1 over `std::net`, one thread per connection, used by
//! `cargo xtask interop curl`.
//!
//! `cargo run -p stator-h1 --example echo_server -- 127.0.0.1:8080` serves:
//! - `GET /` → `hello from stator-h1\n`, with Content-Length;
//! - `POST /echo` → the request content back, chunked (length unknown up front), with a
//!   `content-sha` style trailer giving the byte count;
//! - anything else → 404.
//!
//! `Expect: 100-continue` gets a 100 before the content is read; connections persist
//! unless a side asks to close. The machine does the HTTP; this file only moves bytes.

#![allow(missing_docs, clippy::arithmetic_side_effects)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use stator_h1::{BodySize, Connection, Event};

/// Sends `body` with Content-Length, or chunked with a trailer; a HEAD response gets the
/// same head and no content (RFC 9110 §9.3.2).
fn respond(
    conn: &mut Connection,
    head_only: bool,
    status: StatusCode,
    body: &[u8],
    chunked: bool,
) -> Result<(), stator_h1::Error> {
    let (mut head, ()) = Response::builder()
        .status(status)
        .body(())
        .expect("static")
        .into_parts();
    head.headers
        .insert("server", HeaderValue::from_static("stator-h1-example"));
    if chunked {
        conn.send_response(&head, BodySize::Unknown)?;
        conn.send_data(body)?;
        let mut trailers = HeaderMap::new();
        trailers.insert("x-echo-length", HeaderValue::from(body.len()));
        conn.send_end(Some(&trailers))
    } else {
        let len = u64::try_from(body.len()).unwrap_or(u64::MAX);
        conn.send_response(&head, BodySize::Known(len))?;
        if head_only {
            return Ok(());
        }
        conn.send_data(body)?;
        conn.send_end(None)
    }
}

fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut conn = Connection::server();
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    let mut current: Option<(Method, String)> = None;
    let mut content = Vec::new();
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Request(head) => {
                    if head
                        .headers
                        .get("expect")
                        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
                    {
                        let _ = conn.send_continue();
                    }
                    current = Some((head.method, head.uri.path().to_owned()));
                    content.clear();
                }
                Event::Data(d) => content.extend_from_slice(&d),
                Event::End(_) => {
                    let Some((method, path)) = current.take() else {
                        continue;
                    };
                    let head_only = method == Method::HEAD;
                    let result = match (method, path.as_str()) {
                        (Method::GET | Method::HEAD, "/") => respond(
                            &mut conn,
                            head_only,
                            StatusCode::OK,
                            b"hello from stator-h1\n",
                            false,
                        ),
                        (Method::POST, "/echo") => {
                            respond(&mut conn, false, StatusCode::OK, &content, true)
                        }
                        _ => respond(
                            &mut conn,
                            head_only,
                            StatusCode::NOT_FOUND,
                            b"not found\n",
                            false,
                        ),
                    };
                    if let Err(e) = result {
                        eprintln!("respond: {e}");
                    }
                }
                Event::Error(e) => eprintln!("peer error: {e}"),
                _ => {}
            }
        }
        out.clear();
        if conn.poll_output(&mut out) > 0 {
            stream.write_all(&out)?;
        }
        if conn.wants_close() {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        match stream.read(&mut buf)? {
            0 => conn.recv_eof(),
            n => conn.recv(buf.get(..n).unwrap_or_default()),
        }
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!("stator-h1 echo server on http://{addr}/");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            if let Err(e) = serve(stream) {
                eprintln!("connection: {e}");
            }
        });
    }
    Ok(())
}
