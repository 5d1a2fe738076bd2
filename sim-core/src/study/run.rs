//! Running a study's replications: all of them, or one shard's slice, on a
//! rayon pool, each appended to a journal as it finishes.
//!
//! Invariants: the rows returned are sorted by (point, replication) and
//! are the same whatever the thread count (each replication is a pure
//! function of its scenario and seed); under a stopping rule, each round
//! runs whole batches, and which points need another batch is decided on
//! the rows sorted in replication order after the round, so the number of
//! replications never depends on which finished first. A shard runs every
//! replication of its slice up to the rule's maximum (it cannot see the
//! other shards' rows); the merge applies the rule to the union, which
//! gives the same count as a one-machine run.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::file::{FORMAT, JournalHeader, RowRecord};
use super::metric::{Lookup, leaf_paths, lookup};
use super::plan::LoadedStudy;
use super::{Row, Rule, Study};
use crate::scenario::{Finding, ScenarioError};
use crate::simulation;
use crate::text::did_you_mean;

/// A slice of a study's replications: those whose task number `t` (tasks
/// numbered point-major over the rule's maximum replications) has
/// `t % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` (0 <= I < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text.split_once('/').ok_or_else(|| {
            format!("`{text}` is not I/N: write the shard as 3/8 (the fourth of eight)")
        })?;
        let parse = |s: &str| {
            s.trim().parse::<u64>().map_err(|_| {
                format!("`{text}`: `{s}` is not a whole number; write the shard as I/N, like 3/8")
            })
        };
        let (index, count) = (parse(i)?, parse(n)?);
        if count == 0 {
            return Err(format!(
                "`{text}`: a study cannot be cut into 0 shards; N is 1 or more"
            ));
        }
        if index >= count {
            return Err(format!(
                "`{text}`: shard indices run from 0 to {} (N - 1); got {index}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }

    fn holds(&self, task: u64) -> bool {
        task % self.count == self.index
    }
}

/// Where a study stands, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Replications finished (those from the journal included).
    pub done: u64,
    /// Replications known to be needed so far (a stopping rule may add).
    pub total: u64,
}

/// How to run a study.
pub struct RunOptions<'a> {
    /// Worker threads; 0: one per core.
    pub threads: usize,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// Append each finished replication here, and resume from what it
    /// holds (`None`: keep nothing).
    pub journal: Option<PathBuf>,
    /// Keep each replication's output files (`summary.json`, `jobs.csv`,
    /// `timeseries.csv`, `trace.jsonl`) in [`run_dir`] below this
    /// directory, written as it runs (`None`: keep nothing but the row).
    pub keep_runs: Option<PathBuf>,
    /// Called after each replication, from the worker that ran it.
    pub progress: &'a (dyn Fn(Progress) + Sync),
}

impl RunOptions<'static> {
    /// The whole study on `threads` workers (0: one per core), with no
    /// journal, no kept runs and no progress reports.
    pub fn quiet(threads: usize) -> Self {
        RunOptions {
            threads,
            shard: None,
            journal: None,
            keep_runs: None,
            progress: &no_progress,
        }
    }
}

fn no_progress(_: Progress) {}

/// Why a study could not run.
#[derive(Debug)]
pub enum StudyError {
    /// The study file asks for something the runs cannot give (a metric
    /// the summary does not have): bad input, located in the file.
    BadInput(ScenarioError),
    /// The journal belongs to another study, or cannot be read: bad input,
    /// with the fix.
    Journal(String),
    /// Writing the journal failed.
    Io(String),
}

/// What a run of a study did.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// The replications, sorted by (point, replication).
    pub rows: Vec<Row>,
    /// How many of them came from the journal rather than a run.
    pub resumed: u64,
}

