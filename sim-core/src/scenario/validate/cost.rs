//! Validation of the `power` and `cost` sections and the node groups'
//! `billing`: builds `power::PowerSpec` and `cost::CostSpec`.
//!
//! Rules, each reported at its field with the fix:
//! - the PUE is finite, at least 1 (a facility cannot draw less than its
//!   IT load) and at most [`MAX_PUE`];
//! - a power cap covers at least the idle draw of the cluster through the
//!   PUE (below one node's idle draw nothing could ever be powered; below
//!   the cluster's no job could ever start);
//! - activities, discounts and maintenance shares are fractions (a
//!   discount is below 1: 100% off is not a price);
//! - an on-premise group has a capital price (the node model's
//!   `purchase_price`) when cost is reported;
//! - a reserved term and the depreciation period are longer than zero;
//! - spot interruptions are an AWS Spot Advisor bucket or a rate of at
//!   most [`MAX_SPOT_INTERRUPTIONS_PER_HOUR`] per node;
//! - only groups billed while held (on demand, spot) autoscale, with
//!   `min <= max <= count`.
//!
//! Each spot group's interruptions become a failure class of its nodes
//! ([`spot_classes`]).
//!
//! Prices cannot be negative: the unit parser refuses them.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::{Error, Issues};
use crate::cost::{Autoscale, Billing, CostSpec};
use crate::engine::SimDuration;
use crate::fabric::Fabric;
use crate::hardware::Cluster;
use crate::power::{DEFAULT_JOB_ACTIVITY, DEFAULT_PUE, PowerModel, PowerSpec};
use crate::reliability;
use crate::units::{Usd, parse_rate};

/// The largest PUE accepted: the worst facilities surveyed are near 2.5.
pub const MAX_PUE: f64 = 3.0;

/// Spot interruption buckets of the AWS Spot Advisor (the share of
/// instances of a type interrupted over the last month), each read as its
/// midpoint; the open-ended ">20%" as 25%.
pub const SPOT_BUCKETS: [(&str, f64); 5] = [
    ("<5%", 0.025),
    ("5-10%", 0.075),
    ("10-15%", 0.125),
    ("15-20%", 0.175),
    (">20%", 0.25),
];

/// The most spot interruptions per node-hour accepted: more is a typo, and
/// a run would do nothing but lose nodes.
pub const MAX_SPOT_INTERRUPTIONS_PER_HOUR: f64 = 60.0;

/// Hours in the month of the Spot Advisor's buckets (30 days).
const HOURS_PER_MONTH: f64 = 720.0;

/// The `power` section as a [`PowerSpec`], when power is modelled: the
/// section is there, or cost is reported (`costed`).
pub(super) fn build_power(
    section: Option<&file::Power>,
    costed: bool,
    cluster: Option<&Cluster>,
    fabric: Option<&Fabric>,
    issues: &mut Issues,
) -> Option<PowerSpec> {
    if section.is_none() && !costed {
        return None;
    }
    let p = section.cloned().unwrap_or_default();
    let mut spec = PowerSpec::default();
    if let Some(pue) = p.pue {
        if !pue.is_finite() || !(1.0..=MAX_PUE).contains(&pue) {
            issues.error(Error {
                path: "power.pue",
                message: "a PUE is facility power over IT power: at least 1",
                found: &pue.to_string(),
                expected: &format!("a number from 1 to {MAX_PUE}"),
                fix: &format!(
                    "give the facility's PUE, e.g. 1.1 for a hyperscale hall or \
                     {DEFAULT_PUE} (the 2024 survey average); 1 counts IT power alone"
                ),
            });
        } else {
            spec.pue = pue;
        }
    }
    if let Some(a) = p.job_activity {
        if fraction(issues, "power.job_activity", a, "a GPU activity") {
            spec.job_activity = a;
        }
    } else {
        spec.job_activity = DEFAULT_JOB_ACTIVITY;
    }
    spec.switches = p
        .switches
        .as_ref()
        .and_then(|w| issues.quantity("power.switches", w));
    spec.cap = p.cap.as_ref().and_then(|w| issues.quantity("power.cap", w));
    if let (Some(cap), Some(cluster)) = (spec.cap, cluster) {
        let model = PowerModel::new(spec.clone(), cluster, fabric);
        let one_node = model
            .groups
            .iter()
            .map(|g| model.facility_mw(g.idle_node_mw))
            .min()
            .unwrap_or(0);
        let idle = model.facility_mw(model.idle_it_mw());
        let kw = |mw: u64| format!("{:.1} kW", mw as f64 / 1e6);
        if cap.as_milliwatts() < idle {
            let (message, expected) = if cap.as_milliwatts() < one_node {
                (
                    "the power cap is below one node's idle draw",
                    format!("a cap of at least {} (one idle node × PUE)", kw(one_node)),
                )
            } else {
                (
                    "the power cap is below the idle cluster's draw: no job could ever start",
                    format!(
                        "a cap above {} (every node idle and the switches, × PUE)",
                        kw(idle)
                    ),
                )
            };
            issues.error(Error {
                path: "power.cap",
                message,
                found: &format!("\"{cap}\""),
                expected: &expected,
                fix: "raise the cap, or take nodes out of the cluster (a cap counts \
                      every node's idle power: nodes do not switch off)",
            });
        }
    }
    Some(spec)
}

