//! The scheduler's settings, in Slurm's vocabulary.
//!
//! Every knob that Slurm has carries Slurm's name (in `slurm.conf` or
//! `sacctmgr`) in its doc comment, with Slurm's default. The scenario
//! layer fills these from the file and checks them; the types here hold
//! only valid values (non-empty node sets, known QOS indices, ...).

use super::allocator::NodeSet;
use super::fairshare::{AccountSpec, FairshareAlgorithm, UsageReset};
use super::priority::MultifactorWeights;
use super::volcano::VolcanoConfig;
use crate::engine::SimDuration;

/// The order in which queued jobs are considered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueOrder {
    /// By submission (Slurm's `PriorityType=priority/basic`).
    #[default]
    Fcfs,
    /// Slurm's `priority/multifactor`: highest priority first, ties by
    /// submission.
    Multifactor,
    /// Shortest requested time first, ties by submission.
    Sjf,
}

/// Which backfilling the scheduler does behind its priority order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backfill {
    /// The first job that cannot start blocks every later one (in its
    /// partition).
    #[default]
    None,
    /// EASY (Lifka 1995): only the first blocked job gets a reservation;
    /// later jobs may start now if they do not delay it.
    Easy,
    /// Conservative: every blocked job, in priority order, gets the
    /// earliest reservation that delays no earlier one (Mu'alem &
    /// Feitelson 2001). This is what Slurm's `sched/backfill` does for the
    /// jobs it tests.
    Conservative,
    /// What slurmctld 22.05's `sched/backfill` actually does
    /// (`slurm_backfill.rs`): reservations remove whole nodes from a
    /// node-space map while running jobs count per GPU, expected starts
    /// free running jobs in 30-s batches, reservations are pinned to
    /// nodes, and the main scheduler (on events, 1 s after a submission,
    /// every `sched_interval`) and the backfill cycle (every
    /// `bf_interval`) are separate passes.
    Slurm,
}

/// Slurm's `SchedulerParameters` for `sched/backfill` (and the main
/// scheduler's `sched_interval`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackfillParams {
    /// `bf_interval` (Slurm default 30 s): time between backfill cycles.
    /// Zero runs a cycle at every scheduling pass, as trace-replay studies
    /// assume.
    pub interval: SimDuration,
    /// `bf_window` (Slurm default 1440 min = 1 day): how far ahead
    /// reservations are planned; a job that cannot start within it gets no
    /// reservation.
    pub window: SimDuration,
    /// `bf_resolution` (Slurm default 60 s): time limits and expected ends
    /// are rounded up to a multiple of this.
    pub resolution: SimDuration,
    /// `bf_max_job_test` (Slurm default 500): jobs tested per cycle.
    pub max_job_test: u32,
    /// `sched_interval` (Slurm default 60 s): the main scheduler's full
    /// pass runs this often whatever happens. Used by [`Backfill::Slurm`]
    /// only; the classic modes run the main pass on every event.
    pub sched_interval: SimDuration,
    /// `bf_continue` (Slurm default off): a cycle that hit `max_job_test`
    /// resumes, next cycle, after the last job it tested instead of at the
    /// top of the queue. (In Slurm the flag lets a cycle continue after it
    /// releases its locks; cycles here are instantaneous, so its effect is
    /// modelled as reaching deeper into the queue over successive cycles.)
    pub continue_after_limit: bool,
}

impl Default for BackfillParams {
    fn default() -> Self {
        BackfillParams {
            interval: SimDuration::from_secs(30),
            window: SimDuration::from_secs(24 * 3600),
            resolution: SimDuration::from_secs(60),
            max_job_test: 500,
            sched_interval: SimDuration::from_secs(60),
            continue_after_limit: false,
        }
    }
}

