//! Seeded random streams: one ChaCha8 stream per actor, derived from the scenario seed.
//!
//! Stream ids are stable per actor, so adding an actor never shifts another actor's draws.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random stream of one actor (or one network link).
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

/// The random stream id of the actor with this name: a hash of the name, so an actor's draws
/// do not depend on which other actors exist or the order they were added in. Actor streams
/// have the top bit clear; link streams ([`link_stream`]) have it set.
pub fn actor_stream(name: &str) -> u64 {
    name_hash(name) & !(1 << 63)
}

/// The random stream id of one direction of an actor's network link.
pub fn link_stream(name: &str, to_hub: bool) -> u64 {
    let dir = if to_hub { "up" } else { "down" };
    name_hash(&format!("link/{dir}/{name}")) | (1 << 63)
}

fn name_hash(name: &str) -> u64 {
    let h = blake3::hash(name.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("32-byte hash"))
}

impl SimRng {
    /// The stream `stream` of the generator seeded with `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        SimRng(rng)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[lo, hi]` (inclusive). Uses a 128-bit multiply (Lemire), bias below 2^-64.
    pub fn uniform(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        let x = self.next_u64() as u128 * (span as u128 + 1);
        lo + (x >> 64) as u64
    }

    /// Uniform index in `[0, n)`; `n` must be positive.
    pub fn index(&mut self, n: usize) -> usize {
        self.uniform(0, n as u64 - 1) as usize
    }

    /// Uniform float in `[0, 1)` with 53 bits of precision.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a1: Vec<u64> = {
            let mut r = SimRng::new(7, 1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let a2: Vec<u64> = {
            let mut r = SimRng::new(7, 1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SimRng::new(7, 2);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = SimRng::new(8, 1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
    }

    #[test]
    fn drawing_on_one_stream_does_not_shift_another() {
        let mut other = SimRng::new(3, 5);
        let before = other.next_u64();
        let mut noisy = SimRng::new(3, 4);
        for _ in 0..100 {
            noisy.next_u64();
        }
        let mut other_again = SimRng::new(3, 5);
        assert_eq!(before, other_again.next_u64());
    }

    #[test]
    fn stream_ids_depend_on_the_name_only() {
        assert_eq!(
            actor_stream("kubelet/worker-1"),
            actor_stream("kubelet/worker-1")
        );
        assert_ne!(
            actor_stream("kubelet/worker-1"),
            actor_stream("kubelet/worker-2")
        );
        assert_eq!(actor_stream("a") >> 63, 0);
        assert_eq!(link_stream("a", true) >> 63, 1);
        assert_ne!(link_stream("a", true), link_stream("a", false));
    }

    #[test]
    fn uniform_stays_in_range() {
        let mut r = SimRng::new(1, 0);
        for _ in 0..1000 {
            let v = r.uniform(10, 20);
            assert!((10..=20).contains(&v));
        }
        assert_eq!(r.uniform(5, 5), 5);
        assert_eq!(r.uniform(9, 3), 9);
        let f = r.unit_f64();
        assert!((0.0..1.0).contains(&f));
    }
}
