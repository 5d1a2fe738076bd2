//! The bootstrap keeps what it promises (copies of trace jobs, offsets
//! within blocks, counts per window), draws only from the seed, and the
//! estimate noise has the stated median and spread.

use super::*;
use crate::workload::JobRequest;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// Job `id`: submitted at `submit_s`, a size, run time and estimate that
/// identify it.
fn job(id: u64, submit_s: u64) -> SubmittedJob {
    SubmittedJob {
        submit: SimTime::from_ns(submit_s * NS_PER_SEC),
        request: JobRequest::Gpus(1 + (id % 7) as u32),
        runtime: SimDuration::from_secs(60 + id),
        time_limit: SimDuration::from_secs(120 + 2 * id),
        user: crate::workload::UserId((id % 5) as u32),
        trace_id: Some(id),
        ..SubmittedJob::default()
    }
}

/// Four weeks of jobs with uneven weekly counts (10, 20, 30, 40) and one
/// job 3 days into a fifth, partial, week: 101 jobs.
fn four_weeks() -> Vec<SubmittedJob> {
    let mut jobs = Vec::new();
    let mut id = 0;
    for week in 0..4u64 {
        for k in 0..10 * (week + 1) {
            // Spread over the week, never on its last second.
            jobs.push(job(id, week * 7 * DAY + k * 7 * DAY / 41 + id % 3));
            id += 1;
        }
    }
    jobs.push(job(id, 4 * 7 * DAY + 3 * DAY));
    jobs
}

fn replication(resample: Option<Resample>, noise: Option<f64>) -> TraceReplication {
    TraceReplication {
        jobs: 0..0,
        resample,
        estimate_noise: noise.map(|sigma| EstimateNoise::LogNormal { sigma }),
    }
}

const WEEKS: Resample = Resample::Blocks {
    length: SimDuration::from_secs(7 * DAY),
};
const DAYS: Resample = Resample::Jobs {
    window: SimDuration::from_secs(DAY),
};

/// The input job a resampled job copies (by its trace id).
fn original(jobs: &[SubmittedJob], copy: &SubmittedJob) -> SubmittedJob {
    *jobs
        .iter()
        .find(|j| j.trace_id == copy.trace_id)
        .expect("every resampled job is a trace job")
}

#[test]
fn the_same_seed_gives_the_same_jobs_and_another_seed_others() {
    let jobs = four_weeks();
    for r in [
        replication(Some(WEEKS), None),
        replication(Some(DAYS), None),
        replication(None, Some(0.5)),
        replication(Some(WEEKS), Some(0.5)),
    ] {
        let a = r.apply(&jobs, &RngStreams::new(7));
        assert_eq!(a, r.apply(&jobs, &RngStreams::new(7)), "{r:?}");
        assert_ne!(a, r.apply(&jobs, &RngStreams::new(8)), "{r:?}");
        assert!(a.is_sorted_by_key(|j| j.submit), "{r:?}");
    }
    // Nothing asked, nothing drawn: the jobs as they are.
    assert_eq!(
        replication(None, None).apply(&jobs, &RngStreams::new(7)),
        jobs
    );
}

#[test]
fn whole_weeks_are_copied_with_their_offsets() {
    let jobs = four_weeks();
    let week_ns = 7 * DAY * NS_PER_SEC;
    let mut counts = std::collections::BTreeSet::new();
    for seed in 0..50 {
        let out = WEEKS.draw(&jobs, &mut RngStreams::new(seed).stream(RESAMPLE_STREAM));
        // 5 blocks (4 full weeks and the partial fifth) holding 10, 20,
        // 30, 40 and 1 jobs: 5 draws give between 5 x 1 and 5 x 40 jobs.
        assert!((5..=200).contains(&out.len()), "{}", out.len());
        counts.insert(out.len());
        for copy in &out {
            let source = original(&jobs, copy);
            // Everything but the submit time is the original's.
            assert_eq!(
                SubmittedJob {
                    submit: source.submit,
                    ..*copy
                },
                source
            );
            assert_eq!(
                copy.submit.as_ns() % week_ns,
                source.submit.as_ns() % week_ns
            );
            // Within the five weeks the trace spans.
            assert!(copy.submit.as_ns() < 5 * week_ns);
        }
        // A block is copied whole: every job of its source week, once per
        // draw of that week.
        for week in 0..5 {
            let in_week: Vec<_> = (out.iter())
                .filter(|j| j.submit.as_ns() / week_ns == week)
                .collect();
            let Some(first) = in_week.first() else {
                continue;
            };
            let source_week = original(&jobs, first).submit.as_ns() / week_ns;
            let whole = jobs
                .iter()
                .filter(|j| j.submit.as_ns() / week_ns == source_week)
                .count();
            assert_eq!(in_week.len(), whole);
        }
    }
    // The draws differ between seeds.
    assert!(counts.len() > 5, "{counts:?}");
}

