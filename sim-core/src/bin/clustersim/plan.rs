//! `clustersim plan`: capacity planning for one LLM training run. From a
//! model, a token budget, a GPU/node model and a layout, it prints the
//! total FLOPs, the per-GPU memory, the simulated step and the days, GPU
//! hours and cost; with `--days` and no `--gpus` it finds the fewest GPUs
//! (a multiple of tp·pp·cp) that finish in time.
//!
//! Communication comes from the analytic collective model
//! (`collective::analytic::Nccl`) on the catalog's NVLink and NICs, as on
//! a non-blocking fabric.

use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;
use sim_core::collective::analytic::{Links, Nccl};
use sim_core::hardware::{Catalog, GpuModel, NodeModel};
use sim_core::scenario::Network;
use sim_core::text::escape_control;
use sim_core::training::{
    self, AttentionKernel, CommModel, Layout, ModelSpec, Precision, Recompute, StepReport,
    TrainingError,
};
use sim_core::units::{self, Usd, parse_usd};

use super::{Failure, Format, write_json};

#[derive(clap::Args)]
pub struct PlanArgs {
    /// A preset (gpt3-175b, llama2-7b, llama3-8b, llama3-70b, llama3-405b,
    /// mixtral-8x7b, megatron-145b) or a RON file holding a ModelSpec.
    #[arg(long)]
    model: String,
    /// Training tokens: 15T, 300B, 2.5e12.
    #[arg(long)]
    tokens: String,
    /// Target wall-clock days; with no --gpus, the GPU count is chosen to
    /// meet it.
    #[arg(long, value_parser = days)]
    days: Option<f64>,
    /// GPU count (a multiple of tp·pp·cp).
    #[arg(long, value_parser = count::<u64>)]
    gpus: Option<u64>,
    /// Plan on this scenario's cluster: a node group's GPU and node
    /// models (with the scenario's catalog), its fabric and NCCL settings,
    /// and no more GPUs than the group has. Its workload is not needed.
    #[arg(long, value_name = "SCENARIO.ron")]
    scenario: Option<std::path::PathBuf>,
    /// The scenario's node group to plan on [default: the first].
    #[arg(long, requires = "scenario")]
    group: Option<String>,
    /// GPU model from the catalog [default: the node's].
    #[arg(long)]
    gpu: Option<String>,
    /// Node model from the catalog [default: the first with --gpu].
    #[arg(long)]
    node: Option<String>,
    #[arg(long, default_value_t = 8, value_parser = count::<u32>)]
    tp: u32,
    #[arg(long, default_value_t = 1, value_parser = count::<u32>)]
    pp: u32,
    /// Model chunks per pipeline rank (interleaved schedule).
    #[arg(long, default_value_t = 1, value_parser = count::<u32>)]
    virtual_stages: u32,
    #[arg(long, default_value_t = 1, value_parser = count::<u32>)]
    cp: u32,
    #[arg(long, default_value_t = 1, value_parser = count::<u32>)]
    ep: u32,
    #[arg(long, default_value_t = 1, value_parser = count::<u32>)]
    micro_batch: u32,
    /// Sequences per step.
    #[arg(long, value_parser = count::<u32>)]
    global_batch: u32,
    #[arg(long, default_value_t = 1)]
    zero_stage: u8,
    #[arg(long, value_enum, default_value_t = RecomputeArg::Selective)]
    recompute: RecomputeArg,
    #[arg(long)]
    sequence_parallel: bool,
    /// Materialise attention scores (Megatron-LM 2021) instead of FlashAttention.
    #[arg(long)]
    unfused_attention: bool,
    /// First and last pipeline stage one layer fewer (Llama 3).
    #[arg(long)]
    balance_embedding_stages: bool,
    /// Overlap pipeline sends with the next chunk's compute (Megatron-Core
    /// --overlap-p2p-communication; interleaved schedule only).
    #[arg(long)]
    overlap_p2p_comm: bool,
    /// Override the model's sequence length.
    #[arg(long, value_parser = count::<u32>)]
    seq_len: Option<u32>,
    #[arg(long, value_enum, default_value_t = PrecisionArg::Bf16)]
    precision: PrecisionArg,
    /// Price per GPU-hour, e.g. '$2.50' [default: the catalog's].
    #[arg(long)]
    price_per_gpu_hour: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RecomputeArg {
    None,
    Selective,
    Full,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PrecisionArg {
    Bf16,
    Fp8,
}

/// NCCL's analytic model on the node's links, under one leaf of the
/// scenario's fabric with its NCCL settings (a non-blocking fabric at the
/// NICs' rate without a scenario).
fn comm_model(gpu: &GpuModel, node: &NodeModel, network: Option<&Network>) -> impl CommModel {
    let links = Links::for_models(gpu, node, node.gpus_per_node);
    match network {
        Some(network) => Nccl {
            forced: network.forced,
            ..Nccl::new(network.links(links, 1))
        },
        None => Nccl::new(links),
    }
}

/// A degree, batch size, GPU count or length: each divides or is divided
/// by something, so it is a whole number of 1 or more. (Clap puts the
/// flag and the value before this message.)
fn count<T: FromStr + PartialOrd + From<u8>>(text: &str) -> Result<T, String> {
    match text.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        Ok(_) => Err("a count must be at least 1; use 1 or more".into()),
        Err(_) => Err("not a whole number; use 1 or more".into()),
    }
}

/// `--days`: a positive, finite number of days.
fn days(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(d) if d.is_finite() && d > 0.0 => Ok(d),
        Ok(_) => Err(
            "days must be above zero and finite; give a target like 90, or --gpus instead".into(),
        ),
        Err(_) => Err("not a number of days; give a target like 90, or --gpus instead".into()),
    }
}

