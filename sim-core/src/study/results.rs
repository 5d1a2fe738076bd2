//! Reading a study's results back (`study.json` and `replications.csv`),
//! for the viewer and for scripts: each point's parameter values, its
//! description of each metric, and how to re-run any of its replications.
//!
//! Invariant: the statistics are recomputed from the replications with
//! the functions that wrote `points.csv`, so what a reader shows is what
//! the tables say.

use std::path::{Path, PathBuf};

use super::figures::{Line, lines};
use super::file::{FORMAT, ManifestFile};
use super::output::{compare, split, summaries};
use super::stats::Describe;
use super::{Parameter, Row};
use crate::scenario::SetArg;

/// A study's results, read back.
#[derive(Clone, Debug)]
pub struct StudyResults {
    pub dir: PathBuf,
    pub name: String,
    pub description: String,
    /// The base scenario, as the study found it (relative to the directory
    /// the study ran from).
    pub scenario: String,
    pub parameters: Vec<Parameter>,
    pub metrics: Vec<String>,
    /// What points are compared with: `point N` or `PATH=VALUE`.
    pub baseline: String,
    pub points: Vec<ResultPoint>,
}

/// One point's results.
#[derive(Clone, Debug)]
pub struct ResultPoint {
    pub index: usize,
    /// One value per parameter.
    pub values: Vec<String>,
    /// Its overrides, `path=value`.
    pub sets: Vec<String>,
    /// The point it is compared with (`None`: a baseline itself).
    pub baseline: Option<usize>,
    /// The seed of each replication it ran.
    pub seeds: Vec<u64>,
    /// Its description of each metric (`None`: never a number).
    pub stats: Vec<Option<Describe>>,
    /// Each metric's difference from the baseline point, paired by
    /// replication (`None` for the baseline itself, or without pairs).
    pub differences: Vec<Option<Describe>>,
}

/// Why results could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError(pub String);

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads the results a study wrote into `dir`.
pub fn read_results(dir: &Path) -> Result<StudyResults, ReadError> {
    let manifest_path = dir.join("study.json");
    let fix = "point at the directory `clustersim study` wrote (it holds study.json and replications.csv)";
    let bytes = std::fs::read(&manifest_path).map_err(|e| {
        ReadError(format!(
            "cannot read {}: {e}; {fix}",
            manifest_path.display()
        ))
    })?;
    let manifest: ManifestFile = serde_json::from_slice(&bytes).map_err(|e| {
        ReadError(format!(
            "{}: not a study manifest ({e}); {fix}",
            manifest_path.display()
        ))
    })?;
    if manifest.format != FORMAT {
        return Err(ReadError(format!(
            "{}: results of format {} (this program reads format {FORMAT}); rerun the study",
            manifest_path.display(),
            manifest.format
        )));
    }
    let rows = read_rows(&dir.join("replications.csv"), &manifest)?;
    let by_point = split(manifest.points.len(), &rows);
    let stats = summaries(&manifest, &by_point);
    let differences = |p: usize| -> Vec<Option<Describe>> {
        let baseline = manifest.points[p].baseline;
        (0..manifest.metrics.len())
            .map(|m| {
                let other = by_point.get(baseline? as usize)?;
                compare(&by_point[p], other, m).map(|c| c.paired)
            })
            .collect()
    };
    Ok(StudyResults {
        dir: dir.to_path_buf(),
        name: manifest.study.clone(),
        description: manifest.description.clone(),
        scenario: manifest.scenario.clone(),
        parameters: (manifest.parameters.iter())
            .map(|p| Parameter {
                path: p.path.clone(),
                values: p.values.clone(),
                numeric: p.numeric,
            })
            .collect(),
        metrics: manifest.metrics.clone(),
        baseline: manifest.baseline.clone(),
        points: (manifest.points.iter().zip(stats).enumerate())
            .map(|(i, (p, stats))| ResultPoint {
                index: p.point as usize,
                values: p.values.clone(),
                sets: p.sets.clone(),
                baseline: p.baseline.map(|b| b as usize),
                seeds: p.seeds.clone().unwrap_or_default(),
                stats,
                differences: differences(i),
            })
            .collect(),
    })
}

impl StudyResults {
    /// The base scenario's file from the current directory: as recorded
    /// when it is there (the reader runs where the study ran), else found
    /// from an ancestor of the results directory (a study run in `DIR`
    /// writes to `DIR/out/NAME` unless told otherwise), else as recorded.
    pub fn scenario_path(&self) -> PathBuf {
        let recorded = Path::new(&self.scenario);
        if recorded.is_file() || recorded.is_absolute() {
            return recorded.to_path_buf();
        }
        (self.dir.ancestors().skip(1))
            .map(|dir| dir.join(recorded))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| recorded.to_path_buf())
    }

    /// The overrides that re-run replication `replication` of point
    /// `point` with `scenario::load_file(results.scenario, ...)`: the
    /// point's own and its seed.
    pub fn replication_overrides(&self, point: usize, replication: usize) -> Option<Vec<SetArg>> {
        let p = self.points.get(point)?;
        let seed = p.seeds.get(replication)?;
        let mut sets: Vec<SetArg> = p.sets.iter().map(SetArg::set).collect();
        sets.push(SetArg::set(format!("seed={seed}")));
        Some(sets)
    }
}

impl StudyResults {
    /// The lines of a plot against parameter `x` (see [`lines`]): the
    /// same lines the study's SVG plots draw.
    pub fn series(&self, x: usize) -> Vec<Line> {
        let values: Vec<&[String]> = self.points.iter().map(|p| p.values.as_slice()).collect();
        lines(&self.parameters, &values, x)
    }
}

fn read_rows(path: &Path, manifest: &ManifestFile) -> Result<Vec<Row>, ReadError> {
    let bad = |what: String| {
        ReadError(format!(
            "{}: {what}; rerun the study or its merge",
            path.display()
        ))
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let skip = 3 + manifest.parameters.len();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let field = |i: usize| record.get(i).unwrap_or("");
        let number = |i: usize| {
            field(i)
                .parse::<u64>()
                .map_err(|_| bad(format!("`{}` is not a whole number", field(i))))
        };
        let point = number(0)? as usize;
        if point >= manifest.points.len() || record.len() != skip + manifest.metrics.len() {
            return Err(bad(format!(
                "a row does not match study.json (point {point}, {} fields)",
                record.len()
            )));
        }
        let metrics = (0..manifest.metrics.len())
            .map(|m| match field(skip + m) {
                "" => Ok(None),
                text => text
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| bad(format!("`{text}` is not a number"))),
            })
            .collect::<Result<_, _>>()?;
        rows.push(Row {
            point,
            replication: number(1)?,
            seed: number(2)?,
            metrics,
        });
    }
    Ok(rows)
}
