//! Studies: batch Monte Carlo replications and parameter sweeps of a
//! scenario, on every core or sharded over a cluster's job array.
//!
//! (Being built: issue 14.)

pub mod launch;
