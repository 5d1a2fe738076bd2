//! Training jobs while they run.
//!
//! When a training job starts, its step is simulated on the GPUs it was
//! given ([`crate::training::step`]) with the collectives costed on its
//! placement:
//! - **analytic** fidelity: NCCL's cost model on the job's links, with the
//!   fabric's oversubscription applied when the job spans leaf switches;
//!   the run time is then `steps × step`, known at the start;
//! - **flow** fidelity: every step is simulated. Its expert-parallel
//!   all-to-alls across nodes (aggregated into one all-to-all of the
//!   step's volume) go first, as flows; the part of the step that does not
//!   cross the fabric (compute, tensor- and pipeline-parallel traffic, the
//!   bubble) is a timer; the data-parallel synchronisation (dense and
//!   expert gradients over their own groups) becomes flows on the fabric,
//!   started when the backward pass reaches the point where it may
//!   overlap. All flows share links max-min fairly with every other job's;
//!   the groups of a phase's flows that no other job can touch (inside
//!   nodes the job holds whole, or under one leaf) are solved once when the
//!   job starts ([`super::flow_phase`]) and stand for a timer at each step.
//!   The step ends by the same overlap rule the analytic step uses
//!   ([`DpSync::exposed_s`]), so on an idle fabric the two fidelities agree
//!   up to where the flow plan differs from the cost model.
//!
//! With failure classes striking the network the run routes on its own
//! copy of the fabric (`live`), where failed cables and switches are out of
//! routing; flows are added with their ends ([`FlowModel::add_routed_flow`])
//! so a change moves them ([`Training::change_fabric`]).
//!
//! Invariants:
//! - a run's flows carry its [`SlotRef`] in their tag, and a run
//!   that ends early (killed, preempted) removes its flows at once, so no
//!   completion is ever credited to a later occupant of the slot;
//! - at most one `FabricWake` per distinct instant is pending;
//! - nothing here decides by hash order or wall-clock time.

use super::Event;
use super::flow_phase::{FlowPhase, Splitter};
use crate::collective::analytic::{self, Links, Nccl};
use crate::collective::flows::{self, Rank, Transfer};
use crate::collective::{CollectiveOp, Fidelity};
use crate::engine::{Engine, SimDuration, SimTime, splitmix64};
use crate::fabric::{Fabric, FlowId, FlowModel, LostFlow};
use crate::metrics::{StepBreakdown, TrainingJobSummary};
use crate::scenario::Scenario;
use crate::scheduler::{JobIndex, NodeGpus, RunningJob, SlotRef};
use crate::training::{self, DpSync, MoeTraffic, StepReport};
use crate::workload::TrainingSpec;

/// Where a flow-mode step is: the expert all-to-alls first (exposed),
/// then compute, the DP synchronisation overlapping its end, the finish.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// MoE all-to-all flows of plan phase `k` in flight.
    Moe(usize),
    /// The latency term of the all-to-alls, or compute; the timer fires
    /// when the DP flows may start (or at the end of a step without them).
    Compute,
    /// DP flows of plan phase `k` in flight.
    Sync(usize),
    /// Waiting for the step's end after its flows finished.
    Finish,
}

/// A running training job.
struct Run {
    job: JobIndex,
    spec: u32,
    /// The job's slot in the scheduler (and in `Training::runs`).
    at: SlotRef,
    report: StepReport,
    steps_done: u64,
    /// When the current step's compute began.
    compute_start: SimTime,
    /// Flow mode: the step minus its exposed DP part, and how much of that
    /// the DP flows may overlap.
    fixed: SimDuration,
    window: SimDuration,
    /// Flow mode: the DP synchronisation's phases of transfers, their
    /// latency term, and the rule that exposes them.
    sync_phases: Vec<FlowPhase>,
    sync_latency: SimDuration,
    sync: Option<DpSync>,
    /// Flow mode: the step's expert all-to-alls across nodes, as phases of
    /// transfers, and their latency term.
    moe_phases: Vec<FlowPhase>,
    moe_latency: SimDuration,
    phase: Phase,
    sync_started: SimTime,
    /// The current phase's flows on the shared model, and how many are
    /// still moving.
    flows: Vec<FlowId>,
    flows_left: usize,
    /// When the current phase's local groups are done (`None`: never).
    local_end: Option<SimTime>,
}

