// HopServer: an in-process HopService server on loopback for adapter tests and
// benchmarks. Each server either forwards to the next hop through the adapter's client
// side or, as the last hop, does `work_ms` of work that stops when its Context is done,
// and records what it saw.
#ifndef BATON_COMMON_RPC_TESTING_HOP_SERVER_H_
#define BATON_COMMON_RPC_TESTING_HOP_SERVER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "baton/testing/v1/hop.grpc.pb.h"
#include "common/rpc/client_call.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/testing/loopback_server.h"

namespace baton::rpc::testing {

class HopServer {
 public:
  struct Options {
    std::string name;
    // Empty: this is the last hop.
    std::string next_address;
    ServerAdapter::Options adapter;
    MethodOptions method;
    // A forwarding hop answers later, through ServeUnaryAsync and CallAsync, instead of
    // blocking a worker on its outbound call (the last hop always blocks on its work).
    bool async_forward = false;
  };

  // What the last hop's work did.
  struct WorkRecord {
    absl::Time started;
    absl::Time ended;
    bool completed = false;  // Ran its full time.
    absl::Status context_cause;  // Cause(ctx) when it stopped early.
  };

  explicit HopServer(Options options);
  ~HopServer();

  const std::string& address() const { return server_->address(); }
  ServerAdapter& adapter() { return *adapter_; }
  int handler_runs() const { return handler_runs_.load(); }

  // Waits until the last hop has started / finished `count` pieces of work.
  bool WaitForWorkStarted(int count, absl::Duration timeout);
  std::optional<WorkRecord> WaitForWorkEnded(int count, absl::Duration timeout);

 private:
  class Service;

  absl::Status Handle(const Context& ctx, const baton::testing::v1::HopRequest& request,
                      baton::testing::v1::HopResponse& response);
  // Handle for a forwarding hop with async_forward.
  void Forward(const Context& ctx, const baton::testing::v1::HopRequest& request,
               baton::testing::v1::HopResponse& response, Reply reply);
  // What a hop saw, added to `response`.
  void Observe(const Context& ctx, baton::testing::v1::HopResponse& response);
  CallOptions ForwardOptions(const baton::testing::v1::HopRequest& request) const;

  const Options options_;
  std::unique_ptr<ServerAdapter> adapter_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<baton::testing::v1::HopService::Stub> next_;
  std::atomic<int> handler_runs_{0};

  absl::Mutex mu_;
  int work_started_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<WorkRecord> work_ended_ ABSL_GUARDED_BY(mu_);
  // Last: stops serving before anything its calls use goes.
  std::unique_ptr<LoopbackServer> server_;
};

// Adapter options for a test hop: named, quiet, with a small pool.
ServerAdapter::Options TestAdapterOptions(const std::string& name);

}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_HOP_SERVER_H_
