//! Receive-window auto-tuning, on with [`Config::window_auto_tuning`](super::Config):
//! the round-trip time comes from `PING`s the machine sends itself (RFC 9113 §6.7 allows
//! a PING at any time), and a [`WindowTuner`] per stream and one for the connection grow
//! each receive window while the peer fills it within one round trip (RFC 9113 §6.9.2
//! leaves the window size to the receiver), up to [`Limits::max_stream_window`] and
//! [`Limits::max_connection_window`](crate::Limits::max_connection_window).
//!
//! The machine reads no clock: a PING is stamped with the `now` of the call that queued
//! it (`recv` or `handle_timeout`), which is when a driver that flushes
//! [`poll_output`](super::Connection::poll_output) after each call writes it. One RTT
//! PING is in flight at most: one at the start, and one after each growth, so the
//! measurement follows the path without a PING per frame.
//!
//! [`Limits::max_stream_window`]: crate::Limits::max_stream_window

use std::time::{Duration, Instant};

use crate::StreamId;
use crate::flow::{RecvWindow, WindowTuner};
use crate::frame;

use super::Connection;

/// The payload of our RTT PINGs, told apart from the application's and the shutdown's.
const RTT_PING: [u8; 8] = *b"h2 rtt\0\0";

/// The smallest RTT used: an in-memory peer answers in no time, and a zero RTT would make
/// every measurement period end at once.
const MIN_RTT: Duration = Duration::from_millis(1);

/// The auto-tuning state of one connection.
#[derive(Debug)]
pub(super) struct Tuning {
    /// Grows the connection receive window.
    conn: WindowTuner,
    /// The latest measurement.
    rtt: Option<Duration>,
    /// Our RTT PING in flight, with when it was queued.
    ping_sent: Option<Instant>,
    /// A new measurement is wanted (at the start, and after a window grew).
    want_ping: bool,
}

impl Tuning {
    /// The latest round-trip measurement.
    #[cfg(test)]
    pub(super) fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    pub(super) fn new(max_connection_window: u32) -> Tuning {
        Tuning {
            conn: WindowTuner::new(max_connection_window),
            rtt: None,
            ping_sent: None,
            want_ping: true,
        }
    }

    /// A tuner for a new stream's receive window, with the RTT known so far.
    pub(super) fn stream_tuner(&self, max_stream_window: u32) -> WindowTuner {
        let mut tuner = WindowTuner::new(max_stream_window);
        if let Some(rtt) = self.rtt {
            tuner.set_rtt(rtt);
        }
        tuner
    }
}

/// Feeds `len` received bytes to a tuner; returns the `WINDOW_UPDATE` increment to send
/// if the window grew.
fn grow(tuner: &mut WindowTuner, now: Instant, len: u32, window: &mut RecvWindow) -> Option<u32> {
    tuner.on_data(now, len, window)?;
    window.poll_window_update()
}

impl Connection {
    /// Queues an RTT PING if one is wanted and none is in flight.
    pub(super) fn rtt_ping(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let Some(t) = self.tuning.as_mut() else {
            return;
        };
        if t.want_ping && t.ping_sent.is_none() {
            frame::write_ping(&mut self.out, RTT_PING, false);
            t.ping_sent = Some(now);
            t.want_ping = false;
        }
    }

    /// A PING ACK arrived at `now`; `true` if it was our RTT PING, whose round trip now
    /// tunes every window.
    pub(super) fn on_rtt_ping(&mut self, now: Instant, payload: [u8; 8]) -> bool {
        if payload != RTT_PING {
            return false;
        }
        let Some(t) = self.tuning.as_mut() else {
            return false;
        };
        let Some(sent) = t.ping_sent.take() else {
            // Not one we have in flight: the application's, with our payload.
            return false;
        };
        let rtt = now
            .checked_duration_since(sent)
            .unwrap_or_default()
            .max(MIN_RTT);
        t.rtt = Some(rtt);
        t.conn.set_rtt(rtt);
        for (_, _, data) in self.streams.iter_mut() {
            if let Some(tuner) = data.tuner.as_mut() {
                tuner.set_rtt(rtt);
            }
        }
        true
    }

    /// `len` flow-controlled bytes arrived on the connection: grow its window if the peer
    /// fills it within a round trip.
    pub(super) fn tune_connection(&mut self, now: Instant, len: u32) {
        let Some(t) = self.tuning.as_mut() else {
            return;
        };
        if let Some(inc) = grow(&mut t.conn, now, len, &mut self.conn_recv) {
            frame::write_window_update(&mut self.out, StreamId::ZERO, inc);
            t.want_ping = true;
        }
    }

    /// `len` flow-controlled bytes arrived on stream `id` (its window took them): grow it
    /// the same way.
    pub(super) fn tune_stream(&mut self, now: Instant, id: StreamId, len: u32) {
        let Some(t) = self.tuning.as_mut() else {
            return;
        };
        let Some(data) = self.streams.get_mut(id) else {
            return;
        };
        let Some(tuner) = data.tuner.as_mut() else {
            return;
        };
        if let Some(inc) = grow(tuner, now, len, &mut data.recv) {
            frame::write_window_update(&mut self.out, id, inc);
            t.want_ping = true;
        }
    }
}
