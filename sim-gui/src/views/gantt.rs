//! The Gantt chart: every run of every job as a bar over time, packed into
//! lanes, navigated like puffin's flamegraph: drag to pan, scroll to zoom
//! around the cursor, double-click to see everything.
//!
//! Drawing cost follows the screen, not the trace: only visible lanes are
//! visited, each lane is binary-searched for the visible time window
//! ([`Timeline::runs_in_lane`]), bars under a pixel wide are merged into one
//! grey sliver per lane, and labels are drawn only on bars wide enough.
//!
//! A run a failure ended carries a cross at its end (dark under
//! vermillion, the map's DOWN colour), however narrow the bar: failures
//! are rare and worth seeing from afar.

use egui::{Align2, Color32, FontId, Mesh, Rect, Sense, Stroke, StrokeKind, pos2, vec2};

use super::{DOWN_COLOR, MARK_COLOR, Picks, SELECTED_COLOR, Scene, Selection, job_color};
use crate::format;
use crate::timeline::Timeline;

/// The visible window; survives frames.
#[derive(Clone, Debug)]
pub struct GanttState {
    pub t0_s: f64,
    pub t1_s: f64,
    /// Fractional index of the top visible lane.
    pub first_lane: f32,
    pub lane_h: f32,
    /// The window has been fitted to a timeline of this end at least once.
    fitted: bool,
}

impl Default for GanttState {
    fn default() -> Self {
        GanttState {
            t0_s: 0.0,
            t1_s: 3600.0,
            first_lane: 0.0,
            lane_h: 14.0,
            fitted: false,
        }
    }
}

impl GanttState {
    /// Shows the whole run.
    pub fn fit(&mut self, timeline: &Timeline) {
        let end_s = (timeline.end_ns() as f64 * 1e-9).max(1.0);
        self.t0_s = -0.01 * end_s;
        self.t1_s = end_s * 1.01;
        self.first_lane = 0.0;
        self.fitted = true;
    }

    /// Zooms by `factor` (<1 zooms in) keeping `t_s` where it is.
    pub fn zoom_around(&mut self, t_s: f64, factor: f64) {
        let factor = factor.clamp(0.01, 100.0);
        let span = (self.t1_s - self.t0_s) * factor;
        // Below a microsecond nothing in a run is distinguishable.
        if !(1e-6..=1e12).contains(&span) {
            return;
        }
        self.t0_s = t_s - (t_s - self.t0_s) * factor;
        self.t1_s = self.t0_s + span;
    }
}

const AXIS_H: f32 = 20.0;
/// Bars narrower than this many points merge into a sliver.
const MIN_BAR_W: f32 = 1.0;
/// Bars wider than this carry their job's name.
const LABEL_MIN_W: f32 = 48.0;
const MERGED_COLOR: Color32 = Color32::from_gray(120);

