//! stator-quic against a real peer, quinn, over UDP on 127.0.0.1: a quinn client against
//! a stator-quic server and a stator-quic client against a quinn server. Each direction:
//! handshake with ALPN, bidirectional echo, 100 MiB each way checked by SHA-256, 100
//! concurrent streams opened by each side, datagrams both ways, application close codes
//! seen by the other side, Retry, key updates during transfer, stream resets.
//!
//! quinn runs on a tokio runtime and drives each test; the stator endpoint runs on a std
//! thread with a small driver (a `UdpSocket` and `poll_timeout`) and an agent that obeys
//! commands quinn sends at the start of each stream it opens (a command byte and a u64).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::too_many_lines,
    clippy::panic,
    missing_docs
)]

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use ring::digest;
use rustls::pki_types::ServerName;
use stator_quic::conn::{ClientConfig, CloseReason, Event, ServerConfig, TransportConfig};
use stator_quic::endpoint::{
    ConnectionHandle, Endpoint, EndpointConfig, EndpointStats, ServerSetup,
};
use stator_quic::stream::{Dir, Read, StreamEvent, StreamId};
use stator_quic::{Ecn, ResetKey, TokenKey, TokenLifetimes};
use stator_wire::rand::SeededRandom;

const ALPN: &[u8] = b"stator-interop";
const MIB: u64 = 1 << 20;
/// How long the stator side of one test may run at most.
const STATOR_LIMIT: Duration = Duration::from_secs(60);
/// Bytes between the key updates either side forces during a transfer.
const KEY_UPDATE_EVERY: u64 = 16 * MIB;

// ----- commands quinn sends at the start of a stream it opens -----

/// Echo the rest of the stream back, then finish.
const ECHO: u8 = b'E';
/// Hash the rest of the stream; answer with its SHA-256 and length, then finish.
const HASH: u8 = b'H';
/// Send the argument's count of pattern bytes, then finish.
const SEND: u8 = b'S';
/// Reset our sending part with the argument as the code.
const RESET: u8 = b'R';
/// Open the argument's count of bidirectional streams, send a message on each, check
/// the peer echoes it, then answer "ok" and finish.
const OPEN: u8 = b'O';
/// Close the connection with the argument as the application code.
const CLOSE: u8 = b'C';
/// Ask the peer to stop sending on this stream (`STOP_SENDING`) with the argument as
/// the code.
const STOP: u8 = b'T';
/// Send one datagram of the argument's size or the largest allowed if smaller; answer
/// its size (8 bytes) and finish.
const DATAGRAM: u8 = b'D';
/// Retire our connection IDs and move to a fresh one of the peer's; answer "ok" (or
/// "no" when there was none spare) and finish.
const ROTATE: u8 = b'X';

fn command(cmd: u8, arg: u64) -> Vec<u8> {
    let mut v = vec![cmd];
    v.extend_from_slice(&arg.to_be_bytes());
    v
}

// ----- the data of transfers -----

/// A pseudo-random block of a prime length, repeated to make the bytes of a transfer.
fn pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..1_000_003)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect::<Vec<u8>>()
            .into()
    })
}

/// The pattern bytes from `offset`, at most `max` of them.
fn pattern_at(offset: u64, max: u64) -> Bytes {
    let p = pattern();
    let start = (offset % p.len() as u64) as usize;
    let len = (p.len() - start).min(usize::try_from(max).unwrap_or(usize::MAX));
    p.slice(start..start + len)
}

/// The SHA-256 of the first `total` pattern bytes.
fn pattern_hash(total: u64) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut offset = 0;
    while offset < total {
        let chunk = pattern_at(offset, total - offset);
        ctx.update(&chunk);
        offset += chunk.len() as u64;
    }
    ctx.finish().as_ref().to_vec()
}

// ----- the stator side -----

/// What the stator side saw, handed back when its connection ended.
#[derive(Debug, Default)]
struct Report {
    connected: bool,
    alpn: Option<Vec<u8>>,
    close: Option<CloseReason>,
    key_updates: u64,
    forced_updates: u64,
    datagrams: usize,
    datagram_errors: usize,
    max_datagram: usize,
    resets_seen: Vec<u64>,
    stops_seen: Vec<u64>,
    /// `NEW_TOKEN`s received (client).
    tokens: Vec<Bytes>,
    rotations: usize,
    own_streams_ok: usize,
    own_streams_bad: usize,
    errors: Vec<String>,
    stats: EndpointStats,
    bytes_hashed: u64,
    bytes_sent: u64,
}

enum Kind {
    Echo,
    Hash(Box<digest::Context>, u64),
    Send,
    Reset,
    Open,
    Close,
    Other,
}

/// A stream the peer opened, and what we do on it.
#[derive(Default)]
struct Job {
    header: Vec<u8>,
    kind: Option<Kind>,
    out: VecDeque<Bytes>,
    /// Pattern bytes to send: (sent, total).
    generate: Option<(u64, u64)>,
    /// Finish once `out` and `generate` are done.
    fin: bool,
    finished: bool,
    read_done: bool,
}

/// A stream we opened for an `OPEN` command: what we sent and what came back.
struct Own {
    parent: StreamId,
    sent: Bytes,
    got: Vec<u8>,
}

struct Agent {
    report: Report,
    jobs: HashMap<StreamId, Job>,
    own: HashMap<StreamId, Own>,
    /// Per `OPEN` stream: own streams not yet echoed back.
    open_pending: HashMap<StreamId, usize>,
    /// Per `OPEN` stream: the next stream's number and how many to open in all (opened
    /// as the peer's stream limit allows).
    to_open: Vec<(StreamId, usize, usize)>,
    transferred: u64,
    next_update_at: u64,
    want_update: bool,
}

impl Default for Agent {
    fn default() -> Agent {
        Agent {
            report: Report::default(),
            jobs: HashMap::new(),
            own: HashMap::new(),
            open_pending: HashMap::new(),
            to_open: Vec::new(),
            transferred: 0,
            next_update_at: KEY_UPDATE_EVERY,
            want_update: false,
        }
    }
}

impl Agent {
    /// Counts transferred bytes and asks for a key update every `KEY_UPDATE_EVERY`.
    fn count(&mut self, n: u64) {
        self.transferred += n;
        if self.transferred >= self.next_update_at {
            self.next_update_at += KEY_UPDATE_EVERY;
            self.want_update = true;
        }
    }

