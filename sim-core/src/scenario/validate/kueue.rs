//! Rules for `scheduler.kueue`: Kueue's ResourceFlavors, ClusterQueues
//! and LocalQueues (`crate::scheduler::kueue` documents the model and Kueue's
//! defaults).
//!
//! - a flavor's `gpu_type` is the GPU model of some node group (Kueue
//!   would admit onto a flavor no node carries, and the pods would never
//!   schedule);
//! - names are unique per kind (flavors, cluster queues, local queues:
//!   jobs name a local queue by its name alone);
//! - a quota names a known flavor (with a did-you-mean), once per
//!   ClusterQueue;
//! - `borrowing_limit` and `lending_limit` only in a cohort (Kueue's
//!   admission webhook refuses them without one), and `lending_limit` at
//!   most `nominal_quota` (likewise);
//! - a local queue names a known ClusterQueue (with a did-you-mean);
//! - at most `u16::MAX` objects of each kind (jobs hold 16-bit indices).

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::{Error, Issues, Warning, valid_label};
use crate::hardware::Cluster;
use crate::scheduler::kueue::{
    BorrowWithinCohort, BorrowWithinCohortPolicy, ClusterQueue, ClusterQueuePreemption,
    FlavorFungibility, FlavorQuotas, FungibilityPolicy, KueueConfig, LocalQueue, MILLI,
    PreemptionPolicy, QueueingStrategy, ResourceFlavor,
};
use crate::text::did_you_mean;

