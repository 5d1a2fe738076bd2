//! A component's [`Lifetime`] in the terms scenarios speak: a Weibull of a
//! given mean (its MTBF). The mean, the scaled hazard and the draws are in
//! `sample.rs`.
//!
//! Invariant: for shape 1 a Weibull is the exponential of the same mean,
//! and scaling an exponential's rate by `c` divides its mean by `c`.

use super::Lifetime;

impl Lifetime {
    /// The Weibull of shape `shape` whose mean is `mean_ns`: its scale is
    /// `mean / Γ(1 + 1/shape)`.
    pub fn weibull_with_mean(shape: f64, mean_ns: f64) -> Lifetime {
        Lifetime::Weibull {
            shape,
            scale_ns: mean_ns / libm::tgamma(1.0 + 1.0 / shape),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn a_weibull_keeps_the_mean_it_was_given() {
        let mean = 3.6e12;
        // Shape 1 is the exponential: scale = mean.
        let Lifetime::Weibull { scale_ns, .. } = Lifetime::weibull_with_mean(1.0, mean) else {
            unreachable!()
        };
        assert!(close(scale_ns, mean, 1e-13));
        // Shape 2 (Rayleigh): mean = scale · √π / 2.
        let Lifetime::Weibull { scale_ns, .. } = Lifetime::weibull_with_mean(2.0, mean) else {
            unreachable!()
        };
        assert!(close(
            scale_ns,
            mean * 2.0 / std::f64::consts::PI.sqrt(),
            1e-13
        ));
        for shape in [0.1, 0.7, 1.0, 3.0, 20.0] {
            let w = Lifetime::weibull_with_mean(shape, mean);
            assert!(close(w.mean_ns(), mean, 1e-12), "shape {shape}");
        }
    }

    #[test]
    fn scaling_the_rate_multiplies_the_hazard() {
        let e = Lifetime::Exponential { mean_ns: 100.0 }.scaled(4.0);
        assert_eq!(e, Lifetime::Exponential { mean_ns: 25.0 });
        // Weibull: S(t)^c = exp(−c (t/λ)^k) = exp(−(t / (λ c^(−1/k)))^k).
        let w = Lifetime::Weibull {
            shape: 2.0,
            scale_ns: 100.0,
        }
        .scaled(4.0);
        assert_eq!(
            w,
            Lifetime::Weibull {
                shape: 2.0,
                scale_ns: 50.0
            }
        );
    }
}
