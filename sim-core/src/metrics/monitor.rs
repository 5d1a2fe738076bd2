//! What a monitoring stack would have scraped from the cluster during a
//! run: each GPU's holder (or each node's busy GPUs and power) and each
//! queue's pending and running jobs, sampled at the time series' instants.
//! [`Monitor`] is a [`TraceSink`]: it follows the run's state changes (and
//! the [`JobDetail`]s the trace leaves out) and keeps compact per-sample
//! state, from which `openmetrics.rs` writes `metrics.om` after the run.
//!
//! Samples are taken at every multiple of the interval from time zero, each
//! showing the state after all events at its instant, as the
//! [`super::Recorder`]'s are.
//!
//! Invariants:
//! - memory does not grow with the run beyond [`MAX_MONITOR_SERIES_SAMPLES`]
//!   unit samples (a unit is a GPU, or a node with [`SeriesDetail::PerNode`])
//!   plus the queues' samples and one small record per job (as the run's
//!   job records): when one more sample would exceed the budget, every other
//!   sample is dropped and the interval doubles, the recorder's rule, so a
//!   run longer than its horizon estimate gets a coarser series, never an
//!   unbounded one;
//! - the budget is smaller than the time series' ([`super::MAX_TIMESERIES_SAMPLES`]),
//!   so the monitor coarsens no later than the recorder and every monitor
//!   instant is also a time-series instant;
//! - a GPU of a DOWN node has no sample (its exporter is not scraped);
//! - the samples depend only on the events, so the output is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use super::{JobDetail, TraceAlloc, TraceEvent, TraceSink};
use crate::engine::{SimDuration, SimTime};

/// The most unit samples (GPUs × samples, or nodes × samples) the monitor
/// keeps: about 8 MB in memory, and some 190 MB of `metrics.om` per
/// million GPU samples over four families. A scenario whose horizon asks
/// for more per GPU gets per-node series; one that asks for more per node
/// is refused when it is loaded ([`series_detail`]).
pub const MAX_MONITOR_SERIES_SAMPLES: u64 = 250_000;

/// How fine the per-device series of `metrics.om` are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesDetail {
    /// DCGM-exporter's families, one series per GPU (and per pod on it).
    PerGpu,
    /// Busy GPUs and power per node, when per-GPU series would exceed
    /// [`MAX_MONITOR_SERIES_SAMPLES`].
    PerNode,
}

/// The finest detail whose series over `samples` instants fit the budget:
/// per GPU, else per node, else `None` (the scenario must sample less
/// often).
pub fn series_detail(gpus: u64, nodes: u64, samples: u64) -> Option<SeriesDetail> {
    if gpus.saturating_mul(samples) <= MAX_MONITOR_SERIES_SAMPLES {
        Some(SeriesDetail::PerGpu)
    } else if nodes.saturating_mul(samples) <= MAX_MONITOR_SERIES_SAMPLES {
        Some(SeriesDetail::PerNode)
    } else {
        None
    }
}

/// One node as the exporter labels it.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorNode {
    pub hostname: String,
    /// Index into [`MonitorLayout::groups`].
    pub group: u32,
    pub gpus: u32,
}

/// What a node group's GPUs are and draw.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorGroup {
    /// The GPU model's catalog name (DCGM's `modelName`).
    pub gpu_model: String,
    pub gpu_memory_mib: u64,
    /// Power per GPU when the scenario models power: its share of the
    /// node's idle power, and what it adds busy at activity 1, in
    /// milliwatts (`power::GroupPower`).
    pub power: Option<GpuPower>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GpuPower {
    pub idle_share_mw: f64,
    pub busy_span_mw: u64,
}

impl GpuPower {
    /// A GPU's power at `activity` (0 when idle), in whole milliwatts.
    pub fn at_mw(&self, activity: Option<f64>) -> u64 {
        let busy = activity.map_or(0.0, |a| self.busy_span_mw as f64 * a.clamp(0.0, 1.0));
        (self.idle_share_mw + busy).round() as u64
    }
}

