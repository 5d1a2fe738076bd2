//! Imports a site's Slurm configuration as a commented scenario:
//! `clustersim import slurm slurm.conf [--topology topology.conf]
//! [--sacct FILE] [--qos FILE] [--gpu-model TYPE=MODEL]...`; and
//! Alibaba's GPU cluster trace (`alibaba`: its node list as the cluster,
//! its pod list as the workload).
//!
//! - `conf`: slurm.conf's syntax as slurmctld reads it (Include,
//!   continuation lines, comments, keys in any case);
//! - `keys`: every key known, mapped or left out with its reason;
//! - `gpus`: `Gres=gpu:type:N` and the catalog model of a GPU type;
//! - `topology`: topology.conf's switches;
//! - `qos`: `sacctmgr show qos -P` output;
//! - `mapping`: all of it to a plan of the scenario;
//! - `writer`: the plan as RON text with its comments.
//!
//! Host lists are `hardware::hostlist`'s, times `units::parse_slurm_minutes`.
//!
//! Invariants: the output is a pure function of the input files and
//! arguments (the same import is byte for byte the same scenario); every
//! key read is mapped, listed with the reason it is left out, or reported
//! as unknown; every error names its file, line and column, what was
//! expected and the fix. The scenario is checked by the caller with
//! `scenario::load_*`, as any other; this module builds no model.

mod alibaba;
mod conf;
mod gpus;
mod keys;
mod mapping;
mod qos;
mod topology;
mod writer;

use std::path::{Component, Path, PathBuf};

use crate::hardware::Catalog;
use crate::text::{FileError, Report};

pub use alibaba::{
    AlibabaFiles, MODELS as ALIBABA_MODELS, STAND_INS as ALIBABA_STAND_INS, alibaba,
};
pub use mapping::SLURM_BACKFILL;

/// What `import slurm` reads.
pub struct SlurmFiles<'a> {
    pub conf: &'a Path,
    pub topology: Option<&'a Path>,
    pub sacct: Option<&'a Path>,
    pub qos: Option<&'a Path>,
    /// `--gpu-model TYPE=MODEL` mappings.
    pub gpu_models: &'a [(String, String)],
    /// Where the scenario will be written (relative paths in it, the sacct
    /// file's, start from its folder); `None` for stdout (paths stay as
    /// given, relative to the current folder).
    pub out: Option<&'a Path>,
}

/// The scenario's text and the warnings to show.
pub struct Imported {
    pub ron: String,
    /// Rendered like errors, as `warning:`.
    pub warnings: Vec<String>,
}

/// Reads the files and writes the scenario.
pub fn slurm(files: &SlurmFiles<'_>) -> Result<Imported, FileError> {
    let catalog = Catalog::builtin();
    for (kind, model) in files.gpu_models {
        gpus::check_mapping(model, &catalog).map_err(|message| {
            FileError::at(
                &format!("--gpu-model {kind}={model}"),
                0,
                0,
                message,
                "TYPE=MODEL, MODEL a catalog GPU model (clustersim catalog lists them)",
                "fix the model name",
            )
        })?;
    }
    let statements = conf::read(files.conf)?;
    let topology = match files.topology {
        Some(p) => Some((p.display().to_string(), topology::read(p)?)),
        None => None,
    };
    let qos = match files.qos {
        Some(p) => {
            let shown = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|e| {
                FileError::at(
                    &shown,
                    0,
                    0,
                    format!("cannot read: {e}"),
                    "a readable text file",
                    "check the path",
                )
            })?;
            Some((shown.clone(), qos::read(&shown, &text)?))
        }
        None => None,
    };
    if let Some(p) = files.sacct
        && !p.is_file()
    {
        return Err(FileError::at(
            &p.display().to_string(),
            0,
            0,
            "the sacct file does not exist",
            "a file of `sacct --parsable2` output",
            "check the path",
        ));
    }
    let sacct = files.sacct.map(|p| relative_to_output(p, files.out));
    let plan = mapping::plan(mapping::Inputs {
        conf_path: files.conf.display().to_string(),
        statements,
        topology,
        qos,
        sacct,
        gpu_models: files.gpu_models,
        catalog: &catalog,
    })?;
    let warnings = plan
        .unknown
        .iter()
        .map(|w| {
            Report {
                severity: "warning",
                position: &w.position(),
                message: &w.message,
                snippets: w.snippet(None).into_iter().collect(),
                notes: &[("expected", Some(&w.expected)), ("fix", Some(&w.fix))],
            }
            .to_string()
        })
        .collect();
    Ok(Imported {
        ron: writer::write(&plan),
        warnings,
    })
}

/// `path` as the scenario at `out` should name it: relative to `out`'s
/// folder when both can be made absolute, else as given.
fn relative_to_output(path: &Path, out: Option<&Path>) -> String {
    let Some(out) = out else {
        return path.display().to_string();
    };
    let absolute = |p: &Path| std::path::absolute(p).ok().map(|p| normalise(&p));
    let (Some(target), Some(dir)) = (
        absolute(path),
        out.parent().and_then(|d| {
            absolute(if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            })
        }),
    ) else {
        return path.display().to_string();
    };
    let t: Vec<_> = target.components().collect();
    let d: Vec<_> = dir.components().collect();
    let common = t.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..d.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
