//! A study's results, from its manifest and its finished replications:
//! `study.json`, `replications.csv`, `points.csv`, `differences.csv` and
//! the plots (see the README's "Studies" for each column).
//!
//! Invariants: the files are a function of the manifest and the rows
//! alone, sorted as they come in (point, then replication), with numbers
//! printed in Rust's shortest round-trip form: a one-machine run and a
//! merge of shards of the same study write the same bytes. A statistic
//! that does not exist (the spread of one value, a metric that was always
//! null) is an empty field, never a made-up zero.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use super::figures;
use super::file::{FORMAT, ManifestFile, ParameterRecord, PointRecord, RuleRecord, SeedsRecord};
use super::stats::{self, Describe};
use super::{Row, Rule, SeedScheme, Study};

/// The files a study writes (besides [`figures::PLOTS_DIR`]).
pub const RESULT_FILES: [&str; 4] = [
    "study.json",
    "replications.csv",
    "points.csv",
    "differences.csv",
];

/// Writes the results of `study` from its finished `rows` (sorted by
/// point, then replication) into `dir`.
pub fn write_results(dir: &Path, study: &Study, rows: &[Row]) -> io::Result<()> {
    write(dir, &manifest(study), rows)
}

/// What a study is, before any replication has run.
pub(super) fn manifest(study: &Study) -> ManifestFile {
    ManifestFile {
        format: FORMAT,
        study: study.name.clone(),
        description: study.description.clone(),
        study_file: study.study_file.clone(),
        scenario: study.scenario_file.clone(),
        fingerprint: format!("{:016x}", study.fingerprint),
        parameters: (study.parameters.iter())
            .map(|p| ParameterRecord {
                path: p.path.clone(),
                values: p.values.clone(),
                numeric: p.numeric,
            })
            .collect(),
        metrics: study.metrics.clone(),
        replications: match study.rule {
            Rule::Fixed(n) => RuleRecord::Fixed { replications: n },
            Rule::Until {
                metric,
                relative_half_width,
                min,
                max,
                batch,
            } => RuleRecord::Until {
                metric: study.metrics[metric].clone(),
                relative_half_width,
                min,
                max,
                batch,
            },
        },
        baseline: study.baseline_label(),
        seeds: SeedsRecord {
            scheme: match study.seeds.scheme {
                SeedScheme::Common => "common",
                SeedScheme::Independent => "independent",
            }
            .into(),
            base: study.seeds.base,
        },
        points: (study.points.iter())
            .map(|p| PointRecord {
                point: p.index as u64,
                values: p.values.clone(),
                sets: p.sets(&study.parameters),
                baseline: study.baseline_of(p.index).map(|b| b as u64),
                replications: None,
                seeds: None,
            })
            .collect(),
    }
}

/// Writes every result file of `manifest` and `rows` into `dir`.
pub(super) fn write(dir: &Path, manifest: &ManifestFile, rows: &[Row]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let by_point = split(manifest.points.len(), rows);
    let mut done = manifest.clone();
    for (point, rows) in done.points.iter_mut().zip(&by_point) {
        point.replications = Some(rows.len() as u64);
        point.seeds = Some(rows.iter().map(|r| r.seed).collect());
    }
    let mut json = serde_json::to_vec_pretty(&done)?;
    json.push(b'\n');
    fs::write(dir.join("study.json"), json)?;
    write_csv(&dir.join("replications.csv"), replications(manifest, rows))?;
    let summaries = summaries(manifest, &by_point);
    write_csv(&dir.join("points.csv"), points(manifest, &summaries))?;
    write_csv(
        &dir.join("differences.csv"),
        differences(manifest, &by_point),
    )?;
    figures::write_plots(dir, manifest, &summaries)
}

/// The rows of each point, in replication order.
pub(super) fn split(points: usize, rows: &[Row]) -> Vec<Vec<&Row>> {
    let mut by_point: Vec<Vec<&Row>> = vec![Vec::new(); points];
    for row in rows {
        by_point[row.point].push(row);
    }
    by_point
}

/// Each point's description of each metric (`None`: never a number).
pub(super) fn summaries(
    manifest: &ManifestFile,
    by_point: &[Vec<&Row>],
) -> Vec<Vec<Option<Describe>>> {
    (by_point.iter())
        .map(|rows| {
            (0..manifest.metrics.len())
                .map(|m| {
                    let values: Vec<f64> = rows.iter().filter_map(|r| r.metrics[m]).collect();
                    stats::describe(&values)
                })
                .collect()
        })
        .collect()
}

pub(crate) type Table = (Vec<String>, Vec<Vec<String>>);

