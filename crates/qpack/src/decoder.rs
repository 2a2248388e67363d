//! The QPACK decoder (RFC 9204 §2.2): it applies the peer encoder's instructions to the
//! dynamic table, decodes field sections, holds blocked ones until their inserts arrive,
//! and writes the decoder stream.

use std::collections::VecDeque;

use bytes::Bytes;
use stator_wire::Reader;

use crate::error::{Error, Reason};
use crate::instructions::{DecoderInstruction, EncoderInstruction, NameRef};
use crate::primitives::max_entries;
use crate::section;
use crate::static_table;
use crate::table::{DynamicTable, Entry};
use crate::{Field, Limits};

/// What [`Decoder::decode`] made of a field section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// The section's field lines, in order.
    Fields(Vec<Field>),
    /// The section references entries not inserted yet (RFC 9204 §2.1.2); the decoder
    /// keeps it and reports it through [`Decoder::poll_unblocked`] once they arrive.
    Blocked,
}

/// A field section held until the dynamic table reaches its Required Insert Count.
#[derive(Debug, Clone)]
struct BlockedSection {
    stream_id: u64,
    ric: u64,
    section: Bytes,
}

/// The decoding half of a QPACK connection.
///
/// Inputs: [`Decoder::on_encoder_stream`] (bytes of the peer's encoder stream, in any
/// chunking), [`Decoder::decode`] (one field section of a request stream) and
/// [`Decoder::cancel_stream`]. Outputs: [`Decoder::poll_unblocked`] and
/// [`Decoder::poll_decoder_stream`]. Errors are sticky: after one, every input returns it.
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    max_entries: u64,
    table: DynamicTable,
    /// Encoder-stream bytes of an instruction that has not fully arrived.
    pending: Vec<u8>,
    blocked: Vec<BlockedSection>,
    unblocked: VecDeque<(u64, Vec<Field>)>,
    /// Section Acknowledgments and Stream Cancellations not yet written.
    instructions: Vec<DecoderInstruction>,
    /// The Insert Count the encoder has been told about (RFC 9204 §2.2.2.3).
    acknowledged_inserts: u64,
    error: Option<Error>,
}

