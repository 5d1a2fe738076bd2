//! The window's panels, drawn once a frame: menu, playback bar and tabs on
//! top, status at the bottom, the teaching panel on the left, the inspector
//! on the right and the current view (or the open study) in the middle.
//!
//! Invariant: a [`Panels`] reads run A as it was locked for the whole
//! frame and changes only the settings and the views' own state; what
//! needs the app (opening files, selecting, seeking, run B) is collected in
//! [`Requests`] and carried out by the app once A is unlocked.

use std::path::PathBuf;

use egui::RichText;

use super::{DialogPurpose, Settings, Tab, ViewStates};
use crate::format;
use crate::playback::{MAX_SPEED, MIN_SPEED, Playback};
use crate::session::{Session, Shared, Status};
use crate::timeline::Timeline;
use crate::views::compare::{self, CompareAction, CompareState, Side};
use crate::views::study::{self, OpenReplication, StudyView};
use crate::views::{Picks, Scene, Selection, gantt, inspector, jobs, map, plots};

/// What the panels ask of the app during a frame.
#[derive(Default)]
pub(super) struct Requests {
    /// The inspector's picks, then the current view's where it made one.
    pub(super) picks: Picks,
    pub(super) open_dialog: Option<DialogPurpose>,
    pub(super) open_recent: Option<PathBuf>,
    pub(super) compare: Option<CompareAction>,
    /// A study's point clicked: open this replication as run A.
    pub(super) open_replication: Option<OpenReplication>,
}

/// One frame of the window: run A as locked for this frame, the state the
/// panels change, and what they ask of the app.
pub(super) struct Panels<'a> {
    pub(super) session: Option<&'a Session>,
    pub(super) shared: Option<&'a Shared>,
    pub(super) timeline: Option<&'a Timeline>,
    /// Run B, locked by the compare view when it draws.
    pub(super) compare: Option<&'a Session>,
    pub(super) study: Option<&'a mut StudyView>,
    /// The replication run A is, when it was opened from the study.
    pub(super) from_study: Option<OpenReplication>,
    pub(super) settings: &'a mut Settings,
    pub(super) selection: Selection,
    pub(super) views: &'a mut ViewStates,
    pub(super) compare_state: &'a mut CompareState,
    pub(super) frame_ms: f32,
    /// Run A is still loading or running.
    pub(super) live: bool,
    pub(super) end_ns: u64,
    /// The playhead, moved for this frame.
    pub(super) now_ns: u64,
    pub(super) requests: Requests,
}

