//! The standalone HTTP/1.1 handshake machines: [`ClientHandshake`] and
//! [`ServerHandshake`] run RFC 6455 §4 on a byte stream, for a WebSocket endpoint that
//! has no HTTP/1.1 layer of its own.
//!
//! Both follow the Stator verbs: feed received bytes to `recv`, send what `poll_output`
//! returns, take what `poll_event` reports. Once established they hand over a
//! [`Negotiated`] and the bytes that followed the peer's head, which start the WebSocket
//! stream; the machine then has nothing more to do.

use bytes::{Bytes, BytesMut};
use http::{StatusCode, request, response};
use stator_wire::rand::Random;

use super::codec::{self, HeadLimits, RequestReader, ResponseReader};
use super::h1::{self, Expected, ValidRequest};
use super::{AcceptOptions, BuildError, ClientOptions, Established, HandshakeError, Offer};

/// What a [`ClientHandshake`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server accepted: hand [`Established`] to the WebSocket connection.
    Established(Established),
}

/// The client side of the HTTP/1.1 opening handshake (RFC 6455 §4.1).
///
/// Built from the options, it has the request ready in [`poll_output`](Self::poll_output);
/// [`recv`](Self::recv) then reads the response.
#[derive(Debug)]
pub struct ClientHandshake {
    reader: ResponseReader,
    expected: Expected,
    output: Option<Bytes>,
    response: Option<response::Parts>,
    event: Option<ClientEvent>,
    state: ClientState,
}

#[derive(Debug)]
enum ClientState {
    AwaitingResponse,
    Established,
    Failed(HandshakeError),
}

impl ClientHandshake {
    /// Builds the request of `options` with a key from `rng` (RFC 6455 §4.1) and queues it.
    pub fn new(
        options: &ClientOptions,
        rng: &mut dyn Random,
        limits: HeadLimits,
    ) -> Result<ClientHandshake, BuildError> {
        let (request, expected) = h1::client_request(options, rng)?;
        let mut out = Vec::new();
        codec::write_request(&request, &mut out);
        Ok(ClientHandshake {
            reader: ResponseReader::new(limits),
            expected,
            output: Some(Bytes::from(out)),
            response: None,
            event: None,
            state: ClientState::AwaitingResponse,
        })
    }

    /// Appends the bytes to send (the request, once) to `buf` and returns how many.
    /// Poll after [`new`](Self::new).
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_output(&mut self, buf: &mut Vec<u8>) -> usize {
        drain(&mut self.output, buf)
    }

    /// Like [`poll_output`](Self::poll_output), but returns the bytes as one `Bytes`.
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.output.take()
    }

    /// Takes bytes received from the server. Once the response head is complete and
    /// valid, [`poll_event`](Self::poll_event) reports [`ClientEvent::Established`];
    /// an invalid response is an error after which the connection must be failed
    /// (RFC 6455 §4.1). Errors are sticky.
    pub fn recv(&mut self, bytes: &[u8]) -> Result<(), HandshakeError> {
        match &self.state {
            ClientState::AwaitingResponse => {}
            ClientState::Established => {
                return Err(HandshakeError::InvalidState(
                    "recv after the handshake completed",
                ));
            }
            ClientState::Failed(e) => return Err(e.clone()),
        }
        let result = self.read(bytes);
        if let Err(e) = &result {
            self.state = ClientState::Failed(e.clone());
        }
        result
    }

    fn read(&mut self, bytes: &[u8]) -> Result<(), HandshakeError> {
        let Some((response, leftover)) = self.reader.recv(bytes)? else {
            return Ok(());
        };
        let negotiated = h1::check_response(&response, &self.expected);
        self.response = Some(response);
        let negotiated = negotiated?;
        self.state = ClientState::Established;
        self.event = Some(ClientEvent::Established(Established {
            negotiated,
            leftover,
        }));
        Ok(())
    }

    /// The next event. Poll after [`recv`](Self::recv).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.event.take()
    }

    /// The server's response head, once read (valid or not): a client that was refused
    /// reads the status and headers here (a redirect's Location, a 401's challenge).
    pub fn response(&self) -> Option<&response::Parts> {
        self.response.as_ref()
    }

    /// What the client sent and will check the answer against.
    pub fn expected(&self) -> &Expected {
        &self.expected
    }
}

