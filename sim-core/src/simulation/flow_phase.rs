//! A flow-fidelity job's phase of transfers, split into what only the job
//! can touch, solved once when the job starts, and what it shares with
//! other jobs, put on the fabric's flow model every step.
//!
//! A link *belongs* to a node when one of its ends is a GPU or a NIC of
//! that node (NVLink and PCIe inside it, the GPU-NIC links, the NIC's cable
//! to its leaf and back); switch-to-switch links belong to no node. A job
//! holding every GPU of a node is the only one whose flows can cross that
//! node's links: flows join GPUs of one job, and PXN's peer GPU is on the
//! sender's node. The legs of a phase (a transfer, or each leg of a PXN
//! transfer) are grouped by the links they share; a group whose links all
//! belong to such nodes of the job's is *local*. Nothing outside the group
//! ever changes its max-min rates, and a path without a switch-to-switch
//! hop has no ECMP choice, so the group runs the same way every step: its
//! end is solved once, on a model of its own, as the time from the phase's
//! start to its last completion ([`FlowPhase::local_ns`]). The other legs
//! go on the shared model at every step with the salts they always had.
//!
//! On a fabric whose cables or switches may fail nothing is local (a
//! failure can move any flow), and neither is anything on a node the job
//! shares.
//!
//! Invariants:
//! - splitting changes no rate and no finish time: every local group's
//!   flows would have had exactly the rates they get here (the shared
//!   model's components are solved independently of each other);
//! - `shared` keeps the phase's transfer order, and each leg its transfer's
//!   index (its ECMP salt follows from it);
//! - the scratch model is empty after every split.

use crate::collective::flows::Transfer;
use crate::engine::SimTime;
use crate::fabric::{Fabric, FlowModel, LinkId, Vertex, VertexId};
use crate::scheduler::NodeGpus;

/// One leg on the shared model: the index of its transfer in the phase
/// (its salt follows from it), its ends and bytes.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(super) struct Leg {
    pub transfer: u32,
    pub src: VertexId,
    pub dst: VertexId,
    pub bytes: f64,
}

/// A phase of transfers, split.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct FlowPhase {
    /// Legs that may share links with other jobs' flows, in phase order.
    pub shared: Vec<Leg>,
    /// When the local groups are done, from the phase's start; `None` when
    /// one of their flows stalls on a dead link and never finishes.
    pub local_ns: Option<u64>,
}

impl FlowPhase {
    /// The phase unsplit: every leg shared.
    pub(super) fn unsplit(transfers: &[Transfer]) -> FlowPhase {
        FlowPhase {
            shared: legs_of(transfers),
            local_ns: Some(0),
        }
    }
}

/// A phase's legs in order: a transfer, or a PXN transfer's two legs (the
/// NVLink one to the peer GPU, then the network one), which run at once.
fn legs_of(transfers: &[Transfer]) -> Vec<Leg> {
    let mut legs = Vec::new();
    for (i, t) in transfers.iter().enumerate() {
        let ends = match t.via {
            None => [Some((t.src, t.dst)), None],
            Some(via) => [Some((t.src, via)), Some((via, t.dst))],
        };
        for (src, dst) in ends.into_iter().flatten() {
            legs.push(Leg {
                transfer: i as u32,
                src,
                dst,
                bytes: t.bytes,
            });
        }
    }
    legs
}

/// Owner of no link.
const NO_NODE: u32 = u32::MAX;
/// No leg yet on a link.
const NO_LEG: u32 = u32::MAX;

/// What splitting needs of the fabric, and its scratch space.
pub(super) struct Splitter {
    /// Per link: the node it belongs to, or [`NO_NODE`].
    link_node: Vec<u32>,
    /// Per node: whether the job being split holds all its GPUs.
    whole: Vec<bool>,
    /// Per link: the first leg seen on it (reset after each phase).
    first_leg: Vec<u32>,
    touched: Vec<LinkId>,
    /// Union-find over the phase's legs.
    parent: Vec<u32>,
    shared_group: Vec<bool>,
    paths: Vec<Vec<LinkId>>,
    solo: FlowModel,
}

