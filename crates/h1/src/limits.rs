//! Every bound on what a peer can make the machine hold or do, in one place
//! (DESIGN.md §2 "Bounded memory", §6).
//!
//! Each field names the attack it stops and what the machine does when the peer crosses
//! it. A server answers a request that crosses a limit with the status in the table and
//! closes; a client fails the connection with the same [`Violation`](crate::Violation).
//!
//! | field | default | on excess |
//! |---|---|---|
//! | [`max_head_size`](Limits::max_head_size) | 16 KiB | 431 |
//! | [`max_headers`](Limits::max_headers) | 100 | 431 |
//! | [`max_uri_len`](Limits::max_uri_len) | 8 KiB | 414 |
//! | [`max_chunk_extensions`](Limits::max_chunk_extensions) | 4 KiB | 400 |
//! | [`max_trailer_size`](Limits::max_trailer_size) | 16 KiB | 431 |
//! | [`max_content_length`](Limits::max_content_length) | unbounded | 413 |
//! | [`max_buffered_input`](Limits::max_buffered_input) | 256 KiB | 400 |
//! | [`max_pending_output`](Limits::max_pending_output) | 1 MiB | [`Error::WouldBlock`](crate::Error::WouldBlock) |

/// The most header slots a head is parsed with, whatever [`Limits::max_headers`] says:
/// the parser's slots live on the stack.
pub const HEADER_SLOTS: usize = 256;

/// Bounds on a connection's memory and work, with safe defaults.
///
/// ```
/// use stator_h1::Limits;
///
/// let limits = Limits { max_headers: 50, ..Limits::default() };
/// assert_eq!(limits.max_head_size, 16 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a head may take, start line through the blank line (RFC 9112 §2.1).
    /// Default 16 KiB; a request over it gets 431.
    ///
    /// Stops a peer from growing the receive buffer without end by never finishing its
    /// head (slowloris on memory), and bounds the work of parsing one head.
    pub max_head_size: usize,
    /// The most field lines in a head or trailer section. Default 100, at most
    /// [`HEADER_SLOTS`]; a request over it gets 431.
    ///
    /// Stops header floods: each line costs a map entry and, with hash-flooding names, CPU.
    pub max_headers: usize,
    /// The longest request-target (RFC 9112 §3). Default 8 KiB, the size RFC 9110 §4.1
    /// asks every recipient to support; a request over it gets 414.
    ///
    /// Stops oversized URIs from reaching the application and its logs.
    pub max_uri_len: usize,
    /// The most bytes of chunk extensions (RFC 9112 §7.1.1) in one message, summed over its
    /// chunks. Default 4 KiB; over it, 400.
    ///
    /// Stops a peer from making us read and validate unbounded extension bytes that carry
    /// no content, e.g. one-byte chunks each with a long extension (Go's CVE-2023-39326).
    pub max_chunk_extensions: usize,
    /// The most bytes of a trailer section (RFC 9112 §7.1.2), through its blank line.
    /// Default 16 KiB; over it, 431.
    ///
    /// Stops the trailer section from being an unbounded second head.
    pub max_trailer_size: usize,
    /// The largest request content a server accepts, declared (Content-Length) or summed
    /// over chunks. Default `u64::MAX` (content is streamed, never buffered, so the
    /// application decides); a request over it gets 413 (RFC 9110 §15.5.14).
    ///
    /// Lets a server refuse uploads it will not store before they arrive.
    pub max_content_length: u64,
    /// The most received bytes held while the machine is paused: a server waiting for the
    /// application to finish a response while the client pipelines, a connection waiting to
    /// learn whether the protocol switches. Default 256 KiB; over it the connection fails
    /// with [`Violation::InputOverflow`](crate::Violation::InputOverflow).
    ///
    /// Stops a pipelining peer from growing the buffer without end. A driver that stops
    /// reading while [`wants_input`](crate::Connection::wants_input) is false never hits it.
    pub max_buffered_input: usize,
    /// The most bytes of output held before sends of content are refused with
    /// [`Error::WouldBlock`](crate::Error::WouldBlock). Default 1 MiB.
    ///
    /// Backpressure: a slow reader on the other end cannot make us queue without end.
    pub max_pending_output: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_size: 16 * 1024,
            max_headers: 100,
            max_uri_len: 8 * 1024,
            max_chunk_extensions: 4 * 1024,
            max_trailer_size: 16 * 1024,
            max_content_length: u64::MAX,
            max_buffered_input: 256 * 1024,
            max_pending_output: 1024 * 1024,
        }
    }
}

impl Limits {
    /// The header slots to parse with: `max_headers`, capped at [`HEADER_SLOTS`].
    pub(crate) fn header_slots(&self) -> usize {
        self.max_headers.min(HEADER_SLOTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let l = Limits::default();
        assert_eq!(l.max_head_size, 16384);
        assert_eq!(l.max_headers, 100);
        assert_eq!(l.max_uri_len, 8192);
        assert_eq!(l.max_chunk_extensions, 4096);
        assert_eq!(l.max_trailer_size, 16384);
        assert_eq!(l.max_content_length, u64::MAX);
        assert_eq!(l.max_buffered_input, 262_144);
        assert_eq!(l.max_pending_output, 1_048_576);
        assert_eq!(l.header_slots(), 100);
        let many = Limits {
            max_headers: 10_000,
            ..l
        };
        assert_eq!(many.header_slots(), HEADER_SLOTS);
    }
}
