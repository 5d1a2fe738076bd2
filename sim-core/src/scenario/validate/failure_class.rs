//! One failure class written in full, as `validate/reliability.rs` meets
//! it in `reliability.classes`: what it strikes (and whether the scenario
//! has that), its lifetime (`mtbf` or `rate`, the distribution), its
//! repair, or a planned class's maintenance.
//!
//! Rules, each reported at its field: a class says what it strikes, and
//! links, leaves and spines exist (a fabric, or a scheduler topology for
//! leaves); exactly one of `mtbf` and `rate`, an MTBF above zero; a Weibull
//! shape in [[`MIN_WEIBULL_SHAPE`], [`MAX_WEIBULL_SHAPE`]]; a repair for
//! every class but `Job`'s, none for those; repair times not negative (the
//! duration parser refuses `"-4h"`), a mean or median above zero, a sigma
//! in (0, 5]; a planned class strikes nodes, has nothing of an unexpected
//! one, a period and duration above zero and at most the cluster's nodes
//! at once.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::generators::MAX_LOGNORMAL_SIGMA;
use super::reliability::scale;
use super::{Error, Issues};
use crate::engine::SimDuration;
use crate::hardware::Cluster;
use crate::reliability::{
    ClassKind, FailureClass, Lifetime, Maintenance, Repair, RepairAction, RepairTime, Target,
};
use crate::scenario::Network;
use crate::scheduler::SchedulerConfig;

/// Weibull shapes accepted: outside, the distribution is a typo (shape 0.1
/// already puts the scale at a 3.6-millionth of the mean).
pub const MIN_WEIBULL_SHAPE: f64 = 0.1;
pub const MAX_WEIBULL_SHAPE: f64 = 20.0;

/// What the classes may strike, from the scenario's other sections.
pub(super) struct Strikeable<'a> {
    pub cluster: Option<&'a Cluster>,
    pub network: &'a Network,
    /// Whether the file has a `fabric` section (built or not: one that
    /// failed to build is reported there, not again here).
    pub fabric_written: bool,
    pub scheduler: &'a SchedulerConfig,
}

/// A class the scenario defines in full.
pub(super) fn own_class(
    path: &str,
    c: &file::FailureClass,
    strikeable: &Strikeable<'_>,
    issues: &mut Issues,
) -> Option<FailureClass> {
    let errors_before = issues.errors.len();
    let Some(strikes) = c.strikes else {
        issues.error(Error {
            path,
            message: &format!("class `{}` does not say what it strikes", c.name),
            found: "no `strikes`",
            expected: "strikes: Gpu, Node, Nic, Link, LeafSwitch, SpineSwitch or Job",
            fix: "add strikes: ...; to scale a preset class instead, give only its name and scale",
        });
        return None;
    };
    let target = target(strikes);
    let strikes_path = field_path(path, "strikes");
    check_strikeable(&strikes_path, target, strikeable, issues);
    let detection = issues
        .optional(&field_path(path, "detection"), c.detection.as_ref())
        .ok()?
        .unwrap_or_default();
    let kind = match &c.maintenance {
        Some(m) => {
            let extra = [
                ("mtbf", c.mtbf.is_some()),
                ("rate", c.rate.is_some()),
                ("distribution", c.distribution.is_some()),
                ("repair", c.repair.is_some()),
                ("scale", c.scale.is_some()),
            ];
            if let Some((field, _)) = extra.iter().find(|(_, given)| *given) {
                issues.error(Error {
                    path: &field_path(path, field),
                    message: &format!("a planned class has no `{field}`"),
                    found: &format!("`{field}` beside `maintenance`"),
                    expected: "a planned class: name, strikes: Node and maintenance",
                    fix: "remove it, or make a separate class for unexpected failures",
                });
            }
            if target != Target::Node {
                issues.error(Error {
                    path: &strikes_path,
                    message: "planned maintenance drains nodes",
                    found: target.as_str(),
                    expected: "strikes: Node",
                    fix: "write strikes: Node for a rolling drain",
                });
            }
            maintenance(
                &field_path(path, "maintenance"),
                m,
                strikeable.cluster,
                issues,
            )
            .map(ClassKind::Planned)
        }
        None => {
            let lifetime = lifetime(path, c, issues);
            let repair = match (&c.repair, target) {
                (Some(_), Target::Job) => {
                    issues.error(Error {
                        path: &field_path(path, "repair"),
                        message: "a class striking the job takes no node down: nothing to repair",
                        found: "repair on a Job class",
                        expected: "no repair",
                        fix: "remove repair; the job's restart overhead (reliability.restart) is its cost",
                    });
                    None
                }
                (None, Target::Job) => Some(Repair {
                    time: RepairTime::Fixed(SimDuration::ZERO),
                    action: RepairAction::Reboot,
                }),
                (Some(r), _) => repair(&field_path(path, "repair"), r, issues),
                (None, _) => {
                    issues.error(Error {
                        path,
                        message: &format!("class `{}` takes a component down but never repairs it", c.name),
                        found: "no `repair`",
                        expected: "repair: (time: ..., action: Reboot or Replace)",
                        fix: "add e.g. repair: (time: LogNormal(median: \"4h\", sigma: 1.0), action: Replace)",
                    });
                    None
                }
            };
            let factor = match c.scale {
                None => Some(1.0),
                Some(s) => scale(issues, &field_path(path, "scale"), s),
            };
            match (lifetime, repair, factor) {
                (Some(lifetime), Some(repair), Some(factor)) => Some(ClassKind::Unexpected {
                    lifetime: lifetime.scaled(factor),
                    repair,
                }),
                _ => None,
            }
        }
    };
    let kind = kind.filter(|_| issues.errors.len() == errors_before)?;
    Some(FailureClass {
        nodes: None,
        notice: SimDuration::ZERO,
        name: c.name.clone(),
        target,
        kind,
        detection,
    })
}

