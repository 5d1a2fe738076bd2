//! Jobs and where they come from.
//!
//! A [`WorkloadSpec`] is the validated description (explicit jobs plus
//! synthetic generators); a [`JobSource`] turns it into a stream of
//! [`SubmittedJob`]s in submission order, generating synthetic jobs lazily so
//! a million-job run never holds a million future arrivals.
//!
//! Invariants:
//! - jobs come out sorted by submit time; ties keep the order explicit jobs
//!   (in file order) first, then generators in declaration order;
//! - each generator draws arrivals, sizes, durations and users from its own
//!   RNG streams (`workload.<name>.arrivals`, `.sizes`, `.durations`,
//!   `.users`), so changing a generator's size mix never moves its arrival
//!   times, and adding a generator never changes another one's jobs;
//! - a trace's jobs are redrawn per seed only when the scenario asks for a
//!   resample or estimate noise (`trace::resample`, streams
//!   `workload.trace.resample` and `.estimate_noise`);
//! - a job's time limit is never zero, and user, account and name indices
//!   are valid in the [`Directory`].

mod synthetic;
pub mod trace;

pub use synthetic::{Arrival, DurationDist, GeneratorSpec, WeightedUser};

use serde::Serialize;

use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::hardware::{GpuModel, NodeModel};
use crate::training::{Layout, ModelSpec, Precision, StepReport};

/// What a job asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum JobRequest {
    /// `n` GPUs: on one node when some node has that many GPUs, otherwise
    /// spread over as few nodes as possible.
    Gpus(u32),
    /// `count` distinct nodes with `gpus_per_node` GPUs on each.
    Nodes { count: u32, gpus_per_node: u32 },
}

/// How a job uses the GPU it asks for: whole GPUs (every request), or,
/// for a one-GPU request, a fraction of one GPU or a MIG slice of one
/// (the scheduler's `sharing.rs` places those; see `hardware::mig`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum GpuShare {
    #[default]
    Whole,
    /// A share of one GPU in thousandths (1..=999; the scheduler uses 1000
    /// for a `Gpus(1)` job under time-slicing), as Kubernetes GPU sharing
    /// schedulers ask (Alibaba's `gpu_milli`): tenants of a GPU sum to at
    /// most 1000 unless time-slicing oversubscribes it.
    Fraction { milli: u16 },
    /// A MIG slice: an index into [`crate::hardware::mig::MIG_NAMES`].
    Mig { profile: u8 },
}

impl GpuShare {
    /// The share of one GPU's compute it asks for, in thousandths (1000
    /// for whole GPUs; a MIG slice's compute slices over the GPU's, as
    /// the largest geometry with that name has them).
    #[inline]
    pub fn milli(self) -> u16 {
        match self {
            GpuShare::Whole => 1000,
            GpuShare::Fraction { milli } => milli,
            GpuShare::Mig { profile } => {
                let name = crate::hardware::mig::MIG_NAMES[profile as usize];
                crate::hardware::mig::geometries_with(name)
                    .filter_map(|g| {
                        g.profile(name).map(|p| {
                            (u32::from(p.compute_slices) * 1000 / u32::from(g.compute_slices()))
                                as u16
                        })
                    })
                    .next()
                    .unwrap_or(1000)
            }
        }
    }

    /// Whether it shares a GPU with other jobs.
    #[inline]
    pub fn is_shared(self) -> bool {
        self != GpuShare::Whole
    }
}

/// `Gpus(0)`: a placeholder for vacant slots; validation never lets a job
/// ask for zero GPUs.
impl Default for JobRequest {
    fn default() -> Self {
        JobRequest::Gpus(0)
    }
}

impl JobRequest {
    pub fn total_gpus(self) -> u64 {
        match self {
            JobRequest::Gpus(n) => u64::from(n),
            JobRequest::Nodes {
                count,
                gpus_per_node,
            } => u64::from(count) * u64::from(gpus_per_node),
        }
    }

