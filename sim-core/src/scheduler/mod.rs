//! Deciding which queued jobs start, where, and which running jobs make
//! room for them: Slurm's scheduling semantics on a simulated clock.
//!
//! A scheduling pass ([`Scheduler::schedule`]) has two phases, as Slurm's
//! `sched/builtin` main loop and `sched/backfill` plugin do:
//! 1. the main phase walks the queue in priority order and starts each job
//!    that fits now; the first job that does not fit blocks the rest of
//!    its partition (and may pick preemption victims, `preemption.rs`);
//! 2. the backfill phase (`backfill.rs`: EASY or conservative, every pass
//!    when `bf_interval` is zero, else at most once per interval) plans
//!    reservations in an availability profile (`profile.rs`) built from
//!    requested time limits and starts later jobs that delay no
//!    reservation.
//!
//! With [`Backfill::Slurm`] the two phases are separate passes, as in
//! slurmctld: the main phase runs on events and every `sched_interval`,
//! the backfill cycle (`slurm_backfill.rs`, over a node-space map of
//! whole-node reservations, `node_space.rs`) alone every `bf_interval`,
//! and jobs are placed by Slurm's node selection (`cons_tres.rs`).
//!
//! Without gang scheduling (`gang: false`) a pass instead places one pod
//! per job per round, round-robin over the queue, and a job starts once all
//! its pods are placed, which is how partial allocations deadlock
//! (`pods.rs`).
//!
//! With a power budget ([`Scheduler::set_power_budget`]) every start is
//! also gated by the facility power cap: a job whose budget does not fit
//! the headroom the running jobs leave does not start, and blocks its
//! partition as a job that does not fit (`power_cap.rs`).
//!
//! Where things are: this file holds the [`Scheduler`], its queue, and
//! starting and ending jobs. `backfill.rs`, `preemption.rs`, `pods.rs`,
//! `limits.rs` (partition and QOS limits), `multifactor.rs`
//! (priorities and fair-share usage), `power_cap.rs` (the power cap) and
//! `nodes.rs` (node states, hot spares, and what failures do to
//! allocations) extend it with
//! `impl Scheduler` blocks over the same private fields. `config.rs` holds
//! the settings, `allocator.rs` GPU placement, `profile.rs` the
//! availability profile, and `priority.rs` and `fairshare.rs` Slurm's
//! multifactor formula and fair-share tree as pure functions.
//!
//! Invariants:
//! - a job is started at most once per queueing and only with its full
//!   request granted (see `allocator`);
//! - what the scheduler knows of a job is its request, time limit,
//!   partition, QOS and owner, never its true run time;
//! - the queue is kept sorted by the configured order, ties by submission
//!   time then job index, so passes are deterministic;
//! - `queue_gpus` mirrors the queue entry by entry (a started entry reads
//!   `STARTED` until the pass drops it);
//! - a reservation is a GPU count per partition, not a node list (see
//!   `backfill.rs`), except with [`Backfill::Slurm`], whose reservations
//!   pin whole nodes (`node_space.rs`);
//! - no job is placed on a node out of service (DOWN, DRAINING, DRAINED,
//!   or a hot spare), and reservations count only GPUs in service
//!   (`nodes.rs`);
//! - the running jobs' power budgets never sum above the power budget's
//!   headroom (`power_cap.rs`).

mod allocator;
mod backfill;
mod config;
mod cons_tres;
pub mod fairshare;
mod fragmentation;
pub mod kueue;
mod kueue_pass;
mod limits;
mod multifactor;
mod node_space;
mod nodes;
mod pods;
mod power_cap;
mod preemption;
pub mod priority;
mod profile;
mod queueing;
mod sharing;
mod slurm_backfill;
pub mod volcano;
mod volcano_pass;

pub use allocator::{GpuPool, NeverFits, NodeGpus, NodeSet};
pub use config::{
    Backfill, BackfillParams, EnforcePartLimits, INFINITE_TIME_LIMIT, LeafSwitch, Partition,
    PreemptMode, PreemptType, PriorityParams, Qos, QueueOrder, SchedulerConfig, TimeSlicing,
    preemption_cycle,
};
use fairshare::UserAssoc;
use fragmentation::Fragmentation;
pub use fragmentation::TaskShape;
pub use limits::{PendingReason, partition_limit_exceeded};
use multifactor::Fairshare;
pub use nodes::NodeState;
use nodes::NodeStates;
pub use power_cap::PowerBudget;
use power_cap::{Attempt, PowerState};
use profile::{Profile, round_up};
pub use sharing::SharePlace;
use sharing::Sharing;
use slurm_backfill::SlurmState;
pub use slurm_backfill::{SLURMCTLD_PHASE, SLURMCTLD_WAKEUP, SLURMD_LAUNCH};

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{SimDuration, SimTime};
use crate::hardware::Cluster;
use crate::workload::{AccountId, Directory, GpuShare, SubmittedJob, UserId};

/// Index of a job in the simulation's job table.
pub type JobIndex = u32;

/// `queue_gpus` entry of a job that started in the current pass.
const STARTED: u64 = u64::MAX;

