#!/usr/bin/env python3
"""Sanity checks on a per-job CSV written by accasim_replay.py --per-job.

    python3 check_schedule.py PER_JOB.csv PROCS [--fifo]

Checks: start >= submit; processors in use never exceed PROCS; with --fifo,
jobs start in submission order (ties broken by job id, as in the SWF file).
Also counts, for an EASY run, how many jobs started out of FCFS order.
"""
import csv
import sys


def main():
    path, procs = sys.argv[1], int(sys.argv[2])
    fifo = '--fifo' in sys.argv
    jobs = []
    with open(path) as f:
        for r in csv.DictReader(f):
            jobs.append((int(r['id']), int(r['submit']), int(r['start']), int(r['end']), int(r['procs'])))
    bad_start = sum(1 for j in jobs if j[2] < j[1])
    # capacity: releases before starts at the same instant (as AccaSim does)
    ev = []
    for (_i, _s, st, en, p) in jobs:
        if en > st:
            ev.append((st, 1, p))
            ev.append((en, 0, -p))
    ev.sort()
    use = peak = 0
    over = 0
    for (_t, _k, d) in ev:
        use += d
        peak = max(peak, use)
        if use > procs:
            over += 1
    order = sorted(jobs, key=lambda j: (j[1], j[0]))
    out_of_order = sum(1 for a, b in zip(order, order[1:]) if b[2] < a[2])
    print('jobs {} start<submit {} peak_procs {} / {} over_capacity_events {} '
          'starts_out_of_FCFS_order {}'.format(len(jobs), bad_start, peak, procs, over, out_of_order))
    ok = bad_start == 0 and over == 0 and (not fifo or out_of_order == 0)
    print('OK' if ok else 'FAIL')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
