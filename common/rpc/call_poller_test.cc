#include "common/rpc/call_poller.h"

#include <memory>

#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

// A poller with `threads` threads over the completion queue of a server with no ports
// and no services; the server shuts down first, as CallPoller requires.
class PollerOverIdleServer {
 public:
  explicit PollerOverIdleServer(int threads) {
    grpc::ServerBuilder builder;
    std::unique_ptr<grpc::ServerCompletionQueue> queue = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    poller_ = std::make_unique<CallPoller>(std::move(queue), threads,
                                           /*batch_scheduling=*/false);
  }
  ~PollerOverIdleServer() {
    server_->Shutdown();
    poller_.reset();
  }
  CallPoller& poller() { return *poller_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CallPoller> poller_;
};

TEST(CallPoller, HandlersOnPollersLeaveOnePollerFree) {
  PollerOverIdleServer idle(/*threads=*/3);
  CallPoller& poller = idle.poller();
  EXPECT_TRUE(poller.ClaimHandlerPlace());
  EXPECT_TRUE(poller.ClaimHandlerPlace());
  EXPECT_FALSE(poller.ClaimHandlerPlace());  // The third poller stays free to receive.
  poller.ReleaseHandlerPlace();
  EXPECT_TRUE(poller.ClaimHandlerPlace());
  poller.ReleaseHandlerPlace();
  poller.ReleaseHandlerPlace();
}

TEST(CallPoller, OnePollerRunsNoHandler) {
  PollerOverIdleServer idle(/*threads=*/1);
  EXPECT_FALSE(idle.poller().ClaimHandlerPlace());
}

}  // namespace
}  // namespace baton::rpc
