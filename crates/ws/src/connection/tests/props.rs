//! Property tests: splits of the input do not matter, everything round-trips, and no input
//! makes a connection panic.

use proptest::prelude::*;
use stator_wire::rand::SeededRandom;

use super::*;
use crate::handshake::codec::HeadLimits;
use crate::{Event, Message, MessageKind, Role};

/// What a test sends.
#[derive(Debug, Clone)]
enum Action {
    Message(Message),
    /// A message cut into fragments of these sizes (the rest goes in the last one).
    Fragmented(MessageKind, Vec<u8>, Vec<usize>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,40}", "[a-z ]{0,300}", Just("€𝄞κόσμε".repeat(50))]
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        (0usize..70_000).prop_map(|n| (0..n).map(|i| (i % 7) as u8).collect()),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        text().prop_map(|t| Action::Message(Message::text(t))),
        data().prop_map(|d| Action::Message(Message::binary(d))),
        (text(), proptest::collection::vec(0usize..50, 0..5))
            .prop_map(|(t, cuts)| Action::Fragmented(MessageKind::Text, t.into_bytes(), cuts)),
        (data(), proptest::collection::vec(0usize..500, 0..5))
            .prop_map(|(d, cuts)| Action::Fragmented(MessageKind::Binary, d, cuts)),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Action::Ping),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Action::Pong),
    ]
}

fn deflate_config() -> impl Strategy<Value = Option<DeflateConfig>> {
    prop_oneof![
        Just(None),
        (8u8..=15, 8u8..=15, any::<bool>(), any::<bool>()).prop_map(|(sb, cb, snc, cnc)| Some(
            DeflateConfig {
                server_no_context_takeover: snc,
                client_no_context_takeover: cnc,
                server_max_window_bits: sb,
                client_max_window_bits: cb,
            }
        )),
    ]
}

/// Sends the actions and returns what the receiving side should report.
fn perform(conn: &mut Connection, actions: &[Action]) -> Vec<Event> {
    let mut expect = Vec::new();
    for a in actions {
        match a {
            Action::Message(m) => {
                conn.send(m).unwrap();
                expect.push(Event::Message(m.clone()));
            }
            Action::Fragmented(kind, data, cuts) => {
                let mut rest = &data[..];
                for &cut in cuts {
                    let (piece, tail) = rest.split_at(cut.min(rest.len()));
                    // A text cut may split a character: allowed on the wire.
                    assert_eq!(
                        conn.send_fragment(*kind, piece, false).unwrap(),
                        piece.len()
                    );
                    rest = tail;
                }
                assert_eq!(conn.send_fragment(*kind, rest, true).unwrap(), rest.len());
                expect.push(Event::Message(match kind {
                    MessageKind::Text => Message::text(String::from_utf8(data.clone()).unwrap()),
                    MessageKind::Binary => Message::binary(data.clone()),
                }));
            }
            Action::Ping(p) => {
                conn.ping(p).unwrap();
                expect.push(Event::Ping(p.clone().into()));
            }
            Action::Pong(p) => {
                conn.pong(p).unwrap();
                expect.push(Event::Pong(p.clone().into()));
            }
        }
    }
    expect
}

fn big_limits() -> Limits {
    Limits {
        max_pending_output: usize::MAX,
        max_pending_control_frames: usize::MAX,
        ..Limits::default()
    }
}

fn split_points(len: usize, cuts: &[prop::sample::Index]) -> Vec<usize> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(len + 1)).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points
}

