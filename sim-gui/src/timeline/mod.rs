//! What happened in one run, arranged for drawing and scrubbing.
//!
//! A [`Timeline`] is fed [`TraceRecord`]s in file order, either live from
//! a simulation on a background thread or from a `trace.jsonl`, and keeps:
//! the jobs and their runs (a requeued job runs more than once; a run ends
//! on its own, by preemption or by a failure, whose cause is kept), a
//! compact list of state changes, the busy, down and draining GPUs and the
//! queue after each change, Gantt lanes, periodic snapshots of which job
//! holds each GPU, and each node's state over time ([`nodes`]).
//!
//! Invariants:
//! - `changes` are in non-decreasing time (the trace's own order);
//! - `snapshots[k]` is the GPU ownership after the first
//!   `k * SNAPSHOT_EVERY` changes, so the state at any time is one copy plus
//!   at most `SNAPSHOT_EVERY` replayed changes ([`Timeline::gpu_owners_at`]);
//! - runs are stored in start order; runs sharing a Gantt lane never
//!   overlap, so each lane is sorted by start and by end alike;
//! - a GPU is held by at most one run at a time: a start on a busy GPU is
//!   refused as an inconsistent trace, and so is a start on a node that is
//!   DOWN or DRAINING, a failure of a job that is not running, and any
//!   record naming a node the header does not list.
//!
//! Nothing here knows about egui: the viewer's panels read this.

mod layout;
mod nodes;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

use sim_core::metrics::{JobState, TraceAlloc, TraceHeader, TraceRecord};

pub use layout::{Layout, Rack};
pub use nodes::{NodeEvent, NodeState, NodeTracker};

/// Changes between two GPU-ownership snapshots.
pub const SNAPSHOT_EVERY: usize = 4096;

/// No job holds this GPU.
pub const IDLE: u32 = u32::MAX;

/// A job as submitted, and what became of it.
#[derive(Clone, Debug)]
pub struct Job {
    /// The simulation's job id (1-based, in submission order).
    pub id: u64,
    pub name: String,
    pub user: String,
    pub account: String,
    pub gpus: u64,
    pub time_limit_ns: u64,
    pub submit_ns: u64,
    /// Its state at the end of what has been read so far.
    pub state: JobState,
    /// Indices into [`Timeline::runs`], in time order.
    pub runs: Vec<u32>,
    /// Why it was refused, if it was.
    pub refusal: Option<String>,
}

impl Job {
    /// Time from submission to its first start.
    pub fn wait_ns(&self, timeline: &Timeline) -> Option<u64> {
        let first = *self.runs.first()?;
        Some(timeline.runs[first as usize].start_ns - self.submit_ns)
    }

    /// Time on GPUs over all its runs; a run still open counts to
    /// `timeline`'s end.
    pub fn ran_ns(&self, timeline: &Timeline) -> u64 {
        let end = timeline.end_ns();
        self.runs
            .iter()
            .map(|&r| {
                let r = &timeline.runs[r as usize];
                r.end_or(end) - r.start_ns
            })
            .sum()
    }

    /// The failures that interrupted it, in time order.
    pub fn failures<'a>(&'a self, timeline: &'a Timeline) -> impl Iterator<Item = &'a Failure> {
        self.runs
            .iter()
            .filter_map(|&r| timeline.runs[r as usize].failure)
            .map(|f| &timeline.failures[f as usize])
    }
}

/// One stretch of a job on its GPUs, from a start to an end, a preemption
/// or a failure.
#[derive(Clone, Debug)]
pub struct Run {
    /// Index into [`Timeline::jobs`].
    pub job: u32,
    pub start_ns: u64,
    /// `None` while it is still running (or ran past the end of the trace).
    pub end_ns: Option<u64>,
    /// Range in [`Timeline::allocs`].
    pub alloc: Range<u32>,
    pub lane: u32,
    /// It was preempted rather than ending on its own.
    pub preempted: bool,
    /// The failure that ended it: index into [`Timeline::failures`].
    pub failure: Option<u32>,
}

/// A job interrupted by a failure (a trace's `fail` line).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub t_ns: u64,
    /// The run it ended: index into [`Timeline::runs`].
    pub run: u32,
    /// The failure class.
    pub cause: String,
    /// Queued again (or restarted at once) rather than ended NODE_FAIL.
    pub requeued: bool,
    /// GPU-seconds of work lost (since the last checkpoint).
    pub lost_gpu_s: f64,
}

