//! Rules for the `scheduler` section: backfill knobs, priority weights,
//! the account tree, partitions, QOS, preemption and the switch topology.
//!
//! Node references (partitions, switches) accept a node group name (all
//! its nodes), a node name (`dgx-003`) or a Slurm hostlist range
//! (`dgx-[000-015,020]`); each is checked against the cluster.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::{Error, Issues, Warning};
use crate::engine::SimDuration;
use crate::hardware::{Cluster, hostlist};
use crate::scheduler::fairshare::{AccountSpec, AccountTree, FairshareAlgorithm, UsageReset};
use crate::scheduler::priority::MultifactorWeights;
use crate::scheduler::{
    Backfill, BackfillParams, EnforcePartLimits, LeafSwitch, NodeSet, Partition, PreemptMode,
    PreemptType, PriorityParams, Qos, QueueOrder, SchedulerConfig, TimeSlicing, preemption_cycle,
};
use crate::text::did_you_mean;
use crate::units::format_duration;

pub(super) fn build_scheduler(
    s: &file::Scheduler,
    cluster: Option<&Cluster>,
    issues: &mut Issues,
) -> SchedulerConfig {
    let node_count = cluster.map_or(0, |c| c.node_count());
    let mut config = SchedulerConfig::fcfs(node_count);
    config.order = match s.order {
        None | Some(file::QueueOrder::Fcfs) => QueueOrder::Fcfs,
        Some(file::QueueOrder::Multifactor) => QueueOrder::Multifactor,
        Some(file::QueueOrder::Sjf) => QueueOrder::Sjf,
    };
    config.gang = s.gang.unwrap_or(true);
    config.backfill = match s.backfill {
        // Slurm's default SchedulerType is sched/backfill: backfilling, as
        // conservative backfill plans it (every tested job reserved), with
        // Slurm's bf_* defaults. Without gang scheduling (the default
        // kube-scheduler) nothing is reserved.
        // Kueue admits workloads by quota and has no backfilling.
        file::Backfill::Unset if config.gang && s.kueue.is_none() => Backfill::Conservative,
        file::Backfill::Unset | file::Backfill::None => Backfill::None,
        file::Backfill::Easy => Backfill::Easy,
        file::Backfill::Conservative => Backfill::Conservative,
        file::Backfill::Slurm => Backfill::Slurm,
    };
    config.backfill_params = backfill_params(s, issues);
    if config.backfill == Backfill::Slurm && config.backfill_params.interval.is_zero() {
        issues.error(Error {
            path: "scheduler.bf_interval",
            message: "slurmctld runs backfill cycles at least a second apart",
            found: "bf_interval: \"0s\" with backfill: Slurm",
            expected: "bf_interval of at least \"1s\" (Slurm's default is \"30s\")",
            fix: "remove bf_interval to use Slurm's 30 s, or use backfill: Conservative to backfill at every pass",
        });
    }
    config.kill_at_time_limit = s.kill_at_time_limit.unwrap_or(true);
    config.time_slicing = s.time_slicing.and_then(|t| time_slicing(t, issues));
    if !config.gang && config.backfill != Backfill::None {
        issues.error(Error {
            path: "scheduler.gang",
            message: "non-gang placement cannot be combined with backfilling",
            found: "gang: false with a backfill policy",
            expected: "gang: false with backfill: None",
            fix: "the default Kubernetes scheduler places pods one by one and makes no reservations; set backfill: None, or gang: true",
        });
    }
    config.priority = priority_params(s.priority.as_ref(), issues);
    config.accounts = accounts(&s.accounts, issues);
    if let Some(cluster) = cluster {
        if !s.partitions.is_empty() {
            config.partitions = partitions(&s.partitions, cluster, issues);
        }
        config.topology = topology(&s.topology, cluster, issues);
    }
    if !s.qos.is_empty() {
        config.qos = qos_list(&s.qos, issues);
    }
    config.kueue = (s.kueue.as_ref()).map(|k| super::kueue::build_kueue(k, cluster, issues));
    if config.kueue.is_some() {
        let clash = if !config.gang {
            Some((
                "scheduler.gang",
                "gang: false",
                "Kueue admits a workload's pods all or nothing: leave gang out (true)",
            ))
        } else if config.backfill != Backfill::None {
            Some((
                "scheduler.backfill",
                "a backfill policy",
                "Kueue has no backfilling: leave backfill out, or set None",
            ))
        } else if config.preempt_type != PreemptType::None {
            Some((
                "scheduler.preempt_type",
                "Slurm preemption",
                "Kueue preempts by its ClusterQueues' preemption rules: leave preempt_type out",
            ))
        } else {
            None
        };
        if let Some((path, found, fix)) = clash {
            issues.error(Error {
                path,
                message: "this Slurm setting does not combine with Kueue",
                found,
                expected: "Kueue's own admission and preemption",
                fix,
            });
        }
    }
    config.preempt_type = match s.preempt_type {
        file::PreemptType::None => PreemptType::None,
        file::PreemptType::Qos => PreemptType::Qos,
        file::PreemptType::PartitionPriority => PreemptType::PartitionPriority,
    };
    config.preempt_mode = match s.preempt_mode {
        None | Some(file::PreemptMode::Requeue) => PreemptMode::Requeue,
        Some(file::PreemptMode::Cancel) => PreemptMode::Cancel,
    };
    config.enforce_part_limits = match s.enforce_part_limits {
        None | Some(file::EnforcePartLimits::No) => EnforcePartLimits::No,
        Some(file::EnforcePartLimits::Any) => EnforcePartLimits::Any,
        Some(file::EnforcePartLimits::All) => EnforcePartLimits::All,
    };
    if config.preempt_type != PreemptType::None && !config.gang {
        issues.error(Error {
            path: "scheduler.preempt_type",
            message: "preemption needs gang scheduling",
            found: "preemption with gang: false",
            expected: "gang: true, or preempt_type: None",
            fix: "set gang: true; partially placed jobs cannot be preempted cleanly",
        });
    }
    if config.preempt_type == PreemptType::Qos && config.qos.iter().all(|q| q.preempt.is_empty()) {
        issues.warning(Warning {
            path: "scheduler.preempt_type",
            message: "preempt_type: Qos, but no QOS lists others to preempt; nothing will be preempted",
            fix: "add preempt: [\"low\"] to the QOS that may preempt",
        });
    }
    super::volcano::apply_volcano(s, &mut config, cluster, issues);
    if config.volcano.is_some() {
        let clash = if config.kueue.is_some() {
            Some((
                "scheduler.volcano",
                "both kueue and volcano",
                "choose one queueing system: Kueue admits for the default scheduler, Volcano schedules by itself",
            ))
        } else if !config.gang {
            Some((
                "scheduler.gang",
                "gang: false",
                "Volcano schedules a job's pods as a gang (minAvailable): leave gang out (true)",
            ))
        } else if config.preempt_type != PreemptType::None {
            Some((
                "scheduler.preempt_type",
                "Slurm preemption",
                "Volcano takes GPUs back by its reclaim action: leave preempt_type out and set volcano.reclaim",
            ))
        } else {
            None
        };
        if let Some((path, found, fix)) = clash {
            issues.error(Error {
                path,
                message: "this setting does not combine with Volcano",
                found,
                expected: "Volcano's own queues and reclaim",
                fix,
            });
        }
    }
    config
}

