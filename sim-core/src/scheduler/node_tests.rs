//! Hand-computed cases for node states (`nodes.rs`): Slurm's state
//! names through drains, failures and resumes, scheduling around nodes
//! out of service, hot spares, and the changes recovery makes to running
//! jobs' allocations. Slurm's names are `sinfo`'s (`node_state_string()`
//! in `src/common/slurm_protocol_defs.c`).

use super::tests::{at, directory, job, s};
use super::*;
use crate::hardware::NodeId;
use crate::workload::JobRequest;
use NodeState::*;

/// `nodes` nodes of `gpus` GPUs, exact times, one partition.
pub(super) fn scheduler(nodes: u32, gpus: u32, backfill: Backfill) -> Scheduler {
    let mut config = SchedulerConfig::fcfs(nodes as usize);
    config.backfill = backfill;
    config.backfill_params.interval = SimDuration::ZERO;
    config.backfill_params.resolution = s(1);
    config.backfill_params.window = s(1_000_000);
    let cluster = super::tests::cluster(nodes, gpus);
    Scheduler::new(config, &cluster, &directory(), &[(AccountId(0), UserId(0))])
}

/// Queues `jobs` (indices from `first`) at `now` and runs one pass;
/// returns the handles of the jobs started, by job index.
fn pass(
    sched: &mut Scheduler,
    now: SimTime,
    first: u32,
    jobs: &[SubmittedJob],
) -> Vec<(JobIndex, SlotRef)> {
    for (k, j) in jobs.iter().enumerate() {
        sched.enqueue(first + k as u32, *j, now);
    }
    let mut out = Vec::new();
    sched.schedule(now, false, &mut out);
    out.iter()
        .filter_map(|d| match *d {
            Decision::Start { slot } => Some((sched.running(slot).job, slot)),
            Decision::Preempt { .. } => None,
        })
        .collect()
}

fn started(decisions: &[(JobIndex, SlotRef)]) -> Vec<JobIndex> {
    decisions.iter().map(|d| d.0).collect()
}

fn nodes_of(sched: &Scheduler, slot: SlotRef) -> Vec<NodeId> {
    sched
        .running(slot)
        .allocation
        .iter()
        .map(|p| p.node)
        .collect()
}

fn states(sched: &Scheduler) -> Vec<NodeState> {
    (0..sched.pool.node_count() as NodeId)
        .map(|n| sched.node_state(n))
        .collect()
}

/// busy + down + draining idle + idle == total, busy counted from the
/// running jobs' allocations.
fn assert_conserved(sched: &Scheduler) {
    let busy: u64 = (sched.running.iter())
        .filter(|r| r.active)
        .map(|r| {
            r.allocation
                .iter()
                .map(|p| u64::from(p.gpu_count()))
                .sum::<u64>()
        })
        .sum();
    let held_by_pods = sched.held_gpus();
    // Spares: IDLE to sinfo, out of service in the pool.
    let spares: u64 = (0..sched.pool.node_count() as NodeId)
        .filter(|&n| !sched.pool.is_in_service(n) && sched.node_state(n) == Idle)
        .map(|n| u64::from(sched.pool.capacity_of(n)))
        .sum();
    let idle = sched.pool.free_gpus() + spares;
    assert_eq!(
        busy + held_by_pods + sched.down_gpus() + sched.draining_idle_gpus() + idle,
        sched.pool.total_gpus()
    );
    sched.pool.check_invariants();
}

#[test]
fn names_are_sinfos() {
    let names: Vec<&str> = [Idle, Mixed, Allocated, Draining, Drained, Down]
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        names,
        ["IDLE", "MIXED", "ALLOCATED", "DRAINING", "DRAINED", "DOWN"]
    );
}

