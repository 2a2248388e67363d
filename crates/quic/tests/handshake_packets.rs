//! Full TLS 1.3 handshakes in memory with real QUIC packets: CRYPTO bytes move between a
//! client and a server per level inside Initial, Handshake and 1-RTT packets that are
//! built with `packet::HeaderWriter`, written with the `frame` writers, protected with
//! `crypto::protect_packet`, and on the other side split out of their datagram
//! (`packet::split`), unprotected, their packet number recovered (`packet::number`),
//! opened, their Reserved Bits checked and their frames parsed with the level's
//! permissions (`frame::parse`). Transport parameters are real `TransportParameters`,
//! checked against the connection IDs the handshake saw (RFC 9000 §7.3).
//!
//! No loss and no acknowledgments: this is the wire path of a handshake, not a
//! connection (recovery belongs to the connection state machine).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::collections::{BTreeMap, VecDeque};
mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{Certs, certs};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use stator_quic::crypto::{
    HeaderKey, Keys, LevelKeys, OneRttKeys, PacketKey, TlsEvent, TlsSession, initial_keys,
    open_packet, protect_packet, remove_header_protection,
};
use stator_quic::frame::{self, Frame, Stream};
use stator_quic::packet::{self, FirstByte, Header, HeaderWriter, LongHeaderFields, PnLen, number};
use stator_quic::transport_params::HandshakeCids;
use stator_quic::{
    Code, ConnectionId, ConnectionIdGenerator, Level, LongType, RandomConnectionIds, ResetKey,
    Side, Space, TransportError, TransportParameters, Version,
};
use stator_wire::rand::SeededRandom;

/// The datagram size both sides send at most, and the size datagrams carrying
/// ack-eliciting Initial packets are padded to (RFC 9000 §14.1).
const DATAGRAM: usize = 1200;
/// The server's static stateless-reset key.
const RESET_SECRET: &[u8] = b"stateless reset key of the test server";

fn server_config(certs: &Certs, chacha_only: bool) -> Arc<ServerConfig> {
    Arc::new(common::server_config(certs, &[b"h3"], chacha_only))
}

fn client_config(certs: &Certs, chacha_only: bool) -> Arc<ClientConfig> {
    Arc::new(common::client_config(certs, chacha_only))
}

/// The index of a packet number space in the per-space arrays.
fn space(level: Level) -> usize {
    match level.space() {
        Space::Initial => 0,
        Space::Handshake => 1,
        Space::Data => 2,
    }
}

fn long_type(level: Level) -> LongType {
    match level {
        Level::Initial => LongType::Initial,
        Level::ZeroRtt => LongType::ZeroRtt,
        Level::Handshake => LongType::Handshake,
        Level::OneRtt => unreachable!("1-RTT packets have a short header"),
    }
}

fn level_of(ty: LongType) -> Level {
    match ty {
        LongType::Initial => Level::Initial,
        LongType::ZeroRtt => Level::ZeroRtt,
        LongType::Handshake => Level::Handshake,
        LongType::Retry => unreachable!("no Retry in these tests"),
    }
}

/// What a receiver saw of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    level: Level,
    pn: u64,
    pn_len: PnLen,
    key_phase: bool,
}

/// One endpoint: its TLS session, its keys per level and the per-space state a
/// connection keeps for the handshake.
struct Endpoint {
    side: Side,
    version: Version,
    tls: TlsSession,
    /// The connection ID this endpoint chose (the peer's Destination Connection ID).
    local_cid: ConnectionId,
    /// The Destination Connection ID this endpoint sends to.
    remote_cid: ConnectionId,
    /// The Destination Connection ID of the client's first Initial.
    original_dcid: ConnectionId,
    /// The Source Connection ID of the peer's first Initial (RFC 9000 §7.3).
    peer_initial_scid: Option<ConnectionId>,
    initial: Option<Keys>,
    handshake: Option<Keys>,
    one_rtt: Option<OneRttKeys>,
    /// Per space: the next packet number to send and the largest received.
    next_pn: [u64; 3],
    /// Per space: the largest packet number the peer acknowledged (set by the tests as
    /// an oracle; no ACK frames here), which sizes the packet number (RFC 9000 §17.1).
    largest_acked: [Option<u64>; 3],
    largest: [Option<u64>; 3],
    /// Per space (Initial, Handshake, 1-RTT): CRYPTO bytes not yet framed and the offset
    /// of the first of them.
    crypto_out: [Vec<u8>; 3],
    crypto_sent: [u64; 3],
    /// Per space: CRYPTO frames received ahead of the next offset TLS needs, and that
    /// offset.
    crypto_in: [BTreeMap<u64, Bytes>; 3],
    crypto_read: [u64; 3],
    /// Packets that arrived before their keys (RFC 9001 §5.7: buffered, not dropped).
    deferred: Vec<Vec<u8>>,
    /// The most frame bytes one packet carries (small to split flights across packets).
    max_payload: usize,
    /// How many packets were deferred, and how many CRYPTO frames arrived ahead of the
    /// offset TLS needed.
    deferred_count: usize,
    crypto_held: usize,
    /// Bits set in each first byte before protection (to send a misbehaving packet).
    first_byte_extra: u8,
    handshake_done_pending: bool,
    streams_out: VecDeque<Frame>,
    complete: bool,
    confirmed: bool,
    peer_params: Option<TransportParameters>,
    /// What was received: the packets, the levels of each datagram, the STREAM frames.
    seen: Vec<Seen>,
    datagrams_in: Vec<Vec<Level>>,
    streams_in: Vec<Stream>,
}

