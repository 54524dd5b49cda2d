// The unary path over real gRPC on loopback, where it differs from a plain server: the
// adapter requests its methods' calls on its own completion queue and runs handlers on
// the threads that receive them, within the worker pool's bound; a server that goes
// while a handler still runs; methods the adapter does not serve, or is told to serve
// wrongly.
#include <sched.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/context/thread_scheduling.h"
#include "absl/time/clock.h"
#include "baton/testing/v1/chain.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/testing/hop_client.h"
#include "common/rpc/testing/hop_server.h"
#include "common/rpc/testing/loopback_server.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// Each handler blocks, not watching its Context, until the test releases it.
class BlockingService final : public HopService::CallbackService {
 public:
  explicit BlockingService(ServerAdapter* adapter) {
    adapter->ServeUnary<HopRequest, HopResponse>(
        this, HopService::service_full_name(), "Hop",
        [this](const Context&, const HopRequest&, HopResponse& response) {
          started_.fetch_add(1);
          release_.WaitForNotification();
          response.add_hops()->set_service("blocking");
          return absl::OkStatus();
        });
  }

  int started() const { return started_.load(); }
  void Release() { release_.Notify(); }

 private:
  std::atomic<int> started_{0};
  absl::Notification release_;
};

// Answers at once, counting its calls and recording the scheduling policy of the
// thread that ran the last one.
class HopServiceAnswering final : public HopService::CallbackService {
 public:
  explicit HopServiceAnswering(ServerAdapter* adapter) {
    adapter->ServeUnary<HopRequest, HopResponse>(
        this, HopService::service_full_name(), "Hop",
        [this](const Context&, const HopRequest&, HopResponse&) {
          policy_.store(sched_getscheduler(0));
          answered_.fetch_add(1);
          return absl::OkStatus();
        });
  }
  int answered() const { return answered_.load(); }
  int policy() const { return policy_.load(); }

 private:
  std::atomic<int> answered_{0};
  std::atomic<int> policy_{-1};
};


bool Eventually(const std::function<bool()>& condition) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!condition() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  return condition();
}

TEST(UnaryCall, NoMoreHandlersRunAtOnceThanThePoolHasThreads) {
  ServerAdapter::Options options = TestAdapterOptions("S");
  options.pool.threads = 1;
  ServerAdapter adapter(options);
  BlockingService service(&adapter);
  LoopbackServer served(&service, &adapter);
  Caller caller(served.address());
  InFlight first(caller.stub(), HopRequest());
  ASSERT_TRUE(Eventually([&] { return service.started() == 1; }));
  InFlight second(caller.stub(), HopRequest());
  // The second waits in the pool's queue while the first holds the one place, even
  // though a poller is free to receive it.
  ASSERT_TRUE(Eventually([&] { return adapter.pool().queued() == 1; }));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(service.started(), 1);
  EXPECT_EQ(adapter.pool().busy(), 1u);
  service.Release();
  EXPECT_TRUE(first.Wait().ok());
  EXPECT_TRUE(second.Wait().ok());
  EXPECT_EQ(service.started(), 2);
}

TEST(UnaryCall, ThreadsThatReceiveCallsRunUnderBatchSchedulingUnlessTurnedOff) {
  if (!BatchSchedulingAllowed()) GTEST_SKIP() << "this machine refuses SCHED_BATCH";
  // Turned off, the pollers keep the policy they inherit from this thread.
  const int process_policy = sched_getscheduler(0);
  for (bool batch : {true, false}) {
    ServerAdapter::Options options = TestAdapterOptions("S");
    options.pool.batch_scheduling = batch;
    ServerAdapter adapter(options);
    HopServiceAnswering service(&adapter);
    LoopbackServer served(&service, &adapter);
    Caller caller(served.address());
    // With the pool idle, the handler runs on the poller that received the call.
    ASSERT_TRUE(InFlight(caller.stub(), HopRequest()).Wait().ok());
    EXPECT_EQ(service.policy(), batch ? SCHED_BATCH : process_policy)
        << "batch_scheduling " << batch;
  }
}

TEST(UnaryCall, TheServerGoesOnlyAfterItsHandlersHaveReturned) {
  ServerAdapter adapter(TestAdapterOptions("S"));
  BlockingService service(&adapter);
  auto served = std::make_unique<LoopbackServer>(&service, &adapter);
  Caller caller(served->address());
  InFlight call(caller.stub(), HopRequest());
  ASSERT_TRUE(Eventually([&] { return service.started() == 1; }));
  // The server stops at once, cancelling the call; the handler does not look at its
  // Context and returns only later. What it uses must not go before it has.
  std::atomic<bool> gone{false};
  std::thread stop([&served, &gone] {
    served->server().Shutdown(std::chrono::system_clock::now());
    served.reset();
    gone = true;
  });
  // Cancelled, or the connection closed: either way the caller hears at once.
  EXPECT_THAT(call.Wait().error_code(),
              AnyOf(grpc::StatusCode::CANCELLED, grpc::StatusCode::UNAVAILABLE));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(gone.load());
  service.Release();
  stop.join();
  EXPECT_EQ(adapter.in_flight(), 0);
}

TEST(UnaryCall, AMethodShowsItselfQuickBySixteenQuickRunsInARow) {
  ServedMethod method;
  for (int i = 0; i < ServedMethod::kQuickRunsToHold - 1; ++i) {
    method.CountRunOnPoller(absl::Microseconds(5));
  }
  EXPECT_FALSE(method.ShownQuick());
  method.CountRunOnPoller(ServedMethod::kQuickRun);  // Within it counts.
  EXPECT_TRUE(method.ShownQuick());
  method.CountRunOnPoller(ServedMethod::kQuickRun + absl::Microseconds(1));
  EXPECT_FALSE(method.ShownQuick());  // One slower run, and it starts over.
}

