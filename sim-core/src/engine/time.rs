//! Simulated time: integer nanoseconds, never floating point.
//!
//! [`SimTime`] is an instant (nanoseconds since the start of the simulation)
//! and [`SimDuration`] a span between instants. Both are `u64`, which covers
//! about 584 years, far beyond any scenario. Arithmetic that could overflow
//! saturates instead of wrapping, so an absurd sampled duration pushes an event
//! to the end of time rather than into the past.
//!
//! Floating point appears only at the edges: converting a sampled `f64` number
//! of seconds into a duration (rounded to the nearest nanosecond) and reporting
//! seconds in outputs.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds in one second.
pub const NS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the simulation began.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_ns(ns: u64) -> Self {
        SimTime(ns)
    }

    pub const fn as_ns(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_SEC as f64
    }

    /// Time elapsed since `earlier`; zero if `earlier` is actually later.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_ns(ns: u64) -> Self {
        SimDuration(ns)
    }

    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs.saturating_mul(NS_PER_SEC))
    }

    /// Converts a sampled number of seconds, rounding to the nearest
    /// nanosecond. Negative and NaN inputs give zero; values beyond the
    /// representable range saturate at [`SimDuration::MAX`].
    pub fn from_secs_f64(secs: f64) -> Self {
        let ns = (secs * NS_PER_SEC as f64).round();
        // `as` saturates for out-of-range floats and maps NaN to 0.
        SimDuration(ns as u64)
    }

    pub const fn as_ns(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_SEC as f64
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }

    /// `self * factor`, rounded up to the next nanosecond and saturating.
    /// Used for time limits given as a multiple of the true run time.
    pub fn mul_f64_ceil(self, factor: f64) -> SimDuration {
        let ns = (self.0 as f64 * factor).ceil();
        SimDuration(ns as u64)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Saturating difference: callers only subtract an earlier instant.
    fn sub(self, rhs: SimTime) -> SimDuration {
        debug_assert!(rhs <= self, "time went backwards: {rhs:?} > {self:?}");
        self.saturating_since(rhs)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        self.saturating_add(rhs)
    }
}

impl fmt::Display for SimTime {
    /// Seconds since start, exact to the nanosecond (`"3600"`, `"0.5"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_exact_seconds(f, self.0)
    }
}

/// Writes `ns` nanoseconds as decimal seconds with no rounding and no
/// trailing zeros: `1_500_000_000` -> `1.5`. Output files use this so that
/// times survive a round trip through text.
pub fn write_exact_seconds(out: &mut impl fmt::Write, ns: u64) -> fmt::Result {
    let secs = ns / NS_PER_SEC;
    let frac = ns % NS_PER_SEC;
    if frac == 0 {
        return write!(out, "{secs}");
    }
    let mut digits = format!("{frac:09}");
    while digits.ends_with('0') {
        digits.pop();
    }
    write!(out, "{secs}.{digits}")
}

/// [`write_exact_seconds`] into a new string.
pub fn exact_seconds(ns: u64) -> String {
    let mut s = String::new();
    write_exact_seconds(&mut s, ns).expect("writing to a String cannot fail");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_seconds_has_no_trailing_zeros() {
        assert_eq!(exact_seconds(0), "0");
        assert_eq!(exact_seconds(1_500_000_000), "1.5");
        assert_eq!(exact_seconds(1), "0.000000001");
        assert_eq!(exact_seconds(3_600 * NS_PER_SEC), "3600");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(
            SimDuration::from_secs_f64(1.0000000004),
            SimDuration::from_ns(NS_PER_SEC)
        );
    }

    #[test]
    fn time_limit_factor_rounds_up() {
        let run = SimDuration::from_ns(3);
        assert_eq!(run.mul_f64_ceil(1.5), SimDuration::from_ns(5));
        assert_eq!(run.mul_f64_ceil(1.0), run);
    }
}
