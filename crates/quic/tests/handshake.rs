//! Full TLS 1.3 handshakes in memory through `stator_quic::crypto::TlsSession`: CRYPTO
//! bytes move between a client and a server per level, each flight protected with the
//! keys of its level and unprotected on the other side. The packet and frame formats here
//! are trivial hand-made stand-ins (the packet and frame modules are written elsewhere):
//! a first byte, a level byte for long headers, a 4-byte packet number, then one
//! "CRYPTO" frame `0x06 | u32 length | bytes`.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use common::{Certs, certs};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use stator_quic::crypto::{
    DirectionalKeys, HeaderKey, Keys, LevelKeys, OneRttKeys, PacketKey, TlsEvent, TlsSession,
    initial_keys, key_phase, open_packet, protect_packet, remove_header_protection, set_key_phase,
};
use stator_quic::{Code, Level, Version};

const DCID: &[u8] = b"\x83\x94\xc8\xf0\x3e\x51\x57\x08";

fn server_config(certs: &Certs, alpn: &[&[u8]], chacha_only: bool) -> Arc<ServerConfig> {
    let mut config = common::server_config(certs, alpn, chacha_only);
    // RFC 9001 §4.6.1: QUIC servers that accept early data say 0xffffffff.
    config.max_early_data_size = u32::MAX;
    Arc::new(config)
}

fn client_config(certs: &Certs, chacha_only: bool) -> Arc<ClientConfig> {
    let mut config = common::client_config(certs, chacha_only);
    config.enable_early_data = true;
    Arc::new(config)
}

/// One side: its TLS session and the keys it holds per level.
struct Endpoint {
    tls: TlsSession,
    initial: Keys,
    zero_rtt: Option<DirectionalKeys>,
    handshake: Option<Keys>,
    one_rtt: Option<OneRttKeys>,
    next_pn: u64,
    complete: bool,
    /// CRYPTO bytes received per level, for the assertions.
    received: Vec<(Level, usize)>,
    /// Packets built and not yet sent.
    outbox: Vec<Vec<u8>>,
}

impl Endpoint {
    fn new(tls: TlsSession, version: Version) -> Endpoint {
        let side = tls.side();
        Endpoint {
            tls,
            initial: initial_keys(version, DCID, side).unwrap(),
            zero_rtt: None,
            handshake: None,
            one_rtt: None,
            next_pn: 0,
            complete: false,
            received: Vec::new(),
            outbox: Vec::new(),
        }
    }

    /// Acts on the session's events (keys are installed at once, as a connection would
    /// before its next packet); returns the packets to send.
    fn flush(&mut self) -> Vec<Vec<u8>> {
        self.process();
        std::mem::take(&mut self.outbox)
    }

    fn process(&mut self) {
        let mut out = Vec::new();
        while let Some(event) = self.tls.poll_event() {
            match event {
                TlsEvent::Keys(LevelKeys::ZeroRtt(keys)) => self.zero_rtt = Some(keys),
                TlsEvent::Keys(LevelKeys::Handshake(keys)) => self.handshake = Some(keys),
                TlsEvent::Keys(LevelKeys::OneRtt(keys)) => self.one_rtt = Some(*keys),
                TlsEvent::Crypto { level, data } => out.push(self.packet(level, &data)),
                TlsEvent::HandshakeComplete => self.complete = true,
            }
        }
        self.outbox.extend(out);
    }

    /// A protected packet at `level` carrying `data` in one CRYPTO frame.
    fn packet(&mut self, level: Level, data: &[u8]) -> Vec<u8> {
        let mut payload = vec![0x06];
        payload.extend_from_slice(&(data.len() as u32).to_be_bytes());
        payload.extend_from_slice(data);
        self.seal(level, &payload)
    }