/// How long after a requeue a job becomes eligible again: Slurm's
/// `batch_requeue_fini()` (`src/slurmctld/job_mgr.c`) sets the job's begin
/// time to `now + cred_lifetime + 1`, the job credential's expiry window
/// (`AuthInfo=cred_expire`, default 120 s, `DEFAULT_EXPIRATION_WINDOW` in
/// `src/common/slurm_cred.c`), so the revoked credential has expired on
/// the nodes before the job runs again. Slurm 22.05 to 25.11; 26.05 names
/// it `SchedulerParameters=requeue_delay`, with the same default.
pub const REQUEUE_DELAY: SimDuration = SimDuration::from_secs(120 + 1);

/// A running job's handle: its slot and the slot's generation when the
/// job took it. A slot is reused once its job ends, with the generation
/// bumped, so a handle kept past its job's end (an event planned for it)
/// is recognised as stale ([`Scheduler::is_current`]) and never reaches
/// the slot's next occupant. Eight bytes and `Copy`, for event payloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotRef {
    slot: u32,
    generation: u32,
}

impl SlotRef {
    /// The slot, dense in `0..slots`; reused after the job ends.
    pub fn slot(self) -> u32 {
        self.slot
    }

    /// The handle in one word (slot high, generation low), for tags such
    /// as a flow's; [`SlotRef::from_bits`] reads it back.
    pub fn to_bits(self) -> u64 {
        (u64::from(self.slot) << 32) | u64::from(self.generation)
    }

    /// The handle [`SlotRef::to_bits`] packed.
    pub fn from_bits(bits: u64) -> Self {
        SlotRef {
            slot: (bits >> 32) as u32,
            generation: bits as u32,
        }
    }
}

/// What a pass decided; the simulation carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The job now in `slot` starts (see [`Scheduler::running`]).
    Start { slot: SlotRef },
    /// The job in `slot` is preempted: stop it after `grace`.
    Preempt { slot: SlotRef, grace: SimDuration },
}

/// A job holding GPUs.
#[derive(Clone, Debug, Default)]
pub struct RunningJob {
    pub job: JobIndex,
    pub ticket: SubmittedJob,
    pub start: SimTime,
    pub allocation: Vec<NodeGpus>,
    /// Leaf switches the allocation spans (0 without a topology).
    pub leaf_switches: u32,
    /// GPUs of `allocation` ([`RunningJob::gpus`]).
    gpus: u64,
    /// Started by the backfill phase, ahead of a higher-priority job.
    pub backfilled: bool,
    /// Start + time limit rounded up to `bf_resolution`: when the
    /// backfill profile expects the GPUs back.
    planned_end: SimTime,
    active: bool,
    preempting: bool,
    preempted_for: Option<JobIndex>,
    charged_until: SimTime,
    /// The fair-share association it charges (multifactor order only).
    assoc: Option<UserAssoc>,
    /// Bumped each time the slot is vacated, so handles of an earlier
    /// occupant are recognised as stale ([`SlotRef`]).
    generation: u32,
    /// Its power budget in milliwatts, reserved from its start to its
    /// end (0 without a power budget; `power_cap.rs`).
    power_mw: u64,
    /// A shared job's GPU and MIG placement (`sharing.rs`).
    pub share: SharePlace,
    /// Whole GPUs it took out of the pool when it started: its GPUs, or
    /// for a shared job 1 if its GPU had no tenant before, else 0.
    pub pool_gpus: u64,
    /// The Kueue ResourceFlavor it was admitted in (0 without Kueue).
    pub kueue_flavor: u16,
}

impl RunningJob {
    /// It was chosen as a preemption victim and is in its grace time: it
    /// will leave as a preempted job however it ends (Slurm's
    /// `GRACE_PREEMPT`, see `preemption.rs`).
    pub fn is_being_preempted(&self) -> bool {
        self.preempting
    }

    /// The facility power it has reserved under the power cap, in
    /// milliwatts: its budget at its start, held at that full size until
    /// it ends whatever recovery does to its allocation (0 without a
    /// power budget; see [`Scheduler::set_power_budget`]).
    pub fn power_budget_mw(&self) -> u64 {
        self.power_mw
    }
}

/// How a running job left its slot.
#[derive(Clone, Copy, Debug)]
pub struct Ended {
    pub job: JobIndex,
    pub ticket: SubmittedJob,
    pub start: SimTime,
    pub gpus: u64,
    pub was_preempted: bool,
    /// Whole GPUs that went back to the pool: its GPUs, or for a shared
    /// job 1 if it was its GPU's last tenant, else 0.
    pub pool_gpus: u64,
}

/// Counters a run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    pub backfill_cycles: u64,
    /// Jobs started by the backfill phase ahead of a blocked job.
    pub backfilled_jobs: u64,
    pub preemptions: u64,
    /// Starts the power cap refused: jobs that could be placed but whose
    /// power budget did not fit, each counted at most once per pass.
    pub power_refusals: u64,
}

