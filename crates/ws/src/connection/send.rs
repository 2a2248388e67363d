//! The send side: messages and control frames in, framed (masked, compressed) bytes out.

use core::mem;

use bytes::{BufMut, Bytes, BytesMut};
use stator_wire::rand::Random;

use crate::Role;
use crate::close::{CloseCode, CloseFrame};
use crate::deflate::Deflater;
use crate::error::{Error, UsageError};
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, OpCode};
use crate::limits::Limits;
use crate::message::MessageKind;
use crate::utf8::Utf8Validator;

/// The fragmented message being sent.
#[derive(Debug, Clone, Copy)]
struct OutMessage {
    kind: MessageKind,
    compressed: bool,
}

pub(super) struct Sender {
    role: Role,
    limits: Limits,
    random: Box<dyn Random + Send>,
    /// Framed bytes waiting for `poll_output` / `poll_transmit`.
    out: BytesMut,
    /// The payload of the latest unanswered ping, answered when output is next taken;
    /// a newer ping replaces it (RFC 6455 §5.5.3).
    pending_pong: Option<Bytes>,
    /// Control frames queued through the API since output was last taken.
    queued_control: usize,
    /// A send was refused: report `Writable` once output is taken.
    blocked: bool,
    message: Option<OutMessage>,
    utf8: Utf8Validator,
    deflater: Option<Deflater>,
    /// Compressed payload of the frame being built (reused).
    compressed: Vec<u8>,
}

impl Sender {
    /// A sender without permessage-deflate; the connection switches it on with
    /// [`set_deflater`](Self::set_deflater) when it opens.
    pub(super) fn new(role: Role, limits: Limits, random: Box<dyn Random + Send>) -> Sender {
        Sender {
            role,
            limits,
            random,
            out: BytesMut::new(),
            pending_pong: None,
            queued_control: 0,
            blocked: false,
            message: None,
            utf8: Utf8Validator::new(),
            deflater: None,
            compressed: Vec::new(),
        }
    }

    /// Compresses messages with `deflater` from now on (RFC 7692 §6.1), or sends them
    /// plain if `None`. Set before the first data frame is sent.
    pub(super) fn set_deflater(&mut self, deflater: Option<Deflater>) {
        self.deflater = deflater;
    }

    /// Queues bytes that are not frames: the HTTP/1.1 head of the opening handshake, which
    /// precedes every frame on the transport (RFC 6455 §4.1, §4.2.2). Bypasses the limits:
    /// there is one head per connection.
    pub(super) fn head(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Appends one frame to the output, masked with a fresh key by a client (RFC 6455 §5.3).
    fn write_frame(&mut self, opcode: OpCode, fin: bool, rsv1: bool, payload: &[u8]) {
        let mask = match self.role {
            Role::Client => {
                let mut key = [0u8; 4];
                self.random.fill(&mut key);
                Some(key)
            }
            Role::Server => None,
        };
        let header = FrameHeader {
            fin,
            rsv1,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        self.out
            .reserve(header.encoded_len().saturating_add(payload.len()));
        header.write(&mut self.out);
        match mask {
            Some(key) => crate::mask::extend_masked(&mut self.out, payload, key),
            None => self.out.extend_from_slice(payload),
        }
    }

    /// Writes a data frame, compressing it if the message is compressed.
    fn write_data(
        &mut self,
        opcode: OpCode,
        fin: bool,
        first: bool,
        compressed: bool,
        data: &[u8],
    ) -> Result<(), Error> {
        let Some(deflater) = self.deflater.as_mut().filter(|_| compressed) else {
            self.write_frame(opcode, fin, false, data);
            return Ok(());
        };
        let mut buf = mem::take(&mut self.compressed);
        buf.clear();
        let result = deflater.compress(data, fin, &mut buf);
        if result.is_ok() {
            // RFC 7692 §6.1: RSV1 on the first frame of the message only.
            self.write_frame(opcode, fin, first, &buf);
        }
        self.compressed = buf;
        result
    }

    fn check_data_budget(&mut self) -> Result<usize, Error> {
        let budget = self
            .limits
            .max_pending_output
            .saturating_sub(self.out.len());
        if budget == 0 {
            self.blocked = true;
            return Err(Error::WouldBlock);
        }
        Ok(budget)
    }

    pub(super) fn message(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), Error> {
        if self.message.is_some() {
            return Err(UsageError::MessageInProgress.into());
        }
        self.check_data_budget()?;
        let opcode = data_opcode(kind);
        let compressed = self.deflater.is_some();
        self.write_data(opcode, true, true, compressed, data)
    }

    pub(super) fn fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<usize, Error> {
        let (opcode, compressed, first) = match self.message {
            Some(m) if m.kind != kind => return Err(UsageError::KindMismatch.into()),
            Some(m) => (OpCode::Continuation, m.compressed, false),
            None => (data_opcode(kind), self.deflater.is_some(), true),
        };
        let budget = self.check_data_budget()?;
        let accepted = data.len().min(budget);
        let (data, fin) = match data.get(..accepted) {
            Some(d) if accepted < data.len() => (d, false),
            _ => (data, fin),
        };
        if kind == MessageKind::Text {
            // Validate before anything is written, so that a refusal leaves no trace.
            let mut check = self.utf8.clone();
            check.feed(data).map_err(|_| UsageError::InvalidUtf8)?;
            if fin {
                check.finish().map_err(|_| UsageError::InvalidUtf8)?;
            }
            self.utf8 = check;
        }
        self.write_data(opcode, fin, first, compressed, data)?;
        self.message = if fin {
            None
        } else {
            Some(OutMessage { kind, compressed })
        };
        Ok(data.len())
    }

    pub(super) fn control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(UsageError::ControlPayloadTooLong(payload.len()).into());
        }
        if self.queued_control >= self.limits.max_pending_control_frames {
            self.blocked = true;
            return Err(Error::WouldBlock);
        }
        self.queued_control = self.queued_control.saturating_add(1);
        self.write_frame(opcode, true, false, payload);
        Ok(())
    }

