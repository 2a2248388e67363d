//! stator-quic endpoints in the deterministic simulated network (stator-sim): handshakes
//! under loss, bulk transfer under loss, reordering and duplication, many streams, flow
//! control, idle timeout, close codes, datagrams, CID rotation, the amplification limit,
//! Retry, both congestion controllers, and goodput on a clean 100 Mbit/s path.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    missing_docs
)]

mod common;

use std::any::Any;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rustls::pki_types::ServerName;
use stator_quic::conn::{
    ClientConfig, CloseReason, Congestion, Connection, Event, ServerConfig, TransportConfig,
};
use stator_quic::endpoint::{ConnectionHandle, Endpoint, EndpointConfig, ServerSetup};
use stator_quic::stream::{Dir, Read, StreamEvent, StreamId};
use stator_quic::{Ecn, ResetKey, TokenKey, TokenLifetimes};
use stator_sim::{LinkConfig, Outcome, Sim, Transmit};
use stator_wire::rand::SeededRandom;

const CLIENT: &str = "10.0.0.1:50000";
const SERVER: &str = "10.0.0.2:443";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What runs on a node each time it wakes.
trait App: Any {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint);
    /// When the app wants to be woken even if nothing arrives.
    fn next_wake(&self) -> Option<Instant> {
        None
    }
}

/// One QUIC endpoint on a simulated host.
struct Node {
    endpoint: Endpoint,
    app: Box<dyn App>,
    out: VecDeque<(SocketAddr, Bytes)>,
    buf: Vec<u8>,
}

impl Node {
    fn app<A: App>(&self) -> &A {
        (self.app.as_ref() as &dyn Any).downcast_ref::<A>().unwrap()
    }
}

impl stator_sim::Endpoint for Node {
    fn handle_datagram(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        local: SocketAddr,
        bytes: Bytes,
    ) {
        self.endpoint
            .handle_datagram(now, remote, local, Ecn::NotEct, BytesMut::from(&bytes[..]));
        self.app.wake(now, &mut self.endpoint);
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.out.is_empty() {
            self.app.wake(now, &mut self.endpoint);
            if let Some(t) = self.endpoint.poll_transmit(now, &mut self.buf) {
                let seg = t.segment_size.unwrap_or(t.size);
                for d in self.buf[..t.size].chunks(seg) {
                    self.out
                        .push_back((t.destination, Bytes::copy_from_slice(d)));
                }
            }
        }
        let (destination, bytes) = self.out.pop_front()?;
        Some(Transmit { destination, bytes })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        [self.endpoint.poll_timeout(), self.app.next_wake()]
            .into_iter()
            .flatten()
            .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.app.wake(now, &mut self.endpoint);
    }
}

struct Setup {
    client: ClientConfig,
    server: ServerConfig,
}

fn setup(transport: TransportConfig) -> Setup {
    let certs = common::certs();
    let transport = Arc::new(transport);
    let mut client = ClientConfig::new(
        Arc::new(common::client_config(&certs, false)),
        ServerName::try_from("localhost").unwrap(),
        vec![b"sim".to_vec()],
    );
    client.transport = transport.clone();
    let server = ServerConfig {
        tls: Arc::new(common::server_config(&certs, &[b"sim"], false)),
        transport,
    };
    Setup { client, server }
}

fn server_endpoint(setup: &Setup, retry: bool, seed: u64) -> Endpoint {
    let mut config = EndpointConfig::new(ResetKey::new(b"server reset key")).seeded();
    config.server = Some(ServerSetup {
        config: setup.server.clone(),
        retry,
        token_key: Arc::new(TokenKey::new(&[5; 32])),
        token_lifetimes: TokenLifetimes::default(),
    });
    Endpoint::new(config, Box::new(SeededRandom::new(seed)))
}

fn client_endpoint(seed: u64) -> Endpoint {
    let config = EndpointConfig::new(ResetKey::new(b"client reset key")).seeded();
    Endpoint::new(config, Box::new(SeededRandom::new(seed)))
}

/// A world of one client and one server joined by `link` both ways.
struct World {
    sim: Sim,
    client: SocketAddr,
    server: SocketAddr,
}

