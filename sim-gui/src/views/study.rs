//! A study's results (the directory `clustersim study --out DIR` wrote):
//! one metric's mean against one parameter with its 95% confidence
//! interval, a line per combination of the other parameters, and a table
//! of the points. A click on a point (in the plot, or its row's button)
//! asks the app to open one of its replications as a normal run.
//!
//! Invariants: every number shown is `sim_core::study`'s (its reader
//! recomputes the statistics from `replications.csv` as `points.csv` was
//! written), never recomputed here; the plot's lines are cached per
//! (metric, parameter) and rebuilt when the choice changes; a directory
//! that cannot be read is kept as its error, shown in place of the view.

use std::path::{Path, PathBuf};

use egui::{Color32, RichText, Sense};
use egui_extras::{Column, TableBuilder};
use egui_plot::{
    ColorConflictHandling, FilledArea, GridInput, GridMark, Legend, Line, MarkerShape, Plot,
    PlotPoint, PlotTransform, Points,
};
use sim_core::study::stats::Describe;
use sim_core::study::{ReadError, StudyResults, read_results};

use crate::format;

/// The manifest that marks a directory as a study's results.
pub const MANIFEST: &str = "study.json";

/// The results directory `path` names, when it names one: a directory
/// holding `study.json`, or that file itself.
pub fn results_dir(path: &Path) -> Option<PathBuf> {
    if path.file_name().is_some_and(|n| n == MANIFEST) {
        return Some(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    }
    path.join(MANIFEST).is_file().then(|| path.to_path_buf())
}

/// How far from a point (in points of the screen) a click or hover still
/// picks it.
pub const PICK_RADIUS: f32 = 8.0;

/// An opened study: its results, or why they could not be read, and the
/// view's choices.
pub struct StudyView {
    pub dir: PathBuf,
    pub results: Result<StudyResults, ReadError>,
    /// The metric plotted, an index into the study's metrics.
    pub metric: usize,
    /// The parameter on the x axis, an index into its parameters.
    pub x: usize,
    /// Which replication a click opens (each point's last if it ran fewer).
    pub replication: usize,
    /// The point under the pointer in the plot.
    pub hovered: Option<usize>,
    lines: Vec<PlotLine>,
    /// The (metric, x) `lines` were built for.
    built_for: Option<(usize, usize)>,
    /// Where the plot was last drawn.
    transform: Option<PlotTransform>,
}

/// One line of the plot: the points sharing the other parameters' values.
#[derive(Clone, Debug)]
pub struct PlotLine {
    /// The legend's entry: what the points share (`backfill=Easy, count=64`).
    pub name: String,
    pub color: Color32,
    /// In the order of the x parameter's values; points whose metric was
    /// never a number are left out.
    pub marks: Vec<Mark>,
}

/// A point of the study where the plot draws it.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    /// Index into the study's points.
    pub point: usize,
    /// Plot x: the value itself for a numeric parameter; for a categorical
    /// one the value's position in the parameter's list, nudged apart
    /// from the other lines'.
    pub x: f64,
    pub stats: Describe,
}

/// What a click asks for: run this replication of this point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenReplication {
    pub point: usize,
    pub replication: usize,
}

impl StudyView {
    /// Reads the results in `dir` (the error, if any, is shown by the
    /// view). The plot starts with the first metric against the first
    /// numeric parameter (a trend to scale), else the first parameter.
    pub fn open(dir: &Path) -> Self {
        let results = read_results(dir);
        let x = (results.as_ref().ok())
            .and_then(|r| r.parameters.iter().position(|p| p.numeric))
            .unwrap_or(0);
        StudyView {
            dir: dir.to_path_buf(),
            results,
            metric: 0,
            x,
            replication: 0,
            hovered: None,
            lines: Vec::new(),
            built_for: None,
            transform: None,
        }
    }