/// `15T`, `300B`, `2.5e12`, `1M` as a token count.
fn parse_tokens(text: &str) -> Result<f64, String> {
    units::parse_count(text).map_err(|e| {
        format!(
            "--tokens {}: not a token count; {}",
            escape_control(&e.found),
            e.fix
        )
    })
}

fn load_model(name: &str) -> Result<ModelSpec, String> {
    if let Some(m) = training::model::preset(name) {
        return Ok(m);
    }
    let path = Path::new(name);
    if !path.exists() {
        return Err(format!(
            "--model {name:?} is neither a preset nor a file; give a preset ({}) or the path of a RON file holding a ModelSpec",
            training::model::PRESETS.join(", ")
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "--model {}: cannot read it: {e}; give a preset or a RON file holding a ModelSpec",
            super::shown(path)
        )
    })?;
    sim_core::scenario::model_from_ron(&text).map_err(|e| {
        format!(
            "--model {}: not a ModelSpec: {e}; give a preset or a RON file holding a ModelSpec",
            super::shown(path)
        )
    })
}

#[derive(Serialize)]
struct Plan {
    model: String,
    gpu: String,
    node: String,
    gpus: u64,
    tokens: f64,
    /// 6·P·D with P the (active) parameters.
    six_p_d_flops: f64,
    /// Exact model FLOPs (no recomputation) for the whole run.
    model_flops: f64,
    /// With recomputation.
    hardware_flops: f64,
    layout: Layout,
    step: StepReport,
    steps: f64,
    days: f64,
    gpu_hours: f64,
    price_per_gpu_hour_usd: f64,
    cost_usd: f64,
}

