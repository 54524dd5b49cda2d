// Test helpers for calling a HopService as an outside client would: plain gRPC, no
// adapter. Used by the adapter's tests.
#ifndef BATON_COMMON_RPC_TESTING_HOP_CLIENT_H_
#define BATON_COMMON_RPC_TESTING_HOP_CLIENT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "baton/testing/v1/hop.grpc.pb.h"
#include "common/rpc/metadata_table.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace baton::rpc::testing {

using baton::testing::v1::HopRequest;
using baton::testing::v1::HopResponse;
using baton::testing::v1::HopService;

struct Result {
  grpc::Status status;
  HopResponse response;
  std::string trail;
  absl::Duration elapsed;
};

class Caller {
 public:
  // Connects before returning, so that a test's tight deadline is not spent on the
  // connection handshake (slow under sanitizers).
  explicit Caller(const std::string& address) {
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    stub_ = HopService::NewStub(channel);
  }

  Result Call(const HopRequest& request, absl::Duration deadline,
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    grpc::ClientContext context;
    if (deadline != absl::InfiniteDuration()) {
      context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    }
    for (const auto& [name, value] : headers) context.AddMetadata(name, value);
    Result result;
    const absl::Time start = absl::Now();
    result.status = stub_->Hop(&context, request, &result.response);
    result.elapsed = absl::Now() - start;
    auto it = context.GetServerTrailingMetadata().find(kBudgetTrailHeader);
    if (it != context.GetServerTrailingMetadata().end()) {
      result.trail = std::string(it->second.data(), it->second.size());
    }
    return result;
  }

  HopService::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<HopService::Stub> stub_;
};

// A call started with the async API and left in flight until Cancel()/Wait().
class InFlight {
 public:
  InFlight(HopService::Stub& stub, HopRequest request) : request_(std::move(request)) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    stub.async()->Hop(&context_, &request_, &response_, [this](grpc::Status status) {
      status_ = std::move(status);
      done_.Notify();
    });
  }
  ~InFlight() {
    context_.TryCancel();
    done_.WaitForNotification();
  }
  void Cancel() { context_.TryCancel(); }
  const grpc::Status& Wait() {
    done_.WaitForNotification();
    return status_;
  }

 private:
  grpc::ClientContext context_;
  HopRequest request_;
  HopResponse response_;
  grpc::Status status_;
  absl::Notification done_;
};

inline HopRequest Work(int work_ms, int call_timeout_ms = 0) {
  HopRequest request;
  request.set_work_ms(work_ms);
  request.set_call_timeout_ms(call_timeout_ms);
  return request;
}

// A -> B -> C, each with `configure` applied to its options.
}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_HOP_CLIENT_H_