/// Replicas from 2 to [`MAX_REPLICAS`] (one replica is no sharing) and an
/// overhead below one half.
fn time_slicing(t: file::TimeSlicing, issues: &mut Issues) -> Option<TimeSlicing> {
    const MAX_REPLICAS: u32 = 64;
    let path = "scheduler.time_slicing";
    let mut ok = true;
    if !(2..=MAX_REPLICAS).contains(&t.replicas) {
        issues.error(Error {
            path: &field_path(path, "replicas"),
            message: "time-slicing shares a GPU among 2 or more replicas",
            found: &t.replicas.to_string(),
            expected: &format!("replicas from 2 to {MAX_REPLICAS}"),
            fix: "NVIDIA's examples use 4 or 10; leave time_slicing out for whole GPUs",
        });
        ok = false;
    }
    let overhead = t.switch_overhead.unwrap_or(0.0);
    if !(0.0..0.5).contains(&overhead) {
        issues.error(Error {
            path: &field_path(path, "switch_overhead"),
            message: "the switching overhead is a share of the GPU's time below one half",
            found: &format!("{overhead}"),
            expected: "a value in [0, 0.5)",
            fix: "give the share of time lost to context switches you measured, e.g. 0.05, or leave it out for 0",
        });
        ok = false;
    }
    ok.then_some(TimeSlicing {
        replicas: t.replicas,
        switch_overhead: overhead,
    })
}

