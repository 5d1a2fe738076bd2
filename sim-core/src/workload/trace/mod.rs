//! Importing job traces recorded on real machines: the Standard Workload
//! Format (SWF) of the Parallel Workloads Archive, Slurm's
//! `sacct --parsable2` output, Alibaba's GPU pod lists (`alibaba.rs`,
//! cluster-trace-gpu-v2023 "openb") and any CSV job table whose columns
//! the user maps (`csv_map.rs`, with presets for Helios, Philly and Acme;
//! `csv_table.rs` reads it).
//!
//! Job: turn a trace file (plain or gzip, detected by the magic bytes
//! `1f 8b`, never by the extension; a UTF-8 byte-order mark is skipped)
//! into a list of [`TraceJob`]s ready to be replayed on an empty cluster,
//! and an [`ImportReport`] that accounts for every record.
//!
//! The pipeline, in this order:
//! 1. read (`read.rs`) and parse every record (`swf.rs`, `sacct.rs`); a
//!    malformed record is a [`FileError`] naming the exact line and
//!    column, never a panic;
//! 2. drop filters, each job counted under the first reason that applies, in
//!    this fixed order: never started (sacct, CSV), submit time unknown, run time
//!    unknown or < 0 ([`ImportOptions::negative_runtime`]), run time 0
//!    ([`ImportOptions::zero_runtime`]), no size (`size <= 0`, no GPUs
//!    for sacct and CSV tables, a CPU-only pod), larger than the machine,
//!    size overflowing a `u32` GPU count;
//! 3. the window: over the jobs that survived step 2 ("the first K usable
//!    jobs"), ordered by job id or by submit time ([`WindowOrder`]), skip
//!    `skip`, then keep `take`; the others are dropped as "outside the
//!    window";
//! 4. times are shifted so that the first kept job submits at 0, and the
//!    gaps from it are multiplied by [`ImportOptions::interarrival_scale`]
//!    with exact integer arithmetic, rounded to the nearest nanosecond
//!    (halves up);
//! 5. the jobs are sorted by (submit, id, line in the file).
//!
//! Invariants:
//! - reading a file holds at most [`MAX_TRACE_TEXT`] of text in memory,
//!   whatever a gzip file decompresses to ([`read_text`]);
//! - `report.kept + report.dropped_total() == report.records_read`, and
//!   `report.kept == jobs.len()`;
//! - every dropped job is counted under exactly one reason; every change
//!   made to a kept job (size from the other field, a replaced run time, an
//!   estimate that was missing or zero) is counted in `report.altered`, one
//!   count per job and kind of change;
//! - a kept job has a size of at least one GPU, at most the machine's
//!   capacity when that is known, and an estimate of at least one second;
//! - reasons are listed in a fixed order, and no hash map decides anything:
//!   the same input and options always give the same output;
//! - a kept job's final state (sacct-like tables, pod phases) is counted in
//!   `report.states`, sorted by name.

mod alibaba;
mod cache;
mod csv_map;
mod csv_table;
mod read;
pub mod resample;
mod sacct;
mod swf;

use std::path::Path;
use std::sync::Arc;

use crate::engine::{NS_PER_SEC, SimDuration, SimTime};
use crate::text::{FileError, without_bom};
use crate::units::{Bytes, format_duration};

pub use alibaba::qos_priority;
pub use cache::TraceCache;
pub use csv_map::{CsvColumns, CsvPreset, TimeFormat};
pub(crate) use csv_table::split_line as split_csv_line;
use read::parse_file;
pub use read::{csv_header, read_text};

use crate::workload::GpuShare;
pub use resample::{EstimateNoise, Resample, TraceReplication};

/// The format of a trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// The Standard Workload Format of the Parallel Workloads Archive.
    Swf,
    /// `sacct --parsable2` output with a header line.
    Sacct,
    /// An Alibaba GPU pod list (cluster-trace-gpu-v2023,
    /// `openb_pod_list_*.csv`), see `alibaba.rs`.
    AlibabaPods,
    /// A CSV job table with a header line, its columns mapped to jobs'
    /// fields.
    Csv(Box<CsvColumns>),
}

