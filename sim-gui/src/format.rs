//! Human spellings of simulated times and durations for labels.

/// A duration in seconds, as the command line prints it:
/// `units::format_duration_approx` (`45s`, `12m03s`, `3h04m`, `2d03h`),
/// and `—` for a value that is not a duration.
pub fn duration_s(s: f64) -> String {
    if s.is_finite() && s >= 0.0 {
        sim_core::units::format_duration_approx(s)
    } else {
        "—".into()
    }
}

/// A duration in one unit with a decimal, for axis ticks: `40 s`,
/// `1.7 min`, `2.8 h`, `1.2 d`.
pub fn compact_s(s: f64) -> String {
    let (value, unit) = if s < 60.0 {
        (s, "s")
    } else if s < 3_600.0 {
        (s / 60.0, "min")
    } else if s < 86_400.0 {
        (s / 3_600.0, "h")
    } else {
        (s / 86_400.0, "d")
    };
    if value >= 10.0 || value.fract() < 0.05 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// A measured value with four significant digits (`1234`, `0.8123`,
/// `12.35`), whole numbers of five digits or more in full, and `—` for
/// a value that is not a number.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    format!("{x:.decimals$}")
}

/// `1 job`, `2 jobs`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A simulated instant as a clock, `2d 03:04:05` or `03:04:05`.
pub fn clock_ns(t_ns: u64) -> String {
    let (d, h, m, s) = days_hours_minutes_seconds(t_ns / 1_000_000_000);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

fn days_hours_minutes_seconds(total_s: u64) -> (u64, u64, u64, u64) {
    (
        total_s / 86_400,
        total_s / 3_600 % 24,
        total_s / 60 % 60,
        total_s % 60,
    )
}

/// A playback speed, `1x` to `1e6x`.
pub fn speed(x: f64) -> String {
    if x >= 10_000.0 {
        format!("{:.0e}x", x)
    } else {
        format!("{x:.0}x")
    }
}

/// ` · 8 down · 3 draining` for a run that has node failures or drains
/// (`shown`), nothing otherwise: what the headline counts add.
pub fn out_of_service(counts: &crate::timeline::Counts, shown: bool) -> String {
    if shown {
        format!(
            " · {} down · {} draining",
            counts.down_gpus, counts.draining_gpus
        )
    } else {
        String::new()
    }
}

/// `ended by a failure: gpu_hbm3 · requeued · 1.2 GPU-h lost`.
pub fn failure(f: &crate::timeline::Failure) -> String {
    format!(
        "ended by a failure: {} · {} · {:.1} GPU-h lost",
        f.cause,
        if f.requeued {
            "requeued"
        } else {
            "not requeued (NODE_FAIL)"
        },
        f.lost_gpu_s / 3600.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_on_the_command_line() {
        assert_eq!(duration_s(45.0), "45s");
        assert_eq!(duration_s(723.0), "12m03s");
        assert_eq!(duration_s(3.0 * 3600.0 + 240.0), "3h04m");
        assert_eq!(duration_s(-1.0), "—");
    }

    #[test]
    fn compact_durations_use_one_unit() {
        assert_eq!(compact_s(10.0), "10 s");
        assert_eq!(compact_s(100.0), "1.7 min");
        assert_eq!(compact_s(1000.0), "17 min");
        assert_eq!(compact_s(10_000.0), "2.8 h");
        assert_eq!(compact_s(172_800.0), "2 d");
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(1234.4), "1234");
        assert_eq!(number(123_456.7), "123457");
        assert_eq!(number(0.812_34), "0.8123");
        assert_eq!(number(12.345_6), "12.35");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-2.5), "-2.500");
        assert_eq!(number(f64::NAN), "—");
    }

    #[test]
    fn clocks_show_days_only_when_needed() {
        assert_eq!(clock_ns(3_723_000_000_000), "01:02:03");
        assert_eq!(clock_ns(90_000_000_000_000), "1d 01:00:00");
    }
}
