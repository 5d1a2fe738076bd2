//! What the loader refuses (or warns about) because of quantities derived
//! from several sections: a run of it could not be bounded, or would not
//! deliver what was asked. Each rule is also exercised at run time, as a
//! backstop, in `robustness.rs`.

use sim_core::scenario::{Diagnostic, ScenarioError, SetArg, load_file, load_str};

use crate::support::path;

fn refused(err: ScenarioError, field: &str, fragment: &str) -> Diagnostic {
    let d = err
        .diagnostics
        .iter()
        .find(|d| d.path.as_deref() == Some(field))
        .unwrap_or_else(|| panic!("no error at {field}:\n{err}"))
        .clone();
    assert!(d.message.contains(fragment), "{d}");
    assert!(d.fix.is_some(), "{d}");
    d
}

fn quickstart(overrides: &[&str]) -> Result<sim_core::scenario::Loaded, ScenarioError> {
    let overrides: Vec<SetArg> = overrides.iter().map(|s| SetArg::set(*s)).collect();
    load_file(&path("scenarios/quickstart.ron"), &overrides)
}

#[test]
fn a_time_series_longer_than_the_maximum_is_refused_over_a_horizon_and_warned_about_without() {
    let err = quickstart(&["outputs.timeseries_interval=1us", "stop.horizon=30d"]).unwrap_err();
    let d = refused(err, "outputs.timeseries_interval", "at most 1000000");
    // 30 days over 999,999 gaps, rounded up to the nanosecond.
    assert_eq!(
        d.expected.as_deref(),
        Some("an interval of at least 2s592ms2us593ns for this horizon")
    );
    // fcfs-vs-easy has no horizon: it is expected to last about 3h40m.
    let loaded = load_file(
        &path("scenarios/teaching/fcfs-vs-easy.ron"),
        &[SetArg::set("outputs.timeseries_interval=1us")],
    )
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.path.as_deref() == Some("outputs.timeseries_interval")
                && w.message.contains("keeps at most 1000000")),
        "{:?}",
        loaded.warnings
    );
    assert!(
        quickstart(&["outputs.timeseries_interval=1m"])
            .unwrap()
            .warnings
            .is_empty()
    );
}

const TWO_QOS: &str = r#"Scenario(
    name: "loop", seed: 1,
    cluster: (node_groups: [(name: "n", count: 1, node_model: "DGX-H100")]),
    workload: (jobs: [
        (submit: "0s", request: Gpus(8), runtime: "1h", time_limit: "1h", qos: "a"),
        (submit: "0s", request: Gpus(8), runtime: "1h", time_limit: "1h", qos: "b"),
    ]),
    scheduler: (preempt_type: Qos, qos: [
        (name: "a", priority: 10, preempt: ["b"]),
        (name: "b", priority: 10, preempt: PREEMPT),
    ]),
)"#;

