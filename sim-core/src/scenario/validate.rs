//! Checks a parsed scenario file and converts it into model types.
//!
//! Every rule lives here, next to the conversion it guards, and reports an
//! [`Issue`] at the path of the offending value, saying what was found,
//! what was expected and how to fix it. All issues are collected, so a user
//! fixes a file in one round rather than one error at a time.
//!
//! Rules beyond what types already enforce:
//! - counts, GPU numbers, durations that divide or bound time are > 0;
//! - model names exist in the catalog (with a did-you-mean);
//! - names that label things (node groups, generators) are unique;
//! - an explicit job that can never fit on the cluster is an error: it
//!   was written by hand for this cluster. A generator size that can never
//!   fit is a warning: those jobs are refused and counted at run time,
//!   which keeps a workload usable across cluster sizes in a sweep;
//! - floats are finite, weights non-negative with a positive sum;
//! - absurd magnitudes (a billion nodes, sigma of 50) are refused with the
//!   limit, because they are typos, not experiments.

mod network;
mod scheduling;
mod training;

pub(super) use training::convert_model;

use super::file::{self, HumanDuration};
use super::spans::{field_path, index_path};
use super::{OutputConfig, Scenario, did_you_mean};
use crate::engine::{SimDuration, SimTime, StopCondition};
use crate::hardware::{Catalog, Cluster, GpuModel, MAX_GPUS_PER_NODE, NodeGroup, NodeModel};
use crate::scheduler::{GpuPool, SchedulerConfig};
use crate::workload::{
    Arrival, Directory, DurationDist, GeneratorSpec, JobRequest, SubmittedJob, WeightedUser,
    WorkloadSpec,
};

/// Largest node count per group; more is surely a typo.
pub const MAX_NODES_PER_GROUP: u32 = 1_000_000;
/// Largest number of jobs a generator may produce.
pub const MAX_JOBS_PER_GENERATOR: u64 = 100_000_000;
/// Largest log-normal sigma: beyond this a few jobs run for centuries.
pub const MAX_LOGNORMAL_SIGMA: f64 = 5.0;

/// A problem at a path.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub path: String,
    pub message: String,
    pub found: Option<String>,
    pub expected: Option<String>,
    pub fix: Option<String>,
}

