#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::collections::HashSet;
use std::time::Instant;

use bytes::Bytes;
use proptest::prelude::*;
use stator_wire::rand::{Random, SeededRandom};

use super::*;
use crate::cid::RandomConnectionIds;
use crate::frame::{self, Frame, NewConnectionId};
use crate::reset::{ResetKey, ResetToken, write_stateless_reset};
use crate::{Code, ConnectionIdGenerator, Level, TransportError};

const NCID: u64 = 0x18;
const RCID: u64 = 0x19;

fn cid(b: &[u8]) -> ConnectionId {
    ConnectionId::new(b).unwrap()
}

/// The ID and token the tests' peer issues under `seq`.
fn peer_cid(seq: u64) -> [u8; 8] {
    let mut b = [0xc0; 8];
    b[..8].copy_from_slice(&(seq ^ 0x5a5a_0000).to_be_bytes());
    b
}

fn peer_token(seq: u64) -> [u8; 16] {
    let mut t = [0x70; 16];
    t[8..].copy_from_slice(&seq.to_be_bytes());
    t
}

fn ncid(seq: u64, rpt: u64) -> NewConnectionId {
    NewConnectionId::new(
        seq,
        rpt,
        Bytes::copy_from_slice(&peer_cid(seq)),
        peer_token(seq),
    )
    .unwrap()
}

fn remote() -> RemoteCids {
    RemoteCids::new(cid(&[0xaa; 8]), 4, 16)
}

fn local(seed: u64, max_active: u64) -> (LocalCids, RandomConnectionIds, SeededRandom, ResetKey) {
    let mut rng = SeededRandom::new(seed);
    let key = ResetKey::random(&mut rng);
    let ours = LocalCids::new(cid(&[1; 8]), key.clone(), max_active);
    (ours, RandomConnectionIds::default(), rng, key)
}

/// Parses what `write_frames` wrote.
fn frames(buf: Vec<u8>) -> Vec<Frame> {
    frame::parse(Bytes::from(buf), Level::OneRtt)
        .collect::<Result<_, _>>()
        .unwrap()
}

