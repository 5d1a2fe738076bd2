//! Synthetic job streams: Poisson arrivals, a weighted size mix, a duration
//! distribution from `rand_distr`, and users drawn by weight.
//!
//! Invariants:
//! - one RNG stream per attribute (see the module doc of `workload`), and
//!   exactly one draw per job from each, so attribute streams stay aligned
//!   job by job whatever the parameters of the others;
//! - parameters are validated before a `GeneratorSpec` exists, so building
//!   the samplers cannot fail (the `expect`s below state those invariants).

use rand::RngExt;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp, LogNormal, Uniform};

use super::{AccountId, GpuShare, JobRequest, SubmittedJob, UserId};
use crate::engine::{NS_PER_SEC, RngStreams, SimDuration, SimTime, StreamRng};

/// How jobs arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// A Poisson process: independent exponential gaps with this mean.
    Poisson { mean_interarrival: SimDuration },
}

/// How long jobs really run.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    Exponential {
        mean: SimDuration,
    },
    /// `ln(duration) ~ Normal(ln(median), sigma)`.
    LogNormal {
        median: SimDuration,
        sigma: f64,
    },
    /// Uniform over `[min, max]`, to the nanosecond.
    Uniform {
        min: SimDuration,
        max: SimDuration,
    },
    /// Resampling of observed durations, uniformly or by weight.
    Empirical {
        values: Vec<SimDuration>,
        weights: Option<Vec<f64>>,
    },
}

impl DurationDist {
    /// The distribution's mean, in seconds.
    pub fn mean_secs(&self) -> f64 {
        match self {
            DurationDist::Exponential { mean } => mean.as_secs_f64(),
            DurationDist::LogNormal { median, sigma } => {
                median.as_secs_f64() * (sigma * sigma / 2.0).exp()
            }
            DurationDist::Uniform { min, max } => (min.as_secs_f64() + max.as_secs_f64()) / 2.0,
            DurationDist::Empirical { values, weights } => match weights {
                None => values.iter().map(|v| v.as_secs_f64()).sum::<f64>() / values.len() as f64,
                Some(w) => {
                    let total: f64 = w.iter().sum();
                    values
                        .iter()
                        .zip(w)
                        .map(|(v, w)| v.as_secs_f64() * w)
                        .sum::<f64>()
                        / total
                }
            },
        }
    }
}

/// A user (and the account they charge) with a relative weight.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightedUser {
    pub user: UserId,
    pub account: AccountId,
    pub weight: f64,
}

/// A validated synthetic generator.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorSpec {
    /// Names the RNG streams: `workload.<name>.*`.
    pub name: String,
    /// Index into `Directory::job_names` (jobs carry the generator's name).
    pub job_name: u32,
    pub arrival: Arrival,
    pub count: Option<u64>,
    pub until: Option<SimTime>,
    pub start: SimTime,
    /// Requests with the share of a GPU they take and their weights.
    pub sizes: Vec<(JobRequest, GpuShare, f64)>,
    pub duration: DurationDist,
    pub time_limit_factor: f64,
    /// Never empty.
    pub users: Vec<WeightedUser>,
    /// Partition and QOS indices of every job.
    pub partition: u16,
    pub qos: u16,
    /// Index into `WorkloadSpec::policies` of every job.
    pub policy: u16,
    /// GPU type, Kubernetes queue and priority of every job (see
    /// [`SubmittedJob`]).
    pub gpu_type: u16,
    pub queue: u16,
    pub priority: i32,
}

impl GeneratorSpec {
    /// Jobs expected from this generator (exact when only `count` is set).
    pub fn expected_count(&self) -> u64 {
        let Arrival::Poisson { mean_interarrival } = self.arrival;
        let by_time = self.until.map(|until| {
            let window = until.saturating_since(self.start).as_ns() as f64;
            (window / mean_interarrival.as_ns().max(1) as f64) as u64
        });
        match (self.count, by_time) {
            (Some(c), Some(t)) => c.min(t),
            (Some(c), None) => c,
            (None, Some(t)) => t,
            (None, None) => 0,
        }
    }

