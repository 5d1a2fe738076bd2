//! The backfill cycle as slurmctld 22.05 runs it (`Backfill::Slurm`):
//! `_attempt_backfill` in `src/plugins/sched/backfill/backfill.c` over a
//! node-space map (`node_space.rs`), with each job's expected start from
//! `_will_run_test` in `src/plugins/select/cons_common/job_test.c`.
//!
//! A cycle (every `bf_interval`; it does not run the main scheduler first)
//! walks every pending job in priority order, the first included:
//! 1. the job's usable nodes are its partition's nodes that no reservation
//!    of this cycle holds at any time in `[start, start + limit]`
//!    ([`NodeSpace::usable`]), and the "later start" is noted: the end of
//!    the first map record after which more nodes come free;
//! 2. its expected start on those nodes (`_will_run_test`): now if it fits
//!    now (running jobs hold their GPUs, counted per GPU); otherwise the
//!    running jobs on usable nodes are freed in batches, sorted by end
//!    (start + time limit, never the true end): the first batch runs to the
//!    first end rounded up to the next multiple of 30 s of the wall clock
//!    (simulated time 0 is a whole wall-clock minute) plus 30 s, then the
//!    window doubles; after each batch the job is tried, and its expected
//!    start is the end of the batch's *last* job, not the earliest instant
//!    it would fit;
//! 3. if that is now, the job starts, on usable nodes only; if it is after
//!    the later start, the job is tried again from the later start (Slurm's
//!    `TRY_LATER`); past `bf_window` it gets no reservation;
//! 4. otherwise the nodes the select plugin chose are reserved, pinned,
//!    whole, over `[start, start + limit]` rounded down to
//!    `bf_resolution` (`_add_reservation`), unless that overlaps an
//!    existing reservation, in which case it is tried again from its
//!    expected start.
//!
//! At most `bf_max_job_test` jobs are tested (those that reach the select
//! plugin), and a cycle ends when the map has had `bf_max_job_test`
//! records inserted (`bf_node_space_size`'s default). Cycles take no time
//! here, so `bf_continue` (resuming after a lock release) changes nothing.
//!
//! Nodes out of service (DOWN, DRAINING, DRAINED, spares) are in no
//! job's usable set, as slurmctld leaves them out of `avail_node_bitmap`:
//! nothing starts or is reserved on them, and running jobs' GPUs on them
//! are never counted as coming free.
//!
//! Invariants:
//! - plans use requested time limits exactly (whole minutes in Slurm);
//!   true run times are never seen;
//! - a job started by the cycle uses no node a reservation of the cycle
//!   holds during its limit;
//! - each retry of a job starts strictly later than the one before, and
//!   none is past the window, so a cycle ends;
//! - the hot loop allocates nothing: the map, bit sets, scratch pool and
//!   allocation are reused.

use super::cons_tres::ConsTres;
use super::node_space::{self, NodeSpace};
use super::power_cap::Attempt;
use super::{Decision, GpuPool, JobIndex, NodeGpus, NodeSet, RunningJob, STARTED, Scheduler};
use crate::engine::{SimDuration, SimTime};
use crate::workload::JobRequest;

/// How often slurmctld's background thread wakes (`_slurmctld_background`
/// in `controller.c`: ten sleeps of 100 ms). A submission only counts a
/// request (`queue_job_scheduler()`); the next wake-up runs `schedule()`
/// for it (with `batch_sched_delay=0`).
pub const SLURMCTLD_WAKEUP: SimDuration = SimDuration::from_secs(1);

/// Where in the second slurmctld's threads wake: unknown (it depends on
/// when the daemon started), so the model puts every wake-up, and every
/// periodic pass, half a second past a multiple of its period. Events at
/// whole seconds (submissions, ends of whole-minute limits) are then seen
/// by the next wake-up, as the recorded runs show: a job submitted at
/// 6 s starts within that second, and GPUs freed at 31 s are backfilled
/// at 32 s.
pub const SLURMCTLD_PHASE: SimDuration = SimDuration::from_ns(500_000_000);

