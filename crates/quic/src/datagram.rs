//! The DATAGRAM queues of one connection (RFC 9221): bounded in count and bytes both
//! ways, with a choice of what a full send queue does. Datagrams are never retransmitted
//! (RFC 9221 §5): one that cannot be sent is dropped and counted.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::TransportError;
use crate::frame::{FrameType, write_datagram};

/// What a full send queue does with a new datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DropPolicy {
    /// Drop the oldest queued datagrams to make room (the freshest data wins, as
    /// real-time media wants).
    #[default]
    DropOldest,
    /// Refuse the new datagram with [`DatagramError::QueueFull`].
    Refuse,
}

/// The limits of a connection's DATAGRAM support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatagramConfig {
    /// What we advertise in `max_datagram_frame_size` (RFC 9221 §3): the largest
    /// DATAGRAM frame we accept, type and length included. `None` (or 0): we do not
    /// accept DATAGRAM frames.
    pub max_frame_size: Option<u64>,
    /// Most datagrams received and not yet read; the oldest is dropped beyond.
    pub recv_queue: usize,
    /// Most payload bytes received and not yet read; the oldest is dropped beyond.
    pub recv_bytes: usize,
    /// Most datagrams waiting to be sent.
    pub send_queue: usize,
    /// Most payload bytes waiting to be sent.
    pub send_bytes: usize,
    /// What a full send queue does with a new datagram.
    pub send_policy: DropPolicy,
}

impl Default for DatagramConfig {
    /// Accept frames of up to 65535 bytes, queue 64 datagrams or 256 KiB each way, and
    /// drop the oldest when the send queue is full.
    fn default() -> Self {
        Self {
            max_frame_size: Some(65535),
            recv_queue: 64,
            recv_bytes: 256 * 1024,
            send_queue: 64,
            send_bytes: 256 * 1024,
            send_policy: DropPolicy::DropOldest,
        }
    }
}

/// Why a datagram could not be queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DatagramError {
    /// The peer did not advertise `max_datagram_frame_size` (RFC 9221 §3).
    #[error("the peer does not accept DATAGRAM frames")]
    Disabled,
    /// The datagram is larger than the peer accepts or one packet holds.
    #[error("datagram larger than the {max} bytes that can be sent")]
    TooLarge {
        /// The largest payload that can be sent now (see [`Datagrams::max_send_size`]).
        max: usize,
    },
    /// The send queue is full and the policy is [`DropPolicy::Refuse`], or the datagram
    /// alone exceeds the queue's byte limit.
    #[error("the datagram send queue is full")]
    QueueFull,
}

/// Counters of a connection's datagrams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DatagramStats {
    /// Datagrams written into packets.
    pub sent: u64,
    /// Datagrams received from the peer.
    pub received: u64,
    /// Queued datagrams dropped to make room for newer ones.
    pub dropped_send: u64,
    /// Received datagrams dropped unread because the receive queue was full.
    pub dropped_recv: u64,
    /// Queued datagrams dropped because they no longer fit a packet (the path shrank).
    pub dropped_too_large: u64,
}

/// A bounded FIFO of datagrams, limited in count and bytes.
#[derive(Debug, Clone, Default)]
struct Queue {
    items: VecDeque<Bytes>,
    bytes: usize,
}

impl Queue {
    fn fits(&self, len: usize, max_count: usize, max_bytes: usize) -> bool {
        self.items.len() < max_count && self.bytes.saturating_add(len) <= max_bytes
    }

    fn push(&mut self, data: Bytes) {
        self.bytes = self.bytes.saturating_add(data.len());
        self.items.push_back(data);
    }

    fn pop(&mut self) -> Option<Bytes> {
        let d = self.items.pop_front()?;
        self.bytes = self.bytes.saturating_sub(d.len());
        Some(d)
    }
}