#[derive(Clone, Debug)]
struct Queued {
    job: JobIndex,
    ticket: SubmittedJob,
    /// The fair-share association it charges (multifactor order only).
    assoc: Option<UserAssoc>,
    priority: u32,
    /// Without gang scheduling: GPUs of the pods placed so far.
    held: Vec<NodeGpus>,
    pods_placed: u32,
    /// Its time limit rounded up to `bf_resolution`: how long backfilling
    /// plans for it (computed once; the rounding divides). Exactly its
    /// time limit with [`Backfill::Slurm`], which rounds reservations,
    /// not limits.
    planned: SimDuration,
    /// When it became eligible: its submission, or its new begin time
    /// after a requeue. The age factor counts from here (Slurm's
    /// `accrue_time`).
    eligible: SimTime,
    /// Victims this job is waiting for; no new preemption meanwhile.
    awaiting_victims: u32,
    /// It preempted jobs and has not started yet: it goes first, so the
    /// GPUs it freed are not taken by jobs ahead of it in the queue order
    /// (such as its own requeued victims under FCFS).
    preemptor: bool,
    /// The last pass whose power cap refused it (0: none), so a refusal
    /// counts once per pass.
    power_refused_pass: u64,
}

/// The queue, the free GPUs and the running jobs.
pub struct Scheduler {
    config: SchedulerConfig,
    pool: GpuPool,
    scratch_pool: GpuPool,
    scratch_alloc: Vec<NodeGpus>,
    queue: VecDeque<Queued>,
    /// Requeued jobs waiting for their begin time, by begin time (every
    /// requeue adds the same delay, so arrival order is time order).
    requeued: VecDeque<(SimTime, JobIndex, SubmittedJob)>,
    /// The GPUs each queue entry asks for ([`STARTED`] once started), in
    /// queue order: backfill scans this compact copy, not the entries.
    queue_gpus: VecDeque<u64>,
    /// Queue positions started in the current pass.
    started_this_pass: Vec<usize>,
    running: Vec<RunningJob>,
    free_slots: Vec<u32>,
    profiles: Vec<Profile>,
    profile_ready: Vec<bool>,
    blocked_partition: Vec<bool>,
    /// Running GPUs per QOS, and per (QOS, user) when limits need them.
    qos_gpus: Vec<u64>,
    user_qos_gpus: BTreeMap<(u16, UserId), u64>,
    /// `bf_continue`: the queue key after which the next cycle resumes.
    resume_after: Option<(u64, u64, u32)>,
    fairshare: Option<Fairshare>,
    cluster_gpus: u64,
    cluster_nodes: u32,
    max_node_gpus: u32,
    max_partition_factor: u32,
    max_qos_priority: u32,
    victims: Vec<u32>,
    /// Each QOS's `Preempt` list less the entries on a cycle (see
    /// `preemption.rs`).
    qos_preempt: Vec<Vec<u16>>,
    /// Queued jobs that preempted others and have not started.
    preemptors_waiting: u32,
    /// `(planned end, slot)` of running jobs, sorted, so that building a
    /// profile needs no sort (kept only when backfilling EASY or
    /// conservative; [`Backfill::Slurm`] keeps its own order).
    planned_ends: Vec<(SimTime, u32)>,
    /// How many queued, not yet started jobs ask for each GPU count.
    queued_sizes: BTreeMap<u64, u32>,
    has_qos_limits: bool,
    /// The node-space map and buffers of [`Backfill::Slurm`].
    slurm: SlurmState,
    /// Node states and hot spares (`nodes.rs`).
    nodes: NodeStates,
    /// The power cap, its budget in use and what it cost (`power_cap.rs`).
    power: PowerState,
    /// GPUs shared in fractions or MIG slices (`sharing.rs`).
    sharing: Sharing,
    /// Kueue's engine and its pass's buffers (`kueue_pass.rs`).
    kueue: kueue_pass::KueueState,
    /// Volcano's engine and its session's buffers (`volcano_pass.rs`).
    volcano: volcano_pass::VolcanoState,
    /// Allocated and fragmented GPU capacity (`fragmentation.rs`), when
    /// measured ([`Scheduler::measure_fragmentation`]).
    fragmentation: Option<Fragmentation>,
    /// Nodes of each GPU type jobs ask for (entry 0: every node), and a
    /// scratch set for a partition's nodes of one type.
    gpu_types: Vec<NodeSet>,
    scratch_set: NodeSet,
    stats: SchedulerStats,
}

