//! The QUIC endpoint (RFC 9000 §5.2, §6, §8.1, §10.3): one UDP socket's worth of
//! connections, sans-IO.
//!
//! It routes datagrams to connections by Destination Connection ID (ours have the
//! generator's fixed length, so short headers parse), creates server connections for
//! valid client Initials of at least 1200 bytes, answers unknown versions with Version
//! Negotiation, sends Retry when configured (address validation with
//! [`TokenKey`]), answers short-header packets of unknown connections with
//! rate-limited stateless resets, and caps the number of connections. Connections never
//! see each other's packets: a datagram goes to at most one connection.
//!
//! ```
//! use std::sync::Arc;
//! use stator_quic::endpoint::{Endpoint, EndpointConfig};
//! use stator_wire::rand::SeededRandom;
//!
//! let config = EndpointConfig::new(stator_quic::ResetKey::new(b"a secret of 32 bytes or more...."));
//! let endpoint = Endpoint::new(config, Box::new(SeededRandom::new(1)));
//! assert_eq!(endpoint.connection_count(), 0);
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use stator_wire::rand::{Random, SeededRandom};

use crate::cids::RoutingChange;
use crate::conn::{
    ClientConfig, ConnectError, Connection, MIN_INITIAL_SIZE, ServerConfig, ServerHandshake,
    Transmit,
};
use crate::crypto::retry_integrity_tag;
use crate::ecn::Ecn;
use crate::packet::{Header, write_retry, write_version_negotiation};
use crate::reset::{MIN_RESET_LEN, write_stateless_reset};
use crate::token::{AddressToken, TokenError, TokenKey, TokenKind, TokenLifetimes};
use crate::{
    ConnectionId, ConnectionIdGenerator, LongType, RandomConnectionIds, ResetKey, Version,
};

/// Makes the connection-ID generator of each new connection.
pub type GeneratorFactory = Arc<dyn Fn() -> Box<dyn ConnectionIdGenerator> + Send + Sync>;
/// Makes the random generator of each new connection from a seed the endpoint draws.
pub type RandomFactory = Arc<dyn Fn(u64) -> Box<dyn Random + Send> + Send + Sync>;

/// Server-side settings of an endpoint.
#[derive(Clone)]
pub struct ServerSetup {
    /// TLS and transport settings of accepted connections.
    pub config: ServerConfig,
    /// Send Retry to clients without a valid token (RFC 9000 §8.1.2).
    pub retry: bool,
    /// The key sealing Retry and `NEW_TOKEN` tokens.
    pub token_key: Arc<TokenKey>,
    /// How long tokens stay valid.
    pub token_lifetimes: TokenLifetimes,
}

impl std::fmt::Debug for ServerSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSetup")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Endpoint settings; every limit has a safe default.
#[derive(Clone)]
pub struct EndpointConfig {
    /// The key of stateless reset tokens, shared by every connection (RFC 9000 §10.3.2).
    pub reset_key: ResetKey,
    /// The connection-ID generator of each connection (QUIC-LB layouts plug in here).
    pub cid_generator: GeneratorFactory,
    /// The random generator of each connection.
    pub connection_random: RandomFactory,
    /// Versions accepted from clients, most preferred first.
    pub versions: Vec<Version>,
    /// Connections held at once; Initials beyond are dropped.
    pub max_connections: usize,
    /// Stateless resets sent per second at most (RFC 9000 §10.3: they can amplify).
    pub max_resets_per_second: u32,
    /// Stateless packets (Version Negotiation, Retry, resets) queued at most.
    pub max_stateless_queue: usize,
    /// Accept connections (a client-only endpoint leaves this `None`).
    pub server: Option<ServerSetup>,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("versions", &self.versions)
            .field("max_connections", &self.max_connections)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl EndpointConfig {
    /// Client-only defaults: 8-byte random connection IDs, v1 and v2, 10,000
    /// connections, 100 stateless resets per second, system randomness per connection.
    pub fn new(reset_key: ResetKey) -> EndpointConfig {
        EndpointConfig {
            reset_key,
            cid_generator: Arc::new(|| Box::new(RandomConnectionIds::default())),
            connection_random: Arc::new(|_| Box::new(stator_wire::rand::SystemRandom::new())),
            versions: vec![Version::V1, Version::V2],
            max_connections: 10_000,
            max_resets_per_second: 100,
            max_stateless_queue: 256,
            server: None,
        }
    }

    /// Deterministic randomness for tests and simulations: each connection's generator
    /// is seeded from the endpoint's.
    #[must_use]
    pub fn seeded(mut self) -> EndpointConfig {
        self.connection_random = Arc::new(|seed| Box::new(SeededRandom::new(seed)));
        self
    }
}

/// A connection's index in its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionHandle(pub usize);

/// What the endpoint tells its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointEvent {
    /// A client's connection was accepted (its handshake goes on).
    Incoming(ConnectionHandle),
    /// A connection ended and was removed.
    Removed(ConnectionHandle),
}

