//! One run of a scenario: the engine model that ties the workload, the
//! scheduler and the metrics together.
//!
//! Event handling (all at the event's instant):
//! - `Arrival`: the next job of the [`JobSource`] is submitted: refused if it
//!   can never run (too big for its partition, over a limit), held PENDING
//!   with Slurm's reason if it is over a partition limit under
//!   `EnforcePartLimits=NO`, queued otherwise; the following arrival is
//!   scheduled.
//! - `JobEnd`: the job's GPUs are freed; it ends COMPLETED, or TIMEOUT when
//!   it was killed at its limit. A preemption victim in its grace time is
//!   stopped as preempted instead, as at `PreemptStop` (Slurm handles any
//!   exit within GraceTime according to PreemptMode).
//! - `PreemptStop`: a preempted job's grace time is over: it is stopped,
//!   its work so far counted as lost, and it is requeued or ends PREEMPTED.
//!   A requeued job is PENDING but queued only at `Eligible`, its new begin
//!   time ([`crate::scheduler::REQUEUE_DELAY`] later, as Slurm's
//!   `batch_requeue_fini()` sets it).
//! - `SchedulePass`: the scheduler decides. Arrivals and ends request a
//!   pass, at most one per instant, run after everything already due at
//!   that instant, so all completions and arrivals of an instant are seen
//!   before one scheduling decision is made (as Slurm's scheduler and the
//!   trace-replay literature do). When the requesting event is the last
//!   one due at its instant the pass runs right away, which is the same
//!   point in the order without the round trip through the event heap.
//! - With `backfill: Slurm` the passes are slurmctld's: a submission
//!   does not trigger a pass at its instant but a `SubmitPass` at
//!   slurmctld's next wake-up (every second, half a second past it:
//!   `SLURMCTLD_PHASE`), job ends still trigger one at once, a `MainTick`
//!   runs the main scheduler every `sched_interval`, a `BackfillTick`
//!   runs the backfill cycle alone, and both ticks fall half a second
//!   past multiples of their periods.
//! - `BackfillTick` (every `bf_interval`, when it is not zero),
//!   `MainTick` (every `sched_interval`, `backfill: Slurm` only) and
//!   `PriorityCalc` (every `PriorityCalcPeriod`, with multifactor
//!   priority) run while there are jobs; all are aligned to multiples of
//!   their period from time zero. They stop when nothing else can happen
//!   (no arrival to come, nothing running, no other event pending), so
//!   they never hide a deadlock: the run then ends with `deadlock`.
//!
//! Invariants:
//! - at most one `Arrival` is pending, so memory does not grow with the
//!   number of future jobs;
//! - every job reaches exactly one final state, or is reported as running
//!   or pending when a stop condition ends the run (the end of
//!   representable time is one: `end_of_time`, with the clock at
//!   `SimTime::MAX` and later submissions never made);
//! - events for a running job carry its [`SlotRef`] (slot and generation);
//!   an event whose job has already left the slot (ended, preempted) is
//!   ignored;
//! - running jobs hold a slot whose allocation vector is reused, so the
//!   steady state allocates nothing per event.

mod autoscale;
mod checkpoints;
mod energy;
mod faults;
mod flow_phase;
mod outages;
mod outputs;
mod progress;
mod recovery;
mod reliability_summary;
mod time_slicing;
mod training;

pub use outputs::{OutputError, monitor_layout, output_files, run_into_dir, write_outputs};

use crate::engine::{Engine, Halt, Model, Progress, RngStreams, SimDuration, SimTime};
use crate::metrics::{
    GpuTime, JobDetail, JobRecord, JobState, Recorder, RunTotals, SchedulingSummary,
    SharingSummary, StopReason, Summary, TimeSample, TraceAlloc, TraceEvent, TraceSink, fairness,
    summarize,
};
use crate::scenario::Scenario;
use crate::scheduler::fairshare::AccountTree;
use crate::scheduler::{
    Decision, Ended, JobIndex, NodeGpus, NodeSet, SLURMCTLD_WAKEUP, Scheduler, SchedulerConfig,
    SlotRef, TaskShape,
};
use crate::workload::{Directory, GpuShare, JobRequest, JobSource, SubmittedJob};

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub summary: Summary,
    pub jobs: Vec<JobRecord>,
    pub timeseries: Vec<TimeSample>,
    pub stop_reason: StopReason,
    /// The instant the run ended.
    pub end: SimTime,
    /// GPU-time busy, down, draining and idle up to `end` (all four only
    /// when the scenario models failures or checkpoints).
    pub gpu_time: GpuTime,
}

/// Where a run is, for progress bars.
#[derive(Clone, Copy, Debug)]
pub struct RunProgress {
    pub now: SimTime,
    pub events: u64,
    pub jobs_submitted: u64,
    pub jobs_finished: u64,
    /// Expected number of jobs (exact when the workload says so).
    pub jobs_expected: u64,
    pub horizon: Option<SimTime>,
}

