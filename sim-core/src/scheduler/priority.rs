//! Job priority as Slurm's `priority/multifactor` plugin computes it.
//!
//! Job: turn what is known about a queued job (how long it has waited, its
//! size, its partition and QOS, its user's fair-share factor from
//! [`crate::scheduler::fairshare`], its nice value) into the integer
//! priority Slurm would give it:
//!
//! ```text
//! Job_priority = site_factor
//!              + PriorityWeightAge       * age_factor
//!              + PriorityWeightAssoc     * assoc_factor
//!              + PriorityWeightFairshare * fair-share_factor
//!              + PriorityWeightJobSize   * job_size_factor
//!              + PriorityWeightPartition * partition_factor
//!              + PriorityWeightQOS       * QOS_factor
//!              - nice_factor
//! ```
//!
//! Source: <https://slurm.schedmd.com/priority_multifactor.html>, sections
//! "Job Priority Factors In General" (the sum), "Age Factor", "Job Size
//! Factor", "Partition Factor", "Quality of Service (QOS) Factor", "Nice
//! Factor" and "Configuration" (knobs and defaults). The fair-share factor
//! comes from <https://slurm.schedmd.com/fair_tree.html> (default) or
//! <https://slurm.schedmd.com/classic_fair_share.html>. Where the pages
//! leave a detail open (job size, rounding, the lower bound) this follows
//! `_get_priority_factors()` and `_get_priority_internal()` in Slurm's
//! `src/plugins/priority/multifactor/priority_multifactor.c` (read at
//! 22.05.8; the job size code is the same since 19.05), as noted at each
//! item.
//!
//! Knobs, with Slurm's defaults ([`MultifactorWeights::default`]):
//! - `PriorityWeightAge`, `PriorityWeightAssoc`, `PriorityWeightFairshare`,
//!   `PriorityWeightJobSize`, `PriorityWeightPartition`, `PriorityWeightQOS`:
//!   unsigned 32-bit integers, default 0 (slurm.conf(5)). With every weight
//!   0 all jobs get the same priority and Slurm's tie-breaks (submit time,
//!   then job id; priority_multifactor.html, "Introduction") make the order
//!   FIFO.
//! - `PriorityMaxAge`: default `7-0`, 7 days ([`DEFAULT_MAX_AGE`]).
//! - `PriorityFavorSmall`: default `NO`.
//! - `PriorityFlags=SMALL_RELATIVE_TO_TIME`: default off.
//!
//! The job size factor, as Slurm computes it, GPUs playing CPUs (a job's
//! nodes are its fewest possible, `min_nodes`; the cluster's are all of
//! them):
//!
//! ```text
//! PriorityFavorSmall=NO:   (nodes/cluster_nodes + gpus/cluster_gpus) / 2
//! PriorityFavorSmall=YES:  ((cluster_nodes - nodes)/cluster_nodes
//!                            + (cluster_gpus - gpus)/cluster_gpus) / 2
//! SMALL_RELATIVE_TO_TIME:  max(nodes * cluster_gpus/cluster_nodes, gpus)
//!                            / time_limit_minutes / cluster_gpus
//!                          (1 - that with PriorityFavorSmall=YES)
//! ```
//!
//! so a whole-cluster job gets 1.0 (or 0.0), a one-GPU job on a large
//! cluster about 1/(2 x cluster_nodes) from its node term alone, and a job
//! spread thin over many nodes more than its GPU count suggests.
//!
//! Out of scope: TRES factors (`PriorityWeightTRES`), `PriorityFlags`
//! `NO_NORMAL_*`, `INCR_ONLY` and `CALCULATE_RUNNING`, and multi-partition
//! jobs.
//!
//! Invariants: every factor is in `[0, 1]`; the priority is an integer in
//! `[1, u32::MAX]`; nothing here panics, divides by zero or produces NaN
//! for any input; the functions are pure.

use crate::engine::SimDuration;

/// `PriorityMaxAge` Slurm default: `7-0`, seven days
/// (priority_multifactor.html, "Configuration").
pub const DEFAULT_MAX_AGE: SimDuration = SimDuration::from_secs(7 * 24 * 60 * 60);

