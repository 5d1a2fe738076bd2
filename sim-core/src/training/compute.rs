//! Compute time of a training step's work on one GPU, kernel class by
//! kernel class, with more than one efficiency:
//!
//! - **GEMMs** (the linear layers, the logits, the MoE router): a roofline
//!   on each GEMM's shape (Williams et al. 2009, "Roofline"):
//!   t = max(2·m·n·k / (peak · e), bytes / (bandwidth · e_mem)), with
//!   bytes = the two operands and the bf16 output. `e` is the GPU's
//!   `matmul_efficiency`, the cap a large GEMM sustains in training; a
//!   thin GEMM (a small hidden size split over TP, a tiny expert) falls
//!   under the bandwidth roof. The backward pass runs each GEMM twice
//!   (data gradient and weight gradient, with the shapes permuted).
//! - **FP8** as Transformer Engine runs it: only the linear layers' GEMMs
//!   (QKV, projection, FFN, experts) use the FP8 peak and 1-byte operands,
//!   and they pay TE's casts (input to FP8 plus its transpose for the
//!   weight gradient: read 2, write 1 + 1 bytes per element) where a norm
//!   does not fuse them (projection and FC2 inputs, every output gradient).
//!   Attention, the logits, norms, activations, the loss and the optimizer
//!   stay in bf16 / fp32.
//! - **attention core**: FlashAttention runs at its own efficiency,
//!   [`FLASH_ATTENTION_EFFICIENCY`] of the bf16 peak; unfused attention
//!   (Megatron-LM 2021) is two batched GEMMs per head (QKᵀ, scores·V,
//!   head dimension 128: near the ridge point, so the roofline matters)
//!   plus the scale-mask-softmax and dropout over the s×s scores, by
//!   bytes.
//! - **memory-bound kernels**, by bytes moved / (HBM bandwidth ·
//!   [`MEMORY_BANDWIDTH_EFFICIENCY`]): the two norms, the two (bias-)
//!   dropout-residual adds, rotary embeddings, the activation (GELU reads
//!   and writes f, SwiGLU reads 2f and writes f), the embedding lookup,
//!   the final norm, the vocabulary-parallel cross-entropy over V/t logits
//!   in fp32, and the optimizer step over the GPU's (ZeRO-sharded) state.
//!   Backward passes move twice the forward's bytes (saved input and
//!   output gradient in, input gradient out). Without sequence
//!   parallelism the norms and residual adds run on every TP rank over
//!   the whole sequence; with it, on s/t tokens.
//!
//! Small models get less efficient as they shrink because the
//! memory-bound bytes grow as s·b·h per layer while the GEMM FLOPs grow as
//! s·b·h², and attention's share grows as s/h.
//!
//! Invariants: every time is finite and non-negative; a [`Parts`] total
//! is the sum of its three parts; FLOPs timed here are the executed FLOPs
//! of [`super::flops`] (same recomputation and causal-skip rules).

use serde::Serialize;

use super::layout::{AttentionKernel, Layout, Recompute};
use super::model::{Ffn, ModelSpec};
use super::{Precision, TrainingError};
use crate::hardware::GpuModel;

/// Fraction of the bf16 dense peak a fused (Flash) attention kernel
/// sustains, forward and backward, on the FLOPs [`super::flops`] counts.
/// Not fitted to any training run. Sources: FlashAttention-3 forward on
/// H100, head dimension 128, 565-614 TFLOP/s at 2K-8K tokens
/// (pytorch/benchmark commit ff65cb6, July 2024), 0.57-0.62 of 989;
/// Shah et al. 2024 (FlashAttention-3, arXiv:2407.08608) abstract: up to
/// 75% forward; FlashAttention-2 (Dao 2023) reaches 50-73% of A100 peak
/// forward. Backward kernels run below the forward's rate; we take 0.55
/// for both passes on both generations.
pub const FLASH_ATTENTION_EFFICIENCY: f64 = 0.55;

