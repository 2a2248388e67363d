//! Flow-control unit tests and the sender/receiver agreement properties.

#![allow(clippy::arithmetic_side_effects)]

use super::*;
use crate::stream::Scope;

fn id(n: u32) -> StreamId {
    StreamId::new(n).unwrap()
}

#[test]
fn window_bounds() {
    assert_eq!(Window::new(MAX_WINDOW).map(Window::get), Some(0x7fff_ffff));
    assert_eq!(Window::new(MAX_WINDOW + 1), None);
    let mut w = Window::new(10).unwrap();
    assert_eq!(w.decrease(11), Err(FlowError::Exceeded));
    assert_eq!(w.get(), 10);
    w.adjust(-30).unwrap();
    assert_eq!((w.get(), w.available()), (-20, 0));
    assert_eq!(w.decrease(1), Err(FlowError::Exceeded));
    assert_eq!(w.adjust(i64::from(i32::MIN)), Err(FlowError::Overflow));
    assert_eq!(w.get(), -20);
}

#[test]
fn initial_window_decrease_makes_send_windows_negative() {
    // RFC 9113 §6.9.2: 60,000 of 65,535 in flight, then the peer lowers the initial
    // window to 1,000: the stream window is 1,000 - 60,000 = -59,000.
    let mut conn = SendWindow::new(PROTOCOL_INITIAL_WINDOW);
    let mut stream = SendWindow::new(PROTOCOL_INITIAL_WINDOW);
    consume(&mut conn, &mut stream, 60_000).unwrap();
    let delta = initial_window_delta(PROTOCOL_INITIAL_WINDOW, 1_000);
    assert_eq!(delta, -64_535);
    stream.apply_initial_delta(delta).unwrap();
    assert_eq!(stream.window().get(), -59_000);
    assert_eq!(sendable(conn, stream, 100), 0);
    // It takes 59,000 of WINDOW_UPDATE just to get back to zero.
    stream.recv_window_update(59_000).unwrap();
    assert_eq!(sendable(conn, stream, 100), 0);
    stream.recv_window_update(40).unwrap();
    assert_eq!(sendable(conn, stream, 100), 40);
    // The connection window is not touched by SETTINGS.
    assert_eq!(conn.available(), 5_535);
    // An increase brings it back up.
    stream
        .apply_initial_delta(initial_window_delta(1_000, 65_535))
        .unwrap();
    assert_eq!(stream.window().get(), 64_575);
}

#[test]
fn window_update_beyond_2_pow_31_minus_1_in_both_scopes() {
    let mut w = SendWindow::new(MAX_WINDOW - 5);
    assert_eq!(w.recv_window_update(5), Ok(()));
    let err = w.recv_window_update(1).unwrap_err();
    assert_eq!(err, FlowError::Overflow);
    assert_eq!(w.window().get(), 0x7fff_ffff, "unchanged");
    // §6.9.1: the connection window (stream 0) ⇒ GOAWAY, a stream window ⇒ RST_STREAM.
    let conn = err.on(StreamId::ZERO);
    assert_eq!(
        (conn.scope, conn.code),
        (Scope::Connection, ErrorCode::FLOW_CONTROL_ERROR)
    );
    let stream = err.on(id(3));
    assert_eq!(
        (stream.scope, stream.code),
        (Scope::Stream, ErrorCode::FLOW_CONTROL_ERROR)
    );
    assert_eq!(stream.reason, Reason::WindowOverflow);
    // §6.9.2: through SETTINGS_INITIAL_WINDOW_SIZE it is always a connection error.
    let mut w = SendWindow::new(1_000);
    let err = w
        .apply_initial_delta(initial_window_delta(0, MAX_WINDOW))
        .unwrap_err();
    let v = err.on_settings();
    assert_eq!(
        (v.scope, v.code),
        (Scope::Connection, ErrorCode::FLOW_CONTROL_ERROR)
    );
    assert_eq!(w.available(), 1_000);
    // §6.9: a zero increment is a PROTOCOL_ERROR with the same scoping.
    let err = w.recv_window_update(0).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    assert_eq!(err.on(id(1)).scope, Scope::Stream);
    assert_eq!(err.on(StreamId::ZERO).reason, Reason::ZeroWindowIncrement);
}

