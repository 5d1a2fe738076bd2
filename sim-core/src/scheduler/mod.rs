//! Deciding which queued job starts next, and where.
//!
//! This version implements strict FCFS with gang allocation: the oldest
//! queued job starts as soon as all of its GPUs are free, and nothing
//! overtakes it. Later policies (priority orders, backfill) plug in behind
//! the same [`Scheduler::next_start`] call.
//!
//! Invariants:
//! - a job is started at most once and only with its full request granted
//!   (see `allocator`);
//! - the queue holds job indices in submission order; what the scheduler
//!   may use about a job is its request and time limit, never its true
//!   run time.

mod allocator;

pub use allocator::{GpuPool, NeverFits, NodeGpus};

use std::collections::VecDeque;

use crate::hardware::Cluster;
use crate::workload::JobRequest;

/// The order in which queued jobs are considered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueOrder {
    /// First come, first served; the head of the queue blocks the rest.
    #[default]
    Fcfs,
}

/// Scheduler settings from the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedulerConfig {
    pub order: QueueOrder,
    /// Kill a job when it reaches its time limit (Slurm state TIMEOUT).
    /// `false` lets jobs run their true length, as trace replays need.
    pub kill_at_time_limit: bool,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            order: QueueOrder::Fcfs,
            kill_at_time_limit: true,
        }
    }
}

/// Index of a job in the simulation's job table.
pub type JobIndex = u32;

/// The queue and the free GPUs.
pub struct Scheduler {
    config: SchedulerConfig,
    pool: GpuPool,
    queue: VecDeque<JobIndex>,
}

impl Scheduler {
    pub fn new(config: SchedulerConfig, cluster: &Cluster) -> Self {
        Scheduler {
            config,
            pool: GpuPool::new(cluster),
            queue: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &SchedulerConfig {
        &self.config
    }

    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Whether `request` could ever run on this cluster.
    pub fn check_fits_when_idle(&self, request: JobRequest) -> Result<(), NeverFits> {
        self.pool.check_fits_when_idle(request)
    }

    /// Queues a job that can fit when the cluster is idle.
    pub fn enqueue(&mut self, job: JobIndex) {
        self.queue.push_back(job);
    }

    /// The next job to start now, with its GPUs written into `allocation`;
    /// `None` when the policy starts nothing more at this instant.
    /// `request_of` looks a queued job's request up.
    pub fn next_start(
        &mut self,
        request_of: impl Fn(JobIndex) -> JobRequest,
        allocation: &mut Vec<NodeGpus>,
    ) -> Option<JobIndex> {
        match self.config.order {
            QueueOrder::Fcfs => {
                let &head = self.queue.front()?;
                if self.pool.try_allocate(request_of(head), allocation) {
                    self.queue.pop_front()
                } else {
                    None
                }
            }
        }
    }

    /// Frees the GPUs of a job that ended.
    pub fn release(&mut self, allocation: &[NodeGpus]) {
        self.pool.release(allocation);
    }
}
