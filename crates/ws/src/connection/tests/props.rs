//! Property tests: splits of the input do not matter, everything round-trips, and no input
//! makes a connection panic.

use proptest::prelude::*;
use stator_wire::rand::SeededRandom;

use super::*;
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
