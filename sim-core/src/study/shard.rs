//! Shard files and their merge: `clustersim study STUDY --shard I/N`
//! writes `shards/shard-I-of-N.json` (its slice of the replications, with
//! the study's manifest), and `clustersim study merge DIR` turns a
//! complete set into exactly the results a one-machine run writes.
//!
//! Invariants: a merge writes nothing unless it has every shard of one
//! study, each once; otherwise it names the missing, duplicate, foreign
//! and unreadable files and leaves every shard file as it was, so the
//! missing ones can be run and the merge retried. The stopping rule, if
//! any, is applied to the union in replication order, as the one-machine
//! runner applies it.

use std::fs;
use std::path::{Path, PathBuf};

use super::file::{FORMAT, ManifestFile, RowRecord, RuleRecord, ShardFile};
use super::output::{manifest, write};
use super::run::Shard;
use super::{Row, Rule, Study};

/// The directory of shard files under a study's output directory.
pub const SHARD_DIR: &str = "shards";

/// The file shard `shard` of a study writes under `dir`.
pub fn shard_path(dir: &Path, shard: Shard) -> PathBuf {
    dir.join(SHARD_DIR)
        .join(format!("shard-{}-of-{}.json", shard.index, shard.count))
}

/// Writes a shard's rows (sorted) with the study's manifest; returns the
/// file written.
pub fn write_shard(
    dir: &Path,
    study: &Study,
    shard: Shard,
    rows: &[Row],
) -> std::io::Result<PathBuf> {
    let path = shard_path(dir, shard);
    fs::create_dir_all(dir.join(SHARD_DIR))?;
    let file = ShardFile {
        format: FORMAT,
        shard: shard.index,
        shards: shard.count,
        manifest: manifest(study),
        rows: (rows.iter())
            .map(|r| RowRecord {
                point: r.point as u64,
                replication: r.replication,
                seed: r.seed,
                metrics: r.metrics.clone(),
            })
            .collect(),
    };
    let mut json = serde_json::to_vec(&file)?;
    json.push(b'\n');
    fs::write(&path, json)?;
    Ok(path)
}

/// Why shards could not be merged.
#[derive(Debug)]
pub enum MergeError {
    /// Missing, duplicate, foreign or unreadable shards (bad input): what
    /// is wrong with each, and how to complete the set.
    BadInput(String),
    /// Writing the results failed.
    Io(String),
}

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    pub study: String,
    pub shards: u64,
    pub replications: u64,
}

