//! Memory per GPU of a training layout: weights, gradients, optimizer
//! state, activations and a fixed overhead, on the pipeline rank that
//! needs the most.
//!
//! Sources:
//! - model state: mixed-precision Adam keeps 16 bytes per parameter, 2 for
//!   the bf16/fp16 weights, 2 for their gradients and 12 of optimizer
//!   state (fp32 master weights, momentum and variance); ZeRO stage 1
//!   shards the 12 over the data-parallel ranks, stage 2 the gradients as
//!   well, stage 3 the weights too (Rajbhandari et al. 2020, §5 and Fig. 1);
//! - activations: Korthikanti et al. 2022, §4: per layer and micro-batch
//!   s·b·h·(34 + 5·a·s/h) bytes for a GPT layer with no parallelism, TP
//!   dividing all of it with sequence parallelism (`/t`) and all but
//!   10·s·b·h without; the term is generalised here from its parts
//!   (2 bytes per stored bf16 element, 1 per dropout mask element) to
//!   GQA, SwiGLU, any FFN width, no dropout and FlashAttention; full
//!   recomputation keeps only each layer's input (2·s·b·h);
//! - FP8 (Transformer Engine): the linear layers save their inputs for
//!   the weight-gradient GEMM as FP8 (1 byte per element, TE's cast
//!   copy) instead of bf16: the QKV, projection, FC1 and FC2 inputs. The
//!   attention output stays stored in bf16 for the fused attention's
//!   backward as well, so the projection input costs 2 + 1 bytes with
//!   FlashAttention. For GPT-3 with SP and selective recomputation that is
//!   29·s·b·h/t bytes per layer instead of Korthikanti's 34. Weights are
//!   counted at 2 bytes per parameter either way: with FP8 parameters
//!   (Megatron-LM `--fp8-param-gather`) TE's 1-byte weight and its 1-byte
//!   transpose take the place of the bf16 copy; a run that keeps bf16
//!   weights *and* TE's cached FP8 copies needs about 2 more bytes per
//!   local parameter, which is not counted;
//! - in-flight micro-batches: 1F1B keeps min(m, p − i) micro-batches on
//!   pipeline rank i; the interleaved schedule (v chunks per rank) keeps
//!   2(p − i − 1) + (v − 1)·p + 1 chunks (Megatron-LM's warm-up count), so
//!   the first rank holds L·(1 + (p − 1)/(p·v)) layers' worth, as
//!   Korthikanti et al. §4.2.3 give it.
//!
//! Invariant: `total_bytes` is the sum of the five parts.

use serde::Serialize;

use super::Precision;
use super::layout::{AttentionKernel, Layout, Recompute};
use super::model::ModelSpec;
use crate::units::Bytes;

/// Bytes per parameter of the mixed-precision Adam state (ZeRO paper).
pub const WEIGHT_BYTES_PER_PARAM: f64 = 2.0;
pub const GRADIENT_BYTES_PER_PARAM: f64 = 2.0;
pub const OPTIMIZER_BYTES_PER_PARAM: f64 = 12.0;

/// A fixed per-GPU allowance for what the model does not count: the CUDA
/// context (about 0.5 GiB), NCCL's buffers, cuBLAS workspaces and the
/// caching allocator's fragmentation. An estimate, not a measurement.
pub const FIXED_OVERHEAD_BYTES: f64 = 2.0 * GIB;

const GIB: f64 = (1u64 << 30) as f64;

/// Bytes of one full checkpoint of `model`: its weights and optimizer
/// state (2 + 12 bytes per parameter: bf16 weights, fp32 master weights,
/// Adam's momentum and variance), written once for the whole job, not
/// per data-parallel replica; gradients are not saved. Rounded up to a
/// whole byte.
pub fn checkpoint_bytes(model: &ModelSpec) -> Bytes {
    let per_param = WEIGHT_BYTES_PER_PARAM + OPTIMIZER_BYTES_PER_PARAM;
    Bytes((model.parameter_count() * per_param).ceil() as u64)
}

