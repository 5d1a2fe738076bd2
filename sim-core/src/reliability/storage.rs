//! The shared storage system checkpoints are written to: concurrent
//! writers share its aggregate bandwidth max-min fairly, each capped by
//! its client bandwidth (the nodes it writes from × the per-node rate).
//!
//! Invariants:
//! - rates are max-min fair (water-filling): no writer exceeds its cap,
//!   the rates sum to at most the aggregate, and a writer below its cap
//!   gets at least as much as any other writer;
//! - rates change only at a start, a cancel or a completion, and progress
//!   is integrated between those changes in f64 bytes (rate × elapsed
//!   nanoseconds; the rounding is that of f64, about 1e-16 of the bytes
//!   per change);
//! - a completion time is rounded up to the nanosecond, so a writer is
//!   never declared done before its bytes are written; it is computed from
//!   the state as of the last change, so [`SharedStorage::finish_due`] at
//!   the time [`SharedStorage::next_completion`] gave finishes that writer;
//! - writers are reported in the order they started; the steady state
//!   allocates nothing (the writer list and the water-filling scratch are
//!   reused).

use super::StorageSpec;
use crate::engine::{SimDuration, SimTime};
use crate::units::Bytes;

/// Nanoseconds per second, as f64.
const NS_PER_SEC_F64: f64 = 1e9;

#[derive(Clone, Copy, Debug)]
struct Writer {
    tag: u64,
    /// Bytes left to write as of `SharedStorage::since`.
    remaining: f64,
    /// Client bandwidth, bytes per ns.
    cap: f64,
    /// Current max-min fair rate, bytes per ns.
    rate: f64,
}

impl Writer {
    /// When this writer finishes at its current rate, counted from `since`
    /// and rounded up to the nanosecond; `None` if it makes no progress.
    fn finish(&self, since: SimTime) -> Option<SimTime> {
        if self.remaining <= 0.0 {
            return Some(since);
        }
        if self.rate <= 0.0 {
            return None;
        }
        Some(since + ns_to_write(self.remaining, self.rate))
    }
}

/// Nanoseconds to write `bytes` at `rate` bytes per ns, rounded up, and
/// up once more if the division rounded below the true quotient.
fn ns_to_write(bytes: f64, rate: f64) -> SimDuration {
    let mut ns = (bytes / rate).ceil();
    if ns * rate < bytes {
        ns += 1.0;
    }
    // `as` saturates beyond u64::MAX.
    SimDuration::from_ns(ns as u64)
}

/// The storage system and the writes in flight on it.
#[derive(Clone, Debug)]
pub struct SharedStorage {
    /// Aggregate bandwidth, bytes per ns.
    aggregate: f64,
    /// Client bandwidth per node, bytes per ns.
    per_node: f64,
    /// In start order.
    writers: Vec<Writer>,
    /// Scratch for water-filling: writer indices by cap.
    by_cap: Vec<usize>,
    /// Progress is integrated up to here.
    since: SimTime,
}

impl SharedStorage {
    pub fn new(spec: StorageSpec) -> Self {
        SharedStorage {
            aggregate: spec.aggregate.bytes_per_s_f64() / NS_PER_SEC_F64,
            per_node: spec.per_node.bytes_per_s_f64() / NS_PER_SEC_F64,
            writers: Vec::new(),
            by_cap: Vec::new(),
            since: SimTime::ZERO,
        }
    }

    /// Starts writing `bytes` from `nodes` nodes, known by `tag` (unique
    /// among the writers in flight). Zero bytes finish at `now`.
    pub fn start(&mut self, now: SimTime, tag: u64, bytes: Bytes, nodes: u32) {
        debug_assert!(
            self.writers.iter().all(|w| w.tag != tag),
            "tag {tag} is already writing"
        );
        self.advance(now);
        self.writers.push(Writer {
            tag,
            remaining: bytes.as_u64() as f64,
            cap: f64::from(nodes) * self.per_node,
            rate: 0.0,
        });
        self.share();
    }

