//! Where a decoded section's fields go: one decode loop ([`crate::section::decode`])
//! serves a `Vec<Field>`, a caller's closure and a `stator-http` builder through the
//! private [`Output`] trait, and this module holds the builder adapter
//! ([`Decoder::decode_into`], [`Decoder::decode_unblocked_into`]).

use std::convert::Infallible;
use std::ops::ControlFlow;

use bytes::Bytes;
use stator_http::fields::{CheckedField, FieldError, FieldSink};

use crate::decoder::Progress;
use crate::static_table;
use crate::table::Entry;
use crate::{Decoder, Error, Field};

/// A field line that is a table entry (RFC 9204 §4.5.2, §4.5.3).
#[derive(Debug, Clone, Copy)]
pub(crate) enum TableRef<'a> {
    /// Static entry `index` (RFC 9204 Appendix A).
    Static {
        index: u64,
        name: &'static [u8],
        value: &'static [u8],
    },
    /// A dynamic table entry.
    Dynamic(&'a Entry),
}

impl TableRef<'_> {
    pub(crate) fn name(&self) -> &[u8] {
        match self {
            TableRef::Static { name, .. } => name,
            TableRef::Dynamic(e) => &e.name,
        }
    }

    pub(crate) fn value(&self) -> &[u8] {
        match self {
            TableRef::Static { value, .. } => value,
            TableRef::Dynamic(e) => &e.value,
        }
    }

    /// The name as shared `Bytes`: static, or a reference-counted clone.
    pub(crate) fn name_bytes(&self) -> Bytes {
        match self {
            TableRef::Static { name, .. } => Bytes::from_static(name),
            TableRef::Dynamic(e) => e.name.clone(),
        }
    }

    /// The entry as a field, without copying its bytes.
    pub(crate) fn to_field(self) -> Field {
        match self {
            TableRef::Static { name, value, .. } => Field {
                name: Bytes::from_static(name),
                value: Bytes::from_static(value),
                never_index: false,
            },
            TableRef::Dynamic(e) => Field {
                name: e.name.clone(),
                value: e.value.clone(),
                never_index: false,
            },
        }
    }

    /// The entry checked and converted for `stator-http`'s builders: once per process for
    /// a static entry, once per dynamic entry; `None` if it breaks a rule or depends on
    /// its section.
    fn checked(&self) -> Option<&CheckedField> {
        match self {
            TableRef::Static { index, .. } => static_table::checked(*index),
            TableRef::Dynamic(e) => e.checked(),
        }
    }
}

/// Where a section's fields go.
pub(crate) trait Output {
    /// What the output stops decoding with.
    type Break;
    /// A field line with at least one literal string.
    fn field(&mut self, field: Field) -> ControlFlow<Self::Break>;
    /// A field line that is a whole table entry.
    fn entry(&mut self, entry: TableRef<'_>) -> ControlFlow<Self::Break> {
        self.field(entry.to_field())
    }
}

/// [`Decoder::decode`]'s output: the fields collected in order. The `Vec` is sized on the
/// first field, so a blocked section costs no allocation.
#[derive(Debug)]
pub(crate) struct Collect {
    pub(crate) fields: Vec<Field>,
    hint: usize,
}

impl Collect {
    /// Most sections in the QIF corpus have fewer than 32 field lines (13 on average),
    /// and a line takes at least one byte: reserve that many at once, then double.
    pub(crate) fn for_section(section: &[u8]) -> Collect {
        Collect {
            fields: Vec::new(),
            hint: section.len().clamp(1, 32),
        }
    }
}

impl Output for Collect {
    type Break = Infallible;

    fn field(&mut self, field: Field) -> ControlFlow<Infallible> {
        if self.fields.capacity() == 0 {
            self.fields.reserve_exact(self.hint);
        }
        self.fields.push(field);
        ControlFlow::Continue(())
    }
}

