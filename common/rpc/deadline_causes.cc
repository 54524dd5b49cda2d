#include "common/rpc/deadline_causes.h"

#include <cassert>
#include <utility>

namespace baton::rpc {

absl::Status DeadlineCauses::Get(int source, int64_t budget_ms,
                                 absl::FunctionRef<absl::Status()> make) {
  assert(source >= 0 && source < kSources);
  // Budgets are spread over ms; the source picks among neighbouring slots. Unsigned:
  // negative and infinite budgets (INT64_MIN/MAX) wrap to a slot like any other.
  const uint64_t key =
      static_cast<uint64_t>(budget_ms) * kSources + static_cast<uint64_t>(source);
  Slot& slot = slots_[key % kSlots];
  {
    absl::MutexLock lock(&slot.mu);
    if (slot.used && slot.source == source && slot.budget_ms == budget_ms) return slot.cause;
  }
  // Made outside the lock: formatting is the slow part, and a racing Get for the same
  // key only makes the same cause twice.
  absl::Status cause = make();
  absl::MutexLock lock(&slot.mu);
  slot.used = true;
  slot.source = source;
  slot.budget_ms = budget_ms;
  slot.cause = cause;
  return cause;
}

}  // namespace baton::rpc
