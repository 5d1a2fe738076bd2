//! The reliability schema end to end: a scenario using every field of
//! `reliability`, `storage` and jobs' `checkpoint`/`recovery`/`requeue`
//! resolves into the model (`sim_core::reliability`) as hand-computed
//! below, `--set` reaches the new paths, and each validation rule refuses
//! its mistake at the field.

use sim_core::reliability::{
    CheckpointCost, CheckpointInterval, CheckpointMode, CheckpointSpec, ClassKind, DrainRule,
    FailureClass, Frailty, JobPolicy, Lifetime, Maintenance, Recovery, RepairAction, RepairTime,
    RestartOverhead, Target,
};
use sim_core::scenario::{Loaded, ScenarioError, SetArg, load_str};
use sim_core::training::{checkpoint_bytes, model};
use sim_core::units::{Bandwidth, Bytes};

const DAY_NS: f64 = 86_400e9;

/// 16 DGX H100 on a leaf-spine (so links, leaves and spines exist), with
/// the given sections and jobs.
fn scenario(fabric: &str, sections: &str, jobs: &str) -> String {
    format!(
        r#"Scenario(
    name: "reliability-schema",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 16, node_model: "DGX-H100")]),
    {fabric}
    {sections}
    workload: (
        {jobs}
    ),
)"#
    )
}

const FABRIC: &str = "fabric: (topology: LeafSpine(radix: 16)),";
const ONE_JOB: &str = r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h")],"#;

const EVERY_FIELD: &str = r#"
    reliability: (
        preset: "llama3-h100",
        scale: 2.0,
        classes: [
            (name: "faulty-gpu", scale: 3.0),
            (name: "gpu-hbm3", strikes: Gpu, rate: "1e-4/day", distribution: Weibull(shape: 0.7),
             detection: "1m", repair: (time: Exponential(mean: "6h"), action: Replace)),
            (name: "psu-extra", strikes: Node, mtbf: "16.4y", detection: "5m",
             repair: (time: LogNormal(median: "4h", sigma: 1.0), action: Replace), scale: 0.5),
            (name: "cable", strikes: Link, mtbf: "30y", repair: (time: Fixed("2h"), action: Replace)),
            (name: "leaf", strikes: LeafSwitch, rate: "1/5y", distribution: Exponential,
             repair: (time: Fixed("1h"), action: Reboot)),
            (name: "spine", strikes: SpineSwitch, rate: "6.5/1000d",
             repair: (time: Fixed("1h"), action: Reboot)),
            (name: "user-bug", strikes: Job, rate: "1/30d", detection: "10m"),
            (name: "rolling", strikes: Node,
             maintenance: (first: "1d", every: "7d", duration: "4h", nodes_at_once: 2)),
        ],
        frailty: Lemons(fraction: 0.02, factor: 10.0),
        drain: (failures: 3, window: "7d"),
        health_check_interval: "5m",
        spares: 2,
        restart: (base: "5m", per_node: "1s"),
        requeue: false,
        max_requeues: 3,
    ),
    storage: (aggregate: "1TB/s", per_node: "25GB/s", snapshot_per_node: "50GB/s"),
"#;

const EVERY_JOB: &str = r#"
        jobs: [
            (name: "a", submit: "0s", request: Gpus(8), runtime: "1h",
             checkpoint: (interval: Every("1h"), cost: "5m")),
            (name: "b", submit: "0s", request: Nodes(count: 2, gpus_per_node: 8), runtime: "1h",
             checkpoint: (interval: Every("1h"), cost: "5m", mode: Blocking)),
            (name: "plain", submit: "0s", request: Gpus(8), runtime: "1h"),
        ],
        training: [
            (name: "default", submit: "0s", model: "llama3-8b", steps: 10,
             layout: (tp: 8, pp: 1, dp: 2, micro_batch: 1, global_batch: 64)),
            (name: "elastic", submit: "0s", model: "llama3-8b", steps: 10,
             layout: (tp: 8, pp: 1, dp: 2, micro_batch: 1, global_batch: 64),
             checkpoint: (interval: Young, mode: Async), recovery: Elastic(min_nodes: 1),
             requeue: true),
        ],
        generators: [
            (name: "g", arrival: Poisson(mean_interarrival: "1h"), count: 3,
             sizes: [(request: Gpus(8), weight: 1.0)], duration: Exponential(mean: "1h"),
             checkpoint: (bytes: "1TiB", interval: Daly), recovery: Redundant, requeue: true),
        ],
