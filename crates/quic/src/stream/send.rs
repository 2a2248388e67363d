//! The send side of a stream (RFC 9000 §2.2, §3.1, §3.5, §4.1): buffered application
//! data, chunks for `STREAM` frames (ranges declared lost first, then new data),
//! acknowledgement in any order, FIN, `RESET_STREAM` and the reaction to `STOP_SENDING`.
//!
//! The connection remembers which `(offset, len, fin)` each packet carried (the
//! [`Chunk`]s it took) and reports them back with [`SendBuffer::on_ack`] or
//! [`SendBuffer::on_lost`]; the buffer keeps only unacknowledged bytes, and frees a
//! prefix as soon as it is fully acknowledged.
//!
//! Writes are bounded by the configured buffer size and by the peer's stream credit
//! (`MAX_STREAM_DATA`): a write returns how many bytes it accepted. Connection-level
//! credit (`MAX_DATA`) is the connection's to apply when it takes new data.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::flow::SendCredit;
use super::ranges::RangeSet;

/// The send states of RFC 9000 §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendState {
    /// Opened; nothing written yet.
    Ready,
    /// Sending data.
    Send,
    /// FIN and all data have been sent; waiting for acknowledgements.
    DataSent,
    /// Everything, FIN included, was acknowledged.
    DataRecvd,
    /// `RESET_STREAM` was sent (or is to be sent).
    ResetSent,
    /// The `RESET_STREAM` was acknowledged.
    ResetRecvd,
}

/// Data for one `STREAM` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The offset of `data` in the stream.
    pub offset: u64,
    /// The bytes (a slice of what the application wrote; may be empty with `fin`).
    pub data: Bytes,
    /// Whether the frame ends the stream.
    pub fin: bool,
}

/// A stream's send buffer.
#[derive(Debug, Clone)]
pub struct SendBuffer {
    /// Unacknowledged written data at or above `base`, keyed by offset.
    data: BTreeMap<u64, Bytes>,
    /// Everything below is acknowledged and freed.
    base: u64,
    /// The end of written data.
    written: u64,
    /// The next offset never sent.
    next: u64,
    /// Ranges to retransmit.
    lost: RangeSet,
    /// Ranges acknowledged above `base`.
    acked: RangeSet,
    /// The most bytes held at once.
    max_buffer: u64,
    /// The peer's stream credit (`MAX_STREAM_DATA`).
    credit: SendCredit,
    fin: bool,
    fin_pending: bool,
    fin_acked: bool,
    state: SendState,
    reset_code: u64,
}

impl SendBuffer {
    /// A buffer holding at most `max_buffer` unacknowledged bytes, with the peer's
    /// initial stream limit `peer_limit` (its `initial_max_stream_data_*`).
    pub fn new(max_buffer: u64, peer_limit: u64) -> SendBuffer {
        SendBuffer {
            data: BTreeMap::new(),
            base: 0,
            written: 0,
            next: 0,
            lost: RangeSet::default(),
            acked: RangeSet::default(),
            max_buffer,
            credit: SendCredit::new(peer_limit),
            fin: false,
            fin_pending: false,
            fin_acked: false,
            state: SendState::Ready,
            reset_code: 0,
        }
    }

    /// The current send state.
    pub fn state(&self) -> SendState {
        self.state
    }

    /// Bytes held (written and not yet acknowledged).
    pub fn buffered(&self) -> u64 {
        self.written.saturating_sub(self.base)
    }

    /// Separate pieces held (0 once everything is acknowledged).
    pub fn pieces(&self) -> usize {
        self.data.len()
    }

    /// The end of written data.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends as much of `data` as the buffer size and the peer's credit allow; returns
    /// how many bytes were accepted (0 after FIN or a reset).
    pub fn write(&mut self, data: &Bytes) -> usize {
        if self.fin || !matches!(self.state, SendState::Ready | SendState::Send) {
            return 0;
        }
        let room = self.max_buffer.saturating_sub(self.buffered());
        let want = (data.len() as u64).min(room);
        let n = self.credit.consume(want);
        let n = usize::try_from(n).unwrap_or(0).min(data.len());
        if n == 0 {
            return 0;
        }
        self.data.insert(self.written, data.slice(..n));
        self.written = self.written.saturating_add(n as u64);
        self.state = SendState::Send;
        n
    }