    /// Acts on the connection; returns whether it ended.
    fn wake(&mut self, now: Instant, conn: &mut stator_quic::Connection) -> bool {
        let mut readable = Vec::new();
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected => {
                    self.report.connected = true;
                    self.report.alpn = conn.alpn().map(<[u8]>::to_vec);
                }
                Event::Closed(reason) => self.report.close = Some(reason),
                Event::NewToken(token) => self.report.tokens.push(token),
                Event::Stream(StreamEvent::Stopped { id, code }) => {
                    self.report.stops_seen.push(code);
                    if let Some(job) = self.jobs.get_mut(&id) {
                        job.finished = true;
                    }
                }
                Event::Stream(
                    StreamEvent::Opened { id }
                    | StreamEvent::Readable { id }
                    | StreamEvent::Reset { id, .. },
                ) => readable.push(id),
                _ => {}
            }
        }
        while let Some(d) = conn.recv_datagram() {
            self.report.datagrams += 1;
            if conn.send_datagram(d).is_err() {
                self.report.datagram_errors += 1;
            }
        }
        let mut seen = HashSet::new();
        for id in readable {
            if seen.insert(id) {
                self.read(now, conn, id);
            }
        }
        self.open_more(conn);
        let ids: Vec<StreamId> = self.jobs.keys().copied().collect();
        for id in ids {
            self.write(conn, id);
        }
        if self.want_update && conn.force_key_update() {
            self.want_update = false;
            self.report.forced_updates += 1;
        }
        self.report.key_updates = conn.key_updates();
        if let Some(reason) = conn.close_reason() {
            self.report.close = Some(reason.clone());
        }
        conn.is_closed()
    }

    fn read(&mut self, now: Instant, conn: &mut stator_quic::Connection, id: StreamId) {
        if self.own.contains_key(&id) {
            self.read_own(conn, id);
            return;
        }
        if self.jobs.get(&id).is_some_and(|j| j.read_done) {
            return;
        }
        // Until a command (STOP) ends our reading.
        while !self.jobs.get(&id).is_some_and(|j| j.read_done) {
            match conn.stream_read(id, 1 << 16) {
                Ok(Read::Data(d)) => self.on_data(now, conn, id, d),
                Ok(Read::Finished) => {
                    self.on_fin(id);
                    break;
                }
                Ok(Read::Reset(code)) => {
                    self.report.resets_seen.push(code);
                    self.jobs.entry(id).or_default().read_done = true;
                    break;
                }
                Ok(Read::Blocked) => break,
                Err(e) => {
                    self.report.errors.push(format!("read {id:?}: {e:?}"));
                    self.jobs.entry(id).or_default().read_done = true;
                    break;
                }
            }
        }
    }

    /// Opens the streams `OPEN` commands asked for, as far as the peer's limit allows.
    fn open_more(&mut self, conn: &mut stator_quic::Connection) {
        for (parent, next, n) in &mut self.to_open {
            while *next < *n {
                let Some(own) = conn.open_stream(Dir::Bidi) else {
                    break;
                };
                let sent = Bytes::from(format!("stream {next} of {n} from stator"));
                let w = conn.stream_write(own, &sent).unwrap();
                assert_eq!(w, sent.len());
                conn.stream_finish(own).unwrap();
                self.own.insert(
                    own,
                    Own {
                        parent: *parent,
                        sent,
                        got: Vec::new(),
                    },
                );
                *next += 1;
            }
        }
        self.to_open.retain(|(_, next, n)| next < n);
    }

    fn read_own(&mut self, conn: &mut stator_quic::Connection, id: StreamId) {
        loop {
            match conn.stream_read(id, 1 << 16) {
                Ok(Read::Data(d)) => self.own.get_mut(&id).unwrap().got.extend_from_slice(&d),
                Ok(Read::Finished) => {
                    let own = self.own.remove(&id).unwrap();
                    if own.got == own.sent[..] {
                        self.report.own_streams_ok += 1;
                    } else {
                        self.report.own_streams_bad += 1;
                    }
                    let pending = self.open_pending.get_mut(&own.parent).unwrap();
                    *pending -= 1;
                    if *pending == 0 {
                        let job = self.jobs.get_mut(&own.parent).unwrap();
                        job.out.push_back(Bytes::from_static(b"ok"));
                        job.fin = true;
                    }
                    break;
                }
                Ok(Read::Blocked) => break,
                other => {
                    self.report.errors.push(format!("own {id:?}: {other:?}"));
                    self.own.remove(&id);
                    break;
                }
            }
        }
    }

    fn on_data(
        &mut self,
        now: Instant,
        conn: &mut stator_quic::Connection,
        id: StreamId,
        d: Bytes,
    ) {
        let job = self.jobs.entry(id).or_default();
        let mut d = d;
        if job.kind.is_none() {
            let need = 9 - job.header.len();
            let take = need.min(d.len());
            job.header.extend_from_slice(&d[..take]);
            d = d.slice(take..);
            if job.header.len() < 9 {
                return;
            }
            let arg = u64::from_be_bytes(job.header[1..9].try_into().unwrap());
            let kind = match job.header[0] {
                ECHO => Kind::Echo,
                HASH => Kind::Hash(Box::new(digest::Context::new(&digest::SHA256)), 0),
                SEND => {
                    job.generate = Some((0, arg));
                    job.fin = true;
                    Kind::Send
                }
                RESET => {
                    if let Err(e) = conn.stream_reset(id, arg) {
                        self.report.errors.push(format!("reset {id:?}: {e:?}"));
                    }
                    Kind::Reset
                }
                OPEN => {
                    let n = usize::try_from(arg).unwrap();
                    self.open_pending.insert(id, n);
                    self.to_open.push((id, 0, n));
                    Kind::Open
                }
                CLOSE => {
                    conn.close(now, arg, b"stator closes");
                    Kind::Close
                }
                STOP => {
                    if let Err(e) = conn.stream_stop(id, arg) {
                        self.report.errors.push(format!("stop {id:?}: {e:?}"));
                    }
                    job.read_done = true;
                    Kind::Other
                }
                DATAGRAM => {
                    let max = conn.max_datagram_size().unwrap_or(0);
                    let size = max.min(usize::try_from(arg).unwrap());
                    self.report.max_datagram = max;
                    if conn.send_datagram(pattern_at(0, size as u64)).is_err() {
                        self.report.datagram_errors += 1;
                    }
                    job.out
                        .push_back(Bytes::copy_from_slice(&(size as u64).to_be_bytes()));
                    job.fin = true;
                    Kind::Other
                }
                ROTATE => {
                    let rotated = conn.rotate_connection_ids();
                    self.report.rotations += usize::from(rotated);
                    let answer: &'static [u8] = if rotated { b"ok" } else { b"no" };
                    job.out.push_back(Bytes::from_static(answer));
                    job.fin = true;
                    Kind::Other
                }
                other => {
                    self.report.errors.push(format!("unknown command {other}"));
                    Kind::Other
                }
            };
            job.kind = Some(kind);
        }
        let n = d.len() as u64;
        match job.kind.as_mut() {
            Some(Kind::Echo) if !d.is_empty() => job.out.push_back(d),
            Some(Kind::Hash(ctx, len)) => {
                ctx.update(&d);
                *len += n;
                self.report.bytes_hashed += n;
                self.count(n);
            }
            _ => {}
        }
    }

    fn on_fin(&mut self, id: StreamId) {
        let job = self.jobs.entry(id).or_default();
        job.read_done = true;
        match job.kind.take() {
            Some(Kind::Echo) => {
                job.fin = true;
                job.kind = Some(Kind::Echo);
            }
            Some(Kind::Hash(ctx, len)) => {
                let mut reply = ctx.finish().as_ref().to_vec();
                reply.extend_from_slice(&len.to_be_bytes());
                job.out.push_back(reply.into());
                job.fin = true;
            }
            other => job.kind = other,
        }
    }

    fn write(&mut self, conn: &mut stator_quic::Connection, id: StreamId) {
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        if job.finished {
            return;
        }
        let mut generated = 0;
        let result = (|| {
            while let Some(front) = job.out.front_mut() {
                let n = conn.stream_write(id, front)?;
                if n == front.len() {
                    job.out.pop_front();
                } else {
                    *front = front.slice(n..);
                    return Ok(());
                }
            }
            if let Some((sent, total)) = job.generate.as_mut() {
                while *sent < *total {
                    let chunk = pattern_at(*sent, *total - *sent);
                    let n = conn.stream_write(id, &chunk)?;
                    if n == 0 {
                        return Ok(());
                    }
                    *sent += n as u64;
                    generated += n as u64;
                }
            }
            if job.fin {
                conn.stream_finish(id)?;
                job.finished = true;
            }
            Ok::<(), stator_quic::stream::StreamError>(())
        })();
        if let Err(e) = result {
            self.report.errors.push(format!("write {id:?}: {e:?}"));
            job.finished = true;
        }
        self.report.bytes_sent += generated;
        self.count(generated);
    }
}

