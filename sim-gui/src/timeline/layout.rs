//! The cluster as a trace header describes it, arranged for drawing: a
//! flat GPU numbering (each node's GPUs follow the previous node's) and the
//! racks the map draws, by leaf switch when the header lists leaves,
//! otherwise by node group.
//!
//! Invariant: `rack_of_node` names a rack for every node; nodes no leaf
//! lists (a partial topology) share a last rack, "no leaf".

use sim_core::metrics::{TraceAlloc, TraceHeader};

/// Nodes grouped the way the map draws them: by leaf switch when the
/// trace says, otherwise by node group.
#[derive(Clone, Debug)]
pub struct Rack {
    pub name: String,
    pub nodes: Vec<u32>,
}

/// The cluster as the trace header describes it, with a flat GPU index.
#[derive(Clone, Debug)]
pub struct Layout {
    pub header: TraceHeader,
    /// Index of each node's GPU 0 in the flat GPU numbering.
    pub first_gpu: Vec<u32>,
    pub total_gpus: u32,
    pub racks: Vec<Rack>,
    /// Which rack each node is drawn in.
    pub rack_of_node: Vec<u32>,
}

impl Layout {
    pub fn new(header: TraceHeader) -> Self {
        let mut first_gpu = Vec::with_capacity(header.nodes.len());
        let mut total = 0u32;
        for node in &header.nodes {
            first_gpu.push(total);
            total += node.gpus;
        }
        let racks: Vec<Rack> = if header.leaves.is_empty() {
            header
                .groups
                .iter()
                .enumerate()
                .map(|(g, group)| Rack {
                    name: group.name.clone(),
                    nodes: (0..header.nodes.len() as u32)
                        .filter(|&n| header.nodes[n as usize].group == g as u32)
                        .collect(),
                })
                .collect()
        } else {
            header
                .leaves
                .iter()
                .map(|leaf| Rack {
                    name: leaf.name.clone(),
                    nodes: leaf.nodes.clone(),
                })
                .collect()
        };
        let mut rack_of_node = vec![u32::MAX; header.nodes.len()];
        for (r, rack) in racks.iter().enumerate() {
            for &n in &rack.nodes {
                if let Some(slot) = rack_of_node.get_mut(n as usize) {
                    *slot = r as u32;
                }
            }
        }
        // Nodes no leaf lists (a partial topology) still get drawn.
        let orphans: Vec<u32> = (0..header.nodes.len() as u32)
            .filter(|&n| rack_of_node[n as usize] == u32::MAX)
            .collect();
        let mut racks = racks;
        if !orphans.is_empty() {
            for &n in &orphans {
                rack_of_node[n as usize] = racks.len() as u32;
            }
            racks.push(Rack {
                name: "no leaf".into(),
                nodes: orphans,
            });
        }
        Layout {
            header,
            first_gpu,
            total_gpus: total,
            racks,
            rack_of_node,
        }
    }

    /// The flat indices of the GPUs in `alloc`.
    pub fn gpus_of(&self, alloc: TraceAlloc) -> impl Iterator<Item = u32> + '_ {
        let first = self
            .first_gpu
            .get(alloc.node as usize)
            .copied()
            .unwrap_or(0);
        (0..64u32)
            .filter(move |bit| alloc.mask >> bit & 1 == 1)
            .map(move |bit| first + bit)
    }
}
