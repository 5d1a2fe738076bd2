//! Trace replays replicated per seed (`workload.trace.resample`,
//! `estimate_noise`): the same seed gives the same run, another seed
//! another run; without them the seed changes nothing, as before; bad
//! values are refused at their line and column with a fix.

use std::fs;

use sim_core::scenario::{Location, load_file};

use crate::support::{load, path, scratch, simulate};

const KTH: &str = "scenarios/traces/kth-sp2.ron";

/// What happened to every job of a KTH replay with `overrides` (the
/// summary would differ by its seed alone).
fn records(overrides: &[&str]) -> String {
    format!("{:?}", simulate(KTH, overrides).jobs)
}

#[test]
fn a_resampled_replay_is_the_same_for_a_seed_and_differs_between_seeds() {
    for option in [
        r#"workload.trace.resample=Blocks(length: "7d")"#,
        r#"workload.trace.resample=Jobs(window: "1d")"#,
        "workload.trace.estimate_noise=LogNormal(sigma: 0.5)",
    ] {
        let one = records(&[option, "seed=1"]);
        assert_eq!(one, records(&[option, "seed=1"]), "{option}");
        assert_ne!(one, records(&[option, "seed=2"]), "{option}");
    }
}

#[test]
fn without_a_resample_the_seed_changes_nothing() {
    assert!(load(KTH, &[]).workload.trace_replication.is_none());
    assert_eq!(records(&["seed=1"]), records(&["seed=2"]));
}

#[test]
fn a_window_bootstrap_submits_as_many_jobs_as_the_trace() {
    let recorded = simulate(KTH, &[]).summary;
    let resampled = simulate(KTH, &[r#"workload.trace.resample=Jobs(window: "1d")"#]).summary;
    assert_eq!(resampled.jobs.submitted, recorded.jobs.submitted);
    // Another mix of jobs: the same count, other waits.
    assert_ne!(resampled.wait_s.mean, recorded.wait_s.mean);
}

/// A scenario replaying the three-job toy trace (submits at 0, 1 and
/// 200 s) with `options` added to its trace section.
fn toy(options: &str) -> String {
    let trace = path("scripts/peer/toy/easy-head-waits.swf");
    format!(
        "Scenario(\n    name: \"toy\",\n    seed: 1,\n    \
         cluster: (node_groups: [(name: \"n\", count: 16, node_model: \"PCIe-8GPU\", gpus_per_node: 1)]),\n    \
         workload: (trace: (file: {trace:?}, format: Swf,\n        {options})),\n)\n"
    )
}

#[test]
fn bad_resample_values_are_refused_at_their_place_with_a_fix() {
    let dir = scratch("bad_resample_values");
    fs::create_dir_all(&dir).unwrap();
    for (options, value, says) in [
        (
            r#"resample: Blocks(length: "0s")"#,
            r#""0s""#,
            "longer than zero",
        ),
        (
            r#"resample: Jobs(window: "0s")"#,
            r#""0s""#,
            "longer than zero",
        ),
        (
            r#"resample: Jobs(window: "1 fortnight")"#,
            r#""1 fortnight""#,
            "invalid",
        ),
        (
            r#"resample: Blocks(length: "1h")"#,
            r#""1h""#,
            "a block longer than the trace",
        ),
        ("estimate_noise: LogNormal(sigma: -0.5)", "-0.5", "sigma"),
        ("estimate_noise: LogNormal(sigma: 9.0)", "9.0", "sigma"),
    ] {
        let text = toy(options);
        let file = dir.join("toy.ron");
        fs::write(&file, &text).unwrap();
        let err = load_file(&file, &[])
            .err()
            .unwrap_or_else(|| panic!("{options} is accepted"));
        let first = err.first();
        assert!(first.message.contains(says), "{options}: {err}");
        assert!(first.fix.is_some(), "{options}: {err}");
        match &first.location {
            Location::File {
                line, column, span, ..
            } => {
                assert_eq!(&text[span.clone()], value, "{options}: {err}");
                // The option sits on line 6, after 8 spaces.
                assert_eq!(*line, 6, "{err}");
                assert_eq!(*column, 9 + options.find(value).unwrap(), "{err}");
            }
            other => panic!("{options}: {other:?}"),
        }
    }
    // Blocks as long as the trace (200 s) are fine, and so are sigma 0 and
    // windows longer than the trace.
    for options in [
        r#"resample: Blocks(length: "200s")"#,
        r#"resample: Jobs(window: "1000d"), estimate_noise: LogNormal(sigma: 0.0)"#,
    ] {
        let file = dir.join("toy.ron");
        fs::write(&file, toy(options)).unwrap();
        if let Err(err) = load_file(&file, &[]) {
            panic!("{options}: {err}");
        }
    }
}