/// Runs the study's replications (or the shard's), resuming from the
/// journal.
pub fn run(loaded: &LoadedStudy, options: &RunOptions) -> Result<Finished, StudyError> {
    let study = &loaded.study;
    let slice = options.shard.map_or("all".to_string(), |s| s.label());
    let mut done: BTreeMap<(usize, u64), Row> = BTreeMap::new();
    let journal = match &options.journal {
        Some(path) => Some(Journal::open(path, study, &slice, &mut done)?),
        None => None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| StudyError::Io(format!("cannot start the worker threads: {e}")))?;
    let resumed = done.len() as u64;
    let finished = AtomicU64::new(resumed);
    let max = study.rule.max_replications();
    let in_slice = |point: usize, replication: u64| {
        options
            .shard
            .is_none_or(|s| s.holds(point as u64 * max + replication))
    };
    // The replications each point needs so far.
    let mut wanted: Vec<u64> = match (study.rule, options.shard) {
        (Rule::Fixed(n), _) => vec![n; study.points.len()],
        (Rule::Until { max, .. }, Some(_)) => vec![max; study.points.len()],
        (Rule::Until { min, .. }, None) => vec![min; study.points.len()],
    };
    let mut checked_metrics = !done.is_empty();
    loop {
        let mut tasks: Vec<(usize, u64)> = (0..study.points.len())
            .flat_map(|p| (0..wanted[p]).map(move |r| (p, r)))
            .filter(|&(p, r)| in_slice(p, r) && !done.contains_key(&(p, r)))
            .collect();
        let total = finished.load(Ordering::Relaxed) + tasks.len() as u64;
        (options.progress)(Progress {
            done: finished.load(Ordering::Relaxed),
            total,
        });
        if !checked_metrics && let Some(&(p, r)) = tasks.first() {
            // The first run is checked against the metric paths before the
            // others start: a misspelt metric costs one run, not a study.
            let (row, summary) = replicate(loaded, p, r, &options.keep_runs)?;
            check_metrics(loaded, &summary)?;
            record(&journal, &row)?;
            let now = finished.fetch_add(1, Ordering::Relaxed) + 1;
            (options.progress)(Progress { done: now, total });
            done.insert((p, r), row);
            tasks.remove(0);
            checked_metrics = true;
        }
        let rows: Result<Vec<Row>, StudyError> = pool.install(|| {
            tasks
                .par_iter()
                .map(|&(p, r)| {
                    let (row, _) = replicate(loaded, p, r, &options.keep_runs)?;
                    record(&journal, &row)?;
                    let now = finished.fetch_add(1, Ordering::Relaxed) + 1;
                    (options.progress)(Progress { done: now, total });
                    Ok(row)
                })
                .collect()
        });
        for row in rows? {
            done.insert((row.point, row.replication), row);
        }
        let Rule::Until { metric, .. } = study.rule else {
            break;
        };
        if options.shard.is_some() {
            break;
        }
        let mut more = false;
        for (p, want) in wanted.iter_mut().enumerate() {
            let samples: Vec<Option<f64>> = (0..*want)
                .map(|r| done.get(&(p, r)).and_then(|row| row.metrics[metric]))
                .collect();
            if let Target::Need(n) = target(&study.rule, &samples) {
                *want = n;
                more = true;
            }
        }
        if !more {
            break;
        }
    }
    // Under a stopping rule a point keeps the replications the rule
    // decided on (a journal may hold more from an interrupted round).
    Ok(Finished {
        rows: (done.into_values())
            .filter(|row| row.replication < wanted[row.point])
            .collect(),
        resumed,
    })
}

/// What a stopping rule makes of a point's samples so far.
pub(super) enum Target {
    /// It stops at this many.
    Done,
    /// It needs this many before deciding again.
    Need(u64),
}

pub(super) fn target(rule: &Rule, samples: &[Option<f64>]) -> Target {
    match rule.replications_needed(samples) {
        Some(_) => Target::Done,
        None => {
            // The first batch boundary past what is there.
            let Rule::Until {
                min, max, batch, ..
            } = *rule
            else {
                return Target::Need(rule.max_replications());
            };
            let mut n = min;
            while n <= samples.len() as u64 && n < max {
                n = (n + batch).min(max);
            }
            Target::Need(n)
        }
    }
}

/// Where replication `replication` of point `point` keeps its output
/// files, below a study's `keep_runs` directory.
pub fn run_dir(keep_runs: &Path, point: usize, replication: u64) -> PathBuf {
    keep_runs.join(format!("point-{point}/replication-{replication}"))
}

