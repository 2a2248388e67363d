//! Stream IDs (RFC 9000 §2.1) and the checks a frame's stream ID must pass.

use crate::{Code, Side, TransportError};

/// The largest value a stream ID may take (a 62-bit integer, RFC 9000 §2.1).
pub const MAX_STREAM_ID: u64 = (1 << 62) - 1;

/// The largest stream count `MAX_STREAMS` may carry (RFC 9000 §4.6, §19.11).
pub const MAX_STREAM_COUNT: u64 = 1 << 60;

/// The direction of a stream (RFC 9000 §2.1, bit 0x02 of the ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Both ends send.
    Bidi,
    /// Only the initiator sends.
    Uni,
}

/// A stream ID (RFC 9000 §2.1): bit 0x01 is the initiator (0 client, 1 server), bit 0x02
/// the direction (0 bidirectional, 1 unidirectional), the rest the stream's index among
/// the streams of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(u64);

impl StreamId {
    /// The ID with value `id`, or `None` above 2^62 - 1.
    pub fn from_u64(id: u64) -> Option<StreamId> {
        (id <= MAX_STREAM_ID).then_some(StreamId(id))
    }

    /// The `index`-th (from 0) stream of the kind `initiator`/`dir`, or `None` when the
    /// index is 2^60 or more.
    pub fn new(initiator: Side, dir: Dir, index: u64) -> Option<StreamId> {
        if index >= MAX_STREAM_COUNT {
            return None;
        }
        let low = u64::from(initiator == Side::Server) | (u64::from(dir == Dir::Uni) << 1);
        Some(StreamId((index << 2) | low))
    }

    /// The ID as an integer.
    pub fn get(self) -> u64 {
        self.0
    }

    /// Which side opened the stream.
    pub fn initiator(self) -> Side {
        if self.0 & 1 == 0 {
            Side::Client
        } else {
            Side::Server
        }
    }

    /// The stream's direction.
    pub fn dir(self) -> Dir {
        if self.0 & 2 == 0 { Dir::Bidi } else { Dir::Uni }
    }

    /// The stream's index among the streams of its kind (0 for the first).
    pub fn index(self) -> u64 {
        self.0 >> 2
    }

    /// Whether the endpoint on `local` may send on this stream (RFC 9000 §2.1: a
    /// unidirectional stream is send-only for its initiator).
    pub fn can_send(self, local: Side) -> bool {
        self.dir() == Dir::Bidi || self.initiator() == local
    }

    /// Whether the endpoint on `local` may receive on this stream.
    pub fn can_recv(self, local: Side) -> bool {
        self.dir() == Dir::Bidi || self.initiator() != local
    }

    /// Checks a stream ID carried by a frame the peer sent, at the endpoint on `local`.
    ///
    /// - `access`: what the frame does to us: [`Access::Recv`] for frames that carry or
    ///   end the peer's data (`STREAM`, `RESET_STREAM`, `STREAM_DATA_BLOCKED`),
    ///   [`Access::Send`] for frames about our sending (`MAX_STREAM_DATA`,
    ///   `STOP_SENDING`);
    /// - `local_opened`: how many streams of this ID's direction we have opened;
    /// - `peer_limit`: the stream count for this direction we last advertised to the peer
    ///   (`initial_max_streams_*` or `MAX_STREAMS`).
    ///
    /// Errors (RFC 9000 §19.4, §19.5, §19.8, §19.10, §19.13): a frame that needs the
    /// direction we do not have on this stream (data on our send-only stream,
    /// `MAX_STREAM_DATA` for a receive-only one) is `STREAM_STATE_ERROR`; one for a locally
    /// initiated stream we have not opened is `STREAM_STATE_ERROR`; one for a peer-initiated
    /// stream beyond our limit is `STREAM_LIMIT_ERROR` (§4.6).
    pub fn check_peer_frame(
        self,
        local: Side,
        access: Access,
        local_opened: u64,
        peer_limit: u64,
    ) -> Result<(), TransportError> {
        let allowed = match access {
            Access::Recv => self.can_recv(local),
            Access::Send => self.can_send(local),
        };
        if !allowed {
            return Err(TransportError::new(
                Code::STREAM_STATE_ERROR,
                "frame for a direction this stream does not have",
            ));
        }
        if self.initiator() == local {
            if self.index() >= local_opened {
                return Err(TransportError::new(
                    Code::STREAM_STATE_ERROR,
                    "frame for a locally initiated stream not yet opened",
                ));
            }
        } else if self.index() >= peer_limit {
            return Err(TransportError::new(
                Code::STREAM_LIMIT_ERROR,
                "stream ID beyond the advertised limit",
            ));
        }
        Ok(())
    }

