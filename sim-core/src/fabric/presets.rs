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

use std::fmt;
use std::str::FromStr;

use crate::units::Bandwidth;

use super::FabricError;

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
}

impl LinkPreset {
    pub const IB_HDR: LinkPreset = LinkPreset {
        name: "ib-hdr",
        description: "InfiniBand HDR 200 Gb/s (Quantum QM8700, 40 ports)",
        data_rate: Bandwidth::gbps(200),
        switch_latency_ns: 130,
        nic_latency_ns: 500,
        switch_radix: 40,
    };
    pub const IB_NDR: LinkPreset = LinkPreset {
        name: "ib-ndr",
        description: "InfiniBand NDR 400 Gb/s (Quantum-2 QM9700, 64 ports)",
        data_rate: Bandwidth::gbps(400),
        switch_latency_ns: 130,
        nic_latency_ns: 500,
        switch_radix: 64,
    };
    pub const IB_XDR: LinkPreset = LinkPreset {
        name: "ib-xdr",
        description: "InfiniBand XDR 800 Gb/s (Quantum-X800, 144 ports)",
        data_rate: Bandwidth::gbps(800),
        switch_latency_ns: 130,
        nic_latency_ns: 500,
        switch_radix: 144,
    };
    pub const ROCE_400G: LinkPreset = LinkPreset {
        name: "roce-400g",
        description: "RoCE 400 GbE, Spectrum-X (Spectrum-4 SN5600, 128 ports of 400G)",
        data_rate: Bandwidth::gbps(400),
        switch_latency_ns: 500,
        nic_latency_ns: 500,
        switch_radix: 128,
    };
    pub const ROCE_200G: LinkPreset = LinkPreset {
        name: "roce-200g",
        description: "RoCE 200 GbE (Spectrum-3 class, 64 ports of 200G)",
        data_rate: Bandwidth::gbps(200),
        switch_latency_ns: 500,
        nic_latency_ns: 500,
        switch_radix: 64,
    };

    /// Every preset, in the order error messages list them.
    pub const ALL: [LinkPreset; 5] = [
        LinkPreset::IB_HDR,
        LinkPreset::IB_NDR,
        LinkPreset::IB_XDR,
        LinkPreset::ROCE_400G,
        LinkPreset::ROCE_200G,
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
    /// than Ethernet/RoCE (hashed ECMP).
    pub fn is_infiniband(&self) -> bool {
        self.name.starts_with("ib-")
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
        for name in ["ib-hdr", "ib-ndr", "ib-xdr", "roce-400g", "roce-200g"] {
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
    }
}