/// A finished (or stopped) training job's record.
struct Outcome {
    job: JobIndex,
    spec: u32,
    report: StepReport,
    steps_done: u64,
    run_time: SimDuration,
}

/// The training jobs of one run.
pub(super) struct Training<'a> {
    specs: &'a [TrainingSpec],
    scenario: &'a Scenario,
    /// Flow fidelity with a fabric: the flows of every job.
    flows: Option<FlowModel>,
    /// Flow fidelity on a fabric nothing takes down: splits each job's
    /// phases into what only it can touch and what it shares.
    splitter: Option<Splitter>,
    /// The fabric with its failed parts, when a failure class strikes the
    /// network (else the scenario's is used as built).
    live: Option<Fabric>,
    runs: Vec<Option<Run>>,
    outcomes: Vec<Outcome>,
    wake_at: Option<SimTime>,
    /// Slots whose flows all finished at this wake (scratch).
    finished: Vec<u32>,
    /// The GPU activity of the job last started: its step's compute share
    /// (`power`'s model of a training job).
    pub(super) last_activity: f64,
}

impl<'a> Training<'a> {
    pub(super) fn new(scenario: &'a Scenario) -> Self {
        let network = &scenario.network;
        let fabric = network.fabric.as_ref();
        let flows = match (fabric, network.collectives) {
            (Some(f), Fidelity::Flow) if !scenario.workload.training.is_empty() => {
                Some(FlowModel::new(f))
            }
            _ => None,
        };
        let live = fabric
            .filter(|_| (scenario.reliability.classes.iter()).any(|c| c.target.is_network()))
            .cloned();
        let splitter = match (&flows, &live, fabric) {
            (Some(_), None, Some(f)) => Some(Splitter::new(f)),
            _ => None,
        };
        Training {
            specs: &scenario.workload.training,
            scenario,
            flows,
            splitter,
            live,
            runs: Vec::new(),
            outcomes: Vec::new(),
            wake_at: None,
            finished: Vec::new(),
            last_activity: 1.0,
        }
    }

    /// The fabric as it is now: failed parts out of routing.
    pub(super) fn fabric(&self) -> Option<&Fabric> {
        self.live.as_ref().or(self.scenario.network.fabric.as_ref())
    }

    /// Changes the live fabric (a cable or switch down or back) and, with
    /// flows, moves them ([`FlowModel::reroute`]): the flows left with no
    /// path are removed and appended to `lost` (their tags are their runs'
    /// slots; the caller interrupts those jobs).
    pub(super) fn change_fabric(
        &mut self,
        change: impl FnOnce(&mut Fabric),
        lost: &mut Vec<LostFlow>,
        engine: &mut Engine<Event>,
    ) {
        let Some(fabric) = self.live.as_mut() else {
            return;
        };
        change(fabric);
        if let Some(model) = self.flows.as_mut() {
            model.reroute(engine.now(), fabric, lost);
            self.keep_awake(engine);
        }
    }

    /// The links under a job placed across `leaf_switches` leaves.
    fn links(&self, spec: &TrainingSpec, leaf_switches: u32) -> Links {
        let links = Links::for_models(&spec.gpu, &spec.node, spec.gpus_per_node);
        self.scenario.network.links(links, leaf_switches)
    }

