#!/usr/bin/env bash
# The soak (docs/soak.md): the whole suite on SQLite under moderate, steady load through
# the gateway for a bounded time, sampled every few seconds for each service's resident
# memory, threads, open file descriptors and the server root Context's child set. Exits
# non-zero if, after the warm-up, memory grew 5% or more, threads or descriptors grew at
# all, or the child set outgrew the requests in flight (or did not go back to zero).
#
#   tools/soak.sh [seconds, default 300]
#
# The load, open loop (fixed rates), for the whole run:
#   100/s  PlaceOrder, 1 s deadline (a new order each: fan-out, reservation, commit)
#   100/s  GetProduct, 1 s deadline
#    20/s  PlaceOrder that catalog answers too late for its 100 ms deadline
#          (x-baton-fault: catalog=delay:300ms): every hop and the fan-out cancelled
#     2/s  PlaceOrder that inventory answers too late (inventory=delay:300ms): every
#          reservation released by a cleanup — which is slow too, since the fault
#          header travels with it, hence the low rate.
# The cancelled paths are where leaks would hide.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
bazel build -c opt //services/... //tools/seed:seed_demo //tools/loadgen >/dev/null 2>&1
source tools/suite_lib.sh
suite_start --enable_fault_injection
gw="$(addr gateway)"
load() {  # label, rate, timeout, data, method, headers...
  local label=$1 rate=$2 timeout=$3 body=$4 method=$5
  shift 5
  "$bin/tools/loadgen/loadgen" --target="$gw" --method="$method" -H "x-api-key: $key" "$@" \
    --data="$body" --rate="$rate" --concurrency=64 --duration="${seconds}s" \
    --timeout="$timeout" --progress=1000s --json >"$data/load-$label.json" 2>/dev/null &
  loads+=("$!")
}
loads=()
order='{"customer": "soak", "items": [{"sku": "tea-green", "quantity": 1}]}'
load orders 100 1s "$order" baton.shop.v1.ShopService/PlaceOrder --unique_request_ids
load products 100 1s '{"sku": "tea-green"}' baton.shop.v1.ShopService/GetProduct
load cut-in-catalog 20 100ms "$order" baton.shop.v1.ShopService/PlaceOrder --unique_request_ids \
  -H "x-baton-fault: catalog=delay:300ms"
load cut-in-inventory 2 100ms "$order" baton.shop.v1.ShopService/PlaceOrder --unique_request_ids \
  -H "x-baton-fault: inventory=delay:300ms"

services=()
for name in gateway catalog inventory orders; do
  services+=("$name=$(pid_of "$name"):$(metrics_port "$name")")
done
status=0
/usr/bin/python3 tools/soak_sample.py --seconds="$seconds" --warmup="$((seconds / 5 < 60 ? seconds / 5 : 60))" "${services[@]}" || status=$?
for pid in "${loads[@]}"; do wait "$pid" || true; done
echo
echo "load (calls, ok, errors by code):"
for f in "$data"/load-*.json; do
  echo "  $(basename "$f" .json): $(/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("calls"), r.get("ok"), r.get("codes", r.get("errors")))' "$f")"
done
exit $status
