//! The viewer: what is open, what is remembered, and one frame's order of
//! work (files dropped, the window's panels, the file dialog, a scripted
//! screenshot). The panels themselves are drawn in `panels`.
//!
//! Invariants: the app owns at most two sessions (A, and B for compare)
//! and at most one study's results, from which a replication opens as run
//! A like any scenario;
//! each frame locks a session once and draws from that snapshot; views
//! report picks ([`Picks`]) and panels report requests, which the app
//! carries out after drawing, so no view mutates another's state. Settings
//! that should survive a restart (tab, colours, panels, speed, recent
//! files) live in [`Settings`] and go through eframe's storage; window
//! geometry is eframe's own.

mod panels;

use std::path::{Path, PathBuf};
use std::time::Instant;

use egui::Color32;
use serde::{Deserialize, Serialize};
use sim_core::simulation::RunResult;

use crate::playback::Playback;
use crate::session::{Session, Source, Status};
use crate::timeline::Timeline;
use crate::views::compare::{CompareAction, CompareState};
use crate::views::gantt::GanttState;
use crate::views::jobs::JobTable;
use crate::views::map::MapState;
use crate::views::plots::Series;
use crate::views::study::{self, OpenReplication, StudyView};
use crate::views::{ColorBy, Picks, Selection};
use panels::{Panels, Requests};

/// The main views.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Tab {
    #[default]
    Map,
    Gantt,
    Plots,
    Jobs,
    Compare,
    /// A study's results (offered while one is open).
    Study,
}

impl Tab {
    /// The views of a run.
    const ALL: [(Tab, &'static str); 5] = [
        (Tab::Map, "Cluster map"),
        (Tab::Gantt, "Gantt"),
        (Tab::Plots, "Plots"),
        (Tab::Jobs, "Jobs"),
        (Tab::Compare, "Compare"),
    ];
}

/// What the command line asked for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A scenario, trace or study results directory (or its study.json).
    pub open: Option<PathBuf>,
    pub overrides: Vec<String>,
    /// A second file for the compare view.
    pub compare: Option<PathBuf>,
    /// `--set` overrides for B; with no `compare` file, B is `open` again.
    pub compare_overrides: Vec<String>,
    pub tab: Option<Tab>,
    /// Start with the playhead here (simulated seconds).
    pub at_s: Option<f64>,
    pub select_job: Option<u64>,
    /// Save a PNG of the window once the run has been drawn, then quit.
    pub screenshot: Option<PathBuf>,
    /// A study's results directory to open.
    pub study: Option<PathBuf>,
    /// The study's metric to plot (by name), and the parameter to plot it
    /// against (by path); the first metric and numeric parameter if none.
    pub study_metric: Option<String>,
    pub study_against: Option<String>,
}

/// What is remembered between runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub recent: Vec<PathBuf>,
    pub tab: Tab,
    pub color_by: ColorBy,
    pub show_lesson: bool,
    pub show_inspector: bool,
    pub playback: Playback,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            recent: Vec::new(),
            tab: Tab::Map,
            color_by: ColorBy::Job,
            show_lesson: true,
            show_inspector: true,
            playback: Playback::default(),
        }
    }
}

/// Where [`Settings`] live in eframe's storage.
pub const SETTINGS_KEY: &str = "clustersim-gui";
const MAX_RECENT: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DialogPurpose {
    Open,
    Compare,
    Study,
}

/// Commands waiting for a run to be ready (from the command line).
#[derive(Default)]
struct Pending {
    at_ns: Option<u64>,
    select_job: Option<u64>,
    screenshot: Option<PathBuf>,
    /// Frames drawn since the run finished, so layout settles first.
    frames_since_done: u32,
    screenshot_requested: bool,
}

impl Pending {
    /// Seeks and selects as the command line asked, once the run is
    /// complete in `timeline`.
    fn apply(&mut self, timeline: &Timeline, playback: &mut Playback, selection: &mut Selection) {
        if let Some(at) = self.at_ns.take() {
            playback.seek(at, timeline.end_ns());
        }
        if let Some(id) = self.select_job.take()
            && timeline.job_by_id(id).is_some()
        {
            *selection = Selection::Job(id);
        }
    }
}

/// The views' own state (zoom, sorting, cached geometry and curves),
/// started afresh for each run A.
#[derive(Default)]
struct ViewStates {
    map: MapState,
    gantt: GanttState,
    series: Series,
    table: JobTable,
}

/// The viewer.
pub struct ViewerApp {
    pub settings: Settings,
    session: Option<Session>,
    compare: Option<Session>,
    study: Option<StudyView>,
    /// The replication run A is, when it was opened from the study.
    from_study: Option<OpenReplication>,
    pub selection: Selection,
    views: ViewStates,
    compare_state: CompareState,
    dialog: Option<(egui_file::FileDialog, DialogPurpose)>,
    pending: Pending,
    /// Our own CPU time per frame, smoothed, in milliseconds.
    frame_ms: f32,
    repaint: Option<egui::Context>,
    /// Whether `save` writes settings (not for scripted screenshots).
    pub persist: bool,
}

