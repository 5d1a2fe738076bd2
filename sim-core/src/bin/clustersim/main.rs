//! `clustersim`: the command-line front end. A thin layer over `sim_core`:
//! parse arguments, load the scenario, run it, print and write results.
//!
//! Exit codes (an API boundary: scripts depend on them):
//! - 0: success, or stdout closed by its reader (`clustersim ... | head`):
//!   the reader has what it wanted, so the command ends at once without a
//!   word, with 0 as ripgrep does (not the shell's 141 of a SIGPIPE death);
//! - 2: bad input: the scenario, overrides, arguments, or a path that
//!   cannot serve (a directory given as a file, an `--out` that is a file
//!   or cannot be created: refused before the run starts);
//! - 1: internal error (an I/O failure such as a full disk while writing,
//!   or a bug: a panic is reported as one).
//!
//! Everything a command prints on stdout goes through one locked writer
//! that `main` hands it (no `print!`), so every write error, EPIPE
//! included, comes back as a value and decides the exit code here.
//! Anything non-deterministic (wall-clock time, speed) goes to stderr only.
//! Whatever the user typed and is printed back (paths, names, values, in
//! clap's errors too) goes through `text::escape_control`, so an argument
//! cannot drive the terminal.

/// `eprintln!` that never panics: with stderr closed (`2>&-`, or its
/// reader gone) there is nowhere to say anything, and that is no reason to
/// fail or to change the exit status.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod catalog;
mod collective;
mod compare;
mod generate;
mod import;
mod plan;
mod progress;
mod reliability;
mod report;
mod study;
mod study_launch;
mod table;
mod tco;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use sim_core::metrics::{self, OUTPUT_FILES};
use sim_core::scenario::{self, Loaded, ScenarioError, SetArg};
use sim_core::simulation;
use sim_core::text::escape_control;

const EXAMPLES: &str = "\
Examples:
  clustersim run scenarios/quickstart.ron
  clustersim run scenarios/quickstart.ron --set seed=7 --format json
  clustersim run scenarios/h100-128-nodes-day.ron --out out/day
  clustersim run scenarios/mmc-queue.ron --set workload.generators[0].count=100000
  clustersim compare scenarios/traces/sdsc-sp2.ron --a-set scheduler.backfill=None --b-set scheduler.backfill=Easy
  clustersim study scenarios/studies/fcfs-easy-conservative.ron
  clustersim validate scenarios/quickstart.ron --set cluster.node_groups[0].count=64
  clustersim tco on-prem.ron cloud.ron --years 5 --out out/tco
  clustersim catalog
  clustersim import slurm /etc/slurm/slurm.conf -o my-cluster.ron
  clustersim plan --model llama3-405b --tokens 15T --gpus 16384 --node DGX-H100 --tp 8 --pp 16 --virtual-stages 8 --global-batch 2048 --zero-stage 2 --recompute none --sequence-parallel --balance-embedding-stages";

const GENERATE_EXAMPLES: &str = "\
Examples:
  clustersim generate man > ~/.local/share/man/man1/clustersim.1
  clustersim generate complete-bash > ~/.local/share/bash-completion/completions/clustersim
  clustersim generate complete-zsh > ~/.zfunc/_clustersim
  clustersim generate complete-fish > ~/.config/fish/completions/clustersim.fish";