/// `scheduler.kueue`, checked and converted.
pub(super) fn build_kueue(
    k: &file::Kueue,
    cluster: Option<&Cluster>,
    issues: &mut Issues,
) -> KueueConfig {
    let mut config = KueueConfig::default();
    let base = "scheduler.kueue";
    for (kind, len) in [
        ("flavors", k.flavors.len()),
        ("cluster_queues", k.cluster_queues.len()),
        ("local_queues", k.local_queues.len()),
    ] {
        if len > usize::from(u16::MAX) {
            issues.error(Error {
                path: &field_path(base, kind),
                message: &format!("more than {} {kind}", u16::MAX),
                found: &format!("{len} {kind}"),
                expected: &format!("at most {}", u16::MAX),
                fix: "jobs hold a 16-bit queue index; merge some of them",
            });
            return config;
        }
    }

    // ResourceFlavors.
    let models: Vec<&str> = cluster
        .map(|c| c.groups.iter().map(|g| g.gpu_model.name.as_str()).collect())
        .unwrap_or_default();
    for (i, f) in k.flavors.iter().enumerate() {
        let path = index_path(&field_path(base, "flavors"), i);
        unique_label(issues, &path, "flavor", &f.name, &k.flavors[..i], |o| {
            &o.name
        });
        if let Some(gpu) = &f.gpu_type
            && cluster.is_some()
            && !models.contains(&gpu.as_str())
        {
            let fix = match did_you_mean(gpu, models.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name the GPU model of one of the cluster's node groups, or leave gpu_type out for every node".into(),
            };
            issues.error(Error {
                path: &field_path(&path, "gpu_type"),
                message: &format!("no node of the cluster has GPU type `{gpu}`"),
                found: &format!("\"{gpu}\""),
                expected: &format!("one of {}", models.join(", ")),
                fix: &fix,
            });
        }
        config.flavors.push(ResourceFlavor {
            name: f.name.clone(),
            gpu_type: f.gpu_type.clone(),
        });
    }
    let flavor_names: Vec<&str> = k.flavors.iter().map(|f| f.name.as_str()).collect();

    // ClusterQueues.
    for (i, q) in k.cluster_queues.iter().enumerate() {
        let path = index_path(&field_path(base, "cluster_queues"), i);
        unique_label(
            issues,
            &path,
            "cluster queue",
            &q.name,
            &k.cluster_queues[..i],
            |o| &o.name,
        );
        let cohort =
            q.cohort.as_ref().map(
                |c| match config.cohorts.iter().position(|known| known == c) {
                    Some(at) => at as u16,
                    None => {
                        config.cohorts.push(c.clone());
                        (config.cohorts.len() - 1) as u16
                    }
                },
            );
        if let Some(c) = &q.cohort
            && !valid_label(c)
        {
            issues.error(Error {
                path: &field_path(&path, "cohort"),
                message: "a cohort name must be letters, digits, `-` or `_`",
                found: &format!("\"{c}\""),
                expected: "a name like \"research\"",
                fix: "rename the cohort, the same in every ClusterQueue of it",
            });
        }
        let mut flavors = Vec::with_capacity(q.flavors.len());
        for (j, fq) in q.flavors.iter().enumerate() {
            let fpath = index_path(&field_path(&path, "flavors"), j);
            let Some(flavor) = flavor_names.iter().position(|n| *n == fq.flavor) else {
                let fix = match did_you_mean(&fq.flavor, flavor_names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "define it under scheduler.kueue.flavors, e.g. (name: \"{}\")",
                        fq.flavor
                    ),
                };
                issues.error(Error {
                    path: &field_path(&fpath, "flavor"),
                    message: &format!("a quota for the unknown flavor `{}`", fq.flavor),
                    found: &format!("\"{}\"", fq.flavor),
                    expected: &if flavor_names.is_empty() {
                        "a flavor defined under scheduler.kueue.flavors".to_string()
                    } else {
                        format!("one of {}", flavor_names.join(", "))
                    },
                    fix: &fix,
                });
                continue;
            };
            if q.flavors[..j].iter().any(|o| o.flavor == fq.flavor) {
                issues.error(Error {
                    path: &field_path(&fpath, "flavor"),
                    message: &format!(
                        "flavor `{}` is listed twice in this ClusterQueue",
                        fq.flavor
                    ),
                    found: &format!("\"{}\"", fq.flavor),
                    expected: "each flavor once per resource group",
                    fix: "merge the two quotas into one",
                });
                continue;
            }
            for (field, limit, what) in [
                ("borrowing_limit", fq.borrowing_limit, "borrowingLimit"),
                ("lending_limit", fq.lending_limit, "lendingLimit"),
            ] {
                if let Some(limit) = limit
                    && cohort.is_none()
                {
                    issues.error(Error {
                        path: &field_path(&fpath, field),
                        message: &format!("a {what} without a cohort"),
                        found: &format!("{field}: Some({limit}) in a ClusterQueue with no cohort"),
                        expected: &format!("a cohort, or no {field}"),
                        fix: &format!(
                            "put the ClusterQueue in a cohort (cohort: Some(\"research\")), or remove {field}: without a cohort there is no one to borrow from or lend to"
                        ),
                    });
                }
            }
            if let Some(lend) = fq.lending_limit
                && lend > fq.nominal_quota
            {
                issues.error(Error {
                    path: &field_path(&fpath, "lending_limit"),
                    message: "a lendingLimit above the nominal quota",
                    found: &format!(
                        "lending_limit: Some({lend}) with nominal_quota: {}",
                        fq.nominal_quota
                    ),
                    expected: &format!("at most {}", fq.nominal_quota),
                    fix: &format!(
                        "lower lending_limit to at most {}, or remove it to lend all of the nominal quota",
                        fq.nominal_quota
                    ),
                });
            }
            flavors.push(FlavorQuotas {
                flavor: flavor as u16,
                nominal_quota: u64::from(fq.nominal_quota) * MILLI,
                borrowing_limit: fq.borrowing_limit.map(|b| u64::from(b) * MILLI),
                lending_limit: fq.lending_limit.map(|l| u64::from(l) * MILLI),
            });
        }
        if q.flavors.is_empty() {
            issues.warning(Warning {
                path: &field_path(&path, "flavors"),
                message: &format!("cluster queue `{}` has no quota: it admits nothing", q.name),
                fix: "give it a flavor, e.g. flavors: [(flavor: \"default\", nominal_quota: 8)]",
            });
        }
        config.cluster_queues.push(ClusterQueue {
            name: q.name.clone(),
            cohort,
            queueing_strategy: match q.queueing_strategy {
                Some(file::QueueingStrategy::StrictFifo) => QueueingStrategy::StrictFifo,
                None | Some(file::QueueingStrategy::BestEffortFifo) => {
                    QueueingStrategy::BestEffortFifo
                }
            },
            flavors,
            preemption: preemption(q.preemption.as_ref()),
            flavor_fungibility: fungibility(q.flavor_fungibility.as_ref()),
        });
    }
    if config.cohorts.len() > usize::from(u16::MAX) {
        issues.error(Error {
            path: &field_path(base, "cluster_queues"),
            message: &format!("more than {} cohorts", u16::MAX),
            found: &format!("{} cohorts", config.cohorts.len()),
            expected: &format!("at most {}", u16::MAX),
            fix: "put more ClusterQueues in each cohort",
        });
    }

    // LocalQueues.
    let queue_names: Vec<&str> = k.cluster_queues.iter().map(|q| q.name.as_str()).collect();
    for (i, l) in k.local_queues.iter().enumerate() {
        let path = index_path(&field_path(base, "local_queues"), i);
        unique_label(
            issues,
            &path,
            "local queue",
            &l.name,
            &k.local_queues[..i],
            |o| &o.name,
        );
        let Some(cq) = queue_names.iter().position(|n| *n == l.cluster_queue) else {
            let fix = match did_you_mean(&l.cluster_queue, queue_names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "define it under scheduler.kueue.cluster_queues, e.g. (name: \"{}\", flavors: [...])",
                    l.cluster_queue
                ),
            };
            issues.error(Error {
                path: &field_path(&path, "cluster_queue"),
                message: &format!(
                    "local queue `{}` points to the unknown cluster queue `{}`",
                    l.name, l.cluster_queue
                ),
                found: &format!("\"{}\"", l.cluster_queue),
                expected: &if queue_names.is_empty() {
                    "a ClusterQueue defined under scheduler.kueue.cluster_queues".to_string()
                } else {
                    format!("one of {}", queue_names.join(", "))
                },
                fix: &fix,
            });
            continue;
        };
        config.local_queues.push(LocalQueue {
            name: l.name.clone(),
            namespace: l.namespace.clone().unwrap_or_else(|| "default".into()),
            cluster_queue: cq as u16,
        });
    }
    if k.local_queues.is_empty() {
        issues.warning(Warning {
            path: base,
            message: "Kueue has no local queue: jobs have nowhere to be submitted",
            fix: "add local_queues: [(name: \"main\", namespace: \"default\", cluster_queue: \"...\")]",
        });
    }
    config
}

