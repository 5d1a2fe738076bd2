//! Electrical power: what GPUs, nodes and switches draw, by what they are
//! doing, and the facility around them.
//!
//! The model, per node of a group (all figures from the catalog, overridable
//! per model in a scenario):
//!
//! ```text
//! node = idle_node + Σ busy GPUs × activity × (gpu_max − gpu_idle + rest_span / gpus)
//! rest_span = (node_max − gpus × gpu_max) − (node_idle − gpus × gpu_idle)
//! ```
//!
//! so a node draws its measured idle power with nothing running and its
//! datasheet maximum with every GPU busy at activity 1; in between, GPU
//! board power is linear in activity (idle plus activity times the span to
//! the board limit, the curve the power-capping literature fits, e.g.
//! Patel et al., "Characterizing Power Management Opportunities for LLMs
//! in the Cloud", ASPLOS 2024), and the rest of the box (CPUs, memory,
//! NICs, fans, NVSwitches) follows the GPUs' load. A job's *activity* is
//! [`PowerSpec::job_activity`] for a plain job, and for a training job the
//! compute share of its step (GPUs at their limit while computing, idle
//! while waiting on exposed communication and the pipeline bubble).
//! Switches draw a constant power by port speed and ports used
//! ([`switch_power`]). The facility draws IT power × PUE.
//!
//! Power is kept in integer milliwatts and energy in milliwatt-nanoseconds
//! (`u128`), so energy integrates the power series exactly.
//!
//! Invariants: a node's power is between its idle and its maximum; every
//! per-GPU figure is the node's own (no averaging across groups); a
//! [`PowerModel`] depends only on the cluster, the catalog and the spec.

use crate::fabric::{Fabric, LinkKind, Vertex};
use crate::hardware::{Cluster, NodeId};
use crate::units::Power;

/// A facility's power settings (the scenario's `power` section).
#[derive(Clone, Debug, PartialEq)]
pub struct PowerSpec {
    /// Power usage effectiveness: facility power over IT power, >= 1.
    pub pue: f64,
    /// The facility's power cap (IT power × PUE): a job does not start if
    /// its budget would take the facility above it.
    pub cap: Option<Power>,
    /// GPU activity of plain (non-training) jobs, in [0, 1].
    pub job_activity: f64,
    /// Switch power when the scenario gives it outright (no fabric, or an
    /// override); else it comes from the fabric ([`switch_power`]).
    pub switches: Option<Power>,
}

/// Uptime Institute Global Data Center Survey 2024: the average annual PUE
/// of the respondents' largest data centers, 1.56 (1.58 in 2023).
pub const DEFAULT_PUE: f64 = 1.56;

/// GPU activity of a plain job. Busy GPUs in public nvidia-smi snapshots
/// run at 0.8-0.9 of their cap (A100 334-358 W of 400 W); memory-bound
/// inference decode at 0.2-0.45 (H200 137-300 W of 700 W, Ma et al.,
/// arXiv 2605.11999). 0.8 is an assumption for batch jobs, not a
/// measurement: set `job_activity` for your mix.
pub const DEFAULT_JOB_ACTIVITY: f64 = 0.8;

impl Default for PowerSpec {
    fn default() -> Self {
        PowerSpec {
            pue: DEFAULT_PUE,
            cap: None,
            job_activity: DEFAULT_JOB_ACTIVITY,
            switches: None,
        }
    }
}

/// Power of a switch port, with its transceiver, by data rate; and of the
/// switch's own chassis (ASIC idle, CPU, fans) per port of its radix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PortPower {
    /// Port rate in Gbit/s this row applies up to.
    pub up_to_gbps: u64,
    /// The switch's power per port in use, without optics (its maximum
    /// power over its radix).
    pub switch_watts_per_port: f64,
    /// One transceiver (optic) at each end of a cable.
    pub optic_watts: f64,
}

