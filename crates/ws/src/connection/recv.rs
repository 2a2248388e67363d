//! The receive side: bytes in, frames checked, messages out.
//!
//! The receiver turns the receive buffer into [`Input`]s and knows nothing of the close
//! handshake; the connection applies them to its state. It works in place: payloads are
//! unmasked inside the receive buffer and handed out as `Bytes` slices of it. Data-frame
//! payload is unmasked and (for text) UTF-8 checked as soon as it arrives, even while the
//! frame is incomplete, so that invalid text fails the connection at once (Autobahn 6.4.x).

use core::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use crate::close::CloseFrame;
use crate::deflate::{Inflater, TAIL};
use crate::error::{Error, LimitError, Violation};
use crate::frame::{FrameHeader, OpCode};
use crate::limits::Limits;
use crate::mask::apply_mask;
use crate::message::{Chunk, Message, MessageKind, Utf8Bytes};
use crate::utf8::Utf8Validator;
use crate::{ReceiveMode, Role};

/// How much inflated data one step produces at most; also the size of the scratch buffer.
const INFLATE_STEP: usize = 32 * 1024;

/// What the peer sent, ready for the connection to act on.
#[derive(Debug)]
pub(super) enum Input {
    Message(Message),
    Chunk(Chunk),
    Ping(Bytes),
    Pong(Bytes),
    Close(CloseFrame),
}

/// The frame whose payload is being received.
#[derive(Debug)]
struct Frame {
    header: FrameHeader,
    /// Payload bytes not yet taken out of the buffer (they may not have arrived).
    remaining: u64,
    /// Bytes at the front of the buffer already unmasked (and UTF-8 checked for plain text).
    unmasked: usize,
    /// Payload bytes already taken out; the key phase of the buffer's first byte.
    taken: u64,
}

/// The data message being received.
#[derive(Debug)]
struct InMessage {
    kind: MessageKind,
    compressed: bool,
    /// Bytes so far: on the wire for plain messages, inflated for compressed ones.
    size: u64,
    /// A chunk of it was delivered already (stream mode).
    started: bool,
    /// Some compressed payload reached the inflater.
    inflating: bool,
}

enum Step {
    Emit(Input),
    Continue,
    NeedMore,
}

/// The settings the receiver needs from the connection's configuration.
pub(super) struct RecvConfig {
    pub(super) role: Role,
    pub(super) limits: Limits,
    pub(super) mode: ReceiveMode,
}

pub(super) struct Receiver {
    config: RecvConfig,
    buf: BytesMut,
    frame: Option<Frame>,
    message: Option<InMessage>,
    /// Reassembly of fragmented or inflated messages; inflated chunks in stream mode.
    assembled: BytesMut,
    utf8: Utf8Validator,
    inflater: Option<Inflater>,
    /// Inflate output of one step (capacity `INFLATE_STEP`, allocated on first use).
    inflated: Vec<u8>,
    /// The last inflate step filled `inflated`: the inflater may hold more output.
    inflate_pending: bool,
    /// How much of `TAIL` the inflater has consumed at the end of the current message.
    tail_fed: usize,
}

impl Receiver {
    /// A receiver without permessage-deflate; the connection switches it on with
    /// [`set_inflater`](Self::set_inflater) when it opens.
    pub(super) fn new(config: RecvConfig) -> Receiver {
        Receiver {
            config,
            buf: BytesMut::new(),
            frame: None,
            message: None,
            assembled: BytesMut::new(),
            utf8: Utf8Validator::new(),
            inflater: None,
            inflated: Vec::new(),
            inflate_pending: false,
            tail_fed: 0,
        }
    }

    /// Decompresses messages with `inflater` from now on (RFC 7692 §6.2), or stops
    /// accepting RSV1 if `None`. Set before the first frame is decoded.
    pub(super) fn set_inflater(&mut self, inflater: Option<Inflater>) {
        self.inflater = inflater;
    }

    pub(super) fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    pub(super) fn extend_bytes(&mut self, data: Bytes) {
        if self.buf.is_empty() {
            // Take the caller's buffer over if nobody else holds it: no copy.
            match data.try_into_mut() {
                Ok(owned) => self.buf = owned,
                Err(shared) => self.buf.extend_from_slice(&shared),
            }
        } else {
            self.buf.extend_from_slice(&data);
        }
    }

