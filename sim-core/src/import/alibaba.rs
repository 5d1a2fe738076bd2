//! Alibaba's GPU cluster (cluster-trace-gpu-v2023 of alibaba/clusterdata,
//! "openb", the FGD paper's trace: Weng et al., USENIX ATC'23) as a
//! commented scenario: `clustersim import alibaba NODES.csv [--pods
//! PODS.csv] [--gpu-model NAME=MODEL]...`.
//!
//! The node list (`openb_node_list_gpu_node.csv`: `sn, cpu_milli,
//! memory_mib, gpu, model`, as the trace's README documents it) becomes
//! one node group per (GPU model, GPUs per node, CPUs, memory), the
//! nodes' own names as the group's Slurm host list, and one node model per
//! group written into the scenario's catalog (CPUs and memory from the
//! list; NICs and power are stated estimates: the trace gives neither).
//! Nodes without GPUs (`openb_node_list_all_node.csv`) are left out and
//! counted in the opening comment.
//!
//! GPU models: T4, P100, V100M16, V100M32 and A10 map to the catalog's
//! cards ([`MODELS`]); G1, G2 and G3 are "undisclosed internal GPU codes"
//! (the trace's README), so G2 and G3 are written as catalog additions
//! whose figures are a named stand-in's ([`STAND_INS`]), an assumption the
//! scenario states; any other name (G1 included) needs `--gpu-model`.
//!
//! With `--pods`, the scenario replays that pod list (`format:
//! AlibabaPods`, its `gpu_spec` names mapped to the same models);
//! otherwise it holds an example workload.
//!
//! Invariants: the output is a function of the files and arguments only;
//! every node with GPUs is in exactly one group; every error names the
//! file, line and column.

use std::fmt::Write;
use std::path::Path;

use super::Imported;
use crate::hardware::{Catalog, GpuModel, hostlist};
use crate::text::{FileError, did_you_mean};
use crate::workload::trace::split_csv_line;

/// The trace's GPU names the catalog holds, and the catalog model:
/// V100s taken as SXM2 boards (the trace's 8-GPU V100 servers are
/// NVLink boxes of that era; its names give the memory only), the P100 as
/// the PCIe card (2 GPUs a node, in servers of 8 to 64 CPUs).
pub const MODELS: &[(&str, &str)] = &[
    ("T4", "T4"),
    ("P100", "P100-PCIe-16GB"),
    ("V100M16", "V100-SXM2-16GB"),
    ("V100M32", "V100-SXM2-32GB"),
    ("A10", "A10"),
];

/// Undisclosed cards written as catalog additions with a stand-in's
/// figures: (trace name, stand-in, why). Only the GPU count and the
/// shares of a replay depend on nothing else; power, cost and training
/// what-ifs on these nodes rest on the assumption.
pub const STAND_INS: &[(&str, &str, &str)] = &[
    (
        "G2",
        "V100-SXM2-32GB",
        "549 servers of 8 GPUs, 96 CPUs and 384 GiB, the shape of the list's 8-GPU V100 servers",
    ),
    (
        "G3",
        "A100-SXM-80GB",
        "39 servers of 8 GPUs, 128 CPUs and 768 GiB, the largest hosts of the list, as the A100 generation's",
    ),
];

/// What `import alibaba` reads.
pub struct AlibabaFiles<'a> {
    pub nodes: &'a Path,
    pub pods: Option<&'a Path>,
    /// `--gpu-model NAME=MODEL` mappings.
    pub gpu_models: &'a [(String, String)],
    /// Where the scenario will be written (the pod list's path in it is
    /// relative to its folder); `None` for stdout.
    pub out: Option<&'a Path>,
}

/// One node of the list.
struct Node {
    name: String,
    cpus: u32,
    memory_mib: u64,
    gpus: u32,
    model: String,
    line: usize,
}

