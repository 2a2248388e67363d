//! Flow-control credit (RFC 9000 §4.1, §4.2), the same for a stream (`MAX_STREAM_DATA`,
//! `STREAM_DATA_BLOCKED`) and for the connection (`MAX_DATA`, `DATA_BLOCKED`).
//!
//! Receive-window auto-tuning: when an update is due (half the window consumed since the
//! last limit was advertised) and the previous update was less than two smoothed RTTs
//! ago, the peer is consuming the window faster than one window per two RTTs, so the
//! window doubles, up to the configured maximum. The window never shrinks.

use std::time::{Duration, Instant};

use crate::{Code, TransportError};

/// The receiver's side of one flow-control limit.
#[derive(Debug, Clone)]
pub struct RecvWindow {
    /// The limit last advertised (an absolute offset or byte total).
    limit: u64,
    /// Credit consumed by the peer (highest offsets received).
    received: u64,
    /// Credit released by the application (bytes read).
    consumed: u64,
    /// The current window.
    window: u64,
    /// The most the window may grow to.
    max_window: u64,
    /// When the last update was issued.
    last_update: Option<Instant>,
}

impl RecvWindow {
    /// A window of `window` bytes (also the initial limit, the transport parameter we
    /// send) that auto-tuning may grow up to `max_window`.
    pub fn new(window: u64, max_window: u64) -> RecvWindow {
        RecvWindow {
            limit: window,
            received: 0,
            consumed: 0,
            window,
            max_window: max_window.max(window),
            last_update: None,
        }
    }

    /// The limit last advertised.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The current window size.
    pub fn window(&self) -> u64 {
        self.window
    }

    /// Records `n` more bytes of credit used by the peer (for a connection: the growth a
    /// stream's [`RecvBuffer::insert`](super::RecvBuffer::insert) returned). Going past
    /// the limit is `FLOW_CONTROL_ERROR` (RFC 9000 §4.1).
    pub fn on_received(&mut self, n: u64) -> Result<(), TransportError> {
        let total = self
            .received
            .checked_add(n)
            .filter(|&t| t <= self.limit)
            .ok_or(TransportError::new(
                Code::FLOW_CONTROL_ERROR,
                "data beyond the flow-control limit",
            ))?;
        self.received = total;
        Ok(())
    }

    /// Records `n` bytes read by the application, releasing credit.
    pub fn on_consumed(&mut self, n: u64) {
        self.consumed = self
            .consumed
            .saturating_add(n)
            .min(self.received.max(self.consumed));
    }

    /// Whether [`RecvWindow::poll_update`] would advertise a new limit now: half the
    /// window has been consumed since the last limit.
    pub fn update_due(&self) -> bool {
        self.limit.saturating_sub(self.consumed) <= self.window / 2
    }

    /// Credit released by the application so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// A new limit to advertise (`MAX_STREAM_DATA` / `MAX_DATA`) when half the window has
    /// been consumed since the last one, or `None`. `rtt` is the smoothed RTT. The caller
    /// sends the returned limit (and raises [`RecvBuffer::set_limit`](super::RecvBuffer::set_limit)
    /// for a stream); a lost update is resent with [`RecvWindow::limit`].
    pub fn poll_update(&mut self, now: Instant, rtt: Duration) -> Option<u64> {
        let remaining = self.limit.saturating_sub(self.consumed);
        if remaining > self.window / 2 {
            return None;
        }
        if let Some(last) = self.last_update
            && now.saturating_duration_since(last) < rtt.saturating_mul(2)
        {
            self.window = self.window.saturating_mul(2).min(self.max_window);
        }
        self.last_update = Some(now);
        let limit = self.consumed.saturating_add(self.window);
        if limit <= self.limit {
            return None;
        }
        self.limit = limit;
        Some(limit)
    }
}

/// The sender's side of one flow-control limit.
#[derive(Debug, Clone)]
pub struct SendCredit {
    /// The peer's limit.
    limit: u64,
    /// Credit used so far.
    used: u64,
    /// The limit at which a BLOCKED frame was last sent.
    blocked_at: Option<u64>,
}

