//! nccl-tests' size sweeps: `-b 8 -e 16G -f 2` and the rows they print.
//!
//! Sizes use nccl-tests' suffixes (`K`, `M`, `G`, `T` are powers of 1024,
//! as its `parsesize` reads them; `units::parse_nccl_bytes`). Rows carry nccl-tests' columns: size,
//! element count (of 4-byte floats, per rank as nccl-tests counts them),
//! time, algbw = size / time and busbw = algbw × the op's bus factor.

use serde::Serialize;

use super::{Algorithm, CollectiveOp, Estimate, Protocol};

/// Bytes of one element: nccl-tests' default type is `float`.
pub const ELEMENT_BYTES: u64 = 4;

/// The sizes of a sweep from `min` to `max` bytes: multiplied by `factor`
/// when it is above 1, else stepped by `step` bytes (nccl-tests' `-f` and
/// `-i`).
pub fn sizes(min: u64, max: u64, factor: u64, step: u64) -> Result<Vec<u64>, String> {
    if min == 0 {
        return Err("the smallest size (-b) must be at least 1 byte".into());
    }
    if max < min {
        return Err(format!(
            "the largest size (-e {max}) is below the smallest (-b {min}); swap them"
        ));
    }
    if factor <= 1 && step == 0 {
        return Err("give a factor above 1 (-f 2) or a step in bytes (-i 1M)".into());
    }
    let mut out = Vec::new();
    let mut size = min;
    while size <= max {
        out.push(size);
        let next = if factor > 1 {
            size.checked_mul(factor)
        } else {
            size.checked_add(step)
        };
        match next {
            Some(n) => size = n,
            None => break,
        }
        if out.len() > 10_000 {
            return Err("the sweep has more than 10,000 sizes; raise -f or -i".into());
        }
    }
    Ok(out)
}

/// One line of an nccl-tests table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub size_bytes: u64,
    pub count: u64,
    pub time_us: f64,
    pub algbw_gbytes_per_s: f64,
    pub busbw_gbytes_per_s: f64,
    pub algorithm: Algorithm,
    pub protocol: Protocol,
}

impl Row {
    pub fn new(op: CollectiveOp, ranks: u32, size_bytes: u64, estimate: Estimate) -> Row {
        let algbw = estimate.algorithm_bandwidth(size_bytes as f64);
        let elements = size_bytes / ELEMENT_BYTES;
        let count = match op {
            // nccl-tests counts the per-rank slice for these.
            CollectiveOp::AllGather | CollectiveOp::ReduceScatter | CollectiveOp::AllToAll => {
                elements / u64::from(ranks.max(1))
            }
            _ => elements,
        };
        Row {
            size_bytes,
            count,
            time_us: estimate.time_s * 1e6,
            algbw_gbytes_per_s: algbw / 1e9,
            busbw_gbytes_per_s: algbw * op.bus_factor(ranks) / 1e9,
            algorithm: estimate.algorithm,
            protocol: estimate.protocol,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_multiply_or_step() {
        assert_eq!(sizes(8, 64, 2, 0).unwrap(), vec![8, 16, 32, 64]);
        assert_eq!(sizes(8, 30, 1, 10).unwrap(), vec![8, 18, 28]);
        assert!(sizes(64, 8, 2, 0).is_err());
        assert!(sizes(0, 8, 2, 0).is_err());
        assert!(sizes(8, 64, 1, 0).is_err());
    }

    #[test]
    fn busbw_uses_nccl_tests_factors() {
        let e = Estimate {
            time_s: 1e-3,
            algorithm: Algorithm::Ring,
            protocol: Protocol::Simple,
        };
        let row = Row::new(CollectiveOp::AllReduce, 8, 1_000_000_000, e);
        assert!((row.algbw_gbytes_per_s - 1000.0).abs() < 1e-9);
        assert!((row.busbw_gbytes_per_s - 1750.0).abs() < 1e-9);
        let row = Row::new(CollectiveOp::AllGather, 8, 1_000_000_000, e);
        assert!((row.busbw_gbytes_per_s - 875.0).abs() < 1e-9);
        let row = Row::new(CollectiveOp::Broadcast, 8, 1_000_000_000, e);
        assert!((row.busbw_gbytes_per_s - 1000.0).abs() < 1e-9);
    }
}
