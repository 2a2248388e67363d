//! The QPACK encoder (RFC 9204 §2.1): it chooses representations, inserts into the
//! dynamic table when that pays, and tracks what the peer decoder has acknowledged so
//! that it never blocks more streams than allowed nor evicts an entry still in use.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use bytes::Bytes;
use stator_wire::Reader;

use crate::Field;
use crate::error::{Error, Reason};
use crate::instructions::{DecoderInstruction, EncoderInstruction, NameRef};
use crate::primitives::{max_entries, write_prefix};
use crate::section::{Rep, write_rep};
use crate::static_table::{self, Match};
use crate::table::{DynamicTable, Entry, entry_size};

/// An encoded field section the decoder has not acknowledged yet.
#[derive(Debug, Clone, Copy)]
struct Outstanding {
    /// Its Required Insert Count.
    ric: u64,
    /// The smallest absolute index it references (`u64::MAX` for none).
    min_ref: u64,
}

/// The encoding half of a QPACK connection.
///
/// [`Encoder::encode`] writes encoder-stream instructions into a caller buffer and returns
/// the field section; [`Encoder::on_decoder_stream`] consumes the peer decoder's
/// acknowledgments. Errors from the decoder stream are sticky.
///
/// Until the peer's SETTINGS arrive, an HTTP/3 endpoint uses `Encoder::new(0, 0)` (the
/// defaults of RFC 9204 §5: static table and literals only) and replaces it with one
/// built from the received values: nothing a capacity-0 encoder did needs remembering.
#[derive(Debug, Clone)]
pub struct Encoder {
    /// The peer's `SETTINGS_QPACK_MAX_TABLE_CAPACITY`.
    peer_max_capacity: u64,
    max_entries: u64,
    /// The peer's `SETTINGS_QPACK_BLOCKED_STREAMS`.
    max_blocked: u64,
    /// The capacity we intend to use (at most the peer's maximum).
    target_capacity: usize,
    table: DynamicTable,
    /// RFC 9204 §2.1.4: Known Received Count.
    known_received: u64,
    outstanding: HashMap<u64, VecDeque<Outstanding>>,
    /// Hashes of recently encoded fields: a field is inserted only on its second
    /// sighting, so one-off values (request paths, dates) do not churn the table.
    history: VecDeque<u64>,
    /// Bytes of a decoder-stream instruction that has not fully arrived.
    pending: Vec<u8>,
    error: Option<Error>,
}

impl Encoder {
    /// An encoder for a peer decoder that advertised `max_table_capacity` and
    /// `max_blocked_streams` (RFC 9204 §5). It uses the whole capacity; see
    /// [`Encoder::with_capacity`] for less.
    pub fn new(max_table_capacity: u64, max_blocked_streams: u64) -> Encoder {
        Encoder::with_capacity(max_table_capacity, max_blocked_streams, usize::MAX)
    }

    /// Like [`Encoder::new`], using at most `capacity` bytes of dynamic table
    /// (RFC 9204 §3.2.3: the encoder picks any capacity up to the peer's maximum).
    pub fn with_capacity(
        max_table_capacity: u64,
        max_blocked_streams: u64,
        capacity: usize,
    ) -> Encoder {
        let peer = usize::try_from(max_table_capacity).unwrap_or(usize::MAX);
        Encoder {
            peer_max_capacity: max_table_capacity,
            max_entries: max_entries(max_table_capacity),
            max_blocked: max_blocked_streams,
            target_capacity: capacity.min(peer),
            table: DynamicTable::default(),
            known_received: 0,
            outstanding: HashMap::new(),
            history: VecDeque::new(),
            pending: Vec::new(),
            error: None,
        }
    }

    /// The number of entries inserted so far (RFC 9204 §3.2.4).
    pub fn insert_count(&self) -> u64 {
        self.table.insert_count()
    }

    /// The Known Received Count (RFC 9204 §2.1.4): inserts the decoder has acknowledged.
    pub fn known_received_count(&self) -> u64 {
        self.known_received
    }

    /// The number of streams whose unacknowledged sections may be blocked at the decoder.
    pub fn blocked_streams(&self) -> u64 {
        let kr = self.known_received;
        self.outstanding
            .values()
            .filter(|q| q.iter().any(|o| o.ric > kr))
            .count() as u64
    }

