//! Jobs' reliability settings: the `checkpoint`, `recovery` and `requeue`
//! of explicit jobs, training jobs and generators, as [`JobPolicy`]s
//! deduplicated into `WorkloadSpec::policies` (entry 0 is the default
//! policy, so a workload that sets none has none listed).
//!
//! Rules, each reported at its field:
//! - a checkpoint interval is above zero (and at least `MIN_PERIOD`);
//!   its cost is a fixed pause or bytes, one of the two, above zero;
//! - bytes go to the scenario's `storage`, which must exist, and an
//!   `Async` checkpoint of bytes needs `storage.snapshot_per_node`;
//! - a training job in a scenario with failure classes checkpoints by
//!   default: interval Daly, its model's weights and optimizer state
//!   (`training::checkpoint_bytes`), blocking. Without failure classes it
//!   keeps the default policy, so that runs without failures are as they
//!   were;
//! - checkpoints of training jobs are simulated in analytic fidelity only;
//! - an elastic job's `min_nodes` is between 1 and the nodes it holds.

use super::super::file;
use super::super::spans::field_path;
use super::workload::Context;
use super::{Error, Warning};
use crate::reliability::{
    CheckpointCost, CheckpointInterval, CheckpointMode, CheckpointSpec, JobPolicy, Recovery,
};
use crate::training::{ModelSpec, checkpoint_bytes};

/// What the scenario's other sections say about jobs' policies.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PolicyRules {
    /// The scenario has failure classes.
    pub failures: bool,
    /// It has a valid `storage` section...
    pub storage: bool,
    /// ...with `snapshot_per_node`.
    pub snapshot: bool,
    /// Training jobs' collectives run as flows.
    pub flow: bool,
}

/// A job's reliability fields as written.
#[derive(Clone, Copy)]
pub(super) struct PolicyFields<'a> {
    pub checkpoint: Option<&'a file::Checkpoint>,
    pub recovery: Option<file::Recovery>,
    pub requeue: Option<bool>,
}

/// What the policy is for.
#[derive(Clone, Copy)]
pub(super) struct PolicyOf<'a> {
    /// The most nodes the job (or a generator's largest job) holds, when
    /// the cluster is known.
    pub nodes: Option<u32>,
    /// A training job's model: its checkpoint size.
    pub model: Option<&'a ModelSpec>,
}