    /// Ends the stream after the data written so far (FIN).
    pub fn finish(&mut self) {
        if matches!(self.state, SendState::Ready | SendState::Send) && !self.fin {
            self.fin = true;
            self.fin_pending = true;
            self.state = SendState::Send;
        }
    }

    /// Takes a `MAX_STREAM_DATA` from the peer (RFC 9000 §19.10; a lower value is
    /// ignored). Returns whether the limit grew.
    pub fn set_peer_limit(&mut self, limit: u64) -> bool {
        self.credit.update_limit(limit)
    }

    /// The limit for a `STREAM_DATA_BLOCKED` frame when writes are blocked by the peer's
    /// credit, once per limit value (RFC 9000 §19.13).
    pub fn poll_blocked(&mut self) -> Option<u64> {
        self.credit.poll_blocked()
    }

    /// How many more bytes the peer's stream credit allows.
    pub fn credit_available(&self) -> u64 {
        self.credit.available()
    }

    /// The peer's stream limit (`MAX_STREAM_DATA`).
    pub fn peer_limit(&self) -> u64 {
        self.credit.limit()
    }

    /// How many more bytes [`SendBuffer::write`] would accept: buffer room and stream
    /// credit, 0 once finished or reset.
    pub fn writable(&self) -> u64 {
        if self.fin || !matches!(self.state, SendState::Ready | SendState::Send) {
            return 0;
        }
        self.max_buffer
            .saturating_sub(self.buffered())
            .min(self.credit.available())
    }

    /// The offset of the chunk [`SendBuffer::poll_chunk`] would return next, so that a
    /// caller can size the frame header before taking it.
    pub fn peek_offset(&self) -> Option<u64> {
        if !self.has_pending() {
            return None;
        }
        Some(match self.lost.first() {
            Some(range) => range.start,
            None if self.next < self.written => self.next,
            None => self.written,
        })
    }

    /// Whether [`SendBuffer::poll_chunk`] has something to give.
    pub fn has_pending(&self) -> bool {
        matches!(self.state, SendState::Send)
            && (!self.lost.is_empty() || self.next < self.written || self.fin_pending)
    }