/// A value in [0, 1], else an error at `path`.
fn fraction(issues: &mut Issues, path: &str, v: f64, what: &str) -> bool {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        return true;
    }
    issues.error(Error {
        path,
        message: &format!("{what} is a fraction from 0 to 1"),
        found: &v.to_string(),
        expected: "a number from 0 to 1",
        fix: "write a share as a fraction: 0.4 for 40%",
    });
    false
}

/// Whether the scenario reports cost: a `cost` section or a group's
/// `billing`.
fn costed(section: Option<&file::Cost>, groups: &file::Cluster) -> bool {
    section.is_some() || groups.node_groups.iter().any(|g| g.billing.is_some())
}

/// The `cost` section and each group's billing as a [`CostSpec`].
pub(super) fn build_cost(
    section: Option<&file::Cost>,
    groups: &file::Cluster,
    cluster: Option<&Cluster>,
    fabric: Option<&Fabric>,
    issues: &mut Issues,
) -> Option<CostSpec> {
    if !costed(section, groups) {
        return None;
    }
    let c = section.cloned().unwrap_or_default();
    let usd = |issues: &mut Issues, field: &str, w: &Option<file::Written<Usd>>, default: Usd| {
        w.as_ref()
            .and_then(|w| issues.quantity(&field_path("cost", field), w))
            .unwrap_or(default)
    };
    let electricity_per_kwh = usd(
        issues,
        "electricity_per_kwh",
        &c.electricity_per_kwh,
        DEFAULT_ELECTRICITY,
    );
    let space_per_rack_month = usd(
        issues,
        "space_per_rack_month",
        &c.space_per_rack_month,
        Usd::default(),
    );
    let staff_per_year = usd(issues, "staff_per_year", &c.staff_per_year, Usd::default());
    // From the fabric's ports and optics unless given (none without a
    // fabric, or with no on-premise group: the cloud's network is the
    // provider's).
    let on_premise = groups
        .node_groups
        .iter()
        .any(|g| matches!(g.billing, None | Some(file::Billing::OnPremise)));
    let from_fabric = match fabric {
        Some(f) if on_premise => crate::cost::network_capital(f),
        _ => Usd::default(),
    };
    let network_capital = usd(issues, "network_capital", &c.network_capital, from_fabric);
    let storage_capital = usd(
        issues,
        "storage_capital",
        &c.storage_capital,
        Usd::default(),
    );
    let depreciation = c
        .depreciation
        .as_ref()
        .and_then(|w| issues.quantity("cost.depreciation", w))
        .unwrap_or(DEFAULT_DEPRECIATION);
    issues.positive_duration(
        "cost.depreciation",
        depreciation,
        "a depreciation period",
        "give the years capital is written off over, e.g. \"5y\"",
    );
    let maintenance_per_year = c.maintenance_per_year.unwrap_or(DEFAULT_MAINTENANCE);
    fraction(
        issues,
        "cost.maintenance_per_year",
        maintenance_per_year,
        "a yearly maintenance share of capital",
    );
    let nodes_per_rack = c.nodes_per_rack.unwrap_or(DEFAULT_NODES_PER_RACK);
    issues.positive_u32(
        "cost.nodes_per_rack",
        nodes_per_rack,
        "nodes per rack",
        "give how many nodes share a rack (4 DGX H100 in a 41 kW rack)",
    );
    let nodes_per_staff = c.nodes_per_staff.unwrap_or(DEFAULT_NODES_PER_STAFF);
    let mut billing = Vec::new();
    let mut node_capital = Vec::new();
    let mut autoscales = Vec::new();
    for (i, g) in groups.node_groups.iter().enumerate() {
        let path = field_path(&index_path("cluster.node_groups", i), "billing");
        let group = cluster.and_then(|c| c.groups.get(i));
        // The instance's price over its GPUs for a cloud instance type,
        // else the GPU model's indicative price.
        let list = group.map_or(Usd::default(), |g| {
            match g.node_model.instance_price_per_hour {
                Some(p) => Usd::from_micros(p.as_micros() / u64::from(g.gpus_per_node.max(1))),
                None => g.gpu_model.price_per_gpu_hour,
            }
        });
        let b = match &g.billing {
            None | Some(file::Billing::OnPremise) => Billing::OnPremise,
            Some(file::Billing::OnDemand { price_per_gpu_hour }) => Billing::OnDemand {
                price_per_gpu_hour: price(issues, &path, price_per_gpu_hour, list, 0.0),
            },
            Some(file::Billing::Reserved {
                term,
                discount,
                price_per_gpu_hour,
            }) => {
                let term = issues
                    .quantity(&field_path(&path, "term"), term)
                    .unwrap_or(SimDuration::ZERO);
                issues.positive_duration(
                    &field_path(&path, "term"),
                    term,
                    "a reserved term",
                    "give the commitment, e.g. \"1y\" or \"3y\"",
                );
                let d = check_discount(issues, &path, *discount);
                Billing::Reserved {
                    price_per_gpu_hour: price(issues, &path, price_per_gpu_hour, list, d),
                    term,
                }
            }
            Some(file::Billing::Spot {
                discount,
                interruptions,
                notice,
                replaced_after,
                price_per_gpu_hour,
            }) => {
                let d = check_discount(issues, &path, *discount);
                let per_hour = interruptions.as_deref().map_or(0.0, |text| {
                    spot_rate(issues, &field_path(&path, "interruptions"), text)
                });
                let notice = notice
                    .as_ref()
                    .and_then(|w| issues.quantity(&field_path(&path, "notice"), w))
                    .unwrap_or(SPOT_NOTICE);
                let replaced_after = replaced_after
                    .as_ref()
                    .and_then(|w| issues.quantity(&field_path(&path, "replaced_after"), w))
                    .unwrap_or(SPOT_REPLACEMENT);
                Billing::Spot {
                    price_per_gpu_hour: price(issues, &path, price_per_gpu_hour, list, d),
                    interruptions_per_node_hour: per_hour,
                    notice,
                    replaced_after,
                }
            }
        };
        let capital = match (b, group) {
            (Billing::OnPremise, Some(group)) => {
                if group.node_model.purchase_price.is_none() {
                    issues.error(Error {
                        path: &field_path(&index_path("cluster.node_groups", i), "node_model"),
                        message: &format!(
                            "node model `{}` has no purchase price, so its group's capital is unknown",
                            group.node_model.name
                        ),
                        found: "purchase_price: None",
                        expected: "a purchase price for an on-premise group",
                        fix: &format!(
                            "add catalog: (nodes: [(name: \"{}\", purchase_price: \"$300000\")]) \
                             with your quote, or bill the group in the cloud",
                            group.node_model.name
                        ),
                    });
                }
                group.node_model.purchase_price
            }
            _ => None,
        };
        let scaled = g.autoscale.as_ref().and_then(|a| {
            autoscale(
                a,
                b,
                &field_path(&index_path("cluster.node_groups", i), "autoscale"),
                g.count,
                issues,
            )
        });
        autoscales.push(scaled);
        billing.push(b);
        node_capital.push(capital);
    }
    Some(CostSpec {
        billing,
        autoscale: autoscales,
        node_capital,
        electricity_per_kwh,
        depreciation,
        maintenance_per_year,
        space_per_rack_month,
        nodes_per_rack: nodes_per_rack.max(1),
        staff_per_year,
        nodes_per_staff,
        network_capital,
        storage_capital,
    })
}