/// The DATAGRAM state of one connection (RFC 9221): what we accept, what the peer
/// accepts, and the queues between the application and the packets.
///
/// ```
/// use bytes::Bytes;
/// use stator_quic::{DatagramConfig, Datagrams};
///
/// let mut d = Datagrams::new(DatagramConfig::default());
/// d.set_peer_max_frame_size(Some(1200));
/// assert_eq!(d.max_send_size(1100), Some(1097)); // 1 type byte + 2 length bytes
/// d.send(Bytes::from_static(b"ping"), 1100)?;
/// let mut packet = Vec::new();
/// assert_eq!(d.write(&mut packet, 1100, 1100), (6, 1));
/// assert_eq!(packet, b"\x31\x04ping");
/// # Ok::<(), stator_quic::DatagramError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Datagrams {
    config: DatagramConfig,
    peer_max: Option<u64>,
    send: Queue,
    recv: Queue,
    stats: DatagramStats,
}

impl Datagrams {
    /// Queues with the limits of `config`; the peer accepts nothing until
    /// [`set_peer_max_frame_size`](Self::set_peer_max_frame_size).
    pub fn new(config: DatagramConfig) -> Self {
        Self {
            config,
            peer_max: None,
            send: Queue::default(),
            recv: Queue::default(),
            stats: DatagramStats::default(),
        }
    }

    /// The peer's `max_datagram_frame_size` transport parameter; `None` or 0 when it
    /// does not accept DATAGRAM frames (RFC 9221 §3).
    pub fn set_peer_max_frame_size(&mut self, max: Option<u64>) {
        self.peer_max = max.filter(|&m| m > 0);
    }

    /// The largest payload [`send`](Self::send) takes: the frame (type, Length and
    /// payload) must fit both the peer's `max_datagram_frame_size` (RFC 9221 §3) and
    /// `max_packet_payload`, the room for frames in one packet on the current path.
    /// `None` when the peer does not accept DATAGRAM frames or not even an empty one
    /// fits.
    pub fn max_send_size(&self, max_packet_payload: usize) -> Option<usize> {
        let peer = usize::try_from(self.peer_max?).unwrap_or(usize::MAX);
        max_payload(peer.min(max_packet_payload))
    }

    /// Queues `data` for sending as one DATAGRAM frame.
    ///
    /// # Errors
    /// [`DatagramError::Disabled`] if the peer does not accept datagrams,
    /// [`DatagramError::TooLarge`] beyond [`max_send_size`](Self::max_send_size),
    /// [`DatagramError::QueueFull`] when the queue is full under
    /// [`DropPolicy::Refuse`] or the datagram alone exceeds `send_bytes`. Under
    /// [`DropPolicy::DropOldest`] the oldest datagrams are dropped (and counted) to make
    /// room.
    pub fn send(&mut self, data: Bytes, max_packet_payload: usize) -> Result<(), DatagramError> {
        if self.peer_max.is_none() {
            return Err(DatagramError::Disabled);
        }
        match self.max_send_size(max_packet_payload) {
            Some(max) if data.len() <= max => {}
            max => {
                return Err(DatagramError::TooLarge {
                    max: max.unwrap_or(0),
                });
            }
        }
        let (count, bytes) = (self.config.send_queue, self.config.send_bytes);
        if count == 0 || data.len() > bytes {
            return Err(DatagramError::QueueFull);
        }
        if !self.send.fits(data.len(), count, bytes) {
            match self.config.send_policy {
                DropPolicy::Refuse => return Err(DatagramError::QueueFull),
                DropPolicy::DropOldest => {
                    while !self.send.fits(data.len(), count, bytes) && self.send.pop().is_some() {
                        self.stats.dropped_send = self.stats.dropped_send.saturating_add(1);
                    }
                }
            }
        }
        self.send.push(data);
        Ok(())
    }