/// The cluster, queues and jobs' figures the monitor needs, from the
/// scenario (`simulation::outputs` builds it).
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorLayout {
    pub nodes: Vec<MonitorNode>,
    pub groups: Vec<MonitorGroup>,
    /// Queue names by index: Kueue's ClusterQueues, Volcano's queues, or
    /// Slurm's partitions.
    pub queues: Vec<String>,
    /// Whether the queues have quotas (Kueue, Volcano): the quota gauges
    /// are written.
    pub quotas: bool,
    /// Per training spec, the framebuffer its busiest pipeline rank uses
    /// (the step report's memory), in MiB.
    pub training_fb_mib: Vec<u64>,
    /// GPU activity of plain jobs (`power.job_activity`).
    pub job_activity: f64,
    pub interval: SimDuration,
    pub detail: SeriesDetail,
}

/// Framebuffer a plain job uses, as a share of the GPU's memory: an
/// assumption (clustersim does not model a plain job's memory), JAX's
/// default preallocation of 75% of GPU memory
/// (`XLA_PYTHON_CLIENT_MEM_FRACTION`, JAX's "GPU memory allocation" page).
pub const PLAIN_JOB_FB_SHARE: f64 = 0.75;

/// A job as the monitor knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonitorJob {
    /// Index into [`Monitor::names`].
    pub name: u32,
    /// Index into [`Monitor::names`] (the account: the pod's namespace).
    pub account: u32,
    pub submit_ns: u64,
    pub partition: u16,
    pub training: Option<u32>,
    /// A training job's step activity (NaN until it starts).
    pub activity: f32,
    /// The share of each GPU it holds, thousandths (1000: whole).
    pub milli: u16,
}

/// One queue at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueSample {
    pub pending: u32,
    pub running: u32,
    /// Submission time of the oldest pending job (`None`: none pending).
    pub oldest_submit_ns: Option<u64>,
    /// Quota in use, the quota (Kueue's nominal, Volcano's deserved) and
    /// the quota borrowed from the cohort, in thousandths of a GPU.
    pub used_milli: u64,
    pub quota_milli: u64,
    pub borrowed_milli: u64,
}

/// A GPU's holder in a per-GPU sample: idle, down, or a job index + 1.
pub const HOLDER_IDLE: u32 = 0;
pub const HOLDER_DOWN: u32 = u32::MAX;

/// Follows a run's events and samples what an exporter would report.
#[derive(Clone, Debug)]
pub struct Monitor {
    pub layout: MonitorLayout,
    interval: SimDuration,
    next_sample: Option<SimTime>,
    /// Each node's first GPU in the flat GPU order.
    first_gpu: Vec<u32>,
    holders: Vec<u32>,
    /// Each GPU's tenants (job ids) in arrival order: its holder is the
    /// first; more than one only on a shared GPU.
    tenants: Vec<Vec<u32>>,
    /// Each GPU's tenants' shares summed, thousandths.
    gpu_milli: Vec<u32>,
    node_down: Vec<bool>,
    /// Job names and accounts, interned.
    pub names: Vec<String>,
    name_ids: BTreeMap<String, u32>,
    /// Index `id - 1`.
    pub jobs: Vec<MonitorJob>,
    running: BTreeMap<u64, Vec<TraceAlloc>>,
    pending: Vec<BTreeSet<(u64, u64)>>,
    running_per_queue: Vec<u32>,
    /// Each queue's latest quota (used, quota, borrowed), thousandths.
    quota_per_queue: Vec<(u64, u64, u64)>,
    /// Sample instants, in nanoseconds.
    pub times: Vec<u64>,
    /// Per sample, per unit: a GPU's holder ([`HOLDER_IDLE`],
    /// [`HOLDER_DOWN`], job index + 1), or a node's busy GPUs
    /// ([`HOLDER_DOWN`] when down) and busy power (mW over idle) in pairs.
    pub units: Vec<u32>,
    /// Per sample, per GPU (per-GPU series only): the share of the GPU
    /// its tenants hold, thousandths, at most 1000.
    pub shares: Vec<u16>,
    /// Per sample, per queue.
    pub queues: Vec<QueueSample>,
}