    /// Encodes `fields` as one field section of `stream_id` (RFC 9204 §4.5) and appends
    /// any encoder-stream instructions it needs to `encoder_stream`, which the caller must
    /// send before (or with) the section. Call [`Encoder::on_decoder_stream`] with the
    /// decoder's acknowledgments so that later sections can use the new entries without
    /// risking blocking and old entries can be evicted.
    pub fn encode(
        &mut self,
        stream_id: u64,
        fields: &[Field],
        encoder_stream: &mut Vec<u8>,
    ) -> Bytes {
        if self.table.capacity() != self.target_capacity && self.peer_max_capacity > 0 {
            // RFC 9204 §4.3.1: the table starts at capacity 0.
            EncoderInstruction::<&[u8]>::SetCapacity(self.target_capacity as u64)
                .write(encoder_stream);
            self.table.set_capacity(self.target_capacity);
        }
        let kr = self.known_received;
        let stream_blocked = self
            .outstanding
            .get(&stream_id)
            .is_some_and(|q| q.iter().any(|o| o.ric > kr));
        let may_block = stream_blocked || self.blocked_streams() < self.max_blocked;
        let mut min_evictable = self.pinned_below();
        let mut reps = Vec::with_capacity(fields.len());
        let mut ric = 0u64;
        let mut min_ref = u64::MAX;
        for field in fields {
            let rep = self.choose(field, may_block, &mut min_evictable, encoder_stream);
            if let Rep::Dynamic(abs) | Rep::DynamicName(abs) = rep {
                ric = ric.max(abs.saturating_add(1));
                min_ref = min_ref.min(abs);
                min_evictable = min_evictable.min(abs);
            }
            reps.push(rep);
        }
        let base = self.table.insert_count();
        let mut out = Vec::with_capacity(fields.len().saturating_mul(8).saturating_add(2));
        write_prefix(&mut out, ric, base, self.max_entries);
        for (rep, field) in reps.into_iter().zip(fields) {
            write_rep(&mut out, rep, base, field);
        }
        if ric > 0 {
            self.outstanding
                .entry(stream_id)
                .or_default()
                .push_back(Outstanding { ric, min_ref });
        }
        Bytes::from(out)
    }

    /// The lowest absolute index that must not be evicted: entries referenced by
    /// unacknowledged sections (RFC 9204 §2.1.1) and entries the decoder has not
    /// acknowledged receiving.
    fn pinned_below(&self) -> u64 {
        let referenced = self
            .outstanding
            .values()
            .flatten()
            .map(|o| o.min_ref)
            .min()
            .unwrap_or(u64::MAX);
        referenced.min(self.known_received)
    }

    /// Whether a dynamic entry may be referenced by the section being encoded.
    fn usable(&self, abs: u64, may_block: bool) -> bool {
        may_block || abs < self.known_received
    }

    /// Picks the representation of one field, inserting into the table when worthwhile.
    fn choose(
        &mut self,
        field: &Field,
        may_block: bool,
        pinned: &mut u64,
        enc: &mut Vec<u8>,
    ) -> Rep {
        let stat = static_table::find(&field.name, &field.value);
        if field.never_index {
            // RFC 9204 §7.1.3: a literal with the N bit, the name referenced if possible.
            return self.never_indexed(field, stat, may_block);
        }
        if let Some(Match::Full(i)) = stat {
            return Rep::Static(i);
        }
        let mut dyn_name = None;
        let mut exact = None;
        for (abs, e) in self.table.iter_newest_first() {
            if e.name == field.name && self.usable(abs, may_block) {
                if e.value == field.value {
                    exact = Some(abs);
                    break;
                }
                if dyn_name.is_none() {
                    dyn_name = Some(abs);
                }
            }
        }
        if let Some(abs) = exact {
            return self.refresh(abs, may_block, *pinned, enc);
        }
        let size = entry_size(&field.name, &field.value);
        // Large or one-off values waste the table: only insert what fits comfortably and
        // has been seen before.
        let worth =
            size <= self.table.capacity() / 2 && self.table.capacity() > 0 && self.seen(field);
        if worth && self.make_room(size, *pinned) {
            let name = match stat {
                Some(Match::Name(i) | Match::Full(i)) => Some(NameRef::Static(i)),
                None => self
                    .table
                    .iter_newest_first()
                    .find(|(_, e)| e.name == field.name)
                    .and_then(|(abs, _)| self.table.insert_count().checked_sub(abs)?.checked_sub(1))
                    .map(NameRef::Dynamic),
            };
            let ins = match name {
                Some(name) => EncoderInstruction::InsertWithNameRef {
                    name,
                    value: &field.value[..],
                },
                None => EncoderInstruction::InsertWithLiteralName {
                    name: &field.name[..],
                    value: &field.value[..],
                },
            };
            ins.write(enc);
            let abs = self.table.insert_count();
            // `make_room` checked the fit, so the insert cannot fail.
            let _ = self
                .table
                .insert(Entry::new(field.name.clone(), field.value.clone()));
            if self.usable(abs, may_block) {
                return Rep::Dynamic(abs);
            }
        }
        match (stat, dyn_name) {
            (Some(Match::Name(i) | Match::Full(i)), _) => Rep::StaticName(i),
            (None, Some(abs)) if self.table.get(abs).is_some() => Rep::DynamicName(abs),
            _ => Rep::Literal,
        }
    }

