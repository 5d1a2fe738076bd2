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
//! A job's phases (restart, work, checkpoints) are `checkpoints.rs`; the
//! summary's block is `reliability_summary.rs`.
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

use crate::engine::{Engine, SimTime};
use crate::hardware::NodeId;
use crate::metrics::{JobState, TraceAlloc, TraceEvent};
use crate::reliability::{ClassKind, Recovery, SharedStorage, Target};
use crate::scenario::Scenario;
use crate::scheduler::{JobIndex, NodeGpus, SlotRef};

use super::faults::{Faults, Health, Struck};
use super::progress::{Attempt, JobWork, Phase, loss};
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
pub(super) struct LostGpuNs {
    pub(super) rework: u128,
    pub(super) restart: u128,
    pub(super) checkpoint: u128,
    pub(super) wait: u128,
}

/// The reliability state of one run.
pub(super) struct Reliability<'a> {
    pub(super) scenario: &'a Scenario,
    pub(super) faults: Faults<'a>,
    pub(super) storage: Option<SharedStorage>,
    pub(super) storage_wake: Option<SimTime>,
    /// Per job index.
    pub(super) works: Vec<JobWork>,
    /// Per scheduler slot: the running attempt.
    pub(super) attempts: Vec<Option<Attempt>>,
    pub(super) lost: LostGpuNs,
    pub(super) interruptions: u64,
    pub(super) requeues: u64,
    pub(super) spare_swaps: u64,
    pub(super) node_fail_jobs: u64,
    /// Jobs requeued after a failure and not started again: the hot
    /// spares are theirs.
    pub(super) requeued_waiting: u32,
    /// Failure, maintenance, jobs' software-failure and time-limit events
    /// pending (they are timers: they stop, or are ignored, when nothing
    /// else can happen).
    pub timers: usize,
    pub(super) slots: Vec<SlotRef>,
    pub(super) nodes: Vec<NodeId>,
    pub(super) writers: Vec<u64>,
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
    pub(super) fn attempt_mut(&mut self, slot: SlotRef) -> Option<&mut Attempt> {
        self.attempts.get_mut(slot.slot() as usize)?.as_mut()
    }
}

impl<'a> ClusterSim<'a> {
    pub(super) fn rel(&mut self) -> &mut Reliability<'a> {
        self.reliability
            .as_mut()
            .expect("reliability events need the model")
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
                    let nodes = self.leaf_nodes(part);
                    self.freeze_jobs_on(nodes, engine);
                }
                let at = self.rel().faults.noticed_at(class, now);
                engine.schedule_at(at, Event::PartNoticed { class, part });
                return;
            }
            Struck::Node(node) => node,
        };
        if self.autoscale.as_ref().is_some_and(|a| !a.held(node)) {
            // A released cloud node cannot be interrupted: no failure.
            self.rel().faults.health[node as usize] = Health::Up;
            self.rel().faults.counts[usize::from(class)].failures -= 1;
            return;
        }
        let notice = self.rel().faults.class(class).notice;
        if !notice.is_zero() {
            // A warning (a spot interruption's notice): the jobs on the
            // node run on and checkpoint; the node is lost when it ends,
            // and the failure is noticed then.
            let lost = now + notice;
            self.rel().faults.health[node as usize] = Health::Failed { class, at: lost };
            self.checkpoint_jobs_on(node, engine);
            engine.schedule_at(lost, Event::Detect { node, class });
            return;
        }
        self.freeze_jobs_on([node], engine);
        let at = self.rel().faults.noticed_at(class, now);
        engine.schedule_at(at, Event::Detect { node, class });
    }

    /// The jobs on `node` start a checkpoint now (a warning before the
    /// node is lost).
    fn checkpoint_jobs_on(&mut self, node: NodeId, engine: &mut Engine<Event>) {
        let mut slots = std::mem::take(&mut self.rel().slots);
        slots.clear();
        self.scheduler.jobs_on(node, &mut slots);
        for &slot in &slots {
            self.checkpoint_now(slot, engine);
        }
        self.rel().slots = slots;
    }

    /// The jobs holding GPUs of `nodes` hang from now.
    fn freeze_jobs_on(
        &mut self,
        nodes: impl IntoIterator<Item = NodeId>,
        engine: &mut Engine<Event>,
    ) {
        let mut slots = std::mem::take(&mut self.rel().slots);
        slots.clear();
        for node in nodes {
            self.scheduler.jobs_on(node, &mut slots);
        }
        for &slot in &slots {
            self.freeze(slot, engine);
        }
        self.rel().slots = slots;
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
        if let Some(ledger) = self.energy.as_mut() {
            ledger.node_down(node, now);
        }
        if let Some(scaler) = self.autoscale.as_mut() {
            // An autoscaled group provisions another when it needs one.
            scaler.lost(node);
        }
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
        if self.autoscale.as_ref().is_some_and(|a| a.autoscaled(node)) {
            // Replaced by the autoscaler when the queue needs it.
            return;
        }
        self.scheduler.resume(node);
        if let Some(ledger) = self.energy.as_mut() {
            ledger.node_up(node, now);
        }
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
            self.energy_reopen(renewed, now);
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
        let training = self.jobs[job as usize].job.training.is_some();
        if training {
            self.training.stop(slot, now, started);
        }
        self.energy_close(slot, now);
        let ended = self.end_in_scheduler(slot, engine);
        self.recorder.running_jobs -= 1;
        self.recorder.busy_gpus -= ended.pool_gpus;
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
            if training {
                // It ends here: the steps it did are its kept work. A
                // requeued job goes on, its steps counted when it ends.
                let kept = self
                    .kept_work(job, now)
                    .unwrap_or_else(|| now.saturating_since(started));
                self.training.cut_short(job, kept);
            }
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
    pub(super) fn restart_in_place(
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
    pub(super) fn set_rate(
        &mut self,
        slot: SlotRef,
        held: u32,
        requested: u32,
        engine: &mut Engine<Event>,
    ) {
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
}

/// GPUs of an allocation.
pub(super) fn held_gpus(allocation: &[NodeGpus]) -> u64 {
    allocation.iter().map(|p| u64::from(p.gpu_count())).sum()
}
