//! The window: menu and playback bar on top, status at the bottom, the
//! teaching panel on the left, the inspector on the right and the current
//! view in the middle.
//!
//! Invariants: the app owns at most two sessions (A, and B for compare);
//! each frame locks a session once and draws from that snapshot; views
//! report picks ([`Picks`]) that the app applies after drawing, so no view
//! mutates another's state. Settings that should survive a restart (tab,
//! colours, panels, speed, recent files) live in [`Settings`] and go
//! through eframe's storage; window geometry is eframe's own.

use std::path::{Path, PathBuf};
use std::time::Instant;

use egui::{Color32, RichText};
use serde::{Deserialize, Serialize};

use crate::format;
use crate::playback::{MAX_SPEED, MIN_SPEED, Playback};
use crate::session::{Session, Source, Status};
use crate::views::compare::{self, CompareAction, CompareState, Side};
use crate::views::gantt::{self, GanttState};
use crate::views::jobs::{self, JobTable};
use crate::views::map::{self, MapState};
use crate::views::plots::{self, Series};
use crate::views::{ColorBy, Picks, Scene, Selection, inspector};

/// The main views.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Tab {
    #[default]
    Map,
    Gantt,
    Plots,
    Jobs,
    Compare,
}

impl Tab {
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

/// The viewer.
pub struct ViewerApp {
    pub settings: Settings,
    session: Option<Session>,
    compare: Option<Session>,
    pub selection: Selection,
    map: MapState,
    gantt: GanttState,
    series: Series,
    table: JobTable,
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
            selection: Selection::Nothing,
            map: MapState::default(),
            gantt: GanttState::default(),
            series: Series::default(),
            table: JobTable::default(),
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

    /// Opens `source` as run A, replacing whatever was open.
    pub fn open(&mut self, source: Source) {
        let path = source.path().to_path_buf();
        self.settings.recent.retain(|p| p != &path);
        self.settings.recent.insert(0, path);
        self.settings.recent.truncate(MAX_RECENT);
        self.session = Some(Session::open(source, self.waker()));
        self.compare = None;
        self.selection = Selection::Nothing;
        self.map = MapState::default();
        self.gantt = GanttState::default();
        self.series = Series::default();
        self.table = JobTable::default();
        self.settings.playback.now_ns = 0;
        self.settings.playback.playing = false;
        self.settings.show_lesson = true;
    }