/// Draws the chart; returns a picked job or a seek on the time axis.
pub fn show(ui: &mut egui::Ui, scene: &Scene<'_>, state: &mut GanttState) -> Picks {
    let timeline = scene.timeline;
    let mut picks = Picks::default();
    if !state.fitted && timeline.end_ns() > 0 {
        state.fit(timeline);
    }
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} runs of {} jobs in {} lanes",
            timeline.runs.len(),
            timeline.jobs.len(),
            timeline.lanes.len()
        ));
        if !timeline.failures.is_empty() {
            ui.separator();
            ui.colored_label(
                DOWN_COLOR,
                format!("× {} ended by a failure", timeline.failures.len()),
            );
        }
        ui.separator();
        ui.weak("drag: pan · scroll: zoom at cursor · double-click: fit · click a bar: inspect · click the axis: seek");
        if ui.button("Fit").clicked() {
            state.fit(timeline);
        }
    });

    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    let axis = Rect::from_min_max(rect.min, pos2(rect.max.x, rect.min.y + AXIS_H));
    let lanes_rect = Rect::from_min_max(pos2(rect.min.x, axis.max.y), rect.max);
    let width = rect.width().max(1.0) as f64;
    let t_at = |state: &GanttState, x: f32| {
        state.t0_s + f64::from(x - rect.min.x) / width * (state.t1_s - state.t0_s)
    };

    // Navigation; a drag that starts on the axis scrubs instead of panning.
    let on_axis = ui
        .input(|i| i.pointer.press_origin())
        .is_some_and(|p| axis.contains(p));
    if response.dragged() && on_axis {
        if let Some(pointer) = response.interact_pointer_pos() {
            picks.seek_ns = Some((t_at(state, pointer.x).max(0.0) * 1e9) as u64);
        }
    } else if response.dragged() {
        let delta = response.drag_delta();
        let dt = -f64::from(delta.x) / width * (state.t1_s - state.t0_s);
        state.t0_s += dt;
        state.t1_s += dt;
        state.first_lane -= delta.y / state.lane_h;
    }
    if let Some(pointer) = response.hover_pos() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta()));
        let factor = (-f64::from(scroll.y) * 0.003).exp() / f64::from(zoom);
        if factor != 1.0 {
            state.zoom_around(t_at(state, pointer.x), factor);
        }
        if scroll.x != 0.0 {
            let dt = -f64::from(scroll.x) / width * (state.t1_s - state.t0_s);
            state.t0_s += dt;
            state.t1_s += dt;
        }
    }
    if response.double_clicked() {
        state.fit(timeline);
    }
    let max_first = (timeline.lanes.len() as f32 - 1.0).max(0.0);
    state.first_lane = state.first_lane.clamp(0.0, max_first);
    let state = &*state;
    let x_of =
        |t_s: f64| rect.min.x + ((t_s - state.t0_s) / (state.t1_s - state.t0_s) * width) as f32;
    let t_of = |x: f32| t_at(state, x);

    let visuals = ui.visuals();
    painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
    // The future, dimmed: the playhead splits what has happened from what will.
    let now_s = scene.now_ns as f64 * 1e-9;
    let now_x = x_of(now_s);
    if now_x < rect.max.x {
        painter.rect_filled(
            Rect::from_min_max(pos2(now_x.max(rect.min.x), lanes_rect.min.y), rect.max),
            0.0,
            Color32::from_black_alpha(40),
        );
    }
    draw_axis(
        &painter,
        axis,
        state,
        visuals.text_color(),
        visuals.faint_bg_color,
    );

    // Bars.
    let t0_ns = (state.t0_s.max(0.0) * 1e9) as u64;
    let t1_ns = (state.t1_s.max(0.0) * 1e9) as u64;
    let open_end_ns = timeline.end_ns();
    let first = state.first_lane.floor() as usize;
    let visible = (lanes_rect.height() / state.lane_h).ceil() as usize + 1;
    let selected_job = scene.selected_job();
    let mut mesh = Mesh::default();
    let mut labels = Vec::new();
    let mut selected_rects = Vec::new();
    let mut failure_marks = Vec::new();
    let offset = state.first_lane.fract() * state.lane_h;
    for lane in first..(first + visible).min(timeline.lanes.len()) {
        let y0 = lanes_rect.min.y + (lane - first) as f32 * state.lane_h - offset;
        let y1 = y0 + state.lane_h - 1.0;
        let mut merged: Option<(f32, f32)> = None;
        for &run in timeline.runs_in_lane(lane, t0_ns, t1_ns, open_end_ns) {
            let r = &timeline.runs[run as usize];
            let x0 = x_of(r.start_ns as f64 * 1e-9).max(rect.min.x - 1.0);
            let end_x = x_of(r.end_or(open_end_ns) as f64 * 1e-9);
            let x1 = end_x.min(rect.max.x + 1.0);
            if r.failure.is_some() && end_x <= rect.max.x {
                failure_marks.push(pos2(end_x, (y0 + y1) / 2.0));
            }
            if x1 - x0 < MIN_BAR_W {
                merged = match merged {
                    Some((m0, m1)) if x0 <= m1 + MIN_BAR_W => Some((m0, x1.max(m1))),
                    Some((m0, m1)) => {
                        mesh.add_colored_rect(
                            Rect::from_x_y_ranges(m0..=m1.max(m0 + 1.0), y0..=y1),
                            MERGED_COLOR,
                        );
                        Some((x0, x1))
                    }
                    None => Some((x0, x1)),
                };
                continue;
            }
            let bar = Rect::from_x_y_ranges(x0..=x1, y0..=y1);
            let job = &timeline.jobs[r.job as usize];
            mesh.add_colored_rect(bar, job_color(job.id));
            if Some(r.job) == selected_job {
                selected_rects.push(bar);
            }
            if x1 - x0 > LABEL_MIN_W && state.lane_h >= 11.0 {
                labels.push((bar, r.job));
            }
        }
        if let Some((m0, m1)) = merged {
            mesh.add_colored_rect(
                Rect::from_x_y_ranges(m0..=m1.max(m0 + 1.0), y0..=y1),
                MERGED_COLOR,
            );
        }
    }
    painter.add(mesh);
    for bar in selected_rects {
        painter.rect_stroke(
            bar,
            0.0,
            Stroke::new(2.0, SELECTED_COLOR),
            StrokeKind::Inside,
        );
    }
    let font = FontId::proportional((state.lane_h - 3.0).clamp(8.0, 12.0));
    for (bar, job) in labels {
        let job = &timeline.jobs[job as usize];
        let text = format!("{} {}", job.id, job.name);
        let galley = painter.layout_no_wrap(text, font.clone(), Color32::BLACK);
        let clip = bar.shrink2(vec2(2.0, 0.0)).intersect(lanes_rect);
        painter.with_clip_rect(clip).galley(
            pos2(
                bar.min.x.max(rect.min.x) + 3.0,
                bar.center().y - galley.size().y / 2.0,
            ),
            galley,
            Color32::BLACK,
        );
    }
    // Over bars, outlines and labels: a failure is never hidden.
    let half = ((state.lane_h - 3.0) / 2.0).clamp(3.0, 6.0);
    for at in failure_marks {
        for (width, color) in [(3.5, MARK_COLOR), (2.0, DOWN_COLOR)] {
            let stroke = Stroke::new(width, color);
            painter.line_segment([at - vec2(half, half), at + vec2(half, half)], stroke);
            painter.line_segment([at + vec2(-half, half), at + vec2(half, -half)], stroke);
        }
    }
    if (rect.min.x..=rect.max.x).contains(&now_x) {
        painter.line_segment(
            [pos2(now_x, rect.min.y), pos2(now_x, rect.max.y)],
            Stroke::new(1.5, Color32::from_rgb(230, 80, 60)),
        );
    }

    // Picking.
    if let Some(pointer) = response.hover_pos() {
        if axis.contains(pointer) {
            if response.clicked() {
                picks.seek_ns = Some((t_of(pointer.x).max(0.0) * 1e9) as u64);
            }
        } else if let Some(run) = run_under(
            timeline,
            state,
            lanes_rect,
            pointer,
            t_of(pointer.x),
            open_end_ns,
        ) {
            let r = &timeline.runs[run as usize];
            let job = &timeline.jobs[r.job as usize];
            let response = response.clone().on_hover_ui_at_pointer(|ui| {
                ui.strong(format!("job {} “{}”", job.id, job.name));
                ui.label(format!(
                    "{} / {} · {} GPUs",
                    job.user, job.account, job.gpus
                ));
                ui.label(format!(
                    "{} – {}{}",
                    format::clock_ns(r.start_ns),
                    r.end_ns.map_or_else(|| "running".into(), format::clock_ns),
                    if r.preempted { " (preempted)" } else { "" }
                ));
                if let Some(f) = r.failure {
                    ui.colored_label(DOWN_COLOR, format::failure(&timeline.failures[f as usize]));
                }
                ui.label(format!(
                    "waited {}",
                    format::duration_s(job.wait_ns(timeline).unwrap_or(0) as f64 * 1e-9)
                ));
            });
            if response.clicked() {
                picks.select = Some(Selection::Job(job.id));
            }
        }
    }
    picks
}

