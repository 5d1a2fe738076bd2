//! The summary of a run: the figures scripts and studies read.
//!
//! The JSON keys are a public contract (`scenario`, `seed`, `jobs`,
//! `makespan_s`, `gpu_utilization`, `wait_s`, `bounded_slowdown_mean`,
//! `throughput_jobs_per_hour`, `events`); add keys, never rename them.
//!
//! Definitions:
//! - makespan: from the first submission to the end of the run (the last
//!   event handled, or the horizon when the run stopped there);
//! - GPU utilization: busy GPU-time over (all GPUs x makespan);
//! - wait: start - submit, over jobs that started;
//! - bounded slowdown (Feitelson et al., "Theory and practice in parallel
//!   job scheduling", JSSPP 1997): max(1, (wait + run) / max(run, tau)) with
//!   tau = 10 s, averaged over jobs that finished;
//! - percentiles: linear interpolation between closest ranks (Hyndman &
//!   Fan's type 7, numpy's default), so the median of an even count is the
//!   mean of the middle two;
//! - throughput: finished jobs per hour of makespan;
//! - delivered GPU-hours of an account: GPU-time its jobs held, including
//!   work later lost to preemption; an account's delivered share is its
//!   part of all delivered GPU-hours, set against its configured share
//!   (normalised top-level fairshare shares);
//! - Jain's fairness index (Jain, Chiu & Hawe, DEC-TR-301, 1984) over the
//!   accounts' delivered / configured share ratios: 1 when every account
//!   got exactly its share, 1/n when one account got everything.
//!
//! Statistics over an empty set are `null`, not zero.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CostSummary, JobRecord, JobState, PowerSummary, Recorder, ReliabilitySummary};
use crate::engine::{SimDuration, SimTime};
use crate::training::StepReport;
use crate::workload::TraceImport;

/// tau of the bounded slowdown, in seconds.
pub const BOUNDED_SLOWDOWN_TAU_S: f64 = 10.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub jobs: JobCounts,
    pub makespan_s: f64,
    pub gpu_utilization: f64,
    pub wait_s: WaitStats,
    pub bounded_slowdown_mean: Option<f64>,
    pub throughput_jobs_per_hour: f64,
    pub events: u64,
    pub stop_reason: StopReason,
    pub nodes: u64,
    pub gpus: u64,
    pub scheduling: SchedulingSummary,
    /// Per-account shares; present when the workload has 2+ accounts.
    pub fairness: Option<FairnessSummary>,
    /// What the trace import kept, dropped and changed (trace replays).
    pub trace_import: Option<TraceImport>,
    /// Each training job's run: step time, throughput, MFU and cost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub training: Vec<TrainingJobSummary>,
    /// Failures, repairs, checkpoints and ETTR; present when the scenario
    /// has failure classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reliability: Option<ReliabilitySummary>,
    /// Energy and power; present when the scenario models power.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<PowerSummary>,
    /// What the run cost; present when the scenario reports cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostSummary>,
    /// Shared GPUs: allocation and fragmentation (FGD's measure); present
    /// when some job shares a GPU or time-slicing is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing: Option<SharingSummary>,
}

/// GPU capacity allocated and fragmented, averaged over the run (time
/// integrals over all GPUs × the run's end), as the FGD paper (Weng et
/// al., ATC'23) measures them (`scheduler/fragmentation.rs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SharingSummary {
    /// Jobs that asked for a fraction or MIG slice of a GPU.
    pub shared_jobs: u64,
    /// Allocated GPU capacity (whole GPUs held plus the shares of shared
    /// GPUs) over all GPU capacity.
    pub gpu_allocation_rate: f64,
    /// Free GPU capacity the workload's next task could not use, over all
    /// GPU capacity.
    pub fragmentation_rate: f64,
    /// The same over the free capacity only.
    pub fragmented_share_of_free: f64,
}