/// Counters of what the endpoint did with datagrams it did not route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Connections accepted.
    pub accepted: u64,
    /// Version Negotiation packets sent.
    pub version_negotiations: u64,
    /// Retry packets sent.
    pub retries: u64,
    /// Stateless resets sent.
    pub resets: u64,
    /// Datagrams dropped: unparseable, too small Initials, unknown long headers, over
    /// the connection limit, over the reset rate, invalid tokens.
    pub dropped: u64,
}

/// The endpoint.
pub struct Endpoint {
    config: EndpointConfig,
    rng: Box<dyn Random + Send>,
    conns: Vec<Option<Connection>>,
    free: Vec<usize>,
    live: usize,
    routes: HashMap<ConnectionId, usize>,
    /// Client-chosen Initial DCIDs, until the client switches to ours.
    initial_routes: HashMap<(SocketAddr, ConnectionId), usize>,
    stateless: VecDeque<(SocketAddr, Vec<u8>)>,
    events: VecDeque<EndpointEvent>,
    reset_tokens: f64,
    reset_refill: Option<Instant>,
    next: usize,
    cid_len: usize,
    epoch: Option<Instant>,
    stats: EndpointStats,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("connections", &self.live)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint; `rng` seeds each connection's generator.
    pub fn new(config: EndpointConfig, rng: Box<dyn Random + Send>) -> Endpoint {
        let cid_len = (config.cid_generator)().cid_len();
        Endpoint {
            reset_tokens: f64::from(config.max_resets_per_second),
            config,
            rng,
            conns: Vec::new(),
            free: Vec::new(),
            live: 0,
            routes: HashMap::new(),
            initial_routes: HashMap::new(),
            stateless: VecDeque::new(),
            events: VecDeque::new(),
            reset_refill: None,
            next: 0,
            cid_len,
            epoch: None,
            stats: EndpointStats::default(),
        }
    }

    /// Connections held.
    pub fn connection_count(&self) -> usize {
        self.live
    }

    /// What happened to datagrams that were not routed.
    pub fn stats(&self) -> EndpointStats {
        self.stats
    }

    /// A connection.
    pub fn connection(&self, handle: ConnectionHandle) -> Option<&Connection> {
        self.conns.get(handle.0)?.as_ref()
    }

    /// A connection, to read, write and close.
    pub fn connection_mut(&mut self, handle: ConnectionHandle) -> Option<&mut Connection> {
        self.conns.get_mut(handle.0)?.as_mut()
    }

