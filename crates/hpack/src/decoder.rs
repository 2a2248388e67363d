//! The HPACK decoder (RFC 7541 §3, §6): header block in, fields out to a caller's sink.

use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};
use stator_wire::{Reader, huffman};

use stator_http::fields::CheckedField;

use crate::table::{Entry, Table, entry_size};
use crate::{Error, Field, Limits, static_table};

/// RFC 7541 §4.2 / RFC 9113 §6.5.2: `SETTINGS_HEADER_TABLE_SIZE` starts at 4,096.
pub const DEFAULT_TABLE_SIZE: usize = 4_096;

/// Smallest chunk the Huffman arena allocates (see [`Decoder`]).
const ARENA_CHUNK: usize = 4_096;

/// Decodes the header blocks of one direction of one HTTP/2 connection.
///
/// Feed it every block in order with [`Decoder::decode`]; it keeps the dynamic table
/// (RFC 7541 §2.3.2) between blocks. After any [`Error`] the table no longer matches the
/// peer's and every later call returns the same error (RFC 9113 §4.3: the connection
/// must end with `COMPRESSION_ERROR`).
///
/// # Allocation
///
/// Fields reach the sink as [`Bytes`] without a per-field allocation:
/// - a plain (not Huffman-coded) literal string is a slice of the block;
/// - an indexed name or value is a reference-counted clone of a static (`'static`) or
///   dynamic table entry;
/// - a Huffman-coded string is decoded into a reusable scratch buffer; if its field is
///   not inserted into the table, it is copied into an arena (`BytesMut`) that hands out
///   frozen slices. The arena allocates a chunk of at least 4 KiB when it runs out, i.e.
///   about once per 4 KiB of such text; when the caller has dropped every earlier field,
///   the chunk is reused instead;
/// - a field inserted into the dynamic table (plain or Huffman-coded) is copied once, into
///   the table's own arena of 4 KiB chunks, and handed out as the table's `Bytes`: the
///   table never pins a whole received block, and an insertion allocates only when a
///   chunk is full.
///
/// So a warm block allocates nothing, and a cold 17-field request block allocates 6 times
/// including the decoder's own buffers (counted in the benchmark).
#[derive(Debug)]
pub struct Decoder {
    table: Table,
    limits: Limits,
    /// The table size limit we announced (`SETTINGS_HEADER_TABLE_SIZE`), capped by
    /// `limits.max_table_size`.
    limit: usize,
    /// We lowered `limit` below the table's size: the next block must start with an
    /// update (RFC 7541 §4.2).
    update_required: bool,
    scratch: Vec<u8>,
    arena: BytesMut,
    error: Option<Error>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Decoder {
    /// A decoder with the default table size of 4,096 (capped by `limits`).
    pub fn new(limits: Limits) -> Self {
        let limit = DEFAULT_TABLE_SIZE.min(limits.max_table_size);
        Self {
            table: Table::new(limit),
            limits,
            limit,
            update_required: false,
            scratch: Vec::new(),
            arena: BytesMut::new(),
            error: None,
        }
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Call when the peer acknowledged our `SETTINGS_HEADER_TABLE_SIZE` (RFC 9113 §6.5.3).
    /// The peer may then size its table up to `size` (capped by
    /// [`Limits::max_table_size`]); if that is below the current size, its next block must
    /// start with a size update (RFC 7541 §4.2), or decoding fails with
    /// [`Error::MissingSizeUpdate`].
    pub fn set_max_table_size(&mut self, size: usize) {
        self.limit = size.min(self.limits.max_table_size);
        if self.limit < self.table.max_size() {
            self.update_required = true;
        }
    }

    /// The dynamic table's current size (RFC 7541 §4.1).
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// The dynamic table's current maximum size, as last set by the peer (RFC 7541 §4.2).
    pub fn table_max_size(&self) -> usize {
        self.table.max_size()
    }

    /// The dynamic table's entries as `(name, value)`, newest (index 62) first.
    pub fn table_entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.table.iter().map(|e| (&e.name[..], &e.value[..]))
    }

    /// The error that stopped this decoder, if any.
    pub fn error(&self) -> Option<Error> {
        self.error
    }

    /// Decodes one complete header block (RFC 7541 §3.2), passing each field to `sink` in
    /// order.
    ///
    /// If `sink` breaks, decoding stops there and the result is `Ok(Break(b))`; the rest
    /// of the block is not applied, so the decoder is then unusable ([`Error::Aborted`]).
    /// To skip fields but keep the connection, let the sink continue and ignore them.
    pub fn decode<B>(
        &mut self,
        block: &Bytes,
        sink: impl FnMut(Field) -> ControlFlow<B>,
    ) -> Result<ControlFlow<B>, Error> {
        self.decode_to(block, &mut Closure(sink))
    }

    /// [`decode`](Self::decode) into any [`Output`], with the sticky error.
    pub(crate) fn decode_to<O: Output>(
        &mut self,
        block: &Bytes,
        out: &mut O,
    ) -> Result<ControlFlow<O::Break>, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.decode_block(block, out) {
            Ok(ControlFlow::Continue(())) => Ok(ControlFlow::Continue(())),
            Ok(ControlFlow::Break(b)) => {
                self.error = Some(Error::Aborted);
                Ok(ControlFlow::Break(b))
            }
            Err(e) => {
                self.error = Some(e);
                Err(e)
            }
        }
    }

