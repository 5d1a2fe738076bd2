//! Studies: batch Monte Carlo replications and parameter sweeps of a
//! scenario, with confidence intervals, on every core or sharded over a
//! cluster engine's job array.
//!
//! A study file (`file.rs`, read by `plan.rs`) names a base scenario, the
//! fields to vary (each a `--set` path with values or a range), how points
//! are formed from them (a grid or a zip), how many replications each
//! point gets (a fixed number, or until a metric's 95% interval is narrow
//! enough), the metrics to collect (paths into the summary JSON) and the
//! seed scheme. [`run`] runs every (point, replication) on a rayon pool,
//! or one shard's slice of them; `output.rs` turns the finished
//! replications into the results (CSV tables with Student's t intervals,
//! paired differences against a baseline, SVG plots); `shard.rs` merges
//! shards into exactly those results.
//!
//! Invariants:
//! - a result depends only on the study file, the files it names and the
//!   replications' seeds: never on the thread count, the order in which
//!   replications finish, or the sharding. Rows are sorted by (point,
//!   replication) before anything is computed from them, and every
//!   decision of the stopping rule is taken on whole batches in
//!   replication order;
//! - replication `r` of a point runs with the seed [`Seeds::seed`] gives:
//!   under common random numbers the same for every point, so points are
//!   compared on the same arrivals, sizes and failures (named RNG streams
//!   keep each subsystem's draws independent of the others');
//! - memory is bounded by the rows (a few numbers per replication) and one
//!   run per worker thread: no run's jobs, time series or trace outlive it;
//! - a replication once finished is never redone: each is appended to a
//!   journal as it finishes, and a study interrupted (Ctrl-C) resumes from
//!   it.

mod figures;
mod file;
pub mod launch;
pub mod metric;
mod output;
mod plan;
pub mod plot;
mod results;
mod run;
mod shard;
pub mod stats;

pub use figures::{Line, PLOTS_DIR, file_name as plot_file_name, lines};
pub use output::RESULT_FILES;
pub use output::write_results;
pub(crate) use output::{Table, number, write_csv};
pub use plan::{LoadedStudy, MAX_POINTS, MAX_TASKS, load, load_sharing};
pub use results::ResultPoint;
pub use results::{ReadError, StudyResults, read_results};
pub use run::{Finished, Progress, RunOptions, Shard, StudyError, run, run_dir};
pub use shard::{MergeError, Merged, SHARD_DIR, merge, shard_path, write_shard};

use crate::engine::fnv1a_64;

/// A validated study.
#[derive(Clone, Debug)]
pub struct Study {
    pub name: String,
    pub description: String,
    /// The study file, as given.
    pub study_file: String,
    /// The base scenario, as found from the study file's directory.
    pub scenario_file: String,
    pub parameters: Vec<Parameter>,
    pub points: Vec<Point>,
    pub rule: Rule,
    /// Paths into the summary JSON, in the order of the outputs' columns.
    pub metrics: Vec<String>,
    pub seeds: Seeds,
    /// What differences are taken against.
    pub baseline: Baseline,
    /// A hash of the study file, the base scenario's text and this
    /// program's version: shards and journals of another study (or of an
    /// edited one) are refused by it.
    pub fingerprint: u64,
}

/// What each point's differences are taken against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// This point, for every other.
    Point(usize),
    /// For each point, the point with `parameters[parameter]` at its
    /// `value`-th value and every other parameter as the point has it (a
    /// grid has exactly one).
    Value { parameter: usize, value: usize },
}

impl Study {
    /// The point `point` is compared with; `None` for a baseline itself.
    pub fn baseline_of(&self, point: usize) -> Option<usize> {
        let here = self.points.get(point)?;
        let base = match self.baseline {
            Baseline::Point(b) => b,
            Baseline::Value { parameter, value } => {
                let wanted = &self.parameters[parameter].values[value];
                (self.points.iter())
                    .find(|q| {
                        (q.values.iter().zip(&here.values).enumerate())
                            .all(|(i, (a, b))| if i == parameter { a == wanted } else { a == b })
                    })?
                    .index
            }
        };
        (base != point).then_some(base)
    }

