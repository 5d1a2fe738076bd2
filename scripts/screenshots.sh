#!/usr/bin/env bash
# Starts clustersim-gui under Xvfb on bundled scenarios and writes a PNG of
# each main view, the way a user would see it (a real window, a real
# renderer: wgpu on Mesa's software drivers, no GPU needed).
#
#   scripts/screenshots.sh [OUT_DIR]      (default: target/screenshots)
#   scripts/screenshots.sh OUT_DIR FILE [VIEWER_ARGS...]
#
# The second form shoots only FILE, once per view (map, gantt, plots, jobs),
# passing VIEWER_ARGS on to clustersim-gui. FILE is a scenario (.ron) or a
# trace written by `clustersim run SCENARIO --out DIR` (DIR/trace.jsonl),
# e.g. a run with failures at the first hour, job 1 in the inspector:
#   scripts/screenshots.sh target/shots DIR/trace.jsonl --at 3600 --select-job 1
# or the results of `clustersim study STUDY --out DIR` (DIR), shot once, in
# the study view (add --metric NAME --against PATH to choose its plot).
#
# Needs xvfb-run and Mesa; on Debian/Ubuntu:
#   apt-get install xvfb mesa-vulkan-drivers libegl-mesa0 libgl1-mesa-dri
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/screenshots}
mkdir -p "$out"
if [ $# -ge 2 ] && [ ! -e "$2" ]; then
    echo "screenshots.sh: no file $2 (a scenario .ron, a trace.jsonl or a study's results directory)" >&2
    exit 2
fi

if ! command -v xvfb-run >/dev/null; then
    echo "screenshots.sh needs xvfb-run: apt-get install xvfb mesa-vulkan-drivers libegl-mesa0 libgl1-mesa-dri" >&2
    exit 1
fi
cargo build --release --locked -p sim-gui -p sim-core
target=${CARGO_TARGET_DIR:-target}
gui=$target/release/clustersim-gui
# winit wants a runtime directory; a fresh one keeps runs independent.
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT

shot() {
    local name=$1
    shift
    # The window opens at the screen's top-left; Xvfb puts the pointer at
    # the screen's centre, so a 3200x2000 screen keeps it off the window
    # (no hover tooltips or plot crosshairs in the pictures).
    xvfb-run -a -s "-screen 0 3200x2000x24" "$gui" "$@" --size 1600x1000 --screenshot "$out/$name.png"
    echo "$out/$name.png"
}

if [ $# -ge 2 ]; then
    file=$2
    shift 2
    name=$(basename "$file")
    name=${name%.*}
    if [ -d "$file" ]; then
        shot "study-$name" "$file" "$@"
        exit 0
    fi
    for view in map gantt plots jobs; do
        shot "$view-$name" "$file" --view "$view" "$@"
    done
    exit 0
fi

# Teaching: FCFS leaves 16 GPUs idle for an hour while "big" waits.
shot map-fcfs-vs-easy scenarios/teaching/fcfs-vs-easy.ron --view map --at 3000 --select-job 2
# EASY backfills job 4 and so delays the second queued job (job 3).
shot gantt-easy-vs-conservative scenarios/teaching/easy-vs-conservative.ron --view gantt --select-job 4
# The same scenario under FCFS and EASY, side by side.
shot compare-fcfs-vs-easy scenarios/teaching/fcfs-vs-easy.ron --set scheduler.backfill=None \
    --compare-set scheduler.backfill=Easy --view compare
# A day of an H100 cluster: utilization, queue and waits; the job table.
shot plots-h100-day scenarios/h100-128-nodes-day.ron --view plots --at 43200
shot jobs-h100-day scenarios/h100-128-nodes-day.ron --view jobs --at 43200 --select-job 40
# Training jobs on a 2:1 leaf-spine: the map by leaf, the inspector's step breakdown.
shot map-training scenarios/hardware/leaf-spine-2to1.ron --view map --at 5400 --select-job 2
# 2,048 nodes and 10,000 jobs (the frame-time benchmark's scenario).
shot map-2048-nodes sim-gui/benches/viewer-2048-nodes.ron --view map --at 200000 --select-job 5000
shot gantt-2048-nodes sim-gui/benches/viewer-2048-nodes.ron --view gantt --at 200000 --select-job 5000
# A trace (version 4) with a node failure: node0 DOWN (vermillion, crossed)
# while job 1 restarts on node1; the inspector shows the failure's cause.
shot map-node-down sim-gui/tests/traces/failures-2x4.jsonl --view map --at 3600 --select-job 1
shot gantt-failure sim-gui/tests/traces/failures-2x4.jsonl --view gantt --at 3600 --select-job 1
# A study: GPU utilization against the node count of the quickstart under
# each backfill policy, five replications a point, with 95% bands.
study="$out/study-nodes-by-backfill"
mkdir -p "$study"
cat >"$study/study.ron" <<EOF
Study(
    name: "nodes-by-backfill",
    description: "the quickstart's morning on 3 to 6 nodes under each backfill policy",
    scenario: "$PWD/scenarios/quickstart.ron",
    parameters: [
        (path: "scheduler.backfill", values: ["None", "Easy", "Conservative"]),
        (path: "cluster.node_groups[0].count", range: (3, 7, 1)),
    ],
    replications: Fixed(5),
    metrics: ["gpu_utilization", "wait_s.mean", "wait_s.p95"],
)
EOF
"$target/release/clustersim" study "$study/study.ron" --out "$study/results" --fresh -q
shot study-nodes-by-backfill --study "$study/results"
# The same study, the p95 wait against the policy: error bars per node count.
shot study-p95-wait-by-backfill --study "$study/results" --metric wait_s.p95 --against scheduler.backfill
# A malformed scenario: the CLI's error, in the window.
shot error-bad-unit sim-core/tests/broken/03-bad-unit.ron
