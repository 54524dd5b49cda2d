#include "common/rpc/call_state.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace baton::rpc {

CallState::CallState(const AdapterPolicy* policy, absl::Duration budget_at_arrival)
    : policy_(policy), budget_at_arrival_(budget_at_arrival) {}

void CallState::AppendDownstreamTrail(std::string_view trail) {
  if (trail.empty()) return;
  absl::MutexLock lock(&mu_);
  if (downstream_.size() + trail.size() + 1 > kMaxBudgetTrail) {
    if (!absl::EndsWith(downstream_, "...")) absl::StrAppend(&downstream_, ",...");
    return;
  }
  if (!downstream_.empty()) downstream_.push_back(',');
  downstream_.append(trail);
}

std::string CallState::Trail() const {
  std::string own = absl::StrCat(policy_->service_name, "=",
                                 absl::ToInt64Milliseconds(budget_at_arrival_));
  absl::MutexLock lock(&mu_);
  return downstream_.empty() ? own : absl::StrCat(own, ",", downstream_);
}

}  // namespace baton::rpc