#[derive(Default)]
struct Issues {
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Issues {
    fn error(
        &mut self,
        path: &str,
        message: impl Into<String>,
        found: impl Into<String>,
        expected: &str,
        fix: impl Into<String>,
    ) {
        self.errors.push(Issue {
            path: path.to_string(),
            message: message.into(),
            found: Some(found.into()),
            expected: Some(expected.to_string()),
            fix: Some(fix.into()),
        });
    }

    fn warning(&mut self, path: &str, message: impl Into<String>, fix: impl Into<String>) {
        self.warnings.push(Issue {
            path: path.to_string(),
            message: message.into(),
            found: None,
            expected: None,
            fix: Some(fix.into()),
        });
    }

    /// `value >= 1`, else an error naming `what`.
    fn positive_u32(&mut self, path: &str, value: u32, what: &str, fix: &str) -> bool {
        if value == 0 {
            self.error(
                path,
                format!("{what} must be at least 1"),
                "0",
                &format!("{what} of 1 or more"),
                fix,
            );
            false
        } else {
            true
        }
    }

    fn positive_duration(
        &mut self,
        path: &str,
        value: HumanDuration,
        what: &str,
        fix: &str,
    ) -> bool {
        if value.0.is_zero() {
            self.error(
                path,
                format!("{what} must be longer than zero"),
                format!("\"{value}\""),
                &format!("{what} above zero"),
                fix,
            );
            false
        } else {
            true
        }
    }

    /// Weights: finite, >= 0, positive sum.
    fn weights(&mut self, path: &str, weights: impl Iterator<Item = (String, f64)>) -> bool {
        let mut ok = true;
        let mut sum = 0.0;
        let mut any = false;
        for (p, w) in weights {
            any = true;
            if !w.is_finite() || w < 0.0 {
                self.error(
                    &p,
                    "a weight must be a finite number of zero or more",
                    w.to_string(),
                    "a weight >= 0",
                    "use a non-negative number; weights are relative",
                );
                ok = false;
            } else {
                sum += w;
            }
        }
        if ok && any && sum <= 0.0 {
            self.error(
                path,
                "the weights add up to zero",
                "all weights 0",
                "at least one positive weight",
                "give at least one entry a positive weight",
            );
            ok = false;
        }
        ok
    }
}

/// Converts a parsed file into a [`Scenario`], or lists all its problems.
/// `base_dir` is where relative paths in the file (a trace) start from.
pub fn convert(
    f: file::Scenario,
    base_dir: &std::path::Path,
) -> Result<(Scenario, Vec<Issue>), Vec<Issue>> {
    let mut issues = Issues::default();
    if let Some(version) = f.version.filter(|&v| v != file::SCHEMA_VERSION) {
        issues.error(
            "version",
            "unsupported schema version",
            version.to_string(),
            "version: 1",
            "this build reads schema version 1; remove `version` or set it to 1",
        );
    }
    if f.name.trim().is_empty() {
        issues.error(
            "name",
            "the scenario needs a name",
            "\"\"",
            "a short name",
            "name it, e.g. name: \"my-study\"; outputs carry it",
        );
    }

    let catalog = build_catalog(f.catalog.unwrap_or_default(), &mut issues);
    let cluster = build_cluster(&f.cluster, &catalog, &mut issues);
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
    let stop = build_stop(f.stop.unwrap_or_default(), &mut issues);
    let outputs = build_outputs(f.outputs.unwrap_or_default(), &mut issues);
    // Without a valid cluster the workload is still checked, minus the
    // "does it fit" rules, so that all mistakes are reported in one go.
    let pool = cluster.as_ref().map(GpuPool::new);
    let workload = build_workload(
        &f.workload,
        cluster.as_ref(),
        pool.as_ref(),
        &scheduler,
        base_dir,
        &mut issues,
    );

    match cluster {
        Some(cluster) if issues.errors.is_empty() => Ok((
            Scenario {
                name: f.name,
                description: f.description,
                seed: f.seed,
                catalog,
                cluster,
                network,
                workload,
                scheduler,
                stop,
                outputs,
            },
            issues.warnings,
        )),
        _ => Err(issues.errors),
    }
}

fn build_catalog(additions: file::CatalogAdditions, issues: &mut Issues) -> Catalog {
    let mut catalog = Catalog::builtin();
    for (i, entry) in additions.gpus.into_iter().enumerate() {
        let path = index_path("catalog.gpus", i);
        if let Some(model) = gpu_from_entry(&path, entry, &catalog, issues) {
            catalog.upsert_gpu(model);
        }
    }
    for (i, entry) in additions.nodes.into_iter().enumerate() {
        let path = index_path("catalog.nodes", i);
        if let Some(model) = node_from_entry(&path, entry, &catalog, issues) {
            catalog.upsert_node(model);
        }
    }
    catalog
}

fn check_tflops(path: &str, field: &str, value: Option<f64>, issues: &mut Issues) {
    if let Some(v) = value.filter(|v| !v.is_finite() || *v <= 0.0) {
        issues.error(
            &field_path(path, field),
            "peak throughput must be a positive number of TFLOPS",
            v.to_string(),
            "TFLOPS > 0",
            "give the dense peak from the datasheet, or leave the field out",
        );
    }
}

fn gpu_from_entry(
    path: &str,
    e: file::GpuEntry,
    catalog: &Catalog,
    issues: &mut Issues,
) -> Option<GpuModel> {
    for (field, value) in [
        ("fp64_tflops", e.fp64_tflops),
        ("tf32_tflops", e.tf32_tflops),
        ("bf16_tflops", e.bf16_tflops),
        ("fp8_tflops", e.fp8_tflops),
    ] {
        check_tflops(path, field, value, issues);
    }
    if e.tdp_watts == Some(0) {
        issues.error(
            &field_path(path, "tdp_watts"),
            "TDP must be above zero",
            "0",
            "watts > 0",
            "give the board power from the datasheet",
        );
    }
    if e.memory.is_some_and(|m| m.as_u64() == 0) {
        issues.error(
            &field_path(path, "memory"),
            "GPU memory must be above zero",
            "0B",
            "a size like \"80GiB\"",
            "give the memory size from the datasheet",
        );
    }
    if let Some(v) = e
        .matmul_efficiency
        .filter(|v| !v.is_finite() || *v <= 0.0 || *v > 1.0)
    {
        issues.error(
            &field_path(path, "matmul_efficiency"),
            "matmul efficiency must be a fraction of peak in (0, 1]",
            v.to_string(),
            "a number like 0.6",
            "give the sustained fraction of dense peak, or leave the field out",
        );
    }
    if let Some(base) = catalog.gpu(&e.name) {
        let b = base.clone();
        return Some(GpuModel {
            name: e.name,
            description: e.description.unwrap_or(b.description),
            fp64_tflops: e.fp64_tflops.or(b.fp64_tflops),
            tf32_tflops: e.tf32_tflops.or(b.tf32_tflops),
            bf16_tflops: e.bf16_tflops.or(b.bf16_tflops),
            fp8_tflops: e.fp8_tflops.or(b.fp8_tflops),
            memory: e.memory.unwrap_or(b.memory),
            memory_bandwidth: e.memory_bandwidth.unwrap_or(b.memory_bandwidth),
            nvlink_bandwidth: e.nvlink_bandwidth.or(b.nvlink_bandwidth),
            tdp_watts: e.tdp_watts.unwrap_or(b.tdp_watts),
            price_per_gpu_hour: e.price_per_gpu_hour.unwrap_or(b.price_per_gpu_hour),
            matmul_efficiency: e.matmul_efficiency.unwrap_or(b.matmul_efficiency),
        });
    }
    let missing: Vec<&str> = [
        ("memory", e.memory.is_none()),
        ("memory_bandwidth", e.memory_bandwidth.is_none()),
        ("tdp_watts", e.tdp_watts.is_none()),
        ("price_per_gpu_hour", e.price_per_gpu_hour.is_none()),
    ]
    .into_iter()
    .filter_map(|(f, m)| m.then_some(f))
    .collect();
    if !missing.is_empty() {
        let hint = did_you_mean(&e.name, catalog.gpu_names())
            .map(|s| format!(" (to amend the built-in `{s}`, use its exact name)"))
            .unwrap_or_default();
        issues.error(
            path,
            format!("new GPU model `{}` lacks {}", e.name, missing.join(", ")),
            format!("`{}` is not in the built-in catalog", e.name),
            "all of memory, memory_bandwidth, tdp_watts, price_per_gpu_hour for a new model",
            format!("add the missing fields{hint}"),
        );
        return None;
    }
    Some(GpuModel {
        description: e.description.unwrap_or_else(|| e.name.clone()),
        name: e.name,
        fp64_tflops: e.fp64_tflops,
        tf32_tflops: e.tf32_tflops,
        bf16_tflops: e.bf16_tflops,
        fp8_tflops: e.fp8_tflops,
        memory: e.memory?,
        memory_bandwidth: e.memory_bandwidth?,
        nvlink_bandwidth: e.nvlink_bandwidth,
        tdp_watts: e.tdp_watts?,
        price_per_gpu_hour: e.price_per_gpu_hour?,
        matmul_efficiency: e
            .matmul_efficiency
            .unwrap_or(crate::hardware::DEFAULT_MATMUL_EFFICIENCY),
    })
}

fn node_from_entry(
    path: &str,
    e: file::NodeEntry,
    catalog: &Catalog,
    issues: &mut Issues,
) -> Option<NodeModel> {
    let mut ok = true;
    if let Some(gpu) = &e.gpu_model
        && catalog.gpu(gpu).is_none()
    {
        unknown_gpu(&field_path(path, "gpu_model"), gpu, catalog, issues);
        ok = false;
    }
    if let Some(n) = e.gpus_per_node {
        ok &= gpus_per_node_in_range(&field_path(path, "gpus_per_node"), n, issues);
    }
    if e.max_power_watts == Some(0) {
        issues.error(
            &field_path(path, "max_power_watts"),
            "maximum power must be above zero",
            "0",
            "watts > 0",
            "give the system's maximum power from its datasheet",
        );
        ok = false;
    }
    if let Some(base) = catalog.node(&e.name) {
        let b = base.clone();
        return ok.then(|| NodeModel {
            name: e.name,
            description: e.description.unwrap_or(b.description),
            gpu_model: e.gpu_model.unwrap_or(b.gpu_model),
            gpus_per_node: e.gpus_per_node.unwrap_or(b.gpus_per_node),
            compute_nics: e.compute_nics.unwrap_or(b.compute_nics),
            nic_bandwidth: e.nic_bandwidth.unwrap_or(b.nic_bandwidth),
            cpu_cores: e.cpu_cores.unwrap_or(b.cpu_cores),
            host_memory: e.host_memory.unwrap_or(b.host_memory),
            max_power_watts: e.max_power_watts.unwrap_or(b.max_power_watts),
            purchase_price: e.purchase_price.or(b.purchase_price),
        });
    }
    let missing: Vec<&str> = [
        ("gpu_model", e.gpu_model.is_none()),
        ("gpus_per_node", e.gpus_per_node.is_none()),
        ("compute_nics", e.compute_nics.is_none()),
        ("nic_bandwidth", e.nic_bandwidth.is_none()),
        ("max_power_watts", e.max_power_watts.is_none()),
    ]
    .into_iter()
    .filter_map(|(f, m)| m.then_some(f))
    .collect();
    if !missing.is_empty() {
        let hint = did_you_mean(&e.name, catalog.node_names())
            .map(|s| format!(" (to amend the built-in `{s}`, use its exact name)"))
            .unwrap_or_default();
        issues.error(path, format!("new node model `{}` lacks {}", e.name, missing.join(", ")), format!("`{}` is not in the built-in catalog", e.name), "gpu_model, gpus_per_node, compute_nics, nic_bandwidth and max_power_watts for a new model", format!("add the missing fields{hint}"));
        return None;
    }
    ok.then(|| NodeModel {
        description: e.description.unwrap_or_else(|| e.name.clone()),
        name: e.name,
        gpu_model: e.gpu_model.unwrap_or_default(),
        gpus_per_node: e.gpus_per_node.unwrap_or_default(),
        compute_nics: e.compute_nics.unwrap_or_default(),
        nic_bandwidth: e.nic_bandwidth.unwrap_or_default(),
        cpu_cores: e.cpu_cores.unwrap_or(0),
        host_memory: e.host_memory.unwrap_or_default(),
        max_power_watts: e.max_power_watts.unwrap_or_default(),
        purchase_price: e.purchase_price,
    })
}

fn unknown_gpu(path: &str, name: &str, catalog: &Catalog, issues: &mut Issues) {
    let known: Vec<&str> = catalog.gpu_names().collect();
    let fix = match did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? (`clustersim catalog` lists all models)"),
        None => "use a model from `clustersim catalog`, or define it under catalog.gpus".into(),
    };
    issues.error(
        path,
        format!("unknown GPU model `{name}`"),
        format!("`{name}`"),
        &format!("one of {}", known.join(", ")),
        fix,
    );
}