impl Run {
    /// Its end, or `open_end_ns` when it has not ended.
    pub fn end_or(&self, open_end_ns: u64) -> u64 {
        self.end_ns.unwrap_or(open_end_ns.max(self.start_ns))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChangeKind {
    Submit,
    Start,
    Stop,
    Requeue,
    Refuse,
    End,
    /// A node's state changed; `run` is the index of its [`NodeEvent`].
    Node,
}

/// A state change, small enough that a million of them stay in cache-sized
/// chunks: what replay and the plots walk.
#[derive(Clone, Copy, Debug)]
struct Change {
    t_ns: u64,
    kind: ChangeKind,
    /// The run started or stopped, for `Start` and `Stop`.
    run: u32,
}

/// Counts over time, one sample per change, for the plots.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub busy_gpus: u32,
    pub queued_jobs: u32,
    pub running_jobs: u32,
    /// GPUs of DOWN nodes.
    pub down_gpus: u32,
    /// Idle GPUs of DRAINING or DRAINED nodes.
    pub draining_gpus: u32,
}

/// Everything read so far of one run.
pub struct Timeline {
    pub layout: Layout,
    pub jobs: Vec<Job>,
    pub runs: Vec<Run>,
    pub allocs: Vec<TraceAlloc>,
    /// Every failure that interrupted a job, in time order.
    pub failures: Vec<Failure>,
    /// Node states over time.
    pub nodes: NodeTracker,
    /// When and why the run stopped, once the trace says.
    pub end_of_run: Option<(u64, String)>,
    changes: Vec<Change>,
    counts: Vec<Counts>,
    snapshots: Vec<Vec<u32>>,
    job_index: HashMap<u64, u32>,
    owners: Vec<u32>,
    now_counts: Counts,
    open_run: Vec<u32>,
    free_lanes: BinaryHeap<Reverse<u32>>,
    /// Run indices per Gantt lane, in start order.
    pub lanes: Vec<Vec<u32>>,
    /// Bumped by every `ingest`, so caches know to refresh.
    pub version: u64,
}

const NO_RUN: u32 = u32::MAX;

impl Timeline {
    pub fn new(header: TraceHeader) -> Self {
        let layout = Layout::new(header);
        let owners = vec![IDLE; layout.total_gpus as usize];
        let nodes = NodeTracker::new(layout.header.nodes.iter().map(|n| n.gpus).collect());
        Timeline {
            failures: Vec::new(),
            nodes,
            snapshots: vec![owners.clone()],
            owners,
            layout,
            jobs: Vec::new(),
            runs: Vec::new(),
            allocs: Vec::new(),
            end_of_run: None,
            changes: Vec::new(),
            counts: Vec::new(),
            job_index: HashMap::new(),
            now_counts: Counts::default(),
            open_run: Vec::new(),
            free_lanes: BinaryHeap::new(),
            lanes: Vec::new(),
            version: 0,
        }
    }