    /// `running`, a job of training spec `spec_index`, started in `at`.
    /// Returns its run time when the fidelity knows it up front
    /// (analytic), `None` when its steps will drive it (flow).
    pub(super) fn start(
        &mut self,
        at: SlotRef,
        running: &RunningJob,
        spec_index: u32,
        engine: &mut Engine<Event>,
    ) -> Option<SimDuration> {
        let now = engine.now();
        let job = running.job;
        let spec = &self.specs[spec_index as usize];
        let links = self.links(spec, running.leaf_switches);
        let comm = Nccl {
            forced: self.scenario.network.forced,
            ..Nccl::new(links)
        };
        // Validation ran the same step on an ideal fabric, so only the
        // communication times can differ here.
        let report = training::step(
            &spec.model,
            &spec.layout,
            spec.precision,
            &spec.gpu,
            spec.gpus_per_node * spec.node.nvlink_domain_nodes.max(1),
            &comm,
        )
        .unwrap_or_else(|_| spec.ideal.clone());
        self.last_activity = if report.step_s > 0.0 {
            (report.compute_s / report.step_s).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let slot_index = at.slot() as usize;
        if self.runs.len() <= slot_index {
            self.runs.resize_with(slot_index + 1, || None);
        }
        if self.flows.is_none() {
            let run_time = SimDuration::from_secs_f64(report.step_s * spec.steps as f64);
            self.outcomes.push(Outcome {
                job,
                spec: spec_index,
                report,
                steps_done: spec.steps,
                run_time,
            });
            return Some(run_time);
        }
        let ranks = ranks_of(&running.allocation);
        let (sync_phases, sync_latency_s) = match &report.dp_sync {
            Some(sync) => plan_sync(spec, sync, &ranks, &comm, self.scenario),
            None => (Vec::new(), 0.0),
        };
        let (moe_phases, moe_latency_s) = match &report.moe_traffic {
            Some(moe) if moe.shape.nodes() > 1 => plan_moe(spec, moe, &ranks, &comm, self.scenario),
            _ => (Vec::new(), 0.0),
        };
        let moe_on_fabric = if moe_phases.is_empty() {
            0.0
        } else {
            report.exposed_moe_s
        };
        let fixed = SimDuration::from_secs_f64(report.step_s - report.exposed_dp_s - moe_on_fabric);
        let window = match &report.dp_sync {
            Some(sync) if sync.overlapped && !sync_phases.is_empty() => {
                SimDuration::from_secs_f64(sync.window_s).min(fixed)
            }
            _ => SimDuration::ZERO,
        };
        let sync = report.dp_sync.clone().filter(|_| !sync_phases.is_empty());
        let mut split = |phases: Vec<Vec<Transfer>>| match (
            &mut self.splitter,
            self.scenario.network.fabric.as_ref(),
        ) {
            (Some(splitter), Some(fabric)) => {
                splitter.split_all(fabric, &running.allocation, phases)
            }
            _ => phases.iter().map(|p| FlowPhase::unsplit(p)).collect(),
        };
        let (sync_phases, moe_phases) = (split(sync_phases), split(moe_phases));
        self.runs[slot_index] = Some(Run {
            job,
            spec: spec_index,
            at,
            report,
            steps_done: 0,
            compute_start: now,
            fixed,
            window,
            sync_phases,
            sync_latency: SimDuration::from_secs_f64(sync_latency_s),
            sync,
            moe_phases,
            moe_latency: SimDuration::from_secs_f64(moe_latency_s),
            phase: Phase::Compute,
            sync_started: now,
            flows: Vec::new(),
            flows_left: 0,
            local_end: Some(now),
        });
        self.begin_step(at.slot(), engine);
        None
    }

    fn begin_step(&mut self, slot: u32, engine: &mut Engine<Event>) {
        let run = self.runs[slot as usize].as_mut().expect("a running job");
        if run.moe_phases.is_empty() {
            self.start_compute(slot, SimDuration::ZERO, engine);
        } else {
            self.start_flow_phase(slot, Phase::Moe(0), engine);
        }
    }

    /// Compute, after `delay` (the all-to-alls' latency term), until the
    /// DP flows may start.
    fn start_compute(&mut self, slot: u32, delay: SimDuration, engine: &mut Engine<Event>) {
        let now = engine.now();
        let run = self.runs[slot as usize].as_mut().expect("a running job");
        run.phase = Phase::Compute;
        run.compute_start = now + delay;
        let until_sync = if run.sync.is_some() {
            SimDuration::from_ns(run.fixed.as_ns().saturating_sub(run.window.as_ns()))
        } else {
            run.fixed
        };
        engine.schedule_at(now + delay + until_sync, Event::TrainingTimer(run.at));
    }

    /// A step timer fired. Returns true when the job has run all its
    /// steps and must end now.
    pub(super) fn on_timer(&mut self, at: SlotRef, engine: &mut Engine<Event>) -> bool {
        let slot = at.slot();
        let Some(run) = self.runs.get_mut(slot as usize).and_then(Option::as_mut) else {
            return false;
        };
        if run.at != at {
            return false;
        }
        match run.phase {
            Phase::Compute if run.sync.is_some() => {
                run.sync_started = engine.now();
                self.start_flow_phase(slot, Phase::Sync(0), engine);
                false
            }
            Phase::Compute | Phase::Finish => self.end_step(slot, engine),
            // The local groups' end, after the shared flows'.
            Phase::Sync(_) | Phase::Moe(_) => {
                if run.flows_left == 0 && run.local_end.is_some_and(|end| end <= engine.now()) {
                    self.flow_phase_done(slot, engine);
                }
                false
            }
        }
    }

    /// Puts the transfers of `phase` (`Moe(k)` or `Sync(k)`) on the fabric.
    fn start_flow_phase(&mut self, slot: u32, phase: Phase, engine: &mut Engine<Event>) {
        let now = engine.now();
        let model = self.flows.as_mut().expect("flow fidelity");
        let fabric = (self.live.as_ref())
            .or(self.scenario.network.fabric.as_ref())
            .expect("flow fidelity");
        let run = self.runs[slot as usize].as_mut().expect("a running job");
        run.phase = phase;
        run.flows.clear();
        let split = match phase {
            Phase::Moe(k) => &run.moe_phases[k],
            Phase::Sync(k) => &run.sync_phases[k],
            Phase::Compute | Phase::Finish => unreachable!("not a flow phase"),
        };
        let tag = run.at.to_bits();
        let base = salt_of(run.job, run.steps_done, phase);
        for leg in &split.shared {
            // Both legs of a PXN transfer alike.
            let salt = base.wrapping_add(u64::from(leg.transfer));
            let ends = (leg.src, leg.dst);
            if let Some(id) = model.add_routed_flow(now, fabric, ends, salt, leg.bytes, tag) {
                run.flows.push(id);
            }
        }
        run.local_end = (split.local_ns).map(|ns| now + SimDuration::from_ns(ns));
        run.flows_left = run.flows.len();
        model.recompute(now);
        if run.flows_left == 0 {
            self.shared_flows_done(slot, engine);
        } else {
            self.keep_awake(engine);
        }
    }

    /// The phase's shared flows are done: so is the phase once its local
    /// groups are (at once, or by a timer).
    fn shared_flows_done(&mut self, slot: u32, engine: &mut Engine<Event>) {
        let run = self.runs[slot as usize].as_mut().expect("a running job");
        match run.local_end {
            Some(end) if end <= engine.now() => self.flow_phase_done(slot, engine),
            Some(end) => engine.schedule_at(end, Event::TrainingTimer(run.at)),
            // A local flow stalled on a dead link: the phase never ends.
            None => {}
        }
    }

    fn flow_phase_done(&mut self, slot: u32, engine: &mut Engine<Event>) {
        let now = engine.now();
        let run = self.runs[slot as usize].as_mut().expect("a running job");
        match run.phase {
            Phase::Moe(k) if k + 1 < run.moe_phases.len() => {
                self.start_flow_phase(slot, Phase::Moe(k + 1), engine);
            }
            Phase::Moe(_) => {
                let delay = run.moe_latency;
                self.start_compute(slot, delay, engine);
            }
            Phase::Sync(k) if k + 1 < run.sync_phases.len() => {
                self.start_flow_phase(slot, Phase::Sync(k + 1), engine);
            }
            Phase::Sync(_) => {
                // All phases done: apply the overlap rule to what the
                // fabric gave.
                let took = now.saturating_since(run.sync_started) + run.sync_latency;
                let sync = run.sync.as_ref().expect("a run with flows has a sync");
                let exposed = SimDuration::from_secs_f64(sync.exposed_s(took.as_secs_f64()));
                let end = run.compute_start + run.fixed + exposed;
                run.phase = Phase::Finish;
                engine.schedule_at(end.max(now), Event::TrainingTimer(run.at));
            }
            Phase::Compute | Phase::Finish => {}
        }
    }

    /// Returns true when the job is done.
    fn end_step(&mut self, slot: u32, engine: &mut Engine<Event>) -> bool {
        let run = self.runs[slot as usize].as_mut().expect("a running job");
        run.steps_done += 1;
        if run.steps_done >= self.specs[run.spec as usize].steps {
            return true;
        }
        self.begin_step(slot, engine);
        false
    }

    /// Flows finished: advance the jobs they belong to.
    pub(super) fn on_fabric_wake(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
        if self.wake_at.is_some_and(|t| t <= now) {
            self.wake_at = None;
        }
        let Some(model) = self.flows.as_mut() else {
            return;
        };
        let mut finished = std::mem::take(&mut self.finished);
        finished.clear();
        while let Some(done) = model.pop_completed(now) {
            let at = SlotRef::from_bits(done.tag);
            if let Some(run) = self
                .runs
                .get_mut(at.slot() as usize)
                .and_then(Option::as_mut)
                && run.at == at
            {
                run.flows_left -= 1;
                if run.flows_left == 0 {
                    finished.push(at.slot());
                }
            }
        }
        model.recompute(now);
        for &slot in &finished {
            self.shared_flows_done(slot, engine);
        }
        self.finished = finished;
        self.keep_awake(engine);
    }

    /// Makes sure a `FabricWake` is pending for the next flow completion.
    fn keep_awake(&mut self, engine: &mut Engine<Event>) {
        let Some(model) = self.flows.as_mut() else {
            return;
        };
        if let Some(next) = model.next_completion()
            && self.wake_at.is_none_or(|w| next < w)
        {
            self.wake_at = Some(next);
            engine.schedule_at(next, Event::FabricWake);
        }
    }

    /// The job in `at` left it (done, killed or preempted) at `now`:
    /// record what it did and take its flows off the fabric.
    pub(super) fn stop(&mut self, at: SlotRef, now: SimTime, started: SimTime) {
        let Some(run) = self.runs.get_mut(at.slot() as usize).and_then(Option::take) else {
            return;
        };
        if let Some(model) = self.flows.as_mut() {
            for &id in &run.flows {
                model.remove_flow(now, id);
            }
            model.recompute(now);
        }
        self.outcomes.push(Outcome {
            job: run.job,
            spec: run.spec,
            report: run.report,
            steps_done: run.steps_done,
            run_time: now.saturating_since(started),
        });
    }

    /// A job killed or preempted in analytic fidelity did only part of its
    /// steps: correct its outcome.
    pub(super) fn cut_short(&mut self, job: JobIndex, ran: SimDuration) {
        if self.flows.is_some() {
            return;
        }
        if let Some(o) = self.outcomes.iter_mut().rev().find(|o| o.job == job) {
            let step = o.report.step_s.max(1e-12);
            o.steps_done = ((ran.as_secs_f64() / step).floor() as u64).min(o.steps_done);
            o.run_time = ran;
        }
    }

    /// One line per training job run, in start order.
    pub(super) fn summaries(&self, jobs: &[crate::metrics::JobRecord]) -> Vec<TrainingJobSummary> {
        let directory = &self.scenario.workload.directory;
        self.outcomes
            .iter()
            .map(|o| {
                let spec = &self.specs[o.spec as usize];
                let record = &jobs[o.job as usize];
                let secs = o.run_time.as_secs_f64();
                let step_s = if o.steps_done > 0 {
                    secs / o.steps_done as f64
                } else {
                    o.report.step_s
                };
                let slowdown = o.report.step_s / step_s.max(1e-12);
                let gpus = spec.layout.gpus();
                let gpu_hours = secs * gpus as f64 / 3600.0;
                let cost_usd = if self.scenario.cost.is_some() {
                    record.cost_usd
                } else {
                    gpu_hours * spec.gpu.price_per_gpu_hour.as_f64()
                };
                let tokens = spec.tokens_per_step() * o.steps_done as f64;
                TrainingJobSummary {
                    job: record.id,
                    name: directory.job_names[record.job.name as usize].clone(),
                    model: spec.model.name.clone(),
                    gpu: spec.gpu.name.clone(),
                    gpus,
                    nodes: record.nodes,
                    leaf_switches: record.leaf_switches,
                    steps: spec.steps,
                    steps_done: o.steps_done,
                    step_s,
                    ideal_step_s: spec.ideal.step_s,
                    breakdown: StepBreakdown::of(&o.report),
                    tokens_per_s: spec.tokens_per_step() / step_s.max(1e-12),
                    model_tflops_per_gpu: o.report.model_tflops_per_gpu * slowdown,
                    mfu: o.report.mfu * slowdown,
                    gpu_hours,
                    cost_usd,
                    usd_per_million_tokens: if tokens > 0.0 {
                        cost_usd / tokens * 1e6
                    } else {
                        0.0
                    },
                    energy_kwh: self
                        .scenario
                        .power
                        .is_some()
                        .then(|| record.energy_mw_ns as f64 / 3.6e18),
                }
            })
            .collect()
    }
}

/// A layout's parallel degrees, and Megatron's rank order over them: tp
/// fastest, then cp, dp, pp (expert groups are `ep` consecutive DP ranks).
#[derive(Copy, Clone)]
struct Grid {
    tp: usize,
    cp: usize,
    dp: usize,
    pp: usize,
    ep: usize,
}

impl Grid {
    fn of(l: &training::Layout) -> Grid {
        Grid {
            tp: l.tp as usize,
            cp: l.cp as usize,
            dp: l.dp as usize,
            pp: l.pp as usize,
            ep: l.ep.max(1) as usize,
        }
    }

