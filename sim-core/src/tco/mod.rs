//! Total cost of ownership: options (scenarios) run once each and their
//! cost projected over N years, as cash and as book cost, side by side.
//!
//! A run's cost block ([`CostSummary`]) covers only the simulated span.
//! This module turns it into two views of N years:
//!
//! - **cash**: the on-premise capital (the nodes' purchase price and the
//!   network's and storage's) paid at month 0, then the running cost
//!   (energy, maintenance, space, staff, cloud bills: the run's cost
//!   without depreciation) spread evenly, so cumulative cash at month `m`
//!   is `capital + running_per_year × m / 12`;
//! - **book cost**: the running cost plus straight-line depreciation of
//!   the capital over the scenario's `cost.depreciation`, which stops once
//!   the capital is written off; what is not yet written off after N years
//!   is the remaining book value. Within the depreciation period the book
//!   cost is the run's `total_usd` scaled to N years.
//!
//! The assumption (said in the CLI's output too): every year repeats the
//! simulated span, scaled to a year: its workload, utilization, prices and
//! energy. Nothing here extrapolates growth, price changes or hardware
//! ageing.
//!
//! Invariants:
//! - every option is checked before any runs: a scenario without a cost
//!   model (no `cost` section and no group's `billing`) is refused, naming
//!   the option, with the fix;
//! - `cumulative_cash_usd[0]` is the capital, `cumulative_cash_usd[12 N]`
//!   the N-year cash, the series rises linearly month by month;
//! - cash = book cost + remaining book value (what was paid and not yet
//!   written off is still on the books), to rounding;
//! - a projection is a function of the scenarios and N (each run is
//!   deterministic; runs take no trace sink and read no clock).

mod output;

use std::fmt;

use crate::cost::{CostSpec, NS_PER_YEAR};
use crate::metrics::{CostSummary, Summary};
use crate::scenario::Scenario;
use crate::simulation::{self, RunProgress};

pub use output::{FILES, csv_table, svg, write_files};

/// The longest projection, in years.
pub const MAX_YEARS: u32 = 100;

/// One option projected over N years.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// The option's name (its scenario's, unless the caller says).
    pub name: String,
    /// Capital paid at month 0: the on-premise nodes' purchase price plus
    /// the network's and storage's.
    pub capital_usd: f64,
    /// Everything but depreciation, per year: energy, maintenance, space,
    /// staff and cloud bills.
    pub running_per_year_usd: f64,
    /// Straight-line depreciation per year while the capital is written
    /// off.
    pub depreciation_per_year_usd: f64,
    /// The depreciation period (`cost.depreciation`), in years.
    pub depreciation_years: f64,
    /// Cash paid over N years: capital + running × N.
    pub cash_usd: f64,
    /// Book cost of N years: running × N + depreciation × min(N, period).
    pub book_cost_usd: f64,
    /// The capital not yet written off after N years.
    pub book_value_left_usd: f64,
    /// GPU-hours jobs used, per year.
    pub delivered_gpu_hours_per_year: f64,
    /// N-year cash over the GPU-hours delivered in N years; `None` when
    /// no GPU-hour was delivered.
    pub cash_per_delivered_gpu_hour_usd: Option<f64>,
    pub jobs_completed: u64,
    pub gpu_utilization: f64,
    /// The simulated span the projection scales, in years of 365 days.
    pub simulated_years: f64,
    /// Cumulative cash at months 0 to 12 N.
    pub cumulative_cash_usd: Vec<f64>,
}

/// Every option over the same N years.
#[derive(Clone, Debug, PartialEq)]
pub struct Tco {
    pub years: u32,
    pub options: Vec<Projection>,
}

/// Why there is no projection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcoError {
    /// Option `option` (its index) has no cost model.
    NoCost { option: usize, name: String },
    /// Option `option`'s run simulated no time, so there is no rate to
    /// scale to a year.
    NoTime { option: usize, name: String },
    /// N outside 1..=[`MAX_YEARS`].
    Years(u32),
}

impl TcoError {
    /// The option the error is about, if any.
    pub fn option(&self) -> Option<usize> {
        match self {
            TcoError::NoCost { option, .. } | TcoError::NoTime { option, .. } => Some(*option),
            TcoError::Years(_) => None,
        }
    }
}

