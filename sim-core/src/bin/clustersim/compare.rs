//! `clustersim compare`: run two variants of a scenario and print their key
//! metrics side by side, with the differences.
//!
//! The variants are two files (`compare A.ron B.ron`) or one file with
//! different overrides (`compare A.ron --b-set scheduler.backfill=Easy`).
//! `--set` applies to both, `--a-set` / `--b-set` to one, after `--set`.
//! Both scenarios are loaded (and any mistake reported, exit code 2) before
//! either runs; the runs are sequential, A then B, each exactly as `run`
//! would do it, so each summary equals the one `run` prints.
//!
//! The `better` column names the side with the better value where a
//! direction is clear: lower is better for waits, slowdown, makespan,
//! killed/refused/preempted jobs, preemptions and lost GPU-hours; higher
//! is better for completed jobs, GPU utilization, throughput and Jain's
//! index. `=` when equal; empty for the rest (submitted jobs, backfilled
//! jobs, jobs running or pending at the end, stop reason), where more is
//! neither better nor worse in itself.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::ser::{Serialize, SerializeMap, Serializer};
use sim_core::metrics::{Summary, TrainingJobSummary};
use sim_core::scenario::SetArg;
use sim_core::simulation;
use sim_core::text::escape_control;

use super::report::human;
use super::table::{Align, Table};
use super::{Failure, Format, Overrides, load, progress, write_json};

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Scenario A (RON).
    a: PathBuf,
    /// Scenario B (RON); A's file when left out (then tell them apart with
    /// --a-set / --b-set).
    b: Option<PathBuf>,
    #[command(flatten)]
    overrides: Overrides,
    /// Override a field of A only, after --set. Repeatable.
    #[arg(long = "a-set", value_name = "PATH=VALUE")]
    a_set: Vec<String>,
    /// Override a field of B only, after --set. Repeatable.
    #[arg(long = "b-set", value_name = "PATH=VALUE")]
    b_set: Vec<String>,
    /// A's name in the output [default: the file stem, plus the --a-set
    /// arguments when both variants use the same file].
    #[arg(long, value_name = "TEXT")]
    a_label: Option<String>,
    /// B's name in the output [default: as for A, with --b-set].
    #[arg(long, value_name = "TEXT")]
    b_label: Option<String>,
    /// How to print the comparison on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// No progress bar and no timing on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// One side of the comparison.
struct Variant {
    label: String,
    path: PathBuf,
    /// `--set`'s arguments, then this side's `--a-set` or `--b-set`.
    overrides: Vec<SetArg>,
}

pub fn compare(args: CompareArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let b_path = args.b.clone().unwrap_or_else(|| args.a.clone());
    let same_file = same_file(&args.a, &b_path);
    let identical = same_file && args.a_set == args.b_set;
    let with = |flag: &'static str, extra: &[String]| -> Vec<SetArg> {
        let own = extra.iter().map(|a| SetArg::new(flag, a.as_str()));
        args.overrides.args().into_iter().chain(own).collect()
    };
    let default_label = |path: &Path, other: &Path, extra: &[String]| {
        let stem = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        if same_file {
            if extra.is_empty() {
                stem
            } else {
                format!("{stem} [{}]", extra.join(", "))
            }
        } else if path.file_stem() == other.file_stem() {
            // Two files of the same name in different directories.
            path.display().to_string()
        } else {
            stem
        }
    };
    let a = Variant {
        label: args
            .a_label
            .clone()
            .unwrap_or_else(|| default_label(&args.a, &b_path, &args.a_set)),
        path: args.a.clone(),
        overrides: with("--a-set", &args.a_set),
    };
    let b = Variant {
        label: args
            .b_label
            .clone()
            .unwrap_or_else(|| default_label(&b_path, &args.a, &args.b_set)),
        path: b_path,
        overrides: with("--b-set", &args.b_set),
    };

    // Both load before either runs: a mistake in B costs no run of A.
    let loaded_a = load_variant("A", &a)?;
    let loaded_b = load_variant("B", &b)?;
    let summary_a = run_variant("A", &loaded_a.scenario, args.quiet);
    let summary_b = run_variant("B", &loaded_b.scenario, args.quiet);

    let rows = rows(&summary_a, &summary_b);
    match args.format {
        Format::Text => write_text(out, (&a, &summary_a), (&b, &summary_b), &rows, identical),
        Format::Json => {
            if identical {
                note!("note: {IDENTICAL}");
            }
            write_comparison_json(out, (&a, &summary_a), (&b, &summary_b), &rows, identical)
        }
    }
    .map_err(Failure::stdout)
}

