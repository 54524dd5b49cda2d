# Sourced by the scripts that run the whole suite for a measurement (bench_suite.sh,
# soak.sh): the four services on free loopback ports, SQLite in a temporary data
# directory, metrics ports on, an API key, demo data; everything stopped on exit.
#
#   source tools/suite_lib.sh
#   suite_start [extra flags for every service...]   # sets $data, $bin, $key
#   addr gateway; metrics_port orders; pid_of inventory
#
# Expects the binaries built (bazel build //services/... //tools/seed:seed_demo).

bin="$(bazel info bazel-bin 2>/dev/null)"
data="$(mktemp -d /tmp/baton-suite-XXXXXX)"
declare -A suite_pids=()
suite_stop() {
  for pid in "${suite_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${suite_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap suite_stop EXIT

suite_service() {  # name, flags...
  local name=$1
  shift
  "$bin/services/$name/$name" --listen=127.0.0.1:0 --port_file="$data/$name.port" \
    --metrics_listen=127.0.0.1:0 --metrics_port_file="$data/$name.metrics-port" \
    --storage="sqlite://$data/$name.db" "$@" 2>"$data/$name.log" &
  suite_pids[$name]=$!
  for _ in $(seq 1 300); do [ -s "$data/$name.port" ] && break; sleep 0.1; done
  [ -s "$data/$name.port" ] || { echo "$name did not start; see $data/$name.log" >&2; exit 1; }
}
addr() { echo "127.0.0.1:$(cat "$data/$1.port")"; }
metrics_port() { cat "$data/$1.metrics-port"; }
pid_of() { echo "${suite_pids[$1]}"; }

suite_start() {  # flags for every service...
  suite_service catalog "$@"
  suite_service inventory "$@"
  suite_service orders --catalog_address="$(addr catalog)" \
    --inventory_address="$(addr inventory)" "$@"
  key=$("$bin/services/gateway/gateway" --storage="sqlite://$data/gateway.db" \
    --create_api_key=suite 2>/dev/null)
  suite_service gateway --catalog_address="$(addr catalog)" \
    --inventory_address="$(addr inventory)" --orders_address="$(addr orders)" "$@"
  "$bin/tools/seed/seed_demo" --catalog="$(addr catalog)" --inventory="$(addr inventory)" >/dev/null
  # Stock enough that no order of a run is refused for want of it.
  "$bin/tools/loadgen/loadgen" --target="$(addr inventory)" \
    --method=baton.inventory.v1.InventoryService/SetStock \
    --data='{"sku": "tea-green", "available": 1000000000}' --requests=1 --concurrency=1 >/dev/null
}
