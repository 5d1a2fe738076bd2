//! Deciding which queued jobs start, where, and which running jobs make
//! room for them: Slurm's scheduling semantics on a simulated clock.
//!
//! A scheduling pass ([`Scheduler::schedule`]) has two phases, as Slurm's
//! `sched/builtin` main loop and `sched/backfill` plugin do:
//! 1. the main phase walks the queue in priority order and starts each job
//!    that fits now; the first job that does not fit blocks the rest of
//!    its partition (and may trigger preemption);
//! 2. the backfill phase (EASY or conservative, every pass when
//!    `bf_interval` is zero, else at most once per interval) plans
//!    reservations in an availability profile (`profile.rs`) built from
//!    requested time limits and starts later jobs that delay no
//!    reservation.
//!
//! Without gang scheduling (`gang: false`) a pass instead places one pod
//! per job per round, round-robin over the queue, and a job starts once all
//! its pods are placed, which is how partial allocations deadlock.
//!
//! Invariants:
//! - a job is started at most once per queueing and only with its full
//!   request granted (see `allocator`);
//! - what the scheduler knows of a job is its request, time limit,
//!   partition, QOS and owner, never its true run time;
//! - the queue is kept sorted by the configured order, ties by submission
//!   time then job index, so passes are deterministic;
//! - reservations use requested time limits rounded up to `bf_resolution`;
//!   the profile counts GPUs per partition, so a reservation is a count,
//!   not a node list: when fragmentation prevents a reserved job from
//!   being placed at its reserved time it keeps its place and is planned
//!   again at the next pass.

mod allocator;
mod config;
pub mod fairshare;
pub mod priority;
mod profile;

pub use allocator::{GpuPool, NeverFits, NodeGpus, NodeSet};
pub use config::{
    Backfill, BackfillParams, LeafSwitch, Partition, PreemptMode, PreemptType, PriorityParams, Qos,
    QueueOrder, SchedulerConfig,
};
use profile::{Profile, round_up};

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{SimDuration, SimTime};
use crate::hardware::Cluster;
use crate::workload::{Directory, JobRequest, SubmittedJob};
use fairshare::{AccountSpec, AccountTree, FairshareAlgorithm, UserAssoc};
use priority::JobFactorsInput;

/// Index of a job in the simulation's job table.
pub type JobIndex = u32;

/// `queue_gpus` entry of a job that started in the current pass.
const STARTED: u64 = u64::MAX;

/// What a pass decided; the simulation carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The job now in `slot` starts (see [`Scheduler::running`]).
    Start { slot: u32 },
    /// The job in `slot` is preempted: stop it after `grace`.
    Preempt { slot: u32, grace: SimDuration },
}

/// A job holding GPUs.
#[derive(Clone, Debug, Default)]
pub struct RunningJob {
    pub job: JobIndex,
    pub ticket: SubmittedJob,
    pub start: SimTime,
    pub allocation: Vec<NodeGpus>,
    /// Bumped each time the slot is reused, so events meant for an earlier
    /// occupant can be recognised and dropped.
    pub generation: u32,
    /// Leaf switches the allocation spans (0 without a topology).
    pub leaf_switches: u32,
    /// Started by the backfill phase, ahead of a higher-priority job.
    pub backfilled: bool,
    /// Start + time limit rounded up to `bf_resolution`: when the
    /// backfill profile expects the GPUs back.
    planned_end: SimTime,
    active: bool,
    preempting: bool,
    preempted_for: Option<JobIndex>,
    charged_until: SimTime,
}

/// How a running job left its slot.
#[derive(Clone, Copy, Debug)]
pub struct Ended {
    pub job: JobIndex,
    pub ticket: SubmittedJob,
    pub start: SimTime,
    pub gpus: u64,
    pub was_preempted: bool,
}

/// Counters a run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    pub backfill_cycles: u64,
    /// Jobs started by the backfill phase ahead of a blocked job.
    pub backfilled_jobs: u64,
    pub preemptions: u64,
}

#[derive(Clone, Debug)]
struct Queued {
    job: JobIndex,
    ticket: SubmittedJob,
    assoc: u32,
    priority: u32,
    /// Without gang scheduling: GPUs of the pods placed so far.
    held: Vec<NodeGpus>,
    pods_placed: u32,
    /// Its time limit rounded up to `bf_resolution`: how long backfilling
    /// plans for it (computed once; the rounding divides).
    planned: SimDuration,
    /// Victims this job is waiting for; no new preemption meanwhile.
    awaiting_victims: u32,
    /// It preempted jobs and has not started yet: it goes first, so the
    /// GPUs it freed are not taken by jobs ahead of it in the queue order
    /// (such as its own requeued victims under FCFS).
    preemptor: bool,
}

