#!/usr/bin/env python3
"""Replay an SWF trace through AccaSim (peer simulator) and report metrics
with the same definitions clustersim uses.

Run with the Python of the venv that has accasim installed, e.g.

    /work/peer-venv/bin/python scripts/peer/accasim_replay.py \
        --trace /work/shared/data/swf/KTH-SP2-1996-2.1-cln.swf.gz \
        --procs 100 --dispatcher easy --out /tmp/kth-easy.json

What it does:
  1. Reads the SWF trace (plain or .gz) and applies clustersim's job filter:
     size = requested processors (field 8) if > 0 else allocated (field 5);
     drop jobs with run time (field 4) < 0, size <= 0 or size > --procs;
     estimate = requested time (field 9) if > 0 else run time.
  2. Writes the kept jobs to a plain SWF file in --workdir with fields 5 and 8
     set to `size`, field 9 set to `estimate`, and the memory fields (7, 10)
     set to -1, so that AccaSim's own SWF reader sees exactly clustersim's
     job set and fields (AccaSim's reader takes field 8 if != -1 else field 5
     as processors and field 9 as `expected_duration`).
  3. Builds a machine of one AccaSim node with --procs cores (layout "pool",
     default) or --procs nodes of 1 core each (layout "nodes"); every SWF
     processor is one "node request" of 1 core (AccaSim's default
     equivalence processor -> core: 1), so both layouts are a pool of
     --procs processors.
  4. Runs AccaSim's Simulator with FirstInFirstOut(FirstFit) or
     EASYBackfilling(FirstFit), collecting every finished job through an
     AdditionalData hook (no AccaSim code is patched).
  5. Computes jobs, mean wait, mean bounded slowdown (tau = 10 s) and
     utilization from the per-job records, and times the simulation.
"""
import argparse
import gzip
import json
import os
import platform
import sys
import time

T_TOTAL0 = time.perf_counter()

import accasim  # noqa: E402
from accasim.base.simulator_class import Simulator  # noqa: E402
from accasim.base.scheduler_class import FirstInFirstOut, EASYBackfilling  # noqa: E402
from accasim.base.allocator_class import FirstFit  # noqa: E402
from accasim.base.additional_data import AdditionalData  # noqa: E402

# Added to every submit time by AccaSim's DefaultTweaker ("start_time" in the
# system config). AccaSim's EventManager.load_event tests `if not
# self.current_time`, which misfires when the simulated clock is exactly 0,
# so all times are shifted to be strictly positive. Metrics use differences
# only, so the shift does not change them.
TIME_SHIFT = 1000
TAU = 10.0


def open_trace(path):
    if path.endswith('.gz'):
        return gzip.open(path, 'rt')
    return open(path)


