//! Money: what owning or renting the cluster costs, as rates a run
//! integrates over its GPU-time and energy.
//!
//! Each node group is billed one way ([`Billing`]):
//! - **on-premise**: its capital (the node model's purchase price) written
//!   off straight-line over the depreciation period, plus operating cost:
//!   maintenance as a yearly share of capital, space per rack, staff per so
//!   many nodes, and energy at the electricity price through the PUE. The
//!   cluster's network (switches, optics) and storage capital are spread
//!   over the on-premise GPUs;
//! - **on demand**: a price per GPU-hour while the node is held (the cloud
//!   price includes power, space and staff);
//! - **reserved**: a discounted price per GPU-hour for the whole term, paid
//!   whether the node is used or not;
//! - **spot**: a discounted price per GPU-hour while held, the node lost to
//!   interruptions.
//!
//! A run turns these into two rates per group: dollars per GPU-nanosecond
//! a GPU costs whatever it does (`fixed_per_gpu_ns`) and dollars per
//! milliwatt-nanosecond of IT energy (`energy_per_mw_ns`, zero in the
//! cloud). A job pays for its GPUs' time and their energy (an idle GPU's
//! share of its node's idle power and of the switches, plus what the job
//! adds); what no job pays for is idle. So the cluster's cost is exactly
//! the jobs' plus the idle cost (`tests/it/cost.rs` checks it to the
//! cent).
//!
//! Invariants: prices and rates are finite and non-negative; a discount is
//! in [0, 1); the cost of a run depends only on the scenario and its
//! simulated use; nothing here knows the scheduler or the event queue.

use crate::engine::SimDuration;
use crate::fabric::Fabric;
use crate::hardware::Cluster;
use crate::power::{CableEnd, cable_ends};
use crate::units::Usd;

/// Nanoseconds in a year of 365 days (the `y` of `units`).
pub const NS_PER_YEAR: f64 = 365.0 * 86_400.0 * 1e9;

/// Nanoseconds in an hour.
pub const NS_PER_HOUR: f64 = 3_600.0 * 1e9;

/// How a node group is paid for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Billing {
    /// Bought: capital written off over [`CostSpec::depreciation`], plus
    /// operating cost.
    OnPremise,
    /// Rented by the hour while held.
    OnDemand { price_per_gpu_hour: Usd },
    /// Committed for `term` at a discount: paid for every hour of the
    /// term, used or not.
    Reserved {
        price_per_gpu_hour: Usd,
        term: SimDuration,
    },
    /// Spare capacity at a discount, reclaimed by the provider at
    /// `interruptions_per_node_hour` with `notice` beforehand; not billed
    /// while lost.
    Spot {
        price_per_gpu_hour: Usd,
        interruptions_per_node_hour: f64,
        notice: SimDuration,
        /// How long a lost node takes to be replaced (a new spot
        /// instance provisioned).
        replaced_after: SimDuration,
    },
}

impl Billing {
    pub fn name(&self) -> &'static str {
        match self {
            Billing::OnPremise => "on_premise",
            Billing::OnDemand { .. } => "on_demand",
            Billing::Reserved { .. } => "reserved",
            Billing::Spot { .. } => "spot",
        }
    }

    /// The cloud's price per GPU-hour; `None` on premise.
    pub fn price_per_gpu_hour(&self) -> Option<Usd> {
        match *self {
            Billing::OnPremise => None,
            Billing::OnDemand { price_per_gpu_hour }
            | Billing::Reserved {
                price_per_gpu_hour, ..
            }
            | Billing::Spot {
                price_per_gpu_hour, ..
            } => Some(price_per_gpu_hour),
        }
    }

    /// Billed while the run lasts whether held or not (reserved capacity).
    pub fn paid_when_idle(&self) -> bool {
        matches!(self, Billing::OnPremise | Billing::Reserved { .. })
    }
}

