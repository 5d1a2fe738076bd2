//! Every serialized form of a study, in one place: the study file (RON)
//! users write, and the JSON the runner writes and reads back (the results
//! manifest `study.json`, shard files, the journal of finished
//! replications).
//!
//! Invariants: these types are the only ones of the module that derive
//! `Deserialize` (model types carry no serde); the JSON forms carry a
//! `format` number, and readers refuse one they do not know; a float
//! written here reads back bit for bit (serde_json prints the shortest
//! round-trip form).

use serde::{Deserialize, Serialize};

/// The format number of `study.json`, shard files and journals.
pub const FORMAT: u32 = 1;

/// A study file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Study")]
pub struct StudyFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The base scenario, relative to the study file.
    pub scenario: String,
    #[serde(default)]
    pub parameters: Vec<ParameterFile>,
    #[serde(default)]
    pub design: DesignFile,
    pub replications: ReplicationsFile,
    pub metrics: Vec<String>,
    #[serde(default)]
    pub seeds: Option<SeedsFile>,
    #[serde(default)]
    pub baseline: Option<BaselineFile>,
}

/// What points are compared with, as written: one point (its number), or,
/// for each point, the point that differs from it only in `path`, which is
/// `value` there (`(path: "scheduler.backfill", value: "None")`: every
/// policy against no backfill at the same load).
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a point number such as 0, or (path: \"scheduler.backfill\", value: \"None\")"
)]
pub enum BaselineFile {
    Point(u64),
    Value { path: String, value: ValueFile },
}

/// One varied field: a list of values or a range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFile {
    pub path: String,
    #[serde(default)]
    pub values: Option<Vec<ValueFile>>,
    /// `(start, end, step)`, `end` excluded.
    #[serde(default)]
    pub range: Option<(NumberFile, NumberFile, NumberFile)>,
}

/// A parameter value as written: a number, a boolean or text (an enum
/// variant such as `"Easy"`, a duration such as `"36h"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a number, true/false, or text in double quotes like \"Easy\""
)]
pub enum ValueFile {
    Integer(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// A number of a range.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(untagged, expecting = "a number")]
pub enum NumberFile {
    Integer(i64),
    Float(f64),
}

#[derive(Debug, Default, Deserialize)]
pub enum DesignFile {
    /// Every combination; the first parameter varies slowest.
    #[default]
    Grid,
    /// The i-th value of every parameter together.
    Zip,
}

#[derive(Debug, Deserialize)]
pub enum ReplicationsFile {
    Fixed(u64),
    Until {
        metric: String,
        relative_half_width: f64,
        #[serde(default)]
        min: Option<u64>,
        max: u64,
        #[serde(default)]
        batch: Option<u64>,
    },
}

#[derive(Debug, Deserialize)]
pub enum SeedsFile {
    Common {
        #[serde(default)]
        base: Option<u64>,
    },
    Independent {
        #[serde(default)]
        base: Option<u64>,
    },
}

/// `study.json`: what a study is, for merging shards and for reading the
/// results back (the viewer). Everything but the replications actually
/// run per point is known before the first run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub format: u32,
    pub study: String,
    pub description: String,
    pub study_file: String,
    pub scenario: String,
    pub fingerprint: String,
    pub parameters: Vec<ParameterRecord>,
    pub metrics: Vec<String>,
    pub replications: RuleRecord,
    /// What points are compared with: `point N`, or `PATH=VALUE` (the
    /// point with that value and the same others).
    pub baseline: String,
    pub seeds: SeedsRecord,
    pub points: Vec<PointRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterRecord {
    pub path: String,
    pub values: Vec<String>,
    pub numeric: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RuleRecord {
    Fixed {
        replications: u64,
    },
    Until {
        metric: String,
        relative_half_width: f64,
        min: u64,
        max: u64,
        batch: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedsRecord {
    /// `common` or `independent`.
    pub scheme: String,
    pub base: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    pub point: u64,
    pub values: Vec<String>,
    pub sets: Vec<String>,
    /// The point it is compared with (absent: it is a baseline itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u64>,
    /// Replications run (absent before the runs are done: a shard's copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u64>,
    /// Their seeds, replication 0 first (absent as above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Vec<u64>>,
}

/// One finished replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowRecord {
    pub point: u64,
    pub replication: u64,
    pub seed: u64,
    /// The study's metrics in order; `null` where the summary has none.
    pub metrics: Vec<Option<f64>>,
}

/// A shard's output: its slice of the replications, with the manifest
/// that lets `study merge` write the whole study's outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: u32,
    pub shard: u64,
    pub shards: u64,
    pub manifest: ManifestFile,
    pub rows: Vec<RowRecord>,
}

/// The first line of a journal: whose replications follow, one
/// [`RowRecord`] a line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub format: u32,
    pub study: String,
    pub fingerprint: String,
    /// `I/N` of a shard, `all` otherwise.
    pub slice: String,
}