#[test]
fn qos_that_preempt_each_other_are_refused_naming_the_cycle() {
    let err = load_str("loop.ron", &TWO_QOS.replace("PREEMPT", r#"["a"]"#), &[]).unwrap_err();
    refused(
        err,
        "scheduler.qos[0].preempt",
        "a cycle: `a` preempts `b` preempts `a`",
    );
    load_str("chain.ron", &TWO_QOS.replace("PREEMPT", "[]"), &[]).unwrap();
}

#[test]
fn periodic_work_below_a_second_is_refused() {
    for (set, field) in [
        ("scheduler.bf_interval=1ns", "scheduler.bf_interval"),
        ("scheduler.bf_interval=999ms", "scheduler.bf_interval"),
        (
            "scheduler.priority.calc_period=1ns",
            "scheduler.priority.calc_period",
        ),
    ] {
        let err = quickstart(&[
            "scheduler.order=Multifactor",
            "scheduler.backfill=Easy",
            set,
        ])
        .unwrap_err();
        refused(err, field, "times per simulated second");
    }
    for ok in ["scheduler.bf_interval=0s", "scheduler.bf_interval=1s"] {
        quickstart(&["scheduler.backfill=Easy", ok]).unwrap();
    }
}

#[test]
fn periodic_work_of_more_than_a_hundred_million_events_is_warned_about() {
    let text = r#"Scenario(
    name: "ticks", seed: 1,
    cluster: (node_groups: [(name: "n", count: 1, node_model: "DGX-H100")]),
    workload: (jobs: [(submit: "0s", request: Gpus(1), runtime: "1500d", time_limit: "1500d")]),
    scheduler: (order: Multifactor, backfill: None, priority: (calc_period: PERIOD)),
)"#;
    let loaded = load_str("ticks.ron", &text.replace("PERIOD", "\"1s\""), &[]).unwrap();
    let w = loaded
        .warnings
        .iter()
        .find(|w| w.path.as_deref() == Some("scheduler.priority.calc_period"))
        .unwrap_or_else(|| panic!("{:?}", loaded.warnings));
    // 1,500 days at one tick a second.
    assert!(w.message.contains("about 129600000 events"), "{w}");
    let loaded = load_str("ticks.ron", &text.replace("PERIOD", "\"5m\""), &[]).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn work_that_would_end_after_the_end_of_simulated_time_is_refused_where_it_is_written() {
    let cases: [(&str, &[&str], &str, &str); 2] = [
        (
            "scenarios/quickstart.ron",
            &[
                "workload.jobs[0].submit=200000d",
                "workload.jobs[0].runtime=20000d",
                "workload.jobs[0].time_limit=20000d",
            ],
            "workload.jobs[0]",
            "lower submit or runtime",
        ),
        (
            "scenarios/quickstart.ron",
            &["workload.generators[0].arrival=Poisson(mean_interarrival: \"2000d\")"],
            "workload.generators[0]",
            "lower count",
        ),
    ];
    for (file, overrides, field, fix) in cases {
        let overrides: Vec<SetArg> = overrides.iter().map(|s| SetArg::set(*s)).collect();
        let err = load_file(&path(file), &overrides).unwrap_err();
        let d = refused(err, field, "end of simulated time");
        assert!(d.fix.as_deref().is_some_and(|f| f.contains(fix)), "{d}");
    }
}

#[test]
fn a_training_run_longer_than_simulated_time_is_refused() {
    // 5000T tokens used to be cut silently to 10^9 steps.
    let err = load_file(
        &path("scenarios/hardware/scaling-7b-2-nodes.ron"),
        &[SetArg::set("workload.training[0].tokens=5000T")],
    )
    .unwrap_err();
    refused(err, "workload.training[0].tokens", "more than 10^9 steps");
    // A GPU that barely computes makes a few steps last past 2^64 ns.
    let text = r#"Scenario(
    name: "slow", seed: 1,
    catalog: (gpus: [(name: "H100-SXM-80GB", matmul_efficiency: 1e-12)]),
    cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
    workload: (training: [(name: "t", submit: "0s", model: "llama2-7b", steps: 1000,
                           layout: (tp: 1, pp: 1, dp: 8, micro_batch: 1, global_batch: 8, zero_stage: 1))]),
)"#;
    let err = load_str("slow.ron", text, &[]).unwrap_err();
    let d = refused(err, "workload.training[0]", "end of simulated time");
    assert!(
        d.fix
            .as_deref()
            .is_some_and(|f| f.contains("fewer tokens or steps")),
        "{d}"
    );
}

#[test]
fn a_damaged_gzip_trace_gets_its_own_fix_not_the_relative_path_hint() {
    let dir = crate::support::scratch("damaged-gzip");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t.swf.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]).unwrap();
    let text = r#"Scenario(
    name: "gz", seed: 1,
    cluster: (node_groups: [(name: "n", count: 1, node_model: "DGX-H100")]),
    workload: (trace: (file: "t.swf.gz", format: Swf)),
)"#;
    let scenario = dir.join("gz.ron");
    std::fs::write(&scenario, text).unwrap();
    let err = load_file(&scenario, &[]).unwrap_err();
    let d = refused(
        err,
        "workload.trace.file",
        "cannot decompress the gzip data",
    );
    let fix = d.fix.unwrap();
    assert!(fix.contains("gzip -t"), "{fix}");
    assert!(!fix.contains("relative path"), "{fix}");
}
