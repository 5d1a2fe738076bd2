//! Quantities in scenario files: durations, sizes, bandwidths and money,
//! always written as strings with a unit (`"36h"`, `"80GiB"`).
//!
//! `units` parses the spellings; this module is the serde side of the
//! schema, which explains what to write when it finds a bare number.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::engine::SimDuration;
use crate::units::{
    Bandwidth, Bytes, UnitError, Usd, format_duration, parse_bandwidth, parse_bytes,
    parse_duration, parse_usd,
};

/// A serde visitor for a quantity written as a string, which explains what
/// to write when it finds a bare number instead.
struct QuantityVisitor<T> {
    parse: fn(&str) -> Result<T, UnitError>,
    what: &'static str,
    example: &'static str,
}

impl<T> QuantityVisitor<T> {
    fn bare_number<E: de::Error>(&self, shown: String) -> E {
        E::custom(format!(
            "{} needs a unit\nfound: the bare number {shown}\nexpected: {} as a quoted string with a unit\nfix: write it like {}",
            self.what, self.what, self.example
        ))
    }
}

impl<T> Visitor<'_> for QuantityVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string like {}", self.what, self.example)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Err(self.bare_number(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Err(self.bare_number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(self.bare_number(v.to_string()))
    }
}

macro_rules! string_quantity_serde {
    ($ty:ty, $parse:expr, $what:literal, $example:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(QuantityVisitor {
                    parse: $parse,
                    what: $what,
                    example: $example,
                })
            }
        }
    };
}

string_quantity_serde!(Bytes, parse_bytes, "a size", "\"80GiB\"");
string_quantity_serde!(
    Bandwidth,
    parse_bandwidth,
    "a bandwidth",
    "\"400Gbps\" or \"900GB/s\""
);
string_quantity_serde!(Usd, parse_usd, "an amount of money", "\"$2.50\"");
string_quantity_serde!(
    HumanDuration,
    |s| parse_duration(s).map(HumanDuration),
    "a duration",
    "\"90s\", \"36h\" or \"7d\""
);

/// A [`SimDuration`] as written in scenario files (`"36h"`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub SimDuration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}
