//! The closed forms the reliability model is checked against and the
//! simulation computes checkpoint intervals with: Young's and Daly's
//! optimum intervals, Daly's expected wall time, the k-of-N survival of a
//! job, exact Poisson confidence intervals, the Kolmogorov–Smirnov
//! statistic, and a job's expected MTBF from the failure classes.
//!
//! Invariants:
//! - every function is pure and takes its times in one unit of the
//!   caller's choice (the results come back in that unit), unless its name
//!   says `_ns`;
//! - probabilities are computed in log space where terms would otherwise
//!   overflow or underflow (binomials of thousands of nodes), and come
//!   back in [0, 1];
//! - each formula cites where it comes from.

use super::{ClassKind, ReliabilitySpec, Target};

/// Young's first-order optimum checkpoint interval, sqrt(2·δ·M), for a
/// checkpoint cost `delta` and a mean time between failures `mtbf` (J. W.
/// Young, "A first order approximation to the optimum checkpoint
/// interval", CACM 17(9), 1974).
pub fn young_interval(delta: f64, mtbf: f64) -> f64 {
    (2.0 * delta * mtbf).sqrt()
}

/// Daly's higher-order optimum checkpoint interval (J. T. Daly, "A higher
/// order estimate of the optimum checkpoint interval for restart dumps",
/// FGCS 22(3), 2006, eq. 37):
/// τ = sqrt(2δM)·[1 + (1/3)·sqrt(δ/(2M)) + (1/9)·(δ/(2M))] − δ for
/// δ < 2M, and τ = M otherwise.
pub fn daly_interval(delta: f64, mtbf: f64) -> f64 {
    if delta >= 2.0 * mtbf {
        return mtbf;
    }
    let x = delta / (2.0 * mtbf);
    (2.0 * delta * mtbf).sqrt() * (1.0 + x.sqrt() / 3.0 + x / 9.0) - delta
}

/// Daly's complete model of the expected wall time of a job that needs
/// `solve` of work, checkpoints every `tau` of work at cost `delta`,
/// restarts in `restart` and fails exponentially with mean `mtbf` (Daly
/// 2006, eq. 20): T_w = M·e^(R/M)·(e^((τ+δ)/M) − 1)·T_s/τ.
pub fn daly_wall_time(solve: f64, tau: f64, delta: f64, restart: f64, mtbf: f64) -> f64 {
    mtbf * (restart / mtbf).exp() * ((tau + delta) / mtbf).exp_m1() * solve / tau
}

/// The probability that a job needing `k` of its `n` nodes, each failing
/// exponentially at `rate` and never repaired, still runs at time `t`:
/// R(t, k) = Σ_{i=k..N} C(N, i)·p^i·(1−p)^(N−i) with p = e^(−λt) (the
/// k-out-of-n system of reliability theory, e.g. Trivedi, "Probability
/// and Statistics with Reliability, Queuing and Computer Science
/// Applications", 2nd ed., §3.5). Each term is summed from its logarithm,
/// so N in the thousands neither overflows nor underflows.
pub fn k_of_n_survival(t: f64, k: u32, n: u32, rate: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let ln_p = -rate * t;
    // ln(1 − e^(−λt)), exact for small λt.
    let ln_q = (-(-rate * t).exp_m1()).ln();
    let ln_fact_n = libm::lgamma(f64::from(n) + 1.0);
    // x·ln(y) with 0·ln(0) = 0 (the i = N and i = 0 terms at p = 1 or 0).
    let times_ln = |count: u32, ln: f64| {
        if count == 0 {
            0.0
        } else {
            f64::from(count) * ln
        }
    };
    let sum: f64 = (k..=n)
        .map(|i| {
            let ln_binomial =
                ln_fact_n - libm::lgamma(f64::from(i) + 1.0) - libm::lgamma(f64::from(n - i) + 1.0);
            (ln_binomial + times_ln(i, ln_p) + times_ln(n - i, ln_q)).exp()
        })
        .sum();
    sum.clamp(0.0, 1.0)
}

