//! Field line representations (RFC 9204 §4.5.2–§4.5.6): decoding a whole encoded field
//! section against the dynamic table, and writing single representations.

use std::ops::ControlFlow;

use bytes::Bytes;
use stator_wire::{Reader, WriteExt, prefix_int};

use crate::error::{Reason, wire_reason};
use crate::primitives::{MAX_INT, Strings, read_prefix, read_string, write_string};
use crate::sink::{Output, TableRef};
use crate::static_table;
use crate::table::{DynamicTable, entry_size};
use crate::{Field, Limits};

/// The section prefix, read before deciding whether the section is blocked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefix {
    /// The Required Insert Count (RFC 9204 §4.5.1.1).
    pub(crate) ric: u64,
    /// The Base (RFC 9204 §4.5.1.2).
    pub(crate) base: u64,
}

/// Reads the prefix of `section` (RFC 9204 §4.5.1).
pub(crate) fn prefix(
    section: &[u8],
    max_entries: u64,
    table: &DynamicTable,
) -> Result<Prefix, Reason> {
    let mut r = Reader::new(section);
    let (ric, base) = read_prefix(&mut r, max_entries, table.insert_count())?;
    Ok(Prefix { ric, base })
}

/// Decodes every field line of `section`, whose Required Insert Count the table has
/// reached (RFC 9204 §4.5), passing each to `out` in order until it breaks. Huffman-coded
/// strings go through `strings`' scratch buffer and arena; table references reach `out`
/// as entries.
pub(crate) fn decode<O: Output>(
    section: &Bytes,
    max_entries: u64,
    table: &DynamicTable,
    limits: &Limits,
    strings: &mut Strings,
    out: &mut O,
) -> Result<(Prefix, ControlFlow<O::Break>), Reason> {
    let mut r = Reader::new(section);
    let (ric, base) = read_prefix(&mut r, max_entries, table.insert_count())?;
    let p = Prefix { ric, base };
    let max_str = limits.max_string_len;
    let mut budget = limits.max_field_section_size;
    let int = |r: &mut Reader<'_>, bits| {
        prefix_int::decode(r, bits, MAX_INT)
            .map(|(_, v)| v)
            .map_err(wire_reason)
    };
    // RFC 9114 §4.2.2: a field line counts its name, value and 32 bytes.
    let mut spend = |name: &[u8], value: &[u8]| {
        budget = budget
            .checked_sub(entry_size(name, value))
            .ok_or(Reason::FieldSectionTooLarge)?;
        Ok::<(), Reason>(())
    };
    let before = |index: u64| p.base.checked_sub(index).and_then(|v| v.checked_sub(1));
    while !r.is_empty() {
        let first = r.peek_u8().map_err(wire_reason)?;
        let entry = if first & 0x80 != 0 {
            // RFC 9204 §4.5.2: Indexed Field Line.
            let index = int(&mut r, 6)?;
            Some(if first & 0x40 != 0 {
                static_entry(index)?
            } else {
                dynamic_entry(table, p, before(index))?
            })
        } else if first & 0xf0 == 0x10 {
            // RFC 9204 §4.5.3: Indexed Field Line with Post-Base Index.
            let index = int(&mut r, 4)?;
            Some(dynamic_entry(table, p, p.base.checked_add(index))?)
        } else {
            None
        };
        let flow = if let Some(entry) = entry {
            spend(entry.name(), entry.value())?;
            out.entry(entry)
        } else {
            let (name, never_index) = if first & 0x40 != 0 {
                // RFC 9204 §4.5.4: Literal Field Line with Name Reference.
                let index = int(&mut r, 4)?;
                let name = if first & 0x10 != 0 {
                    static_entry(index)?
                } else {
                    dynamic_entry(table, p, before(index))?
                };
                (name.name_bytes(), first & 0x20 != 0)
            } else if first & 0x20 != 0 {
                // RFC 9204 §4.5.6: Literal Field Line with Literal Name.
                let raw = read_string(&mut r, 3, max_str)?;
                (strings.decode(raw, section, max_str)?, first & 0x10 != 0)
            } else {
                // RFC 9204 §4.5.5: Literal Field Line with Post-Base Name Reference.
                let index = int(&mut r, 3)?;
                let name = dynamic_entry(table, p, p.base.checked_add(index))?;
                (name.name_bytes(), first & 0x08 != 0)
            };
            let raw = read_string(&mut r, 7, max_str)?;
            let value = strings.decode(raw, section, max_str)?;
            spend(&name, &value)?;
            out.field(Field {
                name,
                value,
                never_index,
            })
        };
        if flow.is_break() {
            return Ok((p, flow));
        }
    }
    Ok((p, ControlFlow::Continue(())))
}

/// The static entry at `index` (RFC 9204 §3.1).
fn static_entry(index: u64) -> Result<TableRef<'static>, Reason> {
    let (name, value) = static_table::get(index).ok_or(Reason::InvalidStaticIndex)?;
    Ok(TableRef::Static { index, name, value })
}

/// The dynamic entry at absolute index `abs`, which must be below the Required Insert
/// Count (RFC 9204 §2.2.3) and still in the table.
fn dynamic_entry(
    table: &DynamicTable,
    p: Prefix,
    abs: Option<u64>,
) -> Result<TableRef<'_>, Reason> {
    let abs = abs
        .filter(|a| *a < p.ric)
        .ok_or(Reason::InvalidDynamicIndex)?;
    table
        .get(abs)
        .map(TableRef::Dynamic)
        .ok_or(Reason::InvalidDynamicIndex)
}

/// One planned field line representation, in absolute terms; the Base is applied
/// when it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rep {
    /// Indexed Field Line, static table.
    Static(u64),
    /// Indexed Field Line (or with Post-Base Index) at this absolute index.
    Dynamic(u64),
    /// Literal with a static name reference.
    StaticName(u64),
    /// Literal with a dynamic name reference at this absolute index.
    DynamicName(u64),
    /// Literal with a literal name.
    Literal,
}

/// Writes one representation relative to `base` (RFC 9204 §4.5.2–§4.5.6). The field's
/// `never_index` sets the N bit of literals.
pub(crate) fn write_rep(buf: &mut Vec<u8>, rep: Rep, base: u64, field: &Field) {
    let n = field.never_index;
    // Writing into a Vec cannot fail.
    match rep {
        Rep::Static(i) => {
            let _ = buf.put_prefix_int(i, 6, 0xc0);
        }
        Rep::Dynamic(abs) => {
            if let Some(post) = abs.checked_sub(base) {
                let _ = buf.put_prefix_int(post, 4, 0x10);
            } else {
                let _ = buf.put_prefix_int(base.saturating_sub(abs).saturating_sub(1), 6, 0x80);
            }
        }
        Rep::StaticName(i) => {
            let _ = buf.put_prefix_int(i, 4, if n { 0x70 } else { 0x50 });
            write_string(buf, 7, 0, &field.value);
        }
        Rep::DynamicName(abs) => {
            if let Some(post) = abs.checked_sub(base) {
                let _ = buf.put_prefix_int(post, 3, if n { 0x08 } else { 0x00 });
            } else {
                let rel = base.saturating_sub(abs).saturating_sub(1);
                let _ = buf.put_prefix_int(rel, 4, if n { 0x60 } else { 0x40 });
            }
            write_string(buf, 7, 0, &field.value);
        }
        Rep::Literal => {
            write_string(buf, 3, if n { 0x30 } else { 0x20 }, &field.name);
            write_string(buf, 7, 0, &field.value);
        }
    }
}
