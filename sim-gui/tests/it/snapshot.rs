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
    let settings = Settings {
        tab,
        show_lesson: false,
        ..Settings::default()
    };
    let mut harness = Harness::builder()
        .with_size([1200.0, 720.0])
        .with_pixels_per_point(1.0)
        .with_theme(egui::Theme::Dark)
        .wgpu_setup(software_gl())
        .build_eframe(move |_| ViewerApp::with_settings(settings, None));
    let app = harness.state_mut();
    app.open(Source::from_path(
        &repo("scenarios/teaching/fcfs-vs-easy.ron"),
        Vec::new(),
    ));
    app.wait_until_loaded();
    app.settings.show_lesson = false;
    app.settings.playback.now_ns = (at_s * 1e9) as u64;
    if let Some(id) = select_job {
        app.selection = sim_gui::views::Selection::Job(id);
    }
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