impl Scheduler {
    /// `directory` and `associations` are those of the workload whose
    /// jobs will be queued ([`crate::workload::WorkloadSpec`]); with
    /// multifactor priority, every (account, user) pair in
    /// `associations` that the configured tree lacks joins it with
    /// Slurm's default `Fairshare=1`.
    pub fn new(
        config: SchedulerConfig,
        cluster: &Cluster,
        directory: &Directory,
        associations: &[(AccountId, UserId)],
    ) -> Self {
        let mut pool = GpuPool::new(cluster);
        if !config.topology.is_empty() {
            let mut leaf_of = vec![0u32; cluster.node_count()];
            for (leaf, switch) in config.topology.iter().enumerate() {
                for &node in &switch.nodes {
                    leaf_of[node as usize] = leaf as u32;
                }
            }
            pool = pool.with_topology(leaf_of);
        }
        // NVLink domains of several nodes (NVL72 racks) are Slurm blocks:
        // multi-node jobs go inside one when it fits (allocator.rs).
        if let Some(block_of) = GpuPool::blocks_of(cluster) {
            pool = pool.with_blocks(block_of);
        }
        let fairshare = (config.order == QueueOrder::Multifactor).then(|| {
            Fairshare::new(&config.accounts, directory, associations)
                .expect("the scenario validated the account tree")
        });
        let partitions = config.partitions.len();
        let max_node_gpus = cluster.nodes.iter().map(|n| n.gpus).max().unwrap_or(0);
        Scheduler {
            nodes: NodeStates::new(&pool, &config.partitions, max_node_gpus),
            scratch_pool: pool.clone(),
            cluster_gpus: pool.total_gpus(),
            cluster_nodes: cluster.node_count() as u32,
            max_node_gpus,
            pool,
            scratch_alloc: Vec::new(),
            queue: VecDeque::new(),
            requeued: VecDeque::new(),
            queue_gpus: VecDeque::new(),
            started_this_pass: Vec::new(),
            running: Vec::new(),
            free_slots: Vec::new(),
            profiles: vec![Profile::default(); partitions],
            profile_ready: vec![false; partitions],
            blocked_partition: vec![false; partitions],
            qos_gpus: vec![0; config.qos.len()],
            user_qos_gpus: BTreeMap::new(),
            resume_after: None,
            fairshare,
            max_partition_factor: config
                .partitions
                .iter()
                .map(|p| p.priority_job_factor)
                .max()
                .unwrap_or(1),
            max_qos_priority: config.qos.iter().map(|q| q.priority).max().unwrap_or(0),
            victims: Vec::new(),
            qos_preempt: config::acyclic_preempt_lists(&config.qos),
            preemptors_waiting: 0,
            planned_ends: Vec::new(),
            queued_sizes: BTreeMap::new(),
            has_qos_limits: config
                .qos
                .iter()
                .any(|q| q.max_gpus_per_user.is_some() || q.grp_gpus.is_some()),
            stats: SchedulerStats::default(),
            power: PowerState::default(),
            fragmentation: None,
            kueue: kueue_pass::KueueState::new(config.kueue.as_ref(), cluster),
            volcano: volcano_pass::VolcanoState::new(config.volcano.as_ref()),
            sharing: Sharing::new(cluster, config.time_slicing.map_or(0, |t| t.replicas)),
            gpu_types: vec![NodeSet::all(cluster.node_count())],
            scratch_set: NodeSet::default(),
            slurm: if config.backfill == Backfill::Slurm {
                SlurmState::new(&config.partitions, cluster.node_count())
            } else {
                SlurmState::default()
            },
            config,
        }
    }

    pub fn config(&self) -> &SchedulerConfig {
        &self.config
    }

    pub fn stats(&self) -> SchedulerStats {
        self.stats
    }

    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// GPUs asked for by queued jobs (not yet started this pass) that
    /// became eligible at or before `since`: the demand an autoscaler
    /// answers.
    pub fn gpus_waiting_since(&self, since: SimTime) -> u64 {
        self.queue
            .iter()
            .zip(&self.queue_gpus)
            .filter(|(q, gpus)| **gpus != STARTED && q.eligible <= since)
            .map(|(_, &gpus)| gpus)
            .sum()
    }

    /// Free GPUs of nodes in service.
    pub fn free_gpus(&self) -> u64 {
        self.pool.free_gpus()
    }

    /// The job in `slot` (valid from its `Start` decision until `end`).
    pub fn running(&self, slot: SlotRef) -> &RunningJob {
        debug_assert!(self.is_current(slot), "{slot:?} is stale");
        &self.running[slot.slot as usize]
    }

    /// Whether `slot` still holds the job it was handed out for.
    pub fn is_current(&self, slot: SlotRef) -> bool {
        self.running
            .get(slot.slot as usize)
            .is_some_and(|r| r.active && r.generation == slot.generation)
    }

    /// GPUs held by queued jobs that have placed only some of their pods
    /// (always 0 with gang scheduling).
    pub fn held_gpus(&self) -> u64 {
        self.queue
            .iter()
            .map(|q| q.held.iter().map(|p| u64::from(p.gpu_count())).sum::<u64>())
            .sum()
    }

    /// Queues an admitted job submitted (or eligible again after a
    /// requeue, [`Scheduler::release_requeued`]) at `now`.
    ///
    /// # Panics
    ///
    /// With multifactor priority, if the job's (account, user) pair is not
    /// one of the associations the scheduler was built with.
    pub fn enqueue(&mut self, job: JobIndex, ticket: SubmittedJob, now: SimTime) {
        let assoc = self.assoc_of(&ticket);
        let mut entry = Queued {
            job,
            ticket,
            assoc,
            priority: 0,
            held: Vec::new(),
            pods_placed: 0,
            planned: self.planned_for(ticket.time_limit),
            eligible: now,
            awaiting_victims: 0,
            preemptor: false,
            power_refused_pass: 0,
        };
        entry.priority = self.priority_of(&entry, now);
        *self
            .queued_sizes
            .entry(ticket.request.total_gpus())
            .or_insert(0) += 1;
        let key = self.key(&entry);
        // Most jobs go last (FCFS order, or the latest submission).
        let at = if self.queue.back().is_none_or(|q| self.key(q) < key) {
            self.queue.len()
        } else {
            self.queue.partition_point(|q| self.key(q) < key)
        };
        self.queue.insert(at, entry);
        self.queue_gpus.insert(at, ticket.request.total_gpus());
    }

