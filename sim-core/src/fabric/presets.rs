//! Link presets: the data rate and latencies of a fabric technology,
//! chosen by name from a scenario (`"ib-ndr"`, `"roce-400g"`, ...).
//!
//! Rates are the nominal per-direction data rates (line encoding already
//! deducted, packet headers not: InfiniBand's ~2-3 % header overhead is
//! left to the collective layer's calibration against nccl-tests).
//! Latencies are per device: `switch_latency_ns` is one switch's
//! port-to-port (cut-through) latency, `nic_latency_ns` one NIC's share of
//! the host-to-host latency (a NIC is crossed twice end to end, so a
//! one-switch path costs `2 * nic + switch`, about 1 µs as RDMA
//! microbenchmarks over one switch report).
//!
//! Sources, and which figures are estimates:
//! - NVIDIA Quantum-2 (NDR, QM9700: 64 ports of 400 Gb/s, 51.2 Tb/s): a
//!   reseller's summary of the datasheet quotes port-to-port latency
//!   "under 150 nanoseconds"
//!   (<https://www.router-switch.com/faq/nvidia-quantum-2-qm9700-vs-spectrum-4-sn5400.html>);
//!   we use 130 ns. Another summary quotes ~330 ns
//!   (<https://yobitel.com/knowledge-base/nvidia-quantum-2>), so treat the
//!   figure as an estimate in the 100-350 ns range.
//! - NVIDIA Quantum (HDR, QM8700: 40 ports of 200 Gb/s): 130 ns is the
//!   figure commonly quoted for the Quantum ASIC; an estimate, not checked
//!   against a datasheet here.
//! - NVIDIA Quantum-X800 (XDR, 800 Gb/s, 144 ports): no published
//!   port-to-port figure found; estimate 130 ns, as Quantum-2.
//! - NVIDIA Spectrum-4 (SN5600, 64 ports of 800 GbE or 128 of 400 GbE,
//!   51.2 Tb/s, used by Spectrum-X; <https://probsee.com/p/NVIDIA_Spectrum_SN5600>):
//!   no latency figure found; store-and-forward-capable Ethernet ASICs with
//!   deep buffers sit at several hundred ns, estimate 500 ns.
//! - RoCE 200G (Spectrum-3 class, SN4700: 32 ports of 400 GbE or 64 of
//!   200 GbE): estimate 500 ns.
//! - NIC latency (ConnectX-6/7, BlueField-3): estimate 500 ns per NIC, so
//!   ~1.1 µs host to host over one IB switch.
//! - AWS EFA (Elastic Fabric Adapter). Rates per network card, from the
//!   EC2 User Guide's EFA pages ("Maximize network bandwidth on Amazon EC2
//!   instances with multiple network cards", docs.aws.amazon.com/AWSEC2/
//!   latest/UserGuide/efa-acc-inst-types.html: a P5 takes 32 EFA
//!   interfaces) and the instance-type pages: p4d.24xlarge 400 Gbps as 4
//!   cards of 100 Gbps (EFA v1), p5.48xlarge 3,200 Gbps as 32 of 100 Gbps
//!   (EFA v2), p5en.48xlarge 3,200 Gbps as 16 of 200 Gbps (EFA v3; 16 EFA
//!   devices, as torchx's named resources list them, meta-pytorch/torchx
//!   PR #995). The per-card split was not checked against a stored copy
//!   of the instance-type page. Latency: AWS publishes no per-hop figure;
//!   EFA's SRD transport runs in the Nitro card and a one-way small
//!   message takes ~15 µs through libfabric (a commonly reported
//!   nccl-tests/OSU order of magnitude, not a measurement here): estimate
//!   5 µs per NIC and 1 µs per switch, so ~12 µs host to host over three
//!   switch tiers.
//! - NVIDIA Spectrum-X 800G: Spectrum-4 SN5600 switches, 64 ports of 800
//!   GbE (51.2 Tb/s; the same source as Spectrum-4 above), and
//!   ConnectX-8 / BlueField-3 SuperNICs at 800 Gb/s ("NVIDIA Spectrum-X
//!   Ethernet", nvidia.com/en-us/networking/spectrumx/; not re-checked
//!   against a stored copy). Latencies as Spectrum-4 above (estimates).
//!
//! Routing (see [`PresetRouting`]): InfiniBand's subnet manager routes by
//! destination (D-mod-k on fat-trees); plain RoCE hashes each flow onto
//! one of the equal-cost paths, so flows collide. EFA is not InfiniBand:
//! its SRD transport sprays each flow's packets over many ECMP paths and
//! reorders at the receiver; Spectrum-X's adaptive routing likewise
//! spreads packets by switch-port load, with the SuperNIC reordering. The
//! flow model gives a flow one path, so it cannot split a flow: both are
//! approximated by destination routing, which spreads a leaf's flows over
//! its uplinks without hash collisions (what spraying achieves on average)
//! but neither splits one elephant flow nor reacts to load.

