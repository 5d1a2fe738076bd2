//! A progress bar that appears only for runs longer than about a second,
//! and only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::simulation::RunProgress;

/// Runs shorter than this never show a bar.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const STEPS: u64 = 1_000;

pub struct DelayedBar {
    enabled: bool,
    started: Instant,
    bar: Option<ProgressBar>,
}

impl DelayedBar {
    pub fn new(wanted: bool) -> Self {
        DelayedBar {
            enabled: wanted && std::io::stderr().is_terminal(),
            started: Instant::now(),
            bar: None,
        }
    }

    pub fn update(&mut self, progress: &RunProgress) {
        if !self.enabled || self.started.elapsed() < SHOW_AFTER {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(STEPS), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta} {msg}",
                )
                .expect("the template is valid"),
            );
            bar
        });
        bar.set_position((progress.fraction() * STEPS as f64) as u64);
        bar.set_message(format!(
            "{} jobs done, {:.1} M events",
            progress.jobs_finished,
            progress.events as f64 / 1e6
        ));
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