impl World {
    fn new<C: App, S: App>(
        seed: u64,
        setup: &Setup,
        retry: bool,
        link: LinkConfig,
        client_app: C,
        server_app: S,
    ) -> World {
        let (client, server) = (addr(CLIENT), addr(SERVER));
        let mut sim = Sim::new(seed);
        let mut client_ep = client_endpoint(seed ^ 1);
        client_ep.connect(sim.now(), &setup.client, server).unwrap();
        sim.add_node(
            client,
            Node {
                endpoint: client_ep,
                app: Box::new(client_app),
                out: VecDeque::new(),
                buf: Vec::new(),
            },
        );
        sim.add_node(
            server,
            Node {
                endpoint: server_endpoint(setup, retry, seed ^ 2),
                app: Box::new(server_app),
                out: VecDeque::new(),
                buf: Vec::new(),
            },
        );
        sim.link_both(client, server, link);
        World {
            sim,
            client,
            server,
        }
    }

    fn client_app<A: App>(&self) -> &A {
        self.sim.node::<Node>(self.client).unwrap().app::<A>()
    }

    fn server_app<A: App>(&self) -> &A {
        self.sim.node::<Node>(self.server).unwrap().app::<A>()
    }

    fn client_conn(&self) -> &Connection {
        let node = self.sim.node::<Node>(self.client).unwrap();
        node.endpoint.connection(ConnectionHandle(0)).unwrap()
    }

    fn server_endpoint(&self) -> &Endpoint {
        &self.sim.node::<Node>(self.server).unwrap().endpoint
    }
}

/// Both congestion controllers: every scenario runs under each.
const CONTROLLERS: [Congestion; 2] = [Congestion::Cubic, Congestion::NewReno];

/// The default transport settings with `congestion`.
fn with_controller(congestion: Congestion) -> TransportConfig {
    TransportConfig {
        congestion,
        ..TransportConfig::default()
    }
}

impl World {
    /// Runs the simulation until `done` holds for the app of the node at `node`; fails
    /// if that takes more than `limit` of simulated time.
    fn run_until<A: App>(&mut self, node: SocketAddr, limit: Duration, done: impl Fn(&A) -> bool) {
        let outcome = self.sim.run(limit, |sim| {
            done(sim.node::<Node>(node).unwrap().app::<A>())
        });
        assert_eq!(outcome, Outcome::Stopped, "not reached within {limit:?}");
    }
}

fn first_conn(endpoint: &mut Endpoint) -> Option<&mut Connection> {
    let handle = endpoint.handles().next()?;
    endpoint.connection_mut(handle)
}

/// Does nothing but record events.
#[derive(Default)]
struct Idle {
    connected: bool,
    confirmed: bool,
    closed: Option<CloseReason>,
}

impl App for Idle {
    fn wake(&mut self, _now: Instant, endpoint: &mut Endpoint) {
        let Some(conn) = first_conn(endpoint) else {
            return;
        };
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected => self.connected = true,
                Event::HandshakeConfirmed => self.confirmed = true,
                Event::Closed(reason) => self.closed = Some(reason),
                _ => {}
            }
        }
    }
}

fn lossy(loss: f64) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(20),
        loss,
        mtu: 1500,
        ..LinkConfig::default()
    }
}

fn handshake_under_loss(loss: f64, seeds: std::ops::Range<u64>) {
    for (seed, congestion) in seeds.flat_map(|s| CONTROLLERS.map(|c| (s, c))) {
        let setup = setup(with_controller(congestion));
        let mut world = World::new(
            seed,
            &setup,
            false,
            lossy(loss),
            Idle::default(),
            Idle::default(),
        );
        world.run_until::<Idle>(addr(CLIENT), Duration::from_secs(60), |app| app.confirmed);
        assert!(
            world.server_app::<Idle>().connected,
            "seed {seed}, loss {loss}"
        );
    }
}

#[test]
fn handshake_without_loss() {
    handshake_under_loss(0.0, 0..3);
}

#[test]
fn handshake_under_10_percent_loss() {
    handshake_under_loss(0.10, 0..10);
}

#[test]
fn handshake_under_30_percent_loss() {
    handshake_under_loss(0.30, 0..10);
}

/// Sends `total` bytes on one stream (client) and checks them (server).
struct Sender {
    total: usize,
    data: Bytes,
    written: usize,
    stream: Option<StreamId>,
    streams: usize,
    finished_at: Option<Instant>,
}

