#!/usr/bin/env python3
"""The checks of scripts/k8s/monitoring.sh, one subcommand each.

  rules-test OUT ALERTS TEST   writes TEST, a `promtool test rules` file:
                               input_series converted from OUT/metrics.om,
                               and the times each alert of ALERTS must fire
                               (and not a minute before), computed from
                               OUT/timeseries.csv and OUT/jobs.csv alone
  query URL OUT                Prometheus' HTTP API at URL against
                               OUT/timeseries.csv: idle and busy GPUs,
                               pending jobs and IT power at every sample
  perfetto OUT                 OUT/trace.perfetto.json in Perfetto's trace
                               processor (or, when its binary cannot be had,
                               Python's json module, said so): a slice per
                               (job, GPU) holding of OUT/trace.jsonl, a
                               thread per GPU, a process per node, instants

Each prints what it checked and exits 1 on any disagreement.
"""

import csv
import json
import os
import re
import sys
import urllib.parse
import urllib.request

import yaml

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def om_series(path):
    """{(name, labels text): [(t_s, value)]} from an OpenMetrics file."""
    series = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            head, value, ts = line.rsplit(" ", 2)
            name, _, labels = head.partition("{")
            series.setdefault((name, labels.rstrip("}")), []).append((float(ts), float(value)))
    return series


def timeseries(out):
    """Rows of timeseries.csv with the idle GPUs, and the cluster's GPUs."""
    gpus = json.load(open(os.path.join(out, "summary.json")))["gpus"]
    rows = []
    for r in read_csv(os.path.join(out, "timeseries.csv")):
        busy, down, draining = int(r["busy_gpus"]), int(r["down_gpus"]), int(r["draining_gpus"])
        rows.append({
            "t": float(r["time_s"]),
            "busy": busy,
            "idle": gpus - busy - down - draining,
            "pending": int(r["queue_length"]),
            "it_kw": float(r["it_power_kw"]) if r["it_power_kw"] else None,
        })
    return rows, gpus


def minutes(duration):
    m = re.fullmatch(r"(\d+)([smh])", duration)
    return int(m.group(1)) * {"s": 1 / 60, "m": 1, "h": 60}[m.group(2)]


def first_held(rows, condition, hold_s):
    """The first evaluation time (whole minutes) at which `condition` has
    held since some sample t0 for `hold_s`: t0 + hold_s, where every sample
    in [t0, t0 + hold_s] satisfies it."""
    for i, r in enumerate(rows):
        if not condition(r):
            continue
        later = [s for s in rows[i:] if s["t"] <= r["t"] + hold_s]
        if all(condition(s) for s in later) and rows[-1]["t"] >= r["t"] + hold_s:
            return r["t"] + hold_s
    return None


def rules_test(out, alerts_path, test_path):
    rows, _ = timeseries(out)
    jobs = read_csv(os.path.join(out, "jobs.csv"))
    step = rows[1]["t"] - rows[0]["t"]
    rules = {r["alert"]: r for g in yaml.safe_load(open(alerts_path))["groups"] for r in g["rules"]}
    idle_rule, queue_rule = rules["GPUsIdleWhileJobsWait"], rules["HighQueueTime"]
    threshold = float(re.search(r">\s*(\d+)\s*$", queue_rule["expr"].strip()).group(1))

    # From timeseries.csv: idle GPUs and pending jobs at each sample.
    idle_fire = first_held(rows, lambda r: r["idle"] > 0 and r["pending"] > 0,
                           minutes(idle_rule["for"]) * 60)
    # From jobs.csv: the oldest pending job's wait at each sample (pending:
    # submitted, not started by then; a job starting at t runs at t).
    def oldest_wait(t):
        waits = [t - float(j["submit_s"]) for j in jobs
                 if float(j["submit_s"]) <= t and (j["start_s"] == "" or float(j["start_s"]) > t)]
        return max(waits, default=0.0)

    for r in rows:
        r["oldest_wait"] = oldest_wait(r["t"])
    queue_fire = first_held(rows, lambda r: r["oldest_wait"] > threshold,
                            minutes(queue_rule["for"]) * 60)
    check(idle_fire is not None, f"GPUs idle while jobs wait: expected to fire at {idle_fire} s")
    check(queue_fire is not None, f"high queue time: expected to fire at {queue_fire} s")

    # input_series from metrics.om: every clustersim_* series at its step.
    series = om_series(os.path.join(out, "metrics.om"))
    inputs, irregular = [], []
    for (name, labels), samples in sorted(series.items()):
        if not name.startswith("clustersim_"):
            continue
        times = [t for t, _ in samples]
        if times != [k * step for k in range(len(times))]:
            irregular.append(f"{name}{{{labels}}}")
        values = " ".join(f"{v:g}" for _, v in samples)
        inputs.append({"series": f"{name}{{{labels}}}" if labels else name, "values": values})
    check(inputs and not irregular,
          f"metrics.om: {len(inputs)} clustersim_* series, each sampled every {step:g} s from 0"
          + (f" (not: {irregular[:3]})" if irregular else ""))

    def expect(rule, at_s, firing):
        return {
            "eval_time": f"{int(at_s // 60)}m",
            "alertname": rule["alert"],
            "exp_alerts": [{"exp_labels": rule.get("labels", {}) | extra,
                            "exp_annotations": rule.get("annotations", {})}
                           for extra in firing],
        }

    tests = []
    if idle_fire is not None:
        tests += [expect(idle_rule, idle_fire, [{}]), expect(idle_rule, idle_fire - 60, [])]
    if queue_fire is not None:
        queue = {"queue": "default"}
        tests += [expect(queue_rule, queue_fire, [queue]), expect(queue_rule, queue_fire - 60, [])]
    doc = {
        "rule_files": [os.path.abspath(alerts_path)],
        "evaluation_interval": "1m",
        "tests": [{"interval": f"{int(step)}s", "input_series": inputs, "alert_rule_test": tests}],
    }
    with open(test_path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False, width=1 << 20)
    print(f"      {len(inputs)} input series every {step:g} s; "
          f"GPUsIdleWhileJobsWait at {idle_fire:g} s ({idle_fire / 60:g} min), "
          f"HighQueueTime at {queue_fire:g} s ({queue_fire / 60:g} min), neither a minute before")


