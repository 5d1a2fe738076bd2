//! Checks a parsed scenario file and converts it into model types.
//!
//! [`convert`] builds the scenario section by section, each in the child
//! module named after what it builds: `catalog`, `cluster`, `scheduling`,
//! `network`, `reliability` (failure classes, with `failure_class`, and
//! storage), `kueue` (inside `scheduling`: Kueue's queues), `run` (stop
//! condition and outputs), then the workload (`workload`: explicit jobs
//! and the trace; `training`; `generators`; `policy`: their checkpoints
//! and recovery) around one `workload::Context`, which holds what every workload
//! builder needs: the cluster, its GPU pool, the scheduler configuration,
//! where relative paths start, the [`Issues`] found, and the workload
//! being built.
//!
//! Every rule lives next to the conversion it guards, and reports an
//! [`Issue`] at the path of the offending value, saying what was found,
//! what was expected and how to fix it. All issues are collected, so a user
//! fixes a file in one round rather than one error at a time.
//!
//! Rules beyond what types already enforce:
//! - quantities (durations, sizes, bandwidths, money) are spelt with a
//!   unit; they are parsed here, so a misspelt one is reported with the
//!   parser's found/expected/fix and with every other problem. What was
//!   built from a misspelt value is left out without more messages;
//! - counts, GPU numbers, durations that divide or bound time are > 0;
//! - model names exist in the catalog (with a did-you-mean);
//! - names that label things (node groups, generators) are unique;
//! - an explicit job that can never fit on the cluster is an error: it
//!   was written by hand for this cluster. A generator size that can never
//!   fit is a warning: those jobs are refused and counted at run time,
//!   which keeps a workload usable across cluster sizes in a sweep;
//! - floats are finite, weights non-negative with a positive sum;
//! - absurd magnitudes (a billion nodes, sigma of 50) are refused with the
//!   limit, because they are typos, not experiments;
//! - totals are bounded too, not only fields, with the limit in the
//!   message and before anything of that size is allocated: the nodes and
//!   GPUs of the cluster (`hardware::MAX_TOTAL_NODES`, `MAX_TOTAL_GPUS`,
//!   `MAX_NICS_PER_NODE`), what a fabric wires (`fabric::MAX_SWITCH_RADIX`,
//!   `MAX_FABRIC_ENDPOINTS`, `MAX_EXPLICIT_CABLES`, checked by its
//!   builders), the jobs of the workload (`workload::MAX_TOTAL_JOBS`), a
//!   trace's stretch (`workload::trace::MAX_INTERARRIVAL_SCALE`) and the
//!   failure classes, a preset's included (`reliability::MAX_CLASSES`).

mod catalog;
mod cluster;
mod cost;
mod failure_class;
mod generators;
mod kueue;
mod network;
mod policy;
mod reliability;
mod run;
mod scheduling;
mod trace_format;
mod training;
mod volcano;
mod workload;

pub(super) use training::convert_model;

use std::path::Path;

use super::Scenario;
use super::file::{self, Quantity, Spelling, Written};
use crate::engine::{NS_PER_SEC, SimDuration};
use crate::scheduler::GpuPool;
use crate::text::FileError;
use crate::units::format_duration;

/// The shortest period of periodic scheduler work (`bf_interval`,
/// `PriorityCalcPeriod`): Slurm's own minimum `bf_interval` is one second,
/// and its `PriorityCalcPeriod` is set in minutes. Shorter periods make a
/// run practically endless with flat memory (a simulated day at 1 ns is
/// 8.6e13 events).
pub const MIN_PERIOD: SimDuration = SimDuration::from_secs(1);

/// A run whose periodic work alone is expected to take more events than
/// this gets a warning with the count (at about 2 M events/s, a minute of
/// wall time).
pub const PERIODIC_EVENTS_WARNING: u64 = 100_000_000;

