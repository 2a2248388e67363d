//! One packet number space of a connection (RFC 9000 §12.3) and what a sent packet
//! carried.

use std::time::Duration;

use super::TransportConfig;
use crate::Space;
use crate::cids::CidSent;
use crate::crypto::Keys;
use crate::recovery::{Probe, ReceivedPackets};
use crate::stream::{RecvBuffer, SendBuffer, Sent};

/// CRYPTO data a level may hold unacknowledged: TLS' own output, never the peer's.
const CRYPTO_SEND_BUFFER: u64 = 1 << 24;
/// Reassembly fragments per CRYPTO stream.
const CRYPTO_SEGMENTS: usize = 64;

/// The state of one packet number space.
#[derive(Debug)]
pub(super) struct PacketSpace {
    /// Keys of the Initial and Handshake levels (the data space keeps its keys in
    /// `Connection::one_rtt`).
    pub(super) keys: Option<Keys>,
    /// Whether the keys were discarded (RFC 9001 §4.9): nothing more is sent or opened.
    pub(super) discarded: bool,
    /// The next packet number to send.
    pub(super) next_pn: u64,
    /// Received packet numbers and the ACK schedule.
    pub(super) received: ReceivedPackets,
    /// The outgoing CRYPTO stream.
    pub(super) crypto_send: SendBuffer,
    /// The incoming CRYPTO stream.
    pub(super) crypto_recv: RecvBuffer,
    /// Probe packets owed after a PTO (RFC 9002 §6.2.4).
    pub(super) probes: u8,
}

impl PacketSpace {
    pub(super) fn new(config: &TransportConfig, max_ack_delay: Duration) -> PacketSpace {
        PacketSpace {
            keys: None,
            discarded: false,
            next_pn: 0,
            received: ReceivedPackets::new(
                config.max_ack_ranges,
                config.ack_eliciting_threshold,
                max_ack_delay,
            ),
            crypto_send: SendBuffer::new(CRYPTO_SEND_BUFFER, u64::MAX),
            crypto_recv: RecvBuffer::new(config.max_crypto_buffer, CRYPTO_SEGMENTS),
            probes: 0,
        }
    }

    /// Whether packets of this space can be sent (keys present, not discarded). The
    /// data space answers for its keys separately.
    pub(super) fn can_send(&self) -> bool {
        self.keys.is_some() && !self.discarded
    }

    /// Forgets the keys (RFC 9001 §4.9) and everything buffered for the space: nothing
    /// of it is sent or read again.
    pub(super) fn discard(&mut self) {
        self.keys = None;
        self.discarded = true;
        self.probes = 0;
        self.crypto_send = SendBuffer::new(0, 0);
        self.crypto_recv = RecvBuffer::new(0, 1);
        self.received = ReceivedPackets::new(1, 1, Duration::ZERO);
    }
}

/// What one sent packet carried that matters when it is acknowledged or lost.
#[derive(Debug, Default, Clone)]
pub(crate) struct SentFrames {
    /// The Largest Acknowledged of an ACK frame it carried (RFC 9000 §13.2.4).
    pub(super) ack_largest: Option<u64>,
    /// CRYPTO ranges (offset, length).
    pub(super) crypto: Vec<(u64, u64)>,
    /// Stream frames and stream-related control frames.
    pub(super) streams: StreamsSent,
    /// `NEW_CONNECTION_ID` frames.
    pub(super) local_cids: Vec<CidSent>,
    /// `RETIRE_CONNECTION_ID` frames.
    pub(super) remote_cids: Vec<CidSent>,
    /// `HANDSHAKE_DONE`.
    pub(super) handshake_done: bool,
    /// `NEW_TOKEN`.
    pub(super) new_token: bool,
}

/// The three spaces, indexed by [`Space`].
#[derive(Debug)]
pub(super) struct Spaces {
    pub(super) initial: PacketSpace,
    pub(super) handshake: PacketSpace,
    pub(super) data: PacketSpace,
}

impl Spaces {
    pub(super) fn iter(&self) -> impl Iterator<Item = &PacketSpace> {
        [&self.initial, &self.handshake, &self.data].into_iter()
    }
}

impl std::ops::Index<Space> for Spaces {
    type Output = PacketSpace;

    fn index(&self, space: Space) -> &PacketSpace {
        match space {
            Space::Initial => &self.initial,
            Space::Handshake => &self.handshake,
            Space::Data => &self.data,
        }
    }
}

impl std::ops::IndexMut<Space> for Spaces {
    fn index_mut(&mut self, space: Space) -> &mut PacketSpace {
        match space {
            Space::Initial => &mut self.initial,
            Space::Handshake => &mut self.handshake,
            Space::Data => &mut self.data,
        }
    }
}

/// The space a probe goes to and how many packets.
pub(super) fn probe_target(probe: Probe) -> (Space, u8) {
    (probe.space, probe.count)
}

/// The stream records of one sent packet. A bulk packet carries exactly one `STREAM`
/// frame, so the first record is kept inline and only further ones go to the heap:
/// sending a packet allocates nothing (a `Vec` here cost one allocation and one free
/// per packet).
#[derive(Debug, Default, Clone)]
pub(crate) struct StreamsSent {
    first: Option<Sent>,
    more: Vec<Sent>,
}

impl StreamsSent {
    /// Takes the records the stream table wrote into `scratch` (left empty, its
    /// capacity kept for the next packet).
    pub(super) fn take(scratch: &mut Vec<Sent>) -> StreamsSent {
        let mut records = scratch.drain(..);
        let first = records.next();
        // An empty remainder collects into a `Vec` without allocating.
        let more = records.collect();
        StreamsSent { first, more }
    }
}

impl<'a> IntoIterator for &'a StreamsSent {
    type Item = &'a Sent;
    type IntoIter = std::iter::Chain<std::option::Iter<'a, Sent>, std::slice::Iter<'a, Sent>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.iter().chain(self.more.iter())
    }
}