fn gpus_per_node_in_range(path: &str, n: u32, issues: &mut Issues) -> bool {
    if n == 0 || n > MAX_GPUS_PER_NODE {
        issues.error(
            path,
            format!("a node must have between 1 and {MAX_GPUS_PER_NODE} GPUs"),
            n.to_string(),
            &format!("1..={MAX_GPUS_PER_NODE}"),
            "give the number of GPUs in one node (8 on HGX/DGX systems)",
        );
        false
    } else {
        true
    }
}

fn valid_label(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn build_cluster(c: &file::Cluster, catalog: &Catalog, issues: &mut Issues) -> Option<Cluster> {
    if c.node_groups.is_empty() {
        issues.error(
            "cluster.node_groups",
            "the cluster has no nodes",
            "[]",
            "at least one node group",
            "add a group, e.g. (name: \"dgx\", count: 4, node_model: \"DGX-H100\")",
        );
        return None;
    }
    let mut groups = Vec::new();
    let mut ok = true;
    for (i, g) in c.node_groups.iter().enumerate() {
        let path = index_path("cluster.node_groups", i);
        if !valid_label(&g.name) {
            issues.error(
                &field_path(&path, "name"),
                "a node group name must be letters, digits, `-` or `_`",
                format!("\"{}\"", g.name),
                "a name like \"dgx\" or \"gpu-a\"",
                "rename the group; node names are built from it",
            );
            ok = false;
        } else if c.node_groups[..i].iter().any(|other| other.name == g.name) {
            issues.error(
                &field_path(&path, "name"),
                format!("two node groups are named `{}`", g.name),
                format!("\"{}\"", g.name),
                "unique group names",
                "rename one of them; node names would collide",
            );
            ok = false;
        }
        ok &= issues.positive_u32(
            &field_path(&path, "count"),
            g.count,
            "a node count",
            "set count to the number of nodes in this group, or delete the group",
        );
        if g.count > MAX_NODES_PER_GROUP {
            issues.error(
                &field_path(&path, "count"),
                format!("more than {MAX_NODES_PER_GROUP} nodes in one group"),
                g.count.to_string(),
                "a plausible cluster size",
                "check for a typo; split truly huge clusters into groups",
            );
            ok = false;
        }
        let Some(node_model) = catalog.node(&g.node_model) else {
            let known: Vec<&str> = catalog.node_names().collect();
            let fix = match did_you_mean(&g.node_model, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? (`clustersim catalog` lists all models)"),
                None => {
                    "use a model from `clustersim catalog`, or define it under catalog.nodes".into()
                }
            };
            issues.error(
                &field_path(&path, "node_model"),
                format!("unknown node model `{}`", g.node_model),
                format!("`{}`", g.node_model),
                &format!("one of {}", known.join(", ")),
                fix,
            );
            ok = false;
            continue;
        };
        let gpu_name = g
            .gpu_model
            .clone()
            .unwrap_or_else(|| node_model.gpu_model.clone());
        let Some(gpu_model) = catalog.gpu(&gpu_name) else {
            let at = if g.gpu_model.is_some() {
                field_path(&path, "gpu_model")
            } else {
                field_path(&path, "node_model")
            };
            unknown_gpu(&at, &gpu_name, catalog, issues);
            ok = false;
            continue;
        };
        let gpus_per_node = g.gpus_per_node.unwrap_or(node_model.gpus_per_node);
        ok &= gpus_per_node_in_range(&field_path(&path, "gpus_per_node"), gpus_per_node, issues);
        groups.push(NodeGroup {
            name: g.name.clone(),
            node_model: node_model.clone(),
            gpu_model: gpu_model.clone(),
            gpus_per_node,
            first_node: 0,
            node_count: g.count,
        });
    }
    ok.then(|| Cluster::from_groups(groups))
}

fn build_stop(s: file::Stop, issues: &mut Issues) -> StopCondition {
    if let Some(h) = s.horizon {
        issues.positive_duration("stop.horizon", h, "the horizon", "give the simulated time to stop at, like \"30d\", or remove it to run until all work is done");
    }
    if s.max_events == Some(0) {
        issues.error(
            "stop.max_events",
            "an event budget of zero would run nothing",
            "0",
            "max_events of 1 or more",
            "raise it, or remove it to run until all work is done",
        );
    }
    StopCondition {
        horizon: s.horizon.map(|h| SimTime::ZERO + h.0),
        max_events: s.max_events,
    }
}

fn build_outputs(o: file::Outputs, issues: &mut Issues) -> OutputConfig {
    let mut out = OutputConfig::default();
    if let Some(interval) = o.timeseries_interval
        && issues.positive_duration(
            "outputs.timeseries_interval",
            interval,
            "the sampling interval",
            "use an interval like \"1m\" or \"1h\"",
        )
    {
        out.timeseries_interval = interval.0;
    }
    out
}

/// Checks a request's shape; `None` if it is malformed.
fn check_request(path: &str, request: file::Request, issues: &mut Issues) -> Option<JobRequest> {
    match request {
        file::Request::Gpus(n) => issues
            .positive_u32(
                &index_path(path, 0),
                n,
                "a GPU count",
                "ask for at least one GPU, e.g. Gpus(8)",
            )
            .then_some(JobRequest::Gpus(n)),
        file::Request::Nodes {
            count,
            gpus_per_node,
        } => {
            let a = issues.positive_u32(
                &field_path(path, "count"),
                count,
                "a node count",
                "ask for at least one node",
            );
            let b = issues.positive_u32(
                &field_path(path, "gpus_per_node"),
                gpus_per_node,
                "GPUs per node",
                "ask for at least one GPU per node",
            );
            (a && b).then_some(JobRequest::Nodes {
                count,
                gpus_per_node,
            })
        }
    }
}

/// Partition and QOS names, for job lookups.
struct Names<'a> {
    partitions: Vec<&'a str>,
    qos: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn of(config: &'a SchedulerConfig) -> Self {
        Names {
            partitions: config.partitions.iter().map(|p| p.name.as_str()).collect(),
            qos: config.qos.iter().map(|q| q.name.as_str()).collect(),
        }
    }

    fn resolve(
        &self,
        path: &str,
        partition: Option<&str>,
        qos: Option<&str>,
        issues: &mut Issues,
    ) -> Option<(u16, u16)> {
        let p = scheduling::lookup(
            &field_path(path, "partition"),
            "partition",
            partition,
            &self.partitions,
            issues,
        );
        let q = scheduling::lookup(&field_path(path, "qos"), "qos", qos, &self.qos, issues);
        Some((p?, q?))
    }
}

