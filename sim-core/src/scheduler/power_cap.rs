//! The facility power cap: a job starts only if its power budget fits the
//! headroom the running jobs' budgets leave under the cap.
//!
//! A [`PowerBudget`] states, per node, what one GPU busy at activity 1
//! adds to the facility's draw (PUE included), and the headroom: the cap
//! less the facility's idle draw. A job's budget is what its allocation
//! adds at the job's activity (1 for a training job, whose compute phases
//! run the GPUs at their limit; `plain_activity` otherwise), rounded up to
//! a whole milliwatt. It is computed on the allocation the placement
//! chose, so on a cluster of several node groups it is the draw of the
//! GPUs the job really got.
//!
//! The gate sits wherever a start is committed, after placement and
//! before `Scheduler::occupy`: the main phase and the EASY and
//! conservative backfill (`Scheduler::try_start`), the Slurm backfill
//! cycle (`start_on_usable`) and non-gang placement once a job's last pod
//! is placed (`pods.rs`). A start the cap refuses gives its allocation
//! back, as a placement that fails does, and:
//! - in the main phase the job blocks its partition exactly as a job that
//!   does not fit (the queue order is kept, Slurm's semantics), unless its
//!   budget exceeds the whole headroom, so that it could never start under
//!   this cap: it then stays pending and blocks nothing (as a job that
//!   cannot run on the nodes in service, Slurm's ReqNodeNotAvail), and it
//!   picks no preemption victims (preemption frees GPUs, not power);
//! - backfilling does not model power: plans count GPUs only (an EASY
//!   head the cap refused has its shadow time now, if it fits by GPUs),
//!   and a backfilled job must pass the gate like any other. A job a
//!   cycle would start now but the cap refuses keeps the GPUs it was
//!   placed on as a reservation from now (conservative: the profile;
//!   Slurm: the node-space map), as one that fragmentation keeps from
//!   starting, unless it could never start under the cap;
//! - without gang scheduling, a job whose pods are all placed but whose
//!   budget does not fit keeps its pods (a placed pod is never taken
//!   back) and is tried again first at every pass, in queue order.
//!
//! Recovery keeps the budget reserved at the start: the budget is held at
//! the job's full size until it ends, so the cap holds through any
//! recovery. A shrink ([`Scheduler::shrink`]) releases none of it, and a
//! grow back to the original size, or a spare swapped in, needs none as
//! long as the new node draws no more per GPU than the one it replaces
//! (one node group). A node that would draw more (another group) needs the
//! difference: [`Scheduler::grow`] and [`Scheduler::swap_in_spare`] add it
//! to the job's budget if the headroom has it, and otherwise refuse (return
//! `None`, nothing changed), so the cap holds on any cluster.
//!
//! What the cap costs is counted per pass: [`Scheduler::power_held_gpus`]
//! is the GPUs of the queued jobs the last pass could place but the cap
//! refused (at most the free GPUs with gang scheduling; without it, the
//! GPUs the refused jobs' pods hold, which [`Scheduler::held_gpus`] counts
//! too), and [`SchedulerStats::power_refusals`] counts refused starts,
//! each job at most once per pass.
//!
//! The budget is an upper bound of what the job adds under the power
//! model: a training job's real activity (the compute share of its step)
//! is at most 1, and [`PowerBudget::for_model`] rounds the per-GPU figure
//! up, so the facility's modelled draw stays under the cap up to the
//! model's own rounding of a node's power (under a milliwatt per node).
//!
//! Limits: whether a job could ever start is judged on the placement the
//! allocator chose; on a cluster of several node groups a cheaper
//! placement might have fitted. Preemption picks victims by GPUs only, and
//! a grow or swap the cap refuses does not look for a cheaper node.
//!
//! Invariants:
//! - the budget in use ([`Scheduler::power_budget_used_mw`]) is the sum of
//!   the running jobs' budgets and never exceeds the headroom;
//! - a running job's budget is fixed at its start and only grows (by a
//!   grow or swap onto a hungrier node) until it ends, when all of it is
//!   released;
//! - without a budget set nothing here changes any decision: every job's
//!   budget is 0.
//!
//! [`SchedulerStats::power_refusals`]: super::SchedulerStats::power_refusals

use super::{Decision, NodeGpus, Scheduler};
use crate::engine::SimTime;
use crate::hardware::Cluster;
use crate::units::Power;
use crate::workload::SubmittedJob;

