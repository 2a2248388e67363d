//! The connection IDs the peer issued (RFC 9000 §5.1.1, §5.1.2, §10.3.1, §19.15,
//! §19.16).

use stator_wire::varint;

use super::CidSent;
use crate::frame::{self, FrameType};
use crate::reset::{self, ResetToken};
use crate::{Code, ConnectionId, TransportError};

/// One ID the peer issued that we have not retired.
#[derive(Debug, Clone, Copy)]
struct Remote {
    sequence: u64,
    cid: ConnectionId,
    /// Unknown for sequence 0 until the server's transport parameters give it, and
    /// always for a client's sequence 0 (RFC 9000 §18.2).
    token: Option<ResetToken>,
}

/// A RETIRE_CONNECTION_ID we owe the peer.
#[derive(Debug, Clone, Copy)]
struct Retire {
    sequence: u64,
    /// Sent and neither acknowledged nor lost yet.
    in_flight: bool,
}

/// The connection IDs the peer issued (we send to them; RFC 9000 §5.1.1, §5.1.2).
///
/// The ID in use (`current`) always has the lowest sequence number stored: a rotation
/// moves to the next one, and an ID that arrives below the current one is retired at
/// once. So every sequence number below the current one counts as retired, which is what
/// keeps a retransmitted NEW_CONNECTION_ID of an ID we already retired from coming back,
/// without remembering retired sequence numbers one by one.
///
/// Memory: at most `limit` IDs and `max_pending_retires` RETIRE_CONNECTION_ID frames.
#[derive(Debug)]
pub struct RemoteCids {
    current: Remote,
    /// The other IDs, by ascending sequence number, all above `current`'s.
    spares: Vec<Remote>,
    limit: u64,
    /// The largest Retire Prior To received (RFC 9000 §19.15).
    retire_prior_to: u64,
    retires: Vec<Retire>,
    max_pending_retires: usize,
}

impl RemoteCids {
    /// `initial`: the DCID in use for sequence 0 (a client: the server's SCID once
    /// learned; before that its random first DCID). `limit`: our
    /// active_connection_id_limit (how many we store, at least 1). `max_pending_retires`:
    /// bound on RETIRE_CONNECTION_ID frames not yet acknowledged (§5.1.2 SHOULD; over it
    /// ⇒ CONNECTION_ID_LIMIT_ERROR). RFC 9000 §5.1.2 asks for room for at least twice
    /// `limit`: a peer that rotates while earlier retirements are unacknowledged needs it.
    pub fn new(initial: ConnectionId, limit: u64, max_pending_retires: usize) -> Self {
        RemoteCids {
            current: Remote {
                sequence: 0,
                cid: initial,
                token: None,
            },
            spares: Vec::new(),
            limit: limit.max(1),
            retire_prior_to: 0,
            retires: Vec::new(),
            max_pending_retires,
        }
    }

    /// Client: the server's SCID from its first Initial or from a Retry (RFC 9000 §7.2)
    /// becomes sequence 0. Ignored once sequence 0 is no longer in use.
    pub fn set_initial(&mut self, cid: ConnectionId) {
        if self.current.sequence == 0 {
            self.current.cid = cid;
        }
    }

    /// The reset token of sequence 0, from the server's `stateless_reset_token`
    /// transport parameter (RFC 9000 §18.2). Ignored once sequence 0 is no longer in use.
    pub fn set_initial_reset_token(&mut self, token: ResetToken) {
        if self.current.sequence == 0 {
            self.current.token = Some(token);
        }
    }

    /// The ID we send to.
    pub fn current(&self) -> &ConnectionId {
        &self.current.cid
    }

    /// The sequence number of [`current`](Self::current).
    pub fn current_sequence(&self) -> u64 {
        self.current.sequence
    }

    /// The stateless reset token of [`current`](Self::current), when known.
    pub fn current_reset_token(&self) -> Option<ResetToken> {
        self.current.token
    }

    /// How many IDs are stored: the current one and the spares.
    pub fn active_count(&self) -> usize {
        self.spares.len().saturating_add(1)
    }

    /// The largest Retire Prior To the peer sent.
    pub fn retire_prior_to(&self) -> u64 {
        self.retire_prior_to
    }