    /// How long backfilling plans for a job of `time_limit`: rounded up
    /// to `bf_resolution`, or exactly with [`Backfill::Slurm`].
    fn planned_for(&self, time_limit: SimDuration) -> SimDuration {
        if self.config.backfill == Backfill::Slurm {
            time_limit
        } else {
            round_up(time_limit, self.config.backfill_params.resolution)
        }
    }

    /// Puts a job that left its GPUs (preempted; later, its node failed)
    /// back in line, as Slurm's `batch_requeue_fini()` does: it becomes
    /// eligible [`REQUEUE_DELAY`] from `now`, its age counting from then
    /// (Slurm clears `accrue_time`, which is set again to the new begin
    /// time). It keeps its submission time, so FCFS keeps its place, as
    /// `priority/basic` keeps a requeued job's priority. Returns when it
    /// becomes eligible: call [`Scheduler::release_requeued`] then.
    pub fn requeue(&mut self, job: JobIndex, ticket: SubmittedJob, now: SimTime) -> SimTime {
        // Kueue puts an evicted workload back in its queue at once, and
        // Volcano's job controller recreates evicted pods at once.
        let delay = if self.config.kueue.is_some() || self.config.volcano.is_some() {
            SimDuration::ZERO
        } else {
            REQUEUE_DELAY
        };
        let eligible = now + delay;
        self.requeued.push_back((eligible, job, ticket));
        eligible
    }

    /// Requeued jobs waiting for their begin time.
    pub fn requeued_waiting(&self) -> usize {
        self.requeued.len()
    }

    /// Queues the requeued jobs whose begin time has come.
    pub fn release_requeued(&mut self, now: SimTime) {
        while let Some(&(eligible, job, ticket)) = self.requeued.front()
            && eligible <= now
        {
            self.requeued.pop_front();
            self.enqueue(job, ticket, eligible);
        }
    }

    /// One scheduling pass at `now`; decisions are appended to `out`.
    /// `backfill_tick` is true when a periodic backfill cycle is due
    /// (`bf_interval` > 0); with a zero interval every pass backfills.
    /// With [`Backfill::Slurm`] a tick runs the backfill cycle alone, as
    /// slurmctld's backfill thread does, and other passes are the main
    /// scheduler alone.
    pub fn schedule(&mut self, now: SimTime, backfill_tick: bool, out: &mut Vec<Decision>) {
        self.power_pass_begins();
        self.schedule_pass(now, backfill_tick, out);
        self.power_pass_ends();
    }

    /// [`Scheduler::schedule`] less the power cap's bookkeeping.
    fn schedule_pass(&mut self, now: SimTime, backfill_tick: bool, out: &mut Vec<Decision>) {
        if self.config.kueue.is_some() {
            self.kueue_pass(now, out);
            self.drop_started();
            return;
        }
        if self.config.volcano.is_some() {
            // A session per schedule period, on its tick.
            if backfill_tick {
                self.volcano_pass(now, out);
                self.drop_started();
            }
            return;
        }
        if !self.config.gang {
            self.place_pods(now, out);
            self.drop_started();
            return;
        }
        if self.config.backfill == Backfill::Slurm && backfill_tick {
            self.backfill(now, 0, out);
            self.drop_started();
            return;
        }
        if self.preemptors_waiting > 0 {
            for i in 0..self.queue.len() {
                if self.queue[i].preemptor
                    && self.within_limits(&self.queue[i].ticket)
                    && self.try_start(i, now, false, out).started()
                {
                    self.preemptors_waiting -= 1;
                }
            }
        }
        self.blocked_partition.iter_mut().for_each(|b| *b = false);
        let mut first_blocked = None;
        for i in 0..self.queue.len() {
            let partition = self.queue[i].ticket.partition as usize;
            if self.queue_gpus[i] == STARTED
                || self.blocked_partition[partition]
                || !self.within_limits(&self.queue[i].ticket)
            {
                continue;
            }
            let attempt = self.try_start(i, now, false, out);
            match attempt {
                Attempt::Started => continue,
                // Its budget exceeds the whole headroom: it could never
                // start under this cap, and blocks nothing (power_cap.rs).
                Attempt::NoPower { ever: false } => continue,
                Attempt::NoRoom if self.pool.out_of_service() > 0 && !self.blocks_partition(i) => {
                    continue;
                }
                Attempt::NoRoom | Attempt::NoPower { ever: true } => {}
            }
            self.blocked_partition[partition] = true;
            first_blocked.get_or_insert(i);
            // Preemption frees GPUs, not power: a job the cap refused
            // picks no victims.
            if attempt == Attempt::NoRoom
                && self.config.preempt_type != PreemptType::None
                && self.queue[i].awaiting_victims == 0
            {
                self.try_preempt(i, out);
            }
            if self.blocked_partition.iter().all(|&b| b) {
                break;
            }
        }
        let cycle_due = self.config.backfill_params.interval.is_zero() || backfill_tick;
        if let Some(from) = first_blocked
            && matches!(
                self.config.backfill,
                Backfill::Easy | Backfill::Conservative
            )
            && cycle_due
        {
            self.backfill(now, from, out);
        }
        self.drop_started();
    }