const IDENTICAL: &str =
    "A and B are the same file with the same overrides: the variants are identical";

/// Whether two paths name the same file (as given when either cannot be
/// resolved; loading reports that).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn load_variant(side: &str, v: &Variant) -> Result<super::Loaded, Failure> {
    load(&v.path, &v.overrides).map_err(|failure| match failure {
        Failure::BadInput(message) => Failure::BadInput(format!(
            "{message}\n(while loading variant {side}, {})",
            escape_control(&v.label)
        )),
        other => other,
    })
}

/// One run, as `clustersim run` does it (without output files).
fn run_variant(side: &str, scenario: &sim_core::scenario::Scenario, quiet: bool) -> Summary {
    let started = Instant::now();
    let mut bar = progress::DelayedBar::new(!quiet);
    let result = simulation::run(scenario, &mut (), &mut |p| bar.update(p));
    bar.finish();
    if !quiet {
        let secs = started.elapsed().as_secs_f64();
        note!(
            "{side}: simulated {} events in {:.3} s wall time ({} events/s)",
            result.summary.events,
            secs,
            super::rate_per_s(result.summary.events, secs)
        );
    }
    result.summary
}

/// A metric's value on one side.
#[derive(Clone, Copy, PartialEq)]
enum Value {
    Count(u64),
    Real(Option<f64>),
    Text(&'static str),
}

impl Value {
    fn number(self) -> Option<f64> {
        match self {
            Value::Count(n) => Some(n as f64),
            Value::Real(x) => x,
            Value::Text(_) => None,
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Count(n) => s.serialize_u64(n),
            Value::Real(x) => x.serialize(s),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Count,
    /// Seconds, shown as a human duration.
    Duration,
    /// A fraction, shown as a percentage; its delta in percentage points.
    Percent,
    Fixed(usize),
    Text,
}

#[derive(Clone, Copy, PartialEq)]
enum Better {
    Lower,
    Higher,
    Neither,
}

/// One row of the comparison.
struct Row {
    name: &'static str,
    /// The summary key it comes from, dotted: `wait_s.p95`.
    key: &'static str,
    style: Style,
    better: Better,
    a: Value,
    b: Value,
}

impl Row {
    /// b - a; exact integers for counts.
    fn delta(&self) -> Option<DeltaValue> {
        match (self.a, self.b) {
            (Value::Count(a), Value::Count(b)) => Some(DeltaValue::Int(b as i128 - a as i128)),
            _ => Some(DeltaValue::Real(self.b.number()? - self.a.number()?)),
        }
    }

    /// b / a; `None` when a is 0 or either side has no value.
    fn ratio(&self) -> Option<f64> {
        let (a, b) = (self.a.number()?, self.b.number()?);
        (a != 0.0).then(|| b / a)
    }

    /// Which side is better: "A", "B", "=", or "" when no direction is
    /// better or a side has no value.
    fn better(&self) -> &'static str {
        let (Some(a), Some(b)) = (self.a.number(), self.b.number()) else {
            return "";
        };
        match self.better {
            Better::Neither => "",
            _ if a == b => "=",
            Better::Lower if a < b => "A",
            Better::Higher if a > b => "A",
            _ => "B",
        }
    }
}

#[derive(Clone, Copy)]
enum DeltaValue {
    Int(i128),
    Real(f64),
}

impl Serialize for DeltaValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            DeltaValue::Int(n) => s.serialize_i128(n),
            DeltaValue::Real(x) => s.serialize_f64(x),
        }
    }
}