impl Endpoint {
    fn new(
        side: Side,
        version: Version,
        tls: TlsSession,
        local_cid: ConnectionId,
        remote_cid: ConnectionId,
        original_dcid: ConnectionId,
    ) -> Endpoint {
        Endpoint {
            side,
            version,
            tls,
            local_cid,
            remote_cid,
            original_dcid,
            peer_initial_scid: None,
            initial: Some(initial_keys(version, &original_dcid, side).unwrap()),
            handshake: None,
            one_rtt: None,
            next_pn: [0; 3],
            largest_acked: [None; 3],
            largest: [None; 3],
            crypto_out: Default::default(),
            crypto_sent: [0; 3],
            crypto_in: Default::default(),
            crypto_read: [0; 3],
            deferred: Vec::new(),
            max_payload: DATAGRAM,
            deferred_count: 0,
            crypto_held: 0,
            first_byte_extra: 0,
            handshake_done_pending: false,
            streams_out: VecDeque::new(),
            complete: false,
            confirmed: false,
            peer_params: None,
            seen: Vec::new(),
            datagrams_in: Vec::new(),
            streams_in: Vec::new(),
        }
    }

    /// A client that picked a random 8-byte Destination Connection ID and its own
    /// Source Connection ID; its `ClientHello` is queued at once.
    fn client(config: Arc<ClientConfig>, version: Version, rng: &mut SeededRandom) -> Endpoint {
        let mut ids = RandomConnectionIds::default();
        let scid = ids.generate(rng);
        // RFC 9000 §7.2: at least 8 unpredictable bytes.
        let dcid = ConnectionId::random(rng, 8);
        let params = TransportParameters {
            initial_source_connection_id: Some(scid),
            max_idle_timeout: 30_000,
            initial_max_data: 1 << 20,
            initial_max_stream_data_bidi_local: 1 << 18,
            initial_max_stream_data_bidi_remote: 1 << 18,
            initial_max_streams_bidi: 100,
            max_datagram_frame_size: Some(1200),
            ..TransportParameters::default()
        };
        params.validate(Side::Client).unwrap();
        let tls = TlsSession::client(
            config,
            version,
            ServerName::try_from("localhost").unwrap(),
            vec![b"h3".to_vec()],
            params.to_bytes().unwrap(),
        )
        .unwrap();
        let mut client = Endpoint::new(Side::Client, version, tls, scid, dcid, dcid);
        client.process_events().unwrap();
        client
    }

    /// A server accepting the client's first datagram: the version, the original
    /// Destination Connection ID and the client's Source Connection ID come from the
    /// first Initial's header, its own ID from its generator, and its transport
    /// parameters repeat them (RFC 9000 §7.3).
    fn accept(
        config: Arc<ServerConfig>,
        datagram: &[u8],
        rng: &mut SeededRandom,
        max_payload: usize,
    ) -> Result<Endpoint, TransportError> {
        let first = packet::split(datagram, 8).next().unwrap().unwrap();
        let Header::Long(h) = first.header else {
            panic!("not a long header")
        };
        assert_eq!(h.ty, LongType::Initial);
        assert!(h.token.is_empty());
        let original_dcid = ConnectionId::new(h.dcid).unwrap();
        let client_scid = ConnectionId::new(h.scid).unwrap();
        let mut ids = RandomConnectionIds::default();
        let scid = ids.generate(rng);
        let params = TransportParameters {
            original_destination_connection_id: Some(original_dcid),
            initial_source_connection_id: Some(scid),
            stateless_reset_token: Some(ResetKey::new(RESET_SECRET).token(&scid)),
            max_idle_timeout: 30_000,
            initial_max_data: 1 << 20,
            initial_max_stream_data_bidi_remote: 1 << 18,
            initial_max_streams_bidi: 100,
            initial_max_streams_uni: 3,
            initial_max_stream_data_uni: 1 << 16,
            active_connection_id_limit: 4,
            ..TransportParameters::default()
        };
        params.validate(Side::Server).unwrap();
        let tls = TlsSession::server(config, h.version, params.to_bytes().unwrap()).unwrap();
        let mut server = Endpoint::new(
            Side::Server,
            h.version,
            tls,
            scid,
            client_scid,
            original_dcid,
        );
        server.peer_initial_scid = Some(client_scid);
        server.max_payload = max_payload;
        server.receive(datagram)?;
        Ok(server)
    }

