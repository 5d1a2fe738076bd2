//! Validation of the `reliability` and `storage` sections: the failure
//! classes (a cited preset's, added to, replaced or scaled by the
//! scenario's own), frailty, draining, detection, spares, restarts and
//! requeues, and the shared storage checkpoints go to.
//!
//! A class written in full is checked in `failure_class.rs`.
//!
//! Rules, each reported at its field:
//! - a class is unexpected (`strikes`, `mtbf` or `rate`, ...), planned
//!   (`strikes: Node` and `maintenance`), or a bare `(name, scale)` that
//!   scales a class of the preset; names are unique labels; a preset is
//!   one of `reliability::PRESETS` (with a did-you-mean);
//! - a component's mean time to failure after every scale is finite and
//!   at least [`MIN_MTBF`] (below it a run would do nothing but fail);
//! - spares leave at least one node to run on; scale factors, frailty and
//!   counts are in range; at most `reliability::MAX_CLASSES` classes in
//!   all;
//! - storage bandwidths are above zero.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::failure_class::{Strikeable, own_class};
use super::{Error, Issues, valid_label};
use crate::engine::SimDuration;
use crate::reliability::{
    self, ClassKind, DrainRule, FailureClass, Frailty, MAX_CLASSES, ReliabilitySpec,
    RestartOverhead, StorageSpec,
};
use crate::text::did_you_mean;
use crate::units::Bandwidth;

/// Shortest mean time to failure of one component, after scaling.
pub const MIN_MTBF: SimDuration = SimDuration::from_secs(1);

/// Largest rate multiplier (a class's or the section's `scale`, a lemon's
/// factor).
pub const MAX_SCALE: f64 = 1e6;

/// Largest `max_requeues`.
pub const MAX_REQUEUES: u32 = 1_000_000;

/// The `reliability` section as the model's [`ReliabilitySpec`]; the
/// default (nothing fails) without one.
pub(super) fn build_reliability(
    section: Option<&file::Reliability>,
    strikeable: &Strikeable<'_>,
    issues: &mut Issues,
) -> ReliabilitySpec {
    let Some(r) = section else {
        return ReliabilitySpec::default();
    };
    let mut spec = ReliabilitySpec::default();
    let section_scale = r
        .scale
        .map_or(Some(1.0), |s| scale(issues, "reliability.scale", s));
    let preset = r
        .preset
        .as_deref()
        .and_then(|name| lookup_preset(name, issues));
    spec.classes = classes(r, preset.as_deref(), section_scale, strikeable, issues);
    if spec.classes.len() > MAX_CLASSES {
        issues.error(Error {
            path: "reliability.classes",
            message: &format!(
                "{} failure classes, more than {MAX_CLASSES}",
                spec.classes.len()
            ),
            found: &format!("{} classes with the preset's", spec.classes.len()),
            expected: &format!("at most {MAX_CLASSES} classes"),
            fix: "merge classes of the same component and repair into one, adding their rates",
        });
    }
    spec.frailty = match r.frailty {
        None => Frailty::None,
        Some(f) => frailty(f, issues).unwrap_or(Frailty::None),
    };
    if let Some(d) = &r.drain {
        let path = "reliability.drain";
        let ok = issues.positive_u32(
            &field_path(path, "failures"),
            d.failures,
            "the failures that drain a node",
            "drain after 1 or more failures, e.g. failures: 3",
        );
        let window_path = field_path(path, "window");
        let window = issues.quantity(&window_path, &d.window);
        if let Some(window) = window
            && issues.positive_duration(
                &window_path,
                window,
                "the drain window",
                "count failures over a window like \"7d\"",
            )
            && ok
        {
            spec.drain_rule = Some(DrainRule {
                failures: d.failures,
                window,
            });
        }
    }
    let hc_path = "reliability.health_check_interval";
    if let Ok(Some(interval)) = issues.optional(hc_path, r.health_check_interval.as_ref()) {
        let fix = "check node health every few minutes, like \"5m\" (Slurm's HealthCheckInterval)";
        if issues.positive_duration(hc_path, interval, "the health-check interval", fix)
            && issues.period_floor(hc_path, interval, "a health-check interval", fix)
        {
            spec.health_check_interval = Some(interval);
        }
    }
    if let Some(spares) = r.spares {
        spec.spares = spares;
        if let Some(cluster) = strikeable.cluster {
            let nodes = cluster.node_count() as u64;
            if u64::from(spares) >= nodes {
                issues.error(Error {
                    path: "reliability.spares",
                    message: "more spares than nodes to run jobs on",
                    found: &format!("{spares} spares on a cluster of {nodes} nodes"),
                    expected: &format!(
                        "at most {} spares (one node fewer than the cluster)",
                        nodes.saturating_sub(1)
                    ),
                    fix: "hold back a few nodes as spares, or add nodes to the cluster",
                });
            }
        }
    }
    if let Some(restart) = &r.restart {
        let path = "reliability.restart";
        let base = issues.optional(&field_path(path, "base"), restart.base.as_ref());
        let per_node = issues.optional(&field_path(path, "per_node"), restart.per_node.as_ref());
        spec.restart = RestartOverhead {
            base: base.ok().flatten().unwrap_or_default(),
            per_node: per_node.ok().flatten().unwrap_or_default(),
        };
    }
    if let Some(requeue) = r.requeue {
        spec.requeue = requeue;
    }
    if let Some(max) = r.max_requeues {
        if max > MAX_REQUEUES {
            issues.error(Error {
                path: "reliability.max_requeues",
                message: &format!("more than {MAX_REQUEUES} requeues per job"),
                found: &max.to_string(),
                expected: &format!(
                    "0 to {MAX_REQUEUES} (Slurm's MaxBatchRequeue default is {})",
                    reliability::DEFAULT_MAX_REQUEUES
                ),
                fix: "use a small number; set requeue: false to never requeue",
            });
        }
        spec.max_requeues = max;
    }
    spec
}

