//! slurm.conf's statements (and topology.conf's, and sacctmgr's QOS) to
//! the [`Plan`] of a scenario: what each key becomes, or why it is left
//! out.
//!
//! Invariants: every pair read is either mapped, listed in `ignored` with
//! its reason (the tables of `keys`), or reported in `unknown`; a value
//! that cannot be read is an error at its line and column, never a
//! default. Node names are Slurm's own (node groups carry `hosts`), so
//! partitions and switches name the same nodes slurmctld does.

use std::collections::BTreeMap;

use super::conf::{Pair, Place, Statement};
use super::gpus::{self, GpuGres};
use super::keys;
use super::qos::QosDef;
use super::topology::Topology;
use crate::engine::SimDuration;
use crate::hardware::{Catalog, hostlist};
use crate::text::{FileError, did_you_mean};
use crate::units::{format_duration, parse_slurm_minutes};

/// The backfill mode a `sched/backfill` configuration imports as: the
/// Slurm-faithful mode (slurmctld 22.05's node-space map, batched start
/// estimates and main and backfill passes), not the literature's.
pub const SLURM_BACKFILL: &str = "Slurm";

/// Slurm's `EnforcePartLimits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnforcePartLimits {
    No,
    Any,
    All,
}

/// A node group: one `NodeName=` line with GPUs.
pub struct Group {
    pub name: String,
    pub hosts: String,
    pub count: u32,
    pub node_model: String,
    pub gpu_model: String,
    pub gpus_per_node: u32,
    /// What the line said that the scenario keeps only as a comment.
    pub comment: String,
}

