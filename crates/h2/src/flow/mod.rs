//! Flow control (RFC 9113 §5.2, §6.9): a signed window with checked arithmetic, the send
//! side ([`SendWindow`]) and the receive side ([`RecvWindow`]).
//!
//! The connection keeps one window of each kind for the connection (stream 0) and one per
//! stream, and combines them: a `DATA` frame may carry at most
//! `min(connection window, stream window)` flow-controlled bytes ([`sendable`]), and its
//! whole payload, padding and Pad Length octet included (§6.1), counts against both.
//!
//! Receiving, the connection window also takes `DATA` for streams that are closed or
//! reset (then released at once), and when a stream is dropped with unread data, that
//! data is released to the connection window. [`WindowTuner`] optionally grows receive
//! windows when the peer fills them within about one round trip.

mod recv;
mod send;
#[cfg(test)]
mod tests;
mod tune;

#[allow(unused_imports)] // until the connection uses them
pub(crate) use recv::{RecvWindow, ReleasePolicy};
#[allow(unused_imports)]
pub(crate) use send::{SendWindow, consume, initial_window_delta, sendable};
#[allow(unused_imports)]
pub(crate) use tune::WindowTuner;

use crate::ErrorCode;
use crate::StreamId;
use crate::stream::{Reason, Violation};

/// The largest flow-control window, 2^31 - 1 (RFC 9113 §6.9.1).
pub(crate) const MAX_WINDOW: u32 = 0x7fff_ffff;

/// The window every connection and stream starts with, 65,535 (RFC 9113 §6.9.2), until
/// `SETTINGS_INITIAL_WINDOW_SIZE` (streams) or `WINDOW_UPDATE` (connection) change it.
pub(crate) const PROTOCOL_INITIAL_WINDOW: u32 = 65_535;

/// A flow-control window: signed, since a `SETTINGS_INITIAL_WINDOW_SIZE` decrease can make
/// it negative (RFC 9113 §6.9.2), and never above 2^31 - 1 (§6.9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Window(i32);

impl Window {
    /// A window of `size` bytes, `None` above 2^31 - 1.
    pub(crate) fn new(size: u32) -> Option<Window> {
        if size > MAX_WINDOW {
            None
        } else {
            i32::try_from(size).ok().map(Window)
        }
    }

    /// The window's value (negative after a decrease of the initial size).
    pub(crate) fn get(self) -> i32 {
        self.0
    }

    /// Bytes that fit now: the window if positive, else 0.
    pub(crate) fn available(self) -> u32 {
        u32::try_from(self.0).unwrap_or(0)
    }

    /// Grows the window by `n`; above 2^31 - 1 it is a `FLOW_CONTROL_ERROR` and the window
    /// is unchanged (RFC 9113 §6.9.1).
    pub(crate) fn increase(&mut self, n: u32) -> Result<(), FlowError> {
        self.adjust(i64::from(n))
    }

    /// Shrinks the window by `n` flow-controlled bytes; more than is available is an
    /// error and the window is unchanged.
    pub(crate) fn decrease(&mut self, n: u32) -> Result<(), FlowError> {
        if n > self.available() {
            return Err(FlowError::Exceeded);
        }
        self.adjust(i64::from(n).saturating_neg())
    }

    /// Moves the window by `delta` (RFC 9113 §6.9.2: the difference between the new and
    /// old `SETTINGS_INITIAL_WINDOW_SIZE`), which may make it negative. Above 2^31 - 1 (or
    /// below -2^31, which takes a broken caller) it is an error and nothing changes.
    pub(crate) fn adjust(&mut self, delta: i64) -> Result<(), FlowError> {
        let value = i64::from(self.0)
            .checked_add(delta)
            .ok_or(FlowError::Overflow)?;
        if value > i64::from(MAX_WINDOW) {
            return Err(FlowError::Overflow);
        }
        self.0 = i32::try_from(value).map_err(|_| FlowError::Overflow)?;
        Ok(())
    }
}

/// A flow-control rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FlowError {
    /// A window would exceed 2^31 - 1 (RFC 9113 §6.9.1): `FLOW_CONTROL_ERROR`.
    #[error("flow-control window above 2^31 - 1")]
    Overflow,
    /// A `WINDOW_UPDATE` increment of 0 (RFC 9113 §6.9): `PROTOCOL_ERROR`.
    #[error("WINDOW_UPDATE with a zero increment")]
    ZeroIncrement,
    /// More flow-controlled bytes than the window allows (RFC 9113 §6.9.1):
    /// `FLOW_CONTROL_ERROR` when the peer did it, a bug when we did.
    #[error("flow-controlled data beyond the window")]
    Exceeded,
}

impl FlowError {
    /// The wire error code.
    pub(crate) fn code(self) -> ErrorCode {
        match self {
            FlowError::Overflow | FlowError::Exceeded => ErrorCode::FLOW_CONTROL_ERROR,
            FlowError::ZeroIncrement => ErrorCode::PROTOCOL_ERROR,
        }
    }

    fn reason(self) -> Reason {
        match self {
            FlowError::Overflow => Reason::WindowOverflow,
            FlowError::ZeroIncrement => Reason::ZeroWindowIncrement,
            FlowError::Exceeded => Reason::FlowControlExceeded,
        }
    }

    /// The error for a frame on `id`: a connection error for the connection window
    /// (stream 0), a stream error otherwise (RFC 9113 §6.9, §6.9.1).
    pub(crate) fn on(self, id: StreamId) -> Violation {
        if id.is_zero() {
            Violation::connection(self.code(), self.reason())
        } else {
            Violation::stream(self.code(), self.reason())
        }
    }

    /// The error for a `SETTINGS_INITIAL_WINDOW_SIZE` change that overflows any window:
    /// always a connection error (RFC 9113 §6.9.2).
    pub(crate) fn on_settings(self) -> Violation {
        Violation::connection(self.code(), self.reason())
    }
}