    fn peer(&self) -> Side {
        match self.side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// Acts on the session's events: keys are installed at once, CRYPTO bytes queued at
    /// their level, and on completion the peer's transport parameters are decoded and
    /// checked.
    fn process_events(&mut self) -> Result<(), TransportError> {
        while let Some(event) = self.tls.poll_event() {
            match event {
                TlsEvent::Keys(LevelKeys::ZeroRtt(_)) => panic!("no 0-RTT here"),
                TlsEvent::Keys(LevelKeys::Handshake(keys)) => self.handshake = Some(keys),
                TlsEvent::Keys(LevelKeys::OneRtt(keys)) => self.one_rtt = Some(*keys),
                TlsEvent::Crypto { level, data } => {
                    self.crypto_out[space(level)].extend_from_slice(&data);
                }
                TlsEvent::HandshakeComplete => {
                    self.complete = true;
                    let peer = self.peer();
                    let bytes = self.tls.peer_transport_parameters().unwrap();
                    let params = TransportParameters::decode(bytes, peer)?;
                    params.check_cids(
                        peer,
                        &HandshakeCids {
                            initial_source: self.peer_initial_scid.unwrap(),
                            original_destination: self.original_dcid,
                            retry_source: None,
                        },
                    )?;
                    self.peer_params = Some(params);
                    if self.side == Side::Server {
                        // RFC 9001 §4.1.2: the server's handshake is confirmed now; it
                        // tells the client with HANDSHAKE_DONE (RFC 9000 §19.20) and
                        // discards its Handshake keys (RFC 9001 §4.9.2).
                        self.confirmed = true;
                        self.handshake_done_pending = true;
                        self.handshake = None;
                    }
                }
            }
        }
        Ok(())
    }

    /// Queues application data on a stream, sent in the next 1-RTT packet.
    fn send_stream(&mut self, stream_id: u64, data: &'static [u8], fin: bool) {
        self.streams_out.push_back(Frame::Stream(Stream {
            stream_id,
            offset: 0,
            data: Bytes::from_static(data),
            fin,
        }));
    }

    fn has_data(&self, level: Level) -> bool {
        !self.crypto_out[space(level)].is_empty()
            || (level == Level::OneRtt
                && (self.handshake_done_pending || !self.streams_out.is_empty()))
    }

    /// The most header and tag bytes a packet at `level` takes (4-byte packet number).
    fn overhead(&self, level: Level) -> usize {
        let header = match level {
            // First byte, version, two length-prefixed IDs, (token length), Length,
            // packet number.
            Level::Initial => 1 + 4 + 2 + 16 + 1 + 2 + 4,
            Level::ZeroRtt | Level::Handshake => 1 + 4 + 2 + 16 + 2 + 4,
            Level::OneRtt => 1 + self.remote_cid.len() + 4,
        };
        header + 16
    }

    /// The frames of the next packet at `level`, at most `room` bytes.
    fn next_payload(&mut self, level: Level, room: usize) -> Vec<u8> {
        let mut payload = Vec::new();
        let s = space(level);
        if level == Level::OneRtt && self.handshake_done_pending {
            Frame::HandshakeDone.write(&mut payload).unwrap();
            self.handshake_done_pending = false;
        }
        while !self.crypto_out[s].is_empty() {
            let left = room.saturating_sub(payload.len());
            let Some(w) =
                frame::write_crypto(&mut payload, left, self.crypto_sent[s], &self.crypto_out[s])
            else {
                break;
            };
            self.crypto_out[s].drain(..w.taken);
            self.crypto_sent[s] += w.taken as u64;
        }
        if level == Level::OneRtt {
            while let Some(f) = self.streams_out.front() {
                if f.encoded_len() > room.saturating_sub(payload.len()) {
                    break;
                }
                f.write(&mut payload).unwrap();
                self.streams_out.pop_front();
            }
        }
        payload
    }

    /// Everything queued, as datagrams: packets of increasing level, coalesced while they
    /// fit (RFC 9000 §12.2).
    fn flush(&mut self) -> Vec<Vec<u8>> {
        let mut planned: Vec<Vec<(Level, Vec<u8>)>> = Vec::new();
        let mut current = Vec::new();
        let mut used = 0;
        for level in [Level::Initial, Level::Handshake, Level::OneRtt] {
            while self.has_data(level) {
                let overhead = self.overhead(level);
                if DATAGRAM - used < overhead + 64 {
                    planned.push(std::mem::take(&mut current));
                    used = 0;
                }
                let room = (DATAGRAM - used - overhead).min(self.max_payload);
                let payload = self.next_payload(level, room);
                assert!(!payload.is_empty(), "nothing fitted a fresh packet");
                used += overhead + payload.len();
                current.push((level, payload));
                if self.has_data(level) {
                    // The rest of this level goes in the next datagram.
                    planned.push(std::mem::take(&mut current));
                    used = 0;
                }
            }
        }
        if !current.is_empty() {
            planned.push(current);
        }
        planned.into_iter().map(|d| self.seal_datagram(d)).collect()
    }

    fn send_keys(&self, level: Level) -> (&HeaderKey, &PacketKey) {
        match level {
            Level::Initial => {
                let k = &self.initial.as_ref().expect("Initial keys").local;
                (&k.header, &k.packet)
            }
            Level::Handshake => {
                let k = &self.handshake.as_ref().expect("Handshake keys").local;
                (&k.header, &k.packet)
            }
            Level::OneRtt => {
                let k = self.one_rtt.as_ref().expect("1-RTT keys");
                (k.local_header(), k.seal_key())
            }
            Level::ZeroRtt => unreachable!(),
        }
    }

    /// Builds and protects the packets of one datagram. A datagram that carries an
    /// Initial packet (every one here is ack-eliciting) is padded to 1200 bytes with
    /// PADDING in its last packet, by the client and by the server (RFC 9000 §14.1);
    /// every packet is long enough for the header-protection sample (RFC 9001 §5.4.2).
    fn seal_datagram(&mut self, packets: Vec<(Level, Vec<u8>)>) -> Vec<u8> {
        let pad_to = if packets.iter().any(|p| p.0 == Level::Initial) {
            DATAGRAM
        } else {
            0
        };
        let count = packets.len();
        let mut datagram = Vec::new();
        let mut sent_handshake = false;
        for (i, (level, mut payload)) in packets.into_iter().enumerate() {
            let s = space(level);
            let pn = self.next_pn[s];
            self.next_pn[s] += 1;
            let pn_len = number::encode_len(pn, self.largest_acked[s]);
            let start = datagram.len();
            let writer = match level {
                Level::OneRtt => {
                    let phase = self.one_rtt.as_ref().unwrap().phase();
                    HeaderWriter::short(&mut datagram, &self.remote_cid, false, phase, pn, pn_len)
                }
                _ => HeaderWriter::long(
                    &mut datagram,
                    &LongHeaderFields {
                        version: self.version,
                        ty: long_type(level),
                        dcid: &self.remote_cid,
                        scid: &self.local_cid,
                        token: &[],
                    },
                    pn,
                    pn_len,
                ),
            }
            .unwrap();
            let (header_key, packet_key) = self.send_keys(level);
            let tag = packet_key.tag_len();
            let mut want = writer.min_payload_len().saturating_sub(tag);
            if i + 1 == count {
                want = want.max(pad_to.saturating_sub(datagram.len() + tag));
            }
            if payload.len() < want {
                payload.resize(want, 0); // PADDING frames (RFC 9000 §19.1)
            }
            datagram[start] |= self.first_byte_extra;
            datagram.extend_from_slice(&payload);
            datagram.resize(datagram.len() + tag, 0);
            writer.finish(&mut datagram, payload.len() + tag).unwrap();
            protect_packet(
                header_key,
                packet_key,
                pn,
                &mut datagram[start..],
                writer.pn_offset() - start,
                level != Level::OneRtt,
            )
            .unwrap();
            sent_handshake |= level == Level::Handshake;
        }
        if pad_to > 0 {
            assert_eq!(datagram.len(), DATAGRAM);
        }
        assert!(datagram.len() <= DATAGRAM);
        if sent_handshake && self.side == Side::Client {
            // RFC 9001 §4.9.1: a client discards its Initial keys when it first sends a
            // Handshake packet.
            self.initial = None;
        }
        datagram
    }

    /// Receives one datagram: each coalesced packet in turn, packets whose keys are not
    /// there yet deferred until they are.
    fn receive(&mut self, datagram: &[u8]) -> Result<(), TransportError> {
        let mut levels = Vec::new();
        let mut packets = Vec::new();
        for p in packet::split(datagram, self.local_cid.len()) {
            let p = p.expect("a well-formed packet");
            levels.push(match p.header {
                Header::Long(h) => level_of(h.ty),
                Header::Short(_) => Level::OneRtt,
                other => panic!("unexpected packet {other:?}"),
            });
            packets.push(p.bytes.to_vec());
        }
        assert_eq!(levels.len(), packets.len());
        if levels.contains(&Level::Initial) {
            // RFC 9000 §14.1: a server discards Initials in smaller datagrams.
            assert!(datagram.len() >= DATAGRAM, "Initial in a short datagram");
        }
        self.datagrams_in.push(levels);
        for packet in packets {
            if !self.receive_packet(&packet)? {
                self.deferred_count += 1;
                self.deferred.push(packet);
            }
        }
        // Retry deferred packets while any of them makes progress (new keys).
        loop {
            let mut progress = false;
            for packet in std::mem::take(&mut self.deferred) {
                if self.receive_packet(&packet)? {
                    progress = true;
                } else {
                    self.deferred.push(packet);
                }
            }
            if !progress {
                return Ok(());
            }
        }
    }

    /// Unprotects and processes one packet; `false` when its keys are not there yet.
    fn receive_packet(&mut self, bytes: &[u8]) -> Result<bool, TransportError> {
        let header = Header::parse(bytes, self.local_cid.len()).unwrap();
        let (level, pn_offset, long, dcid, scid) = match &header {
            Header::Long(h) => {
                assert_eq!(h.version, self.version);
                assert_eq!(h.len, bytes.len());
                (level_of(h.ty), h.pn_offset, true, h.dcid, Some(h.scid))
            }
            Header::Short(h) => (Level::OneRtt, h.pn_offset, false, h.dcid, None),
            other => panic!("unexpected packet {other:?}"),
        };
        // The client's Initials go to its chosen ID until it learns the server's
        // (RFC 9000 §7.2); everything else to the ID this endpoint chose.
        let to_original = self.side == Side::Server
            && level == Level::Initial
            && dcid == self.original_dcid.as_bytes();
        assert!(
            dcid == self.local_cid.as_bytes() || to_original,
            "wrong DCID"
        );
        let scid = scid.map(|s| ConnectionId::new(s).unwrap());
        let header_key = match level {
            Level::Initial => self.initial.as_ref().map(|k| &k.remote.header),
            Level::Handshake => self.handshake.as_ref().map(|k| &k.remote.header),
            Level::OneRtt => self.one_rtt.as_ref().map(OneRttKeys::remote_header),
            Level::ZeroRtt => None,
        };
        let Some(header_key) = header_key else {
            return Ok(false);
        };

        let mut packet = bytes.to_vec();
        let unprotected = remove_header_protection(header_key, &mut packet, pn_offset, long)
            .expect("header protection removed");
        let first = FirstByte::parse(unprotected.first_byte);
        assert_eq!(first.pn_len.get(), unprotected.pn_len);
        let s = space(level);
        let pn = number::decode(unprotected.truncated_pn, first.pn_len, self.largest[s]);
        let header_len = pn_offset + first.pn_len.get();
        let mut update = false;
        let packet_key = match level {
            Level::Initial => &self.initial.as_ref().unwrap().remote.packet,
            Level::Handshake => &self.handshake.as_ref().unwrap().remote.packet,
            Level::OneRtt => {
                let keys = self.one_rtt.as_ref().unwrap();
                // RFC 9001 §6.2: the other key phase, on a packet newer than any of the
                // current phase, is the peer's key update.
                update = first.key_phase != keys.phase();
                keys.open_key(first.key_phase)
            }
            Level::ZeroRtt => unreachable!(),
        };
        let len = open_packet(packet_key, pn, &mut packet, header_len).expect("packet opens");
        if update {
            self.one_rtt.as_mut().unwrap().update();
        }
        // RFC 9000 §17.2, §17.3.1: Reserved Bits checked once the packet opened.
        first.check_reserved()?;
        self.largest[s] = Some(self.largest[s].map_or(pn, |l| l.max(pn)));
        self.seen.push(Seen {
            level,
            pn,
            pn_len: first.pn_len,
            key_phase: first.key_phase,
        });
        if self.side == Side::Client && level == Level::Initial && self.peer_initial_scid.is_none()
        {
            // RFC 9000 §7.2: the client switches to the server's chosen ID.
            let scid = scid.unwrap();
            self.peer_initial_scid = Some(scid);
            self.remote_cid = scid;
        }
        if self.side == Side::Server && level == Level::Handshake {
            // RFC 9001 §4.9.1: a server discards its Initial keys when it first
            // processes a Handshake packet.
            self.initial = None;
        }

        let payload = Bytes::copy_from_slice(&packet[header_len..header_len + len]);
        for frame in frame::parse(payload, level) {
            match frame? {
                Frame::Padding { .. } | Frame::Ping => {}
                Frame::Crypto(c) => {
                    if c.offset > self.crypto_read[s] {
                        self.crypto_held += 1;
                    }
                    self.crypto_in[s].insert(c.offset, c.data);
                    self.read_crypto(level)?;
                }
                Frame::HandshakeDone => {
                    assert_eq!(self.side, Side::Client, "HANDSHAKE_DONE from a client");
                    // RFC 9001 §4.1.2: confirmed; §4.9.2: Handshake keys discarded.
                    self.confirmed = true;
                    self.handshake = None;
                }
                Frame::Stream(stream) => self.streams_in.push(stream),
                other => panic!("unexpected frame {other:?}"),
            }
        }
        Ok(true)
    }

    /// Feeds TLS the CRYPTO bytes of `level` that are contiguous from what it has read.
    fn read_crypto(&mut self, level: Level) -> Result<(), TransportError> {
        let s = space(level);
        while let Some(entry) = self.crypto_in[s].first_entry() {
            let start = *entry.key();
            let read = self.crypto_read[s];
            if start > read {
                break;
            }
            let data = entry.remove();
            let end = start + data.len() as u64;
            if end <= read {
                continue; // a repeat of what was read
            }
            let fresh = &data[(read - start) as usize..];
            self.tls.read_crypto(level, fresh)?;
            self.crypto_read[s] = end;
            self.process_events()?;
        }
        Ok(())
    }
}

/// How datagrams travel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Path {
    InOrder,
    /// Each flight's datagrams delivered last first.
    Reversed,
}

