//! Failures, repairs and checkpoints: what can break, how often, how long it
//! takes to fix, and how jobs protect their work.
//!
//! This module holds the reliability model as plain data, built by
//! `scenario` from a file (or a cited preset, `presets.rs`) and read by
//! `simulation`, which draws the failures and carries out their effects
//! (nodes DOWN, jobs NODE_FAIL or requeued, checkpoints written to shared
//! storage). It also holds the closed forms the simulation is checked
//! against: Young's and Daly's checkpoint intervals and Daly's expected
//! wall time, the k-of-N survival of a job, Poisson intervals.
//!
//! Invariants:
//! - every rate is per component of the class's [`Target`] (a GPU, a
//!   node, a NIC, a cable, a switch, or a running job's node for software
//!   causes), positive and finite; a [`Lifetime`]'s mean is positive;
//! - each (class, component) pair draws from its own random stream, keyed
//!   by the class name, so adding a class leaves every other draw as it
//!   was;
//! - nothing here knows the scheduler or the engine's event queue.

mod closed_form;
mod lifetime;
pub mod presets;
mod sample;
#[cfg(test)]
mod sample_statistics;
mod storage;

pub use closed_form::{
    daly_interval, daly_wall_time, k_of_n_survival, ks_critical, ks_statistic, poisson_interval,
    young_interval,
};
pub use presets::{PRESETS, preset};
pub use sample::{ClassStream, FRAILTY_STREAM, uniform};
pub use storage::{SharedStorage, uncontended_write_time};

use crate::engine::SimDuration;
use crate::units::{Bandwidth, Bytes};

/// What a failure class strikes. A class's rate is per component of this
/// kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// One GPU; its node goes DOWN (the GPU cannot be used alone).
    Gpu,
    /// A whole node (host, memory, power, a node-level maintenance).
    Node,
    /// One network adapter of a node; the node goes DOWN.
    Nic,
    /// One cable of the fabric (both directions); routing avoids it until
    /// it is repaired.
    Link,
    /// A leaf switch: every node under it is cut off.
    LeafSwitch,
    /// A spine (any switch above the leaves): routing avoids it.
    SpineSwitch,
    /// The running job itself (software, NCCL watchdog, a dependency):
    /// the rate is per node the job holds, and no node goes DOWN.
    Job,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Gpu,
        Target::Node,
        Target::Nic,
        Target::Link,
        Target::LeafSwitch,
        Target::SpineSwitch,
        Target::Job,
    ];

    /// A part of the network (a cable or a switch), not of a node.
    pub fn is_network(self) -> bool {
        matches!(
            self,
            Target::Link | Target::LeafSwitch | Target::SpineSwitch
        )
    }

    /// The name scenarios use (`Gpu`, `LeafSwitch`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Gpu => "Gpu",
            Target::Node => "Node",
            Target::Nic => "Nic",
            Target::Link => "Link",
            Target::LeafSwitch => "LeafSwitch",
            Target::SpineSwitch => "SpineSwitch",
            Target::Job => "Job",
        }
    }
}

/// Time to failure of one component, from when it is new (or repaired).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lifetime {
    /// A constant rate; `mean_ns` is the MTBF of one component.
    Exponential { mean_ns: f64 },
    /// P(T > t) = exp(-(t / scale)^shape): shape < 1 is infant mortality,
    /// shape > 1 wear-out, shape 1 the exponential.
    Weibull { shape: f64, scale_ns: f64 },
}

/// How long a repair takes, from detection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RepairTime {
    Fixed(SimDuration),
    Exponential {
        mean: SimDuration,
    },
    /// ln(T) is normal with median `median` and standard deviation
    /// `sigma` (repair times are heavy-tailed in published fleets).
    Lognormal {
        median: SimDuration,
        sigma: f64,
    },
}

/// What a repair does to the failed component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepairAction {
    /// The node is drained, fixed (reboot, reseat, reset) and returns; the
    /// component keeps its age ("as bad as old").
    Reboot,
    /// The failed part is replaced by a new one: its age restarts at zero
    /// ("as good as new") and a lemon's frailty is drawn afresh.
    Replace,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Repair {
    pub time: RepairTime,
    pub action: RepairAction,
}

/// Planned maintenance: a rolling drain. Every `every` (first at `first`),
/// the next `nodes_at_once` nodes in node order are set DRAINING; each is
/// DOWN for `duration` once its jobs have left, then returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Maintenance {
    pub first: SimDuration,
    pub every: SimDuration,
    pub duration: SimDuration,
    pub nodes_at_once: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClassKind {
    /// Unexpected failures drawn from the class's [`Lifetime`].
    Unexpected { lifetime: Lifetime, repair: Repair },
    /// Planned maintenance; never counted as an unexpected interruption.
    Planned(Maintenance),
}

/// One failure class of the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureClass {
    /// Unique; names the class's random streams and its counts in the
    /// summary.
    pub name: String,
    pub target: Target,
    pub kind: ClassKind,
    /// From the failure to the moment it is noticed (the NCCL watchdog
    /// timeout, a health check); jobs on the component make no progress
    /// in between. With `ReliabilitySpec::health_check_interval` set,
    /// node-level failures are noticed at the first health check after
    /// this delay.
    pub detection: SimDuration,
    /// The nodes a node-level class strikes: all (`None`), or one node
    /// group's (a spot group's interruptions).
    pub nodes: Option<NodeRange>,
    /// Warning before the failure strikes (a spot interruption's notice):
    /// jobs on the node run on and write a checkpoint, then the node is
    /// lost. Zero: no warning.
    pub notice: SimDuration,
}