/// US industrial electricity, 2024 average: 8.15 cents/kWh (EIA, Electric
/// Power Monthly, Table 5.3).
pub const DEFAULT_ELECTRICITY: Usd = Usd::from_micros(81_500);
/// Five years: the servers' useful life in the hyperscalers' 10-K filings
/// (Microsoft and Alphabet six, Meta five and a half, AWS five) rounded
/// down, and CoreWeave's six.
pub const DEFAULT_DEPRECIATION: SimDuration = SimDuration::from_secs(5 * 365 * 86_400);
/// Yearly support and maintenance as a share of capital.
pub const DEFAULT_MAINTENANCE: f64 = 0.08;
pub const DEFAULT_NODES_PER_RACK: u32 = 4;
pub const DEFAULT_NODES_PER_STAFF: u32 = 100;
/// How long an interrupted spot node takes to be replaced: no published
/// figure was found for GPU instances (launch, driver and fabric start,
/// image pull); 10 minutes is an assumption.
pub const SPOT_REPLACEMENT: SimDuration = SimDuration::from_secs(600);
/// AWS's two-minute spot interruption notice ("A Spot Instance
/// interruption notice is a warning that is issued two minutes before
/// Amazon EC2 stops or terminates your Spot Instance", EC2 User Guide).
pub const SPOT_NOTICE: SimDuration = SimDuration::from_secs(120);

