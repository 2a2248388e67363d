//! The HTTP/1.1 handshake machines against a peer nobody here wrote: tungstenite, driven
//! over an in-memory, non-blocking stream.

// clippy.toml lets #[test] bodies unwrap, index and panic; the helpers here too.
// tungstenite's accept callback returns its (large) ErrorResponse.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::result_large_err
)]

use std::io::{self, Read, Write};

use http::HeaderValue;
use stator_wire::rand::SeededRandom;
use stator_ws::handshake::codec::HeadLimits;
use stator_ws::handshake::{
    AcceptOptions, ClientEvent, ClientHandshake, ClientOptions, ServerEvent, ServerHandshake,
};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::server::{Request, Response};
use tungstenite::{HandshakeError, Message};

/// One end of an in-memory connection: reads what was put in `input` and would block
/// when it is empty; writes collect in `output`.
#[derive(Debug, Default)]
struct Pipe {
    input: Vec<u8>,
    output: Vec<u8>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input.drain(..n);
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn our_client_against_tungstenite_server() {
    let options = ClientOptions::new("ws://localhost:9001/chat".parse().unwrap())
        .with_subprotocols(["superchat", "chat"]);
    let mut client =
        ClientHandshake::new(&options, &mut SeededRandom::new(5), HeadLimits::default()).unwrap();
    let pipe = Pipe {
        input: client.poll_transmit().unwrap().to_vec(),
        output: Vec::new(),
    };
    let pick_chat = |request: &Request, mut response: Response| {
        assert_eq!(request.uri(), "/chat");
        assert_eq!(
            request.headers()["sec-websocket-protocol"],
            "superchat, chat"
        );
        response
            .headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_static("chat"));
        Ok(response)
    };
    let mut ws = tungstenite::accept_hdr(pipe, pick_chat).unwrap();
    // tungstenite's first frame goes out right behind its 101.
    ws.send(Message::text("hi")).unwrap();
    let wire = std::mem::take(&mut ws.get_mut().output);
    client.recv(&wire).unwrap();
    let Some(ClientEvent::Established(done)) = client.poll_event() else {
        panic!("not established")
    };
    assert_eq!(done.negotiated.subprotocol.as_deref(), Some("chat"));
    assert_eq!(&done.leftover[..], b"\x81\x02hi");
}

#[test]
fn tungstenite_client_against_our_server() {
    let mut request = "ws://localhost:9001/chat".into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_static("chat"));
    let mid = match tungstenite::client::client(request, Pipe::default()) {
        Err(HandshakeError::Interrupted(mid)) => mid,
        other => panic!("expected to wait for the response: {other:?}"),
    };
    let mut mid = mid;
    let sent = std::mem::take(&mut mid.get_mut().get_mut().output);

    let mut server = ServerHandshake::new(HeadLimits::default());
    server.recv(&sent).unwrap();
    let Some(ServerEvent::Request(incoming)) = server.poll_event() else {
        panic!("no request")
    };
    assert_eq!(incoming.offer.subprotocols, ["chat"]);
    let accept = AcceptOptions {
        subprotocols: vec!["chat".into()],
        ..AcceptOptions::default()
    };
    let done = server.accept(&accept).unwrap();
    assert!(done.leftover.is_empty());
    let mut answer = Vec::new();
    let _ = server.poll_output(&mut answer);
    // Our first (unmasked, server) frame right behind the 101.
    answer.extend_from_slice(b"\x81\x05hello");
    mid.get_mut().get_mut().input = answer;

    let (mut ws, response) = mid.handshake().unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert_eq!(ws.read().unwrap(), Message::text("hello"));
}

#[test]
fn tungstenite_client_refused_with_426() {
    let mut request = "ws://localhost/".into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-version", HeaderValue::from_static("8"));
    let Err(HandshakeError::Interrupted(mut mid)) =
        tungstenite::client::client(request, Pipe::default())
    else {
        panic!("expected to wait for the response")
    };
    let sent = std::mem::take(&mut mid.get_mut().get_mut().output);
    let mut server = ServerHandshake::new(HeadLimits::default());
    assert!(server.recv(&sent).is_err());
    let mut answer = Vec::new();
    let _ = server.poll_output(&mut answer);
    mid.get_mut().get_mut().input = answer;
    match mid.handshake() {
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            assert_eq!(response.status(), 426);
            assert_eq!(response.headers()["sec-websocket-version"], "13");
        }
        other => panic!("expected an HTTP error: {other:?}"),
    }
}