    /// Stops the write known by `tag` (its job failed or was killed);
    /// false if there is none.
    pub fn cancel(&mut self, now: SimTime, tag: u64) -> bool {
        let Some(index) = self.writers.iter().position(|w| w.tag == tag) else {
            return false;
        };
        self.advance(now);
        self.writers.remove(index);
        self.share();
        true
    }

    /// The earliest time a writer finishes, if any writer makes progress.
    /// Ask again after every `start`, `cancel` and `finish_due`: each may
    /// move it.
    pub fn next_completion(&self) -> Option<SimTime> {
        self.writers
            .iter()
            .filter_map(|w| w.finish(self.since))
            .min()
    }

    /// Removes the writers done by `now` and appends their tags to `out`
    /// in start order. Leaves the others' progress as it was if none is
    /// done.
    pub fn finish_due(&mut self, now: SimTime, out: &mut Vec<u64>) {
        let since = self.since;
        let mut any = false;
        for w in &mut self.writers {
            // Decided on the state as of the last change, as
            // next_completion was.
            if w.finish(since).is_some_and(|t| t <= now) {
                w.remaining = 0.0;
                w.rate = 0.0;
                any = true;
            }
        }
        if !any {
            return;
        }
        self.advance(now);
        self.writers.retain(|w| {
            // A writer whose last bytes went by `now` in the integration
            // is done too.
            let done = w.remaining <= 0.0;
            if done {
                out.push(w.tag);
            }
            !done
        });
        self.share();
    }

    /// Writes in flight.
    pub fn writers(&self) -> usize {
        self.writers.len()
    }

    /// Integrates every writer's progress from `since` to `now`.
    fn advance(&mut self, now: SimTime) {
        let elapsed = now.saturating_since(self.since).as_ns() as f64;
        if elapsed > 0.0 {
            for w in &mut self.writers {
                w.remaining = (w.remaining - w.rate * elapsed).max(0.0);
            }
        }
        self.since = self.since.max(now);
    }

    /// Max-min fair rates under the aggregate by water-filling: writers in
    /// order of cap each take the smaller of their cap and an equal split
    /// of what the ones before left.
    fn share(&mut self) {
        let writers = &mut self.writers;
        self.by_cap.clear();
        self.by_cap.extend(0..writers.len());
        self.by_cap
            .sort_unstable_by(|&a, &b| writers[a].cap.total_cmp(&writers[b].cap).then(a.cmp(&b)));
        let mut left = self.aggregate;
        let mut count = writers.len();
        for &i in &self.by_cap {
            let rate = writers[i].cap.min(left / count as f64);
            writers[i].rate = rate;
            left = (left - rate).max(0.0);
            count -= 1;
        }
    }
}

