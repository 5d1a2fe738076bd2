//! The state-change trace: one record per submit, refusal, start, end,
//! preemption, failure and node state change, in the order the simulation handled them. The viewer replays it; scripts
//! can grep it. [`TraceEvent`] is what a run emits (borrowed, allocation
//! free); [`TraceRecord`] is the owned form a reader gets back from
//! [`JsonlTraceReader`].
//!
//! File format (JSON lines, `trace.jsonl`): the first line is a header
//! `{"event":"header","format":"clustersim-trace","version":4,...}` that
//! describes the cluster (node names, GPU counts, groups, leaf switches) so
//! a trace can be shown without its scenario; then one object per state
//! change, each with `t_ns` (integer nanoseconds) and `event`:
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
//! Failures (version 4):
//!
//! ```text
//! {"t_ns":..,"event":"fail","job":1,"cause":"gpu","requeued":true,"lost_gpu_s":..}
//! {"t_ns":..,"event":"resize","job":1,"alloc":[{"node":0,"mask":255},..]}
//! {"t_ns":..,"event":"node_down","node":3,"cause":"gpu"}
//! {"t_ns":..,"event":"node_drain","node":5,"cause":"lemon"}
//! {"t_ns":..,"event":"node_up","node":3}
//! ```
//! A `fail` releases the job's GPUs at that instant; a requeued job later
//! has another `start` (at once, for a restart in place or on a spare),
//! otherwise an `end` with state `NODE_FAIL` follows. A `resize` gives an
//! elastic job that grew back its whole new allocation. A DRAINING node
//! takes no new work and is DRAINED once its jobs have left; `node_up`
//! puts a DOWN or drained node back in service. Versions 2 and 3 (no such
//! records) still read.
//!
//! The reader checks each line on its own: that it parses, has its
//! fields, and keeps time in order. Whether a line agrees with the header
//! and the lines before it (a node the header lists, a job submitted
//! before it starts or fails) is its consumer's check, which the viewer's
//! timeline makes for every kind of record alike, reporting it at the
//! line with [`JsonlTraceReader::error_at`].
//!
//! Invariant: sinks see events in handling order, which is `(time, seq)`
//! order, so `t_ns` never decreases down the file; [`JsonlTraceReader`] refuses a
//! file where it does.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{JobState, StopReason};
use crate::engine::{SimDuration, SimTime};
use crate::text::FileError;

/// Bumped whenever a reader of older traces would misread newer ones.
/// Version 3 added the header's `leaves`; version 4 the reliability
/// records (`fail`, `resize`, `node_down`, `node_drain`, `node_up`) and the
/// `NODE_FAIL` end state; versions 2 and 3 still read.
pub const TRACE_FORMAT_VERSION: u32 = 4;
const OLDEST_READABLE_VERSION: u32 = 2;
const TRACE_FORMAT_NAME: &str = "clustersim-trace";

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
        alloc: &'a [TraceAlloc],
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
    /// A job was interrupted by a failure (of one of its nodes, or of the
    /// job itself): its work since its last checkpoint is lost.
    Fail {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        /// The failure class.
        cause: &'a str,
        /// Requeued (or restarted in place) rather than ended NODE_FAIL.
        requeued: bool,
        lost_gpu_s: f64,
    },
    /// An elastic job took back nodes after a failure shrank it: its
    /// allocation is now `alloc` (it restarts on them from its last
    /// checkpoint; no work is lost).
    Resize {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        job: u64,
        alloc: &'a [TraceAlloc],
    },
    /// A node goes DOWN (a failure was noticed, or maintenance began).
    NodeDown {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        node: u32,
        cause: &'a str,
    },
    /// A node is set DRAINING: it takes no new work and goes DRAINED once
    /// its jobs have left.
    NodeDrain {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        node: u32,
        cause: &'a str,
    },
    /// A node is back in service (IDLE) after repair or maintenance.
    NodeUp {
        #[serde(rename = "t_ns", serialize_with = "ns")]
        time: SimTime,
        node: u32,
    },
}

fn ns<S: serde::Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(t.as_ns())
}

fn duration_ns<S: serde::Serializer>(d: &SimDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_ns())
}

/// GPUs of one node given to a job, as the trace writes them: the node's
/// index in [`TraceHeader::nodes`] and a bit mask over its GPU indices
/// (bit `i` is GPU `i`). Its own type, not the scheduler's, because the
/// trace is a public, versioned format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceAlloc {
    pub node: u32,
    pub mask: u64,
}

