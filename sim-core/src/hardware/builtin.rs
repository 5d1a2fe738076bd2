//! The built-in GPU and node catalog, every number cited to where it comes
//! from.
//!
//! [`gpus`] and [`nodes`] return the models a scenario can name without
//! declaring them; a scenario may override any of them (see
//! [`super::Catalog::upsert_gpu`]). Each figure carries a comment naming its
//! source: a vendor datasheet, user guide or whitepaper for hardware, a named
//! public page for prices. Where a figure could not be checked against a copy
//! of its source, its comment says so.
//!
//! Conventions:
//! - **Dense throughput.** Every TFLOPS figure is without structured (2:4)
//!   sparsity. NVIDIA's datasheet tables print the sparse figure with an
//!   asterisk ("* With sparsity"); where only that figure is printed (Hopper,
//!   Blackwell) we halve it, as the footnotes say to. Where the datasheet
//!   prints the dense figure next to the sparse one (A100, L40S, the Ada
//!   whitepaper) we take the dense figure as printed, even where it is not
//!   exactly half (L40S BF16: 362.05 dense, 733 sparse).
//! - **BF16** is the Tensor Core rate with FP32 accumulate; **FP8** likewise
//!   where the vendor distinguishes accumulators (GeForce Ada halves the
//!   FP32-accumulate rate relative to FP16 accumulate).
//! - **FP64** is the FP64 Tensor Core figure where the GPU has FP64 tensor
//!   cores (Ampere, Hopper, Blackwell), which is what HPL uses. `None` where
//!   the datasheet gives no FP64 figure (L40S, RTX 4090) rather than a rate
//!   derived by us.
//! - **Memory capacity is binary.** NVIDIA's "80GB", "141GB", "180GB" are
//!   GiB in practice: the capacity nvidia-smi reports is above the decimal
//!   reading and at or just below the binary one (H100 80GB: 81559 MiB;
//!   A100 80GB: 81920 MiB; H200 141GB: 143771 MiB, i.e. 150.8e9 bytes, which
//!   a decimal 141 GB could not hold; B200 180GB: 183359 MiB; L40S 48GB:
//!   46068 MiB with ECC on; RTX 4090 24GB: 24564 MiB). So every capacity here
//!   is `Bytes::gib(n)` with the vendor's n. What the driver keeps back (a
//!   few hundred MiB on the HBM parts; 1/16 for GDDR6 ECC on the L40S) is
//!   left to scenarios to model.
//! - **Bandwidths are decimal**, as quoted: 3.35 TB/s is 3.35e12 B/s. NVLink
//!   is per GPU, both directions summed, as NVIDIA quotes it (H100: 900 GB/s
//!   = 18 links x 50 GB/s); `None` for PCIe cards without NVLink.
//! - **Prices** are indicative on-demand prices per GPU-hour from a named
//!   provider's public price page, with the year. They move; treat them as
//!   a starting point for cost comparisons, not a quote. Node purchase
//!   prices are given only where an official or widely reported figure
//!   exists.

use super::{GpuModel, NodeModel};
use crate::units::{Bandwidth, Bytes, Usd};

// `matmul_efficiency` (see `GpuModel`): the fraction of the dense peak a
// large GEMM of a transformer's linear layers sustains in training: the
// cap of `training::compute`'s roofline, whose other kernels (attention,
// norms, activations, loss, optimizer) are costed apart. It is calibrated
// on ONE published end-to-end training point per GPU generation, solving
// `training::step` (with the analytic collective model,
// `collective::analytic::Nccl`) for the published throughput; every other
// published point is validation only (sim-core/tests/it/
// validation_training.rs, `the_catalog_efficiencies_are_the_calibration_solves`
// re-solves both). It also absorbs what the step model leaves out
// (stragglers, data loading, kernel launch gaps), so it sits below what
// cuBLAS reaches on one large GEMM.

