// The adapter across real gRPC hops on loopback: A -> B -> C, each a server with its
// own adapter, C doing cancellable work.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/context/introspection.h"
#include "common/rpc/client_call.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/testing/hop_client.h"
#include "common/rpc/testing/hop_server.h"
#include "common/testing/time_scale.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {
namespace {

using ::baton::testing::Scaled;

using ::testing::HasSubstr;

// Every test runs twice: forwarding hops A and B blocking a worker on their outbound
// call (ServeUnary + Call), and answering later (ServeUnaryAsync + CallAsync).
class ChainTest : public ::testing::TestWithParam<bool> {
 protected:
  void Build(const std::function<void(HopServer::Options&)>& configure = nullptr) {
    HopServer::Options c{"C", "", TestAdapterOptions("C"), {}};
    // C takes credentials in if they arrive, so the test can see whether they did.
    c.adapter.policy.metadata.allowlist = {"authorization", "x-api-key"};
    c.adapter.policy.metadata.forward_credentials = true;
    if (configure) configure(c);
    c_ = std::make_unique<HopServer>(std::move(c));
    HopServer::Options b{"B", c_->address(), TestAdapterOptions("B"), {}};
    b.adapter.policy.metadata.allowlist = {"authorization", "x-api-key"};
    b.async_forward = GetParam();
    if (configure) configure(b);
    b_ = std::make_unique<HopServer>(std::move(b));
    HopServer::Options a{"A", b_->address(), TestAdapterOptions("A"), {}};
    a.adapter.policy.metadata.allowlist = {"authorization", "x-api-key"};
    a.async_forward = GetParam();
    if (configure) configure(a);
    a_ = std::make_unique<HopServer>(std::move(a));
    caller_ = std::make_unique<Caller>(a_->address());
  }

  std::unique_ptr<HopServer> c_, b_, a_;
  std::unique_ptr<Caller> caller_;
};

std::vector<std::pair<std::string, int64_t>> ParseTrail(const std::string& trail) {
  std::vector<std::pair<std::string, int64_t>> hops;
  for (absl::string_view entry : absl::StrSplit(trail, ',')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(entry, '=');
    int64_t ms = -1;
    EXPECT_TRUE(absl::SimpleAtoi(kv.second, &ms)) << trail;
    hops.emplace_back(std::string(kv.first), ms);
  }
  return hops;
}

TEST_P(ChainTest, BudgetsDecreaseAlongTheHopsAndComeBackAsATrail) {
  Build();
  Result result = caller_->Call(Work(0), absl::Seconds(2));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.response.hops_size(), 3);
  const auto& hops = result.response.hops();
  // A plain gRPC caller's 2 s reaches A through grpc-timeout, rounded up by up to
  // 10 ms, and gRPC turns it into a wall-clock deadline from its monotonic clock (a
  // few ms off on a slowed, sanitized run); from A on, the exact budget header travels
  // and the budgets strictly fall.
  const int64_t at_most = 2000 + absl::ToInt64Milliseconds(Scaled(absl::Milliseconds(10)));
  EXPECT_LE(hops[0].remaining_ms(), at_most);
  EXPECT_LT(hops[1].remaining_ms(), hops[0].remaining_ms());
  EXPECT_LT(hops[2].remaining_ms(), hops[1].remaining_ms());

  auto trail = ParseTrail(result.trail);
  ASSERT_EQ(trail.size(), 3u) << result.trail;
  EXPECT_EQ(trail[0].first, "A");
  EXPECT_EQ(trail[1].first, "B");
  EXPECT_EQ(trail[2].first, "C");
  EXPECT_LE(trail[0].second, at_most);
  EXPECT_LT(trail[1].second, trail[0].second);
  EXPECT_LT(trail[2].second, trail[1].second);
}