    /// Adds one record; an error says how the trace contradicts itself.
    pub fn ingest(&mut self, record: TraceRecord) -> Result<(), String> {
        self.version += 1;
        match record {
            TraceRecord::Submit {
                t_ns,
                job,
                name,
                user,
                account,
                gpus,
                time_limit_ns,
            } => {
                let index = self.jobs.len() as u32;
                if self.job_index.insert(job, index).is_some() {
                    return Err(format!("job {job} is submitted twice"));
                }
                self.jobs.push(Job {
                    id: job,
                    name,
                    user,
                    account,
                    gpus,
                    time_limit_ns,
                    submit_ns: t_ns,
                    state: JobState::Pending,
                    runs: Vec::new(),
                    refusal: None,
                });
                self.open_run.push(NO_RUN);
                self.now_counts.queued_jobs += 1;
                self.push(t_ns, ChangeKind::Submit, NO_RUN);
            }
            TraceRecord::Refuse { t_ns, job, reason } => {
                let index = self.job(job)?;
                let j = &mut self.jobs[index as usize];
                if j.state == JobState::Pending {
                    self.now_counts.queued_jobs -= 1;
                }
                j.state = JobState::Refused;
                j.refusal = Some(reason);
                self.push(t_ns, ChangeKind::Refuse, NO_RUN);
            }
            TraceRecord::Start { t_ns, job, alloc } => {
                let index = self.job(job)?;
                if self.open_run[index as usize] != NO_RUN {
                    return Err(format!("job {job} starts while it is running"));
                }
                let run = self.runs.len() as u32;
                for &a in &alloc {
                    let node = self.node(a.node, &format!("job {job} starts on"))?;
                    let state = self.nodes.state(a.node);
                    if state != NodeState::InService {
                        return Err(format!(
                            "job {job} starts on node {}, which is {}",
                            a.node,
                            state.slurm_name(1, 1)
                        ));
                    }
                    if node.gpus < 64 && a.mask >> node.gpus != 0 {
                        return Err(format!(
                            "job {job} starts on GPU mask {:#x} of node {}, which has {} GPUs",
                            a.mask, a.node, node.gpus
                        ));
                    }
                    for gpu in self.layout.gpus_of(a) {
                        let owner = &mut self.owners[gpu as usize];
                        if *owner != IDLE {
                            let other = self.jobs[*owner as usize].id;
                            return Err(format!(
                                "job {job} starts on a GPU of node {} that job {other} holds",
                                a.node
                            ));
                        }
                        *owner = index;
                        self.now_counts.busy_gpus += 1;
                    }
                    self.nodes.add_busy(a.node, a.mask.count_ones() as i32);
                }
                let lane = match self.free_lanes.pop() {
                    Some(Reverse(lane)) => lane,
                    None => {
                        self.lanes.push(Vec::new());
                        self.lanes.len() as u32 - 1
                    }
                };
                self.lanes[lane as usize].push(run);
                let first = self.allocs.len() as u32;
                self.allocs.extend_from_slice(&alloc);
                self.runs.push(Run {
                    job: index,
                    start_ns: t_ns,
                    end_ns: None,
                    alloc: first..self.allocs.len() as u32,
                    lane,
                    preempted: false,
                    failure: None,
                });
                let j = &mut self.jobs[index as usize];
                j.runs.push(run);
                j.state = JobState::Running;
                self.open_run[index as usize] = run;
                self.now_counts.queued_jobs = self.now_counts.queued_jobs.saturating_sub(1);
                self.now_counts.running_jobs += 1;
                self.push(t_ns, ChangeKind::Start, run);
            }
            TraceRecord::Preempt {
                t_ns,
                job,
                requeued,
                ..
            } => {
                let index = self.job(job)?;
                let run = self.stop_run(index, t_ns, true)?;
                self.push(t_ns, ChangeKind::Stop, run);
                if requeued {
                    self.jobs[index as usize].state = JobState::Pending;
                    self.now_counts.queued_jobs += 1;
                    self.push(t_ns, ChangeKind::Requeue, NO_RUN);
                }
            }
            TraceRecord::End { t_ns, job, state } => {
                let index = self.job(job)?;
                if self.open_run[index as usize] != NO_RUN {
                    let run = self.stop_run(index, t_ns, false)?;
                    self.push(t_ns, ChangeKind::Stop, run);
                } else if self.jobs[index as usize].state == JobState::Pending {
                    // Ended without running again (say, cancelled while queued).
                    self.now_counts.queued_jobs = self.now_counts.queued_jobs.saturating_sub(1);
                }
                self.jobs[index as usize].state = state;
                self.push(t_ns, ChangeKind::End, NO_RUN);
            }
            TraceRecord::Fail {
                t_ns,
                job,
                cause,
                requeued,
                lost_gpu_s,
            } => {
                let index = self.job(job)?;
                if self.open_run[index as usize] == NO_RUN {
                    return Err(format!("job {job} fails, but it is not running"));
                }
                let run = self.stop_run(index, t_ns, false)?;
                self.runs[run as usize].failure = Some(self.failures.len() as u32);
                self.failures.push(Failure {
                    t_ns,
                    run,
                    cause,
                    requeued,
                    lost_gpu_s,
                });
                self.push(t_ns, ChangeKind::Stop, run);
                if requeued {
                    self.jobs[index as usize].state = JobState::Pending;
                    self.now_counts.queued_jobs += 1;
                    self.push(t_ns, ChangeKind::Requeue, NO_RUN);
                }
            }
            TraceRecord::Resize { t_ns, job, alloc } => {
                // An elastic job's new allocation: its run ends (not by a
                // failure) and a new one starts on the nodes it now holds.
                let index = self.job(job)?;
                if self.open_run[index as usize] == NO_RUN {
                    return Err(format!("job {job} is resized, but it is not running"));
                }
                let run = self.stop_run(index, t_ns, false)?;
                self.push(t_ns, ChangeKind::Stop, run);
                // The start below counts it out of the queue again.
                self.now_counts.queued_jobs += 1;
                return self.ingest(TraceRecord::Start { t_ns, job, alloc });
            }
            TraceRecord::NodeDown { t_ns, node, cause } => {
                self.set_node(t_ns, node, NodeState::Down, Some(cause), "node_down of")?;
            }
            TraceRecord::NodeDrain { t_ns, node, cause } => {
                self.set_node(
                    t_ns,
                    node,
                    NodeState::Draining,
                    Some(cause),
                    "node_drain of",
                )?;
            }
            TraceRecord::NodeUp { t_ns, node } => {
                self.set_node(t_ns, node, NodeState::InService, None, "node_up of")?;
            }
            TraceRecord::EndOfRun { t_ns, reason } => self.finish(t_ns, &reason),
        }
        Ok(())
    }

