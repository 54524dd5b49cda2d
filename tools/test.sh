#!/usr/bin/env bash
# Runs every test of the project and ends with one line: "N passed, N failed", counting
# GoogleTest cases across all test targets. Exits non-zero if any failed.
#
#   tools/test.sh                     # all tests
#   tools/test.sh --config=asan       # extra flags go to `bazel test`
#   BATON_TEST_TARGETS="//common/... //tests/..." tools/test.sh   # some packages only
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh interop go || exit 1
# The Go client that talks to the suite as grpcurl does (tests/interop/go).
tests/interop/go/build.sh || exit 1
# The Node interop client's packages, at the versions package-lock.json pins.
if [ ! -d tests/interop/node/node_modules/@grpc/grpc-js ] ||
   [ tests/interop/node/package-lock.json -nt tests/interop/node/node_modules ]; then
  (cd tests/interop/node && npm ci --no-audit --no-fund --loglevel=error) || exit 1
fi
case " $* " in
  *" --config=tsan "*)
    bazel/tsan/build_instrumented_abseil.sh || exit 1
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root install -D -m 644 bazel/tsan/suppressions.txt /opt/baton/absl-tsan/suppressions.txt
    ;;
esac

patterns=${BATON_TEST_TARGETS:-//...}
query="tests($(echo $patterns | sed 's/ / + /g'))"
targets=$(bazel query "$query" 2>/dev/null) || { echo "bazel query failed" >&2; exit 1; }
bazel test --keep_going "$@" $patterns
bazel_status=$?

# A test that crashed cannot stop the PostgreSQL it started (testing/postgres_server.h
# puts them under /tmp/baton-pg-*): stop any that are left, and remove their files.
for dir in /tmp/baton-pg-*; do
  [ -d "$dir" ] || continue
  pkill -f -- "-D $dir/data" 2>/dev/null || true
  rm -rf "$dir"
done

testlogs=$(bazel info "$@" bazel-testlogs 2>/dev/null)
python3 tools/count_test_cases.py "$testlogs" $targets
count_status=$?
[ $bazel_status -eq 0 ] && [ $count_status -eq 0 ]
