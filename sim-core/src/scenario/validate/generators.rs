//! `workload.generators`: synthetic job streams (Poisson arrivals, sizes
//! and durations drawn from distributions, weighted users).

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::policy::{PolicyFields, PolicyOf};
use super::workload::{Context, check_request};
use super::{Error, Issues, Warning, valid_label};
use crate::engine::{SimDuration, SimTime};
use crate::units::format_duration;
use crate::workload::GpuShare;
use crate::workload::{
    Arrival, DurationDist, GeneratorSpec, JobRequest, MAX_TOTAL_JOBS, WeightedUser,
};

/// Largest log-normal sigma: beyond this a few jobs run for centuries.
pub const MAX_LOGNORMAL_SIGMA: f64 = 5.0;

impl Context<'_> {
    /// Every generator, checked and added to the workload.
    pub(super) fn generators(&mut self, list: &[file::Generator]) {
        for (i, g) in list.iter().enumerate() {
            let path = index_path("workload.generators", i);
            if !valid_label(&g.name) {
                self.issues.error(Error {
                    path: &field_path(&path, "name"),
                    message: "a generator name must be letters, digits, `-` or `_`",
                    found: &format!("\"{}\"", g.name),
                    expected: "a name like \"training\"",
                    fix: "rename it; it names the generator's random streams",
                });
            } else if list[..i].iter().any(|other| other.name == g.name) {
                self.issues.error(Error {
                    path: &field_path(&path, "name"),
                    message: &format!("two generators are named `{}`", g.name),
                    found: &format!("\"{}\"", g.name),
                    expected: "unique generator names",
                    fix: "rename one; equal names would give both the same random draws",
                });
            }
            let Some((partition, qos)) =
                self.resolve(&path, g.partition.as_deref(), g.qos.as_deref())
            else {
                continue;
            };
            // The largest job's nodes bound an elastic min_nodes.
            let nodes = self.cluster.and_then(|c| {
                (g.sizes.iter())
                    .map(|s| match s.request {
                        file::Request::Nodes {
                            count,
                            gpus_per_node,
                        } => JobRequest::Nodes {
                            count,
                            gpus_per_node,
                        },
                        file::Request::Gpus(n) => JobRequest::Gpus(n),
                        file::Request::Fraction(_) | file::Request::Mig(_) => JobRequest::Gpus(1),
                    })
                    .map(|r| r.min_nodes(c.max_gpus_per_node()))
                    .max()
            });
            let fields = PolicyFields {
                checkpoint: g.checkpoint.as_ref(),
                recovery: g.recovery,
                requeue: g.requeue,
            };
            let Some(policy) = self.policy(&path, fields, PolicyOf { nodes, model: None }) else {
                continue;
            };
            let sizes_path = field_path(&path, "sizes");
            let shares: Vec<(String, GpuShare)> = (g.sizes.iter().enumerate())
                .filter_map(|(j, s)| {
                    let at = index_path(&field_path(&index_path(&sizes_path, j), "request"), 0);
                    let share = match &s.request {
                        file::Request::Mig(name) => GpuShare::Mig {
                            profile: crate::hardware::mig::name_index(name)?,
                        },
                        file::Request::Fraction(f) if (0.0..0.9995).contains(f) => {
                            GpuShare::Fraction { milli: 1 }
                        }
                        _ => return None,
                    };
                    Some((at, share))
                })
                .collect();
            let Some((gpu_type, queue)) =
                self.kube_fields(&path, &g.gpu_type, g.queue.as_deref(), &shares)
            else {
                continue;
            };
            if let Some(mut spec) = self.generator(&path, g) {
                spec.gpu_type = gpu_type;
                spec.queue = queue;
                spec.priority = g.priority.unwrap_or(0);
                spec.partition = partition;
                spec.qos = qos;
                spec.policy = policy;
                self.spec.generators.push(spec);
            }
        }
    }

    /// One generator, minus its partition and QOS.
    fn generator(&mut self, path: &str, g: &file::Generator) -> Option<GeneratorSpec> {
        let errors_before = self.issues.errors.len();
        let file::Arrival::Poisson { mean_interarrival } = &g.arrival;
        let arrival_path = field_path(&field_path(path, "arrival"), "mean_interarrival");
        let mean_interarrival = self.issues.quantity(&arrival_path, mean_interarrival);
        if let Some(mean) = mean_interarrival {
            self.issues.positive_duration(
                &arrival_path,
                mean,
                "the mean time between arrivals",
                "use a positive gap like \"30s\"; zero would mean infinitely many jobs at once",
            );
        }
        let until_path = field_path(path, "until");
        let until = self.issues.optional(&until_path, g.until.as_ref());
        let start = self
            .issues
            .optional(&field_path(path, "start"), g.start.as_ref());
        match (g.count, &g.until) {
            (None, None) => self.issues.error(Error {
                path,
                message: "the generator never stops",
                found: "neither `count` nor `until`",
                expected: "`count: N` or `until: \"<time>\"` (or both)",
                fix: "add count: 1000, or until: \"24h\"",
            }),
            (Some(0), _) => self.issues.error(Error {
                path: &field_path(path, "count"),
                message: "a generator count must be at least 1",
                found: "0",
                expected: "a count of 1 or more",
                fix: "set how many jobs to generate, or remove the generator",
            }),
            (Some(c), _) if c > MAX_TOTAL_JOBS => self.issues.error(Error {
                path: &field_path(path, "count"),
                message: &format!("more than {MAX_TOTAL_JOBS} jobs from one generator"),
                found: &c.to_string(),
                expected: "a plausible job count",
                fix: "check for a typo; use several runs for larger studies",
            }),
            _ => {}
        }
        if let (Ok(Some(until)), Ok(start)) = (until, start) {
            let start = start.unwrap_or(SimDuration::ZERO);
            if until <= start {
                self.issues.error(Error {
                    path: &until_path,
                    message: "`until` is not after `start`",
                    found: &format!("\"{}\"", format_duration(until)),
                    expected: "a time after start",
                    fix: "make until later than start (start defaults to 0s)",
                });
            }
            if let Some(mean) = mean_interarrival
                && !mean.is_zero()
                && g.count.is_none_or(|c| c > MAX_TOTAL_JOBS)
            {
                let window_ns = until.as_ns().saturating_sub(start.as_ns());
                let expected = window_ns / mean.as_ns();
                if expected > MAX_TOTAL_JOBS {
                    self.issues.error(Error {
                        path: &until_path,
                        message: &format!("this generator would submit about {expected} jobs, more than {MAX_TOTAL_JOBS}"),
                        found: &format!(
                            "until \"{}\" with one job every \"{}\"",
                            format_duration(until),
                            format_duration(mean)
                        ),
                        expected: "a plausible number of jobs",
                        fix: "shorten `until`, lengthen the mean gap, or cap it with `count`",
                    });
                }
            }
        }

        let sizes_path = field_path(path, "sizes");
        if g.sizes.is_empty() {
            self.issues.error(Error {
                path: &sizes_path,
                message: "a generator needs at least one job size",
                found: "[]",
                expected: "a list like [(request: Gpus(8), weight: 1.0)]",
                fix: "add the sizes jobs ask for, with relative weights",
            });
        }
        self.issues.weights(
            &sizes_path,
            g.sizes
                .iter()
                .enumerate()
                .map(|(j, s)| (field_path(&index_path(&sizes_path, j), "weight"), s.weight)),
        );
        let mut sizes = Vec::new();
        for (j, s) in g.sizes.iter().enumerate() {
            let p = field_path(&index_path(&sizes_path, j), "request");
            if let Some((request, share)) = check_request(&p, &s.request, self.issues) {
                if let Some(Err(never)) = self.pool.map(|p| p.check_fits_when_idle(request))
                    && s.weight > 0.0
                {
                    self.issues.warning(Warning {
                        path: &p,
                        message: &format!("{request} can never fit on this cluster ({}); such jobs will be refused and counted", never.reason),
                        fix: "shrink the size, give it weight 0, or add nodes",
                    });
                }
                sizes.push((request, share, s.weight));
            }
        }

        let duration = build_duration(&field_path(path, "duration"), &g.duration, self.issues);
        let time_limit_factor = g.time_limit_factor.unwrap_or(1.0);
        if !(time_limit_factor.is_finite() && time_limit_factor > 0.0 && time_limit_factor <= 1e6) {
            self.issues.error(Error {
                path: &field_path(path, "time_limit_factor"),
                message: "the time-limit factor must be a positive number",
                found: &time_limit_factor.to_string(),
                expected: "a factor like 1.5 (limit = 1.5 x true runtime)",
                fix: "use a number above 0; below 1 makes jobs hit their limit",
            });
        }

        let users_path = field_path(path, "users");
        self.issues.weights(
            &users_path,
            g.users
                .iter()
                .enumerate()
                .map(|(j, u)| (field_path(&index_path(&users_path, j), "weight"), u.weight)),
        );
        for (j, u) in g.users.iter().enumerate() {
            for (field, value) in [("user", &u.user), ("account", &u.account)] {
                if value.trim().is_empty() {
                    self.issues.error(Error {
                        path: &field_path(&index_path(&users_path, j), field),
                        message: &format!("an empty {field} name"),
                        found: "\"\"",
                        expected: "a name",
                        fix: &format!("name the {field}"),
                    });
                }
            }
        }
        let users = if g.users.is_empty() {
            vec![WeightedUser {
                user: self.directory.user("user"),
                account: self.directory.account("default"),
                weight: 1.0,
            }]
        } else {
            g.users
                .iter()
                .map(|u| WeightedUser {
                    user: self.directory.user(&u.user),
                    account: self.directory.account(&u.account),
                    weight: u.weight,
                })
                .collect()
        };

        if self.issues.errors.len() > errors_before {
            return None;
        }
        let (Some(mean_interarrival), Ok(until), Ok(start)) = (mean_interarrival, until, start)
        else {
            return None;
        };
        Some(GeneratorSpec {
            name: g.name.clone(),
            job_name: self.directory.job_name(&g.name),
            arrival: Arrival::Poisson { mean_interarrival },
            count: g.count,
            until: until.map(|u| SimTime::ZERO + u),
            start: SimTime::ZERO + start.unwrap_or(SimDuration::ZERO),
            sizes,
            duration: duration?,
            time_limit_factor,
            users,
            partition: 0,
            qos: 0,
            policy: 0,
            gpu_type: 0,
            queue: 0,
            priority: 0,
        })
    }
}