/// A cloud group that grows with the queue and shrinks when idle
/// (`simulation/autoscale.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Autoscale {
    /// Nodes held from the start and never released.
    pub min: u32,
    /// Nodes held at most (at most the group's count).
    pub max: u32,
    /// From provisioning (billed) to in service.
    pub provision: SimDuration,
    /// A node idle this long is released.
    pub release_after: SimDuration,
    /// A job waiting this long makes the group grow.
    pub wait: SimDuration,
}

/// The operating and capital assumptions of a site (the scenario's `cost`
/// section), and each group's billing.
#[derive(Clone, Debug, PartialEq)]
pub struct CostSpec {
    /// Per node group, in group order.
    pub billing: Vec<Billing>,
    /// Per node group: its autoscaling, if any (cloud groups).
    pub autoscale: Vec<Option<Autoscale>>,
    /// Per node group: the capital of one node (the node model's
    /// purchase price unless the scenario says otherwise); `None` for
    /// groups in the cloud.
    pub node_capital: Vec<Option<Usd>>,
    /// Electricity, per kWh.
    pub electricity_per_kwh: Usd,
    /// Straight-line write-off period of capital.
    pub depreciation: SimDuration,
    /// Maintenance and support per year, as a share of capital.
    pub maintenance_per_year: f64,
    /// Data-center space per rack per month.
    pub space_per_rack_month: Usd,
    /// Nodes per rack (space is paid per started rack).
    pub nodes_per_rack: u32,
    /// A staff member's fully loaded cost per year, and how many nodes one
    /// looks after (`0`: no staff cost).
    pub staff_per_year: Usd,
    pub nodes_per_staff: u32,
    /// Capital of the network (switches, optics, cables) and of the
    /// storage, spread over the on-premise GPUs.
    pub network_capital: Usd,
    pub storage_capital: Usd,
}

/// Dollars per year of one on-premise node, by part.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct YearlyCost {
    pub depreciation: f64,
    pub maintenance: f64,
    pub space: f64,
    pub staff: f64,
}

impl YearlyCost {
    pub fn total(&self) -> f64 {
        self.depreciation + self.maintenance + self.space + self.staff
    }
}

/// A group's rates for a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupRates {
    /// Dollars a GPU of the group costs per nanosecond whatever it does
    /// (on premise: its node's yearly cost and its share of the network
    /// and storage; in the cloud: the price per GPU-hour).
    pub fixed_per_gpu_ns: f64,
    /// Dollars per milliwatt-nanosecond of IT energy (PUE included); zero
    /// in the cloud.
    pub energy_per_mw_ns: f64,
    /// The yearly cost of one node, by part (on premise).
    pub node_year: YearlyCost,
    /// Dollars per GPU-nanosecond of the network's and storage's
    /// depreciation (part of `fixed_per_gpu_ns`; on premise).
    pub shared_depreciation_per_gpu_ns: f64,
}

/// Dollars per milliwatt-nanosecond for `per_kwh` through `pue`.
pub fn energy_price_per_mw_ns(per_kwh: Usd, pue: f64) -> f64 {
    // 1 kWh = 1e6 mW × 3.6e12 ns.
    per_kwh.as_f64() * pue / (1e6 * 3.6e12)
}

