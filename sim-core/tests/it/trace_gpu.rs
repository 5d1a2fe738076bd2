//! GPU-cluster traces: Alibaba's openb pod list (every pod accounted for,
//! the counts computed from the CSV independently with the csv crate),
//! `import alibaba` on its node list (nodes and GPUs from the CSV), the
//! imported scenario replaying the whole pod list, and the CSV presets
//! (Helios, Philly, Acme) on hand-written fixtures checked job by job.

use std::collections::BTreeMap;
use std::fs;

use sim_core::engine::{SimDuration, SimTime};
use sim_core::scenario::load_file;
use sim_core::workload::trace::{
    CsvPreset, ImportOptions, TraceFormat, TraceJob, import_file, import_str,
};
use sim_core::workload::{GpuShare, JobRequest};

use crate::support::{clustersim, path, scratch, stderr};

const PODS: &str = "../shared/data/gpu-traces/alibaba_v2023_openb_pod_list_default.csv";
const NODES: &str = "../shared/data/gpu-traces/alibaba_v2023_openb_node_list_gpu_node.csv";

fn rows(relative: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path(relative)).expect("the shared trace is there");
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn at(s: u64) -> SimTime {
    SimTime::from_ns(s * 1_000_000_000)
}

#[test]
fn every_openb_pod_is_accounted_for() {
    let pods = rows(PODS);
    assert_eq!(pods.len(), 8_152);
    let num = |p: &BTreeMap<String, String>, k: &str| p[k].parse::<u64>().unwrap();
    let cpu_only = pods.iter().filter(|p| num(p, "num_gpu") == 0).count() as u64;
    let gpu_pods: Vec<_> = pods.iter().filter(|p| num(p, "num_gpu") > 0).collect();
    let fractions = (gpu_pods.iter())
        .filter(|p| num(p, "num_gpu") == 1 && num(p, "gpu_milli") < 1000)
        .count();
    let mut whole_by_size: BTreeMap<u32, usize> = BTreeMap::new();
    for p in gpu_pods.iter().filter(|p| num(p, "gpu_milli") == 1000) {
        *whole_by_size.entry(num(p, "num_gpu") as u32).or_default() += 1;
    }
    let never_scheduled = (gpu_pods.iter())
        .filter(|p| p["scheduled_time"].is_empty())
        .count() as u64;
    let mut phases: BTreeMap<String, u64> = BTreeMap::new();
    for p in &gpu_pods {
        *phases.entry(p["pod_phase"].clone()).or_default() += 1;
    }

    let (jobs, report) = import_file(
        &path(PODS),
        TraceFormat::AlibabaPods,
        &ImportOptions::default(),
    )
    .expect("the pod list imports");
    assert_eq!(report.records_read, 8_152);
    assert_eq!(report.kept + report.dropped_total(), report.records_read);
    assert_eq!(report.kept, jobs.len() as u64);
    assert_eq!(
        report.dropped,
        vec![(
            "CPU-only pod (num_gpu 0): clustersim models GPUs only".to_string(),
            cpu_only
        )]
    );
    assert_eq!(report.kept, gpu_pods.len() as u64);
    let shared = jobs.iter().filter(|j| j.share.is_shared()).count();
    assert_eq!(shared, fractions);
    let mut whole: BTreeMap<u32, usize> = BTreeMap::new();
    for j in jobs.iter().filter(|j| j.share == GpuShare::Whole) {
        *whole.entry(j.gpus).or_default() += 1;
    }
    assert_eq!(whole, whole_by_size);
    assert_eq!(
        report
            .altered_for("never scheduled (Pending): replayed with run time = deletion - creation"),
        never_scheduled
    );
    let states: BTreeMap<String, u64> = report.states.iter().cloned().collect();
    assert_eq!(states, phases);
    // What the brief's figures say of this file, computed above.
    assert_eq!(cpu_only, 1_088);
    assert_eq!(whole_by_size.get(&1), Some(&3_911));
    assert_eq!(whole_by_size.get(&8), Some(&44));
    assert_eq!(whole_by_size.get(&2), Some(&16));
    assert_eq!(whole_by_size.get(&4), Some(&15));

    // Pod 0001: "1,460,,LS,Running,427061,12902960,427061".
    let pod1 = jobs.iter().find(|j| j.id == 1).unwrap();
    assert_eq!(pod1.share, GpuShare::Fraction { milli: 460 });
    assert_eq!(pod1.runtime, secs(12_902_960 - 427_061));
    assert_eq!(pod1.submit, at(427_061));
    assert_eq!(pod1.priority, 3, "LS");
    assert_eq!(&*pod1.account, "LS");
}