/// Which field gives a job's size (SWF: requested or allocated processors;
/// sacct: `ReqTRES` or `AllocTRES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SizeField {
    /// Requested if > 0, else allocated: the literature's default.
    #[default]
    Requested,
    /// Allocated if > 0, else requested.
    Allocated,
    /// The larger of the two.
    Larger,
}

/// What to do with a job whose run time is unknown (SWF `-1`, sacct: never
/// ended) or negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadRuntime {
    /// Drop the job and count it.
    Drop,
    /// Keep the job with this run time, and count it as altered.
    Replace(SimDuration),
}

/// What to do with a job whose run time is exactly 0 (legal: a job that
/// failed at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ZeroRuntime {
    /// Keep it with run time 0.
    #[default]
    Keep,
    /// Drop the job and count it.
    Drop,
    /// Keep the job with this run time, and count it as altered.
    Replace(SimDuration),
}

/// Where a job's estimate (time limit) comes from when the trace has none
/// (SWF requested time `-1` or `0`; sacct `Timelimit` missing, `UNLIMITED`
/// or `Partition_Limit`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum MissingEstimate {
    /// The job's run time (a perfect estimate).
    #[default]
    RunTime,
    /// This fixed estimate.
    Fixed(SimDuration),
    /// The run time times this factor (finite, > 0), rounded up to the
    /// next nanosecond.
    Factor(f64),
}

/// The order in which the window's `skip` and `take` count jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WindowOrder {
    /// By job id (ties: submit time, then line in the file).
    #[default]
    JobId,
    /// By submit time (ties: job id, then line in the file).
    Submit,
}

/// How to turn records into jobs. [`ImportOptions::default`] gives the
/// replay semantics of the literature.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportOptions {
    /// Which field gives a job's size. Default [`SizeField::Requested`].
    pub size: SizeField,
    /// Jobs whose run time is 0. Default [`ZeroRuntime::Keep`].
    pub zero_runtime: ZeroRuntime,
    /// Jobs whose run time is unknown or negative. Default
    /// [`BadRuntime::Drop`].
    pub negative_runtime: BadRuntime,
    /// Where a missing estimate comes from. Default
    /// [`MissingEstimate::RunTime`].
    pub missing_estimate: MissingEstimate,
    /// How many usable jobs to skip (in `skip_by` order). Default 0.
    pub skip: u64,
    /// The order of the window. Default [`WindowOrder::JobId`].
    pub skip_by: WindowOrder,
    /// How many usable jobs to keep after the skipped ones; `None` keeps
    /// all. Default `None`.
    pub take: Option<u64>,
    /// Factor applied to the gaps between submit times (> 0, at most
    /// [`MAX_INTERARRIVAL_SCALE`]); 0.5 doubles the arrival rate. Default 1.
    pub interarrival_scale: f64,
    /// GPU slots one SWF processor takes (and one sacct CPU, when the whole
    /// sacct trace has no `gres/gpu`). At least 1. Default 1.
    pub gpus_per_processor: u32,
    /// The machine's capacity in GPUs: larger jobs are dropped and counted.
    /// `None` (the default) takes the SWF header's machine size
    /// ([`SwfHeader::machine_processors`]) times `gpus_per_processor`, and
    /// means no limit for sacct or an SWF trace without a size in its
    /// header.
    pub machine_gpus: Option<u64>,
    /// A share of one GPU (an Alibaba pod's `gpu_milli < 1000`, a
    /// fraction) rounded up to one whole GPU: the same pods on a cluster
    /// without GPU sharing. Counted as altered. Default `false`.
    pub whole_gpus: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            size: SizeField::Requested,
            zero_runtime: ZeroRuntime::Keep,
            negative_runtime: BadRuntime::Drop,
            missing_estimate: MissingEstimate::RunTime,
            skip: 0,
            skip_by: WindowOrder::JobId,
            take: None,
            interarrival_scale: 1.0,
            gpus_per_processor: 1,
            machine_gpus: None,
            whole_gpus: false,
        }
    }
}

/// Largest [`ImportOptions::interarrival_scale`]: stretching the gaps
/// between submits a hundredfold already leaves any machine idle, and
/// further stretches push the submits of a years-long trace past the end
/// of simulated time.
pub const MAX_INTERARRIVAL_SCALE: f64 = 100.0;

