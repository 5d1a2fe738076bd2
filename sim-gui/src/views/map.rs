//! The cluster map: racks (leaf switches, or node groups) as blocks
//! labelled with their busy GPUs, nodes as tiles, GPUs as cells coloured
//! by the job that holds them or by state, at the playhead. GPUs of a DOWN
//! node are vermillion with a dark cross; a DRAINING or DRAINED node is
//! framed in yellow and its idle GPUs are yellow rings (busy ones keep
//! their job's colour until the job leaves).
//!
//! Every GPU cell goes into one mesh: a 2,048-node map is 16,384 cells and
//! costs one allocation-free pass, not 16,384 shapes. The geometry is
//! cached and recomputed only when the panel's size changes.

use egui::{Color32, FontId, Mesh, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2, pos2, vec2};

use super::{
    BUSY_COLOR, ColorBy, DOWN_COLOR, DRAIN_COLOR, IDLE_COLOR, Picks, SELECTED_COLOR, Scene,
    Selection, job_color, paint_down, paint_drain,
};
use crate::format;
use crate::timeline::{IDLE, NodeState, Timeline};

/// Cached geometry, GPU owners and node states.
#[derive(Default)]
pub struct MapState {
    geometry: Option<Geometry>,
    owners: Vec<u32>,
    node_states: Vec<NodeState>,
    owners_at: Option<(u64, u64)>,
}

/// What a GPU cell shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Idle,
    /// Held by a job (index into the timeline's jobs).
    Busy(u32),
    /// Its node is DOWN.
    Down,
    /// Idle on a DRAINING or DRAINED node: out of service.
    Drained,
}

impl Cell {
    /// The cell of a GPU held by `owner` on a node in `state`.
    fn of(owner: u32, state: NodeState) -> Cell {
        match (state, owner) {
            (NodeState::Down, _) => Cell::Down,
            (NodeState::Draining, IDLE) => Cell::Drained,
            (_, IDLE) => Cell::Idle,
            (_, job) => Cell::Busy(job),
        }
    }
}

struct Geometry {
    /// What it was computed for: panel size and node count.
    key: (u32, u32, usize),
    /// Cell edge in points.
    cell: f32,
    /// GPU cells per row in a node tile.
    cell_cols: u32,
    /// Node tile rects relative to the panel's top-left, by node index.
    nodes: Vec<Rect>,
    /// Rack frames and their label positions.
    racks: Vec<(Rect, String)>,
    size: Vec2,
}

const LABEL_H: f32 = 14.0;
/// A generous width of one character of a rack's name (11 pt).
const LABEL_CHAR_W: f32 = 6.5;
const RACK_PAD: f32 = 6.0;
const GAP: f32 = 1.0;

impl Geometry {
    fn compute(timeline: &Timeline, available: Vec2) -> Self {
        let layout = &timeline.layout;
        let max_gpus = layout
            .header
            .nodes
            .iter()
            .map(|n| n.gpus)
            .max()
            .unwrap_or(1)
            .max(1);
        // 8 GPUs as 4x2, 4 as 2x2, 16 as 4x4: tiles close to square.
        let cell_cols = ((max_gpus as f32 * 2.0).sqrt().ceil() as u32).clamp(1, max_gpus);
        let cell_rows = max_gpus.div_ceil(cell_cols);
        let key = (
            available.x as u32,
            available.y as u32,
            layout.header.nodes.len(),
        );
        let mut best = None;
        for cell in [
            40.0, 32.0, 24.0, 18.0, 14.0, 11.0, 9.0, 7.0, 5.0, 4.0, 3.0, 2.0,
        ] {
            let mut g = Self::flow(timeline, available.x, cell, cell_cols, cell_rows, key, true);
            // Names wider than their racks would overprint their neighbours:
            // then no names (hovering still tells), and the space is saved.
            if g.racks
                .iter()
                // The name plus " · 128/128 busy".
                .any(|(rect, name)| {
                    (name.chars().count() + 15) as f32 * LABEL_CHAR_W > rect.width()
                })
            {
                g = Self::flow(
                    timeline,
                    available.x,
                    cell,
                    cell_cols,
                    cell_rows,
                    key,
                    false,
                );
            }
            let fits = g.size.y <= available.y;
            best = Some(g);
            if fits {
                break;
            }
        }
        best.expect("at least one cell size is tried")
    }