/// Runs replication `replication` of point `point` (keeping its output
/// files below `keep_runs`): the row, and the summary it came from.
fn replicate(
    loaded: &LoadedStudy,
    point: usize,
    replication: u64,
    keep_runs: &Option<PathBuf>,
) -> Result<(Row, serde_json::Value), StudyError> {
    let study = &loaded.study;
    let seed = study.seeds.seed(point, replication);
    let mut scenario = (*loaded.scenarios[point]).clone();
    scenario.seed = seed;
    let result = match keep_runs {
        Some(dir) => {
            simulation::run_into_dir(&run_dir(dir, point, replication), &scenario, &mut |_| {})
                .map_err(|e| StudyError::Io(e.to_string()))?
        }
        None => simulation::run(&scenario, &mut (), &mut |_| {}),
    };
    let summary = serde_json::to_value(&result.summary).unwrap_or(serde_json::Value::Null);
    let metrics = (study.metrics.iter())
        .map(|m| match lookup(&summary, m) {
            Lookup::Number(x) => Some(x),
            _ => None,
        })
        .collect();
    let row = Row {
        point,
        replication,
        seed,
        metrics,
    };
    Ok((row, summary))
}

/// Every metric of the study names a number (or a null) in `summary`.
fn check_metrics(loaded: &LoadedStudy, summary: &serde_json::Value) -> Result<(), StudyError> {
    let study: &Study = &loaded.study;
    let available = leaf_paths(summary);
    let mut problems = Vec::new();
    for (i, metric) in study.metrics.iter().enumerate() {
        let problem = match lookup(summary, metric) {
            Lookup::Number(_) | Lookup::Null => continue,
            Lookup::Missing {
                found_up_to,
                choices,
            } => (
                if found_up_to.is_empty() {
                    format!("the summary has no `{metric}`")
                } else {
                    format!(
                        "the summary has no `{metric}`: `{found_up_to}` holds {}",
                        choices.join(", ")
                    )
                },
                did_you_mean(metric, available.iter().map(String::as_str)).map(str::to_string),
            ),
            Lookup::Group { choices } => (
                format!(
                    "`{metric}` is a group, not a number: it holds {}",
                    choices.join(", ")
                ),
                choices.first().map(|c| format!("{metric}.{c}")),
            ),
        };
        let path = match study.rule {
            Rule::Until { metric: m, .. }
                if m == i && !loaded.document.has(&format!("metrics[{i}]")) =>
            {
                "replications.metric".to_string()
            }
            _ => format!("metrics[{i}]"),
        };
        problems.push(Finding {
            path,
            message: problem.0,
            found: Some(format!("\"{metric}\"")),
            expected: Some(format!(
                "a path to a number in the summary JSON, one of: {}",
                abbreviated(&available)
            )),
            fix: Some(match problem.1 {
                Some(s) => format!("did you mean \"{s}\"? (`clustersim run SCENARIO --format json` shows the summary)"),
                None => "pick a path from `clustersim run SCENARIO --format json`".into(),
            }),
        });
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StudyError::BadInput(ScenarioError {
            diagnostics: problems
                .into_iter()
                .map(|f| loaded.document.error(f))
                .collect(),
        }))
    }
}

/// The first dozen of a list, and how many more.
fn abbreviated(items: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(", ... ({} more)", items.len() - SHOWN));
    }
    text
}