/// Reads the node list (and checks the pod list exists) and writes the
/// scenario.
pub fn alibaba(files: &AlibabaFiles<'_>) -> Result<Imported, FileError> {
    let catalog = Catalog::builtin();
    for (name, model) in files.gpu_models {
        super::gpus::check_mapping(model, &catalog).map_err(|message| {
            FileError::at(
                &format!("--gpu-model {name}={model}"),
                0,
                0,
                message,
                "NAME=MODEL, MODEL a catalog GPU model (clustersim catalog lists them)",
                "fix the model name",
            )
        })?;
    }
    let shown = files.nodes.display().to_string();
    let text = std::fs::read_to_string(files.nodes).map_err(|e| {
        FileError::at(
            &shown,
            0,
            0,
            format!("cannot read the node list: {e}"),
            "a readable CSV file (openb_node_list_gpu_node.csv)",
            "check the path",
        )
    })?;
    let (nodes, without_gpus) = read_nodes(&shown, crate::text::without_bom(&text))?;
    if nodes.is_empty() {
        return Err(FileError::at(
            &shown,
            0,
            0,
            "the node list has no node with GPUs",
            "lines with `gpu` above 0",
            "import openb_node_list_gpu_node.csv (or the all-node list)",
        ));
    }
    // The catalog model of each trace name, in order of first appearance.
    let mut models: Vec<(String, String)> = Vec::new();
    for node in &nodes {
        if models.iter().any(|(n, _)| *n == node.model) {
            continue;
        }
        let model = catalog_model(&node.model, files.gpu_models, &catalog).ok_or_else(|| {
            let known: Vec<&str> = (MODELS.iter().map(|(n, _)| *n))
                .chain(STAND_INS.iter().map(|(n, _, _)| *n))
                .collect();
            let hint = did_you_mean(&node.model, known.iter().copied())
                .map(|m| format!(" (did you mean {m}?)"))
                .unwrap_or_default();
            FileError::at(
                &shown,
                node.line,
                0,
                format!("the GPU model `{}` is not one the import knows{hint}", node.model),
                format!("one of {}", known.join(", ")),
                format!(
                    "map it with --gpu-model {}=MODEL, MODEL one of the catalog's (clustersim catalog)",
                    node.model
                ),
            )
        })?;
        models.push((node.model.clone(), model));
    }
    let pods = match files.pods {
        Some(p) if !p.is_file() => {
            return Err(FileError::at(
                &p.display().to_string(),
                0,
                0,
                "the pod list does not exist",
                "a pod list such as openb_pod_list_default.csv",
                "check the path",
            ));
        }
        Some(p) => Some(super::relative_to_output(p, files.out)),
        None => None,
    };
    Ok(Imported {
        ron: write(
            &shown,
            &nodes,
            without_gpus,
            &models,
            pods.as_deref(),
            &catalog,
        ),
        warnings: Vec::new(),
    })
}

/// The catalog model of trace GPU name `name`: the user's mapping first,
/// then [`MODELS`], then the stand-ins (their own name).
fn catalog_model(name: &str, mappings: &[(String, String)], catalog: &Catalog) -> Option<String> {
    if let Some((_, model)) = mappings.iter().find(|(n, _)| n == name) {
        return Some(model.clone());
    }
    if let Some((_, model)) = MODELS.iter().find(|(n, _)| *n == name) {
        return catalog.gpu(model).map(|g| g.name.clone());
    }
    STAND_INS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, _, _)| (*n).to_string())
}