impl SendCredit {
    /// Credit with the peer's initial limit (its transport parameter).
    pub fn new(limit: u64) -> SendCredit {
        SendCredit {
            limit,
            used: 0,
            blocked_at: None,
        }
    }

    /// The peer's limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Credit used.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// How many more bytes may be sent.
    pub fn available(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Uses up to `n` bytes of credit; returns how many were granted.
    pub fn consume(&mut self, n: u64) -> u64 {
        let granted = n.min(self.available());
        self.used = self.used.saturating_add(granted);
        granted
    }

    /// Gives back `n` bytes of credit used but never sent: the bytes a stream had
    /// buffered when it was reset, which its final size does not count (RFC 9000 §4.5).
    pub fn release(&mut self, n: u64) {
        self.used = self.used.saturating_sub(n);
    }

    /// Takes a `MAX_DATA` / `MAX_STREAM_DATA`; a limit that does not increase is ignored
    /// (RFC 9000 §19.9, §19.10). Returns whether the limit grew.
    pub fn update_limit(&mut self, limit: u64) -> bool {
        if limit > self.limit {
            self.limit = limit;
            true
        } else {
            false
        }
    }

    /// The limit to put in a `DATA_BLOCKED` / `STREAM_DATA_BLOCKED` frame when the credit
    /// is exhausted and none was sent for this limit yet (RFC 9000 §4.1, §19.12, §19.13);
    /// once per limit value.
    pub fn poll_blocked(&mut self) -> Option<u64> {
        if self.available() > 0 || self.blocked_at == Some(self.limit) {
            return None;
        }
        self.blocked_at = Some(self.limit);
        Some(self.limit)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
    use super::*;

    #[test]
    fn window_updates_at_half() {
        let now = Instant::now();
        let rtt = Duration::from_millis(100);
        let mut w = RecvWindow::new(100, 100);
        w.on_received(100).unwrap();
        let e = w.on_received(1).unwrap_err();
        assert_eq!(e.code, Code::FLOW_CONTROL_ERROR);
        w.on_consumed(49);
        assert_eq!(w.poll_update(now, rtt), None);
        w.on_consumed(1);
        assert_eq!(w.poll_update(now, rtt), Some(150));
        assert_eq!(w.poll_update(now, rtt), None);
        w.on_received(50).unwrap();
    }

    #[test]
    fn auto_tuning_doubles_up_to_max() {
        let t0 = Instant::now();
        let rtt = Duration::from_millis(100);
        let mut w = RecvWindow::new(100, 300);
        w.on_received(50).unwrap();
        w.on_consumed(50);
        assert_eq!(w.poll_update(t0, rtt), Some(150));
        // Consumed again within 2 RTT: doubles.
        w.on_received(50).unwrap();
        w.on_consumed(50);
        assert_eq!(
            w.poll_update(t0 + Duration::from_millis(150), rtt),
            Some(300)
        );
        assert_eq!(w.window(), 200);
        w.on_received(100).unwrap();
        w.on_consumed(100);
        assert_eq!(
            w.poll_update(t0 + Duration::from_millis(200), rtt),
            Some(500)
        );
        assert_eq!(w.window(), 300);
        // Slow consumption: no growth.
        w.on_received(150).unwrap();
        w.on_consumed(150);
        assert_eq!(w.poll_update(t0 + Duration::from_secs(5), rtt), Some(650));
        assert_eq!(w.window(), 300);
    }

    #[test]
    fn sender_blocked_once_per_limit() {
        let mut c = SendCredit::new(10);
        assert_eq!(c.poll_blocked(), None);
        assert_eq!(c.consume(15), 10);
        assert_eq!(c.poll_blocked(), Some(10));
        assert_eq!(c.poll_blocked(), None);
        assert!(!c.update_limit(5));
        assert!(c.update_limit(20));
        assert_eq!(c.available(), 10);
        c.consume(10);
        assert_eq!(c.poll_blocked(), Some(20));
    }
}
