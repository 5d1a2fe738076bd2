//! Loader behaviour that is easier to state on small texts than with files.

use super::*;
use crate::scheduler::INFINITE_TIME_LIMIT;
use crate::units::Usd;

const MINIMAL: &str = r#"(
    name: "minimal",
    seed: 3,
    cluster: (node_groups: [(name: "a", count: 2, node_model: "DGX-A100")]),
    workload: (jobs: [(submit: "0s", request: Gpus(1), runtime: "1m")]),
)"#;

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let s = load_str("m.ron", MINIMAL, &[]).unwrap().scenario;
    // FCFS order with Slurm's default scheduler, sched/backfill (conservative).
    let mut expected = SchedulerConfig::fcfs(s.cluster.node_count());
    expected.backfill = crate::scheduler::Backfill::Conservative;
    assert_eq!(s.scheduler, expected);
    assert!(s.scheduler.kill_at_time_limit);
    assert_eq!(s.stop, StopCondition::default());
    assert_eq!(s.outputs, OutputConfig::default());
    assert_eq!(s.workload.directory.users, ["user"]);
    assert_eq!(s.workload.directory.accounts, ["default"]);
    // No limit given, no DefaultTime or MaxTime: Slurm's INFINITE limit,
    // planned as a year, never the runtime.
    assert_eq!(s.workload.jobs[0].time_limit, INFINITE_TIME_LIMIT);
    assert_eq!(s.cluster.nodes[1].name, "a-001");
    assert_eq!(s.cluster.total_gpus(), 16);
}

#[test]
fn scenarios_amend_and_extend_the_catalog() {
    let text = MINIMAL.replace(
        "seed: 3,",
        r#"seed: 3,
    catalog: (
        gpus: [
            (name: "A100-SXM-80GB", price_per_gpu_hour: "$1.10"),
            (name: "MI300X", memory: "192GiB", memory_bandwidth: "5.3TB/s", tdp_watts: 750,
             price_per_gpu_hour: "$3.00", bf16_tflops: 1307.4),
        ],
        nodes: [(name: "MI300X-8", gpu_model: "MI300X", gpus_per_node: 8, compute_nics: 8,
                 nic_bandwidth: "400Gbps", max_power_watts: 11000)],
    ),"#,
    )
    .replace(
        r#"(name: "a", count: 2, node_model: "DGX-A100")"#,
        r#"(name: "a", count: 2, node_model: "DGX-A100"), (name: "amd", count: 1, node_model: "MI300X-8", gpus_per_node: 4)"#,
    );
    let s = load_str("m.ron", &text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let a100 = s.catalog.gpu("A100-SXM-80GB").unwrap();
    assert_eq!(a100.price_per_gpu_hour, Usd::cents(110));
    assert_eq!(
        a100.tdp_watts, 400,
        "fields not given keep their built-in values"
    );
    assert_eq!(
        s.cluster.groups[0].gpu_model.price_per_gpu_hour,
        Usd::cents(110)
    );
    assert_eq!(s.cluster.groups[1].gpu_model.name, "MI300X");
    assert_eq!(s.cluster.groups[1].gpus_per_node, 4, "per-group override");
    assert_eq!(s.cluster.total_gpus(), 20);
}

#[test]
fn some_is_optional_and_struct_names_are_checked() {
    let with_some = MINIMAL.replace("seed: 3,", "seed: 3, stop: Some((horizon: \"1d\")),");
    let without = MINIMAL.replace("seed: 3,", "seed: 3, stop: (horizon: \"1d\"),");
    let a = load_str("m.ron", &with_some, &[]).unwrap().scenario.stop;
    let b = load_str("m.ron", &without, &[]).unwrap().scenario.stop;
    assert_eq!(a, b);
    let named = format!("Scenario{MINIMAL}");
    assert!(load_str("m.ron", &named, &[]).is_ok());
    let misnamed = format!("Scenaro{MINIMAL}");
    let err = load_str("m.ron", &misnamed, &[]).unwrap_err();
    assert!(
        err.first().message.contains("should be a `Scenario`"),
        "{err}"
    );
}

#[test]
fn overrides_can_add_whole_sections() {
    let s = load_str(
        "m.ron",
        MINIMAL,
        &[
            SetArg::set("stop.horizon=2d"),
            SetArg::set("scheduler.kill_at_time_limit=false"),
        ],
    )
    .unwrap()
    .scenario;
    assert_eq!(s.stop.horizon.unwrap().as_secs_f64(), 2.0 * 86_400.0);
    assert!(!s.scheduler.kill_at_time_limit);
}

#[test]
fn a_future_schema_version_is_refused() {
    let text = MINIMAL.replace("seed: 3,", "seed: 3, version: 2,");
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    assert!(
        err.first().message.contains("unsupported schema version"),
        "{err}"
    );
}

#[test]
fn a_model_reads_from_ron_with_defaults() {
    let text = r#"(name: "tiny", layers: 2, hidden: 64, ffn_hidden: 256, heads: 4,
        seq_len: 128, vocab: 1000, ffn: SwiGlu)"#;
    let m = model_from_ron(text).unwrap();
    assert_eq!(m.kv_heads(), 4);
    assert!(m.causal && !m.dropout);
    let bad = r#"(name: "x", layers: 2, hidden: 64, ffn_hidden: 256, heads: 4,
        seq_len: 128, vocab: 1000, ffn: SwiGlu, hiden: 3)"#;
    let e = model_from_ron(bad).unwrap_err();
    assert!(e.contains("`hiden`") && e.contains("`ModelSpec`"), "{e}");
}