/// Multifactor priority and fairshare settings.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityParams {
    pub weights: MultifactorWeights,
    /// `PriorityCalcPeriod` (Slurm default 5 min): how often usage is
    /// charged and decayed and priorities are recomputed.
    pub calc_period: SimDuration,
    /// `PriorityDecayHalfLife` (Slurm default 7 days; 0 = no decay).
    pub decay_half_life: SimDuration,
    /// `PriorityUsageResetPeriod` (Slurm default NONE).
    pub usage_reset: UsageReset,
    /// Fair Tree (Slurm's default since 19.05) or the classic algorithm.
    pub fairshare: FairshareAlgorithm,
}

impl Default for PriorityParams {
    fn default() -> Self {
        PriorityParams {
            weights: MultifactorWeights::default(),
            calc_period: SimDuration::from_secs(300),
            decay_half_life: SimDuration::from_secs(7 * 24 * 3600),
            usage_reset: UsageReset::None,
            fairshare: FairshareAlgorithm::FairTree,
        }
    }
}

/// A Slurm partition: a set of nodes with limits and a priority.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub name: String,
    pub nodes: NodeSet,
    /// `DefaultTime`: the time limit of a job that gives none (see
    /// [`Partition::limit_of_unlimited_job`]).
    pub default_time: Option<SimDuration>,
    /// `MaxTime`: a job asking for more waits forever with reason
    /// `PartitionTimeLimit`, or is refused at submission, as
    /// [`EnforcePartLimits`] says.
    pub max_time: Option<SimDuration>,
    /// `MaxNodes`: per job; over it, as `MaxTime` (`PartitionNodeLimit`).
    pub max_nodes: Option<u32>,
    /// `PriorityJobFactor` (Slurm default 1): the partition factor of the
    /// multifactor priority, normalised by the largest one.
    pub priority_job_factor: u32,
    /// `PriorityTier` (Slurm default 1): with `PreemptType=partition_prio`,
    /// jobs in a higher tier preempt jobs in lower tiers.
    pub priority_tier: u32,
    /// `GraceTime` for jobs of this partition when they are preempted.
    pub grace_time: SimDuration,
}

/// How long Slurm plans and expects a job with an infinite time limit to
/// run: a year (`YEAR_MINUTES` in `src/plugins/sched/backfill/backfill.c`;
/// `job_end_time_reset()` in `src/slurmctld/job_mgr.c`, "365 * 24 * 60 *
/// 60").
pub const INFINITE_TIME_LIMIT: SimDuration = SimDuration::from_secs(365 * 24 * 3600);

impl Partition {
    /// The time limit of a job that gives none: `DefaultTime`, else
    /// `MaxTime`, as Slurm's `select_nodes()` sets it
    /// (`src/slurmctld/node_scheduler.c`), else, both being INFINITE (their
    /// default), [`INFINITE_TIME_LIMIT`]. Never the job's true run time,
    /// which the scheduler cannot know. (Slurm never kills a job with an
    /// infinite limit; here it would be killed after a year.)
    pub fn limit_of_unlimited_job(&self) -> SimDuration {
        self.default_time
            .or(self.max_time)
            .unwrap_or(INFINITE_TIME_LIMIT)
    }
}

/// A Slurm QOS.
#[derive(Clone, Debug, PartialEq)]
pub struct Qos {
    pub name: String,
    /// `Priority` (default 0): the QOS factor, normalised by the largest.
    pub priority: u32,
    /// `MaxTRESPerUser=gres/gpu=N`: GPUs one user may hold at once.
    pub max_gpus_per_user: Option<u64>,
    /// `GrpTRES=gres/gpu=N`: GPUs all jobs of the QOS may hold at once.
    pub grp_gpus: Option<u64>,
    /// `Preempt`: indices of the QOS this one may preempt.
    pub preempt: Vec<u16>,
    /// `GraceTime` for jobs of this QOS when they are preempted.
    pub grace_time: SimDuration,
}

