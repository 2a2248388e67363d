//! A deterministic simulated network for testing sans-IO datagram endpoints.
//!
//! `stator-sim` is test support for the QUIC, HTTP/3 and WebTransport crates. It moves
//! datagrams between any number of [`Endpoint`]s (each bound to a `SocketAddr`) over
//! directional links ([`LinkConfig`]) that model latency, jitter, random loss, burst loss
//! (Gilbert–Elliott), reordering, duplication, a bandwidth limit with a bounded tail-drop
//! queue, an MTU and blackhole periods.
//!
//! Time is simulated: the simulator takes one `Instant::now()` at construction and only
//! ever adds durations to it, jumping straight to the next event (a datagram arrival or an
//! endpoint timer). All randomness comes from a [`SeededRandom`] built from the seed, so the
//! same seed and the same endpoints give an identical run, down to the order of deliveries
//! ([`Sim::fingerprint`]). Each run keeps per-link [`LinkStats`].
//!
//! The loop of [`Sim::run`]: collect every endpoint's transmits (`poll_transmit` until
//! `None`) and put them on their links; ask the stop condition; advance time to the next
//! event; deliver the datagrams due at that time (in arrival order, ties in send order); fire
//! the endpoints' due timers; repeat.
//!
//! # Example
//!
//! Two endpoints exchange a datagram over a 10 ms link:
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use stator_sim::{Endpoint, LinkConfig, Sim, Transmit};
//!
//! /// Sends `hello` once to `peer` (if any) and remembers what it receives.
//! struct Toy {
//!     peer: Option<SocketAddr>,
//!     received: Vec<(Instant, Bytes)>,
//! }
//!
//! impl Endpoint for Toy {
//!     fn handle_datagram(&mut self, now: Instant, _remote: SocketAddr, _local: SocketAddr, bytes: Bytes) {
//!         self.received.push((now, bytes));
//!     }
//!     fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
//!         let destination = self.peer.take()?;
//!         Some(Transmit { destination, bytes: Bytes::from_static(b"hello") })
//!     }
//!     fn poll_timeout(&self) -> Option<Instant> { None }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//! }
//!
//! let a: SocketAddr = "10.0.0.1:4433".parse().unwrap();
//! let b: SocketAddr = "10.0.0.2:4433".parse().unwrap();
//! let mut sim = Sim::new(7);
//! sim.add_node(a, Toy { peer: Some(b), received: Vec::new() });
//! sim.add_node(b, Toy { peer: None, received: Vec::new() });
//! sim.link_both(a, b, LinkConfig { latency: Duration::from_millis(10), ..LinkConfig::default() });
//!
//! let outcome = sim.run(Duration::from_secs(1), |sim| {
//!     sim.node::<Toy>(b).is_some_and(|toy| !toy.received.is_empty())
//! });
//! assert_eq!(outcome, stator_sim::Outcome::Stopped);
//! let toy = sim.node::<Toy>(b).unwrap();
//! assert_eq!(toy.received[0].1, "hello");
//! assert_eq!(toy.received[0].0 - sim.start(), Duration::from_millis(10));
//! assert_eq!(sim.stats(a, b).unwrap().delivered, 1);
//! ```

use std::any::Any;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use stator_wire::rand::{Random, SeededRandom};

/// A datagram an endpoint wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where it goes.
    pub destination: SocketAddr,
    /// The datagram's payload.
    pub bytes: Bytes,
}

/// A sans-IO datagram endpoint the simulator drives (the shape of DESIGN.md §2).
///
/// The simulator calls `poll_transmit` until it returns `None` after every input, so an
/// endpoint may queue several datagrams at once.
pub trait Endpoint: Any {
    /// A datagram from `remote` arrived at `local` (this endpoint's address) at `now`.
    fn handle_datagram(
        &mut self,
        now: Instant,
        remote: SocketAddr,
        local: SocketAddr,
        bytes: Bytes,
    );
    /// The next datagram to send, if any.
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit>;
    /// When this endpoint next wants `handle_timeout` called.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The time returned by `poll_timeout` has come.
    fn handle_timeout(&mut self, now: Instant);
}

/// Gilbert–Elliott burst loss: a two-state Markov chain stepped once per datagram.
///
/// In the good state the link's ordinary `loss` applies; in the bad state a datagram is lost
/// with probability `loss_in_bad` (counted as [`LinkStats::lost_burst`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    /// Probability, per datagram, of moving from the good to the bad state.
    pub good_to_bad: f64,
    /// Probability, per datagram, of moving from the bad to the good state.
    pub bad_to_good: f64,
    /// Loss probability while in the bad state.
    pub loss_in_bad: f64,
}