impl Context<'_> {
    /// The index of the job's policy in `spec.policies` (0 for the
    /// default), or `None` after reporting what is wrong at `path`'s
    /// fields.
    pub(super) fn policy(
        &mut self,
        path: &str,
        fields: PolicyFields<'_>,
        of: PolicyOf<'_>,
    ) -> Option<u16> {
        let errors_before = self.issues.errors.len();
        let checkpoint = match fields.checkpoint {
            Some(c) => self.checkpoint(&field_path(path, "checkpoint"), c, of.model),
            // Training jobs checkpoint by default under failures, except
            // with flow fidelity, which does not simulate checkpoints: such
            // a job restarts from its first step after a failure.
            None if of.model.is_some() && self.policy_rules.failures && !self.policy_rules.flow => {
                self.default_checkpoint(path, of.model.expect("checked"))
            }
            None => None,
        };
        if of.model.is_some() && checkpoint.is_some() && self.policy_rules.flow {
            let (at, how) = (field_path(path, "checkpoint"), "checkpoints");
            self.issues.error(Error {
                path: &at,
                message: &format!(
                    "this training job {how}, which flow fidelity does not simulate"
                ),
                found: "fabric.collectives: Flow",
                expected: "fabric.collectives: Analytic for training jobs that checkpoint",
                fix: "set fabric.collectives: Analytic (the default), or leave out the checkpoint (the job then restarts from its first step after a failure)",
            });
        }
        let recovery = match fields.recovery {
            None | Some(file::Recovery::CheckpointRestart) => Recovery::CheckpointRestart,
            Some(file::Recovery::Redundant) => Recovery::Redundant,
            Some(file::Recovery::Elastic { min_nodes }) => {
                let min_path = field_path(&field_path(path, "recovery"), "min_nodes");
                self.issues.positive_u32(
                    &min_path,
                    min_nodes,
                    "an elastic job's min_nodes",
                    "give the fewest nodes the job can continue on, e.g. Elastic(min_nodes: 4)",
                );
                if let Some(nodes) = of.nodes
                    && min_nodes > nodes
                {
                    self.issues.error(Error {
                        path: &min_path,
                        message: "an elastic job's min_nodes is more than the nodes it holds",
                        found: &format!("min_nodes {min_nodes} for a job of {nodes} nodes"),
                        expected: &format!("1 to {nodes}"),
                        fix: "lower min_nodes to what the job can continue on after losing nodes",
                    });
                }
                Recovery::Elastic { min_nodes }
            }
        };
        if self.issues.errors.len() > errors_before {
            return None;
        }
        let policy = JobPolicy {
            checkpoint,
            recovery,
            requeue: fields.requeue,
        };
        if policy == JobPolicy::default() {
            return Some(0);
        }
        let policies = &mut self.spec.policies;
        if policies.is_empty() {
            policies.push(JobPolicy::default());
        }
        if let Some(i) = policies.iter().position(|p| *p == policy) {
            return Some(i as u16);
        }
        if policies.len() > usize::from(u16::MAX) {
            self.issues.error(Error {
                path,
                message: &format!("more than {} different job policies", u16::MAX),
                found: "a distinct checkpoint, recovery or requeue setting per job",
                expected: &format!("at most {} distinct settings", u16::MAX),
                fix: "give jobs shared settings (a generator's jobs share one)",
            });
            return None;
        }
        policies.push(policy);
        Some((policies.len() - 1) as u16)
    }

    /// A training job's checkpoint when it says nothing: Daly's interval,
    /// its weights and optimizer state, blocking.
    fn default_checkpoint(&mut self, path: &str, model: &ModelSpec) -> Option<CheckpointSpec> {
        if !self.policy_rules.storage {
            self.issues.error(Error {
                path,
                message: "this training job checkpoints by default (the scenario has failure classes), but there is no storage to write to",
                found: "no storage section",
                expected: "storage: (aggregate: \"1TB/s\", per_node: \"25GB/s\")",
                fix: "add a storage section, or give the job checkpoint: (cost: \"5m\")",
            });
            return None;
        }
        Some(CheckpointSpec {
            interval: CheckpointInterval::Daly,
            cost: CheckpointCost::Bytes(checkpoint_bytes(model)),
            mode: CheckpointMode::Blocking,
        })
    }

    fn checkpoint(
        &mut self,
        path: &str,
        c: &file::Checkpoint,
        model: Option<&ModelSpec>,
    ) -> Option<CheckpointSpec> {
        let interval = match &c.interval {
            None | Some(file::Interval::Daly) => Some(CheckpointInterval::Daly),
            Some(file::Interval::Young) => Some(CheckpointInterval::Young),
            Some(file::Interval::Every(every)) => {
                let every_path = super::super::spans::index_path(&field_path(path, "interval"), 0);
                let fix = "checkpoint after so much work, like Every(\"1h\"), or use Young or Daly";
                self.issues
                    .quantity(&every_path, every)
                    .filter(|&every| {
                        self.issues.positive_duration(
                            &every_path,
                            every,
                            "the checkpoint interval",
                            fix,
                        ) && self.issues.period_floor(
                            &every_path,
                            every,
                            "a checkpoint interval",
                            fix,
                        )
                    })
                    .map(CheckpointInterval::Every)
            }
        };
        if matches!(
            interval,
            Some(CheckpointInterval::Young | CheckpointInterval::Daly)
        ) && !self.policy_rules.failures
        {
            self.issues.warning(Warning {
                path: &field_path(path, "interval"),
                message: "with no failure classes the expected MTBF is infinite, and so are Young's and Daly's intervals: this job never checkpoints",
                fix: "add failure classes under reliability, or checkpoint at a fixed interval: Every(\"1h\")",
            });
        }
        let cost_path = field_path(path, "cost");
        let bytes_path = field_path(path, "bytes");
        let cost = match (&c.cost, &c.bytes) {
            (Some(_), Some(_)) => {
                self.issues.error(Error {
                    path: &bytes_path,
                    message: "give a checkpoint's cost or its bytes, not both",
                    found: "cost and bytes",
                    expected: "one of cost (a pause), bytes (written to storage)",
                    fix: "remove one of the two",
                });
                None
            }
            (Some(cost), None) => {
                let cost = self.issues.quantity(&cost_path, cost)?;
                self.issues
                    .positive_duration(
                        &cost_path,
                        cost,
                        "a checkpoint's cost",
                        "give how long the job pauses per checkpoint, like \"5m\"",
                    )
                    .then_some(CheckpointCost::Fixed(cost))
            }
            (None, Some(bytes)) => {
                let bytes = self.issues.quantity(&bytes_path, bytes)?;
                if bytes.as_u64() == 0 {
                    self.issues.error(Error {
                        path: &bytes_path,
                        message: "a checkpoint of zero bytes writes nothing",
                        found: "\"0B\"",
                        expected: "a size above zero, like \"1TiB\"",
                        fix: "give the bytes one checkpoint writes (the whole job's, not per node)",
                    });
                    None
                } else if !self.policy_rules.storage {
                    self.issues.error(Error {
                        path: &bytes_path,
                        message: "checkpoint bytes are written to shared storage, and the scenario has none",
                        found: "no storage section",
                        expected: "storage: (aggregate: \"1TB/s\", per_node: \"25GB/s\")",
                        fix: "add a storage section, or give a fixed cost: \"5m\" instead of bytes",
                    });
                    None
                } else {
                    Some(CheckpointCost::Bytes(bytes))
                }
            }
            (None, None) => match model {
                Some(model) if self.policy_rules.storage => {
                    Some(CheckpointCost::Bytes(checkpoint_bytes(model)))
                }
                Some(_) => {
                    self.issues.error(Error {
                        path,
                        message: "this training job checkpoints its weights and optimizer state to shared storage, and the scenario has none",
                        found: "no storage section",
                        expected: "storage: (aggregate: \"1TB/s\", per_node: \"25GB/s\")",
                        fix: "add a storage section, or give a fixed cost: \"5m\"",
                    });
                    None
                }
                None => {
                    self.issues.error(Error {
                        path,
                        message: "a checkpoint needs its cost",
                        found: "neither cost nor bytes",
                        expected: "cost: \"5m\" (a pause) or bytes: \"1TiB\" (written to storage)",
                        fix: "add cost or bytes",
                    });
                    None
                }
            },
        };
        let mode = match c.mode {
            None | Some(file::CheckpointMode::Blocking) => CheckpointMode::Blocking,
            Some(file::CheckpointMode::Async) => CheckpointMode::Async,
        };
        if mode == CheckpointMode::Async
            && matches!(cost, Some(CheckpointCost::Bytes(_)))
            && !self.policy_rules.snapshot
        {
            self.issues.error(Error {
                path: &field_path(path, "mode"),
                message: "an asynchronous checkpoint snapshots to host memory first, at a rate the storage section does not give",
                found: "no storage.snapshot_per_node",
                expected: "storage: (..., snapshot_per_node: \"50GB/s\")",
                fix: "add snapshot_per_node to the storage section, or use mode: Blocking",
            });
            return None;
        }
        Some(CheckpointSpec {
            interval: interval?,
            cost: cost?,
            mode,
        })
    }
}
