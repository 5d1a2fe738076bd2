//! `clustersim catalog`: the GPU and node models as tables (or JSON).

use std::io::{self, Write};
use std::path::Path;

use sim_core::hardware::Catalog;
use sim_core::scenario;

use super::table::{Align, Table};
use super::{Failure, write_json};

fn tflops(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.1}"))
}

/// The model's name on the left, then figures on the right.
fn numbers_after_a_name<'a>(header: &[&'a str]) -> Vec<(&'a str, Align)> {
    let align = |c: usize| if c == 0 { Align::Left } else { Align::Right };
    header
        .iter()
        .enumerate()
        .map(|(c, &h)| (h, align(c)))
        .collect()
}

/// A node model's NVLink domain: its GPUs when the domain is the node,
/// else GPUs and nodes of the whole domain (a rack); `-` when its GPU has
/// no NVLink.
fn nvlink_domain(catalog: &Catalog, n: &sim_core::hardware::NodeModel) -> String {
    let nvlink = catalog.gpu(&n.gpu_model).and_then(|g| g.nvlink_bandwidth);
    if nvlink.is_none() {
        return "-".into();
    }
    let nodes = n.nvlink_domain_nodes.max(1);
    let gpus = u64::from(nodes) * u64::from(n.gpus_per_node);
    if nodes == 1 {
        format!("{gpus} GPUs")
    } else {
        format!("{gpus} GPUs / {nodes} nodes")
    }
}

pub fn print(scenario: Option<&Path>, json: bool, out: &mut dyn Write) -> Result<(), Failure> {
    let catalog = match scenario {
        Some(path) => scenario::load_file(path, &[])?.scenario.catalog,
        None => Catalog::builtin(),
    };
    if json {
        write_json(out, &catalog)
    } else {
        write_text(out, &catalog)
    }
    .map_err(Failure::stdout)
}

fn write_text(out: &mut dyn Write, catalog: &Catalog) -> io::Result<()> {
    let mut gpus = Table::new(&numbers_after_a_name(&[
        "model",
        "FP64",
        "TF32",
        "BF16",
        "FP8",
        "mem GiB",
        "mem GB/s",
        "NVLink GB/s",
        "NVLS",
        "TDP W",
        "idle W",
        "$/GPU-h",
    ]));
    for g in &catalog.gpus {
        gpus.row([
            g.name.clone(),
            tflops(g.fp64_tflops),
            tflops(g.tf32_tflops),
            tflops(g.bf16_tflops),
            tflops(g.fp8_tflops),
            format!("{:.0}", g.memory.as_gib_f64()),
            format!("{:.0}", g.memory_bandwidth.as_gbytes_per_s_f64()),
            g.nvlink_bandwidth
                .map_or("-".into(), |b| format!("{:.0}", b.as_gbytes_per_s_f64())),
            if g.nvlink_sharp { "yes" } else { "-" }.to_string(),
            g.tdp_watts.to_string(),
            g.idle_watts.to_string(),
            g.price_per_gpu_hour.to_string(),
        ]);
    }
    writeln!(
        out,
        "GPU models (dense peak TFLOPS; NVLink both directions per GPU; NVLS: NVLink SHARP in the \
         NVSwitch; indicative on-demand price)"
    )?;
    gpus.write(out)?;
    let mut nodes = Table::new(&numbers_after_a_name(&[
        "model",
        "GPU",
        "GPUs",
        "NVLink domain",
        "compute NICs",
        "cores",
        "RAM GiB",
        "max kW",
        "idle kW",
        "price",
        "cloud $/h",
    ]));
    for n in &catalog.nodes {
        nodes.row([
            n.name.clone(),
            n.gpu_model.clone(),
            n.gpus_per_node.to_string(),
            nvlink_domain(catalog, n),
            format!("{} x {}", n.compute_nics, n.nic_bandwidth),
            n.cpu_cores.to_string(),
            format!("{:.0}", n.host_memory.as_gib_f64()),
            format!("{:.1}", f64::from(n.max_power_watts) / 1000.0),
            format!("{:.2}", f64::from(n.idle_power_watts) / 1000.0),
            n.purchase_price
                .map_or("-".into(), |p| format!("${:.0}", p.as_f64())),
            n.instance_price_per_hour
                .map_or("-".into(), |p| p.to_string()),
        ]);
    }
    writeln!(out, "\nNode models")?;
    nodes.write(out)?;
    writeln!(
        out,
        "\nSources: sim-core/src/hardware/builtin.rs cites the datasheet of every number; \
         prices are volatile: set your own in a scenario's catalog (see docs/cost.md)."
    )
}