impl RunProgress {
    /// A rough 0..=1 completion estimate: jobs finished, or time elapsed
    /// towards the horizon, whichever is further along.
    pub fn fraction(&self) -> f64 {
        let by_jobs = if self.jobs_expected > 0 {
            self.jobs_finished as f64 / self.jobs_expected as f64
        } else {
            0.0
        };
        let by_time = self
            .horizon
            .map_or(0.0, |h| self.now.as_ns() as f64 / h.as_ns().max(1) as f64);
        by_jobs.max(by_time).clamp(0.0, 1.0)
    }
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    /// The job reaches its true end or its time limit.
    JobEnd(SlotRef),
    /// A tenant of a time-sliced GPU may have done its work (ignored
    /// unless its latest re-timing says now, `time_slicing.rs`).
    SliceDone(SlotRef),
    /// A preempted job's grace time is over.
    PreemptStop(SlotRef),
    /// Requeued jobs reach their begin time and join the queue.
    Eligible,
    SchedulePass,
    /// The first pass that sees a submission (`backfill: Slurm`).
    SubmitPass,
    BackfillTick,
    /// The main scheduler's periodic full pass (`backfill: Slurm`).
    MainTick,
    PriorityCalc,
    /// A training job's step reached its next point (flow fidelity).
    TrainingTimer(SlotRef),
    /// Flows on the fabric finish now (flow fidelity).
    FabricWake,
    /// The next failure of a component of this class is due.
    Failure(u16),
    /// A failure of `node` is noticed.
    Detect {
        node: u32,
        class: u16,
    },
    /// `node`'s repair (or maintenance) is over; `retire`: the drain rule
    /// keeps it DRAINED.
    Repaired {
        node: u32,
        class: u16,
        retire: bool,
    },
    /// A failure of part `part` of this network class (a cable or a
    /// switch) is noticed.
    PartNoticed {
        class: u16,
        part: u32,
    },
    /// Part `part` of this network class is repaired.
    PartRepaired {
        class: u16,
        part: u32,
    },
    /// A software failure of the job: it hangs from now.
    JobFault(SlotRef),
    /// The job's software failure is noticed.
    JobFaultNoticed(SlotRef),
    /// A job's restart, work or checkpoint phase ends.
    JobTimer(SlotRef),
    /// An asynchronous checkpoint of fixed cost is written.
    PersistDone(SlotRef),
    /// Checkpoint writes to the shared storage finish now.
    StorageWake,
    /// Planned maintenance of this class drains its next nodes.
    Maintenance(u16),
    /// Autoscaling: jobs may have waited long enough to add nodes.
    ScaleCheck,
    /// Autoscaling: `node` is provisioned and goes into service.
    Provisioned {
        node: u32,
    },
    /// Autoscaling: `node` may have been idle long enough to release.
    Release {
        node: u32,
    },
}

// The event heap holds one or two events per running job: keep them small.
const _: () = assert!(std::mem::size_of::<Event>() == 12);

struct ClusterSim<'a> {
    source: JobSource,
    next_arrival: Option<SubmittedJob>,
    jobs: Vec<JobRecord>,
    scheduler: Scheduler,
    decisions: Vec<Decision>,
    recorder: Recorder,
    directory: &'a Directory,
    trace: &'a mut dyn TraceSink,
    on_progress: &'a mut dyn FnMut(&RunProgress),
    pass_pending: bool,
    submit_pass_pending: bool,
    backfill_tick_pending: bool,
    main_tick_pending: bool,
    priority_calc_pending: bool,
    jobs_finished: u64,
    jobs_expected: u64,
    horizon: Option<SimTime>,
    requeues: u64,
    lost_gpu_ns: u128,
    training: training::Training<'a>,
    /// When a job last arrived, started or ended.
    last_change: SimTime,
    /// A started job's allocation in the trace's terms (reused).
    trace_alloc: Vec<TraceAlloc>,
    /// Failures, repairs and checkpoints; `None` when nothing can fail
    /// and no job checkpoints.
    reliability: Option<recovery::Reliability<'a>>,
    /// Power, energy and cost; `None` unless the scenario models power.
    energy: Option<energy::Ledger>,
    /// Tenants of time-sliced GPUs; `None` without time-slicing.
    time_sliced: Option<time_slicing::TimeSliced>,
    /// Whether allocated and fragmented capacity are measured (a job
    /// shares a GPU, `task_mix`).
    measures_capacity: bool,
    /// Kubernetes queues' quotas as last told to the trace, and a buffer.
    quotas_seen: Vec<(u64, u64, u64)>,
    quotas_now: Vec<(u64, u64, u64)>,
    /// Cloud groups that grow and shrink; `None` unless one autoscales.
    autoscale: Option<autoscale::Autoscaler>,
    /// Nodes a job just left (autoscaling checks whether they are idle),
    /// and the jobs on one (scratch).
    freed_nodes: Vec<u32>,
    freed_slots: Vec<SlotRef>,
    /// Scratch for autoscaling decisions.
    scale_out: Vec<(u32, SimTime)>,
}

