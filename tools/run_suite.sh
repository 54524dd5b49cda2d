#!/usr/bin/env bash
# Starts the whole suite on loopback with the embedded SQLite default, seeds demo data
# and an API key, prints grpcurl commands to try, and stays in the foreground until
# Ctrl-C (or SIGTERM), which stops all four services cleanly.
#
#   tools/run_suite.sh                       # ports 50050 (gateway) to 50053
#   BATON_PORT_BASE=60050 tools/run_suite.sh # other ports
#   BATON_DATA_DIR=/var/tmp/baton tools/run_suite.sh
#
# Expects the binaries built (tools/run.sh builds them, then calls this).
set -euo pipefail
cd "$(dirname "$0")/.."

data="${BATON_DATA_DIR:-$PWD/.baton}"
base="${BATON_PORT_BASE:-50050}"
bin="$(bazel info bazel-bin 2>/dev/null)"
mkdir -p "$data/logs"

declare -A port=([gateway]=$base [catalog]=$((base + 1)) [inventory]=$((base + 2)) [orders]=$((base + 3)))
# Metrics (/metrics, /healthz) 100 above each gRPC port: 50150–50153 by default.
declare -A metrics=([gateway]=$((base + 100)) [catalog]=$((base + 101)) [inventory]=$((base + 102)) [orders]=$((base + 103)))
for name in gateway catalog inventory orders; do
  for p in "${port[$name]}" "${metrics[$name]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p (for $name) is in use; stop what uses it or set BATON_PORT_BASE" >&2
      exit 1
    fi
  done
done

addr() { echo "127.0.0.1:${port[$1]}"; }
pids=()
stop_all() {
  trap - INT TERM
  echo
  echo "stopping the suite..."
  local status=0
  # Front to back: the gateway stops taking calls first.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" || { status=$?; echo "pid $pid exited with $status" >&2; }; done
  echo "all four services stopped (logs: $data/logs)"
  exit $status
}
trap stop_all INT TERM

start() {  # name, flags...
  local name=$1
  shift
  rm -f "$data/$name.port"
  "$bin/services/$name/$name" --listen="$(addr "$name")" --port_file="$data/$name.port" \
    --metrics_listen="127.0.0.1:${metrics[$name]}" \
    --storage="sqlite://$data/$name.db" --enable_fault_injection "$@" \
    2>>"$data/logs/$name.log" &
  pids=("$!" "${pids[@]}")
  for _ in $(seq 1 300); do
    [ -s "$data/$name.port" ] && return 0
    kill -0 "${pids[0]}" 2>/dev/null || { echo "$name failed to start; see $data/logs/$name.log" >&2; tail -n 5 "$data/logs/$name.log" >&2; stop_all; }
    sleep 0.1
  done
  echo "$name did not start within 30s; see $data/logs/$name.log" >&2
  stop_all
}

backends=(--catalog_address="$(addr catalog)" --inventory_address="$(addr inventory)")
start catalog
start inventory
start orders "${backends[@]}"
# The key is shown once when created; the demo keeps it next to its data.
if [ ! -s "$data/api-key" ]; then
  "$bin/services/gateway/gateway" --storage="sqlite://$data/gateway.db" \
    --create_api_key=demo >"$data/api-key" 2>>"$data/logs/gateway.log"
fi
key=$(cat "$data/api-key")
start gateway "${backends[@]}" --orders_address="$(addr orders)"
"$bin/tools/seed/seed_demo" --catalog="$(addr catalog)" --inventory="$(addr inventory)" >/dev/null

gw=$(addr gateway)
cat <<EOT

Baton is running: gateway $gw, catalog $(addr catalog), inventory $(addr inventory), orders $(addr orders)
Data and JSON logs: $data   (fault injection is on: this is a demo)

Try (grpcurl uses server reflection; no .proto files needed):

  grpcurl -plaintext $gw list
  grpcurl -plaintext $gw describe baton.shop.v1.ShopService
  grpcurl -plaintext $gw grpc.health.v1.Health/Check

  grpcurl -plaintext -H 'x-api-key: $key' -d '{"page_size": 10}' \\
    $gw baton.shop.v1.ShopService/ListProducts
  grpcurl -plaintext -H 'x-api-key: $key' -d '{"sku": "kettle-last"}' \\
    $gw baton.shop.v1.ShopService/GetProduct

  # Place an order within 2 s. Sending the same x-request-id again returns the same order.
  grpcurl -plaintext -max-time 2 -H 'x-api-key: $key' -H 'x-request-id: demo-order-1' \\
    -d '{"customer": "ada", "items": [{"sku": "tea-green", "quantity": 2}, {"sku": "mug-blue", "quantity": 1}]}' \\
    $gw baton.shop.v1.ShopService/PlaceOrder

  # Inventory made 2 s slow, the caller allowing 500 ms: DEADLINE_EXCEEDED near 500 ms,
  # naming which budget ran out, with every hop's budget in the x-baton-budget-trail
  # trailer (-v shows it); inventory's work is abandoned and nothing is reserved.
  grpcurl -plaintext -v -max-time 0.5 -H 'x-api-key: $key' \\
    -H 'x-baton-fault: inventory=delay:2s' \\
    -d '{"customer": "ada", "items": [{"sku": "tea-green", "quantity": 1}]}' \\
    $gw baton.shop.v1.ShopService/PlaceOrder

  # A stream: the product's stock now and at every change, for 30 s (Ctrl-C ends it,
  # and the stream behind it in inventory with it).
  grpcurl -plaintext -max-time 30 -H 'x-api-key: $key' -d '{"sku": "tea-green"}' \\
    $gw baton.shop.v1.ShopService/WatchProduct

Metrics (Prometheus text) and health over HTTP:

  curl -s 127.0.0.1:${metrics[gateway]}/metrics | grep baton_requests_total
  curl -s 127.0.0.1:${metrics[orders]}/healthz

Ctrl-C stops all four.
EOT

# Stay in the foreground; if a service dies on its own, stop the others.
while true; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "a service exited unexpectedly; see $data/logs" >&2
      stop_all
    fi
  done
  sleep 1 &
  wait $! || true
done
