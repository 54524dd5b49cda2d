// loadgen: a load generator for any gRPC unary method whose protos are linked in (all
// of Baton's), in the manner of ghz and fortio.
//
//   loadgen --target=127.0.0.1:50050 --method=baton.shop.v1.ShopService/GetProduct
//           --data='{"sku":"tea-green"}' -H 'x-api-key: bk_...'
//           --concurrency=16 --duration=10s --timeout=100ms
//   loadgen ... --rate=2000            # open loop: 2000 calls/s on a fixed schedule
//   loadgen ... --json                 # the report as one JSON object on stdout
//
// Closed loop (--rate=0): --concurrency callers, each starting its next call when the
// last ends. Open loop (--rate>0): calls start on schedule whatever the answers do, and
// latency counts from the scheduled start, so a stall is measured, not hidden. Each
// call may carry a deadline (--timeout), headers (-H/--header "name: value", repeatable)
// and, with --unique_request_ids, an x-request-id of its own. A progress line goes to
// stderr every --progress.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "baton/catalog/v1/catalog.pb.h"
#include "baton/inventory/v1/inventory.pb.h"
#include "baton/orders/v1/orders.pb.h"
#include "baton/shop/v1/shop.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tools/loadgen/generic_caller.h"
#include "tools/loadgen/latency_recorder.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50050", "HOST:PORT to call.");
ABSL_FLAG(std::string, method, "", "package.Service/Method (unary).");
ABSL_FLAG(std::string, data, "{}", "The request, in proto3 JSON.");
ABSL_FLAG(int, concurrency, 16,
          "Closed loop: callers; open loop: at most this many x 64 in flight.");
ABSL_FLAG(double, rate, 0, "Calls per second on a fixed schedule (open loop); 0: closed loop.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "How long to run.");
ABSL_FLAG(int64_t, requests, 0, "Stop after this many calls (0: run for --duration).");
ABSL_FLAG(absl::Duration, timeout, absl::InfiniteDuration(), "Each call's deadline.");
ABSL_FLAG(bool, unique_request_ids, false, "Give each call an x-request-id of its own.");
ABSL_FLAG(absl::Duration, progress, absl::Seconds(1), "Interval of the progress line.");
ABSL_FLAG(bool, json, false, "Print the report as JSON.");

namespace baton::loadgen {
namespace {

// The generated descriptors register themselves only if linked; naming one type of each
// file keeps them in the binary.
void LinkDescriptors() {
  (void)catalog::v1::Product::descriptor();
  (void)inventory::v1::Stock::descriptor();
  (void)orders::v1::Order::descriptor();
  (void)shop::v1::ProductWithStock::descriptor();
  (void)grpc::health::v1::HealthCheckResponse::descriptor();
}

// grpcurl-style -H/--header values, taken out of argv before absl sees it.
absl::StatusOr<Headers> TakeHeaders(int& argc, char** argv) {
  Headers headers;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string value;
    if ((std::strcmp(argv[i], "-H") == 0 || std::strcmp(argv[i], "--header") == 0) &&
        i + 1 < argc) {
      value = argv[++i];
    } else if (std::strncmp(argv[i], "--header=", 9) == 0) {
      value = argv[i] + 9;
    } else {
      argv[out++] = argv[i];
      continue;
    }
    const size_t colon = value.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError("-H: \"" + value + "\" is not \"name: value\"");
    }
    headers.emplace_back(absl::AsciiStrToLower(value.substr(0, colon)),
                         std::string(absl::StripAsciiWhitespace(value.substr(colon + 1))));
  }
  argc = out;
  return headers;
}

struct Run {
  Run(GenericCaller* caller, Headers headers, absl::Duration timeout, bool unique_ids)
      : caller(caller), headers(std::move(headers)), timeout(timeout), unique_ids(unique_ids) {}

  GenericCaller* const caller;
  const Headers headers;
  const absl::Duration timeout;
  const bool unique_ids;
  LatencyRecorder recorder;
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> finished{0};
  std::atomic<int64_t> in_flight{0};

  // Starts call number `n`, intended to start at `intended`.
  void Send(int64_t n, absl::Time intended, std::function<void()> then) {
    Headers call_headers = headers;
    if (unique_ids)
      call_headers.emplace_back("x-request-id", absl::StrCat("loadgen-", getpid(), "-", n));
    const absl::Time deadline =
        timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
    in_flight.fetch_add(1);
    caller->Start(deadline, call_headers, [this, intended, then = std::move(then)](grpc::Status s) {
      recorder.Record(absl::Now() - intended,
                      absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code())));
      in_flight.fetch_sub(1);
      finished.fetch_add(1);
      if (then) then();
    });
  }
};

