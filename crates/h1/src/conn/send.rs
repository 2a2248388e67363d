//! From the application's heads and content to bytes, through the state table.
//!
//! Every method checks, in order: the sticky error, the role, the state, then the message
//! itself (in `serialize`); a refusal writes nothing and changes nothing.

use http::{HeaderMap, StatusCode, request, response};

use super::{Connection, Role};
use crate::chunked;
use crate::error::{Error, LocalError};
use crate::framing::{self, Framing, Switch, connection_options};
use crate::serialize::{self, BodySize};
use crate::state::{Body, ClientState, Pending, Phase, ServerState, States};

impl Connection {
    /// Client: sends a request head (RFC 9112 §3), with content of `size` to follow.
    ///
    /// The machine writes the framing fields (see [`BodySize`]) and a Host field from the
    /// URI's authority if the head has none. The target is sent in origin-form
    /// (authority-form for CONNECT, `*` for `OPTIONS *`). With [`BodySize::Empty`] the
    /// request is complete; otherwise send content with [`send_data`](Self::send_data) and
    /// finish with [`send_end`](Self::send_end). A request with `Expect: 100-continue`
    /// holds its content until the server's 100 or final response, or until
    /// [`continue_without_100`](Self::continue_without_100). One exchange at a time: the
    /// next request may go once this response is complete.
    pub fn send_request(&mut self, head: &request::Parts, size: BodySize) -> Result<(), Error> {
        self.check_usable()?;
        if self.role != Role::Client {
            return Err(LocalError::WrongRole.into());
        }
        if !self.st.can_start_request() {
            return Err(self.out_of_turn().into());
        }
        let written = serialize::request_head(head, size, &mut self.tx)?;
        let framing = written.framing.unwrap_or(Framing::Empty);
        let (switch, expect_continue) = framing::proposals(head, connection_options(&head.headers));
        let pending = Pending {
            method: head.method.clone(),
            version: head.version,
            switch,
            expect_continue,
        };
        self.st
            .request(Body::new(framing, 0), pending, written.keep_alive);
        if framing == Framing::Empty {
            self.st.request_end();
        }
        Ok(())
    }

    /// Client: stop waiting for 100 Continue and allow the content to go (RFC 9110
    /// §10.1.1: a client need not wait for long). We have no clock: the application
    /// calls this when its own timer fires.
    pub fn continue_without_100(&mut self) {
        if self.role == Role::Client {
            self.st.stop_waiting_for_continue();
        }
    }

    /// Server: sends `100 Continue` (RFC 9110 §15.2.1), inviting the content of a request
    /// with `Expect: 100-continue`. The machine never sends it by itself: the application
    /// decides whether it wants the content (or answers with a final status instead).
    pub fn send_continue(&mut self) -> Result<(), Error> {
        let (head, ()) = http::Response::new(()).into_parts();
        self.send_informational(&head_with_status(head, StatusCode::CONTINUE))
    }

    /// Server: sends an interim response, 1xx other than 101 (e.g. 103 Early Hints,
    /// RFC 9110 §15.2). Not to an HTTP/1.0 client, which does not expect one.
    pub fn send_informational(&mut self, head: &response::Parts) -> Result<(), Error> {
        self.check_usable()?;
        let pending = self.pending_response()?;
        if !head.status.is_informational()
            || head.status == StatusCode::SWITCHING_PROTOCOLS
            || pending.version == http::Version::HTTP_10
        {
            return Err(LocalError::InformationalNotAllowed.into());
        }
        serialize::informational_head(head, &mut self.tx)?;
        self.st.informational();
        Ok(())
    }

    /// Server: sends the final response head (RFC 9112 §4) to the current request, with
    /// content of `size` to follow; or a 101 that switches protocols.
    ///
    /// The machine writes the framing fields (see [`BodySize`]) and `Connection: close`
    /// when the connection will not persist. A response that cannot have content (to
    /// HEAD; 204, 304) takes no content; a [`BodySize::Known`] length is then written as
    /// the Content-Length the content would have (HEAD, 304). With [`BodySize::Empty`]
    /// the response is complete; otherwise finish it with [`send_end`](Self::send_end).
    ///
    /// A `101 Switching Protocols` to a complete request that carried `Upgrade`, or a 2xx
    /// to CONNECT (with [`BodySize::Empty`]), switches the connection: the head goes out
    /// and [`poll_event`](Self::poll_event) reports [`Event::Upgrade`](crate::Event::Upgrade)
    /// with the bytes received after the request.
    pub fn send_response(&mut self, head: &response::Parts, size: BodySize) -> Result<(), Error> {
        self.check_usable()?;
        let pending = self.pending_response()?;
        let status = head.status;
        if status == StatusCode::SWITCHING_PROTOCOLS {
            if !self.st.may_switch(Switch::Upgrade) || size != BodySize::Empty {
                return Err(LocalError::UnexpectedSwitch.into());
            }
            serialize::informational_head(head, &mut self.tx)?;
            let event = self.switch(Switch::Upgrade, head.clone());
            self.events.push_back(event);
            return Ok(());
        }
        if status.is_informational() {
            return Err(LocalError::InformationalNotAllowed.into());
        }
        let connect =
            framing::switches(pending.switch, status) && pending.switch == Some(Switch::Connect);
        if connect && !self.st.may_switch(Switch::Connect) {
            return Err(LocalError::UnexpectedSwitch.into());
        }
        let keep_alive = self.st.response_keeps_alive(true);
        let written = serialize::response_head(head, size, &pending, keep_alive, &mut self.tx)?;
        if connect {
            let event = self.switch(Switch::Connect, head.clone());
            self.events.push_back(event);
            return Ok(());
        }
        let body = written.framing.map_or(Body::None, |f| Body::new(f, 0));
        self.st.response(body, written.keep_alive);
        if size == BodySize::Empty {
            self.st.response_end();
        }
        Ok(())
    }

