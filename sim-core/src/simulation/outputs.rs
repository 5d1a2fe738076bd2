//! A run's output files in a directory: `summary.json`, `jobs.csv`,
//! `timeseries.csv` and `trace.jsonl` ([`OUTPUT_FILES`]), as
//! `clustersim run --out DIR` writes them and as a study keeps each
//! replication's when asked (`--keep-runs`).
//!
//! Invariants: the files are a function of the scenario and its seed (no
//! wall-clock time, no paths of this machine); `trace.jsonl` is streamed
//! to its file as the run goes, so memory does not grow with it; an error
//! names the file it happened on and whether the file could not be
//! created (usually the user's path) or not written.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use super::{RunProgress, RunResult, run};
use crate::metrics::{self, JsonlTraceWriter, OUTPUT_FILES};
use crate::scenario::Scenario;

/// Why an output file could not be written.
#[derive(Debug)]
pub struct OutputError {
    pub path: PathBuf,
    /// The file (or its directory) could not be created, as opposed to
    /// written once open.
    pub creating: bool,
    pub error: io::Error,
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.creating {
            "cannot create"
        } else {
            "cannot write"
        };
        write!(f, "{what} {}: {}", self.path.display(), self.error)
    }
}

/// Runs `scenario` and writes every file of [`OUTPUT_FILES`] into `dir`
/// (created if missing).
pub fn run_into_dir(
    dir: &Path,
    scenario: &Scenario,
    on_progress: &mut dyn FnMut(&RunProgress),
) -> Result<RunResult, OutputError> {
    let creating = |path: &Path| {
        let path = path.to_path_buf();
        move |error| OutputError {
            path,
            creating: true,
            error,
        }
    };
    let writing = |path: &Path| {
        let path = path.to_path_buf();
        move |error| OutputError {
            path,
            creating: false,
            error,
        }
    };
    fs::create_dir_all(dir).map_err(creating(dir))?;
    let trace_path = dir.join(OUTPUT_FILES[3]);
    let file = File::create(&trace_path).map_err(creating(&trace_path))?;
    let mut trace = JsonlTraceWriter::new(BufWriter::new(file), scenario.trace_header())
        .map_err(writing(&trace_path))?;
    let result = run(scenario, &mut trace, on_progress);
    trace
        .finish(result.end, result.summary.stop_reason)
        .and_then(|mut out| io::Write::flush(&mut out))
        .map_err(writing(&trace_path))?;
    write_outputs(dir, scenario, &result)?;
    Ok(result)
}

/// Writes `summary.json`, `jobs.csv` and `timeseries.csv` of a finished
/// run into `dir` (which exists).
pub fn write_outputs(
    dir: &Path,
    scenario: &Scenario,
    result: &RunResult,
) -> Result<(), OutputError> {
    let write = |name: &str, f: &dyn Fn(&mut BufWriter<File>) -> io::Result<()>| {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|error| OutputError {
            path: path.clone(),
            creating: true,
            error,
        })?;
        let mut out = BufWriter::new(file);
        f(&mut out)
            .and_then(|()| io::Write::flush(&mut out))
            .map_err(|error| OutputError {
                path,
                creating: false,
                error,
            })
    };
    write(OUTPUT_FILES[0], &|out| {
        metrics::write_summary_json(out, &result.summary)
    })?;
    let money = metrics::MoneyColumns {
        power: scenario.power.is_some(),
        cost: scenario.cost.is_some(),
        pue: scenario.power.as_ref().map_or(1.0, |p| p.pue),
    };
    write(OUTPUT_FILES[1], &|out| {
        metrics::write_jobs_csv(out, &result.jobs, &scenario.workload.directory, money)
    })?;
    write(OUTPUT_FILES[2], &|out| {
        metrics::write_timeseries_csv(
            out,
            &result.timeseries,
            scenario.cluster.total_gpus(),
            money,
        )
    })
}