void ClosedLoop(Run& run, int concurrency, absl::Time stop, int64_t limit) {
  std::vector<std::thread> callers;
  for (int c = 0; c < concurrency; ++c) {
    callers.emplace_back([&run, stop, limit] {
      while (absl::Now() < stop) {
        const int64_t n = run.started.fetch_add(1);
        if (limit > 0 && n >= limit) return;
        absl::Notification done;
        run.Send(n, absl::Now(), [&done] { done.Notify(); });
        done.WaitForNotification();
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
}

void OpenLoop(Run& run, double rate, int max_in_flight, absl::Time start, absl::Time stop,
              int64_t limit) {
  const absl::Duration interval = absl::Seconds(1) / rate;
  for (int64_t n = 0;; ++n) {
    if (limit > 0 && n >= limit) break;
    const absl::Time intended = start + interval * n;
    if (intended >= stop) break;
    absl::SleepFor(intended - absl::Now());
    run.started.fetch_add(1);
    if (run.in_flight.load() >= max_in_flight) {
      // The client itself cannot keep up: counted, never silently skipped.
      run.recorder.Record(absl::Now() - intended, "CLIENT_OVERLOADED");
      run.finished.fetch_add(1);
      continue;
    }
    run.Send(n, intended, nullptr);
  }
  // Let the last calls end (bounded: their deadline, or 30 s).
  const absl::Time give_up =
      absl::Now() + std::min(absl::Seconds(30), run.timeout + absl::Seconds(5));
  while (run.in_flight.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
}

int Main(int argc, char** argv) {
  LinkDescriptors();
  absl::StatusOr<Headers> headers = TakeHeaders(argc, argv);
  if (!headers.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", std::string(headers.status().message()).c_str());
    return 2;
  }
  absl::SetProgramUsageMessage(
      "Load generator for gRPC unary methods; see tools/loadgen/loadgen.cc.");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<std::unique_ptr<GenericCaller>> caller = GenericCaller::Create(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()),
      absl::GetFlag(FLAGS_method), absl::GetFlag(FLAGS_data));
  if (!caller.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", std::string(caller.status().message()).c_str());
    return 2;
  }
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const double rate = absl::GetFlag(FLAGS_rate);
  if (concurrency < 1 || rate < 0) {
    std::fprintf(stderr, "loadgen: --concurrency must be >= 1 and --rate >= 0\n");
    return 2;
  }
  Run run(caller->get(), *headers, absl::GetFlag(FLAGS_timeout),
          absl::GetFlag(FLAGS_unique_request_ids));
  const absl::Time start = absl::Now();
  const absl::Time stop = start + absl::GetFlag(FLAGS_duration);
  const int64_t limit = absl::GetFlag(FLAGS_requests);

  std::atomic<bool> running{true};
  std::thread progress([&] {
    const absl::Duration every = absl::GetFlag(FLAGS_progress);
    int64_t last = 0;
    absl::Time last_at = start;
    while (running.load()) {
      absl::SleepFor(std::min(every, absl::Milliseconds(100)));
      if (absl::Now() - last_at < every || !running.load()) continue;
      const int64_t done = run.finished.load();
      const absl::Time now = absl::Now();
      std::fprintf(stderr, "[%5.1fs] calls %lld  %.0f/s  in flight %lld\n",
                   absl::ToDoubleSeconds(now - start), static_cast<long long>(done),
                   static_cast<double>(done - last) / absl::ToDoubleSeconds(now - last_at),
                   static_cast<long long>(run.in_flight.load()));
      last = done;
      last_at = now;
    }
  });
  if (rate > 0) {
    OpenLoop(run, rate, concurrency * 64, start, stop, limit);
  } else {
    ClosedLoop(run, concurrency, stop, limit);
  }
  const absl::Duration elapsed = absl::Now() - start;
  running = false;
  progress.join();
  const Summary summary = run.recorder.Summarize(elapsed);
  const std::string report = absl::GetFlag(FLAGS_json) ? ToJson(summary) + "\n" : ToText(summary);
  std::fwrite(report.data(), 1, report.size(), stdout);
  return 0;
}

}  // namespace
}  // namespace baton::loadgen

int main(int argc, char** argv) { return baton::loadgen::Main(argc, argv); }
