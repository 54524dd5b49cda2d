// ServeUnaryAsync's Reply contract over real gRPC on loopback: answered now, later from
// another thread, never (dropped), or not at all because a hook refused; on the pool
// and inline. The chain behaviour of asynchronous hops is in chain_test.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/rpc/client_call.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/testing/hop_client.h"
#include "common/rpc/testing/hop_server.h"
#include "common/rpc/testing/loopback_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {
namespace {

using ::testing::HasSubstr;

// How the handler answers, chosen by the request's work_ms.
enum Answer { kNow = 0, kLaterFromAnotherThread = 1, kNever = 2, kWhenCancelled = 3 };

class AsyncService final : public HopService::CallbackService {
 public:
  AsyncService(ServerAdapter* adapter, const MethodOptions& options) {
    adapter->ServeUnaryAsync<HopRequest, HopResponse>(
        this, HopService::service_full_name(), "Hop",
        [this](const Context& ctx, const HopRequest& req, HopResponse& resp, Reply reply) {
          Answer(ctx, req, resp, std::move(reply));
        },
        options);
  }
  ~AsyncService() override {
    for (std::thread& thread : threads_) thread.join();
  }

  void Answer(const Context& ctx, const HopRequest& req, HopResponse& resp, Reply reply) {
    resp.add_hops()->set_service("async");
    switch (req.work_ms()) {
      case kNow:
        std::move(reply)(absl::OkStatus());
        return;
      case kLaterFromAnotherThread: {
        absl::MutexLock lock(&mu_);
        threads_.emplace_back([reply = std::move(reply)]() mutable {
          absl::SleepFor(absl::Milliseconds(20));
          std::move(reply)(absl::OkStatus());
        });
        return;
      }
      case kNever:
        return;  // The Reply is dropped here.
      case kWhenCancelled: {
        // A continuation that keeps the Context (a copy) and answers with its cause.
        auto waiting = std::make_shared<AfterFuncHandle>();
        *waiting = AfterFunc(ctx, [ctx, waiting, reply = std::move(reply)]() mutable {
          std::move(reply)(Cause(ctx));
        });
        waiting_.fetch_add(1);
        return;
      }
    }
    std::move(reply)(absl::InvalidArgumentError("unknown answer"));
  }

  // Handlers waiting for their Context (kWhenCancelled) so far.
  int waiting() const { return waiting_.load(); }

 private:
  std::atomic<int> waiting_{0};
  absl::Mutex mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

class UnaryAsyncTest : public ::testing::Test {
 protected:
  void Start(MethodOptions method = {}, ServerAdapter::Options options = TestAdapterOptions("S")) {
    adapter_ = std::make_unique<ServerAdapter>(std::move(options));
    service_ = std::make_unique<AsyncService>(adapter_.get(), method);
    server_ = std::make_unique<LoopbackServer>(service_.get(), adapter_.get());
    caller_ = std::make_unique<Caller>(server_->address());
  }

  bool InFlightFallsTo(int64_t count) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (adapter_->in_flight() != count && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return adapter_->in_flight() == count;
  }

  void TearDown() override {
    server_.reset();
    service_.reset();
    adapter_.reset();
  }

  std::unique_ptr<ServerAdapter> adapter_;
  std::unique_ptr<AsyncService> service_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<Caller> caller_;
};

TEST_F(UnaryAsyncTest, ReplyInsideTheHandlerAnswersWithTheResponseAndTrail) {
  Start();
  Result result = caller_->Call(Work(kNow), absl::Seconds(10));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.response.hops_size(), 1);
  EXPECT_EQ(result.response.hops(0).service(), "async");
  EXPECT_THAT(result.trail, HasSubstr("S="));
}

TEST_F(UnaryAsyncTest, ReplyFromAnotherThreadLaterAnswers) {
  Start();
  Result result = caller_->Call(Work(kLaterFromAnotherThread), absl::Seconds(10));
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.response.hops_size(), 1);
  EXPECT_GE(result.elapsed, absl::Milliseconds(15));
  // The call is let go of (after its answer is sent).
  EXPECT_TRUE(InFlightFallsTo(0));
}

TEST_F(UnaryAsyncTest, DroppedReplyAnswersInternalNamingTheMethod) {
  Start();
  Result result = caller_->Call(Work(kNever), absl::Seconds(10));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(result.status.error_message(), HasSubstr("Hop"));
  EXPECT_THAT(result.status.error_message(), HasSubstr("without answering"));
}

TEST_F(UnaryAsyncTest, CallerCancelReachesAWaitingHandler) {
  Start();
  HopService::Stub& stub = caller_->stub();
  InFlight call(stub, Work(kWhenCancelled));
  // Cancelled once the handler waits for its Context.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (service_->waiting() == 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(service_->waiting(), 1);
  call.Cancel();
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
  // The server's call ends too: its Context was cancelled, the continuation answered.
  EXPECT_TRUE(InFlightFallsTo(0));
}

TEST_F(UnaryAsyncTest, DeadlineEndsAWaitingHandlerWithItsCause) {
  Start();
  Result result = caller_->Call(Work(kWhenCancelled), absl::Milliseconds(300));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(result.elapsed, absl::Seconds(5));
}

TEST_F(UnaryAsyncTest, RefusingHookMeansTheHandlerNeverRuns) {
  ServerAdapter::Options options = TestAdapterOptions("S");
  options.before_handler = [](const Context&, std::string_view) {
    return absl::UnavailableError("refused by the hook");
  };
  Start({}, std::move(options));
  Result result = caller_->Call(Work(kNow), absl::Seconds(10));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(result.response.hops_size(), 0);
}

// The after-hook may block (a fault's delay): a reply from a thread that must not —
// here one of the handler's own, as a gRPC thread completing an outbound call would
// be — finishes on a worker.
TEST_F(UnaryAsyncTest, AfterHookRunsOnAWorkerAndCanReplaceTheReply) {
  ServerAdapter::Options options = TestAdapterOptions("S");
  auto hook_on_worker = std::make_shared<std::atomic<int>>(-1);
  options.after_handler = [hook_on_worker](const Context&, std::string_view) {
    hook_on_worker->store(WorkerPool::OnWorkerThread() ? 1 : 0);
    return absl::AbortedError("reply lost by the hook");
  };
  Start({}, options);
  Result result = caller_->Call(Work(kLaterFromAnotherThread), absl::Seconds(10));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(hook_on_worker->load(), 1);
}

TEST_F(UnaryAsyncTest, HandlerOnTheReceivingThreadAnswersNowLaterOrWhenCancelled) {
  // With the pool idle the handler runs on the poller that received the call, inside
  // its arrival: a reply may come before the arrival has returned.
  Start();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(caller_->Call(Work(kNow), absl::Seconds(10)).status.ok());
  }
  Result later = caller_->Call(Work(kLaterFromAnotherThread), absl::Seconds(10));
  EXPECT_TRUE(later.status.ok()) << later.status.error_message();
  Result expired = caller_->Call(Work(kWhenCancelled), absl::Milliseconds(200));
  EXPECT_EQ(expired.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

}  // namespace
}  // namespace baton::rpc::testing