    /// GPU-seconds a job holds on average: the mean size times the mean
    /// time it holds its GPUs.
    pub fn mean_gpu_seconds(&self, kill_at_time_limit: bool) -> f64 {
        let total_weight: f64 = self.sizes.iter().map(|&(_, _, w)| w).sum();
        let mean_gpus = (self.sizes.iter())
            .map(|&(request, share, w)| {
                request.total_gpus() as f64 * f64::from(share.milli()) / 1000.0 * w
            })
            .sum::<f64>()
            / total_weight;
        mean_gpus * self.mean_occupancy_secs(kill_at_time_limit)
    }

    /// The mean time a job holds its GPUs: its mean duration, cut to the
    /// time limit factor when limits are enforced and the factor is
    /// below 1.
    fn mean_occupancy_secs(&self, kill_at_time_limit: bool) -> f64 {
        let factor = if kill_at_time_limit {
            self.time_limit_factor.min(1.0)
        } else {
            1.0
        };
        self.duration.mean_secs() * factor
    }

    /// When its last job is expected to end: its expected count of
    /// arrivals at the mean interarrival time from its start, plus the
    /// mean time a job holds its GPUs. `None` when that lies at or beyond
    /// the end of representable time (`SimTime::MAX`).
    pub fn expected_end(&self, kill_at_time_limit: bool) -> Option<SimTime> {
        let Arrival::Poisson { mean_interarrival } = self.arrival;
        let end_s = self.start.as_secs_f64()
            + self.expected_count() as f64 * mean_interarrival.as_secs_f64()
            + self.mean_occupancy_secs(kill_at_time_limit);
        let end_ns = end_s * NS_PER_SEC as f64;
        // `u64::MAX as f64` rounds up to 2^64: anything below it fits.
        (end_ns < SimTime::MAX.as_ns() as f64).then(|| SimTime::from_ns(end_ns as u64))
    }
}

enum DurationSampler {
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Uniform(Uniform<u64>),
    Empirical {
        values: Vec<SimDuration>,
        index: Option<WeightedIndex<f64>>,
    },
}

impl DurationSampler {
    fn new(dist: &DurationDist) -> Self {
        const VALIDATED: &str = "duration parameters are validated when the scenario loads";
        match dist {
            DurationDist::Exponential { mean } => {
                DurationSampler::Exponential(Exp::new(1.0 / mean.as_secs_f64()).expect(VALIDATED))
            }
            DurationDist::LogNormal { median, sigma } => DurationSampler::LogNormal(
                LogNormal::new(median.as_secs_f64().ln(), *sigma).expect(VALIDATED),
            ),
            DurationDist::Uniform { min, max } => DurationSampler::Uniform(
                Uniform::new_inclusive(min.as_ns(), max.as_ns()).expect(VALIDATED),
            ),
            DurationDist::Empirical { values, weights } => DurationSampler::Empirical {
                values: values.clone(),
                index: weights
                    .as_ref()
                    .map(|w| WeightedIndex::new(w).expect(VALIDATED)),
            },
        }
    }

    fn sample(&self, rng: &mut StreamRng) -> SimDuration {
        match self {
            DurationSampler::Exponential(d) => SimDuration::from_secs_f64(d.sample(rng)),
            DurationSampler::LogNormal(d) => SimDuration::from_secs_f64(d.sample(rng)),
            DurationSampler::Uniform(d) => SimDuration::from_ns(d.sample(rng)),
            DurationSampler::Empirical { values, index } => {
                let i = match index {
                    Some(index) => index.sample(rng),
                    None => rng.random_range(0..values.len()),
                };
                values[i]
            }
        }
    }
}

/// A generator in motion.
pub(super) struct GeneratorState {
    spec: GeneratorSpec,
    arrivals: StreamRng,
    sizes: StreamRng,
    durations: StreamRng,
    users: StreamRng,
    gap: Exp<f64>,
    size_index: WeightedIndex<f64>,
    user_index: WeightedIndex<f64>,
    duration: DurationSampler,
    clock: SimTime,
    generated: u64,
}

