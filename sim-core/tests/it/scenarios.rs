//! Every bundled scenario loads, runs, and keeps the simulator's invariants:
//! no GPU given to two jobs, every job in exactly one final state, times in
//! order, utilization in [0, 1], and a trace that agrees with the records.

use std::collections::HashMap;
use std::path::Path;

use sim_core::engine::{SimDuration, SimTime};
use sim_core::metrics::{JobState, StopReason, TraceEvent, TraceSink};
use sim_core::reliability::Recovery;
use sim_core::scenario::Scenario;
use sim_core::scheduler::{Backfill, SLURMD_LAUNCH};
use sim_core::simulation::{RunResult, run};

use crate::support::{load, path, scenario_files, simulate};

/// Replays the trace as it is emitted and checks it against the cluster.
struct CheckingSink {
    busy: Vec<u64>,
    holdings: HashMap<u64, Vec<(u32, u64)>>,
    last_time: SimTime,
    submitted: u64,
    ended: HashMap<u64, JobState>,
    refused: u64,
    preempted: u64,
    /// The scenario has jobs sharing a GPU (fractions, MIG slices): a GPU
    /// then has several holders, and exclusivity is not checked (the
    /// sharing invariants are `sharing.rs`'s and `kubernetes.rs`'s).
    shares: bool,
}

impl CheckingSink {
    fn release(&mut self, job: u64) {
        let parts = self
            .holdings
            .remove(&job)
            .expect("ended a job that was not running");
        for (node, mask) in parts {
            self.busy[node as usize] &= !mask;
        }
    }
}

impl CheckingSink {
    fn new(scenario: &Scenario) -> Self {
        CheckingSink {
            busy: vec![0; scenario.cluster.node_count()],
            holdings: HashMap::new(),
            last_time: SimTime::ZERO,
            submitted: 0,
            ended: HashMap::new(),
            refused: 0,
            preempted: 0,
            shares: (scenario.workload.jobs.iter()).any(|j| j.share.is_shared())
                || (scenario.workload.generators.iter())
                    .any(|g| g.sizes.iter().any(|(_, share, _)| share.is_shared())),
        }
    }
}

impl CheckingSink {
    /// `job` takes the GPUs of `alloc`, none of which anyone holds.
    fn take(&mut self, job: u64, alloc: &[sim_core::metrics::TraceAlloc]) {
        for part in alloc {
            let node = part.node as usize;
            if self.shares {
                self.busy[node] |= part.mask;
                continue;
            }
            assert_eq!(
                self.busy[node] & part.mask,
                0,
                "GPU given twice on node {node}"
            );
            self.busy[node] |= part.mask;
        }
        let parts = alloc.iter().map(|p| (p.node, p.mask)).collect();
        assert!(
            self.holdings.insert(job, parts).is_none(),
            "job {job} started twice"
        );
    }
}

impl TraceSink for CheckingSink {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let time = match *event {
            TraceEvent::Submit { time, .. }
            | TraceEvent::Refuse { time, .. }
            | TraceEvent::Start { time, .. }
            | TraceEvent::End { time, .. }
            | TraceEvent::Preempt { time, .. }
            | TraceEvent::Fail { time, .. }
            | TraceEvent::Resize { time, .. }
            | TraceEvent::NodeDown { time, .. }
            | TraceEvent::NodeDrain { time, .. }
            | TraceEvent::NodeUp { time, .. } => time,
        };
        assert!(time >= self.last_time, "trace went back in time");
        self.last_time = time;
        match *event {
            TraceEvent::Submit { .. } => self.submitted += 1,
            TraceEvent::Refuse { .. } => self.refused += 1,
            TraceEvent::Start { job, alloc, .. } => self.take(job, alloc),
            // An elastic job's allocation changes in place.
            TraceEvent::Resize { job, alloc, .. } => {
                self.release(job);
                self.take(job, alloc);
            }
            TraceEvent::End { job, state, .. } => {
                // A cancelled preemption victim released its GPUs at its
                // `preempt` event already, a NODE_FAIL job at its `fail`.
                if state != JobState::Preempted && state != JobState::NodeFail {
                    self.release(job);
                }
                assert!(
                    self.ended.insert(job, state).is_none(),
                    "job {job} ended twice"
                );
            }
            TraceEvent::Preempt { job, .. } => {
                self.release(job);
                self.preempted += 1;
            }
            // A failure takes the job's GPUs; a restart is a new `start`.
            TraceEvent::Fail { job, .. } => self.release(job),
            TraceEvent::NodeDown { .. }
            | TraceEvent::NodeDrain { .. }
            | TraceEvent::NodeUp { .. } => {}
        }
    }
}