impl fmt::Display for TcoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcoError::NoCost { name, .. } => write!(
                f,
                "scenario \"{name}\" has no cost model, so there is no cost of ownership to \
                 project; add a `cost:` section, e.g. `cost: Some((electricity_per_kwh: \
                 \"$0.10\", depreciation: \"5y\"))` with the node models' `purchase_price`, \
                 or give a node group a cloud `billing`"
            ),
            TcoError::NoTime { name, .. } => write!(
                f,
                "scenario \"{name}\" simulated no time, so its cost has no yearly rate; give \
                 it work or a horizon, e.g. `stop: (horizon: \"365d\")`"
            ),
            TcoError::Years(n) => write!(
                f,
                "a projection of {n} years: give between 1 and {MAX_YEARS} years"
            ),
        }
    }
}

impl std::error::Error for TcoError {}

/// Refuses, before anything runs, options that cannot be projected
/// (no cost model) and an N out of range.
pub fn check(options: &[(String, Scenario)], years: u32) -> Result<(), TcoError> {
    if !(1..=MAX_YEARS).contains(&years) {
        return Err(TcoError::Years(years));
    }
    match options.iter().position(|(_, s)| s.cost.is_none()) {
        Some(option) => Err(TcoError::NoCost {
            option,
            name: options[option].0.clone(),
        }),
        None => Ok(()),
    }
}

/// Runs every option (after [`check`], in order, without a trace) and
/// projects each over `years`. `on_progress` hears each run's progress
/// with the option's index.
pub fn run(
    options: &[(String, Scenario)],
    years: u32,
    on_progress: &mut dyn FnMut(usize, &RunProgress),
) -> Result<Tco, TcoError> {
    check(options, years)?;
    let mut projected = Vec::with_capacity(options.len());
    for (i, (name, scenario)) in options.iter().enumerate() {
        let result = simulation::run(scenario, &mut (), &mut |p| on_progress(i, p));
        let spec = scenario.cost.as_ref().expect("checked above");
        let projection =
            project(name, &result.summary, spec, years).ok_or_else(|| TcoError::NoTime {
                option: i,
                name: name.clone(),
            })?;
        projected.push(projection);
    }
    Ok(Tco {
        years,
        options: projected,
    })
}

/// One option's projection from its run's summary and its cost model;
/// `None` when the summary has no cost block or the run simulated no
/// time.
pub fn project(name: &str, summary: &Summary, spec: &CostSpec, years: u32) -> Option<Projection> {
    let cost: &CostSummary = summary.cost.as_ref()?;
    let sim_years = cost.simulated_years;
    // Also refuses NaN.
    if sim_years.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let n = f64::from(years);
    let capital = cost.groups.iter().map(|g| g.capital_usd).sum::<f64>() + cost.shared_capital_usd;
    let depreciation_in_run =
        cost.groups.iter().map(|g| g.depreciation_usd).sum::<f64>() + cost.shared_depreciation_usd;
    let running_per_year = (cost.total_usd - depreciation_in_run) / sim_years;
    let depreciation_years = spec.depreciation.as_ns() as f64 / NS_PER_YEAR;
    let depreciation_per_year = capital / depreciation_years;
    let written_off = (n / depreciation_years).min(1.0);
    let cash = capital + running_per_year * n;
    let delivered_per_year = cost.groups.iter().map(|g| g.busy_gpu_hours).sum::<f64>() / sim_years;
    let cumulative = (0..=12 * years)
        .map(|m| capital + running_per_year * f64::from(m) / 12.0)
        .collect();
    Some(Projection {
        name: name.to_string(),
        capital_usd: capital,
        running_per_year_usd: running_per_year,
        depreciation_per_year_usd: depreciation_per_year,
        depreciation_years,
        cash_usd: cash,
        book_cost_usd: running_per_year * n + capital * written_off,
        book_value_left_usd: capital * (1.0 - written_off),
        delivered_gpu_hours_per_year: delivered_per_year,
        cash_per_delivered_gpu_hour_usd: (delivered_per_year > 0.0)
            .then(|| cash / (delivered_per_year * n)),
        jobs_completed: summary.jobs.completed,
        gpu_utilization: summary.gpu_utilization,
        simulated_years: sim_years,
        cumulative_cash_usd: cumulative,
    })
}
