//! Which GPUs are free, and the placement of a request onto them.
//!
//! Placement can be restricted to a set of nodes (a partition), and when
//! the scenario describes leaf switches, multi-node requests are placed on
//! as few leaf switches as possible, as Slurm's `topology/tree` plugin
//! does: the best-fitting single leaf that can hold the job, otherwise the
//! leaves with the most free capacity first.
//!
//! When NVLink domains span several nodes (the 18 trays of an NVL72 rack),
//! multi-node requests are first placed inside one domain, as Slurm's
//! `topology/block` plugin does with one block per rack (topology.conf(5),
//! "topology/block": `BlockName=` lines listing each block's nodes, and
//! `BlockSizes=`; <https://slurm.schedmd.com/topology.conf.html>, and the
//! topology guide, <https://slurm.schedmd.com/topology.html>): the
//! best-fitting single block that can hold the job; a job larger than any
//! free block gets the blocks with the most free capacity first, the
//! fewest blocks. Slurm aggregates blocks only at the `BlockSizes` levels
//! (powers of two of the base block by default); that restriction, and
//! `--segment`, are not modelled. Blocks come first, leaves second (within
//! the chosen blocks).
//!
//! Invariants:
//! - a GPU is in at most one allocation: `try_allocate` only hands out bits
//!   set in `free_mask`, and `release` panics if asked to free a GPU that is
//!   already free (that would be a double release, a bug in the caller);
//! - `free_count[n] == free_mask[n].count_ones()`, `free_total` is their
//!   sum, and `nodes_with_free[k]` counts nodes with exactly `k` free GPUs;
//! - allocation is all or nothing (gang): either every GPU of the request is
//!   granted or the pool is left unchanged;
//! - placement is deterministic: ties are broken by the lowest node id, and
//!   within a node by the lowest GPU index;
//! - a node is in exactly one `by_free` bucket, the one of its free-GPU
//!   count, so placement walks only the nodes that can take part;
//! - no allocation in the hot path: scratch space is kept between calls and
//!   the caller provides the output vector.
//!
//! Nodes out of service (DOWN, DRAINING or DRAINED, and hot spares, see
//! `nodes.rs`) keep their idle GPUs in `held_mask`, not `free_mask`:
//! - an out-of-service node's `free_mask` is 0 (so it sits in bucket 0,
//!   and `free_total`, `nodes_with_free` and every placement ignore it
//!   without a check), and an in-service node's `held_mask` is 0;
//! - `release` onto an out-of-service node adds to `held_mask`, never to
//!   `free_mask`; `held_total` is the sum of the held masks' bits;
//! - `out_of_service` counts the nodes whose `in_service` bit is clear, so
//!   callers skip every per-node check while it is zero (no failures);
//! - admission (`check_fits_when_idle*`) uses the installed capacity: a
//!   job is not refused because nodes are down.

use crate::hardware::{Cluster, NodeId};
use crate::workload::JobRequest;

/// Some GPUs of one node, as a bit mask over the node's GPU indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeGpus {
    pub node: NodeId,
    pub mask: u64,
}

impl NodeGpus {
    pub fn gpu_count(self) -> u32 {
        self.mask.count_ones()
    }
}

/// Why a request can never be placed, even on an idle cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeverFits {
    pub reason: String,
}

/// Nodes a job may be placed on (a partition's nodes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSet {
    member: Vec<bool>,
    all: bool,
}

impl NodeSet {
    pub fn all(node_count: usize) -> Self {
        NodeSet {
            member: vec![true; node_count],
            all: true,
        }
    }

    pub fn from_members(member: Vec<bool>) -> Self {
        let all = member.iter().all(|&m| m);
        NodeSet { member, all }
    }

    pub fn contains(&self, node: NodeId) -> bool {
        self.member[node as usize]
    }

    pub fn is_all(&self) -> bool {
        self.all
    }

    pub fn len(&self) -> usize {
        self.member.iter().filter(|&&m| m).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes this the set of the first `nodes` nodes whose bits are set in
    /// `bits` (64 nodes a word), reusing its storage.
    pub(super) fn assign_bits(&mut self, bits: &[u64], nodes: usize) {
        self.member.clear();
        self.member
            .extend((0..nodes).map(|n| bits[n / 64] & (1 << (n % 64)) != 0));
        self.all = self.member.iter().all(|&m| m);
    }
}

/// The free GPUs of a cluster.
#[derive(Clone, Debug)]
pub struct GpuPool {
    capacity: Vec<u32>,
    /// Leaf switch of each node; empty without a topology.
    leaf_of: Vec<u32>,
    leaf_count: usize,
    /// Per call: which leaves placement may use (scratch).
    leaf_ok: Vec<bool>,
    /// Per call: candidate capacity per leaf (scratch).
    leaf_capacity: Vec<(u64, u32)>,
    /// NVLink domain (Slurm block) of each node; empty when every domain
    /// is one node.
    block_of: Vec<u32>,
    block_count: usize,
    /// Per call: which blocks placement may use (scratch).
    block_ok: Vec<bool>,
    free_mask: Vec<u64>,
    free_count: Vec<u32>,
    free_total: u64,
    nodes_with_free: Vec<u32>,
    max_node_gpus: u32,
    total_gpus: u64,
    scratch: Vec<(u32, NodeId)>,
    /// Bit sets of the nodes with exactly `k` free GPUs, one after the
    /// other (`words` words each), so placement visits only nodes that can
    /// take part, 64 nodes a word.
    by_free: Vec<u64>,
    words: usize,
    /// Bit set of the nodes in service (`words` words).
    in_service: Vec<u64>,
    /// Nodes not in service.
    out_of_service: u32,
    /// Idle GPUs of out-of-service nodes (0 for nodes in service).
    held_mask: Vec<u64>,
    held_total: u64,
}

impl GpuPool {
    pub fn new(cluster: &Cluster) -> Self {
        Self::new_from_capacity(cluster.nodes.iter().map(|n| n.gpus).collect())
    }

