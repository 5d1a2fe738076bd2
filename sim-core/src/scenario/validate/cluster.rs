//! The `cluster` section: node groups of catalog models, named uniquely,
//! at most [`MAX_TOTAL_NODES`] nodes and [`MAX_TOTAL_GPUS`] GPUs in all
//! (checked before any node is made). A group's `hosts`, a Slurm host
//! list, names its nodes as Slurm does (one name per node, unique over the
//! cluster); without it nodes are `<group>-<index>`. A group whose count
//! is not a multiple of its node model's `nvlink_domain_nodes` runs, its
//! last NVLink domain a partial rack, with a warning.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::catalog::{Models, gpus_per_node_in_range};
use super::{Error, Issues, Warning, valid_label};
use crate::hardware::hostlist::{self, HOSTLIST_EXPECTED};
use crate::hardware::{Cluster, MAX_TOTAL_GPUS, MAX_TOTAL_NODES, NodeGroup};

/// Largest node count per group; more is surely a typo.
pub const MAX_NODES_PER_GROUP: u32 = 1_000_000;

pub(super) fn build_cluster(
    c: &file::Cluster,
    models: &Models,
    issues: &mut Issues,
) -> Option<Cluster> {
    if c.node_groups.is_empty() {
        issues.error(Error {
            path: "cluster.node_groups",
            message: "the cluster has no nodes",
            found: "[]",
            expected: "at least one node group",
            fix: "add a group, e.g. (name: \"dgx\", count: 4, node_model: \"DGX-H100\")",
        });
        return None;
    }
    let mut groups = Vec::new();
    let mut hosts: Vec<Option<Vec<String>>> = Vec::new();
    let mut ok = true;
    for (i, g) in c.node_groups.iter().enumerate() {
        let path = index_path("cluster.node_groups", i);
        if !valid_label(&g.name) {
            issues.error(Error {
                path: &field_path(&path, "name"),
                message: "a node group name must be letters, digits, `-` or `_`",
                found: &format!("\"{}\"", g.name),
                expected: "a name like \"dgx\" or \"gpu-a\"",
                fix: "rename the group; node names are built from it",
            });
            ok = false;
        } else if c.node_groups[..i].iter().any(|other| other.name == g.name) {
            issues.error(Error {
                path: &field_path(&path, "name"),
                message: &format!("two node groups are named `{}`", g.name),
                found: &format!("\"{}\"", g.name),
                expected: "unique group names",
                fix: "rename one of them; node names would collide",
            });
            ok = false;
        }
        ok &= issues.positive_u32(
            &field_path(&path, "count"),
            g.count,
            "a node count",
            "set count to the number of nodes in this group, or delete the group",
        );
        if g.count > MAX_NODES_PER_GROUP {
            issues.error(Error {
                path: &field_path(&path, "count"),
                message: &format!("more than {MAX_NODES_PER_GROUP} nodes in one group"),
                found: &g.count.to_string(),
                expected: "a plausible cluster size",
                fix: "check for a typo; split truly huge clusters into groups",
            });
            ok = false;
        }
        let names = g.hosts.as_deref().and_then(|list| {
            let at = field_path(&path, "hosts");
            match hostlist::expand(list) {
                Ok(names) if names.len() as u64 == u64::from(g.count) => Some(names),
                Ok(names) => {
                    issues.error(Error {
                        path: &at,
                        message: &format!(
                            "the host list names {} nodes, the group has count: {}",
                            names.len(),
                            g.count
                        ),
                        found: &format!("\"{list}\""),
                        expected: "one host name per node of the group",
                        fix: &format!("set count: {}, or name {} hosts", names.len(), g.count),
                    });
                    ok = false;
                    None
                }
                Err(e) => {
                    issues.error(Error {
                        path: &at,
                        message: &format!("invalid host list: {}", e.message),
                        found: &format!("\"{list}\""),
                        expected: HOSTLIST_EXPECTED,
                        fix: "write it as slurm.conf does, e.g. \"gpu-node[1-8,10]\"",
                    });
                    ok = false;
                    None
                }
            }
        });
        let Some(node_model) = models.node(&field_path(&path, "node_model"), &g.node_model, issues)
        else {
            ok = false;
            continue;
        };
        let gpu_name = g
            .gpu_model
            .clone()
            .unwrap_or_else(|| node_model.gpu_model.clone());
        let at = if g.gpu_model.is_some() {
            field_path(&path, "gpu_model")
        } else {
            field_path(&path, "node_model")
        };
        let Some(gpu_model) = models.gpu(&at, &gpu_name, issues) else {
            ok = false;
            continue;
        };
        let gpus_per_node = g.gpus_per_node.unwrap_or(node_model.gpus_per_node);
        ok &= gpus_per_node_in_range(&field_path(&path, "gpus_per_node"), gpus_per_node, issues);
        // Without NVLink (a GPU override can take it away) a domain is one
        // node, as `NodeGroup::nvlink_domain_nodes` says.
        let domain = if gpu_model.nvlink_bandwidth.is_some() {
            node_model.nvlink_domain_nodes.max(1)
        } else {
            1
        };
        if g.count > 0 && g.count % domain != 0 {
            issues.warning(Warning {
                path: &field_path(&path, "count"),
                message: &format!(
                    "{} nodes of `{}` are not whole NVLink domains of {domain} nodes: \
                     the last domain is a partial rack of {} nodes",
                    g.count,
                    node_model.name,
                    g.count % domain
                ),
                fix: &format!(
                    "set count to a multiple of {domain} for whole racks, \
                     or keep it if a partial rack is meant"
                ),
            });
        }
        groups.push(NodeGroup {
            name: g.name.clone(),
            node_model: node_model.clone(),
            gpu_model: gpu_model.clone(),
            gpus_per_node,
            first_node: 0,
            node_count: g.count,
        });
        hosts.push(names);
    }
    // Totals, before any node is made.
    let nodes: u64 = groups.iter().map(|g| u64::from(g.node_count)).sum();
    let gpus: u64 = (groups.iter())
        .map(|g| u64::from(g.node_count) * u64::from(g.gpus_per_node))
        .sum();
    let found = format!(
        "{nodes} nodes with {gpus} GPUs in {} group{}",
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    );
    if nodes > MAX_TOTAL_NODES {
        issues.error(Error {
            path: "cluster.node_groups",
            message: &format!("the cluster has {nodes} nodes, more than {MAX_TOTAL_NODES}"),
            found: &found,
            expected: &format!("at most {MAX_TOTAL_NODES} nodes in all groups"),
            fix: "check the counts for a typo; for a study of a larger machine, simulate a part of it",
        });
        ok = false;
    } else if gpus > MAX_TOTAL_GPUS {
        issues.error(Error {
            path: "cluster.node_groups",
            message: &format!("the cluster has {gpus} GPUs, more than {MAX_TOTAL_GPUS}"),
            found: &found,
            expected: &format!("at most {MAX_TOTAL_GPUS} GPUs in all groups"),
            fix: "check the counts and gpus_per_node for a typo; for a study of a larger machine, simulate a part of it",
        });
        ok = false;
    }
    if !ok {
        return None;
    }
    let mut cluster = Cluster::from_groups(groups);
    for (group, names) in cluster.groups.iter().zip(hosts) {
        let first = group.first_node as usize;
        for (node, name) in cluster.nodes[first..]
            .iter_mut()
            .zip(names.into_iter().flatten())
        {
            node.name = name;
        }
    }
    let mut sorted: Vec<(&str, usize)> = (cluster.nodes.iter().enumerate())
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    sorted.sort_unstable();
    if let Some(pair) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        let group = cluster.group_of(pair[1].1 as u32);
        let i = cluster
            .groups
            .iter()
            .position(|g| g.name == group.name)
            .unwrap_or(0);
        issues.error(Error {
            path: &field_path(&index_path("cluster.node_groups", i), "hosts"),
            message: &format!("two nodes are named `{}`", pair[0].0),
            found: &format!("\"{}\"", pair[0].0),
            expected: "node names unique over the cluster",
            fix: "rename the hosts of one group",
        });
        return None;
    }
    Some(cluster)
}