#[derive(Parser)]
#[command(
    name = "clustersim",
    version,
    about = "A deterministic discrete-event simulator of GPU clusters for AI training",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and report what happened.
    #[command(after_help = EXAMPLES)]
    Run {
        /// The scenario file (RON).
        scenario: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
        /// Write summary.json, jobs.csv, timeseries.csv and trace.jsonl here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also write metrics.om (OpenMetrics: dcgm-exporter's GPU gauges
        /// and queue gauges) into --out; same as `--set outputs.openmetrics=true`.
        #[arg(long, requires = "out")]
        openmetrics: bool,
        /// Also write trace.perfetto.json (open it in ui.perfetto.dev) into
        /// --out; same as `--set outputs.perfetto=true`.
        #[arg(long, requires = "out")]
        perfetto: bool,
        /// How to print the summary on stdout.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// No progress bar and no timing on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run two variants of a scenario and print their metrics side by side.
    ///
    /// `compare A.ron B.ron`, or `compare A.ron --b-set PATH=VALUE` for B =
    /// A with extra overrides. The `better` column names the side with the
    /// better value (lower waits, slowdown, makespan, losses; higher
    /// completions, utilization, throughput, Jain's index), `=` when equal.
    #[command(after_help = EXAMPLES)]
    Compare(compare::CompareArgs),
    /// nccl-tests on a scenario's cluster: time, algbw and busbw of a
    /// collective over a sweep of sizes.
    #[command(
        after_help = "Examples:\n  clustersim collective scenarios/hardware/ib-ndr-400g.ron --nodes 2 -b 8 -e 16G -f 2\n  clustersim collective scenarios/hardware/ib-ndr-400g.ron --op all_gather --algo ring"
    )]
    Collective(collective::CollectiveArgs),
    /// Run a study: replications and parameter sweeps of a scenario on
    /// every core, with 95% confidence intervals, paired differences and
    /// plots; or one shard of it, and merge shards.
    Study(study::StudyArgs),
    /// Check a scenario without running it.
    Validate {
        scenario: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Import a site's configuration as a commented scenario.
    #[command(subcommand)]
    Import(import::ImportKind),
    /// Plan an LLM training run: FLOPs, memory per GPU, step time, MFU,
    /// days, GPU-hours and cost.
    Plan(plan::PlanArgs),
    /// Total cost of ownership: run two or more options and project each
    /// one's cost over N years, as cash (capital up front, then running
    /// cost) and as book cost (depreciation).
    ///
    /// Each scenario needs a cost model: a `cost` section with the node
    /// models' `purchase_price` (on premise), or a node group's cloud
    /// `billing`. Every year is assumed to repeat the simulated span.
    Tco(tco::TcoArgs),
    /// Print the GPU and node models a scenario can use.
    Catalog {
        /// Include the models this scenario adds or overrides.
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a shell completion script or the man page.
    ///
    /// Both are generated from the definitions of the arguments above, so
    /// they always match this binary.
    #[command(after_help = GENERATE_EXAMPLES)]
    Generate {
        #[arg(value_enum)]
        kind: generate::Generated,
    },
}

#[derive(clap::Args)]
struct Overrides {
    /// Override any field: `--set seed=7`, `--set stop.horizon=36h`,
    /// `--set cluster.node_groups[0].count=64`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

impl Overrides {
    /// The `--set` arguments, labelled with their flag for diagnostics.
    fn args(&self) -> Vec<SetArg> {
        self.set.iter().map(SetArg::set).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Why the command failed, deciding the exit code.
enum Failure {
    BadInput(String),
    Internal(String),
    /// Stdout's reader has gone (EPIPE): a normal end, exit 0 quietly.
    StdoutClosed,
}

impl Failure {
    /// A failed write to stdout.
    fn stdout(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::StdoutClosed
        } else {
            Failure::Internal(format!("cannot write to stdout: {e}"))
        }
    }
}

/// A clap error with the control characters of the arguments it quotes
/// escaped (`escape_control`): clap echoes an unknown flag or a refused
/// value as it was typed, and only strips ESC sequences when stderr is
/// not a terminal.
fn escape_arguments(mut error: clap::Error) -> clap::Error {
    use clap::builder::StyledStr;
    use clap::error::ContextValue::{String as Text, Strings, StyledStr as Styled, StyledStrs};
    let has_control = |text: &str| text.chars().any(char::is_control);
    // A styled value (a tip) loses its styling only when it needs escaping.
    let plain = |styled: &StyledStr| match styled.to_string() {
        text if has_control(&text) => StyledStr::from(escaped(&text)),
        _ => styled.clone(),
    };
    let escaped: Vec<_> = (error.context())
        .filter_map(|(kind, value)| match value {
            Text(s) => Some((kind, Text(escaped(s)))),
            Strings(v) => Some((kind, Strings(v.iter().map(|s| escaped(s)).collect()))),
            Styled(s) => Some((kind, Styled(plain(s)))),
            StyledStrs(v) => Some((kind, StyledStrs(v.iter().map(plain).collect()))),
            _ => None,
        })
        .collect();
    for (kind, value) in escaped {
        error.insert(kind, value);
    }
    error
}

fn escaped(text: &str) -> String {
    escape_control(text).into_owned()
}

/// `value` as pretty JSON and a newline.
fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Self {
        Failure::BadInput(e.to_string())
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        note!(
            "internal error: {info}\nThis is a bug in clustersim; please report it with the scenario that triggered it."
        );
        std::process::exit(1);
    }));
    // Exits with 2 on bad arguments, 0 after --help or --version.
    let cli = Cli::try_parse().unwrap_or_else(|e| escape_arguments(e).exit());
    let stdout = io::stdout();
    let out = &mut stdout.lock();
    let outcome = match cli.command {
        Command::Run {
            scenario,
            overrides,
            out: dir,
            openmetrics,
            perfetto,
            format,
            quiet,
        } => run(
            &scenario,
            &[
                overrides.args(),
                (openmetrics.then(|| SetArg::new("--openmetrics", "outputs.openmetrics=true")))
                    .into_iter()
                    .chain(perfetto.then(|| SetArg::new("--perfetto", "outputs.perfetto=true")))
                    .collect(),
            ]
            .concat(),
            dir.as_deref(),
            format,
            quiet,
            out,
        ),
        Command::Compare(args) => compare::compare(args, out),
        Command::Study(args) => study::run(args, out),
        Command::Collective(args) => collective::run(args, out),
        Command::Plan(args) => plan::plan(args, out),
        Command::Tco(args) => tco::run(args, out),
        Command::Import(kind) => import::run(kind, out),
        Command::Validate {
            scenario,
            overrides,
        } => validate(&scenario, &overrides.args(), out),
        Command::Catalog { scenario, format } => {
            catalog::print(scenario.as_deref(), format == Format::Json, out)
        }
        Command::Generate { kind } => generate::write(kind, out),
    };
    match outcome.and_then(|()| out.flush().map_err(Failure::stdout)) {
        Ok(()) | Err(Failure::StdoutClosed) => ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => {
            // Scenario diagnostics carry their own `error:`; the commands'
            // own messages get it here, as every other error has it.
            if message.starts_with("error") {
                note!("{message}");
            } else {
                note!("error: {message}");
            }
            ExitCode::from(2)
        }
        Err(Failure::Internal(message)) => {
            note!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// A path as the user gave it, safe to print back (`escape_control`).
fn shown(path: &Path) -> String {
    escape_control(&path.display().to_string()).into_owned()
}

fn load(path: &Path, overrides: &[SetArg]) -> Result<Loaded, Failure> {
    let loaded = scenario::load_file(path, overrides)?;
    for warning in &loaded.warnings {
        note!("{warning}");
    }
    Ok(loaded)
}

/// [`load`] for the commands that read a scenario for its cluster only
/// (`collective`, `plan --scenario`): its workload may be empty.
fn load_cluster(path: &Path, overrides: &[SetArg]) -> Result<Loaded, Failure> {
    let loaded = scenario::load_cluster_file(path, overrides)?;
    for warning in &loaded.warnings {
        note!("{warning}");
    }
    Ok(loaded)
}

/// The node group named `name` of a scenario's cluster (`--group`), or
/// its first.
fn node_group<'a>(
    cluster: &'a sim_core::hardware::Cluster,
    name: Option<&str>,
    path: &Path,
) -> Result<&'a sim_core::hardware::NodeGroup, Failure> {
    match name {
        None => Ok(&cluster.groups[0]),
        Some(name) => cluster
            .groups
            .iter()
            .find(|g| g.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = cluster.groups.iter().map(|g| g.name.as_str()).collect();
                Failure::BadInput(format!(
                    "no node group `{}` in {}; use one of: {}",
                    escape_control(name),
                    shown(path),
                    escape_control(&names.join(", "))
                ))
            }),
    }
}

