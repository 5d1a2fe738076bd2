//! Failures and what jobs do about them, in one run: components fail
//! (`faults.rs`), failures are noticed, nodes go DOWN and come back,
//! planned maintenance drains nodes, and each running job works,
//! checkpoints and restarts (`progress.rs`).
//!
//! Handling, all at the event's instant:
//! - `Failure(class)`: a component of `class` fails. Jobs on its node
//!   hang (their progress stops at this instant); the failure is noticed
//!   at `Detect` (the class's detection delay, or the next health check).
//! - `Detect`: each job on the node is interrupted (`interrupt`), then the
//!   node goes DOWN until `Repaired` (the class's repair time; or DRAINED
//!   for good when the drain rule retires it).
//! - `PartNoticed`/`PartRepaired`: a cable or switch of the network
//!   (`outages.rs`).
//! - `JobFault`/`JobFaultNoticed`: a software failure of one job (the
//!   `Job` target): it hangs, then is interrupted; no node goes down.
//! - `Maintenance(class)`: the class's next nodes are set DRAINING; each
//!   goes DOWN once its jobs have left and returns after the maintenance.
//! - `JobTimer`, `PersistDone`, `StorageWake`: a job's phase ends (restart
//!   done, checkpoint due, checkpoint written).
//!
//! An interrupted job loses its work since its last completed checkpoint
//! and, by its [`Recovery`]: restarts in place on a hot spare
//! (`Redundant`), continues on fewer nodes (`Elastic`), or leaves its
//! nodes and is requeued through `ClusterSim::requeue` (Slurm's requeue on
//! node failure, at most `max_requeues` times), or ends NODE_FAIL.
//!
//! Invariants: an interrupted job never keeps a DOWN node; GPU-time lost
//! is split into rework, restart, checkpoint and requeue wait, each
//! counted once; the failure processes stop when nothing but them is left
//! to happen, so they never keep a finished run going.

use crate::engine::{Engine, SimDuration, SimTime};
use crate::hardware::NodeId;
use crate::metrics::{
    ClassFailures, JobReliability, JobState, LostGpuHours, ReliabilitySummary, TraceAlloc,
    TraceEvent,
};
use crate::reliability::{
    CheckpointCost, CheckpointInterval, CheckpointMode, ClassKind, Recovery, SharedStorage, Target,
    daly_interval, uncontended_write_time, young_interval,
};
use crate::scenario::Scenario;
use crate::scheduler::{JobIndex, NodeGpus, SlotRef};

use super::faults::{Faults, Health, Struck};
use super::progress::{Attempt, Cost, JobWork, Phase, loss};
use super::{ClusterSim, Event};

/// What an interruption took from a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hit {
    /// One of its nodes failed: a hot spare may replace it, or the job
    /// shrinks off it.
    Node(NodeId),
    /// The job itself failed (software): its nodes are fine, it may
    /// restart on them.
    Job,
    /// The network cut it off (a switch or cable outage): it cannot go on
    /// on these nodes, so it leaves them (requeued, or NODE_FAIL).
    CutOff,
}

/// GPU-nanoseconds lost, by cause.
#[derive(Clone, Copy, Debug, Default)]
struct LostGpuNs {
    rework: u128,
    restart: u128,
    checkpoint: u128,
    wait: u128,
}

/// The reliability state of one run.
pub(super) struct Reliability<'a> {
    pub(super) scenario: &'a Scenario,
    pub(super) faults: Faults<'a>,
    storage: Option<SharedStorage>,
    storage_wake: Option<SimTime>,
    /// Per job index.
    works: Vec<JobWork>,
    /// Per scheduler slot: the running attempt.
    attempts: Vec<Option<Attempt>>,
    lost: LostGpuNs,
    interruptions: u64,
    requeues: u64,
    spare_swaps: u64,
    node_fail_jobs: u64,
    /// Jobs requeued after a failure and not started again: the hot
    /// spares are theirs.
    requeued_waiting: u32,
    /// Failure, maintenance, jobs' software-failure and time-limit events
    /// pending (they are timers: they stop, or are ignored, when nothing
    /// else can happen).
    pub timers: usize,
    slots: Vec<SlotRef>,
    nodes: Vec<NodeId>,
    writers: Vec<u64>,
}

impl<'a> Reliability<'a> {
    /// The reliability state of `scenario`, or `None` when nothing can fail
    /// and no job checkpoints (the run then goes exactly as before).
    pub(super) fn new(scenario: &'a Scenario) -> Option<Self> {
        let spec = &scenario.reliability;
        let checkpoints = (scenario.workload.policies.iter()).any(|p| p.checkpoint.is_some());
        if spec.classes.is_empty() && !checkpoints {
            return None;
        }
        Some(Reliability {
            scenario,
            faults: Faults::new(spec, &scenario.cluster, scenario.seed, |target| {
                let fabric = scenario.network.fabric.as_ref();
                match (target, fabric) {
                    (Target::Link, Some(f)) => f.cables().len(),
                    (Target::LeafSwitch, Some(f)) => f.leaf_switches().len(),
                    (Target::LeafSwitch, None) => scenario.scheduler.topology.len(),
                    (Target::SpineSwitch, Some(f)) => f.spine_switches().len(),
                    _ => 0,
                }
            }),
            storage: scenario.storage.map(SharedStorage::new),
            storage_wake: None,
            works: Vec::new(),
            attempts: Vec::new(),
            lost: LostGpuNs::default(),
            interruptions: 0,
            requeues: 0,
            spare_swaps: 0,
            node_fail_jobs: 0,
            requeued_waiting: 0,
            timers: 0,
            slots: Vec::new(),
            nodes: Vec::new(),
            writers: Vec::new(),
        })
    }