impl Splitter {
    /// A splitter for a fabric that nothing takes down (`None` otherwise:
    /// every leg then stays shared).
    pub(super) fn new(fabric: &Fabric) -> Splitter {
        let owner = |v: VertexId| match *fabric.vertex(v) {
            Vertex::Gpu { node, .. } | Vertex::Nic { node, .. } => node,
            _ => NO_NODE,
        };
        let link_node = (fabric.links().iter())
            .map(|l| match owner(l.src) {
                NO_NODE => owner(l.dst),
                node => node,
            })
            .collect();
        Splitter {
            link_node,
            whole: vec![false; fabric.node_count()],
            first_leg: vec![NO_LEG; fabric.link_count()],
            touched: Vec::new(),
            parent: Vec::new(),
            shared_group: Vec::new(),
            paths: Vec::new(),
            solo: FlowModel::new(fabric),
        }
    }

    /// Splits every phase of a job holding `allocation`.
    pub(super) fn split_all(
        &mut self,
        fabric: &Fabric,
        allocation: &[NodeGpus],
        phases: Vec<Vec<Transfer>>,
    ) -> Vec<FlowPhase> {
        for a in allocation {
            let all = fabric.gpus_of(a.node);
            self.whole[a.node as usize] =
                all > 0 && u64::from(a.mask.count_ones()) == u64::from(all);
        }
        let split = phases.iter().map(|p| self.split(fabric, p)).collect();
        for a in allocation {
            self.whole[a.node as usize] = false;
        }
        split
    }

