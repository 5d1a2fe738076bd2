//! Slurm's backfill map of the future (`node_space_map_t` in
//! `src/plugins/sched/backfill/backfill.c`, Slurm 22.05): which nodes are
//! free of pending jobs' reservations over each interval of the backfill
//! window.
//!
//! The map is a sequence of contiguous records `[begin, end)`, each with a
//! bit set of the nodes no reservation holds during it. A cycle starts with
//! one record over `[now, now + bf_window)` (both rounded down to
//! `bf_resolution`) holding every node. Running jobs are not in it (with
//! Slurm's default, `bf_running_job_reserve` off, they are accounted for by
//! the select plugin's `_will_run_test`, per GPU). A reservation removes
//! its *whole nodes* from every record it covers (`_add_reservation`), even
//! when the job takes one GPU of an 8-GPU node: that is how Slurm's
//! backfill holds nodes for pending jobs.
//!
//! Invariants:
//! - record begin times are strictly increasing; the last record ends at
//!   the window's end; no record is empty;
//! - bits past the cluster's last node are zero;
//! - nothing allocates once the vectors have grown to the largest map
//!   seen (records are inserted by rotating within capacity).

use crate::engine::{SimDuration, SimTime};

/// The node-space map of one backfill cycle.
#[derive(Clone, Debug, Default)]
pub(super) struct NodeSpace {
    /// Words per node bit set (64 nodes a word).
    words: usize,
    /// Begin of each record; record `k` ends where `k + 1` begins.
    begins: Vec<SimTime>,
    /// End of the last record: the end of the backfill window.
    window_end: SimTime,
    /// The free-node bit sets, record after record.
    avail: Vec<u64>,
    /// Records inserted this cycle. Slurm counts them without ever
    /// subtracting merged ones and ends the cycle when the count reaches
    /// `bf_node_space_size` (default `bf_max_job_test`).
    inserted: u32,
}

/// Whether node `n` is in the bit set `bits`.
pub(super) fn has(bits: &[u64], n: usize) -> bool {
    bits[n / 64] & (1 << (n % 64)) != 0
}

/// Adds node `n` to the bit set `bits`.
pub(super) fn add(bits: &mut [u64], n: usize) {
    bits[n / 64] |= 1 << (n % 64);
}

impl NodeSpace {
    /// Starts a cycle's map: one record over `[begin, window_end)` with
    /// the first `nodes` nodes free.
    pub fn begin(&mut self, begin: SimTime, window_end: SimTime, nodes: usize) {
        self.words = nodes.div_ceil(64);
        self.begins.clear();
        self.begins.push(begin);
        self.window_end = window_end.max(begin);
        self.avail.clear();
        self.avail.resize(self.words, 0);
        for n in 0..nodes {
            add(&mut self.avail, n);
        }
        self.inserted = 1;
    }

    /// Records inserted this cycle (the first included).
    pub fn inserted(&self) -> u32 {
        self.inserted
    }

    fn records(&self) -> usize {
        self.begins.len()
    }

    fn end_of(&self, k: usize) -> SimTime {
        self.begins.get(k + 1).copied().unwrap_or(self.window_end)
    }

    fn bits(&self, k: usize) -> &[u64] {
        &self.avail[k * self.words..(k + 1) * self.words]
    }

    /// The nodes of `part` that no reservation holds at any time in
    /// `[start, end]`, written to `out`, and the "later start": the end
    /// of the first record after `start` past which more of `part`'s
    /// nodes are free than were so far, if any. This is the loop over
    /// `node_space` in `_attempt_backfill` that narrows `avail_bitmap`
    /// and sets `later_start` (a record counts when it ends after
    /// `start` and begins at or before `end`, both inclusive as there).
    pub fn usable(
        &self,
        start: SimTime,
        end: SimTime,
        part: &[u64],
        out: &mut Vec<u64>,
    ) -> Option<SimTime> {
        out.clear();
        out.extend_from_slice(part);
        let mut later = None;
        // Records ending at or before `start` change nothing: skip them.
        let first = self
            .begins
            .partition_point(|&b| b <= start)
            .saturating_sub(1);
        for k in first..self.records() {
            let record_end = self.end_of(k);
            if record_end > start && k + 1 < self.records() && later.is_none() {
                // Is part ∩ next a subset of out ∩ this record?
                let next = self.bits(k + 1);
                let this = self.bits(k);
                let gains = (0..self.words).any(|w| part[w] & next[w] & !(out[w] & this[w]) != 0);
                if gains {
                    later = Some(record_end);
                }
            }
            if record_end <= start {
                continue;
            }
            if self.begins[k] > end {
                break;
            }
            for (o, &a) in out.iter_mut().zip(self.bits(k)) {
                *o &= a;
            }
        }
        later
    }