fn check_invariants(path: &Path, scenario: &Scenario, result: &RunResult, sink: &CheckingSink) {
    let name = path.display();
    let s = &result.summary;
    let j = &s.jobs;
    assert_eq!(
        j.submitted,
        j.completed
            + j.killed
            + j.refused
            + j.preempted
            + j.node_fail
            + j.running_at_end
            + j.pending_at_end,
        "{name}: job states do not add up"
    );
    assert_eq!(j.submitted, result.jobs.len() as u64);
    assert_eq!(
        sink.submitted, j.submitted,
        "{name}: trace and records disagree"
    );
    assert_eq!(sink.refused, j.refused);
    assert_eq!(
        sink.preempted, s.scheduling.preemptions,
        "{name}: preemptions"
    );
    let requeues: u64 = result.jobs.iter().map(|j| u64::from(j.requeues)).sum();
    assert_eq!(requeues, s.scheduling.requeues, "{name}: requeues");
    assert!(
        (0.0..=1.0).contains(&s.gpu_utilization),
        "{name}: utilization {}",
        s.gpu_utilization
    );
    let kill = scenario.scheduler.kill_at_time_limit;
    // Failures or checkpoints: jobs' wall times include them.
    let tracked = !scenario.reliability.classes.is_empty()
        || (scenario.workload.policies.iter()).any(|p| p.checkpoint.is_some());
    let slurm_mode = scenario.scheduler.backfill == Backfill::Slurm;
    for job in &result.jobs {
        let submitted = job.job;
        if let Some(start) = job.start {
            assert!(
                start >= submitted.submit,
                "{name}: job {} started before submission",
                job.id
            );
        }
        match job.state {
            JobState::Completed if tracked => {
                // Under the reliability model a job's wall time since its
                // (last) start is its work, plus the work it redid, its
                // restarts and its checkpoints; exactly so when it never
                // left its start's nodes at full speed (no requeue, not
                // elastic), at most so after a requeue (its last run began
                // from a checkpoint), at least so for an elastic job (slower
                // on fewer nodes).
                let run = job.run().expect("a completed job ran").as_ns();
                let spent =
                    submitted.runtime.as_ns() + job.rework_ns + job.checkpoint_ns + job.restart_ns;
                let policy = scenario.workload.policy(submitted.policy);
                if matches!(policy.recovery, Recovery::Elastic { .. }) {
                    assert!(run >= spent - job.rework_ns, "{name}: job {}", job.id);
                } else if job.requeues > 0 {
                    assert!(run <= spent, "{name}: job {}", job.id);
                } else {
                    assert_eq!(run, spent, "{name}: job {} wall time", job.id);
                }
            }
            JobState::Completed => {
                // Requeued jobs restart from scratch: their last run is
                // whole. Under `backfill: Slurm` a batch job's work begins
                // once slurmd launched it (SLURMD_LAUNCH after its start).
                let launch = if slurm_mode && submitted.training.is_none() {
                    SLURMD_LAUNCH
                } else {
                    SimDuration::ZERO
                };
                assert_eq!(
                    job.run(),
                    Some(submitted.runtime + launch),
                    "{name}: job {} ran the wrong time",
                    job.id
                );
                assert!(!kill || submitted.runtime <= submitted.time_limit);
            }
            JobState::Timeout => {
                assert!(kill);
                assert_eq!(
                    job.run(),
                    Some(submitted.time_limit),
                    "{name}: job {} killed off its limit",
                    job.id
                );
            }
            JobState::Refused => assert!(job.start.is_none()),
            JobState::Preempted => assert!(job.end.is_some() && job.requeues == 0),
            JobState::NodeFail => assert!(job.end.is_some() && job.failures > 0),
            JobState::Running | JobState::Pending => {
                assert_ne!(s.stop_reason, StopReason::AllWorkDone)
            }
        }
        if job.state.is_finished() {
            assert_eq!(
                sink.ended.get(&job.id),
                Some(&job.state),
                "{name}: trace state of job {}",
                job.id
            );
        }
    }
    // Samples: sorted, within capacity, consistent with the final state.
    let gpus = scenario.cluster.total_gpus();
    assert!(result.timeseries.windows(2).all(|w| w[0].time < w[1].time));
    assert!(
        (result.timeseries.iter()).all(|t| t.busy_gpus + t.down_gpus + t.draining_gpus <= gpus)
    );
    // One sample per interval from t=0 up to the end of the run.
    let interval = scenario.outputs.timeseries_interval.as_ns();
    assert_eq!(
        result.timeseries.len() as u64,
        result.end.as_ns() / interval + 1,
        "{name}"
    );
    assert!(
        result
            .timeseries
            .iter()
            .all(|t| t.time.as_ns() % interval == 0)
    );
    if s.stop_reason == StopReason::AllWorkDone {
        assert!(
            sink.holdings.is_empty(),
            "{name}: jobs still hold GPUs after all work is done"
        );
    }
}