fn build_workload(
    w: &file::Workload,
    cluster: Option<&Cluster>,
    pool: Option<&GpuPool>,
    scheduler: &SchedulerConfig,
    base_dir: &std::path::Path,
    issues: &mut Issues,
) -> WorkloadSpec {
    let names = Names::of(scheduler);
    let mut directory = Directory::default();
    let mut spec = WorkloadSpec::default();
    if w.jobs.is_empty() && w.training.is_empty() && w.generators.is_empty() && w.trace.is_none() {
        issues.error(
            "workload",
            "the workload is empty",
            "no jobs, training jobs, generators or trace",
            "at least one job, training job, generator or trace",
            "add a job under workload.jobs, a generator under workload.generators, or a trace under workload.trace",
        );
    }
    if let Some(trace) = &w.trace {
        build_trace(
            trace,
            pool,
            scheduler,
            &names,
            base_dir,
            &mut directory,
            &mut spec,
            issues,
        );
    }
    for (i, job) in w.jobs.iter().enumerate() {
        let path = index_path("workload.jobs", i);
        let request_path = field_path(&path, "request");
        let Some(request) = check_request(&request_path, job.request, issues) else {
            continue;
        };
        let Some((partition, qos)) =
            names.resolve(&path, job.partition.as_deref(), job.qos.as_deref(), issues)
        else {
            continue;
        };
        let part = &scheduler.partitions[partition as usize];
        if let Some(Err(never)) = pool.map(|p| p.check_fits_when_idle_in(request, &part.nodes)) {
            issues.error(
                &request_path,
                "this job can never fit on the cluster",
                format!("{request}: {}", never.reason),
                "a request the cluster (or its partition) can hold when idle",
                "shrink the request, or add nodes to the cluster or the partition",
            );
            continue;
        }
        let time_limit = job
            .time_limit
            .map(|l| l.0)
            .or(part.default_time)
            .unwrap_or(job.runtime.0);
        if job.time_limit.is_some_and(|l| l.0.is_zero()) {
            issues.error(
                &field_path(&path, "time_limit"),
                "a time limit of zero would kill the job at once",
                "\"0s\"",
                "a limit above zero",
                "give the limit the user asked for, or leave it out to use the runtime",
            );
            continue;
        }
        let name = job.name.clone().unwrap_or_else(|| format!("job{}", i + 1));
        spec.jobs.push(SubmittedJob {
            name: directory.job_name(&name),
            user: directory.user(job.user.as_deref().unwrap_or("user")),
            account: directory.account(job.account.as_deref().unwrap_or("default")),
            submit: SimTime::ZERO + job.submit.0,
            request,
            runtime: job.runtime.0,
            // A zero runtime with no limit given: the job ends at once.
            time_limit: time_limit.max(SimDuration::from_ns(1)),
            partition,
            qos,
            nice: job.nice.unwrap_or(0),
            training: None,
        });
    }
    training::build_training_jobs(
        w,
        cluster,
        pool,
        scheduler,
        &names,
        &mut directory,
        &mut spec,
        issues,
    );
    for (i, g) in w.generators.iter().enumerate() {
        let path = index_path("workload.generators", i);
        if !valid_label(&g.name) {
            issues.error(
                &field_path(&path, "name"),
                "a generator name must be letters, digits, `-` or `_`",
                format!("\"{}\"", g.name),
                "a name like \"training\"",
                "rename it; it names the generator's random streams",
            );
        } else if w.generators[..i].iter().any(|other| other.name == g.name) {
            issues.error(
                &field_path(&path, "name"),
                format!("two generators are named `{}`", g.name),
                format!("\"{}\"", g.name),
                "unique generator names",
                "rename one; equal names would give both the same random draws",
            );
        }
        let Some((partition, qos)) =
            names.resolve(&path, g.partition.as_deref(), g.qos.as_deref(), issues)
        else {
            continue;
        };
        if let Some(mut spec_g) = build_generator(&path, g, pool, &mut directory, issues) {
            spec_g.partition = partition;
            spec_g.qos = qos;
            spec.generators.push(spec_g);
        }
    }
    let mut associations: Vec<(u32, u32)> = spec
        .jobs
        .iter()
        .map(|j| (j.account, j.user))
        .chain(
            spec.generators
                .iter()
                .flat_map(|g| g.users.iter().map(|u| (u.account, u.user))),
        )
        .collect();
    associations.sort_unstable();
    associations.dedup();
    spec.associations = associations;
    spec.directory = directory;
    spec
}

