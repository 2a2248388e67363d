//! RFC 9113 §5.1 as a table (every state × every received frame kind), send-side
//! transitions, message phases, identifier rules and the stream table.

#![allow(clippy::arithmetic_side_effects)]

use super::*;
use crate::{ErrorCode, Limits, StreamId};
use CloseCause::{EndStream, ResetReceived, ResetSent};
use Phase::{AwaitingHeaders as AH, Body as B, Informational as I};
use StreamState::{
    Closed, HalfClosedLocal as Hcl, HalfClosedRemote as Hcr, Idle, Open, ReservedLocal,
    ReservedRemote,
};

const H: Frame = Frame::Headers {
    end_stream: false,
    informational: false,
};
const H_ES: Frame = Frame::Headers {
    end_stream: true,
    informational: false,
};
const H1: Frame = Frame::Headers {
    end_stream: false,
    informational: true,
};
const H1_ES: Frame = Frame::Headers {
    end_stream: true,
    informational: true,
};
const D: Frame = Frame::Data { end_stream: false };
const D_ES: Frame = Frame::Data { end_stream: true };
const PRI: Frame = Frame::Priority;
const RST: Frame = Frame::RstStream;
const WU: Frame = Frame::WindowUpdate;
const PP: Frame = Frame::PushPromise;
const ALL: [Frame; 10] = [H, H_ES, H1, H1_ES, D, D_ES, PRI, RST, WU, PP];

/// The exact expected outcome of one received frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Accepted; the stream moves to (or stays in) this state.
    Ok(StreamState),
    /// Accepted as the opening of a new stream in this state.
    Opened(StreamState),
    /// Ignored; nothing changes.
    Ignore,
    /// Stream error with this code; the stream is then closed by our reset.
    Stream(ErrorCode),
    /// Connection error with this code; nothing changes.
    Conn(ErrorCode),
}
use Expect::{Conn, Ignore, Opened, Stream};

const PROTOCOL: ErrorCode = ErrorCode::PROTOCOL_ERROR;
const CLOSED: ErrorCode = ErrorCode::STREAM_CLOSED;

fn open(send: Phase, recv: Phase) -> StreamState {
    Open { send, recv }
}

