//! Failure classes striking the network (`Link`, `LeafSwitch`,
//! `SpineSwitch`) in a run, on small fabrics written out switch by switch:
//! - a leaf outage takes exactly its nodes DOWN for its repair time and
//!   fails the jobs on them, with or without a fabric (the scheduler
//!   topology's leaves);
//! - a cable outage slows a flow-mode training job by exactly what the
//!   fabric without that cable costs, for exactly the outage's duration;
//! - a leaf cut off from the spines fails its multi-node jobs that leave
//!   it, and nothing else;
//! - the same seed gives the same trace.
//!
//! The failure instants are random (each class's own stream); every
//! expectation is stated relative to the instants the trace shows.

use sim_core::engine::SimDuration;
use sim_core::metrics::{JobState, TraceEvent, TraceSink};
use sim_core::scenario::{Scenario, load_str};
use sim_core::simulation::{RunResult, run};

/// `nodes` DGX H100 nodes named `dgx-000`...; `network` is the fabric or
/// scheduler topology section, `classes` the reliability classes.
fn scenario(nodes: u32, network: &str, classes: &str, workload: &str) -> Scenario {
    let text = format!(
        r#"Scenario(
    name: "reliability-fabric",
    seed: 5,
    cluster: (node_groups: [(name: "dgx", count: {nodes}, node_model: "DGX-H100")]),
    {network}
    workload: ({workload}),
    reliability: (classes: [{classes}], requeue: false),
    outputs: (timeseries_interval: "100000d"),
)"#
    );
    load_str("reliability-fabric.ron", &text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// A fabric of `leaves` (each a list of node names) and `spines` spines,
/// one cable from every leaf to every spine (`skip`: leave out the cable
/// leaf0–spine1); with `flow`, flow fidelity and 25 Gb/s leaf-spine
/// cables, so that a training job's gradient sync is held up by them.
fn explicit(leaves: &[&[&str]], spines: u32, skip: bool, flow: bool) -> String {
    let mut switches = Vec::new();
    let mut links = Vec::new();
    for (l, nodes) in leaves.iter().enumerate() {
        switches.push(format!("(name: \"leaf{l}\")"));
        for s in 0..spines {
            if !(skip && l == 0 && s == 1) {
                let rate = if flow { ", bandwidth: \"25Gbps\"" } else { "" };
                links.push(format!("(a: \"leaf{l}\", b: \"spine{s}\"{rate})"));
            }
        }
        for n in *nodes {
            links.push(format!("(a: \"{n}\", b: \"leaf{l}\")"));
        }
    }
    for s in 0..spines {
        switches.push(format!("(name: \"spine{s}\")"));
    }
    format!(
        "fabric: (topology: Explicit(switches: [{}], links: [{}]), links: \"ib-ndr\", collectives: {}, algorithm: Ring),",
        switches.join(", "),
        links.join(", "),
        if flow { "Flow" } else { "Analytic" }
    )
}

fn class(name: &str, strikes: &str, mtbf: &str, repair: &str) -> String {
    format!(
        r#"(name: "{name}", strikes: {strikes}, mtbf: "{mtbf}", repair: (time: Fixed("{repair}"), action: Reboot))"#
    )
}

/// Jobs of whole nodes, submitted at 0 s in this order, each `runtime`.
fn node_jobs(counts: &[u32], runtime: &str) -> String {
    let jobs: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                r#"(name: "j{i}", submit: "0s", request: Nodes(count: {c}, gpus_per_node: 8), runtime: "{runtime}", time_limit: "1000d")"#
            )
        })
        .collect();
    format!("jobs: [{}],", jobs.join(", "))
}

/// The trace as owned records (and as text, for byte comparisons).
#[derive(Default)]
struct Log {
    text: String,
    /// (time ns, job id, its nodes)
    starts: Vec<(u64, u64, Vec<u32>)>,
    /// (time ns, job id, cause)
    fails: Vec<(u64, u64, String)>,
    /// (time ns, node, cause)
    downs: Vec<(u64, u32, String)>,
    /// (time ns, node)
    ups: Vec<(u64, u32)>,
}

impl TraceSink for Log {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.text.push_str(&format!("{event:?}\n"));
        match *event {
            TraceEvent::Start { time, job, alloc } => {
                self.starts
                    .push((time.as_ns(), job, alloc.iter().map(|a| a.node).collect()))
            }
            TraceEvent::Fail {
                time, job, cause, ..
            } => self.fails.push((time.as_ns(), job, cause.to_string())),
            TraceEvent::NodeDown { time, node, cause } => {
                self.downs.push((time.as_ns(), node, cause.to_string()))
            }
            TraceEvent::NodeUp { time, node } => self.ups.push((time.as_ns(), node)),
            _ => {}
        }
    }
}

fn simulate(s: &Scenario) -> (RunResult, Log) {
    let mut log = Log::default();
    let result = run(s, &mut log, &mut |_| {});
    (result, log)
}

