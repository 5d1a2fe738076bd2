//! Validation of `sim_core::training` against published training runs and
//! closed forms.
//!
//! Calibration (one point per GPU generation, fitted, not validated):
//! - A100 `matmul_efficiency` on Narayanan et al. SC'21 ("Efficient
//!   Large-Scale Language Model Training on GPU Clusters Using
//!   Megatron-LM"), Table 1, the 145.6B row: 148 teraFLOP/s per GPU;
//! - H100 `matmul_efficiency` on Dubey et al. 2024 ("The Llama 3 Herd of
//!   Models"), Table 4, the 8,192-GPU row: 430 TFLOPs/GPU.
//!
//! Both solve for the GPU's `matmul_efficiency`, the GEMM cap of
//! `training::compute` (`the_catalog_efficiencies_are_the_calibration_solves`).
//! The other constants of the compute model (FlashAttention's efficiency,
//! the memory-bandwidth efficiency, bytes per kernel) come from kernel
//! benchmarks and byte counts, not from any training point.
//!
//! Everything else here is validation only: the other Table 1 rows, the
//! GPT-3 175B rows of SC'21 Table 2 and its §5.1 estimate, and the two
//! 16,384-GPU rows of Llama 3's Table 4 (BF16, tolerance 10%); nine FP8
//! rows of NVIDIA's NeMo 24.07 performance table on DGX H100 (tolerance
//! 15%; the FP8 GEMM cap is the BF16 one, nothing is fitted on FP8). The
//! table of all points is docs/validation.md. Communication is
//! the analytic collective model (`collective::analytic::Nccl`) on the
//! catalog's links, as `clustersim plan` uses it.
//!
//! Layout details the papers state, and what we assumed where they do not:
//! - Megatron-LM 2021 (SC'21 §5.1): full activation recomputation, mixed
//!   precision, unfused attention (the paper predates FlashAttention),
//!   dropout, no sequence parallelism (introduced in 2022), gradient
//!   all-reduce after the backward pass (no overlap), ZeRO 0. Micro-batch
//!   1 is printed for Table 2; we assume it for Table 1. No interleaving
//!   (the paper's Table 1/2 settings do not mention it).
//! - Llama 3 (§3.3.2): FSDP sharding optimizer state and gradients but
//!   not resharding weights after forward (ZeRO 2 here), first and last
//!   stage one layer fewer, an interleaved schedule whose first chunk on
//!   the first stage holds only the embedding: with 126 + 2 layer slots on
//!   16 ranks that is one layer per chunk, v = 8 (our reading; the paper
//!   gives no v). "Without activation checkpointing" at 8K with
//!   FlashAttention (scores not stored). TP with sequence parallelism
//!   (the paper cites Korthikanti et al. for TP). Batch 16M tokens = 2,048
//!   sequences of 8,192, or 128 of 131,072.

use sim_core::collective::analytic::{Links, Nccl};
use sim_core::hardware::Catalog;
use sim_core::training::{
    self, AttentionKernel, Layout, ModelSpec, Precision, Recompute, StepReport,
    bubble_fraction_1f1b, bubble_over_ideal, megatron_iteration_flops, step_flops,
};

fn run(model: &ModelSpec, layout: &Layout, gpu: &str, node: &str) -> StepReport {
    run_in(Precision::Bf16, model, layout, gpu, node)
}

fn run_in(
    precision: Precision,
    model: &ModelSpec,
    layout: &Layout,
    gpu: &str,
    node: &str,
) -> StepReport {
    let c = Catalog::builtin();
    let g = c.gpu(gpu).unwrap();
    let n = c.node(node).unwrap();
    let comm = Nccl::new(Links::for_models(g, n, n.gpus_per_node));
    training::step(model, layout, precision, g, n.gpus_per_node, &comm)
        .unwrap_or_else(|e| panic!("{}: {e}", model.name))
}