#[test]
fn sendable_is_the_smallest_window() {
    let mut conn = SendWindow::new(100);
    let mut stream = SendWindow::new(40);
    assert_eq!(sendable(conn, stream, 1_000), 40);
    assert_eq!(sendable(conn, stream, 7), 7);
    assert_eq!(
        consume(&mut conn, &mut stream, 41),
        Err(FlowError::Exceeded)
    );
    assert_eq!(
        (conn.available(), stream.available()),
        (100, 40),
        "unchanged"
    );
    consume(&mut conn, &mut stream, 40).unwrap();
    stream.recv_window_update(500).unwrap();
    assert_eq!(sendable(conn, stream, usize::MAX), 60);
}

#[test]
fn data_beyond_the_announced_window_is_a_flow_control_error() {
    let mut w = RecvWindow::new(100, 100, ReleasePolicy::Manual);
    w.recv_data(60).unwrap();
    let err = w.recv_data(41).unwrap_err();
    assert_eq!(err, FlowError::Exceeded);
    assert_eq!((w.window().get(), w.buffered()), (40, 60), "unchanged");
    assert_eq!(
        err.on(id(5)),
        Violation::stream(ErrorCode::FLOW_CONTROL_ERROR, Reason::FlowControlExceeded)
    );
    assert_eq!(err.on(StreamId::ZERO).scope, Scope::Connection);
    w.recv_data(40).unwrap();
    assert_eq!(w.recv_data(1), Err(FlowError::Exceeded));
    assert_eq!(w.recv_data(0), Ok(()), "empty DATA always fits");
}

#[test]
fn padding_counts_against_the_window_and_is_released_at_once() {
    // RFC 9113 §6.1: a DATA payload of 100 = Pad Length octet + 50 data + 49 padding.
    let mut w = RecvWindow::new(1_000, 1_000, ReleasePolicy::Manual);
    w.recv_padded(100, 50).unwrap();
    assert_eq!(w.window().get(), 900);
    assert_eq!(w.buffered(), 50, "only the data waits for the application");
    assert_eq!(w.unannounced(), 50);
    // Padding alone beyond the window is still an error.
    let mut small = RecvWindow::new(10, 10, ReleasePolicy::Manual);
    assert_eq!(small.recv_padded(11, 0), Err(FlowError::Exceeded));
}

#[test]
fn window_update_only_after_half_the_target_is_released() {
    let mut w = RecvWindow::new(1_000, 1_000, ReleasePolicy::Manual);
    assert_eq!(w.threshold(), 500);
    w.recv_data(400).unwrap();
    assert_eq!(w.poll_window_update(), None, "nothing released yet");
    assert_eq!(w.release(400), 400);
    assert_eq!(w.poll_window_update(), None, "400 < 500");
    w.recv_data(200).unwrap();
    assert_eq!(w.release(100), 100);
    assert_eq!(w.poll_window_update(), Some(500));
    assert_eq!(w.poll_window_update(), None, "announced once");
    assert_eq!((w.window().get(), w.buffered()), (900, 100));
    // Releasing more than was received releases only what is buffered.
    assert_eq!(w.release(1_000), 100);
    assert_eq!(w.unannounced(), 100);
}

#[test]
fn automatic_release_policy() {
    let mut w = RecvWindow::new(1_000, 1_000, ReleasePolicy::Auto);
    assert_eq!(w.policy(), ReleasePolicy::Auto);
    w.recv_data(499).unwrap();
    assert_eq!(w.buffered(), 0);
    assert_eq!(w.poll_window_update(), None);
    w.recv_data(1).unwrap();
    assert_eq!(w.poll_window_update(), Some(500));
    assert_eq!(w.window().get(), 1_000);
}

#[test]
fn connection_window_opens_beyond_the_protocol_default() {
    // RFC 9113 §6.9.2: the connection window starts at 65,535 and only WINDOW_UPDATE on
    // stream 0 grows it: the first poll announces the rest of the target.
    let target = crate::Limits::default().connection_window;
    let mut conn = RecvWindow::new(PROTOCOL_INITIAL_WINDOW, target, ReleasePolicy::Manual);
    assert_eq!(
        conn.poll_window_update(),
        Some(target - PROTOCOL_INITIAL_WINDOW)
    );
    assert_eq!(conn.window().available(), target);
    assert_eq!(conn.target(), target);
}

#[test]
fn target_changes() {
    let mut w = RecvWindow::new(1_000, 1_000, ReleasePolicy::Manual);
    w.set_target(3_000);
    assert_eq!(w.poll_window_update(), Some(2_000));
    // Shrinking takes back nothing already given; updates resume once the peer's
    // window plus what we hold falls below the new target by the threshold.
    w.set_target(1_000);
    w.recv_data(2_500).unwrap();
    w.release(2_500);
    assert_eq!(w.window().get(), 500);
    assert_eq!(w.poll_window_update(), Some(500));
    assert_eq!(w.window().get(), 1_000);
    w.set_target(u32::MAX);
    assert_eq!(w.target(), MAX_WINDOW);
}

