//! Replicating a trace replay: a bootstrap of the imported jobs and noise
//! on their estimates, drawn from the run's seed.
//!
//! A replay is deterministic, so the replications of a study would all be
//! the same run. A [`TraceReplication`] turns the one recorded workload
//! into a different plausible one per seed:
//! - [`Resample::Blocks`]: a (non-overlapping) block bootstrap. The trace,
//!   from its first submit, is cut into `n` consecutive blocks of `length`
//!   (the last one partial); `n` blocks are drawn with replacement and laid
//!   end to end, each job keeping its offset within its block. With
//!   `length` 7 days this is a bootstrap of whole weeks, which keeps the
//!   daily and weekly cycles and the bursts within a week;
//! - [`Resample::Jobs`]: a bootstrap of jobs within windows. The trace is
//!   cut into windows of `window`; each window's `m` jobs are replaced by
//!   `m` jobs drawn with replacement from that same window, each keeping
//!   its own submit time. The count per window, hence the arrival rate's
//!   profile, is exactly the trace's;
//! - [`EstimateNoise::LogNormal`]: each job's estimate (time limit) is
//!   multiplied by `exp(sigma * Z)`, `Z` standard normal (a factor of
//!   median 1), then rounded to the second, at least 1 s and at most a
//!   year (or the estimate, if longer). It is not clamped to the run time:
//!   what an estimate below the run time does is what
//!   `scheduler.kill_at_time_limit` says, as for any trace job.
//!
//! Invariants:
//! - every output job is a copy of an input job, changed only in its
//!   submit time (blocks) and its time limit (noise);
//! - draws come from the named streams [`RESAMPLE_STREAM`] and
//!   [`NOISE_STREAM`] only, so the same seed gives the same jobs and no
//!   other stream moves; without a resample nor noise, nothing is drawn;
//! - the output is sorted by submit time, ties in draw order.

use std::ops::Range;

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::{NS_PER_SEC, RngStreams, SimDuration, SimTime, StreamRng};
use crate::workload::SubmittedJob;

/// The stream the bootstrap draws from.
pub const RESAMPLE_STREAM: &str = "workload.trace.resample";
/// The stream the estimate noise draws from.
pub const NOISE_STREAM: &str = "workload.trace.estimate_noise";

/// How a trace's jobs are redrawn for each seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resample {
    /// Whole blocks of this length (> 0), drawn with replacement.
    Blocks { length: SimDuration },
    /// Within each window of this length (> 0), as many jobs as it holds,
    /// drawn with replacement from it.
    Jobs { window: SimDuration },
}

/// Noise on the users' estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EstimateNoise {
    /// A log-normal factor of median 1: `ln(factor)` is normal with mean 0
    /// and this standard deviation (>= 0).
    LogNormal { sigma: f64 },
}

/// A trace's replication: which jobs of the workload came from the trace,
/// and what to draw for them. Validation builds one only when a resample
/// or noise is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceReplication {
    /// The trace's jobs in [`crate::workload::WorkloadSpec::jobs`].
    pub jobs: Range<usize>,
    pub resample: Option<Resample>,
    pub estimate_noise: Option<EstimateNoise>,
}

/// Largest estimate the noise gives, unless the estimate itself is longer:
/// a year, Slurm's `INFINITE`.
const MAX_NOISY_ESTIMATE: SimDuration = SimDuration::from_secs(365 * 24 * 3600);

impl TraceReplication {
    /// The trace's jobs for the run seeded by `streams`: `jobs` resampled,
    /// then their estimates perturbed.
    pub fn apply(&self, jobs: &[SubmittedJob], streams: &RngStreams) -> Vec<SubmittedJob> {
        let mut out = match self.resample {
            None => jobs.to_vec(),
            Some(resample) => resample.draw(jobs, &mut streams.stream(RESAMPLE_STREAM)),
        };
        if let Some(noise) = self.estimate_noise {
            let mut rng = streams.stream(NOISE_STREAM);
            for job in &mut out {
                job.time_limit = noise.apply(job.time_limit, &mut rng);
            }
        }
        out
    }
}

impl Resample {
    /// The length of a block or window.
    pub fn length(self) -> SimDuration {
        match self {
            Resample::Blocks { length } => length,
            Resample::Jobs { window } => window,
        }
    }

    /// A resample of `jobs`, sorted by submit time (ties in draw order).
    pub fn draw(self, jobs: &[SubmittedJob], rng: &mut StreamRng) -> Vec<SubmittedJob> {
        let Some(origin) = jobs.iter().map(|j| j.submit).min() else {
            return Vec::new();
        };
        let length_ns = self.length().as_ns().max(1);
        let slice = |job: &SubmittedJob| (job.submit.as_ns() - origin.as_ns()) / length_ns;
        // The jobs' indices grouped by slice: `starts[k]..starts[k + 1]`
        // of `order` are slice k's, in input order.
        let slices = jobs.iter().map(slice).max().unwrap_or(0) + 1;
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&i| slice(&jobs[i]));
        let mut starts = Vec::with_capacity(slices as usize + 1);
        let mut at = 0;
        for k in 0..slices {
            starts.push(at);
            while at < order.len() && slice(&jobs[order[at]]) == k {
                at += 1;
            }
        }
        starts.push(at);
        let members = |k: u64| &order[starts[k as usize]..starts[k as usize + 1]];
        let mut out = Vec::with_capacity(jobs.len());
        match self {
            Resample::Blocks { .. } => {
                for block in 0..slices {
                    let source = rng.random_range(0..slices);
                    // Moves by a whole number of blocks: offsets within
                    // the block are kept. Later blocks come later, so
                    // the output stays sorted by block.
                    for &i in members(source) {
                        let mut job = jobs[i];
                        let offset_ns = job.submit.as_ns() - origin.as_ns() - source * length_ns;
                        let submit_ns = (origin.as_ns())
                            .saturating_add(block.saturating_mul(length_ns))
                            .saturating_add(offset_ns);
                        job.submit = SimTime::from_ns(submit_ns);
                        out.push(job);
                    }
                }
            }
            Resample::Jobs { .. } => {
                for k in 0..slices {
                    let members = members(k);
                    for _ in 0..members.len() {
                        out.push(jobs[members[rng.random_range(0..members.len())]]);
                    }
                }
            }
        }
        out.sort_by_key(|job| job.submit); // stable: draw order breaks ties
        out
    }
}

impl EstimateNoise {
    /// `estimate` times a factor drawn from `rng`, rounded to the second,
    /// at least 1 s and at most a year (or `estimate`, if longer).
    pub fn apply(self, estimate: SimDuration, rng: &mut StreamRng) -> SimDuration {
        let EstimateNoise::LogNormal { sigma } = self;
        let z: f64 = StandardNormal.sample(rng);
        let secs = estimate.as_ns() as f64 / NS_PER_SEC as f64 * (sigma * z).exp();
        let max = MAX_NOISY_ESTIMATE.max(estimate);
        // `as` saturates a huge product; the bounds do the rest.
        let rounded = SimDuration::from_secs(secs.round() as u64);
        rounded.clamp(SimDuration::from_secs(1), max)
    }
}

#[cfg(test)]
mod tests;