    /// The baseline as `study.json` and the tables name it: `point N` or
    /// `PATH=VALUE`.
    pub fn baseline_label(&self) -> String {
        match self.baseline {
            Baseline::Point(b) => format!("point {b}"),
            Baseline::Value { parameter, value } => {
                let p = &self.parameters[parameter];
                format!("{}={}", p.path, p.values[value])
            }
        }
    }
}

/// One varied field.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// A `--set` path, canonical (`cluster.node_groups[0].count`).
    pub path: String,
    /// Its values, as `--set` values.
    pub values: Vec<String>,
    /// Whether every value is a number (plots place them to scale).
    pub numeric: bool,
}

/// One combination of parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub index: usize,
    /// One value per parameter, in the study's parameter order.
    pub values: Vec<String>,
}

impl Point {
    /// The point's overrides, `path=value`, in parameter order.
    pub fn sets(&self, parameters: &[Parameter]) -> Vec<String> {
        (parameters.iter().zip(&self.values))
            .map(|(p, v)| format!("{}={v}", p.path))
            .collect()
    }
}

/// How many replications a point gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    Fixed(u64),
    /// Replicate in batches until the 95% interval's half-width of
    /// `metrics[metric]` is at most `relative_half_width` times the
    /// absolute value of its mean, or `max` replications have run.
    Until {
        metric: usize,
        relative_half_width: f64,
        min: u64,
        max: u64,
        batch: u64,
    },
}

impl Rule {
    /// The most replications a point can get.
    pub fn max_replications(&self) -> u64 {
        match *self {
            Rule::Fixed(n) => n,
            Rule::Until { max, .. } => max,
        }
    }

    /// How many of `samples` (replication order; `None`: the metric was
    /// null) the rule keeps: the first `n` at which it stops. `None` while
    /// it would ask for more than `samples` holds.
    pub fn replications_needed(&self, samples: &[Option<f64>]) -> Option<u64> {
        match *self {
            Rule::Fixed(n) => (samples.len() as u64 >= n).then_some(n),
            Rule::Until {
                relative_half_width,
                min,
                max,
                batch,
                ..
            } => {
                let mut n = min;
                loop {
                    if n as usize > samples.len() {
                        return None;
                    }
                    if n >= max || narrow_enough(&samples[..n as usize], relative_half_width) {
                        return Some(n);
                    }
                    n = (n + batch).min(max);
                }
            }
        }
    }
}

/// Whether the 95% interval of the mean of `samples` is within
/// `relative` of it (nulls left out; two values at least).
fn narrow_enough(samples: &[Option<f64>], relative: f64) -> bool {
    let values: Vec<f64> = samples.iter().flatten().copied().collect();
    stats::describe(&values).is_some_and(|d| d.n >= 2 && d.half_width <= relative * d.mean.abs())
}

/// The seed scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    pub scheme: SeedScheme,
    pub base: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedScheme {
    /// Replication `r` of every point runs with seed `base + r`: common
    /// random numbers, so differences between points are paired.
    Common,
    /// Each (point, replication) gets its own seed, a hash of the base,
    /// the point and the replication.
    Independent,
}

impl Seeds {
    pub fn seed(&self, point: usize, replication: u64) -> u64 {
        match self.scheme {
            SeedScheme::Common => self.base.wrapping_add(replication),
            SeedScheme::Independent => {
                let mut bytes = [0u8; 24];
                bytes[..8].copy_from_slice(&self.base.to_le_bytes());
                bytes[8..16].copy_from_slice(&(point as u64).to_le_bytes());
                bytes[16..].copy_from_slice(&replication.to_le_bytes());
                fnv1a_64(&bytes)
            }
        }
    }
}

/// One finished replication: its metrics in the study's order (`None`
/// where the summary has `null`).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub point: usize,
    pub replication: u64,
    pub seed: u64,
    pub metrics: Vec<Option<f64>>,
}
