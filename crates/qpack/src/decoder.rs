//! The QPACK decoder (RFC 9204 §2.2): it applies the peer encoder's instructions to the
//! dynamic table, decodes field sections, holds blocked ones until their inserts arrive,
//! and writes the decoder stream.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use bytes::Bytes;
use stator_wire::Reader;

use crate::error::{Error, Reason};
use crate::instructions::{DecoderInstruction, EncoderInstruction, NameRef};
use crate::primitives::{RawString, Strings, Text, max_entries};
use crate::section;
use crate::sink::{Closure, Collect, Output};
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

/// What [`Decoder::decode_with`] and [`Decoder::decode_into`] made of a field section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Progress<T> {
    /// The section was decoded; `T` says how the sink took it.
    Done(T),
    /// The section references entries not inserted yet (RFC 9204 §2.1.2). The decoder
    /// holds its bytes; once the inserts arrive, [`Decoder::poll_unblocked_stream`] names
    /// the stream and [`Decoder::decode_unblocked_with`] or
    /// [`Decoder::decode_unblocked_into`] decodes it.
    Blocked,
}

/// A field section held until the dynamic table reaches its Required Insert Count.
#[derive(Debug, Clone)]
struct BlockedSection {
    stream_id: u64,
    ric: u64,
    section: Bytes,
    /// Blocked by [`Decoder::decode`]: decoded into a `Vec` as soon as it is unblocked,
    /// failures reported by [`Decoder::on_encoder_stream`], as `decode` always did.
    /// Otherwise held as bytes until the caller asks for it with a sink.
    eager: bool,
}

/// An unblocked section waiting for the caller.
#[derive(Debug, Clone)]
enum Ready {
    /// Decoded at unblock time (blocked by [`Decoder::decode`]).
    Fields(Vec<Field>),
    /// Still encoded (blocked by a sink API); decoded when the caller asks.
    Held(Bytes),
}

