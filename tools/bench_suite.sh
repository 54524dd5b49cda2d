#!/usr/bin/env bash
# Benchmark 7 (docs/benchmarks.md): the whole suite on SQLite, driven through the
# gateway by tools/loadgen at concurrency 16 — PlaceOrder (every call a new order: a
# catalog fan-out, a reservation, a transaction, a commit) and GetProduct (two reads in
# parallel).
#
#   tools/bench_suite.sh [seconds]        # default 10 s per method
#
# Starts the four services on free loopback ports with a temporary data directory and
# stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
bazel build //services/... //tools/seed:seed_demo //tools/loadgen >/dev/null
bin="$(bazel info bazel-bin 2>/dev/null)"
data="$(mktemp -d /tmp/baton-bench-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT

start() {  # name, flags...
  local name=$1
  shift
  "$bin/services/$name/$name" --listen=127.0.0.1:0 --port_file="$data/$name.port" \
    --storage="sqlite://$data/$name.db" "$@" 2>"$data/$name.log" &
  pids+=("$!")
  for _ in $(seq 1 300); do [ -s "$data/$name.port" ] && break; sleep 0.1; done
  [ -s "$data/$name.port" ] || { echo "$name did not start" >&2; exit 1; }
}
addr() { echo "127.0.0.1:$(cat "$data/$1.port")"; }

start catalog
start inventory
start orders --catalog_address="$(addr catalog)" --inventory_address="$(addr inventory)"
key=$("$bin/services/gateway/gateway" --storage="sqlite://$data/gateway.db" --create_api_key=bench 2>/dev/null)
start gateway --catalog_address="$(addr catalog)" --inventory_address="$(addr inventory)" \
  --orders_address="$(addr orders)"
"$bin/tools/seed/seed_demo" --catalog="$(addr catalog)" --inventory="$(addr inventory)" >/dev/null
"$bin/tools/loadgen/loadgen" --target="$(addr inventory)" \
  --method=baton.inventory.v1.InventoryService/SetStock \
  --data='{"sku": "tea-green", "available": 1000000000}' --requests=1 --concurrency=1 >/dev/null

echo "== PlaceOrder through the gateway, c=16, ${seconds}s, 1 s deadline"
"$bin/tools/loadgen/loadgen" --target="$(addr gateway)" \
  --method=baton.shop.v1.ShopService/PlaceOrder -H "x-api-key: $key" --unique_request_ids \
  --data='{"customer": "bench", "items": [{"sku": "tea-green", "quantity": 1}]}' \
  --concurrency=16 --duration="${seconds}s" --timeout=1s --progress=5s
echo "== GetProduct through the gateway, c=16, ${seconds}s, 1 s deadline"
"$bin/tools/loadgen/loadgen" --target="$(addr gateway)" \
  --method=baton.shop.v1.ShopService/GetProduct -H "x-api-key: $key" \
  --data='{"sku": "tea-green"}' --concurrency=16 --duration="${seconds}s" --timeout=1s --progress=5s
