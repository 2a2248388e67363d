//! The dynamic table of RFC 7541 §2.3.2 and §4, shared by the decoder and the encoder.
//!
//! Entries are `Bytes`: a decoder hands out clones of them (a reference count, no copy)
//! for every indexed field. Inserted names and values are copied into the table's own
//! arena, a `BytesMut` of 4 KiB chunks (or one entry, if larger) that hands out frozen
//! slices, so a table never pins the blocks it was filled from and inserting costs no
//! allocation until a chunk is full. Eviction is first in, first out, so the live entries
//! are the newest and lie in consecutive chunks: the table holds at most its size plus two
//! chunks (fields a caller still holds can keep older chunks alive, as any `Bytes` does).

use std::cell::OnceCell;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use stator_http::fields::CheckedField;

/// Smallest chunk the arena allocates.
const ARENA_CHUNK: usize = 4_096;

/// RFC 7541 §4.1: the size of an entry is its name and value lengths plus 32.
pub(crate) const ENTRY_OVERHEAD: usize = 32;

/// One dynamic table entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: Bytes,
    pub(crate) value: Bytes,
    /// The field checked and converted for `stator-http`'s builders, made the first time
    /// a block decoded into a builder references the entry (`None` inside: the field
    /// breaks a rule or depends on its section, and is passed the ordinary way).
    pub(crate) checked: OnceCell<Option<CheckedField>>,
}

impl Entry {
    /// RFC 7541 §4.1 size; saturates, and a saturated size never fits a table.
    pub(crate) fn size(&self) -> usize {
        entry_size(self.name.len(), self.value.len())
    }
}

/// RFC 7541 §4.1 size of an entry with these lengths, saturating.
pub(crate) fn entry_size(name_len: usize, value_len: usize) -> usize {
    name_len
        .saturating_add(value_len)
        .saturating_add(ENTRY_OVERHEAD)
}

/// The dynamic table: newest entry first in index order (RFC 7541 §2.3.3).
#[derive(Debug)]
pub(crate) struct Table {
    /// Oldest at the front, newest at the back.
    entries: VecDeque<Entry>,
    /// Sum of the entries' sizes; never above `max_size`.
    size: usize,
    /// The current maximum size (RFC 7541 §4.2).
    max_size: usize,
    /// How many entries were ever inserted: the absolute index the next one gets.
    inserted: u64,
    /// Where inserted names and values are copied.
    arena: BytesMut,
}

impl Table {
    pub(crate) fn new(max_size: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            size: 0,
            max_size,
            inserted: 0,
            arena: BytesMut::new(),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn max_size(&self) -> usize {
        self.max_size
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Absolute index of the next insertion (the encoder keys its maps by these).
    pub(crate) fn inserted(&self) -> u64 {
        self.inserted
    }

    /// The entry at 0-based dynamic index `i` (0 = newest; wire index `62 + i`).
    pub(crate) fn get(&self, i: usize) -> Option<&Entry> {
        let pos = self.entries.len().checked_sub(1)?.checked_sub(i)?;
        self.entries.get(pos)
    }

    /// The entry with absolute index `abs`, if still in the table, and its 0-based
    /// dynamic index.
    pub(crate) fn get_absolute(&self, abs: u64) -> Option<(usize, &Entry)> {
        let from_newest = self.inserted.checked_sub(abs)?.checked_sub(1)?;
        let i = usize::try_from(from_newest).ok()?;
        Some((i, self.get(i)?))
    }

    /// Entries from newest to oldest.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().rev()
    }

    /// RFC 7541 §4.3: sets a new maximum and evicts until the table fits. `on_evict` gets
    /// the absolute index of each evicted entry.
    pub(crate) fn set_max_size(&mut self, max_size: usize, on_evict: impl FnMut(u64, &Entry)) {
        self.max_size = max_size;
        self.evict_to(max_size, on_evict);
    }

    /// RFC 7541 §4.4: inserts `name: value` (copied into the arena), evicting first.
    /// An entry larger than the maximum size empties the table and is not inserted; the
    /// return value says whether it was.
    pub(crate) fn insert(
        &mut self,
        name: &[u8],
        value: &[u8],
        mut on_evict: impl FnMut(u64, &Entry),
    ) -> Option<&Entry> {
        let size = entry_size(name.len(), value.len());
        if size > self.max_size {
            self.evict_to(0, &mut on_evict);
            // Still counts as an insertion attempt, not as an entry.
            return None;
        }
        self.evict_to(self.max_size.saturating_sub(size), &mut on_evict);
        // `size` fits `max_size`, so this sum does not saturate.
        let len = name.len().saturating_add(value.len());
        if self.arena.capacity().saturating_sub(self.arena.len()) < len {
            self.arena.reserve(len.max(ARENA_CHUNK));
        }
        self.arena.extend_from_slice(name);
        self.arena.extend_from_slice(value);
        let mut both = self.arena.split().freeze();
        let value = both.split_off(name.len());
        self.entries.push_back(Entry {
            name: both,
            value,
            checked: OnceCell::new(),
        });
        // `size` fits `max_size` and `self.size` fits `max_size - size` after eviction.
        self.size = self.size.saturating_add(size);
        self.inserted = self.inserted.wrapping_add(1);
        self.entries.back()
    }

    /// Evicts oldest entries until the size is at most `target`.
    fn evict_to(&mut self, target: usize, mut on_evict: impl FnMut(u64, &Entry)) {
        while self.size > target {
            let Some(old) = self.entries.pop_front() else {
                self.size = 0;
                break;
            };
            self.size = self.size.saturating_sub(old.size());
            let len = self.entries.len() as u64;
            let abs = self.inserted.wrapping_sub(len).wrapping_sub(1);
            on_evict(abs, &old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop(_: u64, _: &Entry) {}

    #[test]
    fn insertion_eviction_and_indices() {
        let mut t = Table::new(100);
        t.insert(b"a", b"1", noop); // 34
        t.insert(b"b", b"2", noop); // 68
        assert_eq!((t.len(), t.size()), (2, 68));
        assert_eq!(t.get(0).unwrap().name, "b");
        assert_eq!(t.get(1).unwrap().name, "a");
        let mut evicted = Vec::new();
        t.insert(b"c", b"3", |abs, e| evicted.push((abs, e.name.clone())));
        assert_eq!(evicted, [(0, Bytes::from_static(b"a"))]);
        assert_eq!((t.len(), t.size()), (2, 68));
        assert_eq!(t.get_absolute(2).unwrap().0, 0);
        assert_eq!(t.get_absolute(1).unwrap().0, 1);
        assert!(t.get_absolute(0).is_none());
        assert!(t.get_absolute(3).is_none());
    }

    #[test]
    fn oversized_entry_empties_the_table() {
        let mut t = Table::new(40);
        t.insert(b"a", b"1", noop);
        assert!(t.insert(b"long-name", b"long-value", noop).is_none());
        assert_eq!((t.len(), t.size()), (0, 0));
        t.insert(b"a", b"1", noop);
        t.set_max_size(0, noop);
        assert_eq!((t.len(), t.size(), t.max_size()), (0, 0, 0));
    }
}