    /// Marks the run as over at `t_ns` (what a trace's `end_of_run` line
    /// says; a live simulation calls this when it returns).
    pub fn finish(&mut self, t_ns: u64, reason: &str) {
        self.version += 1;
        self.end_of_run = Some((t_ns, reason.to_string()));
    }

    fn job(&self, id: u64) -> Result<u32, String> {
        self.job_index
            .get(&id)
            .copied()
            .ok_or_else(|| format!("job {id} appears before its submit line"))
    }

    /// The header's node `node`, or why a record (`what`: "job 3 starts
    /// on") cannot name it.
    fn node(&self, node: u32, what: &str) -> Result<&sim_core::metrics::TraceNode, String> {
        self.layout.header.nodes.get(node as usize).ok_or_else(|| {
            format!(
                "{what} node {node}, but the header lists {} nodes",
                self.layout.header.nodes.len()
            )
        })
    }

    fn set_node(
        &mut self,
        t_ns: u64,
        node: u32,
        state: NodeState,
        cause: Option<String>,
        what: &str,
    ) -> Result<(), String> {
        self.node(node, what)?;
        let event = self.nodes.set(NodeEvent {
            t_ns,
            node,
            state,
            cause,
        });
        self.push(t_ns, ChangeKind::Node, event);
        Ok(())
    }

    fn stop_run(&mut self, index: u32, t_ns: u64, preempted: bool) -> Result<u32, String> {
        let run = self.open_run[index as usize];
        if run == NO_RUN {
            let id = self.jobs[index as usize].id;
            return Err(format!("job {id} stops, but it is not running"));
        }
        self.open_run[index as usize] = NO_RUN;
        let r = &mut self.runs[run as usize];
        r.end_ns = Some(t_ns);
        r.preempted = preempted;
        let (alloc, lane) = (r.alloc.clone(), r.lane);
        for a in alloc {
            let a = self.allocs[a as usize];
            for gpu in self.layout.gpus_of(a) {
                self.owners[gpu as usize] = IDLE;
                self.now_counts.busy_gpus -= 1;
            }
            self.nodes.add_busy(a.node, -(a.mask.count_ones() as i32));
        }
        self.free_lanes.push(Reverse(lane));
        self.now_counts.running_jobs -= 1;
        Ok(run)
    }

    fn push(&mut self, t_ns: u64, kind: ChangeKind, run: u32) {
        self.now_counts.down_gpus = self.nodes.down_gpus;
        self.now_counts.draining_gpus = self.nodes.draining_gpus;
        self.changes.push(Change { t_ns, kind, run });
        self.counts.push(self.now_counts);
        if self.changes.len().is_multiple_of(SNAPSHOT_EVERY) {
            self.snapshots.push(self.owners.clone());
        }
    }

    /// The number of state changes read so far.
    pub fn change_count(&self) -> usize {
        self.changes.len()
    }