impl CostSpec {
    /// Every group's rates on `cluster` with the facility's `pue`.
    pub fn rates(&self, cluster: &Cluster, pue: f64) -> Vec<GroupRates> {
        let on_prem_gpus: u64 = cluster
            .groups
            .iter()
            .zip(&self.billing)
            .filter(|(_, b)| matches!(b, Billing::OnPremise))
            .map(|(g, _)| u64::from(g.node_count) * u64::from(g.gpus_per_node))
            .sum();
        let years = self.depreciation.as_ns() as f64 / NS_PER_YEAR;
        let shared_capital = self.network_capital.as_f64() + self.storage_capital.as_f64();
        let per_on_prem_gpu = |yearly: f64| {
            if on_prem_gpus > 0 && years > 0.0 {
                yearly / on_prem_gpus as f64
            } else {
                0.0
            }
        };
        let shared_per_gpu_year =
            per_on_prem_gpu(shared_capital * (1.0 / years + self.maintenance_per_year));
        let shared_depreciation_per_gpu_year = per_on_prem_gpu(shared_capital / years);
        let energy = energy_price_per_mw_ns(self.electricity_per_kwh, pue);
        cluster
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| match self.billing[i] {
                Billing::OnPremise => {
                    let capital = self.node_capital[i].map_or(0.0, Usd::as_f64);
                    let node_year = YearlyCost {
                        depreciation: if years > 0.0 { capital / years } else { 0.0 },
                        maintenance: capital * self.maintenance_per_year,
                        space: self.space_per_rack_month.as_f64() * 12.0
                            / f64::from(self.nodes_per_rack.max(1)),
                        staff: if self.nodes_per_staff > 0 {
                            self.staff_per_year.as_f64() / f64::from(self.nodes_per_staff)
                        } else {
                            0.0
                        },
                    };
                    let per_gpu_year =
                        node_year.total() / f64::from(g.gpus_per_node.max(1)) + shared_per_gpu_year;
                    GroupRates {
                        fixed_per_gpu_ns: per_gpu_year / NS_PER_YEAR,
                        energy_per_mw_ns: energy,
                        node_year,
                        shared_depreciation_per_gpu_ns: shared_depreciation_per_gpu_year
                            / NS_PER_YEAR,
                    }
                }
                cloud => GroupRates {
                    fixed_per_gpu_ns: cloud.price_per_gpu_hour().map_or(0.0, Usd::as_f64)
                        / NS_PER_HOUR,
                    energy_per_mw_ns: 0.0,
                    node_year: YearlyCost::default(),
                    shared_depreciation_per_gpu_ns: 0.0,
                },
            })
            .collect()
    }
}

/// Capital of a switch port and of one transceiver, by port rate (USD).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PortPrice {
    pub up_to_gbps: u64,
    /// A switch's price over its ports.
    pub switch_per_port: f64,
    /// One transceiver (an optic at each end of a cable).
    pub optic: f64,
}

/// Port and optic prices by rate, all *secondary* (docs/cost.md):
/// - 400G: a 64-port NDR switch at $36,000 (FS.com's QM9700 variant, as a
///   community cost sheet of August 2024 quotes it; NVIDIA's own about
///   $50k), $562.50 a port; an NDR port is half a twin-port 800G OSFP at
///   $1,250 ($1,100-1,400 in volume, a vendor's cost analysis, 2025);
/// - 800G: twice the 400G figures, an estimate (64-port 800G switches are
///   quoted at $70k-250k);
/// - 200G and below: half the 400G figures, an estimate.
pub const PORT_PRICES: [PortPrice; 3] = [
    PortPrice {
        up_to_gbps: 200,
        switch_per_port: 281.25,
        optic: 312.5,
    },
    PortPrice {
        up_to_gbps: 400,
        switch_per_port: 562.5,
        optic: 625.0,
    },
    PortPrice {
        up_to_gbps: u64::MAX,
        switch_per_port: 1_125.0,
        optic: 1_250.0,
    },
];

/// The capital of a fabric's switches and optics: every switch port in
/// use at its rate's price, and a transceiver at each end of every cable
/// (host and switch-to-switch; passive copper inside a rack would cost
/// less: an upper figure).
pub fn network_capital(fabric: &Fabric) -> Usd {
    let usd: f64 = cable_ends(fabric)
        .map(|(gbps, end)| {
            let row = PORT_PRICES
                .iter()
                .find(|p| gbps <= p.up_to_gbps)
                .unwrap_or(&PORT_PRICES[PORT_PRICES.len() - 1]);
            match end {
                CableEnd::SwitchPort => row.switch_per_port + row.optic,
                CableEnd::NicOptic => row.optic,
            }
        })
        .sum();
    Usd::from_micros((usd * 1e6).round() as u64)
}