fn backfill_params(s: &file::Scheduler, issues: &mut Issues) -> BackfillParams {
    let mut p = BackfillParams::default();
    if let Ok(Some(interval)) = issues.optional("scheduler.bf_interval", s.bf_interval.as_ref())
        && issues.period_floor(
            "scheduler.bf_interval",
            interval,
            "bf_interval",
            "use \"0s\" to backfill at every scheduling pass, or Slurm's default \"30s\"",
        )
    {
        p.interval = interval;
    }
    if let Ok(Some(window)) = issues.optional("scheduler.bf_window", s.bf_window.as_ref())
        && issues.positive_duration(
            "scheduler.bf_window",
            window,
            "bf_window",
            "plan at least as far ahead as your longest time limit, e.g. \"2d\"",
        )
    {
        p.window = window;
    }
    if let Ok(Some(resolution)) =
        issues.optional("scheduler.bf_resolution", s.bf_resolution.as_ref())
        && issues.positive_duration(
            "scheduler.bf_resolution",
            resolution,
            "bf_resolution",
            "use \"1s\" for exact planning or Slurm's default \"60s\"",
        )
    {
        p.resolution = resolution;
    }
    if let Some(n) = s.bf_max_job_test
        && issues.positive_u32(
            "scheduler.bf_max_job_test",
            n,
            "bf_max_job_test",
            "test at least one job per cycle (Slurm's default is 500)",
        )
    {
        p.max_job_test = n;
    }
    p.continue_after_limit = s.bf_continue.unwrap_or(false);
    if let Ok(Some(interval)) =
        issues.optional("scheduler.sched_interval", s.sched_interval.as_ref())
        && issues.positive_duration(
            "scheduler.sched_interval",
            interval,
            "sched_interval",
            "use Slurm's default \"60s\"",
        )
        && issues.period_floor(
            "scheduler.sched_interval",
            interval,
            "sched_interval",
            "use Slurm's default \"60s\"",
        )
    {
        p.sched_interval = interval;
    }
    p
}

