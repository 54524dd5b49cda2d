#include "tools/bench/chain_load.h"

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "baton/testing/v1/chain.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace baton::bench {
namespace {

using baton::testing::v1::ChainRequest;
using baton::testing::v1::ChainResponse;
using baton::testing::v1::ChainService;

struct Slot {
  grpc::ClientContext context;
  ChainRequest request;
  ChainResponse response;
  absl::Time intended;
};

// Starts calls and records them; `on_end` runs after each completion.
class Driver {
 public:
  explicit Driver(const LoadOptions& options)
      : options_(options),
        stub_(ChainService::NewStub(
            grpc::CreateChannel(options.address, grpc::InsecureChannelCredentials()))) {}

  template <typename OnEnd>
  void Start(absl::Time intended, OnEnd on_end) {
    auto slot = std::make_shared<Slot>();
    slot->intended = intended;
    const absl::Time deadline = intended + options_.deadline;
    slot->context.set_deadline(absl::ToChronoTime(deadline));
    slot->request.set_work_us(options_.work_us);
    slot->request.set_caller_deadline_unix_us(absl::ToUnixMicros(deadline));
    outstanding_.fetch_add(1);
    stub_->async()->Step(&slot->context, &slot->request, &slot->response,
                         [this, slot, on_end](grpc::Status status) mutable {
                           recorder_.Record(
                               absl::Now() - slot->intended,
                               absl::StatusCodeToString(
                                   static_cast<absl::StatusCode>(status.error_code())));
                           // The context goes before Drain() can return (architecture.md:
                           // no channel is released last on gRPC's thread).
                           slot.reset();
                           on_end();
                           outstanding_.fetch_sub(1);  // The last touch of `this`.
                         });
  }

  // Waits until no call is outstanding (every call has a deadline, so this ends).
  void Drain() {
    while (outstanding_.load() > 0) absl::SleepFor(absl::Milliseconds(1));
  }

  loadgen::LatencyRecorder& recorder() { return recorder_; }

 private:
  const LoadOptions options_;
  std::unique_ptr<ChainService::Stub> stub_;
  loadgen::LatencyRecorder recorder_;
  std::atomic<int64_t> outstanding_{0};
};

}  // namespace

loadgen::Summary RunClosedLoop(const LoadOptions& options) {
  Driver driver(options);
  const absl::Time start = absl::Now();
  const absl::Time end = start + options.duration;
  // Each completion starts the next call until the end.
  std::function<void()> next;
  next = [&] {
    if (absl::Now() < end) driver.Start(absl::Now(), next);
  };
  for (int i = 0; i < options.concurrency; ++i) driver.Start(absl::Now(), next);
  absl::SleepFor(options.duration);
  driver.Drain();
  return driver.recorder().Summarize(absl::Now() - start);
}

loadgen::Summary RunOpenLoop(const LoadOptions& options) {
  Driver driver(options);
  const absl::Time start = absl::Now();
  const absl::Duration interval = absl::Seconds(1) / options.rate;
  for (int64_t i = 0;; ++i) {
    const absl::Time intended = start + interval * i;
    if (intended >= start + options.duration) break;
    const absl::Duration wait = intended - absl::Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    driver.Start(intended, [] {});
  }
  driver.Drain();
  return driver.recorder().Summarize(options.duration);
}

}  // namespace baton::bench