/// An import option outside its range: which one, its value, what it must
/// be and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// The option's name, a field of [`ImportOptions`] (and of a
    /// scenario's `workload.trace`): `interarrival_scale`.
    pub option: &'static str,
    /// Its value, as it would be written in a scenario.
    pub found: String,
    pub expected: String,
    pub fix: &'static str,
}

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {}; it must be {}",
            self.option, self.found, self.expected
        )
    }
}

impl ImportOptions {
    /// Checks the options that have a legal range: the scale must be > 0
    /// and at most [`MAX_INTERARRIVAL_SCALE`], the estimate factor finite
    /// and > 0, a fixed estimate > 0, the machine and
    /// `gpus_per_processor` at least 1, a window's `take` at least 1.
    pub fn validate(&self) -> Result<(), OptionError> {
        let error = |option, found: String, expected: &str, fix| {
            Err(OptionError {
                option,
                found,
                expected: expected.to_string(),
                fix,
            })
        };
        let scale = self.interarrival_scale;
        if !(scale.is_finite() && scale > 0.0 && scale <= MAX_INTERARRIVAL_SCALE) {
            return error(
                "interarrival_scale",
                scale.to_string(),
                &format!("a number > 0 and at most {MAX_INTERARRIVAL_SCALE}"),
                "scale the gaps between submits by a factor like 0.5 (twice the arrival rate) or 2; 1 replays them as recorded",
            );
        }
        if self.gpus_per_processor == 0 {
            return error(
                "gpus_per_processor",
                "0".into(),
                "at least 1",
                "give the GPU slots one trace processor takes, 1 or more",
            );
        }
        if self.machine_gpus == Some(0) {
            return error(
                "machine_gpus",
                "0".into(),
                "at least 1 (or None)",
                "give the machine's capacity in GPUs, or None for no limit",
            );
        }
        if self.take == Some(0) {
            return error(
                "take",
                "0".into(),
                "at least 1 (or left out, to keep every job)",
                "keep at least one job, or leave `take` out to replay the whole trace",
            );
        }
        match self.missing_estimate {
            MissingEstimate::Factor(f) if !(f.is_finite() && f > 0.0) => error(
                "missing_estimate",
                format!("Factor({f})"),
                "Factor with a finite number > 0",
                "estimate missing limits as the run time times a factor like 1.5, or use RunTime",
            ),
            MissingEstimate::Fixed(d) if d.is_zero() => error(
                "missing_estimate",
                "Fixed(\"0s\")".into(),
                "Fixed with a duration > 0",
                "give the estimate jobs without one get, like Fixed(\"1h\"), or use RunTime",
            ),
            _ => Ok(()),
        }
    }
}

/// A job of the trace, ready to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceJob {
    /// SWF job number; sacct `JobID` without its array (`123_4`) or
    /// heterogeneous (`123+0`) suffix, so the tasks of an array share an id.
    pub id: u64,
    /// Relative: the first kept job submits at 0.
    pub submit: SimTime,
    /// The true run time.
    pub runtime: SimDuration,
    /// What the user asked for (or per [`MissingEstimate`]); at least 1 s.
    pub estimate: SimDuration,
    /// Size times the GPUs per processor (SWF, sacct without GPUs) or the
    /// `gres/gpu` count (sacct); at least 1.
    pub gpus: u32,
    /// SWF: `u<user id>`, or `u?` when unknown; sacct: `User` (`?` when
    /// empty). Names are shared: the jobs of one user hold one string.
    pub user: Arc<str>,
    /// SWF: `g<group id>`, or `g?` when unknown; sacct: `Account` (`?` when
    /// empty).
    pub account: Arc<str>,
    /// SWF: `p<partition>` when known; sacct: `Partition` when not empty.
    pub partition: Option<Arc<str>>,
    /// sacct `QOS` when not empty; SWF: `None`.
    pub qos: Option<Arc<str>>,
    /// SWF: `q<queue number>` when known; CSV tables: the virtual
    /// cluster; otherwise `None`.
    pub queue: Option<Arc<str>>,
    /// The 1-based line of the record in the (decompressed) file.
    pub source_line: usize,
    /// Whole GPUs, or a fraction of its one GPU (Alibaba's `gpu_milli`).
    pub share: GpuShare,
    /// The GPU types it may run on, `|`-separated as the trace wrote them
    /// (Alibaba's `gpu_spec`); `None`: any.
    pub gpu_spec: Option<Arc<str>>,
    /// Its priority (an Alibaba pod's QoS class, [`qos_priority`]); 0
    /// otherwise.
    pub priority: i32,
    /// The nodes its GPUs are spread over, when the trace says and the
    /// GPUs divide evenly among them (CSV tables' node count); 0 otherwise.
    pub nodes: u32,
    /// Its final state as the trace records it (CSV tables' `state`, a
    /// pod's phase); `None` when not given.
    pub state: Option<Arc<str>>,
}