/// A client's valid opening handshake, waiting for the application's decision.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    /// The request head (method, target, headers such as Origin or Cookie).
    pub parts: request::Parts,
    /// The subprotocols and extensions it offers.
    pub offer: Offer,
}

/// Compares the heads (method, target, version, headers) and the offers; the heads'
/// `http::Extensions` cannot be compared and are left out.
impl PartialEq for IncomingRequest {
    fn eq(&self, other: &IncomingRequest) -> bool {
        let (a, b) = (&self.parts, &other.parts);
        a.method == b.method
            && a.uri == b.uri
            && a.version == b.version
            && a.headers == b.headers
            && self.offer == other.offer
    }
}

impl Eq for IncomingRequest {}

/// What a [`ServerHandshake`] reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A valid opening handshake arrived: answer it with
    /// [`accept`](ServerHandshake::accept) or [`reject`](ServerHandshake::reject).
    Request(Box<IncomingRequest>),
}

/// The server side of the HTTP/1.1 opening handshake (RFC 6455 §4.2).
///
/// An invalid request is refused by the machine itself: [`recv`](Self::recv) returns the
/// [`RequestError`](super::RequestError) or [`HeadError`](super::HeadError) and
/// [`poll_output`](Self::poll_output) the 400, 426 or 431 to send before closing.
#[derive(Debug)]
pub struct ServerHandshake {
    reader: RequestReader,
    limits: HeadLimits,
    output: Option<Bytes>,
    event: Option<ServerEvent>,
    state: ServerState,
}

#[derive(Debug)]
enum ServerState {
    ReadingRequest,
    Deciding {
        request: ValidRequest,
        early: BytesMut,
    },
    Accepted,
    Rejected,
    Failed(HandshakeError),
}

impl ServerHandshake {
    /// A server waiting for a request, bounded by `limits`.
    pub fn new(limits: HeadLimits) -> ServerHandshake {
        ServerHandshake {
            reader: RequestReader::new(limits),
            limits,
            output: None,
            event: None,
            state: ServerState::ReadingRequest,
        }
    }