/// The exact (Garwood 1936) two-sided confidence interval of a Poisson
/// mean given an observed `count`: [χ²(α/2; 2n)/2, χ²(1−α/2; 2n+2)/2]
/// with α = 1 − `confidence`, computed as quantiles of the gamma
/// distribution (the lower end solves P(n, μ) = α/2, the upper
/// P(n+1, μ) = 1 − α/2, P the regularized lower incomplete gamma
/// function); the lower end is 0 for a count of 0. A non-integer count is
/// taken through the same gamma form.
pub fn poisson_interval(count: f64, confidence: f64) -> (f64, f64) {
    assert!(
        count >= 0.0 && count.is_finite(),
        "a count is finite and non-negative"
    );
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "a confidence is in (0, 1)"
    );
    let alpha = 1.0 - confidence;
    let lower = if count == 0.0 {
        0.0
    } else {
        gamma_quantile(count, alpha / 2.0)
    };
    (lower, gamma_quantile(count + 1.0, 1.0 - alpha / 2.0))
}

/// The x with P(a, x) = p (the p-quantile of Gamma(a, 1)), by bisection
/// to the last bit of an f64: P(a, ·) increases from 0 to 1.
fn gamma_quantile(a: f64, p: f64) -> f64 {
    let mut hi = a + 1.0;
    while regularized_gamma_p(a, hi) < p {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            return mid;
        }
        if regularized_gamma_p(a, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
}

/// The regularized lower incomplete gamma function P(a, x), by its series
/// below x = a + 1 and by the continued fraction of Q = 1 − P (modified
/// Lentz) above (Press et al., "Numerical Recipes", 3rd ed., §6.2).
fn regularized_gamma_p(a: f64, x: f64) -> f64 {
    const EPS: f64 = 1e-16;
    const MAX_TERMS: usize = 100_000;
    if x <= 0.0 {
        return 0.0;
    }
    let ln_prefactor = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..MAX_TERMS {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * EPS {
                break;
            }
        }
        (sum * ln_prefactor.exp()).min(1.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_TERMS {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < EPS {
                break;
            }
        }
        (1.0 - ln_prefactor.exp() * h).max(0.0)
    }
}

/// The Kolmogorov–Smirnov statistic D_n = sup |F_n(x) − F(x)| of sorted
/// samples against the CDF `cdf` (the supremum is reached at a sample,
/// from one side or the other).
pub fn ks_statistic(sorted_samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted_samples.len() as f64;
    sorted_samples
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            ((i as f64 + 1.0) / n - f).max(f - i as f64 / n)
        })
        .fold(0.0, f64::max)
}

