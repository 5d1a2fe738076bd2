//! Rules for `scheduler.volcano`: Volcano's queues (weight at least 1,
//! unique names, a capability above 0, guarantees within the cluster) and
//! its place among the scheduler's other choices (no Slurm-style
//! backfilling: Volcano has its own `backfill` action, which places only
//! best-effort pods that request no resources, so never a GPU job).
//!
//! A capability above the cluster's GPUs is a warning, not an error:
//! Volcano accepts it and it limits nothing. A `default` queue (weight 1,
//! reclaimable) is added unless the scenario names one, as Volcano creates
//! it at install for jobs that name no queue.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::{Error, Issues, Warning};
use crate::hardware::Cluster;
use crate::scheduler::volcano::{
    DEFAULT_QUEUE, MILLI_PER_GPU, NodeOrder, VolcanoConfig, VolcanoQueue, queue_index,
};
use crate::scheduler::{Backfill, SchedulerConfig};

/// Sets `config.volcano` from `s.volcano`, if written; Volcano turns the
/// scheduler's default backfilling off (an explicit one is refused).
/// Called once the rest of `config` is built.
pub(super) fn apply_volcano(
    s: &file::Scheduler,
    config: &mut SchedulerConfig,
    cluster: Option<&Cluster>,
    issues: &mut Issues,
) {
    let Some(v) = &s.volcano else {
        return;
    };
    if matches!(s.backfill, file::Backfill::Unset) {
        config.backfill = Backfill::None;
    }
    config.volcano = Some(build_volcano(v, s.backfill, cluster, issues));
}

/// GPUs as written to GPU-milli (rounded to the nearest milli).
fn milli(gpus: f64) -> u64 {
    (gpus * MILLI_PER_GPU as f64).round() as u64
}

pub(super) fn build_volcano(
    v: &file::Volcano,
    backfill: file::Backfill,
    cluster: Option<&Cluster>,
    issues: &mut Issues,
) -> VolcanoConfig {
    let path = "scheduler.volcano";
    if !matches!(backfill, file::Backfill::Unset | file::Backfill::None) {
        issues.error(Error {
            path: "scheduler.backfill",
            message: "Volcano does its own backfilling; Slurm-style backfill cannot be combined with it",
            found: &format!("backfill: {backfill:?} with scheduler.volcano"),
            expected: "backfill left out (or None) with volcano",
            fix: "remove backfill: Volcano's backfill action places only best-effort pods (no resource requests), so it never starts a GPU job early",
        });
    }
    let cluster_gpus = cluster.map(Cluster::total_gpus);
    let mut queues: Vec<VolcanoQueue> = Vec::new();
    let mut guarantees = 0u64;
    for (i, q) in v.queues.iter().enumerate() {
        let at = index_path(&field_path(path, "queues"), i);
        if let Some(first) = v.queues[..i].iter().position(|p| p.name == q.name) {
            issues.error(Error {
                path: &field_path(&at, "name"),
                message: "two Volcano queues with the same name",
                found: &format!("\"{}\", also queues[{first}]", q.name),
                expected: "a name no other queue has",
                fix: "rename one of them, or merge them into one queue",
            });
        }
        let weight = q.weight.unwrap_or(1);
        if weight == 0 || weight > i32::MAX as u32 {
            issues.error(Error {
                path: &field_path(&at, "weight"),
                message: "a Volcano queue's weight is at least 1",
                found: &format!("weight: {weight}"),
                expected: "a weight from 1 to 2147483647 (Volcano's default is 1)",
                fix: "give it a weight of 1 or more: its share of the cluster is its weight over all queues' weights",
            });
        }
        let capability = q.capability.map(|c| (c, milli(c)));
        if let Some((written, m)) = capability {
            if !(written.is_finite() && m > 0) {
                issues.error(Error {
                    path: &field_path(&at, "capability"),
                    message: "a Volcano queue's capability is above 0 GPUs",
                    found: &format!("capability: {written}"),
                    expected: "a number of GPUs above 0 (fractions allowed)",
                    fix: "leave capability out for no limit; a queue with capability 0 never runs a job",
                });
            } else if let Some(total) = cluster_gpus.filter(|&t| m > t * MILLI_PER_GPU) {
                issues.warning(Warning {
                    path: &field_path(&at, "capability"),
                    message: &format!(
                        "capability {written} GPUs is above the cluster's {total}; it limits nothing"
                    ),
                    fix: "lower it to the queue's limit, or leave it out",
                });
            }
        }
        let guarantee = q.guarantee.map(|g| (g, milli(g)));
        if let Some((written, m)) = guarantee {
            if !(written.is_finite() && written >= 0.0) {
                issues.error(Error {
                    path: &field_path(&at, "guarantee"),
                    message: "a Volcano queue's guarantee is 0 GPUs or more",
                    found: &format!("guarantee: {written}"),
                    expected: "a number of GPUs, 0 or more",
                    fix: "leave guarantee out for none",
                });
            } else {
                guarantees = guarantees.saturating_add(m);
            }
        }
        queues.push(VolcanoQueue {
            name: q.name.clone(),
            weight: weight.clamp(1, i32::MAX as u32),
            capability: capability.map(|(_, m)| m.max(1)),
            reclaimable: q.reclaimable.unwrap_or(true),
            guarantee: guarantee.map(|(_, m)| m),
        });
    }
    if let Some(total) = cluster_gpus.filter(|&t| guarantees > t * MILLI_PER_GPU) {
        issues.error(Error {
            path: &field_path(path, "queues"),
            message: "Volcano queues' guarantees add up to more than the cluster",
            found: &format!("{} GPUs guaranteed", guarantees as f64 / 1000.0),
            expected: &format!("at most the cluster's {total} GPUs"),
            fix: "lower the guarantees; each is withheld from every other queue",
        });
    }
    let mut config = VolcanoConfig {
        queues,
        node_order: match v.node_order {
            None | Some(file::VolcanoNodeOrder::Spread) => NodeOrder::Spread,
            Some(file::VolcanoNodeOrder::Binpack) => NodeOrder::Binpack,
        },
        reclaim: v.reclaim.unwrap_or(false),
    };
    if queue_index(&config, DEFAULT_QUEUE).is_none() {
        config.queues.push(VolcanoQueue::new(DEFAULT_QUEUE));
    }
    config
}

