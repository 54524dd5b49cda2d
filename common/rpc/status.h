// Conversions between absl::Status (what Baton code returns) and grpc::Status (what
// travels). Codes map one to one (anything outside the canonical 0..16 becomes
// UNKNOWN); messages are kept; payloads do not travel.
#ifndef BATON_COMMON_RPC_STATUS_H_
#define BATON_COMMON_RPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace baton::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_STATUS_H_