impl<'a> Panels<'a> {
    /// Menu bar, playback bar (but on the Study tab) and tab row.
    pub(super) fn top_panel_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| self.menu_bar_ui(ui));
            ui.add_space(2.0);
            // A study has no playhead.
            if self.settings.tab != Tab::Study {
                playback_bar_ui(
                    ui,
                    &mut self.settings.playback,
                    self.timeline,
                    self.end_ns,
                    self.live,
                );
                ui.add_space(2.0);
            }
            ui.horizontal(|ui| {
                if self.study.is_some() {
                    ui.selectable_value(&mut self.settings.tab, Tab::Study, "Study");
                    ui.separator();
                }
                for (tab, name) in Tab::ALL {
                    ui.selectable_value(&mut self.settings.tab, tab, name);
                }
            });
        });
    }

    /// The File and View menus, then what is open.
    fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("File", |ui| self.file_menu_ui(ui));
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
        if let Some(study) = self.study.as_deref() {
            if self.settings.tab == Tab::Study {
                ui.label(RichText::new(study.title()).strong());
                return;
            }
            if let Some(open) = self.from_study {
                if ui
                    .button("< Study")
                    .on_hover_text("back to the study's plot")
                    .clicked()
                {
                    self.settings.tab = Tab::Study;
                }
                ui.label(format!(
                    "{}: point {}, replication {} ·",
                    study.title(),
                    open.point,
                    open.replication
                ));
            }
        }
        if let Some(session) = self.session {
            ui.label(RichText::new(session.source.label()).strong());
            if let Some(shared) = self.shared
                && !shared.description.is_empty()
            {
                ui.weak(&shared.description);
            }
        } else {
            ui.weak("File > Open…, or drop a scenario or trace here");
        }
    }

    fn file_menu_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Open…").clicked() {
            self.requests.open_dialog = Some(DialogPurpose::Open);
        }
        if ui.button("Open study results…").clicked() {
            self.requests.open_dialog = Some(DialogPurpose::Study);
        }
        if ui.button("Compare with…").clicked() {
            self.requests.open_dialog = Some(DialogPurpose::Compare);
        }
        ui.menu_button("Open recent", |ui| {
            if self.settings.recent.is_empty() {
                ui.weak("nothing yet");
            }
            for path in &self.settings.recent {
                if ui.button(path.display().to_string()).clicked() {
                    self.requests.open_recent = Some(path.clone());
                }
            }
        });
        ui.separator();
        if ui.button("Quit").clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Where run A is, the counts at the playhead, and wall-clock readouts.
    pub(super) fn status_bar_ui(&self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                self.progress_ui(ui);
                if let Some(t) = self.timeline {
                    self.counts_ui(ui, t);
                }
                // Wall-clock readouts sit at the right, so nothing else moves
                // when they change width.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.weak(format!("{:.1} ms/frame", self.frame_ms));
                    if let Some(shared) = self.shared.filter(|s| s.status == Status::Done) {
                        ui.weak(format!(
                            "opened in {:.0} ms ·",
                            shared.elapsed.as_secs_f64() * 1e3
                        ));
                    }
                });
            });
        });
    }

    /// Loading, running (with a progress bar), done or failed.
    fn progress_ui(&self, ui: &mut egui::Ui) {
        match self.shared.map(|s| &s.status) {
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
                    self.timeline.map_or(0, |t| t.change_count()) as u64,
                    "state change"
                )
            )),
            Some(Status::Failed(_)) => ui.colored_label(
                ui.visuals().error_fg_color,
                "could not open: see the message",
            ),
        };
    }

    /// Busy (and down, draining) GPUs and jobs at the playhead, and how
    /// the run ended.
    fn counts_ui(&self, ui: &mut egui::Ui, t: &Timeline) {
        let c = t.counts_at(self.now_ns);
        ui.separator();
        ui.label(format!(
            "{} / {} GPUs busy ({:.0} %){} · {} running · {} queued",
            c.busy_gpus,
            t.layout.total_gpus,
            100.0 * f64::from(c.busy_gpus) / f64::from(t.layout.total_gpus.max(1)),
            format::out_of_service(&c, !t.nodes.events().is_empty()),
            format::count(c.running_jobs, "job"),
            c.queued_jobs
        ));
        if let Some((_, reason)) = &t.end_of_run {
            ui.separator();
            ui.label(format!("run ended: {reason}"));
        } else if !self.live {
            ui.separator();
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "the trace has no end_of_run line: it may be cut short",
            );
        }
    }

    /// A teaching scenario's "what to look for", unless hidden.
    pub(super) fn lesson_panel_ui(&mut self, ui: &mut egui::Ui) {
        let Some(lesson) = self
            .shared
            .and_then(|s| s.lesson.as_deref())
            .filter(|_| self.settings.show_lesson)
        else {
            return;
        };
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
                    for paragraph in crate::session::reflow(lesson) {
                        if paragraph.starts_with(' ') {
                            ui.label(RichText::new(paragraph).monospace().size(11.0));
                        } else {
                            ui.label(paragraph);
                        }
                    }
                });
            });
    }

    /// The selected job or node, unless hidden; its picks come first.
    pub(super) fn inspector_panel_ui(&mut self, ui: &mut egui::Ui) {
        let Some(timeline) = self.timeline.filter(|_| self.settings.show_inspector) else {
            return;
        };
        egui::Panel::right("inspector")
            .default_size(300.0)
            .resizable(true)
            .show(ui, |ui| {
                let summary = self.shared.and_then(|s| s.result.as_ref());
                self.requests.picks =
                    inspector::show(ui, &self.scene(timeline), summary.map(|r| &r.summary));
            });
    }

    /// The current tab, or in its place why run A could not be opened, or
    /// a welcome while nothing is loaded.
    pub(super) fn central_panel_ui(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            if self.settings.tab == Tab::Study {
                self.study_tab_ui(ui);
                return;
            }
            if let Some(Status::Failed(message)) = self.shared.map(|s| &s.status) {
                failure_ui(ui, "This file could not be opened", message);
                return;
            }
            if let Some(shared) = self.shared
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
            match self.timeline {
                Some(timeline) => self.tab_ui(ui, timeline),
                None => welcome_ui(ui, self.session.is_some()),
            }
        });
    }

    /// The view the tab row selects; its picks override the inspector's.
    fn tab_ui(&mut self, ui: &mut egui::Ui, timeline: &'a Timeline) {
        let scene = self.scene(timeline);
        let views = &mut self.views;
        let picks = match self.settings.tab {
            Tab::Map => map::show(ui, &scene, &mut views.map, &mut self.settings.color_by),
            Tab::Gantt => gantt::show(ui, &scene, &mut views.gantt),
            Tab::Plots => plots::show(ui, &scene, &mut views.series),
            Tab::Jobs => jobs::show(ui, &scene, &mut views.table),
            Tab::Compare => {
                self.compare_tab_ui(ui);
                Picks::default()
            }
            // Drawn in place of every run view by `study_tab_ui`.
            Tab::Study => Picks::default(),
        };
        self.requests.picks.update(picks);
    }

    /// The open study, or why its results could not be read.
    fn study_tab_ui(&mut self, ui: &mut egui::Ui) {
        let Some(view) = self.study.as_deref_mut() else {
            return;
        };
        match &view.results {
            Err(e) => failure_ui(ui, "These study results could not be opened", &e.0),
            Ok(_) => self.requests.open_replication = study::show(ui, view),
        }
    }

    /// Run A against run B, each side built by the compare view.
    fn compare_tab_ui(&mut self, ui: &mut egui::Ui) {
        let a = self
            .session
            .zip(self.shared)
            .and_then(|(session, shared)| Side::of(&session.source, shared));
        if let Some(a) = a {
            self.requests.compare =
                compare::show(ui, &a, self.compare, self.now_ns, self.compare_state);
        }
    }

    fn scene(&self, timeline: &'a Timeline) -> Scene<'a> {
        Scene {
            timeline,
            now_ns: self.now_ns,
            selection: self.selection,
        }
    }
}

