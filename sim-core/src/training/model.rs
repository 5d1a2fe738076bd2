//! A transformer language model's shape: parameter count and matmul FLOPs
//! per token, counted from the shapes, plus the published presets.
//!
//! Invariants:
//! - counts are matmul FLOPs only, 2 FLOPs per multiply-add; biases, norms,
//!   softmax and other element-wise work are not counted (as in Megatron's
//!   formula, Narayanan et al. SC'21 §5.1, and PaLM's MFU, App. B);
//! - attention-core FLOPs are counted over the full `seq_len`×`seq_len`
//!   score matrix, causal or not (the convention of both papers); what a
//!   causal kernel really executes is `step`'s business;
//! - a [`ModelSpec`] that passed [`ModelSpec::validate`] has no zero
//!   dimension, `hidden` divisible by `heads`, `heads` by `kv_heads`, and a
//!   given `parameters` within [`PARAMETER_TOLERANCE`] of the shape's count.

use super::TrainingError;

/// How far a stated parameter count may be from the shape's count.
pub const PARAMETER_TOLERANCE: f64 = 0.03;

/// The feed-forward block's form.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ffn {
    /// Two matrices, h→f→h, with GELU between (GPT-2/3).
    Gelu,
    /// Three matrices: gate and up h→f, down f→h (SwiGLU; Llama, Mixtral).
    SwiGlu,
}

impl Ffn {
    /// Weight matrices of size h×f in one FFN.
    pub fn matrices(self) -> u32 {
        match self {
            Ffn::Gelu => 2,
            Ffn::SwiGlu => 3,
        }
    }
}

/// Mixture-of-experts feed-forward: every layer's FFN is `experts` experts,
/// each token routed to `top_k` of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Moe {
    pub experts: u32,
    pub top_k: u32,
    /// One expert's FFN width; the model's `ffn_hidden` when absent.
    pub expert_ffn_hidden: Option<u32>,
}

/// A decoder-only transformer, as its paper's architecture table gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    pub name: String,
    /// The published parameter count; checked against the shape when given.
    pub parameters: Option<f64>,
    pub layers: u32,
    pub hidden: u32,
    pub ffn_hidden: u32,
    pub heads: u32,
    /// Key/value heads (grouped-query attention); `heads` when absent.
    pub kv_heads: Option<u32>,
    /// Training sequence length in tokens.
    pub seq_len: u32,
    pub vocab: u32,
    pub ffn: Ffn,
    pub moe: Option<Moe>,
    /// GPT-2/3 style: LayerNorm (weight and bias) and biases on every linear
    /// layer. `false`: RMSNorm (weight only) and no biases (Llama style).
    pub biases: bool,
    /// Input and output embeddings share one matrix (GPT-3, per Megatron).
    pub tied_embeddings: bool,
    /// Learned absolute position embeddings (`seq_len`×`hidden`); `false`
    /// for rotary embeddings, which have no parameters.
    pub learned_positions: bool,
    /// Dropout after attention and FFN (and on attention scores): its masks
    /// take activation memory (Korthikanti et al. 2022, §4.1).
    pub dropout: bool,
    /// Causal (decoder) attention: a kernel that skips masked blocks does
    /// half the attention-core work.
    pub causal: bool,
}

impl ModelSpec {
    pub fn kv_heads(&self) -> u32 {
        self.kv_heads.unwrap_or(self.heads)
    }

    /// Width of the K (and of the V) projection: `kv_heads · head_dim`.
    pub fn kv_hidden(&self) -> f64 {
        f64::from(self.hidden) / f64::from(self.heads) * f64::from(self.kv_heads())
    }

    fn expert_ffn(&self) -> Option<(f64, f64, f64)> {
        self.moe.as_ref().map(|m| {
            (
                f64::from(m.experts),
                f64::from(m.top_k),
                f64::from(m.expert_ffn_hidden.unwrap_or(self.ffn_hidden)),
            )
        })
    }

    /// Attention weights of one layer: Q and O are h×h, K and V h×kv_hidden.
    pub fn attention_params_per_layer(&self) -> f64 {
        let h = f64::from(self.hidden);
        let linear = 2.0 * h * h + 2.0 * h * self.kv_hidden();
        let biases = if self.biases {
            2.0 * h + 2.0 * self.kv_hidden()
        } else {
            0.0
        };
        // The attention block's norm lives with it; LayerNorm has a bias.
        let norm = if self.biases { 2.0 * h } else { h };
        linear + biases + norm
    }