    /// Removes the jobs this pass started from the queue.
    fn drop_started(&mut self) {
        let mut started = std::mem::take(&mut self.started_this_pass);
        if started.len() <= 8 {
            // A few removals shift less than one retain pass over the queue.
            started.sort_unstable_by(|a, b| b.cmp(a));
            for &i in &started {
                self.queue.remove(i);
                self.queue_gpus.remove(i);
            }
        } else {
            // `retain` visits in order: the sizes say which entries started.
            let sizes = &self.queue_gpus;
            let mut position = 0;
            self.queue.retain(|_| {
                position += 1;
                sizes[position - 1] != STARTED
            });
            self.queue_gpus.retain(|&gpus| gpus != STARTED);
        }
        started.clear();
        self.started_this_pass = started;
    }

    /// The smallest request among queued jobs not yet started.
    fn smallest_queued(&self) -> u64 {
        self.queued_sizes
            .first_key_value()
            .map_or(u64::MAX, |(&gpus, _)| gpus)
    }

    /// Frees the slot of a job that ended (completed, killed or
    /// preempted), charging its usage to fairshare.
    pub fn end(&mut self, handle: SlotRef, now: SimTime) -> Ended {
        assert!(self.is_current(handle), "{handle:?} ended twice");
        let slot = handle.slot;
        self.kueue_release(slot);
        let r = &mut self.running[slot as usize];
        r.active = false;
        r.generation = r.generation.wrapping_add(1);
        let gpus = r.gpus;
        let ended = Ended {
            job: r.job,
            ticket: r.ticket,
            start: r.start,
            gpus,
            was_preempted: r.preempting,
            pool_gpus: gpus,
        };
        let (assoc, charged_from) = (r.assoc, r.charged_until);
        self.power.used_mw -= std::mem::take(&mut r.power_mw);
        let preempted_for = r.preempted_for.take();
        if self.config.backfill == Backfill::Slurm {
            self.slurm.remove_running(r.planned_end, r.job, slot);
        } else if r.planned_end != SimTime::MAX
            && let Ok(at) = self.planned_ends.binary_search(&(r.planned_end, slot))
        {
            self.planned_ends.remove(at);
        }
        let mut ended = ended;
        if let Some(frag) = self.fragmentation.as_mut() {
            r.allocation.iter().for_each(|p| frag.mark(p.node));
        }
        if let Some(gpu) = r.share.gpu {
            let share = std::mem::take(&mut r.share);
            let freed = (self.sharing).release(&mut self.pool, gpu, share.share, share.mig_start);
            ended.pool_gpus = u64::from(freed);
        } else {
            self.pool.release(&r.allocation);
        }
        if self.pool.out_of_service() > 0 {
            self.nodes.note_drained(&self.pool, &r.allocation);
        }
        self.charge(assoc, gpus, charged_from, now);
        self.qos_gpus[ended.ticket.qos as usize] -= gpus;
        if let Some(held) = self
            .user_qos_gpus
            .get_mut(&(ended.ticket.qos, ended.ticket.user))
        {
            *held -= gpus;
        }
        if let Some(waiting) = preempted_for
            && let Some(q) = self.queue.iter_mut().find(|q| q.job == waiting)
        {
            q.awaiting_victims = q.awaiting_victims.saturating_sub(1);
        }
        self.free_slots.push(slot);
        ended
    }

    /// Sort key: smaller runs first.
    fn key(&self, q: &Queued) -> (u64, u64, u32) {
        let submit = q.ticket.submit.as_ns();
        let first = match self.config.order {
            QueueOrder::Fcfs => 0,
            QueueOrder::Sjf => q.ticket.time_limit.as_ns(),
            QueueOrder::Multifactor => u64::from(u32::MAX - q.priority),
        };
        (first, submit, q.job)
    }

