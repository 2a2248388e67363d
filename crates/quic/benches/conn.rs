//! A stator-quic client/server pair against a quinn-proto pair, in memory, in one run.
//! Run: `cargo bench -p stator-quic --bench conn` (add `-- bulk/`, `-- handshake/` for
//! one part; the idle-memory figures are printed first, before any timing).
//!
//! Both stacks run as their users run them: through their endpoints (stator `Endpoint`,
//! quinn-proto `Endpoint` + `Connection` with its endpoint-event plumbing), one endpoint
//! per side. The wire is a function call: each step moves at most one transmit (a GSO
//! batch of up to 10 datagrams) from the client to the server and one back, each
//! datagram copied into a fresh `BytesMut` (as a socket read would); when neither side
//! has anything to send, the simulated clock jumps to the earlier of the two sides'
//! timers and both handle it. Nothing sleeps; the link is loss-free with zero latency.
//!
//! Same for both stacks: rustls 0.23 on ring, TLS 1.3, one self-signed ECDSA P-256
//! certificate (rcgen), ALPN `bench`, no session tickets or resumption (so nothing
//! lands in shared caches); datagrams of 1452 bytes (stator `max_datagram_size`,
//! quinn-proto `initial_mtu` = `min_mtu` = 1452 with path MTU discovery off); GSO
//! batches of 10; CUBIC (both defaults); production randomness (stator's endpoint
//! draws from the system, quinn-proto seeds its generator from the system).
//!
//! - `bulk/<stack>`: 64 MiB client → server on one unidirectional stream of a fresh,
//!   handshaken connection (the handshake is not timed), written as `Bytes` slices
//!   (stator `stream_write`, quinn-proto `write_chunks`: no copy on either side), read
//!   on the server as `Bytes` chunks and dropped. Windows are set so flow control never
//!   limits: 16 MiB per stream, 32 MiB per connection, 16 MiB send buffer (quinn-proto
//!   defaults: 1.25 MB stream window, unlimited connection window, 10 MB send window;
//!   stator defaults: 1 MiB growing to 16 MiB, 4 MiB growing to 64 MiB, 1 MiB).
//!   Throughput counts stream bytes; time per GiB is CPU per GiB (one thread).
//! - `handshake/<stack>`: fresh endpoints and a fresh connection pair until both sides
//!   are connected (TLS complete: stator `is_connected`, quinn-proto `!is_handshaking`).
//! - Idle memory: a counting global allocator (`stats_alloc`: a hand-written one needs
//!   `unsafe`, which the workspace forbids) gives the bytes currently allocated. Both
//!   endpoints are made, then `IDLE_PAIRS` pairs are connected and left to settle (two
//!   simulated seconds of timers, every event drained, send buffers freed); the growth
//!   divided by the pair count is one pair's memory; dropping the client endpoint (and,
//!   for quinn-proto, its connections) then splits it per side. Default transport
//!   settings but for the datagram size.
//!
//! Times are CPU time of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`), not wall time:
//! the machine is shared, and everything runs on this one thread, so CPU time is the
//! cost; throughput is stream bytes per CPU second, in GB/s (10⁹ B).
//!
//! Before timing, one transfer per stack prints what it put on the wire and how many
//! allocations it made per datagram (the benchmark's own datagram copies included: one
//! per datagram each way, the same for both).
//!
//! The counting allocator stays on for the timed parts: a few relaxed atomic adds per
//! allocation, paid by both stacks in proportion to how much they allocate.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use std::alloc::System;
use std::collections::HashMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use stator_quic::endpoint::{ConnectionHandle, Endpoint, EndpointConfig, ServerSetup};
use stator_quic::stream::{Dir, Read, StreamsConfig};
use stator_quic::{
    ClientConfig, Connection, ResetKey, ServerConfig, TokenKey, TokenLifetimes, TransportConfig,
};
use stator_wire::rand::SystemRandom;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated now.
fn allocated() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64 + s.bytes_reallocated as i64
}

