//! The job table: every job, sortable by any column, filtered by text and
//! state; only visible rows are laid out, so a million jobs scroll freely.
//! Clicking a row selects the job for the inspector.

use std::time::{Duration, Instant};

use egui::Sense;
use egui_extras::{Column, TableBuilder};
use sim_core::metrics::JobState;

use super::{Picks, Scene, Selection};
use crate::format;
use crate::timeline::{Job, Timeline};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Id,
    Name,
    User,
    Account,
    Gpus,
    State,
    Submit,
    Wait,
    Runtime,
}

const COLUMNS: [(SortBy, &str); 9] = [
    (SortBy::Id, "ID"),
    (SortBy::Name, "Name"),
    (SortBy::User, "User"),
    (SortBy::Account, "Account"),
    (SortBy::Gpus, "GPUs"),
    (SortBy::State, "State"),
    (SortBy::Submit, "Submitted"),
    (SortBy::Wait, "Wait"),
    (SortBy::Runtime, "Ran"),
];

/// What the rows were computed for.
#[derive(Clone, Debug, PartialEq)]
struct RowsKey {
    version: u64,
    sort: SortBy,
    ascending: bool,
    filter: String,
    state: Option<JobState>,
    /// The playhead, when only jobs running at it are shown.
    running_at: Option<u64>,
}

/// Sort and filter settings, and the rows they select.
pub struct JobTable {
    pub sort: SortBy,
    pub ascending: bool,
    pub filter: String,
    pub state: Option<JobState>,
    /// Only jobs holding GPUs at the playhead.
    pub running_now: bool,
    rows: Vec<u32>,
    key: Option<RowsKey>,
    /// The selected job the table last scrolled to, so a selection made
    /// elsewhere (the map, the Gantt chart, `--select-job`) is brought
    /// into view once.
    scrolled_to: Option<u64>,
    refreshed: Option<Instant>,
}

impl Default for JobTable {
    fn default() -> Self {
        JobTable {
            sort: SortBy::Id,
            ascending: true,
            filter: String::new(),
            state: None,
            running_now: false,
            rows: Vec::new(),
            key: None,
            scrolled_to: None,
            refreshed: None,
        }
    }
}

/// While a big run is still arriving, re-sort at most this often.
const LIVE_REFRESH: Duration = Duration::from_millis(500);

impl JobTable {
    /// The selected rows (indices into `jobs`), in display order.
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    pub fn refresh(&mut self, timeline: &Timeline, now_ns: u64) {
        let key = RowsKey {
            version: timeline.version,
            sort: self.sort,
            ascending: self.ascending,
            filter: self.filter.clone(),
            state: self.state,
            running_at: self.running_now.then_some(now_ns),
        };
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let only_growth = self.key.as_ref().is_some_and(|k| {
            RowsKey {
                version: key.version,
                ..k.clone()
            } == key
        });
        if only_growth
            && timeline.jobs.len() > 50_000
            && self.refreshed.is_some_and(|t| t.elapsed() < LIVE_REFRESH)
        {
            return;
        }
        self.key = Some(key);
        self.refreshed = Some(Instant::now());
        let needle = self.filter.to_lowercase();
        let matches = |job: &Job| {
            needle.is_empty()
                || job.id.to_string() == needle
                || job.name.to_lowercase().contains(&needle)
                || job.user.to_lowercase().contains(&needle)
                || job.account.to_lowercase().contains(&needle)
        };
        self.rows.clear();
        self.rows
            .extend((0..timeline.jobs.len() as u32).filter(|&j| {
                let job = &timeline.jobs[j as usize];
                self.state.is_none_or(|s| job.state == s)
                    && (!self.running_now || timeline.run_at(j, now_ns).is_some())
                    && matches(job)
            }));
        let jobs = &timeline.jobs;
        let by = self.sort;
        self.rows.sort_by(|&a, &b| {
            let (a, b) = (&jobs[a as usize], &jobs[b as usize]);
            let order = match by {
                SortBy::Id => a.id.cmp(&b.id),
                SortBy::Name => a.name.cmp(&b.name),
                SortBy::User => a.user.cmp(&b.user),
                SortBy::Account => a.account.cmp(&b.account),
                SortBy::Gpus => a.gpus.cmp(&b.gpus),
                SortBy::State => a.state.as_str().cmp(b.state.as_str()),
                SortBy::Submit => a.submit_ns.cmp(&b.submit_ns),
                SortBy::Wait => a.wait_ns(timeline).cmp(&b.wait_ns(timeline)),
                SortBy::Runtime => a.ran_ns(timeline).cmp(&b.ran_ns(timeline)),
            };
            order.then(a.id.cmp(&b.id))
        });
        if !self.ascending {
            self.rows.reverse();
        }
    }
}

