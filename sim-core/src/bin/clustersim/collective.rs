//! `clustersim collective`: an nccl-tests look-alike on a scenario's
//! cluster. Sweeps sizes like `all_reduce_perf -b 8 -e 16G -f 2` and
//! prints size, count, time, algbw and busbw with nccl-tests' definitions.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;

use sim_core::collective::analytic::{self, Choice, Links, Params};
use sim_core::collective::flows;
use sim_core::collective::sweep::{self, Row};
use sim_core::collective::{Algorithm, CollectiveOp, GroupShape, Protocol};
use sim_core::fabric;
use sim_core::hardware::NodeGroup;
use sim_core::text::escape_control;
use sim_core::units;

use super::{Failure, Format, Overrides, load_cluster, write_json};

/// `-b 8`, `-e 16G`: bytes as nccl-tests reads them.
fn nccl_bytes(text: &str) -> Result<u64, String> {
    units::parse_nccl_bytes(text)
        .map(|b| b.as_u64())
        .map_err(|e| format!("{} ({}); {}", escape_control(&e.found), e.expected, e.fix))
}

#[derive(Args)]
pub struct CollectiveArgs {
    /// The scenario whose cluster to use.
    scenario: PathBuf,
    #[command(flatten)]
    overrides: Overrides,
    /// The operation: all_reduce, all_gather, reduce_scatter, all_to_all,
    /// broadcast or sendrecv.
    #[arg(long, default_value = "all_reduce", value_parser = parse_op)]
    op: CollectiveOp,
    /// Nodes taking part (the first ones of the node group).
    #[arg(long, default_value_t = 1)]
    nodes: u32,
    /// GPUs taking part on each node [default: all of the node's].
    #[arg(long)]
    gpus_per_node: Option<u32>,
    /// The node group to run on [default: the first].
    #[arg(long)]
    group: Option<String>,
    /// Smallest size, nccl-tests style (K, M, G = powers of 1024).
    #[arg(short = 'b', long = "minbytes", default_value = "8", value_parser = nccl_bytes)]
    min_bytes: u64,
    /// Largest size.
    #[arg(short = 'e', long = "maxbytes", default_value = "16G", value_parser = nccl_bytes)]
    max_bytes: u64,
    /// Multiply the size by this factor from one line to the next.
    #[arg(short = 'f', long = "stepfactor", default_value_t = 2)]
    step_factor: u64,
    /// Or add this many bytes (used when the factor is 1).
    #[arg(short = 'i', long = "stepbytes", default_value = "0", value_parser = nccl_bytes)]
    step_bytes: u64,
    /// Force an algorithm as NCCL_ALGO does (ring, tree, collnetdirect,
    /// collnetchain, nvls, nvlstree, pat) [default: the scenario's
    /// `fabric.algorithm`, else the tuner's choice per size].
    #[arg(long, value_parser = parse_algorithm)]
    algo: Option<Algorithm>,
    /// Force a protocol (LL, LL128, Simple) as NCCL_PROTO does [default:
    /// the scenario's `fabric.protocol`, else the tuner's].
    #[arg(long, value_parser = parse_protocol)]
    proto: Option<Protocol>,
    /// analytic: NCCL's cost model; flow: the collective's flows on the
    /// scenario's fabric (a single non-blocking switch if it has none).
    #[arg(long, value_enum, default_value_t = Mode::Analytic)]
    mode: Mode,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    Analytic,
    Flow,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Analytic => "analytic",
            Mode::Flow => "flow",
        }
    }
}

fn parse_op(s: &str) -> Result<CollectiveOp, String> {
    s.parse()
}
fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse()
}
fn parse_protocol(s: &str) -> Result<Protocol, String> {
    s.parse()
}