/// The append-only record of finished replications.
struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Opens (or starts) the journal at `path`, loading the rows it holds
    /// into `done`. A torn last line (the process stopped mid-write) is
    /// dropped; anything else unreadable is refused.
    fn open(
        path: &Path,
        study: &Study,
        slice: &str,
        done: &mut BTreeMap<(usize, u64), Row>,
    ) -> Result<Journal, StudyError> {
        let header = JournalHeader {
            format: FORMAT,
            study: study.name.clone(),
            fingerprint: format!("{:016x}", study.fingerprint),
            slice: slice.to_string(),
        };
        let shown = path.display();
        let fresh =
            || format!("delete {shown} (or run with --fresh) to start over, or use another --out");
        // A journal without a finished replication holds nothing worth
        // keeping (a run stopped by a misspelt metric): start it anew.
        // (The header and one whole row are two lines.)
        let worth_keeping =
            std::fs::read(path).is_ok_and(|text| text.iter().filter(|&&b| b == b'\n').count() >= 2);
        if worth_keeping {
            let reader = BufReader::new(
                File::open(path)
                    .map_err(|e| StudyError::Io(format!("cannot read {shown}: {e}")))?,
            );
            let lines: Vec<String> = reader.lines().collect::<Result<_, _>>().map_err(|e| {
                StudyError::Journal(format!("cannot read the journal {shown}: {e}; {}", fresh()))
            })?;
            let mut lines = lines.into_iter().peekable();
            match lines
                .next()
                .map(|l| serde_json::from_str::<JournalHeader>(&l))
            {
                Some(Ok(h)) if h == header => {}
                Some(Ok(h)) => {
                    return Err(StudyError::Journal(format!(
                        "{shown} holds replications of {} (study `{}`, fingerprint {}, slice {}), not of this one (study `{}`, fingerprint {}, slice {}): the study file or its scenario changed, or another study wrote there; {}",
                        if h.fingerprint == header.fingerprint {
                            "another slice"
                        } else {
                            "another study"
                        },
                        h.study,
                        h.fingerprint,
                        h.slice,
                        header.study,
                        header.fingerprint,
                        header.slice,
                        fresh()
                    )));
                }
                _ => {
                    return Err(StudyError::Journal(format!(
                        "{shown} is not a study journal; {}",
                        fresh()
                    )));
                }
            }
            let max = study.rule.max_replications();
            while let Some(line) = lines.next() {
                let last = lines.peek().is_none();
                match serde_json::from_str::<RowRecord>(&line) {
                    Ok(r)
                        if (r.point as usize) < study.points.len()
                            && r.replication < max
                            && r.metrics.len() == study.metrics.len() =>
                    {
                        done.insert(
                            (r.point as usize, r.replication),
                            Row {
                                point: r.point as usize,
                                replication: r.replication,
                                seed: r.seed,
                                metrics: r.metrics,
                            },
                        );
                    }
                    Err(_) if last => {}
                    _ => {
                        return Err(StudyError::Journal(format!(
                            "{shown} has a line that is not a replication of this study: `{line}`; {}",
                            fresh()
                        )));
                    }
                }
            }
            let mut file = OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(|e| StudyError::Io(format!("cannot append to {shown}: {e}")))?;
            // A torn last line ends without a newline: start afresh on the next.
            let text = std::fs::read(path)
                .map_err(|e| StudyError::Io(format!("cannot read {shown}: {e}")))?;
            if !text.ends_with(b"\n") {
                file.write_all(b"\n")
                    .map_err(|e| StudyError::Io(format!("cannot write {shown}: {e}")))?;
            }
            Ok(Journal {
                file: Mutex::new(file),
            })
        } else {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StudyError::Io(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let mut file = File::create(path)
                .map_err(|e| StudyError::Io(format!("cannot create {shown}: {e}")))?;
            let mut line = serde_json::to_string(&header).unwrap_or_default();
            line.push('\n');
            file.write_all(line.as_bytes())
                .map_err(|e| StudyError::Io(format!("cannot write {shown}: {e}")))?;
            Ok(Journal {
                file: Mutex::new(file),
            })
        }
    }
}

/// Appends a finished row to the journal, if there is one, in one write.
fn record(journal: &Option<Journal>, row: &Row) -> Result<(), StudyError> {
    let Some(journal) = journal else {
        return Ok(());
    };
    let mut line = serde_json::to_string(&RowRecord {
        point: row.point as u64,
        replication: row.replication,
        seed: row.seed,
        metrics: row.metrics.clone(),
    })
    .unwrap_or_default();
    line.push('\n');
    let mut file = journal.file.lock().unwrap_or_else(|e| e.into_inner());
    file.write_all(line.as_bytes())
        .map_err(|e| StudyError::Io(format!("cannot write the journal: {e}")))
}
