#!/usr/bin/env bash
# Instructions per call (callgrind) of the adapter benchmark's two servers, the bare
# gRPC callback server and the adapter, under h2load: a deterministic complement to the
# benchmark's QPS ratio, which this machine's noise moves by ±5% (docs/benchmarks.md §2).
# Each server runs alone under callgrind (adapter_benchmark --serve=bare|adapter, pinned
# to CPU 0); h2load (CPU 1, 64 calls in flight) warms it for 3 s, the counts are zeroed,
# h2load sends --calls calls, and the counts are dumped. Counts move by about ±1k per
# call between runs, with how h2load's calls batch.
#
#   tools/callgrind_adapter.sh [--calls=20000] [--runs=2]
set -euo pipefail
cd "$(dirname "$0")/.."

calls=20000
runs=2
for arg in "$@"; do
  case "$arg" in
    --calls=[1-9]*) calls="${arg#--calls=}" ;;
    --runs=[1-9]*) runs="${arg#--runs=}" ;;
    *) echo "usage: $0 [--calls=N] [--runs=N] (N a positive whole number); not: $arg" >&2
       exit 2 ;;
  esac
done
[[ "$calls$runs" =~ ^[0-9]+$ ]] || { echo "--calls and --runs take whole numbers" >&2; exit 2; }

tools/install_deps.sh bench >&2
bazel build -c opt //common/rpc:adapter_benchmark >&2
binary=bazel-bin/common/rpc/adapter_benchmark
out=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  exec 3>&- 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT
printf '\0\0\0\0\0' >"$out/request"  # An empty HopRequest, framed as gRPC frames it.

h2load_hop() {  # address, then h2load's own flags (-D seconds or -n calls)
  local address=$1
  shift
  taskset -c 1 h2load "$@" -c 1 -m 64 -t 1 -d "$out/request" \
    -H 'content-type: application/grpc' -H 'te: trailers' -H 'grpc-timeout: 5S' \
    "http://$address/baton.testing.v1.HopService/Hop"
}

# Prints the server's instructions per call.
measure() {  # kind
  local kind=$1 address="" done_calls total
  rm -f "$out/in" "$out/cg.$kind"*
  mkfifo "$out/in"
  # The server serves until its stdin closes: fd 3 holds the fifo open.
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out/cg.$kind" \
    "$binary" --serve="$kind" <"$out/in" >"$out/address.$kind" 2>"$out/log.$kind" &
  server_pid=$!
  exec 3>"$out/in"
  for _ in $(seq 1 120); do  # Under callgrind the server takes seconds to start.
    address=$(grep -m1 -E '^[0-9.]+:[0-9]+$' "$out/address.$kind" || true)
    [[ -n "$address" ]] && break
    sleep 0.5
  done
  [[ -n "$address" ]] || { echo "the $kind server did not start: $(cat "$out/log.$kind")" >&2; exit 1; }
  h2load_hop "$address" -D 3 >/dev/null
  callgrind_control -z "$server_pid" >/dev/null 2>&1
  done_calls=$(h2load_hop "$address" -n "$calls" | grep -oE '[0-9]+ succeeded' | cut -d' ' -f1)
  callgrind_control -d "$server_pid" >/dev/null 2>&1
  exec 3>&-
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  total=$(grep -h '^summary:' "$out/cg.$kind".*1 2>/dev/null | head -1 | awk '{print $2}')
  [[ -n "$total" && "${done_calls:-0}" -gt 0 ]] ||
    { echo "no count for the $kind server (calls answered: ${done_calls:-0})" >&2; exit 1; }
  echo $((total / done_calls))
}

for run in $(seq 1 "$runs"); do
  bare=$(measure bare)
  adapter=$(measure adapter)
  echo "run $run: bare $bare instructions/call, adapter $adapter, adapter's own $((adapter - bare))," \
    "ratio bare/adapter $(python3 -c "print(f'{$bare / $adapter:.3f}')")"
done