    /// FFN weights of one layer (all experts for MoE, plus the router).
    pub fn ffn_params_per_layer(&self) -> f64 {
        let h = f64::from(self.hidden);
        let mats = f64::from(self.ffn.matrices());
        let norm = if self.biases { 2.0 * h } else { h };
        match self.expert_ffn() {
            None => {
                let f = f64::from(self.ffn_hidden);
                let biases = if self.biases { f + h } else { 0.0 };
                mats * h * f + biases + norm
            }
            Some((experts, _, f)) => {
                let biases = if self.biases { f + h } else { 0.0 };
                experts * (mats * h * f + biases) + h * experts + norm
            }
        }
    }

    pub fn params_per_layer(&self) -> f64 {
        self.attention_params_per_layer() + self.ffn_params_per_layer()
    }

    /// Input embedding (plus learned positions): held by the first stage.
    pub fn input_embedding_params(&self) -> f64 {
        let h = f64::from(self.hidden);
        let pos = if self.learned_positions {
            f64::from(self.seq_len) * h
        } else {
            0.0
        };
        f64::from(self.vocab) * h + pos
    }

    /// Output projection plus the final norm: held by the last stage. With
    /// tied embeddings the matrix is the input embedding (counted once).
    pub fn output_params(&self) -> f64 {
        let h = f64::from(self.hidden);
        let norm = if self.biases { 2.0 * h } else { h };
        let matrix = if self.tied_embeddings {
            0.0
        } else {
            f64::from(self.vocab) * h
        };
        matrix + norm
    }

    /// Total parameters counted from the shape.
    pub fn parameter_count(&self) -> f64 {
        f64::from(self.layers) * self.params_per_layer()
            + self.input_embedding_params()
            + self.output_params()
    }

    /// Parameters one token goes through (MoE: `top_k` experts, not all).
    pub fn active_parameter_count(&self) -> f64 {
        match self.expert_ffn() {
            None => self.parameter_count(),
            Some((experts, top_k, _)) => {
                let h = f64::from(self.hidden);
                let per_expert = (self.ffn_params_per_layer()
                    - h * experts
                    - if self.biases { 2.0 * h } else { h })
                    / experts;
                self.parameter_count() - f64::from(self.layers) * (experts - top_k) * per_expert
            }
        }
    }

    /// Forward matmul FLOPs per token of one layer's linear layers
    /// (projections and FFN; for MoE, `top_k` experts and the router).
    pub fn layer_linear_flops_per_token(&self) -> f64 {
        let h = f64::from(self.hidden);
        let attn = 2.0 * (2.0 * h * h + 2.0 * h * self.kv_hidden());
        let mats = f64::from(self.ffn.matrices());
        let ffn = match self.expert_ffn() {
            None => 2.0 * mats * h * f64::from(self.ffn_hidden),
            Some((experts, top_k, f)) => top_k * 2.0 * mats * h * f + 2.0 * h * experts,
        };
        attn + ffn
    }

    /// Forward FLOPs per token of one layer's attention core: Q·Kᵀ and
    /// scores·V over the whole sequence, 2·s·h each.
    pub fn layer_attention_flops_per_token(&self) -> f64 {
        4.0 * f64::from(self.seq_len) * f64::from(self.hidden)
    }

    /// Forward FLOPs per token of the output projection (logits).
    pub fn logit_flops_per_token(&self) -> f64 {
        2.0 * f64::from(self.hidden) * f64::from(self.vocab)
    }

    /// Forward FLOPs per token of the whole model.
    pub fn forward_flops_per_token(&self) -> f64 {
        f64::from(self.layers)
            * (self.layer_linear_flops_per_token() + self.layer_attention_flops_per_token())
            + self.logit_flops_per_token()
    }

