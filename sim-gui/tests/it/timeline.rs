//! The timeline against independent oracles: GPU ownership rebuilt from
//! snapshots plus replay equals ownership computed from run intervals
//! alone; counts equal brute-force counts; Gantt lanes never overlap and
//! the visible-window query returns exactly the overlapping runs; the
//! resampled utilization curve keeps sim-core's own busy GPU-hours.

use sim_core::metrics::{TraceEvent, TraceRecord, TraceSink};
use sim_gui::timeline::{IDLE, SNAPSHOT_EVERY, Timeline};

/// Feeds a live run into a timeline, as the viewer's session does.
struct Feed(Timeline);

impl TraceSink for Feed {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.0
            .ingest(TraceRecord::from(event))
            .expect("a simulation's own trace is consistent");
    }
}

/// fcfs-1m.ron cut to `jobs` jobs: 1,024 GPUs, a queue, mixed sizes.
fn run(jobs: u32) -> (Timeline, sim_core::simulation::RunResult) {
    let path = crate::repo("benches/fcfs-1m.ron");
    let count = sim_core::scenario::SetArg::set(format!("workload.generators[0].count={jobs}"));
    let loaded = sim_core::scenario::load_file(&path, &[count]).unwrap();
    let mut feed = Feed(Timeline::new(loaded.scenario.trace_header()));
    let result = sim_core::simulation::run(&loaded.scenario, &mut feed, &mut |_| {});
    feed.0
        .finish(result.end.as_ns(), result.summary.stop_reason.as_str());
    (feed.0, result)
}

/// Ownership at `t` from the runs' intervals only: no snapshots, no replay.
fn owners_from_intervals(t: &Timeline, at_ns: u64) -> Vec<u32> {
    let mut owners = vec![IDLE; t.layout.total_gpus as usize];
    for r in &t.runs {
        if r.start_ns <= at_ns && r.end_ns.is_none_or(|e| e > at_ns) {
            for a in r.alloc.clone() {
                for gpu in t.layout.gpus_of(t.allocs[a as usize]) {
                    assert_eq!(owners[gpu as usize], IDLE, "two runs on one GPU at {at_ns}");
                    owners[gpu as usize] = r.job;
                }
            }
        }
    }
    owners
}

#[test]
fn state_at_any_instant_equals_the_state_from_run_intervals() {
    let (t, _) = run(6_000);
    assert!(
        t.change_count() > 4 * SNAPSHOT_EVERY,
        "the run must span several snapshots"
    );
    let end = t.end_ns();
    // Instants at, just before and just after snapshot boundaries and
    // spread over the run, plus the very start and end.
    let mut instants = vec![0, end, end / 2];
    instants.extend((1..200u64).map(|i| end / 199 * i + i * 7_919));
    let mut owners = Vec::new();
    for at in instants {
        t.gpu_owners_at(at, &mut owners);
        assert_eq!(owners, owners_from_intervals(&t, at), "at {at} ns");
        let busy = owners.iter().filter(|&&o| o != IDLE).count() as u32;
        assert_eq!(t.counts_at(at).busy_gpus, busy, "busy count at {at} ns");
    }
}

#[test]
fn lanes_never_overlap_and_window_queries_are_exact() {
    let (t, _) = run(3_000);
    let end = t.end_ns();
    for lane in &t.lanes {
        for pair in lane.windows(2) {
            let (a, b) = (&t.runs[pair[0] as usize], &t.runs[pair[1] as usize]);
            assert!(
                a.end_or(end) <= b.start_ns,
                "runs {pair:?} overlap in a lane"
            );
        }
    }
    for k in 0..50u64 {
        let t0 = end / 50 * k;
        let t1 = t0 + end / 37;
        for (lane, runs) in t.lanes.iter().enumerate() {
            let brute: Vec<u32> = runs
                .iter()
                .copied()
                .filter(|&r| {
                    let r = &t.runs[r as usize];
                    r.start_ns <= t1 && r.end_or(end) >= t0
                })
                .collect();
            assert_eq!(t.runs_in_lane(lane, t0, t1, end), brute.as_slice());
        }
    }
    // Packing is tight: never more lanes than jobs running at once, at
    // the busiest instant plus one (a start and an end at the same time).
    let peak = (0..=1000u64)
        .map(|i| t.counts_at(end / 1000 * i).running_jobs)
        .max()
        .unwrap();
    assert!(
        t.lanes.len() as u32 <= peak + 8,
        "{} lanes for a peak of {peak} running",
        t.lanes.len()
    );
}

#[test]
fn the_resampled_utilization_keeps_the_busy_gpu_hours() {
    let (t, result) = run(3_000);
    let samples = t.sampled_counts(500);
    assert!(samples.len() <= 501);
    let width_s = samples[1][0] - samples[0][0];
    let busy_gpu_s: f64 = samples.iter().map(|s| s[1] * width_s).sum();
    // sim-core's own figure: utilization x GPUs x makespan.
    let expected =
        result.summary.gpu_utilization * result.summary.gpus as f64 * result.summary.makespan_s;
    assert!(
        (busy_gpu_s - expected).abs() / expected < 1e-6,
        "{busy_gpu_s} GPU-s vs sim-core's {expected}"
    );
    let stats = t.stats();
    assert!(
        (stats.utilization - result.summary.gpu_utilization).abs() < 1e-9,
        "{} vs {}",
        stats.utilization,
        result.summary.gpu_utilization
    );
    assert!((stats.makespan_s - result.summary.makespan_s).abs() < 1e-9);
    assert_eq!(stats.completed as u64, result.summary.jobs.completed);
    assert!((stats.mean_wait_s.unwrap() - result.summary.wait_s.mean.unwrap()).abs() < 1e-6);
}

#[test]
fn stepping_forward_and_back_visits_every_change_time_in_order() {
    let (t, _) = run(500);
    let (mut at, mut previous, mut steps) = (0, None, 0);
    while let Some(next) = t.next_change_after(at) {
        assert!(next > at);
        if let Some(p) = previous {
            assert_eq!(
                t.previous_change_before(next),
                Some(p),
                "stepping back from {next}"
            );
        }
        previous = Some(next);
        at = next;
        steps += 1;
    }
    assert!(at <= t.end_ns());
    // 500 jobs each submit, start and end; some share an instant.
    assert!((500..=1_500).contains(&steps), "{steps} distinct instants");
}

#[test]
fn inconsistent_traces_are_refused_with_a_reason() {
    let (t, _) = run(10);
    let header = t.layout.header.clone();
    let mut fresh = Timeline::new(header);
    let start = TraceRecord::Start {
        t_ns: 0,
        job: 99,
        alloc: vec![],
    };
    assert!(
        fresh
            .ingest(start)
            .unwrap_err()
            .contains("before its submit line")
    );
    let submit = |job| TraceRecord::Submit {
        t_ns: 0,
        job,
        name: "x".into(),
        user: "u".into(),
        account: "a".into(),
        gpus: 1,
        time_limit_ns: 1,
    };
    fresh.ingest(submit(1)).unwrap();
    fresh.ingest(submit(2)).unwrap();
    let on_gpu0 = |job| TraceRecord::Start {
        t_ns: 1,
        job,
        alloc: vec![sim_core::metrics::TraceAlloc { node: 0, mask: 1 }],
    };
    fresh.ingest(on_gpu0(1)).unwrap();
    let err = fresh.ingest(on_gpu0(2)).unwrap_err();
    assert!(err.contains("that job 1 holds"), "{err}");
    assert!(
        fresh
            .ingest(submit(1))
            .unwrap_err()
            .contains("submitted twice")
    );
}