const CLIENT: &str = "127.0.0.1:5000";
const SERVER: &str = "127.0.0.1:4433";
const ALPN: &[u8] = b"bench";
/// Datagram size for both stacks.
const MTU: u16 = 1452;
/// Datagrams per transmit (GSO batch) for both stacks.
const BATCH: usize = 10;
/// Bytes of the bulk transfer.
const BULK: usize = 64 << 20;
const STREAM_WINDOW: u64 = 16 << 20;
const CONN_WINDOW: u64 = 32 << 20;
const SEND_BUFFER: u64 = 16 << 20;
/// Connection pairs measured for idle memory.
const IDLE_PAIRS: usize = 100;

/// CPU time of this thread: what the benchmark reports (the machine is shared, so wall
/// time would count other processes' slices too).
fn cpu_now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// One certificate, one rustls client and server configuration, for both stacks.
struct Tls {
    client: rustls::ClientConfig,
    server: rustls::ServerConfig,
}

fn tls() -> Tls {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = certified.signing_key.serialize_der();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    server.alpn_protocols = vec![ALPN.to_vec()];
    server.send_tls13_tickets = 0;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = vec![ALPN.to_vec()];
    client.resumption = rustls::client::Resumption::disabled();
    Tls { client, server }
}

/// One side of an in-memory pair.
trait Side {
    /// Hands the next transmit (a batch of datagrams), if any, to `peer`.
    fn send_to(&mut self, peer: &mut Self, now: Instant) -> bool;
    fn next_timeout(&mut self) -> Option<Instant>;
    fn fire(&mut self, now: Instant);
}

/// One step: a transmit each way, or, with nothing to send, the clock to the next timer.
/// `false`: nothing left to do at all.
fn step<S: Side>(client: &mut S, server: &mut S, now: &mut Instant) -> bool {
    let a = client.send_to(server, *now);
    let b = server.send_to(client, *now);
    if a || b {
        return true;
    }
    let next = [client.next_timeout(), server.next_timeout()]
        .into_iter()
        .flatten()
        .min();
    let Some(next) = next else { return false };
    *now = (*now).max(next);
    client.fire(*now);
    server.fire(*now);
    true
}

/// Steps until the pair is quiet or `until` passes (timers later than it are left).
fn settle<S: Side>(client: &mut S, server: &mut S, now: &mut Instant, until: Instant) {
    loop {
        let a = client.send_to(server, *now);
        let b = server.send_to(client, *now);
        if a || b {
            continue;
        }
        let next = [client.next_timeout(), server.next_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(next) if next <= until => {
                *now = (*now).max(next);
                client.fire(*now);
                server.fire(*now);
            }
            _ => return,
        }
    }
}

/// What a bulk transfer put on the wire, each way (datagrams, bytes).
struct Counts {
    client: (u64, u64),
    server: (u64, u64),
    /// Allocations during the transfer (both sides, the benchmark's own included).
    allocations: u64,
}

impl Counts {
    fn of(client: (u64, u64), server: (u64, u64), allocations: u64) -> Counts {
        Counts {
            client,
            server,
            allocations,
        }
    }

    fn print(&self, name: &str) {
        let avg = |(n, b): (u64, u64)| b as f64 / n.max(1) as f64;
        println!(
            "bulk/{name} wire: client sent {} datagrams ({:.0} B mean), server sent {} \
             ({:.0} B mean): one server datagram per {:.1} client datagrams; {:.2} \
             allocations per client datagram",
            self.client.0,
            avg(self.client),
            self.server.0,
            avg(self.server),
            self.client.0 as f64 / self.server.0.max(1) as f64,
            self.allocations as f64 / self.client.0.max(1) as f64
        );
    }
}

// ---------------------------------------------------------------------------------------
// stator-quic