/// What the scheduler did beyond starting jobs in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SchedulingSummary {
    pub backfill_cycles: u64,
    /// Jobs started by backfilling ahead of a higher-priority job.
    pub backfilled_jobs: u64,
    pub preemptions: u64,
    pub requeues: u64,
    /// GPU-hours of work thrown away by preemption.
    pub lost_gpu_hours: f64,
    /// Mean leaf switches spanned by multi-node jobs (with a topology).
    pub multi_node_mean_leaf_switches: Option<f64>,
    /// GPUs held at the end by jobs that placed only some of their pods
    /// (non-gang scheduling); non-zero with `"deadlock"`.
    pub held_gpus_at_end: u64,
}

/// Each account's delivered GPU-hours against its configured share.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FairnessSummary {
    pub accounts: Vec<AccountShare>,
    pub jain_index: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountShare {
    pub account: String,
    pub configured_share: f64,
    pub delivered_gpu_hours: f64,
    pub delivered_share: f64,
}

/// Delivered GPU-hours per account against `configured_shares` (one per
/// entry of `accounts`, summing to 1). `None` with fewer than two
/// accounts.
pub fn fairness(
    jobs: &[JobRecord],
    accounts: &[String],
    configured_shares: &[f64],
) -> Option<FairnessSummary> {
    if accounts.len() < 2 {
        return None;
    }
    let mut gpu_ns = vec![0u128; accounts.len()];
    for job in jobs {
        let held =
            job.run().map_or(0, |r| r.as_ns() as u128) * u128::from(job.job.request.total_gpus());
        gpu_ns[job.job.account.0 as usize] += held + job.lost_gpu_ns;
    }
    let total: u128 = gpu_ns.iter().sum();
    let shares: Vec<AccountShare> = accounts
        .iter()
        .zip(&gpu_ns)
        .zip(configured_shares)
        .map(|((account, &ns), &configured)| AccountShare {
            account: account.clone(),
            configured_share: configured,
            delivered_gpu_hours: ns as f64 / 3.6e12,
            delivered_share: if total == 0 {
                0.0
            } else {
                ns as f64 / total as f64
            },
        })
        .collect();
    let ratios: Vec<f64> = shares
        .iter()
        .filter(|s| s.configured_share > 0.0)
        .map(|s| s.delivered_share / s.configured_share)
        .collect();
    Some(FairnessSummary {
        jain_index: jain_index(&ratios),
        accounts: shares,
    })
}

/// Jain's fairness index (Jain, Chiu & Hawe 1984): `(Σx)^2 / (n Σx^2)`,
/// 1 when all values are equal and `1/n` when one of `n` is non-zero.
/// `None` for an empty input, all zeros, or a non-finite result.
pub fn jain_index(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let sum: f64 = values.iter().sum();
    let sum_sq: f64 = values.iter().map(|x| x * x).sum();
    if sum_sq == 0.0 {
        return None;
    }
    let j = sum * sum / (values.len() as f64 * sum_sq);
    j.is_finite().then_some(j)
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobCounts {
    pub submitted: u64,
    pub completed: u64,
    /// Killed at their time limit (TIMEOUT).
    pub killed: u64,
    /// Could never fit on the cluster.
    pub refused: u64,
    /// Preempted and cancelled (not requeued).
    pub preempted: u64,
    /// Ended NODE_FAIL: a node failed under them and they were not
    /// requeued.
    pub node_fail: u64,
    /// Still running when the run stopped (horizon or event budget).
    pub running_at_end: u64,
    /// Still queued when the run stopped.
    pub pending_at_end: u64,
    /// Of those, the jobs that could never start, by Slurm's reason
    /// (`{"PartitionTimeLimit": 2}`); empty when there are none.
    pub pending_reasons: BTreeMap<&'static str, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WaitStats {
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

/// The `q`-quantile (0..=1) of sorted `values`, type 7; `None` if empty.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = q.clamp(0.0, 1.0) * last as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
}

/// max(1, (wait + run) / max(run, 10 s)).
pub fn bounded_slowdown(wait: SimDuration, run: SimDuration) -> f64 {
    let wait_s = wait.as_secs_f64();
    let run_s = run.as_secs_f64();
    ((wait_s + run_s) / run_s.max(BOUNDED_SLOWDOWN_TAU_S)).max(1.0)
}

/// Why a run ended; serialized in snake_case (`"all_work_done"`), the
/// summary's and the trace's public spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every job ended, was refused, or waits for a partition limit to
    /// change (`EnforcePartLimits=NO`); nothing is left to happen.
    AllWorkDone,
    /// The scenario's `stop.horizon` was reached.
    Horizon,
    /// The scenario's `stop.max_events` was spent.
    EventBudget,
    /// Jobs still wait but nothing can ever start them (partial
    /// placements without gang scheduling).
    Deadlock,
    /// The next event lies at or beyond the end of representable time
    /// (`SimTime::MAX`, about 584 years): a submission, run time or time
    /// limit too large for the clock. The run stops there; no bundled
    /// scenario comes near it.
    EndOfTime,
}