/// How long after slurmctld allocates a job its work begins: the launch
/// request to slurmd, the fork and exec of the batch script. The job
/// holds its GPUs from its start, so it ends this much after start + run
/// time. Tens of milliseconds on the recorded machine (below the
/// second resolution of Slurm's times); what matters is that it is not
/// zero: a job started by a backfill cycle ends just *after* a later
/// cycle's instant, so GPUs it frees are backfilled a cycle later, as
/// the recorded runs show (an end at 82 s, the next start at 83 s).
pub const SLURMD_LAUNCH: SimDuration = SimDuration::from_ns(50_000_000);

/// `_will_run_test`'s first batch window (`time_window = 30`).
const FIRST_BATCH_WINDOW: SimDuration = SimDuration::from_secs(30);

/// Slurm's default `KillWait` (30 s): `_guess_job_end` expects a job
/// already past its limit to be gone this long after it.
const KILL_WAIT: SimDuration = SimDuration::from_secs(30);

/// After this many jobs freed in one batch `_will_run_test` frees on
/// without testing (`rm_job_cnt++ > 200`).
const MAX_BATCH_JOBS: u32 = 201;

/// Buffers of the Slurm-faithful cycle, kept between cycles.
#[derive(Clone, Debug, Default)]
pub(super) struct SlurmState {
    map: NodeSpace,
    nodes: usize,
    /// Each partition's nodes as a bit set.
    partition_bits: Vec<Vec<u64>>,
    /// Running jobs by `(end, job, slot)`: by expected end as
    /// `_will_run_test` sorts them (`_cr_job_list_sort`, with glibc's
    /// stable `qsort`), ties in `job_list` order, which is job order.
    running: Vec<(SimTime, JobIndex, u32)>,
    /// The job under test: its usable nodes, and those chosen for it.
    usable: Vec<u64>,
    chosen: Vec<u64>,
    usable_set: NodeSet,
    /// Slurm's node selection, for starts and expected starts alike.
    pub cons_tres: ConsTres,
}

impl SlurmState {
    pub fn new(partitions: &[super::Partition], nodes: usize) -> Self {
        let words = nodes.div_ceil(64);
        let partition_bits = partitions
            .iter()
            .map(|p| {
                let mut bits = vec![0u64; words];
                (0..nodes)
                    .filter(|&n| p.nodes.contains(n as u32))
                    .for_each(|n| node_space::add(&mut bits, n));
                bits
            })
            .collect();
        SlurmState {
            nodes,
            partition_bits,
            usable: vec![0; words],
            chosen: vec![0; words],
            ..SlurmState::default()
        }
    }
}

impl SlurmState {
    /// A job started in `slot`, expected to end at `end`.
    pub fn add_running(&mut self, end: SimTime, job: JobIndex, slot: u32) {
        let key = (end, job, slot);
        let at = self.running.partition_point(|&e| e < key);
        self.running.insert(at, key);
    }

    /// The job in `slot` ended.
    pub fn remove_running(&mut self, end: SimTime, job: JobIndex, slot: u32) {
        if let Ok(at) = self.running.binary_search(&(end, job, slot)) {
            self.running.remove(at);
        }
    }
}

/// `t` rounded down to a multiple of `step`.
pub(super) fn round_down(t: SimTime, step: SimDuration) -> SimTime {
    let step = step.as_ns().max(1);
    SimTime::from_ns(t.as_ns() / step * step)
}