/// The fairshare state of a multifactor scheduler.
struct Fairshare {
    tree: AccountTree,
    /// `(account, user)` directory indices to the tree's association.
    assoc_of: Vec<((u32, u32), UserAssoc)>,
    factors: Vec<f64>,
    last_calc: SimTime,
    last_reset: SimTime,
}

/// The queue, the free GPUs and the running jobs.
pub struct Scheduler {
    config: SchedulerConfig,
    pool: GpuPool,
    scratch_pool: GpuPool,
    scratch_alloc: Vec<NodeGpus>,
    queue: VecDeque<Queued>,
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
    user_qos_gpus: BTreeMap<(u16, u32), u64>,
    /// `bf_continue`: the queue key after which the next cycle resumes.
    resume_after: Option<(u64, u64, u32)>,
    fairshare: Option<Fairshare>,
    cluster_gpus: u64,
    max_node_gpus: u32,
    max_partition_factor: u32,
    max_qos_priority: u32,
    victims: Vec<u32>,
    /// Queued jobs that preempted others and have not started.
    preemptors_waiting: u32,
    /// `(planned end, slot)` of running jobs, sorted, so that building a
    /// profile needs no sort (kept only when backfilling).
    planned_ends: Vec<(SimTime, u32)>,
    /// How many queued, not yet started jobs ask for each GPU count.
    queued_sizes: BTreeMap<u64, u32>,
    has_qos_limits: bool,
    stats: SchedulerStats,
}

