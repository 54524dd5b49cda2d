#!/usr/bin/env bash
# Builds every libFuzzer target (bazel/fuzz.bzl, --config=fuzz: clang-14 + ASan + UBSan)
# and runs each for a bounded time on a copy of its checked-in seed corpus. Prints one
# line per fuzzer with its executions; exits non-zero if any fuzzer found a crash (the
# reproducer is kept under .baton/fuzz/).
#
#   tools/fuzz.sh [seconds per fuzzer, default 30]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
tools/install_deps.sh fuzz || exit 1
targets=$(bazel query 'attr(tags, "fuzzer", //...)' 2>/dev/null) || exit 1
bazel build --config=fuzz $targets || exit 1
bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)
status=0
for target in $targets; do
  package=${target#//}
  package=${package%%:*}
  name=${target##*:}
  corpus_name=${name%_fuzzer}
  work=.baton/fuzz/$name
  rm -rf "$work" && mkdir -p "$work/corpus"
  cp "$package/fuzz_corpus/$corpus_name"/* "$work/corpus/" 2>/dev/null
  "$bin/$package/$name" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" > "$work/log" 2>&1
  result=$?
  runs=$(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}')
  if [ $result -eq 0 ]; then
    echo "$name: ${runs:-?} executions in ${seconds}s, no crash"
  else
    echo "$name: FAILED after ${runs:-?} executions; see $work/log" >&2
    status=1
  fi
done
exit $status
