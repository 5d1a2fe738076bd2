//! An LLM training job's step, simulated from the model's shapes, the
//! layout and the hardware, not assumed: MFU is an output.
//!
//! [`step`] composes, on the pipeline rank that is slowest:
//! - **compute**: per kernel class (see [`compute`]): the linear layers'
//!   GEMMs on a roofline capped at the GPU's `matmul_efficiency` (FP8
//!   only for these, as Transformer Engine runs them), the attention core
//!   at its own efficiency, and the memory-bound kernels (norms,
//!   activations, residual adds, FP8 casts, embedding, loss) by bytes over
//!   HBM bandwidth; the report splits `compute_s` into `compute_gemm_s`,
//!   `compute_attention_s` and `compute_memory_s`;
//! - **optimizer**: one memory-bound pass over the GPU's (ZeRO-sharded)
//!   optimizer state per step, after the pipeline drains (in
//!   `compute_memory_s` and `optimizer_s`);
//! - **TP**: per layer and micro-batch, Megatron's two all-reduces forward
//!   and two backward of s·b·h·2 bytes (with sequence parallelism the
//!   equivalent all-gather + reduce-scatter pairs; one more forward's worth
//!   with full recomputation), on the node's NVLink, not overlapped;
//! - **CP**: per layer, an all-gather of K and V forward and a
//!   reduce-scatter of their gradients backward, exposed (Llama 3's
//!   all-gather form of context parallelism, Dubey et al. 2024 §3.3.2);
//! - **MoE**: per MoE layer and micro-batch an all-to-all dispatch and
//!   combine forward and again backward, over the EP group, exposed;
//! - **PP**: per micro-batch and model chunk one activation send forward
//!   and one gradient send backward of s·b·h·2/t bytes (Megatron's
//!   scatter/gather over TP, Narayanan et al. SC'21 §4.1), exposed, or
//!   with `overlap_p2p_comm` on the interleaved schedule only what outlasts
//!   the next chunk's compute ([`pp_exposed_per_mb`]); and
//!   the pipeline bubble of the interleaved 1F1B schedule,
//!   t_pb = (p − 1)·(t_f + t_b)/v (SC'21 §2.2.2), where t_f + t_b is the
//!   slowest rank's time per micro-batch including its TP/CP/MoE/PP
//!   communication;
//! - **DP**: the gradient all-reduce (ZeRO 0) or reduce-scatter plus
//!   all-gather of the weights (ZeRO 1, 2; per micro-batch and twice the
//!   gather for ZeRO 3) over the DP·CP group. With `overlap_grad_reduce`
//!   it is bucketed and overlaps the last micro-batch's backward (plus the
//!   next step's first forward for the weight all-gather of ZeRO 1/2, and
//!   every micro-batch's compute for ZeRO 3's prefetches); at least the
//!   last bucket is exposed: exposed = max(comm / buckets, comm − window).
//!   Without it, all of it is exposed.
//!
//! Not modelled: the vocabulary-parallel embedding and loss all-reduces,
//! data loading, and stragglers; `matmul_efficiency` absorbs what is
//! systematic in them.
//!
//! Invariants: the report's parts (`compute_s`, the `exposed_*` parts and
//! `bubble_s`) sum to `step_s`, and `compute_gemm_s + compute_attention_s
//! + compute_memory_s = compute_s`; a layout that does not
//! fit in memory or breaks a rule of [`Layout::validate`] is an error,
//! never a report; communication times come only from the [`CommModel`].

pub mod comm;
pub mod compute;
pub mod flops;
pub mod layout;
pub mod memory;
pub mod model;

use std::fmt;

use serde::Serialize;

pub use comm::CommModel;
pub use flops::{StepFlops, megatron_iteration_flops, step_flops};
pub use layout::{AttentionKernel, Layout, Recompute, group_shape};
pub use memory::{MemoryBreakdown, checkpoint_bytes, memory_per_gpu};
pub use model::{Ffn, ModelSpec, Moe};

use crate::collective::{CollectiveOp, GroupShape};
use crate::hardware::GpuModel;

/// A training job's problem, said in plain words with what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainingError {
    pub message: String,
}