impl Monitor {
    pub fn new(layout: MonitorLayout) -> Self {
        let mut first_gpu = Vec::with_capacity(layout.nodes.len());
        let mut gpus = 0u32;
        for node in &layout.nodes {
            first_gpu.push(gpus);
            gpus += node.gpus;
        }
        let queues = layout.queues.len().max(1);
        Monitor {
            interval: layout.interval.max(SimDuration::from_ns(1)),
            next_sample: Some(SimTime::ZERO),
            holders: vec![HOLDER_IDLE; gpus as usize],
            tenants: vec![Vec::new(); gpus as usize],
            gpu_milli: vec![0; gpus as usize],
            shares: Vec::new(),
            node_down: vec![false; layout.nodes.len()],
            first_gpu,
            names: Vec::new(),
            name_ids: BTreeMap::new(),
            jobs: Vec::new(),
            running: BTreeMap::new(),
            pending: vec![BTreeSet::new(); queues],
            running_per_queue: vec![0; queues],
            quota_per_queue: vec![(0, 0, 0); queues],
            times: Vec::new(),
            units: Vec::new(),
            queues: Vec::new(),
            layout,
        }
    }

    /// The interval between samples: the time series' or a power-of-two
    /// multiple of it once coarsened.
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Values stored per sample for the units.
    pub fn unit_width(&self) -> usize {
        match self.layout.detail {
            SeriesDetail::PerGpu => self.holders.len(),
            SeriesDetail::PerNode => 2 * self.layout.nodes.len(),
        }
    }

    /// The flat index of `node`'s first GPU.
    pub fn first_gpu(&self, node: usize) -> usize {
        self.first_gpu[node] as usize
    }

    /// A job's GPU activity for power: a training job's step share (1
    /// before it is known, as the energy ledger), or plain jobs'.
    pub fn activity(&self, job: &MonitorJob) -> f64 {
        match job.training {
            Some(_) if !job.activity.is_nan() => f64::from(job.activity),
            Some(_) => 1.0,
            None => self.layout.job_activity,
        }
    }

    /// The framebuffer `job` uses on each GPU it holds, in MiB, on a GPU
    /// of `memory_mib`.
    pub fn fb_used_mib(&self, job: &MonitorJob, memory_mib: u64) -> u64 {
        let used = match job.training {
            Some(t) => self.layout.training_fb_mib[t as usize],
            None => (memory_mib as f64 * PLAIN_JOB_FB_SHARE).round() as u64,
        };
        used.min(memory_mib)
    }

    /// Emits the samples up to and including `end`, at the end of a run.
    pub fn finish(&mut self, end: SimTime) {
        self.advance(end);
        while let Some(at) = self.next_sample.filter(|&at| at <= end) {
            self.push_sample(at);
        }
    }

    fn advance(&mut self, now: SimTime) {
        while let Some(at) = self.next_sample.filter(|&at| at < now) {
            self.push_sample(at);
        }
    }

    fn push_sample(&mut self, time: SimTime) {
        self.times.push(time.as_ns());
        match self.layout.detail {
            SeriesDetail::PerGpu => {
                for (node, &down) in self.node_down.iter().enumerate() {
                    let first = self.first_gpu[node] as usize;
                    let gpus = self.layout.nodes[node].gpus as usize;
                    if down {
                        (self.units).extend(std::iter::repeat_n(HOLDER_DOWN, gpus));
                        (self.shares).extend(std::iter::repeat_n(0, gpus));
                    } else {
                        (self.units).extend_from_slice(&self.holders[first..first + gpus]);
                        (self.shares).extend(
                            (self.gpu_milli[first..first + gpus].iter())
                                .map(|&m| m.min(1000) as u16),
                        );
                    }
                }
            }
            SeriesDetail::PerNode => {
                for node in 0..self.layout.nodes.len() {
                    let (busy, power) = self.node_busy(node);
                    self.units.push(busy);
                    self.units.push(power);
                }
            }
        }
        for (q, pending) in self.pending.iter().enumerate() {
            let (used_milli, quota_milli, borrowed_milli) = self.quota_per_queue[q];
            self.queues.push(QueueSample {
                pending: pending.len() as u32,
                running: self.running_per_queue[q],
                oldest_submit_ns: pending.first().map(|&(submit, _)| submit),
                used_milli,
                quota_milli,
                borrowed_milli,
            });
        }
        let per_sample = self.unit_width().max(1) as u64;
        if self.times.len() as u64 * per_sample >= MAX_MONITOR_SERIES_SAMPLES {
            self.coarsen();
        }
        self.next_sample = (time.as_ns() / self.interval.as_ns() + 1)
            .checked_mul(self.interval.as_ns())
            .map(SimTime::from_ns);
    }