    /// Takes bytes received from the client.
    ///
    /// A complete valid request makes [`poll_event`](Self::poll_event) report
    /// [`ServerEvent::Request`]. Bytes after it are kept, up to
    /// [`HeadLimits::max_early_data`], and handed over by [`accept`](Self::accept). A
    /// malformed or invalid request is an error and queues its rejection in
    /// [`poll_output`](Self::poll_output). Errors are sticky; after a rejection further
    /// bytes are ignored.
    pub fn recv(&mut self, bytes: &[u8]) -> Result<(), HandshakeError> {
        match &mut self.state {
            ServerState::ReadingRequest => {}
            ServerState::Deciding { early, .. } => {
                if early.len().saturating_add(bytes.len()) > self.limits.max_early_data {
                    let error = HandshakeError::TooMuchEarlyData {
                        limit: self.limits.max_early_data,
                    };
                    self.event = None;
                    return Err(self.fail(error, None));
                }
                early.extend_from_slice(bytes);
                return Ok(());
            }
            ServerState::Accepted => {
                return Err(HandshakeError::InvalidState(
                    "recv after the handshake completed",
                ));
            }
            ServerState::Rejected => return Ok(()),
            ServerState::Failed(e) => return Err(e.clone()),
        }
        let (parts, leftover) = match self.reader.recv(bytes) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) => {
                let response = h1::reject_with_status(e.status());
                return Err(self.fail(e.into(), Some(response)));
            }
        };
        let request = match h1::check_request(&parts) {
            Ok(request) => request,
            Err(e) => {
                let response = h1::reject(&e);
                return Err(self.fail(e.into(), Some(response)));
            }
        };
        if leftover.len() > self.limits.max_early_data {
            let error = HandshakeError::TooMuchEarlyData {
                limit: self.limits.max_early_data,
            };
            return Err(self.fail(error, None));
        }
        self.event = Some(ServerEvent::Request(Box::new(IncomingRequest {
            parts,
            offer: request.offer.clone(),
        })));
        self.state = ServerState::Deciding {
            request,
            early: BytesMut::from(leftover),
        };
        Ok(())
    }

    /// Enters the failed state, queueing `response` (with `Connection: close`) if given.
    fn fail(&mut self, error: HandshakeError, response: Option<response::Parts>) -> HandshakeError {
        if let Some(mut response) = response {
            h1::add_close(&mut response);
            self.queue(&response);
        }
        self.state = ServerState::Failed(error.clone());
        error
    }

    fn queue(&mut self, response: &response::Parts) {
        let mut out = Vec::new();
        codec::write_response(response, &mut out);
        self.output = Some(Bytes::from(out));
    }

    /// The next event. Poll after [`recv`](Self::recv).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.event.take()
    }

    /// Accepts the pending request: queues the `101 Switching Protocols` (RFC 6455
    /// §4.2.2) and returns what was agreed with the bytes received after the request.
    ///
    /// Only valid after [`ServerEvent::Request`]: [`HandshakeError::InvalidState`]
    /// otherwise, or the machine's sticky error if it failed. A [`BuildError`] (reserved
    /// extra header) leaves the request pending.
    pub fn accept(&mut self, options: &AcceptOptions) -> Result<Established, HandshakeError> {
        let request = match &self.state {
            ServerState::Deciding { request, .. } => request,
            ServerState::Failed(e) => return Err(e.clone()),
            _ => {
                return Err(HandshakeError::InvalidState(
                    "accept without a pending request",
                ));
            }
        };
        let (response, negotiated) = h1::accept(request, options)?;
        self.queue(&response);
        let ServerState::Deciding { early, .. } =
            std::mem::replace(&mut self.state, ServerState::Accepted)
        else {
            return Err(HandshakeError::InvalidState(
                "accept without a pending request",
            ));
        };
        self.event = None;
        Ok(Established {
            negotiated,
            leftover: early.freeze(),
        })
    }

    /// Refuses the pending request with `status` and no body (RFC 6455 §4.2.2 item 2),
    /// closing the connection afterwards (`Connection: close`).
    pub fn reject(&mut self, status: StatusCode) -> Result<(), HandshakeError> {
        self.reject_with(h1::reject_with_status(status))
    }

    /// Refuses the pending request with a response of the application's making (for
    /// example a 401 with WWW-Authenticate and `Content-Length: 0`); `Connection: close`
    /// is added. Only the head is written: a body, if declared, is the caller's to send.
    pub fn reject_with(&mut self, mut response: response::Parts) -> Result<(), HandshakeError> {
        match &self.state {
            ServerState::Deciding { .. } => {}
            ServerState::Failed(e) => return Err(e.clone()),
            _ => {
                return Err(HandshakeError::InvalidState(
                    "reject without a pending request",
                ));
            }
        }
        h1::add_close(&mut response);
        self.queue(&response);
        self.state = ServerState::Rejected;
        self.event = None;
        Ok(())
    }

    /// Appends the bytes to send (the 101, or the response that refuses the request) to
    /// `buf` and returns how many. Poll after [`recv`](Self::recv),
    /// [`accept`](Self::accept) and [`reject`](Self::reject).
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_output(&mut self, buf: &mut Vec<u8>) -> usize {
        drain(&mut self.output, buf)
    }

    /// Like [`poll_output`](Self::poll_output), but returns the bytes as one `Bytes`.
    #[must_use = "the bytes must be written to the transport"]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.output.take()
    }

    /// Whether the machine has answered with a rejection (by the application or because
    /// the request was invalid): the connection should be closed once the output is sent.
    pub fn is_rejected(&self) -> bool {
        matches!(self.state, ServerState::Rejected | ServerState::Failed(_))
    }
}

/// Moves pending output into the caller's buffer.
fn drain(output: &mut Option<Bytes>, buf: &mut Vec<u8>) -> usize {
    let bytes = output.take().unwrap_or_default();
    buf.extend_from_slice(&bytes);
    bytes.len()
}