#[test]
fn idle_allocated_draining_drained_and_back() {
    // Two 4-GPU nodes. Two 2-GPU jobs share node 0 (best fit).
    let mut sched = scheduler(2, 4, Backfill::None);
    let a = pass(&mut sched, at(0), 0, &[job(2, 100)]);
    assert_eq!(states(&sched), [Mixed, Idle]);
    let b = pass(&mut sched, at(0), 1, &[job(2, 100)]);
    assert_eq!(nodes_of(&sched, b[0].1), [0]);
    assert_eq!(states(&sched), [Allocated, Idle]);
    let mut jobs = Vec::new();
    sched.jobs_on(0, &mut jobs);
    assert_eq!(jobs, [a[0].1, b[0].1]);
    // Drained with jobs on it: DRAINING, its jobs run on.
    assert!(!sched.drain(0));
    assert_eq!(states(&sched), [Draining, Idle]);
    assert_conserved(&sched);
    // Job 0 ends: its 2 GPUs stay out of service.
    sched.end(a[0].1, at(10));
    assert_eq!(states(&sched), [Draining, Idle]);
    assert_eq!(sched.draining_idle_gpus(), 2);
    assert_eq!(sched.pool.free_gpus(), 4);
    let mut drained = Vec::new();
    sched.take_newly_drained(&mut drained);
    assert!(drained.is_empty());
    // A 2-GPU job would fit on node 0 by best fit; it goes to node 1.
    let c = pass(&mut sched, at(10), 2, &[job(2, 100)]);
    assert_eq!(nodes_of(&sched, c[0].1), [1]);
    assert_eq!(states(&sched), [Draining, Mixed]);
    assert_conserved(&sched);
    // The last job on node 0 ends: DRAINED, reported once.
    sched.end(b[0].1, at(20));
    assert_eq!(states(&sched), [Drained, Mixed]);
    assert_eq!(sched.draining_idle_gpus(), 4);
    sched.take_newly_drained(&mut drained);
    assert_eq!(drained, [0]);
    sched.take_newly_drained(&mut drained);
    assert_eq!(drained, [0]);
    assert!(!sched.resume(0));
    assert_eq!(states(&sched), [Idle, Mixed]);
    assert_eq!(sched.draining_idle_gpus(), 0);
    assert_eq!(sched.pool.free_gpus(), 6);
    assert_conserved(&sched);
}

#[test]
fn down_takes_the_node_out_until_resumed() {
    let mut sched = scheduler(2, 4, Backfill::None);
    let a = pass(&mut sched, at(0), 0, &[job(4, 100)]);
    assert_eq!(nodes_of(&sched, a[0].1), [0]);
    // The simulation ends the job on the failed node, then sets it down.
    sched.end(a[0].1, at(5));
    sched.set_down(0);
    assert_eq!(states(&sched), [Down, Idle]);
    assert_eq!((sched.down_gpus(), sched.draining_idle_gpus()), (4, 0));
    assert_eq!(sched.pool.free_gpus(), 4);
    assert_conserved(&sched);
    // A 4-GPU job fits node 1 only; the next waits.
    let b = pass(&mut sched, at(5), 1, &[job(4, 100), job(4, 100)]);
    assert_eq!(started(&b), [1]);
    assert_eq!(nodes_of(&sched, b[0].1), [1]);
    // Drained while down: DRAINED (DOWN+DRAIN), and still out.
    assert!(sched.drain(0));
    assert_eq!(states(&sched), [Drained, Allocated]);
    assert_eq!((sched.down_gpus(), sched.draining_idle_gpus()), (0, 4));
    assert!(pass(&mut sched, at(6), 3, &[]).is_empty());
    assert!(!sched.resume(0));
    assert_eq!(started(&pass(&mut sched, at(7), 3, &[])), [2]);
    assert_eq!(states(&sched), [Allocated, Allocated]);
    assert_conserved(&sched);
}

#[test]
fn a_draining_node_with_jobs_resumed_is_mixed_again() {
    let mut sched = scheduler(1, 4, Backfill::None);
    let a = pass(&mut sched, at(0), 0, &[job(1, 100)]);
    assert!(!sched.drain(0));
    assert!(!sched.resume(0));
    assert_eq!(states(&sched), [Mixed]);
    sched.end(a[0].1, at(1));
    let mut drained = Vec::new();
    sched.take_newly_drained(&mut drained);
    assert!(drained.is_empty(), "resumed: nothing to maintain");
    assert_eq!(states(&sched), [Idle]);
}

