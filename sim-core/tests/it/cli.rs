//! The command line as scripts use it: the summary JSON contract, the output
//! files, `validate`, `catalog`, `--help`.

use std::fs;
use std::process::Output;

use crate::support::{clustersim, path, scratch};

const QUICKSTART: &str = "scenarios/quickstart.ron";

/// The keys of the README's "Summary keys" table, which scripts rely on.
fn documented_summary_keys() -> Vec<String> {
    let readme = fs::read_to_string(path("README.md")).unwrap();
    let table = readme
        .split("Summary keys (scripts depend on these names):")
        .nth(1)
        .expect("the README documents the summary keys");
    let mut keys = Vec::new();
    for row in table
        .lines()
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('|'))
    {
        let first = row.split('|').nth(1).unwrap_or_default();
        keys.extend(first.split('`').skip(1).step_by(2).map(str::to_string));
    }
    keys.retain(|k| k != "key");
    keys.sort();
    keys
}

#[test]
fn the_summary_has_exactly_the_documented_top_level_keys() {
    let out = clustersim(&["run", QUICKSTART, "--format", "json", "--quiet"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    // `training` appears only with training jobs; quickstart has none.
    assert!(!keys.iter().any(|k| k == "training"));
    keys.push("training".to_string());
    // `reliability` appears only with failure classes; quickstart has none.
    assert!(!keys.iter().any(|k| k == "reliability"));
    keys.push("reliability".to_string());
    // `power` and `cost` appear only when the scenario models them,
    // `sharing` only when a job shares a GPU.
    for optional in ["power", "cost", "sharing"] {
        assert!(!keys.iter().any(|k| k == optional));
        keys.push(optional.to_string());
    }
    keys.sort();
    assert_eq!(keys, documented_summary_keys());
}

/// The summary JSON of quickstart run with one `--set` override.
fn summary_with(set: &str) -> serde_json::Value {
    let out = clustersim(&["run", QUICKSTART, "--format", "json", "-q", "--set", set]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn set_overrides_reach_the_run() {
    assert_eq!(summary_with("seed=7")["seed"], 7);
    let v = summary_with("workload.generators[0].count=10");
    assert_eq!(v["jobs"]["submitted"], 12, "2 explicit jobs + 10 generated");
}

#[test]
fn out_dir_gets_all_four_files_in_their_formats() {
    let dir = scratch("cli-out");
    let out = clustersim(&["run", QUICKSTART, "--out", dir.to_str().unwrap(), "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let submitted = summary["jobs"]["submitted"].as_u64().unwrap();

    let jobs = fs::read_to_string(dir.join("jobs.csv")).unwrap();
    let mut lines = jobs.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,name,user,account,submit_s,start_s,end_s,wait_s,run_s,time_limit_s,gpus,nodes,leaf_switches,requeues,lost_gpu_s,backfilled,state,reason,trace_id,failures,rework_s,checkpoint_s,restart_s,energy_kwh,cost_usd"
    );
    assert_eq!(lines.count() as u64, submitted);

    let series = fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    assert!(series.starts_with(
        "time_s,busy_gpus,gpu_utilization,queue_length,running_jobs,down_gpus,draining_gpus,it_power_kw,facility_power_kw\n0,"
    ));

    let trace = fs::read_to_string(dir.join("trace.jsonl")).unwrap();
    let events: Vec<serde_json::Value> = trace
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "header");
    assert_eq!(events[0]["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(events.last().unwrap()["event"], "end_of_run");
    let count = |kind: &str| events.iter().filter(|e| e["event"] == kind).count() as u64;
    assert_eq!(count("submit"), submitted);
    assert_eq!(count("start"), count("end"));
    let times: Vec<u64> = events[1..events.len() - 1]
        .iter()
        .map(|e| e["t_ns"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn wall_clock_figures_stay_off_stdout() {
    let out = clustersim(&["run", QUICKSTART]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wall time"), "{stderr}");
    assert!(!stdout.contains("wall"), "{stdout}");
    assert!(stdout.contains("utilization"));
}

/// `clustersim compare` of quickstart with the given extra arguments.
fn compare(extra: &[&str]) -> Output {
    let mut args = vec!["compare", QUICKSTART, "-q"];
    args.extend_from_slice(extra);
    clustersim(&args)
}

#[test]
fn compare_runs_each_variant_as_run_does() {
    let out = compare(&["--b-set", "seed=7", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let run_a = clustersim(&["run", QUICKSTART, "--format", "json", "-q"]);
    let run_a: serde_json::Value = serde_json::from_slice(&run_a.stdout).unwrap();
    assert_eq!(v["a"]["summary"], run_a);
    assert_eq!(v["b"]["summary"], summary_with("seed=7"));
    assert_eq!(v["a"]["label"], "quickstart");
    assert_eq!(v["b"]["label"], "quickstart [seed=7]");
    assert_eq!(v["identical"], false);

    let keys: Vec<&str> = v["diff"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(keys.contains(&"makespan_s") && keys.contains(&"stop_reason"));
    let m = &v["diff"]["makespan_s"];
    let (a, b) = (m["a"].as_f64().unwrap(), m["b"].as_f64().unwrap());
    assert_eq!(a, v["a"]["summary"]["makespan_s"].as_f64().unwrap());
    assert_eq!(b, v["b"]["summary"]["makespan_s"].as_f64().unwrap());
    assert_ne!(a, b, "seed 7 should change the makespan");
    assert_eq!(m["delta"].as_f64().unwrap(), b - a);
    assert_eq!(m["ratio"].as_f64().unwrap(), b / a);
    // serde_json's default float parser may be one ulp off, so b - a of the
    // parsed values can differ from the printed delta in the last digit.
    let w = &v["diff"]["wait_s.mean"];
    let (a, b) = (w["a"].as_f64().unwrap(), w["b"].as_f64().unwrap());
    assert_ne!(a, b);
    assert!((w["delta"].as_f64().unwrap() - (b - a)).abs() <= 1e-12 * b.abs().max(a.abs()));
    let c = &v["diff"]["jobs.submitted"];
    assert_eq!(
        c["delta"].as_i64().unwrap(),
        c["b"].as_i64().unwrap() - c["a"].as_i64().unwrap()
    );

    // Same figures as a text table.
    let out = compare(&["--b-set", "seed=7", "--b-label", "seven"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("B  seven:"), "{text}");
    assert!(text.contains("metric") && text.contains("change %") && text.contains("better"));
    assert!(!text.contains("identical"), "{text}");
}

#[test]
fn compare_of_a_file_with_itself_is_all_zero_and_says_so() {
    let out = compare(&[QUICKSTART, "--format", "json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("identical"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["identical"], true);
    assert_eq!(v["a"]["summary"], v["b"]["summary"]);
    for (key, d) in v["diff"].as_object().unwrap() {
        if key == "stop_reason" {
            assert_eq!(d["a"], d["b"]);
        } else {
            assert_eq!(d["delta"].as_f64(), Some(0.0), "{key}: {d}");
        }
    }

    let out = compare(&[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note:") && text.contains("identical"),
        "{text}"
    );
    let makespan = text.lines().find(|l| l.starts_with("makespan")).unwrap();
    let cells: Vec<&str> = makespan.split_whitespace().collect();
    assert_eq!(cells[1], cells[2], "{makespan}");
    assert_eq!(&cells[3..], ["0", "0.0%", "="], "{makespan}");
}

#[test]
fn compare_refuses_a_broken_override_like_run() {
    let out = compare(&["--b-set", "stop.horizon=-1d"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--b-set stop.horizon=-1d (column"),
        "{stderr}"
    );
    assert!(stderr.contains("negative"), "{stderr}");
    assert!(stderr.contains("variant B"), "{stderr}");

    let out = compare(&["no/such/b.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the scenario file"));
}

fn hardware(name: &str) -> String {
    format!("scenarios/hardware/{name}")
}

#[test]
fn collective_prints_an_nccl_tests_table() {
    let scenario = hardware("ib-ndr-400g.ron");
    let out = clustersim(&[
        "collective",
        &scenario,
        "--nodes",
        "2",
        "-b",
        "1M",
        "-e",
        "1G",
        "-f",
        "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("algbw") && text.contains("busbw"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    // 1M, 4M, 16M, 64M, 256M, 1G
    assert_eq!(rows.len(), 6, "{text}");
    assert!(text.contains("# Avg bus bandwidth"));
}

#[test]
fn collective_json_uses_nccl_tests_bus_factors_in_both_modes() {
    let scenario = hardware("ib-ndr-400g.ron");
    for mode in ["analytic", "flow"] {
        for (op, factor) in [
            ("all_reduce", 2.0 * 15.0 / 16.0),
            ("all_gather", 15.0 / 16.0),
        ] {
            let out = clustersim(&[
                "collective",
                &scenario,
                "--nodes",
                "2",
                "--op",
                op,
                "-b",
                "8M",
                "-e",
                "8G",
                "-f",
                "32",
                "--mode",
                mode,
                "--format",
                "json",
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["ranks"], 16);
            assert_eq!(v["mode"], mode);
            let rows = v["rows"].as_array().unwrap();
            assert_eq!(rows.len(), 3);
            let mut last = 0.0;
            for row in rows {
                let alg = row["algbw_gbytes_per_s"].as_f64().unwrap();
                let bus = row["busbw_gbytes_per_s"].as_f64().unwrap();
                assert!(
                    (bus - alg * factor).abs() < 1e-9 * bus.max(1.0),
                    "{op}: {row}"
                );
                assert!(bus > last, "{op} {mode}: busbw grows with size: {row}");
                last = bus;
            }
        }
    }
}

#[test]
fn collective_refuses_impossible_groups_with_a_fix() {
    let scenario = hardware("ib-ndr-400g.ron");
    for args in [
        vec!["--nodes", "99"],
        vec!["--gpus-per-node", "9"],
        vec!["--op", "sendrecv", "--nodes", "2"],
        vec!["--algo", "pat", "--nodes", "2"],
        vec!["-b", "1G", "-e", "1M"],
    ] {
        let mut full = vec!["collective", scenario.as_str()];
        full.extend(args.iter().copied());
        let out = clustersim(&full);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn plan_reports_flops_memory_step_and_cost() {
    let out = clustersim(&[
        "plan",
        "--model",
        "llama3-8b",
        "--tokens",
        "10B",
        "--gpus",
        "64",
        "--node",
        "DGX-H100",
        "--tp",
        "1",
        "--global-batch",
        "256",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    for key in ["memory", "step", "mfu", "cost"] {
        assert!(text.contains(key), "plan JSON lacks `{key}`: {text}");
    }
    // On a scenario's cluster: its hardware, and all of its GPUs by default.
    let out = clustersim(&[
        "plan",
        "--scenario",
        &hardware("roce-200g.ron"),
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
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["gpus"], 128, "the cluster's 16 DGX H100");
    assert_eq!(v["node"], "DGX-H100");
    // A layout that cannot fit is refused with the breakdown.
    let out = clustersim(&[
        "plan",
        "--model",
        "llama3-70b",
        "--tokens",
        "10B",
        "--gpus",
        "8",
        "--node",
        "DGX-H100",
        "--tp",
        "8",
        "--global-batch",
        "64",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("optimizer") && stderr.contains("GiB"),
        "{stderr}"
    );
}
