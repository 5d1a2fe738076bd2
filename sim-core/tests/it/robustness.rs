//! What `validate` accepts runs in bounded time and memory: each input
//! that once aborted for lack of memory, looped forever or panicked now
//! stops cleanly, under an event budget (`stop.max_events`) and with a
//! bounded count of what it keeps (time-series samples, events handled).
//! No test here measures wall time or memory directly.
//!
//! Where validation refuses (or will refuse) the input up front, the
//! runtime is tested on the same values set by hand on a loaded scenario
//! ([`changed`]): its guards are backstops and must hold whatever
//! validation lets through.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use sim_core::engine::{NS_PER_SEC, SimDuration, SimTime};
use sim_core::metrics::{JobState, MAX_TIMESERIES_SAMPLES, StopReason};
use sim_core::scenario::{Scenario, SetArg, load_file, load_str};
use sim_core::scheduler::{Backfill, QueueOrder, preemption_cycle};
use sim_core::simulation::run;
use sim_core::units::Bytes;
use sim_core::workload::trace::{MAX_TRACE_TEXT, read_text};

use crate::support::{load, path, scratch};

/// A bundled scenario as loaded with `overrides`, then changed by hand.
fn changed(file: &str, overrides: &[&str], change: impl FnOnce(&mut Scenario)) -> Scenario {
    let mut scenario = load(file, overrides);
    change(&mut scenario);
    scenario
}

fn days(n: u64) -> SimDuration {
    SimDuration::from_secs(n * 86_400)
}

/// A 1 ms time series over the hour of simulated time the quickstart
/// reaches in 20 events would be 3.7 million samples (before: all of
/// them, 117 MB; at 1 us over its 7-day horizon, 19 TB).
#[test]
fn a_tiny_timeseries_interval_keeps_at_most_the_maximum_number_of_samples() {
    let scenario = changed("scenarios/quickstart.ron", &["stop.max_events=20"], |s| {
        s.outputs.timeseries_interval = SimDuration::from_ns(1_000_000);
    });
    let result = run(&scenario, &mut (), &mut |_| {});
    assert!(
        result.timeseries.len() <= MAX_TIMESERIES_SAMPLES,
        "{} samples",
        result.timeseries.len()
    );
    // Coarsened to 4 ms, the series still covers the whole run.
    let last = result.timeseries.last().unwrap().time;
    assert!(result.end.saturating_since(last).as_ns() < 4_000_000);
}

/// Inputs whose arithmetic saturates at the end of representable time
/// (`SimTime::MAX`, about 584 years) are known to before a run
/// (`WorkloadSpec::first_beyond_end_of_time`), for validation to refuse.
#[test]
fn inputs_beyond_the_end_of_time_are_found_before_a_run() {
    let cases: [(&str, &str); 3] = [
        // An analytic training run of 5000T tokens: 2.6 million years.
        (
            "scenarios/hardware/llama70b-h100.ron",
            r#"workload.training[0].tokens="5000T""#,
        ),
        // A GPU that sustains 1e-300 of its peak.
        (
            "scenarios/hardware/llama70b-h100.ron",
            r#"catalog=(gpus: [(name: "H100-SXM-80GB", matmul_efficiency: 1e-300)])"#,
        ),
        // A day of sacct records 1e9 times slower.
        (
            "scenarios/traces/sacct-example.ron",
            "workload.trace.interarrival_scale=1e9",
        ),
    ];
    for (file, overrides) in cases {
        // Refused once validation uses it; found by it until then.
        if let Ok(loaded) = load_file(&path(file), &[SetArg::set(overrides)]) {
            let scenario = loaded.scenario;
            let kill = scenario.scheduler.kill_at_time_limit;
            assert!(
                (scenario.workload.first_beyond_end_of_time(kill)).is_some(),
                "{file} {overrides}"
            );
        }
    }
}

