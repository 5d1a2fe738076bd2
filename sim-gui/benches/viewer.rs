//! The viewer's performance targets (issue 5), measured headless:
//!
//! - `frame/*`: one frame of the cluster map or the Gantt chart for
//!   2,048 nodes (16,384 GPUs) and 10,000 jobs (viewer-2048-nodes.ron),
//!   with the playhead moving every frame so nothing is served from a
//!   cache. A frame is egui's pass (our drawing code included) plus
//!   tessellation into triangles: all the CPU work of a real frame. The
//!   GPU's rasterization is not included. Target: < 16 ms.
//! - `open/trace_1m_events`: opening a 1,000,004-line trace.jsonl
//!   (trace-1m-events.ron, written once to a temporary directory): reading,
//!   parsing and building the timeline with its snapshots, on the
//!   background thread, until the timeline is complete. Target: < 2 s.
//! - `scrub/gpu_owners_at_1m_events`: the cluster's state at an arbitrary
//!   instant of that trace (a snapshot plus replay).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use sim_gui::app::{Settings, Tab, ViewerApp};
use sim_gui::session::{Session, Source, Status};

fn bench_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(name)
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for (tab, name) in [
        (Tab::Map, "map_2048_nodes_10k_jobs"),
        (Tab::Gantt, "gantt_2048_nodes_10k_jobs"),
    ] {
        let settings = Settings {
            tab,
            ..Settings::default()
        };
        let mut harness = Harness::builder()
            .with_size([1600.0, 1000.0])
            .build_eframe(move |_| ViewerApp::with_settings(settings, None));
        harness.state_mut().open(Source::from_path(
            &bench_file("viewer-2048-nodes.ron"),
            Vec::new(),
        ));
        harness.state_mut().wait_until_loaded();
        assert_eq!(harness.state().status(), Some(Status::Done));
        let end_ns = harness.state().with_timeline(|t| t.end_ns()).unwrap();
        harness.run_ok();
        let ctx = harness.ctx.clone();
        let mut k = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                // A different instant every frame: an hour apart, wrapping.
                k += 1;
                harness.state_mut().settings.playback.now_ns = (k * 3_600_000_000_000) % end_ns;
                harness.step();
                let output = harness.output();
                let primitives = ctx.tessellate(output.shapes.clone(), output.pixels_per_point);
                std::hint::black_box(primitives.len())
            });
        });
    }
    group.finish();
}

fn open(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("clustersim-viewer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.jsonl");
    let loaded = sim_core::scenario::load_file(&bench_file("trace-1m-events.ron"), &[]).unwrap();
    let file = std::io::BufWriter::new(std::fs::File::create(&trace).unwrap());
    let mut writer =
        sim_core::metrics::JsonlTraceWriter::new(file, loaded.scenario.trace_header()).unwrap();
    let result = sim_core::simulation::run(&loaded.scenario, &mut writer, &mut |_| {});
    writer
        .finish(result.end, result.summary.stop_reason)
        .unwrap();

    let mut group = c.benchmark_group("open");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("trace_1m_events", |b| {
        b.iter(|| {
            let session = opened(&trace);
            let shared = session.lock();
            std::hint::black_box(shared.timeline.as_ref().map(|t| t.change_count()))
        });
    });
    group.finish();

    // Scrubbing: the GPU owners at an arbitrary instant of that trace.
    let session = opened(&trace);
    let shared = session.lock();
    let timeline = shared.timeline.as_ref().unwrap();
    let end_ns = timeline.end_ns();
    let mut owners = Vec::new();
    let mut k = 0u64;
    c.bench_function("scrub/gpu_owners_at_1m_events", |b| {
        b.iter(|| {
            // Instants spread over the run by a large odd stride.
            k = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
            timeline.gpu_owners_at(k % end_ns, &mut owners);
            std::hint::black_box(owners.len())
        });
    });
    drop(shared);
    std::fs::remove_dir_all(&dir).ok();
}

/// The trace at `path`, read to the end.
fn opened(path: &Path) -> Session {
    let mut session = Session::open(
        Source::Trace {
            path: path.to_path_buf(),
        },
        || {},
    );
    session.wait();
    assert_eq!(session.lock().status, Status::Done);
    session
}

criterion_group!(benches, frame, open);
criterion_main!(benches);
