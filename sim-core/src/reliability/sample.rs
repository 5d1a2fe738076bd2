//! Random draws of the reliability model: uniforms keyed by (seed, class,
//! component, draw), and the inversions that turn them into lifetimes,
//! repair times and per-node frailties.
//!
//! Invariants:
//! - [`uniform`] is a pure function of its four arguments and lies in the
//!   open interval (0, 1), so `ln(u)` and `ln(1 - u)` are always finite;
//! - every (class, component) pair has its own ChaCha8 stream: the key is
//!   the master seed (as [`crate::engine::RngStreams`] makes it), the
//!   64-bit stream id mixes the FNV-1a hash of the class name with the
//!   component number through splitmix64, which is a bijection, so two
//!   components of one class never share a stream. Draw `k` is the k-th
//!   `u64` of that stream, read by seeking, so it never depends on how
//!   many other draws were made, in this stream or any other;
//! - [`ClassStream`] hashes the name once; its draws allocate nothing;
//! - the samplers are inversions (one uniform per lifetime, two per
//!   lognormal repair), deterministic and monotone in their uniform.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};

use super::{Frailty, Lifetime, RepairTime};
use crate::engine::{SimDuration, StreamRng, splitmix64, stream_id};

/// The class name of the per-node frailty draws.
pub const FRAILTY_STREAM: &str = "reliability.frailty";

/// The uniform in (0, 1) of draw `draw` of component `component` of the
/// stream named `stream` under master seed `seed`. Same as
/// `ClassStream::new(seed, stream).uniform(component, draw)`.
pub fn uniform(seed: u64, stream: &str, component: u64, draw: u64) -> f64 {
    ClassStream::new(seed, stream).uniform(component, draw)
}

/// The streams of one failure class (or other named purpose) under one
/// master seed: the name hashed once, the key expanded once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassStream {
    /// ChaCha8's key: the master seed expanded as `seed_from_u64` does.
    key: [u8; 32],
    /// FNV-1a of the class name.
    id: u64,
}

impl ClassStream {
    pub fn new(seed: u64, class_name: &str) -> Self {
        ClassStream {
            key: ChaCha8Rng::seed_from_u64(seed).get_seed(),
            id: stream_id(class_name),
        }
    }

    /// Draw `draw` (0, 1, 2, ...) of `component`, in (0, 1).
    pub fn uniform(&self, component: u64, draw: u64) -> f64 {
        open_unit(self.word_pair(component, draw))
    }

    /// The `draw`-th `u64` of `component`'s stream: words `2·draw` and
    /// `2·draw + 1` of the ChaCha8 keystream, exactly what
    /// `component_rng(component)` seeked to word `2·draw` returns from
    /// `next_u64` (low word first). Computed as the one 64-byte block
    /// holding them, where `ChaCha8Rng` would set up a generator and
    /// compute four blocks: every job start draws its software failures
    /// here, so this is on the path of every job of a run with failures.
    fn word_pair(&self, component: u64, draw: u64) -> u64 {
        let stream = splitmix64(self.id ^ splitmix64(component));
        // 16 words per block; an even word and the next never straddle two.
        let block = draw / 8;
        let word = (draw % 8) as usize * 2;
        let out = chacha8_block(&self.key, block, stream);
        u64::from(out[word]) | (u64::from(out[word + 1]) << 32)
    }

    /// The generator of `component`, at the start of its stream.
    fn component_rng(&self, component: u64) -> StreamRng {
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(splitmix64(self.id ^ splitmix64(component)));
        rng
    }
}

/// One block of the ChaCha keystream with 8 rounds (Bernstein, "ChaCha,
/// a variant of Salsa20", 2008; the layout of RFC 8439 §2.3 with a 64-bit
/// block counter in words 12-13 and a 64-bit nonce in words 14-15, as
/// `rand_chacha` lays out its block position and stream).
fn chacha8_block(key: &[u8; 32], block: u64, stream: u64) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for (i, chunk) in key.chunks_exact(4).enumerate() {
        input[4 + i] = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
    }
    input[12] = block as u32;
    input[13] = (block >> 32) as u32;
    input[14] = stream as u32;
    input[15] = (stream >> 32) as u32;
    let mut x = input;
    fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    }
    for _ in 0..4 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (x, i) in x.iter_mut().zip(input) {
        *x = x.wrapping_add(i);
    }
    x
}

/// The top 53 bits of `x` with the lowest of them forced to 1, scaled to
/// (0, 1): the odd multiples of 2^-53, so 0 and 1 are never reached and
/// the set is symmetric (u and 1 - u are equally likely).
fn open_unit(x: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    ((x >> 11) | 1) as f64 * SCALE
}

