//! The RON scenario schema, version 1, exactly as users write it.
//!
//! These types mirror the file and nothing else: they hold strings, and
//! quantities as written ([`Written`], parsed by `validate`), accept
//! nothing unknown (`deny_unknown_fields` everywhere, no `flatten`, which
//! would defeat it), and have no behaviour. `validate` checks them and
//! converts them into the core model types; nothing outside `scenario`
//! sees them (the module is private). Keeping the two apart lets the file
//! format stay stable while the model evolves, and keeps serde out of the
//! hot path. Training models and layouts are in `training.rs`, failures,
//! storage and checkpoints in `reliability.rs`, quantities in
//! `quantity.rs`.
//!
//! Field names are the schema: renaming one is a breaking change for every
//! scenario file and `--set` script out there.

mod cost;
mod quantity;
mod reliability;
mod training;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use cost::{Autoscale, Billing, Cost, Power};
pub use quantity::{Quantity, Spelling, Written};
pub use reliability::{
    Checkpoint, CheckpointMode, Distribution, FailureClass, Frailty, Interval, Maintenance,
    Recovery, Reliability, Repair, RepairAction, RepairTime, Storage, Target,
};
pub use training::{AttentionKernel, Ffn, Layout, ModelSpec, Precision, Recompute};

use crate::engine::SimDuration;
use crate::units::{Bandwidth, Bytes, Usd};

/// The schema version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Schema version; 1 if omitted.
    #[serde(default)]
    pub version: Option<u32>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Master seed: every random draw of the run derives from it.
    pub seed: u64,
    /// Models added to or overriding the built-in hardware catalog.
    #[serde(default)]
    pub catalog: Option<CatalogAdditions>,
    pub cluster: Cluster,
    /// The compute (east-west) network. Without one, every node hangs off
    /// one non-blocking switch.
    #[serde(default)]
    pub fabric: Option<Fabric>,
    pub workload: Workload,
    #[serde(default)]
    pub scheduler: Option<Scheduler>,
    /// Failure classes, repairs and the cluster's policies around them.
    /// Without it nothing fails.
    #[serde(default)]
    pub reliability: Option<Reliability>,
    /// The shared file system checkpoints are written to.
    #[serde(default)]
    pub storage: Option<Storage>,
    /// Power: PUE, a facility cap. With it (or `cost`), a run reports
    /// energy and power.
    #[serde(default)]
    pub power: Option<Power>,
    /// What the on-premise part costs to own and run. With it (or a group's
    /// `billing`), a run reports cost.
    #[serde(default)]
    pub cost: Option<Cost>,
    #[serde(default)]
    pub stop: Option<Stop>,
    #[serde(default)]
    pub outputs: Option<Outputs>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogAdditions {
    #[serde(default)]
    pub gpus: Vec<GpuEntry>,
    #[serde(default)]
    pub nodes: Vec<NodeEntry>,
}

/// A GPU model to add (all fields required) or a built-in one to amend
/// (only the fields given change).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuEntry {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub fp64_tflops: Option<f64>,
    #[serde(default)]
    pub tf32_tflops: Option<f64>,
    #[serde(default)]
    pub bf16_tflops: Option<f64>,
    #[serde(default)]
    pub fp8_tflops: Option<f64>,
    #[serde(default)]
    pub memory: Option<Written<Bytes>>,
    #[serde(default)]
    pub memory_bandwidth: Option<Written<Bandwidth>>,
    #[serde(default)]
    pub nvlink_bandwidth: Option<Written<Bandwidth>>,
    /// NVLink SHARP (NVLS) in the NVSwitches (see
    /// `hardware::GpuModel::nvlink_sharp`); `false` for a new model.
    #[serde(default)]
    pub nvlink_sharp: Option<bool>,
    /// CUDA compute capability × 10 (see
    /// `hardware::GpuModel::compute_capability`); for a new model, guessed
    /// when left out (100 with NVLink of 1.8 TB/s or more, 90 with FP8 and
    /// NVLink, else 80).
    #[serde(default)]
    pub compute_capability: Option<u32>,
    #[serde(default)]
    pub tdp_watts: Option<u32>,
    /// Board power idle; for a new model, 10% of `tdp_watts` if omitted.
    #[serde(default)]
    pub idle_watts: Option<u32>,
    #[serde(default)]
    pub price_per_gpu_hour: Option<Written<Usd>>,
    /// Fraction of dense peak a large GEMM of a transformer's linear
    /// layers sustains in training, the cap of the training compute model's
    /// roofline (see `hardware::GpuModel::matmul_efficiency`), in (0, 1].
    #[serde(default)]
    pub matmul_efficiency: Option<f64>,
}

