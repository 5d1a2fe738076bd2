//! Golden snapshots: what clustersim prints and writes, pinned byte for byte.
//!
//! - every bundled scenario under `scenarios/`: the text report of `run`,
//!   its warnings, `summary.json`, and the size and FNV-1a digest of
//!   `jobs.csv`, `timeseries.csv` and `trace.jsonl`
//!   (`tests/snapshots/scenarios/<path>.txt` and `.summary.json`);
//! - the CLI's tables: `compare`, `catalog`, `collective`, `plan`
//!   (`tests/snapshots/cli/`);
//! - the full rendered diagnostic of every broken scenario
//!   (`tests/broken/NN-*.stderr` beside `NN-*.ron`).
//!
//! Commands run from the workspace root with relative paths, so the
//! snapshots hold no path of this machine. A snapshot that changes is a
//! change of behaviour: review the diff, and explain it in the commit
//! message. `UPDATE_EXPECT=1 cargo test -p sim-core --test it snapshots`
//! rewrites them.

use std::fs;

use expect_test::expect_file;

use crate::support::{
    clustersim, ron_files, scenario_files, scratch, stderr, stdout, workspace_root,
};

/// Checks `actual` against the snapshot at `path` (relative to the
/// workspace root); collects a mismatch instead of stopping at the first.
fn check(path: &str, actual: &str, failures: &mut Vec<String>) {
    let file = workspace_root().join(path);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let outcome = std::panic::catch_unwind(|| expect_file![file].assert_eq(actual));
    if outcome.is_err() {
        failures.push(path.to_string());
    }
}

fn finish(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} snapshot(s) differ (diffs above): {failures:?}\n\
         If the change is intended, rerun with UPDATE_EXPECT=1 and explain the diff in the commit.",
        failures.len()
    );
}

/// FNV-1a, 64 bits: enough to notice any change of an output file.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn bundled_scenarios_match_their_snapshots() {
    let scratch = scratch("snapshots");
    let mut failures = Vec::new();
    let scenarios = scenario_files();
    assert!(!scenarios.is_empty());
    for scenario in &scenarios {
        let out_dir = scratch.join(scenario.trim_end_matches(".ron"));
        let out_arg = out_dir.to_str().unwrap();
        let out = clustersim(&["run", scenario, "--out", out_arg, "-q"]);
        assert_eq!(out.status.code(), Some(0), "{scenario}: {}", stderr(&out));
        let mut report = stdout(&out).replace(out_arg, "<out>");
        let warnings = stderr(&out);
        if !warnings.is_empty() {
            report.push_str("--- stderr\n");
            report.push_str(&warnings);
        }
        report.push_str("--- output files (bytes, FNV-1a 64)\n");
        for name in ["jobs.csv", "timeseries.csv", "trace.jsonl"] {
            let bytes = fs::read(out_dir.join(name)).unwrap();
            report.push_str(&format!(
                "{name:<15} {:>10} {:016x}\n",
                bytes.len(),
                fnv1a(&bytes)
            ));
        }
        let stem = scenario
            .strip_prefix("scenarios/")
            .unwrap()
            .trim_end_matches(".ron");
        check(
            &format!("sim-core/tests/snapshots/scenarios/{stem}.txt"),
            &report,
            &mut failures,
        );
        let summary = fs::read_to_string(out_dir.join("summary.json")).unwrap();
        check(
            &format!("sim-core/tests/snapshots/scenarios/{stem}.summary.json"),
            &summary,
            &mut failures,
        );
    }
    let _ = fs::remove_dir_all(&scratch);
    finish(failures);
}

/// The CLI's other outputs: one snapshot per command line.
#[test]
fn cli_tables_match_their_snapshots() {
    let cases: &[(&str, &[&str])] = &[
        (
            "compare-fcfs-vs-easy.txt",
            &[
                "compare",
                "scenarios/teaching/fcfs-vs-easy.ron",
                "--a-set",
                "scheduler.backfill=None",
                "--b-set",
                "scheduler.backfill=Easy",
            ],
        ),
        (
            "compare-quickstart-seeds.json",
            &[
                "compare",
                "scenarios/quickstart.ron",
                "--b-set",
                "seed=7",
                "--format",
                "json",
            ],
        ),
        ("help.txt", &["--help"]),
        (
            "validate-quickstart.txt",
            &["validate", "scenarios/quickstart.ron"],
        ),
        ("catalog.txt", &["catalog"]),
        ("catalog.json", &["catalog", "--format", "json"]),
        (
            "collective-ib-ndr-2-nodes.txt",
            &[
                "collective",
                "scenarios/hardware/ib-ndr-400g.ron",
                "--nodes",
                "2",
                "-b",
                "8",
                "-e",
                "16G",
                "-f",
                "16",
            ],
        ),
        (
            "collective-ib-ndr-4-nodes-flow.txt",
            &[
                "collective",
                "scenarios/hardware/ib-ndr-400g.ron",
                "--nodes",
                "4",
                "-b",
                "1M",
                "-e",
                "1G",
                "-f",
                "32",
                "--mode",
                "flow",
            ],
        ),
        (
            "plan-llama3-70b.txt",
            &[
                "plan",
                "--model",
                "llama3-70b",
                "--tokens",
                "15T",
                "--days",
                "90",
                "--node",
                "DGX-H100",
                "--tp",
                "8",
                "--pp",
                "4",
                "--global-batch",
                "1024",
                "--sequence-parallel",
            ],
        ),
        (
            "plan-mixtral-on-roce.json",
            &[
                "plan",
                "--scenario",
                "scenarios/hardware/roce-200g.ron",
                "--model",
                "mixtral-8x7b",
                "--tokens",
                "10B",
                "--tp",
                "8",
                "--ep",
                "8",
                "--global-batch",
                "256",
                "--format",
                "json",
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, args) in cases {
        let out = clustersim(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let mut shown = format!("$ clustersim {}\n", args.join(" "));
        shown.push_str(&stdout(&out));
        check(
            &format!("sim-core/tests/snapshots/cli/{name}"),
            &shown,
            &mut failures,
        );
    }
    finish(failures);
}

/// Every broken scenario's full diagnostic, as `validate` prints it.
#[test]
fn broken_scenarios_render_as_snapshotted() {
    let mut failures = Vec::new();
    let files = ron_files("sim-core/tests/broken");
    assert!(!files.is_empty());
    for file in &files {
        let out = clustersim(&["validate", file]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        check(
            &file.replace(".ron", ".stderr"),
            &stderr(&out),
            &mut failures,
        );
    }
    finish(failures);
}
