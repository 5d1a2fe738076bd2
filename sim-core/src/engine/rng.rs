//! Named random-number streams derived from one master seed.
//!
//! Every subsystem draws from its own stream, named after what it models
//! (`"workload.training.arrivals"`, later `"reliability.gpu"`, ...). A stream
//! is a ChaCha8 generator whose key comes from the master seed and whose
//! 64-bit stream id is the FNV-1a hash of the name. Hence:
//!
//! - a stream's draws depend only on the master seed and its own name, so
//!   adding, removing or reordering other subsystems never changes them;
//! - the generator is named and portable: ChaCha8 from `rand_chacha`, seeded
//!   through `SeedableRng::seed_from_u64` (documented PCG32 expansion), gives
//!   the same numbers on every platform and thread count. `StdRng` is avoided
//!   because its algorithm may change between `rand` releases.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every stream uses.
pub type StreamRng = ChaCha8Rng;

/// Hands out independent, reproducible RNG streams by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    master_seed: u64,
}

impl RngStreams {
    pub fn new(master_seed: u64) -> Self {
        RngStreams { master_seed }
    }

    /// A fresh generator for `name`. Calling twice with the same name gives
    /// two generators that produce the same sequence.
    pub fn stream(&self, name: &str) -> StreamRng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.master_seed);
        rng.set_stream(stream_id(name));
        rng
    }
}

/// 64-bit FNV-1a of the stream name: stable, dependency-free and documented
/// (Fowler, Noll, Vo; IETF draft-eastlake-fnv).
pub fn stream_id(name: &str) -> u64 {
    fnv1a_64(name.as_bytes())
}

/// 64-bit FNV-1a of `bytes`, continuing from `hash` (start from
/// [`FNV_OFFSET_BASIS`]): the crate's one stable, portable hash (stream
/// ids, study fingerprints).
pub fn fnv1a_64_from(hash: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    (bytes.iter()).fold(hash, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// splitmix64's finaliser (Steele, Lea, Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014): a bijection of u64 that
/// spreads every input bit over the output.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a's starting value.
pub const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    fnv1a_64_from(FNV_OFFSET_BASIS, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn first_draws(rng: &mut StreamRng) -> Vec<u64> {
        (0..8).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn fnv1a_matches_published_test_vectors() {
        // Test vectors from the FNV reference (draft-eastlake-fnv, appendix).
        assert_eq!(stream_id(""), 0xcbf29ce484222325);
        assert_eq!(stream_id("a"), 0xaf63dc4c8601ec8c);
        assert_eq!(stream_id("foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn same_name_same_sequence_different_name_different_sequence() {
        let streams = RngStreams::new(42);
        let a1 = first_draws(&mut streams.stream("workload.arrivals"));
        let a2 = first_draws(&mut streams.stream("workload.arrivals"));
        let b = first_draws(&mut streams.stream("workload.sizes"));
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
    }

    #[test]
    fn different_master_seeds_differ() {
        let a = first_draws(&mut RngStreams::new(1).stream("x"));
        let b = first_draws(&mut RngStreams::new(2).stream("x"));
        assert_ne!(a, b);
    }

    #[test]
    fn drawing_from_another_stream_does_not_disturb_this_one() {
        let streams = RngStreams::new(7);
        let alone = first_draws(&mut streams.stream("workload.arrivals"));

        let mut arrivals = streams.stream("workload.arrivals");
        let mut failures = streams.stream("reliability.failures");
        let mut interleaved = Vec::new();
        for _ in 0..8 {
            for _ in 0..3 {
                failures.next_u64();
            }
            interleaved.push(arrivals.next_u64());
        }
        assert_eq!(alone, interleaved);
    }

    #[test]
    fn generator_is_stable_across_releases() {
        // Pinned output of ChaCha8 for seed 0, stream "x". If this changes,
        // a dependency changed the generator and every published result made
        // with clustersim would silently change with it.
        let draws = first_draws(&mut RngStreams::new(0).stream("x"));
        assert_eq!(draws, PINNED_SEED0_STREAM_X.to_vec());
    }

    /// Recorded from rand_chacha 0.10.0 (ChaCha8, seed_from_u64(0),
    /// stream fnv1a("x")) when this crate pinned it.
    const PINNED_SEED0_STREAM_X: [u64; 8] = [
        5381831536833765469,
        3069915331385945176,
        15136060815876015253,
        1912788453366060380,
        1675487212386607806,
        8070476756153344984,
        14655828015525185798,
        13077011929071254990,
    ];
}
