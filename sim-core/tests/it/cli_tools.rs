//! `collective` and `plan` as a careful user meets them: each test here
//! reproduces a defect found in issue 15 (it failed on the code before the
//! fix) and pins the fix.

use crate::support::{clustersim, scratch};

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// busbw (GB/s) of the last row of a `collective --format json` run.
fn last_busbw(args: &[&str]) -> f64 {
    let mut full = vec!["collective"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    let out = clustersim(&full);
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    rows.last().unwrap()["busbw_gbytes_per_s"].as_f64().unwrap()
}

/// Analytic `collective` ignored the fabric's link rate: 200G RoCE left
/// the busbw of 400G NICs unchanged (`run` and `plan` did clip it).
#[test]
fn analytic_collective_runs_at_the_fabrics_link_rate() {
    let base = [
        "scenarios/hardware/ib-ndr-400g.ron",
        "--nodes",
        "4",
        "-b",
        "8G",
        "-e",
        "8G",
        "--algo",
        "ring",
    ];
    let ndr = last_busbw(&base);
    let mut slow = base.to_vec();
    slow.extend_from_slice(&["--set", "fabric.links=\"roce-200g\""]);
    let roce = last_busbw(&slow);
    // Eight 200G NICs give 8 × 25 GB/s × 0.96 = 192 GB/s of bus.
    assert!(
        (roce - 192.0).abs() / 192.0 < 0.02,
        "200G NICs: {roce:.1} GB/s (400G: {ndr:.1})"
    );
    assert!(roce < ndr * 0.7, "400G {ndr:.1} vs 200G {roce:.1}");
}

/// Analytic `collective` used no fabric latency: across the leaves of a
/// leaf-spine a small all-reduce crosses two more switches per network
/// step than on one switch, so it must take longer there.
#[test]
fn analytic_collective_pays_the_fabrics_latency_across_leaves() {
    let time_at_8_bytes = |extra: &[&str]| {
        let mut args = vec![
            "collective",
            "scenarios/hardware/ib-ndr-400g.ron",
            "--nodes",
            "16",
            "-b",
            "8",
            "-e",
            "8",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = clustersim(&args);
        assert!(out.status.success(), "{}", stderr_of(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["rows"][0]["time_us"].as_f64().unwrap()
    };
    let leaves = time_at_8_bytes(&[]);
    let one_switch = time_at_8_bytes(&["--set", "fabric.topology=SingleSwitch"]);
    assert!(
        leaves > one_switch,
        "across leaves {leaves} us vs one switch {one_switch} us"
    );
}

/// The text header named the mode that ran (this one did not reproduce
/// on the code of issue 15's start: the header already said "flow mode";
/// kept as a guard).
#[test]
fn collective_header_names_the_mode_that_ran() {
    for mode in ["analytic", "flow"] {
        let out = clustersim(&[
            "collective",
            "scenarios/hardware/ib-ndr-400g.ron",
            "--nodes",
            "2",
            "-b",
            "1M",
            "-e",
            "1M",
            "--mode",
            mode,
        ]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        let header = text.lines().next().unwrap();
        assert!(header.ends_with(&format!("{mode} mode")), "{header}");
    }
}

/// The `--help` examples named `scenarios/hardware/h100-ib-ndr.ron`,
/// which does not exist: every scenario path in every subcommand's help
/// must exist.
#[test]
fn help_examples_name_files_that_exist() {
    for command in ["collective", "plan", "run", "compare", "study", "tco"] {
        let out = clustersim(&[command, "--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        for word in text.split_whitespace() {
            if word.starts_with("scenarios/") && word.ends_with(".ron") {
                assert!(
                    crate::support::path(word).exists(),
                    "`clustersim {command} --help` names {word}, which does not exist"
                );
            }
        }
    }
}

/// `collective` and `plan --scenario` refused a scenario whose workload
/// is empty, which they never use.
#[test]
fn cluster_only_commands_take_a_scenario_without_a_workload() {
    let dir = scratch("cli_tools_empty_workload");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cluster.ron");
    std::fs::write(
        &file,
        "Scenario(\n    name: \"cluster only\",\n    seed: 1,\n    cluster: (node_groups: [(name: \"dgx\", count: 4, node_model: \"DGX-H100\")]),\n    workload: (),\n)\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = clustersim(&["collective", path, "--nodes", "2", "-b", "1M", "-e", "1M"]);
    assert!(out.status.success(), "collective: {}", stderr_of(&out));
    let out = clustersim(&[
        "plan",
        "--scenario",
        path,
        "--model",
        "llama3-8b",
        "--tokens",
        "10B",
        "--tp",
        "1",
        "--global-batch",
        "64",
    ]);
    assert!(out.status.success(), "plan: {}", stderr_of(&out));
    // `run` still needs a workload.
    let out = clustersim(&["run", path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("the workload is empty"));
}

/// `plan` and `collective` printed their own errors without the `error:`
/// prefix every other error has.
#[test]
fn plan_and_collective_errors_say_error() {
    for args in [
        vec![
            "collective",
            "scenarios/hardware/ib-ndr-400g.ron",
            "--nodes",
            "99",
        ],
        vec![
            "plan",
            "--model",
            "llama3-8b",
            "--tokens",
            "10B",
            "--global-batch",
            "64",
            "--gpus",
            "12",
        ],
    ] {
        let out = clustersim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = stderr_of(&out);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}

/// `run` printed "(0.0 M events/s)" for a short run: the rate is given in
/// a unit that shows it.
#[test]
fn run_prints_an_event_rate_that_is_not_zero() {
    let out = clustersim(&["run", "scenarios/teaching/fcfs-vs-easy.ron"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    let line = stderr
        .lines()
        .find(|l| l.contains("events/s"))
        .expect("a wall-time line");
    assert!(!line.contains("(0.0 "), "{line}");
}

/// `plan --scenario` always took the first node group; `--group` names
/// another.
#[test]
fn plan_plans_on_the_node_group_it_is_given() {
    let dir = scratch("cli_tools_plan_group");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two-groups.ron");
    std::fs::write(
        &file,
        "Scenario(\n    name: \"two generations\",\n    seed: 1,\n    cluster: (node_groups: [\n        (name: \"a100\", count: 8, node_model: \"DGX-A100\"),\n        (name: \"h100\", count: 8, node_model: \"DGX-H100\"),\n    ]),\n    workload: (),\n)\n",
    )
    .unwrap();
    let scenario = file.to_str().unwrap();
    let gpu_of = |group: Option<&str>| {
        let mut args = vec![
            "plan",
            "--scenario",
            scenario,
            "--model",
            "llama3-8b",
            "--tokens",
            "10B",
            "--tp",
            "1",
            "--global-batch",
            "64",
            "--format",
            "json",
        ];
        if let Some(g) = group {
            args.extend_from_slice(&["--group", g]);
        }
        let out = clustersim(&args);
        assert!(out.status.success(), "{group:?}: {}", stderr_of(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["gpu"].as_str().unwrap().to_string()
    };
    assert_eq!(gpu_of(None), "A100-SXM-80GB");
    assert_eq!(gpu_of(Some("h100")), "H100-SXM-80GB");
    let out = clustersim(&[
        "plan",
        "--scenario",
        scenario,
        "--group",
        "nope",
        "--model",
        "llama3-8b",
        "--tokens",
        "10B",
        "--global-batch",
        "64",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("use one of: a100, h100"));
}
