//! The incremental frame reader: bytes in, [`Frame`]s out (RFC 9113 §4.1, §4.2).

use bytes::BytesMut;

use crate::ErrorCode;

use super::{
    DEFAULT_MAX_FRAME_SIZE, Frame, FrameError, FrameHeader, FrameType, HEADER_LEN, PREFACE,
    PrefaceStatus, Reason, check_preface, parse_payload,
};

/// Splits a received byte stream into frames (RFC 9113 §4).
///
/// Feed it chunks of any size with [`recv`](Self::recv) (or read straight into
/// [`buffer_mut`](Self::buffer_mut)), then call [`next_frame`](Self::next_frame) until it
/// returns `Ok(None)`. The frames it yields do not depend on how the stream was split.
/// Payloads are `Bytes` split off the receive buffer, not copies; once the caller drops
/// them the buffer reuses its memory, so the steady state does not allocate per frame.
///
/// A frame longer than the maximum frame size is a connection `FRAME_SIZE_ERROR` as soon
/// as its header arrives, whatever its type (RFC 9113 §4.2 allows a stream error for some
/// types, but the payload would then have to be read and thrown away, up to 16 MiB, and
/// DATA still counted for flow control). Connection errors are sticky: every later call
/// returns the same error. Stream errors are not: the frame is consumed and reading goes
/// on.
#[derive(Debug)]
pub struct FrameReader {
    buf: BytesMut,
    max_frame_size: u32,
    expect_preface: bool,
    pending: Option<FrameHeader>,
    error: Option<FrameError>,
}

impl FrameReader {
    /// A reader whose input starts with a frame: a client's reader, or a server's once the
    /// preface is checked. `max_frame_size` is the `SETTINGS_MAX_FRAME_SIZE` in force for
    /// frames we receive (RFC 9113 §6.5.2): 2^14 until our SETTINGS are acknowledged.
    pub fn new(max_frame_size: u32) -> FrameReader {
        FrameReader {
            buf: BytesMut::new(),
            max_frame_size,
            expect_preface: false,
            pending: None,
            error: None,
        }
    }

    /// A server's reader: the input must start with the client preface (RFC 9113 §3.4),
    /// which is checked byte by byte and consumed. A mismatch is a connection
    /// `PROTOCOL_ERROR` with [`Reason::InvalidPreface`] and `frame_type` SETTINGS (the
    /// frame that must follow the preface); [`buffered`](Self::buffered) then still holds
    /// every byte received, for [`check_preface`] and an HTTP/1.1 fallback.
    pub fn server(max_frame_size: u32) -> FrameReader {
        FrameReader {
            expect_preface: true,
            ..FrameReader::new(max_frame_size)
        }
    }

    /// Appends received bytes.
    pub fn recv(&mut self, data: &[u8]) {
        if self.buf.capacity().saturating_sub(self.buf.len()) < data.len() {
            // One reservation sized for a whole default frame rather than for this chunk.
            let want = data
                .len()
                .max(HEADER_LEN.saturating_add(DEFAULT_MAX_FRAME_SIZE as usize));
            self.buf.reserve(want);
        }
        self.buf.extend_from_slice(data);
    }

    /// The receive buffer, for a driver that reads into it directly.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes received and not yet returned as frames (excluding a frame header already
    /// parsed).
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// The maximum frame size currently enforced.
    pub fn max_frame_size(&self) -> u32 {
        self.max_frame_size
    }

    /// Sets the maximum frame size, when the peer acknowledges our SETTINGS carrying a new
    /// `SETTINGS_MAX_FRAME_SIZE` (RFC 9113 §6.5.3). Applies from the next frame header.
    pub fn set_max_frame_size(&mut self, max_frame_size: u32) {
        self.max_frame_size = max_frame_size;
    }

    /// Whether the client preface is still expected.
    pub fn expects_preface(&self) -> bool {
        self.expect_preface
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed, or the first rule the
    /// next frame breaks (RFC 9113 §4, §6); see [`parse_payload`] for the rules.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let result = self.read();
        if let Err(error) = result
            && error.is_connection_error()
        {
            self.error = Some(error);
        }
        result
    }

    fn read(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.expect_preface {
            match check_preface(&self.buf) {
                PrefaceStatus::Complete => {
                    let _ = self.buf.split_to(PREFACE.len());
                    self.expect_preface = false;
                }
                PrefaceStatus::Partial => return Ok(None),
                _ => {
                    return Err(FrameError::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        FrameType::SETTINGS,
                        Reason::InvalidPreface,
                    ));
                }
            }
        }
        let header = if let Some(header) = self.pending {
            header
        } else {
            {
                let Some(bytes) = self.buf.first_chunk::<HEADER_LEN>() else {
                    return Ok(None);
                };
                let header = FrameHeader::parse(*bytes);
                if header.length > self.max_frame_size {
                    return Err(FrameError::connection(
                        ErrorCode::FRAME_SIZE_ERROR,
                        header.ty,
                        Reason::FrameTooLarge {
                            len: header.length,
                            max: self.max_frame_size,
                        },
                    ));
                }
                let _ = self.buf.split_to(HEADER_LEN);
                self.pending = Some(header);
                header
            }
        };
        // `length` is at most 2^24 - 1, so it fits `usize` on every supported target.
        let len = usize::try_from(header.length).unwrap_or(usize::MAX);
        if self.buf.len() < len {
            self.buf.reserve(len.saturating_sub(self.buf.len()));
            return Ok(None);
        }
        self.pending = None;
        let payload = self.buf.split_to(len).freeze();
        parse_payload(&header, payload).map(Some)
    }
}
