//! GPU fragmentation as the FGD paper measures it, and the allocation
//! rate beside it.
//!
//! Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads
//! with Fragmentation Gradient Descent", USENIX ATC'23, §3: the free GPU
//! capacity of a node is *fragmented* for a task when the task cannot use
//! it — all of it when the task cannot be placed on the node at all, else
//! the free part of every GPU that holds less than the task's per-GPU
//! demand (a partly used GPU for a whole-GPU task, a GPU with 0.3 free for
//! a 0.5 task). Weighted by how common each task shape is in the workload
//! (the *target workload*, here the run's own mix of requests), a node's
//! fragmentation is the expected free capacity the next task cannot use,
//! and the cluster's is the sum over nodes.
//!
//! Differences from the paper's measure, stated: clustersim models GPUs
//! only, so a task never fails to fit for lack of CPU or memory (the paper
//! also counts a node whose CPUs are exhausted as wholly fragmented); a MIG
//! slice's demand is its compute share and a MIG-cut GPU's free slices
//! count as fragmented for every fraction and whole-GPU task.
//!
//! Invariants: a node's fragmented capacity is at most its free capacity;
//! the totals are the sums of the per-node figures, recomputed only for
//! nodes whose allocation changed (`mark`); everything is in thousandths
//! of a GPU (integers), weighted by task counts, so it is exact.

use super::GpuPool;
use super::sharing::Sharing;
use crate::hardware::NodeId;

/// One task shape of the workload and how many jobs have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskShape {
    /// GPUs it needs on one node (whole GPUs), or 1 for a share.
    pub gpus_per_node: u32,
    /// Its demand per GPU in thousandths (1000 for whole GPUs).
    pub milli: u16,
    /// Jobs of this shape: its weight in the mix.
    pub count: u64,
}

/// Per-node and total allocated and fragmented GPU capacity.
#[derive(Clone, Debug, Default)]
pub(super) struct Fragmentation {
    mix: Vec<TaskShape>,
    mix_total: u64,
    /// Per node: (allocated, fragmented × mix_total), thousandths.
    per_node: Vec<(u64, u128)>,
    allocated_milli: u64,
    fragmented_weighted: u128,
    dirty: Vec<NodeId>,
    is_dirty: Vec<bool>,
    /// Scratch: free thousandths of a node's shared GPUs.
    free: Vec<u16>,
}

impl Fragmentation {
    /// Measures against `mix` on a cluster of `nodes` nodes (all idle).
    pub fn new(mix: Vec<TaskShape>, nodes: usize) -> Self {
        let mix_total = mix.iter().map(|m| m.count).sum::<u64>().max(1);
        Fragmentation {
            mix,
            mix_total,
            per_node: vec![(0, 0); nodes],
            is_dirty: vec![true; nodes],
            dirty: (0..nodes as NodeId).collect(),
            ..Fragmentation::default()
        }
    }

    /// `node`'s allocation changed.
    pub fn mark(&mut self, node: NodeId) {
        if !std::mem::replace(&mut self.is_dirty[node as usize], true) {
            self.dirty.push(node);
        }
    }

    /// Brings the totals up to date and returns (allocated, fragmented)
    /// GPU capacity in thousandths of a GPU.
    pub fn totals(&mut self, pool: &GpuPool, sharing: &Sharing) -> (u64, u64) {
        for i in 0..self.dirty.len() {
            let node = self.dirty[i];
            self.is_dirty[node as usize] = false;
            let (allocated, fragmented) = self.measure(node, pool, sharing);
            let old = std::mem::replace(&mut self.per_node[node as usize], (allocated, fragmented));
            self.allocated_milli = self.allocated_milli + allocated - old.0;
            self.fragmented_weighted = self.fragmented_weighted + fragmented - old.1;
        }
        self.dirty.clear();
        let fragmented = (self.fragmented_weighted / u128::from(self.mix_total)) as u64;
        (self.allocated_milli, fragmented)
    }