pub struct Partition {
    pub name: String,
    pub nodes: String,
    pub fields: Vec<(&'static str, String)>,
}

pub enum Workload {
    /// Replay this sacct file (path as the scenario should write it).
    Sacct(String),
    /// A small example: jobs of 1 and of `gpus` GPUs, run times up to
    /// `max_runtime`.
    Example { gpus: u32, max_runtime: SimDuration },
}

/// What the scenario will say.
pub struct Plan {
    pub name: String,
    pub sources: Vec<String>,
    /// How things were mapped where it is not one key to one field.
    pub notes: Vec<String>,
    /// `Key=Value (file:line): reason`.
    pub ignored: Vec<String>,
    /// Keys not in slurm.conf(5), as warnings.
    pub unknown: Vec<FileError>,
    pub groups: Vec<Group>,
    pub partitions: Vec<Partition>,
    pub scheduler: Vec<(&'static str, String)>,
    pub priority: Vec<(&'static str, String)>,
    pub enforce_part_limits: EnforcePartLimits,
    pub qos: Vec<QosDef>,
    pub topology: Vec<(String, String)>,
    pub upper_switches: Vec<String>,
    pub workload: Workload,
}

/// Everything the mapping reads.
pub struct Inputs<'a> {
    pub conf_path: String,
    pub statements: Vec<Statement>,
    pub topology: Option<(String, Topology)>,
    pub qos: Option<(String, Vec<QosDef>)>,
    pub sacct: Option<String>,
    pub gpu_models: &'a [(String, String)],
    pub catalog: &'a Catalog,
}

fn ignore(plan: &mut Plan, pair: &Pair, reason: &str) {
    plan.ignored.push(format!(
        "{}={} ({}): {reason}",
        pair.key,
        pair.value,
        pair.key_at.short()
    ));
}

fn unknown(
    plan: &mut Plan,
    pair: &Pair,
    what: &str,
    table: &[(&'static str, Option<&'static str>)],
) {
    let hint = did_you_mean(&pair.key, keys::names(table))
        .map(|k| format!("did you mean `{k}`? If not, "))
        .unwrap_or_default();
    plan.unknown.push(pair.key_at.error(
        format!(
            "`{}` is not a {what} key of slurm.conf(5); it is left out",
            pair.key
        ),
        format!("a key of slurm.conf(5)'s {what} section"),
        format!("{hint}check the spelling against the man page of your Slurm version"),
    ));
}

fn uint(pair: &Pair) -> Result<u32, FileError> {
    pair.value.parse().map_err(|_| {
        pair.value_at.error(
            format!("{} must be a whole number, not `{}`", pair.key, pair.value),
            "a whole number from 0 to 4294967295",
            format!("write {}=N", pair.key),
        )
    })
}

fn yes_no(pair: &Pair) -> Result<bool, FileError> {
    match pair.value.to_ascii_uppercase().as_str() {
        "YES" | "TRUE" | "1" => Ok(true),
        "NO" | "FALSE" | "0" => Ok(false),
        _ => Err(pair.value_at.error(
            format!("{} must be YES or NO, not `{}`", pair.key, pair.value),
            "YES or NO",
            format!("write {}=YES or {}=NO", pair.key, pair.key),
        )),
    }
}

/// A slurm.conf time (`MaxTime`, `PriorityMaxAge`, ...): `None` is
/// UNLIMITED.
fn time(pair: &Pair) -> Result<Option<SimDuration>, FileError> {
    parse_slurm_minutes(&pair.value).map_err(|e| {
        pair.value_at.error(
            format!("{} is not a time Slurm accepts: {}", pair.key, e.found),
            e.expected,
            e.fix,
        )
    })
}

fn quoted(d: SimDuration) -> String {
    format!("\"{}\"", format_duration(d))
}

fn hosts(pair: &Pair) -> Result<Vec<String>, FileError> {
    hostlist::expand(&pair.value).map_err(|e| {
        pair.value_at.within(e.span.start, e.span.len()).error(
            format!("invalid host list `{}`: {}", pair.value, e.message),
            hostlist::HOSTLIST_EXPECTED,
            "write it as slurm.conf(5) does, e.g. gpu-node[1-8,10] or n[01-04]",
        )
    })
}

/// A group name from a node name: its letters before the number, made a
/// scenario label.
fn group_name(host: &str, taken: &[Group]) -> String {
    let base: String = host
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches(['-', '_'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = if base.is_empty() {
        "nodes".to_string()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|g| g.name == name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// The line's own pairs, then those of the `DEFAULT` lines before it (as
/// slurmctld merges them): the later wins.
fn effective<'a>(defaults: &'a [Pair], line: &'a Statement) -> impl Fn(&str) -> Option<&'a Pair> {
    move |key| {
        line.get(key)
            .or_else(|| defaults.iter().rev().find(|p| p.is(key)))
    }
}

pub fn plan(inputs: Inputs<'_>) -> Result<Plan, FileError> {
    let mut plan = Plan {
        name: "slurm".into(),
        sources: vec![inputs.conf_path.clone()],
        notes: Vec::new(),
        ignored: Vec::new(),
        unknown: Vec::new(),
        groups: Vec::new(),
        partitions: Vec::new(),
        scheduler: Vec::new(),
        priority: Vec::new(),
        enforce_part_limits: EnforcePartLimits::No,
        qos: Vec::new(),
        topology: Vec::new(),
        upper_switches: Vec::new(),
        workload: Workload::Example {
            gpus: 1,
            max_runtime: SimDuration::from_secs(3_600),
        },
    };
    let mut globals: BTreeMap<String, Pair> = BTreeMap::new();
    let mut node_defaults: Vec<Pair> = Vec::new();
    let mut part_defaults: Vec<Pair> = Vec::new();
    let mut node_lines = Vec::new();
    let mut part_lines = Vec::new();
    for statement in &inputs.statements {
        let head = statement.head();
        let (table, what) = if head.is("NodeName") {
            (keys::NODE, "NodeName")
        } else if head.is("PartitionName") {
            (keys::PARTITION, "PartitionName")
        } else {
            (keys::GLOBAL, "global")
        };
        if what == "global"
            && let Some(Some(reason)) = keys::lookup(keys::GLOBAL, &head.key)
            && ["SlurmctldHost", "DownNodes", "NodeSet", "FrontendName"]
                .iter()
                .any(|k| head.is(k))
        {
            ignore(&mut plan, head, reason);
            continue;
        }
        for pair in &statement.pairs {
            match keys::lookup(table, &pair.key) {
                None => unknown(&mut plan, pair, what, table),
                Some(Some(reason)) => ignore(&mut plan, pair, reason),
                Some(None) if what == "global" => {
                    globals.insert(pair.key.to_ascii_lowercase(), pair.clone());
                }
                Some(None) => {}
            }
        }
        let is_default = head.value.eq_ignore_ascii_case("DEFAULT");
        match what {
            "NodeName" if is_default => node_defaults.extend(statement.pairs[1..].iter().cloned()),
            "NodeName" => node_lines.push((node_defaults.clone(), statement)),
            "PartitionName" if is_default => {
                part_defaults.extend(statement.pairs[1..].iter().cloned())
            }
            "PartitionName" => part_lines.push((part_defaults.clone(), statement)),
            _ => {}
        }
    }
    let global = |key: &str| globals.get(&key.to_ascii_lowercase());
    if let Some(name) = global("ClusterName") {
        plan.name = name.value.clone();
    }

    // Nodes.
    let mut cpu_only: Vec<String> = Vec::new();
    let mut known_hosts: Vec<String> = Vec::new();
    for (defaults, line) in &node_lines {
        let get = effective(defaults, line);
        let names = hosts(line.head())?;
        known_hosts.extend(names.iter().cloned());
        let gres = match get("Gres") {
            Some(g) => gpus::parse_gres(&g.value, &g.value_at)?.map(|gres| (gres, g)),
            None => None,
        };
        let Some((GpuGres { kind, count }, gres_pair)) = gres.filter(|(g, _)| g.count > 0) else {
            plan.notes.push(format!(
                "NodeName={} ({}): no GPU Gres, so left out of the cluster (clustersim simulates GPU jobs only); partitions lose these nodes",
                line.head().value,
                line.head().key_at.short()
            ));
            cpu_only.extend(names);
            continue;
        };
        let gpu_model = gpus::catalog_model(
            &kind,
            inputs.gpu_models,
            inputs.catalog,
            &gres_pair.value_at,
        )?;
        let node_model = gpus::node_model_for(&gpu_model, inputs.catalog);
        let kept: Vec<String> = [
            "CPUs",
            "Procs",
            "Boards",
            "SocketsPerBoard",
            "Sockets",
            "CoresPerSocket",
            "ThreadsPerCore",
            "RealMemory",
        ]
        .iter()
        .filter_map(|k| get(k).map(|p| format!("{k}={}", p.value)))
        .collect();
        let name = group_name(&names[0], &plan.groups);
        plan.groups.push(Group {
            name,
            hosts: line.head().value.clone(),
            count: names.len() as u32,
            node_model,
            gpu_model,
            gpus_per_node: count,
            comment: format!(
                "{} ({}): Gres={}{}{} (CPUs and memory are not modelled)",
                line.head().value,
                line.head().key_at.short(),
                gres_pair.value,
                if kept.is_empty() { "" } else { ", " },
                kept.join(" ")
            ),
        });
    }
    if plan.groups.is_empty() {
        let at = node_lines
            .first()
            .map(|(_, l)| l.head().key_at.clone())
            .unwrap_or(Place {
                path: inputs.conf_path.clone(),
                line: 0,
                text: String::new(),
                span: 0..0,
            });
        let message =
            "no NodeName line has GPUs (Gres=gpu:TYPE:N), so there is no cluster to simulate";
        let expected = "NodeName=HOSTS ... Gres=gpu:TYPE:N";
        let fix = "add the GPU Gres to the GPU nodes' NodeName lines";
        return Err(if at.line == 0 {
            FileError {
                path: at.path,
                line: 0,
                column: 0,
                message: message.into(),
                expected: expected.into(),
                fix: fix.into(),
                excerpt: None,
            }
        } else {
            at.error(message, expected, fix)
        });
    }
    let gpu_hosts: Vec<String> = known_hosts
        .iter()
        .filter(|h| !cpu_only.contains(h))
        .cloned()
        .collect();

    // QOS.
    let qos_names: Option<Vec<String>> = inputs
        .qos
        .as_ref()
        .map(|(_, q)| q.iter().map(|q| q.name.clone()).collect());
    if let Some((path, q)) = inputs.qos {
        plan.sources.push(path);
        for def in &q {
            for i in &def.ignored {
                plan.ignored.push(format!("QOS {}: {i}", def.name));
            }
        }
        plan.qos = q;
    }

    // Partitions.
    for (defaults, line) in &part_lines {
        let get = effective(defaults, line);
        let name = line.head().value.clone();
        let Some(nodes) = get("Nodes") else {
            plan.notes.push(format!(
                "PartitionName={name} ({}): no Nodes=, so left out",
                line.head().key_at.short()
            ));
            continue;
        };
        let members: Vec<String> = if nodes.value.eq_ignore_ascii_case("ALL") {
            gpu_hosts.clone()
        } else {
            let listed = hosts(nodes)?;
            if let Some(missing) = listed.iter().find(|h| !known_hosts.contains(h)) {
                let hint = did_you_mean(missing, known_hosts.iter().map(String::as_str))
                    .map(|m| format!("did you mean `{m}`? "))
                    .unwrap_or_default();
                return Err(nodes.value_at.error(
                    format!(
                        "partition `{name}` names node `{missing}`, which no NodeName line defines"
                    ),
                    "nodes defined by NodeName lines, or ALL",
                    format!("{hint}define the node with a NodeName line, or remove it from Nodes="),
                ));
            }
            listed
                .into_iter()
                .filter(|h| !cpu_only.contains(h))
                .collect()
        };
        if members.is_empty() {
            plan.notes.push(format!(
                "PartitionName={name} ({}): only CPU nodes, so left out",
                line.head().key_at.short()
            ));
            continue;
        }
        let mut fields = Vec::new();
        if let Some(p) = get("Default")
            && yes_no(p)?
        {
            fields.push(("default", "true".to_string()));
        }
        for (key, field) in [("DefaultTime", "default_time"), ("MaxTime", "max_time")] {
            if let Some(p) = get(key)
                && let Some(t) = time(p)?
            {
                fields.push((field, quoted(t)));
            }
        }
        if let Some(p) = get("MaxNodes")
            && !(p.value.eq_ignore_ascii_case("UNLIMITED")
                || p.value.eq_ignore_ascii_case("INFINITE"))
        {
            fields.push(("max_nodes", uint(p)?.to_string()));
        }
        // `Priority=` (before Slurm 16.05) set both.
        let old = get("Priority").map(uint).transpose()?;
        for (key, field) in [
            ("PriorityJobFactor", "priority_job_factor"),
            ("PriorityTier", "priority_tier"),
        ] {
            let value = match get(key) {
                Some(p) => Some(uint(p)?),
                None => old,
            };
            if let Some(v) = value {
                fields.push((field, v.to_string()));
            }
        }
        if let Some(p) = get("GraceTime") {
            let secs = uint(p)?;
            if secs > 0 {
                fields.push((
                    "grace_time",
                    quoted(SimDuration::from_secs(u64::from(secs))),
                ));
            }
        }
        if let Some(p) = get("State")
            && !p.value.eq_ignore_ascii_case("UP")
        {
            plan.notes.push(format!(
                "PartitionName={name} State={} ({}): partition states are not modelled; it is scheduled as UP",
                p.value,
                p.key_at.short()
            ));
        }
        if let Some(p) = get("OverSubscribe").or_else(|| get("Shared")) {
            let v = p.value.to_ascii_uppercase();
            if v != "NO" {
                plan.notes.push(format!(
                    "PartitionName={name} OverSubscribe={} ({}): not modelled; clustersim never shares a GPU and packs jobs onto nodes as OverSubscribe=NO does",
                    p.value,
                    p.key_at.short()
                ));
            }
        }
        for key in ["QOS", "AllowQos"] {
            if let (Some(p), Some(names)) = (get(key), &qos_names) {
                let mut offset = 0;
                for q in p.value.split(',') {
                    let here = p.value_at.within(offset, q.len());
                    offset += q.len() + 1;
                    if q.eq_ignore_ascii_case("ALL") || names.iter().any(|n| n == q) {
                        continue;
                    }
                    let hint = did_you_mean(q, names.iter().map(String::as_str))
                        .map(|m| format!("did you mean `{m}`? "))
                        .unwrap_or_default();
                    return Err(here.error(
                        format!("partition `{name}` names QOS `{q}`, which the --qos file does not define"),
                        format!("a QOS of the --qos file: {}", names.join(", ")),
                        format!("{hint}add `{q}` to the QOS file (sacctmgr show qos -P lists every QOS), or fix {key}="),
                    ));
                }
            }
        }
        plan.partitions.push(Partition {
            name,
            nodes: hostlist::compress(&members),
            fields,
        });
    }
    if plan.partitions.is_empty() {
        plan.notes.push("no partition with GPU nodes: one partition `all` of every GPU node is made, as jobs need one".into());
        plan.partitions.push(Partition {
            name: "all".into(),
            nodes: hostlist::compress(&gpu_hosts),
            fields: Vec::new(),
        });
    }

    // Priority.
    // slurm.conf(5) of 22.05, the peer's release: "The default value is
    // priority/basic" (later releases' documentation gives multifactor).
    let multifactor = match global("PriorityType") {
        None => {
            plan.notes.push(
                "no PriorityType: priority/basic (FIFO), Slurm 22.05's default; later releases default to priority/multifactor, so write PriorityType if yours does".into(),
            );
            false
        }
        Some(p) => match p.value.to_ascii_lowercase().as_str() {
            "priority/multifactor" => true,
            "priority/basic" => false,
            _ => {
                return Err(p.value_at.error(
                    format!("unknown PriorityType `{}`", p.value),
                    "priority/multifactor or priority/basic",
                    "use one of Slurm's priority plugins",
                ));
            }
        },
    };
    plan.scheduler.push((
        "order",
        if multifactor { "Multifactor" } else { "Fcfs" }.into(),
    ));
    let slurmdbd = inputs.statements.iter().flat_map(|s| &s.pairs).any(|p| {
        p.is("AccountingStorageType") && p.value.eq_ignore_ascii_case("accounting_storage/slurmdbd")
    });
    let needs_slurmdbd = |key: &str| key == "PriorityWeightAge" || key == "PriorityWeightFairshare";
    if multifactor {
        for (key, field) in [
            ("PriorityWeightAge", "weight_age"),
            ("PriorityWeightFairshare", "weight_fairshare"),
            ("PriorityWeightJobSize", "weight_job_size"),
            ("PriorityWeightPartition", "weight_partition"),
            ("PriorityWeightQOS", "weight_qos"),
        ] {
            if let Some(p) = global(key) {
                let weight = uint(p)?;
                // Without SlurmDBD, slurmctld zeroes the age and fair-share
                // weights ("PriorityWeightAge can only be used with
                // SlurmDBD, ignoring": priority_multifactor.c's init; seen in
                // the real runs of scripts/slurm).
                if weight > 0 && needs_slurmdbd(key) && !slurmdbd {
                    plan.notes.push(format!(
                        "{key}={weight} ({}): imported as 0, because slurmctld ignores it without AccountingStorageType=accounting_storage/slurmdbd",
                        p.key_at.short()
                    ));
                    plan.priority.push((field, "0".into()));
                    continue;
                }
                plan.priority.push((field, weight.to_string()));
            }
        }
        for (key, field) in [
            ("PriorityMaxAge", "max_age"),
            ("PriorityCalcPeriod", "calc_period"),
            ("PriorityDecayHalfLife", "decay_half_life"),
        ] {
            if let Some(p) = global(key) {
                let t = time(p)?.unwrap_or(SimDuration::ZERO);
                plan.priority.push((field, quoted(t)));
            }
        }
        // slurmctld refuses a zero half-life without a reset period
        // (slurm.conf(5), PriorityDecayHalfLife: "If set to 0
        // PriorityUsageResetPeriod must be set to some interval"), and so
        // does the scenario: say so here, at the slurm.conf line.
        if let Some(p) = global("PriorityDecayHalfLife")
            && time(p)?.is_none_or(|t| t.is_zero())
            && global("PriorityUsageResetPeriod")
                .is_none_or(|r| r.value.eq_ignore_ascii_case("NONE"))
        {
            return Err(p.value_at.error(
                "PriorityDecayHalfLife=0 (no decay) without a PriorityUsageResetPeriod",
                "a half-life above 0, or PriorityUsageResetPeriod set to an interval",
                "set PriorityUsageResetPeriod (e.g. MONTHLY) or a half-life such as 7-0, as slurmctld requires",
            ));
        }
        if let Some(p) = global("PriorityFavorSmall") {
            plan.priority.push(("favor_small", yes_no(p)?.to_string()));
        }
        if let Some(p) = global("PriorityUsageResetPeriod") {
            let v = match p.value.to_ascii_uppercase().as_str() {
                "NONE" => "None",
                "DAILY" => "Daily",
                "WEEKLY" => "Weekly",
                "MONTHLY" => "Monthly",
                "QUARTERLY" => "Quarterly",
                "YEARLY" => "Yearly",
                "NOW" => {
                    ignore(
                        &mut plan,
                        p,
                        "a one-off reset at slurmctld's start: the simulation starts with no usage anyway",
                    );
                    "None"
                }
                _ => {
                    return Err(p.value_at.error(
                        format!("unknown PriorityUsageResetPeriod `{}`", p.value),
                        "NONE, NOW, DAILY, WEEKLY, MONTHLY, QUARTERLY or YEARLY",
                        "use one of slurm.conf(5)'s periods",
                    ));
                }
            };
            plan.priority.push(("usage_reset", v.into()));
        }
        if let Some(p) = global("PriorityFlags") {
            for flag in p.value.split(',').filter(|f| !f.is_empty()) {
                match flag.to_ascii_uppercase().as_str() {
                    "NO_FAIR_TREE" => plan.priority.push(("fairshare", "Classic".into())),
                    "FAIR_TREE" => plan.priority.push(("fairshare", "FairTree".into())),
                    "SMALL_RELATIVE_TO_TIME" => {
                        plan.priority.push(("small_relative_to_time", "true".into()))
                    }
                    other => plan.ignored.push(format!(
                        "PriorityFlags {other} ({}): not modelled by clustersim's multifactor priority",
                        p.key_at.short()
                    )),
                }
            }
        }
    } else {
        for key in [
            "PriorityWeightAge",
            "PriorityWeightFairshare",
            "PriorityWeightJobSize",
            "PriorityWeightPartition",
            "PriorityWeightQOS",
            "PriorityMaxAge",
            "PriorityCalcPeriod",
            "PriorityDecayHalfLife",
            "PriorityFavorSmall",
            "PriorityUsageResetPeriod",
            "PriorityFlags",
        ] {
            if let Some(p) = global(key) {
                ignore(
                    &mut plan,
                    p,
                    "priority/basic ignores the multifactor settings, as Slurm does",
                );
            }
        }
    }

    // Scheduler.
    let backfill = match global("SchedulerType") {
        None => true,
        Some(p) => match p.value.to_ascii_lowercase().as_str() {
            "sched/backfill" => true,
            "sched/builtin" => false,
            _ => {
                return Err(p.value_at.error(
                    format!("unknown SchedulerType `{}`", p.value),
                    "sched/backfill or sched/builtin",
                    "use one of Slurm's scheduler plugins",
                ));
            }
        },
    };
    plan.scheduler.push((
        "backfill",
        if backfill { SLURM_BACKFILL } else { "None" }.into(),
    ));
    if let Some(p) = global("SchedulerParameters") {
        let mut offset = 0;
        for option in p.value.split(',') {
            let here = p.value_at.within(offset, option.len());
            offset += option.len() + 1;
            let (key, value) = option.split_once('=').unwrap_or((option, ""));
            let number = || {
                value.parse::<u32>().map_err(|_| {
                    here.error(
                        format!("`{option}` needs a whole number"),
                        format!("{key}=N"),
                        "fix the number",
                    )
                })
            };
            let key_lower = key.to_ascii_lowercase();
            if !keys::SCHEDULER_PARAMETERS.contains(&key_lower.as_str()) || !backfill {
                plan.ignored.push(format!(
                    "SchedulerParameters {option} ({}): {}",
                    p.key_at.short(),
                    if backfill {
                        "a SchedulerParameters option clustersim does not model"
                    } else {
                        "no backfill with sched/builtin"
                    }
                ));
                continue;
            }
            match key_lower.as_str() {
                "bf_interval" => plan.scheduler.push((
                    "bf_interval",
                    quoted(SimDuration::from_secs(u64::from(number()?))),
                )),
                "bf_window" => plan.scheduler.push((
                    "bf_window",
                    quoted(SimDuration::from_secs(60 * u64::from(number()?))),
                )),
                "bf_resolution" => plan.scheduler.push((
                    "bf_resolution",
                    quoted(SimDuration::from_secs(u64::from(number()?))),
                )),
                "bf_max_job_test" => plan
                    .scheduler
                    .push(("bf_max_job_test", number()?.to_string())),
                // Seconds, like bf_interval (slurm.conf(5)).
                "sched_interval" => plan.scheduler.push((
                    "sched_interval",
                    quoted(SimDuration::from_secs(u64::from(number()?))),
                )),
                _ => plan.scheduler.push(("bf_continue", "true".into())),
            }
        }
    }
    if let Some(p) = global("PreemptType") {
        let v = match p.value.to_ascii_lowercase().as_str() {
            "preempt/none" => "None",
            "preempt/qos" => "Qos",
            "preempt/partition_prio" => "PartitionPriority",
            _ => {
                return Err(p.value_at.error(
                    format!("unknown PreemptType `{}`", p.value),
                    "preempt/none, preempt/qos or preempt/partition_prio",
                    "use one of Slurm's preemption plugins",
                ));
            }
        };
        plan.scheduler.push(("preempt_type", v.into()));
    }
    if let Some(p) = global("PreemptMode") {
        for mode in p.value.split(',') {
            match mode.to_ascii_uppercase().as_str() {
                "CANCEL" => plan.scheduler.push(("preempt_mode", "Cancel".into())),
                "REQUEUE" => plan.scheduler.push(("preempt_mode", "Requeue".into())),
                "OFF" => {
                    plan.scheduler.retain(|(k, _)| *k != "preempt_type");
                    plan.scheduler.push(("preempt_type", "None".into()));
                }
                other => plan.notes.push(format!(
                    "PreemptMode {other} ({}): not modelled; preempted jobs are requeued",
                    p.key_at.short()
                )),
            }
        }
    }
    if let Some(p) = global("EnforcePartLimits") {
        plan.enforce_part_limits = match p.value.to_ascii_uppercase().as_str() {
            "NO" => EnforcePartLimits::No,
            "ANY" => EnforcePartLimits::Any,
            "ALL" | "YES" => EnforcePartLimits::All,
            _ => {
                return Err(p.value_at.error(
                    format!("unknown EnforcePartLimits `{}`", p.value),
                    "NO, ANY, ALL (or YES, which is ALL)",
                    "use one of slurm.conf(5)'s values",
                ));
            }
        };
    }
    if let Some(p) = global("GresTypes")
        && !p.value.split(',').any(|t| t.eq_ignore_ascii_case("gpu"))
    {
        plan.notes.push(format!(
            "GresTypes={} ({}): has no `gpu`, yet the nodes' GPU Gres were read",
            p.value,
            p.key_at.short()
        ));
    }

    // Topology.
    if let Some((path, t)) = inputs.topology {
        plan.sources.push(path);
        for pair in &t.unknown {
            unknown(&mut plan, pair, "topology.conf", keys::TOPOLOGY);
        }
        for (pair, reason) in &t.ignored {
            ignore(&mut plan, pair, reason);
        }
        for leaf in t.leaves {
            if let Some(missing) = leaf.nodes.iter().find(|h| !known_hosts.contains(h)) {
                return Err(leaf.nodes_at.value_at.error(
                    format!("switch `{}` names node `{missing}`, which no NodeName line of slurm.conf defines", leaf.name),
                    "nodes defined by slurm.conf's NodeName lines",
                    "use the same topology.conf as the slurm.conf, or fix the node name",
                ));
            }
            let nodes: Vec<String> = leaf
                .nodes
                .into_iter()
                .filter(|h| !cpu_only.contains(h))
                .collect();
            if !nodes.is_empty() {
                plan.topology.push((leaf.name, hostlist::compress(&nodes)));
            }
        }
        plan.upper_switches = t.upper;
    }

    // Workload.
    plan.workload = match inputs.sacct {
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
    Ok(plan)
}
