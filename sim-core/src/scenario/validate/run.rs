//! The `stop` and `outputs` sections: when a run ends and what it
//! records besides per-job data; and what the whole scenario implies for
//! a run's length: how many time-series samples and periodic events it
//! takes ([`check_run_length`]).

use super::super::OutputConfig;
use super::super::file;
use super::{Error, Issues, PERIODIC_EVENTS_WARNING, Warning};
use crate::engine::{SimDuration, SimTime, StopCondition};
use crate::metrics::{
    MAX_MONITOR_SERIES_SAMPLES, MAX_TIMESERIES_SAMPLES, SeriesDetail, series_detail,
    timeseries_samples,
};
use crate::scheduler::{Backfill, QueueOrder, SchedulerConfig};
use crate::units::format_duration;
use crate::workload::WorkloadSpec;

pub(super) fn build_stop(s: file::Stop, issues: &mut Issues) -> StopCondition {
    let horizon = issues
        .optional("stop.horizon", s.horizon.as_ref())
        .ok()
        .flatten();
    if let Some(h) = horizon {
        issues.positive_duration(
            "stop.horizon",
            h,
            "the horizon",
            "give the simulated time to stop at, like \"30d\", or remove it to run until all work is done",
        );
    }
    if s.max_events == Some(0) {
        issues.error(Error {
            path: "stop.max_events",
            message: "an event budget of zero would run nothing",
            found: "0",
            expected: "max_events of 1 or more",
            fix: "raise it, or remove it to run until all work is done",
        });
    }
    StopCondition {
        horizon: horizon.map(|h| SimTime::ZERO + h),
        max_events: s.max_events,
    }
}

pub(super) fn build_outputs(o: file::Outputs, issues: &mut Issues) -> OutputConfig {
    let mut out = OutputConfig::default();
    let path = "outputs.timeseries_interval";
    if let Ok(Some(interval)) = issues.optional(path, o.timeseries_interval.as_ref())
        && issues.positive_duration(
            path,
            interval,
            "the sampling interval",
            "use an interval like \"1m\" or \"1h\"",
        )
    {
        out.timeseries_interval = interval;
    }
    // Per GPU until the run's length is weighed (`check_run_length`).
    out.openmetrics = (o.openmetrics == Some(true)).then_some(SeriesDetail::PerGpu);
    out.perfetto = o.perfetto == Some(true);
    out
}

