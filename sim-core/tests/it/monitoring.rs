//! The monitoring outputs (`metrics.om`, `trace.perfetto.json`) against a
//! hand-computed case, their formats' rules, determinism and the size
//! bound.
//!
//! The hand case: two DGX H100 nodes cut to 2 GPUs each
//! (`gpus_per_node: 2`), FCFS without backfill, samples every 5 minutes,
//! power at activity 0.5. Jobs: `a` (account nlp, 2 GPUs, 0 to 20 min),
//! `b` (cv, 2 nodes × 2 GPUs, submitted at 5 min, waits for `a`, runs 20
//! to 30 min), `c` (nlp, 1 GPU, submitted at 6 min, waits behind `b`
//! (no backfill), runs 30 to 35 min). Power per GPU, from the catalog's
//! DGX H100 (10,200 W maximum, 2,040 W idle, H100 700 W limit, 70 W
//! idle) over 2 GPUs: idle share 2,040 / 2 = 1,020 W; the rest of the box
//! spans (10,200 − 2 × 700) − (2,040 − 2 × 70) = 6,900 W, so a busy GPU
//! adds (700 − 70) + 6,900 / 2 = 4,080 W at activity 1, 2,040 W at 0.5:
//! 3,060 W busy. Framebuffer: a plain job uses 75% of 80 GiB = 61,440 MiB.

use std::collections::BTreeMap;
use std::fs;

use sim_core::metrics::{
    MAX_MONITOR_SERIES_SAMPLES, Monitor, OPENMETRICS_FILE, PERFETTO_FILE, SeriesDetail,
};
use sim_core::scenario::{Scenario, load_str};
use sim_core::simulation::{monitor_layout, run, run_into_dir};

use crate::support::{clustersim, scratch};

const HAND: &str = r#"(name: "monitoring-hand", seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 2, node_model: "DGX-H100", gpus_per_node: 2)]),
    workload: (jobs: [
        (name: "a", user: "u", account: "nlp", submit: "0s", request: Gpus(2), runtime: "20m", time_limit: "1h"),
        (name: "b", user: "u", account: "cv", submit: "5m", request: Nodes(count: 2, gpus_per_node: 2), runtime: "10m", time_limit: "1h"),
        (name: "c", user: "u", account: "nlp", submit: "6m", request: Gpus(1), runtime: "5m", time_limit: "1h"),
    ]),
    scheduler: (order: Fcfs, backfill: None, bf_interval: "0s"),
    power: Some((pue: 1.0, job_activity: 0.5)),
    outputs: (timeseries_interval: "5m", openmetrics: true, perfetto: true),
)"#;

fn load(text: &str) -> Scenario {
    load_str("monitoring.ron", text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Runs `text` into a scratch directory; returns (metrics.om, perfetto).
fn run_files(text: &str, tag: &str) -> (String, String) {
    let dir = scratch(&format!("monitoring-{tag}"));
    run_into_dir(&dir, &load(text), &mut |_| {}).unwrap();
    let read = |f: &str| fs::read_to_string(dir.join(f)).unwrap_or_default();
    (read(OPENMETRICS_FILE), read(PERFETTO_FILE))
}

/// One sample line: metric name, labels, value, timestamp.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
    ts: f64,
}

fn parse_sample(line: &str) -> Sample {
    let (series, rest) = match line.find('{') {
        Some(_) => {
            let close = line.rfind('}').expect("labels close");
            (&line[..close + 1], &line[close + 1..])
        }
        None => line.split_at(line.find(' ').expect("a value")),
    };
    let (name, labels) = match series.find('{') {
        Some(open) => (&series[..open], &series[open + 1..series.len() - 1]),
        None => (series, ""),
    };
    let labels = labels
        .split("\",")
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once("=\"").expect("label=\"value\"");
            (k.to_string(), v.trim_end_matches('"').to_string())
        })
        .collect();
    let mut fields = rest.split_whitespace();
    let value = fields.next().expect("value").parse().expect("a number");
    let ts = fields
        .next()
        .expect("a timestamp")
        .parse()
        .expect("a number");
    assert!(fields.next().is_none(), "{line}");
    Sample {
        name: name.to_string(),
        labels,
        value,
        ts,
    }
}

fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(parse_sample)
        .collect()
}