/// The header of an SWF file (`; Key: value` lines); all `None` for sacct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwfHeader {
    pub max_procs: Option<u64>,
    pub max_nodes: Option<u64>,
    /// `MaxJobs`: jobs in the original log.
    pub max_jobs: Option<u64>,
    /// `MaxRecords`: records in the original log (a cleaned log may hold
    /// fewer).
    pub max_records: Option<u64>,
    pub unix_start_time: Option<i64>,
    pub version: Option<String>,
    pub computer: Option<String>,
    pub installation: Option<String>,
}

impl SwfHeader {
    /// The machine's size in processors: `MaxProcs`, else `MaxNodes`.
    pub fn machine_processors(&self) -> Option<u64> {
        self.max_procs.or(self.max_nodes)
    }
}

/// What the import did with every record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Job records in the file: SWF data lines; sacct lines that are jobs
    /// (job steps are not records, see `steps_skipped`).
    pub records_read: u64,
    /// Jobs returned.
    pub kept: u64,
    /// (reason, count) in a fixed order, only non-zero counts; each dropped
    /// record is counted once, under the first reason that applies.
    pub dropped: Vec<(String, u64)>,
    /// (what was changed, count) in a fixed order, only non-zero counts;
    /// only kept jobs are counted, once per kind of change.
    pub altered: Vec<(String, u64)>,
    /// The SWF header; empty for sacct.
    pub header: SwfHeader,
    /// The capacity that jobs were checked against, if any.
    pub machine_gpus: Option<u64>,
    /// sacct job steps (`123.batch`, `123.0`) skipped: they belong to their
    /// job. Always 0 for SWF.
    pub steps_skipped: u64,
    /// sacct only: the trace has no `gres/gpu` at all, so sizes are CPUs
    /// times `gpus_per_processor`.
    pub sizes_from_cpus: bool,
    /// (final state, count) of the kept jobs, sorted by state; empty when
    /// the format records no state (SWF, sacct).
    pub states: Vec<(String, u64)>,
}

impl ImportReport {
    /// All dropped records.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().map(|(_, n)| n).sum()
    }

    /// All alterations (a job altered in two ways counts twice).
    pub fn altered_total(&self) -> u64 {
        self.altered.iter().map(|(_, n)| n).sum()
    }

    /// The count for a drop reason, 0 if absent.
    pub fn dropped_for(&self, reason: &str) -> u64 {
        count_for(&self.dropped, reason)
    }

    /// The count for an alteration, 0 if absent.
    pub fn altered_for(&self, what: &str) -> u64 {
        count_for(&self.altered, what)
    }
}

fn count_for(list: &[(String, u64)], key: &str) -> u64 {
    list.iter().find(|(k, _)| k == key).map_or(0, |&(_, n)| n)
}

/// The most text a trace may hold, plain or decompressed. The largest
/// traces replayed here are tens of MB; a small file that decompresses
/// beyond this (a gzip bomb) is refused before it fills memory.
pub const MAX_TRACE_TEXT: Bytes = Bytes::gib(1);

/// Reads `path` (gzip if it starts with `1f 8b`) and imports it.
pub fn import_file(
    path: &Path,
    format: TraceFormat,
    options: &ImportOptions,
) -> Result<(Vec<TraceJob>, ImportReport), FileError> {
    let shown = path.display().to_string();
    check_options(&shown, options)?;
    let mut parsed = parse_file(path, format)?;
    let jobs = std::mem::take(&mut parsed.jobs);
    Ok(convert_records(&parsed, jobs.into_iter(), options))
}