/// The behaviour of one directional link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One-way propagation delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `[0, jitter]` per datagram (can reorder datagrams).
    pub jitter: Duration,
    /// Independent random loss probability (in `[0, 1]`).
    pub loss: f64,
    /// Burst loss, if any.
    pub burst: Option<GilbertElliott>,
    /// Probability that a datagram is held back by `reorder_delay` (counted as reordered).
    pub reorder: f64,
    /// The extra delay of a reordered datagram.
    pub reorder_delay: Duration,
    /// Probability that a delivered datagram arrives twice (the copy does not use bandwidth).
    pub duplicate: f64,
    /// Bandwidth in bits per second; `None` is unlimited (no serialization delay, no queue).
    pub bandwidth: Option<u64>,
    /// Bytes the link's queue holds waiting for the bandwidth (tail drop beyond it).
    pub queue_bytes: u64,
    /// Largest datagram the link carries; larger ones are dropped.
    pub mtu: usize,
    /// Time windows, as offsets from the simulation's start (`start..end`), during which
    /// every datagram entering the link is dropped.
    pub blackholes: Vec<(Duration, Duration)>,
}

impl Default for LinkConfig {
    /// A perfect link: no delay, no loss, unlimited bandwidth, a 65,535-byte MTU.
    fn default() -> LinkConfig {
        LinkConfig {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            burst: None,
            reorder: 0.0,
            reorder_delay: Duration::ZERO,
            duplicate: 0.0,
            bandwidth: None,
            queue_bytes: 64 * 1024,
            mtu: 65_535,
            blackholes: Vec::new(),
        }
    }
}

/// Counters of one link (or of all links, from [`Sim::total_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LinkStats {
    /// Datagrams offered to the link.
    pub sent: u64,
    /// Bytes offered to the link.
    pub sent_bytes: u64,
    /// Datagrams handed to the receiving endpoint (duplicates included).
    pub delivered: u64,
    /// Bytes handed to the receiving endpoint (duplicates included).
    pub delivered_bytes: u64,
    /// Datagrams lost to the independent random loss.
    pub lost_random: u64,
    /// Datagrams lost in the bad state of the burst-loss model.
    pub lost_burst: u64,
    /// Datagrams dropped because the bandwidth queue was full.
    pub lost_queue: u64,
    /// Datagrams dropped for exceeding the MTU.
    pub lost_mtu: u64,
    /// Datagrams dropped during a blackhole period.
    pub lost_blackhole: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Datagrams given the reordering delay.
    pub reordered: u64,
}

impl LinkStats {
    /// All losses, whatever the cause.
    pub fn lost(&self) -> u64 {
        self.lost_random
            .saturating_add(self.lost_burst)
            .saturating_add(self.lost_queue)
            .saturating_add(self.lost_mtu)
            .saturating_add(self.lost_blackhole)
    }

    fn add(&mut self, o: &LinkStats) {
        self.sent = self.sent.saturating_add(o.sent);
        self.sent_bytes = self.sent_bytes.saturating_add(o.sent_bytes);
        self.delivered = self.delivered.saturating_add(o.delivered);
        self.delivered_bytes = self.delivered_bytes.saturating_add(o.delivered_bytes);
        self.lost_random = self.lost_random.saturating_add(o.lost_random);
        self.lost_burst = self.lost_burst.saturating_add(o.lost_burst);
        self.lost_queue = self.lost_queue.saturating_add(o.lost_queue);
        self.lost_mtu = self.lost_mtu.saturating_add(o.lost_mtu);
        self.lost_blackhole = self.lost_blackhole.saturating_add(o.lost_blackhole);
        self.duplicated = self.duplicated.saturating_add(o.duplicated);
        self.reordered = self.reordered.saturating_add(o.reordered);
    }
}

/// Why [`Sim::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The stop condition returned true.
    Stopped,
    /// The time limit passed; the clock stands at the limit.
    TimeLimit,
    /// Nothing is in flight and no endpoint has a timer: nothing can ever happen again.
    Idle,
    /// More than [`Sim::MAX_STEPS_PER_INSTANT`] steps without time advancing (an endpoint
    /// keeps returning a timeout it does not clear).
    Stalled,
}