fn build_generator(
    path: &str,
    g: &file::Generator,
    pool: Option<&GpuPool>,
    directory: &mut Directory,
    issues: &mut Issues,
) -> Option<GeneratorSpec> {
    let errors_before = issues.errors.len();
    let file::Arrival::Poisson { mean_interarrival } = g.arrival;
    issues.positive_duration(
        &field_path(&field_path(path, "arrival"), "mean_interarrival"),
        mean_interarrival,
        "the mean time between arrivals",
        "use a positive gap like \"30s\"; zero would mean infinitely many jobs at once",
    );
    match (g.count, g.until) {
        (None, None) => issues.error(
            path,
            "the generator never stops",
            "neither `count` nor `until`",
            "`count: N` or `until: \"<time>\"` (or both)",
            "add count: 1000, or until: \"24h\"",
        ),
        (Some(0), _) => issues.error(
            &field_path(path, "count"),
            "a generator count must be at least 1",
            "0",
            "a count of 1 or more",
            "set how many jobs to generate, or remove the generator",
        ),
        (Some(c), _) if c > MAX_JOBS_PER_GENERATOR => issues.error(
            &field_path(path, "count"),
            format!("more than {MAX_JOBS_PER_GENERATOR} jobs from one generator"),
            c.to_string(),
            "a plausible job count",
            "check for a typo; use several runs for larger studies",
        ),
        _ => {}
    }
    let start = g.start.map_or(SimDuration::ZERO, |s| s.0);
    if let Some(until) = g.until
        && until.0 <= start
    {
        issues.error(
            &field_path(path, "until"),
            "`until` is not after `start`",
            format!("\"{until}\""),
            "a time after start",
            "make until later than start (start defaults to 0s)",
        );
    }
    if let Some(until) = g.until
        && !mean_interarrival.0.is_zero()
        && g.count.is_none_or(|c| c > MAX_JOBS_PER_GENERATOR)
    {
        let window_ns = until.0.as_ns().saturating_sub(start.as_ns());
        let expected = window_ns / mean_interarrival.0.as_ns();
        if expected > MAX_JOBS_PER_GENERATOR {
            issues.error(
                &field_path(path, "until"),
                format!("this generator would submit about {expected} jobs, more than {MAX_JOBS_PER_GENERATOR}"),
                format!("until \"{until}\" with one job every \"{mean_interarrival}\""),
                "a plausible number of jobs",
                "shorten `until`, lengthen the mean gap, or cap it with `count`",
            );
        }
    }

    let sizes_path = field_path(path, "sizes");
    if g.sizes.is_empty() {
        issues.error(
            &sizes_path,
            "a generator needs at least one job size",
            "[]",
            "a list like [(request: Gpus(8), weight: 1.0)]",
            "add the sizes jobs ask for, with relative weights",
        );
    }
    issues.weights(
        &sizes_path,
        g.sizes
            .iter()
            .enumerate()
            .map(|(j, s)| (field_path(&index_path(&sizes_path, j), "weight"), s.weight)),
    );
    let mut sizes = Vec::new();
    for (j, s) in g.sizes.iter().enumerate() {
        let p = field_path(&index_path(&sizes_path, j), "request");
        if let Some(request) = check_request(&p, s.request, issues) {
            if let Some(Err(never)) = pool.map(|p| p.check_fits_when_idle(request))
                && s.weight > 0.0
            {
                issues.warning(&p, format!("{request} can never fit on this cluster ({}); such jobs will be refused and counted", never.reason), "shrink the size, give it weight 0, or add nodes");
            }
            sizes.push((request, s.weight));
        }
    }

    let duration = build_duration(&field_path(path, "duration"), &g.duration, issues);
    let time_limit_factor = g.time_limit_factor.unwrap_or(1.0);
    if !(time_limit_factor.is_finite() && time_limit_factor > 0.0 && time_limit_factor <= 1e6) {
        issues.error(
            &field_path(path, "time_limit_factor"),
            "the time-limit factor must be a positive number",
            time_limit_factor.to_string(),
            "a factor like 1.5 (limit = 1.5 x true runtime)",
            "use a number above 0; below 1 makes jobs hit their limit",
        );
    }

    let users_path = field_path(path, "users");
    issues.weights(
        &users_path,
        g.users
            .iter()
            .enumerate()
            .map(|(j, u)| (field_path(&index_path(&users_path, j), "weight"), u.weight)),
    );
    for (j, u) in g.users.iter().enumerate() {
        for (field, value) in [("user", &u.user), ("account", &u.account)] {
            if value.trim().is_empty() {
                issues.error(
                    &field_path(&index_path(&users_path, j), field),
                    format!("an empty {field} name"),
                    "\"\"",
                    "a name",
                    format!("name the {field}"),
                );
            }
        }
    }
    let users = if g.users.is_empty() {
        vec![WeightedUser {
            user: directory.user("user"),
            account: directory.account("default"),
            weight: 1.0,
        }]
    } else {
        g.users
            .iter()
            .map(|u| WeightedUser {
                user: directory.user(&u.user),
                account: directory.account(&u.account),
                weight: u.weight,
            })
            .collect()
    };

    if issues.errors.len() > errors_before {
        return None;
    }
    Some(GeneratorSpec {
        name: g.name.clone(),
        job_name: directory.job_name(&g.name),
        arrival: Arrival::Poisson {
            mean_interarrival: mean_interarrival.0,
        },
        count: g.count,
        until: g.until.map(|u| SimTime::ZERO + u.0),
        start: SimTime::ZERO + start,
        sizes,
        duration: duration?,
        time_limit_factor,
        users,
        partition: 0,
        qos: 0,
    })
}