/// One row per state; one column per frame, in the order of `ALL`.
#[allow(clippy::too_many_lines)] // one table of cases
fn rfc9113_section_5_1_table() -> Vec<(StreamState, [Expect; 10])> {
    use Expect::Ok as A;
    let ob = open(B, B);
    vec![
        // idle: HEADERS opens (peer-initiated, our response still due), PRIORITY is fine,
        // anything else is a connection PROTOCOL_ERROR (§5.1 idle).
        (
            Idle,
            [
                Opened(open(AH, B)),
                Opened(Hcr { send: AH }),
                Opened(open(AH, I)),
                Stream(PROTOCOL), // §8.1: 1xx with END_STREAM is malformed
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                A(Idle),
                Conn(PROTOCOL), // §6.4: RST_STREAM on idle
                Conn(PROTOCOL),
                Conn(PROTOCOL),
            ],
        ),
        // reserved (local): RST_STREAM, PRIORITY, WINDOW_UPDATE only.
        (
            ReservedLocal,
            [
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                A(ReservedLocal),
                A(Closed(ResetReceived)),
                A(ReservedLocal),
                Conn(PROTOCOL),
            ],
        ),
        // reserved (remote): HEADERS, RST_STREAM, PRIORITY only.
        (
            ReservedRemote,
            [
                A(Hcl { recv: B }),
                A(Closed(EndStream)),
                A(Hcl { recv: I }),
                Stream(PROTOCOL),
                Conn(PROTOCOL),
                Conn(PROTOCOL),
                A(ReservedRemote),
                A(Closed(ResetReceived)),
                Conn(PROTOCOL),
                Conn(PROTOCOL),
            ],
        ),
        // open, both messages past their final headers: a header block is the trailers and
        // must end the stream (§8.1); a 1xx with END_STREAM there is "trailers" to this
        // layer (the HTTP layer rejects `:status` in trailers).
        (
            ob,
            [
                Stream(PROTOCOL),
                A(Hcr { send: B }),
                Stream(PROTOCOL),
                A(Hcr { send: B }),
                A(ob),
                A(Hcr { send: B }),
                A(ob),
                A(Closed(ResetReceived)),
                A(ob),
                A(ob),
            ],
        ),
        // open, a client awaiting its response: 1xx any number of times, then the final
        // headers; DATA before them is malformed (§8.1).
        (
            open(B, AH),
            [
                A(ob),
                A(Hcr { send: B }),
                A(open(B, I)),
                Stream(PROTOCOL),
                Stream(PROTOCOL),
                Stream(PROTOCOL),
                A(open(B, AH)),
                A(Closed(ResetReceived)),
                A(open(B, AH)),
                A(open(B, AH)),
            ],
        ),
        // open, a client that has seen a 1xx.
        (
            open(B, I),
            [
                A(ob),
                A(Hcr { send: B }),
                A(open(B, I)),
                Stream(PROTOCOL),
                Stream(PROTOCOL),
                Stream(PROTOCOL),
                A(open(B, I)),
                A(Closed(ResetReceived)),
                A(open(B, I)),
                A(open(B, I)),
            ],
        ),
        // half-closed (local), response not started (request sent with END_STREAM).
        (
            Hcl { recv: AH },
            [
                A(Hcl { recv: B }),
                A(Closed(EndStream)),
                A(Hcl { recv: I }),
                Stream(PROTOCOL),
                Stream(PROTOCOL),
                Stream(PROTOCOL),
                A(Hcl { recv: AH }),
                A(Closed(ResetReceived)),
                A(Hcl { recv: AH }),
                A(Hcl { recv: AH }),
            ],
        ),
        // half-closed (local), receiving the body.
        (
            Hcl { recv: B },
            [
                Stream(PROTOCOL),
                A(Closed(EndStream)),
                Stream(PROTOCOL),
                A(Closed(EndStream)),
                A(Hcl { recv: B }),
                A(Closed(EndStream)),
                A(Hcl { recv: B }),
                A(Closed(ResetReceived)),
                A(Hcl { recv: B }),
                A(Hcl { recv: B }),
            ],
        ),
        // half-closed (remote): only WINDOW_UPDATE, PRIORITY, RST_STREAM; else stream
        // STREAM_CLOSED (§5.1).
        (
            Hcr { send: AH },
            [
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                A(Hcr { send: AH }),
                A(Closed(ResetReceived)),
                A(Hcr { send: AH }),
                Stream(CLOSED),
            ],
        ),
        // closed after both END_STREAMs: more from the peer is STREAM_CLOSED (§5.1, §6.1);
        // WINDOW_UPDATE and RST_STREAM may legitimately cross our END_STREAM (§6.9).
        (
            Closed(EndStream),
            [
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Ignore,
                Ignore,
                Ignore,
                Stream(CLOSED),
            ],
        ),
        // closed by the peer's RST_STREAM: anything but PRIORITY is STREAM_CLOSED; a late
        // WINDOW_UPDATE or a second RST_STREAM is harmless and ignored.
        (
            Closed(ResetReceived),
            [
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Stream(CLOSED),
                Ignore,
                Ignore,
                Ignore,
                Stream(CLOSED),
            ],
        ),
        // closed by our RST_STREAM: the peer may not know yet; ignore everything (§5.1).
        (Closed(ResetSent), [Ignore; 10]),
    ]
}