/// The facility power a scheduler may hand out to running jobs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PowerBudget {
    /// The cap less the facility's idle draw, in milliwatts.
    pub headroom_mw: u64,
    /// Per node (dense node ids): the facility power, PUE included, in
    /// milliwatts, one GPU of that node adds over idle when busy at
    /// activity 1.
    pub per_gpu_mw: Vec<u64>,
    /// Activity of a plain (non-training) job, in [0, 1]; a training job
    /// counts at 1.
    pub plain_activity: f64,
}

impl PowerBudget {
    /// The budget of `cluster` under `cap` from its power model: per node,
    /// its group's busy GPU span times the PUE (rounded up); the headroom
    /// is the cap less the facility's idle draw (zero if the cap is below
    /// it, when no job of non-zero budget can start); plain jobs at the
    /// spec's `job_activity`.
    pub fn for_model(model: &crate::power::PowerModel, cluster: &Cluster, cap: Power) -> Self {
        let pue = model.spec.pue;
        let per_gpu_mw = (0..cluster.node_count() as u32)
            .map(|node| (model.group(node).busy_gpu_span_mw as f64 * pue).ceil() as u64)
            .collect();
        let idle_mw = model.facility_mw(model.idle_it_mw());
        PowerBudget {
            headroom_mw: cap.as_milliwatts().saturating_sub(idle_mw),
            per_gpu_mw,
            plain_activity: model.spec.job_activity.clamp(0.0, 1.0),
        }
    }

    /// The activity a job is budgeted at: 1 for a training job, else
    /// `plain_activity`.
    pub fn activity(&self, ticket: &SubmittedJob) -> f64 {
        if ticket.training.is_some() {
            1.0
        } else {
            self.plain_activity.clamp(0.0, 1.0)
        }
    }

    /// The budget of `ticket` on the GPUs of `parts`: Σ GPUs × per-GPU
    /// power of their node × activity, rounded up to a milliwatt.
    pub fn job_mw(&self, ticket: &SubmittedJob, parts: impl IntoIterator<Item = NodeGpus>) -> u64 {
        let full: u64 = parts
            .into_iter()
            .map(|p| u64::from(p.gpu_count()) * self.per_gpu_mw[p.node as usize])
            .sum();
        let activity = self.activity(ticket);
        if activity >= 1.0 {
            full
        } else {
            (full as f64 * activity).ceil() as u64
        }
    }
}

/// How an attempt to start a queued job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Attempt {
    Started,
    /// It could not be placed.
    NoRoom,
    /// It was placed but the power cap refused it; `ever` is false when
    /// its budget exceeds the whole headroom (it could never start).
    NoPower {
        ever: bool,
    },
}

impl Attempt {
    pub fn started(self) -> bool {
        self == Attempt::Started
    }
}

/// The power cap's state in a scheduler.
#[derive(Clone, Debug, Default)]
pub(super) struct PowerState {
    pub budget: Option<PowerBudget>,
    /// Sum of the running jobs' budgets.
    pub used_mw: u64,
    /// Scheduling passes so far (numbers the pass under way).
    pub pass: u64,
    /// GPUs of the jobs the pass under way refused.
    pub refused_gpus: u64,
    /// [`Scheduler::power_held_gpus`] after the last pass.
    pub held_gpus: u64,
}

impl Scheduler {
    /// Caps the power running jobs may draw. Call once, after `new`,
    /// before any job starts (running jobs would count with no budget).
    ///
    /// # Panics
    ///
    /// If `per_gpu_mw` does not have one entry per node.
    pub fn set_power_budget(&mut self, budget: PowerBudget) {
        assert_eq!(
            budget.per_gpu_mw.len(),
            self.pool.node_count(),
            "one per-GPU power per node"
        );
        debug_assert!(
            self.running.iter().all(|r| !r.active),
            "the power budget is set before jobs start"
        );
        self.power.budget = Some(budget);
    }

    /// The sum of the running jobs' budgets, in milliwatts (0 without a
    /// budget).
    pub fn power_budget_used_mw(&self) -> u64 {
        self.power.used_mw
    }

