// The operations Go's context is usually measured on, for comparison with
// go_compare/context_compare_test.go on the same machine (docs/benchmarks.md).
//
//   bazel run -c opt //common/context:context_benchmark
#include <malloc.h>

#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/context/context.h"

namespace baton {
namespace {

// One key per depth, as Go's benchmark uses key(i).
constexpr ContextKey<int> kKeys[16] = {
    ContextKey<int>("k0"),  ContextKey<int>("k1"),  ContextKey<int>("k2"),
    ContextKey<int>("k3"),  ContextKey<int>("k4"),  ContextKey<int>("k5"),
    ContextKey<int>("k6"),  ContextKey<int>("k7"),  ContextKey<int>("k8"),
    ContextKey<int>("k9"),  ContextKey<int>("k10"), ContextKey<int>("k11"),
    ContextKey<int>("k12"), ContextKey<int>("k13"), ContextKey<int>("k14"),
    ContextKey<int>("k15")};
constexpr ContextKey<int> kExtra("extra");

// Go's `ctx = context.WithValue(ctx, k, v)` drops the old ctx; in C++ that is a move.
Context ValueChain(int depth) {
  Context ctx = Background();
  for (int i = 0; i < depth; ++i) ctx = WithValue(std::move(ctx), kKeys[i], i);
  return ctx;
}

void BM_WithValue(benchmark::State& state) {
  const Context parent = ValueChain(4);
  int i = 0;
  for (auto _ : state) {
    Context child = WithValue(parent, kExtra, ++i);
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithValue);

void BM_WithValueChain(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Context chain = ValueChain(depth);
    benchmark::DoNotOptimize(chain);
  }
}
BENCHMARK(BM_WithValueChain)->Arg(1)->Arg(4)->Arg(16);

void BM_ValueLookupNearest(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  Context ctx = ValueChain(depth);
  const ContextKey<int>& key = kKeys[depth - 1];
  for (auto _ : state) {
    // Makes the compiler assume ctx changed, so the lookup is not hoisted.
    benchmark::DoNotOptimize(ctx);
    benchmark::DoNotOptimize(ctx.Value(key));
  }
}
BENCHMARK(BM_ValueLookupNearest)->Arg(1)->Arg(4)->Arg(16);

void BM_ValueLookupFarthest(benchmark::State& state) {
  Context ctx = ValueChain(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(ctx);
    benchmark::DoNotOptimize(ctx.Value(kKeys[0]));
  }
}
BENCHMARK(BM_ValueLookupFarthest)->Arg(1)->Arg(4)->Arg(16);

void BM_WithCancelCreateCancel(benchmark::State& state) {
  auto [parent, cancel_parent] = WithCancel(Background());
  for (auto _ : state) {
    auto [child, cancel] = WithCancel(parent);
    cancel();
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithCancelCreateCancel);

void BM_WithTimeoutCreateCancel(benchmark::State& state) {
  auto [parent, cancel_parent] = WithCancel(Background());
  for (auto _ : state) {
    auto [child, cancel] = WithTimeout(parent, absl::Hours(1));
    cancel();
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithTimeoutCreateCancel);

void BM_ErrLive(benchmark::State& state) {
  auto [ctx, cancel] = WithTimeout(Background(), absl::Hours(1));
  for (auto _ : state) benchmark::DoNotOptimize(ctx.Err());
}
BENCHMARK(BM_ErrLive);

void BM_CancelParentWithChildren(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<DerivedContext<CancelHandle>> children;
  children.reserve(n);
  for (auto _ : state) {
    auto [parent, cancel_parent] = WithCancel(Background());
    for (int c = 0; c < n; ++c) children.push_back(WithCancel(parent));
    cancel_parent();
    children.clear();
  }
}
BENCHMARK(BM_CancelParentWithChildren)->Arg(1)->Arg(100)->Arg(10000);

void BM_AfterFuncRegisterStop(benchmark::State& state) {
  auto [ctx, cancel] = WithCancel(Background());
  for (auto _ : state) {
    AfterFuncHandle handle = AfterFunc(ctx, [] {});
    benchmark::DoNotOptimize(handle.Stop());
  }
}
BENCHMARK(BM_AfterFuncRegisterStop);

}  // namespace
}  // namespace baton

int main(int argc, char** argv) {
  // glibc returns freed memory at the top of the heap to the OS once more than 128 KiB
  // is free, so a loop that frees 10,000 contexts and makes them again page-faults the
  // same memory back every iteration. Go's runtime keeps its heap; so do servers that
  // set this (or use another allocator). docs/benchmarks.md also gives the figure
  // without it (--glibc_default_trim).
  bool default_trim = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--glibc_default_trim") default_trim = true;
  }
  if (!default_trim) mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // A server is multi-threaded, and that changes costs: glibc and libstdc++ skip
  // atomic operations (shared_ptr counts, malloc locks) while a process has one
  // thread. Leave that mode before measuring, as the clock's timer thread would.
  std::thread([] {}).join();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