    fn seal(&mut self, level: Level, payload: &[u8]) -> Vec<u8> {
        let pn = self.next_pn;
        self.next_pn += 1;
        let (mut packet, pn_offset, long) = match level {
            Level::OneRtt => {
                let phase = self.one_rtt.as_ref().unwrap().phase();
                (vec![set_key_phase(0x43, phase)], 1, false)
            }
            _ => (vec![0xc3, level as u8], 2, true),
        };
        packet.extend_from_slice(&(pn as u32).to_be_bytes());
        packet.extend_from_slice(payload);
        packet.extend_from_slice(&[0; 16]);
        let (header, key): (&HeaderKey, &PacketKey) = match level {
            Level::Initial => (&self.initial.local.header, &self.initial.local.packet),
            Level::ZeroRtt => {
                let k = self.zero_rtt.as_ref().unwrap();
                (&k.header, &k.packet)
            }
            Level::Handshake => {
                let k = &self.handshake.as_ref().unwrap().local;
                (&k.header, &k.packet)
            }
            Level::OneRtt => {
                let k = self.one_rtt.as_ref().unwrap();
                (k.local_header(), k.seal_key())
            }
        };
        protect_packet(header, key, pn, &mut packet, pn_offset, long).unwrap();
        packet
    }

    /// Unprotects a packet from the peer: its level and payload. A 1-RTT packet with the
    /// other key phase opens with the next keys and moves this side to them (RFC 9001
    /// §6.2).
    fn open(&mut self, mut packet: Vec<u8>) -> (Level, Vec<u8>) {
        let long = packet[0] & 0x80 != 0;
        let (level, pn_offset) = if long {
            let level = match packet[1] {
                0 => Level::Initial,
                1 => Level::ZeroRtt,
                2 => Level::Handshake,
                _ => panic!("bad level"),
            };
            (level, 2)
        } else {
            (Level::OneRtt, 1)
        };
        let header = match level {
            Level::Initial => &self.initial.remote.header,
            Level::ZeroRtt => &self.zero_rtt.as_ref().unwrap().header,
            Level::Handshake => &self.handshake.as_ref().unwrap().remote.header,
            Level::OneRtt => self.one_rtt.as_ref().unwrap().remote_header(),
        };
        let u = remove_header_protection(header, &mut packet, pn_offset, long).unwrap();
        assert_eq!(u.pn_len, 4);
        // Every packet number here fits in 4 bytes: no expansion needed.
        let pn = u64::from(u.truncated_pn);
        let header_len = pn_offset + u.pn_len;
        let mut update = false;
        let key = match level {
            Level::Initial => &self.initial.remote.packet,
            Level::ZeroRtt => &self.zero_rtt.as_ref().unwrap().packet,
            Level::Handshake => &self.handshake.as_ref().unwrap().remote.packet,
            Level::OneRtt => {
                let keys = self.one_rtt.as_ref().unwrap();
                let phase = key_phase(u.first_byte);
                update = phase != keys.phase();
                keys.open_key(phase)
            }
        };
        let n = open_packet(key, pn, &mut packet, header_len).unwrap();
        if update {
            self.one_rtt.as_mut().unwrap().update();
        }
        (level, packet[header_len..header_len + n].to_vec())
    }

    /// Receives packets; a CRYPTO frame goes to TLS. Returns the first TLS error.
    fn receive(&mut self, packets: Vec<Vec<u8>>) -> Result<(), stator_quic::TransportError> {
        for packet in packets {
            let (level, payload) = self.open(packet);
            assert_eq!(payload[0], 0x06);
            let len = u32::from_be_bytes(payload[1..5].try_into().unwrap()) as usize;
            let data = &payload[5..5 + len];
            self.received.push((level, len));
            self.tls.read_crypto(level, data)?;
            self.process();
        }
        Ok(())
    }
}

/// Moves packets both ways until neither side has anything to send.
fn drive(client: &mut Endpoint, server: &mut Endpoint) -> Result<(), stator_quic::TransportError> {
    for _ in 0..20 {
        let to_server = client.flush();
        let to_client = server.flush();
        if to_server.is_empty() && to_client.is_empty() {
            return Ok(());
        }
        server.receive(to_server)?;
        client.receive(to_client)?;
    }
    panic!("the handshake did not settle");
}

const CLIENT_PARAMS: &[u8] = b"client transport parameters (opaque here)";
const SERVER_PARAMS: &[u8] = b"server transport parameters";