use std::fmt;
use std::str::FromStr;

use crate::units::Bandwidth;

use super::FabricError;

/// How a fabric of this technology picks a path among equal-cost ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetRouting {
    /// By destination, deterministically (InfiniBand's D-mod-k; also the
    /// approximation of packet spraying: EFA SRD, Spectrum-X).
    Destination,
    /// A hash of the flow picks one path (RoCE ECMP): flows may collide.
    FlowHash,
}

/// A fabric technology: rates and latencies of its links and switches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkPreset {
    /// The scenario spelling, e.g. `"ib-ndr"`.
    pub name: &'static str,
    pub description: &'static str,
    /// Per-direction data rate of one port.
    pub data_rate: Bandwidth,
    /// One switch's port-to-port latency.
    pub switch_latency_ns: u64,
    /// One NIC's share of host-to-host latency.
    pub nic_latency_ns: u64,
    /// Ports of the typical switch of this generation at this rate.
    pub switch_radix: u32,
    pub routing: PresetRouting,
}

impl LinkPreset {
    pub const IB_HDR: LinkPreset = LinkPreset {
        name: "ib-hdr",
        description: "InfiniBand HDR 200 Gb/s (Quantum QM8700, 40 ports)",
        data_rate: Bandwidth::gbps(200),
        switch_latency_ns: 130,
        nic_latency_ns: 500,
        switch_radix: 40,
        routing: PresetRouting::Destination,
    };
    pub const IB_NDR: LinkPreset = LinkPreset {
        name: "ib-ndr",
        description: "InfiniBand NDR 400 Gb/s (Quantum-2 QM9700, 64 ports)",
        data_rate: Bandwidth::gbps(400),
        switch_latency_ns: 130,
        nic_latency_ns: 500,
        switch_radix: 64,
        routing: PresetRouting::Destination,
    };
    pub const IB_XDR: LinkPreset = LinkPreset {
        name: "ib-xdr",
        description: "InfiniBand XDR 800 Gb/s (Quantum-X800, 144 ports)",
        data_rate: Bandwidth::gbps(800),
        switch_latency_ns: 130,
        nic_latency_ns: 500,
        switch_radix: 144,
        routing: PresetRouting::Destination,
    };
    pub const ROCE_400G: LinkPreset = LinkPreset {
        name: "roce-400g",
        description: "RoCE 400 GbE, Spectrum-X (Spectrum-4 SN5600, 128 ports of 400G)",
        data_rate: Bandwidth::gbps(400),
        switch_latency_ns: 500,
        nic_latency_ns: 500,
        switch_radix: 128,
        routing: PresetRouting::FlowHash,
    };
    pub const ROCE_200G: LinkPreset = LinkPreset {
        name: "roce-200g",
        description: "RoCE 200 GbE (Spectrum-3 class, 64 ports of 200G)",
        data_rate: Bandwidth::gbps(200),
        switch_latency_ns: 500,
        nic_latency_ns: 500,
        switch_radix: 64,
        routing: PresetRouting::FlowHash,
    };

    pub const EFA_V2: LinkPreset = LinkPreset {
        name: "efa-v2",
        description: "AWS EFA v2, 100 Gb/s per network card (p5.48xlarge: 32 cards), SRD",
        data_rate: Bandwidth::gbps(100),
        switch_latency_ns: 1_000,
        nic_latency_ns: 5_000,
        // AWS does not publish its switches; a 64-port tier is assumed.
        switch_radix: 64,
        routing: PresetRouting::Destination,
    };
    pub const EFA_V3: LinkPreset = LinkPreset {
        name: "efa-v3",
        description: "AWS EFA v3, 200 Gb/s per network card (p5en.48xlarge: 16 cards), SRD",
        data_rate: Bandwidth::gbps(200),
        switch_latency_ns: 1_000,
        nic_latency_ns: 5_000,
        switch_radix: 64,
        routing: PresetRouting::Destination,
    };
    pub const SPECTRUM_X_800G: LinkPreset = LinkPreset {
        name: "spectrum-x-800g",
        description: "NVIDIA Spectrum-X 800 GbE (Spectrum-4 SN5600, 64 ports; ConnectX-8 SuperNIC), adaptive routing",
        data_rate: Bandwidth::gbps(800),
        switch_latency_ns: 500,
        nic_latency_ns: 500,
        switch_radix: 64,
        routing: PresetRouting::Destination,
    };

