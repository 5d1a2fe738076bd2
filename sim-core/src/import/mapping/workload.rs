//! The plan's workload: the `--sacct` file's jobs if given, else a small
//! example sized to the default partition: up to its fewest GPUs per node,
//! run times up to half its `MaxTime` (4 hours if unset), from a minute to
//! two hours.

use super::{Line, Plan, Workload, effective, time};
use crate::engine::SimDuration;
use crate::hardware::hostlist;

/// The workload to `plan.workload`; the partitions are already planned.
pub(super) fn map(plan: &mut Plan, sacct: Option<String>, part_lines: &[Line<'_>]) {
    plan.workload = match sacct {
        Some(path) => {
            plan.sources.push(path.clone());
            Workload::Sacct(path)
        }
        None => {
            let default = plan
                .partitions
                .iter()
                .find(|p| p.fields.iter().any(|(k, _)| *k == "default"))
                .unwrap_or(&plan.partitions[0]);
            let members = hostlist::expand(&default.nodes).unwrap_or_default();
            let gpus = plan
                .groups
                .iter()
                .filter(|g| {
                    hostlist::expand(&g.hosts).is_ok_and(|h| h.iter().any(|n| members.contains(n)))
                })
                .map(|g| g.gpus_per_node)
                .min()
                .unwrap_or(1);
            let max_time = part_lines
                .iter()
                .find(|(_, l)| l.head().value == default.name)
                .and_then(|(d, l)| effective(d, l)("MaxTime"))
                .and_then(|p| time(p).ok().flatten())
                .unwrap_or(SimDuration::from_secs(4 * 3_600));
            let max_runtime =
                SimDuration::from_secs((max_time.as_ns() / 2 / 1_000_000_000).clamp(60, 2 * 3_600));
            Workload::Example { gpus, max_runtime }
        }
    };
}