#[test]
fn our_initial_window_change_moves_receive_windows() {
    let mut w = RecvWindow::new(65_535, 65_535, ReleasePolicy::Manual);
    w.recv_data(10_000).unwrap();
    w.apply_initial_delta(initial_window_delta(65_535, 1_000_000))
        .unwrap();
    assert_eq!((w.window().get(), w.target()), (990_000, 1_000_000));
    w.apply_initial_delta(initial_window_delta(1_000_000, 1_000))
        .unwrap();
    assert_eq!((w.window().get(), w.target()), (-9_000, 1_000));
    assert_eq!(w.recv_data(1), Err(FlowError::Exceeded));
    assert_eq!(
        w.apply_initial_delta(i64::from(MAX_WINDOW)),
        Err(FlowError::Overflow)
    );
    assert_eq!(w.target(), 1_000, "unchanged");
}

mod prop {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    const STREAMS: usize = 3;

    #[derive(Clone, Copy, Debug)]
    enum Op {
        /// The sender writes up to this much on a stream.
        Send(usize, u32),
        /// The oldest `DATA` frame in flight arrives, with this much of it padding.
        DeliverData(u32),
        /// The application reads this much from a stream.
        Read(usize, u32),
        /// The oldest `WINDOW_UPDATE` in flight arrives.
        DeliverUpdate,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..STREAMS, 0u32..40_000).prop_map(|(s, n)| Op::Send(s, n)),
            3 => (0u32..256).prop_map(Op::DeliverData),
            3 => (0..STREAMS, 0u32..40_000).prop_map(|(s, n)| Op::Read(s, n)),
            2 => Just(Op::DeliverUpdate),
        ]
    }

    /// Window `None` is the connection, `Some(i)` stream `i`.
    type Update = (Option<usize>, u32);

    struct Pair {
        send_conn: SendWindow,
        send_streams: [SendWindow; STREAMS],
        recv_conn: RecvWindow,
        recv_streams: [RecvWindow; STREAMS],
        data: VecDeque<(usize, u32)>,
        updates: VecDeque<Update>,
    }

    impl Pair {
        fn new(stream_target: u32, conn_target: u32, policy: ReleasePolicy) -> Self {
            let mut recv_conn = RecvWindow::new(PROTOCOL_INITIAL_WINDOW, conn_target, policy);
            let mut updates = VecDeque::new();
            if let Some(n) = recv_conn.poll_window_update() {
                updates.push_back((None, n));
            }
            Pair {
                send_conn: SendWindow::new(PROTOCOL_INITIAL_WINDOW),
                send_streams: [SendWindow::new(stream_target); STREAMS],
                recv_conn,
                recv_streams: [RecvWindow::new(stream_target, stream_target, policy); STREAMS],
                data: VecDeque::new(),
                updates,
            }
        }

        fn poll_updates(&mut self) {
            if let Some(n) = self.recv_conn.poll_window_update() {
                self.updates.push_back((None, n));
            }
            for (i, w) in self.recv_streams.iter_mut().enumerate() {
                if let Some(n) = w.poll_window_update() {
                    self.updates.push_back((Some(i), n));
                }
            }
        }

        fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
            match op {
                Op::Send(s, want) => {
                    let n = sendable(self.send_conn, self.send_streams[s], want as usize);
                    prop_assert!(n <= self.send_conn.available());
                    prop_assert!(n <= self.send_streams[s].available());
                    consume(&mut self.send_conn, &mut self.send_streams[s], n).unwrap();
                    if n > 0 {
                        self.data.push_back((s, n));
                    }
                }
                Op::DeliverData(padding) => {
                    if let Some((s, n)) = self.data.pop_front() {
                        let padding = padding.min(n);
                        // The receiver must accept everything the sender was allowed to send.
                        prop_assert_eq!(self.recv_conn.recv_padded(n, n - padding), Ok(()));
                        prop_assert_eq!(self.recv_streams[s].recv_padded(n, n - padding), Ok(()));
                    }
                }
                Op::Read(s, n) => {
                    let released = self.recv_streams[s].release(n);
                    // Stream data read is connection data read.
                    prop_assert_eq!(self.recv_conn.release(released), released);
                }
                Op::DeliverUpdate => {
                    if let Some((target, n)) = self.updates.pop_front() {
                        let w = match target {
                            None => &mut self.send_conn,
                            Some(i) => &mut self.send_streams[i],
                        };
                        prop_assert_eq!(w.recv_window_update(n), Ok(()));
                    }
                }
            }
            self.poll_updates();
            self.check()
        }

        /// The receiver's view = the sender's view + DATA in flight + updates in flight.
        fn check(&self) -> Result<(), TestCaseError> {
            let in_data = |s: Option<usize>| -> i64 {
                self.data
                    .iter()
                    .filter(|(i, _)| s.is_none() || s == Some(*i))
                    .map(|(_, n)| i64::from(*n))
                    .sum()
            };
            let in_updates = |s: Option<usize>| -> i64 {
                self.updates
                    .iter()
                    .filter(|(i, _)| *i == s)
                    .map(|(_, n)| i64::from(*n))
                    .sum()
            };
            let views = std::iter::once((None, self.send_conn, self.recv_conn))
                .chain((0..STREAMS).map(|i| (Some(i), self.send_streams[i], self.recv_streams[i])));
            for (s, send, recv) in views {
                let sender = i64::from(send.window().get());
                let receiver = i64::from(recv.window().get());
                prop_assert_eq!(
                    receiver,
                    sender + in_data(s) + in_updates(s),
                    "window {:?}",
                    s
                );
                // Never above 2^31 - 1; never more promised than we are willing to hold.
                prop_assert!(sender <= i64::from(MAX_WINDOW) && receiver <= i64::from(MAX_WINDOW));
                prop_assert!(receiver + i64::from(recv.buffered()) <= i64::from(recv.target()));
            }
            Ok(())
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Change {
        Increase(u32),
        Decrease(u32),
        Adjust(i64),
    }

    proptest! {
        #[test]
        fn sender_and_receiver_agree(
            ops in proptest::collection::vec(op(), 0..300),
            stream_target in 1u32..100_000,
            conn_target in 65_535u32..200_000,
            auto in any::<bool>(),
        ) {
            let policy = if auto { ReleasePolicy::Auto } else { ReleasePolicy::Manual };
            let mut pair = Pair::new(stream_target, conn_target, policy);
            for op in ops {
                pair.step(op)?;
            }
            // Drain: everything in flight arrives, the application reads everything.
            loop {
                pair.step(Op::DeliverData(0))?;
                for s in 0..STREAMS {
                    pair.step(Op::Read(s, u32::MAX))?;
                }
                pair.step(Op::DeliverUpdate)?;
                if pair.data.is_empty() && pair.updates.is_empty() {
                    break;
                }
            }
            prop_assert_eq!(pair.send_conn.window(), pair.recv_conn.window());
            for s in 0..STREAMS {
                prop_assert_eq!(pair.send_streams[s].window(), pair.recv_streams[s].window());
                prop_assert_eq!(pair.recv_streams[s].buffered(), 0);
            }
            // No deadlock: once everything is read, at most a threshold's worth of window is
            // withheld from the sender, on the connection and on every stream.
            for w in pair.recv_streams.iter().chain(std::iter::once(&pair.recv_conn)) {
                prop_assert!(w.unannounced() < w.threshold());
                prop_assert!(w.window().available() + w.threshold() > w.target());
            }
        }

        /// Whatever sequence of changes, a window stays within [-2^31, 2^31 - 1] and a
        /// rejected change leaves it untouched.
        #[test]
        fn window_arithmetic_is_checked(
            start in 0u32..=MAX_WINDOW,
            changes in proptest::collection::vec(
                prop_oneof![
                    any::<u32>().prop_map(Change::Increase),
                    any::<u32>().prop_map(Change::Decrease),
                    (-(1i64 << 32)..(1i64 << 32)).prop_map(Change::Adjust),
                ],
                0..50,
            ),
        ) {
            let mut w = Window::new(start).unwrap();
            for change in changes {
                let before = w;
                let now = i64::from(w.get());
                let (expected, result) = match change {
                    Change::Increase(n) => (now + i64::from(n), w.increase(n)),
                    Change::Decrease(n) => (now - i64::from(n), w.decrease(n)),
                    Change::Adjust(d) => (now + d, w.adjust(d)),
                };
                let allowed = expected <= i64::from(MAX_WINDOW)
                    && expected >= i64::from(i32::MIN)
                    && !matches!(change, Change::Decrease(n) if n > before.available());
                prop_assert_eq!(result.is_ok(), allowed);
                if result.is_ok() {
                    prop_assert_eq!(i64::from(w.get()), expected);
                } else {
                    prop_assert_eq!(w, before);
                }
            }
        }
    }
}
