//! GPUs shared by several jobs: fractions of a GPU and MIG slices.
//!
//! A job asking for a fraction of one GPU (`GpuShare::Fraction`, Kubernetes
//! GPU sharing as Alibaba's `gpu_milli` pods ask) or for a MIG slice
//! (`GpuShare::Mig`) is placed on a GPU that already has tenants of the
//! same kind and room left, the best fit first (the GPU left with the least
//! room, ties to the lowest node and GPU: a packing policy, the
//! "BestFit" baseline of the FGD paper, Weng et al., USENIX ATC'23), else
//! on a whole free GPU taken from the pool, which then hosts tenants until
//! the last one leaves and it goes back.
//!
//! Fractions are isolated shares: tenants of a GPU sum to at most 1000
//! thousandths and run at full speed, as with Alibaba's cGPU isolation the
//! trace's cluster ran. With time-slicing (`TimeSlicing`, NVIDIA's device
//! plugin advertising each GPU as `replicas` GPUs) every one-GPU job is a
//! tenant whose share is its demand (a whole GPU's 1000 for `Gpus(1)`),
//! and a GPU takes up to `replicas` tenants whatever their sum: a job goes
//! where its demand still fits (best fit), else to a fresh GPU, else to
//! the least loaded GPU with a replica left, where tenants slow each other
//! (`simulation/time_slicing.rs`). MIG slices follow the GPU's geometry
//! (`hardware::mig`): a slice takes a free placement of its profile; a GPU
//! is either cut into MIG slices or shared in fractions, never both.
//!
//! Invariants:
//! - a GPU is shared only while it has a tenant, and is then out of the
//!   pool (allocated) exactly once, whatever its tenant count;
//! - a fraction GPU's tenants sum to at most 1000 (time-slicing: it has
//!   at most `replicas` tenants instead); a MIG GPU's slices never
//!   overlap and every one sits at an allowed placement (proptest in
//!   `tests/it/kubernetes.rs`);
//! - placement is deterministic: shared GPUs are kept in a `BTreeMap` by
//!   (node, GPU), and ties go to the lowest.

use std::collections::BTreeMap;

use super::{GpuPool, NodeGpus, NodeSet};
use crate::hardware::{Cluster, MigGeometry, NodeId, mig};
use crate::workload::{GpuShare, JobRequest};

/// A GPU with tenants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SharedGpu {
    /// Cut into MIG slices (else shared in fractions).
    mig: bool,
    /// Thousandths of the GPU its fraction tenants hold (their demand,
    /// above 1000 when time-slicing oversubscribes it).
    used_milli: u32,
    /// Memory slices its MIG tenants occupy.
    used_slices: u8,
    tenants: u32,
}

/// Where a shared job sits: its GPU and, for a MIG slice, the first
/// memory slice of its placement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SharePlace {
    pub gpu: Option<NodeGpus>,
    pub mig_start: u8,
    /// The share it holds: its own, or under time-slicing a whole GPU's
    /// demand for a `Gpus(1)` job.
    pub share: GpuShare,
}

/// The shared GPUs of a cluster.
#[derive(Clone, Debug, Default)]
pub(super) struct Sharing {
    gpus: BTreeMap<(NodeId, u8), SharedGpu>,
    geometry: Vec<MigGeometry>,
    /// Time-slicing's tenants per GPU at most (0: no time-slicing).
    replicas: u32,
    /// Scratch: the nodes a fresh GPU may come from.
    scratch_set: NodeSet,
    scratch_alloc: Vec<NodeGpus>,
}

impl Sharing {
    pub fn new(cluster: &Cluster, replicas: u32) -> Self {
        Sharing {
            gpus: BTreeMap::new(),
            replicas,
            geometry: (cluster.nodes.iter())
                .map(|n| cluster.groups[n.group as usize].gpu_model.mig)
                .collect(),
            scratch_set: NodeSet::default(),
            scratch_alloc: Vec::new(),
        }
    }

    /// Thousandths of GPU held by fraction tenants, and MIG compute
    /// slices over the GPUs' own, in thousandths of a GPU: what sharing
    /// allocates.
    #[cfg(test)]
    pub fn allocated_milli(&self) -> u64 {
        (self.gpus.iter())
            .map(|(&(node, _), g)| {
                if g.mig {
                    let geometry = self.geometry[node as usize];
                    let per_slice = 1000 / u64::from(geometry.memory_slices());
                    u64::from(g.used_slices.count_ones()) * per_slice
                } else {
                    u64::from(g.used_milli)
                }
            })
            .sum()
    }

