#include "common/rpc/fan_out.h"

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace baton::rpc {

absl::Status FanOut(const Context& ctx, std::vector<FanOutCall> calls) {
  auto [group, cancel] = WithCancelCause(ctx);
  // Completions arrive on gRPC's threads; this thread settles each one (Wait) before
  // it decides, so the first failure is reported — and passed to the siblings as the
  // cause — with its final status, naming the budget that ran out if one did.
  absl::Mutex mu;
  std::vector<size_t> completed;
  std::vector<std::unique_ptr<PendingCall>> pending;
  pending.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    pending.push_back(PendingCall::Start(group, calls[i].options, std::move(calls[i].start)));
    pending.back()->OnComplete([&mu, &completed, i](const absl::Status&) {
      absl::MutexLock lock(&mu);
      completed.push_back(i);
    });
  }
  absl::Status first_failure;
  for (size_t settled = 0; settled < pending.size(); ++settled) {
    size_t index = 0;
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](std::vector<size_t>* list) { return !list->empty(); }, &completed));
      index = completed.front();
      completed.erase(completed.begin());
    }
    absl::Status status = pending[index]->Wait();
    if (!status.ok() && first_failure.ok()) {
      first_failure = status;
      cancel.Cancel(status);
    }
  }
  return first_failure;
}

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

}  // namespace baton::rpc
