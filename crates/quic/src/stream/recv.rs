//! The receive side of a stream (RFC 9000 §2.2, §3.2, §4.5): reassembly of `STREAM`
//! data arriving out of order and duplicated, in-order delivery, the final size.
//!
//! Overlapping data: the first copy received wins and later copies of the same offsets
//! are dropped without comparing them (RFC 9000 §2.2 lets an endpoint check that data at
//! an offset does not change but does not require it; checking would cost a comparison
//! of every retransmitted byte).
//!
//! Bounds: data past the flow-control limit set with [`RecvBuffer::set_limit`] is
//! `FLOW_CONTROL_ERROR`, so buffered bytes never exceed the window; the number of
//! separate pieces held (each a `Bytes` slice of a received frame, kept zero-copy) is
//! capped by `max_segments`: when a frame would exceed it, adjacent pieces are first
//! merged (copied into one), so the cap bounds the separate runs, not the frames; a frame
//! that still exceeds it is reported as `FLOW_CONTROL_ERROR` (reason "too many stream
//! fragments"): a peer that fragments its data that finely is abusing our buffer, and
//! the code names the resource it exhausted.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::{Code, TransportError};

/// Merged pieces grow to at least this size (see `RecvBuffer::coalesce`).
const MIN_MERGED_PIECE: u64 = 64 * 1024;

/// The largest offset a stream may reach (RFC 9000 §19.8: 2^62 - 1).
const MAX_OFFSET: u64 = (1 << 62) - 1;

/// The receive states of RFC 9000 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvState {
    /// Receiving; the final size is unknown.
    Recv,
    /// A FIN arrived; data is missing below the final size.
    SizeKnown,
    /// All data up to the final size has arrived; the application has not read it all.
    DataRecvd,
    /// The peer reset the stream; the application has not been told yet.
    ResetRecvd,
    /// The application read all data and the end of the stream.
    DataRead,
    /// The application was told of the reset.
    ResetRead,
}

/// What [`RecvBuffer::read`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// The next bytes of the stream, in order.
    Data(Bytes),
    /// Nothing to read until more data arrives.
    Blocked,
    /// The stream ended: every byte was read.
    Finished,
    /// The peer reset the stream with this application error code.
    Reset(u64),
}

/// A stream's receive buffer.
#[derive(Debug, Clone)]
pub struct RecvBuffer {
    /// Disjoint pieces at or above `read`, keyed by offset.
    segments: BTreeMap<u64, Bytes>,
    /// Bytes delivered to the application so far (the next offset to read).
    read: u64,
    /// The highest offset received (end of the furthest frame).
    max_received: u64,
    /// The final size, once known (FIN or `RESET_STREAM`).
    final_size: Option<u64>,
    /// The flow-control limit (`MAX_STREAM_DATA` we advertised).
    limit: u64,
    /// The most pieces held at once.
    max_segments: usize,
    /// Bytes currently buffered.
    buffered: u64,
    state: RecvState,
    reset_code: u64,
}

impl RecvBuffer {
    /// A buffer that accepts data up to offset `limit` (the initial `MAX_STREAM_DATA`)
    /// holding at most `max_segments` separate pieces.
    pub fn new(limit: u64, max_segments: usize) -> RecvBuffer {
        RecvBuffer {
            segments: BTreeMap::new(),
            read: 0,
            max_received: 0,
            final_size: None,
            limit,
            max_segments,
            buffered: 0,
            state: RecvState::Recv,
            reset_code: 0,
        }
    }