fn build_duration(
    path: &str,
    d: &file::DurationDistribution,
    issues: &mut Issues,
) -> Option<DurationDist> {
    use file::DurationDistribution as F;
    let errors_before = issues.errors.len();
    let dist = match d {
        F::Exponential { mean } => {
            issues.positive_duration(
                &field_path(path, "mean"),
                *mean,
                "the mean duration",
                "use a positive mean like \"1h\"",
            );
            DurationDist::Exponential { mean: mean.0 }
        }
        F::LogNormal { median, sigma } => {
            issues.positive_duration(
                &field_path(path, "median"),
                *median,
                "the median duration",
                "use a positive median like \"30m\"",
            );
            if !(sigma.is_finite() && (0.0..=MAX_LOGNORMAL_SIGMA).contains(sigma)) {
                issues.error(
                    &field_path(path, "sigma"),
                    format!("sigma must be between 0 and {MAX_LOGNORMAL_SIGMA}"),
                    sigma.to_string(),
                    "a sigma like 1.0 (the spread of ln(duration))",
                    "use a value between 0 and 5; measured GPU-cluster traces fit 1 to 2.5",
                );
            }
            DurationDist::LogNormal {
                median: median.0,
                sigma: *sigma,
            }
        }
        F::Uniform { min, max } => {
            if min > max {
                issues.error(
                    &field_path(path, "min"),
                    "min is larger than max",
                    format!("min \"{min}\", max \"{max}\""),
                    "min <= max",
                    "swap them",
                );
            }
            DurationDist::Uniform {
                min: min.0,
                max: max.0,
            }
        }
        F::Empirical { values, weights } => {
            if values.is_empty() {
                issues.error(
                    &field_path(path, "values"),
                    "an empirical distribution needs observed values",
                    "[]",
                    "a list like [\"5m\", \"1h\", \"8h\"]",
                    "list the observed durations",
                );
            }
            if let Some(w) = weights {
                if w.len() != values.len() {
                    issues.error(
                        &field_path(path, "weights"),
                        "weights and values differ in length",
                        format!("{} weights for {} values", w.len(), values.len()),
                        "one weight per value",
                        "give one weight per value, or remove weights for equal weights",
                    );
                } else {
                    issues.weights(
                        &field_path(path, "weights"),
                        w.iter()
                            .enumerate()
                            .map(|(i, &w)| (index_path(&field_path(path, "weights"), i), w)),
                    );
                }
            }
            DurationDist::Empirical {
                values: values.iter().map(|v| v.0).collect(),
                weights: weights.clone(),
            }
        }
    };
    (issues.errors.len() == errors_before).then_some(dist)
}

