//! The inspector: everything known about the selected job or node, with
//! links to the nodes a job ran on, the jobs on a node, and the instants
//! worth jumping to. A job shows its failures (count, and each run's cause);
//! a node its state at the playhead in Slurm's words and, when DOWN or
//! DRAINING, since when and why.

use egui::RichText;
use sim_core::metrics::Summary;

use super::{DOWN_COLOR, DRAIN_COLOR, Picks, Scene, Selection, job_color};
use crate::format;
use crate::timeline::{IDLE, NodeState};

/// Runs scanned backwards for a node's history; bounds the cost per frame.
const NODE_HISTORY_SCAN: usize = 200_000;

/// Draws the inspector for `scene.selection`. `summary` is the
/// simulation's own (for training figures), when there is one.
pub fn show(ui: &mut egui::Ui, scene: &Scene<'_>, summary: Option<&Summary>) -> Picks {
    let mut picks = Picks::default();
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| match scene.selection {
            Selection::Nothing => {
                ui.heading("Inspector");
                ui.label(
                    "Click a GPU on the map, a bar in the Gantt chart or a row of the job table.",
                );
            }
            Selection::Job(id) => match scene.timeline.job_by_id(id) {
                Some(job) => job_details(ui, scene, job, summary, &mut picks),
                None => {
                    ui.label(format!("Job {id} is not in this run."));
                }
            },
            Selection::Node(node) => {
                if (node as usize) < scene.timeline.layout.header.nodes.len() {
                    node_details(ui, scene, node, &mut picks);
                } else {
                    ui.label(format!("Node {node} is not in this cluster."));
                }
            }
        });
    picks
}

fn job_details(
    ui: &mut egui::Ui,
    scene: &Scene<'_>,
    index: u32,
    summary: Option<&Summary>,
    picks: &mut Picks,
) {
    let timeline = scene.timeline;
    let job = &timeline.jobs[index as usize];
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 2.0, job_color(job.id));
        ui.heading(format!("Job {}", job.id));
    });
    ui.label(RichText::new(&job.name).strong());
    let last_run = job
        .runs
        .iter()
        .map(|&r| &timeline.runs[r as usize])
        .rfind(|r| r.start_ns <= scene.now_ns);
    let now = if scene.now_ns < job.submit_ns {
        "not yet submitted"
    } else if timeline.run_at(index, scene.now_ns).is_some() {
        "running"
    } else if last_run
        .and_then(|r| r.failure)
        .is_some_and(|f| timeline.failures[f as usize].requeued)
    {
        "queued again after a failure"
    } else if job
        .runs
        .iter()
        .all(|&r| timeline.runs[r as usize].start_ns > scene.now_ns)
        && job.refusal.is_none()
    {
        "queued"
    } else {
        "not running"
    };
    key_values(
        ui,
        "job-grid",
        [
            ("state (end of run)", job.state.as_str().to_string()),
            ("user / account", format!("{} / {}", job.user, job.account)),
            ("GPUs", job.gpus.to_string()),
            (
                "time limit",
                format::duration_s(job.time_limit_ns as f64 * 1e-9),
            ),
            ("submitted", format::clock_ns(job.submit_ns)),
            (
                "waited",
                job.wait_ns(timeline).map_or_else(
                    || "not started".into(),
                    |w| format::duration_s(w as f64 * 1e-9),
                ),
            ),
            ("at the playhead", now.to_string()),
        ],
    );
    let failures = job.failures(timeline).count();
    if failures > 0 {
        ui.colored_label(
            DOWN_COLOR,
            format!(
                "interrupted by {}",
                format::count(failures as u64, "failure")
            ),
        );
    }
    if let Some(reason) = &job.refusal {
        ui.colored_label(ui.visuals().warn_fg_color, format!("refused: {reason}"));
    }
    ui.horizontal(|ui| {
        if ui
            .button("go to submit")
            .on_hover_text("move the playhead to its submission")
            .clicked()
        {
            picks.seek_ns = Some(job.submit_ns);
        }
        if let Some(&first) = job.runs.first()
            && ui
                .button("go to start")
                .on_hover_text("move the playhead to its first start")
                .clicked()
        {
            picks.seek_ns = Some(timeline.runs[first as usize].start_ns);
        }
        if let Some(end) = job
            .runs
            .last()
            .and_then(|&r| timeline.runs[r as usize].end_ns)
            && ui
                .button("go to end")
                .on_hover_text("move the playhead to its last end")
                .clicked()
        {
            picks.seek_ns = Some(end.saturating_sub(1));
        }
    });

    for (k, &run) in job.runs.iter().enumerate() {
        let r = &timeline.runs[run as usize];
        ui.separator();
        ui.label(
            RichText::new(format!(
                "run {}: {} – {}{}",
                k + 1,
                format::clock_ns(r.start_ns),
                r.end_ns
                    .map_or_else(|| "still running".into(), format::clock_ns),
                if r.preempted { ", preempted" } else { "" }
            ))
            .strong(),
        );
        if let Some(f) = r.failure {
            ui.colored_label(DOWN_COLOR, format::failure(&timeline.failures[f as usize]));
        }
        ui.horizontal_wrapped(|ui| {
            for a in r.alloc.clone() {
                let a = timeline.allocs[a as usize];
                let name = &timeline.layout.header.nodes[a.node as usize].name;
                if ui
                    .small_button(format!("{name} ×{}", a.mask.count_ones()))
                    .clicked()
                {
                    picks.select = Some(Selection::Node(a.node));
                }
            }
        });
    }

    if let Some(t) = summary.and_then(|s| s.training.iter().find(|t| t.job == job.id)) {
        ui.separator();
        ui.label(
            RichText::new(format!("Training: {} on {} × {}", t.model, t.gpus, t.gpu)).strong(),
        );
        key_values(
            ui,
            "training-grid",
            [
                ("steps", format!("{} of {}", t.steps_done, t.steps)),
                (
                    "step",
                    format!("{:.3} s (ideal {:.3} s)", t.step_s, t.ideal_step_s),
                ),
                ("MFU", format!("{:.1} %", 100.0 * t.mfu)),
                ("tokens/s", format!("{:.0}", t.tokens_per_s)),
                (
                    "model TFLOP/s per GPU",
                    format!("{:.0}", t.model_tflops_per_gpu),
                ),
                (
                    "nodes / leaf switches",
                    format!("{} / {}", t.nodes, t.leaf_switches),
                ),
                ("GPU-hours", format!("{:.0}", t.gpu_hours)),
                ("cost", format!("${:.0}", t.cost_usd)),
            ],
        );
        let b = &t.breakdown;
        ui.label("where a step goes (s):");
        egui::Grid::new("breakdown-grid")
            .num_columns(2)
            .show(ui, |ui| {
                for (k, v) in [
                    ("compute", b.compute_s),
                    ("exposed TP", b.exposed_tp_s),
                    ("exposed CP", b.exposed_cp_s),
                    ("exposed PP", b.exposed_pp_s),
                    ("exposed DP", b.exposed_dp_s),
                    ("exposed MoE", b.exposed_moe_s),
                    ("pipeline bubble", b.bubble_s),
                ] {
                    if v > 0.0 {
                        ui.label(k);
                        ui.label(format!("{v:.3}"));
                        ui.end_row();
                    }
                }
            });
    }
}

