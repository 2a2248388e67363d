//! Connection ID management (RFC 9000 §5.1, §19.15, §19.16) under arbitrary frame
//! sequences: the fuzz bytes are parsed as 1-RTT frames, NEW_CONNECTION_ID and
//! RETIRE_CONNECTION_ID go to a `RemoteCids` and a `LocalCids` as the peer's frames, and
//! other frame types stand for operations (issue, rotate, write, ack, loss).
//!
//! Checked: nothing panics; the peer's IDs stored never pass our limit and the ID in use
//! is never one we retired; owed retirements stay bounded; a refused frame changes
//! nothing; the routing table built from `poll_routing_change` always equals the IDs
//! `active` lists; our IDs stay within twice the cap; and a `LocalCids` and a
//! `RemoteCids` talking to each other honestly (with drops, losses and repeats decided
//! by the input) never raise an error and keep recognising the peer's stateless reset.
#![no_main]

use std::collections::HashSet;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stator_quic::cid::RandomConnectionIds;
use stator_quic::cids::{CidSent, LocalCids, RemoteCids, RoutingChange};
use stator_quic::frame::{self, Frame};
use stator_quic::{Code, ConnectionId, Level, ResetKey};
use stator_wire::rand::SeededRandom;

const LIMIT: u64 = 4;
const MAX_RETIRES: usize = 8;
const MAX_ACTIVE: u64 = 5;

/// A `LocalCids` with the routing table its changes build.
struct Ours {
    cids: LocalCids,
    table: HashSet<ConnectionId>,
}

impl Ours {
    fn new(initial: ConnectionId, key: ResetKey) -> Ours {
        Ours {
            cids: LocalCids::new(initial, key, MAX_ACTIVE),
            table: HashSet::from([initial]),
        }
    }

    fn check(&mut self) {
        while let Some(change) = self.cids.poll_routing_change() {
            match change {
                RoutingChange::Added(cid) => assert!(self.table.insert(cid), "added twice"),
                RoutingChange::Removed(cid) => assert!(self.table.remove(&cid), "not routed"),
            }
        }
        let active: HashSet<ConnectionId> = self.cids.active().copied().collect();
        assert_eq!(
            active.len(),
            self.cids.active().count(),
            "an ID issued twice"
        );
        assert_eq!(active, self.table);
        assert!(active.len() as u64 <= 2 * MAX_ACTIVE);
    }
}

fn written(buf: Vec<u8>) -> Vec<Frame> {
    if buf.is_empty() {
        return Vec::new();
    }
    frame::parse(Bytes::from(buf), Level::OneRtt)
        .collect::<Result<_, _>>()
        .expect("written frames parse")
}

