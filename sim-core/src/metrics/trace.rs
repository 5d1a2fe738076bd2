//! The state-change trace: one record per submit, refusal, start and end,
//! in the order the simulation handled them. The viewer replays it; scripts
//! can grep it.
//!
//! File format (JSON lines, `trace.jsonl`): the first line is a header
//! `{"event":"header","format":"clustersim-trace","version":1,...}` that
//! describes the cluster (node names, GPU counts, groups) so a trace can be
//! shown without its scenario; then one object per state change, each with
//! `t_ns` (integer nanoseconds) and `event`:
//!
//! ```text
//! {"t_ns":0,"event":"submit","job":1,"name":"mixed","user":"alice","account":"nlp","gpus":8,"time_limit_ns":...}
//! {"t_ns":0,"event":"start","job":1,"alloc":[{"node":3,"mask":255}]}
//! {"t_ns":3600000000000,"event":"end","job":1,"state":"COMPLETED"}
//! {"t_ns":60,"event":"refuse","job":2,"reason":"..."}
//! ```
//! and a last line `{"event":"end_of_run","t_ns":...,"reason":"all_work_done"}`.
//! A job killed at its time limit is an `end` with state `TIMEOUT`. A
//! preempted job gets `{"event":"preempt","job":..,"requeued":true,"lost_gpu_s":..}`:
//! when requeued it is queued again (and later has another `start`);
//! otherwise an `end` with state `PREEMPTED` follows.
//!
//! Invariant: sinks see events in handling order, which is `(time, seq)`
//! order, so `t_ns` never decreases down the file.

use std::io::{self, Write};

use serde::Serialize;

use super::JobState;
use crate::engine::{SimDuration, SimTime};
use crate::hardware::Cluster;
use crate::scheduler::NodeGpus;

/// Bumped whenever a reader of older traces would misread newer ones.
pub const TRACE_FORMAT_VERSION: u32 = 2;

/// A state change, borrowing from the simulation (no allocation to emit).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TraceEvent<'a> {
    Submit {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        name: &'a str,
        user: &'a str,
        account: &'a str,
        gpus: u64,
        #[serde(rename = "time_limit_ns", serialize_with = "duration_ns")]
        time_limit: SimDuration,
    },
    Refuse {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        reason: &'a str,
    },
    Start {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        alloc: &'a [NodeGpus],
    },
    End {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        state: JobState,
    },
    Preempt {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        requeued: bool,
        lost_gpu_s: f64,
    },
}

fn ns<S: serde::Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(t.as_ns())
}

fn duration_ns<S: serde::Serializer>(d: &SimDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_ns())
}

/// Receives state changes as they happen.
pub trait TraceSink {
    fn record(&mut self, event: &TraceEvent<'_>);
}

/// Discards everything (benchmarks, Monte Carlo replications).
impl TraceSink for () {
    fn record(&mut self, _: &TraceEvent<'_>) {}
}

#[derive(Serialize)]
struct Header<'a> {
    event: &'static str,
    format: &'static str,
    version: u32,
    scenario: &'a str,
    seed: u64,
    groups: Vec<GroupHeader<'a>>,
    nodes: Vec<NodeHeader<'a>>,
}

#[derive(Serialize)]
struct GroupHeader<'a> {
    name: &'a str,
    node_model: &'a str,
    gpu_model: &'a str,
}

#[derive(Serialize)]
struct NodeHeader<'a> {
    name: &'a str,
    group: u32,
    gpus: u32,
}

#[derive(Serialize)]
struct Footer {
    event: &'static str,
    t_ns: u64,
    reason: &'static str,
}

/// Writes the trace as JSON lines. I/O errors are kept and reported by
/// [`JsonlTraceWriter::finish`] rather than aborting the simulation.
pub struct JsonlTraceWriter<W: Write> {
    out: W,
    error: Option<io::Error>,
}

impl<W: Write> JsonlTraceWriter<W> {
    /// Starts a trace with its header line.
    pub fn new(mut out: W, scenario: &str, seed: u64, cluster: &Cluster) -> io::Result<Self> {
        let header = Header {
            event: "header",
            format: "clustersim-trace",
            version: TRACE_FORMAT_VERSION,
            scenario,
            seed,
            groups: cluster
                .groups
                .iter()
                .map(|g| GroupHeader {
                    name: &g.name,
                    node_model: &g.node_model.name,
                    gpu_model: &g.gpu_model.name,
                })
                .collect(),
            nodes: cluster
                .nodes
                .iter()
                .map(|n| NodeHeader {
                    name: &n.name,
                    group: n.group,
                    gpus: n.gpus,
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &header)?;
        out.write_all(b"\n")?;
        Ok(JsonlTraceWriter { out, error: None })
    }

    /// Writes the closing line and flushes; reports the first I/O error.
    pub fn finish(mut self, end: SimTime, stop_reason: &'static str) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let footer = Footer {
            event: "end_of_run",
            t_ns: end.as_ns(),
            reason: stop_reason,
        };
        serde_json::to_writer(&mut self.out, &footer)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> TraceSink for JsonlTraceWriter<W> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        if self.error.is_some() {
            return;
        }
        let written = serde_json::to_writer(&mut self.out, event)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        if let Err(e) = written {
            self.error = Some(e);
        }
    }
}