/// Runs `endpoint` on `socket`, an agent per connection, until `conns` connections
/// ended (or `STATOR_LIMIT`); returns their reports in the order they ended.
fn drive(socket: &UdpSocket, endpoint: &mut Endpoint, conns: usize) -> Vec<Report> {
    let local = socket.local_addr().unwrap();
    let start = Instant::now();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut rx = vec![0u8; 65536];
    let mut agents: HashMap<ConnectionHandle, Agent> = HashMap::new();
    let mut reports = Vec::new();
    loop {
        let now = Instant::now();
        assert!(
            now - start < STATOR_LIMIT,
            "the stator side ran out of time: {reports:?}"
        );
        if endpoint.poll_timeout().is_some_and(|t| t <= now) {
            endpoint.handle_timeout(now);
        }
        let handles: Vec<ConnectionHandle> = endpoint.handles().collect();
        for handle in handles {
            let conn = endpoint.connection_mut(handle).unwrap();
            if conn.is_closed() && !agents.contains_key(&handle) {
                continue;
            }
            let agent = agents.entry(handle).or_default();
            if agent.wake(now, conn) {
                let mut agent = agents.remove(&handle).unwrap();
                agent.report.stats = endpoint.stats();
                reports.push(agent.report);
            }
        }
        // Connections the endpoint removed (closed) end their agents too.
        let gone: Vec<ConnectionHandle> = agents
            .keys()
            .filter(|h| endpoint.connection(**h).is_none())
            .copied()
            .collect();
        for handle in gone {
            let mut agent = agents.remove(&handle).unwrap();
            agent.report.stats = endpoint.stats();
            reports.push(agent.report);
        }
        if reports.len() >= conns {
            return reports;
        }
        endpoint.sync_all();
        while let Some(t) = endpoint.poll_transmit(now, &mut buf) {
            let wait = t.send_time.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            let seg = t.segment_size.unwrap_or(t.size).max(1);
            for d in buf[..t.size].chunks(seg) {
                // Loopback may refuse a send when its queue is full: that is loss.
                let _ = socket.send_to(d, t.destination);
            }
        }
        // Wait for a datagram until the next timer (at most 50 ms, so the agent runs).
        let now = Instant::now();
        let wait = endpoint
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| {
                t.saturating_duration_since(now)
            })
            .min(Duration::from_millis(50));
        let mut first = true;
        loop {
            if first && wait >= Duration::from_micros(20) {
                socket.set_nonblocking(false).unwrap();
                socket.set_read_timeout(Some(wait)).unwrap();
            } else {
                socket.set_nonblocking(true).unwrap();
            }
            first = false;
            match socket.recv_from(&mut rx) {
                Ok((n, remote)) => {
                    endpoint.handle_datagram(
                        Instant::now(),
                        remote,
                        local,
                        Ecn::NotEct,
                        BytesMut::from(&rx[..n]),
                    );
                }
                Err(_) => break,
            }
        }
    }
}

fn stator_transport() -> Arc<TransportConfig> {
    Arc::new(TransportConfig {
        idle_timeout: Some(Duration::from_secs(10)),
        max_datagram_size: 1452,
        ..TransportConfig::default()
    })
}

/// A stator server on 127.0.0.1, running on its own thread until `conns` connections
/// ended.
fn stator_server(
    certs: &common::Certs,
    retry: bool,
    conns: usize,
    chacha_only: bool,
) -> (SocketAddr, JoinHandle<Vec<Report>>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let mut config = EndpointConfig::new(ResetKey::new(b"interop server reset key"));
    config.server = Some(ServerSetup {
        config: ServerConfig {
            tls: Arc::new(common::server_config(certs, &[ALPN], chacha_only)),
            transport: stator_transport(),
        },
        retry,
        token_key: Arc::new(TokenKey::new(&[7; 32])),
        token_lifetimes: TokenLifetimes::default(),
    });
    let mut endpoint = Endpoint::new(config, Box::new(SeededRandom::new(1)));
    let handle = std::thread::spawn(move || drive(&socket, &mut endpoint, conns));
    (addr, handle)
}

