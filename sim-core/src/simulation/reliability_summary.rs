//! The summary's reliability block, from a run's failure counts, lost
//! GPU-time and each job's work: failures by class and per 1,000
//! node-days, lost GPU-hours by cause, availability, MTTR, and training
//! jobs' ETTR and goodput.
//!
//! Invariant: it reads the run's state and changes nothing.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{ClassFailures, JobReliability, JobState, LostGpuHours, ReliabilitySummary};
use crate::reliability::ClassKind;
use crate::scheduler::JobIndex;

use super::ClusterSim;

impl ClusterSim<'_> {
    /// The work a running tracked job has done and not lost, at `now`.
    pub(super) fn kept_work(&self, job: JobIndex, now: SimTime) -> Option<SimDuration> {
        let rel = self.reliability.as_ref()?;
        let work = rel.works.get(job as usize)?;
        let current = (rel.attempts.iter().flatten())
            .find(|a| a.job == job && a.frozen_at.is_none())
            .map_or(0, |a| a.work_at(now, work.total));
        Some(SimDuration::from_ns(current.max(work.saved)))
    }

    /// The summary's reliability block.
    pub(super) fn reliability_summary(&self, end: SimTime) -> Option<ReliabilitySummary> {
        let rel = self.reliability.as_ref()?;
        let spec = &rel.scenario.reliability;
        let nodes = rel.scenario.cluster.node_count() as f64;
        let node_days = nodes * end.as_ns() as f64 / 86_400e9;
        let per_1000 = |n: u64| {
            if node_days > 0.0 {
                n as f64 * 1000.0 / node_days
            } else {
                0.0
            }
        };
        let classes: Vec<ClassFailures> = (spec.classes.iter().enumerate())
            .map(|(i, c)| ClassFailures {
                class: c.name.clone(),
                strikes: c.target.as_str(),
                failures: rel.faults.counts[i].failures,
                per_1000_node_days: per_1000(rel.faults.counts[i].failures),
                interruptions: rel.faults.counts[i].interruptions,
            })
            .collect();
        let failures: u64 = (spec.classes.iter().zip(&classes))
            .filter(|(c, _)| matches!(c.kind, ClassKind::Unexpected { .. }))
            .map(|(_, f)| f.failures)
            .sum();
        let started = self
            .jobs
            .iter()
            .filter(|j| j.start.is_some() || j.failures > 0)
            .count();
        let hours = |ns: u128| ns as f64 / 3.6e12;
        let lost = LostGpuHours {
            rework: hours(rel.lost.rework),
            restart: hours(rel.lost.restart),
            checkpoint: hours(rel.lost.checkpoint),
            requeue_wait: hours(rel.lost.wait),
            total: hours(rel.lost.rework + rel.lost.restart + rel.lost.checkpoint + rel.lost.wait),
        };
        let total_gpu_ns = u128::from(rel.scenario.cluster.total_gpus()) * u128::from(end.as_ns());
        let training = (self.jobs.iter().enumerate())
            .filter(|(_, j)| j.job.training.is_some())
            .map(|(i, j)| {
                let work = rel.works.get(i);
                let wall = work
                    .and_then(|w| w.first_start)
                    .map(|first| j.end.unwrap_or(end).saturating_since(first).as_ns());
                let productive = work.map_or(0, |w| {
                    if j.state == JobState::Completed {
                        w.total
                    } else {
                        w.saved
                    }
                });
                let ettr = wall
                    .filter(|&w| w > 0)
                    .map(|w| productive as f64 / w as f64);
                let spec = &rel.scenario.workload.training[j.job.training.unwrap_or(0) as usize];
                let tokens_per_step = spec.ideal.tokens_per_s * spec.ideal.step_s;
                let step_ns = spec.ideal.step_s * 1e9;
                JobReliability {
                    job: j.id,
                    name: rel.scenario.workload.directory.job_names[j.job.name as usize].clone(),
                    interruptions: j.failures,
                    checkpoints: work.map_or(0, |w| w.checkpoints),
                    checkpoint_interval_s: work.and_then(|w| w.interval).map(|i| i as f64 / 1e9),
                    ettr,
                    goodput_tokens_per_s: wall
                        .filter(|&w| w > 0 && step_ns > 0.0)
                        .map(|w| productive as f64 / step_ns * tokens_per_step / (w as f64 / 1e9)),
                }
            })
            .collect();
        Some(ReliabilitySummary {
            classes,
            failures,
            failures_per_1000_node_days: per_1000(failures),
            interruptions: rel.interruptions,
            interruptions_per_job: if started > 0 {
                rel.interruptions as f64 / started as f64
            } else {
                0.0
            },
            node_fail_jobs: rel.node_fail_jobs,
            requeues: rel.requeues,
            spare_swaps: rel.spare_swaps,
            lost_gpu_hours: lost,
            node_availability: if total_gpu_ns > 0 {
                1.0 - self.recorder.down_gpu_ns() as f64 / total_gpu_ns as f64
            } else {
                1.0
            },
            mean_time_to_repair_h: (rel.faults.repairs > 0).then(|| {
                rel.faults.repair_time_total.as_secs_f64() / 3600.0 / rel.faults.repairs as f64
            }),
            repairs: rel.faults.repairs,
            drained_nodes: rel.faults.drained_nodes,
            training,
        })
    }
}