/// The slurm.conf knobs of the multifactor plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultifactorWeights {
    /// `PriorityWeightAge`, default 0.
    pub age: u32,
    /// `PriorityWeightAssoc`, default 0.
    pub assoc: u32,
    /// `PriorityWeightFairshare`, default 0.
    pub fairshare: u32,
    /// `PriorityWeightJobSize`, default 0.
    pub job_size: u32,
    /// `PriorityWeightPartition`, default 0.
    pub partition: u32,
    /// `PriorityWeightQOS`, default 0.
    pub qos: u32,
    /// `PriorityMaxAge`: the wait at which the age factor reaches 1.0;
    /// default 7 days.
    pub max_age: SimDuration,
    /// `PriorityFavorSmall`: default `NO` (larger jobs get the larger job
    /// size factor).
    pub favor_small: bool,
    /// `PriorityFlags=SMALL_RELATIVE_TO_TIME`: default off. The job size
    /// is divided by the job's time limit in minutes.
    pub small_relative_to_time: bool,
}

impl Default for MultifactorWeights {
    /// Slurm's defaults: every weight 0, `PriorityMaxAge=7-0`,
    /// `PriorityFavorSmall=NO`.
    fn default() -> Self {
        MultifactorWeights {
            age: 0,
            assoc: 0,
            fairshare: 0,
            job_size: 0,
            partition: 0,
            qos: 0,
            max_age: DEFAULT_MAX_AGE,
            favor_small: false,
            small_relative_to_time: false,
        }
    }
}

/// What the priority of one queued job depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct JobFactorsInput {
    /// Time since the job became eligible: its submission, or its new
    /// begin time after a requeue (Slurm's `accrue_time`).
    pub age: SimDuration,
    /// GPUs the job requests; GPUs play the role Slurm gives CPUs.
    pub gpus: u64,
    /// GPUs in the cluster (Slurm's `cluster_cpus`).
    pub cluster_gpus: u64,
    /// The fewest nodes the job can run on (Slurm's `min_nodes`).
    pub nodes: u32,
    /// Nodes in the cluster (Slurm's `node_record_count`).
    pub cluster_nodes: u32,
    /// The job's time limit (for `SMALL_RELATIVE_TO_TIME`).
    pub time_limit: SimDuration,
    /// The job's partition `PriorityJobFactor`.
    pub partition_job_factor: u32,
    /// The highest `PriorityJobFactor` over all partitions.
    pub max_partition_job_factor: u32,
    /// The job's QOS `Priority`.
    pub qos_priority: u32,
    /// The highest `Priority` over all QOS.
    pub max_qos_priority: u32,
    /// The job's association `Priority`.
    pub assoc_priority: u32,
    /// The highest `Priority` over all associations.
    pub max_assoc_priority: u32,
    /// The user association's fair-share factor in `[0, 1]`.
    pub fairshare: f64,
    /// The job's nice value (`--nice`); positive lowers the priority.
    pub nice: i32,
    /// The site factor (set by an administrator or a site plugin), added
    /// unweighted.
    pub site: u32,
}

/// The normalised factors of one job, each in `[0, 1]`, as `sprio -n`
/// shows them. Unlike Slurm, a factor is computed even when its weight is
/// 0 (Slurm then leaves it at 0); the weighted sum is the same.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PriorityFactors {
    pub age: f64,
    pub assoc: f64,
    pub fairshare: f64,
    pub job_size: f64,
    pub partition: f64,
    pub qos: f64,
}

/// The normalised factors of a job (priority_multifactor.html, one section
/// per factor):
///
/// - age: `min(age, PriorityMaxAge) / PriorityMaxAge`; 1.0 when
///   `PriorityMaxAge` is 0 (Slurm's `diff < max_age` test fails then);
/// - job size: the mean of a node term and a GPU term, or with
///   `SMALL_RELATIVE_TO_TIME` the job's size per minute of its limit (see
///   the module's formula; `_get_priority_factors()`), clamped to
///   `[0, 1]`; 0 for a cluster without GPUs or nodes;
/// - partition: `PriorityJobFactor / max PriorityJobFactor`;
/// - QOS: `Priority / max Priority` over all QOS;
/// - association: `Priority / max Priority` over all associations;
/// - fair-share: passed through, clamped to `[0, 1]` (NaN gives 0).
///
/// A zero maximum gives a 0 factor; a value above its maximum gives 1.
pub fn factors(input: &JobFactorsInput, w: &MultifactorWeights) -> PriorityFactors {
    let age = if w.max_age.is_zero() {
        1.0
    } else {
        ratio(input.age.as_ns().min(w.max_age.as_ns()), w.max_age.as_ns())
    };
    let job_size = job_size(input, w);
    PriorityFactors {
        age,
        assoc: ratio(input.assoc_priority.into(), input.max_assoc_priority.into()),
        fairshare: unit(input.fairshare),
        job_size,
        partition: ratio(
            input.partition_job_factor.into(),
            input.max_partition_job_factor.into(),
        ),
        qos: ratio(input.qos_priority.into(), input.max_qos_priority.into()),
    }
}