"#;

fn load(text: &str, overrides: &[&str]) -> Result<Loaded, ScenarioError> {
    let overrides: Vec<SetArg> = overrides.iter().map(|o| SetArg::set(*o)).collect();
    load_str("reliability.ron", text, &overrides)
}

fn class<'a>(classes: &'a [FailureClass], name: &str) -> &'a FailureClass {
    classes
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no class {name}"))
}

fn lifetime(c: &FailureClass) -> Lifetime {
    match c.kind {
        ClassKind::Unexpected { lifetime, .. } => lifetime,
        ClassKind::Planned(_) => panic!("{} is planned", c.name),
    }
}

fn assert_close(found: f64, expected: f64, what: &str) {
    assert!(
        (found - expected).abs() <= 1e-12 * expected.abs(),
        "{what}: {found} != {expected}"
    );
}

#[test]
fn every_field_resolves_into_the_model() {
    let loaded = load(&scenario(FABRIC, EVERY_FIELD, EVERY_JOB), &[]).unwrap();
    let r = &loaded.scenario.reliability;
    // 18 preset classes (gpu-hbm3 replaced in place) and 6 new ones.
    assert_eq!(r.classes.len(), 24);
    assert_eq!(r.classes[1].name, "gpu-hbm3");
    let names: Vec<&str> = r.classes[18..].iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["psu-extra", "cable", "leaf", "spine", "user-bug", "rolling"]
    );

    // faulty-gpu: 16,384 GPUs × 54 d / 148, rate × 3 (its entry) × 2 (the
    // section).
    let faulty = lifetime(class(&r.classes, "faulty-gpu"));
    assert_close(
        faulty.mean_ns(),
        16_384.0 * 54.0 * DAY_NS / 148.0 / 6.0,
        "faulty-gpu",
    );
    // An untouched preset class only takes the section's scale.
    let ssd = lifetime(class(&r.classes, "ssd"));
    assert_close(ssd.mean_ns(), 2_048.0 * 54.0 * DAY_NS / 3.0 / 2.0, "ssd");

    // gpu-hbm3 replaced: Weibull of mean 10^4 days, then the section's
    // scale 2 on its hazard: scale / 2^(1/0.7).
    let hbm = class(&r.classes, "gpu-hbm3");
    assert_eq!(hbm.target, Target::Gpu);
    assert_eq!(hbm.detection.as_secs_f64(), 60.0);
    let Lifetime::Weibull { shape, scale_ns } = lifetime(hbm) else {
        panic!("gpu-hbm3 is not Weibull");
    };
    assert_eq!(shape, 0.7);
    let unscaled = Lifetime::weibull_with_mean(0.7, 1e4 * DAY_NS);
    let Lifetime::Weibull {
        scale_ns: unscaled_ns,
        ..
    } = unscaled
    else {
        unreachable!()
    };
    assert_close(
        scale_ns,
        unscaled_ns / 2f64.powf(1.0 / 0.7),
        "gpu-hbm3 scale",
    );
    assert_close(unscaled.mean_ns(), 1e4 * DAY_NS, "gpu-hbm3 mean");
    let ClassKind::Unexpected { repair, .. } = hbm.kind else {
        unreachable!()
    };
    assert_eq!(repair.action, RepairAction::Replace);
    assert_eq!(
        repair.time,
        RepairTime::Exponential {
            mean: sim_core::engine::SimDuration::from_secs(6 * 3_600)
        }
    );

    // psu-extra: 16.4 y = 5,986 d exactly; × 0.5 × 2 leaves it.
    let psu = class(&r.classes, "psu-extra");
    assert_eq!(psu.target, Target::Node);
    assert_close(lifetime(psu).mean_ns(), 5_986.0 * DAY_NS, "psu-extra");
    let ClassKind::Unexpected { repair, .. } = psu.kind else {
        unreachable!()
    };
    assert_eq!(
        repair.time,
        RepairTime::Lognormal {
            median: sim_core::engine::SimDuration::from_secs(4 * 3_600),
            sigma: 1.0
        }
    );
    // Rates: 1 per 5 y, 6.5 per 1,000 d, 1 per 30 d, each × 2.
    assert_close(
        lifetime(class(&r.classes, "leaf")).mean_ns(),
        5.0 * 365.0 * DAY_NS / 2.0,
        "leaf",
    );
    assert_close(
        lifetime(class(&r.classes, "spine")).mean_ns(),
        1_000.0 / 6.5 * DAY_NS / 2.0,
        "spine",
    );
    assert_close(
        lifetime(class(&r.classes, "cable")).mean_ns(),
        30.0 * 365.0 * DAY_NS / 2.0,
        "cable",
    );
    let bug = class(&r.classes, "user-bug");
    assert_eq!(bug.target, Target::Job);
    assert_close(lifetime(bug).mean_ns(), 30.0 * DAY_NS / 2.0, "user-bug");
    // Planned maintenance is not scaled.
    let rolling = class(&r.classes, "rolling");
    assert_eq!(
        rolling.kind,
        ClassKind::Planned(Maintenance {
            first: sim_core::engine::SimDuration::from_secs(86_400),
            every: sim_core::engine::SimDuration::from_secs(7 * 86_400),
            duration: sim_core::engine::SimDuration::from_secs(4 * 3_600),
            nodes_at_once: 2,
        })
    );

    assert_eq!(
        r.frailty,
        Frailty::Lemons {
            fraction: 0.02,
            factor: 10.0
        }
    );
    assert_eq!(
        r.drain_rule,
        Some(DrainRule {
            failures: 3,
            window: sim_core::engine::SimDuration::from_secs(7 * 86_400)
        })
    );
    assert_eq!(
        r.health_check_interval,
        Some(sim_core::engine::SimDuration::from_secs(300))
    );
    assert_eq!(r.spares, 2);
    assert_eq!(
        r.restart,
        RestartOverhead {
            base: sim_core::engine::SimDuration::from_secs(300),
            per_node: sim_core::engine::SimDuration::from_secs(1),
        }
    );
    assert!(!r.requeue);
    assert_eq!(r.max_requeues, 3);

    let storage = loaded.scenario.storage.unwrap();
    assert_eq!(storage.aggregate, Bandwidth::gbytes_per_s(1_000));
    assert_eq!(storage.per_node, Bandwidth::gbytes_per_s(25));
    assert_eq!(storage.snapshot_per_node, Bandwidth::gbytes_per_s(50));

    // Policies, deduplicated in the order jobs are built (explicit jobs,
    // training jobs, generators), the default first.
    let w = &loaded.scenario.workload;
    let every_hour = JobPolicy {
        checkpoint: Some(CheckpointSpec {
            interval: CheckpointInterval::Every(sim_core::engine::SimDuration::from_secs(3_600)),
            cost: CheckpointCost::Fixed(sim_core::engine::SimDuration::from_secs(300)),
            mode: CheckpointMode::Blocking,
        }),
        recovery: Recovery::CheckpointRestart,
        requeue: None,
    };
    // 8B: 14 bytes per parameter, written once.
    let llama_bytes = checkpoint_bytes(&model::preset("llama3-8b").unwrap());
    assert!((llama_bytes.as_u64() as f64 / 1e9 - 14.0 * 8.03).abs() < 1.0);
    let training_default = JobPolicy {
        checkpoint: Some(CheckpointSpec {
            interval: CheckpointInterval::Daly,
            cost: CheckpointCost::Bytes(llama_bytes),
            mode: CheckpointMode::Blocking,
        }),
        recovery: Recovery::CheckpointRestart,
        requeue: None,
    };
    let elastic = JobPolicy {
        checkpoint: Some(CheckpointSpec {
            interval: CheckpointInterval::Young,
            cost: CheckpointCost::Bytes(llama_bytes),
            mode: CheckpointMode::Async,
        }),
        recovery: Recovery::Elastic { min_nodes: 1 },
        requeue: Some(true),
    };
    let redundant = JobPolicy {
        checkpoint: Some(CheckpointSpec {
            interval: CheckpointInterval::Daly,
            cost: CheckpointCost::Bytes(Bytes::tib(1)),
            mode: CheckpointMode::Blocking,
        }),
        recovery: Recovery::Redundant,
        requeue: Some(true),
    };
    assert_eq!(
        w.policies,
        [
            JobPolicy::default(),
            every_hour,
            training_default,
            elastic,
            redundant
        ]
    );
    let by_name = |name: &str| {
        let index = w
            .directory
            .job_names
            .iter()
            .position(|n| n == name)
            .unwrap();
        w.jobs
            .iter()
            .find(|j| j.name as usize == index)
            .unwrap()
            .policy
    };
    assert_eq!(by_name("a"), 1);
    assert_eq!(by_name("b"), 1);
    assert_eq!(by_name("plain"), 0);
    assert_eq!(by_name("default"), 2);
    assert_eq!(by_name("elastic"), 3);
    assert_eq!(w.generators[0].policy, 4);
}

