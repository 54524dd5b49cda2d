#include "common/rpc/call_poller.h"

#include <memory>

#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

// A server with no ports and no services, for its completion queue.
struct QueueAndServer {
  QueueAndServer() {
    grpc::ServerBuilder builder;
    queue = builder.AddCompletionQueue();
    server = builder.BuildAndStart();
  }
  std::unique_ptr<grpc::ServerCompletionQueue> queue;
  std::unique_ptr<grpc::Server> server;
};

TEST(CallPoller, HandlersOnPollersLeaveOnePollerFree) {
  QueueAndServer built;
  ASSERT_NE(built.server, nullptr);
  std::unique_ptr<grpc::Server> server = std::move(built.server);
  {
    CallPoller poller(std::move(built.queue), /*threads=*/3, /*batch_scheduling=*/false);
    EXPECT_TRUE(poller.ClaimHandlerPlace());
    EXPECT_TRUE(poller.ClaimHandlerPlace());
    EXPECT_FALSE(poller.ClaimHandlerPlace());  // The third poller stays free to receive.
    poller.ReleaseHandlerPlace();
    EXPECT_TRUE(poller.ClaimHandlerPlace());
    poller.ReleaseHandlerPlace();
    poller.ReleaseHandlerPlace();
    server->Shutdown();  // The queue's server goes first.
  }
}

TEST(CallPoller, OnePollerRunsNoHandler) {
  QueueAndServer built;
  ASSERT_NE(built.server, nullptr);
  std::unique_ptr<grpc::Server> server = std::move(built.server);
  {
    CallPoller poller(std::move(built.queue), /*threads=*/1, /*batch_scheduling=*/false);
    EXPECT_FALSE(poller.ClaimHandlerPlace());
    server->Shutdown();
  }
}

}  // namespace
}  // namespace baton::rpc
