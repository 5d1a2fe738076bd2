//! Built-in GPU models of the generations before the A100 (V100, T4,
//! P100) and the A10: the cards of Alibaba's GPU cluster trace v2023
//! ("openb", `import::alibaba`), each figure cited as in `builtin.rs`,
//! whose conventions apply (dense throughput, binary memory, decimal
//! bandwidth, NVLink both directions summed).
//!
//! These cards have no BF16, TF32 or FP8 tensor cores (the A10 has BF16
//! and TF32): those fields are `None`, as `builtin.rs` leaves FP8 out of
//! the A100; their FP16 tensor rates, which the catalog has no field for,
//! are quoted in the comments. Training jobs, which need BF16, cannot run
//! on them; replayed traces (whole GPUs and shares) can. None has MIG.
//!
//! The datasheets were not re-checked against stored copies; every figure
//! below agrees with the third-party listings of sysrqmts.com (2025:
//! memory, bandwidth, TDP, compute capability).

use super::builtin::HOPPER_MATMUL_EFFICIENCY;
use super::{GpuModel, MigGeometry};
use crate::units::{Bandwidth, Bytes, Usd};

/// V100 SXM2 with `memory_gib` of HBM2 (16 or 32).
fn v100_sxm2(memory_gib: u64, price_cents: u64) -> GpuModel {
    GpuModel {
        name: format!("V100-SXM2-{memory_gib}GB"),
        description: format!("NVIDIA Tesla V100 (SXM2, {memory_gib}GB HBM2)"),
        // "NVIDIA V100 Tensor Core GPU" datasheet (nvidia.com/en-us/
        // data-center/v100/), V100 SXM2 column: "Double-Precision
        // Performance 7.8 TFLOPS" (vector: Volta has no FP64 tensor cores;
        // what HPL runs on). "Tensor Performance 125 TFLOPS" is FP16 with
        // FP32 accumulate: no field for it. No TF32, BF16 or FP8.
        fp64_tflops: Some(7.8),
        tf32_tflops: None,
        bf16_tflops: None,
        fp8_tflops: None,
        // "GPU Memory 32 GB / 16 GB HBM2"; GiB.
        memory: Bytes::gib(memory_gib),
        // "Memory Bandwidth 900 GB/sec".
        memory_bandwidth: Bandwidth::gbytes_per_s(900),
        // "Interconnect Bandwidth NVLink 300 GB/sec" (6 links x 50 GB/s,
        // both directions summed); hybrid cube-mesh, no NVSwitch in an
        // HGX-1/DGX-1 class server.
        nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(300)),
        nvlink_sharp: false,
        compute_capability: 70,
        // "Max Power Consumption 300 WATTS".
        tdp_watts: 300,
        // An estimate, not measured here: a V100 SXM2 idling in P0 without
        // a CUDA context, some 40 W.
        idle_watts: 40,
        // Indicative: AWS EC2 on-demand price page (aws.amazon.com/ec2/
        // pricing/on-demand/), us-east-1: p3.2xlarge (1x V100 16GB)
        // $3.06/h; p3dn.24xlarge (8x V100 32GB) $31.212/h, $3.90 per GPU.
        // Not re-checked against a stored copy of the page.
        price_per_gpu_hour: Usd::cents(price_cents),
        // No published training point of its own (see builtin.rs).
        matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
        mig: MigGeometry::None,
    }
}

