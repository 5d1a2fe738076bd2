#!/usr/bin/env bash
# clustersim's monitoring outputs checked by the real tools (issue 17,
# part 6): Prometheus 2.42's promtool and server (Debian's `prometheus`)
# and Perfetto's trace processor (PyPI's `perfetto`).
#
#   CLUSTERSIM=target/debug/clustersim scripts/k8s/monitoring.sh
#
# 1. runs scenarios/teaching/fcfs-vs-easy.ron (FCFS without backfill: a
#    4-node job waits for the first hour while 16 GPUs sit idle and four
#    small jobs queue behind it), with power modelled, writing metrics.om
#    and trace.perfetto.json;
# 2. `promtool check metrics` on metrics.om (a lint of the Prometheus text
#    format: only its camelCase note on dcgm-exporter's own label names,
#    modelName and Hostname, is accepted), then
#    `promtool tsdb create-blocks-from openmetrics`, the blocks loaded by a
#    Prometheus server (127.0.0.1, a free port, polled until ready) whose
#    HTTP API must give, at every sample, the idle and busy GPUs, the
#    pending jobs and the IT power of timeseries.csv;
# 3. the alert rules of scripts/k8s/alerts.yml ("GPUs idle while jobs
#    wait", "high queue time") under `promtool test rules`, their input
#    series converted from metrics.om, each asserted to fire at the time
#    timeseries.csv and jobs.csv say (and not a minute before);
# 4. scenarios/teaching/preemption.ron's trace.perfetto.json in Perfetto's
#    trace processor: a slice per (job, GPU) holding of trace.jsonl, a
#    thread per GPU, a process per node (and the cluster's), an instant per
#    preempted job's node. The perfetto package downloads its
#    trace_processor_shell binary at run time, and no package registry
#    ships one: without it (or TRACE_PROCESSOR_SHELL naming one) the same
#    counts are checked with Python's json module, and the output says so.
#
# Installs what is missing (apt-get: needs root; a venv under
# ${MONITORING_VENV:-/tmp/clustersim-monitoring-venv} with perfetto and
# PyYAML). Exits 1 on any disagreement. About 20 s with the installs, 2 s
# without.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
clustersim=${CLUSTERSIM:-$root/target/debug/clustersim}
venv=${MONITORING_VENV:-/tmp/clustersim-monitoring-venv}
started=$(date +%s)

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
    echo "monitoring.sh: installing Debian's prometheus (promtool)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
fi
# Debian's package may start a server of its own: this script starts its
# own on another port, and stops only that one.
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import perfetto.trace_processor, yaml' 2>/dev/null; then
    echo "monitoring.sh: creating $venv with perfetto and PyYAML" >&2
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        # Debian's python3 keeps venv (ensurepip) in its own package.
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q perfetto pyyaml >&2
fi
python="$venv/bin/python"
promtool --version 2>&1 | head -1

work=$(mktemp -d /tmp/clustersim-monitoring.XXXXXX)
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== 1. run: fcfs-vs-easy with power, metrics.om and trace.perfetto.json"
"$clustersim" run "$root/scenarios/teaching/fcfs-vs-easy.ron" --out "$work/run" --quiet \
    --openmetrics --perfetto --set 'power=(pue: 1.3)' >/dev/null
ls -l "$work/run" | awk 'NR > 1 { printf "      %-22s %9d bytes\n", $9, $5 }'

echo "== 2. promtool: lint, TSDB blocks, a Prometheus server's answers"
lint=$(promtool check metrics <"$work/run/metrics.om" 2>&1 || true)
other=$(grep -v "label names should be written in 'snake_case' not 'camelCase'" <<<"$lint" | grep -c . || true)
if [ "$other" -ne 0 ]; then
    echo "FAIL  promtool check metrics: $(grep -v camelCase <<<"$lint" | head -5)"
    exit 1
fi
echo "ok    promtool check metrics: no problem but dcgm-exporter's own camelCase label names ($(grep -c . <<<"$lint") notes)"
promtool tsdb create-blocks-from openmetrics "$work/run/metrics.om" "$work/tsdb" >"$work/blocks.txt"
blocks=$(find "$work/tsdb" -mindepth 1 -maxdepth 1 -type d | wc -l)
if [ "$blocks" -lt 1 ]; then
    echo "FAIL  promtool tsdb create-blocks-from openmetrics made no block"
    exit 1
fi
echo "ok    promtool tsdb create-blocks-from openmetrics: $blocks blocks"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\n' >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
    >"$work/prometheus.log" 2>&1 &
server=$!
ready=""
for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
        ready=yes
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    echo "FAIL  prometheus did not become ready:"
    tail -5 "$work/prometheus.log"
    exit 1
fi
echo "ok    prometheus ready on 127.0.0.1:$port with the blocks"
status=0
"$python" "$here/monitoring.py" query "http://127.0.0.1:$port" "$work/run" || status=1

echo "== 3. promtool test rules: scripts/k8s/alerts.yml on the simulated series"
"$python" "$here/monitoring.py" rules-test "$work/run" "$here/alerts.yml" "$work/rules-test.yml" || status=1
if promtool test rules "$work/rules-test.yml" >"$work/rules.txt" 2>&1; then
    echo "ok    promtool test rules: both alerts fire when timeseries.csv and jobs.csv say, not a minute before"
else
    echo "FAIL  promtool test rules:"
    cat "$work/rules.txt"
    status=1
fi

echo "== 4. Perfetto: teaching/preemption.ron's trace"
"$clustersim" run "$root/scenarios/teaching/preemption.ron" --out "$work/preemption" --quiet --perfetto >/dev/null
"$python" "$here/monitoring.py" perfetto "$work/preemption" || status=1

elapsed=$(($(date +%s) - started))
if [ "$status" -ne 0 ]; then
    echo "monitoring.sh: FAILED (${elapsed} s)"
    exit 1
fi
echo "monitoring.sh: all checks passed (${elapsed} s)"
