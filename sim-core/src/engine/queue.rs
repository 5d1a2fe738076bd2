//! The pending-event set: a binary min-heap of small plain structs.
//!
//! Invariants:
//! - Events come out in ascending `(time, seq)` order. `seq` is a counter
//!   stamped at insertion, so events scheduled for the same instant come out
//!   in the order they were scheduled (FIFO tie-breaking). Nothing else, and
//!   in particular no hash or address, decides the order.
//! - Payloads are `Copy` and meant to be a few machine words, so a push or a
//!   pop moves a handful of bytes and never allocates once the heap has grown
//!   to its working size.
//! - Cancellation is not supported here on purpose: a model that needs it
//!   stamps its payloads with a generation number and ignores stale ones when
//!   they pop, which is cheaper than removing from the middle of a heap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// An event taken off the queue.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Scheduled<E> {
    pub time: SimTime,
    /// Insertion order; unique per queue.
    pub seq: u64,
    pub payload: E,
}

struct Entry<E> {
    time: SimTime,
    seq: u64,
    payload: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Future events ordered by `(time, insertion sequence)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// Pre-sizes the heap so that a run with up to `capacity` pending events
    /// never reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Adds an event; returns its sequence number.
    pub fn push(&mut self, time: SimTime, payload: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, payload });
        seq
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        self.heap.pop().map(|e| Scheduled {
            time: e.time,
            seq: e.seq,
            payload: e.payload,
        })
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn earlier_time_first_regardless_of_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_ns(30), 'c');
        q.push(SimTime::from_ns(10), 'a');
        q.push(SimTime::from_ns(20), 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|e| e.payload)).collect();
        assert_eq!(order, ['a', 'b', 'c']);
    }

    #[test]
    fn equal_times_come_out_in_insertion_order() {
        let mut q = EventQueue::new();
        let t = SimTime::from_ns(5);
        for payload in 0..100u32 {
            q.push(t, payload);
        }
        // An earlier event inserted last still jumps the whole tie group.
        q.push(SimTime::from_ns(4), 999);
        assert_eq!(q.pop().unwrap().payload, 999);
        for expected in 0..100u32 {
            let e = q.pop().unwrap();
            assert_eq!((e.time, e.payload), (t, expected));
        }
        assert!(q.pop().is_none());
    }

    proptest! {
        /// Whatever the insertion pattern, pops are sorted by (time, seq),
        /// i.e. a stable sort of the input by time.
        #[test]
        fn pops_are_a_stable_sort_by_time(times in proptest::collection::vec(0u64..50, 0..300)) {
            let mut q = EventQueue::new();
            for (i, &t) in times.iter().enumerate() {
                q.push(SimTime::from_ns(t), i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort_by_key(|&(t, _)| t); // stable: ties keep insertion order
            let got: Vec<(u64, usize)> = std::iter::from_fn(|| q.pop())
                .map(|e| (e.time.as_ns(), e.payload))
                .collect();
            prop_assert_eq!(got, expected);
        }
    }
}
