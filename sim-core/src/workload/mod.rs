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
}

impl WorkloadSpec {
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
        let mut explicit = spec.jobs.clone();
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
