//! What happened in a run: per-job records, a sampled time series, the
//! summary, and the writers that turn them into files.
//!
//! Invariants:
//! - every submitted job has exactly one [`JobRecord`] and ends the run in
//!   exactly one state; `submitted == completed + killed + refused +
//!   preempted + running_at_end + pending_at_end`;
//! - busy GPUs never exceed the cluster's GPUs, so utilization is in [0, 1];
//! - outputs contain only simulated quantities: nothing here reads a wall
//!   clock, so the same run always writes the same bytes.

mod summary;
mod trace;
mod writers;

pub use summary::{
    AccountShare, BOUNDED_SLOWDOWN_TAU_S, FairnessSummary, JobCounts, RunTotals, SchedulingSummary,
    StepBreakdown, StopReason, Summary, TrainingJobSummary, WaitStats, bounded_slowdown, fairness,
    jain_index, percentile, summarize,
};
pub use trace::{
    JsonlTraceReader, JsonlTraceWriter, TRACE_FORMAT_VERSION, TraceAlloc, TraceEvent, TraceGroup,
    TraceHeader, TraceLeaf, TraceNode, TraceRecord, TraceSink,
};
pub use writers::{OUTPUT_FILES, write_jobs_csv, write_summary_json, write_timeseries_csv};

use serde::Serialize;

use crate::engine::{SimDuration, SimTime};
use crate::workload::SubmittedJob;

/// Where a job is in its life. Names follow Slurm's job states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Pending,
    Running,
    /// Ran to its true end within the time limit.
    Completed,
    /// Killed at its time limit.
    Timeout,
    /// Could never fit on the cluster; never queued.
    Refused,
    /// Stopped to make room for a higher-priority job and not requeued
    /// (Slurm's `PreemptMode=CANCEL`).
    Preempted,
}

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 6] = [
        JobState::Pending,
        JobState::Running,
        JobState::Completed,
        JobState::Timeout,
        JobState::Refused,
        JobState::Preempted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "PENDING",
            JobState::Running => "RUNNING",
            JobState::Completed => "COMPLETED",
            JobState::Timeout => "TIMEOUT",
            JobState::Refused => "REFUSED",
            JobState::Preempted => "PREEMPTED",
        }
    }

    /// The state named `name` (`"COMPLETED"`), as [`JobState::as_str`]
    /// spells it.
    pub fn from_name(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Ran and ended (in any way).
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Completed | JobState::Timeout)
    }
}

/// One job: what was submitted and what became of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// 1-based, in submission order.
    pub id: u64,
    pub job: SubmittedJob,
    pub start: Option<SimTime>,
    pub end: Option<SimTime>,
    /// Nodes the job ran on (0 if it never started).
    pub nodes: u32,
    /// Leaf switches its last allocation spanned (0 without a topology).
    pub leaf_switches: u32,
    /// Times it was preempted and requeued.
    pub requeues: u32,
    /// GPU-time of work thrown away by preemption, in GPU-nanoseconds.
    pub lost_gpu_ns: u128,
    /// Started by backfilling, ahead of a higher-priority job.
    pub backfilled: bool,
    pub state: JobState,
}

impl JobRecord {
    pub fn new(id: u64, job: SubmittedJob) -> Self {
        JobRecord {
            id,
            job,
            start: None,
            end: None,
            nodes: 0,
            leaf_switches: 0,
            requeues: 0,
            lost_gpu_ns: 0,
            backfilled: false,
            state: JobState::Pending,
        }
    }

    pub fn wait(&self) -> Option<SimDuration> {
        self.start.map(|s| s - self.job.submit)
    }

    pub fn run(&self) -> Option<SimDuration> {
        Some(self.end? - self.start?)
    }
}

/// The cluster's state at one sampling instant (after all events at that
/// instant have been handled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSample {
    pub time: SimTime,
    pub busy_gpus: u64,
    pub queue_length: u64,
    pub running_jobs: u64,
}

/// Integrates busy GPU time and samples the time series as the clock moves.
#[derive(Clone, Debug)]
pub struct Recorder {
    interval: SimDuration,
    next_sample: SimTime,
    last_change: SimTime,
    busy_gpu_ns: u128,
    pub busy_gpus: u64,
    pub queue_length: u64,
    pub running_jobs: u64,
    pub samples: Vec<TimeSample>,
}

impl Recorder {
    pub fn new(interval: SimDuration) -> Self {
        Recorder {
            interval: interval.max(SimDuration::from_ns(1)),
            next_sample: SimTime::ZERO,
            last_change: SimTime::ZERO,
            busy_gpu_ns: 0,
            busy_gpus: 0,
            queue_length: 0,
            running_jobs: 0,
            samples: Vec::new(),
        }
    }

    /// Call before changing any counter at `now`: accounts the time since
    /// the last change and emits samples for instants strictly before `now`
    /// (the state at those instants is the current, unchanged one).
    pub fn advance(&mut self, now: SimTime) {
        while self.next_sample < now {
            self.push_sample(self.next_sample);
        }
        let elapsed = now.saturating_since(self.last_change).as_ns();
        self.busy_gpu_ns += u128::from(self.busy_gpus) * u128::from(elapsed);
        self.last_change = now;
    }

    /// Emits the samples up to and including `end`, at the end of a run.
    pub fn finish(&mut self, end: SimTime) {
        self.advance(end);
        while self.next_sample <= end {
            self.push_sample(self.next_sample);
        }
    }

    fn push_sample(&mut self, time: SimTime) {
        self.samples.push(TimeSample {
            time,
            busy_gpus: self.busy_gpus,
            queue_length: self.queue_length,
            running_jobs: self.running_jobs,
        });
        self.next_sample = time + self.interval;
        if self.next_sample == time {
            // Saturated at the end of time: nothing later can be sampled.
            self.next_sample = SimTime::MAX;
        }
    }

    /// GPU-nanoseconds of busy time accumulated so far.
    pub fn busy_gpu_ns(&self) -> u128 {
        self.busy_gpu_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn samples_show_the_state_after_all_events_at_that_instant() {
        let mut r = Recorder::new(SimDuration::from_secs(10));
        // At t=0: a job starts on 4 GPUs.
        r.advance(t(0));
        r.busy_gpus = 4;
        r.running_jobs = 1;
        // At t=10 exactly: it ends.
        r.advance(t(10));
        r.busy_gpus = 0;
        r.running_jobs = 0;
        // At t=25: the run ends.
        r.finish(t(25));
        let busy: Vec<(u64, u64)> = r
            .samples
            .iter()
            .map(|s| (s.time.as_ns() / 1_000_000_000, s.busy_gpus))
            .collect();
        assert_eq!(busy, [(0, 4), (10, 0), (20, 0)]);
        assert_eq!(r.busy_gpu_ns(), 4 * 10 * 1_000_000_000);
    }

    #[test]
    fn job_states_read_back_by_the_name_they_are_written_with() {
        for state in JobState::ALL {
            let written = serde_json::to_string(&state).unwrap();
            assert_eq!(written, format!("\"{}\"", state.as_str()));
            assert_eq!(JobState::from_name(state.as_str()), Some(state));
        }
        assert_eq!(JobState::from_name("completed"), None);
    }
}