    /// Drops all buffered input: after a close frame, anything more is ignored.
    pub(super) fn discard(&mut self) {
        self.buf.clear();
        self.frame = None;
        self.message = None;
    }

    /// The next input, `Ok(None)` if more bytes are needed.
    pub(super) fn next(&mut self) -> Result<Option<Input>, Error> {
        loop {
            let step = match &self.frame {
                None => self.header()?,
                Some(f) if f.header.opcode.is_control() => self.control()?,
                Some(_) if self.message.as_ref().is_some_and(|m| m.compressed) => {
                    self.compressed()?
                }
                Some(_) => self.plain()?,
            };
            match step {
                Step::Emit(input) => return Ok(Some(input)),
                Step::Continue => {}
                Step::NeedMore => return Ok(None),
            }
        }
    }

    fn header(&mut self) -> Result<Step, Error> {
        let Some((header, len)) = FrameHeader::parse(&self.buf)? else {
            return Ok(Step::NeedMore);
        };
        self.check(&header)?;
        self.buf.advance(len.min(self.buf.len()));
        match header.opcode {
            OpCode::Text | OpCode::Binary => {
                let kind = if header.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                self.utf8.reset();
                self.message = Some(InMessage {
                    kind,
                    compressed: header.rsv1,
                    size: 0,
                    started: false,
                    inflating: false,
                });
            }
            _ => {}
        }
        if let Some(m) = self
            .message
            .as_mut()
            .filter(|m| !m.compressed && !header.opcode.is_control())
        {
            // Checked against the limit in `check`.
            m.size = m.size.saturating_add(header.payload_len);
        }
        self.frame = Some(Frame {
            header,
            remaining: header.payload_len,
            unmasked: 0,
            taken: 0,
        });
        Ok(Step::Continue)
    }

    /// The rules that depend on the role, the extensions and the fragmentation state.
    fn check(&self, h: &FrameHeader) -> Result<(), Error> {
        // RFC 6455 §5.2: RSV bits without an extension that defines them.
        if h.rsv2 || h.rsv3 {
            return Err(Violation::ReservedBitSet.into());
        }
        if h.rsv1 {
            // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
            if self.inflater.is_none() {
                return Err(Violation::Rsv1WithoutExtension.into());
            }
            if h.opcode.is_control() {
                return Err(Violation::Rsv1OnControlFrame.into());
            }
            if h.opcode == OpCode::Continuation {
                return Err(Violation::Rsv1OnContinuation.into());
            }
        }
        // RFC 6455 §5.1: clients mask, servers do not.
        match (self.config.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(Violation::UnmaskedFrame.into()),
            (Role::Client, true) => return Err(Violation::MaskedFrame.into()),
            _ => {}
        }
        // RFC 6455 §5.4: fragments of one message, control frames in between.
        match (h.opcode, &self.message) {
            (OpCode::Continuation, None) => return Err(Violation::UnexpectedContinuation.into()),
            (OpCode::Text | OpCode::Binary, Some(_)) => {
                return Err(Violation::ExpectedContinuation.into());
            }
            _ => {}
        }
        if !h.opcode.is_control() {
            let limits = &self.config.limits;
            if h.payload_len > limits.max_frame_size {
                return Err(LimitError::FrameTooLarge {
                    size: h.payload_len,
                    max: limits.max_frame_size,
                }
                .into());
            }
            let compressed = h.rsv1 || self.message.as_ref().is_some_and(|m| m.compressed);
            let so_far = self.message.as_ref().map_or(0, |m| m.size);
            if !compressed && so_far.saturating_add(h.payload_len) > limits.max_message_size {
                return Err(LimitError::MessageTooLarge {
                    max: limits.max_message_size,
                }
                .into());
            }
        }
        Ok(())
    }

