#!/usr/bin/env bash
# Builds the grpc-go chain (main.go) offline from Debian's Go packages (grpc-go 1.33,
# the protobuf code generator of the same era, with its grpc plugin) and prints the
# binary's path.
#
#   tools/bench/go_chain/build.sh [output]     # default .baton/go_chain
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
out=$(realpath -m "${1:-$root/.baton/go_chain}")
cd "$root"
tools/install_deps.sh go-protoc >&2
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
protoc -Iproto --go_out="plugins=grpc,paths=source_relative:$generated" \
  baton/testing/v1/chain.proto
tools/go_build_offline.sh "$out" batonbench/go_chain \
  tools/bench/go_chain=batonbench/go_chain "$generated/baton/testing/v1=batonbench/chainpb"
echo "$out"
