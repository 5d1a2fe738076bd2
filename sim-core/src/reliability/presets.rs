//! Cited failure-class presets: published fleets' failure rates as
//! [`FailureClass`]es a scenario names (`preset: "llama3-h100"`) and may
//! scale or override class by class.
//!
//! Every rate comes from the cited count over the cited exposure; detection
//! delays and repair times are cited where a source gives them and marked
//! *assumed* otherwise (neither paper publishes per-class repair times).
//!
//! Invariants: class names are unique within a preset and spelt in
//! kebab-case; every rate is positive and finite; a preset never strikes a
//! link or a switch (it must apply to any cluster, with or without a
//! fabric).

use super::{ClassKind, FailureClass, Lifetime, Repair, RepairAction, RepairTime, Target};
use crate::engine::{NS_PER_SEC, SimDuration};

/// The presets [`preset`] knows, in the order they are listed to users.
pub const PRESETS: &[&str] = &["llama3-h100", "meta-rsc1", "meta-rsc2"];

/// The failure classes of a preset, or `None` for an unknown name.
pub fn preset(name: &str) -> Option<Vec<FailureClass>> {
    match name {
        "llama3-h100" => Some(llama3_h100()),
        // Kokolis et al., HPCA 2025, §IV (the node failure rate r_f of each
        // cluster, failures per 1,000 node-days): RSC-1 (16k A100, mostly
        // LLM work) 6.50, RSC-2 (8k A100, vision work) 2.34.
        "meta-rsc1" => Some(vec![meta_rsc_node("node-failure", 6.50)]),
        "meta-rsc2" => Some(vec![meta_rsc_node("node-failure", 2.34)]),
        _ => None,
    }
}

/// The exposure of the Llama 3 405B pre-training window (Dubey et al.,
/// "The Llama 3 Herd of Models", 2024, §3.3.4): 54 days on 16,384 H100
/// GPUs in 2,048 nodes of eight (§3.3.1: Grand Teton servers of 8 GPUs,
/// each GPU with its own 400 Gb/s RoCE NIC, hence 8 NICs per node).
pub const LLAMA3_DAYS: f64 = 54.0;
pub const LLAMA3_NODES: f64 = 2_048.0;
pub const LLAMA3_GPUS_PER_NODE: f64 = 8.0;
pub const LLAMA3_NICS_PER_NODE: f64 = 8.0;

const NS_PER_DAY: f64 = 86_400.0 * NS_PER_SEC as f64;

/// How a Llama 3 class is detected and repaired.
#[derive(Clone, Copy)]
enum Handling {
    /// A part is swapped (GPU, HBM, NIC, PSU, ...).
    ReplacePart,
    /// The node is rebooted or serviced and returns with its parts.
    Reboot,
    /// The job fails, no node goes down (software, NCCL, a dependency).
    JobOnly { detection: SimDuration },
}

/// Detection of hardware failures: *assumed* 5 minutes, a node health
/// check's period (Slurm's `HealthCheckInterval`, DCGM's) at typical
/// settings.
const HARDWARE_DETECTION: SimDuration = SimDuration::from_secs(5 * 60);

/// PyTorch's default NCCL process-group timeout, after which the
/// watchdog aborts a hung collective: 10 minutes
/// (`kProcessGroupNCCLDefaultTimeout`,
/// `torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp`;
/// `torch.distributed.constants.default_pg_nccl_timeout`).
const NCCL_WATCHDOG_TIMEOUT: SimDuration = SimDuration::from_secs(10 * 60);

/// A crashing process is seen by its launcher within *assumed* 1 minute.
const CRASH_DETECTION: SimDuration = SimDuration::from_secs(60);

/// Time to swap a part: *assumed* log-normal, median 8 hours (spares on
/// site, a technician's shift), sigma 1 (a long tail of RMAs).
const PART_SWAP: RepairTime = RepairTime::Lognormal {
    median: SimDuration::from_secs(8 * 3_600),
    sigma: 1.0,
};

/// Time to reboot or service a node in place: *assumed* log-normal,
/// median 2 hours, sigma 1.
const NODE_SERVICE: RepairTime = RepairTime::Lognormal {
    median: SimDuration::from_secs(2 * 3_600),
    sigma: 1.0,
};

