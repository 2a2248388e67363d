//! Two stream tables (client and server) over a lossy, reordering in-memory wire: frames
//! are written into packets, parsed back with `frame::parse` at 1-RTT, and each packet
//! is either dropped (reported lost) or delivered (reported acknowledged). Random data
//! on random streams must arrive intact, and every stream must be removed at the end.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;

use super::tests::{deliver, packet, pair_with};
use super::*;

/// One endpoint and its application.
struct End {
    t: Streams,
    /// Streams still to open: direction, data, priority, abort (see [`Plan`]).
    to_open: VecDeque<(Dir, Bytes, Priority, u8)>,
    /// Streams being written: ID, data, bytes written so far, done, reset at.
    writing: Vec<(StreamId, Bytes, usize, bool, Option<usize>)>,
    /// Streams opened since the last look, with their abort plan.
    opened: Vec<(StreamId, u8)>,
    /// Peer streams to stop reading once data arrives.
    stop: BTreeSet<StreamId>,
    /// Streams that ended early: our stop, or the peer's reset.
    aborted: BTreeSet<StreamId>,
    /// What we sent on each stream, to check against the peer's `received`.
    sent: HashMap<StreamId, Bytes>,
    /// Streams with something to read.
    reading: BTreeSet<StreamId>,
    received: HashMap<StreamId, Vec<u8>>,
    done: BTreeSet<StreamId>,
}

impl End {
    fn new(t: Streams) -> End {
        End {
            t,
            to_open: VecDeque::new(),
            writing: Vec::new(),
            opened: Vec::new(),
            stop: BTreeSet::new(),
            aborted: BTreeSet::new(),
            sent: HashMap::new(),
            reading: BTreeSet::new(),
            received: HashMap::new(),
            done: BTreeSet::new(),
        }
    }

    /// What the application does between packets.
    fn app(&mut self) {
        while let Some((dir, data, priority, abort)) = self.to_open.front().cloned() {
            let Some(id) = self.t.open(dir) else { break };
            self.to_open.pop_front();
            self.t.set_priority(id, priority).unwrap();
            self.sent.insert(id, data.clone());
            self.opened.push((id, abort));
            let reset_at = (abort == 1).then_some(data.len() / 2);
            self.writing.push((id, data, 0, false, reset_at));
            if dir == Dir::Bidi {
                self.reading.insert(id);
            }
        }
        for (id, data, at, done, reset_at) in &mut self.writing {
            if *done {
                continue;
            }
            if reset_at.is_some_and(|r| *at >= r) {
                self.t.reset(*id, 55).unwrap();
                *done = true;
                continue;
            }
            match self.t.write(*id, &data.slice(*at..)) {
                Ok(n) => *at += n,
                Err(StreamError::Stopped(77)) => {
                    *done = true;
                    continue;
                }
                Err(e) => panic!("{e}"),
            }
            if *at == data.len() {
                self.t.finish(*id).unwrap();
                *done = true;
            }
        }
        while let Some(ev) = self.t.poll_event() {
            match ev {
                StreamEvent::Opened { id } => {
                    self.reading.insert(id);
                    if id.dir() == Dir::Bidi {
                        // Our half of a peer's bidirectional stream: empty.
                        self.sent.insert(id, Bytes::new());
                        self.t.finish(id).unwrap();
                    }
                }
                StreamEvent::Readable { id } => {
                    self.reading.insert(id);
                }
                StreamEvent::Reset { code, .. } => assert_eq!(code, 55),
                StreamEvent::Stopped { code, .. } => assert_eq!(code, 77),
                _ => {}
            }
        }
        let reading: Vec<StreamId> = self.reading.iter().copied().collect();
        for id in reading {
            if self.stop.contains(&id) && self.received.contains_key(&id) {
                self.t.stop_sending(id, 77).unwrap();
                self.aborted.insert(id);
                self.reading.remove(&id);
                continue;
            }
            loop {
                match self.t.read(id, 700).unwrap() {
                    Read::Data(d) => self.received.entry(id).or_default().extend_from_slice(&d),
                    Read::Blocked => break,
                    Read::Finished => {
                        self.received.entry(id).or_default();
                        self.done.insert(id);
                        self.reading.remove(&id);
                        break;
                    }
                    Read::Reset(code) => {
                        assert_eq!(code, 55);
                        self.aborted.insert(id);
                        self.reading.remove(&id);
                        break;
                    }
                }
            }
        }
    }
}

/// A packet in flight: the sender (0 client, 1 server), the payload, what it carried.
type InFlight = (usize, Bytes, Vec<Sent>);

