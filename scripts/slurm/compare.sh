#!/usr/bin/env bash
# clustersim against a real slurmctld, job by job (issue 12, item 4).
#
#   scripts/slurm/compare.sh [--record] [--no-slurm]
#
# Runs the four variants (workload shared|onegpu x priority fifo|multifactor)
# as four independent Slurms at once (cluster.sh; own ports, directories,
# munged), each submitting scripts/slurm/workloads/<workload>.csv under
# workloads/<variant>.slurm.conf and recording every job's submit, start and
# end (run_workload.py); then runs clustersim on the same workload
# (backfill: Slurm, Conservative and Easy) and prints, per variant, each job's start
# in Slurm and in clustersim and the share of jobs within 3 s (compare.py).
# About 8 minutes of wall time, most of it the workloads' sleeps.
#
# --record    also write the Slurm results to scripts/slurm/recorded/
#             (what sim-core/tests/it/slurm_recorded.rs compares against),
#             with slurmctld's backfill log (DebugFlags=Backfill,BackfillMap:
#             every pass's plan and node-space map) in recorded/logs/
# --no-slurm  skip Slurm; compare against the recorded results
#
# Exits non-zero only when the harness fails (Slurm or clustersim did not
# run), not when start times differ.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
record=0 slurm=1
for arg in "$@"; do
    case "$arg" in
    --record) record=1 ;;
    --no-slurm) slurm=0 ;;
    *)
        echo "usage: $0 [--record] [--no-slurm]" >&2
        exit 2
        ;;
    esac
done

variants="shared-fifo shared-multifactor onegpu-fifo onegpu-multifactor"
declare -A port=([shared-fifo]=17100 [shared-multifactor]=17200 [onegpu-fifo]=17300 [onegpu-multifactor]=17400)
work=$(mktemp -d /tmp/slurm-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT
started=$SECONDS

if [ "$slurm" = 1 ]; then
    # One install up front, so the four instances do not race apt.
    (source "$here/cluster.sh" && slurm_install)
    if [ "$record" = 1 ]; then
        export SLURM_DEBUGFLAGS=Backfill,BackfillMap
    fi
    pids=()
    for v in $variants; do
        SLURM_LOG_COPY=$work/$v.slurmctld.log "$here/cluster.sh" run "$here/workloads/$v.slurm.conf" "${port[$v]}" -- \
            python3 "$here/run_workload.py" "$here/workloads/${v%-*}.csv" \
            "$here/workloads/$v.slurm.conf" "$work/$v.csv" >"$work/$v.log" 2>&1 &
        pids+=("$!")
    done
    failed=0
    i=0
    for v in $variants; do
        if ! wait "${pids[i]}"; then
            echo "compare.sh: the Slurm run of $v failed:" >&2
            cat "$work/$v.log" >&2
            failed=1
        fi
        i=$((i + 1))
    done
    [ "$failed" = 0 ] || exit 1
    echo "Slurm runs done in $((SECONDS - started)) s" >&2
    if [ "$record" = 1 ]; then
        cp "$work"/*.csv "$here/recorded/"
        for v in $variants; do
            xz -9 -c "$work/$v.slurmctld.log" >"$here/recorded/logs/$v.slurmctld.log.xz"
        done
    fi
    recorded=$work
else
    recorded=$here/recorded
fi

clustersim=${CLUSTERSIM:-}
if [ -z "$clustersim" ]; then
    (cd "$root" && cargo build --quiet -p sim-core --bin clustersim)
    clustersim=${CARGO_TARGET_DIR:-$root/target}/debug/clustersim
fi
# With --record the scenarios made from the new record are kept beside it.
scenarios=$work
[ "$record" = 1 ] && scenarios=$here/recorded
python3 "$here/compare.py" --clustersim "$clustersim" --recorded "$recorded" \
    --workloads "$here/workloads" --scenarios "$scenarios" $variants
echo "compare.sh: $((SECONDS - started)) s of wall time" >&2