    fn new_from_capacity(capacity: Vec<u32>) -> Self {
        let max_node_gpus = capacity.iter().copied().max().unwrap_or(0);
        let mut nodes_with_free = vec![0u32; max_node_gpus as usize + 1];
        for &c in &capacity {
            nodes_with_free[c as usize] += 1;
        }
        let total_gpus = capacity.iter().map(|&c| u64::from(c)).sum();
        GpuPool {
            leaf_of: Vec::new(),
            leaf_count: 0,
            leaf_ok: Vec::new(),
            leaf_capacity: Vec::new(),
            block_of: Vec::new(),
            block_count: 0,
            block_ok: Vec::new(),
            free_mask: capacity.iter().map(|&c| full_mask(c)).collect(),
            in_service: {
                let mut bits = vec![0u64; capacity.len().div_ceil(64)];
                (0..capacity.len()).for_each(|n| bits[n / 64] |= 1 << (n % 64));
                bits
            },
            out_of_service: 0,
            held_mask: vec![0; capacity.len()],
            held_total: 0,
            free_count: capacity.clone(),
            free_total: total_gpus,
            nodes_with_free,
            max_node_gpus,
            total_gpus,
            scratch: Vec::with_capacity(capacity.len()),
            words: capacity.len().div_ceil(64),
            by_free: {
                let words = capacity.len().div_ceil(64);
                let mut by_free = vec![0u64; words * (max_node_gpus as usize + 1)];
                for (node, &c) in capacity.iter().enumerate() {
                    by_free[c as usize * words + node / 64] |= 1 << (node % 64);
                }
                by_free
            },
            capacity,
        }
    }

    /// Places multi-node jobs on as few leaf switches as possible.
    /// `leaf_of[node]` is the node's leaf switch (`0..leaf_count`).
    pub fn with_topology(mut self, leaf_of: Vec<u32>) -> Self {
        assert_eq!(leaf_of.len(), self.capacity.len(), "one leaf per node");
        self.leaf_count = leaf_of.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        self.leaf_ok = vec![true; self.leaf_count];
        self.leaf_capacity = Vec::with_capacity(self.leaf_count);
        self.leaf_of = leaf_of;
        self
    }

    /// Places multi-node jobs inside one NVLink domain when one can hold
    /// them (Slurm's topology/block with a block per domain).
    /// `block_of[node]` is the node's domain (`0..block_count`).
    pub fn with_blocks(mut self, block_of: Vec<u32>) -> Self {
        assert_eq!(block_of.len(), self.capacity.len(), "one block per node");
        self.block_count = block_of.iter().map(|&b| b as usize + 1).max().unwrap_or(0);
        self.block_ok = vec![true; self.block_count];
        self.block_of = block_of;
        self
    }

    /// The NVLink domains of `cluster` as blocks, when any spans more than
    /// one node; `None` when every domain is a single node.
    pub fn blocks_of(cluster: &Cluster) -> Option<Vec<u32>> {
        if !cluster.has_multi_node_nvlink_domains() {
            return None;
        }
        let mut block_of = vec![0u32; cluster.node_count()];
        for (b, range) in cluster.nvlink_domains().into_iter().enumerate() {
            for node in range {
                block_of[node as usize] = b as u32;
            }
        }
        Some(block_of)
    }

    /// Number of distinct blocks (NVLink domains) an allocation spans (0
    /// without blocks).
    pub fn blocks_spanned(&self, allocation: &[NodeGpus]) -> u32 {
        if self.block_of.is_empty() {
            return 0;
        }
        let mut seen = 0u32;
        for (i, part) in allocation.iter().enumerate() {
            let block = self.block_of[part.node as usize];
            if !allocation[..i]
                .iter()
                .any(|p| self.block_of[p.node as usize] == block)
            {
                seen += 1;
            }
        }
        seen
    }

    /// Number of distinct leaf switches an allocation spans (0 without a
    /// topology).
    pub fn leaves_spanned(&self, allocation: &[NodeGpus]) -> u32 {
        if self.leaf_of.is_empty() {
            return 0;
        }
        let mut seen = 0u32;
        for (i, part) in allocation.iter().enumerate() {
            let leaf = self.leaf_of[part.node as usize];
            if !allocation[..i]
                .iter()
                .any(|p| self.leaf_of[p.node as usize] == leaf)
            {
                seen += 1;
            }
        }
        seen
    }

    pub fn free_gpus(&self) -> u64 {
        self.free_total
    }

    /// Nodes in the cluster.
    pub(super) fn node_count(&self) -> usize {
        self.free_count.len()
    }

    /// Free GPUs on `node`.
    pub(super) fn free_on(&self, node: usize) -> u32 {
        self.free_count[node]
    }

    /// Takes the `k` lowest free GPUs of `node` (at most its free GPUs),
    /// appending them to `out`: for callers that chose the nodes
    /// themselves.
    pub(super) fn take_on(&mut self, node: usize, k: u32, out: &mut Vec<NodeGpus>) {
        debug_assert!(k <= self.free_count[node], "more GPUs than are free");
        self.take(node, k, out);
    }