fn class_counts(result: &RunResult, name: &str) -> (u64, u64) {
    let r = result
        .summary
        .reliability
        .as_ref()
        .expect("a reliability block");
    let c = r
        .classes
        .iter()
        .find(|c| c.class == name)
        .expect("the class");
    (c.failures, c.interruptions)
}

const HOUR_NS: u64 = 3_600_000_000_000;

/// Four single-node jobs on four nodes, two under each leaf; the first
/// leaf outage: its two nodes go DOWN at one instant for exactly the
/// repair time, their jobs fail then (NODE_FAIL: no requeue), and the
/// other leaf's nodes and jobs are untouched.
fn first_leaf_outage_takes_exactly_its_nodes(s: &Scenario) {
    let (result, log) = simulate(s);
    let (t, _, _) = log.downs[0].clone();
    let down: Vec<u32> = (log.downs.iter())
        .filter(|d| d.0 == t)
        .map(|d| {
            assert_eq!(d.2, "leaf", "{d:?}");
            d.1
        })
        .collect();
    assert!(
        down == [0, 1] || down == [2, 3],
        "one leaf's nodes go down together, got {down:?}"
    );
    // Back after exactly the repair time (1 h), and nothing else moved
    // meanwhile.
    for &node in &down {
        let up = (log.ups.iter()).find(|u| u.1 == node && u.0 > t);
        assert_eq!(up.map(|u| u.0), Some(t + HOUR_NS), "node {node}");
    }
    assert!(
        (log.downs.iter()).all(|d| d.0 == t || d.0 >= t + HOUR_NS),
        "{:?}",
        log.downs
    );
    // The jobs on those nodes failed at t; the others did not fail then.
    let on = |nodes: &Vec<u32>| nodes.iter().any(|n| down.contains(n));
    for (_, job, nodes) in &log.starts {
        let failed_at_t = (log.fails.iter()).any(|f| f.0 == t && f.1 == *job && f.2 == "leaf");
        assert_eq!(failed_at_t, on(nodes), "job {job} on {nodes:?}");
        let record = result.jobs.iter().find(|j| j.id == *job).unwrap();
        if on(nodes) {
            assert_eq!(record.state, JobState::NodeFail);
            assert_eq!(record.end.map(|e| e.as_ns()), Some(t));
        }
    }
    let (failures, interruptions) = class_counts(&result, "leaf");
    assert!(failures >= 1);
    assert_eq!(interruptions, log.fails.len() as u64);
}

#[test]
fn a_leaf_switch_failure_takes_its_nodes_down_for_the_repair_and_fails_their_jobs() {
    let fabric = explicit(
        &[&["dgx-000", "dgx-001"], &["dgx-002", "dgx-003"]],
        2,
        false,
        false,
    );
    let s = scenario(
        4,
        &fabric,
        &class("leaf", "LeafSwitch", "20h", "1h"),
        &node_jobs(&[1, 1, 1, 1], "100h"),
    );
    first_leaf_outage_takes_exactly_its_nodes(&s);
}

#[test]
fn without_a_fabric_a_leaf_class_strikes_the_scheduler_topologys_leaves() {
    let topology = r#"scheduler: (topology: [(name: "sw0", nodes: ["dgx-[000-001]"]),
                                         (name: "sw1", nodes: ["dgx-[002-003]"])]),"#;
    let s = scenario(
        4,
        topology,
        &class("leaf", "LeafSwitch", "20h", "1h"),
        &node_jobs(&[1, 1, 1, 1], "100h"),
    );
    assert!(s.network.fabric.is_none());
    first_leaf_outage_takes_exactly_its_nodes(&s);
}

/// One 2-node Llama 2 7B job in flow fidelity, a node under each of two
/// leaves, with the failure classes `classes` (and a time limit far above
/// its run: its 25 Gb/s uplinks make it much slower than on the
/// non-blocking fabric the default limit is reckoned on). The loader refuses a
/// training job in flow fidelity once failure classes exist (it would
/// checkpoint by default, which flow fidelity does not simulate), so the
/// classes are read from a scenario of plain jobs on the same fabric and
/// set on the model.
fn training(fabric: &str, classes: &str) -> Scenario {
    let workload = r#"training: [(name: "llama", submit: "0s", model: "llama2-7b",
        layout: (tp: 1, pp: 1, dp: 16, micro_batch: 1, global_batch: 256, zero_stage: 1),
        tokens: "2B", time_limit: "30d")],"#;
    let mut s = scenario(2, fabric, "", workload);
    s.reliability.classes = scenario(2, fabric, classes, &node_jobs(&[1], "1h"))
        .reliability
        .classes;
    s
}

fn run_time_ns(result: &RunResult) -> u64 {
    let job = &result.jobs[0];
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.failures, 0, "the job is never interrupted");
    job.end.unwrap().as_ns() - job.start.unwrap().as_ns()
}

