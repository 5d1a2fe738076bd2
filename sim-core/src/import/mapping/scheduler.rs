//! The scheduler's globals to the plan's scheduler: `SchedulerType` and
//! its `SchedulerParameters`, preemption (`PreemptType`, `PreemptMode`),
//! `EnforcePartLimits`, and a note on a `GresTypes` without `gpu`.
//!
//! Invariants: sched/backfill, Slurm's default, imports as the
//! Slurm-faithful backfill ([`SLURM_BACKFILL`]); with sched/builtin every
//! backfill option is left out.

use super::{EnforcePartLimits, Globals, Plan, SLURM_BACKFILL, keys, quoted};
use crate::engine::SimDuration;
use crate::text::FileError;

/// The scheduler's settings to `plan.scheduler` and
/// `plan.enforce_part_limits`.
pub(super) fn map(plan: &mut Plan, globals: &Globals) -> Result<(), FileError> {
    let backfill = match globals.get("SchedulerType") {
        None => true,
        Some(p) => match p.value.to_ascii_lowercase().as_str() {
            "sched/backfill" => true,
            "sched/builtin" => false,
            _ => {
                return Err(p.value_at.error(
                    format!("unknown SchedulerType `{}`", p.value),
                    "sched/backfill or sched/builtin",
                    "use one of Slurm's scheduler plugins",
                ));
            }
        },
    };
    plan.scheduler.push((
        "backfill",
        if backfill { SLURM_BACKFILL } else { "None" }.into(),
    ));
    if let Some(p) = globals.get("SchedulerParameters") {
        let mut offset = 0;
        for option in p.value.split(',') {
            let here = p.value_at.within(offset, option.len());
            offset += option.len() + 1;
            let (key, value) = option.split_once('=').unwrap_or((option, ""));
            let number = || {
                value.parse::<u32>().map_err(|_| {
                    here.error(
                        format!("`{option}` needs a whole number"),
                        format!("{key}=N"),
                        "fix the number",
                    )
                })
            };
            let key_lower = key.to_ascii_lowercase();
            if !keys::SCHEDULER_PARAMETERS.contains(&key_lower.as_str()) || !backfill {
                plan.ignored.push(format!(
                    "SchedulerParameters {option} ({}): {}",
                    p.key_at.short(),
                    if backfill {
                        "a SchedulerParameters option clustersim does not model"
                    } else {
                        "no backfill with sched/builtin"
                    }
                ));
                continue;
            }
            match key_lower.as_str() {
                "bf_interval" => plan.scheduler.push((
                    "bf_interval",
                    quoted(SimDuration::from_secs(u64::from(number()?))),
                )),
                "bf_window" => plan.scheduler.push((
                    "bf_window",
                    quoted(SimDuration::from_secs(60 * u64::from(number()?))),
                )),
                "bf_resolution" => plan.scheduler.push((
                    "bf_resolution",
                    quoted(SimDuration::from_secs(u64::from(number()?))),
                )),
                "bf_max_job_test" => plan
                    .scheduler
                    .push(("bf_max_job_test", number()?.to_string())),
                // Seconds, like bf_interval (slurm.conf(5)).
                "sched_interval" => plan.scheduler.push((
                    "sched_interval",
                    quoted(SimDuration::from_secs(u64::from(number()?))),
                )),
                _ => plan.scheduler.push(("bf_continue", "true".into())),
            }
        }
    }
    if let Some(p) = globals.get("PreemptType") {
        let v = match p.value.to_ascii_lowercase().as_str() {
            "preempt/none" => "None",
            "preempt/qos" => "Qos",
            "preempt/partition_prio" => "PartitionPriority",
            _ => {
                return Err(p.value_at.error(
                    format!("unknown PreemptType `{}`", p.value),
                    "preempt/none, preempt/qos or preempt/partition_prio",
                    "use one of Slurm's preemption plugins",
                ));
            }
        };
        plan.scheduler.push(("preempt_type", v.into()));
    }
    if let Some(p) = globals.get("PreemptMode") {
        for mode in p.value.split(',') {
            match mode.to_ascii_uppercase().as_str() {
                "CANCEL" => plan.scheduler.push(("preempt_mode", "Cancel".into())),
                "REQUEUE" => plan.scheduler.push(("preempt_mode", "Requeue".into())),
                "OFF" => {
                    plan.scheduler.retain(|(k, _)| *k != "preempt_type");
                    plan.scheduler.push(("preempt_type", "None".into()));
                }
                other => plan.notes.push(format!(
                    "PreemptMode {other} ({}): not modelled; preempted jobs are requeued",
                    p.key_at.short()
                )),
            }
        }
    }
    if let Some(p) = globals.get("EnforcePartLimits") {
        plan.enforce_part_limits = match p.value.to_ascii_uppercase().as_str() {
            "NO" => EnforcePartLimits::No,
            "ANY" => EnforcePartLimits::Any,
            "ALL" | "YES" => EnforcePartLimits::All,
            _ => {
                return Err(p.value_at.error(
                    format!("unknown EnforcePartLimits `{}`", p.value),
                    "NO, ANY, ALL (or YES, which is ALL)",
                    "use one of slurm.conf(5)'s values",
                ));
            }
        };
    }
    if let Some(p) = globals.get("GresTypes")
        && !p.value.split(',').any(|t| t.eq_ignore_ascii_case("gpu"))
    {
        plan.notes.push(format!(
            "GresTypes={} ({}): has no `gpu`, yet the nodes' GPU Gres were read",
            p.value,
            p.key_at.short()
        ));
    }
    Ok(())
}
