//! One run of a scenario: the engine model that ties the workload, the
//! scheduler and the metrics together.
//!
//! Event handling (all at the event's instant):
//! - `Arrival`: the next job of the [`JobSource`] is submitted: refused if it
//!   can never fit, queued otherwise; the following arrival is scheduled.
//! - `JobEnd`: the job's GPUs are freed; it ends COMPLETED, or TIMEOUT when
//!   it was killed at its limit.
//! - `SchedulePass`: the scheduler starts what it can. Arrivals and ends
//!   request a pass instead of scheduling inline, and a pass is scheduled
//!   at most once per instant; because it is queued behind everything
//!   already due at that instant, all completions and arrivals of an instant
//!   are seen before one scheduling decision is made (as Slurm's scheduler
//!   and the trace-replay literature do).
//!
//! Invariants:
//! - at most one `Arrival` is pending, so memory does not grow with the
//!   number of future jobs;
//! - every job reaches exactly one final state, or is reported as running
//!   or pending when a stop condition ends the run;
//! - running jobs hold a slot whose allocation vector is reused, so the
//!   steady state allocates nothing per event.

use crate::engine::{Engine, Model, Progress, RngStreams, SimTime, StopReason};
use crate::metrics::{
    JobRecord, JobState, Recorder, RunTotals, Summary, TimeSample, TraceEvent, TraceSink, summarize,
};
use crate::scenario::Scenario;
use crate::scheduler::{JobIndex, NodeGpus, Scheduler};
use crate::workload::{Directory, JobSource, SubmittedJob};

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub summary: Summary,
    pub jobs: Vec<JobRecord>,
    pub timeseries: Vec<TimeSample>,
    pub stop_reason: StopReason,
    /// The instant the run ended.
    pub end: SimTime,
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
    JobEnd { slot: u32 },
    SchedulePass,
}

struct RunningSlot {
    job: JobIndex,
    allocation: Vec<NodeGpus>,
}

struct ClusterSim<'a> {
    source: JobSource,
    next_arrival: Option<SubmittedJob>,
    jobs: Vec<JobRecord>,
    scheduler: Scheduler,
    slots: Vec<RunningSlot>,
    free_slots: Vec<u32>,
    recorder: Recorder,
    directory: &'a Directory,
    trace: &'a mut dyn TraceSink,
    on_progress: &'a mut dyn FnMut(&RunProgress),
    pass_pending: bool,
    jobs_finished: u64,
    jobs_expected: u64,
    horizon: Option<SimTime>,
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
    // Pending events: one per running job (at most one per GPU), one
    // arrival and one scheduling pass.
    let mut engine = Engine::with_capacity(total_gpus.min(1 << 20) as usize + 2);
    let next_arrival = source.next_job();
    if let Some(job) = next_arrival {
        engine.schedule_at(job.submit, Event::Arrival);
    }
    let jobs_expected = scenario.workload.expected_job_count();
    let mut sim = ClusterSim {
        source,
        next_arrival,
        jobs: Vec::with_capacity(jobs_expected.min(1 << 24) as usize),
        scheduler: Scheduler::new(scenario.scheduler, &scenario.cluster),
        slots: Vec::new(),
        free_slots: Vec::new(),
        recorder: Recorder::new(scenario.outputs.timeseries_interval),
        directory: &scenario.workload.directory,
        trace,
        on_progress,
        pass_pending: false,
        jobs_finished: 0,
        jobs_expected,
        horizon: scenario.stop.horizon,
    };
    let stop_reason = engine.run(&mut sim, scenario.stop);
    let end = engine.now();
    sim.recorder.finish(end);
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
        },
    );
    RunResult {
        summary,
        jobs: sim.jobs,
        timeseries: sim.recorder.samples,
        stop_reason,
        end,
    }
}

impl Model<Event> for ClusterSim<'_> {
    fn handle(&mut self, event: Event, engine: &mut Engine<Event>) {
        let now = engine.now();
        self.recorder.advance(now);
        match event {
            Event::Arrival => self.arrive(engine),
            Event::JobEnd { slot } => self.end_job(slot, now),
            Event::SchedulePass => {
                self.pass_pending = false;
                self.schedule(engine);
                return;
            }
        }
        if !self.pass_pending && self.scheduler.queue_len() > 0 {
            self.pass_pending = true;
            engine.schedule_at(now, Event::SchedulePass);
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
    fn arrive(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
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
            user: &dir.users[job.user as usize],
            account: &dir.accounts[job.account as usize],
            gpus: job.request.total_gpus(),
            time_limit: job.time_limit,
        });
        match self.scheduler.check_fits_when_idle(job.request) {
            Ok(()) => {
                self.scheduler.enqueue(index);
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

    fn schedule(&mut self, engine: &mut Engine<Event>) {
        let now = engine.now();
        loop {
            let slot = match self.free_slots.pop() {
                Some(slot) => slot,
                None => {
                    self.slots.push(RunningSlot {
                        job: 0,
                        allocation: Vec::new(),
                    });
                    (self.slots.len() - 1) as u32
                }
            };
            let jobs = &self.jobs;
            let running = &mut self.slots[slot as usize];
            let Some(index) = self
                .scheduler
                .next_start(|j| jobs[j as usize].job.request, &mut running.allocation)
            else {
                self.free_slots.push(slot);
                return;
            };
            running.job = index;
            let record = &mut self.jobs[index as usize];
            record.start = Some(now);
            record.nodes = running.allocation.len() as u32;
            record.state = JobState::Running;
            let job = record.job;
            let (duration, _) = job.occupancy(self.scheduler.config().kill_at_time_limit);
            engine.schedule_at(now + duration, Event::JobEnd { slot });
            self.recorder.queue_length -= 1;
            self.recorder.running_jobs += 1;
            self.recorder.busy_gpus += job.request.total_gpus();
            self.trace.record(&TraceEvent::Start {
                time: now,
                job: record.id,
                alloc: &running.allocation,
            });
        }
    }

    fn end_job(&mut self, slot: u32, now: SimTime) {
        let running = &self.slots[slot as usize];
        self.scheduler.release(&running.allocation);
        let record = &mut self.jobs[running.job as usize];
        let job = record.job;
        let (_, killed) = job.occupancy(self.scheduler.config().kill_at_time_limit);
        record.end = Some(now);
        record.state = if killed {
            JobState::Timeout
        } else {
            JobState::Completed
        };
        self.recorder.running_jobs -= 1;
        self.recorder.busy_gpus -= job.request.total_gpus();
        self.jobs_finished += 1;
        self.trace.record(&TraceEvent::End {
            time: now,
            job: record.id,
            state: record.state,
        });
        self.free_slots.push(slot);
    }
}
