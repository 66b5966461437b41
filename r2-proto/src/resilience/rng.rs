//! A small seeded random number generator for backoff jitter.
//!
//! The core draws no randomness of its own: the caller seeds this generator
//! (from the OS in an adapter, from a constant in a test), and the same seed
//! gives the same jitter.

/// SplitMix64: tiny, fast and statistically sound for jitter. Not for secrets.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number uniformly drawn from `0..=max`.
    pub fn up_to(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        // Multiply-shift: maps 64 random bits onto 0..=max without a modulo bias worth noting.
        ((u128::from(self.next_u64()) * (u128::from(max) + 1)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_bounds_hold() {
        let (mut a, mut b) = (Jitter::new(7), Jitter::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Jitter::new(1);
        let draws: Vec<u64> = (0..10_000).map(|_| c.up_to(9)).collect();
        assert!(draws.iter().all(|&d| d <= 9));
        for value in 0..=9 {
            let count = draws.iter().filter(|&&d| d == value).count();
            assert!((800..1200).contains(&count), "{value}: {count}");
        }
        assert_eq!(Jitter::new(3).up_to(0), 0);
        let _ = Jitter::new(3).up_to(u64::MAX);
    }
}