pub fn plan(args: PlanArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let bad = Failure::BadInput;
    let loaded = match &args.scenario {
        Some(path) => Some(super::load_cluster(path, &[])?),
        None => None,
    };
    let group = match (&loaded, &args.group) {
        (Some(l), name) => Some(super::node_group(
            &l.scenario.cluster,
            name.as_deref(),
            args.scenario.as_deref().unwrap_or(Path::new("")),
        )?),
        (None, _) => None,
    };
    let catalog = match &loaded {
        Some(l) => l.scenario.catalog.clone(),
        None => Catalog::builtin(),
    };
    // On a scenario's cluster: the group's models, unless named.
    let (gpu_name, node_name) = match group {
        Some(g) if args.gpu.is_none() && args.node.is_none() => (
            Some(g.gpu_model.name.clone()),
            Some(g.node_model.name.clone()),
        ),
        _ => (args.gpu.clone(), args.node.clone()),
    };
    let network = loaded.as_ref().map(|l| &l.scenario.network);
    let cluster_gpus = group.map(|g| u64::from(g.node_count) * u64::from(g.gpus_per_node));
    let mut model = load_model(&args.model).map_err(bad)?;
    if let Some(s) = args.seq_len {
        model.seq_len = s;
    }
    let tokens = parse_tokens(&args.tokens).map_err(bad)?;
    let (gpu, node) = resolve_hardware(&catalog, gpu_name.as_deref(), node_name.as_deref())
        .map_err(Failure::BadInput)?;
    let price = match &args.price_per_gpu_hour {
        Some(p) => parse_usd(p).map_err(|e| {
            Failure::BadInput(format!(
                "--price-per-gpu-hour {}: expected {}; {}",
                escape_control(&e.found),
                e.expected,
                e.fix
            ))
        })?,
        None => gpu.price_per_gpu_hour,
    };
    let precision = match args.precision {
        PrecisionArg::Bf16 => Precision::Bf16,
        PrecisionArg::Fp8 => Precision::Fp8,
    };
    let base = Layout {
        tp: args.tp,
        pp: args.pp,
        virtual_stages: args.virtual_stages,
        dp: 1,
        cp: args.cp,
        ep: args.ep,
        micro_batch: args.micro_batch,
        global_batch: args.global_batch,
        zero_stage: args.zero_stage,
        recompute: match args.recompute {
            RecomputeArg::None => Recompute::None,
            RecomputeArg::Selective => Recompute::Selective,
            RecomputeArg::Full => Recompute::Full,
        },
        sequence_parallel: args.sequence_parallel,
        attention: if args.unfused_attention {
            AttentionKernel::Unfused
        } else {
            AttentionKernel::Flash
        },
        overlap_grad_reduce: true,
        overlap_p2p_comm: args.overlap_p2p_comm,
        balance_embedding_stages: args.balance_embedding_stages,
    };
    let comm = comm_model(gpu, node, network);
    let per_replica = u64::from(args.tp)
        .checked_mul(u64::from(args.pp))
        .and_then(|n| n.checked_mul(u64::from(args.cp)))
        .ok_or_else(|| {
            bad(format!(
                "--tp {} × --pp {} × --cp {} GPUs per replica is beyond any cluster; lower them",
                args.tp, args.pp, args.cp
            ))
        })?;
    let simulate = |dp: u32| -> Result<(Layout, StepReport), TrainingError> {
        let layout = Layout { dp, ..base.clone() };
        let r = training::step(
            &model,
            &layout,
            precision,
            gpu,
            node.nvlink_domain_gpus(),
            &comm,
        )?;
        Ok((layout, r))
    };
    let days_of = |r: &StepReport| tokens / r.tokens_per_s / 86_400.0;
    // Whether `dp` replicas split the global batch in whole micro-batches.
    let splits = |dp: u32| {
        u64::from(args.global_batch).is_multiple_of(u64::from(args.micro_batch) * u64::from(dp))
    };
    let largest_dp = |max: u32| (1..=max).rev().find(|&dp| splits(dp));
    let (layout, report) = match (args.gpus, args.days) {
        (Some(n), _) if cluster_gpus.is_some_and(|c| n > c) => {
            return Err(bad(format!(
                "--gpus {n} is more than the scenario's cluster has ({}); lower --gpus or drop --scenario",
                cluster_gpus.unwrap_or(0)
            )));
        }
        (Some(n), _) => {
            if n % per_replica != 0 {
                return Err(bad(format!(
                    "--gpus {n} is not a multiple of tp·pp·cp = {per_replica}"
                )));
            }
            let dp =
                u32::try_from(n / per_replica).map_err(|_| bad("--gpus is too large".into()))?;
            simulate(dp).map_err(|e| bad(e.to_string()))?
        }
        (None, Some(target)) => {
            // The smallest DP (so GPU count) that meets the target; DP
            // must divide the global batch in whole micro-batches.
            let mut max_dp = args.global_batch / args.micro_batch;
            if let Some(c) = cluster_gpus {
                max_dp = max_dp.min(u32::try_from(c / per_replica).unwrap_or(u32::MAX));
            }
            let mut last_err = None;
            let mut found = None;
            for dp in 1..=max_dp {
                if !splits(dp) {
                    continue;
                }
                match simulate(dp) {
                    Ok((l, r)) if days_of(&r) <= target => {
                        found = Some((l, r));
                        break;
                    }
                    Ok((l, r)) => {
                        last_err = Some(format!(
                            "even {} GPUs (dp {}) need {:.1} days",
                            l.gpus(),
                            dp,
                            days_of(&r)
                        ))
                    }
                    Err(e) => last_err = Some(e.to_string()),
                }
            }
            found.ok_or_else(|| {
                bad(format!(
                    "no GPU count{} meets {target} days with this layout ({}); raise --global-batch or the target",
                    cluster_gpus.map_or(String::new(), |c| format!(" up to the cluster's {c}")),
                    last_err.unwrap_or_default()
                ))
            })?
        }
        (None, None) => match cluster_gpus {
            // The whole cluster, as far as the global batch splits.
            Some(c) => {
                let replicas = u32::try_from(c / per_replica).unwrap_or(u32::MAX);
                let dp = largest_dp(replicas).ok_or_else(|| {
                    bad(if replicas == 0 {
                        format!(
                            "the cluster's {c} GPUs do not hold one tp·pp·cp = {per_replica} replica"
                        )
                    } else {
                        format!(
                            "--global-batch {} does not split into whole micro-batches of {} over any of 1 to {replicas} replicas; use a global batch that is a multiple of --micro-batch",
                            args.global_batch, args.micro_batch
                        )
                    })
                })?;
                simulate(dp).map_err(|e| bad(e.to_string()))?
            }
            None => return Err(bad("give --gpus, --days or --scenario".into())),
        },
    };
    let flops = training::step_flops(&model, &layout);
    let step_tokens = f64::from(layout.global_batch) * f64::from(model.seq_len);
    let steps = tokens / step_tokens;
    let days = days_of(&report);
    let gpu_hours = report.gpus as f64 * days * 24.0;
    let plan = Plan {
        model: model.name.clone(),
        gpu: gpu.name.clone(),
        node: node.name.clone(),
        gpus: report.gpus,
        tokens,
        six_p_d_flops: 6.0 * model.active_parameter_count() * tokens,
        model_flops: flops.model_flops * steps,
        hardware_flops: flops.hardware_flops * steps,
        layout,
        steps,
        days,
        gpu_hours,
        price_per_gpu_hour_usd: price.as_f64(),
        cost_usd: gpu_hours * price.as_f64(),
        step: report,
    };
    match args.format {
        Format::Json => write_json(out, &plan),
        Format::Text => write_text(out, &plan, price),
    }
    .map_err(Failure::stdout)
}