/// Time to write `bytes` from `nodes` nodes with nothing else writing:
/// at the smaller of the aggregate and nodes × per-node, rounded up to the
/// nanosecond (the δ of Young's and Daly's intervals). Never, with no
/// nodes: [`SimDuration::MAX`].
pub fn uncontended_write_time(spec: StorageSpec, bytes: Bytes, nodes: u32) -> SimDuration {
    let rate = (spec.per_node.bytes_per_s_f64() * f64::from(nodes))
        .min(spec.aggregate.bytes_per_s_f64())
        / NS_PER_SEC_F64;
    if bytes.as_u64() == 0 {
        return SimDuration::ZERO;
    }
    if rate <= 0.0 {
        return SimDuration::MAX;
    }
    ns_to_write(bytes.as_u64() as f64, rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Bandwidth;
    use proptest::prelude::*;

    const GB: u64 = 1_000_000_000;

    /// 100 GB/s aggregate, 10 GB/s per node.
    fn spec() -> StorageSpec {
        StorageSpec {
            aggregate: Bandwidth::gbytes_per_s(100),
            per_node: Bandwidth::gbytes_per_s(10),
            snapshot_per_node: Bandwidth::gbytes_per_s(50),
        }
    }

    fn at_ms(ms: u64) -> SimTime {
        SimTime::from_ns(ms * 1_000_000)
    }

    /// Finishes everything due at `next_completion` until none is left:
    /// (time, tags) per completion.
    fn drain(storage: &mut SharedStorage) -> Vec<(SimTime, Vec<u64>)> {
        let mut done = Vec::new();
        while let Some(t) = storage.next_completion() {
            let mut out = Vec::new();
            storage.finish_due(t, &mut out);
            assert!(!out.is_empty(), "nothing finished at {t:?}");
            done.push((t, out));
        }
        done
    }

    #[test]
    fn one_writer_runs_at_its_client_cap() {
        // 80 GB from 4 nodes at 4 × 10 GB/s: 2 s.
        let mut s = SharedStorage::new(spec());
        s.start(SimTime::ZERO, 1, Bytes(80 * GB), 4);
        assert_eq!(s.next_completion(), Some(at_ms(2000)));
        let mut out = Vec::new();
        s.finish_due(at_ms(1999), &mut out);
        assert!(out.is_empty());
        assert_eq!(s.writers(), 1);
        s.finish_due(at_ms(2000), &mut out);
        assert_eq!(out, vec![1]);
        assert_eq!(s.writers(), 0);
        assert_eq!(s.next_completion(), None);
        assert_eq!(
            uncontended_write_time(spec(), Bytes(80 * GB), 4),
            SimDuration::from_secs(2)
        );
    }

    #[test]
    fn two_writers_share_the_aggregate() {
        // Both could write at 100 GB/s (10 nodes); they get 50 each. B's
        // 50 GB are done at 1 s; A has written 50 of its 100 GB and writes
        // the rest alone at 100 GB/s: 1.5 s.
        let mut s = SharedStorage::new(spec());
        s.start(SimTime::ZERO, 10, Bytes(100 * GB), 10);
        s.start(SimTime::ZERO, 20, Bytes(50 * GB), 10);
        assert_eq!(
            drain(&mut s),
            vec![(at_ms(1000), vec![20]), (at_ms(1500), vec![10])]
        );
    }

    #[test]
    fn a_capped_writer_leaves_the_rest_to_the_other() {
        // A (2 nodes) is capped at 20 GB/s, below the fair 50; B gets the
        // other 80. A's 40 GB end at 2 s; B has 240 − 160 = 80 GB left and
        // the whole 100 GB/s: 2.8 s.
        let mut s = SharedStorage::new(spec());
        s.start(SimTime::ZERO, 1, Bytes(40 * GB), 2);
        s.start(SimTime::ZERO, 2, Bytes(240 * GB), 20);
        assert_eq!(
            drain(&mut s),
            vec![(at_ms(2000), vec![1]), (at_ms(2800), vec![2])]
        );
        // Alone, 20 nodes are limited by the aggregate: 80 GB in 0.8 s.
        assert_eq!(
            uncontended_write_time(spec(), Bytes(80 * GB), 20),
            SimDuration::from_ns(800_000_000)
        );
    }

    #[test]
    fn a_late_start_slows_the_writer_already_there() {
        // A writes 150 GB alone at 100 GB/s; at 1 s (50 GB left) B starts
        // 25 GB and both get 50: B ends at 1.5 s, A then has 25 GB left at
        // 100 GB/s: 1.75 s.
        let mut s = SharedStorage::new(spec());
        s.start(SimTime::ZERO, 1, Bytes(150 * GB), 10);
        assert_eq!(s.next_completion(), Some(at_ms(1500)));
        s.start(at_ms(1000), 2, Bytes(25 * GB), 10);
        assert_eq!(
            drain(&mut s),
            vec![(at_ms(1500), vec![2]), (at_ms(1750), vec![1])]
        );
    }

    #[test]
    fn cancel_gives_the_bandwidth_back() {
        // As in the two-writer case, but B is cancelled at 0.5 s: A has
        // written 25 GB and writes its 75 left at 100 GB/s: 1.25 s.
        let mut s = SharedStorage::new(spec());
        s.start(SimTime::ZERO, 10, Bytes(100 * GB), 10);
        s.start(SimTime::ZERO, 20, Bytes(50 * GB), 10);
        assert!(s.cancel(at_ms(500), 20));
        assert!(!s.cancel(at_ms(500), 20));
        assert!(!s.cancel(at_ms(500), 99));
        assert_eq!(s.writers(), 1);
        assert_eq!(drain(&mut s), vec![(at_ms(1250), vec![10])]);
    }

    #[test]
    fn completions_round_up_and_come_in_start_order() {
        // 3 bytes per ns per node (24 Gbit/s): 10 bytes take 3.33 ns, so
        // 4 ns, never 3.
        let slow = StorageSpec {
            aggregate: Bandwidth::gbytes_per_s(100),
            per_node: Bandwidth::from_bits_per_s(24 * GB),
            snapshot_per_node: Bandwidth::gbytes_per_s(1),
        };
        let mut s = SharedStorage::new(slow);
        s.start(SimTime::ZERO, 7, Bytes(10), 1);
        s.start(SimTime::ZERO, 5, Bytes(10), 1);
        s.start(SimTime::ZERO, 6, Bytes(0), 1);
        // Zero bytes are done at once.
        assert_eq!(s.next_completion(), Some(SimTime::ZERO));
        let mut out = Vec::new();
        s.finish_due(SimTime::ZERO, &mut out);
        assert_eq!(out, vec![6]);
        assert_eq!(s.next_completion(), Some(SimTime::from_ns(4)));
        s.finish_due(SimTime::from_ns(3), &mut out);
        assert_eq!(out, vec![6]);
        s.finish_due(SimTime::from_ns(4), &mut out);
        assert_eq!(out, vec![6, 7, 5]);
        assert_eq!(
            uncontended_write_time(slow, Bytes(10), 1),
            SimDuration::from_ns(4)
        );
        assert_eq!(uncontended_write_time(slow, Bytes(10), 0), SimDuration::MAX);
    }

    proptest! {
        /// Max-min fairness after any sequence of starts: no writer above
        /// its cap, the aggregate never exceeded, and a writer below its
        /// cap gets at least every other writer's rate (the aggregate is
        /// then used up). Every writer finishes, exactly once, and none
        /// before its bytes could have been written alone.
        #[test]
        fn rates_are_max_min_fair_and_every_writer_finishes(
            starts in proptest::collection::vec((0u64..2_000, 0u64..400, 1u32..30), 1..12)
        ) {
            let mut s = SharedStorage::new(spec());
            let mut t = SimTime::ZERO;
            let mut finished: Vec<(u64, SimTime)> = Vec::new();
            let mut finish_at = |s: &mut SharedStorage, at: SimTime| {
                let mut out = Vec::new();
                s.finish_due(at, &mut out);
                finished.extend(out.into_iter().map(|tag| (tag, at)));
            };
            let mut alone_done = Vec::new();
            for (tag, &(gap_ms, gb, nodes)) in starts.iter().enumerate() {
                let next = t + SimDuration::from_ns(gap_ms * 1_000_000);
                while let Some(done) = s.next_completion().filter(|&d| d <= next) {
                    finish_at(&mut s, done);
                }
                t = next;
                s.start(t, tag as u64, Bytes(gb * GB), nodes);
                alone_done.push(t + uncontended_write_time(spec(), Bytes(gb * GB), nodes));
                let total: f64 = s.writers.iter().map(|w| w.rate).sum();
                prop_assert!(total <= s.aggregate * (1.0 + 1e-12));
                let max = s.writers.iter().map(|w| w.rate).fold(0.0, f64::max);
                for w in &s.writers {
                    prop_assert!(w.rate <= w.cap);
                    if w.rate < w.cap {
                        prop_assert!(w.rate >= max * (1.0 - 1e-12));
                        prop_assert!(total >= s.aggregate * (1.0 - 1e-12));
                    }
                }
            }
            while let Some(done) = s.next_completion() {
                finish_at(&mut s, done);
            }
            finished.sort_unstable();
            let tags: Vec<u64> = finished.iter().map(|&(tag, _)| tag).collect();
            prop_assert_eq!(tags, (0..starts.len() as u64).collect::<Vec<_>>());
            for &(tag, at) in &finished {
                // Alone it would have been done by `alone_done`, give or
                // take the nanosecond each rate change may round up.
                let earliest = alone_done[tag as usize].as_ns().saturating_sub(2 * starts.len() as u64);
                prop_assert!(at.as_ns() >= earliest, "tag {} done at {:?}", tag, at);
            }
        }
    }
}