fn pair(
    version: Version,
    client_config: &Arc<ClientConfig>,
    server_config: &Arc<ServerConfig>,
    alpn: &[&[u8]],
) -> (Endpoint, Endpoint) {
    let client = TlsSession::client(
        client_config.clone(),
        version,
        ServerName::try_from("localhost").unwrap(),
        alpn.iter().map(|p| p.to_vec()).collect(),
        CLIENT_PARAMS.to_vec(),
    )
    .unwrap();
    let server =
        TlsSession::server(server_config.clone(), version, SERVER_PARAMS.to_vec()).unwrap();
    (
        Endpoint::new(client, version),
        Endpoint::new(server, version),
    )
}

fn assert_established(client: &Endpoint, server: &Endpoint) {
    assert!(client.complete && server.complete);
    assert!(client.tls.is_complete() && server.tls.is_complete());
    assert!(client.one_rtt.is_some() && server.one_rtt.is_some());
    assert!(client.handshake.is_some() && server.handshake.is_some());
    assert_eq!(client.tls.alpn(), Some(&b"h3"[..]));
    assert_eq!(server.tls.alpn(), Some(&b"h3"[..]));
    assert_eq!(server.tls.peer_transport_parameters(), Some(CLIENT_PARAMS));
    assert_eq!(client.tls.peer_transport_parameters(), Some(SERVER_PARAMS));
    assert_eq!(client.tls.read_level(), Level::OneRtt);
    // The levels CRYPTO data arrived at: the ServerHello at Initial, the rest of the
    // server's flight at Handshake; the client's Finished at Handshake.
    assert_eq!(client.received[0].0, Level::Initial);
    assert!(
        client.received[1..]
            .iter()
            .all(|(l, _)| *l != Level::Initial)
    );
    assert_eq!(server.received[0].0, Level::Initial);
    assert_eq!(server.received.last().unwrap().0, Level::Handshake);
}

/// 1-RTT application bytes from one side to the other.
fn exchange(from: &mut Endpoint, to: &mut Endpoint, data: &[u8]) {
    let mut payload = vec![0x08]; // a made-up STREAM-ish frame
    payload.extend_from_slice(data);
    let packet = from.seal(Level::OneRtt, &payload);
    let (level, got) = to.open(packet);
    assert_eq!(level, Level::OneRtt);
    assert_eq!(got, payload);
}

fn handshake(version: Version, chacha_only: bool) -> (Endpoint, Endpoint) {
    let certs = certs();
    let (mut client, mut server) = pair(
        version,
        &client_config(&certs, chacha_only),
        &server_config(&certs, &[b"h3", b"h3-29"], chacha_only),
        &[b"h3"],
    );
    drive(&mut client, &mut server).unwrap();
    assert_established(&client, &server);
    exchange(&mut client, &mut server, b"GET /");
    exchange(&mut server, &mut client, b"200 OK");
    (client, server)
}

#[test]
fn handshake_v1_and_v2() {
    for version in [Version::V1, Version::V2] {
        let (client, _) = handshake(version, false);
        // ring's provider prefers AES-256-GCM for 1-RTT (Initial keys are AES-128-GCM).
        let suite = client.tls.cipher_suite().unwrap().suite();
        assert_eq!(suite, rustls::CipherSuite::TLS13_AES_256_GCM_SHA384);
    }
}

#[test]
fn handshake_with_chacha20_poly1305_only() {
    let (client, server) = handshake(Version::V1, true);
    for tls in [&client.tls, &server.tls] {
        assert_eq!(
            tls.cipher_suite().unwrap().suite(),
            rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
        );
    }
}

#[test]
fn key_update_both_ways() {
    for version in [Version::V1, Version::V2] {
        let (mut client, mut server) = handshake(version, false);
        // The client initiates (RFC 9001 §6.1): next keys, Key Phase 1.
        client.one_rtt.as_mut().unwrap().update();
        assert!(client.one_rtt.as_ref().unwrap().phase());
        exchange(&mut client, &mut server, b"after the update");
        // The server opened it with its next keys and moved on (RFC 9001 §6.2).
        assert!(server.one_rtt.as_ref().unwrap().phase());
        exchange(&mut server, &mut client, b"answered in phase 1");
        // Both keep the previous generation's opening key for delayed packets until they
        // discard it (RFC 9001 §6.5).
        assert!(client.one_rtt.as_ref().unwrap().previous_remote().is_some());
        assert!(server.one_rtt.as_ref().unwrap().previous_remote().is_some());
        server.one_rtt.as_mut().unwrap().discard_previous();
        assert!(server.one_rtt.as_ref().unwrap().previous_remote().is_none());
        // A second update, now from the server, back to phase 0.
        server.one_rtt.as_mut().unwrap().update();
        exchange(&mut server, &mut client, b"phase 0 again");
        assert!(!client.one_rtt.as_ref().unwrap().phase());
        exchange(&mut client, &mut server, b"in the third generation");
    }
}