/// Runs `scenario` to its stop condition. State changes go to `trace`;
/// `on_progress` is called now and then (every 65,536 events).
pub fn run(
    scenario: &Scenario,
    trace: &mut dyn TraceSink,
    on_progress: &mut dyn FnMut(&RunProgress),
) -> RunResult {
    let streams = RngStreams::new(scenario.seed);
    let mut source = JobSource::new(&scenario.workload, &streams);
    let total_gpus = scenario.cluster.total_gpus();
    // Pending events: one or two per running job (at most two per GPU),
    // one arrival, two passes and three periodic ticks.
    let mut engine = Engine::with_capacity(total_gpus.min(1 << 20) as usize + 6);
    let next_arrival = source.next_job();
    if let Some(job) = next_arrival {
        engine.schedule_at(job.submit, Event::Arrival);
    }
    let jobs_expected = scenario.workload.expected_job_count();
    let directory = &scenario.workload.directory;
    let mut sim = ClusterSim {
        source,
        next_arrival,
        // Each submission is an event: no more records than the budget
        // allows, and no huge reservation up front for a huge workload.
        jobs: Vec::with_capacity(
            (jobs_expected.min(scenario.stop.max_events.unwrap_or(u64::MAX))).min(1 << 20) as usize,
        ),
        scheduler: Scheduler::new(
            scenario.scheduler.clone(),
            &scenario.cluster,
            directory,
            &scenario.workload.associations,
        ),
        decisions: Vec::new(),
        recorder: Recorder::new(scenario.outputs.timeseries_interval),
        directory,
        trace,
        on_progress,
        pass_pending: false,
        submit_pass_pending: false,
        backfill_tick_pending: false,
        main_tick_pending: false,
        priority_calc_pending: false,
        jobs_finished: 0,
        jobs_expected,
        horizon: scenario.stop.horizon,
        requeues: 0,
        lost_gpu_ns: 0,
        training: training::Training::new(scenario),
        last_change: SimTime::ZERO,
        trace_alloc: Vec::new(),
        reliability: recovery::Reliability::new(scenario),
        autoscale: scenario
            .cost
            .as_ref()
            .and_then(|c| autoscale::Autoscaler::new(&c.autoscale, &scenario.cluster)),
        freed_nodes: Vec::new(),
        freed_slots: Vec::new(),
        scale_out: Vec::new(),
        measures_capacity: false,
        quotas_seen: Vec::new(),
        quotas_now: Vec::new(),
        time_sliced: (scenario.scheduler.time_slicing)
            .map(|t| time_slicing::TimeSliced::new(t.switch_overhead)),
        energy: scenario.power.as_ref().map(|p| {
            energy::Ledger::new(
                p,
                scenario.cost.as_ref(),
                &scenario.cluster,
                scenario.network.fabric.as_ref(),
            )
        }),
    };
    if !scenario.workload.gpu_types.is_empty() {
        let cluster = &scenario.cluster;
        let sets = (scenario.workload.gpu_types.iter())
            .map(|models| {
                NodeSet::from_members(
                    (cluster.nodes.iter())
                        .map(|n| models.contains(&cluster.groups[n.group as usize].gpu_model.name))
                        .collect(),
                )
            })
            .collect();
        sim.scheduler.set_gpu_types(sets);
    }
    sim.scheduler.set_queue_names(&scenario.workload.queues);
    if let Some(mix) = task_mix(scenario) {
        sim.scheduler.measure_fragmentation(mix);
        sim.recorder.measure_capacity();
        sim.measures_capacity = true;
    }
    if scenario.reliability.spares > 0 {
        sim.scheduler.set_spares(scenario.reliability.spares);
    }
    if let Some(scaler) = sim.autoscale.as_ref() {
        for node in scaler.initially_released() {
            sim.scheduler.set_down(node);
            if let Some(ledger) = sim.energy.as_mut() {
                ledger.node_down(node, SimTime::ZERO);
            }
        }
    }
    if let (Some(ledger), Some(cap)) = (
        sim.energy.as_ref(),
        scenario.power.as_ref().and_then(|p| p.cap),
    ) {
        let budget =
            crate::scheduler::PowerBudget::for_model(ledger.model(), &scenario.cluster, cap);
        sim.scheduler.set_power_budget(budget);
    }
    if let Some(rel) = sim.reliability.as_mut() {
        rel.arm(&mut engine);
    }
    sim.count_node_states();
    let halt = match engine.run(&mut sim, scenario.stop) {
        // With no arrival to come and nothing running, only events left
        // behind by jobs that ended early (or periodic timers) lie at the
        // end of time: the run is over as if none were left.
        Halt::EndOfTime if sim.next_arrival.is_none() && sim.recorder.running_jobs == 0 => {
            Halt::NoEvents
        }
        halt => halt,
    };
    // Events left behind by jobs that ended early (a time-limit end after
    // the last step, a preempted job's planned end) advance the clock
    // without changing anything: the run ends with its last change.
    // With the reliability model, failures drawn, nodes going down and
    // coming back and scheduling ticks while jobs wait for nodes (events
    // that are not dropped as stale) are part of the run: its GPU-time
    // accounting has counted up to the last of them.
    let end = match halt {
        Halt::NoEvents if sim.reliability.is_some() => {
            sim.last_change.max(sim.recorder.integrated_to())
        }
        Halt::NoEvents => sim.last_change,
        _ => engine.now(),
    };
    let stop_reason = match halt {
        // Jobs still wait, yet nothing is left to happen (periodic timers
        // stop then): only partial placements without gang scheduling
        // can leave a queue stuck. Jobs held by a partition limit wait
        // for a change no run makes; they do not make a deadlock.
        Halt::NoEvents
            if (sim.jobs.iter()).any(|j| j.state == JobState::Pending && j.reason.is_none()) =>
        {
            StopReason::Deadlock
        }
        Halt::NoEvents => StopReason::AllWorkDone,
        Halt::Horizon => StopReason::Horizon,
        Halt::EventBudget => StopReason::EventBudget,
        Halt::EndOfTime => StopReason::EndOfTime,
    };
    sim.recorder.finish(end);
    sim.cut_running_training(end);
    let stats = sim.scheduler.stats();
    let (power, cost) = match sim.energy.as_mut() {
        Some(ledger) => {
            let (mut power, cost) = ledger.finish(end, &mut sim.jobs);
            power.cap_held_gpu_hours = sim.recorder.cap_held_gpu_ns() as f64 / 3.6e12;
            power.cap_refusals = stats.power_refusals;
            (
                Some(power),
                cost.map(|c| with_accounts(c, &sim.jobs, directory)),
            )
        }
        None => (None, None),
    };
    let held_gpus_at_end = sim.scheduler.held_gpus();
    let multi_node: Vec<u32> = sim
        .jobs
        .iter()
        .filter(|j| j.nodes > 1 && j.leaf_switches > 0)
        .map(|j| j.leaf_switches)
        .collect();
    let scheduling = SchedulingSummary {
        backfill_cycles: stats.backfill_cycles,
        backfilled_jobs: stats.backfilled_jobs,
        preemptions: stats.preemptions,
        requeues: sim.requeues,
        lost_gpu_hours: sim.lost_gpu_ns as f64 / 3.6e12,
        multi_node_mean_leaf_switches: (!multi_node.is_empty()).then(|| {
            multi_node.iter().map(|&s| f64::from(s)).sum::<f64>() / multi_node.len() as f64
        }),
        held_gpus_at_end,
    };
    let shares = configured_shares(&scenario.scheduler, directory);
    let fairness = fairness(&sim.jobs, &directory.accounts, &shares);
    let summary = summarize(
        &sim.jobs,
        &sim.recorder,
        RunTotals {
            scenario: &scenario.name,
            seed: scenario.seed,
            end,
            events: engine.events_handled(),
            stop_reason,
            nodes: scenario.cluster.node_count() as u64,
            gpus: total_gpus,
            scheduling,
            fairness,
            trace_import: scenario.workload.trace_import.clone(),
            training: sim.training.summaries(&sim.jobs),
            reliability: sim.reliability_summary(end),
            power,
            cost,
            sharing: sharing_summary(&sim.recorder, &sim.jobs, total_gpus, end),
        },
    );
    let gpu_time = sim.recorder.gpu_time();
    RunResult {
        summary,
        jobs: sim.jobs,
        timeseries: sim.recorder.samples,
        stop_reason,
        end,
        gpu_time,
    }
}