    fn exclusive(&self, l: LinkId) -> bool {
        let node = self.link_node[l.index()];
        node != NO_NODE && self.whole[node as usize]
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let up = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = up;
            x = up;
        }
        x
    }

    fn split(&mut self, fabric: &Fabric, transfers: &[Transfer]) -> FlowPhase {
        // The legs, routed (a local leg's route takes no ECMP choice; a
        // shared one's is only used to group it here).
        let legs = legs_of(transfers);
        let n = legs.len();
        self.paths.resize_with(n.max(self.paths.len()), Vec::new);
        self.parent.clear();
        self.parent.extend(0..n as u32);
        self.shared_group.clear();
        self.shared_group.resize(n, false);
        let mut routed = vec![true; n];
        for (k, leg) in legs.iter().enumerate() {
            let mut path = std::mem::take(&mut self.paths[k]);
            routed[k] = fabric.route(leg.src, leg.dst, 0, &mut path);
            for &l in &path {
                if !self.exclusive(l) {
                    self.shared_group[k] = true;
                    continue;
                }
                match self.first_leg[l.index()] {
                    NO_LEG => {
                        self.first_leg[l.index()] = k as u32;
                        self.touched.push(l);
                    }
                    other => {
                        let (a, b) = (self.find(k as u32), self.find(other));
                        self.parent[a.max(b) as usize] = a.min(b);
                    }
                }
            }
            self.paths[k] = path;
        }
        for l in self.touched.drain(..) {
            self.first_leg[l.index()] = NO_LEG;
        }
        // A group is shared when any of its legs is.
        for k in 0..n {
            if self.shared_group[k] {
                let root = self.find(k as u32) as usize;
                self.shared_group[root] = true;
            }
        }
        let mut shared = Vec::new();
        let now = SimTime::ZERO;
        for (k, leg) in legs.iter().enumerate() {
            let root = self.find(k as u32) as usize;
            if self.shared_group[root] {
                shared.push(*leg);
            } else if routed[k] {
                self.solo.add_flow(now, &self.paths[k], leg.bytes, 0);
            }
        }
        FlowPhase {
            shared,
            local_ns: self.run_solo(),
        }
    }

    /// Runs the scratch model's flows to their end; empties it.
    fn run_solo(&mut self) -> Option<u64> {
        let model = &mut self.solo;
        let end = model.run_to_end(SimTime::ZERO);
        if model.active_flows() == 0 {
            return Some(end.as_ns());
        }
        // Stalled on a dead link: these would never have finished.
        model.clear();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric::builders::rail_optimized;
    use crate::fabric::test_support::cluster;
    use crate::fabric::{FlowModel, RailOptimizedConfig};

    /// 4 DGX H100 in scalable units of 2 nodes: rail k of nodes 0 and 1
    /// meet at one leaf, node 2 is behind the spines.
    fn fabric() -> Fabric {
        let config = RailOptimizedConfig {
            nodes_per_unit: 2,
            ..RailOptimizedConfig::default()
        };
        rail_optimized(&cluster("DGX-H100", 4), &config).expect("builds")
    }

    fn whole(nodes: &[u32]) -> Vec<NodeGpus> {
        (nodes.iter())
            .map(|&node| NodeGpus { node, mask: 0xff })
            .collect()
    }

    fn transfer(f: &Fabric, from: (u32, u32), to: (u32, u32), bytes: f64) -> Transfer {
        Transfer {
            src: f.gpu(from.0, from.1),
            dst: f.gpu(to.0, to.1),
            bytes,
            via: None,
        }
    }

    /// Every leg's finish on one model, all started at 0.
    fn together_ns(f: &Fabric, transfers: &[Transfer]) -> u64 {
        let mut model = FlowModel::new(f);
        let mut path = Vec::new();
        for leg in legs_of(transfers) {
            assert!(f.route(leg.src, leg.dst, 0, &mut path));
            model.add_flow(SimTime::ZERO, &path, leg.bytes, 0);
        }
        model.run_to_end(SimTime::ZERO).as_ns()
    }

    #[test]
    fn a_phase_inside_whole_nodes_of_one_unit_is_local_and_timed_as_together() {
        let f = fabric();
        // NVLink ring pieces on node 0 (three flows out of GPU 0 share its
        // NVLink port), and rail 0 and rail 1 between nodes 0 and 1.
        let phase = vec![
            transfer(&f, (0, 0), (0, 1), 4e9),
            transfer(&f, (0, 0), (0, 2), 2e9),
            transfer(&f, (0, 0), (0, 3), 1e9),
            transfer(&f, (0, 4), (1, 4), 3e9),
            transfer(&f, (1, 5), (0, 5), 5e9),
        ];
        let mut splitter = Splitter::new(&f);
        let split = splitter.split_all(&f, &whole(&[0, 1]), vec![phase.clone()]);
        assert_eq!(split[0].shared, []);
        assert_eq!(split[0].local_ns, Some(together_ns(&f, &phase)));
        assert!(split[0].local_ns > Some(0));
        // The scratch model is left empty for the next job.
        assert_eq!(splitter.solo.active_flows(), 0);
    }

    #[test]
    fn what_crosses_a_spine_is_shared_with_every_leg_on_its_links() {
        let f = fabric();
        let phase = vec![
            // Through the spines: shared.
            transfer(&f, (0, 0), (2, 0), 1e9),
            // Shares GPU 0's NIC link with the first (out of node 0 on
            // rail 0): shared too.
            transfer(&f, (0, 0), (1, 0), 1e9),
            // Alone on its own rail inside the unit: local.
            transfer(&f, (0, 3), (1, 3), 1e9),
        ];
        let mut splitter = Splitter::new(&f);
        let split = splitter.split_all(&f, &whole(&[0, 1, 2]), vec![phase.clone()]);
        let shared: Vec<u32> = split[0].shared.iter().map(|l| l.transfer).collect();
        assert_eq!(shared, [0, 1]);
        assert_eq!(split[0].local_ns, Some(together_ns(&f, &phase[2..])));
    }

    #[test]
    fn nothing_is_local_on_a_node_the_job_shares() {
        // Half of node 0 and all of node 1: another job on node 0 may send
        // PXN legs through GPU 0's links.
        let f = fabric();
        let phase = vec![
            transfer(&f, (0, 0), (0, 1), 1e9),
            transfer(&f, (1, 0), (1, 1), 1e9),
        ];
        let mut splitter = Splitter::new(&f);
        let held = [
            NodeGpus {
                node: 0,
                mask: 0x0f,
            },
            NodeGpus {
                node: 1,
                mask: 0xff,
            },
        ];
        let split = splitter.split_all(&f, &held, vec![phase]);
        let shared: Vec<u32> = split[0].shared.iter().map(|l| l.transfer).collect();
        assert_eq!(shared, [0], "node 1's is local");
        // The next job holding node 0 whole finds nothing left over.
        let again = splitter.split_all(
            &f,
            &whole(&[1]),
            vec![vec![transfer(&f, (0, 0), (0, 1), 1e9)]],
        );
        assert_eq!(again[0].shared.len(), 1, "node 0 is not the job's");
    }

    #[test]
    fn a_local_flow_on_a_dead_link_never_ends() {
        let f = fabric();
        let phase = vec![transfer(&f, (0, 0), (0, 1), 1e9)];
        let mut path = Vec::new();
        f.route(phase[0].src, phase[0].dst, 0, &mut path);
        let mut splitter = Splitter::new(&f);
        splitter.solo = FlowModel::with_capacities(
            (0..f.link_count()).map(|l| if l == path[0].index() { 0.0 } else { 1e9 }),
        );
        let split = splitter.split_all(&f, &whole(&[0]), vec![phase]);
        assert_eq!(split[0].local_ns, None);
        assert_eq!(splitter.solo.active_flows(), 0);
    }
}