fn run_under(
    timeline: &Timeline,
    state: &GanttState,
    lanes_rect: Rect,
    pointer: egui::Pos2,
    t_s: f64,
    open_end_ns: u64,
) -> Option<u32> {
    let lane = (state.first_lane + (pointer.y - lanes_rect.min.y) / state.lane_h).floor();
    if lane < 0.0 || lane as usize >= timeline.lanes.len() {
        return None;
    }
    let t_ns = (t_s.max(0.0) * 1e9) as u64;
    // Half a pixel either side, so a sliver can be hovered.
    let slack_ns =
        ((state.t1_s - state.t0_s) / f64::from(lanes_rect.width().max(1.0)) * 1e9) as u64;
    timeline
        .runs_in_lane(
            lane as usize,
            t_ns.saturating_sub(slack_ns),
            t_ns + slack_ns,
            open_end_ns,
        )
        .first()
        .copied()
}

/// Ticks at a round step leaving at least ~90 points between labels.
fn draw_axis(
    painter: &egui::Painter,
    axis: Rect,
    state: &GanttState,
    text: Color32,
    fill: Color32,
) {
    painter.rect_filled(axis, 0.0, fill);
    let span = state.t1_s - state.t0_s;
    let per_point = span / f64::from(axis.width().max(1.0));
    const STEPS_S: [f64; 22] = [
        1e-3,
        1e-2,
        0.1,
        1.0,
        2.0,
        5.0,
        10.0,
        15.0,
        30.0,
        60.0,
        120.0,
        300.0,
        600.0,
        900.0,
        1800.0,
        3600.0,
        7200.0,
        21_600.0,
        43_200.0,
        86_400.0,
        604_800.0,
        2_592_000.0,
    ];
    let step = STEPS_S
        .iter()
        .copied()
        .find(|s| s / per_point >= 90.0)
        .unwrap_or(31_536_000.0);
    let mut t = (state.t0_s / step).ceil() * step;
    while t <= state.t1_s {
        let x = axis.min.x + ((t - state.t0_s) / per_point) as f32;
        painter.line_segment(
            [pos2(x, axis.max.y - 5.0), pos2(x, axis.max.y)],
            Stroke::new(1.0, text),
        );
        let label = if step < 1.0 {
            format!("{t:.3} s")
        } else {
            format::clock_ns((t.max(0.0) * 1e9) as u64)
        };
        painter.text(
            pos2(x + 2.0, axis.min.y + 2.0),
            Align2::LEFT_TOP,
            label,
            FontId::monospace(10.0),
            text,
        );
        t += step;
    }
}