    /// The handles of all connections.
    pub fn handles(&self) -> impl Iterator<Item = ConnectionHandle> + '_ {
        self.conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .map(|(i, _)| ConnectionHandle(i))
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        self.events.pop_front()
    }

    /// Opens a client connection to `remote`.
    pub fn connect(
        &mut self,
        now: Instant,
        config: &ClientConfig,
        remote: SocketAddr,
    ) -> Result<ConnectionHandle, ConnectError> {
        let rng = (self.config.connection_random)(self.rng.next_u64());
        let cid_gen = (self.config.cid_generator)();
        let conn = Connection::client(now, config, remote, rng, cid_gen)?;
        let scid = *conn.local_cids().next().unwrap_or(&ConnectionId::EMPTY);
        let index = self.insert(conn);
        self.routes.insert(scid, index);
        self.sync(index);
        Ok(ConnectionHandle(index))
    }

    fn insert(&mut self, conn: Connection) -> usize {
        self.live = self.live.saturating_add(1);
        if let Some(i) = self.free.pop()
            && let Some(slot) = self.conns.get_mut(i)
        {
            *slot = Some(conn);
            return i;
        }
        self.conns.push(Some(conn));
        self.conns.len().saturating_sub(1)
    }

    /// Milliseconds since the endpoint's first `now`, the time base of its tokens.
    fn token_time(&mut self, now: Instant) -> u64 {
        let epoch = *self.epoch.get_or_insert(now);
        u64::try_from(now.saturating_duration_since(epoch).as_millis()).unwrap_or(u64::MAX)
    }

    /// A datagram from `remote` arrived at `local`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        local: SocketAddr,
        ecn: Ecn,
        datagram: BytesMut,
    ) {
        let _ = local;
        let Ok(header) = Header::parse(&datagram, self.cid_len) else {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
            return;
        };
        let dcid = ConnectionId::new(header.dcid()).unwrap_or_default();
        let target = self
            .routes
            .get(&dcid)
            .or_else(|| self.initial_routes.get(&(remote, dcid)))
            .copied();
        if let Some(index) = target {
            if let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) {
                conn.handle_datagram(now, remote, ecn, datagram);
            }
            self.sync(index);
            return;
        }
        self.handle_unrouted(now, remote, ecn, datagram);
    }

    fn handle_unrouted(&mut self, now: Instant, remote: SocketAddr, ecn: Ecn, datagram: BytesMut) {
        let len = datagram.len();
        let Ok(header) = Header::parse(&datagram, self.cid_len) else {
            return;
        };
        match header {
            Header::Short(h) => {
                let dcid = h.dcid.to_vec();
                self.send_reset(now, remote, &dcid, len);
            }
            Header::Unsupported(h) => {
                // RFC 9000 §6.1, §14.1: only for datagrams that could be a first Initial.
                if self.config.server.is_some() && len >= MIN_INITIAL_SIZE {
                    let (dcid, scid) = (h.dcid.to_vec(), h.scid.to_vec());
                    let mut buf = Vec::new();
                    let mut versions = self.config.versions.clone();
                    // RFC 9000 §6.3: a reserved version keeps clients honest.
                    versions.push(Version(0x1a2a_3a4a));
                    if write_version_negotiation(&mut buf, &mut *self.rng, &dcid, &scid, &versions)
                        .is_ok()
                    {
                        self.stats.version_negotiations =
                            self.stats.version_negotiations.saturating_add(1);
                        self.queue_stateless(remote, buf);
                    }
                } else {
                    self.stats.dropped = self.stats.dropped.saturating_add(1);
                }
            }
            Header::Long(h) if h.ty == LongType::Initial => {
                let version = h.version;
                let dcid = h.dcid.to_vec();
                let scid = h.scid.to_vec();
                let token = h.token.to_vec();
                self.accept(now, remote, ecn, datagram, version, &dcid, &scid, &token);
            }
            _ => self.stats.dropped = self.stats.dropped.saturating_add(1),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        ecn: Ecn,
        datagram: BytesMut,
        version: Version,
        dcid: &[u8],
        scid: &[u8],
        token: &[u8],
    ) {
        let Some(setup) = self.config.server.clone() else {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
            return;
        };
        let too_many = self.live >= self.config.max_connections;
        // RFC 9000 §14.1: a server drops Initials in datagrams below 1200 bytes; §7.2:
        // the client's first Destination Connection ID has at least 8 bytes.
        if datagram.len() < MIN_INITIAL_SIZE
            || dcid.len() < 8
            || too_many
            || !self.config.versions.contains(&version)
        {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
            return;
        }
        let (Ok(dcid), Ok(scid)) = (ConnectionId::new(dcid), ConnectionId::new(scid)) else {
            return;
        };
        let ms = self.token_time(now);
        let Some((validated, original_dcid, retry_scid)) =
            Self::check_token(&setup, token, remote, ms, dcid)
        else {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
            return;
        };
        if setup.retry && !validated {
            self.send_retry(now, remote, version, dcid, scid, &setup);
            return;
        }
        let mut cid_gen = (self.config.cid_generator)();
        let local_cid = cid_gen.generate(&mut *self.rng);
        // RFC 9000 §8.1.3: a token the client may use on its next connection.
        let new_token = setup
            .token_key
            .seal(
                &AddressToken {
                    kind: TokenKind::NewToken,
                    address: remote,
                    issued: ms,
                },
                &mut *self.rng,
            )
            .ok()
            .map(bytes::Bytes::from);
        let handshake = ServerHandshake {
            version,
            remote,
            original_dcid,
            initial_dcid: dcid,
            client_scid: scid,
            local_cid,
            retry_scid,
            address_validated: validated,
            new_token,
        };
        let rng = (self.config.connection_random)(self.rng.next_u64());
        let Ok(conn) = Connection::server(
            now,
            &setup.config,
            handshake,
            rng,
            cid_gen,
            self.config.reset_key.clone(),
        ) else {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
            return;
        };
        let index = self.insert(conn);
        self.routes.insert(local_cid, index);
        self.initial_routes.insert((remote, dcid), index);
        self.stats.accepted = self.stats.accepted.saturating_add(1);
        self.events
            .push_back(EndpointEvent::Incoming(ConnectionHandle(index)));
        if let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) {
            conn.handle_datagram(now, remote, ecn, datagram);
        }
        self.sync(index);
    }

    /// What a client Initial's token says (RFC 9000 §8.1.2, §8.1.3): whether the address
    /// is validated, the original Destination Connection ID and the Retry's Source
    /// Connection ID; `None` to drop the Initial.
    fn check_token(
        setup: &ServerSetup,
        token: &[u8],
        remote: SocketAddr,
        ms: u64,
        dcid: ConnectionId,
    ) -> Option<(bool, ConnectionId, Option<ConnectionId>)> {
        if token.is_empty() {
            return Some((false, dcid, None));
        }
        match setup
            .token_key
            .validate(token, remote, ms, &setup.token_lifetimes)
        {
            Ok(AddressToken {
                kind:
                    TokenKind::Retry {
                        original_dcid,
                        retry_scid,
                    },
                ..
            }) => (retry_scid == dcid).then_some((true, original_dcid, Some(retry_scid))),
            Ok(_) => Some((true, dcid, None)),
            // RFC 9000 §8.1.2 would have us close with INVALID_TOKEN; dropping lets the
            // client time out the same way without connection state.
            Err(
                TokenError::Invalid { claims_retry: true }
                | TokenError::AddressMismatch { retry: true }
                | TokenError::Expired { retry: true },
            ) => None,
            // A stale or foreign NEW_TOKEN token: as if there were none.
            Err(_) => Some((false, dcid, None)),
        }
    }

    fn send_retry(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        version: Version,
        dcid: ConnectionId,
        scid: ConnectionId,
        setup: &ServerSetup,
    ) {
        let retry_scid = (self.config.cid_generator)().generate(&mut *self.rng);
        let token = AddressToken {
            kind: TokenKind::Retry {
                original_dcid: dcid,
                retry_scid,
            },
            address: remote,
            issued: self.token_time(now),
        };
        let Ok(sealed) = setup.token_key.seal(&token, &mut *self.rng) else {
            return;
        };
        let mut buf = Vec::new();
        let unused = u8::try_from(self.rng.next_u32() & 0x0f).unwrap_or(0);
        if write_retry(&mut buf, version, &scid, &retry_scid, &sealed, unused).is_err() {
            return;
        }
        let Ok(tag) = retry_integrity_tag(version, &dcid, &buf) else {
            return;
        };
        buf.extend_from_slice(&tag);
        self.stats.retries = self.stats.retries.saturating_add(1);
        self.queue_stateless(remote, buf);
    }

    /// A stateless reset for a short-header packet of an unknown connection
    /// (RFC 9000 §10.3), within the rate limit.
    fn send_reset(&mut self, now: Instant, remote: SocketAddr, dcid: &[u8], trigger_len: usize) {
        if trigger_len <= MIN_RESET_LEN {
            return;
        }
        let rate = f64::from(self.config.max_resets_per_second);
        if let Some(last) = self.reset_refill {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.reset_tokens = (self.reset_tokens + elapsed * rate).min(rate);
        }
        self.reset_refill = Some(now);
        if self.reset_tokens < 1.0 {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
            return;
        }
        self.reset_tokens -= 1.0;
        let token = self.config.reset_key.token(dcid);
        let mut buf = vec![0u8; trigger_len];
        if let Some(len) = write_stateless_reset(&token, trigger_len, &mut *self.rng, &mut buf) {
            buf.truncate(len);
            self.stats.resets = self.stats.resets.saturating_add(1);
            self.queue_stateless(remote, buf);
        }
    }

    fn queue_stateless(&mut self, remote: SocketAddr, packet: Vec<u8>) {
        if self.stateless.len() < self.config.max_stateless_queue {
            self.stateless.push_back((remote, packet));
        } else {
            self.stats.dropped = self.stats.dropped.saturating_add(1);
        }
    }

    /// Applies a connection's routing changes and removes it once closed.
    fn sync(&mut self, index: usize) {
        let Some(slot) = self.conns.get_mut(index) else {
            return;
        };
        let Some(conn) = slot.as_mut() else { return };
        while let Some(change) = conn.poll_routing_change() {
            match change {
                RoutingChange::Added(cid) => {
                    self.routes.insert(cid, index);
                }
                RoutingChange::Removed(cid) => {
                    self.routes.remove(&cid);
                }
            }
        }
        // A closed connection stays until its user took its last events (the reason).
        if conn.is_closed() && !conn.has_events() {
            *slot = None;
            self.routes.retain(|_, &mut i| i != index);
            self.initial_routes.retain(|_, &mut i| i != index);
            self.free.push(index);
            self.live = self.live.saturating_sub(1);
            self.events
                .push_back(EndpointEvent::Removed(ConnectionHandle(index)));
        }
    }

    /// The next datagram(s) to send: stateless packets first, then connections in turn.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some((destination, packet)) = self.stateless.pop_front() {
            buf.clear();
            buf.extend_from_slice(&packet);
            return Some(Transmit {
                destination,
                ecn: Ecn::NotEct,
                size: packet.len(),
                segment_size: None,
                send_time: now,
            });
        }
        let n = self.conns.len();
        for k in 0..n {
            let index = self.next.saturating_add(k).checked_rem(n).unwrap_or(0);
            let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if conn.is_closed() {
                self.sync(index);
                continue;
            }
            if let Some(t) = conn.poll_transmit(now, buf) {
                self.next = index.saturating_add(1);
                self.sync(index);
                return Some(t);
            }
        }
        None
    }

    /// The earliest timer of any connection.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conns
            .iter()
            .flatten()
            .filter_map(Connection::poll_timeout)
            .min()
    }

    /// Fires due timers and removes connections that ended.
    pub fn handle_timeout(&mut self, now: Instant) {
        for index in 0..self.conns.len() {
            if let Some(conn) = self.conns.get_mut(index).and_then(Option::as_mut)
                && conn.poll_timeout().is_some_and(|t| t <= now)
            {
                conn.handle_timeout(now);
                self.sync(index);
            }
        }
    }

    /// Gives every connection a chance to act on application calls made through
    /// [`Endpoint::connection_mut`] (routing changes, removal).
    pub fn sync_all(&mut self) {
        for index in 0..self.conns.len() {
            self.sync(index);
        }
    }

    /// How long a Retry token stays valid.
    pub fn retry_lifetime(&self) -> Option<Duration> {
        let setup = self.config.server.as_ref()?;
        Some(Duration::from_millis(setup.token_lifetimes.retry))
    }
}