def query(url, out):
    rows, _ = timeseries(out)
    end, step = rows[-1]["t"], rows[1]["t"] - rows[0]["t"]

    def values(expr):
        params = urllib.parse.urlencode({"query": expr, "start": 0, "end": end, "step": step})
        with urllib.request.urlopen(f"{url}/api/v1/query_range?{params}") as r:
            body = json.load(r)
        result = body["data"]["result"]
        if len(result) != 1:
            return {}
        return {float(t): float(v) for t, v in result[0]["values"]}

    cases = [
        ("clustersim_gpus_idle", "idle", 1.0),
        ("sum(clustersim_jobs_pending)", "pending", 1.0),
        ("sum(last_over_time(DCGM_FI_DEV_GPU_UTIL[1s])) / 100", "busy", 1.0),
    ]
    if rows[0]["it_kw"] is not None:
        cases.append(("sum(last_over_time(DCGM_FI_DEV_POWER_USAGE[1s])) / 1000", "it_kw", 1e-3))
    for expr, column, tolerance in cases:
        got = values(expr)
        bad = [(r["t"], got.get(r["t"]), r[column]) for r in rows
               if got.get(r["t"]) is None or abs(got[r["t"]] - r[column]) > tolerance * 1e-6]
        check(not bad, f"query_range {expr!r}: {len(got)} points equal timeseries.csv's {column}"
              + (f" (first difference at t={bad[0][0]:g} s: {bad[0][1]} vs {bad[0][2]})" if bad else ""))


def perfetto(out):
    path = os.path.join(out, "trace.perfetto.json")
    summary = json.load(open(os.path.join(out, "summary.json")))
    holdings, instants = 0, 0
    held = {}
    for line in open(os.path.join(out, "trace.jsonl")):
        record = json.loads(line)
        if record["event"] in ("start", "resize"):
            held[record["job"]] = record["alloc"]
            holdings += sum(bin(a["mask"]).count("1") for a in record["alloc"])
        elif record["event"] in ("preempt", "fail"):
            instants += len(held.get(record["job"], []))
        elif record["event"] in ("node_down", "node_drain", "node_up"):
            instants += 1
    expected = {"job slices": holdings, "GPU threads": summary["gpus"],
                "processes": summary["nodes"] + 1, "instants": instants}
    counts = None
    try:
        from perfetto.trace_processor import TraceProcessor, TraceProcessorConfig
        bin_path = os.environ.get("TRACE_PROCESSOR_SHELL")
        tp = TraceProcessor(trace=path, config=TraceProcessorConfig(bin_path=bin_path))
        one = lambda sql: next(iter(tp.query(sql))).n
        counts = {
            "job slices": one("select count(*) as n from slice where category = 'job'"),
            "GPU threads": one("select count(*) as n from thread where name like 'GPU %'"),
            "processes": one("select count(*) as n from process where name is not null and pid > 0"),
            "instants": one("select count(*) as n from slice where category = 'event' and dur = 0"),
        }
        counters = one("select count(distinct t.id) as n from counter c join track t on c.track_id = t.id"
                       " where t.name like 'jobs pending%' or t.name like 'busy GPUs%'")
        check(counters >= 2, f"trace processor: counter tracks for pending jobs and busy GPUs ({counters})")
        tp.close()
        print("      checked in Perfetto's trace processor")
    except Exception as e:  # noqa: BLE001: any failure to get the binary
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        print("      Perfetto's trace processor is UNAVAILABLE here (the perfetto package downloads "
              f"trace_processor_shell at run time and no package registry ships it: {reason[:160]}); "
              "checked with Python's json module against the Trace Event Format instead")
        trace = json.load(open(path))
        events = trace["traceEvents"]
        counts = {
            "job slices": sum(1 for e in events if e["ph"] == "X" and e.get("cat") == "job"
                              and e["dur"] >= 0 and isinstance(e["ts"], (int, float))),
            "GPU threads": sum(1 for e in events if e["ph"] == "M" and e["name"] == "thread_name"),
            "processes": sum(1 for e in events if e["ph"] == "M" and e["name"] == "process_name"),
            "instants": sum(1 for e in events if e["ph"] == "i" and e.get("s") in ("g", "p", "t")),
        }
        tracks = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
        check(all((e["pid"], e["tid"]) in tracks for e in events if e["ph"] == "X"),
              "json: every slice is on a named GPU track")
        check(sum(1 for e in events if e["ph"] == "C") >= 2, "json: counter events present")
    for what, n in expected.items():
        check(counts[what] == n, f"perfetto {what}: {counts[what]} (expected {n} from trace.jsonl and summary.json)")
    check(expected["instants"] > 0, "the run has instants to show")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"rules-test": rules_test, "query": query, "perfetto": perfetto}[command](*args)
    sys.exit(1 if failures else 0)