impl ViewerApp {
    /// Builds the app, restoring settings from eframe's storage.
    pub fn new(cc: &eframe::CreationContext<'_>, options: Options) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, SETTINGS_KEY))
            .unwrap_or_default();
        let mut app = ViewerApp::with_settings(settings, Some(cc.egui_ctx.clone()));
        app.apply_options(options);
        app
    }

    /// An app with these settings and nothing open. `ctx` is woken when a
    /// background run has more to show.
    pub fn with_settings(settings: Settings, ctx: Option<egui::Context>) -> Self {
        ViewerApp {
            settings,
            session: None,
            compare: None,
            study: None,
            from_study: None,
            selection: Selection::Nothing,
            views: ViewStates::default(),
            compare_state: CompareState::default(),
            dialog: None,
            pending: Pending::default(),
            frame_ms: 0.0,
            repaint: ctx,
            persist: true,
        }
    }

    fn apply_options(&mut self, options: Options) {
        if let Some(tab) = options.tab {
            self.settings.tab = tab;
        }
        self.pending.at_ns = options.at_s.map(|s| (s.max(0.0) * 1e9) as u64);
        self.pending.select_job = options.select_job;
        self.pending.screenshot = options.screenshot;
        let study_dir = (options.study.clone())
            .or_else(|| options.open.as_deref().and_then(study::results_dir));
        if let Some(dir) = study_dir {
            self.open_study(&dir);
            if let Some(view) = &mut self.study {
                // The command line checked the names; a bad one changes
                // nothing here.
                let _ = view.pick(
                    options.study_metric.as_deref(),
                    options.study_against.as_deref(),
                );
            }
            return;
        }
        if let Some(path) = &options.open {
            self.open(Source::from_path(path, options.overrides.clone()));
            let b = match (&options.compare, options.compare_overrides.is_empty()) {
                (Some(other), _) => Some(Source::from_path(other, options.compare_overrides)),
                (None, false) => Some(Source::from_path(path, options.compare_overrides)),
                (None, true) => None,
            };
            if let Some(b) = b {
                self.open_compare(b);
            }
        }
    }

    /// Opens what `path` names: a study's results (a directory holding
    /// study.json, or that file), else a scenario or trace as run A.
    pub fn open_path(&mut self, path: &Path) {
        match study::results_dir(path) {
            Some(dir) => self.open_study(&dir),
            None => self.open(Source::from_path(path, Vec::new())),
        }
    }

    /// Opens the results of a study in `dir` on the Study tab, replacing
    /// whatever was open; a directory that cannot be read shows why.
    pub fn open_study(&mut self, dir: &Path) {
        self.remember(dir);
        self.study = Some(StudyView::open(dir));
        self.session = None;
        self.compare = None;
        self.from_study = None;
        self.selection = Selection::Nothing;
        self.settings.tab = Tab::Study;
    }

    /// Opens replication `open.replication` of the study's point
    /// `open.point` as run A: the study's scenario with the point's
    /// overrides and the replication's seed, as `--set`s.
    pub fn open_replication(&mut self, open: OpenReplication) {
        let Some(Ok(results)) = self.study.as_ref().map(|s| &s.results) else {
            return;
        };
        let Some(overrides) = results.replication_overrides(open.point, open.replication) else {
            return;
        };
        let source = Source::Scenario {
            path: results.scenario_path(),
            overrides: overrides.into_iter().map(|s| s.argument).collect(),
        };
        self.open(source);
        self.from_study = Some(open);
        if self.settings.tab == Tab::Study {
            self.settings.tab = Tab::Map;
        }
    }

    /// The open study, if any.
    pub fn study(&self) -> Option<&StudyView> {
        self.study.as_ref()
    }

    pub fn study_mut(&mut self) -> Option<&mut StudyView> {
        self.study.as_mut()
    }

    /// The replication run A is, when it was opened from the study.
    pub fn from_study(&self) -> Option<OpenReplication> {
        self.from_study
    }

    /// What run A is, if anything is open.
    pub fn source(&self) -> Option<&Source> {
        self.session.as_ref().map(|s| &s.source)
    }

    fn remember(&mut self, path: &Path) {
        self.settings.recent.retain(|p| p != path);
        self.settings.recent.insert(0, path.to_path_buf());
        self.settings.recent.truncate(MAX_RECENT);
    }