fn check_discount(issues: &mut Issues, path: &str, d: f64) -> f64 {
    if d.is_finite() && (0.0..1.0).contains(&d) {
        return d;
    }
    issues.error(Error {
        path: &field_path(path, "discount"),
        message: "a discount is a fraction of the on-demand price, below 1",
        found: &d.to_string(),
        expected: "a number from 0 up to (not including) 1",
        fix: "write 40% off as 0.4; a discount of 1 or more would make the capacity free, or pay you to use it",
    });
    0.0
}

/// The price per GPU-hour: the one written, else the list price less the
/// discount (rounded to the micro-dollar).
fn price(
    issues: &mut Issues,
    path: &str,
    written: &Option<file::Written<Usd>>,
    list: Usd,
    discount: f64,
) -> Usd {
    written
        .as_ref()
        .and_then(|w| issues.quantity(&field_path(path, "price_per_gpu_hour"), w))
        .unwrap_or_else(|| {
            Usd::from_micros((list.as_micros() as f64 * (1.0 - discount)).round() as u64)
        })
}

/// Interruptions per node-hour from a Spot Advisor bucket or a rate.
fn spot_rate(issues: &mut Issues, path: &str, text: &str) -> f64 {
    if let Some(&(_, share)) = SPOT_BUCKETS.iter().find(|(b, _)| *b == text.trim()) {
        return share / HOURS_PER_MONTH;
    }
    match parse_rate(text) {
        Ok(rate) if rate.per_ns() * 3.6e12 > MAX_SPOT_INTERRUPTIONS_PER_HOUR => {
            issues.error(Error {
                path,
                message: "spot interruptions more often than once a minute per node",
                found: &format!("\"{text}\""),
                expected: "a rate of at most 60 an hour per node (the Spot Advisor's worst bucket is about one a month)",
                fix: "check the unit: \"2/30d\" is twice a month",
            });
            0.0
        }
        Ok(rate) => rate.per_ns() * 3.6e12,
        Err(_) => {
            issues.error(Error {
                path,
                message: "spot interruptions must be a Spot Advisor bucket or a rate",
                found: &format!("\"{text}\""),
                expected: "one of \"<5%\", \"5-10%\", \"10-15%\", \"15-20%\", \">20%\" \
                           (instances interrupted per month), or a rate like \"2/30d\"",
                fix: "copy the instance type's bucket from the AWS Spot Advisor",
            });
            0.0
        }
    }
}