/// Imports a trace held in memory; `path_for_messages` names it in errors.
/// A leading byte-order mark is skipped (lines and columns in errors are
/// counted without it).
pub fn import_str(
    path_for_messages: &str,
    text: &str,
    format: TraceFormat,
    options: &ImportOptions,
) -> Result<(Vec<TraceJob>, ImportReport), FileError> {
    check_options(path_for_messages, options)?;
    let mut parsed = parse_text(path_for_messages, text, format)?;
    let jobs = std::mem::take(&mut parsed.jobs);
    Ok(convert_records(&parsed, jobs.into_iter(), options))
}

/// Parses a trace held in memory (a leading byte-order mark skipped).
fn parse_text(
    path_for_messages: &str,
    text: &str,
    format: TraceFormat,
) -> Result<Parsed, FileError> {
    let text = without_bom(text);
    match format {
        TraceFormat::Swf => swf::parse(path_for_messages, text),
        TraceFormat::Sacct => sacct::parse(path_for_messages, text),
        TraceFormat::AlibabaPods => alibaba::parse(path_for_messages, text),
        TraceFormat::Csv(columns) => csv_table::parse(path_for_messages, text, &columns),
    }
}

fn check_options(path: &str, options: &ImportOptions) -> Result<(), FileError> {
    options.validate().map_err(|e| {
        FileError::at(
            path,
            0,
            0,
            format!("invalid import options: {e}"),
            format!("{} to be {}", e.option, e.expected),
            e.fix,
        )
    })
}

/// How a record's id was derived from the trace's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdOrigin {
    Plain,
    /// sacct `123_4`: the array's id.
    ArrayTask,
    /// sacct `123+0`: the heterogeneous job's id.
    HetComponent,
}

/// One job record as the trace states it, before any option is applied.
#[derive(Clone, Debug)]
pub(crate) struct RawJob {
    pub line: usize,
    pub id: u64,
    pub id_origin: IdOrigin,
    /// Absolute submit time; `None` when unknown.
    pub submit_ns: Option<i64>,
    /// `None` when unknown; may be negative.
    pub runtime_ns: Option<i64>,
    /// Requested and allocated size in the format's unit (processors, GPUs
    /// or CPUs); `<= 0` means unknown.
    pub requested_size: i64,
    pub allocated_size: i64,
    /// `None` (or `<= 0`) when the trace gives no estimate.
    pub requested_time_ns: Option<i64>,
    /// sacct: the job never started (pending, or cancelled before start).
    pub never_started: bool,
    pub user: Arc<str>,
    pub account: Arc<str>,
    pub partition: Option<Arc<str>>,
    pub qos: Option<Arc<str>>,
    pub queue: Option<Arc<str>>,
    /// What only the GPU-cluster formats say.
    pub extra: Extra,
}

/// What a record of a GPU-cluster trace (pod lists, CSV tables) says
/// beyond the fields every format has; the default for SWF and sacct.
#[derive(Clone, Debug, Default)]
pub(crate) struct Extra {
    pub share: GpuShare,
    pub gpu_spec: Option<Arc<str>>,
    pub priority: i32,
    pub state: Option<Arc<str>>,
    /// Nodes the GPUs are spread over; 0 when not given.
    pub nodes: u32,
    /// A pod that was never scheduled, replayed with run time = deletion -
    /// creation.
    pub never_scheduled: bool,
    /// The trace's id is not a number: the row's number is used.
    pub id_from_row: bool,
}

/// A parsed trace: its records and what the format says about them.
pub(crate) struct Parsed {
    pub jobs: Vec<RawJob>,
    pub header: SwfHeader,
    /// GPUs per unit of size: options' `gpus_per_processor` when the size is
    /// in processors or CPUs, otherwise the size is already in GPUs.
    pub size_in_processors: bool,
    pub sizes_from_cpus: bool,
    pub steps_skipped: u64,
    /// The reason for `size <= 0`, worded for the format.
    pub no_size_reason: &'static str,
}

/// Drop reasons, in report order.
#[derive(Clone, Copy)]
enum DropReason {
    NeverStarted,
    SubmitUnknown,
    RuntimeBad,
    RuntimeZero,
    NoSize,
    TooLarge,
    SizeOverflow,
    OutsideWindow,
}
const DROP_KINDS: usize = 8;