struct Link {
    config: LinkConfig,
    stats: LinkStats,
    /// When the link's transmitter finishes the last queued datagram.
    busy_until: Instant,
    /// Gilbert–Elliott state.
    bad: bool,
}

struct Node {
    addr: SocketAddr,
    endpoint: Box<dyn Endpoint>,
}

/// A datagram in flight, ordered by (arrival, sequence) in the event heap.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: Instant,
    seq: u64,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Bytes,
}

/// The simulated network. See the [crate documentation](crate).
pub struct Sim {
    start: Instant,
    now: Instant,
    rng: SeededRandom,
    nodes: Vec<Node>,
    links: BTreeMap<(SocketAddr, SocketAddr), Link>,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    seq: u64,
    unroutable: u64,
    fingerprint: u64,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("elapsed", &self.elapsed())
            .field("nodes", &self.nodes.len())
            .field("links", &self.links.len())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

fn add(t: Instant, d: Duration) -> Instant {
    t.checked_add(d).unwrap_or(t)
}

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn fnv_addr(h: u64, addr: SocketAddr) -> u64 {
    let h = match addr.ip() {
        std::net::IpAddr::V4(ip) => fnv(h, &ip.octets()),
        std::net::IpAddr::V6(ip) => fnv(h, &ip.octets()),
    };
    fnv(h, &addr.port().to_le_bytes())
}

/// The per-datagram parameters of a link, copied out so the link can be borrowed again.
#[derive(Clone, Copy)]
struct Scalars {
    latency: Duration,
    jitter: Duration,
    loss: f64,
    burst: Option<GilbertElliott>,
    reorder: f64,
    reorder_delay: Duration,
    duplicate: f64,
}

impl Scalars {
    fn of(c: &LinkConfig) -> Scalars {
        Scalars {
            latency: c.latency,
            jitter: c.jitter,
            loss: c.loss,
            burst: c.burst,
            reorder: c.reorder,
            reorder_delay: c.reorder_delay,
            duplicate: c.duplicate,
        }
    }
}

impl Sim {
    /// Steps allowed at one instant before [`Outcome::Stalled`].
    pub const MAX_STEPS_PER_INSTANT: u32 = 100_000;

    /// An empty network whose randomness comes from `seed`.
    pub fn new(seed: u64) -> Sim {
        let start = Instant::now();
        Sim {
            start,
            now: start,
            rng: SeededRandom::new(seed),
            nodes: Vec::new(),
            links: BTreeMap::new(),
            in_flight: BinaryHeap::new(),
            seq: 0,
            unroutable: 0,
            fingerprint: 0xcbf2_9ce4_8422_2325,
        }
    }

    /// The simulation's time zero.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The current simulated time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Simulated time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.start)
    }

    /// Adds an endpoint at `addr`, replacing any endpoint already there.
    pub fn add_node<E: Endpoint>(&mut self, addr: SocketAddr, endpoint: E) {
        let endpoint: Box<dyn Endpoint> = Box::new(endpoint);
        if let Some(node) = self.nodes.iter_mut().find(|n| n.addr == addr) {
            node.endpoint = endpoint;
        } else {
            self.nodes.push(Node { addr, endpoint });
        }
    }

    /// The endpoint at `addr`, if there is one of type `E`.
    pub fn node<E: Endpoint>(&self, addr: SocketAddr) -> Option<&E> {
        let node = self.nodes.iter().find(|n| n.addr == addr)?;
        let any: &dyn Any = node.endpoint.as_ref();
        any.downcast_ref()
    }

    /// The endpoint at `addr`, mutably, if there is one of type `E`.
    pub fn node_mut<E: Endpoint>(&mut self, addr: SocketAddr) -> Option<&mut E> {
        let node = self.nodes.iter_mut().find(|n| n.addr == addr)?;
        let any: &mut dyn Any = node.endpoint.as_mut();
        any.downcast_mut()
    }

    /// Sets (or replaces) the link from `from` to `to`, keeping its statistics.
    pub fn link(&mut self, from: SocketAddr, to: SocketAddr, config: LinkConfig) {
        let now = self.now;
        self.links
            .entry((from, to))
            .and_modify(|l| l.config = config.clone())
            .or_insert(Link {
                config,
                stats: LinkStats::default(),
                busy_until: now,
                bad: false,
            });
    }

