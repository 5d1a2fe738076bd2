//! `metrics.om`: a run's monitoring as OpenMetrics text (format 1.0), the
//! samples a Prometheus scraping NVIDIA's dcgm-exporter and a queue
//! exporter would have stored, with their simulated timestamps, so that
//! `promtool tsdb create-blocks-from openmetrics` loads them and dashboards
//! and alert rules written for a real cluster run on a simulated one.
//!
//! Per GPU ([`SeriesDetail::PerGpu`]), dcgm-exporter's names, types and
//! help texts, from its default counters (NVIDIA/dcgm-exporter,
//! `etc/default-counters.csv`):
//!
//! | family | value |
//! | --- | --- |
//! | `DCGM_FI_DEV_GPU_UTIL` (gauge, "GPU utilization (in %).") | 100 while a job holds the GPU, a shared GPU's tenants' share (fractions, MIG slices) otherwise, 0 idle |
//! | `DCGM_FI_DEV_POWER_USAGE` (gauge, "Power draw (in W).") | the GPU's share of its node's idle power plus, busy, its busy power at the job's activity (`power::GroupPower`); only when the scenario models power |
//! | `DCGM_FI_DEV_FB_USED` (gauge, "Framebuffer memory used (in MiB).") | a training job's step-report memory (its busiest pipeline rank's), a plain job's [`super::PLAIN_JOB_FB_SHARE`] of the GPU's memory (an assumption), 0 idle |
//! | `DCGM_FI_DEV_FB_FREE` (gauge, "Framebuffer memory free (in MiB).") | the GPU's memory less the used |
//!
//! with dcgm-exporter's labels `gpu` (index in its node), `UUID` (a
//! synthetic `GPU-<node>-0000-0000-0000-<gpu>` in hex), `device`
//! (`nvidia<gpu>`), `modelName` (the catalog's GPU model) and `Hostname`,
//! plus, while a job holds the GPU, the Kubernetes pod attribution labels
//! the exporter adds (`container`, `namespace`, `pod`): the job's name, its
//! account, and `<name>-<id>` (a Job's pods are named after it with a
//! suffix, and pod names are unique). A GPU of a DOWN node has no sample,
//! as an exporter that is not scraped.
//!
//! Per node ([`SeriesDetail::PerNode`], when per-GPU series would be too
//! many): `clustersim_node_gpus_busy{Hostname}` and
//! `clustersim_node_power_watts{Hostname}` (power modelled).
//!
//! The cluster, from the run's time series (the values of
//! `timeseries.csv` at the same instants): `clustersim_gpus_busy`,
//! `clustersim_gpus_idle` (in service and free: all less busy, down and
//! draining), `clustersim_gpus_down`. Per queue (label `queue`, today the
//! Slurm partition), [`QUEUE_GAUGES`]: pending and running jobs and the
//! oldest pending job's wait since its submission (0 with none pending).
//!
//! Invariants: families are written one after the other, each with its
//! `# TYPE` and `# HELP` (and `# UNIT` when its name ends in its unit)
//! before its samples; a series' samples are contiguous and in time order;
//! timestamps are exact decimal seconds of simulated time; the file ends
//! with `# EOF`; the bytes depend only on the run.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{HOLDER_DOWN, HOLDER_IDLE, Monitor, MonitorJob, QueueSample, SeriesDetail, TimeSample};
use crate::engine::exact_seconds;

/// A gauge per queue: its name, help, unit (a suffix of its name, or
/// empty) and its value in a sample at a time in nanoseconds.
pub struct QueueGauge {
    pub name: &'static str,
    pub help: &'static str,
    pub unit: &'static str,
    pub value: fn(&QueueSample, u64) -> String,
}

