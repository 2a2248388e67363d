//! The per-stream state machine of RFC 9113 §5.1, with the message framing rules of §8.1
//! (informational responses, trailers). Every transition of a single stream lives here.
//!
//! ```text
//!                          +--------+
//!                  send PP |        | recv PP
//!                 ,--------+  idle  +--------.
//!                /         |        |         \
//!               v          +--------+          v
//!        +----------+          |           +----------+
//!        |          |          | send H /  |          |
//! ,------+ reserved |          | recv H    | reserved +------.
//! |      | (local)  |          |           | (remote) |      |
//! |      +---+------+          v           +------+---+      |
//! |          |             +--------+             |          |
//! |          |     recv ES |        | send ES     |          |
//! |   send H |     ,-------+  open  +-------.     | recv H   |
//! |          |    /        |        |        \    |          |
//! |          v   v         +---+----+         v   v          |
//! |      +----------+          |           +----------+      |
//! |      |   half-  |          |           |   half-  |      |
//! |      |  closed  |          | send R /  |  closed  |      |
//! |      | (remote) |          | recv R    | (local)  |      |
//! |      +----+-----+          |           +-----+----+      |
//! |           | send ES /      |       recv ES / |           |
//! |           | send R /       v        send R / |           |
//! |           | recv R     +--------+   recv R   |           |
//! | send R /  `----------->|        |<-----------'  send R / |
//! | recv R                 | closed |               recv R   |
//! `----------------------->|        |<-----------------------'
//!                          +--------+
//! ```
//! (RFC 9113 Figure 2.) `closed` remembers why it was entered, because §5.1 treats late
//! frames differently after our `RST_STREAM`, the peer's `RST_STREAM` and `END_STREAM`.

use crate::ErrorCode;

/// How far one direction of a stream has got through its HTTP message (RFC 9113 §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No header block yet in this direction: the response side of a request before the
    /// response starts.
    AwaitingHeaders,
    /// Only informational (1xx) header blocks so far; the final one is still due.
    Informational,
    /// The final header block is done: `DATA` may follow, and a further header block is the
    /// trailers, which must end the stream.
    Body,
}

/// Why a stream is closed; RFC 9113 §5.1 ("closed") treats later frames differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseCause {
    /// Both sides ended with `END_STREAM`: the peer sending more is an error.
    EndStream,
    /// The peer sent `RST_STREAM`: anything but `PRIORITY` from it afterwards is an error.
    ResetReceived,
    /// We sent `RST_STREAM`: the peer may not know yet, so its frames are ignored.
    ResetSent,
}

/// The state of one stream (RFC 9113 §5.1), carrying the message phase of each direction
/// that is still open.
///
/// "send"/"local" is us, "recv"/"remote" the peer, whatever the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamState {
    /// Not yet used.
    Idle,
    /// We promised it with `PUSH_PROMISE` (never happens: we do not push).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "push is never enabled (RFC 9113 §8.4); the §5.1 table stays whole"
        )
    )]
    ReservedLocal,
    /// The peer promised it with `PUSH_PROMISE` (never accepted: we disable push).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "push is never enabled (RFC 9113 §8.4); the §5.1 table stays whole"
        )
    )]
    ReservedRemote,
    /// Both directions open.
    Open {
        /// Our message's progress.
        send: Phase,
        /// The peer's message's progress.
        recv: Phase,
    },
    /// We ended our direction; the peer is still sending.
    HalfClosedLocal {
        /// The peer's message's progress.
        recv: Phase,
    },
    /// The peer ended its direction; we are still sending.
    HalfClosedRemote {
        /// Our message's progress.
        send: Phase,
    },
    /// Terminal.
    Closed(CloseCause),
}