    /// After a pass: the GPUs of the queued jobs it could place but the
    /// power cap refused (with gang scheduling at most the free GPUs;
    /// without, the GPUs their pods hold, also in
    /// [`Scheduler::held_gpus`]).
    pub fn power_held_gpus(&self) -> u64 {
        self.power.held_gpus
    }

    /// A pass begins.
    pub(super) fn power_pass_begins(&mut self) {
        self.power.pass += 1;
        self.power.refused_gpus = 0;
    }

    /// A pass ended.
    pub(super) fn power_pass_ends(&mut self) {
        self.power.held_gpus = if self.config.gang {
            self.power.refused_gpus.min(self.pool.free_gpus())
        } else {
            self.power.refused_gpus
        };
    }

    /// The gate: whether queue entry `i` may start on `allocation` under
    /// the cap. `Ok` with its budget, to be taken by `occupy`; else the
    /// refusal is counted (once per job per pass) and `Err` says whether
    /// it could ever start (its budget fits the whole headroom).
    pub(super) fn power_gate(&mut self, i: usize, allocation: &[NodeGpus]) -> Result<u64, bool> {
        let Some(budget) = &self.power.budget else {
            return Ok(0);
        };
        let q = &self.queue[i];
        let need = budget.job_mw(&q.ticket, allocation.iter().copied());
        if self.power.used_mw + need <= budget.headroom_mw {
            return Ok(need);
        }
        let ever = need <= budget.headroom_mw;
        if q.power_refused_pass != self.power.pass {
            let gpus = allocation
                .iter()
                .map(|p| u64::from(p.gpu_count()))
                .sum::<u64>();
            self.queue[i].power_refused_pass = self.power.pass;
            self.power.refused_gpus += gpus;
            self.stats.power_refusals += 1;
        }
        Err(ever)
    }

    /// Starts queue entry `i` in `slot` on the `allocation` just placed if
    /// the power gate lets it; else gives the allocation and the slot back.
    /// Every start path (the main phase, EASY and conservative backfill,
    /// Slurm's backfill cycle) ends here.
    pub(super) fn start_if_powered(
        &mut self,
        i: usize,
        slot: u32,
        allocation: Vec<NodeGpus>,
        now: SimTime,
        backfilled: bool,
        out: &mut Vec<Decision>,
    ) -> Attempt {
        match self.power_gate(i, &allocation) {
            Ok(power_mw) => {
                self.occupy(i, slot, allocation, power_mw, now, backfilled, out);
                Attempt::Started
            }
            Err(ever) => {
                self.pool.release(&allocation);
                self.running[slot as usize].allocation = allocation;
                self.free_slots.push(slot);
                Attempt::NoPower { ever }
            }
        }
    }

    /// Recovery: the running job in `slot` would hold `parts` (its
    /// allocation changed). Its budget grows to their budget if that is
    /// more, when the headroom has the difference; returns false (nothing
    /// changed) when it does not.
    pub(super) fn power_regrow(
        &mut self,
        slot: u32,
        parts: impl IntoIterator<Item = NodeGpus>,
    ) -> bool {
        let Some(budget) = &self.power.budget else {
            return true;
        };
        let r = &self.running[slot as usize];
        let need = budget.job_mw(&r.ticket, parts);
        if need <= r.power_mw {
            return true;
        }
        let extra = need - r.power_mw;
        if self.power.used_mw + extra > budget.headroom_mw {
            return false;
        }
        self.power.used_mw += extra;
        self.running[slot as usize].power_mw = need;
        true
    }
}

#[cfg(test)]
mod tests {
    //! Hand-computed cases on a 4-node, 8-GPU DGX H100 cluster (32 GPUs),
    //! with a round per-GPU power of 1 kW (so a full 8-GPU job budgets
    //! 8 kW), and a property test of the cap over random workloads.

    use super::super::tests::{at, cluster, directory, job};
    use super::super::{
        Backfill, Decision, JobIndex, Scheduler, SchedulerConfig, SlotRef, SubmittedJob,
    };
    use super::*;
    use crate::workload::{AccountId, JobRequest, UserId};

    const KW: u64 = 1_000_000;

    fn budget(headroom_kw: u64, plain_activity: f64) -> PowerBudget {
        PowerBudget {
            headroom_mw: headroom_kw * KW,
            per_gpu_mw: vec![KW; 4],
            plain_activity,
        }
    }