/// Table 5 of the Llama 3 paper: the 419 unexpected interruptions of the
/// 54 days, by root cause, with the component each is counted per.
/// "Network switch/cable" (35) is counted per node: the paper does not
/// split switches from cables, the affected job fails either way, and a
/// preset must apply without a fabric (see the module's invariants).
const LLAMA3_TABLE_5: [(&str, u32, Target, Handling); 18] = [
    ("faulty-gpu", 148, Target::Gpu, Handling::ReplacePart),
    ("gpu-hbm3", 72, Target::Gpu, Handling::ReplacePart),
    (
        "software-bug",
        54,
        Target::Job,
        Handling::JobOnly {
            detection: CRASH_DETECTION,
        },
    ),
    ("network-switch-cable", 35, Target::Node, Handling::Reboot),
    ("host-maintenance", 32, Target::Node, Handling::Reboot),
    ("gpu-sram", 19, Target::Gpu, Handling::ReplacePart),
    // GSP errors clear with a GPU reset (assumed).
    ("gpu-system-processor", 17, Target::Gpu, Handling::Reboot),
    ("nic", 7, Target::Nic, Handling::ReplacePart),
    (
        "nccl-watchdog",
        7,
        Target::Job,
        Handling::JobOnly {
            detection: NCCL_WATCHDOG_TIMEOUT,
        },
    ),
    // The GPU found corrupting data is taken out of service (assumed).
    (
        "silent-data-corruption",
        6,
        Target::Gpu,
        Handling::ReplacePart,
    ),
    // The cooling fault is fixed, the GPU stays (assumed).
    ("gpu-thermal", 6, Target::Gpu, Handling::Reboot),
    ("ssd", 3, Target::Node, Handling::ReplacePart),
    ("power-supply", 3, Target::Node, Handling::ReplacePart),
    ("chassis", 2, Target::Node, Handling::ReplacePart),
    ("io-board", 2, Target::Node, Handling::ReplacePart),
    (
        "dependency",
        2,
        Target::Job,
        Handling::JobOnly {
            detection: CRASH_DETECTION,
        },
    ),
    ("cpu", 2, Target::Node, Handling::ReplacePart),
    ("system-memory", 2, Target::Node, Handling::ReplacePart),
];

/// Components of the Llama 3 cluster a class's count is spread over:
/// GPUs, NICs, nodes, or nodes held by the job (the 405B job held the
/// whole cluster).
fn llama3_components(target: Target) -> f64 {
    match target {
        Target::Gpu => LLAMA3_NODES * LLAMA3_GPUS_PER_NODE,
        Target::Nic => LLAMA3_NODES * LLAMA3_NICS_PER_NODE,
        Target::Node | Target::Job => LLAMA3_NODES,
        Target::Link | Target::LeafSwitch | Target::SpineSwitch => {
            unreachable!("the Llama 3 preset strikes no fabric component")
        }
    }
}

/// Each Table 5 count as an exponential rate per component:
/// `count / (components × 54 days)`, so that the expected count over the
/// paper's exposure is the paper's count.
fn llama3_h100() -> Vec<FailureClass> {
    LLAMA3_TABLE_5
        .iter()
        .map(|&(name, count, target, handling)| {
            let exposure_ns = llama3_components(target) * LLAMA3_DAYS * NS_PER_DAY;
            let lifetime = Lifetime::Exponential {
                mean_ns: exposure_ns / f64::from(count),
            };
            let (detection, repair) = match handling {
                Handling::ReplacePart => (
                    HARDWARE_DETECTION,
                    Repair {
                        time: PART_SWAP,
                        action: RepairAction::Replace,
                    },
                ),
                Handling::Reboot => (
                    HARDWARE_DETECTION,
                    Repair {
                        time: NODE_SERVICE,
                        action: RepairAction::Reboot,
                    },
                ),
                // No node goes down, so nothing is repaired; the restart
                // overhead is the job's cost.
                Handling::JobOnly { detection } => (
                    detection,
                    Repair {
                        time: RepairTime::Fixed(SimDuration::ZERO),
                        action: RepairAction::Reboot,
                    },
                ),
            };
            FailureClass {
                nodes: None,
                notice: SimDuration::ZERO,
                name: name.to_string(),
                target,
                kind: ClassKind::Unexpected { lifetime, repair },
                detection,
            }
        })
        .collect()
}