    /// Chooses the plotted metric and the x axis's parameter by name (as
    /// the study file spells them); an unknown name is refused with the
    /// names there are, and changes nothing.
    pub fn pick(&mut self, metric: Option<&str>, against: Option<&str>) -> Result<(), String> {
        let Ok(results) = &self.results else {
            return Ok(());
        };
        let metric = match metric {
            None => self.metric,
            Some(m) => results.metrics.iter().position(|n| n == m).ok_or_else(|| {
                format!(
                    "the study collected no metric `{m}`; pick one of: {}",
                    results.metrics.join(", ")
                )
            })?,
        };
        let x = match against {
            None => self.x,
            Some(x) => (results.parameters.iter())
                .position(|p| p.path == x)
                .ok_or_else(|| {
                    let paths: Vec<&str> =
                        results.parameters.iter().map(|p| p.path.as_str()).collect();
                    if paths.is_empty() {
                        format!("no parameter `{x}`: this study varies none")
                    } else {
                        format!(
                            "the study varies no parameter `{x}`; pick one of: {}",
                            paths.join(", ")
                        )
                    }
                })?,
        };
        (self.metric, self.x) = (metric, x);
        Ok(())
    }

    /// The study's name, or the directory's while it cannot be read.
    pub fn title(&self) -> String {
        match &self.results {
            Ok(r) => format!("study {}", r.name),
            Err(_) => self.dir.display().to_string(),
        }
    }

    /// The plot's lines for the current metric and parameter.
    pub fn lines(&mut self) -> &[PlotLine] {
        let Ok(results) = &self.results else {
            return &[];
        };
        if self.built_for != Some((self.metric, self.x)) {
            self.lines = plot_lines(results, self.metric, self.x);
            self.built_for = Some((self.metric, self.x));
        }
        &self.lines
    }

    /// Where the last frame drew `point` of the current plot, if it did.
    pub fn screen_pos(&mut self, point: usize) -> Option<egui::Pos2> {
        let transform = self.transform?;
        let mark = (self.lines().iter())
            .flat_map(|l| &l.marks)
            .find(|m| m.point == point)?;
        Some(transform.position_from_point(&PlotPoint::new(mark.x, mark.stats.mean)))
    }
}