    /// Makes this pool's free GPUs (and nodes in service) those of
    /// `other`, a pool of the same cluster, without allocating (unlike
    /// `clone_from`).
    pub(super) fn copy_free_from(&mut self, other: &GpuPool) {
        self.free_mask.copy_from_slice(&other.free_mask);
        self.free_count.copy_from_slice(&other.free_count);
        self.nodes_with_free.copy_from_slice(&other.nodes_with_free);
        self.by_free.copy_from_slice(&other.by_free);
        self.free_total = other.free_total;
        self.in_service.copy_from_slice(&other.in_service);
        self.out_of_service = other.out_of_service;
        self.held_mask.copy_from_slice(&other.held_mask);
        self.held_total = other.held_total;
    }

    /// Nodes out of service (0 when nothing failed and no spare is held:
    /// callers skip their per-node checks then).
    pub fn out_of_service(&self) -> u32 {
        self.out_of_service
    }

    /// Whether `node` is in service (its idle GPUs can be handed out).
    pub fn is_in_service(&self, node: NodeId) -> bool {
        self.in_service[node as usize / 64] & (1 << (node % 64)) != 0
    }

    /// The nodes in service as a bit set, 64 nodes a word.
    pub(super) fn in_service_bits(&self) -> &[u64] {
        &self.in_service
    }

    /// Idle GPUs of out-of-service nodes.
    pub fn held_gpus(&self) -> u64 {
        self.held_total
    }

    /// Installed GPUs of `node`.
    pub fn capacity_of(&self, node: NodeId) -> u32 {
        self.capacity[node as usize]
    }

    /// The most GPUs a node has.
    pub fn max_node_gpus(&self) -> u32 {
        self.max_node_gpus
    }

    /// GPUs of `node` no job holds, in service or not.
    pub fn idle_on(&self, node: NodeId) -> u32 {
        self.free_count[node as usize] + self.held_mask[node as usize].count_ones()
    }

    /// Takes `node` out of service (its idle GPUs are held, never handed
    /// out, and GPUs released onto it are held too) or puts it back (its
    /// idle GPUs become free). Doing what is already so changes nothing.
    pub fn set_in_service(&mut self, node: NodeId, in_service: bool) {
        if self.is_in_service(node) == in_service {
            return;
        }
        let n = node as usize;
        self.in_service[n / 64] ^= 1 << (n % 64);
        if in_service {
            self.out_of_service -= 1;
            let mask = std::mem::take(&mut self.held_mask[n]);
            self.held_total -= u64::from(mask.count_ones());
            self.set_free(n, mask, mask.count_ones());
        } else {
            self.out_of_service += 1;
            let mask = self.free_mask[n];
            self.held_mask[n] = mask;
            self.held_total += u64::from(self.free_count[n]);
            self.set_free(n, 0, 0);
        }
    }

    /// GPUs of `allocation` on nodes of `set` in service.
    pub fn gpus_in_service(&self, allocation: &[NodeGpus], set: &NodeSet) -> u64 {
        (allocation.iter())
            .filter(|p| set.is_all() || set.member[p.node as usize])
            .filter(|p| self.out_of_service == 0 || self.is_in_service(p.node))
            .map(|p| u64::from(p.gpu_count()))
            .sum()
    }

    /// Takes exactly the GPUs of `mask` on `node`, in service, all free.
    pub(super) fn take_mask(&mut self, node: NodeId, mask: u64) -> NodeGpus {
        let n = node as usize;
        assert_eq!(
            self.free_mask[n] & mask,
            mask,
            "GPUs {mask:#x} of node {node} are not free"
        );
        let after = self.free_count[n] - mask.count_ones();
        self.set_free(n, self.free_mask[n] & !mask, after);
        NodeGpus { node, mask }
    }

    /// The lowest-id node of `set` in service with all its GPUs free and
    /// at least `gpus` of them, smallest such nodes first.
    pub(super) fn whole_free_node(&self, gpus: u32, set: &NodeSet) -> Option<NodeId> {
        (gpus.max(1)..=self.max_node_gpus)
            .filter(|&k| self.nodes_with_free[k as usize] > 0)
            .find_map(|k| self.first_with_free(k, |n| set.member[n] && self.capacity[n] == k))
            .map(|n| n as NodeId)
    }

    /// Free GPUs on the nodes of `set`.
    pub fn free_gpus_in(&self, set: &NodeSet) -> u64 {
        if set.is_all() {
            return self.free_total;
        }
        self.free_count
            .iter()
            .enumerate()
            .filter(|&(n, _)| set.member[n])
            .map(|(_, &f)| u64::from(f))
            .sum()
    }

    /// Total GPUs of the nodes of `set`.
    pub fn capacity_in(&self, set: &NodeSet) -> u64 {
        self.capacity
            .iter()
            .enumerate()
            .filter(|&(n, _)| set.member[n])
            .map(|(_, &c)| u64::from(c))
            .sum()
    }

    pub fn total_gpus(&self) -> u64 {
        self.total_gpus
    }

