//! Side by side: two runs (two scenarios, or two `--set` variants of one)
//! as a table of headline numbers with the relative change, and their
//! utilization and queue curves on shared axes.
//!
//! This view builds both sides itself: each from its session's snapshot
//! ([`Side::of`]), run B locked here for the frame once it is done, and a
//! variant typed in the tab becomes run A's scenario with those `--set`
//! overrides, for the app to open as B. Each side's headline numbers are
//! cached per timeline version.

use egui::{Color32, RichText};
use sim_core::metrics::Summary;

use super::plots::{Curve, Series, time_plot};
use crate::format;
use crate::session::{Session, Shared, Source, Status};
use crate::timeline::{Stats, Timeline};

/// One side of the comparison.
pub struct Side<'a> {
    pub source: &'a Source,
    pub timeline: &'a Timeline,
    pub summary: Option<&'a Summary>,
}

impl<'a> Side<'a> {
    /// A run as its session's snapshot holds it, once it has a timeline.
    pub fn of(source: &'a Source, shared: &'a Shared) -> Option<Self> {
        let timeline = shared.timeline.as_ref()?;
        Some(Side {
            source,
            timeline,
            summary: shared.result.as_ref().map(|r| &r.summary),
        })
    }
}

/// What the user asked for from the compare tab.
#[derive(Debug, PartialEq)]
pub enum CompareAction {
    /// Pick a second file.
    OpenFile,
    /// Open this as B: run A's scenario with the `--set` overrides typed in
    /// the tab.
    RunVariant(Source),
    Close,
}

/// The variant being typed and the cached curves.
#[derive(Default)]
pub struct CompareState {
    /// `key=value` overrides, one per line or separated by spaces.
    pub variant: String,
    series: [Series; 2],
    /// Each side's headline numbers and the timeline version they are of.
    stats: [Option<(u64, Stats)>; 2],
}

impl CompareState {
    /// Forgets the cached curves and numbers, for a new run B; the variant
    /// being typed stays.
    pub fn start_over(&mut self) {
        let variant = std::mem::take(&mut self.variant);
        *self = CompareState {
            variant,
            ..CompareState::default()
        };
    }

    fn stats(&mut self, side: usize, timeline: &Timeline) -> Stats {
        match self.stats[side] {
            Some((version, stats)) if version == timeline.version => stats,
            _ => {
                let stats = timeline.stats();
                self.stats[side] = Some((timeline.version, stats));
                stats
            }
        }
    }
}

pub const A_COLOR: Color32 = Color32::from_rgb(90, 160, 230);
pub const B_COLOR: Color32 = Color32::from_rgb(240, 150, 60);

/// Draws the tab for run A against run B (`None` until one is opened).
pub fn show(
    ui: &mut egui::Ui,
    a: &Side<'_>,
    b: Option<&Session>,
    now_ns: u64,
    state: &mut CompareState,
) -> Option<CompareAction> {
    let b_shared = b.map(Session::lock);
    let b_side = b
        .zip(b_shared.as_deref())
        .filter(|(_, shared)| shared.status == Status::Done)
        .and_then(|(b, shared)| Side::of(&b.source, shared));
    let action = controls_ui(ui, a.source, b_side.is_some(), &mut state.variant);
    if let Some(status) = b_shared.as_deref().and_then(not_ready) {
        ui.label(status);
    }
    let Some(b) = b_side else {
        ui.label("Nothing to compare yet: open a second scenario or trace, or run a variant.");
        return action;
    };
    ui.separator();
    numbers_ui(ui, a, &b, state);
    curves_ui(ui, a, &b, now_ns, state);
    action
}

/// Why B has no side yet: still running, or it failed.
fn not_ready(b: &Shared) -> Option<String> {
    match &b.status {
        Status::Done => None,
        Status::Failed(m) => Some(format!("B could not be opened:\n{m}")),
        _ => Some("B is running…".into()),
    }
}

/// Open a second file, type and run a variant of A, close B.
fn controls_ui(
    ui: &mut egui::Ui,
    a: &Source,
    b_shown: bool,
    variant: &mut String,
) -> Option<CompareAction> {
    let mut action = None;
    // Wrapped, so that the last buttons stay in the panel when the
    // inspector leaves it little width.
    ui.horizontal_wrapped(|ui| {
        if ui.button("Open a second file…").clicked() {
            action = Some(CompareAction::OpenFile);
        }
        ui.label("or run this scenario again with");
        ui.add(
            egui::TextEdit::singleline(variant)
                .hint_text("scheduler.backfill=None")
                .desired_width(260.0),
        );
        let overrides: Vec<String> = variant.split_whitespace().map(str::to_string).collect();
        if ui
            .add_enabled(!overrides.is_empty(), egui::Button::new("Run variant"))
            .on_hover_text("the same as clustersim run FILE --set KEY=VALUE ...")
            .clicked()
        {
            action = variant_of(a, overrides).map(CompareAction::RunVariant);
        }
        if b_shown && ui.button("Close B").clicked() {
            action = Some(CompareAction::Close);
        }
    });
    action
}

/// A's scenario again with `overrides` in place of its own; a trace cannot
/// be run again.
fn variant_of(a: &Source, overrides: Vec<String>) -> Option<Source> {
    match a {
        Source::Scenario { path, .. } => Some(Source::Scenario {
            path: path.clone(),
            overrides,
        }),
        Source::Trace { .. } => None,
    }
}