struct StatorSetup {
    client: ClientConfig,
    server: ServerConfig,
}

fn stator_setup(tls: &Tls, transport: TransportConfig) -> StatorSetup {
    let transport = Arc::new(transport);
    let mut client = ClientConfig::new(
        Arc::new(tls.client.clone()),
        ServerName::try_from("localhost").unwrap(),
        vec![ALPN.to_vec()],
    );
    client.transport = transport.clone();
    let server = ServerConfig {
        tls: Arc::new(tls.server.clone()),
        transport,
    };
    StatorSetup { client, server }
}

fn stator_transport(bulk: bool) -> TransportConfig {
    let mut t = TransportConfig {
        max_datagram_size: usize::from(MTU),
        max_batch: BATCH,
        ..TransportConfig::default()
    };
    if bulk {
        t.streams = StreamsConfig {
            stream_window: STREAM_WINDOW,
            max_stream_window: STREAM_WINDOW,
            conn_window: CONN_WINDOW,
            max_conn_window: CONN_WINDOW,
            send_buffer: SEND_BUFFER,
            ..StreamsConfig::default()
        };
    }
    t
}

struct Stator {
    ep: Endpoint,
    addr: SocketAddr,
    buf: Vec<u8>,
    /// Datagrams and bytes sent.
    sent: (u64, u64),
}

impl Stator {
    fn client() -> Stator {
        let config = EndpointConfig::new(ResetKey::new(b"client reset key of 32 bytes...."));
        Stator {
            ep: Endpoint::new(config, Box::new(SystemRandom::new())),
            addr: addr(CLIENT),
            buf: Vec::new(),
            sent: (0, 0),
        }
    }

    fn server(setup: &StatorSetup) -> Stator {
        let mut config = EndpointConfig::new(ResetKey::new(b"server reset key of 32 bytes...."));
        config.server = Some(ServerSetup {
            config: setup.server.clone(),
            retry: false,
            token_key: Arc::new(TokenKey::new(&[5; 32])),
            token_lifetimes: TokenLifetimes::default(),
        });
        Stator {
            ep: Endpoint::new(config, Box::new(SystemRandom::new())),
            addr: addr(SERVER),
            buf: Vec::new(),
            sent: (0, 0),
        }
    }

    fn conn(&mut self, h: ConnectionHandle) -> &mut Connection {
        self.ep.connection_mut(h).unwrap()
    }
}

impl Side for Stator {
    fn send_to(&mut self, peer: &mut Stator, now: Instant) -> bool {
        let Some(t) = self.ep.poll_transmit(now, &mut self.buf) else {
            return false;
        };
        let seg = t.segment_size.unwrap_or(t.size);
        for d in self.buf[..t.size].chunks(seg) {
            self.sent.0 += 1;
            self.sent.1 += d.len() as u64;
            peer.ep
                .handle_datagram(now, self.addr, peer.addr, t.ecn, BytesMut::from(d));
        }
        true
    }

    fn next_timeout(&mut self) -> Option<Instant> {
        self.ep.poll_timeout()
    }

    fn fire(&mut self, now: Instant) {
        self.ep.handle_timeout(now);
    }
}

/// A connected stator pair: the client endpoint, the server endpoint, the handles.
fn stator_pair(
    setup: &StatorSetup,
    now: &mut Instant,
) -> (Stator, Stator, ConnectionHandle, ConnectionHandle) {
    let mut client = Stator::client();
    let mut server = Stator::server(setup);
    let ch = client.ep.connect(*now, &setup.client, server.addr).unwrap();
    let mut sh = None;
    loop {
        if sh.is_none() {
            sh = server.ep.handles().next();
        }
        if let Some(sh) = sh
            && client.conn(ch).is_connected()
            && server.conn(sh).is_connected()
        {
            return (client, server, ch, sh);
        }
        assert!(
            step(&mut client, &mut server, now),
            "stator handshake stalled"
        );
    }
}