fn resolve_hardware<'a>(
    catalog: &'a Catalog,
    gpu: Option<&str>,
    node: Option<&str>,
) -> Result<(&'a GpuModel, &'a NodeModel), String> {
    let node = match (node, gpu) {
        (Some(n), _) => catalog.node(n).ok_or_else(|| {
            format!(
                "--node {n:?} is not in the catalog ({})",
                catalog.node_names().collect::<Vec<_>>().join(", ")
            )
        })?,
        (None, Some(g)) => catalog
            .nodes
            .iter()
            .find(|n| n.gpu_model == g)
            .ok_or_else(|| format!("no catalog node carries GPU {g:?}; give --node"))?,
        (None, None) => return Err("give --gpu or --node".into()),
    };
    let gpu_name = gpu.unwrap_or(&node.gpu_model);
    let gpu = catalog.gpu(gpu_name).ok_or_else(|| {
        format!(
            "--gpu {gpu_name:?} is not in the catalog ({})",
            catalog.gpu_names().collect::<Vec<_>>().join(", ")
        )
    })?;
    Ok((gpu, node))
}

fn write_text(out: &mut dyn Write, p: &Plan, price: Usd) -> io::Result<()> {
    let s = &p.step;
    let gib = |b: f64| b / (1u64 << 30) as f64;
    let l = &p.layout;
    writeln!(
        out,
        "{} on {} x {} ({}), {:.3e} tokens",
        p.model, p.gpus, p.gpu, p.node, p.tokens
    )?;
    writeln!(
        out,
        "layout: tp {} pp {} (v {}) cp {} dp {} ep {}, micro-batch {}, global batch {}, ZeRO {}, recompute {:?}",
        l.tp,
        l.pp,
        l.virtual_stages,
        l.cp,
        l.dp,
        l.ep,
        l.micro_batch,
        l.global_batch,
        l.zero_stage,
        l.recompute
    )?;
    writeln!(
        out,
        "training FLOPs: 6PD {:.3e}; exact model {:.3e}; with recomputation {:.3e}",
        p.six_p_d_flops, p.model_flops, p.hardware_flops
    )?;
    let m = &s.memory;
    writeln!(
        out,
        "memory per GPU (pipeline rank {}): {:.1} of {:.0} GiB = weights {:.1} + gradients {:.1} + optimizer {:.1} + activations {:.1} + overhead {:.1}",
        m.pipeline_rank,
        gib(m.total_bytes),
        gib(m.capacity_bytes),
        gib(m.weights_bytes),
        gib(m.gradients_bytes),
        gib(m.optimizer_bytes),
        gib(m.activations_bytes),
        gib(m.overhead_bytes)
    )?;
    writeln!(
        out,
        "step {:.3} s = compute {:.3} + TP {:.3} + CP {:.3} + PP {:.3} + MoE {:.3} + bubble {:.3} + DP {:.3} ({} micro-batches)",
        s.step_s,
        s.compute_s,
        s.exposed_tp_s,
        s.exposed_cp_s,
        s.exposed_pp_s,
        s.exposed_moe_s,
        s.bubble_s,
        s.exposed_dp_s,
        s.micro_batches
    )?;
    writeln!(
        out,
        "compute {:.3} s = GEMMs {:.3} + attention {:.3} + memory-bound {:.3} (of which optimizer step {:.3})",
        s.compute_s, s.compute_gemm_s, s.compute_attention_s, s.compute_memory_s, s.optimizer_s
    )?;
    writeln!(
        out,
        "throughput: {:.0} tokens/s; {:.1} model TFLOP/s per GPU (MFU {:.1}%), {:.1} hardware TFLOP/s per GPU (with recomputation)",
        s.tokens_per_s,
        s.model_tflops_per_gpu,
        s.mfu * 100.0,
        s.hardware_tflops_per_gpu
    )?;
    writeln!(
        out,
        "run: {:.0} steps, {:.1} days, {:.0} GPU-hours, ${:.0} at {price}/GPU-hour",
        p.steps, p.days, p.gpu_hours, p.cost_usd
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_parse() {
        assert_eq!(parse_tokens("15T").unwrap(), 15e12);
        assert_eq!(parse_tokens("300B").unwrap(), 300e9);
        assert_eq!(parse_tokens("2.5e12").unwrap(), 2.5e12);
        assert!(parse_tokens("lots").is_err());
        assert!(parse_tokens("-3T").is_err());
    }
}