    /// Every preset, in the order error messages list them.
    pub const ALL: [LinkPreset; 8] = [
        LinkPreset::IB_HDR,
        LinkPreset::IB_NDR,
        LinkPreset::IB_XDR,
        LinkPreset::ROCE_400G,
        LinkPreset::ROCE_200G,
        LinkPreset::EFA_V2,
        LinkPreset::EFA_V3,
        LinkPreset::SPECTRUM_X_800G,
    ];

    /// The preset's names, for help texts.
    pub fn names() -> impl Iterator<Item = &'static str> {
        LinkPreset::ALL.iter().map(|p| p.name)
    }

    /// The preset called `name` (case-insensitive).
    pub fn by_name(name: &str) -> Result<LinkPreset, FabricError> {
        LinkPreset::ALL
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = LinkPreset::names().collect();
                FabricError::new(
                    format!("unknown link preset `{name}`"),
                    format!("use one of {}", names.join(", ")),
                )
            })
    }

    /// InfiniBand (routed per destination by the subnet manager) rather
    /// than Ethernet (RoCE, Spectrum-X) or EFA.
    pub fn is_infiniband(&self) -> bool {
        self.name.starts_with("ib-")
    }

    /// Whether paths are picked by destination (InfiniBand, and the
    /// spraying fabrics approximated so) rather than by a flow hash.
    pub fn is_destination_routed(&self) -> bool {
        self.routing == PresetRouting::Destination
    }

    /// Per-direction data rate in bytes per second.
    pub fn bytes_per_s(&self) -> f64 {
        self.data_rate.bytes_per_s_f64()
    }
}

impl Default for LinkPreset {
    /// NDR InfiniBand, what DGX H100 SuperPODs use.
    fn default() -> Self {
        LinkPreset::IB_NDR
    }
}

impl FromStr for LinkPreset {
    type Err = FabricError;
    fn from_str(s: &str) -> Result<Self, FabricError> {
        LinkPreset::by_name(s)
    }
}

impl fmt::Display for LinkPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_preset() {
        for p in LinkPreset::ALL {
            assert_eq!(p.name.parse::<LinkPreset>().unwrap(), p);
            assert_eq!(p.to_string(), p.name);
        }
        assert_eq!("IB-NDR".parse::<LinkPreset>().unwrap(), LinkPreset::IB_NDR);
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        let err = "ib-edr".parse::<LinkPreset>().unwrap_err();
        assert!(err.message.contains("ib-edr"));
        for name in [
            "ib-hdr",
            "ib-ndr",
            "ib-xdr",
            "roce-400g",
            "roce-200g",
            "efa-v2",
            "efa-v3",
            "spectrum-x-800g",
        ] {
            assert!(err.fix.contains(name), "{} misses {name}", err.fix);
        }
    }

    #[test]
    fn rates_are_the_generation_rates() {
        // IBTA generations: HDR 200, NDR 400, XDR 800 Gb/s per 4x port.
        assert_eq!(LinkPreset::IB_HDR.bytes_per_s(), 25e9);
        assert_eq!(LinkPreset::IB_NDR.bytes_per_s(), 50e9);
        assert_eq!(LinkPreset::IB_XDR.bytes_per_s(), 100e9);
        assert_eq!(LinkPreset::ROCE_400G.bytes_per_s(), 50e9);
        assert_eq!(LinkPreset::ROCE_200G.bytes_per_s(), 25e9);
        // Ethernet switches are slower per hop than InfiniBand ones.
        const { assert!(LinkPreset::ROCE_400G.switch_latency_ns > LinkPreset::IB_NDR.switch_latency_ns) };
        // EFA per card: v2 100 Gb/s (p5: 32 cards = 3,200 Gb/s), v3 200
        // Gb/s (p5en: 16 cards = 3,200 Gb/s); Spectrum-X 800 GbE.
        assert_eq!(LinkPreset::EFA_V2.bytes_per_s() * 32.0 * 8.0, 3_200e9);
        assert_eq!(LinkPreset::EFA_V3.bytes_per_s() * 16.0 * 8.0, 3_200e9);
        assert_eq!(LinkPreset::SPECTRUM_X_800G.bytes_per_s(), 100e9);
    }

    #[test]
    fn routing_modes_follow_the_technology() {
        // InfiniBand by destination, plain RoCE by flow hash; EFA's SRD
        // spraying and Spectrum-X adaptive routing approximated by
        // destination routing (no hash collisions), and none of them is
        // InfiniBand.
        for p in LinkPreset::ALL {
            let sprays = matches!(p.name, "efa-v2" | "efa-v3" | "spectrum-x-800g");
            assert_eq!(
                p.is_destination_routed(),
                p.is_infiniband() || sprays,
                "{}",
                p.name
            );
            if sprays {
                assert!(!p.is_infiniband());
            }
        }
    }
}
