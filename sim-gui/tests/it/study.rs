//! A study's results in the viewer: a tiny study of the quickstart is run
//! through the library (`sim_core::study`), written as `clustersim study`
//! writes it, and opened; the plot's points are checked against means
//! computed here from the runner's rows, and a point opened from the
//! table or the plot must be the very replication the study ran (its
//! seed, its overridden node count and its metrics, equal to the bit).

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::study::{self, RunOptions};
use sim_gui::app::{Settings, Tab, ViewerApp};
use sim_gui::session::{Source, Status};
use sim_gui::views::study::{OpenReplication, StudyView};

use crate::repo;

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clustersim-gui-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Backfill (categorical, slowest) by node count (numeric), three
/// replications each: points 0 (None, 3), 1 (None, 4), 2 (Easy, 3),
/// 3 (Easy, 4); replication r runs with seed 11 + r.
pub const STUDY: &str = r#"Study(
    name: "viewer-test",
    description: "backfill by node count on the quickstart",
    scenario: "QUICKSTART",
    parameters: [
        (path: "scheduler.backfill", values: ["None", "Easy"]),
        (path: "cluster.node_groups[0].count", values: [3, 4]),
    ],
    replications: Fixed(3),
    metrics: ["wait_s.mean", "gpu_utilization"],
    seeds: Common(base: 11),
    baseline: 1,
)"#;

/// Runs [`STUDY`] on one thread and writes its results into `dir`;
/// returns the rows the runner gave.
pub fn run_study(dir: &Path) -> Vec<study::Row> {
    let file = dir.join("study.ron");
    let quickstart = repo("scenarios/quickstart.ron");
    std::fs::write(
        &file,
        STUDY.replace("QUICKSTART", &quickstart.display().to_string()),
    )
    .unwrap();
    let loaded = study::load(&file).unwrap();
    let options = RunOptions::quiet(1);
    let rows = study::run(&loaded, &options).unwrap().rows;
    study::write_results(&dir.join("out"), &loaded.study, &rows).unwrap();
    rows
}