/// The lines of `metric` against parameter `x`.
fn plot_lines(results: &StudyResults, metric: usize, x: usize) -> Vec<PlotLine> {
    let parameter = results.parameters.get(x);
    let numeric = parameter.is_some_and(|p| p.numeric);
    let series = results.series(x);
    let count = series.len();
    (series.iter().enumerate())
        .map(|(i, line)| {
            // Error bars of several lines at one category side by side.
            let nudge = if numeric || count == 1 {
                0.0
            } else {
                let step = (0.5 / count as f64).min(0.12);
                (i as f64 - (count - 1) as f64 / 2.0) * step
            };
            let marks = (line.points.iter())
                .filter_map(|&p| {
                    let point = &results.points[p];
                    let stats = point.stats.get(metric).copied().flatten()?;
                    let x = match parameter {
                        None => 0.0,
                        Some(_) if numeric => point.values[x].parse().ok()?,
                        Some(par) => {
                            let rank = par.values.iter().position(|v| *v == point.values[x])?;
                            rank as f64 + nudge
                        }
                    };
                    stats
                        .mean
                        .is_finite()
                        .then_some(Mark { point: p, x, stats })
                })
                .collect();
            let name = if line.fixed.is_empty() {
                results.metrics[metric].clone()
            } else {
                let short: Vec<&str> = line.fixed.iter().map(|s| last_segment(s)).collect();
                short.join(", ")
            };
            PlotLine {
                name,
                color: super::job_color(i as u64),
                marks,
            }
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `count=64` of `cluster.node_groups[0].count=64`: enough for a legend.
fn last_segment(path: &str) -> &str {
    let key = path.split('=').next().unwrap_or(path);
    let cut = key.rfind('.').map_or(0, |i| i + 1);
    &path[cut..]
}

/// The interval's ends, or the mean twice where there is none (one
/// replication).
fn interval(d: &Describe) -> (f64, f64) {
    if d.ci95_low.is_finite() && d.ci95_high.is_finite() {
        (d.ci95_low, d.ci95_high)
    } else {
        (d.mean, d.mean)
    }
}

/// Draws the study read into `view`: its header and choices, the plot and
/// the table. Returns the replication a click asked for.
pub fn show(ui: &mut egui::Ui, view: &mut StudyView) -> Option<OpenReplication> {
    let Ok(results) = view.results.clone() else {
        return None;
    };
    header_ui(ui, view, &results);
    if results.metrics.is_empty() || results.points.is_empty() {
        ui.label("This study collected no metric: nothing to plot.");
        return None;
    }
    view.metric = view.metric.min(results.metrics.len() - 1);
    view.x = view.x.min(results.parameters.len().saturating_sub(1));
    let lines = view.lines().to_vec();
    let height = (ui.available_height() * 0.58).max(200.0);
    let plotted = plot_ui(ui, view, &results, &lines, height);
    view.hovered = plotted.hovered;
    view.transform = Some(plotted.transform);
    ui.add_space(4.0);
    let opened = table_ui(ui, view, &results);
    plotted.clicked.or(opened).map(|point| OpenReplication {
        point,
        replication: view
            .replication
            .min(results.points[point].seeds.len().saturating_sub(1)),
    })
}

/// Name, description, where the scenario is, and the metric, parameter
/// and replication pickers.
fn header_ui(ui: &mut egui::Ui, view: &mut StudyView, results: &StudyResults) {
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("Study {}", results.name));
        if !results.description.is_empty() {
            ui.weak(&results.description);
        }
    });
    let replications: Vec<usize> = results.points.iter().map(|p| p.seeds.len()).collect();
    let (fewest, most) = (
        replications.iter().min().copied().unwrap_or(0),
        replications.iter().max().copied().unwrap_or(0),
    );
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} of {} · {} each",
            format::count(results.points.len() as u64, "point"),
            file_name(Path::new(&results.scenario)),
            if fewest == most {
                format::count(most as u64, "replication")
            } else {
                format!("{fewest} to {most} replications")
            },
        ))
        .on_hover_text(format!(
            "scenario {}\nresults in {}",
            results.scenario,
            results.dir.display()
        ));
    });
    if !results.scenario_path().is_file() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{} is not found from here ({}) nor from the results' parent directories: replications cannot be opened; start the viewer in the directory the study ran from",
                results.scenario,
                std::env::current_dir().map_or_else(|_| "?".into(), |d| d.display().to_string())
            ),
        );
    }
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_label("plotted against")
            .selected_text(&results.metrics[view.metric.min(results.metrics.len() - 1)])
            .show_ui(ui, |ui| {
                for (i, m) in results.metrics.iter().enumerate() {
                    ui.selectable_value(&mut view.metric, i, m);
                }
            });
        if results.parameters.is_empty() {
            ui.label("(no parameter varies)");
        } else {
            egui::ComboBox::from_label("on the x axis")
                .selected_text(&results.parameters[view.x.min(results.parameters.len() - 1)].path)
                .show_ui(ui, |ui| {
                    for (i, p) in results.parameters.iter().enumerate() {
                        ui.selectable_value(&mut view.x, i, &p.path);
                    }
                });
        }
        ui.separator();
        ui.label("a click opens replication");
        ui.add(egui::DragValue::new(&mut view.replication).range(0..=most.saturating_sub(1)))
            .on_hover_text("which replication of a point a click runs: 0 to n-1 (fewer if the point ran fewer)");
    });
}

/// The values of a numeric parameter, as x grid marks, with the smallest
/// gap between two of them as their step.
struct NumericMarks {
    values: Vec<f64>,
    step: f64,
}

/// Most values a numeric axis marks one by one; more, and egui_plot's own
/// round-number grid reads better.
const MAX_VALUE_MARKS: usize = 16;

