#!/usr/bin/env python3
"""A ~100-line re-statement of what AccaSim 1.1.3's FirstInFirstOut and
EASYBackfilling (with FirstFit on a pool of PROCS processors) actually do,
written from reading its source (see README.md, "How AccaSim's EASY
differs"). It is used only to check that reading: on the filtered SWF that
accasim_replay.py writes, it must reproduce AccaSim's per-job start times
exactly.

    python3 accasim_semantics_model.py FILTERED.swf PROCS fifo|easy OUT.csv
    cmp <(tail -n +2 OUT.csv) <(tail -n +2 ACCASIM_PER_JOB.csv)

FILTERED.swf is /tmp/peer/<trace>-p<PROCS>-filtered.swf (fields 5/8 = size,
field 9 = estimate). Times in OUT.csv are trace times (unshifted).
"""
import heapq
import sys


def main():
    path, procs, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    jobs = []  # [id, submit, run, size, est, start]
    with open(path) as f:
        for line in f:
            x = line.split()
            jobs.append([int(x[0]), int(x[1]), int(x[3]), int(x[7]), int(x[8]), None])
    tps = set(j[1] for j in jobs)
    heap = list(tps)
    heapq.heapify(heap)
    by_submit = {}
    for j in jobs:
        by_submit.setdefault(j[1], []).append(j)
    ending = {}       # end time -> [jobs]
    running = []      # jobs holding processors, in start order
    used = 0
    queue = []
    blocked = None    # EASY: the blocked job
    res_time = None   # EASY: its reservation time (estimated)
    t = jobs[0][1] - 1
    remaining = len(jobs)

    def add_tp(x):
        if x not in tps:
            tps.add(x)
            heapq.heappush(heap, x)

    while remaining:
        if heap:
            t = heapq.heappop(heap)
            tps.discard(t)
        else:
            t += 1    # AccaSim event_class.py:509: no time point left, step 1 s
        for j in ending.pop(t, []):          # release first (simulator_class.py:542)
            running.remove(j)
            used -= j[3]
            remaining -= 1
        queue += by_submit.pop(t, [])
        if not queue:
            continue
        free = procs - used
        started = []

        def start(j):
            nonlocal free
            j[5] = t
            free -= j[3]
            started.append(j)

        if mode == 'fifo':
            for j in queue:                  # skip=False: stop at first misfit
                if j[3] > free:
                    break
                start(j)
        else:
            q = queue
            prev = []
            time_reached = False
            if res_time is not None and res_time <= t:
                time_reached = True
                head, q = q[0], q[1:]
                if head[3] <= free:          # head retried only once its reservation time is reached
                    start(head)
                    blocked, res_time = None, None
                    prev = [head]
            to_fill = []
            if blocked is None and q:
                idx = None
                for i, j in enumerate(q):    # FIFO until the first misfit
                    if j[3] > free:
                        idx = i
                        break
                    start(j)
                if idx is not None:
                    blocked = q[idx]
                    if res_time is None:     # shadow from estimated ends
                        ends = [(r[5] + r[4], r[3]) for r in running]
                        ends += [(t + r[4], r[3]) for r in q[:idx] + prev]
                        ends.sort(key=lambda e: e[0])
                        avail = free
                        for (et, sz) in ends:
                            avail += sz
                            if avail >= blocked[3]:
                                res_time = et
                                break
                    to_fill = q[idx + 1:]
            else:
                to_fill = q if time_reached else q[1:]
            for j in to_fill:                # skip=True, reservation NOT protected
                if j[3] <= free:
                    start(j)
        for j in started:
            if j[2] == 0:
                remaining -= 1
            else:
                running.append(j)
                used += j[3]
                ending.setdefault(t + j[2], []).append(j)
                add_tp(t + j[2])
        ids = set(id(j) for j in started)
        queue = [j for j in queue if id(j) not in ids]

    with open(out, 'w') as f:
        f.write('id,submit,start,end,procs,estimate\n')
        for j in sorted(jobs, key=lambda j: j[0]):
            f.write('{},{},{},{},{},{}\n'.format(j[0], j[1], j[5], j[5] + j[2], j[3], j[4]))


if __name__ == '__main__':
    main()