/// A caller's closure as an [`Output`].
pub(crate) struct Closure<F>(pub(crate) F);

impl<B, F: FnMut(Field) -> ControlFlow<B>> Output for Closure<F> {
    type Break = B;

    fn field(&mut self, field: Field) -> ControlFlow<B> {
        (self.0)(field)
    }
}

/// A [`FieldSink`] as an [`Output`]: table entries go in as [`CheckedField`]s where they
/// have one, so a warm section costs the builder only reference-count clones.
struct IntoSink<'a, S: ?Sized> {
    sink: &'a mut S,
    /// The first field the sink refused; later fields are not pushed.
    rejected: Option<FieldError>,
}

impl<S: FieldSink + ?Sized> IntoSink<'_, S> {
    fn push(&mut self, push: impl FnOnce(&mut S) -> Result<(), FieldError>) -> ControlFlow<()> {
        if self.rejected.is_none() {
            self.rejected = push(self.sink).err();
        }
        ControlFlow::Continue(())
    }
}

impl<S: FieldSink + ?Sized> Output for IntoSink<'_, S> {
    type Break = ();

    fn field(&mut self, field: Field) -> ControlFlow<()> {
        self.push(|sink| sink.push_shared(&field.name, field.value))
    }

    fn entry(&mut self, entry: TableRef<'_>) -> ControlFlow<()> {
        self.push(|sink| {
            if let Some(checked) = entry.checked() {
                sink.push_checked(checked)
            } else {
                let field = entry.to_field();
                sink.push_shared(&field.name, field.value)
            }
        })
    }
}

impl Decoder {
    /// Decodes the field section of `stream_id` straight into an HTTP/3 request or
    /// response builder (`stator_http::fields::FieldSink`, RFC 9114 §4.2, §4.3), values
    /// passed as shared [`Bytes`] and table entries as `CheckedField`s made once per entry.
    ///
    /// The outer `Result` is the connection's fate: an [`Error`] is
    /// `QPACK_DECOMPRESSION_FAILED` (RFC 9204 §2.2.3). The inner one is the message's: if
    /// the sink refuses a field (a malformed request, say), decoding goes on to the end of
    /// the section, so the section is acknowledged like any other and only the stream
    /// need be reset (RFC 9114 §4.1.2); the first refusal is returned and later fields are
    /// not pushed. A section that must wait for inserts is held, as with
    /// [`Decoder::decode_with`]: [`Progress::Blocked`], then
    /// [`Decoder::decode_unblocked_into`] once [`Decoder::poll_unblocked_stream`] names
    /// the stream.
    pub fn decode_into<S: FieldSink + ?Sized>(
        &mut self,
        stream_id: u64,
        section: Bytes,
        sink: &mut S,
    ) -> Result<Progress<Result<(), FieldError>>, Error> {
        let mut out = IntoSink {
            sink,
            rejected: None,
        };
        let progress = self.begin(stream_id, section, false, &mut out)?;
        Ok(match progress {
            Progress::Done(_) => Progress::Done(out.rejected.map_or(Ok(()), Err)),
            Progress::Blocked => Progress::Blocked,
        })
    }

    /// Decodes the next unblocked section (the stream
    /// [`Decoder::poll_unblocked_stream`] names) into `sink`, with
    /// [`Decoder::decode_into`]'s two `Result`s; `Ok(None)` when no section is ready.
    #[allow(
        clippy::type_complexity,
        reason = "(stream id, outcome), as poll_unblocked"
    )]
    pub fn decode_unblocked_into<S: FieldSink + ?Sized>(
        &mut self,
        sink: &mut S,
    ) -> Result<Option<(u64, Result<(), FieldError>)>, Error> {
        let mut out = IntoSink {
            sink,
            rejected: None,
        };
        let decoded = self.decode_unblocked_to(&mut out)?;
        Ok(decoded.map(|(id, _)| (id, out.rejected.map_or(Ok(()), Err))))
    }
}