/// Alterations, in report order.
#[derive(Clone, Copy)]
enum AlterKind {
    SizeFromAllocated,
    SizeFromRequested,
    SizeFromCpus,
    RuntimeBadReplaced,
    RuntimeZeroReplaced,
    EstimateMissing,
    EstimateRaised,
    ArrayTaskId,
    HetComponentId,
    NeverScheduled,
    IdFromRow,
    NodesUneven,
    WholeGpus,
}
const ALTER_KINDS: usize = 13;

/// A job that passed the drop filters, with its absolute submit time (its
/// `job.submit` is set after the window) and what was changed: a bit per
/// [`AlterKind`].
struct Usable {
    job: TraceJob,
    submit_ns: i64,
    altered: u16,
}

/// Applies `options` to `jobs`, the records of `parsed` (whose own `jobs`
/// are not read: the caller moves or clones them out).
fn convert_records(
    parsed: &Parsed,
    jobs: impl ExactSizeIterator<Item = RawJob>,
    options: &ImportOptions,
) -> (Vec<TraceJob>, ImportReport) {
    let Parsed {
        header,
        size_in_processors,
        sizes_from_cpus,
        steps_skipped,
        no_size_reason,
        ..
    } = parsed;
    let (size_in_processors, sizes_from_cpus, steps_skipped, no_size_reason) = (
        *size_in_processors,
        *sizes_from_cpus,
        *steps_skipped,
        *no_size_reason,
    );
    let per_unit = if size_in_processors {
        u64::from(options.gpus_per_processor)
    } else {
        1
    };
    let machine_gpus = options.machine_gpus.or_else(|| {
        header
            .machine_processors()
            .map(|p| p.saturating_mul(u64::from(options.gpus_per_processor)))
    });
    let records_read = jobs.len() as u64;
    let mut dropped = [0u64; DROP_KINDS];

    let mut usable: Vec<Usable> = Vec::with_capacity(jobs.len());
    for raw in jobs {
        match usable_job(raw, options, per_unit, machine_gpus, sizes_from_cpus) {
            Ok(u) => usable.push(u),
            Err(reason) => dropped[reason as usize] += 1,
        }
    }

    // The window, over the usable jobs.
    match options.skip_by {
        WindowOrder::JobId => {
            usable.sort_by_key(|u| (u.job.id, u.submit_ns, u.job.source_line));
        }
        WindowOrder::Submit => {
            usable.sort_by_key(|u| (u.submit_ns, u.job.id, u.job.source_line));
        }
    }
    let total = usable.len() as u64;
    let start = options.skip.min(total);
    let end = options
        .take
        .map_or(total, |t| start.saturating_add(t).min(total));
    dropped[DropReason::OutsideWindow as usize] += total - (end - start);
    // Both bounds are at most `usable.len()`, so they fit in usize.
    usable.truncate(end as usize);
    usable.drain(..start as usize);

    let first_ns = usable.iter().map(|u| u.submit_ns).min().unwrap_or(0);
    let mut altered = [0u64; ALTER_KINDS];
    let mut out: Vec<TraceJob> = usable
        .into_iter()
        .map(|u| {
            for (kind, count) in altered.iter_mut().enumerate() {
                if u.altered & (1 << kind) != 0 {
                    *count += 1;
                }
            }
            // Every submit is >= first_ns, so the gap is non-negative.
            let gap_ns = u.submit_ns.abs_diff(first_ns);
            TraceJob {
                submit: SimTime::from_ns(scale_ns(gap_ns, options.interarrival_scale)),
                ..u.job
            }
        })
        .collect();
    out.sort_by_key(|j| (j.submit, j.id, j.source_line));

    let drop_names: [String; DROP_KINDS] = [
        "never started".to_string(),
        "submit time unknown".to_string(),
        "run time unknown or < 0".to_string(),
        "run time 0 dropped".to_string(),
        no_size_reason.to_string(),
        format!(
            "larger than the machine ({} GPUs)",
            machine_gpus.unwrap_or(u64::MAX)
        ),
        "size overflows a 32-bit GPU count".to_string(),
        "outside the window".to_string(),
    ];
    let replaced = |d: &BadRuntime| match d {
        BadRuntime::Replace(r) => format_duration(*r),
        BadRuntime::Drop => String::new(),
    };
    let zero_replaced = match options.zero_runtime {
        ZeroRuntime::Replace(r) => format_duration(r),
        _ => String::new(),
    };
    let estimate_from = match options.missing_estimate {
        MissingEstimate::RunTime => "run time".to_string(),
        MissingEstimate::Fixed(d) => format_duration(d),
        MissingEstimate::Factor(f) => format!("run time x {f}"),
    };
    let alter_names: [String; ALTER_KINDS] = [
        "size from allocated (requested missing)".to_string(),
        "size from requested (allocated missing)".to_string(),
        format!(
            "size from CPUs x {} (trace has no gres/gpu)",
            options.gpus_per_processor
        ),
        format!(
            "run time unknown or < 0 replaced by {}",
            replaced(&options.negative_runtime)
        ),
        format!("run time 0 replaced by {zero_replaced}"),
        format!("estimate missing: used {estimate_from}"),
        "estimate 0 raised to 1s".to_string(),
        "array task: id is the array's job id".to_string(),
        "heterogeneous job component: id is the job's id".to_string(),
        "never scheduled (Pending): replayed with run time = deletion - creation".to_string(),
        "job id not a number: its row number used".to_string(),
        "GPUs not a multiple of the nodes: placed as a GPU count".to_string(),
        "whole_gpus: a share of one GPU rounded up to a whole GPU".to_string(),
    ];
    let nonzero = |names: &[String], counts: &[u64]| -> Vec<(String, u64)> {
        names
            .iter()
            .zip(counts)
            .filter(|&(_, &n)| n > 0)
            .map(|(s, &n)| (s.clone(), n))
            .collect()
    };

    let mut states = std::collections::BTreeMap::<&str, u64>::new();
    for job in &out {
        if let Some(state) = &job.state {
            *states.entry(state).or_default() += 1;
        }
    }
    let states = (states.into_iter())
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    let report = ImportReport {
        states,
        records_read,
        kept: out.len() as u64,
        dropped: nonzero(&drop_names, &dropped),
        altered: nonzero(&alter_names, &altered),
        header: header.clone(),
        machine_gpus,
        steps_skipped,
        sizes_from_cpus,
    };
    (out, report)
}