#[test]
fn every_bundled_scenario_runs_and_keeps_the_invariants() {
    let files = scenario_files();
    assert!(files.contains(&"scenarios/quickstart.ron".to_string()));
    for file in files {
        let scenario = load(&file, &[]);
        let mut sink = CheckingSink::new(&scenario);
        let result = run(&scenario, &mut sink, &mut |_| {});
        check_invariants(&path(&file), &scenario, &result, &sink);
    }
}

#[test]
fn stopping_early_leaves_jobs_running_or_pending_and_counts_them() {
    let day = "scenarios/h100-128-nodes-day.ron";
    for stop in ["stop.horizon=12h", "stop.max_events=500"] {
        let scenario = load(day, &[stop]);
        let mut sink = CheckingSink::new(&scenario);
        let result = run(&scenario, &mut sink, &mut |_| {});
        assert_ne!(
            result.summary.stop_reason,
            StopReason::AllWorkDone,
            "{stop}"
        );
        assert!(result.summary.jobs.running_at_end > 0, "{stop}");
        check_invariants(&path(day), &scenario, &result, &sink);
    }
    let result = simulate(day, &["stop.horizon=12h"]);
    assert_eq!(result.end.as_secs_f64(), 12.0 * 3600.0);
    assert_eq!(simulate(day, &["stop.max_events=500"]).summary.events, 500);
}

#[test]
fn jobs_over_their_limit_are_killed_unless_replaying_true_lengths() {
    // quickstart's `eval-sweep` asks for 1h30m and needs 2h.
    let quick = "scenarios/quickstart.ron";
    let killed = simulate(quick, &[]);
    let replay = simulate(quick, &["scheduler.kill_at_time_limit=false"]);
    let eval = |r: &RunResult| {
        *r.jobs
            .iter()
            .find(|j| j.job.runtime.as_secs_f64() == 7200.0)
            .unwrap()
    };
    assert_eq!(eval(&killed).state, JobState::Timeout);
    assert_eq!(eval(&killed).run().unwrap().as_secs_f64(), 5400.0);
    assert_eq!(eval(&replay).state, JobState::Completed);
    assert_eq!(eval(&replay).run().unwrap().as_secs_f64(), 7200.0);
    assert_eq!(replay.summary.jobs.killed, 0);
}