    /// Replaces the pending automatic pong.
    pub(super) fn set_pending_pong(&mut self, payload: Bytes) {
        self.pending_pong = Some(payload);
    }

    fn flush_pong(&mut self) {
        if let Some(payload) = self.pending_pong.take() {
            self.write_frame(OpCode::Pong, true, false, &payload);
        }
    }

    /// Queues a close frame; bypasses every limit (it is sent once).
    pub(super) fn close(&mut self, code: CloseCode, reason: &[u8]) {
        // A pong owed for an earlier ping goes first; nothing follows the close.
        self.flush_pong();
        let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
        let mut cursor = &mut payload[..];
        CloseFrame::write_payload(code, reason, &mut cursor);
        let len = MAX_CONTROL_PAYLOAD.saturating_sub(cursor.remaining_mut());
        self.write_frame(
            OpCode::Close,
            true,
            false,
            payload.get(..len).unwrap_or_default(),
        );
    }

    /// Drops everything not yet sent (a stream reset).
    pub(super) fn discard(&mut self) {
        self.out.clear();
        self.pending_pong = None;
    }

    /// Forgets the pending automatic pong (after a close frame, nothing more is sent).
    pub(super) fn drop_pending_pong(&mut self) {
        self.pending_pong = None;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.out.is_empty() && self.pending_pong.is_none()
    }

    /// Moves all output into `buf`; returns how many bytes, and whether a send had been
    /// refused (so `Writable` is due).
    pub(super) fn drain_into(&mut self, buf: &mut Vec<u8>) -> (usize, bool) {
        self.flush_pong();
        let n = self.out.len();
        buf.extend_from_slice(&self.out);
        self.out.clear();
        (n, self.drained())
    }

    pub(super) fn transmit(&mut self) -> (Option<Bytes>, bool) {
        self.flush_pong();
        if self.out.is_empty() {
            return (None, false);
        }
        let bytes = self.out.split().freeze();
        (Some(bytes), self.drained())
    }

    fn drained(&mut self) -> bool {
        self.queued_control = 0;
        mem::take(&mut self.blocked)
    }
}

fn data_opcode(kind: MessageKind) -> OpCode {
    match kind {
        MessageKind::Text => OpCode::Text,
        MessageKind::Binary => OpCode::Binary,
    }
}
