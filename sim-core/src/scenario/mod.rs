//! Scenario files: reading, overriding, validating, and turning them into
//! the model a run needs.
//!
//! Pipeline: text -> `--set` overrides applied to the text (`source.rs`) ->
//! serde types of the schema (`file/`, via `ron`) -> checks and conversion
//! (`validate/`) -> [`Scenario`]. Each step reports problems as
//! [`Diagnostic`]s located at file:line:column, or in an override argument
//! (a [`SetArg`]: `--set`, or `compare`'s `--a-set`/`--b-set`),
//! with the byte span of the offending text (spans of values come from
//! `spans.rs`), and all problems of the last step are reported at once.
//!
//! Invariants:
//! - a [`Scenario`] is valid: every run of it either completes or stops at
//!   its stop condition, with no panic on any input;
//! - the file types never leak: `file` is private, the rest of the crate
//!   sees only model types (which derive no `Deserialize`), so the file
//!   format and the model can each evolve without breaking the other;
//! - loading never reads the clock or the environment: the same text and
//!   overrides give the same scenario.

// Diagnostics are large but built only on the error path, once per problem.
#![allow(clippy::result_large_err)]

mod document;
mod error;
mod file;
mod source;
mod spans;
mod validate;

pub use document::{Finding, RonDocument, read_ron};
pub use error::{Diagnostic, Location, ScenarioError, Severity};
pub use source::{Override, SetArg, parse_override};

use std::path::Path;

use ron::extensions::Extensions;

use crate::collective::Fidelity;
use crate::collective::analytic::{Choice, Links};
use crate::engine::{SimDuration, StopCondition};
use crate::fabric::Fabric;
use crate::hardware::{Catalog, Cluster};
use crate::metrics::{TraceGroup, TraceHeader, TraceLeaf, TraceNode};
use crate::scheduler::SchedulerConfig;
use crate::text::{did_you_mean, without_bom};
use crate::training::ModelSpec;
use crate::workload::WorkloadSpec;
use crate::workload::trace::TraceCache;
use source::Source;
use spans::SpanIndex;

/// A validated scenario: everything a run needs.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// The built-in catalog plus the scenario's additions.
    pub catalog: Catalog,
    pub cluster: Cluster,
    /// The compute fabric and how collectives run on it.
    pub network: Network,
    pub workload: WorkloadSpec,
    pub scheduler: SchedulerConfig,
    /// Failure classes, repairs, spares and requeue rules (empty: nothing
    /// ever fails).
    pub reliability: crate::reliability::ReliabilitySpec,
    /// The shared file system checkpoints are written to, if described.
    pub storage: Option<crate::reliability::StorageSpec>,
    /// Power (PUE, a cap): `Some` when the scenario models power or cost.
    pub power: Option<crate::power::PowerSpec>,
    /// What the cluster costs: `Some` when the scenario has a `cost`
    /// section or a group's `billing`.
    pub cost: Option<crate::cost::CostSpec>,
    pub stop: StopCondition,
    pub outputs: OutputConfig,
}

impl Scenario {
    /// The first line of this scenario's `trace.jsonl`: its cluster's
    /// groups, nodes and leaf switches (the scheduler's topology, which
    /// follows the fabric's leaves unless the file lists its own).
    pub fn trace_header(&self) -> TraceHeader {
        TraceHeader {
            scenario: self.name.clone(),
            seed: self.seed,
            groups: (self.cluster.groups.iter())
                .map(|g| TraceGroup {
                    name: g.name.clone(),
                    node_model: g.node_model.name.clone(),
                    gpu_model: g.gpu_model.name.clone(),
                })
                .collect(),
            nodes: (self.cluster.nodes.iter())
                .map(|n| TraceNode {
                    name: n.name.clone(),
                    group: n.group,
                    gpus: n.gpus,
                })
                .collect(),
            leaves: (self.scheduler.topology.iter())
                .map(|leaf| TraceLeaf {
                    name: leaf.name.clone(),
                    nodes: leaf.nodes.clone(),
                })
                .collect(),
        }
    }
}