/// What one GPU holds, in bytes, on its busiest pipeline rank.
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct MemoryBreakdown {
    /// Which pipeline rank (0-based) this is.
    pub pipeline_rank: u32,
    pub weights_bytes: f64,
    pub gradients_bytes: f64,
    pub optimizer_bytes: f64,
    pub activations_bytes: f64,
    pub overhead_bytes: f64,
    pub total_bytes: f64,
    /// The GPU's memory.
    pub capacity_bytes: f64,
}

impl MemoryBreakdown {
    pub fn fits(&self) -> bool {
        self.total_bytes <= self.capacity_bytes
    }

    /// `"needs 97.3 GiB per GPU of 80 GiB: weights 8.1, ..."`.
    pub fn describe(&self) -> String {
        format!(
            "needs {:.1} GiB per GPU of {:.0} GiB: weights {:.1}, gradients {:.1}, optimizer {:.1}, activations {:.1}, overhead {:.1}",
            self.total_bytes / GIB,
            self.capacity_bytes / GIB,
            self.weights_bytes / GIB,
            self.gradients_bytes / GIB,
            self.optimizer_bytes / GIB,
            self.activations_bytes / GIB,
            self.overhead_bytes / GIB,
        )
    }
}

/// Parameters one GPU holds for `layers` layers (dense part, expert part),
/// before any ZeRO sharding: TP splits everything, EP the experts.
pub fn layer_params_per_gpu(model: &ModelSpec, layout: &Layout, layers: u32) -> (f64, f64) {
    let tp = f64::from(layout.tp);
    let l = f64::from(layers);
    match model.moe {
        None => (l * model.params_per_layer() / tp, 0.0),
        Some(_) => (
            l * model.attention_params_per_layer() / tp,
            l * model.ffn_params_per_layer() / (tp * f64::from(layout.ep)),
        ),
    }
}

/// Activation bytes one GPU keeps for one layer and one micro-batch.
pub fn layer_activation_bytes(model: &ModelSpec, layout: &Layout, precision: Precision) -> f64 {
    let s = f64::from(model.seq_len) / f64::from(layout.cp);
    let b = f64::from(layout.micro_batch);
    let h = f64::from(model.hidden);
    let t = f64::from(layout.tp);
    let sbh = s * b * h;
    if layout.recompute == Recompute::Full {
        // Only the layer input is kept (Korthikanti §4: 2sbh per layer).
        let split = if layout.sequence_parallel { t } else { 1.0 };
        return 2.0 * sbh / split;
    }
    let g = model.kv_hidden() / h;
    let drop = if model.dropout { 1.0 } else { 0.0 };
    // Bytes per stored element of a linear layer's input (see the module
    // doc): TE keeps the FP8 copy.
    let gemm_in = match precision {
        Precision::Bf16 => 2.0,
        Precision::Fp8 => 1.0,
    };
    // Korthikanti's parts, in units of s·b·h bytes: two norm inputs (2
    // each), the QKV and FFN inputs (2 each), dropout masks after attention
    // and FFN (1 each) are the 10 that TP alone does not split.
    let unsplit = 4.0 + 2.0 * gemm_in + 2.0 * drop;
    // Q (2), K and V (2 each, scaled by GQA), the projection input (2;
    // in FP8 its 1-byte copy, plus the bf16 output FlashAttention keeps).
    let proj_in = match (precision, layout.attention) {
        (Precision::Bf16, _) => 2.0,
        (Precision::Fp8, AttentionKernel::Flash) => 2.0 + gemm_in,
        (Precision::Fp8, AttentionKernel::Unfused) => gemm_in,
    };
    let attention = 2.0 + 4.0 * g + proj_in;
    let (ffn_f, top_k) = match &model.moe {
        None => (f64::from(model.ffn_hidden), 1.0),
        Some(m) => (
            f64::from(m.expert_ffn_hidden.unwrap_or(model.ffn_hidden)),
            f64::from(m.top_k),
        ),
    };
    // GELU keeps its input and output (2·2f/h); SwiGLU gate, up and their
    // product (3·2f/h). A token's copy goes to each of its top_k experts.
    // The last of them is FC2's input, 1 byte in FP8.
    let per_f = match model.ffn {
        super::model::Ffn::Gelu => 2.0 + gemm_in,
        super::model::Ffn::SwiGlu => 4.0 + gemm_in,
    };
    let ffn = top_k * per_f * ffn_f / h + (top_k - 1.0) * 2.0;
    // Scores: softmax output (2 bytes), and with dropout its mask (1) and
    // output (2) (Korthikanti's 5as/h), per head over the whole sequence.
    let core_stored =
        layout.attention == AttentionKernel::Unfused && layout.recompute == Recompute::None;
    let core = if core_stored {
        (2.0 + 3.0 * drop) * f64::from(model.heads) * f64::from(model.seq_len) / h
    } else {
        0.0
    };
    let split = attention + ffn + core;
    if layout.sequence_parallel {
        sbh * (unsplit + split) / t
    } else {
        sbh * (unsplit + split / t)
    }
}

