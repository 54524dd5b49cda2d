// GenericCaller: one unary method of any service whose protos are linked into this
// binary, called with a request written as proto3 JSON — so the load generator needs
// neither generated stubs per method nor the target's reflection.
//
// Thread safety: Start may be called from any number of threads at once.
#ifndef BATON_TOOLS_LOADGEN_GENERIC_CALLER_H_
#define BATON_TOOLS_LOADGEN_GENERIC_CALLER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace baton::loadgen {

using Headers = std::vector<std::pair<std::string, std::string>>;

class GenericCaller {
 public:
  // `method` is "package.Service/Method" (grpcurl's form) or "/package.Service/Method".
  // INVALID_ARGUMENT when the method is unknown to this binary or the JSON does not
  // fit its request type.
  static absl::StatusOr<std::unique_ptr<GenericCaller>> Create(
      std::shared_ptr<grpc::Channel> channel, const std::string& method,
      const std::string& request_json);

  // Starts one call; `done` runs on a gRPC thread with its status. `deadline` may be
  // absl::InfiniteFuture() for none.
  void Start(absl::Time deadline, const Headers& headers, std::function<void(grpc::Status)> done);

  GenericCaller(std::shared_ptr<grpc::Channel> channel, std::string path, grpc::ByteBuffer request)
      : stub_(std::move(channel)), path_(std::move(path)), request_(std::move(request)) {}

 private:
  grpc::GenericStub stub_;
  const std::string path_;
  const grpc::ByteBuffer request_;
};

}  // namespace baton::loadgen

#endif  // BATON_TOOLS_LOADGEN_GENERIC_CALLER_H_
