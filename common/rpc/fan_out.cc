#include "common/rpc/fan_out.h"

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace baton::rpc {

namespace {

// One FanOutAsync: its calls' group Context and what their completions share.
struct FanOutGroup {
  FanOutGroup(const Context& ctx, size_t calls, OnCallDone done)
      : group(WithCancelCause(ctx)), left(calls), on_done(std::move(done)) {}

  // One call's end; the last one's answers for all. The first failure cancels the
  // siblings before it counts itself done, so no completion can be last — and let go
  // of the group — while that cancel is still running.
  void CallDone(absl::Status status) {
    bool first_failure = false;
    {
      absl::MutexLock lock(&mu);
      if (!status.ok() && failure.ok()) {
        failure = status;
        first_failure = true;
      }
    }
    // Outside the lock: the siblings' completions may run inside this cancel.
    if (first_failure) group.cancel.Cancel(status);
    absl::Status result;
    {
      absl::MutexLock lock(&mu);
      if (--left != 0) return;
      result = failure;
    }
    OnCallDone done = std::move(on_done);
    group = {};  // Lets go of the group's Context before answering.
    std::move(done)(std::move(result));
  }

  // Cancelled by the first failure; reset by the last completion, which no cancel can
  // overlap (see CallDone).
  DerivedContext<CancelCauseHandle> group;
  absl::Mutex mu;
  size_t left ABSL_GUARDED_BY(mu);
  absl::Status failure ABSL_GUARDED_BY(mu);
  OnCallDone on_done;
};

}  // namespace

void FanOutAsync(const Context& ctx, std::vector<FanOutCall> calls, OnCallDone on_done) {
  if (calls.empty()) {
    std::move(on_done)(absl::OkStatus());
    return;
  }
  auto shared = std::make_shared<FanOutGroup>(ctx, calls.size(), std::move(on_done));
  // Every call is counted before the first starts, so an early end cannot be the last.
  const Context group = shared->group.context;
  for (FanOutCall& call : calls) {
    CallAsync(group, call.options, std::move(call.start),
              [shared](absl::Status status) { shared->CallDone(std::move(status)); });
  }
}

absl::Status FanOut(const Context& ctx, std::vector<FanOutCall> calls) {
  absl::Notification done;
  absl::Status result;
  FanOutAsync(ctx, std::move(calls), [&done, &result](absl::Status status) {
    result = std::move(status);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

}  // namespace baton::rpc