fn rows(a: &Summary, b: &Summary) -> Vec<Row> {
    use Better::{Higher, Lower, Neither};
    use Style::{Count, Duration, Fixed, Percent, Text};
    type Get = fn(&Summary) -> Value;
    let table: [(&str, &str, Style, Better, Get); 24] = [
        ("jobs submitted", "jobs.submitted", Count, Neither, |s| {
            Value::Count(s.jobs.submitted)
        }),
        ("jobs completed", "jobs.completed", Count, Higher, |s| {
            Value::Count(s.jobs.completed)
        }),
        ("jobs killed", "jobs.killed", Count, Lower, |s| {
            Value::Count(s.jobs.killed)
        }),
        ("jobs refused", "jobs.refused", Count, Lower, |s| {
            Value::Count(s.jobs.refused)
        }),
        ("jobs preempted", "jobs.preempted", Count, Lower, |s| {
            Value::Count(s.jobs.preempted)
        }),
        ("makespan", "makespan_s", Duration, Lower, |s| {
            Value::Real(Some(s.makespan_s))
        }),
        ("GPU utilization", "gpu_utilization", Percent, Higher, |s| {
            Value::Real(Some(s.gpu_utilization))
        }),
        ("wait mean", "wait_s.mean", Duration, Lower, |s| {
            Value::Real(s.wait_s.mean)
        }),
        ("wait median", "wait_s.median", Duration, Lower, |s| {
            Value::Real(s.wait_s.median)
        }),
        ("wait p95", "wait_s.p95", Duration, Lower, |s| {
            Value::Real(s.wait_s.p95)
        }),
        ("wait max", "wait_s.max", Duration, Lower, |s| {
            Value::Real(s.wait_s.max)
        }),
        (
            "bounded slowdown mean",
            "bounded_slowdown_mean",
            Fixed(2),
            Lower,
            |s| Value::Real(s.bounded_slowdown_mean),
        ),
        (
            "throughput (jobs/h)",
            "throughput_jobs_per_hour",
            Fixed(2),
            Higher,
            |s| Value::Real(Some(s.throughput_jobs_per_hour)),
        ),
        (
            "backfilled jobs",
            "scheduling.backfilled_jobs",
            Count,
            Neither,
            |s| Value::Count(s.scheduling.backfilled_jobs),
        ),
        ("preemptions", "scheduling.preemptions", Count, Lower, |s| {
            Value::Count(s.scheduling.preemptions)
        }),
        (
            "lost GPU-hours",
            "scheduling.lost_gpu_hours",
            Fixed(1),
            Lower,
            |s| Value::Real(Some(s.scheduling.lost_gpu_hours)),
        ),
        (
            "Jain's index",
            "fairness.jain_index",
            Fixed(3),
            Higher,
            |s| Value::Real(s.fairness.as_ref().and_then(|f| f.jain_index)),
        ),
        (
            "training step (mean)",
            "training[].step_s",
            Fixed(3),
            Lower,
            |s| Value::Real(training_mean(s, |t| t.step_s)),
        ),
        (
            "training MFU (mean)",
            "training[].mfu",
            Percent,
            Higher,
            |s| Value::Real(training_mean(s, |t| t.mfu)),
        ),
        (
            "training tokens/s (sum)",
            "training[].tokens_per_s",
            Fixed(0),
            Higher,
            |s| Value::Real(training_sum(s, |t| t.tokens_per_s)),
        ),
        (
            "training GPU-hours",
            "training[].gpu_hours",
            Fixed(1),
            Lower,
            |s| Value::Real(training_sum(s, |t| t.gpu_hours)),
        ),
        (
            "training cost ($)",
            "training[].cost_usd",
            Fixed(0),
            Lower,
            |s| Value::Real(training_sum(s, |t| t.cost_usd)),
        ),
        (
            "running at end",
            "jobs.running_at_end",
            Count,
            Neither,
            |s| Value::Count(s.jobs.running_at_end),
        ),
        (
            "pending at end",
            "jobs.pending_at_end",
            Count,
            Neither,
            |s| Value::Count(s.jobs.pending_at_end),
        ),
    ];
    let mut rows: Vec<Row> = table
        .into_iter()
        .map(|(name, key, style, better, get)| Row {
            name,
            key,
            style,
            better,
            a: get(a),
            b: get(b),
        })
        // Jain's index and training figures only when both runs have them.
        .filter(|r| {
            !(r.key == "fairness.jain_index" || r.key.starts_with("training"))
                || (r.a.number().is_some() && r.b.number().is_some())
        })
        .collect();
    rows.push(Row {
        name: "stop reason",
        key: "stop_reason",
        style: Text,
        better: Neither,
        a: Value::Text(a.stop_reason.as_str()),
        b: Value::Text(b.stop_reason.as_str()),
    });
    rows
}