    fn take_slot(&mut self) -> u32 {
        match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.running.push(RunningJob::default());
                (self.running.len() - 1) as u32
            }
        }
    }

    /// Starts queue entry `i` now if its partition has room and the power
    /// cap allows it.
    fn try_start(
        &mut self,
        i: usize,
        now: SimTime,
        backfilled: bool,
        out: &mut Vec<Decision>,
    ) -> Attempt {
        let ticket = self.queue[i].ticket;
        if self.share_of(&ticket).is_shared() {
            return self.try_start_shared(i, now, backfilled, out);
        }
        let set = &self.config.partitions[ticket.partition as usize].nodes;
        if set.is_all() && ticket.request.total_gpus() > self.pool.free_gpus() {
            return Attempt::NoRoom; // the common case of a busy cluster, decided in O(1)
        }
        let slot = self.take_slot();
        let mut allocation = std::mem::take(&mut self.running[slot as usize].allocation);
        self.prepare_placement_set(&ticket);
        let set = placement_set(&self.config, &self.gpu_types, &self.scratch_set, &ticket);
        let placed = if self.config.backfill == Backfill::Slurm {
            let set = Some(set).filter(|s| !s.is_all());
            (self.slurm.cons_tres).place(&mut self.pool, ticket.request, set, &mut allocation)
        } else {
            self.pool
                .try_allocate_in(ticket.request, Some(set), &mut allocation)
        };
        if !placed {
            self.running[slot as usize].allocation = allocation;
            self.free_slots.push(slot);
            return Attempt::NoRoom;
        }
        self.start_if_powered(i, slot, allocation, now, backfilled, out)
    }

    /// Makes `scratch_set` the nodes `ticket` may be placed on when that
    /// is a partition's nodes of a GPU type ([`placement_set`] reads it).
    #[inline]
    fn prepare_placement_set(&mut self, ticket: &SubmittedJob) {
        let partition = &self.config.partitions[ticket.partition as usize].nodes;
        if ticket.gpu_type == 0 || partition.is_all() {
            return;
        }
        let of_type = &self.gpu_types[usize::from(ticket.gpu_type)];
        let member = (0..self.cluster_nodes)
            .map(|n| partition.contains(n) && of_type.contains(n))
            .collect();
        self.scratch_set = NodeSet::from_members(member);
    }

    /// Measures allocated and fragmented GPU capacity against the
    /// workload's task shapes from now on (FGD's measure,
    /// `fragmentation.rs`).
    pub fn measure_fragmentation(&mut self, mix: Vec<TaskShape>) {
        self.fragmentation = Some(Fragmentation::new(mix, self.cluster_nodes as usize));
    }

    /// Allocated and fragmented GPU capacity now, in thousandths of a
    /// GPU, when measured.
    pub fn capacity_in_use(&mut self) -> Option<(u64, u64)> {
        let frag = self.fragmentation.as_mut()?;
        Some(frag.totals(&self.pool, &self.sharing))
    }

    /// Whether Kueue or Volcano decides admissions (so queues have
    /// quotas to report).
    #[inline]
    pub fn has_queue_engine(&self) -> bool {
        self.kueue.engine.is_some() || self.volcano.engine.is_some()
    }

    /// The queue `ticket` counts in for monitoring: its Kueue
    /// ClusterQueue, its Volcano queue, else its partition.
    pub fn monitor_queue(&self, ticket: &SubmittedJob) -> u16 {
        let queue = usize::from(ticket.queue);
        if let Some(kueue) = &self.config.kueue
            && let Some(&lq) = self.kueue.local_queue_of.get(queue)
        {
            return kueue.cluster_queue_of(lq);
        }
        if let Some(&q) = self.volcano.queue_of.get(queue) {
            return q;
        }
        ticket.partition
    }

    /// Each Kubernetes queue's quota now, in thousandths of a GPU: (used,
    /// quota, borrowed) per Kueue ClusterQueue (over its flavors: usage,
    /// nominal quota, usage above nominal) or per Volcano queue (allocated,
    /// deserved at the last session, 0); nothing without either.
    pub fn queue_quotas(&self, out: &mut Vec<(u64, u64, u64)>) {
        out.clear();
        if let (Some(config), Some(engine)) = (&self.config.kueue, &self.kueue.engine) {
            for cq in 0..config.cluster_queues.len() as u16 {
                let mut sum = (0, 0, 0);
                for f in engine.flavor_gauges(cq) {
                    sum = (sum.0 + f.usage, sum.1 + f.nominal_quota, sum.2 + f.borrowed);
                }
                out.push(sum);
            }
        } else if let (Some(config), Some(engine)) = (&self.config.volcano, &self.volcano.engine) {
            for q in 0..config.queues.len() as u16 {
                let state = engine.queue(q);
                out.push((state.allocated, state.deserved, 0));
            }
        }
    }

    /// Maps the queue names jobs carry (`SubmittedJob::queue` k is
    /// `names[k - 1]`) to Kueue's LocalQueues (no name: the first) or
    /// Volcano's queues (no name: `default`).
    pub fn set_queue_names(&mut self, names: &[String]) {
        self.set_volcano_queue_names(names);
        if let Some(kueue) = &self.config.kueue {
            self.kueue.local_queue_of = std::iter::once(0)
                .chain(names.iter().map(|n| {
                    kueue
                        .queue_index(n)
                        .expect("the scenario checked job queues")
                }))
                .collect();
        }
    }

    /// Sets the nodes of each GPU type jobs name (`SubmittedJob::gpu_type`
    /// k is `types[k - 1]`).
    pub fn set_gpu_types(&mut self, types: Vec<NodeSet>) {
        self.gpu_types.truncate(1);
        self.gpu_types.extend(types);
    }

    /// What `ticket` holds of a GPU: its own share, or under time-slicing
    /// a replica with a whole GPU's demand for a one-GPU job.
    fn share_of(&self, ticket: &SubmittedJob) -> GpuShare {
        share_of(&self.config, ticket)
    }

    /// What `job` will hold of each of its GPUs: its share, or under
    /// time-slicing a replica with a whole GPU's demand.
    pub fn share_of_job(&self, job: &SubmittedJob) -> GpuShare {
        share_of(&self.config, job)
    }

    /// Starts queue entry `i`, a fraction or MIG slice of a GPU, if a GPU
    /// has room for it (`sharing.rs`).
    fn try_start_shared(
        &mut self,
        i: usize,
        now: SimTime,
        backfilled: bool,
        out: &mut Vec<Decision>,
    ) -> Attempt {
        let ticket = self.queue[i].ticket;
        self.prepare_placement_set(&ticket);
        let set = placement_set(&self.config, &self.gpu_types, &self.scratch_set, &ticket);
        let free_before = self.pool.free_gpus();
        let share = self.share_of(&ticket);
        let Some(place) = self.sharing.place(&mut self.pool, share, set) else {
            return Attempt::NoRoom;
        };
        let slot = self.take_slot();
        let mut allocation = std::mem::take(&mut self.running[slot as usize].allocation);
        allocation.clear();
        allocation.extend(place.gpu);
        let r = &mut self.running[slot as usize];
        r.share = place;
        r.pool_gpus = free_before - self.pool.free_gpus();
        self.occupy(i, slot, allocation, 0, now, backfilled, out);
        Attempt::Started
    }

    /// Starts queue entry `i` in `slot` on `allocation`, with its power
    /// budget `power_mw` (the gate, `Scheduler::power_gate`, passed).
    #[allow(clippy::too_many_arguments)]
    fn occupy(
        &mut self,
        i: usize,
        slot: u32,
        allocation: Vec<NodeGpus>,
        power_mw: u64,
        now: SimTime,
        backfilled: bool,
        out: &mut Vec<Decision>,
    ) {
        self.queue_gpus[i] = STARTED;
        self.started_this_pass.push(i);
        let q = &self.queue[i];
        let ticket = q.ticket;
        let planned = q.planned;
        let gpus = ticket.request.total_gpus();
        if let Some(count) = self.queued_sizes.get_mut(&gpus) {
            *count -= 1;
            if *count == 0 {
                self.queued_sizes.remove(&gpus);
            }
        }
        self.qos_gpus[ticket.qos as usize] += gpus;
        let qos = &self.config.qos[ticket.qos as usize];
        if qos.max_gpus_per_user.is_some() {
            *self
                .user_qos_gpus
                .entry((ticket.qos, ticket.user))
                .or_insert(0) += gpus;
        }
        let leaf_switches = self.pool.leaves_spanned(&allocation);
        if let Some(frag) = self.fragmentation.as_mut() {
            allocation.iter().for_each(|p| frag.mark(p.node));
        }
        // Only backfilling plans with expected ends; FCFS would pay an
        // O(running jobs) insertion per start for nothing.
        let mut planned_end = SimTime::MAX;
        if self.config.backfill == Backfill::Slurm {
            // slurmctld keeps times in whole seconds (`time_t`).
            planned_end = slurm_backfill::round_down(now, SimDuration::from_secs(1)) + planned;
            self.slurm.add_running(planned_end, q.job, slot);
        } else if self.config.backfill != Backfill::None {
            planned_end = now + planned;
            let at = self
                .planned_ends
                .partition_point(|&e| e < (planned_end, slot));
            self.planned_ends.insert(at, (planned_end, slot));
        }
        let whole = !self.share_of(&ticket).is_shared();
        let r = &mut self.running[slot as usize];
        r.planned_end = planned_end;
        r.job = q.job;
        r.ticket = ticket;
        r.start = now;
        r.allocation = allocation;
        r.gpus = gpus;
        r.leaf_switches = leaf_switches;
        r.backfilled = backfilled;
        r.active = true;
        r.preempting = false;
        r.preempted_for = None;
        r.charged_until = now;
        r.assoc = q.assoc;
        r.power_mw = power_mw;
        if whole {
            r.pool_gpus = gpus;
            r.share = SharePlace::default();
        }
        self.power.used_mw += power_mw;
        if backfilled {
            self.stats.backfilled_jobs += 1;
        }
        out.push(Decision::Start {
            slot: SlotRef {
                slot,
                generation: r.generation,
            },
        });
    }
}

