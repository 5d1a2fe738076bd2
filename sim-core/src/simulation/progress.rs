//! A job's useful work under the reliability model: restarts, work
//! between checkpoints, checkpoints (blocking, or a snapshot followed by a
//! background write), and what a failure throws away.
//!
//! Work is counted in nanoseconds of the job's run time at full speed; an
//! elastic job that lost nodes works at `rate` < 1. A job checkpoints
//! after every `interval` of work since its last checkpoint began (none
//! after the last piece of work), as Daly's model has it.
//!
//! Invariants:
//! - `saved <= work <= total` at every instant of an attempt;
//! - a failure loses exactly `work - saved` (plus the time the job hung
//!   before the failure was noticed), never saved work;
//! - at most one checkpoint is being written per job (an asynchronous
//!   one makes the next snapshot wait for it);
//! - time spent in each phase is accounted once: restart, work,
//!   checkpoint.

use crate::engine::{SimDuration, SimTime};
use crate::reliability::CheckpointMode;
use crate::scheduler::JobIndex;

/// What one checkpoint costs this job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cost {
    Fixed(SimDuration),
    /// Bytes through the shared storage, and the blocking snapshot time
    /// of an asynchronous checkpoint.
    Bytes {
        bytes: u64,
        snapshot: SimDuration,
    },
}

/// What a job has done over all its attempts.
#[derive(Clone, Copy, Debug)]
pub(super) struct JobWork {
    /// Its run time at full speed (the work to do).
    pub total: u64,
    /// Work safe in a completed checkpoint.
    pub saved: u64,
    pub cost: Option<Cost>,
    pub mode: CheckpointMode,
    /// When it first started.
    pub first_start: Option<SimTime>,
    pub checkpoints: u64,
    /// The checkpoint interval of its latest attempt.
    pub interval: Option<u64>,
    /// When its latest interruption was noticed (requeue wait accounting).
    pub interrupted_at: Option<SimTime>,
    /// Attempts started so far (each draws its own software failure).
    pub attempts: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Restart,
    Work,
    /// A blocking checkpoint of work `at` is being written.
    Checkpoint {
        at: u64,
    },
    /// An asynchronous checkpoint's snapshot of work `at`.
    Snapshot {
        at: u64,
    },
    /// Waiting for the previous asynchronous checkpoint to be written.
    WaitPersist,
    Done,
}

/// One run of a job on its nodes, from (re)start to its end or failure.
#[derive(Clone, Copy, Debug)]
pub(super) struct Attempt {
    pub job: JobIndex,
    pub phase: Phase,
    pub phase_start: SimTime,
    /// Work done when the phase began.
    pub work_at_phase_start: u64,
    /// Work at which the next checkpoint begins (`u64::MAX`: none).
    pub next_checkpoint: u64,
    pub interval: Option<u64>,
    /// Speed relative to the full allocation (elastic jobs that shrank).
    pub rate: f64,
    /// Failed at this instant and hanging until the failure is noticed.
    pub frozen_at: Option<SimTime>,
    /// An asynchronous checkpoint of this much work is being written.
    pub persisting: Option<u64>,
    /// When the current phase's timer is due (`None`: no timer, the
    /// phase ends on a storage completion).
    pub timer_at: Option<SimTime>,
    /// A software failure of the job due at this instant, and its class.
    pub fault: Option<(SimTime, u16)>,
}

impl Attempt {
    /// An attempt that starts now from `work.saved`, restarting for
    /// `restart` first.
    pub fn new(job: JobIndex, work: &JobWork, interval: Option<u64>, now: SimTime) -> Self {
        Attempt {
            job,
            phase: Phase::Restart,
            phase_start: now,
            work_at_phase_start: work.saved,
            next_checkpoint: interval.map_or(u64::MAX, |i| work.saved.saturating_add(i.max(1))),
            interval,
            rate: 1.0,
            frozen_at: None,
            persisting: None,
            timer_at: None,
            fault: None,
        }
    }

    /// Work done by `t` (phases other than `Work` do none).
    pub fn work_at(&self, t: SimTime, total: u64) -> u64 {
        match self.phase {
            Phase::Work => {
                let elapsed = t.saturating_since(self.phase_start).as_ns();
                let done = if self.rate == 1.0 {
                    elapsed
                } else {
                    (elapsed as f64 * self.rate).floor() as u64
                };
                self.work_at_phase_start.saturating_add(done).min(total)
            }
            _ => self.work_at_phase_start,
        }
    }