/// What the run records besides per-job data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputConfig {
    pub timeseries_interval: SimDuration,
    /// `metrics.om`, at this detail (decided when the scenario is loaded,
    /// from the GPUs and samples it takes: `metrics::series_detail`);
    /// `None`: not written.
    pub openmetrics: Option<crate::metrics::SeriesDetail>,
    /// `trace.perfetto.json`.
    pub perfetto: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            timeseries_interval: SimDuration::from_secs(600),
            openmetrics: None,
            perfetto: false,
        }
    }
}

/// The compute network of a run.
#[derive(Clone, Debug)]
pub struct Network {
    /// `None`: every node hangs off one non-blocking switch.
    pub fabric: Option<Fabric>,
    /// How training jobs' collectives are simulated.
    pub collectives: Fidelity,
    /// NCCL_ALGO / NCCL_PROTO for training jobs; empty: the tuner's.
    pub forced: Choice,
    /// PXN for point-to-point messages between rails (NCCL's default).
    pub pxn: bool,
    /// In-network reduction (SHARP): NCCL's CollNet algorithms may run.
    pub collnet: bool,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            fabric: None,
            collectives: Fidelity::Analytic,
            forced: Choice::default(),
            pxn: true,
            collnet: false,
        }
    }
}

impl Network {
    /// The NCCL settings of this network applied to `links`: PXN and
    /// CollNet, and, with a fabric, its link rate, oversubscription and
    /// switch latencies for a group under `leaf_switches` leaves
    /// ([`Links::on_fabric`]).
    pub fn links(&self, links: Links, leaf_switches: u32) -> Links {
        let links = Links {
            pxn: self.pxn,
            collnet: self.collnet,
            ..links
        };
        match &self.fabric {
            Some(fabric) => links.on_fabric(fabric, leaf_switches),
            None => links,
        }
    }
}

/// A scenario and the warnings found while loading it.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Diagnostic>,
}

/// Reads, overrides and validates a scenario file.
pub fn load_file(path: &Path, overrides: &[SetArg]) -> Result<Loaded, ScenarioError> {
    let (file, text) = read_scenario_file(path)?;
    load_str(&file, &text, overrides)
}

/// Reads a scenario for its cluster, catalog and fabric only, as
/// `clustersim collective` and `plan --scenario` use it: as
/// [`load_file`], except that an empty workload is fine.
pub fn load_cluster_file(path: &Path, overrides: &[SetArg]) -> Result<Loaded, ScenarioError> {
    let (file, text) = read_scenario_file(path)?;
    load_str_with(&file, &text, overrides, None, false)
}

/// A scenario file's name (for diagnostics) and its UTF-8 text.
fn read_scenario_file(path: &Path) -> Result<(String, String), ScenarioError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        ScenarioError::single(Diagnostic {
            cause: None,
            severity: Severity::Error,
            location: Location::WholeFile { file: file.clone() },
            path: None,
            message: format!("cannot read the scenario file: {e}"),
            found: None,
            expected: Some("a readable RON scenario file".into()),
            fix: Some("check the path; the bundled scenarios are in scenarios/ (try scenarios/quickstart.ron)".into()),
        })
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ScenarioError::single(not_utf8(&file, &e)))?;
    Ok((file, text))
}