fn deliver(to: &mut Endpoint, mut datagrams: Vec<Vec<u8>>, path: Path) {
    if path == Path::Reversed {
        datagrams.reverse();
    }
    for d in datagrams {
        to.receive(&d).unwrap();
    }
}

/// What a handshake produced, for the assertions.
struct Run {
    client: Endpoint,
    server: Endpoint,
    /// The datagrams of each flight, by sender.
    client_flights: Vec<Vec<Vec<u8>>>,
    server_flights: Vec<Vec<Vec<u8>>>,
}

fn handshake(version: Version, chacha_only: bool, path: Path, seed: u64) -> Run {
    // Reordering needs flights of several datagrams: small packets split them.
    let max_payload = match path {
        Path::InOrder => DATAGRAM,
        Path::Reversed => 200,
    };
    let certs = certs();
    let mut rng = SeededRandom::new(seed);
    let mut client = Endpoint::client(client_config(&certs, chacha_only), version, &mut rng);
    client.max_payload = max_payload;
    let mut hello = client.flush();
    let mut client_flights = vec![hello.clone()];
    if path == Path::Reversed {
        hello.reverse();
    }
    let mut server = Endpoint::accept(
        server_config(&certs, chacha_only),
        &hello[0],
        &mut rng,
        max_payload,
    )
    .expect("server accepts the ClientHello");
    deliver(&mut server, hello.split_off(1), Path::InOrder);
    let mut server_flights = Vec::new();
    let mut settled = false;
    for _ in 0..10 {
        let to_client = server.flush();
        if !to_client.is_empty() {
            server_flights.push(to_client.clone());
        }
        deliver(&mut client, to_client, path);
        let to_server = client.flush();
        if !to_server.is_empty() {
            client_flights.push(to_server.clone());
        }
        let idle = to_server.is_empty();
        deliver(&mut server, to_server, path);
        if idle && !server.has_any_data() {
            settled = true;
            break;
        }
    }
    assert!(settled, "the handshake did not settle");
    assert!(client.deferred.is_empty() && server.deferred.is_empty());
    Run {
        client,
        server,
        client_flights,
        server_flights,
    }
}