impl Decoder {
    /// A decoder that advertised `limits.max_table_capacity` and
    /// `limits.max_blocked_streams` in its SETTINGS (RFC 9204 §5).
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            max_entries: max_entries(limits.max_table_capacity as u64),
            limits,
            table: DynamicTable::default(),
            pending: Vec::new(),
            blocked: Vec::new(),
            unblocked: VecDeque::new(),
            instructions: Vec::new(),
            acknowledged_inserts: 0,
            error: None,
        }
    }

    /// Starts the dynamic table at `capacity` instead of 0, as QPACK drafts before -06
    /// did and as the QPACK offline-interop corpus assumes (its encoders never send Set
    /// Dynamic Table Capacity). RFC 9204 §3.2.3 peers start at 0: do not use this with
    /// them. Capacities above [`Limits::max_table_capacity`] are clamped to it.
    pub fn set_initial_capacity(&mut self, capacity: usize) {
        self.table
            .set_capacity(capacity.min(self.limits.max_table_capacity));
    }

    /// The limits this decoder enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The number of insertions into the dynamic table so far (RFC 9204 §3.2.4).
    pub fn insert_count(&self) -> u64 {
        self.table.insert_count()
    }

    /// The dynamic table's current capacity and size in bytes (RFC 9204 §3.2.1).
    pub fn table_size(&self) -> (usize, usize) {
        (self.table.capacity(), self.table.size())
    }

    /// The number of streams with a blocked field section.
    pub fn blocked_streams(&self) -> usize {
        self.blocked.len()
    }

    fn fail(&mut self, e: Error) -> Error {
        self.error = Some(e);
        e
    }

    /// Consumes bytes of the peer's encoder stream (RFC 9204 §4.3). An instruction split
    /// across calls waits for the rest. Sections that the new entries unblock become
    /// available from [`Decoder::poll_unblocked`]; decoder-stream output from
    /// [`Decoder::poll_decoder_stream`]. A failure in an unblocked section is reported
    /// here, with `QPACK_DECOMPRESSION_FAILED`.
    pub fn on_encoder_stream(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        // Parse straight from `bytes` unless an instruction is pending; then append to the
        // pending buffer (amortised, never re-copying what is already there).
        let mut owned = std::mem::take(&mut self.pending);
        let from_pending = !owned.is_empty();
        if from_pending {
            owned.extend_from_slice(bytes);
        }
        let input: &[u8] = if from_pending { &owned } else { bytes };
        let mut r = Reader::new(input);
        let result = loop {
            if r.is_empty() {
                break Ok(());
            }
            match EncoderInstruction::parse(&mut r, self.limits.max_string_len) {
                Ok(ins) => {
                    if let Err(reason) = self.apply(ins) {
                        break Err(Error::encoder_stream(reason));
                    }
                }
                Err(Reason::Truncated) => {
                    if r.remaining() > self.limits.max_encoder_stream_buffer {
                        break Err(Error::encoder_stream(Reason::EncoderStreamBufferFull));
                    }
                    break Ok(());
                }
                Err(reason) => break Err(Error::encoder_stream(reason)),
            }
        };
        let consumed = r.position();
        if from_pending {
            owned.drain(..consumed);
        } else {
            owned.clear();
            owned.extend_from_slice(bytes.get(consumed..).unwrap_or_default());
        }
        self.pending = owned;
        if let Err(e) = result {
            return Err(self.fail(e));
        }
        self.unblock().map_err(|e| self.fail(e))
    }

    /// Applies one encoder instruction to the table (RFC 9204 §4.3).
    fn apply(&mut self, ins: EncoderInstruction) -> Result<(), Reason> {
        let entry = match ins {
            EncoderInstruction::SetCapacity(c) => {
                let c = usize::try_from(c).map_err(|_| Reason::CapacityExceeded)?;
                if c > self.limits.max_table_capacity {
                    return Err(Reason::CapacityExceeded);
                }
                self.table.set_capacity(c);
                return Ok(());
            }
            EncoderInstruction::InsertWithNameRef {
                name: NameRef::Static(i),
                value,
            } => {
                let (name, _) = static_table::get(i).ok_or(Reason::InvalidStaticIndex)?;
                Entry {
                    name: Bytes::from_static(name),
                    value,
                }
            }
            EncoderInstruction::InsertWithNameRef {
                name: NameRef::Dynamic(rel),
                value,
            } => {
                let name = self.relative(rel)?.name.clone();
                Entry { name, value }
            }
            EncoderInstruction::InsertWithLiteralName { name, value } => Entry { name, value },
            EncoderInstruction::Duplicate(rel) => self.relative(rel)?.clone(),
        };
        self.table.insert(entry)
    }

    /// The entry at encoder-stream relative index `rel` (RFC 9204 §3.2.5).
    fn relative(&self, rel: u64) -> Result<&Entry, Reason> {
        self.table
            .relative_to_absolute(rel)
            .and_then(|abs| self.table.get(abs))
            .ok_or(Reason::InvalidDynamicIndex)
    }

    /// Decodes the sections whose Required Insert Count the table has reached.
    fn unblock(&mut self) -> Result<(), Error> {
        let count = self.table.insert_count();
        let mut i = 0;
        while let Some(b) = self.blocked.get(i) {
            if b.ric > count {
                i = i.saturating_add(1);
                continue;
            }
            let b = self.blocked.swap_remove(i);
            let fields = self.decode_now(b.stream_id, &b.section)?;
            self.unblocked.push_back((b.stream_id, fields));
        }
        Ok(())
    }

    fn decode_now(&mut self, stream_id: u64, section: &Bytes) -> Result<Vec<Field>, Error> {
        let (p, fields) = section::decode(section, self.max_entries, &self.table, &self.limits)
            .map_err(Error::decompression)?;
        if p.ric > 0 {
            // RFC 9204 §4.4.1: acknowledge sections that referenced the dynamic table.
            self.instructions
                .push(DecoderInstruction::SectionAck(stream_id));
            self.acknowledged_inserts = self.acknowledged_inserts.max(p.ric);
        }
        Ok(fields)
    }

    /// Decodes the encoded field section of `stream_id` (RFC 9204 §4.5). If the section
    /// needs entries that have not arrived, it is held (up to
    /// [`Limits::max_blocked_streams`] streams) and [`Decoded::Blocked`] is returned.
    pub fn decode(&mut self, stream_id: u64, section: Bytes) -> Result<Decoded, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let prefix = section::prefix(&section, self.max_entries, &self.table)
            .map_err(|r| self.fail(Error::decompression(r)))?;
        if prefix.ric > self.table.insert_count() {
            // RFC 9204 §2.1.2: block, within `SETTINGS_QPACK_BLOCKED_STREAMS`.
            let reason = if self.blocked.iter().any(|b| b.stream_id == stream_id) {
                Some(Reason::StreamAlreadyBlocked)
            } else if self.blocked.len() >= self.limits.max_blocked_streams {
                Some(Reason::TooManyBlockedStreams)
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(self.fail(Error::decompression(reason)));
            }
            self.blocked.push(BlockedSection {
                stream_id,
                ric: prefix.ric,
                section,
            });
            return Ok(Decoded::Blocked);
        }
        match self.decode_now(stream_id, &section) {
            Ok(fields) => Ok(Decoded::Fields(fields)),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The next section that was blocked and is now decoded, with its stream id.
    /// Poll again after each [`Decoder::on_encoder_stream`] until it returns `None`.
    #[must_use]
    pub fn poll_unblocked(&mut self) -> Option<(u64, Vec<Field>)> {
        self.unblocked.pop_front()
    }

    /// Forgets a stream that was reset or abandoned before its section was decoded, and
    /// tells the encoder (RFC 9204 §4.4.2). Poll [`Decoder::poll_decoder_stream`] after.
    pub fn cancel_stream(&mut self, stream_id: u64) {
        self.blocked.retain(|b| b.stream_id != stream_id);
        self.unblocked.retain(|(id, _)| *id != stream_id);
        // RFC 9204 §2.2.2.2: only a dynamic table makes cancellation worth sending.
        if self.limits.max_table_capacity > 0 {
            self.instructions
                .push(DecoderInstruction::StreamCancel(stream_id));
        }
    }

    /// Appends pending decoder-stream instructions to `buf` (RFC 9204 §4.4): Section
    /// Acknowledgments, Stream Cancellations and an Insert Count Increment covering the
    /// inserts no acknowledgment covered. Returns the number of bytes written. Poll after
    /// [`Decoder::decode`], [`Decoder::on_encoder_stream`] and [`Decoder::cancel_stream`].
    #[must_use = "the bytes must be sent on the decoder stream"]
    pub fn poll_decoder_stream(&mut self, buf: &mut Vec<u8>) -> usize {
        let start = buf.len();
        for ins in self.instructions.drain(..) {
            ins.write(buf);
        }
        let count = self.table.insert_count();
        if let Some(increment) = count
            .checked_sub(self.acknowledged_inserts)
            .filter(|n| *n > 0)
        {
            DecoderInstruction::InsertCountIncrement(increment).write(buf);
            self.acknowledged_inserts = count;
        }
        buf.len().saturating_sub(start)
    }
}