impl Scheduler {
    /// One backfill cycle at `now`, over the whole queue.
    pub(super) fn backfill_slurm(&mut self, now: SimTime, out: &mut Vec<Decision>) {
        // slurmctld plans in whole seconds (`time(NULL)`); jobs start at
        // the true instant.
        let start_now = now;
        let now = round_down(now, SimDuration::from_secs(1));
        let params = self.config.backfill_params;
        let resolution = params.resolution;
        let window_end = now + params.window;
        let nodes = self.slurm.nodes;
        self.slurm.map.begin(
            round_down(now, resolution),
            round_down(window_end, resolution),
            nodes,
        );
        let mut tested = 0u32;
        for i in 0..self.queue.len() {
            if self.queue_gpus[i] == STARTED
                || (self.has_qos_limits && !self.within_limits(&self.queue[i].ticket))
            {
                continue;
            }
            if tested >= params.max_job_test {
                break;
            }
            let ticket = self.queue[i].ticket;
            let limit = self.queue[i].planned;
            let min_nodes = match ticket.request {
                JobRequest::Nodes { count, .. } => count as usize,
                JobRequest::Gpus(_) => 1,
            };
            let partition = ticket.partition as usize;
            let mut counted = false;
            let mut start_from = now;
            loop {
                let end = start_from + limit;
                let s = &mut self.slurm;
                let later =
                    s.map
                        .usable(start_from, end, &s.partition_bits[partition], &mut s.usable);
                if self.pool.out_of_service() > 0 {
                    // Nodes out of service are never usable.
                    let in_service = self.pool.in_service_bits();
                    s.usable
                        .iter_mut()
                        .zip(in_service)
                        .for_each(|(u, &k)| *u &= k);
                }
                let usable_nodes: u32 = s.usable.iter().map(|w| w.count_ones()).sum();
                let expected = if (usable_nodes as usize) < min_nodes {
                    None
                } else {
                    if !counted {
                        counted = true;
                        tested += 1;
                    }
                    self.will_run(i, now)
                };
                let Some(expected) = expected else {
                    match later {
                        Some(later) => {
                            start_from = later;
                            continue;
                        }
                        None => break,
                    }
                };
                let start = expected.max(start_from);
                if start <= now {
                    match self.start_on_usable(i, start_now, out) {
                        Attempt::Started => break,
                        // The test placed it on the same free GPUs, so
                        // only the power cap refuses it: its nodes are
                        // reserved from now, as for a job that will start
                        // (the plan does not model power), unless it could
                        // never start under the cap (`power_cap.rs`).
                        Attempt::NoPower { ever: true } => {}
                        Attempt::NoPower { ever: false } => break,
                        Attempt::NoRoom => {
                            debug_assert!(false, "the test placed it on the same free GPUs");
                            break;
                        }
                    }
                }
                if let Some(later) = later
                    && start > later
                {
                    start_from = later;
                    continue;
                }
                if start > window_end {
                    break; // too far ahead: no reservation
                }
                let from = round_down(start, resolution);
                let to = round_down(start + limit, resolution);
                if self.slurm.map.overlaps(&self.slurm.chosen, from, to) {
                    if start <= now {
                        break; // refused by the power cap: no retry
                    }
                    debug_assert!(start > start_from, "a retry must move on");
                    start_from = start;
                    continue;
                }
                if self.slurm.map.inserted() >= params.max_job_test {
                    return; // the map is full: the cycle ends
                }
                let s = &mut self.slurm;
                s.map.reserve(from, to, &s.chosen, resolution);
                break;
            }
        }
    }

    /// Starts queue entry `i` now on its usable nodes (`_start_job` with
    /// the other nodes excluded) if the power cap allows it.
    fn start_on_usable(&mut self, i: usize, now: SimTime, out: &mut Vec<Decision>) -> Attempt {
        let request = self.queue[i].ticket.request;
        let slot = self.take_slot();
        let mut allocation = std::mem::take(&mut self.running[slot as usize].allocation);
        let s = &mut self.slurm;
        if !(s.cons_tres).place(
            &mut self.pool,
            request,
            Some(&s.usable_set),
            &mut allocation,
        ) {
            self.running[slot as usize].allocation = allocation;
            self.free_slots.push(slot);
            return Attempt::NoRoom;
        }
        self.start_if_powered(i, slot, allocation, now, true, out)
    }

