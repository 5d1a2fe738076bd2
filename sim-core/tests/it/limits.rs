//! Sizes past the crate's limits are refused by `validate`, naming the
//! limit and a fix. Each case used to be accepted (and then aborted the
//! run for want of memory) or to abort `validate` itself: they are run as
//! `clustersim validate` under a memory cap, so a regression fails the
//! test instead of aborting the test binary, and nothing huge is run.

use crate::support::scratch;

/// A scenario of one DGX group of `count` nodes, with `extra` fields
/// (`fabric: ...,`) and `workload` (the inside of `workload: (...)`).
fn sized(count: u64, extra: &str, workload: &str) -> String {
    format!(
        "Scenario(\n    name: \"big\",\n    seed: 1,\n    cluster: (node_groups: [(name: \"dgx\", count: {count}, node_model: \"DGX-H100\")]),\n    {extra}\n    workload: ({workload}),\n)\n"
    )
}

const ONE_JOB: &str = "jobs: [(submit: \"0s\", request: Gpus(8), runtime: \"1h\")]";

/// `clustersim validate` of `text` with at most 1 GiB of address space:
/// its exit code and stderr.
fn validate_capped(test: &str, text: &str) -> (Option<i32>, String) {
    let dir = scratch(test);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.ron");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" validate \"$1\"")
        .arg(env!("CARGO_BIN_EXE_clustersim"))
        .arg(&file)
        .output()
        .expect("sh runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Refused with exit code 2, the message naming `limit`, and a fix.
fn assert_refused_naming(test: &str, text: &str, limit: u64, located: &str) {
    let (code, stderr) = validate_capped(test, text);
    assert_eq!(code, Some(2), "{test}: {stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(&limit.to_string()),
        "{test}: the limit: {stderr}"
    );
    assert!(
        stderr.contains(located),
        "{test}: located at {located}: {stderr}"
    );
    assert!(stderr.contains("= fix: "), "{test}: {stderr}");
}

#[test]
fn a_switch_radix_is_bounded() {
    let text = sized(
        4,
        "fabric: (topology: LeafSpine(radix: 1000000000)),",
        ONE_JOB,
    );
    assert_refused_naming(
        "limits-radix",
        &text,
        sim_core::fabric::MAX_SWITCH_RADIX.into(),
        "^^^^^^^^^^",
    );
    let text = sized(
        4,
        "fabric: (topology: RailOptimized(nodes_per_unit: 2, radix: 4000000000)),",
        ONE_JOB,
    );
    assert_refused_naming(
        "limits-rail-radix",
        &text,
        sim_core::fabric::MAX_SWITCH_RADIX.into(),
        "radix: 4000000000",
    );
}

#[test]
fn the_nodes_and_gpus_of_a_cluster_are_bounded_in_total() {
    let groups: String = (0..50)
        .map(|i| {
            format!("(name: \"g{i}\", count: 1000000, node_model: \"DGX-H100\", gpus_per_node: 1),")
        })
        .collect();
    let text = sized(1, "", ONE_JOB).replace(
        "node_groups: [(name: \"dgx\", count: 1, node_model: \"DGX-H100\")]",
        &format!("node_groups: [{groups}]"),
    );
    assert_refused_naming(
        "limits-nodes",
        &text,
        sim_core::hardware::MAX_TOTAL_NODES,
        "node_groups",
    );
    // A million nodes of 64 GPUs each.
    let text = sized(1_000_000, "", ONE_JOB).replace(
        "node_model: \"DGX-H100\")",
        "node_model: \"DGX-H100\", gpus_per_node: 64)",
    );
    assert_refused_naming(
        "limits-gpus",
        &text,
        sim_core::hardware::MAX_TOTAL_GPUS,
        "node_groups",
    );
}

#[test]
fn what_a_fabric_wires_is_bounded() {
    // 200,000 DGX nodes are a valid cluster, but 1.6 M GPUs and 1.6 M
    // NICs on one switch are more than a fabric may hold.
    let text = sized(200_000, "fabric: (topology: SingleSwitch),", ONE_JOB);
    assert_refused_naming(
        "limits-endpoints",
        &text,
        sim_core::fabric::MAX_FABRIC_ENDPOINTS,
        "SingleSwitch",
    );
    // A node model with a billion NICs.
    let text = sized(
        2,
        "catalog: (nodes: [(name: \"DGX-H100\", compute_nics: 1000000000)]),\n    fabric: (topology: SingleSwitch),",
        ONE_JOB,
    );
    assert_refused_naming(
        "limits-nics",
        &text,
        sim_core::hardware::MAX_NICS_PER_NODE.into(),
        "compute_nics: 1000000000",
    );
    // An explicit cable bundle of four billion cables, and a million
    // bundles of a thousand.
    let explicit = |links: &str| {
        format!(
            "fabric: (topology: Explicit(switches: [(name: \"a\"), (name: \"b\")], links: [(a: \"dgx-000\", b: \"a\"), (a: \"dgx-001\", b: \"b\"), {links}])),"
        )
    };
    let text = sized(
        2,
        &explicit("(a: \"a\", b: \"b\", count: 4000000000)"),
        ONE_JOB,
    );
    assert_refused_naming(
        "limits-cables",
        &text,
        sim_core::fabric::MAX_SWITCH_RADIX.into(),
        "4000000000 parallel cables",
    );
    let bundles = "(a: \"a\", b: \"b\", count: 1000), ".repeat(2000);
    let text = sized(2, &explicit(&bundles), ONE_JOB);
    assert_refused_naming(
        "limits-all-cables",
        &text,
        sim_core::fabric::MAX_EXPLICIT_CABLES,
        "Explicit(",
    );
}

#[test]
fn the_jobs_of_a_workload_are_bounded_in_total() {
    let generator = |i: usize| {
        format!(
            "(name: \"g{i}\", arrival: Poisson(mean_interarrival: \"1s\"), count: 100000000, sizes: [(request: Gpus(1), weight: 1.0)], duration: Exponential(mean: \"1h\")),"
        )
    };
    let generators: String = (0..100).map(generator).collect();
    let text = sized(4, "", &format!("generators: [{generators}]"));
    assert_refused_naming(
        "limits-jobs",
        &text,
        sim_core::workload::MAX_TOTAL_JOBS,
        "workload",
    );
    // One generator at the limit is fine; with one more job, it is not.
    let text = sized(4, "", &format!("{ONE_JOB}, generators: [{}]", generator(0)));
    assert_refused_naming(
        "limits-jobs-plus-one",
        &text,
        sim_core::workload::MAX_TOTAL_JOBS,
        "workload",
    );
    let (code, stderr) = validate_capped(
        "limits-jobs-at",
        &sized(4, "", &format!("generators: [{}]", generator(0))),
    );
    assert_eq!(code, Some(0), "{stderr}");
}