/// The asymptotic critical value of D_n at level `alpha`:
/// sqrt(−ln(α/2)/2)/sqrt(n), 1.358/sqrt(n) at 5% and 1.628/sqrt(n) at 1%
/// (Kolmogorov's limiting distribution; e.g. NIST/SEMATECH e-Handbook of
/// Statistical Methods, §1.3.5.16).
pub fn ks_critical(n: usize, alpha: f64) -> f64 {
    (-(alpha / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt()
}

impl ReliabilitySpec {
    /// The failure rate of one node from the unexpected classes that take
    /// it or its job down: GPU classes × `gpus_per_node`, node classes,
    /// NIC classes × `nics_per_node`, and job (software) classes, whose
    /// rate is per node the job holds. Link and switch classes are left
    /// out (their rate is per cable or switch, not per node), as are
    /// planned maintenance and the frailty (its mean is about 1: this is
    /// the nominal rate).
    pub fn node_failure_rate_per_ns(&self, gpus_per_node: u32, nics_per_node: u32) -> f64 {
        self.classes
            .iter()
            .filter_map(|class| match class.kind {
                ClassKind::Unexpected { lifetime, .. } => {
                    let per_node = match class.target {
                        Target::Gpu => f64::from(gpus_per_node),
                        Target::Nic => f64::from(nics_per_node),
                        Target::Node | Target::Job => 1.0,
                        Target::Link | Target::LeafSwitch | Target::SpineSwitch => 0.0,
                    };
                    Some(per_node * lifetime.rate_per_ns())
                }
                ClassKind::Planned(_) => None,
            })
            .sum()
    }

    /// The expected time between failures of a job on `nodes` such nodes,
    /// 1/(nodes·rate), the M of Young's and Daly's intervals; `None` when
    /// no class strikes its nodes (or it holds none).
    pub fn job_mtbf_ns(&self, nodes: u32, gpus_per_node: u32, nics_per_node: u32) -> Option<f64> {
        let rate = f64::from(nodes) * self.node_failure_rate_per_ns(gpus_per_node, nics_per_node);
        (rate > 0.0).then(|| 1.0 / rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;
    use crate::reliability::{
        FailureClass, Lifetime, Maintenance, Repair, RepairAction, RepairTime,
    };

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs()
    }

    #[test]
    fn young_and_daly_for_a_five_minute_checkpoint_and_a_one_day_mtbf() {
        // sqrt(2 · 300 · 86400) = sqrt(51,840,000) = 7200 exactly.
        assert_eq!(young_interval(300.0, 86_400.0), 7200.0);
        // x = 300/172800 = 1/576, sqrt(x) = 1/24:
        // 7200·(1 + 1/72 + 1/5184) − 300 = 7200 + 100 + 25/18 − 300
        // = 7001.3888...
        assert!(close(
            daly_interval(300.0, 86_400.0),
            7000.0 + 25.0 / 18.0,
            1e-14
        ));
        // Past δ = 2M, Daly's interval is M.
        assert_eq!(daly_interval(500.0, 200.0), 200.0);
    }

    #[test]
    fn daly_wall_time_matches_a_hand_computation() {
        // M·e^(R/M)·(e^((τ+δ)/M) − 1)·T_s/τ for T_s = 10^6, τ = 3000,
        // δ = 300, R = 600, M = 86400; mpmath at 30 digits:
        // 1129090.71263800019...
        let t = daly_wall_time(1e6, 3000.0, 300.0, 600.0, 86_400.0);
        assert!(close(t, 1_129_090.712_638, 1e-12), "{t}");
        // With failures vanishingly rare it is the work plus the
        // checkpoints: T_s·(τ+δ)/τ.
        let t = daly_wall_time(1e6, 3000.0, 300.0, 600.0, 1e15);
        assert!(close(t, 1.1e6, 1e-9), "{t}");
    }

    #[test]
    fn k_of_n_survival_against_hand_and_high_precision_values() {
        let (rate, t): (f64, f64) = (0.3, 2.0);
        let p = (-rate * t).exp();
        // One of two: 1 − (1 − p)².
        assert!(close(
            k_of_n_survival(t, 1, 2, rate),
            1.0 - (1.0 - p).powi(2),
            1e-14
        ));
        // All of N: p^N, the series system.
        assert!(close(k_of_n_survival(t, 5, 5, rate), p.powi(5), 1e-13));
        assert_eq!(k_of_n_survival(t, 0, 5, rate), 1.0);
        assert_eq!(k_of_n_survival(t, 6, 5, rate), 0.0);
        // At t = 0 every node is up.
        assert_eq!(k_of_n_survival(0.0, 3, 4, rate), 1.0);
        // Large N (mpmath, 40 digits): N = 1000, k = 990, λt = 0.005 gives
        // 0.98675304144808166675; N = 64, k = 5, λt = 2 gives
        // 0.94536491246582057398.
        assert!(close(
            k_of_n_survival(1.0, 990, 1000, 0.005),
            0.986_753_041_448_081_7,
            1e-12
        ));
        assert!(close(
            k_of_n_survival(1.0, 5, 64, 2.0),
            0.945_364_912_465_820_6,
            1e-12
        ));
    }

    #[test]
    fn poisson_intervals_match_the_chi_square_quantiles() {
        // Reference: mpmath's regularized incomplete gamma at 30 digits,
        // solved for P(n, L) = α/2 and P(n+1, U) = 1 − α/2.
        let cases = [
            (419.0, 0.95, 379.835_924_955_967, 461.105_912_691_366_7),
            (10.0, 0.95, 4.795_388_696_132_434, 18.390_356_042_017_78),
            (1.0, 0.99, 0.005_012_541_823_544_286, 7.430_129_500_280_121),
            (200.0, 0.99, 165.451_375_171_825_3, 239.394_178_451_139_87),
        ];
        for (n, c, lo, hi) in cases {
            let (l, u) = poisson_interval(n, c);
            assert!(close(l, lo, 1e-10), "{n} at {c}: lower {l}, want {lo}");
            assert!(close(u, hi, 1e-10), "{n} at {c}: upper {u}, want {hi}");
        }
        // None seen: the upper end is −ln(α/2), e.g. ln(40) at 95%.
        let (l, u) = poisson_interval(0.0, 0.95);
        assert_eq!(l, 0.0);
        assert!(close(u, 40f64.ln(), 1e-12), "{u}");
    }

    #[test]
    fn ks_statistic_of_three_points_against_the_uniform() {
        // Steps 1/3, 2/3, 1 at 0.1, 0.5, 0.9: the largest gaps are
        // 1/3 − 0.1 and 0.9 − 2/3, both 0.2333...
        let d = ks_statistic(&[0.1, 0.5, 0.9], |x| x);
        assert!(close(d, 1.0 / 3.0 - 0.1, 1e-14), "{d}");
        assert!(close(ks_critical(100, 0.05), 0.1358, 1e-3));
        assert!(close(ks_critical(100, 0.01), 0.1628, 1e-3));
    }

    #[test]
    fn node_rate_sums_the_classes_that_strike_a_node_or_its_job() {
        let day = 86_400e9;
        let repair = Repair {
            time: RepairTime::Fixed(SimDuration::from_secs(3600)),
            action: RepairAction::Reboot,
        };
        let class = |name: &str, target, mean_days: f64| FailureClass {
            nodes: None,
            notice: SimDuration::ZERO,
            name: name.into(),
            target,
            kind: ClassKind::Unexpected {
                lifetime: Lifetime::Exponential {
                    mean_ns: mean_days * day,
                },
                repair,
            },
            detection: SimDuration::ZERO,
        };
        let mut spec = ReliabilitySpec::default();
        assert_eq!(spec.job_mtbf_ns(16, 8, 8), None);
        spec.classes = vec![
            class("gpu", Target::Gpu, 800.0),
            class("node", Target::Node, 1000.0),
            class("nic", Target::Nic, 4000.0),
            class("software", Target::Job, 500.0),
            class("cable", Target::Link, 1.0),
            class("leaf", Target::LeafSwitch, 1.0),
            class("spine", Target::SpineSwitch, 1.0),
            FailureClass {
                nodes: None,
                notice: SimDuration::ZERO,
                name: "maintenance".into(),
                target: Target::Node,
                kind: ClassKind::Planned(Maintenance {
                    first: SimDuration::ZERO,
                    every: SimDuration::from_secs(86_400),
                    duration: SimDuration::from_secs(3600),
                    nodes_at_once: 1,
                }),
                detection: SimDuration::ZERO,
            },
        ];
        // Per node and day: 8/800 + 1/1000 + 2/4000 + 1/500
        // = 0.01 + 0.001 + 0.0005 + 0.002 = 0.0135.
        let rate = spec.node_failure_rate_per_ns(8, 2);
        assert!(close(rate * day, 0.0135, 1e-12), "{}", rate * day);
        // 100 nodes: MTBF = 1/1.35 day.
        let mtbf = spec.job_mtbf_ns(100, 8, 2).unwrap();
        assert!(close(mtbf, day / 1.35, 1e-12));
        assert_eq!(spec.job_mtbf_ns(0, 8, 2), None);
    }
}
