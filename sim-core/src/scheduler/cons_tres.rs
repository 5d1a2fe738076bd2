//! Which nodes slurmctld gives a job: `_eval_nodes` of
//! `src/plugins/select/cons_tres/job_test.c` (Slurm 22.05), its default
//! path (no topology, equal node weights, no `bf_busy_nodes`, no LLN).
//!
//! The nodes that can host the job (in the allowed set, with room for one
//! node's share of it) form blocks of consecutive node indices. Until the
//! job has its nodes and GPUs: the best block is chosen (the first; then
//! the tightest block that suffices, or while none suffices the largest),
//! and its nodes are taken from its first onwards; when one more node
//! would do, the node of the block with the fewest free GPUs that still
//! holds the rest is taken alone. A node counts the GPUs the job could
//! use on it: all its free GPUs for a plain GPU count, at most
//! `gpus_per_node` for a `Nodes` request (`_allocate_sc` in
//! `cons_common.c` caps the tasks at `--ntasks-per-node`). One CPU stands
//! for one GPU here, as in the recorded runs.
//!
//! This is what `backfill: Slurm` places jobs with, now and in its
//! expected-start tests, since which nodes a reservation pins decides
//! which jobs can backfill. The classic modes keep `allocator`'s best fit.
//!
//! Invariants: all or nothing (nothing is taken unless the whole request
//! is placed); deterministic; no allocation once the buffers have grown.

use super::allocator::{GpuPool, NodeGpus, NodeSet};
use crate::workload::JobRequest;

/// A run of consecutive nodes that can host the job.
#[derive(Clone, Copy, Debug, Default)]
struct Block {
    first: usize,
    last: usize,
    gpus: u64,
    nodes: u32,
}

/// Reused buffers of the selection.
#[derive(Clone, Debug, Default)]
pub(super) struct ConsTres {
    /// GPUs each node can give the job (0: not usable).
    avail: Vec<u32>,
    blocks: Vec<Block>,
    /// `(node, GPUs)` chosen so far.
    chosen: Vec<(usize, u32)>,
}

impl ConsTres {
    /// Places `request` on the nodes of `set` (`None`: all) with the free
    /// GPUs of `pool`, writing the allocation to `out` (cleared first).
    /// Returns false, leaving the pool unchanged, if it does not fit.
    pub fn place(
        &mut self,
        pool: &mut GpuPool,
        request: JobRequest,
        set: Option<&NodeSet>,
        out: &mut Vec<NodeGpus>,
    ) -> bool {
        out.clear();
        // Per node: at least `per_node` GPUs, at most `cap` used.
        let (nodes_wanted, per_node, cap, total) = match request {
            JobRequest::Nodes {
                count,
                gpus_per_node,
            } => (
                count,
                gpus_per_node,
                gpus_per_node,
                u64::from(count) * u64::from(gpus_per_node),
            ),
            JobRequest::Gpus(n) => (1, 1, u32::MAX, u64::from(n)),
        };
        if total == 0 {
            return false;
        }
        let n = pool.node_count();
        self.avail.clear();
        self.avail.extend((0..n).map(|i| {
            let free = pool.free_on(i);
            let allowed = set.is_none_or(|s| s.contains(i as u32));
            if allowed && free >= per_node {
                free.min(cap)
            } else {
                0
            }
        }));
        self.blocks.clear();
        for (i, &a) in self.avail.iter().enumerate() {
            if a == 0 {
                continue;
            }
            match self.blocks.last_mut() {
                Some(b) if b.last + 1 == i => {
                    b.last = i;
                    b.gpus += u64::from(a);
                    b.nodes += 1;
                }
                _ => self.blocks.push(Block {
                    first: i,
                    last: i,
                    gpus: u64::from(a),
                    nodes: 1,
                }),
            }
        }
        self.chosen.clear();
        let mut rem_nodes = i64::from(nodes_wanted);
        let mut rem_gpus = total as i64;
        let mut max_nodes = match request {
            JobRequest::Nodes { count, .. } => i64::from(count),
            JobRequest::Gpus(_) => i64::MAX,
        };
        while let Some(best) = self.best_block(rem_nodes, rem_gpus) {
            let Block { first, last, .. } = self.blocks[best];
            if rem_nodes <= 1 {
                // The one node of the block that holds the rest, fewest
                // free GPUs first: the others are dropped.
                let fit = (first..=last)
                    .filter(|&i| self.avail[i] > 0 && i64::from(self.avail[i]) >= rem_gpus)
                    .min_by_key(|&i| (self.avail[i], i));
                if let Some(fit) = fit {
                    for i in first..=last {
                        if i != fit {
                            self.avail[i] = 0;
                        }
                    }
                }
            }
            for i in first..=last {
                if max_nodes == 0 || (rem_nodes <= 0 && rem_gpus <= 0) {
                    break;
                }
                let a = self.avail[i];
                if a == 0 || (max_nodes == 1 && i64::from(a) < rem_gpus) {
                    continue;
                }
                // `_cpus_to_use`: no more than the job still needs.
                let used = i64::from(a).min(rem_gpus.max(i64::from(per_node)));
                self.chosen.push((i, used as u32));
                self.avail[i] = 0;
                rem_gpus -= used;
                rem_nodes -= 1;
                max_nodes -= 1;
            }
            if rem_nodes <= 0 && rem_gpus <= 0 {
                break;
            }
            self.blocks[best].nodes = 0;
            self.blocks[best].gpus = 0;
        }
        if rem_nodes > 0 || rem_gpus > 0 {
            return false;
        }
        for &(node, gpus) in &self.chosen {
            pool.take_on(node, gpus, out);
        }
        true
    }

