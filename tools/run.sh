#!/usr/bin/env bash
# Builds and starts the Baton suite on loopback with the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
bazel build //services/... //tools/seed:seed_demo
exec tools/run_suite.sh "$@"