impl TrainingError {
    pub fn new(message: impl Into<String>) -> Self {
        TrainingError {
            message: message.into(),
        }
    }
}

impl fmt::Display for TrainingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TrainingError {}

/// The precision the matmuls run in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Precision {
    Bf16,
    Fp8,
}

impl Precision {
    /// The GPU's dense peak in FLOP/s for this precision.
    pub fn peak_flops(self, gpu: &GpuModel) -> Result<f64, TrainingError> {
        let (tflops, name) = match self {
            Precision::Bf16 => (gpu.bf16_tflops, "BF16"),
            Precision::Fp8 => (gpu.fp8_tflops, "FP8"),
        };
        tflops.map(|t| t * 1e12).ok_or_else(|| {
            TrainingError::new(format!(
                "{} has no {name} peak in the catalog; use another precision or add {}_tflops to its catalog entry",
                gpu.name,
                name.to_ascii_lowercase()
            ))
        })
    }
}

/// What a layout that does not fit in memory could change, among what it
/// has not already set: `"use zero_stage 2, lower micro_batch (4), ..."`.
fn memory_fixes(model: &ModelSpec, layout: &Layout, gpus_per_node: u32) -> String {
    let mut fixes = Vec::new();
    if layout.zero_stage < 3 && layout.dp * layout.cp > 1 {
        fixes.push(format!(
            "use zero_stage {} (shards {} over the {} DP ranks)",
            layout.zero_stage + 1,
            [
                "the optimizer state",
                "the gradients too",
                "the weights too"
            ][usize::from(layout.zero_stage)],
            layout.dp * layout.cp
        ));
    }
    if layout.micro_batch > 1 {
        fixes.push(format!(
            "lower micro_batch ({}) to shrink activations",
            layout.micro_batch
        ));
    }
    if layout.tp > 1 && !layout.sequence_parallel {
        fixes.push("turn on sequence_parallel".into());
    }
    if layout.tp * 2 <= gpus_per_node && model.heads.is_multiple_of(layout.tp * 2) {
        fixes.push(format!("raise tp to {}", layout.tp * 2));
    }
    if model
        .layers
        .is_multiple_of(layout.pp * 2 * layout.virtual_stages)
    {
        fixes.push(format!("raise pp to {}", layout.pp * 2));
    }
    if layout.recompute != Recompute::Full {
        fixes.push("use full recompute".into());
    }
    if fixes.is_empty() {
        return "use GPUs with more memory or a smaller model".into();
    }
    fixes.join(", or ")
}

/// One step of a training job, and what it is made of. Times in seconds;
/// the `exposed_*` parts are communication on the critical path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    pub step_s: f64,
    /// The slowest pipeline rank's compute over all micro-batches, plus
    /// the optimizer step: `compute_gemm_s + compute_attention_s +
    /// compute_memory_s`.
    pub compute_s: f64,
    /// Of which the GEMMs of the linear layers, the logits and the router.
    pub compute_gemm_s: f64,
    /// Of which the attention core.
    pub compute_attention_s: f64,
    /// Of which the memory-bound kernels (norms, activations, residual
    /// adds, FP8 casts, embedding, loss) and the optimizer step.
    pub compute_memory_s: f64,
    /// The optimizer step (part of `compute_memory_s`), once per step.
    pub optimizer_s: f64,
    pub exposed_tp_s: f64,
    pub exposed_cp_s: f64,
    pub exposed_pp_s: f64,
    pub exposed_dp_s: f64,
    pub exposed_moe_s: f64,
    pub bubble_s: f64,
    pub tokens_per_s: f64,
    /// Model FLOPs (no recomputation; PaLM's MFU numerator) per second per GPU, in TFLOP/s.
    pub model_tflops_per_gpu: f64,
    /// Hardware FLOPs (with recomputation; what Megatron-LM reports) per second per GPU, in TFLOP/s.
    pub hardware_tflops_per_gpu: f64,
    /// Model FLOPs utilisation of the precision's dense peak.
    pub mfu: f64,
    pub gpus: u64,
    /// Micro-batches per pipeline per step (m).
    pub micro_batches: u32,
    pub flops: StepFlops,
    pub memory: MemoryBreakdown,
    /// The data-parallel synchronisation, when DP·CP > 1.
    pub dp_sync: Option<DpSync>,
    /// The expert-parallel all-to-alls, when EP > 1.
    pub moe_traffic: Option<MoeTraffic>,
}