#[test]
fn set_reaches_the_new_fields() {
    let text = scenario(FABRIC, EVERY_FIELD, EVERY_JOB);
    let loaded = load(
        &text,
        &[
            "reliability.scale=4.0",
            "reliability.classes[0].scale=1.0",
            "reliability.spares=5",
            "storage.per_node=50GB/s",
            "workload.jobs[0].checkpoint.cost=10m",
        ],
    )
    .unwrap();
    let r = &loaded.scenario.reliability;
    let faulty = lifetime(class(&r.classes, "faulty-gpu"));
    assert_close(
        faulty.mean_ns(),
        16_384.0 * 54.0 * DAY_NS / 148.0 / 4.0,
        "faulty-gpu",
    );
    assert_eq!(r.spares, 5);
    assert_eq!(
        loaded.scenario.storage.unwrap().per_node,
        Bandwidth::gbytes_per_s(50)
    );
    let cost = loaded.scenario.workload.policies[1]
        .checkpoint
        .unwrap()
        .cost;
    assert_eq!(
        cost,
        CheckpointCost::Fixed(sim_core::engine::SimDuration::from_secs(600))
    );
    // A field the file leaves out is inserted.
    let loaded = load(&text, &["reliability.classes[2].detection=2m"]).unwrap();
    let psu = class(&loaded.scenario.reliability.classes, "psu-extra");
    assert_eq!(psu.detection.as_secs_f64(), 120.0);
}