impl Sender {
    fn new(total: usize, streams: usize) -> Sender {
        let data: Bytes = (0..total)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<_>>()
            .into();
        Sender {
            total,
            data,
            written: 0,
            stream: None,
            streams,
            finished_at: None,
        }
    }
}

impl App for Sender {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint) {
        let Some(conn) = first_conn(endpoint) else {
            return;
        };
        while conn.poll_event().is_some() {}
        if !conn.is_connected() || self.finished_at.is_some() {
            return;
        }
        if self.streams > 1 {
            // Many streams: one small message on each.
            while self.streams > 1 {
                let Some(id) = conn.open_stream(Dir::Uni) else {
                    break;
                };
                conn.stream_write(id, &Bytes::from_static(b"0123456789"))
                    .unwrap();
                conn.stream_finish(id).unwrap();
                self.streams -= 1;
            }
            if self.streams == 1 {
                self.finished_at = Some(now);
            }
            return;
        }
        let id = if let Some(id) = self.stream {
            id
        } else {
            let id = conn.open_stream(Dir::Uni).unwrap();
            self.stream = Some(id);
            id
        };
        while self.written < self.total {
            let n = conn
                .stream_write(id, &self.data.slice(self.written..))
                .unwrap();
            if n == 0 {
                break;
            }
            self.written += n;
        }
        if self.written == self.total {
            conn.stream_finish(id).unwrap();
            self.finished_at = Some(now);
        }
    }
}

/// Reads every stream to its end and checks the bytes follow the sender's pattern.
#[derive(Default)]
struct Receiver {
    received: usize,
    finished_streams: usize,
    done_at: Option<Instant>,
    corrupt: bool,
}

impl App for Receiver {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint) {
        let Some(conn) = first_conn(endpoint) else {
            return;
        };
        let mut readable = Vec::new();
        while let Some(event) = conn.poll_event() {
            if let Event::Stream(StreamEvent::Readable { id } | StreamEvent::Opened { id }) = event
            {
                readable.push(id);
            }
        }
        for id in readable {
            let mut offset_in_stream = None::<usize>;
            loop {
                match conn.stream_read(id, usize::MAX) {
                    Ok(Read::Data(d)) => {
                        if id.index() == 0 {
                            let base = *offset_in_stream.get_or_insert(self.received);
                            let _ = base;
                            for (i, b) in d.iter().enumerate() {
                                if *b != ((self.received + i) % 251) as u8 {
                                    self.corrupt = true;
                                }
                            }
                        }
                        self.received += d.len();
                    }
                    Ok(Read::Finished) => {
                        self.finished_streams += 1;
                        self.done_at.get_or_insert(now);
                        break;
                    }
                    _ => break,
                }
            }
        }
    }
}

#[test]
fn ten_mib_under_loss_reordering_and_duplication() {
    for congestion in CONTROLLERS {
        let setup = setup(with_controller(congestion));
        let link = LinkConfig {
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(2),
            loss: 0.05,
            reorder: 0.02,
            reorder_delay: Duration::from_millis(5),
            duplicate: 0.01,
            bandwidth: Some(200_000_000),
            queue_bytes: 1 << 20,
            mtu: 1500,
            ..LinkConfig::default()
        };
        let total = 10 << 20;
        let mut world = World::new(
            7,
            &setup,
            false,
            link,
            Sender::new(total, 1),
            Receiver::default(),
        );
        world.run_until::<Receiver>(addr(SERVER), Duration::from_secs(300), |app| {
            app.finished_streams == 1
        });
        let rx = world.server_app::<Receiver>();
        assert_eq!(rx.received, total, "{congestion:?}");
        assert!(!rx.corrupt, "{congestion:?}: data corrupted");
        let stats = world.sim.stats(world.client, world.server).unwrap();
        assert!(stats.lost() > 0 && stats.duplicated > 0 && stats.reordered > 0);
    }
}

#[test]
fn a_thousand_streams() {
    CONTROLLERS.into_iter().for_each(a_thousand_streams_with);
}

