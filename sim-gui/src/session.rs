//! One opened run: a scenario simulated on a background thread, or a
//! `trace.jsonl` read on one, filling a shared [`Timeline`] as it goes so
//! the window shows the run while it unfolds.
//!
//! Invariants: the background thread is the only writer of [`Shared`]; it
//! holds the lock only to append a batch of records (a few thousand, or
//! whatever arrived in the last 50 ms), so the UI never waits long. A
//! problem (a malformed scenario, an unreadable or inconsistent trace)
//! ends in [`Status::Failed`] with the same text the CLI prints; it never
//! panics the viewer.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sim_core::metrics::{JsonlTraceReader, TraceEvent, TraceRecord, TraceSink};
use sim_core::scenario;
use sim_core::simulation::{self, RunProgress, RunResult};

use crate::timeline::Timeline;

/// What to open.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A scenario file with `--set` overrides.
    Scenario {
        path: PathBuf,
        overrides: Vec<String>,
    },
    /// A trace written by `clustersim run --out`.
    Trace { path: PathBuf },
}

impl Source {
    /// Decides by the file's name: `.jsonl` is a trace, anything else a
    /// scenario.
    pub fn from_path(path: &Path, overrides: Vec<String>) -> Self {
        if path.extension().is_some_and(|e| e == "jsonl") {
            Source::Trace {
                path: path.to_path_buf(),
            }
        } else {
            Source::Scenario {
                path: path.to_path_buf(),
                overrides,
            }
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Source::Scenario { path, .. } | Source::Trace { path } => path,
        }
    }

    /// The file name with any overrides, for titles and lists.
    pub fn label(&self) -> String {
        let name = self.path().file_name().map_or_else(
            || self.path().display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match self {
            Source::Scenario { overrides, .. } if !overrides.is_empty() => {
                format!("{name} --set {}", overrides.join(" --set "))
            }
            _ => name,
        }
    }
}

/// Where the background work is.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Loading,
    Running { fraction: f64, events: u64 },
    Done,
    Failed(String),
}

/// What the background thread fills in and the UI reads.
pub struct Shared {
    pub status: Status,
    /// Exists once the scenario validated or the trace header was read.
    pub timeline: Option<Timeline>,
    pub description: String,
    /// For scenarios under `teaching/`: the file's opening comment, which
    /// says what to look for.
    pub lesson: Option<String>,
    /// The scenario's validation warnings.
    pub warnings: Vec<String>,
    /// The simulation's own result (scenarios only), once it is done.
    pub result: Option<RunResult>,
    /// Wall time the simulation or the read took.
    pub elapsed: Duration,
}

/// An opened run and its background thread.
pub struct Session {
    pub source: Source,
    shared: Arc<Mutex<Shared>>,
    cancel: Arc<AtomicBool>,
    worker: Option<thread::JoinHandle<()>>,
}

impl Session {
    /// Starts simulating or reading `source` on a background thread;
    /// `on_update` is called (from that thread) whenever there is more to
    /// show, typically to request a repaint.
    pub fn open(source: Source, on_update: impl Fn() + Send + 'static) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            status: Status::Loading,
            timeline: None,
            description: String::new(),
            lesson: None,
            warnings: Vec::new(),
            result: None,
            elapsed: Duration::ZERO,
        }));
        let cancel = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            shared: Arc::clone(&shared),
            cancel: Arc::clone(&cancel),
            on_update: Box::new(on_update),
        };
        let job = source.clone();
        let spawned = thread::Builder::new()
            .name("clustersim-run".into())
            .spawn(move || worker.run(&job));
        let worker = match spawned {
            Ok(handle) => Some(handle),
            Err(e) => {
                lock(&shared).status = Status::Failed(format!("cannot start a thread: {e}"));
                None
            }
        };
        Session {
            source,
            shared,
            cancel,
            worker,
        }
    }

    /// Blocks until the background work is over (tests and scripts).
    pub fn wait(&mut self) {
        if let Some(worker) = self.worker.take() {
            // A panicking worker already left its state readable.
            let _ = worker.join();
        }
    }

    /// The shared state; hold the guard only while drawing one frame.
    pub fn lock(&self) -> MutexGuard<'_, Shared> {
        lock(&self.shared)
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.lock().status, Status::Done | Status::Failed(_))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The simulation itself cannot be interrupted; this stops the
        // thread from feeding a timeline nobody looks at any more.
        self.cancel.store(true, Ordering::Relaxed);
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic on the worker leaves data that is still safe to draw.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Worker {
    shared: Arc<Mutex<Shared>>,
    cancel: Arc<AtomicBool>,
    on_update: Box<dyn Fn() + Send>,
}