fn priority_params(p: Option<&file::Priority>, issues: &mut Issues) -> PriorityParams {
    let mut out = PriorityParams::default();
    let Some(p) = p else {
        return out;
    };
    let w = &mut out.weights;
    let defaults = MultifactorWeights::default();
    w.age = p.weight_age.unwrap_or(defaults.age);
    w.fairshare = p.weight_fairshare.unwrap_or(defaults.fairshare);
    w.job_size = p.weight_job_size.unwrap_or(defaults.job_size);
    w.partition = p.weight_partition.unwrap_or(defaults.partition);
    w.qos = p.weight_qos.unwrap_or(defaults.qos);
    w.favor_small = p.favor_small.unwrap_or(defaults.favor_small);
    w.small_relative_to_time =
        (p.small_relative_to_time).unwrap_or(defaults.small_relative_to_time);
    if let Ok(Some(max_age)) = issues.optional("scheduler.priority.max_age", p.max_age.as_ref())
        && issues.positive_duration(
            "scheduler.priority.max_age",
            max_age,
            "PriorityMaxAge",
            "use Slurm's default \"7d\" or another positive age",
        )
    {
        w.max_age = max_age;
    }
    if let Ok(Some(period)) =
        issues.optional("scheduler.priority.calc_period", p.calc_period.as_ref())
        && issues.positive_duration(
            "scheduler.priority.calc_period",
            period,
            "PriorityCalcPeriod",
            "use Slurm's default \"5m\"",
        )
        && issues.period_floor(
            "scheduler.priority.calc_period",
            period,
            "PriorityCalcPeriod",
            "use Slurm's default \"5m\"; priorities rarely need recomputing more than once a minute",
        )
    {
        out.calc_period = period;
    }
    if let Ok(Some(half_life)) = issues.optional(
        "scheduler.priority.decay_half_life",
        p.decay_half_life.as_ref(),
    ) {
        out.decay_half_life = half_life;
    }
    out.usage_reset = match p.usage_reset {
        file::UsageReset::None => UsageReset::None,
        file::UsageReset::Daily => UsageReset::Daily,
        file::UsageReset::Weekly => UsageReset::Weekly,
        file::UsageReset::Monthly => UsageReset::Monthly,
        file::UsageReset::Quarterly => UsageReset::Quarterly,
        file::UsageReset::Yearly => UsageReset::Yearly,
    };
    // slurm.conf(5), PriorityDecayHalfLife: "If set to 0
    // PriorityUsageResetPeriod must be set to some interval";
    // _validate_and_set_defaults() (src/common/read_config.c) refuses the
    // configuration otherwise: usage would only grow.
    if out.decay_half_life.is_zero() && out.usage_reset == UsageReset::None {
        issues.error(Error {
            path: "scheduler.priority.decay_half_life",
            message: "usage never decays and there is no usage reset period",
            found: "decay_half_life: \"0s\" with usage_reset: None",
            expected: "a decay half-life above zero, or a usage_reset period",
            fix: "add usage_reset: Monthly (or Daily, Weekly, Quarterly, Yearly) to reset usage, or give decay_half_life a positive half-life such as Slurm's default \"7d\"",
        });
    }
    out.fairshare = match p.fairshare {
        None | Some(file::FairshareAlgorithm::FairTree) => FairshareAlgorithm::FairTree,
        Some(file::FairshareAlgorithm::Classic) => FairshareAlgorithm::Classic,
    };
    out
}

fn accounts(list: &[file::Account], issues: &mut Issues) -> Vec<AccountSpec> {
    let specs: Vec<AccountSpec> = list
        .iter()
        .map(|a| AccountSpec {
            name: a.name.clone(),
            parent: a.parent.clone(),
            shares: a.shares.unwrap_or(1),
            users: a
                .users
                .iter()
                .map(|u| (u.name.clone(), u.shares.unwrap_or(1)))
                .collect(),
        })
        .collect();
    let errors_before = issues.errors.len();
    for (i, a) in list.iter().enumerate() {
        let path = index_path("scheduler.accounts", i);
        if let Some(parent) = &a.parent
            && !list.iter().any(|other| &other.name == parent)
        {
            let fix = match did_you_mean(parent, list.iter().map(|a| a.name.as_str())) {
                Some(s) => {
                    format!("did you mean `{s}`? Or leave `parent` out for a top-level account")
                }
                None => {
                    "name an account of this list, or leave `parent` out for a top-level account"
                        .into()
                }
            };
            issues.error(Error {
                path: &field_path(&path, "parent"),
                message: &format!("unknown parent account `{parent}`"),
                found: &format!("\"{parent}\""),
                expected: "the name of another account",
                fix: &fix,
            });
        }
    }
    // An unknown parent is reported above, where it is written.
    if !specs.is_empty()
        && issues.errors.len() == errors_before
        && let Err(problem) = AccountTree::new(&specs)
    {
        issues.error(Error {
            path: "scheduler.accounts",
            message: "the account tree is not valid",
            found: &problem,
            expected: "a tree of uniquely named accounts with positive shares",
            fix: "fix the accounts as the message says",
        });
    }
    specs
}