    /// Raises the flow-control limit after we sent `MAX_STREAM_DATA` (never lowers it).
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = self.limit.max(limit);
    }

    /// The current receive state.
    pub fn state(&self) -> RecvState {
        self.state
    }

    /// The final size, once known.
    pub fn final_size(&self) -> Option<u64> {
        self.final_size
    }

    /// Bytes delivered to the application.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The highest offset received: the stream's flow-control credit consumed (§4.1).
    pub fn max_received(&self) -> u64 {
        self.max_received
    }

    /// Bytes held, waiting to be read.
    pub fn buffered(&self) -> u64 {
        self.buffered
    }

    /// Whether [`RecvBuffer::read`] would return something other than
    /// [`Read::Blocked`]: in-order data, the end of the stream, or a reset not yet read.
    pub fn is_readable(&self) -> bool {
        match self.state {
            RecvState::ResetRecvd => true,
            RecvState::ResetRead | RecvState::DataRead => false,
            RecvState::DataRecvd if Some(self.read) == self.final_size => true,
            _ => self.segments.keys().next() == Some(&self.read),
        }
    }

    /// Separate pieces held.
    pub fn segments(&self) -> usize {
        self.segments.len()
    }

    /// Common final-size and flow-control checks for a frame ending at `end`
    /// (RFC 9000 §4.5, §19.8); `fin` when `end` is a final size.
    fn check(&self, end: u64, fin: bool) -> Result<(), TransportError> {
        if end > MAX_OFFSET {
            return Err(TransportError::frame_encoding(
                "stream offset beyond 2^62-1",
            ));
        }
        if let Some(size) = self.final_size
            && (end > size || (fin && end != size))
        {
            return Err(TransportError::new(
                Code::FINAL_SIZE_ERROR,
                "final size changed",
            ));
        }
        if fin && end < self.max_received {
            return Err(TransportError::new(
                Code::FINAL_SIZE_ERROR,
                "final size below data received",
            ));
        }
        if end > self.limit {
            return Err(TransportError::new(
                Code::FLOW_CONTROL_ERROR,
                "stream data beyond MAX_STREAM_DATA",
            ));
        }
        Ok(())
    }

    /// Takes a `STREAM` frame's data at `offset`, `fin` when the frame had the FIN bit.
    ///
    /// Returns how much the stream's highest received offset grew: the caller adds it to
    /// the connection-level credit consumed (RFC 9000 §4.1). Data after a reset is
    /// checked and dropped.
    #[allow(clippy::needless_pass_by_value)] // Taking the frame's `Bytes` is the natural call.
    pub fn insert(&mut self, offset: u64, data: Bytes, fin: bool) -> Result<u64, TransportError> {
        let len = data.len() as u64;
        let end = offset
            .checked_add(len)
            .ok_or(TransportError::frame_encoding("stream offset overflow"))?;
        self.check(end, fin)?;
        let grown = end.saturating_sub(self.max_received);
        if matches!(self.state, RecvState::ResetRecvd | RecvState::ResetRead) {
            // Dropped, but still accounted: credit is counted once, and a FIN after a
            // stop gives the final size that lets the stream close.
            self.max_received = self.max_received.max(end);
            if fin {
                self.final_size = Some(end);
            }
            return Ok(grown);
        }
        // Pieces of `data` that fill gaps, computed before changing anything so that a
        // frame that breaks the fragment limit leaves the buffer as it was.
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut cur = offset.max(self.read);
        if let Some((&s, seg)) = self.segments.range(..=cur).next_back() {
            cur = cur.max(s.saturating_add(seg.len() as u64));
        }
        // `range` panics on an inverted range: `cur` may already be past `end`.
        let ahead = if cur < end {
            self.segments.range(cur..end)
        } else {
            self.segments.range(0..0)
        };
        for (&s, seg) in ahead {
            if s > cur {
                pieces.push((cur, s));
            }
            cur = cur.max(s.saturating_add(seg.len() as u64));
        }
        if cur < end {
            pieces.push((cur, end));
        }
        if self.segments.len().saturating_add(pieces.len()) > self.max_segments {
            // Adjacent pieces are no fragmentation: a peer sending in order in small
            // packets while the application reads slowly fills many. Merge them and
            // count again; only separate runs (gaps) count against the cap.
            self.coalesce();
        }
        if self.segments.len().saturating_add(pieces.len()) > self.max_segments {
            return Err(TransportError::new(
                Code::FLOW_CONTROL_ERROR,
                "too many stream fragments",
            ));
        }
        for (s, e) in pieces {
            let from = usize::try_from(s.saturating_sub(offset)).unwrap_or(usize::MAX);
            let to = usize::try_from(e.saturating_sub(offset)).unwrap_or(usize::MAX);
            if from < to && to <= data.len() {
                self.segments.insert(s, data.slice(from..to));
                self.buffered = self.buffered.saturating_add(e.saturating_sub(s));
            }
        }
        self.max_received = self.max_received.max(end);
        if fin {
            self.final_size = Some(end);
            if self.state == RecvState::Recv {
                self.state = RecvState::SizeKnown;
            }
        }
        self.update_complete();
        Ok(grown)
    }

    /// Merges runs of adjacent pieces (copying them) into pieces of up to a chunk size, so
    /// that the piece count is about the separate runs plus the buffered bytes over the
    /// chunk size. The chunk size lets the whole window fit in half the cap, and pieces
    /// already that large are left alone, so repeated merging copies each byte only a few
    /// times.
    fn coalesce(&mut self) {
        let window = self.limit.saturating_sub(self.read);
        let per_piece = window
            .checked_div(u64::try_from(self.max_segments / 2).unwrap_or(1).max(1))
            .unwrap_or(window);
        let chunk = per_piece.max(MIN_MERGED_PIECE);
        let old = std::mem::take(&mut self.segments);
        let mut run: Vec<Bytes> = Vec::new();
        let mut run_start = 0u64;
        let mut run_end = 0u64;
        for (s, seg) in old {
            let len = seg.len() as u64;
            let fits = run_end.saturating_sub(run_start).saturating_add(len) <= chunk;
            if !run.is_empty() && (s != run_end || !fits) {
                self.segments.insert(run_start, concat(&mut run));
            }
            if run.is_empty() {
                run_start = s;
            }
            run_end = s.saturating_add(len);
            run.push(seg);
        }
        if !run.is_empty() {
            self.segments.insert(run_start, concat(&mut run));
        }
    }

    /// Moves from Size Known to Data Recvd once every byte below the final size is here.
    fn update_complete(&mut self) {
        let Some(size) = self.final_size else { return };
        if self.state != RecvState::SizeKnown {
            return;
        }
        let mut cur = self.read;
        for (&s, seg) in &self.segments {
            if s > cur {
                return;
            }
            cur = cur.max(s.saturating_add(seg.len() as u64));
        }
        if cur >= size {
            self.state = RecvState::DataRecvd;
        }
    }

    /// Takes a `RESET_STREAM` with `final_size` and application error `code`
    /// (RFC 9000 §3.2, §4.5, §19.4). Returns how much the highest received offset grew.
    ///
    /// Once all data has been received (Data Recvd, Data Read) the reset is checked and
    /// ignored: the application gets the whole stream (RFC 9000 §3.2 allows either).
    pub fn reset(&mut self, final_size: u64, code: u64) -> Result<u64, TransportError> {
        self.check(final_size, true)?;
        let grown = final_size.saturating_sub(self.max_received);
        self.max_received = self.max_received.max(final_size);
        self.final_size = Some(final_size);
        if matches!(self.state, RecvState::Recv | RecvState::SizeKnown) {
            self.state = RecvState::ResetRecvd;
            self.reset_code = code;
            self.segments.clear();
            self.buffered = 0;
        }
        Ok(grown)
    }

    /// The next in-order bytes, at most `max` of them (zero-copy slices of the frames).
    pub fn read(&mut self, max: usize) -> Read {
        match self.state {
            RecvState::ResetRecvd => {
                self.state = RecvState::ResetRead;
                return Read::Reset(self.reset_code);
            }
            RecvState::ResetRead => return Read::Reset(self.reset_code),
            RecvState::DataRead => return Read::Finished,
            _ => {}
        }
        let Some(mut entry) = self.segments.first_entry() else {
            return self.end_or_blocked();
        };
        if *entry.key() != self.read || max == 0 {
            return Read::Blocked;
        }
        let seg = entry.get_mut();
        let out = if seg.len() > max {
            let head = seg.split_to(max);
            let rest = seg.clone();
            entry.remove();
            let next = self.read.saturating_add(head.len() as u64);
            self.segments.insert(next, rest);
            head
        } else {
            entry.remove()
        };
        let n = out.len() as u64;
        self.read = self.read.saturating_add(n);
        self.buffered = self.buffered.saturating_sub(n);
        Read::Data(out)
    }

    fn end_or_blocked(&mut self) -> Read {
        if self.state == RecvState::DataRecvd && Some(self.read) == self.final_size {
            self.state = RecvState::DataRead;
            return Read::Finished;
        }
        Read::Blocked
    }

    /// Drops the buffered data when the application stops reading (it will send
    /// `STOP_SENDING`); later data is still checked for final size and flow control but
    /// not kept. The state becomes Reset Read.
    pub fn stop(&mut self) {
        self.segments.clear();
        self.buffered = 0;
        self.state = RecvState::ResetRead;
    }
}