/// The workload's task shapes and how many jobs have each, the target
/// workload of the fragmentation measure (`scheduler/fragmentation.rs`);
/// `None` unless some job shares a GPU (or time-slicing shares them all).
fn task_mix(scenario: &Scenario) -> Option<Vec<TaskShape>> {
    let w = &scenario.workload;
    let sliced = scenario.scheduler.time_slicing.is_some();
    let shared = (w.jobs.iter()).any(|j| j.share.is_shared())
        || (w.generators.iter()).any(|g| g.sizes.iter().any(|s| s.1.is_shared()));
    if !shared && !sliced {
        return None;
    }
    let max_node_gpus = scenario.cluster.max_gpus_per_node();
    let shape = |request: JobRequest, share: GpuShare| {
        let (gpus_per_node, whole) = match request {
            JobRequest::Gpus(n) => (n.min(max_node_gpus), 1000),
            JobRequest::Nodes { gpus_per_node, .. } => (gpus_per_node, 1000),
        };
        match share {
            GpuShare::Whole if sliced && request == JobRequest::Gpus(1) => (1, 1000),
            GpuShare::Whole => (gpus_per_node, whole),
            share => (1, share.milli()),
        }
    };
    let mut counts: std::collections::BTreeMap<(u32, u16), u64> = Default::default();
    for job in &w.jobs {
        *counts.entry(shape(job.request, job.share)).or_default() += 1;
    }
    for g in &w.generators {
        let total: f64 = g.sizes.iter().map(|s| s.2).sum();
        let expected = g.expected_count() as f64;
        for &(request, share, weight) in &g.sizes {
            let n = (expected * weight / total).round() as u64;
            *counts.entry(shape(request, share)).or_default() += n.max(1);
        }
    }
    Some(
        (counts.into_iter())
            .map(|((gpus_per_node, milli), count)| TaskShape {
                gpus_per_node,
                milli,
                count,
            })
            .collect(),
    )
}

/// The summary's `sharing` block: time-averaged allocation and
/// fragmentation, when they were measured.
fn sharing_summary(
    recorder: &Recorder,
    jobs: &[JobRecord],
    gpus: u64,
    end: SimTime,
) -> Option<SharingSummary> {
    let (allocated, fragmented) = recorder.capacity_integrals()?;
    let capacity = u128::from(gpus) * 1000 * u128::from(end.as_ns());
    let ratio = |a: u128, b: u128| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Some(SharingSummary {
        shared_jobs: jobs.iter().filter(|j| j.job.share.is_shared()).count() as u64,
        gpu_allocation_rate: ratio(allocated, capacity),
        fragmentation_rate: ratio(fragmented, capacity),
        fragmented_share_of_free: ratio(fragmented, capacity - allocated),
    })
}

/// Each directory account's configured share: its top-level account's raw
/// shares over those of every top-level account the workload uses, split
/// evenly among the workload's accounts under it. Accounts the tree does
/// not name are top-level with `Fairshare=1`, Slurm's default; without a
/// tree all shares are equal.
fn configured_shares(config: &SchedulerConfig, directory: &Directory) -> Vec<f64> {
    let tree = (!config.accounts.is_empty()).then(|| {
        AccountTree::new(&config.accounts).expect("the scenario validated the account tree")
    });
    // The name and raw shares of each directory account's top-level account.
    let tops: Vec<(&str, f64)> = directory
        .accounts
        .iter()
        .map(|name| {
            match tree
                .as_ref()
                .and_then(|t| Some((t, t.account_assoc(name)?)))
            {
                Some((tree, account)) => {
                    let top = tree.top_level_of(account);
                    (tree.account_name(top), f64::from(tree.raw_shares(top)))
                }
                None => (name.as_str(), 1.0),
            }
        })
        .collect();
    let mut distinct = tops.clone();
    distinct.sort_by(|a, b| a.0.cmp(b.0));
    distinct.dedup_by(|a, b| a.0 == b.0);
    let total: f64 = distinct.iter().map(|&(_, shares)| shares).sum();
    tops.iter()
        .map(|&(top, shares)| {
            // Accounts under one top-level account split its share by
            // their number, as far as delivered-share reporting goes.
            let siblings = tops.iter().filter(|t| t.0 == top).count() as f64;
            shares / total / siblings
        })
        .collect()
}