/// Applies the drop filters and options to one record.
fn usable_job(
    raw: RawJob,
    options: &ImportOptions,
    per_unit: u64,
    machine_gpus: Option<u64>,
    sizes_from_cpus: bool,
) -> Result<Usable, DropReason> {
    let mut altered = 0u16;
    let mut mark = |a: AlterKind| altered |= 1 << (a as u16);
    if raw.never_started {
        return Err(DropReason::NeverStarted);
    }
    let submit_ns = raw.submit_ns.ok_or(DropReason::SubmitUnknown)?;

    let runtime = match raw.runtime_ns {
        Some(ns) if ns > 0 => SimDuration::from_ns(ns.unsigned_abs()),
        Some(0) => match options.zero_runtime {
            ZeroRuntime::Keep => SimDuration::ZERO,
            ZeroRuntime::Drop => return Err(DropReason::RuntimeZero),
            ZeroRuntime::Replace(d) => {
                mark(AlterKind::RuntimeZeroReplaced);
                d
            }
        },
        _ => match options.negative_runtime {
            BadRuntime::Drop => return Err(DropReason::RuntimeBad),
            BadRuntime::Replace(d) => {
                mark(AlterKind::RuntimeBadReplaced);
                d
            }
        },
    };

    let (req, alloc) = (raw.requested_size, raw.allocated_size);
    let size = match options.size {
        SizeField::Requested if req > 0 => req,
        SizeField::Allocated if alloc > 0 => alloc,
        SizeField::Larger if req > 0 && alloc > 0 => req.max(alloc),
        SizeField::Requested | SizeField::Larger if alloc > 0 => {
            mark(AlterKind::SizeFromAllocated);
            alloc
        }
        SizeField::Allocated | SizeField::Larger if req > 0 => {
            mark(AlterKind::SizeFromRequested);
            req
        }
        _ => return Err(DropReason::NoSize),
    };
    if sizes_from_cpus {
        mark(AlterKind::SizeFromCpus);
    }
    let gpus = size.unsigned_abs().saturating_mul(per_unit);
    if machine_gpus.is_some_and(|m| gpus > m) {
        return Err(DropReason::TooLarge);
    }
    let gpus = u32::try_from(gpus).map_err(|_| DropReason::SizeOverflow)?;

    let mut estimate = match raw.requested_time_ns {
        Some(ns) if ns > 0 => SimDuration::from_ns(ns.unsigned_abs()),
        _ => {
            mark(AlterKind::EstimateMissing);
            match options.missing_estimate {
                MissingEstimate::RunTime => runtime,
                MissingEstimate::Fixed(d) => d,
                MissingEstimate::Factor(f) => runtime.mul_f64_ceil(f),
            }
        }
    };
    if estimate < SimDuration::from_secs(1) {
        mark(AlterKind::EstimateRaised);
        estimate = SimDuration::from_secs(1);
    }
    match raw.id_origin {
        IdOrigin::Plain => {}
        IdOrigin::ArrayTask => mark(AlterKind::ArrayTaskId),
        IdOrigin::HetComponent => mark(AlterKind::HetComponentId),
    }
    let mut extra = raw.extra;
    if options.whole_gpus && extra.share.is_shared() {
        mark(AlterKind::WholeGpus);
        extra.share = GpuShare::Whole;
    }
    if extra.never_scheduled {
        mark(AlterKind::NeverScheduled);
    }
    if extra.id_from_row {
        mark(AlterKind::IdFromRow);
    }
    let nodes = match extra.nodes {
        0 | 1 => 0,
        n if gpus % n == 0 => n,
        _ => {
            mark(AlterKind::NodesUneven);
            0
        }
    };
    Ok(Usable {
        job: TraceJob {
            id: raw.id,
            submit: SimTime::ZERO,
            runtime,
            estimate,
            gpus,
            user: raw.user,
            account: raw.account,
            partition: raw.partition,
            qos: raw.qos,
            queue: raw.queue,
            source_line: raw.line,
            share: extra.share,
            gpu_spec: extra.gpu_spec,
            priority: extra.priority,
            nodes,
            state: extra.state,
        },
        submit_ns,
        altered,
    })
}

