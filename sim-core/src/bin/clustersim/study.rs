//! `clustersim study`: run a study on every core (or one shard of it),
//! and merge shards.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::study::{self, Progress, RunOptions, Shard, StudyError};
use sim_core::text::escape_control;

use crate::table::{Align, Table};
use crate::{Failure, check_out_dir, shown};

const EXAMPLES: &str = "\
Examples:
  clustersim study scenarios/studies/fcfs-easy-conservative.ron
  clustersim study scenarios/studies/fcfs-easy-conservative.ron --threads 1 --out out/teach
  clustersim study scenarios/studies/fcfs-easy-conservative.ron --shard 0/4 --out out/teach
  clustersim study merge out/teach";

/// The journal of a run (all of a study, or one shard) in its output
/// directory: finished replications, for resuming.
fn journal_path(dir: &Path, shard: Option<Shard>) -> PathBuf {
    match shard {
        None => dir.join("journal.jsonl"),
        Some(s) => study::shard_path(dir, s).with_extension("journal.jsonl"),
    }
}

#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = EXAMPLES
)]
pub struct StudyArgs {
    #[command(subcommand)]
    command: Option<StudyCommand>,
    /// The study file (RON): a base scenario, the fields to vary, the
    /// replications and the metrics to collect.
    #[arg(required = true)]
    study: Option<PathBuf>,
    /// Write the results here [default: out/<study name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Worker threads [default: one per core]. The results are the same
    /// whatever the count.
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    threads: usize,
    /// Run only shard I of N (0 <= I < N) and write DIR/shards/shard-I-of-N.json;
    /// `clustersim study merge DIR` then combines the N shards.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Forget the replications an interrupted run left in DIR and start over.
    #[arg(long)]
    fresh: bool,
    /// No progress bar and no timing on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Subcommand)]
enum StudyCommand {
    /// Combine the shards in DIR/shards into the results a one-machine run
    /// writes, byte for byte.
    Merge {
        /// The directory the shards were written to (their --out).
        dir: PathBuf,
        /// Write the results here [default: DIR].
        #[arg(long, value_name = "OUT")]
        out: Option<PathBuf>,
    },
}

pub fn run(args: StudyArgs, stdout: &mut dyn Write) -> Result<(), Failure> {
    match args.command {
        Some(StudyCommand::Merge { dir, out }) => {
            merge(&dir, out.as_deref().unwrap_or(&dir), stdout)
        }
        None => {
            let path = args.study.clone().expect("clap requires the study file");
            let shard = match &args.shard {
                Some(text) => Some(Shard::parse(text).map_err(|e| {
                    Failure::BadInput(format!("error: --shard {}", escape_control(&e)))
                })?),
                None => None,
            };
            run_study(&path, &args, shard, stdout)
        }
    }
}

fn run_study(
    path: &Path,
    args: &StudyArgs,
    shard: Option<Shard>,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    let loaded = study::load(path)?;
    for warning in &loaded.warnings {
        note!("{warning}");
    }
    let s = &loaded.study;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(&s.name));
    check_out_dir(&dir, &study::RESULT_FILES)?;
    let journal = journal_path(&dir, shard);
    if args.fresh && journal.exists() {
        std::fs::remove_file(&journal)
            .map_err(|e| Failure::Internal(format!("cannot remove {}: {e}", shown(&journal))))?;
    }
    let bar = StudyBar::new(!args.quiet);
    let started = Instant::now();
    let progress = |p: Progress| bar.update(p);
    let finished = study::run(
        &loaded,
        &RunOptions {
            threads: args.threads,
            shard,
            journal: Some(journal.clone()),
            progress: &progress,
        },
    )
    .map_err(|e| match e {
        StudyError::BadInput(e) => Failure::from(e),
        StudyError::Journal(message) => {
            Failure::BadInput(format!("error: {}", escape_control(&message)))
        }
        StudyError::Io(message) => Failure::Internal(message),
    })?;
    let rows = finished.rows;
    bar.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let written = match shard {
        Some(shard) => study::write_shard(&dir, s, shard, &rows),
        None => study::write_results(&dir, s, &rows).map(|()| dir.clone()),
    }
    .map_err(|e| Failure::Internal(format!("cannot write into {}: {e}", shown(&dir))))?;
    // Everything is in the results now; the journal has served.
    let _ = std::fs::remove_file(&journal);
    match shard {
        Some(shard) => writeln!(
            stdout,
            "shard {}/{} of study \"{}\": {} replications written to {}\nwhen every shard is done: clustersim study merge {}",
            shard.index,
            shard.count,
            escape_control(&s.name),
            rows.len(),
            shown(&written),
            shown(&dir)
        )
        .map_err(Failure::stdout)?,
        None => print_results(&dir, stdout)?,
    }
    if !args.quiet {
        let ran = rows.len() as u64 - finished.resumed.min(rows.len() as u64);
        note!(
            "{ran} replications run in {elapsed:.2} s wall time ({:.1} ms each, {} threads){}",
            1e3 * elapsed / (ran.max(1) as f64),
            match args.threads {
                0 => rayon_threads(),
                n => n,
            },
            match finished.resumed {
                0 => String::new(),
                n => format!("; {n} resumed from the journal"),
            }
        );
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn merge(dir: &Path, out: &Path, stdout: &mut dyn Write) -> Result<(), Failure> {
    check_out_dir(out, &study::RESULT_FILES)?;
    let merged = study::merge(dir, out).map_err(|e| match e {
        study::MergeError::BadInput(message) => Failure::BadInput(format!(
            "error: cannot merge the shards in {}:\n{}",
            shown(dir),
            (message.lines())
                .map(|line| format!("  {}", escape_control(line)))
                .collect::<Vec<_>>()
                .join("\n")
        )),
        study::MergeError::Io(message) => Failure::Internal(message),
    })?;
    writeln!(
        stdout,
        "merged {} shards of study \"{}\": {} replications",
        merged.shards,
        escape_control(&merged.study),
        merged.replications
    )
    .map_err(Failure::stdout)?;
    print_results(out, stdout)
}

/// Each point's mean and 95% interval of each metric, and where the
/// files are.
fn print_results(dir: &Path, stdout: &mut dyn Write) -> Result<(), Failure> {
    let results = study::read_results(dir).map_err(|e| Failure::Internal(e.to_string()))?;
    let interval = |d: &sim_core::study::stats::Describe| {
        if d.half_width.is_finite() {
            format!("{} ± {}", significant(d.mean), significant(d.half_width))
        } else {
            significant(d.mean)
        }
    };
    let mut columns: Vec<(String, Align)> = vec![("point".into(), Align::Right)];
    columns.extend(
        results
            .parameters
            .iter()
            .map(|p| (p.path.clone(), Align::Left)),
    );
    columns.push(("n".into(), Align::Right));
    columns.extend(results.metrics.iter().map(|m| (m.clone(), Align::Right)));
    let named: Vec<(&str, Align)> = columns.iter().map(|(n, a)| (n.as_str(), *a)).collect();
    let mut table = Table::new(&named);
    for point in &results.points {
        let mut cells = vec![point.index.to_string()];
        cells.extend(point.values.iter().cloned());
        cells.push(point.seeds.len().to_string());
        cells.extend(
            point
                .stats
                .iter()
                .map(|d| d.as_ref().map_or("-".into(), interval)),
        );
        table.row(cells);
    }
    // Each point against the baseline, paired by replication.
    let mut columns: Vec<(String, Align)> = vec![("point".into(), Align::Right)];
    columns.extend(
        results
            .parameters
            .iter()
            .map(|p| (p.path.clone(), Align::Left)),
    );
    columns.extend(
        results
            .metrics
            .iter()
            .map(|m| (format!("Δ {m}"), Align::Right)),
    );
    let named: Vec<(&str, Align)> = columns.iter().map(|(n, a)| (n.as_str(), *a)).collect();
    let mut paired = Table::new(&named);
    for point in results
        .points
        .iter()
        .filter(|p| p.index != results.baseline)
    {
        let mut cells = vec![point.index.to_string()];
        cells.extend(point.values.iter().cloned());
        cells.extend(
            point
                .differences
                .iter()
                .map(|d| d.as_ref().map_or("-".into(), interval)),
        );
        paired.row(cells);
    }
    writeln!(
        stdout,
        "study \"{}\": {} point(s); mean ± half-width of the 95% interval",
        escape_control(&results.name),
        results.points.len(),
    )
    .and_then(|()| table.write(stdout))
    .and_then(|()| {
        if results.points.len() < 2 {
            return Ok(());
        }
        writeln!(
            stdout,
            "\ndifference from point {} (paired by replication, 95% interval)",
            results.baseline
        )
        .and_then(|()| paired.write(stdout))
    })
    .and_then(|()| {
        writeln!(
            stdout,
            "results in {}: study.json, replications.csv, points.csv, differences.csv, plots/",
            shown(dir)
        )
    })
    .map_err(Failure::stdout)
}

/// Four significant digits, without an exponent for everyday magnitudes.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = 3 - x.abs().log10().floor() as i32;
    if (-1..=9).contains(&digits) || digits > 9 && x.abs() >= 1e-6 {
        format!("{x:.prec$}", prec = digits.max(0) as usize)
    } else {
        format!("{x:.3e}")
    }
}

/// A bar of replications done, with an ETA, when stderr is a terminal.
struct StudyBar {
    bar: Option<ProgressBar>,
}

impl StudyBar {
    fn new(wanted: bool) -> StudyBar {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} replications, eta {eta}",
                )
                .expect("the template is valid"),
            );
            bar
        });
        StudyBar { bar }
    }

    fn update(&self, progress: Progress) {
        if let Some(bar) = &self.bar {
            bar.set_length(progress.total);
            bar.set_position(progress.done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
