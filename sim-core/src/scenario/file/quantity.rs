//! Quantities in scenario files: durations, sizes, bandwidths and money,
//! always written as strings with a unit (`"36h"`, `"80GiB"`).
//!
//! The schema keeps what the user wrote, a [`Written`] quantity, and
//! `validate` parses it with the parsers of `units` ([`Quantity::parse`]),
//! so that a misspelt value is reported like any other problem: at the
//! value's path, with the parser's found/expected/fix, and together with
//! every other problem of the file. A bare number (`runtime: 3600`) is kept
//! as written too, so that the message can say that the unit is missing.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::engine::SimDuration;
use crate::units::{
    Bandwidth, Bytes, Power, Rate, UnitError, Usd, parse_bandwidth, parse_bytes, parse_duration,
    parse_power, parse_rate, parse_usd,
};

/// A quantity the schema reads as text.
pub trait Quantity: Sized {
    /// What it is, with an article: "a duration".
    const WHAT: &'static str;
    /// How to write one, quoted: `"90s", "36h" or "7d"`.
    const EXAMPLE: &'static str;
    /// The parser of `units` for it.
    fn parse(text: &str) -> Result<Self, UnitError>;
}

impl Quantity for SimDuration {
    const WHAT: &'static str = "a duration";
    const EXAMPLE: &'static str = "\"90s\", \"36h\" or \"7d\"";
    fn parse(text: &str) -> Result<Self, UnitError> {
        parse_duration(text)
    }
}

impl Quantity for Bytes {
    const WHAT: &'static str = "a size";
    const EXAMPLE: &'static str = "\"80GiB\"";
    fn parse(text: &str) -> Result<Self, UnitError> {
        parse_bytes(text)
    }
}

impl Quantity for Bandwidth {
    const WHAT: &'static str = "a bandwidth";
    const EXAMPLE: &'static str = "\"400Gbps\" or \"900GB/s\"";
    fn parse(text: &str) -> Result<Self, UnitError> {
        parse_bandwidth(text)
    }
}

impl Quantity for Usd {
    const WHAT: &'static str = "an amount of money";
    const EXAMPLE: &'static str = "\"$2.50\"";
    fn parse(text: &str) -> Result<Self, UnitError> {
        parse_usd(text)
    }
}

impl Quantity for Power {
    const WHAT: &'static str = "a power";
    const EXAMPLE: &'static str = "\"700W\", \"10.2kW\" or \"1MW\"";
    fn parse(text: &str) -> Result<Self, UnitError> {
        parse_power(text)
    }
}

impl Quantity for Rate {
    const WHAT: &'static str = "a rate";
    const EXAMPLE: &'static str = "\"1.67e-4/day\" or \"6.5/1000d\"";
    fn parse(text: &str) -> Result<Self, UnitError> {
        parse_rate(text)
    }
}

/// How a quantity was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// The text of a string: `"1h30m"` gives `1h30m`.
    Text(String),
    /// A number without quotes, as `ron` read it (`3600`, `-5`, `1.5`).
    BareNumber(String),
}

/// A `T` as the user wrote it, not yet parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written<T> {
    pub spelling: Spelling,
    quantity: PhantomData<fn() -> T>,
}

impl<T> Written<T> {
    fn new(spelling: Spelling) -> Self {
        Written {
            spelling,
            quantity: PhantomData,
        }
    }
}

impl Written<SimDuration> {
    /// Whether it is Slurm's `"UNLIMITED"` or `"INFINITE"`, which the
    /// fields named after slurm.conf's time limits accept as no limit.
    pub fn is_unlimited(&self) -> bool {
        matches!(&self.spelling, Spelling::Text(t) if crate::units::is_unlimited(t))
    }
}

/// Accepts a string or a bare number, and says what to write for anything
/// else.
struct WrittenVisitor<T>(PhantomData<fn() -> T>);

impl<T: Quantity> Visitor<'_> for WrittenVisitor<T> {
    type Value = Written<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string like {}", T::WHAT, T::EXAMPLE)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Written<T>, E> {
        Ok(Written::new(Spelling::Text(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Written<T>, E> {
        Ok(Written::new(Spelling::BareNumber(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Written<T>, E> {
        Ok(Written::new(Spelling::BareNumber(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Written<T>, E> {
        Ok(Written::new(Spelling::BareNumber(v.to_string())))
    }
}

impl<'de, T: Quantity> Deserialize<'de> for Written<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WrittenVisitor(PhantomData))
    }
}