fn check_remote(theirs: &RemoteCids, limit: u64, max_retires: usize, retired: &HashSet<u64>) {
    assert!(theirs.active_count() as u64 <= limit);
    assert!(theirs.pending_retires() <= max_retires);
    assert!(theirs.current_sequence() >= theirs.retire_prior_to());
    assert!(!retired.contains(&theirs.current_sequence()));
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut rng = SeededRandom::new(u64::from(first));
    let mut generator = RandomConnectionIds::default();
    let key = ResetKey::random(&mut rng);

    // The peer's frames, as they come.
    let mut theirs = RemoteCids::new(ConnectionId::new(&[0xaa; 8]).unwrap(), LIMIT, MAX_RETIRES);
    let mut retired = HashSet::new();
    let mut ours = Ours::new(ConnectionId::new(&[1; 8]).unwrap(), key.clone());
    let mut flight: Vec<CidSent> = Vec::new();

    // An honest pair: `honest` issues, `peer` (the other end) uses.
    let peer_limit = 2 + u64::from(first % 7);
    let mut honest = Ours::new(ConnectionId::new(&[2; 8]).unwrap(), key.clone());
    honest.cids.set_peer_limit(peer_limit);
    let mut peer = RemoteCids::new(ConnectionId::new(&[2; 8]).unwrap(), peer_limit, 64);
    peer.set_initial_reset_token(honest.cids.initial_reset_token());
    let mut peer_retired = HashSet::new();

    for item in frame::parse(Bytes::copy_from_slice(rest), Level::OneRtt) {
        let Ok(f) = item else { break };
        match f {
            Frame::NewConnectionId(f) => {
                let before = (
                    theirs.active_count(),
                    *theirs.current(),
                    theirs.pending_retires(),
                    theirs.retire_prior_to(),
                );
                if let Err(e) = theirs.on_new_connection_id(&f) {
                    assert!(matches!(
                        e.code,
                        Code::PROTOCOL_VIOLATION | Code::CONNECTION_ID_LIMIT_ERROR
                    ));
                    assert_eq!(e.frame_type, Some(0x18));
                    let after = (
                        theirs.active_count(),
                        *theirs.current(),
                        theirs.pending_retires(),
                        theirs.retire_prior_to(),
                    );
                    assert_eq!(before, after, "a refused frame changed the state");
                }
                let _ = theirs.is_stateless_reset(f.cid());
            }
            Frame::RetireConnectionId(seq) => {
                let n = ours.cids.active().count();
                let Some(&dcid) = ours.cids.active().nth(seq as usize % n.max(1)) else {
                    return;
                };
                if let Err(e) = ours.cids.on_retire(seq, &dcid) {
                    assert_eq!(
                        (e.code, e.frame_type),
                        (Code::PROTOCOL_VIOLATION, Some(0x19))
                    );
                }
            }
            Frame::Ping => {
                ours.cids.issue(&mut generator, &mut rng);
                honest.cids.issue(&mut generator, &mut rng);
            }
            Frame::HandshakeDone => {
                ours.cids.rotate(&mut generator, &mut rng);
                honest.cids.rotate(&mut generator, &mut rng);
            }
            Frame::MaxData(v) => ours.cids.set_peer_limit(v),
            Frame::DataBlocked(v) => {
                if v % 2 == 0 {
                    theirs.rotate();
                } else {
                    peer.rotate();
                }
            }
            Frame::Padding { len } => {
                let mut buf = Vec::new();
                let n = theirs.write_frames(&mut buf, len, &mut flight);
                let m = ours.cids.write_frames(&mut buf, len, &mut flight);
                assert!(n <= len && m <= len && n + m == buf.len());
                for f in written(buf) {
                    match f {
                        Frame::RetireConnectionId(seq) => {
                            retired.insert(seq);
                        }
                        Frame::NewConnectionId(f) => assert!(ours.cids.contains(f.cid())),
                        other => panic!("wrote {other:?}"),
                    }
                }
            }
            Frame::MaxStreamData { stream_id, max } => {
                if !flight.is_empty() {
                    let sent = flight.swap_remove(stream_id as usize % flight.len());
                    if max % 2 == 0 {
                        theirs.on_acked(&sent);
                        ours.cids.on_acked(&sent);
                    } else {
                        theirs.on_lost(&sent);
                        ours.cids.on_lost(&sent);
                    }
                }
            }
            Frame::StreamDataBlocked { stream_id, limit } => {
                // One exchange of the honest pair; the fate of each side's packet:
                // delivered and acknowledged, delivered with its ACK lost, or dropped.
                let room = (limit % 300) as usize;
                let fate = stream_id % 3;
                let (mut buf, mut sent) = (Vec::new(), Vec::new());
                honest.cids.write_frames(&mut buf, room, &mut sent);
                if fate != 2 {
                    for f in written(buf) {
                        let Frame::NewConnectionId(f) = f else {
                            panic!("wrote {f:?}")
                        };
                        peer.on_new_connection_id(&f)
                            .expect("an honest NEW_CONNECTION_ID");
                    }
                }
                for s in &sent {
                    if fate == 0 {
                        honest.cids.on_acked(s);
                    } else {
                        honest.cids.on_lost(s);
                    }
                }
                // The peer's packet is delivered and acknowledged, or dropped (a lost ACK
                // would keep a retirement owed forever, which the bound rightly refuses).
                let delivered = (stream_id / 3) % 2 == 0;
                let dcid = *peer.current();
                let (mut buf, mut sent) = (Vec::new(), Vec::new());
                peer.write_frames(&mut buf, room, &mut sent);
                for f in written(buf) {
                    let Frame::RetireConnectionId(seq) = f else {
                        panic!("wrote {f:?}")
                    };
                    peer_retired.insert(seq);
                    if delivered {
                        honest
                            .cids
                            .on_retire(seq, &dcid)
                            .expect("an honest RETIRE_CONNECTION_ID");
                    }
                }
                for s in &sent {
                    if delivered {
                        peer.on_acked(s);
                    } else {
                        peer.on_lost(s);
                    }
                }
                assert!(honest.cids.contains(peer.current()));
                if let Some(token) = peer.current_reset_token() {
                    assert_eq!(token, key.token(peer.current()));
                    let mut reset = vec![0x40; 5];
                    reset.extend_from_slice(token.as_bytes());
                    assert!(peer.is_stateless_reset(&reset));
                    assert!(!peer.is_stateless_reset(&reset[1..]));
                }
            }
            _ => {}
        }
        check_remote(&theirs, LIMIT, MAX_RETIRES, &retired);
        check_remote(&peer, peer_limit, 64, &peer_retired);
        ours.check();
        honest.check();
    }
});