/// A cycle of QOS that preempt one another, if there is one: indices into
/// `qos`, each preempting the next and the last the first (`[i]` for a
/// QOS that lists itself). The cycle through the lowest index on one, and
/// the shortest through it, so the answer is the same for the same list.
///
/// Jobs of QOS on a cycle would take their GPUs back from each other
/// forever (each preempted job is requeued and preempts its preemptor in
/// turn), so a scenario with one is refused; the scheduler, as a
/// backstop, never preempts along a cycle (`acyclic_preempt_lists`).
/// Slurm's `sacctmgr` likewise refuses a QOS that would create a
/// preemption loop.
pub fn preemption_cycle(qos: &[Qos]) -> Option<Vec<usize>> {
    (0..qos.len()).find_map(|q| preemption_chain(qos, q, q))
}

/// Each QOS's `Preempt` list without the entries that lie on a cycle
/// ([`preemption_cycle`]): `a` keeps `b` only if no chain of `Preempt`
/// lists leads from `b` back to `a`. Equal to the lists when there is no
/// cycle, which validation guarantees for scenarios.
pub(super) fn acyclic_preempt_lists(qos: &[Qos]) -> Vec<Vec<u16>> {
    (0..qos.len())
        .map(|a| {
            (qos[a].preempt.iter().copied())
                .filter(|&b| preemption_chain(qos, usize::from(b), a).is_none())
                .collect()
        })
        .collect()
}

/// The shortest chain of QOS from `from` whose `Preempt` lists lead to
/// `to`: `from` first, each preempting the next, the last preempting
/// `to` (which is not in the chain). Breadth-first, lists in order.
fn preemption_chain(qos: &[Qos], from: usize, to: usize) -> Option<Vec<usize>> {
    let mut parent: Vec<Option<usize>> = vec![None; qos.len()];
    let mut seen = vec![false; qos.len()];
    seen[from] = true;
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(q) = queue.pop_front() {
        for next in qos[q].preempt.iter().map(|&n| usize::from(n)) {
            if next == to {
                let mut chain = vec![q];
                while let Some(p) = parent[*chain.last().expect("not empty")] {
                    chain.push(p);
                }
                chain.reverse();
                return Some(chain);
            }
            if !seen[next] {
                seen[next] = true;
                parent[next] = Some(q);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Slurm's `PreemptType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PreemptType {
    /// `preempt/none` (Slurm default).
    #[default]
    None,
    /// `preempt/qos`: a job may preempt jobs of the QOS its QOS lists.
    Qos,
    /// `preempt/partition_prio`: a job may preempt jobs of partitions with
    /// a lower `PriorityTier` on the nodes it needs.
    PartitionPriority,
}

/// Slurm's `PreemptMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PreemptMode {
    /// The victim goes back to the queue and restarts from scratch; the
    /// work it had done is lost (and counted).
    #[default]
    Requeue,
    /// The victim ends in state PREEMPTED.
    Cancel,
}

/// Slurm's `EnforcePartLimits`: what becomes of a job over its
/// partition's `MaxTime` or `MaxNodes` (slurm.conf(5)). A job names one
/// partition here, so `Any` and `All` behave alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnforcePartLimits {
    /// `NO` (Slurm default): "the job will be accepted and remain queued
    /// until the partition limits are altered", with reason
    /// `PartitionTimeLimit` or `PartitionNodeLimit`. Partitions never
    /// change during a run, so it waits to the end.
    #[default]
    No,
    /// `ANY`: rejected at submission unless it fits one of its partitions.
    Any,
    /// `ALL`: rejected at submission unless it fits all its partitions.
    All,
}

/// A leaf switch and the nodes cabled to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafSwitch {
    pub name: String,
    pub nodes: Vec<u32>,
}