impl Endpoint {
    fn has_any_data(&self) -> bool {
        [Level::Initial, Level::Handshake, Level::OneRtt]
            .into_iter()
            .any(|l| self.has_data(l))
    }
}

/// The end state of a handshake: both complete and confirmed, 1-RTT keys only, the same
/// ALPN, each other's transport parameters as sent.
fn assert_established(run: &Run) {
    let (client, server) = (&run.client, &run.server);
    for e in [client, server] {
        assert!(e.complete && e.confirmed && e.tls.is_complete());
        assert!(e.one_rtt.is_some());
        assert!(
            e.initial.is_none() && e.handshake.is_none(),
            "keys discarded"
        );
        assert_eq!(e.tls.alpn(), Some(&b"h3"[..]));
        assert!(e.crypto_in.iter().all(BTreeMap::is_empty));
    }
    // Connection IDs: each sends to the other's chosen ID.
    assert_eq!(client.remote_cid, server.local_cid);
    assert_eq!(server.remote_cid, client.local_cid);
    assert_eq!(client.original_dcid, server.original_dcid);
    assert_ne!(client.original_dcid, server.local_cid);

    let from_client = server.peer_params.as_ref().unwrap();
    assert_eq!(
        from_client.initial_source_connection_id,
        Some(client.local_cid)
    );
    assert_eq!(from_client.max_datagram_frame_size, Some(1200));
    assert_eq!(from_client.original_destination_connection_id, None);
    let from_server = client.peer_params.as_ref().unwrap();
    assert_eq!(
        from_server.original_destination_connection_id,
        Some(client.original_dcid)
    );
    assert_eq!(
        from_server.initial_source_connection_id,
        Some(server.local_cid)
    );
    assert_eq!(
        from_server.stateless_reset_token,
        Some(ResetKey::new(RESET_SECRET).token(&server.local_cid))
    );
    assert_eq!(from_server.active_connection_id_limit, 4);
    assert_eq!(from_server.initial_max_streams_uni, 3);

    // The client's first flight: Initials padded to 1200 bytes (RFC 9000 §14.1).
    for d in &run.client_flights[0] {
        assert_eq!(d.len(), DATAGRAM);
        assert_eq!(levels_of(d), [Level::Initial]);
    }
    // The server's first flight: Initial and Handshake coalesced (RFC 9000 §12.2), the
    // datagram padded for the Initial (§14.1), within three times what the client sent
    // (§8.1).
    let first = &run.server_flights[0];
    assert_eq!(levels_of(&first[0]), [Level::Initial, Level::Handshake]);
    assert_eq!(first[0].len(), DATAGRAM);
    let received: usize = run.client_flights[0].iter().map(Vec::len).sum();
    let sent: usize = first.iter().map(Vec::len).sum();
    assert!(sent <= 3 * received, "anti-amplification limit");
    // CRYPTO data arrived at Initial (ServerHello), Handshake (the rest of the flight),
    // then 1-RTT (HANDSHAKE_DONE and the session tickets).
    let levels: Vec<Level> = client.seen.iter().map(|s| s.level).collect();
    assert_eq!(levels[0], Level::Initial);
    assert!(levels.contains(&Level::Handshake));
    assert_eq!(*levels.last().unwrap(), Level::OneRtt);
    assert!(client.crypto_read[2] > 0, "session tickets at 1-RTT");
    assert!(server.seen.iter().any(|s| s.level == Level::Handshake));
    // Packet numbers per space, from 0, each recovered in full.
    for e in [client, server] {
        for level in [Level::Initial, Level::Handshake] {
            let pns: Vec<u64> = e
                .seen
                .iter()
                .filter(|s| s.level == level)
                .map(|s| s.pn)
                .collect();
            let mut sorted = pns.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..pns.len() as u64).collect::<Vec<_>>());
        }
    }
}

