#!/usr/bin/env bash
# Builds grpcurl_like.go offline from Debian's Go packages (grpc-go, Go's protobuf)
# into tests/interop/go/.bin/grpcurl_like, where the interop test looks for it. Run by
# tools/test.sh before the tests; does nothing when the binary is newer than its source.
set -euo pipefail
cd "$(dirname "$0")"
out="$PWD/.bin/grpcurl_like"
[ -x "$out" ] && [ "$out" -nt grpcurl_like.go ] && exit 0
../../../tools/go_build_offline.sh "$out" grpcurl_like .=grpcurl_like