    /// Sends content of the current message (RFC 9112 §6): as is, or as one chunk when
    /// chunked (an empty `data` sends nothing). Refused with
    /// [`LocalError::TooMuchContent`] past the declared length,
    /// [`LocalError::ContentNotAllowed`] where the message has none,
    /// [`LocalError::AwaitingContinue`] before a server's 100, and [`Error::WouldBlock`]
    /// (nothing taken) while the output holds
    /// [`Limits::max_pending_output`](crate::Limits) bytes.
    pub fn send_data(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check_usable()?;
        if self.role == Role::Client
            && matches!(&self.st.server, ServerState::SendResponse(p) if p.expect_continue)
        {
            return Err(LocalError::AwaitingContinue.into());
        }
        if self.tx.len() >= self.limits.max_pending_output {
            self.blocked = true;
            return Err(Error::WouldBlock);
        }
        let out = &mut self.tx;
        let body = our_body(self.role, &mut self.st).ok_or(LocalError::NoBodyInProgress)?;
        let len = data.len() as u64;
        match body {
            Body::None if !data.is_empty() => return Err(LocalError::ContentNotAllowed.into()),
            Body::None => {}
            Body::Length(tracker) => {
                let remaining = tracker.remaining().unwrap_or(0);
                if len > remaining {
                    let declared = tracker.received().saturating_add(remaining);
                    return Err(if declared == 0 {
                        LocalError::ContentNotAllowed
                    } else {
                        LocalError::TooMuchContent { declared }
                    }
                    .into());
                }
                let _ = tracker.on_data(data.len());
                out.extend_from_slice(data);
            }
            Body::Chunked { received, .. } => {
                if !data.is_empty() {
                    chunked::write_size_line(data.len(), out);
                    out.extend_from_slice(data);
                    out.extend_from_slice(b"\r\n");
                    *received = received.saturating_add(len);
                }
            }
            Body::UntilClose => out.extend_from_slice(data),
        }
        Ok(())
    }

    /// Ends the current message (RFC 9112 §6, §7.1): the last chunk with `trailers` when
    /// chunked; otherwise trailers must be `None` or empty
    /// ([`LocalError::TrailersNotAllowed`]), and a Content-Length must have been met
    /// ([`LocalError::TooLittleContent`]).
    pub fn send_end(&mut self, trailers: Option<&HeaderMap>) -> Result<(), Error> {
        self.check_usable()?;
        let has_trailers = trailers.is_some_and(|t| !t.is_empty());
        let out = &mut self.tx;
        let body = our_body(self.role, &mut self.st).ok_or(LocalError::NoBodyInProgress)?;
        match body {
            Body::Chunked { .. } => serialize::last_chunk(trailers, out)?,
            _ if has_trailers => return Err(LocalError::TrailersNotAllowed.into()),
            Body::Length(tracker) => {
                if let Some(remaining @ 1..) = tracker.remaining() {
                    return Err(LocalError::TooLittleContent {
                        declared: tracker.received().saturating_add(remaining),
                        sent: tracker.received(),
                    }
                    .into());
                }
            }
            Body::None | Body::UntilClose => {}
        }
        match self.role {
            Role::Client => self.st.request_end(),
            Role::Server => self.st.response_end(),
        }
        Ok(())
    }

    /// Server: the request a response would answer.
    fn pending_response(&self) -> Result<Pending, LocalError> {
        if self.role != Role::Server {
            return Err(LocalError::WrongRole);
        }
        match &self.st.server {
            ServerState::SendResponse(p) => Ok(p.clone()),
            _ => Err(self.out_of_turn()),
        }
    }

    /// Why a head cannot go now.
    fn out_of_turn(&self) -> LocalError {
        if matches!(self.our_phase(), Phase::MustClose | Phase::Closed)
            || matches!(self.their_phase(), Phase::MustClose | Phase::Closed)
        {
            LocalError::Closed
        } else {
            LocalError::HeadOutOfTurn
        }
    }
}

/// The body of the message `role` is sending, if one is in progress.
fn our_body(role: Role, st: &mut States) -> Option<&mut Body> {
    match (role, &mut st.client, &mut st.server) {
        (Role::Client, ClientState::SendBody(body), _)
        | (Role::Server, _, ServerState::SendBody(body)) => Some(body),
        _ => None,
    }
}

fn head_with_status(mut head: response::Parts, status: StatusCode) -> response::Parts {
    head.status = status;
    head
}