    /// The representation of a never-indexed field: never an insert, never an index.
    fn never_indexed(&self, field: &Field, stat: Option<Match>, may_block: bool) -> Rep {
        if let Some(Match::Name(i) | Match::Full(i)) = stat {
            return Rep::StaticName(i);
        }
        self.table
            .iter_newest_first()
            .find(|(abs, e)| e.name == field.name && self.usable(*abs, may_block))
            .map_or(Rep::Literal, |(abs, _)| Rep::DynamicName(abs))
    }

    /// References entry `abs`, first duplicating it when it is among the oldest quarter
    /// of the table and so close to eviction (RFC 9204 §2.1.1.1, §4.3.4): a Duplicate
    /// costs a byte or two where re-inserting the field later costs the whole literal.
    fn refresh(&mut self, abs: u64, may_block: bool, pinned: u64, enc: &mut Vec<u8>) -> Rep {
        let Some(entry) = self.table.get(abs).cloned() else {
            return Rep::Dynamic(abs);
        };
        let draining = self.table.bytes_before(abs) < self.table.capacity() / 4;
        // Referencing the copy lets the original go; referencing the original pins it.
        let keep = if may_block { pinned } else { pinned.min(abs) };
        if !draining || !self.make_room(entry.size(), keep) {
            return Rep::Dynamic(abs);
        }
        let Some(relative) = self
            .table
            .insert_count()
            .checked_sub(abs)
            .and_then(|v| v.checked_sub(1))
        else {
            return Rep::Dynamic(abs);
        };
        EncoderInstruction::<&[u8]>::Duplicate(relative).write(enc);
        let copy = self.table.insert_count();
        // `make_room` checked the fit, so the insert cannot fail.
        let _ = self.table.insert(entry);
        if self.usable(copy, may_block) {
            Rep::Dynamic(copy)
        } else {
            Rep::Dynamic(abs)
        }
    }

    /// Records `field` in the history and says whether it was already there.
    fn seen(&mut self, field: &Field) -> bool {
        let mut h = DefaultHasher::new();
        field.hash(&mut h);
        let hash = h.finish();
        if self.history.contains(&hash) {
            return true;
        }
        // A short memory: a field that recurs within the last few dozen (about a request
        // or two) is worth an entry; measured on the QIF corpus, longer histories insert
        // values that do not come back before eviction.
        let limit = (self.table.capacity() / 128).clamp(16, 1024);
        if self.history.len() >= limit {
            self.history.pop_front();
        }
        self.history.push_back(hash);
        false
    }

    /// Whether `size` bytes fit after evicting only entries below `pinned`.
    fn make_room(&self, size: usize, pinned: u64) -> bool {
        match self.table.evictions_needed(size) {
            Some(n) => self.table.first_index().saturating_add(n) <= pinned,
            None => false,
        }
    }

    /// Consumes bytes of the peer's decoder stream (RFC 9204 §4.4), in any chunking.
    pub fn on_decoder_stream(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(bytes);
        let mut r = Reader::new(&input);
        let result = loop {
            if r.is_empty() {
                break Ok(());
            }
            match DecoderInstruction::parse(&mut r) {
                Ok(ins) => {
                    if let Err(reason) = self.apply(ins) {
                        break Err(Error::decoder_stream(reason));
                    }
                }
                // A prefix integer is at most 11 bytes: the buffer stays tiny.
                Err(Reason::Truncated) => break Ok(()),
                Err(reason) => break Err(Error::decoder_stream(reason)),
            }
        };
        self.pending = r.rest().to_vec();
        result.inspect_err(|e| self.error = Some(*e))
    }

    /// Applies one decoder instruction (RFC 9204 §4.4).
    fn apply(&mut self, ins: DecoderInstruction) -> Result<(), Reason> {
        match ins {
            DecoderInstruction::SectionAck(id) => {
                let queue = self
                    .outstanding
                    .get_mut(&id)
                    .ok_or(Reason::UnexpectedSectionAck)?;
                let section = queue.pop_front().ok_or(Reason::UnexpectedSectionAck)?;
                if queue.is_empty() {
                    self.outstanding.remove(&id);
                }
                // RFC 9204 §2.1.4: an acknowledged section acknowledges its inserts.
                self.known_received = self.known_received.max(section.ric);
            }
            DecoderInstruction::StreamCancel(id) => {
                self.outstanding.remove(&id);
            }
            DecoderInstruction::InsertCountIncrement(n) => {
                let new = self
                    .known_received
                    .checked_add(n)
                    .filter(|v| n > 0 && *v <= self.table.insert_count())
                    .ok_or(Reason::InvalidInsertCountIncrement)?;
                self.known_received = new;
            }
        }
        Ok(())
    }
}
