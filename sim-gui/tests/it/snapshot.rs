//! Pixel snapshots of the viewer, rendered with no GPU and no display.
//!
//! The renderer is pinned to wgpu's OpenGL backend on a CPU adapter, which
//! on Linux is Mesa's llvmpipe through EGL (Debian's libegl-mesa0 and
//! libgl1-mesa-dri, which `.ci/run` installs): the same software rasterizer
//! on every machine, so pixels are stable. To accept a deliberate change,
//! run `UPDATE_SNAPSHOTS=1 cargo test -p sim-gui --test it snapshot` and look
//! at the new PNGs in `tests/snapshots/` before committing them.

use std::sync::Arc;

use eframe::egui_wgpu::{self, WgpuSetup, WgpuSetupCreateNew, wgpu};
use egui_kittest::Harness;
use sim_gui::app::{Settings, Tab, ViewerApp};
use sim_gui::session::Source;
use sim_gui::views::Selection;

use crate::repo;

/// wgpu on OpenGL only, on a CPU (software) adapter, refusing anything else.
fn software_gl() -> WgpuSetup {
    let mut setup = WgpuSetupCreateNew::without_display_handle();
    setup.instance_descriptor.backends = wgpu::Backends::GL;
    setup.native_adapter_selector = Some(Arc::new(|adapters, _surface| {
        adapters
            .iter()
            .find(|a| a.get_info().device_type == wgpu::DeviceType::Cpu)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no software OpenGL adapter among {:?}; install Mesa (libegl-mesa0, libgl1-mesa-dri)",
                    adapters.iter().map(|a| a.get_info().name).collect::<Vec<_>>()
                )
            })
    }));
    egui_wgpu::WgpuSetup::CreateNew(setup)
}

fn snapshot_of(tab: Tab, at_s: f64, select_job: Option<u64>, name: &str) {
    let source = Source::from_path(&repo("scenarios/teaching/fcfs-vs-easy.ron"), Vec::new());
    let selection = select_job.map_or(Selection::Nothing, Selection::Job);
    snapshot(source, tab, at_s, selection, name);
}

fn snapshot(source: Source, tab: Tab, at_s: f64, selection: Selection, name: &str) {
    let mut harness = harness(tab);
    let app = harness.state_mut();
    app.open(source);
    app.wait_until_loaded();
    app.settings.show_lesson = false;
    app.settings.playback.now_ns = (at_s * 1e9) as u64;
    app.selection = selection;
    shoot(harness, name);
}

/// A 1200x720 dark viewer on the software renderer, on `tab`.
fn harness(tab: Tab) -> Harness<'static, ViewerApp> {
    let settings = Settings {
        tab,
        show_lesson: false,
        ..Settings::default()
    };
    Harness::builder()
        .with_size([1200.0, 720.0])
        .with_pixels_per_point(1.0)
        .with_theme(egui::Theme::Dark)
        .wgpu_setup(software_gl())
        .build_eframe(move |_| ViewerApp::with_settings(settings, None))
}

/// Draws the window and compares it with the snapshot `name`.
fn shoot(mut harness: Harness<'static, ViewerApp>, name: &str) {
    harness.run_ok();
    // The wall-clock readouts at the status bar's right end differ run to
    // run, in value and width; mask a fixed strip that holds both.
    let readout = harness.get_by_label_contains("ms/frame").rect();
    harness.mask(egui::Rect::from_x_y_ranges(
        900.0..=1200.0,
        readout.y_range().expand(2.0),
    ));
    harness.snapshot(name);
}

use egui_kittest::kittest::Queryable;

#[test]
fn cluster_map_of_fcfs_at_fifty_minutes() {
    // "warmup" holds 2 of the 4 nodes; "big" and the small jobs queue.
    snapshot_of(Tab::Map, 3000.0, Some(1), "map_fcfs_50min");
}

#[test]
fn gantt_of_the_whole_fcfs_run() {
    snapshot_of(Tab::Gantt, 3000.0, Some(2), "gantt_fcfs");
}

#[test]
fn cluster_map_during_a_node_outage() {
    // tests/traces/failures-2x4.jsonl at 1 h: node0 DOWN (gpu_hbm3, since
    // 30 min), its 4 GPUs vermillion with a cross; job 1 restarted on
    // node1's 4 GPUs. Node0 selected: the inspector gives state and cause.
    let source = Source::from_path(&repo("sim-gui/tests/traces/failures-2x4.jsonl"), Vec::new());
    snapshot(
        source,
        Tab::Map,
        3600.0,
        Selection::Node(0),
        "map_node_down",
    );
}

#[test]
fn cluster_map_with_a_drained_node() {
    // The same trace at 2 h 30 min: node1 DRAINED (framed in yellow, its
    // idle GPUs yellow rings), node0 back in service.
    let source = Source::from_path(&repo("sim-gui/tests/traces/failures-2x4.jsonl"), Vec::new());
    snapshot(
        source,
        Tab::Map,
        9000.0,
        Selection::Node(1),
        "map_node_drained",
    );
}

#[test]
fn gantt_with_a_failed_run() {
    // Job 1's first run ends at 30 min with a vermillion cross; its
    // restart follows in the same lane.
    let source = Source::from_path(&repo("sim-gui/tests/traces/failures-2x4.jsonl"), Vec::new());
    snapshot(
        source,
        Tab::Gantt,
        3600.0,
        Selection::Job(1),
        "gantt_failure",
    );
}

#[test]
fn study_of_backfill_by_node_count() {
    // The study module's tiny study: mean GPU utilization against the node
    // count, a line and a shaded 95% band per backfill policy; the
    // baseline (point 1: no backfill, 4 nodes) ringed; the table below.
    let dir = crate::study::scratch("study-snapshot");
    crate::study::run_study(&dir);
    let mut harness = harness(Tab::Study);
    let app = harness.state_mut();
    app.open_study(&dir.join("out"));
    let view = app.study_mut().expect("the study is open");
    view.metric = 1;
    shoot(harness, "study_backfill_by_nodes");
    std::fs::remove_dir_all(&dir).ok();
}