#[test]
fn a_pod_sample_as_the_trace_readme_prints_it() {
    let (jobs, report) = import_file(
        &path("sim-core/tests/gpu-traces/openb_pods_sample.csv"),
        TraceFormat::AlibabaPods,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!((report.records_read, report.kept), (5, 4));
    let by = |id: u64| jobs.iter().find(|j| j.id == id).unwrap();
    // The first kept pod submits at 0.
    let p17 = by(17);
    assert_eq!((p17.gpus, p17.share, p17.priority), (8, GpuShare::Whole, 1));
    assert_eq!(p17.runtime, secs(10_769_854 - 9_437_497));
    assert_eq!(p17.submit, SimTime::ZERO);
    assert_eq!(p17.gpu_spec, None, "nan is no constraint");
    let p22 = by(22);
    assert_eq!(
        (p22.share, p22.priority),
        (GpuShare::Fraction { milli: 220 }, 0)
    );
    let p35 = by(35);
    assert_eq!(p35.gpu_spec.as_deref(), Some("V100M16|V100M32"));
    assert_eq!(p35.runtime, secs(9_968_575 - 9_967_063));
    let p61 = by(61);
    assert_eq!(
        p61.runtime,
        secs(10_001_403 - 10_001_278),
        "deletion - creation"
    );
    assert_eq!(p61.state.as_deref(), Some("Pending"));
}

#[test]
fn malformed_pods_are_refused_at_their_line_and_column() {
    let header = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
    let ok = "openb-pod-0001,6000,12288,1,460,,LS,Running,0,100,0\n";
    for (bad, column, says) in [
        (
            "openb-pod-0002,6000,12288,1,abc,,LS,Running,0,100,0\n",
            29,
            "gpu_milli is `abc`",
        ),
        (
            "openb-pod-0002,6000,12288,1,1500,,LS,Running,0,100,0\n",
            29,
            "more than one whole GPU",
        ),
        (
            "openb-pod-0002,6000,12288,2,500,,LS,Running,0,100,0\n",
            29,
            "for a pod asking for 2 GPUs",
        ),
        (
            "openb-pod-0002,6000,12288,x,1000,,LS,Running,0,100,0\n",
            27,
            "num_gpu is `x`",
        ),
        (
            "openb-pod-0002,6000,12288,1,1000,,LS,Running,soon,100,0\n",
            46,
            "creation_time is `soon`",
        ),
    ] {
        let text = format!("{header}{ok}{bad}");
        let e = import_str(
            "pods.csv",
            &text,
            TraceFormat::AlibabaPods,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.position(), format!("pods.csv:3:{column}"), "{bad}");
        assert!(e.message.contains(says), "{}", e.message);
        assert!(!e.fix.is_empty());
    }
}

fn preset(
    file: &str,
    preset: CsvPreset,
) -> (Vec<TraceJob>, sim_core::workload::trace::ImportReport) {
    import_file(
        &path(&format!("sim-core/tests/gpu-traces/{file}")),
        TraceFormat::Csv(Box::new(preset.columns())),
        &ImportOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn helios_rows_as_its_readme_prints_them() {
    let (jobs, report) = preset("helios_cluster_log.csv", CsvPreset::Helios);
    assert_eq!((report.records_read, report.kept), (6, 4));
    assert_eq!(report.dropped_for("no GPUs (CPU-only job)"), 1);
    assert_eq!(report.dropped_for("never started"), 1);
    let by = |id: u64| jobs.iter().find(|j| j.id == id).unwrap();
    let j = by(1_425_511);
    assert_eq!(
        (j.gpus, j.runtime, j.submit),
        (1, secs(36_848), SimTime::ZERO)
    );
    assert_eq!((&*j.user, &*j.account), ("uXBbc", "vcJkd"));
    assert_eq!(j.queue.as_deref(), Some("vcJkd"));
    assert_eq!(by(1_425_512).submit, at(26));
    assert_eq!(by(1_425_513).runtime, secs(675_233));
    let big = by(1_425_515);
    assert_eq!((big.gpus, big.nodes, big.runtime), (16, 2, secs(7_200)));
    let states: Vec<_> = report
        .states
        .iter()
        .map(|(s, n)| (s.as_str(), *n))
        .collect();
    assert_eq!(states, [("CANCELLED", 1), ("COMPLETED", 2), ("FAILED", 1)]);
}

#[test]
fn philly_flattened_as_the_module_documents() {
    let (jobs, report) = preset("philly_flat.csv", CsvPreset::Philly);
    assert_eq!((report.records_read, report.kept), (4, 2));
    assert_eq!(report.dropped_for("never started"), 1);
    assert_eq!(report.dropped_for("run time unknown or < 0"), 1);
    // Ids are not numbers: the rows' numbers.
    assert_eq!(
        report.altered_for("job id not a number: its row number used"),
        2
    );
    let first = jobs.iter().find(|j| j.id == 1).unwrap();
    // 01:12:09 to 2 days later 06:53:12.
    assert_eq!(first.runtime, secs(2 * 86_400 + 5 * 3_600 + 41 * 60 + 3));
    assert_eq!(
        (first.gpus, &*first.user, &*first.account),
        (8, "ce2f4c", "ee9e8c")
    );
    let second = jobs.iter().find(|j| j.id == 2).unwrap();
    assert_eq!(
        (second.gpus, second.nodes, second.runtime),
        (16, 2, secs(3_600))
    );
    assert_eq!(second.submit, at(48 * 60 + 21));
    assert_eq!(second.state.as_deref(), Some("Killed"));
}

#[test]
fn acme_seren_and_kalos_as_their_readme_prints_them() {
    let (jobs, report) = preset("acme_trace_seren.csv", CsvPreset::Acme);
    assert_eq!((report.records_read, report.kept), (3, 2));
    assert_eq!(report.dropped_for("no GPUs (CPU-only job)"), 1);
    assert_eq!(jobs[0].runtime, secs(117));
    // 00:18:22 to 00:23:58, the +08:00 offset on both.
    assert_eq!(jobs[1].submit, at(5 * 60 + 36));
    assert_eq!(jobs[1].runtime, secs(2_693));
    assert_eq!(&*jobs[0].account, "?", "Acme has no virtual cluster");

    let (jobs, report) = preset("acme_trace_kalos.csv", CsvPreset::Acme);
    assert_eq!(report.kept, 2);
    // end - start (the README's `duration` differs by seconds).
    assert_eq!(jobs[0].runtime, secs(8));
    assert_eq!((jobs[0].gpus, jobs[0].nodes), (64, 8));
    assert_eq!(jobs[1].runtime, secs(70));
}

#[test]
fn a_column_map_in_a_scenario_with_unix_times() {
    let dir = scratch("trace-gpu-csv-map");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("jobs.csv"),
        "id,who,team,n,t_submit,t_run,result\n7,ana,vision,4,1000,600,ok\n8,bo,nlp,2,1060.5,60,failed\n",
    )
    .unwrap();
    fs::write(
        dir.join("s.ron"),
        r#"Scenario(name: "csv", seed: 1,
    cluster: (node_groups: [(name: "n", count: 2, node_model: "PCIe-8GPU")]),
    workload: (trace: (file: "jobs.csv", format: Csv(columns: (job_id: "id", user: "who", vc: "team",
        gpus: "n", submit: "t_submit", duration: "t_run", state: "result"), time_format: Unix))),
)"#,
    )
    .unwrap();
    let loaded = load_file(&dir.join("s.ron"), &[]).unwrap_or_else(|e| panic!("{e}"));
    let w = &loaded.scenario.workload;
    assert_eq!(w.jobs.len(), 2);
    assert_eq!(w.jobs[0].request, JobRequest::Gpus(4));
    assert_eq!(w.jobs[1].submit, at(60));
    assert_eq!(w.jobs[0].trace_id, Some(7));
    assert_eq!(w.directory.accounts[w.jobs[1].account.0 as usize], "nlp");
    let import = w.trace_import.as_ref().unwrap();
    assert_eq!(import.states, vec![("failed".into(), 1), ("ok".into(), 1)]);
}

#[test]
fn import_alibaba_writes_the_node_list_and_replays_the_pods() {
    let nodes = rows(NODES);
    let gpu_nodes: Vec<_> = nodes.iter().filter(|n| n["gpu"] != "0").collect();
    let gpus: u64 = gpu_nodes
        .iter()
        .map(|n| n["gpu"].parse::<u64>().unwrap())
        .sum();
    assert_eq!((gpu_nodes.len(), gpus), (1_213, 6_212));

    let dir = scratch("trace-gpu-import-alibaba");
    fs::create_dir_all(&dir).unwrap();
    let out = dir.join("openb.ron");
    let run = clustersim(&[
        "import",
        "alibaba",
        NODES,
        "--pods",
        PODS,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let loaded = load_file(&out, &[]).unwrap_or_else(|e| panic!("{e}"));
    let cluster = &loaded.scenario.cluster;
    let total: u64 = cluster
        .groups
        .iter()
        .map(|g| u64::from(g.node_count) * u64::from(g.gpus_per_node))
        .sum();
    let count: u64 = cluster.groups.iter().map(|g| u64::from(g.node_count)).sum();
    assert_eq!((count, total), (gpu_nodes.len() as u64, gpus));
    // G2 and G3 are the stated stand-ins; every model the list names has a group.
    let text = fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("ASSUMED to be like the V100-SXM2-32GB"),
        "{text}"
    );
    for model in [
        "G2",
        "G3",
        "T4",
        "P100-PCIe-16GB",
        "V100-SXM2-16GB",
        "V100-SXM2-32GB",
        "A10",
    ] {
        assert!(
            cluster.groups.iter().any(|g| g.gpu_model.name == model),
            "{model}"
        );
    }
    let g2: u32 = (cluster.groups.iter())
        .filter(|g| g.gpu_model.name == "G2")
        .map(|g| g.node_count)
        .sum();
    assert_eq!(g2, 549);
    // The whole pod list replays.
    let result = sim_core::simulation::run(&loaded.scenario, &mut (), &mut |_| {});
    assert_eq!(result.summary.jobs.submitted, 7_064);
    assert_eq!(result.summary.jobs.completed, 7_064);
}

#[test]
fn a_pods_gpu_spec_is_a_gpu_type_of_the_cluster() {
    let dir = scratch("trace-gpu-gpu-spec");
    fs::create_dir_all(&dir).unwrap();
    let sample = path("sim-core/tests/gpu-traces/openb_pods_sample.csv");
    let scenario = |gpu_models: &str, backfill: &str| {
        format!(
            r#"Scenario(name: "spec", seed: 1,
    cluster: (node_groups: [
        (name: "v16", count: 2, node_model: "PCIe-8GPU", gpu_model: "V100-SXM2-16GB"),
        (name: "v32", count: 2, node_model: "PCIe-8GPU", gpu_model: "V100-SXM2-32GB"),
    ]),
    workload: (trace: (file: {sample:?}, format: AlibabaPods, gpu_models: {{{gpu_models}}})),
    scheduler: (backfill: {backfill}),
)"#
        )
    };
    let write = |text: String| {
        fs::write(dir.join("s.ron"), text).unwrap();
        load_file(&dir.join("s.ron"), &[])
    };
    let mapped = r#""V100M16": "V100-SXM2-16GB", "V100M32": "V100-SXM2-32GB""#;
    let loaded = write(scenario(mapped, "None")).unwrap_or_else(|e| panic!("{e}"));
    let w = &loaded.scenario.workload;
    assert_eq!(
        w.gpu_types,
        vec![vec![
            "V100-SXM2-16GB".to_string(),
            "V100-SXM2-32GB".to_string()
        ]]
    );
    let p35 = w.jobs.iter().find(|j| j.trace_id == Some(35)).unwrap();
    assert_eq!(p35.gpu_type, 1);
    assert_eq!(p35.priority, 3);
    let p22 = w.jobs.iter().find(|j| j.trace_id == Some(22)).unwrap();
    assert_eq!(
        (p22.gpu_type, p22.share),
        (0, GpuShare::Fraction { milli: 220 })
    );

    // A name the map leaves out is taken as a model name: none has it.
    let e = write(scenario(r#""V100M16": "V100-SXM2-16GB""#, "None"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("asks for GPU type `V100M32`"), "{e}");
    assert!(e.contains("gpu_models: {\"V100M32\": \"MODEL\"}"), "{e}");
    // GPU types with backfilling are refused, as explicit jobs' are.
    let e = write(scenario(mapped, "Conservative"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("set scheduler.backfill: None"), "{e}");
}

/// `whole_gpus: true` (the scenario's `workload.trace.whole_gpus`): a
/// pod's share of one GPU becomes one whole GPU, counted as altered;
/// whole-GPU pods are unchanged.
#[test]
fn whole_gpus_rounds_a_share_up_to_one_gpu() {
    let options = ImportOptions {
        whole_gpus: true,
        ..ImportOptions::default()
    };
    let (jobs, report) = import_file(
        &path("sim-core/tests/gpu-traces/openb_pods_sample.csv"),
        TraceFormat::AlibabaPods,
        &options,
    )
    .unwrap();
    let by = |id: u64| jobs.iter().find(|j| j.id == id).unwrap();
    assert_eq!((by(22).gpus, by(22).share), (1, GpuShare::Whole));
    assert_eq!((by(17).gpus, by(17).share), (8, GpuShare::Whole));
    assert!(jobs.iter().all(|j| j.share == GpuShare::Whole));
    let (shared, _) = import_file(
        &path("sim-core/tests/gpu-traces/openb_pods_sample.csv"),
        TraceFormat::AlibabaPods,
        &ImportOptions::default(),
    )
    .unwrap();
    let fractions = shared.iter().filter(|j| j.share.is_shared()).count() as u64;
    assert!(fractions > 0);
    assert_eq!(
        report.altered_for("whole_gpus: a share of one GPU rounded up to a whole GPU"),
        fractions
    );
}