/// Ampere (A100): calibrated on Narayanan et al. SC'21, Table 1, the
/// 145.6B row (h 12288, 80 layers, TP 8, PP 8, 1,536 GPUs, batch 2,304):
/// 148 teraFLOP/s per GPU with recomputation counted. The solve gives
/// 0.671 (0.586 before the non-GEMM kernels were costed apart).
pub(super) const AMPERE_MATMUL_EFFICIENCY: f64 = 0.67;
/// Hopper (H100, H200): calibrated on Dubey et al. 2024 (Llama 3), Table
/// 4, first row (405B, 8,192 GPUs, TP 8, CP 1, PP 16, DP 64, 8K sequence):
/// 430 TFLOPs/GPU. The solve gives 0.542 (0.532 before). The same cap
/// applies to FP8 GEMMs (of the FP8 peak): not fitted on any FP8 point.
/// Also used, unvalidated, for GPUs without a published training point of
/// their own (B200, L40S, RTX 4090, and GPU models a scenario adds
/// without a value).
pub(super) const HOPPER_MATMUL_EFFICIENCY: f64 = 0.54;

/// The built-in GPU models.
pub(super) fn gpus() -> Vec<GpuModel> {
    vec![
        // Source for every figure unless noted: "NVIDIA H100 Tensor Core GPU"
        // datasheet, H100 SXM column (nvidia.com/en-us/data-center/h100/).
        // Tensor figures there are printed with sparsity ("* With sparsity.
        // Specifications are one-half lower without sparsity").
        GpuModel {
            name: "H100-SXM-80GB".into(),
            description: "NVIDIA H100 Tensor Core GPU (SXM5, 80GB HBM3)".into(),
            // "FP64 Tensor Core 67 teraFLOPS" (vector FP64: 34).
            fp64_tflops: Some(67.0),
            // "TF32 Tensor Core 989 teraFLOPS*" / 2.
            tf32_tflops: Some(494.5),
            // "BFLOAT16 Tensor Core 1,979 teraFLOPS*" / 2.
            bf16_tflops: Some(989.5),
            // "FP8 Tensor Core 3,958 teraFLOPS*" / 2.
            fp8_tflops: Some(1979.0),
            // "GPU memory 80GB"; GiB, see the module doc (nvidia-smi: 81559 MiB).
            memory: Bytes::gib(80),
            // "GPU memory bandwidth 3.35TB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(3_350),
            // "Interconnect: NVLink: 900GB/s".
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(900)),
            // "Max thermal design power (TDP) Up to 700W (configurable)".
            tdp_watts: 700,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x H100 SXM instance, $2.99 per GPU-hour, 2025. Not
            // re-checked against a stored copy of the page; a May 2026
            // third-party snapshot (techbytes.app) reports Lambda's 1x H100
            // SXM instance at $3.78/h.
            price_per_gpu_hour: Usd::cents(299),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
        },
        // Source: "NVIDIA H200 Tensor Core GPU" datasheet, H200 SXM column
        // (nvidia.com/en-us/data-center/h200/). Same GH100 compute as H100
        // SXM; tensor figures printed with sparsity, halved here.
        GpuModel {
            name: "H200-SXM-141GB".into(),
            description: "NVIDIA H200 Tensor Core GPU (SXM5, 141GB HBM3e)".into(),
            // "FP64 Tensor Core 67 TFLOPS".
            fp64_tflops: Some(67.0),
            // "TF32 Tensor Core 989 TFLOPS*" / 2.
            tf32_tflops: Some(494.5),
            // "BFLOAT16 Tensor Core 1,979 TFLOPS*" / 2.
            bf16_tflops: Some(989.5),
            // "FP8 Tensor Core 3,958 TFLOPS*" / 2.
            fp8_tflops: Some(1979.0),
            // "GPU Memory 141GB"; GiB, see the module doc (nvidia-smi:
            // 143771 MiB, more than a decimal 141 GB).
            memory: Bytes::gib(141),
            // "GPU Memory Bandwidth 4.8TB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(4_800),
            // "Interconnect: NVIDIA NVLink: 900GB/s".
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(900)),
            // "Max Thermal Design Power (TDP) Up to 700W (configurable)".
            tdp_watts: 700,
            // Indicative: RunPod public price page (runpod.io/pricing), H200
            // SXM secure-cloud pod, $3.99 per GPU-hour, 2025 (Lambda lists no
            // on-demand H200). Not re-checked against a stored copy of the
            // page; third-party snapshots for 2026 range from $3.59 to $6.35.
            price_per_gpu_hour: Usd::cents(399),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
        },
        // Source: "NVIDIA A100 Tensor Core GPU" datasheet, A100 80GB SXM
        // column (nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/
        // nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf). It prints the
        // dense figure next to the sparse one ("312 TFLOPS | 624 TFLOPS*").
        GpuModel {
            name: "A100-SXM-80GB".into(),
            description: "NVIDIA A100 Tensor Core GPU (SXM4, 80GB HBM2e)".into(),
            // "FP64 Tensor Core 19.5 TFLOPS" (vector FP64: 9.7).
            fp64_tflops: Some(19.5),
            // "Tensor Float 32 (TF32) 156 TFLOPS | 312 TFLOPS*".
            tf32_tflops: Some(156.0),
            // "BFLOAT16 Tensor Core 312 TFLOPS | 624 TFLOPS*".
            bf16_tflops: Some(312.0),
            // Ampere has no FP8; the datasheet lists none.
            fp8_tflops: None,
            // "GPU Memory 80GB HBM2e"; GiB (nvidia-smi: 81920 MiB).
            memory: Bytes::gib(80),
            // "GPU Memory Bandwidth 2,039GB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(2_039),
            // "Interconnect: NVLink: 600GB/s".
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(600)),
            // "Max Thermal Design Power (TDP) 400W".
            tdp_watts: 400,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x A100 SXM 80GB instance, $1.79 per GPU-hour, 2025.
            // Not re-checked against a stored copy of the page.
            price_per_gpu_hour: Usd::cents(179),
            matmul_efficiency: AMPERE_MATMUL_EFFICIENCY,
        },
        // Source: the same A100 datasheet, A100 40GB SXM column. Compute is
        // identical to the 80GB part; memory and bandwidth differ.
        GpuModel {
            name: "A100-SXM-40GB".into(),
            description: "NVIDIA A100 Tensor Core GPU (SXM4, 40GB HBM2)".into(),
            // "FP64 Tensor Core 19.5 TFLOPS".
            fp64_tflops: Some(19.5),
            // "Tensor Float 32 (TF32) 156 TFLOPS | 312 TFLOPS*".
            tf32_tflops: Some(156.0),
            // "BFLOAT16 Tensor Core 312 TFLOPS | 624 TFLOPS*".
            bf16_tflops: Some(312.0),
            // Ampere has no FP8.
            fp8_tflops: None,
            // "GPU Memory 40GB HBM2"; GiB (CUDA deviceQuery on an A100 40GB:
            // 42405855232 bytes = 40441 MiB total global memory).
            memory: Bytes::gib(40),
            // "GPU Memory Bandwidth 1,555GB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(1_555),
            // "Interconnect: NVLink: 600GB/s".
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(600)),
            // "Max Thermal Design Power (TDP) 400W".
            tdp_watts: 400,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x A100 SXM 40GB instance, $1.29 per GPU-hour, 2025.
            // Not re-checked against a stored copy of the page; a May 2026
            // third-party snapshot reports Lambda's 1x A100 40GB at $1.48/h.
            price_per_gpu_hour: Usd::cents(129),
            matmul_efficiency: AMPERE_MATMUL_EFFICIENCY,
        },
        // Source: "NVIDIA L40S" datasheet (nvidia.com/en-us/data-center/l40s/),
        // which prints dense and sparse side by side ("183 | 366*").
        GpuModel {
            name: "L40S".into(),
            description: "NVIDIA L40S (PCIe Gen4, 48GB GDDR6)".into(),
            // The datasheet gives no FP64 figure (Ada runs FP64 at 1/64 of
            // FP32; we do not derive one).
            fp64_tflops: None,
            // "TF32 Tensor Core TFLOPS 183 | 366*".
            tf32_tflops: Some(183.0),
            // "BFLOAT16 Tensor Core TFLOPS 362.05 | 733*".
            bf16_tflops: Some(362.05),
            // "FP8 Tensor Core TFLOPS 733 | 1,466*".
            fp8_tflops: Some(733.0),
            // "GPU Memory 48GB GDDR6 with ECC"; GiB (nvidia-smi: 46068 MiB
            // with ECC on).
            memory: Bytes::gib(48),
            // "Memory Bandwidth 864GB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(864),
            // "Interconnect Interface PCIe Gen4 x16: 64GB/s bidirectional";
            // no NVLink.
            nvlink_bandwidth: None,
            // "Max Power Consumption 350W".
            tdp_watts: 350,
            // Indicative: RunPod public price page (runpod.io/pricing), L40S
            // secure-cloud pod, $0.86 per GPU-hour, 2025. Not re-checked
            // against a stored copy of the page; third-party 2025-2026
            // snapshots range from $0.79 to $1.40.
            price_per_gpu_hour: Usd::cents(86),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
        },
        // Sources: "NVIDIA DGX B200" datasheet and user guide (docs.nvidia.com/
        // dgx/dgxb200-user-guide/introduction-to-dgxb200.html) for memory,
        // bandwidth and NVLink; "NVIDIA HGX B200" datasheet (nvidia.com/en-us/
        // data-center/hgx/), individual-GPU column, for throughput and TDP.
        // Blackwell tables print tensor figures with sparsity; halved here.
        GpuModel {
            name: "B200".into(),
            description: "NVIDIA B200 Tensor Core GPU (HGX/DGX B200, 180GB HBM3e)".into(),
            // HGX B200: "FP64/FP64 Tensor Core 37 TFLOPS". Launch-time (2024)
            // tables said 40 TFLOPS; we use the datasheet's current figure.
            fp64_tflops: Some(37.0),
            // HGX B200: "TF32 Tensor Core 2.2 PFLOPS*" / 2.
            tf32_tflops: Some(1_100.0),
            // HGX B200: "FP16/BF16 Tensor Core 4.5 PFLOPS*" / 2.
            bf16_tflops: Some(2_250.0),
            // HGX B200: "FP8/FP6 Tensor Core 9 PFLOPS*" / 2 (DGX B200: "FP8
            // 72 PFLOPS" for eight GPUs, with sparsity).
            fp8_tflops: Some(4_500.0),
            // DGX B200: "8 x NVIDIA B200 GPUs that provide 1,440 GB total GPU
            // memory" -> 180 per GPU; GiB (nvidia-smi: 183359 MiB).
            memory: Bytes::gib(180),
            // DGX B200: "64TB/s HBM3e bandwidth" / 8 GPUs. The later HGX B200
            // datasheet prints 7.7TB/s for the 180GB part; we keep the DGX
            // figure.
            memory_bandwidth: Bandwidth::gbytes_per_s(8_000),
            // HGX B200: "5th Generation NVLink: 1.8TB/s" per GPU (DGX B200:
            // "14.4 TB/s aggregate bandwidth" for eight).
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(1_800)),
            // HGX B200: "Max Thermal Design Power (TDP) Configurable up to
            // 1,000W"; nvidia-smi on DGX/HGX B200 shows a 1000 W cap.
            tdp_watts: 1_000,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x B200 instance, $4.99 per GPU-hour, 2025. Not
            // re-checked against a stored copy of the page (Lambda's site
            // does announce on-demand 8x B200 instances).
            price_per_gpu_hour: Usd::cents(499),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
        },
        // Source: "NVIDIA ADA GPU ARCHITECTURE" whitepaper (v2.01), Appendix A
        // table for GeForce RTX 4090, which prints "dense/sparse" pairs.
        // GeForce runs FP16/BF16/FP8 with FP32 accumulate at half the
        // FP16-accumulate rate; we use the FP32-accumulate rows.
        GpuModel {
            name: "RTX-4090".into(),
            description: "NVIDIA GeForce RTX 4090 (24GB GDDR6X)".into(),
            // The whitepaper table gives no FP64 figure.
            fp64_tflops: None,
            // "Peak TF32 Tensor TFLOPS 82.6/165.2".
            tf32_tflops: Some(82.6),
            // "Peak BF16 Tensor TFLOPS with FP32 Accumulate 165.2/330.4".
            bf16_tflops: Some(165.2),
            // "Peak FP8 Tensor TFLOPS with FP32 Accumulate 330.3/660.6".
            fp8_tflops: Some(330.3),
            // Whitepaper table: 24 GB GDDR6X; GiB (nvidia-smi: 24564 MiB).
            memory: Bytes::gib(24),
            // Whitepaper table: memory bandwidth 1008 GB/sec.
            memory_bandwidth: Bandwidth::gbytes_per_s(1_008),
            // GeForce RTX 40 series has no NVLink.
            nvlink_bandwidth: None,
            // Whitepaper table: TGP (Total Graphics Power) 450 W.
            tdp_watts: 450,
            // Indicative: RunPod public price page (runpod.io/pricing), RTX
            // 4090 secure-cloud pod, $0.69 per GPU-hour, 2025. Not re-checked
            // against a stored copy of the page; community-cloud listings
            // run lower ($0.34-$0.60 in 2026 third-party snapshots).
            price_per_gpu_hour: Usd::cents(69),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
        },
    ]
}

