//! Quantities with units, and the human spellings scenarios use for them.
//!
//! | type | stored as | accepted spellings |
//! | --- | --- | --- |
//! | [`SimDuration`] | integer ns | `"90s"`, `"36h"`, `"7d"`, `"1h30m"`, `"1.5h"`, `"250ms"`, `"16.4y"`; Slurm's `"4:00:00"`, `"7-0"`, `"7-00:00:00"` |
//! | [`Bytes`] | integer bytes | `"80GiB"`, `"141GB"`, `"512MiB"`, `"1.5TB"` |
//! | [`Bandwidth`] | integer bits/s | `"400Gbps"`, `"900GB/s"`, `"3.35TB/s"` |
//! | [`Usd`] | integer micro-dollars | `"$2.50"`, `"$0.0004"` |
//! | [`Power`] | integer milliwatts | `"700W"`, `"10.2kW"`, `"1MW"` |
//! | [`Rate`] | events per ns, `f64` | `"1.67e-4/day"`, `"6.5/1000d"`, `"2/y"` |
//!
//! A year (`y`) is 365 days (8,760 hours), the year of reliability
//! datasheets' MTBF figures, not the Julian 365.25; durations print in days
//! (`"16.4y"` prints as `"5986d"`), which parse back to the same value.
//!
//! Invariants:
//! - Parsing is exact: decimal fractions are parsed digit by digit, never
//!   through `f64`, and a value that is not a whole number of the base unit
//!   (e.g. `"1.5ns"`) is refused rather than rounded. Rates are the one
//!   exception: they are ratios, written in scientific notation, and
//!   stored as `f64`.
//! - `parse(x.to_string()) == x` for every value (tested by property tests),
//!   so outputs and `--set` round-trip.
//! - Quantities are never negative; `"-1h"` is an error that says so.
//!
//! Parse errors are [`UnitError`]s carrying what was found, what was expected
//! and how to fix it, as fields: the scenario loader reports them field by
//! field at file:line:column, the command line shows their `Display`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::engine::{NS_PER_SEC, SimDuration};

/// A unit-parsing failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitError {
    /// What kind of quantity was being parsed ("duration", "size", ...).
    pub quantity: &'static str,
    pub found: String,
    pub expected: String,
    pub fix: String,
}

impl fmt::Display for UnitError {
    /// A headline and three `key: value` lines, for command-line
    /// arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}\nfound: {}\nexpected: {}\nfix: {}",
            self.quantity, self.found, self.expected, self.fix
        )
    }
}

impl std::error::Error for UnitError {}

/// A number of bytes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

/// A data rate in bits per second.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth {
    bits_per_s: u64,
}

/// An amount of US dollars, in micro-dollars.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd {
    micros: u64,
}

/// Electrical power, in milliwatts.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Power {
    milliwatts: u64,
}

impl Power {
    pub const fn from_milliwatts(milliwatts: u64) -> Self {
        Power { milliwatts }
    }
    pub const fn watts(watts: u64) -> Self {
        Power {
            milliwatts: watts * 1_000,
        }
    }
    pub const fn as_milliwatts(self) -> u64 {
        self.milliwatts
    }
    pub fn as_watts_f64(self) -> f64 {
        self.milliwatts as f64 / 1e3
    }
}

impl Bytes {
    pub const fn mib(n: u64) -> Self {
        Bytes(n << 20)
    }
    pub const fn gib(n: u64) -> Self {
        Bytes(n << 30)
    }
    pub const fn tib(n: u64) -> Self {
        Bytes(n << 40)
    }
    /// Decimal gigabytes (10^9 bytes), as vendors quote HBM capacity.
    pub const fn gb(n: u64) -> Self {
        Bytes(n * 1_000_000_000)
    }
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    pub fn as_gib_f64(self) -> f64 {
        self.0 as f64 / (1u64 << 30) as f64
    }
}

impl Bandwidth {
    pub const fn from_bits_per_s(bits_per_s: u64) -> Self {
        Bandwidth { bits_per_s }
    }
    /// Gigabits per second (10^9 bit/s), as network links are quoted.
    pub const fn gbps(n: u64) -> Self {
        Bandwidth {
            bits_per_s: n * 1_000_000_000,
        }
    }
    /// Gigabytes per second (10^9 B/s), as memory and NVLink are quoted.
    pub const fn gbytes_per_s(n: u64) -> Self {
        Bandwidth {
            bits_per_s: n * 8_000_000_000,
        }
    }
    pub const fn bits_per_s(self) -> u64 {
        self.bits_per_s
    }
    pub fn bytes_per_s_f64(self) -> f64 {
        self.bits_per_s as f64 / 8.0
    }
    pub fn as_gbytes_per_s_f64(self) -> f64 {
        self.bits_per_s as f64 / 8e9
    }
}