/// Mean of a training figure over a run's training jobs (`None` without).
fn training_mean(s: &Summary, f: fn(&TrainingJobSummary) -> f64) -> Option<f64> {
    let n = s.training.len();
    (n > 0).then(|| s.training.iter().map(f).sum::<f64>() / n as f64)
}

/// Sum of a training figure over a run's training jobs (`None` without).
fn training_sum(s: &Summary, f: fn(&TrainingJobSummary) -> f64) -> Option<f64> {
    (!s.training.is_empty()).then(|| s.training.iter().map(f).sum())
}

/// A value as the table shows it.
fn show(style: Style, v: Value) -> String {
    match (style, v) {
        (_, Value::Text(t)) => t.replace('_', " "),
        (_, Value::Count(n)) => n.to_string(),
        (_, Value::Real(None)) => "-".into(),
        (Style::Duration, Value::Real(x)) => human(x),
        (Style::Percent, Value::Real(Some(x))) => format!("{:.1}%", x * 100.0),
        (Style::Fixed(d), Value::Real(Some(x))) => format!("{x:.d$}"),
        (Style::Count | Style::Text, Value::Real(Some(x))) => x.to_string(),
    }
}

/// b - a as the table shows it, with its sign.
fn show_delta(row: &Row) -> String {
    let Some(delta) = row.delta() else {
        return if row.style == Style::Text {
            String::new()
        } else {
            "-".into()
        };
    };
    let sign = |negative: bool| if negative { "-" } else { "+" };
    match delta {
        DeltaValue::Int(0) => "0".into(),
        DeltaValue::Int(n) => format!("{}{}", sign(n < 0), n.unsigned_abs()),
        DeltaValue::Real(0.0) => "0".into(),
        DeltaValue::Real(x) => {
            let magnitude = match row.style {
                Style::Duration => human(Some(x.abs())),
                Style::Percent => format!("{:.1} pp", x.abs() * 100.0),
                Style::Fixed(d) => format!("{:.d$}", x.abs()),
                Style::Count | Style::Text => x.abs().to_string(),
            };
            format!("{}{magnitude}", sign(x < 0.0))
        }
    }
}

/// (b - a) / |a| as a percentage.
fn show_change(row: &Row) -> String {
    match (row.a.number(), row.b.number()) {
        (Some(a), Some(b)) if a == b => "0.0%".into(),
        (Some(a), Some(b)) if a != 0.0 => format!("{:+.1}%", (b - a) / a.abs() * 100.0),
        _ if row.style == Style::Text => String::new(),
        _ => "-".into(),
    }
}

