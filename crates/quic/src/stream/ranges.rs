//! A set of disjoint, non-adjacent half-open `u64` ranges, merged on insert.

use std::collections::BTreeMap;
use std::ops::Range;

/// Disjoint ranges keyed by start, value end (exclusive); adjacent ranges are merged.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeSet {
    map: BTreeMap<u64, u64>,
}

impl RangeSet {
    /// Adds `range`, merging with neighbours it touches or overlaps.
    pub(crate) fn insert(&mut self, range: Range<u64>) {
        let (mut start, mut end) = (range.start, range.end);
        if start >= end {
            return;
        }
        if let Some((&s, &e)) = self.map.range(..=start).next_back()
            && e >= start
        {
            start = s;
            end = end.max(e);
            self.map.remove(&s);
        }
        while let Some((&s, &e)) = self.map.range(start..=end).next() {
            end = end.max(e);
            self.map.remove(&s);
        }
        self.map.insert(start, end);
    }

    /// Removes `range` from the set, splitting ranges it cuts.
    pub(crate) fn remove(&mut self, range: Range<u64>) {
        let (start, end) = (range.start, range.end);
        if start >= end {
            return;
        }
        if let Some((&s, &e)) = self.map.range(..start).next_back()
            && e > start
        {
            self.map.insert(s, start);
            if e > end {
                self.map.insert(end, e);
            }
        }
        while let Some((&s, &e)) = self.map.range(start..end).next() {
            self.map.remove(&s);
            if e > end {
                self.map.insert(end, e);
            }
        }
    }

    /// The first range, if any.
    pub(crate) fn first(&self) -> Option<Range<u64>> {
        self.map.iter().next().map(|(&s, &e)| s..e)
    }

    /// Removes and returns the first range.
    pub(crate) fn pop_first(&mut self) -> Option<Range<u64>> {
        self.map.pop_first().map(|(s, e)| s..e)
    }

    /// Whether the set is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The number of ranges held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Removes everything.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_split() {
        let mut s = RangeSet::default();
        s.insert(10..20);
        s.insert(30..40);
        s.insert(20..30);
        assert_eq!(s.len(), 1);
        assert_eq!(s.first(), Some(10..40));
        s.remove(15..35);
        assert_eq!(s.pop_first(), Some(10..15));
        assert_eq!(s.pop_first(), Some(35..40));
        assert!(s.is_empty());
        s.insert(0..100);
        s.remove(0..10);
        s.remove(90..200);
        s.remove(40..50);
        assert_eq!(s.pop_first(), Some(10..40));
        assert_eq!(s.pop_first(), Some(50..90));
        s.insert(5..6);
        s.clear();
        assert!(s.is_empty());
    }
}
