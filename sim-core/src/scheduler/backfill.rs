//! The backfill phase of a pass: EASY and conservative backfilling
//! against the requested time limits of running and queued jobs.
//!
//! The phase starts at the first blocked queue entry (the head) and tests
//! the entries after it, at most `bf_max_job_test` per cycle (the head
//! counts); with `bf_continue` the next cycle resumes after the last entry
//! tested. It runs on every pass when `bf_interval` is zero, else only on
//! the periodic ticks [`Scheduler::backfill_interval`] asks for.
//!
//! - Conservative (Mu'alem & Feitelson 2001) reserves every tested job at
//!   its earliest start in its partition's availability profile and
//!   starts those whose earliest start is now. A profile is built at most
//!   once per partition per cycle, from the running jobs' planned ends,
//!   which the scheduler keeps sorted (`planned_ends`); each test and each
//!   reservation is linear in the profile's breakpoints.
//! - EASY (Lifka 1995) reserves only the head. Its reservation reduces to
//!   two numbers, the shadow time (when enough GPUs are back for it) and
//!   the extra GPUs (those free then beyond its need), so each later job is
//!   checked in O(1): it starts if it fits now and either ends by the
//!   shadow time or takes only extra GPUs. The shadow time is computed
//!   lazily, when some later job fits now at all; on one partition without
//!   preemption it comes from a walk over the planned ends, with no
//!   profile built. Jobs too big to start now are skipped by scanning the
//!   compact copy of the queue's request sizes (`queue_gpus`; one
//!   partition, no QOS limits, `bf_max_job_test` not binding), so a cycle
//!   where nothing fits costs one scan of it, and on one partition a cycle
//!   stops as soon as the smallest queued request exceeds the free GPUs.
//!
//! Invariants:
//! - plans use requested time limits rounded up to `bf_resolution`, never
//!   true run times; a job past its planned end, or being preempted, is
//!   planned to give its GPUs back one resolution step from now;
//! - a job started by backfilling delays no reservation of its cycle (by
//!   GPU count);
//! - only GPUs in service count: the profile's free GPUs now are the
//!   pool's (which holds back nodes out of service), and a running job
//!   gives back only its GPUs on nodes in service (those on a DRAINING
//!   node stay out); a job that cannot fit in the GPUs in service gets no
//!   reservation, and later jobs are planned around it (as Slurm's
//!   backfill does with a job `_will_run_test` cannot place);
//! - a reservation is a GPU count per partition, not a node list: when
//!   fragmentation prevents a reserved job from being placed at its
//!   reserved time it keeps its place and is planned again at the next
//!   pass.

use super::power_cap::Attempt;
use super::{Backfill, Decision, PreemptType, SLURMCTLD_PHASE, SLURMD_LAUNCH, STARTED, Scheduler};
use crate::engine::{SimDuration, SimTime};

impl Scheduler {
    /// Whether periodic backfill ticks are needed (`bf_interval` > 0).
    pub fn backfill_interval(&self) -> Option<SimDuration> {
        if self.config.volcano.is_some() {
            // Volcano's sessions tick as backfill cycles do.
            return Some(super::volcano_pass::SCHEDULE_PERIOD);
        }
        (self.config.backfill != Backfill::None && !self.config.backfill_params.interval.is_zero())
            .then_some(self.config.backfill_params.interval)
    }

    /// The backfill phase, from the first blocked queue entry on.
    pub(super) fn backfill(&mut self, now: SimTime, from: usize, out: &mut Vec<Decision>) {
        self.stats.backfill_cycles += 1;
        self.profile_ready.iter_mut().for_each(|r| *r = false);
        match self.config.backfill {
            Backfill::None => {}
            Backfill::Easy => self.backfill_easy(now, from, out),
            Backfill::Conservative => self.backfill_conservative(now, from, out),
            Backfill::Slurm => self.backfill_slurm(now, out),
        }
    }

    /// Where passes fall with [`Backfill::Slurm`]: a submission is first
    /// seen at slurmctld's next wake-up, every [`SLURMCTLD_WAKEUP`], and
    /// every wake-up and periodic pass lies [`SLURMCTLD_PHASE`] past a
    /// multiple of its period. `None` for the classic modes, which pass
    /// at each submission's instant and tick at multiples of the period.
    pub fn slurmctld_phase(&self) -> Option<SimDuration> {
        (self.config.backfill == Backfill::Slurm).then_some(SLURMCTLD_PHASE)
    }

    /// How long after its start a job's work begins: [`SLURMD_LAUNCH`]
    /// with [`Backfill::Slurm`], zero for the classic modes.
    pub fn launch_delay(&self) -> SimDuration {
        if self.config.backfill == Backfill::Slurm {
            SLURMD_LAUNCH
        } else {
            SimDuration::ZERO
        }
    }

    /// The period of the main scheduler's full pass, which runs whether or
    /// not anything happened: `sched_interval` with [`Backfill::Slurm`];
    /// the classic modes have none.
    pub fn main_interval(&self) -> Option<SimDuration> {
        (self.config.backfill == Backfill::Slurm)
            .then_some(self.config.backfill_params.sched_interval)
    }