impl Scheduler {
    /// `directory` names the users and accounts jobs refer to; with
    /// multifactor priority, every (account, user) pair in
    /// `associations` that the configured tree lacks joins it with
    /// Slurm's default `Fairshare=1`.
    pub fn new(
        config: SchedulerConfig,
        cluster: &Cluster,
        directory: &Directory,
        associations: &[(u32, u32)],
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
        let fairshare = (config.order == QueueOrder::Multifactor).then(|| {
            build_fairshare(&config.accounts, directory, associations)
                .expect("the scenario validated the account tree")
        });
        let partitions = config.partitions.len();
        Scheduler {
            scratch_pool: pool.clone(),
            cluster_gpus: pool.total_gpus(),
            max_node_gpus: cluster.nodes.iter().map(|n| n.gpus).max().unwrap_or(0),
            pool,
            scratch_alloc: Vec::new(),
            queue: VecDeque::new(),
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
            preemptors_waiting: 0,
            planned_ends: Vec::new(),
            queued_sizes: BTreeMap::new(),
            has_qos_limits: config
                .qos
                .iter()
                .any(|q| q.max_gpus_per_user.is_some() || q.grp_gpus.is_some()),
            stats: SchedulerStats::default(),
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

    /// The job in `slot` (valid from its `Start` decision until `end`).
    pub fn running(&self, slot: u32) -> &RunningJob {
        &self.running[slot as usize]
    }

    /// Whether `slot` still holds the occupant of `generation`.
    pub fn is_current(&self, slot: u32, generation: u32) -> bool {
        self.running
            .get(slot as usize)
            .is_some_and(|r| r.active && r.generation == generation)
    }

    /// GPUs held by queued jobs that have placed only some of their pods
    /// (always 0 with gang scheduling).
    pub fn held_gpus(&self) -> u64 {
        self.queue
            .iter()
            .map(|q| q.held.iter().map(|p| u64::from(p.gpu_count())).sum::<u64>())
            .sum()
    }

    /// Whether the job could ever run here: it fits its partition when
    /// idle and respects the partition's and QOS's per-job limits.
    pub fn admit(&self, job: &SubmittedJob) -> Result<(), NeverFits> {
        let partition = &self.config.partitions[job.partition as usize];
        let qos = &self.config.qos[job.qos as usize];
        self.pool
            .check_fits_when_idle_in(job.request, &partition.nodes)?;
        if let Some(max) = partition.max_time.filter(|&max| job.time_limit > max) {
            return Err(NeverFits {
                reason: format!(
                    "its time limit {} exceeds MaxTime {} of partition {}",
                    crate::units::format_duration(job.time_limit),
                    crate::units::format_duration(max),
                    partition.name
                ),
            });
        }
        let min_nodes = match job.request {
            JobRequest::Nodes { count, .. } => count,
            JobRequest::Gpus(n) => n.div_ceil(self.max_node_gpus.max(1)),
        };
        if let Some(max) = partition.max_nodes.filter(|&max| min_nodes > max) {
            return Err(NeverFits {
                reason: format!(
                    "it needs {min_nodes} nodes; partition {} allows {max} per job (MaxNodes)",
                    partition.name
                ),
            });
        }
        let gpus = job.request.total_gpus();
        for (limit, what) in [
            (qos.max_gpus_per_user, "MaxTRESPerUser"),
            (qos.grp_gpus, "GrpTRES"),
        ] {
            if let Some(max) = limit.filter(|&max| gpus > max) {
                return Err(NeverFits {
                    reason: format!(
                        "it asks for {gpus} GPUs; QOS {} allows {max} ({what}=gres/gpu={max})",
                        qos.name
                    ),
                });
            }
        }
        Ok(())
    }

    /// Queues an admitted job submitted (or requeued) at `now`.
    pub fn enqueue(&mut self, job: JobIndex, ticket: SubmittedJob, now: SimTime) {
        let assoc = self.assoc_of(&ticket);
        let mut entry = Queued {
            job,
            ticket,
            assoc,
            priority: 0,
            held: Vec::new(),
            pods_placed: 0,
            planned: round_up(ticket.time_limit, self.config.backfill_params.resolution),
            awaiting_victims: 0,
            preemptor: false,
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

    /// One scheduling pass at `now`; decisions are appended to `out`.
    /// `backfill_tick` is true when a periodic backfill cycle is due
    /// (`bf_interval` > 0); with a zero interval every pass backfills.
    pub fn schedule(&mut self, now: SimTime, backfill_tick: bool, out: &mut Vec<Decision>) {
        if !self.config.gang {
            self.place_pods(now, out);
            self.drop_started();
            return;
        }
        if self.preemptors_waiting > 0 {
            for i in 0..self.queue.len() {
                if self.queue[i].preemptor
                    && self.within_limits(&self.queue[i].ticket)
                    && self.try_start(i, now, false, out)
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
            if self.try_start(i, now, false, out) {
                continue;
            }
            self.blocked_partition[partition] = true;
            first_blocked.get_or_insert(i);
            if self.config.preempt_type != PreemptType::None && self.queue[i].awaiting_victims == 0
            {
                self.try_preempt(i, out);
            }
            if self.blocked_partition.iter().all(|&b| b) {
                break;
            }
        }
        let cycle_due = self.config.backfill_params.interval.is_zero() || backfill_tick;
        if let Some(from) = first_blocked
            && self.config.backfill != Backfill::None
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

    /// Whether periodic backfill ticks are needed (`bf_interval` > 0).
    pub fn backfill_interval(&self) -> Option<SimDuration> {
        (self.config.backfill != Backfill::None && !self.config.backfill_params.interval.is_zero())
            .then_some(self.config.backfill_params.interval)
    }

    /// Frees the slot of a job that ended (completed, killed or
    /// preempted), charging its usage to fairshare.
    pub fn end(&mut self, slot: u32, now: SimTime) -> Ended {
        let r = &mut self.running[slot as usize];
        assert!(r.active, "slot {slot} ended twice");
        r.active = false;
        r.generation = r.generation.wrapping_add(1);
        let gpus = r.ticket.request.total_gpus();
        let ended = Ended {
            job: r.job,
            ticket: r.ticket,
            start: r.start,
            gpus,
            was_preempted: r.preempting,
        };
        let charged_from = r.charged_until;
        let preempted_for = r.preempted_for.take();
        if r.planned_end != SimTime::MAX
            && let Ok(at) = self.planned_ends.binary_search(&(r.planned_end, slot))
        {
            self.planned_ends.remove(at);
        }
        self.pool.release(&r.allocation);
        self.charge(ended.ticket, gpus, charged_from, now);
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

    /// Charges usage and decays it (every `PriorityCalcPeriod`), and
    /// recomputes fairshare factors and priorities. Only multifactor
    /// scheduling needs it.
    pub fn recalculate_priorities(&mut self, now: SimTime) {
        let Some(mut fs) = self.fairshare.take() else {
            return;
        };
        let params = &self.config.priority;
        fs.tree
            .decay(now.saturating_since(fs.last_calc), params.decay_half_life);
        fs.last_calc = now;
        if let Some(period) = params.usage_reset.period()
            && now.saturating_since(fs.last_reset) >= period
        {
            fs.tree.reset_usage();
            fs.last_reset = now;
        }
        self.fairshare = Some(fs);
        for slot in 0..self.running.len() {
            let r = &self.running[slot];
            if r.active {
                let (ticket, from) = (r.ticket, r.charged_until);
                self.charge(ticket, ticket.request.total_gpus(), from, now);
                self.running[slot].charged_until = now;
            }
        }
        if let Some(fs) = &mut self.fairshare {
            fs.factors = match self.config.priority.fairshare {
                FairshareAlgorithm::Classic => fs.tree.classic_factors(),
                FairshareAlgorithm::FairTree => fs.tree.fair_tree_factors(),
            };
        }
        let mut queue = std::mem::take(&mut self.queue);
        for q in &mut queue {
            q.priority = self.priority_of(q, now);
        }
        queue.make_contiguous().sort_by_key(|q| self.key(q));
        self.queue_gpus.clear();
        self.queue_gpus
            .extend(queue.iter().map(|q| q.ticket.request.total_gpus()));
        self.queue = queue;
    }

    fn assoc_of(&self, ticket: &SubmittedJob) -> u32 {
        let Some(fs) = &self.fairshare else {
            return 0;
        };
        let pair = (ticket.account, ticket.user);
        fs.assoc_of
            .binary_search_by_key(&pair, |&(p, _)| p)
            .map_or(0, |i| fs.assoc_of[i].1.0)
    }

    fn charge(&mut self, ticket: SubmittedJob, gpus: u64, from: SimTime, now: SimTime) {
        let assoc = self.assoc_of(&ticket);
        if let Some(fs) = &mut self.fairshare {
            let gpu_seconds = gpus as f64 * now.saturating_since(from).as_secs_f64();
            if gpu_seconds > 0.0 {
                fs.tree.charge(UserAssoc(assoc), gpu_seconds);
            }
        }
    }

    fn priority_of(&self, q: &Queued, now: SimTime) -> u32 {
        let Some(fs) = &self.fairshare else {
            return 0;
        };
        let partition = &self.config.partitions[q.ticket.partition as usize];
        let qos = &self.config.qos[q.ticket.qos as usize];
        priority::priority(
            &JobFactorsInput {
                age: now.saturating_since(q.ticket.submit),
                gpus: q.ticket.request.total_gpus(),
                cluster_gpus: self.cluster_gpus,
                partition_job_factor: partition.priority_job_factor,
                max_partition_job_factor: self.max_partition_factor,
                qos_priority: qos.priority,
                max_qos_priority: self.max_qos_priority,
                fairshare: fs.factors.get(q.assoc as usize).copied().unwrap_or(1.0),
                nice: q.ticket.nice,
                ..JobFactorsInput::default()
            },
            &self.config.priority.weights,
        )
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

    fn within_limits(&self, ticket: &SubmittedJob) -> bool {
        if !self.has_qos_limits {
            return true;
        }
        let qos = &self.config.qos[ticket.qos as usize];
        let gpus = ticket.request.total_gpus();
        if qos
            .grp_gpus
            .is_some_and(|max| self.qos_gpus[ticket.qos as usize] + gpus > max)
        {
            return false;
        }
        qos.max_gpus_per_user.is_none_or(|max| {
            let held = self
                .user_qos_gpus
                .get(&(ticket.qos, ticket.user))
                .copied()
                .unwrap_or(0);
            held + gpus <= max
        })
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

    /// Starts queue entry `i` now if its partition has room.
    fn try_start(
        &mut self,
        i: usize,
        now: SimTime,
        backfilled: bool,
        out: &mut Vec<Decision>,
    ) -> bool {
        let ticket = self.queue[i].ticket;
        let set = &self.config.partitions[ticket.partition as usize].nodes;
        if set.is_all() && ticket.request.total_gpus() > self.pool.free_gpus() {
            return false; // the common case of a busy cluster, decided in O(1)
        }
        let slot = self.take_slot();
        let mut allocation = std::mem::take(&mut self.running[slot as usize].allocation);
        let set = &self.config.partitions[ticket.partition as usize].nodes;
        if !self
            .pool
            .try_allocate_in(ticket.request, Some(set), &mut allocation)
        {
            self.running[slot as usize].allocation = allocation;
            self.free_slots.push(slot);
            return false;
        }
        self.occupy(i, slot, allocation, now, backfilled, out);
        true
    }

    fn occupy(
        &mut self,
        i: usize,
        slot: u32,
        allocation: Vec<NodeGpus>,
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
        // Only backfilling plans with expected ends; FCFS would pay an
        // O(running jobs) insertion per start for nothing.
        let mut planned_end = SimTime::MAX;
        if self.config.backfill != Backfill::None {
            planned_end = now + planned;
            let at = self
                .planned_ends
                .partition_point(|&e| e < (planned_end, slot));
            self.planned_ends.insert(at, (planned_end, slot));
        }
        let r = &mut self.running[slot as usize];
        r.planned_end = planned_end;
        r.job = q.job;
        r.ticket = ticket;
        r.start = now;
        r.allocation = allocation;
        r.leaf_switches = leaf_switches;
        r.backfilled = backfilled;
        r.active = true;
        r.preempting = false;
        r.preempted_for = None;
        r.charged_until = now;
        if backfilled {
            self.stats.backfilled_jobs += 1;
        }
        out.push(Decision::Start { slot });
    }

    /// The backfill phase, from the first blocked queue entry on.
    fn backfill(&mut self, now: SimTime, from: usize, out: &mut Vec<Decision>) {
        self.stats.backfill_cycles += 1;
        self.profile_ready.iter_mut().for_each(|r| *r = false);
        match self.config.backfill {
            Backfill::None => {}
            Backfill::Easy => self.backfill_easy(now, from, out),
            Backfill::Conservative => self.backfill_conservative(now, from, out),
        }
    }

    /// Where testing resumes after the first blocked job: right after it,
    /// or with `bf_continue`, after the last job the previous cycle tested.
    fn resume_point(&mut self, from: usize) -> usize {
        match self.resume_after.take() {
            Some(after) if self.config.backfill_params.continue_after_limit => {
                self.queue.partition_point(|q| self.key(q) <= after)
            }
            _ => from + 1,
        }
        .max(from + 1)
    }

    /// EASY (Lifka 1995; Mu'alem & Feitelson 2001): the head (the first
    /// blocked job) is reserved at its shadow time, the earliest time the
    /// profile of requested time limits frees enough GPUs for it; the GPUs
    /// free then beyond its need are the extra GPUs. A later job starts now
    /// if it fits now and either ends (by its limit) by the shadow time or
    /// takes only extra GPUs, which it then uses up.
    ///
    /// That rule is exactly "fits in the profile holding the head's
    /// reservation" (free GPUs only grow after the shadow time), so it is
    /// applied in O(1) per job from two numbers. The shadow time is
    /// computed lazily, when some later job fits now at all, so a cycle
    /// where nothing fits costs one scan of the compact request sizes.
    fn backfill_easy(&mut self, now: SimTime, from: usize, out: &mut Vec<Decision>) {
        let params = self.config.backfill_params;
        let single_partition = self.profiles.len() == 1;
        let latest_start = now + params.window;
        let resume_from = self.resume_point(from);
        let head_partition = self.queue[from].ticket.partition;
        // Jobs too big to start now are skipped by scanning the compact
        // sizes when bf_max_job_test cannot bind (free GPUs only shrink
        // during a cycle, so a skipped job could not start later in it).
        let skipping = single_partition
            && !self.has_qos_limits
            && params.max_job_test as usize >= self.queue.len();
        self.queue_gpus.make_contiguous();
        // The head counts as tested.
        let mut tested = 1u32;
        let mut last_tested = from;
        // `None` until planned; then the shadow time and extra GPUs, or
        // `Some(None)` when the head cannot start within `bf_window`.
        let mut guard: Option<Option<(SimTime, u64)>> = None;
        let mut skip_until = 0;
        let mut smallest = self.smallest_queued();
        let mut next = resume_from;
        loop {
            // Jump over the jobs the last scan showed too big to start now.
            let i = next.max(skip_until);
            if i >= self.queue.len() {
                break;
            }
            next = i + 1;
            if single_partition && smallest > self.pool.free_gpus() {
                break; // no queued job fits now, even by count
            }
            let requested = self.queue_gpus[i];
            if requested == STARTED
                || (self.has_qos_limits && !self.within_limits(&self.queue[i].ticket))
            {
                continue;
            }
            if tested == params.max_job_test {
                self.resume_after = Some(self.key(&self.queue[last_tested]));
                break;
            }
            tested += 1;
            last_tested = i;
            let partition = if single_partition {
                0
            } else {
                self.queue[i].ticket.partition
            };
            let free_now = self
                .pool
                .free_gpus_in(&self.config.partitions[partition as usize].nodes);
            if requested > free_now {
                if skipping {
                    let rest = &self.queue_gpus.as_slices().0[i + 1..];
                    skip_until = i
                        + 1
                        + rest
                            .iter()
                            .position(|&g| g <= free_now)
                            .unwrap_or(rest.len());
                }
                continue;
            }
            let ends_by = now + self.queue[i].planned;
            if partition == head_partition {
                let guard = match guard {
                    Some(g) => g,
                    None => *guard.insert(self.shadow(from, now, latest_start)),
                };
                if let Some((shadow, extra)) = guard
                    && ends_by > shadow
                    && requested > extra
                {
                    continue; // it would delay the head
                }
            }
            if self.try_start(i, now, true, out) {
                smallest = self.smallest_queued();
                if partition == head_partition
                    && let Some(Some((shadow, extra))) = &mut guard
                    && ends_by > *shadow
                {
                    *extra -= requested;
                }
            }
        }
    }

    /// The head's shadow time and extra GPUs, or `None` when it cannot
    /// start within `bf_window`.
    fn shadow(
        &mut self,
        head: usize,
        now: SimTime,
        latest_start: SimTime,
    ) -> Option<(SimTime, u64)> {
        let ticket = self.queue[head].ticket;
        if self.profiles.len() == 1 && self.config.preempt_type == PreemptType::None {
            return self.shadow_from_planned_ends(ticket.request.total_gpus(), now, latest_start);
        }
        let partition = ticket.partition as usize;
        self.ensure_profile(partition, now);
        let gpus = ticket.request.total_gpus();
        let duration = self.queue[head].planned;
        let profile = &self.profiles[partition];
        let shadow = profile.earliest_start(gpus, duration, latest_start)?;
        Some((shadow, profile.free_at(shadow) - gpus))
    }

    /// [`Scheduler::shadow`] over the whole cluster without building a
    /// profile: walk the running jobs by planned end, adding up the GPUs
    /// they give back, until the head fits. Free GPUs only grow along the
    /// walk, so the first instant the head fits is its shadow time, and the
    /// free GPUs then beyond its need are the extra GPUs. Jobs past their
    /// planned end count as ending one `bf_resolution` from now, as in the
    /// profile.
    fn shadow_from_planned_ends(
        &self,
        head_gpus: u64,
        now: SimTime,
        latest_start: SimTime,
    ) -> Option<(SimTime, u64)> {
        let mut free = self.pool.free_gpus();
        let ends = &self.planned_ends;
        let gpus_of = |k: usize| self.running[ends[k].1 as usize].ticket.request.total_gpus();
        let overdue_at = now
            + self
                .config
                .backfill_params
                .resolution
                .max(SimDuration::from_ns(1));
        let mut next = 0;
        let mut overdue = 0;
        while next < ends.len() && ends[next].0 <= now {
            overdue += gpus_of(next);
            next += 1;
        }
        let mut at = now;
        loop {
            if free >= head_gpus {
                return (at <= latest_start).then_some((at, free - head_gpus));
            }
            let upcoming = ends.get(next).map(|e| e.0);
            at = match upcoming {
                Some(t) if overdue == 0 || t < overdue_at => t,
                _ if overdue > 0 => overdue_at,
                _ => return None,
            };
            if at == overdue_at {
                free += std::mem::take(&mut overdue);
            }
            while next < ends.len() && ends[next].0 == at {
                free += gpus_of(next);
                next += 1;
            }
        }
    }

    /// Conservative (Mu'alem & Feitelson 2001): every tested job, in queue
    /// order, is reserved at its earliest start in the profile, which then
    /// holds the reservation; those whose earliest start is now start.
    fn backfill_conservative(&mut self, now: SimTime, from: usize, out: &mut Vec<Decision>) {
        let params = self.config.backfill_params;
        let single_partition = self.profiles.len() == 1;
        let latest_start = now + params.window;
        let resume_from = self.resume_point(from);
        let mut tested = 0u32;
        let mut last_tested: Option<usize> = None;
        let mut smallest = self.smallest_queued();
        let order = std::iter::once(from).chain(resume_from..self.queue.len());
        for i in order {
            if single_partition {
                let free_now = if self.profile_ready[0] {
                    self.profiles[0].free_now()
                } else {
                    self.pool.free_gpus()
                };
                // No queued job fits now even by count: more reservations
                // could only hold back jobs that cannot start now either.
                // (The smallest request includes jobs tested in this cycle,
                // so this never stops too early.)
                if smallest > free_now {
                    break;
                }
            }
            if self.queue_gpus[i] == STARTED
                || (self.has_qos_limits && !self.within_limits(&self.queue[i].ticket))
            {
                continue;
            }
            if tested == params.max_job_test {
                self.resume_after = last_tested.map(|t| self.key(&self.queue[t]));
                break;
            }
            tested += 1;
            last_tested = Some(i);
            let ticket = self.queue[i].ticket;
            let partition = ticket.partition as usize;
            let gpus = ticket.request.total_gpus();
            self.ensure_profile(partition, now);
            let duration = self.queue[i].planned;
            let Some(start) = self.profiles[partition].earliest_start(gpus, duration, latest_start)
            else {
                continue;
            };
            // At `now` but not placeable (fragmentation): hold the GPUs.
            if start != now || self.try_start(i, now, i != from, out) {
                smallest = self.smallest_queued();
            }
            self.profiles[partition].reserve(start, duration, gpus);
        }
    }

    fn ensure_profile(&mut self, partition: usize, now: SimTime) {
        if self.profile_ready[partition] {
            return;
        }
        self.profile_ready[partition] = true;
        let set = &self.config.partitions[partition].nodes;
        let resolution = self.config.backfill_params.resolution;
        let profile = &mut self.profiles[partition];
        profile.begin(now, self.pool.free_gpus_in(set));
        for &(planned_end, slot) in &self.planned_ends {
            let r = &self.running[slot as usize];
            let gpus = if set.is_all() {
                r.ticket.request.total_gpus()
            } else {
                GpuPool::gpus_in(&r.allocation, set)
            };
            if gpus > 0 {
                // A job being preempted frees its GPUs within its grace time.
                let at = if r.preempting { r.start } else { planned_end };
                profile.add_release(at, gpus);
            }
        }
        profile.build(resolution);
    }

    fn can_preempt(&self, preemptor: &SubmittedJob, victim: &SubmittedJob) -> bool {
        match self.config.preempt_type {
            PreemptType::None => false,
            PreemptType::Qos => self.config.qos[preemptor.qos as usize]
                .preempt
                .contains(&victim.qos),
            PreemptType::PartitionPriority => {
                self.config.partitions[victim.partition as usize].priority_tier
                    < self.config.partitions[preemptor.partition as usize].priority_tier
            }
        }
    }

    /// Picks running jobs whose GPUs would let queue entry `i` start, and
    /// asks for them to be stopped. Victims go in order: lowest QOS
    /// priority (or partition tier) first, then the most recently started,
    /// which loses the least work.
    fn try_preempt(&mut self, i: usize, out: &mut Vec<Decision>) {
        let ticket = self.queue[i].ticket;
        let set = &self.config.partitions[ticket.partition as usize].nodes;
        let mut victims = std::mem::take(&mut self.victims);
        victims.clear();
        victims.extend((0..self.running.len() as u32).filter(|&slot| {
            let r = &self.running[slot as usize];
            r.active
                && !r.preempting
                && self.can_preempt(&ticket, &r.ticket)
                && GpuPool::gpus_in(&r.allocation, set) > 0
        }));
        let rank = |r: &RunningJob| {
            let class = match self.config.preempt_type {
                PreemptType::PartitionPriority => {
                    self.config.partitions[r.ticket.partition as usize].priority_tier
                }
                _ => self.config.qos[r.ticket.qos as usize].priority,
            };
            (class, std::cmp::Reverse(r.start), std::cmp::Reverse(r.job))
        };
        victims.sort_by_key(|&slot| rank(&self.running[slot as usize]));
        self.scratch_pool.clone_from(&self.pool);
        let mut needed = None;
        for (n, &slot) in victims.iter().enumerate() {
            self.scratch_pool
                .release(&self.running[slot as usize].allocation);
            if self
                .scratch_pool
                .try_allocate_in(ticket.request, Some(set), &mut self.scratch_alloc)
            {
                needed = Some(n + 1);
                break;
            }
        }
        if let Some(n) = needed {
            let job = self.queue[i].job;
            for &slot in &victims[..n] {
                let r = &mut self.running[slot as usize];
                r.preempting = true;
                r.preempted_for = Some(job);
                let grace = match self.config.preempt_type {
                    PreemptType::PartitionPriority => {
                        self.config.partitions[r.ticket.partition as usize].grace_time
                    }
                    _ => self.config.qos[r.ticket.qos as usize].grace_time,
                };
                out.push(Decision::Preempt { slot, grace });
            }
            self.queue[i].awaiting_victims = n as u32;
            if !self.queue[i].preemptor {
                self.queue[i].preemptor = true;
                self.preemptors_waiting += 1;
            }
            self.stats.preemptions += n as u64;
        }
        self.victims = victims;
    }

    /// Without gang scheduling: one pod per job per round, round-robin in
    /// queue order, until a round places nothing.
    fn place_pods(&mut self, now: SimTime, out: &mut Vec<Decision>) {
        loop {
            let mut placed_any = false;
            for i in 0..self.queue.len() {
                let q = &self.queue[i];
                let (pods, _) = pods_of(q.ticket.request, self.max_node_gpus);
                // All pods placed means started.
                if q.pods_placed == pods || !self.within_limits(&q.ticket) {
                    continue;
                }
                let pod = pod_request(q.ticket.request, self.max_node_gpus, q.pods_placed);
                let set = &self.config.partitions[q.ticket.partition as usize].nodes;
                if !self
                    .pool
                    .try_allocate_in(pod, Some(set), &mut self.scratch_alloc)
                {
                    continue;
                }
                placed_any = true;
                let q = &mut self.queue[i];
                q.held.extend_from_slice(&self.scratch_alloc);
                q.pods_placed += 1;
                if q.pods_placed == pods {
                    let held = std::mem::take(&mut q.held);
                    let slot = self.take_slot();
                    self.occupy(i, slot, held, now, false, out);
                }
            }
            if !placed_any {
                return;
            }
        }
    }
}

/// Without gang scheduling a job is a set of pods: one per node for a
/// `Nodes` request, one per full node's worth of GPUs (and the rest) for
/// a `Gpus` request larger than a node. Returns (pods, GPUs per full pod).
fn pods_of(request: JobRequest, max_node_gpus: u32) -> (u32, u32) {
    match request {
        JobRequest::Nodes {
            count,
            gpus_per_node,
        } => (count, gpus_per_node),
        JobRequest::Gpus(n) if n <= max_node_gpus => (1, n),
        JobRequest::Gpus(n) => (n.div_ceil(max_node_gpus), max_node_gpus),
    }
}

/// The request of pod `k` of a job.
fn pod_request(request: JobRequest, max_node_gpus: u32, k: u32) -> JobRequest {
    let (pods, per_pod) = pods_of(request, max_node_gpus);
    match request {
        JobRequest::Nodes { gpus_per_node, .. } => JobRequest::Nodes {
            count: 1,
            gpus_per_node,
        },
        JobRequest::Gpus(n) if k + 1 == pods => JobRequest::Gpus(n - per_pod * (pods - 1)),
        JobRequest::Gpus(_) => JobRequest::Gpus(per_pod),
    }
}

#[cfg(test)]
mod tests;

/// The association tree of a multifactor run: the configured accounts,
/// plus every (account, user) pair of the workload that the
/// configuration does not list, with Slurm's default `Fairshare=1`.
fn build_fairshare(
    configured: &[AccountSpec],
    directory: &Directory,
    associations: &[(u32, u32)],
) -> Result<Fairshare, String> {
    let mut accounts: Vec<AccountSpec> = configured.to_vec();
    for &(account, user) in associations {
        let account_name = &directory.accounts[account as usize];
        let user_name = &directory.users[user as usize];
        let index = match accounts.iter().position(|a| &a.name == account_name) {
            Some(i) => i,
            None => {
                accounts.push(AccountSpec {
                    name: account_name.clone(),
                    parent: None,
                    shares: 1,
                    users: Vec::new(),
                });
                accounts.len() - 1
            }
        };
        if !accounts[index].users.iter().any(|(u, _)| u == user_name) {
            accounts[index].users.push((user_name.clone(), 1));
        }
    }
    let tree = AccountTree::new(&accounts)?;
    let mut assoc_of: Vec<((u32, u32), UserAssoc)> = associations
        .iter()
        .filter_map(|&(account, user)| {
            tree.user_assoc(
                &directory.accounts[account as usize],
                &directory.users[user as usize],
            )
            .map(|a| ((account, user), a))
        })
        .collect();
    assoc_of.sort_by_key(|&(pair, _)| pair);
    assoc_of.dedup_by_key(|&mut (pair, _)| pair);
    let factors = vec![1.0; tree.user_count()];
    Ok(Fairshare {
        tree,
        assoc_of,
        factors,
        last_calc: SimTime::ZERO,
        last_reset: SimTime::ZERO,
    })
}