    fn scheduler(backfill: Backfill, gang: bool, power: PowerBudget) -> Scheduler {
        let mut config = SchedulerConfig::fcfs(4);
        config.backfill = backfill;
        config.gang = gang;
        config.backfill_params.interval = crate::engine::SimDuration::ZERO;
        config.backfill_params.resolution = crate::engine::SimDuration::from_secs(1);
        let mut sched = Scheduler::new(
            config,
            &cluster(4, 8),
            &directory(),
            &[(AccountId(0), UserId(0))],
        );
        sched.set_power_budget(power);
        sched
    }

    fn training(gpus: u32, limit_s: u64) -> SubmittedJob {
        SubmittedJob {
            training: Some(0),
            ..job(gpus, limit_s)
        }
    }

    /// Queues `jobs` (indices from `first`) at `now`, runs one pass, and
    /// returns the started jobs' indices and handles.
    fn pass(
        sched: &mut Scheduler,
        now: u64,
        first: u32,
        jobs: &[SubmittedJob],
    ) -> Vec<(JobIndex, SlotRef)> {
        for (k, j) in jobs.iter().enumerate() {
            sched.enqueue(first + k as u32, *j, at(now));
        }
        let mut out = Vec::new();
        sched.schedule(at(now), false, &mut out);
        out.iter()
            .filter_map(|d| match *d {
                Decision::Start { slot } => Some((sched.running(slot).job, slot)),
                Decision::Preempt { .. } => None,
            })
            .collect()
    }

    fn jobs_of(started: &[(JobIndex, SlotRef)]) -> Vec<JobIndex> {
        started.iter().map(|&(j, _)| j).collect()
    }

    #[test]
    fn room_for_two_full_nodes_starts_two_and_the_third_when_one_ends() {
        // Headroom 16 kW: two 8-GPU training jobs (8 kW each) fit; the
        // third would need 24 kW. 16 GPUs stay free but held by power.
        let mut sched = scheduler(Backfill::None, true, budget(16, 1.0));
        let jobs = [training(8, 100), training(8, 100), training(8, 100)];
        let started = pass(&mut sched, 0, 0, &jobs);
        assert_eq!(jobs_of(&started), [0, 1]);
        assert_eq!(sched.power_budget_used_mw(), 16 * KW);
        assert_eq!(sched.power_held_gpus(), 8);
        assert_eq!(sched.stats().power_refusals, 1);
        assert_eq!(sched.queue_len(), 1);
        // Nothing changes until a job ends.
        assert!(pass(&mut sched, 50, 3, &[]).is_empty());
        assert_eq!(sched.stats().power_refusals, 2, "once per pass");
        sched.end(started[0].1, at(100));
        assert_eq!(sched.power_budget_used_mw(), 8 * KW);
        assert_eq!(jobs_of(&pass(&mut sched, 100, 3, &[])), [2]);
        assert_eq!(sched.power_budget_used_mw(), 16 * KW);
        assert_eq!(sched.power_held_gpus(), 0);
    }

    #[test]
    fn a_job_blocked_by_power_blocks_its_partition_but_easy_backfills_around_it() {
        // Headroom 14 kW; job 0 (8 GPUs) runs: 6 kW and 24 GPUs left.
        // Job 1 needs 12 GPUs (free) and 12 kW (not there): the blocked
        // head. Job 2 needs 8 GPUs and 8 kW, job 3 4 GPUs and 4 kW.
        let queued = [training(12, 50), training(8, 1_000), training(4, 1_000)];
        // FCFS without backfill: jobs 2 and 3 wait behind job 1.
        let mut sched = scheduler(Backfill::None, true, budget(14, 1.0));
        assert_eq!(jobs_of(&pass(&mut sched, 0, 0, &[training(8, 100)])), [0]);
        assert!(pass(&mut sched, 0, 1, &queued).is_empty());
        assert_eq!(sched.power_held_gpus(), 12);
        assert_eq!(sched.stats().power_refusals, 1);
        // EASY: the head's shadow time is now (it fits by GPUs), leaving
        // 24 - 12 = 12 extra GPUs. Job 2 fits them but not the power (8 kW
        // > 6): the gate refuses it. Job 3 takes 4 of them and 4 kW.
        let mut sched = scheduler(Backfill::Easy, true, budget(14, 1.0));
        assert_eq!(jobs_of(&pass(&mut sched, 0, 0, &[training(8, 100)])), [0]);
        assert_eq!(jobs_of(&pass(&mut sched, 0, 1, &queued)), [3]);
        assert_eq!(sched.stats().backfilled_jobs, 1);
        assert_eq!(sched.stats().power_refusals, 2);
        assert_eq!(sched.power_budget_used_mw(), 12 * KW);
        // Jobs 1 and 2 could be placed (12 + 8 GPUs); 20 GPUs are free.
        assert_eq!(sched.power_held_gpus(), 20);
    }