    /// Opens `source` as run A, replacing whatever run was open.
    pub fn open(&mut self, source: Source) {
        self.remember(source.path());
        self.session = Some(Session::open(source, self.waker()));
        self.from_study = None;
        self.compare = None;
        self.selection = Selection::Nothing;
        self.views = ViewStates::default();
        self.settings.playback.now_ns = 0;
        self.settings.playback.playing = false;
        self.settings.show_lesson = true;
    }

    /// Opens `source` as run B, for the compare view.
    pub fn open_compare(&mut self, source: Source) {
        self.compare = Some(Session::open(source, self.waker()));
        self.compare_state.start_over();
    }

    fn waker(&self) -> impl Fn() + Send + 'static {
        let ctx = self.repaint.clone();
        move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        }
    }

    /// Run A's status, or `None` when nothing is open.
    pub fn status(&self) -> Option<Status> {
        self.session.as_ref().map(|s| s.lock().status.clone())
    }

    /// Reads run A's timeline, if one is loaded.
    pub fn with_timeline<R>(&self, f: impl FnOnce(&Timeline) -> R) -> Option<R> {
        let session = self.session.as_ref()?;
        let shared = session.lock();
        shared.timeline.as_ref().map(f)
    }

    /// Reads run A's result, once its simulation is done (scenarios only).
    pub fn with_result<R>(&self, f: impl FnOnce(&RunResult) -> R) -> Option<R> {
        let session = self.session.as_ref()?;
        let shared = session.lock();
        shared.result.as_ref().map(f)
    }

    /// The Gantt chart's visible window.
    pub fn gantt(&self) -> &GanttState {
        &self.views.gantt
    }

    /// The playhead, in simulated nanoseconds.
    pub fn now_ns(&self) -> u64 {
        self.settings.playback.now_ns
    }

    /// Blocks until the background work of both runs has finished (tests
    /// and scripts).
    pub fn wait_until_loaded(&mut self) {
        for session in [&mut self.session, &mut self.compare].into_iter().flatten() {
            session.wait();
        }
    }
}

impl eframe::App for ViewerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        if self.repaint.is_none() {
            self.repaint = Some(ctx.clone());
        }
        self.open_dropped_file(&ctx);
        drop_overlay_ui(&ctx);
        self.draw(ui);
        self.file_dialog_ui(&ctx);
        self.handle_screenshot(&ctx);
        let ms = started.elapsed().as_secs_f32() * 1e3;
        self.frame_ms = if self.frame_ms == 0.0 {
            ms
        } else {
            0.9 * self.frame_ms + 0.1 * ms
        };
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.persist {
            eframe::set_value(storage, SETTINGS_KEY, &self.settings);
        }
    }
}

impl ViewerApp {
    /// Moves the playhead, draws the window's panels from one lock of run
    /// A, then carries out what they asked for.
    fn draw(&mut self, ui: &mut egui::Ui) {
        // The Study tab only while a study is open (a remembered tab or
        // `--view study` without one shows the run).
        if self.settings.tab == Tab::Study && self.study.is_none() {
            self.settings.tab = Tab::Map;
        }
        let dt = ui.input(|i| i.stable_dt).min(0.25);
        // Lock once per frame; the background thread waits at most a frame.
        let shared = self.session.as_ref().map(Session::lock);
        let timeline = shared.as_ref().and_then(|s| s.timeline.as_ref());
        let live = shared
            .as_ref()
            .is_some_and(|s| matches!(s.status, Status::Loading | Status::Running { .. }));
        let end_ns = timeline.map_or(0, Timeline::end_ns);

        // Command-line requests that needed the run.
        if let Some(t) = timeline
            && !live
        {
            self.pending
                .apply(t, &mut self.settings.playback, &mut self.selection);
        }

        let playback = &mut self.settings.playback;
        playback.advance(f64::from(dt), end_ns, live);
        playback.now_ns = playback.now_ns.min(end_ns);
        if playback.playing || live {
            ui.ctx().request_repaint();
        }

        let mut panels = Panels {
            now_ns: playback.now_ns,
            session: self.session.as_ref(),
            shared: shared.as_deref(),
            timeline,
            compare: self.compare.as_ref(),
            study: self.study.as_mut(),
            from_study: self.from_study,
            settings: &mut self.settings,
            selection: self.selection,
            views: &mut self.views,
            compare_state: &mut self.compare_state,
            frame_ms: self.frame_ms,
            live,
            end_ns,
            requests: Requests::default(),
        };
        panels.top_panel_ui(ui);
        panels.status_bar_ui(ui);
        panels.lesson_panel_ui(ui);
        panels.inspector_panel_ui(ui);
        panels.central_panel_ui(ui);
        let requests = panels.requests;
        drop(shared);
        self.carry_out(requests, end_ns);
    }