    /// Unmasks what has arrived of the current frame's payload; returns where the newly
    /// unmasked bytes are in the buffer.
    fn unmask_arrived(&mut self) -> Option<Range<usize>> {
        let frame = self.frame.as_mut()?;
        let arrived =
            usize::try_from(frame.remaining).map_or(self.buf.len(), |r| r.min(self.buf.len()));
        if arrived <= frame.unmasked {
            return None;
        }
        let range = frame.unmasked..arrived;
        let new = self.buf.get_mut(range.clone())?;
        if let Some(key) = frame.header.mask {
            // Only the phase (mod 4) matters, and wrapping keeps it.
            let offset = (frame.taken % 4) as usize;
            apply_mask(new, key, offset.wrapping_add(frame.unmasked));
        }
        frame.unmasked = arrived;
        Some(range)
    }

    /// Takes `n` unmasked payload bytes out of the buffer.
    fn take(&mut self, n: usize) -> BytesMut {
        if let Some(frame) = self.frame.as_mut() {
            frame.unmasked = frame.unmasked.saturating_sub(n);
            frame.remaining = frame.remaining.saturating_sub(n as u64);
            frame.taken = frame.taken.wrapping_add(n as u64);
        }
        self.buf.split_to(n.min(self.buf.len()))
    }

    fn control(&mut self) -> Result<Step, Error> {
        let Some(frame) = &self.frame else {
            return Ok(Step::NeedMore);
        };
        // At most 125, checked by the header parser.
        let len = usize::try_from(frame.remaining).unwrap_or(usize::MAX);
        if self.buf.len() < len {
            return Ok(Step::NeedMore);
        }
        let opcode = frame.header.opcode;
        self.unmask_arrived();
        let payload = self.take(len).freeze();
        self.frame = None;
        Ok(Step::Emit(match opcode {
            OpCode::Ping => Input::Ping(payload),
            OpCode::Pong => Input::Pong(payload),
            _ => Input::Close(CloseFrame::parse(&payload)?),
        }))
    }

    /// A frame of an uncompressed message.
    fn plain(&mut self) -> Result<Step, Error> {
        let text = self
            .message
            .as_ref()
            .is_some_and(|m| m.kind == MessageKind::Text);
        if let Some(new) = self.unmask_arrived()
            && text
        {
            let new = self.buf.get(new).unwrap_or_default();
            self.utf8.feed(new).map_err(|_| Violation::InvalidUtf8)?;
        }
        let Some(frame) = &self.frame else {
            return Ok(Step::NeedMore);
        };
        let complete = frame.unmasked as u64 == frame.remaining;
        let fin = frame.header.fin;
        let unmasked = frame.unmasked;
        match self.config.mode {
            ReceiveMode::Message => {
                if !complete {
                    return Ok(Step::NeedMore);
                }
                let data = self.take(unmasked);
                self.frame = None;
                if !fin {
                    self.assembled.extend_from_slice(&data);
                    return Ok(Step::Continue);
                }
                let payload = if self.assembled.is_empty() {
                    // The common case, a message in one frame: a slice of the buffer.
                    data.freeze()
                } else {
                    self.assembled.extend_from_slice(&data);
                    self.assembled.split().freeze()
                };
                self.finish_message(payload).map(Step::Emit)
            }
            ReceiveMode::Stream => {
                // Within a frame, cut text on a character boundary.
                let hold = if text && !complete {
                    self.utf8.incomplete_len().min(unmasked)
                } else {
                    0
                };
                let n = unmasked.saturating_sub(hold);
                let last = complete && fin;
                if n == 0 && !last {
                    if complete {
                        self.frame = None; // an empty non-final fragment
                        return Ok(Step::Continue);
                    }
                    return Ok(Step::NeedMore);
                }
                let data = self.take(n).freeze();
                if complete {
                    self.frame = None;
                }
                self.chunk(data, last).map(Step::Emit)
            }
        }
    }

