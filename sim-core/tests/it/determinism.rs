//! Same scenario + seed => byte-identical output files (with failures,
//! repairs and requeues too); another seed => different ones; a new, unrelated random stream leaves existing draws
//! alone.

use std::fs;
use std::path::Path;

use sim_core::metrics::OUTPUT_FILES;
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

use crate::support::{clustersim, path, scratch};

/// Runs the CLI with `--out` into a fresh directory and returns the files.
fn run_to_files(scenario: &str, overrides: &[&str], tag: &str) -> Vec<(String, Vec<u8>)> {
    let dir = scratch(&format!("determinism-{tag}"));
    let dir_arg = dir.display().to_string();
    let mut args = vec!["run", scenario, "--out", &dir_arg, "--quiet"];
    for o in overrides {
        args.extend(["--set", o]);
    }
    let out = clustersim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    OUTPUT_FILES
        .iter()
        .map(|f| (f.to_string(), fs::read(dir.join(f)).unwrap()))
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let day = "scenarios/h100-128-nodes-day.ron";
    let first = run_to_files(day, &[], "a");
    let second = run_to_files(day, &[], "b");
    for ((name, a), (_, b)) in first.iter().zip(&second) {
        assert!(!a.is_empty(), "{name} is empty");
        assert!(a == b, "{name} differs between two runs of the same seed");
    }
    let other = run_to_files(day, &["seed=2025"], "c");
    for ((name, a), (_, c)) in first.iter().zip(&other) {
        assert!(a != c, "{name} is the same under another seed");
    }
}

#[test]
fn stdout_json_equals_the_summary_file() {
    let quick = "scenarios/quickstart.ron";
    let files = run_to_files(quick, &[], "json");
    let out = clustersim(&["run", "--format", "json", "--quiet", quick]);
    assert!(out.status.success());
    assert_eq!(
        out.stdout, files[0].1,
        "stdout JSON and summary.json differ"
    );
}

/// Submission times of the jobs a generator produced, in order.
fn submit_times(path: &Path, overrides: &[&str], generator: &str) -> Vec<u64> {
    let overrides: Vec<SetArg> = overrides.iter().map(|o| SetArg::set(*o)).collect();
    let s = load_file(path, &overrides).unwrap().scenario;
    let name = s
        .workload
        .directory
        .job_names
        .iter()
        .position(|n| n == generator)
        .unwrap() as u32;
    let result = run(&s, &mut (), &mut |_| {});
    result
        .jobs
        .iter()
        .filter(|j| j.job.name == name)
        .map(|j| j.job.submit.as_ns())
        .collect()
}

#[test]
fn an_unrelated_random_stream_does_not_change_the_arrivals() {
    let day = path("scenarios/h100-128-nodes-day.ron");
    let base = submit_times(&day, &[], "interactive");
    // A different size mix and duration law draw from their own streams...
    let changed = submit_times(
        &day,
        &[
            "workload.generators[0].sizes[0].weight=1",
            "workload.generators[0].duration=Exponential(mean: \"2h\")",
        ],
        "interactive",
    );
    assert_eq!(base, changed);
    // ...and removing every other generator does not move them either.
    let alone = submit_times(
        &day,
        &[
            "workload.generators[1].count=1",
            "workload.generators[2].count=1",
            "workload.generators[3].count=1",
        ],
        "interactive",
    );
    assert_eq!(base, alone);
    assert!(base.len() > 1000);
}

#[test]
fn results_do_not_depend_on_the_thread_doing_the_work() {
    // Runs are single-threaded by design; running several at once on
    // different threads (as Monte Carlo will) must not change any of them.
    let quick = path("scenarios/quickstart.ron");
    let reference = run(
        &load_file(&quick, &[]).unwrap().scenario,
        &mut (),
        &mut |_| {},
    )
    .summary;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let quick = quick.clone();
            std::thread::spawn(move || {
                run(
                    &load_file(&quick, &[]).unwrap().scenario,
                    &mut (),
                    &mut |_| {},
                )
                .summary
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), reference);
    }
}

#[test]
fn failures_and_repairs_give_byte_identical_files() {
    // The llama3-h100 rates scaled up 3,000 times on 8 nodes: a few dozen
    // failures a day, with detection, repairs, requeues and a
    // checkpointing job.
    let dir = scratch("determinism-reliability");
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("failures.ron");
    fs::write(
        &file,
        r#"Scenario(
    name: "determinism-failures",
    seed: 11,
    cluster: (node_groups: [(name: "n", count: 8, node_model: "DGX-H100")]),
    workload: (jobs: [
        (name: "a", submit: "0s", request: Nodes(count: 4, gpus_per_node: 8), runtime: "12h", time_limit: "3d",
         checkpoint: (interval: Every("30m"), cost: "2m")),
        (name: "b", submit: "0s", request: Nodes(count: 2, gpus_per_node: 8), runtime: "6h", time_limit: "3d"),
        (name: "c", submit: "1h", request: Gpus(4), runtime: "8h", time_limit: "3d"),
        (name: "d", submit: "2h", request: Nodes(count: 2, gpus_per_node: 8), runtime: "10h", time_limit: "3d"),
    ]),
    scheduler: (order: Fcfs, backfill: Easy),
    reliability: (preset: "llama3-h100", scale: 3000.0, health_check_interval: "5m"),
    outputs: (timeseries_interval: "10m"),
)"#,
    )
    .unwrap();
    let file = file.display().to_string();
    let first = run_to_files(&file, &[], "rel-a");
    let second = run_to_files(&file, &[], "rel-b");
    for ((name, a), (_, b)) in first.iter().zip(&second) {
        assert!(!a.is_empty(), "{name} is empty");
        assert!(a == b, "{name} differs between two runs of the same seed");
    }
    let summary = &first.iter().find(|(n, _)| n == "summary.json").unwrap().1;
    let summary: serde_json::Value = serde_json::from_slice(summary).unwrap();
    let failures = summary["reliability"]["failures"].as_u64().unwrap();
    assert!(
        failures >= 5,
        "{failures} failures: too few to mean anything"
    );
}
