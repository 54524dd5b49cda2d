// Server-side admission through real gRPC on loopback: minimum budgets, observe
// mode, a full queue, shedding, and work that expires while queued.
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/context/introspection.h"
#include "common/rpc/client_call.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/testing/hop_client.h"
#include "common/rpc/testing/hop_fixtures.h"
#include "common/rpc/testing/hop_server.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "absl/strings/str_cat.h"
#include "common/testing/time_scale.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {
namespace {

using ::baton::testing::Scaled;
using ::testing::HasSubstr;


TEST_F(SingleHopTest, TooLittleBudgetOnArrivalNeverReachesTheHandler) {
  Build([](HopServer::Options& options) {
    options.method.min_budget = Scaled(absl::Seconds(1));
  });
  Result result = caller_->Call(Work(0), Scaled(absl::Milliseconds(300)));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr(absl::StrCat("below the ", 1000 * ::baton::testing::TimeScale(),
                                     "ms Hop needs")));
  EXPECT_EQ(server_->handler_runs(), 0);
  EXPECT_EQ(server_->adapter().stats().below_min_budget.load(), 1u);
  Result enough = caller_->Call(Work(0), Scaled(absl::Seconds(3)));
  EXPECT_TRUE(enough.status.ok());
  EXPECT_EQ(server_->handler_runs(), 1);
}

TEST_F(SingleHopTest, ObserveModeRunsWhatEnforceWouldReject) {
  Build([](HopServer::Options& options) {
    options.method.min_budget = absl::Seconds(1);
    options.adapter.policy.deadlines.enforcement = Enforcement::kObserve;
  });
  Result result = caller_->Call(Work(0), absl::Milliseconds(300));
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(server_->handler_runs(), 1);
  EXPECT_EQ(server_->adapter().stats().observed_rejections.load(), 1u);
  EXPECT_EQ(server_->adapter().stats().below_min_budget.load(), 0u);
}

TEST_F(SingleHopTest, FullQueueAnswersResourceExhausted) {
  Build([](HopServer::Options& options) {
    options.adapter.pool.threads = 1;
    options.adapter.pool.queue_bound = 1;
    options.adapter.pool.shed_threshold = 1;
  });
  // Occupy the one worker, then fill the one queue slot.
  InFlight running(caller_->stub(), Work(20000));
  ASSERT_TRUE(server_->WaitForWorkStarted(1, absl::Seconds(10)));
  InFlight queued(caller_->stub(), Work(20000));
  // The second call is queued once the pool reports it; poll briefly for that.
  for (int i = 0; i < 200 && server_->adapter().pool().queued() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  Result refused = caller_->Call(Work(0), absl::Seconds(5));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("queue is full"));
  EXPECT_EQ(server_->adapter().stats().queue_full.load(), 1u);
}