/// Where a file stops being UTF-8, located at its first bad byte (lines
/// and columns counted as for any other error: after a byte-order mark).
fn not_utf8(file: &str, e: &std::string::FromUtf8Error) -> Diagnostic {
    let bytes = e.as_bytes();
    let valid_up_to = e.utf8_error().valid_up_to();
    let bad = match e.utf8_error().error_len() {
        Some(len) => &bytes[valid_up_to..valid_up_to + len],
        None => &bytes[valid_up_to..],
    };
    let found = bad
        .iter()
        .map(|b| format!("0x{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ");
    let lossy = String::from_utf8_lossy(bytes);
    let text = without_bom(&lossy);
    // The valid prefix is the same bytes in the lossy text.
    let offset = valid_up_to - (lossy.len() - text.len());
    let source = Source::new(file, text.to_string());
    Diagnostic {
cause: None,
        severity: Severity::Error,
        location: source.locate(offset..offset + 1),
        path: None,
        message: "the scenario file is not UTF-8 text".into(),
        found: Some(format!(
            "the byte{} {found}, which is not UTF-8 (a Latin-1 or Windows-1252 `é` is 0xE9)",
            if bad.len() == 1 { "" } else { "s" }
        )),
        expected: Some("a file saved as UTF-8 (RON files are UTF-8)".into()),
        fix: Some(
            "save the file as UTF-8 in your editor, or convert it: iconv -f latin1 -t utf-8 OLD > NEW"
                .into(),
        ),
    }
}

/// Like [`load_file`] for text in memory; `file` names it in diagnostics.
/// A leading byte-order mark is skipped, and lines and columns are counted
/// without it (as editors show them).
pub fn load_str(file: &str, text: &str, overrides: &[SetArg]) -> Result<Loaded, ScenarioError> {
    load_str_with(file, text, overrides, None, true)
}

/// [`load_str`], importing its trace (if any) through `traces`: the
/// scenarios of one study share each trace file's parsed records.
pub fn load_str_sharing(
    file: &str,
    text: &str,
    overrides: &[SetArg],
    traces: &TraceCache,
) -> Result<Loaded, ScenarioError> {
    load_str_with(file, text, overrides, Some(traces), true)
}

fn load_str_with(
    file: &str,
    text: &str,
    overrides: &[SetArg],
    traces: Option<&TraceCache>,
    needs_workload: bool,
) -> Result<Loaded, ScenarioError> {
    let mut source = Source::new(file, without_bom(text).to_string());
    if !overrides.is_empty() {
        if SpanIndex::build(&source.text).is_none() {
            // The file does not parse; report why before trying overrides.
            parse(&source)?;
            return Err(ScenarioError::single(Diagnostic {
cause: None,
                severity: Severity::Error,
                location: Location::WholeFile { file: file.to_string() },
                path: None,
                message: "--set cannot find its way around this file".into(),
                found: None,
                expected: None,
                fix: Some("please report this file; meanwhile edit the value in the file instead of using --set".into()),
            }));
        }
        let mut problems = Vec::new();
        for set in overrides {
            match parse_override(set).and_then(|ov| source.apply(ov)) {
                Ok(()) => {}
                Err(d) => problems.push(d),
            }
        }
        if !problems.is_empty() {
            return Err(ScenarioError {
                diagnostics: problems,
            });
        }
    }
    let parsed = parse(&source)?;
    let spans = SpanIndex::build(&source.text).unwrap_or_default();
    let locate = |issue: validate::Issue, severity: Severity| {
        let span = spans.nearest(&issue.path).map_or(0..0, |(_, span)| {
            if issue.inside_some {
                span.unwrapped_start..span.unwrapped_end
            } else {
                span.start..span.end
            }
        });
        Diagnostic {
            severity,
            location: source.locate(span),
            message: issue.message,
            path: Some(issue.path),
            found: issue.found,
            expected: issue.expected,
            fix: issue.fix,
            cause: issue.cause,
        }
    };
    let base_dir = Path::new(file).parent().unwrap_or(Path::new("."));
    match validate::convert(parsed, base_dir, traces, needs_workload) {
        Ok((scenario, warnings)) => Ok(Loaded {
            scenario,
            warnings: warnings
                .into_iter()
                .map(|w| locate(w, Severity::Warning))
                .collect(),
        }),
        Err(issues) => Err(ScenarioError {
            diagnostics: issues
                .into_iter()
                .map(|i| locate(i, Severity::Error))
                .collect(),
        }),
    }
}

/// Reads one model shape written as under `workload.models` (the RON text
/// of a `ModelSpec`), as `clustersim plan --model FILE` takes it. The
/// error is `ron`'s message.
pub fn model_from_ron(text: &str) -> Result<ModelSpec, String> {
    ron::from_str::<file::ModelSpec>(text)
        .map(|m| validate::convert_model(&m))
        .map_err(|e| e.to_string())
}

fn parse(source: &Source) -> Result<file::Scenario, ScenarioError> {
    parse_as::<file::Scenario>(source, "scenarios/quickstart.ron")
}

/// Parses a RON file of any schema with the scenario's options and errors;
/// `example` names a bundled file of that schema, for fixes.
fn parse_as<T: serde::de::DeserializeOwned>(
    source: &Source,
    example: &str,
) -> Result<T, ScenarioError> {
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .from_str::<T>(&source.text)
        .map_err(|e| ScenarioError::single(ron_diagnostic(&e, source, example)))
}

/// Turns `ron`'s error into a diagnostic with a fix.
fn ron_diagnostic(err: &ron::error::SpannedError, source: &Source, example: &str) -> Diagnostic {
    use ron::error::Error as E;
    // ron sometimes reports the position just before the token; point at
    // the token itself.
    let mut offset = source.offset_of(err.span.start.line, err.span.start.col);
    offset += source.text[offset..].len() - source.text[offset..].trim_start().len();
    // For values rejected after being read (a bad unit, a negative count),
    // ron points just past the opening quote or the minus sign.
    let value_error = matches!(
        err.code,
        E::Message(_) | E::IntegerOutOfBounds | E::InvalidValueForType { .. }
    );
    if value_error && offset > 0 && matches!(source.text.as_bytes()[offset - 1], b'"' | b'-') {
        offset -= 1;
    }
    let value_end = value_end(&source.text, offset);
    let token = source.text[offset..value_end].to_string();
    let one_of = |names: &[&str]| {
        if names.is_empty() {
            "nothing here".to_string()
        } else {
            format!(
                "one of {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let inside = |outer: &Option<String>| {
        outer
            .as_ref()
            .map(|o| format!(" in `{o}`"))
            .unwrap_or_default()
    };
    let (message, found, expected, fix): (String, Option<String>, Option<String>, String) =
        match &err.code {
            E::NoSuchStructField {
                expected,
                found,
                outer,
            } => (
                format!("unknown field `{found}`{}", inside(outer)),
                Some(format!("`{found}`")),
                Some(one_of(expected)),
                match did_you_mean(found, expected.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "remove it, or use one of the expected fields".into(),
                },
            ),
            E::NoSuchEnumVariant {
                expected,
                found,
                outer,
            } => (
                format!("unknown variant `{found}`{}", inside(outer)),
                Some(format!("`{found}`")),
                Some(one_of(expected)),
                match did_you_mean(found, expected.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "use one of the expected variants".into(),
                },
            ),
            E::MissingStructField { field, outer } => (
                format!("missing field `{field}`{}", inside(outer)),
                None,
                Some(format!("a value for `{field}`")),
                format!("add `{field}: ...` (see {example} for an example)"),
            ),
            E::DuplicateStructField { field, outer } => (
                format!("field `{field}` is given twice{}", inside(outer)),
                None,
                None,
                "keep one of them".into(),
            ),
            E::InvalidValueForType { expected, found } => (
                "wrong type of value".into(),
                Some(found.clone()),
                Some(plain_type(expected)),
                format!("write {} here", plain_type(expected)),
            ),
            E::Message(message) => (message.clone(), None, None, "see the message above".into()),
            E::IntegerOutOfBounds => (
                "number out of range".into(),
                None,
                Some(
                    "a number that fits the field (counts are whole numbers of zero or more)"
                        .into(),
                ),
                "use a smaller, non-negative whole number".into(),
            ),
            E::ExpectedDifferentStructName { expected, found } => (
                format!("this should be a `{expected}`, not a `{found}`"),
                Some(format!("`{found}`")),
                Some(format!("`{expected}(...)` or just `(...)`")),
                format!("rename `{found}` to `{expected}`, or leave the name out"),
            ),
            E::ExpectedInteger
            | E::InvalidIntegerDigit { .. }
            | E::ExpectedFloat
            | E::ExpectedBoolean
            | E::ExpectedString
                if !token.is_empty() =>
            {
                let expected = match &err.code {
                    E::ExpectedInteger | E::InvalidIntegerDigit { .. } => "a whole number, like 8",
                    E::ExpectedFloat => "a number, like 1.5",
                    E::ExpectedBoolean => "true or false",
                    _ => "text in double quotes, like \"alice\"",
                };
                (
                    "wrong type of value".into(),
                    Some(token),
                    Some(expected.into()),
                    format!("write {expected} here"),
                )
            }
            other => {
                let fix = match other {
                    E::ExpectedComma => "add a `,` between fields and between list items",
                    E::Eof => "the file ends too early: a closing `)` or `]` is probably missing",
                    E::ExpectedStructLikeEnd => {
                        "close the struct with `)`, or add the missing `,` before the next field"
                    }
                    E::ExpectedArrayEnd => {
                        "close the list with `]`, or add the missing `,` between items"
                    }
                    E::ExpectedMapEnd => "close the map with `}`",
                    E::ExpectedStringEnd => "close the string with `\"`",
                    E::ExpectedString => "write text in double quotes, like \"alice\"",
                    E::ExpectedInteger => "write a whole number, like 8",
                    E::ExpectedFloat => "write a number, like 1.5",
                    E::ExpectedBoolean => "write true or false",
                    E::ExpectedMapColon => "put a `:` between a field name and its value",
                    E::TrailingCharacters => "remove what follows the scenario's closing `)`",
                    E::UnclosedBlockComment => "close the comment with `*/`",
                    E::UnexpectedChar(_) => "remove or correct this character",
                    _ => "compare the syntax here with scenarios/quickstart.ron",
                };
                (format!("syntax error: {other}"), None, None, fix.into())
            }
        };
    // A value that was read and refused is underlined whole; anything
    // else (a name, a syntax error) as the name there, or one character.
    let end = match &err.code {
        E::Message(_)
        | E::IntegerOutOfBounds
        | E::InvalidValueForType { .. }
        | E::ExpectedInteger
        | E::InvalidIntegerDigit { .. }
        | E::ExpectedFloat
        | E::ExpectedBoolean
        | E::ExpectedString => value_end,
        _ => name_end(&source.text, offset),
    };
    Diagnostic {
        cause: None,
        severity: Severity::Error,
        location: source.locate(offset..end),
        path: None,
        message,
        found,
        expected,
        fix: Some(fix),
    }
}

/// The end of the value token starting at `offset`: a string literal, or
/// text up to the next delimiter.
fn value_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let rest = &text[offset..];
    let len = match rest.strip_prefix('"') {
        Some(body) => match closing_quote(body) {
            Some(end) => end + 2,
            None => rest.lines().next().unwrap_or_default().len(),
        },
        None => rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ')' | ']' | '}'))
            .unwrap_or(rest.len()),
    };
    offset + len
}

/// The offset of the `"` that closes a string whose body is `body`
/// (escaped quotes, `\"`, do not close it).
fn closing_quote(body: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '"' if !escaped => return Some(i),
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
    }
    None
}

/// The end of the name (of a field, a variant, a struct) starting at
/// `offset`; `offset` if none does.
fn name_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let rest = &text[offset..];
    if !rest.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return offset;
    }
    offset
        + rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
}

/// Rust type names in serde's messages, said for people.
fn plain_type(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" | "an unsigned integer" => {
            "a whole number of zero or more, like 8".into()
        }
        "i8" | "i16" | "i32" | "i64" | "an integer" => "a whole number, like 8".into(),
        "f32" | "f64" | "a float" => "a number, like 1.5".into(),
        "a string" => "text in double quotes, like \"alice\"".into(),
        "a boolean" => "true or false".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
