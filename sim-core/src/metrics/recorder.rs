//! The time series of a run and its busy GPU-time, recorded as the clock
//! moves.
//!
//! Samples are taken at every multiple of the sampling interval from time
//! zero, each showing the state after all events at its instant.
//!
//! Invariants:
//! - a recorder never holds more than [`MAX_TIMESERIES_SAMPLES`] samples,
//!   whatever the interval and however long the run: when one more sample
//!   would exceed it, the series keeps every other sample and the interval
//!   doubles (as often as needed), so a run too long for its interval gets
//!   a coarser series over the whole run rather than an unbounded one;
//! - every sample's time is a multiple of the current interval, so
//!   coarsening only drops samples and never moves one;
//! - nothing is sampled after the end of representable time
//!   ([`SimTime::MAX`]): recording ends there, it never loops;
//! - busy GPU-time is integrated exactly (GPU-nanoseconds in a `u128`),
//!   independent of the sampling interval.

use crate::engine::{SimDuration, SimTime};

/// The most samples a run's time series holds: 32 MB in memory and about
/// 40 MB of `timeseries.csv`. A run that would take more gets a coarser
/// series (see the module doc); a scenario whose horizon alone asks for
/// more ([`timeseries_samples`]) is better refused when it is loaded.
pub const MAX_TIMESERIES_SAMPLES: usize = 1_000_000;

/// How many samples a time series with `interval` takes over `span` from
/// time zero (both ends included), saturating; what to compare with
/// [`MAX_TIMESERIES_SAMPLES`] before a run.
pub fn timeseries_samples(span: SimDuration, interval: SimDuration) -> u64 {
    (span.as_ns() / interval.as_ns().max(1)).saturating_add(1)
}

/// The cluster's state at one sampling instant (after all events at that
/// instant have been handled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSample {
    pub time: SimTime,
    pub busy_gpus: u64,
    pub queue_length: u64,
    pub running_jobs: u64,
    /// GPUs on DOWN nodes (failed, under repair or maintenance).
    pub down_gpus: u64,
    /// Idle GPUs held out of service on DRAINING or DRAINED nodes (not
    /// busy, not DOWN): busy + down + draining + idle = all GPUs.
    pub draining_gpus: u64,
    /// IT power (nodes and switches), in milliwatts; 0 unless the scenario
    /// models power.
    pub it_power_mw: u64,
}

/// A run's GPU-time by what the GPUs were doing, in exact GPU-nanoseconds.
/// In a run that models failures the four parts sum to all GPUs × the
/// run's end, to the nanosecond; otherwise only `busy_ns` is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuTime {
    pub busy_ns: u128,
    /// On DOWN nodes.
    pub down_ns: u128,
    /// Idle on DRAINING or DRAINED nodes.
    pub draining_ns: u128,
    /// Idle in service (free, or held as hot spares).
    pub idle_ns: u128,
}

/// Integrates busy GPU time and samples the time series as the clock moves.
#[derive(Clone, Debug)]
pub struct Recorder {
    interval: SimDuration,
    /// `None` once nothing later can be sampled (past the end of time).
    next_sample: Option<SimTime>,
    last_change: SimTime,
    busy_gpu_ns: u128,
    down_gpu_ns: u128,
    draining_gpu_ns: u128,
    idle_gpu_ns: u128,
    cap_held_gpu_ns: u128,
    /// Allocated and fragmented GPU capacity integrated over time, in
    /// thousandth-GPU-nanoseconds, when measured.
    capacity_ns: Option<(u128, u128)>,
    /// IT power now, in milliwatts (runs that model power).
    pub it_power_mw: u64,
    /// GPUs the power cap holds idle now (free, with a job waiting that
    /// they could run).
    pub cap_held_gpus: u64,
    /// Allocated and fragmented GPU capacity in thousandths of a GPU
    /// (kept only with [`Recorder::measure_capacity`]).
    pub allocated_milli: u64,
    pub fragmented_milli: u64,
    pub busy_gpus: u64,
    pub queue_length: u64,
    pub running_jobs: u64,
    /// GPUs on DOWN nodes; never counted busy.
    pub down_gpus: u64,
    /// Idle GPUs held out of service on DRAINING or DRAINED nodes.
    pub draining_gpus: u64,
    /// Idle GPUs in service; kept (and integrated) only by runs that
    /// model failures, for the check busy + down + draining + idle = all.
    pub idle_gpus: u64,
    /// At most [`MAX_TIMESERIES_SAMPLES`], in time order.
    pub samples: Vec<TimeSample>,
}