fn target(t: file::Target) -> Target {
    match t {
        file::Target::Gpu => Target::Gpu,
        file::Target::Node => Target::Node,
        file::Target::Nic => Target::Nic,
        file::Target::Link => Target::Link,
        file::Target::LeafSwitch => Target::LeafSwitch,
        file::Target::SpineSwitch => Target::SpineSwitch,
        file::Target::Job => Target::Job,
    }
}

/// Links and switches exist only with a fabric (leaves also with a
/// scheduler topology).
fn check_strikeable(path: &str, target: Target, s: &Strikeable<'_>, issues: &mut Issues) {
    let fabric = s.network.fabric.as_ref();
    let (present, what, fix) = match target {
        Target::Link => (
            fabric.is_some_and(|f| f.link_count() > 0),
            "fabric cables",
            "add a fabric section, e.g. fabric: (topology: LeafSpine(radix: 64)), so that there are cables to fail",
        ),
        Target::LeafSwitch => (
            fabric.is_some_and(|f| f.switch_count(0) > 0) || !s.scheduler.topology.is_empty(),
            "leaf switches",
            "add a fabric section, or leaf switches under scheduler.topology",
        ),
        Target::SpineSwitch => (
            fabric.is_some_and(|f| f.switch_count(1) > 0),
            "spine switches",
            "add a fabric with spines (LeafSpine, FatTree or RailOptimized), or strike LeafSwitch",
        ),
        Target::Gpu | Target::Node | Target::Nic | Target::Job => return,
    };
    // A fabric that failed to build is reported at the fabric.
    if present || (s.fabric_written && fabric.is_none()) {
        return;
    }
    issues.error(Error {
        path,
        message: &format!("this class strikes {what}, but the scenario has none"),
        found: target.as_str(),
        expected: &format!("a scenario with {what}, or strikes: Gpu, Node, Nic or Job"),
        fix,
    });
}

/// The lifetime of an unexpected class: `mtbf` or `rate`, and the
/// distribution.
fn lifetime(path: &str, c: &file::FailureClass, issues: &mut Issues) -> Option<Lifetime> {
    let mean_ns = match (&c.mtbf, &c.rate) {
        (Some(mtbf), None) => {
            let mtbf_path = field_path(path, "mtbf");
            let mtbf = issues.quantity(&mtbf_path, mtbf)?;
            if mtbf.is_zero() {
                issues.error(Error {
                    path: &mtbf_path,
                    message: "an MTBF of zero would fail without end",
                    found: "\"0s\"",
                    expected: "a mean time between failures above zero, like \"16.4y\"",
                    fix: "give the mean time between failures of one component",
                });
                return None;
            }
            mtbf.as_ns() as f64
        }
        (None, Some(rate)) => issues.quantity(&field_path(path, "rate"), rate)?.mean_ns(),
        (Some(_), Some(_)) => {
            issues.error(Error {
                path: &field_path(path, "rate"),
                message: "give the class an mtbf or a rate, not both",
                found: "mtbf and rate",
                expected: "one of mtbf, rate",
                fix: "remove one of the two",
            });
            return None;
        }
        (None, None) => {
            issues.error(Error {
                path,
                message: &format!("class `{}` has no failure rate", c.name),
                found: "neither mtbf nor rate",
                expected: "mtbf: \"16.4y\" or rate: \"1.67e-4/day\" (per component), or maintenance",
                fix: "add mtbf or rate",
            });
            return None;
        }
    };
    match c.distribution {
        None | Some(file::Distribution::Exponential) => Some(Lifetime::Exponential { mean_ns }),
        Some(file::Distribution::Weibull { shape }) => {
            if shape.is_finite() && (MIN_WEIBULL_SHAPE..=MAX_WEIBULL_SHAPE).contains(&shape) {
                Some(Lifetime::weibull_with_mean(shape, mean_ns))
            } else {
                issues.error(Error {
                    path: &field_path(&field_path(path, "distribution"), "shape"),
                    message: &format!("the Weibull shape must be between {MIN_WEIBULL_SHAPE} and {MAX_WEIBULL_SHAPE}"),
                    found: &shape.to_string(),
                    expected: "a shape like 0.7 (infant mortality) or 1.5 (wear-out); 1 is the exponential",
                    fix: "use a shape above 0: below 1 failures come early, above 1 late",
                });
                None
            }
        }
    }
}

