// Cancel latency through the suite (docs/benchmarks.md): a client cancels a call while
// the hop at the bottom is busy with it; the figure is the time from the client's
// cancel to each hop's handler returning, read from the hops' own request-log lines
// (start time + duration).
//
//   --scenario=order  PlaceOrder while inventory — three hops down (gateway → orders →
//                     inventory) — is inside a storage call, held open by fault
//                     injection (inventory.storage=delay:10s), which waits inside the
//                     storage layer the way a slow statement would and stops when the
//                     Context is done. A handler returns after its storage call does,
//                     so the leaf's figure bounds the storage call's return from above.
//   --scenario=watch  WatchProduct once its first update has arrived: the gateway's
//                     stream and the inner WatchStock stream it opened to inventory,
//                     whose handler waits for stock changes.
//
//   bazel run -c opt //tests:cancel_latency_benchmark -- [--runs=300] [--scenario=watch]
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/bench_flags.h"
#include "tests/testing/log_lines.h"
#include "tests/testing/benchmark_suite.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {


// Starts a PlaceOrder held in inventory's storage call, cancels it; when it cancelled.
absl::Time CancelOrder(ShopSuite& shop, const std::string& request_id, grpc::Status& status) {
  auto call = shop.ShopCall(absl::Seconds(30), {{"x-request-id", request_id},
                                                {"x-baton-fault", "inventory.storage=delay:10s"}});
  const orders::v1::PlaceOrderRequest request = OrderOf("cl-customer", {{"cl-tea", 1}});
  orders::v1::Order order;
  absl::Notification done;
  shop.shop().async()->PlaceOrder(call.get(), &request, &order, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  // Long enough for the call to reach inventory's storage call on a busy machine.
  absl::SleepFor(absl::Milliseconds(60));
  const absl::Time cancelled = absl::Now();
  call->TryCancel();
  done.WaitForNotification();
  return cancelled;
}

// Opens a WatchProduct, waits for its first update (both streams are open), cancels it.
absl::Time CancelWatch(ShopSuite& shop, const std::string& request_id, grpc::Status& status) {
  auto call = shop.ShopCall(absl::Seconds(30), {{"x-request-id", request_id}});
  shop::v1::WatchProductRequest request;
  request.set_sku("cl-tea");
  auto stream = shop.shop().WatchProduct(call.get(), request);
  shop::v1::StockUpdate update;
  stream->Read(&update);
  const absl::Time cancelled = absl::Now();
  call->TryCancel();
  status = stream->Finish();
  return cancelled;
}

int Main(int argc, char** argv) {
  const BenchFlags flags = BenchFlags::ParseOrExit(
      argc, argv,
      {{"runs", FlagKind::kWholeNumber, 1}, {"scenario", FlagKind::kText, 0, {"order", "watch"}}});
  const int runs = static_cast<int>(flags.Number("runs", 300));
  const bool watch = flags.Text("scenario", "order") == "watch";
  // Outside `bazel test`, find the services in this binary's runfiles.
  absl::StatusOr<std::unique_ptr<ShopSuite>> suite = StartSuiteForBenchmark(argv[0], "cancel-latency");
  if (!suite.ok()) {
    std::fprintf(stderr, "%s\n", std::string(suite.status().message()).c_str());
    return 1;
  }
  ShopSuite& shop = **suite;
  if (!shop.AddProduct("cl-tea", 100, 1000000).ok() || !shop.WarmUp().ok()) return 1;

  const std::vector<std::pair<std::string, std::string>> hops =
      watch ? std::vector<std::pair<std::string, std::string>>{{"gateway", "WatchProduct"},
                                                               {"inventory", "WatchStock"}}
            : std::vector<std::pair<std::string, std::string>>{
                  {"gateway", "PlaceOrder"}, {"orders", "PlaceOrder"}, {"inventory", "Reserve"}};
  std::map<std::string, std::vector<double>> latency_ms;
  std::vector<std::pair<std::string, absl::Time>> cancels;
  int not_cancelled = 0;
  for (int run = 0; run < runs; ++run) {
    grpc::Status status;
    const std::string request_id = absl::StrCat("cancel-latency-", run);
    const absl::Time cancelled = watch ? CancelWatch(shop, request_id, status)
                                       : CancelOrder(shop, request_id, status);
    if (status.error_code() != grpc::StatusCode::CANCELLED) ++not_cancelled;
    cancels.emplace_back(request_id, cancelled);
    // The client hears CANCELLED at once, from its own stack; the cancel is still
    // crossing the hops. Let it, before the next call starts: otherwise each run's
    // figure includes the next run's arrival at the same services.
    absl::SleepFor(absl::Milliseconds(30));
  }
  absl::SleepFor(absl::Milliseconds(500));  // The last lines reach the logs.
  std::map<std::string, std::string> logs;
  for (const auto& [service, method] : hops) logs[service] = shop.Log(service);
  int missing = 0;
  for (const auto& [request_id, cancelled] : cancels) {
    for (const auto& [service, method] : hops) {
      std::optional<absl::Time> end = EndTime(LogLine(logs[service], method, request_id));
      if (!end.has_value()) {
        ++missing;
        continue;
      }
      latency_ms[service].push_back(absl::ToDoubleMilliseconds(*end - cancelled));
    }
  }
  std::printf("%d cancellations (%d not answered CANCELLED, %d log lines missing)\n", runs,
              not_cancelled, missing);
  std::printf("time from the client's cancel to each hop's handler returning:\n");
  for (const auto& [service, method] : hops) {
    const std::vector<double>& values = latency_ms[service];
    std::printf("  %-9s %-10s n=%zu  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", service.c_str(),
                method.c_str(), values.size(), Percentile(values, 0.5),
                Percentile(values, 0.99), Percentile(values, 1.0));
  }
  return 0;
}

}  // namespace
}  // namespace baton::testing

int main(int argc, char** argv) { return baton::testing::Main(argc, argv); }