/// Fraction of the datasheet HBM bandwidth that elementwise and reduction
/// kernels (norms, activations, casts, Adam) reach. An assumption, not
/// fitted: streaming kernels typically reach 80-90% of HBM peak on
/// A100/H100; 0.8 leaves room for the small, launch-bound ones.
pub const MEMORY_BANDWIDTH_EFFICIENCY: f64 = 0.8;

/// Bytes the optimizer step moves per parameter of the GPU's shard:
/// Adam reads the fp32 master weight, momentum, variance and fp32 main
/// gradient (16) and writes the first three (12), writes the bf16 weight
/// (2), and the gradient-norm clipping reads the gradient again (4).
pub const OPTIMIZER_BYTES_PER_PARAM: f64 = 34.0;

/// Bytes per logit the vocabulary-parallel cross-entropy moves forward
/// (bf16 logits read and cast to fp32, max, exp, sum, softmax kept: about
/// 16) and backward (softmax read, gradient written in bf16: about 8):
/// our count of Megatron-LM's `vocab_parallel_cross_entropy` passes.
pub const CROSS_ENTROPY_BYTES_PER_LOGIT: (f64, f64) = (16.0, 8.0);

/// Compute time split by kernel class, in seconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Serialize)]
pub struct Parts {
    /// Linear layers, logits, router: the roofline GEMMs.
    pub gemm_s: f64,
    /// The attention core (Flash kernel, or unfused batched GEMMs and
    /// softmax).
    pub attention_s: f64,
    /// Norms, activations, residual adds, casts, embedding, loss,
    /// optimizer.
    pub memory_s: f64,
}

impl Parts {
    pub fn total(&self) -> f64 {
        self.gemm_s + self.attention_s + self.memory_s
    }

    pub fn plus(self, o: Parts) -> Parts {
        Parts {
            gemm_s: self.gemm_s + o.gemm_s,
            attention_s: self.attention_s + o.attention_s,
            memory_s: self.memory_s + o.memory_s,
        }
    }

    pub fn times(self, k: f64) -> Parts {
        Parts {
            gemm_s: self.gemm_s * k,
            attention_s: self.attention_s * k,
            memory_s: self.memory_s * k,
        }
    }
}

/// The rates one GPU computes at.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Rates {
    /// Sustained FLOP/s of a large bf16 GEMM.
    pub bf16_gemm: f64,
    /// Sustained FLOP/s of a large GEMM of the linear layers' precision.
    pub linear_gemm: f64,
    /// Bytes per operand element of the linear layers' GEMMs.
    pub linear_bytes: f64,
    pub fp8: bool,
    /// FLOP/s of the fused attention kernel.
    pub flash: f64,
    /// Bytes/s of memory-bound kernels.
    pub memory: f64,
}

impl Rates {
    pub fn of(gpu: &GpuModel, precision: Precision) -> Result<Rates, TrainingError> {
        let e = gpu.matmul_efficiency;
        if !(e > 0.0 && e <= 1.0) {
            return Err(TrainingError::new(format!(
                "{}: matmul_efficiency {e} is not in (0, 1]",
                gpu.name
            )));
        }
        let bf16 = Precision::Bf16.peak_flops(gpu)?;
        let peak = precision.peak_flops(gpu)?;
        let fp8 = precision == Precision::Fp8;
        Ok(Rates {
            bf16_gemm: bf16 * e,
            linear_gemm: peak * e,
            linear_bytes: if fp8 { 1.0 } else { 2.0 },
            fp8,
            flash: bf16 * FLASH_ATTENTION_EFFICIENCY,
            memory: gpu.memory_bandwidth.bytes_per_s_f64() * MEMORY_BANDWIDTH_EFFICIENCY,
        })
    }

    /// Seconds of `count` GEMMs of m×k by k×n, operands of `in_bytes`,
    /// bf16 output, at `flops` sustained.
    fn gemm(&self, flops: f64, in_bytes: f64, m: f64, n: f64, k: f64, count: f64) -> f64 {
        let work = 2.0 * m * n * k * count;
        let bytes = count * (in_bytes * (m * k + k * n) + 2.0 * m * n);
        (work / flops).max(bytes / self.memory)
    }