fn build_duration(
    path: &str,
    d: &file::DurationDistribution,
    issues: &mut Issues,
) -> Option<DurationDist> {
    use file::DurationDistribution as F;
    let errors_before = issues.errors.len();
    let dist = match d {
        F::Exponential { mean } => {
            let mean_path = field_path(path, "mean");
            let mean = issues.quantity(&mean_path, mean);
            if let Some(mean) = mean {
                issues.positive_duration(
                    &mean_path,
                    mean,
                    "the mean duration",
                    "use a positive mean like \"1h\"",
                );
            }
            mean.map(|mean| DurationDist::Exponential { mean })
        }
        F::LogNormal { median, sigma } => {
            let median_path = field_path(path, "median");
            let median = issues.quantity(&median_path, median);
            if let Some(median) = median {
                issues.positive_duration(
                    &median_path,
                    median,
                    "the median duration",
                    "use a positive median like \"30m\"",
                );
            }
            if !(sigma.is_finite() && (0.0..=MAX_LOGNORMAL_SIGMA).contains(sigma)) {
                issues.error(Error {
                    path: &field_path(path, "sigma"),
                    message: &format!("sigma must be between 0 and {MAX_LOGNORMAL_SIGMA}"),
                    found: &sigma.to_string(),
                    expected: "a sigma like 1.0 (the spread of ln(duration))",
                    fix: "use a value between 0 and 5; measured GPU-cluster traces fit 1 to 2.5",
                });
            }
            median.map(|median| DurationDist::LogNormal {
                median,
                sigma: *sigma,
            })
        }
        F::Uniform { min, max } => {
            let min_path = field_path(path, "min");
            let min = issues.quantity(&min_path, min);
            let max = issues.quantity(&field_path(path, "max"), max);
            match (min, max) {
                (Some(min), Some(max)) => {
                    if min > max {
                        issues.error(Error {
                            path: &min_path,
                            message: "min is larger than max",
                            found: &format!(
                                "min \"{}\", max \"{}\"",
                                format_duration(min),
                                format_duration(max)
                            ),
                            expected: "min <= max",
                            fix: "swap them",
                        });
                    }
                    Some(DurationDist::Uniform { min, max })
                }
                _ => None,
            }
        }
        F::Empirical { values, weights } => {
            let values_path = field_path(path, "values");
            if values.is_empty() {
                issues.error(Error {
                    path: &values_path,
                    message: "an empirical distribution needs observed values",
                    found: "[]",
                    expected: "a list like [\"5m\", \"1h\", \"8h\"]",
                    fix: "list the observed durations",
                });
            }
            // Every value is read (and every misspelt one reported) first.
            let parsed: Vec<Option<SimDuration>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| issues.quantity(&index_path(&values_path, i), v))
                .collect();
            if let Some(w) = weights {
                if w.len() != values.len() {
                    issues.error(Error {
                        path: &field_path(path, "weights"),
                        message: "weights and values differ in length",
                        found: &format!("{} weights for {} values", w.len(), values.len()),
                        expected: "one weight per value",
                        fix: "give one weight per value, or remove weights for equal weights",
                    });
                } else {
                    issues.weights(
                        &field_path(path, "weights"),
                        w.iter()
                            .enumerate()
                            .map(|(i, &w)| (index_path(&field_path(path, "weights"), i), w)),
                    );
                }
            }
            parsed
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(|values| DurationDist::Empirical {
                    values,
                    weights: weights.clone(),
                })
        }
    };
    dist.filter(|_| issues.errors.len() == errors_before)
}