/// Resolves node references to a membership vector.
fn node_set(
    path: &str,
    references: &[String],
    cluster: &Cluster,
    issues: &mut Issues,
) -> Option<Vec<bool>> {
    let mut member = vec![false; cluster.node_count()];
    let mut ok = true;
    for (i, reference) in references.iter().enumerate() {
        match resolve_nodes(reference, cluster) {
            Ok(nodes) => nodes.into_iter().for_each(|n| member[n as usize] = true),
            Err(problem) => {
                issues.error(Error {
                    path: &index_path(path, i),
                    message: &problem,
                    found: &format!("\"{reference}\""),
                    expected: "a node group name, a node name, or a range like \"dgx-[000-015]\"",
                    fix: &format!(
                        "use a node group ({}), a node name (<group>-<index>, e.g. {}) or a range of them",
                        cluster
                            .groups
                            .iter()
                            .map(|g| g.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        cluster.nodes.first().map_or("", |n| n.name.as_str())
                    ),
                });
                ok = false;
            }
        }
    }
    ok.then_some(member)
}

/// A group name, or a Slurm host list of node names (`"dgx-[000-015]"`,
/// `"gpu-node[1-8,10]"`; see `hardware::hostlist`).
fn resolve_nodes(reference: &str, cluster: &Cluster) -> Result<Vec<u32>, String> {
    if let Some(group) = cluster.groups.iter().find(|g| g.name == reference) {
        return Ok((group.first_node..group.first_node + group.node_count).collect());
    }
    let names = hostlist::expand(reference)
        .map_err(|e| format!("`{reference}` is not a host list: {}", e.message))?;
    let index: std::collections::BTreeMap<&str, u32> = (cluster.nodes.iter().enumerate())
        .map(|(i, n)| (n.name.as_str(), i as u32))
        .collect();
    names
        .iter()
        .map(|name| {
            index
                .get(name.as_str())
                .copied()
                .ok_or_else(|| format!("no node or node group is named `{name}`"))
        })
        .collect()
}

fn partitions(list: &[file::Partition], cluster: &Cluster, issues: &mut Issues) -> Vec<Partition> {
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let path = index_path("scheduler.partitions", i);
        if list[..i].iter().any(|other| other.name == p.name) {
            issues.error(Error {
                path: &field_path(&path, "name"),
                message: &format!("two partitions are named `{}`", p.name),
                found: &format!("\"{}\"", p.name),
                expected: "unique partition names",
                fix: "rename one of them",
            });
        }
        let Some(member) = node_set(&field_path(&path, "nodes"), &p.nodes, cluster, issues) else {
            continue;
        };
        let nodes = NodeSet::from_members(member);
        if nodes.is_empty() {
            issues.error(Error {
                path: &field_path(&path, "nodes"),
                message: "a partition needs nodes",
                found: "[]",
                expected: "at least one node group or node",
                fix: "list the node groups of this partition",
            });
        }
        // Slurm's `UNLIMITED` (or `INFINITE`) is no limit, as leaving the
        // field out is.
        let mut time = |field: &str, value: Option<&file::Written<SimDuration>>| {
            let at = field_path(&path, field);
            let value = value.filter(|w| !w.is_unlimited());
            let time = issues.optional(&at, value).ok().flatten();
            if let Some(t) = time {
                issues.positive_duration(
                    &at,
                    t,
                    field,
                    "give a positive time like \"1d\", or leave it out for no limit",
                );
            }
            time
        };
        let default_time = time("default_time", p.default_time.as_ref());
        let max_time = time("max_time", p.max_time.as_ref());
        let grace_time = issues
            .optional(&field_path(&path, "grace_time"), p.grace_time.as_ref())
            .ok()
            .flatten();
        if let (Some(d), Some(m)) = (default_time, max_time)
            && d > m
        {
            issues.error(Error {
                path: &field_path(&path, "default_time"),
                message: "the default time exceeds the partition's MaxTime",
                found: &format!("\"{}\" > \"{}\"", format_duration(d), format_duration(m)),
                expected: "default_time <= max_time",
                fix: "lower default_time or raise max_time",
            });
        }
        if let Some(n) = p.max_nodes {
            issues.positive_u32(
                &field_path(&path, "max_nodes"),
                n,
                "max_nodes",
                "allow at least one node per job, or leave it out",
            );
        }
        out.push(Partition {
            name: p.name.clone(),
            nodes,
            default_time,
            max_time,
            max_nodes: p.max_nodes,
            priority_job_factor: p.priority_job_factor.unwrap_or(1),
            priority_tier: p.priority_tier.unwrap_or(1),
            grace_time: grace_time.unwrap_or(SimDuration::ZERO),
        });
    }
    // `Default=YES` goes first: index 0 is where jobs without a partition go.
    let defaults: Vec<usize> = list
        .iter()
        .enumerate()
        .filter(|(_, p)| p.default == Some(true))
        .map(|(i, _)| i)
        .collect();
    if defaults.len() > 1 {
        issues.error(Error {
            path: &field_path(&index_path("scheduler.partitions", defaults[1]), "default"),
            message: "two partitions are marked default",
            found: "default: true",
            expected: "at most one default partition",
            fix: "keep default: true on one partition only",
        });
    } else if let Some(&d) = defaults.first()
        && d < out.len()
    {
        let default = out.remove(d);
        out.insert(0, default);
    }
    if out.is_empty() {
        out = SchedulerConfig::fcfs(cluster.node_count()).partitions;
    }
    out
}