fn a_thousand_streams_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let mut world = World::new(
        3,
        &setup,
        false,
        lossy(0.01),
        Sender::new(0, 1001),
        Receiver::default(),
    );
    world.run_until::<Receiver>(addr(SERVER), Duration::from_secs(120), |app| {
        app.finished_streams == 1000
    });
    assert_eq!(world.server_app::<Receiver>().received, 10_000);
}

#[test]
fn goodput_on_a_clean_100_mbit_path() {
    CONTROLLERS.into_iter().for_each(goodput_with);
}

fn goodput_with(congestion: Congestion) {
    let setup = setup(TransportConfig {
        max_datagram_size: 1452,
        congestion,
        ..TransportConfig::default()
    });
    let link = LinkConfig {
        latency: Duration::from_millis(25),
        bandwidth: Some(100_000_000),
        queue_bytes: 1_000_000,
        mtu: 1500,
        ..LinkConfig::default()
    };
    let total = 60 << 20;
    let mut world = World::new(
        11,
        &setup,
        false,
        link,
        Sender::new(total, 1),
        Receiver::default(),
    );
    world.run_until::<Receiver>(addr(SERVER), Duration::from_secs(120), |app| {
        app.finished_streams == 1
    });
    let rx = world.server_app::<Receiver>();
    let start = world.sim.start();
    let elapsed = (rx.done_at.unwrap() - start).as_secs_f64();
    let goodput = total as f64 * 8.0 / elapsed;
    eprintln!(
        "{congestion:?}: {:.1} Mbit/s over {elapsed:.2} s",
        goodput / 1e6
    );
    // Slow start and the handshake's round trips count against us: measure from the
    // start, with the link's UDP/IP overhead (28 bytes per 1452) not subtracted.
    assert!(
        goodput >= 90e6,
        "{congestion:?}: goodput {:.1} Mbit/s",
        goodput / 1e6
    );
}

#[test]
fn idle_timeout_in_simulation() {
    CONTROLLERS
        .into_iter()
        .for_each(idle_timeout_in_simulation_with);
}

fn idle_timeout_in_simulation_with(congestion: Congestion) {
    let setup = setup(TransportConfig {
        congestion,
        idle_timeout: Some(Duration::from_secs(3)),
        ..TransportConfig::default()
    });
    let mut world = World::new(
        5,
        &setup,
        false,
        lossy(0.0),
        Idle::default(),
        Idle::default(),
    );
    world.run_until::<Idle>(addr(CLIENT), Duration::from_secs(30), |app| {
        app.closed.is_some()
    });
    assert_eq!(
        world.client_app::<Idle>().closed,
        Some(CloseReason::IdleTimeout)
    );
    assert!(world.sim.elapsed() >= Duration::from_secs(3));
    // The server forgot the connection too.
    world.sim.run_for(Duration::from_secs(10));
    assert_eq!(world.server_endpoint().connection_count(), 0);
}

/// Closes with a code once connected.
struct Closer {
    code: u64,
    closed: bool,
}

impl App for Closer {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint) {
        let Some(conn) = first_conn(endpoint) else {
            return;
        };
        while conn.poll_event().is_some() {}
        if conn.is_handshake_confirmed() && !self.closed {
            conn.close(now, self.code, b"done here");
            self.closed = true;
        }
    }
}

#[test]
fn application_close_code_reaches_the_server() {
    CONTROLLERS
        .into_iter()
        .for_each(application_close_code_reaches_the_server_with);
}

fn application_close_code_reaches_the_server_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let mut world = World::new(
        9,
        &setup,
        false,
        lossy(0.0),
        Closer {
            code: 0x1234,
            closed: false,
        },
        Idle::default(),
    );
    world.run_until::<Idle>(addr(SERVER), Duration::from_secs(10), |app| {
        app.closed.is_some()
    });
    assert_eq!(
        world.server_app::<Idle>().closed,
        Some(CloseReason::PeerApplication {
            code: 0x1234,
            reason: Bytes::from_static(b"done here")
        })
    );
}

#[test]
fn retry_then_handshake() {
    CONTROLLERS.into_iter().for_each(retry_then_handshake_with);
}