    /// Whether `request` could run on the nodes of `set` if they were idle.
    pub fn check_fits_when_idle_in(
        &self,
        request: JobRequest,
        set: &NodeSet,
    ) -> Result<(), NeverFits> {
        if set.is_all() {
            return self.check_fits_when_idle(request);
        }
        let mut idle = GpuPool::new_from_capacity(
            self.capacity
                .iter()
                .enumerate()
                .map(|(n, &c)| if set.member[n] { c } else { 0 })
                .collect(),
        );
        let mut out = Vec::new();
        self.check_fits_when_idle(request)?;
        if idle.try_allocate(request, &mut out) {
            Ok(())
        } else {
            Err(NeverFits {
                reason: format!(
                    "it asks for {request}; its partition has {} nodes with {} GPUs in all",
                    set.len(),
                    self.capacity_in(set)
                ),
            })
        }
    }

    /// Whether `request` could run on this cluster if it were idle.
    pub fn check_fits_when_idle(&self, request: JobRequest) -> Result<(), NeverFits> {
        match request {
            JobRequest::Gpus(0)
            | JobRequest::Nodes { count: 0, .. }
            | JobRequest::Nodes {
                gpus_per_node: 0, ..
            } => Err(NeverFits {
                reason: "the request is for zero GPUs".into(),
            }),
            JobRequest::Gpus(n) if u64::from(n) > self.total_gpus => Err(NeverFits {
                reason: format!("it asks for {n} GPUs; the cluster has {}", self.total_gpus),
            }),
            JobRequest::Gpus(_) => Ok(()),
            JobRequest::Nodes {
                count,
                gpus_per_node,
            } => {
                let eligible = self
                    .capacity
                    .iter()
                    .filter(|&&c| c >= gpus_per_node)
                    .count();
                if eligible >= count as usize {
                    Ok(())
                } else {
                    Err(NeverFits {
                        reason: format!(
                            "it asks for {count} nodes with {gpus_per_node} GPUs each; the cluster has {eligible} such nodes"
                        ),
                    })
                }
            }
        }
    }

    /// Grants `request` now if it fits, writing the placement into `out`
    /// (cleared first). Returns false, leaving the pool unchanged, if not.
    pub fn try_allocate(&mut self, request: JobRequest, out: &mut Vec<NodeGpus>) -> bool {
        self.try_allocate_in(request, None, out)
    }

    /// [`GpuPool::try_allocate`] restricted to the nodes of `set` (`None`:
    /// every node).
    pub fn try_allocate_in(
        &mut self,
        request: JobRequest,
        set: Option<&NodeSet>,
        out: &mut Vec<NodeGpus>,
    ) -> bool {
        out.clear();
        let set = set.filter(|s| !s.is_all());
        match request {
            JobRequest::Gpus(0) => false,
            JobRequest::Gpus(n) if n <= self.max_node_gpus => self.place_on_one_node(n, set, out),
            JobRequest::Gpus(n) => self.spread(u64::from(n), set, out),
            JobRequest::Nodes {
                count,
                gpus_per_node,
            } => self.place_on_nodes(count, gpus_per_node, set, out),
        }
    }

    /// Returns the GPUs of an allocation to the pool (held, not free, on
    /// nodes out of service).
    pub fn release(&mut self, allocation: &[NodeGpus]) {
        for part in allocation {
            let n = part.node as usize;
            assert_eq!(
                (self.free_mask[n] | self.held_mask[n]) & part.mask,
                0,
                "double release of GPUs {:#x} on node {}",
                part.mask,
                part.node
            );
            if self.out_of_service > 0 && !self.is_in_service(part.node) {
                self.held_mask[n] |= part.mask;
                self.held_total += u64::from(part.gpu_count());
                continue;
            }
            let after = self.free_count[n] + part.gpu_count();
            self.set_free(n, self.free_mask[n] | part.mask, after);
        }
    }

    /// Sets `node`'s free GPUs to `mask`, which has `after` bits (passed
    /// in because callers know it, and a population count is not free on
    /// baseline x86-64).
    fn set_free(&mut self, node: usize, mask: u64, after: u32) {
        debug_assert_eq!(mask.count_ones(), after);
        let before = self.free_count[node];
        let (word, bit) = (node / 64, 1u64 << (node % 64));
        self.by_free[before as usize * self.words + word] &= !bit;
        self.by_free[after as usize * self.words + word] |= bit;
        self.nodes_with_free[before as usize] -= 1;
        self.nodes_with_free[after as usize] += 1;
        self.free_total = self.free_total - u64::from(before) + u64::from(after);
        self.free_mask[node] = mask;
        self.free_count[node] = after;
    }

    /// Takes the `k` lowest free GPUs of `node`.
    fn take(&mut self, node: usize, k: u32, out: &mut Vec<NodeGpus>) {
        let mut remaining = self.free_mask[node];
        let mut taken = 0u64;
        for _ in 0..k {
            let lowest = remaining & remaining.wrapping_neg();
            taken |= lowest;
            remaining ^= lowest;
        }
        debug_assert_eq!(taken.count_ones(), k, "took more GPUs than were free");
        self.set_free(node, remaining, self.free_count[node] - k);
        out.push(NodeGpus {
            node: node as NodeId,
            mask: taken,
        });
    }

    fn nodes_with_at_least(&self, k: u32) -> u64 {
        self.nodes_with_free
            .iter()
            .skip(k as usize)
            .map(|&c| u64::from(c))
            .sum()
    }

    /// Best fit: the node with the fewest free GPUs that still has `n`.
    fn place_on_one_node(
        &mut self,
        n: u32,
        set: Option<&NodeSet>,
        out: &mut Vec<NodeGpus>,
    ) -> bool {
        for k in n..=self.max_node_gpus {
            if self.nodes_with_free[k as usize] == 0 {
                continue;
            }
            if let Some(node) = self.first_with_free(k, |node| set.is_none_or(|s| s.member[node])) {
                self.take(node, n, out);
                return true;
            }
        }
        false
    }

