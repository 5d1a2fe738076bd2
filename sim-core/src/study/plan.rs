//! Reading a study file: its checks, the expansion of its parameters into
//! points, and the loading of each point's scenario.
//!
//! Every problem is reported at the study file's line:column with a fix,
//! as a scenario's are; a point whose overrides the scenario refuses is
//! reported at the parameter value that made it, with the scenario's own
//! diagnosis. Nothing runs until every point has loaded. The points share
//! one parse of a trace file ([`TraceCache`], dropped once loaded).

use std::path::Path;
use std::sync::Arc;

use super::file::{
    BaselineFile, DesignFile, NumberFile, ReplicationsFile, SeedsFile, StudyFile, ValueFile,
};
use super::{Baseline, Parameter, Point, Rule, SeedScheme, Seeds, Study};
use crate::engine::{FNV_OFFSET_BASIS, fnv1a_64_from};
use crate::scenario::{
    self, Diagnostic, Finding, Location, RonDocument, Scenario, ScenarioError, SetArg,
};
use crate::workload::trace::TraceCache;

/// Most points a study may have (each is loaded, and kept, before the
/// first run).
pub const MAX_POINTS: usize = 10_000;

/// Most (point, replication) pairs a study may run: its rows take some
/// 100 bytes each.
pub const MAX_TASKS: u64 = 10_000_000;

/// The bundled study error messages point to.
const EXAMPLE: &str = "scenarios/studies/fcfs-easy-conservative.ron";

/// A study and the scenario of each of its points.
#[derive(Clone, Debug)]
pub struct LoadedStudy {
    pub study: Study,
    /// Point `i`'s scenario (its seed is the base scenario's).
    pub scenarios: Vec<Arc<Scenario>>,
    /// Warnings of the base scenario and the points, each once.
    pub warnings: Vec<Diagnostic>,
    /// The study file, for locating problems found later (a metric the
    /// summary does not have).
    pub document: RonDocument,
}

/// Reads, checks and expands a study file, and loads every point. A trace
/// file is read and parsed once for all the points.
pub fn load(path: &Path) -> Result<LoadedStudy, ScenarioError> {
    load_sharing(path, &TraceCache::new())
}

/// [`load`], importing traces through `traces` (tests count its reads).
pub fn load_sharing(path: &Path, traces: &TraceCache) -> Result<LoadedStudy, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::single(Diagnostic {
            severity: scenario::Severity::Error,
            location: Location::WholeFile { file: file.clone() },
            path: None,
            message: format!("cannot read the study file: {e}"),
            found: None,
            expected: Some("a readable RON study file (UTF-8)".into()),
            fix: Some(format!(
                "check the path; the bundled studies are in scenarios/studies/ (try {EXAMPLE})"
            )),
            cause: None,
        })
    })?;
    let (parsed, document) = scenario::read_ron::<StudyFile>(&file, &text, EXAMPLE)?;
    let errors = |findings: Vec<Finding>| ScenarioError {
        diagnostics: findings.into_iter().map(|f| document.error(f)).collect(),
    };
    let base_dir = path.parent().unwrap_or(Path::new(""));
    let scenario_path = base_dir.join(&parsed.scenario);
    let checked = check(&parsed).map_err(errors)?;
    let scenario_text = std::fs::read_to_string(&scenario_path).map_err(|e| {
        errors(vec![Finding {
            path: "scenario".into(),
            message: format!(
                "cannot read the base scenario {}: {e}",
                scenario_path.display()
            ),
            found: Some(format!("\"{}\"", parsed.scenario)),
            expected: Some("a scenario file, relative to the study file's directory".into()),
            fix: Some(
                "check the path (it is relative to the study file, not to the working directory)"
                    .into(),
            ),
        }])
    })?;
    let scenario_file = scenario_path.display().to_string();
    let mut loaded = Vec::with_capacity(checked.points.len());
    let mut warnings: Vec<Diagnostic> = Vec::new();
    for point in &checked.points {
        let sets: Vec<SetArg> = (point.sets(&checked.parameters).into_iter())
            .map(|s| SetArg::new("--set", s))
            .collect();
        match scenario::load_str_sharing(&scenario_file, &scenario_text, &sets, traces) {
            Ok(l) => {
                for w in l.warnings {
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
                loaded.push(Arc::new(l.scenario));
            }
            Err(e) => return Err(point_refused(&document, &checked, point, e)),
        }
    }
    let seeds = match &parsed.seeds {
        None => Seeds {
            scheme: SeedScheme::Common,
            base: loaded[0].seed,
        },
        Some(SeedsFile::Common { base }) => Seeds {
            scheme: SeedScheme::Common,
            base: base.unwrap_or(loaded[0].seed),
        },
        Some(SeedsFile::Independent { base }) => Seeds {
            scheme: SeedScheme::Independent,
            base: base.unwrap_or(loaded[0].seed),
        },
    };
    let mut hash = fnv1a_64_from(FNV_OFFSET_BASIS, env!("CARGO_PKG_VERSION").as_bytes());
    hash = fnv1a_64_from(hash, &[0]);
    hash = fnv1a_64_from(hash, document.text().as_bytes());
    hash = fnv1a_64_from(hash, &[0]);
    hash = fnv1a_64_from(hash, scenario_text.as_bytes());
    let study = Study {
        name: parsed.name.clone(),
        description: parsed.description.clone(),
        study_file: file,
        scenario_file,
        parameters: checked.parameters,
        points: checked.points,
        rule: checked.rule,
        metrics: checked.metrics,
        seeds,
        baseline: checked.baseline,
        fingerprint: hash,
    };
    Ok(LoadedStudy {
        study,
        scenarios: loaded,
        warnings,
        document,
    })
}

