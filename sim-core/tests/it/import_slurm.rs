//! `clustersim import slurm`: the guide's slurm.conf re-imports byte for
//! byte to the bundled scenario, which runs; one test per key family
//! (nodes and Gres, host lists, partitions, times, priority, scheduler
//! parameters, preemption, topology, QOS, the reader's syntax); and bad
//! input, each refused at its file:line:column with the fix and exit 2.
//! Slurm semantics are cited from slurm.conf(5) and Slurm's source.

use std::fs;
use std::path::{Path, PathBuf};

use expect_test::expect_file;

use crate::support::{clustersim, scratch, stderr, stdout, workspace_root};

/// Writes `files` (name, text) to a scratch folder; returns it.
fn setup(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(test);
    fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// Imports with `args` (paths relative to `dir`); (exit code, stdout, stderr).
fn import(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut full = vec!["import".to_string(), "slurm".to_string()];
    for a in args {
        full.push(if a.starts_with('-') || a.contains('=') {
            (*a).to_string()
        } else {
            dir.join(a).display().to_string()
        });
    }
    let refs: Vec<&str> = full.iter().map(String::as_str).collect();
    let out = clustersim(&refs);
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

const NODES: &str = "NodeName=gpu-node[1-8,10] Gres=gpu:h100:8 CPUs=112 RealMemory=512000\n";

#[test]
fn the_guides_slurm_conf_imports_to_the_bundled_scenario_and_runs() {
    let out = clustersim(&["import", "slurm", "scenarios/slurm/guide.slurm.conf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    expect_file![workspace_root().join("scenarios/slurm/guide.ron")].assert_eq(&stdout(&out));
    // MaxTaskCount is no slurm.conf(5) key: warned about, with its place.
    assert!(
        stderr(&out).contains("guide.slurm.conf:25:1: `MaxTaskCount`"),
        "{}",
        stderr(&out)
    );
    let run = clustersim(&["run", "scenarios/slurm/guide.ron", "-q", "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("\"completed\": 200"),
        "{}",
        stdout(&run)
    );
}

#[test]
fn nodes_gres_and_host_lists() {
    let dir = setup(
        "import-nodes",
        &[(
            "s.conf",
            "NodeName=cpu[1-2] CPUs=64\nNodeName=DEFAULT Gres=gpu:a100:4\nNodeName=n[01-04]\nNodeName=gpu-node[1-8,10] Gres=gpu:h100:8\nPartitionName=all Nodes=ALL Default=YES\n",
        )],
    );
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    // NodeName=DEFAULT's Gres applies to the lines after it (n[01-04]),
    // not to cpu[1-2] before it (read_config.c merges the defaults of the
    // time a line is read); padding is kept.
    assert!(ron.contains("(name: \"n\", count: 4, hosts: \"n[01-04]\", node_model: \"DGX-A100\", gpu_model: \"A100-SXM-80GB\", gpus_per_node: 4)"), "{ron}");
    assert!(
        ron.contains("count: 9, hosts: \"gpu-node[1-8,10]\", node_model: \"DGX-H100\""),
        "{ron}"
    );
    // CPU-only nodes are left out, and said so; ALL is every GPU node.
    assert!(
        ron.contains("NodeName=cpu[1-2]") && ron.contains("no GPU Gres"),
        "{ron}"
    );
    assert!(
        ron.contains("nodes: [\"n[01-04],gpu-node[1-8,10]\"]"),
        "{ron}"
    );
}

#[test]
fn partitions_and_slurm_times() {
    // slurm.conf(5): MaxTime is "minutes, minutes:seconds,
    // hours:minutes:seconds, days-hours, days-hours:minutes,
    // days-hours:minutes:seconds or UNLIMITED"; a bare number is minutes.
    let dir = setup(
        "import-partitions",
        &[(
            "s.conf",
            &format!(
                "{NODES}PartitionName=DEFAULT MaxTime=7-0 PriorityTier=2\nPartitionName=long Nodes=gpu-node[1-8,10] Default=YES MaxNodes=UNLIMITED\nPartitionName=short Nodes=gpu-node[1-2] MaxTime=30 DefaultTime=0:30 GraceTime=120 Priority=5 State=DOWN OverSubscribe=EXCLUSIVE\n"
            ),
        )],
    );
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    assert!(ron.contains("(name: \"long\", nodes: [\"gpu-node[1-8,10]\"], default: true, max_time: \"7d\", priority_tier: 2)"), "{ron}");
    // 0:30 rounds up to a minute, as time_str2mins does; Priority= sets both.
    assert!(ron.contains("(name: \"short\", nodes: [\"gpu-node[1-2]\"], default_time: \"1m\", max_time: \"30m\", priority_job_factor: 5, priority_tier: 2, grace_time: \"2m\")"), "{ron}");
    assert!(
        ron.contains("State=DOWN") && ron.contains("OverSubscribe=EXCLUSIVE"),
        "{ron}"
    );
}

#[test]
fn priority_scheduler_parameters_preemption_and_enforce_part_limits() {
    let dir = setup(
        "import-priority",
        &[(
            "s.conf",
            &format!(
                "{NODES}PartitionName=p Nodes=ALL\nAccountingStorageType=accounting_storage/slurmdbd\nPriorityType=priority/multifactor\nPriorityWeightAge=1000\nPriorityWeightFairshare=10000\nPriorityWeightJobSize=100\nPriorityWeightPartition=500\nPriorityWeightQOS=2000\nPriorityWeightTRES=CPU=1000,GRES/gpu=3000\nPriorityDecayHalfLife=14-0\nPriorityMaxAge=1-0\nPriorityFavorSmall=YES\nPriorityUsageResetPeriod=MONTHLY\nPriorityCalcPeriod=5\nPriorityFlags=NO_FAIR_TREE,SMALL_RELATIVE_TO_TIME\nSchedulerType=sched/backfill\nSchedulerParameters=bf_interval=60,bf_window=2880,bf_resolution=300,bf_max_job_test=1000,bf_continue,sched_interval=120,default_queue_depth=200\nPreemptType=preempt/qos\nPreemptMode=CANCEL\nEnforcePartLimits=YES\n"
            ),
        )],
    );
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    assert!(ron.contains("priority: (weight_age: 1000, weight_fairshare: 10000, weight_job_size: 100, weight_partition: 500, weight_qos: 2000, max_age: \"1d\", calc_period: \"5m\", decay_half_life: \"14d\", favor_small: true, usage_reset: Monthly, fairshare: Classic, small_relative_to_time: true)"), "{ron}");
    // bf_window is minutes, bf_interval and bf_resolution seconds (slurm.conf(5)).
    for line in [
        "order: Multifactor,",
        "backfill: Slurm,",
        "bf_interval: \"1m\",",
        "sched_interval: \"2m\",",
        "bf_window: \"2d\",",
        "bf_resolution: \"5m\",",
        "bf_max_job_test: 1000,",
        "bf_continue: true,",
        "preempt_type: Qos,",
        "preempt_mode: Cancel,",
        "enforce_part_limits: All,",
    ] {
        assert!(ron.contains(line), "{line}\n{ron}");
    }
    assert!(
        ron.contains("PriorityWeightTRES=") && ron.contains("default_queue_depth=200"),
        "{ron}"
    );
    // Without slurmdbd, slurmctld ignores the age and fair-share weights
    // (priority_multifactor.c: "PriorityWeightAge can only be used with
    // SlurmDBD, ignoring", logged by the real runs of scripts/slurm); and
    // without PriorityType, 22.05's slurm.conf(5) says "The default value
    // is priority/basic".
    let dir = setup(
        "import-no-slurmdbd",
        &[(
            "s.conf",
            &format!(
                "{NODES}PriorityType=priority/multifactor\nPriorityWeightAge=1000\nPriorityWeightFairshare=10000\nPriorityWeightJobSize=100\n"
            ),
        )],
    );
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        ron.contains("priority: (weight_age: 0, weight_fairshare: 0, weight_job_size: 100)")
            && ron.contains("PriorityWeightAge=1000 (")
            && ron.contains("imported as 0"),
        "{ron}"
    );
    let dir = setup("import-no-priority-type", &[("s.conf", NODES)]);
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        ron.contains("order: Fcfs,") && ron.contains("no PriorityType: priority/basic"),
        "{ron}"
    );
    // sched/builtin is no backfill; priority/basic is FIFO.
    let dir = setup(
        "import-builtin",
        &[(
            "s.conf",
            &format!("{NODES}SchedulerType=sched/builtin\nPriorityType=priority/basic\n"),
        )],
    );
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        ron.contains("order: Fcfs,") && ron.contains("backfill: None,"),
        "{ron}"
    );
}

#[test]
fn topology_and_qos() {
    let dir = setup(
        "import-topology",
        &[
            (
                "s.conf",
                &format!("{NODES}PartitionName=p Nodes=ALL QOS=normal\nPreemptType=preempt/qos\n"),
            ),
            (
                "topology.conf",
                "SwitchName=s1 Nodes=gpu-node[1-4]\nSwitchName=s2 Nodes=gpu-node[5-8,10] LinkSpeed=100\nSwitchName=top Switches=s[1-2]\n",
            ),
            (
                "qos.txt",
                "Name|Priority|GraceTime|Preempt|GrpTRES|MaxTRESPU|MaxWall\nnormal|0|00:00:00||||\nhigh|100|00:02:00|normal|gres/gpu=32|gres/gpu=16|2-00:00:00\n",
            ),
        ],
    );
    let (code, ron, err) = import(
        &dir,
        &["s.conf", "--topology", "topology.conf", "--qos", "qos.txt"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        ron.contains("(name: \"s1\", nodes: [\"gpu-node[1-4]\"]),"),
        "{ron}"
    );
    assert!(
        ron.contains("top: s[1-2]") && ron.contains("LinkSpeed=100"),
        "{ron}"
    );
    assert!(ron.contains("(name: \"high\", priority: 100, grace_time: \"2m\", grp_gpus: 32, max_gpus_per_user: 16, preempt: [\"normal\"]),"), "{ron}");
    assert!(
        ron.contains("QOS high: MaxWall=2-00:00:00: not modelled"),
        "{ron}"
    );
}

#[test]
fn include_continuation_and_keys_in_any_case() {
    let dir = setup(
        "import-syntax",
        &[
            (
                "s.conf",
                "# comment\nnodename=gpu-node[1-2] \\\n   GRES=gpu:h200:8   # trailing comment\nInclude parts.conf\nPriorityWieghtAge=5\n",
            ),
            (
                "parts.conf",
                "PARTITIONNAME=p nodes=ALL maxtime=\"4:00:00\"\n",
            ),
        ],
    );
    let (code, ron, err) = import(&dir, &["s.conf"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        ron.contains("gpu_model: \"H200-SXM-141GB\", gpus_per_node: 8"),
        "{ron}"
    );
    assert!(
        ron.contains("(name: \"p\", nodes: [\"gpu-node[1-2]\"], max_time: \"4h\")"),
        "{ron}"
    );
    // An unknown key is warned about at its place, with a suggestion.
    assert!(
        err.contains("s.conf:5:1: `PriorityWieghtAge` is not a global key")
            && err.contains("did you mean `PriorityWeightAge`?"),
        "{err}"
    );
}

#[test]
fn a_sacct_log_becomes_the_workload() {
    let dir = setup(
        "import-sacct",
        &[(
            "s.conf",
            "NodeName=dgx[1-4] Gres=gpu:h100:8\nPartitionName=gpu Nodes=ALL Default=YES MaxTime=1-0\nPartitionName=debug Nodes=dgx1 MaxTime=8:00:00\n",
        )],
    );
    fs::copy(
        workspace_root().join("scenarios/traces/sacct-example.txt"),
        dir.join("day.txt"),
    )
    .unwrap();
    let out_ron = dir.join("out/cluster.ron");
    fs::create_dir_all(out_ron.parent().unwrap()).unwrap();
    let (code, _, err) = import(
        &dir,
        &["s.conf", "--sacct", "day.txt", "-o", "out/cluster.ron"],
    );
    assert_eq!(code, 0, "{err}");
    let ron = fs::read_to_string(&out_ron).unwrap();
    assert!(
        ron.contains("trace: (file: \"../day.txt\", format: Sacct)"),
        "{ron}"
    );
    let run = clustersim(&["run", out_ron.to_str().unwrap(), "-q", "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}

/// Bad input: (files, args, place, what the message says, what the fix says).
#[test]
fn bad_input_names_the_line_and_column_and_the_fix() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "NodeName=gpu[1-4 Gres=gpu:h100:8\n",
            "",
            "s.conf:1:13",
            "without its closing `]`",
            "gpu-node[1-8,10]",
        ),
        (
            "NodeName=gpu[1-4] Gres=gpu:h100\n",
            "",
            "s.conf:1:24",
            "gives no GPU count",
            "Gres=gpu:h100:8",
        ),
        (
            "NodeName=gpu[1-4] Gres=gpu:h100:8\nPartitionName=p Nodes=ALL MaxTime=4:0x:00\n",
            "",
            "s.conf:2:35",
            "not a time Slurm accepts",
            "7-00:00:00",
        ),
        (
            "NodeName=gpu[1-4] Gres=gpu:v100:8\n",
            "",
            "s.conf:1:24",
            "`v100` matches no catalog model",
            "--gpu-model v100=MODEL",
        ),
        (
            "NodeName=gpu[1-4] Gres=gpu:h100:8\nPartitionName=p Nodes=gpu[1-5]\n",
            "",
            "s.conf:2:23",
            "names node `gpu5`",
            "NodeName line",
        ),
        (
            "NodeName=gpu[1-4] Gres=gpu:h100:8\nPartitionName=p Nodes=ALL AllowQos=normal,hihg\n",
            "--qos",
            "s.conf:2:43",
            "QOS `hihg`",
            "did you mean `high`?",
        ),
        (
            // slurm.conf(5): "If set to 0 PriorityUsageResetPeriod must be set".
            "NodeName=gpu[1-4] Gres=gpu:h100:8\nPriorityType=priority/multifactor\nPriorityDecayHalfLife=0\n",
            "",
            "s.conf:3:23",
            "without a PriorityUsageResetPeriod",
            "PriorityUsageResetPeriod (e.g. MONTHLY)",
        ),
        (
            "NodeName=gpu[1-4] Gres=gpu:h100:8\nInclude missing.conf\n",
            "",
            "s.conf:2:9",
            "cannot read the included file",
            "fix the Include path",
        ),
    ];
    for (i, (conf, flag, place, message, fix)) in cases.iter().enumerate() {
        let dir = setup(
            &format!("import-bad-{i}"),
            &[
                ("s.conf", conf),
                (
                    "qos.txt",
                    "Name|Priority|Preempt\nnormal|0|\nhigh|10|normal\n",
                ),
            ],
        );
        let mut args = vec!["s.conf"];
        if !flag.is_empty() {
            args.extend([*flag, "qos.txt"]);
        }
        let (code, _, err) = import(&dir, &args);
        assert_eq!(code, 2, "case {i}: {err}");
        assert!(
            err.contains(&format!("{place}:")) || err.contains(place),
            "case {i}: {place}\n{err}"
        );
        assert!(err.contains(message), "case {i}: {message}\n{err}");
        assert!(err.contains(fix), "case {i}: {fix}\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A QOS preempting one the file lacks.
    let dir = setup(
        "import-bad-preempt",
        &[
            ("s.conf", NODES),
            (
                "qos.txt",
                "Name|Priority|Preempt\nhigh|10|nromal\nnormal|0|\n",
            ),
        ],
    );
    let (code, _, err) = import(&dir, &["s.conf", "--qos", "qos.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("qos.txt:2:9") && err.contains("did you mean `normal`?"),
        "{err}"
    );
}

/// Two real sites' configurations, written from the facts their user
/// documentation publishes (sources in each file's header): each imports,
/// validates and runs; what the importer cannot know it asks for.
#[test]
fn real_sites_configurations_import_validate_and_run() {
    let dir = workspace_root().join("sim-core/tests/slurm");
    // JHU DSAI: 80 CPU-only nodes (left out, with their partition) and five
    // GPU partitions. Its H100 NVL cards are no catalog model: the import
    // asks for a mapping instead of giving them the SXM model's numbers.
    let (code, _, err) = import(&dir, &["jhu-dsai.slurm.conf"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("jhu-dsai.slurm.conf:31:"), "{err}");
    assert!(err.contains("--gpu-model h100nvl=MODEL"), "{err}");
    let cases: [(&str, &[&str], u64, &[&str]); 2] = [
        (
            "jhu-dsai",
            &["--gpu-model", "h100nvl=H100-SXM-80GB"],
            // 11 + 4 A100 nodes x 8, 8 L40S x 8, 16 + 16 H100 x 4.
            15 * 8 + 8 * 8 + 32 * 4,
            &["interactive", "l40s", "a100", "h100", "nvl"],
        ),
        (
            "nscc-devana",
            &[],
            // 8 nodes x 4 A100 and two login nodes with one GPU each.
            8 * 4 + 2,
            &["testing", "gpu"],
        ),
    ];
    for (site, extra, gpus, partitions) in cases {
        let out_ron = scratch(&format!("site-{site}.ron"));
        let _ = fs::remove_file(&out_ron);
        let conf = format!("{site}.slurm.conf");
        let out_arg = out_ron.display().to_string();
        let mut args = vec![conf.as_str(), "-o", out_arg.as_str()];
        args.extend_from_slice(extra);
        let (code, _, err) = import(&dir, &args);
        assert_eq!(code, 0, "{site}: {err}");
        let ron = fs::read_to_string(&out_ron).unwrap();
        // The CPU-only partitions are accounted for, not silently gone.
        assert!(ron.contains("only CPU nodes, so left out"), "{site}");
        for p in partitions {
            assert!(ron.contains(&format!("(name: \"{p}\"")), "{site}: {p}");
        }
        let run = clustersim(&["run", &out_arg, "-q", "--format", "json"]);
        assert_eq!(run.status.code(), Some(0), "{site}: {}", stderr(&run));
        let summary: serde_json::Value = serde_json::from_str(&stdout(&run)).unwrap();
        assert_eq!(summary["gpus"], gpus, "{site}");
        assert_eq!(summary["jobs"]["completed"], 200, "{site}");
    }
}