    /// The fewest nodes it can run on, nodes holding at most
    /// `max_node_gpus` GPUs each: Slurm's `min_nodes` of the job.
    pub fn min_nodes(self, max_node_gpus: u32) -> u32 {
        match self {
            JobRequest::Nodes { count, .. } => count,
            JobRequest::Gpus(n) => n.div_ceil(max_node_gpus.max(1)),
        }
    }
}

impl std::fmt::Display for JobRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            JobRequest::Gpus(n) => write!(f, "{n} GPU{}", if n == 1 { "" } else { "s" }),
            JobRequest::Nodes {
                count,
                gpus_per_node,
            } => write!(
                f,
                "{count} node{} x {gpus_per_node} GPUs",
                if count == 1 { "" } else { "s" }
            ),
        }
    }
}

/// A job as its user submitted it: what it asks for and how long it really
/// runs. What happens to it is recorded elsewhere (`metrics::JobRecord`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubmittedJob {
    /// Index into [`Directory::job_names`].
    pub name: u32,
    pub user: UserId,
    pub account: AccountId,
    pub submit: SimTime,
    pub request: JobRequest,
    /// The true run time, unknown to the scheduler.
    pub runtime: SimDuration,
    /// What the user asked for; the scheduler sees only this.
    pub time_limit: SimDuration,
    /// Index into the scheduler's partitions (0: the default partition).
    pub partition: u16,
    /// Index into the scheduler's QOS list (0: the default QOS).
    pub qos: u16,
    /// Slurm's `--nice`: subtracted from the multifactor priority.
    pub nice: i32,
    /// Index into [`WorkloadSpec::training`] for a training job, whose
    /// true run time is simulated when it starts (`runtime` is then the
    /// estimate on an ideal fabric until the job is placed).
    pub training: Option<u32>,
    /// The job's own id in the trace it was replayed from (SWF job number;
    /// sacct `JobID` without its array or heterogeneous suffix, so the
    /// tasks of an array share it); `None` for jobs from no trace.
    pub trace_id: Option<u64>,
    /// Index into [`WorkloadSpec::policies`]: its checkpoints and recovery
    /// (0: the default policy).
    pub policy: u16,
    /// Whole GPUs, or a fraction or MIG slice of its one GPU.
    pub share: GpuShare,
    /// The GPU types it may run on: an index into the scheduler's node
    /// selectors (`SchedulerConfig::selectors`; 0: any node).
    pub gpu_type: u16,
    /// Its Kubernetes queue (a Kueue LocalQueue or a Volcano queue): an
    /// index into the queueing model's queues (0: the default one).
    pub queue: u16,
    /// Its Kubernetes priority (the PriorityClass or
    /// WorkloadPriorityClass value; 0 if none).
    pub priority: i32,
}

impl SubmittedJob {
    /// How long the job holds its GPUs once started, and whether it ends by
    /// being killed at its time limit (only when limits are enforced).
    pub fn occupancy(&self, kill_at_time_limit: bool) -> (SimDuration, bool) {
        if kill_at_time_limit && self.time_limit < self.runtime {
            (self.time_limit, true)
        } else {
            (self.runtime, false)
        }
    }

    /// When the job would end if it started the moment it was submitted;
    /// `None` when that lies at or beyond the end of representable time
    /// (`SimTime::MAX`), where a run stops with `end_of_time`.
    pub fn solo_end(&self, kill_at_time_limit: bool) -> Option<SimTime> {
        let (occupancy, _) = self.occupancy(kill_at_time_limit);
        (self.submit.as_ns().checked_add(occupancy.as_ns()))
            .filter(|&ns| ns < SimTime::MAX.as_ns())
            .map(SimTime::from_ns)
    }
}

/// A part of a workload that lies at or beyond the end of representable
/// time (`SimTime::MAX`, about 584 years): a run of it would stop there
/// with `end_of_time` before that part is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeyondEndOfTime {
    /// `jobs[index]` of the [`WorkloadSpec`] (explicit, training or
    /// imported from a trace) ends there even if it starts the moment it
    /// is submitted ([`SubmittedJob::solo_end`]).
    Job(usize),
    /// `generators[index]`'s expected last job ends there
    /// ([`GeneratorSpec::expected_end`]).
    Generator(usize),
}

