//! Partition and QOS limits: whether a job could ever run here
//! ([`Scheduler::admit`], checked once at submission: a job that never
//! could is refused, not queued, or under `EnforcePartLimits=NO` held
//! pending with Slurm's reason) and whether it may start now
//! (`within_limits`, checked at every pass).
//!
//! Invariants:
//! - a refused job's reason names the limit in Slurm's words (`MaxTime`,
//!   `MaxNodes`, `MaxTRESPerUser`, `GrpTRES`) and its value;
//! - a job over its partition's `MaxTime` or `MaxNodes` is refused only
//!   under `EnforcePartLimits=ANY|ALL`; under `NO` (Slurm's default) it is
//!   admitted with a [`PendingReason`] and never queued;
//! - `within_limits` counts the GPUs of running jobs only (`qos_gpus`,
//!   `user_qos_gpus`, kept by starts and ends), never queued ones.

use super::{EnforcePartLimits, NeverFits, Partition, Scheduler};
use crate::units::format_duration;
use crate::workload::SubmittedJob;

/// Why a job stays PENDING for good, in Slurm's words (`squeue`'s REASON,
/// `job_reason_string()` in `src/common/slurm_protocol_defs.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PendingReason {
    /// `WAIT_PART_TIME_LIMIT`: its time limit exceeds its partition's
    /// `MaxTime`.
    PartitionTimeLimit,
    /// `WAIT_PART_NODE_LIMIT`: it needs more nodes than its partition's
    /// `MaxNodes`.
    PartitionNodeLimit,
}

impl PendingReason {
    /// Slurm's spelling, `"PartitionTimeLimit"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PendingReason::PartitionTimeLimit => "PartitionTimeLimit",
            PendingReason::PartitionNodeLimit => "PartitionNodeLimit",
        }
    }
}

/// The partition limit (`MaxTime`, then `MaxNodes`) `job` exceeds, if
/// any, with what it asks and what the partition allows in words (nodes:
/// [`crate::workload::JobRequest::min_nodes`]). Slurm checks both in `_part_access_check()`
/// (`src/slurmctld/job_mgr.c`).
pub fn partition_limit_exceeded(
    job: &SubmittedJob,
    partition: &Partition,
    max_node_gpus: u32,
) -> Option<(PendingReason, String)> {
    if let Some(max) = partition.max_time.filter(|&max| job.time_limit > max) {
        return Some((
            PendingReason::PartitionTimeLimit,
            format!(
                "its time limit {} exceeds MaxTime {} of partition {}",
                format_duration(job.time_limit),
                format_duration(max),
                partition.name
            ),
        ));
    }
    let min_nodes = job.request.min_nodes(max_node_gpus);
    partition
        .max_nodes
        .filter(|&max| min_nodes > max)
        .map(|max| {
            (
                PendingReason::PartitionNodeLimit,
                format!(
                    "it needs {min_nodes} nodes; partition {} allows {max} per job (MaxNodes)",
                    partition.name
                ),
            )
        })
}

impl Scheduler {
    /// Whether the job could ever run here: it fits its partition when
    /// idle and respects the partition's and QOS's per-job limits. A job
    /// over a partition limit is refused under `EnforcePartLimits=ANY|ALL`
    /// and admitted with its [`PendingReason`] under `NO`: it is PENDING
    /// for good and must not be queued.
    pub fn admit(&self, job: &SubmittedJob) -> Result<Option<PendingReason>, NeverFits> {
        let partition = &self.config.partitions[job.partition as usize];
        let qos = &self.config.qos[job.qos as usize];
        self.pool
            .check_fits_when_idle_in(job.request, &partition.nodes)?;
        let over = partition_limit_exceeded(job, partition, self.max_node_gpus);
        if let Some((_, reason)) = &over
            && self.config.enforce_part_limits != EnforcePartLimits::No
        {
            return Err(NeverFits {
                reason: reason.clone(),
            });
        }
        let gpus = job.request.total_gpus();
        for (limit, what) in [
            (qos.max_gpus_per_user, "MaxTRESPerUser"),
            (qos.grp_gpus, "GrpTRES"),
        ] {
            if let Some(max) = limit.filter(|&max| gpus > max) {
                return Err(NeverFits {
                    reason: format!(
                        "it asks for {gpus} GPUs; QOS {} allows {max} ({what}=gres/gpu={max})",
                        qos.name
                    ),
                });
            }
        }
        Ok(over.map(|(reason, _)| reason))
    }

    /// Whether the job may start now under its QOS's `GrpTRES` and
    /// `MaxTRESPerUser` on GPUs, given what runs; a job over a limit waits
    /// without blocking others.
    pub(super) fn within_limits(&self, ticket: &SubmittedJob) -> bool {
        if !self.has_qos_limits {
            return true;
        }
        let qos = &self.config.qos[ticket.qos as usize];
        let gpus = ticket.request.total_gpus();
        if qos
            .grp_gpus
            .is_some_and(|max| self.qos_gpus[ticket.qos as usize] + gpus > max)
        {
            return false;
        }
        qos.max_gpus_per_user.is_none_or(|max| {
            let held = self
                .user_qos_gpus
                .get(&(ticket.qos, ticket.user))
                .copied()
                .unwrap_or(0);
            held + gpus <= max
        })
    }
}