/// What the study file says, checked.
struct Checked {
    parameters: Vec<Parameter>,
    points: Vec<Point>,
    rule: Rule,
    metrics: Vec<String>,
    baseline: Baseline,
}

fn finding(
    path: impl Into<String>,
    message: impl Into<String>,
    expected: &str,
    fix: &str,
) -> Finding {
    Finding {
        path: path.into(),
        message: message.into(),
        found: None,
        expected: Some(expected.into()),
        fix: Some(fix.into()),
    }
}

fn check(file: &StudyFile) -> Result<Checked, Vec<Finding>> {
    let mut problems = Vec::new();
    if file.name.trim().is_empty() {
        problems.push(finding(
            "name",
            "the study has no name",
            "a short name, like \"backfill-vs-load\"",
            "name the study: it names the output directory",
        ));
    }
    let mut parameters = Vec::new();
    for (i, p) in file.parameters.iter().enumerate() {
        match parameter(i, p) {
            Ok(parameter) => {
                if parameters
                    .iter()
                    .any(|q: &Parameter| q.path == parameter.path)
                {
                    problems.push(finding(
                        format!("parameters[{i}].path"),
                        format!("`{}` is varied twice", parameter.path),
                        "each field varied once",
                        "merge the two lists of values",
                    ));
                }
                parameters.push(parameter);
            }
            Err(f) => problems.push(f),
        }
    }
    let points = if problems.is_empty() {
        match expand(&file.design, &parameters) {
            Ok(points) => points,
            Err(f) => {
                problems.push(f);
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let mut metrics: Vec<String> = Vec::new();
    if file.metrics.is_empty() {
        problems.push(finding("metrics", "the study collects no metric", "paths into the summary JSON, like [\"wait_s.mean\", \"gpu_utilization\"]", "list the metrics to collect (see `clustersim run SCENARIO --format json` for what a summary has)"));
    }
    for (i, m) in file.metrics.iter().enumerate() {
        let m = m.trim().to_string();
        if m.is_empty() || m.contains(char::is_whitespace) {
            problems.push(finding(
                format!("metrics[{i}]"),
                "a metric path is empty or has spaces",
                "a path like \"wait_s.p95\"",
                "write the path as `clustersim run --format json` nests it, joined by dots",
            ));
        } else if metrics.contains(&m) {
            problems.push(finding(
                format!("metrics[{i}]"),
                format!("`{m}` is listed twice"),
                "each metric once",
                "remove one of them",
            ));
        } else {
            metrics.push(m);
        }
    }
    let rule = match &file.replications {
        ReplicationsFile::Fixed(0) => {
            problems.push(finding("replications", "zero replications", "Fixed(n) with n of 1 or more", "write Fixed(30), or a stopping rule Until(metric: ..., relative_half_width: 0.05, max: 200)"));
            Rule::Fixed(1)
        }
        ReplicationsFile::Fixed(n) => Rule::Fixed(*n),
        ReplicationsFile::Until {
            metric,
            relative_half_width,
            min,
            max,
            batch,
        } => {
            let min = min.unwrap_or(5);
            let batch = batch.unwrap_or(min.max(1));
            if !(relative_half_width.is_finite() && *relative_half_width > 0.0) {
                problems.push(finding(
                    "replications.relative_half_width",
                    "the target half-width must be a positive fraction of the mean",
                    "a number like 0.05 (the interval within ±5% of the mean)",
                    "write a positive number",
                ));
            }
            if min < 2 {
                problems.push(finding(
                    "replications.min",
                    "a stopping rule needs at least 2 replications before its first check",
                    "min: 2 or more",
                    "write min: 5",
                ));
            }
            if *max < min {
                problems.push(finding(
                    "replications.max",
                    format!("max ({max}) is below min ({min})"),
                    "max >= min",
                    "raise max or lower min",
                ));
            }
            if batch == 0 {
                problems.push(finding(
                    "replications.batch",
                    "a batch of zero replications",
                    "batch: 1 or more",
                    "write batch: 5",
                ));
            }
            let metric = metric.trim().to_string();
            let index = match metrics.iter().position(|m| *m == metric) {
                Some(i) => i,
                None => {
                    metrics.push(metric);
                    metrics.len() - 1
                }
            };
            Rule::Until {
                metric: index,
                relative_half_width: *relative_half_width,
                min,
                max: *max,
                batch,
            }
        }
    };
    let baseline = match &file.baseline {
        None => Baseline::Point(0),
        Some(BaselineFile::Point(b)) => {
            if !points.is_empty() && *b >= points.len() as u64 {
                problems.push(finding(
                    "baseline",
                    format!(
                        "there is no point {b}: the study has {} point(s), numbered from 0",
                        points.len()
                    ),
                    "a point number",
                    "write baseline: 0 for the first point",
                ));
            }
            Baseline::Point(*b as usize)
        }
        Some(BaselineFile::Value { path, value }) => {
            match baseline_by_value(file, &parameters, path, value) {
                Ok(baseline) => baseline,
                Err(f) => {
                    problems.push(f);
                    Baseline::Point(0)
                }
            }
        }
    };
    let tasks = (points.len() as u64).saturating_mul(rule.max_replications());
    if tasks > MAX_TASKS {
        problems.push(finding(
            "replications",
            format!(
                "{} points x {} replications is {tasks} runs, above the limit of {MAX_TASKS}",
                points.len(),
                rule.max_replications()
            ),
            "at most 10,000,000 runs",
            "vary fewer values or run fewer replications",
        ));
    }
    if problems.is_empty() {
        Ok(Checked {
            parameters,
            points,
            rule,
            metrics,
            baseline,
        })
    } else {
        Err(problems)
    }
}

/// `baseline: (path: ..., value: ...)`: a varied parameter and one of its
/// values, in a grid (where every point has its counterpart).
fn baseline_by_value(
    file: &StudyFile,
    parameters: &[Parameter],
    path: &str,
    value: &ValueFile,
) -> Result<Baseline, Finding> {
    let varied: Vec<&str> = parameters.iter().map(|p| p.path.as_str()).collect();
    let canonical = scenario::parse_override(&SetArg::set(format!("{path}=0")))
        .map(|o| o.path)
        .unwrap_or_else(|_| path.to_string());
    let Some(parameter) = varied.iter().position(|p| *p == canonical) else {
        return Err(finding(
            "baseline.path",
            format!("`{path}` is not one of the study's parameters"),
            "the path of a varied parameter",
            &match crate::text::did_you_mean(path, varied.iter().copied()) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => format!("use one of: {}", varied.join(", ")),
            },
        ));
    };
    if matches!(file.design, DesignFile::Zip) {
        return Err(finding(
            "baseline",
            "a baseline by value needs a grid: in a zip a point has no counterpart that differs in one parameter only",
            "baseline: a point number, with design: Zip",
            "write design: Grid, or baseline: 0",
        ));
    }
    let wanted = render(value);
    let values = &parameters[parameter].values;
    match values.iter().position(|v| *v == wanted) {
        Some(value) => Ok(Baseline::Value { parameter, value }),
        None => Err(finding(
            "baseline.value",
            format!("{wanted} is not among the values of `{canonical}`"),
            "one of the parameter's values",
            &format!("use one of: {}", values.join(", ")),
        )),
    }
}

/// One parameter's values, rendered as `--set` values.
fn parameter(i: usize, p: &super::file::ParameterFile) -> Result<Parameter, Finding> {
    let at = |field: &str| format!("parameters[{i}].{field}");
    let path = match scenario::parse_override(&SetArg::set(format!("{}=0", p.path))) {
        Ok(o) if !p.path.trim().is_empty() => o.path,
        _ => {
            return Err(finding(
                at("path"),
                "a parameter's path is malformed",
                "a --set path, like \"cluster.node_groups[0].count\"",
                "use field names joined by dots, list elements as [i]",
            ));
        }
    };
    let values: Vec<String> = match (&p.values, &p.range) {
        (Some(_), Some(_)) => return Err(finding(at("range"), "a parameter has both values and a range", "one of `values: [...]` or `range: (start, end, step)`", "remove one of them")),
        (None, None) => return Err(finding(format!("parameters[{i}]"), format!("`{path}` has no values"), "`values: [...]` or `range: (start, end, step)`", "add the values to try")),
        (Some(values), None) => values.iter().map(render).collect(),
        (None, Some(range)) => expand_range(range).map_err(|message| Finding { path: at("range"), message, found: None, expected: Some("(start, end, step): step > 0 and start < end, end excluded; e.g. (64, 257, 64) gives 64, 128, 192, 256".into()), fix: Some("fix the range".into()) })?,
    };
    if values.is_empty() {
        return Err(finding(
            at("values"),
            format!("`{path}` has an empty list of values"),
            "one value or more",
            "list the values to try",
        ));
    }
    if let Some(dup) = values
        .iter()
        .enumerate()
        .find(|(k, v)| values[..*k].contains(v))
    {
        return Err(finding(
            at("values"),
            format!("the value {} is listed twice", dup.1),
            "distinct values",
            "remove the repeated value",
        ));
    }
    let numeric = values
        .iter()
        .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
    Ok(Parameter {
        path,
        values,
        numeric,
    })
}

fn render(value: &ValueFile) -> String {
    match value {
        ValueFile::Integer(i) => i.to_string(),
        ValueFile::Float(f) => f.to_string(),
        ValueFile::Bool(b) => b.to_string(),
        ValueFile::Text(t) => t.clone(),
    }
}

/// Most values a range may give.
const MAX_RANGE_VALUES: u64 = 100_000;

fn expand_range(
    (start, end, step): &(NumberFile, NumberFile, NumberFile),
) -> Result<Vec<String>, String> {
    use NumberFile::{Float, Integer};
    if let (Integer(a), Integer(b), Integer(s)) = (start, end, step) {
        if *s <= 0 {
            return Err(format!("the range's step is {s}: it must be positive"));
        }
        if a >= b {
            return Err(format!(
                "the range ({a}, {b}, {s}) is empty: its end is excluded"
            ));
        }
        let count = ((*b as i128 - *a as i128 + *s as i128 - 1) / *s as i128) as u64;
        if count > MAX_RANGE_VALUES {
            return Err(format!(
                "the range gives {count} values, above the limit of {MAX_RANGE_VALUES}"
            ));
        }
        return Ok((0..count as i64).map(|k| (a + k * s).to_string()).collect());
    }
    let f = |n: &NumberFile| match *n {
        Integer(i) => i as f64,
        Float(x) => x,
    };
    let (a, b, s) = (f(start), f(end), f(step));
    if !(a.is_finite() && b.is_finite() && s.is_finite()) {
        return Err("the range has a number that is not finite".into());
    }
    if s <= 0.0 {
        return Err(format!("the range's step is {s}: it must be positive"));
    }
    if a >= b {
        return Err(format!(
            "the range ({a}, {b}, {s}) is empty: its end is excluded"
        ));
    }
    // Values a + k*step below the end, with a tolerance of a millionth of
    // a step so that (0.6, 1.3, 0.1) ends at 1.2 and not at 1.2999...
    let count = ((b - a) / s - 1e-6).floor() as u64 + 1;
    if count > MAX_RANGE_VALUES {
        return Err(format!(
            "the range gives {count} values, above the limit of {MAX_RANGE_VALUES}"
        ));
    }
    Ok((0..count)
        .map(|k| {
            let v = a + k as f64 * s;
            // Twelve significant digits: 0.6 + 3 * 0.2 is 1.2, not 1.2000000000000002.
            let rounded: f64 = format!("{v:.12e}").parse().unwrap_or(v);
            rounded.to_string()
        })
        .collect())
}

fn expand(design: &DesignFile, parameters: &[Parameter]) -> Result<Vec<Point>, Finding> {
    if parameters.is_empty() {
        return Ok(vec![Point {
            index: 0,
            values: Vec::new(),
        }]);
    }
    let values: Vec<Vec<String>> = match design {
        DesignFile::Grid => {
            let count = parameters.iter().try_fold(1usize, |n, p| {
                n.checked_mul(p.values.len()).filter(|&n| n <= MAX_POINTS)
            });
            let Some(count) = count else {
                return Err(finding(
                    "parameters",
                    format!("the grid has more than {MAX_POINTS} points"),
                    "a grid of at most 10,000 points",
                    "vary fewer values, or use design: Zip with lists of equal length",
                ));
            };
            (0..count)
                .map(|mut k| {
                    let mut combo = vec![String::new(); parameters.len()];
                    for (j, p) in parameters.iter().enumerate().rev() {
                        combo[j] = p.values[k % p.values.len()].clone();
                        k /= p.values.len();
                    }
                    combo
                })
                .collect()
        }
        DesignFile::Zip => {
            let n = parameters[0].values.len();
            if let Some((j, p)) = parameters
                .iter()
                .enumerate()
                .find(|(_, p)| p.values.len() != n)
            {
                return Err(finding(
                    format!("parameters[{j}]"),
                    format!(
                        "design: Zip needs lists of equal length: `{}` has {} values, `{}` has {n}",
                        p.path,
                        p.values.len(),
                        parameters[0].path
                    ),
                    "every parameter with the same number of values",
                    "give every parameter as many values, or use design: Grid",
                ));
            }
            if n > MAX_POINTS {
                return Err(finding(
                    "parameters",
                    format!("the study has more than {MAX_POINTS} points"),
                    "at most 10,000 points",
                    "vary fewer values",
                ));
            }
            (0..n)
                .map(|k| parameters.iter().map(|p| p.values[k].clone()).collect())
                .collect()
        }
    };
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, values)| Point { index, values })
        .collect())
}

