//! The SETTINGS exchange (RFC 9113 §6.5): ours at creation, applied when acknowledged
//! and guarded by a timeout; the peer's applied on receipt and acknowledged.

use std::time::Instant;

use crate::frame::{self, Peer, Settings, SettingsFrame};
use crate::{ErrorCode, flow};

use super::{Config, Connection, Error, Event, Role};

/// The SETTINGS we advertise, from the configuration.
pub(super) fn local_settings(role: Role, config: &Config) -> Settings {
    let l = &config.limits;
    Settings {
        header_table_size: l.header_table_size,
        // RFC 9113 §8.4: we never accept pushes, so we say so (a server may send 0 too).
        enable_push: false,
        max_concurrent_streams: Some(l.max_concurrent_streams),
        initial_window_size: l.initial_stream_window.min(flow::MAX_WINDOW),
        max_frame_size: l
            .max_frame_size
            .clamp(frame::DEFAULT_MAX_FRAME_SIZE, frame::MAX_MAX_FRAME_SIZE),
        max_header_list_size: Some(l.max_header_list_size),
        // RFC 8441 §3, STYLE.md: advertise only what an allow-list backs.
        enable_connect_protocol: role == Role::Server && !config.connect_protocols.is_empty(),
        no_rfc7540_priorities: false,
    }
}

impl Connection {
    /// RFC 9113 §3.4: the client preface, then (both roles) our SETTINGS, then the
    /// connection window opened beyond 65,535 (§6.9.2).
    pub(super) fn queue_preface(&mut self) {
        if self.role == Role::Client {
            self.out.extend_from_slice(frame::PREFACE);
        }
        frame::write_settings(&mut self.out, &self.local);
        let extra = self
            .config
            .limits
            .connection_window
            .min(flow::MAX_WINDOW)
            .saturating_sub(flow::PROTOCOL_INITIAL_WINDOW);
        if extra > 0 {
            frame::write_window_update(&mut self.out, crate::StreamId::ZERO, extra);
        }
    }

    /// Remembers the time; starts the SETTINGS ACK timer the first time.
    pub(super) fn tick(&mut self, now: Instant) {
        self.now = Some(now);
        if self.settings_ack_pending && self.settings_deadline.is_none() {
            self.settings_deadline = now.checked_add(self.config.limits.settings_ack_timeout);
        }
        self.start_shutdown_clock(now);
        self.rtt_ping(now);
    }

    pub(super) fn on_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.tick(now);
        if self.settings_ack_pending && self.settings_deadline.is_some_and(|d| d <= now) {
            // RFC 9113 §6.5.3: connection error SETTINGS_TIMEOUT.
            self.connection_error(Error::SettingsTimeout);
            return;
        }
        self.on_shutdown_timeout(now);
    }

    /// A SETTINGS frame from the peer (RFC 9113 §6.5.3).
    pub(super) fn on_settings(&mut self, now: Instant, f: &SettingsFrame) -> Result<(), Error> {
        if f.is_ack() {
            return self.on_settings_ack();
        }
        if f.len() > self.config.limits.max_settings_entries as usize {
            return Err(Error::Limit {
                limit: "SETTINGS entries",
            });
        }
        if self.peer.is_some() && self.budgets.glitches.take(now).is_err() {
            return Err(Error::Limit {
                limit: "SETTINGS flood",
            });
        }
        let sender = match self.role {
            Role::Client => Peer::Server,
            Role::Server => Peer::Client,
        };
        let old = self.peer.unwrap_or(Settings::DEFAULT);
        let mut new = old;
        new.apply(f, sender).map_err(Error::Frame)?;
        if self.budgets.pending_acks.increment().is_err() {
            return Err(Error::Limit {
                limit: "pending SETTINGS/PING acknowledgements",
            });
        }
        // RFC 9113 §6.9.2: the change applies to every stream's send window, and may make
        // one negative; overflow is a connection FLOW_CONTROL_ERROR.
        let delta = flow::initial_window_delta(old.initial_window_size, new.initial_window_size);
        if delta != 0 {
            for (_, _, data) in self.streams.iter_mut() {
                data.send
                    .apply_initial_delta(delta)
                    .map_err(|e| super::recv::violation_error(e.on_settings()))?;
            }
        }
        if new.header_table_size != old.header_table_size || self.peer.is_none() {
            self.encoder
                .set_max_table_size(new.header_table_size as usize);
        }
        self.streams
            .set_peer_max_concurrent(new.max_concurrent_streams.unwrap_or(u32::MAX));
        self.peer = Some(new);
        frame::write_settings_ack(&mut self.out);
        self.events.push_back(Event::Settings(new));
        self.pump_queue();
        self.wake_blocked();
        Ok(())
    }

    /// Our SETTINGS are acknowledged: they are in force now (RFC 9113 §6.5.3).
    fn on_settings_ack(&mut self) -> Result<(), Error> {
        if !self.settings_ack_pending {
            // We send one SETTINGS frame only: an unsolicited ACK breaks §6.5.
            return Err(Error::Protocol {
                code: ErrorCode::PROTOCOL_ERROR,
                reason: "SETTINGS ACK without a pending SETTINGS",
            });
        }
        self.settings_ack_pending = false;
        self.settings_deadline = None;
        let old = self.local_acked;
        let new = self.local;
        self.local_acked = new;
        self.reader.set_max_frame_size(new.max_frame_size);
        self.decoder
            .set_max_table_size(new.header_table_size as usize);
        let delta = flow::initial_window_delta(old.initial_window_size, new.initial_window_size);
        if delta != 0 {
            for (_, _, data) in self.streams.iter_mut() {
                // Cannot overflow: both values are at most 2^31 - 1 and windows only
                // shrink from what was announced.
                let _ = data.recv.apply_initial_delta(delta);
            }
        }
        Ok(())
    }
}