TEST_F(SingleHopTest, SheddableRequestsAreShedBeforeCriticalOnes) {
  Build([](HopServer::Options& options) {
    options.adapter.pool.threads = 1;
    options.adapter.pool.queue_bound = 10;
    options.adapter.pool.shed_threshold = 0;  // Any queueing counts as overload.
  });
  // The busy call is CRITICAL (the default), so it is queued and run; with
  // shed_threshold 0 any SHEDDABLE call is refused from then on.
  auto busy = std::make_unique<InFlight>(caller_->stub(), Work(20000));
  ASSERT_TRUE(server_->WaitForWorkStarted(1, absl::Seconds(10)));
  Result shed = caller_->Call(Work(0), absl::Seconds(5),
                              {{"x-baton-criticality", "SHEDDABLE"}});
  EXPECT_EQ(shed.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(shed.status.error_message(), HasSubstr("SHEDDABLE requests are shed"));
  EXPECT_EQ(server_->adapter().stats().shed.load(), 1u);
  busy.reset();
  Result critical = caller_->Call(Work(0), absl::Seconds(5));
  EXPECT_TRUE(critical.status.ok());
}

TEST_F(SingleHopTest, CallThatExpiresWhileQueuedIsNeverRun) {
  Build([](HopServer::Options& options) { options.adapter.pool.threads = 1; });
  InFlight busy(caller_->stub(), Work(500));
  ASSERT_TRUE(server_->WaitForWorkStarted(1, absl::Seconds(10)));
  Result expired = caller_->Call(Work(0), absl::Milliseconds(100));
  EXPECT_EQ(expired.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(busy.Wait().ok());
  // Give the worker a moment to reach (and drop) the expired call.
  for (int i = 0; i < 200 && server_->adapter().pool().expired_in_queue() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(server_->adapter().pool().expired_in_queue(), 1u);
  EXPECT_EQ(server_->handler_runs(), 1);  // Only the busy call ran.
}

TEST_F(SingleHopTest, CallThatWaitedHalfItsBudgetWithOthersBehindIsRefusedAtOnce) {
  Build([](HopServer::Options& options) { options.adapter.pool.threads = 1; });
  const int scale = ::baton::testing::TimeScale();
  InFlight busy(caller_->stub(), Work(300 * scale));
  ASSERT_TRUE(server_->WaitForWorkStarted(1, absl::Seconds(10)));
  // Queued behind the busy call with 400ms: by the time the worker is free (~300ms) it
  // has waited over half its budget, and another call waits behind it.
  Result late;
  std::thread late_caller(
      [&] { late = caller_->Call(Work(0), Scaled(absl::Milliseconds(400))); });
  for (int i = 0; i < 200 && server_->adapter().pool().queued() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  InFlight behind(caller_->stub(), Work(0));
  for (int i = 0; i < 200 && server_->adapter().pool().queued() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  late_caller.join();
  EXPECT_EQ(late.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << late.status.error_message();
  EXPECT_THAT(late.status.error_message(), HasSubstr(" is overloaded: waited"));
  EXPECT_THAT(late.status.error_message(), HasSubstr("in a queue that has fallen behind"));
  EXPECT_LT(late.elapsed, Scaled(absl::Milliseconds(400)));  // Told before its deadline.
  EXPECT_TRUE(busy.Wait().ok());
  EXPECT_TRUE(behind.Wait().ok());
  EXPECT_EQ(server_->adapter().pool().late_in_queue(), 1u);
  EXPECT_EQ(server_->handler_runs(), 2);  // The busy call and the one behind.
}

TEST_F(SingleHopTest, CallThatWouldWaitOverHalfItsBudgetIsRefusedOnArrival) {
  Build([](HopServer::Options& options) { options.adapter.pool.threads = 1; });
  InFlight busy(caller_->stub(), Work(2000 * ::baton::testing::TimeScale()));
  ASSERT_TRUE(server_->WaitForWorkStarted(1, absl::Seconds(10)));
  InFlight waiting(caller_->stub(), Work(0));  // 30 s deadline.
  for (int i = 0; i < 200 && server_->adapter().pool().queued() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  absl::SleepFor(Scaled(absl::Milliseconds(300)));  // The queue's oldest has waited 300ms.
  Result hurried = caller_->Call(Work(0), Scaled(absl::Milliseconds(400)));
  EXPECT_EQ(hurried.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(hurried.status.error_message(), HasSubstr("would wait in its queue over half"));
  EXPECT_LT(hurried.elapsed, Scaled(absl::Milliseconds(200)));  // At once, not at its deadline.
  EXPECT_EQ(server_->adapter().stats().queue_behind.load(), 1u);
  busy.Cancel();
  EXPECT_TRUE(waiting.Wait().ok());
  EXPECT_EQ(server_->handler_runs(), 2);
}

TEST_F(SingleHopTest, DrainingRefusesNewCallsWithTheFirstDrainsStatus) {
  Build([](HopServer::Options&) {});
  // Two shutdown paths may start the drain at once (a signal and an admin call).
  std::thread other([this] {
    server_->adapter().StartDraining(absl::UnavailableError("draining (first)"));
  });
  server_->adapter().StartDraining(absl::UnavailableError("draining (second)"));
  other.join();
  Result result = caller_->Call(Work(0), Scaled(absl::Seconds(3)));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(result.status.error_message(), HasSubstr("draining ("));
  EXPECT_EQ(server_->handler_runs(), 0);
  EXPECT_EQ(server_->adapter().stats().refused_draining.load(), 1u);
}

}  // namespace
}  // namespace baton::rpc::testing