    /// When queue entry `i` could start on its usable nodes
    /// (`_will_run_test`), with the nodes it would get in
    /// `slurm.chosen`; `None` if never, even with every running job gone.
    ///
    /// Freeing a job only adds its GPUs on usable nodes to a count; the
    /// scratch pool is brought up to date, and placement tried, only when
    /// the count could hold the job, so a test costs about one pass over
    /// the nodes and one over the running jobs.
    fn will_run(&mut self, i: usize, now: SimTime) -> Option<SimTime> {
        let request = self.queue[i].ticket.request;
        let need = request.total_gpus();
        let s = &mut self.slurm;
        let mut free: u64 = (0..s.nodes)
            .filter(|&n| node_space::has(&s.usable, n))
            .map(|n| u64::from(self.pool.free_on(n)))
            .sum();
        let mut scratch = Scratch {
            pool: &mut self.scratch_pool,
            alloc: &mut self.scratch_alloc,
            prepared: false,
            freed_to: 0,
        };
        let mut start = None;
        if free >= need && scratch.fits(&self.pool, s, &self.running, 0, request) {
            start = Some(now);
        } else {
            // Running jobs on usable nodes, freed in batches by end.
            let window_ns = FIRST_BATCH_WINDOW.as_ns();
            let mut window = FIRST_BATCH_WINDOW;
            let mut first_end: Option<SimTime> = None;
            let mut next = 0;
            let mut more = true;
            while more && start.is_none() {
                let mut last = None;
                let mut freed = 0u32;
                let mut test = true;
                loop {
                    let Some(&(end, _, slot)) = s.running.get(next) else {
                        more = false;
                        break;
                    };
                    next += 1;
                    let usable_gpus = gpus_on(&self.running[slot as usize], &s.usable);
                    if usable_gpus == 0 {
                        continue; // no usable node: it frees nothing
                    }
                    free += usable_gpus;
                    let batch_end = *first_end.get_or_insert_with(|| {
                        // The next multiple of 30 s strictly after it.
                        let delta = end.as_ns() % window_ns;
                        end + SimDuration::from_ns(window_ns - delta)
                    });
                    last = Some(end);
                    match s.running.get(next) {
                        None => {
                            more = false;
                            break;
                        }
                        Some(&(after, ..)) if after > batch_end + window => break,
                        Some(_) => {}
                    }
                    freed += 1;
                    if freed > MAX_BATCH_JOBS {
                        test = false;
                        break;
                    }
                }
                if !test {
                    continue;
                }
                let Some(last) = last else { break };
                let batch_end = first_end.expect("set with the first job freed");
                loop {
                    window = window + window;
                    match s.running.get(next) {
                        Some(&(after, ..)) if after > batch_end + window => {}
                        _ => break,
                    }
                }
                if free >= need && scratch.fits(&self.pool, s, &self.running, next, request) {
                    start = Some(if last <= now {
                        // `_guess_job_end`, OverTimeLimit 0.
                        let guess = last + KILL_WAIT;
                        if guess <= now {
                            now + SimDuration::from_secs(1)
                        } else {
                            guess
                        }
                    } else {
                        last
                    });
                }
            }
        }
        if start.is_some() {
            s.chosen.iter_mut().for_each(|w| *w = 0);
            for p in self.scratch_alloc.iter() {
                node_space::add(&mut s.chosen, p.node as usize);
            }
        }
        start
    }
}

/// GPUs `job` holds on the nodes of `usable`.
fn gpus_on(job: &RunningJob, usable: &[u64]) -> u64 {
    (job.allocation.iter())
        .filter(|p| node_space::has(usable, p.node as usize))
        .map(|p| u64::from(p.gpu_count()))
        .sum()
}

/// The future state `_will_run_test` places the job in: the free GPUs
/// now plus those of the running jobs freed so far, brought up to date
/// only when a placement is tried.
struct Scratch<'a> {
    pool: &'a mut GpuPool,
    alloc: &'a mut Vec<NodeGpus>,
    /// The pool holds the free GPUs of now and the usable set is built.
    prepared: bool,
    /// Running jobs `..freed_to` (in end order) are freed in the pool.
    freed_to: usize,
}

impl Scratch<'_> {
    /// Whether the job fits once the running jobs `..freed_to` (in end
    /// order) that use usable nodes are gone; its nodes are then in
    /// `alloc`.
    fn fits(
        &mut self,
        now: &GpuPool,
        s: &mut SlurmState,
        running: &[RunningJob],
        freed_to: usize,
        request: JobRequest,
    ) -> bool {
        if !self.prepared {
            self.prepared = true;
            self.pool.copy_free_from(now);
            s.usable_set.assign_bits(&s.usable, s.nodes);
        }
        for &(_, _, slot) in &s.running[self.freed_to..freed_to] {
            let job = &running[slot as usize];
            if gpus_on(job, &s.usable) > 0 {
                self.pool.release(&job.allocation);
            }
        }
        self.freed_to = self.freed_to.max(freed_to);
        s.cons_tres
            .place(self.pool, request, Some(&s.usable_set), self.alloc)
    }
}

