#include "common/rpc/call_state.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace baton::rpc {

CallState::CallState(const AdapterPolicy* policy, absl::Duration budget_at_arrival,
                     absl::Time deadline, absl::Status deadline_cause)
    : policy_(policy),
      budget_at_arrival_(budget_at_arrival),
      deadline_(deadline),
      deadline_cause_(std::move(deadline_cause)) {}

CallState::CallState(CallState&& other) noexcept
    : policy_(other.policy_),
      budget_at_arrival_(other.budget_at_arrival_),
      deadline_(other.deadline_),
      deadline_cause_(other.deadline_cause_) {
  absl::MutexLock lock(&other.mu_);
  downstream_ = std::move(other.downstream_);
}

namespace {

// "name=ms": a service name of [A-Za-z0-9._-] and a (possibly negative) integer. The
// trail comes from another process; anything else is dropped, so it can neither break
// our own trailers nor smuggle text into logs.
bool ValidEntry(absl::string_view entry) {
  const size_t eq = entry.find('=');
  if (eq == 0 || eq == absl::string_view::npos || eq > 64) return false;
  for (char c : entry.substr(0, eq)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  absl::string_view ms = entry.substr(eq + 1);
  if (!ms.empty() && ms.front() == '-') ms.remove_prefix(1);
  if (ms.empty() || ms.size() > 12) return false;
  for (char c : ms) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

void CallState::AppendDownstreamTrail(std::string_view trail) const {
  std::string valid;
  for (absl::string_view entry :
       absl::StrSplit(absl::string_view(trail.data(), trail.size()), ',')) {
    if (entry == "...") {
      valid.append(valid.empty() ? "..." : ",...");
    } else if (ValidEntry(entry)) {
      if (!valid.empty()) valid.push_back(',');
      valid.append(entry.data(), entry.size());
    }
  }
  if (valid.empty()) return;
  trail = valid;
  absl::MutexLock lock(&mu_);
  if (downstream_.size() + trail.size() + 1 > kMaxBudgetTrail) {
    if (!absl::EndsWith(downstream_, "...")) absl::StrAppend(&downstream_, ",...");
    return;
  }
  if (!downstream_.empty()) downstream_.push_back(',');
  downstream_.append(trail);
}

std::string CallState::Trail() const {
  std::string own =
      absl::StrCat(policy_->service_name, "=", absl::ToInt64Milliseconds(budget_at_arrival_));
  absl::MutexLock lock(&mu_);
  return downstream_.empty() ? own : absl::StrCat(own, ",", downstream_);
}

}  // namespace baton::rpc