impl TraceAlloc {
    pub fn gpu_count(self) -> u32 {
        self.mask.count_ones()
    }
}

/// Receives state changes as they happen.
pub trait TraceSink {
    fn record(&mut self, event: &TraceEvent<'_>);

    /// What the trace's records leave out about a job, for sinks that
    /// export per-queue or per-GPU metrics (`monitor.rs`); the JSON-lines
    /// trace does not carry it, so its format is unchanged. Ignored unless
    /// a sink wants it.
    fn detail(&mut self, _detail: &JobDetail) {}
}

/// A job's facts beyond its trace records: the run gives them right after
/// the job's `Submit` ([`JobDetail::Submitted`]) and, for a training job,
/// when its step is simulated at its start ([`JobDetail::Activity`]); and
/// a Kubernetes queue's quota when a pass changed it ([`JobDetail::Quota`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JobDetail {
    Submitted {
        job: u64,
        /// The job's queue: its Kueue ClusterQueue or Volcano queue, else
        /// its Slurm partition (an index into the monitor's queues).
        partition: u16,
        /// Index into the workload's training specs, for a training job.
        training: Option<u32>,
        /// The share of each of its GPUs it asks for, in thousandths
        /// (1000 for whole GPUs; a fraction, a MIG slice's compute share,
        /// or a time-sliced job's demand).
        milli: u16,
    },
    /// A training job's GPU activity (its step's compute share, as the
    /// power model charges it).
    Activity { job: u64, activity: f64 },
    /// A Kubernetes queue's quota changed (a Kueue ClusterQueue's usage,
    /// nominal quota and borrowed quota over its flavors; a Volcano
    /// queue's allocation and deserved share), in thousandths of a GPU.
    Quota {
        time: SimTime,
        queue: u16,
        used_milli: u64,
        quota_milli: u64,
        borrowed_milli: u64,
    },
}

