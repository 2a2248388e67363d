//! The HPACK encoder (RFC 7541 §6, §7): header lists in, header blocks out.
//!
//! Strategy, per field:
//! 1. a sensitive field (see [`IndexPolicy`]) is a literal never indexed (RFC 7541 §6.2.3,
//!    §7.1.3), with an indexed name when one exists, and never enters the table;
//! 2. a field in the static table, or in the dynamic table, is one index (§6.1);
//! 3. otherwise a literal, naming the static name index first, else a dynamic one, else a
//!    literal name; with incremental indexing (§6.2.1) unless the entry would take more
//!    than three quarters of the table or the name is listed as volatile;
//! 4. every string is Huffman-coded only when that is shorter (§5.2).
//!
//! Dynamic lookups are O(1): two hash maps from a hash of (name, value) and of name to the
//! absolute insertion index of the newest entry with that hash, kept in step with
//! eviction. A hash collision only costs a missed match (the entry is compared before
//! use), and the hash has fixed keys, so the output is deterministic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use stator_wire::{huffman, prefix_int};

use crate::DEFAULT_TABLE_SIZE;
use crate::static_table::{self, Match};
use crate::table::{Entry, Table, entry_size};

/// Which fields the encoder keeps out of the dynamic table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPolicy {
    /// Names (lowercase) always sent as literals never indexed, so no intermediary stores
    /// them either (RFC 7541 §7.1.3). Default: `authorization`, `proxy-authorization`,
    /// `set-cookie`.
    pub never_index: Vec<Vec<u8>>,
    /// `cookie` values shorter than this are never indexed: short, low-entropy cookies
    /// are the ones a compression-ratio attack (CRIME, RFC 7541 §7.1) can guess. Default 20.
    pub cookie_min_indexed_len: usize,
    /// Names whose values rarely repeat: sent as literals without indexing, so they do not
    /// evict entries that do repeat. Default: `:path`, `content-length`, `age`, `etag`,
    /// `if-modified-since`, `if-none-match`, `location`, `last-modified`.
    pub volatile: Vec<Vec<u8>>,
}

impl Default for IndexPolicy {
    fn default() -> Self {
        let list = |names: &[&str]| names.iter().map(|n| n.as_bytes().to_vec()).collect();
        Self {
            never_index: list(&["authorization", "proxy-authorization", "set-cookie"]),
            cookie_min_indexed_len: 20,
            volatile: list(&[
                ":path",
                "content-length",
                "age",
                "etag",
                "if-modified-since",
                "if-none-match",
                "location",
                "last-modified",
            ]),
        }
    }
}

impl IndexPolicy {
    /// Indexes everything and marks nothing sensitive, as RFC 7541 Appendix C does.
    pub fn index_all() -> Self {
        Self {
            never_index: Vec::new(),
            cookie_min_indexed_len: 0,
            volatile: Vec::new(),
        }
    }

    /// Whether `name: value` must be sent never indexed.
    pub fn is_sensitive(&self, name: &[u8], value: &[u8]) -> bool {
        (name == b"cookie" && value.len() < self.cookie_min_indexed_len)
            || self.never_index.iter().any(|n| n == name)
    }

    fn is_volatile(&self, name: &[u8]) -> bool {
        self.volatile.iter().any(|n| n == name)
    }
}

/// A hasher for keys that already are hashes.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type IndexMap = HashMap<u64, u64, BuildHasherDefault<IdentityHasher>>;

/// A fast, fixed-key 64-bit hash (multiply-rotate over 8-byte words). Keys are our own
/// fields, and a collision only costs a missed match, so a keyed hash is not needed.
fn mix(mut h: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    if let Some(dst) = tail.get_mut(..rest.len()) {
        dst.copy_from_slice(rest);
    }
    h = (h ^ u64::from_le_bytes(tail))
        .wrapping_mul(K)
        .rotate_left(29);
    // The length separates "ab" + "c" from "a" + "bc".
    (h ^ bytes.len() as u64).wrapping_mul(K)
}

fn hash_name(name: &[u8]) -> u64 {
    mix(0, name)
}

fn hash_field(name_hash: u64, value: &[u8]) -> u64 {
    mix(name_hash, value)
}