    fn flow(
        timeline: &Timeline,
        width: f32,
        cell: f32,
        cell_cols: u32,
        cell_rows: u32,
        key: (u32, u32, usize),
        labels: bool,
    ) -> Self {
        let layout = &timeline.layout;
        let label_h = if labels { LABEL_H } else { 0.0 };
        let tile = vec2(
            cell_cols as f32 * cell + 2.0 * GAP,
            cell_rows as f32 * cell + 2.0 * GAP,
        );
        let mut nodes = vec![Rect::NOTHING; layout.header.nodes.len()];
        let mut racks = Vec::with_capacity(layout.racks.len());
        let (mut x, mut y, mut row_h) = (0.0f32, 0.0f32, 0.0f32);
        for rack in &layout.racks {
            let n = rack.nodes.len().max(1) as f32;
            // Racks are drawn about twice as tall as wide, like real ones.
            let cols = ((n * tile.y / tile.x / 2.0).sqrt().ceil()).clamp(1.0, n);
            let rows = (n / cols).ceil();
            let block = vec2(
                cols * (tile.x + GAP) + 2.0 * RACK_PAD,
                rows * (tile.y + GAP) + 2.0 * RACK_PAD + label_h,
            );
            if x > 0.0 && x + block.x > width {
                x = 0.0;
                y += row_h + RACK_PAD;
                row_h = 0.0;
            }
            let origin = pos2(x, y);
            for (i, &node) in rack.nodes.iter().enumerate() {
                let (c, r) = ((i as f32 % cols), (i as f32 / cols).floor());
                let min = origin
                    + vec2(
                        RACK_PAD + c * (tile.x + GAP),
                        RACK_PAD + label_h + r * (tile.y + GAP),
                    );
                if let Some(slot) = nodes.get_mut(node as usize) {
                    *slot = Rect::from_min_size(min, tile);
                }
            }
            let name = if labels {
                rack.name.clone()
            } else {
                String::new()
            };
            racks.push((Rect::from_min_size(origin, block), name));
            x += block.x + RACK_PAD;
            row_h = row_h.max(block.y);
        }
        Geometry {
            key,
            cell,
            cell_cols,
            nodes,
            racks,
            size: vec2(width, y + row_h),
        }
    }

    fn cell_rect(&self, node_rect: Rect, gpu: u32) -> Rect {
        let (c, r) = (gpu % self.cell_cols, gpu / self.cell_cols);
        let min = node_rect.min + vec2(GAP + c as f32 * self.cell, GAP + r as f32 * self.cell);
        Rect::from_min_size(min, Vec2::splat(self.cell)).shrink(if self.cell >= 5.0 {
            0.5
        } else {
            0.0
        })
    }

    /// The node and GPU under `p` (relative to the panel).
    fn hit(&self, p: Pos2, timeline: &Timeline) -> Option<(u32, Option<u32>)> {
        let node = self.nodes.iter().position(|r| r.contains(p))? as u32;
        let rect = self.nodes[node as usize];
        let gpus = timeline.layout.header.nodes[node as usize].gpus;
        let gpu = (0..gpus).find(|&g| self.cell_rect(rect, g).expand(0.5).contains(p));
        Some((node, gpu))
    }
}

