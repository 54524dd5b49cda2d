// CallState: the mutable record of one incoming RPC that its outbound calls write to.
//
// Stored in the request's Context (kCallState) by the server side of the adapter. The
// client side reads the service's policy from it and appends each downstream hop's
// budget trail, which the server side returns in its own trailing metadata:
//   x-baton-budget-trail: gateway=998,orders=993,inventory=987
// (each hop's remaining budget in ms when the call arrived there, caller first).
//
// Stored by value in the Context's own node (no allocation of its own per call), it is
// the one value in a Context that changes: its trail, which is guarded, so that its
// methods are const and fan-out calls append concurrently.
//
// Thread safety: all methods may be called from any thread.
#ifndef BATON_COMMON_RPC_CALL_STATE_H_
#define BATON_COMMON_RPC_CALL_STATE_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "common/rpc/policy.h"

namespace baton::rpc {

class CallState {
 public:
  // `policy` must outlive the call. `deadline` is the request's deadline and
  // `deadline_cause` what its Context's cause will be when that deadline passes.
  CallState(const AdapterPolicy* policy, absl::Duration budget_at_arrival,
            absl::Time deadline = absl::InfiniteFuture(),
            absl::Status deadline_cause = absl::DeadlineExceededError("deadline exceeded"));
  // For WithValue, which moves the record into the Context: a fresh lock, the trail
  // taken over.
  CallState(CallState&& other) noexcept;
  CallState& operator=(CallState&&) = delete;

  const AdapterPolicy& policy() const { return *policy_; }
  absl::Duration budget_at_arrival() const { return budget_at_arrival_; }
  // Lets an outbound call whose callee ran out of (our propagated) budget report our
  // deadline's cause at once, instead of waiting the slack for our own timer.
  absl::Time deadline() const { return deadline_; }
  const absl::Status& deadline_cause() const { return deadline_cause_; }

  // Appends a downstream hop's trail (already "name=ms[,name=ms...]").
  void AppendDownstreamTrail(std::string_view trail) const;
  // This hop's entry followed by every downstream trail.
  std::string Trail() const;

 private:
  const AdapterPolicy* const policy_;
  const absl::Duration budget_at_arrival_;
  const absl::Time deadline_;
  const absl::Status deadline_cause_;
  mutable absl::Mutex mu_;
  mutable std::string downstream_ ABSL_GUARDED_BY(mu_);
};

inline constexpr ContextKey<CallState> kCallState("baton.call_state");

// The call state of the RPC `ctx` belongs to, or null outside one. It lives as long
// as `ctx` (or any Context derived from it).
inline const CallState* CallStateOf(const Context& ctx) { return ctx.Value(kCallState); }

// Longest trail kept; longer trails (a runaway fan-out) are cut with "...".
inline constexpr size_t kMaxBudgetTrail = 2048;

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_CALL_STATE_H_