    /// Schedules each class's first failure or maintenance.
    pub(super) fn arm(&mut self, engine: &mut Engine<Event>) {
        let mut first = Vec::new();
        self.faults.first_events(&mut first);
        for (at, class) in first {
            self.schedule_class(class, at, engine);
        }
    }

    fn schedule_class(&mut self, class: u16, at: SimTime, engine: &mut Engine<Event>) {
        let event = match self.faults.class(class).kind {
            ClassKind::Unexpected { .. } => Event::Failure(class),
            ClassKind::Planned(_) => Event::Maintenance(class),
        };
        self.faults.armed[usize::from(class)] = true;
        self.timers += 1;
        engine.schedule_at(at, event);
    }

    /// The attempt in `slot`, if the job in it is tracked.
    fn attempt_mut(&mut self, slot: SlotRef) -> Option<&mut Attempt> {
        self.attempts.get_mut(slot.slot() as usize)?.as_mut()
    }
}

impl<'a> ClusterSim<'a> {
    pub(super) fn rel(&mut self) -> &mut Reliability<'a> {
        self.reliability
            .as_mut()
            .expect("reliability events need the model")
    }

    /// A tracked job has just started in `slot` (its record's `runtime` is
    /// its run time at full speed): plan its attempt. Returns true when it
    /// is tracked (its end is then the attempt's, not a `JobEnd`).
    pub(super) fn start_attempt(&mut self, slot: SlotRef, engine: &mut Engine<Event>) -> bool {
        let Some(rel) = self.reliability.as_mut() else {
            return false;
        };
        let now = engine.now();
        let running = self.scheduler.running(slot);
        let job = running.job;
        let nodes = running.allocation.len() as u32;
        let gpus: u64 = held_gpus(&running.allocation);
        let record = &self.jobs[job as usize];
        let scenario = rel.scenario;
        let policy = scenario.workload.policy(record.job.policy);
        if rel.works.len() <= job as usize {
            rel.works.resize(
                job as usize + 1,
                JobWork {
                    total: 0,
                    saved: 0,
                    cost: None,
                    mode: CheckpointMode::Blocking,
                    first_start: None,
                    checkpoints: 0,
                    interval: None,
                    interrupted_at: None,
                    attempts: 0,
                },
            );
        }
        let group = scenario.cluster.group_of(running.allocation[0].node);
        let gpus_per_node = group.gpus_per_node;
        let nics = group.node_model.compute_nics;
        let work = &mut rel.works[job as usize];
        if work.first_start.is_none() {
            work.first_start = Some(now);
            work.total = record.job.runtime.as_ns();
            if let Some(ckpt) = policy.checkpoint {
                work.mode = ckpt.mode;
                work.cost = Some(match ckpt.cost {
                    CheckpointCost::Fixed(d) => Cost::Fixed(d),
                    CheckpointCost::Bytes(b) => Cost::Bytes {
                        bytes: b.as_u64(),
                        snapshot: scenario.storage.map_or(SimDuration::ZERO, |s| {
                            transfer_time(b.as_u64(), s.snapshot_per_node.bits_per_s(), nodes)
                        }),
                    },
                });
            }
        }
        if let Some(at) = work.interrupted_at.take() {
            rel.requeued_waiting -= 1;
            rel.lost.wait += u128::from(now.saturating_since(at).as_ns())
                * u128::from(record.job.request.total_gpus());
        }
        // The interval: fixed, or Young's / Daly's for the MTBF of the
        // nodes it holds and the uncontended cost of one checkpoint.
        let interval = policy.checkpoint.and_then(|ckpt| {
            let delta_ns = match ckpt.cost {
                CheckpointCost::Fixed(d) => d.as_ns() as f64,
                CheckpointCost::Bytes(b) => scenario
                    .storage
                    .map_or(0.0, |s| uncontended_write_time(s, b, nodes).as_ns() as f64),
            };
            match ckpt.interval {
                CheckpointInterval::Every(d) => Some(d.as_ns()),
                CheckpointInterval::Young | CheckpointInterval::Daly => {
                    let mtbf = (scenario.reliability).job_mtbf_ns(nodes, gpus_per_node, nics)?;
                    let tau = if ckpt.interval == CheckpointInterval::Young {
                        young_interval(delta_ns, mtbf)
                    } else {
                        daly_interval(delta_ns, mtbf)
                    };
                    Some((tau.max(1.0)) as u64)
                }
            }
        });
        work.interval = interval;
        let restarting = record.failures > 0;
        let attempt_no = work.attempts;
        work.attempts += 1;
        let mut attempt = Attempt::new(job, work, interval, now);
        let restart = if restarting {
            let r = scenario.reliability.restart;
            r.base + SimDuration::from_ns(r.per_node.as_ns().saturating_mul(u64::from(nodes)))
        } else {
            SimDuration::ZERO
        };
        // A software failure of the job, from the job classes' streams.
        // One due at or after the job's time limit can never strike (the
        // limit's `JobEnd`, queued first, ends the job at that instant):
        // it is not queued, or every short job would leave an event
        // behind, most of them years ahead, and the event queue would
        // grow with the number of jobs ever run.
        let deadline = (self.scheduler.config().kill_at_time_limit)
            .then(|| record.start.map(|start| start + record.job.time_limit))
            .flatten();
        if let Some((after, class)) = rel.faults.job_failure(record.id, attempt_no, nodes) {
            let at = now + after;
            if deadline.is_none_or(|d| at < d) {
                attempt.fault = Some((at, class));
                // A timer too: once the job has stopped it is left behind,
                // possibly far ahead, and must not keep a stuck run going.
                rel.timers += 1;
                engine.schedule_at(at, Event::JobFault(slot));
            }
        }
        let index = slot.slot() as usize;
        if rel.attempts.len() <= index {
            rel.attempts.resize(index + 1, None);
        }
        rel.attempts[index] = Some(attempt);
        let _ = gpus;
        if restart > SimDuration::ZERO {
            let a = rel.attempt_mut(slot).expect("just set");
            a.timer_at = Some(now + restart);
            engine.schedule_at(now + restart, Event::JobTimer(slot));
        } else {
            self.begin_work(slot, engine);
        }
        true
    }

    /// Work from now to the next checkpoint or the end.
    fn begin_work(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        let rel = self.rel();
        let a = rel.attempts[slot.slot() as usize]
            .as_mut()
            .expect("an attempt");
        let total = rel.works[a.job as usize].total;
        let work = a.work_at(now, total);
        a.enter(Phase::Work, now, work);
        if total == u64::MAX {
            // Flow-fidelity training: its steps end it.
            return;
        }
        let target = a.work_target(total);
        let at = now + a.wall_for(target - work);
        a.timer_at = Some(at);
        engine.schedule_at(at, Event::JobTimer(slot));
    }

    /// A job's phase timer: restart done, checkpoint due, checkpoint or
    /// snapshot done, or all its work done.
    pub(super) fn on_job_timer(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        let Some(a) = self.reliability.as_mut().and_then(|r| r.attempt_mut(slot)) else {
            return;
        };
        if a.frozen_at.is_some() || a.timer_at != Some(now) {
            return;
        }
        let a = *a;
        let gpus = held_gpus(&self.scheduler.running(slot).allocation);
        match a.phase {
            Phase::Restart => {
                let spent = now.saturating_since(a.phase_start);
                self.jobs[a.job as usize].restart_ns += spent.as_ns();
                self.rel().lost.restart += u128::from(spent.as_ns()) * u128::from(gpus);
                self.begin_work(slot, engine);
            }
            Phase::Work => {
                let work = self.rel().works[a.job as usize];
                let done = a.work_target(work.total);
                if done >= work.total {
                    let r = self.rel().attempt_mut(slot).expect("an attempt");
                    r.enter(Phase::Done, now, done);
                    self.end_job_as(slot, engine, false);
                } else {
                    self.begin_checkpoint(slot, done, engine);
                }
            }
            Phase::Checkpoint { at } => self.finish_checkpoint(slot, at, engine),
            Phase::Snapshot { at } => {
                self.account_checkpoint_time(slot, a.phase_start, now, gpus);
                let rel = self.rel();
                let work = rel.works[a.job as usize];
                let r = rel.attempt_mut(slot).expect("an attempt");
                r.persisting = Some(at);
                match work.cost {
                    Some(Cost::Bytes { bytes, .. }) => {
                        let nodes = self.scheduler.running(slot).allocation.len() as u32;
                        self.start_write(slot, bytes, nodes, engine);
                    }
                    Some(Cost::Fixed(d)) => engine.schedule_at(now + d, Event::PersistDone(slot)),
                    None => {}
                }
                self.begin_work(slot, engine);
            }
            Phase::WaitPersist | Phase::Done => {}
        }
    }

    fn account_checkpoint_time(&mut self, slot: SlotRef, from: SimTime, now: SimTime, gpus: u64) {
        let spent = now.saturating_since(from).as_ns();
        let job = self.scheduler.running(slot).job;
        self.jobs[job as usize].checkpoint_ns += spent;
        self.rel().lost.checkpoint += u128::from(spent) * u128::from(gpus);
    }

    /// The job reached work `at`, a checkpoint point.
    fn begin_checkpoint(&mut self, slot: SlotRef, at: u64, engine: &mut Engine<Event>) {
        let now = engine.now();
        let nodes = self.scheduler.running(slot).allocation.len() as u32;
        let rel = self.rel();
        let a = rel.attempts[slot.slot() as usize]
            .as_mut()
            .expect("an attempt");
        let work = rel.works[a.job as usize];
        a.next_checkpoint = a.interval.map_or(u64::MAX, |i| at.saturating_add(i.max(1)));
        match work.mode {
            CheckpointMode::Blocking => {
                a.enter(Phase::Checkpoint { at }, now, at);
                match work.cost {
                    Some(Cost::Fixed(d)) => {
                        a.timer_at = Some(now + d);
                        engine.schedule_at(now + d, Event::JobTimer(slot));
                    }
                    Some(Cost::Bytes { bytes, .. }) => self.start_write(slot, bytes, nodes, engine),
                    None => self.finish_checkpoint(slot, at, engine),
                }
            }
            CheckpointMode::Async => {
                if a.persisting.is_some() {
                    a.enter(Phase::WaitPersist, now, at);
                    return;
                }
                self.begin_snapshot(slot, at, engine);
            }
        }
    }

    fn begin_snapshot(&mut self, slot: SlotRef, at: u64, engine: &mut Engine<Event>) {
        let now = engine.now();
        let rel = self.rel();
        let a = rel.attempts[slot.slot() as usize]
            .as_mut()
            .expect("an attempt");
        let snapshot = match rel.works[a.job as usize].cost {
            Some(Cost::Bytes { snapshot, .. }) => snapshot,
            _ => SimDuration::ZERO,
        };
        a.enter(Phase::Snapshot { at }, now, at);
        a.timer_at = Some(now + snapshot);
        engine.schedule_at(now + snapshot, Event::JobTimer(slot));
    }

    fn start_write(&mut self, slot: SlotRef, bytes: u64, nodes: u32, engine: &mut Engine<Event>) {
        let now = engine.now();
        let rel = self.rel();
        let storage = rel.storage.as_mut().expect("byte checkpoints need storage");
        storage.start(now, slot.to_bits(), crate::units::Bytes(bytes), nodes);
        self.wake_storage(engine);
    }

    /// Keeps the one live `StorageWake` at the storage's next completion,
    /// as `SharedStorage` asks after every start, cancel and finish: a
    /// cancelled write speeds the others up, so their completion may come
    /// before the wake planned earlier. A wake left at another instant is
    /// stale and dropped (`stale_reliability_event`).
    fn wake_storage(&mut self, engine: &mut Engine<Event>) {
        let rel = self.rel();
        let next = rel
            .storage
            .as_ref()
            .and_then(SharedStorage::next_completion);
        if rel.storage_wake != next {
            rel.storage_wake = next;
            if let Some(at) = next {
                engine.schedule_at(at, Event::StorageWake);
            }
        }
    }

    /// Checkpoint writes due now are done (the wake is the storage's next
    /// completion: `stale_reliability_event` dropped any other).
    pub(super) fn on_storage_wake(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
        let rel = self.rel();
        rel.storage_wake = None;
        let mut done = std::mem::take(&mut rel.writers);
        done.clear();
        if let Some(s) = rel.storage.as_mut() {
            s.finish_due(now, &mut done);
        }
        for &tag in &done {
            let slot = SlotRef::from_bits(tag);
            if !self.scheduler.is_current(slot) {
                continue;
            }
            let Some(a) = self.rel().attempt_mut(slot).copied() else {
                continue;
            };
            match a.phase {
                Phase::Checkpoint { at } => self.finish_checkpoint(slot, at, engine),
                _ if a.persisting.is_some() => self.persist_done(slot, engine),
                _ => {}
            }
        }
        self.rel().writers = done;
        self.wake_storage(engine);
    }

    /// A blocking checkpoint of work `at` is written.
    fn finish_checkpoint(&mut self, slot: SlotRef, at: u64, engine: &mut Engine<Event>) {
        let now = engine.now();
        let gpus = held_gpus(&self.scheduler.running(slot).allocation);
        let from = self
            .rel()
            .attempt_mut(slot)
            .expect("an attempt")
            .phase_start;
        self.account_checkpoint_time(slot, from, now, gpus);
        let rel = self.rel();
        let job = rel.attempts[slot.slot() as usize].expect("an attempt").job;
        let work = &mut rel.works[job as usize];
        work.saved = at;
        work.checkpoints += 1;
        if !self.regrow(slot, engine) {
            self.begin_work(slot, engine);
        }
    }

    /// An elastic job that shrank has just saved its work: it takes back
    /// free nodes up to its request and restarts on them from that
    /// checkpoint (a new rendezvous: the restart overhead, no work lost).
    /// Returns whether it grew.
    fn regrow(&mut self, slot: SlotRef, engine: &mut Engine<Event>) -> bool {
        let now = engine.now();
        let scenario = self.rel().scenario;
        let running = self.scheduler.running(slot);
        let job = running.job;
        let held = running.allocation.len() as u32;
        let record = &self.jobs[job as usize];
        let (Recovery::Elastic { .. }, crate::workload::JobRequest::Nodes { count, .. }) = (
            scenario.workload.policy(record.job.policy).recovery,
            record.job.request,
        ) else {
            return false;
        };
        if held >= count {
            return false;
        }
        let before = held_gpus(&running.allocation);
        let mut grew = 0;
        while held + grew < count && self.scheduler.grow(slot, now).is_some() {
            grew += 1;
        }
        if grew == 0 {
            return false;
        }
        let after = held_gpus(&self.scheduler.running(slot).allocation);
        self.recorder.busy_gpus += after - before;
        self.rel().attempts[slot.slot() as usize] = None;
        let renewed = self.restart_in_place(slot, job, engine);
        let held = self.scheduler.running(renewed).allocation.len() as u32;
        self.set_rate(renewed, held, count, engine);
        let id = self.jobs[job as usize].id;
        self.trace.record(&TraceEvent::Resize {
            time: now,
            job: id,
            alloc: &self.trace_alloc,
        });
        true
    }

    /// An asynchronous checkpoint's background write is done.
    pub(super) fn persist_done(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        let Some(a) = self.reliability.as_mut().and_then(|r| r.attempt_mut(slot)) else {
            return;
        };
        if a.frozen_at.is_some() {
            return;
        }
        let Some(at) = a.persisting.take() else {
            return;
        };
        let a = *a;
        let rel = self.rel();
        let work = &mut rel.works[a.job as usize];
        work.saved = work.saved.max(at);
        work.checkpoints += 1;
        if a.phase == Phase::WaitPersist {
            let gpus = held_gpus(&self.scheduler.running(slot).allocation);
            self.account_checkpoint_time(slot, a.phase_start, now, gpus);
            self.begin_snapshot(slot, a.work_at_phase_start, engine);
        }
    }

    /// Stops the job's progress at `now` (its node failed, or it hung).
    fn freeze(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        let rel = self.rel();
        let Some(a) = rel
            .attempts
            .get_mut(slot.slot() as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        if a.frozen_at.is_none() {
            a.frozen_at = Some(now);
            if let Some(s) = rel.storage.as_mut() {
                s.cancel(now, slot.to_bits());
            }
            self.wake_storage(engine);
        }
    }

    /// A tracked job's time-limit `JobEnd` is about to be scheduled: it is
    /// a timer, left behind (up to a limit ahead) when the job stops
    /// early, and must not keep a stuck run going.
    pub(super) fn count_limit_timer(&mut self) {
        self.rel().timers += 1;
    }

    /// Whether `event` (a reliability event due now) changes nothing and
    /// must not even move the clock that the time series and the GPU-time
    /// follow, the run's end being its last change:
    /// - a failure or maintenance tick once nothing but timers can happen
    ///   (the class's process stops here; its event is consumed either
    ///   way, so the class is disarmed);
    /// - a failure's notice or a repair once no job runs, waits or is to
    ///   come: node states matter to no one any more;
    /// - a storage wake that is no longer the storage's next completion.
    pub(super) fn stale_reliability_event(&mut self, event: Event, engine: &Engine<Event>) -> bool {
        match event {
            Event::Failure(class) | Event::Maintenance(class) => {
                let rel = self.rel();
                rel.timers -= 1;
                rel.faults.armed[usize::from(class)] = false;
                self.only_timers_left(engine)
            }
            Event::Detect { .. }
            | Event::Repaired { .. }
            | Event::PartNoticed { .. }
            | Event::PartRepaired { .. } => self.no_work_left(),
            Event::StorageWake => self.rel().storage_wake != Some(engine.now()),
            _ => false,
        }
    }

    /// A component of `class` fails now (its event already disarmed by
    /// `stale_reliability_event`).
    pub(super) fn on_failure(&mut self, class: u16, engine: &mut Engine<Event>) {
        let now = engine.now();
        let (struck, next) = self.rel().faults.pop_failure(class, now);
        self.rel().schedule_class(class, next, engine);
        let node = match struck {
            Struck::Nothing => return,
            Struck::Part(part) => {
                if self.rel().faults.class(class).target == Target::LeafSwitch {
                    // Jobs under a dead leaf hang from now, as on a failed
                    // node; cables and spines take effect when noticed.
                    let mut slots = std::mem::take(&mut self.rel().slots);
                    slots.clear();
                    for node in self.leaf_nodes(part) {
                        self.scheduler.jobs_on(node, &mut slots);
                    }
                    for &slot in &slots {
                        self.freeze(slot, engine);
                    }
                    self.rel().slots = slots;
                }
                let at = self.rel().faults.noticed_at(class, now);
                engine.schedule_at(at, Event::PartNoticed { class, part });
                return;
            }
            Struck::Node(node) => node,
        };
        let mut slots = std::mem::take(&mut self.rel().slots);
        slots.clear();
        self.scheduler.jobs_on(node, &mut slots);
        for &slot in &slots {
            self.freeze(slot, engine);
        }
        self.rel().slots = slots;
        let at = self.rel().faults.noticed_at(class, now);
        engine.schedule_at(at, Event::Detect { node, class });
    }

    /// The failure of `node` is noticed: interrupt its jobs, take it down.
    pub(super) fn on_detect(&mut self, node: NodeId, class: u16, engine: &mut Engine<Event>) {
        let now = engine.now();
        let failed_at = match self.rel().faults.health[node as usize] {
            Health::Failed { at, .. } => at,
            _ => now,
        };
        let mut slots = std::mem::take(&mut self.rel().slots);
        slots.clear();
        self.scheduler.jobs_on(node, &mut slots);
        for &slot in &slots {
            // A job started on the node after it failed hung from its start.
            let started = self.scheduler.running(slot).start;
            self.interrupt(slot, class, Hit::Node(node), failed_at.max(started), engine);
        }
        self.rel().slots = slots;
        self.last_change = now;
        self.scheduler.set_down(node);
        let (back, retire) = self.rel().faults.take_down(node, class, now);
        let cause = self.rel().faults.class_name(class);
        self.trace.record(&TraceEvent::NodeDown {
            time: now,
            node,
            cause,
        });
        engine.schedule_at(
            back,
            Event::Repaired {
                node,
                class,
                retire,
            },
        );
    }

    /// `node` is repaired (or its maintenance is over).
    pub(super) fn on_repaired(
        &mut self,
        node: NodeId,
        class: u16,
        retire: bool,
        engine: &mut Engine<Event>,
    ) {
        let now = engine.now();
        self.last_change = now;
        self.rel().faults.repaired(node, class, now, retire);
        if self.rel().faults.cut[node as usize] > 0 {
            // Still cut off by a switch outage: it returns with the switch.
            return;
        }
        self.scheduler.resume(node);
        if self.rel().requeued_waiting > 0 {
            // A job requeued after a failure waits: the spares are its.
            self.scheduler.release_spares();
        }
        if retire {
            self.scheduler.drain(node);
            self.trace.record(&TraceEvent::NodeDrain {
                time: now,
                node,
                cause: "drain rule",
            });
        } else {
            self.trace.record(&TraceEvent::NodeUp { time: now, node });
        }
    }

    /// A software failure of the job in `slot` is due now: it hangs until
    /// the failure is noticed.
    pub(super) fn on_job_fault(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        let Some(a) = self.reliability.as_mut().and_then(|r| r.attempt_mut(slot)) else {
            return;
        };
        let Some((at, class)) = a.fault else {
            return;
        };
        if at != now || a.frozen_at.is_some() || a.phase == Phase::Done {
            return;
        }
        self.freeze(slot, engine);
        let rel = self.rel();
        rel.faults.counts[usize::from(class)].failures += 1;
        let noticed = rel.faults.noticed_at(class, now);
        engine.schedule_at(noticed, Event::JobFaultNoticed(slot));
    }

    pub(super) fn on_job_fault_noticed(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let Some(a) = self.reliability.as_mut().and_then(|r| r.attempt_mut(slot)) else {
            return;
        };
        let (Some(frozen), Some((_, class))) = (a.frozen_at, a.fault) else {
            return;
        };
        self.interrupt(slot, class, Hit::Job, frozen, engine);
    }

    /// Planned maintenance of `class`: drain its next nodes.
    /// (Its event is already disarmed by `stale_reliability_event`.)
    pub(super) fn on_maintenance(&mut self, class: u16, engine: &mut Engine<Event>) {
        let now = engine.now();
        self.last_change = now;
        let mut nodes = std::mem::take(&mut self.rel().nodes);
        nodes.clear();
        let m = self.rel().faults.maintenance_batch(class, &mut nodes);
        for &node in &nodes {
            if !self.rel().faults.in_service(node) {
                continue;
            }
            self.rel().faults.health[node as usize] = Health::Draining { class };
            let cause = self.rel().faults.class_name(class);
            if self.scheduler.drain(node) {
                self.begin_maintenance(node, class, engine);
            } else {
                self.trace.record(&TraceEvent::NodeDrain {
                    time: now,
                    node,
                    cause,
                });
            }
        }
        self.rel().nodes = nodes;
        self.rel().schedule_class(class, now + m.every, engine);
    }

    /// A drained node's maintenance begins: DOWN for its duration.
    pub(super) fn begin_maintenance(
        &mut self,
        node: NodeId,
        class: u16,
        engine: &mut Engine<Event>,
    ) {
        let now = engine.now();
        let ClassKind::Planned(m) = self.rel().faults.class(class).kind else {
            return;
        };
        self.last_change = now;
        self.scheduler.set_down(node);
        self.rel().faults.health[node as usize] = Health::Down { class, since: now };
        let cause = self.rel().faults.class_name(class);
        self.trace.record(&TraceEvent::NodeDown {
            time: now,
            node,
            cause,
        });
        engine.schedule_at(
            now + m.duration,
            Event::Repaired {
                node,
                class,
                retire: false,
            },
        );
    }

    /// After jobs left nodes: those that were draining for maintenance and
    /// are now empty begin it.
    pub(super) fn after_event(&mut self, engine: &mut Engine<Event>) {
        if self.reliability.is_none() {
            return;
        }
        let mut nodes = std::mem::take(&mut self.rel().nodes);
        nodes.clear();
        self.scheduler.take_newly_drained(&mut nodes);
        for &node in &nodes {
            if let Health::Draining { class } = self.rel().faults.health[node as usize] {
                self.begin_maintenance(node, class, engine);
            }
        }
        self.rel().nodes = nodes;
    }

    /// The job in `slot` failed at `failed_at` (by `class`; `hit` says
    /// what it lost), noticed now: it loses its work since its last
    /// checkpoint and recovers as its policy says.
    pub(super) fn interrupt(
        &mut self,
        slot: SlotRef,
        class: u16,
        hit: Hit,
        failed_at: SimTime,
        engine: &mut Engine<Event>,
    ) {
        let now = engine.now();
        self.last_change = now;
        let running = self.scheduler.running(slot);
        let job = running.job;
        let gpus = held_gpus(&running.allocation);
        let started = running.start;
        let Some(attempt) = self.rel().attempts[slot.slot() as usize].take() else {
            return;
        };
        let work = self.rel().works[job as usize];
        let l = loss(&attempt, &work, failed_at, now);
        if let Some(s) = self.rel().storage.as_mut() {
            s.cancel(now, slot.to_bits());
        }
        self.wake_storage(engine);
        let rework = l.rework.saturating_add(l.hung.as_ns());
        let partial = l.partial_phase.as_ns();
        {
            let record = &mut self.jobs[job as usize];
            record.failures += 1;
            record.rework_ns += rework;
            match attempt.phase {
                Phase::Restart => record.restart_ns += partial,
                Phase::Checkpoint { .. } | Phase::Snapshot { .. } | Phase::WaitPersist => {
                    record.checkpoint_ns += partial
                }
                Phase::Work | Phase::Done => {}
            }
        }
        let rel = self.rel();
        rel.lost.rework += u128::from(rework) * u128::from(gpus);
        match attempt.phase {
            Phase::Restart => rel.lost.restart += u128::from(partial) * u128::from(gpus),
            Phase::Checkpoint { .. } | Phase::Snapshot { .. } | Phase::WaitPersist => {
                rel.lost.checkpoint += u128::from(partial) * u128::from(gpus)
            }
            Phase::Work | Phase::Done => {}
        }
        rel.interruptions += 1;
        rel.faults.counts[usize::from(class)].interruptions += 1;
        let cause = rel.faults.class_name(class);
        let scenario = rel.scenario;
        let request = self.jobs[job as usize].job.request;
        let policy = scenario.workload.policy(self.jobs[job as usize].job.policy);
        let flow_training = work.total == u64::MAX;
        let lost_gpu_s = rework as f64 * gpus as f64 / 1e9;
        // Recover in place: on a hot spare, on fewer nodes, or (software
        // failures) on the same nodes; never on nodes the network cut off.
        let in_place = !flow_training
            && match (policy.recovery, hit) {
                (Recovery::CheckpointRestart, _) | (_, Hit::CutOff) => false,
                (Recovery::Redundant | Recovery::Elastic { .. }, Hit::Job) => true,
                (Recovery::Redundant, Hit::Node(node)) => {
                    let swapped = self.scheduler.swap_in_spare(slot, node).is_some();
                    if swapped {
                        self.rel().spare_swaps += 1;
                    }
                    swapped
                }
                (Recovery::Elastic { min_nodes }, Hit::Node(node)) => {
                    let held = self.scheduler.running(slot).allocation.len() as u32;
                    if held > min_nodes.max(1) {
                        let before = held_gpus(&self.scheduler.running(slot).allocation);
                        self.scheduler.shrink(slot, node, now);
                        let after = held_gpus(&self.scheduler.running(slot).allocation);
                        self.recorder.busy_gpus -= before - after;
                        true
                    } else {
                        false
                    }
                }
            };
        if in_place {
            let id = self.jobs[job as usize].id;
            self.trace.record(&TraceEvent::Fail {
                time: now,
                job: id,
                cause,
                requeued: true,
                lost_gpu_s,
            });
            let renewed = self.restart_in_place(slot, job, engine);
            self.trace.record(&TraceEvent::Start {
                time: now,
                job: id,
                alloc: &self.trace_alloc,
            });
            let held = self.scheduler.running(renewed).allocation.len() as u32;
            let requested = match request {
                crate::workload::JobRequest::Nodes { count, .. } => count,
                crate::workload::JobRequest::Gpus(_) => held,
            };
            self.set_rate(renewed, held, requested, engine);
            return;
        }
        // Leave the nodes: requeued, or NODE_FAIL.
        if self.jobs[job as usize].job.training.is_some() {
            self.training.stop(slot, now, started);
            self.training.cut_short(job, now.saturating_since(started));
        }
        let ended = self.scheduler.end(slot, now);
        self.recorder.running_jobs -= 1;
        self.recorder.busy_gpus -= ended.gpus;
        let spec = &scenario.reliability;
        let record = &mut self.jobs[job as usize];
        let requeue = policy.requeue.unwrap_or(spec.requeue) && record.requeues < spec.max_requeues;
        self.trace.record(&TraceEvent::Fail {
            time: now,
            job: record.id,
            cause,
            requeued: requeue,
            lost_gpu_s,
        });
        if requeue {
            let rel = self.rel();
            rel.requeues += 1;
            rel.requeued_waiting += 1;
            rel.works[job as usize].interrupted_at = Some(now);
            if flow_training {
                rel.works[job as usize].first_start = None;
            }
            // Hot spares are held for jobs requeued after a failure.
            self.scheduler.release_spares();
            self.requeue(job, ended.ticket, engine);
        } else {
            record.end = Some(now);
            record.state = JobState::NodeFail;
            self.jobs_finished += 1;
            self.rel().node_fail_jobs += 1;
            let id = self.jobs[job as usize].id;
            self.trace.record(&TraceEvent::End {
                time: now,
                job: id,
                state: JobState::NodeFail,
            });
        }
    }

    /// The job in `slot` restarts on the nodes it now holds (the Slurm job
    /// goes on): a new handle, its time limit still counted from its
    /// start, a new attempt from its last checkpoint. Leaves its
    /// allocation in `trace_alloc`.
    fn restart_in_place(
        &mut self,
        slot: SlotRef,
        job: JobIndex,
        engine: &mut Engine<Event>,
    ) -> SlotRef {
        let now = engine.now();
        let renewed = self.scheduler.renew(slot, now);
        let running = self.scheduler.running(renewed);
        self.trace_alloc.clear();
        self.trace_alloc
            .extend(running.allocation.iter().map(|p| TraceAlloc {
                node: p.node,
                mask: p.mask,
            }));
        let kill = self.scheduler.config().kill_at_time_limit;
        let record = &self.jobs[job as usize];
        if kill && let Some(start) = record.start {
            let at = start + record.job.time_limit;
            self.count_limit_timer();
            engine.schedule_at(at, Event::JobEnd(renewed));
        }
        self.start_attempt(renewed, engine);
        renewed
    }

    /// An elastic job holding `held` of its `requested` nodes works at
    /// that fraction of its speed (data parallelism with the global batch
    /// fixed: each replica takes a larger share of the batch).
    fn set_rate(&mut self, slot: SlotRef, held: u32, requested: u32, engine: &mut Engine<Event>) {
        let rate = (f64::from(held) / f64::from(requested.max(1))).min(1.0);
        let Some(a) = self.rel().attempt_mut(slot) else {
            return;
        };
        a.rate = rate;
        if rate < 1.0 && a.phase == Phase::Work {
            // Re-plan the phase under way at the new speed.
            self.begin_work(slot, engine);
        }
    }

    /// The network cut off the job in `slot` (noticed now, by `class`): it
    /// leaves its nodes. Its progress stopped when it hung, if it did.
    pub(super) fn interrupt_cut_off(
        &mut self,
        slot: SlotRef,
        class: u16,
        engine: &mut Engine<Event>,
    ) {
        let now = engine.now();
        let failed_at = (self.rel().attempt_mut(slot))
            .and_then(|a| a.frozen_at)
            .unwrap_or(now);
        self.interrupt(slot, class, Hit::CutOff, failed_at, engine);
    }

    /// Forgets the attempt of a job that left `slot` (ended or preempted).
    pub(super) fn forget_attempt(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        if let Some(rel) = self.reliability.as_mut()
            && let Some(a) = rel.attempts.get_mut(slot.slot() as usize)
        {
            *a = None;
            if let Some(s) = rel.storage.as_mut() {
                s.cancel(engine.now(), slot.to_bits());
            }
            self.wake_storage(engine);
        }
    }

    /// The work a running tracked job has done and not lost, at `now`.
    pub(super) fn kept_work(&self, job: JobIndex, now: SimTime) -> Option<SimDuration> {
        let rel = self.reliability.as_ref()?;
        let work = rel.works.get(job as usize)?;
        let current = (rel.attempts.iter().flatten())
            .find(|a| a.job == job && a.frozen_at.is_none())
            .map_or(0, |a| a.work_at(now, work.total));
        Some(SimDuration::from_ns(current.max(work.saved)))
    }

    /// The summary's reliability block.
    pub(super) fn reliability_summary(&self, end: SimTime) -> Option<ReliabilitySummary> {
        let rel = self.reliability.as_ref()?;
        let spec = &rel.scenario.reliability;
        let nodes = rel.scenario.cluster.node_count() as f64;
        let node_days = nodes * end.as_ns() as f64 / 86_400e9;
        let per_1000 = |n: u64| {
            if node_days > 0.0 {
                n as f64 * 1000.0 / node_days
            } else {
                0.0
            }
        };
        let classes: Vec<ClassFailures> = (spec.classes.iter().enumerate())
            .map(|(i, c)| ClassFailures {
                class: c.name.clone(),
                strikes: c.target.as_str(),
                failures: rel.faults.counts[i].failures,
                per_1000_node_days: per_1000(rel.faults.counts[i].failures),
                interruptions: rel.faults.counts[i].interruptions,
            })
            .collect();
        let failures: u64 = (spec.classes.iter().zip(&classes))
            .filter(|(c, _)| matches!(c.kind, ClassKind::Unexpected { .. }))
            .map(|(_, f)| f.failures)
            .sum();
        let started = self
            .jobs
            .iter()
            .filter(|j| j.start.is_some() || j.failures > 0)
            .count();
        let hours = |ns: u128| ns as f64 / 3.6e12;
        let lost = LostGpuHours {
            rework: hours(rel.lost.rework),
            restart: hours(rel.lost.restart),
            checkpoint: hours(rel.lost.checkpoint),
            requeue_wait: hours(rel.lost.wait),
            total: hours(rel.lost.rework + rel.lost.restart + rel.lost.checkpoint + rel.lost.wait),
        };
        let total_gpu_ns = u128::from(rel.scenario.cluster.total_gpus()) * u128::from(end.as_ns());
        let training = (self.jobs.iter().enumerate())
            .filter(|(_, j)| j.job.training.is_some())
            .map(|(i, j)| {
                let work = rel.works.get(i);
                let wall = work
                    .and_then(|w| w.first_start)
                    .map(|first| j.end.unwrap_or(end).saturating_since(first).as_ns());
                let productive = work.map_or(0, |w| {
                    if j.state == JobState::Completed {
                        w.total
                    } else {
                        w.saved
                    }
                });
                let ettr = wall
                    .filter(|&w| w > 0)
                    .map(|w| productive as f64 / w as f64);
                let spec = &rel.scenario.workload.training[j.job.training.unwrap_or(0) as usize];
                let tokens_per_step = spec.ideal.tokens_per_s * spec.ideal.step_s;
                let step_ns = spec.ideal.step_s * 1e9;
                ReliabilityJob {
                    job: j.id,
                    name: rel.scenario.workload.directory.job_names[j.job.name as usize].clone(),
                    interruptions: j.failures,
                    checkpoints: work.map_or(0, |w| w.checkpoints),
                    checkpoint_interval_s: work.and_then(|w| w.interval).map(|i| i as f64 / 1e9),
                    ettr,
                    goodput_tokens_per_s: wall
                        .filter(|&w| w > 0 && step_ns > 0.0)
                        .map(|w| productive as f64 / step_ns * tokens_per_step / (w as f64 / 1e9)),
                }
            })
            .collect();
        Some(ReliabilitySummary {
            classes,
            failures,
            failures_per_1000_node_days: per_1000(failures),
            interruptions: rel.interruptions,
            interruptions_per_job: if started > 0 {
                rel.interruptions as f64 / started as f64
            } else {
                0.0
            },
            node_fail_jobs: rel.node_fail_jobs,
            requeues: rel.requeues,
            spare_swaps: rel.spare_swaps,
            lost_gpu_hours: lost,
            node_availability: if total_gpu_ns > 0 {
                1.0 - self.recorder.down_gpu_ns() as f64 / total_gpu_ns as f64
            } else {
                1.0
            },
            mean_time_to_repair_h: (rel.faults.repairs > 0).then(|| {
                rel.faults.repair_time_total.as_secs_f64() / 3600.0 / rel.faults.repairs as f64
            }),
            repairs: rel.faults.repairs,
            drained_nodes: rel.faults.drained_nodes,
            training,
        })
    }
}

type ReliabilityJob = JobReliability;

/// GPUs of an allocation.
fn held_gpus(allocation: &[NodeGpus]) -> u64 {
    allocation.iter().map(|p| u64::from(p.gpu_count())).sum()
}

/// Time to move `bytes` at `bits_per_s` per node over `nodes` nodes.
fn transfer_time(bytes: u64, bits_per_s: u64, nodes: u32) -> SimDuration {
    let rate = bits_per_s as f64 / 8.0 * f64::from(nodes.max(1));
    if rate <= 0.0 {
        return SimDuration::ZERO;
    }
    SimDuration::from_secs_f64(bytes as f64 / rate)
}