/// A stator client connecting to `server`, running on its own thread until the
/// connection ends; with `again`, then once more with the first `NEW_TOKEN` the server
/// sent.
fn stator_client(
    certs: &common::Certs,
    server: SocketAddr,
    again: bool,
    chacha_only: bool,
) -> JoinHandle<Vec<Report>> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut config = ClientConfig::new(
        Arc::new(common::client_config(certs, chacha_only)),
        ServerName::try_from("localhost").unwrap(),
        vec![ALPN.to_vec()],
    );
    config.transport = stator_transport();
    let mut endpoint = Endpoint::new(
        EndpointConfig::new(ResetKey::new(b"interop client reset key")),
        Box::new(SeededRandom::new(2)),
    );
    endpoint.connect(Instant::now(), &config, server).unwrap();
    std::thread::spawn(move || {
        let mut reports = drive(&socket, &mut endpoint, 1);
        if again {
            let token = reports[0]
                .tokens
                .first()
                .expect("no NEW_TOKEN came")
                .to_vec();
            config.token = Some(token);
            endpoint.connect(Instant::now(), &config, server).unwrap();
            reports.extend(drive(&socket, &mut endpoint, 1));
        }
        reports
    })
}

// ----- the quinn side -----

fn quinn_transport(idle: Duration) -> Arc<quinn::TransportConfig> {
    let mut t = quinn::TransportConfig::default();
    t.max_idle_timeout(Some(idle.try_into().unwrap()));
    Arc::new(t)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// quinn is the client, stator the server.
    QuinnClient,
    /// stator is the client, quinn the server.
    QuinnServer,
}

/// What a quinn-side scenario reports besides the stator side's report.
struct Run {
    report: Report,
    /// quinn server only: the first Initial was answered with Retry and the second came
    /// validated.
    retried: bool,
}

/// Connects quinn and stator in `role`, runs `scenario` on quinn's connection, and
/// returns once the stator side ended.
fn run<F, Fut>(role: Role, retry: bool, scenario: F) -> Run
where
    F: FnOnce(quinn::Connection) -> Fut,
    Fut: Future<Output = ()>,
{
    run_with(
        role,
        Options {
            retry,
            ..Options::default()
        },
        scenario,
    )
}

/// How a test sets its peers up.
#[derive(Clone, Copy)]
struct Options {
    /// The server sends Retry.
    retry: bool,
    /// quinn's idle timeout.
    idle: Duration,
    /// The stator side offers only ChaCha20-Poly1305.
    chacha_only: bool,
    /// quinn uses zero-length connection IDs.
    empty_quinn_cids: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            retry: false,
            idle: Duration::from_secs(10),
            chacha_only: false,
            empty_quinn_cids: false,
        }
    }
}

/// A quinn endpoint on 127.0.0.1, with zero-length connection IDs if `empty_cids`.
fn quinn_endpoint(server: Option<quinn::ServerConfig>, empty_cids: bool) -> quinn::Endpoint {
    let mut config = quinn::EndpointConfig::default();
    if empty_cids {
        config.cid_generator(|| Box::new(EmptyCids));
    }
    quinn::Endpoint::new(
        config,
        server,
        UdpSocket::bind("127.0.0.1:0").unwrap(),
        quinn::default_runtime().unwrap(),
    )
    .unwrap()
}

/// quinn's connection IDs when they are empty.
struct EmptyCids;

impl quinn::ConnectionIdGenerator for EmptyCids {
    fn generate_cid(&mut self) -> quinn::ConnectionId {
        quinn::ConnectionId::new(&[])
    }

    fn cid_len(&self) -> usize {
        0
    }

    fn cid_lifetime(&self) -> Option<Duration> {
        None
    }
}

/// [`run`] with `options`.
fn run_with<F, Fut>(role: Role, options: Options, scenario: F) -> Run
where
    F: FnOnce(quinn::Connection) -> Fut,
    Fut: Future<Output = ()>,
{
    let certs = common::certs();
    let Options {
        retry,
        idle,
        chacha_only,
        empty_quinn_cids,
    } = options;
    let rt = runtime();
    rt.block_on(async move {
        match role {
            Role::QuinnClient => {
                let (addr, stator) = stator_server(&certs, retry, 1, chacha_only);
                let mut endpoint = quinn_endpoint(None, empty_quinn_cids);
                let mut tls = common::client_config(&certs, false);
                tls.alpn_protocols = vec![ALPN.to_vec()];
                let mut config =
                    quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls).unwrap()));
                config.transport_config(quinn_transport(idle));
                endpoint.set_default_client_config(config);
                let conn = tokio::time::timeout(
                    Duration::from_secs(10),
                    endpoint.connect(addr, "localhost").unwrap(),
                )
                .await
                .expect("quinn client: handshake timed out")
                .expect("quinn client: handshake failed");
                check_alpn(&conn);
                scenario(conn).await;
                endpoint.wait_idle().await;
                let report = tokio::task::spawn_blocking(move || stator.join().unwrap())
                    .await
                    .unwrap()
                    .pop()
                    .unwrap();
                Run {
                    report,
                    retried: false,
                }
            }
            Role::QuinnServer => {
                let tls = common::server_config(&certs, &[ALPN], false);
                let mut config = quinn::ServerConfig::with_crypto(Arc::new(
                    QuicServerConfig::try_from(tls).unwrap(),
                ));
                config.transport_config(quinn_transport(idle));
                let endpoint = quinn_endpoint(Some(config), empty_quinn_cids);
                let stator =
                    stator_client(&certs, endpoint.local_addr().unwrap(), false, chacha_only);
                let mut retried = false;
                let accept = async {
                    let mut incoming = endpoint.accept().await.unwrap();
                    if retry {
                        assert!(!incoming.remote_address_validated());
                        incoming.retry().unwrap();
                        incoming = endpoint.accept().await.unwrap();
                        assert!(incoming.remote_address_validated());
                        retried = true;
                    }
                    incoming.await
                };
                let conn = tokio::time::timeout(Duration::from_secs(10), accept)
                    .await
                    .expect("quinn server: handshake timed out")
                    .expect("quinn server: handshake failed");
                check_alpn(&conn);
                scenario(conn).await;
                endpoint.wait_idle().await;
                let report = tokio::task::spawn_blocking(move || stator.join().unwrap())
                    .await
                    .unwrap()
                    .pop()
                    .unwrap();
                Run { report, retried }
            }
        }
    })
}

fn check_alpn(conn: &quinn::Connection) {
    let data = conn
        .handshake_data()
        .unwrap()
        .downcast::<quinn::crypto::rustls::HandshakeData>()
        .unwrap();
    assert_eq!(data.protocol.as_deref(), Some(ALPN));
}

/// Common checks of the stator side's report: it connected with our ALPN and saw no
/// errors.
fn check_report(report: &Report) {
    assert!(report.connected, "{report:?}");
    assert_eq!(report.alpn.as_deref(), Some(ALPN), "{report:?}");
    assert!(report.errors.is_empty(), "{report:?}");
}

/// Closes quinn's connection with `code`; the stator side must see it.
fn quinn_close(conn: &quinn::Connection, code: u32) {
    conn.close(code.into(), b"quinn closes");
}

