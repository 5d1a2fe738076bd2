//! `trace.perfetto.json`: a run as a Chrome/Perfetto trace (the Trace
//! Event Format's JSON object form, which ui.perfetto.dev and Perfetto's
//! trace processor open), streamed as the run goes.
//!
//! Layout: one process per node (`pid` = node index + 1, named after the
//! node by a `process_name` metadata event, `"ph":"M"`), one thread per
//! GPU (named `GPU <i>` by `thread_name`; its `tid` is the nodes + 2 plus
//! the GPU's index over the whole cluster, unique and apart from every
//! pid, since process-level events use `tid` = `pid`), and a last process
//! `cluster` (pid = nodes + 1) holding the counters. A job is a complete event (`"ph":"X"`, `ts` and `dur` in
//! microseconds of simulated time) on every GPU track it held, one per
//! stretch of holding (a resize or a requeue starts another); a shared
//! GPU's second (third, ...) tenant gets a track of its own under the
//! node, `GPU <i> (shared, tenant <k>)`, so slices never overlap on a
//! track, and the busy GPUs count a shared GPU once; preemptions
//! and failures are process-scoped instants (`"ph":"i"`, `"s":"p"`) on each
//! node the job held, node down, drain and up the same on the node;
//! counters (`"ph":"C"`) give the jobs pending and the busy GPUs after
//! every instant that changed them.
//!
//! Invariants: memory is the running jobs' allocations and one name per
//! job, never the events written; every slice is written once, when its
//! holding ends (or at the end of the run, for jobs still running);
//! timestamps are the simulated nanoseconds in microseconds (exact when
//! whole); the bytes depend only on the run.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::json;

use super::{TraceAlloc, TraceEvent, TraceHeader, TraceSink};
use crate::engine::SimTime;

/// A job holding GPUs since `since_ns`, on lane `lanes[i]` of the i-th GPU
/// of its allocation (0: the GPU's own track).
struct Holding {
    since_ns: u64,
    alloc: Vec<TraceAlloc>,
    lanes: Vec<u32>,
}

/// Writes the trace-event JSON as the run goes. I/O errors are kept and
/// reported by [`PerfettoWriter::finish`].
pub struct PerfettoWriter<W: Write> {
    out: W,
    error: Option<io::Error>,
    /// Each node's first GPU in the flat order.
    first_gpu: Vec<u32>,
    cluster_pid: u64,
    /// Job names by job index (id - 1).
    names: Vec<String>,
    running: BTreeMap<u64, Holding>,
    /// Per GPU (flat order), which lanes its tenants use: a shared GPU's
    /// second tenant gets a track of its own, so slices never overlap on
    /// one track.
    lanes_in_use: Vec<Vec<bool>>,
    /// Lanes past the first that already have a `thread_name`.
    named_lanes: std::collections::BTreeSet<(u32, u32)>,
    total_gpus: u32,
    pending: u64,
    busy_gpus: u64,
    /// The instant of the last change, and whether counters changed then.
    last_ns: u64,
    counters_dirty: bool,
}

impl<W: Write> PerfettoWriter<W> {
    /// Starts the trace with the metadata naming `header`'s nodes and GPUs.
    pub fn new(out: W, header: &TraceHeader) -> io::Result<Self> {
        let mut first_gpu = Vec::with_capacity(header.nodes.len());
        let mut gpus = 0u32;
        for node in &header.nodes {
            first_gpu.push(gpus);
            gpus += node.gpus;
        }
        let mut writer = PerfettoWriter {
            out,
            error: None,
            first_gpu,
            cluster_pid: header.nodes.len() as u64 + 1,
            names: Vec::new(),
            running: BTreeMap::new(),
            lanes_in_use: vec![Vec::new(); gpus as usize],
            named_lanes: std::collections::BTreeSet::new(),
            total_gpus: gpus,
            pending: 0,
            busy_gpus: 0,
            last_ns: 0,
            counters_dirty: false,
        };
        writer.out.write_all(b"{\"traceEvents\":[\n")?;
        let meta = |name: &str, pid: u64, tid: u64, args: serde_json::Value| json!({"ph": "M", "name": name, "pid": pid, "tid": tid, "args": args});
        let mut events = Vec::new();
        for (n, node) in header.nodes.iter().enumerate() {
            let pid = n as u64 + 1;
            let group = &header.groups[node.group as usize];
            events.push(meta(
                "process_name",
                pid,
                pid,
                json!({"name": format!("{} ({})", node.name, group.gpu_model)}),
            ));
            events.push(meta(
                "process_sort_index",
                pid,
                pid,
                json!({"sort_index": pid}),
            ));
            for gpu in 0..node.gpus {
                let tid = writer.gpu_tid(writer.first_gpu[n], u64::from(gpu));
                events.push(meta(
                    "thread_name",
                    pid,
                    tid,
                    json!({"name": format!("GPU {gpu}")}),
                ));
                events.push(meta(
                    "thread_sort_index",
                    pid,
                    tid,
                    json!({"sort_index": gpu}),
                ));
            }
        }
        let pid = writer.cluster_pid;
        events.push(meta("process_name", pid, pid, json!({"name": "cluster"})));
        events.push(meta(
            "process_sort_index",
            pid,
            pid,
            json!({"sort_index": 0}),
        ));
        for (i, event) in events.iter().enumerate() {
            if i > 0 {
                writer.out.write_all(b",\n")?;
            }
            serde_json::to_writer(&mut writer.out, event)?;
        }
        Ok(writer)
    }

