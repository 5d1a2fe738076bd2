//! What `validate` accepts runs in bounded time and memory: each input
//! that once aborted for lack of memory, looped forever or panicked now
//! stops cleanly, under an event budget (`stop.max_events`) and with a
//! bounded count of what it keeps (time-series samples, events handled).
//! No test here measures wall time or memory directly.

use sim_core::metrics::MAX_TIMESERIES_SAMPLES;

use crate::support::simulate;

/// A 1 ms time series over the hour of simulated time the quickstart
/// reaches in 20 events would be 3.7 million samples (before: all of
/// them, 117 MB; at 1 us over its 7-day horizon, 19 TB).
#[test]
fn a_tiny_timeseries_interval_keeps_at_most_the_maximum_number_of_samples() {
    let result = simulate(
        "scenarios/quickstart.ron",
        &["outputs.timeseries_interval=1ms", "stop.max_events=20"],
    );
    assert!(
        result.timeseries.len() <= MAX_TIMESERIES_SAMPLES,
        "{} samples",
        result.timeseries.len()
    );
    // Coarsened to 4 ms, the series still covers the whole run.
    let last = result.timeseries.last().unwrap().time;
    assert!(result.end.saturating_since(last).as_ns() < 4_000_000);
}
