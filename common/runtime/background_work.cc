#include "common/runtime/background_work.h"

#include <utility>

#include "absl/time/clock.h"

namespace baton::runtime {

BackgroundWork::BackgroundWork(Options options) : queue_bound_(options.queue_bound) {
  for (int i = 0; i < options.threads; ++i) threads_.emplace_back([this] { Work(); });
}

BackgroundWork::~BackgroundWork() { Drain(absl::Now()); }

void BackgroundWork::Run(absl::AnyInvocable<void() &&> task) {
  {
    absl::MutexLock lock(&mu_);
    if (!closed_ && queue_.size() < queue_bound_ && !threads_.empty()) {
      queue_.push_back(std::move(task));
      return;
    }
  }
  std::move(task)();
}

void BackgroundWork::Work() {
  while (true) {
    absl::AnyInvocable<void() &&> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](BackgroundWork* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->closed_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Closed and nothing left.
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

size_t BackgroundWork::Drain(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (!closed_) {
      closed_ = true;
      mu_.AwaitWithDeadline(
          absl::Condition(
              +[](std::deque<absl::AnyInvocable<void() &&>>* queue) { return queue->empty(); },
              &queue_),
          deadline);
      dropped_ = queue_.size();
      queue_.clear();
    }
  }
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  absl::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace baton::runtime
