//! A run's output files in a directory: `summary.json`, `jobs.csv`,
//! `timeseries.csv` and `trace.jsonl` ([`OUTPUT_FILES`]), and when the
//! scenario's `outputs` ask for them `metrics.om` (OpenMetrics, from a
//! `metrics::Monitor` following the run) and `trace.perfetto.json`
//! ([`output_files`]), as `clustersim run --out DIR` writes them and as a
//! study keeps each replication's when asked (`--keep-runs`).
//!
//! Invariants: the files are a function of the scenario and its seed (no
//! wall-clock time, no paths of this machine); `trace.jsonl` and
//! `trace.perfetto.json` are streamed to their files as the run goes, and
//! the monitor keeps bounded per-sample state, so memory does not grow
//! with the run beyond the time series' bounds; an error
//! names the file it happened on and whether the file could not be
//! created (usually the user's path) or not written.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use super::{RunProgress, RunResult, run};
use crate::metrics::{
    self, GpuPower, JobDetail, JsonlTraceWriter, Monitor, MonitorGroup, MonitorLayout, MonitorNode,
    OPENMETRICS_FILE, OUTPUT_FILES, PERFETTO_FILE, PerfettoWriter, SeriesDetail, TraceEvent,
    TraceSink,
};
use crate::power::PowerModel;
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
/// (created if missing), and those of its monitoring outputs
/// ([`output_files`]).
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
    let header = scenario.trace_header();
    let jsonl = JsonlTraceWriter::new(BufWriter::new(file), header.clone())
        .map_err(writing(&trace_path))?;
    let perfetto_path = dir.join(PERFETTO_FILE);
    let perfetto = match scenario.outputs.perfetto {
        true => {
            let file = File::create(&perfetto_path).map_err(creating(&perfetto_path))?;
            Some(
                PerfettoWriter::new(BufWriter::new(file), &header)
                    .map_err(writing(&perfetto_path))?,
            )
        }
        false => None,
    };
    let mut sinks = Sinks {
        jsonl,
        monitor: scenario
            .outputs
            .openmetrics
            .map(|detail| Monitor::new(monitor_layout(scenario, detail))),
        perfetto,
    };
    let result = run(scenario, &mut sinks, on_progress);
    sinks
        .jsonl
        .finish(result.end, result.summary.stop_reason)
        .and_then(|mut out| io::Write::flush(&mut out))
        .map_err(writing(&trace_path))?;
    if let Some(perfetto) = sinks.perfetto {
        perfetto
            .finish(result.end)
            .and_then(|mut out| io::Write::flush(&mut out))
            .map_err(writing(&perfetto_path))?;
    }
    write_outputs(dir, scenario, &result)?;
    if let Some(mut monitor) = sinks.monitor {
        monitor.finish(result.end);
        let path = dir.join(OPENMETRICS_FILE);
        let file = File::create(&path).map_err(creating(&path))?;
        metrics::write_openmetrics(
            file,
            &monitor,
            &result.timeseries,
            scenario.cluster.total_gpus(),
        )
        .map_err(writing(&path))?;
    }
    Ok(result)
}

/// Every file `run_into_dir` writes for `scenario`: [`OUTPUT_FILES`], then
/// the monitoring outputs it asks for.
pub fn output_files(scenario: &Scenario) -> Vec<&'static str> {
    let mut files = OUTPUT_FILES.to_vec();
    if scenario.outputs.openmetrics.is_some() {
        files.push(OPENMETRICS_FILE);
    }
    if scenario.outputs.perfetto {
        files.push(PERFETTO_FILE);
    }
    files
}

/// The run's trace, and the monitoring sinks that follow it.
struct Sinks<W: io::Write, P: io::Write> {
    jsonl: JsonlTraceWriter<W>,
    monitor: Option<Monitor>,
    perfetto: Option<PerfettoWriter<P>>,
}

impl<W: io::Write, P: io::Write> TraceSink for Sinks<W, P> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.jsonl.record(event);
        if let Some(monitor) = self.monitor.as_mut() {
            monitor.record(event);
        }
        if let Some(perfetto) = self.perfetto.as_mut() {
            perfetto.record(event);
        }
    }

    fn detail(&mut self, detail: &JobDetail) {
        if let Some(monitor) = self.monitor.as_mut() {
            monitor.detail(detail);
        }
    }
}

/// What the monitor needs of `scenario`: nodes, GPU models and memory,
/// per-GPU power (when modelled), queue names, training jobs' memory.
pub fn monitor_layout(scenario: &Scenario, detail: SeriesDetail) -> MonitorLayout {
    let cluster = &scenario.cluster;
    let power = scenario
        .power
        .as_ref()
        .map(|spec| PowerModel::new(spec.clone(), cluster, scenario.network.fabric.as_ref()));
    let mib = |bytes: f64| (bytes / (1u64 << 20) as f64).round() as u64;
    MonitorLayout {
        nodes: (cluster.nodes.iter())
            .map(|n| MonitorNode {
                hostname: n.name.clone(),
                group: n.group,
                gpus: n.gpus,
            })
            .collect(),
        groups: (cluster.groups.iter().enumerate())
            .map(|(g, group)| MonitorGroup {
                gpu_model: group.gpu_model.name.clone(),
                gpu_memory_mib: mib(group.gpu_model.memory.as_u64() as f64),
                power: power.as_ref().map(|p| {
                    let gp = &p.groups[g];
                    GpuPower {
                        idle_share_mw: gp.idle_node_mw as f64 / f64::from(gp.gpus_per_node.max(1)),
                        busy_span_mw: gp.busy_gpu_span_mw,
                    }
                }),
            })
            .collect(),
        queues: match (&scenario.scheduler.kueue, &scenario.scheduler.volcano) {
            (Some(k), _) => k.cluster_queues.iter().map(|q| q.name.clone()).collect(),
            (None, Some(v)) => v.queues.iter().map(|q| q.name.clone()).collect(),
            (None, None) => (scenario.scheduler.partitions.iter())
                .map(|p| p.name.clone())
                .collect(),
        },
        quotas: scenario.scheduler.kueue.is_some() || scenario.scheduler.volcano.is_some(),
        training_fb_mib: (scenario.workload.training.iter())
            .map(|t| mib(t.ideal.memory.total_bytes))
            .collect(),
        job_activity: scenario
            .power
            .as_ref()
            .map_or(crate::power::DEFAULT_JOB_ACTIVITY, |p| p.job_activity),
        interval: scenario.outputs.timeseries_interval,
        detail,
    }
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
