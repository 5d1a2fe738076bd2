//! A tracked job's attempt, phase by phase: its (re)start and restart
//! overhead, its work between checkpoints, its checkpoints (blocking, or a
//! snapshot and a background write) through the shared storage, and an
//! elastic job growing back. The bookkeeping of one attempt is
//! `progress.rs`; failures and recovery are `recovery.rs`.
//!
//! Invariants: an attempt has at most one phase timer that counts (its
//! `timer_at`; older ones are ignored); the storage's wake is re-armed
//! after every start, cancel and completion; a checkpoint counts once
//! written, and its time is accounted once.

use crate::engine::{Engine, SimDuration, SimTime};
use crate::metrics::TraceEvent;
use crate::reliability::{
    CheckpointCost, CheckpointInterval, CheckpointMode, Recovery, SharedStorage, daly_interval,
    uncontended_write_time, young_interval,
};
use crate::scheduler::SlotRef;

use super::progress::{Attempt, Cost, JobWork, Phase};
use super::recovery::held_gpus;
use super::{ClusterSim, Event};

impl ClusterSim<'_> {
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
    pub(super) fn begin_work(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
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

    /// The job in `slot` is warned it will lose its nodes: if it is
    /// working and checkpoints, it writes a checkpoint of its work so far
    /// now (its pending timer is left behind), as a spot job's handler
    /// does on the two-minute notice.
    pub(super) fn checkpoint_now(&mut self, slot: SlotRef, engine: &mut Engine<Event>) {
        let now = engine.now();
        let Some(a) = self.reliability.as_mut().and_then(|r| r.attempt_mut(slot)) else {
            return;
        };
        if a.frozen_at.is_some() || a.phase != Phase::Work || a.interval.is_none() {
            return;
        }
        let job = a.job;
        let rel = self.rel();
        let work = rel.works[job as usize];
        if work.cost.is_none() || work.total == u64::MAX {
            return;
        }
        let a = rel.attempt_mut(slot).expect("an attempt");
        let done = a.work_at(now, work.total);
        a.timer_at = None;
        self.begin_checkpoint(slot, done, engine);
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
    pub(super) fn wake_storage(&mut self, engine: &mut Engine<Event>) {
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
        self.energy_reopen(renewed, now);
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
}

/// Time to move `bytes` at `bits_per_s` per node over `nodes` nodes.
fn transfer_time(bytes: u64, bits_per_s: u64, nodes: u32) -> SimDuration {
    let rate = bits_per_s as f64 / 8.0 * f64::from(nodes.max(1));
    if rate <= 0.0 {
        return SimDuration::ZERO;
    }
    SimDuration::from_secs_f64(bytes as f64 / rate)
}