fn assert_peer_closed(report: &Report, code: u64) {
    assert_eq!(
        report.close,
        Some(CloseReason::PeerApplication {
            code,
            reason: Bytes::from_static(b"quinn closes"),
        }),
        "{report:?}"
    );
}

/// Sends `data` after an `ECHO` command and checks it comes back, writing and reading
/// at once.
async fn echo(conn: &quinn::Connection, data: Bytes) {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let expected = data.clone();
    let writer = async move {
        send.write_all(&command(ECHO, 0)).await.unwrap();
        send.write_all(&data).await.unwrap();
        send.finish().unwrap();
    };
    let reader = async move { recv.read_to_end(usize::MAX).await.unwrap() };
    let ((), got) = tokio::join!(writer, reader);
    assert_eq!(got.len(), expected.len());
    assert!(got == expected[..], "echo differs");
}

// ----- scenarios -----

async fn echo_scenario(conn: quinn::Connection) {
    echo(&conn, Bytes::from_static(b"hello stator")).await;
    echo(&conn, pattern_at(5, 3 * MIB)).await;
    quinn_close(&conn, 0x42);
}

fn echo_test(role: Role) {
    let run = run(role, false, echo_scenario);
    check_report(&run.report);
    assert_peer_closed(&run.report, 0x42);
}

/// quinn sends `total` bytes after a `HASH` command and checks the answer, forcing key
/// updates of its own on the way.
async fn upload(conn: &quinn::Connection, total: u64) {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&command(HASH, 0)).await.unwrap();
    let mut offset = 0;
    let mut next_update = KEY_UPDATE_EVERY / 2;
    while offset < total {
        let chunk = pattern_at(offset, (total - offset).min(MIB));
        send.write_all(&chunk).await.unwrap();
        offset += chunk.len() as u64;
        if offset >= next_update {
            conn.force_key_update();
            next_update += KEY_UPDATE_EVERY;
        }
    }
    send.finish().unwrap();
    let answer = recv.read_to_end(64).await.unwrap();
    assert_eq!(answer.len(), 40);
    assert_eq!(u64::from_be_bytes(answer[32..].try_into().unwrap()), total);
    assert_eq!(
        answer[..32],
        pattern_hash(total)[..],
        "hash of the upload differs"
    );
}

/// quinn asks for `total` bytes with a `SEND` command and hashes them, forcing key
/// updates of its own on the way.
async fn download(conn: &quinn::Connection, total: u64) {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&command(SEND, total)).await.unwrap();
    send.finish().unwrap();
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut got = 0u64;
    let mut next_update = KEY_UPDATE_EVERY / 2;
    while let Some(chunk) = recv.read_chunk(usize::MAX, true).await.unwrap() {
        ctx.update(&chunk.bytes);
        got += chunk.bytes.len() as u64;
        if got >= next_update {
            conn.force_key_update();
            next_update += KEY_UPDATE_EVERY;
        }
    }
    assert_eq!(got, total);
    assert_eq!(
        ctx.finish().as_ref(),
        &pattern_hash(total)[..],
        "hash of the download differs"
    );
}

fn transfer_test(role: Role, up: bool) {
    let started = Instant::now();
    let run = run(role, false, move |conn| async move {
        if up {
            upload(&conn, 100 * MIB).await;
        } else {
            download(&conn, 100 * MIB).await;
        }
        quinn_close(&conn, 0);
    });
    eprintln!(
        "{role:?} {}: 100 MiB in {:?}",
        if up {
            "quinn→stator"
        } else {
            "stator→quinn"
        },
        started.elapsed()
    );
    let report = &run.report;
    check_report(report);
    assert_peer_closed(report, 0);
    if up {
        assert_eq!(report.bytes_hashed, 100 * MIB);
    } else {
        assert_eq!(report.bytes_sent, 100 * MIB);
    }
    // Every 16 MiB the stator side forced a key update (RFC 9001 §6) and so did quinn,
    // half-way between: both sides' updates happened during the transfer.
    assert!(report.forced_updates >= 5, "{report:?}");
    assert!(report.key_updates > report.forced_updates, "{report:?}");
}

/// Each side opens `n` bidirectional streams at once, the other echoes each. Beyond
/// 100 both sides wait for `MAX_STREAMS` credit (both limits are 100).
async fn streams_scenario(conn: quinn::Connection, n: u64) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let conn = conn.clone();
        set.spawn_local(async move {
            echo(&conn, Bytes::from(format!("stream {i} from quinn"))).await;
        });
    }
    // The stator side's: quinn echoes each.
    let acceptor = {
        let conn = conn.clone();
        tokio::task::spawn_local(async move {
            let mut accepted = 0;
            while accepted < n {
                let (mut send, mut recv) = conn.accept_bi().await.unwrap();
                tokio::task::spawn_local(async move {
                    let data = recv.read_to_end(1024).await.unwrap();
                    send.write_all(&data).await.unwrap();
                    send.finish().unwrap();
                    let _ = send.stopped().await;
                });
                accepted += 1;
            }
        })
    };
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&command(OPEN, n)).await.unwrap();
    send.finish().unwrap();
    assert_eq!(recv.read_to_end(16).await.unwrap(), b"ok");
    acceptor.await.unwrap();
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    quinn_close(&conn, 0x100);
}

fn streams_test(role: Role, n: u64) {
    let run = run(role, false, move |conn| async move {
        tokio::task::LocalSet::new()
            .run_until(streams_scenario(conn, n))
            .await;
    });
    check_report(&run.report);
    assert_eq!(run.report.own_streams_ok as u64, n, "{:?}", run.report);
    assert_eq!(run.report.own_streams_bad, 0);
    assert_peer_closed(&run.report, 0x100);
}

async fn datagram_scenario(conn: quinn::Connection) {
    assert!(conn.max_datagram_size().is_some());
    for i in 0..20u32 {
        let d = Bytes::from(format!("datagram {i}").repeat(usize::try_from(i).unwrap() + 1));
        conn.send_datagram(d.clone()).unwrap();
        let back = tokio::time::timeout(Duration::from_secs(5), conn.read_datagram())
            .await
            .expect("no datagram came back")
            .unwrap();
        assert_eq!(back, d);
    }
    quinn_close(&conn, 0xd);
}

