//! Alibaba's GPU pod lists: cluster-trace-gpu-v2023 of alibaba/clusterdata
//! ("openb", the traces of Weng et al., "Beware of Fragmentation:
//! Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent",
//! USENIX ATC'23), `csv/openb_pod_list_*.csv`.
//!
//! Job: read that text into records ([`RawJob`]); the replay semantics
//! (drops, window, scaling) are the parent module's.
//!
//! Columns, as the trace's README (cluster-trace-gpu-v2023/README.md)
//! documents them: `name`, `cpu_milli`, `memory_mib`, `num_gpu` (GPUs
//! requested, 0 to 8), `gpu_milli` (the share of one GPU for GPU-sharing
//! pods, `num_gpu == 1`, in thousandths), `gpu_spec` (required GPU types,
//! `|`-separated, `nan` or empty for none, e.g. `V100M16|V100M32`), `qos`
//! (LS latency-sensitive, BE best-effort, Burstable, Guaranteed),
//! `pod_phase` (Succeeded, Running, Pending, Failed), `creation_time`,
//! `deletion_time` and `scheduled_time` (seconds). Required: `name`,
//! `num_gpu`, `gpu_milli`, `creation_time`, `deletion_time`,
//! `scheduled_time`; the others may be absent. Columns are found by name
//! in the header, in any order.
//!
//! Semantics:
//! - submit = `creation_time`; run time = `deletion_time - scheduled_time`
//!   for a pod that was scheduled, whatever its phase (a Running pod's
//!   deletion time is the end of the trace's window, so it runs to there);
//! - a pod never scheduled (Pending, no `scheduled_time`) is replayed with
//!   run time = `deletion_time - creation_time` and counted as altered: the
//!   trace's purpose, and the FGD simulator's use of it, is the stream of
//!   requests, every pod replayed whatever its phase; dropping them would
//!   thin the load the cluster was asked to carry (897 of 8,152 pods in
//!   `openb_pod_list_default.csv`), and the time a pending pod stayed is
//!   the only length the trace gives it;
//! - `num_gpu == 0` (CPU-only pods) are dropped as "CPU-only pod":
//!   clustersim models GPUs only; `num_gpu == 1 && gpu_milli < 1000` is
//!   one GPU shared (`GpuShare::Fraction { milli }`); `gpu_milli == 1000`
//!   is `num_gpu` whole GPUs; any other combination (a fraction of several
//!   GPUs, `gpu_milli` 0 or above 1000 for a GPU pod) is an error at the
//!   field;
//! - `qos` sets the job's priority ([`qos_priority`]) and is its QOS name,
//!   used when the scenario defines a QOS of that name (as sacct's);
//!   pods have no user, so user and account are the QoS class (`?` when
//!   empty): a fair-share between classes;
//! - the id is the number that ends the pod's name (`openb-pod-0017` is
//!   17), else the row number (counted as altered); `pod_phase` is kept
//!   for the report; no estimate is given, so the replay's
//!   `missing_estimate` applies.
//!
//! Invariant: a malformed field is an error at its line and column, never
//! a panic and never a silently wrong job.

use std::sync::Arc;

use super::csv_table::{Names, csv_rows, is_missing, missing_column_fix, split_line, with_header};
use super::{Extra, IdOrigin, Parsed, RawJob, SwfHeader, parse_nano};
use crate::text::FileError;
use crate::workload::GpuShare;

const FIX_FORMAT: &str = "give the pod list as cluster-trace-gpu-v2023 writes it: \
     name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time";

/// A pod's priority from its QoS class: Alibaba's classes first, LS
/// (latency-sensitive) 3 above BE (best-effort) 0, Kubernetes' between
/// them in their eviction order, Guaranteed 2 above Burstable 1 (a
/// Guaranteed pod is evicted last, a BestEffort one first); anything else
/// 0, as BE.
pub fn qos_priority(qos: &str) -> i32 {
    match qos {
        "LS" => 3,
        "Guaranteed" => 2,
        "Burstable" => 1,
        _ => 0,
    }
}

/// Column indices found in the header.
struct Columns {
    count: usize,
    name: usize,
    num_gpu: usize,
    gpu_milli: usize,
    gpu_spec: Option<usize>,
    qos: Option<usize>,
    phase: Option<usize>,
    creation: usize,
    deletion: usize,
    scheduled: usize,
}

fn header(path: &str, line_no: usize, line: &str) -> Result<Columns, FileError> {
    let names: Vec<String> = split_line(line)
        .into_iter()
        .map(|(_, f)| f.trim().to_string())
        .collect();
    let find = |name: &str| names.iter().position(|n| n == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| {
            FileError::in_line(
                path,
                line_no,
                line,
                0..line.len(),
                format!("the header has no `{name}` column"),
                "a first line naming the pod list's columns",
                format!("{}; {FIX_FORMAT}", missing_column_fix(name, &names)),
            )
        })
    };
    Ok(Columns {
        count: names.len(),
        name: need("name")?,
        num_gpu: need("num_gpu")?,
        gpu_milli: need("gpu_milli")?,
        gpu_spec: find("gpu_spec"),
        qos: find("qos"),
        phase: find("pod_phase"),
        creation: need("creation_time")?,
        deletion: need("deletion_time")?,
        scheduled: need("scheduled_time")?,
    })
}