fn read_nodes(path: &str, text: &str) -> Result<(Vec<Node>, usize), FileError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let Some((header_no, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
        return Err(FileError::at(
            path,
            1,
            1,
            "the file is empty",
            "a header `sn,cpu_milli,memory_mib,gpu,model`, then one line per node",
            "import the trace's openb_node_list_gpu_node.csv",
        ));
    };
    let names: Vec<String> = split_csv_line(header)
        .into_iter()
        .map(|(_, f)| f.trim().to_string())
        .collect();
    let need = |column: &str| {
        names.iter().position(|n| n == column).ok_or_else(|| {
            FileError::in_line(
                path,
                header_no,
                header,
                0..header.len(),
                format!("the header has no `{column}` column"),
                "a header `sn,cpu_milli,memory_mib,gpu,model`",
                format!(
                    "name the columns as the trace does; this header has {}",
                    names.join(", ")
                ),
            )
        })
    };
    let (sn, gpu, model) = (need("sn")?, need("gpu")?, need("model")?);
    let cpu = names.iter().position(|n| n == "cpu_milli");
    let memory = names.iter().position(|n| n == "memory_mib");
    let mut nodes = Vec::new();
    let mut without_gpus = 0;
    for (line_no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let line = line.trim_end_matches('\r');
        let fields = split_csv_line(line);
        if fields.len() != names.len() {
            return Err(FileError::in_line(
                path,
                line_no,
                line,
                0..line.len(),
                format!(
                    "{} fields, but the header names {}",
                    fields.len(),
                    names.len()
                ),
                "one field per column of the header",
                "repair the line",
            ));
        }
        let number = |i: usize, what: &str| -> Result<u64, FileError> {
            let (offset, text) = (fields[i].0, fields[i].1.trim());
            text.parse::<u64>().map_err(|_| {
                FileError::in_line(
                    path,
                    line_no,
                    line,
                    offset..offset + fields[i].1.len(),
                    format!("{what} is `{text}`"),
                    "a whole number",
                    "repair the field",
                )
            })
        };
        let gpus = number(gpu, "gpu")?;
        if gpus == 0 {
            without_gpus += 1;
            continue;
        }
        nodes.push(Node {
            name: fields[sn].1.trim().to_string(),
            cpus: match cpu {
                Some(i) => u32::try_from(number(i, "cpu_milli")? / 1000).unwrap_or(u32::MAX),
                None => 0,
            },
            memory_mib: match memory {
                Some(i) => number(i, "memory_mib")?,
                None => 0,
            },
            gpus: u32::try_from(gpus).unwrap_or(u32::MAX),
            model: fields[model].1.trim().to_string(),
            line: line_no,
        });
    }
    Ok((nodes, without_gpus))
}

/// A node model's power, an estimate (the trace gives none): the GPUs at
/// their TDP plus 250 W of board, fans and PSU losses and 3 W per CPU
/// thread; idle 20% of that (LBNL's "around 20% of nameplate", as the
/// catalog's PCIe-8GPU).
fn node_power_watts(gpus: u32, gpu_tdp_watts: u32, cpus: u32) -> (u32, u32) {
    let max = gpus * gpu_tdp_watts + 250 + 3 * cpus;
    (max, max / 5)
}

/// A node group's (trace GPU name, GPUs, CPUs, memory in MiB).
type GroupKey = (String, u32, u32, u64);