// Threads that call until told to stop, and are joined however the test ends.
class CallerThreads {
 public:
  ~CallerThreads() {
    stop_ = true;
    for (std::thread& thread : threads_) thread.join();
  }
  void Start(std::function<void(const std::atomic<bool>& stop)> loop) {
    threads_.emplace_back([this, loop = std::move(loop)] { loop(stop_); });
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// A poller holds replies to send them together (call_poller.h), but not across a
// handler that has not shown itself quick: quick calls keep their replies flowing while
// a slow method's handlers hold pollers for 600 ms at a time.
TEST(UnaryCall, NoReplyWaitsBehindAHandlerThatMayBlock) {
  ServerAdapter adapter(TestAdapterOptions("S"));
  HopServiceAnswering quick(&adapter);
  baton::testing::v1::ChainService::CallbackService slow_service;
  adapter.ServeUnary<baton::testing::v1::ChainRequest, baton::testing::v1::ChainResponse>(
      &slow_service, baton::testing::v1::ChainService::service_full_name(), "Step",
      [](const Context&, const baton::testing::v1::ChainRequest&,
         baton::testing::v1::ChainResponse&) {
        absl::SleepFor(absl::Milliseconds(600));
        return absl::OkStatus();
      });
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&quick);
  builder.RegisterService(&slow_service);
  ServerAdapter::Server server = ServerAdapter::StartServer(builder, &adapter);
  ASSERT_NE(server, nullptr);
  const std::string address = "127.0.0.1:" + std::to_string(port);

  std::atomic<int64_t> slowest_quick_us{0};
  {
    CallerThreads quick_callers;
    for (int i = 0; i < 8; ++i) {
      quick_callers.Start([&](const std::atomic<bool>& stop) {
        Caller caller(address);
        while (!stop.load()) {
          const absl::Time sent = absl::Now();
          if (!caller.Call(HopRequest(), absl::Seconds(10)).status.ok()) continue;
          const int64_t took = absl::ToInt64Microseconds(absl::Now() - sent);
          int64_t slowest = slowest_quick_us.load();
          while (took > slowest && !slowest_quick_us.compare_exchange_weak(slowest, took)) {
          }
        }
      });
    }
    // Busy enough that the pollers hold replies (where the machine lets Hop be quick).
    ASSERT_TRUE(Eventually([&] { return quick.answered() > 1000; }));
    slowest_quick_us = 0;
    auto slow_stub = baton::testing::v1::ChainService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 3; ++i) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      baton::testing::v1::ChainRequest request;
      baton::testing::v1::ChainResponse response;
      EXPECT_TRUE(slow_stub->Step(&context, request, &response).ok());
    }
  }
  // A reply held across a slow handler would have taken its 600 ms.
  EXPECT_LT(slowest_quick_us.load(), 400000);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
}

TEST(UnaryCall, AMethodTheServerDoesNotHaveIsUnimplemented) {
  ServerAdapter adapter(TestAdapterOptions("S"));
  BlockingService service(&adapter);
  LoopbackServer served(&service, &adapter);
  auto stub = baton::testing::v1::ChainService::NewStub(
      grpc::CreateChannel(served.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  baton::testing::v1::ChainRequest request;
  baton::testing::v1::ChainResponse response;
  EXPECT_EQ(stub->Step(&context, request, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  service.Release();
}

TEST(UnaryCall, ARequestThatDoesNotParseIsRefusedAndTheMethodServesOn) {
  ServerAdapter adapter(TestAdapterOptions("S"));
  HopServiceAnswering service(&adapter);
  LoopbackServer served(&service, &adapter);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(served.address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  // Field 1 as a varint whose bytes never end: not a HopRequest.
  const char garbage[] = {0x08, static_cast<char>(0xff), static_cast<char>(0xff),
                          static_cast<char>(0xff)};
  grpc::Slice slice(garbage, sizeof(garbage));
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      generic.PrepareUnaryCall(&context, "/baton.testing.v1.HopService/Hop", request, &queue);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, &queue);
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(queue.Next(&tag, &ok));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(status.error_message(), HasSubstr("parse"));
  EXPECT_EQ(service.answered(), 0);
  // The refused call took none of the method's requested calls with it.
  Caller caller(served.address());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(caller.Call(HopRequest(), absl::Seconds(10)).status.ok());
  }
  EXPECT_EQ(service.answered(), 20);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

TEST(UnaryCallDeathTest, ServingAMethodTheServiceLacksOrMistypesStopsTheProcessNamingIt) {
  // The adapter has threads: the child re-runs the test alone rather than fork them.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ServerAdapter adapter(TestAdapterOptions("S"));
  HopService::CallbackService service;
  auto serve_a_misspelt_method = [&] {
    adapter.ServeUnary<HopRequest, HopResponse>(
        &service, HopService::service_full_name(), "Hopp",
        [](const Context&, const HopRequest&, HopResponse&) { return absl::OkStatus(); });
  };
  EXPECT_DEATH(serve_a_misspelt_method(), HasSubstr("has no method Hopp"));
  auto serve_with_the_wrong_messages = [&] {
    adapter.ServeUnary<HopResponse, HopRequest>(
        &service, HopService::service_full_name(), "Hop",
        [](const Context&, const HopResponse&, HopRequest&) { return absl::OkStatus(); });
  };
  EXPECT_DEATH(serve_with_the_wrong_messages(),
               HasSubstr("takes baton.testing.v1.HopRequest and returns "
                         "baton.testing.v1.HopResponse, not baton.testing.v1.HopResponse"));
}

}  // namespace
}  // namespace baton::rpc::testing