    /// Opens `source` as run B, for the compare view.
    pub fn open_compare(&mut self, source: Source) {
        self.compare = Some(Session::open(source, self.waker()));
        let variant = std::mem::take(&mut self.compare_state.variant);
        self.compare_state = CompareState::default();
        self.compare_state.variant = variant;
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
    pub fn with_timeline<R>(&self, f: impl FnOnce(&crate::timeline::Timeline) -> R) -> Option<R> {
        let session = self.session.as_ref()?;
        let shared = session.lock();
        shared.timeline.as_ref().map(f)
    }

    /// The Gantt chart's visible window.
    pub fn gantt(&self) -> &GanttState {
        &self.gantt
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

    fn apply(&mut self, picks: Picks, end_ns: u64) {
        if let Some(selection) = picks.select {
            self.selection = selection;
        }
        if let Some(t) = picks.seek_ns {
            self.settings.playback.seek(t, end_ns);
        }
    }

    fn open_dialog(&mut self, purpose: DialogPurpose) {
        let start = self
            .settings
            .recent
            .first()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .or_else(|| Some(PathBuf::from("scenarios")).filter(|p| p.is_dir()));
        let mut dialog = egui_file::FileDialog::open_file();
        if let Some(start) = start {
            dialog = dialog.initial_path(start);
        }
        let mut dialog = dialog
            .title(match purpose {
                DialogPurpose::Open => "Open a scenario (.ron) or trace (.jsonl)",
                DialogPurpose::Compare => "Open a second run to compare",
            })
            .show_files_filter(Box::new(|p: &Path| {
                p.extension().is_some_and(|e| e == "ron" || e == "jsonl")
            }));
        dialog.open();
        self.dialog = Some((dialog, purpose));
    }
}

impl eframe::App for ViewerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        if self.repaint.is_none() {
            self.repaint = Some(ctx.clone());
        }
        self.handle_dropped_files(&ctx);
        self.draw(ui);
        self.handle_dialog(&ctx);
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
    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(path) = dropped.first() {
            self.open(Source::from_path(path, Vec::new()));
        }
        let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
        if hovering {
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop"),
            ));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, Color32::from_black_alpha(160));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop a scenario (.ron) or trace (.jsonl) to open it",
                egui::FontId::proportional(22.0),
                Color32::WHITE,
            );
        }
    }

    fn handle_dialog(&mut self, ctx: &egui::Context) {
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
                DialogPurpose::Open => self.open(Source::from_path(&path, Vec::new())),
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

    fn draw(&mut self, ui: &mut egui::Ui) {
        let dt = ui.input(|i| i.stable_dt).min(0.25);
        // Lock once per frame; the background thread waits at most a frame.
        let session = self.session.as_ref();
        let shared = session.map(Session::lock);
        let timeline = shared.as_ref().and_then(|s| s.timeline.as_ref());
        let status = shared.as_ref().map(|s| s.status.clone());
        let live = matches!(status, Some(Status::Loading | Status::Running { .. }));
        let end_ns = timeline.map_or(0, |t| t.end_ns());

        // Command-line requests that needed the run.
        if let Some(t) = timeline
            && !live
        {
            if let Some(at) = self.pending.at_ns.take() {
                self.settings.playback.seek(at, end_ns);
            }
            if let Some(id) = self.pending.select_job.take()
                && t.job_by_id(id).is_some()
            {
                self.selection = Selection::Job(id);
            }
        }

        self.settings.playback.advance(f64::from(dt), end_ns, live);
        self.settings.playback.now_ns = self.settings.playback.now_ns.min(end_ns);
        let now_ns = self.settings.playback.now_ns;
        if self.settings.playback.playing || live {
            ui.ctx().request_repaint();
        }

        let mut open_dialog = None;
        let mut open_recent = None;
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open…").clicked() {
                        open_dialog = Some(DialogPurpose::Open);
                    }
                    if ui.button("Compare with…").clicked() {
                        open_dialog = Some(DialogPurpose::Compare);
                    }
                    ui.menu_button("Open recent", |ui| {
                        if self.settings.recent.is_empty() {
                            ui.weak("nothing yet");
                        }
                        for path in &self.settings.recent {
                            if ui.button(path.display().to_string()).clicked() {
                                open_recent = Some(path.clone());
                            }
                        }
                    });
                    ui.separator();
                    if ui.button("Quit").clicked() {
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
                ui.menu_button("View", |ui| {
                    ui.checkbox(&mut self.settings.show_inspector, "Inspector");
                    ui.checkbox(
                        &mut self.settings.show_lesson,
                        "What to look for (teaching scenarios)",
                    );
                    ui.separator();
                    egui::widgets::global_theme_preference_buttons(ui);
                });
                ui.separator();
                if let Some(session) = session {
                    ui.label(RichText::new(session.source.label()).strong());
                    if let Some(shared) = &shared
                        && !shared.description.is_empty()
                    {
                        ui.weak(&shared.description);
                    }
                } else {
                    ui.weak("File > Open…, or drop a scenario or trace here");
                }
            });
            ui.add_space(2.0);
            playback_bar(ui, &mut self.settings.playback, timeline, end_ns, live);
            ui.add_space(2.0);
            ui.horizontal(|ui| {
                for (tab, name) in Tab::ALL {
                    ui.selectable_value(&mut self.settings.tab, tab, name);
                }
            });
        });

        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                match &status {
                    None => ui.weak("no run open"),
                    Some(Status::Loading) => ui.label("loading…"),
                    Some(Status::Running { fraction, events }) => {
                        ui.add(
                            egui::ProgressBar::new(*fraction as f32)
                                .desired_width(120.0)
                                .show_percentage(),
                        );
                        ui.label(format!("running: {events} events so far"))
                    }
                    Some(Status::Done) => ui.label(format!(
                        "done · {}",
                        format::count(
                            timeline.map_or(0, |t| t.change_count()) as u64,
                            "state change"
                        )
                    )),
                    Some(Status::Failed(_)) => ui.colored_label(
                        ui.visuals().error_fg_color,
                        "could not open: see the message",
                    ),
                };
                if let Some(t) = timeline {
                    let c = t.counts_at(now_ns);
                    ui.separator();
                    ui.label(format!(
                        "{} / {} GPUs busy ({:.0} %) · {} running · {} queued",
                        c.busy_gpus,
                        t.layout.total_gpus,
                        100.0 * f64::from(c.busy_gpus) / f64::from(t.layout.total_gpus.max(1)),
                        format::count(c.running_jobs, "job"),
                        c.queued_jobs
                    ));
                    if let Some((_, reason)) = &t.end_of_run {
                        ui.separator();
                        ui.label(format!("run ended: {reason}"));
                    } else if !live {
                        ui.separator();
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            "the trace has no end_of_run line: it may be cut short",
                        );
                    }
                }
                // Wall-clock readouts sit at the right, so nothing else moves
                // when they change width.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.weak(format!("{:.1} ms/frame", self.frame_ms));
                    if let Some(shared) = shared.as_ref().filter(|s| s.status == Status::Done) {
                        ui.weak(format!(
                            "opened in {:.0} ms ·",
                            shared.elapsed.as_secs_f64() * 1e3
                        ));
                    }
                });
            });
        });

        let lesson = shared.as_ref().and_then(|s| s.lesson.clone());
        if let Some(lesson) = lesson
            && self.settings.show_lesson
        {
            egui::Panel::left("lesson")
                .default_size(420.0)
                .resizable(true)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.heading("What to look for");
                        if ui
                            .small_button("hide")
                            .on_hover_text("hide (View > What to look for)")
                            .clicked()
                        {
                            self.settings.show_lesson = false;
                        }
                    });
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        for paragraph in crate::session::reflow(&lesson) {
                            if paragraph.starts_with(' ') {
                                ui.label(RichText::new(paragraph).monospace().size(11.0));
                            } else {
                                ui.label(paragraph);
                            }
                        }
                    });
                });
        }

        let mut picks = Picks::default();
        if let Some(t) = timeline
            && self.settings.show_inspector
        {
            egui::Panel::right("inspector")
                .default_size(300.0)
                .resizable(true)
                .show(ui, |ui| {
                    let scene = Scene {
                        timeline: t,
                        now_ns,
                        selection: self.selection,
                    };
                    picks = inspector::show(
                        ui,
                        &scene,
                        shared
                            .as_ref()
                            .and_then(|s| s.result.as_ref())
                            .map(|r| &r.summary),
                    );
                });
        }

        let mut compare_action = None;
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(Status::Failed(message)) = &status {
                failure(ui, message);
                return;
            }
            if let Some(shared) = &shared
                && !shared.warnings.is_empty()
            {
                egui::CollapsingHeader::new(format!("{} warnings", shared.warnings.len())).show(
                    ui,
                    |ui| {
                        for w in &shared.warnings {
                            ui.label(RichText::new(w).monospace());
                        }
                    },
                );
            }
            let Some(t) = timeline else {
                welcome(ui, session.is_some());
                return;
            };
            let scene = Scene {
                timeline: t,
                now_ns,
                selection: self.selection,
            };
            let view_picks = match self.settings.tab {
                Tab::Map => map::show(ui, &scene, &mut self.map, &mut self.settings.color_by),
                Tab::Gantt => gantt::show(ui, &scene, &mut self.gantt),
                Tab::Plots => plots::show(ui, &scene, &mut self.series),
                Tab::Jobs => jobs::show(ui, &scene, &mut self.table),
                Tab::Compare => {
                    let b_shared = self.compare.as_ref().map(Session::lock);
                    let a = Side {
                        label: session.map_or_else(String::new, |s| s.source.label()),
                        timeline: t,
                        summary: shared
                            .as_ref()
                            .and_then(|s| s.result.as_ref())
                            .map(|r| &r.summary),
                    };
                    let b_status = b_shared.as_ref().and_then(|s| match &s.status {
                        Status::Done => None,
                        Status::Failed(m) => Some(format!("B could not be opened:\n{m}")),
                        _ => Some("B is running…".into()),
                    });
                    let b = match (&self.compare, &b_shared) {
                        (Some(c), Some(s)) if s.status == Status::Done => {
                            s.timeline.as_ref().map(|timeline| Side {
                                label: c.source.label(),
                                timeline,
                                summary: s.result.as_ref().map(|r| &r.summary),
                            })
                        }
                        _ => None,
                    };
                    compare_action = compare::show(
                        ui,
                        &a,
                        b.as_ref(),
                        b_status,
                        now_ns,
                        &mut self.compare_state,
                    );
                    Picks::default()
                }
            };
            if view_picks.select.is_some() {
                picks.select = view_picks.select;
            }
            if view_picks.seek_ns.is_some() {
                picks.seek_ns = view_picks.seek_ns;
            }
        });
        drop(shared);

        self.apply(picks, end_ns);
        if let Some(purpose) = open_dialog {
            self.open_dialog(purpose);
        }
        if let Some(path) = open_recent {
            self.open(Source::from_path(&path, Vec::new()));
        }
        match compare_action {
            Some(CompareAction::OpenFile) => self.open_dialog(DialogPurpose::Compare),
            Some(CompareAction::RunVariant(overrides)) => {
                if let Some(Source::Scenario { path, .. }) =
                    self.session.as_ref().map(|s| s.source.clone())
                {
                    self.open_compare(Source::Scenario { path, overrides });
                }
            }
            Some(CompareAction::Close) => self.compare = None,
            None => {}
        }
    }
}