/// Simulates one step of `model` trained with `layout` in `precision` on
/// `gpu`s, `gpus_per_node` to a node, with communication from `comm`.
pub fn step(
    model: &ModelSpec,
    layout: &Layout,
    precision: Precision,
    gpu: &GpuModel,
    gpus_per_node: u32,
    comm: &dyn CommModel,
) -> Result<StepReport, TrainingError> {
    model.validate()?;
    layout.validate(model, gpus_per_node, None)?;
    let peak = precision.peak_flops(gpu)?;
    let rates = compute::Rates::of(gpu, precision)?;
    let memory = memory_per_gpu(model, layout, precision, gpu.memory.as_u64() as f64);
    if !memory.fits() {
        return Err(TrainingError::new(format!(
            "{} — {}",
            memory.describe(),
            memory_fixes(model, layout, gpus_per_node)
        )));
    }

    let tp = f64::from(layout.tp);
    let cp = f64::from(layout.cp);
    let v = f64::from(layout.virtual_stages);
    let p = f64::from(layout.pp);
    let m = f64::from(layout.micro_batches());
    let h = f64::from(model.hidden);
    let tokens = f64::from(layout.micro_batch) * f64::from(model.seq_len) / cp;
    let shape_tp = layout.tp_shape(gpus_per_node);

    // Per micro-batch, per GPU, on a rank holding `layers` (and maybe the
    // embedding and the output layer): (forward, backward) by kernel class.
    let (layer_f, layer_b) = compute::layer(model, layout, &rates);
    let (emb_f, emb_b) = compute::embedding(model, layout, &rates);
    let (out_f, out_b) = compute::output(model, layout, &rates);
    let compute = |layers: u32, first: bool, output: bool| {
        let l = f64::from(layers);
        let mut f = layer_f.times(l);
        let mut b = layer_b.times(l);
        if first {
            f = f.plus(emb_f);
            b = b.plus(emb_b);
        }
        if output {
            f = f.plus(out_f);
            b = b.plus(out_b);
        }
        (f, b)
    };
    let passes = if layout.recompute == Recompute::Full {
        3.0
    } else {
        2.0
    };
    let act_bytes = tokens * h * 2.0;
    let tp_per_layer = if layout.tp > 1 {
        let one = if layout.sequence_parallel {
            comm.collective_s(CollectiveOp::AllGather, act_bytes, shape_tp)
                + comm.collective_s(CollectiveOp::ReduceScatter, act_bytes, shape_tp)
        } else {
            comm.collective_s(CollectiveOp::AllReduce, act_bytes, shape_tp)
        };
        2.0 * passes * one
    } else {
        0.0
    };
    let cp_per_layer = if layout.cp > 1 {
        let kv_split = f64::from(layout.tp.min(model.kv_heads()));
        let kv_bytes =
            2.0 * f64::from(layout.micro_batch) * f64::from(model.seq_len) * model.kv_hidden()
                / kv_split
                * 2.0;
        let shape = layout.cp_shape(gpus_per_node);
        let gather = comm.collective_s(CollectiveOp::AllGather, kv_bytes, shape);
        let scatter = comm.collective_s(CollectiveOp::ReduceScatter, kv_bytes, shape);
        gather * (passes - 1.0) + scatter
    } else {
        0.0
    };
    // One all-to-all of the expert-parallel group: (bytes, seconds).
    let mut a2a_one = None;
    let moe_per_layer = match &model.moe {
        Some(moe) if layout.ep > 1 => {
            let sp = if layout.sequence_parallel { tp } else { 1.0 };
            let bytes = tokens / sp * f64::from(moe.top_k) * h * 2.0;
            let a2a = comm.collective_s(
                CollectiveOp::AllToAll,
                bytes,
                layout.ep_shape(gpus_per_node),
            );
            a2a_one = Some((bytes, a2a));
            2.0 * passes * a2a
        }
        _ => 0.0,
    };
    // One activation (or gradient) send between pipeline neighbours.
    let pp_send = if layout.pp > 1 {
        comm.collective_s(
            CollectiveOp::SendRecv,
            act_bytes / tp,
            layout.pp_shape(gpus_per_node),
        )
    } else {
        0.0
    };

    let (first, middle, last) = layout.stage_layers(model);
    let mut ranks = vec![(first, true, layout.pp == 1)];
    if layout.pp > 2 {
        ranks.push((middle, false, false));
    }
    if layout.pp > 1 {
        ranks.push((last, false, true));
    }
    // The slowest rank sets the pace of the pipeline.
    let per_mb = |&(layers, is_first, output): &(u32, bool, bool)| {
        let (f, b) = compute(layers, is_first, output);
        let l = f64::from(layers);
        let parts = [
            f.total() + b.total(),
            l * tp_per_layer,
            l * cp_per_layer,
            l * moe_per_layer,
            pp_exposed_per_mb(pp_send, layout, f.total(), b.total()),
        ];
        (parts, f, b)
    };
    let (parts, fwd_parts, bwd_parts) = ranks
        .iter()
        .map(per_mb)
        .max_by(|a, b| a.0.iter().sum::<f64>().total_cmp(&b.0.iter().sum::<f64>()))
        .expect("at least one rank");
    let (t_f, t_b) = (fwd_parts.total(), bwd_parts.total());
    let compute_mb = fwd_parts.plus(bwd_parts);
    let t_mb: f64 = parts.iter().sum();
    let bubble_s = (p - 1.0) / v * t_mb;

    // The rank with the most parameters: (dense, expert) per GPU.
    let stage_params = |layers: u32, first: bool, output: bool| {
        let (mut d, e) = memory::layer_params_per_gpu(model, layout, layers);
        if first {
            d += model.input_embedding_params() / tp;
        }
        if output {
            d += model.output_params() / tp;
        }
        (d, e)
    };
    let (dense, expert) = [
        stage_params(first, true, layout.pp == 1),
        stage_params(middle, false, false),
        stage_params(last, layout.pp == 1, true),
    ]
    .into_iter()
    .max_by(|a, b| (a.0 + a.1).total_cmp(&(b.0 + b.1)))
    .expect("three ranks");
    // The optimizer step over its (ZeRO >= 1: sharded) state.
    let dp_ranks = layout.dp * layout.cp;
    let optimizer_s = {
        let dp = f64::from(dp_ranks);
        let params = if layout.zero_stage >= 1 {
            dense / dp + expert / (dp / f64::from(layout.ep)).max(1.0)
        } else {
            dense + expert
        };
        compute::optimizer_s(params, &rates)
    };

    // Data parallelism over DP·CP, on the rank with the most parameters.
    let mut dp_sync = None;
    let exposed_dp_s = if dp_ranks > 1 {
        let grad = |params: f64| params * memory::GRADIENT_BYTES_PER_PARAM;
        let dp_shape = layout.dp_shape(gpus_per_node);
        let edp_shape = layout.expert_dp_shape(gpus_per_node);
        let sync_s = |op: CollectiveOp, d: f64, e: f64| {
            comm.collective_s(op, grad(d), dp_shape) + comm.collective_s(op, grad(e), edp_shape)
        };
        let (ops, repeat, window): (&[CollectiveOp], f64, f64) = match layout.zero_stage {
            0 => (&[CollectiveOp::AllReduce], 1.0, t_b),
            1 | 2 => (
                &[CollectiveOp::ReduceScatter, CollectiveOp::AllGather],
                1.0,
                t_b + t_f,
            ),
            _ => (
                &[
                    CollectiveOp::AllGather,
                    CollectiveOp::AllGather,
                    CollectiveOp::ReduceScatter,
                ],
                m,
                m * (t_f + t_b),
            ),
        };
        let comm_s = repeat * ops.iter().map(|&op| sync_s(op, dense, expert)).sum::<f64>();
        let sync = DpSync {
            ops: ops.to_vec(),
            repeat: repeat as u32,
            dense_bytes: grad(dense),
            expert_bytes: grad(expert),
            shape: dp_shape,
            expert_shape: edp_shape,
            comm_s,
            window_s: window,
            buckets: if layout.overlap_grad_reduce {
                (grad(dense + expert) / DP_BUCKET_BYTES).ceil().max(1.0)
            } else {
                1.0
            },
            overlapped: layout.overlap_grad_reduce,
        };
        let exposed = sync.exposed_s(comm_s);
        dp_sync = Some(sync);
        exposed
    } else {
        0.0
    };

    let step_s = m * t_mb + bubble_s + exposed_dp_s + optimizer_s;
    let compute_parts = compute_mb.times(m);
    let exposed_moe_s = m * parts[3];
    let moe_traffic = a2a_one
        .filter(|&(_, a2a_s)| a2a_s > 0.0)
        .map(|(bytes, a2a_s)| MoeTraffic {
            bytes,
            count: (exposed_moe_s / a2a_s).round(),
            shape: layout.ep_shape(gpus_per_node),
        });
    let gpus = layout.gpus();
    let n = gpus as f64;
    let flops = step_flops(model, layout);
    let tokens_step = f64::from(layout.global_batch) * f64::from(model.seq_len);
    Ok(StepReport {
        step_s,
        compute_s: m * parts[0] + optimizer_s,
        compute_gemm_s: compute_parts.gemm_s,
        compute_attention_s: compute_parts.attention_s,
        compute_memory_s: compute_parts.memory_s + optimizer_s,
        optimizer_s,
        exposed_tp_s: m * parts[1],
        exposed_cp_s: m * parts[2],
        exposed_moe_s,
        exposed_pp_s: m * parts[4],
        exposed_dp_s,
        bubble_s,
        tokens_per_s: tokens_step / step_s,
        model_tflops_per_gpu: flops.model_flops / step_s / n / 1e12,
        hardware_tflops_per_gpu: flops.hardware_flops / step_s / n / 1e12,
        mfu: flops.model_flops / step_s / n / peak,
        gpus,
        micro_batches: layout.micro_batches(),
        flops,
        memory,
        dp_sync,
        moe_traffic,
    })
}