/// The value of `name` for GPU `gpu` of `host` at each timestamp (one
/// series per GPU and instant), and the pod holding it.
fn per_gpu(all: &[Sample], name: &str, host: &str, gpu: &str) -> Vec<(f64, f64, String)> {
    let mut out: Vec<(f64, f64, String)> = all
        .iter()
        .filter(|s| s.name == name && s.labels["Hostname"] == host && s.labels["gpu"] == gpu)
        .map(|s| {
            let pod = s.labels.get("pod").cloned().unwrap_or_default();
            (s.ts, s.value, pod)
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in out.windows(2) {
        assert!(
            w[0].0 < w[1].0,
            "two samples of {name} {host}/{gpu} at {}",
            w[0].0
        );
    }
    out
}

fn gauge(all: &[Sample], name: &str) -> Vec<(f64, f64)> {
    all.iter()
        .filter(|s| s.name == name)
        .map(|s| (s.ts, s.value))
        .collect()
}

const TIMES: [f64; 8] = [0.0, 300.0, 600.0, 900.0, 1200.0, 1500.0, 1800.0, 2100.0];

#[test]
fn dcgm_gauges_and_queue_gauges_are_the_hand_computed_ones() {
    let (om, _) = run_files(HAND, "hand");
    let all = samples(&om);
    let util = |host, gpu| -> Vec<(f64, String)> {
        per_gpu(&all, "DCGM_FI_DEV_GPU_UTIL", host, gpu)
            .into_iter()
            .map(|(_, v, pod)| (v, pod))
            .collect()
    };
    let times: Vec<f64> = per_gpu(&all, "DCGM_FI_DEV_GPU_UTIL", "dgx-000", "0")
        .iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(times, TIMES);
    let busy = |pod: &str| (100.0, pod.to_string());
    let idle = || (0.0, String::new());
    // `a` on dgx-000 from 0 to 20 min, `b` everywhere 20 to 30, `c` on
    // the first free GPU (dgx-000 GPU 0) 30 to 35; the run ends at 35 min.
    let a = [busy("a-1"), busy("a-1"), busy("a-1"), busy("a-1")];
    let b = [busy("b-2"), busy("b-2")];
    let expected_000_0: Vec<_> = (a.iter().cloned())
        .chain(b.iter().cloned())
        .chain([busy("c-3"), idle()])
        .collect();
    assert_eq!(util("dgx-000", "0"), expected_000_0);
    let expected_000_1: Vec<_> = (a.iter().cloned())
        .chain(b.iter().cloned())
        .chain([idle(), idle()])
        .collect();
    assert_eq!(util("dgx-000", "1"), expected_000_1);
    for gpu in ["0", "1"] {
        let expected: Vec<_> = (std::iter::repeat_n(idle(), 4))
            .chain(b.iter().cloned())
            .chain([idle(), idle()])
            .collect();
        assert_eq!(util("dgx-001", gpu), expected);
    }
    // The pod's labels: account as namespace, name as container.
    let held = all
        .iter()
        .find(|s| {
            s.name == "DCGM_FI_DEV_GPU_UTIL"
                && s.labels.get("pod").map(String::as_str) == Some("b-2")
        })
        .unwrap();
    assert_eq!(held.labels["namespace"], "cv");
    assert_eq!(held.labels["container"], "b");
    assert_eq!(held.labels["modelName"], "H100-SXM-80GB");
    // Power: 3,060 W busy at activity 0.5, 1,020 W idle.
    let watts: Vec<f64> = per_gpu(&all, "DCGM_FI_DEV_POWER_USAGE", "dgx-001", "1")
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(
        watts,
        [
            1020.0, 1020.0, 1020.0, 1020.0, 3060.0, 3060.0, 1020.0, 1020.0
        ]
    );
    // Framebuffer: 75% of 81,920 MiB for a plain job.
    let used: Vec<f64> = per_gpu(&all, "DCGM_FI_DEV_FB_USED", "dgx-000", "1")
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(
        used,
        [
            61440.0, 61440.0, 61440.0, 61440.0, 61440.0, 61440.0, 0.0, 0.0
        ]
    );
    let free: Vec<f64> = per_gpu(&all, "DCGM_FI_DEV_FB_FREE", "dgx-000", "1")
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(
        free,
        [
            20480.0, 20480.0, 20480.0, 20480.0, 20480.0, 20480.0, 81920.0, 81920.0
        ]
    );
    // Queue gauges: `b` pending from 5 min, `c` from 6; `b` starts at 20,
    // `c` at 30. The oldest pending job's wait since its submission.
    let values = |name| -> Vec<f64> { gauge(&all, name).iter().map(|s| s.1).collect() };
    assert_eq!(
        values("clustersim_jobs_pending"),
        [0.0, 1.0, 2.0, 2.0, 1.0, 1.0, 0.0, 0.0]
    );
    assert_eq!(
        values("clustersim_jobs_running"),
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    );
    assert_eq!(
        values("clustersim_job_queue_oldest_wait_seconds"),
        [0.0, 0.0, 300.0, 600.0, 840.0, 1140.0, 0.0, 0.0]
    );
    assert_eq!(
        values("clustersim_gpus_idle"),
        [2.0, 2.0, 2.0, 2.0, 0.0, 0.0, 3.0, 4.0]
    );
    assert_eq!(
        values("clustersim_gpus_busy"),
        [2.0, 2.0, 2.0, 2.0, 4.0, 4.0, 1.0, 0.0]
    );
    let queue = all
        .iter()
        .find(|s| s.name == "clustersim_jobs_pending")
        .unwrap();
    assert_eq!(queue.labels["queue"], "default");
}

/// OpenMetrics 1.0's rules as far as these files use them.
fn assert_well_formed(om: &str) {
    let valid_name = |n: &str| {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    assert!(om.ends_with("# EOF\n"), "the file ends with # EOF");
    assert_eq!(om.matches("# EOF").count(), 1);
    let mut typed: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut series_seen: Vec<String> = Vec::new();
    let mut last_series = String::new();
    let mut last_ts = f64::NEG_INFINITY;
    for line in om.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            let (kind, name) = (words.next().unwrap(), words.next().unwrap());
            assert!(valid_name(name), "{line}");
            match kind {
                "TYPE" => {
                    assert!(!typed.contains(&name.to_string()), "{name} typed twice");
                    assert_eq!(words.next(), Some("gauge"));
                    typed.push(name.to_string());
                    current = name.to_string();
                }
                "UNIT" => {
                    assert_eq!(name, current, "UNIT after its TYPE");
                    let unit = words.next().unwrap();
                    assert!(name.ends_with(&format!("_{unit}")), "{line}");
                }
                "HELP" => assert_eq!(name, current, "HELP after its TYPE"),
                other => panic!("unknown metadata {other}"),
            }
            continue;
        }
        let s = parse_sample(line);
        assert!(valid_name(&s.name), "{line}");
        assert_eq!(s.name, current, "a sample of {} outside its family", s.name);
        let series = line[..line.rfind('}').map_or(s.name.len(), |c| c + 1)].to_string();
        if series != last_series {
            assert!(!series_seen.contains(&series), "{series} is interleaved");
            series_seen.push(series.clone());
            last_series = series;
            last_ts = f64::NEG_INFINITY;
        }
        assert!(s.ts >= last_ts, "time goes backwards in {line}");
        last_ts = s.ts;
        for (k, _) in s.labels {
            assert!(valid_name(&k), "label {k}");
        }
    }
    assert!(typed.iter().any(|t| t == "clustersim_jobs_pending"));
}

#[test]
fn metrics_om_is_well_formed_openmetrics() {
    let (om, _) = run_files(HAND, "well-formed");
    assert_well_formed(&om);
    let dir = scratch("monitoring-quickstart");
    let d = dir.display().to_string();
    let out = clustersim(&[
        "run",
        "scenarios/quickstart.ron",
        "--out",
        &d,
        "--quiet",
        "--openmetrics",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let om = fs::read_to_string(dir.join(OPENMETRICS_FILE)).unwrap();
    assert_well_formed(&om);
    assert!(
        !dir.join(PERFETTO_FILE).exists(),
        "the Perfetto trace is opt-in"
    );
}

#[test]
fn two_runs_write_the_same_bytes() {
    let a = run_files(HAND, "same-a");
    let b = run_files(HAND, "same-b");
    assert!(!a.0.is_empty() && !a.1.is_empty());
    assert!(a == b);
    let quick = |tag: &str| {
        let dir = scratch(&format!("monitoring-quick-{tag}"));
        let d = dir.display().to_string();
        let args = [
            "run",
            "scenarios/quickstart.ron",
            "--out",
            &d,
            "--quiet",
            "--openmetrics",
            "--perfetto",
        ];
        assert!(clustersim(&args).status.success());
        [OPENMETRICS_FILE, PERFETTO_FILE].map(|f| fs::read(dir.join(f)).unwrap())
    };
    assert!(quick("a") == quick("b"));
}

#[test]
fn the_perfetto_trace_has_a_slice_per_job_and_gpu_on_named_tracks() {
    let (_, json) = run_files(HAND, "perfetto");
    let trace: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let events = trace["traceEvents"].as_array().unwrap();
    let of = |ph: &'static str| events.iter().filter(move |e| e["ph"] == ph);
    let names = |what: &str| -> Vec<String> {
        of("M")
            .filter(|e| e["name"] == what)
            .map(|e| e["args"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("process_name"),
        [
            "dgx-000 (H100-SXM-80GB)",
            "dgx-001 (H100-SXM-80GB)",
            "cluster"
        ]
    );
    assert_eq!(names("thread_name"), ["GPU 0", "GPU 1", "GPU 0", "GPU 1"]);
    // a: 2 GPUs, b: 4, c: 1. Microseconds: b from 20 min for 10 min.
    let slices: Vec<(String, u64, u64, u64, u64)> = of("X")
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["pid"].as_u64().unwrap(),
                e["tid"].as_u64().unwrap(),
                e["ts"].as_u64().unwrap(),
                e["dur"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(slices.len(), 7);
    let b: Vec<_> = slices.iter().filter(|s| s.0 == "job 2 b").collect();
    assert_eq!(b.len(), 4);
    assert!(b.iter().all(|s| s.3 == 1_200_000_000 && s.4 == 600_000_000));
    let tracks: Vec<(u64, u64)> = b.iter().map(|s| (s.1, s.2)).collect();
    // GPU tracks are numbered past the pids (2 nodes and the cluster).
    assert_eq!(tracks, [(1, 4), (1, 5), (2, 6), (2, 7)]);
    let c: Vec<_> = slices.iter().filter(|s| s.0 == "job 3 c").collect();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].3, c[0].4), (1_800_000_000, 300_000_000));
    // Counters: the pending jobs at 20 min is 1 (c), the busy GPUs 4.
    let at = |name: &str, ts: u64| {
        of("C")
            .filter(|e| e["name"] == name && e["ts"].as_u64() == Some(ts))
            .map(|e| {
                e["args"]
                    .as_object()
                    .unwrap()
                    .values()
                    .next()
                    .unwrap()
                    .as_u64()
                    .unwrap()
            })
            .next_back()
    };
    assert_eq!(at("jobs pending", 1_200_000_000), Some(1));
    assert_eq!(at("busy GPUs", 1_200_000_000), Some(4));
    assert_eq!(at("busy GPUs", 2_100_000_000), Some(0));
}

#[test]
fn preemptions_are_instants_on_the_nodes_the_job_held() {
    let dir = scratch("monitoring-preemption");
    let d = dir.display().to_string();
    let out = clustersim(&[
        "run",
        "scenarios/teaching/preemption.ron",
        "--out",
        &d,
        "--quiet",
        "--perfetto",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = fs::read_to_string(dir.join("trace.jsonl")).unwrap();
    let preempted: Vec<u64> = trace
        .lines()
        .filter(|l| l.contains("\"event\":\"preempt\""))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["job"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(!preempted.is_empty(), "the scenario preempts");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join(PERFETTO_FILE)).unwrap()).unwrap();
    let instants: Vec<&serde_json::Value> = json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "i")
        .collect();
    for job in preempted {
        let name = format!("preempt job {job}");
        assert!(
            instants
                .iter()
                .any(|e| e["name"] == name.as_str() && e["s"] == "p"),
            "{name}"
        );
    }
}

#[test]
fn too_many_gpu_samples_degrade_to_per_node_series_and_too_many_node_samples_are_refused() {
    let text = |interval: &str| {
        format!(
            r#"(name: "big", seed: 1,
                cluster: (node_groups: [(name: "dgx", count: 4, node_model: "DGX-H100")]),
                workload: (jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", time_limit: "2h")]),
                outputs: (timeseries_interval: "{interval}", openmetrics: true),
                stop: (horizon: "30d"),
            )"#
        )
    };
    // 30 days a minute apart: 43,201 samples × 32 GPUs = 1.4 million, over
    // the budget; × 4 nodes = 172,804, within it.
    let scenario = load(&text("1m"));
    assert_eq!(scenario.outputs.openmetrics, Some(SeriesDetail::PerNode));
    let dir = scratch("monitoring-per-node");
    run_into_dir(&dir, &scenario, &mut |_| {}).unwrap();
    let om = fs::read_to_string(dir.join(OPENMETRICS_FILE)).unwrap();
    assert_well_formed(&om);
    assert!(om.contains("# TYPE clustersim_node_gpus_busy gauge"));
    assert!(!om.contains("DCGM_FI_DEV_GPU_UTIL"));
    assert!(om.contains("clustersim_node_gpus_busy{Hostname=\"dgx-000\"} 8 0\n"));
    // Ten seconds apart: 259,201 samples × 4 nodes, refused at the field.
    let error = load_str("big.ron", &text("10s"), &[])
        .unwrap_err()
        .to_string();
    assert!(error.contains("outputs.openmetrics"), "{error}");
    assert!(
        error.contains("raise outputs.timeseries_interval"),
        "{error}"
    );
    assert!(
        error.contains(&MAX_MONITOR_SERIES_SAMPLES.to_string()),
        "{error}"
    );
}

#[test]
fn a_run_longer_than_the_budget_gets_a_coarser_series_never_a_longer_one() {
    // No horizon: a job of 30 days, sampled every minute per GPU.
    let scenario = load(
        r#"(name: "long", seed: 1,
            cluster: (node_groups: [(name: "dgx", count: 4, node_model: "DGX-H100")]),
            workload: (jobs: [(submit: "0s", request: Gpus(8), runtime: "30d", time_limit: "31d")]),
            outputs: (timeseries_interval: "1m"),
        )"#,
    );
    let mut monitor = Monitor::new(monitor_layout(&scenario, SeriesDetail::PerGpu));
    let result = run(&scenario, &mut monitor, &mut |_| {});
    monitor.finish(result.end);
    let stored = monitor.times.len() as u64 * 32;
    assert!(stored <= MAX_MONITOR_SERIES_SAMPLES, "{stored}");
    // 43,201 one-minute samples halved until × 32 GPUs fits: 8 minutes.
    assert_eq!(monitor.interval().as_ns(), 8 * 60 * 1_000_000_000);
    assert_eq!(monitor.times.len(), 5_401);
    assert_eq!(monitor.units.len(), 5_401 * 32);
    // Every monitor instant is a time-series instant.
    assert!((monitor.times.iter()).all(|t| {
        result
            .timeseries
            .binary_search_by_key(t, |s| s.time.as_ns())
            .is_ok()
    }));
}

/// Kueue's quota gauges on the bundled borrowing scenario, sampled every
/// 30 minutes (the scenario's comment derives the schedule): team A uses
/// 8 GPUs of its own quota from 0 and borrows 8 more from 10 min until
/// B reclaims them at 1 h; B uses its 8 from 1 h to 2 h; A borrows 8
/// again from 2 h until its last jobs end at 6 h (its first two end at
/// 4 h). Pending workloads: A's two evicted ones from 1 h to 2 h.
#[test]
fn kueue_queue_gauges_follow_borrowing_and_reclaim() {
    let text = std::fs::read_to_string(crate::support::path(
        "scenarios/kubernetes/kueue-borrow-reclaim.ron",
    ))
    .unwrap()
    .replacen(
        "name: \"kueue-borrow-reclaim\",",
        "name: \"kueue-borrow-reclaim\", outputs: Some((timeseries_interval: Some(\"30m\"), openmetrics: Some(true))),",
        1,
    );
    let (om, _) = run_files(&text, "kueue-gauges");
    assert_well_formed(&om);
    let all = samples(&om);
    let of = |name: &str, queue: &str| -> Vec<(f64, f64)> {
        all.iter()
            .filter(|s| s.name == name && s.labels["queue"] == queue)
            .map(|s| (s.ts / 1800.0, s.value))
            .collect()
    };
    // Half-hour samples 0, 0.5 h, ..., 6 h: 13 of them.
    let hours = |values: [f64; 13]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(k, &v)| (k as f64, v))
            .collect()
    };
    assert_eq!(
        of("clustersim_queue_quota_used_gpus", "team-a"),
        hours([8., 16., 8., 8., 16., 16., 16., 16., 8., 8., 8., 8., 0.])
    );
    assert_eq!(
        of("clustersim_queue_borrowed_gpus", "team-a"),
        hours([0., 8., 0., 0., 8., 8., 8., 8., 0., 0., 0., 0., 0.])
    );
    assert_eq!(
        of("clustersim_queue_quota_used_gpus", "team-b"),
        hours([0., 0., 8., 8., 0., 0., 0., 0., 0., 0., 0., 0., 0.])
    );
    assert_eq!(of("clustersim_queue_quota_gpus", "team-b"), hours([8.; 13]));
    assert_eq!(
        of("clustersim_jobs_pending", "team-a"),
        hours([0., 0., 2., 2., 0., 0., 0., 0., 0., 0., 0., 0., 0.])
    );
}