/// The largest datagram each side may send reaches the other: quinn's at its current
/// path MTU, the stator side's at its own limit.
async fn large_datagram_scenario(conn: quinn::Connection) {
    // Let quinn's path MTU discovery settle first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let max = conn.max_datagram_size().unwrap();
    let d = pattern_at(3, max as u64);
    conn.send_datagram(d.clone()).unwrap();
    // The stator side may not echo one that large; it answers a DATAGRAM command.
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&command(DATAGRAM, 65_535)).await.unwrap();
    send.finish().unwrap();
    let answer = recv.read_to_end(8).await.unwrap();
    let size = u64::from_be_bytes(answer[..].try_into().unwrap());
    loop {
        let got = tokio::time::timeout(Duration::from_secs(5), conn.read_datagram())
            .await
            .expect("no datagram came")
            .unwrap();
        if got.len() as u64 == size {
            assert_eq!(got, pattern_at(0, size));
            break;
        }
        // The echo of quinn's own datagram, if the stator side could send it back.
        assert_eq!(got, d);
    }
    assert!(
        size >= 1200,
        "the stator side sends datagrams of only {size} bytes"
    );
    quinn_close(&conn, 0xdd);
}

fn large_datagram_test(role: Role) {
    let run = run(role, false, large_datagram_scenario);
    check_report(&run.report);
    // quinn's datagram arrived.
    assert_eq!(run.report.datagrams, 1, "{:?}", run.report);
    assert_peer_closed(&run.report, 0xdd);
}

/// Both sides time out an idle connection at the smaller of their idle timeouts
/// (RFC 9000 §10.1): quinn's 1 s here, the stator side's 10 s.
fn idle_test(role: Role) {
    let started = Instant::now();
    let options = Options {
        idle: Duration::from_secs(1),
        ..Options::default()
    };
    let run = run_with(role, options, |conn| async move {
        let err = tokio::time::timeout(Duration::from_secs(5), conn.closed())
            .await
            .expect("quinn did not time out");
        assert_eq!(err, quinn::ConnectionError::TimedOut);
    });
    check_report(&run.report);
    assert_eq!(run.report.close, Some(CloseReason::IdleTimeout));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

fn datagram_test(role: Role) {
    let run = run(role, false, datagram_scenario);
    check_report(&run.report);
    assert_eq!(run.report.datagrams, 20);
    assert_eq!(run.report.datagram_errors, 0);
    assert_peer_closed(&run.report, 0xd);
}

/// The stator side closes with 0x43: quinn sees the code and reason.
fn stator_close_test(role: Role) {
    let run = run(role, false, |conn| async move {
        let (mut send, _recv) = conn.open_bi().await.unwrap();
        send.write_all(&command(CLOSE, 0x43)).await.unwrap();
        send.finish().unwrap();
        let err = tokio::time::timeout(Duration::from_secs(5), conn.closed())
            .await
            .expect("the stator side did not close");
        match err {
            quinn::ConnectionError::ApplicationClosed(close) => {
                assert_eq!(close.error_code, quinn::VarInt::from_u32(0x43));
                assert_eq!(&close.reason[..], b"stator closes");
            }
            other => panic!("quinn saw {other:?}"),
        }
    });
    check_report(&run.report);
    assert_eq!(
        run.report.close,
        Some(CloseReason::Local {
            code: 0x43,
            reason: Bytes::from_static(b"stator closes"),
        })
    );
}

fn retry_test(role: Role) {
    let run = run(role, true, |conn| async move {
        echo(&conn, Bytes::from_static(b"after retry")).await;
        quinn_close(&conn, 0x7);
    });
    check_report(&run.report);
    assert_peer_closed(&run.report, 0x7);
    match role {
        Role::QuinnClient => assert_eq!(run.report.stats.retries, 1),
        Role::QuinnServer => assert!(run.retried),
    }
}

/// Each side resets a stream and stops one; the other sees the codes.
fn reset_test(role: Role) {
    let run = run(role, false, |conn| async move {
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&command(RESET, 0x77)).await.unwrap();
        let mut buf = [0u8; 16];
        match recv.read(&mut buf).await {
            Err(quinn::ReadError::Reset(code)) => assert_eq!(code, quinn::VarInt::from_u32(0x77)),
            other => panic!("quinn read {other:?}"),
        }
        send.reset(quinn::VarInt::from_u32(0x88)).unwrap();
        // STOP_SENDING from the stator side: quinn's send side learns the code.
        let (mut send, _recv) = conn.open_bi().await.unwrap();
        send.write_all(&command(STOP, 0x99)).await.unwrap();
        let stopped = tokio::time::timeout(Duration::from_secs(5), send.stopped())
            .await
            .expect("no STOP_SENDING came");
        assert_eq!(stopped.unwrap(), Some(quinn::VarInt::from_u32(0x99)));
        // STOP_SENDING from quinn in the middle of a long send.
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&command(SEND, 64 * MIB)).await.unwrap();
        send.finish().unwrap();
        let mut got = 0;
        while got < MIB {
            got += recv
                .read_chunk(usize::MAX, true)
                .await
                .unwrap()
                .unwrap()
                .bytes
                .len() as u64;
        }
        recv.stop(quinn::VarInt::from_u32(0xaa)).unwrap();
        // A round trip after the reset, so the stator side has seen it before the close.
        echo(&conn, Bytes::from_static(b"after the resets")).await;
        quinn_close(&conn, 0x9);
    });
    check_report(&run.report);
    assert_eq!(run.report.resets_seen, vec![0x88], "{:?}", run.report);
    assert_eq!(run.report.stops_seen, vec![0xaa], "{:?}", run.report);
    assert_peer_closed(&run.report, 0x9);
}

/// The stator side retires its connection IDs and moves to fresh ones of quinn's, a
/// few times during a transfer (RFC 9000 §5.1).
fn rotation_test(role: Role) {
    let run = run(role, false, |conn| async move {
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&command(SEND, 16 * MIB)).await.unwrap();
        send.finish().unwrap();
        let mut ctx = digest::Context::new(&digest::SHA256);
        let mut got = 0u64;
        let mut next_rotation = 2 * MIB;
        let mut answers = Vec::new();
        while let Some(chunk) = recv.read_chunk(usize::MAX, true).await.unwrap() {
            ctx.update(&chunk.bytes);
            got += chunk.bytes.len() as u64;
            if got >= next_rotation && next_rotation <= 8 * MIB {
                next_rotation += 2 * MIB;
                let (mut s, mut r) = conn.open_bi().await.unwrap();
                s.write_all(&command(ROTATE, 0)).await.unwrap();
                s.finish().unwrap();
                answers.push(r.read_to_end(8).await.unwrap());
            }
        }
        assert_eq!(got, 16 * MIB);
        assert_eq!(ctx.finish().as_ref(), &pattern_hash(16 * MIB)[..]);
        assert_eq!(answers, vec![b"ok".to_vec(); 4]);
        echo(&conn, Bytes::from_static(b"after the rotations")).await;
        quinn_close(&conn, 0x5);
    });
    check_report(&run.report);
    assert_eq!(run.report.rotations, 4);
    assert_peer_closed(&run.report, 0x5);
}