impl Usd {
    pub const fn from_micros(micros: u64) -> Self {
        Usd { micros }
    }
    /// Whole cents, e.g. `Usd::cents(250)` is $2.50.
    pub const fn cents(cents: u64) -> Self {
        Usd {
            micros: cents * 10_000,
        }
    }
    pub const fn dollars(dollars: u64) -> Self {
        Usd {
            micros: dollars * 1_000_000,
        }
    }
    pub const fn as_micros(self) -> u64 {
        self.micros
    }
    pub fn as_f64(self) -> f64 {
        self.micros as f64 / 1e6
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// A non-negative decimal number as integer and fractional digit strings.
struct Decimal<'a> {
    int_digits: &'a str,
    frac_digits: &'a str,
}

impl Decimal<'_> {
    /// `self * scale`, exactly; `None` on overflow or if the product is not
    /// a whole number.
    fn times(&self, scale: u64) -> Option<u64> {
        let int: u64 = if self.int_digits.is_empty() {
            0
        } else {
            self.int_digits.parse().ok()?
        };
        let mut total = int.checked_mul(scale)?;
        if !self.frac_digits.is_empty() {
            let frac: u128 = self.frac_digits.parse().ok()?;
            let denom = 10u128.checked_pow(u32::try_from(self.frac_digits.len()).ok()?)?;
            let scaled = frac * u128::from(scale);
            if !scaled.is_multiple_of(denom) {
                return None;
            }
            total = total.checked_add(u64::try_from(scaled / denom).ok()?)?;
        }
        Some(total)
    }
}

/// Splits `"1.5GiB"` into the number and the rest.
fn split_number(s: &str) -> Option<(Decimal<'_>, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, rest) = s.split_at(end);
    let (int_digits, frac_digits) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    let has_digits = !int_digits.is_empty() || !frac_digits.is_empty();
    let valid = has_digits && !frac_digits.contains('.');
    valid.then_some((
        Decimal {
            int_digits,
            frac_digits,
        },
        rest.trim_start(),
    ))
}

fn unit_error(
    quantity: &'static str,
    input: &str,
    why: &str,
    expected: &str,
    fix: &str,
) -> UnitError {
    let found = if why.is_empty() {
        format!("\"{input}\"")
    } else {
        format!("\"{input}\" ({why})")
    };
    UnitError {
        quantity,
        found,
        expected: expected.to_string(),
        fix: fix.to_string(),
    }
}

const DURATION_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", NS_PER_SEC),
    ("min", 60 * NS_PER_SEC),
    ("m", 60 * NS_PER_SEC),
    ("h", 3_600 * NS_PER_SEC),
    ("d", 86_400 * NS_PER_SEC),
    ("w", 7 * 86_400 * NS_PER_SEC),
    ("y", YEAR_DAYS * 86_400 * NS_PER_SEC),
];
/// Days in the year unit `y`: 365, the 8,760-hour year MTBF datasheets
/// use (not the Julian 365.25).
pub const YEAR_DAYS: u64 = 365;
const DURATION_EXPECTED: &str = "a duration: a number and a unit (ns, us, ms, s, m, h, d, w, y), or several, like \"1h30m\", or Slurm's [days-]hours:minutes:seconds, like \"7-00:00:00\"";
const DURATION_FIX: &str = "write it like \"90s\", \"36h\", \"7d\" or \"1h30m\"";

/// Parses a duration such as `"90s"`, `"1.5h"` or `"1d12h"`, or one of
/// Slurm's clock forms with a colon or a dash (`"30:00"`, `"4:00:00"`,
/// `"7-0"`, `"7-00:00:00"`; see [`slurm_clock_secs`]). A bare number stays
/// an error: its unit would be a guess (Slurm reads minutes, a person
/// often means seconds).
pub fn parse_duration(input: &str) -> Result<SimDuration, UnitError> {
    let err = |why: &str| unit_error("duration", input, why, DURATION_EXPECTED, DURATION_FIX);
    let s = input.trim();
    if s.starts_with('-') {
        return Err(unit_error(
            "duration",
            input,
            "negative",
            "a duration of zero or more",
            "durations cannot be negative; use a positive value like \"1h\"",
        ));
    }
    if s.is_empty() {
        return Err(err("empty"));
    }
    if s.contains([':', '-']) {
        let secs = slurm_clock_secs(s).map_err(err)?;
        return secs
            .checked_mul(NS_PER_SEC)
            .map(SimDuration::from_ns)
            .ok_or_else(|| err("too large"));
    }
    let mut rest = s;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (number, after) = split_number(rest).ok_or_else(|| err("no number"))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after_unit) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(err("no unit"));
        }
        let &(_, scale) = DURATION_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .ok_or_else(|| err(&format!("unknown unit \"{unit}\"")))?;
        let ns = number
            .times(scale)
            .ok_or_else(|| err("too large, or finer than a nanosecond"))?;
        total = total.checked_add(ns).ok_or_else(|| err("too large"))?;
        rest = after_unit.trim_start();
    }
    Ok(SimDuration::from_ns(total))
}