/// A point the scenario refuses, reported at the parameter value that made
/// it (when the scenario's problem is in an override) with the scenario's
/// diagnosis, or as the scenario reports it, naming the point.
fn point_refused(
    document: &RonDocument,
    checked: &Checked,
    point: &Point,
    error: ScenarioError,
) -> ScenarioError {
    let sets = point.sets(&checked.parameters);
    let diagnostics = error
        .diagnostics
        .into_iter()
        .map(|d| match &d.location {
            Location::Override { argument, .. } => {
                let j = sets.iter().position(|s| s == argument).unwrap_or(0);
                let parameter = &checked.parameters[j];
                let k = parameter
                    .values
                    .iter()
                    .position(|v| *v == point.values[j])
                    .unwrap_or(0);
                let written = document.has(&format!("parameters[{j}].values[{k}]"));
                document.error(Finding {
                    path: if written {
                        format!("parameters[{j}].values[{k}]")
                    } else {
                        format!("parameters[{j}]")
                    },
                    message: format!("`{argument}`: {}", d.message),
                    found: d.found.clone(),
                    expected: d.expected.clone(),
                    fix: d.fix.clone(),
                })
            }
            _ => Diagnostic {
                message: format!(
                    "at point {} ({}): {}",
                    point.index,
                    sets.join(", "),
                    d.message
                ),
                ..d
            },
        })
        .collect();
    ScenarioError { diagnostics }
}