/// The per-queue gauges, in the order written: the one place to add one
/// (a Kueue ClusterQueue's admitted workloads or borrowed quota would be
/// rows here, with their fields in [`QueueSample`]).
pub const QUEUE_GAUGES: [QueueGauge; 3] = [
    QueueGauge {
        name: "clustersim_jobs_pending",
        help: "Jobs waiting in the queue (Slurm PENDING).",
        unit: "",
        value: |q, _| q.pending.to_string(),
    },
    QueueGauge {
        name: "clustersim_jobs_running",
        help: "Jobs of the queue holding GPUs.",
        unit: "",
        value: |q, _| q.running.to_string(),
    },
    QueueGauge {
        name: "clustersim_job_queue_oldest_wait_seconds",
        help: "How long the oldest pending job of the queue has waited since its submission (0 with none pending).",
        unit: "seconds",
        value: |q, t_ns| exact_seconds(q.oldest_submit_ns.map_or(0, |s| t_ns.saturating_sub(s))),
    },
];

/// The per-queue quota gauges, written when the queues have quotas
/// (Kueue ClusterQueues, Volcano queues), in GPUs: after Kueue's
/// `kueue_cluster_queue_resource_usage` and `kueue_cluster_queue_nominal_quota`
/// (for `resource="nvidia.com/gpu"`, summed over flavors; Volcano: the
/// queue's allocation and deserved share), and the quota borrowed from
/// the cohort (usage above nominal; 0 for Volcano).
pub const QUOTA_GAUGES: [QueueGauge; 3] = [
    QueueGauge {
        name: "clustersim_queue_quota_used_gpus",
        help: "GPUs of quota the queue's admitted workloads use (Kueue: ClusterQueue usage; Volcano: allocated).",
        unit: "",
        value: |q, _| milli(q.used_milli),
    },
    QueueGauge {
        name: "clustersim_queue_quota_gpus",
        help: "The queue's quota in GPUs (Kueue: nominal quota; Volcano: deserved share at the last session).",
        unit: "",
        value: |q, _| milli(q.quota_milli),
    },
    QueueGauge {
        name: "clustersim_queue_borrowed_gpus",
        help: "GPUs the queue borrows from its cohort (Kueue: usage above nominal quota).",
        unit: "",
        value: |q, _| milli(q.borrowed_milli),
    },
];

/// DCGM's GPU utilization for a GPU whose tenants hold `share`
/// thousandths of it, in percent: 100 for a whole GPU, a fraction's or MIG
/// slice's share (summed over tenants, at most 100) otherwise.
fn gpu_share_percent(share: u16) -> String {
    milli(u64::from(share) * 100)
}

/// Framebuffer used on a GPU of `memory_mib` whose first tenant is `job`
/// and whose tenants hold `share`: the job's own use on a whole GPU
/// ([`Monitor::fb_used_mib`]), the tenants' share of the memory on a
/// shared one (a fraction's memory is its share, as GPU-sharing
/// schedulers allot it).
fn fb_used(m: &Monitor, job: Option<&MonitorJob>, share: u16, memory_mib: u64) -> u64 {
    match job {
        None => 0,
        Some(j) if j.milli < 1000 => memory_mib * u64::from(share) / 1000,
        Some(j) => m.fb_used_mib(j, memory_mib),
    }
}

/// Writes `monitor`'s samples, and the cluster gauges from `timeseries`
/// at the same instants, as OpenMetrics text.
pub fn write_openmetrics(
    out: impl Write,
    monitor: &Monitor,
    timeseries: &[TimeSample],
    total_gpus: u64,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    let w = &mut out;
    match monitor.layout.detail {
        SeriesDetail::PerGpu => write_gpu_families(w, monitor)?,
        SeriesDetail::PerNode => write_node_families(w, monitor)?,
    }
    write_cluster_families(w, monitor, timeseries, total_gpus)?;
    write_queue_families(w, monitor)?;
    w.write_all(b"# EOF\n")?;
    out.flush()
}

fn family(out: &mut dyn Write, name: &str, help: &str, unit: &str) -> io::Result<()> {
    writeln!(out, "# TYPE {name} gauge")?;
    if !unit.is_empty() {
        writeln!(out, "# UNIT {name} {unit}")?;
    }
    writeln!(out, "# HELP {name} {}", escape_help(help))
}

/// One GPU family's value for a GPU of node group `group` held by `job`
/// (`None`: idle; on a shared GPU, its first tenant) whose tenants hold
/// `share` thousandths of it.
type GpuValue<'a> = &'a dyn Fn(&Monitor, usize, Option<&MonitorJob>, u16) -> String;

