// The client side of the adapter against a real server on loopback: fan-out, calls on
// long-lived Contexts, and calls that are never sent.
#include <latch>
#include <memory>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/context/introspection.h"
#include "common/rpc/client_call.h"
#include "common/rpc/fan_out.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/testing/hop_client.h"
#include "common/rpc/testing/hop_fixtures.h"
#include "common/rpc/testing/hop_server.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {
namespace {

using ::testing::HasSubstr;


TEST_F(SingleHopTest, FanOutFirstFailureCancelsTheOthers) {
  Build([](HopServer::Options&) {});
  auto stub = HopService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  HopRequest slow = Work(20000);
  HopRequest failing = Work(-1);
  HopResponse responses[3];
  std::vector<FanOutCall> calls;
  for (int i = 0; i < 3; ++i) {
    const HopRequest* request = i == 1 ? &failing : &slow;
    calls.push_back({CallOptions{"C.Hop", absl::InfiniteDuration()},
                     [&stub, request, response = &responses[i]](grpc::ClientContext* call,
                                                                Done done) {
                       stub->async()->Hop(call, request, response, std::move(done));
                     }});
  }
  // Let the slow ones start before the failing one answers.
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(30));
  const absl::Time start = absl::Now();
  absl::Status status = FanOut(ctx, std::move(calls));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("work_ms is negative"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // Siblings did not run 20 s.
}

TEST_F(SingleHopTest, CallsOnALongLivedContextLeaveNothingBehind) {
  Build([](HopServer::Options&) {});
  auto stub = HopService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  auto [long_lived, cancel] = WithTimeout(Background(), absl::Seconds(60));
  HopRequest request = Work(0);
  for (int i = 0; i < 100; ++i) {
    HopResponse response;
    absl::Status status = Call(long_lived, {.target = "C.Hop", .timeout = absl::Seconds(5)},
                               [&](grpc::ClientContext* call, Done done) {
                                 stub->async()->Hop(call, &request, &response, std::move(done));
                               });
    ASSERT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(RegisteredChildren(long_lived), 0u);
  EXPECT_EQ(PendingCallbacks(long_lived), 0u);
}

TEST_F(SingleHopTest, FanOutThatRunsOutOfTimeNamesTheBudget) {
  Build([](HopServer::Options&) {});
  auto stub = HopService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  HopRequest slow = Work(20000);
  HopResponse responses[3];
  std::vector<FanOutCall> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back({CallOptions{"C.Hop", absl::InfiniteDuration()},
                     [&stub, &slow, response = &responses[i]](grpc::ClientContext* call,
                                                             Done done) {
                       stub->async()->Hop(call, &slow, response, std::move(done));
                     }});
  }
  auto [ctx, cancel] = WithTimeoutCause(Background(), absl::Milliseconds(200),
                                        absl::DeadlineExceededError("the page's 200ms budget"));
  absl::Status status = FanOut(ctx, std::move(calls));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  // Our own budget's cause, or the callee's report of that same deadline — never a
  // bare "Deadline Exceeded" that names no budget.
  EXPECT_THAT(std::string(status.message()),
              ::testing::AnyOf(HasSubstr("the page's 200ms budget"),
                               HasSubstr("the caller's deadline")));
}

TEST(ClientCall, DoneContextIsNotSent) {
  auto [ctx, cancel] = WithCancelCause(Background());
  cancel(absl::AbortedError("request abandoned"));
  bool started = false;
  absl::Status status = Call(ctx, {}, [&](grpc::ClientContext*, Done) { started = true; });
  EXPECT_FALSE(started);
  EXPECT_EQ(status, absl::AbortedError("request abandoned"));
}

TEST(ClientCall, TooLittleBudgetIsNotSent) {
  auto [ctx, cancel] = WithTimeout(Background(), absl::Microseconds(500));
  bool started = false;
  absl::Status status = Call(ctx, {.target = "x.Y"},
                             [&](grpc::ClientContext*, Done) { started = true; });
  EXPECT_FALSE(started);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

// CallAsync's status, waited for.
absl::Status CallAsyncAndWait(const Context& ctx, const CallOptions& options, Starter starter) {
  absl::Notification done;
  absl::Status result;
  CallAsync(ctx, options, std::move(starter), [&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

TEST(ClientCall, AsyncDoneContextIsNotSent) {
  auto [ctx, cancel] = WithCancelCause(Background());
  cancel(absl::AbortedError("request abandoned"));
  bool started = false;
  absl::Status status =
      CallAsyncAndWait(ctx, {}, [&](grpc::ClientContext*, Done) { started = true; });
  EXPECT_FALSE(started);
  EXPECT_EQ(status, absl::AbortedError("request abandoned"));
}

TEST(ClientCall, AsyncTooLittleBudgetIsNotSent) {
  auto [ctx, cancel] = WithTimeout(Background(), absl::Microseconds(500));
  bool started = false;
  absl::Status status = CallAsyncAndWait(ctx, {.target = "x.Y"},
                                         [&](grpc::ClientContext*, Done) { started = true; });
  EXPECT_FALSE(started);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

// A callee whose DEADLINE_EXCEEDED comes a moment before our own per-call timeout has
// fired: both forms wait for it — CallAsync without a thread — and name it.
TEST(ClientCall, EndAtOurDeadlineIsSettledAsOurTimeoutBothWays) {
  for (bool async : {false, true}) {
    auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(30));
    std::thread callee;
    auto starter = [&callee](grpc::ClientContext* client, Done done) {
      const absl::Time deadline = absl::FromChrono(client->deadline());
      callee = std::thread([deadline, done = std::move(done)] {
        absl::SleepFor(deadline - absl::Now() - absl::Milliseconds(1));
        done(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
      });
    };
    const CallOptions options{.target = "x.Y", .timeout = absl::Milliseconds(100)};
    absl::Status status =
        async ? CallAsyncAndWait(ctx, options, starter) : Call(ctx, options, starter);
    callee.join();
    EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << async;
    EXPECT_THAT(std::string(status.message()), HasSubstr("per-call timeout of 100ms for x.Y"))
        << async << ": " << status;
  }
}

absl::Status FanOutAsyncAndWait(const Context& ctx, std::vector<FanOutCall> calls) {
  absl::Notification done;
  absl::Status result;
  FanOutAsync(ctx, std::move(calls), [&](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

TEST_F(SingleHopTest, FanOutAsyncFirstFailureCancelsTheOthersAndAllSucceedIsOk) {
  Build([](HopServer::Options&) {});
  auto stub = HopService::NewStub(
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  HopRequest slow = Work(20000);
  HopRequest failing = Work(-1);
  HopRequest quick = Work(0);
  HopResponse responses[3];
  auto calls_of = [&](const HopRequest* middle) {
    std::vector<FanOutCall> calls;
    for (int i = 0; i < 3; ++i) {
      const HopRequest* request = i == 1 ? middle : (middle == &failing ? &slow : &quick);
      calls.push_back({CallOptions{"C.Hop", absl::InfiniteDuration()},
                       [&stub, request, response = &responses[i]](grpc::ClientContext* call,
                                                                  Done done) {
                         stub->async()->Hop(call, request, response, std::move(done));
                       }});
    }
    return calls;
  };
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(30));
  const absl::Time start = absl::Now();
  absl::Status status = FanOutAsyncAndWait(ctx, calls_of(&failing));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("work_ms is negative"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // Siblings did not run 20 s.
  EXPECT_TRUE(FanOutAsyncAndWait(ctx, calls_of(&quick)).ok());
  EXPECT_TRUE(FanOutAsyncAndWait(ctx, {}).ok());
  // Nothing of the fan-outs stays under the long-lived Context.
  EXPECT_EQ(RegisteredChildren(ctx), 0u);
  EXPECT_EQ(PendingCallbacks(ctx), 0u);
}

// A failure and a success ending at the same moment on two threads, many times: the
// failure's cancel of its sibling and the last completion's answer never overlap
// (TSan checks what this cannot see).
TEST(ClientCall, FanOutAsyncFailureAndSuccessEndingTogether) {
  for (int round = 0; round < 200; ++round) {
    std::vector<std::thread> callees;
    std::latch together(2);
    auto ending_with = [&callees, &together](grpc::Status status) {
      return [&callees, &together, status](grpc::ClientContext*, Done done) {
        callees.emplace_back([&together, status, done = std::move(done)] {
          together.arrive_and_wait();
          done(status);
        });
      };
    };
    std::vector<FanOutCall> calls;
    calls.push_back({{.target = "a.Fail"}, ending_with(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                                                     "no such product"))});
    calls.push_back({{.target = "b.Ok"}, ending_with(grpc::Status::OK)});
    auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(30));
    absl::Status status = FanOutAsyncAndWait(ctx, std::move(calls));
    for (std::thread& callee : callees) callee.join();
    ASSERT_EQ(status.code(), absl::StatusCode::kNotFound) << round << ": " << status;
    ASSERT_EQ(RegisteredChildren(ctx), 0u) << round;
  }
}

}  // namespace
}  // namespace baton::rpc::testing
