//! Failures and node states (trace version 4) in the timeline and in the
//! views, driven by `tests/traces/failures-2x4.jsonl`, a hand-written trace
//! of 2 nodes of 4 GPUs whose story is:
//!
//! | time  | what happens |
//! | ----- | ------------ |
//! | 0     | job 1 "train" (4 GPUs) starts on node0; job 2 "small" (2 GPUs) on node1 |
//! | 20 m  | job 2 completes |
//! | 30 m  | node0 fails (`gpu_hbm3`): job 1 fails (requeued, 7,200 GPU-s lost), node0 DOWN, job 1 restarts on node1 |
//! | 1.5 h | node0 back up |
//! | 2 h   | node1 set DRAINING (`lemon`) with job 1 still on it |
//! | 2.5 h | job 1 completes: node1 DRAINED; end of run |
//!
//! Expected values are read off that table, never off the viewer.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::metrics::{JobState, JsonlTraceReader, TraceAlloc, TraceRecord};
use sim_gui::app::{Settings, Tab, ViewerApp};
use sim_gui::session::{Source, Status};
use sim_gui::timeline::{NodeState, Timeline};
use sim_gui::views::Selection;

use crate::repo;

const TRACE: &str = "sim-gui/tests/traces/failures-2x4.jsonl";
const MIN_NS: u64 = 60_000_000_000;

/// The fixture read into a timeline, as a session reads a trace.
fn timeline() -> Timeline {
    let text = std::fs::read_to_string(repo(TRACE)).unwrap();
    let reader = JsonlTraceReader::open(&text, TRACE).unwrap();
    let mut t = Timeline::new(reader.header().clone());
    for record in reader {
        t.ingest(record.unwrap()).unwrap();
    }
    t
}

#[test]
fn node_states_and_counts_follow_the_trace_at_any_instant() {
    let t = timeline();
    use NodeState::{Down, Draining, InService};
    // Indices into jobs: job 1 is 0, job 2 is 1.
    const IDLE: u32 = sim_gui::timeline::IDLE;
    let cases = [
        // (minute, owners of node0's then node1's GPUs, node states,
        //  busy, down, draining)
        (10, [0, 0, 0, 0, 1, 1, IDLE, IDLE], [InService; 2], 6, 0, 0),
        (
            25,
            [0, 0, 0, 0, IDLE, IDLE, IDLE, IDLE],
            [InService; 2],
            4,
            0,
            0,
        ),
        // Inside the outage: node0 DOWN, job 1 again, on node1.
        (
            60,
            [IDLE, IDLE, IDLE, IDLE, 0, 0, 0, 0],
            [Down, InService],
            4,
            4,
            0,
        ),
        (
            100,
            [IDLE, IDLE, IDLE, IDLE, 0, 0, 0, 0],
            [InService; 2],
            4,
            0,
            0,
        ),
        // DRAINING with job 1 still on it: no idle GPU held out yet.
        (
            130,
            [IDLE, IDLE, IDLE, IDLE, 0, 0, 0, 0],
            [InService, Draining],
            4,
            0,
            0,
        ),
        // Job 1 gone: node1 DRAINED, its 4 idle GPUs out of service.
        (150, [IDLE; 8], [InService, Draining], 0, 0, 4),
    ];
    let (mut owners, mut states) = (Vec::new(), Vec::new());
    for (minute, expected_owners, expected_states, busy, down, draining) in cases {
        let at = minute * MIN_NS;
        t.gpu_owners_at(at, &mut owners);
        assert_eq!(owners, expected_owners, "GPU owners at {minute} min");
        t.nodes.states_at(at, &mut states);
        assert_eq!(states, expected_states, "node states at {minute} min");
        let c = t.counts_at(at);
        assert_eq!(
            (c.busy_gpus, c.down_gpus, c.draining_gpus),
            (busy, down, draining),
            "busy, down, draining at {minute} min"
        );
        // As sim-core's time series: busy + down + draining + idle = all,
        // idle being the GPUs in service that no job holds.
        let idle = (0..8)
            .filter(|&g| owners[g] == IDLE && states[g / 4] == InService)
            .count() as u32;
        assert_eq!(busy + down + draining + idle, 8, "at {minute} min");
    }
    let (state, event) = t.nodes.state_at(0, 60 * MIN_NS);
    assert_eq!(state, NodeState::Down);
    let event = event.unwrap();
    assert_eq!(
        (event.t_ns, event.cause.as_deref()),
        (30 * MIN_NS, Some("gpu_hbm3"))
    );
    assert_eq!(t.nodes.state_at(0, 100 * MIN_NS).0, NodeState::InService);
    assert_eq!(NodeState::Draining.slurm_name(4, 4), "DRAINING");
    assert_eq!(NodeState::Draining.slurm_name(0, 4), "DRAINED");
    assert_eq!(t.nodes.downs_until(0, 150 * MIN_NS), 1);
    // The plots' resampled curves keep the down GPU-seconds: node0's 4
    // GPUs for the hour from 30 to 90 minutes.
    let samples = t.sampled_counts(100);
    let width_s = samples[1][0] - samples[0][0];
    let down_gpu_s: f64 = samples.iter().map(|s| s[3] * width_s).sum();
    assert!((down_gpu_s - 4.0 * 3600.0).abs() < 1e-6, "{down_gpu_s}");
    // Stepping visits node changes too: from 1 h the next is node0's return.
    assert_eq!(t.next_change_after(60 * MIN_NS), Some(90 * MIN_NS));
}