#[cfg(test)]
mod tests {
    //! `_will_run_test`'s batches, computed by hand
    //! (`src/plugins/select/cons_common/job_test.c`, Slurm 22.05).

    use super::*;
    use crate::scheduler::{Backfill, SchedulerConfig};
    use crate::workload::{AccountId, Directory, SubmittedJob, UserId};

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + secs(s)
    }

    /// A Slurm-mode scheduler over `nodes` one-GPU nodes.
    fn scheduler(nodes: u32) -> Scheduler {
        let cluster = crate::scheduler::tests::cluster(nodes, 1);
        let mut config = SchedulerConfig::fcfs(nodes as usize);
        config.backfill = Backfill::Slurm;
        let directory = Directory {
            users: vec!["u".into()],
            accounts: vec!["a".into()],
            job_names: vec!["j".into()],
        };
        Scheduler::new(config, &cluster, &directory, &[(AccountId(0), UserId(0))])
    }

    fn job(gpus: u32, limit_s: u64) -> SubmittedJob {
        SubmittedJob {
            request: JobRequest::Gpus(gpus),
            runtime: secs(limit_s),
            time_limit: secs(limit_s),
            ..SubmittedJob::default()
        }
    }

    /// Starts one 1-GPU job at each `(start, limit)` by a main pass.
    fn running(sched: &mut Scheduler, jobs: &[(u64, u64)]) {
        let mut out = Vec::new();
        for (k, &(start, limit)) in jobs.iter().enumerate() {
            sched.enqueue(k as u32, job(1, limit), at(start));
            sched.schedule(at(start), false, &mut out);
        }
        assert_eq!(out.len(), jobs.len(), "all started");
    }

    /// The expected start at `now` of a queued `gpus`-GPU job, on every
    /// node.
    fn expected(sched: &mut Scheduler, now: u64, gpus: u32) -> Option<u64> {
        let index = 100 + sched.queue.len() as u32;
        sched.enqueue(index, job(gpus, 600), at(now));
        let i = sched.queue.len() - 1;
        let s = &mut sched.slurm;
        s.usable.clone_from(&s.partition_bits[0]);
        let start = sched.will_run(i, at(now));
        start.map(|t| t.as_ns() / 1_000_000_000)
    }

    #[test]
    fn a_batch_runs_to_the_next_30_s_boundary_plus_30_s_and_ends_with_its_last_job() {
        // Ends 121 and 161 (limits 120 s from 1 and 41). First end 121:
        // boundary 150, batch up to 150 + 30 = 180, so both are freed at
        // once and the start is the batch's last end, 161, although one
        // GPU is back at 121.
        let mut sched = scheduler(2);
        running(&mut sched, &[(1, 120), (41, 120)]);
        assert_eq!(expected(&mut sched, 60, 1), Some(161));
        // Ends 121 and 181: 181 > 180, so the first batch is 121 alone.
        let mut sched = scheduler(2);
        running(&mut sched, &[(1, 120), (61, 120)]);
        assert_eq!(expected(&mut sched, 70, 1), Some(121));
        assert_eq!(expected(&mut sched, 70, 2), Some(181));
    }

    #[test]
    fn the_window_doubles_after_each_batch_from_the_first_boundary() {
        // Ends 121, 181, 250, 275. Boundary 150. Batch 1: up to 180 → {121}.
        // Window 60: up to 210 → {181}. Window 120: up to 270 → {250}.
        // Window 240: up to 390 → {275}.
        let mut sched = scheduler(4);
        running(&mut sched, &[(1, 120), (61, 120), (70, 180), (95, 180)]);
        assert_eq!(expected(&mut sched, 100, 2), Some(181));
        assert_eq!(expected(&mut sched, 100, 3), Some(250));
        assert_eq!(expected(&mut sched, 100, 4), Some(275));
        // Too big even with every job gone.
        assert_eq!(expected(&mut sched, 100, 5), None);
    }

    #[test]
    fn an_end_on_a_boundary_still_gets_a_full_30_s_step() {
        // End 150 is a multiple of 30: `delta` is 0 and the boundary is
        // 150 + 30 = 180, so an end at 209 is in the first batch.
        let mut sched = scheduler(2);
        running(&mut sched, &[(30, 120), (89, 120)]);
        assert_eq!(expected(&mut sched, 100, 1), Some(209));
    }
}
