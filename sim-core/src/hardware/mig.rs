//! Multi-Instance GPU (MIG): the slices a GPU can be cut into, and where
//! each slice may sit.
//!
//! A MIG-capable GPU has eight memory slices (four on the A30) and seven
//! compute slices (four). A GPU instance of a profile occupies a run of
//! consecutive memory slices starting at one of the profile's allowed
//! placements, and two instances never overlap (NVML: "A created GPU
//! instance occupies memory slices described by its placement. Creation of
//! new GPU instance will fail if there is overlap with the already
//! occupied memory slices", `nvmlDeviceGetGpuInstancePossiblePlacements_v2`).
//! The profiles, their fractions and their placements are NVIDIA's
//! (MIG User Guide, "Supported MIG Profiles",
//! <https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html>,
//! and `nvidia-smi mig -lgipp`, which prints them as `{starts}:size`):
//!
//! | profile (A100 40GB / 80GB and H100 80GB / H200 141GB / B200) | SMs | memory slices | placements |
//! | --- | --- | --- | --- |
//! | 1g.5gb / 1g.10gb / 1g.18gb / 1g.23gb | 1/7 | 1 | {0,1,2,3,4,5,6}:1 |
//! | 1g.10gb / 1g.20gb / 1g.35gb / 1g.45gb | 1/7 | 2 | {0,2,4,6}:2 |
//! | 2g.10gb / 2g.20gb / 2g.35gb / 2g.45gb | 2/7 | 2 | {0,2,4}:2 |
//! | 3g.20gb / 3g.40gb / 3g.71gb / 3g.90gb | 3/7 | 4 | {0,4}:4 |
//! | 4g.20gb / 4g.40gb / 4g.71gb / 4g.90gb | 4/7 | 4 | {0}:4 |
//! | 7g.40gb / 7g.80gb / 7g.141gb / 7g.180gb | 7/7 | 8 | {0}:8 |
//!
//! (The `+me` media-extension variants take the same slices and are not
//! listed.) The A30's profiles are 1g.6gb {0,1,2,3}:1, 2g.12gb {0,2}:2 and
//! 4g.24gb {0}:4 over four slices.
//!
//! The geometry of a GPU is dynamic here: any free placement may be taken,
//! as if the MIG manager re-partitioned an idle part of the GPU at no cost.
//! Real clusters configure a fixed layout per node (the GPU operator's
//! `mig.strategy` and `mig-parted` configs); a fixed layout is a subset of
//! what is modelled, so the model is an upper bound on what MIG packs.
//!
//! Invariants: a profile's placements lie inside the GPU's slices; an
//! occupied mask only ever holds the slices of non-overlapping instances
//! (`place` returns a start only where the whole run is free).

/// One MIG profile of one GPU family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigProfile {
    /// NVIDIA's name, e.g. `"3g.40gb"`.
    pub name: &'static str,
    /// Compute slices (of [`MigGeometry::compute_slices`]).
    pub compute_slices: u8,
    /// Consecutive memory slices it occupies.
    pub memory_slices: u8,
    /// The memory slices it may start at.
    pub starts: &'static [u8],
    /// Its memory in GiB as the name says (decimal GB in the name).
    pub memory_gb: u16,
}

impl MigProfile {
    /// The mask of the memory slices it occupies when it starts at `start`.
    pub fn mask_at(&self, start: u8) -> u8 {
        let run = ((1u16 << self.memory_slices) - 1) as u8;
        run << start
    }
}

/// The MIG profile table a GPU model has (none for GPUs without MIG).
/// Written (`catalog --format json`) as its profiles' names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MigGeometry {
    #[default]
    None,
    /// A100 40GB.
    A100_40GB,
    /// A100 80GB, A800 80GB, H100 80GB and H800 80GB (same slices).
    Gb80,
    /// H200 141GB.
    H200,
    /// B200 (180 GB usable).
    B200,
    /// A30 24GB (four slices).
    A30,
}

impl serde::Serialize for MigGeometry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.profiles().iter().map(|p| p.name))
    }
}

const SEVEN: &[u8] = &[0, 1, 2, 3, 4, 5, 6];
const EVEN4: &[u8] = &[0, 2, 4, 6];
const EVEN3: &[u8] = &[0, 2, 4];
const HALVES: &[u8] = &[0, 4];
const FIRST: &[u8] = &[0];

macro_rules! family {
    ($one:expr, $one_big:expr, $two:expr, $three:expr, $four:expr, $seven:expr, $m:expr) => {
        &[
            MigProfile {
                name: $one,
                compute_slices: 1,
                memory_slices: 1,
                starts: SEVEN,
                memory_gb: $m[0],
            },
            MigProfile {
                name: $one_big,
                compute_slices: 1,
                memory_slices: 2,
                starts: EVEN4,
                memory_gb: $m[1],
            },
            MigProfile {
                name: $two,
                compute_slices: 2,
                memory_slices: 2,
                starts: EVEN3,
                memory_gb: $m[1],
            },
            MigProfile {
                name: $three,
                compute_slices: 3,
                memory_slices: 4,
                starts: HALVES,
                memory_gb: $m[2],
            },
            MigProfile {
                name: $four,
                compute_slices: 4,
                memory_slices: 4,
                starts: FIRST,
                memory_gb: $m[2],
            },
            MigProfile {
                name: $seven,
                compute_slices: 7,
                memory_slices: 8,
                starts: FIRST,
                memory_gb: $m[3],
            },
        ]
    };
}

#[rustfmt::skip]
const A100_40GB: &[MigProfile] =
    family!("1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb", [5, 10, 20, 40]);
#[rustfmt::skip]
const GB80: &[MigProfile] =
    family!("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb", [10, 20, 40, 80]);
