//! The summary's `reliability` block: what failed, what it cost, and how
//! much of the training jobs' time was productive.
//!
//! Invariants: the lost GPU-hours' parts sum to their total; rates per
//! 1,000 node-days are over the run's node-days (nodes × simulated days);
//! classes are listed in scenario order, each once, failed or not.

use serde::Serialize;

/// Failures of one class.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClassFailures {
    pub class: String,
    /// What it strikes (`Gpu`, `Node`, ..., `Job`).
    pub strikes: &'static str,
    /// Failures that happened (whether or not a job was hit).
    pub failures: u64,
    pub per_1000_node_days: f64,
    /// Failures that interrupted a running job.
    pub interruptions: u64,
}

/// GPU-hours lost to failures and to protecting against them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LostGpuHours {
    /// Work done since the last checkpoint and lost at a failure.
    pub rework: f64,
    /// Restarting: initialisation and loading the checkpoint.
    pub restart: f64,
    /// Stopped writing checkpoints.
    pub checkpoint: f64,
    /// Between an interruption and the restart (requeue delay and
    /// waiting for nodes), counted on the GPUs the job asked for.
    pub requeue_wait: f64,
    pub total: f64,
}

/// One training job's reliability figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct JobReliability {
    pub job: u64,
    pub name: String,
    pub interruptions: u32,
    pub checkpoints: u64,
    /// The interval it checkpointed at (Young's or Daly's when asked).
    pub checkpoint_interval_s: Option<f64>,
    /// Effective training time ratio: productive training time over wall
    /// time since its first start.
    pub ettr: Option<f64>,
    /// Training tokens per second of wall time since its first start
    /// (ETTR times the throughput while it runs).
    pub goodput_tokens_per_s: Option<f64>,
}

/// The `reliability` block of the summary, present when the scenario has
/// failure classes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReliabilitySummary {
    /// Every class, in scenario order.
    pub classes: Vec<ClassFailures>,
    /// Unexpected failures of all classes (planned maintenance apart).
    pub failures: u64,
    pub failures_per_1000_node_days: f64,
    /// Job interruptions by failures, all classes.
    pub interruptions: u64,
    /// Interruptions per job that started.
    pub interruptions_per_job: f64,
    /// Jobs that ended NODE_FAIL.
    pub node_fail_jobs: u64,
    /// Requeues caused by failures.
    pub requeues: u64,
    /// Restarts in place on a hot spare (`Redundant`).
    pub spare_swaps: u64,
    pub lost_gpu_hours: LostGpuHours,
    /// Node-time not DOWN over all node-time.
    pub node_availability: f64,
    /// Mean time from a failure being noticed to the node's return.
    pub mean_time_to_repair_h: Option<f64>,
    pub repairs: u64,
    /// Nodes drained for good by the drain rule.
    pub drained_nodes: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub training: Vec<JobReliability>,
}