fn stator_drain(side: &mut Stator) {
    while side.ep.poll_event().is_some() {}
    let handles: Vec<_> = side.ep.handles().collect();
    for h in handles {
        let conn = side.conn(h);
        while conn.poll_event().is_some() {}
    }
}

/// Runs a bulk transfer on a connected pair; returns the time it took.
fn stator_bulk(setup: &StatorSetup, data: &Bytes) -> (Duration, Counts) {
    let mut now = Instant::now();
    let (mut client, mut server, ch, sh) = stator_pair(setup, &mut now);
    stator_drain(&mut client);
    stator_drain(&mut server);
    client.sent = (0, 0);
    server.sent = (0, 0);
    let allocations_before = GLOBAL.stats().allocations;
    let start = cpu_now();
    let id = client.conn(ch).open_stream(Dir::Uni).unwrap();
    let mut written = 0;
    let mut received = 0;
    while received < data.len() {
        if written < data.len() {
            written += client
                .conn(ch)
                .stream_write(id, &data.slice(written..))
                .unwrap();
        }
        assert!(
            step(&mut client, &mut server, &mut now),
            "stator bulk stalled"
        );
        let conn = server.conn(sh);
        while conn.poll_event().is_some() {}
        while let Ok(Read::Data(d)) = conn.stream_read(id, usize::MAX) {
            received += d.len();
        }
        let conn = client.conn(ch);
        while conn.poll_event().is_some() {}
    }
    let elapsed = cpu_now().saturating_sub(start);
    assert_eq!(received, data.len());
    let allocations = (GLOBAL.stats().allocations - allocations_before) as u64;
    (elapsed, Counts::of(client.sent, server.sent, allocations))
}

fn stator_handshake(setup: &StatorSetup) -> Duration {
    let mut now = Instant::now();
    let start = cpu_now();
    let pair = stator_pair(setup, &mut now);
    let elapsed = cpu_now().saturating_sub(start);
    drop(black_box(pair));
    elapsed
}

/// Bytes per idle pair, client side, server side.
fn stator_idle(setup: &StatorSetup) -> (f64, f64) {
    let mut now = Instant::now();
    let m0 = allocated();
    let client_empty = Stator::client();
    let m1 = allocated();
    drop(client_empty);
    let mut client = Stator::client();
    let mut server = Stator::server(setup);
    let base = allocated();
    for _ in 0..IDLE_PAIRS {
        let ch = client.ep.connect(now, &setup.client, server.addr).unwrap();
        while !client.conn(ch).is_connected() {
            assert!(step(&mut client, &mut server, &mut now));
        }
    }
    let until = now + Duration::from_secs(2);
    settle(&mut client, &mut server, &mut now, until);
    assert_eq!(client.ep.connection_count(), IDLE_PAIRS);
    assert_eq!(server.ep.connection_count(), IDLE_PAIRS);
    stator_drain(&mut client);
    stator_drain(&mut server);
    client.buf = Vec::new();
    server.buf = Vec::new();
    let full = allocated();
    drop(client);
    let without_client = allocated();
    drop(server);
    let pairs = IDLE_PAIRS as f64;
    let per_pair = (full - base) as f64 / pairs;
    let client_side = ((full - without_client) - (m1 - m0)) as f64 / pairs;
    (client_side, per_pair - client_side)
}

// ---------------------------------------------------------------------------------------
// quinn-proto

mod quinn {
    pub(crate) use quinn_proto::crypto::rustls::{QuicClientConfig, QuicServerConfig};
    pub(crate) use quinn_proto::{
        ClientConfig, Connection, ConnectionHandle, DatagramEvent, Dir, Endpoint, EndpointConfig,
        ServerConfig, TransportConfig, VarInt,
    };
}

struct QuinnSetup {
    client: quinn::ClientConfig,
    server: Arc<quinn::ServerConfig>,
    endpoint: Arc<quinn::EndpointConfig>,
}