/// Seconds of one of Slurm's clock forms, as `time_str2secs` in Slurm's
/// `src/common/parse_time.c` reads them: `MM:SS`, `HH:MM:SS`, `D-HH`,
/// `D-HH:MM`, `D-HH:MM:SS`, every field a run of decimal digits (fields
/// are not bounded: `90:00` is 90 minutes, as in Slurm). A bare number of
/// minutes and `UNLIMITED` are not clock forms: see [`parse_slurm_minutes`].
/// The error says what is wrong, for a [`UnitError`]'s `found`.
pub fn slurm_clock_secs(s: &str) -> Result<u64, &'static str> {
    let field = |f: &str| -> Result<u64, &'static str> {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a field of a [days-]hours:minutes:seconds time is not a number");
        }
        f.parse().map_err(|_| "too large")
    };
    let (days, clock) = match s.split_once('-') {
        Some((d, rest)) => (field(d)?, rest),
        None => (0, s),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, sec] = match (s.contains('-'), parts.as_slice()) {
        (true, [h]) => [*h, "0", "0"],
        (true, [h, m]) => [*h, *m, "0"],
        (_, [h, m, sec]) => [*h, *m, *sec],
        (false, [m, sec]) => ["0", *m, *sec],
        _ => return Err("not one of Slurm's forms MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS"),
    };
    let total = [
        (days, 86_400),
        (field(h)?, 3_600),
        (field(m)?, 60),
        (field(sec)?, 1),
    ]
    .iter()
    .try_fold(0u64, |acc, &(n, scale)| {
        n.checked_mul(scale).and_then(|x| acc.checked_add(x))
    });
    total.ok_or("too large")
}

/// Whether `text` is Slurm's word for no limit: `UNLIMITED`, `INFINITE`
/// (any case), as `time_str2secs` accepts them.
pub fn is_unlimited(text: &str) -> bool {
    let t = text.trim();
    t.eq_ignore_ascii_case("UNLIMITED") || t.eq_ignore_ascii_case("INFINITE")
}

/// A time as slurm.conf writes one (`MaxTime`, `DefaultTime`,
/// `PriorityMaxAge`, ...), read as slurmctld's `time_str2mins` does: a
/// bare number is minutes; the clock forms of [`slurm_clock_secs`] are
/// rounded up to whole minutes (`0:30` is one minute); `UNLIMITED`,
/// `INFINITE` and `-1` are no limit (`None`).
pub fn parse_slurm_minutes(input: &str) -> Result<Option<SimDuration>, UnitError> {
    let err = |why: &str| {
        unit_error(
            "Slurm time",
            input,
            why,
            "minutes, or [days-]hours:minutes:seconds (MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS), or UNLIMITED",
            "write it like \"60\" (minutes), \"4:00:00\" or \"7-00:00:00\", as slurm.conf(5) does",
        )
    };
    let s = input.trim();
    if is_unlimited(s) || s == "-1" {
        return Ok(None);
    }
    let secs = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u64>()
            .ok()
            .and_then(|m| m.checked_mul(60))
            .ok_or_else(|| err("too large"))?
    } else if s.contains([':', '-']) && !s.starts_with('-') {
        slurm_clock_secs(s).map_err(err)?.div_ceil(60) * 60
    } else {
        return Err(err(if s.is_empty() {
            "empty"
        } else {
            "not a Slurm time"
        }));
    };
    secs.checked_mul(NS_PER_SEC)
        .map(|ns| Some(SimDuration::from_ns(ns)))
        .ok_or_else(|| err("too large"))
}

/// A rate of events per unit of time (failures per component), stored as
/// events per nanosecond. Unlike the other quantities it is an `f64`:
/// rates are ratios quoted in scientific notation (`"1.67e-4/day"`).
#[derive(Copy, Clone, Debug, PartialEq, PartialOrd)]
pub struct Rate {
    per_ns: f64,
}

impl Rate {
    /// Events per nanosecond, positive and finite.
    pub fn per_ns(self) -> f64 {
        self.per_ns
    }

    /// The mean time between events, in nanoseconds.
    pub fn mean_ns(self) -> f64 {
        1.0 / self.per_ns
    }
}

/// Unit words a rate may be "per", besides the duration units.
const RATE_WORDS: &[(&str, &str)] = &[
    ("second", "s"),
    ("sec", "s"),
    ("minute", "m"),
    ("hour", "h"),
    ("day", "d"),
    ("week", "w"),
    ("year", "y"),
];

