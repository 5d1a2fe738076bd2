//! What the integration tests share: where the workspace's files are, and
//! running the `clustersim` binary or a scenario.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sim_core::scenario::{Scenario, SetArg, load_file};
use sim_core::simulation::{RunResult, run};

/// The workspace root (the parent of `sim-core/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim-core sits in the workspace")
        .to_path_buf()
}

/// A file of the workspace, by its path from the root
/// (`"scenarios/quickstart.ron"`).
pub fn path(relative: &str) -> PathBuf {
    workspace_root().join(relative)
}

/// A scratch directory for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `clustersim` from the workspace root, so relative paths in
/// arguments and in its output start there.
pub fn clustersim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clustersim"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("the clustersim binary runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("clustersim prints UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("clustersim prints UTF-8")
}

/// Loads a scenario of the workspace with `--set` overrides; panics with
/// the diagnostics if it does not load.
pub fn load(relative: &str, overrides: &[&str]) -> Scenario {
    let overrides: Vec<SetArg> = overrides.iter().map(|s| SetArg::set(*s)).collect();
    load_file(&path(relative), &overrides)
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
        .scenario
}

/// Loads and runs a scenario of the workspace, discarding the trace.
pub fn simulate(relative: &str, overrides: &[&str]) -> RunResult {
    run(&load(relative, overrides), &mut (), &mut |_| {})
}

/// Every `.ron` file below `dir` (relative to the workspace root), sorted.
/// The bundled scenarios: every `.ron` under `scenarios/` but the studies.
pub fn scenario_files() -> Vec<String> {
    (ron_files("scenarios").into_iter())
        .filter(|f| {
            f.strip_prefix(STUDIES)
                .is_none_or(|rest| rest.contains('/'))
        })
        .collect()
}

/// Where the bundled studies are: study files, not scenarios; their base
/// scenarios, in subdirectories, are scenarios.
pub const STUDIES: &str = "scenarios/studies/";

pub fn ron_files(dir: &str) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "ron") {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_str().unwrap().replace('\\', "/"));
            }
        }
    }
    let root = workspace_root();
    let mut files = Vec::new();
    walk(&root, &root.join(dir), &mut files);
    files.sort();
    files
}

/// `1000000` as `1,000,000`, as the README writes numbers.
pub fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