/// Parses a pod list.
pub(crate) fn parse(path: &str, text: &str) -> Result<Parsed, FileError> {
    let (lines, header_no, header_line) = with_header(path, text, "pod", FIX_FORMAT)?;
    let columns = header(path, header_no, header_line)?;
    let mut names = Names::default();
    let mut jobs = Vec::new();
    let mut row = 0u64;
    for r in csv_rows(path, lines, columns.count, "repair the line") {
        let r = r?;
        row += 1;
        let value = |i: usize| r.value(i);
        let err = |i: usize, message: String, expected: &str, fix: &str| {
            r.error(path, i, message, expected, fix)
        };
        let count = |i: usize, name: &str| -> Result<u32, FileError> {
            let v = value(i);
            v.parse::<u32>()
                .map_err(|_| err(i, format!("{name} is `{v}`"), "a whole number", FIX_FORMAT))
        };
        let time_ns = |i: usize, name: &str| -> Result<Option<i64>, FileError> {
            let v = value(i);
            if is_missing(v) {
                return Ok(None);
            }
            match parse_nano(v).and_then(|ns| i64::try_from(ns).ok()) {
                Some(ns) => Ok(Some(ns)),
                None => Err(err(
                    i,
                    format!("{name} is `{v}`"),
                    "a time in seconds, like 9437497",
                    FIX_FORMAT,
                )),
            }
        };

        let num_gpu = count(columns.num_gpu, "num_gpu")?;
        let milli = count(columns.gpu_milli, "gpu_milli")?;
        let share = match (num_gpu, milli) {
            (0, _) => GpuShare::Whole,
            (_, 1000) => GpuShare::Whole,
            (_, m) if m > 1000 => {
                return Err(err(
                    columns.gpu_milli,
                    format!("gpu_milli is {m}, more than one whole GPU (1000)"),
                    "gpu_milli from 1 to 1000: a share of one GPU in thousandths",
                    "a pod asking for more than one GPU gives num_gpu > 1 and gpu_milli 1000",
                ));
            }
            (1, m @ 1..=999) => GpuShare::Fraction { milli: m as u16 },
            (1, _) => {
                return Err(err(
                    columns.gpu_milli,
                    "gpu_milli is 0 for a pod asking for a GPU".to_string(),
                    "gpu_milli from 1 to 1000 when num_gpu is 1",
                    "give the pod's share of its GPU, or num_gpu 0 for a CPU-only pod",
                ));
            }
            (n, m) => {
                return Err(err(
                    columns.gpu_milli,
                    format!("gpu_milli is {m} for a pod asking for {n} GPUs"),
                    "gpu_milli 1000 when num_gpu is more than 1 (only one-GPU pods share a GPU)",
                    "give gpu_milli 1000 for whole GPUs, or num_gpu 1 for a share of one",
                ));
            }
        };
        let creation = time_ns(columns.creation, "creation_time")?;
        let deletion = time_ns(columns.deletion, "deletion_time")?;
        let scheduled = time_ns(columns.scheduled, "scheduled_time")?;
        let never_scheduled = scheduled.is_none();
        let from = scheduled.or(creation);
        let runtime_ns = match (from, deletion) {
            (Some(from), Some(to)) => to.checked_sub(from),
            _ => None,
        };
        let name = value(columns.name);
        let (id, id_from_row) = match name.rsplit('-').next().map(str::parse::<u64>) {
            Some(Ok(id)) => (id, false),
            _ => (row, true),
        };
        let text_of = |c: Option<usize>| c.map(value).filter(|v| !is_missing(v));
        let qos = text_of(columns.qos);
        let class = names.get(qos.unwrap_or("?"));
        jobs.push(RawJob {
            line: r.line_no,
            id,
            id_origin: IdOrigin::Plain,
            submit_ns: creation,
            runtime_ns,
            requested_size: i64::from(num_gpu),
            allocated_size: 0,
            requested_time_ns: None,
            never_started: false,
            user: Arc::clone(&class),
            account: Arc::clone(&class),
            partition: None,
            qos: qos.map(|q| names.get(q)),
            queue: None,
            extra: Extra {
                share,
                gpu_spec: text_of(columns.gpu_spec).map(|s| names.get(s)),
                priority: qos.map_or(0, qos_priority),
                state: text_of(columns.phase).map(|s| names.get(s)),
                nodes: 0,
                never_scheduled: never_scheduled && deletion.is_some() && creation.is_some(),
                id_from_row,
            },
        });
    }
    Ok(Parsed {
        jobs,
        header: SwfHeader::default(),
        size_in_processors: false,
        sizes_from_cpus: false,
        steps_skipped: 0,
        no_size_reason: "CPU-only pod (num_gpu 0): clustersim models GPUs only",
    })
}