/// Events per second in the unit that shows it: `1.2 M`, `35.0 k`, `800`.
fn rate_per_s(events: u64, secs: f64) -> String {
    let rate = events as f64 / secs.max(1e-9);
    if rate >= 1e6 {
        format!("{:.1} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

fn validate(path: &Path, overrides: &[SetArg], out: &mut dyn Write) -> Result<(), Failure> {
    let loaded = load(path, overrides)?;
    let s = &loaded.scenario;
    writeln!(
        out,
        "ok: {}: scenario \"{}\", {} nodes, {} GPUs, about {} jobs{}",
        shown(path),
        escape_control(&s.name),
        s.cluster.node_count(),
        s.cluster.total_gpus(),
        s.workload.expected_job_count(),
        match loaded.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning(s) above"),
        }
    )
    .map_err(Failure::stdout)
}

fn run(
    path: &Path,
    overrides: &[SetArg],
    out: Option<&Path>,
    format: Format,
    quiet: bool,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    if let Some(dir) = out {
        check_out_dir(dir, &OUTPUT_FILES)?;
    }
    let loaded = load(path, overrides)?;
    let scenario = &loaded.scenario;
    let started = Instant::now();
    let mut bar = progress::DelayedBar::new(!quiet);
    let files = simulation::output_files(scenario);
    if let Some(dir) = out {
        check_out_dir(dir, &files)?;
    }
    let result = match out {
        Some(dir) => simulation::run_into_dir(dir, scenario, &mut |p| bar.update(p)).map_err(|e| {
            match e.creating {
                true => out_failure("cannot create", &e.path, e.error),
                false => Failure::Internal(format!("cannot write {}: {}", shown(&e.path), e.error)),
            }
        }),
        None => Ok(simulation::run(scenario, &mut (), &mut |p| bar.update(p))),
    };
    bar.finish();
    let result = result?;
    let elapsed = started.elapsed();

    match format {
        Format::Json => metrics::write_summary_json(&mut *stdout, &result.summary),
        Format::Text => report::write_text(stdout, &result, out.map(|dir| (dir, &files[..]))),
    }
    .and_then(|()| stdout.flush())
    .map_err(Failure::stdout)?;
    if !quiet {
        let secs = elapsed.as_secs_f64();
        note!(
            "simulated {} events in {:.3} s wall time ({} events/s)",
            result.summary.events,
            secs,
            rate_per_s(result.summary.events, secs)
        );
    }
    Ok(())
}

/// How to fix an `--out` that cannot be written.
const OUT_FIX: &str =
    "give --out a directory you can write (it is created if missing), such as out/run1";

/// Refuses, before anything runs, an `--out` that cannot become the
/// output directory: a file, a path below a file, or a directory where an
/// output file (one of `files`) must go.
fn check_out_dir(dir: &Path, files: &[&str]) -> Result<(), Failure> {
    let refuse = |why: String| {
        Err(Failure::BadInput(format!(
            "--out {}: {why}; {OUT_FIX}",
            shown(dir)
        )))
    };
    let mut ancestors = dir.ancestors().filter(|a| !a.as_os_str().is_empty());
    if let Some(file) = ancestors.find(|a| a.exists() && !a.is_dir()) {
        return refuse(if file == dir {
            "is a file, but it must be a directory".to_string()
        } else {
            format!(
                "{} is a file, so no directory can be made below it",
                shown(file)
            )
        });
    }
    match files.iter().map(|f| dir.join(f)).find(|f| f.is_dir()) {
        Some(taken) => refuse(format!(
            "{} is a directory, where an output file must go",
            shown(&taken)
        )),
        None => Ok(()),
    }
}

/// A failure to create the output directory or a file in it: bad input
/// (exit 2) when the path is the problem, an I/O failure otherwise.
fn out_failure(what: &str, path: &Path, e: io::Error) -> Failure {
    use io::ErrorKind::{
        AlreadyExists, IsADirectory, NotADirectory, NotFound, PermissionDenied, ReadOnlyFilesystem,
    };
    let message = format!("{what} {}: {e}", shown(path));
    match e.kind() {
        AlreadyExists | IsADirectory | NotADirectory | NotFound | PermissionDenied
        | ReadOnlyFilesystem => Failure::BadInput(format!("{message}; {OUT_FIX}")),
        _ => Failure::Internal(message),
    }
}
