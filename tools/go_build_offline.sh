#!/usr/bin/env bash
# Builds a Go program offline, in GOPATH mode against Debian's Go packages
# (/usr/share/gocode): no module is downloaded, nothing touches the network.
#
#   tools/go_build_offline.sh OUT MAIN_IMPORT_PATH DIR=IMPORT_PATH...
#
# Each DIR's .go files are staged as package IMPORT_PATH in a temporary GOPATH, then
# MAIN_IMPORT_PATH (one of them) is built into OUT. The build cache is kept in
# .baton/go-cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=$(realpath -m "$1")
main=$2
shift 2
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
for staged in "$@"; do
  mkdir -p "$gopath/src/${staged#*=}"
  cp "${staged%%=*}"/*.go "$gopath/src/${staged#*=}/"
done
mkdir -p "$(dirname "$out")" "$root/.baton/go-cache"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$root/.baton/go-cache" \
  go build -o "$out" "$main"
