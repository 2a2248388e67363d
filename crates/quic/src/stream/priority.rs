//! Stream priorities and the send scheduler, in the model of RFC 9218 §4 (which HTTP/3
//! priorities map onto): an urgency from 0 (first) to 7, and an incremental flag.
//!
//! The scheduler holds only the streams that have data to send. It serves the lowest
//! urgency first; within one urgency, non-incremental streams go one at a time in
//! stream-ID order (each until it has nothing left), then incremental streams share the
//! bandwidth round-robin, one frame each in turn, the rotation carrying over from one
//! packet to the next. Every operation is O(log n) in the number of queued streams.

use std::collections::{BTreeMap, BTreeSet};

use super::id::StreamId;

/// A stream's priority (RFC 9218 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Priority {
    /// 0 to 7, lower first; values above 7 are treated as 7. Default 3.
    pub urgency: u8,
    /// Whether the stream's data may be interleaved with other incremental streams of
    /// the same urgency (round-robin) rather than sent whole before the next one.
    /// Default `true`, so that default-priority streams share round-robin.
    pub incremental: bool,
}

impl Default for Priority {
    fn default() -> Priority {
        Priority {
            urgency: 3,
            incremental: true,
        }
    }
}

/// The most urgent urgency value is 0, the least 7 (RFC 9218 §4.1).
pub const MAX_URGENCY: u8 = 7;

/// Where a queued stream sits in the scheduler, kept by the stream so that it can be
/// removed in O(log n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SchedKey {
    urgency: u8,
    /// `Some(turn)` for an incremental stream (its place in the rotation), `None` for
    /// a sequential one (ordered by ID).
    turn: Option<u64>,
}

/// The streams of one urgency.
#[derive(Debug, Default)]
struct Bucket {
    sequential: BTreeSet<StreamId>,
    rotation: BTreeMap<u64, StreamId>,
}

impl Bucket {
    fn is_empty(&self) -> bool {
        self.sequential.is_empty() && self.rotation.is_empty()
    }
}

/// The send scheduler.
#[derive(Debug, Default)]
pub(crate) struct Scheduler {
    buckets: BTreeMap<u8, Bucket>,
    /// The next rotation turn handed out (increasing, so a new or rotated stream goes to
    /// the back).
    next_turn: u64,
    len: usize,
}

impl Scheduler {
    /// Queues `id` with `priority`; returns its key.
    pub(crate) fn push(&mut self, id: StreamId, priority: Priority) -> SchedKey {
        let urgency = priority.urgency.min(MAX_URGENCY);
        let bucket = self.buckets.entry(urgency).or_default();
        self.len = self.len.saturating_add(1);
        if priority.incremental {
            let turn = self.next_turn;
            self.next_turn = self.next_turn.wrapping_add(1);
            bucket.rotation.insert(turn, id);
            SchedKey {
                urgency,
                turn: Some(turn),
            }
        } else {
            bucket.sequential.insert(id);
            SchedKey {
                urgency,
                turn: None,
            }
        }
    }

    /// Removes the stream queued under `key`.
    pub(crate) fn remove(&mut self, id: StreamId, key: SchedKey) {
        let Some(bucket) = self.buckets.get_mut(&key.urgency) else {
            return;
        };
        let removed = match key.turn {
            Some(turn) => bucket.rotation.remove(&turn).is_some(),
            None => bucket.sequential.remove(&id),
        };
        if removed {
            self.len = self.len.saturating_sub(1);
        }
        if bucket.is_empty() {
            self.buckets.remove(&key.urgency);
        }
    }

    /// The stream to serve next and its key.
    pub(crate) fn peek(&self) -> Option<(StreamId, SchedKey)> {
        let (&urgency, bucket) = self.buckets.iter().next()?;
        if let Some(&id) = bucket.sequential.first() {
            return Some((
                id,
                SchedKey {
                    urgency,
                    turn: None,
                },
            ));
        }
        let (&turn, &id) = bucket.rotation.iter().next()?;
        Some((
            id,
            SchedKey {
                urgency,
                turn: Some(turn),
            },
        ))
    }

    /// After serving one frame of the stream under `key`: an incremental stream moves to
    /// the back of its rotation (a sequential one keeps its place). Returns the new key.
    pub(crate) fn rotate(&mut self, id: StreamId, key: SchedKey) -> SchedKey {
        let Some(turn) = key.turn else { return key };
        let Some(bucket) = self.buckets.get_mut(&key.urgency) else {
            return key;
        };
        if bucket.rotation.remove(&turn).is_none() {
            return key;
        }
        let new = self.next_turn;
        self.next_turn = self.next_turn.wrapping_add(1);
        bucket.rotation.insert(new, id);
        SchedKey {
            urgency: key.urgency,
            turn: Some(new),
        }
    }

    /// Whether no stream is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Side;
    use crate::stream::Dir;

    fn id(i: u64) -> StreamId {
        StreamId::new(Side::Client, Dir::Bidi, i).unwrap()
    }

    #[test]
    fn urgency_then_sequential_then_round_robin() {
        let mut s = Scheduler::default();
        let inc = Priority::default();
        let seq = Priority {
            urgency: 3,
            incremental: false,
        };
        let urgent = Priority {
            urgency: 0,
            incremental: true,
        };
        for i in [5, 6] {
            s.push(id(i), inc);
        }
        for i in [2, 1] {
            s.push(id(i), seq);
        }
        let k9 = s.push(id(9), urgent);
        assert_eq!(s.peek().unwrap().0, id(9));
        s.remove(id(9), k9);
        // Sequential by ID, and a served sequential stream keeps its place.
        let (first, k) = s.peek().unwrap();
        assert_eq!(first, id(1));
        assert_eq!(s.rotate(first, k), k);
        assert_eq!(s.peek().unwrap().0, id(1));
        s.remove(id(1), k);
        let (second, k) = s.peek().unwrap();
        assert_eq!(second, id(2));
        s.remove(second, k);
        // Round-robin between 5 and 6.
        let mut order = Vec::new();
        for _ in 0..4 {
            let (i, k) = s.peek().unwrap();
            order.push(i.index());
            s.rotate(i, k);
        }
        assert_eq!(order, [5, 6, 5, 6]);
        assert!(!s.is_empty());
        while let Some((i, k)) = s.peek() {
            s.remove(i, k);
        }
        assert!(s.is_empty());
    }
}