#[test]
fn a_failure_ends_a_run_and_the_restart_is_a_new_one() {
    let t = timeline();
    let job = &t.jobs[t.job_by_id(1).unwrap() as usize];
    assert_eq!(job.runs.len(), 2);
    let (first, second) = (&t.runs[job.runs[0] as usize], &t.runs[job.runs[1] as usize]);
    assert_eq!((first.start_ns, first.end_ns), (0, Some(30 * MIN_NS)));
    assert!(!first.preempted);
    let failure = &t.failures[first.failure.unwrap() as usize];
    assert_eq!(failure.cause, "gpu_hbm3");
    assert!(failure.requeued);
    assert_eq!(failure.lost_gpu_s, 7200.0);
    assert_eq!(second.start_ns, 30 * MIN_NS);
    assert_eq!(second.failure, None);
    assert_eq!(t.allocs[second.alloc.start as usize].node, 1);
    assert_eq!(job.failures(&t).count(), 1);
    assert_eq!(job.state, JobState::Completed);
    let stats = t.stats();
    assert_eq!((stats.failed_runs, stats.node_fail), (1, 0));
}

fn submit(job: u64) -> TraceRecord {
    TraceRecord::Submit {
        t_ns: 0,
        job,
        name: "x".into(),
        user: "u".into(),
        account: "a".into(),
        gpus: 4,
        time_limit_ns: 1,
    }
}

fn start(t_ns: u64, job: u64, node: u32) -> TraceRecord {
    TraceRecord::Start {
        t_ns,
        job,
        alloc: vec![TraceAlloc { node, mask: 0xf }],
    }
}

fn fail(t_ns: u64, job: u64, requeued: bool) -> TraceRecord {
    TraceRecord::Fail {
        t_ns,
        job,
        cause: "software".into(),
        requeued,
        lost_gpu_s: 0.0,
    }
}

#[test]
fn a_failure_not_requeued_ends_node_fail() {
    let mut t = Timeline::new(timeline().layout.header);
    t.ingest(submit(1)).unwrap();
    t.ingest(start(0, 1, 0)).unwrap();
    t.ingest(fail(5, 1, false)).unwrap();
    // Not queued again: the job is not counted queued before its end line.
    assert_eq!(t.counts_at(5).queued_jobs, 0);
    t.ingest(TraceRecord::End {
        t_ns: 5,
        job: 1,
        state: JobState::NodeFail,
    })
    .unwrap();
    assert_eq!(t.jobs[0].state, JobState::NodeFail);
    assert_eq!(t.runs.len(), 1);
    assert!(t.runs[0].failure.is_some());
    let c = t.counts_at(5);
    assert_eq!((c.busy_gpus, c.queued_jobs, c.running_jobs), (0, 0, 0));
    assert_eq!(t.stats().node_fail, 1);
}

#[test]
fn contradictions_are_refused_and_a_repeated_up_is_harmless() {
    let mut t = Timeline::new(timeline().layout.header);
    t.ingest(submit(1)).unwrap();
    let err = t.ingest(fail(1, 1, true)).unwrap_err();
    assert!(err.contains("job 1 fails, but it is not running"), "{err}");
    let err = t
        .ingest(TraceRecord::NodeDown {
            t_ns: 1,
            node: 2,
            cause: "psu".into(),
        })
        .unwrap_err();
    assert!(
        err.contains("node_down of node 2, but the header lists 2 nodes"),
        "{err}"
    );
    t.ingest(TraceRecord::NodeDown {
        t_ns: 1,
        node: 0,
        cause: "psu".into(),
    })
    .unwrap();
    let err = t.ingest(start(2, 1, 0)).unwrap_err();
    assert!(
        err.contains("job 1 starts on node 0, which is DOWN"),
        "{err}"
    );
    t.ingest(TraceRecord::NodeDrain {
        t_ns: 2,
        node: 1,
        cause: "lemon".into(),
    })
    .unwrap();
    let err = t.ingest(start(2, 1, 1)).unwrap_err();
    assert!(err.contains("which is DRAINING"), "{err}");
    // node_up of a node in service changes nothing and is accepted.
    t.ingest(TraceRecord::NodeUp { t_ns: 3, node: 0 }).unwrap();
    t.ingest(TraceRecord::NodeUp { t_ns: 4, node: 0 }).unwrap();
    assert_eq!(t.nodes.state(0), NodeState::InService);
    assert_eq!(t.counts_at(4).down_gpus, 0);
    t.ingest(start(5, 1, 0)).unwrap();
}

