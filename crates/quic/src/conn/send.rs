//! Sending: choosing frames per space, coalescing packets into datagrams, padding,
//! protecting, batching (RFC 9000 §12.2, §13, §14.1, §8.1; RFC 9001 §5; RFC 9002 §7.7).

use std::time::Instant;

use super::space::{SentFrames, StreamsSent};
use super::{Connection, MIN_INITIAL_SIZE, State, Transmit, after};
use crate::crypto::protect_packet;
use crate::ecn::Ecn;
use crate::frame::{self, Frame};
use crate::packet::{HeaderWriter, LongHeaderFields, number};
use crate::recovery::SentPacket;
use crate::{Level, LongType, Side, Space};

/// The ACK delay exponent used in Initial and Handshake packets, before transport
/// parameters are known (RFC 9000 §18.2 default).
const HANDSHAKE_ACK_EXPONENT: u8 = 3;
/// The fewest bytes worth starting a packet for.
const MIN_PACKET_ROOM: usize = 8;

/// A packet written into the datagram buffer, not yet sealed.
struct Built {
    space: Space,
    hw: HeaderWriter,
    pn: u64,
    /// The end of the frames (the AEAD tag's room follows).
    frames_end: usize,
    tag_len: usize,
    sent: SentFrames,
    ack_eliciting: bool,
    padded: bool,
}