/// What those inputs make of a run, set by hand: a training job that
/// would run past the end of time (what 5000T tokens or a GPU at 1e-300
/// of its peak give), trace submissions past it (what
/// `interarrival_scale=1e9` gives). The run stops there with
/// `end_of_time`, the jobs it could not finish still running or never
/// submitted, its time series within bounds (before: "all work done" at
/// 213,504 days with every job COMPLETED in zero time, after pushing
/// samples until memory ran out).
#[test]
fn a_run_reaching_the_end_of_time_stops_there() {
    let endless_training = |s: &mut Scenario| {
        s.workload.training[0].steps = u64::MAX;
        s.workload.jobs[0].runtime = SimDuration::MAX;
        s.workload.jobs[0].time_limit = SimDuration::MAX;
    };
    let budget = ["stop.max_events=100000"];
    let scenarios = [
        changed(
            "scenarios/hardware/llama70b-h100.ron",
            &budget,
            endless_training,
        ),
        changed("scenarios/hardware/llama70b-h100.ron", &budget, |s| {
            endless_training(s);
            s.workload.training[0].steps = 1_000_000;
            s.workload.training[0].gpu.matmul_efficiency = 1e-300;
        }),
        changed("scenarios/traces/sacct-example.ron", &budget, |s| {
            for job in &mut s.workload.jobs[1..] {
                job.submit = SimTime::MAX;
            }
        }),
    ];
    for (case, scenario) in scenarios.iter().enumerate() {
        let what = format!("case {case}: {}", scenario.name);
        let kill = scenario.scheduler.kill_at_time_limit;
        assert!(
            (scenario.workload.first_beyond_end_of_time(kill)).is_some(),
            "{what}"
        );
        let result = run(scenario, &mut (), &mut |_| {});
        assert_eq!(result.stop_reason, StopReason::EndOfTime, "{what}");
        assert_eq!(result.end, SimTime::MAX, "{what}");
        assert!(result.summary.events < 1000, "{what}");
        assert!(result.timeseries.len() <= MAX_TIMESERIES_SAMPLES, "{what}");
        // Nothing ran to its end at the end of time.
        assert!(
            (result.jobs.iter()).all(|j| j.end.is_none_or(|e| e < SimTime::MAX)),
            "{what}"
        );
        // Work was left: a job still running, or submissions never made.
        let never_submitted = result.jobs.len() < scenario.workload.jobs.len();
        assert!(
            never_submitted || result.jobs.iter().any(|j| j.state == JobState::Running),
            "{what}"
        );
    }
}

/// A job submitted 200,000 days in (548 years, still before the end of
/// time) runs normally; its time series (57 million samples at 5 minutes,
/// 1.8 GB before) is coarsened to stay within bounds.
#[test]
fn a_job_submitted_centuries_in_runs_with_a_bounded_time_series() {
    let scenario = changed(
        "scenarios/quickstart.ron",
        &["stop.max_events=100000"],
        |s| {
            s.workload.jobs[1].submit = SimTime::ZERO + days(200_000);
            s.stop.horizon = None;
        },
    );
    assert_eq!(scenario.workload.first_beyond_end_of_time(true), None);
    let result = run(&scenario, &mut (), &mut |_| {});
    assert_eq!(result.stop_reason, StopReason::AllWorkDone);
    assert_eq!(
        result.jobs[151].job.submit.as_ns(),
        200_000 * 86_400 * NS_PER_SEC
    );
    assert_eq!(result.jobs[151].state, JobState::Timeout);
    assert!(result.timeseries.len() <= MAX_TIMESERIES_SAMPLES);
}