/// The jobs' cost by account, in the directory's account order.
fn with_accounts(
    mut cost: crate::metrics::CostSummary,
    jobs: &[JobRecord],
    directory: &Directory,
) -> crate::metrics::CostSummary {
    let mut accounts: Vec<crate::metrics::AccountCost> = (directory.accounts.iter())
        .map(|name| crate::metrics::AccountCost {
            account: name.clone(),
            ..Default::default()
        })
        .collect();
    for job in jobs {
        let a = &mut accounts[job.job.account.0 as usize];
        a.usd += job.cost_usd;
        a.gpu_hours += job.run().map_or(0.0, |r| {
            r.as_secs_f64() * job.job.request.total_gpus() as f64 / 3600.0
        });
    }
    cost.accounts = accounts;
    cost
}

impl Model<Event> for ClusterSim<'_> {
    fn handle(&mut self, event: Event, engine: &mut Engine<Event>) {
        self.handle_event(event, engine);
        self.count_node_states();
        if self.autoscale.is_some() && !self.freed_nodes.is_empty() {
            self.note_idle_nodes(engine);
        }
        if let Some(ledger) = &self.energy {
            self.recorder.it_power_mw = ledger.it_mw();
            self.recorder.cap_held_gpus = self.scheduler.power_held_gpus();
        }
        if self.measures_capacity
            && let Some((allocated, fragmented)) = self.scheduler.capacity_in_use()
        {
            self.recorder.allocated_milli = allocated;
            self.recorder.fragmented_milli = fragmented;
        }
    }

    fn progress(&mut self, progress: Progress) {
        (self.on_progress)(&RunProgress {
            now: progress.now,
            events: progress.events_handled,
            jobs_submitted: self.jobs.len() as u64,
            jobs_finished: self.jobs_finished,
            jobs_expected: self.jobs_expected,
            horizon: self.horizon,
        });
    }
}

impl ClusterSim<'_> {
    /// With the reliability model: the GPU counts by node state that the
    /// time series and the GPU-time accounting integrate until the next
    /// event (set at the start too, for the time before the first event).
    fn count_node_states(&mut self) {
        if self.reliability.is_some() {
            self.recorder.down_gpus = self.scheduler.down_gpus();
            self.recorder.draining_gpus = self.scheduler.draining_idle_gpus();
            self.recorder.idle_gpus = self.scheduler.idle_gpus();
        }
    }

    fn handle_event(&mut self, event: Event, engine: &mut Engine<Event>) {
        let now = engine.now();
        if let Event::JobFault(_) | Event::JobEnd(_) = event
            && let Some(rel) = self.reliability.as_mut()
        {
            // Counted as a timer from its scheduling, handled or not.
            rel.timers -= 1;
        }
        // An event for a job that has left its slot changes nothing, not
        // even the clock the time series follows.
        if let Event::JobEnd(slot)
        | Event::SliceDone(slot)
        | Event::PreemptStop(slot)
        | Event::TrainingTimer(slot)
        | Event::JobFault(slot)
        | Event::JobFaultNoticed(slot)
        | Event::JobTimer(slot)
        | Event::PersistDone(slot) = event
            && !self.scheduler.is_current(slot)
        {
            return;
        }
        if self.reliability.is_some() && self.stale_reliability_event(event, engine) {
            return;
        }
        self.recorder.advance(now);
        // Whether the event makes the main scheduler run at its instant.
        let mut triggers_pass = true;
        match event {
            Event::Arrival => {
                self.arrive(engine);
                self.schedule_scale_check(engine);
                if let Some(phase) = self.scheduler.slurmctld_phase() {
                    triggers_pass = false;
                    if !self.submit_pass_pending {
                        self.submit_pass_pending = true;
                        let at = next_tick(now, SLURMCTLD_WAKEUP, phase);
                        engine.schedule_at(at, Event::SubmitPass);
                    }
                }
            }
            Event::JobEnd(slot) => self.end_job(slot, engine),
            Event::SliceDone(slot) => {
                if (self.time_sliced.as_ref()).and_then(|t| t.done_at(slot)) == Some(now) {
                    self.end_job_as(slot, engine, false);
                }
            }
            Event::Failure(class) => self.on_failure(class, engine),
            Event::Detect { node, class } => self.on_detect(node, class, engine),
            Event::Repaired {
                node,
                class,
                retire,
            } => self.on_repaired(node, class, retire, engine),
            Event::PartNoticed { class, part } => self.on_part_noticed(class, part, engine),
            Event::PartRepaired { class, part } => self.on_part_repaired(class, part, engine),
            Event::JobFault(slot) => self.on_job_fault(slot, engine),
            Event::JobFaultNoticed(slot) => self.on_job_fault_noticed(slot, engine),
            Event::JobTimer(slot) => self.on_job_timer(slot, engine),
            Event::PersistDone(slot) => self.persist_done(slot, engine),
            Event::StorageWake => self.on_storage_wake(engine),
            Event::Maintenance(class) => self.on_maintenance(class, engine),
            Event::ScaleCheck => {
                self.scale_check(engine);
                return;
            }
            Event::Provisioned { node } => self.on_provisioned(node, engine),
            Event::Release { node } => {
                self.on_release(node, now);
                return;
            }
            Event::PreemptStop(slot) => self.stop_preempted(slot, engine),
            Event::Eligible => {
                self.scheduler.release_requeued(now);
                self.schedule_scale_check(engine);
            }
            Event::SchedulePass => {
                self.pass_pending = false;
                self.schedule(engine, false);
                return;
            }
            Event::SubmitPass => {
                self.submit_pass_pending = false;
                self.schedule(engine, false);
                self.keep_ticking(engine);
                return;
            }
            Event::BackfillTick => {
                self.backfill_tick_pending = false;
                self.schedule(engine, true);
                self.keep_ticking(engine);
                return;
            }
            Event::MainTick => {
                self.main_tick_pending = false;
                self.schedule(engine, false);
                self.keep_ticking(engine);
                return;
            }
            Event::PriorityCalc => {
                self.priority_calc_pending = false;
                self.scheduler.recalculate_priorities(now);
                // slurmctld recomputes priorities without scheduling.
                triggers_pass = self.scheduler.main_interval().is_none();
            }
            Event::TrainingTimer(slot) => {
                if !self.training.on_timer(slot, engine) {
                    return;
                }
                // All steps done: the job's true run time is now known.
                let start = self.scheduler.running(slot).start;
                let record = &mut self.jobs[self.scheduler.running(slot).job as usize];
                record.job.runtime = now.saturating_since(start);
                self.end_job_as(slot, engine, false);
            }
            Event::FabricWake => {
                self.training.on_fabric_wake(engine);
                return;
            }
        }
        self.after_event(engine);
        if triggers_pass && !self.pass_pending && self.scheduler.queue_len() > 0 {
            if engine.more_due_now() {
                self.pass_pending = true;
                engine.schedule_at(now, Event::SchedulePass);
            } else {
                // The last event of this instant: the pass can run now,
                // which is where the queued pass would run, minus the
                // round trip through the event heap.
                self.schedule(engine, false);
            }
        }
        self.keep_ticking(engine);
    }
}

