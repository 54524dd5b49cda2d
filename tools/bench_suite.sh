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
source tools/suite_lib.sh
suite_start

echo "== PlaceOrder through the gateway, c=16, ${seconds}s, 1 s deadline"
"$bin/tools/loadgen/loadgen" --target="$(addr gateway)" \
  --method=baton.shop.v1.ShopService/PlaceOrder -H "x-api-key: $key" --unique_request_ids \
  --data='{"customer": "bench", "items": [{"sku": "tea-green", "quantity": 1}]}' \
  --concurrency=16 --duration="${seconds}s" --timeout=1s --progress=5s
echo "== GetProduct through the gateway, c=16, ${seconds}s, 1 s deadline"
"$bin/tools/loadgen/loadgen" --target="$(addr gateway)" \
  --method=baton.shop.v1.ShopService/GetProduct -H "x-api-key: $key" \
  --data='{"sku": "tea-green"}' --concurrency=16 --duration="${seconds}s" --timeout=1s --progress=5s
