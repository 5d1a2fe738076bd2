//! The viewer driven as a user would drive it, through egui_kittest: open
//! a bundled scenario, play, scrub, pick a job and read the inspector;
//! open a broken scenario and a trace; compare two variants.
//!
//! Expected figures come from the scenarios' own worked numbers (their
//! opening comments, checked by sim-core's tests/teaching.rs), never from
//! running the viewer.

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_gui::app::{Settings, Tab, ViewerApp};
use sim_gui::session::{Source, Status};

use crate::repo;

/// A viewer showing `tab`, with `source` (and `compare`) loaded.
fn viewer(source: Source, compare: Option<Source>, tab: Tab) -> Harness<'static, ViewerApp> {
    let settings = Settings {
        tab,
        ..Settings::default()
    };
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_| ViewerApp::with_settings(settings, None));
    harness.state_mut().open(source);
    if let Some(b) = compare {
        harness.state_mut().open_compare(b);
    }
    harness.state_mut().wait_until_loaded();
    harness.run_ok();
    harness
}

fn scenario(path: &str) -> Source {
    Source::from_path(&repo(path), Vec::new())
}

const HOUR_NS: u64 = 3_600_000_000_000;

#[test]
fn open_play_scrub_and_inspect_a_job() {
    // fcfs-vs-easy.ron: 4 DGX-H100 (32 GPUs); "warmup" holds 16 GPUs for
    // the first hour, then "big" (job 2) takes all 32 from 1 h to 3 h.
    let mut h = viewer(
        scenario("scenarios/teaching/fcfs-vs-easy.ron"),
        None,
        Tab::Map,
    );
    assert_eq!(h.state().status(), Some(Status::Done));
    h.get_by_label_contains("1 rack · 4 nodes");
    h.get_by_label_contains("16 of 32 GPUs busy"); // "warmup" starts at t = 0

    // Play: the playhead moves and the button turns into Pause.
    h.get_by_label("Play").click();
    h.run_steps(10);
    assert!(h.state().settings.playback.playing);
    assert!(h.state().now_ns() > 0, "playing moves the playhead");
    h.get_by_label("Pause").click();
    h.run_steps(2);
    assert!(!h.state().settings.playback.playing);

    // Scrub: drag the time slider to the middle of the run (3h40m long),
    // where "big" holds every GPU.
    let slider = h
        .get_all_by_role(Role::Slider)
        .max_by(|a, b| a.rect().width().total_cmp(&b.rect().width()))
        .expect("the time slider")
        .rect();
    h.drag_at(slider.left_center());
    h.run_steps(2);
    h.hover_at(slider.center());
    h.run_steps(2);
    h.drop_at(slider.center());
    h.run_steps(3);
    let now = h.state().now_ns();
    assert!(
        (HOUR_NS..3 * HOUR_NS).contains(&now),
        "scrubbed to {now} ns, expected inside big's run"
    );
    h.get_by_label_contains("32 of 32 GPUs busy");

    // Select job 2 in the job table: the inspector shows it.
    h.get_by_label("Jobs").click();
    h.run_ok();
    h.get_by_label("big").click();
    h.run_ok();
    assert_eq!(h.state().selection, sim_gui::views::Selection::Job(2));
    h.get_by_label("Job 2");
    assert_eq!(h.state().selection, sim_gui::views::Selection::Job(2));
    h.get_by_label("at the playhead");
    h.get_by_label("running"); // what job 2 is doing at the playhead

    // Step to the next event: "big" ends at 3 h.
    h.get_by_label(">").click();
    h.run_ok();
    assert_eq!(h.state().now_ns(), 3 * HOUR_NS);
}

#[test]
fn clicking_a_busy_gpu_on_the_map_inspects_its_job() {
    let mut h = viewer(
        scenario("scenarios/teaching/fcfs-vs-easy.ron"),
        None,
        Tab::Map,
    );
    h.state_mut().settings.playback.now_ns = 2 * HOUR_NS; // "big" holds all 32 GPUs
    h.run_ok();
    // The map starts under its header row; the first rack's first node
    // tile is inset by the rack's padding and label.
    let header = h.get_by_label("Colour GPUs by").rect();
    let first_gpu = egui::pos2(header.min.x + 20.0, header.max.y + 45.0);
    h.hover_at(first_gpu);
    h.run_ok();
    h.get_by_label_contains("click: inspect the job");
    h.drag_at(first_gpu);
    h.drop_at(first_gpu);
    h.run_ok();
    assert_eq!(h.state().selection, sim_gui::views::Selection::Job(2));
    h.get_by_label("Job 2");
}

