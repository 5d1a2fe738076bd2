//! Reading a study's results back (`study.json` and `replications.csv`),
//! for the viewer and for scripts: each point's parameter values, its
//! description of each metric, and how to re-run any of its replications.
//!
//! Invariant: the statistics are recomputed from the replications with
//! the functions that wrote `points.csv`, so what a reader shows is what
//! the tables say.

use std::path::{Path, PathBuf};

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
    pub baseline: usize,
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
    let baseline = manifest.baseline as usize;
    let differences = |p: usize| -> Vec<Option<Describe>> {
        (0..manifest.metrics.len())
            .map(|m| {
                let other = by_point.get(baseline).filter(|_| p != baseline)?;
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
        baseline: manifest.baseline as usize,
        points: (manifest.points.iter().zip(stats).enumerate())
            .map(|(i, (p, stats))| ResultPoint {
                index: p.point as usize,
                values: p.values.clone(),
                sets: p.sets.clone(),
                seeds: p.seeds.clone().unwrap_or_default(),
                stats,
                differences: differences(i),
            })
            .collect(),
    })
}

impl StudyResults {
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

/// Points that differ only in one parameter: one line of a plot of a
/// metric against that parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// What the line's points share: the other parameters' values as
    /// `path=value`, in parameter order (empty when nothing else varies).
    pub fixed: Vec<String>,
    /// Indices into [`StudyResults::points`], in the order of the varied
    /// parameter's values.
    pub points: Vec<usize>,
}

impl StudyResults {
    /// The lines of a plot against parameter `x`: one per combination of
    /// the other parameters in a grid, in the order their first point
    /// appears; in a zip (where the parameters vary together, so the
    /// points are fewer than the grid of their values) one line of every
    /// point. With no parameter `x`, every point on one line.
    pub fn series(&self, x: usize) -> Vec<Series> {
        let grid_size =
            (self.parameters.iter()).try_fold(1usize, |n, p| n.checked_mul(p.values.len()));
        let grid = grid_size == Some(self.points.len());
        let mut lines: Vec<Series> = Vec::new();
        for point in &self.points {
            let fixed: Vec<String> = (self.parameters.iter().zip(&point.values).enumerate())
                .filter(|&(i, _)| grid && i != x)
                .map(|(_, (p, v))| format!("{}={v}", p.path))
                .collect();
            match lines.iter_mut().find(|s| s.fixed == fixed) {
                Some(line) => line.points.push(point.index),
                None => lines.push(Series {
                    fixed,
                    points: vec![point.index],
                }),
            }
        }
        if let Some(parameter) = self.parameters.get(x) {
            let rank = |point: &usize| {
                let value = &self.points[*point].values[x];
                parameter.values.iter().position(|v| v == value)
            };
            for line in &mut lines {
                line.points.sort_by_key(rank);
            }
        }
        lines
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

#[cfg(test)]
mod tests {
    use super::*;

    fn results(parameters: &[(&str, &[&str])], points: &[&[&str]]) -> StudyResults {
        StudyResults {
            dir: PathBuf::new(),
            name: "t".into(),
            description: String::new(),
            scenario: "s.ron".into(),
            parameters: (parameters.iter())
                .map(|(path, values)| Parameter {
                    path: path.to_string(),
                    values: values.iter().map(ToString::to_string).collect(),
                    numeric: false,
                })
                .collect(),
            metrics: vec!["m".into()],
            baseline: 0,
            points: (points.iter().enumerate())
                .map(|(index, values)| ResultPoint {
                    index,
                    values: values.iter().map(ToString::to_string).collect(),
                    sets: Vec::new(),
                    seeds: vec![1],
                    stats: vec![None],
                    differences: vec![None],
                })
                .collect(),
        }
    }

    #[test]
    fn a_grid_has_a_line_per_combination_of_the_other_parameters() {
        // Grid order: the first parameter slowest.
        let r = results(
            &[("b", &["None", "Easy"]), ("n", &["64", "128", "192"])],
            &[
                &["None", "64"],
                &["None", "128"],
                &["None", "192"],
                &["Easy", "64"],
                &["Easy", "128"],
                &["Easy", "192"],
            ],
        );
        let against_n = r.series(1);
        assert_eq!(
            against_n,
            vec![
                Series {
                    fixed: vec!["b=None".into()],
                    points: vec![0, 1, 2]
                },
                Series {
                    fixed: vec!["b=Easy".into()],
                    points: vec![3, 4, 5]
                },
            ]
        );
        let against_b = r.series(0);
        assert_eq!(against_b.len(), 3);
        assert_eq!(against_b[1].fixed, vec!["n=128".to_string()]);
        assert_eq!(against_b[1].points, vec![1, 4]);
    }

    #[test]
    fn points_follow_the_order_of_the_values_not_of_the_points() {
        // A zip of one parameter listed in another order than its points.
        let mut r = results(&[("x", &["1", "2", "3"])], &[&["3"], &["1"], &["2"]]);
        assert_eq!(r.series(0)[0].points, vec![1, 2, 0]);
        // A zip of two: they vary together, one line.
        r = results(
            &[("x", &["1", "2"]), ("y", &["a", "b"])],
            &[&["1", "a"], &["2", "b"]],
        );
        assert_eq!(
            r.series(1),
            vec![Series {
                fixed: Vec::new(),
                points: vec![0, 1]
            }]
        );
        // No parameters: the one point.
        r = results(&[], &[&[]]);
        assert_eq!(r.series(0)[0].points, vec![0]);
    }
}