/// Consecutive nodes: a node group's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeRange {
    pub first: u32,
    pub count: u32,
}

/// Per-node heterogeneity: some nodes fail more than others.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Frailty {
    /// Every node fails at the class rates.
    #[default]
    None,
    /// A `fraction` of the nodes (drawn per node) fail `factor` times as
    /// often, in every node-level class (GPU, node, NIC).
    Lemons { fraction: f64, factor: f64 },
    /// Each node's rates are multiplied by a draw from a gamma
    /// distribution of mean 1 and the given shape (variance 1/shape).
    Gamma { shape: f64 },
}

/// Slurm-style automatic draining: a node with `failures` failures within
/// `window` is drained for good (DRAINED, never resumed), as a site's
/// health-check script would.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrainRule {
    pub failures: u32,
    pub window: SimDuration,
}

/// Time a job spends after (re)starting before it does useful work:
/// scheduling, initialisation, loading its checkpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestartOverhead {
    pub base: SimDuration,
    pub per_node: SimDuration,
}

/// Slurm's `MaxBatchRequeue` default: a job is requeued at most five
/// times, then it ends NODE_FAIL (`src/slurmctld/job_mgr.c`,
/// `MAX_BATCH_REQUEUE`).
pub const DEFAULT_MAX_REQUEUES: u32 = 5;

/// Most failure classes a scenario may have, its preset's included: each
/// draws from its own streams per component, and the summary lists each.
pub const MAX_CLASSES: usize = 1_000;

/// The reliability section of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct ReliabilitySpec {
    pub classes: Vec<FailureClass>,
    pub frailty: Frailty,
    pub drain_rule: Option<DrainRule>,
    /// Slurm's `HealthCheckInterval`: node-level failures are noticed at
    /// the next multiple of it. `None`: after the class's detection delay.
    pub health_check_interval: Option<SimDuration>,
    /// Hot spare nodes held idle for jobs recovering with
    /// [`Recovery::Redundant`].
    pub spares: u32,
    /// Overhead paid at every restart after a failure.
    pub restart: RestartOverhead,
    /// Slurm's `JobRequeue`: whether a job whose node fails is requeued
    /// unless it says otherwise (Slurm's default: yes).
    pub requeue: bool,
    /// Slurm's `MaxBatchRequeue`.
    pub max_requeues: u32,
}

impl Default for ReliabilitySpec {
    fn default() -> Self {
        ReliabilitySpec {
            classes: Vec::new(),
            frailty: Frailty::None,
            drain_rule: None,
            health_check_interval: None,
            spares: 0,
            restart: RestartOverhead::default(),
            requeue: true,
            max_requeues: DEFAULT_MAX_REQUEUES,
        }
    }
}

/// A shared file system that checkpoints are written to (Lustre, GPFS,
/// VAST, ...): concurrent writers share `aggregate`, each job writes at
/// most `per_node` times the nodes it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageSpec {
    pub aggregate: Bandwidth,
    pub per_node: Bandwidth,
    /// Copy rate to host memory per node, for asynchronous checkpoints'
    /// blocking snapshot.
    pub snapshot_per_node: Bandwidth,
}

/// How often a job checkpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CheckpointInterval {
    /// After every so much work.
    Every(SimDuration),
    /// Young's sqrt(2 δ M) for the job's expected MTBF M on its nodes.
    Young,
    /// Daly's higher-order optimum for the same.
    Daly,
}

/// What one checkpoint costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointCost {
    /// A fixed pause, whatever else writes.
    Fixed(SimDuration),
    /// Bytes written to the shared storage, whose bandwidth concurrent
    /// checkpoints share.
    Bytes(Bytes),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointMode {
    /// The job stops while the checkpoint is written.
    Blocking,
    /// Two-phase (CheckFreq, Gemini): a blocking snapshot to host memory,
    /// then a background write; a checkpoint counts once it is written,
    /// and the next one waits for it.
    Async,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckpointSpec {
    pub interval: CheckpointInterval,
    pub cost: CheckpointCost,
    pub mode: CheckpointMode,
}

/// What a job does when one of its nodes fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Requeued (if requeue is on) and waits for nodes like any job;
    /// restarts from its last checkpoint.
    CheckpointRestart,
    /// A hot spare takes the failed node's place and the job restarts
    /// from its checkpoint at once; without a spare, as
    /// `CheckpointRestart`.
    Redundant,
    /// Elastic: continues on the nodes it still has at a reduced
    /// data-parallel degree while it holds at least `min_nodes`, and grows
    /// back when nodes return; below `min_nodes`, as `CheckpointRestart`.
    Elastic { min_nodes: u32 },
}

/// A job's reliability settings ([`crate::workload::WorkloadSpec::policies`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JobPolicy {
    pub checkpoint: Option<CheckpointSpec>,
    pub recovery: Recovery,
    /// Slurm's `--requeue` / `--no-requeue`; the cluster default if `None`.
    pub requeue: Option<bool>,
}

impl Default for JobPolicy {
    fn default() -> Self {
        JobPolicy {
            checkpoint: None,
            recovery: Recovery::CheckpointRestart,
            requeue: None,
        }
    }
}
