// StreamServer: an in-process StreamService server on loopback for the adapter's
// stream tests and benchmark. Count sends numbers (pausing, cancellably, between
// them); Sum adds what a client streams; Echo returns each number; Relay reads the
// next hop's Count through an outbound stream under its Context and passes it on.
// Each handler's end is recorded: when, with what status, after how many messages.
#ifndef BATON_COMMON_RPC_TESTING_STREAM_SERVER_H_
#define BATON_COMMON_RPC_TESTING_STREAM_SERVER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "baton/testing/v1/stream.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/testing/loopback_server.h"

namespace baton::rpc::testing {

class StreamServer {
 public:
  struct HandlerEnd {
    std::string method = "";
    absl::Time ended = absl::InfinitePast();
    absl::Status status = absl::OkStatus();
    int64_t messages = 0;
    // Count only: a write attempted after the Context ended, and what it returned.
    std::optional<absl::Status> write_after_done = std::nullopt;
  };

  // `next_address`: where Relay reads from (empty: no Relay). The adapter has the test
  // options (hop_server.h) and logs nothing.
  explicit StreamServer(const std::string& name, const std::string& next_address = "");
  ~StreamServer();

  const std::string& address() const { return server_->address(); }
  ServerAdapter& adapter() { return *adapter_; }
  // Messages Count has handed to gRPC so far, over all calls.
  int64_t written() const { return written_.load(); }

  // Waits for the `n`th handler end (1-based, in order of ending).
  std::optional<HandlerEnd> WaitForEnd(int n, absl::Duration timeout);

 private:
  class Service;
  void RecordEnd(HandlerEnd end);

  std::unique_ptr<ServerAdapter> adapter_;
  std::unique_ptr<Service> service_;
  std::atomic<int64_t> written_{0};
  absl::Mutex mu_;
  std::vector<HandlerEnd> ends_ ABSL_GUARDED_BY(mu_);
  // Last: stops serving before anything its calls use goes.
  std::unique_ptr<LoopbackServer> server_;
};

}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_STREAM_SERVER_H_