/// Everything the scheduler is configured with.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerConfig {
    pub order: QueueOrder,
    pub backfill: Backfill,
    pub backfill_params: BackfillParams,
    /// Kill a job when it reaches its time limit (Slurm state TIMEOUT).
    /// `false` lets jobs run their true length, as trace replays need.
    pub kill_at_time_limit: bool,
    /// All of a job's GPUs at once (Slurm, Volcano, Kueue). `false` places
    /// a multi-node job's pods one at a time as they fit, holding what they
    /// get, as the default Kubernetes scheduler does.
    pub gang: bool,
    pub priority: PriorityParams,
    /// Never empty: a scenario without partitions gets one over all nodes.
    pub partitions: Vec<Partition>,
    /// Never empty: a scenario without QOS gets `normal`.
    pub qos: Vec<Qos>,
    /// The association tree; empty means flat (every account equal).
    pub accounts: Vec<AccountSpec>,
    pub preempt_type: PreemptType,
    pub preempt_mode: PreemptMode,
    pub enforce_part_limits: EnforcePartLimits,
    /// Leaf switches; empty means no topology-aware placement.
    pub topology: Vec<LeafSwitch>,
    /// NVIDIA's GPU time-slicing (`sharing.timeSlicing` of the GPU
    /// operator's device plugin config): each GPU advertised as
    /// `replicas` GPUs. `None`: every GPU is whole or shared in isolated
    /// fractions and MIG slices.
    pub time_slicing: Option<TimeSlicing>,
    /// Kueue's admission model (`kueue/`): ResourceFlavors,
    /// ClusterQueues, cohorts and LocalQueues. `None`: no Kueue.
    pub kueue: Option<super::kueue::KueueConfig>,
    /// Volcano's queues (`crate::scheduler::volcano`): weights, capabilities,
    /// reclaim and node order. `None`: no Volcano.
    pub volcano: Option<VolcanoConfig>,
}

/// GPU time-slicing: one-GPU jobs share GPUs, up to `replicas` to a GPU,
/// and slow each other (see `sharing.rs` for where they go and
/// `simulation/time_slicing.rs` for the slowdown model).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeSlicing {
    /// The device plugin's `replicas`: tenants per GPU at most.
    pub replicas: u32,
    /// The share of a GPU's time lost to switching contexts while two or
    /// more tenants are active (0 by default: an assumption to set).
    pub switch_overhead: f64,
}

impl SchedulerConfig {
    /// How many periodic events (backfill cycles every `bf_interval`,
    /// full main passes every `sched_interval` with [`Backfill::Slurm`],
    /// priority recalculations every `PriorityCalcPeriod` under
    /// multifactor order) a run handles over `span`, saturating. An upper
    /// bound: backfill cycles tick only while jobs wait, recalculations
    /// while jobs wait or run. What validation weighs a tiny period by: a
    /// run's events are these plus a few per job.
    pub fn periodic_events(&self, span: SimDuration) -> u64 {
        let every = |period: SimDuration| span.as_ns() / period.as_ns().max(1);
        let interval = self.backfill_params.interval;
        let backfill = if self.backfill != Backfill::None && !interval.is_zero() {
            every(interval)
        } else {
            0
        };
        let priority = if self.order == QueueOrder::Multifactor {
            every(self.priority.calc_period)
        } else {
            0
        };
        let main = if self.backfill == Backfill::Slurm {
            every(self.backfill_params.sched_interval)
        } else {
            0
        };
        let volcano = if self.volcano.is_some() {
            every(super::volcano_pass::SCHEDULE_PERIOD)
        } else {
            0
        };
        (backfill.saturating_add(priority).saturating_add(main)).saturating_add(volcano)
    }

