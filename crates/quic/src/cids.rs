//! Connection ID management of one connection (RFC 9000 §5.1, §10.3, §19.15, §19.16).
//!
//! Each endpoint issues connection IDs that its peer sends to, and uses the IDs its peer
//! issued. The two sides are kept apart:
//!
//! - [`LocalCids`]: the IDs this endpoint issued. It issues new ones up to the peer's
//!   `active_connection_id_limit` (and our own cap), rotates them, answers the peer's
//!   RETIRE_CONNECTION_ID and tells the endpoint which IDs to add to or remove from its
//!   routing table ([`RoutingChange`]).
//! - [`RemoteCids`]: the IDs the peer issued. It stores them up to our limit, applies
//!   retire-prior-to, picks the ID we send to, retires IDs with RETIRE_CONNECTION_ID, and
//!   recognises a Stateless Reset by its token.
//!
//! Both queue the frames they need to send; the connection calls `write_frames` while
//! building a 1-RTT packet, keeps the [`CidSent`] records with the packet, and hands
//! them back through `on_acked` / `on_lost`.
//!
//! Everything is bounded by what is stored, never by sequence numbers: the peer chooses
//! sequence numbers up to 2^62 − 1 and a retire-prior-to that jumps by 2^60 costs one
//! pass over the stored IDs.
//!
//! ```
//! use stator_quic::cid::RandomConnectionIds;
//! use stator_quic::cids::{LocalCids, RemoteCids, RoutingChange};
//! use stator_quic::frame::{self, Frame};
//! use stator_quic::{ConnectionId, Level, ResetKey};
//! use stator_wire::rand::SeededRandom;
//!
//! let mut rng = SeededRandom::new(7);
//! let mut generator = RandomConnectionIds::default();
//! let first = ConnectionId::new(&[1; 8])?;
//! let mut ours = LocalCids::new(first, ResetKey::random(&mut rng), 8);
//! ours.set_peer_limit(4);
//! ours.issue(&mut generator, &mut rng);
//! assert_eq!(ours.active().count(), 4);
//! assert!(matches!(ours.poll_routing_change(), Some(RoutingChange::Added(_))));
//!
//! // The frames go to the peer, which stores the IDs and may switch to a new one.
//! let (mut buf, mut sent) = (Vec::new(), Vec::new());
//! ours.write_frames(&mut buf, 1200, &mut sent);
//! let mut theirs = RemoteCids::new(first, 4, 16);
//! for f in frame::parse(buf.into(), Level::OneRtt) {
//!     if let Frame::NewConnectionId(f) = f? {
//!         theirs.on_new_connection_id(&f)?;
//!     }
//! }
//! assert_eq!(theirs.spare(), 3);
//! assert!(theirs.rotate());
//! assert!(ours.contains(theirs.current()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The frame names (NEW_CONNECTION_ID, ...) are the specification's words, not code items.
#![allow(clippy::doc_markdown)]

mod local;
mod remote;

#[cfg(test)]
mod tests;

pub use local::LocalCids;
pub use remote::RemoteCids;

use crate::ConnectionId;

/// What a packet carried, kept by the connection with the packet and handed back on ack
/// or loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CidSent {
    /// A NEW_CONNECTION_ID frame (written by [`LocalCids`]).
    NewConnectionId {
        /// The sequence number of the ID it issued.
        sequence: u64,
    },
    /// A RETIRE_CONNECTION_ID frame (written by [`RemoteCids`]).
    RetireConnectionId {
        /// The sequence number it retired.
        sequence: u64,
    },
}

/// A change the endpoint applies to its routing table (CID → connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoutingChange {
    /// Packets to this ID now belong to the connection.
    Added(ConnectionId),
    /// The peer retired this ID: it no longer routes to the connection.
    Removed(ConnectionId),
}