/// One node-level exponential class at `per_1000_node_days` failures per
/// 1,000 node-days. Detection as for hardware (assumed 5 minutes); the
/// node is serviced in place (assumed log-normal, median 2 hours): the
/// paper gives no repair time.
fn meta_rsc_node(name: &str, per_1000_node_days: f64) -> FailureClass {
    FailureClass {
        nodes: None,
        notice: SimDuration::ZERO,
        name: name.to_string(),
        target: Target::Node,
        kind: ClassKind::Unexpected {
            lifetime: Lifetime::Exponential {
                mean_ns: 1_000.0 / per_1000_node_days * NS_PER_DAY,
            },
            repair: Repair {
                time: NODE_SERVICE,
                action: RepairAction::Reboot,
            },
        },
        detection: HARDWARE_DETECTION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_ns(class: &FailureClass) -> f64 {
        match class.kind {
            ClassKind::Unexpected { lifetime, .. } => lifetime.mean_ns(),
            ClassKind::Planned(_) => panic!("{} is planned", class.name),
        }
    }

    /// Expected failures of a class over the paper's 54 days on 2,048
    /// nodes × 8 GPUs × 8 NICs.
    fn expected_over_54_days(class: &FailureClass) -> f64 {
        let components = match class.target {
            Target::Gpu => 2_048.0 * 8.0,
            Target::Nic => 2_048.0 * 8.0,
            Target::Node | Target::Job => 2_048.0,
            other => panic!("unexpected target {other:?}"),
        };
        components * 54.0 * 86_400e9 / mean_ns(class)
    }

    #[test]
    fn llama3_reproduces_table_5() {
        let classes = preset("llama3-h100").unwrap();
        assert_eq!(classes.len(), 18);
        let total: f64 = classes.iter().map(expected_over_54_days).sum();
        assert!((total - 419.0).abs() <= 1e-9 * 419.0, "{total}");
        let gpu: f64 = (classes.iter())
            .filter(|c| c.target == Target::Gpu)
            .map(expected_over_54_days)
            .sum();
        // 148 + 72 + 19 + 17 + 6 + 6 (faulty GPU, HBM3, SRAM, GSP, SDC,
        // thermal).
        assert!((gpu - 268.0).abs() <= 1e-9 * 268.0, "{gpu}");
        let faulty = classes.iter().find(|c| c.name == "faulty-gpu").unwrap();
        assert!((expected_over_54_days(faulty) - 148.0).abs() < 1e-9 * 148.0);
        // 16,384 × 54 d / 148 = 5,978.4 d per GPU: the "16.4y" MTBF.
        assert!((mean_ns(faulty) / 86_400e9 / 365.0 - 16.38).abs() < 0.01);
    }

    #[test]
    fn preset_class_names_are_unique_and_kebab_case() {
        for name in PRESETS {
            let classes = preset(name).unwrap();
            for (i, c) in classes.iter().enumerate() {
                assert!(
                    (c.name.chars())
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                    "{}",
                    c.name
                );
                assert!(classes[..i].iter().all(|o| o.name != c.name), "{}", c.name);
                assert!(mean_ns(c).is_finite() && mean_ns(c) > 0.0);
                assert!(!matches!(
                    c.target,
                    Target::Link | Target::LeafSwitch | Target::SpineSwitch
                ));
            }
        }
        assert!(preset("llama3").is_none());
    }

    #[test]
    fn meta_rsc_rates_are_the_papers() {
        for (name, per_1000) in [("meta-rsc1", 6.50), ("meta-rsc2", 2.34)] {
            let classes = preset(name).unwrap();
            assert_eq!(classes.len(), 1);
            assert_eq!(classes[0].target, Target::Node);
            let per_node_day = 86_400e9 / mean_ns(&classes[0]);
            let want = per_1000 / 1_000.0;
            assert!((per_node_day - want).abs() <= 1e-12 * want, "{name}");
        }
        // MTBF of one RSC-1 node: 1000 / 6.5 = 153.8 days.
        let rsc1 = &preset("meta-rsc1").unwrap()[0];
        assert!((mean_ns(rsc1) / 86_400e9 - 153.846).abs() < 1e-3);
    }
}