#[test]
fn a_cable_outage_slows_a_training_job_for_exactly_its_duration() {
    let leaves: &[&[&str]] = &[&["dgx-000"], &["dgx-001"]];
    let whole = explicit(leaves, 2, false, true);
    let missing = explicit(leaves, 2, true, true);
    // The job on the whole fabric, and on the fabric without one cable
    // (by symmetry any of the four leaf-spine cables: the traffic of both
    // directions then shares the one spine both leaves still reach).
    let (r0, _) = simulate(&training(&whole, ""));
    let (rd, _) = simulate(&training(&missing, ""));
    let steps = r0.summary.training[0].steps as f64;
    assert_eq!(rd.summary.training[0].steps as f64, steps);
    let (t0, td) = (run_time_ns(&r0) as f64, run_time_ns(&rd) as f64);
    let (s0, sd) = (t0 / steps, td / steps);
    assert!(
        sd > 1.2 * s0,
        "one uplink of two costs: {s0} ns vs {sd} ns a step"
    );
    // One cable fails during the job (seed 5's draws of the class, at a
    // 12 h MTBF per cable, put one failure of the four cables in the
    // job's first hours, none later)
    // and is back after `repair`: during
    // the outage the job makes repair/sd steps instead of repair/s0, so
    // it ends repair × (1 − s0/sd) later (to within a step at each end).
    for repair_min in [20u64, 40] {
        let repair = format!("{repair_min}m");
        let (r1, _) = simulate(&training(&whole, &class("cable", "Link", "12h", &repair)));
        assert_eq!(
            class_counts(&r1, "cable"),
            (1, 0),
            "one failure, no interruption"
        );
        let t1 = run_time_ns(&r1) as f64;
        let d = SimDuration::from_secs(repair_min * 60).as_ns() as f64;
        let expected = d * (1.0 - s0 / sd);
        let extra = t1 - t0;
        assert!(
            (extra - expected).abs() < 2.0 * sd,
            "{repair}: {extra} ns later, expected {expected} ns ± {} ns",
            2.0 * sd
        );
    }
}

#[test]
fn a_leaf_cut_off_from_the_spines_fails_only_the_multi_node_jobs_that_leave_it() {
    // One spine: when it fails, every leaf loses all its uplinks.
    let leaves: &[&[&str]] = &[
        &["dgx-000", "dgx-001", "dgx-002"],
        &["dgx-003", "dgx-004", "dgx-005"],
        &["dgx-006"],
    ];
    let leaf_of = |node: u32| match node {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    let fabric = explicit(leaves, 1, false, false);
    // No leaf holds 4 nodes: the first job spans leaves; the 2-node job
    // fits under one, and the single-node jobs take what is left.
    let s = scenario(
        7,
        &fabric,
        &class("spine", "SpineSwitch", "20h", "1h"),
        &node_jobs(&[4, 2, 1], "100h"),
    );
    let (result, log) = simulate(&s);
    let spans = |nodes: &[u32]| nodes.iter().any(|&n| leaf_of(n) != leaf_of(nodes[0]));
    let kinds: Vec<(usize, bool)> = (log.starts.iter())
        .map(|s| (s.2.len(), spans(&s.2)))
        .collect();
    assert_eq!(
        kinds,
        [(4, true), (2, false), (1, false)],
        "{:?}",
        log.starts
    );
    let spanning = log.starts[0].1;
    assert_eq!(log.fails.len(), 1, "{:?}", log.fails);
    assert_eq!(
        (log.fails[0].1, log.fails[0].2.as_str()),
        (spanning, "spine")
    );
    assert!(log.downs.is_empty(), "no node goes DOWN: {:?}", log.downs);
    for job in &result.jobs {
        let expected = if job.id == spanning {
            JobState::NodeFail
        } else {
            JobState::Completed
        };
        assert_eq!(job.state, expected, "job {}", job.id);
    }
    let (failures, interruptions) = class_counts(&result, "spine");
    assert!(failures >= 1);
    assert_eq!(interruptions, 1);
}

#[test]
fn the_same_seed_gives_the_same_trace_with_network_failures() {
    let fabric = explicit(
        &[&["dgx-000", "dgx-001"], &["dgx-002", "dgx-003"]],
        2,
        false,
        false,
    );
    let classes = [
        class("leaf", "LeafSwitch", "30h", "1h"),
        class("cable", "Link", "8h", "2h"),
        class("spine", "SpineSwitch", "40h", "30m"),
        class("node", "Node", "50h", "3h"),
    ]
    .join(", ");
    let s = scenario(4, &fabric, &classes, &node_jobs(&[2, 1, 2, 1, 4], "30h"));
    let (_, a) = simulate(&s);
    let (_, b) = simulate(&s);
    assert!(!a.fails.is_empty(), "something failed");
    assert_eq!(a.text, b.text);
}