fn qos_list(list: &[file::Qos], issues: &mut Issues) -> Vec<Qos> {
    let mut out = Vec::new();
    for (i, q) in list.iter().enumerate() {
        let path = index_path("scheduler.qos", i);
        if list[..i].iter().any(|other| other.name == q.name) {
            issues.error(Error {
                path: &field_path(&path, "name"),
                message: &format!("two QOS are named `{}`", q.name),
                found: &format!("\"{}\"", q.name),
                expected: "unique QOS names",
                fix: "rename one of them",
            });
        }
        for (field, value) in [
            ("max_gpus_per_user", q.max_gpus_per_user),
            ("grp_gpus", q.grp_gpus),
        ] {
            if value == Some(0) {
                issues.error(Error {
                    path: &field_path(&path, field),
                    message: &format!(
                        "{field} of 0 would keep every job of this QOS waiting forever"
                    ),
                    found: "0",
                    expected: "a positive GPU count, or no limit",
                    fix: "raise the limit or leave it out",
                });
            }
        }
        let mut preempt = Vec::new();
        for (k, name) in q.preempt.iter().enumerate() {
            match list.iter().position(|other| &other.name == name) {
                Some(j) if j == i => issues.error(Error {
                    path: &index_path(&field_path(&path, "preempt"), k),
                    message: "a QOS cannot preempt itself",
                    found: &format!("\"{name}\""),
                    expected: "names of other QOS",
                    fix: "remove it from the list",
                }),
                Some(j) => preempt.push(j as u16),
                None => {
                    let fix = match did_you_mean(name, list.iter().map(|q| q.name.as_str())) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "name a QOS defined under scheduler.qos".into(),
                    };
                    issues.error(Error {
                        path: &index_path(&field_path(&path, "preempt"), k),
                        message: &format!("unknown QOS `{name}`"),
                        found: &format!("\"{name}\""),
                        expected: "the name of another QOS",
                        fix: &fix,
                    });
                }
            }
        }
        out.push(Qos {
            name: q.name.clone(),
            priority: q.priority.unwrap_or(0),
            max_gpus_per_user: q.max_gpus_per_user,
            grp_gpus: q.grp_gpus,
            preempt,
            grace_time: issues
                .optional(&field_path(&path, "grace_time"), q.grace_time.as_ref())
                .ok()
                .flatten()
                .unwrap_or(SimDuration::ZERO),
        });
    }
    if let Some(cycle) = preemption_cycle(&out) {
        let names: Vec<&str> = cycle.iter().map(|&i| out[i].name.as_str()).collect();
        let chain: Vec<String> = names
            .iter()
            .chain(names.first())
            .map(|n| format!("`{n}`"))
            .collect();
        issues.error(Error {
            path: &field_path(&index_path("scheduler.qos", cycle[0]), "preempt"),
            message: &format!(
                "QOS preempt one another in a cycle: {}",
                chain.join(" preempts ")
            ),
            found: &format!("a cycle of {} QOS", cycle.len()),
            expected: "preempt lists that never lead back to the QOS they start from",
            fix: "remove one preempt entry of the cycle: each requeued job would otherwise preempt its preemptor in turn, forever (sacctmgr refuses such a loop too)",
        });
    }
    // Slurm's default QOS is `normal`: put it first when it exists.
    if let Some(normal) = out.iter().position(|q| q.name == "normal")
        && normal != 0
    {
        let q = out.remove(normal);
        out.insert(0, q);
        for q in &mut out {
            for p in &mut q.preempt {
                *p = match *p as usize {
                    x if x == normal => 0,
                    x if x < normal => (x + 1) as u16,
                    x => x as u16,
                };
            }
        }
    }
    out
}