    /// The last instant the timeline knows of: the end of the run, or the
    /// latest change while it is still being read.
    pub fn end_ns(&self) -> u64 {
        let last = self.changes.last().map_or(0, |c| c.t_ns);
        self.end_of_run.as_ref().map_or(last, |&(t, _)| t.max(last))
    }

    /// Which job (index into `jobs`, or [`IDLE`]) holds each GPU just
    /// after every change at or before `t_ns`, written into `owners`.
    pub fn gpu_owners_at(&self, t_ns: u64, owners: &mut Vec<u32>) {
        let applied = self.changes.partition_point(|c| c.t_ns <= t_ns);
        let snapshot = (applied / SNAPSHOT_EVERY).min(self.snapshots.len() - 1);
        owners.clear();
        owners.extend_from_slice(&self.snapshots[snapshot]);
        for change in &self.changes[snapshot * SNAPSHOT_EVERY..applied] {
            let (owner, run) = match change.kind {
                ChangeKind::Start => {
                    let run = &self.runs[change.run as usize];
                    (run.job, run)
                }
                ChangeKind::Stop => (IDLE, &self.runs[change.run as usize]),
                _ => continue,
            };
            for a in run.alloc.clone() {
                for gpu in self.layout.gpus_of(self.allocs[a as usize]) {
                    owners[gpu as usize] = owner;
                }
            }
        }
    }

    /// Busy, down and draining GPUs, queued and running jobs just after
    /// every change at or before `t_ns`.
    pub fn counts_at(&self, t_ns: u64) -> Counts {
        let applied = self.changes.partition_point(|c| c.t_ns <= t_ns);
        applied
            .checked_sub(1)
            .map_or_else(Counts::default, |i| self.counts[i])
    }

    /// The first change strictly after `t_ns`, if any.
    pub fn next_change_after(&self, t_ns: u64) -> Option<u64> {
        let i = self.changes.partition_point(|c| c.t_ns <= t_ns);
        self.changes.get(i).map(|c| c.t_ns)
    }

    /// The last change strictly before `t_ns`, if any.
    pub fn previous_change_before(&self, t_ns: u64) -> Option<u64> {
        let i = self.changes.partition_point(|c| c.t_ns < t_ns);
        i.checked_sub(1).map(|i| self.changes[i].t_ns)
    }

    /// The counts as step functions sampled into at most `buckets` points
    /// per series, each bucket holding the time-weighted mean, so the area
    /// under the curve (GPU-seconds) is kept: `(t_s, busy GPUs, queued,
    /// down GPUs, draining GPUs)`.
    pub fn sampled_counts(&self, buckets: usize) -> Vec<[f64; 5]> {
        let end = self.end_ns();
        if self.changes.is_empty() || end == 0 || buckets == 0 {
            return Vec::new();
        }
        let width_ns = (end as f64 / buckets as f64).max(1.0);
        let buckets = ((end as f64 / width_ns).ceil() as usize).max(1);
        let mut area = vec![[0.0f64; 4]; buckets];
        let mut from_ns = 0.0;
        let mut value = [0.0f64; 4];
        for (change, counts) in self.changes.iter().zip(&self.counts) {
            spread(&mut area, width_ns, from_ns, change.t_ns as f64, value);
            from_ns = change.t_ns as f64;
            value = [
                counts.busy_gpus,
                counts.queued_jobs,
                counts.down_gpus,
                counts.draining_gpus,
            ]
            .map(f64::from);
        }
        spread(&mut area, width_ns, from_ns, end as f64, value);
        area.iter()
            .enumerate()
            .map(|(b, a)| {
                [
                    (b as f64 + 0.5) * width_ns * 1e-9,
                    a[0] / width_ns,
                    a[1] / width_ns,
                    a[2] / width_ns,
                    a[3] / width_ns,
                ]
            })
            .collect()
    }

    /// The runs in `lane` that overlap `[t0_ns, t1_ns]`; a run still open
    /// counts as lasting to `open_end_ns`.
    pub fn runs_in_lane(&self, lane: usize, t0_ns: u64, t1_ns: u64, open_end_ns: u64) -> &[u32] {
        let runs = &self.lanes[lane];
        // Runs in a lane never overlap, so their ends are sorted too.
        let first = runs.partition_point(|&r| self.runs[r as usize].end_or(open_end_ns) < t0_ns);
        let last = runs.partition_point(|&r| self.runs[r as usize].start_ns <= t1_ns);
        &runs[first..last.max(first)]
    }