/// The headline numbers of both sides and B's change from A.
fn numbers_ui(ui: &mut egui::Ui, a: &Side<'_>, b: &Side<'_>, state: &mut CompareState) {
    let (sa, sb) = (state.stats(0, a.timeline), state.stats(1, b.timeline));
    egui::Grid::new("compare-grid")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            ui.label("");
            ui.label(
                RichText::new(format!("A: {}", a.source.label()))
                    .color(A_COLOR)
                    .strong(),
            );
            ui.label(
                RichText::new(format!("B: {}", b.source.label()))
                    .color(B_COLOR)
                    .strong(),
            );
            ui.label(RichText::new("B vs A").strong());
            ui.end_row();
            for (name, va, vb, text) in rows(&sa, &sb, a.summary, b.summary) {
                ui.label(name);
                ui.label(text(va));
                ui.label(text(vb));
                ui.label(change(va, vb));
                ui.end_row();
            }
        });
}

/// Utilization and queue of both sides on shared, linked axes.
fn curves_ui(ui: &mut egui::Ui, a: &Side<'_>, b: &Side<'_>, now_ns: u64, state: &mut CompareState) {
    state.series[0].refresh(a.timeline);
    state.series[1].refresh(b.timeline);
    let link = ui.scope_id().with("compare-axes");
    let height = ((ui.available_height() - 40.0) / 2.0).max(120.0);
    let [series_a, series_b] = &state.series;
    let (label_a, label_b) = (a.source.label(), b.source.label());
    let curves = |pick: fn(&Series) -> &Vec<[f64; 2]>| {
        [
            Curve::new(format!("A: {label_a}"), pick(series_a)).color(A_COLOR),
            Curve::new(format!("B: {label_b}"), pick(series_b)).color(B_COLOR),
        ]
    };
    ui.label("GPU utilization (%), shared axes");
    time_plot(
        ui,
        "compare-utilization",
        link,
        height,
        true,
        &curves(|s| &s.utilization),
        now_ns,
    );
    ui.label("Queued jobs, shared axes");
    time_plot(
        ui,
        "compare-queue",
        link,
        height,
        false,
        &curves(|s| &s.queue),
        now_ns,
    );
}

type Row = (
    &'static str,
    Option<f64>,
    Option<f64>,
    fn(Option<f64>) -> String,
);

fn rows(a: &Stats, b: &Stats, sa: Option<&Summary>, sb: Option<&Summary>) -> Vec<Row> {
    let count: fn(Option<f64>) -> String = |v| v.map_or_else(|| "—".into(), |v| format!("{v:.0}"));
    let time: fn(Option<f64>) -> String = |v| v.map_or_else(|| "—".into(), format::duration_s);
    let percent: fn(Option<f64>) -> String =
        |v| v.map_or_else(|| "—".into(), |v| format!("{:.1} %", 100.0 * v));
    let plain: fn(Option<f64>) -> String = |v| v.map_or_else(|| "—".into(), |v| format!("{v:.2}"));
    let n = |v: usize| Some(v as f64);
    let mut rows: Vec<Row> = vec![
        ("jobs", n(a.jobs), n(b.jobs), count),
        ("completed", n(a.completed), n(b.completed), count),
        ("timed out", n(a.timed_out), n(b.timed_out), count),
        ("refused", n(a.refused), n(b.refused), count),
        (
            "preempted runs",
            n(a.preempted_runs),
            n(b.preempted_runs),
            count,
        ),
    ];
    // Runs without failures keep the table they always had.
    if a.failed_runs + b.failed_runs > 0 {
        rows.push((
            "runs ended by a failure",
            n(a.failed_runs),
            n(b.failed_runs),
            count,
        ));
        rows.push(("NODE_FAIL jobs", n(a.node_fail), n(b.node_fail), count));
    }
    rows.extend([
        ("mean wait", a.mean_wait_s, b.mean_wait_s, time),
        ("median wait", a.median_wait_s, b.median_wait_s, time),
        ("95th percentile wait", a.p95_wait_s, b.p95_wait_s, time),
        ("makespan", Some(a.makespan_s), Some(b.makespan_s), time),
        (
            "GPU utilization",
            Some(a.utilization),
            Some(b.utilization),
            percent,
        ),
    ]);
    if let (Some(sa), Some(sb)) = (sa, sb) {
        rows.push((
            "mean bounded slowdown",
            sa.bounded_slowdown_mean,
            sb.bounded_slowdown_mean,
            plain,
        ));
        rows.push((
            "backfilled jobs",
            Some(sa.scheduling.backfilled_jobs as f64),
            Some(sb.scheduling.backfilled_jobs as f64),
            count,
        ));
        let mean_mfu = |s: &Summary| {
            (!s.training.is_empty())
                .then(|| s.training.iter().map(|t| t.mfu).sum::<f64>() / s.training.len() as f64)
        };
        if !sa.training.is_empty() || !sb.training.is_empty() {
            rows.push(("mean training MFU", mean_mfu(sa), mean_mfu(sb), percent));
        }
    }
    rows
}

fn change(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if a == b => "same".into(),
        (Some(a), Some(b)) if a.abs() > 1e-12 => format!("{:+.1} %", 100.0 * (b - a) / a.abs()),
        (Some(_), Some(b)) => format!("{b:+.2} (from 0)"),
        _ => "—".into(),
    }
}
