//! The FGD paper's experiment on the openb trace, as clustersim can run it
//! (Weng et al., "Beware of Fragmentation", USENIX ATC'23; their
//! simulator, hkust-adsl/kubernetes-scheduler-simulator): GPU pods arrive
//! one after another into the 1,213-node cluster and never leave; a pod
//! that does not fit when it arrives stays unplaced (in the FGD simulator
//! it fails; here it waits, and since nothing ever leaves it never
//! starts, which is the same). The allocation and fragmentation after the
//! last pod has arrived are measured.
//!
//! How it is run: `scenarios/kubernetes/openb-sharing.ron` (the trace's
//! 7,064 GPU pods, 6,086.8 GPUs of requests = 97.98% of the 6,212 GPUs),
//! every pod submitted 1 µs after the previous one in the chosen order,
//! with a run time of 1,000 days, EASY backfilling at every pass (so a
//! pod that does not fit never blocks the next: every pod ends at the same
//! instant, so any later pod that fits backfills), and the run stopped at
//! 1 day: the time averages the summary reports are then the state after
//! the arrivals to within 7 ms / 1 day (under 1e-7).
//!
//! What is asserted: every pod is accounted for (submitted = kept); the
//! allocation is at most the capacity; the fragmentation is at most the
//! free capacity (and the fragmented share of free agrees with it); no
//! pod starts after the arrivals (nothing left); and, from the results
//! the paper's simulator publishes (hkust-adsl/kubernetes-scheduler-simulator,
//! `experiments/analysis/expected_results/analysis_allo_discrete.csv`,
//! workload `openb_pod_list_default`, column 98 = 98% of the capacity
//! arrived), BestFit's allocation is 92.63% to 93.03% over its 10 seeds
//! and FGD's 95.04% to 95.37%: clustersim's best fit must lie in the
//! one-sided band stated below, with the reasons in `docs/kubernetes.md`.

use sim_core::engine::{SimDuration, SimTime};
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;

use crate::support::path;

const OPENB: &str = "scenarios/kubernetes/openb-sharing.ron";

/// The result of one replay: (allocation rate, fragmentation rate,
/// fragmented share of free, pods submitted, pods started).
struct Replay {
    allocation: f64,
    fragmentation: f64,
    fragmented_of_free: f64,
    submitted: u64,
    started: usize,
    kept: u64,
}

/// A fixed permutation (xorshift64*, Fisher-Yates): FGD's simulator
/// shuffles the pods with its seed; this is a shuffle, not theirs.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..items.len()).rev() {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        items.swap(i, (r % (i as u64 + 1)) as usize);
    }
}

fn replay(shuffle_seed: Option<u64>, whole: bool) -> Replay {
    let mut sets = vec![
        SetArg::set("scheduler.backfill=Easy"),
        SetArg::set("scheduler.bf_interval=\"0s\""),
        SetArg::set("stop.horizon=\"1d\""),
    ];
    if whole {
        sets.push(SetArg::set("workload.trace.whole_gpus=true"));
    }
    let mut loaded = load_file(&path(OPENB), &sets).unwrap_or_else(|e| panic!("{e}"));
    let kept = (loaded.scenario.workload.trace_import.as_ref())
        .expect("a trace")
        .kept;
    let jobs = &mut loaded.scenario.workload.jobs;
    jobs.sort_by_key(|j| (j.submit, j.trace_id));
    if let Some(seed) = shuffle_seed {
        shuffle(jobs, seed);
    }
    let forever = SimDuration::from_secs(1_000 * 86_400);
    for (i, j) in jobs.iter_mut().enumerate() {
        j.submit = SimTime::from_ns(i as u64 * 1_000);
        j.runtime = forever;
        j.time_limit = forever;
    }
    let r = run(&loaded.scenario, &mut (), &mut |_| {});
    // Without shared jobs there is no sharing block: the allocation is
    // then the busy GPUs' share, nothing is fragmented by fractions.
    let s = (r.summary.sharing.as_ref()).map_or((r.summary.gpu_utilization, 0.0, 0.0), |s| {
        (
            s.gpu_allocation_rate,
            s.fragmentation_rate,
            s.fragmented_share_of_free,
        )
    });
    let last_submit = SimTime::from_ns(r.jobs.len() as u64 * 1_000);
    let started = r.jobs.iter().filter(|j| j.start.is_some()).count();
    assert!(
        (r.jobs.iter()).all(|j| j.start.is_none_or(|t| t <= last_submit)),
        "a pod started after the arrivals: something left"
    );
    Replay {
        allocation: s.0,
        fragmentation: s.1,
        fragmented_of_free: s.2,
        submitted: r.summary.jobs.submitted,
        started,
        kept,
    }
}

fn check_invariants(r: &Replay) {
    assert_eq!(r.submitted, r.kept, "every kept pod submitted");
    assert_eq!(r.kept, 7_064);
    let free = 1.0 - r.allocation;
    assert!(free >= -1e-9, "allocation over capacity: {}", r.allocation);
    assert!(
        r.fragmentation <= free + 1e-9,
        "fragmentation {} over the free {}",
        r.fragmentation,
        free
    );
    if free > 1e-9 {
        assert!((r.fragmented_of_free - r.fragmentation / free).abs() < 1e-3);
    }
}

/// The trace's order (creation time) and three shuffles, pods never
/// leaving: clustersim's best fit by the thousandth against the paper's
/// BestFit (92.63% to 93.03% allocated at 98% arrived, 10 seeds) and FGD
/// (95.04% to 95.37%). Measured: 95.83% (trace order), 95.87%, 95.94%,
/// 95.87% (shuffles 1-3). The band asserted, from BestFit's lowest seed
/// (92.63%) to 97%, is one-sided on purpose: clustersim models no CPU or
/// memory, so no pod is refused for lack of CPU (the paper's BestFit
/// scores and filters nodes on CPU, memory and GPU, and counts nodes
/// whose CPUs are exhausted as wholly fragmented): with fewer constraints
/// the same packing must allocate at least as much, and it does, above
/// even FGD. `docs/kubernetes.md` has the comparison.
#[test]
fn openb_without_departures_against_the_fgd_paper() {
    let mut rates = Vec::new();
    for seed in [None, Some(1), Some(2), Some(3)] {
        let r = replay(seed, false);
        check_invariants(&r);
        eprintln!(
            "order {seed:?}: allocation {:.4}, fragmentation {:.4}, fragmented of free {:.4}, started {} of {}",
            r.allocation, r.fragmentation, r.fragmented_of_free, r.started, r.submitted
        );
        rates.push(r.allocation);
    }
    for a in &rates {
        assert!((0.9263..=0.97).contains(a), "allocation {a}");
    }
}

/// The same without sharing (`whole_gpus: true`): the 3,078 fractional
/// pods (1,731.8 GPUs of requests) each take a whole GPU, so 7,433 GPUs
/// are asked of 6,212 and at most 6,212 pods' worth can run; nothing is
/// shared. Measured: 5,885 pods started.
#[test]
fn openb_whole_gpus_without_departures() {
    let r = replay(None, true);
    assert_eq!(r.submitted, r.kept);
    assert_eq!(r.kept, 7_064);
    assert!(r.allocation <= 1.0 + 1e-9);
    let sharing = replay(None, false);
    assert!(
        r.started < sharing.started,
        "sharing runs more pods: {} vs {}",
        sharing.started,
        r.started
    );
    eprintln!(
        "whole: allocation {:.4}, fragmentation {:.4}, started {} of {}",
        r.allocation, r.fragmentation, r.started, r.submitted
    );
}