    /// Checks the shape; see the module invariants.
    pub fn validate(&self) -> Result<(), TrainingError> {
        let dims = [
            ("layers", self.layers),
            ("hidden", self.hidden),
            ("ffn_hidden", self.ffn_hidden),
            ("heads", self.heads),
            ("kv_heads", self.kv_heads()),
            ("seq_len", self.seq_len),
            ("vocab", self.vocab),
        ];
        for (field, v) in dims {
            if v == 0 {
                return Err(TrainingError::new(format!(
                    "model `{}`: {field} is 0; give the value from the model's architecture table",
                    self.name
                )));
            }
        }
        if !self.hidden.is_multiple_of(self.heads) {
            return Err(TrainingError::new(format!(
                "model `{}`: hidden {} is not divisible by heads {}; head_dim must be whole",
                self.name, self.hidden, self.heads
            )));
        }
        if !self.heads.is_multiple_of(self.kv_heads()) {
            return Err(TrainingError::new(format!(
                "model `{}`: heads {} is not a multiple of kv_heads {}; each KV head serves a whole group of query heads",
                self.name,
                self.heads,
                self.kv_heads()
            )));
        }
        if let Some(m) = &self.moe {
            if m.experts == 0 || m.top_k == 0 || m.top_k > m.experts {
                return Err(TrainingError::new(format!(
                    "model `{}`: MoE needs 1 <= top_k <= experts (got top_k {} of {} experts)",
                    self.name, m.top_k, m.experts
                )));
            }
            if m.expert_ffn_hidden == Some(0) {
                return Err(TrainingError::new(format!(
                    "model `{}`: expert_ffn_hidden is 0",
                    self.name
                )));
            }
        }
        if let Some(stated) = self.parameters {
            let counted = self.parameter_count();
            let off = (counted - stated).abs() / stated;
            if !stated.is_finite() || stated <= 0.0 || off > PARAMETER_TOLERANCE {
                return Err(TrainingError::new(format!(
                    "model `{}`: the shape has {:.2}B parameters but `parameters` says {:.2}B ({:.1}% off, more than {:.0}%); check layers/hidden/ffn_hidden/vocab, or leave `parameters` out",
                    self.name,
                    counted / 1e9,
                    stated / 1e9,
                    off * 100.0,
                    PARAMETER_TOLERANCE * 100.0
                )));
            }
        }
        Ok(())
    }
}

/// The preset names [`preset`] knows.
pub const PRESETS: [&str; 7] = [
    "gpt3-175b",
    "llama2-7b",
    "llama3-8b",
    "llama3-70b",
    "llama3-405b",
    "mixtral-8x7b",
    "megatron-145b",
];

/// A preset by name (case-insensitive), or `None`.
pub fn preset(name: &str) -> Option<ModelSpec> {
    match name.to_ascii_lowercase().as_str() {
        "gpt3-175b" => Some(gpt3_175b()),
        "llama2-7b" => Some(llama2_7b()),
        "llama3-8b" => Some(llama3_8b()),
        "llama3-70b" => Some(llama3_70b()),
        "llama3-405b" => Some(llama3_405b()),
        "mixtral-8x7b" => Some(mixtral_8x7b()),
        "megatron-145b" => Some(megatron_145b()),
        _ => None,
    }
}

fn gpt_style(name: &str, parameters: f64, layers: u32, hidden: u32, heads: u32) -> ModelSpec {
    ModelSpec {
        name: name.into(),
        parameters: Some(parameters),
        layers,
        hidden,
        ffn_hidden: 4 * hidden,
        heads,
        kv_heads: None,
        seq_len: 2048,
        vocab: 51_200,
        ffn: Ffn::Gelu,
        moe: None,
        biases: true,
        tied_embeddings: true,
        learned_positions: true,
        dropout: true,
        causal: true,
    }
}

/// GPT-3 175B: Brown et al. 2020, Table 2.1 (96 layers, d_model 12288, 96
/// heads, n_ctx 2048, d_ff = 4·d_model); vocabulary 51,200 as Megatron pads
/// it (Narayanan et al. SC'21 §5.1, whose Table 2 counts 174.6B).
pub fn gpt3_175b() -> ModelSpec {
    gpt_style("gpt3-175b", 174.6e9, 96, 12_288, 96)
}

/// Megatron's 145.6B GPT (Narayanan et al. SC'21, Table 1: 96 heads, hidden
/// 12288, 80 layers; vocabulary 51,200, sequence 2048 per §5.1).
pub fn megatron_145b() -> ModelSpec {
    gpt_style("megatron-145b", 145.6e9, 80, 12_288, 96)
}