    /// The work this `Work` phase runs to: the next checkpoint or the end.
    pub fn work_target(&self, total: u64) -> u64 {
        self.next_checkpoint.min(total)
    }

    /// Wall time to do `work` at this attempt's rate, rounded up.
    pub fn wall_for(&self, work: u64) -> SimDuration {
        if self.rate == 1.0 {
            SimDuration::from_ns(work)
        } else {
            SimDuration::from_ns((work as f64 / self.rate).ceil() as u64)
        }
    }

    /// Enters `phase` at `now` with `work` done.
    pub fn enter(&mut self, phase: Phase, now: SimTime, work: u64) {
        self.phase = phase;
        self.phase_start = now;
        self.work_at_phase_start = work;
        self.timer_at = None;
    }
}

/// How a failure at `failed_at`, noticed at `noticed_at`, set the job back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Loss {
    /// Work since the last completed checkpoint (full-speed ns).
    pub rework: u64,
    /// Time hung between the failure and its notice.
    pub hung: SimDuration,
    /// Time in the interrupted phase if it was a restart or a checkpoint,
    /// up to the failure (already accounted as such).
    pub partial_phase: SimDuration,
}

/// What the attempt loses when it fails at `failed_at` (noticed at
/// `noticed_at`): the work since the last completed checkpoint.
pub(super) fn loss(
    attempt: &Attempt,
    work: &JobWork,
    failed_at: SimTime,
    noticed_at: SimTime,
) -> Loss {
    let done = attempt.work_at(failed_at, work.total);
    Loss {
        rework: done.saturating_sub(work.saved),
        hung: noticed_at.saturating_since(failed_at),
        partial_phase: match attempt.phase {
            Phase::Work | Phase::Done => SimDuration::ZERO,
            _ => failed_at.saturating_since(attempt.phase_start),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(total: u64) -> JobWork {
        JobWork {
            total,
            saved: 0,
            cost: Some(Cost::Fixed(SimDuration::from_ns(10))),
            mode: CheckpointMode::Blocking,
            first_start: None,
            checkpoints: 0,
            interval: Some(100),
            interrupted_at: None,
            attempts: 0,
        }
    }

    #[test]
    fn work_advances_only_while_working_and_at_the_attempts_rate() {
        let w = work(1_000);
        let mut a = Attempt::new(0, &w, Some(100), SimTime::ZERO);
        assert_eq!(a.work_at(SimTime::from_ns(50), w.total), 0, "restarting");
        a.enter(Phase::Work, SimTime::from_ns(50), 0);
        assert_eq!(a.work_at(SimTime::from_ns(120), w.total), 70);
        assert_eq!(a.work_target(w.total), 100);
        a.rate = 0.5;
        assert_eq!(a.work_at(SimTime::from_ns(150), w.total), 50);
        assert_eq!(a.wall_for(25), SimDuration::from_ns(50));
    }

    #[test]
    fn a_failure_loses_the_work_since_the_last_checkpoint_and_the_hang() {
        // Checkpointed 300 of work; 40 more done when the node fails at
        // t=1040, noticed 60 later.
        let mut w = work(1_000);
        w.saved = 300;
        let mut a = Attempt::new(0, &w, Some(100), SimTime::ZERO);
        a.enter(Phase::Work, SimTime::from_ns(1_000), 300);
        let l = loss(&a, &w, SimTime::from_ns(1_040), SimTime::from_ns(1_100));
        assert_eq!(l.rework, 40);
        assert_eq!(l.hung, SimDuration::from_ns(60));
        assert_eq!(l.partial_phase, SimDuration::ZERO);
        // During a checkpoint of 400 the work since 300 is not safe yet.
        a.enter(Phase::Checkpoint { at: 400 }, SimTime::from_ns(1_100), 400);
        let l = loss(&a, &w, SimTime::from_ns(1_105), SimTime::from_ns(1_105));
        assert_eq!((l.rework, l.partial_phase), (100, SimDuration::from_ns(5)));
    }
}
