//! The what-if pairs of `scenarios/hardware/` answer the questions their
//! comments ask, in the direction the physics says, and flow fidelity is
//! deterministic and agrees with the analytic one on an idle fabric.

use sim_core::metrics::{Summary, TrainingJobSummary, write_summary_json};

use crate::support::simulate;

fn summary(name: &str, set: &[&str]) -> Summary {
    simulate(&format!("scenarios/hardware/{name}"), set).summary
}

fn job<'a>(s: &'a Summary, name: &str) -> &'a TrainingJobSummary {
    s.training
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no training job {name}"))
}

#[test]
fn every_training_job_runs_all_its_steps() {
    for name in [
        "llama70b-h100.ron",
        "ib-ndr-400g.ron",
        "leaf-spine-2to1.ron",
    ] {
        let s = summary(name, &[]);
        assert!(!s.training.is_empty());
        for t in &s.training {
            assert_eq!(t.steps_done, t.steps, "{name}: {}", t.name);
            assert!(
                t.mfu > 0.0 && t.mfu < 1.0,
                "{name}: {} MFU {}",
                t.name,
                t.mfu
            );
        }
    }
}

#[test]
fn h200_trains_the_70b_faster_than_h100_thanks_to_a_shorter_pipeline() {
    let h100 = summary("llama70b-h100.ron", &[]);
    let h200 = summary("llama70b-h200.ron", &[]);
    let (a, b) = (job(&h100, "llama3-70b"), job(&h200, "llama3-70b"));
    assert!(
        b.step_s < a.step_s,
        "H200 {} s vs H100 {} s",
        b.step_s,
        a.step_s
    );
    assert!(b.breakdown.bubble_s < a.breakdown.bubble_s);
}

#[test]
fn a_200g_roce_fabric_slows_the_moe_job_far_more_than_the_dense_one() {
    let ib = summary("ib-ndr-400g.ron", &[]);
    let roce = summary("roce-200g.ron", &[]);
    let moe = job(&roce, "moe-8x7b").step_s / job(&ib, "moe-8x7b").step_s;
    let dense = job(&roce, "dense-70b").step_s / job(&ib, "dense-70b").step_s;
    assert!(moe > 1.10, "MoE slowdown {moe}");
    assert!(dense < 1.02, "dense slowdown {dense}");
}

#[test]
fn a_2_to_1_fabric_slows_jobs_that_span_leaves() {
    let full = summary("leaf-spine-1to1.ron", &[]);
    let half = summary("leaf-spine-2to1.ron", &[]);
    assert!(half.makespan_s > full.makespan_s * 1.03);
    for t in &half.training {
        assert!(t.leaf_switches > 1, "{} spans leaves", t.name);
        assert!(t.step_s > job(&full, &t.name).step_s * 1.05, "{}", t.name);
    }
}

#[test]
fn on_hashed_ecmp_a_rail_optimized_unit_beats_a_plain_leaf_spine() {
    let rail = summary("rail-optimized.ron", &[]);
    let plain = summary("leaf-spine.ron", &[]);
    for t in &plain.training {
        let r = job(&rail, &t.name);
        assert!(
            t.step_s > r.step_s * 1.03,
            "{}: {} vs {}",
            t.name,
            t.step_s,
            r.step_s
        );
    }
}

#[test]
fn the_7b_job_scales_over_2_4_and_8_nodes() {
    let steps: Vec<f64> = [2, 4, 8]
        .iter()
        .map(|n| {
            job(
                &summary(&format!("scaling-7b-{n}-nodes.ron"), &[]),
                "llama2-7b",
            )
            .step_s
        })
        .collect();
    // Strong scaling at a fixed global batch: each doubling at most halves
    // the step, and with the gradient sync hidden it comes within 5%.
    for w in steps.windows(2) {
        let speedup = w[0] / w[1];
        assert!(speedup <= 2.0 + 1e-9 && speedup > 1.9, "speedup {speedup}");
    }
}

