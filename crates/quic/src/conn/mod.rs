//! The QUIC connection (RFC 9000, RFC 9001, RFC 9002, RFC 9221), sans-IO.
//!
//! A [`Connection`] consumes datagrams ([`Connection::handle_datagram`]), produces them
//! ([`Connection::poll_transmit`]), keeps its timers through
//! [`Connection::poll_timeout`] / [`Connection::handle_timeout`] and reports what
//! happened through [`Connection::poll_event`]. Streams and datagrams are read and
//! written through its methods; writes return how much was accepted. Time comes from the
//! caller, randomness from the generator it was given.
//!
//! It assembles the building blocks of this crate: packets ([`crate::packet`]) and
//! frames ([`crate::frame`]), protection and TLS ([`crate::crypto`]), received-packet
//! tracking and loss recovery ([`crate::recovery`]), streams ([`crate::stream`]),
//! connection IDs ([`crate::cids`]) and datagrams ([`crate::datagram`]).
//!
//! - `recv`: opening packets and acting on their frames;
//! - `send`: choosing frames and building, padding and protecting datagrams;
//! - `handshake`: the TLS session's events, transport parameters and key discarding.
//! - `fuzzing` (tests and the `fuzzing` feature only): a fixed-certificate in-memory
//!   handshake and frame injection past packet protection, for fuzz targets and limit
//!   tests.

mod config;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod handshake;
mod recv;
mod send;
mod space;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

pub use config::{ClientConfig, Congestion, TransportConfig};

use self::space::{PacketSpace, SentFrames, Spaces};
use crate::cids::{LocalCids, RemoteCids, RoutingChange};
use crate::crypto::{OneRttKeys, TlsSession, initial_keys};
use crate::datagram::{DatagramError, Datagrams};
use crate::ecn::Ecn;
use crate::frame::ConnectionClose;
use crate::recovery::{Controller, Cubic, NewReno, Recovery, SentPacket};
use crate::reset::ResetKey;
use crate::stream::{Dir, Priority, Read, StreamError, StreamEvent, StreamId, Streams};
use crate::transport_params::TransportParameters;
use crate::{
    Code, ConnectionId, ConnectionIdGenerator, Level, Side, Space, TransportError, Version,
};
use stator_wire::rand::Random;

/// The smallest datagram a client's Initial travels in, and the smallest a path must
/// carry (RFC 9000 §14.1).
pub const MIN_INITIAL_SIZE: usize = 1200;

/// What the connection tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: ALPN and the peer's transport parameters are known.
    Connected,
    /// The handshake is confirmed (RFC 9001 §4.1.2).
    HandshakeConfirmed,
    /// Something happened on a stream.
    Stream(StreamEvent),
    /// A datagram arrived; take it with [`Connection::recv_datagram`].
    DatagramReceived,
    /// The server sent a token for a later connection (RFC 9000 §8.1.3, client only).
    NewToken(Bytes),
    /// The connection is closing or closed; no event follows.
    Closed(CloseReason),
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed it with a transport error (`CONNECTION_CLOSE` type 0x1c).
    PeerTransport {
        /// The error code.
        code: Code,
        /// The frame type that caused it (0: none).
        frame_type: u64,
        /// The reason phrase.
        reason: Bytes,
    },
    /// The peer's application closed it (`CONNECTION_CLOSE` type 0x1d).
    PeerApplication {
        /// The application's error code.
        code: u64,
        /// The reason phrase.
        reason: Bytes,
    },
    /// This endpoint closed it because the peer broke the protocol (or TLS failed).
    Transport(TransportError),
    /// The application closed it with [`Connection::close`].
    Local {
        /// The application's error code.
        code: u64,
        /// The reason phrase.
        reason: Bytes,
    },
    /// Nothing arrived for the idle timeout (RFC 9000 §10.1).
    IdleTimeout,
    /// The peer sent a stateless reset (RFC 9000 §10.3).
    StatelessReset,
    /// The server supports none of our versions (RFC 9000 §6.2).
    VersionNegotiation,
}

