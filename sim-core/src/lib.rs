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