fn quinn_setup(tls: &Tls, bulk: bool) -> QuinnSetup {
    let mut t = quinn::TransportConfig::default();
    t.initial_mtu(MTU).min_mtu(MTU).mtu_discovery_config(None);
    if bulk {
        t.stream_receive_window(quinn::VarInt::from_u64(STREAM_WINDOW).unwrap())
            .receive_window(quinn::VarInt::from_u64(CONN_WINDOW).unwrap())
            .send_window(SEND_BUFFER);
    }
    let t = Arc::new(t);
    let crypto = quinn::QuicClientConfig::try_from(tls.client.clone()).unwrap();
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(t.clone());
    let crypto = quinn::QuicServerConfig::try_from(tls.server.clone()).unwrap();
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    server.transport_config(t);
    QuinnSetup {
        client,
        server: Arc::new(server),
        endpoint: Arc::new(quinn::EndpointConfig::default()),
    }
}

struct Quinn {
    ep: quinn::Endpoint,
    conns: HashMap<quinn::ConnectionHandle, quinn::Connection>,
    addr: SocketAddr,
    buf: Vec<u8>,
    /// Datagrams and bytes sent.
    sent: (u64, u64),
    /// Datagrams the endpoint itself answered with, to send.
    stateless: Vec<BytesMut>,
    resp: Vec<u8>,
}

impl Quinn {
    fn new(setup: &QuinnSetup, server: bool) -> Quinn {
        let (config, a) = if server {
            (Some(setup.server.clone()), SERVER)
        } else {
            (None, CLIENT)
        };
        Quinn {
            ep: quinn::Endpoint::new(setup.endpoint.clone(), config, false, None),
            conns: HashMap::new(),
            addr: addr(a),
            buf: Vec::new(),
            sent: (0, 0),
            stateless: Vec::new(),
            resp: Vec::new(),
        }
    }

    fn connect(
        &mut self,
        setup: &QuinnSetup,
        now: Instant,
        to: SocketAddr,
    ) -> quinn::ConnectionHandle {
        let (h, conn) = self
            .ep
            .connect(now, setup.client.clone(), to, "localhost")
            .unwrap();
        self.conns.insert(h, conn);
        h
    }

    fn endpoint_events(
        ep: &mut quinn::Endpoint,
        h: quinn::ConnectionHandle,
        conn: &mut quinn::Connection,
    ) {
        while let Some(ev) = conn.poll_endpoint_events() {
            if let Some(ev) = ep.handle_event(h, ev) {
                conn.handle_event(ev);
            }
        }
    }

    fn receive(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        ecn: Option<quinn_proto::EcnCodepoint>,
        data: BytesMut,
    ) {
        self.resp.clear();
        match self
            .ep
            .handle(now, remote, Some(self.addr.ip()), ecn, data, &mut self.resp)
        {
            Some(quinn::DatagramEvent::ConnectionEvent(h, ev)) => {
                let conn = self.conns.get_mut(&h).unwrap();
                conn.handle_event(ev);
                Quinn::endpoint_events(&mut self.ep, h, conn);
            }
            Some(quinn::DatagramEvent::NewConnection(incoming)) => {
                self.resp.clear();
                match self.ep.accept(incoming, now, &mut self.resp, None) {
                    Ok((h, mut conn)) => {
                        Quinn::endpoint_events(&mut self.ep, h, &mut conn);
                        self.conns.insert(h, conn);
                    }
                    Err(e) => {
                        if let Some(t) = e.response {
                            self.stateless.push(BytesMut::from(&self.resp[..t.size]));
                        }
                    }
                }
            }
            Some(quinn::DatagramEvent::Response(t)) => {
                self.stateless.push(BytesMut::from(&self.resp[..t.size]));
            }
            None => {}
        }
    }

