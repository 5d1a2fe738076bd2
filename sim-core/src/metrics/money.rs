//! The summary's `power` and `cost` blocks: what a run drew and what it
//! cost, whole and by node group and account.
//!
//! Invariants: `jobs_energy_kwh + idle_energy_kwh == it_energy_kwh`;
//! `jobs_usd + idle_usd == total_usd` (to rounding); the groups' `usd` sum
//! to `total_usd`; the accounts' `usd` sum to `jobs_usd`.

use serde::Serialize;

/// Energy and power of a run (the scenario models power).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PowerSummary {
    pub pue: f64,
    /// IT energy: nodes and switches.
    pub it_energy_kwh: f64,
    /// IT energy × PUE.
    pub facility_energy_kwh: f64,
    /// Drawn by the GPUs of running jobs (their share of idle power
    /// included); the rest is idle.
    pub jobs_energy_kwh: f64,
    pub idle_energy_kwh: f64,
    pub mean_facility_kw: f64,
    pub peak_facility_kw: f64,
    /// With every node idle.
    pub idle_facility_kw: f64,
    /// The switches' IT power.
    pub switches_kw: f64,
    pub cap_kw: Option<f64>,
    /// GPU-hours that were free, with a job waiting that they could run,
    /// held idle by the power cap.
    pub cap_held_gpu_hours: f64,
    /// Starts the cap refused.
    pub cap_refusals: u64,
}

/// What a run cost (the scenario has `cost` or a group's `billing`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CostSummary {
    pub total_usd: f64,
    /// Charged to jobs: their GPUs' time and energy.
    pub jobs_usd: f64,
    /// Paid for GPUs no job used.
    pub idle_usd: f64,
    /// `total_usd` over the GPU-hours jobs used.
    pub per_delivered_gpu_hour_usd: f64,
    /// The simulated span the costs cover, in years of 365 days.
    pub simulated_years: f64,
    /// Capital of the network and the storage (cash at purchase).
    pub shared_capital_usd: f64,
    /// The part of the groups' `fixed_usd` that is the network's and
    /// storage's depreciation.
    pub shared_depreciation_usd: f64,
    pub groups: Vec<CostGroup>,
    pub accounts: Vec<AccountCost>,
}

/// One node group's bill.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CostGroup {
    /// Index of the group in the scenario.
    pub group: u32,
    /// `on_premise`, `on_demand`, `reserved` or `spot`.
    pub billing: &'static str,
    pub gpus: u64,
    pub billed_gpu_hours: f64,
    pub busy_gpu_hours: f64,
    /// Capital, operations or the cloud's price: what the GPUs cost
    /// whatever they do.
    pub fixed_usd: f64,
    /// Energy through the PUE (on premise).
    pub energy_usd: f64,
    pub usd: f64,
    /// On premise: one node's yearly cost (depreciation, maintenance,
    /// space, staff), energy aside.
    pub node_year_usd: f64,
    /// On premise: the purchase price of the group's nodes (cash at
    /// purchase, not a cost of the run).
    pub capital_usd: f64,
    /// On premise: the part of `fixed_usd` that is the nodes' depreciation
    /// (the rest is operations: maintenance, space, staff, and the
    /// network's and storage's share).
    pub depreciation_usd: f64,
}

/// One account's share of the jobs' cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AccountCost {
    pub account: String,
    pub gpu_hours: f64,
    pub usd: f64,
}