impl Worker {
    fn run(self, source: &Source) {
        let started = Instant::now();
        let outcome = match source {
            Source::Scenario { path, overrides } => self.simulate(path, overrides),
            Source::Trace { path } => self.read_trace(path),
        };
        let mut shared = lock(&self.shared);
        shared.elapsed = started.elapsed();
        shared.status = match outcome {
            Ok(()) => Status::Done,
            Err(message) => Status::Failed(message),
        };
        drop(shared);
        (self.on_update)();
    }

    fn simulate(&self, path: &Path, overrides: &[String]) -> Result<(), String> {
        // The viewer's overrides are all typed as `--set` (on its command
        // line, or in the compare view).
        let overrides: Vec<_> = overrides.iter().map(scenario::SetArg::set).collect();
        let loaded = scenario::load_file(path, &overrides).map_err(|e| e.to_string())?;
        let scenario = loaded.scenario;
        {
            let mut shared = lock(&self.shared);
            shared.timeline = Some(Timeline::new(scenario.trace_header()));
            shared.description = scenario.description.clone();
            shared.lesson = lesson(path);
            shared.warnings = loaded.warnings.iter().map(ToString::to_string).collect();
            shared.status = Status::Running {
                fraction: 0.0,
                events: 0,
            };
        }
        (self.on_update)();
        let mut sink = Batcher::new(self);
        let shared = &self.shared;
        let on_update = &self.on_update;
        let result = simulation::run(&scenario, &mut sink, &mut |p: &RunProgress| {
            lock(shared).status = Status::Running {
                fraction: p.fraction(),
                events: p.events,
            };
            on_update();
        });
        sink.flush(true)?;
        let mut shared = lock(&self.shared);
        if let Some(timeline) = shared.timeline.as_mut() {
            timeline.finish(result.end.as_ns(), result.summary.stop_reason.as_str());
        }
        shared.result = Some(result);
        Ok(())
    }

    fn read_trace(&self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "{}: cannot read the trace: {e}\n  fix: check the path; `clustersim run SCENARIO --out DIR` writes DIR/trace.jsonl",
                path.display()
            )
        })?;
        let name = path.display().to_string();
        let mut reader = JsonlTraceReader::open(&text, &name).map_err(|e| e.to_string())?;
        {
            let mut shared = lock(&self.shared);
            shared.timeline = Some(Timeline::new(reader.header().clone()));
            shared.description = format!("trace of scenario {}", reader.header().scenario);
            shared.status = Status::Running {
                fraction: 0.0,
                events: 0,
            };
        }
        (self.on_update)();
        let total_lines = text.bytes().filter(|&b| b == b'\n').count().max(1) as f64;
        let mut batch: Vec<(usize, TraceRecord)> = Vec::with_capacity(BATCH);
        let flush = |batch: &mut Vec<(usize, TraceRecord)>, reader: &JsonlTraceReader<'_>| {
            let mut shared = lock(&self.shared);
            let Some(timeline) = shared.timeline.as_mut() else {
                return Ok(());
            };
            for (line, record) in batch.drain(..) {
                timeline
                    .ingest(record)
                    .map_err(|message| reader.error_at(line, message).to_string())?;
            }
            let events = timeline.change_count() as u64;
            shared.status = Status::Running {
                fraction: (reader.line() as f64 / total_lines).min(1.0),
                events,
            };
            drop(shared);
            (self.on_update)();
            Ok::<(), String>(())
        };
        while let Some(record) = reader.next() {
            batch.push((reader.line(), record.map_err(|e| e.to_string())?));
            if batch.len() == BATCH {
                if self.cancel.load(Ordering::Relaxed) {
                    return Ok(());
                }
                flush(&mut batch, &reader)?;
            }
        }
        flush(&mut batch, &reader)?;
        Ok(())
    }
}