fn topology(list: &[file::Switch], cluster: &Cluster, issues: &mut Issues) -> Vec<LeafSwitch> {
    if list.is_empty() {
        return Vec::new();
    }
    let mut owner: Vec<Option<usize>> = vec![None; cluster.node_count()];
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let path = index_path("scheduler.topology", i);
        let Some(member) = node_set(&field_path(&path, "nodes"), &s.nodes, cluster, issues) else {
            continue;
        };
        let mut nodes = Vec::new();
        for (n, &m) in member.iter().enumerate() {
            if !m {
                continue;
            }
            if let Some(other) = owner[n] {
                issues.error(Error {
                    path: &field_path(&path, "nodes"),
                    message: &format!(
                        "node {} is under two leaf switches ({} and {})",
                        cluster.nodes[n].name, list[other].name, s.name
                    ),
                    found: &format!("{:?}", s.nodes),
                    expected: "each node under exactly one leaf switch",
                    fix: "remove the node from one of the switches",
                });
            }
            owner[n] = Some(i);
            nodes.push(n as u32);
        }
        out.push(LeafSwitch {
            name: s.name.clone(),
            nodes,
        });
    }
    if let Some(n) = owner.iter().position(Option::is_none) {
        issues.error(Error {
            path: "scheduler.topology",
            message: &format!("node {} is under no leaf switch", cluster.nodes[n].name),
            found: &format!(
                "{} of {} nodes placed",
                owner.iter().filter(|o| o.is_some()).count(),
                owner.len()
            ),
            expected: "every node under a leaf switch",
            fix: "add the missing nodes to a switch, e.g. a range like \"dgx-[016-031]\"",
        });
    }
    out
}

/// The index of a named partition or QOS for a job, or an error.
pub(super) fn lookup(
    path: &str,
    kind: &str,
    name: Option<&str>,
    names: &[&str],
    issues: &mut Issues,
) -> Option<u16> {
    let Some(name) = name else {
        return Some(0);
    };
    match names.iter().position(|n| *n == name) {
        Some(i) => Some(i as u16),
        None => {
            let fix = match did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "define it under scheduler.{}, or leave it out for the default",
                    if kind == "partition" {
                        "partitions"
                    } else {
                        "qos"
                    }
                ),
            };
            issues.error(Error {
                path,
                message: &format!("unknown {kind} `{name}`"),
                found: &format!("\"{name}\""),
                expected: &format!("one of {}", names.join(", ")),
                fix: &fix,
            });
            None
        }
    }
}