/// Periodic work (multifactor priority recalculation, backfill cycles
/// every `bf_interval`) does not hide a deadlock: when nothing but those
/// timers is left, the run stops with `deadlock` at once (before: the
/// timers ticked until the event budget, the time series growing).
#[test]
fn a_deadlock_is_found_whatever_periodic_work_is_configured() {
    let overrides: [&[&str]; 2] = [
        &["scheduler.order=Multifactor"],
        &[
            "scheduler.order=Multifactor",
            r#"scheduler.bf_interval="1s""#,
        ],
    ];
    let mut scenarios: Vec<(String, Scenario)> = (overrides.iter())
        .map(|o| {
            let o = [o, &["stop.max_events=100000"][..]].concat();
            (
                format!("{o:?}"),
                load("scenarios/teaching/gang-deadlock.ron", &o),
            )
        })
        .collect();
    // Validation refuses backfilling without gang scheduling, but the
    // simulation still ticks for it: a backstop, built by hand.
    for (order, backfill) in [
        (QueueOrder::Fcfs, Backfill::Easy),
        (QueueOrder::Multifactor, Backfill::Conservative),
    ] {
        let mut scenario = load(
            "scenarios/teaching/gang-deadlock.ron",
            &["stop.max_events=100000"],
        );
        scenario.scheduler.order = order;
        scenario.scheduler.backfill = backfill;
        scenario.scheduler.backfill_params.interval = SimDuration::from_secs(30);
        scenarios.push((format!("{order:?} {backfill:?} every 30 s"), scenario));
    }
    for (what, scenario) in scenarios {
        let result = run(&scenario, &mut (), &mut |_| {});
        assert_eq!(result.stop_reason, StopReason::Deadlock, "{what}");
        assert!(
            result.summary.events <= 10,
            "{what}: {} events",
            result.summary.events
        );
        assert_eq!(result.end, SimTime::ZERO, "{what}");
        assert_eq!(result.summary.scheduling.held_gpus_at_end, 48, "{what}");
        assert!(result.timeseries.len() <= 1, "{what}");
    }
}

/// One node and two QOS that preempt each other (`a` preempts `b`, `b`
/// preempts `a`), one 8-GPU job in each. Validation refuses such a cycle
/// (`scheduler::preemption_cycle`); the scheduler itself ignores
/// preemption between QOS on a cycle, so even a configuration built by
/// hand cannot make the two jobs take the node from each other forever at
/// t = 0 (before: the event budget spent at 0 s, one preemption per
/// pass).
const PREEMPTION_CYCLE: &str = r#"
Scenario(
    name: "preemption-cycle",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
    workload: (
        jobs: [
            (name: "a", user: "ann", account: "lab", qos: "a", submit: "0s",
             request: Gpus(8), runtime: "1h", time_limit: "1h"),
            (name: "b", user: "bo", account: "lab", qos: "b", submit: "0s",
             request: Gpus(8), runtime: "1h", time_limit: "1h"),
        ],
    ),
    scheduler: (
        qos: [(name: "a", preempt: ["b"]), (name: "b", preempt: ["a"])],
        preempt_type: Qos,
    ),
    stop: (max_events: 100000),
)
"#;

#[test]
fn qos_that_preempt_each_other_do_not_preempt_forever() {
    let scenario = load_str("preemption-cycle.ron", PREEMPTION_CYCLE, &[])
        .map(|loaded| loaded.scenario)
        .unwrap_or_else(|_| {
            // Once validation refuses the cycle, the same configuration
            // is built by hand from an acyclic one.
            let acyclic = PREEMPTION_CYCLE.replace(r#"preempt: ["a"]"#, "");
            let mut scenario = load_str("preemption-cycle.ron", &acyclic, &[])
                .expect("the acyclic variant loads")
                .scenario;
            scenario.scheduler.qos[1].preempt = vec![0];
            scenario
        });
    assert_eq!(preemption_cycle(&scenario.scheduler.qos), Some(vec![0, 1]));
    let result = run(&scenario, &mut (), &mut |_| {});
    assert_eq!(result.stop_reason, StopReason::AllWorkDone);
    assert_eq!(result.summary.scheduling.preemptions, 0);
    let ends: Vec<_> = result
        .jobs
        .iter()
        .map(|j| j.end.map(|e| e.as_ns() / NS_PER_SEC))
        .collect();
    assert_eq!(ends, [Some(3600), Some(7200)]);
}

/// A gzip bomb: 64 MiB of zeros in 64 KiB. Reading a trace stops at its
/// limit (lowered here to 16 MiB; `MAX_TRACE_TEXT`, 1 GiB, in a run) and
/// says so, instead of decompressing everything into memory (before: a
/// 4 MB file of 4 GiB of zeros took 8.5 GB).
#[test]
fn a_gzip_bomb_is_refused_at_the_trace_size_limit() {
    let dir = scratch("gzip-bomb");
    std::fs::create_dir_all(&dir).unwrap();
    let bomb = dir.join("bomb.swf.gz");
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    std::fs::write(&bomb, encoder.finish().unwrap()).unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);

    let limit = Bytes::mib(16);
    let err = read_text(&bomb, limit).expect_err("over the limit");
    assert_eq!((err.line, err.column), (0, 0), "the whole file: {err}");
    assert!(
        err.message.contains("decompresses to more than 16MiB"),
        "{err}"
    );
    assert!(err.fix.contains("head -n"), "{err}");
    // The same text, plain and within the limit, is read whole.
    let plain = dir.join("small.swf");
    std::fs::write(&plain, "; a comment\n").unwrap();
    assert_eq!(read_text(&plain, limit).unwrap(), "; a comment\n");
    assert!(MAX_TRACE_TEXT >= Bytes::gib(1));
}

