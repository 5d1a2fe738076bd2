//! What happened in a run: per-job records, a sampled time series, the
//! summary, and the writers that turn them into files; on request, the
//! monitoring outputs: OpenMetrics samples as dcgm-exporter and a queue
//! exporter would give them (`monitor.rs` samples, `openmetrics.rs`
//! writes) and a Perfetto trace (`perfetto.rs`).
//!
//! Invariants:
//! - every submitted job has exactly one [`JobRecord`] and ends the run in
//!   exactly one state; `submitted == completed + killed + refused +
//!   preempted + running_at_end + pending_at_end`;
//! - busy GPUs never exceed the cluster's GPUs, so utilization is in [0, 1];
//! - the time series never holds more than [`MAX_TIMESERIES_SAMPLES`]
//!   samples (`recorder.rs`: a run too long for its interval gets a coarser
//!   series);
//! - outputs contain only simulated quantities: nothing here reads a wall
//!   clock, so the same run always writes the same bytes.

mod money;
mod monitor;
mod openmetrics;
mod perfetto;
mod recorder;
mod reliability;
mod summary;
mod trace;
mod writers;

pub use money::{AccountCost, CostGroup, CostSummary, PowerSummary};
pub use monitor::{
    GpuPower, HOLDER_DOWN, HOLDER_IDLE, MAX_MONITOR_SERIES_SAMPLES, Monitor, MonitorGroup,
    MonitorJob, MonitorLayout, MonitorNode, PLAIN_JOB_FB_SHARE, QueueSample, SeriesDetail,
    series_detail,
};
pub use openmetrics::{QUEUE_GAUGES, QUOTA_GAUGES, QueueGauge, write_openmetrics};
pub use perfetto::PerfettoWriter;
pub use recorder::{GpuTime, MAX_TIMESERIES_SAMPLES, Recorder, TimeSample, timeseries_samples};
pub use reliability::{ClassFailures, JobReliability, LostGpuHours, ReliabilitySummary};
pub use summary::{
    AccountShare, BOUNDED_SLOWDOWN_TAU_S, ComputeBreakdown, FairnessSummary, JobCounts, RunTotals,
    SchedulingSummary, SharingSummary, StepBreakdown, StopReason, Summary, TrainingJobSummary,
    WaitStats, bounded_slowdown, fairness, jain_index, percentile, summarize,
};
pub use trace::{
    JobDetail, JsonlTraceReader, JsonlTraceWriter, TRACE_FORMAT_VERSION, TraceAlloc, TraceEvent,
    TraceGroup, TraceHeader, TraceLeaf, TraceNode, TraceRecord, TraceSink,
};
pub use writers::{
    MoneyColumns, OPENMETRICS_FILE, OUTPUT_FILES, PERFETTO_FILE, write_jobs_csv,
    write_summary_json, write_timeseries_csv,
};

use serde::Serialize;

use crate::engine::{SimDuration, SimTime};
use crate::scheduler::PendingReason;
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
    /// A node it ran on failed and it was not requeued (Slurm's
    /// `NODE_FAIL`: requeue off, or `MaxBatchRequeue` reached).
    NodeFail,
}

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 7] = [
        JobState::Pending,
        JobState::Running,
        JobState::Completed,
        JobState::Timeout,
        JobState::Refused,
        JobState::Preempted,
        JobState::NodeFail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "PENDING",
            JobState::Running => "RUNNING",
            JobState::Completed => "COMPLETED",
            JobState::Timeout => "TIMEOUT",
            JobState::Refused => "REFUSED",
            JobState::Preempted => "PREEMPTED",
            JobState::NodeFail => "NODE_FAIL",
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
#[derive(Clone, Copy, Debug, PartialEq)]
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
    /// Times a failure interrupted it (of its nodes or of the job itself).
    pub failures: u32,
    /// Work redone after failures: run time since its last checkpoint
    /// that was lost, in nanoseconds of wall time.
    pub rework_ns: u64,
    /// Time it spent stopped writing checkpoints.
    pub checkpoint_ns: u64,
    /// Time it spent restarting after failures (initialisation and
    /// checkpoint load).
    pub restart_ns: u64,
    pub state: JobState,
    /// Why a PENDING job can never start (a partition limit under
    /// `EnforcePartLimits=NO`); `None` otherwise.
    pub reason: Option<PendingReason>,
    /// Energy its GPUs drew (their share of idle power included), in
    /// milliwatt-nanoseconds; 0 unless the scenario models power.
    pub energy_mw_ns: u128,
    /// What its GPUs' time and energy cost; 0 unless the scenario
    /// reports cost.
    pub cost_usd: f64,
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
            failures: 0,
            rework_ns: 0,
            checkpoint_ns: 0,
            restart_ns: 0,
            state: JobState::Pending,
            reason: None,
            energy_mw_ns: 0,
            cost_usd: 0.0,
        }
    }

    pub fn wait(&self) -> Option<SimDuration> {
        self.start.map(|s| s - self.job.submit)
    }

    pub fn run(&self) -> Option<SimDuration> {
        Some(self.end? - self.start?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
