//! ACK frames (RFC 9000 §19.3): the ranges stay encoded and are walked lazily, so a
//! peer's ACK with thousands of ranges costs one validation pass and no allocation.

use std::ops::RangeInclusive;

use bytes::{BufMut, Bytes};
use stator_wire::{Error as WireError, Reader, WriteExt, varint};

use super::{FrameType, total, vlen};
use crate::TransportError;

/// The ECN counts of an ACK frame of type 0x03 (RFC 9000 §19.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EcnCounts {
    /// Packets received with the ECT(0) codepoint.
    pub ect0: u64,
    /// Packets received with the ECT(1) codepoint.
    pub ect1: u64,
    /// Packets received with the ECN-CE codepoint.
    pub ce: u64,
}

/// An ACK frame (RFC 9000 §19.3). Its ranges are checked when parsed or built (none goes
/// below packet number 0, RFC 9000 §19.3.1) and handed out by [`Ack::ranges`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The largest packet number acknowledged.
    pub largest: u64,
    /// The encoded ACK Delay: microseconds scaled down by the sender's
    /// `ack_delay_exponent` (RFC 9000 §19.3, §18.2).
    pub delay: u64,
    /// The ECN counts (type 0x03), if any.
    pub ecn: Option<EcnCounts>,
    first_range: u64,
    range_count: u64,
    /// The encoded (Gap, ACK Range Length) pairs after the first range.
    ranges: Bytes,
}

impl Ack {
    /// An ACK of `ranges`, given from the highest packet numbers down, each separated
    /// from the next by at least one unacknowledged packet number. `None` when `ranges`
    /// is empty, out of order, touching, reversed, or above 2^62 − 1.
    pub fn new<I>(ranges: I, delay: u64, ecn: Option<EcnCounts>) -> Option<Ack>
    where
        I: IntoIterator<Item = RangeInclusive<u64>>,
    {
        Ack::within(ranges, delay, ecn, usize::MAX)
    }

    /// Like [`Ack::new`], but keeps only as many of the highest ranges as fit a frame of
    /// `max_len` bytes (RFC 9000 §13.2.4: a receiver limits the ranges it sends, dropping
    /// the oldest first). `None` also when not even the first range fits.
    pub fn within<I>(ranges: I, delay: u64, ecn: Option<EcnCounts>, max_len: usize) -> Option<Ack>
    where
        I: IntoIterator<Item = RangeInclusive<u64>>,
    {
        let mut iter = ranges.into_iter();
        let first = iter.next()?;
        let (smallest, largest) = (*first.start(), *first.end());
        if smallest > largest || largest > varint::MAX {
            return None;
        }
        let first_range = largest.wrapping_sub(smallest);
        let ecn_len = ecn.map_or(0, |e| total(&[vlen(e.ect0), vlen(e.ect1), vlen(e.ce)]));
        // Everything but the Range Count and the ranges after the first.
        let fixed = total(&[1, vlen(largest), vlen(delay), vlen(first_range), ecn_len]);
        if total(&[fixed, 1]) > max_len {
            return None;
        }
        let mut encoded = Vec::new();
        let mut count: u64 = 0;
        let mut prev_smallest = smallest;
        for r in iter {
            let (lo, hi) = (*r.start(), *r.end());
            // Gap: the number of missing packets minus one (RFC 9000 §19.3.1).
            let gap = prev_smallest.checked_sub(hi)?.checked_sub(2)?;
            let len = hi.checked_sub(lo)?;
            let grown = total(&[
                fixed,
                vlen(count.saturating_add(1)),
                encoded.len(),
                vlen(gap),
                vlen(len),
            ]);
            if grown > max_len {
                break;
            }
            encoded.put_varint(gap).ok()?;
            encoded.put_varint(len).ok()?;
            count = count.checked_add(1)?;
            prev_smallest = lo;
        }
        Some(Ack {
            largest,
            delay,
            ecn,
            first_range,
            range_count: count,
            ranges: Bytes::from(encoded),
        })
    }