impl Connection {
    /// Writes the next datagram (or a batch of equal-sized ones) into `buf` (cleared
    /// first), or returns `None` when there is nothing to send now.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        buf.clear();
        match self.state {
            State::Closed | State::Draining { .. } => return None,
            State::Closing { .. } => return self.transmit_close(now, buf),
            State::Handshaking | State::Established => {}
        }
        let full = self.max_datagram_size;
        let mut segment: Option<usize> = None;
        let mut count = 0usize;
        let mut send_time = None;
        loop {
            let limit = segment.unwrap_or(full);
            let Some(size) = self.write_datagram(now, buf, limit, false) else {
                break;
            };
            count = count.saturating_add(1);
            // The batch leaves when its first datagram may (the pacer allows bursts).
            send_time.get_or_insert(self.pace_at.max(now));
            let seg = *segment.get_or_insert(size);
            if size < seg || size < full || count >= self.config.max_batch {
                break;
            }
        }
        if count == 0 {
            return None;
        }
        Some(Transmit {
            destination: self.remote,
            ecn: Ecn::NotEct,
            size: buf.len(),
            segment_size: segment.filter(|_| count > 1),
            send_time: send_time.unwrap_or(now),
        })
    }

    /// While closing: one datagram with `CONNECTION_CLOSE` in every usable space, each
    /// time a packet arrived (RFC 9000 §10.2.1, §10.2.3).
    fn transmit_close(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if !self.close_pending {
            return None;
        }
        self.close_pending = false;
        let size = self.write_datagram(now, buf, self.max_datagram_size, true)?;
        Some(Transmit {
            destination: self.remote,
            ecn: Ecn::NotEct,
            size,
            segment_size: None,
            send_time: now,
        })
    }

    /// Whether the congestion window and the pacer let ack-eliciting data go now (or
    /// within the pacing lookahead: then `pace_at` says when).
    fn data_allowed(&mut self, now: Instant) -> bool {
        self.pace_at = now;
        if self.recovery.congestion_available() == 0 {
            return false;
        }
        let at = self.recovery.send_time(now, self.max_datagram_size as u64);
        if at > after(now, self.config.pacing_lookahead) {
            self.pacing_until = Some(at);
            return false;
        }
        self.pace_at = at;
        true
    }

    /// Whether `space` has something to send now.
    fn space_wants(&self, space: Space, now: Instant, data_allowed: bool, closing: bool) -> bool {
        let sp = &self.spaces[space];
        if sp.discarded {
            return false;
        }
        let keys = match space {
            Space::Data => self.one_rtt.is_some(),
            _ => sp.keys.is_some(),
        };
        if !keys {
            return false;
        }
        if closing {
            // RFC 10.2.3: before confirmation, close in every level the peer may read.
            return space == Space::Data || !self.handshake_confirmed;
        }
        let send_data = data_allowed || sp.probes > 0;
        if sp.received.ack_needed(now) || sp.probes > 0 {
            return true;
        }
        if send_data && sp.crypto_send.has_pending() {
            return true;
        }
        if space != Space::Data {
            return false;
        }
        self.handshake_done_pending
            || self.new_token_pending
            || self.path_response.is_some()
            || self.ping_pending
            || self.local_cids.has_pending()
            || self.remote_cids.has_pending()
            || self.streams.has_pending_control()
            || (send_data && (self.streams.has_pending() || self.datagrams.has_pending()))
    }

    /// Builds one datagram of at most `limit` bytes at the end of `buf`; returns its size.
    fn write_datagram(
        &mut self,
        now: Instant,
        buf: &mut Vec<u8>,
        limit: usize,
        closing: bool,
    ) -> Option<usize> {
        let start = buf.len();
        let mut limit = limit;
        if self.side == Side::Server && !self.address_validated {
            // RFC 9000 §8.1: at most three times what was received.
            let budget = self
                .bytes_received
                .saturating_mul(3)
                .saturating_sub(self.bytes_sent);
            limit = limit.min(usize::try_from(budget).unwrap_or(usize::MAX));
        }
        if limit < MIN_PACKET_ROOM.saturating_add(64) {
            return None;
        }
        let data_allowed = !closing && self.data_allowed(now);
        let end = start.saturating_add(limit);
        let mut built: [Option<Built>; 3] = [None, None, None];
        let mut pad = false;
        for space in Space::ALL {
            if !self.space_wants(space, now, data_allowed, closing) {
                continue;
            }
            let Some(b) = self.build_packet(now, space, buf, end, data_allowed, closing) else {
                continue;
            };
            if space == Space::Initial && (self.side == Side::Client || b.ack_eliciting) {
                // RFC 9000 §14.1: datagrams with a client's Initial, or a server's
                // ack-eliciting Initial, are at least 1200 bytes.
                pad = true;
            }
            match space {
                Space::Initial => built[0] = Some(b),
                Space::Handshake => built[1] = Some(b),
                Space::Data => built[2] = Some(b),
            }
        }
        let last = built.iter_mut().rev().find_map(Option::as_mut)?;
        if pad {
            let target = start.saturating_add(MIN_INITIAL_SIZE.min(limit));
            if buf.len() < target {
                let extra = target.saturating_sub(buf.len());
                buf.truncate(last.frames_end);
                last.frames_end = last.frames_end.saturating_add(extra);
                buf.resize(last.frames_end.saturating_add(last.tag_len), 0);
                last.padded = true;
            }
        }
        let mut sent_handshake = false;
        for b in built.into_iter().flatten() {
            sent_handshake |= b.space == Space::Handshake;
            self.seal(now, buf, b);
        }
        let size = buf.len().saturating_sub(start);
        self.bytes_sent = self.bytes_sent.saturating_add(size as u64);
        if self.side == Side::Client && sent_handshake {
            // RFC 9001 §4.9.1.
            self.discard_space(Space::Initial);
        }
        Some(size)
    }

    /// Fills in the Length, seals and protects a built packet, and records it.
    fn seal(&mut self, now: Instant, buf: &mut [u8], b: Built) {
        let payload_len = b
            .frames_end
            .saturating_sub(b.hw.payload_offset())
            .saturating_add(b.tag_len);
        let packet_end = b.frames_end.saturating_add(b.tag_len);
        if b.hw.finish(buf, payload_len).is_err() {
            return;
        }
        let start = b.hw.start();
        let Some(packet) = buf.get_mut(start..packet_end) else {
            return;
        };
        let pn_offset = b.hw.pn_offset().saturating_sub(start);
        let sealed = match b.space {
            Space::Data => self.one_rtt.as_ref().map(|k| {
                protect_packet(
                    k.local_header(),
                    k.seal_key(),
                    b.pn,
                    packet,
                    pn_offset,
                    false,
                )
            }),
            _ => self.spaces[b.space].keys.as_ref().map(|k| {
                protect_packet(
                    &k.local.header,
                    &k.local.packet,
                    b.pn,
                    packet,
                    pn_offset,
                    true,
                )
            }),
        };
        if !matches!(sealed, Some(Ok(()))) {
            return;
        }
        if b.ack_eliciting {
            self.last_eliciting_sent = Some(now);
            if !self.sent_eliciting_since_recv {
                // RFC 9000 §10.1: the first ack-eliciting packet after receiving
                // restarts the idle timer.
                self.sent_eliciting_since_recv = true;
                self.restart_idle_timer(now);
            }
        }
        let size = packet_end.saturating_sub(start) as u64;
        let record = SentPacket {
            pn: b.pn,
            time_sent: now,
            size,
            ack_eliciting: b.ack_eliciting,
            in_flight: b.ack_eliciting || b.padded,
            frames: b.sent,
        };
        if !self.is_closing() {
            self.recovery.on_packet_sent(b.space, record, now);
        }
    }

    /// Writes one packet's header and frames (unsealed, tag room reserved).
    #[allow(clippy::too_many_lines)]
    fn build_packet(
        &mut self,
        now: Instant,
        space: Space,
        buf: &mut Vec<u8>,
        end: usize,
        data_allowed: bool,
        closing: bool,
    ) -> Option<Built> {
        let (level, tag_len, phase) = if space == Space::Data {
            let keys = self.one_rtt.as_ref()?;
            (Level::OneRtt, keys.seal_key().tag_len(), keys.phase())
        } else {
            let keys = self.spaces[space].keys.as_ref()?;
            let level = if space == Space::Initial {
                Level::Initial
            } else {
                Level::Handshake
            };
            (level, keys.local.packet.tag_len(), false)
        };
        let pn = self.spaces[space].next_pn;
        let pn_len = number::encode_len(pn, self.recovery.largest_acked(space));
        let header_start = buf.len();
        let dcid = *self.remote_cids.current();
        let hw = if level == Level::OneRtt {
            HeaderWriter::short(buf, &dcid, false, phase, pn, pn_len)
        } else {
            {
                let ty = if level == Level::Initial {
                    LongType::Initial
                } else {
                    LongType::Handshake
                };
                let token: &[u8] = if level == Level::Initial && self.side == Side::Client {
                    &self.token
                } else {
                    &[]
                };
                let fields = LongHeaderFields {
                    version: self.version,
                    ty,
                    dcid: &dcid,
                    scid: &self.initial_scid,
                    token,
                };
                HeaderWriter::long(buf, &fields, pn, pn_len)
            }
        };
        let Ok(hw) = hw else {
            buf.truncate(header_start);
            return None;
        };
        let frames_start = buf.len();
        let room_end = end.saturating_sub(tag_len);
        if room_end < frames_start.saturating_add(MIN_PACKET_ROOM) {
            buf.truncate(header_start);
            return None;
        }
        let room = |buf: &Vec<u8>| room_end.saturating_sub(buf.len());
        let mut sent = SentFrames::default();
        self.sent_streams.clear();
        let mut eliciting = false;

        if closing {
            if let Some(close) = self.close_frame.clone() {
                let frame = Frame::ConnectionClose(close.for_level(level));
                if frame.encoded_len() <= room(buf) {
                    let _ = frame.write(buf);
                } else {
                    // Truncate the reason rather than send nothing.
                    let Frame::ConnectionClose(mut c) = frame else {
                        return None;
                    };
                    c.reason = bytes::Bytes::new();
                    let _ = Frame::ConnectionClose(c).write(buf);
                }
            }
        } else {
            let sp = &mut self.spaces[space];
            if sp.received.has_new() || sp.received.ack_needed(now) {
                let exponent = if space == Space::Data {
                    self.config.ack_delay_exponent
                } else {
                    HANDSHAKE_ACK_EXPONENT
                };
                if let Some(ack) = sp.received.ack_frame(now, exponent, room(buf)) {
                    let largest = ack.largest;
                    if Frame::Ack(ack).write(buf).is_ok() {
                        sent.ack_largest = Some(largest);
                        sp.received.on_ack_sent();
                    }
                }
            }
            let probing = sp.probes > 0;
            let send_data = data_allowed || probing;
            if space == Space::Data {
                eliciting |= self.write_data_control(now, buf, room_end, &mut sent);
            }
            if send_data {
                let sp = &mut self.spaces[space];
                while sp.crypto_send.has_pending() {
                    let avail = room(buf);
                    // Type, an offset of up to 8 bytes, a length of up to 4.
                    let max = avail.saturating_sub(13);
                    if max == 0 {
                        break;
                    }
                    let Some(chunk) = sp.crypto_send.poll_chunk(max) else {
                        break;
                    };
                    let len = chunk.data.len() as u64;
                    if frame::write_crypto(buf, avail, chunk.offset, &chunk.data).is_some() {
                        sent.crypto.push((chunk.offset, len));
                        eliciting = true;
                    } else {
                        sp.crypto_send.on_lost(chunk.offset, len, false);
                        break;
                    }
                }
                if space == Space::Data {
                    let max_payload = self.max_packet_payload();
                    let (_, count) = self.datagrams.write(buf, room(buf), max_payload);
                    eliciting |= count > 0;
                    let n =
                        self.streams
                            .write_stream_frames(buf, room(buf), &mut self.sent_streams);
                    eliciting |= n > 0;
                }
            }
            let sp = &mut self.spaces[space];
            if sp.probes > 0 && !eliciting && room(buf) >= 1 {
                // RFC 9002 §6.2.4: a probe must be ack-eliciting.
                let _ = Frame::Ping.write(buf);
                eliciting = true;
            }
            if eliciting {
                sp.probes = sp.probes.saturating_sub(1);
            }
        }
        if buf.len() == frames_start {
            buf.truncate(header_start);
            return None;
        }
        // RFC 9001 §5.4.2: enough bytes after the packet number for the sample.
        let payload = buf
            .len()
            .saturating_sub(frames_start)
            .saturating_add(tag_len);
        let mut padded = false;
        if payload < hw.min_payload_len() {
            let extra = hw.min_payload_len().saturating_sub(payload);
            buf.resize(buf.len().saturating_add(extra), 0);
            padded = true;
        }
        let frames_end = buf.len();
        buf.resize(frames_end.saturating_add(tag_len), 0);
        sent.streams = StreamsSent::take(&mut self.sent_streams);
        let sp = &mut self.spaces[space];
        sp.next_pn = sp.next_pn.saturating_add(1);
        Some(Built {
            space,
            hw,
            pn,
            frames_end,
            tag_len,
            sent,
            ack_eliciting: eliciting,
            padded,
        })
    }

    /// The 1-RTT control frames: `HANDSHAKE_DONE`, `PATH_RESPONSE`, PING, stream and
    /// connection-ID frames. Returns whether any was written (all are ack-eliciting).
    fn write_data_control(
        &mut self,
        now: Instant,
        buf: &mut Vec<u8>,
        room_end: usize,
        sent: &mut SentFrames,
    ) -> bool {
        let room = |buf: &Vec<u8>| room_end.saturating_sub(buf.len());
        let mut wrote = false;
        if self.handshake_done_pending && room(buf) >= 1 {
            let _ = Frame::HandshakeDone.write(buf);
            self.handshake_done_pending = false;
            sent.handshake_done = true;
            wrote = true;
        }
        if self.new_token_pending
            && let Some(token) = &self.new_token
        {
            let frame = Frame::NewToken(token.clone());
            if frame.encoded_len() <= room(buf) {
                let _ = frame.write(buf);
                self.new_token_pending = false;
                sent.new_token = true;
                wrote = true;
            }
        }
        if let Some(data) = self.path_response
            && room(buf) >= 9
        {
            let _ = Frame::PathResponse(data).write(buf);
            self.path_response = None;
            wrote = true;
        }
        if self.ping_pending && room(buf) >= 1 {
            let _ = Frame::Ping.write(buf);
            self.ping_pending = false;
            wrote = true;
        }
        let rtt = self.recovery.rtt().smoothed();
        let r = room(buf);
        wrote |= self
            .streams
            .write_control(buf, r, now, rtt, &mut self.sent_streams)
            > 0;
        let r = room(buf);
        wrote |= self.local_cids.write_frames(buf, r, &mut sent.local_cids) > 0;
        let r = room(buf);
        wrote |= self.remote_cids.write_frames(buf, r, &mut sent.remote_cids) > 0;
        wrote
    }
}