/// A user: an index into [`Directory::users`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u32);

/// An account jobs are charged to: an index into [`Directory::accounts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub u32);

/// The names jobs refer to by index, so that a job is a few plain words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Directory {
    pub users: Vec<String>,
    pub accounts: Vec<String>,
    /// Explicit job names and generator names.
    pub job_names: Vec<String>,
}

impl Directory {
    fn intern(list: &mut Vec<String>, name: &str) -> u32 {
        match list.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                list.push(name.to_string());
                (list.len() - 1) as u32
            }
        }
    }

    /// The id of the user called `name`, added if new.
    pub fn user(&mut self, name: &str) -> UserId {
        UserId(Self::intern(&mut self.users, name))
    }

    /// The id of the account called `name`, added if new.
    pub fn account(&mut self, name: &str) -> AccountId {
        AccountId(Self::intern(&mut self.accounts, name))
    }

    /// The name of a user of this directory.
    pub fn user_name(&self, user: UserId) -> &str {
        &self.users[user.0 as usize]
    }

    /// The name of an account of this directory.
    pub fn account_name(&self, account: AccountId) -> &str {
        &self.accounts[account.0 as usize]
    }

    pub fn job_name(&mut self, name: &str) -> u32 {
        Self::intern(&mut self.job_names, name)
    }
}

/// Largest number of jobs of a workload, over its explicit jobs, its
/// trace's, its training jobs and what its generators are expected to
/// submit. A run keeps a record of every job, about 150 bytes each: at the
/// limit, some 15 GB.
pub const MAX_TOTAL_JOBS: u64 = 100_000_000;

/// A validated workload.
#[derive(Clone, Debug, Default)]
pub struct WorkloadSpec {
    /// Explicit jobs, in file order (not necessarily sorted by submit time).
    pub jobs: Vec<SubmittedJob>,
    pub generators: Vec<GeneratorSpec>,
    pub directory: Directory,
    /// Every (account, user) pair jobs can carry, sorted, each once: the
    /// fairshare associations.
    pub associations: Vec<(AccountId, UserId)>,
    /// What importing the trace kept, dropped and changed, if there is one.
    pub trace_import: Option<TraceImport>,
    /// The training jobs' definitions (explicit jobs refer to them).
    pub training: Vec<TrainingSpec>,
    /// Jobs' reliability settings, referred to by [`SubmittedJob::policy`];
    /// entry 0 is the default (no checkpoints, requeued on node failure
    /// as the cluster says).
    pub policies: Vec<crate::reliability::JobPolicy>,
    /// The trace's resample and estimate noise, drawn per seed when the
    /// run starts ([`JobSource::new`]); `None` replays the trace as
    /// imported.
    pub trace_replication: Option<trace::TraceReplication>,
    /// The GPU types jobs ask for, each a sorted set of GPU model names
    /// (catalog keys of the cluster's groups): job `gpu_type` k > 0 may
    /// run only on nodes whose GPU is one of `gpu_types[k - 1]`.
    pub gpu_types: Vec<Vec<String>>,
    /// The Kubernetes queue names jobs name: job `queue` k > 0 is
    /// `queues[k - 1]` (0: none named, the default queue).
    pub queues: Vec<String>,
}

/// A training job's definition, resolved against the hardware of its
/// partition. The run simulates its steps on the GPUs it is given.
#[derive(Clone, Debug)]
pub struct TrainingSpec {
    pub model: ModelSpec,
    pub layout: Layout,
    pub precision: Precision,
    /// Optimizer steps to run.
    pub steps: u64,
    pub gpu: GpuModel,
    pub node: NodeModel,
    pub gpus_per_node: u32,
    /// The step on a non-blocking fabric, from the analytic model.
    pub ideal: StepReport,
}

impl TrainingSpec {
    /// Tokens one step trains on.
    pub fn tokens_per_step(&self) -> f64 {
        f64::from(self.layout.global_batch) * f64::from(self.model.seq_len)
    }
}