#[test]
fn without_failure_classes_training_jobs_keep_the_default_policy() {
    let jobs = r#"training: [(submit: "0s", model: "llama3-8b", steps: 10,
        layout: (tp: 8, pp: 1, dp: 2, micro_batch: 1, global_batch: 64))],"#;
    for sections in ["", "reliability: (spares: 1),"] {
        let loaded = load(&scenario("", sections, jobs), &[]).unwrap();
        let w = &loaded.scenario.workload;
        assert!(w.policies.is_empty(), "{sections}");
        assert_eq!(w.jobs[0].policy, 0);
        assert!(loaded.scenario.reliability.classes.is_empty());
        assert!(loaded.scenario.storage.is_none());
    }
    // A preset alone gives classes, and the training job its checkpoint.
    let loaded = load(
        &scenario(
            "",
            r#"reliability: (preset: "meta-rsc1"), storage: (aggregate: "1TB/s", per_node: "25GB/s"),"#,
            jobs,
        ),
        &[],
    )
    .unwrap();
    assert_eq!(loaded.scenario.workload.jobs[0].policy, 1);
    let rsc1 = lifetime(&loaded.scenario.reliability.classes[0]);
    assert_close(DAY_NS / rsc1.mean_ns(), 6.5e-3, "meta-rsc1 per node-day");
}

/// The first error's path and message for a scenario.
fn first_error(fabric: &str, sections: &str, jobs: &str) -> (String, String) {
    let err = load(&scenario(fabric, sections, jobs), &[]).unwrap_err();
    let d = err.first();
    (d.path.clone().unwrap_or_default(), d.message.clone())
}