/// Parses a rate: a number, `/`, and a duration unit or a duration:
/// `"1.67e-4/day"`, `"0.5/h"`, `"6.5/1000d"` (6.5 per 1,000 days). The
/// units are those of [`parse_duration`] (`s`, `m`, `h`, `d`, `w`, `y`)
/// and the words `second`, `minute`, `hour`, `day`, `week`, `year`. The
/// rate must be finite and above zero.
pub fn parse_rate(input: &str) -> Result<Rate, UnitError> {
    const EXPECTED: &str = "a rate: a number, `/` and a unit of time (s, m, h, d or day, w or week, y or year) or a duration, like \"1.67e-4/day\" or \"6.5/1000d\"";
    const FIX: &str = "write it like \"1.67e-4/day\" (events per component per day)";
    let err = |why: &str| unit_error("rate", input, why, EXPECTED, FIX);
    let s = input.trim();
    let Some((number, per)) = s.split_once('/') else {
        return Err(err(if s.is_empty() { "empty" } else { "no `/unit`" }));
    };
    let count: f64 = number
        .trim()
        .parse()
        .map_err(|_| err("not a number before `/`"))?;
    if count.is_nan() || count.is_infinite() {
        return Err(err("not a finite number"));
    }
    if count < 0.0 {
        return Err(unit_error(
            "rate",
            input,
            "negative",
            "a rate above zero",
            "rates cannot be negative; write how often it happens, like \"1.67e-4/day\"",
        ));
    }
    if count == 0.0 {
        return Err(unit_error(
            "rate",
            input,
            "zero",
            "a rate above zero",
            "a class that never fails is no class: remove it, or give a positive rate",
        ));
    }
    let per = per.trim();
    let unit = (RATE_WORDS.iter())
        .find(|(word, _)| *word == per)
        .map_or(per, |&(_, unit)| unit);
    let starts_with_digit = unit.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    let duration = if starts_with_digit {
        parse_duration(unit)
    } else {
        parse_duration(&format!("1{unit}"))
    }
    .map_err(|_| err(&format!("unknown unit of time \"{per}\"")))?;
    if duration.is_zero() {
        return Err(err("per zero time"));
    }
    let per_ns = count / duration.as_ns() as f64;
    if !(per_ns.is_finite() && per_ns > 0.0) {
        return Err(err("out of range"));
    }
    Ok(Rate { per_ns })
}

/// Formats a duration as the shortest exact compound form: `"1d12h"`,
/// `"1m30s"`, `"250ms"`, `"0s"`.
pub fn format_duration(d: SimDuration) -> String {
    let mut ns = d.as_ns();
    if ns == 0 {
        return "0s".to_string();
    }
    const PARTS: &[(&str, u64)] = &[
        ("d", 86_400 * NS_PER_SEC),
        ("h", 3_600 * NS_PER_SEC),
        ("m", 60 * NS_PER_SEC),
        ("s", NS_PER_SEC),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    let mut out = String::new();
    for &(unit, scale) in PARTS {
        if ns >= scale {
            out.push_str(&format!("{}{unit}", ns / scale));
            ns %= scale;
        }
    }
    out
}

/// A duration in seconds for people to read, not for files: rounded to its
/// two largest units, the second always shown and zero-padded, so that no
/// unit is ever silently skipped (`1h00m`, never `1h12s` for 1 h 0 min
/// 12 s): `"45s"`, `"0.25s"`, `"12m03s"`, `"1h00m"`, `"2d03h"`. Below a
/// minute, seconds with at most two decimals; a positive value that would
/// round to zero is `"<0.01s"`, so `"0s"` means exactly zero. Negative or
/// non-finite values are `"-"`. [`format_duration`] is the exact spelling
/// that parses back.
pub fn format_duration_approx(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".into();
    }
    if seconds == 0.0 {
        return "0s".into();
    }
    let hundredths = (seconds * 100.0).round();
    if hundredths < 1.0 {
        return "<0.01s".into();
    }
    if hundredths < 6_000.0 {
        let text = format!("{:.2}", hundredths / 100.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        return format!("{text}s");
    }
    // (unit, the next smaller unit, its name, the smaller one's name)
    const PAIRS: [(f64, f64, &str, &str); 3] = [
        (86_400.0, 3_600.0, "d", "h"),
        (3_600.0, 60.0, "h", "m"),
        (60.0, 1.0, "m", "s"),
    ];
    for (big, small, big_name, small_name) in PAIRS {
        // Round to the smaller unit first, so that 59m59.7s reads 1h00m.
        let rounded = (seconds / small).round() * small;
        if rounded >= big {
            let big_count = (rounded / big).floor();
            let small_count = ((rounded - big_count * big) / small).round();
            return format!("{big_count}{big_name}{small_count:02}{small_name}");
        }
    }
    unreachable!("60 s and more always has a pair of units")
}

/// Parses a count written with an optional SI-style suffix, as token
/// budgets are quoted: `"20B"`, `"1.5T"`, `"300M"`, `"4K"`, `"2.5e12"`
/// (`K` 10^3, `M` 10^6, `B` or `G` 10^9, `T` 10^12). The count must be
/// finite and above zero.
pub fn parse_count(input: &str) -> Result<f64, UnitError> {
    let err = |why: &str| {
        unit_error(
            "count",
            input,
            why,
            "a count above zero, like \"20B\", \"1.5T\", \"300M\" or \"2.5e12\"",
            "write the number with K (10^3), M (10^6), B (10^9) or T (10^12)",
        )
    };
    let t = input.trim();
    let (digits, scale) = match t.chars().last() {
        None => return Err(err("empty")),
        Some('T' | 't') => (&t[..t.len() - 1], 1e12),
        Some('B' | 'b' | 'G' | 'g') => (&t[..t.len() - 1], 1e9),
        Some('M' | 'm') => (&t[..t.len() - 1], 1e6),
        Some('K' | 'k') => (&t[..t.len() - 1], 1e3),
        Some(_) => (t, 1.0),
    };
    let value: f64 = digits.trim().parse().map_err(|_| err("not a number"))?;
    let count = value * scale;
    if !count.is_finite() {
        return Err(err("not a finite number"));
    }
    if count <= 0.0 {
        return Err(err("not above zero"));
    }
    Ok(count)
}

/// Parses a byte count as nccl-tests reads its `-b`/`-e`/`-i` options: a
/// whole number with an optional `K`, `M`, `G` or `T` suffix, powers of
/// 1024 (`"8"`, `"128K"`, `"16G"`). Scenario files spell sizes with their
/// unit instead ([`parse_bytes`]: `"16GiB"`, `"16GB"`).
pub fn parse_nccl_bytes(input: &str) -> Result<Bytes, UnitError> {
    let err = |why: &str| {
        unit_error(
            "size",
            input,
            why,
            "a whole number of bytes with an optional K, M, G or T (powers of 1024), like 8, 128K or 16G",
            "write it as nccl-tests does: -b 8 -e 16G",
        )
    };
    let t = input.trim();
    let (digits, shift) = match t.char_indices().last() {
        None => return Err(err("empty")),
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(err(&format!("unknown suffix \"{c}\""))),
            };
            (&t[..i], shift)
        }
        Some(_) => (t, 0),
    };
    let n: u64 = digits.parse().map_err(|_| err("not a whole number"))?;
    n.checked_mul(1u64 << shift)
        .map(Bytes)
        .ok_or_else(|| err("too large"))
}

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("kB", 1_000),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("PB", 1_000_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("PiB", 1 << 50),
];