/// A datagram (or a batch of equal-sized datagrams) to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where it goes.
    pub destination: SocketAddr,
    /// The ECN codepoint to mark it with.
    pub ecn: Ecn,
    /// The bytes written to the caller's buffer.
    pub size: usize,
    /// With several datagrams in the buffer: each is this long but the last, which may
    /// be shorter (a GSO batch). `None`: one datagram.
    pub segment_size: Option<usize>,
    /// When to send it (pacing, RFC 9002 §7.7): never before this.
    pub send_time: Instant,
}

/// The lifecycle of a connection (RFC 9000 §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshaking,
    Established,
    /// We sent `CONNECTION_CLOSE`; answer packets with it until `until` (§10.2.1).
    Closing {
        until: Instant,
    },
    /// The peer closed (or reset): send nothing until `until` (§10.2.2).
    Draining {
        until: Instant,
    },
    Closed,
}

/// The handshake facts a server connection is created with (the endpoint knows them
/// from the client's first Initial, and from the Retry token if there was one).
#[derive(Debug, Clone)]
pub struct ServerHandshake {
    /// The version of the client's Initial.
    pub version: Version,
    /// The client's address.
    pub remote: SocketAddr,
    /// The Destination Connection ID of the client's very first Initial (before any
    /// Retry).
    pub original_dcid: ConnectionId,
    /// The Destination Connection ID of the Initial that creates the connection: the
    /// Initial keys derive from it.
    pub initial_dcid: ConnectionId,
    /// The client's Source Connection ID.
    pub client_scid: ConnectionId,
    /// Our connection ID, the Source Connection ID of our packets.
    pub local_cid: ConnectionId,
    /// The Source Connection ID of the Retry the client answered, if any.
    pub retry_scid: Option<ConnectionId>,
    /// Whether the client's address is validated already (a valid token).
    pub address_validated: bool,
    /// A token for the client's next connection, sent in `NEW_TOKEN` once the handshake
    /// is confirmed (RFC 9000 §8.1.3).
    pub new_token: Option<Bytes>,
}

/// What a server connection needs besides the handshake facts.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// TLS 1.3 settings with the certificate and the ALPN protocols served.
    pub tls: std::sync::Arc<rustls::ServerConfig>,
    /// Transport settings.
    pub transport: std::sync::Arc<TransportConfig>,
}

