//! Randomness supplied by the caller.
//!
//! Sans-IO machines never reach for a global generator (DESIGN.md §2): connection IDs,
//! tokens, masking keys and GREASE values come from a [`Random`] handed to them in their
//! configuration. Production code passes [`SystemRandom`]; tests pass [`SeededRandom`] so
//! that the same inputs and the same seed give byte-identical outputs.

/// A source of random bytes.
pub trait Random {
    /// Fills `dst` with random bytes.
    fn fill(&mut self, dst: &mut [u8]);

    /// A random `u32`.
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill(&mut b);
        u32::from_ne_bytes(b)
    }

    /// A random `u64`.
    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill(&mut b);
        u64::from_ne_bytes(b)
    }
}

impl<R: Random + ?Sized> Random for &mut R {
    fn fill(&mut self, dst: &mut [u8]) {
        (**self).fill(dst);
    }
}

impl<R: Random + ?Sized> Random for Box<R> {
    fn fill(&mut self, dst: &mut [u8]) {
        (**self).fill(dst);
    }
}

/// A deterministic generator for tests and simulations (`SplitMix64`).
///
/// Not for keys or anything a peer must not predict.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator whose output is fixed by `seed`.
    pub const fn new(seed: u64) -> SeededRandom {
        SeededRandom { state: seed }
    }

    fn step(&mut self) -> u64 {
        // SplitMix64 (Steele, Lea, Flood 2014): wrapping arithmetic is the algorithm.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Random for SeededRandom {
    fn fill(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let word = self.step().to_le_bytes();
            chunk.copy_from_slice(word.get(..chunk.len()).unwrap_or_default());
        }
    }
}

/// How many bytes [`SystemRandom`] draws from the operating system at a time.
#[cfg(feature = "ring")]
const POOL: usize = 1024;

/// The operating system's generator, through ring, drawn in blocks.
///
/// A WebSocket client needs four fresh bytes per frame (RFC 6455 §5.3); one system call
/// per frame cost more than framing and masking a small message together. So the bytes
/// come from a 1 KiB block of OS output that is refilled when used up. They are as
/// unpredictable as the OS output they are; the one caveat of any userspace pool applies:
/// a process that forks must not share a `SystemRandom` between parent and child.
#[cfg(feature = "ring")]
pub struct SystemRandom {
    inner: ring::rand::SystemRandom,
    pool: Box<[u8; POOL]>,
    /// Bytes of `pool` already handed out; `POOL` means empty.
    used: usize,
}

#[cfg(feature = "ring")]
impl SystemRandom {
    /// A handle to the operating system's generator.
    pub fn new() -> SystemRandom {
        SystemRandom {
            inner: ring::rand::SystemRandom::new(),
            pool: Box::new([0; POOL]),
            used: POOL,
        }
    }

    fn os_fill(&self, dst: &mut [u8]) {
        use ring::rand::SecureRandom;
        // ring reports failure only when the OS has no entropy source at all; there is
        // nothing sane to continue with then.
        let filled = self.inner.fill(dst);
        assert!(
            filled.is_ok(),
            "the operating system's random generator failed"
        );
    }
}

#[cfg(feature = "ring")]
impl std::fmt::Debug for SystemRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the pooled bytes.
        f.debug_struct("SystemRandom").finish_non_exhaustive()
    }
}

#[cfg(feature = "ring")]
impl Default for SystemRandom {
    fn default() -> SystemRandom {
        SystemRandom::new()
    }
}

#[cfg(feature = "ring")]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`used <= POOL` and `filled <= dst.len()`: every step takes at most what is left"
)]
impl Random for SystemRandom {
    fn fill(&mut self, dst: &mut [u8]) {
        if dst.len() > POOL / 4 {
            // Large requests go straight to the OS.
            self.os_fill(dst);
            return;
        }
        let mut filled = 0;
        while filled < dst.len() {
            if self.used == POOL {
                let mut pool = [0; POOL];
                self.os_fill(&mut pool);
                *self.pool = pool;
                self.used = 0;
            }
            let take = (dst.len() - filled).min(POOL - self.used);
            let (Some(to), Some(from)) = (
                dst.get_mut(filled..filled + take),
                self.pool.get_mut(self.used..self.used + take),
            ) else {
                return;
            };
            to.copy_from_slice(from);
            // Handed-out bytes are wiped so they never linger in memory.
            from.fill(0);
            self.used += take;
            filled += take;
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::{Random, SeededRandom};

    #[cfg(feature = "ring")]
    #[test]
    fn system_random_pools_and_crosses_refills() {
        use super::SystemRandom;
        let mut r = SystemRandom::new();
        // Many 4-byte keys cross several pool refills; a stuck or repeating pool would
        // show as duplicates.
        let keys: Vec<u32> = (0..1000).map(|_| r.next_u32()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert!(sorted.len() > 990, "{} distinct of 1000", sorted.len());
        // Odd sizes, a size larger than what is left in the pool, and a large request.
        for n in [1, 3, 250, 300, 4096] {
            let mut buf = vec![0u8; n];
            r.fill(&mut buf);
            assert!(n < 8 || buf.iter().any(|&b| b != 0), "{n} bytes all zero");
        }
        assert_eq!(format!("{r:?}"), "SystemRandom { .. }");
    }

    #[test]
    fn seeded_is_deterministic_and_fills_odd_lengths() {
        let mut a = SeededRandom::new(7);
        let mut b = SeededRandom::new(7);
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0; 13]);
        assert_ne!(
            SeededRandom::new(8).next_u64(),
            SeededRandom::new(7).next_u64()
        );
    }
}
