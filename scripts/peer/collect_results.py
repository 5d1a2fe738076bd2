#!/usr/bin/env python3
"""Merge the per-run JSON files written by accasim_replay.py into one file
and print a Markdown table.

    python3 collect_results.py OUT.json RUN1.json RUN2.json ...
"""
import json
import sys


def main():
    out, runs = sys.argv[1], sys.argv[2:]
    rows = []
    for p in runs:
        with open(p) as f:
            rows.append(json.load(f))
    with open(out, 'w') as f:
        json.dump({'runs': rows}, f, indent=2)
    print('| trace | procs | dispatcher | jobs | mean wait (s) | mean bounded slowdown | utilization | sim wall (s) | total wall (s) | finished |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print('| {} | {} | {} | {} | {:.1f} | {:.2f} | {:.4f} | {:.1f} | {:.1f} | {} |'.format(
            r['trace'], r['procs'], r['dispatcher'], r['jobs'], r['mean_wait_s'],
            r['mean_bounded_slowdown'], r['utilization'], r['sim_wall_s'], r['total_wall_s'],
            'yes' if r['finished_all'] else 'NO ({} of {} jobs)'.format(r['completed'], r['filter']['kept'])))


if __name__ == '__main__':
    main()