/// A problem at a path.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub path: String,
    pub message: String,
    pub found: Option<String>,
    pub expected: Option<String>,
    pub fix: Option<String>,
    /// Located at the value itself, inside any `Some(...)` written around
    /// it (a misspelt quantity: the spelling is the problem), rather than
    /// at the field's whole value.
    pub inside_some: bool,
    /// The error in another file the problem comes from (a trace's line).
    pub cause: Option<FileError>,
}

/// An error at a path, as a rule reports it: every field is named where
/// it is written, and all are required.
struct Error<'a> {
    /// The field path of the offending value (`cluster.node_groups[0].count`).
    path: &'a str,
    /// One line saying what is wrong.
    message: &'a str,
    found: &'a str,
    expected: &'a str,
    fix: &'a str,
}

/// Something that will run, but probably not as the user meant.
struct Warning<'a> {
    path: &'a str,
    message: &'a str,
    fix: &'a str,
}

/// A quantity written so that it cannot be read; already reported.
#[derive(Clone, Copy, Debug)]
struct Misspelt;

#[derive(Default)]
struct Issues {
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Issues {
    fn error(&mut self, e: Error<'_>) {
        self.push_error(e, false);
    }

    fn push_error(&mut self, e: Error<'_>, inside_some: bool) {
        self.errors.push(Issue {
            path: e.path.to_string(),
            message: e.message.to_string(),
            found: Some(e.found.to_string()),
            expected: Some(e.expected.to_string()),
            fix: Some(e.fix.to_string()),
            inside_some,
            cause: None,
        });
    }

    /// An error that comes from a problem in another file, whose line is
    /// shown under the error's.
    fn error_caused_by(&mut self, e: Error<'_>, cause: FileError) {
        self.push_error(e, false);
        self.errors.last_mut().expect("just pushed").cause = Some(cause);
    }

    fn warning(&mut self, w: Warning<'_>) {
        self.warnings.push(Issue {
            path: w.path.to_string(),
            message: w.message.to_string(),
            found: None,
            expected: None,
            fix: Some(w.fix.to_string()),
            inside_some: false,
            cause: None,
        });
    }

    /// The value of a quantity as written, or `None` after reporting at
    /// `path` what is wrong with its spelling: the parser's found,
    /// expected and fix, or that a bare number lacks its unit.
    fn quantity<T: Quantity>(&mut self, path: &str, written: &Written<T>) -> Option<T> {
        match &written.spelling {
            Spelling::Text(text) => match T::parse(text) {
                Ok(value) => Some(value),
                Err(e) => {
                    let error = Error {
                        path,
                        message: &format!("invalid {}", e.quantity),
                        found: &e.found,
                        expected: &e.expected,
                        fix: &e.fix,
                    };
                    self.push_error(error, true);
                    None
                }
            },
            Spelling::BareNumber(shown) => {
                let error = Error {
                    path,
                    message: &format!("{} needs a unit", T::WHAT),
                    found: &format!("the bare number {shown}"),
                    expected: &format!("{} as a quoted string with a unit", T::WHAT),
                    fix: &format!("write it like {}", T::EXAMPLE),
                };
                self.push_error(error, true);
                None
            }
        }
    }

    /// An optional quantity: `Ok(None)` when it is not given.
    fn optional<T: Quantity>(
        &mut self,
        path: &str,
        written: Option<&Written<T>>,
    ) -> Result<Option<T>, Misspelt> {
        written
            .map(|w| self.quantity(path, w).ok_or(Misspelt))
            .transpose()
    }

    /// `value >= 1`, else an error naming `what`.
    fn positive_u32(&mut self, path: &str, value: u32, what: &str, fix: &str) -> bool {
        if value == 0 {
            self.error(Error {
                path,
                message: &format!("{what} must be at least 1"),
                found: "0",
                expected: &format!("{what} of 1 or more"),
                fix,
            });
            false
        } else {
            true
        }
    }

    fn positive_duration(&mut self, path: &str, value: SimDuration, what: &str, fix: &str) -> bool {
        if value.is_zero() {
            self.error(Error {
                path,
                message: &format!("{what} must be longer than zero"),
                found: &format!("\"{}\"", format_duration(value)),
                expected: &format!("{what} above zero"),
                fix,
            });
            false
        } else {
            true
        }
    }

    /// A period of periodic work that, when not zero, is at least
    /// [`MIN_PERIOD`]: below it a run spends all its events ticking.
    fn period_floor(&mut self, path: &str, value: SimDuration, what: &str, fix: &str) -> bool {
        if value.is_zero() || value >= MIN_PERIOD {
            return true;
        }
        self.error(Error {
            path,
            message: &format!(
                "{what} of {} would tick {} times per simulated second",
                format_duration(value),
                NS_PER_SEC / value.as_ns()
            ),
            found: &format!("\"{}\"", format_duration(value)),
            expected: &format!("{what} of {} or more", format_duration(MIN_PERIOD)),
            fix,
        });
        false
    }

    /// Weights: finite, >= 0, positive sum.
    fn weights(&mut self, path: &str, weights: impl Iterator<Item = (String, f64)>) -> bool {
        let mut ok = true;
        let mut sum = 0.0;
        let mut any = false;
        for (p, w) in weights {
            any = true;
            if !w.is_finite() || w < 0.0 {
                self.error(Error {
                    path: &p,
                    message: "a weight must be a finite number of zero or more",
                    found: &w.to_string(),
                    expected: "a weight >= 0",
                    fix: "use a non-negative number; weights are relative",
                });
                ok = false;
            } else {
                sum += w;
            }
        }
        if ok && any && sum <= 0.0 {
            self.error(Error {
                path,
                message: "the weights add up to zero",
                found: "all weights 0",
                expected: "at least one positive weight",
                fix: "give at least one entry a positive weight",
            });
            ok = false;
        }
        ok
    }
}

/// Converts a parsed file into a [`Scenario`], or lists all its problems.
/// `base_dir` is where relative paths in the file (a trace) start from.
pub fn convert(
    f: file::Scenario,
    base_dir: &Path,
    traces: Option<&crate::workload::trace::TraceCache>,
    needs_workload: bool,
) -> Result<(Scenario, Vec<Issue>), Vec<Issue>> {
    let mut issues = Issues::default();
    if let Some(version) = f.version.filter(|&v| v != file::SCHEMA_VERSION) {
        issues.error(Error {
            path: "version",
            message: "unsupported schema version",
            found: &version.to_string(),
            expected: "version: 1",
            fix: "this build reads schema version 1; remove `version` or set it to 1",
        });
    }
    if f.name.trim().is_empty() {
        issues.error(Error {
            path: "name",
            message: "the scenario needs a name",
            found: "\"\"",
            expected: "a short name",
            fix: "name it, e.g. name: \"my-study\"; outputs carry it",
        });
    }

    let models = catalog::Models::build(f.catalog.unwrap_or_default(), &mut issues);
    let cluster = cluster::build_cluster(&f.cluster, &models, &mut issues);
    let mut scheduler = scheduling::build_scheduler(
        &f.scheduler.clone().unwrap_or_default(),
        cluster.as_ref(),
        &mut issues,
    );
    // Trace replays run jobs to their recorded length unless told otherwise.
    if f.workload.trace.is_some()
        && f.scheduler
            .as_ref()
            .and_then(|s| s.kill_at_time_limit)
            .is_none()
    {
        scheduler.kill_at_time_limit = false;
    }
    let network = network::build_network(f.fabric.as_ref(), cluster.as_ref(), &mut issues);
    // Topology-aware placement follows the fabric's leaves unless the
    // scheduler section lists its own switches.
    if scheduler.topology.is_empty()
        && let Some(fabric) = &network.fabric
    {
        scheduler.topology = fabric
            .leaf_groups()
            .into_iter()
            .filter(|g| !g.nodes.is_empty())
            .map(|g| crate::scheduler::LeafSwitch {
                name: g.name,
                nodes: g.nodes,
            })
            .collect();
    }
    let costs = cost::build_cost(
        f.cost.as_ref(),
        &f.cluster,
        cluster.as_ref(),
        network.fabric.as_ref(),
        &mut issues,
    );
    let mut reliability = reliability::build_reliability(
        f.reliability.as_ref(),
        &failure_class::Strikeable {
            cluster: cluster.as_ref(),
            network: &network,
            fabric_written: f.fabric.is_some(),
            scheduler: &scheduler,
        },
        &mut issues,
    );
    if let (Some(costs), Some(cluster)) = (&costs, &cluster) {
        reliability
            .classes
            .extend(cost::spot_classes(costs, cluster));
    }
    let storage = reliability::build_storage(f.storage.as_ref(), &mut issues);
    let policy_rules = policy::PolicyRules {
        failures: !reliability.classes.is_empty(),
        storage: f.storage.is_some(),
        snapshot: f
            .storage
            .as_ref()
            .is_some_and(|s| s.snapshot_per_node.is_some()),
        flow: network.collectives == crate::collective::Fidelity::Flow,
    };
    let power = cost::build_power(
        f.power.as_ref(),
        costs.is_some(),
        cluster.as_ref(),
        network.fabric.as_ref(),
        &mut issues,
    );
    if (scheduler.kueue.is_some() || scheduler.volcano.is_some())
        && power.as_ref().is_some_and(|p| p.cap.is_some())
    {
        issues.error(Error {
            path: "power.cap",
            message: "a facility power cap is not modelled under Kueue or Volcano",
            found: "power.cap with scheduler.kueue or scheduler.volcano",
            expected: "no power cap, or Slurm-style scheduling",
            fix: "leave power.cap out (power is still measured), or drop the Kubernetes queues",
        });
    }
    let stop = run::build_stop(f.stop.unwrap_or_default(), &mut issues);
    let mut outputs = run::build_outputs(f.outputs.unwrap_or_default(), &mut issues);
    // Without a valid cluster the workload is still checked, minus the
    // "does it fit" rules, so that all mistakes are reported in one go.
    let pool = cluster.as_ref().map(GpuPool::new);
    let mut context = workload::Context::new(
        cluster.as_ref(),
        pool.as_ref(),
        &scheduler,
        base_dir,
        traces,
        policy_rules,
        &mut issues,
    );
    context.allow_empty = !needs_workload;
    context.sharing_unsupported = if !reliability.classes.is_empty() {
        Some("failure classes (reliability)")
    } else if power.is_some() {
        Some("the power model")
    } else if costs.is_some() {
        Some("the cost model")
    } else {
        None
    };
    if let Some(reason) = context.sharing_unsupported
        && scheduler.time_slicing.is_some()
    {
        context.issues.error(Error {
            path: "scheduler.time_slicing",
            message: &format!("time-sliced GPUs cannot be simulated with {reason} yet"),
            found: "time_slicing",
            expected: "whole GPUs, or a scenario without that section",
            fix: "leave time_slicing out, or that section",
        });
    }
    let workload = context.build(&f.workload);
    run::check_run_length(
        &stop,
        &mut outputs,
        &scheduler,
        &workload,
        cluster
            .as_ref()
            .map(|c| (c.total_gpus(), c.node_count() as u64)),
        &mut issues,
    );

    match cluster {
        Some(cluster) if issues.errors.is_empty() => Ok((
            Scenario {
                name: f.name,
                description: f.description,
                seed: f.seed,
                catalog: models.catalog,
                cluster,
                network,
                workload,
                scheduler,
                reliability,
                storage,
                power,
                cost: costs,
                stop,
                outputs,
            },
            issues.warnings,
        )),
        _ => Err(issues.errors),
    }
}

/// A name that labels things (node groups, generators): letters, digits,
/// `-` and `_`.
fn valid_label(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