/// Draws the filter bar and the table.
pub fn show(ui: &mut egui::Ui, scene: &Scene<'_>, table: &mut JobTable) -> Picks {
    let timeline = scene.timeline;
    let mut picks = Picks::default();
    ui.horizontal(|ui| {
        ui.label("Filter");
        ui.add(
            egui::TextEdit::singleline(&mut table.filter)
                .hint_text("id, name, user or account")
                .desired_width(200.0),
        );
        egui::ComboBox::from_label("state")
            .selected_text(table.state.map_or("any state", JobState::as_str))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut table.state, None, "any state");
                for s in JobState::ALL {
                    ui.selectable_value(&mut table.state, Some(s), s.as_str());
                }
            });
        ui.checkbox(&mut table.running_now, "running at the playhead");
    });
    table.refresh(timeline, scene.now_ns);
    ui.label(format!(
        "{} of {} jobs",
        table.rows.len(),
        timeline.jobs.len()
    ));

    let selected = match scene.selection {
        Selection::Job(id) => Some(id),
        _ => None,
    };
    let mut clicked_sort = None;
    let mut clicked_row = None;
    let mut builder = TableBuilder::new(ui);
    if selected != table.scrolled_to {
        table.scrolled_to = selected;
        let row = selected.and_then(|id| {
            table
                .rows
                .iter()
                .position(|&j| timeline.jobs[j as usize].id == id)
        });
        if let Some(row) = row {
            builder = builder.scroll_to_row(row, None);
        }
    }
    builder
        .striped(true)
        .sense(Sense::click())
        .column(Column::auto().at_least(50.0))
        .column(Column::initial(160.0).at_least(60.0).clip(true))
        .columns(Column::auto().at_least(60.0), 2)
        .column(Column::auto().at_least(40.0))
        .column(Column::auto().at_least(80.0))
        .columns(Column::auto().at_least(90.0), 3)
        .header(20.0, |mut header| {
            for (by, title) in COLUMNS {
                header.col(|ui| {
                    let arrow = match (table.sort == by, table.ascending) {
                        (true, true) => " ^",
                        (true, false) => " v",
                        _ => "",
                    };
                    if ui.button(format!("{title}{arrow}")).clicked() {
                        clicked_sort = Some(by);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(18.0, table.rows.len(), |mut row| {
                let job = &timeline.jobs[table.rows[row.index()] as usize];
                row.set_selected(selected == Some(job.id));
                let ran_ns = job.ran_ns(timeline);
                let cells = [
                    job.id.to_string(),
                    job.name.clone(),
                    job.user.clone(),
                    job.account.clone(),
                    job.gpus.to_string(),
                    job.state.as_str().to_string(),
                    format::clock_ns(job.submit_ns),
                    job.wait_ns(timeline)
                        .map_or_else(|| "—".into(), |w| format::duration_s(w as f64 * 1e-9)),
                    if job.runs.is_empty() {
                        "—".into()
                    } else {
                        format::duration_s(ran_ns as f64 * 1e-9)
                    },
                ];
                for text in cells {
                    row.col(|ui| {
                        // Not selectable, so a click on the text selects the row.
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                }
                if row.response().clicked() {
                    picks.select = Some(Selection::Job(job.id));
                    // Already in view: no need to scroll to it.
                    clicked_row = Some(job.id);
                }
            });
        });
    if clicked_row.is_some() {
        table.scrolled_to = clicked_row;
    }
    if let Some(by) = clicked_sort {
        if table.sort == by {
            table.ascending = !table.ascending;
        } else {
            table.sort = by;
            table.ascending = true;
        }
    }
    picks
}