    /// Forward and backward (data + weight gradient) of one linear GEMM.
    fn linear(&self, (m, n, k, count): Shape, fp8_able: bool) -> (f64, f64) {
        let (flops, b) = if fp8_able {
            (self.linear_gemm, self.linear_bytes)
        } else {
            (self.bf16_gemm, 2.0)
        };
        let fwd = self.gemm(flops, b, m, n, k, count);
        let bwd = self.gemm(flops, b, m, k, n, count) + self.gemm(flops, b, k, n, m, count);
        (fwd, bwd)
    }
}

/// A GEMM: (m, n, k, how many).
type Shape = (f64, f64, f64, f64);

/// Tokens per micro-batch on one GPU's sequence shard: b·s/cp.
fn tokens(model: &ModelSpec, layout: &Layout) -> f64 {
    f64::from(layout.micro_batch) * f64::from(model.seq_len) / f64::from(layout.cp)
}

/// Of `tokens`, those a GPU's element-wise kernels touch: a 1/tp share
/// with sequence parallelism, all of them without.
fn sequence_tokens(tokens: f64, layout: &Layout) -> f64 {
    if layout.sequence_parallel {
        tokens / f64::from(layout.tp)
    } else {
        tokens
    }
}

/// One transformer layer, one micro-batch, one GPU: (forward, backward;
/// the backward includes any recomputation).
pub fn layer(model: &ModelSpec, layout: &Layout, r: &Rates) -> (Parts, Parts) {
    let t = f64::from(layout.tp);
    let h = f64::from(model.hidden);
    let kv = model.kv_hidden();
    let tok = tokens(model, layout);
    let drop = if model.dropout { 1.0 } else { 0.0 };
    let full = layout.recompute == Recompute::Full;

    // The linear layers' GEMMs, as TP splits them (Megatron: QKV and FC1
    // column-parallel, projection and FC2 row-parallel).
    let mats = f64::from(model.ffn.matrices());
    let mut shapes: Vec<Shape> = vec![(tok, (h + 2.0 * kv) / t, h, 1.0), (tok, h, h / t, 1.0)];
    let (ffn_width, router) = match &model.moe {
        None => {
            let f = f64::from(model.ffn_hidden);
            shapes.push((tok, (mats - 1.0) * f / t, h, 1.0));
            shapes.push((tok, h, f / t, 1.0));
            (f, None)
        }
        Some(moe) => {
            // Balanced routing: each GPU's E/ep experts see T·top_k tokens.
            let f = f64::from(moe.expert_ffn_hidden.unwrap_or(model.ffn_hidden));
            let experts = f64::from(moe.experts);
            let local = experts / f64::from(layout.ep);
            let per_expert = tok * f64::from(moe.top_k) / local;
            shapes.push((per_expert, (mats - 1.0) * f / t, h, local));
            shapes.push((per_expert, h, f / t, local));
            (f * f64::from(moe.top_k), Some((tok, experts / t, h, 1.0)))
        }
    };
    let (mut gemm_f, mut gemm_b) = (0.0, 0.0);
    for s in shapes {
        let (f, b) = r.linear(s, true);
        gemm_f += f;
        gemm_b += b;
    }
    if let Some(s) = router {
        let (f, b) = r.linear(s, false);
        gemm_f += f;
        gemm_b += b;
    }

    // The attention core.
    let attn = tok * model.layer_attention_flops_per_token() / t;
    let (attn_f, attn_b) = match layout.attention {
        AttentionKernel::Flash => {
            let half = if model.causal { 0.5 } else { 1.0 };
            let fwd = attn * half / r.flash;
            // Backward recomputes the scores (one forward more), full
            // recomputation the forward too (as flops::layer_executed).
            (fwd, fwd * (2.0 + 1.0 + if full { 1.0 } else { 0.0 }))
        }
        AttentionKernel::Unfused => {
            let heads = f64::from(model.heads) / t;
            let d = h / f64::from(model.heads);
            let sq = f64::from(model.seq_len) / f64::from(layout.cp);
            let sk = f64::from(model.seq_len);
            let count = f64::from(layout.micro_batch) * heads;
            let qk = r.linear((sq, sk, d, count), false);
            let av = r.linear((sq, d, sk, count), false);
            let scores = count * sq * sk;
            let soft_f = scores * (4.0 + 5.0 * drop) / r.memory;
            let soft_b = scores * (6.0 + 5.0 * drop) / r.memory;
            let fwd = qk.0 + av.0 + soft_f;
            let again = if layout.recompute == Recompute::None {
                0.0
            } else {
                fwd
            };
            (fwd, qk.1 + av.1 + soft_b + again)
        }
    };

    // Memory-bound kernels, bytes forward.
    let sp_tok = sequence_tokens(tok, layout);
    let norms_residual = sp_tok * h * (8.0 + 12.0 + 2.0 * drop);
    let rotary = if model.learned_positions {
        0.0
    } else {
        tok * (h + kv) / t * 4.0
    };
    let act = tok
        * ffn_width
        * match model.ffn {
            Ffn::Gelu => 4.0,
            Ffn::SwiGlu => 6.0,
        }
        / t;
    let elementwise_f = norms_residual + rotary + act;
    let (cast_f, cast_b) = if r.fp8 {
        // Forward: projection and FC2 inputs (norms fuse the others).
        // Backward: every linear output's gradient.
        (
            tok * (h + ffn_width) / t * 4.0,
            tok * ((h + 2.0 * kv) / t + h + (mats - 1.0) * ffn_width / t + h) * 4.0,
        )
    } else {
        (0.0, 0.0)
    };
    let mem_f = (elementwise_f + cast_f) / r.memory;
    let mem_b = (2.0 * elementwise_f + cast_b) / r.memory;

    let fwd = Parts {
        gemm_s: gemm_f,
        attention_s: attn_f,
        memory_s: mem_f,
    };
    let mut bwd = Parts {
        gemm_s: gemm_b,
        attention_s: attn_b,
        memory_s: mem_b,
    };
    if full {
        // The layer's forward again (attention's is counted above).
        bwd.gemm_s += fwd.gemm_s;
        bwd.memory_s += fwd.memory_s;
    }
    (fwd, bwd)
}

