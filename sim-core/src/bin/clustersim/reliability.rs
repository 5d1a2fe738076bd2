//! The reliability part of `clustersim run`'s report: failures by class
//! (a table to read next to a fleet's published one, such as Table 5 of
//! the Llama 3 paper), what they cost, node availability, and each
//! training job's ETTR.

use std::io::{self, Write};

use sim_core::metrics::ReliabilitySummary;
use sim_core::text::escape_control;

use super::report::{grouped, human};
use super::table::{Align, Table};

pub fn write_text(out: &mut dyn Write, r: &ReliabilitySummary) -> io::Result<()> {
    writeln!(
        out,
        "failures     {} unexpected ({:.2} per 1,000 node-days); {} job interruptions ({:.3} per started job): {} requeued, {} on hot spares, {} NODE_FAIL",
        r.failures,
        r.failures_per_1000_node_days,
        r.interruptions,
        r.interruptions_per_job,
        r.requeues,
        r.spare_swaps,
        r.node_fail_jobs
    )?;
    let mut table = Table::new(&[
        ("  class", Align::Left),
        ("strikes", Align::Left),
        ("failures", Align::Right),
        ("per 1k node-days", Align::Right),
        ("interruptions", Align::Right),
    ]);
    let mut classes: Vec<_> = r.classes.iter().collect();
    // The most frequent first, as published tables list them.
    classes.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.class.cmp(&b.class)));
    for c in classes {
        table.row([
            format!("  {}", c.class),
            c.strikes.to_string(),
            c.failures.to_string(),
            format!("{:.3}", c.per_1000_node_days),
            c.interruptions.to_string(),
        ]);
    }
    table.write(out)?;
    let l = &r.lost_gpu_hours;
    writeln!(
        out,
        "lost         {} GPU-hours: rework {}, restart {}, checkpoints {}, waiting to be requeued {}",
        grouped(l.total),
        grouped(l.rework),
        grouped(l.restart),
        grouped(l.checkpoint),
        grouped(l.requeue_wait)
    )?;
    writeln!(
        out,
        "nodes        availability {:.3}%, {} repairs, mean time to repair {}, {} drained by the drain rule",
        r.node_availability * 100.0,
        r.repairs,
        human(r.mean_time_to_repair_h.map(|h| h * 3600.0)),
        r.drained_nodes
    )?;
    for t in &r.training {
        let ettr = t
            .ettr
            .map_or("-".to_string(), |e| format!("{:.1}%", e * 100.0));
        let goodput = t
            .goodput_tokens_per_s
            .map_or("-".to_string(), |g| format!("{} tok/s", grouped(g)));
        writeln!(
            out,
            "  {:<16} ETTR {ettr}, {} interruptions, {} checkpoints every {}, goodput {goodput}",
            escape_control(&t.name),
            t.interruptions,
            t.checkpoints,
            human(t.checkpoint_interval_s)
        )?;
    }
    Ok(())
}