fn replications(manifest: &ManifestFile, rows: &[Row]) -> Table {
    let mut header: Vec<String> = ["point", "replication", "seed"].map(String::from).to_vec();
    header.extend(manifest.parameters.iter().map(|p| p.path.clone()));
    header.extend(manifest.metrics.iter().cloned());
    let records = (rows.iter())
        .map(|row| {
            let mut record = vec![
                row.point.to_string(),
                row.replication.to_string(),
                row.seed.to_string(),
            ];
            record.extend(manifest.points[row.point].values.iter().cloned());
            record.extend(row.metrics.iter().map(|m| m.map_or(String::new(), number)));
            record
        })
        .collect();
    (header, records)
}

fn points(manifest: &ManifestFile, summaries: &[Vec<Option<Describe>>]) -> Table {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(manifest.parameters.iter().map(|p| p.path.clone()));
    header.extend(
        [
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "half_width",
            "min",
            "median",
            "max",
        ]
        .map(String::from),
    );
    let mut records = Vec::new();
    for (point, described) in manifest.points.iter().zip(summaries) {
        for (metric, d) in manifest.metrics.iter().zip(described) {
            let mut record = vec![point.point.to_string()];
            record.extend(point.values.iter().cloned());
            record.push(metric.clone());
            match d {
                Some(d) => record.extend([
                    d.n.to_string(),
                    number(d.mean),
                    number(d.sd),
                    number(d.ci95_low),
                    number(d.ci95_high),
                    number(d.half_width),
                    number(d.min),
                    number(d.median),
                    number(d.max),
                ]),
                None => {
                    record.push("0".into());
                    record.extend(std::iter::repeat_n(String::new(), 8));
                }
            }
            records.push(record);
        }
    }
    (header, records)
}

fn differences(manifest: &ManifestFile, by_point: &[Vec<&Row>]) -> Table {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(manifest.parameters.iter().map(|p| p.path.clone()));
    header.extend(
        [
            "metric",
            "baseline",
            "n",
            "mean_difference",
            "ci95_low",
            "ci95_high",
            "paired_half_width",
            "unpaired_half_width",
            "half_width_ratio",
        ]
        .map(String::from),
    );
    let mut records = Vec::new();
    for (p, point) in manifest.points.iter().enumerate() {
        let Some(baseline) = point.baseline.map(|b| b as usize) else {
            continue;
        };
        for (m, metric) in manifest.metrics.iter().enumerate() {
            let comparison = compare(&by_point[p], &by_point[baseline], m);
            let mut record = vec![point.point.to_string()];
            record.extend(point.values.iter().cloned());
            record.push(metric.clone());
            record.push(baseline.to_string());
            record.extend(match comparison {
                Some(c) => [
                    c.paired.n.to_string(),
                    number(c.paired.mean),
                    number(c.paired.ci95_low),
                    number(c.paired.ci95_high),
                    number(c.paired.half_width),
                    number(c.unpaired_half_width),
                    number(c.paired.half_width / c.unpaired_half_width),
                ],
                None => [
                    "0".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            });
            records.push(record);
        }
    }
    (header, records)
}

/// A point against the baseline on one metric.
pub(super) struct Comparison {
    /// Point minus baseline, paired by replication.
    pub paired: Describe,
    /// The half-width the same difference has when the two samples are
    /// taken as independent (Welch).
    pub unpaired_half_width: f64,
}

/// Pairs replication r of the point with replication r of the baseline,
/// up to the shorter of the two.
pub(super) fn compare(point: &[&Row], baseline: &[&Row], metric: usize) -> Option<Comparison> {
    let n = point.len().min(baseline.len());
    let a: Vec<Option<f64>> = point[..n].iter().map(|r| r.metrics[metric]).collect();
    let b: Vec<Option<f64>> = baseline[..n].iter().map(|r| r.metrics[metric]).collect();
    let paired = stats::paired(&a, &b)?;
    let (both_a, both_b): (Vec<f64>, Vec<f64>) = (a.iter().zip(&b))
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .unzip();
    Some(Comparison {
        paired,
        unpaired_half_width: stats::welch_half_width(&both_a, &both_b),
    })
}

/// A number as the results print it: shortest round-trip, empty when not
/// finite (no interval from one value). Also `tco.csv`'s.
pub(crate) fn number(x: f64) -> String {
    if x.is_finite() {
        x.to_string()
    } else {
        String::new()
    }
}

/// A CSV file of a header and records (the study's tables, `tco.csv`).
pub(crate) fn write_csv(path: &Path, (header, records): Table) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header)?;
    for record in records {
        out.write_record(&record)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let mut file = fs::File::create(path)?;
    file.write_all(&bytes)
}