/// Each spot group's interruptions as a failure class of its nodes: a
/// node-level class with the group's rate, its notice, no detection delay
/// (the provider says so), replaced after `replaced_after` as a new
/// instance. Named `spot-<group>`; its draws come from that name's
/// streams, so they move no other class's.
pub(super) fn spot_classes(cost: &CostSpec, cluster: &Cluster) -> Vec<reliability::FailureClass> {
    cost.billing
        .iter()
        .zip(&cluster.groups)
        .filter_map(|(b, g)| match *b {
            Billing::Spot {
                interruptions_per_node_hour,
                notice,
                replaced_after,
                ..
            } if interruptions_per_node_hour > 0.0 => Some(reliability::FailureClass {
                name: format!("spot-{}", g.name),
                target: reliability::Target::Node,
                kind: reliability::ClassKind::Unexpected {
                    lifetime: reliability::Lifetime::Exponential {
                        mean_ns: 3.6e12 / interruptions_per_node_hour,
                    },
                    repair: reliability::Repair {
                        time: reliability::RepairTime::Fixed(replaced_after),
                        action: reliability::RepairAction::Replace,
                    },
                },
                detection: SimDuration::ZERO,
                nodes: Some(reliability::NodeRange {
                    first: g.first_node,
                    count: g.node_count,
                }),
                notice,
            }),
            _ => None,
        })
        .collect()
}

/// A group's `autoscale`, checked: cloud billing held by the hour
/// (on demand or spot), `min <= max <= count`.
fn autoscale(
    a: &file::Autoscale,
    billing: Billing,
    path: &str,
    count: u32,
    issues: &mut Issues,
) -> Option<Autoscale> {
    let min = a.min.unwrap_or(0);
    let max = a.max.unwrap_or(count);
    let mut ok = true;
    if billing.paid_when_idle() {
        issues.error(Error {
            path,
            message: "only a group billed while held (on demand or spot) can autoscale",
            found: &format!("billing {}", billing.name()),
            expected: "billing: Some(OnDemand(...)) or Some(Spot(...))",
            fix: "remove autoscale: on-premise and reserved nodes are paid for whether held or not",
        });
        ok = false;
    }
    if max < min {
        issues.error(Error {
            path: &field_path(path, "max"),
            message: "an autoscale maximum below its minimum",
            found: &format!("min {min}, max {max}"),
            expected: "min <= max",
            fix: "raise max to at least min, or lower min",
        });
        ok = false;
    } else if max > count {
        issues.error(Error {
            path: &field_path(path, "max"),
            message: "an autoscale maximum above the group's node count",
            found: &format!("max {max}, count {count}"),
            expected: &format!("max <= {count}"),
            fix: "the group's count is its capacity: raise count to the most nodes it may hold",
        });
        ok = false;
    }
    let duration = |issues: &mut Issues,
                    field: &str,
                    w: &Option<file::Written<SimDuration>>,
                    default: SimDuration| {
        w.as_ref()
            .and_then(|w| issues.quantity(&field_path(path, field), w))
            .unwrap_or(default)
    };
    let provision = duration(issues, "provision", &a.provision, AUTOSCALE_PROVISION);
    let release_after = duration(issues, "release_after", &a.release_after, AUTOSCALE_RELEASE);
    let wait = duration(issues, "wait", &a.wait, SimDuration::ZERO);
    ok.then_some(Autoscale {
        min,
        max,
        provision,
        release_after,
        wait,
    })
}

/// From a provisioning request to a GPU node in service: no published
/// figure was found for GPU instances (launch, driver, fabric manager,
/// image pull); 5 minutes is an assumption.
pub const AUTOSCALE_PROVISION: SimDuration = SimDuration::from_secs(300);
/// The Kubernetes cluster autoscaler's `--scale-down-unneeded-time`
/// default, 10 minutes.
pub const AUTOSCALE_RELEASE: SimDuration = SimDuration::from_secs(600);