/// Draws the map; returns what was clicked.
pub fn show(
    ui: &mut egui::Ui,
    scene: &Scene<'_>,
    state: &mut MapState,
    color_by: &mut ColorBy,
) -> Picks {
    let timeline = scene.timeline;
    let mut picks = Picks::default();
    let counts = timeline.counts_at(scene.now_ns);
    ui.horizontal_wrapped(|ui| {
        ui.label("Colour GPUs by");
        ui.selectable_value(color_by, ColorBy::Job, "job");
        ui.selectable_value(color_by, ColorBy::State, "state");
        ui.separator();
        // Runs without failures keep the legend they always had.
        let failures = !timeline.nodes.events().is_empty();
        legend(ui, *color_by, failures);
        ui.separator();
        ui.label(format!(
            "{} · {} · {} of {} GPUs busy{} · {} running · {} queued",
            format::count(timeline.layout.racks.len() as u64, "rack"),
            format::count(timeline.layout.header.nodes.len() as u64, "node"),
            counts.busy_gpus,
            timeline.layout.total_gpus,
            format::out_of_service(&counts, failures),
            format::count(counts.running_jobs, "job"),
            counts.queued_jobs,
        ));
    });

    let key = (scene.now_ns, timeline.version);
    if state.owners_at != Some(key) {
        timeline.gpu_owners_at(scene.now_ns, &mut state.owners);
        timeline
            .nodes
            .states_at(scene.now_ns, &mut state.node_states);
        state.owners_at = Some(key);
    }

    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            let available = ui.available_size();
            let geometry_key = (
                available.x as u32,
                available.y as u32,
                timeline.layout.header.nodes.len(),
            );
            if state
                .geometry
                .as_ref()
                .is_none_or(|g| g.key != geometry_key)
            {
                state.geometry = Some(Geometry::compute(timeline, available));
            }
            let geometry = state.geometry.as_ref().expect("computed above");
            let (response, painter) =
                ui.allocate_painter(geometry.size.max(vec2(1.0, 1.0)), Sense::click());
            let origin = response.rect.min.to_vec2();
            let clip = painter.clip_rect();

            let visuals = ui.visuals();
            let rack_fill = visuals.faint_bg_color;
            let text_color = visuals.weak_text_color();
            // Each rack's busy GPUs: how full a leaf is shows where
            // placement put jobs and where a wide job could still fit.
            let layout = &timeline.layout;
            for (r, (rect, name)) in geometry.racks.iter().enumerate() {
                let rect = rect.translate(origin);
                if !rect.intersects(clip) {
                    continue;
                }
                painter.rect_filled(rect, 3.0, rack_fill);
                if name.is_empty() {
                    continue;
                }
                let (mut busy, mut total) = (0u32, 0u32);
                for &node in &layout.racks[r].nodes {
                    let first = layout.first_gpu[node as usize] as usize;
                    let gpus = layout.header.nodes[node as usize].gpus as usize;
                    busy += state.owners[first..first + gpus]
                        .iter()
                        .filter(|&&o| o != IDLE)
                        .count() as u32;
                    total += gpus as u32;
                }
                painter.text(
                    rect.min + vec2(RACK_PAD, 1.0),
                    egui::Align2::LEFT_TOP,
                    format!("{name} · {busy}/{total} busy"),
                    FontId::proportional(11.0),
                    text_color,
                );
            }

            let selected_job = scene.selected_job();
            let mut mesh = Mesh::default();
            let mut marks = Vec::new();
            let tile_fill = Color32::from_gray(28);
            for (node, rect) in geometry.nodes.iter().enumerate() {
                let rect = rect.translate(origin);
                if !rect.intersects(clip) {
                    continue;
                }
                let node_state = state.node_states[node];
                if node_state == NodeState::Draining {
                    mesh.add_colored_rect(rect, DRAIN_COLOR);
                    mesh.add_colored_rect(rect.shrink(GAP), tile_fill);
                } else {
                    mesh.add_colored_rect(rect, tile_fill);
                }
                let first = timeline.layout.first_gpu[node];
                for gpu in 0..timeline.layout.header.nodes[node].gpus {
                    let owner = state.owners[(first + gpu) as usize];
                    let cell = geometry.cell_rect(rect, gpu);
                    match Cell::of(owner, node_state) {
                        Cell::Down => paint_down(&mut mesh, &mut marks, cell),
                        Cell::Drained => paint_drain(&mut mesh, cell, tile_fill),
                        Cell::Busy(job) if Some(job) == selected_job => {
                            mesh.add_colored_rect(cell.expand(0.5), SELECTED_COLOR);
                            mesh.add_colored_rect(
                                cell.shrink(1.0),
                                gpu_color(timeline, owner, *color_by),
                            );
                        }
                        Cell::Busy(_) | Cell::Idle => {
                            mesh.add_colored_rect(cell, gpu_color(timeline, owner, *color_by));
                        }
                    }
                }
            }
            painter.add(mesh);
            painter.extend(marks);
            if let Selection::Node(node) = scene.selection
                && let Some(rect) = geometry.nodes.get(node as usize)
            {
                painter.rect_stroke(
                    rect.translate(origin).expand(1.0),
                    2.0,
                    Stroke::new(2.0, SELECTED_COLOR),
                    StrokeKind::Outside,
                );
            }

            if let Some(pointer) = response.hover_pos()
                && let Some((node, gpu)) = geometry.hit(pointer - origin, timeline)
            {
                let owner = gpu.map_or(IDLE, |g| {
                    state.owners[(timeline.layout.first_gpu[node as usize] + g) as usize]
                });
                let response = response.clone().on_hover_ui_at_pointer(|ui| {
                    hover_details(ui, timeline, scene.now_ns, &state.owners, node, gpu);
                });
                if response.clicked() {
                    let node_only = ui.input(|i| i.modifiers.command || i.modifiers.shift);
                    picks.select = Some(if owner != IDLE && !node_only {
                        Selection::Job(timeline.jobs[owner as usize].id)
                    } else {
                        Selection::Node(node)
                    });
                }
            }
        });
    picks
}

