//! The dynamic table (RFC 9204 §3.2), shared by the encoder and the decoder.
//!
//! Entries are addressed by absolute index (RFC 9204 §3.2.4): the first entry ever
//! inserted is 0, and the index never changes while the entry lives. The table keeps the
//! absolute index of its oldest live entry, so lookups are a subtraction and a bounds
//! check.
//!
//! The decoder copies each inserted name and value into the table's own arena, a
//! `BytesMut` of 4 KiB chunks (or one entry, if larger) handing out frozen slices, so an
//! insert allocates only when a chunk is full and the table never pins the encoder-stream
//! buffer it was parsed from. Eviction is first in, first out, so the live entries lie in
//! consecutive chunks (fields a caller still holds keep older chunks alive, as any `Bytes`
//! does). The encoder inserts the caller's `Bytes` as they are, shared rather than copied.

use std::cell::OnceCell;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use stator_http::fields::CheckedField;

use crate::error::Reason;
use crate::primitives::copy_to_arena;

/// The overhead added to every entry's size (RFC 9204 §3.2.1).
pub(crate) const ENTRY_OVERHEAD: usize = 32;

/// One field line in the dynamic table.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The field name.
    pub(crate) name: Bytes,
    /// The field value.
    pub(crate) value: Bytes,
    /// The field checked and converted for `stator-http`'s builders, made the first time
    /// a section decoded into a builder references the entry (`None` inside: the field
    /// breaks a rule or depends on its section, and is passed the ordinary way).
    pub(crate) checked: OnceCell<Option<CheckedField>>,
}

impl Entry {
    /// An entry holding these `Bytes`, not checked yet.
    pub(crate) fn new(name: Bytes, value: Bytes) -> Entry {
        Entry {
            name,
            value,
            checked: OnceCell::new(),
        }
    }

    /// The entry checked and converted for `stator-http`'s builders, made on first use.
    pub(crate) fn checked(&self) -> Option<&CheckedField> {
        self.checked
            .get_or_init(|| CheckedField::new(&self.name, self.value.clone()))
            .as_ref()
    }

    /// The entry's size: name, value and 32 bytes of overhead (RFC 9204 §3.2.1).
    pub(crate) fn size(&self) -> usize {
        entry_size(&self.name, &self.value)
    }
}

/// The size of an entry with this name and value, saturating (RFC 9204 §3.2.1).
pub(crate) fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len()
        .saturating_add(value.len())
        .saturating_add(ENTRY_OVERHEAD)
}

/// A QPACK dynamic table.
#[derive(Debug, Clone, Default)]
pub(crate) struct DynamicTable {
    entries: VecDeque<Entry>,
    /// Absolute index of `entries[0]`: the number of evicted entries.
    evicted: u64,
    size: usize,
    capacity: usize,
    /// Where [`DynamicTable::insert_copy`] copies names and values.
    arena: BytesMut,
}

impl DynamicTable {
    /// The total number of insertions so far (RFC 9204 §3.2.4 "Insert Count").
    pub(crate) fn insert_count(&self) -> u64 {
        self.evicted.saturating_add(self.entries.len() as u64)
    }

    /// The absolute index of the oldest entry still in the table.
    pub(crate) fn first_index(&self) -> u64 {
        self.evicted
    }

    /// The current capacity.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The sum of the entries' sizes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The entry with absolute index `abs`, if it is in the table.
    pub(crate) fn get(&self, abs: u64) -> Option<&Entry> {
        let offset = abs.checked_sub(self.evicted)?;
        self.entries.get(usize::try_from(offset).ok()?)
    }

    /// The absolute index of the entry `relative` places before the newest one
    /// (RFC 9204 §3.2.5: encoder-stream relative indexing).
    pub(crate) fn relative_to_absolute(&self, relative: u64) -> Option<u64> {
        self.insert_count().checked_sub(relative)?.checked_sub(1)
    }

