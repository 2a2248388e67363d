//! Behaviour of the simulated network with toy endpoints: a sender that numbers datagrams
//! and a receiver that records them.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::float_cmp,
    clippy::unchecked_time_subtraction,
    missing_docs
)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use stator_sim::{Endpoint, GilbertElliott, LinkConfig, LinkStats, Outcome, Sim, Transmit};

/// Sends `count` datagrams of `size` bytes (sequence number first), one every `interval`.
struct Sender {
    dest: SocketAddr,
    size: usize,
    interval: Duration,
    remaining: u64,
    next: Option<Instant>,
    due: u64,
    seq: u64,
}

impl Sender {
    fn new(sim: &Sim, dest: SocketAddr, size: usize, interval: Duration, count: u64) -> Sender {
        Sender {
            dest,
            size,
            interval,
            remaining: count,
            next: (count > 0).then_some(sim.start()),
            due: 0,
            seq: 0,
        }
    }
}

impl Endpoint for Sender {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: SocketAddr, _: Bytes) {}
    fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        if self.due == 0 {
            return None;
        }
        self.due -= 1;
        let mut b = BytesMut::with_capacity(self.size);
        b.put_u64(self.seq);
        b.resize(self.size.max(8), 0xab);
        self.seq += 1;
        Some(Transmit {
            destination: self.dest,
            bytes: b.freeze(),
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }
    fn handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.next.filter(|t| *t <= now) {
            self.due += 1;
            self.remaining -= 1;
            self.next = (self.remaining > 0).then(|| t + self.interval);
        }
    }
}

/// Records (arrival, sequence number, length) of every datagram.
#[derive(Default)]
struct Receiver {
    log: Vec<(Instant, u64, usize)>,
}

