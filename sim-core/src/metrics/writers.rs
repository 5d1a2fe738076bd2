//! Writers for the run's output files.
//!
//! | file | content |
//! | --- | --- |
//! | `summary.json` | [`Summary`], pretty-printed |
//! | `jobs.csv` | one row per job: `id,name,user,account,submit_s,start_s,end_s,wait_s,run_s,time_limit_s,gpus,nodes,leaf_switches,requeues,lost_gpu_s,backfilled,state,reason,trace_id`; `reason` is Slurm's pending reason (`PartitionTimeLimit`, `PartitionNodeLimit`) of a job that can never start, `trace_id` the job's id in the trace it was replayed from; both empty otherwise; then `failures,rework_s,checkpoint_s,restart_s,energy_kwh,cost_usd` (the last two empty unless the scenario models power, or cost) |
//! | `timeseries.csv` | `time_s,busy_gpus,gpu_utilization,queue_length,running_jobs,down_gpus,draining_gpus,it_power_kw,facility_power_kw` every sampling interval (power empty unless modelled) |
//! | `trace.jsonl` | every state change (see `trace`) |
//! | `metrics.om` | with `outputs.openmetrics`: OpenMetrics text (see `openmetrics`) |
//! | `trace.perfetto.json` | with `outputs.perfetto`: a Perfetto trace (see `perfetto`) |
//!
//! Times are seconds written as exact decimals (`3600`, `0.25`), so they
//! convert back to the simulated nanoseconds without loss; a time that does
//! not exist (a job that never started) is an empty cell.

use std::io::{self, Write};

use super::{JobRecord, Summary, TimeSample};
use crate::engine::exact_seconds;
use crate::workload::Directory;

/// The files `clustersim run --out DIR` writes.
pub const OUTPUT_FILES: [&str; 4] = ["summary.json", "jobs.csv", "timeseries.csv", "trace.jsonl"];

/// The OpenMetrics text of a run, written when `outputs.openmetrics` is on
/// (`openmetrics.rs`).
pub const OPENMETRICS_FILE: &str = "metrics.om";

/// The Perfetto (trace-event JSON) trace of a run, written when
/// `outputs.perfetto` is on (`perfetto.rs`).
pub const PERFETTO_FILE: &str = "trace.perfetto.json";

pub fn write_summary_json(out: impl Write, summary: &Summary) -> io::Result<()> {
    let mut out = out;
    serde_json::to_writer_pretty(&mut out, summary)?;
    out.write_all(b"\n")
}

pub fn write_jobs_csv(
    out: impl Write,
    jobs: &[JobRecord],
    directory: &Directory,
    money: MoneyColumns,
) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "id",
        "name",
        "user",
        "account",
        "submit_s",
        "start_s",
        "end_s",
        "wait_s",
        "run_s",
        "time_limit_s",
        "gpus",
        "nodes",
        "leaf_switches",
        "requeues",
        "lost_gpu_s",
        "backfilled",
        "state",
        "reason",
        "trace_id",
        "failures",
        "rework_s",
        "checkpoint_s",
        "restart_s",
        "energy_kwh",
        "cost_usd",
    ])?;
    let secs = |ns: Option<u64>| ns.map(exact_seconds).unwrap_or_default();
    for job in jobs {
        let j = &job.job;
        csv.write_record([
            job.id.to_string().as_str(),
            &directory.job_names[j.name as usize],
            directory.user_name(j.user),
            directory.account_name(j.account),
            &exact_seconds(j.submit.as_ns()),
            &secs(job.start.map(|t| t.as_ns())),
            &secs(job.end.map(|t| t.as_ns())),
            &secs(job.wait().map(|d| d.as_ns())),
            &secs(job.run().map(|d| d.as_ns())),
            &exact_seconds(j.time_limit.as_ns()),
            &j.request.total_gpus().to_string(),
            &job.nodes.to_string(),
            &job.leaf_switches.to_string(),
            &job.requeues.to_string(),
            &exact_seconds_u128(job.lost_gpu_ns),
            if job.backfilled { "true" } else { "false" },
            job.state.as_str(),
            job.reason.map_or("", |r| r.as_str()),
            &j.trace_id.map(|id| id.to_string()).unwrap_or_default(),
            &job.failures.to_string(),
            &exact_seconds(job.rework_ns),
            &exact_seconds(job.checkpoint_ns),
            &exact_seconds(job.restart_ns),
            &if money.power {
                format!("{:.6}", job.energy_mw_ns as f64 / 3.6e18)
            } else {
                String::new()
            },
            &if money.cost {
                format!("{:.6}", job.cost_usd)
            } else {
                String::new()
            },
        ])?;
    }
    csv.flush()
}

/// Which of the power and cost columns a run fills.
#[derive(Clone, Copy, Debug, Default)]
pub struct MoneyColumns {
    pub power: bool,
    pub cost: bool,
    /// The facility's PUE (with `power`).
    pub pue: f64,
}

pub fn write_timeseries_csv(
    out: impl Write,
    samples: &[TimeSample],
    total_gpus: u64,
    money: MoneyColumns,
) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "time_s",
        "busy_gpus",
        "gpu_utilization",
        "queue_length",
        "running_jobs",
        "down_gpus",
        "draining_gpus",
        "it_power_kw",
        "facility_power_kw",
    ])?;
    for s in samples {
        let utilization = if total_gpus == 0 {
            0.0
        } else {
            s.busy_gpus as f64 / total_gpus as f64
        };
        csv.write_record([
            exact_seconds(s.time.as_ns()),
            s.busy_gpus.to_string(),
            format!("{utilization:.6}"),
            s.queue_length.to_string(),
            s.running_jobs.to_string(),
            s.down_gpus.to_string(),
            s.draining_gpus.to_string(),
            if money.power {
                exact_decimal_kw(s.it_power_mw)
            } else {
                String::new()
            },
            if money.power {
                format!("{:.3}", s.it_power_mw as f64 * money.pue / 1e6)
            } else {
                String::new()
            },
        ])?;
    }
    csv.flush()
}

/// Milliwatts as exact kilowatts (`10.2`, `0.000001`).
fn exact_decimal_kw(mw: u64) -> String {
    let (int, frac) = (mw / 1_000_000, mw % 1_000_000);
    if frac == 0 {
        return int.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{int}.{}", digits.trim_end_matches('0'))
}

/// GPU-nanoseconds as exact GPU-seconds (they can exceed `u64`).
fn exact_seconds_u128(ns: u128) -> String {
    match u64::try_from(ns) {
        Ok(ns) => exact_seconds(ns),
        Err(_) => format!("{}", ns / 1_000_000_000),
    }
}