fn retry_then_handshake_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let mut world = World::new(
        13,
        &setup,
        true,
        lossy(0.0),
        Idle::default(),
        Idle::default(),
    );
    world.run_until::<Idle>(addr(CLIENT), Duration::from_secs(10), |app| app.confirmed);
    let stats = world.server_endpoint().stats();
    assert_eq!(stats.retries, 1);
    assert_eq!(stats.accepted, 1);
}

/// Sends a datagram each way once connected and records what arrives.
#[derive(Default)]
struct Datagrammer {
    sent: bool,
    got: Vec<Bytes>,
}

impl App for Datagrammer {
    fn wake(&mut self, _now: Instant, endpoint: &mut Endpoint) {
        let Some(conn) = first_conn(endpoint) else {
            return;
        };
        while conn.poll_event().is_some() {}
        if conn.is_connected() && !self.sent {
            conn.send_datagram(Bytes::from(format!("{:?}", conn.side())))
                .unwrap();
            self.sent = true;
        }
        while let Some(d) = conn.recv_datagram() {
            self.got.push(d);
        }
    }
}

#[test]
fn datagrams_cross_both_ways() {
    CONTROLLERS
        .into_iter()
        .for_each(datagrams_cross_both_ways_with);
}

fn datagrams_cross_both_ways_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let mut world = World::new(
        17,
        &setup,
        false,
        lossy(0.0),
        Datagrammer::default(),
        Datagrammer::default(),
    );
    let outcome = world.sim.run(Duration::from_secs(10), |sim| {
        let c = sim.node::<Node>(addr(CLIENT)).unwrap().app::<Datagrammer>();
        let s = sim.node::<Node>(addr(SERVER)).unwrap().app::<Datagrammer>();
        !c.got.is_empty() && !s.got.is_empty()
    });
    assert_eq!(outcome, Outcome::Stopped);
    assert_eq!(
        world.server_app::<Datagrammer>().got,
        [Bytes::from_static(b"Client")]
    );
    assert_eq!(
        world.client_app::<Datagrammer>().got,
        [Bytes::from_static(b"Server")]
    );
}

/// Rotates connection IDs once connected, then sends a stream.
struct Rotator {
    rotated: bool,
    /// The peer's connection ID in use before the rotation.
    old: Option<Vec<u8>>,
    inner: Sender,
}

impl App for Rotator {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint) {
        if let Some(conn) = first_conn(endpoint)
            && conn.is_handshake_confirmed()
            && !self.rotated
        {
            self.old = Some(conn.remote_cid().to_vec());
            self.rotated = conn.rotate_connection_ids();
        }
        if self.rotated {
            self.inner.wake(now, endpoint);
        }
    }
}

#[test]
fn connection_id_rotation_keeps_the_connection() {
    CONTROLLERS
        .into_iter()
        .for_each(connection_id_rotation_keeps_the_connection_with);
}

fn connection_id_rotation_keeps_the_connection_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let mut world = World::new(
        19,
        &setup,
        false,
        lossy(0.0),
        Rotator {
            rotated: false,
            old: None,
            inner: Sender::new(100_000, 1),
        },
        Receiver::default(),
    );
    world.run_until::<Receiver>(addr(SERVER), Duration::from_secs(30), |app| {
        app.finished_streams == 1
    });
    assert!(world.client_app::<Rotator>().rotated);
    assert_eq!(world.server_app::<Receiver>().received, 100_000);
    // The client sends to a new connection ID of the server's, and the server retired the
    // old one and issued fresh ones.
    let old = world.client_app::<Rotator>().old.clone().unwrap();
    assert_ne!(world.client_conn().remote_cid().to_vec(), old);
    let server = world.server_endpoint();
    let server_conn = server.connection(server.handles().next().unwrap()).unwrap();
    assert!(server_conn.local_cids().all(|cid| cid.to_vec() != old));
}

/// Collects the server's `NEW_TOKEN`, then opens a second connection with it.
struct TokenReuser {
    config: ClientConfig,
    token: Option<Bytes>,
    second: Option<ConnectionHandle>,
    second_confirmed: bool,
}