impl StopReason {
    /// The serialized name, `"all_work_done"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::AllWorkDone => "all_work_done",
            StopReason::Horizon => "horizon",
            StopReason::EventBudget => "event_budget",
            StopReason::Deadlock => "deadlock",
            StopReason::EndOfTime => "end_of_time",
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the summary needs besides the job records.
pub struct RunTotals<'a> {
    pub scenario: &'a str,
    pub seed: u64,
    pub end: SimTime,
    pub events: u64,
    pub stop_reason: StopReason,
    pub nodes: u64,
    pub gpus: u64,
    pub scheduling: SchedulingSummary,
    pub fairness: Option<FairnessSummary>,
    pub trace_import: Option<TraceImport>,
    pub training: Vec<TrainingJobSummary>,
    pub reliability: Option<ReliabilitySummary>,
    pub power: Option<PowerSummary>,
    pub cost: Option<CostSummary>,
    pub sharing: Option<SharingSummary>,
}

pub fn summarize(jobs: &[JobRecord], recorder: &Recorder, totals: RunTotals<'_>) -> Summary {
    let mut counts = JobCounts {
        submitted: jobs.len() as u64,
        ..JobCounts::default()
    };
    let mut waits = Vec::with_capacity(jobs.len());
    let mut slowdown_sum = 0.0;
    for job in jobs {
        match job.state {
            JobState::Completed => counts.completed += 1,
            JobState::Timeout => counts.killed += 1,
            JobState::Refused => counts.refused += 1,
            JobState::Running => counts.running_at_end += 1,
            JobState::Pending => {
                counts.pending_at_end += 1;
                if let Some(reason) = job.reason {
                    *counts.pending_reasons.entry(reason.as_str()).or_insert(0) += 1;
                }
            }
            JobState::Preempted => counts.preempted += 1,
            JobState::NodeFail => counts.node_fail += 1,
        }
        if let Some(wait) = job.wait() {
            waits.push(wait.as_secs_f64());
        }
        if job.state.is_finished() {
            let run = job.run().expect("a finished job has a start and an end");
            slowdown_sum += bounded_slowdown(job.wait().expect("finished jobs started"), run);
        }
    }
    let finished = counts.completed + counts.killed;
    waits.sort_by(f64::total_cmp);

    let first_submit = jobs
        .iter()
        .map(|j| j.job.submit)
        .min()
        .unwrap_or(SimTime::ZERO);
    let makespan = totals.end.saturating_since(first_submit);
    let makespan_s = makespan.as_secs_f64();
    let capacity_gpu_ns = u128::from(totals.gpus) * u128::from(makespan.as_ns());
    let gpu_utilization = if capacity_gpu_ns == 0 {
        0.0
    } else {
        (recorder.busy_gpu_ns() as f64 / capacity_gpu_ns as f64).min(1.0)
    };

    Summary {
        scenario: totals.scenario.to_string(),
        seed: totals.seed,
        jobs: counts,
        makespan_s,
        gpu_utilization,
        wait_s: WaitStats {
            mean: (!waits.is_empty()).then(|| waits.iter().sum::<f64>() / waits.len() as f64),
            median: percentile(&waits, 0.5),
            p95: percentile(&waits, 0.95),
            max: waits.last().copied(),
        },
        bounded_slowdown_mean: (finished > 0).then(|| slowdown_sum / finished as f64),
        throughput_jobs_per_hour: if makespan_s > 0.0 {
            finished as f64 / (makespan_s / 3_600.0)
        } else {
            0.0
        },
        events: totals.events,
        stop_reason: totals.stop_reason,
        nodes: totals.nodes,
        gpus: totals.gpus,
        scheduling: totals.scheduling,
        fairness: totals.fairness,
        trace_import: totals.trace_import,
        training: totals.training,
        reliability: totals.reliability,
        power: totals.power,
        cost: totals.cost,
        sharing: totals.sharing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [50, 95]) == [2.5, 3.85]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.5), Some(2.5));
        assert!((percentile(&v, 0.95).unwrap() - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 0.95), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn bounded_slowdown_follows_its_definition() {
        let s = SimDuration::from_secs;
        // A 1 s job that waited 9 s: (9 + 1) / max(1, 10) = 1, not 10.
        assert_eq!(bounded_slowdown(s(9), s(1)), 1.0);
        // A 100 s job that waited 300 s: (300 + 100) / 100 = 4.
        assert_eq!(bounded_slowdown(s(300), s(100)), 4.0);
        // Never below 1.
        assert_eq!(bounded_slowdown(s(0), s(0)), 1.0);
    }

    #[test]
    fn jain_index_bounds() {
        assert_eq!(jain_index(&[]), None);
        assert_eq!(jain_index(&[0.0, 0.0]), None);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12;
        assert!(close(jain_index(&[3.0, 3.0, 3.0, 3.0]).unwrap(), 1.0));
        assert!(close(jain_index(&[0.0, 7.0, 0.0, 0.0]).unwrap(), 0.25));
        // (1+3)^2 / (2 * (1+9)) = 16/20.
        assert!(close(jain_index(&[1.0, 3.0]).unwrap(), 0.8));
        assert_eq!(jain_index(&[f64::INFINITY, 1.0]), None);
    }
}