/// NeMo's GPT-3 175B layout on DGX H100 (TP 4, PP 8, VP 6, sequence
/// parallel, distributed optimizer, selective recomputation, TE's fused
/// attention), at `gpus` GPUs.
fn nemo_gpt3(gpus: u32, micro_batch: u32, global_batch: u32) -> Layout {
    Layout {
        virtual_stages: 6,
        sequence_parallel: true,
        zero_stage: 1,
        recompute: Recompute::Selective,
        ..Layout::new(4, 8, gpus / 32, micro_batch, global_batch)
    }
}

#[test]
fn gpt3_175b_fp8_on_128_h100_fits_as_nvidia_runs_it() {
    // Issue 15: refused at "82.3 GiB > 80". NVIDIA runs GPT-3 175B on 128
    // H100 with TP 4, PP 8, VP 6 in FP8 (NeMo 24.07 performance table,
    // NVIDIA/NeMo docs/source/performance/performance_summary.md, row
    // "GPT3-175B 128": micro-batch 1, global batch 256; and row "GPT3-175B
    // 512": micro-batch 2, global batch 2,048). The issue's variant,
    // micro-batch 2 on 128 GPUs, must fit too, and so must both rows.
    let m = training::model::gpt3_175b();
    for layout in [
        nemo_gpt3(128, 2, 256),
        nemo_gpt3(128, 1, 256),
        nemo_gpt3(512, 2, 2048),
    ] {
        let r = run_in(Precision::Fp8, &m, &layout, "H100-SXM-80GB", "DGX-H100");
        assert!(r.memory.fits(), "{}", r.memory.describe());
    }
}

fn within(actual: f64, published: f64, tolerance: f64, what: &str) {
    let off = (actual - published) / published;
    println!(
        "{what}: {actual:.1} vs published {published} ({:+.1}%)",
        off * 100.0
    );
    assert!(
        off.abs() <= tolerance,
        "{what}: {actual:.1} vs published {published} ({:+.1}%)",
        off * 100.0
    );
}

/// Megatron-LM 2021 settings (see the module doc).
fn megatron(tp: u32, pp: u32, dp: u32, global_batch: u32) -> Layout {
    Layout {
        recompute: Recompute::Full,
        attention: AttentionKernel::Unfused,
        overlap_grad_reduce: false,
        ..Layout::new(tp, pp, dp, 1, global_batch)
    }
}

fn megatron_gpt(heads: u32, hidden: u32, layers: u32) -> ModelSpec {
    ModelSpec {
        name: format!("gpt-h{hidden}-l{layers}"),
        parameters: None,
        heads,
        hidden,
        ffn_hidden: 4 * hidden,
        layers,
        ..training::model::gpt3_175b()
    }
}

#[test]
fn a100_calibration_point_is_reproduced() {
    // SC'21 Table 1: 145.6B, 96 heads, h 12288, 80 layers, TP 8, PP 8,
    // 1,536 GPUs, batch 2,304: 148 teraFLOP/s per GPU (47% of peak).
    let r = run(
        &training::model::megatron_145b(),
        &megatron(8, 8, 24, 2304),
        "A100-SXM-80GB",
        "DGX-A100",
    );
    within(r.hardware_tflops_per_gpu, 148.0, 0.02, "145.6B calibration");
}