/// Slurm's job size factor (`_get_priority_factors()`, `weight_js`), GPUs
/// for CPUs.
fn job_size(input: &JobFactorsInput, w: &MultifactorWeights) -> f64 {
    let (nodes, cluster_nodes) = (u64::from(input.nodes), u64::from(input.cluster_nodes));
    let (gpus, cluster_gpus) = (input.gpus, input.cluster_gpus);
    if cluster_gpus == 0 || cluster_nodes == 0 {
        return 0.0;
    }
    let size = if w.small_relative_to_time {
        // Job size in GPUs, at least its nodes' share of the cluster's
        // GPUs, per minute of its limit, over the cluster's GPUs.
        let by_nodes = nodes as f64 * cluster_gpus as f64 / cluster_nodes as f64;
        let minutes = input.time_limit.as_ns().div_ceil(60_000_000_000).max(1);
        let relative = by_nodes.max(gpus as f64) / minutes as f64 / cluster_gpus as f64;
        if w.favor_small {
            1.0 - relative
        } else {
            relative
        }
    } else if w.favor_small {
        (ratio(cluster_nodes.saturating_sub(nodes), cluster_nodes)
            + ratio(cluster_gpus.saturating_sub(gpus), cluster_gpus))
            / 2.0
    } else {
        (ratio(nodes, cluster_nodes) + ratio(gpus, cluster_gpus)) / 2.0
    };
    unit(size)
}

/// The job's priority: `site + Σ weight * factor - nice`, computed in
/// `f64` as Slurm does in `double`, then (`_get_priority_internal()`)
/// raised to 1 if below 1 ("Priority 0 is reserved for held jobs"),
/// truncated to an integer and capped at `u32::MAX` (the page: "an integer
/// that ranges between 0 and 4294967295").
pub fn priority(input: &JobFactorsInput, w: &MultifactorWeights) -> u32 {
    let f = factors(input, w);
    let weighted = f64::from(w.age) * f.age
        + f64::from(w.assoc) * f.assoc
        + f64::from(w.fairshare) * f.fairshare
        + f64::from(w.job_size) * f.job_size
        + f64::from(w.partition) * f.partition
        + f64::from(w.qos) * f.qos;
    let total = f64::from(input.site) + weighted - f64::from(input.nice);
    if total < 1.0 {
        1
    } else if total >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        // In range and at least 1: `as` truncates toward zero like C's
        // `(uint32_t)` conversion.
        total as u32
    }
}

/// `num / den` in `[0, 1]`; 0 when `den` is 0.
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        (num as f64 / den as f64).min(1.0)
    }
}