fn parse_scaled(
    input: &str,
    quantity: &'static str,
    units: &[(&str, u64)],
    expected: &str,
    fix: &str,
) -> Result<u64, UnitError> {
    let err = |why: &str| unit_error(quantity, input, why, expected, fix);
    let s = input.trim();
    if s.starts_with('-') {
        return Err(unit_error(
            quantity,
            input,
            "negative",
            &format!("a {quantity} of zero or more"),
            fix,
        ));
    }
    let (number, unit) = split_number(s).ok_or_else(|| err("no number"))?;
    if unit.is_empty() {
        return Err(err("no unit"));
    }
    let &(_, scale) = units
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(|| err(&format!("unknown unit \"{unit}\"")))?;
    number
        .times(scale)
        .ok_or_else(|| err("too large, or not a whole number of the base unit"))
}

/// Parses a size such as `"80GiB"` (binary) or `"141GB"` (decimal).
pub fn parse_bytes(input: &str) -> Result<Bytes, UnitError> {
    parse_scaled(
        input,
        "size",
        SIZE_UNITS,
        "a size: a number and a unit (B, KB, MB, GB, TB, PB decimal; KiB, MiB, GiB, TiB, PiB binary)",
        "write it like \"80GiB\" or \"141GB\"",
    )
    .map(Bytes)
}

/// Writes `value / scale` as an exact decimal without trailing zeros.
fn exact_decimal(value: u64, scale: u64) -> String {
    let int = value / scale;
    let frac = value % scale;
    if frac == 0 {
        return int.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{int}.{}", digits.trim_end_matches('0'))
}

impl fmt::Display for Bytes {
    /// The largest binary unit that divides exactly, else the largest
    /// decimal unit not above the value: `"80GiB"`, `"141GB"`, `"1.5GB"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b == 0 {
            return f.write_str("0B");
        }
        for (unit, scale) in [
            ("PiB", 1u64 << 50),
            ("TiB", 1 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ] {
            if b.is_multiple_of(scale) {
                return write!(f, "{}{unit}", b / scale);
            }
        }
        for (unit, scale) in [
            ("PB", 1_000_000_000_000_000u64),
            ("TB", 1_000_000_000_000),
            ("GB", 1_000_000_000),
            ("MB", 1_000_000),
            ("KB", 1_000),
        ] {
            if b >= scale {
                return write!(f, "{}{unit}", exact_decimal(b, scale));
            }
        }
        write!(f, "{b}B")
    }
}

const BANDWIDTH_UNITS: &[(&str, u64)] = &[
    ("bps", 1),
    ("Kbps", 1_000),
    ("Mbps", 1_000_000),
    ("Gbps", 1_000_000_000),
    ("Tbps", 1_000_000_000_000),
    ("B/s", 8),
    ("KB/s", 8_000),
    ("MB/s", 8_000_000),
    ("GB/s", 8_000_000_000),
    ("TB/s", 8_000_000_000_000),
];

/// Parses a data rate: bits (`"400Gbps"`) or bytes (`"900GB/s"`) per second.
pub fn parse_bandwidth(input: &str) -> Result<Bandwidth, UnitError> {
    parse_scaled(
        input,
        "bandwidth",
        BANDWIDTH_UNITS,
        "a bandwidth: a number and a unit (bps, Kbps, Mbps, Gbps, Tbps for bits; B/s, KB/s, MB/s, GB/s, TB/s for bytes)",
        "write it like \"400Gbps\" or \"900GB/s\"",
    )
    .map(Bandwidth::from_bits_per_s)
}

impl fmt::Display for Bandwidth {
    /// In bits per second with the largest decimal prefix not above the
    /// value, exact: `"400Gbps"`, `"7.2Tbps"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.bits_per_s;
        for (unit, scale) in [
            ("Tbps", 1_000_000_000_000u64),
            ("Gbps", 1_000_000_000),
            ("Mbps", 1_000_000),
            ("Kbps", 1_000),
        ] {
            if b >= scale {
                return write!(f, "{}{unit}", exact_decimal(b, scale));
            }
        }
        write!(f, "{b}bps")
    }
}