fn numeric_marks(parameter: Option<&sim_core::study::Parameter>) -> Option<NumericMarks> {
    let mut values: Vec<f64> = (parameter?.values.iter())
        .map(|v| v.parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()?;
    values.sort_by(f64::total_cmp);
    values.dedup();
    if values.len() < 2 || values.len() > MAX_VALUE_MARKS {
        return None;
    }
    let step = (values.windows(2))
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    Some(NumericMarks { values, step })
}

struct Plotted {
    hovered: Option<usize>,
    clicked: Option<usize>,
    transform: PlotTransform,
}

/// The metric's mean against the parameter: for a numeric parameter lines
/// to scale with shaded 95% bands, for a categorical one evenly spaced
/// values with error bars. The baseline is ringed.
fn plot_ui(
    ui: &mut egui::Ui,
    view: &StudyView,
    results: &StudyResults,
    lines: &[PlotLine],
    height: f32,
) -> Plotted {
    let parameter = results.parameters.get(view.x);
    let numeric = parameter.is_some_and(|p| p.numeric);
    let categories: Vec<String> = match parameter {
        Some(p) if !numeric => p.values.clone(),
        Some(_) => Vec::new(),
        None => vec!["base scenario".into()],
    };
    let mut plot = Plot::new("study-plot")
        .height(height)
        // The lines in the study's order; a line's entry takes its own
        // colour, not its band's.
        .legend(
            Legend::default()
                .follow_insertion_order(true)
                .color_conflict_handling(ColorConflictHandling::PickLast),
        )
        .x_axis_label(parameter.map_or("", |p| p.path.as_str()))
        .y_axis_label(format!("{} (mean, 95% CI)", results.metrics[view.metric]))
        .show_x(false)
        .show_y(false)
        .allow_scroll(false);
    if numeric && let Some(marks) = numeric_marks(parameter) {
        // Grid lines at the values the study ran, not between them.
        plot = plot.x_grid_spacer(move |input: GridInput| {
            (marks.values.iter())
                .filter(|&&v| (input.bounds.0..=input.bounds.1).contains(&v))
                .map(|&value| GridMark {
                    value,
                    step_size: marks.step,
                })
                .collect()
        });
    }
    if !categories.is_empty() {
        let n = categories.len();
        plot = plot
            .include_x(-0.5)
            .include_x(n as f64 - 0.5)
            .x_grid_spacer(move |input: GridInput| {
                (0..n)
                    .map(|i| i as f64)
                    .filter(|&v| (input.bounds.0..=input.bounds.1).contains(&v))
                    .map(|value| GridMark {
                        value,
                        step_size: 1.0,
                    })
                    .collect()
            })
            .x_axis_formatter(move |mark, _| {
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                    categories.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            });
    }
    // Baseline points are those compared with nothing (`point N`, or every
    // point with `PATH=VALUE`).
    let baselines: Vec<usize> = (results.points.iter())
        .filter(|p| p.baseline.is_none())
        .map(|p| p.index)
        .collect();
    let hovered_before = view.hovered;
    let ring = ui.visuals().strong_text_color();
    let response = plot.show(ui, |plot| {
        for line in lines {
            let means: Vec<[f64; 2]> = line.marks.iter().map(|m| [m.x, m.stats.mean]).collect();
            if numeric {
                let xs: Vec<f64> = line.marks.iter().map(|m| m.x).collect();
                let (lows, highs): (Vec<f64>, Vec<f64>) =
                    line.marks.iter().map(|m| interval(&m.stats)).unzip();
                plot.add(
                    FilledArea::new(&line.name, &xs, &lows, &highs)
                        .fill_color(line.color.gamma_multiply(0.18))
                        .allow_hover(false),
                );
            } else {
                for m in &line.marks {
                    let (low, high) = interval(&m.stats);
                    let cap = 0.04;
                    for segment in [
                        [[m.x, low], [m.x, high]],
                        [[m.x - cap, low], [m.x + cap, low]],
                        [[m.x - cap, high], [m.x + cap, high]],
                    ] {
                        plot.line(
                            Line::new(&line.name, segment.to_vec())
                                .color(line.color)
                                .width(1.5)
                                .allow_hover(false),
                        );
                    }
                }
            }
            plot.line(
                Line::new(&line.name, means.clone())
                    .color(line.color)
                    .width(2.0)
                    .allow_hover(false),
            );
            plot.points(
                Points::new(&line.name, means)
                    .color(line.color)
                    .radius(4.0)
                    .filled(true)
                    .allow_hover(false),
            );
        }
        let mark_of = |point: usize| {
            (lines.iter())
                .flat_map(|l| &l.marks)
                .find(|m| m.point == point)
                .map(|m| [m.x, m.stats.mean])
        };
        let rings: Vec<[f64; 2]> = baselines.iter().filter_map(|&b| mark_of(b)).collect();
        if !rings.is_empty() {
            plot.points(
                Points::new(format!("baseline ({})", results.baseline), rings)
                    .shape(MarkerShape::Diamond)
                    .radius(9.0)
                    .filled(false)
                    .color(ring)
                    .allow_hover(false),
            );
        }
        if let Some(at) = hovered_before.and_then(mark_of) {
            plot.points(
                Points::new("", vec![at])
                    .radius(7.0)
                    .filled(false)
                    .color(ring)
                    .allow_hover(false),
            );
        }
        // The nearest point to the pointer, within a few screen points.
        let nearest = plot.response().hover_pos().and_then(|pointer| {
            (lines.iter())
                .flat_map(|l| &l.marks)
                .map(|m| {
                    let at = plot.screen_from_plot(PlotPoint::new(m.x, m.stats.mean));
                    (m.point, at.distance(pointer))
                })
                .filter(|&(_, d)| d <= PICK_RADIUS)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(p, _)| p)
        });
        let clicked = plot.response().clicked().then_some(nearest).flatten();
        (nearest, clicked)
    });
    let (hovered, clicked) = response.inner;
    if let Some(point) = hovered {
        let metric = view.metric;
        response.response.on_hover_ui_at_pointer(|ui| {
            point_tooltip_ui(ui, results, point, metric, view.replication);
        });
    }
    Plotted {
        hovered,
        clicked,
        transform: response.transform,
    }
}

