//! The panels the window is made of. Each view draws one [`Timeline`] at
//! the playhead (the compare view two: it reads run B's session itself)
//! and reports what the user picked through [`Picks`]; views never own
//! simulation data, only caches they can rebuild from it.

pub mod compare;
pub mod gantt;
pub mod inspector;
pub mod jobs;
pub mod map;
pub mod plots;
pub mod study;

use egui::Color32;
use egui::ecolor::Hsva;
use serde::{Deserialize, Serialize};

use crate::timeline::Timeline;

/// What the inspector shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    #[default]
    Nothing,
    /// A job, by its simulation id.
    Job(u64),
    /// A node, by index.
    Node(u32),
}

/// How the map colours GPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColorBy {
    /// Each job its own colour, as in the Gantt chart.
    #[default]
    Job,
    /// Idle or busy.
    State,
}

/// What a view asks the app to do after drawing.
#[derive(Debug, Default)]
pub struct Picks {
    pub select: Option<Selection>,
    pub seek_ns: Option<u64>,
}

impl Picks {
    /// Takes `later`'s picks where it made them, keeping these elsewhere.
    pub fn update(&mut self, later: Picks) {
        if later.select.is_some() {
            self.select = later.select;
        }
        if later.seek_ns.is_some() {
            self.seek_ns = later.seek_ns;
        }
    }
}

/// Everything a view reads to draw one frame.
pub struct Scene<'a> {
    pub timeline: &'a Timeline,
    pub now_ns: u64,
    pub selection: Selection,
}

impl Scene<'_> {
    /// The selected job, as an index into the timeline's jobs, when a job
    /// of this run is selected.
    pub fn selected_job(&self) -> Option<u32> {
        match self.selection {
            Selection::Job(id) => self.timeline.job_by_id(id),
            _ => None,
        }
    }
}

/// A job's colour: hues spread by the golden ratio so neighbours in id
/// differ, the same in every view.
pub fn job_color(job_id: u64) -> Color32 {
    let hue = (job_id as f64 * 0.618_033_988_749_895).fract() as f32;
    Hsva::new(hue, 0.55, 0.85, 1.0).into()
}

pub const IDLE_COLOR: Color32 = Color32::from_rgb(58, 62, 70);
pub const BUSY_COLOR: Color32 = Color32::from_rgb(86, 170, 98);
pub const SELECTED_COLOR: Color32 = Color32::WHITE;
/// GPUs of DOWN nodes: Okabe and Ito's vermillion, saturated where every
/// job colour is pastel (saturation 0.55), drawn with a dark cross so it
/// reads without colour too.
pub const DOWN_COLOR: Color32 = Color32::from_rgb(213, 94, 0);
/// Idle GPUs of DRAINING or DRAINED nodes: Okabe and Ito's yellow, drawn
/// as a ring (hollow), unlike any busy or idle cell, and framing the node.
pub const DRAIN_COLOR: Color32 = Color32::from_rgb(240, 228, 66);
/// What is drawn over DOWN cells and failure marks.
pub const MARK_COLOR: Color32 = Color32::from_rgb(20, 20, 20);

/// A DOWN cell: vermillion into `mesh`, and a dark cross into `marks`
/// (drawn over the mesh) when there is room for one.
pub fn paint_down(mesh: &mut egui::Mesh, marks: &mut Vec<egui::Shape>, cell: egui::Rect) {
    mesh.add_colored_rect(cell, DOWN_COLOR);
    if cell.width() >= 7.0 {
        let r = cell.shrink(cell.width() * 0.22);
        let stroke = egui::Stroke::new((cell.width() / 8.0).clamp(1.0, 2.5), MARK_COLOR);
        marks.push(egui::Shape::line_segment(
            [r.left_top(), r.right_bottom()],
            stroke,
        ));
        marks.push(egui::Shape::line_segment(
            [r.right_top(), r.left_bottom()],
            stroke,
        ));
    }
}

/// An idle cell of a DRAINING or DRAINED node: a yellow ring around the
/// node tile's dark fill (solid yellow when too small for a ring).
pub fn paint_drain(mesh: &mut egui::Mesh, cell: egui::Rect, inside: Color32) {
    mesh.add_colored_rect(cell, DRAIN_COLOR);
    if cell.width() >= 7.0 {
        mesh.add_colored_rect(cell.shrink((cell.width() / 5.0).clamp(1.5, 4.0)), inside);
    }
}