    /// Whether we (on `local`) may open this stream given the peer's limit `peer_max`
    /// for its direction (RFC 9000 §4.6): only locally initiated streams below the limit.
    pub fn within_local_limit(self, local: Side, peer_max: u64) -> bool {
        self.initiator() == local && self.index() < peer_max
    }
}

/// What a peer's frame asks of a stream, for [`StreamId::check_peer_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The frame is about data the peer sends us.
    Recv,
    /// The frame is about data we send the peer.
    Send,
}

impl core::fmt::Display for StreamId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bits_of_rfc9000_table_1() {
        // RFC 9000 §2.1 Table 1.
        let c_bi = StreamId::new(Side::Client, Dir::Bidi, 0).unwrap();
        let s_bi = StreamId::new(Side::Server, Dir::Bidi, 0).unwrap();
        let c_uni = StreamId::new(Side::Client, Dir::Uni, 0).unwrap();
        let s_uni = StreamId::new(Side::Server, Dir::Uni, 0).unwrap();
        assert_eq!(
            [c_bi.get(), s_bi.get(), c_uni.get(), s_uni.get()],
            [0, 1, 2, 3]
        );
        let id = StreamId::new(Side::Server, Dir::Uni, 5).unwrap();
        assert_eq!(id.get(), 23);
        assert_eq!(id.index(), 5);
        assert_eq!(id.initiator(), Side::Server);
        assert_eq!(id.dir(), Dir::Uni);
        assert!(StreamId::new(Side::Client, Dir::Bidi, 1 << 60).is_none());
        let last = StreamId::new(Side::Server, Dir::Uni, (1 << 60) - 1).unwrap();
        assert_eq!(last.get(), MAX_STREAM_ID);
        assert!(StreamId::from_u64(MAX_STREAM_ID + 1).is_none());
    }

    #[test]
    fn directions() {
        let c_uni = StreamId::new(Side::Client, Dir::Uni, 0).unwrap();
        assert!(c_uni.can_send(Side::Client) && !c_uni.can_recv(Side::Client));
        assert!(!c_uni.can_send(Side::Server) && c_uni.can_recv(Side::Server));
        let bi = StreamId::new(Side::Client, Dir::Bidi, 0).unwrap();
        assert!(bi.can_send(Side::Server) && bi.can_recv(Side::Server));
    }

    #[test]
    fn peer_frame_checks() {
        // Server receives STREAM on a client uni stream: fine below the limit.
        let id = StreamId::new(Side::Client, Dir::Uni, 2).unwrap();
        assert!(
            id.check_peer_frame(Side::Server, Access::Recv, 0, 3)
                .is_ok()
        );
        let e = id
            .check_peer_frame(Side::Server, Access::Recv, 0, 2)
            .unwrap_err();
        assert_eq!(e.code, Code::STREAM_LIMIT_ERROR);
        // MAX_STREAM_DATA for a stream we only receive on.
        let e = id
            .check_peer_frame(Side::Server, Access::Send, 0, 3)
            .unwrap_err();
        assert_eq!(e.code, Code::STREAM_STATE_ERROR);
        // Data on our own send-only stream.
        let ours = StreamId::new(Side::Server, Dir::Uni, 0).unwrap();
        let e = ours
            .check_peer_frame(Side::Server, Access::Recv, 1, 0)
            .unwrap_err();
        assert_eq!(e.code, Code::STREAM_STATE_ERROR);
        // STOP_SENDING for our bidi stream not opened yet.
        let ours = StreamId::new(Side::Server, Dir::Bidi, 4).unwrap();
        let e = ours
            .check_peer_frame(Side::Server, Access::Send, 4, 0)
            .unwrap_err();
        assert_eq!(e.code, Code::STREAM_STATE_ERROR);
        assert!(
            ours.check_peer_frame(Side::Server, Access::Send, 5, 0)
                .is_ok()
        );
        assert!(ours.within_local_limit(Side::Server, 5));
        assert!(!ours.within_local_limit(Side::Server, 4));
        assert!(!ours.within_local_limit(Side::Client, 5));
    }
}