/// The exposed pipeline send/receive time of one micro-batch on a rank
/// whose forward and backward over all its chunks take `t_f` and `t_b`:
/// one send of `send_s` per chunk forward and one per chunk backward.
/// Without `overlap_p2p_comm` all 2·v sends are exposed (Megatron's
/// blocking `send_forward_recv_forward`); with it (Megatron-Core's
/// interleaved schedule, `--overlap-p2p-communication`) each send runs
/// while the next chunk computes, so only what outlasts a chunk's compute
/// is exposed: v·(max(0, send − t_f/v) + max(0, send − t_b/v)).
pub fn pp_exposed_per_mb(send_s: f64, layout: &Layout, t_f: f64, t_b: f64) -> f64 {
    let v = f64::from(layout.virtual_stages);
    if layout.overlap_p2p_comm && layout.virtual_stages > 1 {
        v * ((send_s - t_f / v).max(0.0) + (send_s - t_b / v).max(0.0))
    } else {
        2.0 * v * send_s
    }
}

/// A step's expert-parallel all-to-alls (dispatch and combine, forward and
/// backward, every MoE layer and micro-batch of the slowest rank), so that
/// flow mode can run them on the fabric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MoeTraffic {
    /// nccl-tests size of one all-to-all.
    pub bytes: f64,
    /// All-to-alls per step, all exposed.
    pub count: f64,
    #[serde(skip)]
    pub shape: GroupShape,
}