/// A QUIC connection, either side.
#[allow(clippy::struct_excessive_bools)] // Independent flags of the handshake and timers.
pub struct Connection {
    side: Side,
    version: Version,
    config: std::sync::Arc<TransportConfig>,
    state: State,
    remote: SocketAddr,
    tls: TlsSession,
    rng: Box<dyn Random + Send>,
    cid_gen: Box<dyn ConnectionIdGenerator>,
    spaces: Spaces,
    one_rtt: Option<Box<OneRttKeys>>,
    keys: KeyPhase,
    recovery: Recovery<SentFrames>,
    streams: Streams,
    datagrams: Datagrams,
    local_cids: LocalCids,
    remote_cids: RemoteCids,
    /// The client's first Destination Connection ID (for transport-parameter checks and
    /// Retry).
    original_dcid: ConnectionId,
    /// The Source Connection ID of our first Initial.
    initial_scid: ConnectionId,
    retry_scid: Option<ConnectionId>,
    /// The peer's Source Connection ID from its first packet (checked against its
    /// transport parameters; a client ignores later packets with another one).
    peer_initial_scid: Option<ConnectionId>,
    /// The token our Initial packets carry (client).
    token: Bytes,
    peer_params: Option<TransportParameters>,
    handshake_confirmed: bool,
    /// Server: `HANDSHAKE_DONE` still to be sent (or re-sent after loss).
    handshake_done_pending: bool,
    /// Server: the token for the client's next connection, and whether it is (again)
    /// to be sent.
    new_token: Option<Bytes>,
    new_token_pending: bool,
    /// Anti-amplification (RFC 9000 §8.1): a server sends at most 3× what it received
    /// from an unvalidated address.
    address_validated: bool,
    bytes_received: u64,
    bytes_sent: u64,
    /// A client got a valid packet from the server: Retry and Version Negotiation are
    /// ignored from then on.
    received_server_packet: bool,
    /// Negotiated idle timeout (RFC 9000 §10.1).
    idle_timeout: Option<Duration>,
    idle_deadline: Option<Instant>,
    /// Whether an ack-eliciting packet was sent since the last packet received (the idle
    /// timer restarts only at the first such, §10.1).
    sent_eliciting_since_recv: bool,
    last_eliciting_sent: Option<Instant>,
    ping_pending: bool,
    path_response: Option<[u8; 8]>,
    pacing_until: Option<Instant>,
    /// The pacer's send time for the datagram being built.
    pace_at: Instant,
    close_frame: Option<ConnectionClose>,
    close_pending: bool,
    close_reason: Option<CloseReason>,
    events: VecDeque<Event>,
    /// Packets that arrived before their keys (RFC 9001 §5.7).
    buffered: VecDeque<(Level, Ecn, BytesMut)>,
    /// Reused scratch for acknowledged and lost packets.
    acked_scratch: Vec<SentPacket<SentFrames>>,
    lost_scratch: Vec<(Space, SentPacket<SentFrames>)>,
    /// Reused scratch for the stream records of the packet being written (moved into
    /// its `SentFrames` without allocating, see `StreamsSent`).
    sent_streams: Vec<crate::stream::Sent>,
    max_datagram_size: usize,
}

/// 1-RTT key phase bookkeeping (RFC 9001 §6).
#[derive(Debug, Default, Clone, Copy)]
struct KeyPhase {
    /// The first packet number we sent in the current phase.
    first_sent: u64,
    /// Whether a packet of the current phase was acknowledged: only then may we update
    /// again (RFC 9001 §6.1).
    acked_in_phase: bool,
    /// The first packet number received in the current phase, if any yet.
    first_received: Option<u64>,
    /// When the previous phase's read keys go (RFC 9001 §6.5: 3×PTO).
    discard_previous_at: Option<Instant>,
    /// Key updates done, both directions.
    updates: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("side", &self.side)
            .field("version", &self.version)
            .field("state", &self.state)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

/// Why a connection could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// rustls refused the configuration (no TLS 1.3, no QUIC suite, ...).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The Initial keys could not be made (unsupported version).
    #[error("initial keys: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
    /// Our own transport parameters did not encode.
    #[error("transport parameters: {0}")]
    Params(#[from] stator_wire::Error),
}

fn controller(kind: Congestion, max_datagram_size: u64) -> Box<dyn Controller> {
    match kind {
        Congestion::NewReno => Box::new(NewReno::new(max_datagram_size)),
        Congestion::Cubic => Box::new(Cubic::new(max_datagram_size)),
    }
}

impl Connection {
    /// A client connection to `remote`, its first flight ready to be polled.
    ///
    /// `rng` draws connection IDs and the reset key; `cid_gen` makes our connection IDs
    /// (its length is what short headers sent to us carry).
    pub fn client(
        now: Instant,
        config: &ClientConfig,
        remote: SocketAddr,
        mut rng: Box<dyn Random + Send>,
        mut cid_gen: Box<dyn ConnectionIdGenerator>,
    ) -> Result<Connection, ConnectError> {
        // RFC 9000 §7.2: an unpredictable Destination Connection ID of at least 8 bytes.
        let dcid = ConnectionId::random(&mut *rng, 16);
        let scid = cid_gen.generate(&mut *rng);
        let reset_key = ResetKey::random(&mut *rng);
        let transport = config.transport.clone();
        let params = local_params(&transport, Side::Client, scid, None, None, None);
        let local_cids = LocalCids::new(scid, reset_key, transport.max_local_cids);
        let tls = TlsSession::client(
            config.tls.clone(),
            config.version,
            config.server_name.clone(),
            config.alpn.clone(),
            params.to_bytes()?,
        )?;
        let keys = initial_keys(config.version, &dcid, Side::Client)?;
        let mut conn = Connection::new(
            Side::Client,
            config.version,
            transport,
            remote,
            tls,
            rng,
            cid_gen,
            local_cids,
            dcid,
            scid,
            dcid,
            now,
        );
        conn.token = config.token.clone().map(Bytes::from).unwrap_or_default();
        conn.spaces[Space::Initial].keys = Some(keys);
        conn.process_tls(now);
        Ok(conn)
    }