    /// The bytes at `offset` up to `end` within one stored piece, at most `max` long.
    fn slice_at(&self, offset: u64, end: u64, max: usize) -> Option<Bytes> {
        let (&start, piece) = self.data.range(..=offset).next_back()?;
        let from = usize::try_from(offset.checked_sub(start)?).ok()?;
        let to_piece = piece.len();
        let to_end = usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX);
        let to = to_piece.min(to_end).min(from.saturating_add(max));
        (from < to).then(|| piece.slice(from..to))
    }

    /// The next chunk to send, its data at most `max_len` bytes: lost ranges first, then
    /// new data, then a FIN alone. The caller records it against the packet.
    pub fn poll_chunk(&mut self, max_len: usize) -> Option<Chunk> {
        if self.state != SendState::Send {
            return None;
        }
        while let Some(range) = self.lost.first() {
            let Some(data) = self.slice_at(range.start, range.end, max_len) else {
                // Nothing stored there (acknowledged meanwhile, or no room): drop it
                // unless the caller simply has no room.
                if max_len == 0 {
                    return None;
                }
                self.lost.pop_first();
                continue;
            };
            let end = range.start.saturating_add(data.len() as u64);
            self.lost.remove(range.start..end);
            return Some(self.chunk(range.start, data));
        }
        if self.next < self.written {
            let data = self.slice_at(self.next, self.written, max_len)?;
            let offset = self.next;
            self.next = offset.saturating_add(data.len() as u64);
            return Some(self.chunk(offset, data));
        }
        if self.fin_pending {
            return Some(self.chunk(self.written, Bytes::new()));
        }
        None
    }

    /// Builds a chunk, attaching the FIN when it ends at the final size and is due.
    fn chunk(&mut self, offset: u64, data: Bytes) -> Chunk {
        let end = offset.saturating_add(data.len() as u64);
        let fin = self.fin_pending && end == self.written && self.next == self.written;
        if fin {
            self.fin_pending = false;
        }
        if self.fin && !self.fin_pending && self.next == self.written && self.lost.is_empty() {
            self.state = SendState::DataSent;
        }
        Chunk { offset, data, fin }
    }

    /// The peer acknowledged `len` bytes at `offset` (and the FIN with `fin`).
    pub fn on_ack(&mut self, offset: u64, len: u64, fin: bool) {
        if !matches!(self.state, SendState::Send | SendState::DataSent) {
            return;
        }
        let end = offset.saturating_add(len).min(self.written);
        let start = offset.max(self.base);
        if start < end {
            self.acked.insert(start..end);
            self.lost.remove(start..end);
        }
        if fin {
            self.fin_acked = true;
            self.fin_pending = false;
        }
        while let Some(r) = self.acked.first() {
            if r.start > self.base {
                break;
            }
            self.base = self.base.max(r.end);
            self.acked.pop_first();
        }
        self.free_below_base();
        self.settle();
    }

    /// Moves between Send, Data Sent and Data Recvd after an ack or a loss: a loss of a
    /// range acknowledged meanwhile (by another copy) must not leave the stream waiting.
    fn settle(&mut self) {
        if !matches!(self.state, SendState::Send | SendState::DataSent) || !self.fin {
            return;
        }
        if self.fin_acked && self.base == self.written {
            self.state = SendState::DataRecvd;
            self.lost.clear();
            self.fin_pending = false;
        } else if self.lost.is_empty() && !self.fin_pending && self.next == self.written {
            self.state = SendState::DataSent;
        } else {
            self.state = SendState::Send;
        }
    }

    /// Drops stored pieces wholly below `base` and trims the one straddling it.
    fn free_below_base(&mut self) {
        while let Some(entry) = self.data.first_entry() {
            let start = *entry.key();
            let end = start.saturating_add(entry.get().len() as u64);
            if end <= self.base {
                entry.remove();
            } else if start < self.base {
                let mut piece = entry.remove();
                let cut = usize::try_from(self.base.saturating_sub(start)).unwrap_or(0);
                let rest = piece.split_off(cut.min(piece.len()));
                self.data.insert(self.base, rest);
                break;
            } else {
                break;
            }
        }
    }

    /// The packet that carried `len` bytes at `offset` (and the FIN with `fin`) was
    /// declared lost: the unacknowledged part is queued for retransmission.
    pub fn on_lost(&mut self, offset: u64, len: u64, fin: bool) {
        if !matches!(self.state, SendState::Send | SendState::DataSent) {
            return;
        }
        let end = offset.saturating_add(len).min(self.written);
        let start = offset.max(self.base);
        if start < end {
            self.lost.insert(start..end);
            let mut acked = self.acked.clone();
            while let Some(r) = acked.pop_first() {
                self.lost.remove(r);
            }
        }
        if fin && !self.fin_acked {
            self.fin_pending = true;
        }
        self.settle();
    }

    /// Queues everything sent and not yet acknowledged to be sent again, ahead of new
    /// data: what a PTO probe should carry when the peer may lack it (RFC 9002 §6.2.4).
    pub fn retransmit_unacked(&mut self) {
        let len = self.next.saturating_sub(self.base);
        self.on_lost(self.base, len, false);
    }

    /// Abandons the stream with application error `code` (RFC 9000 §3.1, §19.4): frees
    /// all data and returns the final size for the `RESET_STREAM` frame (the highest
    /// offset sent), or `None` when the stream is already finished or reset.
    pub fn reset(&mut self, code: u64) -> Option<u64> {
        if matches!(
            self.state,
            SendState::DataRecvd | SendState::ResetSent | SendState::ResetRecvd
        ) {
            return None;
        }
        self.state = SendState::ResetSent;
        self.reset_code = code;
        self.data.clear();
        self.lost.clear();
        self.acked.clear();
        self.fin_pending = false;
        self.base = self.next;
        self.written = self.next;
        Some(self.next)
    }

    /// The final size and code to put in a `RESET_STREAM` (also to resend one that was
    /// lost), once reset.
    pub fn reset_frame(&self) -> Option<(u64, u64)> {
        matches!(self.state, SendState::ResetSent).then_some((self.next, self.reset_code))
    }

    /// The `RESET_STREAM` was acknowledged.
    pub fn on_reset_acked(&mut self) {
        if self.state == SendState::ResetSent {
            self.state = SendState::ResetRecvd;
        }
    }

    /// The peer sent `STOP_SENDING` with `code` (RFC 9000 §3.5): the stream is reset
    /// with the same code, returning the final size as [`SendBuffer::reset`] does.
    pub fn on_stop_sending(&mut self, code: u64) -> Option<u64> {
        self.reset(code)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;

    #[test]
    fn write_bounded_by_buffer_and_credit() {
        let mut s = SendBuffer::new(10, 6);
        assert_eq!(s.state(), SendState::Ready);
        assert_eq!(s.write(&Bytes::from_static(b"abcdefgh")), 6);
        assert_eq!(s.poll_blocked(), Some(6));
        assert_eq!(s.poll_blocked(), None);
        assert!(s.set_peer_limit(100));
        assert_eq!(s.write(&Bytes::from_static(b"ghijklmn")), 4);
        assert_eq!(s.buffered(), 10);
        let c = s.poll_chunk(100).unwrap();
        assert_eq!((c.offset, &c.data[..], c.fin), (0, &b"abcdef"[..], false));
        s.on_ack(0, 6, false);
        assert_eq!(s.buffered(), 4);
        assert_eq!(s.write(&Bytes::from_static(b"opqrstuvwxyz")), 6);
    }

    #[test]
    fn lost_first_then_new_then_ack_frees_all() {
        let mut s = SendBuffer::new(1000, 1000);
        let data: Vec<u8> = (0u8..=255).cycle().take(300).collect();
        assert_eq!(s.write(&Bytes::from(data.clone())), 300);
        s.finish();
        let mut sent = Vec::new();
        while let Some(c) = s.poll_chunk(70) {
            sent.push(c);
        }
        assert_eq!(sent.len(), 5);
        assert!(sent[4].fin && sent[4].offset == 280);
        assert_eq!(s.state(), SendState::DataSent);
        // Ack out of order, lose two packets.
        s.on_ack(sent[3].offset, sent[3].data.len() as u64, false);
        s.on_lost(sent[1].offset, sent[1].data.len() as u64, false);
        s.on_lost(sent[4].offset, sent[4].data.len() as u64, true);
        assert_eq!(s.state(), SendState::Send);
        s.on_ack(sent[0].offset, sent[0].data.len() as u64, false);
        // Retransmissions: lost ranges, lowest first, in pieces of 50.
        let mut re = Vec::new();
        while let Some(c) = s.poll_chunk(50) {
            re.push(c);
        }
        let ranges: Vec<(u64, usize, bool)> =
            re.iter().map(|c| (c.offset, c.data.len(), c.fin)).collect();
        assert_eq!(
            ranges,
            vec![(70, 50, false), (120, 20, false), (280, 20, true)]
        );
        for c in &re {
            assert_eq!(
                &c.data[..],
                &data[c.offset as usize..c.offset as usize + c.data.len()]
            );
        }
        s.on_ack(sent[2].offset, sent[2].data.len() as u64, false);
        for c in &re {
            s.on_ack(c.offset, c.data.len() as u64, c.fin);
        }
        assert_eq!(s.state(), SendState::DataRecvd);
        assert_eq!(s.buffered(), 0);
        assert_eq!(s.pieces(), 0);
        assert!(s.poll_chunk(100).is_none());
    }

    proptest::proptest! {
        /// Any pattern of losses and out-of-order acks: the receiver reassembles the
        /// original bytes, and once everything is acknowledged no memory is held.
        #[test]
        fn lossy_transfer_delivers_and_frees(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..2000),
            fates in proptest::collection::vec(0u8..4, 1..64),
            sizes in proptest::collection::vec(1usize..300, 1..16),
        ) {
            use super::super::recv::{Read, RecvBuffer};
            let total = data.len() as u64;
            let mut s = SendBuffer::new(512, total);
            let mut r = RecvBuffer::new(total, 10_000);
            let src = Bytes::from(data.clone());
            let mut at = 0usize;
            let mut in_flight: Vec<Chunk> = Vec::new();
            let mut out = Vec::new();
            let mut step = 0usize;
            while s.state() != SendState::DataRecvd {
                step += 1;
                proptest::prop_assert!(step < 100_000);
                if at < src.len() {
                    at += s.write(&src.slice(at..));
                    if at == src.len() {
                        s.finish();
                    }
                }
                while let Some(c) = s.poll_chunk(sizes[step % sizes.len()]) {
                    in_flight.push(c);
                }
                // Settle the in-flight chunks: lose, ack, or ack later (reordering).
                let mut later = Vec::new();
                for (i, c) in in_flight.drain(..).enumerate() {
                    let len = c.data.len() as u64;
                    match fates[(i + step) % fates.len()] {
                        0 if step < 50 => s.on_lost(c.offset, len, c.fin),
                        1 if step < 50 => later.push(c),
                        _ => {
                            r.insert(c.offset, c.data.clone(), c.fin).unwrap();
                            s.on_ack(c.offset, len, c.fin);
                        }
                    }
                }
                in_flight = later;
                while let Read::Data(d) = r.read(usize::MAX) {
                    out.extend_from_slice(&d);
                }
            }
            proptest::prop_assert_eq!(r.read(1), Read::Finished);
            proptest::prop_assert_eq!(out, data);
            proptest::prop_assert_eq!(s.buffered(), 0);
            proptest::prop_assert_eq!(s.pieces(), 0);
        }
    }

    #[test]
    fn ack_of_a_copy_declared_lost() {
        let mut s = SendBuffer::new(100, 100);
        s.write(&Bytes::from_static(b"abcdef"));
        s.finish();
        let c = s.poll_chunk(100).unwrap();
        assert!(c.fin);
        s.on_lost(0, 6, true);
        assert_eq!(s.state(), SendState::Send);
        let again = s.poll_chunk(100).unwrap();
        assert_eq!((again.offset, again.data.len(), again.fin), (0, 6, true));
        // The first copy's ack arrives late, then the second copy is declared lost.
        s.on_ack(0, 6, true);
        s.on_lost(0, 6, true);
        assert_eq!(s.state(), SendState::DataRecvd);
        assert!(s.poll_chunk(100).is_none());
        assert_eq!(s.pieces(), 0);

        // A lost range acked through another copy before being resent.
        let mut s = SendBuffer::new(100, 100);
        s.write(&Bytes::from_static(b"abcdef"));
        s.finish();
        s.poll_chunk(3).unwrap();
        s.poll_chunk(100).unwrap();
        s.on_lost(0, 3, false);
        s.on_ack(0, 3, false);
        assert_eq!(s.state(), SendState::DataSent);
        assert!(s.poll_chunk(100).is_none());
        s.on_ack(3, 3, true);
        assert_eq!(s.state(), SendState::DataRecvd);
    }

    #[test]
    fn fin_alone_and_reset() {
        let mut s = SendBuffer::new(100, 100);
        s.write(&Bytes::from_static(b"abc"));
        let c = s.poll_chunk(10).unwrap();
        assert!(!c.fin);
        s.finish();
        assert_eq!(s.write(&Bytes::from_static(b"x")), 0);
        let c = s.poll_chunk(10).unwrap();
        assert_eq!((c.offset, c.data.len(), c.fin), (3, 0, true));

        let mut s = SendBuffer::new(100, 100);
        s.write(&Bytes::from_static(b"abcdef"));
        s.poll_chunk(4).unwrap();
        assert_eq!(s.on_stop_sending(9), Some(4));
        assert_eq!(s.state(), SendState::ResetSent);
        assert_eq!(s.reset_frame(), Some((4, 9)));
        assert_eq!(s.buffered(), 0);
        assert!(s.poll_chunk(10).is_none());
        assert_eq!(s.reset(1), None);
        s.on_reset_acked();
        assert_eq!(s.state(), SendState::ResetRecvd);
    }
}