/// Accepts every address-validation token once (enough for a test: quinn without its
/// `bloom` feature would ignore `NEW_TOKEN` tokens).
struct TokenLogForTests(std::sync::Mutex<HashSet<u128>>);

impl quinn::TokenLog for TokenLogForTests {
    fn check_and_insert(
        &self,
        nonce: u128,
        _issued: std::time::SystemTime,
        _lifetime: Duration,
    ) -> Result<(), quinn::TokenReuseError> {
        if self.0.lock().unwrap().insert(nonce) {
            Ok(())
        } else {
            Err(quinn::TokenReuseError)
        }
    }
}

/// A stator client is sent through Retry by a quinn server, takes the `NEW_TOKEN` quinn
/// sends, and with it connects again without Retry (RFC 9000 §8.1.3).
#[test]
fn quinn_server_new_token_spares_a_retry() {
    let certs = common::certs();
    runtime().block_on(async move {
        let tls = common::server_config(&certs, &[ALPN], false);
        let mut config =
            quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(tls).unwrap()));
        config.transport_config(quinn_transport(Duration::from_secs(10)));
        let mut tokens = quinn::ValidationTokenConfig::default();
        tokens
            .log(Arc::new(TokenLogForTests(std::sync::Mutex::default())))
            .sent(1);
        config.validation_token_config(tokens);
        let endpoint = quinn::Endpoint::server(config, "127.0.0.1:0".parse().unwrap()).unwrap();
        let stator = stator_client(&certs, endpoint.local_addr().unwrap(), true, false);
        // First connection: no token, so Retry.
        let incoming = endpoint.accept().await.unwrap();
        assert!(!incoming.remote_address_validated());
        incoming.retry().unwrap();
        let incoming = endpoint.accept().await.unwrap();
        assert!(incoming.remote_address_validated());
        let conn = incoming.await.unwrap();
        echo(&conn, Bytes::from_static(b"first")).await;
        // Give quinn's NEW_TOKEN time to arrive before closing.
        tokio::time::sleep(Duration::from_millis(100)).await;
        quinn_close(&conn, 1);
        // Second connection: the token validates the address at once.
        let incoming = tokio::time::timeout(Duration::from_secs(10), endpoint.accept())
            .await
            .expect("no second connection")
            .unwrap();
        assert!(incoming.remote_address_validated());
        let conn = incoming.await.unwrap();
        echo(&conn, Bytes::from_static(b"second")).await;
        quinn_close(&conn, 2);
        endpoint.wait_idle().await;
        let reports = tokio::task::spawn_blocking(move || stator.join().unwrap())
            .await
            .unwrap();
        assert_eq!(reports.len(), 2);
        for (report, code) in reports.iter().zip([1, 2]) {
            check_report(report);
            assert_peer_closed(report, code);
        }
        assert!(!reports[0].tokens.is_empty());
    });
}

/// 32 MiB each way at the same time, quinn forcing a key update after every 256 KiB it
/// writes (the stator side every 16 MiB it moves).
fn both_ways_test(role: Role) {
    let run = run(role, false, |conn| async move {
        let up = async {
            let (mut send, mut recv) = conn.open_bi().await.unwrap();
            send.write_all(&command(HASH, 0)).await.unwrap();
            let total = 32 * MIB;
            let mut offset = 0;
            while offset < total {
                let chunk = pattern_at(offset, (total - offset).min(256 * 1024));
                send.write_all(&chunk).await.unwrap();
                offset += chunk.len() as u64;
                conn.force_key_update();
            }
            send.finish().unwrap();
            let answer = recv.read_to_end(64).await.unwrap();
            assert_eq!(answer[..32], pattern_hash(total)[..]);
        };
        let down = download(&conn, 32 * MIB);
        tokio::join!(up, down);
        quinn_close(&conn, 0xb);
    });
    check_report(&run.report);
    assert_eq!(run.report.bytes_hashed, 32 * MIB);
    assert_eq!(run.report.bytes_sent, 32 * MIB);
    assert!(run.report.forced_updates >= 3, "{:?}", run.report);
    assert!(
        run.report.key_updates > run.report.forced_updates,
        "{:?}",
        run.report
    );
    assert_peer_closed(&run.report, 0xb);
}

