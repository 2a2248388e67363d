//! Budgets against floods of legal-but-abusive frames: a token bucket for rates and a
//! bounded counter for amounts. Both take the time as an argument and never read a clock.
//!
//! The connection spends from them and answers exhaustion with `GOAWAY`
//! `ENHANCE_YOUR_CALM` (RFC 9113 §7: "the endpoint is generating excessive load").

use std::time::Instant;

use crate::limits::Limits;

/// A budget ran out: the peer is generating excessive load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exhausted;

/// Sub-token units per token: the bucket counts in nano-tokens so that a refill rate of
/// `r` per second adds exactly `r` nano-tokens per elapsed nanosecond, with no rounding.
const NANOS_PER_TOKEN: u128 = 1_000_000_000;

/// A token bucket: up to `burst` events at once, refilled at `refill_per_sec` events per
/// second of the caller's clock.
///
/// Starts full. Time that goes backwards (an `Instant` older than one seen before) adds no
/// tokens and is otherwise ignored, so a confused caller can neither panic it nor mint
/// tokens.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    /// Capacity in nano-tokens.
    capacity: u128,
    /// Current tokens in nano-tokens, at most `capacity`.
    level: u128,
    refill_per_sec: u32,
    /// The latest time seen; refill is computed from it.
    last: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `refill_per_sec` tokens per second.
    pub(crate) fn new(burst: u32, refill_per_sec: u32) -> Self {
        let capacity = u128::from(burst).saturating_mul(NANOS_PER_TOKEN);
        TokenBucket {
            capacity,
            level: capacity,
            refill_per_sec,
            last: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let Some(last) = self.last else {
            self.last = Some(now);
            return;
        };
        // `checked_duration_since` is `None` when time went backwards: add nothing and keep
        // the later instant, so the interval is not counted twice when time moves on.
        if let Some(elapsed) = now.checked_duration_since(last) {
            let added = elapsed
                .as_nanos()
                .saturating_mul(u128::from(self.refill_per_sec));
            self.level = self.level.saturating_add(added).min(self.capacity);
            self.last = Some(now);
        }
    }

    /// Spends one token at `now`, or reports that the budget is exhausted (spending
    /// nothing).
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), Exhausted> {
        self.take_n(now, 1)
    }

    /// Spends `n` tokens at `now` if that many are available, otherwise none.
    pub(crate) fn take_n(&mut self, now: Instant, n: u32) -> Result<(), Exhausted> {
        self.refill(now);
        let cost = u128::from(n).saturating_mul(NANOS_PER_TOKEN);
        match self.level.checked_sub(cost) {
            Some(rest) => {
                self.level = rest;
                Ok(())
            }
            None => Err(Exhausted),
        }
    }

    #[cfg(test)]
    /// Whole tokens available at `now`.
    pub(crate) fn available(&mut self, now: Instant) -> u64 {
        self.refill(now);
        u64::try_from(self.level.checked_div(NANOS_PER_TOKEN).unwrap_or(0)).unwrap_or(u64::MAX)
    }
}

/// A bounded count of outstanding things (queued acknowledgements, pending resets, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Counter {
    count: u32,
    max: u32,
}

impl Counter {
    /// An empty counter allowing up to `max`.
    pub(crate) fn new(max: u32) -> Self {
        Counter { count: 0, max }
    }

    /// Counts one more, or reports exhaustion (counting nothing) if `max` are already
    /// counted.
    pub(crate) fn increment(&mut self) -> Result<(), Exhausted> {
        if self.count >= self.max {
            return Err(Exhausted);
        }
        self.count = self.count.saturating_add(1);
        Ok(())
    }

    /// Counts one fewer (saturating at zero), e.g. when a queued `PING` ack is written.
    pub(crate) fn decrement(&mut self) {
        self.count = self.count.saturating_sub(1);
    }

    /// Forgets everything counted.
    pub(crate) fn reset(&mut self) {
        self.count = 0;
    }

    #[cfg(test)]
    /// How many are counted.
    pub(crate) fn get(&self) -> u32 {
        self.count
    }

    #[cfg(test)]
    /// Whether another [`increment`](Self::increment) would fail.
    pub(crate) fn is_full(&self) -> bool {
        self.count >= self.max
    }
}

/// All budgets of one connection, built from [`Limits`].
///
/// How the connection spends them (each failure ⇒ `GOAWAY` `ENHANCE_YOUR_CALM`):
/// - `peer_resets.take(now)` on every `RST_STREAM` the peer sends for a stream it opened
///   (Rapid Reset, CVE-2023-44487), and on every stream we refuse;
/// - `glitches.take(now)` on every odd-but-legal frame (ignored frame on a closed stream,
///   `PRIORITY`, unknown frame type, empty non-final `SETTINGS`);
/// - `pending_acks.increment()` when queueing a `SETTINGS`/`PING` ack, `decrement()` when
///   writing it;
/// - `empty_data.increment()` on each empty `DATA` without `END_STREAM`;
/// - `local_error_resets.increment()` each time we reset a stream for a peer error;
/// - `pending_accept_resets.increment()` when a stream the application has not accepted
///   yet is reset by the peer, `decrement()` when the application takes it.
#[derive(Clone, Debug)]
pub(crate) struct Budgets {
    /// Peer-initiated resets (Rapid Reset).
    pub(crate) peer_resets: TokenBucket,
    /// Odd-but-legal frames.
    pub(crate) glitches: TokenBucket,
    /// Queued, unwritten `SETTINGS` and `PING` acknowledgements.
    pub(crate) pending_acks: Counter,
    /// Empty `DATA` frames without `END_STREAM`.
    pub(crate) empty_data: Counter,
    /// Streams we reset because of peer errors.
    pub(crate) local_error_resets: Counter,
    /// Peer-reset streams not yet accepted by the application.
    pub(crate) pending_accept_resets: Counter,
}