    /// The run of job `job` (index into `jobs`) holding GPUs at `t_ns`.
    pub fn run_at(&self, job: u32, t_ns: u64) -> Option<&Run> {
        self.jobs[job as usize]
            .runs
            .iter()
            .map(|&r| &self.runs[r as usize])
            .find(|r| r.start_ns <= t_ns && r.end_ns.is_none_or(|end| end > t_ns))
    }

    /// Index into `jobs` of the job with simulation id `id`.
    pub fn job_by_id(&self, id: u64) -> Option<u32> {
        self.job_index.get(&id).copied()
    }

    /// Every job's wait (submit to first start) in seconds, for jobs that
    /// started.
    pub fn waits_s(&self) -> Vec<f64> {
        self.jobs
            .iter()
            .filter_map(|j| j.wait_ns(self))
            .map(|w| w as f64 * 1e-9)
            .collect()
    }

    /// Headline numbers that a trace alone can give, for the compare view.
    pub fn stats(&self) -> Stats {
        let mut waits = self.waits_s();
        waits.sort_by(f64::total_cmp);
        // As sim-core's summary: from the first submission to the end.
        let first_submit_ns = self.jobs.iter().map(|j| j.submit_ns).min().unwrap_or(0);
        let end_s = self.end_ns().saturating_sub(first_submit_ns) as f64 * 1e-9;
        let busy_gpu_s: f64 = self
            .runs
            .iter()
            .map(|r| {
                let gpus: u32 = r
                    .alloc
                    .clone()
                    .map(|a| self.allocs[a as usize].mask.count_ones())
                    .sum();
                f64::from(gpus) * (r.end_or(self.end_ns()) - r.start_ns) as f64 * 1e-9
            })
            .sum();
        let count = |state: JobState| self.jobs.iter().filter(|j| j.state == state).count();
        Stats {
            jobs: self.jobs.len(),
            completed: count(JobState::Completed),
            timed_out: count(JobState::Timeout),
            refused: count(JobState::Refused),
            node_fail: count(JobState::NodeFail),
            preempted_runs: self.runs.iter().filter(|r| r.preempted).count(),
            failed_runs: self.failures.len(),
            mean_wait_s: (!waits.is_empty())
                .then(|| waits.iter().sum::<f64>() / waits.len() as f64),
            median_wait_s: sim_core::metrics::percentile(&waits, 0.5),
            p95_wait_s: sim_core::metrics::percentile(&waits, 0.95),
            makespan_s: end_s,
            utilization: if end_s > 0.0 && self.layout.total_gpus > 0 {
                busy_gpu_s / (end_s * f64::from(self.layout.total_gpus))
            } else {
                0.0
            },
        }
    }
}

/// What the compare view puts side by side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub jobs: usize,
    pub completed: usize,
    pub timed_out: usize,
    pub refused: usize,
    /// Ended NODE_FAIL.
    pub node_fail: usize,
    pub preempted_runs: usize,
    /// Runs a failure interrupted.
    pub failed_runs: usize,
    pub mean_wait_s: Option<f64>,
    pub median_wait_s: Option<f64>,
    pub p95_wait_s: Option<f64>,
    /// First submission to the end of the run.
    pub makespan_s: f64,
    /// Busy GPU-seconds over GPU-seconds, first submission to the end (as
    /// in `clustersim run`'s summary).
    pub utilization: f64,
}

/// Adds `value` held over `[from_ns, to_ns)` to the buckets it covers.
fn spread<const N: usize>(
    area: &mut [[f64; N]],
    width_ns: f64,
    from_ns: f64,
    to_ns: f64,
    value: [f64; N],
) {
    let mut t = from_ns;
    while t < to_ns {
        let bucket = ((t / width_ns) as usize).min(area.len() - 1);
        let bucket_end = ((bucket + 1) as f64 * width_ns).max(t + 1.0);
        let step_end = to_ns.min(bucket_end);
        for (sum, v) in area[bucket].iter_mut().zip(value) {
            *sum += v * (step_end - t);
        }
        t = step_end;
    }
}