    /// Sets the same configuration on both directions between `a` and `b`.
    pub fn link_both(&mut self, a: SocketAddr, b: SocketAddr, config: LinkConfig) {
        self.link(a, b, config.clone());
        self.link(b, a, config);
    }

    /// The statistics of the link from `from` to `to`.
    pub fn stats(&self, from: SocketAddr, to: SocketAddr) -> Option<LinkStats> {
        self.links.get(&(from, to)).map(|l| l.stats)
    }

    /// Every link's statistics, keyed by `(from, to)`.
    pub fn all_stats(&self) -> BTreeMap<(SocketAddr, SocketAddr), LinkStats> {
        self.links.iter().map(|(k, l)| (*k, l.stats)).collect()
    }

    /// The sum of all links' statistics.
    pub fn total_stats(&self) -> LinkStats {
        let mut total = LinkStats::default();
        for l in self.links.values() {
            total.add(&l.stats);
        }
        total
    }

    /// Datagrams sent to an address with no link from the sender or no endpoint.
    pub fn unroutable(&self) -> u64 {
        self.unroutable
    }

    /// Datagrams currently in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// A hash of every delivery so far (time, source, destination, payload), in order: two
    /// runs delivered the same datagrams at the same times in the same order iff (barring
    /// collisions) their fingerprints are equal.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// A uniform number in `[0, 1)`.
    #[allow(clippy::cast_precision_loss)]
    fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.uniform() < p
    }

    /// A duration uniform in `[0, max]`.
    fn up_to(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        match nanos.checked_add(1) {
            Some(span) if nanos > 0 => {
                Duration::from_nanos(self.rng.next_u64().checked_rem(span).unwrap_or(0))
            }
            _ => Duration::ZERO,
        }
    }

    fn schedule(&mut self, at: Instant, from: SocketAddr, to: SocketAddr, bytes: Bytes) {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        self.in_flight.push(Reverse(InFlight {
            at,
            seq,
            from,
            to,
            bytes,
        }));
    }

    /// Puts a datagram from `from` on its link (or counts it unroutable).
    fn send(&mut self, from: SocketAddr, t: Transmit) {
        let now = self.now;
        let elapsed = self.elapsed();
        let to = t.destination;
        let len = t.bytes.len();
        let len64 = u64::try_from(len).unwrap_or(u64::MAX);
        let Some(link) = self.links.get_mut(&(from, to)) else {
            self.unroutable = self.unroutable.saturating_add(1);
            return;
        };
        let stats = &mut link.stats;
        stats.sent = stats.sent.saturating_add(1);
        stats.sent_bytes = stats.sent_bytes.saturating_add(len64);
        if len > link.config.mtu {
            stats.lost_mtu = stats.lost_mtu.saturating_add(1);
            return;
        }
        if link
            .config
            .blackholes
            .iter()
            .any(|&(s, e)| s <= elapsed && elapsed < e)
        {
            stats.lost_blackhole = stats.lost_blackhole.saturating_add(1);
            return;
        }
        // Bandwidth: the datagram waits behind what is queued, then takes len·8/rate to send.
        let mut departure = now;
        if let Some(rate) = link.config.bandwidth.filter(|r| *r > 0) {
            let busy = link.busy_until.max(now);
            let backlog = busy.saturating_duration_since(now);
            let queued = backlog.as_nanos().saturating_mul(u128::from(rate)) / 8_000_000_000;
            if queued.saturating_add(u128::from(len64)) > u128::from(link.config.queue_bytes) {
                stats.lost_queue = stats.lost_queue.saturating_add(1);
                return;
            }
            let nanos = u128::from(len64)
                .saturating_mul(8_000_000_000)
                .checked_div(u128::from(rate))
                .unwrap_or(0);
            let tx = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
            departure = add(busy, tx);
            link.busy_until = departure;
        }
        let config = Scalars::of(&link.config);
        let was_bad = link.bad;
        // Gilbert–Elliott: step the chain once per datagram that reaches the wire.
        let bad = match config.burst {
            Some(ge) if was_bad => !self.chance(ge.bad_to_good),
            Some(ge) => self.chance(ge.good_to_bad),
            None => false,
        };
        let lost_burst = match config.burst {
            Some(ge) if bad => self.chance(ge.loss_in_bad),
            _ => false,
        };
        let lost_random = !lost_burst && !bad && self.chance(config.loss);
        let jitter = self.up_to(config.jitter);
        let reordered = !lost_burst && !lost_random && self.chance(config.reorder);
        let duplicated = !lost_burst && !lost_random && self.chance(config.duplicate);
        let dup_jitter = if duplicated {
            self.up_to(config.jitter)
        } else {
            Duration::ZERO
        };
        let Some(link) = self.links.get_mut(&(from, to)) else {
            return;
        };
        link.bad = bad;
        let stats = &mut link.stats;
        if lost_burst {
            stats.lost_burst = stats.lost_burst.saturating_add(1);
            return;
        }
        if lost_random {
            stats.lost_random = stats.lost_random.saturating_add(1);
            return;
        }
        let mut at = add(add(departure, config.latency), jitter);
        if reordered {
            stats.reordered = stats.reordered.saturating_add(1);
            at = add(at, config.reorder_delay);
        }
        if duplicated {
            stats.duplicated = stats.duplicated.saturating_add(1);
            let copy_at = add(add(departure, config.latency), dup_jitter);
            self.schedule(copy_at, from, to, t.bytes.clone());
        }
        self.schedule(at, from, to, t.bytes);
    }

    /// Collects every endpoint's transmits and puts them on their links.
    fn collect(&mut self) {
        let now = self.now;
        for i in 0..self.nodes.len() {
            let mut out = Vec::new();
            let Some(node) = self.nodes.get_mut(i) else {
                continue;
            };
            let from = node.addr;
            while let Some(t) = node.endpoint.poll_transmit(now) {
                out.push(t);
            }
            for t in out {
                self.send(from, t);
            }
        }
    }

    /// The next event's time: the earliest arrival or endpoint timer.
    fn next_event(&self) -> Option<Instant> {
        let arrival = self.in_flight.peek().map(|Reverse(d)| d.at);
        let timer = self
            .nodes
            .iter()
            .filter_map(|n| n.endpoint.poll_timeout())
            .min();
        match (arrival, timer) {
            (Some(a), Some(t)) => Some(a.min(t)),
            (a, t) => a.or(t),
        }
    }

    /// Delivers the datagrams due by now, then fires the due timers.
    fn step(&mut self) {
        let now = self.now;
        while self.in_flight.peek().is_some_and(|Reverse(d)| d.at <= now) {
            let Some(Reverse(d)) = self.in_flight.pop() else {
                break;
            };
            let Some(node) = self.nodes.iter_mut().find(|n| n.addr == d.to) else {
                self.unroutable = self.unroutable.saturating_add(1);
                continue;
            };
            let nanos = d.at.saturating_duration_since(self.start).as_nanos();
            let mut h = fnv(self.fingerprint, &nanos.to_le_bytes());
            h = fnv_addr(h, d.from);
            h = fnv_addr(h, d.to);
            self.fingerprint = fnv(h, &d.bytes);
            if let Some(link) = self.links.get_mut(&(d.from, d.to)) {
                let len = u64::try_from(d.bytes.len()).unwrap_or(u64::MAX);
                link.stats.delivered = link.stats.delivered.saturating_add(1);
                link.stats.delivered_bytes = link.stats.delivered_bytes.saturating_add(len);
            }
            node.endpoint.handle_datagram(now, d.from, d.to, d.bytes);
        }
        for node in &mut self.nodes {
            if node.endpoint.poll_timeout().is_some_and(|t| t <= now) {
                node.endpoint.handle_timeout(now);
            }
        }
    }

    /// Runs the network until `stop` returns true, `limit` of simulated time has passed
    /// since the call, nothing more can happen, or an endpoint stalls time.
    pub fn run(&mut self, limit: Duration, mut stop: impl FnMut(&Sim) -> bool) -> Outcome {
        let deadline = add(self.now, limit);
        let mut steps_here: u32 = 0;
        loop {
            self.collect();
            if stop(self) {
                return Outcome::Stopped;
            }
            let Some(next) = self.next_event() else {
                return Outcome::Idle;
            };
            if next > deadline {
                self.now = deadline;
                return Outcome::TimeLimit;
            }
            if next > self.now {
                self.now = next;
                steps_here = 0;
            } else {
                steps_here = steps_here.saturating_add(1);
                if steps_here > Self::MAX_STEPS_PER_INSTANT {
                    return Outcome::Stalled;
                }
            }
            self.step();
        }
    }

    /// Runs for `duration` of simulated time (or until nothing more can happen).
    pub fn run_for(&mut self, duration: Duration) -> Outcome {
        self.run(duration, |_| false)
    }
}
