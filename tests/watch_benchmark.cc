// Streaming through the suite (docs/benchmarks.md): one client watches a product
// through the gateway (WatchProduct, relayed from inventory's WatchStock) while another
// changes its stock as fast as inventory takes it (SetStock, one at a time). Reported:
// changes made and updates delivered per second, and the time from a change being sent
// (SetStock called) to the watcher receiving it. Under churn a watch may skip a
// state — it sends the stock as it is when it looks — so updates ≤ changes.
//
//   bazel run -c opt //tests:watch_benchmark -- [--seconds=10]
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/bench_flags.h"
#include "tests/testing/benchmark_suite.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {


int Main(int argc, char** argv) {
  const BenchFlags flags =
      BenchFlags::ParseOrExit(argc, argv, {{"seconds", FlagKind::kWholeNumber, 1}});
  const int seconds = static_cast<int>(flags.Number("seconds", 10));
  absl::StatusOr<std::unique_ptr<ShopSuite>> suite = StartSuiteForBenchmark(argv[0], "watch");
  if (!suite.ok()) {
    std::fprintf(stderr, "%s\n", std::string(suite.status().message()).c_str());
    return 1;
  }
  ShopSuite& shop = **suite;
  if (!shop.AddProduct("wb-tea", 100, 0).ok() || !shop.WarmUp().ok()) return 1;

  // sent_at[i]: when SetStock(available = i + 1) was called.
  const int max_changes = 10000000;
  std::vector<absl::Time> sent_at;
  sent_at.reserve(1 << 20);
  absl::Mutex mu;
  std::vector<double> latency_ms;
  int64_t updates = 0;

  auto call = shop.ShopCall(absl::Seconds(seconds + 30));
  shop::v1::WatchProductRequest request;
  request.set_sku("wb-tea");
  auto stream = shop.shop().WatchProduct(call.get(), request);
  shop::v1::StockUpdate update;
  if (!stream->Read(&update)) return 1;  // The first state: the watch is open.
  std::thread watcher([&] {
    while (stream->Read(&update)) {
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mu);
      ++updates;
      const int64_t i = update.available() - 1;
      if (i >= 0 && i < static_cast<int64_t>(sent_at.size())) {
        latency_ms.push_back(absl::ToDoubleMilliseconds(now - sent_at[i]));
      }
    }
  });
  const absl::Time start = absl::Now();
  int64_t changes = 0;
  for (int i = 1; i <= max_changes && absl::Now() - start < absl::Seconds(seconds); ++i) {
    inventory::v1::SetStockRequest set;
    set.set_sku("wb-tea");
    set.set_available(i);
    {
      // Recorded before the call: an update can arrive before the answer does.
      absl::MutexLock lock(&mu);
      sent_at.push_back(absl::Now());
    }
    inventory::v1::Stock stock;
    grpc::ClientContext set_call;
    set_call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    if (!shop.inventory().SetStock(&set_call, set, &stock).ok()) break;
    ++changes;
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  absl::SleepFor(absl::Milliseconds(200));  // The last updates arrive.
  call->TryCancel();
  watcher.join();
  stream->Finish();
  absl::MutexLock lock(&mu);
  std::printf("%.1f s: %lld changes (%.0f/s), %lld updates delivered (%.0f/s)\n", elapsed,
              static_cast<long long>(changes), changes / elapsed, static_cast<long long>(updates),
              updates / elapsed);
  std::printf("change sent → update received: p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
              Percentile(latency_ms, 0.5), Percentile(latency_ms, 0.99),
              Percentile(latency_ms, 1.0));
  return 0;
}

}  // namespace
}  // namespace baton::testing

int main(int argc, char** argv) { return baton::testing::Main(argc, argv); }