TEST_P(ChainTest, DeadlineDuringLastHopsWorkEndsEveryHopNearTheDeadline) {
  Build();
  Result result = caller_->Call(Work(5000), Scaled(absl::Milliseconds(200)));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(result.elapsed, Scaled(absl::Milliseconds(150)));
  EXPECT_LT(result.elapsed, absl::Seconds(2));  // Not C's five seconds of work.
  std::optional<HopServer::WorkRecord> work = c_->WaitForWorkEnded(1, absl::Seconds(5));
  ASSERT_TRUE(work.has_value());
  EXPECT_FALSE(work->completed);
  // Whether C's own timer fired or B's cancel at B's deadline arrived first, C's
  // Context names the deadline as the cause.
  EXPECT_EQ(work->context_cause.code(), absl::StatusCode::kDeadlineExceeded) << work->context_cause;
  // C stopped when its (propagated, slightly shorter) deadline passed, not later.
  EXPECT_LT(work->ended - work->started, Scaled(absl::Milliseconds(400)));
}

TEST_P(ChainTest, CallerCancelReachesTheLastHop) {
  Build();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  HopRequest request = Work(20000);
  HopResponse response;
  absl::Notification done;
  grpc::Status status;
  caller_->stub().async()->Hop(&context, &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  ASSERT_TRUE(c_->WaitForWorkStarted(1, absl::Seconds(10)));
  const absl::Time cancelled_at = absl::Now();
  context.TryCancel();
  std::optional<HopServer::WorkRecord> work = c_->WaitForWorkEnded(1, absl::Seconds(10));
  ASSERT_TRUE(work.has_value());
  EXPECT_FALSE(work->completed);
  EXPECT_EQ(work->context_cause.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(work->context_cause.message()), HasSubstr("cancelled by caller"));
  // Generous bound: the point is that C stops long before its 20 s of work.
  EXPECT_LT(work->ended - cancelled_at, absl::Seconds(2));
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
}

TEST_P(ChainTest, RequestIdAndTraceTravelSpansChangePerHop) {
  Build();
  Result result =
      caller_->Call(Work(0), absl::Seconds(5),
                    {{"x-request-id", "req-123"},
                     {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                     {"baggage", "user=alice"},
                     {"x-baton-tenant", "acme"},
                     {"x-baton-criticality", "SHEDDABLE_PLUS"}});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  const auto& hops = result.response.hops();
  ASSERT_EQ(hops.size(), 3);
  for (const auto& hop : hops) {
    EXPECT_EQ(hop.request_id(), "req-123");
    EXPECT_EQ(hop.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(hop.tenant(), "acme");
    EXPECT_EQ(hop.criticality(), "SHEDDABLE_PLUS");
  }
  EXPECT_EQ(hops[0].parent_span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(hops[1].parent_span_id(), hops[0].span_id());
  EXPECT_EQ(hops[2].parent_span_id(), hops[1].span_id());
  EXPECT_NE(hops[0].span_id(), hops[1].span_id());
  EXPECT_NE(hops[1].span_id(), hops[2].span_id());
}

// The adapter scans a short header list and searches a long one: both find the same,
// and of a header sent twice both take the first.
TEST_P(ChainTest, HeadersAreReadAlikeWhetherFewOrManyArrive) {
  Build();
  for (int fillers : {0, 20}) {
    SCOPED_TRACE(absl::StrCat(fillers, " other headers"));
    std::vector<std::pair<std::string, std::string>> headers = {
        {"x-request-id", "req-many"},
        {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        {"x-baton-tenant", "acme"},
        {"x-baton-tenant", "other"}};
    for (int i = 0; i < fillers; ++i) headers.emplace_back(absl::StrCat("x-filler-", i), "f");
    Result result = caller_->Call(Work(0), absl::Seconds(5), headers);
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    const auto& hops = result.response.hops();
    ASSERT_EQ(hops.size(), 3);
    EXPECT_EQ(hops[0].request_id(), "req-many");
    EXPECT_EQ(hops[0].trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(hops[0].parent_span_id(), "00f067aa0ba902b7");
    EXPECT_EQ(hops[0].tenant(), "acme");
    // The next hops get what the adapter sends on (a short list).
    for (int hop = 1; hop < 3; ++hop) {
      EXPECT_EQ(hops[hop].request_id(), "req-many");
      EXPECT_EQ(hops[hop].trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
      EXPECT_EQ(hops[hop].tenant(), "acme");
    }
  }
}

TEST_P(ChainTest, NoTraceArrivingStartsOneThatEveryHopShares) {
  Build();
  Result result = caller_->Call(Work(0), absl::Seconds(5));
  ASSERT_TRUE(result.status.ok());
  const auto& hops = result.response.hops();
  EXPECT_EQ(hops[0].parent_span_id(), "");
  EXPECT_EQ(hops[0].request_id().size(), 36u);  // Generated.
  EXPECT_EQ(hops[1].trace_id(), hops[0].trace_id());
  EXPECT_EQ(hops[2].request_id(), hops[0].request_id());
}

TEST_P(ChainTest, CredentialsAreNotForwarded) {
  Build();
  Result result = caller_->Call(Work(0), absl::Seconds(5),
                                {{"authorization", "Bearer secret"}, {"x-api-key", "key-1"}});
  ASSERT_TRUE(result.status.ok());
  for (const auto& hop : result.response.hops()) {
    EXPECT_FALSE(hop.saw_credentials()) << hop.service();
  }
}

TEST_P(ChainTest, MalformedHeadersAreDroppedNotForwarded) {
  Build();
  Result result = caller_->Call(Work(0), absl::Seconds(5),
                                {{"traceparent", "00-not-hex-01"},
                                 {"x-request-id", std::string(500, 'x')},
                                 {"x-baton-criticality", "URGENT"}});
  ASSERT_TRUE(result.status.ok());
  const auto& hops = result.response.hops();
  EXPECT_THAT(
      hops[0].rejected_headers(),
      ::testing::UnorderedElementsAre("traceparent", "x-request-id", "x-baton-criticality"));
  EXPECT_TRUE(hops[1].rejected_headers().empty());  // Nothing bad travelled on.
  EXPECT_EQ(hops[1].request_id(), hops[0].request_id());
}

TEST_P(ChainTest, PerCallTimeoutIsNamedInTheStatus) {
  Build();
  Result result = caller_->Call(Work(5000, /*call_timeout_ms=*/100), absl::Seconds(10));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // Every hop puts the same 100 ms on its outbound call; A's starts first, so it is
  // the one that runs out, and the status says so rather than "Deadline Exceeded".
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("the per-call timeout of 100ms for next.Hop expired at A"));
}

TEST_P(ChainTest, UnavailableAtTheDeadlineIsReportedAsTheDeadline) {
  Build();
  HopRequest request = Work(5000);
  request.set_on_stop_code(static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  Result result = caller_->Call(request, absl::Milliseconds(300));
  // C answered UNAVAILABLE when its (propagated) deadline passed; B and A know that was
  // the caller's budget running out, and say so.
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_P(ChainTest, FailuresWithBudgetLeftAreKeptAsTheyAre) {
  Build();
  // C fails at once (INVALID_ARGUMENT) with plenty of budget left: every hop passes
  // the callee's status on unchanged.
  Result result = caller_->Call(Work(-1), absl::Seconds(5));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(), HasSubstr("work_ms is negative"));
}

TEST_P(ChainTest, OffModeNeitherRejectsNorPropagatesDeadlines) {
  Build([](HopServer::Options& options) {
    options.adapter.policy.deadlines.enforcement = Enforcement::kOff;
    options.adapter.policy.deadlines.default_deadline = absl::Seconds(7);
  });
  Result result = caller_->Call(Work(0), absl::Seconds(2));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  const auto& hops = result.response.hops();
  // As in BudgetsDecreaseAlongTheHopsAndComeBackAsATrail: grpc-timeout's rounding, and
  // gRPC's monotonic-to-wall-clock conversion, a few ms off on a slowed, sanitized run.
  EXPECT_LE(hops[0].remaining_ms(),
            2000 + absl::ToInt64Milliseconds(Scaled(absl::Milliseconds(10))));
  // B and C got no deadline from their caller, so they run on their default.
  EXPECT_GT(hops[1].remaining_ms(), 5000);
  EXPECT_GT(hops[2].remaining_ms(), 5000);
}

TEST_P(ChainTest, ServiceCapIsNamedInTheStatus) {
  Build([](HopServer::Options& options) {
    if (options.name == "A")
      options.adapter.policy.deadlines.max_deadline = absl::Milliseconds(200);
  });
  // The caller allows 10 s, but A caps every call at 200 ms: A answers, naming its cap.
  Result result = caller_->Call(Work(5000), absl::Seconds(10));
  ASSERT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(result.status.error_message(), HasSubstr("A's deadline cap of 200ms expired at A"));
  EXPECT_LT(result.elapsed, absl::Seconds(2));
}

TEST_P(ChainTest, DefaultDeadlineIsNamedInTheStatus) {
  Build([](HopServer::Options& options) {
    if (options.name == "A")
      options.adapter.policy.deadlines.default_deadline = absl::Milliseconds(200);
  });
  Result result = caller_->Call(Work(5000), absl::InfiniteDuration());
  ASSERT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("A's default deadline of 200ms (the call had none) expired at A"));
  EXPECT_LT(result.elapsed, absl::Seconds(2));
}

TEST_P(ChainTest, CallWithoutDeadlineGetsTheDefaultAndOneAboveTheCapIsCut) {
  Build([](HopServer::Options& options) {
    options.adapter.policy.deadlines.default_deadline = absl::Seconds(3);
    options.adapter.policy.deadlines.max_deadline = absl::Seconds(5);
  });
  Result none = caller_->Call(Work(0), absl::InfiniteDuration());
  ASSERT_TRUE(none.status.ok());
  EXPECT_LE(none.response.hops(0).remaining_ms(), 3000);
  EXPECT_GT(none.response.hops(0).remaining_ms(), 2000);
  Result long_one = caller_->Call(Work(0), absl::Seconds(60));
  ASSERT_TRUE(long_one.status.ok());
  EXPECT_LE(long_one.response.hops(0).remaining_ms(), 5000);
}

TEST_P(ChainTest, EnvoyExpectedTimeoutOnlyShortens) {
  Build();
  Result shorter =
      caller_->Call(Work(0), absl::Seconds(10), {{"x-envoy-expected-rq-timeout-ms", "500"}});
  ASSERT_TRUE(shorter.status.ok());
  EXPECT_LE(shorter.response.hops(0).remaining_ms(), 500);
  Result longer =
      caller_->Call(Work(0), absl::Seconds(1), {{"x-envoy-expected-rq-timeout-ms", "60000"}});
  ASSERT_TRUE(longer.status.ok());
  // gRPC's grpc-timeout encoding rounds the caller's 1 s up by up to 10 ms.
  EXPECT_LE(longer.response.hops(0).remaining_ms(), 1010);
}

TEST_P(ChainTest, MalformedOrAbsurdTimeoutHeadersAreIgnored) {
  Build();
  for (const char* bad : {"-5", "0", "abc", "12ms", "99999999999999999999999", "", " 10"}) {
    Result result =
        caller_->Call(Work(0), absl::Seconds(2),
                      {{"x-envoy-expected-rq-timeout-ms", bad}, {"x-baton-budget-us", bad}});
    ASSERT_TRUE(result.status.ok()) << bad << ": " << result.status.error_message();
    // The caller's own deadline (rounded up by at most 10 ms by grpc-timeout) rules.
    EXPECT_GT(result.response.hops(0).remaining_ms(), 1500) << bad;
    EXPECT_LE(result.response.hops(0).remaining_ms(), 2010) << bad;
  }
  // A huge but well-formed value cannot extend the deadline either.
  Result huge =
      caller_->Call(Work(0), absl::Seconds(2), {{"x-baton-budget-us", "9000000000000000000"}});
  ASSERT_TRUE(huge.status.ok());
  EXPECT_LE(huge.response.hops(0).remaining_ms(), 2010);
}

TEST_P(ChainTest, ExactBudgetHeaderShortensTheDeadline) {
  Build();
  Result result = caller_->Call(Work(0), absl::Seconds(10), {{"x-baton-budget-us", "700000"}});
  ASSERT_TRUE(result.status.ok());
  EXPECT_LE(result.response.hops(0).remaining_ms(), 700);
  EXPECT_GT(result.response.hops(0).remaining_ms(), 500);
}

INSTANTIATE_TEST_SUITE_P(Forwarding, ChainTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Async" : "Blocking";
                         });

}  // namespace
}  // namespace baton::rpc::testing