impl Lifetime {
    /// Mean time to failure of one new component: the exponential's mean,
    /// or scale·Γ(1 + 1/shape) for the Weibull.
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Lifetime::Exponential { mean_ns } => mean_ns,
            Lifetime::Weibull { shape, scale_ns } => scale_ns * libm::tgamma(1.0 + 1.0 / shape),
        }
    }

    /// The long-run failure rate of one component replaced on failure
    /// (renewal theory: 1 / mean).
    pub fn rate_per_ns(&self) -> f64 {
        1.0 / self.mean_ns()
    }

    /// The same lifetime with its hazard multiplied by `factor` (a lemon's
    /// or a frailty's multiplier): the exponential's mean divided by it,
    /// the Weibull's scale multiplied by factor^(-1/shape) (its cumulative
    /// hazard (t/scale)^shape is then multiplied by `factor`).
    pub fn scaled(&self, factor: f64) -> Lifetime {
        match *self {
            Lifetime::Exponential { mean_ns } => Lifetime::Exponential {
                mean_ns: mean_ns / factor,
            },
            Lifetime::Weibull { shape, scale_ns } => Lifetime::Weibull {
                shape,
                scale_ns: scale_ns * factor.powf(-1.0 / shape),
            },
        }
    }

    /// Time until the next failure of a component that has survived to
    /// `age_ns`, by inverting its conditional survival at `u` in (0, 1):
    /// S(age + r) / S(age) = u. Exponential: -mean·ln(u) whatever the age
    /// (memoryless). Weibull: (age^k - ln(u)·λ^k)^(1/k) - age, computed as
    /// λ·a·expm1(ln1p(-ln(u)/a^k)/k) with a = age/λ to keep its precision
    /// when the age dwarfs the residual.
    pub fn residual_ns(&self, u: f64, age_ns: f64) -> f64 {
        let hazard = -u.ln();
        match *self {
            Lifetime::Exponential { mean_ns } => mean_ns * hazard,
            Lifetime::Weibull { shape, scale_ns } => {
                let a = age_ns / scale_ns;
                if a <= 0.0 {
                    scale_ns * hazard.powf(1.0 / shape)
                } else {
                    scale_ns * a * ((hazard / a.powf(shape)).ln_1p() / shape).exp_m1()
                }
            }
        }
    }
}

impl RepairTime {
    /// A repair time from two uniforms in (0, 1): the fixed time (neither
    /// used), the exponential by inversion of `u1`, the lognormal as
    /// median·exp(sigma·z) with z = sqrt(-2 ln u1)·cos(2π u2) (Box and
    /// Muller 1958). Rounded to the nanosecond; saturates at
    /// [`SimDuration::MAX`].
    pub fn sample(&self, u1: f64, u2: f64) -> SimDuration {
        let ns = match *self {
            RepairTime::Fixed(d) => return d,
            RepairTime::Exponential { mean } => mean.as_ns() as f64 * -u1.ln(),
            RepairTime::Lognormal { median, sigma } => {
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median.as_ns() as f64 * (sigma * z).exp()
            }
        };
        // `as` saturates out-of-range floats (and maps NaN to 0).
        SimDuration::from_ns(ns.round() as u64)
    }

    /// The mean repair time: the lognormal's is median·exp(sigma²/2).
    pub fn mean(&self) -> SimDuration {
        match *self {
            RepairTime::Fixed(d) => d,
            RepairTime::Exponential { mean } => mean,
            RepairTime::Lognormal { median, sigma } => SimDuration::from_ns(
                (median.as_ns() as f64 * (sigma * sigma / 2.0).exp()).round() as u64,
            ),
        }
    }
}

impl Frailty {
    /// The factor node `node`'s hazards are multiplied by, as built (no
    /// part replaced yet). Same as `multiplier_after(seed, node, 0)`.
    pub fn multiplier(&self, seed: u64, node: u64) -> f64 {
        self.multiplier_after(seed, node, 0)
    }

