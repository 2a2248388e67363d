//! Entry points for fuzzing and limit tests (built with `cfg(test)` or the `fuzzing`
//! feature, never in a normal build): a fixed TLS configuration, an in-memory handshake
//! that yields an established pair of connections, and a way to hand a connection frames
//! as if they had arrived in a decrypted packet, bypassing packet protection.
//!
//! The certificate (a self-signed ECDSA P-256 certificate for `localhost`, valid
//! 2026-2126) and its PKCS#8 key are embedded: generating one per fuzz run would
//! dominate the run time.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use stator_wire::rand::SeededRandom;

use super::space::SentFrames;
use super::{
    ClientConfig, Connection, ServerConfig, ServerHandshake, State, Transmit, TransportConfig,
};
use crate::ecn::Ecn;
use crate::packet::Header;
use crate::recovery::SentPacket;
use crate::{ConnectionId, Level, RandomConnectionIds, ResetKey, Space, Version};

/// The DER certificate the fuzzing server presents.
const CERT: &[u8] = include_bytes!("fuzzing/fuzz_cert.der");
/// Its PKCS#8 private key.
const KEY: &[u8] = include_bytes!("fuzzing/fuzz_key.der");

/// The ALPN protocol both sides of [`Connection::fuzz_pair`] agree on.
pub const ALPN: &[u8] = b"fuzz";
/// The client's address in [`Connection::fuzz_pair`].
pub const CLIENT_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 5000));
/// The server's address in [`Connection::fuzz_pair`].
pub const SERVER_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 4433));

/// The rustls configurations, made once.
struct Tls {
    client: Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
}

static TLS: LazyLock<Option<Tls>> = LazyLock::new(make_tls);

fn make_tls() -> Option<Tls> {
    let cert = CertificateDer::from(CERT);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(KEY));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .ok()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .ok()?;
    server.alpn_protocols = vec![ALPN.to_vec()];
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).ok()?;
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Some(Tls {
        client: Arc::new(client),
        server: Arc::new(server),
    })
}

/// A client configuration for `localhost` with the fixed certificate as its root, ALPN
/// [`ALPN`] and `transport`; `None` if rustls refused the embedded certificate.
pub fn client_config(transport: Arc<TransportConfig>) -> Option<ClientConfig> {
    let tls = TLS.as_ref()?;
    let mut config = ClientConfig::new(
        tls.client.clone(),
        ServerName::try_from("localhost").ok()?,
        vec![ALPN.to_vec()],
    );
    config.transport = transport;
    Some(config)
}

/// A server configuration with the fixed certificate, ALPN [`ALPN`] and `transport`.
pub fn server_config(transport: Arc<TransportConfig>) -> Option<ServerConfig> {
    let tls = TLS.as_ref()?;
    Some(ServerConfig {
        tls: tls.server.clone(),
        transport,
    })
}

/// The datagrams of a transmit (several with GSO).
pub fn split_transmit<'a>(buf: &'a [u8], t: &Transmit) -> impl Iterator<Item = BytesMut> + 'a {
    let size = t.size.min(buf.len());
    let seg = t.segment_size.unwrap_or(size).max(1);
    buf.get(..size)
        .unwrap_or_default()
        .chunks(seg)
        .map(BytesMut::from)
}

impl Connection {
    /// A client and a server connection with the default transport settings, the
    /// handshake completed and confirmed in memory; and the time it ended at.
    ///
    /// `seed` seeds both connections' generators (rustls draws its own randomness, so
    /// keys differ between runs; nothing the frames of
    /// [`Connection::inject_frames`] do depends on them).
    pub fn fuzz_pair(seed: u64) -> Option<(Connection, Connection, Instant)> {
        Connection::fuzz_pair_with(seed, TransportConfig::default())
    }

