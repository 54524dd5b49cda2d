#include "common/rpc/stream_flow.h"

#include "absl/strings/str_cat.h"

namespace baton::rpc {

void StreamFlow::Watch(const Context& ctx) {
  ctx_ = ctx;
  on_done_ = AfterFunc(ctx_, [this] {
    absl::MutexLock lock(&mu_);
    context_done_ = true;
  });
}

absl::Status StreamFlow::Begin(const char* what) {
  absl::MutexLock lock(&mu_);
  if (context_done_ || ctx_.IsDone()) return Cause(ctx_);
  if (broken_) return absl::CancelledError(absl::StrCat("the stream is closed: cannot ", what));
  outstanding_ = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> StreamFlow::Await() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](StreamFlow* flow) ABSL_EXCLUSIVE_LOCKS_REQUIRED(flow->mu_) {
        return !flow->outstanding_ || flow->context_done_;
      },
      this));
  if (outstanding_) return Cause(ctx_);
  if (!ok_) broken_ = true;
  return ok_;
}

void StreamFlow::Complete(bool ok) {
  absl::MutexLock lock(&mu_);
  outstanding_ = false;
  ok_ = ok;
}

bool StreamFlow::outstanding() const {
  absl::MutexLock lock(&mu_);
  return outstanding_;
}

}  // namespace baton::rpc
