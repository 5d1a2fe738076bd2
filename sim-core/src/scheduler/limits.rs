//! Partition and QOS limits: whether a job could ever run here
//! ([`Scheduler::admit`], checked once at submission: a job that never
//! could is refused, not queued) and whether it may start now
//! (`within_limits`, checked at every pass).
//!
//! Invariants:
//! - a refused job's reason names the limit in Slurm's words (`MaxTime`,
//!   `MaxNodes`, `MaxTRESPerUser`, `GrpTRES`) and its value;
//! - `within_limits` counts the GPUs of running jobs only (`qos_gpus`,
//!   `user_qos_gpus`, kept by starts and ends), never queued ones.

use super::{NeverFits, Scheduler};
use crate::units::format_duration;
use crate::workload::{JobRequest, SubmittedJob};

impl Scheduler {
    /// Whether the job could ever run here: it fits its partition when
    /// idle and respects the partition's and QOS's per-job limits.
    pub fn admit(&self, job: &SubmittedJob) -> Result<(), NeverFits> {
        let partition = &self.config.partitions[job.partition as usize];
        let qos = &self.config.qos[job.qos as usize];
        self.pool
            .check_fits_when_idle_in(job.request, &partition.nodes)?;
        if let Some(max) = partition.max_time.filter(|&max| job.time_limit > max) {
            return Err(NeverFits {
                reason: format!(
                    "its time limit {} exceeds MaxTime {} of partition {}",
                    format_duration(job.time_limit),
                    format_duration(max),
                    partition.name
                ),
            });
        }
        let min_nodes = match job.request {
            JobRequest::Nodes { count, .. } => count,
            JobRequest::Gpus(n) => n.div_ceil(self.max_node_gpus.max(1)),
        };
        if let Some(max) = partition.max_nodes.filter(|&max| min_nodes > max) {
            return Err(NeverFits {
                reason: format!(
                    "it needs {min_nodes} nodes; partition {} allows {max} per job (MaxNodes)",
                    partition.name
                ),
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
        Ok(())
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
