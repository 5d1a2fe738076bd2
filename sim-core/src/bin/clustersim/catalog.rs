//! `clustersim catalog`: the GPU and node models as tables (or JSON).

use std::io::{self, Write};
use std::path::Path;

use sim_core::hardware::Catalog;
use sim_core::scenario;

use super::{Failure, write_json};

fn tflops(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.1}"))
}

/// Left-aligns the first column and right-aligns the others.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
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
    let gpu_rows: Vec<Vec<String>> = catalog
        .gpus
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                tflops(g.fp64_tflops),
                tflops(g.tf32_tflops),
                tflops(g.bf16_tflops),
                tflops(g.fp8_tflops),
                format!("{:.0}", g.memory.as_gib_f64()),
                format!("{:.0}", g.memory_bandwidth.as_gbytes_per_s_f64()),
                g.nvlink_bandwidth
                    .map_or("-".into(), |b| format!("{:.0}", b.as_gbytes_per_s_f64())),
                g.tdp_watts.to_string(),
                g.price_per_gpu_hour.to_string(),
            ]
        })
        .collect();
    writeln!(
        out,
        "GPU models (dense peak TFLOPS; NVLink both directions per GPU; indicative on-demand price)"
    )?;
    write!(
        out,
        "{}",
        table(
            &[
                "model",
                "FP64",
                "TF32",
                "BF16",
                "FP8",
                "mem GiB",
                "mem GB/s",
                "NVLink GB/s",
                "TDP W",
                "$/GPU-h"
            ],
            &gpu_rows
        )
    )?;
    let node_rows: Vec<Vec<String>> = catalog
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.name.clone(),
                n.gpu_model.clone(),
                n.gpus_per_node.to_string(),
                format!("{} x {}", n.compute_nics, n.nic_bandwidth),
                n.cpu_cores.to_string(),
                format!("{:.0}", n.host_memory.as_gib_f64()),
                format!("{:.1}", f64::from(n.max_power_watts) / 1000.0),
                n.purchase_price
                    .map_or("-".into(), |p| format!("${:.0}", p.as_f64())),
            ]
        })
        .collect();
    writeln!(out, "\nNode models")?;
    write!(
        out,
        "{}",
        table(
            &[
                "model",
                "GPU",
                "GPUs",
                "compute NICs",
                "cores",
                "RAM GiB",
                "max kW",
                "price"
            ],
            &node_rows
        )
    )?;
    writeln!(
        out,
        "\nSources: sim-core/src/hardware/builtin.rs cites the datasheet of every number."
    )
}