/// A node model to add (all fields required) or a built-in one to amend.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeEntry {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub gpu_model: Option<String>,
    #[serde(default)]
    pub gpus_per_node: Option<u32>,
    #[serde(default)]
    pub compute_nics: Option<u32>,
    #[serde(default)]
    pub nic_bandwidth: Option<Written<Bandwidth>>,
    /// Consecutive nodes sharing one NVLink domain (see
    /// `hardware::NodeModel::nvlink_domain_nodes`); 1 for a new model.
    #[serde(default)]
    pub nvlink_domain_nodes: Option<u32>,
    #[serde(default)]
    pub cpu_cores: Option<u32>,
    #[serde(default)]
    pub host_memory: Option<Written<Bytes>>,
    #[serde(default)]
    pub max_power_watts: Option<u32>,
    /// System power idle, GPUs included; for a new model, 30% of
    /// `max_power_watts` if omitted.
    #[serde(default)]
    pub idle_power_watts: Option<u32>,
    #[serde(default)]
    pub purchase_price: Option<Written<Usd>>,
    /// A cloud instance's on-demand price per hour, all its GPUs.
    #[serde(default)]
    pub instance_price_per_hour: Option<Written<Usd>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub node_groups: Vec<NodeGroup>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// Prefix of the node names (`"dgx"` gives `dgx-000`, `dgx-001`, ...).
    pub name: String,
    pub count: u32,
    /// The nodes' own names as a Slurm host list (`"gpu-node[1-8]"`),
    /// `count` of them, instead of `<name>-<index>`.
    #[serde(default)]
    pub hosts: Option<String>,
    pub node_model: String,
    /// Overrides the node model's GPU.
    #[serde(default)]
    pub gpu_model: Option<String>,
    /// Overrides the node model's GPU count.
    #[serde(default)]
    pub gpus_per_node: Option<u32>,
    /// How the group is paid for: `OnPremise` (default), `OnDemand(...)`,
    /// `Reserved(...)` or `Spot(...)`.
    #[serde(default)]
    pub billing: Option<Billing>,
    /// Cloud groups only: grow with the queue, shrink when idle, from `min`
    /// to `max` nodes of the group's `count`.
    #[serde(default)]
    pub autoscale: Option<Autoscale>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Jobs written out one by one.
    #[serde(default)]
    pub jobs: Vec<Job>,
    /// LLM training jobs: their run time is simulated from the model, the
    /// layout and where they are placed.
    #[serde(default)]
    pub training: Vec<TrainingJob>,
    /// Model shapes training jobs may name besides the built-in presets.
    #[serde(default)]
    pub models: Vec<ModelSpec>,
    /// Synthetic job streams.
    #[serde(default)]
    pub generators: Vec<Generator>,
    /// Jobs replayed from a workload trace (SWF or `sacct`).
    #[serde(default)]
    pub trace: Option<Trace>,
}

/// A trace to replay. Paths are relative to the scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    pub file: String,
    /// `Swf` (Standard Workload Format, plain or gzip), `Sacct`
    /// (`sacct --parsable2` output), `AlibabaPods` (an Alibaba
    /// cluster-trace-gpu-v2023 pod list) or `Csv(...)` (a CSV job table,
    /// its columns mapped or a preset's).
    pub format: TraceFormat,
    /// GPU types a trace names (an Alibaba pod's `gpu_spec`, like
    /// `V100M16`) as the cluster's GPU models: `{"V100M16": "V100-SXM2-16GB"}`.
    /// A name not listed is taken as a model name.
    #[serde(default)]
    pub gpu_models: BTreeMap<String, String>,
    /// Which field gives a job's size. Default `Requested` (requested
    /// processors if > 0, else allocated).
    #[serde(default)]
    pub size: Option<SizeField>,
    /// Jobs whose run time is unknown or negative. Default `Drop`.
    #[serde(default)]
    pub negative_runtime: Option<BadRuntime>,
    /// Jobs whose run time is zero. Default `Keep`.
    #[serde(default)]
    pub zero_runtime: Option<ZeroRuntime>,
    /// The estimate when the requested time is missing. Default `RunTime`.
    #[serde(default)]
    pub missing_estimate: Option<MissingEstimate>,
    /// Skip this many usable jobs first. Default 0.
    #[serde(default)]
    pub skip: Option<u64>,
    /// Order in which `skip` and `take` count jobs: `JobId` (default) or
    /// `Submit`.
    #[serde(default)]
    pub skip_by: Option<WindowOrder>,
    /// Then take at most this many.
    #[serde(default)]
    pub take: Option<u64>,
    /// Multiply inter-arrival gaps by this (0.8 = 25% more load). Default 1.
    #[serde(default)]
    pub interarrival_scale: Option<f64>,
    /// GPU slots one trace processor takes. Default 1.
    #[serde(default)]
    pub gpus_per_processor: Option<u32>,
    /// Partition and QOS of every replayed job (default ones if omitted;
    /// a `sacct` job's own partition and QOS are kept when the scenario
    /// defines them).
    #[serde(default)]
    pub partition: Option<String>,
    #[serde(default)]
    pub qos: Option<String>,
    /// Replicate the replay per seed: `Blocks(length: "7d")` (a bootstrap
    /// of whole weeks) or `Jobs(window: "1d")` (a bootstrap of the jobs of
    /// each day). None if omitted: the trace as recorded.
    #[serde(default)]
    pub resample: Option<Resample>,
    /// `LogNormal(sigma: 0.5)`: each estimate times a log-normal factor of
    /// median 1, drawn per seed. None if omitted.
    #[serde(default)]
    pub estimate_noise: Option<EstimateNoise>,
    /// `true`: every share of one GPU (an Alibaba pod's `gpu_milli` under
    /// 1000) rounded up to a whole GPU, the same pods without GPU sharing
    /// (counted as altered). Default `false`.
    #[serde(default)]
    pub whole_gpus: Option<bool>,
}