/// The local queue a job or generator names at `path`: its index (what
/// `SubmittedJob::queue` holds; 0, the first local queue, when it names
/// none), or an error with a did-you-mean. Without a Kueue section any
/// name is an error.
pub(super) fn lookup_queue(
    path: &str,
    name: Option<&str>,
    kueue: Option<&KueueConfig>,
    issues: &mut Issues,
) -> Option<u16> {
    let Some(name) = name else {
        return Some(0);
    };
    let Some(kueue) = kueue else {
        issues.error(Error {
            path,
            message: &format!("a job names the queue `{name}`, but there is no Kueue or Volcano"),
            found: &format!("\"{name}\""),
            expected: "a local queue under scheduler.kueue.local_queues, or a queue under scheduler.volcano.queues",
            fix: "add scheduler.kueue (or scheduler.volcano) with this queue, or remove queue",
        });
        return None;
    };
    if let Some(at) = kueue.queue_index(name) {
        return Some(at);
    }
    let names: Vec<&str> = kueue.local_queues.iter().map(|q| q.name.as_str()).collect();
    let fix = match did_you_mean(name, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "name one of scheduler.kueue.local_queues, or add it there".into(),
    };
    issues.error(Error {
        path,
        message: &format!("unknown local queue `{name}`"),
        found: &format!("\"{name}\""),
        expected: &format!("one of {}", names.join(", ")),
        fix: &fix,
    });
    None
}