/// The preset's classes, or `None` after saying it is unknown.
fn lookup_preset(name: &str, issues: &mut Issues) -> Option<Vec<FailureClass>> {
    if let Some(classes) = reliability::preset(name) {
        return Some(classes);
    }
    let known = reliability::PRESETS.join(", ");
    let fix = match did_you_mean(name, reliability::PRESETS.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("name one of {known}, or list your own classes"),
    };
    issues.error(Error {
        path: "reliability.preset",
        message: &format!("unknown failure preset `{name}`"),
        found: &format!("\"{name}\""),
        expected: &format!("one of {known}"),
        fix: &fix,
    });
    None
}

/// A scale factor: finite, above zero, at most [`MAX_SCALE`].
pub(super) fn scale(issues: &mut Issues, path: &str, value: f64) -> Option<f64> {
    if value.is_finite() && value > 0.0 && value <= MAX_SCALE {
        return Some(value);
    }
    issues.error(Error {
        path,
        message: "a rate scale must be a positive number",
        found: &value.to_string(),
        expected: &format!("a factor above 0 and at most {MAX_SCALE:e}, like 2.0"),
        fix: "use a factor above 0 (1.0 keeps the rate); remove the class to stop it failing",
    });
    None
}

/// The resolved classes: the preset's, each replaced by a scenario class
/// of its name or scaled by a bare entry, then the scenario's new ones;
/// every unexpected class's rate times the section's scale.
fn classes(
    r: &file::Reliability,
    preset: Option<&[FailureClass]>,
    section_scale: Option<f64>,
    strikeable: &Strikeable<'_>,
    issues: &mut Issues,
) -> Vec<FailureClass> {
    let mut resolved: Vec<FailureClass> = preset.map(<[_]>::to_vec).unwrap_or_default();
    for (i, c) in r.classes.iter().enumerate() {
        let path = index_path("reliability.classes", i);
        let name_path = field_path(&path, "name");
        if !valid_label(&c.name) {
            issues.error(Error {
                path: &name_path,
                message: "a class name must be letters, digits, `-` or `_`",
                found: &format!("\"{}\"", c.name),
                expected: "a name like \"faulty-gpu\"",
                fix: "rename it; it names the class's random streams and its counts in the summary",
            });
            continue;
        }
        if r.classes[..i].iter().any(|o| o.name == c.name) {
            issues.error(Error {
                path: &name_path,
                message: &format!("two failure classes are named `{}`", c.name),
                found: &format!("\"{}\"", c.name),
                expected: "unique class names",
                fix: "rename one, or merge them; equal names would share random draws",
            });
            continue;
        }
        let in_preset = preset.is_some_and(|p| p.iter().any(|pc| pc.name == c.name));
        let bare = c.strikes.is_none()
            && c.mtbf.is_none()
            && c.rate.is_none()
            && c.distribution.is_none()
            && c.detection.is_none()
            && c.repair.is_none()
            && c.maintenance.is_none();
        if bare && c.scale.is_some() && in_preset {
            let factor = c
                .scale
                .and_then(|s| scale(issues, &field_path(&path, "scale"), s));
            let class = (resolved.iter_mut())
                .find(|pc| pc.name == c.name)
                .expect("in the preset");
            if let (Some(factor), ClassKind::Unexpected { lifetime, .. }) =
                (factor, &mut class.kind)
            {
                *lifetime = lifetime.scaled(factor);
            }
            continue;
        }
        if bare {
            bare_class_error(&path, c, r.preset.as_deref(), preset, issues);
            continue;
        }
        let Some(class) = own_class(&path, c, strikeable, issues) else {
            continue;
        };
        match resolved.iter_mut().find(|pc| pc.name == class.name) {
            Some(replaced) => *replaced = class,
            None => resolved.push(class),
        }
    }
    if let Some(factor) = section_scale.filter(|&s| s != 1.0) {
        for class in &mut resolved {
            if let ClassKind::Unexpected { lifetime, .. } = &mut class.kind {
                *lifetime = lifetime.scaled(factor);
            }
        }
    }
    let default_origin = if r.scale.is_some() {
        "reliability.scale"
    } else {
        "reliability.preset"
    };
    for (class, origin) in resolved.iter().map(|c| {
        let origin = (r.classes.iter())
            .position(|o| o.name == c.name)
            .map_or(default_origin.to_string(), |i| {
                index_path("reliability.classes", i)
            });
        (c, origin)
    }) {
        let ClassKind::Unexpected { lifetime, .. } = class.kind else {
            continue;
        };
        let mean_ns = lifetime.mean_ns();
        if !(mean_ns.is_finite() && mean_ns >= MIN_MTBF.as_ns() as f64) {
            issues.error(Error {
                path: &origin,
                message: &format!(
                    "class `{}` fails a component every {:.3e} s on average, after scaling",
                    class.name,
                    mean_ns / 1e9
                ),
                found: &format!("a mean time to failure of {:.3e} ns", mean_ns),
                expected: "a finite mean time to failure of one second or more per component",
                fix: "check the rate's unit and the scale factors: rates are per component (one GPU, one node)",
            });
        }
    }
    resolved
}