    /// A node's busy GPUs ([`HOLDER_DOWN`] when down) and what they add
    /// over idle, in milliwatts.
    fn node_busy(&self, node: usize) -> (u32, u32) {
        if self.node_down[node] {
            return (HOLDER_DOWN, 0);
        }
        let first = self.first_gpu[node] as usize;
        let spec = &self.layout.nodes[node];
        let power = self.layout.groups[spec.group as usize].power;
        let mut busy = 0u32;
        let mut busy_mw = 0u64;
        for &holder in &self.holders[first..first + spec.gpus as usize] {
            if holder == HOLDER_IDLE {
                continue;
            }
            busy += 1;
            if let Some(p) = power {
                let activity = self.activity(&self.jobs[holder as usize - 1]);
                busy_mw += p.at_mw(Some(activity)) - p.at_mw(None);
            }
        }
        (busy, busy_mw.min(u64::from(u32::MAX)) as u32)
    }

    /// Keeps the samples at multiples of twice the interval, which becomes
    /// the interval: half the samples go, none moves.
    fn coarsen(&mut self) {
        let doubled = self.interval.as_ns().saturating_mul(2);
        let keep: Vec<bool> = self.times.iter().map(|t| t % doubled == 0).collect();
        let width = self.unit_width();
        keep_rows(&mut self.times, 1, &keep);
        keep_rows(&mut self.units, width, &keep);
        if self.layout.detail == SeriesDetail::PerGpu {
            keep_rows(&mut self.shares, width, &keep);
        }
        keep_rows(&mut self.queues, self.pending.len(), &keep);
        self.interval = SimDuration::from_ns(doubled);
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.name_ids.insert(name.to_string(), id);
        id
    }

    fn job(&self, id: u64) -> Option<&MonitorJob> {
        self.jobs.get((id as usize).wrapping_sub(1))
    }

    fn queue_of(&self, id: u64) -> usize {
        self.job(id)
            .map_or(0, |j| usize::from(j.partition).min(self.pending.len() - 1))
    }

    fn enqueue(&mut self, id: u64) {
        if let Some(job) = self.job(id) {
            let submit = job.submit_ns;
            let q = self.queue_of(id);
            self.pending[q].insert((submit, id));
        }
    }

    fn dequeue(&mut self, id: u64) {
        if let Some(job) = self.job(id) {
            let submit = job.submit_ns;
            let q = self.queue_of(id);
            self.pending[q].remove(&(submit, id));
        }
    }

    fn hold(&mut self, id: u64, alloc: &[TraceAlloc]) {
        let milli = self.job(id).map_or(1000, |j| u32::from(j.milli));
        for part in alloc {
            let Some(&first) = self.first_gpu.get(part.node as usize) else {
                continue;
            };
            for gpu in 0..64 {
                let flat = first as usize + gpu;
                if part.mask & (1 << gpu) != 0 && flat < self.holders.len() {
                    self.tenants[flat].push(id as u32);
                    self.gpu_milli[flat] += milli;
                    self.holders[flat] = self.tenants[flat][0];
                }
            }
        }
        self.running.insert(id, alloc.to_vec());
    }

    /// Frees the GPUs `id` holds; whether it held any.
    fn release(&mut self, id: u64) -> bool {
        let Some(alloc) = self.running.remove(&id) else {
            return false;
        };
        let milli = self.job(id).map_or(1000, |j| u32::from(j.milli));
        for part in &alloc {
            let first = self.first_gpu[part.node as usize] as usize;
            for gpu in 0..64 {
                let flat = first + gpu;
                if part.mask & (1 << gpu) != 0 && flat < self.holders.len() {
                    let tenants = &mut self.tenants[flat];
                    if let Some(at) = tenants.iter().position(|&t| t == id as u32) {
                        tenants.remove(at);
                        self.gpu_milli[flat] -= milli;
                    }
                    self.holders[flat] = tenants.first().copied().unwrap_or(HOLDER_IDLE);
                }
            }
        }
        true
    }