/// What `ticket` holds of a GPU: its own share, or under time-slicing a
/// replica with a whole GPU's demand for a one-GPU job (not a training
/// job, which always holds whole GPUs).
#[inline]
fn share_of(config: &SchedulerConfig, ticket: &SubmittedJob) -> GpuShare {
    match ticket.share {
        GpuShare::Whole
            if config.time_slicing.is_some()
                && ticket.request == crate::workload::JobRequest::Gpus(1)
                && ticket.training.is_none() =>
        {
            GpuShare::Fraction { milli: 1000 }
        }
        share => share,
    }
}

/// The nodes `ticket` may be placed on: its partition's, of its GPU type
/// when it names one (`scratch` made by
/// [`Scheduler::prepare_placement_set`] when both restrict).
#[inline]
fn placement_set<'a>(
    config: &'a SchedulerConfig,
    gpu_types: &'a [NodeSet],
    scratch: &'a NodeSet,
    ticket: &SubmittedJob,
) -> &'a NodeSet {
    let partition = &config.partitions[ticket.partition as usize].nodes;
    match (ticket.gpu_type, partition.is_all()) {
        (0, _) => partition,
        (t, true) => &gpu_types[usize::from(t)],
        (_, false) => scratch,
    }
}

#[cfg(test)]
mod node_tests;
#[cfg(test)]
mod tests;