/// A step's data-parallel synchronisation, itemised so that flow mode can
/// run it on the fabric and apply the same overlap rule to what it
/// measures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DpSync {
    /// The collectives, in order (all-reduce; reduce-scatter then
    /// all-gather; ZeRO-3's two gathers and a scatter), each once over the
    /// dense parameters' DP group and once over the experts' group...
    pub ops: Vec<CollectiveOp>,
    /// ...the whole list `repeat` times (ZeRO-3: per micro-batch).
    pub repeat: u32,
    /// Gradient bytes of the busiest pipeline rank's dense and expert
    /// parameters.
    pub dense_bytes: f64,
    pub expert_bytes: f64,
    #[serde(skip)]
    pub shape: GroupShape,
    #[serde(skip)]
    pub expert_shape: GroupShape,
    /// Their total time by the communication model, unoverlapped.
    pub comm_s: f64,
    /// Compute the reduction can hide behind.
    pub window_s: f64,
    /// Gradient buckets: at least the last one's share is exposed.
    pub buckets: f64,
    pub overlapped: bool,
}

impl DpSync {
    /// The exposed part of `comm_s` seconds of synchronisation:
    /// max(comm / buckets, comm − window) when overlapped, all of it
    /// otherwise.
    pub fn exposed_s(&self, comm_s: f64) -> f64 {
        if self.overlapped {
            (comm_s / self.buckets).max(comm_s - self.window_s)
        } else {
            comm_s
        }
    }
}