/// The index of the Volcano queue a job names, or an error at `path` with
/// a did-you-mean.
pub(super) fn lookup_queue(
    path: &str,
    name: &str,
    volcano: &VolcanoConfig,
    issues: &mut Issues,
) -> Option<u16> {
    if let Some(at) = crate::scheduler::volcano::queue_index(volcano, name) {
        return Some(at);
    }
    let names: Vec<&str> = volcano.queues.iter().map(|q| q.name.as_str()).collect();
    let fix = match crate::text::did_you_mean(name, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "name one of scheduler.volcano.queues, or add it there".into(),
    };
    issues.error(Error {
        path,
        message: &format!("unknown Volcano queue `{name}`"),
        found: &format!("\"{name}\""),
        expected: &format!("one of {}", names.join(", ")),
        fix: &fix,
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> (VolcanoConfig, Issues) {
        let v: file::Volcano = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .unwrap();
        let mut issues = Issues::default();
        let config = build_volcano(&v, file::Backfill::Unset, None, &mut issues);
        (config, issues)
    }

    #[test]
    fn volcano_queues_convert_with_volcano_defaults() {
        let (config, issues) = build(
            "(queues: [(name: \"a\", weight: 3, capability: 16), \
              (name: \"b\", capability: 0.5, reclaimable: false, guarantee: 2)], \
              node_order: Binpack, reclaim: true)",
        );
        assert!(issues.errors.is_empty() && issues.warnings.is_empty());
        assert_eq!(config.node_order, NodeOrder::Binpack);
        assert!(config.reclaim);
        assert_eq!(
            config.queues,
            vec![
                VolcanoQueue {
                    name: "a".into(),
                    weight: 3,
                    capability: Some(16_000),
                    reclaimable: true,
                    guarantee: None,
                },
                VolcanoQueue {
                    name: "b".into(),
                    weight: 1,
                    capability: Some(500),
                    reclaimable: false,
                    guarantee: Some(2000),
                },
                VolcanoQueue::new(DEFAULT_QUEUE),
            ]
        );
        assert_eq!(queue_index(&config, "b"), Some(1));

        let (config, _) = build("()");
        assert_eq!(config, VolcanoConfig::default());
    }

    #[test]
    fn volcano_bad_queues_are_reported_at_their_fields() {
        let (_, issues) = build(
            "(queues: [(name: \"a\", weight: 0), (name: \"a\", capability: 0), \
              (name: \"c\", guarantee: -1)])",
        );
        let paths: Vec<&str> = issues.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "scheduler.volcano.queues[0].weight",
                "scheduler.volcano.queues[1].name",
                "scheduler.volcano.queues[1].capability",
                "scheduler.volcano.queues[2].guarantee",
            ]
        );
    }
}