def filter_trace(src, procs, dst):
    """Apply clustersim's filter and write an SWF that AccaSim's reader maps
    one-to-one. Returns a dict of counts."""
    stats = {'lines': 0, 'kept': 0, 'dropped_run_lt_0': 0,
             'dropped_size_le_0': 0, 'dropped_size_gt_machine': 0,
             'estimate_from_run': 0, 'run_gt_estimate': 0,
             # what AccaSim's own reader/dispatcher would do on the raw file
             'native_reader_drops_no_size': 0, 'native_size_0': 0,
             'native_run_lt_0_kept_by_reader': 0,
             'native_rejected_size_gt_machine': 0}
    last_submit = None
    with open_trace(src) as f, open(dst, 'w') as out:
        for line in f:
            s = line.strip()
            if not s or s.startswith(';'):
                continue
            fld = s.split()
            if len(fld) < 18:
                continue
            stats['lines'] += 1
            submit = int(fld[1])
            run = int(fld[3])
            alloc = int(fld[4])
            req_p = int(fld[7])
            req_t = int(fld[8])
            # native AccaSim behaviour on the raw line (for the record only)
            nat_size = req_p if req_p != -1 else (alloc if alloc != -1 else None)
            if nat_size is None:
                stats['native_reader_drops_no_size'] += 1
            else:
                if nat_size == 0:
                    stats['native_size_0'] += 1
                if nat_size > procs:
                    stats['native_rejected_size_gt_machine'] += 1
                if run < 0:
                    stats['native_run_lt_0_kept_by_reader'] += 1
            # clustersim filter
            size = req_p if req_p > 0 else alloc
            if run < 0:
                stats['dropped_run_lt_0'] += 1
                continue
            if size <= 0:
                stats['dropped_size_le_0'] += 1
                continue
            if size > procs:
                stats['dropped_size_gt_machine'] += 1
                continue
            est = req_t if req_t > 0 else run
            if req_t <= 0:
                stats['estimate_from_run'] += 1
            if run > est:
                stats['run_gt_estimate'] += 1
            if last_submit is not None and submit < last_submit:
                raise SystemExit('trace not sorted by submit time; AccaSim needs it sorted')
            last_submit = submit
            fld[4] = str(size)
            fld[7] = str(size)
            fld[8] = str(est)
            fld[6] = '-1'
            fld[9] = '-1'
            out.write(' '.join(fld) + '\n')
            stats['kept'] += 1
    return stats


class Collector(AdditionalData):
    """Records every job AccaSim finishes (called after resources are released)."""

    def __init__(self, event_manager=None):
        AdditionalData.__init__(self, event_manager)
        self.records = []

    def exec_before_dispatching(self, job_dict, queued_jobs):
        pass

    def exec_after_dispatching(self, job_dict, to_dispatch_jobs, rejected_jobs):
        pass

    def exec_before_submission(self, *args, **kwargs):
        pass

    def exec_after_submission(self, *args, **kwargs):
        pass

    def exec_before_completion(self, *args, **kwargs):
        pass

    def exec_after_completion(self, removed_jobs):
        for j in removed_jobs:
            self.records.append((j.id, j.queued_time, j.start_time, j.end_time,
                                 j.requested_nodes * j.requested_resources['core'],
                                 j.expected_duration))

    def stop(self):
        pass