/// The first multiple of `period` strictly after `now`.
fn next_multiple(now: SimTime, period: SimDuration) -> SimTime {
    let p = period.as_ns().max(1);
    SimTime::from_ns((now.as_ns() / p).saturating_add(1).saturating_mul(p))
}

/// The first instant `phase` past a multiple of `period` strictly after
/// `now`.
fn next_tick(now: SimTime, period: SimDuration, phase: SimDuration) -> SimTime {
    if now.as_ns() < phase.as_ns() {
        return SimTime::ZERO + phase;
    }
    next_multiple(SimTime::from_ns(now.as_ns() - phase.as_ns()), period) + phase
}

impl ClusterSim<'_> {
    /// Keeps the periodic events going while jobs wait (backfill) or
    /// while jobs wait or run (priority recalculation), unless they are
    /// all that is left to happen.
    fn keep_ticking(&mut self, engine: &mut Engine<Event>) {
        if self.only_timers_left(engine) {
            return;
        }
        let now = engine.now();
        let waiting = self.scheduler.queue_len() > 0;
        let phase = self
            .scheduler
            .slurmctld_phase()
            .unwrap_or(SimDuration::ZERO);
        if let Some(interval) = self.scheduler.backfill_interval()
            && waiting
            && !self.backfill_tick_pending
        {
            self.backfill_tick_pending = true;
            engine.schedule_at(next_tick(now, interval, phase), Event::BackfillTick);
        }
        if let Some(interval) = self.scheduler.main_interval()
            && waiting
            && !self.main_tick_pending
        {
            self.main_tick_pending = true;
            engine.schedule_at(next_tick(now, interval, phase), Event::MainTick);
        }
        let config = self.scheduler.config();
        if config.order == crate::scheduler::QueueOrder::Multifactor
            && (waiting || self.recorder.running_jobs > 0)
            && !self.priority_calc_pending
        {
            self.priority_calc_pending = true;
            let period = config.priority.calc_period;
            engine.schedule_at(next_multiple(now, period), Event::PriorityCalc);
        }
    }

    /// Whether nothing but periodic timers (and failure processes) can
    /// happen any more: no arrival to come, no job running (or being
    /// preempted), and no other event pending or no job queued, while jobs
    /// may still wait, the pass that just ran having started none. A timer could then only reorder the queue,
    /// never free a GPU, so ticking on would hide a deadlock: the timers
    /// stop, and the run ends with no events left and jobs waiting.
    fn only_timers_left(&self, engine: &Engine<Event>) -> bool {
        let timers = usize::from(self.backfill_tick_pending)
            + usize::from(self.main_tick_pending)
            + usize::from(self.priority_calc_pending)
            + self.reliability.as_ref().map_or(0, |r| r.timers);
        self.no_work_left()
            || (self.next_arrival.is_none()
                && self.recorder.running_jobs == 0
                && engine.pending_events() == timers)
    }

    /// Nothing runs, nothing is queued or about to be, no arrival is to
    /// come: whatever else is pending (events left behind by jobs that
    /// ended, failures, repairs) can start nothing.
    fn no_work_left(&self) -> bool {
        self.next_arrival.is_none()
            && self.recorder.running_jobs == 0
            && self.scheduler.queue_len() == 0
            && self.scheduler.requeued_waiting() == 0
    }

    fn arrive(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
        self.last_change = now;
        let job = self
            .next_arrival
            .take()
            .expect("an Arrival event has a job waiting");
        let index = self.jobs.len() as JobIndex;
        let id = u64::from(index) + 1;
        self.jobs.push(JobRecord::new(id, job));
        let dir = self.directory;
        self.trace.record(&TraceEvent::Submit {
            time: now,
            job: id,
            name: &dir.job_names[job.name as usize],
            user: dir.user_name(job.user),
            account: dir.account_name(job.account),
            gpus: job.request.total_gpus(),
            time_limit: job.time_limit,
        });
        self.trace.detail(&JobDetail::Submitted {
            job: id,
            partition: self.scheduler.monitor_queue(&job),
            training: job.training,
            milli: self.scheduler.share_of_job(&job).milli(),
        });
        match self.scheduler.admit(&job) {
            Ok(None) => {
                self.scheduler.enqueue(index, job, now);
                self.recorder.queue_length += 1;
            }
            Ok(Some(reason)) => {
                // Over a partition limit under EnforcePartLimits=NO:
                // PENDING for good, never queued.
                self.jobs[index as usize].reason = Some(reason);
                self.recorder.queue_length += 1;
            }
            Err(never) => {
                self.jobs[index as usize].state = JobState::Refused;
                self.trace.record(&TraceEvent::Refuse {
                    time: now,
                    job: id,
                    reason: &never.reason,
                });
            }
        }
        self.next_arrival = self.source.next_job();
        if let Some(next) = self.next_arrival {
            engine.schedule_at(next.submit, Event::Arrival);
        }
    }

    fn schedule(&mut self, engine: &mut Engine<Event>, backfill_tick: bool) {
        let now = engine.now();
        let mut decisions = std::mem::take(&mut self.decisions);
        decisions.clear();
        self.scheduler.schedule(now, backfill_tick, &mut decisions);
        self.note_quotas(now);
        for &decision in &decisions {
            match decision {
                Decision::Start { slot } => self.start_job(slot, engine),
                Decision::Preempt { slot, grace } => {
                    engine.schedule_at(now + grace, Event::PreemptStop(slot));
                }
            }
        }
        self.decisions = decisions;
    }

    fn start_job(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        self.last_change = now;
        let running = self.scheduler.running(slot);
        let record = &mut self.jobs[running.job as usize];
        record.start = Some(now);
        record.nodes = running.allocation.len() as u32;
        record.leaf_switches = running.leaf_switches;
        record.backfilled = running.backfilled;
        record.state = JobState::Running;
        let kill_at_limit = self.scheduler.config().kill_at_time_limit;
        let tracked = self.reliability.is_some();
        // A tracked analytic training job restarting after a failure keeps
        // the run time of its first start (its work at full speed).
        let restarting = tracked && record.failures > 0 && record.job.runtime != SimDuration::MAX;
        if let Some(spec) = record.job.training
            && !restarting
        {
            let started = self.training.start(slot, running, spec, engine);
            // Flow fidelity: the steps end the job; until then its run
            // time is unknown (longer than any limit).
            record.job.runtime = started.unwrap_or(SimDuration::MAX);
            if let Some(ledger) = self.energy.as_mut() {
                ledger.set_activity(running.job as usize, self.training.last_activity);
            }
            self.trace.detail(&JobDetail::Activity {
                job: record.id,
                activity: self.training.last_activity,
            });
        }
        if let Some(ledger) = self.energy.as_mut() {
            ledger.open_running(slot, running, record.job.training.is_some(), now);
        }
        if let Some(scaler) = self.autoscale.as_mut() {
            for part in &running.allocation {
                scaler.busy(part.node);
            }
        }
        let job = record.job;
        let id = record.id;
        if tracked {
            // Its attempt's phases end it; only the time limit is planned.
            if kill_at_limit {
                if let Some(rel) = self.reliability.as_mut() {
                    rel.timers += 1;
                }
                engine.schedule_at(now + job.time_limit, Event::JobEnd(slot));
            }
        } else if let Some(sliced) = self.time_sliced.as_mut()
            && let Some(gpu) = running.share.gpu
            && let GpuShare::Fraction { milli } = running.share.share
        {
            // Its speed depends on its GPU's other tenants: its work ends
            // it (`SliceDone`), its time limit kills it.
            if kill_at_limit {
                engine.schedule_at(now + job.time_limit, Event::JobEnd(slot));
            }
            sliced.join(slot, (gpu.node, gpu.mask), milli, job.runtime, now);
            for &(tenant, at) in &sliced.retimed {
                engine.schedule_at(at, Event::SliceDone(tenant));
            }
        } else if job.runtime != SimDuration::MAX || kill_at_limit {
            let (duration, killed) = job.occupancy(kill_at_limit);
            // The job's work starts once it is launched; a time limit
            // counts from the start.
            let launch = if killed || job.training.is_some() {
                SimDuration::ZERO
            } else {
                self.scheduler.launch_delay()
            };
            engine.schedule_at(now + duration + launch, Event::JobEnd(slot));
        }
        self.recorder.queue_length -= 1;
        self.recorder.running_jobs += 1;
        self.recorder.busy_gpus += running.pool_gpus;
        self.trace_alloc.clear();
        let as_traced = |p: &NodeGpus| TraceAlloc {
            node: p.node,
            mask: p.mask,
        };
        self.trace_alloc
            .extend(running.allocation.iter().map(as_traced));
        self.trace.record(&TraceEvent::Start {
            time: now,
            job: id,
            alloc: &self.trace_alloc,
        });
        if tracked {
            self.start_attempt(slot, engine);
        }
    }

    /// Tells the trace's sinks of every Kubernetes queue whose quota
    /// changed (nothing without Kueue or Volcano).
    #[inline]
    fn note_quotas(&mut self, time: SimTime) {
        if self.scheduler.has_queue_engine() {
            self.note_changed_quotas(time);
        }
    }

    fn note_changed_quotas(&mut self, time: SimTime) {
        let mut now = std::mem::take(&mut self.quotas_now);
        self.scheduler.queue_quotas(&mut now);
        for (q, &(used, quota, borrowed)) in now.iter().enumerate() {
            if self.quotas_seen.get(q) != Some(&(used, quota, borrowed)) {
                self.trace.detail(&JobDetail::Quota {
                    time,
                    queue: q as u16,
                    used_milli: used,
                    quota_milli: quota,
                    borrowed_milli: borrowed,
                });
            }
        }
        std::mem::swap(&mut self.quotas_seen, &mut now);
        self.quotas_now = now;
    }

    /// Frees `slot` in the scheduler, and re-times the other tenants of its
    /// GPU when it was time-sliced: the one way a running job leaves.
    fn end_in_scheduler(&mut self, slot: SlotRef, engine: &mut Engine<Event>) -> Ended {
        let now = engine.now();
        let ended = self.scheduler.end(slot, now);
        self.note_quotas(now);
        if let Some(sliced) = self.time_sliced.as_mut() {
            sliced.leave(slot, now);
            for &(tenant, at) in &sliced.retimed {
                engine.schedule_at(at, Event::SliceDone(tenant));
            }
        }
        ended
    }

    /// The job in `slot` reached its true end or its time limit (a
    /// `JobEnd`); a tracked job's `JobEnd` is its time limit only.
    fn end_job(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        // A time-sliced tenant's JobEnd is its time limit.
        let sliced = (self.time_sliced.as_ref()).is_some_and(|t| t.done_at(slot).is_some());
        let killed = sliced || self.reliability.is_some() || {
            let job = &self.jobs[self.scheduler.running(slot).job as usize].job;
            job.occupancy(self.scheduler.config().kill_at_time_limit).1
        };
        self.end_job_as(slot, engine, killed);
    }

    /// The job in `slot` ends: killed at its limit, or done.
    fn end_job_as(&mut self, slot: SlotRef, engine: &mut Engine<Event>, killed: bool) {
        if self.scheduler.running(slot).is_being_preempted() {
            // Its work done or its limit reached inside its grace time:
            // Slurm cannot tell this exit from one the preemption caused.
            self.stop_preempted(slot, engine);
            return;
        }
        let now = engine.now();
        self.last_change = now;
        let started = self.scheduler.running(slot).start;
        self.training.stop(slot, now, started);
        self.forget_attempt(slot, engine);
        self.energy_close(slot, now);
        let ended = self.end_in_scheduler(slot, engine);
        let record = &mut self.jobs[ended.job as usize];
        record.end = Some(now);
        record.state = if killed {
            JobState::Timeout
        } else {
            JobState::Completed
        };
        if killed && record.job.training.is_some() {
            self.training
                .cut_short(ended.job, now.saturating_since(started));
        }
        self.recorder.running_jobs -= 1;
        self.recorder.busy_gpus -= ended.pool_gpus;
        self.jobs_finished += 1;
        self.trace.record(&TraceEvent::End {
            time: now,
            job: record.id,
            state: record.state,
        });
    }

    /// A preempted job's grace time is over: stop it, count the lost work,
    /// and requeue it or end it PREEMPTED.
    fn stop_preempted(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        self.last_change = now;
        let started = self.scheduler.running(slot).start;
        self.training.stop(slot, now, started);
        self.forget_attempt(slot, engine);
        self.energy_close(slot, now);
        let ended = self.end_in_scheduler(slot, engine);
        if self.jobs[ended.job as usize].job.training.is_some() {
            self.training
                .cut_short(ended.job, now.saturating_since(started));
        }
        let lost_gpu_ns =
            u128::from(now.saturating_since(ended.start).as_ns()) * u128::from(ended.gpus);
        self.lost_gpu_ns += lost_gpu_ns;
        self.recorder.running_jobs -= 1;
        self.recorder.busy_gpus -= ended.pool_gpus;
        let requeue =
            self.scheduler.config().preempt_mode == crate::scheduler::PreemptMode::Requeue;
        let record = &mut self.jobs[ended.job as usize];
        record.lost_gpu_ns += lost_gpu_ns;
        self.trace.record(&TraceEvent::Preempt {
            time: now,
            job: record.id,
            requeued: requeue,
            lost_gpu_s: lost_gpu_ns as f64 / 1e9,
        });
        if requeue {
            self.requeue(ended.job, ended.ticket, engine);
        } else {
            let record = &mut self.jobs[ended.job as usize];
            record.end = Some(now);
            record.state = JobState::Preempted;
            self.jobs_finished += 1;
            self.trace.record(&TraceEvent::End {
                time: now,
                job: record.id,
                state: JobState::Preempted,
            });
        }
    }

    /// Training jobs still running when the run stopped did only part of
    /// their steps (analytic fidelity records all of them at the start):
    /// the time they ran, or under the reliability model the work they
    /// kept.
    fn cut_running_training(&mut self, end: SimTime) {
        for index in 0..self.jobs.len() {
            let record = &self.jobs[index];
            let (Some(start), None, Some(_)) = (record.start, record.end, record.job.training)
            else {
                continue;
            };
            if record.state != JobState::Running {
                continue;
            }
            let ran = self
                .kept_work(index as JobIndex, end)
                .unwrap_or_else(|| end.saturating_since(start));
            self.training.cut_short(index as JobIndex, ran);
        }
    }

    /// Charges the job in `slot` its energy and cost up to `now` (before
    /// its GPUs are freed).
    fn energy_close(&mut self, slot: SlotRef, now: SimTime) {
        if let Some(ledger) = self.energy.as_mut() {
            ledger.close(slot.slot(), now, &mut self.jobs);
        }
        if self.autoscale.is_some() {
            let allocation = &self.scheduler.running(slot).allocation;
            self.freed_nodes.extend(allocation.iter().map(|p| p.node));
        }
    }

    /// The job in `slot` changed its allocation at `now` (a spare swapped
    /// in, shrunk, grown back): a new segment on what it holds now.
    fn energy_reopen(&mut self, slot: SlotRef, now: SimTime) {
        if let Some(ledger) = self.energy.as_mut() {
            ledger.close(slot.slot(), now, &mut self.jobs);
            let running = self.scheduler.running(slot);
            let training = self.jobs[running.job as usize].job.training.is_some();
            ledger.open_running(slot, running, training, now);
        }
    }

    /// Puts a job that lost its GPUs back in line (PENDING again, its
    /// start forgotten): the one way jobs are requeued, whatever stopped
    /// them. It joins the queue at its new begin time
    /// ([`Scheduler::requeue`]).
    fn requeue(&mut self, job: JobIndex, ticket: SubmittedJob, engine: &mut Engine<Event>) {
        let record = &mut self.jobs[job as usize];
        record.requeues += 1;
        record.start = None;
        record.state = JobState::Pending;
        self.requeues += 1;
        self.recorder.queue_length += 1;
        let eligible = self.scheduler.requeue(job, ticket, engine.now());
        engine.schedule_at(eligible, Event::Eligible);
    }
}
