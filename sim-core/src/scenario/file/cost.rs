//! The schema of power and money: the `power` and `cost` sections, and a
//! node group's `billing`.
//!
//! As everywhere in `file/`, these mirror what users write; the checks
//! and the model types (`power::PowerSpec`, `cost::CostSpec`) are built in
//! `validate/cost.rs`.

use serde::Deserialize;

use super::Written;
use crate::engine::SimDuration;
use crate::units::{Power as Watts, Usd};

/// `power: (...)`: the facility around the IT equipment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// Power usage effectiveness, >= 1. Default 1.56 (Uptime Institute's
    /// 2024 survey average).
    #[serde(default)]
    pub pue: Option<f64>,
    /// Facility power cap (IT power × PUE), e.g. `"1MW"`: a job does not
    /// start if its budget would exceed it. None if omitted.
    #[serde(default)]
    pub cap: Option<Written<Watts>>,
    /// GPU activity of plain (non-training) jobs, 0 to 1. Default 0.8.
    #[serde(default)]
    pub job_activity: Option<f64>,
    /// The switches' power, when the fabric does not give it (or to
    /// override it). From the fabric's ports if omitted.
    #[serde(default)]
    pub switches: Option<Written<Watts>>,
}

/// `cost: (...)`: what owning the on-premise part costs to run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Electricity per kWh. Default $0.0815 (EIA, US industrial average).
    #[serde(default)]
    pub electricity_per_kwh: Option<Written<Usd>>,
    /// Straight-line write-off of capital. Default "5y".
    #[serde(default)]
    pub depreciation: Option<Written<SimDuration>>,
    /// Maintenance and support per year as a share of capital. Default 0.08.
    #[serde(default)]
    pub maintenance_per_year: Option<f64>,
    /// Space (colocation) per rack per month. Default "$0".
    #[serde(default)]
    pub space_per_rack_month: Option<Written<Usd>>,
    /// Nodes per rack. Default 4 (a DGX H100 rack at about 41 kW).
    #[serde(default)]
    pub nodes_per_rack: Option<u32>,
    /// Fully loaded cost of a staff member per year. Default "$0".
    #[serde(default)]
    pub staff_per_year: Option<Written<Usd>>,
    /// Nodes one staff member looks after. Default 100.
    #[serde(default)]
    pub nodes_per_staff: Option<u32>,
    /// Capital of switches, optics and cables. Default: from the fabric's
    /// ports and optics (`cost::network_capital`), "$0" without a fabric.
    #[serde(default)]
    pub network_capital: Option<Written<Usd>>,
    /// Capital of the shared storage. Default "$0".
    #[serde(default)]
    pub storage_capital: Option<Written<Usd>>,
}

/// A node group's `billing`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Billing {
    /// Bought: the node model's `purchase_price`, written off over
    /// `cost.depreciation`.
    OnPremise,
    /// Rented per GPU-hour while held; the GPU model's price if omitted.
    OnDemand {
        #[serde(default)]
        price_per_gpu_hour: Option<Written<Usd>>,
    },
    /// Committed for `term` at `discount` off the on-demand price, paid
    /// whether used or not.
    Reserved {
        term: Written<SimDuration>,
        discount: f64,
        #[serde(default)]
        price_per_gpu_hour: Option<Written<Usd>>,
    },
    /// Spare capacity at `discount` off on demand, interrupted at
    /// `interruptions` (an AWS Spot Advisor bucket such as `"5-10%"`, a
    /// share of instances interrupted per month, or a rate per node such as
    /// `"2/30d"`), each with `notice` beforehand (default "2m"); a lost
    /// node is replaced after `replaced_after` (default "10m").
    Spot {
        discount: f64,
        #[serde(default)]
        interruptions: Option<String>,
        #[serde(default)]
        notice: Option<Written<SimDuration>>,
        #[serde(default)]
        replaced_after: Option<Written<SimDuration>>,
        #[serde(default)]
        price_per_gpu_hour: Option<Written<Usd>>,
    },
}

/// A cloud group's `autoscale`: the group's `count` nodes are its
/// capacity; `min` are held from the start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Autoscale {
    /// Nodes always held. Default 0.
    #[serde(default)]
    pub min: Option<u32>,
    /// Nodes held at most. Default: the group's count.
    #[serde(default)]
    pub max: Option<u32>,
    /// From the request to the node in service (billed from the request).
    /// Default "5m".
    #[serde(default)]
    pub provision: Option<Written<SimDuration>>,
    /// An idle node is released after this. Default "10m" (the Kubernetes
    /// cluster autoscaler's `--scale-down-unneeded-time`).
    #[serde(default)]
    pub release_after: Option<Written<SimDuration>>,
    /// Jobs waiting this long make the group grow. Default "0s".
    #[serde(default)]
    pub wait: Option<Written<SimDuration>>,
}