    fn drain(&mut self) {
        for conn in self.conns.values_mut() {
            while conn.poll().is_some() {}
        }
    }
}

impl Side for Quinn {
    fn send_to(&mut self, peer: &mut Quinn, now: Instant) -> bool {
        if let Some(d) = self.stateless.pop() {
            peer.receive(now, self.addr, None, d);
            return true;
        }
        for (&h, conn) in &mut self.conns {
            self.buf.clear();
            let t = conn.poll_transmit(now, BATCH, &mut self.buf);
            Quinn::endpoint_events(&mut self.ep, h, conn);
            if let Some(t) = t {
                let seg = t.segment_size.unwrap_or(t.size);
                for d in self.buf[..t.size].chunks(seg) {
                    self.sent.0 += 1;
                    self.sent.1 += d.len() as u64;
                    peer.receive(now, self.addr, t.ecn, BytesMut::from(d));
                }
                return true;
            }
        }
        false
    }

    fn next_timeout(&mut self) -> Option<Instant> {
        self.conns
            .values_mut()
            .filter_map(quinn::Connection::poll_timeout)
            .min()
    }

    fn fire(&mut self, now: Instant) {
        for (&h, conn) in &mut self.conns {
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
                Quinn::endpoint_events(&mut self.ep, h, conn);
            }
        }
    }
}

fn quinn_pair(
    setup: &QuinnSetup,
    now: &mut Instant,
) -> (
    Quinn,
    Quinn,
    quinn::ConnectionHandle,
    quinn::ConnectionHandle,
) {
    let mut client = Quinn::new(setup, false);
    let mut server = Quinn::new(setup, true);
    let ch = client.connect(setup, *now, server.addr);
    loop {
        if let Some((&sh, sc)) = server.conns.iter().next()
            && !sc.is_handshaking()
            && !client.conns[&ch].is_handshaking()
        {
            return (client, server, ch, sh);
        }
        assert!(
            step(&mut client, &mut server, now),
            "quinn handshake stalled"
        );
    }
}

fn quinn_bulk(setup: &QuinnSetup, data: &Bytes) -> (Duration, Counts) {
    let mut now = Instant::now();
    let (mut client, mut server, ch, sh) = quinn_pair(setup, &mut now);
    client.drain();
    server.drain();
    client.sent = (0, 0);
    server.sent = (0, 0);
    let allocations_before = GLOBAL.stats().allocations;
    let start = cpu_now();
    let id = client
        .conns
        .get_mut(&ch)
        .unwrap()
        .streams()
        .open(quinn::Dir::Uni)
        .unwrap();
    let mut written = 0;
    let mut received = 0;
    let mut server_id = None;
    while received < data.len() {
        if written < data.len() {
            let conn = client.conns.get_mut(&ch).unwrap();
            if let Ok(w) = conn
                .send_stream(id)
                .write_chunks(&mut [data.slice(written..)])
            {
                written += w.bytes;
            }
        }
        assert!(
            step(&mut client, &mut server, &mut now),
            "quinn bulk stalled"
        );
        let conn = server.conns.get_mut(&sh).unwrap();
        while conn.poll().is_some() {}
        if server_id.is_none() {
            server_id = conn.streams().accept(quinn::Dir::Uni);
        }
        if let Some(sid) = server_id {
            let mut recv = conn.recv_stream(sid);
            if let Ok(mut chunks) = recv.read(true) {
                while let Ok(Some(chunk)) = chunks.next(usize::MAX) {
                    received += chunk.bytes.len();
                }
                let _ = chunks.finalize();
            }
        }
        let conn = client.conns.get_mut(&ch).unwrap();
        while conn.poll().is_some() {}
    }
    let elapsed = cpu_now().saturating_sub(start);
    assert_eq!(received, data.len());
    let allocations = (GLOBAL.stats().allocations - allocations_before) as u64;
    (elapsed, Counts::of(client.sent, server.sent, allocations))
}

