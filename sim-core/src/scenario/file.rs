//! The RON scenario schema, version 1, exactly as users write it.
//!
//! These types mirror the file and nothing else: they hold strings and
//! human units, accept nothing unknown (`deny_unknown_fields` everywhere, no
//! `flatten`, which would defeat it), and have no behaviour. `validate.rs`
//! checks them and converts them into the core model types; nothing outside
//! `scenario` sees them. Keeping the two apart lets the file format stay
//! stable while the model evolves, and keeps serde out of the hot path.
//!
//! Field names are the schema: renaming one is a breaking change for every
//! scenario file and `--set` script out there.

use serde::{Deserialize, Serialize};

use crate::units::{Bandwidth, Bytes, HumanDuration, Usd};

/// The schema version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize, Serialize)]
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
    pub workload: Workload,
    #[serde(default)]
    pub scheduler: Option<Scheduler>,
    #[serde(default)]
    pub stop: Option<Stop>,
    #[serde(default)]
    pub outputs: Option<Outputs>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogAdditions {
    #[serde(default)]
    pub gpus: Vec<GpuEntry>,
    #[serde(default)]
    pub nodes: Vec<NodeEntry>,
}

/// A GPU model to add (all fields required) or a built-in one to amend
/// (only the fields given change).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
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
    pub memory: Option<Bytes>,
    #[serde(default)]
    pub memory_bandwidth: Option<Bandwidth>,
    #[serde(default)]
    pub nvlink_bandwidth: Option<Bandwidth>,
    #[serde(default)]
    pub tdp_watts: Option<u32>,
    #[serde(default)]
    pub price_per_gpu_hour: Option<Usd>,
}

/// A node model to add (all fields required) or a built-in one to amend.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
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
    pub nic_bandwidth: Option<Bandwidth>,
    #[serde(default)]
    pub cpu_cores: Option<u32>,
    #[serde(default)]
    pub host_memory: Option<Bytes>,
    #[serde(default)]
    pub max_power_watts: Option<u32>,
    #[serde(default)]
    pub purchase_price: Option<Usd>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub node_groups: Vec<NodeGroup>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// Prefix of the node names (`"dgx"` gives `dgx-000`, `dgx-001`, ...).
    pub name: String,
    pub count: u32,
    pub node_model: String,
    /// Overrides the node model's GPU.
    #[serde(default)]
    pub gpu_model: Option<String>,
    /// Overrides the node model's GPU count.
    #[serde(default)]
    pub gpus_per_node: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Jobs written out one by one.
    #[serde(default)]
    pub jobs: Vec<Job>,
    /// Synthetic job streams.
    #[serde(default)]
    pub generators: Vec<Generator>,
}

/// What a job asks for.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Request {
    /// N GPUs: within one node if some node has that many, else spread over
    /// as few nodes as possible.
    Gpus(u32),
    /// `count` distinct nodes with `gpus_per_node` GPUs on each.
    Nodes { count: u32, gpus_per_node: u32 },
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
    pub submit: HumanDuration,
    pub request: Request,
    /// How long the job really runs.
    pub runtime: HumanDuration,
    /// The limit the user asked for; the runtime if omitted.
    #[serde(default)]
    pub time_limit: Option<HumanDuration>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
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
    pub until: Option<HumanDuration>,
    /// Time of the first possible arrival.
    #[serde(default)]
    pub start: Option<HumanDuration>,
    pub sizes: Vec<WeightedRequest>,
    pub duration: DurationDistribution,
    /// time limit = true runtime x this factor. 1.0 if omitted.
    #[serde(default)]
    pub time_limit_factor: Option<f64>,
    /// Who submits; one user "user" in account "default" if empty.
    #[serde(default)]
    pub users: Vec<WeightedUser>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Arrival {
    /// A Poisson process: exponential gaps with this mean.
    Poisson { mean_interarrival: HumanDuration },
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedRequest {
    pub request: Request,
    pub weight: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedUser {
    pub user: String,
    pub account: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum DurationDistribution {
    Exponential {
        mean: HumanDuration,
    },
    /// ln(duration) is normal with mean ln(median) and this sigma.
    LogNormal {
        median: HumanDuration,
        sigma: f64,
    },
    Uniform {
        min: HumanDuration,
        max: HumanDuration,
    },
    /// Resampled from observed values, with optional weights.
    Empirical {
        values: Vec<HumanDuration>,
        #[serde(default)]
        weights: Option<Vec<f64>>,
    },
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduler {
    #[serde(default)]
    pub order: Option<QueueOrder>,
    /// Kill jobs at their time limit (state TIMEOUT). `false` replays jobs to
    /// their true length, as trace replays do. Default `true`.
    #[serde(default)]
    pub kill_at_time_limit: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum QueueOrder {
    /// Strict first come, first served: the oldest job blocks the rest.
    Fcfs,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stop {
    #[serde(default)]
    pub horizon: Option<HumanDuration>,
    #[serde(default)]
    pub max_events: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Sampling interval of the time-series CSV. Default 10 minutes.
    #[serde(default)]
    pub timeseries_interval: Option<HumanDuration>,
}
