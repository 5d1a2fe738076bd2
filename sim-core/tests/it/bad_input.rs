//! Bad input is refused with file:line:column, what was found, and a fix;
//! exit code 2; never a panic.
//!
//! `tests/broken/*.ron` each hold one mistake. Their first line says where
//! the error must point and what it must say:
//! `// expect: LINE:COLUMN message fragment`. The expected position is that
//! of the offending value as a person would point at it (it was computed
//! from the file's text when the case was written, not from this program).

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sim_core::scenario::{Location, SetArg, load_file, load_str};

use crate::support::{clustersim, path, ron_files};

fn quickstart() -> PathBuf {
    path("scenarios/quickstart.ron")
}

struct Expectation {
    line: usize,
    column: usize,
    fragment: String,
}

fn expectation(path: &Path) -> Expectation {
    let text = fs::read_to_string(path).unwrap();
    let header = text.lines().next().unwrap();
    let rest = header
        .strip_prefix("// expect: ")
        .unwrap_or_else(|| panic!("{} lacks its `// expect:` line", path.display()));
    let (position, fragment) = rest.split_once(' ').unwrap();
    let (line, column) = position.split_once(':').unwrap();
    Expectation {
        line: line.parse().unwrap(),
        column: column.parse().unwrap(),
        fragment: fragment.to_string(),
    }
}

fn broken_files() -> Vec<PathBuf> {
    ron_files("sim-core/tests/broken")
        .iter()
        .map(|f| path(f))
        .collect()
}

#[test]
fn each_broken_scenario_is_located_explained_and_exits_2() {
    for path in broken_files() {
        let expected = expectation(&path);
        let shown = path.display().to_string();
        for command in ["validate", "run"] {
            let out = clustersim(&[command, &shown]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {shown}:\n{stderr}");
            let first = stderr.lines().next().unwrap_or_default();
            let position = format!("{shown}:{}:{}:", expected.line, expected.column);
            assert!(
                first.starts_with(&format!("error: {position}")),
                "{shown}: expected the error at {position}, got:\n{stderr}"
            );
            assert!(
                first.contains(&expected.fragment),
                "{shown}: expected `{}` in the message, got:\n{stderr}",
                expected.fragment
            );
            assert!(
                stderr.contains("= fix: "),
                "{shown}: no fix offered:\n{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{shown} panicked:\n{stderr}");
            assert!(
                out.stdout.is_empty(),
                "{shown}: something ran:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = fs::read_to_string(quickstart())
        .unwrap()
        .replace("count: 4, node_model", "count: 0, node_model")
        .replace("time_limit_factor: 1.5", "time_limit_factor: -1.0");
    let err = load_str("two-mistakes.ron", &text, &[]).unwrap_err();
    assert_eq!(err.diagnostics.len(), 2, "{err}");
    assert!(
        err.to_string()
            .ends_with("2 problems found; nothing was run.")
    );
}

#[test]
fn override_errors_point_at_the_override() {
    let err = load_file(&quickstart(), &[SetArg::set("seed=abc")]).unwrap_err();
    let d = err.first();
    assert!(
        matches!(&d.location, Location::Override { argument, .. } if argument == "seed=abc"),
        "{err}"
    );
    assert!(d.message.contains("wrong type"), "{err}");

    let err = load_file(
        &quickstart(),
        &[SetArg::set("cluster.node_groups[3].count=1")],
    )
    .unwrap_err();
    assert!(err.first().message.contains("no element [3]"), "{err}");

    let err = load_file(
        &quickstart(),
        &[SetArg::set("cluster.node_groups[0].cuont=1")],
    )
    .unwrap_err();
    assert!(
        err.first().message.contains("unknown field `cuont`"),
        "{err}"
    );
    assert_eq!(err.first().fix.as_deref(), Some("did you mean `count`?"));

    let out = clustersim(&[
        "run",
        &quickstart().display().to_string(),
        "--set",
        "stop.horizon=-1d",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--set stop.horizon=-1d"), "{stderr}");
    assert!(stderr.contains("negative"), "{stderr}");
}

#[test]
fn errors_after_an_override_keep_file_positions() {
    // The override lengthens the `seed` line; the error further down must
    // still carry its line number in the file.
    let text = fs::read_to_string(quickstart()).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("count: 4, node_model"))
        .unwrap()
        + 1;
    let broken = text.replace("count: 4, node_model", "count: 0, node_model");
    let err = load_str("q.ron", &broken, &[SetArg::set("seed=123456789012")]).unwrap_err();
    match &err.first().location {
        Location::File { line: l, .. } => assert_eq!(*l, line, "{err}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_file_and_bad_arguments_exit_2() {
    let out = clustersim(&["run", "no/such/scenario.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the scenario file"));
    let out = clustersim(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    let out = clustersim(&["run", &quickstart().display().to_string(), "--set", "seed"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs `=`"));
}

#[test]
fn generator_sizes_that_never_fit_are_refused_and_counted() {
    // A warning at load, then every such job is REFUSED, none is lost.
    let oversized = [SetArg::set(
        "workload.generators[0].sizes[4].request=Gpus(64)",
    )];
    let loaded = load_file(&quickstart(), &oversized).unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].message.contains("can never fit"),
        "{}",
        loaded.warnings[0]
    );
    let result = sim_core::simulation::run(&loaded.scenario, &mut (), &mut |_| {});
    let jobs = &result.summary.jobs;
    assert!(jobs.refused > 0);
    assert_eq!(jobs.submitted, jobs.completed + jobs.killed + jobs.refused);
    let refused_64 = result
        .jobs
        .iter()
        .filter(|j| j.state == sim_core::metrics::JobState::Refused)
        .all(|j| j.job.request.total_gpus() == 64 && j.start.is_none());
    assert!(refused_64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Damaging a valid scenario anywhere gives an error or a scenario,
    /// never a panic, and any error has a position inside the file.
    #[test]
    fn damaged_scenarios_never_panic(position in 0.0f64..1.0, cut in 0usize..20, insert in "[-()\\[\\],:\"0-9a-zA-Z ]{0,6}") {
        let text = fs::read_to_string(quickstart()).unwrap();
        let mut at = (position * text.len() as f64) as usize;
        while !text.is_char_boundary(at) { at -= 1; }
        let mut end = (at + cut).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let damaged = format!("{}{}{}", &text[..at], insert, &text[end..]);
        if let Err(err) = load_str("damaged.ron", &damaged, &[]) {
            for d in &err.diagnostics {
                if let Location::File { line, .. } = d.location {
                    prop_assert!(line >= 1 && line <= damaged.lines().count() + 1);
                }
                prop_assert!(d.fix.is_some());
            }
        }
    }

    /// Arbitrary `--set` arguments never panic either.
    #[test]
    fn arbitrary_overrides_never_panic(path in "[a-z_]{1,12}(\\.[a-z_]{1,12}|\\[[0-9]\\]){0,3}", value in "[-()\\[\\]\"0-9a-zA-Z.$ ]{0,10}") {
        let _ = load_file(&quickstart(), &[SetArg::set(format!("{path}={value}"))]);
    }
}