/// How a trace's jobs are redrawn for each seed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Resample {
    /// Blocks of this length, drawn with replacement and laid end to end.
    Blocks { length: Written<SimDuration> },
    /// Within each window, as many jobs as it holds, drawn from it.
    Jobs { window: Written<SimDuration> },
}

/// Noise on a trace's estimates.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum EstimateNoise {
    /// ln(factor) is normal with mean 0 and this standard deviation.
    LogNormal { sigma: f64 },
}

#[derive(Debug, Clone, Deserialize)]
pub enum TraceFormat {
    Swf,
    Sacct,
    AlibabaPods,
    /// A CSV job table: a preset's columns, any of them replaced by
    /// `columns`.
    Csv {
        #[serde(default)]
        preset: Option<CsvPreset>,
        #[serde(default)]
        columns: Box<CsvColumns>,
        /// `Unix` (seconds) or `DateTime` (`YYYY-MM-DD HH:MM:SS`, an
        /// optional UTC offset); default the preset's, else `DateTime`.
        #[serde(default)]
        time_format: Option<TimeFormat>,
    },
}

/// The public job tables whose columns `Csv` knows.
#[derive(Debug, Clone, Copy, Deserialize)]
pub enum CsvPreset {
    Helios,
    Philly,
    Acme,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum TimeFormat {
    Unix,
    DateTime,
}

/// The column of the table that gives each field of a job.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvColumns {
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// The virtual cluster: the job's queue and account.
    #[serde(default)]
    pub vc: Option<String>,
    #[serde(default)]
    pub gpus: Option<String>,
    #[serde(default)]
    pub nodes: Option<String>,
    #[serde(default)]
    pub submit: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// The run time in seconds.
    #[serde(default)]
    pub duration: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum SizeField {
    Requested,
    Allocated,
    Larger,
}

#[derive(Debug, Clone, Deserialize)]
pub enum BadRuntime {
    Drop,
    Replace(Written<SimDuration>),
}

#[derive(Debug, Clone, Deserialize)]
pub enum ZeroRuntime {
    Keep,
    Drop,
    Replace(Written<SimDuration>),
}

#[derive(Debug, Clone, Deserialize)]
pub enum MissingEstimate {
    RunTime,
    Fixed(Written<SimDuration>),
    Factor(f64),
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum WindowOrder {
    JobId,
    Submit,
}

/// What a job asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Request {
    /// N GPUs: within one node if some node has that many, else spread over
    /// as few nodes as possible.
    Gpus(u32),
    /// `count` distinct nodes with `gpus_per_node` GPUs on each.
    Nodes { count: u32, gpus_per_node: u32 },
    /// A fraction of one GPU, shared with other jobs (`Fraction(0.25)`):
    /// Kubernetes GPU sharing (Alibaba's `gpu_milli`), in steps of 0.001.
    Fraction(f64),
    /// A MIG slice of one GPU by NVIDIA's profile name (`Mig("3g.40gb")`).
    Mig(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    pub submit: Written<SimDuration>,
    pub request: Request,
    /// How long the job really runs.
    pub runtime: Written<SimDuration>,
    /// The limit the user asked for; if omitted, the partition's
    /// `default_time`, else its `max_time`, else a year (Slurm's INFINITE),
    /// never the runtime, which Slurm cannot know.
    #[serde(default)]
    pub time_limit: Option<Written<SimDuration>>,
    /// The default partition if omitted.
    #[serde(default)]
    pub partition: Option<String>,
    /// The default QOS if omitted.
    #[serde(default)]
    pub qos: Option<String>,
    /// GPU types it may run on: catalog GPU model names of the cluster's
    /// groups (a Kubernetes node selector); any GPU if empty.
    #[serde(default)]
    pub gpu_type: Vec<String>,
    /// Its Kubernetes queue (a Kueue LocalQueue or a Volcano queue); the
    /// default queue if omitted.
    #[serde(default)]
    pub queue: Option<String>,
    /// Its Kubernetes priority (PriorityClass value); 0 if omitted.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Slurm's `--nice`: lowers the multifactor priority by this much.
    #[serde(default)]
    pub nice: Option<i32>,
    /// Checkpoints: interval, cost and mode. None if omitted (a training
    /// job in a scenario with failure classes checkpoints by default).
    #[serde(default)]
    pub checkpoint: Option<Checkpoint>,
    /// `CheckpointRestart` (default), `Redundant` or
    /// `Elastic(min_nodes: N)`.
    #[serde(default)]
    pub recovery: Option<Recovery>,
    /// Slurm's `--requeue` (`true`) or `--no-requeue` (`false`); the
    /// cluster's `reliability.requeue` if omitted.
    #[serde(default)]
    pub requeue: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingJob {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    pub submit: Written<SimDuration>,
    /// A preset (`"llama3-70b"`, `"gpt3-175b"`, ...) or the name of one of
    /// `workload.models`.
    pub model: String,
    pub layout: Layout,
    /// `Bf16` if omitted.
    #[serde(default)]
    pub precision: Option<Precision>,
    /// The work, as optimizer steps or as tokens (`"20B"`, `"1.5T"`):
    /// exactly one of the two.
    #[serde(default)]
    pub steps: Option<u64>,
    #[serde(default)]
    pub tokens: Option<String>,
    /// Twice the run time on a non-blocking fabric if omitted (and no
    /// partition default).
    #[serde(default)]
    pub time_limit: Option<Written<SimDuration>>,
    #[serde(default)]
    pub partition: Option<String>,
    #[serde(default)]
    pub qos: Option<String>,
    #[serde(default)]
    pub nice: Option<i32>,
    /// Checkpoints: interval, cost and mode. None if omitted (a training
    /// job in a scenario with failure classes checkpoints by default).
    #[serde(default)]
    pub checkpoint: Option<Checkpoint>,
    /// `CheckpointRestart` (default), `Redundant` or
    /// `Elastic(min_nodes: N)`.
    #[serde(default)]
    pub recovery: Option<Recovery>,
    /// Slurm's `--requeue` (`true`) or `--no-requeue` (`false`); the
    /// cluster's `reliability.requeue` if omitted.
    #[serde(default)]
    pub requeue: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generator {
    /// Names this generator's RNG streams; unique within the scenario.
    pub name: String,
    pub arrival: Arrival,
    /// Stop after this many jobs...
    #[serde(default)]
    pub count: Option<u64>,
    /// ...or at this time, whichever comes first.
    #[serde(default)]
    pub until: Option<Written<SimDuration>>,
    /// Time of the first possible arrival.
    #[serde(default)]
    pub start: Option<Written<SimDuration>>,
    pub sizes: Vec<WeightedRequest>,
    pub duration: DurationDistribution,
    /// time limit = true runtime x this factor. 1.0 if omitted.
    #[serde(default)]
    pub time_limit_factor: Option<f64>,
    /// Who submits; one user "user" in account "default" if empty.
    #[serde(default)]
    pub users: Vec<WeightedUser>,
    /// The default partition if omitted.
    #[serde(default)]
    pub partition: Option<String>,
    /// The default QOS if omitted.
    #[serde(default)]
    pub qos: Option<String>,
    /// GPU types it may run on: catalog GPU model names of the cluster's
    /// groups (a Kubernetes node selector); any GPU if empty.
    #[serde(default)]
    pub gpu_type: Vec<String>,
    /// Its Kubernetes queue (a Kueue LocalQueue or a Volcano queue); the
    /// default queue if omitted.
    #[serde(default)]
    pub queue: Option<String>,
    /// Its Kubernetes priority (PriorityClass value); 0 if omitted.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Checkpoints: interval, cost and mode. None if omitted (a training
    /// job in a scenario with failure classes checkpoints by default).
    #[serde(default)]
    pub checkpoint: Option<Checkpoint>,
    /// `CheckpointRestart` (default), `Redundant` or
    /// `Elastic(min_nodes: N)`.
    #[serde(default)]
    pub recovery: Option<Recovery>,
    /// Slurm's `--requeue` (`true`) or `--no-requeue` (`false`); the
    /// cluster's `reliability.requeue` if omitted.
    #[serde(default)]
    pub requeue: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Arrival {
    /// A Poisson process: exponential gaps with this mean.
    Poisson {
        mean_interarrival: Written<SimDuration>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedRequest {
    pub request: Request,
    pub weight: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedUser {
    pub user: String,
    pub account: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DurationDistribution {
    Exponential {
        mean: Written<SimDuration>,
    },
    /// ln(duration) is normal with mean ln(median) and this sigma.
    LogNormal {
        median: Written<SimDuration>,
        sigma: f64,
    },
    Uniform {
        min: Written<SimDuration>,
        max: Written<SimDuration>,
    },
    /// Resampled from observed values, with optional weights.
    Empirical {
        values: Vec<Written<SimDuration>>,
        #[serde(default)]
        weights: Option<Vec<f64>>,
    },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduler {
    /// `Fcfs` (default), `Multifactor` or `Sjf`.
    #[serde(default)]
    pub order: Option<QueueOrder>,
    /// `None`, `Easy`, `Conservative` (default with gang scheduling, as
    /// Slurm's default `sched/backfill`) or `Slurm`.
    #[serde(default)]
    pub backfill: Backfill,
    /// Slurm `bf_interval`, default 30 s; "0s" backfills at every pass.
    #[serde(default)]
    pub bf_interval: Option<Written<SimDuration>>,
    /// Slurm `bf_window`, default 1 day.
    #[serde(default)]
    pub bf_window: Option<Written<SimDuration>>,
    /// Slurm `bf_resolution`, default 60 s.
    #[serde(default)]
    pub bf_resolution: Option<Written<SimDuration>>,
    /// Slurm `bf_max_job_test`, default 500.
    #[serde(default)]
    pub bf_max_job_test: Option<u32>,
    /// Slurm `bf_continue`, default false.
    #[serde(default)]
    pub bf_continue: Option<bool>,
    /// Slurm `sched_interval`, default 60 s (used by `backfill: Slurm`).
    #[serde(default)]
    pub sched_interval: Option<Written<SimDuration>>,
    /// Kill jobs at their time limit (state TIMEOUT). `false` replays jobs to
    /// their true length, as trace replays do. Default `true`.
    #[serde(default)]
    pub kill_at_time_limit: Option<bool>,
    /// All of a job's GPUs at once. Default `true`.
    #[serde(default)]
    pub gang: Option<bool>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub partitions: Vec<Partition>,
    #[serde(default)]
    pub qos: Vec<Qos>,
    /// Slurm `PreemptType`: `None` (default), `Qos` or `PartitionPriority`.
    #[serde(default)]
    pub preempt_type: PreemptType,
    /// Slurm `PreemptMode`: `Requeue` (default) or `Cancel`.
    #[serde(default)]
    pub preempt_mode: Option<PreemptMode>,
    /// Slurm `EnforcePartLimits`: `No` (default; a job over its
    /// partition's MaxTime or MaxNodes waits forever), `Any` or `All`
    /// (refused at submission).
    #[serde(default)]
    pub enforce_part_limits: Option<EnforcePartLimits>,
    /// Leaf switches and their nodes (Slurm's topology.conf, tree plugin).
    #[serde(default)]
    pub topology: Vec<Switch>,
    /// NVIDIA GPU time-slicing: one-GPU jobs share GPUs, `replicas` to a
    /// GPU at most, and slow each other. None by default.
    #[serde(default)]
    pub time_slicing: Option<TimeSlicing>,
    /// Kueue's admission model (kueue.sigs.k8s.io): ResourceFlavors,
    /// ClusterQueues and LocalQueues, Kueue's camelCase field names in
    /// snake case (`nominalQuota` is `nominal_quota`).
    #[serde(default)]
    pub kueue: Option<Kueue>,
    /// Volcano's queues (the `volcano-scheduler`'s proportion, drf,
    /// binpack/nodeorder plugins and its reclaim action). None by default.
    #[serde(default)]
    pub volcano: Option<Volcano>,
}

/// Volcano: its queues and the choices of its scheduler configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volcano {
    /// Volcano `Queue`s; a `default` queue (weight 1) is added unless one
    /// is named so, for jobs that name no queue.
    #[serde(default)]
    pub queues: Vec<VolcanoQueue>,
    /// `Spread` (default: the nodeorder plugin's least-requested) or
    /// `Binpack` (the binpack plugin scoring GPUs).
    #[serde(default)]
    pub node_order: Option<VolcanoNodeOrder>,
    /// Whether the `reclaim` action runs; false by default, as in
    /// Volcano's default `actions: "enqueue, allocate, backfill"`.
    #[serde(default)]
    pub reclaim: Option<bool>,
}

/// A Volcano `Queue`, GPUs only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolcanoQueue {
    pub name: String,
    /// `spec.weight`, default 1.
    #[serde(default)]
    pub weight: Option<u32>,
    /// `spec.capability` in GPUs (fractions allowed): a hard limit. The
    /// cluster if omitted.
    #[serde(default)]
    pub capability: Option<f64>,
    /// `spec.reclaimable`, default true.
    #[serde(default)]
    pub reclaimable: Option<bool>,
    /// `spec.guarantee` in GPUs: a floor on its deserved share, withheld
    /// from the other queues. None if omitted.
    #[serde(default)]
    pub guarantee: Option<f64>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum VolcanoNodeOrder {
    Binpack,
    Spread,
}

/// The GPU operator's time-slicing config.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSlicing {
    /// GPUs advertised per physical GPU (the device plugin's `replicas`).
    pub replicas: u32,
    /// Share of the GPU's time lost to context switches while two or more
    /// tenants run; 0 if omitted.
    #[serde(default)]
    pub switch_overhead: Option<f64>,
}

/// Kueue's objects (`scheduler.kueue`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kueue {
    #[serde(default)]
    pub flavors: Vec<ResourceFlavor>,
    #[serde(default)]
    pub cluster_queues: Vec<ClusterQueue>,
    #[serde(default)]
    pub local_queues: Vec<LocalQueue>,
}

/// A ResourceFlavor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceFlavor {
    pub name: String,
    /// The GPU model of its nodes (its `nodeLabels`, as the
    /// `nvidia.com/gpu.product` label); every node if omitted.
    #[serde(default)]
    pub gpu_type: Option<String>,
}

/// A ClusterQueue with one resource group covering `nvidia.com/gpu`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterQueue {
    pub name: String,
    /// `cohort`: ClusterQueues naming the same cohort borrow from each
    /// other. None by default.
    #[serde(default)]
    pub cohort: Option<String>,
    /// `queueingStrategy`: `StrictFIFO` or `BestEffortFIFO` (default).
    #[serde(default)]
    pub queueing_strategy: Option<QueueingStrategy>,
    /// The resource group's flavors, in the order they are tried
    /// (`resourceGroups[0].flavors`, for `nvidia.com/gpu`).
    pub flavors: Vec<FlavorQuota>,
    #[serde(default)]
    pub preemption: Option<KueuePreemption>,
    #[serde(default)]
    pub flavor_fungibility: Option<FlavorFungibility>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum QueueingStrategy {
    #[serde(rename = "StrictFIFO")]
    StrictFifo,
    #[serde(rename = "BestEffortFIFO")]
    BestEffortFifo,
}

/// A flavor's quota of `nvidia.com/gpu`, in GPUs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorQuota {
    /// A ResourceFlavor's name.
    pub flavor: String,
    /// `nominalQuota`.
    pub nominal_quota: u32,
    /// `borrowingLimit`: at most this much borrowed (default: no limit);
    /// only in a cohort.
    #[serde(default)]
    pub borrowing_limit: Option<u32>,
    /// `lendingLimit`: at most this much lent (default: all of
    /// `nominal_quota`); only in a cohort.
    #[serde(default)]
    pub lending_limit: Option<u32>,
}

/// A ClusterQueue's `preemption` (every policy `Never` by default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KueuePreemption {
    /// `Never`, `LowerPriority` or `LowerOrNewerEqualPriority`.
    #[serde(default)]
    pub within_cluster_queue: Option<WithinClusterQueue>,
    /// `Never`, `LowerPriority` or `Any`.
    #[serde(default)]
    pub reclaim_within_cohort: Option<ReclaimWithinCohort>,
    #[serde(default)]
    pub borrow_within_cohort: Option<BorrowWithinCohort>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum WithinClusterQueue {
    Never,
    LowerPriority,
    LowerOrNewerEqualPriority,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum ReclaimWithinCohort {
    Never,
    LowerPriority,
    Any,
}

/// `borrowWithinCohort`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BorrowWithinCohort {
    /// `Never` (default) or `LowerPriority`.
    pub policy: BorrowWithinCohortPolicy,
    /// `maxPriorityThreshold`: no limit if omitted.
    #[serde(default)]
    pub max_priority_threshold: Option<i32>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum BorrowWithinCohortPolicy {
    Never,
    LowerPriority,
}

/// `flavorFungibility`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorFungibility {
    /// `Borrow` (default; v1beta2's `MayStopSearch`) or `TryNextFlavor`.
    #[serde(default)]
    pub when_can_borrow: Option<WhenCanBorrow>,
    /// `TryNextFlavor` (default) or `Preempt` (v1beta2's
    /// `MayStopSearch`).
    #[serde(default)]
    pub when_can_preempt: Option<WhenCanPreempt>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum WhenCanBorrow {
    #[serde(alias = "MayStopSearch")]
    Borrow,
    TryNextFlavor,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum WhenCanPreempt {
    #[serde(alias = "MayStopSearch")]
    Preempt,
    TryNextFlavor,
}

/// A LocalQueue: jobs name it in their `queue`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalQueue {
    pub name: String,
    /// `default` if omitted.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `clusterQueue`: the ClusterQueue it submits to.
    pub cluster_queue: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum QueueOrder {
    /// First come, first served (Slurm `priority/basic`).
    Fcfs,
    /// Slurm `priority/multifactor`.
    Multifactor,
    /// Shortest requested time first.
    Sjf,
}

/// Not an `Option`: RON would read `backfill: None` as an absent value.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub enum Backfill {
    /// The field left out (not a spelling users can write).
    #[default]
    #[serde(skip)]
    Unset,
    None,
    Easy,
    Conservative,
    Slurm,
}

/// Slurm's multifactor knobs (`PriorityWeight*`, all 0 by default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    #[serde(default)]
    pub weight_age: Option<u32>,
    #[serde(default)]
    pub weight_fairshare: Option<u32>,
    #[serde(default)]
    pub weight_job_size: Option<u32>,
    #[serde(default)]
    pub weight_partition: Option<u32>,
    #[serde(default)]
    pub weight_qos: Option<u32>,
    /// `PriorityMaxAge`, default 7 days.
    #[serde(default)]
    pub max_age: Option<Written<SimDuration>>,
    /// `PriorityFavorSmall`, default false.
    #[serde(default)]
    pub favor_small: Option<bool>,
    /// `PriorityFlags=SMALL_RELATIVE_TO_TIME`, default false: the job size
    /// factor is divided by the job's time limit in minutes.
    #[serde(default)]
    pub small_relative_to_time: Option<bool>,
    /// `PriorityCalcPeriod`, default 5 minutes.
    #[serde(default)]
    pub calc_period: Option<Written<SimDuration>>,
    /// `PriorityDecayHalfLife`, default 7 days; "0s" disables decay.
    #[serde(default)]
    pub decay_half_life: Option<Written<SimDuration>>,
    /// `PriorityUsageResetPeriod`: `None` (default), `Daily`, `Weekly`,
    /// `Monthly`, `Quarterly`, `Yearly`.
    #[serde(default)]
    pub usage_reset: UsageReset,
    /// `FairTree` (Slurm's default) or `Classic`.
    #[serde(default)]
    pub fairshare: Option<FairshareAlgorithm>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub enum UsageReset {
    #[default]
    None,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum FairshareAlgorithm {
    FairTree,
    Classic,
}

/// An account of the association tree (`sacctmgr add account`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    /// The parent account; the root if omitted.
    #[serde(default)]
    pub parent: Option<String>,
    /// Raw `Fairshare=` shares, default 1.
    #[serde(default)]
    pub shares: Option<u32>,
    #[serde(default)]
    pub users: Vec<AccountUser>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountUser {
    pub name: String,
    #[serde(default)]
    pub shares: Option<u32>,
}

/// A Slurm partition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    pub name: String,
    /// Node group names, node names, or ranges like "dgx-[000-015]".
    pub nodes: Vec<String>,
    /// `Default=YES`: jobs that name no partition go here (else the first).
    #[serde(default)]
    pub default: Option<bool>,
    /// Slurm's DefaultTime; `"UNLIMITED"` is the same as leaving it out.
    #[serde(default)]
    pub default_time: Option<Written<SimDuration>>,
    /// Slurm's MaxTime; `"UNLIMITED"` (or leaving it out) is no limit.
    #[serde(default)]
    pub max_time: Option<Written<SimDuration>>,
    #[serde(default)]
    pub max_nodes: Option<u32>,
    /// Default 1.
    #[serde(default)]
    pub priority_job_factor: Option<u32>,
    /// Default 1.
    #[serde(default)]
    pub priority_tier: Option<u32>,
    /// Default 0 s.
    #[serde(default)]
    pub grace_time: Option<Written<SimDuration>>,
}

/// A Slurm QOS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qos {
    pub name: String,
    /// Default 0.
    #[serde(default)]
    pub priority: Option<u32>,
    /// `MaxTRESPerUser=gres/gpu=N`.
    #[serde(default)]
    pub max_gpus_per_user: Option<u64>,
    /// `GrpTRES=gres/gpu=N`.
    #[serde(default)]
    pub grp_gpus: Option<u64>,
    /// QOS names this one may preempt.
    #[serde(default)]
    pub preempt: Vec<String>,
    /// Default 0 s.
    #[serde(default)]
    pub grace_time: Option<Written<SimDuration>>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub enum PreemptType {
    #[default]
    None,
    Qos,
    PartitionPriority,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum PreemptMode {
    Requeue,
    Cancel,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum EnforcePartLimits {
    No,
    Any,
    All,
}

/// A leaf switch (`SwitchName=... Nodes=...` in topology.conf).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub name: String,
    pub nodes: Vec<String>,
}

/// The compute fabric.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fabric {
    pub topology: Topology,
    /// Link technology: `"ib-hdr"`, `"ib-ndr"` (default), `"ib-xdr"`,
    /// `"roce-400g"`, `"roce-200g"`. NICs run at the slower of their own
    /// rate and the preset's.
    #[serde(default)]
    pub links: Option<String>,
    /// How training jobs' collectives are simulated: `Analytic` (default:
    /// NCCL's cost model on the job's placement) or `Flow` (as flows on
    /// the fabric, sharing links with other jobs).
    #[serde(default)]
    pub collectives: Option<Fidelity>,
    /// Force NCCL's algorithm for training jobs' collectives, as
    /// `NCCL_ALGO` does: `Ring`, `Tree`, `CollNetDirect`, `CollNetChain`,
    /// `Nvls`, `NvlsTree` or `Pat`. The
    /// tuner picks by size if omitted (and where the forced one cannot
    /// carry an operation).
    #[serde(default)]
    pub algorithm: Option<NcclAlgorithm>,
    /// Force NCCL's protocol, as `NCCL_PROTO` does: `LL`, `LL128` or
    /// `Simple`.
    #[serde(default)]
    pub protocol: Option<NcclProtocol>,
    /// `NCCL_PXN_DISABLE=1`: point-to-point messages between rails leave
    /// by the sender's own NIC (and cross the spine of a rail-optimized
    /// fabric). Default false: PXN on, as in NCCL.
    #[serde(default)]
    pub pxn_disable: Option<bool>,
    /// `NCCL_P2P_PXN_LEVEL`: 0 never uses PXN, 1 and 2 (NCCL's default)
    /// do.
    #[serde(default)]
    pub p2p_pxn_level: Option<u8>,
    /// The switches reduce in the network (InfiniBand SHARP, with NCCL's
    /// SHARP plugin and `NCCL_COLLNET_ENABLE=1`): NCCL's CollNet
    /// algorithms, and NVLS across nodes, may run. Default false.
    #[serde(default)]
    pub sharp: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum NcclAlgorithm {
    Ring,
    Tree,
    CollNetDirect,
    CollNetChain,
    Nvls,
    NvlsTree,
    Pat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum NcclProtocol {
    #[serde(rename = "LL")]
    Ll,
    #[serde(rename = "LL128")]
    Ll128,
    Simple,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Topology {
    /// Every NIC on one non-blocking switch.
    SingleSwitch,
    /// Leaves with host ports and uplinks to a spine tier.
    LeafSpine {
        /// Ports per switch; the preset's typical switch if omitted.
        #[serde(default)]
        radix: Option<u32>,
        /// Host ports over uplinks per leaf: 1.0 (default) is 1:1.
        #[serde(default)]
        oversubscription: Option<f64>,
    },
    /// A three-tier k-ary fat-tree (Al-Fares et al., SIGCOMM 2008).
    FatTree {
        k: u32,
        #[serde(default)]
        oversubscription: Option<f64>,
    },
    /// NVIDIA DGX SuperPOD rail-optimized scalable units: NIC k of every
    /// node of a unit on the unit's leaf k.
    RailOptimized {
        /// 32 if omitted.
        #[serde(default)]
        nodes_per_unit: Option<u32>,
        #[serde(default)]
        radix: Option<u32>,
        /// Host ports over uplinks per rail leaf: 1.0 (default, as in a
        /// SuperPOD) is 1:1; a thinner spine tier for cross-rail traffic
        /// is 2.0, 4.0, ...
        #[serde(default)]
        oversubscription: Option<f64>,
    },
    /// Switches and cables listed one by one.
    Explicit {
        switches: Vec<FabricSwitch>,
        links: Vec<FabricLink>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FabricSwitch {
    pub name: String,
    /// 0 for leaves; worked out from the cabling if omitted.
    #[serde(default)]
    pub tier: Option<u8>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FabricLink {
    /// A switch (`"leaf3"`), a NIC (`"dgx-000:nic0"`) or a whole node
    /// (`"dgx-000"`: each of its NICs to the other end).
    pub a: String,
    pub b: String,
    /// Parallel cables between two switches; 1 if omitted.
    #[serde(default)]
    pub count: Option<u32>,
    /// Per-direction rate; the NIC's or the preset's if omitted.
    #[serde(default)]
    pub bandwidth: Option<Written<Bandwidth>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Fidelity {
    Analytic,
    Flow,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stop {
    #[serde(default)]
    pub horizon: Option<Written<SimDuration>>,
    #[serde(default)]
    pub max_events: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Sampling interval of the time-series CSV. Default 10 minutes.
    #[serde(default)]
    pub timeseries_interval: Option<Written<SimDuration>>,
    /// Write `metrics.om` (OpenMetrics) beside the other outputs.
    #[serde(default)]
    pub openmetrics: Option<bool>,
    /// Write `trace.perfetto.json` (a Perfetto trace) beside the others.
    #[serde(default)]
    pub perfetto: Option<bool>,
}
