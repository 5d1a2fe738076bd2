//! `clustersim-gui`: the viewer's command line; everything else is in the
//! library.

use std::path::PathBuf;

use clap::Parser;
use sim_gui::app::{Options, Tab, ViewerApp};

/// Watch, scrub and compare simulated GPU clusters.
///
/// Opens a scenario (runs it on a background thread and shows it as it
/// unfolds), a trace written by `clustersim run SCENARIO --out DIR`
/// (DIR/trace.jsonl), or the results of `clustersim study STUDY --out DIR`
/// (a metric against a parameter; a click on a point runs that point's
/// replication). Files can also be opened from File > Open… or by dropping
/// them on the window.
#[derive(Parser, Debug)]
#[command(name = "clustersim-gui", version)]
struct Cli {
    /// A scenario (.ron), trace (.jsonl), or study results directory (one
    /// holding study.json) to open.
    file: Option<PathBuf>,
    /// The results directory of `clustersim study --out DIR` to open.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    study: Option<PathBuf>,
    /// The study's metric to plot first, as its study file names it (e.g.
    /// wait_s.p95).
    #[arg(long, value_name = "METRIC")]
    metric: Option<String>,
    /// The study's parameter on the x axis, as its study file names it
    /// (e.g. scheduler.backfill).
    #[arg(long, value_name = "PATH")]
    against: Option<String>,
    /// Override a scenario value, as `clustersim run --set` does (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// A second scenario or trace to compare with (the Compare tab).
    #[arg(long, value_name = "FILE")]
    compare: Option<PathBuf>,
    /// Overrides for the second run; without --compare, FILE runs twice.
    #[arg(long = "compare-set", value_name = "KEY=VALUE")]
    compare_overrides: Vec<String>,
    /// The view to start on.
    #[arg(long, value_enum)]
    view: Option<Tab>,
    /// Put the playhead here once the run is loaded (simulated seconds).
    #[arg(long, value_name = "SECONDS")]
    at: Option<f64>,
    /// Select this job (by id) once the run is loaded.
    #[arg(long, value_name = "ID")]
    select_job: Option<u64>,
    /// Save a PNG of the window once the run is drawn, then quit (for
    /// scripts and reports).
    #[arg(long, value_name = "PNG")]
    screenshot: Option<PathBuf>,
    /// Window size in points, as WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    size: Option<[f32; 2]>,
}

fn parse_size(s: &str) -> Result<[f32; 2], String> {
    let (w, h) = s
        .split_once('x')
        .ok_or_else(|| format!("`{s}` is not WIDTHxHEIGHT; try 1600x1000"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<f32>()
            .ok()
            .filter(|v| (200.0..=10_000.0).contains(v))
            .ok_or_else(|| {
                format!("`{v}` is not a size between 200 and 10000 points; try 1600x1000")
            })
    };
    Ok([parse(w)?, parse(h)?])
}

fn main() -> eframe::Result {
    let mut cli = Cli::parse();
    if let Some(path) = &cli.file
        && let Some(dir) = sim_gui::views::study::results_dir(path)
    {
        cli.study = Some(dir);
        cli.file = None;
    }
    // As for any bad input on the command line: say why, exit 2.
    let refuse = |why: String| -> ! {
        eprintln!("clustersim-gui: {why}");
        std::process::exit(2);
    };
    match &cli.study {
        Some(dir) => {
            let mut view = sim_gui::views::study::StudyView::open(dir);
            if let Err(e) = &view.results {
                refuse(e.to_string());
            }
            if let Err(e) = view.pick(cli.metric.as_deref(), cli.against.as_deref()) {
                refuse(format!("{e} (in {})", dir.join("study.json").display()));
            }
        }
        None if cli.metric.is_some() || cli.against.is_some() => {
            refuse("--metric and --against choose a study's plot: open one with --study DIR".into())
        }
        None => {}
    }
    let scripted = cli.screenshot.is_some();
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("clustersim")
        .with_inner_size(cli.size.unwrap_or([1400.0, 900.0]))
        .with_drag_and_drop(true);
    if scripted {
        viewport = viewport.with_inner_size(cli.size.unwrap_or([1600.0, 1000.0]));
    }
    let native = eframe::NativeOptions {
        viewport,
        // A scripted screenshot must not depend on, or change, what a
        // previous session left behind.
        persist_window: !scripted,
        ..Default::default()
    };
    let options = Options {
        open: cli.file,
        overrides: cli.overrides,
        compare: cli.compare,
        compare_overrides: cli.compare_overrides,
        tab: cli.view,
        at_s: cli.at,
        select_job: cli.select_job,
        screenshot: cli.screenshot,
        study: cli.study,
        study_metric: cli.metric,
        study_against: cli.against,
    };
    eframe::run_native(
        "clustersim-gui",
        native,
        Box::new(move |cc| {
            let mut app = ViewerApp::new(cc, options);
            if scripted {
                // Pictures that do not depend on, or change, a user's settings.
                app.settings = sim_gui::app::Settings {
                    tab: app.settings.tab,
                    ..Default::default()
                };
                app.persist = false;
            }
            Ok(Box::new(app))
        }),
    )
}