/// A frame received on a stream, as far as the stream's state cares (RFC 9113 §6).
///
/// A header block (`HEADERS` plus `CONTINUATION`s) arrives as one `Headers`, after HPACK
/// decoding (which must happen whatever the stream's state, to keep the decoder in sync).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// `HEADERS`; `informational` if it carries a 1xx `:status` (RFC 9113 §8.1).
    Headers {
        /// The `END_STREAM` flag.
        end_stream: bool,
        /// The block is an informational (1xx) response.
        informational: bool,
    },
    /// `DATA` (of any length, including zero).
    Data {
        /// The `END_STREAM` flag.
        end_stream: bool,
    },
    /// `PRIORITY` (deprecated, RFC 9113 §5.3.2; still legal in any state).
    Priority,
    /// `RST_STREAM`.
    RstStream,
    /// `WINDOW_UPDATE` on this stream.
    WindowUpdate,
    /// `PUSH_PROMISE` whose associated stream is this one.
    PushPromise,
}

/// What the connection should do with a frame the state machine allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Process the frame (deliver headers or data, apply the window update, …).
    Accept,
    /// The frame opened a new peer stream: a new request for a server.
    Opened,
    /// Drop the frame silently. A `DATA` frame still counts against the connection window
    /// (RFC 9113 §5.1, "closed"): consume and release it there.
    Ignore,
}

/// Whether an error ends a stream or the whole connection (RFC 9113 §5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Send `RST_STREAM` with the code (§5.4.2).
    Stream,
    /// Send `GOAWAY` with the code and close (§5.4.1).
    Connection,
}

/// The precise rule the peer broke, for logs and exact assertions in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Reason {
    /// A frame other than `HEADERS` or `PRIORITY` on an idle stream (§5.1).
    IdleStream,
    /// A frame not allowed on a reserved stream (§5.1).
    ReservedStream,
    /// A frame other than `WINDOW_UPDATE`, `PRIORITY`, `RST_STREAM` after the peer's
    /// `END_STREAM`, stream still half-closed (remote) (§5.1).
    HalfClosedRemote,
    /// A frame after both `END_STREAM`s (§5.1 "closed", §6.1).
    ClosedAfterEndStream,
    /// A frame other than `PRIORITY` after the peer's own `RST_STREAM` (§5.1 "closed").
    ClosedAfterReset,
    /// `DATA` on a closed stream whose history we no longer remember (§5.1, §6.1).
    ClosedStream,
    /// An informational (1xx) response with `END_STREAM` (§8.1).
    InformationalEndStream,
    /// A header block after the final one without `END_STREAM` (§8.1).
    TrailersWithoutEndStream,
    /// `DATA` before the final header block (§8.1).
    DataBeforeHeaders,
    /// A new stream whose identifier is not above all the peer opened before (§5.1.1).
    StreamIdNotIncreasing,
    /// A stream opened by the wrong endpoint: wrong parity, or a server opening with
    /// `HEADERS` (§5.1.1, §8.4).
    WrongInitiator,
    /// A `PUSH_PROMISE`: we never enable push, and clients cannot push (§6.6, §8.4).
    PushDisabled,
    /// A new stream beyond our `SETTINGS_MAX_CONCURRENT_STREAMS` (§5.1.2).
    Refused,
    /// A `WINDOW_UPDATE` or `SETTINGS_INITIAL_WINDOW_SIZE` change took a window above
    /// 2^31 - 1 (§6.9.1, §6.9.2).
    WindowOverflow,
    /// A `WINDOW_UPDATE` with an increment of 0 (§6.9).
    ZeroWindowIncrement,
    /// Flow-controlled data beyond the window we announced (§6.9.1).
    FlowControlExceeded,
}

/// The peer broke a rule: the error to send, its scope and the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Stream (`RST_STREAM`) or connection (`GOAWAY`).
    pub(crate) scope: Scope,
    /// The code to send.
    pub(crate) code: ErrorCode,
    /// The broken rule.
    pub(crate) reason: Reason,
}

impl Violation {
    /// A stream error (RFC 9113 §5.4.2).
    pub(crate) const fn stream(code: ErrorCode, reason: Reason) -> Self {
        Violation {
            scope: Scope::Stream,
            code,
            reason,
        }
    }

    /// A connection error (RFC 9113 §5.4.1).
    pub(crate) const fn connection(code: ErrorCode, reason: Reason) -> Self {
        Violation {
            scope: Scope::Connection,
            code,
            reason,
        }
    }
}

