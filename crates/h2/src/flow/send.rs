//! The send side of flow control (RFC 9113 §6.9): how much we may send.

use super::{FlowError, MAX_WINDOW, Window};

/// What the peer lets us send on one stream or on the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SendWindow {
    window: Window,
}

impl SendWindow {
    /// A window of `initial` bytes (clamped to 2^31 - 1): the peer's
    /// `SETTINGS_INITIAL_WINDOW_SIZE` for a stream, 65,535 for the connection.
    pub(crate) fn new(initial: u32) -> Self {
        SendWindow {
            window: Window::new(initial.min(MAX_WINDOW)).unwrap_or(Window(0)),
        }
    }

    #[cfg(test)]
    /// The window (may be negative, RFC 9113 §6.9.2).
    pub(crate) fn window(self) -> Window {
        self.window
    }

    /// Bytes we may send now on this window alone.
    pub(crate) fn available(self) -> u32 {
        self.window.available()
    }

    /// We sent `n` flow-controlled bytes. More than [`available`](Self::available) is our
    /// bug and changes nothing.
    pub(crate) fn consume(&mut self, n: u32) -> Result<(), FlowError> {
        self.window.decrease(n)
    }

    /// The peer's `WINDOW_UPDATE` (RFC 9113 §6.9). A zero increment is a
    /// `PROTOCOL_ERROR`, one taking the window above 2^31 - 1 a `FLOW_CONTROL_ERROR`;
    /// scope them with [`FlowError::on`].
    pub(crate) fn recv_window_update(&mut self, increment: u32) -> Result<(), FlowError> {
        if increment == 0 {
            return Err(FlowError::ZeroIncrement);
        }
        self.window.increase(increment)
    }

    /// The peer changed `SETTINGS_INITIAL_WINDOW_SIZE`: every stream window moves by the
    /// difference ([`initial_window_delta`]), possibly below zero (RFC 9113 §6.9.2). Not
    /// for the connection window, which only `WINDOW_UPDATE` changes.
    pub(crate) fn apply_initial_delta(&mut self, delta: i64) -> Result<(), FlowError> {
        self.window.adjust(delta)
    }
}

/// The change `SETTINGS_INITIAL_WINDOW_SIZE` going from `old` to `new` makes to every
/// stream window (RFC 9113 §6.9.2).
pub(crate) fn initial_window_delta(old: u32, new: u32) -> i64 {
    i64::from(new).saturating_sub(i64::from(old))
}

/// How many of `want` flow-controlled bytes may go out now on a stream:
/// `min(want, connection window, stream window)`, never negative (RFC 9113 §6.9.1).
pub(crate) fn sendable(connection: SendWindow, stream: SendWindow, want: usize) -> u32 {
    let want = u32::try_from(want).unwrap_or(u32::MAX);
    want.min(connection.available()).min(stream.available())
}

/// We sent a `DATA` frame carrying `n` flow-controlled bytes on a stream: both windows
/// shrink. More than [`sendable`] is our bug and changes nothing.
pub(crate) fn consume(
    connection: &mut SendWindow,
    stream: &mut SendWindow,
    n: u32,
) -> Result<(), FlowError> {
    if n > connection.available() || n > stream.available() {
        return Err(FlowError::Exceeded);
    }
    connection.consume(n)?;
    stream.consume(n)
}
