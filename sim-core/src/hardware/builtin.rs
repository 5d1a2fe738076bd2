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

use super::{GpuModel, MigGeometry, NodeModel};
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
/// their own (B200, L40S, RTX 4090, the older cards of `builtin_older.rs`,
/// and GPU models a scenario adds
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
            // Third-generation NVSwitch (HGX/DGX H100) reduces in the switch:
            // "Third-generation NVIDIA NVSwitch supports ... SHARP in-network
            // computing, previously only available on InfiniBand" (NVIDIA
            // Hopper architecture page, nvidia.com/en-us/technologies/
            // hopper-architecture/); NCCL runs it as NVLS.
            nvlink_sharp: true,
            compute_capability: 90,
            // "Max thermal design power (TDP) Up to 700W (configurable)".
            tdp_watts: 700,
            // nvidia-smi with nothing running: 67-71 W in five independent
            // public snapshots (see docs/cost.md); bare idle, no CUDA context.
            idle_watts: 70,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x H100 SXM instance, $2.99 per GPU-hour, 2025. Not
            // re-checked against a stored copy of the page; a May 2026
            // third-party snapshot (techbytes.app) reports Lambda's 1x H100
            // SXM instance at $3.78/h.
            price_per_gpu_hour: Usd::cents(299),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::Gb80,
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
            // Same third-generation NVSwitch baseboard as H100 (Hopper
            // architecture page: "2X increase in all-reduce throughput within
            // eight H200 or H100 GPU servers" from NVSwitch SHARP).
            nvlink_sharp: true,
            compute_capability: 90,
            // "Max Thermal Design Power (TDP) Up to 700W (configurable)".
            tdp_watts: 700,
            // nvidia-smi idle snapshots, 73 and 76 W (docs/cost.md).
            idle_watts: 75,
            // Indicative: RunPod public price page (runpod.io/pricing), H200
            // SXM secure-cloud pod, $3.99 per GPU-hour, 2025 (Lambda lists no
            // on-demand H200). Not re-checked against a stored copy of the
            // page; third-party snapshots for 2026 range from $3.59 to $6.35.
            price_per_gpu_hour: Usd::cents(399),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::H200,
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
            // Second-generation NVSwitch (HGX A100) has no SHARP engines: NVLink
            // SHARP came with the third generation (Hopper architecture
            // page).
            nvlink_sharp: false,
            compute_capability: 80,
            // "Max Thermal Design Power (TDP) 400W".
            tdp_watts: 400,
            // nvidia-smi idle snapshots at the 400 W cap, 62-65 W (docs/cost.md).
            idle_watts: 62,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x A100 SXM 80GB instance, $1.79 per GPU-hour, 2025.
            // Not re-checked against a stored copy of the page.
            price_per_gpu_hour: Usd::cents(179),
            matmul_efficiency: AMPERE_MATMUL_EFFICIENCY,
            mig: MigGeometry::Gb80,
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
            // Second-generation NVSwitch: no NVLink SHARP (as A100 80GB).
            nvlink_sharp: false,
            compute_capability: 80,
            // "Max Thermal Design Power (TDP) 400W".
            tdp_watts: 400,
            // Not measured here: the 80GB's 62 W less its larger HBM, an estimate.
            idle_watts: 55,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x A100 SXM 40GB instance, $1.29 per GPU-hour, 2025.
            // Not re-checked against a stored copy of the page; a May 2026
            // third-party snapshot reports Lambda's 1x A100 40GB at $1.48/h.
            price_per_gpu_hour: Usd::cents(129),
            matmul_efficiency: AMPERE_MATMUL_EFFICIENCY,
            mig: MigGeometry::A100_40GB,
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
            // No NVLink, so no NVSwitch and no NVLink SHARP.
            nvlink_sharp: false,
            compute_capability: 89,
            // "Max Power Consumption 350W".
            tdp_watts: 350,
            // nvidia-smi idle snapshots in P8, 22-36 W (docs/cost.md).
            idle_watts: 30,
            // Indicative: RunPod public price page (runpod.io/pricing), L40S
            // secure-cloud pod, $0.86 per GPU-hour, 2025. Not re-checked
            // against a stored copy of the page; third-party 2025-2026
            // snapshots range from $0.79 to $1.40.
            price_per_gpu_hour: Usd::cents(86),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
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
            // Fifth-generation NVLink Switch: "each NVLink Switch has engines
            // for NVIDIA SHARP for in-network reductions and multicast
            // acceleration" (nvidia.com/en-us/data-center/nvlink/).
            nvlink_sharp: true,
            compute_capability: 100,
            // HGX B200: "Max Thermal Design Power (TDP) Configurable up to
            // 1,000W"; nvidia-smi on DGX/HGX B200 shows a 1000 W cap; an HGX
            // B200 MLPerf description (mlcommons/inference_results_v6.0,
            // closed/Nebius/systems/nebius_b200_n1.json) agrees: "B200 TGP
            // 1000W", "180 GB", "18x 5th Gen NVLink, 14.4 TB/s aggregated".
            tdp_watts: 1_000,
            // nvidia-smi idle snapshots, 136-145 W (docs/cost.md).
            idle_watts: 140,
            // Indicative: Lambda Cloud public price page (lambda.ai/pricing),
            // on-demand 8x B200 instance, $4.99 per GPU-hour, 2025. Not
            // re-checked against a stored copy of the page (Lambda's site
            // does announce on-demand 8x B200 instances).
            price_per_gpu_hour: Usd::cents(499),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::B200,
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
            // No NVLink, so no NVLink SHARP.
            nvlink_sharp: false,
            compute_capability: 89,
            // Whitepaper table: TGP (Total Graphics Power) 450 W.
            tdp_watts: 450,
            // Not measured here: an estimate for a GeForce card idling in P8.
            idle_watts: 20,
            // Indicative: RunPod public price page (runpod.io/pricing), RTX
            // 4090 secure-cloud pod, $0.69 per GPU-hour, 2025. Not re-checked
            // against a stored copy of the page; community-cloud listings
            // run lower ($0.34-$0.60 in 2026 third-party snapshots).
            price_per_gpu_hour: Usd::cents(69),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
        // The Blackwell GPU of a GB200 Grace Blackwell Superchip as it runs
        // in a GB200 NVL72 rack (more memory and power than the HGX B200).
        // Source: "NVIDIA GB200 NVL72" specifications table (nvidia.com/
        // en-us/data-center/gb200-nvl72/), rack figures for 72 GPUs printed
        // with sparsity, so per GPU: / 72 / 2. Not re-checked against a
        // stored copy of the page; the per-GPU memory agrees with an MLPerf
        // system description (mlcommons/inference_results_v6.1, closed/
        // Crusoe/systems/GB200-NVL72_GB200-186GB_aarch64x16_Dynamo.json:
        // "accelerator_memory_capacity": "186 GB", 4 GPUs per node, "NV18
        // via NVSwitch").
        GpuModel {
            name: "GB200".into(),
            description: "NVIDIA Blackwell GPU of a GB200 superchip (GB200 NVL72, 186GB HBM3e)"
                .into(),
            // "FP64/FP64 Tensor Core 2,880 TFLOPS" / 72 (launch tables said
            // 3,240; we take the later figure, as for B200).
            fp64_tflops: Some(40.0),
            // "TF32 Tensor Core 180 PFLOPS*" / 72 / 2.
            tf32_tflops: Some(1_250.0),
            // "FP16/BF16 Tensor Core 360 PFLOPS*" / 72 / 2.
            bf16_tflops: Some(2_500.0),
            // "FP8/FP6 Tensor Core 720 PFLOPS*" / 72 / 2.
            fp8_tflops: Some(5_000.0),
            // "GPU Memory | Bandwidth: Up to 13.4 TB HBM3e" / 72 = 186 GB,
            // the MLPerf description's figure; GiB by the module convention
            // (no nvidia-smi figure checked).
            memory: Bytes::gib(186),
            // "576 TB/s" / 72.
            memory_bandwidth: Bandwidth::gbytes_per_s(8_000),
            // "NVLink Bandwidth 130 TB/s" / 72 = 1.8 TB/s per GPU (18
            // fifth-generation links).
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(1_800)),
            // NVLink Switch trays with SHARP engines ("each NVLink Switch has
            // engines for NVIDIA SHARP", nvidia.com/en-us/data-center/
            // nvlink/); NCCL runs NVLS across the rack's 72 GPUs (NCCL issue
            // #1286, maintainer: "The full features of NVLink will be
            // available to all GPUs in such a system, including NVLink
            // SHARP").
            nvlink_sharp: true,
            compute_capability: 100,
            // Not on NVIDIA's table (which gives the superchip, "up to
            // 2,700W" in launch material, not the GPU): 1.2 kW per GPU as a
            // third-party per-GPU table prints it (verda.com/blog/
            // gb300-nvl72-architecture, GB200 column). Not verified against
            // an NVIDIA document.
            tdp_watts: 1_200,
            // Not measured here: taken as the B200's 140 W, an estimate.
            idle_watts: 140,
            // Indicative: CoreWeave's public price for a GB200 NVL72 instance
            // of 4 GPUs, $42.00/h, i.e. $10.50 per GPU-hour (2025). Not
            // re-checked against a stored copy of the page.
            price_per_gpu_hour: Usd::cents(1_050),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
        // The Blackwell Ultra GPU of a GB300 superchip in a GB300 NVL72 rack.
        // Source: "NVIDIA GB300 NVL72" specifications table (nvidia.com/
        // en-us/data-center/gb300-nvl72/), rack figures for 72 GPUs with
        // sparsity, so per GPU: / 72 / 2. Not re-checked against a stored
        // copy of the page; the per-GPU dense figures agree with a
        // third-party table (verda.com/blog/gb300-nvl72-architecture, GB300
        // column: "FP8 5 PFLOPS", "FP16/BF16 2.5 PFLOPS", "TF32 1.25
        // PFLOPS", "279 GB HBM3E", "8 TB/s", "1.4 kW").
        GpuModel {
            name: "GB300".into(),
            description:
                "NVIDIA Blackwell Ultra GPU of a GB300 superchip (GB300 NVL72, 279GB HBM3e)".into(),
            // "FP64/FP64 Tensor Core 100 TFLOPS" for the rack / 72: Blackwell
            // Ultra cuts FP64 to about 1.4 TFLOPS per GPU.
            fp64_tflops: Some(1.39),
            // "TF32 Tensor Core 180 PFLOPS*" / 72 / 2.
            tf32_tflops: Some(1_250.0),
            // "FP16/BF16 Tensor Core 360 PFLOPS*" / 72 / 2 (the same as GB200:
            // Blackwell Ultra's gain is in FP4 and attention exponentials).
            bf16_tflops: Some(2_500.0),
            // "FP8/FP6 Tensor Core 720 PFLOPS*" / 72 / 2.
            fp8_tflops: Some(5_000.0),
            // "Up to 20 TB" HBM3e / 72 = 279 GB, as the third-party table
            // prints it (the B300 package is marketed as 288 GB HBM3e; what
            // is left visible in NVL72 is the smaller figure); GiB by the
            // module convention, no nvidia-smi figure checked.
            memory: Bytes::gib(279),
            // "Up to 576 TB/s" / 72.
            memory_bandwidth: Bandwidth::gbytes_per_s(8_000),
            // "NVLink Bandwidth 130 TB/s" / 72.
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(1_800)),
            // Same NVLink Switch trays (SHARP engines) as GB200 NVL72.
            nvlink_sharp: true,
            compute_capability: 103,
            // Third-party table: "Max Thermal Design Power (TDP) 1.4 kW"; not
            // verified against an NVIDIA document.
            tdp_watts: 1_400,
            // Not measured here: an estimate above the GB200's.
            idle_watts: 150,
            // No public on-demand price found for GB300 instances: GB200's
            // $10.50 is used as a placeholder, not a quote.
            price_per_gpu_hour: Usd::cents(1_050),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
        // The H100's export variant for China (2023): the same GH100 compute
        // as H100 SXM, NVLink cut to 400 GB/s and FP64 to 1 TFLOPS. Source:
        // the "NVIDIA H800 Tensor Core GPU" datasheet (nvidia.cn, H800 SXM
        // column), which we could not retrieve: the figures below are as
        // reported by third-party comparisons of that datasheet (e.g.
        // philisun.com, "NVIDIA H800 vs H100"; aiwiki.ai/wiki/nvidia_h800)
        // and, for the interconnect, by DeepSeek-V3's technical report
        // (arXiv 2412.19437, §3.1: H800 nodes, NVLink within, IB across).
        GpuModel {
            name: "H800-SXM-80GB".into(),
            description: "NVIDIA H800 Tensor Core GPU (SXM5, 80GB HBM3; export variant)".into(),
            // "FP64 1 teraFLOPS", "FP64 Tensor Core 1 teraFLOPS".
            fp64_tflops: Some(1.0),
            // As H100 SXM: "TF32 Tensor Core 989 teraFLOPS*" / 2.
            tf32_tflops: Some(494.5),
            // As H100 SXM: "BFLOAT16 Tensor Core 1,979 teraFLOPS*" / 2.
            bf16_tflops: Some(989.5),
            // As H100 SXM: "FP8 Tensor Core 3,958 teraFLOPS*" / 2.
            fp8_tflops: Some(1979.0),
            // "GPU memory 80GB"; GiB as H100.
            memory: Bytes::gib(80),
            // "GPU memory bandwidth 3.35TB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(3_350),
            // "NVLink: 400GB/s" (8 of H100's 18 NVLink 4 links).
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(400)),
            // HGX H800 keeps the third-generation NVSwitch baseboard, so
            // NVLink SHARP: nccl-tests on 8x H800 reach 215 GB/s all-reduce
            // busbw, above the 200 GB/s per-direction NVLink rate, which only
            // in-switch reduction gives (NCCL issue #1374). NCCL issue #892
            // shows NVLS unavailable on one H800 box, a driver/fabric-manager
            // setup matter, not the hardware.
            nvlink_sharp: true,
            compute_capability: 90,
            // "Max thermal design power (TDP) Up to 700W".
            tdp_watts: 700,
            // The H100's die and board: its 70 W, an assumption.
            idle_watts: 70,
            // H800 is not rented by the providers cited here; H100's $2.99
            // is used as a placeholder, not a quote.
            price_per_gpu_hour: Usd::cents(299),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::Gb80,
        },
        // The second Hopper export variant for China (2024): full NVLink, a
        // fraction of the compute, more memory. NVIDIA published no public
        // datasheet; figures as widely reported from its product brief
        // (e.g. willitrunai.com/gpus/h20-96gb: "96 GB HBM3 - 4,000 GB/s",
        // "148 TFLOPS FP16", "NVLink 4.0 (900 GB/s)", "400W TDP"). Not
        // verified against an NVIDIA document.
        GpuModel {
            name: "H20-96GB".into(),
            description: "NVIDIA H20 (SXM, 96GB HBM3; export variant)".into(),
            // Reported FP64 1 TFLOPS (FP64 Tensor Core likewise).
            fp64_tflops: Some(1.0),
            // Reported "TF32 Tensor Core 74 TFLOPS" (dense).
            tf32_tflops: Some(74.0),
            // Reported "BF16/FP16 Tensor Core 148 TFLOPS" (dense).
            bf16_tflops: Some(148.0),
            // Reported "FP8 Tensor Core 296 TFLOPS" (dense).
            fp8_tflops: Some(296.0),
            // "96 GB HBM3"; GiB by the module convention, unchecked.
            memory: Bytes::gib(96),
            // "4.0 TB/s".
            memory_bandwidth: Bandwidth::gbytes_per_s(4_000),
            // "NVLink 900GB/s" (all 18 NVLink 4 links).
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(900)),
            // Third-generation NVSwitch baseboard: NCCL issue #1244 measures
            // all-reduce on 2 nodes of 8 H20 "with NVL SHARP" (343 GB/s).
            nvlink_sharp: true,
            compute_capability: 90,
            // Reported "400W".
            tdp_watts: 400,
            // Not measured here: an estimate (Hopper board at 400 W).
            idle_watts: 60,
            // Not rented by the providers cited here; no price found. A
            // placeholder at L40S's $0.86 (a GPU of like BF16 peak), not a
            // quote.
            price_per_gpu_hour: Usd::cents(86),
            matmul_efficiency: HOPPER_MATMUL_EFFICIENCY,
            mig: MigGeometry::None,
        },
        // The A100's export variant for China (2022): A100 80GB SXM with
        // NVLink cut from 600 to 400 GB/s, all else as A100. Sources: the
        // NVIDIA A800 announcement as reported by Reuters and Tweakers
        // (tweakers.net/nieuws/203182, 2022-11: "de bandbreedte van de
        // NVLink-interconnect is beperkt tot 400GB/s", performance and the
        // 400W SXM TDP unchanged); an nccl-tests report on 8x
        // A800-SXM4-80GB counts "8 NVLink links per GPU, 400 GB/s
        // bidirectional". NVIDIA's own A800 SXM datasheet was not retrieved.
        GpuModel {
            name: "A800-SXM-80GB".into(),
            description: "NVIDIA A800 Tensor Core GPU (SXM4, 80GB HBM2e; export variant)".into(),
            // As A100 80GB SXM.
            fp64_tflops: Some(19.5),
            tf32_tflops: Some(156.0),
            bf16_tflops: Some(312.0),
            fp8_tflops: None,
            memory: Bytes::gib(80),
            memory_bandwidth: Bandwidth::gbytes_per_s(2_039),
            // 400 GB/s (8 NVLink 3 links instead of 12).
            nvlink_bandwidth: Some(Bandwidth::gbytes_per_s(400)),
            // Second-generation NVSwitch, as A100: no NVLink SHARP.
            nvlink_sharp: false,
            compute_capability: 80,
            tdp_watts: 400,
            // The A100 80GB's board: its 62 W, an assumption.
            idle_watts: 62,
            // Not rented by the providers cited here; A100 80GB's $1.79 as a
            // placeholder, not a quote.
            price_per_gpu_hour: Usd::cents(179),
            matmul_efficiency: AMPERE_MATMUL_EFFICIENCY,
            mig: MigGeometry::Gb80,
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
            instance_price_per_hour: None,
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
            // NVSwitches on the 8-GPU baseboard: one node per NVLink domain.
            nvlink_domain_nodes: 1,
            // "Dual Intel Xeon Platinum 8480C Processors, 112 Cores total".
            cpu_cores: 112,
            // "System Memory 2TB" (32x 64GB DIMMs, so binary).
            host_memory: Bytes::tib(2),
            // "System Power Usage ~10.2kW max" (user guide: six 3.3 kW PSUs,
            // 10.2 kW maximum input).
            max_power_watts: 10_200,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2040,
            // NVIDIA publishes no list price. SemiAnalysis, "AI Server Cost
            // Analysis - Memory Is The Biggest Loser" (May 2023), estimates
            // the sale price at ~$270,000 (quoted in Epoch AI's
            // training-cost-trends notebook); HGX H100 quotes with 8x 400G
            // NICs are $310-317k (Thinkmate, 2024). Secondary: a starting
            // point, set your own quote (catalog: nodes: [(name: "DGX-H100",
            // purchase_price: "...")]).
            purchase_price: Some(Usd::dollars(270_000)),
        },
        // An 8x H200 HGX server, modelled on NVIDIA's own: "NVIDIA DGX H200"
        // datasheet and the DGX H100/H200 User Guide (same chassis, CPUs,
        // networking and power as DGX H100).
        NodeModel {
            instance_price_per_hour: None,
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
            // NVSwitches on the 8-GPU baseboard: one node per NVLink domain.
            nvlink_domain_nodes: 1,
            // "Dual Intel Xeon Platinum 8480C Processors, 112 Cores total".
            cpu_cores: 112,
            // "System Memory 2TB" (32x 64GB DIMMs).
            host_memory: Bytes::tib(2),
            // "System Power Usage ~10.2kW max".
            max_power_watts: 10_200,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2040,
            // No list price published; OEM HGX H200 servers are quoted per
            // deal. Not verified, so none.
            purchase_price: None,
        },
        // Sources: "NVIDIA DGX A100" datasheet (640GB system) and the DGX
        // A100 User Guide (DU-09821-001), "Hardware Overview".
        NodeModel {
            instance_price_per_hour: None,
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
            // NVSwitches on the 8-GPU baseboard: one node per NVLink domain.
            nvlink_domain_nodes: 1,
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
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 1300,
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
            instance_price_per_hour: None,
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
            // No NVLink: the node's GPUs meet over PCIe; a domain of one node.
            nvlink_domain_nodes: 1,
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
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 900,
            // No published system price.
            purchase_price: None,
        },
        // Source: "NVIDIA DGX B200" datasheet and the DGX B200 User Guide,
        // "Introduction to the NVIDIA DGX B200 System" (docs.nvidia.com/dgx/
        // dgxb200-user-guide/introduction-to-dgxb200.html). Not re-checked
        // against a stored copy; the networking agrees with an HGX B200
        // MLPerf system description (below).
        NodeModel {
            instance_price_per_hour: None,
            name: "DGX-B200".into(),
            description: "NVIDIA DGX B200 (8x B200 180GB)".into(),
            gpu_model: "B200".into(),
            // "GPU 8x NVIDIA B200 Tensor Core GPUs".
            gpus_per_node: 8,
            // "4x OSFP ports serving 8x single-port NVIDIA ConnectX-7 VPI, up
            // to 400Gb/s InfiniBand/Ethernet" (the BlueField-3 DPUs are
            // storage and management).
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(400),
            // "2x NVIDIA NVSwitch" on the baseboard: one node per domain.
            nvlink_domain_nodes: 1,
            // "2 Intel Xeon Platinum 8570 Processors, 112 Cores total".
            cpu_cores: 112,
            // "System Memory 2TB, configurable to 4TB".
            host_memory: Bytes::tib(2),
            // "System Power Usage ~14.3kW max".
            max_power_watts: 14_300,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2860,
            // Reported launch prices vary; none verified.
            // No list price. $515,000 as reported in March 2025 (vengineer's
            // blog, "DGX B200のお値段 ... $515K"): secondary, a starting
            // point; set your own quote.
            purchase_price: Some(Usd::dollars(515_000)),
        },
        // An OEM HGX B200 server, as described in an MLPerf Inference v6.0
        // system description (github.com/mlcommons/inference_results_v6.0,
        // closed/Nebius/systems/nebius_b200_n1.json).
        NodeModel {
            instance_price_per_hour: None,
            name: "HGX-B200".into(),
            description: "NVIDIA HGX B200 8-GPU server (2x Xeon Platinum 8580)".into(),
            gpu_model: "B200".into(),
            // "accelerators_per_node": 8, "NVIDIA B200-SXM-180GB".
            gpus_per_node: 8,
            // "host_networking": "8x ConnectX-7 IB NDR 400Gb/s + 200Gb/s
            // Ethernet NIC" (the Ethernet NIC is north-south).
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(400),
            // "18x 5th Gen NVLink, 14.4 TB/s aggregated" through the HGX
            // baseboard's NVSwitches: one node per domain.
            nvlink_domain_nodes: 1,
            // 2x "Intel(R) Xeon(R) Platinum 8580", "host_processor_core_count":
            // 60 each.
            cpu_cores: 120,
            // "host_memory_configuration": "32x 64GB" (printed as "1.8 TB",
            // the binary 2 TiB in decimal-ish units).
            host_memory: Bytes::tib(2),
            // Not in the MLPerf description (which gives "B200 TGP 1000W"):
            // DGX B200's ~14.3 kW max, an assumption for a like chassis.
            max_power_watts: 14_300,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2860,
            purchase_price: None,
        },
        // One compute tray of a GB200 NVL72 rack: two GB200 superchips (2
        // Grace CPUs, 4 Blackwell GPUs). 18 trays and 9 NVLink switch trays
        // make the rack, one NVLink domain of 72 GPUs. Sources: "NVIDIA
        // GB200 NVL72" specifications (nvidia.com/en-us/data-center/
        // gb200-nvl72/: "36 Grace CPU : 72 Blackwell GPUs", "2,592 Arm
        // Neoverse V2 cores", "Up to 17 TB LPDDR5X"), the DGX SuperPOD GB200
        // reference architecture (docs.nvidia.com/dgx-superpod/
        // reference-architecture-scalable-infrastructure-gb200/, compute tray:
        // 4x ConnectX-7 400Gb/s for the compute fabric) and the Crusoe MLPerf
        // v6.1 system description cited at the GB200 GPU ("accelerators_per_
        // node": 4, 4x "BlueField-3 [ConnectX-7 Lx]", 144 cores). Not
        // re-checked against stored copies of NVIDIA's pages.
        NodeModel {
            instance_price_per_hour: None,
            name: "GB200-NVL72-tray".into(),
            description: "NVIDIA GB200 NVL72 compute tray (2x GB200: 2 Grace, 4 Blackwell GPUs)"
                .into(),
            gpu_model: "GB200".into(),
            gpus_per_node: 4,
            // One 400Gb/s ConnectX-7 (or BlueField-3 SuperNIC in ConnectX
            // mode) per GPU on the east-west fabric.
            compute_nics: 4,
            nic_bandwidth: Bandwidth::gbps(400),
            // 18 compute trays share the rack's NVLink Switch domain.
            nvlink_domain_nodes: 18,
            // 2x Grace, 72 Neoverse V2 cores each (2,592 / 36).
            cpu_cores: 144,
            // "Up to 17 TB LPDDR5X" / 36 Grace = 480 GB each, 960 GB per tray
            // (GiB by the module convention; the Crusoe description prints
            // 1.87 TB per tray, a different memory option).
            host_memory: Bytes::gib(960),
            // Not a vendor figure: 4x 1.2 kW GPUs + 2x Grace (~0.3 kW each,
            // from the superchip's "up to 2,700W") + ~0.5 kW of NICs, NVMe,
            // fans and conversion; about 1/18 of a ~120 kW rack less its
            // switch trays. An estimate.
            max_power_watts: 5_900,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 1180,
            purchase_price: None,
        },
        // One compute tray of a GB300 NVL72 rack: two GB300 superchips (2
        // Grace, 4 Blackwell Ultra GPUs), 18 trays per NVLink domain.
        // Sources: "NVIDIA GB300 NVL72" specifications (nvidia.com/en-us/
        // data-center/gb300-nvl72/: "72 NVIDIA Blackwell Ultra GPUs, 36
        // NVIDIA Grace CPUs", "NVIDIA ConnectX-8 SuperNIC 800Gb/s" per GPU,
        // "2,592 Arm Neoverse V2 cores", "Up to 18 TB SOCAMM with LPDDR5X").
        // Not re-checked against a stored copy of the page.
        NodeModel {
            instance_price_per_hour: None,
            name: "GB300-NVL72-tray".into(),
            description:
                "NVIDIA GB300 NVL72 compute tray (2x GB300: 2 Grace, 4 Blackwell Ultra GPUs)".into(),
            gpu_model: "GB300".into(),
            gpus_per_node: 4,
            // One ConnectX-8 SuperNIC, 800Gb/s, per GPU.
            compute_nics: 4,
            nic_bandwidth: Bandwidth::gbps(800),
            nvlink_domain_nodes: 18,
            cpu_cores: 144,
            // "Up to 18 TB" / 36 = 500 GB per Grace, 1,000 GB per tray
            // (decimal: SOCAMM module sizes were not checked).
            host_memory: Bytes::gb(1_000),
            // Not a vendor figure: 4x 1.4 kW GPUs + 2x Grace + NICs and
            // fans, as for the GB200 tray. An estimate.
            max_power_watts: 6_700,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 1340,
            purchase_price: None,
        },
        // An 8x H800 HGX server. NVIDIA sold no DGX H800 publicly; modelled
        // on the DGX H100 chassis (same CPUs, memory, power), with the
        // compute networking DeepSeek's H800 clusters use: one 400Gb/s
        // InfiniBand NIC per GPU (DeepSeek-V3 technical report, arXiv
        // 2412.19437, §3.1: "IB (50 GB/s)" per GPU across nodes, NVLink
        // within).
        NodeModel {
            instance_price_per_hour: None,
            name: "HGX-H800".into(),
            description: "NVIDIA HGX H800 8-GPU server (as DGX H100, 8x H800 SXM5 80GB)".into(),
            gpu_model: "H800-SXM-80GB".into(),
            gpus_per_node: 8,
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(400),
            // NVSwitches on the 8-GPU baseboard.
            nvlink_domain_nodes: 1,
            // As DGX H100 (an assumption for OEM H800 servers).
            cpu_cores: 112,
            host_memory: Bytes::tib(2),
            max_power_watts: 10_200,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2040,
            purchase_price: None,
        },
        // An 8x H20 HGX server, modelled on the DGX H100 chassis and
        // networking (8x 400Gb/s): an assumption, no H20 system description
        // was found.
        NodeModel {
            instance_price_per_hour: None,
            name: "HGX-H20".into(),
            description: "NVIDIA HGX H20 8-GPU server (8x H20 96GB; DGX H100-like chassis)".into(),
            gpu_model: "H20-96GB".into(),
            gpus_per_node: 8,
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(400),
            nvlink_domain_nodes: 1,
            cpu_cores: 112,
            host_memory: Bytes::tib(2),
            // Not a vendor figure: DGX H100's 10.2 kW less the 8 x 300 W its
            // H100s draw above an H20's 400 W. An estimate.
            max_power_watts: 7_800,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 1560,
            purchase_price: None,
        },
        // An 8x A800 HGX server, modelled on DGX A100 (same baseboard with
        // the NVLink cut, same CPUs, networking and power): an assumption.
        NodeModel {
            instance_price_per_hour: None,
            name: "HGX-A800".into(),
            description: "NVIDIA HGX A800 8-GPU server (as DGX A100, 8x A800 SXM4 80GB)".into(),
            gpu_model: "A800-SXM-80GB".into(),
            gpus_per_node: 8,
            compute_nics: 8,
            nic_bandwidth: Bandwidth::gbps(200),
            nvlink_domain_nodes: 1,
            cpu_cores: 128,
            host_memory: Bytes::tib(2),
            max_power_watts: 6_500,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 1300,
            purchase_price: None,
        },
        // AWS GPU instances, for the EFA link presets (fabric/presets.rs).
        // Source: the EC2 accelerated-computing instance-type pages
        // (aws.amazon.com/ec2/instance-types/p5/, .../p4/) and the EC2 User
        // Guide's EFA pages (docs.aws.amazon.com/AWSEC2/latest/UserGuide/
        // efa-acc-inst-types.html: P5 takes 32 EFA interfaces); torchx's
        // named resources (meta-pytorch/torchx PRs #995 and #1098) agree on
        // 192 vCPUs, 2,048 GiB and 32 (p5) / 16 (p5en) EFA devices. Not
        // re-checked against stored copies of the AWS pages. AWS publishes
        // no power figure: the like DGX's is used, an assumption.
        NodeModel {
            instance_price_per_hour: Some(Usd::from_micros(55_040_000)),
            name: "AWS-p5.48xlarge".into(),
            // On demand, us-east-1, after AWS's June 2025 cut ("up to 45%"):
            // $55.04 an hour for the instance ($6.88 per GPU), as listed in
            // instances.vantage.sh's data (snapshot 2026-08-26); $98.32
            // before the cut.
            description: "AWS EC2 p5.48xlarge (8x H100 80GB, 32x 100G EFA v2)".into(),
            gpu_model: "H100-SXM-80GB".into(),
            gpus_per_node: 8,
            // "3200 Gbps" of EFA v2 as 32 network cards of 100 Gbps.
            compute_nics: 32,
            nic_bandwidth: Bandwidth::gbps(100),
            nvlink_domain_nodes: 1,
            // 192 vCPUs = 2x AMD EPYC 7R13, 96 cores.
            cpu_cores: 96,
            host_memory: Bytes::tib(2),
            max_power_watts: 10_200,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2040,
            purchase_price: None,
        },
        NodeModel {
            instance_price_per_hour: Some(Usd::from_micros(63_296_000)),
            name: "AWS-p5en.48xlarge".into(),
            // On demand, us-east-1: $63.296 an hour (instances.vantage.sh
            // data, 2026; dstack PR #4110's `dstack offer` output agrees).
            description: "AWS EC2 p5en.48xlarge (8x H200 141GB, 16x 200G EFA v3)".into(),
            gpu_model: "H200-SXM-141GB".into(),
            gpus_per_node: 8,
            // "3200 Gbps" of EFA v3 as 16 network cards of 200 Gbps.
            compute_nics: 16,
            nic_bandwidth: Bandwidth::gbps(200),
            nvlink_domain_nodes: 1,
            // 192 vCPUs = 2x Intel Xeon (Sapphire Rapids), 96 cores.
            cpu_cores: 96,
            host_memory: Bytes::tib(2),
            max_power_watts: 10_200,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 2040,
            purchase_price: None,
        },
        NodeModel {
            instance_price_per_hour: Some(Usd::from_micros(21_957_642)),
            name: "AWS-p4d.24xlarge".into(),
            // On demand, us-east-1, after the June 2025 cut: $21.957642 an
            // hour (instances.vantage.sh data, 2026-08-26); $32.7726 before.
            description: "AWS EC2 p4d.24xlarge (8x A100 40GB, 4x 100G EFA)".into(),
            gpu_model: "A100-SXM-40GB".into(),
            gpus_per_node: 8,
            // "400 Gbps" of EFA as 4 network cards of 100 Gbps (first-
            // generation EFA; the efa-v2 preset has its rate).
            compute_nics: 4,
            nic_bandwidth: Bandwidth::gbps(100),
            nvlink_domain_nodes: 1,
            // 96 vCPUs = 2x Xeon Platinum 8275CL, 48 cores; 1,152 GiB.
            cpu_cores: 48,
            host_memory: Bytes::gib(1_152),
            max_power_watts: 6_500,
            // 20% of the maximum: LBNL's estimate of a GPU server's idle draw
            // ("around 20% of nameplate", quoted by Uptime Institute, "GPU
            // utilization is a confusing metric", UII Update 362, May 2025); no
            // measured idle figure of this system was found.
            idle_power_watts: 1300,
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
    fn nvl72_gpus_match_the_rack_tables() {
        // GB200 NVL72 / GB300 NVL72 tables, 72 GPUs, with sparsity: "FP8/FP6
        // Tensor Core 720 PFLOPS", "FP16/BF16 Tensor Core 360 PFLOPS",
        // "TF32 Tensor Core 180 PFLOPS", "576 TB/s", "NVLink Bandwidth 130
        // TB/s"; GB200 "Up to 13.4 TB HBM3e", GB300 "Up to 20 TB".
        for name in ["GB200", "GB300"] {
            let g = gpu(name);
            assert_close(g.fp8_tflops.unwrap() * 2.0 * 72.0, 720_000.0, "NVL72 FP8");
            assert_close(g.bf16_tflops.unwrap() * 2.0 * 72.0, 360_000.0, "NVL72 BF16");
            assert_close(g.tf32_tflops.unwrap() * 2.0 * 72.0, 180_000.0, "NVL72 TF32");
            assert_close(
                tbytes_per_s(g.memory_bandwidth) * 72.0,
                576.0,
                "NVL72 HBM TB/s",
            );
            // 130 TB/s is 72 x 1.8 = 129.6, rounded.
            let nvlink = tbytes_per_s(g.nvlink_bandwidth.unwrap()) * 72.0;
            assert!(
                (129.0..=130.0).contains(&nvlink),
                "{name}: NVLink {nvlink} TB/s"
            );
            assert!(g.nvlink_sharp);
        }
        let gb200 = gpu("GB200");
        let rack_tb = gb200.memory.as_u64() as f64 * 72.0 / 1e12;
        assert!(
            (13.4..=14.4).contains(&rack_tb),
            "GB200 rack HBM {rack_tb} TB"
        );
        assert_close(
            gb200.fp64_tflops.unwrap() * 72.0,
            2_880.0,
            "GB200 NVL72 FP64",
        );
        let gb300 = gpu("GB300");
        assert_close(gb300.fp64_tflops.unwrap() * 72.0, 100.0, "GB300 NVL72 FP64");
        assert!(gb300.memory > gb200.memory && gb300.tdp_watts > gb200.tdp_watts);
        // The trays: 4 GPUs, 18 per rack (72 GPUs in one NVLink domain),
        // one NIC per GPU: ConnectX-7 400G on GB200, ConnectX-8 800G on
        // GB300; 2 Grace = 144 cores (2,592 / 18).
        for (tray, nic_gbps) in [("GB200-NVL72-tray", 400), ("GB300-NVL72-tray", 800)] {
            let n = node(tray);
            assert_eq!(n.gpus_per_node * n.nvlink_domain_nodes, 72, "{tray}");
            assert_eq!(n.compute_nics, 4, "{tray}");
            assert_eq!(n.nic_bandwidth, Bandwidth::gbps(nic_gbps), "{tray}");
            assert_eq!(n.cpu_cores * 18, 2_592, "{tray}");
        }
    }

    #[test]
    fn b200_nodes_match_their_datasheet_and_system_description() {
        // DGX B200 datasheet: 8x ConnectX-7 400Gb/s, 112 cores, ~14.3kW.
        let dgx = node("DGX-B200");
        assert_eq!((dgx.gpus_per_node, dgx.compute_nics), (8, 8));
        assert_eq!(dgx.nic_bandwidth, Bandwidth::gbps(400));
        assert_eq!(dgx.cpu_cores, 112);
        assert_eq!(dgx.max_power_watts, 14_300);
        // Nebius MLPerf v6.0 HGX B200: 2x 60-core Xeon 8580, 32x 64GB,
        // 8x ConnectX-7 NDR 400Gb/s.
        let hgx = node("HGX-B200");
        assert_eq!(hgx.cpu_cores, 120);
        assert_eq!(hgx.host_memory, Bytes::gib(32 * 64));
        assert_eq!(hgx.nvlink_domain_nodes, 1);
    }

    #[test]
    fn export_variants_differ_from_their_parents_where_reported() {
        // H800: H100 compute, NVLink 400 GB/s, FP64 1 TFLOPS, NVLink SHARP
        // kept (third-generation NVSwitch).
        let (h800, h100) = (gpu("H800-SXM-80GB"), gpu("H100-SXM-80GB"));
        assert_eq!(h800.bf16_tflops, h100.bf16_tflops);
        assert_eq!(h800.fp8_tflops, h100.fp8_tflops);
        assert_eq!(h800.memory_bandwidth, h100.memory_bandwidth);
        assert_eq!(h800.nvlink_bandwidth, Some(Bandwidth::gbytes_per_s(400)));
        assert_close(h800.fp64_tflops.unwrap(), 1.0, "H800 FP64");
        assert!(
            h800.nvlink_sharp,
            "NVLS is a switch property, not a bandwidth"
        );
        // H20: full NVLink, "148 TFLOPS" BF16 dense, 96GB at 4.0 TB/s, 400W.
        let h20 = gpu("H20-96GB");
        assert_eq!(h20.nvlink_bandwidth, h100.nvlink_bandwidth);
        assert_close(h20.bf16_tflops.unwrap(), 148.0, "H20 BF16 dense");
        assert_close(h20.fp8_tflops.unwrap(), 296.0, "H20 FP8 dense");
        assert_close(tbytes_per_s(h20.memory_bandwidth), 4.0, "H20 HBM TB/s");
        assert_eq!((h20.memory, h20.tdp_watts), (Bytes::gib(96), 400));
        assert!(h20.nvlink_sharp);
        // A800: A100 80GB with NVLink cut from 600 to 400 GB/s; no NVLS.
        let (a800, a100) = (gpu("A800-SXM-80GB"), gpu("A100-SXM-80GB"));
        assert_eq!(a800.bf16_tflops, a100.bf16_tflops);
        assert_eq!(a800.memory_bandwidth, a100.memory_bandwidth);
        assert_eq!(a800.nvlink_bandwidth, Some(Bandwidth::gbytes_per_s(400)));
        assert!(!a800.nvlink_sharp);
        for (n, g) in [
            ("HGX-H800", "H800-SXM-80GB"),
            ("HGX-H20", "H20-96GB"),
            ("HGX-A800", "A800-SXM-80GB"),
        ] {
            assert_eq!(node(n).gpu_model, g);
        }
    }

    #[test]
    fn aws_instances_have_their_efa_cards() {
        // p5: 3,200 Gbps as 32 x 100G (EFA v2); p5en: 3,200 as 16 x 200G
        // (EFA v3); p4d: 400 as 4 x 100G.
        for (name, nics, gbps, total_gbps) in [
            ("AWS-p5.48xlarge", 32, 100, 3_200),
            ("AWS-p5en.48xlarge", 16, 200, 3_200),
            ("AWS-p4d.24xlarge", 4, 100, 400),
        ] {
            let n = node(name);
            assert_eq!(
                (n.compute_nics, n.nic_bandwidth),
                (nics, Bandwidth::gbps(gbps))
            );
            assert_eq!(u64::from(nics) * gbps, total_gbps, "{name}");
            assert_eq!(n.gpus_per_node, 8);
        }
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