fn repair(path: &str, r: &file::Repair, issues: &mut Issues) -> Option<Repair> {
    let time_path = field_path(path, "time");
    let time = match &r.time {
        file::RepairTime::Fixed(d) => issues
            .quantity(&index_path(&time_path, 0), d)
            .map(RepairTime::Fixed),
        file::RepairTime::Exponential { mean } => {
            let mean_path = field_path(&time_path, "mean");
            issues
                .quantity(&mean_path, mean)
                .filter(|&mean| {
                    issues.positive_duration(
                        &mean_path,
                        mean,
                        "the mean repair time",
                        "use a mean like \"4h\"; Fixed(\"0s\") repairs at once",
                    )
                })
                .map(|mean| RepairTime::Exponential { mean })
        }
        file::RepairTime::LogNormal { median, sigma } => {
            let median_path = field_path(&time_path, "median");
            let median = issues.quantity(&median_path, median).filter(|&median| {
                issues.positive_duration(
                    &median_path,
                    median,
                    "the median repair time",
                    "use a median like \"4h\"",
                )
            });
            let sigma_ok = sigma.is_finite() && *sigma > 0.0 && *sigma <= MAX_LOGNORMAL_SIGMA;
            if !sigma_ok {
                issues.error(Error {
                    path: &field_path(&time_path, "sigma"),
                    message: &format!("sigma must be above 0 and at most {MAX_LOGNORMAL_SIGMA}"),
                    found: &sigma.to_string(),
                    expected: "a sigma like 1.0 (the spread of ln(repair time))",
                    fix: "use a value above 0; for a repair time without spread write Fixed(\"4h\")",
                });
            }
            median
                .filter(|_| sigma_ok)
                .map(|median| RepairTime::Lognormal {
                    median,
                    sigma: *sigma,
                })
        }
    }?;
    let action = match r.action {
        file::RepairAction::Reboot => RepairAction::Reboot,
        file::RepairAction::Replace => RepairAction::Replace,
    };
    Some(Repair { time, action })
}

fn maintenance(
    path: &str,
    m: &file::Maintenance,
    cluster: Option<&Cluster>,
    issues: &mut Issues,
) -> Option<Maintenance> {
    let first = issues.quantity(&field_path(path, "first"), &m.first);
    let every_path = field_path(path, "every");
    let every = issues.quantity(&every_path, &m.every).filter(|&every| {
        let fix = "drain every so often, like \"7d\"";
        issues.positive_duration(&every_path, every, "the maintenance period", fix)
            && issues.period_floor(&every_path, every, "a maintenance period", fix)
    });
    let duration_path = field_path(path, "duration");
    let duration = issues.quantity(&duration_path, &m.duration).filter(|&d| {
        issues.positive_duration(
            &duration_path,
            d,
            "the maintenance duration",
            "give how long each node is down, like \"4h\"",
        )
    });
    let count_path = field_path(path, "nodes_at_once");
    let mut count_ok = issues.positive_u32(
        &count_path,
        m.nodes_at_once,
        "nodes_at_once",
        "drain 1 or more nodes at a time",
    );
    if let Some(cluster) = cluster
        && count_ok
        && m.nodes_at_once as usize > cluster.node_count()
    {
        issues.error(Error {
            path: &count_path,
            message: "more nodes at once than the cluster has",
            found: &format!("{} nodes of {}", m.nodes_at_once, cluster.node_count()),
            expected: &format!("1 to {} nodes", cluster.node_count()),
            fix: "drain fewer nodes at a time",
        });
        count_ok = false;
    }
    Some(Maintenance {
        first: first?,
        every: every?,
        duration: duration?,
        nodes_at_once: m.nodes_at_once,
    })
    .filter(|_| count_ok)
}