/// The levels of the packets coalesced in a datagram.
fn levels_of(datagram: &[u8]) -> Vec<Level> {
    packet::split(datagram, 8)
        .map(|p| match p.unwrap().header {
            Header::Long(h) => level_of(h.ty),
            _ => Level::OneRtt,
        })
        .collect()
}

/// One STREAM frame from `from` to `to` in a 1-RTT packet, `skip` packet numbers after
/// the last one sent (RFC 9000 §21.4 lets a sender skip), the peer having acknowledged
/// all it received: the packet number travels truncated and is recovered in full.
fn exchange(
    from: &mut Endpoint,
    to: &mut Endpoint,
    stream_id: u64,
    data: &'static [u8],
    skip: u64,
) {
    from.largest_acked[2] = to.largest[2];
    from.next_pn[2] += skip;
    let pn = from.next_pn[2];
    let pn_len = number::encode_len(pn, from.largest_acked[2]);
    from.send_stream(stream_id, data, true);
    let datagrams = from.flush();
    assert_eq!(datagrams.len(), 1);
    // A short header: the first byte's form bit is 0.
    assert_eq!(datagrams[0][0] & 0x80, 0);
    let before = to.streams_in.len();
    deliver(to, datagrams, Path::InOrder);
    assert_eq!(to.streams_in.len(), before + 1);
    let got = to.streams_in.last().unwrap();
    assert_eq!(
        (got.stream_id, &got.data[..], got.fin),
        (stream_id, data, true)
    );
    let seen = to.seen.last().unwrap();
    assert_eq!(
        (seen.level, seen.pn, seen.pn_len),
        (Level::OneRtt, pn, pn_len)
    );
}