/// What the plot says of a point under the pointer.
fn point_tooltip_ui(
    ui: &mut egui::Ui,
    results: &StudyResults,
    point: usize,
    metric: usize,
    replication: usize,
) {
    let p = &results.points[point];
    let baseline = match p.baseline {
        None => " (baseline)".to_string(),
        Some(b) => format!(" (vs point {b})"),
    };
    ui.label(RichText::new(format!("point {point}{baseline}")).strong());
    for (parameter, value) in results.parameters.iter().zip(&p.values) {
        ui.label(format!("{} = {value}", parameter.path));
    }
    if let Some(d) = p.stats.get(metric).copied().flatten() {
        ui.label(format!(
            "{}: n = {}, mean {}, 95% CI [{}, {}]",
            results.metrics[metric],
            d.n,
            format::number(d.mean),
            format::number(d.ci95_low),
            format::number(d.ci95_high)
        ));
    }
    let r = replication.min(p.seeds.len().saturating_sub(1));
    ui.weak(format!(
        "click: open replication {r} (seed {})",
        p.seeds.get(r).map_or_else(|| "—".into(), u64::to_string)
    ));
}

/// Every point: its values, n and mean ± half-width of the metric, and a
/// button that opens it. Returns the point whose button was clicked.
fn table_ui(ui: &mut egui::Ui, view: &StudyView, results: &StudyResults) -> Option<usize> {
    let metric = view.metric;
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("study-points")
        .striped(true)
        .sense(Sense::hover())
        .column(Column::auto().at_least(70.0))
        .columns(Column::auto().at_least(80.0), results.parameters.len())
        .column(Column::auto().at_least(40.0))
        .column(Column::auto().at_least(160.0))
        .column(Column::remainder())
        .header(20.0, |mut header| {
            header.col(|ui| {
                ui.strong("point");
            });
            for p in &results.parameters {
                header.col(|ui| {
                    ui.strong(last_segment(&p.path)).on_hover_text(&p.path);
                });
            }
            header.col(|ui| {
                ui.strong("n");
            });
            header.col(|ui| {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{}: mean ± 95% CI", results.metrics[metric]))
                            .strong(),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
            });
            header.col(|_| {});
        })
        .body(|body| {
            body.rows(20.0, results.points.len(), |mut row| {
                let p = &results.points[row.index()];
                row.set_selected(view.hovered == Some(p.index));
                let stats = p.stats.get(metric).copied().flatten();
                row.col(|ui| {
                    if p.baseline.is_none() {
                        ui.label(format!("{} baseline", p.index));
                    } else {
                        ui.label(p.index.to_string());
                    }
                });
                for value in &p.values {
                    row.col(|ui| {
                        ui.label(value);
                    });
                }
                row.col(|ui| {
                    ui.label(stats.map_or(0, |d| d.n).to_string());
                });
                row.col(|ui| {
                    ui.label(stats.map_or_else(
                        || "—".into(),
                        |d| {
                            if d.half_width.is_finite() {
                                format!(
                                    "{} ± {}",
                                    format::number(d.mean),
                                    format::number(d.half_width)
                                )
                            } else {
                                format::number(d.mean)
                            }
                        },
                    ));
                });
                row.col(|ui| {
                    let r = view.replication.min(p.seeds.len().saturating_sub(1));
                    if ui
                        .button("open")
                        .on_hover_text(format!(
                            "run replication {r} of point {} (seed {}) as a normal run",
                            p.index,
                            p.seeds.get(r).map_or_else(|| "—".into(), u64::to_string)
                        ))
                        .clicked()
                    {
                        clicked = Some(p.index);
                    }
                });
            });
        });
    clicked
}