/// Records per lock of the shared timeline.
const BATCH: usize = 8192;
/// A batch waits for a busy UI up to this size, then takes its turn.
const MAX_BATCH: usize = 32 * BATCH;
/// A simulation producing few events still shows them this often.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The simulation's trace sink: owns each event and hands them to the
/// timeline in batches.
struct Batcher<'a> {
    worker: &'a Worker,
    batch: Vec<TraceRecord>,
    last_flush: Instant,
    error: Option<String>,
}

impl<'a> Batcher<'a> {
    fn new(worker: &'a Worker) -> Self {
        Batcher {
            worker,
            batch: Vec::with_capacity(BATCH),
            last_flush: Instant::now(),
            error: None,
        }
    }

    /// Appends the batch to the timeline. Unless `wait`, a frame being
    /// drawn (the UI holds the lock) is not waited for: the batch grows
    /// and goes next time, so drawing never slows the simulation down.
    fn flush(&mut self, wait: bool) -> Result<(), String> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.worker.cancel.load(Ordering::Relaxed) {
            self.batch.clear();
            return Ok(());
        }
        let mut shared = match self.worker.shared.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) if !wait && self.batch.len() < MAX_BATCH => {
                return Ok(());
            }
            Err(std::sync::TryLockError::WouldBlock) => lock(&self.worker.shared),
        };
        if let Some(timeline) = shared.timeline.as_mut() {
            for record in self.batch.drain(..) {
                if let Err(e) = timeline.ingest(record) {
                    // The simulation and the timeline disagree: a bug.
                    return Err(format!("internal error, please report: {e}"));
                }
            }
        }
        drop(shared);
        self.last_flush = Instant::now();
        (self.worker.on_update)();
        Ok(())
    }
}

impl TraceSink for Batcher<'_> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        if self.error.is_some() {
            return;
        }
        self.batch.push(TraceRecord::from(event));
        // Past 256 records the clock is read once every 256, keeping it off
        // the per-event path of fast runs; slow runs still flush on time.
        let len = self.batch.len();
        let check_clock = len < 256 || len.is_multiple_of(256);
        let due = len >= BATCH || (check_clock && self.last_flush.elapsed() >= FLUSH_EVERY);
        if due && let Err(e) = self.flush(false) {
            self.error = Some(e);
        }
    }
}

/// The opening comment of a scenario under a `teaching` directory: the
/// author's account of what the scenario shows and what to look for.
pub fn lesson(path: &Path) -> Option<String> {
    if !path.components().any(|c| c.as_os_str() == "teaching") {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| l.trim_start().starts_with("//"))
        .map(|l| {
            let l = l.trim_start().trim_start_matches("//");
            l.strip_prefix(' ').unwrap_or(l)
        })
        .collect();
    let lesson = lines.join("\n").trim().to_string();
    (!lesson.is_empty()).then_some(lesson)
}

/// Splits a comment written for an 80-column terminal into what a panel
/// can wrap: prose lines join into paragraphs; indented lines (tables,
/// commands, worked numbers) stay one per entry, indentation kept.
pub fn reflow(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prose = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            prose = false;
            out.push(String::new());
        } else if line.starts_with(' ') {
            prose = false;
            out.push(line.to_string());
        } else if prose {
            let last = out.last_mut().expect("prose continues a line");
            last.push(' ');
            last.push_str(line.trim());
        } else {
            prose = true;
            out.push(line.trim().to_string());
        }
    }
    out
}