/// Local misuse: the application asked to send something the stream's state forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SendError {
    /// Our direction is finished (we sent `END_STREAM` or a reset happened).
    #[error("the stream is closed for sending")]
    Closed,
    /// The frame is not allowed in the stream's state (idle or reserved).
    #[error("the stream is not in a state that allows this frame")]
    InvalidState,
    /// `DATA` before the final header block (RFC 9113 §8.1).
    #[error("DATA before the final header block")]
    DataBeforeHeaders,
    /// A header block after the final one without `END_STREAM` (RFC 9113 §8.1).
    #[error("trailers must end the stream")]
    TrailersWithoutEndStream,
    /// An informational response with `END_STREAM` (RFC 9113 §8.1).
    #[error("an informational response cannot end the stream")]
    InformationalEndStream,
    /// An informational response after the final one.
    #[error("an informational response after the final response")]
    InformationalAfterFinal,
}

/// RFC 9113 §8.1: the phase after receiving a header block, or why it is malformed.
fn recv_block(phase: Phase, end_stream: bool, informational: bool) -> Result<Phase, Violation> {
    let malformed = |reason| Err(Violation::stream(ErrorCode::PROTOCOL_ERROR, reason));
    match phase {
        Phase::AwaitingHeaders | Phase::Informational if informational => {
            if end_stream {
                malformed(Reason::InformationalEndStream)
            } else {
                Ok(Phase::Informational)
            }
        }
        Phase::AwaitingHeaders | Phase::Informational => Ok(Phase::Body),
        // Trailers: the HTTP layer rejects pseudo-header fields (and so a `:status`) in them.
        Phase::Body if end_stream => Ok(Phase::Body),
        Phase::Body => malformed(Reason::TrailersWithoutEndStream),
    }
}

/// RFC 9113 §8.1: `DATA` only after the final header block.
fn recv_data(phase: Phase) -> Result<(), Violation> {
    if phase == Phase::Body {
        Ok(())
    } else {
        Err(Violation::stream(
            ErrorCode::PROTOCOL_ERROR,
            Reason::DataBeforeHeaders,
        ))
    }
}

/// The send-side twin of [`recv_block`].
fn send_block(phase: Phase, end_stream: bool, informational: bool) -> Result<Phase, SendError> {
    match phase {
        Phase::AwaitingHeaders | Phase::Informational if informational => {
            if end_stream {
                Err(SendError::InformationalEndStream)
            } else {
                Ok(Phase::Informational)
            }
        }
        Phase::AwaitingHeaders | Phase::Informational => Ok(Phase::Body),
        Phase::Body if informational => Err(SendError::InformationalAfterFinal),
        Phase::Body if end_stream => Ok(Phase::Body),
        Phase::Body => Err(SendError::TrailersWithoutEndStream),
    }
}

impl StreamState {
    /// Applies a frame received from the peer (RFC 9113 §5.1, §6, §8.1).
    ///
    /// On a stream-scope error the state becomes `Closed(ResetSent)`: the caller must send
    /// `RST_STREAM` with the error's code, and late frames will then be ignored. On a
    /// connection-scope error the state is unchanged (the connection is finished).
    pub(crate) fn recv(&mut self, frame: Frame) -> Result<Action, Violation> {
        let result = self.recv_inner(frame);
        if let Err(Violation {
            scope: Scope::Stream,
            ..
        }) = result
        {
            *self = StreamState::Closed(CloseCause::ResetSent);
        }
        result
    }

