//! The availability profile that backfilling plans against: how many GPUs
//! are free from each instant on, given the requested time limits of
//! running jobs and the reservations made so far in this pass.
//!
//! A profile is a step function over `[now, ∞)`, stored as breakpoints
//! `(time, free GPUs from this time until the next breakpoint)`. Running
//! jobs give GPUs back at their start + time limit (never their true end,
//! which the scheduler cannot know); a reservation takes GPUs over
//! `[start, start + time limit)`.
//!
//! Invariants:
//! - breakpoint times are strictly increasing and the first is `now`;
//! - `free` never goes below zero for any reservation `earliest_start`
//!   accepted (it only accepts windows where the job fits throughout);
//! - all arithmetic is integer; nothing allocates once the vectors have
//!   grown to the largest queue seen.

use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Debug, Default)]
pub struct Profile {
    times: Vec<SimTime>,
    free: Vec<i64>,
    /// Scratch for building: `(time, gpus released)`.
    releases: Vec<(SimTime, i64)>,
}

impl Profile {
    /// Starts a profile at `now` with `free_now` GPUs free; add the GPUs of
    /// running jobs with [`Profile::add_release`], then call
    /// [`Profile::build`].
    pub fn begin(&mut self, now: SimTime, free_now: u64) {
        self.times.clear();
        self.free.clear();
        self.releases.clear();
        self.times.push(now);
        self.free.push(free_now as i64);
    }

    /// A running job gives `gpus` back at `at` (its expected end).
    pub fn add_release(&mut self, at: SimTime, gpus: u64) {
        self.releases.push((at, gpus as i64));
    }

    /// Turns the releases into breakpoints. Releases due at or before `now`
    /// (jobs past their expected end that are still running, as happens
    /// when limits are not enforced) are treated as ending "any moment":
    /// they are not counted as free now, and are freed one resolution
    /// step later so that nothing is planned on GPUs that are still busy.
    pub fn build(&mut self, resolution: SimDuration) {
        let now = self.times[0];
        let overdue = now + resolution.max(SimDuration::from_ns(1));
        for r in &mut self.releases {
            if r.0 <= now {
                r.0 = overdue;
            }
        }
        self.releases.sort_unstable_by_key(|r| r.0);
        let mut free = self.free[0];
        for &(at, gpus) in &self.releases {
            free += gpus;
            if *self.times.last().expect("begin pushed now") == at {
                *self.free.last_mut().expect("same length") = free;
            } else {
                self.times.push(at);
                self.free.push(free);
            }
        }
    }

    /// GPUs free right now according to the profile.
    pub fn free_now(&self) -> u64 {
        self.free[0].max(0) as u64
    }

    /// GPUs free at `t` (>= now) according to the profile.
    pub fn free_at(&self, t: SimTime) -> u64 {
        let step = self.times.partition_point(|&x| x <= t).max(1) - 1;
        self.free[step].max(0) as u64
    }

    /// The earliest instant `t >= now`, no later than `latest_start`, at
    /// which `gpus` GPUs stay free for all of `[t, t + duration)`.
    pub fn earliest_start(
        &self,
        gpus: u64,
        duration: SimDuration,
        latest_start: SimTime,
    ) -> Option<SimTime> {
        let need = gpus as i64;
        let n = self.times.len();
        let mut i = 0;
        while i < n {
            let start = self.times[i];
            if start > latest_start {
                return None;
            }
            if self.free[i] < need {
                i += 1;
                continue;
            }
            let end = start + duration;
            // Scan the steps the window covers; jump past the first one
            // that is too low.
            let mut j = i + 1;
            while j < n && self.times[j] < end {
                if self.free[j] < need {
                    break;
                }
                j += 1;
            }
            if j < n && self.times[j] < end {
                i = j + 1;
                continue;
            }
            return Some(start);
        }
        None
    }

    /// Takes `gpus` GPUs over `[start, start + duration)`.
    pub fn reserve(&mut self, start: SimTime, duration: SimDuration, gpus: u64) {
        let end = start + duration;
        let first = self.split_at(start);
        let last = self.split_at(end);
        for free in &mut self.free[first..last] {
            *free -= gpus as i64;
        }
    }

    /// Ensures a breakpoint at `t` (>= now) and returns its index.
    fn split_at(&mut self, t: SimTime) -> usize {
        match self.times.binary_search(&t) {
            Ok(i) => i,
            Err(i) => {
                let free_before = self.free[i - 1];
                self.times.insert(i, t);
                self.free.insert(i, free_before);
                i
            }
        }
    }

    #[cfg(test)]
    fn steps(&self) -> Vec<(u64, i64)> {
        self.times
            .iter()
            .map(|t| t.as_ns() / 1_000_000_000)
            .zip(self.free.iter().copied())
            .collect()
    }
}

/// Rounds `d` up to a multiple of `resolution` (Slurm's `bf_resolution`).
pub fn round_up(d: SimDuration, resolution: SimDuration) -> SimDuration {
    let r = resolution.as_ns();
    if r <= 1 {
        return d;
    }
    SimDuration::from_ns(d.as_ns().div_ceil(r).saturating_mul(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimDuration {
        SimDuration::from_secs(secs)
    }
    fn at(secs: u64) -> SimTime {
        SimTime::ZERO + s(secs)
    }

    /// 10 GPUs; 4 free now; jobs end at 100 s (4 GPUs) and 200 s (2 GPUs).
    fn sample() -> Profile {
        let mut p = Profile::default();
        p.begin(at(0), 4);
        p.add_release(at(200), 2);
        p.add_release(at(100), 4);
        p.build(s(1));
        p
    }

    #[test]
    fn releases_become_a_rising_step_function() {
        assert_eq!(sample().steps(), [(0, 4), (100, 8), (200, 10)]);
    }

    #[test]
    fn earliest_start_is_the_first_window_where_the_job_fits_throughout() {
        let mut p = sample();
        let never = at(1_000_000);
        assert_eq!(p.earliest_start(4, s(500), never), Some(at(0)));
        assert_eq!(p.earliest_start(6, s(50), never), Some(at(100)));
        assert_eq!(p.earliest_start(10, s(50), never), Some(at(200)));
        assert_eq!(p.earliest_start(11, s(50), never), None);
        // A reservation of 8 GPUs over [100, 300) leaves a hole that a
        // 4-GPU job longer than 100 s cannot use.
        p.reserve(at(100), s(200), 8);
        assert_eq!(p.steps(), [(0, 4), (100, 0), (200, 2), (300, 10)]);
        assert_eq!(p.earliest_start(4, s(100), never), Some(at(0)));
        assert_eq!(p.earliest_start(4, s(101), never), Some(at(300)));
        assert_eq!(p.earliest_start(2, s(1000), never), Some(at(200)));
        // The window limit: nothing may start after 250 s.
        assert_eq!(p.earliest_start(4, s(101), at(250)), None);
    }

    #[test]
    fn overdue_releases_are_not_free_now() {
        let mut p = Profile::default();
        p.begin(at(50), 0);
        p.add_release(at(10), 8); // should have ended at 10 s, still running
        p.build(s(60));
        assert_eq!(p.free_now(), 0);
        assert_eq!(p.steps(), [(50, 0), (110, 8)]);
    }

    #[test]
    fn rounding_to_the_resolution() {
        assert_eq!(round_up(s(61), s(60)), s(120));
        assert_eq!(round_up(s(60), s(60)), s(60));
        assert_eq!(round_up(s(61), SimDuration::from_ns(1)), s(61));
    }
}