/// Discards everything (benchmarks, Monte Carlo replications).
impl TraceSink for () {
    fn record(&mut self, _: &TraceEvent<'_>) {}
}

/// The trace's first line: enough of the cluster to draw it without the
/// scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceHeader {
    pub scenario: String,
    pub seed: u64,
    pub groups: Vec<TraceGroup>,
    /// Every node, indexed by the `node` of an allocation.
    pub nodes: Vec<TraceNode>,
    /// Leaf switches (racks) and their nodes, from the scheduler's topology
    /// or the fabric; empty when the cluster has neither.
    #[serde(default)]
    pub leaves: Vec<TraceLeaf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceGroup {
    pub name: String,
    pub node_model: String,
    pub gpu_model: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceNode {
    pub name: String,
    /// Index into [`TraceHeader::groups`].
    pub group: u32,
    pub gpus: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceLeaf {
    pub name: String,
    pub nodes: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
struct HeaderLine {
    event: String,
    format: String,
    version: u32,
    #[serde(flatten)]
    header: TraceHeader,
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
    /// Starts a trace with its header line (`Scenario::trace_header`
    /// describes a scenario's cluster).
    pub fn new(mut out: W, header: TraceHeader) -> io::Result<Self> {
        let header = HeaderLine {
            event: "header".into(),
            format: TRACE_FORMAT_NAME.into(),
            version: TRACE_FORMAT_VERSION,
            header,
        };
        serde_json::to_writer(&mut out, &header)?;
        out.write_all(b"\n")?;
        Ok(JsonlTraceWriter { out, error: None })
    }

    /// Writes the closing line and flushes; reports the first I/O error.
    pub fn finish(mut self, end: SimTime, stop_reason: StopReason) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let footer = Footer {
            event: "end_of_run",
            t_ns: end.as_ns(),
            reason: stop_reason.as_str(),
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

/// One line of a trace after the header, owned: what [`JsonlTraceReader`] hands
/// its caller. Field names are the file's.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceRecord {
    Submit {
        t_ns: u64,
        job: u64,
        name: String,
        user: String,
        account: String,
        gpus: u64,
        time_limit_ns: u64,
    },
    Refuse {
        t_ns: u64,
        job: u64,
        reason: String,
    },
    Start {
        t_ns: u64,
        job: u64,
        alloc: Vec<TraceAlloc>,
    },
    End {
        t_ns: u64,
        job: u64,
        state: JobState,
    },
    Preempt {
        t_ns: u64,
        job: u64,
        requeued: bool,
        lost_gpu_s: f64,
    },
    Fail {
        t_ns: u64,
        job: u64,
        cause: String,
        requeued: bool,
        lost_gpu_s: f64,
    },
    Resize {
        t_ns: u64,
        job: u64,
        alloc: Vec<TraceAlloc>,
    },
    NodeDown {
        t_ns: u64,
        node: u32,
        cause: String,
    },
    NodeDrain {
        t_ns: u64,
        node: u32,
        cause: String,
    },
    NodeUp {
        t_ns: u64,
        node: u32,
    },
    /// The last line: when and why the run stopped.
    EndOfRun {
        t_ns: u64,
        reason: String,
    },
}

impl TraceRecord {
    pub fn t_ns(&self) -> u64 {
        match *self {
            TraceRecord::Submit { t_ns, .. }
            | TraceRecord::Refuse { t_ns, .. }
            | TraceRecord::Start { t_ns, .. }
            | TraceRecord::End { t_ns, .. }
            | TraceRecord::Preempt { t_ns, .. }
            | TraceRecord::Fail { t_ns, .. }
            | TraceRecord::Resize { t_ns, .. }
            | TraceRecord::NodeDown { t_ns, .. }
            | TraceRecord::NodeDrain { t_ns, .. }
            | TraceRecord::NodeUp { t_ns, .. }
            | TraceRecord::EndOfRun { t_ns, .. } => t_ns,
        }
    }
}

impl From<&TraceEvent<'_>> for TraceRecord {
    fn from(event: &TraceEvent<'_>) -> Self {
        match *event {
            TraceEvent::Submit {
                time,
                job,
                name,
                user,
                account,
                gpus,
                time_limit,
            } => TraceRecord::Submit {
                t_ns: time.as_ns(),
                job,
                name: name.to_string(),
                user: user.to_string(),
                account: account.to_string(),
                gpus,
                time_limit_ns: time_limit.as_ns(),
            },
            TraceEvent::Refuse { time, job, reason } => TraceRecord::Refuse {
                t_ns: time.as_ns(),
                job,
                reason: reason.to_string(),
            },
            TraceEvent::Start { time, job, alloc } => TraceRecord::Start {
                t_ns: time.as_ns(),
                job,
                alloc: alloc.to_vec(),
            },
            TraceEvent::End { time, job, state } => TraceRecord::End {
                t_ns: time.as_ns(),
                job,
                state,
            },
            TraceEvent::Preempt {
                time,
                job,
                requeued,
                lost_gpu_s,
            } => TraceRecord::Preempt {
                t_ns: time.as_ns(),
                job,
                requeued,
                lost_gpu_s,
            },
            TraceEvent::Fail {
                time,
                job,
                cause,
                requeued,
                lost_gpu_s,
            } => TraceRecord::Fail {
                t_ns: time.as_ns(),
                job,
                cause: cause.to_string(),
                requeued,
                lost_gpu_s,
            },
            TraceEvent::Resize { time, job, alloc } => TraceRecord::Resize {
                t_ns: time.as_ns(),
                job,
                alloc: alloc.to_vec(),
            },
            TraceEvent::NodeDown { time, node, cause } => TraceRecord::NodeDown {
                t_ns: time.as_ns(),
                node,
                cause: cause.to_string(),
            },
            TraceEvent::NodeDrain { time, node, cause } => TraceRecord::NodeDrain {
                t_ns: time.as_ns(),
                node,
                cause: cause.to_string(),
            },
            TraceEvent::NodeUp { time, node } => TraceRecord::NodeUp {
                t_ns: time.as_ns(),
                node,
            },
        }
    }
}

const FIX_REWRITE: &str =
    "write the trace again with `clustersim run SCENARIO --out DIR` and open DIR/trace.jsonl";

/// Reads a `trace.jsonl` held in memory: [`JsonlTraceReader::open`] checks
/// the header, then the reader yields the records in file order. A line
/// that does not parse, or a time that goes backwards, is an error with
/// its line and column; after an error the reader yields nothing more.
pub struct JsonlTraceReader<'a> {
    path: &'a str,
    /// The whole text, for the line of an error.
    text: &'a str,
    header: TraceHeader,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
    /// 1-based number of the line last read.
    line: usize,
    last_t_ns: u64,
    failed: bool,
}

impl<'a> JsonlTraceReader<'a> {
    /// Reads the header line of `text`; `path` names the file in errors.
    pub fn open(text: &'a str, path: &'a str) -> Result<Self, FileError> {
        let mut lines = text.lines().enumerate();
        let (index, line) = loop {
            match lines.next() {
                Some((_, line)) if line.trim().is_empty() => continue,
                Some(found) => break found,
                None => {
                    return Err(FileError::at(
                        path,
                        0,
                        0,
                        "the trace is empty",
                        "a clustersim trace (its first line is a header)",
                        FIX_REWRITE,
                    ));
                }
            }
        };
        let header: HeaderLine = serde_json::from_str(line).map_err(|e| {
            FileError::at(
                path,
                index + 1,
                e.column().max(1),
                format!("this is not a clustersim trace header: {e}"),
                r#"{"event":"header","format":"clustersim-trace","version":4,...}"#,
                format!(
                    "{FIX_REWRITE} (a workload trace such as SWF goes in a scenario's workload.trace instead)"
                ),
            )
        })?;
        if header.event != "header" || header.format != TRACE_FORMAT_NAME {
            return Err(FileError::at(
                path,
                index + 1,
                1,
                format!(
                    "the first line is a `{}` of format `{}`",
                    header.event, header.format
                ),
                "a header of format `clustersim-trace`",
                FIX_REWRITE,
            ));
        }
        if !(OLDEST_READABLE_VERSION..=TRACE_FORMAT_VERSION).contains(&header.version) {
            return Err(FileError::at(
                path,
                index + 1,
                1,
                format!(
                    "trace format version {} is not readable by this build",
                    header.version
                ),
                format!("version {OLDEST_READABLE_VERSION} to {TRACE_FORMAT_VERSION}"),
                format!("open it with the clustersim that wrote it, or {FIX_REWRITE}"),
            ));
        }
        let nodes = header.header.nodes.len();
        let impossible = header
            .header
            .nodes
            .iter()
            .position(|n| n.gpus > 64)
            .map(|n| format!("node {n} has more than 64 GPUs (allocations are 64-bit masks)"))
            .or_else(|| {
                header.header.leaves.iter().find_map(|leaf| {
                    leaf.nodes.iter().find(|&&n| n as usize >= nodes).map(|n| {
                        format!(
                            "leaf `{}` lists node {n}, but there are {nodes} nodes",
                            leaf.name
                        )
                    })
                })
            });
        if let Some(message) = impossible {
            return Err(FileError::at(
                path,
                index + 1,
                1,
                format!("the header describes an impossible cluster: {message}"),
                "the header clustersim writes",
                FIX_REWRITE,
            ));
        }
        Ok(JsonlTraceReader {
            path,
            text,
            header: header.header,
            lines,
            line: index + 1,
            last_t_ns: 0,
            failed: false,
        })
    }

    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// The 1-based line of the record last read.
    pub fn line(&self) -> usize {
        self.line
    }

    /// An error at `line`, for a record the caller cannot accept (say, a
    /// start for a job never submitted).
    pub fn error_at(&self, line: usize, message: impl Into<String>) -> FileError {
        let text = self.text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        FileError::in_line(
            self.path,
            line,
            text,
            0..text.len(),
            message,
            "a trace consistent with its earlier lines",
            FIX_REWRITE,
        )
    }
}

impl Iterator for JsonlTraceReader<'_> {
    type Item = Result<TraceRecord, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (index, line) = self.lines.find(|(_, line)| !line.trim().is_empty())?;
        self.line = index + 1;
        let expected = "one JSON object per line with `t_ns` and `event` (submit, refuse, start, end, preempt, fail, resize, node_down, node_drain, node_up, end_of_run)";
        let at = |span: std::ops::Range<usize>, message: String, expected: &str| {
            FileError::in_line(
                self.path,
                self.line,
                line,
                span,
                message,
                expected,
                FIX_REWRITE,
            )
        };
        let parsed = serde_json::from_str::<RawLine<'_>>(line)
            .map_err(|e| {
                // serde_json's column is 1-based, in bytes.
                let offset = e.column().saturating_sub(1);
                at(
                    offset..offset + 1,
                    format!("this trace line does not parse: {e}"),
                    expected,
                )
            })
            .and_then(|raw| {
                raw.into_record()
                    .map_err(|message| at(0..line.len(), message, expected))
            })
            .and_then(|record| {
                let t_ns = record.t_ns();
                if t_ns < self.last_t_ns {
                    return Err(at(
                        value_span(line, "t_ns").unwrap_or(0..line.len()),
                        format!("time goes backwards: t_ns {t_ns} after {}", self.last_t_ns),
                        "records in time order, as clustersim writes them",
                    ));
                }
                self.last_t_ns = t_ns;
                Ok(record)
            });
        self.failed = parsed.is_err();
        Some(parsed)
    }
}

/// The bytes of the number after `"key":` in a JSON line.
fn value_span(line: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let len = line[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(line.len() - start);
    Some(start..start + len)
}

/// A line as it is on disk, every field optional: a plain struct parses
/// without the buffering serde needs for internally tagged enums, which
/// made reading a million-line trace about twice as slow.
#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(borrow)]
    event: std::borrow::Cow<'a, str>,
    t_ns: Option<u64>,
    job: Option<u64>,
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    account: Option<std::borrow::Cow<'a, str>>,
    gpus: Option<u64>,
    time_limit_ns: Option<u64>,
    #[serde(borrow)]
    reason: Option<std::borrow::Cow<'a, str>>,
    alloc: Option<Vec<TraceAlloc>>,
    #[serde(borrow)]
    state: Option<std::borrow::Cow<'a, str>>,
    requeued: Option<bool>,
    lost_gpu_s: Option<f64>,
    #[serde(borrow)]
    cause: Option<std::borrow::Cow<'a, str>>,
    node: Option<u32>,
}

impl RawLine<'_> {
    fn into_record(self) -> Result<TraceRecord, String> {
        let event = self.event;
        let missing = |field: &str| format!("a `{event}` line needs `{field}`");
        let t_ns = self.t_ns.ok_or_else(|| missing("t_ns"))?;
        let job = || self.job.ok_or_else(|| missing("job"));
        let node = || self.node.ok_or_else(|| missing("node"));
        let text = |value: Option<std::borrow::Cow<'_, str>>, field: &str| {
            value
                .map(std::borrow::Cow::into_owned)
                .ok_or_else(|| missing(field))
        };
        Ok(match &*event {
            "submit" => TraceRecord::Submit {
                t_ns,
                job: job()?,
                name: text(self.name, "name")?,
                user: text(self.user, "user")?,
                account: text(self.account, "account")?,
                gpus: self.gpus.ok_or_else(|| missing("gpus"))?,
                time_limit_ns: self.time_limit_ns.ok_or_else(|| missing("time_limit_ns"))?,
            },
            "refuse" => TraceRecord::Refuse {
                t_ns,
                job: job()?,
                reason: text(self.reason, "reason")?,
            },
            "start" => TraceRecord::Start {
                t_ns,
                job: job()?,
                alloc: self.alloc.ok_or_else(|| missing("alloc"))?,
            },
            "end" => TraceRecord::End {
                t_ns,
                job: job()?,
                state: match self.state.as_deref().map(|s| (s, JobState::from_name(s))) {
                    Some((_, Some(state))) => state,
                    Some((other, None)) => return Err(format!("unknown job state `{other}`")),
                    None => return Err(missing("state")),
                },
            },
            "preempt" => TraceRecord::Preempt {
                t_ns,
                job: job()?,
                requeued: self.requeued.ok_or_else(|| missing("requeued"))?,
                lost_gpu_s: self.lost_gpu_s.ok_or_else(|| missing("lost_gpu_s"))?,
            },
            "fail" => TraceRecord::Fail {
                t_ns,
                job: job()?,
                cause: text(self.cause, "cause")?,
                requeued: self.requeued.ok_or_else(|| missing("requeued"))?,
                lost_gpu_s: self.lost_gpu_s.ok_or_else(|| missing("lost_gpu_s"))?,
            },
            "resize" => TraceRecord::Resize {
                t_ns,
                job: job()?,
                alloc: self.alloc.ok_or_else(|| missing("alloc"))?,
            },
            "node_down" => TraceRecord::NodeDown {
                t_ns,
                node: node()?,
                cause: text(self.cause, "cause")?,
            },
            "node_drain" => TraceRecord::NodeDrain {
                t_ns,
                node: node()?,
                cause: text(self.cause, "cause")?,
            },
            "node_up" => TraceRecord::NodeUp {
                t_ns,
                node: node()?,
            },
            "end_of_run" => TraceRecord::EndOfRun {
                t_ns,
                reason: text(self.reason, "reason")?,
            },
            other => return Err(format!("unknown event `{other}`")),
        })
    }
}
