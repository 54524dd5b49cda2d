#!/usr/bin/env bash
# Builds grpcurl_like.go offline from Debian's Go packages (grpc-go, Go protobuf) into
# tests/interop/go/.bin/grpcurl_like, where the interop test looks for it. Run by
# tools/test.sh before the tests; rebuilds only when the source is newer.
set -euo pipefail
cd "$(dirname "$0")"
out="$PWD/.bin/grpcurl_like"
[ -x "$out" ] && [ "$out" -nt grpcurl_like.go ] && exit 0
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/grpcurl_like" .bin
cp grpcurl_like.go "$gopath/src/grpcurl_like/"
(cd "$gopath/src/grpcurl_like" &&
  GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$gopath/cache" go build -o "$out" .)
