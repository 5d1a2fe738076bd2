//! `PriorityType` and the multifactor settings to the plan's priority
//! (and the scheduler's job order).
//!
//! Invariants: priority/basic, Slurm 22.05's default, ignores every
//! multifactor setting, as Slurm does; without SlurmDBD the age and
//! fair-share weights are imported as 0, as slurmctld zeroes them.

use super::{Globals, Plan, Statement, ignore, quoted, time, uint, yes_no};
use crate::engine::SimDuration;
use crate::text::FileError;

/// The job order to `plan.scheduler`, the multifactor settings to
/// `plan.priority`.
pub(super) fn map(
    plan: &mut Plan,
    globals: &Globals,
    statements: &[Statement],
) -> Result<(), FileError> {
    // slurm.conf(5) of 22.05, the peer's release: "The default value is
    // priority/basic" (later releases' documentation gives multifactor).
    let multifactor = match globals.get("PriorityType") {
        None => {
            plan.notes.push(
                "no PriorityType: priority/basic (FIFO), Slurm 22.05's default; later releases default to priority/multifactor, so write PriorityType if yours does".into(),
            );
            false
        }
        Some(p) => match p.value.to_ascii_lowercase().as_str() {
            "priority/multifactor" => true,
            "priority/basic" => false,
            _ => {
                return Err(p.value_at.error(
                    format!("unknown PriorityType `{}`", p.value),
                    "priority/multifactor or priority/basic",
                    "use one of Slurm's priority plugins",
                ));
            }
        },
    };
    plan.scheduler.push((
        "order",
        if multifactor { "Multifactor" } else { "Fcfs" }.into(),
    ));
    let slurmdbd = statements.iter().flat_map(|s| &s.pairs).any(|p| {
        p.is("AccountingStorageType") && p.value.eq_ignore_ascii_case("accounting_storage/slurmdbd")
    });
    let needs_slurmdbd = |key: &str| key == "PriorityWeightAge" || key == "PriorityWeightFairshare";
    if multifactor {
        for (key, field) in [
            ("PriorityWeightAge", "weight_age"),
            ("PriorityWeightFairshare", "weight_fairshare"),
            ("PriorityWeightJobSize", "weight_job_size"),
            ("PriorityWeightPartition", "weight_partition"),
            ("PriorityWeightQOS", "weight_qos"),
        ] {
            if let Some(p) = globals.get(key) {
                let weight = uint(p)?;
                // Without SlurmDBD, slurmctld zeroes the age and fair-share
                // weights ("PriorityWeightAge can only be used with
                // SlurmDBD, ignoring": priority_multifactor.c's init; seen in
                // the real runs of scripts/slurm).
                if weight > 0 && needs_slurmdbd(key) && !slurmdbd {
                    plan.notes.push(format!(
                        "{key}={weight} ({}): imported as 0, because slurmctld ignores it without AccountingStorageType=accounting_storage/slurmdbd",
                        p.key_at.short()
                    ));
                    plan.priority.push((field, "0".into()));
                    continue;
                }
                plan.priority.push((field, weight.to_string()));
            }
        }
        for (key, field) in [
            ("PriorityMaxAge", "max_age"),
            ("PriorityCalcPeriod", "calc_period"),
            ("PriorityDecayHalfLife", "decay_half_life"),
        ] {
            if let Some(p) = globals.get(key) {
                let t = time(p)?.unwrap_or(SimDuration::ZERO);
                plan.priority.push((field, quoted(t)));
            }
        }
        // slurmctld refuses a zero half-life without a reset period
        // (slurm.conf(5), PriorityDecayHalfLife: "If set to 0
        // PriorityUsageResetPeriod must be set to some interval"), and so
        // does the scenario: say so here, at the slurm.conf line.
        if let Some(p) = globals.get("PriorityDecayHalfLife")
            && time(p)?.is_none_or(|t| t.is_zero())
            && globals
                .get("PriorityUsageResetPeriod")
                .is_none_or(|r| r.value.eq_ignore_ascii_case("NONE"))
        {
            return Err(p.value_at.error(
                "PriorityDecayHalfLife=0 (no decay) without a PriorityUsageResetPeriod",
                "a half-life above 0, or PriorityUsageResetPeriod set to an interval",
                "set PriorityUsageResetPeriod (e.g. MONTHLY) or a half-life such as 7-0, as slurmctld requires",
            ));
        }
        if let Some(p) = globals.get("PriorityFavorSmall") {
            plan.priority.push(("favor_small", yes_no(p)?.to_string()));
        }
        if let Some(p) = globals.get("PriorityUsageResetPeriod") {
            let v = match p.value.to_ascii_uppercase().as_str() {
                "NONE" => "None",
                "DAILY" => "Daily",
                "WEEKLY" => "Weekly",
                "MONTHLY" => "Monthly",
                "QUARTERLY" => "Quarterly",
                "YEARLY" => "Yearly",
                "NOW" => {
                    ignore(
                        plan,
                        p,
                        "a one-off reset at slurmctld's start: the simulation starts with no usage anyway",
                    );
                    "None"
                }
                _ => {
                    return Err(p.value_at.error(
                        format!("unknown PriorityUsageResetPeriod `{}`", p.value),
                        "NONE, NOW, DAILY, WEEKLY, MONTHLY, QUARTERLY or YEARLY",
                        "use one of slurm.conf(5)'s periods",
                    ));
                }
            };
            plan.priority.push(("usage_reset", v.into()));
        }
        if let Some(p) = globals.get("PriorityFlags") {
            for flag in p.value.split(',').filter(|f| !f.is_empty()) {
                match flag.to_ascii_uppercase().as_str() {
                    "NO_FAIR_TREE" => plan.priority.push(("fairshare", "Classic".into())),
                    "FAIR_TREE" => plan.priority.push(("fairshare", "FairTree".into())),
                    "SMALL_RELATIVE_TO_TIME" => {
                        plan.priority.push(("small_relative_to_time", "true".into()))
                    }
                    other => plan.ignored.push(format!(
                        "PriorityFlags {other} ({}): not modelled by clustersim's multifactor priority",
                        p.key_at.short()
                    )),
                }
            }
        }
    } else {
        for key in [
            "PriorityWeightAge",
            "PriorityWeightFairshare",
            "PriorityWeightJobSize",
            "PriorityWeightPartition",
            "PriorityWeightQOS",
            "PriorityMaxAge",
            "PriorityCalcPeriod",
            "PriorityDecayHalfLife",
            "PriorityFavorSmall",
            "PriorityUsageResetPeriod",
            "PriorityFlags",
        ] {
            if let Some(p) = globals.get(key) {
                ignore(
                    plan,
                    p,
                    "priority/basic ignores the multifactor settings, as Slurm does",
                );
            }
        }
    }
    Ok(())
}
