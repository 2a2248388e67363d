//! Receiving: splitting datagrams into packets, removing protection, and acting on
//! frames (RFC 9000 §12, §13, §17; RFC 9001 §5, §6).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::{CloseReason, Connection, Event, State, after};
use crate::crypto::{open_packet, remove_header_protection, verify_retry_integrity};
use crate::ecn::Ecn;
use crate::frame::{self, Frame, FrameType};
use crate::packet::{FirstByte, Header, number};
use crate::{Code, ConnectionId, Level, LongType, Side, Space, TransportError};

/// What the first phase of parsing learned about a packet, owned.
struct Parsed {
    level: Level,
    len: usize,
    pn_offset: usize,
    long: bool,
    dcid: ConnectionId,
    scid: Option<ConnectionId>,
}

/// Why a packet was not processed.
enum Skip {
    /// Drop this packet, go on with the datagram's next.
    Packet,
    /// Drop the rest of the datagram.
    Datagram,
}

impl Connection {
    /// A datagram from `remote` (the caller's buffer, decrypted in place).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        ecn: Ecn,
        datagram: BytesMut,
    ) {
        match self.state {
            State::Closed | State::Draining { .. } => return,
            State::Closing { .. } => {
                // RFC 9000 §10.2.1: answer with CONNECTION_CLOSE again.
                self.close_pending = true;
                return;
            }
            State::Handshaking | State::Established => {}
        }
        if remote != self.remote {
            // No migration support yet: packets from elsewhere are dropped
            // (RFC 9000 §9: an endpoint that disabled migration may).
            return;
        }
        let len = datagram.len() as u64;
        self.bytes_received = self.bytes_received.saturating_add(len);
        let maybe_reset = self.remote_cids.is_stateless_reset(&datagram);
        let mut rest = datagram;
        let mut first_dcid: Option<ConnectionId> = None;
        let mut processed = false;
        while !rest.is_empty() && !self.is_closing() {
            match self.handle_packet(now, ecn, &mut rest, &mut first_dcid) {
                Ok(()) => processed = true,
                Err(Skip::Packet) => {}
                Err(Skip::Datagram) => break,
            }
        }
        if !processed && maybe_reset && !self.is_closing() {
            // RFC 9000 §10.3.1.
            self.start_draining(now, CloseReason::StatelessReset);
        }
        if processed {
            self.close_pending = self.close_pending && self.is_closing();
        }
    }

    /// Takes the next packet off `rest` and processes it.
    fn handle_packet(
        &mut self,
        now: Instant,
        ecn: Ecn,
        rest: &mut BytesMut,
        first_dcid: &mut Option<ConnectionId>,
    ) -> Result<(), Skip> {
        let short_len = self.cid_gen.cid_len();
        let header = Header::parse(rest, short_len).map_err(|_| Skip::Datagram)?;
        let parsed = match header {
            Header::Long(h) => {
                if h.version != self.version {
                    return Err(Skip::Datagram);
                }
                let level = match h.ty {
                    LongType::Initial => Level::Initial,
                    LongType::Handshake => Level::Handshake,
                    LongType::ZeroRtt => Level::ZeroRtt,
                    LongType::Retry => return Err(Skip::Datagram),
                };
                Parsed {
                    level,
                    len: h.len,
                    pn_offset: h.pn_offset,
                    long: true,
                    dcid: ConnectionId::new(h.dcid).unwrap_or_default(),
                    scid: ConnectionId::new(h.scid).ok(),
                }
            }
            Header::Short(h) => Parsed {
                level: Level::OneRtt,
                len: h.len,
                pn_offset: h.pn_offset,
                long: false,
                dcid: ConnectionId::new(h.dcid).unwrap_or_default(),
                scid: None,
            },
            Header::Retry(retry) => {
                let ok = self.side == Side::Client
                    && !self.received_server_packet
                    && self.retry_scid.is_none()
                    && retry.version == self.version
                    && rest.get(..retry.len).is_some_and(|packet| {
                        verify_retry_integrity(self.version, &self.original_dcid, packet)
                    });
                if ok {
                    let scid = ConnectionId::new(retry.scid).unwrap_or_default();
                    let token = Bytes::copy_from_slice(retry.token);
                    self.on_retry(now, scid, token);
                }
                return Err(Skip::Datagram);
            }
            Header::VersionNegotiation(vn) => {
                // RFC 9000 §6.2: only before any other packet from the server, and not
                // if it lists our version.
                let ours = vn.versions().any(|v| v == self.version);
                if self.side == Side::Client && !self.received_server_packet && !ours {
                    self.start_draining(now, CloseReason::VersionNegotiation);
                    self.state = State::Closed;
                }
                return Err(Skip::Datagram);
            }
            Header::Unsupported(_) => return Err(Skip::Datagram),
        };
        // RFC 9000 §12.2: coalesced packets share the Destination Connection ID.
        match first_dcid {
            Some(first) if *first != parsed.dcid => return Err(Skip::Datagram),
            Some(_) => {}
            None => *first_dcid = Some(parsed.dcid),
        }
        let packet = rest.split_to(parsed.len.min(rest.len()));
        if !self.has_read_keys(parsed.level) {
            let later = matches!(parsed.level, Level::Handshake | Level::OneRtt)
                && !self.spaces[parsed.level.space()].discarded;
            if later && self.buffered.len() < self.config.max_buffered_packets {
                self.buffered.push_back((parsed.level, ecn, packet));
            }
            return Err(Skip::Packet);
        }
        self.handle_protected(now, ecn, &parsed, packet)
    }

    /// Opens one packet whose keys are available and acts on its frames.
    fn handle_protected(
        &mut self,
        now: Instant,
        ecn: Ecn,
        parsed: &Parsed,
        mut packet: BytesMut,
    ) -> Result<(), Skip> {
        let space = parsed.level.space();
        if self.side == Side::Client && parsed.long {
            // RFC 9000 §7.2: after the server's first packet, its Source Connection ID
            // is fixed.
            if let Some(known) = self.peer_initial_scid
                && Some(known) != parsed.scid
            {
                return Err(Skip::Packet);
            }
        }
        let header_key = match parsed.level {
            Level::OneRtt => self.one_rtt.as_ref().map(|k| k.remote_header()),
            _ => self.spaces[space].keys.as_ref().map(|k| &k.remote.header),
        }
        .ok_or(Skip::Packet)?;
        let unprotected =
            remove_header_protection(header_key, &mut packet, parsed.pn_offset, parsed.long)
                .map_err(|_| Skip::Packet)?;
        let first = FirstByte::parse(unprotected.first_byte);
        let pn = number::decode(
            unprotected.truncated_pn,
            first.pn_len,
            self.spaces[space].received.largest(),
        );
        let header_len = parsed.pn_offset.saturating_add(first.pn_len.get());
        let plain_len = if parsed.level == Level::OneRtt {
            self.open_one_rtt(now, pn, first.key_phase, &mut packet, header_len)?
        } else {
            let keys = self.spaces[space].keys.as_ref().ok_or(Skip::Packet)?;
            open_packet(&keys.remote.packet, pn, &mut packet, header_len)
                .map_err(|_| Skip::Packet)?
        };
        if let Err(e) = first.check_reserved() {
            self.fail(now, e);
            return Err(Skip::Datagram);
        }
        if self.spaces[space].received.is_duplicate(pn) {
            return Err(Skip::Packet);
        }
        if self.side == Side::Client && !self.received_server_packet {
            self.received_server_packet = true;
            if let Some(scid) = parsed.scid {
                // RFC 9000 §7.2: switch to the server's chosen connection ID.
                self.peer_initial_scid = Some(scid);
                self.remote_cids.set_initial(scid);
            }
        }
        let payload_end = header_len.saturating_add(plain_len);
        if payload_end > packet.len() {
            return Err(Skip::Packet);
        }
        let payload = packet.freeze().slice(header_len..payload_end);
        if self.on_packet_opened(now, ecn, parsed.level, pn, payload, &parsed.dcid) {
            Ok(())
        } else {
            Err(Skip::Datagram)
        }
    }

    /// Acts on the frames of an opened packet (not a duplicate) and does the
    /// received-packet bookkeeping; returns false when the frames broke the protocol
    /// (the connection is then closing).
    pub(super) fn on_packet_opened(
        &mut self,
        now: Instant,
        ecn: Ecn,
        level: Level,
        pn: u64,
        payload: Bytes,
        dcid: &ConnectionId,
    ) -> bool {
        let space = level.space();
        let ack_eliciting = match self.handle_frames(now, level, payload, dcid) {
            Ok(eliciting) => eliciting,
            Err(e) => {
                self.fail(now, e);
                return false;
            }
        };
        self.spaces[space]
            .received
            .on_packet(pn, ack_eliciting, ecn, now);
        self.restart_idle_timer(now);
        self.sent_eliciting_since_recv = false;
        if self.side == Side::Server && level == Level::Handshake {
            // RFC 9000 §8.1: a Handshake packet validates the client's address;
            // RFC 9001 §4.9.1: the server drops Initial keys at the first one.
            self.address_validated = true;
            self.discard_space(Space::Initial);
        }
        if self.side == Side::Client && level != Level::Initial {
            // RFC 9002 §6.2.2.1: the server has validated our address once it sends
            // more than Initial packets.
            self.recovery.set_peer_address_validated();
        }
        if self.has_read_keys(Level::Handshake) || self.has_read_keys(Level::OneRtt) {
            self.retry_buffered(now);
        }
        true
    }

    /// Processes packets that arrived before their keys, now that keys may exist.
    fn retry_buffered(&mut self, now: Instant) {
        if self.buffered.is_empty() {
            return;
        }
        let mut kept = std::collections::VecDeque::new();
        while let Some((level, ecn, mut packet)) = self.buffered.pop_front() {
            if !self.has_read_keys(level) {
                kept.push_back((level, ecn, packet));
                continue;
            }
            let mut first = None;
            // The packet is whole: it parses as a single packet again.
            let _ = self.handle_packet(now, ecn, &mut packet, &mut first);
        }
        self.buffered = kept;
    }

    /// Opens a 1-RTT packet, following key updates (RFC 9001 §6.3, §6.5).
    fn open_one_rtt(
        &mut self,
        now: Instant,
        pn: u64,
        phase: bool,
        packet: &mut BytesMut,
        header_len: usize,
    ) -> Result<usize, Skip> {
        let three_pto = self.three_pto();
        let keys = self.one_rtt.as_mut().ok_or(Skip::Packet)?;
        if phase == keys.phase() {
            let n = open_packet(keys.current_remote(), pn, packet, header_len)
                .map_err(|_| Skip::Packet)?;
            if self.keys.first_received.is_none() {
                self.keys.first_received = Some(pn);
                if keys.previous_remote().is_some() {
                    self.keys.discard_previous_at = Some(after(now, three_pto));
                }
            }
            return Ok(n);
        }
        // The other phase: an older packet of the previous phase, or the peer starting
        // an update.
        let older = self.keys.first_received.is_none_or(|first| pn < first);
        if older && let Some(previous) = keys.previous_remote() {
            return open_packet(previous, pn, packet, header_len).map_err(|_| Skip::Packet);
        }
        let n =
            open_packet(keys.next_remote(), pn, packet, header_len).map_err(|_| Skip::Packet)?;
        if !self.handshake_confirmed {
            // RFC 9001 §6.1: no update before confirmation. A packet of a new phase this
            // early is a protocol error (§6.4 lets endpoints treat it as KEY_UPDATE_ERROR).
            self.fail(
                now,
                TransportError::new(Code::KEY_UPDATE_ERROR, "key update before confirmation"),
            );
            return Err(Skip::Datagram);
        }
        keys.update();
        self.keys = super::KeyPhase {
            first_sent: self.spaces[Space::Data].next_pn,
            acked_in_phase: false,
            first_received: Some(pn),
            discard_previous_at: Some(after(now, three_pto)),
            updates: self.keys.updates.saturating_add(1),
        };
        Ok(n)
    }

    /// A Retry (RFC 9000 §17.2.5.2, §8.1.2): restart the first flight toward the new
    /// connection ID with the token.
    fn on_retry(&mut self, _now: Instant, scid: ConnectionId, token: Bytes) {
        self.retry_scid = Some(scid);
        self.token = token;
        self.remote_cids.set_initial(scid);
        if let Ok(keys) = crate::crypto::initial_keys(self.version, &scid, Side::Client) {
            self.spaces[Space::Initial].keys = Some(keys);
        }
        let mut lost = std::mem::take(&mut self.lost_scratch);
        self.recovery
            .reset_for_retry(|space, packet| lost.push((space, packet)));
        for (space, packet) in lost.drain(..) {
            self.on_packet_lost(space, &packet.frames);
        }
        self.lost_scratch = lost;
    }

    /// Acts on a packet's frames; returns whether it was ack-eliciting.
    fn handle_frames(
        &mut self,
        now: Instant,
        level: Level,
        payload: Bytes,
        dcid: &ConnectionId,
    ) -> Result<bool, TransportError> {
        let mut eliciting = false;
        let mut frames = frame::parse(payload, level);
        loop {
            let start = frames.position();
            let Some(frame) = frames.next() else { break };
            let frame = frame?;
            let frame_len = frames.position().saturating_sub(start);
            eliciting |= frame.is_ack_eliciting();
            self.handle_frame(now, level, frame, frame_len, dcid)?;
            if self.is_closing() {
                break;
            }
        }
        Ok(eliciting)
    }

    #[allow(clippy::too_many_lines)] // One arm per frame type.
    fn handle_frame(
        &mut self,
        now: Instant,
        level: Level,
        frame: Frame,
        frame_len: usize,
        dcid: &ConnectionId,
    ) -> Result<(), TransportError> {
        let space = level.space();
        match frame {
            // PATH_RESPONSE: no path validation of our own yet, so a response matches
            // nothing (RFC 9000 §8.2.2 makes acting on it optional).
            Frame::Padding { .. } | Frame::Ping | Frame::PathResponse(_) => {}
            Frame::Ack(ack) => {
                let delay = if space == Space::Data {
                    let exponent = self
                        .peer_params
                        .as_ref()
                        .map_or(3, |p| p.ack_delay_exponent);
                    let micros = ack
                        .delay
                        .checked_shl(u32::from(exponent))
                        .unwrap_or(u64::MAX);
                    Duration::from_micros(micros)
                } else {
                    Duration::ZERO
                };
                let mut acked = std::mem::take(&mut self.acked_scratch);
                let mut lost = std::mem::take(&mut self.lost_scratch);
                let result = self.recovery.on_ack_received(
                    space,
                    &ack,
                    delay,
                    now,
                    |p| acked.push(p),
                    |p| lost.push((space, p)),
                );
                for packet in acked.drain(..) {
                    self.on_packet_acked(space, packet);
                }
                for (space, packet) in lost.drain(..) {
                    self.on_packet_lost(space, &packet.frames);
                }
                self.acked_scratch = acked;
                self.lost_scratch = lost;
                result?;
            }
            Frame::Crypto(crypto) => {
                let sp = &mut self.spaces[space];
                let end = crypto.offset.saturating_add(crypto.data.len() as u64);
                let limit = sp
                    .crypto_recv
                    .bytes_read()
                    .saturating_add(self.config.max_crypto_buffer);
                if end > limit {
                    // RFC 9000 §7.5.
                    return Err(TransportError::new(
                        Code::CRYPTO_BUFFER_EXCEEDED,
                        "CRYPTO data beyond the buffer",
                    )
                    .in_frame(FrameType::CRYPTO.0));
                }
                sp.crypto_recv.set_limit(limit);
                sp.crypto_recv
                    .insert(crypto.offset, crypto.data, false)
                    .map_err(|e| {
                        TransportError::new(Code::CRYPTO_BUFFER_EXCEEDED, e.reason)
                            .in_frame(FrameType::CRYPTO.0)
                    })?;
                self.feed_tls(now)?;
            }
            Frame::NewToken(token) => {
                if self.side == Side::Server {
                    // RFC 9000 §19.7.
                    return Err(TransportError::protocol("NEW_TOKEN from a client")
                        .in_frame(FrameType::NEW_TOKEN.0));
                }
                self.events.push_back(Event::NewToken(token));
            }
            Frame::Stream(stream) => self.streams.on_stream(stream)?,
            Frame::ResetStream(reset) => self.streams.on_reset_stream(reset)?,
            Frame::StopSending {
                stream_id,
                error_code,
            } => self.streams.on_stop_sending(stream_id, error_code)?,
            Frame::MaxData(max) => self.streams.on_max_data(max),
            Frame::MaxStreamData { stream_id, max } => {
                self.streams.on_max_stream_data(stream_id, max)?;
            }
            Frame::MaxStreams { dir, max } => self.streams.on_max_streams(dir, max)?,
            Frame::DataBlocked(limit) => self.streams.on_data_blocked(limit),
            Frame::StreamDataBlocked { stream_id, limit } => {
                self.streams.on_stream_data_blocked(stream_id, limit)?;
            }
            Frame::StreamsBlocked { dir, limit } => self.streams.on_streams_blocked(dir, limit)?,
            Frame::NewConnectionId(new) => self.remote_cids.on_new_connection_id(&new)?,
            Frame::RetireConnectionId(sequence) => {
                self.local_cids.on_retire(sequence, dcid)?;
                if self.state == State::Established {
                    self.local_cids.issue(&mut *self.cid_gen, &mut *self.rng);
                }
            }
            Frame::PathChallenge(data) => self.path_response = Some(data),
            Frame::ConnectionClose(close) => {
                let reason = match close.frame_type {
                    Some(frame_type) => CloseReason::PeerTransport {
                        code: Code(close.error_code),
                        frame_type,
                        reason: close.reason,
                    },
                    None => CloseReason::PeerApplication {
                        code: close.error_code,
                        reason: close.reason,
                    },
                };
                self.start_draining(now, reason);
            }
            Frame::HandshakeDone => {
                if self.side == Side::Server {
                    // RFC 9000 §19.20.
                    return Err(TransportError::protocol("HANDSHAKE_DONE from a client")
                        .in_frame(FrameType::HANDSHAKE_DONE.0));
                }
                self.confirm_handshake(now);
            }
            Frame::Datagram(data) => self.datagrams.on_frame(data, frame_len).map(|()| {
                self.events.push_back(Event::DatagramReceived);
            })?,
            Frame::ResetStreamAt(_) => {
                // We do not advertise reset_stream_at (draft-ietf-quic-reliable-stream-reset §3).
                return Err(TransportError::protocol("RESET_STREAM_AT not negotiated")
                    .in_frame(FrameType::RESET_STREAM_AT.0));
            }
        }
        Ok(())
    }
}