#[test]
fn a_node_the_header_does_not_list_is_refused_at_its_line() {
    let dir = std::env::temp_dir().join(format!("clustersim-gui-nodes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(repo(TRACE)).unwrap();
    // Line 10 is node0's node_up; make it name a third node.
    let bad = text.replacen(
        r#""event":"node_up","t_ns":5400000000000,"node":0"#,
        r#""event":"node_up","t_ns":5400000000000,"node":2"#,
        1,
    );
    assert_ne!(bad, text);
    let path = dir.join("bad.jsonl");
    std::fs::write(&path, bad).unwrap();
    let mut h = viewer(Source::from_path(&path, Vec::new()), Tab::Map);
    h.run_ok();
    let Some(Status::Failed(message)) = h.state().status() else {
        panic!("a trace naming an unknown node must fail");
    };
    assert!(message.contains("bad.jsonl:10:"), "{message}");
    assert!(
        message.contains("node_up of node 2, but the header lists 2 nodes"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn viewer(source: Source, tab: Tab) -> Harness<'static, ViewerApp> {
    let settings = Settings {
        tab,
        show_lesson: false,
        ..Settings::default()
    };
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_| ViewerApp::with_settings(settings, None));
    h.state_mut().open(source);
    h.state_mut().wait_until_loaded();
    h.run_ok();
    h
}

#[test]
fn the_map_and_inspector_show_the_outage_and_its_cause() {
    let mut h = viewer(Source::from_path(&repo(TRACE), Vec::new()), Tab::Map);
    assert_eq!(h.state().status(), Some(Status::Done));
    h.state_mut().settings.playback.now_ns = 60 * MIN_NS;
    h.state_mut().selection = Selection::Node(0);
    h.run_ok();
    // The legend gains the two states, the headline counts the down GPUs
    // (map header and status bar alike).
    h.get_by_label("draining");
    h.get_by_label_contains("4 of 8 GPUs busy · 4 down · 0 draining");
    h.get_by_label_contains("4 / 8 GPUs busy (50 %) · 4 down · 0 draining");
    // The node inspector: Slurm's state, since when and why.
    h.get_by_label("state: DOWN since 00:30:00, cause: gpu_hbm3");
    h.get_by_label("down 1 time so far");
    assert_eq!(
        h.query_all_by_label("down").count(),
        5,
        "the legend and 4 GPUs"
    );

    // Later node1 is drained with no job left.
    h.state_mut().settings.playback.now_ns = 150 * MIN_NS;
    h.state_mut().selection = Selection::Node(1);
    h.run_ok();
    h.get_by_label("state: DRAINED since 02:00:00, cause: lemon");
    h.get_by_label_contains("0 of 8 GPUs busy · 0 down · 4 draining");

    // The job inspector: the failure, its cause, and what happened next.
    h.state_mut().settings.playback.now_ns = 60 * MIN_NS;
    h.state_mut().selection = Selection::Job(1);
    h.run_ok();
    h.get_by_label("interrupted by 1 failure");
    h.get_by_label("ended by a failure: gpu_hbm3 · requeued · 2.0 GPU-h lost");
    h.get_by_label("running");

    // The plots draw the down and draining shares beside utilization.
    h.get_by_label("Plots").click();
    h.run_ok();
    h.get_by_label("GPUs busy, down and draining (% of all GPUs)");
}

#[test]
fn the_gantt_chart_marks_the_failed_run() {
    let mut h = viewer(Source::from_path(&repo(TRACE), Vec::new()), Tab::Gantt);
    h.get_by_label("× 1 ended by a failure");
    // Lane 0 holds job 1's first run (0-30 min) then its restart. The
    // fitted chart spans -1.5 min to 2 h 31 min; 100 points in is 9 to 20
    // minutes for any chart 700 to 1,400 points wide: in the failed run.
    let header = h.get_by_label_contains("runs of 2 jobs").rect();
    let on_run = egui::pos2(header.min.x + 100.0, header.max.y + 6.0 + 20.0 + 7.0);
    h.hover_at(on_run);
    h.run_ok();
    h.get_by_label("job 1 “train”");
    h.get_by_label("ended by a failure: gpu_hbm3 · requeued · 2.0 GPU-h lost");
}