    /// Strict FCFS over one partition of `node_count` nodes.
    pub fn fcfs(node_count: usize) -> Self {
        SchedulerConfig {
            order: QueueOrder::Fcfs,
            backfill: Backfill::None,
            backfill_params: BackfillParams::default(),
            kill_at_time_limit: true,
            gang: true,
            priority: PriorityParams::default(),
            partitions: vec![Partition {
                name: "default".into(),
                nodes: NodeSet::all(node_count),
                default_time: None,
                max_time: None,
                max_nodes: None,
                priority_job_factor: 1,
                priority_tier: 1,
                grace_time: SimDuration::ZERO,
            }],
            qos: vec![Qos {
                name: "normal".into(),
                priority: 0,
                max_gpus_per_user: None,
                grp_gpus: None,
                preempt: Vec::new(),
                grace_time: SimDuration::ZERO,
            }],
            accounts: Vec::new(),
            preempt_type: PreemptType::None,
            preempt_mode: PreemptMode::Requeue,
            enforce_part_limits: EnforcePartLimits::No,
            topology: Vec::new(),
            volcano: None,
            time_slicing: None,
            kueue: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QOS named by their index, each with its `Preempt` list.
    fn qos(preempt: &[&[u16]]) -> Vec<Qos> {
        (preempt.iter().enumerate())
            .map(|(i, list)| Qos {
                name: format!("q{i}"),
                preempt: list.to_vec(),
                ..SchedulerConfig::fcfs(1).qos[0].clone()
            })
            .collect()
    }

    #[test]
    fn preemption_cycles_are_found_with_their_members_in_order() {
        assert_eq!(preemption_cycle(&qos(&[])), None);
        // A chain is no cycle.
        assert_eq!(preemption_cycle(&qos(&[&[1, 2], &[2], &[]])), None);
        // Two QOS that preempt each other.
        assert_eq!(preemption_cycle(&qos(&[&[1], &[0]])), Some(vec![0, 1]));
        // A QOS that preempts itself.
        assert_eq!(preemption_cycle(&qos(&[&[], &[1]])), Some(vec![1]));
        // 0 -> 1 -> 2 -> 0, and a shortcut 0 -> 2: the shortest through 0.
        assert_eq!(
            preemption_cycle(&qos(&[&[1, 2], &[2], &[0]])),
            Some(vec![0, 2])
        );
        // A cycle not through 0, reached from it: 1 -> 3 -> 2 -> 1.
        assert_eq!(
            preemption_cycle(&qos(&[&[1], &[3], &[1], &[2]])),
            Some(vec![1, 3, 2])
        );
    }

    #[test]
    fn periodic_events_count_each_timer_that_ticks() {
        let day = SimDuration::from_secs(86_400);
        let mut config = SchedulerConfig::fcfs(1);
        assert_eq!(config.periodic_events(day), 0);
        // Slurm's defaults: bf_interval 30 s, PriorityCalcPeriod 5 min.
        config.backfill = Backfill::Easy;
        assert_eq!(config.periodic_events(day), 2_880);
        config.order = QueueOrder::Multifactor;
        assert_eq!(config.periodic_events(day), 2_880 + 288);
        // A zero interval backfills at every pass, with no timer.
        config.backfill_params.interval = SimDuration::ZERO;
        assert_eq!(config.periodic_events(day), 288);
        config.priority.calc_period = SimDuration::from_ns(1);
        assert_eq!(config.periodic_events(day), 86_400 * 1_000_000_000);
        assert_eq!(config.periodic_events(SimDuration::MAX), u64::MAX);
        // Slurm's passes: backfill every 30 s and the main scheduler
        // every sched_interval (60 s), priorities every 5 min.
        let mut slurm = SchedulerConfig::fcfs(1);
        slurm.backfill = Backfill::Slurm;
        slurm.order = QueueOrder::Multifactor;
        assert_eq!(slurm.periodic_events(day), 2_880 + 1_440 + 288);
    }

    #[test]
    fn the_scheduler_preempts_only_along_edges_off_every_cycle() {
        // 0 <-> 1 on a cycle, both preempt 2, which preempts nothing.
        let lists = acyclic_preempt_lists(&qos(&[&[1, 2], &[0, 2], &[]]));
        assert_eq!(lists, [vec![2], vec![2], vec![]]);
        // A three-cycle loses all three edges; the chain 3 -> 0 stays.
        let lists = acyclic_preempt_lists(&qos(&[&[1], &[2], &[0], &[0]]));
        assert_eq!(lists, [vec![], vec![], vec![], vec![0]]);
        // Without a cycle nothing changes.
        let acyclic = qos(&[&[1, 2], &[2], &[]]);
        let lists = acyclic_preempt_lists(&acyclic);
        assert!(lists.iter().zip(&acyclic).all(|(l, q)| *l == q.preempt));
    }
}