impl Endpoint for Receiver {
    fn handle_datagram(&mut self, now: Instant, _: SocketAddr, _: SocketAddr, bytes: Bytes) {
        let seq = u64::from_be_bytes(bytes[..8].try_into().unwrap());
        self.log.push((now, seq, bytes.len()));
    }
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

fn a() -> SocketAddr {
    "10.0.0.1:1000".parse().unwrap()
}
fn b() -> SocketAddr {
    "10.0.0.2:2000".parse().unwrap()
}

/// A sender at `a` and a receiver at `b` over `config`; runs to completion (or `limit`).
fn one_way(
    seed: u64,
    config: LinkConfig,
    size: usize,
    interval: Duration,
    count: u64,
    limit: Duration,
) -> (Sim, LinkStats) {
    let mut sim = Sim::new(seed);
    let s = Sender::new(&sim, b(), size, interval, count);
    sim.add_node(a(), s);
    sim.add_node(b(), Receiver::default());
    sim.link(a(), b(), config);
    sim.run_for(limit);
    let stats = sim.stats(a(), b()).unwrap();
    (sim, stats)
}

fn log(sim: &Sim) -> &[(Instant, u64, usize)] {
    &sim.node::<Receiver>(b()).unwrap().log
}

#[test]
fn latency_is_exact_without_jitter() {
    let config = LinkConfig {
        latency: Duration::from_millis(25),
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        1,
        config,
        100,
        Duration::from_millis(3),
        100,
        Duration::from_secs(10),
    );
    assert_eq!(stats.sent, 100);
    assert_eq!(stats.delivered, 100);
    assert_eq!(stats.delivered_bytes, 10_000);
    for (i, (at, seq, _)) in log(&sim).iter().enumerate() {
        assert_eq!(*seq, i as u64);
        let sent = Duration::from_millis(3) * i as u32;
        assert_eq!(*at - sim.start(), sent + Duration::from_millis(25));
    }
}

#[test]
fn jitter_stays_within_bounds() {
    let config = LinkConfig {
        latency: Duration::from_millis(10),
        jitter: Duration::from_millis(5),
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        2,
        config,
        100,
        Duration::from_millis(1),
        1000,
        Duration::from_secs(10),
    );
    assert_eq!(stats.delivered, 1000);
    let mut saw_extra = false;
    for (at, seq, _) in log(&sim) {
        let delay = *at - sim.start() - Duration::from_millis(*seq);
        assert!(delay >= Duration::from_millis(10) && delay <= Duration::from_millis(15));
        saw_extra |= delay > Duration::from_millis(11);
    }
    assert!(saw_extra);
}

/// |observed − expected| within 5 standard deviations of a binomial(n, p).
fn within_bound(observed: u64, n: u64, p: f64) -> bool {
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    (observed as f64 - mean).abs() <= 5.0 * sd
}

#[test]
fn random_loss_rate_is_statistical() {
    let config = LinkConfig {
        loss: 0.10,
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        3,
        config,
        50,
        Duration::from_micros(100),
        10_000,
        Duration::from_secs(10),
    );
    assert_eq!(stats.sent, 10_000);
    assert!(within_bound(stats.lost_random, 10_000, 0.10), "{stats:?}");
    assert_eq!(stats.delivered + stats.lost_random, 10_000);
    assert_eq!(log(&sim).len() as u64, stats.delivered);
    assert_eq!(stats.lost(), stats.lost_random);
}

#[test]
fn burst_loss_comes_in_runs() {
    // Stationary bad fraction = 0.01 / (0.01 + 0.2) ≈ 4.8%, mean burst length 5.
    let ge = GilbertElliott {
        good_to_bad: 0.01,
        bad_to_good: 0.2,
        loss_in_bad: 1.0,
    };
    let config = LinkConfig {
        burst: Some(ge),
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        4,
        config,
        50,
        Duration::from_micros(100),
        20_000,
        Duration::from_secs(10),
    );
    assert_eq!(stats.lost_random, 0);
    let rate = stats.lost_burst as f64 / 20_000.0;
    assert!((0.025..0.08).contains(&rate), "{stats:?}");
    // Losses cluster: the mean length of runs of missing sequence numbers is well above 1.
    let got: Vec<u64> = log(&sim).iter().map(|e| e.1).collect();
    let mut runs = 0u64;
    for w in got.windows(2) {
        if w[1] > w[0] + 1 {
            runs += 1;
        }
    }
    let mean_run = stats.lost_burst as f64 / runs as f64;
    assert!(mean_run > 3.0, "mean run {mean_run}");
}

#[test]
fn bandwidth_limits_delivery_rate() {
    // 1 Mbit/s, 1000-byte datagrams offered at 8 Mbit/s: 125,000 bytes arrive per second.
    let config = LinkConfig {
        bandwidth: Some(1_000_000),
        queue_bytes: 10_000,
        ..LinkConfig::default()
    };
    let mut sim = Sim::new(5);
    let s = Sender::new(&sim, b(), 1000, Duration::from_millis(1), 5000);
    sim.add_node(a(), s);
    sim.add_node(b(), Receiver::default());
    sim.link(a(), b(), config);
    sim.run_for(Duration::from_secs(1));
    let stats = sim.stats(a(), b()).unwrap();
    assert!(
        (124_000..=125_000).contains(&stats.delivered_bytes),
        "{stats:?}"
    );
    // Serialization: each datagram takes exactly 8 ms.
    let l = log(&sim);
    assert_eq!(l[0].0 - sim.start(), Duration::from_millis(8));
    assert_eq!(l[1].0 - l[0].0, Duration::from_millis(8));
    // The 10 kB queue overflows.
    assert!(stats.lost_queue > 0);
    assert_eq!(
        stats.sent,
        stats.delivered + stats.lost_queue + sim.in_flight() as u64
    );
}

#[test]
fn queue_within_limit_does_not_drop() {
    // 20 datagrams of 1000 bytes at once into a 100 kB queue: all delivered, back to back.
    let config = LinkConfig {
        bandwidth: Some(8_000_000),
        queue_bytes: 100_000,
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(6, config, 1000, Duration::ZERO, 20, Duration::from_secs(1));
    assert_eq!(stats.delivered, 20);
    assert_eq!(stats.lost_queue, 0);
    assert_eq!(log(&sim)[19].0 - sim.start(), Duration::from_millis(20));
}

#[test]
fn queue_overflow_tail_drops() {
    // 20 datagrams at once into a 5,000-byte queue: 5 fit, 15 are tail-dropped.
    let config = LinkConfig {
        bandwidth: Some(8_000_000),
        queue_bytes: 5000,
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(6, config, 1000, Duration::ZERO, 20, Duration::from_secs(1));
    assert_eq!(stats.delivered, 5);
    assert_eq!(stats.lost_queue, 15);
    let seqs: Vec<u64> = log(&sim).iter().map(|e| e.1).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
}

#[test]
fn mtu_drops_larger_datagrams() {
    let config = LinkConfig {
        mtu: 1200,
        ..LinkConfig::default()
    };
    let (_, stats) = one_way(
        7,
        config.clone(),
        1201,
        Duration::from_millis(1),
        10,
        Duration::from_secs(1),
    );
    assert_eq!(stats.lost_mtu, 10);
    assert_eq!(stats.delivered, 0);
    let (_, stats) = one_way(
        7,
        config,
        1200,
        Duration::from_millis(1),
        10,
        Duration::from_secs(1),
    );
    assert_eq!(stats.lost_mtu, 0);
    assert_eq!(stats.delivered, 10);
}

#[test]
fn blackhole_drops_only_in_its_window() {
    let config = LinkConfig {
        latency: Duration::from_millis(5),
        blackholes: vec![(Duration::from_millis(100), Duration::from_millis(200))],
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        8,
        config,
        100,
        Duration::from_millis(1),
        300,
        Duration::from_secs(1),
    );
    assert_eq!(stats.lost_blackhole, 100);
    assert_eq!(stats.delivered, 200);
    for (_, seq, _) in log(&sim) {
        assert!(!(100..200).contains(seq), "{seq} sent in the blackhole");
    }
}

#[test]
fn reordering_happens_at_its_rate() {
    let config = LinkConfig {
        latency: Duration::from_millis(10),
        reorder: 0.05,
        reorder_delay: Duration::from_millis(5),
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        9,
        config,
        50,
        Duration::from_millis(1),
        10_000,
        Duration::from_secs(20),
    );
    assert_eq!(stats.delivered, 10_000);
    assert!(within_bound(stats.reordered, 10_000, 0.05), "{stats:?}");
    // Every reordered datagram arrives after a later-sent one.
    let got: Vec<u64> = log(&sim).iter().map(|e| e.1).collect();
    let out_of_order = got.windows(2).filter(|w| w[1] < w[0]).count() as u64;
    assert!(out_of_order > 0 && out_of_order <= stats.reordered);
}

#[test]
fn duplication_happens_at_its_rate() {
    let config = LinkConfig {
        duplicate: 0.02,
        ..LinkConfig::default()
    };
    let (sim, stats) = one_way(
        10,
        config,
        50,
        Duration::from_micros(100),
        10_000,
        Duration::from_secs(10),
    );
    assert!(within_bound(stats.duplicated, 10_000, 0.02), "{stats:?}");
    assert_eq!(stats.delivered, 10_000 + stats.duplicated);
    let mut seqs: Vec<u64> = log(&sim).iter().map(|e| e.1).collect();
    seqs.sort_unstable();
    let before = seqs.len();
    seqs.dedup();
    assert_eq!((before - seqs.len()) as u64, stats.duplicated);
    assert_eq!(seqs.len(), 10_000);
}

#[test]
fn unlinked_destination_is_unroutable() {
    let mut sim = Sim::new(11);
    let s = Sender::new(&sim, b(), 100, Duration::from_millis(1), 3);
    sim.add_node(a(), s);
    sim.add_node(b(), Receiver::default());
    assert_eq!(sim.run_for(Duration::from_secs(1)), Outcome::Idle);
    assert_eq!(sim.unroutable(), 3);
    assert_eq!(sim.total_stats(), LinkStats::default());
}

#[test]
fn stop_condition_and_time_limit() {
    let mut sim = Sim::new(12);
    let s = Sender::new(&sim, b(), 100, Duration::from_millis(10), 1000);
    sim.add_node(a(), s);
    sim.add_node(b(), Receiver::default());
    sim.link(a(), b(), LinkConfig::default());
    let out = sim.run(Duration::from_secs(100), |sim| {
        sim.node::<Receiver>(b()).unwrap().log.len() == 10
    });
    assert_eq!(out, Outcome::Stopped);
    assert_eq!(sim.elapsed(), Duration::from_millis(90));
    assert_eq!(sim.run_for(Duration::from_millis(55)), Outcome::TimeLimit);
    assert_eq!(sim.elapsed(), Duration::from_millis(145));
    assert_eq!(log(&sim).len(), 15);
}

/// Everything at once, for determinism.
fn busy_config() -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(3),
        loss: 0.05,
        burst: Some(GilbertElliott {
            good_to_bad: 0.01,
            bad_to_good: 0.3,
            loss_in_bad: 0.8,
        }),
        reorder: 0.03,
        reorder_delay: Duration::from_millis(4),
        duplicate: 0.02,
        bandwidth: Some(2_000_000),
        queue_bytes: 8000,
        mtu: 1400,
        blackholes: vec![(Duration::from_millis(300), Duration::from_millis(350))],
    }
}

fn busy_run(seed: u64) -> (LinkStats, Vec<(Duration, u64, usize)>, u64) {
    let size_cycle = Duration::from_micros(700);
    let (sim, stats) = one_way(
        seed,
        busy_config(),
        1300,
        size_cycle,
        2000,
        Duration::from_secs(3),
    );
    let start = sim.start();
    let l = log(&sim)
        .iter()
        .map(|(t, s, n)| (*t - start, *s, *n))
        .collect();
    (stats, l, sim.fingerprint())
}

#[test]
fn same_seed_same_run() {
    let (s1, l1, f1) = busy_run(42);
    let (s2, l2, f2) = busy_run(42);
    assert_eq!(s1, s2);
    assert_eq!(l1, l2);
    assert_eq!(f1, f2);
    // Every cause is exercised by this configuration.
    assert!(
        s1.lost_random > 0 && s1.lost_burst > 0 && s1.lost_queue > 0,
        "{s1:?}"
    );
    assert!(
        s1.lost_blackhole > 0 && s1.duplicated > 0 && s1.reordered > 0,
        "{s1:?}"
    );
    let (s3, l3, f3) = busy_run(43);
    assert!(s3 != s1 || l3 != l1);
    assert_ne!(f3, f1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    /// Conservation: every datagram offered is delivered, lost for one counted reason, or
    /// still in flight; duplicates add to deliveries.
    #[test]
    fn datagrams_are_conserved(seed in any::<u64>(), loss in 0.0f64..0.5, dup in 0.0f64..0.3) {
        let config = LinkConfig { loss, duplicate: dup, ..busy_config() };
        let (sim, stats) = one_way(seed, config, 1000, Duration::from_millis(1), 300, Duration::from_secs(1));
        prop_assert_eq!(
            stats.sent + stats.duplicated,
            stats.delivered + stats.lost() + sim.in_flight() as u64
        );
        prop_assert_eq!(log(&sim).len() as u64, stats.delivered);
    }
}

/// Sends a ping to `peer` at start and again on every reply; counts round trips.
struct Pinger {
    peer: SocketAddr,
    send: bool,
    rtts: Vec<Instant>,
}

impl Endpoint for Pinger {
    fn handle_datagram(&mut self, now: Instant, remote: SocketAddr, local: SocketAddr, _: Bytes) {
        assert_eq!(remote, self.peer);
        assert_eq!(local, a());
        self.rtts.push(now);
        self.send = true;
    }
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        std::mem::take(&mut self.send).then(|| Transmit {
            destination: self.peer,
            bytes: Bytes::from_static(b"ping"),
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

/// Echoes every datagram to its sender.
#[derive(Default)]
struct Echo {
    queue: Vec<Transmit>,
}

impl Endpoint for Echo {
    fn handle_datagram(&mut self, _: Instant, remote: SocketAddr, _: SocketAddr, bytes: Bytes) {
        self.queue.push(Transmit {
            destination: remote,
            bytes,
        });
    }
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        self.queue.pop()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

#[test]
fn ping_pong_round_trips_and_per_link_stats() {
    let c: SocketAddr = "[fd00::3]:3000".parse().unwrap();
    let mut sim = Sim::new(13);
    sim.add_node(
        a(),
        Pinger {
            peer: b(),
            send: true,
            rtts: Vec::new(),
        },
    );
    sim.add_node(b(), Echo::default());
    sim.add_node(c, Sender::new(&sim, b(), 64, Duration::from_millis(100), 5));
    sim.link(
        a(),
        b(),
        LinkConfig {
            latency: Duration::from_millis(10),
            ..LinkConfig::default()
        },
    );
    sim.link(
        b(),
        a(),
        LinkConfig {
            latency: Duration::from_millis(15),
            ..LinkConfig::default()
        },
    );
    sim.link_both(b(), c, LinkConfig::default());
    sim.run_for(Duration::from_millis(1010));
    let p = sim.node::<Pinger>(a()).unwrap();
    assert_eq!(p.rtts.len(), 40);
    for (i, t) in p.rtts.iter().enumerate() {
        assert_eq!(*t - sim.start(), Duration::from_millis(25) * (i as u32 + 1));
    }
    assert_eq!(sim.stats(a(), b()).unwrap().delivered, 41); // the 41st ping is delivered at 1010 ms
    assert_eq!(sim.stats(b(), a()).unwrap().delivered, 40);
    assert_eq!(sim.stats(c, b()).unwrap().delivered, 5);
    assert_eq!(sim.stats(b(), c).unwrap().delivered, 5); // echoes to c
    assert_eq!(sim.all_stats().len(), 4);
    assert_eq!(sim.total_stats().delivered, 91);
    assert!(sim.node::<Echo>(a()).is_none());
}

/// Asks for a timer in the past forever and never clears it.
struct Stuck(Instant);

impl Endpoint for Stuck {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: SocketAddr, _: Bytes) {}
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.0)
    }
    fn handle_timeout(&mut self, _: Instant) {}
}

#[test]
fn a_timer_that_never_clears_stalls() {
    let mut sim = Sim::new(14);
    sim.add_node(a(), Stuck(sim.start()));
    assert_eq!(sim.run_for(Duration::from_secs(1)), Outcome::Stalled);
    assert_eq!(sim.elapsed(), Duration::ZERO);
}