    /// The bit set of the nodes with exactly `k` free GPUs.
    fn bucket(&self, k: u32) -> &[u64] {
        let start = k as usize * self.words;
        &self.by_free[start..start + self.words]
    }

    /// The lowest-id node with exactly `k` free GPUs that `ok` accepts.
    fn first_with_free(&self, k: u32, ok: impl Fn(usize) -> bool) -> Option<usize> {
        for (w, &word) in self.bucket(k).iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let node = w * 64 + bits.trailing_zeros() as usize;
                if ok(node) {
                    return Some(node);
                }
                bits &= bits - 1;
            }
        }
        None
    }

    /// The highest-id node with exactly `k` free GPUs that `ok` accepts.
    fn last_with_free(&self, k: u32, ok: impl Fn(usize) -> bool) -> Option<usize> {
        for (w, &word) in self.bucket(k).iter().enumerate().rev() {
            let mut bits = word;
            while bits != 0 {
                let top = 63 - bits.leading_zeros() as usize;
                let node = w * 64 + top;
                if ok(node) {
                    return Some(node);
                }
                bits &= !(1u64 << top);
            }
        }
        None
    }

    /// With a topology: keeps in `leaf_ok` only the leaves placement may
    /// use for a job needing `need` units, where a node offers
    /// `units(free GPUs)` units. One leaf if any can hold the job (the
    /// one with the least capacity that suffices), else the leaves with
    /// the most capacity until the job fits. Returns false if even all
    /// leaves together cannot hold it.
    fn choose_leaves(
        &mut self,
        need: u64,
        set: Option<&NodeSet>,
        units: impl Fn(u32) -> u64,
    ) -> bool {
        if !self.choose_blocks(need, set, &units) {
            return false;
        }
        self.leaf_ok.iter_mut().for_each(|ok| *ok = true);
        if self.leaf_of.is_empty() {
            return true;
        }
        let mut per_leaf = std::mem::take(&mut self.leaf_capacity);
        per_leaf.clear();
        per_leaf.extend((0..self.leaf_count as u32).map(|leaf| (0u64, leaf)));
        for (node, &free) in self.free_count.iter().enumerate() {
            if set.is_none_or(|s| s.member[node]) && self.block_allows(node) {
                per_leaf[self.leaf_of[node] as usize].0 += units(free);
            }
        }
        let total: u64 = per_leaf.iter().map(|p| p.0).sum();
        let fits = total >= need;
        if fits {
            let single = per_leaf
                .iter()
                .filter(|p| p.0 >= need)
                .min_by_key(|p| (p.0, p.1))
                .copied();
            self.leaf_ok.iter_mut().for_each(|ok| *ok = false);
            if let Some((_, leaf)) = single {
                self.leaf_ok[leaf as usize] = true;
            } else {
                per_leaf.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                let mut gathered = 0;
                for &(cap, leaf) in per_leaf.iter() {
                    if gathered >= need {
                        break;
                    }
                    self.leaf_ok[leaf as usize] = true;
                    gathered += cap;
                }
            }
        }
        self.leaf_capacity = per_leaf;
        fits
    }

    /// With NVLink domains as blocks: keeps in `block_ok` only the blocks
    /// placement may use, as [`Self::choose_leaves`] does for leaves (one
    /// best-fitting block, else the blocks with the most capacity until
    /// the job fits). Returns false if even all blocks cannot hold it.
    fn choose_blocks(
        &mut self,
        need: u64,
        set: Option<&NodeSet>,
        units: &impl Fn(u32) -> u64,
    ) -> bool {
        self.block_ok.iter_mut().for_each(|ok| *ok = true);
        if self.block_of.is_empty() {
            return true;
        }
        let mut per_block = std::mem::take(&mut self.leaf_capacity);
        per_block.clear();
        per_block.extend((0..self.block_count as u32).map(|b| (0u64, b)));
        for (node, &free) in self.free_count.iter().enumerate() {
            if set.is_none_or(|s| s.member[node]) {
                per_block[self.block_of[node] as usize].0 += units(free);
            }
        }
        let total: u64 = per_block.iter().map(|p| p.0).sum();
        let fits = total >= need;
        if fits {
            let single = per_block
                .iter()
                .filter(|p| p.0 >= need)
                .min_by_key(|p| (p.0, p.1))
                .copied();
            self.block_ok.iter_mut().for_each(|ok| *ok = false);
            if let Some((_, b)) = single {
                self.block_ok[b as usize] = true;
            } else {
                per_block.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                let mut gathered = 0;
                for &(cap, b) in per_block.iter() {
                    if gathered >= need {
                        break;
                    }
                    self.block_ok[b as usize] = true;
                    gathered += cap;
                }
            }
        }
        self.leaf_capacity = per_block;
        fits
    }

    fn block_allows(&self, node: usize) -> bool {
        self.block_of.is_empty() || self.block_ok[self.block_of[node] as usize]
    }

    /// Whether `node` may be used by the current request.
    fn eligible(&self, node: usize, set: Option<&NodeSet>) -> bool {
        set.is_none_or(|s| s.member[node])
            && self.block_allows(node)
            && (self.leaf_of.is_empty() || self.leaf_ok[self.leaf_of[node] as usize])
    }

    /// On as few nodes as possible: the emptiest nodes whole (most free
    /// GPUs first, lowest id among equals), then the remainder on the
    /// best-fitting node (the fewest free GPUs that hold it; the highest id
    /// among equals). Nodes are visited by free-GPU count, bucket by bucket,
    /// and the walk stops as soon as the request is placed: no sorting, so
    /// placing a job costs about as many steps as the nodes it gets.
    fn spread(&mut self, n: u64, set: Option<&NodeSet>, out: &mut Vec<NodeGpus>) -> bool {
        if self.free_total < n || !self.choose_leaves(n, set, u64::from) {
            return false;
        }
        let nodes = self.free_count.len();
        if set.is_some() || !self.leaf_of.is_empty() || !self.block_of.is_empty() {
            let available: u64 = (0..nodes)
                .filter(|&m| self.eligible(m, set))
                .map(|m| u64::from(self.free_count[m]))
                .sum();
            if available < n {
                return false;
            }
        }
        let mut remaining = n;
        for k in (1..=self.max_node_gpus).rev() {
            if self.nodes_with_free[k as usize] == 0 {
                continue;
            }
            for w in 0..self.words {
                // A copy: taking a node moves it to another bucket.
                let mut bits = self.bucket(k)[w];
                while bits != 0 {
                    let node = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if !self.eligible(node, set) {
                        continue;
                    }
                    if u64::from(k) < remaining {
                        self.take(node, k, out);
                        remaining -= u64::from(k);
                        continue;
                    }
                    // The last piece fits on this node; find the best fit.
                    let last = remaining as u32;
                    for fit in last..=k {
                        if self.nodes_with_free[fit as usize] == 0 {
                            continue;
                        }
                        if let Some(best) = self.last_with_free(fit, |m| self.eligible(m, set)) {
                            self.take(best, last, out);
                            return true;
                        }
                    }
                    unreachable!("node {node} itself holds the last piece");
                }
            }
        }
        unreachable!("the eligible nodes were counted to hold the request")
    }

    /// `count` distinct nodes, `per_node` GPUs each, best fit first.
    fn place_on_nodes(
        &mut self,
        count: u32,
        per_node: u32,
        set: Option<&NodeSet>,
        out: &mut Vec<NodeGpus>,
    ) -> bool {
        if per_node == 0
            || count == 0
            || self.nodes_with_at_least(per_node) < u64::from(count)
            || !self.choose_leaves(u64::from(count), set, |free| u64::from(free >= per_node))
        {
            return false;
        }
        // Best fit: the nodes with the fewest free GPUs that suffice,
        // lowest ids first, chosen before any is taken (all or nothing).
        let mut chosen = std::mem::take(&mut self.scratch);
        chosen.clear();
        let count = count as usize;
        'buckets: for k in per_node..=self.max_node_gpus {
            if self.nodes_with_free[k as usize] == 0 {
                continue;
            }
            for (w, &word) in self.bucket(k).iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let node = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if self.eligible(node, set) {
                        chosen.push((k, node as NodeId));
                        if chosen.len() == count {
                            break 'buckets;
                        }
                    }
                }
            }
        }
        let placed = chosen.len() == count;
        if placed {
            for &(_, node) in &chosen {
                self.take(node as usize, per_node, out);
            }
        }
        self.scratch = chosen;
        placed
    }

    /// Checks the internal counters against the masks (for tests).
    pub fn check_invariants(&self) {
        let mut by_free = vec![0u32; self.max_node_gpus as usize + 1];
        let mut total = 0;
        let mut held = 0;
        let mut out = 0;
        for (n, &mask) in self.free_mask.iter().enumerate() {
            assert_eq!(
                (mask | self.held_mask[n]) & !full_mask(self.capacity[n]),
                0,
                "node {n} has GPUs beyond its capacity"
            );
            assert_eq!(mask & self.held_mask[n], 0, "node {n}: GPUs free and held");
            if self.is_in_service(n as NodeId) {
                assert_eq!(self.held_mask[n], 0, "node {n} in service holds GPUs");
            } else {
                assert_eq!(mask, 0, "node {n} out of service has free GPUs");
                out += 1;
            }
            held += u64::from(self.held_mask[n].count_ones());
            assert_eq!(mask.count_ones(), self.free_count[n]);
            by_free[mask.count_ones() as usize] += 1;
            total += u64::from(mask.count_ones());
        }
        assert_eq!(by_free, self.nodes_with_free);
        for (n, &count) in self.free_count.iter().enumerate() {
            for k in 0..=self.max_node_gpus {
                let member = self.bucket(k)[n / 64] & (1 << (n % 64)) != 0;
                assert_eq!(member, k == count, "node {n} in bucket {k}");
            }
        }
        assert_eq!(total, self.free_total);
        assert_eq!(held, self.held_total);
        assert_eq!(out, self.out_of_service);
        let nodes = self.capacity.len();
        assert!((nodes..self.words * 64).all(|n| self.in_service[n / 64] & (1 << (n % 64)) == 0));
    }
}