    /// The shared GPUs of `node`: whether cut into MIG slices, their free
    /// and used thousandths (MIG: memory slices over the GPU's; a
    /// time-sliced GPU's use counted up to the whole GPU).
    pub fn on_node(&self, node: NodeId) -> impl Iterator<Item = (bool, u16, u64)> + '_ {
        let geometry = self.geometry[node as usize];
        (self.gpus.range((node, 0)..=(node, u8::MAX))).map(move |(_, g)| {
            if g.mig {
                let per = 1000 / u64::from(geometry.memory_slices());
                let used = u64::from(g.used_slices.count_ones()) * per;
                (true, (1000 - used) as u16, used)
            } else {
                let used = g.used_milli.min(1000);
                (false, (1000 - used) as u16, u64::from(used))
            }
        })
    }

    /// Places `share` on a GPU of a node `allowed` accepts: a shared GPU
    /// with room, the best fit, else a whole free GPU of the pool. `None`
    /// if nothing fits now.
    pub fn place(
        &mut self,
        pool: &mut GpuPool,
        share: GpuShare,
        allowed: &NodeSet,
    ) -> Option<SharePlace> {
        let geometry = &self.geometry;
        let profile_on = |node: NodeId| -> Option<&'static mig::MigProfile> {
            let GpuShare::Mig { profile } = share else {
                return None;
            };
            geometry[node as usize].profile(mig::MIG_NAMES[profile as usize])
        };
        // The best fit among GPUs that already have tenants.
        let mut best: Option<((NodeId, u8), u32, u8)> = None;
        for (&(node, gpu), g) in &self.gpus {
            if !allowed.contains(node) {
                continue;
            }
            let (left, start) = match share {
                GpuShare::Whole => return None,
                GpuShare::Fraction { milli } => {
                    let after = g.used_milli + u32::from(milli);
                    if g.mig || after > 1000 || !self.has_replica(g) {
                        continue;
                    }
                    (1000 - after, 0)
                }
                GpuShare::Mig { .. } => {
                    let Some(p) = profile_on(node).filter(|_| g.mig) else {
                        continue;
                    };
                    let Some(start) = MigGeometry::place(p, g.used_slices) else {
                        continue;
                    };
                    let after = g.used_slices | p.mask_at(start);
                    (after.count_zeros(), start)
                }
            };
            if best.is_none_or(|(_, l, _)| left < l) {
                best = Some(((node, gpu), left, start));
            }
        }
        if let Some((key, _, start)) = best {
            self.take(key, share, start);
            return Some(SharePlace {
                gpu: Some(NodeGpus {
                    node: key.0,
                    mask: 1 << key.1,
                }),
                mig_start: start,
                share,
            });
        }
        // A fresh GPU, on a node whose GPU has the profile for a slice.
        let set = if let GpuShare::Mig { .. } = share {
            let member: Vec<bool> = (0..self.geometry.len() as NodeId)
                .map(|n| allowed.contains(n) && profile_on(n).is_some())
                .collect();
            self.scratch_set = NodeSet::from_members(member);
            &self.scratch_set
        } else {
            allowed
        };
        if !pool.try_allocate_in(JobRequest::Gpus(1), Some(set), &mut self.scratch_alloc) {
            return self.oversubscribe(share, allowed);
        }
        let part = self.scratch_alloc[0];
        let key = (part.node, part.mask.trailing_zeros() as u8);
        let start = match share {
            GpuShare::Mig { profile } => {
                let name = mig::MIG_NAMES[profile as usize];
                let p = self.geometry[part.node as usize]
                    .profile(name)
                    .expect("the node was chosen for it");
                MigGeometry::place(p, 0).expect("an empty GPU takes any profile")
            }
            _ => 0,
        };
        self.gpus.insert(
            key,
            SharedGpu {
                mig: matches!(share, GpuShare::Mig { .. }),
                used_milli: 0,
                used_slices: 0,
                tenants: 0,
            },
        );
        self.take(key, share, start);
        Some(SharePlace {
            gpu: Some(part),
            mig_start: start,
            share,
        })
    }

    /// Whether time-slicing lets `g` take one more tenant (always true
    /// without time-slicing: isolated shares are bounded by their sum).
    fn has_replica(&self, g: &SharedGpu) -> bool {
        self.replicas == 0 || g.tenants < self.replicas
    }

    /// Time-slicing's last resort: the least loaded fraction GPU with a
    /// replica left (ties to the lowest), oversubscribed.
    fn oversubscribe(&mut self, share: GpuShare, allowed: &NodeSet) -> Option<SharePlace> {
        let GpuShare::Fraction { .. } = share else {
            return None;
        };
        if self.replicas == 0 {
            return None;
        }
        let (&key, _) = (self.gpus.iter())
            .filter(|(key, g)| !g.mig && g.tenants < self.replicas && allowed.contains(key.0))
            .min_by_key(|(key, g)| (g.used_milli, **key))?;
        self.take(key, share, 0);
        Some(SharePlace {
            gpu: Some(NodeGpus {
                node: key.0,
                mask: 1 << key.1,
            }),
            mig_start: 0,
            share,
        })
    }

    fn take(&mut self, key: (NodeId, u8), share: GpuShare, start: u8) {
        let geometry = self.geometry[key.0 as usize];
        let g = self.gpus.get_mut(&key).expect("a shared GPU");
        g.tenants += 1;
        match share {
            GpuShare::Whole => unreachable!("whole GPUs are not shared"),
            GpuShare::Fraction { milli } => g.used_milli += u32::from(milli),
            GpuShare::Mig { profile } => {
                let p = geometry
                    .profile(mig::MIG_NAMES[profile as usize])
                    .expect("placed on a GPU with the profile");
                debug_assert_eq!(g.used_slices & p.mask_at(start), 0);
                g.used_slices |= p.mask_at(start);
            }
        }
    }

    /// A tenant leaves; its GPU goes back to the pool when it was the
    /// last. Returns whether it did.
    pub fn release(
        &mut self,
        pool: &mut GpuPool,
        gpu: NodeGpus,
        share: GpuShare,
        mig_start: u8,
    ) -> bool {
        let key = (gpu.node, gpu.mask.trailing_zeros() as u8);
        let geometry = self.geometry[gpu.node as usize];
        let g = self.gpus.get_mut(&key).expect("a tenant's GPU is shared");
        g.tenants -= 1;
        match share {
            GpuShare::Whole => unreachable!("whole GPUs are not shared"),
            GpuShare::Fraction { milli } => g.used_milli -= u32::from(milli),
            GpuShare::Mig { profile } => {
                let p = geometry
                    .profile(mig::MIG_NAMES[profile as usize])
                    .expect("placed on a GPU with the profile");
                g.used_slices &= !p.mask_at(mig_start);
            }
        }
        if g.tenants == 0 {
            debug_assert!(g.used_milli == 0 && g.used_slices == 0);
            self.gpus.remove(&key);
            pool.release(&[gpu]);
            true
        } else {
            false
        }
    }

    /// Checks the invariants (tests).
    #[cfg(test)]
    pub fn check_invariants(&self) {
        for (&(node, _), g) in &self.gpus {
            assert!(g.tenants > 0);
            if g.mig {
                assert_eq!(g.used_milli, 0);
                assert!(self.geometry[node as usize] != MigGeometry::None);
            } else {
                assert!(g.used_milli <= 1000 || self.replicas > 0);
                assert!(self.replicas == 0 || g.tenants <= self.replicas);
                assert_eq!(g.used_slices, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Two DGX H100 nodes of 2 GPUs (MIG geometry of an H100 80GB).
    fn setup() -> (Sharing, GpuPool, NodeSet) {
        let cluster = super::super::tests::cluster(2, 2);
        let pool = GpuPool::new(&cluster);
        (Sharing::new(&cluster, 0), pool, NodeSet::all(2))
    }

    fn mig(name: &str) -> GpuShare {
        GpuShare::Mig {
            profile: mig::name_index(name).unwrap(),
        }
    }

    /// Hand case: two halves share one GPU; a third half takes a second
    /// GPU; the GPU goes back to the pool when its last tenant leaves.
    #[test]
    fn fractions_pack_best_fit_and_return_their_gpu() {
        let (mut sharing, mut pool, all) = setup();
        let half = GpuShare::Fraction { milli: 500 };
        let a = sharing.place(&mut pool, half, &all).unwrap();
        let b = sharing.place(&mut pool, half, &all).unwrap();
        assert_eq!(a.gpu, b.gpu, "the second half packs onto the first's GPU");
        assert_eq!(pool.free_gpus(), 3);
        let c = sharing
            .place(&mut pool, GpuShare::Fraction { milli: 300 }, &all)
            .unwrap();
        assert_ne!(c.gpu, a.gpu);
        // 0.7 left on c's GPU: a 0.6 goes there (best fit), not to a fresh one.
        let d = sharing
            .place(&mut pool, GpuShare::Fraction { milli: 600 }, &all)
            .unwrap();
        assert_eq!(d.gpu, c.gpu);
        assert_eq!(pool.free_gpus(), 2);
        assert_eq!(sharing.allocated_milli(), 1900);
        assert!(!sharing.release(&mut pool, a.gpu.unwrap(), half, 0));
        assert!(sharing.release(&mut pool, b.gpu.unwrap(), half, 0));
        assert_eq!(pool.free_gpus(), 3);
    }

    /// Hand case on an H100 (MIG User Guide geometry): a 4g.40gb at slice
    /// 0 and a 3g.40gb at slice 4 fill a GPU; a second 3g.40gb goes to
    /// another GPU; a 7g.80gb needs an empty one.
    #[test]
    fn mig_slices_follow_the_geometry() {
        let (mut sharing, mut pool, all) = setup();
        let four = sharing.place(&mut pool, mig("4g.40gb"), &all).unwrap();
        let three = sharing.place(&mut pool, mig("3g.40gb"), &all).unwrap();
        assert_eq!((four.gpu, four.mig_start), (three.gpu, 0));
        assert_eq!(three.mig_start, 4);
        let again = sharing.place(&mut pool, mig("3g.40gb"), &all).unwrap();
        assert_ne!(again.gpu, four.gpu);
        let seven = sharing.place(&mut pool, mig("7g.80gb"), &all).unwrap();
        assert_ne!(seven.gpu, again.gpu);
        assert_eq!(pool.free_gpus(), 1);
        // A fraction never lands on a MIG GPU.
        let f = sharing
            .place(&mut pool, GpuShare::Fraction { milli: 100 }, &all)
            .unwrap();
        assert_eq!(pool.free_gpus(), 0);
        assert!(![four.gpu, again.gpu, seven.gpu].contains(&f.gpu));
        assert!(
            sharing.place(&mut pool, mig("1g.10gb"), &all).is_some(),
            "room left at slice 4..8 of `again`'s GPU"
        );
    }

    #[derive(Clone, Debug)]
    enum Op {
        Place(GpuShare),
        Release(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let names = [
            "1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb",
        ];
        prop_oneof![
            (0..names.len()).prop_map(move |i| Op::Place(mig(names[i]))),
            (1u16..1000).prop_map(|milli| Op::Place(GpuShare::Fraction { milli })),
            any::<usize>().prop_map(Op::Release),
        ]
    }

    proptest! {
        /// Whatever is placed and released, every GPU's MIG slices sit at
        /// allowed placements of their profiles and never overlap, its
        /// fractions sum to at most 1000, a GPU never holds both, and the
        /// pool's free GPUs are exactly those without tenants. Checked
        /// against a model of the live tenants, not the layer's own counts.
        #[test]
        fn shared_gpus_never_exceed_their_geometry(ops in prop::collection::vec(op(), 1..80)) {
            let (mut sharing, mut pool, all) = setup();
            let geometry = MigGeometry::Gb80;
            let mut live: Vec<(GpuShare, SharePlace)> = Vec::new();
            for op in ops {
                match op {
                    Op::Place(share) => {
                        if let Some(place) = sharing.place(&mut pool, share, &all) {
                            live.push((share, place));
                        }
                    }
                    Op::Release(i) if !live.is_empty() => {
                        let (share, place) = live.swap_remove(i % live.len());
                        sharing.release(&mut pool, place.gpu.unwrap(), share, place.mig_start);
                    }
                    Op::Release(_) => {}
                }
                sharing.check_invariants();
                let mut gpus: Vec<NodeGpus> = live.iter().map(|(_, p)| p.gpu.unwrap()).collect();
                gpus.sort_by_key(|g| (g.node, g.mask));
                gpus.dedup();
                prop_assert_eq!(pool.free_gpus(), 4 - gpus.len() as u64);
                for gpu in gpus {
                    let tenants = live.iter().filter(|(_, p)| p.gpu == Some(gpu));
                    let (mut milli, mut slices, mut kinds) = (0u32, 0u8, [false; 2]);
                    for (share, place) in tenants {
                        match *share {
                            GpuShare::Fraction { milli: m } => {
                                milli += u32::from(m);
                                kinds[0] = true;
                            }
                            GpuShare::Mig { profile } => {
                                let p = geometry.profile(mig::MIG_NAMES[profile as usize]).unwrap();
                                prop_assert!(p.starts.contains(&place.mig_start));
                                let mask = p.mask_at(place.mig_start);
                                prop_assert_eq!(slices & mask, 0, "overlapping MIG slices");
                                slices |= mask;
                                kinds[1] = true;
                            }
                            GpuShare::Whole => unreachable!(),
                        }
                    }
                    prop_assert!(milli <= 1000);
                    prop_assert!(!(kinds[0] && kinds[1]));
                }
            }
        }
    }
}