def metrics(records, procs):
    n = len(records)
    if n == 0:
        return {'jobs': 0}
    sw = 0.0
    sb = 0.0
    work = 0.0
    first_submit = min(r[1] for r in records)
    last_end = max(r[3] for r in records)
    for (_id, sub, st, en, size, _est) in records:
        wait = st - sub
        run = en - st
        sw += wait
        sb += max(1.0, (wait + run) / max(run, TAU))
        work += run * size
    span = last_end - first_submit
    return {
        'jobs': n,
        'mean_wait_s': sw / n,
        'mean_bounded_slowdown': sb / n,
        'utilization': work / (procs * span) if span > 0 else None,
        'first_submit': first_submit - TIME_SHIFT,
        'last_end': last_end - TIME_SHIFT,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--trace', required=True)
    ap.add_argument('--procs', type=int, required=True)
    ap.add_argument('--dispatcher', choices=['fifo', 'easy'], required=True)
    ap.add_argument('--out', required=True, help='JSON result file')
    ap.add_argument('--layout', choices=['pool', 'nodes'], default='pool',
                    help='pool: 1 node x PROCS cores (default); nodes: PROCS nodes x 1 core')
    ap.add_argument('--workdir', default='/tmp/peer')
    ap.add_argument('--timeout', type=int, default=None,
                    help='AccaSim Simulator timeout (s of wall time); stops the run early')
    ap.add_argument('--max-jobs', type=int, default=None,
                    help='keep only the first N jobs after filtering (for tests)')
    ap.add_argument('--per-job', default=None, help='optional CSV of per-job records')
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    base = os.path.basename(args.trace).replace('.gz', '').replace('.swf', '')
    filtered = os.path.join(args.workdir, '{}-p{}-filtered.swf'.format(base, args.procs))
    fstats = filter_trace(args.trace, args.procs, filtered)
    if args.max_jobs:
        tmp = filtered + '.head{}'.format(args.max_jobs)
        with open(filtered) as f, open(tmp, 'w') as o:
            for i, line in enumerate(f):
                if i >= args.max_jobs:
                    break
                o.write(line)
        filtered = tmp
        fstats['kept'] = min(fstats['kept'], args.max_jobs)

    if args.layout == 'pool':
        sysconf = {'groups': {'pool': {'core': args.procs}}, 'resources': {'pool': 1}}
    else:
        sysconf = {'groups': {'cpu': {'core': 1}}, 'resources': {'cpu': args.procs}}
    sysconf['equivalence'] = {'processor': {'core': 1}}
    sysconf['start_time'] = TIME_SHIFT
    sys_path = os.path.join(args.workdir, 'sys-{}-{}.json'.format(args.layout, args.procs))
    with open(sys_path, 'w') as f:
        json.dump(sysconf, f)

    if args.dispatcher == 'fifo':
        dispatcher = FirstInFirstOut(FirstFit())
    else:
        dispatcher = EASYBackfilling(FirstFit())

    # AccaSim's Simulator calls additional_data_init() before its EventManager
    # exists, so an *instance* would get set_event_manager(None) and fail an
    # assert; passing the class lets AccaSim instantiate it, and the instance
    # is fetched back from sim.mapper.additional_data.
    results_dir = os.path.join(args.workdir, 'accasim-results-{}-{}'.format(base, args.dispatcher))
    sim = Simulator(filtered, sys_path, dispatcher,
                    additional_data=[Collector],
                    RESULTS_FOLDER_PATH=results_dir,
                    scheduling_output=False, pprint_output=False,
                    benchmark_output=False, statistics_output=False,
                    show_statistics=False, timeout=args.timeout)
    collector = sim.mapper.additional_data[0]
    assert isinstance(collector, Collector)
    t0 = time.perf_counter()
    sim.start_simulation()
    t1 = time.perf_counter()
    m = metrics(collector.records, args.procs)
    timed_out = bool(args.timeout) and (len(collector.records) < fstats['kept'] - sim.rejected_jobs)
    res = {
        'simulator': 'AccaSim',
        'accasim_version': getattr(accasim, '__version__', None) or _dist_version(),
        'python': platform.python_version(),
        'trace': os.path.basename(args.trace),
        'procs': args.procs,
        'dispatcher': {'fifo': 'FirstInFirstOut+FirstFit', 'easy': 'EASYBackfilling+FirstFit'}[args.dispatcher],
        'layout': args.layout,
        'filter': fstats,
        'accasim_loaded_jobs': sim.loaded_jobs,
        'accasim_dispatched_jobs': sim.dispatched_jobs,
        'accasim_rejected_jobs': sim.rejected_jobs,
        'completed': len(collector.records),
        'finished_all': (not timed_out) and len(collector.records) == fstats['kept'],
        'timed_out': timed_out,
        'sim_wall_s': t1 - t0,
        'total_wall_s': time.perf_counter() - T_TOTAL0,
    }
    res.update(m)
    with open(args.out, 'w') as f:
        json.dump(res, f, indent=2)
    if args.per_job:
        with open(args.per_job, 'w') as f:
            f.write('id,submit,start,end,procs,estimate\n')
            for r in sorted(collector.records, key=lambda r: int(r[0])):
                f.write('{},{},{},{},{},{}\n'.format(r[0], r[1] - TIME_SHIFT, r[2] - TIME_SHIFT,
                                                      r[3] - TIME_SHIFT, r[4], r[5]))
    print(json.dumps(res, indent=2))


def _dist_version():
    try:
        from importlib.metadata import version
        return version('accasim')
    except Exception:
        return None


if __name__ == '__main__':
    main()