#[test]
fn a_pending_drain_forgotten_when_the_node_fails() {
    let mut sched = scheduler(2, 4, Backfill::None);
    let a = pass(&mut sched, at(0), 0, &[job(4, 100)]);
    assert!(!sched.drain(0));
    sched.end(a[0].1, at(1));
    sched.set_down(0);
    let mut drained = Vec::new();
    sched.take_newly_drained(&mut drained);
    assert!(drained.is_empty());
    assert_eq!((sched.down_gpus(), sched.draining_idle_gpus()), (4, 0));
    assert_conserved(&sched);
}

#[test]
fn spares_are_never_used_by_ordinary_jobs() {
    // Four 2-GPU nodes, one spare: node 3 (the highest id).
    for backfill in [
        Backfill::None,
        Backfill::Easy,
        Backfill::Conservative,
        Backfill::Slurm,
    ] {
        let mut sched = scheduler(4, 2, backfill);
        sched.set_spares(1);
        assert_eq!(sched.spares_idle(), 1);
        assert_eq!(states(&sched), [Idle; 4]);
        assert_eq!(sched.pool.free_gpus(), 6);
        // Admission still counts the spare: 8 GPUs could run some day.
        assert!(sched.pool.check_fits_when_idle(JobRequest::Gpus(8)).is_ok());
        let a = pass(&mut sched, at(0), 0, &[job(6, 100), job(2, 10), job(8, 10)]);
        assert_eq!(started(&a), [0], "{backfill:?}");
        assert_eq!(nodes_of(&sched, a[0].1), [0, 1, 2], "{backfill:?}");
        assert_eq!(pass(&mut sched, at(1), 3, &[]), [], "{backfill:?}");
        assert_conserved(&sched);
    }
}

#[test]
fn a_spare_replaces_a_failed_node_and_a_repaired_node_refills_the_spares() {
    let mut sched = scheduler(4, 2, Backfill::Easy);
    sched.set_spares(1);
    let a = pass(&mut sched, at(0), 0, &[job(6, 100)]);
    let slot = a[0].1;
    let before = sched.running(slot).allocation.clone();
    assert_eq!(sched.swap_in_spare(slot, 1), Some(3));
    assert!(sched.is_current(slot), "the job keeps its slot and handle");
    let after = &sched.running(slot).allocation;
    assert_eq!(
        after[1],
        NodeGpus {
            node: 3,
            mask: before[1].mask
        }
    );
    assert_eq!((after[0], after[2]), (before[0], before[2]));
    assert_eq!(sched.running(slot).gpus(), 6);
    sched.set_down(1);
    assert_eq!(sched.spares_idle(), 0);
    assert_eq!(states(&sched), [Allocated, Down, Allocated, Allocated]);
    // No spare left.
    assert_eq!(sched.swap_in_spare(slot, 0), None);
    assert_conserved(&sched);
    // The repaired node becomes the spare again, not a node for jobs.
    assert!(sched.resume(1));
    assert_eq!(sched.spares_idle(), 1);
    assert_eq!(states(&sched), [Allocated, Idle, Allocated, Allocated]);
    assert_eq!(pass(&mut sched, at(1), 1, &[job(1, 10)]), []);
    assert_conserved(&sched);
    // The spare pool is full: the next node back goes into service.
    assert_eq!(sched.end(slot, at(2)).gpus, 6);
    sched.set_down(0);
    assert!(!sched.resume(0));
    assert_eq!(started(&pass(&mut sched, at(3), 2, &[])), [1]);
    assert_conserved(&sched);
}

#[test]
fn a_spare_with_fewer_gpus_gives_its_lowest() {
    // Nodes 0 and 1 have 8 GPUs, node 2 (the spare) 4.
    let catalog = crate::hardware::Catalog::builtin();
    let node_model = catalog.node("DGX-H100").unwrap().clone();
    let gpu_model = catalog.gpu(&node_model.gpu_model).unwrap().clone();
    let group = |name: &str, node_count, gpus_per_node| crate::hardware::NodeGroup {
        name: name.into(),
        node_model: node_model.clone(),
        gpu_model: gpu_model.clone(),
        gpus_per_node,
        first_node: 0,
        node_count,
    };
    let cluster = Cluster::from_groups(vec![group("big", 2, 8), group("small", 1, 4)]);
    let config = SchedulerConfig::fcfs(3);
    let mut sched = Scheduler::new(config, &cluster, &directory(), &[(AccountId(0), UserId(0))]);
    sched.set_spares(1);
    // Job 0 takes GPUs 0-3 of node 0; job 1 (2 GPUs) best-fits GPUs 4-5.
    pass(&mut sched, at(0), 0, &[job(4, 100)]);
    let b = pass(&mut sched, at(0), 1, &[job(2, 100)]);
    let slot = b[0].1;
    assert_eq!(
        sched.running(slot).allocation,
        [NodeGpus {
            node: 0,
            mask: 0b11_0000
        }]
    );
    assert_eq!(sched.swap_in_spare(slot, 0), Some(2));
    assert_eq!(
        sched.running(slot).allocation,
        [NodeGpus {
            node: 2,
            mask: 0b11
        }]
    );
    assert_eq!(states(&sched), [Mixed, Idle, Mixed]);
    assert_conserved(&sched);
}

