//! The command line as scripts use it: the summary JSON contract, the output
//! files, `validate`, `catalog`, `--help`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn clustersim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clustersim"))
        .args(args)
        .output()
        .expect("the clustersim binary runs")
}

fn quickstart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/quickstart.ron")
        .display()
        .to_string()
}

#[test]
fn summary_json_has_the_documented_keys() {
    let out = clustersim(&["run", &quickstart(), "--format", "json", "--quiet"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    for key in [
        "scenario",
        "seed",
        "jobs",
        "makespan_s",
        "gpu_utilization",
        "wait_s",
        "bounded_slowdown_mean",
        "throughput_jobs_per_hour",
        "events",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    for key in ["submitted", "completed", "killed", "refused"] {
        assert!(v["jobs"][key].is_u64(), "missing jobs.{key}");
    }
    for key in ["mean", "median", "p95", "max"] {
        assert!(v["wait_s"][key].is_number(), "missing wait_s.{key}");
    }
    assert_eq!(v["scenario"], "quickstart");
    assert_eq!(v["seed"], 42);
    let u = v["gpu_utilization"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&u));
}

/// The summary JSON of quickstart run with one `--set` override.
fn summary_with(set: &str) -> serde_json::Value {
    let out = clustersim(&["run", &quickstart(), "--format", "json", "-q", "--set", set]);
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
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-out");
    let _ = fs::remove_dir_all(&dir);
    let out = clustersim(&["run", &quickstart(), "--out", dir.to_str().unwrap(), "-q"]);
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
        "id,name,user,account,submit_s,start_s,end_s,wait_s,run_s,time_limit_s,gpus,nodes,leaf_switches,requeues,lost_gpu_s,backfilled,state"
    );
    assert_eq!(lines.count() as u64, submitted);

    let series = fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    assert!(series.starts_with("time_s,busy_gpus,gpu_utilization,queue_length,running_jobs\n0,"));

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
    let out = clustersim(&["run", &quickstart()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wall time"), "{stderr}");
    assert!(!stdout.contains("wall"), "{stdout}");
    assert!(stdout.contains("utilization"));
}

#[test]
fn validate_and_catalog_and_help() {
    let out = clustersim(&["validate", &quickstart()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: "));

    let out = clustersim(&["catalog"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for model in [
        "H100-SXM-80GB",
        "H200-SXM-141GB",
        "B200",
        "DGX-H100",
        "PCIe-8GPU",
    ] {
        assert!(text.contains(model), "catalog lacks {model}");
    }
    let out = clustersim(&["catalog", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["gpus"].as_array().unwrap().len() >= 7);

    let out = clustersim(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Examples:") && help.contains("clustersim run scenarios/quickstart.ron"));
}
