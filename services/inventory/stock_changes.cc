#include "services/inventory/stock_changes.h"

namespace baton::inventory {

void StockChanges::Publish() {
  absl::MutexLock lock(&mu_);
  ++version_;
}

uint64_t StockChanges::version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

absl::Status StockChanges::Await(const Context& ctx, uint64_t& seen) {
  // The Context's end takes the lock once, which makes the waiter look again.
  AfterFuncHandle wake = AfterFunc(ctx, [this] { absl::MutexLock lock(&mu_); });
  absl::MutexLock lock(&mu_);
  struct Waiting {
    const StockChanges* changes;
    const Context* ctx;
    uint64_t seen;
  } waiting{this, &ctx, seen};
  mu_.Await(absl::Condition(
      +[](Waiting* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return w->changes->version_ != w->seen || w->ctx->IsDone();
      },
      &waiting));
  if (version_ != seen) {
    seen = version_;
    return absl::OkStatus();
  }
  return Cause(ctx);
}

}  // namespace baton::inventory