    /// Does what the panels asked for during the frame, run A unlocked.
    fn carry_out(&mut self, requests: Requests, end_ns: u64) {
        let Requests {
            picks,
            open_dialog,
            open_recent,
            compare,
            open_replication,
        } = requests;
        let Picks { select, seek_ns } = picks;
        if let Some(selection) = select {
            self.selection = selection;
        }
        if let Some(t) = seek_ns {
            self.settings.playback.seek(t, end_ns);
        }
        if let Some(purpose) = open_dialog {
            self.open_dialog(purpose);
        }
        if let Some(path) = open_recent {
            self.open_path(&path);
        }
        if let Some(open) = open_replication {
            self.open_replication(open);
        }
        match compare {
            Some(CompareAction::OpenFile) => self.open_dialog(DialogPurpose::Compare),
            Some(CompareAction::RunVariant(source)) => self.open_compare(source),
            Some(CompareAction::Close) => self.compare = None,
            None => {}
        }
    }

    /// Opens the first file (or study results directory) dropped on the
    /// window.
    fn open_dropped_file(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(path) = dropped.first() {
            self.open_path(path);
        }
    }

    fn open_dialog(&mut self, purpose: DialogPurpose) {
        let start = self
            .settings
            .recent
            .first()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .or_else(|| Some(PathBuf::from("scenarios")).filter(|p| p.is_dir()));
        let mut dialog = match purpose {
            DialogPurpose::Study => egui_file::FileDialog::select_folder(),
            DialogPurpose::Open | DialogPurpose::Compare => egui_file::FileDialog::open_file(),
        };
        if let Some(start) = start {
            dialog = dialog.initial_path(start);
        }
        let mut dialog = dialog
            .title(match purpose {
                DialogPurpose::Open => {
                    "Open a scenario (.ron), trace (.jsonl) or study results (study.json)"
                }
                DialogPurpose::Compare => "Open a second run to compare",
                DialogPurpose::Study => {
                    "Open a study's results directory (clustersim study --out DIR)"
                }
            })
            .show_files_filter(Box::new(move |p: &Path| {
                p.extension().is_some_and(|e| e == "ron" || e == "jsonl")
                    || (purpose == DialogPurpose::Open
                        && p.file_name().is_some_and(|n| n == study::MANIFEST))
            }));
        dialog.open();
        self.dialog = Some((dialog, purpose));
    }

    /// The open file dialog, if any; opens what it picks as A or B.
    fn file_dialog_ui(&mut self, ctx: &egui::Context) {
        let Some((dialog, purpose)) = self.dialog.as_mut() else {
            return;
        };
        dialog.show(ctx);
        if dialog.selected()
            && let Some(path) = dialog.path().map(Path::to_path_buf)
        {
            let purpose = *purpose;
            self.dialog = None;
            match purpose {
                DialogPurpose::Open => self.open_path(&path),
                DialogPurpose::Study => self.open_study(&path),
                DialogPurpose::Compare => {
                    self.open_compare(Source::from_path(&path, Vec::new()));
                    self.settings.tab = Tab::Compare;
                }
            }
        } else if matches!(
            dialog.state(),
            egui_file::State::Cancelled | egui_file::State::Closed
        ) {
            self.dialog = None;
        }
    }

    /// For `--screenshot`: once both runs are over and a few frames have
    /// settled, saves the window to the file and closes it.
    fn handle_screenshot(&mut self, ctx: &egui::Context) {
        let Some(path) = self.pending.screenshot.clone() else {
            return;
        };
        let done = [&self.session, &self.compare]
            .into_iter()
            .flatten()
            .all(Session::is_finished);
        if !done {
            return;
        }
        // A few frames let caches fill, plots fit and tooltips settle.
        self.pending.frames_since_done += 1;
        if self.pending.frames_since_done < 5 {
            ctx.request_repaint();
            return;
        }
        if !self.pending.screenshot_requested {
            self.pending.screenshot_requested = true;
            let waker = ctx.clone();
            let save = egui::ScreenshotCallback::new(move |image| {
                let saved = image::save_buffer(
                    &path,
                    image.as_raw(),
                    image.width() as u32,
                    image.height() as u32,
                    image::ColorType::Rgba8,
                );
                if let Err(e) = saved {
                    // A script asked for this file: fail loudly, not with a
                    // missing picture discovered later.
                    eprintln!(
                        "clustersim-gui: cannot write the screenshot {}: {e}\n  fix: check that its directory exists and is writable",
                        path.display()
                    );
                    std::process::exit(1);
                }
                waker.send_viewport_cmd(egui::ViewportCommand::Close);
                waker.request_repaint();
            });
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(save));
        }
        ctx.request_repaint();
    }
}

/// While a file is dragged over the window: a veil saying what dropping
/// it does.
fn drop_overlay_ui(ctx: &egui::Context) {
    let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, Color32::from_black_alpha(160));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop a scenario (.ron), trace (.jsonl) or study results directory to open it",
        egui::FontId::proportional(22.0),
        Color32::WHITE,
    );
}