#[test]
fn a_misspelt_quantity_is_reported_field_by_field_with_the_other_problems() {
    let text = MINIMAL
        .replace(r#"runtime: "1m""#, r#"runtime: "1 parsec""#)
        .replace("count: 2,", "count: 0,");
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    assert_eq!(err.diagnostics.len(), 2, "{err}");
    let unit = err
        .diagnostics
        .iter()
        .find(|d| d.message == "invalid duration")
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(unit.path.as_deref(), Some("workload.jobs[0].runtime"));
    assert_eq!(
        unit.found.as_deref(),
        Some(r#""1 parsec" (unknown unit "parsec")"#)
    );
    assert!(
        unit.expected
            .as_deref()
            .unwrap()
            .starts_with("a duration: ")
    );
    assert!(unit.fix.as_deref().unwrap().starts_with("write it like"));
}

#[test]
fn a_bare_number_says_which_unit_is_missing() {
    let text = MINIMAL.replace(r#"runtime: "1m""#, "runtime: 60");
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    let d = err.first();
    assert_eq!(d.message, "a duration needs a unit");
    assert_eq!(d.found.as_deref(), Some("the bare number 60"));
    assert_eq!(
        d.expected.as_deref(),
        Some("a duration as a quoted string with a unit")
    );
}

#[test]
fn a_misspelt_quantity_inside_some_is_located_at_the_value() {
    let text = MINIMAL.replace(
        r#"runtime: "1m")"#,
        r#"runtime: "1m", time_limit: Some("2x"))"#,
    );
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    let line = text.lines().find(|l| l.contains("Some(\"2x\")")).unwrap();
    let column = line.find("\"2x\"").unwrap() + 1;
    match &err.first().location {
        Location::File {
            column: c, span, ..
        } => {
            assert_eq!(*c, column, "{err}");
            assert_eq!(&text[span.clone()], "\"2x\"");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn diagnostics_span_the_offending_text_in_the_file_or_the_argument() {
    let text = MINIMAL.replace(r#"runtime: "1m""#, r#"runtime: "1 parsec""#);
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    match &err.first().location {
        Location::File { span, .. } => assert_eq!(&text[span.clone()], "\"1 parsec\""),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(" ^^^^^^^^^^\n"), "{err}");

    let text = MINIMAL.replace("count: 2,", "cuont: 2,");
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    match &err.first().location {
        Location::File { span, .. } => assert_eq!(&text[span.clone()], "cuont"),
        other => panic!("{other:?}"),
    }

    let err = load_str("m.ron", MINIMAL, &[SetArg::set("stop.horizon=1 parsec")]).unwrap_err();
    match &err.first().location {
        Location::Override { argument, span, .. } => {
            assert_eq!(&argument[span.clone()], "1 parsec")
        }
        other => panic!("{other:?}"),
    }
    let err = load_str(
        "m.ron",
        MINIMAL,
        &[SetArg::set("cluster.node_groups[4].count=1")],
    )
    .unwrap_err();
    match &err.first().location {
        Location::Override { argument, span, .. } => {
            assert_eq!(&argument[span.clone()], "cluster.node_groups[4].count")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_new_model_left_out_for_a_misspelling_is_not_reported_again() {
    let text = MINIMAL
        .replace(
            "seed: 3,",
            r#"seed: 3,
    catalog: (
        gpus: [(name: "X1", memory: "lots", memory_bandwidth: "5TB/s", tdp_watts: 700,
                price_per_gpu_hour: "$3.00", bf16_tflops: 1000.0)],
        nodes: [(name: "X1-8", gpu_model: "X1", gpus_per_node: 8, compute_nics: 8,
                 nic_bandwidth: "400Gbps", max_power_watts: 10000)],
    ),"#,
        )
        .replace(r#"node_model: "DGX-A100""#, r#"node_model: "X1-8""#);
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1, "{err}");
    assert_eq!(err.first().path.as_deref(), Some("catalog.gpus[0].memory"));
}

#[test]
fn nvlink_sharp_and_nvlink_domains_are_overridable_in_the_catalog() {
    let text = MINIMAL
        .replace(
            "seed: 3,",
            r#"seed: 3,
    catalog: (
        gpus: [
            (name: "A100-SXM-80GB", nvlink_sharp: true),
            (name: "X1", memory: "96GiB", memory_bandwidth: "4TB/s", tdp_watts: 700,
             price_per_gpu_hour: "$2.00", nvlink_bandwidth: "900GB/s"),
        ],
        nodes: [
            (name: "DGX-A100", nvlink_domain_nodes: 2),
            (name: "X1-4", gpu_model: "X1", gpus_per_node: 4, compute_nics: 4,
             nic_bandwidth: "400Gbps", max_power_watts: 5000),
        ],
    ),"#,
        )
        .replace(
            r#"(name: "a", count: 2, node_model: "DGX-A100")"#,
            r#"(name: "a", count: 2, node_model: "DGX-A100"), (name: "x", count: 3, node_model: "X1-4")"#,
        );
    let loaded = load_str("m.ron", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = loaded.scenario;
    assert!(s.catalog.gpu("A100-SXM-80GB").unwrap().nvlink_sharp);
    assert!(
        !s.catalog.gpu("X1").unwrap().nvlink_sharp,
        "new models default to no NVLS"
    );
    assert!(!s.catalog.gpu("A100-SXM-40GB").unwrap().nvlink_sharp);
    let a = &s.cluster.groups[0];
    assert_eq!(a.nvlink_domain_nodes(), 2);
    assert_eq!(a.nvlink_domain_gpus(), 16);
    assert!(s.cluster.same_nvlink_domain(0, 1));
    assert_eq!(
        s.cluster.groups[1].nvlink_domain_nodes(),
        1,
        "new nodes: one per domain"
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn a_partial_last_nvlink_domain_runs_with_a_warning() {
    let text = MINIMAL.replace(
        r#"(name: "a", count: 2, node_model: "DGX-A100")"#,
        r#"(name: "a", count: 20, node_model: "DGX-A100")"#,
    );
    let text = text.replace(
        "seed: 3,",
        r#"seed: 3, catalog: (nodes: [(name: "DGX-A100", nvlink_domain_nodes: 18)]),"#,
    );
    let loaded = load_str("m.ron", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.scenario.cluster.groups[0].nvlink_domain_len(1), 2);
    assert_eq!(loaded.warnings.len(), 1);
    let w = &loaded.warnings[0];
    assert_eq!(w.path.as_deref(), Some("cluster.node_groups[0].count"));
    assert!(
        w.message.contains("partial rack of 2 nodes"),
        "{}",
        w.message
    );
}

#[test]
fn nvlink_sharp_without_nvlink_and_an_empty_domain_are_errors() {
    let text = MINIMAL.replace(
        "seed: 3,",
        r#"seed: 3, catalog: (gpus: [(name: "L40S", nvlink_sharp: true)],
                          nodes: [(name: "DGX-A100", nvlink_domain_nodes: 0)]),"#,
    );
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    let paths: Vec<_> = err
        .diagnostics
        .iter()
        .filter_map(|d| d.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "catalog.gpus[0].nvlink_sharp",
            "catalog.nodes[0].nvlink_domain_nodes"
        ],
        "{err}"
    );
}

#[test]
fn compute_capability_is_a_catalog_property_guessed_only_for_new_models() {
    // An amended B200 on a 900 GB/s NVLink is still Blackwell for NCCL's
    // tables (the NVLink bandwidth used to decide); a new FP8 GPU with
    // NVLink and no capability given is guessed as a Hopper; one given is
    // kept.
    let text = MINIMAL.replace(
        "seed: 3,",
        r#"seed: 3,
    catalog: (gpus: [
        (name: "B200", nvlink_bandwidth: "900GB/s"),
        (name: "X1", memory: "96GiB", memory_bandwidth: "4TB/s", tdp_watts: 700,
         price_per_gpu_hour: "$2.00", nvlink_bandwidth: "900GB/s", fp8_tflops: 1000.0),
        (name: "X2", memory: "96GiB", memory_bandwidth: "4TB/s", tdp_watts: 600,
         price_per_gpu_hour: "$2.00", compute_capability: 120),
    ]),"#,
    );
    let s = load_str("m.ron", &text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let arch = |name: &str| crate::collective::analytic::Arch::of(s.catalog.gpu(name).unwrap());
    use crate::collective::analytic::Arch;
    assert_eq!(s.catalog.gpu("B200").unwrap().compute_capability, 100);
    assert_eq!(arch("B200"), Arch::Blackwell);
    assert_eq!(s.catalog.gpu("X1").unwrap().compute_capability, 90);
    assert_eq!(arch("X1"), Arch::Hopper);
    assert_eq!(arch("X2"), Arch::Blackwell, "no NVLink, but sm_120");
    assert_eq!(arch("L40S"), Arch::Ampere, "Ada takes Ampere's tables");
}

#[test]
fn a_compute_capability_not_times_ten_is_refused_at_its_field() {
    let text = MINIMAL.replace(
        "seed: 3,",
        r#"seed: 3, catalog: (gpus: [(name: "H100-SXM-80GB", compute_capability: 9)]),"#,
    );
    let err = load_str("m.ron", &text, &[]).unwrap_err();
    let d = &err.diagnostics[0];
    assert_eq!(
        d.path.as_deref(),
        Some("catalog.gpus[0].compute_capability")
    );
    assert!(format!("{err}").contains("90 for an H100"), "{err}");
}