/// The first stage's input embedding (a lookup and its scatter-add
/// gradient, bf16 out, fp32 gradient), per micro-batch.
pub fn embedding(model: &ModelSpec, layout: &Layout, r: &Rates) -> (Parts, Parts) {
    let tok = tokens(model, layout);
    let sp_tok = sequence_tokens(tok, layout);
    let h = f64::from(model.hidden);
    let mem = |bytes: f64| Parts {
        memory_s: bytes / r.memory,
        ..Parts::default()
    };
    (mem(sp_tok * h * 4.0), mem(sp_tok * h * 10.0))
}

/// The last stage's final norm, logits GEMM (bf16: Megatron's output
/// layer is not a TE module) and cross-entropy, per micro-batch.
pub fn output(model: &ModelSpec, layout: &Layout, r: &Rates) -> (Parts, Parts) {
    let t = f64::from(layout.tp);
    let tok = tokens(model, layout);
    let sp_tok = sequence_tokens(tok, layout);
    let h = f64::from(model.hidden);
    let v = f64::from(model.vocab) / t;
    let (gf, gb) = r.linear((tok, v, h, 1.0), false);
    let (ce_f, ce_b) = CROSS_ENTROPY_BYTES_PER_LOGIT;
    (
        Parts {
            gemm_s: gf,
            attention_s: 0.0,
            memory_s: (sp_tok * h * 4.0 + tok * v * ce_f) / r.memory,
        },
        Parts {
            gemm_s: gb,
            attention_s: 0.0,
            memory_s: (sp_tok * h * 8.0 + tok * v * ce_b) / r.memory,
        },
    )
}

