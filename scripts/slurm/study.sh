#!/usr/bin/env bash
# A study on a real Slurm, end to end (issue 14, item 5).
#
#   scripts/slurm/study.sh
#
# Starts a one-node Slurm (cluster.sh: 4 CPUs, so the 4 array tasks run at
# once), writes the job array and merge job of a small study with
# `clustersim study slurm --tasks 4 --submit` (which runs the submit.sh it
# writes: the array, then the merge with --dependency=afterok), waits for
# the merge job, then runs `clustersim study` of the same file on this
# machine and compares the two output directories byte for byte: study.json,
# replications.csv, points.csv, differences.csv and every plots/*.svg.
# Prints a one-line verdict; the daemons are always stopped by PID
# (cluster.sh's trap). Needs root and apt (cluster.sh installs Debian's
# Slurm where missing). Builds nothing: it uses $CLUSTERSIM, or
# target/debug/clustersim.
#
# STUDY_TIMEOUT (seconds, default 300) bounds the wait for the merge job.
# The study (sim-core/tests/studies/e2e.ron) is 36 runs of the quickstart
# scenario. Exits 0 when the outputs are identical, 1 otherwise or when a
# job fails or times out (with the jobs' logs), 2 on bad usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ "$#" = 0 ] || {
    echo "usage: $0 (no arguments; STUDY_TIMEOUT=seconds, CLUSTERSIM=path)" >&2
    exit 2
}
clustersim=${CLUSTERSIM:-$root/target/debug/clustersim}
if [ ! -x "$clustersim" ]; then
    echo "study.sh: no clustersim at $clustersim: build it (cargo build -p sim-core --bin clustersim) or set CLUSTERSIM" >&2
    exit 2
fi
study=sim-core/tests/studies/e2e.ron
tasks=4
port=17500
timeout=${STUDY_TIMEOUT:-300}
started=$SECONDS

# The study's paths are recorded as given, relative to the directory it
# runs from: the Slurm tasks (--chdir) and the local run both start here.
cd "$root"
source "$here/cluster.sh"
work=$(mktemp -d /tmp/slurm-study.XXXXXX)
slurm_conf_generate 1 "$tasks" basic "$port" >"$work/slurm.conf"
slurm_start "$work/slurm.conf" "$port"
trap 'slurm_stop; rm -rf "$work"' EXIT

# Prints the jobs' states and logs, and fails.
fail() {
    echo "study.sh: $1" >&2
    squeue -h -t all -o '%i %j %T %r' >&2 || true
    local log
    for log in "$work"/slurm-out/slurm/*.out; do
        [ -f "$log" ] && { echo "--- $log" >&2; cat "$log" >&2; }
    done
    tail -20 "$SLURM_DIR/log/slurmctld.log" >&2 || true
    exit 1
}

submit_at=$SECONDS
submitted=$("$clustersim" study slurm "$study" --tasks "$tasks" --out "$work/slurm-out" --submit) ||
    fail "clustersim study slurm --submit failed"
echo "$submitted" >&2
# "submitted: array job A (4 tasks), merge job M (afterok:A)"
line=$(grep '^submitted: ' <<<"$submitted") || fail "no job ids in the output above"
array=$(sed -E 's/^submitted: array job ([0-9]+) .*/\1/' <<<"$line")
merge=$(sed -E 's/.*merge job ([0-9]+) .*/\1/' <<<"$line")

# Completed jobs stay visible for MinJobAge (cluster.sh: an hour), so
# scontrol answers for the merge job whatever its state.
state=""
while :; do
    state=$(scontrol show job "$merge" -o 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2 || true)
    case "$state" in
    COMPLETED) break ;;
    PENDING | CONFIGURING | RUNNING | COMPLETING | "") ;;
    *) fail "the merge job $merge ended $state (a task failed, or the merge did)" ;;
    esac
    [ $((SECONDS - submit_at)) -lt "$timeout" ] || fail "the merge job $merge is still $state after ${timeout} s"
    sleep 0.5
done
failed=$(squeue -h -t all -j "$array" -o '%i %T' | grep -v ' COMPLETED$' || true)
[ -z "$failed" ] || fail "array tasks not COMPLETED: $failed"
slurm_time=$((SECONDS - submit_at))

"$clustersim" study "$study" --out "$work/local" -q >"$work/local.txt" || fail "the local clustersim study failed"

differ=()
compared=0
for file in study.json replications.csv points.csv differences.csv; do
    compared=$((compared + 1))
    cmp -s "$work/slurm-out/$file" "$work/local/$file" || differ+=("$file")
done
plots_slurm=$(cd "$work/slurm-out" && ls plots/*.svg 2>/dev/null || true)
plots_local=$(cd "$work/local" && ls plots/*.svg 2>/dev/null || true)
[ "$plots_slurm" = "$plots_local" ] || differ+=("plots/ (not the same files)")
for plot in $plots_local; do
    compared=$((compared + 1))
    cmp -s "$work/slurm-out/$plot" "$work/local/$plot" || differ+=("$plot")
done

if [ "${#differ[@]}" -eq 0 ]; then
    plots=$(wc -w <<<"$plots_local")
    echo "study.sh: identical: study.json, replications.csv, points.csv, differences.csv and $plots plot(s) of $tasks Slurm array tasks merged (jobs $array, $merge) and of one local run, byte for byte ($slurm_time s from submission to merged, $((SECONDS - started)) s in all)"
else
    for file in "${differ[@]}"; do
        echo "--- $file differs:" >&2
        diff "$work/slurm-out/$file" "$work/local/$file" 2>&1 | head -20 >&2 || true
    done
    echo "study.sh: DIFFERENT: ${differ[*]} (of $compared files) between the merged Slurm shards and the local run" >&2
    exit 1
fi
