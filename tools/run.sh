#!/usr/bin/env bash
# Builds and starts the Baton suite on loopback with the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
bazel build //...
services=$(bazel query 'kind(cc_binary, //services/...)' 2>/dev/null || true)
if [ -z "$services" ]; then
  echo "Built everything. No services exist yet: the Context library is ready;"
  echo "its benchmark runs with: bazel run //common/context:context_benchmark"
  exit 0
fi
exec tools/run_suite.sh "$@"