#[test]
fn every_state_times_every_received_frame() {
    let mut cases = 0;
    for (state, row) in rfc9113_section_5_1_table() {
        for (frame, expect) in ALL.into_iter().zip(row) {
            let mut s = state;
            let got = s.recv(frame);
            let ctx = format!("{state:?} + {frame:?}");
            match expect {
                Expect::Ok(next) => {
                    assert_eq!(got, Ok(Action::Accept), "{ctx}");
                    assert_eq!(s, next, "{ctx}");
                }
                Opened(next) => {
                    assert_eq!(got, Ok(Action::Opened), "{ctx}");
                    assert_eq!(s, next, "{ctx}");
                }
                Ignore => {
                    assert_eq!(got, Ok(Action::Ignore), "{ctx}");
                    assert_eq!(s, state, "{ctx}");
                }
                Stream(code) => {
                    let v = got.expect_err(&ctx);
                    assert_eq!((v.scope, v.code), (Scope::Stream, code), "{ctx}");
                    assert_eq!(
                        s,
                        Closed(ResetSent),
                        "{ctx}: a stream error resets the stream"
                    );
                }
                Conn(code) => {
                    let v = got.expect_err(&ctx);
                    assert_eq!((v.scope, v.code), (Scope::Connection, code), "{ctx}");
                    assert_eq!(s, state, "{ctx}");
                }
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 120);
}

#[test]
fn violation_reasons_name_the_rule() {
    let reason = |mut s: StreamState, f| s.recv(f).unwrap_err().reason;
    assert_eq!(reason(Idle, D), Reason::IdleStream);
    assert_eq!(reason(ReservedRemote, WU), Reason::ReservedStream);
    assert_eq!(reason(Hcr { send: B }, D), Reason::HalfClosedRemote);
    assert_eq!(reason(Closed(EndStream), D), Reason::ClosedAfterEndStream);
    assert_eq!(
        reason(Closed(ResetReceived), H_ES),
        Reason::ClosedAfterReset
    );
    assert_eq!(reason(open(B, B), H), Reason::TrailersWithoutEndStream);
    assert_eq!(reason(open(B, AH), H1_ES), Reason::InformationalEndStream);
    assert_eq!(reason(open(B, I), D_ES), Reason::DataBeforeHeaders);
}

#[test]
fn client_sees_1xx_then_final_response_then_trailers() {
    let mut s = Idle;
    s.send_headers(false, false).unwrap(); // request headers
    assert_eq!(s, open(B, AH));
    s.send_data(true).unwrap(); // request body ends
    assert_eq!(s, Hcl { recv: AH });
    for _ in 0..3 {
        assert_eq!(s.recv(H1), Ok(Action::Accept)); // 100, 103, 103 …
        assert_eq!(s, Hcl { recv: I });
    }
    assert_eq!(s.recv(H), Ok(Action::Accept)); // 200
    assert_eq!(s, Hcl { recv: B });
    assert_eq!(s.recv(D), Ok(Action::Accept));
    assert_eq!(s.recv(D), Ok(Action::Accept));
    assert_eq!(s.recv(H_ES), Ok(Action::Accept)); // trailers
    assert_eq!(s, Closed(EndStream));
    assert_eq!(s.send_data(false), Err(SendError::Closed));
}

#[test]
fn server_sends_1xx_then_final_response_then_trailers() {
    let mut s = Idle;
    assert_eq!(s.recv(H), Ok(Action::Opened));
    assert_eq!(s.send_data(false), Err(SendError::DataBeforeHeaders));
    assert_eq!(
        s.send_headers(true, true),
        Err(SendError::InformationalEndStream)
    );
    s.send_headers(false, true).unwrap(); // 100 Continue
    assert_eq!(s, open(I, B));
    assert_eq!(s.send_data(false), Err(SendError::DataBeforeHeaders));
    s.send_headers(false, true).unwrap(); // 103 Early Hints
    s.send_headers(false, false).unwrap(); // 200
    assert_eq!(s, open(B, B));
    assert_eq!(
        s.send_headers(false, true),
        Err(SendError::InformationalAfterFinal)
    );
    assert_eq!(
        s.send_headers(false, false),
        Err(SendError::TrailersWithoutEndStream)
    );
    // Failed sends change nothing.
    assert_eq!(s, open(B, B));
    s.send_data(false).unwrap();
    assert_eq!(s.recv(D_ES), Ok(Action::Accept)); // request body ends
    assert_eq!(s, Hcr { send: B });
    s.send_headers(true, false).unwrap(); // trailers
    assert_eq!(s, Closed(EndStream));
    assert_eq!(s.send_headers(true, false), Err(SendError::Closed));
}

#[test]
fn send_side_transitions() {
    // Request without body.
    let mut s = Idle;
    s.send_headers(true, false).unwrap();
    assert_eq!(s, Hcl { recv: AH });
    assert_eq!(s.send_headers(true, false), Err(SendError::Closed));
    assert_eq!(s.send_data(true), Err(SendError::Closed));
    // Nothing but HEADERS may be sent on an idle stream; RST_STREAM on idle is forbidden.
    assert_eq!(Idle.send_data(false), Err(SendError::InvalidState));
    assert_eq!(Idle.send_reset(), Err(SendError::InvalidState));
    // Reserved streams (push is never enabled, but the states exist).
    let mut s = ReservedLocal;
    s.send_headers(false, false).unwrap();
    assert_eq!(s, Hcr { send: B });
    let mut s = ReservedLocal;
    s.send_headers(true, false).unwrap();
    assert_eq!(s, Closed(EndStream));
    assert_eq!(
        ReservedRemote.send_headers(false, false),
        Err(SendError::InvalidState)
    );
    assert_eq!(
        ReservedRemote.send_data(false),
        Err(SendError::InvalidState)
    );
    // Resets: from any live state to closed-by-us; never twice.
    for live in [
        ReservedLocal,
        ReservedRemote,
        open(B, B),
        Hcl { recv: B },
        Hcr { send: AH },
    ] {
        let mut s = live;
        s.send_reset().unwrap();
        assert_eq!(s, Closed(ResetSent));
        assert_eq!(s.send_reset(), Err(SendError::Closed));
    }
    // Sending DATA to the end closes a half-closed (remote) stream.
    let mut s = Hcr { send: B };
    s.send_data(false).unwrap();
    s.send_data(true).unwrap();
    assert_eq!(s, Closed(EndStream));
}

#[test]
fn state_predicates() {
    assert!(open(B, B).is_active() && Hcl { recv: B }.is_active() && Hcr { send: B }.is_active());
    assert!(!Idle.is_active() && !ReservedLocal.is_active() && !ReservedRemote.is_active());
    assert!(!Closed(EndStream).is_active() && Closed(ResetSent).is_closed());
    assert!(open(B, B).can_send() && Hcr { send: AH }.can_send() && !Hcl { recv: B }.can_send());
    assert!(open(B, B).can_recv() && Hcl { recv: B }.can_recv() && !Hcr { send: B }.can_recv());
}

fn id(n: u32) -> StreamId {
    StreamId::new(n).unwrap()
}

fn server(limits: &Limits) -> StreamTable<u32> {
    StreamTable::new(Role::Server, limits)
}

fn conn_err(result: Result<Action, Violation>) -> (ErrorCode, Reason) {
    let v = result.unwrap_err();
    assert_eq!(v.scope, Scope::Connection, "{v:?}");
    (v.code, v.reason)
}

fn stream_err(result: Result<Action, Violation>) -> (ErrorCode, Reason) {
    let v = result.unwrap_err();
    assert_eq!(v.scope, Scope::Stream, "{v:?}");
    (v.code, v.reason)
}

#[test]
fn peer_ids_must_increase_and_implicitly_close_lower_ones() {
    let mut t = server(&Limits::default());
    assert_eq!(t.recv(id(1), H_ES), Ok(Action::Opened));
    assert_eq!(t.recv(id(5), H), Ok(Action::Opened));
    assert_eq!(t.ids().highest_peer(), id(5));
    // 3 was idle and is now implicitly closed (§5.1.1).
    assert_eq!(t.state(id(3)), None);
    assert_eq!(
        t.recv(id(3), H),
        Err(Violation::connection(
            PROTOCOL,
            Reason::StreamIdNotIncreasing
        ))
    );
    assert_eq!(t.recv(id(5), H_ES), Ok(Action::Accept)); // trailers, not a reuse
    // DATA on the implicitly closed 3: stream STREAM_CLOSED once, then ignored.
    assert_eq!(stream_err(t.recv(id(3), D)), (CLOSED, Reason::ClosedStream));
    assert_eq!(t.recv(id(3), D), Ok(Action::Ignore));
    assert_eq!(t.recv(id(3), WU), Ok(Action::Ignore));
    // Frames on idle identifiers.
    assert_eq!(conn_err(t.recv(id(7), D)), (PROTOCOL, Reason::IdleStream));
    assert_eq!(conn_err(t.recv(id(7), RST)), (PROTOCOL, Reason::IdleStream));
    assert_eq!(conn_err(t.recv(id(7), WU)), (PROTOCOL, Reason::IdleStream));
    assert_eq!(t.recv(id(9), PRI), Ok(Action::Accept));
    assert_eq!(
        t.ids().highest_peer(),
        id(5),
        "PRIORITY does not use an identifier"
    );
    assert_eq!(t.recv(id(7), H), Ok(Action::Opened));
    // A client cannot open even (server) identifiers; nor stream 0.
    assert_eq!(
        conn_err(t.recv(id(8), H)),
        (PROTOCOL, Reason::WrongInitiator)
    );
    assert_eq!(conn_err(t.recv(StreamId::ZERO, D)).0, PROTOCOL);
    // Even identifiers are ours and never opened: idle.
    assert_eq!(conn_err(t.recv(id(2), D)), (PROTOCOL, Reason::IdleStream));
}

#[test]
fn a_server_cannot_open_streams_and_nobody_may_push() {
    let mut c: StreamTable<u32> = StreamTable::new(Role::Client, &Limits::default());
    assert_eq!(
        conn_err(c.recv(id(2), H)),
        (PROTOCOL, Reason::WrongInitiator)
    );
    assert_eq!(
        conn_err(c.recv(id(1), H)),
        (PROTOCOL, Reason::WrongInitiator)
    ); // ours, idle
    let s1 = c.open_local(true, 0).unwrap();
    assert_eq!(s1, id(1));
    assert_eq!(conn_err(c.recv(s1, PP)), (PROTOCOL, Reason::PushDisabled)); // §6.6
    assert_eq!(conn_err(c.recv(id(3), PP)), (PROTOCOL, Reason::IdleStream));
    let mut s = server(&Limits::default());
    s.recv(id(1), H).unwrap();
    assert_eq!(
        conn_err(s.recv(id(1), PP)),
        (PROTOCOL, Reason::PushDisabled)
    ); // §8.4
}

#[test]
fn client_response_flow_through_the_table() {
    let mut c: StreamTable<&str> = StreamTable::new(Role::Client, &Limits::default());
    let s = c.open_local(false, "req").unwrap();
    assert_eq!(c.get(s), Some(&"req"));
    c.send_data(s, true).unwrap();
    assert_eq!(c.recv(s, H1), Ok(Action::Accept));
    assert_eq!(c.recv(s, H), Ok(Action::Accept));
    assert_eq!(c.recv(s, D), Ok(Action::Accept));
    assert_eq!(
        stream_err(c.recv(s, H)),
        (PROTOCOL, Reason::TrailersWithoutEndStream)
    );
    assert_eq!(c.state(s), Some(Closed(ResetSent)));
    assert_eq!(c.active_local(), 0);
    assert_eq!(c.recv(s, D), Ok(Action::Ignore));
    assert_eq!(c.remove(s), Some("req"));
    assert_eq!(
        c.recv(s, D_ES),
        Ok(Action::Ignore),
        "remembered as reset by us"
    );
}

#[test]
fn peer_concurrency_limit_refuses_streams() {
    let limits = Limits {
        max_concurrent_streams: 2,
        ..Limits::default()
    };
    let mut t = server(&limits);
    assert_eq!(t.recv(id(1), H), Ok(Action::Opened));
    assert_eq!(t.recv(id(3), H_ES), Ok(Action::Opened));
    assert_eq!(t.active_peer(), 2);
    assert_eq!(
        t.recv(id(5), H),
        Err(Violation::stream(
            ErrorCode::REFUSED_STREAM,
            Reason::Refused
        ))
    );
    assert_eq!(t.active_peer(), 2);
    assert_eq!(t.state(id(5)), Some(Closed(ResetSent)));
    assert_eq!(
        t.recv(id(5), D),
        Ok(Action::Ignore),
        "late DATA on a refused stream"
    );
    // Closing one (both END_STREAMs) frees a slot.
    t.send_headers(id(3), true, false).unwrap();
    assert_eq!(t.state(id(3)), Some(Closed(EndStream)));
    assert_eq!(t.active_peer(), 1);
    assert_eq!(t.recv(id(7), H), Ok(Action::Opened));
    // The peer's RST_STREAM frees a slot too.
    assert_eq!(t.recv(id(1), RST), Ok(Action::Accept));
    assert_eq!(t.active_peer(), 1);
    // Lowering our limit refuses new streams, keeps existing ones.
    t.set_our_max_concurrent(0);
    assert_eq!(stream_err(t.recv(id(9), H)).0, ErrorCode::REFUSED_STREAM);
    assert_eq!(t.recv(id(7), D), Ok(Action::Accept));
    assert_eq!(t.len(), 3);
}

#[test]
fn local_concurrency_limit() {
    let mut c: StreamTable<&str> = StreamTable::new(Role::Client, &Limits::default());
    c.set_peer_max_concurrent(1);
    let first = c.open_local(false, "a").unwrap();
    assert!(!c.can_open_local());
    assert_eq!(c.open_local(false, "b"), Err((OpenError::AtLimit, "b")));
    c.send_reset(first).unwrap();
    assert_eq!(c.active_local(), 0);
    assert_eq!(c.open_local(true, "c"), Ok(id(3)));
    assert_eq!(c.active_local(), 1);
    // The peer raising its limit lets more through; GOAWAY stops everything.
    c.set_peer_max_concurrent(10);
    assert!(c.can_open_local());
    c.goaway_received();
    assert_eq!(c.open_local(false, "e"), Err((OpenError::GoingAway, "e")));
}

#[test]
fn local_ids_run_out() {
    let mut c: StreamTable<()> = StreamTable::new(Role::Client, &Limits::default());
    *c.ids_mut() = StreamIds::starting_at(Role::Client, id(0x7fff_fffd));
    assert_eq!(c.open_local(true, ()), Ok(id(0x7fff_fffd)));
    assert_eq!(c.open_local(true, ()), Ok(StreamId::MAX));
    assert_eq!(c.open_local(true, ()), Err((OpenError::IdsExhausted, ())));
    assert!(!c.can_open_local());
    assert_eq!(c.ids().next_local(), None);
    assert!(!c.ids().is_idle(id(1)));

    let mut ids = StreamIds::new(Role::Server);
    assert_eq!(ids.allocate_local(), Some(id(2)));
    assert_eq!(ids.next_local(), Some(id(4)));
    assert_eq!(ids.role(), Role::Server);
}

#[test]
fn closed_memory_is_bounded_and_classifies_late_frames() {
    let limits = Limits {
        closed_stream_memory: 2,
        ..Limits::default()
    };
    let mut t = server(&limits);
    for n in [1, 3, 5] {
        t.recv(id(n), H_ES).unwrap();
        t.send_headers(id(n), true, false).unwrap();
        assert_eq!(t.remove(id(n)), Some(0));
    }
    assert_eq!(t.len(), 0);
    // 5 and 3 are remembered as closed by END_STREAM; 1 was forgotten.
    assert_eq!(
        stream_err(t.recv(id(5), D)),
        (CLOSED, Reason::ClosedAfterEndStream)
    );
    assert_eq!(
        t.recv(id(5), D),
        Ok(Action::Ignore),
        "answered once, then ignored"
    );
    assert_eq!(t.recv(id(3), WU), Ok(Action::Ignore));
    assert_eq!(
        stream_err(t.recv(id(3), H_ES)),
        (CLOSED, Reason::ClosedAfterEndStream)
    );
    assert_eq!(t.state(id(1)), None);
    assert_eq!(stream_err(t.recv(id(1), D)), (CLOSED, Reason::ClosedStream));
    // A stream removed while still open is remembered as reset by us.
    t.recv(id(7), H).unwrap();
    assert_eq!(t.active_peer(), 1);
    t.remove(id(7));
    assert_eq!(t.active_peer(), 0);
    assert_eq!(t.recv(id(7), D), Ok(Action::Ignore));

    let none = Limits {
        closed_stream_memory: 0,
        ..Limits::default()
    };
    let mut t = server(&none);
    t.recv(id(1), H).unwrap();
    t.send_reset(id(1)).unwrap();
    t.remove(id(1));
    assert_eq!(stream_err(t.recv(id(1), D)), (CLOSED, Reason::ClosedStream));
}

#[test]
fn streams_above_our_goaway_are_ignored() {
    let mut t = server(&Limits::default());
    t.recv(id(1), H).unwrap();
    t.goaway_sent(id(1));
    assert_eq!(t.recv(id(3), H), Ok(Action::Ignore));
    assert_eq!(t.recv(id(3), D), Ok(Action::Ignore));
    assert_eq!(
        t.recv(id(1), D_ES),
        Ok(Action::Accept),
        "streams below still complete"
    );
    assert_eq!(t.active_peer(), 1);
}

#[test]
fn send_errors_on_unknown_streams() {
    let mut t = server(&Limits::default());
    assert_eq!(t.send_data(id(1), false), Err(SendError::InvalidState));
    t.recv(id(3), H).unwrap();
    assert_eq!(t.send_data(id(1), false), Err(SendError::Closed));
    assert_eq!(t.send_reset(id(1)), Err(SendError::Closed));
    *t.get_mut(id(3)).unwrap() = 42;
    assert_eq!(
        t.iter_mut().map(|(i, s, d)| (i, s, *d)).collect::<Vec<_>>(),
        [(id(3), open(AH, B), 42)]
    );
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn frame() -> impl Strategy<Value = Frame> {
        proptest::sample::select(ALL.to_vec())
    }

    #[derive(Clone, Debug)]
    enum Op {
        Recv(u32, Frame),
        SendHeaders(u32, bool, bool),
        SendData(u32, bool),
        Reset(u32),
        Remove(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        let id = 0u32..24;
        prop_oneof![
            4 => (id.clone(), frame()).prop_map(|(i, f)| Op::Recv(i, f)),
            1 => (id.clone(), any::<bool>(), any::<bool>())
                .prop_map(|(i, e, x)| Op::SendHeaders(i, e, x)),
            1 => (id.clone(), any::<bool>()).prop_map(|(i, e)| Op::SendData(i, e)),
            1 => id.clone().prop_map(Op::Reset),
            1 => id.prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// Whatever the peer sends, the active counts match the states in the table, never
        /// exceed our limit for peer streams, and the closed memory stays bounded.
        #[test]
        fn counts_match_states(ops in proptest::collection::vec(op(), 0..200), max in 0u32..4) {
            let limits = Limits {
                max_concurrent_streams: max,
                closed_stream_memory: 3,
                ..Limits::default()
            };
            let mut t = server(&limits);
            for op in ops {
                match op {
                    Op::Recv(i, f) => { let _ = t.recv(id(i), f); }
                    Op::SendHeaders(i, e, x) => { let _ = t.send_headers(id(i), e, x); }
                    Op::SendData(i, e) => { let _ = t.send_data(id(i), e); }
                    Op::Reset(i) => { let _ = t.send_reset(id(i)); }
                    Op::Remove(i) => { let _ = t.remove(id(i)); }
                }
                let active = t.iter_mut().filter(|(_, s, _)| s.is_active()).count();
                prop_assert_eq!(active, t.active_peer() as usize);
                prop_assert!(t.active_peer() <= max);
                prop_assert_eq!(t.active_local(), 0);
                prop_assert!(t.remembered_closed() <= 3);
            }
        }
    }
}