/// Per-port switch and optic power by rate: a switch's typical power
/// with passive cables over its ports, and one transceiver. Sources
/// (NVIDIA hardware manuals and transceiver pages; details in
/// docs/cost.md):
/// - 200G: QM8700 (40 × HDR) power not found; an estimate of 250 W over 40
///   ports, and NVIDIA's "an HDR cable can require 6W per port" (DGX
///   SuperPOD cabling guide, Port Power);
/// - 400G: QM9700 (64 × NDR) "0.747 typical, passive", 1.72 kW with
///   active cables; an NDR port is half a twin-port OSFP, 17 W
///   ("Twin-port single mode OSFP transceivers remain at 17 Watts");
/// - 800G: SN5600 (64 × 800G) "0.94 typical, passive"; one 800G OSFP,
///   15-17 W;
/// - faster: twice the 800G figures, an estimate.
pub const PORT_POWER: [PortPower; 4] = [
    PortPower {
        up_to_gbps: 200,
        switch_watts_per_port: 6.25,
        optic_watts: 6.0,
    },
    PortPower {
        up_to_gbps: 400,
        switch_watts_per_port: 11.7,
        optic_watts: 8.5,
    },
    PortPower {
        up_to_gbps: 800,
        switch_watts_per_port: 14.7,
        optic_watts: 16.0,
    },
    PortPower {
        up_to_gbps: u64::MAX,
        switch_watts_per_port: 29.4,
        optic_watts: 32.0,
    },
];

/// The power row for a port of `gbps`.
pub fn port_power(gbps: u64) -> PortPower {
    *PORT_POWER
        .iter()
        .find(|p| gbps <= p.up_to_gbps)
        .unwrap_or(&PORT_POWER[PORT_POWER.len() - 1])
}

/// One end of a fabric cable that holds equipment: a switch port (with
/// its transceiver), or the transceiver at a NIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CableEnd {
    SwitchPort,
    NicOptic,
}

/// Every equipped cable end of `fabric` with its rate in Gbit/s: each
/// direction of a cable leaving a switch is one switch port (and its
/// optic), and a host cable's NIC end is one more optic. What the
/// network draws ([`switch_power`]) and costs (`cost::network_capital`)
/// both count these.
pub fn cable_ends(fabric: &Fabric) -> impl Iterator<Item = (u64, CableEnd)> + '_ {
    fabric.links().iter().filter_map(|link| {
        let gbps = (link.bandwidth_bytes_per_s * 8.0 / 1e9).round() as u64;
        match (link.kind, fabric.vertex(link.src)) {
            (LinkKind::Fabric | LinkKind::Host, Vertex::Switch { .. }) => {
                Some((gbps, CableEnd::SwitchPort))
            }
            (LinkKind::Host, Vertex::Nic { .. }) => Some((gbps, CableEnd::NicOptic)),
            _ => None,
        }
    })
}

/// What a fabric's switches draw: every switch port in use at its rate's
/// per-port power, plus a transceiver at the switch end of every cable and
/// at the NIC end of every host cable (NIC optics count with the
/// network, not the node, whose datasheet maximum leaves them out only
/// for some vendors: an approximation stated in the docs).
pub fn switch_power(fabric: &Fabric) -> Power {
    let milliwatts: f64 = cable_ends(fabric)
        .map(|(gbps, end)| {
            let row = port_power(gbps);
            match end {
                CableEnd::SwitchPort => (row.switch_watts_per_port + row.optic_watts) * 1e3,
                CableEnd::NicOptic => row.optic_watts * 1e3,
            }
        })
        .sum();
    Power::from_milliwatts(milliwatts.round() as u64)
}

/// Per node group, what its nodes draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupPower {
    /// A node with nothing running.
    pub idle_node_mw: u64,
    /// What one GPU busy at activity 1 adds over idle, its share of the
    /// rest of the box included.
    pub busy_gpu_span_mw: u64,
    pub gpus_per_node: u32,
}

impl GroupPower {
    /// What `gpus` GPUs of a node busy at `activity` add over idle.
    pub fn busy_mw(&self, gpus: u32, activity: f64) -> u64 {
        (self.busy_gpu_span_mw as f64 * f64::from(gpus) * activity.clamp(0.0, 1.0)).round() as u64
    }