/// A class with only a name (and perhaps a scale) that scales no preset
/// class: say what a class needs.
fn bare_class_error(
    path: &str,
    c: &file::FailureClass,
    preset_name: Option<&str>,
    preset: Option<&[FailureClass]>,
    issues: &mut Issues,
) {
    let names: Vec<&str> = preset
        .map(|p| p.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    match (c.scale.is_some(), preset_name) {
        (true, Some(p)) => {
            let fix = match did_you_mean(&c.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a class of the preset, or define a new class with strikes and mtbf or rate".to_string(),
            };
            issues.error(Error {
                path: &field_path(path, "name"),
                message: &format!("`{}` is no class of preset `{p}` to scale", c.name),
                found: &format!("\"{}\"", c.name),
                expected: &format!("one of {}", names.join(", ")),
                fix: &fix,
            });
        }
        (true, None) => issues.error(Error {
            path: &field_path(path, "name"),
            message: &format!("class `{}` scales a preset class, but no preset is named", c.name),
            found: "a class with only a name and a scale",
            expected: "reliability.preset, or a full class",
            fix: "add preset: \"llama3-h100\" (or another), or give the class strikes and mtbf or rate",
        }),
        (false, _) => issues.error(Error {
            path,
            message: &format!("class `{}` says nothing about failures", c.name),
            found: "a name only",
            expected: "strikes and mtbf or rate (or maintenance), or a scale for a preset class",
            fix: "add e.g. strikes: Gpu, mtbf: \"16.4y\", repair: (time: Fixed(\"4h\"), action: Replace)",
        }),
    }
}

fn frailty(f: file::Frailty, issues: &mut Issues) -> Option<Frailty> {
    let path = "reliability.frailty";
    match f {
        file::Frailty::Lemons { fraction, factor } => {
            let fraction_ok = fraction.is_finite() && (0.0..=1.0).contains(&fraction);
            if !fraction_ok {
                issues.error(Error {
                    path: &field_path(path, "fraction"),
                    message: "the fraction of lemon nodes must be between 0 and 1",
                    found: &fraction.to_string(),
                    expected: "a fraction like 0.02 (2% of the nodes)",
                    fix: "give the share of nodes that fail more often, from 0 to 1",
                });
            }
            let factor_ok = factor.is_finite() && factor > 0.0 && factor <= MAX_SCALE;
            if !factor_ok {
                issues.error(Error {
                    path: &field_path(path, "factor"),
                    message: "a lemon's rate factor must be a positive number",
                    found: &factor.to_string(),
                    expected: &format!("a factor above 0 and at most {MAX_SCALE:e}, like 10.0"),
                    fix: "give how many times as often lemon nodes fail",
                });
            }
            (fraction_ok && factor_ok).then_some(Frailty::Lemons { fraction, factor })
        }
        file::Frailty::Gamma { shape } => {
            if shape.is_finite() && shape > 0.0 && shape <= MAX_SCALE {
                Some(Frailty::Gamma { shape })
            } else {
                issues.error(Error {
                    path: &field_path(path, "shape"),
                    message: "the gamma frailty's shape must be a positive number",
                    found: &shape.to_string(),
                    expected: "a shape like 2.0 (the variance of node rates is 1/shape)",
                    fix: "use a shape above 0: small shapes make nodes very unequal",
                });
                None
            }
        }
    }
}

/// The `storage` section, or `None` without one (or when it is invalid,
/// after saying why).
pub(super) fn build_storage(
    section: Option<&file::Storage>,
    issues: &mut Issues,
) -> Option<StorageSpec> {
    let s = section?;
    let mut bandwidth = |field: &str, written: &file::Written<Bandwidth>| {
        let path = field_path("storage", field);
        let value = issues.quantity(&path, written)?;
        if value.bits_per_s() == 0 {
            issues.error(Error {
                path: &path,
                message: "a storage bandwidth of zero would never finish a checkpoint",
                found: &format!("\"{}\"", written_text(written)),
                expected: "a bandwidth above zero, like \"1TB/s\"",
                fix: "give the file system's bandwidth (aggregate, per node client, snapshot to host memory)",
            });
            return None;
        }
        Some(value)
    };
    let aggregate = bandwidth("aggregate", &s.aggregate);
    let per_node = bandwidth("per_node", &s.per_node);
    let snapshot = s
        .snapshot_per_node
        .as_ref()
        .map(|w| bandwidth("snapshot_per_node", w));
    let (Some(aggregate), Some(per_node)) = (aggregate, per_node) else {
        return None;
    };
    // Without asynchronous checkpoints the snapshot rate is never used
    // (validate/policy.rs requires it for them).
    let snapshot_per_node = match snapshot {
        None => per_node,
        Some(s) => s?,
    };
    Some(StorageSpec {
        aggregate,
        per_node,
        snapshot_per_node,
    })
}

fn written_text<T>(w: &file::Written<T>) -> &str {
    match &w.spelling {
        file::Spelling::Text(t) | file::Spelling::BareNumber(t) => t,
    }
}