/// Play/pause, stepping, speed and the time slider.
fn playback_bar(
    ui: &mut egui::Ui,
    playback: &mut Playback,
    timeline: Option<&crate::timeline::Timeline>,
    end_ns: u64,
    live: bool,
) {
    ui.horizontal(|ui| {
        let enabled = timeline.is_some();
        ui.add_enabled_ui(enabled, |ui| {
            if ui.button("|<").on_hover_text("to the start").clicked() {
                playback.seek(0, end_ns);
            }
            if ui
                .button("<")
                .on_hover_text("back to the previous event")
                .clicked()
                && let Some(t) = timeline.and_then(|t| t.previous_change_before(playback.now_ns))
            {
                playback.seek(t, end_ns);
            }
            let play_label = if playback.playing { "Pause" } else { "Play" };
            if ui.button(play_label).clicked()
                || ui.input(|i| i.key_pressed(egui::Key::Space)) && !ui.ctx().text_edit_focused()
            {
                if playback.playing {
                    playback.playing = false;
                } else {
                    playback.play(end_ns);
                }
            }
            if ui
                .button(">")
                .on_hover_text("step to the next event")
                .clicked()
                && let Some(t) = timeline.and_then(|t| t.next_change_after(playback.now_ns))
            {
                playback.seek(t, end_ns);
            }
            if ui.button(">|").on_hover_text("to the end").clicked() {
                playback.seek(end_ns, end_ns);
            }
            ui.label("speed");
            ui.add(
                egui::Slider::new(&mut playback.speed, MIN_SPEED..=MAX_SPEED)
                    .logarithmic(true)
                    .custom_formatter(|v, _| format::speed(v))
                    .custom_parser(|s| s.trim().trim_end_matches('x').parse().ok()),
            )
            .on_hover_text("simulated seconds per second");
            ui.label(
                RichText::new(format::clock_ns(playback.now_ns))
                    .monospace()
                    .strong(),
            );
            let mut t_s = playback.now_ns as f64 * 1e-9;
            let end_s = end_ns as f64 * 1e-9;
            ui.spacing_mut().slider_width = (ui.available_width() - 120.0).max(100.0);
            let slider = ui.add(
                egui::Slider::new(&mut t_s, 0.0..=end_s.max(1e-9))
                    .show_value(false)
                    .smart_aim(false),
            );
            let slider = slider.on_hover_text("drag to scrub anywhere in the run");
            if slider.changed() {
                playback.seek((t_s * 1e9) as u64, end_ns);
            }
            ui.label(
                RichText::new(format!(
                    "/ {}{}",
                    format::clock_ns(end_ns),
                    if live { " …" } else { "" }
                ))
                .monospace(),
            );
        });
    });
}

fn failure(ui: &mut egui::Ui, message: &str) {
    ui.heading(RichText::new("This file could not be opened").color(ui.visuals().error_fg_color));
    ui.label("The viewer is still working: fix the file and open it again (File > Open recent), or open another.");
    ui.add_space(8.0);
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(message).monospace());
        });
    });
}

fn welcome(ui: &mut egui::Ui, loading: bool) {
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading("clustersim");
        if loading {
            ui.spinner();
            ui.label("reading the scenario…");
        } else {
            ui.label("Open a scenario (.ron) or a trace (.jsonl) from File > Open…, or drop one on this window.");
            ui.label("Try scenarios/quickstart.ron, or the lessons in scenarios/teaching/.");
        }
    });
}
