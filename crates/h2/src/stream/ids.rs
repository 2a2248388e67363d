//! Stream identifier bookkeeping (RFC 9113 §5.1.1).

use super::{Reason, Role, Violation};
use crate::{ErrorCode, StreamId};

/// Which identifiers each endpoint has used.
///
/// Identifiers are used in increasing order per initiator; using one implicitly closes
/// every lower idle identifier of the same initiator (RFC 9113 §5.1.1). So "idle" is just
/// "above the highest used", and no per-identifier state is needed for idle streams.
#[derive(Clone, Debug)]
pub(crate) struct StreamIds {
    role: Role,
    /// The next identifier we open, `None` once the space is exhausted.
    next_local: Option<StreamId>,
    /// The highest identifier the peer opened, `ZERO` if none.
    highest_peer: StreamId,
}

impl StreamIds {
    /// Nothing used yet: a client starts at 1, a server at 2 (RFC 9113 §5.1.1).
    pub(crate) fn new(role: Role) -> Self {
        let first = match role {
            Role::Client => StreamId::new(1),
            Role::Server => StreamId::new(2),
        };
        StreamIds {
            role,
            next_local: first,
            highest_peer: StreamId::ZERO,
        }
    }

    /// Bookkeeping whose next local identifier is `next` (tests of exhaustion).
    #[cfg(test)]
    pub(crate) fn starting_at(role: Role, next: StreamId) -> Self {
        StreamIds {
            role,
            next_local: Some(next),
            highest_peer: StreamId::ZERO,
        }
    }

    #[cfg(test)]
    /// Our role.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// Whether we initiate streams with this identifier (its parity is ours).
    pub(crate) fn is_local(&self, id: StreamId) -> bool {
        match self.role {
            Role::Client => id.is_client_initiated(),
            Role::Server => id.is_server_initiated(),
        }
    }

    /// The identifier the next local stream will get, `None` once exhausted: the
    /// connection must then be replaced (RFC 9113 §5.1.1).
    pub(crate) fn next_local(&self) -> Option<StreamId> {
        self.next_local
    }

    /// Takes the next local identifier.
    pub(crate) fn allocate_local(&mut self) -> Option<StreamId> {
        let id = self.next_local?;
        self.next_local = id.next();
        Some(id)
    }

    /// The highest identifier the peer has opened (`ZERO` if none): the last-stream-id of
    /// our `GOAWAY` (RFC 9113 §6.8).
    pub(crate) fn highest_peer(&self) -> StreamId {
        self.highest_peer
    }

    /// Whether `id` is still idle: not yet used, nor implicitly closed by a higher one.
    pub(crate) fn is_idle(&self, id: StreamId) -> bool {
        if id.is_zero() {
            false
        } else if self.is_local(id) {
            self.next_local.is_some_and(|next| id >= next)
        } else {
            id > self.highest_peer
        }
    }

    /// The peer opens `id` with `HEADERS` (RFC 9113 §5.1.1). A connection
    /// `PROTOCOL_ERROR` if the peer may not open it: our parity, a server opening a stream
    /// (it can only push, which we disable, §8.4), or not above every identifier it used.
    pub(crate) fn open_peer(&mut self, id: StreamId) -> Result<(), Violation> {
        let error = |reason| Err(Violation::connection(ErrorCode::PROTOCOL_ERROR, reason));
        if id.is_zero() || self.is_local(id) || self.role == Role::Client {
            return error(Reason::WrongInitiator);
        }
        if id <= self.highest_peer {
            return error(Reason::StreamIdNotIncreasing);
        }
        self.highest_peer = id;
        Ok(())
    }
}