/// Concatenates stream-mode chunks back into messages.
fn reassemble(evs: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    let mut current: Option<(MessageKind, Vec<u8>)> = None;
    for e in evs {
        match e {
            Event::Chunk(c) => {
                assert_eq!(c.first, current.is_none());
                let (_, buf) = current.get_or_insert((c.kind, Vec::new()));
                buf.extend_from_slice(&c.data);
                if c.last {
                    let (kind, buf) = current.take().unwrap();
                    out.push(Event::Message(match kind {
                        MessageKind::Text => Message::text(String::from_utf8(buf).unwrap()),
                        MessageKind::Binary => Message::binary(buf),
                    }));
                }
            }
            other => out.push(other),
        }
    }
    assert!(current.is_none());
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Encode -> decode, both directions, with and without deflate, in message and stream
    /// mode, for whole and fragmented messages and control frames.
    #[test]
    fn round_trip(
        actions in proptest::collection::vec(action(), 1..8),
        config in deflate_config(),
        stream in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mode = if stream { ReceiveMode::Stream } else { ReceiveMode::Message };
        let mut p = Pair::new(
            Config::client(SeededRandom::new(seed))
                .with_deflate(config)
                .with_receive_mode(mode)
                .with_limits(big_limits())
                .with_auto_pong(false),
            Config::server().with_deflate(config).with_receive_mode(mode).with_limits(big_limits()).with_auto_pong(false),
        );
        let expect = perform(&mut p.client, &actions);
        let got = reassemble(p.deliver_to_server());
        prop_assert_eq!(got, expect);
        let expect = perform(&mut p.server, &actions);
        let got: Vec<Event> = reassemble(p.deliver_to_client()).into_iter().filter(|e| !matches!(e, Event::Writable)).collect();
        prop_assert_eq!(got, expect);
    }

    /// Any split of a valid byte stream into chunks yields the same events.
    #[test]
    fn splits_do_not_matter(
        actions in proptest::collection::vec(action(), 1..6),
        config in deflate_config(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        stream in any::<bool>(),
    ) {
        let mut sender = Connection::new(client_config().with_deflate(config).with_limits(big_limits()));
        let _ = perform(&mut sender, &actions);
        sender.close(CloseCode::NORMAL, "bye").unwrap();
        let wire = output(&mut sender);
        let mode = if stream { ReceiveMode::Stream } else { ReceiveMode::Message };
        let receiver = || Connection::new(Config::server().with_deflate(config).with_receive_mode(mode));

        let mut whole = receiver();
        whole.recv(&wire);
        let expect = reassemble(events(&mut whole));
        let expect_out = output(&mut whole);

        let mut pieces = receiver();
        let mut got = Vec::new();
        for w in split_points(wire.len(), &cuts).windows(2) {
            pieces.recv(&wire[w[0]..w[1]]);
            got.extend(events(&mut pieces));
        }
        prop_assert_eq!(reassemble(got), expect);
        prop_assert_eq!(output(&mut pieces), expect_out);
    }

    /// Arbitrary bytes never panic, in either role, with or without deflate, in either
    /// mode, and the machine ends either waiting for more or closed with a close frame sent.
    #[test]
    fn arbitrary_input_never_panics(
        prefix in proptest::collection::vec(action(), 0..3),
        garbage in proptest::collection::vec(any::<u8>(), 0..400),
        config in deflate_config(),
        client_role in any::<bool>(),
        stream in any::<bool>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let role = if client_role { Role::Client } else { Role::Server };
        // Valid frames first (from the right kind of peer), then garbage.
        let mut peer = Connection::new(match role {
            Role::Client => Config::server(),
            Role::Server => client_config(),
        }.with_deflate(config).with_limits(big_limits()));
        let _ = perform(&mut peer, &prefix);
        let mut wire = output(&mut peer);
        wire.extend_from_slice(&garbage);

        let mode = if stream { ReceiveMode::Stream } else { ReceiveMode::Message };
        let limits = Limits { max_frame_size: 1 << 16, max_message_size: 1 << 17, ..Limits::default() };
        let mut conn = Connection::new(match role {
            Role::Client => client_config(),
            Role::Server => Config::server(),
        }.with_deflate(config).with_receive_mode(mode).with_limits(limits));
        for w in split_points(wire.len(), &cuts).windows(2) {
            conn.recv(&wire[w[0]..w[1]]);
            let _ = events(&mut conn);
            let _ = output(&mut conn);
        }
        conn.recv_eof();
        let evs = events(&mut conn);
        prop_assert!(matches!(conn.state(), crate::State::Closed(_)));
        prop_assert!(closed_event(&evs).is_some() || conn.poll_event().is_none());
    }

    /// Pure garbage, small, many cases: the fuzz target's job in miniature.
    #[test]
    fn garbage_only(garbage in proptest::collection::vec(any::<u8>(), 0..64), config in deflate_config(), client_role in any::<bool>()) {
        let mut conn = Connection::new(if client_role { client_config() } else { Config::server() }.with_deflate(config));
        conn.recv(&garbage);
        let _ = events(&mut conn);
        let _ = output(&mut conn);
        let _ = conn.send_text("after");
        let _ = conn.close(CloseCode::NORMAL, "");
        let _ = output(&mut conn);
    }
}

/// One whole HTTP/1.1 session: `client_h1` and `server_h1` shake hands, the server sends
/// `actions` right behind its 101, the client answers with them and closes. Returns every
/// byte each side wrote, in order: (client → server, server → client).
fn h1_session(actions: &[Action], deflate: bool) -> (Vec<u8>, Vec<u8>) {
    let mut client = opening::h1_client(&opening::options(deflate));
    let mut server = opening::h1_server();
    let mut to_server = output(&mut client);
    server.recv(&to_server);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.accept(&opening::accept_options(deflate)).unwrap();
    let _ = events(&mut server);
    let _ = perform(&mut server, actions);
    let to_client = output(&mut server);
    client.recv(&to_client);
    let _ = events(&mut client);
    let _ = perform(&mut client, actions);
    client.close(CloseCode::NORMAL, "bye").unwrap();
    to_server.extend(output(&mut client));
    (to_server, to_client)
}

/// Feeds `wire` to `conn` in the pieces `points` cut, accepting a request as soon as it is
/// reported; returns the events and, at the end, the output.
fn replay(
    mut conn: Connection,
    wire: &[u8],
    points: &[usize],
    deflate: bool,
) -> (Vec<Event>, Vec<u8>) {
    let mut got = Vec::new();
    for w in points.windows(2) {
        conn.recv(&wire[w[0]..w[1]]);
        while let Some(event) = conn.poll_event() {
            if let Event::Request(_) = event {
                conn.accept(&opening::accept_options(deflate)).unwrap();
            }
            got.push(event);
        }
    }
    (got, output(&mut conn))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any split of the byte stream of a whole HTTP/1.1 session, head and frames together,
    /// yields the same events and the same output, on either side.
    #[test]
    fn h1_splits_do_not_matter(
        actions in proptest::collection::vec(action(), 0..5),
        deflate in any::<bool>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let (to_server, to_client) = h1_session(&actions, deflate);
        // The client's frames may arrive with its request, before `accept`: allow them all.
        let server = || Connection::server_h1(
            Config::server(),
            HeadLimits { max_early_data: 1 << 20, ..HeadLimits::default() },
        );
        let (expect, expect_out) = replay(server(), &to_server, &[0, to_server.len()], deflate);
        prop_assert!(matches!(expect.first(), Some(Event::Request(_))));
        prop_assert!(matches!(expect.get(1), Some(Event::Open(_))));
        prop_assert!(closed_event(&expect).is_some_and(|c| c.clean));
        let (got, got_out) = replay(server(), &to_server, &split_points(to_server.len(), &cuts), deflate);
        prop_assert_eq!(got, expect);
        prop_assert_eq!(got_out, expect_out);

        // The client, with the same seed, sends the same key, so the 101 fits it.
        let client = || opening::h1_client(&opening::options(deflate));
        let (expect, expect_out) = replay(client(), &to_client, &[0, to_client.len()], deflate);
        prop_assert!(matches!(expect.first(), Some(Event::Open(n)) if n.deflate.is_some() == deflate));
        prop_assert_eq!(expect.len(), actions.len() + 1);
        let (got, got_out) = replay(client(), &to_client, &split_points(to_client.len(), &cuts), deflate);
        prop_assert_eq!(got, expect);
        prop_assert_eq!(got_out, expect_out);
    }
}