/// Merges the shards under `dir` into results written to `out`.
pub fn merge(dir: &Path, out: &Path) -> Result<Merged, MergeError> {
    let shard_dir = dir.join(SHARD_DIR);
    let listing = fs::read_dir(&shard_dir).map_err(|e| {
        MergeError::BadInput(format!(
            "cannot list {}: {e}\n  = fix: run the shards first: clustersim study STUDY.ron --shard I/N --out {} (for I = 0 .. N-1)",
            shard_dir.display(),
            dir.display()
        ))
    })?;
    let mut names: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(MergeError::BadInput(format!(
            "{} holds no shard files (shard-I-of-N.json)\n  = fix: run the shards first: clustersim study STUDY.ron --shard I/N --out {}",
            shard_dir.display(),
            dir.display()
        )));
    }
    let mut problems: Vec<String> = Vec::new();
    let mut shards: Vec<(PathBuf, ShardFile)> = Vec::new();
    for path in names {
        let parsed = fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                serde_json::from_slice::<ShardFile>(&bytes).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(s) if s.format == FORMAT => shards.push((path, s)),
            Ok(s) => problems.push(format!(
                "{}: shard format {} (this clustersim reads format {FORMAT}): rerun that shard with this clustersim",
                path.display(),
                s.format
            )),
            Err(e) => problems.push(format!(
                "{}: not a shard file ({e}): rerun that shard, or move the file away",
                path.display()
            )),
        }
    }
    // The study most files belong to is the one being merged (ties: the
    // first file's); the rest are foreign.
    let key = |s: &ShardFile| (s.manifest.fingerprint.clone(), s.shards);
    let reference = (shards.iter())
        .max_by_key(|(_, s)| {
            let k = key(s);
            let votes = shards.iter().filter(|(_, t)| key(t) == k).count();
            (
                votes,
                std::cmp::Reverse(shards.iter().position(|(_, t)| key(t) == k)),
            )
        })
        .map(|(_, s)| key(s));
    let Some((fingerprint, count)) = reference else {
        return Err(MergeError::BadInput(problems.join("\n")));
    };
    let mut seen: Vec<Option<PathBuf>> = vec![None; count as usize];
    let mut kept: Vec<ShardFile> = Vec::new();
    for (path, s) in shards {
        if (s.manifest.fingerprint.clone(), s.shards) != (fingerprint.clone(), count) {
            problems.push(format!(
                "{}: shard {}/{} of study `{}` (fingerprint {}), not of the study being merged (fingerprint {fingerprint}, {count} shards): move it away",
                path.display(),
                s.shard,
                s.shards,
                s.manifest.study,
                s.manifest.fingerprint
            ));
        } else if s.shard >= count {
            problems.push(format!(
                "{}: shard index {} of {count}: move it away",
                path.display(),
                s.shard
            ));
        } else if let Some(first) = &seen[s.shard as usize] {
            problems.push(format!(
                "{}: a duplicate of shard {}/{count} (also in {}): keep one of them",
                path.display(),
                s.shard,
                first.display()
            ));
        } else {
            seen[s.shard as usize] = Some(path);
            kept.push(s);
        }
    }
    let missing: Vec<u64> = (0..count).filter(|&i| seen[i as usize].is_none()).collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|i| format!("{i}/{count}"))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(format!(
            "missing shard{} {list} of {count}: run {} with `--shard I/{count} --out {}` (the shard files present are kept)",
            if missing.len() == 1 { "" } else { "s" },
            kept.first().map_or("the study".to_string(), |s| format!("clustersim study {}", s.manifest.study_file)),
            dir.display()
        ));
    }
    if !problems.is_empty() {
        return Err(MergeError::BadInput(problems.join("\n")));
    }
    let manifest = kept[0].manifest.clone();
    let mut rows: Vec<Row> = (kept.into_iter())
        .flat_map(|s| s.rows)
        .map(|r| Row {
            point: r.point as usize,
            replication: r.replication,
            seed: r.seed,
            metrics: r.metrics,
        })
        .collect();
    rows.sort_by_key(|r| (r.point, r.replication));
    let rule = rule_of(&manifest);
    let rows = complete(&manifest, rule, rows).map_err(MergeError::BadInput)?;
    write(out, &manifest, &rows).map_err(|e| {
        MergeError::Io(format!(
            "cannot write the results into {}: {e}",
            out.display()
        ))
    })?;
    Ok(Merged {
        study: manifest.study,
        shards: count,
        replications: rows.len() as u64,
    })
}

fn rule_of(manifest: &ManifestFile) -> Rule {
    match &manifest.replications {
        RuleRecord::Fixed { replications } => Rule::Fixed(*replications),
        RuleRecord::Until {
            metric,
            relative_half_width,
            min,
            max,
            batch,
        } => Rule::Until {
            metric: manifest
                .metrics
                .iter()
                .position(|m| m == metric)
                .unwrap_or(0),
            relative_half_width: *relative_half_width,
            min: *min,
            max: *max,
            batch: *batch,
        },
    }
}

/// Checks that every point has replications 0 .. max, each once, and keeps
/// the ones the rule decides on.
fn complete(manifest: &ManifestFile, rule: Rule, rows: Vec<Row>) -> Result<Vec<Row>, String> {
    let max = rule.max_replications();
    let points = manifest.points.len();
    let mut by_point: Vec<Vec<Row>> = vec![Vec::new(); points];
    for row in rows {
        if row.point >= points || row.metrics.len() != manifest.metrics.len() {
            return Err(format!(
                "a shard holds a row of no point of this study (point {}): rerun the shards",
                row.point
            ));
        }
        by_point[row.point].push(row);
    }
    let mut kept = Vec::new();
    for (p, rows) in by_point.into_iter().enumerate() {
        let complete = rows.len() as u64 == max
            && rows
                .iter()
                .enumerate()
                .all(|(r, row)| row.replication == r as u64);
        if !complete {
            return Err(format!(
                "point {p} has {} of its {max} replications across the shards: a shard was cut short; rerun the shards",
                rows.len()
            ));
        }
        let n = match rule {
            Rule::Until { metric, .. } => {
                let samples: Vec<Option<f64>> = rows.iter().map(|r| r.metrics[metric]).collect();
                rule.replications_needed(&samples).unwrap_or(max)
            }
            Rule::Fixed(n) => n,
        };
        kept.extend(rows.into_iter().take(n as usize));
    }
    Ok(kept)
}