    /// A frame of a compressed message: inflate in bounded steps (RFC 7692 §7.2.2).
    fn compressed(&mut self) -> Result<Step, Error> {
        self.unmask_arrived();
        let Some(frame) = &self.frame else {
            return Ok(Step::NeedMore);
        };
        let (fin, unmasked, payload_done) =
            (frame.header.fin, frame.unmasked, frame.remaining == 0);
        let inflating = self.message.as_ref().is_some_and(|m| m.inflating);
        let input = if !payload_done {
            self.buf.get(..unmasked).unwrap_or_default()
        } else if fin && inflating {
            // RFC 7692 §7.2.2: append 00 00 ff ff to the message's payload. (Not to an
            // empty payload: there is no flush to complete, and the tail alone would leave
            // the inflater inside a stored block's header.)
            TAIL.get(self.tail_fed..).unwrap_or_default()
        } else {
            &[]
        };
        if input.is_empty() && !self.inflate_pending {
            if !payload_done {
                return Ok(Step::NeedMore);
            }
            self.frame = None;
            if !fin {
                return Ok(Step::Continue);
            }
            // The message is complete and fully inflated.
            self.tail_fed = 0;
            if let Some(inflater) = self.inflater.as_mut() {
                inflater.end_message();
            }
            let rest = self.assembled.split().freeze();
            return match self.config.mode {
                ReceiveMode::Message => self.finish_message(rest).map(Step::Emit),
                ReceiveMode::Stream => self.chunk(rest, true).map(Step::Emit),
            };
        }
        if self.inflated.capacity() < INFLATE_STEP {
            self.inflated.reserve_exact(INFLATE_STEP);
        }
        self.inflated.clear();
        let inflater = self
            .inflater
            .as_mut()
            .ok_or(Violation::Rsv1WithoutExtension)?;
        let consumed = inflater.inflate(input, &mut self.inflated, payload_done)?;
        let produced = self.inflated.len();
        if consumed == 0 && produced == 0 && !input.is_empty() {
            // Not expected from zlib; never loop on it.
            return Err(Violation::InvalidDeflateData.into());
        }
        self.inflate_pending = produced == self.inflated.capacity();
        if payload_done {
            self.tail_fed = self.tail_fed.saturating_add(consumed);
        } else {
            self.buf.advance(consumed.min(self.buf.len()));
            self.take_consumed(consumed);
        }
        let max = self.config.limits.max_message_size;
        let message = self
            .message
            .as_mut()
            .ok_or(Violation::UnexpectedContinuation)?;
        message.inflating = true;
        message.size = message.size.saturating_add(produced as u64);
        if message.size > max {
            return Err(LimitError::MessageTooLarge { max }.into());
        }
        if message.kind == MessageKind::Text {
            self.utf8
                .feed(&self.inflated)
                .map_err(|_| Violation::InvalidUtf8)?;
        }
        self.assembled.extend_from_slice(&self.inflated);
        if self.config.mode == ReceiveMode::Stream {
            let hold = if message.kind == MessageKind::Text {
                self.utf8.incomplete_len()
            } else {
                0
            };
            let n = self.assembled.len().saturating_sub(hold);
            if n > 0 {
                let data = self.assembled.split_to(n).freeze();
                return self.chunk(data, false).map(Step::Emit);
            }
        }
        Ok(Step::Continue)
    }

    /// Accounts for payload bytes the inflater consumed (already advanced past).
    fn take_consumed(&mut self, n: usize) {
        if let Some(frame) = self.frame.as_mut() {
            frame.unmasked = frame.unmasked.saturating_sub(n);
            frame.remaining = frame.remaining.saturating_sub(n as u64);
            frame.taken = frame.taken.wrapping_add(n as u64);
        }
    }

    fn finish_message(&mut self, payload: Bytes) -> Result<Input, Error> {
        let message = self
            .message
            .take()
            .ok_or(Violation::UnexpectedContinuation)?;
        Ok(Input::Message(match message.kind {
            MessageKind::Text => {
                self.utf8.finish().map_err(|_| Violation::InvalidUtf8)?;
                Message::Text(Utf8Bytes::from_validated(payload))
            }
            MessageKind::Binary => Message::Binary(payload),
        }))
    }

    fn chunk(&mut self, data: Bytes, last: bool) -> Result<Input, Error> {
        let message = self
            .message
            .as_mut()
            .ok_or(Violation::UnexpectedContinuation)?;
        let chunk = Chunk {
            kind: message.kind,
            data,
            first: !message.started,
            last,
        };
        message.started = true;
        if last {
            if message.kind == MessageKind::Text {
                self.utf8.finish().map_err(|_| Violation::InvalidUtf8)?;
            }
            self.message = None;
        }
        Ok(Input::Chunk(chunk))
    }
}