    /// Parses the body of an ACK frame (after its type) from `r`, a reader over
    /// `payload`. Every range is checked; none is stored apart from a slice of `payload`.
    pub(super) fn parse(
        r: &mut Reader<'_>,
        payload: &Bytes,
        ty: FrameType,
    ) -> Result<Ack, TransportError> {
        let bad = |reason| TransportError::frame_encoding(reason).in_frame(ty.0);
        let truncated = |_: WireError| bad("truncated ACK frame");
        let largest = r.read_varint().map_err(truncated)?;
        let delay = r.read_varint().map_err(truncated)?;
        let range_count = r.read_varint().map_err(truncated)?;
        let first_range = r.read_varint().map_err(truncated)?;
        // RFC 9000 §19.3.1: the smallest packet number of a range may not go below 0.
        let mut smallest = largest
            .checked_sub(first_range)
            .ok_or_else(|| bad("ACK first range larger than largest acknowledged"))?;
        let start = r.position();
        // Each pair takes at least two bytes, so this loop is bounded by the payload,
        // whatever the count claims.
        let mut left = range_count;
        while left > 0 {
            let gap = r.read_varint().map_err(truncated)?;
            let len = r.read_varint().map_err(truncated)?;
            smallest = smallest
                .checked_sub(gap)
                .and_then(|s| s.checked_sub(2))
                .and_then(|s| s.checked_sub(len))
                .ok_or_else(|| bad("ACK range below packet number 0"))?;
            left = left.saturating_sub(1);
        }
        let ranges = payload.slice(start..r.position());
        let ecn = if ty == FrameType::ACK_ECN {
            Some(EcnCounts {
                ect0: r.read_varint().map_err(truncated)?,
                ect1: r.read_varint().map_err(truncated)?,
                ce: r.read_varint().map_err(truncated)?,
            })
        } else {
            None
        };
        Ok(Ack {
            largest,
            delay,
            ecn,
            first_range,
            range_count,
            ranges,
        })
    }

    /// The acknowledged ranges, highest first, starting with the first range.
    pub fn ranges(&self) -> AckRanges<'_> {
        AckRanges {
            reader: Reader::new(&self.ranges),
            next: Some(self.largest.saturating_sub(self.first_range)..=self.largest),
        }
    }

    /// The number of ranges, the first one included.
    pub fn range_count(&self) -> u64 {
        self.range_count.saturating_add(1)
    }

    /// The smallest packet number acknowledged.
    pub fn smallest(&self) -> u64 {
        self.ranges().last().map_or(0, |r| *r.start())
    }

    /// Encoded length of the frame, type included.
    pub(super) fn encoded_len(&self) -> usize {
        let ecn = self
            .ecn
            .map_or(0, |e| total(&[vlen(e.ect0), vlen(e.ect1), vlen(e.ce)]));
        total(&[
            1,
            vlen(self.largest),
            vlen(self.delay),
            vlen(self.range_count),
            vlen(self.first_range),
            self.ranges.len(),
            ecn,
        ])
    }

    /// Writes the frame, type included.
    pub(super) fn write<B: BufMut + ?Sized>(&self, buf: &mut B) -> Result<(), WireError> {
        let ty = if self.ecn.is_some() {
            FrameType::ACK_ECN
        } else {
            FrameType::ACK
        };
        buf.put_varint(ty.0)?;
        buf.put_varint(self.largest)?;
        buf.put_varint(self.delay)?;
        buf.put_varint(self.range_count)?;
        buf.put_varint(self.first_range)?;
        buf.try_put_slice(&self.ranges)?;
        if let Some(e) = self.ecn {
            buf.put_varint(e.ect0)?;
            buf.put_varint(e.ect1)?;
            buf.put_varint(e.ce)?;
        }
        Ok(())
    }
}

/// The ranges of an [`Ack`], highest first (see [`Ack::ranges`]).
#[derive(Debug, Clone)]
pub struct AckRanges<'a> {
    reader: Reader<'a>,
    next: Option<RangeInclusive<u64>>,
}

impl Iterator for AckRanges<'_> {
    type Item = RangeInclusive<u64>;

    fn next(&mut self) -> Option<RangeInclusive<u64>> {
        let current = self.next.take()?;
        // The ranges were checked when the Ack was parsed or built; a failure here ends
        // the walk rather than panicking.
        if !self.reader.is_empty() {
            let gap = self.reader.read_varint().ok();
            let len = self.reader.read_varint().ok();
            self.next = gap.zip(len).and_then(|(gap, len)| {
                let hi = current.start().checked_sub(gap)?.checked_sub(2)?;
                Some(hi.checked_sub(len)?..=hi)
            });
        }
        Some(current)
    }
}