    /// Where testing resumes after the first blocked job: right after it,
    /// or with `bf_continue`, after the last job the previous cycle tested.
    fn resume_point(&mut self, from: usize) -> usize {
        match self.resume_after.take() {
            Some(after) if self.config.backfill_params.continue_after_limit => {
                self.queue.partition_point(|q| self.key(q) <= after)
            }
            _ => from + 1,
        }
        .max(from + 1)
    }

    /// EASY (Lifka 1995; Mu'alem & Feitelson 2001): the head (the first
    /// blocked job) is reserved at its shadow time, the earliest time the
    /// profile of requested time limits frees enough GPUs for it; the GPUs
    /// free then beyond its need are the extra GPUs. A later job starts now
    /// if it fits now and either ends (by its limit) by the shadow time or
    /// takes only extra GPUs, which it then uses up.
    ///
    /// That rule is exactly "fits in the profile holding the head's
    /// reservation" (free GPUs only grow after the shadow time), so it is
    /// applied in O(1) per job from two numbers. The shadow time is
    /// computed lazily, when some later job fits now at all, so a cycle
    /// where nothing fits costs one scan of the compact request sizes.
    fn backfill_easy(&mut self, now: SimTime, from: usize, out: &mut Vec<Decision>) {
        let params = self.config.backfill_params;
        let single_partition = self.profiles.len() == 1;
        let latest_start = now + params.window;
        let resume_from = self.resume_point(from);
        let head_partition = self.queue[from].ticket.partition;
        // Jobs too big to start now are skipped by scanning the compact
        // sizes when bf_max_job_test cannot bind (free GPUs only shrink
        // during a cycle, so a skipped job could not start later in it).
        let skipping = single_partition
            && !self.has_qos_limits
            && params.max_job_test as usize >= self.queue.len();
        self.queue_gpus.make_contiguous();
        // The head counts as tested.
        let mut tested = 1u32;
        let mut last_tested = from;
        // `None` until planned; then the shadow time and extra GPUs, or
        // `Some(None)` when the head cannot start within `bf_window`.
        let mut guard: Option<Option<(SimTime, u64)>> = None;
        let mut skip_until = 0;
        let mut smallest = self.smallest_queued();
        let mut next = resume_from;
        loop {
            // Jump over the jobs the last scan showed too big to start now.
            let i = next.max(skip_until);
            if i >= self.queue.len() {
                break;
            }
            next = i + 1;
            if single_partition && smallest > self.pool.free_gpus() {
                break; // no queued job fits now, even by count
            }
            let requested = self.queue_gpus[i];
            if requested == STARTED
                || (self.has_qos_limits && !self.within_limits(&self.queue[i].ticket))
            {
                continue;
            }
            if tested == params.max_job_test {
                self.resume_after = Some(self.key(&self.queue[last_tested]));
                break;
            }
            tested += 1;
            last_tested = i;
            let partition = if single_partition {
                0
            } else {
                self.queue[i].ticket.partition
            };
            let free_now = self
                .pool
                .free_gpus_in(&self.config.partitions[partition as usize].nodes);
            if requested > free_now {
                if skipping {
                    let rest = &self.queue_gpus.as_slices().0[i + 1..];
                    skip_until = i
                        + 1
                        + rest
                            .iter()
                            .position(|&g| g <= free_now)
                            .unwrap_or(rest.len());
                }
                continue;
            }
            let ends_by = now + self.queue[i].planned;
            if partition == head_partition {
                let guard = match guard {
                    Some(g) => g,
                    None => *guard.insert(self.shadow(from, now, latest_start)),
                };
                if let Some((shadow, extra)) = guard
                    && ends_by > shadow
                    && requested > extra
                {
                    continue; // it would delay the head
                }
            }
            if self.try_start(i, now, true, out).started() {
                smallest = self.smallest_queued();
                if partition == head_partition
                    && let Some(Some((shadow, extra))) = &mut guard
                    && ends_by > *shadow
                {
                    *extra -= requested;
                }
            }
        }
    }

    /// The head's shadow time and extra GPUs, or `None` when it cannot
    /// start within `bf_window`.
    fn shadow(
        &mut self,
        head: usize,
        now: SimTime,
        latest_start: SimTime,
    ) -> Option<(SimTime, u64)> {
        let ticket = self.queue[head].ticket;
        if self.profiles.len() == 1 && self.config.preempt_type == PreemptType::None {
            return self.shadow_from_planned_ends(ticket.request.total_gpus(), now, latest_start);
        }
        let partition = ticket.partition as usize;
        self.ensure_profile(partition, now);
        let gpus = ticket.request.total_gpus();
        let duration = self.queue[head].planned;
        let profile = &self.profiles[partition];
        let shadow = profile.earliest_start(gpus, duration, latest_start)?;
        Some((shadow, profile.free_at(shadow) - gpus))
    }

