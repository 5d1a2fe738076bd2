//! The `stop` and `outputs` sections: when a run ends and what it
//! records besides per-job data.

use super::super::OutputConfig;
use super::super::file;
use super::{Error, Issues};
use crate::engine::{SimTime, StopCondition};

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
    out
}