/// What a training job did, for the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainingJobSummary {
    /// The job's id (as in jobs.csv).
    pub job: u64,
    pub name: String,
    pub model: String,
    pub gpu: String,
    pub gpus: u64,
    pub nodes: u32,
    pub leaf_switches: u32,
    pub steps: u64,
    pub steps_done: u64,
    /// Mean step time as run; in flow mode it includes contention.
    pub step_s: f64,
    /// The step on a non-blocking fabric with nothing else running.
    pub ideal_step_s: f64,
    /// The step as simulated at its start on its placement (analytic).
    pub breakdown: StepBreakdown,
    pub tokens_per_s: f64,
    pub model_tflops_per_gpu: f64,
    pub mfu: f64,
    pub gpu_hours: f64,
    /// What the run cost: the job's share of the cluster's cost when the
    /// scenario reports cost, else its GPU-hours at the GPU model's
    /// indicative price.
    pub cost_usd: f64,
    /// `cost_usd` per million tokens trained.
    pub usd_per_million_tokens: f64,
    /// Energy its GPUs drew (with their share of idle power), when the
    /// scenario models power.
    pub energy_kwh: Option<f64>,
}

/// Where a step's time goes, in seconds. The top-level parts
/// (`compute_s`, the `exposed_*` parts and `bubble_s`) sum to the step;
/// `compute` splits `compute_s` by kernel class, its four parts summing to
/// `compute_s`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StepBreakdown {
    pub compute_s: f64,
    pub compute: ComputeBreakdown,
    pub exposed_tp_s: f64,
    pub exposed_cp_s: f64,
    pub exposed_pp_s: f64,
    pub exposed_dp_s: f64,
    pub exposed_moe_s: f64,
    pub bubble_s: f64,
}