    /// A node with every GPU busy at activity 1.
    pub fn max_node_mw(&self) -> u64 {
        self.idle_node_mw + self.busy_gpu_span_mw * u64::from(self.gpus_per_node)
    }
}

/// The cluster's power model: per group, and the constant parts.
#[derive(Clone, Debug, PartialEq)]
pub struct PowerModel {
    pub spec: PowerSpec,
    pub groups: Vec<GroupPower>,
    /// Each node's group (dense node ids).
    group_of: Vec<u32>,
    /// Every node idle.
    pub idle_nodes_mw: u64,
    /// The switches, constant.
    pub switches_mw: u64,
}

impl PowerModel {
    /// The model of `cluster`; `fabric` gives the switches unless the spec
    /// states their power.
    pub fn new(spec: PowerSpec, cluster: &Cluster, fabric: Option<&Fabric>) -> Self {
        let groups: Vec<GroupPower> = cluster
            .groups
            .iter()
            .map(|g| {
                let (gpu, node) = (&g.gpu_model, &g.node_model);
                group_power(
                    g.gpus_per_node,
                    node.max_power_watts,
                    node.idle_power_watts,
                    gpu.tdp_watts,
                    gpu.idle_watts,
                )
            })
            .collect();
        let group_of: Vec<u32> = cluster.nodes.iter().map(|n| n.group).collect();
        let idle_nodes_mw = group_of
            .iter()
            .map(|&g| groups[g as usize].idle_node_mw)
            .sum();
        let switches_mw = match (spec.switches, fabric) {
            (Some(p), _) => p.as_milliwatts(),
            (None, Some(f)) => switch_power(f).as_milliwatts(),
            (None, None) => 0,
        };
        PowerModel {
            spec,
            groups,
            group_of,
            idle_nodes_mw,
            switches_mw,
        }
    }

    pub fn group(&self, node: NodeId) -> &GroupPower {
        &self.groups[self.group_of(node) as usize]
    }

    /// The group index of `node`.
    pub fn group_of(&self, node: NodeId) -> u32 {
        self.group_of[node as usize]
    }

    /// IT power with nothing running.
    pub fn idle_it_mw(&self) -> u64 {
        self.idle_nodes_mw + self.switches_mw
    }

    /// Facility power for an IT power.
    pub fn facility_mw(&self, it_mw: u64) -> u64 {
        (it_mw as f64 * self.spec.pue).round() as u64
    }
}

/// A group's figures from its node's maximum and idle power and its GPU's
/// limit and idle power. A rest of the box that would be negative (a node
/// maximum below its GPUs') counts as zero.
pub fn group_power(
    gpus: u32,
    node_max_w: u32,
    node_idle_w: u32,
    gpu_max_w: u32,
    gpu_idle_w: u32,
) -> GroupPower {
    let gpus_f = f64::from(gpus.max(1));
    let rest_max = f64::from(node_max_w) - gpus_f * f64::from(gpu_max_w);
    let rest_idle = f64::from(node_idle_w) - gpus_f * f64::from(gpu_idle_w);
    let rest_span = (rest_max - rest_idle).max(0.0);
    let gpu_span = f64::from(gpu_max_w.saturating_sub(gpu_idle_w));
    GroupPower {
        idle_node_mw: u64::from(node_idle_w) * 1_000,
        busy_gpu_span_mw: ((gpu_span + rest_span / gpus_f) * 1e3).round() as u64,
        gpus_per_node: gpus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_spans_its_idle_to_its_maximum() {
        // DGX H100: 10.2 kW max, 8 × 700 W; idle figures for the example.
        let g = group_power(8, 10_200, 2_000, 700, 75);
        assert_eq!(g.idle_node_mw, 2_000_000);
        assert_eq!(g.max_node_mw(), 10_200_000);
        assert_eq!(g.busy_mw(8, 1.0), 8_200_000);
        assert_eq!(g.busy_mw(4, 0.5), 2_050_000);
        assert_eq!(g.busy_mw(8, 0.0), 0);
    }
}