#[test]
fn gpt3_175b_on_a100_matches_megatron_sc21() {
    // SC'21 Table 2, PTD parallelism: 174.6B, model-parallel size 96
    // (TP 8 x PP 12), batch 1,536, micro-batch 1: 153 / 149 / 141
    // teraFLOP/s per GPU on 384 / 768 / 1,536 GPUs. Hardware FLOPs
    // (recomputation counted, eq. 3), as the paper reports them.
    let m = training::model::gpt3_175b();
    for (gpus, published) in [(384, 153.0), (768, 149.0), (1536, 141.0)] {
        let r = run(
            &m,
            &megatron(8, 12, gpus / 96, 1536),
            "A100-SXM-80GB",
            "DGX-A100",
        );
        within(
            r.hardware_tflops_per_gpu,
            published,
            0.10,
            &format!("GPT-3 175B on {gpus} A100"),
        );
        // The memory check passes and its breakdown is plausible.
        assert!(r.memory.total_bytes < r.memory.capacity_bytes);
    }
    // SC'21 §5.1 end-to-end estimate: 1,024 A100s, batch 1,536, 140
    // teraFLOP/s per GPU (34 days for 300B tokens). The paper gives no
    // layout for it; we use Megatron-LM's GPT-3 175B example script's TP 8,
    // PP 16 (so DP 8), micro-batch 1.
    let r = run(&m, &megatron(8, 16, 8, 1536), "A100-SXM-80GB", "DGX-A100");
    within(
        r.hardware_tflops_per_gpu,
        140.0,
        0.10,
        "GPT-3 175B on 1,024 A100",
    );
    let days = 300e9 / r.tokens_per_s / 86_400.0;
    println!("GPT-3 175B, 300B tokens on 1,024 A100: {days:.1} days (paper: 34)");
    assert!((days - 34.0).abs() / 34.0 <= 0.15);
}

#[test]
fn other_megatron_table1_rows_are_within_10_percent() {
    // SC'21 Table 1 (heads, hidden, layers, TP, PP, GPUs, batch, TFLOP/s).
    // The 1.7B-7.5B rows use TP < 8 with DP 32 on a few nodes; we keep the
    // TP 8 rows, which share the calibration row's setting.
    let rows = [
        (48, 6144, 40, 8, 1, 256, 1024, 135.0),
        (64, 8192, 48, 8, 2, 512, 1536, 138.0),
        (80, 10240, 60, 8, 4, 1024, 1792, 140.0),
        (128, 16384, 96, 8, 16, 1920, 2160, 155.0),
        (128, 20480, 105, 8, 35, 2520, 2520, 163.0),
        (160, 25600, 128, 8, 64, 3072, 3072, 163.0),
    ];
    for (heads, hidden, layers, tp, pp, gpus, batch, published) in rows {
        let m = megatron_gpt(heads, hidden, layers);
        let r = run(
            &m,
            &megatron(tp, pp, gpus / (tp * pp), batch),
            "A100-SXM-80GB",
            "DGX-A100",
        );
        within(
            r.hardware_tflops_per_gpu,
            published,
            0.10,
            &format!("Table 1, h={hidden} l={layers} on {gpus} GPUs"),
        );
    }
}

fn llama3_layout(dp: u32, cp: u32, global_batch: u32) -> Layout {
    Layout {
        cp,
        virtual_stages: 8,
        sequence_parallel: true,
        zero_stage: 2,
        balance_embedding_stages: true,
        ..Layout::new(8, 16, dp, 1, global_batch)
    }
}

#[test]
fn h100_calibration_point_is_reproduced() {
    // Llama 3 Table 4 row 1: 8,192 GPUs, TP 8, CP 1, PP 16, DP 64, seq
    // 8,192, batch/DP 32: 430 TFLOPs/GPU, 43% BF16 MFU.
    let r = run(
        &training::model::llama3_405b(),
        &llama3_layout(64, 1, 2048),
        "H100-SXM-80GB",
        "DGX-H100",
    );
    within(
        r.model_tflops_per_gpu,
        430.0,
        0.02,
        "Llama 3 405B on 8,192 H100",
    );
    within(r.mfu * 100.0, 43.0, 0.05, "its MFU in %");
}

#[test]
fn llama3_405b_on_16k_h100_matches_table_4() {
    // Llama 3 Table 4 row 2: 16,384 GPUs, TP 8, CP 1, PP 16, DP 128, seq
    // 8,192, batch/DP 16: 400 TFLOPs/GPU, 41% MFU. The paper attributes
    // the drop from 43% to the smaller batch per DP group (§3.3.2).
    let m = training::model::llama3_405b();
    let r = run(
        &m,
        &llama3_layout(128, 1, 2048),
        "H100-SXM-80GB",
        "DGX-H100",
    );
    within(
        r.model_tflops_per_gpu,
        400.0,
        0.10,
        "Llama 3 405B on 16,384 H100",
    );
    within(r.mfu * 100.0, 41.0, 0.10, "its MFU in %");
    let r8k = run(&m, &llama3_layout(64, 1, 2048), "H100-SXM-80GB", "DGX-H100");
    assert!(
        r.mfu < r8k.mfu,
        "fewer micro-batches per pipeline must cost MFU"
    );
    assert!(r.bubble_s / r.step_s > r8k.bubble_s / r8k.step_s);
}