    /// The factor after `replacements` replacements of the node's failed
    /// parts (each draws the frailty afresh): `None` 1; `Lemons` `factor`
    /// when draw `replacements` of the node's frailty stream is below
    /// `fraction`, else 1; `Gamma` a Gamma(shape, 1/shape) variate (mean
    /// 1, variance 1/shape) from the node's frailty stream, the
    /// replacement's draws starting at word `replacements`·2^32 of it.
    pub fn multiplier_after(&self, seed: u64, node: u64, replacements: u64) -> f64 {
        match *self {
            Frailty::None => 1.0,
            Frailty::Lemons { fraction, factor } => {
                if uniform(seed, FRAILTY_STREAM, node, replacements) < fraction {
                    factor
                } else {
                    1.0
                }
            }
            Frailty::Gamma { shape } => {
                let mut rng = ClassStream::new(seed, FRAILTY_STREAM).component_rng(node);
                rng.set_word_pos(u128::from(replacements) << 32);
                Gamma::new(shape, 1.0 / shape)
                    .expect("a frailty's shape is positive and finite (checked by scenario)")
                    .sample(&mut rng)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;
    use crate::engine::NS_PER_SEC;

    #[test]
    fn draws_are_successive_u64s_of_the_component_stream() {
        // Seeking to draw k gives what reading the stream in order gives:
        // the k-th u64, whatever was drawn before or elsewhere.
        let class = ClassStream::new(42, "reliability.gpu");
        let mut rng = class.component_rng(7);
        for k in 0..40 {
            assert_eq!(class.uniform(7, k), open_unit(rng.next_u64()), "draw {k}");
        }
        // Any order of calls gives the same values.
        let backwards: Vec<f64> = (0..40).rev().map(|k| class.uniform(7, k)).collect();
        let forwards: Vec<f64> = (0..40).map(|k| class.uniform(7, k)).collect();
        assert_eq!(backwards.into_iter().rev().collect::<Vec<_>>(), forwards);
    }

    #[test]
    fn the_one_block_draw_is_chacha8rng_seeked() {
        // The hand-written block against rand_chacha's generator, over
        // components, seeds, and draws whose block counter passes 2^32
        // (words 12 and 13 both in use).
        for seed in [0, 1, 2024] {
            let class = ClassStream::new(seed, "reliability.job");
            for component in [0, 1, 7, 2_553_388, u64::MAX] {
                for draw in [0, 1, 7, 8, 9, 1_000, (1 << 35) + 3, u64::MAX / 2] {
                    let mut rng = class.component_rng(component);
                    rng.set_word_pos(u128::from(draw) * 2);
                    assert_eq!(
                        class.word_pair(component, draw),
                        rng.next_u64(),
                        "seed {seed}, component {component}, draw {draw}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_free_function_and_the_class_stream_agree() {
        let class = ClassStream::new(3, "reliability.node");
        for (c, k) in [(0, 0), (1, 0), (0, 1), (123_456, 99)] {
            assert_eq!(uniform(3, "reliability.node", c, k), class.uniform(c, k));
        }
    }

    #[test]
    fn class_component_and_seed_each_change_the_draws() {
        let base: Vec<f64> = (0..8).map(|k| uniform(1, "a", 5, k)).collect();
        let other_class: Vec<f64> = (0..8).map(|k| uniform(1, "b", 5, k)).collect();
        let other_component: Vec<f64> = (0..8).map(|k| uniform(1, "a", 6, k)).collect();
        let other_seed: Vec<f64> = (0..8).map(|k| uniform(2, "a", 5, k)).collect();
        assert_ne!(base, other_class);
        assert_ne!(base, other_component);
        assert_ne!(base, other_seed);
    }

    #[test]
    fn no_two_components_of_a_class_share_a_stream() {
        // splitmix64 is a bijection, so the stream ids of components
        // 0..n are n distinct values (checked here on 10,000).
        let class = ClassStream::new(0, "reliability.gpu");
        let mut ids: Vec<u64> = (0..10_000)
            .map(|c| class.component_rng(c).get_stream())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn uniforms_stay_strictly_inside_zero_one() {
        assert_eq!(open_unit(0), 1.0 / (1u64 << 53) as f64);
        assert_eq!(open_unit(u64::MAX), 1.0 - 1.0 / (1u64 << 53) as f64);
        assert!(open_unit(u64::MAX) < 1.0);
        assert_eq!(open_unit(0) + open_unit(u64::MAX), 1.0);
    }

    #[test]
    fn draws_are_stable_across_releases() {
        // Pinned: if these change, every failure time of every published
        // run changes with them.
        let draws: Vec<f64> = (0..3)
            .map(|k| uniform(0, "reliability.gpu", 1, k))
            .collect();
        assert_eq!(draws, PINNED_SEED0_GPU_1.to_vec());
        // splitmix64's reference output for state 0 (Vigna's splitmix64.c).
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }

    /// Recorded from rand_chacha 0.10.0 when this sampler was written.
    const PINNED_SEED0_GPU_1: [f64; 3] =
        [0.3818871619396417, 0.7818392239601849, 0.42072851713641246];

    #[test]
    fn exponential_lifetime_is_memoryless_with_rate_one_over_mean() {
        let life = Lifetime::Exponential { mean_ns: 1e12 };
        assert_eq!(life.mean_ns(), 1e12);
        assert_eq!(life.rate_per_ns(), 1e-12);
        let u = 0.25;
        let expected = 1e12 * 4f64.ln();
        assert!((life.residual_ns(u, 0.0) - expected).abs() < 1e-3);
        assert_eq!(life.residual_ns(u, 0.0), life.residual_ns(u, 5e15));
        assert_eq!(life.scaled(4.0), Lifetime::Exponential { mean_ns: 2.5e11 });
    }

    #[test]
    fn weibull_mean_is_scale_times_gamma() {
        // Shape 1 is the exponential; shape 2 (Rayleigh) has mean
        // scale·sqrt(pi)/2; shape 0.5 has mean scale·Γ(3) = 2·scale.
        let mean = |shape| {
            Lifetime::Weibull {
                shape,
                scale_ns: 1e9,
            }
            .mean_ns()
        };
        assert!((mean(1.0) - 1e9).abs() < 1e-3);
        assert!((mean(2.0) - 1e9 * std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-3);
        assert!((mean(0.5) - 2e9).abs() < 1e-3);
    }

    #[test]
    fn weibull_residual_inverts_the_conditional_survival() {
        let (shape, scale) = (1.5, 1e9);
        let life = Lifetime::Weibull {
            shape,
            scale_ns: scale,
        };
        let cum_hazard = |t: f64| (t / scale).powf(shape);
        for age in [0.0, 1e6, 3e8, 1e9, 5e10] {
            for u in [1e-9, 0.1, 0.5, 0.9, 1.0 - 1e-12] {
                let r = life.residual_ns(u, age);
                assert!(r >= 0.0);
                // S(age + r) / S(age) = exp(H(age) - H(age + r)) = u.
                let got = (cum_hazard(age) - cum_hazard(age + r)).exp();
                assert!(
                    (got - u).abs() < 1e-9 * u.max(1e-3),
                    "age {age} u {u}: {got}"
                );
            }
        }
    }

    #[test]
    fn scaling_a_weibull_multiplies_its_hazard() {
        let life = Lifetime::Weibull {
            shape: 0.7,
            scale_ns: 2e9,
        };
        let fast = life.scaled(3.0);
        let h = |l: Lifetime, t: f64| match l {
            Lifetime::Weibull { shape, scale_ns } => (t / scale_ns).powf(shape),
            Lifetime::Exponential { mean_ns } => t / mean_ns,
        };
        for t in [1e6, 1e9, 1e11] {
            assert!((h(fast, t) / h(life, t) - 3.0).abs() < 1e-12);
        }
        // So its mean shrinks by 3^(1/0.7).
        assert!((life.mean_ns() / fast.mean_ns() - 3f64.powf(1.0 / 0.7)).abs() < 1e-9);
    }

    #[test]
    fn repair_times_invert_their_distributions() {
        let hour = SimDuration::from_secs(3600);
        assert_eq!(RepairTime::Fixed(hour).sample(0.3, 0.7), hour);
        // Exponential: u = e^-1 gives the mean.
        let exp = RepairTime::Exponential { mean: hour };
        assert_eq!(exp.sample((-1f64).exp(), 0.5), hour);
        // Lognormal: cos(2π·1/4) = 0 gives the median; u1 = e^-2, u2 ~ 0
        // gives z = 2 (to 1e-9), median·e^(2σ).
        let logn = RepairTime::Lognormal {
            median: hour,
            sigma: 0.5,
        };
        assert_eq!(logn.sample(0.3, 0.25), hour);
        let z2 = logn.sample((-2f64).exp(), 1e-12).as_secs_f64();
        assert!((z2 - 3600.0 * 1f64.exp()).abs() < 1e-6, "{z2}");
        // Saturates rather than wrapping.
        let huge = RepairTime::Lognormal {
            median: hour,
            sigma: 100.0,
        };
        assert_eq!(huge.sample(1e-300, 1e-12), SimDuration::MAX);
        // Means.
        assert_eq!(exp.mean(), hour);
        let want = (3600.0 * NS_PER_SEC as f64 * (0.125f64).exp()).round() as u64;
        assert_eq!(logn.mean(), SimDuration::from_ns(want));
    }

    #[test]
    fn frailty_multipliers_are_per_node_and_deterministic() {
        assert_eq!(Frailty::None.multiplier(1, 2), 1.0);
        let lemons = Frailty::Lemons {
            fraction: 0.3,
            factor: 8.0,
        };
        for node in 0..50 {
            let want = if uniform(9, FRAILTY_STREAM, node, 0) < 0.3 {
                8.0
            } else {
                1.0
            };
            assert_eq!(lemons.multiplier(9, node), want);
        }
        let gamma = Frailty::Gamma { shape: 2.0 };
        let a: Vec<f64> = (0..20).map(|n| gamma.multiplier(5, n)).collect();
        let b: Vec<f64> = (0..20).map(|n| gamma.multiplier(5, n)).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|&m| m > 0.0));
        // A replacement draws afresh; the node's first draw is unchanged.
        assert_ne!(gamma.multiplier_after(5, 3, 1), a[3]);
        assert_eq!(gamma.multiplier_after(5, 3, 0), a[3]);
    }
}
