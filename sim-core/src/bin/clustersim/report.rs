//! The human-readable run summary printed by `clustersim run`. Names
//! (the scenario's, its accounts', its jobs') are printed through
//! `escape_control`: any of them can come from a `--set` argument.

use std::io::{self, Write};
use std::path::Path;

use sim_core::simulation::RunResult;
use sim_core::text::escape_control;
use sim_core::units::format_duration_approx;

/// Seconds as people read them (`units::format_duration_approx`); `-`
/// for a statistic over no job.
pub(crate) fn human(secs: Option<f64>) -> String {
    secs.map_or_else(|| "-".into(), format_duration_approx)
}

/// A number rounded to a whole one, with thousands separated by commas
/// (counts, GPU-hours, dollars): `70,080`, `-1,200`.
pub(crate) fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 && digits != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// `dir`: the output directory and the files written into it.
pub fn write_text(
    out: &mut dyn Write,
    result: &RunResult,
    dir: Option<(&Path, &[&str])>,
) -> io::Result<()> {
    let s = &result.summary;
    let j = &s.jobs;
    writeln!(
        out,
        "scenario     {} (seed {})",
        escape_control(&s.scenario),
        s.seed
    )?;
    writeln!(out, "cluster      {} nodes, {} GPUs", s.nodes, s.gpus)?;
    if let Some(t) = &s.trace_import {
        writeln!(
            out,
            "trace        {}: {} records, {} replayed",
            escape_control(&t.file),
            t.records_read,
            t.kept
        )?;
        for (reason, n) in &t.dropped {
            writeln!(out, "               dropped {n}: {reason}")?;
        }
        for (what, n) in &t.altered {
            writeln!(out, "               altered {n}: {what}")?;
        }
        if !t.states.is_empty() {
            let states: Vec<String> = (t.states.iter())
                .map(|(state, n)| format!("{} {n}", escape_control(state)))
                .collect();
            writeln!(
                out,
                "               final states in the trace: {}",
                states.join(", ")
            )?;
        }
    }
    write!(
        out,
        "jobs         {} submitted: {} completed, {} killed at their limit, {} refused",
        j.submitted, j.completed, j.killed, j.refused
    )?;
    if j.preempted > 0 {
        write!(out, ", {} preempted", j.preempted)?;
    }
    if j.node_fail > 0 {
        write!(out, ", {} NODE_FAIL", j.node_fail)?;
    }
    if j.running_at_end + j.pending_at_end > 0 {
        write!(
            out,
            "; {} running and {} pending at the end",
            j.running_at_end, j.pending_at_end
        )?;
    }
    if !j.pending_reasons.is_empty() {
        let reasons: Vec<String> = (j.pending_reasons.iter())
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        write!(out, " (waiting for good: {})", reasons.join(", "))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "stopped      {} at {}",
        s.stop_reason.as_str().replace('_', " "),
        human(Some(result.end.as_secs_f64()))
    )?;
    writeln!(out, "makespan     {}", human(Some(s.makespan_s)))?;
    writeln!(
        out,
        "utilization  {:.1}% of GPU time",
        s.gpu_utilization * 100.0
    )?;
    writeln!(
        out,
        "wait         mean {}, median {}, p95 {}, max {}",
        human(s.wait_s.mean),
        human(s.wait_s.median),
        human(s.wait_s.p95),
        human(s.wait_s.max)
    )?;
    match s.bounded_slowdown_mean {
        Some(bsld) => writeln!(out, "slowdown     {bsld:.2} (bounded, tau = 10 s, mean)")?,
        None => writeln!(out, "slowdown     - (no job finished)")?,
    }
    writeln!(
        out,
        "throughput   {:.2} jobs/hour",
        s.throughput_jobs_per_hour
    )?;
    let sched = &s.scheduling;
    if sched.backfilled_jobs > 0 {
        writeln!(
            out,
            "backfill     {} jobs started ahead of a blocked job ({} cycles)",
            sched.backfilled_jobs, sched.backfill_cycles
        )?;
    }
    if sched.preemptions > 0 {
        writeln!(
            out,
            "preemption   {} jobs preempted, {} requeued, {:.1} GPU-hours of work lost",
            sched.preemptions, sched.requeues, sched.lost_gpu_hours
        )?;
    }
    if let Some(switches) = sched.multi_node_mean_leaf_switches {
        writeln!(
            out,
            "placement    multi-node jobs span {switches:.2} leaf switches on average"
        )?;
    }
    if sched.held_gpus_at_end > 0 {
        writeln!(
            out,
            "deadlock     {} GPUs held by partially placed jobs that can never complete",
            sched.held_gpus_at_end
        )?;
    }
    if let Some(f) = &s.fairness {
        // The largest consumers first; a trace can have hundreds of accounts.
        let mut accounts: Vec<_> = f.accounts.iter().collect();
        accounts.sort_by(|a, b| b.delivered_share.total_cmp(&a.delivered_share));
        const SHOWN: usize = 6;
        let mut shares: Vec<String> = accounts
            .iter()
            .take(SHOWN)
            .map(|a| {
                format!(
                    "{} {:.0}% (share {:.0}%)",
                    escape_control(&a.account),
                    a.delivered_share * 100.0,
                    a.configured_share * 100.0
                )
            })
            .collect();
        if accounts.len() > SHOWN {
            shares.push(format!("{} more in summary.json", accounts.len() - SHOWN));
        }
        writeln!(
            out,
            "fairness     GPU-hours by account: {}",
            shares.join(", ")
        )?;
        if let Some(jain) = f.jain_index {
            writeln!(
                out,
                "             Jain's index {jain:.3} over delivered/configured shares"
            )?;
        }
    }
    if !s.training.is_empty() {
        const SHOWN: usize = 12;
        let total_cost: f64 = s.training.iter().map(|t| t.cost_usd).sum();
        let total_hours: f64 = s.training.iter().map(|t| t.gpu_hours).sum();
        writeln!(
            out,
            "training     {} runs, {:.0} GPU-hours, ${:.0}; step = compute + exposed communication + bubble",
            s.training.len(),
            total_hours,
            total_cost
        )?;
        for t in s.training.iter().take(SHOWN) {
            let b = &t.breakdown;
            let comm =
                b.exposed_tp_s + b.exposed_cp_s + b.exposed_pp_s + b.exposed_dp_s + b.exposed_moe_s;
            writeln!(
                out,
                "  {:<16} {:>5} GPUs {:<14} {:>6}/{:<6} steps  step {:>7.3}s ({:.2} + {:.2} + {:.2})  MFU {:>4.1}%  {:>8.0} tok/s  ${:.0}",
                escape_control(&t.name),
                t.gpus,
                escape_control(&t.model),
                t.steps_done,
                t.steps,
                t.step_s,
                b.compute_s,
                comm,
                b.bubble_s,
                t.mfu * 100.0,
                t.tokens_per_s,
                t.cost_usd
            )?;
        }
        if s.training.len() > SHOWN {
            writeln!(
                out,
                "  ... {} more in summary.json",
                s.training.len() - SHOWN
            )?;
        }
    }
    if let Some(r) = &s.reliability {
        super::reliability::write_text(out, r)?;
    }
    if let Some(p) = &s.power {
        writeln!(
            out,
            "power        facility {:.1} MWh (IT {:.1} MWh x PUE {}), mean {:.1} kW, peak {:.1} kW, idle {:.1} kW",
            p.facility_energy_kwh / 1e3,
            p.it_energy_kwh / 1e3,
            p.pue,
            p.mean_facility_kw,
            p.peak_facility_kw,
            p.idle_facility_kw
        )?;
        if let Some(cap) = p.cap_kw {
            writeln!(
                out,
                "             cap {cap:.1} kW: {:.0} GPU-hours held idle by it, {} starts refused",
                p.cap_held_gpu_hours, p.cap_refusals
            )?;
        }
    }
    if let Some(c) = &s.cost {
        writeln!(
            out,
            "cost         ${:.0}: jobs ${:.0} + idle ${:.0}; ${:.2} per delivered GPU-hour",
            c.total_usd, c.jobs_usd, c.idle_usd, c.per_delivered_gpu_hour_usd
        )?;
        for g in &c.groups {
            writeln!(
                out,
                "  group {:<3} {:<10} {:>6} GPUs  billed {:>10.0} GPU-h  busy {:>10.0}  ${:.0}{}",
                g.group,
                g.billing,
                g.gpus,
                g.billed_gpu_hours,
                g.busy_gpu_hours,
                g.usd,
                if g.energy_usd > 0.0 {
                    format!(" (energy ${:.0})", g.energy_usd)
                } else {
                    String::new()
                }
            )?;
        }
    }
    if let Some(sh) = &s.sharing {
        writeln!(
            out,
            "sharing      {} jobs on shared GPUs; allocated {:.1}% of GPU capacity, fragmented {:.1}% ({:.1}% of the free)",
            sh.shared_jobs,
            100.0 * sh.gpu_allocation_rate,
            100.0 * sh.fragmentation_rate,
            100.0 * sh.fragmented_share_of_free
        )?;
    }
    writeln!(out, "events       {}", s.events)?;
    if let Some((dir, files)) = dir {
        let files: Vec<String> = files.iter().map(|f| super::shown(&dir.join(f))).collect();
        writeln!(out, "written      {}", files.join(", "))?;
    }
    Ok(())
}