impl Budgets {
    /// Fresh budgets with the bounds of `limits`.
    pub(crate) fn new(limits: &Limits) -> Self {
        Budgets {
            peer_resets: TokenBucket::new(limits.reset_burst, limits.reset_refill_per_sec),
            glitches: TokenBucket::new(limits.glitch_burst, limits.glitch_refill_per_sec),
            pending_acks: Counter::new(limits.max_pending_acks),
            empty_data: Counter::new(limits.max_empty_data_frames),
            local_error_resets: Counter::new(limits.max_local_error_resets),
            pending_accept_resets: Counter::new(limits.max_pending_accept_resets),
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn drain(bucket: &mut TokenBucket, now: Instant) -> u32 {
        let mut n = 0;
        while bucket.take(now).is_ok() {
            n += 1;
            assert!(n <= 1_000_000, "bucket never runs out");
        }
        n
    }

    #[test]
    fn rapid_reset_bucket_exhausts_at_exactly_the_burst() {
        let limits = Limits::default();
        let mut b = Budgets::new(&limits).peer_resets;
        let t0 = Instant::now();
        for _ in 0..1_000 {
            assert_eq!(b.take(t0), Ok(()));
        }
        assert_eq!(b.take(t0), Err(Exhausted));
        assert_eq!(b.available(t0), 0);
    }

    #[test]
    fn glitch_bucket_exhausts_at_exactly_the_burst() {
        let mut b = Budgets::new(&Limits::default()).glitches;
        let t0 = Instant::now();
        assert_eq!(drain(&mut b, t0), 10_000);
    }

    #[test]
    fn refills_at_the_rate_over_simulated_time() {
        let mut b = TokenBucket::new(1_000, 33);
        let t0 = Instant::now();
        assert_eq!(drain(&mut b, t0), 1_000);
        // 1 s refills exactly 33 tokens.
        assert_eq!(drain(&mut b, t0 + Duration::from_secs(1)), 33);
        // Fractions accumulate without loss: 1/33 s is not quite one token…
        let step = Duration::from_nanos(1_000_000_000 / 33);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(b.take(t1 + step), Err(Exhausted));
        // …and 100 such steps add 100 × 30,303,030 ns × 33/s = 99.999999 tokens: the
        // fractions are kept, so exactly 99 whole tokens are available.
        let mut t = t1 + step;
        for _ in 1..100 {
            t += step;
            let _ = b.available(t);
        }
        assert_eq!(drain(&mut b, t), 99);
        // Never above the burst however long the wait.
        assert_eq!(drain(&mut b, t + Duration::from_secs(3600)), 1_000);
    }

    #[test]
    fn time_going_backwards_neither_panics_nor_mints_tokens() {
        let mut b = TokenBucket::new(10, 1);
        let t0 = Instant::now() + Duration::from_secs(100);
        assert_eq!(drain(&mut b, t0), 10);
        let earlier = t0.checked_sub(Duration::from_secs(50)).unwrap();
        assert_eq!(b.take(earlier), Err(Exhausted));
        // Returning to t0 must not count the 50 s "again".
        assert_eq!(b.take(t0), Err(Exhausted));
        assert_eq!(drain(&mut b, t0 + Duration::from_secs(2)), 2);
    }

    #[test]
    fn extreme_parameters_saturate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(u32::MAX, u32::MAX);
        assert_eq!(b.take_n(t0, u32::MAX), Ok(()));
        assert_eq!(b.take(t0), Err(Exhausted));
        assert_eq!(
            b.available(t0 + Duration::from_secs(u64::MAX / 4)),
            u64::from(u32::MAX)
        );
        let mut zero = TokenBucket::new(0, 0);
        assert_eq!(zero.take(t0), Err(Exhausted));
        assert_eq!(zero.take(t0 + Duration::from_secs(10)), Err(Exhausted));
    }

    #[test]
    fn counters_stop_at_their_maximum() {
        let mut b = Budgets::new(&Limits::default());
        for (counter, max) in [
            (&mut b.pending_acks, 1_000),
            (&mut b.empty_data, 100),
            (&mut b.local_error_resets, 1_024),
            (&mut b.pending_accept_resets, 20),
        ] {
            for _ in 0..max {
                assert_eq!(counter.increment(), Ok(()));
            }
            assert!(counter.is_full());
            assert_eq!(counter.increment(), Err(Exhausted));
            assert_eq!(counter.get(), max);
            counter.decrement();
            assert_eq!(counter.increment(), Ok(()));
            counter.reset();
            assert_eq!(counter.get(), 0);
            counter.decrement();
            assert_eq!(counter.get(), 0);
        }
    }
}
