#!/usr/bin/env bash
# Installs the Debian 12 packages Baton builds, runs and tests with. Idempotent: installs
# only what is missing. Uses sudo when not root. Touches nothing but apt.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java g++ pkg-config python3
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc grpc-proto
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libpq-dev postgresql libmicrohttpd-dev
)
# Extra groups on request: `install_deps.sh go` adds Go, grpc-go and Go's protobuf (the
# Context comparison, the interop tests' Go client); `go-protoc` adds the Go protobuf
# code generator as well (the grpc-go benchmark chain, tools/bench/go_chain);
# `install_deps.sh interop` adds the independent clients and tools the tests drive the
# suite with (Node and npm, Python's grpcio, PyYAML for the deploy/ checks, openssl).
# `install_deps.sh fuzz` adds clang-14 and libFuzzer for tools/fuzz.sh. `bench` adds
# nghttp2's h2load, the adapter benchmark's client (common/testing/h2load_client.h),
# and valgrind (tools/callgrind_adapter.sh).
for extra in "$@"; do
  case "$extra" in
    go) packages+=(golang-go golang-google-grpc-dev golang-google-protobuf-dev) ;;
    go-protoc) packages+=(golang-go golang-google-grpc-dev golang-goprotobuf-dev) ;;
    fuzz) packages+=(clang-14 libfuzzer-14-dev) ;;
    bench) packages+=(nghttp2-client valgrind) ;;
    interop)
      packages+=(python3-grpcio python3-protobuf python3-yaml openssl)
      # A Node 20 that brings its own npm (as NodeSource's does) conflicts with Debian's
      # npm package: take Debian's only when there is no node or npm at all.
      command -v node >/dev/null || packages+=(nodejs)
      command -v npm >/dev/null || packages+=(npm)
      ;;
    *) echo "install_deps.sh: unknown group '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing: ${missing[*]}" >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
