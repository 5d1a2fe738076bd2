//! The schema of training jobs' models, layouts and precision, as users
//! write them under `workload.models` and `workload.training` (and as
//! `clustersim plan --model FILE` reads a model).
//!
//! These mirror `training::{ModelSpec, Layout, Precision}` field for field
//! and are converted into them in `validate`. They carry the same type names as
//! the model types because `ron` names the type in its diagnostics
//! (``unknown field `hiden` in `ModelSpec` ``); field order is the order of
//! the "expected: one of ..." lists. Renaming a field here breaks users'
//! files; renaming one in `training` does not.

use serde::Deserialize;

/// A decoder-only transformer (see `training::ModelSpec`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    /// The published parameter count; checked against the shape when given.
    #[serde(default)]
    pub parameters: Option<f64>,
    pub layers: u32,
    pub hidden: u32,
    pub ffn_hidden: u32,
    pub heads: u32,
    /// `heads` when absent.
    #[serde(default)]
    pub kv_heads: Option<u32>,
    pub seq_len: u32,
    pub vocab: u32,
    pub ffn: Ffn,
    #[serde(default)]
    pub moe: Option<Moe>,
    #[serde(default)]
    pub biases: bool,
    #[serde(default)]
    pub tied_embeddings: bool,
    #[serde(default)]
    pub learned_positions: bool,
    #[serde(default)]
    pub dropout: bool,
    #[serde(default = "yes")]
    pub causal: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum Ffn {
    Gelu,
    SwiGlu,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    pub experts: u32,
    pub top_k: u32,
    /// The model's `ffn_hidden` when absent.
    #[serde(default)]
    pub expert_ffn_hidden: Option<u32>,
}

/// A training job's parallel layout (see `training::Layout`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub tp: u32,
    pub pp: u32,
    #[serde(default = "one")]
    pub virtual_stages: u32,
    pub dp: u32,
    #[serde(default = "one")]
    pub cp: u32,
    #[serde(default = "one")]
    pub ep: u32,
    pub micro_batch: u32,
    pub global_batch: u32,
    #[serde(default)]
    pub zero_stage: u8,
    #[serde(default = "no_recompute")]
    pub recompute: Recompute,
    #[serde(default)]
    pub sequence_parallel: bool,
    #[serde(default = "flash")]
    pub attention: AttentionKernel,
    #[serde(default = "yes")]
    pub overlap_grad_reduce: bool,
    #[serde(default)]
    pub overlap_p2p_comm: bool,
    #[serde(default)]
    pub balance_embedding_stages: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum Recompute {
    None,
    Selective,
    Full,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum AttentionKernel {
    Unfused,
    Flash,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum Precision {
    Bf16,
    Fp8,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn no_recompute() -> Recompute {
    Recompute::None
}
fn flash() -> AttentionKernel {
    AttentionKernel::Flash
}