    /// The GPU holding (tp rank `t`, cp rank `c`, dp rank `d`, pp rank `p`).
    fn rank(&self, ranks: &[Rank], t: usize, c: usize, d: usize, p: usize) -> Option<Rank> {
        ranks
            .get(t + self.tp * (c + self.cp * (d + self.dp * p)))
            .copied()
    }
}

/// The ECMP salt of transfer 0 of a phase (transfer `i` adds `i`): a
/// function of the job, its step and the phase alone, so that a job's
/// routes do not depend on which other job's event came first at an
/// instant, nor on what other jobs there are.
fn salt_of(job: JobIndex, step: u64, phase: Phase) -> u64 {
    let phase = match phase {
        Phase::Moe(k) => 2 * k as u64,
        Phase::Sync(k) => 2 * k as u64 + 1,
        Phase::Compute | Phase::Finish => unreachable!("not a flow phase"),
    };
    splitmix64(splitmix64(splitmix64(u64::from(job)) ^ step) ^ phase)
}

/// The job's GPUs as ranks: node by node in allocation order, GPUs of a
/// node by index, so that consecutive ranks share a node as Megatron's
/// placement assumes.
fn ranks_of(allocation: &[NodeGpus]) -> Vec<Rank> {
    let mut ranks = Vec::new();
    for a in allocation {
        let mut mask = a.mask;
        while mask != 0 {
            let local = mask.trailing_zeros();
            mask &= mask - 1;
            ranks.push((a.node, local));
        }
    }
    ranks
}

/// The expert all-to-alls of one step as one phase of transfers: every EP
/// group at once, each moving the step's all-to-all volume. Returns the
/// phases and the latency term of all of them.
fn plan_moe(
    spec: &TrainingSpec,
    moe: &MoeTraffic,
    ranks: &[Rank],
    comm: &Nccl,
    scenario: &Scenario,
) -> (Vec<Vec<Transfer>>, f64) {
    let fabric = scenario.network.fabric.as_ref().expect("flow fidelity");
    let (links, params) = (&comm.links, &comm.params);
    let grid = Grid::of(&spec.layout);
    let Grid { tp, cp, dp, pp, ep } = grid;
    let op = CollectiveOp::AllToAll;
    let Some(choice) = comm.estimate(op, moe.bytes, moe.shape) else {
        return (Vec::new(), 0.0);
    };
    let latency_s = moe.count
        * analytic::latency_s(
            op,
            choice.algorithm,
            choice.protocol,
            moe.shape,
            links,
            params,
        );
    let mut phase = Vec::new();
    // EP groups: `ep` consecutive DP ranks at each (tp, cp, pp) position.
    for p in 0..pp {
        for c in 0..cp {
            for t in 0..tp {
                for block in 0..dp / ep {
                    let group: Vec<Rank> = (block * ep..(block + 1) * ep)
                        .filter_map(|d| grid.rank(ranks, t, c, d, p))
                        .collect();
                    let plan = flows::plan(
                        flows::Call {
                            op,
                            algorithm: choice.algorithm,
                            protocol: choice.protocol,
                            size_bytes: moe.bytes * moe.count,
                        },
                        &group,
                        fabric,
                        links,
                        params,
                    );
                    phase.extend(plan.phases.into_iter().flatten());
                }
            }
        }
    }
    (vec![phase], latency_s)
}

/// The DP synchronisation of one step as phases of transfers: every DP
/// group's collectives at once, one collective after the other. Returns
/// the phases and their total latency term.
fn plan_sync(
    spec: &TrainingSpec,
    sync: &DpSync,
    ranks: &[Rank],
    comm: &Nccl,
    scenario: &Scenario,
) -> (Vec<Vec<Transfer>>, f64) {
    let fabric = scenario.network.fabric.as_ref().expect("flow fidelity");
    let (links, params) = (&comm.links, &comm.params);
    let grid = Grid::of(&spec.layout);
    let Grid { tp, cp, dp, pp, ep } = grid;
    let rank = |t: usize, c: usize, d: usize, p: usize| grid.rank(ranks, t, c, d, p);
    // Megatron's rank order: tp fastest, then cp, dp, pp. Dense gradients
    // are reduced over the DP·CP group of each (tp, pp) position; expert
    // gradients over the DP ranks holding the same experts (every ep-th).
    let mut dense: Vec<Vec<Rank>> = Vec::with_capacity(tp * pp);
    let mut expert: Vec<Vec<Rank>> = Vec::new();
    for p in 0..pp {
        for t in 0..tp {
            dense.push(
                (0..dp)
                    .flat_map(|d| (0..cp).filter_map(move |c| rank(t, c, d, p)))
                    .collect(),
            );
            if sync.expert_bytes > 0.0 && ep > 1 {
                for e in 0..ep {
                    expert.push(
                        (e..dp)
                            .step_by(ep)
                            .flat_map(|d| (0..cp).filter_map(move |c| rank(t, c, d, p)))
                            .collect(),
                    );
                }
            }
        }
    }
    let mut phases: Vec<Vec<Transfer>> = Vec::new();
    let mut latency_s = 0.0;
    for _ in 0..sync.repeat {
        for &op in &sync.ops {
            let first = phases.len();
            // The dense and expert collectives run side by side: the
            // slower latency term counts.
            let mut op_latency_s: f64 = 0.0;
            for (groups, bytes, shape) in [
                (&dense, sync.dense_bytes, sync.shape),
                (&expert, sync.expert_bytes, sync.expert_shape),
            ] {
                if groups.is_empty() || bytes <= 0.0 {
                    continue;
                }
                let Some(choice) = comm.estimate(op, bytes, shape) else {
                    continue;
                };
                op_latency_s = f64::max(
                    op_latency_s,
                    analytic::latency_s(
                        op,
                        choice.algorithm,
                        choice.protocol,
                        shape,
                        links,
                        params,
                    ),
                );
                let call = flows::Call {
                    op,
                    algorithm: choice.algorithm,
                    protocol: choice.protocol,
                    size_bytes: bytes,
                };
                // Groups of one collective run at once: merge their phases.
                for group in groups.iter().filter(|g| g.len() > 1) {
                    let plan = flows::plan(call, group, fabric, links, params);
                    for (k, phase) in plan.phases.into_iter().enumerate() {
                        if phases.len() <= first + k {
                            phases.push(Vec::new());
                        }
                        phases[first + k].extend(phase);
                    }
                }
            }
            latency_s += op_latency_s;
        }
    }
    (phases, latency_s)
}