/// `gap_ns * scale`, rounded to the nearest nanosecond (halves up), exact:
/// a finite `f64` is `mantissa * 2^exponent`, so the product is an integer
/// multiplication and a shift. Saturates at `u64::MAX`.
fn scale_ns(gap_ns: u64, scale: f64) -> u64 {
    if scale == 1.0 {
        return gap_ns;
    }
    if !(scale.is_finite() && scale > 0.0) {
        // Unreachable after validation; keep the gap rather than panic.
        return gap_ns;
    }
    let bits = scale.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if raw_exp == 0 {
        (fraction, -1074) // subnormal
    } else {
        (fraction | (1u64 << 52), raw_exp - 1075)
    };
    let product = u128::from(gap_ns) * u128::from(mantissa);
    let result = if exp >= 0 {
        // Only for scales >= 2^52: saturate unless the gap is 0.
        match u32::try_from(exp) {
            Ok(e) if product.leading_zeros() > e => product << e,
            _ if product == 0 => 0,
            _ => u128::MAX,
        }
    } else {
        let shift = exp.unsigned_abs();
        if shift >= 128 {
            0
        } else {
            let mask = u128::MAX >> (128 - shift);
            let half = 1u128 << (shift - 1);
            (product >> shift) + u128::from(product & mask >= half)
        }
    };
    u64::try_from(result).unwrap_or(u64::MAX)
}

/// Parses a decimal number (`-1`, `3600`, `12.5`) exactly into billionths:
/// `12.5` gives `12_500_000_000`. At most 9 decimals; no exponent.
pub(crate) fn parse_nano(token: &str) -> Option<i128> {
    let (negative, digits) = match token.as_bytes().first()? {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty()
        || int_part.len() > 20
        || frac_part.len() > 9
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut value: i128 = 0;
    for b in int_part.bytes() {
        value = value * 10 + i128::from(b - b'0');
    }
    let mut frac: i128 = 0;
    for i in 0..9 {
        let digit = frac_part.as_bytes().get(i).map_or(0, |b| b - b'0');
        frac = frac * 10 + i128::from(digit);
    }
    let v = value * i128::from(NS_PER_SEC) + frac;
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests;