    fn decode_block<O: Output>(
        &mut self,
        block: &Bytes,
        out: &mut O,
    ) -> Result<ControlFlow<O::Break, ()>, Error> {
        let mut r = Reader::new(block);
        let mut budget = self.limits.max_header_list_size;
        let mut at_start = true;
        while let Ok(first) = r.peek_u8() {
            let flow = if first & 0x80 != 0 {
                // RFC 7541 §6.1: indexed header field.
                let index = read_int(&mut r, 7)?;
                let entry = self.lookup(index)?;
                let (n, v) = entry.lens();
                self.check_field(at_start, &mut budget, n, v)?;
                out.entry(entry)
            } else if first & 0x40 != 0 {
                // RFC 7541 §6.2.1: literal with incremental indexing. Huffman-coded
                // strings go from the scratch buffer straight into the table's copy.
                let (name, value) = self.literal(block, &mut r, 6)?;
                let (n, v) = (name.view(&self.scratch), value.view(&self.scratch));
                self.check_field(at_start, &mut budget, n.len(), v.len())?;
                if let Some(e) = self.table.insert(n, v, |_, _| {}) {
                    out.entry(TableRef::Dynamic(e))
                } else {
                    // Larger than the whole table: emptied it, not inserted (§4.4).
                    out.field(Field {
                        name: self.materialize(name),
                        value: self.materialize(value),
                        never_indexed: false,
                    })
                }
            } else if first & 0x20 != 0 {
                // RFC 7541 §6.3: dynamic table size update, only before the first field.
                if !at_start {
                    return Err(Error::SizeUpdateAfterField);
                }
                let size = read_int(&mut r, 5)?;
                let size = usize::try_from(size)
                    .ok()
                    .filter(|&s| s <= self.limit)
                    .ok_or(Error::SizeUpdateAboveLimit {
                        size,
                        limit: self.limit,
                    })?;
                self.table.set_max_size(size, |_, _| {});
                self.update_required = false;
                continue;
            } else {
                // RFC 7541 §6.2.2 (0000) and §6.2.3 (0001, never indexed).
                let never_indexed = first & 0x10 != 0;
                let (name, value) = self.literal(block, &mut r, 4)?;
                let field = Field {
                    name: self.materialize(name),
                    value: self.materialize(value),
                    never_indexed,
                };
                self.check_field(at_start, &mut budget, field.name.len(), field.value.len())?;
                out.field(field)
            };
            at_start = false;
            if let ControlFlow::Break(b) = flow {
                return Ok(ControlFlow::Break(b));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Checks a field against the pending size update and the header list budget before it
    /// is emitted.
    fn check_field(
        &self,
        at_start: bool,
        budget: &mut usize,
        name_len: usize,
        value_len: usize,
    ) -> Result<(), Error> {
        if at_start && self.update_required {
            return Err(Error::MissingSizeUpdate);
        }
        // RFC 9113 §6.5.2: name + value + 32 per field.
        *budget = budget.checked_sub(entry_size(name_len, value_len)).ok_or(
            Error::HeaderListTooLarge {
                limit: self.limits.max_header_list_size,
            },
        )?;
        Ok(())
    }

    /// RFC 7541 §2.3.3: index 1..=61 is static, 62.. dynamic (newest first).
    fn lookup(&self, index: u64) -> Result<TableRef<'_>, Error> {
        let out_of_range = Error::IndexOutOfRange { index };
        let i = usize::try_from(index).map_err(|_| out_of_range)?;
        if i == 0 {
            return Err(Error::IndexZero);
        }
        if let Some((name, value)) = static_table::get(i) {
            return Ok(TableRef::Static {
                index: i,
                name,
                value,
            });
        }
        i.checked_sub(static_table::LEN.saturating_add(1))
            .and_then(|d| self.table.get(d))
            .map(TableRef::Dynamic)
            .ok_or(out_of_range)
    }

    /// RFC 7541 §6.2: a name index with a `prefix_bits` prefix (0 = literal name follows),
    /// then the value string. Huffman-coded strings are left in the scratch buffer.
    fn literal(
        &mut self,
        block: &Bytes,
        r: &mut Reader<'_>,
        prefix_bits: u8,
    ) -> Result<(Str, Str), Error> {
        self.scratch.clear();
        let index = read_int(r, prefix_bits)?;
        let name = if index == 0 {
            self.string(block, r)?
        } else {
            Str::Shared(self.lookup(index)?.name())
        };
        let value = self.string(block, r)?;
        Ok((name, value))
    }

    /// RFC 7541 §5.2: a string literal: a plain one is a slice of the block, a
    /// Huffman-coded one is appended to the scratch buffer.
    fn string(&mut self, block: &Bytes, r: &mut Reader<'_>) -> Result<Str, Error> {
        let huffman_coded = r.peek_u8().map_err(|_| Error::Truncated)? & 0x80 != 0;
        let len = read_int(r, 7)?;
        let limit = self.limits.max_string_len;
        let too_long = Error::StringTooLong { len, limit };
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= limit)
            .ok_or(too_long)?;
        let raw = r.read_bytes(len).map_err(|_| Error::Truncated)?;
        if !huffman_coded {
            return Ok(Str::Shared(block.slice_ref(raw)));
        }
        let start = self.scratch.len();
        let n = huffman::decode(raw, &mut self.scratch).map_err(Error::Huffman)?;
        if n > limit {
            return Err(Error::StringTooLong {
                len: n as u64,
                limit,
            });
        }
        Ok(Str::Scratch(start, self.scratch.len()))
    }

    /// The string as `Bytes`: a scratch string is copied into the arena, which hands out
    /// frozen slices of one larger allocation.
    fn materialize(&mut self, s: Str) -> Bytes {
        match s {
            Str::Shared(b) => b,
            Str::Scratch(..) => {
                let src = s.view(&self.scratch);
                if self.arena.capacity().saturating_sub(self.arena.len()) < src.len() {
                    self.arena.reserve(src.len().max(ARENA_CHUNK));
                }
                self.arena.extend_from_slice(src);
                self.arena.split().freeze()
            }
        }
    }
}

/// A field that is a table entry.
pub(crate) enum TableRef<'a> {
    /// Static entry `index` (1-based).
    Static {
        index: usize,
        name: &'static str,
        value: &'static str,
    },
    Dynamic(&'a Entry),
}

impl TableRef<'_> {
    fn lens(&self) -> (usize, usize) {
        match self {
            TableRef::Static { name, value, .. } => (name.len(), value.len()),
            TableRef::Dynamic(e) => (e.name.len(), e.value.len()),
        }
    }