    /// A server connection for a client's first Initial (the endpoint then hands it that
    /// datagram). `reset_key` is the endpoint's, shared by all its connections.
    pub fn server(
        now: Instant,
        config: &ServerConfig,
        handshake: ServerHandshake,
        rng: Box<dyn Random + Send>,
        cid_gen: Box<dyn ConnectionIdGenerator>,
        reset_key: ResetKey,
    ) -> Result<Connection, ConnectError> {
        let transport = config.transport.clone();
        let local_cids = LocalCids::new(handshake.local_cid, reset_key, transport.max_local_cids);
        let params = local_params(
            &transport,
            Side::Server,
            handshake.local_cid,
            Some(handshake.original_dcid),
            handshake.retry_scid,
            Some(local_cids.initial_reset_token()),
        );
        let tls = TlsSession::server(config.tls.clone(), handshake.version, params.to_bytes()?)?;
        let keys = initial_keys(handshake.version, &handshake.initial_dcid, Side::Server)?;
        let mut conn = Connection::new(
            Side::Server,
            handshake.version,
            transport,
            handshake.remote,
            tls,
            rng,
            cid_gen,
            local_cids,
            handshake.client_scid,
            handshake.local_cid,
            handshake.original_dcid,
            now,
        );
        conn.retry_scid = handshake.retry_scid;
        conn.new_token = handshake.new_token;
        conn.peer_initial_scid = Some(handshake.client_scid);
        conn.address_validated = handshake.address_validated;
        // Recovery's anti-deadlock rules are the client's (RFC 9002 §6.2.2.1).
        conn.recovery.set_peer_address_validated();
        conn.spaces[Space::Initial].keys = Some(keys);
        Ok(conn)
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        side: Side,
        version: Version,
        config: std::sync::Arc<TransportConfig>,
        remote: SocketAddr,
        tls: TlsSession,
        rng: Box<dyn Random + Send>,
        cid_gen: Box<dyn ConnectionIdGenerator>,
        local_cids: LocalCids,
        dcid: ConnectionId,
        initial_scid: ConnectionId,
        original_dcid: ConnectionId,
        now: Instant,
    ) -> Connection {
        let mds = config.max_datagram_size.max(MIN_INITIAL_SIZE);
        let spaces = Spaces {
            initial: PacketSpace::new(&config, Duration::ZERO),
            handshake: PacketSpace::new(&config, Duration::ZERO),
            data: PacketSpace::new(&config, config.max_ack_delay),
        };
        let recovery = Recovery::new(
            config.initial_rtt,
            mds as u64,
            controller(config.congestion, mds as u64),
        );
        let idle_timeout = config.idle_timeout;
        Connection {
            side,
            version,
            state: State::Handshaking,
            remote,
            tls,
            rng,
            cid_gen,
            spaces,
            one_rtt: None,
            keys: KeyPhase::default(),
            recovery,
            streams: Streams::new(side, config.streams.clone()),
            datagrams: Datagrams::new(config.datagrams.clone()),
            local_cids,
            remote_cids: RemoteCids::new(
                dcid,
                config.active_connection_id_limit,
                config.max_pending_retires,
            ),
            original_dcid,
            initial_scid,
            retry_scid: None,
            peer_initial_scid: None,
            token: Bytes::new(),
            peer_params: None,
            handshake_confirmed: false,
            handshake_done_pending: false,
            new_token: None,
            new_token_pending: false,
            address_validated: side == Side::Client,
            bytes_received: 0,
            bytes_sent: 0,
            received_server_packet: false,
            idle_timeout,
            idle_deadline: idle_timeout.map(|t| after(now, t)),
            sent_eliciting_since_recv: false,
            last_eliciting_sent: None,
            ping_pending: false,
            path_response: None,
            pacing_until: None,
            pace_at: now,
            close_frame: None,
            close_pending: false,
            close_reason: None,
            events: VecDeque::new(),
            buffered: VecDeque::new(),
            acked_scratch: Vec::new(),
            lost_scratch: Vec::new(),
            sent_streams: Vec::new(),
            max_datagram_size: mds,
            config,
        }
    }

