#!/usr/bin/env python3
"""Submits a workload CSV to the running Slurm (SLURM_CONF) and records when
Slurm started and ended each job, in seconds since t=0.

    run_workload.py WORKLOAD.csv VARIANT_CONF OUT.csv

t=0 is the next whole wall-clock minute at least 5 s away (Slurm's backfill
batches running jobs' ends in windows aligned to the wall clock, so the
alignment is part of the experiment). Each job is `sbatch -N nodes
--ntasks-per-node=gpus_per_node -t limit_min --wrap "sleep sleep_s"` at
t=0 + submit_offset_s. With no slurmdbd there is no sacct: the times come
from `squeue -t all` (completed jobs stay for MinJobAge), with
SLURM_TIME_FORMAT=%s, so to the second. Run by compare.sh under cluster.sh.
"""
import csv
import os
import subprocess
import sys
import time

GIVE_UP_S = 480  # a run longer than this is a harness failure


def read_workload(path):
    with open(path) as f:
        rows = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(rows))


def main():
    workload_path, conf_path, out_path = sys.argv[1:4]
    jobs = read_workload(workload_path)
    now = time.time()
    t0 = (int(now + 5) // 60 + 1) * 60
    time.sleep(t0 - time.time())
    ids = {}
    for job in sorted(jobs, key=lambda j: int(j["submit_offset_s"])):
        delay = t0 + int(job["submit_offset_s"]) - time.time()
        if delay > 0:
            time.sleep(delay)
        out = subprocess.run(
            ["sbatch", "--parsable", "-J", job["name"], "-N", job["nodes"],
             "--ntasks-per-node", job["gpus_per_node"], "-t", job["limit_min"],
             "-o", "/dev/null", "--chdir", "/tmp", "--wrap", "sleep " + job["sleep_s"]],
            check=True, capture_output=True, text=True).stdout
        ids[out.strip().split(";")[0]] = job["name"]
    while True:
        active = subprocess.run(["squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING", "-o", "%i"],
                                check=True, capture_output=True, text=True).stdout.split()
        if not active:
            break
        if time.time() - t0 > GIVE_UP_S:
            sys.exit(f"run_workload.py: jobs {active} still active {GIVE_UP_S} s after t=0")
        time.sleep(2)
    env = dict(os.environ, SLURM_TIME_FORMAT="%s")
    listing = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i|%j|%V|%S|%e|%T|%N"],
                             check=True, capture_output=True, text=True, env=env).stdout
    rows = [line.split("|") for line in listing.splitlines()]
    rows = [r for r in rows if r[0] in ids]
    # slurmctld stamps a submission with its own clock in whole seconds; a
    # virtual machine's clock can step back under us, and a job then shows
    # a submit time before t=0. Every time is then measured from that
    # submission instead (the times relative to one another are what the
    # comparison uses), and said.
    earliest = min((int(r[2]) for r in rows), default=t0)
    if earliest < t0:
        print(f"run_workload.py: slurmctld recorded a submission {t0 - earliest} s before t=0 "
              f"(the clock stepped back?); t=0 moved to it", file=sys.stderr)
        t0 = earliest
    records = []
    for jid, name, submit, start, end, state, nodes in rows:
        records.append((int(jid), name, int(submit) - t0, int(start) - t0, int(end) - t0, state,
                        nodes.replace(",", " ")))
    if len(records) != len(jobs):
        sys.exit(f"run_workload.py: squeue shows {len(records)} of {len(jobs)} jobs")
    version = subprocess.run(["sinfo", "-V"], check=True, capture_output=True, text=True).stdout.strip()
    with open(out_path, "w") as f:
        f.write(f"# Recorded from a real slurmctld: {version} (Debian 12 packages), "
                f"scripts/slurm/cluster.sh on one machine.\n")
        f.write(f"# Date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(t0))}; "
                f"t=0 = epoch {t0} (a whole wall-clock minute).\n")
        f.write(f"# Workload: scripts/slurm/{os.path.relpath(workload_path, os.path.dirname(__file__))}; "
                f"times in seconds since t=0 (Slurm's SubmitTime/StartTime/EndTime).\n")
        debug = os.environ.get("SLURM_DEBUGFLAGS")
        logged = f", DebugFlags={debug}" if debug else ""
        f.write(f"# slurm.conf (plus cluster.sh's plumbing: ports, directories, MinJobAge, "
                f"no-cgroup plugins{logged}):\n")
        with open(conf_path) as c:
            for line in c:
                f.write("#   " + line)
        f.write("name,job_id,submit_s,start_s,end_s,state,nodes\n")
        for r in sorted(records):
            f.write(f"{r[1]},{r[0]},{r[2]},{r[3]},{r[4]},{r[5]},{r[6]}\n")


if __name__ == "__main__":
    main()
