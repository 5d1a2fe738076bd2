//! Validation of the `fabric` section: builds the [`Fabric`] the run uses
//! and reports what cannot be built at the field that says so.

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::{Error, Issues};
use crate::collective::analytic::Choice;
use crate::collective::{Algorithm, Fidelity, Protocol};
use crate::fabric::{
    self, ErrorItem, ExplicitConfig, ExplicitLink, ExplicitSwitch, Fabric, FabricError,
    FatTreeConfig, HostLinks, LeafSpineConfig, LinkPreset, RailOptimizedConfig, SingleSwitchConfig,
};
use crate::hardware::Cluster;
use crate::scenario::Network;
use crate::units::Bandwidth;

/// Largest oversubscription accepted; beyond it the fabric is a typo.
const MAX_OVERSUBSCRIPTION: f64 = 64.0;

pub(super) fn build_network(
    section: Option<&file::Fabric>,
    cluster: Option<&Cluster>,
    issues: &mut Issues,
) -> Network {
    let Some(section) = section else {
        return Network::default();
    };
    let topology_path = "fabric.topology";
    // Explicit links' rates, read first so that a misspelt one is reported
    // even when nothing else can be built.
    let link_rates: Vec<Option<Bandwidth>> = match &section.topology {
        file::Topology::Explicit { links, .. } => {
            let rates: Vec<_> = links
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let link = index_path(&field_path(topology_path, "links"), i);
                    issues.optional(&field_path(&link, "bandwidth"), l.bandwidth.as_ref())
                })
                .collect();
            match rates.into_iter().collect() {
                Ok(rates) => rates,
                Err(_) => return Network::default(),
            }
        }
        _ => Vec::new(),
    };
    let collectives = match section.collectives.unwrap_or(file::Fidelity::Analytic) {
        file::Fidelity::Analytic => Fidelity::Analytic,
        file::Fidelity::Flow => Fidelity::Flow,
    };
    let preset = match section.links.as_deref() {
        None => LinkPreset::IB_NDR,
        Some(name) => match LinkPreset::by_name(name) {
            Ok(p) => p,
            Err(e) => {
                issues.error(Error {
                    path: "fabric.links",
                    message: &e.message,
                    found: &format!("\"{name}\""),
                    expected: "a link preset name",
                    fix: &e.fix,
                });
                return Network::default();
            }
        },
    };
    let host = HostLinks::default();
    let oversubscription = match &section.topology {
        file::Topology::LeafSpine {
            oversubscription, ..
        }
        | file::Topology::FatTree {
            oversubscription, ..
        }
        | file::Topology::RailOptimized {
            oversubscription, ..
        } => *oversubscription,
        _ => None,
    };
    if let Some(v) = oversubscription
        && !(v.is_finite() && (1.0..=MAX_OVERSUBSCRIPTION).contains(&v))
    {
        issues.error(Error {
            path: &field_path("fabric.topology", "oversubscription"),
            message: "the oversubscription ratio must be between 1 and 64",
            found: &v.to_string(),
            expected: "1.0 for 1:1, 2.0 for 2:1, ...",
            fix: "host ports over uplinks per leaf: use 1.0 for a non-blocking fabric",
        });
        return Network::default();
    }
    let pxn_level = section.p2p_pxn_level.unwrap_or(2);
    if pxn_level > 2 {
        issues.error(Error {
            path: "fabric.p2p_pxn_level",
            message: "NCCL_P2P_PXN_LEVEL is 0, 1 or 2",
            found: &pxn_level.to_string(),
            expected: "0 (never PXN), 1 or 2 (PXN, NCCL's default)",
            fix: "use 0 to turn PXN off (or pxn_disable: true), or drop the field for NCCL's default",
        });
        return Network::default();
    }
    let ratio = |v: Option<f64>| v.unwrap_or(1.0);
    let Some(cluster) = cluster else {
        return Network::default();
    };
    let built: Result<Fabric, FabricError> = match &section.topology {
        file::Topology::SingleSwitch => fabric::builders::single_switch(
            cluster,
            &SingleSwitchConfig {
                preset: preset.clone(),
                host,
            },
        ),
        file::Topology::LeafSpine {
            radix,
            oversubscription,
        } => fabric::builders::leaf_spine(
            cluster,
            &LeafSpineConfig {
                radix: radix.unwrap_or(preset.switch_radix),
                oversubscription: ratio(*oversubscription),
                preset: preset.clone(),
                host,
            },
        ),
        file::Topology::FatTree {
            k,
            oversubscription,
        } => fabric::builders::fat_tree(
            cluster,
            &FatTreeConfig {
                k: *k,
                oversubscription: ratio(*oversubscription),
                preset: preset.clone(),
                host,
            },
        ),
        file::Topology::RailOptimized {
            nodes_per_unit,
            radix,
            oversubscription,
        } => fabric::builders::rail_optimized(
            cluster,
            &RailOptimizedConfig {
                nodes_per_unit: nodes_per_unit.unwrap_or(32),
                radix: radix.unwrap_or(preset.switch_radix),
                oversubscription: ratio(*oversubscription),
                preset: preset.clone(),
                host,
            },
        ),
        file::Topology::Explicit { switches, links } => fabric::builders::explicit(
            cluster,
            &ExplicitConfig {
                switches: switches
                    .iter()
                    .map(|s| ExplicitSwitch {
                        name: s.name.clone(),
                        tier: s.tier,
                    })
                    .collect(),
                links: links
                    .iter()
                    .zip(link_rates)
                    .map(|(l, bandwidth)| ExplicitLink {
                        a: l.a.clone(),
                        b: l.b.clone(),
                        count: l.count.unwrap_or(1),
                        bandwidth,
                    })
                    .collect(),
                preset: preset.clone(),
                host,
            },
        ),
    };
    match built {
        Ok(fabric) => Network {
            fabric: Some(fabric),
            collectives,
            pxn: !section.pxn_disable.unwrap_or(false) && pxn_level != 0,
            collnet: section.sharp.unwrap_or(false),
            forced: Choice {
                algorithm: section.algorithm.map(|a| match a {
                    file::NcclAlgorithm::Ring => Algorithm::Ring,
                    file::NcclAlgorithm::Tree => Algorithm::Tree,
                    file::NcclAlgorithm::CollNetDirect => Algorithm::CollNetDirect,
                    file::NcclAlgorithm::CollNetChain => Algorithm::CollNetChain,
                    file::NcclAlgorithm::Nvls => Algorithm::Nvls,
                    file::NcclAlgorithm::NvlsTree => Algorithm::NvlsTree,
                    file::NcclAlgorithm::Pat => Algorithm::Pat,
                }),
                protocol: section.protocol.map(|p| match p {
                    file::NcclProtocol::Ll => Protocol::Ll,
                    file::NcclProtocol::Ll128 => Protocol::Ll128,
                    file::NcclProtocol::Simple => Protocol::Simple,
                }),
            },
        },
        Err(e) => {
            let path = match e.item {
                Some(ErrorItem::Switch(i)) => index_path(&field_path(topology_path, "switches"), i),
                Some(ErrorItem::Link(i)) => index_path(&field_path(topology_path, "links"), i),
                Some(ErrorItem::Setting(name)) => field_path(topology_path, name),
                None => topology_path.to_string(),
            };
            issues.error(Error {
                path: &path,
                message: &format!("this fabric cannot be built: {}", e.message),
                found: &topology_name(&section.topology),
                expected: "a buildable fabric",
                fix: &e.fix,
            });
            Network::default()
        }
    }
}

fn topology_name(t: &file::Topology) -> String {
    match t {
        file::Topology::SingleSwitch => "SingleSwitch",
        file::Topology::LeafSpine { .. } => "LeafSpine(...)",
        file::Topology::FatTree { .. } => "FatTree(...)",
        file::Topology::RailOptimized { .. } => "RailOptimized(...)",
        file::Topology::Explicit { .. } => "Explicit(...)",
    }
    .to_string()
}