/// Ten quinn connections at once to one stator server endpoint, each echoing its own
/// data and closing with its own code: the endpoint keeps them apart.
#[test]
fn quinn_clients_ten_connections_to_one_stator_server() {
    let certs = common::certs();
    runtime().block_on(async move {
        let (addr, stator) = stator_server(&certs, false, 10, false);
        let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        let mut tls = common::client_config(&certs, false);
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let mut config =
            quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls).unwrap()));
        config.transport_config(quinn_transport(Duration::from_secs(10)));
        endpoint.set_default_client_config(config);
        let mut set = tokio::task::JoinSet::new();
        for i in 0..10u32 {
            let connecting = endpoint.connect(addr, "localhost").unwrap();
            set.spawn(async move {
                let conn = connecting.await.unwrap();
                echo(&conn, pattern_at(u64::from(i) * 7, 256 * 1024)).await;
                quinn_close(&conn, 0x1000 + i);
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
        endpoint.wait_idle().await;
        let reports = tokio::task::spawn_blocking(move || stator.join().unwrap())
            .await
            .unwrap();
        let mut codes: Vec<u64> = reports
            .iter()
            .map(|r| {
                check_report(r);
                match &r.close {
                    Some(CloseReason::PeerApplication { code, .. }) => *code,
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, (0x1000..0x100a).collect::<Vec<u64>>());
        assert_eq!(reports.last().unwrap().stats.accepted, 10);
    });
}

/// With the stator side offering only ChaCha20-Poly1305, 16 MiB each way (in turn) with
/// key updates: `ChaCha20` header protection and AEAD against quinn's.
fn chacha_test(role: Role) {
    let options = Options {
        chacha_only: true,
        ..Options::default()
    };
    let run = run_with(role, options, |conn| async move {
        upload(&conn, 16 * MIB).await;
        download(&conn, 16 * MIB).await;
        quinn_close(&conn, 0xc);
    });
    check_report(&run.report);
    assert_eq!(run.report.bytes_hashed, 16 * MIB);
    assert_eq!(run.report.bytes_sent, 16 * MIB);
    assert!(run.report.forced_updates >= 2, "{:?}", run.report);
    assert!(
        run.report.key_updates > run.report.forced_updates,
        "{:?}",
        run.report
    );
    assert_peer_closed(&run.report, 0xc);
}

#[test]
fn quinn_client_with_chacha20() {
    chacha_test(Role::QuinnClient);
}

#[test]
fn quinn_server_with_chacha20() {
    chacha_test(Role::QuinnServer);
}

/// quinn with zero-length connection IDs (RFC 9000 §5.1): the stator side sends to an
/// empty Destination Connection ID, and quinn sends no `NEW_CONNECTION_ID`.
fn empty_cids_test(role: Role) {
    let options = Options {
        empty_quinn_cids: true,
        ..Options::default()
    };
    let run = run_with(role, options, |conn| async move {
        echo(&conn, pattern_at(0, 4 * MIB)).await;
        download(&conn, 16 * MIB).await;
        quinn_close(&conn, 0xe);
    });
    check_report(&run.report);
    assert_peer_closed(&run.report, 0xe);
}

#[test]
fn quinn_client_with_empty_connection_ids() {
    empty_cids_test(Role::QuinnClient);
}

#[test]
fn quinn_server_with_empty_connection_ids() {
    empty_cids_test(Role::QuinnServer);
}

/// No ALPN protocol in common: the server fails the handshake with TLS alert 120
/// (`no_application_protocol`, RFC 9001 §8.1), which the client sees as
/// `CRYPTO_ERROR` 0x178.
#[test]
fn alpn_mismatch_is_crypto_error_0x178_both_ways() {
    let certs = common::certs();
    runtime().block_on(async move {
        // quinn client offering only "h3" to a stator server serving ALPN.
        let (addr, stator) = stator_server(&certs, false, 1, false);
        let mut endpoint = quinn_endpoint(None, false);
        let mut tls = common::client_config(&certs, false);
        tls.alpn_protocols = vec![b"h3".to_vec()];
        let config = quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls).unwrap()));
        endpoint.set_default_client_config(config);
        let err = tokio::time::timeout(
            Duration::from_secs(5),
            endpoint.connect(addr, "localhost").unwrap(),
        )
        .await
        .expect("quinn client: no answer")
        .unwrap_err();
        match err {
            quinn::ConnectionError::ConnectionClosed(close) => {
                assert_eq!(close.error_code, quinn::TransportErrorCode::crypto(120));
            }
            other => panic!("quinn saw {other:?}"),
        }
        endpoint.wait_idle().await;
        let report = tokio::task::spawn_blocking(move || stator.join().unwrap())
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert!(!report.connected);
        match &report.close {
            Some(CloseReason::Transport(e)) => assert_eq!(e.code, stator_quic::Code::crypto(120)),
            other => panic!("the stator server saw {other:?}"),
        }

        // A stator client offering ALPN to a quinn server serving only "h3".
        let mut tls = common::server_config(&certs, &[b"h3"], false);
        tls.alpn_protocols = vec![b"h3".to_vec()];
        let config =
            quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(tls).unwrap()));
        let endpoint = quinn_endpoint(Some(config), false);
        let stator = stator_client(&certs, endpoint.local_addr().unwrap(), false, false);
        let incoming = endpoint.accept().await.unwrap();
        assert!(incoming.await.is_err());
        let report = tokio::task::spawn_blocking(move || stator.join().unwrap())
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert!(!report.connected);
        match &report.close {
            Some(CloseReason::PeerTransport { code, .. }) => {
                assert_eq!(*code, stator_quic::Code::crypto(120));
            }
            other => panic!("the stator client saw {other:?}"),
        }
    });
}

// ----- quinn client, stator server -----

#[test]
fn quinn_client_handshake_alpn_and_echo() {
    echo_test(Role::QuinnClient);
}

#[test]
fn quinn_client_upload_100_mib_with_key_updates() {
    transfer_test(Role::QuinnClient, true);
}

#[test]
fn quinn_client_download_100_mib_with_key_updates() {
    transfer_test(Role::QuinnClient, false);
}

#[test]
fn quinn_client_32_mib_both_ways_at_once_with_frequent_key_updates() {
    both_ways_test(Role::QuinnClient);
}

#[test]
fn quinn_client_100_concurrent_streams_each_way() {
    streams_test(Role::QuinnClient, 100);
}

#[test]
fn quinn_client_1000_streams_beyond_the_limits() {
    streams_test(Role::QuinnClient, 1000);
}

#[test]
fn quinn_client_datagrams_both_ways() {
    datagram_test(Role::QuinnClient);
}

#[test]
fn quinn_client_largest_datagrams() {
    large_datagram_test(Role::QuinnClient);
}

#[test]
fn quinn_client_idle_timeout() {
    idle_test(Role::QuinnClient);
}

#[test]
fn quinn_client_sees_stator_server_close_code() {
    stator_close_test(Role::QuinnClient);
}

#[test]
fn quinn_client_through_stator_retry() {
    retry_test(Role::QuinnClient);
}

#[test]
fn quinn_client_stream_resets_both_ways() {
    reset_test(Role::QuinnClient);
}

#[test]
fn quinn_client_follows_stator_cid_rotation() {
    rotation_test(Role::QuinnClient);
}

// ----- stator client, quinn server -----

#[test]
fn quinn_server_handshake_alpn_and_echo() {
    echo_test(Role::QuinnServer);
}

#[test]
fn quinn_server_upload_100_mib_with_key_updates() {
    transfer_test(Role::QuinnServer, true);
}

#[test]
fn quinn_server_download_100_mib_with_key_updates() {
    transfer_test(Role::QuinnServer, false);
}

#[test]
fn quinn_server_32_mib_both_ways_at_once_with_frequent_key_updates() {
    both_ways_test(Role::QuinnServer);
}

#[test]
fn quinn_server_100_concurrent_streams_each_way() {
    streams_test(Role::QuinnServer, 100);
}

#[test]
fn quinn_server_1000_streams_beyond_the_limits() {
    streams_test(Role::QuinnServer, 1000);
}

#[test]
fn quinn_server_datagrams_both_ways() {
    datagram_test(Role::QuinnServer);
}

#[test]
fn quinn_server_largest_datagrams() {
    large_datagram_test(Role::QuinnServer);
}

#[test]
fn quinn_server_idle_timeout() {
    idle_test(Role::QuinnServer);
}

#[test]
fn quinn_server_sees_stator_client_close_code() {
    stator_close_test(Role::QuinnServer);
}

#[test]
fn quinn_server_with_retry() {
    retry_test(Role::QuinnServer);
}

#[test]
fn quinn_server_stream_resets_both_ways() {
    reset_test(Role::QuinnServer);
}

#[test]
fn quinn_server_follows_stator_cid_rotation() {
    rotation_test(Role::QuinnServer);
}