fn write(
    source: &str,
    nodes: &[Node],
    without_gpus: usize,
    models: &[(String, String)],
    pods: Option<&str>,
    catalog: &Catalog,
) -> String {
    // Groups: (model, gpus, cpus, memory) in order of first appearance.
    let mut groups: Vec<(GroupKey, Vec<&str>)> = Vec::new();
    for n in nodes {
        let key = (n.model.clone(), n.gpus, n.cpus, n.memory_mib);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&n.name),
            None => groups.push((key, vec![&n.name])),
        }
    }
    let model_of = |name: &str| -> String {
        models
            .iter()
            .find(|(n, _)| n == name)
            .map_or(name, |(_, m)| m.as_str())
            .to_string()
    };
    let stand_in = |name: &str| STAND_INS.iter().find(|(n, _, _)| *n == name);
    let gpu_of = |name: &str| -> Option<GpuModel> {
        let model = model_of(name);
        match stand_in(&model) {
            Some((_, s, _)) => catalog.gpu(s).cloned(),
            None => catalog.gpu(&model).cloned(),
        }
    };
    let total_gpus: u64 = nodes.iter().map(|n| u64::from(n.gpus)).sum();
    let mut o = String::new();
    writeln!(
        o,
        "// Imported by `clustersim import alibaba` from:\n//   {source}"
    )
    .unwrap();
    if let Some(p) = pods {
        writeln!(o, "//   {p} (the pod list replayed)").unwrap();
    }
    writeln!(
        o,
        "//\n// Alibaba's GPU cluster trace v2023 (alibaba/clusterdata, cluster-trace-gpu-v2023;\n\
         // Weng et al., \"Beware of Fragmentation\", USENIX ATC'23): {} nodes with {} GPUs,\n\
         // one node group per (GPU model, GPUs, CPUs, memory), the nodes' own names as hosts.",
        nodes.len(),
        total_gpus
    )
    .unwrap();
    if without_gpus > 0 {
        writeln!(
            o,
            "// {without_gpus} nodes without GPUs are left out: clustersim models GPUs only."
        )
        .unwrap();
    }
    o.push_str("//\n// How some things were mapped:\n");
    for (name, model) in models {
        match stand_in(model) {
            Some((_, s, why)) => writeln!(
                o,
                "//   - GPU `{name}`: an undisclosed internal code (the trace's README: \"G1, G2, G3 are\n\
                 //     undisclosed internal GPU codes\"). ASSUMED to be like the {s}:\n\
                 //     {why}.\n\
                 //     Added below with that card's figures; replace them if you know better."
            )
            .unwrap(),
            None => writeln!(o, "//   - GPU `{name}`: catalog model {model}").unwrap(),
        }
    }
    o.push_str(
        "//   - node models: CPUs (cpu_milli / 1000) and memory from the list; one 25 Gb/s NIC and\n\
         //     the power (GPUs at TDP + 250 W + 3 W per CPU, idle 20%) are ESTIMATES: the trace\n\
         //     gives neither.\n",
    );
    writeln!(o, "Scenario(").unwrap();
    writeln!(o, "    name: \"alibaba-openb\",").unwrap();
    writeln!(
        o,
        "    description: \"Alibaba GPU cluster trace v2023 (openb): {} nodes, {} GPUs\",",
        nodes.len(),
        total_gpus
    )
    .unwrap();
    writeln!(o, "    seed: 1,").unwrap();
    writeln!(o, "    catalog: (").unwrap();
    let additions: Vec<&(String, String)> = models
        .iter()
        .filter(|(_, m)| stand_in(m).is_some())
        .collect();
    if !additions.is_empty() {
        writeln!(o, "        gpus: [").unwrap();
        for (_, model) in additions {
            if let (Some((_, s, _)), Some(g)) = (stand_in(model), gpu_of(model)) {
                writeln!(o, "            // ASSUMED: the figures of the {s}.").unwrap();
                writeln!(o, "            {},", gpu_entry(model, s, &g)).unwrap();
            }
        }
        writeln!(o, "        ],").unwrap();
    }
    writeln!(o, "        nodes: [").unwrap();
    let mut node_models = Vec::new();
    for ((model, gpus, cpus, memory_mib), _) in &groups {
        let name = format!("openb-{model}x{gpus}-{cpus}c-{}GiB", memory_mib / 1024);
        let tdp = gpu_of(model).map_or(300, |g| g.tdp_watts);
        let (max, idle) = node_power_watts(*gpus, tdp, *cpus);
        writeln!(
            o,
            "            (name: \"{name}\", description: \"openb server: {gpus}x {model}, {cpus} CPUs, {memory_mib} MiB\", gpu_model: \"{}\", gpus_per_node: {gpus}, compute_nics: 1, nic_bandwidth: \"25Gbps\", cpu_cores: {cpus}, host_memory: \"{memory_mib}MiB\", max_power_watts: {max}, idle_power_watts: {idle}),",
            model_of(model)
        )
        .unwrap();
        node_models.push(name);
    }
    writeln!(o, "        ],\n    ),").unwrap();
    writeln!(o, "    cluster: (\n        node_groups: [").unwrap();
    for ((_, names), node_model) in groups.iter().zip(&node_models) {
        writeln!(
            o,
            "            (name: \"{}\", count: {}, hosts: \"{}\", node_model: \"{node_model}\"),",
            node_model.trim_start_matches("openb-").to_lowercase(),
            names.len(),
            hostlist::compress(names),
        )
        .unwrap();
    }
    writeln!(o, "        ],\n    ),").unwrap();
    writeln!(o, "    workload: (").unwrap();
    match pods {
        Some(p) => {
            let mapped: Vec<String> = models
                .iter()
                .filter(|(n, m)| n != m)
                .map(|(n, m)| format!("\"{n}\": \"{m}\""))
                .collect();
            writeln!(
                o,
                "        // The pod list, replayed (the path is relative to this file): CPU-only pods are\n        \
                 // dropped, fractions of a GPU kept as GPU shares, QoS classes as priorities.\n        \
                 trace: (file: {p:?}, format: AlibabaPods, gpu_models: {{{}}}),",
                mapped.join(", ")
            )
            .unwrap();
        }
        None => o.push_str(
            "        // AN EXAMPLE WORKLOAD, so that the scenario runs: import again with --pods\n        \
             // openb_pod_list_default.csv to replay the trace's pods.\n        \
             generators: [(\n            name: \"example\",\n            arrival: Poisson(mean_interarrival: \"1m\"),\n            count: 200,\n            \
             sizes: [(request: Gpus(1), weight: 9.0), (request: Gpus(8), weight: 1.0)],\n            \
             duration: Uniform(min: \"10m\", max: \"4h\"),\n            time_limit_factor: 2.0,\n        )],\n",
        ),
    }
    writeln!(o, "    ),").unwrap();
    writeln!(o, "    scheduler: (),\n)").unwrap();
    o
}

