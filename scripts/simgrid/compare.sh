#!/usr/bin/env bash
# clustersim's max-min flow rates against SimGrid's solver (issue 15,
# item 5).
#
#   scripts/simgrid/compare.sh [--k <even>] [--flows <n>] [--runs <n>] [--profile <cargo profile>]
#
# 1. builds and runs `flow_dump` (benches/examples/flow_dump.rs): the flows
#    benches/benches/fabric.rs times (10,000 flows between random hosts of
#    a k = 32 fat-tree on the InfiniBand NDR preset), with their routes as
#    link lists, the link capacities, clustersim's max-min rates and its
#    time for one full recompute;
# 2. builds maxmin.cpp against Debian's SimGrid 3.32 (libsimgrid-dev,
#    installed here when missing; needs root) and runs it on the dump:
#    the same links and explicit routes, SimGrid's CM02 network model with
#    crosstraffic off, bandwidth/latency factors 1, weight-S 0 (plain
#    max-min); every rate is compared to clustersim's, relative 1e-9;
# 3. prints both solve times (medians of --runs runs of each, default 5;
#    CPU time, which other work on the machine disturbs less than wall
#    time) and their ratio.
#
# --profile   the cargo profile flow_dump is built with: `bench` (the
#             default: optimized, so the time ratio means something) or
#             `test` (what .ci/run has built already: the rates are checked
#             the same, the ratio is of an unoptimized build)
#
# InfiniBand presets only: routes there are D-mod-k and ignore the salt.
# RoCE presets route by hashed ECMP (splitmix64 of the ends, a salt and
# the switch): the solver comparison would hold on explicit routes just as
# well (the dump carries them), but it adds nothing the IB case does not
# test, and SimGrid's own fat-tree routing could not reproduce those
# paths, so that case is skipped.
#
# Exits 1 when a rate disagrees (or a step fails), 0 otherwise. About 30 s
# after the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
k=32 flows=10000 runs=5 profile=bench
while [ $# -gt 0 ]; do
    case "$1" in
    --k) k=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    *)
        echo "usage: $0 [--k <even>] [--flows <n>] [--runs <n>] [--profile bench|test]" >&2
        exit 2
        ;;
    esac
done

if ! [ -f /usr/include/simgrid/s4u.hpp ]; then
    echo "compare.sh: installing libsimgrid-dev" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsimgrid-dev g++ >&2
fi
work=$(mktemp -d /tmp/simgrid-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

g++ -O2 -std=c++17 "$here/maxmin.cpp" -lsimgrid -o "$work/maxmin"
(cd "$root" && cargo build --quiet --profile "$profile" -p clustersim-benches --example flow_dump)
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
case "$profile" in
bench | release) dump_bin="$target/release/examples/flow_dump" ;;
test | dev) dump_bin="$target/debug/examples/flow_dump" ;;
*) dump_bin="$target/$profile/examples/flow_dump" ;;
esac

ours=()
for i in $(seq "$runs"); do
    "$dump_bin" --k "$k" --flows "$flows" >"$work/dump.txt"
    ours+=("$(awk '$1 == "solve_ns" { print $4 }' "$work/dump.txt")")
done
theirs=() starts=()
for i in $(seq "$runs"); do
    if ! "$work/maxmin" "$work/dump.txt" 1e-9 >"$work/simgrid.txt" 2>"$work/simgrid.err"; then
        grep -v '^\[' "$work/simgrid.err" >&2 || true
        cat "$work/simgrid.txt"
        echo "compare.sh: SimGrid's rates disagree with clustersim's (or SimGrid failed)" >&2
        exit 1
    fi
    theirs+=("$(awk '$1 == "simgrid_solve_ns" { print $4 }' "$work/simgrid.txt")")
    starts+=("$(awk '$1 == "simgrid_start_ns" { print $4 }' "$work/simgrid.txt")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ours_ns=$(median "${ours[@]}")
theirs_ns=$(median "${theirs[@]}")
start_ns=$(median "${starts[@]}")
head -1 "$work/dump.txt"
awk '$1 == "flows" || $1 == "max_rel_diff" || $1 == "disagree"' "$work/simgrid.txt"
awk -v o="$ours_ns" -v t="$theirs_ns" -v s="$start_ns" -v r="$runs" -v f="$flows" -v p="$profile" 'BEGIN {
    printf "clustersim full recompute: %.2f ms CPU (median of %d runs of 51 solves; cargo profile %s)\n", o / 1e6, r, p
    printf "SimGrid 3.32 solve:        %.2f ms CPU (median of %d runs; starting the %d communications before it: %.2f ms more)\n", t / 1e6, r, f, s / 1e6
    printf "SimGrid / clustersim:      %.1fx (solve alone)\n", t / o
}'
echo "every rate agrees to 1e-9"