fn write_text(
    out: &mut dyn Write,
    (a, sa): (&Variant, &Summary),
    (b, sb): (&Variant, &Summary),
    rows: &[Row],
    identical: bool,
) -> io::Result<()> {
    for (side, v, s) in [("A", a, sa), ("B", b, sb)] {
        writeln!(
            out,
            "{side}  {}: scenario \"{}\" (seed {}), {} nodes, {} GPUs",
            escape_control(&v.label),
            escape_control(&s.scenario),
            s.seed,
            s.nodes,
            s.gpus
        )?;
    }
    if identical {
        writeln!(out, "note: {IDENTICAL}")?;
    }
    writeln!(out)?;
    let mut table = Table::new(&[
        ("metric", Align::Left),
        ("A", Align::Right),
        ("B", Align::Right),
        ("B-A", Align::Right),
        ("change %", Align::Right),
        ("better", Align::Left),
    ]);
    for row in rows {
        table.row([
            row.name.to_string(),
            show(row.style, row.a),
            show(row.style, row.b),
            show_delta(row),
            show_change(row),
            row.better().to_string(),
        ]);
    }
    table.write(out)?;
    writeln!(out)?;
    writeln!(
        out,
        "better: the side with lower waits, slowdown, makespan, losses and killed/refused jobs,\n        or higher completions, utilization, throughput and Jain's index; = when equal"
    )?;
    Ok(())
}

/// `{"a": x, "b": y, "delta": d, "ratio": r}` of one metric.
struct DiffEntry<'a>(&'a Row);

impl Serialize for DiffEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let row = self.0;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("a", &row.a)?;
        map.serialize_entry("b", &row.b)?;
        map.serialize_entry("delta", &row.delta())?;
        map.serialize_entry("ratio", &row.ratio())?;
        map.end()
    }
}

/// The metrics in table order, keyed by their summary key.
struct Diff<'a>(&'a [Row]);

impl Serialize for Diff<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for row in self.0 {
            map.serialize_entry(row.key, &DiffEntry(row))?;
        }
        map.end()
    }
}

#[derive(serde::Serialize)]
struct Side<'a> {
    label: &'a str,
    summary: &'a Summary,
}

#[derive(serde::Serialize)]
struct Comparison<'a> {
    a: Side<'a>,
    b: Side<'a>,
    diff: Diff<'a>,
    identical: bool,
}

fn write_comparison_json(
    out: &mut dyn Write,
    (a, sa): (&Variant, &Summary),
    (b, sb): (&Variant, &Summary),
    rows: &[Row],
    identical: bool,
) -> io::Result<()> {
    let comparison = Comparison {
        a: Side {
            label: &a.label,
            summary: sa,
        },
        b: Side {
            label: &b.label,
            summary: sb,
        },
        diff: Diff(rows),
        identical,
    };
    write_json(out, &comparison)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(style: Style, better: Better, a: Value, b: Value) -> Row {
        Row {
            name: "x",
            key: "x",
            style,
            better,
            a,
            b,
        }
    }

    #[test]
    fn deltas_changes_and_the_better_side() {
        let r = row(
            Style::Duration,
            Better::Lower,
            Value::Real(Some(3_600.0)),
            Value::Real(Some(1_800.0)),
        );
        assert_eq!(show_delta(&r), "-30m00s");
        assert_eq!(show_change(&r), "-50.0%");
        assert_eq!(r.better(), "B");
        assert_eq!(r.ratio(), Some(0.5));

        let r = row(
            Style::Percent,
            Better::Higher,
            Value::Real(Some(0.5)),
            Value::Real(Some(0.75)),
        );
        assert_eq!(show_delta(&r), "+25.0 pp");
        assert_eq!(show_change(&r), "+50.0%");
        assert_eq!(r.better(), "B");

        let r = row(
            Style::Count,
            Better::Lower,
            Value::Count(0),
            Value::Count(3),
        );
        assert_eq!(show_delta(&r), "+3");
        assert_eq!(show_change(&r), "-");
        assert_eq!(r.better(), "A");
        assert_eq!(r.ratio(), None);

        let r = row(
            Style::Count,
            Better::Neither,
            Value::Count(4),
            Value::Count(4),
        );
        assert_eq!(
            (
                show_delta(&r).as_str(),
                show_change(&r).as_str(),
                r.better()
            ),
            ("0", "0.0%", "")
        );

        let r = row(
            Style::Duration,
            Better::Lower,
            Value::Real(None),
            Value::Real(Some(1.0)),
        );
        assert_eq!((show_delta(&r).as_str(), r.better()), ("-", ""));
    }
}