#[test]
fn flow_fidelity_is_deterministic_and_matches_analytic_on_an_idle_fabric() {
    let text = |s: &Summary| {
        let mut out = Vec::new();
        write_summary_json(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    };
    let first = summary("ib-ndr-400g.ron", &[]);
    let second = summary("ib-ndr-400g.ron", &[]);
    assert_eq!(text(&first), text(&second));
    // One job alone on one rail-optimized unit: its data-parallel traffic
    // stays on the rails, so flow and analytic fidelity agree.
    let flow = summary("llama70b-h100.ron", &["fabric.collectives=Flow"]);
    let analytic = summary("llama70b-h100.ron", &[]);
    let (f, a) = (job(&flow, "llama3-70b"), job(&analytic, "llama3-70b"));
    assert!(
        (f.step_s - a.step_s).abs() / a.step_s < 0.01,
        "{} vs {}",
        f.step_s,
        a.step_s
    );
}

/// In flow fidelity on a 2:1 fabric, a data-parallel job whose gradient
/// all-reduce is not overlapped runs slower when an MoE neighbour's
/// all-to-alls share the leaves' uplinks with it: 16 nodes, 5 per leaf, so
/// the two 8-node jobs meet on the second leaf.
#[test]
fn in_flow_fidelity_a_neighbours_all_to_all_slows_a_job_down() {
    let scenario = |with_neighbour: bool| {
        let neighbour = if with_neighbour {
            r#"(name: "moe", submit: "0s", model: "mixtral-8x7b", steps: 400,
                layout: (tp: 8, pp: 1, dp: 8, ep: 8, micro_batch: 1, global_batch: 256,
                         sequence_parallel: true, zero_stage: 1)),"#
        } else {
            ""
        };
        format!(
            r#"Scenario(
    name: "neighbours", seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 16, node_model: "DGX-H100")]),
    fabric: (topology: LeafSpine(oversubscription: 2.0), links: "ib-ndr", collectives: Flow),
    workload: (training: [
        (name: "dp", submit: "0s", model: "llama3-8b", steps: 200,
         layout: (tp: 1, pp: 1, dp: 64, micro_batch: 1, global_batch: 64, zero_stage: 1,
                  overlap_grad_reduce: false)),
        {neighbour}
    ]),
)"#
        )
    };
    let step = |text: String| {
        let loaded = sim_core::scenario::load_str("neighbours.ron", &text, &[]).unwrap();
        let s = sim_core::simulation::run(&loaded.scenario, &mut (), &mut |_| {}).summary;
        job(&s, "dp").step_s
    };
    let alone = step(scenario(false));
    let beside = step(scenario(true));
    println!("dp job alone {alone:.3} s, beside the MoE job {beside:.3} s");
    assert!(beside > alone * 1.02, "alone {alone} s, beside {beside} s");
}

/// `fabric.algorithm` forces NCCL's algorithm as `NCCL_ALGO` does. Without
/// sequence parallelism the 70B job's tensor parallelism all-reduces its
/// activations, for which the tuner picks NVLink SHARP; with rings only the
/// exposed TP time grows.
#[test]
fn forcing_rings_like_nccl_algo_ring_slows_tensor_parallelism() {
    let no_sp = "workload.training[0].layout.sequence_parallel=false";
    let tuned = summary("llama70b-h100.ron", &[no_sp]);
    let rings = summary("llama70b-h100.ron", &[no_sp, "fabric.algorithm=Ring"]);
    let (t, r) = (job(&tuned, "llama3-70b"), job(&rings, "llama3-70b"));
    assert!(
        r.breakdown.exposed_tp_s > t.breakdown.exposed_tp_s * 1.02,
        "TP with rings {} s vs tuned {} s",
        r.breakdown.exposed_tp_s,
        t.breakdown.exposed_tp_s
    );
    assert_eq!(t.breakdown.compute_s, r.breakdown.compute_s);
}