/// `x` clamped to `[0, 1]`, NaN to 0.
fn unit(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 60 * 60;

    fn days(d: f64) -> SimDuration {
        SimDuration::from_secs_f64(d * DAY as f64)
    }

    #[test]
    fn defaults_are_slurms() {
        // priority_multifactor.html "Configuration": PriorityMaxAge 7-0,
        // PriorityFavorSmall NO; slurm.conf(5): PriorityWeight* default 0.
        let w = MultifactorWeights::default();
        assert_eq!(w.max_age, SimDuration::from_secs(7 * DAY));
        assert!(!w.favor_small);
        assert_eq!(
            (w.age, w.assoc, w.fairshare, w.job_size, w.partition, w.qos),
            (0, 0, 0, 0, 0, 0)
        );
        // All weights 0: every job gets the same priority, so the queue
        // falls back to submit order (FIFO).
        let young = JobFactorsInput {
            gpus: 1,
            cluster_gpus: 8,
            fairshare: 0.9,
            ..Default::default()
        };
        let old = JobFactorsInput {
            age: days(30.0),
            gpus: 8,
            cluster_gpus: 8,
            ..Default::default()
        };
        assert_eq!(priority(&young, &w), priority(&old, &w));
    }

    #[test]
    fn age_factor() {
        // priority_multifactor.html "Age Factor": grows with the wait and
        // maxes out at 1.0 at PriorityMaxAge (7 days by default).
        let w = MultifactorWeights::default();
        let at = |d: f64| {
            factors(
                &JobFactorsInput {
                    age: days(d),
                    ..Default::default()
                },
                &w,
            )
            .age
        };
        assert_eq!(at(0.0), 0.0);
        assert_eq!(at(3.5), 0.5);
        assert_eq!(at(7.0), 1.0);
        assert_eq!(at(10.0), 1.0);
        assert!((at(1.0) - 1.0 / 7.0).abs() < 1e-12);
        let no_max = MultifactorWeights {
            max_age: SimDuration::ZERO,
            ..w
        };
        assert_eq!(factors(&JobFactorsInput::default(), &no_max).age, 1.0);
    }

    /// The job size factor of `gpus` GPUs on at least `nodes` nodes of a
    /// cluster of 8 nodes x 8 GPUs, with a `minutes` time limit.
    fn js(nodes: u32, gpus: u64, minutes: u64, w: &MultifactorWeights) -> f64 {
        let input = JobFactorsInput {
            gpus,
            cluster_gpus: 64,
            nodes,
            cluster_nodes: 8,
            time_limit: SimDuration::from_secs(minutes * 60),
            ..Default::default()
        };
        factors(&input, w).job_size
    }

    #[test]
    fn job_size_factor_averages_a_node_and_a_gpu_term() {
        // _get_priority_factors() (priority_multifactor.c, 22.05.8),
        // favour large: (min_nodes/node_count + cpus/cluster_cpus) / 2,
        // GPUs for CPUs; favour small: the complements, averaged.
        let large = MultifactorWeights::default();
        let small = MultifactorWeights {
            favor_small: true,
            ..large
        };
        // 16 GPUs on 2 nodes: (2/8 + 16/64) / 2 = 0.25; small 0.75.
        assert_eq!(js(2, 16, 60, &large), 0.25);
        assert_eq!(js(2, 16, 60, &small), 0.75);
        // 16 GPUs spread over 8 nodes: (8/8 + 16/64) / 2 = 0.625.
        assert_eq!(js(8, 16, 60, &large), 0.625);
        // 1 GPU: (1/8 + 1/64) / 2 = 9/128; small (7/8 + 63/64) / 2.
        assert_eq!(js(1, 1, 60, &large), 9.0 / 128.0);
        assert_eq!(js(1, 1, 60, &small), 119.0 / 128.0);
        // The whole cluster: 1.0, or 0.0 favouring small jobs.
        assert_eq!(js(8, 64, 60, &large), 1.0);
        assert_eq!(js(8, 64, 60, &small), 0.0);
        // Beyond the cluster: clamped.
        assert_eq!(js(9, 100, 60, &large), 1.0);
        assert_eq!(js(9, 100, 60, &small), 0.0);
        // No GPUs or no nodes: 0.
        let empty = JobFactorsInput {
            gpus: 4,
            nodes: 1,
            ..Default::default()
        };
        assert_eq!(factors(&empty, &large).job_size, 0.0);
        assert_eq!(factors(&empty, &small).job_size, 0.0);
    }

    #[test]
    fn job_size_small_relative_to_time() {
        // PriorityFlags=SMALL_RELATIVE_TO_TIME: max(min_nodes *
        // cluster_cpus / node_count, cpus) / time_limit (minutes) /
        // cluster_cpus, then 1 - that with PriorityFavorSmall.
        let relative = MultifactorWeights {
            small_relative_to_time: true,
            ..MultifactorWeights::default()
        };
        let small = MultifactorWeights {
            favor_small: true,
            ..relative
        };
        // 16 GPUs on 2 nodes, 1 minute: max(2 * 8, 16) / 1 / 64 = 0.25.
        assert_eq!(js(2, 16, 1, &relative), 0.25);
        // 4 GPUs spread over 4 nodes, 2 minutes: max(32, 4) / 2 / 64.
        assert_eq!(js(4, 4, 2, &relative), 0.25);
        assert_eq!(js(4, 4, 2, &small), 0.75);
        // The whole cluster for an hour: 64 / 60 / 64 = 1/60.
        assert_eq!(js(8, 64, 60, &relative), 1.0 / 60.0);
    }

    #[test]
    fn partition_qos_and_assoc_normalisation() {
        // priority_multifactor.html "Partition Factor", "Quality of
        // Service (QOS) Factor", "Association Factor": the value normalised
        // to the highest over all partitions / QOS / associations.
        let input = JobFactorsInput {
            partition_job_factor: 5,
            max_partition_job_factor: 10,
            qos_priority: 300,
            max_qos_priority: 1200,
            assoc_priority: 3,
            max_assoc_priority: 4,
            ..Default::default()
        };
        let f = factors(&input, &MultifactorWeights::default());
        assert_eq!((f.partition, f.qos, f.assoc), (0.5, 0.25, 0.75));
        let none = factors(&JobFactorsInput::default(), &MultifactorWeights::default());
        assert_eq!((none.partition, none.qos, none.assoc), (0.0, 0.0, 0.0));
        let over = JobFactorsInput {
            qos_priority: 9,
            max_qos_priority: 3,
            fairshare: f64::NAN,
            ..Default::default()
        };
        let f = factors(&over, &MultifactorWeights::default());
        assert_eq!((f.qos, f.fairshare), (1.0, 0.0));
    }

    fn doc_weights() -> MultifactorWeights {
        // The weights of priority_multifactor.html "Configuration Example"
        // with PriorityWeightQOS=1000 and the default PriorityMaxAge.
        MultifactorWeights {
            age: 1000,
            fairshare: 10000,
            job_size: 1000,
            partition: 1000,
            qos: 1000,
            ..MultifactorWeights::default()
        }
    }

    fn doc_job() -> JobFactorsInput {
        JobFactorsInput {
            age: days(3.5),
            gpus: 16,
            cluster_gpus: 64,
            nodes: 2,
            cluster_nodes: 8,
            partition_job_factor: 5,
            max_partition_job_factor: 10,
            qos_priority: 250,
            max_qos_priority: 1000,
            fairshare: 0.375,
            ..Default::default()
        }
    }

    #[test]
    fn full_sum_by_hand() {
        // "Job Priority Factors In General":
        //   age       1000  * 3.5/7    =  500
        //   fairshare 10000 * 0.375    = 3750
        //   job size  1000  * (2/8 + 16/64)/2 = 250
        //   partition 1000  * 5/10     =  500
        //   QOS       1000  * 250/1000 =  250
        //   total                      = 5250
        let (w, job) = (doc_weights(), doc_job());
        let f = factors(&job, &w);
        assert_eq!(
            f,
            PriorityFactors {
                age: 0.5,
                assoc: 0.0,
                fairshare: 0.375,
                job_size: 0.25,
                partition: 0.5,
                qos: 0.25,
            }
        );
        assert_eq!(priority(&job, &w), 5250);
        // The site factor is added unweighted.
        let site = JobFactorsInput { site: 10, ..job };
        assert_eq!(priority(&site, &w), 5260);
        // Favouring small jobs: job size 1000 * (6/8 + 48/64)/2 = 750.
        let small = MultifactorWeights {
            favor_small: true,
            ..w
        };
        assert_eq!(priority(&job, &small), 5750);
        // Fractions are truncated: 10000 * 0.12345 = 1234.5 -> 1234, so
        // 500 + 1234 + 250 + 500 + 250 = 2734.
        let frac = JobFactorsInput {
            fairshare: 0.12345,
            ..job
        };
        assert_eq!(priority(&frac, &w), 2734);
    }

    #[test]
    fn nice_subtracts_and_negative_nice_adds() {
        // "Nice Factor": positive values lower the priority, negative
        // values raise it.
        let (w, job) = (doc_weights(), doc_job());
        assert_eq!(priority(&JobFactorsInput { nice: 100, ..job }, &w), 5150);
        assert_eq!(priority(&JobFactorsInput { nice: -100, ..job }, &w), 5350);
    }

    #[test]
    fn priority_is_clamped() {
        // Below 1 becomes 1 (0 is reserved for held jobs in Slurm).
        let w = doc_weights();
        let low = JobFactorsInput {
            nice: i32::MAX,
            ..doc_job()
        };
        assert_eq!(priority(&low, &w), 1);
        assert_eq!(priority(&JobFactorsInput::default(), &w), 1);
        // Above u32::MAX is capped.
        let max = MultifactorWeights {
            age: u32::MAX,
            assoc: u32::MAX,
            fairshare: u32::MAX,
            job_size: u32::MAX,
            partition: u32::MAX,
            qos: u32::MAX,
            ..MultifactorWeights::default()
        };
        let high = JobFactorsInput {
            age: days(30.0),
            gpus: 64,
            cluster_gpus: 64,
            nodes: 8,
            cluster_nodes: 8,
            time_limit: SimDuration::from_secs(60),
            partition_job_factor: 1,
            max_partition_job_factor: 1,
            qos_priority: 1,
            max_qos_priority: 1,
            assoc_priority: 1,
            max_assoc_priority: 1,
            fairshare: 1.0,
            nice: i32::MIN,
            site: u32::MAX,
        };
        assert_eq!(priority(&high, &max), u32::MAX);
        let just_site = JobFactorsInput {
            site: u32::MAX,
            ..Default::default()
        };
        assert_eq!(
            priority(&just_site, &MultifactorWeights::default()),
            u32::MAX
        );
    }
}