/// Gradient bucket size for the overlapped DP reduction: Megatron-LM's
/// default DDP bucket of 40M elements, in bf16.
pub const DP_BUCKET_BYTES: f64 = 40e6 * 2.0;

/// Pipeline bubble over ideal time, Narayanan et al. SC'21 §2.2.2: with v
/// model chunks per rank (interleaved schedule),
/// t_pb / t_id = (1/v)·(p − 1)/m; v = 1 is plain 1F1B, (p − 1)/m.
pub fn bubble_over_ideal(p: u32, m: u32, v: u32) -> f64 {
    (f64::from(p) - 1.0) / (f64::from(v) * f64::from(m))
}

/// The 1F1B bubble as a share of the whole pipeline time: (p − 1)/(m + p − 1).
pub fn bubble_fraction_1f1b(p: u32, m: u32) -> f64 {
    (f64::from(p) - 1.0) / (f64::from(m) + f64::from(p) - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collective::GroupShape;
    use crate::hardware::Catalog;

    /// Test double: every collective is free.
    struct FreeComm;
    impl CommModel for FreeComm {
        fn collective_s(&self, _: CollectiveOp, _: f64, _: GroupShape) -> f64 {
            0.0
        }
    }

    /// Test double: every collective costs one millisecond.
    struct MillisecondComm;
    impl CommModel for MillisecondComm {
        fn collective_s(&self, _: CollectiveOp, _: f64, shape: GroupShape) -> f64 {
            if shape.ranks > 1 { 1e-3 } else { 0.0 }
        }
    }

    fn h100() -> GpuModel {
        Catalog::builtin().gpu("H100-SXM-80GB").unwrap().clone()
    }

    #[test]
    fn with_free_communication_a_1f1b_step_is_compute_plus_bubble() {
        // Llama 3 8B on 4 pipeline stages, no TP: p = 4, m = 8.
        let model = model::llama3_8b();
        let layout = Layout {
            recompute: Recompute::Selective,
            ..Layout::new(1, 4, 2, 1, 16)
        };
        let gpu = h100();
        let r = step(&model, &layout, Precision::Bf16, &gpu, 8, &FreeComm).unwrap();
        assert_eq!(r.micro_batches, 8);
        // The bubble is (p - 1)/(m + p - 1) of the pipeline time; the
        // optimizer step runs once after it.
        let ideal = r.compute_s - r.optimizer_s;
        let pipeline = ideal + r.bubble_s;
        assert!((r.bubble_s / pipeline - bubble_fraction_1f1b(4, 8)).abs() < 1e-12);
        assert!((r.bubble_s / ideal - bubble_over_ideal(4, 8, 1)).abs() < 1e-12);
        assert_eq!(r.exposed_dp_s + r.exposed_tp_s + r.exposed_pp_s, 0.0);
        assert!(r.optimizer_s > 0.0 && r.optimizer_s < 0.05 * r.step_s);
        assert!((r.step_s - pipeline - r.optimizer_s).abs() < 1e-12);
        let parts = r.compute_gemm_s + r.compute_attention_s + r.compute_memory_s;
        assert!((parts - r.compute_s).abs() < 1e-12 * r.compute_s);
    }

    #[test]
    fn report_parts_sum_to_the_step() {
        let model = model::mixtral_8x7b();
        let layout = Layout {
            ep: 4,
            cp: 2,
            sequence_parallel: true,
            zero_stage: 1,
            virtual_stages: 2,
            ..Layout::new(4, 2, 8, 1, 64)
        };
        let r = step(
            &model,
            &layout,
            Precision::Bf16,
            &h100(),
            8,
            &MillisecondComm,
        )
        .unwrap();
        let sum = r.compute_s
            + r.exposed_tp_s
            + r.exposed_cp_s
            + r.exposed_pp_s
            + r.exposed_dp_s
            + r.exposed_moe_s
            + r.bubble_s;
        assert!((sum - r.step_s).abs() < 1e-9 * r.step_s);
        assert!(r.exposed_moe_s > 0.0 && r.exposed_cp_s > 0.0 && r.exposed_tp_s > 0.0);
        assert!(r.mfu > 0.0 && r.mfu < 1.0);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"hardware_tflops_per_gpu\""));
    }

    #[test]
    fn interleaving_shrinks_the_bubble_by_v() {
        // Narayanan et al. SC'21 §2.2.2: the bubble is divided by v.
        let model = model::llama3_8b();
        let flat = Layout {
            recompute: Recompute::Full,
            ..Layout::new(1, 4, 1, 1, 8)
        };
        let inter = Layout {
            virtual_stages: 2,
            ..flat.clone()
        };
        let gpu = h100();
        let a = step(&model, &flat, Precision::Bf16, &gpu, 8, &FreeComm).unwrap();
        let b = step(&model, &inter, Precision::Bf16, &gpu, 8, &FreeComm).unwrap();
        assert!((a.bubble_s / b.bubble_s - 2.0).abs() < 1e-12);
        assert_eq!(bubble_over_ideal(16, 32, 8), 15.0 / 256.0);
    }

    #[test]
    fn overlapped_pipeline_sends_hide_behind_the_next_chunk() {
        // Megatron-Core's interleaved schedule with overlap_p2p_comm: a
        // send shorter than a chunk's compute costs nothing; without the
        // overlap each of the 2·v sends per micro-batch is exposed.
        let model = model::llama3_8b();
        let plain = Layout {
            virtual_stages: 2,
            recompute: Recompute::Selective,
            sequence_parallel: true,
            ..Layout::new(2, 4, 1, 1, 8)
        };
        let overlapped = Layout {
            overlap_p2p_comm: true,
            ..plain.clone()
        };
        let gpu = h100();
        let a = step(&model, &plain, Precision::Bf16, &gpu, 8, &MillisecondComm).unwrap();
        let b = step(
            &model,
            &overlapped,
            Precision::Bf16,
            &gpu,
            8,
            &MillisecondComm,
        )
        .unwrap();
        let m = f64::from(a.micro_batches);
        assert!((a.exposed_pp_s - m * 2.0 * 2.0 * 1e-3).abs() < 1e-12);
        assert_eq!(b.exposed_pp_s, 0.0);
        assert!(b.step_s < a.step_s);
        // A send longer than a chunk's compute is exposed by the excess.
        let l = Layout {
            virtual_stages: 4,
            overlap_p2p_comm: true,
            ..Layout::new(1, 2, 1, 1, 8)
        };
        let e = pp_exposed_per_mb(3.0, &l, 4.0, 8.0);
        assert!((e - 4.0 * ((3.0 - 1.0) + (3.0 - 2.0))).abs() < 1e-12);
        // Plain 1F1B (v = 1) has nothing to overlap with.
        let flat = Layout {
            virtual_stages: 1,
            ..l
        };
        assert_eq!(pp_exposed_per_mb(3.0, &flat, 4.0, 8.0), 6.0);
    }

    #[test]
    fn a_layout_too_big_for_memory_is_refused_with_its_breakdown() {
        // Llama 3 70B on 8 GPUs with TP 8 and no sharding: 16 bytes x 70.6B
        // / 8 = 141 GB of model state alone.
        let model = model::llama3_70b();
        let layout = Layout::new(8, 1, 1, 1, 8);
        let e = step(&model, &layout, Precision::Bf16, &h100(), 8, &FreeComm).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("needs "), "{msg}");
        for part in [
            "of 80 GiB",
            "weights",
            "optimizer",
            "activations",
            "overhead",
            "raise pp to 2",
            "full recompute",
        ] {
            assert!(msg.contains(part), "{msg}");
        }
    }

    #[test]
    fn the_memory_fix_suggests_only_what_is_not_already_set() {
        // Issue 15: a refusal with ZeRO-1 already set suggested "zero_stage
        // >= 1". Llama 3 70B on TP 8 with ZeRO 1 over 2 ranks, selective
        // recomputation and micro-batch 4 at 8K does not fit.
        let model = model::llama3_70b();
        let layout = Layout {
            zero_stage: 1,
            recompute: Recompute::Selective,
            ..Layout::new(8, 1, 2, 4, 8)
        };
        let e = step(&model, &layout, Precision::Bf16, &h100(), 8, &FreeComm).unwrap_err();
        let msg = e.to_string();
        assert!(!msg.contains("zero_stage >= 1"), "{msg}");
        assert!(
            msg.contains("zero_stage 2") || msg.contains("zero_stage >= 2"),
            "{msg}"
        );
        assert!(msg.contains("micro_batch"), "{msg}");
    }

    /// A GPT-3-shaped model of `hidden` width (Brown et al. 2020, Table
    /// 2.1 shapes: head dim 128 from 2.7B up).
    fn gpt(hidden: u32, layers: u32) -> ModelSpec {
        ModelSpec {
            name: format!("gpt-{hidden}"),
            parameters: None,
            hidden,
            ffn_hidden: 4 * hidden,
            heads: hidden / 128,
            layers,
            ..model::gpt3_175b()
        }
    }

    #[test]
    fn fp8_speeds_up_only_the_gemms_so_small_models_gain_less() {
        // Issue 15: FP8 was 2x BF16 for every FLOP. Under Transformer
        // Engine only the linear layers run in FP8; attention, norms,
        // activations, the loss and the optimizer do not speed up, so the
        // gain is below 2x and shrinks with the model.
        let gpu = h100();
        let gain = |m: &ModelSpec| {
            let layout = Layout {
                sequence_parallel: false,
                recompute: Recompute::Selective,
                ..Layout::new(1, 1, 1, 1, 8)
            };
            let b = step(m, &layout, Precision::Bf16, &gpu, 8, &FreeComm).unwrap();
            let f = step(m, &layout, Precision::Fp8, &gpu, 8, &FreeComm).unwrap();
            b.step_s / f.step_s
        };
        let small = gain(&gpt(2048, 24));
        let large = gain(&gpt(8192, 2));
        assert!(small < 1.6, "FP8 gain on a 1.3B-class model: {small}");
        assert!(large < 1.9, "FP8 gain on h=8192: {large}");
        assert!(small < large, "{small} vs {large}");
    }

    #[test]
    fn small_models_reach_a_lower_mfu_than_large_ones() {
        // Issue 15: nothing outside the GEMMs grew as a share of the step
        // as the model shrank. With free communication and no pipeline,
        // MFU must fall as the hidden size falls at a fixed sequence.
        let gpu = h100();
        let mfu = |m: &ModelSpec| {
            let layout = Layout {
                recompute: Recompute::Selective,
                ..Layout::new(1, 1, 1, 1, 8)
            };
            step(m, &layout, Precision::Bf16, &gpu, 8, &FreeComm)
                .unwrap()
                .mfu
        };
        let small = mfu(&gpt(1024, 24));
        let mid = mfu(&gpt(4096, 4));
        let large = mfu(&gpt(12_288, 2));
        assert!(small < 0.9 * mid && mid < large, "{small} {mid} {large}");
    }

    #[test]
    fn fp8_on_a_gpu_without_fp8_is_an_error() {
        let a100 = Catalog::builtin().gpu("A100-SXM-80GB").unwrap().clone();
        let model = model::llama3_8b();
        let layout = Layout::new(8, 1, 1, 1, 8);
        let e = step(&model, &layout, Precision::Fp8, &a100, 8, &FreeComm).unwrap_err();
        assert!(e.to_string().contains("FP8"));
    }
}
