//! The `catalog` section: GPU and node models added to the built-in
//! catalog, or built-in ones amended field by field.
//!
//! Fields a new model may leave out take a conservative default:
//! `nvlink_sharp` false, `nvlink_domain_nodes` 1 (one node per NVLink
//! domain), `matmul_efficiency` the Hopper calibration. A GPU with
//! `nvlink_sharp` needs NVLink (`nvlink_bandwidth`); a node's
//! `nvlink_domain_nodes` is in 1..=[`MAX_NVLINK_DOMAIN_NODES`].

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::{Error, Issues, Misspelt};
use crate::hardware::{
    Catalog, GpuModel, MAX_GPUS_PER_NODE, MAX_NICS_PER_NODE, MAX_NVLINK_DOMAIN_NODES, NodeModel,
};
use crate::text::did_you_mean;

/// The models a scenario builds on: the built-in catalog plus its
/// additions.
pub(super) struct Models {
    pub catalog: Catalog,
    /// New models left out because a value of theirs is misspelt, which is
    /// reported there: references to them are not reported again.
    misspelt: Vec<String>,
}

impl Models {
    pub fn build(additions: file::CatalogAdditions, issues: &mut Issues) -> Models {
        let mut models = Models {
            catalog: Catalog::builtin(),
            misspelt: Vec::new(),
        };
        for (i, entry) in additions.gpus.into_iter().enumerate() {
            let path = index_path("catalog.gpus", i);
            let name = entry.name.clone();
            match gpu_from_entry(&path, entry, &models.catalog, issues) {
                Ok(Some(model)) => {
                    if !(50..=150).contains(&model.compute_capability) {
                        issues.error(Error {
                            path: &field_path(&path, "compute_capability"),
                            message: &format!(
                                "`{}` has compute capability {}",
                                model.name, model.compute_capability
                            ),
                            found: &format!("compute_capability: {}", model.compute_capability),
                            expected: "CUDA's compute capability times ten, 50 to 150",
                            fix: "write it as NVIDIA lists it, times ten: 80 for an A100 \
                                  (sm_80), 90 for an H100, 100 for a B200",
                        });
                    }
                    if model.nvlink_sharp && model.nvlink_bandwidth.is_none() {
                        issues.error(Error {
                            path: &field_path(&path, "nvlink_sharp"),
                            message: &format!("`{}` has NVLink SHARP but no NVLink", model.name),
                            found: "nvlink_sharp: true without nvlink_bandwidth",
                            expected: "NVLink SHARP only on a GPU with NVLink",
                            fix: "give nvlink_bandwidth (NVLink per GPU, both directions), \
                                  or set nvlink_sharp: false",
                        });
                    }
                    models.catalog.upsert_gpu(model)
                }
                Ok(None) => {}
                Err(Misspelt) => models.left_out(name, |c, n| c.gpu(n).is_some()),
            }
        }
        for (i, entry) in additions.nodes.into_iter().enumerate() {
            let path = index_path("catalog.nodes", i);
            let name = entry.name.clone();
            match node_from_entry(&path, entry, &models, issues) {
                Ok(Some(model)) => models.catalog.upsert_node(model),
                Ok(None) => {}
                Err(Misspelt) => models.left_out(name, |c, n| c.node(n).is_some()),
            }
        }
        models
    }

    /// Notes a misspelt entry; one amending a built-in model leaves that
    /// model as it is, so only new names are noted.
    fn left_out(&mut self, name: String, exists: impl Fn(&Catalog, &str) -> bool) {
        if !exists(&self.catalog, &name) {
            self.misspelt.push(name);
        }
    }

    fn is_misspelt(&self, name: &str) -> bool {
        self.misspelt.iter().any(|m| m == name)
    }

    /// The GPU model `name`, or `None` after reporting at `path` that it
    /// is unknown.
    pub fn gpu(&self, path: &str, name: &str, issues: &mut Issues) -> Option<&GpuModel> {
        let model = self.catalog.gpu(name);
        if model.is_none() && !self.is_misspelt(name) {
            let known: Vec<&str> = self.catalog.gpu_names().collect();
            let fix = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? (`clustersim catalog` lists all models)"),
                None => {
                    "use a model from `clustersim catalog`, or define it under catalog.gpus".into()
                }
            };
            issues.error(Error {
                path,
                message: &format!("unknown GPU model `{name}`"),
                found: &format!("`{name}`"),
                expected: &format!("one of {}", known.join(", ")),
                fix: &fix,
            });
        }
        model
    }

    /// The node model `name`, or `None` after reporting at `path` that it
    /// is unknown.
    pub fn node(&self, path: &str, name: &str, issues: &mut Issues) -> Option<&NodeModel> {
        let model = self.catalog.node(name);
        if model.is_none() && !self.is_misspelt(name) {
            let known: Vec<&str> = self.catalog.node_names().collect();
            let fix = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? (`clustersim catalog` lists all models)"),
                None => {
                    "use a model from `clustersim catalog`, or define it under catalog.nodes".into()
                }
            };
            issues.error(Error {
                path,
                message: &format!("unknown node model `{name}`"),
                found: &format!("`{name}`"),
                expected: &format!("one of {}", known.join(", ")),
                fix: &fix,
            });
        }
        model
    }
}