    /// `node`'s allocated capacity and its fragmented capacity weighted
    /// by task counts (× `mix_total`).
    fn measure(&mut self, node: NodeId, pool: &GpuPool, sharing: &Sharing) -> (u64, u128) {
        let whole_free = u64::from(pool.idle_on(node));
        let capacity = u64::from(pool.capacity_of(node));
        self.free.clear();
        let (mut shared, mut shared_used, mut mig_free) = (0u64, 0u64, 0u64);
        for (mig, free_milli, used_milli) in sharing.on_node(node) {
            shared += 1;
            shared_used += used_milli;
            if mig {
                mig_free += u64::from(free_milli);
            } else if free_milli > 0 {
                self.free.push(free_milli);
            }
        }
        let allocated = (capacity - whole_free - shared) * 1000 + shared_used;
        let shared_free: u64 = self.free.iter().map(|&f| u64::from(f)).sum();
        let all_free = whole_free * 1000 + shared_free + mig_free;
        let mut fragmented: u128 = 0;
        for m in &self.mix {
            let lost = if m.milli >= 1000 {
                if whole_free >= u64::from(m.gpus_per_node) {
                    shared_free + mig_free
                } else {
                    all_free
                }
            } else if whole_free > 0 || self.free.iter().any(|&f| f >= m.milli) {
                let small: u64 = (self.free.iter())
                    .filter(|&&f| f < m.milli)
                    .map(|&f| u64::from(f))
                    .sum();
                small + mig_free
            } else {
                all_free
            };
            fragmented += u128::from(lost) * u128::from(m.count);
        }
        (allocated, fragmented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::NodeSet;
    use crate::workload::GpuShare;

    /// The paper's Fig. 4 style case by hand: one node of 2 GPUs, one GPU
    /// with 0.6 used (0.4 free), one GPU free. Mix: half the tasks ask 0.5
    /// of a GPU, half a whole GPU. For a 0.5 task the 0.4 is fragmented
    /// (it fits on the free GPU); for a whole-GPU task the 0.4 is
    /// fragmented too: expected fragmentation 400 thousandths; allocated
    /// 600.
    #[test]
    fn fragmentation_by_hand() {
        let cluster = super::super::tests::cluster(1, 2);
        let mut pool = GpuPool::new(&cluster);
        let mut sharing = Sharing::new(&cluster, 0);
        let all = NodeSet::all(1);
        sharing
            .place(&mut pool, GpuShare::Fraction { milli: 600 }, &all)
            .unwrap();
        let mix = vec![
            TaskShape {
                gpus_per_node: 1,
                milli: 500,
                count: 1,
            },
            TaskShape {
                gpus_per_node: 1,
                milli: 1000,
                count: 1,
            },
        ];
        let mut frag = Fragmentation::new(mix, 1);
        assert_eq!(frag.totals(&pool, &sharing), (600, 400));
        // A 2-GPU task cannot be placed at all: all 1,400 free is
        // fragmented for it; mix of one 0.5 task and one 2-GPU task:
        // (400 + 1400) / 2 = 900.
        let mix = vec![
            TaskShape {
                gpus_per_node: 1,
                milli: 500,
                count: 1,
            },
            TaskShape {
                gpus_per_node: 2,
                milli: 1000,
                count: 1,
            },
        ];
        let mut frag = Fragmentation::new(mix, 1);
        assert_eq!(frag.totals(&pool, &sharing), (600, 900));
        // Fill the second GPU with 0.7: 0.3 free there, 0.4 on the first;
        // no GPU holds a 0.5 task any more: all 700 free is fragmented for
        // it, and for the 2-GPU task: 700.
        sharing
            .place(&mut pool, GpuShare::Fraction { milli: 700 }, &all)
            .unwrap();
        frag.mark(0);
        assert_eq!(frag.totals(&pool, &sharing), (1300, 700));
    }
}