    /// [`Connection::fuzz_pair`] with `transport` on both sides.
    pub fn fuzz_pair_with(
        seed: u64,
        transport: TransportConfig,
    ) -> Option<(Connection, Connection, Instant)> {
        let transport = Arc::new(transport);
        let client_config = client_config(transport.clone())?;
        let server_config = server_config(transport)?;
        let mut now = Instant::now();
        let mut client = Connection::client(
            now,
            &client_config,
            SERVER_ADDR,
            Box::new(SeededRandom::new(seed)),
            Box::new(RandomConnectionIds::default()),
        )
        .ok()?;
        let mut buf = Vec::new();
        let first = client.poll_transmit(now, &mut buf)?;
        let Ok(Header::Long(h)) = Header::parse(buf.get(..first.size)?, 0) else {
            return None;
        };
        let dcid = ConnectionId::new(h.dcid).ok()?;
        let handshake = ServerHandshake {
            version: Version::V1,
            remote: CLIENT_ADDR,
            original_dcid: dcid,
            initial_dcid: dcid,
            client_scid: ConnectionId::new(h.scid).ok()?,
            local_cid: ConnectionId::new(&seed.to_be_bytes()).ok()?,
            retry_scid: None,
            address_validated: false,
            new_token: None,
        };
        let mut server = Connection::server(
            now,
            &server_config,
            handshake,
            Box::new(SeededRandom::new(seed ^ 0x5eed)),
            Box::new(RandomConnectionIds::default()),
            ResetKey::new(b"fuzzing reset key"),
        )
        .ok()?;
        server.handle_datagram(
            now,
            CLIENT_ADDR,
            Ecn::NotEct,
            BytesMut::from(buf.get(..first.size)?),
        );
        for _ in 0..200 {
            if client.is_handshake_confirmed() && server.is_handshake_confirmed() {
                // Let the last acknowledgements settle so both sides start quiet.
                exchange(&mut client, &mut server, now, &mut buf);
                return Some((client, server, now));
            }
            if client.is_closing() || server.is_closing() {
                return None;
            }
            if !exchange(&mut client, &mut server, now, &mut buf) {
                let next = [client.poll_timeout(), server.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min()?;
                now = now.max(next);
                client.handle_timeout(now);
                server.handle_timeout(now);
            }
            now = now.checked_add(Duration::from_millis(1)).unwrap_or(now);
        }
        None
    }

    /// Acts on `payload` as the frames of a decrypted packet of `level` with the next
    /// packet number (one above the largest received in its space), bypassing packet
    /// protection: the same frame handling and received-packet bookkeeping as a real
    /// packet. Ignored, like a packet would be, without keys for `level` or while
    /// closing or draining (a closing connection will answer with its close again).
    pub fn inject_frames(&mut self, now: Instant, level: Level, payload: Bytes) {
        let pn = self.spaces[level.space()]
            .received
            .largest()
            .map_or(0, |l| l.saturating_add(1));
        self.inject_packet(now, level, pn, payload);
    }

    /// Takes the next 1-RTT packet number for a packet the fuzzer "sends" from this
    /// connection through [`Connection::inject_packet`] on its peer: it is recorded as
    /// sent (empty, not in flight), so the peer's acknowledgement of it is legitimate
    /// and the peer's real packet numbers never collide with injected ones.
    pub fn fuzz_reserve_packet_number(&mut self, now: Instant) -> u64 {
        let sp = &mut self.spaces[Space::Data];
        let pn = sp.next_pn;
        sp.next_pn = sp.next_pn.saturating_add(1);
        if self.one_rtt.is_some() && !self.is_closing() {
            self.recovery.on_packet_sent(
                Space::Data,
                SentPacket {
                    pn,
                    time_sent: now,
                    size: 0,
                    ack_eliciting: false,
                    in_flight: false,
                    frames: SentFrames::default(),
                },
                now,
            );
        }
        pn
    }

    /// [`Connection::inject_frames`] with an explicit packet number (duplicates are
    /// dropped as they would be).
    pub fn inject_packet(&mut self, now: Instant, level: Level, pn: u64, payload: Bytes) {
        match self.state {
            State::Closed | State::Draining { .. } => return,
            State::Closing { .. } => {
                self.close_pending = true;
                return;
            }
            State::Handshaking | State::Established => {}
        }
        if !self.has_read_keys(level) || self.spaces[level.space()].received.is_duplicate(pn) {
            return;
        }
        let dcid = self.local_cids.active().next().copied().unwrap_or_default();
        let _ = self.on_packet_opened(now, Ecn::NotEct, level, pn, payload, &dcid);
    }
}

/// Moves every datagram each way once; returns whether any moved.
fn exchange(a: &mut Connection, b: &mut Connection, now: Instant, buf: &mut Vec<u8>) -> bool {
    let mut moved = false;
    let (a_addr, b_addr) = (a.remote, b.remote);
    while let Some(t) = a.poll_transmit(now, buf) {
        for d in split_transmit(buf, &t) {
            b.handle_datagram(now, b_addr, Ecn::NotEct, d);
            moved = true;
        }
    }
    while let Some(t) = b.poll_transmit(now, buf) {
        for d in split_transmit(buf, &t) {
            a.handle_datagram(now, a_addr, Ecn::NotEct, d);
            moved = true;
        }
    }
    moved
}
