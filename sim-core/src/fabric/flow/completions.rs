//! The flows' scheduled completions: an indexed 4-ary min-heap of
//! `(finish_ns, slot)`, at most one entry per flow slot.
//!
//! A flow whose finish time changes is moved in place (sifted up or down
//! from where it sits, found through `pos`), and a flow that ends or
//! stalls is taken out, so no stale entry is ever left behind for the pops
//! to skip. (The model used to push a new entry per change and skip the
//! stale ones: on the flow-fidelity training day, with every flow of a
//! step completing, that heap's pops were a quarter of the run.)
//!
//! Invariants:
//! - `pos[s]` is the index of slot `s`'s entry in `heap`, or [`ABSENT`];
//! - keys are unique (one entry per slot), so the order of pops is the
//!   total order of `(finish_ns, slot)` whatever the heap's shape: it does
//!   not depend on the order of the updates;
//! - no allocation once `pos` covers every slot and `heap` has held its
//!   largest size.

const ABSENT: u32 = u32::MAX;
const ARITY: usize = 4;

#[derive(Clone, Debug, Default)]
pub(super) struct Completions {
    heap: Vec<(u64, u32)>,
    pos: Vec<u32>,
}

impl Completions {
    /// Entries in the heap: flows with a finite finish time.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    /// The earliest `(finish_ns, slot)`.
    pub(super) fn peek(&self) -> Option<(u64, u32)> {
        self.heap.first().copied()
    }

    /// Schedules slot `slot` to finish at `finish_ns`, moving its entry if
    /// it has one.
    pub(super) fn set(&mut self, slot: u32, finish_ns: u64) {
        let s = slot as usize;
        if s >= self.pos.len() {
            self.pos.resize(s + 1, ABSENT);
        }
        let at = self.pos[s];
        if at == ABSENT {
            self.heap.push((finish_ns, slot));
            self.sift_up(self.heap.len() - 1);
            return;
        }
        let at = at as usize;
        let old = self.heap[at].0;
        self.heap[at].0 = finish_ns;
        if finish_ns < old {
            self.sift_up(at);
        } else {
            self.sift_down(at);
        }
    }

    /// Takes slot `slot`'s entry out, if it has one.
    pub(super) fn remove(&mut self, slot: u32) {
        let s = slot as usize;
        let Some(&at) = self.pos.get(s) else {
            return;
        };
        if at == ABSENT {
            return;
        }
        let at = at as usize;
        self.pos[s] = ABSENT;
        let last = self.heap.pop().expect("an entry is in the heap");
        if at < self.heap.len() {
            // The last entry fills the hole, then finds its place.
            self.heap[at] = last;
            self.pos[last.1 as usize] = at as u32;
            if at > 0 && last < self.heap[(at - 1) / ARITY] {
                self.sift_up(at);
            } else {
                self.sift_down(at);
            }
        }
    }

    fn sift_up(&mut self, mut at: usize) {
        let entry = self.heap[at];
        while at > 0 {
            let parent = (at - 1) / ARITY;
            let p = self.heap[parent];
            if p <= entry {
                break;
            }
            self.heap[at] = p;
            self.pos[p.1 as usize] = at as u32;
            at = parent;
        }
        self.heap[at] = entry;
        self.pos[entry.1 as usize] = at as u32;
    }

    fn sift_down(&mut self, mut at: usize) {
        let entry = self.heap[at];
        let n = self.heap.len();
        loop {
            let first = at * ARITY + 1;
            if first >= n {
                break;
            }
            let mut best = first;
            for c in first + 1..(first + ARITY).min(n) {
                if self.heap[c] < self.heap[best] {
                    best = c;
                }
            }
            let b = self.heap[best];
            if entry <= b {
                break;
            }
            self.heap[at] = b;
            self.pos[b.1 as usize] = at as u32;
            at = best;
        }
        self.heap[at] = entry;
        self.pos[entry.1 as usize] = at as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pops everything, checking `pos` on the way.
    fn drain(c: &mut Completions) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        while let Some(top) = c.peek() {
            for (i, e) in c.heap.iter().enumerate() {
                assert_eq!(c.pos[e.1 as usize], i as u32);
            }
            c.remove(top.1);
            out.push(top);
        }
        out
    }

    #[test]
    fn pops_in_finish_then_slot_order_after_moves_and_removals() {
        let mut c = Completions::default();
        // Slot s finishes at (s * 7) % 11, some twice moved, some removed.
        for s in 0..40u32 {
            c.set(s, u64::from((s * 7) % 11));
        }
        for s in (0..40u32).step_by(3) {
            c.set(s, u64::from(s % 5) + 3);
        }
        for s in (0..40u32).step_by(4) {
            c.remove(s);
        }
        c.remove(1000);
        let mut want: Vec<(u64, u32)> = (0..40u32)
            .filter(|s| s % 4 != 0)
            .map(|s| {
                let f = if s % 3 == 0 { s % 5 + 3 } else { (s * 7) % 11 };
                (u64::from(f), s)
            })
            .collect();
        want.sort_unstable();
        assert_eq!(c.len(), want.len());
        assert_eq!(drain(&mut c), want);
        assert_eq!(c.len(), 0);
    }
}