fn llama(name: &str, parameters: f64, layers: u32, hidden: u32, ffn: u32, heads: u32) -> ModelSpec {
    ModelSpec {
        name: name.into(),
        parameters: Some(parameters),
        layers,
        hidden,
        ffn_hidden: ffn,
        heads,
        kv_heads: Some(8),
        seq_len: 8192,
        vocab: 128_000,
        ffn: Ffn::SwiGlu,
        moe: None,
        biases: false,
        tied_embeddings: false,
        learned_positions: false,
        dropout: false,
        causal: true,
    }
}

/// Llama 3 8B: Dubey et al. 2024 ("The Llama 3 Herd of Models"), Table 3:
/// 32 layers, model dimension 4,096, FFN 14,336, 32 heads, 8 KV heads,
/// vocabulary 128,000; pre-training sequence 8,192 (§3.4.1).
pub fn llama3_8b() -> ModelSpec {
    llama("llama3-8b", 8.0e9, 32, 4096, 14_336, 32)
}

/// Llama 3 70B: Dubey et al. 2024, Table 3: 80 layers, 8,192, FFN 28,672,
/// 64 heads, 8 KV heads.
pub fn llama3_70b() -> ModelSpec {
    llama("llama3-70b", 70.0e9, 80, 8192, 28_672, 64)
}

/// Llama 3 405B: Dubey et al. 2024, Table 3: 126 layers, 16,384, FFN
/// 53,248, 128 heads, 8 KV heads, vocabulary 128,000; sequence 8,192.
pub fn llama3_405b() -> ModelSpec {
    llama("llama3-405b", 405.0e9, 126, 16_384, 53_248, 128)
}

/// Llama 2 7B: Touvron et al. 2023, Table 1 and §2.2 (32 layers, 4,096,
/// 32 heads, no GQA at 7B, context 4,096, vocabulary 32,000; FFN 11,008 as
/// in the released configuration).
pub fn llama2_7b() -> ModelSpec {
    ModelSpec {
        kv_heads: None,
        seq_len: 4096,
        vocab: 32_000,
        ..llama("llama2-7b", 6.74e9, 32, 4096, 11_008, 32)
    }
}

/// A Mixtral-8x7B-like MoE: Jiang et al. 2024 ("Mixtral of Experts"),
/// Table 1: dim 4096, 32 layers, head_dim 128, 32 heads, 8 KV heads,
/// hidden_dim 14336, vocab 32000, 8 experts, top-2; 46.7B parameters, 12.9B
/// active (§2.1). Sequence 4,096 for training is our choice (the paper
/// gives a 32k context).
pub fn mixtral_8x7b() -> ModelSpec {
    ModelSpec {
        seq_len: 4096,
        vocab: 32_000,
        moe: Some(Moe {
            experts: 8,
            top_k: 2,
            expert_ffn_hidden: None,
        }),
        ..llama("mixtral-8x7b", 46.7e9, 32, 4096, 14_336, 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_their_published_parameter_counts() {
        // validate() checks the stated count (from each paper) within 3%.
        for name in PRESETS {
            let m = preset(name).unwrap();
            m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // Narayanan et al. SC'21, Table 2 prints GPT-3 as 174.6B; Megatron's
        // count P = 12lh²(1 + 13/(12h) + (V+s)/(12lh)) (§5.1), which leaves
        // out the final LayerNorm (2h) that we count.
        let g = gpt3_175b();
        let (l, h, v, s) = (96.0, 12_288.0, 51_200.0, 2048.0);
        let closed = 12.0 * l * h * h * (1.0 + 13.0 / (12.0 * h) + (v + s) / (12.0 * l * h));
        assert!((g.parameter_count() - 2.0 * h - closed).abs() / closed < 1e-12);
        assert!((g.parameter_count() / 1e9 - 174.6).abs() < 0.05);
    }

    #[test]
    fn mixtral_active_parameters_match_the_paper() {
        // Jiang et al. 2024, §2.1: 47B total (46.7B), 13B active (12.9B).
        let m = mixtral_8x7b();
        assert!((m.parameter_count() / 1e9 - 46.7).abs() < 0.5);
        assert!((m.active_parameter_count() / 1e9 - 12.9).abs() < 0.3);
    }

    #[test]
    fn a_wrong_stated_parameter_count_is_refused() {
        let mut m = llama3_8b();
        m.parameters = Some(12e9);
        let e = m.validate().unwrap_err().to_string();
        assert!(e.contains("leave `parameters` out"), "{e}");
        let mut m = llama3_8b();
        m.kv_heads = Some(5);
        assert!(m.validate().is_err());
    }
}