/// The application data and the key update after a handshake.
fn application_and_key_update(run: &mut Run) {
    let (client, server) = (&mut run.client, &mut run.server);
    exchange(client, server, 0, b"GET /index.html", 0);
    // Packet numbers in 2 and 3 bytes: 1000 and 70,000 ahead of the last acknowledged.
    exchange(server, client, 0, b"HTTP/3 200", 1000);
    assert_eq!(client.seen.last().unwrap().pn_len, PnLen::TWO);
    exchange(server, client, 8, b"more", 70_000);
    assert_eq!(client.seen.last().unwrap().pn_len, PnLen::THREE);
    assert!(!server.seen.last().unwrap().key_phase);

    // The client initiates a key update (RFC 9001 §6.1): Key Phase 1, the next keys.
    client.one_rtt.as_mut().unwrap().update();
    exchange(client, server, 4, b"after the key update", 0);
    let seen = *server.seen.last().unwrap();
    assert!(seen.key_phase, "sent with the flipped key phase");
    // The server opened it with its next keys and moved on (RFC 9001 §6.2).
    assert!(server.one_rtt.as_ref().unwrap().phase());
    exchange(server, client, 4, b"answered in the new phase", 1);
    assert!(client.seen.last().unwrap().key_phase);
    assert!(client.one_rtt.as_ref().unwrap().phase());
}

#[test]
fn handshake_in_quic_packets_v1() {
    let mut run = handshake(Version::V1, false, Path::InOrder, 1);
    assert_established(&run);
    // ring's provider prefers AES-256-GCM for 1-RTT (Initial keys are AES-128-GCM).
    assert_eq!(
        run.client.tls.cipher_suite().unwrap().suite(),
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384
    );
    application_and_key_update(&mut run);
}

#[test]
fn handshake_in_quic_packets_v2() {
    let mut run = handshake(Version::V2, false, Path::InOrder, 2);
    assert_established(&run);
    // The v2 long-header type bits are on the wire (RFC 9369 §3.2): an Initial is 0b01.
    let hello = &run.client_flights[0][0];
    assert_eq!(&hello[1..5], &Version::V2.0.to_be_bytes());
    assert_eq!((hello[0] >> 4) & 0x03, LongType::Initial.bits(Version::V2));
    assert_eq!(LongType::Initial.bits(Version::V2), 0b01);
    application_and_key_update(&mut run);
}