impl Recorder {
    pub fn new(interval: SimDuration) -> Self {
        Recorder {
            interval: interval.max(SimDuration::from_ns(1)),
            next_sample: Some(SimTime::ZERO),
            last_change: SimTime::ZERO,
            busy_gpu_ns: 0,
            down_gpu_ns: 0,
            draining_gpu_ns: 0,
            idle_gpu_ns: 0,
            cap_held_gpu_ns: 0,
            capacity_ns: None,
            allocated_milli: 0,
            fragmented_milli: 0,
            it_power_mw: 0,
            cap_held_gpus: 0,
            busy_gpus: 0,
            queue_length: 0,
            running_jobs: 0,
            down_gpus: 0,
            draining_gpus: 0,
            idle_gpus: 0,
            samples: Vec::new(),
        }
    }

    /// The interval between samples: the one asked for, or a power-of-two
    /// multiple of it once the series was coarsened to stay within
    /// [`MAX_TIMESERIES_SAMPLES`].
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Call before changing any counter at `now`: accounts the time since
    /// the last change and emits samples for instants strictly before `now`
    /// (the state at those instants is the current, unchanged one).
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        while let Some(at) = self.next_sample.filter(|&at| at < now) {
            self.push_sample(at);
        }
        let elapsed = now.saturating_since(self.last_change).as_ns();
        self.busy_gpu_ns += u128::from(self.busy_gpus) * u128::from(elapsed);
        self.down_gpu_ns += u128::from(self.down_gpus) * u128::from(elapsed);
        self.draining_gpu_ns += u128::from(self.draining_gpus) * u128::from(elapsed);
        self.idle_gpu_ns += u128::from(self.idle_gpus) * u128::from(elapsed);
        self.cap_held_gpu_ns += u128::from(self.cap_held_gpus) * u128::from(elapsed);
        if let Some((allocated, fragmented)) = self.capacity_ns.as_mut() {
            *allocated += u128::from(self.allocated_milli) * u128::from(elapsed);
            *fragmented += u128::from(self.fragmented_milli) * u128::from(elapsed);
        }
        self.last_change = now;
    }

    /// Emits the samples up to and including `end`, at the end of a run.
    pub fn finish(&mut self, end: SimTime) {
        self.advance(end);
        while let Some(at) = self.next_sample.filter(|&at| at <= end) {
            self.push_sample(at);
        }
    }

    fn push_sample(&mut self, time: SimTime) {
        self.samples.push(TimeSample {
            time,
            busy_gpus: self.busy_gpus,
            queue_length: self.queue_length,
            running_jobs: self.running_jobs,
            down_gpus: self.down_gpus,
            draining_gpus: self.draining_gpus,
            it_power_mw: self.it_power_mw,
        });
        if self.samples.len() == MAX_TIMESERIES_SAMPLES {
            self.coarsen();
        }
        self.next_sample = next_multiple_after(time, self.interval);
    }

    /// Keeps the samples at multiples of twice the interval, which becomes
    /// the interval: half the samples go, none moves.
    fn coarsen(&mut self) {
        let doubled = self.interval.as_ns().saturating_mul(2);
        self.samples.retain(|s| s.time.as_ns() % doubled == 0);
        self.interval = SimDuration::from_ns(doubled);
    }

    /// The instant the GPU-time is integrated up to (the last `advance`).
    pub fn integrated_to(&self) -> SimTime {
        self.last_change
    }

    /// GPU-nanoseconds of busy time accumulated so far.
    pub fn busy_gpu_ns(&self) -> u128 {
        self.busy_gpu_ns
    }

    /// GPU-nanoseconds on DOWN nodes accumulated so far.
    pub fn down_gpu_ns(&self) -> u128 {
        self.down_gpu_ns
    }

    /// GPU-nanoseconds idle on DRAINING or DRAINED nodes so far.
    pub fn draining_gpu_ns(&self) -> u128 {
        self.draining_gpu_ns
    }

    /// GPU-nanoseconds idle in service so far (runs that model failures).
    pub fn idle_gpu_ns(&self) -> u128 {
        self.idle_gpu_ns
    }

    /// GPU-nanoseconds held idle by the power cap so far.
    pub fn capacity_integrals(&self) -> Option<(u128, u128)> {
        self.capacity_ns
    }

    /// Integrates `allocated_milli` and `fragmented_milli` from now on.
    pub fn measure_capacity(&mut self) {
        self.capacity_ns.get_or_insert((0, 0));
    }

    pub fn cap_held_gpu_ns(&self) -> u128 {
        self.cap_held_gpu_ns
    }

    /// The four GPU-time totals so far.
    pub fn gpu_time(&self) -> GpuTime {
        GpuTime {
            busy_ns: self.busy_gpu_ns,
            down_ns: self.down_gpu_ns,
            draining_ns: self.draining_gpu_ns,
            idle_ns: self.idle_gpu_ns,
        }
    }
}