    /// Which side this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The peer's address.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    /// The QUIC version in use.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The negotiated application protocol, once known.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.tls.alpn()
    }

    /// The peer's transport parameters, once the handshake completed.
    pub fn peer_params(&self) -> Option<&TransportParameters> {
        self.peer_params.as_ref()
    }

    /// Whether the handshake completed.
    pub fn is_connected(&self) -> bool {
        self.tls.is_complete() && self.close_reason.is_none()
    }

    /// Whether the handshake is confirmed (RFC 9001 §4.1.2).
    pub fn is_handshake_confirmed(&self) -> bool {
        self.handshake_confirmed
    }

    /// Whether the connection is closing or draining: no more application data moves.
    pub fn is_closing(&self) -> bool {
        matches!(
            self.state,
            State::Closing { .. } | State::Draining { .. } | State::Closed
        )
    }

    /// Whether the connection is gone for good (after closing or draining); the
    /// endpoint forgets it.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Why it closed, once it is closing.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.close_reason.as_ref()
    }

    /// The RTT estimator (smoothed, min, variance).
    pub fn rtt(&self) -> &crate::recovery::RttEstimator {
        self.recovery.rtt()
    }

    /// The congestion window in bytes.
    pub fn congestion_window(&self) -> u64 {
        self.recovery.window()
    }

    /// Bytes sent and not yet acknowledged or declared lost.
    pub fn bytes_in_flight(&self) -> u64 {
        self.recovery.bytes_in_flight()
    }

    /// UDP payload bytes received and sent so far.
    pub fn bytes_counted(&self) -> (u64, u64) {
        (self.bytes_received, self.bytes_sent)
    }

    /// 1-RTT key updates done so far (either side starting them).
    pub fn key_updates(&self) -> u64 {
        self.keys.updates
    }

    /// The connection ID we currently send to.
    pub fn remote_cid(&self) -> &ConnectionId {
        self.remote_cids.current()
    }

    /// Our connection IDs the peer may send to.
    pub fn local_cids(&self) -> impl Iterator<Item = &ConnectionId> {
        self.local_cids.active()
    }

    /// The next change to our connection IDs for the endpoint's routing table.
    pub fn poll_routing_change(&mut self) -> Option<RoutingChange> {
        self.local_cids.poll_routing_change()
    }

    /// Whether connection-level events wait (stream events aside).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        if self.close_reason.is_some() {
            return None;
        }
        let event = self.streams.poll_event()?;
        Some(Event::Stream(event))
    }

    // ----- streams -----

    /// Opens a stream; `None` at the peer's stream limit (an
    /// [`StreamEvent::Available`] event says when to try again).
    pub fn open_stream(&mut self, dir: Dir) -> Option<StreamId> {
        if self.is_closing() {
            return None;
        }
        self.streams.open(dir)
    }

    /// Writes to a stream; returns how much was accepted (a
    /// [`StreamEvent::Writable`] event says when more room frees).
    pub fn stream_write(&mut self, id: StreamId, data: &Bytes) -> Result<usize, StreamError> {
        self.streams.write(id, data)
    }

    /// Ends a stream after what was written.
    pub fn stream_finish(&mut self, id: StreamId) -> Result<(), StreamError> {
        self.streams.finish(id)
    }

    /// Reads up to `max` bytes of a stream, in order.
    pub fn stream_read(&mut self, id: StreamId, max: usize) -> Result<Read, StreamError> {
        self.streams.read(id, max)
    }

    /// Abandons sending on a stream (`RESET_STREAM` with `code`).
    pub fn stream_reset(&mut self, id: StreamId, code: u64) -> Result<(), StreamError> {
        self.streams.reset(id, code)
    }

    /// Asks the peer to stop sending on a stream (`STOP_SENDING` with `code`).
    pub fn stream_stop(&mut self, id: StreamId, code: u64) -> Result<(), StreamError> {
        self.streams.stop_sending(id, code)
    }

    /// Sets a stream's priority.
    pub fn set_priority(&mut self, id: StreamId, priority: Priority) -> Result<(), StreamError> {
        self.streams.set_priority(id, priority)
    }

    /// Streams held.
    pub fn stream_count(&self) -> usize {
        self.streams.count()
    }

    // ----- datagrams -----

    /// The largest datagram [`Connection::send_datagram`] takes now, `None` when the peer
    /// does not accept datagrams.
    pub fn max_datagram_size(&self) -> Option<usize> {
        self.datagrams.max_send_size(self.max_packet_payload())
    }

    /// Queues an unreliable datagram (RFC 9221).
    pub fn send_datagram(&mut self, data: Bytes) -> Result<(), DatagramError> {
        let room = self.max_packet_payload();
        self.datagrams.send(data, room)
    }

    /// The next datagram received.
    pub fn recv_datagram(&mut self) -> Option<Bytes> {
        self.datagrams.recv()
    }

    /// The room for frames in one 1-RTT packet of the current path.
    fn max_packet_payload(&self) -> usize {
        // Short header: first byte, the peer's connection ID, up to 4 packet-number
        // bytes; the AEAD tag.
        self.max_datagram_size
            .saturating_sub(self.remote_cids.current().len().saturating_add(1 + 4 + 16))
    }

    // ----- control -----

    /// Closes the connection with an application error code and reason
    /// (`CONNECTION_CLOSE` type 0x1d; RFC 9000 §10.2).
    pub fn close(&mut self, now: Instant, code: u64, reason: &[u8]) {
        if self.is_closing() {
            return;
        }
        let reason = Bytes::copy_from_slice(reason);
        self.start_closing(
            now,
            ConnectionClose {
                error_code: code,
                frame_type: None,
                reason: reason.clone(),
            },
            CloseReason::Local { code, reason },
        );
    }

    /// Sends a PING now (ack-eliciting; keeps the peer's idle timer fresh).
    pub fn ping(&mut self) {
        self.ping_pending = true;
    }

    /// Starts a 1-RTT key update (RFC 9001 §6). Only allowed once the handshake is
    /// confirmed and a packet of the current phase was acknowledged; returns whether it
    /// started.
    pub fn force_key_update(&mut self) -> bool {
        if !self.handshake_confirmed || !self.keys.acked_in_phase || self.is_closing() {
            return false;
        }
        let Some(keys) = self.one_rtt.as_mut() else {
            return false;
        };
        if keys.previous_remote().is_some() {
            // The previous update's old keys are still held: too early (§6.5).
            return false;
        }
        keys.update();
        self.keys = KeyPhase {
            first_sent: self.spaces[Space::Data].next_pn,
            acked_in_phase: false,
            first_received: None,
            discard_previous_at: None,
            updates: self.keys.updates.saturating_add(1),
        };
        true
    }

    /// Retires every connection ID we issued and issues fresh ones, and switches to a
    /// fresh ID of the peer's if one is spare (RFC 9000 §5.1).
    pub fn rotate_connection_ids(&mut self) -> bool {
        if self.state != State::Established {
            return false;
        }
        self.local_cids.rotate(&mut *self.cid_gen, &mut *self.rng);
        self.remote_cids.rotate()
    }

    /// When [`Connection::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => return None,
            State::Closing { until } | State::Draining { until } => return Some(until),
            State::Handshaking | State::Established => {}
        }
        let mut at = self.idle_deadline;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        consider(self.recovery.timeout());
        for space in self.spaces.iter() {
            if space.can_send() {
                consider(space.received.ack_deadline());
            }
        }
        consider(self.pacing_until);
        consider(self.keys.discard_previous_at);
        consider(self.keep_alive_at());
        at
    }

    fn keep_alive_at(&self) -> Option<Instant> {
        let interval = self.config.keep_alive?;
        if self.state != State::Established {
            return None;
        }
        Some(after(self.last_eliciting_sent?, interval))
    }

    /// The time from [`Connection::poll_timeout`] came.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => return,
            State::Closing { until } | State::Draining { until } => {
                if now >= until {
                    self.state = State::Closed;
                }
                return;
            }
            State::Handshaking | State::Established => {}
        }
        if self.idle_deadline.is_some_and(|t| now >= t) {
            // RFC 9000 §10.1: silently closed.
            self.set_reason(CloseReason::IdleTimeout);
            self.state = State::Closed;
            return;
        }
        if self.pacing_until.is_some_and(|t| now >= t) {
            self.pacing_until = None;
        }
        if self.keys.discard_previous_at.is_some_and(|t| now >= t) {
            self.keys.discard_previous_at = None;
            if let Some(keys) = self.one_rtt.as_mut() {
                keys.discard_previous();
            }
        }
        if self.keep_alive_at().is_some_and(|t| now >= t) {
            self.ping_pending = true;
            self.last_eliciting_sent = Some(now);
        }
        if self.recovery.timeout().is_some_and(|t| now >= t) {
            let mut lost = std::mem::take(&mut self.lost_scratch);
            let probe = self
                .recovery
                .on_timeout(now, |space, packet| lost.push((space, packet)));
            for (space, packet) in lost.drain(..) {
                self.on_packet_lost(space, &packet.frames);
            }
            self.lost_scratch = lost;
            if let Some(probe) = probe {
                let (space, count) = space::probe_target(probe);
                let sp = &mut self.spaces[space];
                sp.probes = count;
                // RFC 9002 §6.2.4: probes carry the data the peer may lack; in the
                // handshake spaces that is every unacknowledged CRYPTO byte.
                if space == Space::Data {
                    // Elsewhere, the oldest packet's data goes again (it may be the one
                    // lost; the original's ack, if it comes, is harmless).
                    if let Some(frames) = self
                        .recovery
                        .oldest_unacked(space)
                        .map(|p| p.frames.clone())
                    {
                        self.on_packet_lost(space, &frames);
                    }
                } else {
                    sp.crypto_send.retransmit_unacked();
                }
            }
        }
    }

    /// Enters the closing state (RFC 9000 §10.2.1) sending `frame`.
    fn start_closing(&mut self, now: Instant, frame: ConnectionClose, reason: CloseReason) {
        let until = after(now, self.three_pto());
        self.state = State::Closing { until };
        self.close_frame = Some(frame);
        self.close_pending = true;
        self.set_reason(reason);
    }

    /// Closes because of a protocol error of the peer's.
    fn fail(&mut self, now: Instant, error: TransportError) {
        if self.is_closing() {
            return;
        }
        let frame = ConnectionClose::from_error(&error);
        self.start_closing(now, frame, CloseReason::Transport(error));
    }

    /// Enters the draining state (RFC 9000 §10.2.2).
    fn start_draining(&mut self, now: Instant, reason: CloseReason) {
        let until = after(now, self.three_pto());
        self.state = State::Draining { until };
        self.close_pending = false;
        self.set_reason(reason);
    }

    fn set_reason(&mut self, reason: CloseReason) {
        if self.close_reason.is_none() {
            self.events.push_back(Event::Closed(reason.clone()));
            self.close_reason = Some(reason);
        }
    }

    fn three_pto(&self) -> Duration {
        self.recovery.pto().saturating_mul(3)
    }

    /// Called for each packet the peer acknowledged: what it carried is delivered.
    fn on_packet_acked(&mut self, space: Space, packet: SentPacket<SentFrames>) {
        if space == Space::Data && packet.pn >= self.keys.first_sent {
            self.keys.acked_in_phase = true;
        }
        let frames = packet.frames;
        let sp = &mut self.spaces[space];
        if let Some(largest) = frames.ack_largest {
            sp.received.on_ack_acked(largest);
        }
        for &(offset, len) in &frames.crypto {
            sp.crypto_send.on_ack(offset, len, false);
        }
        for sent in &frames.streams {
            self.streams.on_acked(sent);
        }
        for sent in &frames.local_cids {
            self.local_cids.on_acked(sent);
        }
        for sent in &frames.remote_cids {
            self.remote_cids.on_acked(sent);
        }
    }

    /// Called for each packet declared lost: what it carried is sent again if still
    /// needed.
    fn on_packet_lost(&mut self, space: Space, frames: &SentFrames) {
        let sp = &mut self.spaces[space];
        for &(offset, len) in &frames.crypto {
            sp.crypto_send.on_lost(offset, len, false);
        }
        for sent in &frames.streams {
            self.streams.on_lost(sent);
        }
        for sent in &frames.local_cids {
            self.local_cids.on_lost(sent);
        }
        for sent in &frames.remote_cids {
            self.remote_cids.on_lost(sent);
        }
        if frames.handshake_done {
            // Idempotent: sent again even if a later copy was acknowledged.
            self.handshake_done_pending = true;
        }
        if frames.new_token {
            self.new_token_pending = true;
        }
    }
}

