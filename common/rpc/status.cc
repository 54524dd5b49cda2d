#include "common/rpc/status.h"

#include <string>

namespace baton::rpc {

namespace {

// Both enumerations are the canonical gRPC codes 0..16 with the same numbers; a
// number outside them (a peer may send any) becomes UNKNOWN.
int Canonical(int code) { return code >= 0 && code <= 16 ? code : 2; }

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(
      static_cast<grpc::StatusCode>(Canonical(static_cast<int>(status.code()))),
      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(
      static_cast<absl::StatusCode>(Canonical(static_cast<int>(status.error_code()))),
      status.error_message());
}

}  // namespace baton::rpc