/// Encodes the header lists one endpoint sends on one HTTP/2 connection.
#[derive(Debug)]
pub struct Encoder {
    table: Table,
    by_field: IndexMap,
    by_name: IndexMap,
    policy: IndexPolicy,
    huffman: bool,
    /// The largest table this encoder uses, whatever the peer allows.
    cap: usize,
    /// Size updates owed at the start of the next block: the smallest size reached and the
    /// final size (RFC 7541 §4.2).
    pending_update: Option<(usize, usize)>,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new(DEFAULT_TABLE_SIZE)
    }
}

impl Encoder {
    /// An encoder that uses a dynamic table of at most `max_table_size` octets (bounded
    /// further by the peer's `SETTINGS_HEADER_TABLE_SIZE`, initially 4,096), the default
    /// [`IndexPolicy`] and Huffman coding where it is shorter.
    pub fn new(max_table_size: usize) -> Self {
        let size = max_table_size.min(DEFAULT_TABLE_SIZE);
        let mut encoder = Self {
            table: Table::new(DEFAULT_TABLE_SIZE),
            by_field: IndexMap::default(),
            by_name: IndexMap::default(),
            policy: IndexPolicy::default(),
            huffman: true,
            cap: max_table_size,
            pending_update: None,
        };
        if size != DEFAULT_TABLE_SIZE {
            encoder.resize(size);
        }
        encoder
    }

    /// Replaces the indexing policy.
    #[must_use]
    pub fn with_policy(mut self, policy: IndexPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Turns Huffman coding off (`false`) or back on.
    #[must_use]
    pub fn with_huffman(mut self, huffman: bool) -> Self {
        self.huffman = huffman;
        self
    }

    /// Call when the peer's `SETTINGS_HEADER_TABLE_SIZE` takes effect (RFC 9113 §6.5.2).
    /// The table shrinks now if needed; the next block starts with the size updates the
    /// peer's decoder needs: the smallest size reached since the last block, then the
    /// final one (RFC 7541 §4.2).
    pub fn set_max_table_size(&mut self, peer_limit: usize) {
        self.resize(peer_limit.min(self.cap));
    }

    fn resize(&mut self, size: usize) {
        if size == self.table.max_size() && self.pending_update.is_none() {
            return;
        }
        let min = self.pending_update.map_or(size, |(m, _)| m.min(size));
        self.pending_update = Some((min, size));
        let (by_field, by_name) = (&mut self.by_field, &mut self.by_name);
        self.table
            .set_max_size(size, |abs, e| forget(by_field, by_name, abs, e));
    }

    /// The dynamic table's current size (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// The dynamic table's entries as `(name, value)`, newest (index 62) first.
    pub fn table_entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.table.iter().map(|e| (&e.name[..], &e.value[..]))
    }