/// Joins `pieces` into one `Bytes` (no copy for a single piece) and empties the list.
fn concat(pieces: &mut Vec<Bytes>) -> Bytes {
    if pieces.len() == 1 {
        return pieces.pop().unwrap_or_default();
    }
    let total = pieces.iter().map(Bytes::len).sum();
    let mut out = bytes::BytesMut::with_capacity(total);
    for piece in pieces.drain(..) {
        out.extend_from_slice(&piece);
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;
    use proptest::prelude::*;

    fn read_all(b: &mut RecvBuffer) -> Vec<u8> {
        let mut out = Vec::new();
        while let Read::Data(d) = b.read(7) {
            out.extend_from_slice(&d);
        }
        out
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let mut b = RecvBuffer::new(100, 16);
        assert_eq!(b.insert(5, Bytes::from_static(b"fghij"), true).unwrap(), 10);
        assert_eq!(b.state(), RecvState::SizeKnown);
        assert_eq!(b.read(10), Read::Blocked);
        // Overlap: first copy wins, the rest fills the gap.
        assert_eq!(
            b.insert(0, Bytes::from_static(b"abcdeXXXXX"), false)
                .unwrap(),
            0
        );
        assert_eq!(b.state(), RecvState::DataRecvd);
        assert_eq!(read_all(&mut b), b"abcdefghij");
        assert_eq!(b.read(10), Read::Finished);
        assert_eq!(b.state(), RecvState::DataRead);
        assert_eq!(b.buffered(), 0);
    }

    #[test]
    fn final_size_errors() {
        let mut b = RecvBuffer::new(100, 16);
        b.insert(0, Bytes::from_static(b"abc"), true).unwrap();
        let e = b.insert(0, Bytes::from_static(b"abcd"), false).unwrap_err();
        assert_eq!(e.code, Code::FINAL_SIZE_ERROR);
        let e = b.insert(0, Bytes::from_static(b"ab"), true).unwrap_err();
        assert_eq!(e.code, Code::FINAL_SIZE_ERROR);
        let e = b.reset(4, 0).unwrap_err();
        assert_eq!(e.code, Code::FINAL_SIZE_ERROR);
        // Same FIN again is fine.
        b.insert(1, Bytes::from_static(b"bc"), true).unwrap();

        let mut b = RecvBuffer::new(100, 16);
        b.insert(10, Bytes::from_static(b"abc"), false).unwrap();
        let e = b.insert(0, Bytes::from_static(b"abc"), true).unwrap_err();
        assert_eq!(e.code, Code::FINAL_SIZE_ERROR);
        let e = b.reset(12, 0).unwrap_err();
        assert_eq!(e.code, Code::FINAL_SIZE_ERROR);
    }

    /// In-order data in many small frames that the application has not read yet is not
    /// fragmentation: adjacent pieces merge instead of hitting the cap (quinn sending a
    /// 100 MiB stream in ~1400-byte frames to a reader that lagged a few hundred packets
    /// got `FLOW_CONTROL_ERROR` "too many stream fragments").
    #[test]
    fn adjacent_pieces_do_not_count_as_fragments() {
        let mut b = RecvBuffer::new(10_000, 4);
        for i in 0..1000u64 {
            b.insert(i * 10, Bytes::from(vec![(i % 251) as u8; 10]), false)
                .unwrap();
        }
        assert!(b.segments() <= 4);
        // Separate runs still count: after merging "a" and "b", the runs at 0 and 5
        // and the new piece at 9 make three.
        let mut g = RecvBuffer::new(10_000, 2);
        g.insert(0, Bytes::from_static(b"a"), false).unwrap();
        g.insert(1, Bytes::from_static(b"b"), false).unwrap();
        g.insert(5, Bytes::from_static(b"c"), false).unwrap();
        let e = g.insert(9, Bytes::from_static(b"d"), false).unwrap_err();
        assert_eq!(e.code, Code::FLOW_CONTROL_ERROR);
        let mut got = Vec::new();
        while let Read::Data(d) = b.read(usize::MAX) {
            got.extend_from_slice(&d);
        }
        let want: Vec<u8> = (0..1000u64).flat_map(|i| [(i % 251) as u8; 10]).collect();
        assert_eq!(got, want);
    }

    /// A reader that lags a whole window behind: 16 MiB arriving in order in 1400-byte
    /// frames against a cap of 256 pieces; merged pieces stay at most a chunk long.
    #[test]
    fn a_whole_window_of_small_frames_fits_the_cap() {
        let window = 16 << 20;
        let mut b = RecvBuffer::new(window, 256);
        let frame = Bytes::from(vec![7u8; 1400]);
        let mut offset = 0;
        while offset + 1400 <= window {
            b.insert(offset, frame.clone(), false).unwrap();
            offset += 1400;
        }
        assert!(b.segments() <= 256);
        assert!(b.segments.values().all(|p| p.len() as u64 <= window / 128));
        let mut got = 0;
        while let Read::Data(d) = b.read(usize::MAX) {
            assert!(d.iter().all(|&x| x == 7));
            got += d.len() as u64;
        }
        assert_eq!(got, offset);
    }

    #[test]
    fn flow_control_and_fragment_limit() {
        let mut b = RecvBuffer::new(10, 2);
        let e = b.insert(8, Bytes::from_static(b"abc"), false).unwrap_err();
        assert_eq!(e.code, Code::FLOW_CONTROL_ERROR);
        let e = b.reset(11, 0).unwrap_err();
        assert_eq!(e.code, Code::FLOW_CONTROL_ERROR);
        b.set_limit(20);
        b.insert(8, Bytes::from_static(b"abc"), false).unwrap();
        b.insert(2, Bytes::from_static(b"a"), false).unwrap();
        let e = b.insert(5, Bytes::from_static(b"a"), false).unwrap_err();
        assert_eq!(e.code, Code::FLOW_CONTROL_ERROR);
        assert_eq!(b.segments(), 2);
        let e = b
            .insert(MAX_OFFSET, Bytes::from_static(b"a"), false)
            .unwrap_err();
        assert_eq!(e.code, Code::FRAME_ENCODING_ERROR);
    }

    #[test]
    fn reset() {
        let mut b = RecvBuffer::new(100, 16);
        b.insert(0, Bytes::from_static(b"abc"), false).unwrap();
        assert_eq!(b.reset(10, 7).unwrap(), 7);
        assert_eq!(b.state(), RecvState::ResetRecvd);
        assert_eq!(b.buffered(), 0);
        // Late data is checked, then dropped.
        assert_eq!(b.insert(3, Bytes::from_static(b"d"), false).unwrap(), 0);
        let e = b.insert(9, Bytes::from_static(b"xy"), false).unwrap_err();
        assert_eq!(e.code, Code::FINAL_SIZE_ERROR);
        assert_eq!(b.read(10), Read::Reset(7));
        assert_eq!(b.state(), RecvState::ResetRead);
        // After a stop, late data is counted once and a FIN sets the final size.
        let mut b = RecvBuffer::new(100, 16);
        b.insert(0, Bytes::from_static(b"abc"), false).unwrap();
        b.stop();
        assert_eq!(
            b.insert(0, Bytes::from_static(b"abcdef"), false).unwrap(),
            3
        );
        assert_eq!(
            b.insert(0, Bytes::from_static(b"abcdef"), false).unwrap(),
            0
        );
        assert_eq!(b.final_size(), None);
        assert_eq!(b.insert(6, Bytes::from_static(b"g"), true).unwrap(), 1);
        assert_eq!(b.final_size(), Some(7));
        // A reset after all data arrived is ignored.
        let mut b = RecvBuffer::new(100, 16);
        b.insert(0, Bytes::from_static(b"abc"), true).unwrap();
        b.reset(3, 1).unwrap();
        assert_eq!(b.state(), RecvState::DataRecvd);
        assert_eq!(read_all(&mut b), b"abc");
    }

    #[test]
    fn zero_copy() {
        let mut b = RecvBuffer::new(100, 16);
        let frame = Bytes::from(vec![1u8; 50]);
        b.insert(0, frame.clone(), false).unwrap();
        let Read::Data(d) = b.read(100) else { panic!() };
        assert_eq!(d.as_ptr(), frame.as_ptr());
    }

    proptest! {
        #[test]
        fn any_order_reassembles(
            data in proptest::collection::vec(any::<u8>(), 0..400),
            cuts in proptest::collection::vec((0usize..400, 0usize..400), 1..40),
            seed in any::<u64>(),
        ) {
            let total = data.len();
            let src = Bytes::from(data.clone());
            // Frames from random (possibly overlapping) ranges, plus a cover so that
            // every byte is sent, shuffled deterministically by the seed.
            let mut frames: Vec<(usize, usize)> = cuts
                .iter()
                .map(|&(a, b)| (a.min(b).min(total), a.max(b).min(total)))
                .collect();
            let mut at = 0;
            for &(a, _) in &cuts {
                let step = (a % 37) + 1;
                let end = (at + step).min(total);
                frames.push((at, end));
                at = end;
                if at == total { break; }
            }
            if at < total { frames.push((at, total)); }
            let mut s = seed;
            for i in (1..frames.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                frames.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut b = RecvBuffer::new(total as u64, 10_000);
            let mut out = Vec::new();
            for (i, &(a, e)) in frames.iter().enumerate() {
                let fin = e == total;
                b.insert(a as u64, src.slice(a..e), fin).unwrap();
                if i % 3 == 0 {
                    while let Read::Data(d) = b.read(11) { out.extend_from_slice(&d); }
                }
                prop_assert!(b.buffered() <= total as u64);
            }
            loop {
                match b.read(13) {
                    Read::Data(d) => out.extend_from_slice(&d),
                    Read::Finished => break,
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            prop_assert_eq!(out, data);
            prop_assert_eq!(b.state(), RecvState::DataRead);
        }
    }
}
