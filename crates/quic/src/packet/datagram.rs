//! Splitting a UDP datagram into its coalesced packets (RFC 9000 §12.2).
//!
//! Long headers with a Length field say where they end; any other packet (short header,
//! Retry, Version Negotiation, an unknown version) takes the rest of the datagram.

use std::iter::FusedIterator;

use super::{Discard, Header};

/// One packet of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Where the packet starts in the datagram.
    pub offset: usize,
    /// The packet's bytes, header included (`header.len()` of them).
    pub bytes: &'a [u8],
    /// Its header, as far as phase one reads it; offsets count from `bytes`' start.
    pub header: Header<'a>,
}

/// The packets of a datagram, in order: see [`split`].
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    datagram: &'a [u8],
    offset: usize,
    short_dcid_len: usize,
    first_dcid: Option<&'a [u8]>,
    done: bool,
}

/// The packets coalesced in `datagram`; `short_dcid_len` is the length of the connection
/// IDs this endpoint issues (see [`Header::parse`]).
///
/// Each item is a packet or, once, the reason the next one was discarded; the iteration
/// then ends, and the packets already returned stand (RFC 9000 §12.2: each coalesced
/// packet is processed separately). A packet whose Destination Connection ID differs from
/// the first one's ends the iteration with [`Discard::DcidMismatch`], as RFC 9000 §12.2
/// recommends.
pub fn split(datagram: &[u8], short_dcid_len: usize) -> Packets<'_> {
    Packets {
        datagram,
        offset: 0,
        short_dcid_len,
        first_dcid: None,
        done: false,
    }
}

impl Packet<'_> {
    /// Where the packet lies in the datagram, e.g. to split it off a `BytesMut` and
    /// remove protection in place.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset.saturating_add(self.bytes.len())
    }
}

impl Packets<'_> {
    /// Where the next packet would start.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, Discard>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.datagram.get(self.offset..).unwrap_or_default();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        let parsed =
            Header::parse(rest, self.short_dcid_len).and_then(|header| match self.first_dcid {
                Some(first) if first != header.dcid() => Err(Discard::DcidMismatch),
                _ => Ok(header),
            });
        let header = match parsed {
            Ok(header) => header,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.first_dcid.get_or_insert(header.dcid());
        let bytes = rest.get(..header.len()).unwrap_or(rest);
        let offset = self.offset;
        self.offset = offset.saturating_add(bytes.len());
        Some(Ok(Packet {
            offset,
            bytes,
            header,
        }))
    }
}

impl FusedIterator for Packets<'_> {}