    /// Whether a job on the nodes of `nodes` over `[start, end)` would use
    /// a node some reservation holds then (`_test_resv_overlap`).
    pub fn overlaps(&self, nodes: &[u64], start: SimTime, end: SimTime) -> bool {
        (0..self.records()).any(|k| {
            self.end_of(k) > start
                && self.begins[k] < end
                && (0..self.words).any(|w| nodes[w] & !self.bits(k)[w] != 0)
        })
    }

    /// Reserves the nodes of `nodes` over `[start, end)`
    /// (`_add_reservation`): the start is moved to the map's beginning if
    /// earlier, the reservation lasts at least `resolution`, records are
    /// split at its ends, and its nodes are removed from every record in
    /// between.
    pub fn reserve(
        &mut self,
        start: SimTime,
        end: SimTime,
        nodes: &[u64],
        resolution: SimDuration,
    ) {
        let start = start.max(self.begins[0]);
        let end = end.max(start + resolution);
        if start >= self.window_end {
            return;
        }
        let mut k = self.split_at(start);
        if end < self.window_end {
            self.split_at(end);
        }
        while k < self.records() && self.begins[k] < end {
            let w = self.words;
            for (a, &n) in self.avail[k * w..(k + 1) * w].iter_mut().zip(nodes) {
                *a &= !n;
            }
            k += 1;
        }
    }

    /// Makes `at` (inside the map) the beginning of a record; returns it.
    fn split_at(&mut self, at: SimTime) -> usize {
        let k = self.begins.partition_point(|&b| b <= at) - 1;
        if self.begins[k] == at {
            return k;
        }
        self.begins.insert(k + 1, at);
        let w = self.words;
        self.avail.extend_from_within(k * w..(k + 1) * w);
        self.avail[(k + 1) * w..].rotate_right(w);
        self.inserted += 1;
        k + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    const RES: SimDuration = SimDuration::from_secs(60);

    #[test]
    fn a_reservation_removes_its_whole_nodes_over_its_interval() {
        // Four nodes, window [0, 600). Reserve node 1 over [120, 300).
        let mut map = NodeSpace::default();
        map.begin(t(0), t(600), 4);
        map.reserve(t(120), t(300), &[0b0010], RES);
        let all = [0b1111];
        let mut out = Vec::new();
        // A job over [0, 119] misses the reservation; more nodes than it
        // saw through [120, 300) come free at 300.
        assert_eq!(map.usable(t(0), t(119), &all, &mut out), Some(t(300)));
        assert_eq!(out, [0b1111]);
        // Over [0, 120]: the record beginning at 120 counts (inclusive),
        // as in `_attempt_backfill`.
        map.usable(t(0), t(120), &all, &mut out);
        assert_eq!(out, [0b1101]);
        // From 300 on node 1 is back.
        map.usable(t(300), t(500), &all, &mut out);
        assert_eq!(out, [0b1111]);
        assert!(map.overlaps(&[0b0010], t(0), t(121)));
        assert!(!map.overlaps(&[0b0010], t(0), t(120)));
        assert!(!map.overlaps(&[0b0101], t(0), t(600)));
        assert_eq!(map.inserted(), 3);
    }

    #[test]
    fn the_later_start_is_where_more_nodes_come_free() {
        // Node 0 reserved over [0, 180), node 1 over [0, 360).
        let mut map = NodeSpace::default();
        map.begin(t(0), t(600), 2);
        map.reserve(t(0), t(180), &[0b01], RES);
        map.reserve(t(0), t(360), &[0b10], RES);
        let mut out = Vec::new();
        assert_eq!(map.usable(t(0), t(100), &[0b11], &mut out), Some(t(180)));
        assert_eq!(out, [0b00]);
        // A job allowed only node 1 sees nothing new at 180.
        assert_eq!(map.usable(t(0), t(100), &[0b10], &mut out), Some(t(360)));
        // A reservation shorter than the resolution lasts one resolution.
        map.reserve(t(400), t(410), &[0b01], RES);
        assert!(map.overlaps(&[0b01], t(450), t(455)));
    }
}