/// The decoding half of a QPACK connection.
///
/// Inputs: [`Decoder::on_encoder_stream`] (bytes of the peer's encoder stream, in any
/// chunking), one field section of a request stream by [`Decoder::decode`] (into a
/// `Vec<Field>`), [`Decoder::decode_with`] (into a closure) or [`Decoder::decode_into`]
/// (into an HTTP/3 request or response builder), and [`Decoder::cancel_stream`]. Outputs:
/// [`Decoder::poll_unblocked`] or [`Decoder::poll_unblocked_stream`] with
/// [`Decoder::decode_unblocked_with`] / [`Decoder::decode_unblocked_into`], and
/// [`Decoder::poll_decoder_stream`]. Errors are sticky: after one, every input returns it.
///
/// # Allocation
///
/// Decoding allocates nothing per field:
/// - a plain literal string is a slice of the section;
/// - an indexed field or name is a reference-counted clone of a static (`'static`) or
///   dynamic table entry;
/// - a Huffman-coded string is decoded into a reused scratch buffer and copied into an
///   arena (`BytesMut`) that hands out frozen slices and grows by chunks of at least
///   4 KiB, so it allocates about once per 4 KiB of such text; once the caller has dropped
///   every field of the current chunk, the chunk is reused instead;
/// - an insert on the encoder stream is copied once, into the table's own arena of 4 KiB
///   chunks (the same scheme), never pinning the stream's bytes;
/// - `decode` allocates the returned `Vec<Field>` once (32 lines, then doubling); the sink
///   APIs allocate nothing of their own, and `decode_into` hands table entries to the
///   builder as `CheckedField`s made once per entry (once per process for static ones).
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    max_entries: u64,
    table: DynamicTable,
    /// Encoder-stream bytes of an instruction that has not fully arrived.
    pending: Vec<u8>,
    blocked: Vec<BlockedSection>,
    /// Unblocked sections, in the order they were unblocked.
    unblocked: VecDeque<(u64, Ready)>,
    /// Scratch buffer and arena for Huffman-coded strings of field sections.
    strings: Strings,
    /// Scratch buffer for Huffman-coded strings of inserts.
    insert_scratch: Vec<u8>,
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
            strings: Strings::default(),
            insert_scratch: Vec::new(),
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

    /// The error that stopped this decoder, if any: every input returns it.
    pub fn error(&self) -> Option<Error> {
        self.error
    }

    fn fail(&mut self, e: Error) -> Error {
        self.error = Some(e);
        e
    }

    /// Consumes bytes of the peer's encoder stream (RFC 9204 §4.3). An instruction split
    /// across calls waits for the rest. Sections that the new entries unblock become
    /// available from [`Decoder::poll_unblocked`] (or [`Decoder::poll_unblocked_stream`]);
    /// decoder-stream output from [`Decoder::poll_decoder_stream`]. A failure in an
    /// unblocked section that [`Decoder::decode`] held is reported here, with
    /// `QPACK_DECOMPRESSION_FAILED`; one held by a sink API when it is decoded.
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

    /// Applies one encoder instruction to the table (RFC 9204 §4.3). Inserted strings
    /// are decoded into a scratch buffer if Huffman-coded and copied once, into the
    /// table's arena.
    fn apply(&mut self, ins: EncoderInstruction<RawString<'_>>) -> Result<(), Reason> {
        let max = self.limits.max_string_len;
        let scratch = &mut self.insert_scratch;
        scratch.clear();
        let (name, value) = match ins {
            EncoderInstruction::SetCapacity(c) => {
                let c = usize::try_from(c).map_err(|_| Reason::CapacityExceeded)?;
                if c > self.limits.max_table_capacity {
                    return Err(Reason::CapacityExceeded);
                }
                self.table.set_capacity(c);
                return Ok(());
            }
            EncoderInstruction::Duplicate(rel) => {
                let e = relative(&self.table, rel)?;
                let entry = Entry::new(e.name.clone(), e.value.clone());
                return self.table.insert(entry);
            }
            EncoderInstruction::InsertWithNameRef {
                name: NameRef::Static(i),
                value,
            } => {
                let (name, _) = static_table::get(i).ok_or(Reason::InvalidStaticIndex)?;
                (Text::Wire(name), value.decode(scratch, max)?)
            }
            EncoderInstruction::InsertWithNameRef {
                name: NameRef::Dynamic(rel),
                value,
            } => {
                let value = value.decode(scratch, max)?;
                // The name is copied too: the new entry must not keep the old one's
                // chunk alive after it is evicted.
                let name = relative(&self.table, rel)?.name.clone();
                let scratch = &self.insert_scratch;
                return self.table.insert_copy(&name, value.view(scratch));
            }
            EncoderInstruction::InsertWithLiteralName { name, value } => {
                let name = name.decode(scratch, max)?;
                (name, value.decode(scratch, max)?)
            }
        };
        let scratch = &self.insert_scratch;
        self.table
            .insert_copy(name.view(scratch), value.view(scratch))
    }

    /// Moves the sections whose Required Insert Count the table has reached to the
    /// ready queue, in the order they arrived; decodes those [`Decoder::decode`] held.
    fn unblock(&mut self) -> Result<(), Error> {
        let count = self.table.insert_count();
        let mut i = 0;
        while let Some(b) = self.blocked.get(i) {
            if b.ric > count {
                i = i.saturating_add(1);
                continue;
            }
            let b = self.blocked.remove(i);
            let ready = if b.eager {
                let mut out = Collect::for_section(&b.section);
                let ControlFlow::Continue(()) =
                    self.decode_section(b.stream_id, &b.section, &mut out)?;
                Ready::Fields(out.fields)
            } else {
                Ready::Held(b.section)
            };
            self.unblocked.push_back((b.stream_id, ready));
        }
        Ok(())
    }

    /// Decodes a section whose Required Insert Count the table has reached into `out`,
    /// and acknowledges it if it referenced the dynamic table (RFC 9204 §4.4.1), also
    /// when `out` stopped early: the section is finished with either way. A failure is
    /// sticky.
    fn decode_section<O: Output>(
        &mut self,
        stream_id: u64,
        section: &Bytes,
        out: &mut O,
    ) -> Result<ControlFlow<O::Break>, Error> {
        let decoded = section::decode(
            section,
            self.max_entries,
            &self.table,
            &self.limits,
            &mut self.strings,
            out,
        );
        match decoded {
            Ok((p, flow)) => {
                if p.ric > 0 {
                    self.instructions
                        .push(DecoderInstruction::SectionAck(stream_id));
                    self.acknowledged_inserts = self.acknowledged_inserts.max(p.ric);
                }
                Ok(flow)
            }
            Err(r) => Err(self.fail(Error::decompression(r))),
        }
    }

    /// Decodes `section` into `out`, or holds it if it is blocked (RFC 9204 §2.1.2), to be
    /// decoded at unblock time if `eager`, else when the caller asks.
    pub(crate) fn begin<O: Output>(
        &mut self,
        stream_id: u64,
        section: Bytes,
        eager: bool,
        out: &mut O,
    ) -> Result<Progress<ControlFlow<O::Break>>, Error> {
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
                eager,
            });
            return Ok(Progress::Blocked);
        }
        self.decode_section(stream_id, &section, out)
            .map(Progress::Done)
    }

    /// Decodes the encoded field section of `stream_id` (RFC 9204 §4.5). If the section
    /// needs entries that have not arrived, it is held (up to
    /// [`Limits::max_blocked_streams`] streams) and [`Decoded::Blocked`] is returned.
    pub fn decode(&mut self, stream_id: u64, section: Bytes) -> Result<Decoded, Error> {
        let mut out = Collect::for_section(&section);
        Ok(match self.begin(stream_id, section, true, &mut out)? {
            Progress::Done(ControlFlow::Continue(())) => Decoded::Fields(out.fields),
            Progress::Blocked => Decoded::Blocked,
        })
    }

    /// Decodes the encoded field section of `stream_id` (RFC 9204 §4.5), passing each
    /// field line to `sink` in order, without collecting them.
    ///
    /// If `sink` breaks, decoding stops there and the result is
    /// `Ok(Progress::Done(Break(b)))`. Unlike HPACK, a section never changes the dynamic
    /// table, so the decoder stays usable, and the section is still acknowledged: the
    /// encoder may release the entries it referenced. A malformed rest of the section is
    /// then not noticed. On an [`Error`] the fields before the failure have been passed.
    ///
    /// A section that needs entries that have not arrived is held as bytes (up to
    /// [`Limits::max_blocked_streams`] streams) and [`Progress::Blocked`] is returned;
    /// `sink` is dropped. Once [`Decoder::on_encoder_stream`] has unblocked it,
    /// [`Decoder::poll_unblocked_stream`] names the stream and
    /// [`Decoder::decode_unblocked_with`] decodes it. Holding it past its unblocking is
    /// safe: the encoder may not evict an entry that an unacknowledged section references
    /// (RFC 9204 §2.1.1), and the section is acknowledged only when decoded.
    pub fn decode_with<B>(
        &mut self,
        stream_id: u64,
        section: Bytes,
        sink: impl FnMut(Field) -> ControlFlow<B>,
    ) -> Result<Progress<ControlFlow<B>>, Error> {
        self.begin(stream_id, section, false, &mut Closure(sink))
    }

    /// The next section that was blocked and is now decoded, with its stream id.
    /// Poll again after each [`Decoder::on_encoder_stream`] until it returns `None`.
    ///
    /// It takes sections in the order they were unblocked, whichever API held them: one
    /// that [`Decoder::decode_with`] or [`Decoder::decode_into`] held is decoded now, and
    /// if that fails the error is sticky (see [`Decoder::error`]) and this returns `None`.
    #[must_use]
    pub fn poll_unblocked(&mut self) -> Option<(u64, Vec<Field>)> {
        // Sections decoded before a failure still come out, as they always did.
        if self.error.is_some() && matches!(self.unblocked.front(), Some((_, Ready::Held(_)))) {
            return None;
        }
        let (id, ready) = self.unblocked.pop_front()?;
        match ready {
            Ready::Fields(fields) => Some((id, fields)),
            Ready::Held(section) => {
                let mut out = Collect::for_section(&section);
                let ControlFlow::Continue(()) = self.decode_section(id, &section, &mut out).ok()?;
                Some((id, out.fields))
            }
        }
    }

    /// The stream whose section is the next to come out of
    /// [`Decoder::decode_unblocked_with`], [`Decoder::decode_unblocked_into`] or
    /// [`Decoder::poll_unblocked`], without decoding it. Poll after each
    /// [`Decoder::on_encoder_stream`] and after decoding each unblocked section, until it
    /// returns `None`.
    #[must_use]
    pub fn poll_unblocked_stream(&self) -> Option<u64> {
        self.unblocked.front().map(|(id, _)| *id)
    }

    /// Decodes the next unblocked section (the stream
    /// [`Decoder::poll_unblocked_stream`] names) into `sink`, as
    /// [`Decoder::decode_with`] does, and returns its stream id; `Ok(None)` when no
    /// section is ready. A section that [`Decoder::decode`] held was decoded when it was
    /// unblocked: its fields are passed as they are.
    #[allow(
        clippy::type_complexity,
        reason = "(stream id, outcome), as poll_unblocked"
    )]
    pub fn decode_unblocked_with<B>(
        &mut self,
        sink: impl FnMut(Field) -> ControlFlow<B>,
    ) -> Result<Option<(u64, ControlFlow<B>)>, Error> {
        self.decode_unblocked_to(&mut Closure(sink))
    }

    /// The next unblocked section into `out`.
    #[allow(
        clippy::type_complexity,
        reason = "(stream id, outcome), as poll_unblocked"
    )]
    pub(crate) fn decode_unblocked_to<O: Output>(
        &mut self,
        out: &mut O,
    ) -> Result<Option<(u64, ControlFlow<O::Break>)>, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let Some((id, ready)) = self.unblocked.pop_front() else {
            return Ok(None);
        };
        let flow = match ready {
            Ready::Held(section) => self.decode_section(id, &section, out)?,
            Ready::Fields(fields) => fields.into_iter().try_for_each(|f| out.field(f)),
        };
        Ok(Some((id, flow)))
    }

    /// Forgets a stream that was reset or abandoned before its section was decoded (its
    /// blocked or unblocked-but-not-taken section is dropped), and tells the encoder
    /// (RFC 9204 §4.4.2). Poll [`Decoder::poll_decoder_stream`] after.
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

/// The entry at encoder-stream relative index `rel` (RFC 9204 §3.2.5).
fn relative(table: &DynamicTable, rel: u64) -> Result<&Entry, Reason> {
    table
        .relative_to_absolute(rel)
        .and_then(|abs| table.get(abs))
        .ok_or(Reason::InvalidDynamicIndex)
}