/// Quantities derived from several sections, weighed before anything
/// runs:
/// - a time series over the horizon longer than [`MAX_TIMESERIES_SAMPLES`]
///   is refused (the recorder would coarsen it, so the interval asked for
///   would not be the one delivered); without a horizon, a run expected to
///   exceed it gets a warning;
/// - periodic scheduler work expected to take more than
///   [`PERIODIC_EVENTS_WARNING`] events gets a warning with the count;
/// - `metrics.om`'s series are per GPU while GPUs × samples over the
///   horizon (or, without one, the expected span) stay within
///   [`MAX_MONITOR_SERIES_SAMPLES`], else per node; over the horizon, more
///   than that per node is refused; over an expected span, it is a warning
///   (the series is coarsened as the run goes).
///
/// `size` is the cluster's GPUs and nodes, `None` when the cluster is
/// invalid (nothing to weigh).
pub(super) fn check_run_length(
    stop: &StopCondition,
    outputs: &mut OutputConfig,
    scheduler: &SchedulerConfig,
    workload: &WorkloadSpec,
    size: Option<(u64, u64)>,
    issues: &mut Issues,
) {
    let interval = outputs.timeseries_interval;
    let horizon = stop.horizon.map(|h| h.saturating_since(SimTime::ZERO));
    let fewest = |span: SimDuration| {
        SimDuration::from_ns(span.as_ns().div_ceil(MAX_TIMESERIES_SAMPLES as u64 - 1))
    };
    if let Some(horizon) = horizon {
        let samples = timeseries_samples(horizon, interval);
        if samples > MAX_TIMESERIES_SAMPLES as u64 {
            issues.error(Error {
                path: "outputs.timeseries_interval",
                message: &format!(
                    "a sample every {} over the {} horizon is {samples} samples; a time series holds at most {MAX_TIMESERIES_SAMPLES}",
                    format_duration(interval),
                    format_duration(horizon)
                ),
                found: &format!("\"{}\"", format_duration(interval)),
                expected: &format!(
                    "an interval of at least {} for this horizon",
                    format_duration(fewest(horizon))
                ),
                fix: "raise outputs.timeseries_interval, or shorten stop.horizon",
            });
        }
    }
    let Some((total_gpus, nodes)) = size else {
        return;
    };
    let expected = workload.expected_span(total_gpus, scheduler.kill_at_time_limit);
    let span = horizon.map_or(expected, |h| h.min(expected));
    let samples = timeseries_samples(span, interval);
    if outputs.openmetrics.is_some() {
        let weighed = timeseries_samples(horizon.unwrap_or(span), interval);
        let detail = series_detail(total_gpus, nodes, weighed);
        outputs.openmetrics = Some(detail.unwrap_or(SeriesDetail::PerNode));
        if detail.is_none() {
            let over = horizon.unwrap_or(span);
            // The shortest interval giving at most `budget` samples over
            // the span, up to a whole second.
            let shortest = |units: u64| {
                let budget = (MAX_MONITOR_SERIES_SAMPLES / units.max(1)).max(2);
                let ns = over.as_ns().div_ceil(budget - 1);
                SimDuration::from_secs(ns.div_ceil(1_000_000_000))
            };
            let fewest = shortest(nodes);
            let message = format!(
                "metrics.om with a sample every {} over {} is {weighed} samples of {nodes} nodes ({total_gpus} GPUs); its series hold at most {MAX_MONITOR_SERIES_SAMPLES} node samples",
                format_duration(interval),
                format_duration(SimDuration::from_secs(over.as_secs_f64().round() as u64)),
            );
            let fix_interval = format!(
                "raise outputs.timeseries_interval to at least {} (per node; {} per GPU), shorten stop.horizon, or turn outputs.openmetrics off",
                format_duration(fewest),
                format_duration(shortest(total_gpus)),
            );
            if horizon.is_some() {
                issues.error(Error {
                    path: "outputs.openmetrics",
                    message: &message,
                    found: "true",
                    expected: &format!("an interval of at least {}", format_duration(fewest)),
                    fix: &fix_interval,
                });
            } else {
                issues.warning(Warning {
                    path: "outputs.openmetrics",
                    message: &format!(
                        "{message} over the run's expected span; they will be coarsened as the run goes"
                    ),
                    fix: &fix_interval,
                });
            }
        }
    }
    if horizon.is_none() && samples > MAX_TIMESERIES_SAMPLES as u64 {
        issues.warning(Warning {
            path: "outputs.timeseries_interval",
            message: &format!(
                "the run is expected to last about {}: a sample every {} would be {samples} samples; the time series keeps at most {MAX_TIMESERIES_SAMPLES}, doubling its interval as often as needed",
                format_duration(SimDuration::from_secs(span.as_secs_f64().round() as u64)),
                format_duration(interval)
            ),
            fix: &format!(
                "use an interval of at least {} to get the one you ask for",
                format_duration(fewest(span))
            ),
        });
    }
    let periodic = scheduler.periodic_events(span);
    if periodic > PERIODIC_EVENTS_WARNING {
        // Name the period that does most of the ticking.
        let backfill = (scheduler.backfill != Backfill::None
            && !scheduler.backfill_params.interval.is_zero())
        .then_some(scheduler.backfill_params.interval);
        let priority =
            (scheduler.order == QueueOrder::Multifactor).then_some(scheduler.priority.calc_period);
        let (path, what, period) = match (backfill, priority) {
            (Some(b), Some(p)) if p < b => {
                ("scheduler.priority.calc_period", "PriorityCalcPeriod", p)
            }
            (Some(b), _) => ("scheduler.bf_interval", "bf_interval", b),
            (None, Some(p)) => ("scheduler.priority.calc_period", "PriorityCalcPeriod", p),
            (None, None) => return,
        };
        issues.warning(Warning {
            path,
            message: &format!(
                "periodic scheduler work alone is about {periodic} events over the run's expected {} ({what} {})",
                format_duration(SimDuration::from_secs(span.as_secs_f64().round() as u64)),
                format_duration(period)
            ),
            fix: &format!("raise {what}: each tick is an event, and a run handles about 2 million a second"),
        });
    }
}
