//! topology.conf's switches to the plan's topology: each leaf switch with
//! its GPU nodes, and the upper switches.
//!
//! Invariants: a switch names only nodes some `NodeName` line defines; a
//! leaf left with no GPU node is left out.

use super::{Hosts, Plan, Topology, ignore, keys, unknown};
use crate::hardware::hostlist;
use crate::text::FileError;

/// The switches of `--topology`, if given, to `plan.topology` and
/// `plan.upper_switches`.
pub(super) fn map(
    plan: &mut Plan,
    topology: Option<(String, Topology)>,
    node_hosts: &Hosts,
) -> Result<(), FileError> {
    if let Some((path, t)) = topology {
        plan.sources.push(path);
        for pair in &t.unknown {
            unknown(plan, pair, "topology.conf", keys::TOPOLOGY);
        }
        for (pair, reason) in &t.ignored {
            ignore(plan, pair, reason);
        }
        for leaf in t.leaves {
            if let Some(missing) = leaf.nodes.iter().find(|h| !node_hosts.known.contains(h)) {
                return Err(leaf.nodes_at.value_at.error(
                    format!("switch `{}` names node `{missing}`, which no NodeName line of slurm.conf defines", leaf.name),
                    "nodes defined by slurm.conf's NodeName lines",
                    "use the same topology.conf as the slurm.conf, or fix the node name",
                ));
            }
            let nodes: Vec<String> = leaf
                .nodes
                .into_iter()
                .filter(|h| !node_hosts.cpu_only.contains(h))
                .collect();
            if !nodes.is_empty() {
                plan.topology.push((leaf.name, hostlist::compress(&nodes)));
            }
        }
        plan.upper_switches = t.upper;
    }
    Ok(())
}