    /// Appends one header block for `fields` to `dst`. Names must already be lowercase
    /// (RFC 9113 §8.2.1); sensitivity follows the [`IndexPolicy`].
    pub fn encode<I, N, V>(&mut self, fields: I, dst: &mut Vec<u8>)
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.start_block(dst);
        for (name, value) in fields {
            let (name, value) = (name.as_ref(), value.as_ref());
            let sensitive = self.policy.is_sensitive(name, value);
            self.field(name, value, sensitive, dst);
        }
    }

    /// Like [`Encoder::encode`], with the caller deciding per field whether it is
    /// sensitive (`true`: never indexed), in addition to the policy. An intermediary passes
    /// on [`Field::never_indexed`](crate::Field::never_indexed) this way (RFC 7541 §7.1.3).
    pub fn encode_with_sensitivity<I, N, V>(&mut self, fields: I, dst: &mut Vec<u8>)
    where
        I: IntoIterator<Item = (N, V, bool)>,
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        self.start_block(dst);
        for (name, value, sensitive) in fields {
            let (name, value) = (name.as_ref(), value.as_ref());
            let sensitive = sensitive || self.policy.is_sensitive(name, value);
            self.field(name, value, sensitive, dst);
        }
    }

    /// RFC 7541 §4.2, §6.3: owed size updates open the block.
    fn start_block(&mut self, dst: &mut Vec<u8>) {
        if let Some((min, size)) = self.pending_update.take() {
            if min < size {
                int(dst, min as u64, 5, 0x20);
            }
            int(dst, size as u64, 5, 0x20);
        }
    }

    fn field(&mut self, name: &[u8], value: &[u8], sensitive: bool, dst: &mut Vec<u8>) {
        let in_static = static_table::find(name, value);
        let hn = hash_name(name);
        let hf = hash_field(hn, value);
        if !sensitive {
            // RFC 7541 §6.1.
            if let Match::Full(i) = in_static {
                int(dst, i as u64, 7, 0x80);
                return;
            }
            if let Some(i) = self.find_field(hf, name, value) {
                int(dst, dynamic_index(i), 7, 0x80);
                return;
            }
        }
        let name_index = match in_static {
            Match::Full(i) | Match::Name(i) => Some(i as u64),
            Match::None => self.find_name(hn, name).map(dynamic_index),
        };
        if sensitive {
            // RFC 7541 §6.2.3.
            self.literal(dst, 0x10, 4, name_index, name, value);
        } else if !self.policy.is_volatile(name)
            && entry_size(name.len(), value.len()) <= self.table.max_size().saturating_mul(3) / 4
        {
            // RFC 7541 §6.2.1.
            self.literal(dst, 0x40, 6, name_index, name, value);
            self.insert(hn, hf, name, value);
        } else {
            // RFC 7541 §6.2.2.
            self.literal(dst, 0x00, 4, name_index, name, value);
        }
    }

    fn literal(
        &self,
        dst: &mut Vec<u8>,
        flags: u8,
        prefix_bits: u8,
        name_index: Option<u64>,
        name: &[u8],
        value: &[u8],
    ) {
        if let Some(i) = name_index {
            int(dst, i, prefix_bits, flags);
        } else {
            int(dst, 0, prefix_bits, flags);
            self.string(dst, name);
        }
        self.string(dst, value);
    }

    /// RFC 7541 §5.2: Huffman-coded only when shorter.
    fn string(&self, dst: &mut Vec<u8>, s: &[u8]) {
        let coded_len = if self.huffman {
            huffman::encoded_len(s)
        } else {
            usize::MAX
        };
        if coded_len < s.len() {
            int(dst, coded_len as u64, 7, 0x80);
            // A `Vec` grows as needed: encoding into it cannot fail.
            let _ = huffman::encode(s, dst);
        } else {
            int(dst, s.len() as u64, 7, 0);
            dst.extend_from_slice(s);
        }
    }

    /// 0-based dynamic index of the newest entry equal to `name: value`.
    fn find_field(&self, hf: u64, name: &[u8], value: &[u8]) -> Option<usize> {
        let abs = *self.by_field.get(&hf)?;
        let (i, e) = self.table.get_absolute(abs)?;
        (e.name == name && e.value == value).then_some(i)
    }

    /// 0-based dynamic index of the newest entry named `name`.
    fn find_name(&self, hn: u64, name: &[u8]) -> Option<usize> {
        let abs = *self.by_name.get(&hn)?;
        let (i, e) = self.table.get_absolute(abs)?;
        (e.name == name).then_some(i)
    }

    fn insert(&mut self, hn: u64, hf: u64, name: &[u8], value: &[u8]) {
        let (by_field, by_name) = (&mut self.by_field, &mut self.by_name);
        let inserted = self
            .table
            .insert(name, value, |abs, e| forget(by_field, by_name, abs, e))
            .is_some();
        if inserted {
            let abs = self.table.inserted().wrapping_sub(1);
            self.by_field.insert(hf, abs);
            self.by_name.insert(hn, abs);
        }
    }
}

/// Drops an evicted entry from the maps, unless a newer entry took its slot.
fn forget(by_field: &mut IndexMap, by_name: &mut IndexMap, abs: u64, e: &Entry) {
    let hn = hash_name(&e.name);
    let hf = hash_field(hn, &e.value);
    if by_field.get(&hf) == Some(&abs) {
        by_field.remove(&hf);
    }
    if by_name.get(&hn) == Some(&abs) {
        by_name.remove(&hn);
    }
}

/// RFC 7541 §2.3.3: the first dynamic index follows the static table.
const FIRST_DYNAMIC: u64 = static_table::LEN as u64 + 1;

/// Wire index of 0-based dynamic index `i` (RFC 7541 §2.3.3).
fn dynamic_index(i: usize) -> u64 {
    (i as u64).saturating_add(FIRST_DYNAMIC)
}

/// Appends a prefix integer (RFC 7541 §5.1). The prefix sizes are constants in 1..=8 and a
/// `Vec` grows, so this cannot fail.
fn int(dst: &mut Vec<u8>, v: u64, prefix_bits: u8, flags: u8) {
    let _ = prefix_int::encode(v, prefix_bits, flags, dst);
}
