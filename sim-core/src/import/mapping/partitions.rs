//! The QOS of the `--qos` file and the `PartitionName` lines to the
//! plan's QOS and partitions.
//!
//! Invariants: a partition names only nodes some `NodeName` line defines
//! (or ALL) and, given a `--qos` file, only QOS it defines; it keeps only
//! its GPU nodes, and one without any is left out with a note. There is
//! always a partition: with none left, one `all` of every GPU node.

use super::{Hosts, Line, Partition, Plan, QosDef, effective, hosts, quoted, time, uint, yes_no};
use crate::engine::SimDuration;
use crate::hardware::hostlist;
use crate::text::{FileError, did_you_mean};

/// The `--qos` file's QOS, to `plan.qos`; their names, for the
/// partitions' `QOS=` and `AllowQos=` to be checked against.
pub(super) fn qos(plan: &mut Plan, qos: Option<(String, Vec<QosDef>)>) -> Option<Vec<String>> {
    let qos_names: Option<Vec<String>> = qos
        .as_ref()
        .map(|(_, q)| q.iter().map(|q| q.name.clone()).collect());
    if let Some((path, q)) = qos {
        plan.sources.push(path);
        for def in &q {
            for i in &def.ignored {
                plan.ignored.push(format!("QOS {}: {i}", def.name));
            }
        }
        plan.qos = q;
    }
    qos_names
}

/// The partitions of GPU nodes, to `plan.partitions`.
pub(super) fn map(
    plan: &mut Plan,
    part_lines: &[Line<'_>],
    node_hosts: &Hosts,
    qos_names: Option<&[String]>,
) -> Result<(), FileError> {
    for (defaults, line) in part_lines {
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
            node_hosts.gpu.clone()
        } else {
            let listed = hosts(nodes)?;
            if let Some(missing) = listed.iter().find(|h| !node_hosts.known.contains(h)) {
                let hint = did_you_mean(missing, node_hosts.known.iter().map(String::as_str))
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
                .filter(|h| !node_hosts.cpu_only.contains(h))
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
            if let (Some(p), Some(names)) = (get(key), qos_names) {
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
            nodes: hostlist::compress(&node_hosts.gpu),
            fields: Vec::new(),
        });
    }
    Ok(())
}
