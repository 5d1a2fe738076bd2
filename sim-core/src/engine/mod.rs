//! The discrete-event core: simulated time, the event queue, the run loop
//! and named RNG streams. Nothing in here knows about GPUs, jobs or
//! scenarios; higher layers define their event payloads and implement
//! [`Model`].
//!
//! Invariants (see each submodule for details):
//! - time is an integer number of nanoseconds ([`SimTime`], [`SimDuration`]);
//! - events are handled in `(time, insertion sequence)` order;
//! - every random draw comes from a stream named after its purpose
//!   ([`RngStreams`]), so subsystems never perturb each other's draws.

mod queue;
mod rng;
mod run;
mod time;

pub use queue::{EventQueue, Scheduled};
pub use rng::{
    FNV_OFFSET_BASIS, RngStreams, StreamRng, fnv1a_64, fnv1a_64_from, splitmix64, stream_id,
};
pub use run::{Engine, Halt, Model, PROGRESS_EVERY_EVENTS, Progress, StopCondition};
pub use time::{NS_PER_SEC, SimDuration, SimTime, exact_seconds, write_exact_seconds};