/// Shared GPUs in both outputs, by hand: one node of 2 H100s (80 GiB = 81,920 MiB
/// each), three 0.6-GPU jobs of 1 h and a 0.3 job of 90 min submitted at
/// 1 s, FCFS without backfilling, samples every 30 min.
/// - 0 h: job 1 takes GPU 0, job 2 GPU 1 (0.4 left on GPU 0 is too
///   little); job 3 waits, and job 4 behind it (FCFS: the head blocks);
/// - 1 h: jobs 1 and 2 end; job 3 takes GPU 0, job 4 joins it (0.3 fits
///   the 0.4 left: best fit), 0.9 in all; job 3 ends at 2 h, job 4 at
///   2h30m.
///
/// GPU 0's utilization: 60, 60, 90, 90, 30, 0 (%); GPU 1's: 60, 60, then
/// 0; its framebuffer at 1 h: 0.9 x 81,920 MiB = 73,728 MiB. In the Perfetto trace job
/// 4 is on GPU 0's second track, and no track has overlapping slices.
#[test]
fn shared_gpus_report_their_tenants_share_and_get_a_track_each() {
    let text = r#"(name: "shared", seed: 1,
        cluster: (node_groups: [(name: "n", count: 1, node_model: "DGX-H100", gpus_per_node: Some(2))]),
        scheduler: (backfill: None),
        outputs: Some((timeseries_interval: Some("30m"), openmetrics: Some(true), perfetto: Some(true))),
        workload: (jobs: [
            (submit: "0s", request: Fraction(0.6), runtime: "1h", time_limit: "2h"),
            (submit: "0s", request: Fraction(0.6), runtime: "1h", time_limit: "2h"),
            (submit: "0s", request: Fraction(0.6), runtime: "1h", time_limit: "2h"),
            (submit: "1s", request: Fraction(0.3), runtime: "90m", time_limit: "2h"),
        ]),
    )"#;
    let (om, perfetto) = run_files(text, "shared");
    assert_well_formed(&om);
    let all = samples(&om);
    let series = |name: &str, gpu: &str| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = per_gpu(&all, name, "n-000", gpu)
            .into_iter()
            .map(|(t, v, _)| (t / 1800.0, v))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    let halves = |values: &[f64]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(k, &v)| (k as f64, v))
            .collect()
    };
    assert_eq!(
        series("DCGM_FI_DEV_GPU_UTIL", "0"),
        halves(&[60., 60., 90., 90., 30., 0.])
    );
    assert_eq!(
        series("DCGM_FI_DEV_GPU_UTIL", "1"),
        halves(&[60., 60., 0., 0., 0., 0.])
    );
    let fb = series("DCGM_FI_DEV_FB_USED", "0");
    assert_eq!(fb[2], (2.0, 73_728.0));

    let v: serde_json::Value = serde_json::from_str(&perfetto).expect("JSON");
    let events = v["traceEvents"].as_array().unwrap();
    let names: BTreeMap<u64, String> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut slices: BTreeMap<u64, Vec<(u64, u64, u64)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let (ts, dur) = (e["ts"].as_u64().unwrap(), e["dur"].as_u64().unwrap());
        let job = e["args"]["job"].as_u64().unwrap();
        slices
            .entry(e["tid"].as_u64().unwrap())
            .or_default()
            .push((ts, ts + dur, job));
    }
    let track_of = |job: u64| -> String {
        let tid = slices
            .iter()
            .find(|(_, s)| s.iter().any(|&(_, _, j)| j == job))
            .map(|(t, _)| *t)
            .expect("a slice");
        names[&tid].clone()
    };
    assert_eq!(track_of(3), "GPU 0");
    assert_eq!(track_of(4), "GPU 0 (shared, tenant 2)");
    for s in slices.values_mut() {
        s.sort_unstable();
        for w in s.windows(2) {
            assert!(w[0].1 <= w[1].0, "overlapping slices on one track: {w:?}");
        }
    }
}