#[test]
fn shrink_and_grow_keep_counts_and_charges_right() {
    // Multifactor order charges usage: 4 GPUs for 10 s, then 2 GPUs for
    // 10 s, then 4 GPUs for 10 s: 40 + 20 + 40 = 100 GPU-seconds.
    let mut config = SchedulerConfig::fcfs(3);
    config.order = QueueOrder::Multifactor;
    let cluster = super::tests::cluster(3, 2);
    let mut sched = Scheduler::new(config, &cluster, &directory(), &[(AccountId(0), UserId(0))]);
    let nodes = |count| SubmittedJob {
        request: JobRequest::Nodes {
            count,
            gpus_per_node: 2,
        },
        runtime: s(100),
        time_limit: s(100),
        ..SubmittedJob::default()
    };
    let a = pass(&mut sched, at(0), 0, &[nodes(2)]);
    let slot = a[0].1;
    assert_eq!(nodes_of(&sched, slot), [0, 1]);
    assert_eq!(sched.shrink(slot, 0, at(10)), 1);
    assert_eq!(sched.running(slot).gpus(), 2);
    assert_eq!(sched.qos_gpus[0], 2);
    assert_eq!(states(&sched), [Idle, Allocated, Idle]);
    // The whole free node of lowest id.
    assert_eq!(sched.grow(slot, at(20)), Some(0));
    assert_eq!(nodes_of(&sched, slot), [1, 0]);
    assert_eq!(sched.qos_gpus[0], 4);
    // A 1-node job takes the last node; nothing is left to grow on.
    let b = pass(&mut sched, at(20), 1, &[nodes(1)]);
    assert_eq!(nodes_of(&sched, b[0].1), [2]);
    assert_eq!(sched.grow(slot, at(20)), None);
    sched.end(b[0].1, at(20));
    let ended = sched.end(slot, at(30));
    assert_eq!(ended.gpus, 4);
    assert_eq!(sched.qos_gpus[0], 0);
    let usage = sched.usage_of(&nodes(2));
    assert!((usage - 100.0).abs() < 1e-9, "{usage}");
    assert_conserved(&sched);
}

#[test]
fn shrinking_the_last_job_off_a_draining_node_drains_it() {
    let mut sched = scheduler(2, 1, Backfill::None);
    let a = pass(&mut sched, at(0), 0, &[job(2, 100)]);
    assert!(!sched.drain(1));
    assert_eq!(sched.shrink(a[0].1, 1, at(1)), 1);
    let mut drained = Vec::new();
    sched.take_newly_drained(&mut drained);
    assert_eq!(drained, [1]);
    assert_eq!(states(&sched), [Allocated, Drained]);
    assert_conserved(&sched);
}

#[test]
fn renew_makes_old_handles_stale_and_restarts_the_plan() {
    // EASY: job 0 (limit 100) restarts at 50: backfilling now expects
    // its GPUs back at 150.
    let mut sched = scheduler(2, 1, Backfill::Easy);
    let a = pass(&mut sched, at(0), 0, &[job(2, 100)]);
    let old = a[0].1;
    let new = sched.renew(old, at(50));
    assert!(!sched.is_current(old));
    assert!(sched.is_current(new));
    assert_eq!(new.slot(), old.slot());
    assert_eq!(sched.running(new).start, at(50));
    assert_eq!(sched.planned_ends, [(at(150), new.slot())]);
    assert_eq!(sched.end(new, at(60)).gpus, 2);
    assert!(sched.planned_ends.is_empty());
}