    /// Sets the capacity, evicting the oldest entries until the table fits
    /// (RFC 9204 §3.2.3). The caller has checked the value against its limit.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict_to(capacity);
    }

    /// Inserts an entry, evicting the oldest ones to make room (RFC 9204 §3.2.2).
    pub(crate) fn insert(&mut self, entry: Entry) -> Result<(), Reason> {
        let size = entry.size();
        let Some(room) = self.capacity.checked_sub(size) else {
            return Err(Reason::EntryTooLarge);
        };
        self.evict_to(room);
        self.size = self.size.saturating_add(size);
        self.entries.push_back(entry);
        Ok(())
    }

    /// Inserts `name: value`, copied into the table's arena (see the module docs), evicting
    /// the oldest entries to make room (RFC 9204 §3.2.2). Checks the size before copying.
    pub(crate) fn insert_copy(&mut self, name: &[u8], value: &[u8]) -> Result<(), Reason> {
        if entry_size(name, value) > self.capacity {
            return Err(Reason::EntryTooLarge);
        }
        let name = copy_to_arena(&mut self.arena, name);
        let value = copy_to_arena(&mut self.arena, value);
        self.insert(Entry::new(name, value))
    }

    /// How many of the oldest entries must go so that `size` more bytes fit.
    /// `None` when even an empty table is too small.
    pub(crate) fn evictions_needed(&self, size: usize) -> Option<u64> {
        let room = self.capacity.checked_sub(size)?;
        let mut current = self.size;
        let mut count = 0u64;
        for entry in &self.entries {
            if current <= room {
                break;
            }
            current = current.saturating_sub(entry.size());
            count = count.saturating_add(1);
        }
        Some(count)
    }

    /// The total size of the entries older than `abs`: how much must be evicted before
    /// `abs` goes.
    pub(crate) fn bytes_before(&self, abs: u64) -> usize {
        let count = abs.saturating_sub(self.evicted);
        self.entries
            .iter()
            .take(usize::try_from(count).unwrap_or(usize::MAX))
            .map(Entry::size)
            .fold(0, usize::saturating_add)
    }

    /// Evicts the oldest entries until the table size is at most `target`.
    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.size = self.size.saturating_sub(old.size());
            self.evicted = self.evicted.saturating_add(1);
        }
    }

    /// Live entries with their absolute indices, newest first.
    pub(crate) fn iter_newest_first(&self) -> impl Iterator<Item = (u64, &Entry)> {
        let first = self.evicted;
        self.entries
            .iter()
            .enumerate()
            .rev()
            .map(move |(i, e)| (first.saturating_add(i as u64), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &'static str, value: &'static str) -> Entry {
        Entry::new(
            Bytes::from_static(name.as_bytes()),
            Bytes::from_static(value.as_bytes()),
        )
    }

    #[test]
    fn insert_and_evict() {
        let mut t = DynamicTable::default();
        t.set_capacity(100);
        t.insert(entry("a", "b")).unwrap(); // 34
        t.insert(entry("c", "d")).unwrap(); // 68
        assert_eq!(t.evictions_needed(34), Some(1));
        t.insert(entry("e", "f")).unwrap(); // evicts 0
        assert_eq!(t.insert_count(), 3);
        assert_eq!(t.first_index(), 1);
        assert!(t.get(0).is_none());
        assert_eq!(t.get(2).unwrap().name, "e");
        assert_eq!(t.relative_to_absolute(0), Some(2));
        assert_eq!(t.relative_to_absolute(3), None);
        assert_eq!(t.insert(entry("x", "y")).map(|()| t.size()), Ok(68));
        let big = Entry::new(Bytes::from(vec![b'n'; 80]), Bytes::new());
        assert_eq!(t.insert(big), Err(Reason::EntryTooLarge));
        assert_eq!(t.insert_copy(&[b'n'; 80], b""), Err(Reason::EntryTooLarge));
        t.insert_copy(b"copied", b"value").unwrap();
        assert_eq!(t.get(4).unwrap().value, "value");
        t.set_capacity(0);
        assert_eq!(t.size(), 0);
        assert_eq!(t.insert_count(), 5);
    }
}