#[test]
fn old_generation_keys_do_not_open_new_packets() {
    let (mut client, server) = handshake(Version::V1, false);
    client.one_rtt.as_mut().unwrap().update();
    let mut packet = client.seal(Level::OneRtt, b"\x01 ping in phase 1");
    let keys = server.one_rtt.as_ref().unwrap();
    let u = remove_header_protection(keys.remote_header(), &mut packet, 1, false).unwrap();
    assert!(key_phase(u.first_byte));
    let pn = u64::from(u.truncated_pn);
    let mut copy = packet.clone();
    assert!(open_packet(keys.current_remote(), pn, &mut copy, 5).is_err());
    assert!(open_packet(keys.next_remote(), pn, &mut packet, 5).is_ok());
}

#[test]
fn no_common_alpn_is_a_crypto_error() {
    let certs = certs();
    let (mut client, mut server) = pair(
        Version::V1,
        &client_config(&certs, false),
        &server_config(&certs, &[b"other"], false),
        &[b"h3"],
    );
    let to_server = client.flush();
    let err = server.receive(to_server).unwrap_err();
    // no_application_protocol (120): CRYPTO_ERROR 0x0178 (RFC 9001 §8.1, §4.8).
    assert_eq!(err.code, Code::crypto(120));
    assert_eq!(err.code, Code(0x0178));
    assert!(server.tls.tls_error().is_some());
    // Sticky.
    assert_eq!(
        server.tls.read_crypto(Level::Initial, b"more").unwrap_err(),
        err
    );
}

#[test]
fn crypto_at_the_wrong_level_is_a_protocol_violation() {
    let certs = certs();
    let (mut client, mut server) = pair(
        Version::V1,
        &client_config(&certs, false),
        &server_config(&certs, &[b"h3"], false),
        &[b"h3"],
    );
    drop(client.flush());
    let err = server
        .tls
        .read_crypto(Level::Handshake, b"\x01\x00\x00\x00")
        .unwrap_err();
    assert_eq!(err.code, Code::PROTOCOL_VIOLATION);
}

#[test]
fn garbage_handshake_bytes_map_to_an_alert() {
    let certs = certs();
    let (_, mut server) = pair(
        Version::V1,
        &client_config(&certs, false),
        &server_config(&certs, &[b"h3"], false),
        &[b"h3"],
    );
    let err = server
        .tls
        .read_crypto(Level::Initial, b"\x01\x00\x00\x05hello")
        .unwrap_err();
    assert_eq!(err.code.alert().map(|_| ()), Some(()));
}

#[test]
fn zero_rtt_on_resumption() {
    let certs = certs();
    let client_config = client_config(&certs, false);
    let server_config = server_config(&certs, &[b"h3"], false);
    // The first connection leaves a ticket (sent at 1-RTT after the handshake).
    let (mut client, mut server) = pair(Version::V1, &client_config, &server_config, &[b"h3"]);
    drive(&mut client, &mut server).unwrap();
    assert_established(&client, &server);
    assert!(client.received.iter().any(|(l, _)| *l == Level::OneRtt));
    assert!(client.zero_rtt.is_none());

    // The second resumes: the client has 0-RTT keys from the start.
    let (mut client, mut server) = pair(Version::V1, &client_config, &server_config, &[b"h3"]);
    let hello = client.flush();
    assert!(client.zero_rtt.is_some());
    let early = client.seal(Level::ZeroRtt, b"\x08early request");
    server.receive(hello).unwrap();
    let more = server.flush();
    assert!(server.zero_rtt.is_some(), "the server accepted early data");
    let (level, got) = server.open(early);
    assert_eq!(
        (level, &got[..]),
        (Level::ZeroRtt, &b"\x08early request"[..])
    );
    client.receive(more).unwrap();
    drive(&mut client, &mut server).unwrap();
    assert_established(&client, &server);
    assert!(client.tls.is_early_data_accepted());
}
