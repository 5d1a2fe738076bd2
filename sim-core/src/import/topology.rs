//! topology.conf (the tree plugin's file): `SwitchName=s1 Nodes=n[1-4]`
//! lines are leaf switches, which the scenario's `scheduler.topology`
//! holds; `SwitchName=top Switches=s[1-2]` lines are the upper levels,
//! which the scheduler does not use (a job's switch count is counted at
//! the leaves) and are kept as a comment.

use std::path::Path;

use super::conf::{self, Pair};
use super::keys;
use crate::hardware::hostlist;
use crate::text::FileError;

/// A leaf switch and its nodes' names.
pub struct Leaf {
    pub name: String,
    pub nodes: Vec<String>,
    pub nodes_at: Pair,
}

/// What topology.conf says.
pub struct Topology {
    pub leaves: Vec<Leaf>,
    /// `name: switches` of the upper levels.
    pub upper: Vec<String>,
    /// Pairs not in topology.conf(5): warnings.
    pub unknown: Vec<Pair>,
    /// Pairs known and left out, with why.
    pub ignored: Vec<(Pair, &'static str)>,
}

pub fn read(path: &Path) -> Result<Topology, FileError> {
    let mut t = Topology {
        leaves: Vec::new(),
        upper: Vec::new(),
        unknown: Vec::new(),
        ignored: Vec::new(),
    };
    for statement in conf::read(path)? {
        let head = statement.head();
        if !head.is("SwitchName") {
            return Err(head.key_at.error(
                format!("`{}` does not start a topology.conf line", head.key),
                "SwitchName=NAME Nodes=HOSTLIST, or SwitchName=NAME Switches=LIST",
                "start the line with SwitchName=",
            ));
        }
        for pair in &statement.pairs {
            match keys::lookup(keys::TOPOLOGY, &pair.key) {
                None => t.unknown.push(pair.clone()),
                Some(Some(reason)) => t.ignored.push((pair.clone(), reason)),
                Some(None) => {}
            }
        }
        match (statement.get("Nodes"), statement.get("Switches")) {
            (Some(nodes), _) => {
                let names = hostlist::expand(&nodes.value).map_err(|e| {
                    nodes.value_at.within(e.span.start, e.span.len()).error(
                        format!("invalid host list: {}", e.message),
                        hostlist::HOSTLIST_EXPECTED,
                        "write it as Slurm does, e.g. gpu-node[1-8,10]",
                    )
                })?;
                t.leaves.push(Leaf {
                    name: head.value.clone(),
                    nodes: names,
                    nodes_at: nodes.clone(),
                });
            }
            (None, Some(switches)) => t.upper.push(format!("{}: {}", head.value, switches.value)),
            (None, None) => {
                return Err(head.value_at.error(
                    format!("switch `{}` has neither Nodes= nor Switches=", head.value),
                    "SwitchName=NAME Nodes=HOSTLIST, or SwitchName=NAME Switches=LIST",
                    "add the nodes or switches below it",
                ));
            }
        }
    }
    Ok(t)
}
