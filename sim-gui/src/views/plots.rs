//! Plots over the whole run (egui_plot): GPU utilization (and, in a run
//! with node failures or drains, the share of GPUs down and draining) and
//! queue length on a shared time axis with the playhead, and the wait-time
//! distribution.
//!
//! The step functions are resampled to [`PLOT_BUCKETS`] time-weighted means
//! (area-preserving), cached per timeline version, so a million-change
//! trace plots as fast as a small one.

use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, VLine};

use super::{DOWN_COLOR, DRAIN_COLOR, Picks, Scene};
use crate::format;
use crate::timeline::Timeline;

/// Points per curve.
pub const PLOT_BUCKETS: usize = 1_500;

/// Series derived from one timeline, rebuilt when it grows.
#[derive(Default)]
pub struct Series {
    version: Option<u64>,
    /// `(hours, utilization %)`.
    pub utilization: Vec<[f64; 2]>,
    /// `(hours, % of GPUs down)` and draining; empty for a run without
    /// node failures or drains.
    pub down: Vec<[f64; 2]>,
    pub draining: Vec<[f64; 2]>,
    /// `(hours, queued jobs)`.
    pub queue: Vec<[f64; 2]>,
    /// Wait histogram: `(log10 seconds bin centre, jobs)`.
    pub waits: Vec<(f64, f64)>,
    pub waited_jobs: usize,
    pub zero_waits: usize,
}

impl Series {
    /// Recomputes if the timeline changed since last time.
    pub fn refresh(&mut self, timeline: &Timeline) {
        if self.version == Some(timeline.version) {
            return;
        }
        self.version = Some(timeline.version);
        let total = f64::from(timeline.layout.total_gpus.max(1));
        let sampled = timeline.sampled_counts(PLOT_BUCKETS);
        self.utilization = sampled
            .iter()
            .map(|s| [s[0] / 3600.0, 100.0 * s[1] / total])
            .collect();
        self.queue = sampled.iter().map(|s| [s[0] / 3600.0, s[2]]).collect();
        let failures = !timeline.nodes.events().is_empty();
        let share = |i: usize| -> Vec<[f64; 2]> {
            sampled
                .iter()
                .filter(|_| failures)
                .map(|s| [s[0] / 3600.0, 100.0 * s[i] / total])
                .collect()
        };
        self.down = share(3);
        self.draining = share(4);
        let waits = timeline.waits_s();
        self.waited_jobs = waits.len();
        // Quarter-decade bins from 1 s; waits under a second get their own bar.
        self.zero_waits = waits.iter().filter(|&&w| w < 1.0).count();
        let mut bins = [0usize; 32];
        for &w in waits.iter().filter(|&&w| w >= 1.0) {
            let bin = ((w.log10() * 4.0).floor() as usize).min(bins.len() - 1);
            bins[bin] += 1;
        }
        let used = bins.iter().rposition(|&n| n > 0).map_or(0, |i| i + 1);
        self.waits = bins[..used]
            .iter()
            .enumerate()
            .map(|(i, &n)| ((i as f64 + 0.5) / 4.0, n as f64))
            .collect();
    }
}

/// Draws the three plots.
pub fn show(ui: &mut egui::Ui, scene: &Scene<'_>, series: &mut Series) -> Picks {
    series.refresh(scene.timeline);
    let mut picks = Picks::default();
    let link = ui.scope_id().with("time-axis");
    let height = ((ui.available_height() - 60.0) / 3.0).max(120.0);

    let mut utilization = vec![Curve::new("utilization", &series.utilization)];
    if series.down.is_empty() {
        ui.label("GPU utilization (%)");
    } else {
        ui.label("GPUs busy, down and draining (% of all GPUs)");
        utilization.push(Curve::new("down", &series.down).color(DOWN_COLOR));
        utilization.push(Curve::new("draining", &series.draining).color(DRAIN_COLOR));
    }
    let clicked_u = time_plot(
        ui,
        "utilization",
        link,
        height,
        true,
        &utilization,
        scene.now_ns,
    );
    ui.label("Queued jobs");
    let queue = [Curve::new("queued", &series.queue)];
    let clicked_q = time_plot(ui, "queue", link, height, false, &queue, scene.now_ns);
    picks.seek_ns = clicked_u.or(clicked_q);

    ui.label(format!(
        "Wait before first start: {} jobs started, {} of them within a second (not shown)",
        series.waited_jobs, series.zero_waits
    ));
    let bars = series
        .waits
        .iter()
        .map(|&(x, n)| {
            Bar::new(x, n).width(0.23).name(format!(
                "{} – {}",
                format::duration_s(10f64.powf(x - 0.125)),
                format::duration_s(10f64.powf(x + 0.125))
            ))
        })
        .collect();
    Plot::new("waits")
        .height(height)
        .legend(Legend::default())
        .x_axis_label("wait")
        .x_axis_formatter(|mark, _| format::compact_s(10f64.powf(mark.value)))
        .y_axis_label("jobs")
        .include_y(0.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("jobs per quarter decade of wait", bars))
        });
    picks
}

/// One curve of a [`time_plot`]: `(hours, value)` points.
pub struct Curve<'a> {
    pub name: String,
    pub points: &'a [[f64; 2]],
    pub color: Option<egui::Color32>,
}

impl<'a> Curve<'a> {
    pub fn new(name: impl Into<String>, points: &'a [[f64; 2]]) -> Self {
        Curve {
            name: name.into(),
            points,
            color: None,
        }
    }

    pub fn color(self, color: egui::Color32) -> Self {
        Curve {
            color: Some(color),
            ..self
        }
    }
}

/// Curves over simulated hours with the playhead, on an x axis shared by
/// every plot linked to `link`; `percent` pins y to 0-100. Returns the
/// instant clicked, if any.
pub fn time_plot(
    ui: &mut egui::Ui,
    id: &str,
    link: egui::Id,
    height: f32,
    percent: bool,
    curves: &[Curve<'_>],
    now_ns: u64,
) -> Option<u64> {
    let mut plot = Plot::new(id)
        .height(height)
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .include_y(0.0)
        .x_axis_label("time (h)")
        .allow_scroll(false);
    if percent {
        plot = plot.include_y(100.0);
    }
    if curves.len() > 1 {
        plot = plot.legend(Legend::default());
    }
    let response = plot.show(ui, |plot| {
        for curve in curves {
            let mut line = Line::new(curve.name.clone(), PlotPoints::from(curve.points.to_vec()));
            if let Some(color) = curve.color {
                line = line.color(color);
            }
            plot.line(line);
        }
        plot.vline(VLine::new("now", now_ns as f64 * 1e-9 / 3600.0));
        plot.response()
            .clicked()
            .then(|| plot.pointer_coordinate())
            .flatten()
    });
    response.inner.map(|p| (p.x.max(0.0) * 3600.0 * 1e9) as u64)
}