    /// The track of GPU `gpu` of the node whose first GPU is `first`: past
    /// every pid, so that no GPU's thread shares its id with a process's
    /// main thread (`tid` = `pid`, which process-level events use).
    fn gpu_tid(&self, first: u32, gpu: u64) -> u64 {
        self.cluster_pid + 1 + u64::from(first) + gpu
    }

    /// Closes the slices of jobs still running at `end`, writes the last
    /// counters and the end of the JSON; returns the writer.
    pub fn finish(mut self, end: SimTime) -> io::Result<W> {
        let end_ns = end.as_ns();
        self.advance(end_ns);
        let ids: Vec<u64> = self.running.keys().copied().collect();
        for id in ids {
            self.close(id, end_ns, "RUNNING");
        }
        self.flush_counters();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.write_all(b"\n],\"displayTimeUnit\":\"ms\"}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn emit(&mut self, event: serde_json::Value) {
        if self.error.is_some() {
            return;
        }
        let written = self
            .out
            .write_all(b",\n")
            .and_then(|()| serde_json::to_writer(&mut self.out, &event).map_err(io::Error::from));
        if let Err(e) = written {
            self.error = Some(e);
        }
    }

    /// Before anything changes at `now_ns`: the counters of the last
    /// instant are final.
    fn advance(&mut self, now_ns: u64) {
        if now_ns != self.last_ns {
            self.flush_counters();
            self.last_ns = now_ns;
        }
    }

    fn flush_counters(&mut self) {
        if !self.counters_dirty {
            return;
        }
        self.counters_dirty = false;
        let (pid, ts) = (self.cluster_pid, micros(self.last_ns));
        self.emit(json!({"ph": "C", "name": "jobs pending", "pid": pid, "tid": pid, "ts": ts, "args": {"jobs": self.pending}}));
        self.emit(json!({"ph": "C", "name": "busy GPUs", "pid": pid, "tid": pid, "ts": ts, "args": {"gpus": self.busy_gpus}}));
    }

    fn name(&self, id: u64) -> &str {
        self.names
            .get((id as usize).wrapping_sub(1))
            .map_or("", String::as_str)
    }

    /// The track of lane `lane` of GPU `flat`: the GPU's own for lane 0,
    /// else one past every GPU track per lane.
    fn lane_tid(&self, flat: u32, lane: u32) -> u64 {
        self.cluster_pid + 1 + u64::from(lane) * u64::from(self.total_gpus) + u64::from(flat)
    }

    /// Every GPU of `alloc` as (node, GPU index in the node, flat index).
    fn gpus_of(&self, alloc: &[TraceAlloc]) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for part in alloc {
            let Some(&first) = self.first_gpu.get(part.node as usize) else {
                continue;
            };
            for gpu in (0..64).filter(|g| part.mask & (1 << g) != 0) {
                out.push((part.node, gpu, first + gpu));
            }
        }
        out
    }

    fn open(&mut self, id: u64, now_ns: u64, alloc: &[TraceAlloc]) {
        let mut lanes = Vec::new();
        for (node, gpu, flat) in self.gpus_of(alloc) {
            let in_use = &mut self.lanes_in_use[flat as usize];
            if !in_use.contains(&true) {
                self.busy_gpus += 1;
            }
            let lane = match in_use.iter().position(|&u| !u) {
                Some(free) => free,
                None => {
                    in_use.push(false);
                    in_use.len() - 1
                }
            };
            in_use[lane] = true;
            let lane = lane as u32;
            if lane > 0 && self.named_lanes.insert((flat, lane)) {
                let tid = self.lane_tid(flat, lane);
                self.emit(
                    json!({"ph": "M", "name": "thread_name", "pid": node + 1, "tid": tid,
                    "args": {"name": format!("GPU {gpu} (shared, tenant {})", lane + 1)}}),
                );
                self.emit(
                    json!({"ph": "M", "name": "thread_sort_index", "pid": node + 1, "tid": tid,
                    "args": {"sort_index": gpu}}),
                );
            }
            lanes.push(lane);
        }
        self.counters_dirty = true;
        self.running.insert(
            id,
            Holding {
                since_ns: now_ns,
                alloc: alloc.to_vec(),
                lanes,
            },
        );
    }

