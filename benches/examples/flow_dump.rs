//! Dumps a max-min problem and clustersim's answer for an outside solver
//! (`scripts/simgrid/compare.sh` feeds it to SimGrid's).
//!
//! The problem is the one `benches/benches/fabric.rs` times: a k = 32
//! fat-tree on the InfiniBand NDR preset (D-mod-k routing, so the routes
//! are those an InfiniBand subnet manager's fat-tree engine gives, which
//! SimGrid's fat-tree zone also uses) with 10,000 flows between random
//! host pairs (`--k` and `--flows` change the size).
//!
//! Output (text, one record a line, `#` lines are comments):
//! - `links <n>` then `n` lines `<capacity bytes/s>` for the links the
//!   flows cross, renumbered densely in the order first crossed;
//! - `flows <m>` then `m` lines `<rate bytes/s> <hops> <link>...`, the
//!   rate being clustersim's max-min rate;
//! - `solve_ns <median> cpu_ns <mean>`: clustersim's time for one full
//!   recompute ([`FlowModel::recompute_all`]): the median wall time of 51,
//!   and their mean time on a CPU (Linux only), which other work on the
//!   machine disturbs less.
//!
//! Floats are written in Rust's shortest round-trip form, so the reader
//! gets the exact doubles.
//!
//! `cargo run --profile bench -p clustersim-benches --example flow_dump -- [--k 32] [--flows 10000] > dump.txt`

use std::io::{BufWriter, Write};
use std::time::Instant;

use clustersim_benches::{cpu_ns, loaded, random_paths};
use sim_core::engine::SimTime;
use sim_core::fabric::builders::fat_tree_hosts;
use sim_core::fabric::{FatTreeConfig, LinkId};

fn main() {
    let mut k = 32u32;
    let mut flows = 10_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse::<usize>().ok());
        match (a.as_str(), value) {
            ("--k", Some(v)) => k = v as u32,
            ("--flows", Some(v)) => flows = v,
            _ => {
                eprintln!("error: usage: flow_dump [--k <even number>] [--flows <count>]");
                std::process::exit(2);
            }
        }
    }
    let fabric = match fat_tree_hosts(&FatTreeConfig {
        k,
        ..FatTreeConfig::default()
    }) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: fat-tree k = {k}: {e}; pick an even k from 4 to 64");
            std::process::exit(2);
        }
    };
    // The benchmark's flows: the same stream, pairs and salts.
    let paths = random_paths(&fabric, flows, "bench.fabric.flows");
    let (mut model, ids) = loaded(&fabric, &paths);
    const RUNS: u32 = 51;
    let cpu_start = cpu_ns();
    let mut times: Vec<u128> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            model.recompute_all(SimTime::ZERO);
            start.elapsed().as_nanos()
        })
        .collect();
    let cpu_per_solve = cpu_ns()
        .zip(cpu_start)
        .map(|(b, a)| (b - a) / u64::from(RUNS));
    times.sort_unstable();

    let mut dense = vec![u32::MAX; fabric.link_count()];
    let mut used: Vec<LinkId> = Vec::new();
    for p in &paths {
        for &l in p {
            if dense[l.index()] == u32::MAX {
                dense[l.index()] = used.len() as u32;
                used.push(l);
            }
        }
    }
    let out = std::io::stdout().lock();
    let mut out = BufWriter::new(out);
    let mut write = || -> std::io::Result<()> {
        writeln!(
            out,
            "# clustersim flow_dump: k = {k} fat-tree (IB NDR, D-mod-k), {} hosts, {flows} flows",
            fabric.node_count()
        )?;
        writeln!(out, "links {}", used.len())?;
        for &l in &used {
            writeln!(out, "{:?}", model.link_capacity_bytes_per_s(l))?;
        }
        writeln!(out, "flows {}", ids.len())?;
        for (id, p) in ids.iter().zip(&paths) {
            write!(out, "{:?} {}", model.rate_bytes_per_s(*id), p.len())?;
            for l in p {
                write!(out, " {}", dense[l.index()])?;
            }
            writeln!(out)?;
        }
        write!(out, "solve_ns {}", times[times.len() / 2])?;
        match cpu_per_solve {
            Some(c) => writeln!(out, " cpu_ns {c}")?,
            None => writeln!(out)?,
        }
        out.flush()
    };
    if let Err(e) = write() {
        eprintln!("error: writing the dump: {e}");
        std::process::exit(1);
    }
}