fn viewer() -> Harness<'static, ViewerApp> {
    let settings = Settings::default();
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_| ViewerApp::with_settings(settings, None))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn a_study_plots_each_points_mean_against_the_chosen_parameter() {
    let dir = scratch("study-plot");
    let rows = run_study(&dir);
    assert_eq!(rows.len(), 12);
    let mut h = viewer();
    h.state_mut().open_study(&dir.join("out"));
    h.run_ok();
    assert_eq!(h.state().settings.tab, Tab::Study);
    h.get_by_label("Study viewer-test");
    h.get_by_label_contains("4 points of quickstart.ron · 3 replications each");
    // The pickers show the first metric and the first numeric parameter;
    // the metric's list offers both.
    h.get_by_value("cluster.node_groups[0].count");
    let before = h.state_mut().study_mut().unwrap().lines().to_vec();
    assert_eq!(before[0].marks[0].stats.n, 3);
    h.get_by_value("wait_s.mean").click();
    h.run_ok();
    // Picking the other metric in the list replots.
    h.get_by_label("gpu_utilization").click();
    h.run_ok();
    h.get_by_value("gpu_utilization");

    // Against the node count (numeric, to scale): a line per backfill
    // policy, each through x = 3 and 4 at the mean of its replications.
    let view = h.state_mut().study_mut().unwrap();
    assert_eq!((view.metric, view.x), (1, 1));
    let lines = view.lines().to_vec();
    assert_ne!(
        lines[0].marks[0].stats.mean, before[0].marks[0].stats.mean,
        "a wait in seconds is not a utilization"
    );
    let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["backfill=None", "backfill=Easy"]);
    for (line, first_point) in lines.iter().zip([0, 2]) {
        let xs: Vec<f64> = line.marks.iter().map(|m| m.x).collect();
        assert_eq!(xs, [3.0, 4.0]);
        for (mark, point) in line.marks.iter().zip(first_point..) {
            assert_eq!(mark.point, point);
            let utilization: Vec<f64> = (rows.iter())
                .filter(|r| r.point == point)
                .map(|r| r.metrics[1].unwrap())
                .collect();
            assert_eq!(mark.stats.n, 3);
            assert!((mark.stats.mean - mean(&utilization)).abs() < 1e-12);
            assert!(
                mark.stats.ci95_low <= mark.stats.mean && mark.stats.mean <= mark.stats.ci95_high
            );
        }
    }
    h.run_ok();
    h.get_by_label("gpu_utilization: mean ± 95% CI");
    // The baseline (point 1) is marked in the table.
    h.get_by_label("1 baseline");

    // Against the policy (categorical): evenly spaced at 0 and 1, the two
    // lines' error bars nudged apart either side.
    let view = h.state_mut().study_mut().unwrap();
    view.x = 0;
    let lines = view.lines().to_vec();
    assert_eq!(lines.len(), 2);
    for (line, nudge) in lines.iter().zip([-1.0, 1.0]) {
        assert_eq!(line.marks.len(), 2);
        for (mark, category) in line.marks.iter().zip([0.0, 1.0]) {
            let offset = mark.x - category;
            assert!(offset * nudge > 0.0 && offset.abs() < 0.2, "{mark:?}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_points_open_button_runs_that_replication_as_a_normal_run() {
    let dir = scratch("study-open");
    let rows = run_study(&dir);
    let mut h = viewer();
    h.state_mut().open_study(&dir.join("out"));
    h.state_mut().study_mut().unwrap().replication = 2;
    h.run_ok();
    // Point 2 is (Easy, 3 nodes); replication 2 ran with seed 13.
    h.get_all_by_label("open").nth(2).unwrap().click();
    h.run_ok();
    h.state_mut().wait_until_loaded();
    h.run_ok();
    assert_eq!(h.state().status(), Some(Status::Done));
    assert_eq!(
        h.state().from_study(),
        Some(OpenReplication {
            point: 2,
            replication: 2
        })
    );
    assert_eq!(h.state().settings.tab, Tab::Map);
    let Some(Source::Scenario { path, overrides }) = h.state().source().cloned() else {
        panic!("a replication opens its scenario");
    };
    assert_eq!(path, repo("scenarios/quickstart.ron"));
    assert_eq!(
        overrides,
        [
            "scheduler.backfill=Easy",
            "cluster.node_groups[0].count=3",
            "seed=13"
        ]
    );
    let row = rows
        .iter()
        .find(|r| (r.point, r.replication) == (2, 2))
        .unwrap();
    assert_eq!(row.seed, 13);
    let (seed, nodes, wait, utilization) = h
        .state()
        .with_result(|r| {
            (
                r.summary.seed,
                r.summary.nodes,
                r.summary.wait_s.mean,
                r.summary.gpu_utilization,
            )
        })
        .unwrap();
    assert_eq!((seed, nodes), (13, 3));
    // The same run as the study's, to the bit.
    assert_eq!(wait, row.metrics[0]);
    assert_eq!(Some(utilization), row.metrics[1]);
    assert_eq!(h.state().with_timeline(|t| t.layout.header.seed), Some(13));
    h.get_by_label("study viewer-test: point 2, replication 2 ·");

    // And back.
    h.get_by_label("< Study").click();
    h.run_ok();
    assert_eq!(h.state().settings.tab, Tab::Study);
    h.get_by_label("Study viewer-test");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_click_on_a_point_in_the_plot_opens_it() {
    let dir = scratch("study-click");
    run_study(&dir);
    let mut h = viewer();
    h.state_mut().open_study(&dir.join("out"));
    h.run_ok(); // against the node count
    h.run_ok();
    let at = h.state_mut().study_mut().unwrap().screen_pos(3).unwrap();
    // A few points off the mark still picks it.
    let near = at + egui::vec2(3.0, -2.0);
    h.hover_at(near);
    h.run_ok();
    assert_eq!(h.state().study().unwrap().hovered, Some(3));
    h.get_by_label("point 3 (vs point 1)");
    h.get_by_label("cluster.node_groups[0].count = 4");
    h.get_by_label("click: open replication 0 (seed 11)");
    h.drag_at(near);
    h.drop_at(near);
    h.run_ok();
    h.state_mut().wait_until_loaded();
    h.run_ok();
    assert_eq!(
        h.state().from_study(),
        Some(OpenReplication {
            point: 3,
            replication: 0
        })
    );
    assert_eq!(h.state().with_result(|r| r.summary.nodes), Some(4));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn metrics_and_parameters_are_picked_by_name() {
    let dir = scratch("study-pick");
    run_study(&dir);
    let mut view = StudyView::open(&dir.join("out"));
    assert_eq!((view.metric, view.x), (0, 1));
    view.pick(Some("gpu_utilization"), Some("scheduler.backfill"))
        .unwrap();
    assert_eq!((view.metric, view.x), (1, 0));
    let e = view.pick(Some("wait_s.p99"), None).unwrap_err();
    assert_eq!(
        e,
        "the study collected no metric `wait_s.p99`; pick one of: wait_s.mean, gpu_utilization"
    );
    let e = view.pick(None, Some("seed")).unwrap_err();
    assert!(
        e.contains("pick one of: scheduler.backfill, cluster.node_groups[0].count"),
        "{e}"
    );
    // A refused name changes nothing.
    assert_eq!((view.metric, view.x), (1, 0));

    // On the command line, the same refusal, exit 2.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clustersim-gui"))
        .arg("--study")
        .arg(dir.join("out"))
        .args(["--metric", "wait_s.p99"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("clustersim-gui: the study collected no metric `wait_s.p99`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_directory_without_results_shows_why() {
    let dir = scratch("study-bad");
    let expected = study::read_results(&dir).unwrap_err().to_string();
    assert!(expected.contains("study.json"), "{expected}");
    let mut h = viewer();
    h.state_mut().open_study(&dir);
    h.run_ok();
    h.get_by_label("These study results could not be opened");
    h.get_by_label(expected.as_str());
    // A manifest that is not one.
    std::fs::write(dir.join("study.json"), "{\"format\": 1}").unwrap();
    h.state_mut().open_path(&dir.join("study.json"));
    h.run_ok();
    let expected = study::read_results(&dir).unwrap_err().to_string();
    assert!(expected.contains("not a study manifest"), "{expected}");
    h.get_by_label(expected.as_str());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_command_line_refuses_unreadable_results_with_exit_code_2() {
    let dir = scratch("study-cli");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_clustersim-gui"))
        .arg("--study")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("clustersim-gui: cannot read ") && stderr.contains("study.json"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