    /// A DATAGRAM frame received with payload `data`; `frame_len` is the whole frame's
    /// encoded length (type and Length included), which tells its type: 0x30 when it is
    /// `data` plus the type byte, 0x31 otherwise. A full receive queue drops its oldest
    /// datagrams (counted).
    ///
    /// # Errors
    /// `PROTOCOL_VIOLATION` naming the frame type when we do not accept DATAGRAM frames
    /// or the frame is larger than we advertised (RFC 9221 §3).
    pub fn on_frame(&mut self, data: Bytes, frame_len: usize) -> Result<(), TransportError> {
        let ty = if frame_len == data.len().saturating_add(1) {
            FrameType::DATAGRAM
        } else {
            FrameType::DATAGRAM_LEN
        };
        let Some(max) = self.config.max_frame_size.filter(|&m| m > 0) else {
            return Err(TransportError::protocol("DATAGRAM frame not advertised").in_frame(ty.0));
        };
        if u64::try_from(frame_len).unwrap_or(u64::MAX) > max {
            return Err(TransportError::protocol(
                "DATAGRAM frame larger than max_datagram_frame_size",
            )
            .in_frame(ty.0));
        }
        self.stats.received = self.stats.received.saturating_add(1);
        let (count, bytes) = (self.config.recv_queue, self.config.recv_bytes);
        if count == 0 || data.len() > bytes {
            self.stats.dropped_recv = self.stats.dropped_recv.saturating_add(1);
            return Ok(());
        }
        while !self.recv.fits(data.len(), count, bytes) && self.recv.pop().is_some() {
            self.stats.dropped_recv = self.stats.dropped_recv.saturating_add(1);
        }
        self.recv.push(data);
        Ok(())
    }

    /// The oldest received datagram not yet read.
    pub fn recv(&mut self) -> Option<Bytes> {
        self.recv.pop()
    }

    /// Whether datagrams wait to be sent.
    pub fn has_pending(&self) -> bool {
        !self.send.items.is_empty()
    }

    /// Writes queued datagrams, oldest first, as DATAGRAM frames with a Length field
    /// (type 0x31, so other frames may follow) into `buf`, as many as fit `room` bytes;
    /// returns the bytes written and the number of frames. A queued datagram that no
    /// longer fits any packet (`max_packet_payload` shrank, see
    /// [`max_send_size`](Self::max_send_size)) is dropped and counted: datagrams are
    /// not retransmitted nor split (RFC 9221 §5).
    pub fn write(
        &mut self,
        buf: &mut Vec<u8>,
        room: usize,
        max_packet_payload: usize,
    ) -> (usize, usize) {
        let max = self.max_send_size(max_packet_payload);
        let (mut written, mut frames) = (0usize, 0usize);
        while let Some(front) = self.send.items.front() {
            if max.is_none_or(|m| front.len() > m) {
                self.send.pop();
                self.stats.dropped_too_large = self.stats.dropped_too_large.saturating_add(1);
                continue;
            }
            let left = room.saturating_sub(written);
            let Some(n) = write_datagram(buf, left, front, true) else {
                break;
            };
            self.send.pop();
            written = written.saturating_add(n);
            frames = frames.saturating_add(1);
            self.stats.sent = self.stats.sent.saturating_add(1);
        }
        (written, frames)
    }

    /// The counters so far.
    pub fn stats(&self) -> DatagramStats {
        self.stats
    }
}

/// The largest payload whose DATAGRAM frame with a Length field (1 type byte, a varint
/// length, the payload) fits `limit` bytes.
fn max_payload(limit: usize) -> Option<usize> {
    // For each size of the Length varint, the largest payload it can carry that fits;
    // the best of them.
    [
        (1usize, 63u64),
        (2, 16_383),
        (4, (1 << 30) - 1),
        (8, stator_wire::varint::MAX),
    ]
    .into_iter()
    .filter_map(|(len_len, most)| {
        let room = limit.checked_sub(len_len)?.checked_sub(1)?;
        Some(room.min(usize::try_from(most).unwrap_or(usize::MAX)))
    })
    .max()
}

#[cfg(test)]
mod tests;
