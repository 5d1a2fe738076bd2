//! The statistics of a study: a sample's mean, spread and Student's t
//! interval, and the difference of two points, paired (common random
//! numbers) or not (Welch).
//!
//! Invariants: an interval is the textbook one for independent, identically
//! distributed replications: mean ± t(0.975, n-1) · s/√n, with `s` the
//! sample standard deviation (n-1 in the denominator) and `t` from
//! `statrs`' Student's t distribution; with one value the spread and the
//! interval are `NaN` (there is no interval), never zero.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Confidence level of every interval of a study.
pub const CONFIDENCE: f64 = 0.95;

/// A sample, described.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Describe {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub half_width: f64,
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

/// `t(0.975, dof)`: the 95% two-sided quantile of Student's t.
pub fn t_quantile(dof: usize) -> f64 {
    if dof == 0 {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, dof as f64)
        .map(|t| t.inverse_cdf(0.5 + CONFIDENCE / 2.0))
        .unwrap_or(f64::NAN)
}

/// The mean, standard deviation, 95% interval, minimum, median and maximum
/// of `values`; `None` when there are none. Non-finite values are kept (a
/// NaN makes the result NaN rather than vanishing).
pub fn describe(values: &[f64]) -> Option<Describe> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let half_width = t_quantile(n - 1) * sd / (n as f64).sqrt();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Describe {
        n,
        mean,
        sd,
        ci95_low: mean - half_width,
        ci95_high: mean + half_width,
        half_width,
        min: sorted[0],
        median,
        max: sorted[n - 1],
    })
}

/// Point minus baseline, paired by replication: the interval of the mean
/// of the per-replication differences (pairs where either is missing are
/// left out).
pub fn paired(point: &[Option<f64>], baseline: &[Option<f64>]) -> Option<Describe> {
    let differences: Vec<f64> = (point.iter().zip(baseline))
        .filter_map(|(a, b)| Some((*a)? - (*b)?))
        .collect();
    describe(&differences)
}

/// The half-width of the 95% interval of a difference of means of two
/// independent samples (Welch, with Welch-Satterthwaite degrees of
/// freedom): what the difference would cost without common random
/// numbers. `NaN` with fewer than two values on either side.
pub fn welch_half_width(a: &[f64], b: &[f64]) -> f64 {
    let (Some(da), Some(db)) = (describe(a), describe(b)) else {
        return f64::NAN;
    };
    if da.n < 2 || db.n < 2 {
        return f64::NAN;
    }
    let (va, vb) = (da.sd.powi(2) / da.n as f64, db.sd.powi(2) / db.n as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return 0.0;
    }
    let dof = (va + vb).powi(2) / (va.powi(2) / (da.n - 1) as f64 + vb.powi(2) / (db.n - 1) as f64);
    let t = StudentsT::new(0.0, 1.0, dof)
        .map(|t| t.inverse_cdf(0.5 + CONFIDENCE / 2.0))
        .unwrap_or(f64::NAN);
    t * se
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_t_quantiles_are_the_table_values() {
        // Student's t table, two-sided 95%: 12.706 (1 dof), 2.262 (9), 2.045 (29).
        assert!((t_quantile(1) - 12.706).abs() < 1e-3);
        assert!((t_quantile(9) - 2.262).abs() < 1e-3);
        assert!((t_quantile(29) - 2.045).abs() < 1e-3);
        assert!(t_quantile(0).is_nan());
    }

    #[test]
    fn a_hand_computed_sample() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, s = sqrt(32/7).
        let d = describe(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(
            (d.n, d.mean, d.min, d.median, d.max),
            (8, 5.0, 2.0, 4.5, 9.0)
        );
        let s = (32.0f64 / 7.0).sqrt();
        assert!((d.sd - s).abs() < 1e-12);
        // t(0.975, 7) = 2.364624
        assert!((d.half_width - 2.364_624 * s / 8f64.sqrt()).abs() < 1e-5);
        assert!((d.ci95_low + d.ci95_high - 10.0).abs() < 1e-12);
    }

    #[test]
    fn one_value_has_no_interval() {
        let d = describe(&[3.0]).unwrap();
        assert_eq!((d.mean, d.median), (3.0, 3.0));
        assert!(d.sd.is_nan() && d.half_width.is_nan());
        assert!(describe(&[]).is_none());
    }

    #[test]
    fn pairing_removes_what_the_pairs_share() {
        // Each pair shares a large common term; the differences are 1 ± 0.1.
        let base = [10.0, 50.0, 90.0, 30.0, 70.0].map(Some);
        let point = [11.1, 50.9, 91.0, 31.0, 70.9].map(Some);
        let d = paired(&point, &base).unwrap();
        assert!((d.mean - 0.98).abs() < 1e-9);
        let flat = |s: &[Option<f64>]| s.iter().flatten().copied().collect::<Vec<_>>();
        let unpaired = welch_half_width(&flat(&point), &flat(&base));
        assert!(
            d.half_width * 50.0 < unpaired,
            "{} vs {unpaired}",
            d.half_width
        );
    }

    #[test]
    fn welch_equals_the_pooled_interval_for_equal_samples() {
        // Equal sizes and variances: dof = 2n - 2, se = sqrt(2 s^2 / n).
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [11.0, 12.0, 13.0, 14.0];
        let s2: f64 = 5.0 / 3.0;
        let expected = t_quantile(6) * (2.0 * s2 / 4.0).sqrt();
        assert!((welch_half_width(&a, &b) - expected).abs() < 1e-9);
    }
}