/// Model chunks (of `layers_per_rank / v` layers) in flight on pipeline
/// rank `i` (see the module doc).
fn chunks_in_flight(layout: &Layout, i: u32) -> f64 {
    let (p, v, m) = (layout.pp, layout.virtual_stages, layout.micro_batches());
    if v <= 1 {
        f64::from(m.min(p - i))
    } else {
        f64::from((2 * (p - i - 1) + (v - 1) * p + 1).min(m * v))
    }
}

/// The breakdown on the pipeline rank needing the most memory.
pub fn memory_per_gpu(
    model: &ModelSpec,
    layout: &Layout,
    precision: Precision,
    capacity_bytes: f64,
) -> MemoryBreakdown {
    let (first, middle, last) = layout.stage_layers(model);
    let tp = f64::from(layout.tp);
    let dp = f64::from(layout.dp) * f64::from(layout.cp);
    let expert_dp = (dp / f64::from(layout.ep)).max(1.0);
    let act_layer = layer_activation_bytes(model, layout, precision);
    let mut worst: Option<MemoryBreakdown> = None;
    for i in 0..layout.pp {
        let layers = match i {
            0 => first,
            _ if i + 1 == layout.pp => last,
            _ => middle,
        };
        let (mut dense, expert) = layer_params_per_gpu(model, layout, layers);
        if i == 0 {
            dense += model.input_embedding_params() / tp;
        }
        if i + 1 == layout.pp {
            dense += model.output_params() / tp;
            if model.tied_embeddings && layout.pp > 1 {
                // Megatron keeps a copy of the shared embedding on the last
                // stage for the output layer.
                dense += model.input_embedding_params() / tp;
            }
        }
        let shard = |stage: u8, d: f64, e: f64| {
            if layout.zero_stage >= stage {
                d / dp + e / expert_dp
            } else {
                d + e
            }
        };
        let weights = WEIGHT_BYTES_PER_PARAM * shard(3, dense, expert);
        let gradients = GRADIENT_BYTES_PER_PARAM * shard(2, dense, expert);
        let optimizer = OPTIMIZER_BYTES_PER_PARAM * shard(1, dense, expert);
        let chunk_layers = f64::from(layers) / f64::from(layout.virtual_stages);
        let mut activations = act_layer * chunk_layers * chunks_in_flight(layout, i);
        if i + 1 == layout.pp {
            // fp32 logits of one micro-batch for the loss, split over TP.
            activations += 4.0
                * f64::from(model.seq_len)
                * f64::from(layout.micro_batch)
                * f64::from(model.vocab)
                / (tp * f64::from(layout.cp));
        }
        let total = weights + gradients + optimizer + activations + FIXED_OVERHEAD_BYTES;
        if worst.is_none_or(|w| total > w.total_bytes) {
            worst = Some(MemoryBreakdown {
                pipeline_rank: i,
                weights_bytes: weights,
                gradients_bytes: gradients,
                optimizer_bytes: optimizer,
                activations_bytes: activations,
                overhead_bytes: FIXED_OVERHEAD_BYTES,
                total_bytes: total,
                capacity_bytes,
            });
        }
    }
    worst.expect("pp >= 1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::model::{gpt3_175b, llama3_8b};

    #[test]
    fn a_checkpoint_holds_weights_and_optimizer_state_once() {
        let model = gpt3_175b();
        let params = model.parameter_count();
        // 14 bytes per parameter: 2 (bf16 weights) + 12 (fp32 master
        // weights, Adam m and v); GPT-3 175B: about 2.45 TB.
        let bytes = checkpoint_bytes(&model).as_u64() as f64;
        assert!((bytes - 14.0 * params).abs() <= 1.0, "{bytes}");
        assert!((bytes / 1e12 - 2.45).abs() < 0.02, "{bytes}");
    }

    #[test]
    fn korthikanti_per_layer_activations_for_gpt3() {
        // Korthikanti et al. 2022, Table 2: per layer sbh(34 + 5as/h) with
        // no parallelism; sbh(10 + 24/t + 5as/(ht)) with TP;
        // sbh(34/t + 5as/(ht)) with TP and SP; sbh(34/t) with SP and
        // selective recomputation; 2sbh with full recomputation (no SP).
        let m = gpt3_175b();
        let (s, b, h, a, t) = (2048.0, 1.0, 12_288.0, 96.0, 8.0);
        let sbh = s * b * h;
        let lay = |tp, sp, recompute| Layout {
            sequence_parallel: sp,
            recompute,
            attention: AttentionKernel::Unfused,
            ..Layout::new(tp, 1, 1, 1, 1)
        };
        let close = |x: f64, y: f64| assert!((x - y).abs() / y < 1e-12, "{x} vs {y}");
        close(
            layer_activation_bytes(&m, &lay(1, false, Recompute::None), Precision::Bf16),
            sbh * (34.0 + 5.0 * a * s / h),
        );
        close(
            layer_activation_bytes(&m, &lay(8, false, Recompute::None), Precision::Bf16),
            sbh * (10.0 + 24.0 / t + 5.0 * a * s / (h * t)),
        );
        close(
            layer_activation_bytes(&m, &lay(8, true, Recompute::None), Precision::Bf16),
            sbh * (34.0 / t + 5.0 * a * s / (h * t)),
        );
        close(
            layer_activation_bytes(&m, &lay(8, true, Recompute::Selective), Precision::Bf16),
            sbh * 34.0 / t,
        );
        close(
            layer_activation_bytes(&m, &lay(8, false, Recompute::Full), Precision::Bf16),
            2.0 * sbh,
        );
    }

    #[test]
    fn model_state_is_16_bytes_per_parameter_sharded_by_zero_stage() {
        // Rajbhandari et al. 2020 (ZeRO), §3.1 and Fig. 1: 2Ψ + 2Ψ + KΨ
        // with K = 12 for mixed-precision Adam; P_os shards K over N_d,
        // P_os+g also the gradients, P_os+g+p also the weights.
        let m = llama3_8b();
        let params = m.parameter_count();
        let base = Layout::new(1, 1, 8, 1, 8);
        let cap = 1e15;
        let z = |stage| {
            let mb = memory_per_gpu(
                &m,
                &Layout {
                    zero_stage: stage,
                    ..base.clone()
                },
                Precision::Bf16,
                cap,
            );
            (mb.weights_bytes, mb.gradients_bytes, mb.optimizer_bytes)
        };
        let close = |x: f64, y: f64| assert!((x - y).abs() / y < 1e-12, "{x} vs {y}");
        let (w, g, o) = z(0);
        close(w + g + o, 16.0 * params);
        let (w1, g1, o1) = z(1);
        close(w1, 2.0 * params);
        close(g1, 2.0 * params);
        close(o1, 12.0 * params / 8.0);
        let (w2, g2, o2) = z(2);
        close(w2 + g2 + o2, 2.0 * params + 14.0 * params / 8.0);
        let (w3, g3, o3) = z(3);
        close(w3 + g3 + o3, 16.0 * params / 8.0);
    }

    #[test]
    fn first_interleaved_rank_holds_korthikanti_layer_count() {
        // Korthikanti §4.2.3: the first stage keeps L(1 + (p-1)/(pv))
        // layers' activations with the interleaved schedule (m >= p).
        let l = Layout {
            virtual_stages: 2,
            ..Layout::new(8, 8, 1, 1, 64)
        };
        let chunk_layers = 96.0 / 8.0 / 2.0;
        let layers_held = chunk_layers * chunks_in_flight(&l, 0);
        assert_eq!(layers_held, 96.0 * (1.0 + 7.0 / 16.0));
        let flat = Layout::new(8, 8, 1, 1, 64);
        assert_eq!(chunks_in_flight(&flat, 0), 8.0);
        assert_eq!(chunks_in_flight(&flat, 7), 1.0);
    }
}
