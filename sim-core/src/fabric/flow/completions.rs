//! The flow model's completion queue: `(finish_ns, slot, version)` entries
//! popped least first, as a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan,
//! "Faster algorithms for the shortest path problem", JACM 1990).
//!
//! Finish times never precede the last one taken out (a flow finishes at
//! or after the instant its rate was set, and time only moves forward), so
//! the queue is *monotone*: an entry lives in the bucket of the highest bit
//! in which its key differs from the last key taken out, and it only ever
//! moves to lower buckets. A push is an append; taking the least key out
//! empties one bucket into lower ones. A binary heap paid a sift through
//! every level per entry, and the flow-fidelity training day pushes and
//! pops hundreds of millions of them.
//!
//! Invariants:
//! - entries come out in the order of `(finish_ns, slot, version)`, exactly
//!   as from a binary min-heap of those triples (so runs do not depend on
//!   which queue holds them);
//! - bucket 0 holds the entries whose key equals `last`, sorted so that
//!   the least comes last;
//! - a push below `last` (never made by the flow model, but allowed) puts
//!   every entry back relative to the new, lower `last`;
//! - no allocation beyond the buckets' high-water marks.

/// One entry: when, which slot, which version of it.
pub(super) type Entry = (u64, u32, u32);

/// Bucket `b > 0` holds keys whose highest bit differing from `last` is
/// bit `b - 1`.
const BUCKETS: usize = 65;

#[derive(Clone, Debug)]
pub(super) struct Completions {
    last: u64,
    buckets: Vec<Vec<Entry>>,
    len: usize,
    /// Scratch for a rebase.
    moving: Vec<Entry>,
}

impl Default for Completions {
    fn default() -> Self {
        Completions {
            last: 0,
            buckets: vec![Vec::new(); BUCKETS],
            len: 0,
            moving: Vec::new(),
        }
    }
}

impl Completions {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn bucket_of(&self, key: u64) -> usize {
        (u64::BITS - (key ^ self.last).leading_zeros()) as usize
    }

    pub(super) fn push(&mut self, entry: Entry) {
        if entry.0 < self.last {
            self.rebase(entry.0);
        }
        let b = self.bucket_of(entry.0);
        if b == 0 {
            // Keep bucket 0 sorted, least last.
            let zero = &mut self.buckets[0];
            let at = zero.partition_point(|e| *e > entry);
            zero.insert(at, entry);
        } else {
            self.buckets[b].push(entry);
        }
        self.len += 1;
    }

    /// The least entry, without taking it out.
    pub(super) fn peek(&mut self) -> Option<Entry> {
        if self.buckets[0].is_empty() && !self.refill() {
            return None;
        }
        self.buckets[0].last().copied()
    }

    /// Takes the least entry out.
    pub(super) fn pop(&mut self) -> Option<Entry> {
        if self.buckets[0].is_empty() && !self.refill() {
            return None;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }

    pub(super) fn clear(&mut self) {
        self.buckets.iter_mut().for_each(Vec::clear);
        self.len = 0;
    }

    /// Keeps the entries `keep` accepts (order kept).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        for bucket in &mut self.buckets {
            bucket.retain(&mut keep);
        }
        self.len = self.buckets.iter().map(Vec::len).sum();
    }

    /// Bucket 0 is empty: moves the least key's bucket down. Returns false
    /// when the queue is empty.
    fn refill(&mut self) -> bool {
        let Some(b) = (1..BUCKETS).find(|&b| !self.buckets[b].is_empty()) else {
            return false;
        };
        let mut bucket = std::mem::take(&mut self.buckets[b]);
        self.last = bucket.iter().map(|e| e.0).min().expect("not empty");
        for e in bucket.drain(..) {
            let to = self.bucket_of(e.0);
            debug_assert!(to < b, "entries only move down");
            self.buckets[to].push(e);
        }
        self.buckets[b] = bucket;
        self.buckets[0].sort_unstable_by(|a, b| b.cmp(a));
        true
    }

    /// A key below `last` arrives: every entry is placed again relative to
    /// it.
    fn rebase(&mut self, key: u64) {
        let mut moving = std::mem::take(&mut self.moving);
        for bucket in &mut self.buckets {
            moving.append(bucket);
        }
        self.last = key;
        for e in moving.drain(..) {
            let b = self.bucket_of(e.0);
            self.buckets[b].push(e);
        }
        self.buckets[0].sort_unstable_by(|a, b| b.cmp(a));
        self.moving = moving;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    proptest! {
        /// Any mix of pushes (mostly at or after the last key taken out,
        /// sometimes before), peeks, pops and retains gives what a binary
        /// min-heap of the same triples gives.
        #[test]
        fn comes_out_as_a_binary_heap_would(
            ops in proptest::collection::vec((0u8..10, 0u64..40, 0u32..6, 0u32..3), 1..300),
        ) {
            let mut radix = Completions::default();
            let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
            let mut now = 0u64;
            for (op, dt, slot, version) in ops {
                match op {
                    0..=4 => {
                        // Mostly ahead of time, now and then behind it.
                        let key = if op == 4 { now.saturating_sub(dt) } else { now + dt * dt };
                        radix.push((key, slot, version));
                        heap.push(Reverse((key, slot, version)));
                    }
                    5 | 6 => {
                        let got = radix.pop();
                        prop_assert_eq!(got, heap.pop().map(|Reverse(e)| e));
                        if let Some(e) = got {
                            now = now.max(e.0);
                        }
                    }
                    7 => prop_assert_eq!(radix.peek(), heap.peek().map(|Reverse(e)| *e)),
                    _ => {
                        radix.retain(|e| e.2 != version);
                        heap.retain(|Reverse(e)| e.2 != version);
                    }
                }
                prop_assert_eq!(radix.len(), heap.len());
            }
            while let Some(Reverse(e)) = heap.pop() {
                prop_assert_eq!(radix.pop(), Some(e));
            }
            prop_assert_eq!(radix.pop(), None);
        }
    }

    #[test]
    fn equal_times_come_out_by_slot_then_version() {
        let mut q = Completions::default();
        for e in [(5, 3, 0), (5, 1, 2), (9, 0, 0), (5, 1, 1), (2, 7, 0)] {
            q.push(e);
        }
        let out: Vec<Entry> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(out, [(2, 7, 0), (5, 1, 1), (5, 1, 2), (5, 3, 0), (9, 0, 0)]);
    }
}