    /// The block `_eval_nodes` picks next: the first, replaced by a later
    /// one that suffices when the best does not, that suffices with fewer
    /// GPUs, or, not sufficing, that has more GPUs.
    fn best_block(&self, rem_nodes: i64, rem_gpus: i64) -> Option<usize> {
        let mut best: Option<(usize, bool)> = None;
        for (i, b) in self.blocks.iter().enumerate() {
            if b.nodes == 0 {
                continue;
            }
            let sufficient = b.gpus as i64 >= rem_gpus && i64::from(b.nodes) >= rem_nodes;
            let better = match best {
                None => true,
                Some((j, best_sufficient)) => {
                    let best_gpus = self.blocks[j].gpus;
                    if sufficient {
                        !best_sufficient || b.gpus < best_gpus
                    } else {
                        b.gpus > best_gpus
                    }
                }
            };
            if better {
                best = Some((i, sufficient));
            }
        }
        best.map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    //! Placements computed by hand with `_eval_nodes`' rules.

    use super::*;

    /// A pool of `nodes` nodes of `gpus` GPUs with `busy[n]` GPUs taken.
    fn pool(nodes: u32, gpus: u32, busy: &[(usize, u32)]) -> GpuPool {
        let cluster = crate::scheduler::tests::cluster(nodes, gpus);
        let mut pool = GpuPool::new(&cluster);
        let mut out = Vec::new();
        for &(node, k) in busy {
            pool.take_on(node, k, &mut out);
        }
        pool
    }

    fn placed(pool: &mut GpuPool, request: JobRequest) -> Option<Vec<(u32, u32)>> {
        let mut out = Vec::new();
        ConsTres::default()
            .place(pool, request, None, &mut out)
            .then(|| out.iter().map(|p| (p.node, p.gpu_count())).collect())
    }

    #[test]
    fn the_first_block_wins_over_a_better_fitting_node_in_a_later_one() {
        // Free GPUs per 8-GPU node: 3, 0, 2, 8. A job of one node with 2
        // GPUs (`--ntasks-per-node=2`) can use n0, n2, n3 and counts 2 on
        // each: blocks [n0] (2) and [n2, n3] (4). Both suffice; the later
        // one is not tighter, so n0 is taken, although n2 has fewer free
        // GPUs (the allocator's best fit would take n2).
        let mut p = pool(4, 8, &[(0, 5), (1, 8), (2, 6)]);
        let job = JobRequest::Nodes {
            count: 1,
            gpus_per_node: 2,
        };
        assert_eq!(placed(&mut p, job), Some(vec![(0, 2)]));
        // Within one block the node with the fewest free GPUs that holds
        // the job is taken: here all count 2, so the block's first.
        let mut p = pool(4, 8, &[(0, 8), (1, 2), (2, 6)]);
        assert_eq!(placed(&mut p, job), Some(vec![(1, 2)]));
    }

    #[test]
    fn without_a_block_large_enough_the_largest_goes_first_then_the_tightest() {
        // The recorded onegpu-fifo run at 230 s, 32 one-GPU nodes: free
        // nodes (0-based) 0-3, 7-9, 11-14 and 17-31 once the batch's jobs
        // are freed. A 16-node job: no block holds 16, so the largest
        // (17-31, 15 nodes) is taken whole, then the tightest block that
        // holds the last node, 7-9 (3 nodes), from its first node.
        let busy: Vec<(usize, u32)> = [4, 5, 6, 10, 15, 16].iter().map(|&n| (n, 1)).collect();
        let mut p = pool(32, 1, &busy);
        let job = JobRequest::Nodes {
            count: 16,
            gpus_per_node: 1,
        };
        let mut expected: Vec<(u32, u32)> = (17..32).map(|n| (n, 1)).collect();
        expected.push((7, 1));
        assert_eq!(placed(&mut p, job), Some(expected));
    }

    #[test]
    fn all_or_nothing() {
        let mut p = pool(2, 8, &[(0, 7), (1, 7)]);
        let before = p.free_gpus();
        assert_eq!(
            placed(
                &mut p,
                JobRequest::Nodes {
                    count: 2,
                    gpus_per_node: 2
                }
            ),
            None
        );
        assert_eq!(p.free_gpus(), before);
        // A plain GPU count may spread: 1 + 1 from the one block.
        assert_eq!(
            placed(&mut p, JobRequest::Gpus(2)),
            Some(vec![(0, 1), (1, 1)])
        );
        p.check_invariants();
    }
}