const POWER_UNITS: &[(&str, u64)] = &[
    ("mW", 1),
    ("W", 1_000),
    ("kW", 1_000_000),
    ("MW", 1_000_000_000),
];

/// Parses electrical power: `"700W"`, `"10.2kW"`, `"1MW"`.
pub fn parse_power(input: &str) -> Result<Power, UnitError> {
    parse_scaled(
        input,
        "power",
        POWER_UNITS,
        "a power: a number and a unit (W, kW, MW)",
        "write it like \"700W\", \"10.2kW\" or \"1MW\"",
    )
    .map(Power::from_milliwatts)
}

impl fmt::Display for Power {
    /// With the largest unit not above the value, exact: `"700W"`,
    /// `"10.2kW"`, `"1MW"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mw = self.milliwatts;
        for &(unit, scale) in POWER_UNITS.iter().rev() {
            if mw >= scale {
                return write!(f, "{}{unit}", exact_decimal(mw, scale));
            }
        }
        write!(f, "{mw}mW")
    }
}

impl FromStr for Power {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_power(s)
    }
}

/// Parses money in US dollars: `"$2.50"`. At most six decimals.
pub fn parse_usd(input: &str) -> Result<Usd, UnitError> {
    const EXPECTED: &str = "an amount of US dollars starting with $, like \"$2.50\"";
    const FIX: &str = "write it like \"$2.50\" (at most 6 decimals)";
    let s = input.trim();
    if s.starts_with('-') || s.starts_with("$-") {
        return Err(unit_error(
            "amount",
            input,
            "negative",
            "an amount of zero or more",
            "prices cannot be negative",
        ));
    }
    let Some(number) = s.strip_prefix('$') else {
        return Err(unit_error("amount", input, "no leading $", EXPECTED, FIX));
    };
    match split_number(number.trim()) {
        Some((decimal, "")) => decimal
            .times(1_000_000)
            .map(Usd::from_micros)
            .ok_or_else(|| {
                unit_error(
                    "amount",
                    input,
                    "too large or more than 6 decimals",
                    EXPECTED,
                    FIX,
                )
            }),
        _ => Err(unit_error("amount", input, "not a number", EXPECTED, FIX)),
    }
}

impl fmt::Display for Usd {
    /// `"$2.50"`, `"$0.0004"`: at least two decimals, no trailing zeros after.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.micros / 1_000_000;
        let frac = format!("{:06}", self.micros % 1_000_000);
        let trimmed = frac.trim_end_matches('0');
        let shown = if trimmed.len() < 2 {
            &frac[..2]
        } else {
            trimmed
        };
        write!(f, "${int}.{shown}")
    }
}

// ---------------------------------------------------------------------------
// FromStr, and Serialize as the canonical spelling.

impl FromStr for Bytes {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_bytes(s)
    }
}

impl FromStr for Bandwidth {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_bandwidth(s)
    }
}

impl FromStr for Usd {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_usd(s)
    }
}