#[test]
fn handshake_with_chacha20_poly1305_only() {
    for version in [Version::V1, Version::V2] {
        let mut run = handshake(version, true, Path::InOrder, 3);
        assert_established(&run);
        for tls in [&run.client.tls, &run.server.tls] {
            assert_eq!(
                tls.cipher_suite().unwrap().suite(),
                rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
            );
        }
        application_and_key_update(&mut run);
    }
}

#[test]
fn reordered_datagrams_are_reassembled_by_offset() {
    let mut run = handshake(Version::V1, false, Path::Reversed, 4);
    assert_established(&run);
    // The ClientHello took two Initials, the server's flight several datagrams; each
    // flight arrived last datagram first: the receivers deferred packets they had no
    // keys for yet and held CRYPTO frames until the bytes before them came.
    assert_eq!(run.client_flights[0].len(), 2);
    assert!(run.server_flights[0].len() >= 3);
    assert!(run.server.crypto_held >= 1);
    assert!(run.client.deferred_count >= 2);
    assert!(run.client.crypto_held >= 1);
    application_and_key_update(&mut run);
}

#[test]
fn handshake_done_in_a_handshake_packet_is_a_protocol_violation() {
    let (mut client, mut server) = half_handshake(5);
    // A Handshake packet carrying HANDSHAKE_DONE, which only 1-RTT packets may carry
    // (RFC 9000 §12.4 Table 3).
    let mut payload = Vec::new();
    Frame::HandshakeDone.write(&mut payload).unwrap();
    let datagram = server.seal_datagram(vec![(Level::Handshake, payload)]);
    let err = client.receive(&datagram).unwrap_err();
    assert_eq!(err.code, Code::PROTOCOL_VIOLATION);
}

#[test]
fn wrong_original_destination_connection_id_is_refused() {
    let certs = certs();
    let mut rng = SeededRandom::new(6);
    let mut client = Endpoint::client(client_config(&certs, false), Version::V1, &mut rng);
    let hello = client.flush();
    let mut server =
        Endpoint::accept(server_config(&certs, false), &hello[0], &mut rng, DATAGRAM).unwrap();
    // The client believes it sent another first DCID (as after an unseen Retry): the
    // server's original_destination_connection_id no longer matches (RFC 9000 §7.3).
    client.original_dcid = ConnectionId::new(&[0xee; 8]).unwrap();
    let mut result = Ok(());
    for d in server.flush() {
        result = result.and_then(|()| client.receive(&d));
    }
    let err = result.unwrap_err();
    assert_eq!(err.code, Code::TRANSPORT_PARAMETER_ERROR);
}

/// A server and a client that has processed the server's first flight: both hold
/// Handshake keys.
fn half_handshake(seed: u64) -> (Endpoint, Endpoint) {
    let certs = certs();
    let mut rng = SeededRandom::new(seed);
    let mut client = Endpoint::client(client_config(&certs, false), Version::V1, &mut rng);
    let hello = client.flush();
    let mut server =
        Endpoint::accept(server_config(&certs, false), &hello[0], &mut rng, DATAGRAM).unwrap();
    deliver(&mut client, server.flush(), Path::InOrder);
    (client, server)
}

/// A PING packet at `level` from `from` with `bits` set in its first byte.
fn ping_with_bits(from: &mut Endpoint, level: Level, bits: u8) -> Vec<u8> {
    let mut payload = Vec::new();
    Frame::Ping.write(&mut payload).unwrap();
    from.first_byte_extra = bits;
    let datagram = from.seal_datagram(vec![(level, payload)]);
    from.first_byte_extra = 0;
    datagram
}

#[test]
fn reserved_bits_are_a_protocol_violation_once_the_packet_opens() {
    // Short header: Reserved Bits 0x18 (RFC 9000 §17.3.1). The receiver panics if the
    // packet does not open, so the error comes after the AEAD, as §17.3.1 requires.
    for bits in [0x10, 0x08] {
        let mut run = handshake(Version::V1, false, Path::InOrder, 7);
        let datagram = ping_with_bits(&mut run.client, Level::OneRtt, bits);
        let err = run.server.receive(&datagram).unwrap_err();
        assert_eq!(err.code, Code::PROTOCOL_VIOLATION);
    }
    // Long header: Reserved Bits 0x0c (RFC 9000 §17.2).
    for bits in [0x08, 0x04] {
        let (mut client, mut server) = half_handshake(8);
        let datagram = ping_with_bits(&mut server, Level::Handshake, bits);
        let err = client.receive(&datagram).unwrap_err();
        assert_eq!(err.code, Code::PROTOCOL_VIOLATION);
    }
    // Without them the same packets are fine.
    let (mut client, mut server) = half_handshake(9);
    let datagram = ping_with_bits(&mut server, Level::Handshake, 0);
    client.receive(&datagram).unwrap();
}