pub fn run(args: CollectiveArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let loaded = load_cluster(&args.scenario, &args.overrides.args())?;
    let cluster = &loaded.scenario.cluster;
    let group = super::node_group(cluster, args.group.as_deref(), &args.scenario)?;
    let gpus_per_node = args.gpus_per_node.unwrap_or(group.gpus_per_node);
    if args.nodes == 0 || args.nodes > group.node_count {
        return Err(Failure::BadInput(format!(
            "--nodes {} does not fit node group `{}`, which has {} nodes; use 1 to {}",
            args.nodes,
            escape_control(&group.name),
            group.node_count,
            group.node_count
        )));
    }
    if gpus_per_node == 0 || gpus_per_node > group.gpus_per_node {
        return Err(Failure::BadInput(format!(
            "--gpus-per-node {gpus_per_node} does not fit `{}` nodes, which have {} GPUs; use 1 to {}",
            escape_control(&group.name),
            group.gpus_per_node,
            group.gpus_per_node
        )));
    }
    // A node here is an NVLink domain (one server, or the trays of an
    // NVL72 rack the group's first nodes fill).
    let domain_nodes = group.nvlink_domain_nodes().min(args.nodes);
    let shape = GroupShape {
        ranks: args.nodes * gpus_per_node,
        ranks_per_node: gpus_per_node * domain_nodes,
        concurrent_per_node: 1,
    };
    if args.op == CollectiveOp::SendRecv && shape.ranks != 2 {
        return Err(Failure::BadInput(format!(
            "sendrecv is between two GPUs, but --nodes {} --gpus-per-node {gpus_per_node} gives {}; use --nodes 2 --gpus-per-node 1 (across nodes) or --nodes 1 --gpus-per-node 2",
            args.nodes, shape.ranks
        )));
    }
    let network = &loaded.scenario.network;
    let nodes = group.first_node..group.first_node + args.nodes;
    let leaves = network.fabric.as_ref().map_or(1, |f| {
        f.leaf_groups()
            .iter()
            .filter(|l| l.nodes.iter().any(|n| nodes.contains(n)))
            .count() as u32
    });
    let links = network.links(Links::for_node_group(group), leaves);
    let params = Params::default();
    let choice = Choice {
        algorithm: args.algo.or(network.forced.algorithm),
        protocol: args.proto.or(network.forced.protocol),
    };
    if let Some(algorithm) = args.algo
        && !analytic::applies(args.op, algorithm, shape, &links)
    {
        return Err(Failure::BadInput(format!(
            "algorithm {algorithm} cannot run {} on {} node(s) × {gpus_per_node} {} GPU(s), as NCCL would not: tree and NVLS Tree are for all_reduce (NVLS Tree across nodes); NVLS needs NVLink SHARP and more than 2 GPUs per node (across nodes also SHARP switches, `sharp: true`); PAT one GPU per node; CollNet SHARP switches; broadcast, all_to_all and sendrecv run on rings",
            args.op,
            args.nodes,
            escape_control(&group.gpu_model.name)
        )));
    }
    let sizes = sweep::sizes(
        args.min_bytes,
        args.max_bytes,
        args.step_factor,
        args.step_bytes,
    )
    .map_err(Failure::BadInput)?;
    let single_switch;
    let fabric = match (&loaded.scenario.network.fabric, args.mode) {
        (_, Mode::Analytic) => None,
        (Some(fabric), Mode::Flow) => Some(fabric),
        (None, Mode::Flow) => {
            single_switch = fabric::builders::single_switch(cluster, &Default::default())
                .map_err(|e| Failure::BadInput(e.to_string()))?;
            Some(&single_switch)
        }
    };
    let ranks: Vec<flows::Rank> = (group.first_node..group.first_node + args.nodes)
        .flat_map(|node| (0..gpus_per_node).map(move |local| (node, local)))
        .collect();
    let rows: Vec<Row> = sizes
        .iter()
        .filter_map(|&size| {
            let mut e = analytic::estimate(args.op, size as f64, shape, &links, &params, choice)?;
            if let Some(fabric) = fabric {
                let plan = flows::plan(
                    flows::Call {
                        op: args.op,
                        algorithm: e.algorithm,
                        protocol: e.protocol,
                        size_bytes: size as f64,
                    },
                    &ranks,
                    fabric,
                    &links,
                    &params,
                );
                e.time_s = flows::time_alone(&plan, fabric, 0);
            }
            Some(Row::new(args.op, shape.ranks, size, e))
        })
        .collect();

    if args.format == Format::Json {
        let doc = serde_json::json!({
            "op": args.op,
            "group": group.name,
            "gpu": group.gpu_model.name,
            "nodes": args.nodes,
            "gpus_per_node": gpus_per_node,
            "ranks": shape.ranks,
            "mode": args.mode.name(),
            "rows": rows,
        });
        write_json(out, &doc)
    } else {
        write_table(out, &args, group, shape, gpus_per_node, &rows)
    }
    .map_err(Failure::stdout)
}

/// nccl-tests' own layout, column for column (so not `table::Table`).
fn write_table(
    out: &mut dyn Write,
    args: &CollectiveArgs,
    group: &NodeGroup,
    shape: GroupShape,
    gpus_per_node: u32,
    rows: &[Row],
) -> io::Result<()> {
    writeln!(
        out,
        "# clustersim collective: {} on {} × {} ({} ranks: {} per node, {}), {} mode",
        args.op,
        args.nodes,
        escape_control(&group.node_model.name),
        shape.ranks,
        gpus_per_node,
        escape_control(&group.gpu_model.name),
        args.mode.name()
    )?;
    writeln!(out, "#")?;
    writeln!(
        out,
        "# {:>12} {:>12} {:>6} {:>6} {:>10} {:>8} {:>8}  algorithm",
        "size", "count", "type", "redop", "time", "algbw", "busbw"
    )?;
    writeln!(
        out,
        "# {:>12} {:>12} {:>6} {:>6} {:>10} {:>8} {:>8}",
        "(B)", "(elements)", "", "", "(us)", "(GB/s)", "(GB/s)"
    )?;
    let redop = match args.op {
        CollectiveOp::AllReduce | CollectiveOp::ReduceScatter => "sum",
        _ => "none",
    };
    for row in rows {
        writeln!(
            out,
            "  {:>12} {:>12} {:>6} {:>6} {:>10.2} {:>8.2} {:>8.2}  {}/{}",
            row.size_bytes,
            row.count,
            "float",
            redop,
            row.time_us,
            row.algbw_gbytes_per_s,
            row.busbw_gbytes_per_s,
            row.algorithm,
            row.protocol
        )?;
    }
    let average = rows.iter().map(|r| r.busbw_gbytes_per_s).sum::<f64>() / rows.len().max(1) as f64;
    writeln!(out, "# Avg bus bandwidth    : {average:.3}")
}
