//! Queueing-theory validation: the simulator against closed forms.
//!
//! With Poisson arrivals (rate lambda), exponential service (rate mu) and c
//! identical servers served first come, first served, an M/M/c queue's mean
//! wait in queue is the Erlang C formula
//!
//!   a = lambda / mu,  rho = a / c,
//!   C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))),
//!   Wq = C(c, a) / (c mu - lambda),
//!
//! and for c = 1 the mean response time (wait + service) is 1 / (mu - lambda).
//! Source: L. Kleinrock, "Queueing Systems, Volume 1: Theory" (Wiley, 1975),
//! section 3.5 (M/M/m), eqs. 3.40 (Erlang C) and 3.42; D. Gross, C. Harris,
//! "Fundamentals of Queueing Theory", 4th ed., section 2.3.
//!
//! The runs go through the real pipeline: scenarios/mmc-queue.ron, `--set`
//! overrides, the synthetic generator, the FCFS scheduler and the allocator.
//!
//! Making it a real statistical test: waits of successive jobs are strongly
//! correlated near saturation, so the standard error is estimated by batch
//! means (50 batches; Law & Kelton, "Simulation Modeling and Analysis",
//! section 9.5.3) and the test also asserts that this standard error is
//! below 1% of the theoretical value. The 3% tolerance is then at least
//! three standard errors: a correct simulator passes with probability above
//! 99.7%, and a 3% bias in the simulator cannot hide in the noise. The
//! first 1% of jobs (the empty-system transient) are discarded.

use std::path::PathBuf;

use sim_core::metrics::JobRecord;
use sim_core::scenario::{SetArg, load_file};
use sim_core::simulation::run;
use sim_core::workload::{Arrival, DurationDist};

fn mmc_scenario() -> PathBuf {
    crate::support::path("scenarios/mmc-queue.ron")
}

/// Erlang C mean wait in queue, in seconds.
pub fn erlang_c_wait_s(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    assert!(a < f64::from(c), "unstable queue");
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    // term is now a^c / c!
    let tail = term * f64::from(c) / (f64::from(c) - a);
    let p_wait = tail / (sum + tail);
    p_wait / (f64::from(c) * mu - lambda)
}

struct Estimate {
    mean: f64,
    standard_error: f64,
    jobs: usize,
}

/// Batch means of `metric` over the jobs of one replication, in submission
/// order, after discarding the first 1%.
fn batch_means(jobs: &[JobRecord], metric: impl Fn(&JobRecord) -> f64) -> Vec<f64> {
    const BATCHES: usize = 50;
    let values: Vec<f64> = jobs[jobs.len() / 100..].iter().map(metric).collect();
    let per_batch = values.len() / BATCHES;
    values
        .chunks_exact(per_batch)
        .take(BATCHES)
        .map(|b| b.iter().sum::<f64>() / per_batch as f64)
        .collect()
}

/// Pools batch means of independent replications into one estimate.
fn pooled(batch_means: &[f64], jobs: usize) -> Estimate {
    let n = batch_means.len() as f64;
    let mean = batch_means.iter().sum::<f64>() / n;
    let variance = batch_means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Estimate {
        mean,
        standard_error: (variance / n).sqrt(),
        jobs,
    }
}

struct Run {
    jobs: Vec<JobRecord>,
    lambda: f64,
    mu: f64,
    servers: u32,
}

/// Runs the M/M/c scenario with `servers` servers at utilization `rho`.
fn simulate(servers: u32, rho: f64, jobs: u64, seed: u64) -> Run {
    let service_s = 600.0;
    let interarrival_ns = (service_s / (f64::from(servers) * rho) * 1e9).round() as u64;
    let overrides = [
        format!("cluster.node_groups[0].count={servers}"),
        format!("workload.generators[0].arrival.mean_interarrival={interarrival_ns}ns"),
        format!("workload.generators[0].count={jobs}"),
        format!("seed={seed}"),
    ]
    .map(SetArg::set);
    let scenario = load_file(&mmc_scenario(), &overrides)
        .expect("mmc-queue.ron loads")
        .scenario;
    let generator = &scenario.workload.generators[0];
    // Use the rates the simulator really used (after unit parsing).
    let Arrival::Poisson { mean_interarrival } = generator.arrival;
    let DurationDist::Exponential { mean } = generator.duration else {
        panic!("mmc-queue.ron must use exponential service times");
    };
    assert_eq!(scenario.cluster.total_gpus(), u64::from(servers));
    let result = run(&scenario, &mut (), &mut |_| {});
    assert_eq!(result.summary.jobs.completed, jobs, "every job completes");
    Run {
        jobs: result.jobs,
        lambda: 1.0 / mean_interarrival.as_secs_f64(),
        mu: 1.0 / mean.as_secs_f64(),
        servers,
    }
}