#[test]
fn a_malformed_scenario_shows_the_cli_error_and_the_viewer_keeps_working() {
    let broken = repo("sim-core/tests/broken/03-bad-unit.ron");
    let expected = sim_core::scenario::load_file(&broken, &[])
        .unwrap_err()
        .to_string();
    let first_line = expected.lines().next().unwrap().to_string();
    assert!(
        first_line.contains("03-bad-unit.ron:"),
        "the CLI error names file:line:column: {first_line}"
    );

    let mut h = viewer(Source::from_path(&broken, Vec::new()), None, Tab::Map);
    assert!(matches!(h.state().status(), Some(Status::Failed(_))));
    h.get_by_label("This file could not be opened");
    h.get_by_label(expected.as_str());

    // Still working: open a good file in the same window.
    h.state_mut().open(scenario("scenarios/quickstart.ron"));
    h.state_mut().wait_until_loaded();
    h.run_ok();
    assert_eq!(h.state().status(), Some(Status::Done));
    assert!(h.query_by_label("This file could not be opened").is_none());
}

#[test]
fn a_trace_written_by_the_cli_opens_directly() {
    let dir = std::env::temp_dir().join(format!("clustersim-gui-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trace.jsonl");
    let loaded =
        sim_core::scenario::load_file(&repo("scenarios/teaching/preemption.ron"), &[]).unwrap();
    let mut writer = sim_core::metrics::JsonlTraceWriter::new(
        std::fs::File::create(&path).unwrap(),
        loaded.scenario.trace_header(),
    )
    .unwrap();
    let result = sim_core::simulation::run(&loaded.scenario, &mut writer, &mut |_| {});
    writer
        .finish(result.end, result.summary.stop_reason)
        .unwrap();

    let mut h = viewer(Source::from_path(&path, Vec::new()), None, Tab::Jobs);
    assert_eq!(h.state().status(), Some(Status::Done));
    let (jobs, runs, preempted) = h
        .state()
        .with_timeline(|t| {
            (
                t.jobs.len(),
                t.runs.len(),
                t.runs.iter().filter(|r| r.preempted).count(),
            )
        })
        .unwrap();
    assert_eq!(jobs as u64, result.summary.jobs.submitted);
    // preemption.ron: two victims are preempted and requeued, so they run twice.
    assert_eq!(preempted as u64, result.summary.scheduling.preemptions);
    assert_eq!(runs, jobs + preempted);
    h.get_by_label_contains(&format!("{jobs} of {jobs} jobs"));
    h.get_by_label_contains("run ended: all_work_done");

    // A trace cut and corrupted on its third line is refused at that line.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = r#"{"t_ns":5,"event":"start","job":"#;
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    h.state_mut().open(Source::from_path(&bad, Vec::new()));
    h.state_mut().wait_until_loaded();
    h.run_ok();
    let Some(Status::Failed(message)) = h.state().status() else {
        panic!("a corrupt trace must fail");
    };
    assert!(message.contains("bad.jsonl:3:"), "{message}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn teaching_scenarios_open_with_what_to_look_for() {
    let h = viewer(
        scenario("scenarios/teaching/fcfs-vs-easy.ron"),
        None,
        Tab::Map,
    );
    h.get_by_label("What to look for");
    h.get_by_label_contains("FCFS: jobs 3-6 queue behind");
    let h = viewer(scenario("scenarios/quickstart.ron"), None, Tab::Map);
    assert!(h.query_by_label("What to look for").is_none());
}

#[test]
fn compare_puts_two_set_variants_side_by_side() {
    // fcfs-vs-easy.ron's comment: mean wait 7,650 s under FCFS and 590 s
    // under EASY; "big" starts at 1 h either way.
    let path = repo("scenarios/teaching/fcfs-vs-easy.ron");
    let a = Source::Scenario {
        path: path.clone(),
        overrides: vec!["scheduler.backfill=None".into()],
    };
    let b = Source::Scenario {
        path,
        overrides: vec!["scheduler.backfill=Easy".into()],
    };
    let h = viewer(a, Some(b), Tab::Compare);
    // In the table's header and in the plots' legends.
    assert!(
        h.query_all_by_label("A: fcfs-vs-easy.ron --set scheduler.backfill=None")
            .count()
            >= 2
    );
    assert!(
        h.query_all_by_label("B: fcfs-vs-easy.ron --set scheduler.backfill=Easy")
            .count()
            >= 2
    );
    h.get_by_label("mean wait");
    h.get_by_label("2h08m"); // 7,650 s, rounded to the minute
    h.get_by_label("9m50s"); // 590 s
    h.get_by_label("-92.3 %");
    h.get_by_label("GPU utilization (%), shared axes");
}

#[test]
fn a_variant_typed_in_the_compare_tab_runs_as_b() {
    let a = Source::Scenario {
        path: repo("scenarios/teaching/fcfs-vs-easy.ron"),
        overrides: vec!["scheduler.backfill=None".into()],
    };
    let mut h = viewer(a, None, Tab::Compare);
    h.get_by_label_contains("Nothing to compare yet");
    h.get_by_role(Role::TextInput).click();
    h.run_ok();
    h.get_by_role(Role::TextInput)
        .type_text("scheduler.backfill=Easy");
    h.run_ok();
    h.get_by_label("Run variant").click();
    h.run_ok();
    h.state_mut().wait_until_loaded();
    h.run_ok();
    // B is A's file again with the typed overrides in place of A's, in the
    // table's header and in the plots' legends.
    assert!(
        h.query_all_by_label("B: fcfs-vs-easy.ron --set scheduler.backfill=Easy")
            .count()
            >= 2
    );
    h.get_by_label("-92.3 %");
    // With the inspector open the controls wrap rather than run under it.
    assert!(h.state().settings.show_inspector);
    h.get_by_label("Close B").click();
    h.run_ok();
    h.get_by_label_contains("Nothing to compare yet");
}

#[test]
fn every_view_draws_a_bundled_training_scenario() {
    let mut h = viewer(
        scenario("scenarios/hardware/leaf-spine-2to1.ron"),
        None,
        Tab::Map,
    );
    for tab in ["Gantt", "Plots", "Jobs", "Compare", "Cluster map"] {
        h.get_by_label(tab).click();
        h.run_ok();
    }
    // The map groups nodes by the fabric's leaf switches.
    let (leaves, racks) = h
        .state()
        .with_timeline(|t| (t.layout.header.leaves.len(), t.layout.racks.len()))
        .unwrap();
    assert!(
        leaves > 1,
        "a 2:1 leaf-spine fabric of 32 nodes has several leaves"
    );
    assert_eq!(racks, leaves);
    h.get_by_label_contains(&format!("{racks} racks · "));
}

#[test]
fn a_file_dropped_on_the_window_opens() {
    let settings = Settings::default();
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(move |_| ViewerApp::with_settings(settings, None));
    h.run_ok();
    h.get_by_label_contains("drop one on this window");
    /// What winit hands egui when a file is dropped on the window.
    #[derive(Debug)]
    struct Dropped(PathBuf);
    impl egui::DroppedFile for Dropped {
        fn path(&self) -> &Path {
            &self.0
        }
        fn bytes(&self) -> Result<Vec<u8>, String> {
            std::fs::read(&self.0).map_err(|e| e.to_string())
        }
    }
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(repo(
            "scenarios/quickstart.ron",
        ))));
    h.step();
    h.state_mut().wait_until_loaded();
    h.run_ok();
    assert_eq!(h.state().status(), Some(Status::Done));
    h.get_by_label("quickstart.ron");
}