/// Play/pause, stepping, speed and the time slider.
fn playback_bar_ui(
    ui: &mut egui::Ui,
    playback: &mut Playback,
    timeline: Option<&Timeline>,
    end_ns: u64,
    live: bool,
) {
    ui.horizontal(|ui| {
        let enabled = timeline.is_some();
        ui.add_enabled_ui(enabled, |ui| {
            step_buttons_ui(ui, playback, timeline, end_ns);
            ui.label("speed");
            ui.add(
                egui::Slider::new(&mut playback.speed, MIN_SPEED..=MAX_SPEED)
                    .logarithmic(true)
                    .custom_formatter(|v, _| format::speed(v))
                    .custom_parser(|s| s.trim().trim_end_matches('x').parse().ok()),
            )
            .on_hover_text("simulated seconds per second");
            scrubber_ui(ui, playback, end_ns, live);
        });
    });
}

/// To the start, back one event, play or pause, on one event, to the end.
fn step_buttons_ui(
    ui: &mut egui::Ui,
    playback: &mut Playback,
    timeline: Option<&Timeline>,
    end_ns: u64,
) {
    let to_start = ui.button("|<").on_hover_text("to the start");
    seek_on_click(&to_start, playback, end_ns, |_| Some(0));
    let back = ui.button("<").on_hover_text("back to the previous event");
    seek_on_click(&back, playback, end_ns, |now_ns| {
        timeline.and_then(|t| t.previous_change_before(now_ns))
    });
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
    let on = ui.button(">").on_hover_text("step to the next event");
    seek_on_click(&on, playback, end_ns, |now_ns| {
        timeline.and_then(|t| t.next_change_after(now_ns))
    });
    let to_end = ui.button(">|").on_hover_text("to the end");
    seek_on_click(&to_end, playback, end_ns, |_| Some(end_ns));
}

/// When `button` was clicked, moves the playhead to `target` of where it
/// is, if there is one.
fn seek_on_click(
    button: &egui::Response,
    playback: &mut Playback,
    end_ns: u64,
    target: impl FnOnce(u64) -> Option<u64>,
) {
    if button.clicked()
        && let Some(t) = target(playback.now_ns)
    {
        playback.seek(t, end_ns);
    }
}

/// The playhead's clock, the time slider across the rest of the bar, and
/// the end (with "…" while the run grows).
fn scrubber_ui(ui: &mut egui::Ui, playback: &mut Playback, end_ns: u64, live: bool) {
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
}

fn failure_ui(ui: &mut egui::Ui, heading: &str, message: &str) {
    ui.heading(RichText::new(heading).color(ui.visuals().error_fg_color));
    ui.label("The viewer is still working: fix the file and open it again (File > Open recent), or open another.");
    ui.add_space(8.0);
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(message).monospace());
        });
    });
}

fn welcome_ui(ui: &mut egui::Ui, loading: bool) {
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading("clustersim");
        if loading {
            ui.spinner();
            ui.label("reading the scenario…");
        } else {
            ui.label("Open a scenario (.ron), a trace (.jsonl) or a study's results from File > Open…, or drop one on this window.");
            ui.label("Try scenarios/quickstart.ron, or the lessons in scenarios/teaching/.");
        }
    });
}