fn write_gpu_families(out: &mut dyn Write, m: &Monitor) -> io::Result<()> {
    let power = m.layout.groups.iter().all(|g| g.power.is_some()) && !m.layout.groups.is_empty();
    let memory = |m: &Monitor, group: usize| m.layout.groups[group].gpu_memory_mib;
    let util: GpuValue = &|_, _, _, share| gpu_share_percent(share);
    let watts: GpuValue = &|m, group, job, _| {
        let p = m.layout.groups[group].power.expect("power is modelled");
        milli(p.at_mw(job.map(|j| m.activity(j))))
    };
    let used: GpuValue =
        &|m, group, job, share| fb_used(m, job, share, memory(m, group)).to_string();
    let free: GpuValue = &|m, group, job, share| {
        let total = memory(m, group);
        (total - fb_used(m, job, share, total)).to_string()
    };
    let families: [(&str, &str, GpuValue, bool); 4] = [
        (
            "DCGM_FI_DEV_GPU_UTIL",
            "GPU utilization (in %).",
            util,
            true,
        ),
        (
            "DCGM_FI_DEV_POWER_USAGE",
            "Power draw (in W).",
            watts,
            power,
        ),
        (
            "DCGM_FI_DEV_FB_USED",
            "Framebuffer memory used (in MiB).",
            used,
            true,
        ),
        (
            "DCGM_FI_DEV_FB_FREE",
            "Framebuffer memory free (in MiB).",
            free,
            true,
        ),
    ];
    let width = m.unit_width();
    for (name, help, value, on) in families {
        if !on {
            continue;
        }
        family(out, name, help, "")?;
        for (n, node) in m.layout.nodes.iter().enumerate() {
            for gpu in 0..node.gpus as usize {
                let flat = m.first_gpu(n) + gpu;
                // The GPU's series, by holder in order of first appearance.
                let mut order: BTreeMap<u32, usize> = BTreeMap::new();
                let mut series: Vec<(u32, Vec<usize>)> = Vec::new();
                for k in 0..m.times.len() {
                    let holder = m.units[k * width + flat];
                    if holder == HOLDER_DOWN {
                        continue;
                    }
                    let at = *order.entry(holder).or_insert_with(|| {
                        series.push((holder, Vec::new()));
                        series.len() - 1
                    });
                    series[at].1.push(k);
                }
                for (holder, samples) in series {
                    let job = (holder != HOLDER_IDLE).then(|| &m.jobs[holder as usize - 1]);
                    let labels = gpu_labels(m, n, gpu, holder, job);
                    for k in samples {
                        let v = value(m, node.group as usize, job, m.shares[k * width + flat]);
                        writeln!(out, "{name}{{{labels}}} {v} {}", exact_seconds(m.times[k]))?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn gpu_labels(
    m: &Monitor,
    node: usize,
    gpu: usize,
    holder: u32,
    job: Option<&MonitorJob>,
) -> String {
    let spec = &m.layout.nodes[node];
    let mut labels = format!(
        "gpu=\"{gpu}\",UUID=\"GPU-{node:08x}-0000-0000-0000-{gpu:012x}\",device=\"nvidia{gpu}\",modelName=\"{}\",Hostname=\"{}\"",
        escape_label(&m.layout.groups[spec.group as usize].gpu_model),
        escape_label(&spec.hostname),
    );
    if let Some(job) = job {
        let name = escape_label(&m.names[job.name as usize]);
        labels.push_str(&format!(
            ",container=\"{name}\",namespace=\"{}\",pod=\"{name}-{holder}\"",
            escape_label(&m.names[job.account as usize]),
        ));
    }
    labels
}

fn write_node_families(out: &mut dyn Write, m: &Monitor) -> io::Result<()> {
    let width = m.unit_width();
    let power = m.layout.groups.iter().all(|g| g.power.is_some()) && !m.layout.groups.is_empty();
    let families: [(&str, &str, &str, bool); 2] = [
        (
            "clustersim_node_gpus_busy",
            "GPUs of the node a job holds.",
            "",
            true,
        ),
        (
            "clustersim_node_power_watts",
            "What the node draws: its idle power plus its busy GPUs' power at their jobs' activity.",
            "watts",
            power,
        ),
    ];
    for (f, (name, help, unit, on)) in families.into_iter().enumerate() {
        if !on {
            continue;
        }
        family(out, name, help, unit)?;
        for (n, node) in m.layout.nodes.iter().enumerate() {
            let labels = format!("Hostname=\"{}\"", escape_label(&node.hostname));
            for (k, &t) in m.times.iter().enumerate() {
                let (busy, busy_mw) = (m.units[k * width + 2 * n], m.units[k * width + 2 * n + 1]);
                if busy == HOLDER_DOWN {
                    continue;
                }
                let v = if f == 0 {
                    busy.to_string()
                } else {
                    let p = m.layout.groups[node.group as usize].power.expect("power");
                    let idle = (p.idle_share_mw * f64::from(node.gpus)).round() as u64;
                    milli(idle + u64::from(busy_mw))
                };
                writeln!(out, "{name}{{{labels}}} {v} {}", exact_seconds(t))?;
            }
        }
    }
    Ok(())
}

fn write_cluster_families(
    out: &mut dyn Write,
    m: &Monitor,
    timeseries: &[TimeSample],
    total_gpus: u64,
) -> io::Result<()> {
    type ClusterValue = fn(&TimeSample, u64) -> u64;
    let families: [(&str, &str, ClusterValue); 3] = [
        ("clustersim_gpus_busy", "GPUs a job holds.", |s, _| {
            s.busy_gpus
        }),
        (
            "clustersim_gpus_idle",
            "GPUs in service and free (not busy, down or draining).",
            |s, total| {
                total
                    .saturating_sub(s.busy_gpus)
                    .saturating_sub(s.down_gpus)
                    .saturating_sub(s.draining_gpus)
            },
        ),
        ("clustersim_gpus_down", "GPUs on DOWN nodes.", |s, _| {
            s.down_gpus
        }),
    ];
    for (name, help, value) in families {
        family(out, name, help, "")?;
        for &t in &m.times {
            // Every monitor instant is a time-series instant (see monitor.rs).
            if let Ok(k) = timeseries.binary_search_by_key(&t, |s| s.time.as_ns()) {
                let v = value(&timeseries[k], total_gpus);
                writeln!(out, "{name} {v} {}", exact_seconds(t))?;
            }
        }
    }
    Ok(())
}

fn write_queue_families(out: &mut dyn Write, m: &Monitor) -> io::Result<()> {
    let queues = m.layout.queues.len().max(1);
    let quotas: &[QueueGauge] = if m.layout.quotas { &QUOTA_GAUGES } else { &[] };
    for gauge in QUEUE_GAUGES.iter().chain(quotas) {
        family(out, gauge.name, gauge.help, gauge.unit)?;
        for q in 0..queues {
            let name = m.layout.queues.get(q).map_or("default", String::as_str);
            let labels = format!("queue=\"{}\"", escape_label(name));
            for (k, &t) in m.times.iter().enumerate() {
                let v = (gauge.value)(&m.queues[k * queues + q], t);
                writeln!(out, "{}{{{labels}}} {v} {}", gauge.name, exact_seconds(t))?;
            }
        }
    }
    Ok(())
}

/// Thousandths as an exact decimal (`700`, `87.5`): milliwatts as watts,
/// thousandths of a GPU as GPUs.
fn milli(mw: u64) -> String {
    let (int, frac) = (mw / 1_000, mw % 1_000);
    if frac == 0 {
        return int.to_string();
    }
    format!("{int}.{}", format!("{frac:03}").trim_end_matches('0'))
}

/// A label value as OpenMetrics quotes it: backslash, double quote and
/// newline escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(value: &str) -> String {
    escape_label(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watts_and_labels_are_written_exactly() {
        assert_eq!(milli(700_000), "700");
        assert_eq!(milli(87_500), "87.5");
        assert_eq!(milli(1), "0.001");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
