#!/usr/bin/env bash
# Runs Baton's Context benchmark and Go's context benchmark on this machine, one after
# the other, and prints both with the ratio Baton/Go per operation (target <= 0.5).
#
#   tools/bench_context.sh              # markdown table on stdout
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh go
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bazel build -c opt //common/context:context_benchmark >&2
bazel-bin/common/context/context_benchmark --benchmark_min_time=0.5 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out/cpp.json"
(cd common/context/go_compare && go test -run '^$' -bench . -count 3) >"$out/go.txt"
python3 tools/compare_context_bench.py "$out/cpp.json" "$out/go.txt"