fn check_tflops(path: &str, field: &str, value: Option<f64>, issues: &mut Issues) {
    if let Some(v) = value.filter(|v| !v.is_finite() || *v <= 0.0) {
        issues.error(Error {
            path: &field_path(path, field),
            message: "peak throughput must be a positive number of TFLOPS",
            found: &v.to_string(),
            expected: "TFLOPS > 0",
            fix: "give the dense peak from the datasheet, or leave the field out",
        });
    }
}

fn gpu_from_entry(
    path: &str,
    e: file::GpuEntry,
    catalog: &Catalog,
    issues: &mut Issues,
) -> Result<Option<GpuModel>, Misspelt> {
    let memory = issues.optional(&field_path(path, "memory"), e.memory.as_ref());
    let memory_bandwidth = issues.optional(
        &field_path(path, "memory_bandwidth"),
        e.memory_bandwidth.as_ref(),
    );
    let nvlink_bandwidth = issues.optional(
        &field_path(path, "nvlink_bandwidth"),
        e.nvlink_bandwidth.as_ref(),
    );
    let price_per_gpu_hour = issues.optional(
        &field_path(path, "price_per_gpu_hour"),
        e.price_per_gpu_hour.as_ref(),
    );
    for (field, value) in [
        ("fp64_tflops", e.fp64_tflops),
        ("tf32_tflops", e.tf32_tflops),
        ("bf16_tflops", e.bf16_tflops),
        ("fp8_tflops", e.fp8_tflops),
    ] {
        check_tflops(path, field, value, issues);
    }
    if let (Some(idle), Some(tdp)) = (
        e.idle_watts,
        e.tdp_watts.or(catalog.gpu(&e.name).map(|b| b.tdp_watts)),
    ) && idle > tdp
    {
        issues.error(Error {
            path: &field_path(path, "idle_watts"),
            message: "idle power above the board's limit",
            found: &format!("{idle} W idle, {tdp} W limit"),
            expected: "idle_watts <= tdp_watts",
            fix: "give the board power measured idle (nvidia-smi with nothing running)",
        });
    }
    if e.tdp_watts == Some(0) {
        issues.error(Error {
            path: &field_path(path, "tdp_watts"),
            message: "TDP must be above zero",
            found: "0",
            expected: "watts > 0",
            fix: "give the board power from the datasheet",
        });
    }
    if let Ok(Some(m)) = memory
        && m.as_u64() == 0
    {
        issues.error(Error {
            path: &field_path(path, "memory"),
            message: "GPU memory must be above zero",
            found: "0B",
            expected: "a size like \"80GiB\"",
            fix: "give the memory size from the datasheet",
        });
    }
    if let Some(v) = e
        .matmul_efficiency
        .filter(|v| !v.is_finite() || *v <= 0.0 || *v > 1.0)
    {
        issues.error(Error {
            path: &field_path(path, "matmul_efficiency"),
            message: "matmul efficiency must be a fraction of peak in (0, 1]",
            found: &v.to_string(),
            expected: "a number like 0.6",
            fix: "give the sustained fraction of dense peak, or leave the field out",
        });
    }
    let (memory, memory_bandwidth, nvlink_bandwidth, price_per_gpu_hour) = (
        memory?,
        memory_bandwidth?,
        nvlink_bandwidth?,
        price_per_gpu_hour?,
    );
    if let Some(base) = catalog.gpu(&e.name) {
        let b = base.clone();
        return Ok(Some(GpuModel {
            name: e.name,
            description: e.description.unwrap_or(b.description),
            fp64_tflops: e.fp64_tflops.or(b.fp64_tflops),
            tf32_tflops: e.tf32_tflops.or(b.tf32_tflops),
            bf16_tflops: e.bf16_tflops.or(b.bf16_tflops),
            fp8_tflops: e.fp8_tflops.or(b.fp8_tflops),
            memory: memory.unwrap_or(b.memory),
            memory_bandwidth: memory_bandwidth.unwrap_or(b.memory_bandwidth),
            nvlink_bandwidth: nvlink_bandwidth.or(b.nvlink_bandwidth),
            nvlink_sharp: e.nvlink_sharp.unwrap_or(b.nvlink_sharp),
            compute_capability: e.compute_capability.unwrap_or(b.compute_capability),
            tdp_watts: e.tdp_watts.unwrap_or(b.tdp_watts),
            idle_watts: e.idle_watts.unwrap_or(if e.tdp_watts.is_some() {
                e.tdp_watts.unwrap_or(b.tdp_watts) / 10
            } else {
                b.idle_watts
            }),
            price_per_gpu_hour: price_per_gpu_hour.unwrap_or(b.price_per_gpu_hour),
            matmul_efficiency: e.matmul_efficiency.unwrap_or(b.matmul_efficiency),
            mig: b.mig,
        }));
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
        issues.error(Error {
            path,
            message: &format!("new GPU model `{}` lacks {}", e.name, missing.join(", ")),
            found: &format!("`{}` is not in the built-in catalog", e.name),
            expected: "all of memory, memory_bandwidth, tdp_watts, price_per_gpu_hour for a new model",
            fix: &format!("add the missing fields{hint}"),
        });
        return Ok(None);
    }
    let (Some(memory), Some(memory_bandwidth), Some(tdp_watts), Some(price_per_gpu_hour)) =
        (memory, memory_bandwidth, e.tdp_watts, price_per_gpu_hour)
    else {
        return Ok(None);
    };
    Ok(Some(GpuModel {
        description: e.description.unwrap_or_else(|| e.name.clone()),
        name: e.name,
        fp64_tflops: e.fp64_tflops,
        tf32_tflops: e.tf32_tflops,
        bf16_tflops: e.bf16_tflops,
        fp8_tflops: e.fp8_tflops,
        memory,
        memory_bandwidth,
        nvlink_bandwidth,
        nvlink_sharp: e.nvlink_sharp.unwrap_or(false),
        compute_capability: e.compute_capability.unwrap_or_else(|| {
            let nvlink_gbytes = nvlink_bandwidth.map_or(0.0, |b| b.as_gbytes_per_s_f64());
            match (nvlink_gbytes, e.fp8_tflops) {
                (g, _) if g >= 1_800.0 => 100,
                (g, Some(_)) if g > 0.0 => 90,
                _ => 80,
            }
        }),
        tdp_watts,
        idle_watts: e.idle_watts.unwrap_or(tdp_watts / 10),
        price_per_gpu_hour,
        matmul_efficiency: e
            .matmul_efficiency
            .unwrap_or(crate::hardware::DEFAULT_MATMUL_EFFICIENCY),
        mig: crate::hardware::MigGeometry::None,
    }))
}