/// A name that labels things, and unique among `earlier`.
fn unique_label<T>(
    issues: &mut Issues,
    path: &str,
    kind: &str,
    name: &str,
    earlier: &[T],
    name_of: impl Fn(&T) -> &String,
) {
    let path = field_path(path, "name");
    if !valid_label(name) {
        issues.error(Error {
            path: &path,
            message: &format!("a {kind} name must be letters, digits, `-` or `_`"),
            found: &format!("\"{name}\""),
            expected: "a name like \"team-a\"",
            fix: "rename it; Kubernetes object names are DNS labels",
        });
    } else if earlier.iter().any(|o| name_of(o) == name) {
        issues.error(Error {
            path: &path,
            message: &format!("two {kind}s are named `{name}`"),
            found: &format!("\"{name}\""),
            expected: &format!("unique {kind} names"),
            fix: "rename one of them",
        });
    }
}

fn preemption(p: Option<&file::KueuePreemption>) -> ClusterQueuePreemption {
    let Some(p) = p else {
        return ClusterQueuePreemption::default();
    };
    ClusterQueuePreemption {
        within_cluster_queue: match p.within_cluster_queue {
            None | Some(file::WithinClusterQueue::Never) => PreemptionPolicy::Never,
            Some(file::WithinClusterQueue::LowerPriority) => PreemptionPolicy::LowerPriority,
            Some(file::WithinClusterQueue::LowerOrNewerEqualPriority) => {
                PreemptionPolicy::LowerOrNewerEqualPriority
            }
        },
        reclaim_within_cohort: match p.reclaim_within_cohort {
            None | Some(file::ReclaimWithinCohort::Never) => PreemptionPolicy::Never,
            Some(file::ReclaimWithinCohort::LowerPriority) => PreemptionPolicy::LowerPriority,
            Some(file::ReclaimWithinCohort::Any) => PreemptionPolicy::Any,
        },
        borrow_within_cohort: match &p.borrow_within_cohort {
            None => BorrowWithinCohort::default(),
            Some(b) => BorrowWithinCohort {
                policy: match b.policy {
                    file::BorrowWithinCohortPolicy::Never => BorrowWithinCohortPolicy::Never,
                    file::BorrowWithinCohortPolicy::LowerPriority => {
                        BorrowWithinCohortPolicy::LowerPriority
                    }
                },
                max_priority_threshold: b.max_priority_threshold,
            },
        },
    }
}