fn quinn_handshake(setup: &QuinnSetup) -> Duration {
    let mut now = Instant::now();
    let start = cpu_now();
    let pair = quinn_pair(setup, &mut now);
    let elapsed = cpu_now().saturating_sub(start);
    drop(black_box(pair));
    elapsed
}

fn quinn_idle(setup: &QuinnSetup) -> (f64, f64) {
    let mut now = Instant::now();
    let m0 = allocated();
    let client_empty = Quinn::new(setup, false);
    let m1 = allocated();
    drop(client_empty);
    let mut client = Quinn::new(setup, false);
    let mut server = Quinn::new(setup, true);
    let base = allocated();
    for _ in 0..IDLE_PAIRS {
        let ch = client.connect(setup, now, server.addr);
        // Until the client is connected; the settling below confirms the handshake.
        while client.conns[&ch].is_handshaking() {
            assert!(step(&mut client, &mut server, &mut now));
        }
    }
    let until = now + Duration::from_secs(2);
    settle(&mut client, &mut server, &mut now, until);
    assert_eq!(client.conns.len(), IDLE_PAIRS);
    assert_eq!(server.conns.len(), IDLE_PAIRS);
    client.drain();
    server.drain();
    for side in [&mut client, &mut server] {
        side.buf = Vec::new();
        side.resp = Vec::new();
        side.stateless = Vec::new();
    }
    let full = allocated();
    drop(client);
    let without_client = allocated();
    drop(server);
    let pairs = IDLE_PAIRS as f64;
    let per_pair = (full - base) as f64 / pairs;
    let client_side = ((full - without_client) - (m1 - m0)) as f64 / pairs;
    (client_side, per_pair - client_side)
}

// ---------------------------------------------------------------------------------------

fn idle_memory() {
    let tls = tls();
    let stator = stator_setup(&tls, stator_transport(false));
    let quinn = quinn_setup(&tls, false);
    // Once each first, so lazily built statics (rustls, ring) are not counted.
    let _ = stator_idle(&stator);
    let _ = quinn_idle(&quinn);
    let (sc, ss) = stator_idle(&stator);
    let (qc, qs) = quinn_idle(&quinn);
    let line = |name: &str, c: f64, s: f64| {
        println!(
            "idle-memory/{name}: {:.0} B per connection (client {c:.0} B, server {s:.0} B), \
             {:.0} B per pair, {IDLE_PAIRS} pairs",
            f64::midpoint(c, s),
            c + s
        );
    };
    line("stator", sc, ss);
    line("quinn-proto", qc, qs);
    println!(
        "idle-memory/ratio stator ÷ quinn-proto: {:.2} (client {:.2}, server {:.2})",
        (sc + ss) / (qc + qs),
        sc / qc,
        ss / qs
    );
}

fn bench(c: &mut Criterion) {
    idle_memory();
    let tls = tls();

    let data = Bytes::from((0..BULK).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    let stator = stator_setup(&tls, stator_transport(true));
    let quinn = quinn_setup(&tls, true);
    stator_bulk(&stator, &data).1.print("stator");
    quinn_bulk(&quinn, &data).1.print("quinn-proto");
    let mut g = c.benchmark_group("bulk");
    g.throughput(Throughput::BytesDecimal(BULK as u64))
        .sample_size(10);
    g.bench_function("stator", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| stator_bulk(&stator, &data).0).sum());
    });
    g.bench_function("quinn-proto", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| quinn_bulk(&quinn, &data).0).sum());
    });
    g.finish();

    let stator = stator_setup(&tls, stator_transport(false));
    let quinn = quinn_setup(&tls, false);
    let mut g = c.benchmark_group("handshake");
    g.throughput(Throughput::Elements(1));
    g.bench_function("stator", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| stator_handshake(&stator)).sum());
    });
    g.bench_function("quinn-proto", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| quinn_handshake(&quinn)).sum());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