fn node_details(ui: &mut egui::Ui, scene: &Scene<'_>, node: u32, picks: &mut Picks) {
    let timeline = scene.timeline;
    let layout = &timeline.layout;
    let n = &layout.header.nodes[node as usize];
    ui.heading(&n.name);
    if let Some(group) = layout.header.groups.get(n.group as usize) {
        ui.label(format!(
            "{} · {} × {}",
            group.node_model, n.gpus, group.gpu_model
        ));
        ui.label(format!("group {}", group.name));
    }
    if let Some(rack) = layout
        .racks
        .get(layout.rack_of_node[node as usize] as usize)
    {
        ui.label(format!("rack / leaf switch: {}", rack.name));
    }
    ui.separator();
    ui.label(RichText::new(format!("At {}", format::clock_ns(scene.now_ns))).strong());
    let mut owners = Vec::new();
    timeline.gpu_owners_at(scene.now_ns, &mut owners);
    let (state, event) = timeline.nodes.state_at(node, scene.now_ns);
    let name = super::map::node_state_name(timeline, node, &owners, state);
    match (state, event) {
        (NodeState::InService, _) | (_, None) => {
            ui.label(format!("state: {name}"));
        }
        (_, Some(event)) => {
            let color = if state == NodeState::Down {
                DOWN_COLOR
            } else {
                DRAIN_COLOR
            };
            ui.colored_label(
                color,
                format!(
                    "state: {name} since {}, cause: {}",
                    format::clock_ns(event.t_ns),
                    event.cause.as_deref().unwrap_or("not given")
                ),
            );
        }
    }
    let downs = timeline.nodes.downs_until(node, scene.now_ns);
    if downs > 0 {
        ui.label(format!(
            "down {} so far",
            format::count(downs as u64, "time")
        ));
    }
    let first = layout.first_gpu[node as usize] as usize;
    for gpu in 0..n.gpus as usize {
        let owner = owners[first + gpu];
        ui.horizontal(|ui| {
            ui.label(format!("GPU {gpu}:"));
            if state == NodeState::Down {
                ui.colored_label(DOWN_COLOR, "down");
            } else if owner == IDLE {
                ui.weak(if state == NodeState::Draining {
                    "idle, drained"
                } else {
                    "idle"
                });
            } else {
                let job = &timeline.jobs[owner as usize];
                if ui.link(format!("job {} “{}”", job.id, job.name)).clicked() {
                    picks.select = Some(Selection::Job(job.id));
                }
            }
        });
    }
    ui.separator();
    ui.label(RichText::new("Recent jobs here").strong());
    let started = timeline
        .runs
        .partition_point(|r| r.start_ns <= scene.now_ns);
    let mut shown = 0;
    for r in timeline.runs[..started]
        .iter()
        .rev()
        .take(NODE_HISTORY_SCAN)
    {
        if !r
            .alloc
            .clone()
            .any(|a| timeline.allocs[a as usize].node == node)
        {
            continue;
        }
        let job = &timeline.jobs[r.job as usize];
        if ui
            .link(format!(
                "{} – {}: job {} “{}”{}",
                format::clock_ns(r.start_ns),
                r.end_ns.map_or_else(|| "…".into(), format::clock_ns),
                job.id,
                job.name,
                r.failure.map_or_else(String::new, |f| format!(
                    " (failed: {})",
                    timeline.failures[f as usize].cause
                ))
            ))
            .clicked()
        {
            picks.select = Some(Selection::Job(job.id));
        }
        shown += 1;
        if shown == 12 {
            break;
        }
    }
    if shown == 0 {
        ui.weak("none yet");
    }
}

/// A two-column striped grid of labels and values.
fn key_values<'a>(ui: &mut egui::Ui, id: &str, rows: impl IntoIterator<Item = (&'a str, String)>) {
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (key, value) in rows {
                ui.label(key);
                ui.label(value);
                ui.end_row();
            }
        });
}
