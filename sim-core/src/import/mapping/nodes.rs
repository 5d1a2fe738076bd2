//! The `NodeName` lines to the plan's node groups: one group per line
//! with a GPU Gres, named after its hosts, its CPUs and memory kept only
//! as a comment.
//!
//! Invariants: a line without GPUs is left out with a note and its hosts
//! are `cpu_only` (partitions and switches lose them); a configuration
//! with no GPU line at all is an error, as there is no cluster to
//! simulate.

use super::{Group, Hosts, Inputs, Line, Plan, effective, hosts};
use crate::import::conf::Place;
use crate::import::gpus::{self, GpuGres};
use crate::text::FileError;

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

/// The node groups, pushed to `plan.groups`, and the host lists the later
/// sections check their nodes against.
pub(super) fn map(
    plan: &mut Plan,
    node_lines: &[Line<'_>],
    inputs: &Inputs<'_>,
) -> Result<Hosts, FileError> {
    let mut cpu_only: Vec<String> = Vec::new();
    let mut known_hosts: Vec<String> = Vec::new();
    for (defaults, line) in node_lines {
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
    Ok(Hosts {
        known: known_hosts,
        cpu_only,
        gpu: gpu_hosts,
    })
}