#[test]
fn llama3_405b_long_context_row() {
    // Llama 3 Table 4 row 3: 16,384 GPUs, TP 8, CP 16, PP 16, DP 8, seq
    // 131,072, batch/DP 16: 380 TFLOPs/GPU, 38% MFU.
    //
    // At 128K the attention core is most of the work, so the FLOP
    // convention decides the comparison. PaLM's (our `model_flops`)
    // counts the full s x s score matrix; the paper does not say whether
    // it halves it for the causal mask. Counted PaLM's way we predict
    // about +33% (reported, not asserted); counted causally (half the
    // attention core, which is what a causal FlashAttention executes) we
    // are within 15%, and that is what this test checks.
    let mut m = training::model::llama3_405b();
    m.seq_len = 131_072;
    let layout = llama3_layout(8, 16, 128);
    let r = run(&m, &layout, "H100-SXM-80GB", "DGX-H100");
    let palm = r.model_tflops_per_gpu;
    println!(
        "Llama 3 405B 128K, PaLM convention: {palm:.1} vs 380 ({:+.1}%)",
        (palm / 380.0 - 1.0) * 100.0
    );
    let tokens = 128.0 * 131_072.0;
    let attention = 3.0 * tokens * 126.0 * m.layer_attention_flops_per_token();
    let causal =
        (step_flops(&m, &layout).model_flops - attention / 2.0) / r.step_s / r.gpus as f64 / 1e12;
    within(causal, 380.0, 0.10, "Llama 3 405B 128K, causal convention");
    assert!(r.exposed_cp_s > 0.0 && r.exposed_cp_s < 0.1 * r.step_s);
}

#[test]
fn closed_forms() {
    // 1F1B bubble: (p-1)/(m+p-1) of the pipeline time; SC'21 §2.2.1:
    // (p-1)/m of the ideal time, divided by v when interleaved (§2.2.2).
    assert_eq!(bubble_fraction_1f1b(16, 96), 15.0 / 111.0);
    assert_eq!(bubble_over_ideal(16, 96, 1), 15.0 / 96.0);
    assert_eq!(bubble_over_ideal(16, 96, 4), 15.0 / 384.0);
    // FLOPs: SC'21 eq. (3) for GPT-3 175B at batch 1,536 with full
    // recomputation, from the general shape-based count.
    let m = training::model::gpt3_175b();
    let f = step_flops(&m, &megatron(8, 16, 8, 1536));
    let closed = megatron_iteration_flops(1536.0, 2048.0, 96.0, 12_288.0, 51_200.0, true);
    assert!((f.hardware_flops - closed).abs() / closed < 1e-3);
    // 6·P·D is within a few % of the exact model count at 2K context.
    let six_nd = 6.0 * m.parameter_count() * 1536.0 * 2048.0;
    assert!((f.model_flops / six_nd - 1.0).abs() < 0.05);
}

#[test]
fn too_big_and_invalid_layouts_are_refused() {
    let c = Catalog::builtin();
    let g = c.gpu("H100-SXM-80GB").unwrap();
    let n = c.node("DGX-H100").unwrap();
    let comm = Nccl::new(Links::for_models(g, n, n.gpus_per_node));
    let m = training::model::llama3_405b();
    // Llama 3 405B with no ZeRO at TP 8, PP 16: 16 bytes x ~3.2B params
    // per GPU is ~48 GiB of model state, plus the 8K activations.
    let no_zero = Layout {
        zero_stage: 0,
        ..llama3_layout(64, 1, 2048)
    };
    let e = training::step(&m, &no_zero, Precision::Bf16, g, 8, &comm).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("GiB per GPU of 80 GiB") && msg.contains("optimizer"),
        "{msg}"
    );
    // TP across nodes is refused.
    let wide = Layout {
        tp: 16,
        ..llama3_layout(32, 1, 2048)
    };
    let e = training::step(&m, &wide, Precision::Bf16, g, n.gpus_per_node, &comm).unwrap_err();
    assert!(e.to_string().contains("NVLink domain"));
}