/// Periodic work every nanosecond (`calc_period: "1ns"`, `bf_interval:
/// "1ns"`) makes a run practically endless (the quickstart's ten hours
/// would be 3.6e13 events) with flat memory. The runtime stays correct:
/// one recalculation per nanosecond, within the bound
/// `SchedulerConfig::periodic_events` gives (what validation weighs such
/// a period by), a stop at the event budget, one sample.
#[test]
fn periodic_work_every_nanosecond_ticks_once_a_nanosecond_within_its_budget() {
    let scenario = changed(
        "scenarios/quickstart.ron",
        &[
            "scheduler.order=Multifactor",
            "scheduler.backfill=Easy",
            "stop.max_events=200000",
        ],
        |s| {
            s.scheduler.priority.calc_period = SimDuration::from_ns(1);
            s.scheduler.backfill_params.interval = SimDuration::from_ns(1);
        },
    );
    let result = run(&scenario, &mut (), &mut |_| {});
    assert_eq!(result.stop_reason, StopReason::EventBudget);
    assert_eq!(result.summary.events, 200_000);
    // Nothing waits (backfill does not tick): the events are the
    // recalculations of 1, 2, ... ns and the first job's arrival.
    let span = result.end.saturating_since(SimTime::ZERO);
    assert_eq!(span.as_ns(), 199_999);
    // The bound counts both timers; only one ticked.
    assert_eq!(scenario.scheduler.periodic_events(span), 2 * 199_999);
    assert_eq!(result.timeseries.len(), 1);
    // Over the horizon a validator would weigh it by: 3.3e13 events.
    let expected = scenario.workload.expected_span(
        scenario.cluster.total_gpus(),
        scenario.scheduler.kill_at_time_limit,
    );
    assert!(scenario.scheduler.periodic_events(expected) > 30_000_000_000_000);
}

/// With a millisecond period over a 10 s horizon, the run handles the
/// predicted 10,000 recalculations and a handful of other events.
#[test]
fn the_periodic_event_count_predicts_a_run() {
    let scenario = changed(
        "scenarios/quickstart.ron",
        &["scheduler.order=Multifactor", r#"stop.horizon="10s""#],
        |s| s.scheduler.priority.calc_period = SimDuration::from_ns(1_000_000),
    );
    let result = run(&scenario, &mut (), &mut |_| {});
    assert_eq!(result.stop_reason, StopReason::Horizon);
    let predicted = scenario
        .scheduler
        .periodic_events(SimDuration::from_secs(10));
    assert_eq!(predicted, 10_000);
    let others = result.summary.events - predicted;
    assert!(others <= 5, "{} events", result.summary.events);
}

/// A generator of 100 million jobs (the most one may have) under a budget
/// of 1,000 events: the job table is sized by what the run can submit,
/// not by the workload's size (before: 16.7 million records reserved,
/// 2.4 GB, an abort under a 1.5 GB address-space limit).
#[test]
fn the_job_table_is_sized_by_what_the_run_can_submit() {
    let scenario = changed("scenarios/mmc-queue.ron", &["stop.max_events=1000"], |s| {
        s.workload.generators[0].count = Some(100_000_000);
    });
    let result = run(&scenario, &mut (), &mut |_| {});
    assert_eq!(result.stop_reason, StopReason::EventBudget);
    assert!(
        result.jobs.capacity() <= 1000,
        "{} records reserved",
        result.jobs.capacity()
    );
}

// The property test: scenarios written as text with extreme values in
// every dimension (cluster size, GPUs per node, job counts and sizes,
// durations up to the end of time, intervals and periods down to 1 ns,
// seeds, order, backfill, gang, preemption), each loaded and, if it
// loads, run under an event budget of at most 5,000.

/// Durations across the documented range, its ends included: the
/// smallest step, everyday values, and instants near the end of
/// representable time (213,503 days); rarely one past it, which loading
/// refuses.
const DURATIONS: [&str; 10] = [
    "1ns", "1us", "1ms", "1s", "90s", "1h", "7d", "1000d", "200000d", "213000d",
];

fn duration() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        50 => proptest::sample::select(&DURATIONS[..]),
        1 => Just("300000d"),
    ]
}

