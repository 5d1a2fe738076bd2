//! Kueue's configuration as the model holds it: ResourceFlavors,
//! ClusterQueues with their quotas per flavor, preemption and flavor
//! fungibility policies, LocalQueues (`scenario/validate/kueue.rs` builds
//! it; the engine in `mod.rs` reads it).
//!
//! Invariants: every index is valid (a quota's flavor, a local queue's
//! ClusterQueue, a ClusterQueue's cohort); quotas are in thousandths of a
//! GPU (`MILLI`); defaults are Kueue's, documented at each field.

use crate::workload::SubmittedJob;

/// Index into [`KueueConfig::flavors`].
pub type FlavorId = u16;
/// Index into [`KueueConfig::cluster_queues`].
pub type ClusterQueueId = u16;
/// Index into [`KueueConfig::local_queues`] (a job's `queue`).
pub type LocalQueueId = u16;

/// GPU-milli in one GPU.
pub const MILLI: u64 = 1000;

/// A ResourceFlavor: a set of nodes quota can be given for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceFlavor {
    pub name: String,
    /// `nodeLabels` (default: none, every node): here the GPU model of the
    /// flavor's nodes, as the `nvidia.com/gpu.product` label names it.
    pub gpu_type: Option<String>,
}

/// `queueingStrategy` (default BestEffortFIFO).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueingStrategy {
    /// The head blocks its queue until it is admitted.
    StrictFifo,
    /// An inadmissible head is set aside; the next workload is tried.
    #[default]
    BestEffortFifo,
}

/// A preemption policy: `withinClusterQueue` takes `Never`,
/// `LowerPriority` or `LowerOrNewerEqualPriority`; `reclaimWithinCohort`
/// takes `Never`, `LowerPriority` or `Any` (both default `Never`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PreemptionPolicy {
    #[default]
    Never,
    /// Candidates of strictly lower priority.
    LowerPriority,
    /// Lower priority, or equal priority and created later than the
    /// preemptor.
    LowerOrNewerEqualPriority,
    /// Any candidate (only for `reclaimWithinCohort`).
    Any,
}

/// `borrowWithinCohort.policy` (default Never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BorrowWithinCohortPolicy {
    #[default]
    Never,
    /// A preemptor that will borrow may reclaim from lower-priority
    /// workloads of other ClusterQueues.
    LowerPriority,
}

/// `preemption.borrowWithinCohort`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BorrowWithinCohort {
    pub policy: BorrowWithinCohortPolicy,
    /// `maxPriorityThreshold` (default none): only candidates at or below
    /// this priority may be preempted while borrowing.
    pub max_priority_threshold: Option<i32>,
}

/// A ClusterQueue's `preemption` (every policy defaults to Never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterQueuePreemption {
    pub within_cluster_queue: PreemptionPolicy,
    pub reclaim_within_cohort: PreemptionPolicy,
    pub borrow_within_cohort: BorrowWithinCohort,
}

/// A `flavorFungibility` policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FungibilityPolicy {
    /// Stop at this flavor (v1beta1 `Borrow` / `Preempt`, v1beta2
    /// `MayStopSearch`).
    MayStopSearch,
    TryNextFlavor,
}

/// `flavorFungibility`: whether to look at the next flavor when this one
/// needs borrowing or preemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlavorFungibility {
    /// `whenCanBorrow` (default `Borrow`, i.e. MayStopSearch).
    pub when_can_borrow: FungibilityPolicy,
    /// `whenCanPreempt` (default `TryNextFlavor`).
    pub when_can_preempt: FungibilityPolicy,
}

impl Default for FlavorFungibility {
    fn default() -> Self {
        FlavorFungibility {
            when_can_borrow: FungibilityPolicy::MayStopSearch,
            when_can_preempt: FungibilityPolicy::TryNextFlavor,
        }
    }
}

/// One flavor of a ClusterQueue's resource group, for `nvidia.com/gpu`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlavorQuotas {
    pub flavor: FlavorId,
    /// `nominalQuota`, in GPU-milli.
    pub nominal_quota: u64,
    /// `borrowingLimit` (default none: as much as the cohort lends), in
    /// GPU-milli; only with a cohort.
    pub borrowing_limit: Option<u64>,
    /// `lendingLimit` (default none: all of the nominal quota may be
    /// lent), in GPU-milli; only with a cohort, at most `nominal_quota`.
    pub lending_limit: Option<u64>,
}

/// A ClusterQueue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterQueue {
    pub name: String,
    /// `cohort` (default none): index into [`KueueConfig::cohorts`].
    pub cohort: Option<u16>,
    pub queueing_strategy: QueueingStrategy,
    /// The resource group's flavors, in the order they are tried.
    pub flavors: Vec<FlavorQuotas>,
    pub preemption: ClusterQueuePreemption,
    pub flavor_fungibility: FlavorFungibility,
}

/// A LocalQueue: where a namespace's jobs are submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalQueue {
    pub name: String,
    pub namespace: String,
    pub cluster_queue: ClusterQueueId,
}

/// Kueue's objects, valid: every index in range, limits only with a
/// cohort, `lending_limit <= nominal_quota`, each flavor at most once per
/// ClusterQueue, at most `u16::MAX` of each kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KueueConfig {
    pub flavors: Vec<ResourceFlavor>,
    pub cluster_queues: Vec<ClusterQueue>,
    pub local_queues: Vec<LocalQueue>,
    /// Cohort names, each shared by one or more ClusterQueues.
    pub cohorts: Vec<String>,
}

impl KueueConfig {
    /// The index of the LocalQueue `name`: what a job's `queue` holds.
    pub fn queue_index(&self, name: &str) -> Option<LocalQueueId> {
        (self.local_queues.iter().position(|q| q.name == name)).map(|i| i as LocalQueueId)
    }

    /// The ClusterQueue a LocalQueue points to.
    pub fn cluster_queue_of(&self, queue: LocalQueueId) -> ClusterQueueId {
        self.local_queues[usize::from(queue)].cluster_queue
    }
}

/// What a job asks of `nvidia.com/gpu`, in GPU-milli: `1000` per whole
/// GPU, a fraction's `milli`, a MIG slice's share of its GPU's compute.
pub fn request_milli(job: &SubmittedJob) -> u64 {
    job.request.total_gpus() * u64::from(job.share.milli())
}
