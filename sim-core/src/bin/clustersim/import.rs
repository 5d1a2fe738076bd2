//! `clustersim import slurm`: a site's slurm.conf (with topology.conf,
//! sacctmgr's QOS and a sacct log) as a commented scenario; `clustersim
//! import alibaba`: Alibaba's GPU cluster trace v2023 (node list, pod
//! list) likewise. Thin: the reading and mapping are `sim_core::import`'s;
//! this parses the arguments, writes the file and checks that it loads.

use std::io::Write;
use std::path::PathBuf;

use sim_core::import::{self, AlibabaFiles, Imported, SlurmFiles};
use sim_core::scenario;

use crate::{Failure, shown};

#[derive(clap::Subcommand)]
pub enum ImportKind {
    /// A Slurm configuration: slurm.conf, and optionally topology.conf,
    /// `sacctmgr show qos -P` output and `sacct --parsable2` output.
    ///
    /// Every key is mapped or listed in the scenario's opening comment with
    /// the reason it is left out; keys slurm.conf(5) does not know are
    /// warned about on stderr.
    #[command(
        after_help = "Examples:\n  clustersim import slurm /etc/slurm/slurm.conf -o my-cluster.ron\n  clustersim import slurm slurm.conf --topology topology.conf --qos qos.txt --sacct last-month.txt -o my-cluster.ron\n  clustersim import slurm slurm.conf --gpu-model v100=A100-SXM-40GB"
    )]
    Slurm(SlurmArgs),
    /// Alibaba's GPU cluster trace v2023 ("openb", alibaba/clusterdata
    /// cluster-trace-gpu-v2023): its node list as the cluster, optionally
    /// its pod list as the workload.
    ///
    /// One node group per (GPU model, GPUs, CPUs, memory), with the nodes'
    /// own names; T4, P100, V100M16, V100M32 and A10 map to catalog cards,
    /// the undisclosed G2 and G3 are added with a stated stand-in's
    /// figures.
    #[command(
        after_help = "Examples:\n  clustersim import alibaba openb_node_list_gpu_node.csv -o openb.ron\n  clustersim import alibaba openb_node_list_gpu_node.csv --pods openb_pod_list_default.csv -o openb.ron\n  clustersim import alibaba nodes.csv --gpu-model G1=A100-SXM-40GB"
    )]
    Alibaba(AlibabaArgs),
}

#[derive(clap::Args)]
pub struct AlibabaArgs {
    /// The node list (openb_node_list_gpu_node.csv: sn, cpu_milli,
    /// memory_mib, gpu, model).
    nodes: PathBuf,
    /// A pod list to replay as the workload (openb_pod_list_*.csv).
    #[arg(long, value_name = "FILE")]
    pods: Option<PathBuf>,
    /// Map a GPU name of the list to a catalog model. Repeatable.
    #[arg(long = "gpu-model", value_name = "NAME=MODEL")]
    gpu_model: Vec<String>,
    /// Write the scenario here instead of stdout.
    #[arg(short = 'o', long = "out", value_name = "OUT.ron")]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct SlurmArgs {
    /// The slurm.conf file.
    conf: PathBuf,
    /// topology.conf (the tree plugin's switches).
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
    /// `sacct --parsable2` output to replay as the workload.
    #[arg(long, value_name = "FILE")]
    sacct: Option<PathBuf>,
    /// `sacctmgr show qos -P` output.
    #[arg(long, value_name = "FILE")]
    qos: Option<PathBuf>,
    /// Map a Gres GPU type to a catalog model (`gpu` for an untyped Gres).
    /// Repeatable.
    #[arg(long = "gpu-model", value_name = "TYPE=MODEL")]
    gpu_model: Vec<String>,
    /// Write the scenario here instead of stdout.
    #[arg(short = 'o', long = "out", value_name = "OUT.ron")]
    out: Option<PathBuf>,
}

/// `--gpu-model NAME=MODEL` arguments as pairs.
fn mappings(args: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let mut mappings = Vec::new();
    for m in args {
        let Some((kind, model)) = m.split_once('=') else {
            return Err(Failure::BadInput(format!(
                "--gpu-model {}: expected TYPE=MODEL, e.g. --gpu-model v100=A100-SXM-40GB",
                sim_core::text::escape_control(m)
            )));
        };
        mappings.push((kind.to_string(), model.to_string()));
    }
    Ok(mappings)
}

pub fn run(kind: ImportKind, stdout: &mut dyn Write) -> Result<(), Failure> {
    let args = match kind {
        ImportKind::Slurm(args) => args,
        ImportKind::Alibaba(args) => {
            let mappings = mappings(&args.gpu_model)?;
            let files = AlibabaFiles {
                nodes: &args.nodes,
                pods: args.pods.as_deref(),
                gpu_models: &mappings,
                out: args.out.as_deref(),
            };
            let imported = import::alibaba(&files).map_err(|e| Failure::BadInput(e.to_string()))?;
            return finish(imported, args.out.as_deref(), stdout);
        }
    };
    let mappings = mappings(&args.gpu_model)?;
    let files = SlurmFiles {
        conf: &args.conf,
        topology: args.topology.as_deref(),
        sacct: args.sacct.as_deref(),
        qos: args.qos.as_deref(),
        gpu_models: &mappings,
        out: args.out.as_deref(),
    };
    let imported = import::slurm(&files).map_err(|e| Failure::BadInput(e.to_string()))?;
    finish(imported, args.out.as_deref(), stdout)
}

/// Writes the scenario (to `out`, or stdout) once it loads.
fn finish(
    imported: Imported,
    out: Option<&std::path::Path>,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    for w in &imported.warnings {
        note!("{w}");
    }
    match out {
        Some(path) => {
            std::fs::write(path, &imported.ron)
                .map_err(|e| Failure::BadInput(format!("cannot write {}: {e}", shown(path))))?;
            // The import is only done when the scenario loads.
            scenario::load_file(path, &[])?;
            note!("wrote {}", shown(path));
            Ok(())
        }
        None => {
            // Relative paths in it (the sacct file's) start here.
            scenario::load_str("imported.ron", &imported.ron, &[])?;
            stdout
                .write_all(imported.ron.as_bytes())
                .map_err(Failure::stdout)
        }
    }
}