/// A step's compute by kernel class (see `training::compute`), in seconds;
/// the parts are disjoint and sum to [`StepBreakdown::compute_s`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComputeBreakdown {
    /// The linear layers', logits' and router's GEMMs.
    pub gemm_s: f64,
    /// The attention core.
    pub attention_s: f64,
    /// Memory-bound kernels in the passes (norms, activations, residual
    /// adds, FP8 casts, embedding, loss), without the optimizer step.
    pub memory_s: f64,
    /// The optimizer step, once per step after the pipeline drains.
    pub optimizer_s: f64,
}

impl StepBreakdown {
    pub fn of(r: &StepReport) -> Self {
        StepBreakdown {
            compute_s: r.compute_s,
            compute: ComputeBreakdown {
                gemm_s: r.compute_gemm_s,
                attention_s: r.compute_attention_s,
                // The report's memory-bound part includes the optimizer.
                memory_s: r.compute_memory_s - r.optimizer_s,
                optimizer_s: r.optimizer_s,
            },
            exposed_tp_s: r.exposed_tp_s,
            exposed_cp_s: r.exposed_cp_s,
            exposed_pp_s: r.exposed_pp_s,
            exposed_dp_s: r.exposed_dp_s,
            exposed_moe_s: r.exposed_moe_s,
            bubble_s: r.bubble_s,
        }
    }
}

#[cfg(test)]
mod breakdown_tests {
    use super::*;
    use crate::collective::{CollectiveOp, GroupShape};
    use crate::hardware::Catalog;
    use crate::training::{self, CommModel, Layout, Precision, Recompute};

    /// Every collective costs a millisecond.
    struct MillisecondComm;
    impl CommModel for MillisecondComm {
        fn collective_s(&self, _: CollectiveOp, _: f64, shape: GroupShape) -> f64 {
            if shape.ranks > 1 { 1e-3 } else { 0.0 }
        }
    }

    #[test]
    fn the_breakdown_carries_the_compute_split_and_its_parts_sum_to_the_step() {
        let gpu = Catalog::builtin().gpu("H100-SXM-80GB").unwrap().clone();
        let layout = Layout {
            virtual_stages: 2,
            sequence_parallel: true,
            zero_stage: 1,
            recompute: Recompute::Selective,
            ..Layout::new(2, 4, 2, 1, 16)
        };
        let model = training::model::llama3_8b();
        let r = training::step(&model, &layout, Precision::Fp8, &gpu, 8, &MillisecondComm).unwrap();
        let b = StepBreakdown::of(&r);
        let c = &b.compute;
        assert!(c.gemm_s > 0.0 && c.attention_s > 0.0 && c.memory_s > 0.0 && c.optimizer_s > 0.0);
        let compute = c.gemm_s + c.attention_s + c.memory_s + c.optimizer_s;
        assert!((compute - b.compute_s).abs() <= 1e-12 * b.compute_s);
        let step = b.compute_s
            + b.exposed_tp_s
            + b.exposed_cp_s
            + b.exposed_pp_s
            + b.exposed_dp_s
            + b.exposed_moe_s
            + b.bubble_s;
        assert!((step - r.step_s).abs() <= 1e-9 * r.step_s);
        let json = serde_json::to_value(&b).unwrap();
        for key in ["gemm_s", "attention_s", "memory_s", "optimizer_s"] {
            assert!(json["compute"][key].is_number(), "{key}: {json}");
        }
    }
}