#[test]
fn each_rule_refuses_its_mistake_at_the_field() {
    let storage = r#"storage: (aggregate: "1TB/s", per_node: "25GB/s"),"#;
    let class = |body: &str| format!("reliability: (classes: [{body}]),");
    let rep = r#"repair: (time: Fixed("1h"), action: Reboot)"#;
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            class(&format!(
                r#"(name: "a", strikes: Node, mtbf: "1y", {rep}), (name: "a", strikes: Gpu, mtbf: "1y", {rep})"#
            )),
            ONE_JOB,
            "reliability.classes[1].name",
            "two failure classes are named `a`",
        ),
        (
            r#"reliability: (preset: "llama3-h100", classes: [(name: "faulty-gpus", scale: 2.0)]),"#.into(),
            ONE_JOB,
            "reliability.classes[0].name",
            "is no class of preset",
        ),
        (
            class(r#"(name: "x", scale: 2.0)"#),
            ONE_JOB,
            "reliability.classes[0].name",
            "no preset is named",
        ),
        (
            class(&format!(r#"(name: "x", strikes: Node, mtbf: "1y", rate: "1/y", {rep})"#)),
            ONE_JOB,
            "reliability.classes[0].rate",
            "not both",
        ),
        (
            class(r#"(name: "x", strikes: Node, mtbf: "1y")"#),
            ONE_JOB,
            "reliability.classes[0]",
            "never repairs it",
        ),
        (
            class(&format!(r#"(name: "x", strikes: Job, mtbf: "1y", {rep})"#)),
            ONE_JOB,
            "reliability.classes[0].repair",
            "nothing to repair",
        ),
        (
            class(
                r#"(name: "x", strikes: Node, rate: "1/y", maintenance: (first: "0s", every: "7d", duration: "1h", nodes_at_once: 1))"#,
            ),
            ONE_JOB,
            "reliability.classes[0].rate",
            "a planned class has no `rate`",
        ),
        (
            class(
                r#"(name: "x", strikes: Node, maintenance: (first: "0s", every: "0s", duration: "1h", nodes_at_once: 1))"#,
            ),
            ONE_JOB,
            "reliability.classes[0].maintenance.every",
            "maintenance period must be longer than zero",
        ),
        (
            class(
                r#"(name: "x", strikes: Node, maintenance: (first: "0s", every: "7d", duration: "1h", nodes_at_once: 17))"#,
            ),
            ONE_JOB,
            "reliability.classes[0].maintenance.nodes_at_once",
            "more nodes at once than the cluster has",
        ),
        (
            class(
                r#"(name: "x", strikes: Gpu, maintenance: (first: "0s", every: "7d", duration: "1h", nodes_at_once: 1))"#,
            ),
            ONE_JOB,
            "reliability.classes[0].strikes",
            "planned maintenance drains nodes",
        ),
        (
            class(&format!(r#"(name: "x", strikes: Node, mtbf: "1y", scale: -1.0, {rep})"#)),
            ONE_JOB,
            "reliability.classes[0].scale",
            "rate scale must be a positive number",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", scale: 0.0),"#.into(),
            ONE_JOB,
            "reliability.scale",
            "rate scale must be a positive number",
        ),
        (
            class(&format!(r#"(name: "x", strikes: Node, mtbf: "100ms", {rep})"#)),
            ONE_JOB,
            "reliability.classes[0]",
            "after scaling",
        ),
        (
            class(
                r#"(name: "x", strikes: Node, mtbf: "1y", repair: (time: LogNormal(median: "1h", sigma: 0.0), action: Reboot))"#,
            ),
            ONE_JOB,
            "reliability.classes[0].repair.time.sigma",
            "sigma must be above 0",
        ),
        (
            class(&format!(r#"(name: "x", strikes: Node, mtbf: "1y", distribution: Weibull(shape: 25.0), {rep})"#)),
            ONE_JOB,
            "reliability.classes[0].distribution.shape",
            "Weibull shape",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", frailty: Lemons(fraction: 1.5, factor: 10.0)),"#.into(),
            ONE_JOB,
            "reliability.frailty.fraction",
            "between 0 and 1",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", frailty: Lemons(fraction: 0.1, factor: 0.0)),"#.into(),
            ONE_JOB,
            "reliability.frailty.factor",
            "lemon's rate factor",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", frailty: Gamma(shape: 0.0)),"#.into(),
            ONE_JOB,
            "reliability.frailty.shape",
            "gamma frailty's shape",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", drain: (failures: 0, window: "7d")),"#.into(),
            ONE_JOB,
            "reliability.drain.failures",
            "must be at least 1",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", health_check_interval: "0s"),"#.into(),
            ONE_JOB,
            "reliability.health_check_interval",
            "must be longer than zero",
        ),
        (
            r#"reliability: (preset: "meta-rsc1", max_requeues: 2000000),"#.into(),
            ONE_JOB,
            "reliability.max_requeues",
            "requeues per job",
        ),
        (
            String::new(),
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", recovery: Elastic(min_nodes: 0))],"#,
            "workload.jobs[0].recovery.min_nodes",
            "must be at least 1",
        ),
        (
            String::new(),
            r#"jobs: [(submit: "0s", request: Gpus(16), runtime: "1h", recovery: Elastic(min_nodes: 3))],"#,
            "workload.jobs[0].recovery.min_nodes",
            "more than the nodes it holds",
        ),
        (
            String::new(),
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", checkpoint: (cost: "0s"))],"#,
            "workload.jobs[0].checkpoint.cost",
            "checkpoint's cost must be longer than zero",
        ),
        (
            storage.into(),
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", checkpoint: (bytes: "0B"))],"#,
            "workload.jobs[0].checkpoint.bytes",
            "zero bytes",
        ),
        (
            storage.into(),
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", checkpoint: (cost: "1m", bytes: "1GB"))],"#,
            "workload.jobs[0].checkpoint.bytes",
            "not both",
        ),
        (
            String::new(),
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", checkpoint: (interval: Every("1h")))],"#,
            "workload.jobs[0].checkpoint",
            "needs its cost",
        ),
        (
            storage.into(),
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", checkpoint: (bytes: "1GB", mode: Async))],"#,
            "workload.jobs[0].checkpoint.mode",
            "asynchronous checkpoint",
        ),
        (
            r#"reliability: (preset: "meta-rsc1"),"#.into(),
            r#"training: [(submit: "0s", model: "llama3-8b", steps: 10,
                layout: (tp: 8, pp: 1, dp: 2, micro_batch: 1, global_batch: 64))],"#,
            "workload.training[0]",
            "no storage to write to",
        ),
    ];
    for (sections, jobs, path, fragment) in &cases {
        let (found_path, message) = first_error(FABRIC, sections, jobs);
        assert_eq!(&found_path, path, "{sections} {jobs}: {message}");
        assert!(
            message.contains(fragment),
            "{path}: `{message}` lacks `{fragment}`"
        );
    }

    // Spines need a fabric with spines: a single switch has none.
    let (path, message) = first_error(
        "fabric: (topology: SingleSwitch),",
        &class(&format!(
            r#"(name: "x", strikes: SpineSwitch, mtbf: "1y", {rep})"#
        )),
        ONE_JOB,
    );
    assert_eq!(path, "reliability.classes[0].strikes");
    assert!(message.contains("spine switches"), "{message}");

    // Checkpoints of training jobs are simulated in analytic fidelity only:
    // a flow-fidelity training job gets no default checkpoint (it restarts
    // from its first step) and may not ask for one.
    let flow = "fabric: (topology: LeafSpine(radix: 16), collectives: Flow),";
    let sections = format!(r#"reliability: (preset: "meta-rsc1"), {storage}"#);
    let training = r#"training: [(submit: "0s", model: "llama3-8b", steps: 10,
            layout: (tp: 8, pp: 1, dp: 2, micro_batch: 1, global_batch: 64))],"#;
    let loaded = load(&scenario(flow, &sections, training), &[]).unwrap();
    assert_eq!(loaded.scenario.workload.jobs[0].policy, 0, "no checkpoint");
    let (path, message) = first_error(
        flow,
        &sections,
        r#"training: [(submit: "0s", model: "llama3-8b", steps: 10, checkpoint: (cost: "1m"),
            layout: (tp: 8, pp: 1, dp: 2, micro_batch: 1, global_batch: 64))],"#,
    );
    assert_eq!(path, "workload.training[0].checkpoint");
    assert!(message.contains("flow fidelity"), "{message}");

    // Totals: at most MAX_CLASSES (1,000) classes.
    assert_eq!(sim_core::reliability::MAX_CLASSES, 1_000);
    let many: Vec<String> = (0..=sim_core::reliability::MAX_CLASSES)
        .map(|i| format!(r#"(name: "c{i}", strikes: Node, mtbf: "1y", {rep})"#))
        .collect();
    let (path, message) = first_error(FABRIC, &class(&many.join(",")), ONE_JOB);
    assert_eq!(path, "reliability.classes");
    assert!(message.contains("more than 1000"), "{message}");
}

#[test]
fn young_or_daly_without_failures_is_a_warning() {
    let loaded = load(
        &scenario(
            "",
            "",
            r#"jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", checkpoint: (interval: Young, cost: "1m"))],"#,
        ),
        &[],
    )
    .unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].message.contains("never checkpoints"),
        "{}",
        loaded.warnings[0].message
    );
}