fn write_local(ours: &mut LocalCids) -> (Vec<NewConnectionId>, Vec<CidSent>) {
    let (mut buf, mut sent) = (Vec::new(), Vec::new());
    let n = ours.write_frames(&mut buf, 10_000, &mut sent);
    assert_eq!(n, buf.len());
    if buf.is_empty() {
        return (Vec::new(), sent);
    }
    let out = frames(buf)
        .into_iter()
        .map(|f| match f {
            Frame::NewConnectionId(f) => f,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (out, sent)
}

fn write_remote(theirs: &mut RemoteCids) -> (Vec<u64>, Vec<CidSent>) {
    let (mut buf, mut sent) = (Vec::new(), Vec::new());
    let n = theirs.write_frames(&mut buf, 10_000, &mut sent);
    assert_eq!(n, buf.len());
    if buf.is_empty() {
        return (Vec::new(), sent);
    }
    let out = frames(buf)
        .into_iter()
        .map(|f| match f {
            Frame::RetireConnectionId(s) => s,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (out, sent)
}

fn changes(ours: &mut LocalCids) -> Vec<RoutingChange> {
    std::iter::from_fn(|| ours.poll_routing_change()).collect()
}

fn assert_err(r: Result<(), TransportError>, code: Code, ty: u64) {
    let e = r.unwrap_err();
    assert_eq!((e.code, e.frame_type), (code, Some(ty)), "{e}");
}

// ---- LocalCids -------------------------------------------------------------------

#[test]
fn local_initial_token_comes_from_the_key() {
    let (ours, _, _, key) = local(1, 8);
    assert_eq!(ours.initial_reset_token(), key.token(&[1; 8]));
    assert_eq!(ours.active().copied().collect::<Vec<_>>(), [cid(&[1; 8])]);
    assert!(ours.contains(&[1; 8]));
    assert!(!ours.has_pending());
}

#[test]
fn local_issues_up_to_the_peer_limit_and_our_cap() {
    let (mut ours, mut generator, mut rng, key) = local(2, 5);
    // Default peer limit 2 (RFC 9000 §18.2): one more than the handshake's.
    ours.issue(&mut generator, &mut rng);
    assert_eq!(ours.active().count(), 2);
    ours.set_peer_limit(100);
    ours.issue(&mut generator, &mut rng);
    // Our own cap, 5, wins.
    assert_eq!(ours.active().count(), 5);
    let added = changes(&mut ours);
    assert_eq!(added.len(), 4);
    let (frames, sent) = write_local(&mut ours);
    assert_eq!(frames.len(), 4);
    for (i, f) in frames.iter().enumerate() {
        let seq = i as u64 + 1;
        assert_eq!((f.sequence(), f.retire_prior_to()), (seq, 0));
        assert_eq!(added[i], RoutingChange::Added(cid(f.cid())));
        assert_eq!(f.reset_token(), key.token(f.cid()).as_bytes());
        assert!(ours.contains(f.cid()));
        assert_eq!(sent[i], CidSent::NewConnectionId { sequence: seq });
    }
    assert!(!ours.has_pending());
    // Issuing again changes nothing: the cap is reached.
    ours.issue(&mut generator, &mut rng);
    assert!(changes(&mut ours).is_empty());
}

#[test]
fn local_peer_limit_below_two_counts_as_two() {
    let (mut ours, mut generator, mut rng, _) = local(3, 8);
    ours.set_peer_limit(0);
    ours.issue(&mut generator, &mut rng);
    assert_eq!(ours.active().count(), 2);
}

#[test]
fn local_retire_rules() {
    let (mut ours, mut generator, mut rng, _) = local(4, 8);
    ours.set_peer_limit(3);
    ours.issue(&mut generator, &mut rng);
    let ids: Vec<ConnectionId> = ours.active().copied().collect();
    changes(&mut ours);
    // RFC 9000 §19.16: a sequence number never issued.
    assert_err(ours.on_retire(3, &ids[0]), Code::PROTOCOL_VIOLATION, RCID);
    assert_err(
        ours.on_retire(1 << 61, &ids[0]),
        Code::PROTOCOL_VIOLATION,
        RCID,
    );
    // RFC 9000 §19.16: not the ID the packet was sent to.
    assert_err(ours.on_retire(1, &ids[1]), Code::PROTOCOL_VIOLATION, RCID);
    assert_eq!(ours.active().count(), 3);
    ours.on_retire(1, &ids[0]).unwrap();
    assert!(!ours.contains(&ids[1]));
    assert_eq!(changes(&mut ours), [RoutingChange::Removed(ids[1])]);
    // Already retired: a no-op.
    ours.on_retire(1, &ids[0]).unwrap();
    assert!(changes(&mut ours).is_empty());
    // Sequence 0, the handshake's ID, may be retired too.
    ours.on_retire(0, &ids[2]).unwrap();
    assert_eq!(changes(&mut ours), [RoutingChange::Removed(ids[0])]);
    // Replacements get the next sequence numbers.
    ours.issue(&mut generator, &mut rng);
    let (frames, _) = write_local(&mut ours);
    let seqs: Vec<u64> = frames.iter().map(NewConnectionId::sequence).collect();
    assert_eq!(seqs, [2, 3, 4]);
    assert_eq!(ours.active().count(), 3);
}

#[test]
fn local_unpolled_added_cancels_with_removed() {
    let (mut ours, mut generator, mut rng, _) = local(5, 8);
    ours.issue(&mut generator, &mut rng);
    let new = *ours.active().nth(1).unwrap();
    ours.on_retire(1, &[1; 8]).unwrap();
    assert!(changes(&mut ours).is_empty());
    assert!(!ours.contains(&new));
    // And its NEW_CONNECTION_ID is no longer sent.
    assert!(!ours.has_pending());
}

#[test]
fn local_zero_length_issues_nothing_and_refuses_retire() {
    let mut rng = SeededRandom::new(6);
    let mut ours = LocalCids::new(ConnectionId::EMPTY, ResetKey::random(&mut rng), 8);
    let mut generator = RandomConnectionIds::default();
    ours.set_peer_limit(8);
    ours.issue(&mut generator, &mut rng);
    ours.rotate(&mut generator, &mut rng);
    assert_eq!(ours.active().count(), 1);
    assert!(!ours.has_pending());
    // RFC 9000 §19.16.
    assert_err(ours.on_retire(0, &[]), Code::PROTOCOL_VIOLATION, RCID);
}

#[test]
fn local_generators_that_repeat_or_are_empty_issue_nothing() {
    struct Same;
    impl ConnectionIdGenerator for Same {
        fn generate(&mut self, _: &mut dyn Random) -> ConnectionId {
            ConnectionId::new(&[9; 8]).unwrap()
        }
        fn cid_len(&self) -> usize {
            8
        }
    }
    let (mut ours, _, mut rng, _) = local(7, 8);
    ours.set_peer_limit(8);
    ours.issue(&mut Same, &mut rng);
    // One new ID, then every try repeats it.
    assert_eq!(ours.active().count(), 2);
    let mut zero = RandomConnectionIds::new(0).unwrap();
    let (mut ours, _, mut rng, _) = local(7, 8);
    ours.issue(&mut zero, &mut rng);
    assert_eq!(ours.active().count(), 1);
}

#[test]
fn local_rotation_asks_to_retire_everything_so_far() {
    let (mut ours, mut generator, mut rng, _) = local(8, 8);
    ours.set_peer_limit(3);
    ours.issue(&mut generator, &mut rng);
    write_local(&mut ours);
    let old: Vec<ConnectionId> = ours.active().copied().collect();
    changes(&mut ours);
    ours.rotate(&mut generator, &mut rng);
    assert_eq!(ours.retire_prior_to(), 3);
    // Three new ones; the old stay routable until the peer retires them (§5.1.2).
    assert_eq!(ours.active().count(), 6);
    assert!(old.iter().all(|c| ours.contains(c)));
    let (frames, _) = write_local(&mut ours);
    let seen: Vec<(u64, u64)> = frames
        .iter()
        .map(|f| (f.sequence(), f.retire_prior_to()))
        .collect();
    assert_eq!(seen, [(3, 3), (4, 3), (5, 3)]);
    assert_eq!(changes(&mut ours).len(), 3);
    // A second rotation waits for the first one's retirements.
    ours.rotate(&mut generator, &mut rng);
    assert_eq!(ours.retire_prior_to(), 3);
    assert_eq!(ours.active().count(), 6);
    let new = *ours.active().nth(3).unwrap();
    for seq in 0..3 {
        ours.on_retire(seq, &new).unwrap();
    }
    assert_eq!(
        changes(&mut ours),
        old.iter()
            .map(|c| RoutingChange::Removed(*c))
            .collect::<Vec<_>>()
    );
    ours.rotate(&mut generator, &mut rng);
    assert_eq!(ours.retire_prior_to(), 6);
    assert_eq!(ours.active().count(), 6);
}

#[test]
fn local_lost_frames_come_back_unless_acked_or_retired() {
    let (mut ours, mut generator, mut rng, _) = local(9, 8);
    ours.set_peer_limit(4);
    ours.issue(&mut generator, &mut rng);
    let (_, sent) = write_local(&mut ours);
    assert_eq!(sent.len(), 3);
    let dcid = *ours.active().next().unwrap();
    ours.on_acked(&sent[0]);
    ours.on_retire(2, &dcid).unwrap();
    for s in &sent {
        ours.on_lost(s);
    }
    // Only sequence 3: 1 was acknowledged, 2 retired.
    let (frames, again) = write_local(&mut ours);
    assert_eq!(again, [CidSent::NewConnectionId { sequence: 3 }]);
    assert_eq!(frames[0].sequence(), 3);
    // The other machine's records are not ours.
    ours.on_lost(&CidSent::RetireConnectionId { sequence: 3 });
    assert!(!ours.has_pending());
}

#[test]
fn local_retransmission_after_rotation_keeps_retire_prior_to_at_most_its_sequence() {
    let (mut ours, mut generator, mut rng, _) = local(10, 8);
    ours.issue(&mut generator, &mut rng);
    let (_, sent) = write_local(&mut ours);
    ours.rotate(&mut generator, &mut rng);
    write_local(&mut ours);
    ours.on_lost(&sent[0]);
    let (frames, _) = write_local(&mut ours);
    assert_eq!((frames[0].sequence(), frames[0].retire_prior_to()), (1, 1));
}

#[test]
fn local_frames_fit_the_room() {
    let (mut ours, mut generator, mut rng, _) = local(11, 8);
    ours.set_peer_limit(8);
    ours.issue(&mut generator, &mut rng);
    // Each frame: type, sequence, retire prior to, length, 8-byte ID, token = 28 bytes.
    let (mut buf, mut sent) = (vec![0xee], Vec::new());
    assert_eq!(ours.write_frames(&mut buf, 27, &mut sent), 0);
    assert_eq!((buf.len(), sent.len()), (1, 0));
    assert_eq!(ours.write_frames(&mut buf, 60, &mut sent), 56);
    assert_eq!((buf.len(), sent.len()), (57, 2));
    assert!(ours.has_pending());
    let rest = ours.write_frames(&mut buf, usize::MAX, &mut sent);
    assert_eq!(rest, 5 * 28);
    assert_eq!(frames(buf[1..].to_vec()).len(), 7);
    assert!(!ours.has_pending());
}

#[test]
fn local_stored_ids_stay_bounded_through_churn() {
    let (mut ours, mut generator, mut rng, _) = local(12, 4);
    ours.set_peer_limit(1 << 62);
    // The sequence numbers the peer knows, oldest first.
    let mut known = std::collections::VecDeque::from([0u64]);
    for round in 0..200u64 {
        ours.issue(&mut generator, &mut rng);
        if round % 3 == 0 {
            ours.rotate(&mut generator, &mut rng);
        }
        let (frames, _) = write_local(&mut ours);
        known.extend(frames.iter().map(NewConnectionId::sequence));
        let ids: Vec<ConnectionId> = ours.active().copied().collect();
        assert!(ids.len() <= 8, "{} IDs stored", ids.len());
        assert!(frames.len() <= 8);
        // The peer retires its oldest, from a packet sent to the newest.
        let oldest = known.pop_front().unwrap();
        ours.on_retire(oldest, ids.last().unwrap()).unwrap();
        assert!(changes(&mut ours).len() <= 9);
    }
    assert!(ours.retire_prior_to() > 100);
}

// ---- RemoteCids ------------------------------------------------------------------

#[test]
fn remote_initial_can_be_replaced_and_given_a_token() {
    let mut theirs = remote();
    assert_eq!(theirs.current(), &cid(&[0xaa; 8]));
    theirs.set_initial(cid(&[0xbb; 5]));
    theirs.set_initial_reset_token(ResetToken([3; 16]));
    assert_eq!(theirs.current(), &cid(&[0xbb; 5]));
    assert_eq!(theirs.current_reset_token(), Some(ResetToken([3; 16])));
    assert_eq!((theirs.current_sequence(), theirs.spare()), (0, 0));
    assert!(!theirs.rotate());
}

#[test]
fn remote_stores_up_to_the_limit() {
    let mut theirs = remote();
    for seq in 1..=3 {
        theirs.on_new_connection_id(&ncid(seq, 0)).unwrap();
    }
    assert_eq!((theirs.spare(), theirs.active_count()), (3, 4));
    // RFC 9000 §5.1.1, §19.15: a fifth active ID.
    assert_err(
        theirs.on_new_connection_id(&ncid(4, 0)),
        Code::CONNECTION_ID_LIMIT_ERROR,
        NCID,
    );
    assert_eq!(theirs.spare(), 3);
    // The same frame retiring the excess is fine (§5.1.2: "temporarily exceed").
    theirs.on_new_connection_id(&ncid(4, 1)).unwrap();
    assert_eq!(theirs.current_sequence(), 1);
    assert_eq!(theirs.current(), &cid(&peer_cid(1)));
    assert_eq!(theirs.active_count(), 4);
    assert_eq!(write_remote(&mut theirs).0, [0]);
}

#[test]
fn remote_zero_length_current_refuses_new_ids() {
    let mut theirs = RemoteCids::new(ConnectionId::EMPTY, 4, 16);
    // RFC 9000 §19.15.
    assert_err(
        theirs.on_new_connection_id(&ncid(1, 0)),
        Code::PROTOCOL_VIOLATION,
        NCID,
    );
}

#[test]
fn remote_conflicting_frames_are_violations() {
    let mut theirs = remote();
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    let other_cid = NewConnectionId::new(1, 0, Bytes::from_static(&[7; 8]), peer_token(1)).unwrap();
    let other_token =
        NewConnectionId::new(1, 0, Bytes::copy_from_slice(&peer_cid(1)), [0; 16]).unwrap();
    let other_seq =
        NewConnectionId::new(2, 0, Bytes::copy_from_slice(&peer_cid(1)), peer_token(2)).unwrap();
    let initial_again =
        NewConnectionId::new(5, 0, Bytes::from_static(&[0xaa; 8]), [1; 16]).unwrap();
    for f in [other_cid, other_token, other_seq, initial_again] {
        assert_err(
            theirs.on_new_connection_id(&f),
            Code::PROTOCOL_VIOLATION,
            NCID,
        );
    }
    // An exact repeat is ignored (RFC 9000 §19.15).
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    assert_eq!(theirs.spare(), 1);
    assert!(!theirs.has_pending());
}

#[test]
fn remote_retire_prior_to_retires_older_and_switches() {
    let mut theirs = remote();
    for seq in 1..=3 {
        theirs.on_new_connection_id(&ncid(seq, 0)).unwrap();
    }
    // Retire 0 and 1; the current (0) goes, 2 takes over.
    theirs.on_new_connection_id(&ncid(5, 2)).unwrap();
    assert_eq!(theirs.current_sequence(), 2);
    assert_eq!((theirs.spare(), theirs.retire_prior_to()), (2, 2));
    let (mut retired, _) = write_remote(&mut theirs);
    retired.sort_unstable();
    assert_eq!(retired, [0, 1]);
    // Below the largest Retire Prior To: retired at once, never stored (§19.15).
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    theirs.on_new_connection_id(&ncid(0, 0)).unwrap();
    assert_eq!(theirs.spare(), 2);
    // A Retire Prior To that goes backwards changes nothing.
    theirs.on_new_connection_id(&ncid(6, 1)).unwrap();
    assert_eq!(
        (theirs.retire_prior_to(), theirs.current_sequence()),
        (2, 2)
    );
    assert_eq!(theirs.active_count(), 4);
    // 0 and 1 are still owed (in flight), so not queued twice.
    assert_eq!(write_remote(&mut theirs).0, Vec::<u64>::new());
    assert_eq!(theirs.pending_retires(), 2);
}

#[test]
fn remote_huge_retire_prior_to_costs_only_the_stored_ids() {
    let mut theirs = remote();
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    let start = Instant::now();
    let far = 1u64 << 60;
    theirs.on_new_connection_id(&ncid(far, far)).unwrap();
    theirs
        .on_new_connection_id(&ncid(stator_wire::varint::MAX, far))
        .unwrap();
    assert!(start.elapsed().as_secs() < 1);
    assert_eq!(theirs.current_sequence(), far);
    assert_eq!(theirs.active_count(), 2);
    let (mut retired, _) = write_remote(&mut theirs);
    retired.sort_unstable();
    assert_eq!(retired, [0, 1]);
}

#[test]
fn remote_pending_retires_are_bounded() {
    let mut theirs = RemoteCids::new(cid(&[0xaa; 8]), 4, 3);
    theirs.on_new_connection_id(&ncid(10, 10)).unwrap();
    // Late IDs below retire prior to: each owes a RETIRE_CONNECTION_ID.
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    theirs.on_new_connection_id(&ncid(2, 0)).unwrap();
    assert_eq!(theirs.pending_retires(), 3);
    // Repeats of one already owed cost nothing.
    theirs.on_new_connection_id(&ncid(2, 0)).unwrap();
    // RFC 9000 §5.1.2: over the bound.
    assert_err(
        theirs.on_new_connection_id(&ncid(3, 0)),
        Code::CONNECTION_ID_LIMIT_ERROR,
        NCID,
    );
    // Acknowledged retirements make room again.
    let (_, sent) = write_remote(&mut theirs);
    theirs.on_acked(&sent[0]);
    theirs.on_new_connection_id(&ncid(3, 0)).unwrap();
    assert_eq!(theirs.pending_retires(), 3);
    // And a full queue refuses our own rotation.
    theirs.on_new_connection_id(&ncid(11, 0)).unwrap();
    assert!(!theirs.rotate());
}

#[test]
fn remote_rotation_retires_the_current_for_good() {
    let mut theirs = remote();
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    theirs.on_new_connection_id(&ncid(2, 0)).unwrap();
    assert!(theirs.rotate());
    assert_eq!((theirs.current_sequence(), theirs.spare()), (1, 1));
    assert_eq!(theirs.current(), &cid(&peer_cid(1)));
    assert!(theirs.rotate());
    assert!(!theirs.rotate());
    assert_eq!(theirs.current_sequence(), 2);
    let (retired, sent) = write_remote(&mut theirs);
    assert_eq!(retired, [0, 1]);
    for s in &sent {
        theirs.on_acked(s);
    }
    assert_eq!(theirs.pending_retires(), 0);
    // A retransmission of the retired sequence 1 does not bring it back: it is retired
    // again (the peer ignores the repeat, §19.16).
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    assert_eq!((theirs.current_sequence(), theirs.spare()), (2, 0));
    assert_eq!(write_remote(&mut theirs).0, [1]);
}

#[test]
fn remote_lost_retires_are_resent_and_acked_ones_forgotten() {
    let mut theirs = remote();
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    theirs.on_new_connection_id(&ncid(2, 0)).unwrap();
    theirs.rotate();
    theirs.rotate();
    let (_, sent) = write_remote(&mut theirs);
    assert!(!theirs.has_pending());
    theirs.on_acked(&sent[0]);
    theirs.on_lost(&sent[1]);
    assert!(theirs.has_pending());
    // A record of the other machine changes nothing.
    theirs.on_acked(&CidSent::NewConnectionId { sequence: 1 });
    let (again, _) = write_remote(&mut theirs);
    assert_eq!(again, [1]);
    // Room for nothing, then for one frame of two bytes.
    theirs.on_lost(&CidSent::RetireConnectionId { sequence: 1 });
    let (mut buf, mut sent) = (Vec::new(), Vec::new());
    assert_eq!(theirs.write_frames(&mut buf, 1, &mut sent), 0);
    assert_eq!(theirs.write_frames(&mut buf, 2, &mut sent), 2);
    assert_eq!(buf, [0x19, 0x01]);
}

#[test]
fn remote_recognises_a_stateless_reset_of_the_current_id() {
    let mut rng = SeededRandom::new(20);
    let mut theirs = remote();
    let token = ResetToken([0x42; 16]);
    let mut buf = [0u8; 1500];
    let len = write_stateless_reset(&token, 1200, &mut rng, &mut buf).unwrap();
    let datagram = &buf[..len];
    // No token known yet for sequence 0.
    assert!(!theirs.is_stateless_reset(datagram));
    theirs.set_initial_reset_token(token);
    assert!(theirs.is_stateless_reset(datagram));
    // A wrong token, a datagram under 21 bytes.
    let other = ResetToken([0x43; 16]);
    let len2 = write_stateless_reset(&other, 1200, &mut rng, &mut buf).unwrap();
    assert!(!theirs.is_stateless_reset(&buf[..len2]));
    let mut short = vec![0x40; 4];
    short.extend_from_slice(&token.0);
    assert!(!theirs.is_stateless_reset(&short));
    short.insert(0, 0x41);
    assert!(theirs.is_stateless_reset(&short));
    // A spare's token does not count until it is in use (RFC 9000 §10.3.1) ...
    theirs.on_new_connection_id(&ncid(1, 0)).unwrap();
    let spare = ResetToken(peer_token(1));
    let len3 = write_stateless_reset(&spare, 100, &mut rng, &mut buf).unwrap();
    let spare_reset = buf[..len3].to_vec();
    assert!(!theirs.is_stateless_reset(&spare_reset));
    // ... and a retired one's no longer does.
    assert!(theirs.rotate());
    assert!(theirs.is_stateless_reset(&spare_reset));
    assert!(!theirs.is_stateless_reset(&short));
}

// ---- Both ends -----------------------------------------------------------------

/// Our LocalCids feeding the peer's RemoteCids, and its retirements coming back.
#[test]
fn rotation_end_to_end() {
    let (mut ours, mut generator, mut rng, key) = local(30, 8);
    let first = *ours.active().next().unwrap();
    let mut theirs = RemoteCids::new(first, 4, 8);
    theirs.set_initial_reset_token(ours.initial_reset_token());
    ours.set_peer_limit(4);
    ours.issue(&mut generator, &mut rng);
    let mut log = changes(&mut ours);
    let deliver = |ours: &mut LocalCids, theirs: &mut RemoteCids| {
        let (frames, sent) = write_local(ours);
        for f in &frames {
            theirs.on_new_connection_id(f).unwrap();
        }
        for s in &sent {
            ours.on_acked(s);
        }
    };
    let retire = |ours: &mut LocalCids, theirs: &mut RemoteCids| {
        let dcid = *theirs.current();
        let (seqs, sent) = write_remote(theirs);
        for s in seqs {
            ours.on_retire(s, &dcid).unwrap();
        }
        for s in &sent {
            theirs.on_acked(s);
        }
    };
    deliver(&mut ours, &mut theirs);
    assert_eq!(theirs.spare(), 3);
    // The peer rotates on its own.
    assert!(theirs.rotate());
    retire(&mut ours, &mut theirs);
    assert!(ours.contains(theirs.current()));
    assert!(!ours.contains(&first));
    ours.issue(&mut generator, &mut rng);
    log.extend(changes(&mut ours));
    deliver(&mut ours, &mut theirs);
    assert_eq!(theirs.active_count(), 4);
    // We rotate: the peer must move off every old ID.
    let before: HashSet<ConnectionId> = ours.active().copied().collect();
    ours.rotate(&mut generator, &mut rng);
    log.extend(changes(&mut ours));
    deliver(&mut ours, &mut theirs);
    assert!(!before.contains(theirs.current()));
    assert_eq!(theirs.active_count(), 4);
    retire(&mut ours, &mut theirs);
    let after: HashSet<ConnectionId> = ours.active().copied().collect();
    assert_eq!(after.len(), 4);
    assert!(after.is_disjoint(&before));
    // A reset from our side, with the token of the ID the peer uses, is recognised.
    let mut buf = [0u8; 100];
    let len = write_stateless_reset(&key.token(theirs.current()), 60, &mut rng, &mut buf).unwrap();
    assert!(theirs.is_stateless_reset(&buf[..len]));
    log.extend(changes(&mut ours));
    let removed = log
        .iter()
        .filter(|c| matches!(c, RoutingChange::Removed(_)))
        .count();
    assert_eq!((log.len() - removed, removed), (8, 5));
}

proptest! {
    /// For any sequence of valid NEW_CONNECTION_ID frames (and our own rotations and
    /// acknowledgements in between), the IDs stored never pass the limit and the one in
    /// use is never one we retired.
    #[test]
    fn stored_ids_stay_within_the_limit(
        limit in 1u64..6,
        ops in proptest::collection::vec((0u64..40, 0u64..40, 0u8..4), 1..80),
    ) {
        let mut theirs = RemoteCids::new(cid(&[0xaa; 8]), limit, 64);
        let mut retired = HashSet::new();
        let mut in_flight = Vec::new();
        for (seq, rpt, op) in ops {
            match op {
                0 | 1 => {
                    let _ = theirs.on_new_connection_id(&ncid(seq, rpt.min(seq)));
                }
                2 => {
                    theirs.rotate();
                }
                _ => {
                    if let Some(s) = in_flight.pop() {
                        if seq % 2 == 0 { theirs.on_acked(&s) } else { theirs.on_lost(&s) }
                    }
                }
            }
            let (seqs, sent) = write_remote(&mut theirs);
            retired.extend(seqs);
            in_flight.extend(sent);
            prop_assert!(theirs.active_count() as u64 <= limit);
            prop_assert!(!retired.contains(&theirs.current_sequence()));
            prop_assert!(theirs.current_sequence() >= theirs.retire_prior_to());
            prop_assert!(theirs.pending_retires() <= 64);
        }
    }
}

/// What happens to a packet of the honest pair below.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Delivered,
    /// Delivered, but its ACK is lost: the sender retransmits what it carried.
    AckLost,
    Dropped,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        Just(Fate::Delivered),
        Just(Fate::AckLost),
        Just(Fate::Dropped)
    ]
}

proptest! {
    /// Our LocalCids and the peer's RemoteCids, both honest, over a path that drops
    /// packets and ACKs, with rotations on both sides: neither ever raises an error, the
    /// peer always sends to an ID we route, and its limit holds.
    #[test]
    fn an_honest_pair_never_errs(
        peer_limit in 2u64..6,
        steps in proptest::collection::vec((0u8..4, fate(), any::<bool>()), 1..60),
    ) {
        let (mut ours, mut generator, mut rng, _) = local(40, 4);
        let first = *ours.active().next().unwrap();
        ours.set_peer_limit(peer_limit);
        let mut theirs = RemoteCids::new(first, peer_limit, 2 * peer_limit as usize + 4);
        for (op, ncid_fate, retire_delivered) in steps {
            match op {
                0 => ours.issue(&mut generator, &mut rng),
                1 => ours.rotate(&mut generator, &mut rng),
                2 => {
                    theirs.rotate();
                }
                _ => {}
            }
            let (frames, sent) = write_local(&mut ours);
            if !matches!(ncid_fate, Fate::Dropped) {
                for f in &frames {
                    theirs.on_new_connection_id(f).unwrap();
                }
            }
            for s in &sent {
                if matches!(ncid_fate, Fate::Delivered) { ours.on_acked(s) } else { ours.on_lost(s) }
            }
            // A lost ACK of a RETIRE_CONNECTION_ID would keep it owed until the bound
            // refuses more: that is the bound working, so RETIREs are delivered or dropped.
            let dcid = *theirs.current();
            let (seqs, sent) = write_remote(&mut theirs);
            for seq in seqs {
                if retire_delivered {
                    ours.on_retire(seq, &dcid).unwrap();
                }
            }
            for s in &sent {
                if retire_delivered { theirs.on_acked(s) } else { theirs.on_lost(s) }
            }
            prop_assert!(ours.contains(theirs.current()));
            prop_assert!(theirs.active_count() as u64 <= peer_limit);
            prop_assert!(ours.active().count() <= 8);
            changes(&mut ours);
        }
    }
}