/// The first multiple of `interval` strictly after `time`, if there is one
/// before the end of representable time.
fn next_multiple_after(time: SimTime, interval: SimDuration) -> Option<SimTime> {
    let step = interval.as_ns();
    (time.as_ns() / step + 1)
        .checked_mul(step)
        .map(SimTime::from_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn samples_show_the_state_after_all_events_at_that_instant() {
        let mut r = Recorder::new(SimDuration::from_secs(10));
        // At t=0: a job starts on 4 GPUs.
        r.advance(t(0));
        r.busy_gpus = 4;
        r.running_jobs = 1;
        // At t=10 exactly: it ends.
        r.advance(t(10));
        r.busy_gpus = 0;
        r.running_jobs = 0;
        // At t=25: the run ends.
        r.finish(t(25));
        let busy: Vec<(u64, u64)> = r
            .samples
            .iter()
            .map(|s| (s.time.as_ns() / 1_000_000_000, s.busy_gpus))
            .collect();
        assert_eq!(busy, [(0, 4), (10, 0), (20, 0)]);
        assert_eq!(r.busy_gpu_ns(), 4 * 10 * 1_000_000_000);
    }

    #[test]
    fn a_series_too_long_for_its_interval_is_coarsened_never_longer_than_the_maximum() {
        // 1 ns over 3 ms: three million samples asked for.
        let mut r = Recorder::new(SimDuration::from_ns(1));
        r.busy_gpus = 2;
        let end = SimTime::from_ns(3_000_000);
        r.finish(end);
        assert!(r.samples.len() <= MAX_TIMESERIES_SAMPLES);
        // 1 ns doubled twice: 4 ns, 750,001 samples from 0 to 3 ms.
        assert_eq!(r.interval(), SimDuration::from_ns(4));
        assert_eq!(r.samples.len(), 750_001);
        assert!(
            r.samples
                .iter()
                .enumerate()
                .all(|(k, s)| s.time.as_ns() == 4 * k as u64 && s.busy_gpus == 2)
        );
        // Busy time does not depend on sampling.
        assert_eq!(r.busy_gpu_ns(), 2 * 3_000_000);
        assert_eq!(
            timeseries_samples(SimDuration::from_ns(3_000_000), SimDuration::from_ns(1)),
            3_000_001
        );
    }

    #[test]
    fn recording_ends_at_the_end_of_time() {
        let mut r = Recorder::new(SimDuration::from_secs(600));
        r.finish(SimTime::MAX);
        assert!(r.samples.len() <= MAX_TIMESERIES_SAMPLES);
        let last = r.samples.last().unwrap().time;
        assert!(SimTime::MAX.saturating_since(last) < r.interval());
        // Nothing more to sample, however often it is asked.
        r.finish(SimTime::MAX);
        assert_eq!(r.samples.last().unwrap().time, last);
    }
}