/// Solves for the `matmul_efficiency` of `gpu` that reproduces
/// `published` of `measure` (bisection on the step model).
fn solve_efficiency(
    precision: Precision,
    model: &ModelSpec,
    layout: &Layout,
    gpu: &str,
    node: &str,
    published: f64,
    measure: fn(&StepReport) -> f64,
) -> f64 {
    let c = Catalog::builtin();
    let n = c.node(node).unwrap();
    let (mut lo, mut hi) = (0.05, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        let mut g = c.gpu(gpu).unwrap().clone();
        g.matmul_efficiency = mid;
        let comm = Nccl::new(Links::for_models(&g, n, n.gpus_per_node));
        let r = training::step(model, layout, precision, &g, n.gpus_per_node, &comm).unwrap();
        if measure(&r) < published {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[test]
fn the_catalog_efficiencies_are_the_calibration_solves() {
    // The two calibration points (module doc) solved for the GEMM
    // efficiency cap; the catalog's constants are these, rounded.
    let c = Catalog::builtin();
    let a100 = solve_efficiency(
        Precision::Bf16,
        &training::model::megatron_145b(),
        &megatron(8, 8, 24, 2304),
        "A100-SXM-80GB",
        "DGX-A100",
        148.0,
        |r| r.hardware_tflops_per_gpu,
    );
    let h100 = solve_efficiency(
        Precision::Bf16,
        &training::model::llama3_405b(),
        &llama3_layout(64, 1, 2048),
        "H100-SXM-80GB",
        "DGX-H100",
        430.0,
        |r| r.model_tflops_per_gpu,
    );
    println!("solves: A100 {a100:.4}, H100 {h100:.4}");
    let cat = |g: &str| c.gpu(g).unwrap().matmul_efficiency;
    assert!(
        (cat("A100-SXM-80GB") - a100).abs() < 0.006,
        "A100 solve {a100}"
    );
    assert!(
        (cat("H100-SXM-80GB") - h100).abs() < 0.006,
        "H100 solve {h100}"
    );
}

/// A NeMo GPT-3 shape (NeMo-Megatron-Launcher conf/training/gpt3: 5B is
/// 24 layers, h 4096, 32 heads; 20B is 44 layers, h 6144, 48 heads; FFN
/// 4h, sequence 2,048).
fn nemo_gpt(name: &str, layers: u32, hidden: u32, heads: u32) -> ModelSpec {
    ModelSpec {
        name: name.into(),
        parameters: None,
        layers,
        hidden,
        ffn_hidden: 4 * hidden,
        heads,
        ..training::model::gpt3_175b()
    }
}

/// Llama 2 13B and 70B: Touvron et al. 2023, Table 1 and the released
/// configurations (13B: 40 layers, 5,120, FFN 13,824, 40 heads; 70B: 80
/// layers, 8,192, FFN 28,672, 64 heads, 8 KV heads); context 4,096,
/// vocabulary 32,000.
fn llama2(name: &str, layers: u32, hidden: u32, ffn: u32, heads: u32, kv: u32) -> ModelSpec {
    ModelSpec {
        name: name.into(),
        parameters: None,
        layers,
        hidden,
        ffn_hidden: ffn,
        heads,
        kv_heads: Some(kv),
        ..training::model::llama2_7b()
    }
}

/// NeMo's performance layouts: distributed optimizer (ZeRO 1), sequence
/// parallelism with TP, TE fused attention, overlapped gradient reduction,
/// and pipeline sends overlapped with compute on the interleaved schedule
/// (`overlap_p2p_comm: True` in NeMo's launcher configurations, e.g.
/// NVIDIA/NeMo-Framework-Launcher conf/training/nemotron/nemotron_340b.yaml).
#[allow(clippy::too_many_arguments)]
fn nemo(tp: u32, pp: u32, cp: u32, vp: u32, gpus: u32, mbs: u32, gbs: u32) -> Layout {
    Layout {
        cp,
        virtual_stages: vp,
        sequence_parallel: tp > 1,
        zero_stage: 1,
        recompute: Recompute::Selective,
        overlap_p2p_comm: true,
        ..Layout::new(tp, pp, gpus / (tp * pp * cp), mbs, gbs)
    }
}

#[test]
fn nemo_24_07_fp8_rows_on_dgx_h100_are_within_15_percent() {
    // NVIDIA NeMo 24.07 performance summary, pre-training at FP8 on
    // DGX-H100 (NVIDIA/NeMo, docs/source/performance/performance_summary.md
    // at commit 070a0bb, "Container: NeMo24.07"): tokens/s per GPU.
    // Validation only: no constant is fitted on any FP8 point.
    let rows: Vec<(&str, ModelSpec, Layout, f64)> = vec![
        (
            "GPT3-5B 64 GPUs",
            nemo_gpt("gpt3-5b", 24, 4096, 32),
            nemo(1, 1, 1, 1, 64, 4, 2048),
            22_521.0,
        ),
        (
            "GPT3-20B 64 GPUs",
            nemo_gpt("gpt3-20b", 44, 6144, 48),
            nemo(2, 1, 1, 1, 64, 2, 256),
            5_851.0,
        ),
        (
            "GPT3-175B 128 GPUs",
            training::model::gpt3_175b(),
            nemo(4, 8, 1, 6, 128, 1, 256),
            726.0,
        ),
        (
            "GPT3-175B 512 GPUs",
            training::model::gpt3_175b(),
            nemo(4, 8, 1, 6, 512, 2, 2048),
            782.0,
        ),
        (
            "LLAMA2-7B 8 GPUs",
            training::model::llama2_7b(),
            nemo(1, 1, 1, 1, 8, 1, 128),
            16_847.0,
        ),
        (
            "LLAMA2-13B 16 GPUs",
            llama2("llama2-13b", 40, 5120, 13_824, 40, 40),
            nemo(1, 4, 1, 10, 16, 1, 128),
            8_646.0,
        ),
        (
            "LLAMA2-70B 64 GPUs",
            llama2("llama2-70b", 80, 8192, 28_672, 64, 8),
            nemo(4, 4, 1, 20, 64, 1, 128),
            1_707.0,
        ),
        (
            "LLAMA3-8B 8 GPUs",
            training::model::llama3_8b(),
            nemo(1, 1, 2, 1, 8, 1, 128),
            12_036.0,
        ),
        (
            "LLAMA3-70B 64 GPUs",
            training::model::llama3_70b(),
            nemo(4, 4, 2, 5, 64, 1, 128),
            1_533.0,
        ),
    ];
    let mut worst: f64 = 0.0;
    for (name, m, layout, published) in rows {
        let r = run_in(Precision::Fp8, &m, &layout, "H100-SXM-80GB", "DGX-H100");
        let per_gpu = r.tokens_per_s / r.gpus as f64;
        println!(
            "  {name}: gemm {:.0}% attention {:.0}% memory-bound {:.0}% of compute; bubble {:.1}% TP {:.1}% DP {:.1}% of step",
            100.0 * r.compute_gemm_s / r.compute_s,
            100.0 * r.compute_attention_s / r.compute_s,
            100.0 * r.compute_memory_s / r.compute_s,
            100.0 * r.bubble_s / r.step_s,
            100.0 * r.exposed_tp_s / r.step_s,
            100.0 * r.exposed_dp_s / r.step_s,
        );
        within(
            per_gpu,
            published,
            1.0,
            &format!("NeMo 24.07 FP8 {name}, tokens/s/GPU"),
        );
        worst = worst.max((per_gpu / published - 1.0).abs());
    }
    assert!(worst <= 0.15, "worst {worst}");
}

/// Nemotron-4 340B as NeMo trains it (NVIDIA/NeMo-Framework-Launcher,
/// launcher_scripts/conf/training/nemotron/nemotron_340b.yaml, commit
/// 3be81fc): 96 layers, hidden 18,432, FFN 4·h with squared ReLU (two
/// matrices, as GELU's), 96 heads, 8 query groups, sequence 4,096, RoPE,
/// no biases, no dropout, untied embeddings; vocabulary 256,000 (the
/// DGXC recipe's FLOP note).
fn nemotron4_340b() -> ModelSpec {
    ModelSpec {
        name: "nemotron4-340b".into(),
        parameters: None,
        layers: 96,
        hidden: 18_432,
        ffn_hidden: 73_728,
        heads: 96,
        kv_heads: Some(8),
        seq_len: 4096,
        vocab: 256_000,
        ffn: training::Ffn::Gelu,
        moe: None,
        biases: false,
        tied_embeddings: false,
        learned_positions: false,
        dropout: false,
        causal: true,
    }
}

#[test]
fn large_scale_runs_at_1k_to_6k_h100() {
    // Published runs at 1,024-6,144 H100, tokens/s per GPU (no FLOP
    // convention: NVIDIA's MFU notes count 24·L·h² for GQA attention).
    //
    // - NVIDIA/dgxc-benchmarking (NeMo 24.09 container, DGX H100):
    //   nemo_megatron/README_175b.md @0b71cfd: GPT-3 175B, TP 4, PP 8, VP
    //   12, MBS 1, GBS = 2·GPUs (64 micro-batches per pipeline);
    //   nemotron/README_340b.md @143b90d: Nemotron-4 340B, TP 8, PP 8, VP
    //   12, MBS 1, GA 16, GBS = GPUs/4; llama3.1/README_405b.md @143b90d:
    //   Llama 3.1 405B, TP 8, PP 9, CP 2, VP 7, MBS 1, GA 63, seq 8,192.
    //   tokens/s ÷ GPUs from the "Throughput in tokens per second" rows.
    // - Nemotron-4 340B technical report (NVIDIA 2024), Table 2, last
    //   batch-ramp stage: 6,144 H100, batch 2,304, 8.0 s per iteration
    //   (41.0% MFU), i.e. 2,304·4,096/8.0/6,144 = 192 tokens/s/GPU; the
    //   layout is the launcher configuration above (768 nodes, TP 8, PP 8,
    //   VP 12, MBS 1, GBS 2,304, sequence parallel, distributed optimizer,
    //   overlapped grad/param sync and p2p). The report's own text (TP 8,
    //   PP 12 with interleaving, as we recall it) could not be retrieved
    //   here; the launcher's layout is the assumption.
    //
    // NeMo also overlaps the TP communication with the GEMMs (userbuffers,
    // `ub_tp_comm_overlap: True`), which the step model exposes in full
    // (8-18% of the step here): the BF16 rows, whose GEMMs leave the
    // least room, come out 11-18% pessimistic and are outside the 10%
    // target. They are asserted to stay within 20% (so that a regression
    // shows) and listed as out of target in docs/validation-training.md.
    let gpt = training::model::gpt3_175b();
    let nemotron = nemotron4_340b();
    let l405 = training::model::llama3_405b();
    // (name, model, layout, precision, published tokens/s/GPU, tolerance)
    let rows: Vec<(&str, &ModelSpec, Layout, Precision, f64, f64)> = vec![
        (
            "Nemotron-4 340B BF16, 6,144 H100 (report Table 2)",
            &nemotron,
            nemo(8, 8, 1, 12, 6144, 1, 2304),
            Precision::Bf16,
            2304.0 * 4096.0 / 8.0 / 6144.0,
            0.10,
        ),
        (
            "DGXC GPT-3 175B FP8, 1,024 H100",
            &gpt,
            nemo(4, 8, 1, 12, 1024, 1, 2048),
            Precision::Fp8,
            720_671.0 / 1024.0,
            0.15,
        ),
        (
            "DGXC GPT-3 175B FP8, 2,048 H100",
            &gpt,
            nemo(4, 8, 1, 12, 2048, 1, 4096),
            Precision::Fp8,
            1_407_485.0 / 2048.0,
            0.15,
        ),
        (
            "DGXC Nemotron-4 340B FP8, 1,024 H100",
            &nemotron,
            nemo(8, 8, 1, 12, 1024, 1, 256),
            Precision::Fp8,
            313_945.0 / 1024.0,
            0.15,
        ),
        (
            "DGXC Nemotron-4 340B FP8, 2,048 H100",
            &nemotron,
            nemo(8, 8, 1, 12, 2048, 1, 512),
            Precision::Fp8,
            600_903.0 / 2048.0,
            0.15,
        ),
        (
            "DGXC Llama 3.1 405B FP8, 2,304 H100",
            &l405,
            nemo(8, 9, 2, 7, 2304, 1, 1008),
            Precision::Fp8,
            668_626.0 / 2304.0,
            0.15,
        ),
        // Out of target (TP overlap not modelled): bound 20%.
        (
            "DGXC Llama 3.1 405B FP8, 1,152 H100",
            &l405,
            nemo(8, 9, 2, 7, 1152, 1, 504),
            Precision::Fp8,
            365_055.0 / 1152.0,
            0.20,
        ),
        (
            "DGXC GPT-3 175B BF16, 1,024 H100",
            &gpt,
            nemo(4, 8, 1, 12, 1024, 1, 2048),
            Precision::Bf16,
            496_191.0 / 1024.0,
            0.20,
        ),
        (
            "DGXC GPT-3 175B BF16, 2,048 H100",
            &gpt,
            nemo(4, 8, 1, 12, 2048, 1, 4096),
            Precision::Bf16,
            988_057.0 / 2048.0,
            0.20,
        ),
        (
            "DGXC Nemotron-4 340B BF16, 1,024 H100",
            &nemotron,
            nemo(8, 8, 1, 12, 1024, 1, 256),
            Precision::Bf16,
            221_686.0 / 1024.0,
            0.20,
        ),
        (
            "DGXC Nemotron-4 340B BF16, 2,048 H100",
            &nemotron,
            nemo(8, 8, 1, 12, 2048, 1, 512),
            Precision::Bf16,
            433_296.0 / 2048.0,
            0.20,
        ),
        (
            "DGXC Llama 3.1 405B BF16, 1,152 H100",
            &l405,
            nemo(8, 9, 2, 7, 1152, 1, 504),
            Precision::Bf16,
            235_660.0 / 1152.0,
            0.20,
        ),
        (
            "DGXC Llama 3.1 405B BF16, 2,304 H100",
            &l405,
            nemo(8, 9, 2, 7, 2304, 1, 1008),
            Precision::Bf16,
            468_646.0 / 2304.0,
            0.20,
        ),
    ];
    for (name, m, layout, precision, published, tolerance) in rows {
        let r = run_in(precision, m, &layout, "H100-SXM-80GB", "DGX-H100");
        println!(
            "  {name}: m {}; bubble {:.1}% TP {:.1}% PP {:.1}% DP {:.1}% of the step",
            r.micro_batches,
            100.0 * r.bubble_s / r.step_s,
            100.0 * r.exposed_tp_s / r.step_s,
            100.0 * r.exposed_pp_s / r.step_s,
            100.0 * r.exposed_dp_s / r.step_s,
        );
        // Real runs at this scale keep m >= 2·pp micro-batches: the bubble
        // is a few percent, not what dominates.
        assert!(r.bubble_s < 0.05 * r.step_s, "{name}");
        within(
            r.tokens_per_s / r.gpus as f64,
            published,
            tolerance,
            &format!("{name}, tokens/s/GPU"),
        );
    }
}
