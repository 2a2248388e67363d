//! What the decoder hands out per field, and the adapter into `stator-http`'s builders.

use std::ops::ControlFlow;

use bytes::Bytes;
use stator_http::fields::{FieldError, FieldSink};

use crate::decoder::{Output, TableRef};
use crate::{Decoder, Error};

/// One decoded header field.
///
/// `name` and `value` are slices of the received block, shared dynamic table entries or
/// static strings; cloning a `Field` never copies bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name, as received (HPACK does not lowercase; HTTP/2 validation does).
    pub name: Bytes,
    /// The field value.
    pub value: Bytes,
    /// Sent as "literal never indexed" (RFC 7541 §6.2.3): an intermediary that re-encodes
    /// this field must use the same representation (RFC 7541 §7.1.3).
    pub never_indexed: bool,
}

impl Decoder {
    /// Decodes one header block straight into an HTTP/2 request or response builder
    /// (`stator_http::fields::FieldSink`), with values passed as shared [`Bytes`].
    ///
    /// The outer `Result` is the connection's fate: an [`Error`] is a `COMPRESSION_ERROR`.
    /// The inner one is the message's: if the sink rejects a field (a malformed request,
    /// say), the decoder still decodes the rest of the block, so the dynamic table stays in
    /// step with the peer and only the stream need be reset (RFC 9113 §8.1.1); the first
    /// rejection is returned and later fields are not pushed.
    pub fn decode_into<S: FieldSink + ?Sized>(
        &mut self,
        block: &Bytes,
        sink: &mut S,
    ) -> Result<Result<(), FieldError>, Error> {
        let mut out = IntoSink {
            sink,
            rejected: None,
        };
        let flow = self.decode_to(block, &mut out)?;
        debug_assert!(flow.is_continue());
        Ok(out.rejected.map_or(Ok(()), Err))
    }
}

/// A [`FieldSink`] as the decoder's output: table entries go in as [`CheckedField`]s
/// where they have one, so a warm block costs the builder only reference-count clones.
///
/// [`CheckedField`]: stator_http::fields::CheckedField
struct IntoSink<'a, S: ?Sized> {
    sink: &'a mut S,
    /// The first field the sink refused; later fields are not pushed.
    rejected: Option<FieldError>,
}

impl<S: FieldSink + ?Sized> IntoSink<'_, S> {
    fn record(&mut self, result: Result<(), FieldError>) -> ControlFlow<()> {
        if let Err(e) = result {
            self.rejected = Some(e);
        }
        ControlFlow::Continue(())
    }
}

impl<S: FieldSink + ?Sized> Output for IntoSink<'_, S> {
    type Break = ();

    fn field(&mut self, field: Field) -> ControlFlow<()> {
        if self.rejected.is_some() {
            return ControlFlow::Continue(());
        }
        let result = self.sink.push_shared(&field.name, field.value);
        self.record(result)
    }

    fn entry(&mut self, entry: TableRef<'_>) -> ControlFlow<()> {
        if self.rejected.is_some() {
            return ControlFlow::Continue(());
        }
        let result = if let Some(checked) = entry.checked() {
            self.sink.push_checked(checked)
        } else {
            let field = entry.to_field();
            self.sink.push_shared(&field.name, field.value)
        };
        self.record(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stator_http::fields::{Limits as FieldLimits, RequestBuilder};

    #[test]
    fn decodes_into_a_request_builder() {
        // RFC 7541 Appendix C.4.1.
        let block = Bytes::from_static(&[
            0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab,
            0x90, 0xf4, 0xff,
        ]);
        let mut dec = Decoder::default();
        let mut builder = RequestBuilder::new(http::Version::HTTP_2, &FieldLimits::default());
        dec.decode_into(&block, &mut builder).unwrap().unwrap();
        let head = builder.finish().unwrap();
        assert_eq!(head.uri, "http://www.example.com/");
    }

    #[test]
    fn a_rejected_field_keeps_the_table_in_step() {
        // A request with a connection-specific field, which HTTP/2 forbids, inserted into
        // the table: the message fails, the connection does not.
        let mut block = vec![0x82, 0x86, 0x84, 0x41, 0x0b];
        block.extend_from_slice(b"example.com");
        block.extend_from_slice(&[0x40, 0x0a]);
        block.extend_from_slice(b"connection");
        block.extend_from_slice(&[0x05]);
        block.extend_from_slice(b"close");
        let mut dec = Decoder::default();
        let mut builder = RequestBuilder::new(http::Version::HTTP_2, &FieldLimits::default());
        let res = dec.decode_into(&Bytes::from(block), &mut builder).unwrap();
        assert!(res.is_err());
        assert_eq!(dec.table_entries().count(), 2);
        assert!(dec.error().is_none());
    }
}