    /// Writes the job's slices up to `now_ns` on every GPU it held.
    fn close(&mut self, id: u64, now_ns: u64, state: &str) -> Option<Vec<TraceAlloc>> {
        let holding = self.running.remove(&id)?;
        let name = format!("job {id} {}", self.name(id));
        let (ts, dur) = (micros(holding.since_ns), micros(now_ns - holding.since_ns));
        let gpus = self.gpus_of(&holding.alloc);
        for ((node, _, flat), &lane) in gpus.into_iter().zip(&holding.lanes) {
            let tid = self.lane_tid(flat, lane);
            self.emit(json!({
                "ph": "X", "cat": "job", "name": name, "pid": node + 1, "tid": tid,
                "ts": ts, "dur": dur, "args": {"job": id, "state": state}
            }));
            let in_use = &mut self.lanes_in_use[flat as usize];
            in_use[lane as usize] = false;
            if !in_use.contains(&true) {
                self.busy_gpus -= 1;
            }
        }
        self.counters_dirty = true;
        Some(holding.alloc)
    }

    /// An instant on each node in `nodes`.
    fn instant(&mut self, nodes: &[u32], now_ns: u64, name: &str, args: serde_json::Value) {
        for &node in nodes {
            self.emit(json!({
                "ph": "i", "s": "p", "cat": "event", "name": name, "pid": node + 1, "tid": node + 1,
                "ts": micros(now_ns), "args": args
            }));
        }
    }
}

impl<W: Write> TraceSink for PerfettoWriter<W> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        let now = match *event {
            TraceEvent::Submit { time, .. }
            | TraceEvent::Refuse { time, .. }
            | TraceEvent::Start { time, .. }
            | TraceEvent::End { time, .. }
            | TraceEvent::Preempt { time, .. }
            | TraceEvent::Fail { time, .. }
            | TraceEvent::Resize { time, .. }
            | TraceEvent::NodeDown { time, .. }
            | TraceEvent::NodeDrain { time, .. }
            | TraceEvent::NodeUp { time, .. } => time.as_ns(),
        };
        self.advance(now);
        match *event {
            TraceEvent::Submit { name, .. } => {
                self.names.push(name.to_string());
                self.pending += 1;
                self.counters_dirty = true;
            }
            TraceEvent::Refuse { .. } => {
                self.pending -= 1;
                self.counters_dirty = true;
            }
            TraceEvent::Start { job, alloc, .. } => {
                self.pending = self.pending.saturating_sub(1);
                self.open(job, now, alloc);
            }
            TraceEvent::Resize { job, alloc, .. } => {
                self.close(job, now, "RESIZED");
                self.open(job, now, alloc);
            }
            TraceEvent::End { job, state, .. } => {
                self.close(job, now, state.as_str());
            }
            TraceEvent::Preempt { job, requeued, .. } => {
                let held = self.close(job, now, "PREEMPTED").unwrap_or_default();
                let nodes: Vec<u32> = held.iter().map(|a| a.node).collect();
                self.instant(
                    &nodes,
                    now,
                    &format!("preempt job {job}"),
                    json!({"job": job, "requeued": requeued}),
                );
                if requeued {
                    self.pending += 1;
                }
            }
            TraceEvent::Fail {
                job,
                cause,
                requeued,
                ..
            } => {
                let held = self.close(job, now, "FAILED").unwrap_or_default();
                let nodes: Vec<u32> = held.iter().map(|a| a.node).collect();
                self.instant(
                    &nodes,
                    now,
                    &format!("fail job {job}"),
                    json!({"job": job, "cause": cause, "requeued": requeued}),
                );
                if requeued {
                    self.pending += 1;
                }
            }
            TraceEvent::NodeDown { node, cause, .. } => {
                self.instant(&[node], now, "node down", json!({"cause": cause}));
            }
            TraceEvent::NodeDrain { node, cause, .. } => {
                self.instant(&[node], now, "node drain", json!({"cause": cause}));
            }
            TraceEvent::NodeUp { node, .. } => {
                self.instant(&[node], now, "node up", json!({}));
            }
        }
    }
}

/// Nanoseconds as microseconds, a JSON number: an integer when whole
/// (`1500`), else the nearest double (`0.25`).
fn micros(ns: u64) -> serde_json::Value {
    if ns.is_multiple_of(1_000) {
        json!(ns / 1_000)
    } else {
        json!(ns as f64 / 1e3)
    }
}