    /// The job left its GPUs (ended, preempted or failed).
    fn leave(&mut self, id: u64) {
        if self.release(id) {
            let q = self.queue_of(id);
            self.running_per_queue[q] -= 1;
        }
    }
}

impl TraceSink for Monitor {
    fn record(&mut self, event: &TraceEvent<'_>) {
        match *event {
            TraceEvent::Submit {
                time,
                name,
                account,
                ..
            } => {
                self.advance(time);
                let (name, account) = (self.intern(name), self.intern(account));
                self.jobs.push(MonitorJob {
                    name,
                    account,
                    submit_ns: time.as_ns(),
                    partition: 0,
                    training: None,
                    activity: f32::NAN,
                    milli: 1000,
                });
            }
            TraceEvent::Refuse { time, job, .. } => {
                self.advance(time);
                self.dequeue(job);
            }
            TraceEvent::Start { time, job, alloc } => {
                self.advance(time);
                self.dequeue(job);
                self.hold(job, alloc);
                let q = self.queue_of(job);
                self.running_per_queue[q] += 1;
            }
            TraceEvent::Resize { time, job, alloc } => {
                self.advance(time);
                self.release(job);
                self.hold(job, alloc);
            }
            TraceEvent::End { time, job, .. } => {
                self.advance(time);
                self.leave(job);
                self.dequeue(job);
            }
            TraceEvent::Preempt {
                time,
                job,
                requeued,
                ..
            }
            | TraceEvent::Fail {
                time,
                job,
                requeued,
                ..
            } => {
                self.advance(time);
                self.leave(job);
                if requeued {
                    self.enqueue(job);
                }
            }
            TraceEvent::NodeDown { time, node, .. } => {
                self.advance(time);
                if let Some(down) = self.node_down.get_mut(node as usize) {
                    *down = true;
                }
            }
            TraceEvent::NodeUp { time, node } => {
                self.advance(time);
                if let Some(down) = self.node_down.get_mut(node as usize) {
                    *down = false;
                }
            }
            TraceEvent::NodeDrain { time, .. } => self.advance(time),
        }
    }

    fn detail(&mut self, detail: &JobDetail) {
        match *detail {
            JobDetail::Submitted {
                job,
                partition,
                training,
                milli,
            } => {
                if let Some(j) = self.jobs.get_mut((job as usize).wrapping_sub(1)) {
                    j.partition = partition;
                    j.training = training;
                    j.milli = milli;
                }
                self.enqueue(job);
            }
            JobDetail::Activity { job, activity } => {
                if let Some(j) = self.jobs.get_mut((job as usize).wrapping_sub(1)) {
                    j.activity = activity as f32;
                }
            }
            JobDetail::Quota {
                time,
                queue,
                used_milli,
                quota_milli,
                borrowed_milli,
            } => {
                // Samples before `time` show the quota before it changed.
                self.advance(time);
                if let Some(q) = self.quota_per_queue.get_mut(usize::from(queue)) {
                    *q = (used_milli, quota_milli, borrowed_milli);
                }
            }
        }
    }
}

/// Keeps the rows of `width` values whose `keep` is true, in order.
fn keep_rows<T: Copy>(values: &mut Vec<T>, width: usize, keep: &[bool]) {
    let mut out = 0;
    for (row, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        values.copy_within(row * width..(row + 1) * width, out * width);
        out += 1;
    }
    values.truncate(out * width);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_finest_detail_that_fits_the_budget() {
        assert_eq!(series_detail(1024, 128, 145), Some(SeriesDetail::PerGpu));
        assert_eq!(series_detail(1024, 128, 1_000), Some(SeriesDetail::PerNode));
        assert_eq!(series_detail(1024, 128, 10_000), None);
    }
}