#[test]
fn windows_keep_their_job_counts_exactly() {
    let jobs = four_weeks();
    let day_ns = DAY * NS_PER_SEC;
    let per_day = |jobs: &[SubmittedJob]| {
        let mut counts = std::collections::BTreeMap::new();
        for j in jobs {
            *counts.entry(j.submit.as_ns() / day_ns).or_insert(0) += 1;
        }
        counts
    };
    let mut repeated = 0;
    for seed in 0..20 {
        let out = DAYS.draw(&jobs, &mut RngStreams::new(seed).stream(RESAMPLE_STREAM));
        assert_eq!(per_day(&out), per_day(&jobs));
        for copy in &out {
            // A copy of a job of the same day, submit time included.
            assert_eq!(*copy, original(&jobs, copy));
        }
        let distinct: std::collections::BTreeSet<_> = out.iter().map(|j| j.trace_id).collect();
        repeated += out.len() - distinct.len();
    }
    // With replacement: some jobs are drawn twice.
    assert!(repeated > 0);
}

#[test]
fn a_window_as_long_as_the_trace_draws_from_all_of_it() {
    let jobs = four_weeks();
    let all = Resample::Jobs {
        window: SimDuration::from_secs(100 * DAY),
    };
    let out = all.draw(&jobs, &mut RngStreams::new(3).stream(RESAMPLE_STREAM));
    assert_eq!(out.len(), jobs.len());
    assert!(out.is_sorted_by_key(|j| j.submit));
}

#[test]
fn estimate_noise_has_median_one_and_the_stated_spread() {
    // Long estimates, so rounding to the second changes ln(factor) by at
    // most 0.5 / 1e6.
    let estimate = SimDuration::from_secs(1_000_000);
    let n = 20_000;
    for sigma in [0.25, 0.5, 1.0] {
        let noise = EstimateNoise::LogNormal { sigma };
        let mut rng = RngStreams::new(11).stream(NOISE_STREAM);
        let mut logs: Vec<f64> = (0..n)
            .map(|_| {
                let noisy = noise.apply(estimate, &mut rng);
                (noisy.as_ns() as f64 / estimate.as_ns() as f64).ln()
            })
            .collect();
        logs.sort_by(f64::total_cmp);
        // The sample median of ln(factor) has standard error
        // sqrt(pi / 2) * sigma / sqrt(n) (0.0044 at sigma 0.5); the
        // sample sd, sigma / sqrt(2 n) (0.0025). Five standard errors:
        // a correct sampler fails with probability below 1e-6.
        let median = logs[n / 2];
        let se_median = (std::f64::consts::PI / 2.0).sqrt() * sigma / (n as f64).sqrt();
        assert!(median.abs() < 5.0 * se_median, "sigma {sigma}: {median}");
        let mean = logs.iter().sum::<f64>() / n as f64;
        let sd = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let se_sd = sigma / (2.0 * n as f64).sqrt();
        assert!((sd - sigma).abs() < 5.0 * se_sd, "sigma {sigma}: sd {sd}");
    }
}

#[test]
fn noisy_estimates_stay_between_a_second_and_a_year() {
    let mut rng = RngStreams::new(1).stream(NOISE_STREAM);
    let wild = EstimateNoise::LogNormal { sigma: 5.0 };
    let year = SimDuration::from_secs(365 * DAY);
    for _ in 0..10_000 {
        let noisy = wild.apply(SimDuration::from_secs(3600), &mut rng);
        assert!(
            SimDuration::from_secs(1) <= noisy && noisy <= year,
            "{noisy:?}"
        );
        assert_eq!(noisy.as_ns() % NS_PER_SEC, 0);
    }
    // sigma 0: the estimate itself.
    let none = EstimateNoise::LogNormal { sigma: 0.0 };
    let estimate = SimDuration::from_secs(5400);
    assert_eq!(none.apply(estimate, &mut rng), estimate);
}