fn next(rng: &mut u64) -> u64 {
    *rng = rng
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *rng >> 33
}

fn config() -> StreamsConfig {
    StreamsConfig {
        max_remote_bidi: 3,
        max_remote_uni: 2,
        stream_window: 1500,
        max_stream_window: 6000,
        conn_window: 4000,
        max_conn_window: 16000,
        send_buffer: 3000,
        max_segments: 4096,
    }
}

/// A stream to open: from the client?, bidirectional?, length, byte seed, urgency,
/// incremental, abort (0 none, 1 the sender resets it halfway, 2 the receiver stops it
/// once data arrived).
type Plan = (bool, bool, usize, u8, u8, bool, u8);

fn run(plan: &[Plan], loss: u64, seed: u64) -> Result<(), TestCaseError> {
    let (c, s) = pair_with(config(), config());
    let mut ends = [End::new(c), End::new(s)];
    for &(from_client, bidi, len, byte, urgency, incremental, abort) in plan {
        let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(byte)).collect();
        let dir = if bidi { Dir::Bidi } else { Dir::Uni };
        let priority = Priority {
            urgency,
            incremental,
        };
        ends[usize::from(!from_client)].to_open.push_back((
            dir,
            Bytes::from(data),
            priority,
            abort,
        ));
    }
    let t0 = Instant::now();
    let mut rng = seed | 1;
    let mut wire: Vec<InFlight> = Vec::new();
    for step in 0..20_000u64 {
        let now = t0 + Duration::from_millis(step);
        for i in 0..2 {
            ends[i].app();
            for (id, abort) in std::mem::take(&mut ends[i].opened) {
                if abort == 2 {
                    ends[1 - i].stop.insert(id);
                }
            }
            let end = &mut ends[i];
            for _ in 0..3 {
                let room = 200 + (next(&mut rng) % 1100) as usize;
                let Some((p, sent)) = packet(&mut end.t, now, room) else {
                    break;
                };
                wire.push((i, p, sent));
            }
        }
        // Deliver or drop some packets, in random order.
        let deliveries = 1 + next(&mut rng) % 4;
        for _ in 0..deliveries {
            if wire.is_empty() {
                break;
            }
            let pick = (next(&mut rng) % wire.len() as u64) as usize;
            let (from, p, sent) = wire.swap_remove(pick);
            let dropped = next(&mut rng) % 100 < loss;
            if dropped {
                for x in &sent {
                    ends[from].t.on_lost(x);
                }
            } else {
                let res = deliver(&mut ends[1 - from].t, p);
                prop_assert!(res.is_ok(), "{:?}", res);
                for x in &sent {
                    ends[from].t.on_acked(x);
                }
            }
        }
        let settled = wire.is_empty()
            && ends
                .iter()
                .all(|e| e.to_open.is_empty() && e.t.count() == 0 && !e.t.has_pending());
        if settled {
            break;
        }
    }
    for (me, peer) in [(0, 1), (1, 0)] {
        prop_assert!(ends[me].to_open.is_empty(), "streams never opened");
        for (id, data) in &ends[me].sent {
            let got = ends[peer].received.get(id).map_or(&[][..], |v| &v[..]);
            if ends[peer].aborted.contains(id) {
                prop_assert!(data.starts_with(got), "stream {}", id);
            } else {
                prop_assert!(ends[peer].done.contains(id), "stream {} not finished", id);
                prop_assert_eq!(got, &data[..], "stream {}", id);
            }
        }
        prop_assert_eq!(ends[me].t.count(), 0, "streams left");
    }
    prop_assert!(wire.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn lossy_reordering_wire_delivers_everything(
        plan in proptest::collection::vec(
            (any::<bool>(), any::<bool>(), 0usize..6000, any::<u8>(), 0u8..8, any::<bool>(), Just(0u8)),
            1..16,
        ),
        loss in 0u64..30,
        seed in any::<u64>(),
    ) {
        run(&plan, loss, seed)?;
    }

    /// The same with streams reset by their sender or stopped by their receiver: what
    /// arrives is a prefix of what was sent, and every stream is still removed at both
    /// ends (STOP_SENDING answered by RESET_STREAM, final sizes learnt, credit returned).
    #[test]
    fn resets_and_stops_close_every_stream(
        plan in proptest::collection::vec(
            (any::<bool>(), any::<bool>(), 0usize..6000, any::<u8>(), 0u8..8, any::<bool>(), 0u8..3),
            1..16,
        ),
        loss in 0u64..30,
        seed in any::<u64>(),
    ) {
        run(&plan, loss, seed)?;
    }
}
