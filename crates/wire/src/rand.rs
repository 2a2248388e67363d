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

/// The operating system's generator, through ring.
#[cfg(feature = "ring")]
#[derive(Debug)]
pub struct SystemRandom {
    inner: ring::rand::SystemRandom,
}

#[cfg(feature = "ring")]
impl SystemRandom {
    /// A handle to the operating system's generator.
    pub fn new() -> SystemRandom {
        SystemRandom {
            inner: ring::rand::SystemRandom::new(),
        }
    }
}

#[cfg(feature = "ring")]
impl Default for SystemRandom {
    fn default() -> SystemRandom {
        SystemRandom::new()
    }
}

#[cfg(feature = "ring")]
impl Random for SystemRandom {
    fn fill(&mut self, dst: &mut [u8]) {
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

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::{Random, SeededRandom};

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