/// The account of a trace import, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceImport {
    pub file: String,
    pub records_read: u64,
    pub kept: u64,
    /// `(reason, jobs)`, in a fixed order.
    pub dropped: Vec<(String, u64)>,
    /// `(what was changed, jobs)`, in a fixed order.
    pub altered: Vec<(String, u64)>,
    /// `(final state, jobs)` of the replayed jobs as the trace records
    /// them (CSV tables, pod phases), sorted by state; empty for SWF and
    /// sacct.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<(String, u64)>,
}

impl WorkloadSpec {
    /// The reliability settings of a job ([`SubmittedJob::policy`]); the
    /// default policy for index 0 when none is listed.
    pub fn policy(&self, index: u16) -> crate::reliability::JobPolicy {
        self.policies
            .get(usize::from(index))
            .copied()
            .unwrap_or_default()
    }

    /// The number of jobs the workload will submit, when it is known in
    /// advance (every generator has a `count` and no `until`).
    pub fn known_job_count(&self) -> Option<u64> {
        self.generators
            .iter()
            .try_fold(self.jobs.len() as u64, |total, g| {
                match (g.count, g.until) {
                    (Some(count), None) => Some(total + count),
                    _ => None,
                }
            })
    }

    /// The first part of the workload known to end at or beyond the end
    /// of representable time, if any: what validation refuses, since a
    /// run of it could only stop with `end_of_time`.
    pub fn first_beyond_end_of_time(&self, kill_at_time_limit: bool) -> Option<BeyondEndOfTime> {
        let job = (self.jobs.iter()).position(|job| job.solo_end(kill_at_time_limit).is_none());
        let generator =
            || (self.generators.iter()).position(|g| g.expected_end(kill_at_time_limit).is_none());
        job.map(BeyondEndOfTime::Job)
            .or_else(|| generator().map(BeyondEndOfTime::Generator))
    }

    /// A rough length of a run of this workload on `total_gpus` GPUs,
    /// from time zero: the later of when its last job would end if it
    /// started at submission ([`SubmittedJob::solo_end`],
    /// [`GeneratorSpec::expected_end`]) and when the cluster, kept busy
    /// from the first submission, would be through all its GPU-time
    /// (generators at their expected count, mean size and mean duration).
    /// Saturates at [`SimDuration::MAX`]. With a horizon, a run lasts at
    /// most the smaller of the two; what periodic work is weighed over
    /// (`SchedulerConfig::periodic_events`).
    pub fn expected_span(&self, total_gpus: u64, kill_at_time_limit: bool) -> SimDuration {
        let mut first_s = f64::INFINITY;
        let mut last_end_s: f64 = 0.0;
        let mut gpu_s = 0.0;
        for job in &self.jobs {
            let (occupancy, _) = job.occupancy(kill_at_time_limit);
            first_s = first_s.min(job.submit.as_secs_f64());
            last_end_s = last_end_s.max(job.submit.as_secs_f64() + occupancy.as_secs_f64());
            gpu_s += occupancy.as_secs_f64() * job.request.total_gpus() as f64;
        }
        for g in &self.generators {
            let end_s = g
                .expected_end(kill_at_time_limit)
                .map_or(f64::INFINITY, SimTime::as_secs_f64);
            first_s = first_s.min(g.start.as_secs_f64());
            last_end_s = last_end_s.max(end_s);
            gpu_s += g.expected_count() as f64 * g.mean_gpu_seconds(kill_at_time_limit);
        }
        if first_s.is_infinite() {
            return SimDuration::ZERO;
        }
        let busy_s = first_s + gpu_s / total_gpus.max(1) as f64;
        SimDuration::from_secs_f64(last_end_s.max(busy_s))
    }

    /// An estimate of how many jobs will be submitted, for progress bars.
    pub fn expected_job_count(&self) -> u64 {
        self.jobs.len() as u64
            + self
                .generators
                .iter()
                .map(GeneratorSpec::expected_count)
                .sum::<u64>()
    }
}

/// Produces the jobs of a workload in submission order.
pub struct JobSource {
    explicit: std::vec::IntoIter<SubmittedJob>,
    generators: Vec<synthetic::GeneratorState>,
    /// The next job of each input: explicit list first, then generators.
    heads: Vec<Option<SubmittedJob>>,
}