/// `now + d`, or `now` if that is beyond what `Instant` holds.
fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d).unwrap_or(now)
}

/// Our transport parameters (RFC 9000 §18.2).
fn local_params(
    config: &TransportConfig,
    side: Side,
    scid: ConnectionId,
    original_dcid: Option<ConnectionId>,
    retry_scid: Option<ConnectionId>,
    reset_token: Option<crate::ResetToken>,
) -> TransportParameters {
    let streams = &config.streams;
    TransportParameters {
        original_destination_connection_id: original_dcid.filter(|_| side == Side::Server),
        max_idle_timeout: config
            .idle_timeout
            .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        stateless_reset_token: reset_token.filter(|_| side == Side::Server),
        max_udp_payload_size: 65527,
        initial_max_data: streams.conn_window,
        initial_max_stream_data_bidi_local: streams.stream_window,
        initial_max_stream_data_bidi_remote: streams.stream_window,
        initial_max_stream_data_uni: streams.stream_window,
        initial_max_streams_bidi: streams.max_remote_bidi,
        initial_max_streams_uni: streams.max_remote_uni,
        ack_delay_exponent: config.ack_delay_exponent,
        max_ack_delay: u64::try_from(config.max_ack_delay.as_millis()).unwrap_or(u64::MAX),
        disable_active_migration: true,
        preferred_address: None,
        active_connection_id_limit: config.active_connection_id_limit.max(2),
        initial_source_connection_id: Some(scid),
        retry_source_connection_id: retry_scid.filter(|_| side == Side::Server),
        max_datagram_frame_size: config.datagrams.max_frame_size,
        reset_stream_at: false,
    }
}

#[cfg(test)]
mod limits;
#[cfg(test)]
mod tests;