/// A catalog addition named `name` with every figure of `g`.
fn gpu_entry(name: &str, stand_in: &str, g: &GpuModel) -> String {
    let mut fields = vec![
        format!("name: {name:?}"),
        format!("description: \"undisclosed ({name}); figures of the {stand_in}\""),
    ];
    for (key, value) in [
        ("fp64_tflops", g.fp64_tflops),
        ("tf32_tflops", g.tf32_tflops),
        ("bf16_tflops", g.bf16_tflops),
        ("fp8_tflops", g.fp8_tflops),
    ] {
        if let Some(v) = value {
            fields.push(format!("{key}: {v:?}"));
        }
    }
    fields.push(format!("memory: \"{}\"", g.memory));
    fields.push(format!("memory_bandwidth: \"{}\"", g.memory_bandwidth));
    if let Some(nv) = g.nvlink_bandwidth {
        fields.push(format!("nvlink_bandwidth: \"{nv}\""));
    }
    fields.push(format!("compute_capability: {}", g.compute_capability));
    fields.push(format!("tdp_watts: {}", g.tdp_watts));
    fields.push(format!("idle_watts: {}", g.idle_watts));
    fields.push(format!("price_per_gpu_hour: \"{}\"", g.price_per_gpu_hour));
    fields.push(format!("matmul_efficiency: {:?}", g.matmul_efficiency));
    format!("({})", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_stand_ins() {
        let text = "sn,cpu_milli,memory_mib,gpu,model\n\
                    n-0,64000,262144,2,P100\nn-1,64000,262144,2,P100\n\
                    n-2,96000,393216,8,G2\nn-3,32000,262144,0,\n";
        let (nodes, without) = read_nodes("n.csv", text).unwrap();
        assert_eq!((nodes.len(), without), (3, 1));
        let catalog = Catalog::builtin();
        let models = vec![
            ("P100".to_string(), "P100-PCIe-16GB".to_string()),
            ("G2".to_string(), "G2".to_string()),
        ];
        let ron = write("n.csv", &nodes, without, &models, None, &catalog);
        assert!(ron.contains("hosts: \"n-[0-1]\""), "{ron}");
        assert!(ron.contains("name: \"G2\""), "{ron}");
        assert!(ron.contains("ASSUMED"), "{ron}");
        crate::scenario::load_str("imported.ron", &ron, &[]).expect("loads");
        let bad = "sn,cpu_milli,memory_mib,gpu,model\nn-0,64000,262144,two,P100\n";
        let e = read_nodes("n.csv", bad).err().unwrap();
        assert_eq!((e.line, e.column), (2, 18));
    }
}
