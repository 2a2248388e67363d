//! The receive side of flow control (RFC 9113 §5.2, §6.9): window is handed back to the
//! peer only as the application consumes data, so the window bounds our buffering.

use super::{FlowError, MAX_WINDOW, Window};

/// When received data counts as consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReleasePolicy {
    /// Only when the application says so with [`RecvWindow::release`]: the window then
    /// bounds what we buffer for a slow reader (backpressure).
    Manual,
    /// As soon as it arrives: for data that is handed on at once (or dropped).
    Auto,
}

/// What the peer may send us on one stream or on the connection, and what we owe it.
///
/// Every received byte is in exactly one place: still announceable to the peer as window
/// (`window`), held by the application (`buffered`), or released but not yet announced.
/// Those three add up to `target` (unless the target was lowered), so the peer can never
/// make us hold more than `target` bytes.
///
/// A `WINDOW_UPDATE` goes out only once the released-but-unannounced amount reaches half
/// the target: one update per half window instead of one per `DATA` frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecvWindow {
    /// What the peer may still send, counting every update we emitted.
    window: Window,
    /// The window we keep open.
    target: u32,
    /// Received but not yet released.
    buffered: u32,
    policy: ReleasePolicy,
}

impl RecvWindow {
    /// A window the peer currently believes to be `initial` (65,535 for the connection;
    /// the acknowledged `SETTINGS_INITIAL_WINDOW_SIZE` for a stream), which we keep at
    /// `target`. When `target` exceeds `initial` the first
    /// [`poll_window_update`](Self::poll_window_update) announces the difference: that is
    /// how the connection window is opened beyond 65,535 (RFC 9113 §6.9.2).
    pub(crate) fn new(initial: u32, target: u32, policy: ReleasePolicy) -> Self {
        RecvWindow {
            window: Window::new(initial.min(MAX_WINDOW)).unwrap_or(Window(0)),
            target: target.min(MAX_WINDOW),
            buffered: 0,
            policy,
        }
    }

    /// What the peer may still send, as the peer will see it once our updates arrive.
    #[cfg(test)]
    pub(crate) fn window(&self) -> Window {
        self.window
    }

    /// The window we keep open.
    pub(crate) fn target(&self) -> u32 {
        self.target
    }

    /// Received bytes the application has not released.
    pub(crate) fn buffered(&self) -> u32 {
        self.buffered
    }

    #[cfg(test)]
    /// The release policy.
    pub(crate) fn policy(&self) -> ReleasePolicy {
        self.policy
    }

    /// A flow-controlled frame of `len` bytes arrived: the whole `DATA` payload, padding
    /// and Pad Length octet included (RFC 9113 §6.1). Beyond the window it is a
    /// `FLOW_CONTROL_ERROR` (scope it with [`FlowError::on`]) and nothing changes.
    ///
    /// The connection calls this on the connection window for every `DATA` frame, even
    /// one on a closed or reset stream (RFC 9113 §5.1 "closed", §6.9), and on the stream
    /// window when the stream is still known.
    pub(crate) fn recv_data(&mut self, len: u32) -> Result<(), FlowError> {
        if len > self.window.available() {
            return Err(FlowError::Exceeded);
        }
        self.window.decrease(len)?;
        self.buffered = self.buffered.saturating_add(len);
        if self.policy == ReleasePolicy::Auto {
            self.release(len);
        }
        Ok(())
    }

    #[cfg(test)]
    /// [`recv_data`](Self::recv_data) for a `DATA` frame of `flow_len` flow-controlled
    /// bytes of which only `data_len` reach the application: the padding is released at
    /// once, as nobody will ever consume it (RFC 9113 §6.1).
    pub(crate) fn recv_padded(&mut self, flow_len: u32, data_len: u32) -> Result<(), FlowError> {
        self.recv_data(flow_len)?;
        self.release(flow_len.saturating_sub(data_len));
        Ok(())
    }

    /// The application consumed `n` bytes (at most what is buffered; the rest is
    /// ignored). Returns how many were released.
    pub(crate) fn release(&mut self, n: u32) -> u32 {
        let n = n.min(self.buffered);
        self.buffered = self.buffered.saturating_sub(n);
        n
    }

    /// Released (or newly targeted) bytes not yet announced to the peer.
    pub(crate) fn unannounced(&self) -> u32 {
        let held = i64::from(self.window.get()).saturating_add(i64::from(self.buffered));
        u32::try_from(i64::from(self.target).saturating_sub(held)).unwrap_or(0)
    }

    /// The unannounced amount that triggers a `WINDOW_UPDATE`: half the target (at least
    /// one byte).
    pub(crate) fn threshold(&self) -> u32 {
        (self.target / 2).max(1)
    }

    /// The increment of a `WINDOW_UPDATE` to send now, if the unannounced amount reached
    /// the [`threshold`](Self::threshold); the window counts it as sent. Poll after
    /// [`release`](Self::release), [`recv_data`](Self::recv_data) with the automatic
    /// policy, and [`set_target`](Self::set_target).
    #[must_use = "the returned increment must be sent in a WINDOW_UPDATE"]
    pub(crate) fn poll_window_update(&mut self) -> Option<u32> {
        let increment = self.unannounced();
        if increment == 0 || increment < self.threshold() {
            return None;
        }
        // Cannot overflow: window + buffered + increment = target <= 2^31 - 1.
        self.window.increase(increment).ok()?;
        Some(increment)
    }

    /// Keeps the window at `target` from now on (clamped to 2^31 - 1). Growing it
    /// announces more with the next update (auto-tuning); shrinking takes effect as the
    /// peer uses up what it was already given, since a window cannot be taken back.
    pub(crate) fn set_target(&mut self, target: u32) {
        self.target = target.min(MAX_WINDOW);
    }

    /// Our own `SETTINGS_INITIAL_WINDOW_SIZE` changed by `delta` and the peer acknowledged
    /// it (so every later `DATA` frame was sent under the new value): the window and the
    /// target move by `delta` (RFC 9113 §6.9.2). Above 2^31 - 1 it is an error and nothing
    /// changes.
    pub(crate) fn apply_initial_delta(&mut self, delta: i64) -> Result<(), FlowError> {
        let target = i64::from(self.target)
            .checked_add(delta)
            .ok_or(FlowError::Overflow)?;
        if target > i64::from(MAX_WINDOW) {
            return Err(FlowError::Overflow);
        }
        let mut window = self.window;
        window.adjust(delta)?;
        self.window = window;
        self.target = u32::try_from(target).unwrap_or(0);
        Ok(())
    }
}
