//! slurm.conf's statements (and topology.conf's, and sacctmgr's QOS) to
//! the [`Plan`] of a scenario: what each key becomes, or why it is left
//! out.
//!
//! Invariants: every pair read is either mapped, listed in `ignored` with
//! its reason (the tables of `keys`), or reported in `unknown`; a value
//! that cannot be read is an error at its line and column, never a
//! default. Node names are Slurm's own (node groups carry `hosts`), so
//! partitions and switches name the same nodes slurmctld does.
//!
//! This file holds the plan's types, the helpers every section shares and
//! the statement pass that sorts slurm.conf's lines into globals, node
//! lines and partition lines; each section is mapped by its own file:
//! `nodes`, `partitions` (with the QOS), `priority`, `scheduler`,
//! `topology` and `workload`, in that order (later sections read what
//! earlier ones put in the plan).

mod nodes;
mod partitions;
mod priority;
mod scheduler;
mod topology;
mod workload;

use std::collections::BTreeMap;

use super::conf::{Pair, Statement};
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

/// The line's own pairs, then those of the `DEFAULT` lines before it (as
/// slurmctld merges them): the later wins.
fn effective<'a>(defaults: &'a [Pair], line: &'a Statement) -> impl Fn(&str) -> Option<&'a Pair> {
    move |key| {
        line.get(key)
            .or_else(|| defaults.iter().rev().find(|p| p.is(key)))
    }
}

/// slurm.conf's global pairs, by key in any case (the last one wins).
struct Globals(BTreeMap<String, Pair>);

impl Globals {
    fn get(&self, key: &str) -> Option<&Pair> {
        self.0.get(&key.to_ascii_lowercase())
    }
}

/// A `NodeName=` or `PartitionName=` line with the pairs of the `DEFAULT`
/// lines before it.
type Line<'a> = (Vec<Pair>, &'a Statement);

/// What the statement pass sorts slurm.conf's statements into.
struct Read<'a> {
    globals: Globals,
    node_lines: Vec<Line<'a>>,
    part_lines: Vec<Line<'a>>,
}

/// The host lists of the nodes step, which partitions and switches are
/// checked against.
///
/// Invariant: `gpu` is `known` without `cpu_only`, in `known`'s order.
struct Hosts {
    /// Every node a `NodeName` line defines.
    known: Vec<String>,
    /// The nodes left out for having no GPU Gres.
    cpu_only: Vec<String>,
    /// The nodes kept.
    gpu: Vec<String>,
}

/// Every statement's pairs mapped, ignored or reported as unknown; the
/// global ones kept by key, the node and partition lines with their
/// defaults.
fn read<'a>(plan: &mut Plan, statements: &'a [Statement]) -> Read<'a> {
    let mut globals: BTreeMap<String, Pair> = BTreeMap::new();
    let mut node_defaults: Vec<Pair> = Vec::new();
    let mut part_defaults: Vec<Pair> = Vec::new();
    let mut node_lines = Vec::new();
    let mut part_lines = Vec::new();
    for statement in statements {
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
            ignore(plan, head, reason);
            continue;
        }
        for pair in &statement.pairs {
            match keys::lookup(table, &pair.key) {
                None => unknown(plan, pair, what, table),
                Some(Some(reason)) => ignore(plan, pair, reason),
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
    Read {
        globals: Globals(globals),
        node_lines,
        part_lines,
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
    let read = read(&mut plan, &inputs.statements);
    if let Some(name) = read.globals.get("ClusterName") {
        plan.name = name.value.clone();
    }
    let node_hosts = nodes::map(&mut plan, &read.node_lines, &inputs)?;
    let qos_names = partitions::qos(&mut plan, inputs.qos);
    partitions::map(
        &mut plan,
        &read.part_lines,
        &node_hosts,
        qos_names.as_deref(),
    )?;
    priority::map(&mut plan, &read.globals, &inputs.statements)?;
    scheduler::map(&mut plan, &read.globals)?;
    topology::map(&mut plan, inputs.topology, &node_hosts)?;
    workload::map(&mut plan, inputs.sacct, &read.part_lines);
    Ok(plan)
}