fn gpu_color(timeline: &Timeline, owner: u32, color_by: ColorBy) -> Color32 {
    match (owner, color_by) {
        (IDLE, _) => IDLE_COLOR,
        (_, ColorBy::State) => BUSY_COLOR,
        (job, ColorBy::Job) => job_color(timeline.jobs[job as usize].id),
    }
}

fn legend(ui: &mut egui::Ui, color_by: ColorBy, failures: bool) {
    let swatch = |ui: &mut egui::Ui, color: Color32, text: &str| {
        let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
        ui.painter().rect_filled(rect, 1.0, color);
        ui.label(text);
    };
    swatch(ui, IDLE_COLOR, "idle");
    match color_by {
        ColorBy::State => swatch(ui, BUSY_COLOR, "busy"),
        ColorBy::Job => {
            for id in 1..=4 {
                let (rect, _) = ui.allocate_exact_size(vec2(6.0, 10.0), Sense::hover());
                ui.painter().rect_filled(rect, 1.0, job_color(id));
            }
            ui.label("busy (one colour per job)");
        }
    }
    if failures {
        let cell = |ui: &mut egui::Ui, down: bool, text: &str| {
            let (rect, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
            let (mut mesh, mut marks) = (Mesh::default(), Vec::new());
            if down {
                paint_down(&mut mesh, &mut marks, rect);
            } else {
                paint_drain(&mut mesh, rect, Color32::from_gray(28));
            }
            ui.painter().add(mesh);
            ui.painter().extend(marks);
            ui.label(text).on_hover_text(if down {
                "the node failed, or is in maintenance: no job can run on it"
            } else {
                "the node takes no new work; DRAINED once its jobs have left"
            });
        };
        cell(ui, true, "down");
        cell(ui, false, "draining");
    }
    swatch(ui, SELECTED_COLOR, "selected");
}

fn hover_details(
    ui: &mut egui::Ui,
    timeline: &Timeline,
    now_ns: u64,
    owners: &[u32],
    node: u32,
    gpu: Option<u32>,
) {
    let owner = gpu.map_or(IDLE, |g| {
        owners[(timeline.layout.first_gpu[node as usize] + g) as usize]
    });
    let header = &timeline.layout.header;
    let n = &header.nodes[node as usize];
    let group = header.groups.get(n.group as usize);
    ui.strong(&n.name);
    if let Some(group) = group {
        ui.label(format!(
            "{} · {} GPUs {}",
            group.node_model, n.gpus, group.gpu_model
        ));
    }
    if let Some(rack) = timeline
        .layout
        .racks
        .get(timeline.layout.rack_of_node[node as usize] as usize)
    {
        ui.label(format!("rack / leaf: {}", rack.name));
    }
    if let Some(gpu) = gpu {
        ui.label(format!("GPU {gpu}"));
    }
    if let (state, Some(event)) = timeline.nodes.state_at(node, now_ns)
        && state != NodeState::InService
    {
        let color = if state == NodeState::Down {
            DOWN_COLOR
        } else {
            DRAIN_COLOR
        };
        ui.colored_label(
            color,
            format!(
                "{} since {}: {}",
                node_state_name(timeline, node, owners, state),
                format::clock_ns(event.t_ns),
                event.cause.as_deref().unwrap_or("")
            ),
        );
    }
    if owner == IDLE {
        ui.label("idle");
    } else {
        let job = &timeline.jobs[owner as usize];
        ui.label(format!(
            "job {} “{}” · {} · {} GPUs",
            job.id, job.name, job.user, job.gpus
        ));
        if let Some(run) = timeline.run_at(owner, now_ns) {
            let since = run.start_ns;
            ui.label(format!(
                "running for {}",
                format::duration_s(now_ns.saturating_sub(since) as f64 * 1e-9)
            ));
        }
    }
    ui.weak("click: inspect the job · shift-click: the node");
}

/// Slurm's name for the node's state (IDLE, MIXED, ALLOCATED, DRAINING,
/// DRAINED, DOWN), given every GPU's `owners` at the same instant.
pub fn node_state_name(
    timeline: &Timeline,
    node: u32,
    owners: &[u32],
    state: NodeState,
) -> &'static str {
    let first = timeline.layout.first_gpu[node as usize] as usize;
    let gpus = timeline.layout.header.nodes[node as usize].gpus;
    let busy = owners[first..first + gpus as usize]
        .iter()
        .filter(|&&o| o != IDLE)
        .count() as u32;
    state.slurm_name(busy, gpus)
}
