//! clustersim's simulation library: a deterministic discrete-event model of
//! GPU clusters running AI training work.
//!
//! Start with [`scenario::load_file`] to read a scenario and
//! [`simulation::run`] to run it; [`metrics`] writes what happened. The
//! modules, from the user's input down to the engine:
//!
//! - [`scenario`]: RON files, `--set` overrides, validation with
//!   file:line:column errors, conversion to model types;
//! - [`units`]: durations, sizes, bandwidths and money in human spellings;
//! - [`text`]: small things about text users type and read (file errors,
//!   did-you-mean, escaping control characters);
//! - [`hardware`]: GPU and node models (the catalog) and the cluster;
//! - [`fabric`]: the network as a graph, routing, max-min fair flows;
//! - [`collective`]: NCCL's collectives, costed analytically or as flows;
//! - [`workload`]: jobs, synthetic generators, the submission stream;
//! - [`scheduler`]: the queue, the policy and GPU allocation;
//! - [`simulation`]: one run, tying the above together on the engine;
//! - [`training`]: an LLM training step (FLOPs, memory, time, MFU) from
//!   the model, the parallel layout and the hardware;
//! - [`metrics`]: job records, time series, the summary, output writers;
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
//! [`workload::trace::MAX_INTERARRIVAL_SCALE`].
//!
//! See ARCHITECTURE.md for the invariants each module keeps.

pub mod collective;
pub mod engine;
pub mod fabric;
pub mod hardware;
pub mod metrics;
pub mod scenario;
pub mod scheduler;
pub mod simulation;
pub mod text;
pub mod training;
pub mod units;
pub mod workload;