#[test]
fn settings_and_recent_files_survive_a_restart() {
    /// eframe's storage, in memory.
    #[derive(Default)]
    struct Memory(std::collections::HashMap<String, String>);
    impl eframe::Storage for Memory {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_string(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    let mut h = viewer(scenario("scenarios/quickstart.ron"), None, Tab::Map);
    h.get_by_label("Gantt").click();
    h.run_ok();
    h.state_mut().settings.playback.speed = 100.0;
    let mut storage = Memory::default();
    eframe::App::save(h.state_mut(), &mut storage);

    let restored: Settings = eframe::get_value(&storage, sim_gui::app::SETTINGS_KEY).unwrap();
    assert_eq!(restored.tab, Tab::Gantt);
    assert_eq!(restored.playback.speed, 100.0);
    assert_eq!(restored.recent, vec![repo("scenarios/quickstart.ron")]);

    // A scripted screenshot leaves the user's settings alone.
    h.state_mut().persist = false;
    let mut untouched = Memory::default();
    eframe::App::save(h.state_mut(), &mut untouched);
    assert!(untouched.0.is_empty());
}

#[test]
fn clicking_a_gantt_bar_inspects_its_job_and_scrolling_zooms() {
    // fcfs-vs-easy.ron under FCFS: lane 0 holds "warmup" (0-1 h) then
    // "big" (1-3 h); the fitted chart spans the 3 h 40 min run.
    let mut h = viewer(
        scenario("scenarios/teaching/fcfs-vs-easy.ron"),
        None,
        Tab::Gantt,
    );
    let header = h.get_by_label_contains("runs of 6 jobs").rect();
    // 540 points into the chart, on lane 0: between 1 h 50 min (were the
    // chart 1,080 points wide) and 2 h 50 min (720 points), inside "big".
    let on_big = egui::pos2(header.min.x + 540.0, header.max.y + 6.0 + 20.0 + 7.0);
    h.hover_at(on_big);
    h.run_ok();
    h.get_by_label("job 2 “big”");
    h.drag_at(on_big);
    h.drop_at(on_big);
    h.run_ok();
    assert_eq!(h.state().selection, sim_gui::views::Selection::Job(2));
    h.get_by_label("Job 2");

    // Scrolling over the chart zooms in around the pointer: the window
    // narrows, and the instant under the pointer stays put.
    let before = h.state().gantt().clone();
    h.hover_at(on_big);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 200.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    // The wheel is smoothed over a few frames.
    h.run_steps(30);
    let after = h.state().gantt().clone();
    let (span_before, span_after) = (before.t1_s - before.t0_s, after.t1_s - after.t0_s);
    assert!(span_after < 0.7 * span_before, "{before:?} -> {after:?}");
    // The fixed point t = t0 + f * span, the same before and after.
    let f = (after.t0_s - before.t0_s) / (span_before - span_after);
    let fixed_s = before.t0_s + f * span_before;
    assert!(
        (0.0..1.0).contains(&f),
        "the pointer is inside the chart, not at fraction {f}"
    );
    assert!(
        (3_600.0..10_800.0).contains(&fixed_s),
        "zoomed around {fixed_s} s, not inside big's run"
    );
    h.hover_at(on_big);
    h.run_ok();
    h.get_by_label("job 2 “big”");
}

#[test]
fn a_job_selected_elsewhere_is_scrolled_into_the_table() {
    // 1,960 jobs: only the rows on screen are laid out, so job 1500's row
    // exists only if the table scrolled to it.
    let mut h = viewer(
        scenario("scenarios/h100-128-nodes-day.ron"),
        None,
        Tab::Jobs,
    );
    assert!(h.query_by_label("1500").is_none());
    h.state_mut().selection = sim_gui::views::Selection::Job(1500);
    h.run_ok();
    h.get_by_label("1500");
}

#[test]
fn file_open_dialog_opens_the_picked_scenario() {
    // Recent files start the dialog in the last file's folder.
    let settings = Settings {
        recent: vec![repo("scenarios/teaching/fcfs-vs-easy.ron")],
        ..Settings::default()
    };
    // egui_file draws its icons with glyphs egui's bundled fonts lack (a
    // desktop's system fonts have them), and leaves its two text fields
    // unnamed for screen readers: both are the dialog's, not the viewer's.
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .allow_missing_glyphs()
        .with_accessibility_check(false)
        .build_eframe(move |_| ViewerApp::with_settings(settings, None));
    h.run_ok();
    h.get_by_label("File").click();
    h.run_ok();
    h.get_by_label("Open…").click();
    h.run_ok();
    h.get_by_label_contains("Open a scenario (.ron), trace (.jsonl) or study results");
    h.get_by_label_contains("gang-deadlock.ron").click();
    h.run_ok();
    h.get_by_label("Open").click();
    h.run_ok();
    h.state_mut().wait_until_loaded();
    h.run_ok();
    assert_eq!(h.state().status(), Some(Status::Done));
    h.get_by_label("gang-deadlock.ron");
    h.get_by_label("What to look for");
}