impl GeneratorState {
    pub(super) fn new(spec: GeneratorSpec, streams: &RngStreams) -> Self {
        const VALIDATED: &str = "generator parameters are validated when the scenario loads";
        let stream =
            |attribute: &str| streams.stream(&format!("workload.{}.{attribute}", spec.name));
        let Arrival::Poisson { mean_interarrival } = spec.arrival;
        GeneratorState {
            arrivals: stream("arrivals"),
            sizes: stream("sizes"),
            durations: stream("durations"),
            users: stream("users"),
            gap: Exp::new(1.0 / mean_interarrival.as_secs_f64()).expect(VALIDATED),
            size_index: WeightedIndex::new(spec.sizes.iter().map(|&(_, _, w)| w)).expect(VALIDATED),
            user_index: WeightedIndex::new(spec.users.iter().map(|u| u.weight)).expect(VALIDATED),
            duration: DurationSampler::new(&spec.duration),
            clock: spec.start,
            generated: 0,
            spec,
        }
    }

    pub(super) fn next_job(&mut self) -> Option<SubmittedJob> {
        if self.spec.count.is_some_and(|count| self.generated >= count) {
            return None;
        }
        // The first job arrives one gap after `start`, like every other:
        // a Poisson process has no arrival pinned at its origin.
        self.clock += SimDuration::from_secs_f64(self.gap.sample(&mut self.arrivals));
        if self.spec.until.is_some_and(|until| self.clock > until) {
            return None;
        }
        self.generated += 1;
        let (request, share, _) = self.spec.sizes[self.size_index.sample(&mut self.sizes)];
        let runtime = self.duration.sample(&mut self.durations);
        let user = &self.spec.users[self.user_index.sample(&mut self.users)];
        // A zero limit would make the job unrunnable; a one-nanosecond
        // floor only matters for zero-length jobs, which finish at once.
        let time_limit = runtime
            .mul_f64_ceil(self.spec.time_limit_factor)
            .max(SimDuration::from_ns(1));
        Some(SubmittedJob {
            name: self.spec.job_name,
            user: user.user,
            account: user.account,
            submit: self.clock,
            request,
            runtime,
            time_limit,
            partition: self.spec.partition,
            qos: self.spec.qos,
            nice: 0,
            training: None,
            trace_id: None,
            policy: self.spec.policy,
            share,
            gpu_type: self.spec.gpu_type,
            queue: self.spec.queue,
            priority: self.spec.priority,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> GeneratorSpec {
        GeneratorSpec {
            name: "g".into(),
            job_name: 0,
            arrival: Arrival::Poisson {
                mean_interarrival: SimDuration::from_secs(60),
            },
            count: Some(20_000),
            until: None,
            start: SimTime::ZERO,
            sizes: vec![
                (JobRequest::Gpus(1), GpuShare::Whole, 3.0),
                (JobRequest::Gpus(8), GpuShare::Whole, 1.0),
            ],
            duration: DurationDist::Exponential {
                mean: SimDuration::from_secs(600),
            },
            time_limit_factor: 2.0,
            users: vec![WeightedUser {
                user: UserId(0),
                account: AccountId(0),
                weight: 1.0,
            }],
            partition: 0,
            qos: 0,
            policy: 0,
            gpu_type: 0,
            queue: 0,
            priority: 0,
        }
    }

    fn generate(spec: GeneratorSpec, seed: u64) -> Vec<SubmittedJob> {
        let mut state = GeneratorState::new(spec, &RngStreams::new(seed));
        std::iter::from_fn(|| state.next_job()).collect()
    }

    #[test]
    fn sample_moments_match_the_parameters() {
        let jobs = generate(spec(), 1);
        assert_eq!(jobs.len(), 20_000);
        let n = jobs.len() as f64;
        // Mean gap 60 s; the standard error of the mean of 20,000
        // exponential gaps is 60/sqrt(20000) = 0.42 s, so 3% is > 4 sigma.
        let mean_gap = jobs.last().unwrap().submit.as_secs_f64() / n;
        assert!((mean_gap / 60.0 - 1.0).abs() < 0.03, "mean gap {mean_gap}");
        let mean_run = jobs.iter().map(|j| j.runtime.as_secs_f64()).sum::<f64>() / n;
        assert!(
            (mean_run / 600.0 - 1.0).abs() < 0.03,
            "mean runtime {mean_run}"
        );
        // Weight 3:1 -> 75% single-GPU jobs; sd of the share is 0.3%.
        let single = jobs
            .iter()
            .filter(|j| j.request == JobRequest::Gpus(1))
            .count() as f64
            / n;
        assert!(
            (single - 0.75).abs() < 0.015,
            "share of 1-GPU jobs {single}"
        );
        assert!(
            jobs.iter()
                .all(|j| j.time_limit >= j.runtime.mul_f64_ceil(2.0))
        );
        assert!(jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
    }

    #[test]
    fn the_expected_end_is_the_expected_last_arrival_plus_a_mean_job() {
        // 20,000 arrivals 60 s apart, then a 600 s job.
        let end = SimTime::from_ns((20_000 * 60 + 600) * NS_PER_SEC);
        assert_eq!(spec().expected_end(true), Some(end));
        // 10^9 jobs a year apart lie beyond the end of time (584 years).
        let mut far = spec();
        far.count = Some(1_000_000_000);
        far.arrival = Arrival::Poisson {
            mean_interarrival: SimDuration::from_secs(365 * 86_400),
        };
        assert_eq!(far.expected_end(true), None);
    }

    #[test]
    fn changing_sizes_or_durations_leaves_arrival_times_alone() {
        let base = generate(spec(), 9);
        let mut other = spec();
        other.sizes = vec![(JobRequest::Gpus(2), GpuShare::Whole, 1.0)];
        other.duration = DurationDist::LogNormal {
            median: SimDuration::from_secs(100),
            sigma: 2.0,
        };
        let changed = generate(other, 9);
        let times = |jobs: &[SubmittedJob]| jobs.iter().map(|j| j.submit).collect::<Vec<_>>();
        assert_eq!(times(&base), times(&changed));
        assert_ne!(
            base.iter().map(|j| j.runtime).collect::<Vec<_>>(),
            changed.iter().map(|j| j.runtime).collect::<Vec<_>>()
        );
    }

    #[test]
    fn until_bounds_the_arrivals() {
        let mut s = spec();
        s.count = None;
        s.until = Some(SimTime::from_ns(3_600 * 1_000_000_000));
        let jobs = generate(s.clone(), 3);
        assert!(jobs.iter().all(|j| j.submit <= s.until.unwrap()));
        assert!(
            (40..=80).contains(&jobs.len()),
            "{} arrivals in an hour at 1/min",
            jobs.len()
        );
        assert_eq!(s.expected_count(), 60);
    }

    #[test]
    fn lognormal_median_and_uniform_bounds() {
        let mut s = spec();
        s.duration = DurationDist::LogNormal {
            median: SimDuration::from_secs(1_000),
            sigma: 1.0,
        };
        let mut runs: Vec<f64> = generate(s.clone(), 4)
            .iter()
            .map(|j| j.runtime.as_secs_f64())
            .collect();
        runs.sort_by(f64::total_cmp);
        let median = runs[runs.len() / 2];
        assert!((median / 1_000.0 - 1.0).abs() < 0.05, "median {median}");

        s.duration = DurationDist::Uniform {
            min: SimDuration::from_secs(10),
            max: SimDuration::from_secs(20),
        };
        let jobs = generate(s, 5);
        assert!(
            jobs.iter()
                .all(|j| (10.0..=20.0).contains(&j.runtime.as_secs_f64()))
        );
    }

    #[test]
    fn empirical_resamples_only_given_values() {
        let mut s = spec();
        let values = vec![SimDuration::from_secs(5), SimDuration::from_secs(50)];
        s.duration = DurationDist::Empirical {
            values: values.clone(),
            weights: Some(vec![0.0, 1.0]),
        };
        assert!(generate(s, 6).iter().all(|j| j.runtime == values[1]));
    }
}