fn fungibility(f: Option<&file::FlavorFungibility>) -> FlavorFungibility {
    let mut out = FlavorFungibility::default();
    if let Some(f) = f {
        if let Some(b) = f.when_can_borrow {
            out.when_can_borrow = match b {
                file::WhenCanBorrow::Borrow => FungibilityPolicy::MayStopSearch,
                file::WhenCanBorrow::TryNextFlavor => FungibilityPolicy::TryNextFlavor,
            };
        }
        if let Some(p) = f.when_can_preempt {
            out.when_can_preempt = match p {
                file::WhenCanPreempt::Preempt => FungibilityPolicy::MayStopSearch,
                file::WhenCanPreempt::TryNextFlavor => FungibilityPolicy::TryNextFlavor,
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const TEXT: &str = r#"Scenario(
    name: "kueue", seed: 1,
    cluster: (node_groups: [
        (name: "h", count: 2, node_model: "DGX-H100"),
        (name: "a", count: 2, node_model: "DGX-A100"),
    ]),
    workload: (jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", time_limit: "2h")]),
    scheduler: Some((kueue: Some((
        flavors: [(name: "h100", gpu_type: Some("H100-SXM-80GB")), (name: "any")],
        cluster_queues: [
            (name: "team-a", cohort: Some("research"), queueing_strategy: Some(StrictFIFO),
             flavors: [(flavor: "h100", nominal_quota: 16, borrowing_limit: Some(8))],
             preemption: Some((within_cluster_queue: Some(LowerOrNewerEqualPriority),
                 reclaim_within_cohort: Some(Any),
                 borrow_within_cohort: Some((policy: LowerPriority, max_priority_threshold: Some(100))))),
             flavor_fungibility: Some((when_can_borrow: Some(TryNextFlavor), when_can_preempt: Some(Preempt)))),
            (name: "team-b", cohort: Some("research"),
             flavors: [(flavor: "h100", nominal_quota: 8, lending_limit: Some(2)), (flavor: "any", nominal_quota: 4)]),
            (name: "solo", flavors: [(flavor: "any", nominal_quota: 1)]),
        ],
        local_queues: [
            (name: "a", namespace: Some("team-a"), cluster_queue: "team-a"),
            (name: "b", cluster_queue: "team-b"),
        ],
    )))),
)"#;

    #[test]
    fn the_kueue_section_converts_with_kueues_defaults() {
        let loaded = load_str("k.ron", TEXT, &[]).unwrap();
        assert!(loaded.warnings.is_empty());
        let k = loaded.scenario.scheduler.kueue.unwrap();
        assert_eq!(k.cohorts, ["research"]);
        assert_eq!(k.flavors[0].gpu_type.as_deref(), Some("H100-SXM-80GB"));
        assert_eq!(k.flavors[1].gpu_type, None);
        let a = &k.cluster_queues[0];
        assert_eq!(a.cohort, Some(0));
        assert_eq!(a.queueing_strategy, QueueingStrategy::StrictFifo);
        assert_eq!(
            a.flavors,
            [FlavorQuotas {
                flavor: 0,
                nominal_quota: 16_000,
                borrowing_limit: Some(8_000),
                lending_limit: None,
            }]
        );
        assert_eq!(
            a.preemption,
            ClusterQueuePreemption {
                within_cluster_queue: PreemptionPolicy::LowerOrNewerEqualPriority,
                reclaim_within_cohort: PreemptionPolicy::Any,
                borrow_within_cohort: BorrowWithinCohort {
                    policy: BorrowWithinCohortPolicy::LowerPriority,
                    max_priority_threshold: Some(100),
                },
            }
        );
        assert_eq!(
            a.flavor_fungibility,
            FlavorFungibility {
                when_can_borrow: FungibilityPolicy::TryNextFlavor,
                when_can_preempt: FungibilityPolicy::MayStopSearch,
            }
        );
        // Kueue's defaults: BestEffortFIFO, preemption Never, Borrow and
        // TryNextFlavor.
        let b = &k.cluster_queues[1];
        assert_eq!(b.queueing_strategy, QueueingStrategy::BestEffortFifo);
        assert_eq!(b.preemption, ClusterQueuePreemption::default());
        assert_eq!(b.flavor_fungibility, FlavorFungibility::default());
        assert_eq!(b.flavors[0].lending_limit, Some(2_000));
        assert_eq!(b.flavors[1].flavor, 1);
        assert_eq!(k.cluster_queues[2].cohort, None);
        assert_eq!(k.local_queues[1].namespace, "default");
        assert_eq!(k.queue_index("b"), Some(1));
        assert_eq!(k.cluster_queue_of(1), 1);
    }

    #[test]
    fn a_job_names_a_known_local_queue() {
        let k = load_str("k.ron", TEXT, &[])
            .unwrap()
            .scenario
            .scheduler
            .kueue;
        let mut issues = Issues::default();
        assert_eq!(lookup_queue("q", None, k.as_ref(), &mut issues), Some(0));
        assert_eq!(
            lookup_queue("q", Some("b"), k.as_ref(), &mut issues),
            Some(1)
        );
        assert!(issues.errors.is_empty());
        assert_eq!(lookup_queue("q", Some("bb"), k.as_ref(), &mut issues), None);
        assert_eq!(issues.errors[0].fix.as_deref(), Some("did you mean `b`?"));
        assert_eq!(lookup_queue("q", Some("b"), None, &mut issues), None);
        assert_eq!(issues.errors.len(), 2);
    }

    #[test]
    fn an_empty_queue_and_no_local_queue_are_warned_about() {
        let text = TEXT.replace(
            "(name: \"solo\", flavors: [(flavor: \"any\", nominal_quota: 1)])",
            "(name: \"solo\", flavors: [])",
        );
        let text = text.replace(
            "(name: \"a\", namespace: Some(\"team-a\"), cluster_queue: \"team-a\"),\n            (name: \"b\", cluster_queue: \"team-b\"),",
            "",
        );
        let warnings = load_str("k.ron", &text, &[]).unwrap().warnings;
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }
}