macro_rules! serialize_as_text {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

serialize_as_text!(Bytes, Bandwidth, Usd, Power);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: u64 = 3_600 * NS_PER_SEC;

    #[test]
    fn approximate_durations_never_skip_a_unit() {
        let cases = [
            (0.0, "0s"),
            (0.001, "<0.01s"),
            (0.25, "0.25s"),
            (44.5, "44.5s"),
            (59.0, "59s"),
            (59.999, "1m00s"),
            (723.0, "12m03s"),
            (3_612.0, "1h00m"),
            (3_599.7, "1h00m"),
            (41_820.0, "11h37m"),
            (2.0 * 86_400.0 + 3.0 * 3_600.0, "2d03h"),
            (86_400.0 * 400.0, "400d00h"),
            (-1.0, "-"),
            (f64::NAN, "-"),
        ];
        for (seconds, text) in cases {
            assert_eq!(format_duration_approx(seconds), text, "{seconds} s");
        }
    }

    #[test]
    fn counts_and_nccl_sizes_parse_with_their_suffixes() {
        assert_eq!(parse_count("15T").unwrap(), 15e12);
        assert_eq!(parse_count("300B").unwrap(), 300e9);
        assert_eq!(parse_count("20b").unwrap(), 20e9);
        assert_eq!(parse_count("1.5M").unwrap(), 1.5e6);
        assert_eq!(parse_count("2.5e12").unwrap(), 2.5e12);
        for bad in ["", "lots", "-3T", "0", "infT", "NaN"] {
            assert!(parse_count(bad).is_err(), "{bad:?}");
        }
        assert!(
            parse_count("1e400")
                .unwrap_err()
                .found
                .contains("not a finite number")
        );
        assert!(
            parse_count("inf")
                .unwrap_err()
                .found
                .contains("not a finite number")
        );
        assert!(
            parse_count("-3T")
                .unwrap_err()
                .found
                .contains("not above zero")
        );
        assert_eq!(parse_nccl_bytes("8").unwrap(), Bytes(8));
        assert_eq!(parse_nccl_bytes("128K").unwrap(), Bytes(128 << 10));
        assert_eq!(parse_nccl_bytes("16G").unwrap(), Bytes(16 << 30));
        assert_eq!(parse_nccl_bytes("1m").unwrap(), Bytes(1 << 20));
        assert!(
            parse_nccl_bytes("16X")
                .unwrap_err()
                .found
                .contains("suffix")
        );
        for bad in ["", "-8", "1.5K", "99999999999T"] {
            assert!(parse_nccl_bytes(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_parse_to_exact_nanoseconds() {
        let cases = [
            ("90s", 90 * NS_PER_SEC),
            ("36h", 36 * H),
            ("7d", 7 * 24 * H),
            ("1h30m", 90 * 60 * NS_PER_SEC),
            ("1.5h", 90 * 60 * NS_PER_SEC),
            ("250ms", 250_000_000),
            ("2w", 14 * 24 * H),
            ("10min", 600 * NS_PER_SEC),
            ("1 h 30 m", 90 * 60 * NS_PER_SEC),
            ("0s", 0),
            (".5s", 500_000_000),
            ("1ns", 1),
        ];
        for (text, ns) in cases {
            assert_eq!(parse_duration(text).unwrap().as_ns(), ns, "{text}");
        }
    }

    /// Slurm's forms, as `time_str2secs` (Slurm, `src/common/parse_time.c`)
    /// documents them: "min, min:sec, hr:min:sec, days-hr:min:sec,
    /// days-hr"; slurm.conf(5) writes MaxTime as "minutes, minutes:seconds,
    /// hours:minutes:seconds, days-hours, days-hours:minutes,
    /// days-hours:minutes:seconds or UNLIMITED".
    #[test]
    fn slurm_time_forms_parse_as_slurm_reads_them() {
        let secs = |t: &str| parse_duration(t).unwrap().as_ns() / NS_PER_SEC;
        assert_eq!(secs("30:15"), 30 * 60 + 15, "MM:SS");
        assert_eq!(secs("4:00:00"), 4 * 3600, "HH:MM:SS");
        assert_eq!(secs("04:00:00"), 4 * 3600);
        assert_eq!(secs("7-0"), 7 * 86_400, "D-HH");
        assert_eq!(secs("7-00:00:00"), 7 * 86_400);
        assert_eq!(secs("1-12"), 36 * 3600);
        assert_eq!(secs("1-2:30"), 86_400 + 2 * 3600 + 30 * 60, "D-HH:MM");
        assert_eq!(secs("90:00"), 90 * 60, "fields are not bounded");
        for bad in ["7-", "1:2:3:4", "1-2:3:4:5", "a:00", "1:-2", ":30", "1-2-3"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        // A bare number stays ambiguous in a scenario...
        assert!(parse_duration("30").unwrap_err().found.contains("no unit"));
        // ...but slurm.conf reads it as minutes, rounds seconds up to
        // minutes (`time_str2mins`: `(i + 59) / 60`) and knows no limit.
        let mins = |t: &str| {
            parse_slurm_minutes(t)
                .unwrap()
                .map(|d| d.as_ns() / NS_PER_SEC)
        };
        assert_eq!(mins("30"), Some(1800));
        assert_eq!(mins("0:30"), Some(60));
        assert_eq!(mins("7-00:00:00"), Some(7 * 86_400));
        assert_eq!(mins("UNLIMITED"), None);
        assert_eq!(mins("infinite"), None);
        assert_eq!(mins("-1"), None);
        for bad in ["", "1h", "-5", "1:2:3:4", "4:0x:00"] {
            let e = parse_slurm_minutes(bad).unwrap_err();
            assert!(e.expected.contains("UNLIMITED"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        for (text, why) in [
            ("90", "no unit"),
            ("90x", "unknown unit \"x\""),
            ("-1h", "negative"),
            ("1.5ns", "finer than a nanosecond"),
            ("", "empty"),
            ("h", "no number"),
            ("1..5h", "no number"),
            ("99999999999d", "too large"),
        ] {
            let e = parse_duration(text).unwrap_err();
            assert!(e.found.contains(why), "{text}: {e}");
            assert!(!e.fix.is_empty());
        }
    }

    #[test]
    fn a_year_is_365_days_and_prints_back_in_days() {
        let day = 86_400 * NS_PER_SEC;
        assert_eq!(parse_duration("1y").unwrap().as_ns(), 365 * day);
        // 16.4 × 365 d = 5,986 d exactly.
        let mtbf = parse_duration("16.4y").unwrap();
        assert_eq!(mtbf.as_ns(), 5_986 * day);
        assert_eq!(format_duration(mtbf), "5986d");
        assert_eq!(parse_duration(&format_duration(mtbf)).unwrap(), mtbf);
        assert_eq!(parse_duration("1y12h").unwrap().as_ns(), 365 * day + 12 * H);
    }

    #[test]
    fn rates_are_per_nanosecond() {
        let day = 86_400.0 * 1e9;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        for (text, per_ns) in [
            ("1.67e-4/day", 1.67e-4 / day),
            ("1.67e-4/d", 1.67e-4 / day),
            ("6.5/1000d", 6.5 / (1000.0 * day)),
            ("2/y", 2.0 / (365.0 * day)),
            ("2/year", 2.0 / (365.0 * day)),
            ("0.5/h", 0.5 / 3.6e12),
            ("3/week", 3.0 / (7.0 * day)),
            ("1/90s", 1.0 / 90e9),
            (" 1 / minute ", 1.0 / 60e9),
        ] {
            let rate = parse_rate(text).unwrap();
            assert!(close(rate.per_ns(), per_ns), "{text}: {rate:?}");
            assert!(close(rate.mean_ns(), 1.0 / per_ns), "{text}");
        }
        for (text, why) in [
            ("", "empty"),
            ("1.67e-4", "no `/unit`"),
            ("x/day", "not a number"),
            ("-1/day", "negative"),
            ("0/day", "zero"),
            ("0.0e5/h", "zero"),
            ("inf/day", "not a finite number"),
            ("NaN/day", "not a finite number"),
            ("1/fortnight", "unknown unit of time \"fortnight\""),
            ("1/0d", "per zero time"),
            ("1e-320/y", "out of range"),
        ] {
            let e = parse_rate(text).unwrap_err();
            assert!(e.found.contains(why), "{text}: {e}");
            assert_eq!(e.quantity, "rate");
            assert!(!e.fix.is_empty());
        }
    }

    #[test]
    fn sizes_bandwidths_and_money() {
        assert_eq!(parse_bytes("80GiB").unwrap(), Bytes::gib(80));
        assert_eq!(parse_bytes("141GB").unwrap(), Bytes::gb(141));
        assert_eq!(parse_bytes("1.5KiB").unwrap(), Bytes(1536));
        assert_eq!(parse_bandwidth("400Gbps").unwrap(), Bandwidth::gbps(400));
        assert_eq!(
            parse_bandwidth("900GB/s").unwrap(),
            Bandwidth::gbytes_per_s(900)
        );
        assert_eq!(
            parse_bandwidth("3.35TB/s").unwrap().bits_per_s(),
            26_800_000_000_000
        );
        assert_eq!(parse_usd("$2.50").unwrap(), Usd::cents(250));
        assert_eq!(parse_usd("$0.000001").unwrap(), Usd::from_micros(1));
        assert!(parse_usd("2.50").is_err());
        assert!(parse_usd("$0.0000001").is_err());
        assert!(parse_bytes("-1GB").unwrap_err().found.contains("negative"));
        assert!(parse_bytes("0.5B").is_err());
    }

    #[test]
    fn canonical_spellings() {
        assert_eq!(format_duration(SimDuration::from_secs(36 * 3600)), "1d12h");
        assert_eq!(format_duration(SimDuration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(SimDuration::ZERO), "0s");
        assert_eq!(Bytes::gib(80).to_string(), "80GiB");
        assert_eq!(Bytes::gb(141).to_string(), "141GB");
        assert_eq!(Bandwidth::gbps(400).to_string(), "400Gbps");
        assert_eq!(Bandwidth::gbytes_per_s(900).to_string(), "7.2Tbps");
        assert_eq!(Usd::cents(250).to_string(), "$2.50");
        assert_eq!(Usd::from_micros(400).to_string(), "$0.0004");
        assert_eq!(Usd::dollars(3).to_string(), "$3.00");
        assert_eq!(Power::watts(700).to_string(), "700W");
        assert_eq!(Power::watts(10_200).to_string(), "10.2kW");
        assert_eq!(Power::watts(1_000_000).to_string(), "1MW");
        assert_eq!(parse_power("10.2kW").unwrap(), Power::watts(10_200));
        assert_eq!(parse_power("0.5W").unwrap(), Power::from_milliwatts(500));
        assert!(parse_power("700").unwrap_err().found.contains("no unit"));
        assert!(parse_power("-1W").unwrap_err().found.contains("negative"));
    }

    proptest! {
        #[test]
        fn duration_round_trip(ns in any::<u64>()) {
            let d = SimDuration::from_ns(ns);
            prop_assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }

        #[test]
        fn bytes_round_trip(b in any::<u64>()) {
            prop_assert_eq!(parse_bytes(&Bytes(b).to_string()).unwrap(), Bytes(b));
        }

        #[test]
        fn bandwidth_round_trip(b in any::<u64>()) {
            let bw = Bandwidth::from_bits_per_s(b);
            prop_assert_eq!(parse_bandwidth(&bw.to_string()).unwrap(), bw);
        }

        #[test]
        fn usd_round_trip(m in any::<u64>()) {
            let usd = Usd::from_micros(m);
            prop_assert_eq!(parse_usd(&usd.to_string()).unwrap(), usd);
        }

        #[test]
        fn power_round_trip(m in any::<u64>()) {
            let p = Power::from_milliwatts(m);
            prop_assert_eq!(parse_power(&p.to_string()).unwrap(), p);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in ".{0,24}") {
            let _ = parse_duration(&s);
            let _ = parse_bytes(&s);
            let _ = parse_bandwidth(&s);
            let _ = parse_usd(&s);
            let _ = parse_rate(&s);
            let _ = parse_power(&s);
        }
    }
}