impl JobSource {
    pub fn new(spec: &WorkloadSpec, streams: &RngStreams) -> Self {
        let mut explicit = match &spec.trace_replication {
            None => spec.jobs.clone(),
            // The trace's jobs redrawn for this seed, in their place.
            Some(r) => {
                let range = r.jobs.clone();
                let mut jobs = spec.jobs[..range.start].to_vec();
                jobs.extend(r.apply(&spec.jobs[range.clone()], streams));
                jobs.extend_from_slice(&spec.jobs[range.end..]);
                jobs
            }
        };
        explicit.sort_by_key(|job| job.submit); // stable: file order breaks ties
        let mut explicit = explicit.into_iter();
        let mut generators: Vec<_> = spec
            .generators
            .iter()
            .map(|g| synthetic::GeneratorState::new(g.clone(), streams))
            .collect();
        let mut heads = Vec::with_capacity(1 + generators.len());
        heads.push(explicit.next());
        heads.extend(
            generators
                .iter_mut()
                .map(synthetic::GeneratorState::next_job),
        );
        JobSource {
            explicit,
            generators,
            heads,
        }
    }

    /// The next job to be submitted, or `None` when the workload is spent.
    pub fn next_job(&mut self) -> Option<SubmittedJob> {
        // A handful of inputs: a linear scan beats a heap. `min_by_key`
        // returns the first minimum, which gives the documented tie order.
        let (input, _) = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, head)| head.map(|job| (i, job.submit)))
            .min_by_key(|&(_, submit)| submit)?;
        let job = self.heads[input].take();
        self.heads[input] = if input == 0 {
            self.explicit.next()
        } else {
            self.generators[input - 1].next_job()
        };
        job
    }
}

impl Iterator for JobSource {
    type Item = SubmittedJob;
    fn next(&mut self) -> Option<SubmittedJob> {
        self.next_job()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_ending_past_the_end_of_time_is_found_before_a_run() {
        let job = SubmittedJob {
            submit: SimTime::from_ns(u64::MAX - 10),
            runtime: SimDuration::from_ns(100),
            time_limit: SimDuration::from_ns(5),
            ..SubmittedJob::default()
        };
        // Killed at its limit it ends in time; run to its end it does not.
        assert_eq!(job.solo_end(true), Some(SimTime::from_ns(u64::MAX - 5)));
        assert_eq!(job.solo_end(false), None);
        let spec = WorkloadSpec {
            jobs: vec![SubmittedJob::default(), job],
            ..WorkloadSpec::default()
        };
        assert_eq!(spec.first_beyond_end_of_time(true), None);
        assert_eq!(
            spec.first_beyond_end_of_time(false),
            Some(BeyondEndOfTime::Job(1))
        );
        assert_eq!(spec.expected_span(8, false), SimDuration::MAX);
    }

    #[test]
    fn the_expected_span_is_the_last_solo_end_or_the_busy_time_whichever_is_later() {
        let hour = SimDuration::from_secs(3600);
        let job = |submit_h: u64, gpus: u32| SubmittedJob {
            submit: SimTime::ZERO + SimDuration::from_secs(submit_h * 3600),
            request: JobRequest::Gpus(gpus),
            runtime: hour,
            time_limit: hour,
            ..SubmittedJob::default()
        };
        let mut spec = WorkloadSpec::default();
        assert_eq!(spec.expected_span(8, true), SimDuration::ZERO);
        // Two 1-hour jobs at 0 h and 5 h: the last ends at 6 h.
        spec.jobs = vec![job(0, 8), job(5, 8)];
        assert_eq!(
            spec.expected_span(8, true),
            SimDuration::from_secs(6 * 3600)
        );
        // Ten 8-GPU hours at 0 h on 8 GPUs: busy until 10 h.
        spec.jobs = vec![job(0, 8); 10];
        assert_eq!(
            spec.expected_span(8, true),
            SimDuration::from_secs(10 * 3600)
        );
    }
}
