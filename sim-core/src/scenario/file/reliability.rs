//! The schema of failures, repairs and checkpoints: the `reliability` and
//! `storage` sections, and the `checkpoint` and `recovery` of a job,
//! training job or generator.
//!
//! As everywhere in `file/`, these mirror what users write and nothing
//! else; `validate/reliability.rs` and `validate/policy.rs` check them and
//! build `reliability`'s model types. Quantities stay as written
//! ([`Written`]) so that errors point at them.

use serde::Deserialize;

use super::Written;
use crate::engine::SimDuration;
use crate::units::{Bandwidth, Bytes, Rate};

/// `reliability: (...)`: what fails, how often, how it is repaired, and
/// the cluster's policies around failures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reliability {
    /// A cited preset's classes (`"llama3-h100"`, `"meta-rsc1"`,
    /// `"meta-rsc2"`); `classes` add to, replace or scale them.
    #[serde(default)]
    pub preset: Option<String>,
    /// Multiplies the failure rate of every unexpected class, the preset's
    /// and the scenario's. Default 1.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Failure classes. One named like a preset class replaces it; one
    /// with only `name` and `scale` scales it.
    #[serde(default)]
    pub classes: Vec<FailureClass>,
    /// Nodes that fail more often than others: `Lemons(fraction, factor)`
    /// or `Gamma(shape)`. None if omitted.
    #[serde(default)]
    pub frailty: Option<Frailty>,
    /// Drain a node for good after `failures` failures within `window`.
    #[serde(default)]
    pub drain: Option<Drain>,
    /// Slurm's `HealthCheckInterval`: node-level failures are noticed at
    /// the next check. Each class's own `detection` if omitted.
    #[serde(default)]
    pub health_check_interval: Option<Written<SimDuration>>,
    /// Hot spare nodes held for `Redundant` jobs. Default 0.
    #[serde(default)]
    pub spares: Option<u32>,
    /// Time a job spends restarting after a failure. Default none.
    #[serde(default)]
    pub restart: Option<Restart>,
    /// Slurm's `JobRequeue`: whether a job whose node fails is requeued
    /// unless it says otherwise. Default `true`, as Slurm's.
    #[serde(default)]
    pub requeue: Option<bool>,
    /// Slurm's `MaxBatchRequeue`. Default 5.
    #[serde(default)]
    pub max_requeues: Option<u32>,
}

/// One failure class: unexpected (`strikes`, `mtbf` or `rate`, ...) or
/// planned (`strikes: Node`, `maintenance`), or a preset class to scale
/// (`name` and `scale` only).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureClass {
    /// Letters, digits, `-` and `_`; names the class's random streams and
    /// its counts in the summary.
    pub name: String,
    /// What it strikes: `Gpu`, `Node`, `Nic`, `Link`, `LeafSwitch`,
    /// `SpineSwitch` or `Job`. Its rate is per component of that kind.
    #[serde(default)]
    pub strikes: Option<Target>,
    /// Mean time between failures of one component (`"16.4y"`)...
    #[serde(default)]
    pub mtbf: Option<Written<SimDuration>>,
    /// ...or its failure rate (`"1.67e-4/day"`): exactly one of the two.
    #[serde(default)]
    pub rate: Option<Written<Rate>>,
    /// `Exponential` (default) or `Weibull(shape: 0.7)`, of the mean above.
    #[serde(default)]
    pub distribution: Option<Distribution>,
    /// From the failure to when it is noticed. Default 0 s.
    #[serde(default)]
    pub detection: Option<Written<SimDuration>>,
    /// How the component is repaired; required unless it strikes `Job`.
    #[serde(default)]
    pub repair: Option<Repair>,
    /// A planned class's rolling drain, instead of a rate.
    #[serde(default)]
    pub maintenance: Option<Maintenance>,
    /// Multiplies this class's failure rate. Default 1.
    #[serde(default)]
    pub scale: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Target {
    Gpu,
    Node,
    Nic,
    Link,
    LeafSwitch,
    SpineSwitch,
    Job,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Distribution {
    Exponential,
    /// Shape below 1: infant mortality; above 1: wear-out.
    Weibull {
        shape: f64,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    /// `Fixed("4h")`, `Exponential(mean: "4h")` or
    /// `LogNormal(median: "4h", sigma: 1.0)`.
    pub time: RepairTime,
    /// `Reboot` (the node returns as it was) or `Replace` (the part is new).
    pub action: RepairAction,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RepairTime {
    Fixed(Written<SimDuration>),
    Exponential {
        mean: Written<SimDuration>,
    },
    /// ln(time) is normal with mean ln(median) and this sigma.
    LogNormal {
        median: Written<SimDuration>,
        sigma: f64,
    },
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum RepairAction {
    Reboot,
    Replace,
}

/// A rolling drain: from `first`, every `every`, the next `nodes_at_once`
/// nodes are drained and down for `duration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    pub first: Written<SimDuration>,
    pub every: Written<SimDuration>,
    pub duration: Written<SimDuration>,
    pub nodes_at_once: u32,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Frailty {
    /// A `fraction` of the nodes fail `factor` times as often.
    Lemons { fraction: f64, factor: f64 },
    /// Each node's rates times a gamma draw of mean 1 and this shape.
    Gamma { shape: f64 },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drain {
    pub failures: u32,
    pub window: Written<SimDuration>,
}

/// Restart overhead: `base` plus `per_node` for each node of the job.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    #[serde(default)]
    pub base: Option<Written<SimDuration>>,
    #[serde(default)]
    pub per_node: Option<Written<SimDuration>>,
}

/// `storage: (...)`: the shared file system checkpoints are written to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// What all writers share (`"1TB/s"`).
    pub aggregate: Written<Bandwidth>,
    /// Each node's client bandwidth (`"25GB/s"`).
    pub per_node: Written<Bandwidth>,
    /// Copy rate to host memory per node, for `Async` checkpoints'
    /// snapshot; required when a job checkpoints asynchronously.
    #[serde(default)]
    pub snapshot_per_node: Option<Written<Bandwidth>>,
}

/// A job's `checkpoint: (...)`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// `Every("1h")` of work, `Young` or `Daly`. Default `Daly`.
    #[serde(default)]
    pub interval: Option<Interval>,
    /// A fixed pause per checkpoint (`"5m"`)...
    #[serde(default)]
    pub cost: Option<Written<SimDuration>>,
    /// ...or the bytes written to `storage` (`"1TiB"`): one of the two; a
    /// training job's weights and optimizer state if both are omitted.
    #[serde(default)]
    pub bytes: Option<Written<Bytes>>,
    /// `Blocking` (default) or `Async`.
    #[serde(default)]
    pub mode: Option<CheckpointMode>,
}

#[derive(Debug, Clone, Deserialize)]
pub enum Interval {
    Every(Written<SimDuration>),
    Young,
    Daly,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum CheckpointMode {
    Blocking,
    Async,
}

/// What a job does when one of its nodes fails.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Recovery {
    CheckpointRestart,
    Redundant,
    Elastic { min_nodes: u32 },
}