/// Imports `workload.trace`; its jobs join the explicit jobs.
#[allow(clippy::too_many_arguments)]
fn build_trace(
    t: &file::Trace,
    pool: Option<&GpuPool>,
    scheduler: &SchedulerConfig,
    names: &Names<'_>,
    base_dir: &std::path::Path,
    directory: &mut Directory,
    spec: &mut WorkloadSpec,
    issues: &mut Issues,
) {
    use crate::workload::trace;
    let path = "workload.trace";
    let Some((partition, qos)) =
        names.resolve(path, t.partition.as_deref(), t.qos.as_deref(), issues)
    else {
        return;
    };
    let defaults = trace::ImportOptions::default();
    let part = &scheduler.partitions[partition as usize];
    let options = trace::ImportOptions {
        size: match t.size {
            None => defaults.size,
            Some(file::SizeField::Requested) => trace::SizeField::Requested,
            Some(file::SizeField::Allocated) => trace::SizeField::Allocated,
            Some(file::SizeField::Larger) => trace::SizeField::Larger,
        },
        negative_runtime: match t.negative_runtime {
            None => defaults.negative_runtime,
            Some(file::BadRuntime::Drop) => trace::BadRuntime::Drop,
            Some(file::BadRuntime::Replace(d)) => trace::BadRuntime::Replace(d.0),
        },
        zero_runtime: match t.zero_runtime {
            None => defaults.zero_runtime,
            Some(file::ZeroRuntime::Keep) => trace::ZeroRuntime::Keep,
            Some(file::ZeroRuntime::Drop) => trace::ZeroRuntime::Drop,
            Some(file::ZeroRuntime::Replace(d)) => trace::ZeroRuntime::Replace(d.0),
        },
        missing_estimate: match t.missing_estimate {
            None => defaults.missing_estimate,
            Some(file::MissingEstimate::RunTime) => trace::MissingEstimate::RunTime,
            Some(file::MissingEstimate::Fixed(d)) => trace::MissingEstimate::Fixed(d.0),
            Some(file::MissingEstimate::Factor(f)) => trace::MissingEstimate::Factor(f),
        },
        skip: t.skip.unwrap_or(defaults.skip),
        skip_by: match t.skip_by {
            None => defaults.skip_by,
            Some(file::WindowOrder::JobId) => trace::WindowOrder::JobId,
            Some(file::WindowOrder::Submit) => trace::WindowOrder::Submit,
        },
        take: t.take.or(defaults.take),
        interarrival_scale: t.interarrival_scale.unwrap_or(defaults.interarrival_scale),
        gpus_per_processor: t.gpus_per_processor.unwrap_or(defaults.gpus_per_processor),
        // Larger than the partition the jobs go to: dropped and counted.
        machine_gpus: pool.map(|p| p.capacity_in(&part.nodes)),
    };
    if let Err(problem) = options.validate() {
        issues.error(
            path,
            "the trace import options are not valid",
            problem,
            "finite positive scale and factors, at least one GPU per processor",
            "fix the option the message names",
        );
        return;
    }
    let format = match t.format {
        file::TraceFormat::Swf => trace::TraceFormat::Swf,
        file::TraceFormat::Sacct => trace::TraceFormat::Sacct,
    };
    let file_path = base_dir.join(&t.file);
    let (jobs, report) = match trace::import_file(&file_path, format, &options) {
        Ok(imported) => imported,
        Err(e) => {
            issues.error(
                &field_path(path, "file"),
                format!("cannot import the trace: {}", e.message),
                if e.line == 0 {
                    e.path.clone()
                } else {
                    format!("{}:{}:{}", e.path, e.line, e.column)
                },
                &e.expected,
                if e.line == 0 {
                    format!(
                        "{} (a relative path starts at the scenario file's folder)",
                        e.fix
                    )
                } else {
                    e.fix
                },
            );
            return;
        }
    };
    let job_name = directory.job_name("trace");
    let mut unknown = [0u64; 2];
    // Traces have hundreds of users and up to millions of jobs: look names
    // up in an index rather than by the directory's linear search.
    let mut users = std::collections::BTreeMap::new();
    let mut accounts = std::collections::BTreeMap::new();
    for job in jobs {
        // A sacct job keeps its own partition and QOS when the scenario
        // defines them; otherwise it goes to the trace's (counted below).
        let own = |name: &Option<String>, list: &[&str], fallback: u16, miss: &mut u64| match name {
            None => fallback,
            Some(n) => list.iter().position(|x| x == n).map_or_else(
                || {
                    *miss += 1;
                    fallback
                },
                |i| i as u16,
            ),
        };
        let (job_partition, job_qos) = if matches!(format, trace::TraceFormat::Sacct) {
            let [miss_p, miss_q] = &mut unknown;
            (
                own(&job.partition, &names.partitions, partition, miss_p),
                own(&job.qos, &names.qos, qos, miss_q),
            )
        } else {
            (partition, qos)
        };
        let user = *users
            .entry(job.user.clone())
            .or_insert_with(|| directory.user(&job.user));
        let account = *accounts
            .entry(job.account.clone())
            .or_insert_with(|| directory.account(&job.account));
        spec.jobs.push(SubmittedJob {
            name: job_name,
            user,
            account,
            submit: job.submit,
            request: JobRequest::Gpus(job.gpus),
            runtime: job.runtime,
            time_limit: job.estimate,
            partition: job_partition,
            qos: job_qos,
            nice: 0,
            training: None,
        });
    }
    let mut altered = report.altered.clone();
    if unknown[0] > 0 {
        altered.push((
            "partition not in the scenario: default used".into(),
            unknown[0],
        ));
    }
    if unknown[1] > 0 {
        altered.push(("QOS not in the scenario: default used".into(), unknown[1]));
    }
    spec.trace_import = Some(crate::workload::TraceImport {
        file: t.file.clone(),
        records_read: report.records_read,
        kept: report.kept,
        dropped: report.dropped.clone(),
        altered,
    });
}
