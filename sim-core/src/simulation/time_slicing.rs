//! Time-sliced GPUs: tenants of one GPU slow each other.
//!
//! Under NVIDIA's time-slicing (the GPU operator's `sharing.timeSlicing`,
//! each GPU advertised as `replicas` GPUs) the GPU runs its tenants'
//! contexts in turn, with no memory or fault isolation
//! (<https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/gpu-sharing.html>).
//! The model, stated: each tenant has a demand `d` (the share of the GPU
//! it would keep busy alone, in thousandths: its fraction, or 1000 for a
//! one-GPU job), and the GPU's time is divided among the tenants max-min
//! fairly by demand, as round-robin slices do (a tenant that needs less
//! than an equal slice leaves the rest to the others): a tenant given
//! `a <= d` runs at speed `a / d`. While two or more tenants share the
//! GPU, a share `switch_overhead` of its time is lost to context switches
//! (scenario setting, 0 by default). A tenant's work is its run time at
//! full speed; it ends when that work is done, however its speed changed.
//!
//! Hand case (tests/it/sharing.rs): demands 1000, 1000 and 200 on one GPU
//! give the 200 its whole demand (speed 1) and the others 400 each
//! (speed 0.4).
//!
//! Invariants: a tenant's speed lies in (0, 1]; the speeds of a GPU's
//! tenants give out at most the GPU's time (`sum a <= 1000`); every
//! change of a GPU's tenants (a start, an end) re-times all of them, so a
//! job's work is done exactly once; ends are computed in nanoseconds,
//! rounded up, from the work left in `f64` (deterministic IEEE
//! arithmetic, no wall clock).

use std::collections::BTreeMap;

use crate::engine::{SimDuration, SimTime};
use crate::hardware::NodeId;
use crate::scheduler::SlotRef;

/// A job sharing a time-sliced GPU.
#[derive(Clone, Copy, Debug)]
struct Tenant {
    slot: SlotRef,
    demand_milli: u16,
    /// Work left, in nanoseconds at full speed, as of `since`.
    left_ns: f64,
    speed: f64,
    since: SimTime,
    done_at: SimTime,
}

/// The time-sliced GPUs of a run and their tenants.
#[derive(Debug, Default)]
pub(super) struct TimeSliced {
    overhead: f64,
    gpus: BTreeMap<(NodeId, u64), Vec<Tenant>>,
    /// Each tenant's GPU, by slot.
    gpu_of: BTreeMap<u32, (NodeId, u64)>,
    /// Scratch: tenants re-timed by the last change.
    pub retimed: Vec<(SlotRef, SimTime)>,
}

impl TimeSliced {
    pub fn new(overhead: f64) -> Self {
        TimeSliced {
            overhead,
            ..TimeSliced::default()
        }
    }

    /// When the tenant in `slot` finishes its work at its current speed.
    pub fn done_at(&self, slot: SlotRef) -> Option<SimTime> {
        let gpu = self.gpu_of.get(&slot.slot())?;
        (self.gpus[gpu].iter())
            .find(|t| t.slot == slot)
            .map(|t| t.done_at)
    }

    /// `slot` starts on `gpu` with `work` to do at full speed; every
    /// tenant of the GPU is re-timed (`retimed`: schedule their ends).
    pub fn join(
        &mut self,
        slot: SlotRef,
        gpu: (NodeId, u64),
        demand_milli: u16,
        work: SimDuration,
        now: SimTime,
    ) {
        self.gpu_of.insert(slot.slot(), gpu);
        let tenants = self.gpus.entry(gpu).or_default();
        settle(tenants, now);
        tenants.push(Tenant {
            slot,
            demand_milli,
            left_ns: work.as_ns() as f64,
            speed: 1.0,
            since: now,
            done_at: now,
        });
        self.retime(gpu, now);
    }

    /// `slot` leaves its GPU (done, killed or evicted); the others are
    /// re-timed. Nothing for a slot that is not a tenant.
    pub fn leave(&mut self, slot: SlotRef, now: SimTime) {
        self.retimed.clear();
        let Some(gpu) = self.gpu_of.remove(&slot.slot()) else {
            return;
        };
        let tenants = self.gpus.get_mut(&gpu).expect("a tenant's GPU");
        settle(tenants, now);
        tenants.retain(|t| t.slot != slot);
        if tenants.is_empty() {
            self.gpus.remove(&gpu);
        } else {
            self.retime(gpu, now);
        }
    }

    /// Gives `gpu`'s tenants their speeds and ends from now.
    fn retime(&mut self, gpu: (NodeId, u64), now: SimTime) {
        self.retimed.clear();
        let tenants = self.gpus.get_mut(&gpu).expect("re-timed GPU");
        let usable = if tenants.len() >= 2 {
            1000.0 * (1.0 - self.overhead)
        } else {
            1000.0
        };
        let demands: Vec<f64> = tenants.iter().map(|t| f64::from(t.demand_milli)).collect();
        let given = max_min(&demands, usable);
        for (t, (&d, a)) in tenants.iter_mut().zip(demands.iter().zip(given)) {
            t.speed = (a / d).min(1.0);
            t.since = now;
            let ns = (t.left_ns / t.speed).ceil().max(0.0);
            t.done_at = now + SimDuration::from_ns(ns as u64);
            self.retimed.push((t.slot, t.done_at));
        }
    }
}

/// Brings every tenant's work left up to `now` at its current speed.
fn settle(tenants: &mut [Tenant], now: SimTime) {
    for t in tenants {
        let elapsed = now.saturating_since(t.since).as_ns() as f64;
        t.left_ns = (t.left_ns - elapsed * t.speed).max(0.0);
        t.since = now;
    }
}

/// Max-min fair shares of `capacity` among `demands` (water-filling: the
/// smallest demands are met in full, the rest split equally).
fn max_min(demands: &[f64], capacity: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by(|&a, &b| demands[a].total_cmp(&demands[b]).then(a.cmp(&b)));
    let mut given = vec![0.0; demands.len()];
    let mut left = capacity;
    for (k, &i) in order.iter().enumerate() {
        let equal = left / (order.len() - k) as f64;
        given[i] = demands[i].min(equal);
        left -= given[i];
    }
    given
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_min_meets_small_demands_and_splits_the_rest() {
        assert_eq!(
            max_min(&[1000.0, 1000.0, 200.0], 1000.0),
            [400.0, 400.0, 200.0]
        );
        assert_eq!(max_min(&[300.0, 300.0], 1000.0), [300.0, 300.0]);
        assert_eq!(max_min(&[1000.0, 1000.0], 900.0), [450.0, 450.0]);
    }
}