/// Mostly requests that fit some cluster, sometimes ones that fit none.
fn request() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => proptest::sample::select(&[1u32, 2, 8][..]).prop_map(|n| format!("Gpus({n})")),
        2 => proptest::sample::select(&[9u32, 64][..]).prop_map(|n| format!("Gpus({n})")),
        3 => (
            proptest::sample::select(&[1u32, 2][..]),
            proptest::sample::select(&[1u32, 8][..]),
        )
            .prop_map(|(count, gpus)| format!("Nodes(count: {count}, gpus_per_node: {gpus})")),
        1 => proptest::sample::select(&[65u32, 4096, u32::MAX][..]).prop_map(|n| format!("Gpus({n})")),
        1 => Just("Nodes(count: 1000, gpus_per_node: 64)".to_string()),
    ]
}

fn job() -> impl Strategy<Value = String> {
    (
        duration(),
        duration(),
        proptest::option::of(duration()),
        request(),
        proptest::sample::select(&["a", "b"][..]),
    )
        .prop_map(|(submit, runtime, limit, request, qos)| {
            let limit = limit.map_or(String::new(), |l| format!(r#"time_limit: "{l}", "#));
            format!(
                r#"(user: "u{qos}", account: "{qos}", qos: "{qos}", submit: "{submit}", runtime: "{runtime}", {limit}request: {request}),"#
            )
        })
}

fn duration_distribution() -> impl Strategy<Value = String> {
    prop_oneof![
        duration().prop_map(|mean| format!(r#"Exponential(mean: "{mean}")"#)),
        (duration(), proptest::sample::select(&[0.0, 1.0, 5.0][..])).prop_map(
            |(median, sigma)| format!(r#"LogNormal(median: "{median}", sigma: {sigma:?})"#)
        ),
        (duration(), duration())
            .prop_map(|(min, max)| format!(r#"Uniform(min: "{min}", max: "{max}")"#)),
        (duration(), duration()).prop_map(|(a, b)| format!(r#"Empirical(values: ["{a}", "{b}"])"#)),
    ]
}

fn generator() -> impl Strategy<Value = String> {
    (
        duration(),
        proptest::sample::select(&[1u64, 10, 100_000_000][..]),
        proptest::collection::vec(request(), 1..3),
        duration_distribution(),
        proptest::sample::select(&[0.1, 1.0, 1.5, 1000.0][..]),
    )
        .prop_map(|(gap, count, sizes, dist, factor)| {
            let sizes: Vec<String> = sizes
                .iter()
                .map(|r| format!("(request: {r}, weight: 1.0)"))
                .collect();
            format!(
                r#"(name: "GENERATOR", arrival: Poisson(mean_interarrival: "{gap}"), count: {count},
                    sizes: [{}], duration: {dist}, time_limit_factor: {factor:?},
                    users: [(user: "ua", account: "a", weight: 1.0), (user: "ub", account: "b", weight: 2.0)]),"#,
                sizes.join(", ")
            )
        })
}

fn scheduler() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(&["Fcfs", "Multifactor", "Sjf"][..]),
        proptest::sample::select(&["None", "Easy", "Conservative"][..]),
        proptest::sample::select(&["0s", "1ns", "30s", "1d"][..]),
        proptest::sample::select(&["1ns", "1s", "5m"][..]),
        proptest::bool::weighted(0.8),
        any::<bool>(),
        // No preemption, a preempts b, or a cycle (refused by validation
        // once the lead's rule is in; the scheduler ignores it anyway).
        proptest::sample::select(&["None", "Qos", "Cycle"][..]),
    )
        .prop_map(|(order, backfill, bf_interval, calc_period, gang, kill, preempt)| {
            // Validation refuses backfilling and preemption without gang
            // scheduling.
            let (backfill, preempt) = if gang { (backfill, preempt) } else { ("None", "None") };
            let (preempt_type, b_preempts) = match preempt {
                "None" => ("None", ""),
                "Qos" => ("Qos", ""),
                _ => ("Qos", r#""a""#),
            };
            format!(
                r#"(order: {order}, backfill: {backfill}, bf_interval: "{bf_interval}",
                    priority: (calc_period: "{calc_period}", weight_age: 1000, weight_fairshare: 1000),
                    gang: {gang}, kill_at_time_limit: {kill},
                    qos: [(name: "a", preempt: ["b"]), (name: "b", preempt: [{b_preempts}])],
                    preempt_type: {preempt_type})"#
            )
        })
}

/// A scenario as text, with extreme values across the documented ranges,
/// and its event budget.
fn scenario_text() -> impl Strategy<Value = (String, u64)> {
    (
        any::<u64>(),
        proptest::collection::vec(
            (
                prop_oneof![
                    10 => proptest::sample::select(&[1u32, 2, 3, 64, 1000, 100_000][..]),
                    1 => Just(1_000_000),
                ],
                proptest::sample::select(&[1u32, 2, 8, 64][..]),
            ),
            1..3,
        ),
        proptest::collection::vec(job(), 0..4),
        proptest::collection::vec(generator(), 0..3),
        scheduler(),
        1u64..5_000,
        proptest::option::of(duration()),
        duration(),
    )
        .prop_map(
            |(seed, groups, jobs, generators, scheduler, max_events, horizon, interval)| {
                let groups: Vec<String> = (groups.iter().enumerate())
                    .map(|(i, (count, gpus))| {
                        format!(
                            r#"(name: "n{i}", count: {count}, node_model: "DGX-H100", gpus_per_node: {gpus}),"#
                        )
                    })
                    .collect();
                let horizon = horizon.map_or(String::new(), |h| format!(r#"horizon: "{h}", "#));
                let text = format!(
                    r#"Scenario(
    name: "extreme",
    seed: {seed},
    cluster: (node_groups: [{}]),
    workload: (jobs: [{}], generators: [{}]),
    scheduler: {scheduler},
    stop: ({horizon}max_events: {max_events}),
    outputs: (timeseries_interval: "{interval}"),
)"#,
                    groups.concat(),
                    jobs.concat(),
                    (generators.iter().enumerate())
                        .map(|(i, g)| g.replace("GENERATOR", &format!("g{i}")))
                        .collect::<String>(),
                );
                (text, max_events)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A scenario with extreme values is refused when it loads (an error,
    /// never a panic) or runs to a stop within its event budget, with a
    /// bounded time series and every submitted job accounted for.
    #[test]
    fn extreme_scenarios_are_refused_or_stop_within_bounds((text, max_events) in scenario_text()) {
        let Ok(loaded) = load_str("extreme.ron", &text, &[]) else {
            return Ok(());
        };
        let result = run(&loaded.scenario, &mut (), &mut |_| {});
        prop_assert!(result.summary.events <= max_events);
        prop_assert!(result.timeseries.len() <= MAX_TIMESERIES_SAMPLES);
        prop_assert!(result.jobs.len() as u64 <= result.summary.events);
        prop_assert!(result.jobs.capacity() as u64 <= max_events.max(1 << 20));
        prop_assert!(result.jobs.iter().all(|j| j.end.is_none_or(|e| e <= result.end)));
        let jobs = &result.summary.jobs;
        prop_assert_eq!(
            jobs.submitted,
            jobs.completed + jobs.killed + jobs.refused + jobs.preempted
                + jobs.running_at_end + jobs.pending_at_end
        );
    }
}
