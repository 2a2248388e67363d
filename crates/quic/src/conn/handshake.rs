//! The handshake: the TLS session's events, the peer's transport parameters, key
//! discarding (RFC 9001 §4.9) and confirmation (§4.1.2).

use std::time::{Duration, Instant};

use super::{Connection, Event, State, after};
use crate::crypto::{LevelKeys, TlsEvent};
use crate::stream::Read;
use crate::transport_params::{HandshakeCids, TransportParameters};
use crate::{Level, Side, Space, TransportError};

impl Connection {
    /// Acts on everything the TLS session has to say.
    pub(super) fn process_tls(&mut self, now: Instant) {
        while let Some(event) = self.tls.poll_event() {
            match event {
                TlsEvent::Keys(LevelKeys::Handshake(keys)) => {
                    self.spaces[Space::Handshake].keys = Some(keys);
                    if self.side == Side::Client {
                        self.recovery.set_has_handshake_keys();
                    }
                }
                TlsEvent::Keys(LevelKeys::OneRtt(keys)) => self.one_rtt = Some(keys),
                // 0-RTT is not offered or accepted yet: its keys go unused.
                TlsEvent::Keys(LevelKeys::ZeroRtt(_)) => {}
                TlsEvent::Crypto { level, data } => {
                    let space = &mut self.spaces[level.space()];
                    // TLS' own output: the buffer takes all of it (its bound is far above
                    // any handshake).
                    let _ = space.crypto_send.write(&data);
                }
                TlsEvent::HandshakeComplete => {
                    if let Err(e) = self.on_handshake_complete(now) {
                        self.fail(now, e);
                        return;
                    }
                }
            }
        }
    }

    /// Feeds TLS the CRYPTO bytes now in order at its read level, level after level.
    pub(super) fn feed_tls(&mut self, now: Instant) -> Result<(), TransportError> {
        loop {
            let level = self.tls.read_level();
            let space = &mut self.spaces[level.space()];
            let Read::Data(data) = space.crypto_recv.read(usize::MAX) else {
                return Ok(());
            };
            // The window is relative to what TLS has read (RFC 9000 §7.5).
            let limit = space
                .crypto_recv
                .bytes_read()
                .saturating_add(self.config.max_crypto_buffer);
            space.crypto_recv.set_limit(limit);
            self.tls.read_crypto(level, &data)?;
            self.process_tls(now);
            if self.is_closing() {
                return Ok(());
            }
        }
    }

    fn on_handshake_complete(&mut self, now: Instant) -> Result<(), TransportError> {
        let peer = match self.side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        let bytes =
            self.tls
                .peer_transport_parameters()
                .ok_or(TransportError::transport_parameter(
                    "no transport parameters",
                ))?;
        let params = TransportParameters::decode(bytes, peer)?;
        let seen = HandshakeCids {
            initial_source: self.peer_initial_scid.unwrap_or_default(),
            original_destination: self.original_dcid,
            retry_source: self.retry_scid,
        };
        params.check_cids(peer, &seen)?;
        self.apply_peer_params(now, &params);
        self.peer_params = Some(params);
        self.state = State::Established;
        self.events.push_back(Event::Connected);
        if self.side == Side::Server {
            // RFC 9001 §4.1.2: the server's handshake is confirmed when it completes.
            self.handshake_done_pending = true;
            self.new_token_pending = self.new_token.is_some();
            self.confirm_handshake(now);
        }
        self.local_cids.issue(&mut *self.cid_gen, &mut *self.rng);
        Ok(())
    }

    fn apply_peer_params(&mut self, now: Instant, params: &TransportParameters) {
        self.streams.set_peer_params(params);
        self.datagrams
            .set_peer_max_frame_size(params.max_datagram_frame_size.filter(|&m| m > 0));
        self.recovery
            .set_max_ack_delay(Duration::from_millis(params.max_ack_delay));
        self.local_cids
            .set_peer_limit(params.active_connection_id_limit);
        if let Some(token) = params.stateless_reset_token {
            self.remote_cids.set_initial_reset_token(token);
        }
        let peer_max = usize::try_from(params.max_udp_payload_size).unwrap_or(usize::MAX);
        self.max_datagram_size = self
            .max_datagram_size
            .min(peer_max)
            .max(super::MIN_INITIAL_SIZE);
        // RFC 9000 §10.1: the smaller of the two non-zero idle timeouts.
        let peer_idle =
            (params.max_idle_timeout > 0).then(|| Duration::from_millis(params.max_idle_timeout));
        self.idle_timeout = match (self.config.idle_timeout, peer_idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.restart_idle_timer(now);
    }

    /// The handshake is confirmed (RFC 9001 §4.1.2): Handshake keys go (§4.9.2).
    pub(super) fn confirm_handshake(&mut self, now: Instant) {
        if self.handshake_confirmed {
            return;
        }
        self.handshake_confirmed = true;
        self.recovery.set_handshake_confirmed();
        self.discard_space(Space::Handshake);
        // Packets waiting for keys can only be 1-RTT ones now, which have theirs.
        self.buffered = std::collections::VecDeque::new();
        // The key phase bookkeeping starts with the first 1-RTT packets.
        self.keys.acked_in_phase = false;
        self.keys.first_sent = 0;
        let _ = now;
        self.events.push_back(Event::HandshakeConfirmed);
    }

    /// Drops a space's keys and its packets in flight (RFC 9001 §4.9, RFC 9002 §6.4).
    pub(super) fn discard_space(&mut self, space: Space) {
        let sp = &mut self.spaces[space];
        if sp.discarded {
            return;
        }
        sp.discard();
        self.recovery.discard_space(space, |_| {});
    }

    /// Restarts the idle timer (RFC 9000 §10.1): its period is at least three PTOs.
    pub(super) fn restart_idle_timer(&mut self, now: Instant) {
        self.idle_deadline = self
            .idle_timeout
            .map(|t| after(now, t.max(self.recovery.pto().saturating_mul(3))));
    }

    /// Whether a packet of `level` can be opened now.
    pub(super) fn has_read_keys(&self, level: Level) -> bool {
        match level {
            Level::Initial | Level::Handshake => self.spaces[level.space()].can_send(),
            Level::OneRtt => self.one_rtt.is_some(),
            Level::ZeroRtt => false,
        }
    }
}