/// The built-in GPU models of this file.
pub(super) fn gpus() -> Vec<GpuModel> {
    vec![
        v100_sxm2(16, 306),
        v100_sxm2(32, 390),
        // Source: "NVIDIA T4 Tensor Core GPU" datasheet (nvidia.com/en-us/
        // data-center/tesla-t4/).
        GpuModel {
            name: "T4".into(),
            description: "NVIDIA T4 (PCIe Gen3, 16GB GDDR6, 70 W)".into(),
            // The datasheet gives no FP64 figure ("Single-Precision 8.1
            // TFLOPS", "Mixed-Precision (FP16/FP32) 65 TFLOPS", "INT8 130
            // TOPS"). No TF32, BF16 or FP8.
            fp64_tflops: None,
            tf32_tflops: None,
            bf16_tflops: None,
            fp8_tflops: None,
            // "GPU Memory 16 GB GDDR6"; GiB.
            memory: Bytes::gib(16),
            // "Memory Bandwidth 320+ GB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(320),
            // "System Interface x16 PCIe Gen3"; no NVLink.
            nvlink_bandwidth: None,
            nvlink_sharp: false,
            compute_capability: 75,
            // "Power 70 watts".
            tdp_watts: 70,
            // An estimate, not measured here: a T4 idling in P8, some 10 W.
            idle_watts: 10,
            // Indicative: AWS EC2 on-demand price page, us-east-1,
            // g4dn.xlarge (1x T4) $0.526/h. Not re-checked against a
            // stored copy of the page.
            price_per_gpu_hour: Usd::cents(53),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
        // Source: "NVIDIA Tesla P100" datasheet (nvidia.com/en-us/
        // data-center/tesla-p100/), "P100 for PCIe-Based Servers" column,
        // 16GB part.
        GpuModel {
            name: "P100-PCIe-16GB".into(),
            description: "NVIDIA Tesla P100 (PCIe Gen3, 16GB HBM2)".into(),
            // "Double-Precision Performance 4.7 TeraFLOPS" (vector; Pascal
            // has no tensor cores). "Half-Precision 18.7 TeraFLOPS": no
            // field for it. No TF32, BF16 or FP8.
            fp64_tflops: Some(4.7),
            tf32_tflops: None,
            bf16_tflops: None,
            fp8_tflops: None,
            // "CoWoS HBM2 Stacked Memory Capacity 16 GB"; GiB.
            memory: Bytes::gib(16),
            // "CoWoS HBM2 Stacked Memory Bandwidth 732 GB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(732),
            // "Interconnect PCIe Gen3 32 GB/s"; the PCIe card has no NVLink.
            nvlink_bandwidth: None,
            nvlink_sharp: false,
            compute_capability: 60,
            // "Max Power Consumption 250 W".
            tdp_watts: 250,
            // An estimate, not measured here: a P100 PCIe idling, some 30 W.
            idle_watts: 30,
            // Indicative: Google Cloud GPU pricing page (cloud.google.com/
            // compute/gpus-pricing), NVIDIA P100, $1.46 per GPU-hour
            // on-demand, us-central1. Not re-checked against a stored copy.
            price_per_gpu_hour: Usd::cents(146),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
        // Source: "NVIDIA A10 Tensor Core GPU" datasheet (nvidia.com/en-us/
        // data-center/products/a10-gpu/), which prints dense and sparse
        // side by side.
        GpuModel {
            name: "A10".into(),
            description: "NVIDIA A10 (PCIe Gen4, 24GB GDDR6, 150 W)".into(),
            // The datasheet gives no FP64 figure.
            fp64_tflops: None,
            // "TF32 Tensor Core 62.5 TF | 125 TF*".
            tf32_tflops: Some(62.5),
            // "BFLOAT16 Tensor Core 125 TF | 250 TF*".
            bf16_tflops: Some(125.0),
            // Ampere: no FP8.
            fp8_tflops: None,
            // "GPU Memory 24 GB GDDR6"; GiB.
            memory: Bytes::gib(24),
            // "GPU Memory Bandwidth 600 GB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(600),
            // "Interconnect PCIe Gen4 64 GB/s"; no NVLink.
            nvlink_bandwidth: None,
            nvlink_sharp: false,
            compute_capability: 86,
            // "Max Thermal Design Power (TDP) 150W".
            tdp_watts: 150,
            // An estimate, not measured here: an A10 idling in P8, some 15 W.
            idle_watts: 15,
            // Indicative: Lambda Cloud public price page (lambda.ai/
            // pricing), 1x A10 (24 GB PCIe) on-demand $0.75 per GPU-hour,
            // 2025. Not re-checked against a stored copy of the page.
            price_per_gpu_hour: Usd::cents(75),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_older_cards_match_their_datasheets() {
        let by = |name: &str| gpus().into_iter().find(|g| g.name == name).unwrap();
        let v100 = by("V100-SXM2-32GB");
        assert_eq!(v100.memory, Bytes::gib(32));
        assert_eq!(v100.memory_bandwidth, Bandwidth::gbytes_per_s(900));
        assert_eq!(v100.bf16_tflops, None, "Volta has no BF16");
        assert_eq!(by("V100-SXM2-16GB").memory, Bytes::gib(16));
        assert_eq!(by("T4").tdp_watts, 70);
        assert_eq!(
            by("P100-PCIe-16GB").memory_bandwidth,
            Bandwidth::gbytes_per_s(732)
        );
        let a10 = by("A10");
        assert_eq!(a10.bf16_tflops, Some(125.0));
        assert_eq!(a10.nvlink_bandwidth, None);
        for g in gpus() {
            assert!(g.idle_watts < g.tdp_watts, "{}", g.name);
            assert_eq!(g.mig, MigGeometry::None, "{}", g.name);
        }
    }
}