    fn name(&self) -> Bytes {
        match self {
            TableRef::Static { name, .. } => Bytes::from_static(name.as_bytes()),
            TableRef::Dynamic(e) => e.name.clone(),
        }
    }

    fn value(&self) -> Bytes {
        match self {
            TableRef::Static { value, .. } => Bytes::from_static(value.as_bytes()),
            TableRef::Dynamic(e) => e.value.clone(),
        }
    }

    /// The entry as a field.
    pub(crate) fn to_field(&self) -> Field {
        Field {
            name: self.name(),
            value: self.value(),
            never_indexed: false,
        }
    }

    /// The entry checked and converted for `stator-http`'s builders, made on first use;
    /// `None` if it breaks a rule or depends on its section.
    pub(crate) fn checked(&self) -> Option<&CheckedField> {
        match self {
            TableRef::Static { index, .. } => static_table::checked(*index),
            TableRef::Dynamic(e) => e
                .checked
                .get_or_init(|| CheckedField::new(&e.name, e.value.clone()))
                .as_ref(),
        }
    }
}

/// Where a block's fields go: a caller's closure or a `stator-http` builder.
pub(crate) trait Output {
    /// What a caller's closure breaks with.
    type Break;
    /// A literal field that is not a table entry.
    fn field(&mut self, field: Field) -> ControlFlow<Self::Break>;
    /// A field that is a table entry (referenced, or just inserted).
    fn entry(&mut self, entry: TableRef<'_>) -> ControlFlow<Self::Break>;
}

/// A caller's closure as an [`Output`].
struct Closure<F>(F);

impl<B, F: FnMut(Field) -> ControlFlow<B>> Output for Closure<F> {
    type Break = B;

    fn field(&mut self, field: Field) -> ControlFlow<B> {
        (self.0)(field)
    }

    fn entry(&mut self, entry: TableRef<'_>) -> ControlFlow<B> {
        (self.0)(entry.to_field())
    }
}

/// A string of a literal representation: shared, or a range of the scratch buffer.
enum Str {
    Shared(Bytes),
    Scratch(usize, usize),
}

impl Str {
    fn view<'a>(&'a self, scratch: &'a [u8]) -> &'a [u8] {
        match self {
            Str::Shared(b) => b,
            Str::Scratch(start, end) => scratch.get(*start..*end).unwrap_or_default(),
        }
    }
}

/// Reads a prefix integer (RFC 7541 §5.1), mapping wire errors to ours.
fn read_int(r: &mut Reader<'_>, prefix_bits: u8) -> Result<u64, Error> {
    r.read_prefix_int(prefix_bits, u64::MAX)
        .map(|(_, v)| v)
        .map_err(|e| match e {
            stator_wire::Error::UnexpectedEnd { .. } => Error::Truncated,
            _ => Error::IntegerOverflow,
        })
}