    /// [`Scheduler::shadow`] over the whole cluster without building a
    /// profile: walk the running jobs by planned end, adding up the GPUs
    /// they give back, until the head fits. Free GPUs only grow along the
    /// walk, so the first instant the head fits is its shadow time, and the
    /// free GPUs then beyond its need are the extra GPUs. Jobs past their
    /// planned end count as ending one `bf_resolution` from now, as in the
    /// profile.
    fn shadow_from_planned_ends(
        &self,
        head_gpus: u64,
        now: SimTime,
        latest_start: SimTime,
    ) -> Option<(SimTime, u64)> {
        let mut free = self.pool.free_gpus();
        let ends = &self.planned_ends;
        let all = &self.config.partitions[0].nodes;
        let gpus_of = |k: usize| {
            let r = &self.running[ends[k].1 as usize];
            if self.pool.out_of_service() == 0 {
                r.gpus
            } else {
                self.pool.gpus_in_service(&r.allocation, all)
            }
        };
        let overdue_at = now
            + self
                .config
                .backfill_params
                .resolution
                .max(SimDuration::from_ns(1));
        let mut next = 0;
        let mut overdue = 0;
        while next < ends.len() && ends[next].0 <= now {
            overdue += gpus_of(next);
            next += 1;
        }
        let mut at = now;
        loop {
            if free >= head_gpus {
                return (at <= latest_start).then_some((at, free - head_gpus));
            }
            let upcoming = ends.get(next).map(|e| e.0);
            at = match upcoming {
                Some(t) if overdue == 0 || t < overdue_at => t,
                _ if overdue > 0 => overdue_at,
                _ => return None,
            };
            if at == overdue_at {
                free += std::mem::take(&mut overdue);
            }
            while next < ends.len() && ends[next].0 == at {
                free += gpus_of(next);
                next += 1;
            }
        }
    }

    /// Conservative (Mu'alem & Feitelson 2001): every tested job, in queue
    /// order, is reserved at its earliest start in the profile, which then
    /// holds the reservation; those whose earliest start is now start.
    fn backfill_conservative(&mut self, now: SimTime, from: usize, out: &mut Vec<Decision>) {
        let params = self.config.backfill_params;
        let single_partition = self.profiles.len() == 1;
        let latest_start = now + params.window;
        let resume_from = self.resume_point(from);
        let mut tested = 0u32;
        let mut last_tested: Option<usize> = None;
        let mut smallest = self.smallest_queued();
        let order = std::iter::once(from).chain(resume_from..self.queue.len());
        for i in order {
            if single_partition {
                let free_now = if self.profile_ready[0] {
                    self.profiles[0].free_now()
                } else {
                    self.pool.free_gpus()
                };
                // No queued job fits now even by count: more reservations
                // could only hold back jobs that cannot start now either.
                // (The smallest request includes jobs tested in this cycle,
                // so this never stops too early.)
                if smallest > free_now {
                    break;
                }
            }
            if self.queue_gpus[i] == STARTED
                || (self.has_qos_limits && !self.within_limits(&self.queue[i].ticket))
            {
                continue;
            }
            if tested == params.max_job_test {
                self.resume_after = last_tested.map(|t| self.key(&self.queue[t]));
                break;
            }
            tested += 1;
            last_tested = Some(i);
            let ticket = self.queue[i].ticket;
            let partition = ticket.partition as usize;
            let gpus = ticket.request.total_gpus();
            self.ensure_profile(partition, now);
            let duration = self.queue[i].planned;
            let Some(start) = self.profiles[partition].earliest_start(gpus, duration, latest_start)
            else {
                continue;
            };
            // At `now` but not placeable (fragmentation), or refused by
            // the power cap: hold the GPUs (unless it could never start
            // under the cap).
            if start == now {
                match self.try_start(i, now, i != from, out) {
                    Attempt::Started => smallest = self.smallest_queued(),
                    Attempt::NoPower { ever: false } => continue,
                    Attempt::NoRoom | Attempt::NoPower { ever: true } => {}
                }
            } else {
                smallest = self.smallest_queued();
            }
            self.profiles[partition].reserve(start, duration, gpus);
        }
    }

    fn ensure_profile(&mut self, partition: usize, now: SimTime) {
        if self.profile_ready[partition] {
            return;
        }
        self.profile_ready[partition] = true;
        let set = &self.config.partitions[partition].nodes;
        let resolution = self.config.backfill_params.resolution;
        let profile = &mut self.profiles[partition];
        profile.begin(now, self.pool.free_gpus_in(set));
        for &(planned_end, slot) in &self.planned_ends {
            let r = &self.running[slot as usize];
            let gpus = if set.is_all() && self.pool.out_of_service() == 0 {
                r.gpus
            } else {
                self.pool.gpus_in_service(&r.allocation, set)
            };
            if gpus > 0 {
                // A job being preempted frees its GPUs within its grace time.
                let at = if r.preempting { r.start } else { planned_end };
                profile.add_release(at, gpus);
            }
        }
        profile.build(resolution);
    }
}