#[rustfmt::skip]
const H200: &[MigProfile] =
    family!("1g.18gb", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb", [18, 35, 71, 141]);
#[rustfmt::skip]
const B200: &[MigProfile] =
    family!("1g.23gb", "1g.45gb", "2g.45gb", "3g.90gb", "4g.90gb", "7g.180gb", [23, 45, 90, 180]);
#[rustfmt::skip]
const A30: &[MigProfile] = &[
    MigProfile { name: "1g.6gb", compute_slices: 1, memory_slices: 1, starts: &[0, 1, 2, 3], memory_gb: 6 },
    MigProfile { name: "2g.12gb", compute_slices: 2, memory_slices: 2, starts: &[0, 2], memory_gb: 12 },
    MigProfile { name: "4g.24gb", compute_slices: 4, memory_slices: 4, starts: FIRST, memory_gb: 24 },
];

impl MigGeometry {
    /// Every geometry with MIG.
    pub const ALL: [MigGeometry; 5] = [
        MigGeometry::A100_40GB,
        MigGeometry::Gb80,
        MigGeometry::H200,
        MigGeometry::B200,
        MigGeometry::A30,
    ];

    /// Its profiles, smallest first (empty without MIG).
    pub fn profiles(self) -> &'static [MigProfile] {
        match self {
            MigGeometry::None => &[],
            MigGeometry::A100_40GB => A100_40GB,
            MigGeometry::Gb80 => GB80,
            MigGeometry::H200 => H200,
            MigGeometry::B200 => B200,
            MigGeometry::A30 => A30,
        }
    }

    /// Compute slices of the whole GPU (7; 4 on the A30).
    pub fn compute_slices(self) -> u8 {
        if self == MigGeometry::A30 { 4 } else { 7 }
    }

    /// Memory slices of the whole GPU (8; 4 on the A30).
    pub fn memory_slices(self) -> u8 {
        if self == MigGeometry::A30 { 4 } else { 8 }
    }

    /// The profile called `name`.
    pub fn profile(self, name: &str) -> Option<&'static MigProfile> {
        self.profiles().iter().find(|p| p.name == name)
    }

    /// Where `profile` can start on a GPU whose occupied memory slices are
    /// `occupied`: the first free placement, or `None`.
    pub fn place(profile: &MigProfile, occupied: u8) -> Option<u8> {
        profile
            .starts
            .iter()
            .copied()
            .find(|&s| profile.mask_at(s) & occupied == 0)
    }
}

/// Every profile name any geometry has, in a fixed order: a job's MIG
/// request is an index into this list ([`crate::workload::GpuShare::Mig`]),
/// and the GPU it lands on looks the name up in its own geometry (the
/// same name may have other slices on another family: an A100 40GB's
/// 1g.10gb takes two memory slices, an H100's one).
pub const MIG_NAMES: &[&str] = &[
    "1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb", "1g.20gb", "2g.20gb",
    "3g.40gb", "4g.40gb", "7g.80gb", "1g.18gb", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb",
    "7g.141gb", "1g.23gb", "1g.45gb", "2g.45gb", "3g.90gb", "4g.90gb", "7g.180gb", "1g.6gb",
    "2g.12gb", "4g.24gb",
];

/// The index of `name` in [`MIG_NAMES`].
pub fn name_index(name: &str) -> Option<u8> {
    MIG_NAMES.iter().position(|&n| n == name).map(|i| i as u8)
}

/// The geometries that have a profile called `name`.
pub fn geometries_with(name: &str) -> impl Iterator<Item = MigGeometry> + '_ {
    MigGeometry::ALL
        .into_iter()
        .filter(move |g| g.profile(name).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many instances of `p` an empty GPU takes, placed one after
    /// another.
    fn instances(p: &MigProfile) -> u32 {
        let mut occupied = 0u8;
        let mut n = 0;
        while let Some(s) = MigGeometry::place(p, occupied) {
            occupied |= p.mask_at(s);
            n += 1;
        }
        n
    }

    /// The MIG User Guide's tables: on an A100 40GB seven 1g.5gb, four
    /// 1g.10gb, three 2g.10gb, two 3g.20gb, one 4g.20gb, one 7g.40gb; on an
    /// A30 four 1g.6gb, two 2g.12gb, one 4g.24gb.
    #[test]
    fn instance_counts_match_nvidias_table() {
        for (g, counts) in [
            (MigGeometry::A100_40GB, &[7, 4, 3, 2, 1, 1][..]),
            (MigGeometry::A30, &[4, 2, 1][..]),
        ] {
            for (p, &want) in g.profiles().iter().zip(counts) {
                assert_eq!(instances(p), want, "{}", p.name);
            }
        }
    }

    /// A 4g at 0 leaves room for one 3g (at 4) and not a second 4g; a 3g
    /// at 4 blocks the 7g.
    #[test]
    fn placements_follow_the_geometry() {
        let g = MigGeometry::Gb80;
        let four = g.profile("4g.40gb").unwrap();
        let three = g.profile("3g.40gb").unwrap();
        let occupied = four.mask_at(MigGeometry::place(four, 0).unwrap());
        assert_eq!(MigGeometry::place(four, occupied), None);
        assert_eq!(MigGeometry::place(three, occupied), Some(4));
        let seven = g.profile("7g.80gb").unwrap();
        assert_eq!(MigGeometry::place(seven, three.mask_at(4)), None);
        for g in MigGeometry::ALL {
            for p in g.profiles() {
                assert!(name_index(p.name).is_some(), "{} missing", p.name);
            }
        }
        assert_eq!(geometries_with("1g.10gb").count(), 2);
    }
}