/// The built-in node (server) models.
pub(super) fn nodes() -> Vec<NodeModel> {
    vec![
        // Sources: "NVIDIA DGX H100" datasheet and the DGX H100/H200 User
        // Guide, "Introduction" / hardware overview (docs.nvidia.com/dgx/
        // dgxh100-user-guide/introduction-to-dgxh100.html).
        NodeModel {
            name: "DGX-H100".into(),
            description: "NVIDIA DGX H100 (8x H100 SXM5 80GB)".into(),
            gpu_model: "H100-SXM-80GB".into(),
            // "GPU 8x NVIDIA H100 Tensor Core GPUs".
            gpus_per_node: 8,
            // "4x OSFP ports serving 8x single-port NVIDIA ConnectX-7 VPI, up
            // to 400Gb/s InfiniBand/Ethernet" (the two dual-port
            // ConnectX-7/BlueField-3 cards are storage and management, not
            // compute).
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(400),
            // "Dual Intel Xeon Platinum 8480C Processors, 112 Cores total".
            cpu_cores: 112,
            // "System Memory 2TB" (32x 64GB DIMMs, so binary).
            host_memory: Bytes::tib(2),
            // "System Power Usage ~10.2kW max" (user guide: six 3.3 kW PSUs,
            // 10.2 kW maximum input).
            max_power_watts: 10_200,
            // NVIDIA published no list price for DGX H100; reported figures
            // vary widely and we could not verify one.
            purchase_price: None,
        },
        // An 8x H200 HGX server, modelled on NVIDIA's own: "NVIDIA DGX H200"
        // datasheet and the DGX H100/H200 User Guide (same chassis, CPUs,
        // networking and power as DGX H100).
        NodeModel {
            name: "HGX-H200".into(),
            description: "NVIDIA HGX H200 8-GPU server (as DGX H200, 8x H200 SXM5 141GB)".into(),
            gpu_model: "H200-SXM-141GB".into(),
            // "GPU 8x NVIDIA H200 Tensor Core GPUs" ("GPU memory 1,128GB
            // total").
            gpus_per_node: 8,
            // "4x OSFP ports serving 8x single-port NVIDIA ConnectX-7 VPI, up
            // to 400Gb/s InfiniBand/Ethernet". NVIDIA's MLPerf Inference v4.1
            // H200-SXM-141GBx8 system description (github.com/mlcommons/
            // inference_results_v4.1, closed/NVIDIA/systems) is consistent:
            // "10x 400Gbe Infiniband" ports in all, 2x Xeon Platinum 8480C
            // with 56 cores each, "2 TB" as "32x 64GB".
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(400),
            // "Dual Intel Xeon Platinum 8480C Processors, 112 Cores total".
            cpu_cores: 112,
            // "System Memory 2TB" (32x 64GB DIMMs).
            host_memory: Bytes::tib(2),
            // "System Power Usage ~10.2kW max".
            max_power_watts: 10_200,
            // No list price published; OEM HGX H200 servers are quoted per
            // deal. Not verified, so none.
            purchase_price: None,
        },
        // Sources: "NVIDIA DGX A100" datasheet (640GB system) and the DGX
        // A100 User Guide (DU-09821-001), "Hardware Overview".
        NodeModel {
            name: "DGX-A100".into(),
            description: "NVIDIA DGX A100 640GB (8x A100 SXM4 80GB)".into(),
            gpu_model: "A100-SXM-80GB".into(),
            // 8x A100 80GB (640GB total GPU memory).
            gpus_per_node: 8,
            // Datasheet networking: 8x single-port ConnectX-6 VPI, 200Gb/s
            // HDR InfiniBand, for compute (plus 2x dual-port ConnectX-6 for
            // storage and management, not counted here).
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(200),
            // Datasheet: dual AMD Rome (EPYC) 7742, 128 cores total, 2.25 GHz
            // base, 3.4 GHz max boost.
            cpu_cores: 128,
            // Datasheet: 2TB system memory for the 640GB system (the
            // original 320GB system shipped with 1TB; "up to 2TB" per the
            // user guide).
            host_memory: Bytes::tib(2),
            // Datasheet / user guide power specifications: 6.5 kW max (six
            // 3 kW PSUs, 3+3 redundant).
            max_power_watts: 6_500,
            // NVIDIA's launch price, GTC keynote 14 May 2020 (reported e.g. by
            // AnandTech, "NVIDIA Ampere Unleashed", 2020-05-14): "$199,000".
            // That was the original 320GB (8x A100 40GB) system; NVIDIA gave
            // no separate list price for the 640GB system we model.
            purchase_price: Some(Usd::dollars(199_000)),
        },
        // A generic 8x L40S PCIe server: the Supermicro SYS-521GE-TNRT as
        // configured in Supermicro's MLPerf Inference v4.0 submission (github.
        // com/mlcommons/inference_results_v4.0, closed/Supermicro/systems/
        // SYS-521GE-TNRT_L40S_PCIe_48GBx8_TRT.json), networked following
        // NVIDIA's Enterprise Reference Architecture "PCIe Optimized 2-8-5"
        // pattern (2 CPUs, 8 GPUs, 5 NICs; docs.nvidia.com/ai-enterprise/
        // reference-architecture/latest/compute-node-hardware.html).
        NodeModel {
            name: "PCIe-8GPU".into(),
            description: "8x NVIDIA L40S PCIe server (Supermicro SYS-521GE-TNRT class)".into(),
            gpu_model: "L40S".into(),
            // MLPerf system description: "accelerators_per_node": 8, L40S.
            gpus_per_node: 8,
            // Enterprise RA 2-8-5-200: of the 5 NICs, 4 BlueField-3 B3140H
            // SuperNICs at 400Gb/s carry GPU east-west traffic, one per two
            // GPUs (200Gb/s per GPU), and one dual-port B3220 the CPU
            // north-south traffic. The MLPerf description lists no NICs, so
            // this is the reference pattern, not that exact box; the 4x400G
            // split is our reading of the "-200" (per-GPU) suffix.
            compute_nics: 4,
            nic_bandwidth: Bandwidth::gbps(400),
            // MLPerf system description: 2x "Intel(R) Xeon(R) Platinum
            // 8462Y+", "host_processor_core_count": 32 each.
            cpu_cores: 64,
            // MLPerf system description: "host_memory_capacity": "2 TB",
            // "32x 64GB".
            host_memory: Bytes::tib(2),
            // Not from a vendor figure (the MLPerf description leaves power
            // blank and we could not check Supermicro's PSU spec): a
            // bottom-up estimate of 8x 350 W L40S (datasheet) + 2x 300 W
            // Xeon 8462Y+ TDP + ~1.1 kW for 32 DIMMs, NICs, NVMe, fans and
            // PSU losses.
            max_power_watts: 4_500,
            // No published system price.
            purchase_price: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(name: &str) -> GpuModel {
        gpus()
            .into_iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("no built-in GPU {name}"))
    }

    fn node(name: &str) -> NodeModel {
        nodes()
            .into_iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no built-in node {name}"))
    }

    /// `actual` within 0.5% of the figure a datasheet prints.
    fn assert_close(actual: f64, printed: f64, what: &str) {
        let rel = (actual - printed).abs() / printed;
        assert!(
            rel <= 0.005,
            "{what}: {actual} vs printed {printed} ({:.2}% off)",
            rel * 100.0
        );
    }

    fn tbytes_per_s(bw: Bandwidth) -> f64 {
        bw.as_gbytes_per_s_f64() / 1e3
    }

    #[test]
    fn h100_sxm_matches_its_datasheet() {
        // H100 datasheet, SXM: "BFLOAT16 Tensor Core 1,979 teraFLOPS*",
        // "FP8 Tensor Core 3,958 teraFLOPS*", "TF32 Tensor Core 989
        // teraFLOPS*" (* with sparsity), "GPU memory bandwidth 3.35TB/s".
        let g = gpu("H100-SXM-80GB");
        assert_close(g.bf16_tflops.unwrap() * 2.0, 1979.0, "H100 BF16 sparse");
        assert_close(g.fp8_tflops.unwrap() * 2.0, 3958.0, "H100 FP8 sparse");
        assert_close(g.tf32_tflops.unwrap() * 2.0, 989.0, "H100 TF32 sparse");
        assert_close(tbytes_per_s(g.memory_bandwidth), 3.35, "H100 HBM TB/s");
        assert_eq!(g.nvlink_bandwidth, Some(Bandwidth::gbytes_per_s(900)));
    }

    #[test]
    fn h200_sxm_matches_its_datasheet() {
        // H200 datasheet, SXM: "FP8 Tensor Core 3,958 TFLOPS*", "GPU Memory
        // 141GB", "GPU Memory Bandwidth 4.8TB/s", "FP64 Tensor Core 67".
        let g = gpu("H200-SXM-141GB");
        assert_close(g.fp8_tflops.unwrap() * 2.0, 3958.0, "H200 FP8 sparse");
        assert_close(tbytes_per_s(g.memory_bandwidth), 4.8, "H200 HBM TB/s");
        assert_close(g.fp64_tflops.unwrap(), 67.0, "H200 FP64 Tensor Core");
        assert_eq!(g.memory, Bytes::gib(141));
    }

    #[test]
    fn a100_80gb_matches_its_datasheet() {
        // A100 datasheet, 80GB SXM: "BFLOAT16 Tensor Core 312 TFLOPS | 624
        // TFLOPS*", "FP64 Tensor Core 19.5 TFLOPS", "2,039GB/s".
        let g = gpu("A100-SXM-80GB");
        assert_close(g.bf16_tflops.unwrap(), 312.0, "A100 BF16 dense");
        assert_close(g.bf16_tflops.unwrap() * 2.0, 624.0, "A100 BF16 sparse");
        assert_close(g.fp64_tflops.unwrap(), 19.5, "A100 FP64 Tensor Core");
        assert_eq!(g.memory_bandwidth, Bandwidth::gbytes_per_s(2_039));
        assert_eq!(g.fp8_tflops, None);
    }

    #[test]
    fn a100_40gb_matches_its_datasheet() {
        // A100 datasheet, 40GB SXM: "Tensor Float 32 (TF32) 156 TFLOPS | 312
        // TFLOPS*", "GPU Memory 40GB HBM2", "1,555GB/s", "400W".
        let g = gpu("A100-SXM-40GB");
        assert_close(g.tf32_tflops.unwrap(), 156.0, "A100 40GB TF32 dense");
        assert_close(g.tf32_tflops.unwrap() * 2.0, 312.0, "A100 40GB TF32 sparse");
        assert_eq!(g.memory, Bytes::gib(40));
        assert_eq!(g.memory_bandwidth, Bandwidth::gbytes_per_s(1_555));
        assert_eq!(g.tdp_watts, 400);
        let big = gpu("A100-SXM-80GB");
        assert_eq!(g.bf16_tflops, big.bf16_tflops, "same GA100 compute");
    }

    #[test]
    fn l40s_matches_its_datasheet() {
        // L40S datasheet: "BFLOAT16 Tensor Core TFLOPS 362.05 | 733*", "FP8
        // Tensor Core TFLOPS 733 | 1,466*", "Memory Bandwidth 864GB/s", "Max
        // Power Consumption 350W"; PCIe only.
        let g = gpu("L40S");
        assert_close(g.bf16_tflops.unwrap(), 362.05, "L40S BF16 dense");
        assert_close(g.fp8_tflops.unwrap() * 2.0, 1466.0, "L40S FP8 sparse");
        assert_close(g.tf32_tflops.unwrap() * 2.0, 366.0, "L40S TF32 sparse");
        assert_eq!(g.memory_bandwidth, Bandwidth::gbytes_per_s(864));
        assert_eq!(g.tdp_watts, 350);
        assert_eq!(g.nvlink_bandwidth, None);
    }

    #[test]
    fn b200_matches_the_dgx_and_hgx_b200_datasheets() {
        // DGX B200 datasheet: "FP8 72 PFLOPS" (with sparsity) and "1,440GB
        // total GPU memory" for 8 GPUs; HGX B200: "FP16/BF16 Tensor Core 4.5
        // PFLOPS*" per GPU, "NVLink 1.8TB/s", up to 1,000W.
        let g = gpu("B200");
        assert_close(
            g.fp8_tflops.unwrap() * 2.0 * 8.0,
            72_000.0,
            "DGX B200 FP8 sparse",
        );
        assert_close(g.bf16_tflops.unwrap() * 2.0, 4_500.0, "B200 BF16 sparse");
        assert_eq!(Bytes(g.memory.as_u64() * 8), Bytes::gib(1_440));
        assert_close(
            tbytes_per_s(g.nvlink_bandwidth.unwrap()),
            1.8,
            "B200 NVLink TB/s",
        );
        assert_eq!(g.tdp_watts, 1_000);
    }

    #[test]
    fn rtx_4090_matches_the_ada_whitepaper() {
        // Ada whitepaper, RTX 4090: "Peak BF16 Tensor TFLOPS with FP32
        // Accumulate 165.2/330.4", "Peak FP8 Tensor TFLOPS with FP32
        // Accumulate 330.3/660.6", "Peak TF32 Tensor TFLOPS 82.6/165.2",
        // "1008 GB/sec", "450 W".
        let g = gpu("RTX-4090");
        assert_close(g.bf16_tflops.unwrap() * 2.0, 330.4, "4090 BF16 sparse");
        assert_close(g.fp8_tflops.unwrap() * 2.0, 660.6, "4090 FP8 sparse");
        assert_close(g.tf32_tflops.unwrap(), 82.6, "4090 TF32 dense");
        assert_eq!(g.memory_bandwidth, Bandwidth::gbytes_per_s(1_008));
        assert_eq!(g.tdp_watts, 450);
        assert_eq!(g.nvlink_bandwidth, None);
    }

    #[test]
    fn capacities_are_binary_and_hold_what_nvidia_smi_reports() {
        // The module's memory convention: each capacity is at least what
        // nvidia-smi reports as total for that part, and a decimal reading
        // would not be (for the HBM parts).
        for (name, smi_mib) in [
            ("H100-SXM-80GB", 81_559),
            ("H200-SXM-141GB", 143_771),
            ("A100-SXM-80GB", 81_920),
            ("A100-SXM-40GB", 40_441),
            ("B200", 183_359),
            ("L40S", 46_068),
            ("RTX-4090", 24_564),
        ] {
            let g = gpu(name);
            let visible = Bytes::mib(smi_mib);
            assert!(g.memory >= visible, "{name}: {} < {visible}", g.memory);
            // At most 7% held back: driver reservations are a few hundred
            // MiB on HBM parts; GDDR6 ECC on L40S takes 1/16 (6.25%).
            let slack = (g.memory.as_u64() - visible.as_u64()) as f64;
            let share = slack / g.memory.as_u64() as f64;
            assert!(share <= 0.07, "{name}: {:.1}% unaccounted", share * 100.0);
        }
        assert!(
            Bytes::gb(141) < Bytes::mib(143_771),
            "H200 141GB cannot be decimal"
        );
    }

    #[test]
    fn nodes_match_their_datasheets() {
        // DGX H100 datasheet: 8x ConnectX-7 up to 400Gb/s, 112 cores, 2TB,
        // ~10.2kW max.
        let dgx_h100 = node("DGX-H100");
        assert_eq!(dgx_h100.compute_nics, 8);
        assert_eq!(dgx_h100.nic_bandwidth, Bandwidth::gbps(400));
        assert_eq!(dgx_h100.cpu_cores, 112);
        assert_eq!(dgx_h100.max_power_watts, 10_200);
        // DGX A100 datasheet: 8x ConnectX-6 HDR 200Gb/s, 128 cores, 6.5 kW
        // max; launch price $199,000.
        let dgx_a100 = node("DGX-A100");
        assert_eq!(dgx_a100.nic_bandwidth, Bandwidth::gbps(200));
        assert_eq!(dgx_a100.cpu_cores, 128);
        assert_eq!(dgx_a100.max_power_watts, 6_500);
        assert_eq!(dgx_a100.purchase_price, Some(Usd::dollars(199_000)));
        // DGX H200 datasheet: 1,128GB of GPU memory across 8 GPUs.
        let hgx_h200 = node("HGX-H200");
        let h200 = gpu(&hgx_h200.gpu_model);
        let total = h200.memory.as_u64() * u64::from(hgx_h200.gpus_per_node);
        assert_eq!(Bytes(total), Bytes::gib(1_128));
    }

    #[test]
    fn every_node_fits_its_gpus_power_budget() {
        // A node's maximum draw must at least cover its GPUs at TDP.
        for n in nodes() {
            let g = gpu(&n.gpu_model);
            let gpu_watts = g.tdp_watts * n.gpus_per_node;
            assert!(
                n.max_power_watts > gpu_watts,
                "{}: {} W max < {gpu_watts} W of GPUs",
                n.name,
                n.max_power_watts
            );
        }
    }
}