    // One arm per row of RFC 9113 §5.1, even where two rows behave alike.
    #[allow(clippy::match_same_arms, clippy::too_many_lines)]
    fn recv_inner(&mut self, frame: Frame) -> Result<Action, Violation> {
        use CloseCause::{EndStream, ResetReceived, ResetSent};
        use StreamState::{
            Closed, HalfClosedLocal, HalfClosedRemote, Idle, Open, ReservedLocal, ReservedRemote,
        };
        let protocol = |reason| Err(Violation::connection(ErrorCode::PROTOCOL_ERROR, reason));
        let closed = |reason| Err(Violation::stream(ErrorCode::STREAM_CLOSED, reason));
        let next = match (*self, frame) {
            // Idle: only HEADERS (opens) and PRIORITY.
            (
                Idle,
                Frame::Headers {
                    end_stream,
                    informational,
                },
            ) => {
                let recv = recv_block(Phase::AwaitingHeaders, end_stream, informational)?;
                *self = if end_stream {
                    HalfClosedRemote {
                        send: Phase::AwaitingHeaders,
                    }
                } else {
                    Open {
                        send: Phase::AwaitingHeaders,
                        recv,
                    }
                };
                return Ok(Action::Opened);
            }
            (Idle, Frame::Priority) => return Ok(Action::Accept),
            (Idle, _) => return protocol(Reason::IdleStream),

            // Reserved (local): RST_STREAM, PRIORITY, WINDOW_UPDATE only.
            (ReservedLocal, Frame::RstStream) => Closed(ResetReceived),
            (ReservedLocal, Frame::Priority | Frame::WindowUpdate) => return Ok(Action::Accept),
            (ReservedLocal, _) => return protocol(Reason::ReservedStream),

            // Reserved (remote): HEADERS, RST_STREAM, PRIORITY only.
            (
                ReservedRemote,
                Frame::Headers {
                    end_stream,
                    informational,
                },
            ) => {
                let recv = recv_block(Phase::AwaitingHeaders, end_stream, informational)?;
                if end_stream {
                    Closed(EndStream)
                } else {
                    HalfClosedLocal { recv }
                }
            }
            (ReservedRemote, Frame::RstStream) => Closed(ResetReceived),
            (ReservedRemote, Frame::Priority) => return Ok(Action::Accept),
            (ReservedRemote, _) => return protocol(Reason::ReservedStream),

            // Open and half-closed (local): the peer's direction is open.
            (
                Open { send, recv },
                Frame::Headers {
                    end_stream,
                    informational,
                },
            ) => {
                let recv = recv_block(recv, end_stream, informational)?;
                if end_stream {
                    HalfClosedRemote { send }
                } else {
                    Open { send, recv }
                }
            }
            (Open { send, recv }, Frame::Data { end_stream }) => {
                recv_data(recv)?;
                if end_stream {
                    HalfClosedRemote { send }
                } else {
                    *self
                }
            }
            (
                HalfClosedLocal { recv },
                Frame::Headers {
                    end_stream,
                    informational,
                },
            ) => {
                let recv = recv_block(recv, end_stream, informational)?;
                if end_stream {
                    Closed(EndStream)
                } else {
                    HalfClosedLocal { recv }
                }
            }
            (HalfClosedLocal { recv }, Frame::Data { end_stream }) => {
                recv_data(recv)?;
                if end_stream { Closed(EndStream) } else { *self }
            }
            (Open { .. } | HalfClosedLocal { .. } | HalfClosedRemote { .. }, Frame::RstStream) => {
                Closed(ResetReceived)
            }
            // Whether a push is acceptable at all is the stream table's call (never, for us).
            (
                Open { .. } | HalfClosedLocal { .. },
                Frame::Priority | Frame::WindowUpdate | Frame::PushPromise,
            )
            | (HalfClosedRemote { .. }, Frame::Priority | Frame::WindowUpdate) => {
                return Ok(Action::Accept);
            }

            // Half-closed (remote): the peer's direction is finished.
            (HalfClosedRemote { .. }, Frame::Headers { .. } | Frame::Data { .. })
            | (HalfClosedRemote { .. }, Frame::PushPromise) => {
                return closed(Reason::HalfClosedRemote);
            }

            // Closed: see CloseCause.
            (Closed(ResetSent), _)
            | (
                Closed(EndStream | ResetReceived),
                Frame::Priority | Frame::WindowUpdate | Frame::RstStream,
            ) => {
                return Ok(Action::Ignore);
            }
            (Closed(EndStream), _) => return closed(Reason::ClosedAfterEndStream),
            (Closed(ResetReceived), _) => return closed(Reason::ClosedAfterReset),
        };
        *self = next;
        Ok(Action::Accept)
    }

