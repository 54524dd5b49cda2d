#!/usr/bin/env bash
# Builds the grpc-go chain (main.go) offline, from Debian's Go packages (grpc-go 1.33,
# the legacy protoc-gen-go with its grpc plugin), and prints the binary's path.
#
#   tools/bench/go_chain/build.sh [output]     # default .baton/go_chain
set -euo pipefail
cd "$(dirname "$0")/../../.."
tools/install_deps.sh go >&2
out=$(realpath -m "${1:-.baton/go_chain}")
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/batonbench/chainpb" "$gopath/src/batonbench/go_chain" "$(dirname "$out")"
protoc -Iproto --go_out="plugins=grpc,paths=source_relative:$gopath/src/batonbench/chainpb" \
  baton/testing/v1/chain.proto
mv "$gopath/src/batonbench/chainpb/baton/testing/v1/chain.pb.go" "$gopath/src/batonbench/chainpb/"
rm -rf "$gopath/src/batonbench/chainpb/baton"
sed -i 's/^package baton_testing_v1$/package chainpb/' "$gopath/src/batonbench/chainpb/chain.pb.go"
cp tools/bench/go_chain/main.go "$gopath/src/batonbench/go_chain/"
(cd "$gopath/src/batonbench/go_chain" &&
  GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$gopath/cache" \
    go build -o "$out" .)
echo "$out"
