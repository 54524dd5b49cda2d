// Policies of the adapter: how deadlines are admitted and propagated, per service.
// Every field is a flag of the service runtime; defaults are stated here.
#ifndef BATON_COMMON_RPC_POLICY_H_
#define BATON_COMMON_RPC_POLICY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/rpc/metadata_table.h"

namespace baton::rpc {

// How strictly deadlines are applied; lets an operator roll enforcement out safely.
//   kEnforce  reject what cannot finish, propagate deadlines (the default)
//   kObserve  propagate deadlines, but reject nothing: what would have been rejected
//             is counted and logged (admission "observe:...")
//   kOff      no admission checks and no deadline propagation (cancellation still
//             propagates: a caller that is gone is gone)
enum class Enforcement { kEnforce, kObserve, kOff };
std::optional<Enforcement> ParseEnforcement(std::string_view text);
const char* EnforcementName(Enforcement mode);

struct DeadlinePolicy {
  // Deadline given to a call that arrives without one.
  absl::Duration default_deadline = absl::Seconds(10);
  // Longest deadline a call may have here; longer ones are cut to it.
  absl::Duration max_deadline = absl::Seconds(60);
  // Taken off the remaining budget on each outbound call, so the callee gives up
  // (and answers, with its trail) before the caller's own deadline passes. It must
  // cover an answer's way back: a network hop and a little processing. 5 ms holds on a
  // loaded host; across a slow network, raise it.
  absl::Duration propagation_slack = absl::Milliseconds(5);
  // An outbound call with less budget than this is failed without being sent.
  absl::Duration min_outbound_budget = absl::Milliseconds(1);
  Enforcement enforcement = Enforcement::kEnforce;
};

// What the server side and the client side of one service share.
struct AdapterPolicy {
  std::string service_name = "service";
  DeadlinePolicy deadlines;
  MetadataPolicy metadata;
};

// Per-method declarations.
struct MethodOptions {
  // Calls arriving with less remaining budget are answered DEADLINE_EXCEEDED without
  // running the handler.
  absl::Duration min_budget = absl::ZeroDuration();
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_POLICY_H_
