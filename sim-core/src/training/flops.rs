//! FLOPs of a training step: the paper closed forms and the general count
//! from the model's shapes that `step` uses.
//!
//! Three counts, all for one optimizer step of the whole job:
//! - **model FLOPs**: forward + backward (2× forward) without any
//!   recomputation; the numerator of MFU as PaLM defines it (Chowdhery et
//!   al. 2022, App. B: 6·N per token plus the attention term);
//! - **hardware FLOPs**: model FLOPs plus the forward passes recomputation
//!   repeats; what Megatron-LM reports as achieved teraFLOP/s (Narayanan et
//!   al. SC'21 §5.1: eq. 3 counts full recomputation);
//! - **executed FLOPs**: what the GPUs really run, used for time: hardware
//!   FLOPs, except that a FlashAttention kernel recomputes the attention
//!   core in its backward pass and, for a causal model, skips the masked
//!   half of the score matrix.
//!
//! Invariant: for GPT-3's shape (GELU FFN of 4h, MHA, tied embeddings) the
//! general count equals the SC'21 closed form exactly (tested).

use serde::Serialize;

use super::layout::{AttentionKernel, Layout, Recompute};
use super::model::ModelSpec;

/// Narayanan et al. SC'21, eq. (3) and §5.1: FLOPs per iteration of a GPT
/// with `batch` sequences of `seq` tokens, `layers` layers of width
/// `hidden` and vocabulary `vocab`.
/// Without recomputation: 72·B·s·l·h²·(1 + s/(6h) + V/(12·l·h));
/// with full recomputation: 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)).
pub fn megatron_iteration_flops(
    batch: f64,
    seq: f64,
    layers: f64,
    hidden: f64,
    vocab: f64,
    full_recompute: bool,
) -> f64 {
    let (k, d) = if full_recompute {
        (96.0, 16.0)
    } else {
        (72.0, 12.0)
    };
    k * batch
        * seq
        * layers
        * hidden
        * hidden
        * (1.0 + seq / (6.0 * hidden) + vocab / (d * layers * hidden))
}

/// The three FLOP counts of one step (see the module doc).
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct StepFlops {
    pub model_flops: f64,
    pub hardware_flops: f64,
    pub executed_flops: f64,
}

/// Executed FLOPs per token of one transformer layer, split into the
/// forward pass and the backward pass (which includes any recomputation).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct LayerFlops {
    pub forward: f64,
    pub backward: f64,
}

fn recomputed_linear(layout: &Layout) -> f64 {
    if layout.recompute == Recompute::Full {
        1.0
    } else {
        0.0
    }
}

fn recomputed_attention(layout: &Layout) -> f64 {
    if layout.recompute == Recompute::None {
        0.0
    } else {
        1.0
    }
}

/// Executed FLOPs per token of one layer, for timing.
pub fn layer_executed(model: &ModelSpec, layout: &Layout) -> LayerFlops {
    let lin = model.layer_linear_flops_per_token();
    let attn = model.layer_attention_flops_per_token();
    let (attn_fwd, attn_bwd) = match layout.attention {
        AttentionKernel::Unfused => (attn, attn * (2.0 + recomputed_attention(layout))),
        AttentionKernel::Flash => {
            // FlashAttention's backward recomputes the scores (one more
            // forward of the core); full recomputation repeats the forward
            // too. Causal kernels skip the masked half everywhere.
            let half = if model.causal { 0.5 } else { 1.0 };
            (
                attn * half,
                attn * half * (2.0 + 1.0 + recomputed_linear(layout)),
            )
        }
    };
    LayerFlops {
        forward: lin + attn_fwd,
        backward: lin * (2.0 + recomputed_linear(layout)) + attn_bwd,
    }
}

/// The three counts for one step of `layout.global_batch` sequences.
pub fn step_flops(model: &ModelSpec, layout: &Layout) -> StepFlops {
    let tokens = f64::from(layout.global_batch) * f64::from(model.seq_len);
    let l = f64::from(model.layers);
    let lin = model.layer_linear_flops_per_token();
    let attn = model.layer_attention_flops_per_token();
    let logit = model.logit_flops_per_token();
    let model_per_token = 3.0 * (l * (lin + attn) + logit);
    // The output layer is never recomputed (Megatron recomputes layers).
    let recomputed = l * (lin * recomputed_linear(layout) + attn * recomputed_attention(layout));
    let exec = layer_executed(model, layout);
    StepFlops {
        model_flops: tokens * model_per_token,
        hardware_flops: tokens * (model_per_token + recomputed),
        executed_flops: tokens * (l * (exec.forward + exec.backward) + 3.0 * logit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::model::{gpt3_175b, llama3_405b};

    fn gpt3_layout(recompute: Recompute) -> Layout {
        Layout {
            recompute,
            attention: AttentionKernel::Unfused,
            ..Layout::new(8, 16, 8, 1, 1536)
        }
    }

    #[test]
    fn general_count_reproduces_megatron_closed_form_for_gpt3() {
        // Narayanan et al. SC'21, eq. (3), §5.1; GPT-3 175B shape from
        // Brown et al. 2020, Table 2.1 (l=96, h=12288, s=2048, V=51200).
        let m = gpt3_175b();
        for (recompute, full) in [(Recompute::None, false), (Recompute::Full, true)] {
            let f = step_flops(&m, &gpt3_layout(recompute));
            let closed = megatron_iteration_flops(1536.0, 2048.0, 96.0, 12_288.0, 51_200.0, full);
            let rel = (f.hardware_flops - closed).abs() / closed;
            assert!(
                rel < 1e-12,
                "{recompute:?}: {} vs {closed}",
                f.hardware_flops
            );
            // Unfused attention executes what it counts.
            assert!((f.executed_flops - f.hardware_flops).abs() / closed < 1e-12);
        }
    }

    #[test]
    fn model_flops_are_six_n_d_plus_attention() {
        // PaLM (Chowdhery et al. 2022), App. B: 6N + 12·L·H·Q·T FLOPs per
        // token, N the parameters the matmuls use: the layers' linear
        // weights and the output projection (not the input embedding, a
        // lookup, nor the RMSNorm weights).
        let m = llama3_405b();
        let layout = Layout::new(8, 16, 64, 1, 2048);
        let f = step_flops(&m, &layout);
        let tokens = 2048.0 * 8192.0;
        let h = 16_384.0;
        let matmul_params = m.parameter_count()
            - m.input_embedding_params()
            - 126.0 * 2.0 * h // RMSNorm weights
            - h; // final norm
        let palm = tokens * (6.0 * matmul_params + 12.0 * 126.0 * h * 8192.0);
        assert!((f.model_flops - palm).abs() / palm < 1e-9);
        // Recomputation is hardware work, never model work.
        let full = step_flops(
            &m,
            &Layout {
                recompute: Recompute::Full,
                ..layout
            },
        );
        assert_eq!(full.model_flops, f.model_flops);
        assert!(full.hardware_flops > 1.3 * f.hardware_flops);
    }

    #[test]
    fn flash_attention_halves_causal_attention_work() {
        let m = gpt3_175b();
        let unfused = layer_executed(&m, &gpt3_layout(Recompute::Selective));
        let flash = layer_executed(
            &m,
            &Layout {
                attention: AttentionKernel::Flash,
                ..gpt3_layout(Recompute::Selective)
            },
        );
        let attn = m.layer_attention_flops_per_token();
        assert!((unfused.forward - flash.forward - 0.5 * attn).abs() < 1.0);
        assert!((unfused.backward - flash.backward - 1.5 * attn).abs() < 1.0);
    }
}