impl App for TokenReuser {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint) {
        let handles: Vec<_> = endpoint.handles().collect();
        for handle in handles {
            let Some(conn) = endpoint.connection_mut(handle) else {
                continue;
            };
            while let Some(event) = conn.poll_event() {
                if let Event::NewToken(token) = event {
                    self.token.get_or_insert(token);
                }
            }
            if Some(handle) == self.second && conn.is_handshake_confirmed() {
                self.second_confirmed = true;
            }
        }
        if self.second.is_none()
            && let Some(token) = &self.token
        {
            let mut config = self.config.clone();
            config.token = Some(token.to_vec());
            self.second = Some(endpoint.connect(now, &config, addr(SERVER)).unwrap());
        }
    }
}

#[test]
fn new_token_spares_the_next_connection_a_retry() {
    CONTROLLERS
        .into_iter()
        .for_each(new_token_spares_the_next_connection_a_retry_with);
}

fn new_token_spares_the_next_connection_a_retry_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let app = TokenReuser {
        config: setup.client.clone(),
        token: None,
        second: None,
        second_confirmed: false,
    };
    let mut world = World::new(23, &setup, true, lossy(0.0), app, Idle::default());
    world.run_until::<TokenReuser>(addr(CLIENT), Duration::from_secs(20), |app| {
        app.second_confirmed
    });
    let stats = world.server_endpoint().stats();
    assert_eq!(stats.accepted, 2);
    assert_eq!(
        stats.retries, 1,
        "the second connection's token validated its address"
    );
}

/// Reads nothing until `start`, then everything.
struct LateReader {
    start: Duration,
    inner: Receiver,
    began: Option<Instant>,
}

impl App for LateReader {
    fn wake(&mut self, now: Instant, endpoint: &mut Endpoint) {
        let began = *self.began.get_or_insert(now);
        if now - began >= self.start {
            self.inner.wake(now, endpoint);
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        let at = self.began? + self.start;
        (self.inner.received == 0 && self.inner.finished_streams == 0).then_some(at)
    }
}

#[test]
fn flow_control_blocks_then_unblocks() {
    CONTROLLERS
        .into_iter()
        .for_each(flow_control_blocks_then_unblocks_with);
}

fn flow_control_blocks_then_unblocks_with(congestion: Congestion) {
    let mut transport = TransportConfig::default();
    transport.streams.stream_window = 64 * 1024;
    transport.streams.max_stream_window = 64 * 1024;
    transport.streams.conn_window = 128 * 1024;
    transport.streams.max_conn_window = 128 * 1024;
    transport.congestion = congestion;
    let setup = setup(transport);
    let total = 1 << 20;
    let app = LateReader {
        start: Duration::from_secs(2),
        inner: Receiver::default(),
        began: None,
    };
    let mut world = World::new(29, &setup, false, lossy(0.0), Sender::new(total, 1), app);
    world.sim.run_for(Duration::from_millis(1500));
    // Blocked by the peer's stream window: exactly 64 KiB written, none read.
    assert_eq!(world.client_app::<Sender>().written, 64 * 1024);
    assert_eq!(world.server_app::<LateReader>().inner.received, 0);
    world.run_until::<LateReader>(addr(SERVER), Duration::from_secs(60), |app| {
        app.inner.finished_streams == 1
    });
    assert_eq!(world.server_app::<LateReader>().inner.received, total);
}

#[test]
fn amplification_limit_in_simulation() {
    CONTROLLERS
        .into_iter()
        .for_each(amplification_limit_in_simulation_with);
}

fn amplification_limit_in_simulation_with(congestion: Congestion) {
    let setup = setup(with_controller(congestion));
    let mut world = World::new(
        31,
        &setup,
        false,
        lossy(0.0),
        Idle::default(),
        Idle::default(),
    );
    // Everything after the client's first datagram is lost: the server never gets its
    // address validated and may send at most three times what it received.
    let blackhole = LinkConfig {
        blackholes: vec![(Duration::from_millis(1), Duration::from_secs(3600))],
        ..lossy(0.0)
    };
    world.sim.link(world.client, world.server, blackhole);
    world.sim.run_for(Duration::from_secs(20));
    let received = world
        .sim
        .stats(world.client, world.server)
        .unwrap()
        .delivered_bytes;
    let sent = world
        .sim
        .stats(world.server, world.client)
        .unwrap()
        .sent_bytes;
    assert_eq!(received, 1200);
    assert!(sent <= 3 * received, "server sent {sent} for {received}");
    assert!(sent > 2 * received, "the server used its budget: {sent}");
}