pub(super) fn full_mask(gpus: u32) -> u64 {
    if gpus >= 64 {
        u64::MAX
    } else {
        (1u64 << gpus) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::{Catalog, NodeGroup};
    use proptest::prelude::*;

    fn cluster(shapes: &[(u32, u32)]) -> Cluster {
        let catalog = Catalog::builtin();
        let node_model = catalog.node("DGX-H100").unwrap().clone();
        let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
        Cluster::from_groups(
            shapes
                .iter()
                .enumerate()
                .map(|(i, &(count, gpus))| NodeGroup {
                    name: format!("g{i}"),
                    node_model: node_model.clone(),
                    gpu_model: gpu_model.clone(),
                    gpus_per_node: gpus,
                    first_node: 0,
                    node_count: count,
                })
                .collect(),
        )
    }

    #[test]
    fn small_requests_stay_on_one_node_and_prefer_the_fullest() {
        let mut pool = GpuPool::new(&cluster(&[(3, 8)]));
        let mut out = Vec::new();
        assert!(pool.try_allocate(JobRequest::Gpus(6), &mut out));
        assert_eq!(
            out,
            [NodeGpus {
                node: 0,
                mask: 0b11_1111
            }]
        );
        // Node 0 has 2 free: a 2-GPU job fits there exactly (best fit).
        assert!(pool.try_allocate(JobRequest::Gpus(2), &mut out));
        assert_eq!(
            out,
            [NodeGpus {
                node: 0,
                mask: 0b1100_0000
            }]
        );
        // A 3-GPU job goes to node 1, lowest GPUs.
        assert!(pool.try_allocate(JobRequest::Gpus(3), &mut out));
        assert_eq!(
            out,
            [NodeGpus {
                node: 1,
                mask: 0b111
            }]
        );
        pool.check_invariants();
    }

    #[test]
    fn gang_allocation_is_all_or_nothing() {
        let mut pool = GpuPool::new(&cluster(&[(2, 8)]));
        let mut out = Vec::new();
        assert!(pool.try_allocate(JobRequest::Gpus(4), &mut out));
        let before = pool.free_gpus();
        // 2 whole nodes are not free any more: refuse without side effects.
        assert!(!pool.try_allocate(
            JobRequest::Nodes {
                count: 2,
                gpus_per_node: 8
            },
            &mut out
        ));
        assert!(!pool.try_allocate(JobRequest::Gpus(13), &mut out));
        assert_eq!(pool.free_gpus(), before);
        assert!(pool.try_allocate(JobRequest::Gpus(12), &mut out));
        assert_eq!(out.iter().map(|p| p.gpu_count()).sum::<u32>(), 12);
        assert_eq!(pool.free_gpus(), 0);
        pool.check_invariants();
    }

    #[test]
    fn spread_uses_the_fewest_nodes_and_best_fits_the_remainder() {
        let mut pool = GpuPool::new(&cluster(&[(4, 8)]));
        let mut out = Vec::new();
        assert!(pool.try_allocate(
            JobRequest::Nodes {
                count: 1,
                gpus_per_node: 5
            },
            &mut out
        ));
        assert_eq!(out[0].node, 0);
        assert!(pool.try_allocate(
            JobRequest::Nodes {
                count: 1,
                gpus_per_node: 4
            },
            &mut out
        ));
        assert_eq!(out[0].node, 1);
        // Free per node: 3, 4, 8, 8. Nineteen GPUs: the two empty nodes
        // whole, then the remaining 3 on node 0, which fits them exactly.
        assert!(pool.try_allocate(JobRequest::Gpus(19), &mut out));
        let placed: Vec<(NodeId, u32)> = out.iter().map(|p| (p.node, p.gpu_count())).collect();
        assert_eq!(placed, [(2, 8), (3, 8), (0, 3)]);
        assert_eq!(pool.free_gpus(), 4);
        pool.check_invariants();
    }

    #[test]
    fn never_fits_is_explained() {
        let pool = GpuPool::new(&cluster(&[(2, 8), (1, 4)]));
        assert!(pool.check_fits_when_idle(JobRequest::Gpus(20)).is_ok());
        let err = pool.check_fits_when_idle(JobRequest::Gpus(21)).unwrap_err();
        assert!(err.reason.contains("cluster has 20"), "{}", err.reason);
        let err = pool
            .check_fits_when_idle(JobRequest::Nodes {
                count: 3,
                gpus_per_node: 8,
            })
            .unwrap_err();
        assert!(err.reason.contains("2 such nodes"), "{}", err.reason);
        assert!(
            pool.check_fits_when_idle(JobRequest::Nodes {
                count: 3,
                gpus_per_node: 4
            })
            .is_ok()
        );
    }

    #[test]
    fn multi_node_jobs_use_as_few_leaf_switches_as_possible() {
        // Slurm topology/tree: the best-fitting single leaf when one can
        // hold the job, else the leaves with the most free nodes first.
        // Four leaves of four 8-GPU nodes: leaf l has nodes 4l..4l+3.
        let leaf_of = (0..16).map(|n| n / 4).collect();
        let mut pool = GpuPool::new(&cluster(&[(16, 8)])).with_topology(leaf_of);
        let mut out = Vec::new();
        let nodes = |count| JobRequest::Nodes {
            count,
            gpus_per_node: 8,
        };
        let placed = |out: &Vec<NodeGpus>| out.iter().map(|p| p.node).collect::<Vec<_>>();
        // Empty: every leaf fits 4; the lowest id wins.
        assert!(pool.try_allocate(nodes(4), &mut out));
        assert_eq!(placed(&out), [0, 1, 2, 3]);
        assert_eq!(pool.leaves_spanned(&out), 1);
        assert!(pool.try_allocate(nodes(3), &mut out));
        assert_eq!(placed(&out), [4, 5, 6]);
        // Free nodes per leaf: 0, 1, 4, 4. Two nodes: leaf 1 is too small,
        // leaves 2 and 3 tie, the lowest wins.
        assert!(pool.try_allocate(nodes(2), &mut out));
        assert_eq!(placed(&out), [8, 9]);
        // Free: 0, 1, 2, 4. Six nodes fit in no leaf: leaf 3 (4) then
        // leaf 2 (2), two leaves, not three.
        assert!(pool.try_allocate(nodes(6), &mut out));
        assert_eq!(placed(&out), [10, 11, 12, 13, 14, 15]);
        assert_eq!(pool.leaves_spanned(&out), 2);
        pool.check_invariants();
    }

    #[test]
    fn multi_node_jobs_stay_inside_one_nvlink_domain_when_they_fit() {
        // Slurm topology/block with a block per NVL72 rack: three racks of
        // 18 four-GPU trays (nodes 0-17, 18-35, 36-53).
        let racks = crate::fabric::test_support::cluster("GB200-NVL72-tray", 54);
        let blocks = GpuPool::blocks_of(&racks).expect("multi-node domains");
        assert_eq!(blocks[17], 0);
        assert_eq!(blocks[18], 1);
        let mut pool = GpuPool::new(&racks).with_blocks(blocks);
        let mut out = Vec::new();
        let placed = |out: &Vec<NodeGpus>| out.iter().map(|p| p.node).collect::<Vec<_>>();
        let nodes = |count| JobRequest::Nodes {
            count,
            gpus_per_node: 4,
        };
        // 10 trays on the empty racks: rack 0.
        assert!(pool.try_allocate(nodes(10), &mut out));
        assert_eq!(placed(&out), (0..10).collect::<Vec<_>>());
        // 16 trays (64 GPUs: a TP 16 x 4 job): rack 0 has 8 left, so not
        // there, and not split 8 + 8 as a flat placement would: rack 1.
        assert!(pool.try_allocate(nodes(16), &mut out));
        assert_eq!(placed(&out), (18..34).collect::<Vec<_>>());
        assert_eq!(pool.blocks_spanned(&out), 1);
        // 32 GPUs as a GPU count: the best-fitting rack that holds 8 whole
        // trays is rack 0 (8 free), not rack 2 (18 free).
        assert!(pool.try_allocate(JobRequest::Gpus(32), &mut out));
        assert_eq!(placed(&out), (10..18).collect::<Vec<_>>());
        // Free: rack 0 none, rack 1 two trays, rack 2 eighteen. 20 trays
        // fit in no rack: the fallback takes the fullest racks first (2,
        // then 1), two racks, as Slurm spans the fewest blocks.
        assert!(pool.try_allocate(nodes(20), &mut out));
        assert_eq!(pool.blocks_spanned(&out), 2);
        assert_eq!(out.len(), 20);
        pool.check_invariants();
        // Without multi-node domains there are no blocks.
        assert!(GpuPool::blocks_of(&cluster(&[(4, 8)])).is_none());
    }

    #[test]
    fn partitions_restrict_placement_to_their_nodes() {
        let mut pool = GpuPool::new(&cluster(&[(4, 8)]));
        let set = NodeSet::from_members(vec![false, false, true, true]);
        let mut out = Vec::new();
        assert!(pool.try_allocate_in(JobRequest::Gpus(8), Some(&set), &mut out));
        assert_eq!(out[0].node, 2);
        assert!(pool.try_allocate_in(JobRequest::Gpus(12), None, &mut out));
        assert!(!pool.try_allocate_in(JobRequest::Gpus(9), Some(&set), &mut out));
        assert_eq!(pool.free_gpus_in(&set), 8 - 4);
        assert!(
            pool.check_fits_when_idle_in(JobRequest::Gpus(17), &set)
                .is_err()
        );
    }

    #[test]
    #[should_panic(expected = "double release")]
    fn double_release_is_caught() {
        let mut pool = GpuPool::new(&cluster(&[(1, 8)]));
        let mut out = Vec::new();
        pool.try_allocate(JobRequest::Gpus(2), &mut out);
        pool.release(&out);
        pool.release(&out);
    }

    fn request() -> impl Strategy<Value = JobRequest> {
        prop_oneof![
            (1u32..40).prop_map(JobRequest::Gpus),
            (1u32..4, 1u32..9).prop_map(|(count, gpus_per_node)| JobRequest::Nodes {
                count,
                gpus_per_node
            }),
        ]
    }

    proptest! {
        /// Random allocate/release sequences never hand a GPU out twice,
        /// always grant exactly what was asked, and keep the counters true.
        #[test]
        fn allocations_are_disjoint_and_exact(ops in proptest::collection::vec((request(), any::<bool>()), 1..60)) {
            let mut pool = GpuPool::new(&cluster(&[(3, 8), (2, 4)]));
            let mut held: Vec<Vec<NodeGpus>> = Vec::new();
            let mut out = Vec::new();
            for (req, release_one) in ops {
                if release_one && !held.is_empty() {
                    let alloc = held.remove(0);
                    pool.release(&alloc);
                }
                if pool.try_allocate(req, &mut out) {
                    let granted: u64 = out.iter().map(|p| u64::from(p.gpu_count())).sum();
                    prop_assert_eq!(granted, req.total_gpus());
                    if let JobRequest::Nodes { count, gpus_per_node } = req {
                        prop_assert_eq!(out.len(), count as usize);
                        prop_assert!(out.iter().all(|p| p.gpu_count() == gpus_per_node));
                    }
                    for held_alloc in &held {
                        for a in held_alloc {
                            for b in &out {
                                prop_assert!(a.node != b.node || a.mask & b.mask == 0);
                            }
                        }
                    }
                    held.push(out.clone());
                }
                pool.check_invariants();
            }
        }
    }
}