/// The optimizer step over `params` parameters of the GPU's shard.
pub fn optimizer_s(params: f64, r: &Rates) -> f64 {
    params * OPTIMIZER_BYTES_PER_PARAM / r.memory
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Catalog;
    use crate::training::model::gpt3_175b;

    fn h100() -> GpuModel {
        Catalog::builtin().gpu("H100-SXM-80GB").unwrap().clone()
    }

    #[test]
    fn a_large_gemm_runs_at_the_cap_and_a_thin_one_under_the_bandwidth_roof() {
        let gpu = h100();
        let r = Rates::of(&gpu, Precision::Bf16).unwrap();
        // 8192 x 12288 x 12288: intensity ~2,600 FLOP/byte, far above the
        // ridge (989e12·e / 3.35e12·0.8): compute-bound at the cap.
        let big = r.gemm(r.bf16_gemm, 2.0, 8192.0, 12_288.0, 12_288.0, 1.0);
        let flops = 2.0 * 8192.0 * 12_288.0 * 12_288.0;
        assert!((big - flops / r.bf16_gemm).abs() / big < 1e-12);
        // 8192 x 128 x 1024 (h 1024 over TP 8): intensity ~ 110 FLOP/byte,
        // bandwidth-bound.
        let thin = r.gemm(r.bf16_gemm, 2.0, 8192.0, 128.0, 1024.0, 1.0);
        let bytes = 2.0 * (8192.0 * 1024.0 + 1024.0 * 128.0 + 8192.0 * 128.0);
        assert!((thin - bytes / r.memory).abs() / thin < 1e-12);
        assert!(thin > 2.0 * 8192.0 * 128.0 * 1024.0 / r.bf16_gemm);
    }

    #[test]
    fn fp8_halves_only_the_linear_gemms() {
        let gpu = h100();
        let m = gpt3_175b();
        let layout = Layout {
            sequence_parallel: true,
            ..Layout::new(8, 1, 1, 1, 8)
        };
        let b = Rates::of(&gpu, Precision::Bf16).unwrap();
        let f = Rates::of(&gpu, Precision::Fp8).unwrap();
        let (bf, bb) = layer(&m, &layout, &b);
        let (ff, fb) = layer(&m, &layout, &f);
        // GPT-3's linear GEMMs are compute-bound at both precisions.
        assert!((bf.gemm_s / ff.gemm_s - 2.0).abs() < 1e-9);
        assert!((bb.gemm_s / fb.gemm_s - 2.0).abs() < 1e-9);
        assert_eq!(bf.attention_s, ff.attention_s);
        // TE's casts add memory traffic.
        assert!(ff.memory_s > bf.memory_s && fb.memory_s > bb.memory_s);
        // The logits stay bf16.
        assert_eq!(
            output(&m, &layout, &b).0.gemm_s,
            output(&m, &layout, &f).0.gemm_s
        );
    }

    #[test]
    fn timed_flops_are_the_executed_flops() {
        // With an infinite memory roof, GEMM + attention time times the
        // rates gives back flops::layer_executed for flash attention.
        let gpu = h100();
        let m = gpt3_175b();
        let layout = Layout::new(8, 1, 1, 1, 8);
        let mut r = Rates::of(&gpu, Precision::Bf16).unwrap();
        r.memory = f64::INFINITY;
        let (f, b) = layer(&m, &layout, &r);
        let exec = crate::training::flops::layer_executed(&m, &layout);
        let tok = 2048.0;
        let timed = (f.gemm_s + b.gemm_s) * r.bf16_gemm + (f.attention_s + b.attention_s) * r.flash;
        let want = tok * (exec.forward + exec.backward) / 8.0;
        assert!((timed - want).abs() / want < 1e-9, "{timed} vs {want}");
    }
}
