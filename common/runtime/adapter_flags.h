// Command-line flags for the gRPC context adapter, shared by every service binary.
//
//   --service_name               name in logs and budget trails (the binary's default)
//   --default_deadline=10s       deadline of a call that arrives without one
//   --max_deadline=60s           longer deadlines are cut to this
//   --deadline_enforcement=enforce   enforce | observe | off
//   --propagation_slack=5ms      taken off the budget on each outbound call
//   --min_outbound_budget=1ms    outbound calls with less budget are not sent
//   --worker_threads=8           handler threads
//   --stream_threads=16          streams served at once (a thread each; as many queue)
//   --queue_bound=256            requests that may wait for a thread
//   --shed_threshold=192         queue depth from which SHEDDABLE requests are refused
//   --forward_headers=           extra headers to carry through (comma-separated)
//   --forward_credentials=false  let authorization/x-api-key in --forward_headers travel
//
// Durations take absl's syntax (250ms, 10s, 1m). Flags are read once, by
// AdapterOptionsFromFlags(), which checks them and says which one is wrong.
#ifndef BATON_COMMON_RUNTIME_ADAPTER_FLAGS_H_
#define BATON_COMMON_RUNTIME_ADAPTER_FLAGS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/rpc/server_adapter.h"

namespace baton::runtime {

// The adapter's options from the flags; `default_service_name` is used when
// --service_name is empty. INVALID_ARGUMENT names the flag when a value makes no sense
// (a non-positive deadline, a cap below the default, a shed threshold above the
// queue bound, ...).
absl::StatusOr<rpc::ServerAdapter::Options> AdapterOptionsFromFlags(
    std::string_view default_service_name);

}  // namespace baton::runtime

namespace baton::rpc {
// Flag (un)parsing of Enforcement: "enforce", "observe", "off".
bool AbslParseFlag(absl::string_view text, Enforcement* mode, std::string* error);
std::string AbslUnparseFlag(Enforcement mode);
}  // namespace baton::rpc

#endif  // BATON_COMMON_RUNTIME_ADAPTER_FLAGS_H_
