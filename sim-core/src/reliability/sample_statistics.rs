//! Statistical tests of the sampler (`sample.rs`): the draws it makes
//! follow the distributions they claim, checked against closed forms
//! (`closed_form.rs`) on fixed seeds, so each test is deterministic.
//!
//! Invariants: every tolerance is derived from the sampling error of the
//! statistic (a KS critical value, a Poisson interval, four standard
//! errors), never tuned to the seed; 20,000 draws per distribution.

use super::closed_form::{ks_critical, ks_statistic, poisson_interval};
use super::sample::{ClassStream, FRAILTY_STREAM, uniform};
use super::{Frailty, Lifetime, RepairTime};
use crate::engine::SimDuration;

const DRAWS: u64 = 20_000;
/// KS tests are run at the 1% level.
const KS_ALPHA: f64 = 0.01;

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(f64::total_cmp);
    xs
}

fn assert_ks(name: &str, samples: Vec<f64>, cdf: impl Fn(f64) -> f64) {
    let n = samples.len();
    let d = ks_statistic(&sorted(samples), cdf);
    let critical = ks_critical(n, KS_ALPHA);
    assert!(d < critical, "{name}: D = {d} ≥ {critical} (n = {n})");
}

#[test]
fn exponential_inter_failure_times_pass_ks() {
    let mean_ns = 5e13;
    let life = Lifetime::Exponential { mean_ns };
    let cdf = |x: f64| -(-x / mean_ns).exp_m1();
    let class = ClassStream::new(1, "reliability.gpu");
    // Successive failures of one component...
    let along: Vec<f64> = (0..DRAWS)
        .map(|k| life.residual_ns(class.uniform(17, k), 0.0))
        .collect();
    assert_ks("one component's successive draws", along, cdf);
    // ...and first failures of many components.
    let across: Vec<f64> = (0..DRAWS)
        .map(|c| life.residual_ns(class.uniform(c, 0), 0.0))
        .collect();
    assert_ks("first draws of 20,000 components", across, cdf);
}

#[test]
fn weibull_lifetimes_pass_ks_new_and_aged() {
    let scale_ns = 3e12;
    for shape in [0.7, 1.5] {
        let life = Lifetime::Weibull { shape, scale_ns };
        let h = |t: f64| (t / scale_ns).powf(shape);
        let class = ClassStream::new(2, "reliability.weibull");
        let new: Vec<f64> = (0..DRAWS)
            .map(|k| life.residual_ns(class.uniform(0, k), 0.0))
            .collect();
        assert_ks(&format!("Weibull {shape} from new"), new, |x| {
            -(-h(x)).exp_m1()
        });
        // From an age a, the residual r has CDF 1 − exp(H(a) − H(a + r)).
        let age = 2e12;
        let aged: Vec<f64> = (0..DRAWS)
            .map(|k| life.residual_ns(class.uniform(1, k), age))
            .collect();
        assert_ks(&format!("Weibull {shape} from age"), aged, |r| {
            -(h(age) - h(age + r)).exp_m1()
        });
    }
}

#[test]
fn renewal_counts_match_lambda_n_t() {
    // 100 components at rate λ, replaced on failure, over T with λT = 2:
    // the failures of one seed are Poisson(λNT = 200); over 200 seeds the
    // total is Poisson(40,000), so 200·λNT lies in the 99% interval of
    // the observed total (the seeds' mean count in that of λNT).
    let (components, seeds, horizon_ns, mean_ns) = (100u64, 200u64, 2e15, 1e15);
    let expected_per_seed = components as f64 * horizon_ns / mean_ns;
    let life = Lifetime::Exponential { mean_ns };
    let mut total = 0u64;
    for seed in 0..seeds {
        let class = ClassStream::new(seed, "reliability.node");
        for c in 0..components {
            let mut t = 0.0;
            let mut k = 0;
            loop {
                t += life.residual_ns(class.uniform(c, k), 0.0);
                if t > horizon_ns {
                    break;
                }
                k += 1;
            }
            total += k;
        }
    }
    let (lo, hi) = poisson_interval(total as f64, 0.99);
    let expected = expected_per_seed * seeds as f64;
    assert!(
        lo <= expected && expected <= hi,
        "total {total}: 99% interval [{lo}, {hi}] misses λNT·seeds = {expected}"
    );
}

#[test]
fn lognormal_repairs_have_their_median_and_distribution() {
    let median = SimDuration::from_secs(4 * 3600);
    let sigma = 0.8;
    let repair = RepairTime::Lognormal { median, sigma };
    let class = ClassStream::new(3, "reliability.repair");
    let samples: Vec<f64> = (0..DRAWS)
        .map(|k| {
            let d = repair.sample(class.uniform(0, 2 * k), class.uniform(0, 2 * k + 1));
            d.as_ns() as f64
        })
        .collect();
    let m = median.as_ns() as f64;
    let samples = sorted(samples);
    // The sample median's standard error is 1/(2 f(m) sqrt(n)) with the
    // lognormal density at its median f(m) = 1/(m σ sqrt(2π)).
    let n = samples.len();
    let sample_median = 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    let se = m * sigma * std::f64::consts::TAU.sqrt() / (2.0 * (n as f64).sqrt());
    assert!(
        (sample_median - m).abs() < 4.0 * se,
        "median {sample_median} vs {m} (4 SE = {})",
        4.0 * se
    );
    let cdf = |x: f64| 0.5 * libm::erfc(-(x / m).ln() / (sigma * std::f64::consts::SQRT_2));
    assert_ks("lognormal repair", samples, cdf);
}

#[test]
fn gamma_frailty_has_mean_one_and_variance_one_over_shape() {
    let n = DRAWS as f64;
    for shape in [0.5, 2.0] {
        let frailty = Frailty::Gamma { shape };
        let xs: Vec<f64> = (0..DRAWS)
            .map(|node| frailty.multiplier(11, node))
            .collect();
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // Gamma(k, 1/k): variance 1/k, excess kurtosis 6/k, so the sample
        // mean's SE is sqrt(1/(k n)) and the sample variance's
        // sqrt((2 + 6/k)/n)/k.
        let se_mean = (1.0 / (shape * n)).sqrt();
        let se_var = ((2.0 + 6.0 / shape) / n).sqrt() / shape;
        assert!(
            (mean - 1.0).abs() < 4.0 * se_mean,
            "shape {shape}: mean {mean}"
        );
        assert!(
            (var - 1.0 / shape).abs() < 4.0 * se_var,
            "shape {shape}: variance {var}, want {}",
            1.0 / shape
        );
    }
}

#[test]
fn lemon_fraction_is_binomial() {
    let (fraction, factor) = (0.05, 10.0);
    let frailty = Frailty::Lemons { fraction, factor };
    let lemons = (0..DRAWS)
        .filter(|&node| frailty.multiplier(4, node) == factor)
        .count() as f64;
    let n = DRAWS as f64;
    let se = (n * fraction * (1.0 - fraction)).sqrt();
    assert!(
        (lemons - n * fraction).abs() < 4.0 * se,
        "{lemons} lemons of {n}"
    );
    // The lemons are the nodes whose frailty draw falls below the fraction.
    assert!((0..100).all(|node| (frailty.multiplier(4, node) == factor)
        == (uniform(4, FRAILTY_STREAM, node, 0) < fraction)));
}