    fn stored(&self) -> impl Iterator<Item = &Remote> {
        std::iter::once(&self.current).chain(&self.spares)
    }

    /// NEW_CONNECTION_ID (§19.15, §5.1.1, §5.1.2): while we send to a zero-length ID ⇒
    /// PROTOCOL_VIOLATION; same sequence with a different ID or token ⇒
    /// PROTOCOL_VIOLATION; an ID already known under another sequence ⇒
    /// PROTOCOL_VIOLATION; exact repeat ignored; sequence below the largest
    /// retire_prior_to seen (or below the ID in use) ⇒ retire it at once (queue
    /// RETIRE_CONNECTION_ID, do not store); retire_prior_to retires all older (switching
    /// `current` to the lowest remaining if the current one is retired); more active IDs
    /// than `limit` ⇒ CONNECTION_ID_LIMIT_ERROR; more RETIRE_CONNECTION_ID frames owed
    /// than `max_pending_retires` ⇒ CONNECTION_ID_LIMIT_ERROR; all with frame type 0x18.
    ///
    /// On error nothing changes. The cost is one pass over the stored IDs whatever the
    /// sequence numbers.
    pub fn on_new_connection_id(
        &mut self,
        frame: &frame::NewConnectionId,
    ) -> Result<(), TransportError> {
        let ty = FrameType::NEW_CONNECTION_ID.0;
        let violation = |reason| TransportError::protocol(reason).in_frame(ty);
        let limit_error =
            |reason| TransportError::new(Code::CONNECTION_ID_LIMIT_ERROR, reason).in_frame(ty);
        if self.current.cid.is_empty() {
            // RFC 9000 §19.15.
            return Err(violation(
                "NEW_CONNECTION_ID while sending to a zero-length connection ID",
            ));
        }
        let cid = ConnectionId::new(frame.cid()).map_err(|_| {
            TransportError::frame_encoding("NEW_CONNECTION_ID longer than 20 bytes").in_frame(ty)
        })?;
        let token = ResetToken(*frame.reset_token());
        let sequence = frame.sequence();
        if sequence > varint::MAX {
            // Only a frame built by hand can carry this; the wire cannot.
            return Err(
                TransportError::frame_encoding("NEW_CONNECTION_ID sequence past 2^62 - 1")
                    .in_frame(ty),
            );
        }
        let mut repeat = false;
        for known in self.stored() {
            if known.sequence == sequence {
                // RFC 9000 §19.15: a sequence number names one ID and one token.
                if known.cid != cid || known.token != Some(token) {
                    return Err(violation(
                        "NEW_CONNECTION_ID changes the ID or token of a sequence number",
                    ));
                }
                repeat = true;
            } else if known.cid == cid {
                // RFC 9000 §19.15: one ID under two sequence numbers.
                return Err(violation(
                    "NEW_CONNECTION_ID repeats an ID under another sequence number",
                ));
            }
        }
        let retire_prior_to = self.retire_prior_to.max(frame.retire_prior_to());
        // Below the largest Retire Prior To, or below the ID in use (which a rotation
        // retired or which came too late to matter): retired at once (RFC 9000 §19.15).
        let retired_below = retire_prior_to.max(self.current.sequence);
        let store = !repeat && sequence >= retired_below;
        let retire_now = !repeat
            && sequence < retired_below
            && !self.retires.iter().any(|r| r.sequence == sequence);
        let retiring = self
            .stored()
            .filter(|r| r.sequence < retire_prior_to)
            .count();
        let kept = self
            .active_count()
            .saturating_sub(retiring)
            .saturating_add(usize::from(store));
        if kept as u64 > self.limit {
            // RFC 9000 §5.1.1, §19.15: counted after retirement.
            return Err(limit_error(
                "NEW_CONNECTION_ID exceeds active_connection_id_limit",
            ));
        }
        let owed = self
            .retires
            .len()
            .saturating_add(retiring)
            .saturating_add(usize::from(retire_now));
        if owed > self.max_pending_retires {
            // RFC 9000 §5.1.2: bound the retirements not yet acknowledged.
            return Err(limit_error(
                "too many connection IDs retired and not yet acknowledged",
            ));
        }

        self.retire_prior_to = retire_prior_to;
        if retire_now {
            self.queue_retire(sequence);
        }
        if retiring > 0 {
            let (gone, kept): (Vec<Remote>, Vec<Remote>) = self
                .spares
                .iter()
                .partition(|r| r.sequence < retire_prior_to);
            self.spares = kept;
            for r in gone {
                self.queue_retire(r.sequence);
            }
        }
        if store {
            let at = self.spares.partition_point(|r| r.sequence < sequence);
            self.spares.insert(
                at,
                Remote {
                    sequence,
                    cid,
                    token: Some(token),
                },
            );
        }
        if self.current.sequence < retire_prior_to && !self.spares.is_empty() {
            // RFC 9000 §5.1.2: stop using it and retire it; the lowest remaining takes
            // over. The count above leaves at least one.
            let old = std::mem::replace(&mut self.current, self.spares.remove(0));
            self.queue_retire(old.sequence);
        }
        Ok(())
    }