    #[test]
    fn half_activity_fits_twice_as_many_plain_jobs_as_training_jobs() {
        // Headroom 16 kW: two 8-GPU training jobs (8 kW each), or four
        // plain jobs at activity 0.5 (4 kW each).
        let mut sched = scheduler(Backfill::None, true, budget(16, 0.5));
        let started = pass(&mut sched, 0, 0, &[training(8, 10); 4]);
        assert_eq!(jobs_of(&started), [0, 1]);
        let mut sched = scheduler(Backfill::None, true, budget(16, 0.5));
        let started = pass(&mut sched, 0, 0, &[job(8, 10); 4]);
        assert_eq!(jobs_of(&started), [0, 1, 2, 3]);
        assert_eq!(sched.power_budget_used_mw(), 16 * KW);
        // Rounded up to a milliwatt: 3 GPUs × 1 kW × 1/3.
        let third = PowerBudget {
            plain_activity: 1.0 / 3.0,
            ..budget(16, 0.0)
        };
        let parts = [NodeGpus {
            node: 0,
            mask: 0b111,
        }];
        assert_eq!(third.job_mw(&job(3, 10), parts), KW);
        let parts = [NodeGpus { node: 1, mask: 0b1 }];
        assert_eq!(third.job_mw(&job(1, 10), parts), 333_334);
    }

    #[test]
    fn a_job_that_could_never_fit_the_cap_blocks_nothing() {
        // Headroom 12 kW: a 16-GPU job (16 kW) can never start; the jobs
        // behind it do, although the queue is FCFS without backfill.
        let mut sched = scheduler(Backfill::None, true, budget(12, 1.0));
        let jobs = [training(16, 10), training(8, 10), training(4, 10)];
        assert_eq!(jobs_of(&pass(&mut sched, 0, 0, &jobs)), [1, 2]);
        assert_eq!(sched.power_held_gpus(), 16);
    }

    #[test]
    fn without_gang_a_refused_job_keeps_its_pods_and_starts_when_power_frees() {
        // Headroom 16 kW. Job 0 (8 GPUs, one pod) starts: 8 kW left. Job 1
        // (two 8-GPU pods, 16 kW) places its first pod, job 2 (4 GPUs,
        // 4 kW) its only one and starts; job 1 places its second pod but
        // is refused (4 kW left), and holds both.
        let mut sched = scheduler(Backfill::None, false, budget(16, 1.0));
        let first = pass(&mut sched, 0, 0, &[training(8, 100)]);
        assert_eq!(jobs_of(&first), [0]);
        let mut big = training(16, 100);
        big.request = JobRequest::Nodes {
            count: 2,
            gpus_per_node: 8,
        };
        let second = pass(&mut sched, 0, 1, &[big, training(4, 10)]);
        assert_eq!(jobs_of(&second), [2]);
        assert_eq!(sched.power_held_gpus(), 16);
        assert_eq!(sched.held_gpus(), 16);
        assert_eq!(sched.power_budget_used_mw(), 12 * KW);
        // Job 0 ends: 8 kW are back, but job 1 needs 16 with job 2 on.
        sched.end(first[0].1, at(100));
        assert!(pass(&mut sched, 100, 3, &[]).is_empty());
        assert_eq!(sched.held_gpus(), 16);
        // Its pods are still held: it starts as soon as job 2 is gone.
        sched.end(second[0].1, at(110));
        let started = pass(&mut sched, 110, 3, &[]);
        assert_eq!(jobs_of(&started), [1]);
        assert_eq!(sched.running(started[0].1).gpus(), 16);
        assert_eq!(sched.held_gpus(), 0);
        assert_eq!(sched.power_held_gpus(), 0);
        assert_eq!(sched.power_budget_used_mw(), 16 * KW);
    }