    /// We send a header block (RFC 9113 §5.1, §8.1): opens an idle stream (a request),
    /// sends informational or final response headers, or trailers (which must end the
    /// stream).
    pub(crate) fn send_headers(
        &mut self,
        end_stream: bool,
        informational: bool,
    ) -> Result<(), SendError> {
        use StreamState::{
            Closed, HalfClosedLocal, HalfClosedRemote, Idle, Open, ReservedLocal, ReservedRemote,
        };
        *self = match *self {
            Idle => {
                let send = send_block(Phase::AwaitingHeaders, end_stream, informational)?;
                if end_stream {
                    HalfClosedLocal {
                        recv: Phase::AwaitingHeaders,
                    }
                } else {
                    Open {
                        send,
                        recv: Phase::AwaitingHeaders,
                    }
                }
            }
            ReservedLocal => {
                let send = send_block(Phase::AwaitingHeaders, end_stream, informational)?;
                if end_stream {
                    Closed(CloseCause::EndStream)
                } else {
                    HalfClosedRemote { send }
                }
            }
            Open { send, recv } => {
                let send = send_block(send, end_stream, informational)?;
                if end_stream {
                    HalfClosedLocal { recv }
                } else {
                    Open { send, recv }
                }
            }
            HalfClosedRemote { send } => {
                let send = send_block(send, end_stream, informational)?;
                if end_stream {
                    Closed(CloseCause::EndStream)
                } else {
                    HalfClosedRemote { send }
                }
            }
            ReservedRemote => return Err(SendError::InvalidState),
            HalfClosedLocal { .. } | Closed(_) => return Err(SendError::Closed),
        };
        Ok(())
    }

    /// We send `DATA` (RFC 9113 §6.1): only after our final header block, while our
    /// direction is open.
    pub(crate) fn send_data(&mut self, end_stream: bool) -> Result<(), SendError> {
        use StreamState::{Closed, HalfClosedLocal, HalfClosedRemote, Open};
        *self = match *self {
            Open {
                send: Phase::Body,
                recv,
            } => {
                if end_stream {
                    HalfClosedLocal { recv }
                } else {
                    *self
                }
            }
            HalfClosedRemote { send: Phase::Body } => {
                if end_stream {
                    Closed(CloseCause::EndStream)
                } else {
                    *self
                }
            }
            Open { .. } | HalfClosedRemote { .. } => return Err(SendError::DataBeforeHeaders),
            HalfClosedLocal { .. } | Closed(_) => return Err(SendError::Closed),
            _ => return Err(SendError::InvalidState),
        };
        Ok(())
    }

    /// We send `RST_STREAM` (RFC 9113 §6.4): allowed in every state but idle, pointless
    /// once closed.
    pub(crate) fn send_reset(&mut self) -> Result<(), SendError> {
        match *self {
            StreamState::Idle => Err(SendError::InvalidState),
            StreamState::Closed(_) => Err(SendError::Closed),
            _ => {
                *self = StreamState::Closed(CloseCause::ResetSent);
                Ok(())
            }
        }
    }

    /// Whether the stream counts towards `SETTINGS_MAX_CONCURRENT_STREAMS`: open or
    /// half-closed, not reserved (RFC 9113 §5.1.2).
    pub(crate) fn is_active(self) -> bool {
        matches!(
            self,
            StreamState::Open { .. }
                | StreamState::HalfClosedLocal { .. }
                | StreamState::HalfClosedRemote { .. }
        )
    }

    /// Whether the stream is closed.
    pub(crate) fn is_closed(self) -> bool {
        matches!(self, StreamState::Closed(_))
    }

    /// Whether we may still send `DATA` or a header block (flow control applies).
    pub(crate) fn can_send(self) -> bool {
        matches!(
            self,
            StreamState::Open { .. } | StreamState::HalfClosedRemote { .. }
        )
    }

    /// Whether the peer may still send `DATA` (a stream `WINDOW_UPDATE` is useful).
    pub(crate) fn can_recv(self) -> bool {
        matches!(
            self,
            StreamState::Open { .. } | StreamState::HalfClosedLocal { .. }
        )
    }
}