fn node_from_entry(
    path: &str,
    e: file::NodeEntry,
    models: &Models,
    issues: &mut Issues,
) -> Result<Option<NodeModel>, Misspelt> {
    let nic_bandwidth =
        issues.optional(&field_path(path, "nic_bandwidth"), e.nic_bandwidth.as_ref());
    let host_memory = issues.optional(&field_path(path, "host_memory"), e.host_memory.as_ref());
    let purchase_price = issues.optional(
        &field_path(path, "purchase_price"),
        e.purchase_price.as_ref(),
    );
    let mut ok = true;
    if let Some(gpu) = &e.gpu_model
        && models
            .gpu(&field_path(path, "gpu_model"), gpu, issues)
            .is_none()
    {
        ok = false;
    }
    if let Some(n) = e.gpus_per_node {
        ok &= gpus_per_node_in_range(&field_path(path, "gpus_per_node"), n, issues);
    }
    if let Some(n) = e.compute_nics.filter(|&n| n > MAX_NICS_PER_NODE) {
        issues.error(Error {
            path: &field_path(path, "compute_nics"),
            message: &format!("a node has at most {MAX_NICS_PER_NODE} compute NICs"),
            found: &n.to_string(),
            expected: &format!("0..={MAX_NICS_PER_NODE}"),
            fix: "give the compute NICs of one node (8 on HGX/DGX systems, one per GPU)",
        });
        ok = false;
    }
    if let Some(n) = e
        .nvlink_domain_nodes
        .filter(|&n| n == 0 || n > MAX_NVLINK_DOMAIN_NODES)
    {
        issues.error(Error {
            path: &field_path(path, "nvlink_domain_nodes"),
            message: &format!("an NVLink domain has between 1 and {MAX_NVLINK_DOMAIN_NODES} nodes"),
            found: &n.to_string(),
            expected: &format!("1..={MAX_NVLINK_DOMAIN_NODES}"),
            fix: "give the nodes sharing one NVSwitch domain: 1 for 8-GPU HGX/DGX servers, \
                  18 compute trays for a GB200/GB300 NVL72 rack",
        });
        ok = false;
    }
    if let (Some(idle), Some(max)) = (
        e.idle_power_watts,
        e.max_power_watts
            .or(models.catalog.node(&e.name).map(|b| b.max_power_watts)),
    ) && idle > max
    {
        issues.error(Error {
            path: &field_path(path, "idle_power_watts"),
            message: "idle power above the system's maximum",
            found: &format!("{idle} W idle, {max} W maximum"),
            expected: "idle_power_watts <= max_power_watts",
            fix: "give the system's power measured with nothing running",
        });
        ok = false;
    }
    if e.max_power_watts == Some(0) {
        issues.error(Error {
            path: &field_path(path, "max_power_watts"),
            message: "maximum power must be above zero",
            found: "0",
            expected: "watts > 0",
            fix: "give the system's maximum power from its datasheet",
        });
        ok = false;
    }
    let instance_price = issues.optional(
        &field_path(path, "instance_price_per_hour"),
        e.instance_price_per_hour.as_ref(),
    );
    let (nic_bandwidth, host_memory, purchase_price, instance_price) = (
        nic_bandwidth?,
        host_memory?,
        purchase_price?,
        instance_price?,
    );
    // A node of a left-out GPU is left out too, without more messages.
    if e.gpu_model
        .as_deref()
        .is_some_and(|g| models.is_misspelt(g))
    {
        return Err(Misspelt);
    }
    if let Some(base) = models.catalog.node(&e.name) {
        let b = base.clone();
        return Ok(ok.then(|| NodeModel {
            name: e.name,
            description: e.description.unwrap_or(b.description),
            gpu_model: e.gpu_model.unwrap_or(b.gpu_model),
            gpus_per_node: e.gpus_per_node.unwrap_or(b.gpus_per_node),
            compute_nics: e.compute_nics.unwrap_or(b.compute_nics),
            nic_bandwidth: nic_bandwidth.unwrap_or(b.nic_bandwidth),
            nvlink_domain_nodes: e.nvlink_domain_nodes.unwrap_or(b.nvlink_domain_nodes),
            cpu_cores: e.cpu_cores.unwrap_or(b.cpu_cores),
            host_memory: host_memory.unwrap_or(b.host_memory),
            max_power_watts: e.max_power_watts.unwrap_or(b.max_power_watts),
            idle_power_watts: e
                .idle_power_watts
                .unwrap_or(if e.max_power_watts.is_some() {
                    e.max_power_watts.unwrap_or(b.max_power_watts) * 3 / 10
                } else {
                    b.idle_power_watts
                }),
            purchase_price: purchase_price.or(b.purchase_price),
            instance_price_per_hour: instance_price.or(b.instance_price_per_hour),
        }));
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
        let hint = did_you_mean(&e.name, models.catalog.node_names())
            .map(|s| format!(" (to amend the built-in `{s}`, use its exact name)"))
            .unwrap_or_default();
        issues.error(Error {
            path,
            message: &format!("new node model `{}` lacks {}", e.name, missing.join(", ")),
            found: &format!("`{}` is not in the built-in catalog", e.name),
            expected: "gpu_model, gpus_per_node, compute_nics, nic_bandwidth and max_power_watts for a new model",
            fix: &format!("add the missing fields{hint}"),
        });
        return Ok(None);
    }
    Ok(ok.then(|| NodeModel {
        description: e.description.unwrap_or_else(|| e.name.clone()),
        name: e.name,
        gpu_model: e.gpu_model.unwrap_or_default(),
        gpus_per_node: e.gpus_per_node.unwrap_or_default(),
        compute_nics: e.compute_nics.unwrap_or_default(),
        nic_bandwidth: nic_bandwidth.unwrap_or_default(),
        nvlink_domain_nodes: e.nvlink_domain_nodes.unwrap_or(1),
        cpu_cores: e.cpu_cores.unwrap_or(0),
        host_memory: host_memory.unwrap_or_default(),
        max_power_watts: e.max_power_watts.unwrap_or_default(),
        idle_power_watts: e
            .idle_power_watts
            .unwrap_or(e.max_power_watts.unwrap_or_default() * 3 / 10),
        purchase_price,
        instance_price_per_hour: instance_price,
    }))
}

pub(super) fn gpus_per_node_in_range(path: &str, n: u32, issues: &mut Issues) -> bool {
    if n == 0 || n > MAX_GPUS_PER_NODE {
        issues.error(Error {
            path,
            message: &format!("a node must have between 1 and {MAX_GPUS_PER_NODE} GPUs"),
            found: &n.to_string(),
            expected: &format!("1..={MAX_GPUS_PER_NODE}"),
            fix: "give the number of GPUs in one node (8 on HGX/DGX systems)",
        });
        false
    } else {
        true
    }
}