    #[test]
    fn shrink_keeps_the_budget_and_grow_back_needs_none() {
        // Headroom 16 kW: a 16-GPU job on two nodes takes all of it.
        let mut sched = scheduler(Backfill::None, true, budget(16, 1.0));
        let mut two = training(16, 1_000);
        two.request = JobRequest::Nodes {
            count: 2,
            gpus_per_node: 8,
        };
        let started = pass(&mut sched, 0, 0, &[two]);
        let slot = started[0].1;
        let lost = sched.running(slot).allocation[0].node;
        assert_eq!(sched.shrink(slot, lost, at(10)), 1);
        assert_eq!(sched.power_budget_used_mw(), 16 * KW, "not released");
        // A new job may not take the shrunk job's power.
        assert!(pass(&mut sched, 10, 1, &[training(1, 10)]).is_empty());
        assert!(sched.grow(slot, at(20)).is_some(), "back to full size");
        assert_eq!(sched.power_budget_used_mw(), 16 * KW);
        assert_eq!(sched.running(slot).power_budget_mw(), 16 * KW);
        // Growing past the original size needs the difference.
        assert!(sched.grow(slot, at(30)).is_none());
        sched.end(slot, at(40));
        assert_eq!(sched.power_budget_used_mw(), 0);
    }

    #[test]
    fn for_model_is_the_busy_span_times_pue_over_the_idle_facility() {
        use crate::power::{PowerModel, PowerSpec};
        let cluster = cluster(4, 8);
        let spec = PowerSpec {
            pue: 1.5,
            ..PowerSpec::default()
        };
        let model = PowerModel::new(spec, &cluster, None);
        let g = *model.group(0);
        let idle = (model.idle_it_mw() as f64 * 1.5).round() as u64;
        let cap = Power::from_milliwatts(idle + 10 * KW);
        let b = PowerBudget::for_model(&model, &cluster, cap);
        assert_eq!(b.headroom_mw, 10 * KW);
        let per_gpu = (g.busy_gpu_span_mw as f64 * 1.5).ceil() as u64;
        assert_eq!(b.per_gpu_mw, vec![per_gpu; 4]);
        assert_eq!(b.plain_activity, PowerSpec::default().job_activity);
        // A cap below the idle facility leaves no headroom.
        let b = PowerBudget::for_model(&model, &cluster, Power::from_milliwatts(idle / 2));
        assert_eq!(b.headroom_mw, 0);
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        /// A random job: GPUs, run time (= time limit) and submission in
        /// seconds, and whether it trains.
        type Job = (u32, u64, u64, bool);

        /// Runs `jobs` to the end under `power` (submissions and ends in
        /// time order, a pass and a backfill tick at each instant);
        /// checks the cap and the budget's sum after every pass and
        /// returns which jobs started.
        fn run(backfill: Backfill, gang: bool, power: &PowerBudget, jobs: &[Job]) -> Vec<bool> {
            let headroom = power.headroom_mw;
            let mut sched = scheduler(backfill, gang, power.clone());
            let mut submits: Vec<(u64, u32)> = (jobs.iter().enumerate())
                .map(|(k, &(.., submit, _))| (submit, k as u32))
                .collect();
            submits.sort_unstable_by(|a, b| b.cmp(a)); // popped earliest first
            let mut started = vec![false; jobs.len()];
            let mut running: Vec<(u64, SlotRef)> = Vec::new();
            let mut out = Vec::new();
            loop {
                running.sort_by_key(|&(end, s)| (std::cmp::Reverse(end), s.slot()));
                let next_end = running.last().map(|&(end, _)| end);
                let next_submit = submits.last().map(|&(t, _)| t);
                let Some(now) = next_end.into_iter().chain(next_submit).min() else {
                    break;
                };
                while running.last().is_some_and(|&(end, _)| end == now) {
                    let (_, slot) = running.pop().unwrap();
                    sched.end(slot, at(now));
                }
                while submits.last().is_some_and(|&(t, _)| t == now) {
                    let (_, k) = submits.pop().unwrap();
                    let (gpus, secs, _, train) = jobs[k as usize];
                    let j = if train {
                        training(gpus, secs)
                    } else {
                        job(gpus, secs)
                    };
                    sched.enqueue(
                        k,
                        SubmittedJob {
                            submit: at(now),
                            ..j
                        },
                        at(now),
                    );
                }
                for tick in [false, true] {
                    out.clear();
                    sched.schedule(at(now), tick, &mut out);
                    let used = sched.power_budget_used_mw();
                    assert!(used <= headroom, "{used} mW over the headroom {headroom}");
                    assert!(sched.power_held_gpus() <= 32);
                    for d in &out {
                        if let Decision::Start { slot } = *d {
                            let r = sched.running(slot);
                            assert!(!started[r.job as usize], "started twice");
                            started[r.job as usize] = true;
                            let budget = power.job_mw(&r.ticket, r.allocation.iter().copied());
                            assert_eq!(r.power_budget_mw(), budget);
                            let secs = r.ticket.runtime.as_ns() / 1_000_000_000;
                            running.push((now + secs, slot));
                        }
                    }
                    let sum: u64 = (running.iter())
                        .map(|&(_, s)| sched.running(s).power_budget_mw())
                        .sum();
                    assert_eq!(sum, sched.power_budget_used_mw());
                }
            }
            assert_eq!(sched.power_budget_used_mw(), 0);
            started
        }

        fn power(headroom_kw: u64, per_gpu_kw: &[u64]) -> PowerBudget {
            PowerBudget {
                per_gpu_mw: per_gpu_kw.iter().map(|kw| kw * KW).collect(),
                ..budget(headroom_kw, 0.5)
            }
        }

        /// A job's least and most budget on any placement.
        fn bounds(power: &PowerBudget, &(gpus, _, _, train): &Job) -> (u64, u64) {
            let gpus = u64::from(gpus);
            let least = *power.per_gpu_mw.iter().min().unwrap();
            let most = *power.per_gpu_mw.iter().max().unwrap();
            let activity = if train { 2 } else { 1 }; // in halves
            (gpus * least * activity / 2, gpus * most * activity / 2)
        }

        fn jobs() -> impl Strategy<Value = Vec<Job>> {
            proptest::collection::vec((1u32..=32, 1u64..500, 0u64..300, any::<bool>()), 1..25)
        }

        fn backfills() -> impl Strategy<Value = Backfill> {
            prop::sample::select(vec![
                Backfill::None,
                Backfill::Easy,
                Backfill::Conservative,
                Backfill::Slurm,
            ])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            /// One kW per GPU everywhere: a job starts if and only if its
            /// own budget fits the headroom.
            #[test]
            fn the_cap_holds_and_every_job_that_fits_it_starts(
                backfill in backfills(),
                headroom_kw in 0u64..40,
                jobs in jobs(),
            ) {
                let power = power(headroom_kw, &[1; 4]);
                let started = run(backfill, true, &power, &jobs);
                for (k, j) in jobs.iter().enumerate() {
                    let (need, _) = bounds(&power, j);
                    prop_assert_eq!(started[k], need <= power.headroom_mw, "job {}: {:?}", k, j);
                }
            }

            /// Nodes of different power: the cap holds; a job whose most
            /// costly placement fits starts, one whose cheapest does not
            /// never does.
            #[test]
            fn the_cap_holds_on_nodes_of_different_power(
                backfill in backfills(),
                headroom_kw in 0u64..80,
                per_gpu_kw in proptest::collection::vec(1u64..=3, 4),
                jobs in jobs(),
            ) {
                let power = power(headroom_kw, &per_gpu_kw);
                let started = run(backfill, true, &power, &jobs);
                for (k, j) in jobs.iter().enumerate() {
                    let (least, most) = bounds(&power, j);
                    if most <= power.headroom_mw {
                        prop_assert!(started[k], "job {}: {:?}", k, j);
                    }
                    if least > power.headroom_mw {
                        prop_assert!(!started[k], "job {}: {:?}", k, j);
                    }
                }
            }

            /// Without gang scheduling pods can deadlock, so only the cap
            /// is checked, and that no job over it starts.
            #[test]
            fn the_cap_holds_without_gang_scheduling(
                headroom_kw in 0u64..40,
                jobs in jobs(),
            ) {
                let power = power(headroom_kw, &[1; 4]);
                let started = run(Backfill::None, false, &power, &jobs);
                for (k, j) in jobs.iter().enumerate() {
                    let (need, _) = bounds(&power, j);
                    prop_assert!(!started[k] || need <= power.headroom_mw);
                }
            }
        }
    }
}