    fn queue_retire(&mut self, sequence: u64) {
        self.retires.push(Retire {
            sequence,
            in_flight: false,
        });
    }

    /// Switch to an unused ID and retire the current one (CID rotation, also on
    /// migration later; RFC 9000 §5.1.2). false if no spare ID, or when
    /// `max_pending_retires` RETIRE_CONNECTION_ID frames are already owed.
    pub fn rotate(&mut self) -> bool {
        if self.spares.is_empty() || self.retires.len() >= self.max_pending_retires {
            return false;
        }
        let old = std::mem::replace(&mut self.current, self.spares.remove(0));
        self.queue_retire(old.sequence);
        true
    }

    /// How many unused IDs are stored.
    pub fn spare(&self) -> usize {
        self.spares.len()
    }

    /// Whether `datagram` ends with the stateless reset token of the peer's ID in use
    /// (constant-time comparison, RFC 9000 §10.3.1; datagrams shorter than 21 bytes never
    /// match).
    ///
    /// Only the ID in use is checked: RFC 9000 §10.3.1 forbids checking the tokens of IDs
    /// not used yet or retired, and every ID used before the current one was retired.
    pub fn is_stateless_reset(&self, datagram: &[u8]) -> bool {
        reset::is_stateless_reset(datagram, self.current.token.as_ref())
    }

    /// Writes queued RETIRE_CONNECTION_ID frames that fit `room` bytes; pushes what it
    /// wrote to `sent` and returns the number of bytes written.
    pub fn write_frames(
        &mut self,
        buf: &mut Vec<u8>,
        room: usize,
        sent: &mut Vec<CidSent>,
    ) -> usize {
        let mut written = 0usize;
        for r in self.retires.iter_mut().filter(|r| !r.in_flight) {
            // The type is one byte; sequence numbers come from frames, so fit a varint.
            let Ok(len) = varint::encoded_len(r.sequence).map(|n| n.saturating_add(1)) else {
                continue;
            };
            if written.saturating_add(len) > room {
                continue;
            }
            buf.push(FrameType::RETIRE_CONNECTION_ID.0 as u8);
            if varint::encode(r.sequence, buf).is_err() {
                buf.pop();
                continue;
            }
            written = written.saturating_add(len);
            r.in_flight = true;
            sent.push(CidSent::RetireConnectionId {
                sequence: r.sequence,
            });
        }
        written
    }

    /// The packet that carried `sent` was acknowledged: the retirement is done.
    pub fn on_acked(&mut self, sent: &CidSent) {
        if let CidSent::RetireConnectionId { sequence } = *sent {
            self.retires.retain(|r| r.sequence != sequence);
        }
    }

    /// The packet that carried `sent` was lost: the RETIRE_CONNECTION_ID is queued again
    /// (RFC 9000 §13.3).
    pub fn on_lost(&mut self, sent: &CidSent) {
        if let CidSent::RetireConnectionId { sequence } = *sent
            && let Some(r) = self.retires.iter_mut().find(|r| r.sequence == sequence)
        {
            r.in_flight = false;
        }
    }

    /// Whether RETIRE_CONNECTION_ID frames wait to be sent.
    pub fn has_pending(&self) -> bool {
        self.retires.iter().any(|r| !r.in_flight)
    }

    /// How many RETIRE_CONNECTION_ID frames are owed: queued or sent and not yet
    /// acknowledged.
    pub fn pending_retires(&self) -> usize {
        self.retires.len()
    }
}