/// Runs `replications` independent replications (seeds `seed`,
/// `seed + 1`, ...) and pools their batch means of `metric`. Replications
/// keep memory bounded: one run's job table at a time.
fn replicate(
    servers: u32,
    rho: f64,
    jobs: u64,
    replications: u64,
    seed: u64,
    metric: impl Fn(&JobRecord) -> f64,
) -> (Estimate, Run) {
    let mut means = Vec::new();
    let mut counted = 0;
    let mut last = None;
    for r in 0..replications {
        let run = simulate(servers, rho, jobs, seed + r);
        means.extend(batch_means(&run.jobs, &metric));
        counted += run.jobs.len() - run.jobs.len() / 100;
        last = Some(run);
    }
    (
        pooled(&means, counted),
        last.expect("at least one replication"),
    )
}

fn check_mmc_wait(rho: f64, jobs: u64, replications: u64, seed: u64) {
    let (est, r) = replicate(8, rho, jobs, replications, seed, |j| {
        j.wait().unwrap().as_secs_f64()
    });
    let expected = erlang_c_wait_s(r.servers, r.lambda, r.mu);
    let error = (est.mean - expected) / expected;
    println!(
        "M/M/{} rho={rho}: {} jobs, mean wait {:.3} s (Erlang C {expected:.3} s), error {:+.2}%, SE {:.2}%",
        r.servers,
        est.jobs,
        est.mean,
        error * 100.0,
        est.standard_error / expected * 100.0
    );
    assert!(
        est.standard_error < 0.01 * expected,
        "not enough jobs for a 1% standard error: {:.3} s vs {expected:.3} s",
        est.standard_error
    );
    assert!(error.abs() < 0.03, "mean wait off by {:.2}%", error * 100.0);
}

#[test]
fn erlang_c_matches_textbook_values() {
    // Kleinrock's M/M/1 special case: C(1, a) = a, so Wq = rho / (mu - lambda).
    assert!((erlang_c_wait_s(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
    // M/M/2 at a = 1: C = 1/3, Wq = (1/3) / (2 - 1) = 1/3.
    assert!((erlang_c_wait_s(2, 1.0, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn mm8_mean_wait_matches_erlang_c_at_utilization_0_5() {
    check_mmc_wait(0.5, 1_000_000, 6, 11);
}

#[test]
fn mm8_mean_wait_matches_erlang_c_at_utilization_0_9() {
    check_mmc_wait(0.9, 2_000_000, 5, 12);
}

#[test]
fn mm1_mean_response_time_is_one_over_mu_minus_lambda() {
    for (rho, jobs, seed) in [(0.5, 1_000_000, 21), (0.8, 2_000_000, 22)] {
        let (est, r) = replicate(1, rho, jobs, 1, seed, |j| {
            (j.end.unwrap() - j.job.submit).as_secs_f64()
        });
        let expected = 1.0 / (r.mu - r.lambda);
        let error = (est.mean - expected) / expected;
        println!(
            "M/M/1 rho={rho}: {} jobs, mean response {:.2} s (1/(mu-lambda) = {expected:.2} s), error {:+.2}%, SE {:.2}%",
            est.jobs,
            est.mean,
            error * 100.0,
            est.standard_error / expected * 100.0
        );
        assert!(
            est.standard_error < 0.01 * expected,
            "SE too large at rho={rho}"
        );
        assert!(
            error.abs() < 0.03,
            "response time off by {:.2}% at rho={rho}",
            error * 100.0
        );
    }
}

#[test]
fn utilization_equals_offered_load() {
    // Little's law for the servers: busy fraction = lambda / (c mu).
    let r = simulate(8, 0.7, 200_000, 31);
    let busy_s: f64 = r.jobs.iter().map(|j| j.run().unwrap().as_secs_f64()).sum();
    let span_s = r
        .jobs
        .iter()
        .map(|j| j.end.unwrap())
        .max()
        .unwrap()
        .as_secs_f64()
        - r.jobs[0].job.submit.as_secs_f64();
    let utilization = busy_s / (8.0 * span_s);
    assert!(
        (utilization - 0.7).abs() < 0.01,
        "utilization {utilization}"
    );
}
