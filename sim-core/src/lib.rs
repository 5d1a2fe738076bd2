//! clustersim's simulation library: a deterministic discrete-event model of
//! GPU clusters running AI training work.
//!
//! Start with [`scenario::load_file`] to read a scenario and
//! [`simulation::run`] to run it; [`metrics`] writes what happened. The
//! modules, top to bottom: each imports only those below it
//! (`tests/it/architecture.rs` checks it).
//!
//! - [`tco`]: total cost of ownership: options run once each and their
//!   cost projected over N years, as cash (capital up front, then running
//!   cost) and as book cost (depreciation);
//! - [`study`]: Monte Carlo replications and parameter sweeps of a
//!   scenario, with confidence intervals, on every core or sharded;
//! - [`simulation`]: one run, tying the rest together on the engine;
//! - [`import`]: a site's Slurm configuration (slurm.conf, topology.conf,
//!   sacctmgr's QOS) as a commented scenario;
//! - [`scenario`]: RON files, `--set` overrides, validation with
//!   file:line:column errors, conversion to model types;
//! - [`metrics`]: job records, time series, the summary, the trace, output
//!   writers;
//! - [`scheduler`]: the queue, the policy and GPU allocation;
//! - [`workload`]: jobs, synthetic generators, trace imports, the
//!   submission stream;
//! - [`reliability`]: failure classes and their cited presets, repairs,
//!   checkpoints and shared storage, and the closed forms they are checked
//!   against;
//! - [`training`]: an LLM training step (FLOPs, memory, time, MFU) from
//!   the model, the parallel layout and the hardware;
//! - [`collective`]: NCCL's collectives, costed analytically or as flows;
//! - [`cost`]: what owning or renting each node group costs, as rates;
//! - [`power`]: what GPUs, nodes and switches draw, and the facility;
//! - [`fabric`]: the network as a graph, routing, max-min fair flows;
//! - [`hardware`]: GPU and node models (the catalog) and the cluster;
//! - [`units`]: durations, sizes, bandwidths and money in human spellings;
//! - [`text`]: small things about text users type and read (file errors
//!   and their rendering, did-you-mean, escaping control characters);
//! - [`engine`]: simulated time, the event queue, the run loop, RNG streams.
//!
//! Limits: what [`scenario`] accepts is bounded in total, not only field by
//! field, so that loading and running it takes bounded memory; each limit
//! is a documented constant, named in the refusal: the cluster's
//! [`hardware::MAX_TOTAL_NODES`], [`hardware::MAX_TOTAL_GPUS`],
//! [`hardware::MAX_GPUS_PER_NODE`] and [`hardware::MAX_NICS_PER_NODE`];
//! the fabric's [`fabric::MAX_SWITCH_RADIX`], [`fabric::MAX_FAT_TREE_K`],
//! [`fabric::MAX_FABRIC_ENDPOINTS`] and [`fabric::MAX_EXPLICIT_CABLES`]
//! (its builders refuse more before allocating); the workload's
//! [`workload::MAX_TOTAL_JOBS`] and
//! [`workload::trace::MAX_INTERARRIVAL_SCALE`] and
//! [`workload::trace::MAX_TRACE_TEXT`]; the failure classes'
//! [`reliability::MAX_CLASSES`]. Quantities derived from several
//! sections are weighed too: a time series over the horizon beyond
//! [`metrics::MAX_TIMESERIES_SAMPLES`], work ending past the end of
//! simulated time (2^64 ns), preemption cycles and periodic work below one
//! second are refused; periodic work of more than 10^8 events is warned
//! about.
//!
//! See ARCHITECTURE.md for the invariants each module keeps.

pub mod collective;
pub mod cost;
pub mod engine;
pub mod fabric;
pub mod hardware;
pub mod import;
pub mod metrics;
pub mod power;
pub mod reliability;
pub mod scenario;
pub mod scheduler;
pub mod simulation;
pub mod study;
pub mod tco;
pub mod text;
pub mod training;
pub mod units;
/// Volcano's queueing model (`scheduler/volcano/`, in the `scheduler`
/// layer). Declared here while `scheduler/mod.rs` is being changed
/// elsewhere; it moves to `scheduler::volcano` when the scheduler uses it.
#[path = "scheduler/volcano/mod.rs"]
pub mod volcano;
pub mod workload;
